/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu gguf-info FILE [--json] - what a GGUF file holds: its version,
 * alignment and data offset, every metadata entry (key, type, value; arrays
 * show their first items) and the tensor table (name, type, dims innermost
 * first, offset in the data section and in the file, bytes). A file the
 * reader rejects (tlpu/gguf.h) gets its message and exit status 2.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tlpu/gguf.h"

#define SHOWN_ITEMS 4     /* array items in the text listing */
#define SHOWN_ITEMS_JSON 8
#define SHOWN_CHARS 120   /* bytes of a string value in the text listing */
#define SHORT_ARRAY 8     /* arrays up to this long are shown whole in the text listing */

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 if there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7Fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/*
 * A string: valid UTF-8 as is, quotes, backslashes and control bytes
 * escaped; invalid bytes as \xNN (text) or U+FFFD (JSON). At most `max`
 * bytes of the value (0: all), then "...". Quoted unless `bare`.
 */
static void put_str_q(const char *s, size_t len, size_t max, int json, int bare)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t end = (max && len > max) ? max : len;
    if (!bare)
        putchar('"');
    for (size_t i = 0; i < end;) {
        unsigned c = p[i];
        size_t k = utf8_seq(p + i, len - i);
        if (k > 1) {
            fwrite(p + i, 1, k, stdout);
            i += k;
            continue;
        }
        i++;
        if (k == 0 && json)
            fputs("\\ufffd", stdout);
        else if (k == 0)
            printf("\\x%02x", c);
        else if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if ((c < 0x20 || c == 0x7f) && json)
            printf("\\u%04x", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar((int)c);
    }
    if (!bare)
        putchar('"');
    if (end < len && !json)
        printf("... (%zu bytes)", len);
}

static void put_str(const char *s, size_t len, size_t max, int json)
{
    put_str_q(s, len, max, json, 0);
}

/* Element i of entry `ix` (a scalar is element 0). */
static void put_elem(const tlpu_gguf *g, size_t ix, tlpu_gguf_vtype t, uint64_t i, int json)
{
    int64_t sv;
    uint64_t uv;
    double f;
    int b;
    const char *s;
    size_t len;
    switch (t) {
    case TLPU_GGUF_I8:
    case TLPU_GGUF_I16:
    case TLPU_GGUF_I32:
    case TLPU_GGUF_I64:
        if (tlpu_gguf_kv_int(g, ix, i, &sv) == TLPU_OK)
            printf("%lld", (long long)sv);
        break;
    case TLPU_GGUF_U8:
    case TLPU_GGUF_U16:
    case TLPU_GGUF_U32:
    case TLPU_GGUF_U64:
        if (tlpu_gguf_kv_uint(g, ix, i, &uv) == TLPU_OK)
            printf("%llu", (unsigned long long)uv);
        break;
    case TLPU_GGUF_F32:
    case TLPU_GGUF_F64:
        if (tlpu_gguf_kv_float(g, ix, i, &f) == TLPU_OK) {
            if (json && !isfinite(f))
                fputs("null", stdout);
            else
                printf(t == TLPU_GGUF_F32 ? "%.9g" : "%.17g", f);
        }
        break;
    case TLPU_GGUF_BOOL:
        if (tlpu_gguf_kv_bool(g, ix, i, &b) == TLPU_OK)
            fputs(b ? "true" : "false", stdout);
        break;
    case TLPU_GGUF_STR:
        if (tlpu_gguf_kv_str(g, ix, i, &s, &len) == TLPU_OK)
            put_str(s, len, json ? 0 : SHOWN_CHARS, json);
        break;
    default:
        break;
    }
}

static void put_value_text(const tlpu_gguf *g, size_t ix, const tlpu_gguf_kv *kv)
{
    if (kv->type != TLPU_GGUF_ARR) {
        put_elem(g, ix, kv->type, 0, 0);
        return;
    }
    uint64_t shown = kv->count <= SHORT_ARRAY ? kv->count : SHOWN_ITEMS;
    putchar('[');
    if (shown < kv->count)
        printf("%llu items: ", (unsigned long long)kv->count);
    for (uint64_t i = 0; i < shown; i++) {
        if (i)
            fputs(", ", stdout);
        put_elem(g, ix, kv->elem_type, i, 0);
    }
    if (shown < kv->count)
        fputs(", ...", stdout);
    putchar(']');
}

static void dims_text(char *out, size_t size, const tlpu_gguf_tensor *t)
{
    size_t o = 0;
    out[0] = '\0';
    if (t->n_dims == 0)
        snprintf(out, size, "scalar");
    for (uint32_t d = 0; d < t->n_dims && o < size; d++) {
        int k = snprintf(out + o, size - o, d ? " x %llu" : "%llu", (unsigned long long)t->ne[d]);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

static void print_text(const tlpu_gguf *g, const char *path)
{
    size_t nkv = tlpu_gguf_kv_count(g), nt = tlpu_gguf_tensor_count(g);
    printf("file        %s (%zu bytes)\n", path, tlpu_gguf_file_size(g));
    printf("gguf        version %u, alignment %zu, data at offset %zu\n", tlpu_gguf_version(g),
           tlpu_gguf_alignment(g), tlpu_gguf_data_offset(g));
    printf("metadata    %zu entr%s\n", nkv, nkv == 1 ? "y" : "ies");
    int kw = 3;
    for (size_t i = 0; i < nkv; i++) {
        tlpu_gguf_kv kv;
        tlpu_gguf_kv_info(g, i, &kv);
        int l = (int)strlen(kv.key);
        kw = l > kw ? (l < 48 ? l : 48) : kw;
    }
    for (size_t i = 0; i < nkv; i++) {
        tlpu_gguf_kv kv;
        char type[48];
        tlpu_gguf_kv_info(g, i, &kv);
        if (kv.type == TLPU_GGUF_ARR)
            snprintf(type, sizeof type, "arr[%s,%llu]", tlpu_gguf_vtype_name(kv.elem_type),
                     (unsigned long long)kv.count);
        else
            snprintf(type, sizeof type, "%s", tlpu_gguf_vtype_name(kv.type));
        printf("  ");
        put_str_q(kv.key, strlen(kv.key), 0, 0, 1);
        printf("%*s %-14s ", kw - (int)strlen(kv.key), "", type);
        put_value_text(g, i, &kv);
        putchar('\n');
    }
    printf("tensors     %zu\n", nt);
    if (!nt)
        return;
    int nw = 4;
    for (size_t i = 0; i < nt; i++) {
        tlpu_gguf_tensor t;
        tlpu_gguf_tensor_info(g, i, &t);
        int l = (int)strlen(t.name);
        nw = l > nw ? (l < 64 ? l : 64) : nw;
    }
    printf("  %-*s  %-18s %-24s %12s %12s %12s\n", nw, "name", "type", "dims (ne0 first)",
           "offset", "file offset", "bytes");
    for (size_t i = 0; i < nt; i++) {
        tlpu_gguf_tensor t;
        char type[48], dims[96], bytes[32];
        tlpu_gguf_tensor_info(g, i, &t);
        if (t.known) {
            snprintf(type, sizeof type, "%s", tlpu_gguf_type_name(t.type));
            snprintf(bytes, sizeof bytes, "%zu", t.size);
        } else {
            snprintf(type, sizeof type, "type %u (unknown)", (unsigned)t.type);
            snprintf(bytes, sizeof bytes, "?");
        }
        dims_text(dims, sizeof dims, &t);
        printf("  %-*s  %-18s %-24s %12zu %12zu %12s\n", nw, t.name, type, dims, t.offset,
               t.file_offset, bytes);
    }
}

static void print_json(const tlpu_gguf *g, const char *path)
{
    size_t nkv = tlpu_gguf_kv_count(g), nt = tlpu_gguf_tensor_count(g);
    fputs("{\"file\": ", stdout);
    put_str(path, strlen(path), 0, 1);
    printf(", \"size\": %zu, \"version\": %u, \"alignment\": %zu, \"data_offset\": %zu, "
           "\"architecture\": ",
           tlpu_gguf_file_size(g), tlpu_gguf_version(g), tlpu_gguf_alignment(g),
           tlpu_gguf_data_offset(g));
    const char *arch = tlpu_gguf_architecture(g);
    if (arch)
        put_str(arch, strlen(arch), 0, 1);
    else
        fputs("null", stdout);
    fputs(",\n \"metadata\": [", stdout);
    for (size_t i = 0; i < nkv; i++) {
        tlpu_gguf_kv kv;
        tlpu_gguf_kv_info(g, i, &kv);
        fputs(i ? ",\n  {\"key\": " : "\n  {\"key\": ", stdout);
        put_str(kv.key, strlen(kv.key), 0, 1);
        printf(", \"type\": \"%s\", ", tlpu_gguf_vtype_name(kv.type));
        if (kv.type != TLPU_GGUF_ARR) {
            fputs("\"value\": ", stdout);
            put_elem(g, i, kv.type, 0, 1);
        } else {
            uint64_t shown = kv.count < SHOWN_ITEMS_JSON ? kv.count : SHOWN_ITEMS_JSON;
            printf("\"elem_type\": \"%s\", \"count\": %llu, \"values\": [",
                   tlpu_gguf_vtype_name(kv.elem_type), (unsigned long long)kv.count);
            for (uint64_t k = 0; k < shown; k++) {
                if (k)
                    fputs(", ", stdout);
                put_elem(g, i, kv.elem_type, k, 1);
            }
            putchar(']');
        }
        putchar('}');
    }
    fputs(nkv ? "\n ],\n \"tensors\": [" : "],\n \"tensors\": [", stdout);
    for (size_t i = 0; i < nt; i++) {
        tlpu_gguf_tensor t;
        tlpu_gguf_tensor_info(g, i, &t);
        fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", stdout);
        put_str(t.name, strlen(t.name), 0, 1);
        if (t.known)
            printf(", \"type\": \"%s\"", tlpu_gguf_type_name(t.type));
        else
            fputs(", \"type\": null", stdout);
        printf(", \"type_id\": %u, \"dims\": [", (unsigned)t.type);
        for (uint32_t d = 0; d < t.n_dims; d++)
            printf(d ? ", %llu" : "%llu", (unsigned long long)t.ne[d]);
        printf("], \"offset\": %zu, \"file_offset\": %zu, \"bytes\": ", t.offset, t.file_offset);
        if (t.known)
            printf("%zu}", t.size);
        else
            fputs("null}", stdout);
    }
    fputs(nt ? "\n ]}\n" : "]}\n", stdout);
}

int cmd_gguf_info(int argc, char **argv)
{
    const char *cmd = "gguf-info", *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_error(cmd, "unknown option '%s'", argv[i]);
            return CLI_USAGE;
        } else if (path) {
            cli_error(cmd, "unexpected argument '%s' (one FILE only)", argv[i]);
            return CLI_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        cli_error(cmd, "FILE is required (usage: tlpu gguf-info FILE [--json])");
        return CLI_USAGE;
    }
    tlpu_gguf *g = NULL;
    char err[1024];
    if (tlpu_gguf_open(path, &g, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "%s", err);
        return CLI_USAGE;
    }
    if (json)
        print_json(g, path);
    else
        print_text(g, path);
    tlpu_gguf_close(g);
    return CLI_OK;
}
