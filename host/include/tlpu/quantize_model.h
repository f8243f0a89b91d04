/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/quantize_model.h - quantizing a BitNet GGUF model's BitLinear weights
 * to a ternary type (`tlpu quantize`; docs/formats.md, "tlpu quantize").
 *
 * What is quantized: the 2-D tensors named blk.N.attn_q / attn_k / attn_v /
 * attn_output / ffn_gate / ffn_up / ffn_down.weight stored as F32, F16 or
 * BF16, in a file whose general.architecture is bitnet, bitnet-b1.58 or
 * bitnet-25 (any other is TLPU_ERR_UNSUPPORTED). Every other tensor
 * (token_embd, output, norms, ...) is copied unchanged, and so is a
 * BitLinear weight that is already TQ1_0, TQ2_0 or I2_S. A file without any
 * tensor to quantize is TLPU_ERR_INVALID_ARG.
 *
 * How (`ptq`):
 *   TLPU_PTQ_ABSMEAN  BitNet's post-training ternarization first
 *                     (tlpu_quantize_weights: s = mean|W| per tensor,
 *                     t = clamp(round(W/s), -1, 1)), then W' = t * s goes
 *                     through the format's own quantizer;
 *   TLPU_PTQ_NONE     W itself through the format's quantizer, as
 *                     llama-quantize and bitnet.cpp's quantizer do (lossless
 *                     when W already is trits times the format's scales).
 * The format's quantizers are ggml's quantize_row_tq{1,2}_0_ref
 * (tlpu_tq1_quantize, tlpu_tq2_quantize: one fp16 d = max|w| per 256
 * weights) and bitnet.cpp's quantize_i2_s (tlpu_i2s_quantize: one f32
 * scale = max|w| per tensor). Rows (ne[0]) must be a multiple of 256 (TQ) or
 * 128 (I2_S): TLPU_ERR_SHAPE naming the tensor.
 *
 * The output file is what the program that defines the format writes:
 *   - every metadata entry copied in order, general.quantization_version = 2
 *     and general.file_type = 36 (TQ1_0), 37 (TQ2_0) or 40 (I2_S). For TQ
 *     (upstream llama.cpp's llama-quantize) both keys are removed and
 *     appended in that order, as today's ggml does on every set; for I2_S
 *     (bitnet.cpp's fork, whose older ggml sets keys in place) each keeps
 *     its position and is appended when absent. split.no / split.count /
 *     split.tensors.count are removed, as both do (a model split in several
 *     files, split.count > 1, is refused);
 *   - the tensors in the input's order, the alignment of the input
 *     (general.alignment or 32), data padded with zeros (tlpu/gguf_write.h).
 * From llama-quantize's own F16 file this reproduces llama-quantize's TQ2_0
 * and TQ1_0 files byte for byte (tests/unit/check_quantize.c).
 *
 * The output is written atomically (tlpu/gguf_write.h): a failure never
 * leaves a partial file, and an existing file is replaced only on success.
 * The input and the output must be different files (TLPU_ERR_INVALID_ARG).
 */
#ifndef TLPU_QUANTIZE_MODEL_H
#define TLPU_QUANTIZE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/gguf.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tlpu_ptq {
    TLPU_PTQ_ABSMEAN = 0,
    TLPU_PTQ_NONE = 1,
} tlpu_ptq;

/* "absmean", "none"; NULL for another value. */
const char *tlpu_ptq_name(tlpu_ptq ptq);
/* "absmean" or "none"; TLPU_ERR_INVALID_ARG otherwise. */
tlpu_status tlpu_ptq_parse(const char *name, tlpu_ptq *out);

/* "tq2_0", "tq1_0", "i2_s" to the ggml type id; TLPU_ERR_INVALID_ARG otherwise. */
tlpu_status tlpu_quantize_type_parse(const char *name, uint32_t *type);

/* general.file_type of a file quantized to `type`: 36 TQ1_0 (llama.cpp's
 * LLAMA_FTYPE_MOSTLY_TQ1_0), 37 TQ2_0 (MOSTLY_TQ2_0), 40 I2_S (bitnet.cpp's
 * MOSTLY_I2_S); 0 for any other type. */
uint32_t tlpu_quantize_file_type(uint32_t type);

/* 1 when `name` is a BitLinear weight's name (blk.<N>.attn_q.weight, ...). */
int tlpu_quantize_is_bitlinear(const char *name);

typedef enum tlpu_quantize_action {
    TLPU_QUANTIZE_QUANTIZED = 0, /* a BitLinear weight, quantized */
    TLPU_QUANTIZE_COPIED = 1,    /* not a BitLinear weight to quantize: copied */
    TLPU_QUANTIZE_TERNARY = 2,   /* a BitLinear weight already ternary: copied */
} tlpu_quantize_action;

/* One tensor of the output, as it was made. */
typedef struct tlpu_quantize_tensor {
    size_t index;                    /* in the input (and the output) */
    const char *name;                /* valid during the callback */
    uint32_t n_dims;
    uint64_t ne[TLPU_GGUF_MAX_DIMS]; /* innermost first */
    uint32_t from_type, to_type;     /* ggml type ids */
    tlpu_quantize_action action;
    size_t bytes_in, bytes_out;
    /* quantized tensors only (0 otherwise): */
    float ptq_scale;         /* ABSMEAN: s = mean|W| (floored at 1e-5); NONE: 0 */
    size_t n_scales;         /* the format's stored scales: TQ one per 256 weights, I2_S 1 */
    float scale_min, scale_max; /* over them (TQ: the fp16 d widened) */
    double zero_frac;        /* fraction of the written trits that are 0 */
    double rel_rms;          /* ||W - Wq|| / ||W|| (0 when both are 0), Wq the written
                                tensor dequantized, W the input's values */
    double max_abs;          /* max |W - Wq| */
} tlpu_quantize_tensor;

typedef void (*tlpu_quantize_cb)(const tlpu_quantize_tensor *t, void *user);

typedef struct tlpu_quantize_params {
    uint32_t type;               /* TLPU_GGUF_TYPE_TQ2_0, _TQ1_0 or _I2_S */
    tlpu_ptq ptq;
    tlpu_quantize_cb on_tensor;  /* may be NULL: called for every tensor, in order,
                                    before the file is written */
    void *user;
} tlpu_quantize_params;

typedef struct tlpu_quantize_summary {
    uint32_t file_type;          /* general.file_type written */
    size_t n_tensors, n_quantized, n_ternary, n_copied;
    uint64_t tensor_bytes_in, tensor_bytes_out; /* the tensors' data */
    uint64_t file_bytes_in, file_bytes_out;
    int write_failed;            /* 1: the output was created and writing it failed
                                    (an I/O error); 0 for every other error */
} tlpu_quantize_summary;

/*
 * Quantizes `in_path` into `out_path` (see above). `summary` (may be NULL)
 * is filled as far as the work went. err gets a one-line message naming the
 * file, tensor or key and the problem (the reader's messages for a bad
 * input, e.g. "m.gguf: offset 0: cannot open: No such file or directory";
 * "tensor 'blk.0.attn_q.weight': tq2_0 rows need a multiple of 256
 * elements, ne[0] is 100"; "out.gguf: cannot create a temporary file beside
 * it: Permission denied").
 */
tlpu_status tlpu_quantize_model(const char *in_path, const char *out_path,
                                const tlpu_quantize_params *p, tlpu_quantize_summary *summary,
                                char *err, size_t errlen);

/*
 * The one-line description `tlpu quantize` prints for a tensor (no newline):
 *   "blk.0.attn_q.weight  256 x 256  f16 -> tq2_0  s 0.0887 d 0.08875..0.08875 (256)
 *    zeros 31.2%  rel_rms 3.142e-03  max_abs 4.1e-05"
 * or "... f32  copied". Returns the length it needed (snprintf's rule).
 */
int tlpu_quantize_format_tensor(const tlpu_quantize_tensor *t, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_QUANTIZE_MODEL_H */
