/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/gguf_write.h - writing GGUF model files (version 3, little-endian).
 *
 * A writer collects metadata entries and tensors in memory, then writes the
 * file in one call:
 *
 *     tlpu_gguf_writer *w;
 *     tlpu_gguf_writer_new(&w);
 *     for (size_t i = 0; i < tlpu_gguf_kv_count(g); i++)
 *         tlpu_gguf_writer_copy_kv(w, g, i);          // entries of an open file, as they are
 *     tlpu_gguf_writer_set_u32(w, "general.file_type", 37);
 *     tlpu_gguf_writer_add_tensor(w, "blk.0.attn_q.weight", 2, ne, TLPU_GGUF_TYPE_TQ2_0,
 *                                 bytes, size);      // copied
 *     tlpu_gguf_writer_write(w, "out.gguf", err, sizeof err);
 *     tlpu_gguf_writer_free(w);
 *
 * The file (docs/formats.md, "GGUF" and "tlpu quantize"):
 *   - magic "GGUF", version 3, the tensor count, the metadata count, the
 *     metadata entries in the order they were first set, the tensor infos in
 *     the order they were added (name, n_dims, dims innermost first, ggml
 *     type id, offset from the data section);
 *   - zeros up to the alignment: `general.alignment` when the writer has that
 *     key (an integer, a power of two, 1 .. 2^30), else 32; the data section
 *     starts there;
 *   - each tensor's bytes at the next multiple of the alignment, followed by
 *     zeros up to a multiple of the alignment (the last one too), as ggml's
 *     gguf writer and llama-quantize do.
 * tlpu_gguf_open reads every file this writes back to the same entries,
 * values, tensor infos and bytes.
 *
 * Metadata. Setting a key the writer already has replaces its value in place
 * (the entry keeps its position, as ggml's gguf did up to 2024 and
 * bitnet.cpp's fork still does); tlpu_gguf_writer_remove_key() followed by a
 * set moves a key to the end (what today's ggml does on every set).
 * Copying entry `index` of an open file is a set with that entry's key,
 * type and value (scalars and arrays of every element type, strings too).
 * Strings may hold any bytes, NUL included; keys are C strings.
 *
 * Tensors. Types F32, F16, BF16, TQ1_0, TQ2_0 and I2_S (the ids of
 * tlpu/gguf.h): the data must have exactly the type's size for the shape,
 * TQ rows (ne[0]) a multiple of 256, I2_S rows a multiple of 128. Other type
 * ids are TLPU_ERR_UNSUPPORTED (the reader cannot size them either). Names
 * are unique. A file with an I2_S tensor must say it is a bitnet.cpp file
 * (general.architecture bitnet, bitnet-b1.58 or bitnet-25, or
 * general.file_type 40), else the reader would not know id 36: checked when
 * the file is written.
 *
 * Writing is atomic for a regular file (or a path that does not exist yet):
 * the bytes go to a new temporary file beside the target (same directory,
 * name "<target>.tmp<pid>-<n>"), which is fsynced and renamed over the
 * target, and the directory is fsynced; on any failure the temporary file
 * is removed and the target is untouched. A symbolic link is followed (the
 * file it names is replaced, the link stays). A character or block device or
 * a FIFO is written in place (nothing to rename). A directory is an error.
 *
 * Every size (header, offsets, padding, the file) is computed with overflow
 * checks (TLPU_ERR_OVERFLOW). Statuses: TLPU_ERR_INVALID_ARG (NULL, a
 * duplicate tensor name, a value a key cannot hold), TLPU_ERR_SHAPE (bad
 * dims or row length), TLPU_ERR_BUFFER_SIZE (data of the wrong size),
 * TLPU_ERR_RANGE (a bool array element not 0 or 1), TLPU_ERR_FORMAT (a
 * general.alignment or general.architecture the reader would reject),
 * TLPU_ERR_UNSUPPORTED, TLPU_ERR_NOMEM, TLPU_ERR_IO (the file could not be
 * created or written). Every failing call leaves the writer as it was and
 * records a one-line message, tlpu_gguf_writer_error() (e.g. "tensor
 * 'blk.0.attn_q.weight': tq2_0 rows need a multiple of 256 elements, ne[0]
 * is 100").
 *
 * A writer is not thread-safe; different writers are independent.
 */
#ifndef TLPU_GGUF_WRITE_H
#define TLPU_GGUF_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/gguf.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_gguf_writer tlpu_gguf_writer;

/* The alignment when general.alignment is absent, and the largest accepted. */
#define TLPU_GGUF_DEFAULT_ALIGNMENT 32u
#define TLPU_GGUF_MAX_ALIGNMENT (1u << 30)

tlpu_status tlpu_gguf_writer_new(tlpu_gguf_writer **out);
/* Frees the writer and the copies it holds. NULL is fine. */
void tlpu_gguf_writer_free(tlpu_gguf_writer *w);

/* The message of the last failed call on w ("" after a success). */
const char *tlpu_gguf_writer_error(const tlpu_gguf_writer *w);

/* ---- metadata --------------------------------------------------------------- */

/* Entry `index` of g (any type, arrays too) under its own key. */
tlpu_status tlpu_gguf_writer_copy_kv(tlpu_gguf_writer *w, const tlpu_gguf *g, size_t index);

tlpu_status tlpu_gguf_writer_set_u8(tlpu_gguf_writer *w, const char *key, uint8_t v);
tlpu_status tlpu_gguf_writer_set_i8(tlpu_gguf_writer *w, const char *key, int8_t v);
tlpu_status tlpu_gguf_writer_set_u16(tlpu_gguf_writer *w, const char *key, uint16_t v);
tlpu_status tlpu_gguf_writer_set_i16(tlpu_gguf_writer *w, const char *key, int16_t v);
tlpu_status tlpu_gguf_writer_set_u32(tlpu_gguf_writer *w, const char *key, uint32_t v);
tlpu_status tlpu_gguf_writer_set_i32(tlpu_gguf_writer *w, const char *key, int32_t v);
tlpu_status tlpu_gguf_writer_set_f32(tlpu_gguf_writer *w, const char *key, float v);
/* Stored as 1 when v != 0. */
tlpu_status tlpu_gguf_writer_set_bool(tlpu_gguf_writer *w, const char *key, int v);
tlpu_status tlpu_gguf_writer_set_u64(tlpu_gguf_writer *w, const char *key, uint64_t v);
tlpu_status tlpu_gguf_writer_set_i64(tlpu_gguf_writer *w, const char *key, int64_t v);
tlpu_status tlpu_gguf_writer_set_f64(tlpu_gguf_writer *w, const char *key, double v);
/* `len` bytes at s (s may be NULL when len is 0). */
tlpu_status tlpu_gguf_writer_set_str(tlpu_gguf_writer *w, const char *key, const char *s,
                                     size_t len);
/*
 * An array of `count` numeric or bool elements of `elem_type` (not str or
 * arr): count * size(elem_type) bytes at `data`, little-endian (the layout
 * tlpu_gguf_kv_data gives; on this little-endian-only code base, a plain C
 * array of the type). `data` may be NULL when count is 0.
 */
tlpu_status tlpu_gguf_writer_set_arr(tlpu_gguf_writer *w, const char *key,
                                     tlpu_gguf_vtype elem_type, const void *data,
                                     uint64_t count);
/* An array of `count` strings: strs[i] of lens[i] bytes (lens NULL: strlen). */
tlpu_status tlpu_gguf_writer_set_arr_str(tlpu_gguf_writer *w, const char *key,
                                         const char *const *strs, const size_t *lens,
                                         uint64_t count);
/* Removes `key`; TLPU_ERR_INVALID_ARG when the writer does not have it. */
tlpu_status tlpu_gguf_writer_remove_key(tlpu_gguf_writer *w, const char *key);

size_t tlpu_gguf_writer_kv_count(const tlpu_gguf_writer *w);
/* The index of `key` (the order it will be written in); INVALID_ARG when absent. */
tlpu_status tlpu_gguf_writer_find_key(const tlpu_gguf_writer *w, const char *key,
                                      size_t *index);

/* ---- tensors ------------------------------------------------------------------ */

/*
 * Adds a tensor after the ones added before: `n_dims` (0..4) dims at `ne`
 * (innermost first; ne may be NULL when n_dims is 0), ggml type id `type`
 * and its `size` bytes at `data`, which are copied.
 */
tlpu_status tlpu_gguf_writer_add_tensor(tlpu_gguf_writer *w, const char *name, uint32_t n_dims,
                                        const uint64_t *ne, uint32_t type, const void *data,
                                        size_t size);
/* The same without a copy: `data` must stay valid and unchanged until the
 * writer is freed (e.g. the bytes of an open tlpu_gguf). */
tlpu_status tlpu_gguf_writer_add_tensor_ref(tlpu_gguf_writer *w, const char *name,
                                            uint32_t n_dims, const uint64_t *ne, uint32_t type,
                                            const void *data, size_t size);
/* Tensor `index` of g as it is (name, dims, type, bytes; not copied: g must
 * stay open until the writer is freed). */
tlpu_status tlpu_gguf_writer_copy_tensor(tlpu_gguf_writer *w, const tlpu_gguf *g, size_t index);

size_t tlpu_gguf_writer_tensor_count(const tlpu_gguf_writer *w);

/* ---- the file ------------------------------------------------------------------- */

/*
 * The layout the file would have now: the alignment, the data section's
 * offset and the file's size. Fails as tlpu_gguf_writer_write would before
 * it touches the file system (overflow, a bad general.alignment, ...).
 */
tlpu_status tlpu_gguf_writer_layout(tlpu_gguf_writer *w, size_t *alignment,
                                    uint64_t *data_offset, uint64_t *file_size);

/*
 * Writes the file to `path` (see the top of this file). `err` (may be NULL)
 * receives the message, as tlpu_gguf_writer_error(): "<path>: cannot create
 * a temporary file beside it: Permission denied", "<path>: write failed: No
 * space left on device", ... *created (may be NULL) is set to 1 once the
 * output (the temporary file, or the device) was opened for writing, 0 when
 * the failure came before: callers tell "cannot write there" from "the
 * write failed" with it.
 */
tlpu_status tlpu_gguf_writer_write(tlpu_gguf_writer *w, const char *path, int *created,
                                   char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_GGUF_WRITE_H */
