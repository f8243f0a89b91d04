/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/npy.h - reading and writing NumPy .npy files.
 *
 * The format (numpy/lib/format.py, versions 1.0, 2.0 and 3.0):
 *   "\x93NUMPY", major, minor, a little-endian header length (2 bytes in
 *   1.0, 4 bytes in 2.0 and 3.0), then the header: a Python dict literal
 *   {'descr': <dtype string>, 'fortran_order': <bool>, 'shape': <tuple>}
 *   padded with spaces and ended by '\n', then the raw array data.
 *
 * Reading:
 *   - element types: int8 ('|i1', '<i1', '>i1'), uint8, int16, int32, int64,
 *     float16, float32, float64, little- or big-endian ('<' or '>'; '|' for
 *     the 1-byte types). Big-endian data is byte-swapped to host order.
 *     Any other dtype (bool, unsigned wider than 8 bits, complex, strings,
 *     object, datetime, structured, subarray) is TLPU_ERR_UNSUPPORTED with a
 *     message naming it.
 *   - 'fortran_order': True is accepted: the data is transposed into C order,
 *     so a tlpu_npy is always C-ordered (row-major) whatever the file.
 *   - shapes of 0 to 8 dimensions (0 = a scalar, one element); a dimension
 *     may be 0. More than 8 dimensions is TLPU_ERR_UNSUPPORTED. A dimension,
 *     or the byte count of the whole array, above PTRDIFF_MAX is
 *     TLPU_ERR_OVERFLOW (checked over the nonzero dimensions, so a shape
 *     with a zero dimension and huge other ones is rejected too).
 *   - the header parser accepts exactly what NumPy writes, with keys in any
 *     order, single or double quotes, an optional trailing comma in the dict
 *     and in a tuple of two or more, spaces between tokens, 'L' suffixes on
 *     dimensions in 1.0/2.0 files (Python 2), and anything after the dict up
 *     to the final '\n' being spaces. Everything else - tabs, control
 *     characters, non-ASCII bytes outside string literals, missing, unknown
 *     or repeated keys, a shape that is not a tuple of non-negative decimal
 *     integers, a missing final '\n' - is TLPU_ERR_FORMAT.
 *   - the file must hold exactly the data the header describes: fewer bytes
 *     (truncated) or more bytes (trailing data) are TLPU_ERR_FORMAT. NumPy
 *     itself ignores trailing bytes; tlpu rejects them because a file with
 *     extra bytes is most likely not what its header says it is.
 *   - format versions other than 1.0, 2.0 and 3.0 are TLPU_ERR_UNSUPPORTED;
 *     headers longer than TLPU_NPY_MAX_HEADER bytes too.
 *   - nothing is allocated from an unchecked header: the data is allocated
 *     only once the file (or buffer) is known to hold exactly that many bytes.
 *
 * Writing produces the bytes np.save writes for a C-ordered array (NumPy
 * 1.24 and later: format 1.0, keys sorted, a 21-digit growth reserve after
 * the dict, data starting at a multiple of 64), through a temporary file in
 * the same directory renamed over the target once complete, so a failed
 * write never leaves a partial file.
 *
 * Every function taking `errbuf`/`errlen` writes a one-line English message
 * there (always NUL-terminated when errlen > 0, "" on success); either may
 * be NULL/0. Errors leave the output untouched.
 */
#ifndef TLPU_NPY_H
#define TLPU_NPY_H

#include <stddef.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tlpu_npy_dtype {
    TLPU_NPY_I8 = 0,
    TLPU_NPY_U8 = 1,
    TLPU_NPY_I16 = 2,
    TLPU_NPY_I32 = 3,
    TLPU_NPY_I64 = 4,
    TLPU_NPY_F16 = 5, /* IEEE binary16 bits as uint16_t (see tlpu/fp.h) */
    TLPU_NPY_F32 = 6,
    TLPU_NPY_F64 = 7,
} tlpu_npy_dtype;

#define TLPU_NPY_DTYPE_COUNT 8
#define TLPU_NPY_MAX_NDIM 8
/* The longest header (after the length field) the reader accepts. */
#define TLPU_NPY_MAX_HEADER 65536u

/* "int8", "uint8", "int16", "int32", "int64", "float16", "float32",
 * "float64"; NULL for an unknown dtype. */
const char *tlpu_npy_dtype_name(tlpu_npy_dtype dtype);
/* Bytes per element (1, 2, 4 or 8); 0 for an unknown dtype. */
size_t tlpu_npy_dtype_size(tlpu_npy_dtype dtype);

/* What a .npy header says. */
typedef struct tlpu_npy_header {
    unsigned version;     /* format major version: 1, 2 or 3 (minor is 0) */
    tlpu_npy_dtype dtype;
    int big_endian;       /* the file's data is big-endian ('>') */
    int fortran_order;    /* the file's data is column-major */
    unsigned ndim;        /* 0..TLPU_NPY_MAX_NDIM */
    size_t shape[TLPU_NPY_MAX_NDIM]; /* shape[ndim..] are 0 */
    size_t elem_size;     /* tlpu_npy_dtype_size(dtype) */
    size_t count;         /* elements: product of shape (1 for ndim 0) */
    size_t nbytes;        /* count * elem_size, <= PTRDIFF_MAX */
    size_t data_offset;   /* where the data starts in the file */
} tlpu_npy_header;

/*
 * An array read from a .npy file: C order, host byte order. `data` is
 * malloc'd (never NULL after a successful read, even when nbytes is 0),
 * aligned for any element type; release it with tlpu_npy_free().
 */
typedef struct tlpu_npy {
    tlpu_npy_dtype dtype;
    unsigned ndim;
    size_t shape[TLPU_NPY_MAX_NDIM]; /* shape[ndim..] are 0 */
    size_t elem_size;
    size_t count;
    size_t nbytes;
    void *data;
} tlpu_npy;

/*
 * Parses the preamble and header at the start of `buf` (`len` bytes: the
 * file's first len bytes, at least through the header; the data need not be
 * there). Does not allocate. Never reads outside buf[0..len).
 */
tlpu_status tlpu_npy_parse_header(const void *buf, size_t len, tlpu_npy_header *hdr,
                                  char *errbuf, size_t errlen);

/*
 * Parses a whole .npy file held in memory into a new array. The buffer must
 * hold exactly the header and the data. The entry point for fuzzing: never
 * reads outside buf[0..len), allocates only `nbytes` once len is checked.
 */
tlpu_status tlpu_npy_parse(const void *buf, size_t len, tlpu_npy *arr, char *errbuf,
                           size_t errlen);

/*
 * Reads a .npy file (a regular file). Messages start with the path, e.g.
 * "x.npy: truncated: header says 64x2560 int8 = 163840 data bytes at offset
 * 128 (163968 in all), file has 228 bytes". Open/read failures are
 * TLPU_ERR_IO.
 */
tlpu_status tlpu_npy_read(const char *path, tlpu_npy *arr, char *errbuf, size_t errlen);

/*
 * Writes `data` (count elements of `dtype` in C order, host byte order) as a
 * .npy file with `ndim` dimensions `shape` (may be NULL when ndim is 0).
 * `data` may be NULL only when the array has no elements. Replaces `path`
 * atomically (write to "<path>.tmp.<pid>.<n>", fsync, rename); on any
 * error the temporary file is removed and `path` is unchanged.
 * More than TLPU_NPY_MAX_NDIM dimensions is TLPU_ERR_UNSUPPORTED; a byte
 * count above PTRDIFF_MAX is TLPU_ERR_OVERFLOW; I/O failures TLPU_ERR_IO.
 */
tlpu_status tlpu_npy_write(const char *path, tlpu_npy_dtype dtype, unsigned ndim,
                           const size_t *shape, const void *data, char *errbuf, size_t errlen);

/*
 * The exact bytes tlpu_npy_write puts before the data (the preamble and the
 * padded header), for writing to other streams. Returns the header size, or
 * 0 on an invalid argument (unknown dtype, ndim > 8, shape NULL with
 * ndim > 0, size overflow). `out` may be NULL to ask for the size;
 * otherwise it must hold out_size >= that many bytes or nothing is written
 * and 0 is returned.
 */
size_t tlpu_npy_header_bytes(tlpu_npy_dtype dtype, unsigned ndim, const size_t *shape,
                             void *out, size_t out_size);

/* Frees arr->data and zeroes *arr. NULL and already-freed arrays are fine. */
void tlpu_npy_free(tlpu_npy *arr);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_NPY_H */
