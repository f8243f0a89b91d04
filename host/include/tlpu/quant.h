/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/quant.h - BitNet b1.58 quantization (docs/formats.md has the formulas).
 *
 * Weights, per tensor (absmean):
 *     scale_w = max(mean(|W|), 1e-5)
 *     Wq      = clamp(round_half_even(W / scale_w), -1, +1)
 * Activations, per token = per row of X (absmax):
 *     scale_x = 127 / max(max_k |x[k]|, 1e-5)
 *     xq      = clamp(round_half_even(x * scale_x), -128, 127)
 * The integer product Y = Xq * Wq^T is what the hardware computes; the float
 * result is Y / scale_x * scale_w (see tlpu_bitlinear_dequantize()).
 *
 * NaN or Inf anywhere in the input is rejected with TLPU_ERR_NONFINITE before
 * anything is written. Element counts whose buffers could not exist (their
 * byte size overflows size_t) give TLPU_ERR_OVERFLOW without touching memory.
 */
#ifndef TLPU_QUANT_H
#define TLPU_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/fp.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Floor applied to mean|W| and to max|x| (the BitNet recipe's clamp). */
#define TLPU_QUANT_EPS 1e-5f

/* Round half to even, independent of the FPU rounding mode. */
float tlpu_round_half_even(float v);

/*
 * Absmean ternary quantization of n weights (any shape, one scale).
 * `w` holds n values of `dtype`; `trits` receives n values in {-1, 0, +1};
 * *scale_w receives the scale (mean|W| accumulated in double, rounded once to
 * f32, floored at TLPU_QUANT_EPS).
 */
tlpu_status tlpu_quantize_weights(tlpu_dtype dtype, const void *w, size_t n, int8_t *trits,
                                  float *scale_w);

/*
 * Per-token absmax int8 quantization of an m x k row-major activation matrix.
 * `xq` receives m*k int8 values, `scale_x` receives m per-row scales
 * (127 / max|row|), computed in f32 exactly as bitnet.cpp does.
 */
tlpu_status tlpu_quantize_activations(tlpu_dtype dtype, const void *x, size_t m, size_t k,
                                      int8_t *xq, float *scale_x);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_QUANT_H */
