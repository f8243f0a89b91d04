/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/gguf.h - reading GGUF model files (ggml / llama.cpp / bitnet.cpp).
 *
 * The file is memory-mapped read-only and checked completely when it is
 * opened; after a successful open every getter is a bounds-checked lookup
 * and every tensor's bytes lie inside the file.
 *
 * What is accepted (docs/formats.md, "GGUF"):
 *   - magic "GGUF", version 2 or 3 (both use 64-bit counts and lengths;
 *     version 1, with 32-bit ones, is TLPU_ERR_UNSUPPORTED, as is any other
 *     version). Little-endian files only: a big-endian one is named as such.
 *   - metadata values of every GGUF type 0..12; arrays of any element type
 *     except arrays (nested arrays are TLPU_ERR_UNSUPPORTED). A bool must be
 *     0 or 1. Keys and tensor names must not contain a NUL byte, and must be
 *     unique. `general.alignment` (default 32) must be an integer that is a
 *     nonzero power of two; `general.architecture`, when present, a string.
 *   - tensors of 0..4 dimensions (0 = a scalar), each dimension 1..2^63-1,
 *     their product below 2^63. Tensor types F32 (0), F16 (1), BF16 (30),
 *     TQ1_0 (34, 54 bytes per 256 weights), TQ2_0 (35, 66 bytes per 256) and
 *     bitnet.cpp's I2_S (36: nelem/4 codes then a 32-byte tail holding one
 *     f32 scale). Id 36 means I2_S only when general.architecture is
 *     "bitnet-b1.58", "bitnet-25" or "bitnet", or general.file_type is 40
 *     (bitnet.cpp's MOSTLY_I2_S, which its llama-quantize writes into every
 *     I2_S file, "llama" ones included); elsewhere it is upstream ggml's
 *     (removed) id and unknown here.
 *     TQ types need ne[0] to be a multiple of 256, I2_S a multiple of 128.
 *   - tensors of other types are listed (known = 0) but their size is not
 *     known: asking for their data is TLPU_ERR_UNSUPPORTED. The sizes and
 *     checks of the other tensors are unaffected.
 *   - every tensor offset is a multiple of the alignment, its data lies in
 *     the file, and no two tensors overlap (an unknown-type tensor counts as
 *     at least one byte at its offset).
 *
 * Hostile files: every length and count is checked against the bytes left
 * in the file before it is used, so nothing is allocated beyond a small
 * multiple of the file's header size; every rejection is a named error.
 * Errors of tlpu_gguf_open* and of the tensor data functions write a
 * one-line message to `err` (always NUL-terminated when errlen > 0, "" on
 * success; either may be NULL/0): "<path>: offset <byte offset>: <problem>",
 * e.g. "m.gguf: offset 16: metadata count 4294967296 cannot fit in the
 * 7688 bytes after the header (each entry takes at least 13)".
 *
 * Statuses: TLPU_ERR_FORMAT a malformed file (or a value of another type
 * than asked for), TLPU_ERR_UNSUPPORTED a valid construct tlpu does not read
 * (version 1, nested arrays, unknown tensor types), TLPU_ERR_SHAPE a zero
 * dimension or a row length the type cannot hold, TLPU_ERR_OVERFLOW sizes
 * past 2^63, TLPU_ERR_RANGE a value that does not fit the type asked for,
 * TLPU_ERR_IO the file could not be opened or mapped, TLPU_ERR_NOMEM, and
 * TLPU_ERR_INVALID_ARG NULL arguments, an index past the end or a key or
 * tensor name the file does not have (the convention of tlpu/energy.h).
 *
 * Strings (values, array elements) point into the mapping: `len` bytes, not
 * NUL-terminated, valid until tlpu_gguf_close(). Keys, tensor names and the
 * architecture are NUL-terminated copies owned by the handle.
 *
 * A handle is never modified after it is opened: any number of threads may
 * read it at once. A mapped file must not be truncated by another process
 * while it is open (the kernel would signal SIGBUS), as with every mmap reader.
 */
#ifndef TLPU_GGUF_H
#define TLPU_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_gguf tlpu_gguf;

/* ---- opening --------------------------------------------------------------- */

/*
 * Maps `path` read-only and checks it. On success *out is a handle to close
 * with tlpu_gguf_close(); on error *out is untouched and nothing is left
 * mapped or allocated. A file that cannot be opened, is not a regular file
 * or cannot be mapped is TLPU_ERR_IO ("<path>: cannot open: <strerror>").
 */
tlpu_status tlpu_gguf_open(const char *path, tlpu_gguf **out, char *err, size_t errlen);

/*
 * The same on `n` bytes in memory. The bytes are not copied: they must stay
 * valid and unchanged until tlpu_gguf_close(). Messages have no path prefix.
 */
tlpu_status tlpu_gguf_open_mem(const void *data, size_t n, tlpu_gguf **out, char *err,
                               size_t errlen);

/* Unmaps and frees. NULL is fine. */
void tlpu_gguf_close(tlpu_gguf *g);

/* ---- the file ------------------------------------------------------------- */

uint32_t tlpu_gguf_version(const tlpu_gguf *g);   /* 2 or 3 */
size_t tlpu_gguf_alignment(const tlpu_gguf *g);   /* general.alignment or 32 */
size_t tlpu_gguf_data_offset(const tlpu_gguf *g); /* start of the data section */
size_t tlpu_gguf_file_size(const tlpu_gguf *g);
/* general.architecture, or NULL when the file has none. */
const char *tlpu_gguf_architecture(const tlpu_gguf *g);

/* ---- metadata --------------------------------------------------------------- */

typedef enum tlpu_gguf_vtype {
    TLPU_GGUF_U8 = 0,
    TLPU_GGUF_I8 = 1,
    TLPU_GGUF_U16 = 2,
    TLPU_GGUF_I16 = 3,
    TLPU_GGUF_U32 = 4,
    TLPU_GGUF_I32 = 5,
    TLPU_GGUF_F32 = 6,
    TLPU_GGUF_BOOL = 7,
    TLPU_GGUF_STR = 8,
    TLPU_GGUF_ARR = 9,
    TLPU_GGUF_U64 = 10,
    TLPU_GGUF_I64 = 11,
    TLPU_GGUF_F64 = 12,
} tlpu_gguf_vtype;

#define TLPU_GGUF_VTYPE_COUNT 13

/* "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr",
 * "u64", "i64", "f64"; NULL for any other value. */
const char *tlpu_gguf_vtype_name(tlpu_gguf_vtype t);

/* One metadata entry. */
typedef struct tlpu_gguf_kv {
    const char *key;           /* NUL-terminated, owned by the handle */
    tlpu_gguf_vtype type;      /* TLPU_GGUF_ARR for arrays */
    tlpu_gguf_vtype elem_type; /* arrays: the element type; scalars: == type */
    uint64_t count;            /* arrays: the element count (may be 0); scalars: 1 */
    size_t offset;             /* file offset of the entry (its key length) */
} tlpu_gguf_kv;

size_t tlpu_gguf_kv_count(const tlpu_gguf *g);
/* Entry `index` (0 .. kv_count-1, file order). */
tlpu_status tlpu_gguf_kv_info(const tlpu_gguf *g, size_t index, tlpu_gguf_kv *out);
/* The index of `key`; TLPU_ERR_INVALID_ARG when the file has no such key. */
tlpu_status tlpu_gguf_find_key(const tlpu_gguf *g, const char *key, size_t *index);

/*
 * Element `i` of entry `index`, where a scalar is an array of one element
 * (i = 0). An element of another type than the function reads is
 * TLPU_ERR_FORMAT; i >= count is TLPU_ERR_INVALID_ARG.
 *   _int:   any integer type (u8 .. i64); a u64 above INT64_MAX is TLPU_ERR_RANGE.
 *   _uint:  any integer type; a negative value is TLPU_ERR_RANGE.
 *   _float: f32 or f64 (f32 widens exactly).
 *   _bool:  bool (0 or 1).
 *   _str:   str (`len` bytes at *s, not NUL-terminated; O(1) for arrays too).
 */
tlpu_status tlpu_gguf_kv_int(const tlpu_gguf *g, size_t index, uint64_t i, int64_t *out);
tlpu_status tlpu_gguf_kv_uint(const tlpu_gguf *g, size_t index, uint64_t i, uint64_t *out);
tlpu_status tlpu_gguf_kv_float(const tlpu_gguf *g, size_t index, uint64_t i, double *out);
tlpu_status tlpu_gguf_kv_bool(const tlpu_gguf *g, size_t index, uint64_t i, int *out);
tlpu_status tlpu_gguf_kv_str(const tlpu_gguf *g, size_t index, uint64_t i, const char **s,
                             size_t *len);
/*
 * The raw elements of a numeric or bool entry (scalar or array): *data points
 * into the file (little-endian, possibly unaligned: copy with memcpy),
 * *elem_size is 1, 2, 4 or 8. Strings and arrays of strings are
 * TLPU_ERR_FORMAT. An empty array gives a valid pointer and count 0.
 */
tlpu_status tlpu_gguf_kv_data(const tlpu_gguf *g, size_t index, const void **data,
                              size_t *elem_size);

/*
 * By key: TLPU_ERR_INVALID_ARG when the key is absent, TLPU_ERR_FORMAT when
 * its value has another type (or is an array), TLPU_ERR_RANGE when it does
 * not fit. The integer getters accept every integer type (u8 .. i64).
 * get_f32 accepts f32, and f64 whose value is finite in f32 range (rounded
 * to nearest) or non-finite.
 */
tlpu_status tlpu_gguf_get_u32(const tlpu_gguf *g, const char *key, uint32_t *out);
tlpu_status tlpu_gguf_get_u64(const tlpu_gguf *g, const char *key, uint64_t *out);
tlpu_status tlpu_gguf_get_i64(const tlpu_gguf *g, const char *key, int64_t *out);
tlpu_status tlpu_gguf_get_f32(const tlpu_gguf *g, const char *key, float *out);
tlpu_status tlpu_gguf_get_bool(const tlpu_gguf *g, const char *key, int *out);
tlpu_status tlpu_gguf_get_str(const tlpu_gguf *g, const char *key, const char **s,
                              size_t *len);
/* An array: its entry index (for the tlpu_gguf_kv_* element getters), its
 * element type and count. A scalar is TLPU_ERR_FORMAT. */
tlpu_status tlpu_gguf_get_arr(const tlpu_gguf *g, const char *key, size_t *index,
                              tlpu_gguf_vtype *elem_type, uint64_t *count);

/* ---- tensors -------------------------------------------------------------- */

/* ggml type ids tlpu reads. */
enum {
    TLPU_GGUF_TYPE_F32 = 0,
    TLPU_GGUF_TYPE_F16 = 1,
    TLPU_GGUF_TYPE_BF16 = 30,
    TLPU_GGUF_TYPE_TQ1_0 = 34,
    TLPU_GGUF_TYPE_TQ2_0 = 35,
    TLPU_GGUF_TYPE_I2_S = 36, /* bitnet.cpp's fork only: see the top of this file */
};

#define TLPU_GGUF_MAX_DIMS 4

/* "f32", "f16", "bf16", "tq1_0", "tq2_0", "i2_s" (for 36); NULL otherwise. */
const char *tlpu_gguf_type_name(uint32_t type);

typedef struct tlpu_gguf_tensor {
    const char *name;                /* NUL-terminated, owned by the handle */
    uint32_t n_dims;                 /* 0..4 */
    uint64_t ne[TLPU_GGUF_MAX_DIMS]; /* innermost (contiguous) first; 1 past n_dims */
    uint32_t type;                   /* the ggml type id as stored */
    int known;                       /* 1: a type above (36 only in bitnet files) */
    uint64_t nelem;                  /* product of ne */
    uint64_t nrows;                  /* nelem / ne[0]: rows of ne[0] elements */
    size_t offset;                   /* relative to the data section, as stored */
    size_t file_offset;              /* data_offset + offset */
    size_t size;                     /* bytes of data; 0 when !known */
    const void *data;                /* its bytes in the mapping; NULL when !known */
} tlpu_gguf_tensor;

size_t tlpu_gguf_tensor_count(const tlpu_gguf *g);
/* Tensor `index` (0 .. tensor_count-1, file order). */
tlpu_status tlpu_gguf_tensor_info(const tlpu_gguf *g, size_t index, tlpu_gguf_tensor *out);
/* The index of tensor `name`; TLPU_ERR_INVALID_ARG when there is none. */
tlpu_status tlpu_gguf_find_tensor(const tlpu_gguf *g, const char *name, size_t *index);

/*
 * The bytes of tensor `index`. A tensor of a type tlpu does not know is
 * TLPU_ERR_UNSUPPORTED with a message naming the tensor and its type id.
 */
tlpu_status tlpu_gguf_tensor_data(const tlpu_gguf *g, size_t index, const void **data,
                                  size_t *size, char *err, size_t errlen);

/*
 * Rows [row0, row0 + nrows) of tensor `index` as f32 into out[count], count
 * = nrows * ne[0] exactly (else TLPU_ERR_BUFFER_SIZE): F32 as stored, F16 and
 * BF16 widened exactly, TQ1_0/TQ2_0 as ggml dequantizes them (trit * f32(d)),
 * I2_S as trit * scale. Rows past the end are TLPU_ERR_INVALID_ARG, an
 * invalid packed code TLPU_ERR_FORMAT (naming its file offset). Nothing is
 * written on error.
 */
tlpu_status tlpu_gguf_read_f32(const tlpu_gguf *g, size_t index, size_t row0, size_t nrows,
                               float *out, size_t count, char *err, size_t errlen);

/*
 * Rows of a ternary tensor (TQ1_0, TQ2_0, I2_S) as trits in {-1, 0, +1} into
 * trits[count] (count = nrows * ne[0]) and its scales as f32 into
 * scales[nscales]: TQ1_0/TQ2_0 one fp16 `d` per 256 weights (nscales =
 * nrows * ne[0] / 256, in order); I2_S the tensor's one f32 scale (nscales
 * = 1). `scales` may be NULL with nscales 0. A weight is trit * scale.
 * Other types are TLPU_ERR_UNSUPPORTED. Nothing is written on error.
 */
tlpu_status tlpu_gguf_read_trits(const tlpu_gguf *g, size_t index, size_t row0, size_t nrows,
                                 int8_t *trits, size_t count, float *scales, size_t nscales,
                                 char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_GGUF_H */
