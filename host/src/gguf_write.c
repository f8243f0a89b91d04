/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GGUF writer (tlpu/gguf_write.h): metadata entries are kept serialized, as
 * the bytes that follow their type field in the file; tensors keep their
 * infos and a pointer to their bytes (owned or borrowed). Writing computes
 * the whole layout with overflow checks first, then streams the header, the
 * padding and the tensors to a temporary file that replaces the target
 * only once everything is on disk.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "tlpu/gguf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlpu/pack.h"

#if defined(__GNUC__)
#define GW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GW_PRINTF(f, a)
#endif

#define GW_MSG 768
#define GW_I64_MAX 0x7fffffffffffffffull
#define GW_FTYPE_MOSTLY_I2_S 40u /* bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S */
#define GW_TMP_TRIES 1000

typedef struct wkv {
    char *key;
    size_t key_len;
    uint32_t type;      /* the value type field */
    uint32_t elem_type; /* arrays: the element type; scalars: == type */
    uint64_t count;     /* arrays: elements; scalars: 1 */
    uint8_t *val;       /* the bytes after the type field */
    size_t val_len;
} wkv;

typedef struct wti {
    char *name;
    size_t name_len;
    uint32_t n_dims;
    uint64_t ne[TLPU_GGUF_MAX_DIMS];
    uint32_t type;
    const void *data;
    size_t size;
    void *owned; /* == data when the writer holds a copy */
} wti;

struct tlpu_gguf_writer {
    wkv *kv;
    size_t n_kv, cap_kv;
    wti *ti;
    size_t n_ti, cap_ti;
    char msg[GW_MSG];
};

/* ---- messages -------------------------------------------------------------------- */

static tlpu_status GW_PRINTF(3, 4) fail(tlpu_gguf_writer *w, tlpu_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
    return st;
}

static tlpu_status ok(tlpu_gguf_writer *w)
{
    w->msg[0] = '\0';
    return TLPU_OK;
}

const char *tlpu_gguf_writer_error(const tlpu_gguf_writer *w)
{
    return w ? w->msg : "NULL writer";
}

/* ---- little-endian stores ---------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Bytes of one value of a fixed-size type; 0 for str and arr (and unknown types). */
static size_t vsize(uint32_t t)
{
    static const uint8_t size[TLPU_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < TLPU_GGUF_VTYPE_COUNT ? size[t] : 0;
}

static int vtype_is_int(uint32_t t)
{
    return t <= TLPU_GGUF_I32 || t == TLPU_GGUF_U64 || t == TLPU_GGUF_I64;
}

/* a + b into *r; 0 on overflow. */
static int add_ok(uint64_t a, uint64_t b, uint64_t *r)
{
    if (a > UINT64_MAX - b)
        return 0;
    *r = a + b;
    return 1;
}

/* ---- the writer ------------------------------------------------------------------------ */

tlpu_status tlpu_gguf_writer_new(tlpu_gguf_writer **out)
{
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    tlpu_gguf_writer *w = calloc(1, sizeof *w);
    if (!w)
        return TLPU_ERR_NOMEM;
    *out = w;
    return TLPU_OK;
}

void tlpu_gguf_writer_free(tlpu_gguf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].val);
    }
    for (size_t i = 0; i < w->n_ti; i++) {
        free(w->ti[i].name);
        free(w->ti[i].owned);
    }
    free(w->kv);
    free(w->ti);
    free(w);
}

size_t tlpu_gguf_writer_kv_count(const tlpu_gguf_writer *w) { return w ? w->n_kv : 0; }
size_t tlpu_gguf_writer_tensor_count(const tlpu_gguf_writer *w) { return w ? w->n_ti : 0; }

static wkv *find_kv(const tlpu_gguf_writer *w, const char *key)
{
    for (size_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->kv[i].key, key) == 0)
            return &w->kv[i];
    return NULL;
}

tlpu_status tlpu_gguf_writer_find_key(const tlpu_gguf_writer *w, const char *key, size_t *index)
{
    if (!w || !key || !index)
        return TLPU_ERR_INVALID_ARG;
    const wkv *e = find_kv(w, key);
    if (!e)
        return TLPU_ERR_INVALID_ARG;
    *index = (size_t)(e - w->kv);
    return TLPU_OK;
}

tlpu_status tlpu_gguf_writer_remove_key(tlpu_gguf_writer *w, const char *key)
{
    if (!w || !key)
        return w ? fail(w, TLPU_ERR_INVALID_ARG, "remove_key: NULL key") : TLPU_ERR_INVALID_ARG;
    wkv *e = find_kv(w, key);
    if (!e)
        return fail(w, TLPU_ERR_INVALID_ARG, "remove_key: no key '%s'", key);
    size_t i = (size_t)(e - w->kv);
    free(e->key);
    free(e->val);
    memmove(&w->kv[i], &w->kv[i + 1], (w->n_kv - i - 1) * sizeof *w->kv);
    w->n_kv--;
    return ok(w);
}

/*
 * Sets `key` to the serialized value `val` (owned by the writer from here
 * on, freed on failure too): replaced in place when the key exists,
 * appended otherwise.
 */
static tlpu_status set_entry(tlpu_gguf_writer *w, const char *key, uint32_t type,
                             uint32_t elem_type, uint64_t count, uint8_t *val, size_t val_len)
{
    wkv *e = find_kv(w, key);
    if (e) {
        free(e->val);
        e->type = type;
        e->elem_type = elem_type;
        e->count = count;
        e->val = val;
        e->val_len = val_len;
        return ok(w);
    }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 16;
        wkv *n = cap <= SIZE_MAX / sizeof *n ? realloc(w->kv, cap * sizeof *n) : NULL;
        if (!n) {
            free(val);
            return fail(w, TLPU_ERR_NOMEM, "key '%s': out of memory", key);
        }
        w->kv = n;
        w->cap_kv = cap;
    }
    size_t klen = strlen(key);
    char *k = malloc(klen + 1);
    if (!k) {
        free(val);
        return fail(w, TLPU_ERR_NOMEM, "key '%s': out of memory", key);
    }
    memcpy(k, key, klen + 1);
    w->kv[w->n_kv++] = (wkv){k, klen, type, elem_type, count, val, val_len};
    return ok(w);
}

/* A scalar of a fixed-size type from its bits. */
static tlpu_status set_scalar(tlpu_gguf_writer *w, const char *key, uint32_t type, uint64_t bits)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    if (!key)
        return fail(w, TLPU_ERR_INVALID_ARG, "set: NULL key");
    size_t n = vsize(type);
    uint8_t *val = malloc(n);
    if (!val)
        return fail(w, TLPU_ERR_NOMEM, "key '%s': out of memory", key);
    put_le(val, bits, n);
    return set_entry(w, key, type, type, 1, val, n);
}

tlpu_status tlpu_gguf_writer_set_u8(tlpu_gguf_writer *w, const char *key, uint8_t v)
{
    return set_scalar(w, key, TLPU_GGUF_U8, v);
}

tlpu_status tlpu_gguf_writer_set_i8(tlpu_gguf_writer *w, const char *key, int8_t v)
{
    return set_scalar(w, key, TLPU_GGUF_I8, (uint8_t)v);
}

tlpu_status tlpu_gguf_writer_set_u16(tlpu_gguf_writer *w, const char *key, uint16_t v)
{
    return set_scalar(w, key, TLPU_GGUF_U16, v);
}

tlpu_status tlpu_gguf_writer_set_i16(tlpu_gguf_writer *w, const char *key, int16_t v)
{
    return set_scalar(w, key, TLPU_GGUF_I16, (uint16_t)v);
}

tlpu_status tlpu_gguf_writer_set_u32(tlpu_gguf_writer *w, const char *key, uint32_t v)
{
    return set_scalar(w, key, TLPU_GGUF_U32, v);
}

tlpu_status tlpu_gguf_writer_set_i32(tlpu_gguf_writer *w, const char *key, int32_t v)
{
    return set_scalar(w, key, TLPU_GGUF_I32, (uint32_t)v);
}

tlpu_status tlpu_gguf_writer_set_f32(tlpu_gguf_writer *w, const char *key, float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return set_scalar(w, key, TLPU_GGUF_F32, b);
}

tlpu_status tlpu_gguf_writer_set_bool(tlpu_gguf_writer *w, const char *key, int v)
{
    return set_scalar(w, key, TLPU_GGUF_BOOL, v != 0);
}

tlpu_status tlpu_gguf_writer_set_u64(tlpu_gguf_writer *w, const char *key, uint64_t v)
{
    return set_scalar(w, key, TLPU_GGUF_U64, v);
}

tlpu_status tlpu_gguf_writer_set_i64(tlpu_gguf_writer *w, const char *key, int64_t v)
{
    return set_scalar(w, key, TLPU_GGUF_I64, (uint64_t)v);
}

tlpu_status tlpu_gguf_writer_set_f64(tlpu_gguf_writer *w, const char *key, double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return set_scalar(w, key, TLPU_GGUF_F64, b);
}

tlpu_status tlpu_gguf_writer_set_str(tlpu_gguf_writer *w, const char *key, const char *s,
                                     size_t len)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    if (!key || (!s && len))
        return fail(w, TLPU_ERR_INVALID_ARG, "set_str: NULL %s", key ? "string" : "key");
    if (len > SIZE_MAX - 8)
        return fail(w, TLPU_ERR_OVERFLOW, "key '%s': a string of %zu bytes is too long", key,
                    len);
    uint8_t *val = malloc(8 + len);
    if (!val)
        return fail(w, TLPU_ERR_NOMEM, "key '%s': out of memory for %zu bytes", key, len);
    put_le(val, len, 8);
    if (len)
        memcpy(val + 8, s, len);
    return set_entry(w, key, TLPU_GGUF_STR, TLPU_GGUF_STR, 1, val, 8 + len);
}

/* Checks an array's element type and size: its serialized length in *val_len. */
static tlpu_status arr_len(tlpu_gguf_writer *w, const char *key, uint32_t elem_type,
                           uint64_t count, size_t *val_len)
{
    size_t es = vsize(elem_type);
    if (!es)
        return fail(w, TLPU_ERR_INVALID_ARG,
                    "key '%s': array element type %u is not a numeric or bool type", key,
                    (unsigned)elem_type);
    if (count > (SIZE_MAX - 12) / es)
        return fail(w, TLPU_ERR_OVERFLOW, "key '%s': %llu %s elements take more than %zu bytes",
                    key, (unsigned long long)count, tlpu_gguf_vtype_name(elem_type),
                    (size_t)SIZE_MAX);
    *val_len = 12 + (size_t)count * es;
    return TLPU_OK;
}

tlpu_status tlpu_gguf_writer_set_arr(tlpu_gguf_writer *w, const char *key,
                                     tlpu_gguf_vtype elem_type, const void *data,
                                     uint64_t count)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    if (!key || (!data && count))
        return fail(w, TLPU_ERR_INVALID_ARG, "set_arr: NULL %s", key ? "data" : "key");
    size_t len = 0;
    tlpu_status st = arr_len(w, key, (uint32_t)elem_type, count, &len);
    if (st != TLPU_OK)
        return st;
    if (elem_type == TLPU_GGUF_BOOL)
        for (uint64_t i = 0; i < count; i++)
            if (((const uint8_t *)data)[i] > 1)
                return fail(w, TLPU_ERR_RANGE, "key '%s': bool element %llu is %u, not 0 or 1",
                            key, (unsigned long long)i, ((const uint8_t *)data)[i]);
    uint8_t *val = malloc(len);
    if (!val)
        return fail(w, TLPU_ERR_NOMEM, "key '%s': out of memory for %zu bytes", key, len);
    put_le(val, (uint32_t)elem_type, 4);
    put_le(val + 4, count, 8);
    if (len > 12)
        memcpy(val + 12, data, len - 12);
    return set_entry(w, key, TLPU_GGUF_ARR, (uint32_t)elem_type, count, val, len);
}

/* The serialized string array: strings from get(i). */
typedef struct str_src {
    const char *const *strs;
    const size_t *lens;
    const tlpu_gguf *g;
    size_t index;
} str_src;

static tlpu_status str_at(const str_src *src, uint64_t i, const char **s, size_t *len)
{
    if (src->g)
        return tlpu_gguf_kv_str(src->g, src->index, i, s, len);
    *s = src->strs[i];
    if (!*s)
        return TLPU_ERR_INVALID_ARG;
    *len = src->lens ? src->lens[i] : strlen(*s);
    return TLPU_OK;
}

static tlpu_status set_str_array(tlpu_gguf_writer *w, const char *key, const str_src *src,
                                 uint64_t count)
{
    uint64_t total = 12;
    for (uint64_t i = 0; i < count; i++) {
        const char *s = NULL;
        size_t len = 0;
        if (str_at(src, i, &s, &len) != TLPU_OK)
            return fail(w, TLPU_ERR_INVALID_ARG, "key '%s': string %llu is NULL", key,
                        (unsigned long long)i);
        if (!add_ok(total, 8, &total) || !add_ok(total, len, &total) || total > SIZE_MAX)
            return fail(w, TLPU_ERR_OVERFLOW, "key '%s': %llu strings take more than %zu bytes",
                        key, (unsigned long long)count, (size_t)SIZE_MAX);
    }
    uint8_t *val = malloc((size_t)total);
    if (!val)
        return fail(w, TLPU_ERR_NOMEM, "key '%s': out of memory for %llu bytes", key,
                    (unsigned long long)total);
    put_le(val, TLPU_GGUF_STR, 4);
    put_le(val + 4, count, 8);
    size_t at = 12;
    for (uint64_t i = 0; i < count; i++) {
        const char *s = NULL;
        size_t len = 0;
        str_at(src, i, &s, &len); /* checked above */
        put_le(val + at, len, 8);
        if (len)
            memcpy(val + at + 8, s, len);
        at += 8 + len;
    }
    return set_entry(w, key, TLPU_GGUF_ARR, TLPU_GGUF_STR, count, val, (size_t)total);
}

tlpu_status tlpu_gguf_writer_set_arr_str(tlpu_gguf_writer *w, const char *key,
                                         const char *const *strs, const size_t *lens,
                                         uint64_t count)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    if (!key || (!strs && count))
        return fail(w, TLPU_ERR_INVALID_ARG, "set_arr_str: NULL %s", key ? "strings" : "key");
    str_src src = {strs, lens, NULL, 0};
    return set_str_array(w, key, &src, count);
}

tlpu_status tlpu_gguf_writer_copy_kv(tlpu_gguf_writer *w, const tlpu_gguf *g, size_t index)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    tlpu_gguf_kv kv;
    if (!g || tlpu_gguf_kv_info(g, index, &kv) != TLPU_OK)
        return fail(w, TLPU_ERR_INVALID_ARG, "copy_kv: %s",
                    g ? "entry index past the end" : "NULL file");
    if (kv.type == TLPU_GGUF_STR) {
        const char *s;
        size_t len;
        tlpu_status st = tlpu_gguf_kv_str(g, index, 0, &s, &len);
        if (st != TLPU_OK)
            return fail(w, st, "key '%s': cannot read its string", kv.key);
        return tlpu_gguf_writer_set_str(w, kv.key, s, len);
    }
    if (kv.type == TLPU_GGUF_ARR && kv.elem_type == TLPU_GGUF_STR) {
        str_src src = {NULL, NULL, g, index};
        return set_str_array(w, kv.key, &src, kv.count);
    }
    const void *data;
    size_t es;
    tlpu_status st = tlpu_gguf_kv_data(g, index, &data, &es);
    if (st != TLPU_OK)
        return fail(w, st, "key '%s': cannot read its value", kv.key);
    if (kv.type == TLPU_GGUF_ARR)
        return tlpu_gguf_writer_set_arr(w, kv.key, kv.elem_type, data, kv.count);
    return set_scalar(w, kv.key, kv.type, get_le(data, es));
}

/* ---- tensors --------------------------------------------------------------------------- */

static const wti *find_ti(const tlpu_gguf_writer *w, const char *name)
{
    for (size_t i = 0; i < w->n_ti; i++)
        if (strcmp(w->ti[i].name, name) == 0)
            return &w->ti[i];
    return NULL;
}

/* Bytes of a tensor of a known type with `nelem` elements, ne0 per row; 0 with a message. */
static tlpu_status tensor_bytes(tlpu_gguf_writer *w, const char *name, uint32_t type,
                                uint64_t ne0, uint64_t nelem, size_t *bytes)
{
    const char *tn = tlpu_gguf_type_name(type);
    if (!tn)
        return fail(w, TLPU_ERR_UNSUPPORTED,
                    "tensor '%s': type %u is not one tlpu writes (f32, f16, bf16, tq1_0, "
                    "tq2_0, i2_s)",
                    name, (unsigned)type);
    uint64_t blk = 1, per = 4, tail = 0;
    switch (type) {
    case TLPU_GGUF_TYPE_F32: break;
    case TLPU_GGUF_TYPE_F16:
    case TLPU_GGUF_TYPE_BF16: per = 2; break;
    case TLPU_GGUF_TYPE_TQ1_0: blk = TLPU_TQ_BLOCK; per = TLPU_TQ1_BLOCK_BYTES; break;
    case TLPU_GGUF_TYPE_TQ2_0: blk = TLPU_TQ_BLOCK; per = TLPU_TQ2_BLOCK_BYTES; break;
    default: blk = TLPU_I2S_BLOCK; per = TLPU_I2S_BLOCK / 4; tail = TLPU_I2S_TAIL; break;
    }
    if (ne0 % blk)
        return fail(w, TLPU_ERR_SHAPE,
                    "tensor '%s': %s rows need a multiple of %llu elements, ne[0] is %llu", name,
                    tn, (unsigned long long)blk, (unsigned long long)ne0);
    uint64_t nb = nelem / blk;
    if (nb > ((uint64_t)SIZE_MAX - tail) / per)
        return fail(w, TLPU_ERR_OVERFLOW, "tensor '%s': %llu %s elements take more than %zu bytes",
                    name, (unsigned long long)nelem, tn, (size_t)SIZE_MAX);
    *bytes = (size_t)(nb * per + tail);
    return TLPU_OK;
}

static tlpu_status add_tensor(tlpu_gguf_writer *w, const char *name, uint32_t n_dims,
                              const uint64_t *ne, uint32_t type, const void *data, size_t size,
                              int copy)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    if (!name)
        return fail(w, TLPU_ERR_INVALID_ARG, "add_tensor: NULL name");
    if (n_dims > TLPU_GGUF_MAX_DIMS)
        return fail(w, TLPU_ERR_SHAPE, "tensor '%s': n_dims %u is more than %u", name,
                    (unsigned)n_dims, TLPU_GGUF_MAX_DIMS);
    if ((!ne && n_dims) || !data)
        return fail(w, TLPU_ERR_INVALID_ARG, "tensor '%s': NULL %s", name, data ? "dims" : "data");
    wti t = {.n_dims = n_dims, .type = type, .data = data, .size = size};
    uint64_t nelem = 1;
    for (unsigned d = 0; d < TLPU_GGUF_MAX_DIMS; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] == 0)
            return fail(w, TLPU_ERR_SHAPE, "tensor '%s': dimension %u is 0", name, d);
        if (t.ne[d] > GW_I64_MAX)
            return fail(w, TLPU_ERR_OVERFLOW, "tensor '%s': dimension %u is %llu, more than 2^63-1",
                        name, d, (unsigned long long)t.ne[d]);
        if (nelem > GW_I64_MAX / t.ne[d])
            return fail(w, TLPU_ERR_OVERFLOW,
                        "tensor '%s': the dimensions overflow: %llu x %llu is more than 2^63-1 "
                        "elements",
                        name, (unsigned long long)nelem, (unsigned long long)t.ne[d]);
        nelem *= t.ne[d];
    }
    size_t want = 0;
    tlpu_status st = tensor_bytes(w, name, type, t.ne[0], nelem, &want);
    if (st != TLPU_OK)
        return st;
    if (size != want)
        return fail(w, TLPU_ERR_BUFFER_SIZE, "tensor '%s': %s data of %zu bytes, not %zu", name,
                    tlpu_gguf_type_name(type), size, want);
    if (find_ti(w, name))
        return fail(w, TLPU_ERR_INVALID_ARG, "tensor '%s': the writer already has a tensor of "
                    "that name", name);
    if (w->n_ti == w->cap_ti) {
        size_t cap = w->cap_ti ? w->cap_ti * 2 : 16;
        wti *n = cap <= SIZE_MAX / sizeof *n ? realloc(w->ti, cap * sizeof *n) : NULL;
        if (!n)
            return fail(w, TLPU_ERR_NOMEM, "tensor '%s': out of memory", name);
        w->ti = n;
        w->cap_ti = cap;
    }
    t.name_len = strlen(name);
    t.name = malloc(t.name_len + 1);
    if (copy)
        t.owned = malloc(size);
    if (!t.name || (copy && !t.owned)) {
        free(t.name);
        free(t.owned);
        return fail(w, TLPU_ERR_NOMEM, "tensor '%s': out of memory for %zu bytes", name, size);
    }
    memcpy(t.name, name, t.name_len + 1);
    if (copy) {
        memcpy(t.owned, data, size);
        t.data = t.owned;
    }
    w->ti[w->n_ti++] = t;
    return ok(w);
}

tlpu_status tlpu_gguf_writer_add_tensor(tlpu_gguf_writer *w, const char *name, uint32_t n_dims,
                                        const uint64_t *ne, uint32_t type, const void *data,
                                        size_t size)
{
    return add_tensor(w, name, n_dims, ne, type, data, size, 1);
}

tlpu_status tlpu_gguf_writer_add_tensor_ref(tlpu_gguf_writer *w, const char *name,
                                            uint32_t n_dims, const uint64_t *ne, uint32_t type,
                                            const void *data, size_t size)
{
    return add_tensor(w, name, n_dims, ne, type, data, size, 0);
}

tlpu_status tlpu_gguf_writer_copy_tensor(tlpu_gguf_writer *w, const tlpu_gguf *g, size_t index)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    tlpu_gguf_tensor t;
    if (!g || tlpu_gguf_tensor_info(g, index, &t) != TLPU_OK)
        return fail(w, TLPU_ERR_INVALID_ARG, "copy_tensor: %s",
                    g ? "tensor index past the end" : "NULL file");
    if (!t.known)
        return fail(w, TLPU_ERR_UNSUPPORTED,
                    "tensor '%s': type %u is unknown here, so its size is too", t.name,
                    (unsigned)t.type);
    return add_tensor(w, t.name, t.n_dims, t.ne, t.type, t.data, t.size, 0);
}

/* ---- layout ------------------------------------------------------------------------------ */

typedef struct layout {
    size_t align;
    uint64_t header;      /* bytes of the header proper */
    uint64_t data_offset; /* header rounded up to align */
    uint64_t file_size;
    uint64_t *off;        /* per tensor, relative to the data section (NULL: not wanted) */
} layout;

/* x rounded up to a multiple of a (a power of two); 0 on overflow. */
static int align_up(uint64_t x, uint64_t a, uint64_t *r)
{
    if (x > UINT64_MAX - (a - 1))
        return 0;
    *r = (x + a - 1) & ~(a - 1);
    return 1;
}

static tlpu_status check_alignment(tlpu_gguf_writer *w, size_t *align)
{
    *align = TLPU_GGUF_DEFAULT_ALIGNMENT;
    const wkv *e = find_kv(w, "general.alignment");
    if (!e)
        return TLPU_OK;
    if (e->type == TLPU_GGUF_ARR || !vtype_is_int(e->type))
        return fail(w, TLPU_ERR_FORMAT, "general.alignment has type %s, not an integer",
                    tlpu_gguf_vtype_name(e->type));
    size_t n = vsize(e->type);
    uint64_t v = get_le(e->val, n);
    int neg = (e->type == TLPU_GGUF_I8 || e->type == TLPU_GGUF_I16 || e->type == TLPU_GGUF_I32 ||
               e->type == TLPU_GGUF_I64) &&
              (v >> (8 * n - 1)) & 1;
    if (neg)
        return fail(w, TLPU_ERR_FORMAT, "general.alignment is negative");
    if (v == 0 || (v & (v - 1)) != 0)
        return fail(w, TLPU_ERR_FORMAT, "general.alignment is %llu, not a nonzero power of two",
                    (unsigned long long)v);
    if (v > TLPU_GGUF_MAX_ALIGNMENT)
        return fail(w, TLPU_ERR_FORMAT, "general.alignment %llu is more than %u",
                    (unsigned long long)v, TLPU_GGUF_MAX_ALIGNMENT);
    *align = (size_t)v;
    return TLPU_OK;
}

/* The checks the reader makes of the whole file that single calls cannot. */
static tlpu_status check_file(tlpu_gguf_writer *w)
{
    const wkv *arch = find_kv(w, "general.architecture");
    if (arch && arch->type != TLPU_GGUF_STR)
        return fail(w, TLPU_ERR_FORMAT, "general.architecture has type %s, not str",
                    tlpu_gguf_vtype_name(arch->type));
    if (arch && arch->val_len > 8 && memchr(arch->val + 8, 0, arch->val_len - 8))
        return fail(w, TLPU_ERR_FORMAT, "general.architecture contains a NUL byte");
    int bitnet = 0;
    if (arch) {
        size_t len = arch->val_len - 8;
        const char *s = (const char *)arch->val + 8;
        static const char *const names[] = {"bitnet", "bitnet-b1.58", "bitnet-25"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (len == strlen(names[i]) && memcmp(s, names[i], len) == 0)
                bitnet = 1;
    }
    const wkv *ft = find_kv(w, "general.file_type");
    if (ft && ft->type != TLPU_GGUF_ARR && vtype_is_int(ft->type)) {
        size_t n = vsize(ft->type);
        if (get_le(ft->val, n) == GW_FTYPE_MOSTLY_I2_S)
            bitnet = 1;
    }
    for (size_t i = 0; i < w->n_ti; i++)
        if (w->ti[i].type == TLPU_GGUF_TYPE_I2_S && !bitnet)
            return fail(w, TLPU_ERR_UNSUPPORTED,
                        "tensor '%s': i2_s (type 36) needs general.architecture bitnet, "
                        "bitnet-b1.58 or bitnet-25, or general.file_type 40",
                        w->ti[i].name);
    return TLPU_OK;
}

static tlpu_status compute_layout(tlpu_gguf_writer *w, layout *L)
{
    tlpu_status st = check_alignment(w, &L->align);
    if (st == TLPU_OK)
        st = check_file(w);
    if (st != TLPU_OK)
        return st;
    uint64_t h = 24;
    for (size_t i = 0; i < w->n_kv; i++) {
        const wkv *e = &w->kv[i];
        if (!add_ok(h, 8 + 4, &h) || !add_ok(h, e->key_len, &h) || !add_ok(h, e->val_len, &h))
            return fail(w, TLPU_ERR_OVERFLOW, "the metadata is more than 2^64 bytes");
    }
    for (size_t i = 0; i < w->n_ti; i++) {
        const wti *t = &w->ti[i];
        if (!add_ok(h, 8 + 4 + 4 + 8 + 8 * (uint64_t)t->n_dims, &h) ||
            !add_ok(h, t->name_len, &h))
            return fail(w, TLPU_ERR_OVERFLOW, "the tensor infos are more than 2^64 bytes");
    }
    if (h > SIZE_MAX)
        return fail(w, TLPU_ERR_OVERFLOW, "a header of %llu bytes cannot be held in memory",
                    (unsigned long long)h);
    L->header = h;
    if (!align_up(h, L->align, &L->data_offset))
        return fail(w, TLPU_ERR_OVERFLOW, "the data section's offset overflows");
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_ti; i++) {
        if (L->off)
            L->off[i] = off;
        uint64_t padded = 0;
        if (!align_up(w->ti[i].size, L->align, &padded) || !add_ok(off, padded, &off))
            return fail(w, TLPU_ERR_OVERFLOW, "tensor '%s': the data section passes 2^64 bytes",
                        w->ti[i].name);
    }
    if (!add_ok(L->data_offset, off, &L->file_size) || L->file_size > GW_I64_MAX ||
        L->file_size > SIZE_MAX)
        return fail(w, TLPU_ERR_OVERFLOW, "the file would be more than 2^63 bytes");
    return TLPU_OK;
}

tlpu_status tlpu_gguf_writer_layout(tlpu_gguf_writer *w, size_t *alignment,
                                    uint64_t *data_offset, uint64_t *file_size)
{
    if (!w)
        return TLPU_ERR_INVALID_ARG;
    if (!alignment || !data_offset || !file_size)
        return fail(w, TLPU_ERR_INVALID_ARG, "layout: NULL output");
    layout L = {0};
    tlpu_status st = compute_layout(w, &L);
    if (st != TLPU_OK)
        return st;
    *alignment = L.align;
    *data_offset = L.data_offset;
    *file_size = L.file_size;
    return ok(w);
}

/* The header's bytes (L->header of them) into buf. */
static void build_header(const tlpu_gguf_writer *w, const layout *L, uint8_t *buf)
{
    size_t at = 0;
    memcpy(buf, "GGUF", 4);
    put_le(buf + 4, 3, 4);
    put_le(buf + 8, w->n_ti, 8);
    put_le(buf + 16, w->n_kv, 8);
    at = 24;
    for (size_t i = 0; i < w->n_kv; i++) {
        const wkv *e = &w->kv[i];
        put_le(buf + at, e->key_len, 8);
        memcpy(buf + at + 8, e->key, e->key_len);
        at += 8 + e->key_len;
        put_le(buf + at, e->type, 4);
        memcpy(buf + at + 4, e->val, e->val_len);
        at += 4 + e->val_len;
    }
    for (size_t i = 0; i < w->n_ti; i++) {
        const wti *t = &w->ti[i];
        put_le(buf + at, t->name_len, 8);
        memcpy(buf + at + 8, t->name, t->name_len);
        at += 8 + t->name_len;
        put_le(buf + at, t->n_dims, 4);
        at += 4;
        for (uint32_t d = 0; d < t->n_dims; d++, at += 8)
            put_le(buf + at, t->ne[d], 8);
        put_le(buf + at, t->type, 4);
        put_le(buf + at + 4, L->off[i], 8);
        at += 12;
    }
}

/* ---- the file ---------------------------------------------------------------------------- */

/* Writes n bytes; errno set on failure (ENOSPC for a write that makes no progress). */
static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
        ssize_t k = write(fd, b, chunk);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0) {
            errno = ENOSPC;
            return -1;
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int write_zeros(int fd, uint64_t n)
{
    static const uint8_t zeros[4096];
    while (n) {
        size_t k = n > sizeof zeros ? sizeof zeros : (size_t)n;
        if (write_all(fd, zeros, k) != 0)
            return -1;
        n -= k;
    }
    return 0;
}

/* Streams the whole file to fd. */
static int write_file(const tlpu_gguf_writer *w, const layout *L, const uint8_t *header, int fd)
{
    if (write_all(fd, header, (size_t)L->header) != 0 ||
        write_zeros(fd, L->data_offset - L->header) != 0)
        return -1;
    for (size_t i = 0; i < w->n_ti; i++) {
        const wti *t = &w->ti[i];
        uint64_t padded = 0;
        align_up(t->size, L->align, &padded); /* checked by compute_layout */
        if (write_all(fd, t->data, t->size) != 0 || write_zeros(fd, padded - t->size) != 0)
            return -1;
    }
    return 0;
}

/* fsync that accepts devices and FIFOs, which cannot be synced. */
static int sync_fd(int fd)
{
    if (fsync(fd) == 0)
        return 0;
    return errno == EINVAL || errno == EROFS || errno == ENOTSUP ? 0 : -1;
}

/* The directory part of path ("." when it has none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

/* Opens a device or FIFO and writes the file into it. */
static tlpu_status write_in_place(tlpu_gguf_writer *w, const layout *L, const uint8_t *header,
                                  const char *path, const char *target, int *created)
{
    int fd = open(target, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(w, TLPU_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    *created = 1;
    if (write_file(w, L, header, fd) != 0 || sync_fd(fd) != 0) {
        int e = errno;
        close(fd);
        return fail(w, TLPU_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    if (close(fd) != 0)
        return fail(w, TLPU_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return ok(w);
}

/*
 * Writes a new file beside `target` and renames it over target; `mode`
 * (>= 0) the permissions of the file it replaces. The temporary file is
 * gone on every failure.
 */
static tlpu_status write_atomic(tlpu_gguf_writer *w, const layout *L, const uint8_t *header,
                                const char *path, const char *target, long mode, int *created)
{
    size_t tlen = strlen(target) + 64;
    char *tmp = malloc(tlen);
    if (!tmp)
        return fail(w, TLPU_ERR_NOMEM, "%s: out of memory", path);
    int fd = -1;
    for (unsigned n = 0; n < GW_TMP_TRIES; n++) {
        snprintf(tmp, tlen, "%s.tmp%ld-%u", target, (long)getpid(), n);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return fail(w, TLPU_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                    strerror(e));
    }
    *created = 1;
    if (mode >= 0)
        (void)fchmod(fd, (mode_t)mode); /* keep the replaced file's permissions where allowed */
    tlpu_status st = TLPU_OK;
    if (write_file(w, L, header, fd) != 0 || fsync(fd) != 0) {
        st = fail(w, TLPU_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        close(fd);
    } else if (close(fd) != 0) {
        st = fail(w, TLPU_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    } else if (rename(tmp, target) != 0) {
        st = fail(w, TLPU_ERR_IO, "%s: cannot replace it: %s", path, strerror(errno));
    }
    if (st != TLPU_OK) {
        unlink(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    char *dir = dir_of(target);
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd); /* best effort: makes the rename durable where the fs allows */
            close(dfd);
        }
        free(dir);
    }
    return ok(w);
}

tlpu_status tlpu_gguf_writer_write(tlpu_gguf_writer *w, const char *path, int *created,
                                   char *err, size_t errlen)
{
    int made = 0;
    if (created)
        *created = 0;
    if (!w) {
        if (err && errlen)
            snprintf(err, errlen, "tlpu_gguf_writer_write: NULL writer");
        return TLPU_ERR_INVALID_ARG;
    }
    tlpu_status st = TLPU_OK;
    uint8_t *header = NULL;
    char *target = NULL;
    layout L = {0};
    if (!path || !*path) {
        st = fail(w, TLPU_ERR_INVALID_ARG, "tlpu_gguf_writer_write: %s path",
                  path ? "empty" : "NULL");
        goto out;
    }
    L.off = malloc((w->n_ti ? w->n_ti : 1) * sizeof *L.off);
    if (!L.off) {
        st = fail(w, TLPU_ERR_NOMEM, "%s: out of memory for %zu tensor offsets", path, w->n_ti);
        goto out;
    }
    st = compute_layout(w, &L);
    if (st != TLPU_OK)
        goto out;
    header = malloc((size_t)L.header);
    if (!header) {
        st = fail(w, TLPU_ERR_NOMEM, "%s: out of memory for a %llu-byte header", path,
                  (unsigned long long)L.header);
        goto out;
    }
    build_header(w, &L, header);

    /* the target: a symbolic link's file, a device or FIFO in place, or a regular file */
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
        target = realpath(path, NULL); /* NULL for a dangling link: the link is replaced */
    if (!target)
        target = strdup(path);
    if (!target) {
        st = fail(w, TLPU_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    if (stat(target, &sb) != 0) {
        if (errno != ENOENT)
            st = fail(w, TLPU_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
        else
            st = write_atomic(w, &L, header, path, target, -1, &made);
    } else if (S_ISDIR(sb.st_mode)) {
        st = fail(w, TLPU_ERR_IO, "%s: is a directory", path);
    } else if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) || S_ISFIFO(sb.st_mode)) {
        st = write_in_place(w, &L, header, path, target, &made);
    } else if (S_ISREG(sb.st_mode)) {
        st = write_atomic(w, &L, header, path, target, (long)(sb.st_mode & 07777), &made);
    } else {
        st = fail(w, TLPU_ERR_IO, "%s: not a regular file, device or FIFO", path);
    }
out:
    free(L.off);
    free(target);
    free(header);
    if (created)
        *created = made;
    if (err && errlen)
        snprintf(err, errlen, "%s", w->msg);
    return st;
}
