/* SPDX-License-Identifier: Apache-2.0 */
/* BitNet b1.58 absmean weight / absmax activation quantization. */
#include "tlpu/quant.h"

#include <math.h>

float tlpu_round_half_even(float v)
{
    if (!(fabsf(v) < 8388608.0f)) /* >= 2^23 is already integral; NaN/Inf pass */
        return v;
    float r = floorf(v);
    float d = v - r; /* exact: |v| < 2^23 */
    if (d > 0.5f || (d == 0.5f && ((int32_t)r & 1)))
        r += 1.0f;
    /* A zero result is +0 whatever the sign of v or the rounding mode (in
     * FE_DOWNWARD, floorf's inline expansion and "r + 0.0f" both give -0). */
    return r == 0.0f ? 0.0f : r;
}

static tlpu_status check_finite(tlpu_dtype dtype, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(tlpu_load_f32(dtype, src, i)))
            return TLPU_ERR_NONFINITE;
    return TLPU_OK;
}

tlpu_status tlpu_quantize_weights(tlpu_dtype dtype, const void *w, size_t n, int8_t *trits,
                                  float *scale_w)
{
    if (!tlpu_dtype_size(dtype) || !w || !trits || !scale_w)
        return TLPU_ERR_INVALID_ARG;
    if (n == 0)
        return TLPU_ERR_SHAPE;
    if (n > SIZE_MAX / tlpu_dtype_size(dtype))
        return TLPU_ERR_OVERFLOW; /* no buffer of n elements can exist */
    tlpu_status st = check_finite(dtype, w, n);
    if (st != TLPU_OK)
        return st;

    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += fabs((double)tlpu_load_f32(dtype, w, i));
    float s = (float)(sum / (double)n);
    if (!(s >= TLPU_QUANT_EPS))
        s = TLPU_QUANT_EPS;

    for (size_t i = 0; i < n; i++) {
        float q = tlpu_round_half_even(tlpu_load_f32(dtype, w, i) / s);
        trits[i] = (int8_t)(q > 1.0f ? 1 : q < -1.0f ? -1 : (int)q);
    }
    *scale_w = s;
    return TLPU_OK;
}

tlpu_status tlpu_quantize_activations(tlpu_dtype dtype, const void *x, size_t m, size_t k,
                                      int8_t *xq, float *scale_x)
{
    if (!tlpu_dtype_size(dtype) || !x || !xq || !scale_x)
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0)
        return TLPU_ERR_SHAPE;
    /* m*k elements, their bytes and the m f32 scales must all be sizes */
    if (m > SIZE_MAX / k || m * k > SIZE_MAX / tlpu_dtype_size(dtype) ||
        m > SIZE_MAX / sizeof(float))
        return TLPU_ERR_OVERFLOW;
    tlpu_status st = check_finite(dtype, x, m * k);
    if (st != TLPU_OK)
        return st;

    for (size_t r = 0; r < m; r++) {
        size_t base = r * k;
        float amax = 0.0f;
        for (size_t i = 0; i < k; i++) {
            float a = fabsf(tlpu_load_f32(dtype, x, base + i));
            if (a > amax)
                amax = a;
        }
        if (amax < TLPU_QUANT_EPS)
            amax = TLPU_QUANT_EPS;
        float s = 127.0f / amax;
        for (size_t i = 0; i < k; i++) {
            float q = tlpu_round_half_even(tlpu_load_f32(dtype, x, base + i) * s);
            xq[base + i] = (int8_t)(q > 127.0f ? 127 : q < -128.0f ? -128 : (int)q);
        }
        scale_x[r] = s;
    }
    return TLPU_OK;
}
