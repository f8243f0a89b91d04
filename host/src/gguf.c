/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GGUF reader: the file is mapped read-only and checked in full when it is
 * opened (see tlpu/gguf.h for what is accepted).
 *
 * Parsing runs twice over the header. The first pass reads every field
 * through a cursor that checks each length and count against the bytes left
 * before it is used, and allocates nothing; only once the whole header is
 * known to be well formed are the entry tables, the name copies and the
 * string-array index allocated, with the sizes the first pass counted, and
 * the second pass fills them. Then come the checks that need the whole
 * header: duplicate keys and names, the alignment, tensor types, sizes,
 * offsets and overlaps.
 */
#include "tlpu/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlpu/fp.h"
#include "tlpu/pack.h"

#if defined(__GNUC__)
#define GGUF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GGUF_PRINTF(f, a)
#endif

#define GGUF_HEADER_BYTES 24u      /* magic, version, tensor count, metadata count */
#define GGUF_MIN_KV_BYTES 13u      /* key length, value type, a 1-byte value */
#define GGUF_MIN_TI_BYTES 24u      /* name length, n_dims, type, offset */
#define GGUF_DEFAULT_ALIGNMENT 32u
#define GGUF_MSG 512               /* message buffers */
#define GGUF_NAME_SHOWN 80         /* bytes of a key or name quoted in a message */
#define GGUF_I64_MAX 0x7fffffffffffffffull

/* ---- the handle ------------------------------------------------------------ */

typedef struct kv_ent {
    const char *key;     /* in the arena */
    size_t offset;       /* the entry's first byte (its key length) */
    size_t key_at;       /* the key's bytes in the file */
    size_t key_len;
    size_t type_at;      /* the value type field */
    uint32_t type, elem_type;
    uint64_t count;      /* 1 for scalars */
    size_t val;          /* scalar: the value; array: its first element */
    size_t str_first;    /* string arrays: first index into str_at */
} kv_ent;

typedef struct ti_ent {
    const char *name;    /* in the arena */
    size_t offset;       /* the entry's first byte */
    size_t name_at, name_len;
    size_t dims_at, type_at, off_at;
    uint32_t n_dims;
    uint64_t ne[TLPU_GGUF_MAX_DIMS];
    uint64_t nelem;
    uint32_t type;
    uint64_t data_off;   /* as stored, relative to the data section */
    int known;
    size_t size;         /* bytes, when known */
} ti_ent;

typedef struct name_ix {
    const char *s;
    size_t i;
} name_ix;

struct tlpu_gguf {
    const uint8_t *p;
    size_t n;
    void *map; /* the mapping to unmap, NULL for tlpu_gguf_open_mem */
    char *path; /* for messages; NULL for memory */
    uint32_t version;
    size_t alignment, data_offset;
    size_t n_kv, n_ti, n_str;
    kv_ent *kv;
    ti_ent *ti;
    size_t *str_at;     /* every string-array element: the offset of its length */
    name_ix *kv_sorted; /* by key */
    name_ix *ti_sorted; /* by name */
    char *arena;        /* NUL-terminated keys and names */
    size_t arena_size;
    char *arch;         /* general.architecture, NUL-terminated; NULL when absent */
};

/* ---- little-endian fields ---------------------------------------------------- */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static float le_f32(const uint8_t *p)
{
    uint32_t b = le32(p);
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static double le_f64(const uint8_t *p)
{
    uint64_t b = le64(p);
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* ---- types ------------------------------------------------------------------ */

static const char *const k_vtype_name[TLPU_GGUF_VTYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64",
};

/* Bytes of one value of a fixed-size type; 0 for str and arr. */
static size_t vtype_size(uint32_t t)
{
    static const uint8_t size[TLPU_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < TLPU_GGUF_VTYPE_COUNT ? size[t] : 0;
}

static int vtype_is_int(uint32_t t)
{
    return t <= TLPU_GGUF_I32 || t == TLPU_GGUF_U64 || t == TLPU_GGUF_I64;
}

const char *tlpu_gguf_vtype_name(tlpu_gguf_vtype t)
{
    return (unsigned)t < TLPU_GGUF_VTYPE_COUNT ? k_vtype_name[t] : NULL;
}

const char *tlpu_gguf_type_name(uint32_t type)
{
    switch (type) {
    case TLPU_GGUF_TYPE_F32: return "f32";
    case TLPU_GGUF_TYPE_F16: return "f16";
    case TLPU_GGUF_TYPE_BF16: return "bf16";
    case TLPU_GGUF_TYPE_TQ1_0: return "tq1_0";
    case TLPU_GGUF_TYPE_TQ2_0: return "tq2_0";
    case TLPU_GGUF_TYPE_I2_S: return "i2_s";
    default: return NULL;
    }
}

/* bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S: its llama-quantize's general.file_type for I2_S files. */
#define GGUF_FTYPE_MOSTLY_I2_S 40u

/* The architectures bitnet.cpp writes I2_S (id 36) into under its own names. */
static int i2s_arch(const char *arch)
{
    return arch && (strcmp(arch, "bitnet-b1.58") == 0 || strcmp(arch, "bitnet-25") == 0 ||
                    strcmp(arch, "bitnet") == 0);
}

/* Elements per block and bytes per block of a known type (I2_S: 128, 32 plus a tail). */
static void type_block(uint32_t type, size_t *blk, size_t *bytes)
{
    switch (type) {
    case TLPU_GGUF_TYPE_F32: *blk = 1; *bytes = 4; break;
    case TLPU_GGUF_TYPE_TQ1_0: *blk = TLPU_TQ_BLOCK; *bytes = TLPU_TQ1_BLOCK_BYTES; break;
    case TLPU_GGUF_TYPE_TQ2_0: *blk = TLPU_TQ_BLOCK; *bytes = TLPU_TQ2_BLOCK_BYTES; break;
    case TLPU_GGUF_TYPE_I2_S: *blk = TLPU_I2S_BLOCK; *bytes = TLPU_I2S_BLOCK / 4; break;
    default: *blk = 1; *bytes = 2; break; /* f16, bf16 */
    }
}

/* ---- messages ---------------------------------------------------------------- */

/*
 * Up to `max` bytes of p[0..n) as printable ASCII, other bytes as \xNN, "..."
 * when cut. `out` holds at least 4*max+4 bytes.
 */
static const char *excerpt(char *out, const uint8_t *p, size_t n, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && i < max; i++) {
        uint8_t b = p[i];
        if (b >= 0x20 && b < 0x7f && b != '\\' && b != '\'') {
            out[o++] = (char)b;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[b >> 4];
            out[o++] = hex[b & 15];
        }
    }
    if (n > max) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* What a message is about: "key 3 'general.name': ", "tensor 0 'x': " or nothing. */
typedef struct where {
    const char *kind; /* "key", "tensor" or NULL */
    size_t idx;
    const uint8_t *name; /* NULL until read */
    size_t name_len;
} where;

static void GGUF_PRINTF(6, 7) put_msg(char *err, size_t errlen, const char *path, size_t at,
                                      const where *w, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    char msg[GGUF_MSG], subj[4 * GGUF_NAME_SHOWN + 64] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w && w->kind) {
        if (w->name) {
            char ex[4 * GGUF_NAME_SHOWN + 4];
            snprintf(subj, sizeof subj, "%s %zu '%s': ", w->kind, w->idx,
                     excerpt(ex, w->name, w->name_len, GGUF_NAME_SHOWN));
        } else {
            snprintf(subj, sizeof subj, "%s %zu: ", w->kind, w->idx);
        }
    }
    snprintf(err, errlen, "%s%soffset %zu: %s%s", path ? path : "", path ? ": " : "", at, subj,
             msg);
}

static void set_ok(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
}

/* ---- the parsing cursor ------------------------------------------------------ */

typedef struct pctx {
    const uint8_t *p;
    size_t n, off;
    const char *path;
    char *err;
    size_t errlen;
    where w;
    uint64_t elem; /* the array element a NULL `what` names */
} pctx;

/* What a field is, for messages: `what`, or (NULL) "string <elem> of the array". */
static const char *what_text(const pctx *c, const char *what, char *buf, size_t size)
{
    if (what)
        return what;
    snprintf(buf, size, "string %llu of the array", (unsigned long long)c->elem);
    return buf;
}

#define FAIL(c, at, st, ...)                                                                  \
    (put_msg((c)->err, (c)->errlen, (c)->path, (at), &(c)->w, __VA_ARGS__), (st))

#define TRY(expr)                                                                             \
    do {                                                                                      \
        tlpu_status st_ = (expr);                                                             \
        if (st_ != TLPU_OK)                                                                   \
            return st_;                                                                       \
    } while (0)

static size_t left(const pctx *c) { return c->n - c->off; }

/* Takes k bytes at the cursor: their offset in *at. */
static tlpu_status take(pctx *c, size_t k, const char *what, size_t *at)
{
    char buf[48];
    if (left(c) < k)
        return FAIL(c, c->off, TLPU_ERR_FORMAT,
                    "truncated: %s needs %zu bytes, %zu left (the file has %zu bytes)",
                    what_text(c, what, buf, sizeof buf), k, left(c), c->n);
    *at = c->off;
    c->off += k;
    return TLPU_OK;
}

static tlpu_status take_u32(pctx *c, const char *what, uint32_t *v, size_t *at)
{
    TRY(take(c, 4, what, at));
    *v = le32(c->p + *at);
    return TLPU_OK;
}

static tlpu_status take_u64(pctx *c, const char *what, uint64_t *v, size_t *at)
{
    TRY(take(c, 8, what, at));
    *v = le64(c->p + *at);
    return TLPU_OK;
}

/* A GGUF string (u64 length, bytes): the bytes' offset and length. */
static tlpu_status take_str(pctx *c, const char *what, size_t *at, size_t *len)
{
    uint64_t n;
    size_t len_at;
    char buf[48];
    TRY(take_u64(c, what, &n, &len_at));
    if (n > left(c))
        return FAIL(c, len_at, TLPU_ERR_FORMAT,
                    "%s: length %llu runs past the end of the file (%zu bytes left)",
                    what_text(c, what, buf, sizeof buf), (unsigned long long)n, left(c));
    *at = c->off;
    *len = (size_t)n;
    c->off += (size_t)n;
    return TLPU_OK;
}

/* A key or tensor name: a string without NUL bytes. */
static tlpu_status take_name(pctx *c, const char *what, size_t *at, size_t *len)
{
    size_t len_at = c->off;
    TRY(take_str(c, what, at, len));
    if (*len && memchr(c->p + *at, 0, *len))
        return FAIL(c, len_at, TLPU_ERR_FORMAT, "%s contains a NUL byte", what);
    c->w.name = c->p + *at;
    c->w.name_len = *len;
    return TLPU_OK;
}

static tlpu_status check_bools(pctx *c, size_t at, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++)
        if (c->p[at + i] > 1)
            return FAIL(c, at + (size_t)i, TLPU_ERR_FORMAT, "bool value %u is not 0 or 1",
                        c->p[at + i]);
    return TLPU_OK;
}

/* ---- the header ------------------------------------------------------------------ */

static tlpu_status parse_fixed(pctx *c, tlpu_gguf *g, uint64_t *n_ti, uint64_t *n_kv)
{
    size_t at;
    if (c->n >= 4 && memcmp(c->p, "GGUF", 4) != 0) {
        char ex[32];
        return FAIL(c, 0, TLPU_ERR_FORMAT, "bad magic '%s': not a GGUF file",
                    excerpt(ex, c->p, 4, 4));
    }
    TRY(take(c, 4, "the magic \"GGUF\"", &at));
    uint32_t v;
    TRY(take_u32(c, "the version", &v, &at));
    if (v == 1)
        return FAIL(c, at, TLPU_ERR_UNSUPPORTED,
                    "GGUF version 1 is not supported (it has 32-bit counts; tlpu reads "
                    "versions 2 and 3)");
    if (v != 2 && v != 3) {
        uint32_t sw = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
        if (sw >= 1 && sw <= 3)
            return FAIL(c, at, TLPU_ERR_UNSUPPORTED,
                        "version field 0x%08x: a big-endian GGUF file (tlpu reads "
                        "little-endian files)",
                        (unsigned)v);
        return FAIL(c, at, TLPU_ERR_UNSUPPORTED,
                    "unknown GGUF version %u (tlpu reads versions 2 and 3)", (unsigned)v);
    }
    g->version = v;
    size_t ti_at, kv_at;
    TRY(take_u64(c, "the tensor count", n_ti, &ti_at));
    TRY(take_u64(c, "the metadata count", n_kv, &kv_at));
    size_t rest = left(c);
    if (*n_kv > rest / GGUF_MIN_KV_BYTES)
        return FAIL(c, kv_at, TLPU_ERR_FORMAT,
                    "metadata count %llu cannot fit in the %zu bytes after the header (each "
                    "entry takes at least %u)",
                    (unsigned long long)*n_kv, rest, GGUF_MIN_KV_BYTES);
    if (*n_ti > rest / GGUF_MIN_TI_BYTES)
        return FAIL(c, ti_at, TLPU_ERR_FORMAT,
                    "tensor count %llu cannot fit in the %zu bytes after the header (each "
                    "tensor info takes at least %u)",
                    (unsigned long long)*n_ti, rest, GGUF_MIN_TI_BYTES);
    if (*n_kv * GGUF_MIN_KV_BYTES > rest - *n_ti * GGUF_MIN_TI_BYTES)
        return FAIL(c, ti_at, TLPU_ERR_FORMAT,
                    "%llu metadata entries and %llu tensor infos cannot fit in the %zu bytes "
                    "after the header",
                    (unsigned long long)*n_kv, (unsigned long long)*n_ti, rest);
    return TLPU_OK;
}

/* Totals the first pass counts for the second. */
typedef struct totals {
    size_t n_str;       /* string-array elements */
    size_t names_bytes; /* keys and names with their NULs */
} totals;

static tlpu_status parse_kv(pctx *c, tlpu_gguf *g, size_t i, totals *tot)
{
    kv_ent e = {0};
    c->w = (where){"key", i, NULL, 0};
    e.offset = c->off;
    TRY(take_name(c, "the key", &e.key_at, &e.key_len));
    tot->names_bytes += e.key_len + 1;
    TRY(take_u32(c, "the value type", &e.type, &e.type_at));
    if (e.type >= TLPU_GGUF_VTYPE_COUNT)
        return FAIL(c, e.type_at, TLPU_ERR_FORMAT, "unknown metadata value type %u",
                    (unsigned)e.type);
    e.elem_type = e.type;
    e.count = 1;
    size_t at;
    if (e.type == TLPU_GGUF_ARR) {
        TRY(take_u32(c, "the array element type", &e.elem_type, &at));
        if (e.elem_type == TLPU_GGUF_ARR)
            return FAIL(c, at, TLPU_ERR_UNSUPPORTED, "arrays of arrays are not supported");
        if (e.elem_type >= TLPU_GGUF_VTYPE_COUNT)
            return FAIL(c, at, TLPU_ERR_FORMAT, "unknown array element type %u",
                        (unsigned)e.elem_type);
        TRY(take_u64(c, "the array length", &e.count, &at));
        e.val = c->off;
        if (e.elem_type == TLPU_GGUF_STR) {
            if (e.count > left(c) / 8)
                return FAIL(c, at, TLPU_ERR_FORMAT,
                            "an array of %llu strings cannot fit in the %zu bytes left (8 "
                            "bytes each at least)",
                            (unsigned long long)e.count, left(c));
            e.str_first = tot->n_str;
            for (uint64_t k = 0; k < e.count; k++) {
                size_t s_at = c->off, s_len;
                c->elem = k;
                TRY(take_str(c, NULL, &at, &s_len)); /* names "string <k> of the array" */
                if (g->str_at)
                    g->str_at[tot->n_str] = s_at;
                tot->n_str++;
            }
        } else {
            size_t es = vtype_size(e.elem_type);
            if (e.count > left(c) / es)
                return FAIL(c, at, TLPU_ERR_FORMAT,
                            "an array of %llu %s values (%zu bytes each) runs past the end of "
                            "the file (%zu bytes left)",
                            (unsigned long long)e.count, k_vtype_name[e.elem_type], es,
                            left(c));
            if (e.elem_type == TLPU_GGUF_BOOL)
                TRY(check_bools(c, c->off, e.count));
            c->off += (size_t)e.count * es;
        }
    } else if (e.type == TLPU_GGUF_STR) {
        size_t s_len;
        e.val = c->off;
        TRY(take_str(c, "the string value", &at, &s_len));
    } else {
        TRY(take(c, vtype_size(e.type), "the value", &e.val));
        if (e.type == TLPU_GGUF_BOOL)
            TRY(check_bools(c, e.val, 1));
    }
    if (g->kv)
        g->kv[i] = e;
    return TLPU_OK;
}

static tlpu_status parse_ti(pctx *c, tlpu_gguf *g, size_t i, totals *tot)
{
    ti_ent t = {0};
    c->w = (where){"tensor", i, NULL, 0};
    t.offset = c->off;
    TRY(take_name(c, "the tensor name", &t.name_at, &t.name_len));
    tot->names_bytes += t.name_len + 1;
    size_t at;
    TRY(take_u32(c, "n_dims", &t.n_dims, &at));
    if (t.n_dims > TLPU_GGUF_MAX_DIMS)
        return FAIL(c, at, TLPU_ERR_FORMAT, "n_dims %u is more than %u", (unsigned)t.n_dims,
                    TLPU_GGUF_MAX_DIMS);
    t.dims_at = c->off;
    t.nelem = 1;
    for (unsigned d = 0; d < TLPU_GGUF_MAX_DIMS; d++) {
        t.ne[d] = 1;
        if (d >= t.n_dims)
            continue;
        char what[32];
        snprintf(what, sizeof what, "dimension %u", d);
        TRY(take_u64(c, what, &t.ne[d], &at));
        if (t.ne[d] == 0)
            return FAIL(c, at, TLPU_ERR_SHAPE, "dimension %u is 0", d);
        if (t.ne[d] > GGUF_I64_MAX)
            return FAIL(c, at, TLPU_ERR_OVERFLOW, "dimension %u is %llu, more than 2^63-1", d,
                        (unsigned long long)t.ne[d]);
        if (t.nelem > GGUF_I64_MAX / t.ne[d])
            return FAIL(c, at, TLPU_ERR_OVERFLOW,
                        "the dimensions overflow: %llu x %llu is more than 2^63-1 elements",
                        (unsigned long long)t.nelem, (unsigned long long)t.ne[d]);
        t.nelem *= t.ne[d];
    }
    TRY(take_u32(c, "the tensor type", &t.type, &t.type_at));
    TRY(take_u64(c, "the tensor offset", &t.data_off, &t.off_at));
    if (g->ti)
        g->ti[i] = t;
    return TLPU_OK;
}

static tlpu_status parse_entries(pctx *c, tlpu_gguf *g, uint64_t n_kv, uint64_t n_ti,
                                 totals *tot)
{
    c->off = GGUF_HEADER_BYTES;
    *tot = (totals){0, 0};
    for (size_t i = 0; i < n_kv; i++)
        TRY(parse_kv(c, g, i, tot));
    for (size_t i = 0; i < n_ti; i++)
        TRY(parse_ti(c, g, i, tot));
    c->w = (where){NULL, 0, NULL, 0};
    return TLPU_OK;
}

/* ---- whole-header checks ------------------------------------------------------ */

static int cmp_name(const void *a, const void *b)
{
    const name_ix *x = a, *y = b;
    int r = strcmp(x->s, y->s);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* Sorts `n` names; the later entry (in file order) of the first duplicate, or n. */
static size_t sort_find_dup(name_ix *ix, size_t n, size_t *other)
{
    qsort(ix, n, sizeof *ix, cmp_name);
    size_t dup = n;
    for (size_t k = 1; k < n; k++)
        if (strcmp(ix[k - 1].s, ix[k].s) == 0 && ix[k].i < dup) {
            dup = ix[k].i;
            *other = ix[k - 1].i;
        }
    return dup;
}

static const kv_ent *find_kv(const tlpu_gguf *g, const char *key)
{
    size_t lo = 0, hi = g->n_kv;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(g->kv_sorted[mid].s, key);
        if (r == 0)
            return &g->kv[g->kv_sorted[mid].i];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Two's complement bits to a signed value, without implementation-defined conversions. */
static int64_t to_signed(uint64_t u, unsigned bits)
{
    uint64_t sign = 1ull << (bits - 1);
    if (!(u & sign))
        return (int64_t)u;
    uint64_t mag = (~u + 1) & (sign | (sign - 1)); /* |value|, at most 2^(bits-1) */
    return mag == sign ? -(int64_t)(sign - 1) - 1 : -(int64_t)mag;
}

/*
 * Integer element i of an entry (vtype_is_int): 1 when it is negative, its
 * value then in *s; otherwise 0 and the value in *u.
 */
static int int_elem(const tlpu_gguf *g, const kv_ent *e, uint64_t i, int64_t *s, uint64_t *u)
{
    const uint8_t *p = g->p + e->val + (size_t)i * vtype_size(e->elem_type);
    uint64_t bits;
    unsigned width;
    switch (e->elem_type) {
    case TLPU_GGUF_U8: *u = p[0]; return 0;
    case TLPU_GGUF_U16: *u = le16(p); return 0;
    case TLPU_GGUF_U32: *u = le32(p); return 0;
    case TLPU_GGUF_U64: *u = le64(p); return 0;
    case TLPU_GGUF_I8: bits = p[0]; width = 8; break;
    case TLPU_GGUF_I16: bits = le16(p); width = 16; break;
    case TLPU_GGUF_I32: bits = le32(p); width = 32; break;
    default: bits = le64(p); width = 64; break;
    }
    int64_t v = to_signed(bits, width);
    if (v < 0) {
        *s = v;
        return 1;
    }
    *u = (uint64_t)v;
    return 0;
}

static tlpu_status check_alignment(pctx *c, tlpu_gguf *g)
{
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    const kv_ent *e = find_kv(g, "general.alignment");
    if (!e)
        return TLPU_OK;
    c->w = (where){"key", (size_t)(e - g->kv), c->p + e->key_at, e->key_len};
    if (e->type == TLPU_GGUF_ARR || !vtype_is_int(e->type))
        return FAIL(c, e->type_at, TLPU_ERR_FORMAT, "general.alignment has type %s, not an integer",
                    k_vtype_name[e->type]);
    int64_t neg_a;
    uint64_t a = 0;
    if (int_elem(g, e, 0, &neg_a, &a))
        return FAIL(c, e->val, TLPU_ERR_FORMAT,
                    "general.alignment is %lld, not a nonzero power of two", (long long)neg_a);
    if (a == 0 || (a & (a - 1)) != 0)
        return FAIL(c, e->val, TLPU_ERR_FORMAT,
                    "general.alignment is %llu, not a nonzero power of two",
                    (unsigned long long)a);
    if (a > (uint64_t)SIZE_MAX / 2 + 1)
        return FAIL(c, e->val, TLPU_ERR_FORMAT, "general.alignment %llu is too large",
                    (unsigned long long)a);
    g->alignment = (size_t)a;
    c->w = (where){NULL, 0, NULL, 0};
    return TLPU_OK;
}

static tlpu_status check_arch(pctx *c, tlpu_gguf *g)
{
    const kv_ent *e = find_kv(g, "general.architecture");
    if (!e)
        return TLPU_OK;
    if (e->type != TLPU_GGUF_STR) {
        c->w = (where){"key", (size_t)(e - g->kv), c->p + e->key_at, e->key_len};
        return FAIL(c, e->type_at, TLPU_ERR_FORMAT, "general.architecture has type %s, not str",
                    k_vtype_name[e->type]);
    }
    size_t len = (size_t)le64(c->p + e->val); /* < the file's size */
    if (len && memchr(c->p + e->val + 8, 0, len)) {
        c->w = (where){"key", (size_t)(e - g->kv), c->p + e->key_at, e->key_len};
        return FAIL(c, e->val, TLPU_ERR_FORMAT, "general.architecture contains a NUL byte");
    }
    g->arch = malloc(len + 1);
    if (!g->arch)
        return FAIL(c, e->val, TLPU_ERR_NOMEM, "out of memory for a %zu-byte string", len);
    memcpy(g->arch, c->p + e->val + 8, len);
    g->arch[len] = '\0';
    return TLPU_OK;
}

/* Sizes (when known), offsets in the file, no overlaps. */
static tlpu_status check_tensors(pctx *c, tlpu_gguf *g, size_t header_end)
{
    size_t a = g->alignment;
    if (a - 1 > SIZE_MAX - header_end)
        return FAIL(c, header_end, TLPU_ERR_FORMAT,
                    "general.alignment %zu puts the data section past the end of the file", a);
    g->data_offset = (header_end + a - 1) & ~(a - 1);
    if (g->n_ti && g->data_offset > c->n)
        return FAIL(c, header_end, TLPU_ERR_FORMAT,
                    "truncated: the data section starts at %zu (the header ends at %zu, aligned "
                    "to %zu), past the end of the file (%zu bytes)",
                    g->data_offset, header_end, a, c->n);
    size_t data_size = g->data_offset <= c->n ? c->n - g->data_offset : 0;
    int i2s = i2s_arch(g->arch);
    const kv_ent *ft = find_kv(g, "general.file_type");
    if (ft && ft->type != TLPU_GGUF_ARR && vtype_is_int(ft->type)) {
        int64_t neg;
        uint64_t v;
        if (!int_elem(g, ft, 0, &neg, &v) && v == GGUF_FTYPE_MOSTLY_I2_S)
            i2s = 1;
    }
    for (size_t i = 0; i < g->n_ti; i++) {
        ti_ent *t = &g->ti[i];
        c->w = (where){"tensor", i, c->p + t->name_at, t->name_len};
        t->known = tlpu_gguf_type_name(t->type) && (t->type != TLPU_GGUF_TYPE_I2_S || i2s);
        if (t->known) {
            size_t blk, bytes;
            type_block(t->type, &blk, &bytes);
            if (t->ne[0] % blk)
                return FAIL(c, t->dims_at, TLPU_ERR_SHAPE,
                            "%s rows need a multiple of %zu elements, ne[0] is %llu",
                            tlpu_gguf_type_name(t->type), blk, (unsigned long long)t->ne[0]);
            /* nelem < 2^63 and blk | nelem: nb * bytes + tail can still pass SIZE_MAX */
            uint64_t nb = t->nelem / blk;
            if (nb > ((uint64_t)SIZE_MAX - TLPU_I2S_TAIL) / bytes)
                return FAIL(c, t->dims_at, TLPU_ERR_OVERFLOW,
                            "%llu %s elements take more than %zu bytes",
                            (unsigned long long)t->nelem, tlpu_gguf_type_name(t->type),
                            (size_t)SIZE_MAX);
            t->size = (size_t)nb * bytes + (t->type == TLPU_GGUF_TYPE_I2_S ? TLPU_I2S_TAIL : 0);
        }
        if (t->data_off % a)
            return FAIL(c, t->off_at, TLPU_ERR_FORMAT,
                        "offset %llu is not a multiple of the alignment %zu",
                        (unsigned long long)t->data_off, a);
        size_t extent = t->known ? t->size : 1;
        if (t->data_off > data_size || extent > data_size - t->data_off) {
            if (t->known)
                return FAIL(c, t->off_at, TLPU_ERR_FORMAT,
                            "%zu bytes of data at offset %llu run past the end of the file "
                            "(the data section at %zu holds %zu bytes)",
                            t->size, (unsigned long long)t->data_off, g->data_offset, data_size);
            return FAIL(c, t->off_at, TLPU_ERR_FORMAT,
                        "offset %llu is past the end of the file (the data section at %zu "
                        "holds %zu bytes)",
                        (unsigned long long)t->data_off, g->data_offset, data_size);
        }
    }
    c->w = (where){NULL, 0, NULL, 0};
    return TLPU_OK;
}

static int cmp_data_off(const void *a, const void *b)
{
    const ti_ent *const *x = a, *const *y = b;
    if ((*x)->data_off != (*y)->data_off)
        return (*x)->data_off < (*y)->data_off ? -1 : 1;
    return (*x < *y) ? -1 : (*x > *y);
}

static tlpu_status check_overlaps(pctx *c, tlpu_gguf *g)
{
    if (g->n_ti < 2)
        return TLPU_OK;
    const ti_ent **by = malloc(g->n_ti * sizeof *by);
    if (!by)
        return FAIL(c, 0, TLPU_ERR_NOMEM, "out of memory sorting %zu tensors", g->n_ti);
    for (size_t i = 0; i < g->n_ti; i++)
        by[i] = &g->ti[i];
    qsort(by, g->n_ti, sizeof *by, cmp_data_off);
    tlpu_status st = TLPU_OK;
    for (size_t k = 1; k < g->n_ti; k++) {
        const ti_ent *p = by[k - 1], *q = by[k];
        size_t pe = p->known ? p->size : 1, qe = q->known ? q->size : 1;
        if (p->data_off + pe > q->data_off) {
            c->w = (where){"tensor", (size_t)(q - g->ti), c->p + q->name_at, q->name_len};
            char ex[4 * GGUF_NAME_SHOWN + 4];
            st = FAIL(c, q->off_at, TLPU_ERR_FORMAT,
                      "its data [%zu, %zu) overlaps tensor %zu '%s' [%zu, %zu) (file offsets)",
                      g->data_offset + (size_t)q->data_off,
                      g->data_offset + (size_t)q->data_off + qe, (size_t)(p - g->ti),
                      excerpt(ex, c->p + p->name_at, p->name_len, GGUF_NAME_SHOWN),
                      g->data_offset + (size_t)p->data_off,
                      g->data_offset + (size_t)p->data_off + pe);
            break;
        }
    }
    free(by);
    return st;
}

/* ---- opening ------------------------------------------------------------------- */

void tlpu_gguf_close(tlpu_gguf *g)
{
    if (!g)
        return;
    free(g->kv);
    free(g->ti);
    free(g->str_at);
    free(g->kv_sorted);
    free(g->ti_sorted);
    free(g->arena);
    free(g->arch);
    free(g->path);
    if (g->map)
        munmap(g->map, g->n);
    free(g);
}

/* Parses and checks; on success g is complete. On failure the caller closes g. */
static tlpu_status parse_all(pctx *c, tlpu_gguf *g)
{
    uint64_t n_ti, n_kv;
    TRY(parse_fixed(c, g, &n_ti, &n_kv));
    totals tot;
    TRY(parse_entries(c, g, n_kv, n_ti, &tot)); /* pass 1: checks, counts, no allocation */
    size_t header_end = c->off;
    g->n_kv = (size_t)n_kv;
    g->n_ti = (size_t)n_ti;
    g->n_str = tot.n_str;
    /* every count below was just read from bytes that exist in the file */
    g->kv = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
    g->ti = calloc(g->n_ti ? g->n_ti : 1, sizeof *g->ti);
    g->str_at = calloc(g->n_str ? g->n_str : 1, sizeof *g->str_at);
    g->kv_sorted = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv_sorted);
    g->ti_sorted = calloc(g->n_ti ? g->n_ti : 1, sizeof *g->ti_sorted);
    if (!g->kv || !g->ti || !g->str_at || !g->kv_sorted || !g->ti_sorted)
        return FAIL(c, 0, TLPU_ERR_NOMEM, "out of memory for %zu entries and %zu tensors",
                    g->n_kv, g->n_ti);
    TRY(parse_entries(c, g, n_kv, n_ti, &tot)); /* pass 2: the same bytes, stored */
    g->arena_size = tot.names_bytes;
    g->arena = malloc(g->arena_size ? g->arena_size : 1);
    if (!g->arena)
        return FAIL(c, 0, TLPU_ERR_NOMEM, "out of memory for %zu bytes of names",
                    g->arena_size);
    char *pos = g->arena;
    for (size_t i = 0; i < g->n_kv; i++) {
        kv_ent *e = &g->kv[i];
        memcpy(pos, c->p + e->key_at, e->key_len);
        pos[e->key_len] = '\0';
        e->key = pos;
        pos += e->key_len + 1;
        g->kv_sorted[i] = (name_ix){e->key, i};
    }
    for (size_t i = 0; i < g->n_ti; i++) {
        ti_ent *t = &g->ti[i];
        memcpy(pos, c->p + t->name_at, t->name_len);
        pos[t->name_len] = '\0';
        t->name = pos;
        pos += t->name_len + 1;
        g->ti_sorted[i] = (name_ix){t->name, i};
    }
    size_t other = 0, dup = sort_find_dup(g->kv_sorted, g->n_kv, &other);
    if (dup < g->n_kv) {
        const kv_ent *e = &g->kv[dup];
        c->w = (where){NULL, 0, NULL, 0};
        char ex[4 * GGUF_NAME_SHOWN + 4];
        return FAIL(c, e->offset, TLPU_ERR_FORMAT, "duplicate key '%s' (keys %zu and %zu)",
                    excerpt(ex, c->p + e->key_at, e->key_len, GGUF_NAME_SHOWN), other, dup);
    }
    dup = sort_find_dup(g->ti_sorted, g->n_ti, &other);
    if (dup < g->n_ti) {
        const ti_ent *t = &g->ti[dup];
        c->w = (where){NULL, 0, NULL, 0};
        char ex[4 * GGUF_NAME_SHOWN + 4];
        return FAIL(c, t->offset, TLPU_ERR_FORMAT,
                    "duplicate tensor name '%s' (tensors %zu and %zu)",
                    excerpt(ex, c->p + t->name_at, t->name_len, GGUF_NAME_SHOWN), other, dup);
    }
    TRY(check_alignment(c, g));
    TRY(check_arch(c, g));
    TRY(check_tensors(c, g, header_end));
    return check_overlaps(c, g);
}

static tlpu_status open_bytes(const uint8_t *p, size_t n, void *map, const char *path,
                              tlpu_gguf **out, char *err, size_t errlen)
{
    pctx c = {.p = p, .n = n, .off = 0, .path = path, .err = err, .errlen = errlen};
    tlpu_gguf *g = calloc(1, sizeof *g);
    char *pcopy = path ? malloc(strlen(path) + 1) : NULL;
    if (!g || (path && !pcopy)) {
        free(g);
        free(pcopy);
        if (map)
            munmap(map, n);
        return FAIL(&c, 0, TLPU_ERR_NOMEM, "out of memory");
    }
    if (pcopy)
        strcpy(pcopy, path);
    g->p = p;
    g->n = n;
    g->map = map;
    g->path = pcopy;
    tlpu_status st = parse_all(&c, g);
    if (st != TLPU_OK) {
        tlpu_gguf_close(g);
        return st;
    }
    set_ok(err, errlen);
    *out = g;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_open_mem(const void *data, size_t n, tlpu_gguf **out, char *err,
                               size_t errlen)
{
    if (!out || (!data && n)) {
        put_msg(err, errlen, NULL, 0, NULL, "tlpu_gguf_open_mem: NULL %s", out ? "data" : "out");
        return TLPU_ERR_INVALID_ARG;
    }
    return open_bytes(data, n, NULL, NULL, out, err, errlen);
}

tlpu_status tlpu_gguf_open(const char *path, tlpu_gguf **out, char *err, size_t errlen)
{
    if (!path || !out) {
        put_msg(err, errlen, NULL, 0, NULL, "tlpu_gguf_open: NULL %s", path ? "out" : "path");
        return TLPU_ERR_INVALID_ARG;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        put_msg(err, errlen, path, 0, NULL, "cannot open: %s", strerror(errno));
        return TLPU_ERR_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        put_msg(err, errlen, path, 0, NULL, "cannot stat: %s", strerror(errno));
        close(fd);
        return TLPU_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        put_msg(err, errlen, path, 0, NULL, "not a regular file");
        close(fd);
        return TLPU_ERR_IO;
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > (uintmax_t)SIZE_MAX) {
        put_msg(err, errlen, path, 0, NULL, "file size %jd is out of range",
                (intmax_t)sb.st_size);
        close(fd);
        return TLPU_ERR_IO;
    }
    size_t n = (size_t)sb.st_size;
    void *map = NULL;
    if (n) {
        map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            put_msg(err, errlen, path, 0, NULL, "cannot map %zu bytes: %s", n, strerror(errno));
            close(fd);
            return TLPU_ERR_IO;
        }
    }
    close(fd); /* the mapping stays */
    return open_bytes(map, n, map, path, out, err, errlen);
}

/* ---- the file ------------------------------------------------------------------- */

uint32_t tlpu_gguf_version(const tlpu_gguf *g) { return g ? g->version : 0; }
size_t tlpu_gguf_alignment(const tlpu_gguf *g) { return g ? g->alignment : 0; }
size_t tlpu_gguf_data_offset(const tlpu_gguf *g) { return g ? g->data_offset : 0; }
size_t tlpu_gguf_file_size(const tlpu_gguf *g) { return g ? g->n : 0; }
const char *tlpu_gguf_architecture(const tlpu_gguf *g) { return g ? g->arch : NULL; }

/* ---- metadata ------------------------------------------------------------------ */

size_t tlpu_gguf_kv_count(const tlpu_gguf *g) { return g ? g->n_kv : 0; }

tlpu_status tlpu_gguf_kv_info(const tlpu_gguf *g, size_t index, tlpu_gguf_kv *out)
{
    if (!g || !out || index >= g->n_kv)
        return TLPU_ERR_INVALID_ARG;
    const kv_ent *e = &g->kv[index];
    *out = (tlpu_gguf_kv){.key = e->key,
                          .type = (tlpu_gguf_vtype)e->type,
                          .elem_type = (tlpu_gguf_vtype)e->elem_type,
                          .count = e->count,
                          .offset = e->offset};
    return TLPU_OK;
}

tlpu_status tlpu_gguf_find_key(const tlpu_gguf *g, const char *key, size_t *index)
{
    if (!g || !key || !index)
        return TLPU_ERR_INVALID_ARG;
    const kv_ent *e = find_kv(g, key);
    if (!e)
        return TLPU_ERR_INVALID_ARG;
    *index = (size_t)(e - g->kv);
    return TLPU_OK;
}

/* Entry `index`'s element i, checked: the entry in *e. */
static tlpu_status elem(const tlpu_gguf *g, size_t index, uint64_t i, const kv_ent **e)
{
    if (!g || index >= g->n_kv)
        return TLPU_ERR_INVALID_ARG;
    *e = &g->kv[index];
    if (i >= (*e)->count)
        return TLPU_ERR_INVALID_ARG;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_kv_int(const tlpu_gguf *g, size_t index, uint64_t i, int64_t *out)
{
    const kv_ent *e;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(elem(g, index, i, &e));
    if (!vtype_is_int(e->elem_type))
        return TLPU_ERR_FORMAT;
    int64_t s;
    uint64_t u;
    if (int_elem(g, e, i, &s, &u)) {
        *out = s;
        return TLPU_OK;
    }
    if (u > GGUF_I64_MAX)
        return TLPU_ERR_RANGE;
    *out = (int64_t)u;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_kv_uint(const tlpu_gguf *g, size_t index, uint64_t i, uint64_t *out)
{
    const kv_ent *e;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(elem(g, index, i, &e));
    if (!vtype_is_int(e->elem_type))
        return TLPU_ERR_FORMAT;
    int64_t s;
    uint64_t u;
    if (int_elem(g, e, i, &s, &u))
        return TLPU_ERR_RANGE;
    *out = u;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_kv_float(const tlpu_gguf *g, size_t index, uint64_t i, double *out)
{
    const kv_ent *e;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(elem(g, index, i, &e));
    if (e->elem_type == TLPU_GGUF_F32)
        *out = le_f32(g->p + e->val + (size_t)i * 4);
    else if (e->elem_type == TLPU_GGUF_F64)
        *out = le_f64(g->p + e->val + (size_t)i * 8);
    else
        return TLPU_ERR_FORMAT;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_kv_bool(const tlpu_gguf *g, size_t index, uint64_t i, int *out)
{
    const kv_ent *e;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(elem(g, index, i, &e));
    if (e->elem_type != TLPU_GGUF_BOOL)
        return TLPU_ERR_FORMAT;
    *out = g->p[e->val + (size_t)i] != 0;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_kv_str(const tlpu_gguf *g, size_t index, uint64_t i, const char **s,
                             size_t *len)
{
    const kv_ent *e;
    if (!s || !len)
        return TLPU_ERR_INVALID_ARG;
    TRY(elem(g, index, i, &e));
    if (e->elem_type != TLPU_GGUF_STR)
        return TLPU_ERR_FORMAT;
    size_t at = e->type == TLPU_GGUF_ARR ? g->str_at[e->str_first + (size_t)i] : e->val;
    *len = (size_t)le64(g->p + at);
    *s = (const char *)g->p + at + 8;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_kv_data(const tlpu_gguf *g, size_t index, const void **data,
                              size_t *elem_size)
{
    if (!g || !data || !elem_size || index >= g->n_kv)
        return TLPU_ERR_INVALID_ARG;
    const kv_ent *e = &g->kv[index];
    if (e->elem_type == TLPU_GGUF_STR)
        return TLPU_ERR_FORMAT;
    *data = g->p + e->val;
    *elem_size = vtype_size(e->elem_type);
    return TLPU_OK;
}

/* A scalar entry by key. */
static tlpu_status scalar(const tlpu_gguf *g, const char *key, size_t *index)
{
    TRY(tlpu_gguf_find_key(g, key, index));
    return g->kv[*index].type == TLPU_GGUF_ARR ? TLPU_ERR_FORMAT : TLPU_OK;
}

tlpu_status tlpu_gguf_get_u64(const tlpu_gguf *g, const char *key, uint64_t *out)
{
    size_t ix;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(scalar(g, key, &ix));
    return tlpu_gguf_kv_uint(g, ix, 0, out);
}

tlpu_status tlpu_gguf_get_u32(const tlpu_gguf *g, const char *key, uint32_t *out)
{
    uint64_t v;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(tlpu_gguf_get_u64(g, key, &v));
    if (v > UINT32_MAX)
        return TLPU_ERR_RANGE;
    *out = (uint32_t)v;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_get_i64(const tlpu_gguf *g, const char *key, int64_t *out)
{
    size_t ix;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(scalar(g, key, &ix));
    return tlpu_gguf_kv_int(g, ix, 0, out);
}

tlpu_status tlpu_gguf_get_f32(const tlpu_gguf *g, const char *key, float *out)
{
    size_t ix;
    double v;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(scalar(g, key, &ix));
    TRY(tlpu_gguf_kv_float(g, ix, 0, &v));
    if (isfinite(v) && fabs(v) > FLT_MAX)
        return TLPU_ERR_RANGE;
    *out = (float)v;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_get_bool(const tlpu_gguf *g, const char *key, int *out)
{
    size_t ix;
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    TRY(scalar(g, key, &ix));
    return tlpu_gguf_kv_bool(g, ix, 0, out);
}

tlpu_status tlpu_gguf_get_str(const tlpu_gguf *g, const char *key, const char **s, size_t *len)
{
    size_t ix;
    if (!s || !len)
        return TLPU_ERR_INVALID_ARG;
    TRY(scalar(g, key, &ix));
    return tlpu_gguf_kv_str(g, ix, 0, s, len);
}

tlpu_status tlpu_gguf_get_arr(const tlpu_gguf *g, const char *key, size_t *index,
                              tlpu_gguf_vtype *elem_type, uint64_t *count)
{
    size_t ix;
    if (!index || !elem_type || !count)
        return TLPU_ERR_INVALID_ARG;
    TRY(tlpu_gguf_find_key(g, key, &ix));
    const kv_ent *e = &g->kv[ix];
    if (e->type != TLPU_GGUF_ARR)
        return TLPU_ERR_FORMAT;
    *index = ix;
    *elem_type = (tlpu_gguf_vtype)e->elem_type;
    *count = e->count;
    return TLPU_OK;
}

/* ---- tensors ------------------------------------------------------------------- */

size_t tlpu_gguf_tensor_count(const tlpu_gguf *g) { return g ? g->n_ti : 0; }

tlpu_status tlpu_gguf_tensor_info(const tlpu_gguf *g, size_t index, tlpu_gguf_tensor *out)
{
    if (!g || !out || index >= g->n_ti)
        return TLPU_ERR_INVALID_ARG;
    const ti_ent *t = &g->ti[index];
    tlpu_gguf_tensor r = {.name = t->name,
                          .n_dims = t->n_dims,
                          .type = t->type,
                          .known = t->known,
                          .nelem = t->nelem,
                          .nrows = t->nelem / t->ne[0],
                          .offset = (size_t)t->data_off,
                          .file_offset = g->data_offset + (size_t)t->data_off,
                          .size = t->known ? t->size : 0,
                          .data = t->known ? g->p + g->data_offset + (size_t)t->data_off : NULL};
    memcpy(r.ne, t->ne, sizeof r.ne);
    *out = r;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_find_tensor(const tlpu_gguf *g, const char *name, size_t *index)
{
    if (!g || !name || !index)
        return TLPU_ERR_INVALID_ARG;
    size_t lo = 0, hi = g->n_ti;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(g->ti_sorted[mid].s, name);
        if (r == 0) {
            *index = g->ti_sorted[mid].i;
            return TLPU_OK;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return TLPU_ERR_INVALID_ARG;
}

/* Message for tensor `t` of g. */
#define TFAIL(g, t, err, errlen, at, st, ...)                                                 \
    (put_msg((err), (errlen), (g)->path, (at),                                                \
             &(where){"tensor", (size_t)((t) - (g)->ti), (const uint8_t *)(t)->name,          \
                      strlen((t)->name)},                                                     \
             __VA_ARGS__),                                                                    \
     (st))

/* Index and known type checked; the tensor in *tp. */
static tlpu_status known_tensor(const tlpu_gguf *g, size_t index, const ti_ent **tp, char *err,
                                size_t errlen, const char *fn)
{
    if (!g || index >= g->n_ti) {
        put_msg(err, errlen, g ? g->path : NULL, 0, NULL, "%s: %s", fn,
                g ? "tensor index past the end" : "NULL handle");
        return TLPU_ERR_INVALID_ARG;
    }
    const ti_ent *t = &g->ti[index];
    if (!t->known) {
        if (t->type == TLPU_GGUF_TYPE_I2_S)
            return TFAIL(g, t, err, errlen, t->type_at, TLPU_ERR_UNSUPPORTED,
                         "type 36 is I2_S only in bitnet architectures or files with "
                         "general.file_type 40, and this file's architecture is '%s'",
                         g->arch ? g->arch : "(none)");
        return TFAIL(g, t, err, errlen, t->type_at, TLPU_ERR_UNSUPPORTED,
                     "type %u (unknown): tlpu reads f32, f16, bf16, tq1_0, tq2_0 and i2_s",
                     (unsigned)t->type);
    }
    *tp = t;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_tensor_data(const tlpu_gguf *g, size_t index, const void **data,
                                  size_t *size, char *err, size_t errlen)
{
    const ti_ent *t;
    if (!data || !size) {
        put_msg(err, errlen, NULL, 0, NULL, "tlpu_gguf_tensor_data: NULL %s",
                data ? "size" : "data");
        return TLPU_ERR_INVALID_ARG;
    }
    TRY(known_tensor(g, index, &t, err, errlen, "tlpu_gguf_tensor_data"));
    *data = g->p + g->data_offset + (size_t)t->data_off;
    *size = t->size;
    set_ok(err, errlen);
    return TLPU_OK;
}

/* The rows' checks shared by the two readers. */
static tlpu_status rows_check(const tlpu_gguf *g, const ti_ent *t, size_t row0, size_t nrows,
                              size_t count, char *err, size_t errlen)
{
    uint64_t rows = t->nelem / t->ne[0];
    if (row0 > rows || nrows > rows - row0)
        return TFAIL(g, t, err, errlen, t->dims_at, TLPU_ERR_INVALID_ARG,
                     "rows [%zu, %zu + %zu) are past its %llu rows", row0, row0, nrows,
                     (unsigned long long)rows);
    if ((uint64_t)count != (uint64_t)nrows * t->ne[0])
        return TFAIL(g, t, err, errlen, t->dims_at, TLPU_ERR_BUFFER_SIZE,
                     "%zu rows of %llu elements need a buffer of %llu, not %zu", nrows,
                     (unsigned long long)t->ne[0], (unsigned long long)nrows * t->ne[0], count);
    return TLPU_OK;
}

/* One I2_S block of 128 weights through the codec: its 32 code bytes with the tensor's tail. */
static tlpu_status i2s_block(const uint8_t *data, uint64_t nelem, size_t b, int8_t *trits,
                             float *scale)
{
    uint8_t buf[TLPU_I2S_BLOCK / 4 + TLPU_I2S_TAIL];
    memcpy(buf, data + (size_t)b * (TLPU_I2S_BLOCK / 4), TLPU_I2S_BLOCK / 4);
    memcpy(buf + TLPU_I2S_BLOCK / 4, data + (size_t)(nelem / 4), TLPU_I2S_TAIL);
    return tlpu_i2s_decode(buf, sizeof buf, TLPU_I2S_BLOCK, trits, scale);
}

/* Block b of a ternary tensor to trits (and its scale); FORMAT on an invalid code. */
static tlpu_status ternary_block(const ti_ent *t, const uint8_t *data, size_t b, int8_t *trits,
                                 float *scale)
{
    uint16_t d;
    tlpu_status st;
    switch (t->type) {
    case TLPU_GGUF_TYPE_TQ1_0:
        st = tlpu_tq1_decode(data + b * TLPU_TQ1_BLOCK_BYTES, TLPU_TQ1_BLOCK_BYTES, TLPU_TQ_BLOCK,
                             trits, &d);
        break;
    case TLPU_GGUF_TYPE_TQ2_0:
        st = tlpu_tq2_decode(data + b * TLPU_TQ2_BLOCK_BYTES, TLPU_TQ2_BLOCK_BYTES, TLPU_TQ_BLOCK,
                             trits, &d);
        break;
    default:
        return i2s_block(data, t->nelem, b, trits, scale);
    }
    if (st == TLPU_OK && scale)
        *scale = tlpu_f16_to_f32(d);
    return st;
}

static int is_ternary(uint32_t type)
{
    return type == TLPU_GGUF_TYPE_TQ1_0 || type == TLPU_GGUF_TYPE_TQ2_0 ||
           type == TLPU_GGUF_TYPE_I2_S;
}

/* Checks every block of the rows (so nothing is written before an error). */
static tlpu_status ternary_validate(const tlpu_gguf *g, const ti_ent *t, size_t b0, size_t nb,
                                    char *err, size_t errlen)
{
    const uint8_t *data = g->p + g->data_offset + (size_t)t->data_off;
    size_t blk, bytes;
    type_block(t->type, &blk, &bytes);
    (void)blk;
    int8_t trits[TLPU_TQ_BLOCK];
    for (size_t b = b0; b < b0 + nb; b++)
        if (ternary_block(t, data, b, trits, NULL) != TLPU_OK)
            return TFAIL(g, t, err, errlen,
                         g->data_offset + (size_t)t->data_off + b * bytes, TLPU_ERR_FORMAT,
                         "invalid 2-bit code 3 in %s block %zu", tlpu_gguf_type_name(t->type),
                         b);
    return TLPU_OK;
}

tlpu_status tlpu_gguf_read_f32(const tlpu_gguf *g, size_t index, size_t row0, size_t nrows,
                               float *out, size_t count, char *err, size_t errlen)
{
    const ti_ent *t;
    if (!out) {
        put_msg(err, errlen, NULL, 0, NULL, "tlpu_gguf_read_f32: NULL out");
        return TLPU_ERR_INVALID_ARG;
    }
    TRY(known_tensor(g, index, &t, err, errlen, "tlpu_gguf_read_f32"));
    TRY(rows_check(g, t, row0, nrows, count, err, errlen));
    const uint8_t *data = g->p + g->data_offset + (size_t)t->data_off;
    size_t first = row0 * (size_t)t->ne[0]; /* element index; < nelem < 2^63 */
    switch (t->type) {
    case TLPU_GGUF_TYPE_F32:
        for (size_t i = 0; i < count; i++)
            out[i] = le_f32(data + 4 * (first + i));
        break;
    case TLPU_GGUF_TYPE_F16:
        for (size_t i = 0; i < count; i++)
            out[i] = tlpu_f16_to_f32(le16(data + 2 * (first + i)));
        break;
    case TLPU_GGUF_TYPE_BF16:
        for (size_t i = 0; i < count; i++)
            out[i] = tlpu_bf16_to_f32(le16(data + 2 * (first + i)));
        break;
    default: {
        size_t blk, bytes;
        type_block(t->type, &blk, &bytes);
        size_t b0 = first / blk, nb = count / blk;
        TRY(ternary_validate(g, t, b0, nb, err, errlen));
        for (size_t b = 0; b < nb; b++) {
            float *y = out + b * blk;
            if (t->type == TLPU_GGUF_TYPE_TQ1_0) {
                tlpu_tq1_dequantize(data + (b0 + b) * bytes, bytes, blk, y);
            } else if (t->type == TLPU_GGUF_TYPE_TQ2_0) {
                tlpu_tq2_dequantize(data + (b0 + b) * bytes, bytes, blk, y);
            } else {
                int8_t trits[TLPU_I2S_BLOCK];
                float scale;
                i2s_block(data, t->nelem, b0 + b, trits, &scale);
                for (size_t k = 0; k < blk; k++)
                    y[k] = (float)trits[k] * scale;
            }
        }
        break;
    }
    }
    set_ok(err, errlen);
    return TLPU_OK;
}

tlpu_status tlpu_gguf_read_trits(const tlpu_gguf *g, size_t index, size_t row0, size_t nrows,
                                 int8_t *trits, size_t count, float *scales, size_t nscales,
                                 char *err, size_t errlen)
{
    const ti_ent *t;
    if (!trits || (!scales && nscales)) {
        put_msg(err, errlen, NULL, 0, NULL, "tlpu_gguf_read_trits: NULL %s",
                trits ? "scales" : "trits");
        return TLPU_ERR_INVALID_ARG;
    }
    TRY(known_tensor(g, index, &t, err, errlen, "tlpu_gguf_read_trits"));
    if (!is_ternary(t->type))
        return TFAIL(g, t, err, errlen, t->type_at, TLPU_ERR_UNSUPPORTED,
                     "type %s is not ternary (tq1_0, tq2_0 or i2_s)",
                     tlpu_gguf_type_name(t->type));
    TRY(rows_check(g, t, row0, nrows, count, err, errlen));
    size_t blk, bytes;
    type_block(t->type, &blk, &bytes);
    size_t first = row0 * (size_t)t->ne[0], b0 = first / blk, nb = count / blk;
    size_t want = t->type == TLPU_GGUF_TYPE_I2_S ? 1 : nb;
    if (scales && nscales != want)
        return TFAIL(g, t, err, errlen, t->dims_at, TLPU_ERR_BUFFER_SIZE,
                     "%zu rows have %zu scales, not %zu", nrows, want, nscales);
    TRY(ternary_validate(g, t, b0, nb, err, errlen));
    const uint8_t *data = g->p + g->data_offset + (size_t)t->data_off;
    for (size_t b = 0; b < nb; b++) {
        float s;
        ternary_block(t, data, b0 + b, trits + b * blk, &s);
        if (scales && (t->type != TLPU_GGUF_TYPE_I2_S || b == 0))
            scales[t->type == TLPU_GGUF_TYPE_I2_S ? 0 : b] = s;
    }
    if (scales && nb == 0 && t->type == TLPU_GGUF_TYPE_I2_S) {
        int8_t tmp[TLPU_I2S_BLOCK];
        i2s_block(data, t->nelem, 0, tmp, &scales[0]);
    }
    set_ok(err, errlen);
    return TLPU_OK;
}
