/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NumPy .npy files: a hand-written parser of the header subset NumPy
 * writes, and a writer of the exact bytes np.save produces. See tlpu/npy.h
 * for what is accepted and rejected.
 *
 * The parser works on byte spans with an explicit cursor and checks every
 * index against the span's length before reading; nothing is allocated from
 * header values until the input is known to hold that many bytes.
 */
#include "tlpu/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__)
#define NPY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NPY_PRINTF(f, a)
#endif

#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64          /* numpy.lib.format.ARRAY_ALIGN */
#define NPY_GROWTH_DIGITS 21  /* numpy.lib.format.GROWTH_AXIS_MAX_DIGITS */
#define NPY_MSG 320           /* internal message buffers */
#define NPY_NEST_MAX 32       /* brackets in a (skipped) structured descr */

static const uint8_t k_magic[NPY_MAGIC_LEN] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* ---- dtypes ------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t size;
    const char *descr; /* what np.save writes on a little-endian machine */
} k_dtype[TLPU_NPY_DTYPE_COUNT] = {
    [TLPU_NPY_I8] = {"int8", 1, "|i1"},      [TLPU_NPY_U8] = {"uint8", 1, "|u1"},
    [TLPU_NPY_I16] = {"int16", 2, "<i2"},    [TLPU_NPY_I32] = {"int32", 4, "<i4"},
    [TLPU_NPY_I64] = {"int64", 8, "<i8"},    [TLPU_NPY_F16] = {"float16", 2, "<f2"},
    [TLPU_NPY_F32] = {"float32", 4, "<f4"}, [TLPU_NPY_F64] = {"float64", 8, "<f8"},
};

/* Every descr string the reader accepts. */
static const struct {
    const char *descr;
    tlpu_npy_dtype dtype;
    int big_endian;
} k_descr[] = {
    {"|i1", TLPU_NPY_I8, 0},     {"<i1", TLPU_NPY_I8, 0},     {">i1", TLPU_NPY_I8, 0},
    {"|u1", TLPU_NPY_U8, 0},    {"<u1", TLPU_NPY_U8, 0},    {">u1", TLPU_NPY_U8, 0},
    {"<i2", TLPU_NPY_I16, 0},    {">i2", TLPU_NPY_I16, 1},    {"<i4", TLPU_NPY_I32, 0},
    {">i4", TLPU_NPY_I32, 1},    {"<i8", TLPU_NPY_I64, 0},    {">i8", TLPU_NPY_I64, 1},
    {"<f2", TLPU_NPY_F16, 0},  {">f2", TLPU_NPY_F16, 1},  {"<f4", TLPU_NPY_F32, 0},
    {">f4", TLPU_NPY_F32, 1},  {"<f8", TLPU_NPY_F64, 0},  {">f8", TLPU_NPY_F64, 1},
};

static int dtype_valid(tlpu_npy_dtype dtype)
{
    return (int)dtype >= 0 && (int)dtype < TLPU_NPY_DTYPE_COUNT;
}

const char *tlpu_npy_dtype_name(tlpu_npy_dtype dtype)
{
    return dtype_valid(dtype) ? k_dtype[dtype].name : NULL;
}

size_t tlpu_npy_dtype_size(tlpu_npy_dtype dtype)
{
    return dtype_valid(dtype) ? k_dtype[dtype].size : 0;
}

/* What kind of type a NumPy type character stands for, for messages. */
static const char *kind_name(uint8_t c)
{
    switch (c) {
    case 'b': case '?': return "bool";
    case 'i': return "signed integer";
    case 'u': return "unsigned integer";
    case 'f': case 'e': case 'd': case 'g': return "floating point";
    case 'c': return "complex";
    case 'O': return "Python object";
    case 'S': case 'a': return "byte string";
    case 'U': return "unicode string";
    case 'V': return "raw bytes (void)";
    case 'M': return "datetime64";
    case 'm': return "timedelta64";
    default: return "unknown type";
    }
}

/* ---- messages ----------------------------------------------------------- */

static void NPY_PRINTF(3, 4) seterr(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/*
 * Up to `max` bytes of p[0..n) as printable ASCII, other bytes as \xNN and
 * backslashes doubled, "..." when cut. `out` holds at least 4*max+4 bytes.
 */
static const char *excerpt(char *out, const uint8_t *p, size_t n, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < max; i++) {
        uint8_t b = p[i];
        if (b >= 0x20 && b < 0x7f && b != '\\') {
            out[o++] = (char)b;
        } else if (b == '\\') {
            out[o++] = '\\';
            out[o++] = '\\';
        } else {
            static const char hex[] = "0123456789abcdef";
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

/* "64x2560", "7" or "scalar". */
static const char *shape_text(char *out, size_t out_size, unsigned ndim, const size_t *shape)
{
    if (ndim == 0) {
        snprintf(out, out_size, "scalar");
        return out;
    }
    size_t o = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < ndim && o < out_size; i++) {
        int k = snprintf(out + o, out_size - o, i ? "x%zu" : "%zu", shape[i]);
        if (k < 0)
            break;
        o += (size_t)k;
    }
    return out;
}

/* ---- byte order and layout ---------------------------------------------- */

static int host_big_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 0;
}

static void swap_elems(uint8_t *p, size_t count, size_t esize)
{
    for (size_t e = 0; e < count; e++, p += esize)
        for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

static void copy_elem(uint8_t *dst, const uint8_t *src, size_t esize)
{
    switch (esize) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, esize); break;
    }
}

/* Column-major src to row-major dst (count > 0, so every dimension >= 1). */
static void fortran_to_c(const tlpu_npy_header *h, const uint8_t *src, uint8_t *dst)
{
    const unsigned n = h->ndim;
    const size_t es = h->elem_size;
    size_t fs[TLPU_NPY_MAX_NDIM], idx[TLPU_NPY_MAX_NDIM] = {0};
    fs[0] = 1;
    for (unsigned k = 1; k < n; k++)
        fs[k] = fs[k - 1] * h->shape[k - 1];
    size_t s = 0;
    for (size_t o = 0; o < h->count; o++) {
        copy_elem(dst + o * es, src + s * es, es);
        unsigned k = n - 1;
        idx[k]++;
        s += fs[k];
        while (idx[k] == h->shape[k] && k > 0) {
            s -= h->shape[k] * fs[k];
            idx[k] = 0;
            k--;
            idx[k]++;
            s += fs[k];
        }
    }
}

/*
 * The array from the raw data bytes: C order, host byte order. `owned` is
 * a malloc'd buffer holding the raw bytes that may be reused (NULL when
 * `raw` belongs to the caller); it is consumed either way.
 */
static tlpu_status make_array(const tlpu_npy_header *h, const uint8_t *raw, uint8_t *owned,
                              tlpu_npy *arr, char *msg)
{
    uint8_t *data = owned;
    const int transpose = h->fortran_order && h->ndim >= 2 && h->count > 1;
    if (!data || transpose) {
        data = malloc(h->nbytes ? h->nbytes : 1);
        if (!data) {
            free(owned);
            snprintf(msg, NPY_MSG, "cannot allocate %zu bytes for the data", h->nbytes);
            return TLPU_ERR_NOMEM;
        }
        if (transpose)
            fortran_to_c(h, raw, data);
        else if (h->nbytes)
            memcpy(data, raw, h->nbytes);
        free(owned);
    }
    if (h->elem_size > 1 && h->big_endian != host_big_endian())
        swap_elems(data, h->count, h->elem_size);
    tlpu_npy a;
    memset(&a, 0, sizeof a);
    a.dtype = h->dtype;
    a.ndim = h->ndim;
    memcpy(a.shape, h->shape, sizeof a.shape);
    a.elem_size = h->elem_size;
    a.count = h->count;
    a.nbytes = h->nbytes;
    a.data = data;
    *arr = a;
    return TLPU_OK;
}

/* ---- the preamble ------------------------------------------------------- */

/*
 * Magic, version and header length. `b` holds the first min(total, 12)
 * bytes of an input of `total` bytes; nothing past them is read.
 */
static tlpu_status parse_preamble(const uint8_t *b, size_t total, unsigned *version,
                                  size_t *prefix, size_t *hlen, char *msg)
{
    char ex[64];
    size_t have = total < 12 ? total : 12;
    size_t m = have < NPY_MAGIC_LEN ? have : NPY_MAGIC_LEN;
    if (total == 0) {
        snprintf(msg, NPY_MSG, "empty file, not a .npy file");
        return TLPU_ERR_FORMAT;
    }
    if (memcmp(b, k_magic, m) != 0) {
        snprintf(msg, NPY_MSG, "not a .npy file: starts with \"%s\", not \"\\x93NUMPY\"",
                 excerpt(ex, b, m, NPY_MAGIC_LEN));
        return TLPU_ERR_FORMAT;
    }
    if (total < 8) {
        snprintf(msg, NPY_MSG, "truncated: %zu bytes, shorter than the magic and version", total);
        return TLPU_ERR_FORMAT;
    }
    unsigned major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0) {
        snprintf(msg, NPY_MSG, ".npy format version %u.%u is not supported (1.0, 2.0, 3.0 are)",
                 major, minor);
        return TLPU_ERR_UNSUPPORTED;
    }
    size_t pre = major == 1 ? 10 : 12;
    if (total < pre) {
        snprintf(msg, NPY_MSG,
                 "truncated: %zu bytes, shorter than the %zu-byte preamble of a version %u.0 file",
                 total, pre, major);
        return TLPU_ERR_FORMAT;
    }
    size_t n = (size_t)b[8] | (size_t)b[9] << 8;
    if (major > 1)
        n |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
    if (n > total - pre) {
        snprintf(msg, NPY_MSG,
                 "truncated: header length is %zu bytes but the file has %zu after the "
                 "%zu-byte preamble",
                 n, total - pre, pre);
        return TLPU_ERR_FORMAT;
    }
    if (n > TLPU_NPY_MAX_HEADER) {
        snprintf(msg, NPY_MSG, "header of %zu bytes is longer than the %u this reader accepts", n,
                 TLPU_NPY_MAX_HEADER);
        return TLPU_ERR_UNSUPPORTED;
    }
    *version = major;
    *prefix = pre;
    *hlen = n;
    return TLPU_OK;
}

/* ---- the header dict ---------------------------------------------------- */

enum descr_kind { DESCR_NONE, DESCR_STRING, DESCR_STRUCTURED, DESCR_SUBARRAY };

typedef struct {
    const uint8_t *h; /* header text; h[n-1] is '\n' */
    size_t n;
    size_t i; /* cursor, <= n */
    unsigned version;
    char *msg;
    /* what was found */
    enum descr_kind descr_kind;
    size_t descr_at, descr_len;
    int have_fortran, fortran;
    int have_shape;
    size_t ndim; /* dimensions seen, may exceed TLPU_NPY_MAX_NDIM */
    uint64_t dim[TLPU_NPY_MAX_NDIM];
    int dim_overflow[TLPU_NPY_MAX_NDIM];
    size_t dim_at[TLPU_NPY_MAX_NDIM], dim_len[TLPU_NPY_MAX_NDIM];
} pctx;

static int at(const pctx *c, uint8_t ch) { return c->i < c->n && c->h[c->i] == ch; }
static int is_digit(uint8_t b) { return b >= '0' && b <= '9'; }
static int is_ident(uint8_t b)
{
    return is_digit(b) || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
}

static void skip_spaces(pctx *c)
{
    while (c->i < c->n && c->h[c->i] == ' ')
        c->i++;
}

/* A syntax error at the cursor: "header byte K: <what>, at "<text>"". */
static tlpu_status syntax(pctx *c, const char *what)
{
    char ex[4 * 24 + 4];
    size_t rest = c->n - c->i;
    snprintf(c->msg, NPY_MSG, "bad header: %s at header byte %zu: \"%s\"", what, c->i,
             excerpt(ex, c->h + c->i, rest, 24));
    return TLPU_ERR_FORMAT;
}

/*
 * A Python string literal in single or double quotes, no prefix. Escapes
 * are skipped over (and then never match a known key or dtype); bytes
 * 0x80..0xff are kept as they are (latin-1 or UTF-8 field names), control
 * characters are refused.
 */
static tlpu_status parse_string(pctx *c, size_t *start, size_t *len)
{
    uint8_t q = c->h[c->i];
    size_t open = c->i;
    c->i++;
    size_t s = c->i;
    for (;;) {
        if (c->i >= c->n) {
            c->i = open;
            return syntax(c, "unterminated string");
        }
        uint8_t b = c->h[c->i];
        if (b == q)
            break;
        if (b < 0x20 || b == 0x7f) {
            if (b == '\n') {
                c->i = open;
                return syntax(c, "unterminated string");
            }
            return syntax(c, "control character in a string");
        }
        if (b == '\\') {
            if (c->i + 1 >= c->n || c->h[c->i + 1] < 0x20 || c->h[c->i + 1] == 0x7f)
                return syntax(c, "bad escape in a string");
            c->i++;
        }
        c->i++;
    }
    *start = s;
    *len = c->i - s;
    c->i++;
    return TLPU_OK;
}

/* A structured or subarray descr: balanced brackets of strings, integers,
 * commas and spaces. Only skipped: such dtypes are not supported. */
static tlpu_status skip_literal(pctx *c)
{
    uint8_t stack[NPY_NEST_MAX];
    size_t depth = 0;
    for (;;) {
        skip_spaces(c);
        if (c->i >= c->n)
            return syntax(c, "unterminated descr");
        uint8_t b = c->h[c->i];
        if (b == '[' || b == '(') {
            if (depth == NPY_NEST_MAX)
                return syntax(c, "descr nested too deeply");
            stack[depth++] = b == '[' ? ']' : ')';
            c->i++;
        } else if (b == ']' || b == ')') {
            if (depth == 0 || stack[depth - 1] != b)
                return syntax(c, "unbalanced bracket in descr");
            c->i++;
            if (--depth == 0)
                return TLPU_OK;
        } else if (b == '\'' || b == '"') {
            size_t s, l;
            tlpu_status st = parse_string(c, &s, &l);
            if (st != TLPU_OK)
                return st;
        } else if (is_digit(b) || b == '-' || b == ',') {
            c->i++;
        } else {
            return syntax(c, "unexpected character in descr");
        }
    }
}

static tlpu_status parse_descr(pctx *c)
{
    if (at(c, '\'') || at(c, '"')) {
        c->descr_kind = DESCR_STRING;
        return parse_string(c, &c->descr_at, &c->descr_len);
    }
    if (at(c, '[') || at(c, '(')) {
        c->descr_kind = at(c, '[') ? DESCR_STRUCTURED : DESCR_SUBARRAY;
        c->descr_at = c->i;
        tlpu_status st = skip_literal(c);
        c->descr_len = c->i - c->descr_at;
        return st;
    }
    return syntax(c, "'descr' is not a string");
}

static tlpu_status parse_bool(pctx *c)
{
    static const struct {
        const char *word;
        size_t len;
        int value;
    } words[] = {{"True", 4, 1}, {"False", 5, 0}};
    for (size_t w = 0; w < 2; w++) {
        size_t l = words[w].len;
        if (c->n - c->i > l && memcmp(c->h + c->i, words[w].word, l) == 0 &&
            !is_ident(c->h[c->i + l])) {
            c->i += l;
            c->fortran = words[w].value;
            return TLPU_OK;
        }
    }
    return syntax(c, "'fortran_order' is not True or False");
}

/* One dimension: a non-negative decimal integer, 'L' allowed in 1.0/2.0. */
static tlpu_status parse_dim(pctx *c)
{
    if (at(c, '-'))
        return syntax(c, "negative dimension");
    if (c->i >= c->n || !is_digit(c->h[c->i]))
        return syntax(c, "expected a dimension");
    size_t s = c->i;
    uint64_t v = 0;
    int over = 0;
    while (c->i < c->n && is_digit(c->h[c->i])) {
        unsigned d = (unsigned)(c->h[c->i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
        c->i++;
    }
    size_t len = c->i - s;
    if (len > 1 && c->h[s] == '0') {
        c->i = s;
        return syntax(c, "dimension with a leading zero");
    }
    if (c->version < 3 && at(c, 'L'))
        c->i++;
    if (c->i < c->n && (is_ident(c->h[c->i]) || c->h[c->i] == '.')) {
        c->i = s;
        return syntax(c, "dimension is not a decimal integer");
    }
    if (c->ndim < TLPU_NPY_MAX_NDIM) {
        c->dim[c->ndim] = v;
        c->dim_overflow[c->ndim] = over;
        c->dim_at[c->ndim] = s;
        c->dim_len[c->ndim] = len;
    }
    c->ndim++;
    return TLPU_OK;
}

/* A tuple of dimensions: (), (3,), (2, 3), (2, 3,). */
static tlpu_status parse_shape(pctx *c)
{
    if (!at(c, '('))
        return syntax(c, "'shape' is not a tuple");
    size_t open = c->i;
    c->i++;
    skip_spaces(c);
    if (at(c, ')')) {
        c->i++;
        return TLPU_OK;
    }
    for (;;) {
        tlpu_status st = parse_dim(c);
        if (st != TLPU_OK)
            return st;
        skip_spaces(c);
        if (at(c, ',')) {
            c->i++;
            skip_spaces(c);
            if (at(c, ')')) {
                c->i++;
                return TLPU_OK;
            }
        } else if (at(c, ')')) {
            if (c->ndim == 1) {
                c->i = open;
                return syntax(c, "'shape' is a parenthesized integer, not a tuple (write (n,))");
            }
            c->i++;
            return TLPU_OK;
        } else {
            return syntax(c, "expected ',' or ')' in the shape");
        }
    }
}

static tlpu_status parse_item(pctx *c)
{
    if (!at(c, '\'') && !at(c, '"'))
        return syntax(c, "expected a quoted key");
    size_t key_pos = c->i, s, l;
    tlpu_status st = parse_string(c, &s, &l);
    if (st != TLPU_OK)
        return st;
    const uint8_t *k = c->h + s;
    int which;
    if (l == 5 && memcmp(k, "descr", 5) == 0)
        which = 0;
    else if (l == 13 && memcmp(k, "fortran_order", 13) == 0)
        which = 1;
    else if (l == 5 && memcmp(k, "shape", 5) == 0)
        which = 2;
    else {
        c->i = key_pos;
        return syntax(c, "unknown key");
    }
    int seen = which == 0 ? c->descr_kind != DESCR_NONE : which == 1 ? c->have_fortran
                                                                     : c->have_shape;
    if (seen) {
        c->i = key_pos;
        return syntax(c, "repeated key");
    }
    skip_spaces(c);
    if (!at(c, ':'))
        return syntax(c, "expected ':' after a key");
    c->i++;
    skip_spaces(c);
    switch (which) {
    case 0:
        return parse_descr(c);
    case 1:
        c->have_fortran = 1;
        return parse_bool(c);
    default:
        c->have_shape = 1;
        return parse_shape(c);
    }
}

static tlpu_status parse_dict(pctx *c)
{
    if (c->n == 0 || c->h[c->n - 1] != '\n') {
        snprintf(c->msg, NPY_MSG, "bad header: it does not end with a newline");
        return TLPU_ERR_FORMAT;
    }
    skip_spaces(c);
    if (!at(c, '{'))
        return syntax(c, "expected '{'");
    c->i++;
    skip_spaces(c);
    if (at(c, '}')) {
        c->i++;
    } else {
        for (;;) {
            tlpu_status st = parse_item(c);
            if (st != TLPU_OK)
                return st;
            skip_spaces(c);
            if (at(c, ',')) {
                c->i++;
                skip_spaces(c);
                if (at(c, '}')) {
                    c->i++;
                    break;
                }
            } else if (at(c, '}')) {
                c->i++;
                break;
            } else {
                return syntax(c, "expected ',' or '}' after a value");
            }
        }
    }
    skip_spaces(c);
    if (c->i != c->n - 1)
        return syntax(c, "unexpected text after the dict");
    return TLPU_OK;
}

/*
 * The header text h[0..n) of a version `version` file whose data starts at
 * data_offset: syntax, then keys, dtype, dimensions and sizes.
 */
static tlpu_status parse_header_text(const uint8_t *h, size_t n, unsigned version,
                                     size_t data_offset, tlpu_npy_header *out, char *msg)
{
    pctx c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.n = n;
    c.version = version;
    c.msg = msg;
    tlpu_status st = parse_dict(&c);
    if (st != TLPU_OK)
        return st;

    const char *missing = c.descr_kind == DESCR_NONE ? "descr"
                          : !c.have_fortran          ? "fortran_order"
                          : !c.have_shape            ? "shape"
                                                     : NULL;
    if (missing) {
        snprintf(msg, NPY_MSG, "bad header: no '%s' key", missing);
        return TLPU_ERR_FORMAT;
    }

    char ex[4 * 40 + 4];
    const uint8_t *d = h + c.descr_at;
    if (c.descr_kind != DESCR_STRING) {
        snprintf(msg, NPY_MSG, "unsupported dtype: %s dtype %s",
                 c.descr_kind == DESCR_STRUCTURED ? "structured" : "subarray",
                 excerpt(ex, d, c.descr_len, 40));
        return TLPU_ERR_UNSUPPORTED;
    }
    size_t di = 0;
    const size_t nd = sizeof k_descr / sizeof k_descr[0];
    while (di < nd && !(strlen(k_descr[di].descr) == c.descr_len &&
                        memcmp(k_descr[di].descr, d, c.descr_len) == 0))
        di++;
    if (di == nd) {
        size_t t = c.descr_len > 0 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=');
        snprintf(msg, NPY_MSG,
                 "unsupported dtype '%s' (%s); tlpu reads int8, uint8, int16, int32, int64, "
                 "float16, float32, float64",
                 excerpt(ex, d, c.descr_len, 40),
                 t < c.descr_len ? kind_name(d[t]) : "unknown type");
        return TLPU_ERR_UNSUPPORTED;
    }

    if (c.ndim > TLPU_NPY_MAX_NDIM) {
        snprintf(msg, NPY_MSG, "unsupported shape: %zu dimensions, at most %d are supported",
                 c.ndim, TLPU_NPY_MAX_NDIM);
        return TLPU_ERR_UNSUPPORTED;
    }

    tlpu_npy_header hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.version = version;
    hdr.dtype = k_descr[di].dtype;
    hdr.big_endian = k_descr[di].big_endian;
    hdr.fortran_order = c.fortran;
    hdr.ndim = (unsigned)c.ndim;
    hdr.elem_size = k_dtype[hdr.dtype].size;
    uint64_t bytes = hdr.elem_size, count = 1;
    for (unsigned k = 0; k < hdr.ndim; k++) {
        if (c.dim_overflow[k] || c.dim[k] > (uint64_t)PTRDIFF_MAX ||
            (c.dim[k] && bytes > (uint64_t)PTRDIFF_MAX / c.dim[k])) {
            snprintf(msg, NPY_MSG,
                     "shape too large: dimension %u (%s) makes the array more than %td bytes", k,
                     excerpt(ex, h + c.dim_at[k], c.dim_len[k], 30), (ptrdiff_t)PTRDIFF_MAX);
            return TLPU_ERR_OVERFLOW;
        }
        if (c.dim[k])
            bytes *= c.dim[k];
        count *= c.dim[k]; /* <= bytes, cannot wrap */
        hdr.shape[k] = (size_t)c.dim[k];
    }
    hdr.count = (size_t)count;
    hdr.nbytes = (size_t)(count * hdr.elem_size);
    hdr.data_offset = data_offset;
    *out = hdr;
    return TLPU_OK;
}

/* Exactly nbytes of data after the header, no fewer and no more. */
static tlpu_status check_data_size(const tlpu_npy_header *h, size_t total, char *msg)
{
    size_t avail = total - h->data_offset; /* data_offset <= total: checked by the preamble */
    if (avail == h->nbytes)
        return TLPU_OK;
    char sh[TLPU_NPY_MAX_NDIM * 21 + 8];
    shape_text(sh, sizeof sh, h->ndim, h->shape);
    if (avail < h->nbytes)
        snprintf(msg, NPY_MSG,
                 "truncated: header says %s %s = %zu data bytes at offset %zu (%zu in all), "
                 "file has %zu bytes",
                 sh, k_dtype[h->dtype].name, h->nbytes, h->data_offset,
                 h->data_offset + h->nbytes, total);
    else
        snprintf(msg, NPY_MSG,
                 "trailing data: header says %s %s = %zu data bytes at offset %zu (%zu in all), "
                 "file has %zu bytes",
                 sh, k_dtype[h->dtype].name, h->nbytes, h->data_offset,
                 h->data_offset + h->nbytes, total);
    return TLPU_ERR_FORMAT;
}

/* ---- public: parsing ---------------------------------------------------- */

static tlpu_status parse_mem_header(const uint8_t *b, size_t len, tlpu_npy_header *hdr,
                                    char *msg)
{
    unsigned version;
    size_t prefix, hlen;
    tlpu_status st = parse_preamble(b, len, &version, &prefix, &hlen, msg);
    if (st != TLPU_OK)
        return st;
    return parse_header_text(b + prefix, hlen, version, prefix + hlen, hdr, msg);
}

tlpu_status tlpu_npy_parse_header(const void *buf, size_t len, tlpu_npy_header *hdr,
                                  char *errbuf, size_t errlen)
{
    if (!buf || !hdr) {
        seterr(errbuf, errlen, "tlpu_npy_parse_header: NULL %s", buf ? "hdr" : "buf");
        return TLPU_ERR_INVALID_ARG;
    }
    char msg[NPY_MSG];
    tlpu_npy_header h;
    tlpu_status st = parse_mem_header(buf, len, &h, msg);
    if (st != TLPU_OK) {
        seterr(errbuf, errlen, "%s", msg);
        return st;
    }
    *hdr = h;
    seterr(errbuf, errlen, "%s", "");
    return TLPU_OK;
}

tlpu_status tlpu_npy_parse(const void *buf, size_t len, tlpu_npy *arr, char *errbuf,
                           size_t errlen)
{
    if (!buf || !arr) {
        seterr(errbuf, errlen, "tlpu_npy_parse: NULL %s", buf ? "arr" : "buf");
        return TLPU_ERR_INVALID_ARG;
    }
    char msg[NPY_MSG];
    tlpu_npy_header h;
    const uint8_t *b = buf;
    tlpu_status st = parse_mem_header(b, len, &h, msg);
    if (st == TLPU_OK)
        st = check_data_size(&h, len, msg);
    if (st == TLPU_OK)
        st = make_array(&h, b + h.data_offset, NULL, arr, msg);
    if (st != TLPU_OK) {
        seterr(errbuf, errlen, "%s", msg);
        return st;
    }
    seterr(errbuf, errlen, "%s", "");
    return TLPU_OK;
}

/* ---- public: reading a file --------------------------------------------- */

static int read_at(FILE *f, size_t offset, void *p, size_t n)
{
    if (fseek(f, (long)offset, SEEK_SET) != 0)
        return 0;
    return n == 0 || fread(p, 1, n, f) == n;
}

tlpu_status tlpu_npy_read(const char *path, tlpu_npy *arr, char *errbuf, size_t errlen)
{
    if (!path || !arr) {
        seterr(errbuf, errlen, "tlpu_npy_read: NULL %s", path ? "arr" : "path");
        return TLPU_ERR_INVALID_ARG;
    }
    char msg[NPY_MSG];
    tlpu_status st = TLPU_ERR_IO;
    uint8_t *text = NULL, *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, NPY_MSG, "cannot open: %s", strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        snprintf(msg, NPY_MSG, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(msg, NPY_MSG, "not a regular file");
        goto out;
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > (uintmax_t)PTRDIFF_MAX) {
        snprintf(msg, NPY_MSG, "file size %jd is out of range", (intmax_t)sb.st_size);
        goto out;
    }
    const size_t total = (size_t)sb.st_size;

    uint8_t pre[12];
    unsigned version;
    size_t prefix, hlen;
    if (!read_at(f, 0, pre, total < 12 ? total : 12)) {
        snprintf(msg, NPY_MSG, "read failed");
        goto out;
    }
    st = parse_preamble(pre, total, &version, &prefix, &hlen, msg);
    if (st != TLPU_OK)
        goto out;
    /* hlen <= TLPU_NPY_MAX_HEADER and <= the file's size */
    text = malloc(hlen ? hlen : 1);
    if (!text) {
        st = TLPU_ERR_NOMEM;
        snprintf(msg, NPY_MSG, "cannot allocate %zu bytes for the header", hlen);
        goto out;
    }
    if (!read_at(f, prefix, text, hlen)) {
        st = TLPU_ERR_IO;
        snprintf(msg, NPY_MSG, "read of the header failed");
        goto out;
    }
    tlpu_npy_header h;
    st = parse_header_text(text, hlen, version, prefix + hlen, &h, msg);
    if (st == TLPU_OK)
        st = check_data_size(&h, total, msg);
    if (st != TLPU_OK)
        goto out;
    /* The file holds exactly h.nbytes more bytes: now allocating is safe. */
    data = malloc(h.nbytes ? h.nbytes : 1);
    if (!data) {
        st = TLPU_ERR_NOMEM;
        snprintf(msg, NPY_MSG, "cannot allocate %zu bytes for the data", h.nbytes);
        goto out;
    }
    if (!read_at(f, h.data_offset, data, h.nbytes)) {
        st = TLPU_ERR_IO;
        snprintf(msg, NPY_MSG, "read of %zu data bytes failed (file changed while reading?)",
                 h.nbytes);
        goto out;
    }
    st = make_array(&h, data, data, arr, msg);
    data = NULL; /* consumed */

out:
    free(text);
    free(data);
    if (f)
        fclose(f);
    if (st != TLPU_OK)
        seterr(errbuf, errlen, "%s: %s", path, msg);
    else
        seterr(errbuf, errlen, "%s", "");
    return st;
}

void tlpu_npy_free(tlpu_npy *arr)
{
    if (!arr)
        return;
    free(arr->data);
    memset(arr, 0, sizeof *arr);
}

/* ---- public: writing ---------------------------------------------------- */

/* Checks the arguments of a write and computes the byte count. */
static tlpu_status check_write_args(tlpu_npy_dtype dtype, unsigned ndim, const size_t *shape,
                                    size_t *nbytes, char *msg)
{
    if (!dtype_valid(dtype)) {
        snprintf(msg, NPY_MSG, "unknown dtype %d", (int)dtype);
        return TLPU_ERR_INVALID_ARG;
    }
    if (ndim > TLPU_NPY_MAX_NDIM) {
        snprintf(msg, NPY_MSG, "%u dimensions, at most %d are supported", ndim,
                 TLPU_NPY_MAX_NDIM);
        return TLPU_ERR_UNSUPPORTED;
    }
    if (ndim > 0 && !shape) {
        snprintf(msg, NPY_MSG, "NULL shape with %u dimensions", ndim);
        return TLPU_ERR_INVALID_ARG;
    }
    size_t bytes = k_dtype[dtype].size, count = 1;
    for (unsigned k = 0; k < ndim; k++) {
        size_t d = shape[k];
        if (d > (size_t)PTRDIFF_MAX || (d && bytes > (size_t)PTRDIFF_MAX / d)) {
            snprintf(msg, NPY_MSG, "dimension %u (%zu) makes the array more than %td bytes", k,
                     d, (ptrdiff_t)PTRDIFF_MAX);
            return TLPU_ERR_OVERFLOW;
        }
        if (d)
            bytes *= d;
        count *= d;
    }
    *nbytes = count * k_dtype[dtype].size;
    return TLPU_OK;
}

/* The preamble and padded header, as np.save writes them; returns its size
 * (always a multiple of 64, at most 512). Arguments already checked. */
static size_t build_header(tlpu_npy_dtype dtype, unsigned ndim, const size_t *shape,
                           uint8_t out[512])
{
    char d[400];
    int k = snprintf(d, sizeof d, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     k_dtype[dtype].descr);
    for (unsigned i = 0; i < ndim; i++)
        k += snprintf(d + k, sizeof d - (size_t)k, i ? ", %zu" : "%zu", shape[i]);
    k += snprintf(d + k, sizeof d - (size_t)k, "%s), }", ndim == 1 ? "," : "");
    size_t len = (size_t)k;
    if (ndim > 0) { /* room for the first axis to grow to 21 digits in place */
        char digits[24];
        size_t nd = (size_t)snprintf(digits, sizeof digits, "%zu", shape[0]);
        for (size_t s = nd; s < NPY_GROWTH_DIGITS; s++)
            d[len++] = ' ';
    }
    size_t hlen = len + 1; /* with the final '\n' */
    size_t pad = NPY_ALIGN - (10 + hlen) % NPY_ALIGN;
    size_t field = hlen + pad;
    memcpy(out, k_magic, NPY_MAGIC_LEN);
    out[6] = 1;
    out[7] = 0;
    out[8] = (uint8_t)field;
    out[9] = (uint8_t)(field >> 8);
    memcpy(out + 10, d, len);
    memset(out + 10 + len, ' ', pad);
    out[10 + len + pad] = '\n';
    return 10 + field;
}

size_t tlpu_npy_header_bytes(tlpu_npy_dtype dtype, unsigned ndim, const size_t *shape,
                             void *out, size_t out_size)
{
    char msg[NPY_MSG];
    size_t nbytes;
    if (check_write_args(dtype, ndim, shape, &nbytes, msg) != TLPU_OK)
        return 0;
    uint8_t h[512];
    size_t n = build_header(dtype, ndim, shape, h);
    if (out) {
        if (out_size < n)
            return 0;
        memcpy(out, h, n);
    }
    return n;
}

static int write_data(FILE *f, const uint8_t *p, size_t nbytes, size_t esize)
{
    if (esize == 1 || !host_big_endian())
        return nbytes == 0 || fwrite(p, 1, nbytes, f) == nbytes;
    uint8_t chunk[4096]; /* a multiple of every element size */
    while (nbytes) {
        size_t n = nbytes < sizeof chunk ? nbytes : sizeof chunk;
        memcpy(chunk, p, n);
        swap_elems(chunk, n / esize, esize);
        if (fwrite(chunk, 1, n, f) != n)
            return 0;
        p += n;
        nbytes -= n;
    }
    return 1;
}

static atomic_uint g_tmp_counter;

tlpu_status tlpu_npy_write(const char *path, tlpu_npy_dtype dtype, unsigned ndim,
                           const size_t *shape, const void *data, char *errbuf, size_t errlen)
{
    char msg[NPY_MSG];
    size_t nbytes;
    if (!path || !*path) {
        seterr(errbuf, errlen, "tlpu_npy_write: %s path", path ? "empty" : "NULL");
        return TLPU_ERR_INVALID_ARG;
    }
    tlpu_status st = check_write_args(dtype, ndim, shape, &nbytes, msg);
    if (st == TLPU_OK && !data && nbytes > 0) {
        snprintf(msg, NPY_MSG, "NULL data for %zu bytes", nbytes);
        st = TLPU_ERR_INVALID_ARG;
    }
    if (st != TLPU_OK) {
        seterr(errbuf, errlen, "%s: %s", path, msg);
        return st;
    }

    uint8_t head[512];
    size_t hsize = build_header(dtype, ndim, shape, head);

    /* a device or a pipe (/dev/stdout, a FIFO) is written in place: a rename
     * would replace the node itself */
    struct stat sb;
    if (stat(path, &sb) == 0 &&
        (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode))) {
        FILE *f = fopen(path, "wb");
        if (!f) {
            seterr(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
            return TLPU_ERR_IO;
        }
        int ok = fwrite(head, 1, hsize, f) == hsize &&
                 write_data(f, data, nbytes, k_dtype[dtype].size) && fflush(f) == 0;
        int e = errno;
        if (fclose(f) != 0 && ok)
            ok = 0, e = errno;
        if (!ok) {
            seterr(errbuf, errlen, "%s: writing %zu bytes failed: %s", path, hsize + nbytes,
                   strerror(e));
            return TLPU_ERR_IO;
        }
        return TLPU_OK;
    }

    size_t tlen = strlen(path) + 64;
    char *tmp = malloc(tlen);
    if (!tmp) {
        seterr(errbuf, errlen, "%s: out of memory", path);
        return TLPU_ERR_NOMEM;
    }
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tlen, "%s.tmp.%ld.%u", path, (long)getpid(),
                 atomic_fetch_add(&g_tmp_counter, 1u));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        seterr(errbuf, errlen, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return TLPU_ERR_IO;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        seterr(errbuf, errlen, "%s: cannot write %s: %s", path, tmp, strerror(e));
        free(tmp);
        return TLPU_ERR_IO;
    }
    int ok = fwrite(head, 1, hsize, f) == hsize &&
             write_data(f, data, nbytes, k_dtype[dtype].size) && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        seterr(errbuf, errlen, "%s: cannot rename %s over it: %s", path, tmp, strerror(e));
        free(tmp);
        return TLPU_ERR_IO;
    }
    if (!ok) {
        unlink(tmp);
        seterr(errbuf, errlen, "%s: writing %zu bytes failed: %s", path, hsize + nbytes,
               strerror(e));
        free(tmp);
        return TLPU_ERR_IO;
    }
    free(tmp);
    seterr(errbuf, errlen, "%s", "");
    return TLPU_OK;
}
