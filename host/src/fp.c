/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IEEE-754 binary16 / bfloat16 <-> binary32 conversions in integer
 * arithmetic: exact, round-to-nearest-even, independent of the FPU mode.
 */
#include "tlpu/fp.h"

#include <string.h>

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float tlpu_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;

    if (exp == 0x1fu) /* Inf or NaN: widening keeps the payload exactly */
        return bits_f32(sign | 0x7f800000u | (man << 13));
    if (exp == 0) {
        if (man == 0)
            return bits_f32(sign);
        /* subnormal: value = man * 2^-24; normalise it */
        uint32_t e = 113; /* biased f32 exponent of 2^-14 */
        while (!(man & 0x400u)) {
            man <<= 1;
            e--;
        }
        return bits_f32(sign | (e << 23) | ((man & 0x3ffu) << 13));
    }
    return bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t tlpu_f32_to_f16(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;

    if (exp == 0xffu) {
        if (man) /* NaN: keep the top payload bits, make it quiet */
            return (uint16_t)(sign | 0x7e00u | (man >> 13));
        return (uint16_t)(sign | 0x7c00u);
    }
    int32_t e = (int32_t)exp - 127 + 15; /* biased f16 exponent */
    if (e >= 0x1f)
        return (uint16_t)(sign | 0x7c00u); /* overflow */
    if (e <= 0) {
        /* f16 subnormal (or zero): units of 2^-24 */
        if (e < -10)
            return sign; /* below half the smallest subnormal */
        uint32_t m = man | 0x800000u;
        uint32_t shift = (uint32_t)(14 - e); /* 14..24 */
        uint32_t half = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1u);
        uint32_t halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (half & 1u)))
            half++; /* may carry into the smallest normal: still right */
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u)))
        half++; /* a carry out of the mantissa bumps the exponent, up to Inf */
    return (uint16_t)(sign | half);
}

float tlpu_bf16_to_f32(uint16_t b) { return bits_f32((uint32_t)b << 16); }

uint16_t tlpu_f32_to_bf16(float f)
{
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) /* NaN: keep sign and top payload, quiet */
        return (uint16_t)((x >> 16) | 0x0040u);
    uint32_t lsb = (x >> 16) & 1u;
    return (uint16_t)((x + 0x7fffu + lsb) >> 16); /* overflow rounds to Inf */
}

size_t tlpu_dtype_size(tlpu_dtype dtype)
{
    switch (dtype) {
    case TLPU_DTYPE_F32:
        return 4;
    case TLPU_DTYPE_F16:
    case TLPU_DTYPE_BF16:
        return 2;
    }
    return 0;
}

const char *tlpu_dtype_name(tlpu_dtype dtype)
{
    switch (dtype) {
    case TLPU_DTYPE_F32:
        return "f32";
    case TLPU_DTYPE_F16:
        return "f16";
    case TLPU_DTYPE_BF16:
        return "bf16";
    }
    return NULL;
}

tlpu_status tlpu_dtype_parse(const char *name, tlpu_dtype *dtype)
{
    static const struct {
        const char *name;
        tlpu_dtype dtype;
    } names[] = {
        {"f32", TLPU_DTYPE_F32},   {"float32", TLPU_DTYPE_F32}, {"f16", TLPU_DTYPE_F16},
        {"float16", TLPU_DTYPE_F16}, {"bf16", TLPU_DTYPE_BF16}, {"bfloat16", TLPU_DTYPE_BF16},
    };
    if (!name || !dtype)
        return TLPU_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *dtype = names[i].dtype;
            return TLPU_OK;
        }
    }
    return TLPU_ERR_INVALID_ARG;
}

float tlpu_load_f32(tlpu_dtype dtype, const void *src, size_t i)
{
    if (dtype == TLPU_DTYPE_F32)
        return ((const float *)src)[i];
    uint16_t h = ((const uint16_t *)src)[i];
    return dtype == TLPU_DTYPE_F16 ? tlpu_f16_to_f32(h) : tlpu_bf16_to_f32(h);
}

tlpu_status tlpu_convert_to_f32(tlpu_dtype src_type, const void *src, size_t n, float *dst)
{
    if (!tlpu_dtype_size(src_type) || (n && (!src || !dst)))
        return TLPU_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        dst[i] = tlpu_load_f32(src_type, src, i);
    return TLPU_OK;
}

tlpu_status tlpu_convert_from_f32(tlpu_dtype dst_type, const float *src, size_t n, void *dst)
{
    if (!tlpu_dtype_size(dst_type) || (n && (!src || !dst)))
        return TLPU_ERR_INVALID_ARG;
    if (dst_type == TLPU_DTYPE_F32) {
        if (n) /* memmove's pointers must be valid even for 0 bytes */
            memmove(dst, src, n * sizeof(float));
        return TLPU_OK;
    }
    uint16_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = dst_type == TLPU_DTYPE_F16 ? tlpu_f32_to_f16(src[i]) : tlpu_f32_to_bf16(src[i]);
    return TLPU_OK;
}
