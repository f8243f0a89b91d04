/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_gguf - the GGUF reader (tlpu/gguf.h) against files written by ggml,
 * gguf-py, llama-quantize and bitnet.cpp's llama-quantize (tests/data, each
 * folder's README gives the provenance), and against hostile files.
 *
 *  - vectors/tiny.gguf against its read-back dump by ggml itself
 *    (tiny.gguf.txt): every key, type and value, every tensor's type, shape,
 *    size and offsets, its first data bytes, first values and value sum;
 *  - models/: the metadata and tensor tables of models/README.md for the
 *    TQ2_0, TQ1_0 and F16 files, the whole 384-token vocabulary as the
 *    README describes it, and the three files' weights equal bit for bit
 *    tensor by tensor (and TQ1_0 / TQ2_0 equal trits and scales);
 *  - models-b158/: the tables of its README (architecture bitnet-b1.58,
 *    I2_S = type 36), the I2_S scales of i2s-scales.txt, trits checked
 *    against a decode of the raw bytes written here, the padding ignored,
 *    and id 36 unknown once the architecture is not a bitnet one;
 *  - files built here byte by byte: every value type and getter, versions,
 *    alignment, scalars, BF16/F16 bit patterns, the type-36 rule;
 *  - hostile files: every truncation, huge counts and lengths, unknown
 *    types, nested arrays, bad bools, duplicates, dims, offsets, overlaps,
 *    and seeded random mutations (run under ASan by scripts/test.sh
 *    --sanitize): each a named error at the right file offset;
 *  - I/O and argument errors.
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "tlpu/gguf.h"
#include "tlpu/rng.h"

#define ERRLEN 1024
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- helpers ------------------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static tlpu_gguf *open_file(const char *rel)
{
    char path[1024], err[ERRLEN];
    snprintf(path, sizeof path, "%s/%s", TLPU_TEST_DATA_DIR, rel);
    tlpu_gguf *g = NULL;
    tlpu_status st = tlpu_gguf_open(path, &g, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s: %s (%s)", rel, tlpu_status_name(st), err);
    ck_assert_str_eq(err, "");
    return g;
}

/*
 * The offset of the GGUF string `s` (its u64 length field) in p[0..n): the
 * `nth` occurrence (0 = first). Found by a byte search, not by the reader.
 */
static size_t find_gstr(const uint8_t *p, size_t n, const char *s, int nth)
{
    size_t len = strlen(s);
    for (size_t at = 0; at + 8 + len <= n; at++) {
        uint8_t hdr[8];
        wr64(hdr, len);
        if (memcmp(p + at, hdr, 8) == 0 && memcmp(p + at + 8, s, len) == 0 && nth-- == 0)
            return at;
    }
    ck_abort_msg("'%s' not found", s);
    return 0;
}

/* A metadata entry's value type field (after the key). */
static size_t key_type_at(const uint8_t *p, size_t n, const char *key)
{
    return find_gstr(p, n, key, 0) + 8 + strlen(key);
}

/* A tensor info's fields, by its name's last occurrence in the header. */
typedef struct tfields {
    size_t entry, ndims, dims, type, offset;
} tfields;

static tfields tensor_at(const uint8_t *p, size_t n, const char *name, int nth)
{
    tfields f;
    f.entry = find_gstr(p, n, name, nth);
    f.ndims = f.entry + 8 + strlen(name);
    uint32_t nd = rd32(p + f.ndims);
    f.dims = f.ndims + 4;
    f.type = f.dims + 8 * nd;
    f.offset = f.type + 4;
    return f;
}

/* Opens bytes that must be rejected: the status, a message containing
 * "offset <at>: " and `want`. */
static void expect_reject(const uint8_t *p, size_t n, tlpu_status want_st, size_t at,
                          const char *want, const char *what)
{
    char err[ERRLEN], off[48];
    tlpu_gguf *g = (tlpu_gguf *)(uintptr_t)1;
    tlpu_status st = tlpu_gguf_open_mem(p, n, &g, err, sizeof err);
    ck_assert_msg(st == want_st, "%s: got %s (%s), want %s", what, tlpu_status_name(st), err,
                  tlpu_status_name(want_st));
    ck_assert_msg(g == (tlpu_gguf *)(uintptr_t)1, "%s: *out written on error", what);
    snprintf(off, sizeof off, "offset %zu: ", at);
    ck_assert_msg(strncmp(err, off, strlen(off)) == 0, "%s: '%s' does not start with '%s'", what,
                  err, off);
    ck_assert_msg(strstr(err, want) != NULL, "%s: '%s' does not name '%s'", what, err, want);
}

/* ---- a GGUF builder (independent of the reader) ---------------------------------- */

typedef struct gb {
    uint8_t p[16384];
    size_t n;
} gb;

static void gb_bytes(gb *b, const void *s, size_t n)
{
    ck_assert_uint_le(b->n + n, sizeof b->p);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void gb_u32(gb *b, uint32_t v)
{
    uint8_t t[4];
    wr32(t, v);
    gb_bytes(b, t, 4);
}

static void gb_u64(gb *b, uint64_t v)
{
    uint8_t t[8];
    wr64(t, v);
    gb_bytes(b, t, 8);
}

static void gb_str(gb *b, const char *s)
{
    gb_u64(b, strlen(s));
    gb_bytes(b, s, strlen(s));
}

static void gb_header(gb *b, uint32_t version, uint64_t n_ti, uint64_t n_kv)
{
    b->n = 0;
    gb_bytes(b, "GGUF", 4);
    gb_u32(b, version);
    gb_u64(b, n_ti);
    gb_u64(b, n_kv);
}

/* A scalar entry: key, type, `size` value bytes (little-endian). */
static void gb_kv(gb *b, const char *key, uint32_t type, uint64_t bits, size_t size)
{
    gb_str(b, key);
    gb_u32(b, type);
    uint8_t t[8];
    wr64(t, bits);
    gb_bytes(b, t, size);
}

static void gb_kv_str(gb *b, const char *key, const char *val)
{
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_STR);
    gb_str(b, val);
}

static void gb_ti(gb *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                  uint64_t offset)
{
    gb_str(b, name);
    gb_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++)
        gb_u64(b, ne[d]);
    gb_u32(b, type);
    gb_u64(b, offset);
}

static void gb_pad(gb *b, size_t align)
{
    while (b->n % align)
        gb_bytes(b, "", 1);
}

static tlpu_gguf *gb_open(const gb *b)
{
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    tlpu_status st = tlpu_gguf_open_mem(b->p, b->n, &g, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s (%s)", tlpu_status_name(st), err);
    return g;
}

/* ---- tiny.gguf against ggml's own read-back dump ------------------------------------ */

static const char *after(const char *s, const char *prefix)
{
    const char *p = strstr(s, prefix);
    ck_assert_msg(p != NULL, "'%s' missing", prefix);
    return p + strlen(prefix);
}

/* Checks element `i` of entry `ix` against its text in the dump. */
static void check_dump_elem(const tlpu_gguf *g, size_t ix, tlpu_gguf_vtype t, uint64_t i,
                            const char *text, size_t len)
{
    char v[256];
    ck_assert_uint_lt(len, sizeof v);
    memcpy(v, text, len);
    v[len] = '\0';
    switch (t) {
    case TLPU_GGUF_STR: {
        const char *s;
        size_t sl;
        ck_assert_int_eq(tlpu_gguf_kv_str(g, ix, i, &s, &sl), TLPU_OK);
        ck_assert_uint_eq(sl + 2, len);
        ck_assert_msg(v[0] == '"' && memcmp(s, v + 1, sl) == 0, "%.*s vs %s", (int)sl, s, v);
        break;
    }
    case TLPU_GGUF_U32: {
        uint64_t u;
        ck_assert_int_eq(tlpu_gguf_kv_uint(g, ix, i, &u), TLPU_OK);
        ck_assert_uint_eq(u, strtoull(v, NULL, 10));
        break;
    }
    case TLPU_GGUF_I32: {
        int64_t s;
        ck_assert_int_eq(tlpu_gguf_kv_int(g, ix, i, &s), TLPU_OK);
        ck_assert_int_eq(s, strtoll(v, NULL, 10));
        break;
    }
    case TLPU_GGUF_F32: {
        double d;
        ck_assert_int_eq(tlpu_gguf_kv_float(g, ix, i, &d), TLPU_OK);
        const char *bits = strstr(v, "(bits 0x");
        if (bits) /* exact */
            ck_assert_uint_eq(f32_bits((float)d), strtoul(bits + 8, NULL, 16));
        else /* %g of an f32 with few digits: exact too */
            ck_assert_msg((float)d == strtof(v, NULL), "%g vs %s", d, v);
        break;
    }
    case TLPU_GGUF_BOOL: {
        int b;
        ck_assert_int_eq(tlpu_gguf_kv_bool(g, ix, i, &b), TLPU_OK);
        ck_assert_int_eq(b, strcmp(v, "true") == 0);
        ck_assert_msg(b || strcmp(v, "false") == 0, "%s", v);
        break;
    }
    default:
        ck_abort_msg("type %d in the dump", t);
    }
}

static tlpu_gguf_vtype vtype_named(const char *s, size_t len)
{
    for (int t = 0; t < TLPU_GGUF_VTYPE_COUNT; t++) {
        const char *n = tlpu_gguf_vtype_name((tlpu_gguf_vtype)t);
        if (strlen(n) == len && memcmp(n, s, len) == 0)
            return (tlpu_gguf_vtype)t;
    }
    ck_abort_msg("type %.*s", (int)len, s);
    return TLPU_GGUF_U8;
}

START_TEST(tiny_gguf_matches_ggml_dump)
{
    size_t tn;
    char *txt = (char *)test_read_file("vectors/tiny.gguf.txt", &tn);
    txt[tn] = '\0';
    tlpu_gguf *g = open_file("vectors/tiny.gguf");
    ck_assert_uint_eq(tlpu_gguf_file_size(g), strtoull(after(txt, "file_size: "), NULL, 10));
    ck_assert_uint_eq(tlpu_gguf_version(g), strtoul(after(txt, "version: "), NULL, 10));
    ck_assert_uint_eq(tlpu_gguf_alignment(g), strtoul(after(txt, "alignment: "), NULL, 10));
    ck_assert_uint_eq(tlpu_gguf_data_offset(g), strtoul(after(txt, "data_offset: "), NULL, 10));
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), strtoul(after(txt, "n_kv: "), NULL, 10));
    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), strtoul(after(txt, "n_tensors: "), NULL, 10));
    ck_assert_uint_eq(tlpu_gguf_file_size(g), 7712);
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), 14);
    ck_assert_str_eq(tlpu_gguf_architecture(g), "bitnet");

    /* kv[i] key : type = value */
    int seen_kv = 0;
    for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "\nkv[%zu] ", i);
        const char *line = after(txt, tag);
        const char *colon = strstr(line, " : "), *eq = strstr(line, " = ");
        const char *eol = strchr(line, '\n');
        ck_assert(colon && eq && eol && colon < eq && eq < eol);
        tlpu_gguf_kv kv;
        ck_assert_int_eq(tlpu_gguf_kv_info(g, i, &kv), TLPU_OK);
        ck_assert_uint_eq(strlen(kv.key), (size_t)(colon - line));
        ck_assert(memcmp(kv.key, line, strlen(kv.key)) == 0);
        size_t found;
        ck_assert_int_eq(tlpu_gguf_find_key(g, kv.key, &found), TLPU_OK);
        ck_assert_uint_eq(found, i);
        const char *type = colon + 3, *val = eq + 3;
        if (strncmp(type, "arr[", 4) == 0) {
            const char *comma = strchr(type, ',');
            ck_assert_int_eq(kv.type, TLPU_GGUF_ARR);
            ck_assert_int_eq(kv.elem_type, vtype_named(type + 4, (size_t)(comma - type - 4)));
            ck_assert_uint_eq(kv.count, strtoull(comma + 1, NULL, 10));
            ck_assert(*val == '[');
            const char *e = val + 1;
            for (uint64_t k = 0; k < kv.count; k++) {
                const char *end = strpbrk(e, ",]");
                check_dump_elem(g, i, kv.elem_type, k, e, (size_t)(end - e));
                e = end + 2; /* ", " */
            }
        } else {
            ck_assert_int_eq(kv.type, vtype_named(type, (size_t)(eq - type)));
            ck_assert_int_eq(kv.elem_type, kv.type);
            ck_assert_uint_eq(kv.count, 1);
            check_dump_elem(g, i, kv.type, 0, val, (size_t)(eol - val));
        }
        seen_kv++;
    }
    ck_assert_int_eq(seen_kv, 14);

    /* tensor[i] name=... type=... (ggml_type N) n_dims=N ne=[...] size=N offset=N file_offset=N */
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++) {
        char tag[32], name[64], tname[16];
        unsigned id, nd;
        unsigned long long ne[4], size, off, foff;
        snprintf(tag, sizeof tag, "\ntensor[%zu] ", i);
        const char *line = after(txt, tag);
        ck_assert_int_eq(sscanf(line,
                                "name=%63s type=%15s (ggml_type %u) n_dims=%u ne=[%llu, %llu, "
                                "%llu, %llu] size=%llu offset=%llu file_offset=%llu",
                                name, tname, &id, &nd, &ne[0], &ne[1], &ne[2], &ne[3], &size, &off,
                                &foff),
                         11);
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        ck_assert_str_eq(t.name, name);
        ck_assert_str_eq(tlpu_gguf_type_name(t.type), tname);
        ck_assert_uint_eq(t.type, id);
        ck_assert_int_eq(t.known, 1);
        ck_assert_uint_eq(t.n_dims, nd);
        uint64_t nelem = 1;
        for (int d = 0; d < 4; d++) {
            ck_assert_uint_eq(t.ne[d], ne[d]);
            nelem *= ne[d];
        }
        ck_assert_uint_eq(t.nelem, nelem);
        ck_assert_uint_eq(t.nrows, nelem / ne[0]);
        ck_assert_uint_eq(t.size, size);
        ck_assert_uint_eq(t.offset, off);
        ck_assert_uint_eq(t.file_offset, foff);
        size_t found;
        ck_assert_int_eq(tlpu_gguf_find_tensor(g, name, &found), TLPU_OK);
        ck_assert_uint_eq(found, i);

        /* first 8 data bytes: xx xx ... */
        const char *bytes = after(line, "first 8 data bytes: ");
        const uint8_t *data = t.data;
        for (int k = 0; k < 8; k++)
            ck_assert_uint_eq(data[k], strtoul(bytes + 3 * k, NULL, 16));
        const void *d2;
        size_t s2;
        char err[ERRLEN];
        ck_assert_int_eq(tlpu_gguf_tensor_data(g, i, &d2, &s2, err, sizeof err), TLPU_OK);
        ck_assert_ptr_eq(d2, t.data);
        ck_assert_uint_eq(s2, t.size);

        /* first 4 values (to_float), then the double sum of all of them */
        float *y = malloc(nelem * sizeof *y);
        ck_assert_ptr_nonnull(y);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, i, 0, t.nrows, y, nelem, err, sizeof err),
                         TLPU_OK);
        const char *vals = after(line, "first 4 values (to_float): ");
        char *end;
        for (int k = 0; k < 4; k++) {
            float want = strtof(vals, &end);
            ck_assert_msg(y[k] == want, "%s[%d]: %.9g vs %.9g", name, k, y[k], want);
            vals = end;
        }
        double sum = 0.0;
        for (uint64_t k = 0; k < nelem; k++)
            sum += y[k];
        const char *sp = after(after(line, "sum of all "), "accumulation): ");
        double want = strtod(sp, NULL);
        ck_assert_msg(fabs(sum - want) <= 1e-8 * fmax(1.0, fabs(want)), "%s: sum %.10g vs %.10g",
                      name, sum, want);
        free(y);
    }
    tlpu_gguf_close(g);
    free(txt);
}
END_TEST

/* tiny.gguf's ternary tensors: trits x scales = the floats, rows read alone = the whole. */
START_TEST(tiny_gguf_trits_and_rows)
{
    tlpu_gguf *g = open_file("vectors/tiny.gguf");
    char err[ERRLEN];
    const char *names[2] = {"test.tq1_0", "test.tq2_0"};
    for (int n = 0; n < 2; n++) {
        size_t ix;
        ck_assert_int_eq(tlpu_gguf_find_tensor(g, names[n], &ix), TLPU_OK);
        float y[1024], part[512], sc[4];
        int8_t tr[1024];
        ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 0, 4, y, 1024, err, sizeof err), TLPU_OK);
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, 4, tr, 1024, sc, 4, err, sizeof err),
                         TLPU_OK);
        int zeros = 0;
        for (int k = 0; k < 1024; k++) {
            ck_assert(tr[k] >= -1 && tr[k] <= 1);
            ck_assert_uint_eq(f32_bits(y[k]), f32_bits((float)tr[k] * sc[k / 256]));
            zeros += tr[k] == 0;
        }
        /* ggml's TQ rule (t = round(x / amax) per block) zeroes |x| < amax/2: most weights */
        ck_assert_int_gt(zeros, 600);
        ck_assert_int_lt(zeros, 1000);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 1, 2, part, 512, err, sizeof err), TLPU_OK);
        ck_assert(memcmp(part, y + 256, sizeof part) == 0);
        int8_t tp[256];
        float sp[2] = {-7.0f, -7.0f};
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 3, 1, tp, 256, sp, 1, err, sizeof err),
                         TLPU_OK);
        ck_assert(memcmp(tp, tr + 768, 256) == 0);
        ck_assert_uint_eq(f32_bits(sp[0]), f32_bits(sc[3]));
        ck_assert(sp[1] == -7.0f);
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, 1, tp, 256, NULL, 0, err, sizeof err),
                         TLPU_OK);
        ck_assert(memcmp(tp, tr, 256) == 0);
        /* bad rows, counts and scale counts: named, nothing written */
        memset(part, 0x55, sizeof part);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 3, 2, part, 512, err, sizeof err),
                         TLPU_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(err, "past its 4 rows"));
        ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 5, 0, part, 0, err, sizeof err),
                         TLPU_ERR_INVALID_ARG);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 0, 2, part, 511, err, sizeof err),
                         TLPU_ERR_BUFFER_SIZE);
        ck_assert_ptr_nonnull(strstr(err, "need a buffer of 512, not 511"));
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, 2, tr, 512, sc, 1, err, sizeof err),
                         TLPU_ERR_BUFFER_SIZE);
        ck_assert_ptr_nonnull(strstr(err, "have 2 scales, not 1"));
        for (size_t k = 0; k < 512; k++)
            ck_assert_uint_eq(((uint8_t *)part)[k], 0x55);
    }
    /* f32 is not ternary */
    size_t ix;
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, "test.f32", &ix), TLPU_OK);
    int8_t tr[256];
    ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, 1, tr, 256, NULL, 0, err, sizeof err),
                     TLPU_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err, "offset 790: tensor 0 'test.f32': type f32 is not ternary"));
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, "test.f32_odd", &ix), TLPU_OK);
    float odd[7];
    ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 0, 1, odd, 7, err, sizeof err), TLPU_OK);
    for (int k = 0; k < 7; k++)
        ck_assert(odd[k] == 0.5f * (float)(k + 1));
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, "test.nope", &ix), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, "", &ix), TLPU_ERR_INVALID_ARG);
    tlpu_gguf_close(g);
}
END_TEST

/* An invalid code in packed data: a named error at the block's file offset, nothing written. */
START_TEST(invalid_codes_in_data)
{
    size_t n;
    uint8_t *p = test_read_file("vectors/tiny.gguf", &n);
    p[7424 + 65] ^= 0x00; /* d of block 0 stays */
    p[7424 + 3] = 0xFF;   /* TQ2_0 block 0 at file offset 7424: code 3 */
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n, &g, err, sizeof err), TLPU_OK);
    size_t ix;
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, "test.tq2_0", &ix), TLPU_OK);
    float y[1024];
    int8_t tr[1024];
    memset(y, 0x55, sizeof y);
    memset(tr, 0x55, sizeof tr);
    ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 0, 4, y, 1024, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_str_eq(err, "offset 7424: tensor 4 'test.tq2_0': invalid 2-bit code 3 in tq2_0 "
                          "block 0");
    ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, 4, tr, 1024, NULL, 0, err, sizeof err),
                     TLPU_ERR_FORMAT);
    for (size_t k = 0; k < sizeof y; k++)
        ck_assert_uint_eq(((uint8_t *)y)[k], 0x55);
    for (size_t k = 0; k < sizeof tr; k++)
        ck_assert_uint_eq((uint8_t)tr[k], 0x55);
    /* rows 1..3 do not include block 0 */
    ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 1, 3, y, 768, err, sizeof err), TLPU_OK);
    tlpu_gguf_close(g);
    free(p);
}
END_TEST

/* ---- models/: upstream llama.cpp's bitnet, TQ2_0 / TQ1_0 / F16 ------------------------ */

typedef struct model_tensor {
    const char *name;
    uint64_t ne0, ne1; /* ne1 0: one dimension */
    struct {
        uint32_t type;
        size_t bytes, offset;
    } f[3]; /* TQ2_0, TQ1_0, F16 files */
} model_tensor;

#define F32_ 0
#define F16_ 1
#define TQ1_ 34
#define TQ2_ 35

/* models/README.md, "Tensors" */
static const model_tensor k_model_tensors[24] = {
    {"output_norm.weight", 256, 0, {{F32_, 1024, 0}, {F32_, 1024, 0}, {F32_, 1024, 0}}},
    {"token_embd.weight", 256, 384,
     {{F16_, 196608, 1024}, {F16_, 196608, 1024}, {F16_, 196608, 1024}}},
    {"blk.0.attn_k.weight", 256, 128,
     {{TQ2_, 8448, 197632}, {TQ1_, 6912, 197632}, {F16_, 65536, 197632}}},
    {"blk.0.attn_norm.weight", 256, 0,
     {{F32_, 1024, 206080}, {F32_, 1024, 204544}, {F32_, 1024, 263168}}},
    {"blk.0.attn_output.weight", 256, 256,
     {{TQ2_, 16896, 207104}, {TQ1_, 13824, 205568}, {F16_, 131072, 264192}}},
    {"blk.0.attn_q.weight", 256, 256,
     {{TQ2_, 16896, 224000}, {TQ1_, 13824, 219392}, {F16_, 131072, 395264}}},
    {"blk.0.attn_sub_norm.weight", 256, 0,
     {{F32_, 1024, 240896}, {F32_, 1024, 233216}, {F32_, 1024, 526336}}},
    {"blk.0.attn_v.weight", 256, 128,
     {{TQ2_, 8448, 241920}, {TQ1_, 6912, 234240}, {F16_, 65536, 527360}}},
    {"blk.0.ffn_down.weight", 512, 256,
     {{TQ2_, 33792, 250368}, {TQ1_, 27648, 241152}, {F16_, 262144, 592896}}},
    {"blk.0.ffn_gate.weight", 256, 512,
     {{TQ2_, 33792, 284160}, {TQ1_, 27648, 268800}, {F16_, 262144, 855040}}},
    {"blk.0.ffn_norm.weight", 256, 0,
     {{F32_, 1024, 317952}, {F32_, 1024, 296448}, {F32_, 1024, 1117184}}},
    {"blk.0.ffn_sub_norm.weight", 512, 0,
     {{F32_, 2048, 318976}, {F32_, 2048, 297472}, {F32_, 2048, 1118208}}},
    {"blk.0.ffn_up.weight", 256, 512,
     {{TQ2_, 33792, 321024}, {TQ1_, 27648, 299520}, {F16_, 262144, 1120256}}},
    {"blk.1.attn_k.weight", 256, 128,
     {{TQ2_, 8448, 354816}, {TQ1_, 6912, 327168}, {F16_, 65536, 1382400}}},
    {"blk.1.attn_norm.weight", 256, 0,
     {{F32_, 1024, 363264}, {F32_, 1024, 334080}, {F32_, 1024, 1447936}}},
    {"blk.1.attn_output.weight", 256, 256,
     {{TQ2_, 16896, 364288}, {TQ1_, 13824, 335104}, {F16_, 131072, 1448960}}},
    {"blk.1.attn_q.weight", 256, 256,
     {{TQ2_, 16896, 381184}, {TQ1_, 13824, 348928}, {F16_, 131072, 1580032}}},
    {"blk.1.attn_sub_norm.weight", 256, 0,
     {{F32_, 1024, 398080}, {F32_, 1024, 362752}, {F32_, 1024, 1711104}}},
    {"blk.1.attn_v.weight", 256, 128,
     {{TQ2_, 8448, 399104}, {TQ1_, 6912, 363776}, {F16_, 65536, 1712128}}},
    {"blk.1.ffn_down.weight", 512, 256,
     {{TQ2_, 33792, 407552}, {TQ1_, 27648, 370688}, {F16_, 262144, 1777664}}},
    {"blk.1.ffn_gate.weight", 256, 512,
     {{TQ2_, 33792, 441344}, {TQ1_, 27648, 398336}, {F16_, 262144, 2039808}}},
    {"blk.1.ffn_norm.weight", 256, 0,
     {{F32_, 1024, 475136}, {F32_, 1024, 425984}, {F32_, 1024, 2301952}}},
    {"blk.1.ffn_sub_norm.weight", 512, 0,
     {{F32_, 2048, 476160}, {F32_, 2048, 427008}, {F32_, 2048, 2302976}}},
    {"blk.1.ffn_up.weight", 256, 512,
     {{TQ2_, 33792, 478208}, {TQ1_, 27648, 429056}, {F16_, 262144, 2305024}}},
};

static const struct {
    const char *path;
    size_t size;
    uint32_t file_type;
} k_models[3] = {
    {"models/tiny-bitnet-tq2_0.gguf", 522592, 37},
    {"models/tiny-bitnet-tq1_0.gguf", 467296, 36},
    {"models/tiny-bitnet-f16.gguf", 2577760, 1},
};

/* A scalar value as the README's metadata table states it. */
typedef struct kv_want {
    const char *key;
    tlpu_gguf_vtype type;
    const char *str;   /* str */
    uint64_t u;        /* u32, bool; f32: the bits */
    uint64_t count;    /* arrays: elem type in `u`, count here */
} kv_want;

#define KS(k, s) {k, TLPU_GGUF_STR, s, 0, 0}
#define KU(k, v) {k, TLPU_GGUF_U32, NULL, v, 0}
#define KF(k, bits) {k, TLPU_GGUF_F32, NULL, bits, 0}
#define KB(k, v) {k, TLPU_GGUF_BOOL, NULL, v, 0}
#define KA(k, et, n) {k, TLPU_GGUF_ARR, NULL, et, n}

/* models/README.md, "GGUF metadata"; general.file_type is per file (checked apart) */
static const kv_want k_model_kv[26] = {
    KS("general.architecture", "bitnet"),
    KS("general.name", "tiny-bitnet-random"),
    KU("bitnet.vocab_size", 384),
    KU("bitnet.context_length", 128),
    KU("bitnet.embedding_length", 256),
    KU("bitnet.block_count", 2),
    KU("bitnet.feed_forward_length", 512),
    KU("bitnet.attention.head_count", 4),
    KU("bitnet.attention.head_count_kv", 2),
    KF("bitnet.attention.layer_norm_rms_epsilon", 0x3727C5ACu),
    KF("bitnet.rope.freq_base", 0x48F42400u), /* 500000.0 */
    KU("bitnet.rope.dimension_count", 64),
    KS("bitnet.rope.scaling.type", "linear"),
    KF("bitnet.rope.scaling.factor", 0x3F800000u),
    KS("tokenizer.ggml.model", "llama"),
    KS("tokenizer.ggml.pre", "default"),
    KA("tokenizer.ggml.tokens", TLPU_GGUF_STR, 384),
    KA("tokenizer.ggml.scores", TLPU_GGUF_F32, 384),
    KA("tokenizer.ggml.token_type", TLPU_GGUF_I32, 384),
    KU("tokenizer.ggml.bos_token_id", 1),
    KU("tokenizer.ggml.eos_token_id", 2),
    KU("tokenizer.ggml.unknown_token_id", 0),
    KB("tokenizer.ggml.add_bos_token", 1),
    KB("tokenizer.ggml.add_eos_token", 0),
    KU("general.quantization_version", 2),
    KU("general.file_type", 0), /* per file */
};

/* `file_type`: the value general.file_type must have (the table leaves it to the file). */
static void check_kv_table(const tlpu_gguf *g, const kv_want *w, size_t n, uint32_t file_type)
{
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), n);
    for (size_t i = 0; i < n; i++) {
        tlpu_gguf_kv kv;
        ck_assert_int_eq(tlpu_gguf_kv_info(g, i, &kv), TLPU_OK);
        ck_assert_str_eq(kv.key, w[i].key);
        ck_assert_msg(kv.type == w[i].type, "%s: type %d", kv.key, kv.type);
        const char *s;
        size_t len;
        uint32_t u;
        float f;
        int b;
        switch (w[i].type) {
        case TLPU_GGUF_STR:
            ck_assert_int_eq(tlpu_gguf_get_str(g, kv.key, &s, &len), TLPU_OK);
            ck_assert_msg(len == strlen(w[i].str) && memcmp(s, w[i].str, len) == 0, "%s",
                          kv.key);
            break;
        case TLPU_GGUF_U32:
            ck_assert_int_eq(tlpu_gguf_get_u32(g, kv.key, &u), TLPU_OK);
            ck_assert_msg(u == (strcmp(kv.key, "general.file_type") == 0 ? file_type : w[i].u),
                          "%s: %u", kv.key, u);
            break;
        case TLPU_GGUF_F32:
            ck_assert_int_eq(tlpu_gguf_get_f32(g, kv.key, &f), TLPU_OK);
            ck_assert_msg(f32_bits(f) == w[i].u, "%s: %a", kv.key, (double)f);
            break;
        case TLPU_GGUF_BOOL:
            ck_assert_int_eq(tlpu_gguf_get_bool(g, kv.key, &b), TLPU_OK);
            ck_assert_int_eq(b, (int)w[i].u);
            break;
        default: {
            size_t ix;
            tlpu_gguf_vtype et;
            uint64_t cnt;
            ck_assert_int_eq(tlpu_gguf_get_arr(g, kv.key, &ix, &et, &cnt), TLPU_OK);
            ck_assert_uint_eq(ix, i);
            ck_assert_int_eq(et, (int)w[i].u);
            ck_assert_uint_eq(cnt, w[i].count);
            ck_assert_int_eq(kv.elem_type, et);
            ck_assert_uint_eq(kv.count, cnt);
            break;
        }
        }
    }
}

static void check_tok(const tlpu_gguf *g, size_t ix, uint64_t id, const char *want)
{
    const char *s;
    size_t len;
    ck_assert_int_eq(tlpu_gguf_kv_str(g, ix, id, &s, &len), TLPU_OK);
    ck_assert_msg(len == strlen(want) && memcmp(s, want, len) == 0, "token %llu: '%.*s' != '%s'",
                  (unsigned long long)id, (int)len, s, want);
}

START_TEST(models_tables)
{
    tlpu_gguf *g = open_file(k_models[_i].path);
    ck_assert_uint_eq(tlpu_gguf_file_size(g), k_models[_i].size);
    ck_assert_uint_eq(tlpu_gguf_version(g), 3);
    ck_assert_uint_eq(tlpu_gguf_alignment(g), 32);
    ck_assert_uint_eq(tlpu_gguf_data_offset(g), 10592);
    ck_assert_str_eq(tlpu_gguf_architecture(g), "bitnet");
    check_kv_table(g, k_model_kv, 26, k_models[_i].file_type);
    size_t ix;
    ck_assert_int_eq(tlpu_gguf_find_key(g, "general.alignment", &ix), TLPU_ERR_INVALID_ARG);

    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), 24);
    for (size_t i = 0; i < 24; i++) {
        const model_tensor *w = &k_model_tensors[i];
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        ck_assert_str_eq(t.name, w->name);
        ck_assert_uint_eq(t.n_dims, w->ne1 ? 2 : 1);
        ck_assert_uint_eq(t.ne[0], w->ne0);
        ck_assert_uint_eq(t.ne[1], w->ne1 ? w->ne1 : 1);
        ck_assert_uint_eq(t.ne[2], 1);
        ck_assert_uint_eq(t.type, w->f[_i].type);
        ck_assert_int_eq(t.known, 1);
        ck_assert_uint_eq(t.size, w->f[_i].bytes);
        ck_assert_uint_eq(t.offset, w->f[_i].offset);
        ck_assert_uint_eq(t.file_offset, 10592 + w->f[_i].offset);
    }

    /* the vocabulary as models/README.md "Tokenizer" describes it */
    static const char *const normal[] = {
        "e", "t", "a", "o", "i", "n", "s", "h", "r", "d", "l", "c", "u", "m", "w", "f", "g",
        "y", "p", "b", "v", "k", "j", "x", "q", "z", "E", "T", "A", "O", "I", "N", "S", "H",
        "R", "D", "L", "C", "U", "M", "W", "F", "G", "Y", "P", "B", "V", "K", "J", "X", "Q",
        "Z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ".", ",", "!", "?", "'", "-",
        ":", ";", "(", ")", "\"",
        "\xe2\x96\x81t", "\xe2\x96\x81th", "\xe2\x96\x81the", "\xe2\x96\x81" "a",
        "\xe2\x96\x81" "an", "\xe2\x96\x81" "and", "\xe2\x96\x81o", "\xe2\x96\x81of",
        "\xe2\x96\x81to", "\xe2\x96\x81i", "\xe2\x96\x81in", "\xe2\x96\x81is", "\xe2\x96\x81it",
        "\xe2\x96\x81tha", "\xe2\x96\x81that", "\xe2\x96\x81w", "\xe2\x96\x81wa",
        "\xe2\x96\x81was", "\xe2\x96\x81" "f", "\xe2\x96\x81" "fo", "\xe2\x96\x81" "for",
        "\xe2\x96\x81on", "\xe2\x96\x81" "ar", "\xe2\x96\x81" "are", "\xe2\x96\x81wi",
        "\xe2\x96\x81wit", "\xe2\x96\x81with", "\xe2\x96\x81" "as", "\xe2\x96\x81h",
        "\xe2\x96\x81hi", "\xe2\x96\x81his", "\xe2\x96\x81they", "\xe2\x96\x81" "b",
        "\xe2\x96\x81" "be", "\xe2\x96\x81" "at", "\xe2\x96\x81one", "\xe2\x96\x81ha",
        "\xe2\x96\x81hav", "\xe2\x96\x81have", "\xe2\x96\x81thi", "\xe2\x96\x81this",
        "\xe2\x96\x81" "fr", "\xe2\x96\x81" "fro", "\xe2\x96\x81" "from", "\xe2\x96\x81or",
        "\xe2\x96\x81had", "\xe2\x96\x81" "by", "\xe2\x96\x81wo", "\xe2\x96\x81wor",
        "\xe2\x96\x81word", "\xe2\x96\x81" "bu",
    };
    ck_assert_int_eq(COUNT(normal), 384 - 260);
    size_t tok, sc, ty;
    tlpu_gguf_vtype et;
    uint64_t cnt;
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.tokens", &tok, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.scores", &sc, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.token_type", &ty, &et, &cnt), TLPU_OK);
    check_tok(g, tok, 0, "<unk>");
    check_tok(g, tok, 1, "<s>");
    check_tok(g, tok, 2, "</s>");
    for (unsigned b = 0; b < 256; b++) {
        char want[8];
        snprintf(want, sizeof want, "<0x%02X>", b);
        check_tok(g, tok, b + 3, want);
    }
    check_tok(g, tok, 259, "\xe2\x96\x81");
    for (int k = 0; k < COUNT(normal); k++)
        check_tok(g, tok, 260 + (uint64_t)k, normal[k]);
    for (uint64_t id = 0; id < 384; id++) {
        int64_t type;
        double score;
        ck_assert_int_eq(tlpu_gguf_kv_int(g, ty, id, &type), TLPU_OK);
        ck_assert_int_eq(tlpu_gguf_kv_float(g, sc, id, &score), TLPU_OK);
        ck_assert_int_eq(type, id == 0 ? 2 : id < 3 ? 3 : id < 259 ? 6 : 1);
        ck_assert(score == (id < 259 ? 0.0 : -(double)(id - 259)));
    }
    const char *s;
    size_t len;
    ck_assert_int_eq(tlpu_gguf_kv_str(g, tok, 384, &s, &len), TLPU_ERR_INVALID_ARG);
    tlpu_gguf_close(g);
}
END_TEST

/*
 * The three files hold the same weights (models/README.md says "bit for bit";
 * in fact the F16 file stores -0.0 for the zero trits numpy rounded from
 * negative values, where TQ dequantization gives +0.0: the values are equal,
 * and every other bit pattern is identical).
 */
static void check_same(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t k = 0; k < n; k++) {
        uint32_t x = f32_bits(a[k]), y = f32_bits(b[k]);
        ck_assert_msg(x == y || (a[k] == 0.0f && b[k] == 0.0f), "%s[%zu]: %a vs %a", what, k,
                      (double)a[k], (double)b[k]);
    }
}

START_TEST(models_same_weights)
{
    tlpu_gguf *g[3];
    for (int f = 0; f < 3; f++)
        g[f] = open_file(k_models[f].path);
    char err[ERRLEN];
    size_t ternary = 0;
    for (size_t i = 0; i < 24; i++) {
        const model_tensor *w = &k_model_tensors[i];
        size_t n = w->ne0 * (w->ne1 ? w->ne1 : 1), rows = n / w->ne0;
        float *y[3];
        for (int f = 0; f < 3; f++) {
            size_t ix;
            ck_assert_int_eq(tlpu_gguf_find_tensor(g[f], w->name, &ix), TLPU_OK);
            ck_assert_uint_eq(ix, i);
            y[f] = malloc(n * sizeof(float));
            ck_assert_ptr_nonnull(y[f]);
            ck_assert_int_eq(tlpu_gguf_read_f32(g[f], ix, 0, rows, y[f], n, err, sizeof err),
                             TLPU_OK);
        }
        check_same(y[0], y[2], n, w->name);
        check_same(y[1], y[2], n, w->name);
        ck_assert_msg(memcmp(y[0], y[1], n * sizeof(float)) == 0, "%s: tq2_0 != tq1_0", w->name);
        if (w->f[0].type == TQ2_) {
            /* equal trits and scales, nonzero per block (README: every block has nonzero trits) */
            int8_t *t2 = malloc(n), *t1 = malloc(n);
            float *s2 = malloc(n / 256 * sizeof(float)), *s1 = malloc(n / 256 * sizeof(float));
            ck_assert(t2 && t1 && s2 && s1);
            ck_assert_int_eq(tlpu_gguf_read_trits(g[0], i, 0, rows, t2, n, s2, n / 256, err,
                                                  sizeof err),
                             TLPU_OK);
            ck_assert_int_eq(tlpu_gguf_read_trits(g[1], i, 0, rows, t1, n, s1, n / 256, err,
                                                  sizeof err),
                             TLPU_OK);
            ck_assert(memcmp(t1, t2, n) == 0);
            ck_assert(memcmp(s1, s2, n / 256 * sizeof(float)) == 0);
            for (size_t b = 0; b < n / 256; b++)
                ck_assert(s2[b] > 0.0f);
            free(t2);
            free(t1);
            free(s2);
            free(s1);
            ternary++;
        }
        for (int f = 0; f < 3; f++)
            free(y[f]);
    }
    ck_assert_uint_eq(ternary, 14);
    for (int f = 0; f < 3; f++)
        tlpu_gguf_close(g[f]);
}
END_TEST

/* ---- models-b158/: bitnet.cpp's bitnet-b1.58 with I2_S ------------------------------- */

typedef struct b158_tensor {
    const char *name;
    uint64_t ne0, ne1;
    uint32_t type;
    size_t bytes, offset;
} b158_tensor;

#define I2S_ 36

/* models-b158/README.md, "Tensors" (blk.1 offsets from its list) */
static const b158_tensor k_b158_tensors[24] = {
    {"token_embd.weight", 256, 450, F16_, 230400, 0},
    {"blk.0.attn_norm.weight", 256, 0, F32_, 1024, 230400},
    {"blk.0.attn_q.weight", 256, 256, I2S_, 16416, 231424},
    {"blk.0.attn_k.weight", 256, 64, I2S_, 4128, 247840},
    {"blk.0.attn_v.weight", 256, 64, I2S_, 4128, 251968},
    {"blk.0.attn_sub_norm.weight", 256, 0, F32_, 1024, 256096},
    {"blk.0.attn_output.weight", 256, 256, I2S_, 16416, 257120},
    {"blk.0.ffn_norm.weight", 256, 0, F32_, 1024, 273536},
    {"blk.0.ffn_gate.weight", 256, 768, I2S_, 49184, 274560},
    {"blk.0.ffn_up.weight", 256, 768, I2S_, 49184, 323744},
    {"blk.0.ffn_sub_norm.weight", 768, 0, F32_, 3072, 372928},
    {"blk.0.ffn_down.weight", 768, 256, I2S_, 49184, 376000},
    {"blk.1.attn_norm.weight", 256, 0, F32_, 1024, 425184},
    {"blk.1.attn_q.weight", 256, 256, I2S_, 16416, 426208},
    {"blk.1.attn_k.weight", 256, 64, I2S_, 4128, 442624},
    {"blk.1.attn_v.weight", 256, 64, I2S_, 4128, 446752},
    {"blk.1.attn_sub_norm.weight", 256, 0, F32_, 1024, 450880},
    {"blk.1.attn_output.weight", 256, 256, I2S_, 16416, 451904},
    {"blk.1.ffn_norm.weight", 256, 0, F32_, 1024, 468320},
    {"blk.1.ffn_gate.weight", 256, 768, I2S_, 49184, 469344},
    {"blk.1.ffn_up.weight", 256, 768, I2S_, 49184, 518528},
    {"blk.1.ffn_sub_norm.weight", 768, 0, F32_, 3072, 567712},
    {"blk.1.ffn_down.weight", 768, 256, I2S_, 49184, 570784},
    {"output_norm.weight", 256, 0, F32_, 1024, 619968},
};

/* models-b158/README.md, the 24 keys in order (general.file_type = 40). */
static const kv_want k_b158_kv[24] = {
    KS("general.architecture", "bitnet-b1.58"),
    KS("general.name", "tiny-bitnet-b1.58-random"),
    KU("bitnet-b1.58.vocab_size", 450),
    KU("bitnet-b1.58.context_length", 128),
    KU("bitnet-b1.58.embedding_length", 256),
    KU("bitnet-b1.58.block_count", 2),
    KU("bitnet-b1.58.feed_forward_length", 768),
    KU("bitnet-b1.58.rope.dimension_count", 64),
    KU("bitnet-b1.58.attention.head_count", 4),
    KU("bitnet-b1.58.attention.head_count_kv", 1),
    KB("tokenizer.ggml.add_bos_token", 1),
    KF("bitnet-b1.58.attention.layer_norm_rms_epsilon", 0x3727C5ACu),
    KF("bitnet-b1.58.rope.freq_base", 0x48F42400u),
    KU("general.file_type", 40), /* checked against check_kv_table's file_type */
    KS("tokenizer.ggml.model", "gpt2"),
    KA("tokenizer.ggml.tokens", TLPU_GGUF_STR, 450),
    KA("tokenizer.ggml.scores", TLPU_GGUF_F32, 450),
    KA("tokenizer.ggml.token_type", TLPU_GGUF_I32, 450),
    KA("tokenizer.ggml.merges", TLPU_GGUF_STR, 178),
    KU("tokenizer.ggml.bos_token_id", 434),
    KU("tokenizer.ggml.eos_token_id", 435),
    KU("tokenizer.ggml.padding_token_id", 435),
    KS("tokenizer.chat_template",
       "{% for message in messages %}{% if loop.index0 == 0 %}{{ bos_token }}{% endif %}"
       "{% set content = message['role'] | capitalize + ': '+ message['content'] | trim + "
       "'<|eot_id|>' %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
       "{{ 'Assistant: ' }}{% endif %}"),
    KU("general.quantization_version", 2),
};

static void check_b158_vocab(const tlpu_gguf *g)
{
    size_t tok, ty, sc, mg;
    tlpu_gguf_vtype et;
    uint64_t cnt;
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.tokens", &tok, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.token_type", &ty, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.scores", &sc, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "tokenizer.ggml.merges", &mg, &et, &cnt), TLPU_OK);
    check_tok(g, tok, 0, "!");
    check_tok(g, tok, 220, "\xc4\xa0"); /* Ġ */
    check_tok(g, tok, 198, "\xc4\x8a"); /* Ċ */
    check_tok(g, tok, 197, "\xc4\x89"); /* ĉ */
    check_tok(g, tok, 256, "\xc4\xa0t");
    check_tok(g, tok, 433, "done");
    check_tok(g, mg, 0, "\xc4\xa0 t"); /* merge rank 0 makes id 256 */
    static const char *const specials[16] = {
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
        "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|reserved_special_token_3|>",
        "<|reserved_special_token_4|>", "<|reserved_special_token_5|>",
        "<|reserved_special_token_6|>", "<|reserved_special_token_7|>"};
    for (int k = 0; k < 16; k++)
        check_tok(g, tok, 434 + (uint64_t)k, specials[k]);
    for (uint64_t id = 0; id < 450; id++) {
        int64_t t;
        double s;
        ck_assert_int_eq(tlpu_gguf_kv_int(g, ty, id, &t), TLPU_OK);
        ck_assert_int_eq(t, id < 434 ? 1 : 3);
        ck_assert_int_eq(tlpu_gguf_kv_float(g, sc, id, &s), TLPU_OK);
        ck_assert(s == 0.0);
    }
    /* every merge "left right" joins into token 256 + rank */
    for (uint64_t r = 0; r < 178; r++) {
        const char *m, *t;
        size_t ml, tl;
        ck_assert_int_eq(tlpu_gguf_kv_str(g, mg, r, &m, &ml), TLPU_OK);
        ck_assert_int_eq(tlpu_gguf_kv_str(g, tok, 256 + r, &t, &tl), TLPU_OK);
        const char *sp = memchr(m, ' ', ml);
        ck_assert_ptr_nonnull(sp);
        size_t a = (size_t)(sp - m);
        ck_assert_uint_eq(tl, ml - 1);
        ck_assert(memcmp(t, m, a) == 0 && memcmp(t + a, sp + 1, ml - a - 1) == 0);
    }
}

START_TEST(b158_tables)
{
    tlpu_gguf *g = open_file("models-b158/tiny-b158-i2_s.gguf");
    ck_assert_uint_eq(tlpu_gguf_file_size(g), 634656);
    ck_assert_uint_eq(tlpu_gguf_version(g), 3);
    ck_assert_uint_eq(tlpu_gguf_data_offset(g), 13664);
    ck_assert_str_eq(tlpu_gguf_architecture(g), "bitnet-b1.58");
    check_kv_table(g, k_b158_kv, 24, 40);
    size_t ix;
    ck_assert_int_eq(tlpu_gguf_find_key(g, "tokenizer.ggml.pre", &ix), TLPU_ERR_INVALID_ARG);
    check_b158_vocab(g);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), 24);
    for (size_t i = 0; i < 24; i++) {
        const b158_tensor *w = &k_b158_tensors[i];
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        ck_assert_str_eq(t.name, w->name);
        ck_assert_uint_eq(t.n_dims, w->ne1 ? 2 : 1);
        ck_assert_uint_eq(t.ne[0], w->ne0);
        ck_assert_uint_eq(t.ne[1], w->ne1 ? w->ne1 : 1);
        ck_assert_uint_eq(t.type, w->type);
        ck_assert_int_eq(t.known, 1);
        ck_assert_uint_eq(t.size, w->bytes);
        ck_assert_uint_eq(t.offset, w->offset);
        if (w->type == I2S_)
            ck_assert_uint_eq(t.size, t.nelem / 4 + 32);
    }
    tlpu_gguf_close(g);

    /*
     * The vocab-only file: the same keys plus tokenizer.ggml.pre after the model, no tensors.
     * The README says 25 keys, but gen_model.py writes it with gguf-py directly, and only
     * llama-quantize adds general.quantization_version: the header says 24, and these are they.
     */
    g = open_file("models-b158/vocab-llama-bpe.gguf");
    ck_assert_uint_eq(tlpu_gguf_file_size(g), 12256);
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), 24);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), 0);
    tlpu_gguf_kv kv;
    for (size_t i = 0; i < 24; i++) {
        ck_assert_int_eq(tlpu_gguf_kv_info(g, i, &kv), TLPU_OK);
        ck_assert_str_eq(kv.key, i < 15 ? k_b158_kv[i].key
                                 : i == 15 ? "tokenizer.ggml.pre"
                                           : k_b158_kv[i - 1].key);
    }
    ck_assert_int_eq(tlpu_gguf_find_key(g, "general.quantization_version", &ix),
                     TLPU_ERR_INVALID_ARG);
    const char *s;
    size_t len;
    ck_assert_int_eq(tlpu_gguf_get_str(g, "tokenizer.ggml.pre", &s, &len), TLPU_OK);
    ck_assert(len == 9 && memcmp(s, "llama-bpe", 9) == 0);
    uint32_t ft;
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "general.file_type", &ft), TLPU_OK);
    ck_assert_uint_eq(ft, 0);
    check_b158_vocab(g);
    tlpu_gguf_close(g);
}
END_TEST

/* I2_S: the scales of i2s-scales.txt, trits as the raw bytes say, padding ignored. */
START_TEST(b158_i2s_weights)
{
    size_t sn, n;
    char *scales = (char *)test_read_file("models-b158/i2s-scales.txt", &sn);
    scales[sn] = '\0';
    uint8_t *p = test_read_file("models-b158/tiny-b158-i2_s.gguf", &n);
    ck_assert_uint_eq(n, 634656);
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n, &g, err, sizeof err), TLPU_OK);
    int lines = 0;
    for (char *line = scales; *line;) {
        char name[64], *eol = strchr(line, '\n');
        double value;
        unsigned bits;
        ck_assert_int_eq(sscanf(line, "%63s %lf %x", name, &value, &bits), 3);
        size_t ix;
        ck_assert_int_eq(tlpu_gguf_find_tensor(g, name, &ix), TLPU_OK);
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, ix, &t), TLPU_OK);
        ck_assert_uint_eq(t.type, TLPU_GGUF_TYPE_I2_S);
        size_t ne = (size_t)t.nelem;
        int8_t *tr = malloc(ne);
        float *y = malloc(ne * sizeof *y), sc = 0.0f;
        ck_assert(tr && y);
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, t.nrows, tr, ne, &sc, 1, err, sizeof err),
                         TLPU_OK);
        ck_assert_msg(f32_bits(sc) == bits, "%s: scale %08x, want %08x", name, f32_bits(sc), bits);
        ck_assert((double)sc == (double)(float)value);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 0, t.nrows, y, ne, err, sizeof err), TLPU_OK);
        /* the raw bytes, decoded here: weight 128b + 32j + m is in bits
         * [7-2j : 6-2j] of byte 32b + m */
        const uint8_t *raw = t.data;
        size_t zeros = 0;
        for (size_t w = 0; w < ne; w++) {
            size_t b = w / 128, j = (w % 128) / 32, m = w % 32;
            unsigned code = (raw[32 * b + m] >> (6 - 2 * j)) & 3u;
            ck_assert_uint_lt(code, 3);
            ck_assert_int_eq(tr[w], (int)code - 1);
            ck_assert_uint_eq(f32_bits(y[w]), f32_bits((float)tr[w] * sc));
            zeros += tr[w] == 0;
        }
        /* absmean of a Gaussian: about 31% zeros */
        ck_assert_msg(zeros * 100 > ne * 25 && zeros * 100 < ne * 37, "%s: %zu of %zu zero", name,
                      zeros, ne);
        /* rows read alone: the same trits, the same one scale */
        int8_t row[768];
        float rs = 0.0f;
        ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, t.nrows - 1, 1, row, (size_t)t.ne[0], &rs,
                                              1, err, sizeof err),
                         TLPU_OK);
        ck_assert(memcmp(row, tr + ne - t.ne[0], (size_t)t.ne[0]) == 0);
        ck_assert(rs == sc);
        free(tr);
        free(y);
        lines++;
        line = eol ? eol + 1 : line + strlen(line);
    }
    ck_assert_int_eq(lines, 14);

    /* the 28 tail bytes after each scale are leftovers (non-zero in this file): ignored */
    size_t ix;
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, "blk.0.attn_k.weight", &ix), TLPU_OK);
    tlpu_gguf_tensor t;
    ck_assert_int_eq(tlpu_gguf_tensor_info(g, ix, &t), TLPU_OK);
    const uint8_t *tail = (const uint8_t *)t.data + t.nelem / 4 + 4;
    int nonzero = 0;
    for (int k = 0; k < 28; k++)
        nonzero |= tail[k];
    float before[256], after_[256];
    ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 5, 1, before, 256, err, sizeof err), TLPU_OK);
    memset(p + t.file_offset + t.nelem / 4 + 4, nonzero ? 0x00 : 0xAB, 28);
    ck_assert_int_eq(tlpu_gguf_read_f32(g, ix, 5, 1, after_, 256, err, sizeof err), TLPU_OK);
    ck_assert(memcmp(before, after_, sizeof before) == 0);

    /* a code 3 in the codes: a named error at its block */
    p[t.file_offset + 32 * 3 + 7] |= 0x30;
    int8_t tr[16384];
    ck_assert_int_eq(tlpu_gguf_read_trits(g, ix, 0, 64, tr, 16384, NULL, 0, err, sizeof err),
                     TLPU_ERR_FORMAT);
    char want[160];
    snprintf(want, sizeof want,
             "offset %zu: tensor 3 'blk.0.attn_k.weight': invalid 2-bit code 3 in i2_s block 3",
             t.file_offset + 96);
    ck_assert_str_eq(err, want);
    tlpu_gguf_close(g);
    free(p);
    free(scales);
}
END_TEST

/*
 * Type 36 is I2_S only in bitnet architectures or with general.file_type 40:
 * elsewhere unknown, the other tensors unaffected.
 */
START_TEST(b158_type36_needs_bitnet_arch)
{
    size_t n;
    uint8_t *p = test_read_file("models-b158/tiny-b158-i2_s.gguf", &n);
    size_t at = find_gstr(p, n, "bitnet-b1.58", 0);
    memcpy(p + at + 8, "llama4-b1.58", 12);
    size_t ft = key_type_at(p, n, "general.file_type");
    ck_assert_uint_eq(rd32(p + ft + 4), 40);
    wr32(p + ft + 4, 1);
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n, &g, err, sizeof err), TLPU_OK);
    ck_assert_str_eq(tlpu_gguf_architecture(g), "llama4-b1.58");
    for (size_t i = 0; i < 24; i++) {
        const b158_tensor *w = &k_b158_tensors[i];
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        ck_assert_uint_eq(t.type, w->type);
        ck_assert_uint_eq(t.offset, w->offset);
        const void *d;
        size_t sz;
        tlpu_status st = tlpu_gguf_tensor_data(g, i, &d, &sz, err, sizeof err);
        if (w->type == I2S_) {
            ck_assert_int_eq(t.known, 0);
            ck_assert_uint_eq(t.size, 0);
            ck_assert_ptr_null(t.data);
            ck_assert_int_eq(st, TLPU_ERR_UNSUPPORTED);
            ck_assert_ptr_nonnull(strstr(err, "type 36 is I2_S only in bitnet architectures or "
                                              "files with general.file_type 40, and this file's "
                                              "architecture is 'llama4-b1.58'"));
            float y[256];
            ck_assert_int_eq(tlpu_gguf_read_f32(g, i, 0, 1, y, 256, err, sizeof err),
                             TLPU_ERR_UNSUPPORTED);
        } else {
            ck_assert_int_eq(t.known, 1);
            ck_assert_uint_eq(t.size, w->bytes);
            ck_assert_int_eq(st, TLPU_OK);
            ck_assert_ptr_eq(d, t.data);
        }
    }
    tlpu_gguf_close(g);
    free(p);

    /* the same file with file_type 40 back: I2_S again */
    p = test_read_file("models-b158/tiny-b158-i2_s.gguf", &n);
    memcpy(p + at + 8, "llama4-b1.58", 12);
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n, &g, err, sizeof err), TLPU_OK);
    for (size_t i = 0; i < 24; i++) {
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        ck_assert_int_eq(t.known, 1);
        ck_assert_uint_eq(t.size, k_b158_tensors[i].bytes);
    }
    tlpu_gguf_close(g);
    free(p);

    /* built files: bitnet-25 (the 2B4T file's earlier name), bitnet, and llama with
     * file_type 40 (u32, or any integer type) read 36 as I2_S; llama, none, and
     * file_type 39 do not */
    gb b;
    const uint64_t ne[2] = {128, 2};
    const char *arch[7] = {"bitnet-25", "bitnet", "llama", "llama", "llama", "llama", NULL};
    const int ftype[7] = {-1, -1, 40, 4000, -1, 39, -1};
    const int known[7] = {1, 1, 1, 1, 0, 0, 0};
    for (int a = 0; a < 7; a++) {
        gb_header(&b, 3, 1, (arch[a] ? 1 : 0) + (ftype[a] >= 0 ? 1 : 0));
        if (arch[a])
            gb_kv_str(&b, "general.architecture", arch[a]);
        if (ftype[a] == 4000) /* 40 as an i64 */
            gb_kv(&b, "general.file_type", TLPU_GGUF_I64, 40, 8);
        else if (ftype[a] >= 0)
            gb_kv(&b, "general.file_type", TLPU_GGUF_U32, (uint64_t)ftype[a], 4);
        gb_ti(&b, "w", 2, ne, 36, 0);
        gb_pad(&b, 32);
        size_t data = b.n;
        uint8_t codes[64 + 32] = {0};
        memset(codes, 0x55, 64); /* every trit 0 */
        codes[0] = 0xA2;         /* weights 0, 32, 64, 96: codes 2, 2, 0, 2 = +1, +1, -1, +1 */
        float scale = 0.25f;
        memcpy(codes + 64, &scale, 4);
        gb_bytes(&b, codes, sizeof codes);
        g = gb_open(&b);
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, 0, &t), TLPU_OK);
        ck_assert_int_eq(t.known, known[a]);
        if (known[a]) {
            ck_assert_uint_eq(t.size, 96);
            ck_assert_uint_eq(t.file_offset, data);
            float y[256];
            ck_assert_int_eq(tlpu_gguf_read_f32(g, 0, 0, 2, y, 256, err, sizeof err), TLPU_OK);
            for (int k = 0; k < 256; k++) {
                float want = k == 0 || k == 32 || k == 96 ? 0.25f : k == 64 ? -0.25f : 0.0f;
                ck_assert_msg(y[k] == want, "%d: %g", k, (double)y[k]);
            }
        } else {
            const void *d;
            size_t sz;
            ck_assert_int_eq(tlpu_gguf_tensor_data(g, 0, &d, &sz, err, sizeof err),
                             TLPU_ERR_UNSUPPORTED);
            ck_assert_ptr_nonnull(strstr(err, arch[a] ? "this file's architecture is 'llama'"
                                                      : "this file's architecture is '(none)'"));
        }
        tlpu_gguf_close(g);
    }
}
END_TEST

/* ---- files built here ----------------------------------------------------------------- */

START_TEST(every_value_type)
{
    gb b;
    gb_header(&b, 3, 0, 22);
    gb_kv(&b, "u8", TLPU_GGUF_U8, 200, 1);
    gb_kv(&b, "i8", TLPU_GGUF_I8, (uint8_t)-100, 1);
    gb_kv(&b, "u16", TLPU_GGUF_U16, 60000, 2);
    gb_kv(&b, "i16", TLPU_GGUF_I16, (uint16_t)-30000, 2);
    gb_kv(&b, "u32", TLPU_GGUF_U32, 4000000000u, 4);
    gb_kv(&b, "i32", TLPU_GGUF_I32, (uint32_t)-2000000000, 4);
    gb_kv(&b, "f32", TLPU_GGUF_F32, 0x3FC00000u, 4); /* 1.5 */
    gb_kv(&b, "bool", TLPU_GGUF_BOOL, 1, 1);
    gb_kv_str(&b, "str", "h\xc3\xa9llo");
    gb_kv(&b, "u64", TLPU_GGUF_U64, 0x8000000000000005ull, 8);
    gb_kv(&b, "i64", TLPU_GGUF_I64, 0x8000000000000000ull, 8); /* INT64_MIN */
    gb_kv(&b, "f64", TLPU_GGUF_F64, 0x3FB999999999999Aull, 8); /* 0.1 */
    gb_kv(&b, "f64big", TLPU_GGUF_F64, 0x7E37E43C8800759Cull, 8); /* 1e300 */
    gb_kv(&b, "i16neg1", TLPU_GGUF_I16, 0xFFFF, 2);
    gb_kv(&b, "i8min", TLPU_GGUF_I8, 0x80, 1);
    /* arrays: i16 [-1, 2, -32768], bool [1, 0], str ["", "a b"], empty u64, f64 [2.5], u8 [] */
    gb_str(&b, "arr_i16");
    gb_u32(&b, TLPU_GGUF_ARR);
    gb_u32(&b, TLPU_GGUF_I16);
    gb_u64(&b, 3);
    gb_bytes(&b, "\xff\xff\x02\x00\x00\x80", 6);
    gb_str(&b, "arr_bool");
    gb_u32(&b, TLPU_GGUF_ARR);
    gb_u32(&b, TLPU_GGUF_BOOL);
    gb_u64(&b, 2);
    gb_bytes(&b, "\x01\x00", 2);
    gb_str(&b, "arr_str");
    gb_u32(&b, TLPU_GGUF_ARR);
    gb_u32(&b, TLPU_GGUF_STR);
    gb_u64(&b, 2);
    gb_str(&b, "");
    gb_str(&b, "a b");
    gb_str(&b, "arr_u64_empty");
    gb_u32(&b, TLPU_GGUF_ARR);
    gb_u32(&b, TLPU_GGUF_U64);
    gb_u64(&b, 0);
    gb_str(&b, "arr_f64");
    gb_u32(&b, TLPU_GGUF_ARR);
    gb_u32(&b, TLPU_GGUF_F64);
    gb_u64(&b, 1);
    gb_u64(&b, 0x4004000000000000ull); /* 2.5 */
    gb_str(&b, "arr_str_empty");
    gb_u32(&b, TLPU_GGUF_ARR);
    gb_u32(&b, TLPU_GGUF_STR);
    gb_u64(&b, 0);
    gb_kv_str(&b, "", "empty key");
    tlpu_gguf *g = gb_open(&b);
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), 22);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), 0);
    ck_assert_ptr_null(tlpu_gguf_architecture(g));
    ck_assert_uint_eq(tlpu_gguf_alignment(g), 32);
    ck_assert_uint_eq(tlpu_gguf_data_offset(g) % 32, 0);

    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    float f;
    int bo;
    const char *s;
    size_t len, ix;
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "u8", &u32), TLPU_OK);
    ck_assert_uint_eq(u32, 200);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "u16", &u32), TLPU_OK);
    ck_assert_uint_eq(u32, 60000);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "u32", &u32), TLPU_OK);
    ck_assert_uint_eq(u32, 4000000000u);
    u32 = 7;
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "i8", &u32), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "u64", &u32), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "f32", &u32), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "bool", &u32), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "str", &u32), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "arr_i16", &u32), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "nope", &u32), TLPU_ERR_INVALID_ARG);
    ck_assert_uint_eq(u32, 7); /* untouched on error */
    ck_assert_int_eq(tlpu_gguf_get_u64(g, "u64", &u64), TLPU_OK);
    ck_assert_uint_eq(u64, 0x8000000000000005ull);
    ck_assert_int_eq(tlpu_gguf_get_u64(g, "i16", &u64), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "u64", &i64), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "i8", &i64), TLPU_OK);
    ck_assert_int_eq(i64, -100);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "i16", &i64), TLPU_OK);
    ck_assert_int_eq(i64, -30000);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "i32", &i64), TLPU_OK);
    ck_assert_int_eq(i64, -2000000000);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "i64", &i64), TLPU_OK);
    ck_assert(i64 == INT64_MIN);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "i16neg1", &i64), TLPU_OK);
    ck_assert_int_eq(i64, -1);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "i8min", &i64), TLPU_OK);
    ck_assert_int_eq(i64, -128);
    ck_assert_int_eq(tlpu_gguf_get_i64(g, "u32", &i64), TLPU_OK);
    ck_assert_int_eq(i64, 4000000000ll);
    ck_assert_int_eq(tlpu_gguf_get_f32(g, "f32", &f), TLPU_OK);
    ck_assert(f == 1.5f);
    ck_assert_int_eq(tlpu_gguf_get_f32(g, "f64", &f), TLPU_OK);
    ck_assert(f == 0.1f);
    ck_assert_int_eq(tlpu_gguf_get_f32(g, "f64big", &f), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_gguf_get_f32(g, "u8", &f), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_bool(g, "bool", &bo), TLPU_OK);
    ck_assert_int_eq(bo, 1);
    ck_assert_int_eq(tlpu_gguf_get_bool(g, "u8", &bo), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_str(g, "str", &s, &len), TLPU_OK);
    ck_assert(len == 6 && memcmp(s, "h\xc3\xa9llo", 6) == 0);
    ck_assert_int_eq(tlpu_gguf_get_str(g, "", &s, &len), TLPU_OK);
    ck_assert(len == 9 && memcmp(s, "empty key", 9) == 0);
    ck_assert_int_eq(tlpu_gguf_get_str(g, "arr_str", &s, &len), TLPU_ERR_FORMAT);

    tlpu_gguf_vtype et;
    uint64_t cnt;
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "u8", &ix, &et, &cnt), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "arr_i16", &ix, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(et, TLPU_GGUF_I16);
    ck_assert_uint_eq(cnt, 3);
    ck_assert_int_eq(tlpu_gguf_kv_int(g, ix, 0, &i64), TLPU_OK);
    ck_assert_int_eq(i64, -1);
    ck_assert_int_eq(tlpu_gguf_kv_int(g, ix, 2, &i64), TLPU_OK);
    ck_assert_int_eq(i64, -32768);
    ck_assert_int_eq(tlpu_gguf_kv_uint(g, ix, 1, &u64), TLPU_OK);
    ck_assert_uint_eq(u64, 2);
    ck_assert_int_eq(tlpu_gguf_kv_uint(g, ix, 0, &u64), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_gguf_kv_int(g, ix, 3, &i64), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_kv_float(g, ix, 0, &(double){0}), TLPU_ERR_FORMAT);
    const void *data;
    size_t es;
    ck_assert_int_eq(tlpu_gguf_kv_data(g, ix, &data, &es), TLPU_OK);
    ck_assert_uint_eq(es, 2);
    ck_assert(memcmp(data, "\xff\xff\x02\x00\x00\x80", 6) == 0);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "arr_bool", &ix, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(tlpu_gguf_kv_bool(g, ix, 0, &bo), TLPU_OK);
    ck_assert_int_eq(bo, 1);
    ck_assert_int_eq(tlpu_gguf_kv_bool(g, ix, 1, &bo), TLPU_OK);
    ck_assert_int_eq(bo, 0);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "arr_str", &ix, &et, &cnt), TLPU_OK);
    ck_assert_int_eq(et, TLPU_GGUF_STR);
    ck_assert_int_eq(tlpu_gguf_kv_str(g, ix, 0, &s, &len), TLPU_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(tlpu_gguf_kv_str(g, ix, 1, &s, &len), TLPU_OK);
    ck_assert(len == 3 && memcmp(s, "a b", 3) == 0);
    ck_assert_int_eq(tlpu_gguf_kv_data(g, ix, &data, &es), TLPU_ERR_FORMAT);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "arr_u64_empty", &ix, &et, &cnt), TLPU_OK);
    ck_assert_uint_eq(cnt, 0);
    ck_assert_int_eq(tlpu_gguf_kv_uint(g, ix, 0, &u64), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_kv_data(g, ix, &data, &es), TLPU_OK);
    ck_assert_uint_eq(es, 8);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "arr_f64", &ix, &et, &cnt), TLPU_OK);
    double d;
    ck_assert_int_eq(tlpu_gguf_kv_float(g, ix, 0, &d), TLPU_OK);
    ck_assert(d == 2.5);
    ck_assert_int_eq(tlpu_gguf_get_arr(g, "arr_str_empty", &ix, &et, &cnt), TLPU_OK);
    ck_assert_uint_eq(cnt, 0);

    /* every entry's info and type names */
    static const char *const names[] = {"u8",  "i8",   "u16", "i16", "u32", "i32", "f32",
                                        "bool", "str", "arr", "u64", "i64", "f64"};
    for (int t = 0; t < TLPU_GGUF_VTYPE_COUNT; t++)
        ck_assert_str_eq(tlpu_gguf_vtype_name((tlpu_gguf_vtype)t), names[t]);
    ck_assert_ptr_null(tlpu_gguf_vtype_name((tlpu_gguf_vtype)13));
    for (size_t i = 0; i < 13; i++) {
        tlpu_gguf_kv kv;
        ck_assert_int_eq(tlpu_gguf_kv_info(g, i, &kv), TLPU_OK);
        if (i < 9)
            ck_assert_str_eq(kv.key, names[i]);
        ck_assert_uint_eq(kv.count, 1);
    }
    tlpu_gguf_kv kv;
    ck_assert_int_eq(tlpu_gguf_kv_info(g, 22, &kv), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_kv_info(g, 0, &kv), TLPU_OK);
    ck_assert_uint_eq(kv.offset, 24);
    tlpu_gguf_close(g);
}
END_TEST

/* Version 2, scalars, BF16/F16 bit patterns, alignment 1 and 64, tensors in any order. */
START_TEST(built_files_accepted)
{
    static const uint32_t align[] = {0, 1, 64, 4096};
    for (int a = 0; a < COUNT(align); a++) {
        size_t al = align[a] ? align[a] : 32;
        gb b;
        const uint64_t ne4[1] = {4}, ne2[2] = {2, 2};
        gb_header(&b, 2, 3, align[a] ? 2 : 1);
        gb_kv_str(&b, "general.architecture", "test");
        if (align[a])
            gb_kv(&b, "general.alignment", TLPU_GGUF_U32, align[a], 4);
        /* file order differs from data order */
        gb_ti(&b, "bf16", 1, ne4, TLPU_GGUF_TYPE_BF16, al > 8 ? al : 8);
        gb_ti(&b, "f16", 2, ne2, TLPU_GGUF_TYPE_F16, 0);
        gb_ti(&b, "scalar", 0, NULL, TLPU_GGUF_TYPE_F32, al > 8 ? 2 * al : 16);
        gb_pad(&b, al);
        size_t data = b.n;
        gb_bytes(&b, "\x00\x3c\x00\xc0\xff\x7b\x01\x00", 8); /* f16 1, -2, 65504, 2^-24 */
        gb_pad(&b, al);
        while (b.n < data + (al > 8 ? al : 8))
            gb_bytes(&b, "", 1);
        gb_bytes(&b, "\x80\x3f\x00\xc0\x49\x40\x80\xff", 8); /* bf16 1, -2, 3.140625, -inf */
        gb_pad(&b, al);
        while (b.n < data + (al > 8 ? 2 * al : 16))
            gb_bytes(&b, "", 1);
        gb_bytes(&b, "\x00\x00\x20\xc1", 4); /* f32 -10 */
        tlpu_gguf *g = gb_open(&b);
        ck_assert_uint_eq(tlpu_gguf_version(g), 2);
        ck_assert_uint_eq(tlpu_gguf_alignment(g), al);
        ck_assert_uint_eq(tlpu_gguf_data_offset(g), data);
        ck_assert_str_eq(tlpu_gguf_architecture(g), "test");
        char err[ERRLEN];
        float y[4];
        ck_assert_int_eq(tlpu_gguf_read_f32(g, 1, 0, 2, y, 4, err, sizeof err), TLPU_OK);
        ck_assert(y[0] == 1.0f && y[1] == -2.0f && y[2] == 65504.0f && y[3] == 0x1p-24f);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, 1, 1, 1, y, 2, err, sizeof err), TLPU_OK);
        ck_assert(y[0] == 65504.0f && y[1] == 0x1p-24f);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, 0, 0, 1, y, 4, err, sizeof err), TLPU_OK);
        ck_assert(y[0] == 1.0f && y[1] == -2.0f && y[2] == 3.140625f && isinf(y[3]) && y[3] < 0);
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, 2, &t), TLPU_OK);
        ck_assert_uint_eq(t.n_dims, 0);
        ck_assert_uint_eq(t.nelem, 1);
        ck_assert_uint_eq(t.nrows, 1);
        ck_assert_uint_eq(t.size, 4);
        ck_assert_int_eq(tlpu_gguf_read_f32(g, 2, 0, 1, y, 1, err, sizeof err), TLPU_OK);
        ck_assert(y[0] == -10.0f);
        tlpu_gguf_close(g);
    }
}
END_TEST

/* ---- hostile files: mutations of tiny.gguf ----------------------------------------------- */

typedef enum loc {
    L_ABS,       /* absolute offset `arg` */
    L_KEY_LEN,   /* the length field of key `s` */
    L_KEY_TYPE,  /* the value type field of key `s` (+arg) */
    L_STR_LEN,   /* the length field of string `s` (as a value or array element) */
    L_T_NDIMS,   /* tensor `s`'s n_dims */
    L_T_DIM,     /* tensor `s`'s dimension `arg` */
    L_T_TYPE,    /* tensor `s`'s type */
    L_T_OFF,     /* tensor `s`'s offset */
    L_T_ENTRY,   /* tensor `s`'s entry (occurrence `arg`) */
    L_NAME_BYTE, /* byte `arg` of GGUF string `s` */
} loc;

typedef struct mutation {
    const char *what;
    loc where;
    const char *s;
    size_t arg;
    int width;      /* bytes written: 1, 4 or 8; 0: none */
    uint64_t value;
    loc at_where;   /* where the error is reported (L_ABS with at_arg = SIZE_MAX: same) */
    const char *at_s;
    size_t at_arg;
    tlpu_status st;
    const char *msg;
} mutation;

#define SAME L_ABS, NULL, SIZE_MAX

static const mutation k_mutations[] = {
    {"bad magic", L_ABS, NULL, 0, 1, 'X', SAME, TLPU_ERR_FORMAT,
     "bad magic 'XGUF': not a GGUF file"},
    {"version 1", L_ABS, NULL, 4, 4, 1, SAME, TLPU_ERR_UNSUPPORTED,
     "GGUF version 1 is not supported"},
    {"version 4", L_ABS, NULL, 4, 4, 4, SAME, TLPU_ERR_UNSUPPORTED, "unknown GGUF version 4"},
    {"version 0", L_ABS, NULL, 4, 4, 0, SAME, TLPU_ERR_UNSUPPORTED, "unknown GGUF version 0"},
    {"big-endian", L_ABS, NULL, 4, 4, 0x03000000u, SAME, TLPU_ERR_UNSUPPORTED, "big-endian GGUF"},
    {"huge tensor count", L_ABS, NULL, 8, 8, 1ull << 60, SAME, TLPU_ERR_FORMAT,
     "tensor count 1152921504606846976 cannot fit in the 7688 bytes after the header"},
    {"huge metadata count", L_ABS, NULL, 16, 8, 1ull << 60, SAME, TLPU_ERR_FORMAT,
     "metadata count 1152921504606846976 cannot fit in the 7688 bytes after the header"},
    {"max metadata count", L_ABS, NULL, 16, 8, UINT64_MAX, SAME, TLPU_ERR_FORMAT,
     "metadata count 18446744073709551615 cannot fit"},
    {"both counts too big together", L_ABS, NULL, 8, 8, 320, SAME, TLPU_ERR_FORMAT,
     "14 metadata entries and 320 tensor infos cannot fit in the 7688 bytes"},
    {"huge key length", L_KEY_LEN, "general.architecture", 0, 8, 1ull << 40, SAME,
     TLPU_ERR_FORMAT, "key 0: the key: length 1099511627776 runs past the end of the file"},
    {"huge string value length", L_STR_LEN, "tiny conformance vectors", 0, 8, 1ull << 62, SAME,
     TLPU_ERR_FORMAT,
     "key 1 'general.name': the string value: length 4611686018427387904 runs past"},
    {"huge string array count", L_KEY_TYPE, "tokenizer.ggml.tokens", 8, 8, 1ull << 62, SAME,
     TLPU_ERR_FORMAT, "key 10 'tokenizer.ggml.tokens': an array of 4611686018427387904 strings "
                      "cannot fit"},
    {"huge i32 array count", L_KEY_TYPE, "tokenizer.ggml.token_type", 8, 8, 1ull << 61, SAME,
     TLPU_ERR_FORMAT,
     "an array of 2305843009213693952 i32 values (4 bytes each) runs past the end"},
    {"huge array element length", L_STR_LEN, "</s>", 0, 8, UINT64_MAX, SAME, TLPU_ERR_FORMAT,
     "string 2 of the array: length 18446744073709551615 runs past the end"},
    {"unknown metadata type 13", L_KEY_TYPE, "general.quantization_version", 0, 4, 13, SAME,
     TLPU_ERR_FORMAT, "key 2 'general.quantization_version': unknown metadata value type 13"},
    {"unknown metadata type 2^31", L_KEY_TYPE, "bitnet.block_count", 0, 4, 0x80000000u, SAME,
     TLPU_ERR_FORMAT, "unknown metadata value type 2147483648"},
    {"unknown array element type", L_KEY_TYPE, "tokenizer.ggml.token_type", 4, 4, 13, SAME,
     TLPU_ERR_FORMAT, "unknown array element type 13"},
    {"nested array", L_KEY_TYPE, "tokenizer.ggml.scores", 4, 4, TLPU_GGUF_ARR, SAME,
     TLPU_ERR_UNSUPPORTED, "key 12 'tokenizer.ggml.scores': arrays of arrays are not supported"},
    {"bool 2", L_KEY_TYPE, "tokenizer.ggml.add_bos_token", 4, 1, 2, SAME, TLPU_ERR_FORMAT,
     "bool value 2 is not 0 or 1"},
    {"duplicate key", L_NAME_BYTE, "tokenizer.ggml.add_eos_token", 19, 1, 'b', L_KEY_LEN,
     "tokenizer.ggml.add_eos_token", 0, TLPU_ERR_FORMAT,
     "duplicate key 'tokenizer.ggml.add_bos_token' (keys 8 and 9)"},
    {"duplicate tensor name", L_NAME_BYTE, "test.tq1_0", 7, 1, '2', L_T_ENTRY, "test.tq2_0", 0,
     TLPU_ERR_FORMAT, "duplicate tensor name 'test.tq2_0' (tensors 3 and 4)"},
    {"NUL in a key", L_NAME_BYTE, "bitnet.block_count", 6, 1, 0, L_KEY_LEN, "bitnet.block_count", 0,
     TLPU_ERR_FORMAT, "key 5: the key contains a NUL byte"},
    {"NUL in a tensor name", L_NAME_BYTE, "test.f16", 4, 1, 0, L_T_ENTRY, "test.f16", 0,
     TLPU_ERR_FORMAT, "tensor 2: the tensor name contains a NUL byte"},
    {"NUL in the architecture", L_NAME_BYTE, "bitnet", 2, 1, 0, L_STR_LEN, "bitnet", 0,
     TLPU_ERR_FORMAT, "key 0 'general.architecture': general.architecture contains a NUL byte"},
    {"n_dims 5", L_T_NDIMS, "test.f32", 0, 4, 5, SAME, TLPU_ERR_FORMAT,
     "tensor 0 'test.f32': n_dims 5 is more than 4"},
    {"n_dims 2^32-1", L_T_NDIMS, "test.f16", 0, 4, UINT32_MAX, SAME, TLPU_ERR_FORMAT,
     "n_dims 4294967295 is more than 4"},
    {"zero dim", L_T_DIM, "test.f32", 1, 8, 0, SAME, TLPU_ERR_SHAPE,
     "tensor 0 'test.f32': dimension 1 is 0"},
    {"dim above 2^63-1", L_T_DIM, "test.f16", 0, 8, 1ull << 63, SAME, TLPU_ERR_OVERFLOW,
     "dimension 0 is 9223372036854775808, more than 2^63-1"},
    {"dims overflow", L_T_DIM, "test.tq1_0", 1, 8, 1ull << 56, SAME, TLPU_ERR_OVERFLOW,
     "tensor 3 'test.tq1_0': the dimensions overflow: 256 x 72057594037927936 is more than "
     "2^63-1 elements"},
    {"f32 bytes overflow", L_T_DIM, "test.f32", 1, 8, 1ull << 54, L_T_DIM, "test.f32", 0,
     TLPU_ERR_OVERFLOW, "4611686018427387904 f32 elements take more than"},
    {"tq2_0 row not whole blocks", L_T_DIM, "test.tq2_0", 0, 8, 128, SAME, TLPU_ERR_SHAPE,
     "tensor 4 'test.tq2_0': tq2_0 rows need a multiple of 256 elements, ne[0] is 128"},
    {"tq1_0 row not whole blocks", L_T_DIM, "test.tq1_0", 0, 8, 100, SAME, TLPU_ERR_SHAPE,
     "tq1_0 rows need a multiple of 256 elements, ne[0] is 100"},
    {"data past the end", L_T_OFF, "test.tq2_0", 0, 8, 6400 + 4096, SAME, TLPU_ERR_FORMAT,
     "tensor 4 'test.tq2_0': 264 bytes of data at offset 10496 run past the end of the file "
     "(the data section at 1024 holds 6688 bytes)"},
    {"data just past the end", L_T_OFF, "test.tq2_0", 0, 8, 6432, SAME, TLPU_ERR_FORMAT,
     "264 bytes of data at offset 6432 run past the end of the file"},
    {"huge offset", L_T_OFF, "test.f32", 0, 8, 1ull << 63, SAME, TLPU_ERR_FORMAT,
     "4096 bytes of data at offset 9223372036854775808 run past the end"},
    {"big but valid dims", L_T_DIM, "test.f32", 1, 8, 1ull << 40, L_T_OFF, "test.f32", 0,
     TLPU_ERR_FORMAT, "bytes of data at offset 0 run past the end of the file"},
    {"misaligned offset", L_T_OFF, "test.f16", 0, 8, 4144, SAME, TLPU_ERR_FORMAT,
     "tensor 2 'test.f16': offset 4144 is not a multiple of the alignment 32"},
    {"overlap", L_T_OFF, "test.f32_odd", 0, 8, 4064, SAME, TLPU_ERR_FORMAT,
     "tensor 1 'test.f32_odd': its data [5088, 5116) overlaps tensor 0 'test.f32' [1024, 5120) "
     "(file offsets)"},
    {"same offset", L_T_OFF, "test.tq2_0", 0, 8, 6176, SAME, TLPU_ERR_FORMAT,
     "tensor 4 'test.tq2_0': its data [7200, 7464) overlaps tensor 3 'test.tq1_0'"},
};

/* The offset a locator names in p[0..n). */
static size_t locate(const uint8_t *p, size_t n, loc l, const char *s, size_t arg)
{
    switch (l) {
    case L_ABS: return arg;
    case L_KEY_LEN: return find_gstr(p, n, s, (int)arg);
    case L_KEY_TYPE: return key_type_at(p, n, s) + arg;
    case L_STR_LEN: return find_gstr(p, n, s, 0);
    case L_T_NDIMS: return tensor_at(p, n, s, 0).ndims;
    case L_T_DIM: return tensor_at(p, n, s, 0).dims + 8 * arg;
    case L_T_TYPE: return tensor_at(p, n, s, 0).type;
    case L_T_OFF: return tensor_at(p, n, s, 0).offset;
    case L_T_ENTRY: return tensor_at(p, n, s, (int)arg).entry;
    case L_NAME_BYTE: return find_gstr(p, n, s, 0) + 8 + arg;
    }
    return 0;
}

START_TEST(hostile_mutations)
{
    const mutation *m = &k_mutations[_i];
    size_t n;
    uint8_t *p = test_read_file("vectors/tiny.gguf", &n);
    size_t at = locate(p, n, m->where, m->s, m->arg);
    size_t err_at = m->at_arg == SIZE_MAX ? at : locate(p, n, m->at_where, m->at_s, m->at_arg);
    if (m->width == 1)
        p[at] = (uint8_t)m->value;
    else if (m->width == 4)
        wr32(p + at, (uint32_t)m->value);
    else if (m->width == 8)
        wr64(p + at, m->value);
    expect_reject(p, n, m->st, err_at, m->msg, m->what);
    /* the same bytes through a file name: the message starts with it */
    char path[] = "/tmp/check_gguf_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
    close(fd);
    char err[ERRLEN], want[128];
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open(path, &g, err, sizeof err), m->st);
    unlink(path);
    snprintf(want, sizeof want, "%s: offset %zu: ", path, err_at);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s' vs '%s'", err, want);
    ck_assert_ptr_null(g);
    free(p);
}
END_TEST

/* A type tlpu does not know: listed, its data refused, the others unaffected. */
START_TEST(unknown_tensor_type)
{
    size_t n;
    uint8_t *p = test_read_file("vectors/tiny.gguf", &n);
    wr32(p + tensor_at(p, n, "test.f32", 0).type, 17);
    wr32(p + tensor_at(p, n, "test.tq1_0", 0).type, 0xFFFFFFFFu);
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n, &g, err, sizeof err), TLPU_OK);
    tlpu_gguf_tensor t;
    ck_assert_int_eq(tlpu_gguf_tensor_info(g, 0, &t), TLPU_OK);
    ck_assert_uint_eq(t.type, 17);
    ck_assert_int_eq(t.known, 0);
    ck_assert_uint_eq(t.size, 0);
    ck_assert_ptr_null(t.data);
    ck_assert_uint_eq(t.nelem, 1024);
    ck_assert_uint_eq(t.file_offset, 1024);
    ck_assert_ptr_null(tlpu_gguf_type_name(17));
    const void *d = NULL;
    size_t sz = 5;
    ck_assert_int_eq(tlpu_gguf_tensor_data(g, 0, &d, &sz, err, sizeof err), TLPU_ERR_UNSUPPORTED);
    ck_assert_str_eq(err, "offset 790: tensor 0 'test.f32': type 17 (unknown): tlpu reads f32, "
                          "f16, bf16, tq1_0, tq2_0 and i2_s");
    ck_assert_ptr_null(d);
    ck_assert_uint_eq(sz, 5);
    float y[1024];
    ck_assert_int_eq(tlpu_gguf_read_f32(g, 0, 0, 4, y, 1024, err, sizeof err),
                     TLPU_ERR_UNSUPPORTED);
    ck_assert_int_eq(tlpu_gguf_read_f32(g, 3, 0, 4, y, 1024, err, sizeof err),
                     TLPU_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err, "type 4294967295 (unknown)"));
    static const size_t sizes[5] = {0, 28, 2048, 0, 264};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        ck_assert_uint_eq(t.size, sizes[i]);
        ck_assert_int_eq(t.known, sizes[i] != 0);
    }
    ck_assert_int_eq(tlpu_gguf_read_f32(g, 4, 0, 4, y, 1024, err, sizeof err), TLPU_OK);
    ck_assert_str_eq(err, "");
    tlpu_gguf_close(g);
    /* an unknown-type tensor takes at least its first byte: a tensor on it overlaps it */
    size_t odd_off = tensor_at(p, n, "test.f32_odd", 0).offset;
    wr64(p + odd_off, 0);
    expect_reject(p, n, TLPU_ERR_FORMAT, odd_off,
                  "tensor 1 'test.f32_odd': its data [1024, 1052) overlaps tensor 0 'test.f32' "
                  "[1024, 1025) (file offsets)",
                  "unknown type overlapped");
    free(p);
}
END_TEST

/* Alignment: from the key, a nonzero power of two and an integer. */
START_TEST(alignment_rules)
{
    static const struct {
        uint32_t type;
        uint64_t bits;
        size_t size;
        tlpu_status st;
        const char *msg;
    } k[] = {
        {TLPU_GGUF_U32, 0, 4, TLPU_ERR_FORMAT,
         "general.alignment is 0, not a nonzero power of two"},
        {TLPU_GGUF_U32, 3, 4, TLPU_ERR_FORMAT,
         "general.alignment is 3, not a nonzero power of two"},
        {TLPU_GGUF_U32, 96, 4, TLPU_ERR_FORMAT, "general.alignment is 96, not a nonzero"},
        {TLPU_GGUF_I32, (uint32_t)-32, 4, TLPU_ERR_FORMAT,
         "general.alignment is -32, not a nonzero"},
        {TLPU_GGUF_F32, 0x42000000u, 4, TLPU_ERR_FORMAT,
         "general.alignment has type f32, not an integer"},
        {TLPU_GGUF_BOOL, 1, 1, TLPU_ERR_FORMAT, "general.alignment has type bool, not an integer"},
        {TLPU_GGUF_U64, 1ull << 62, 8, TLPU_ERR_FORMAT,
         "truncated: the data section starts at 4611686018427387904"},
        {TLPU_GGUF_U64, 1ull << 63, 8, TLPU_ERR_FORMAT,
         "truncated: the data section starts at 9223372036854775808 (the header ends at 94"},
        {TLPU_GGUF_U16, 16, 2, TLPU_OK, NULL},
        {TLPU_GGUF_U8, 128, 1, TLPU_OK, NULL},
    };
    for (int c = 0; c < COUNT(k); c++) {
        gb b;
        const uint64_t ne[1] = {8};
        gb_header(&b, 3, 1, 1);
        gb_kv(&b, "general.alignment", k[c].type, k[c].bits, k[c].size);
        size_t val_at = b.n - k[c].size, type_at = val_at - 4;
        gb_ti(&b, "t", 1, ne, TLPU_GGUF_TYPE_F32, 0);
        size_t header_end = b.n;
        gb_pad(&b, 128);
        gb_bytes(&b, "0123456789abcdef0123456789abcdef", 32);
        if (k[c].st == TLPU_OK) {
            tlpu_gguf *g = gb_open(&b);
            ck_assert_uint_eq(tlpu_gguf_alignment(g), k[c].bits);
            ck_assert_uint_eq(tlpu_gguf_data_offset(g) % k[c].bits, 0);
            ck_assert_uint_lt(tlpu_gguf_data_offset(g), header_end + k[c].bits);
            tlpu_gguf_close(g);
            continue;
        }
        size_t at = strstr(k[c].msg, "has type") ? type_at
                    : strstr(k[c].msg, "data section") ? header_end
                                                       : val_at;
        expect_reject(b.p, b.n, k[c].st, at, k[c].msg, k[c].msg);
    }
    /* alignment 64 with a tensor at 32 */
    gb b;
    const uint64_t ne[1] = {8};
    gb_header(&b, 3, 1, 1);
    gb_kv(&b, "general.alignment", TLPU_GGUF_U32, 64, 4);
    gb_ti(&b, "t", 1, ne, TLPU_GGUF_TYPE_F32, 32);
    size_t off_at = b.n - 8;
    gb_pad(&b, 64);
    gb_bytes(&b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64);
    expect_reject(b.p, b.n, TLPU_ERR_FORMAT, off_at,
                  "offset 32 is not a multiple of the alignment 64",
                  "alignment 64");
    /* duplicate general.alignment: a duplicate key first */
    gb_header(&b, 3, 0, 2);
    gb_kv(&b, "general.alignment", TLPU_GGUF_U32, 64, 4);
    size_t second = b.n;
    gb_kv(&b, "general.alignment", TLPU_GGUF_U32, 32, 4);
    expect_reject(b.p, b.n, TLPU_ERR_FORMAT, second,
                  "duplicate key 'general.alignment' (keys 0 and 1)",
                  "duplicate alignment");
}
END_TEST

/* I2_S rows must be whole 128-blocks; a data section that does not start in the file. */
START_TEST(built_files_rejected)
{
    gb b;
    const uint64_t ne[2] = {64, 4};
    gb_header(&b, 3, 1, 1);
    gb_kv_str(&b, "general.architecture", "bitnet-b1.58");
    size_t dims_at = b.n + 8 + 1 + 4;
    gb_ti(&b, "w", 2, ne, TLPU_GGUF_TYPE_I2_S, 0);
    gb_pad(&b, 32);
    gb_bytes(&b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64);
    gb_bytes(&b, "0123456789abcdef0123456789abcdef", 32);
    expect_reject(b.p, b.n, TLPU_ERR_SHAPE, dims_at,
                  "tensor 0 'w': i2_s rows need a multiple of 128 elements, ne[0] is 64", "i2s");

    /* the header ends; the data section would start past the end of the file */
    const uint64_t one[1] = {1};
    gb_header(&b, 3, 1, 0);
    gb_ti(&b, "x", 1, one, TLPU_GGUF_TYPE_F32, 0);
    size_t end = b.n;
    expect_reject(b.p, b.n, TLPU_ERR_FORMAT, end, "truncated: the data section starts at 64 "
                                                  "(the header ends at 57, aligned to 32), past "
                                                  "the end of the file (57 bytes)",
                  "no data section");
    /* general.architecture must be a string */
    gb_header(&b, 3, 0, 1);
    gb_kv(&b, "general.architecture", TLPU_GGUF_U32, 7, 4);
    expect_reject(b.p, b.n, TLPU_ERR_FORMAT, b.n - 8,
                  "key 0 'general.architecture': general.architecture has type u32, not str",
                  "architecture u32");
    /* without tensors the padding may be missing */
    gb_header(&b, 3, 0, 1);
    gb_kv_str(&b, "general.architecture", "x");
    tlpu_gguf *g = gb_open(&b);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(g), 0);
    tlpu_gguf_close(g);
    /* an empty file and the header alone */
    expect_reject(b.p, 0, TLPU_ERR_FORMAT, 0,
                  "truncated: the magic \"GGUF\" needs 4 bytes, 0 left (the file has 0 bytes)",
                  "empty");
    gb_header(&b, 3, 0, 0);
    g = gb_open(&b);
    ck_assert_uint_eq(tlpu_gguf_kv_count(g), 0);
    ck_assert_uint_eq(tlpu_gguf_data_offset(g), 32);
    tlpu_gguf_close(g);
}
END_TEST

/* Every truncation of tiny.gguf fails with a named error, until only padding is cut. */
START_TEST(every_truncation_tiny)
{
    size_t n;
    uint8_t *p = test_read_file("vectors/tiny.gguf", &n);
    char err[ERRLEN];
    for (size_t len = 0; len <= n; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees any overread */
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, p, len);
        tlpu_gguf *g = NULL;
        tlpu_status st = tlpu_gguf_open_mem(copy, len, &g, err, sizeof err);
        if (len >= 7688) { /* the last tensor ends at 7688; the rest is padding */
            ck_assert_msg(st == TLPU_OK, "%zu: %s", len, err);
            tlpu_gguf_close(g);
        } else {
            ck_assert_msg(st == TLPU_ERR_FORMAT, "%zu: %s (%s)", len, tlpu_status_name(st), err);
            ck_assert_msg(strncmp(err, "offset ", 7) == 0, "%zu: %s", len, err);
            ck_assert_msg(strstr(err, "truncated") || strstr(err, "past the end") ||
                              strstr(err, "cannot fit"),
                          "%zu: %s", len, err);
            if (len >= 1024)
                ck_assert_msg(strstr(err, "run past the end of the file"), "%zu: %s", len, err);
            else if (len >= 994)
                ck_assert_msg(strstr(err, "truncated: the data section starts at 1024"), "%zu: %s",
                              len, err);
        }
        free(copy);
    }
    free(p);
}
END_TEST

/* The same on a model file: every byte of the first 4 KB, then coarser. */
START_TEST(every_truncation_model)
{
    size_t n;
    uint8_t *p = test_read_file("models/tiny-bitnet-tq2_0.gguf", &n);
    char err[ERRLEN];
    size_t tested = 0;
    for (size_t len = 0; len < n; len += len < 4096 ? 1 : len < 10592 ? 7 : 4093) {
        tlpu_gguf *g = NULL;
        tlpu_status st = tlpu_gguf_open_mem(p, len, &g, err, sizeof err);
        ck_assert_msg(st == TLPU_ERR_FORMAT, "%zu: %s (%s)", len, tlpu_status_name(st), err);
        ck_assert_msg(strncmp(err, "offset ", 7) == 0, "%zu: %s", len, err);
        tested++;
    }
    ck_assert_uint_gt(tested, 5000);
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n - 1, &g, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "tensor 23 'blk.1.ffn_up.weight': 33792 bytes of data at "
                                      "offset 478208 run past the end of the file"));
    free(p);
}
END_TEST

/* Walks everything an open file offers (as the fuzzer does). */
static void walk(const tlpu_gguf *g)
{
    char err[ERRLEN];
    for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++) {
        tlpu_gguf_kv kv;
        ck_assert_int_eq(tlpu_gguf_kv_info(g, i, &kv), TLPU_OK);
        size_t found;
        ck_assert_int_eq(tlpu_gguf_find_key(g, kv.key, &found), TLPU_OK);
        ck_assert_uint_eq(found, i);
        for (uint64_t k = 0; k < kv.count && k < 64; k++) {
            int64_t s;
            uint64_t u;
            double d;
            int b;
            const char *str;
            size_t len;
            tlpu_gguf_kv_int(g, i, k, &s);
            tlpu_gguf_kv_uint(g, i, k, &u);
            tlpu_gguf_kv_float(g, i, k, &d);
            tlpu_gguf_kv_bool(g, i, k, &b);
            if (tlpu_gguf_kv_str(g, i, k, &str, &len) == TLPU_OK && len)
                ck_assert(str[0] == str[0] && str[len - 1] == str[len - 1]);
        }
    }
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++) {
        tlpu_gguf_tensor t;
        ck_assert_int_eq(tlpu_gguf_tensor_info(g, i, &t), TLPU_OK);
        if (!t.known || t.nelem > 4096)
            continue;
        float *y = malloc((size_t)t.nelem * sizeof *y);
        ck_assert_ptr_nonnull(y);
        tlpu_gguf_read_f32(g, i, 0, t.nrows, y, t.nelem, err, sizeof err);
        free(y);
    }
}

/* Seeded random byte mutations of the header: a result or a named error, never a crash. */
START_TEST(random_mutations)
{
    size_t n;
    uint8_t *p = test_read_file("vectors/tiny.gguf", &n);
    uint8_t *q = malloc(n);
    ck_assert_ptr_nonnull(q);
    tlpu_rng r = tlpu_rng_seed(0x6a09e667f3bcc908ull);
    char err[ERRLEN];
    int accepted = 0, rejected = 0;
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(q, p, n);
        int edits = 1 + (int)tlpu_rng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)tlpu_rng_below(&r, 1024);
            switch (tlpu_rng_below(&r, 4)) {
            case 0: q[at] = (uint8_t)tlpu_rng_next(&r); break;
            case 1: q[at] ^= (uint8_t)(1u << tlpu_rng_below(&r, 8)); break;
            case 2:
                if (at + 8 <= n)
                    wr64(q + at, tlpu_rng_next(&r) >> tlpu_rng_below(&r, 64));
                break;
            default: q[at] = (uint8_t)(q[at] + 1); break;
            }
        }
        size_t len = tlpu_rng_below(&r, 8) ? n : (size_t)tlpu_rng_below(&r, n);
        tlpu_gguf *g = NULL;
        tlpu_status st = tlpu_gguf_open_mem(q, len, &g, err, sizeof err);
        if (st == TLPU_OK) {
            walk(g);
            tlpu_gguf_close(g);
            accepted++;
        } else {
            ck_assert_msg(strncmp(err, "offset ", 7) == 0 && strlen(err) > 12, "%s", err);
            ck_assert_ptr_null(g);
            rejected++;
        }
    }
    ck_assert_int_gt(accepted, 100); /* edits in strings and padding */
    ck_assert_int_gt(rejected, 1000);
    free(q);
    free(p);
}
END_TEST

/* ---- I/O and arguments -------------------------------------------------------------------- */

START_TEST(io_errors)
{
    char err[ERRLEN];
    tlpu_gguf *g = (tlpu_gguf *)(uintptr_t)1;
    const char *missing = "/nonexistent/dir/model.gguf";
    ck_assert_int_eq(tlpu_gguf_open(missing, &g, err, sizeof err), TLPU_ERR_IO);
    ck_assert_str_eq(err, "/nonexistent/dir/model.gguf: offset 0: cannot open: No such file or "
                          "directory");
    ck_assert(g == (tlpu_gguf *)(uintptr_t)1);
    ck_assert_int_eq(tlpu_gguf_open("/tmp", &g, err, sizeof err), TLPU_ERR_IO);
    ck_assert_str_eq(err, "/tmp: offset 0: not a regular file");
    char path[] = "/tmp/check_gguf_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(tlpu_gguf_open(path, &g, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, ": offset 0: truncated: the magic"));
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "GGUF\x03\0\0\0", 8), 8);
    close(fd);
    ck_assert_int_eq(tlpu_gguf_open(path, &g, err, sizeof err), TLPU_ERR_FORMAT);
    char want[128];
    snprintf(want, sizeof want, "%s: offset 8: truncated: the tensor count needs 8 bytes", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    unlink(path);
    /* a short error buffer: cut, NUL-terminated */
    char small[16];
    ck_assert_int_eq(tlpu_gguf_open(missing, &g, small, sizeof small), TLPU_ERR_IO);
    ck_assert_str_eq(small, "/nonexistent/di");
    ck_assert_int_eq(tlpu_gguf_open(missing, &g, NULL, 0), TLPU_ERR_IO);

    /* the file and the same bytes in memory give the same tables */
    size_t n;
    uint8_t *p = test_read_file("models/tiny-bitnet-tq1_0.gguf", &n);
    tlpu_gguf *a = open_file("models/tiny-bitnet-tq1_0.gguf"), *b = NULL;
    ck_assert_int_eq(tlpu_gguf_open_mem(p, n, &b, err, sizeof err), TLPU_OK);
    ck_assert_uint_eq(tlpu_gguf_kv_count(a), tlpu_gguf_kv_count(b));
    for (size_t i = 0; i < tlpu_gguf_tensor_count(a); i++) {
        tlpu_gguf_tensor x, y;
        ck_assert_int_eq(tlpu_gguf_tensor_info(a, i, &x), TLPU_OK);
        ck_assert_int_eq(tlpu_gguf_tensor_info(b, i, &y), TLPU_OK);
        ck_assert_str_eq(x.name, y.name);
        ck_assert_uint_eq(x.size, y.size);
        ck_assert(memcmp(x.data, y.data, x.size) == 0);
        ck_assert_ptr_eq(y.data, p + y.file_offset);
    }
    tlpu_gguf_close(a);
    tlpu_gguf_close(b);
    free(p);
}
END_TEST

START_TEST(argument_errors)
{
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    ck_assert_int_eq(tlpu_gguf_open(NULL, &g, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(err, "offset 0: tlpu_gguf_open: NULL path");
    ck_assert_int_eq(tlpu_gguf_open("x", NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_open_mem(NULL, 4, &g, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_open_mem("GGUF", 4, NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_open_mem(NULL, 0, &g, err, sizeof err), TLPU_ERR_FORMAT);
    tlpu_gguf_close(NULL);
    ck_assert_uint_eq(tlpu_gguf_version(NULL), 0);
    ck_assert_uint_eq(tlpu_gguf_kv_count(NULL), 0);
    ck_assert_uint_eq(tlpu_gguf_tensor_count(NULL), 0);
    ck_assert_ptr_null(tlpu_gguf_architecture(NULL));
    size_t ix;
    tlpu_gguf_kv kv;
    tlpu_gguf_tensor t;
    ck_assert_int_eq(tlpu_gguf_find_key(NULL, "a", &ix), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_kv_info(NULL, 0, &kv), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_tensor_info(NULL, 0, &t), TLPU_ERR_INVALID_ARG);
    g = open_file("vectors/tiny.gguf");
    ck_assert_int_eq(tlpu_gguf_find_key(g, NULL, &ix), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_find_key(g, "general.name", NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_kv_info(g, 0, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_tensor_info(g, 5, &t), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_find_tensor(g, NULL, &ix), TLPU_ERR_INVALID_ARG);
    const void *d;
    size_t sz;
    ck_assert_int_eq(tlpu_gguf_tensor_data(g, 5, &d, &sz, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err, "tensor index past the end"));
    ck_assert_int_eq(tlpu_gguf_tensor_data(g, 0, NULL, &sz, err, sizeof err), TLPU_ERR_INVALID_ARG);
    float y[4];
    ck_assert_int_eq(tlpu_gguf_read_f32(g, 0, 0, 1, NULL, 256, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_read_f32(NULL, 0, 0, 1, y, 4, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    int8_t tr[256];
    ck_assert_int_eq(tlpu_gguf_read_trits(g, 3, 0, 1, tr, 256, NULL, 1, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_get_u32(g, "general.quantization_version", NULL),
                     TLPU_ERR_INVALID_ARG);
    const char *s;
    ck_assert_int_eq(tlpu_gguf_get_str(g, "general.name", &s, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_gguf_kv_data(g, 99, &d, &sz), TLPU_ERR_INVALID_ARG);
    ck_assert_str_eq(tlpu_gguf_type_name(TLPU_GGUF_TYPE_F32), "f32");
    ck_assert_str_eq(tlpu_gguf_type_name(TLPU_GGUF_TYPE_BF16), "bf16");
    ck_assert_str_eq(tlpu_gguf_type_name(TLPU_GGUF_TYPE_I2_S), "i2_s");
    ck_assert_ptr_null(tlpu_gguf_type_name(2));
    tlpu_gguf_close(g);
}
END_TEST

/* ---- suite --------------------------------------------------------------------------------- */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("gguf");
    TCase *tc = tcase(s, "conformance");
    tcase_add_test(tc, tiny_gguf_matches_ggml_dump);
    tcase_add_test(tc, tiny_gguf_trits_and_rows);
    tcase_add_test(tc, invalid_codes_in_data);
    tcase_add_loop_test(tc, models_tables, 0, 3);
    tcase_add_test(tc, models_same_weights);
    tcase_add_test(tc, b158_tables);
    tcase_add_test(tc, b158_i2s_weights);
    tcase_add_test(tc, b158_type36_needs_bitnet_arch);
    tc = tcase(s, "built");
    tcase_add_test(tc, every_value_type);
    tcase_add_test(tc, built_files_accepted);
    tcase_add_test(tc, alignment_rules);
    tcase_add_test(tc, built_files_rejected);
    tc = tcase(s, "hostile");
    tcase_add_loop_test(tc, hostile_mutations, 0, COUNT(k_mutations));
    tcase_add_test(tc, unknown_tensor_type);
    tcase_add_test(tc, every_truncation_tiny);
    tcase_add_test(tc, every_truncation_model);
    tcase_add_test(tc, random_mutations);
    tc = tcase(s, "errors");
    tcase_add_test(tc, io_errors);
    tcase_add_test(tc, argument_errors);
    return test_run_suite(s);
}
