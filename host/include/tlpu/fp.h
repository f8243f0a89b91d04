/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/fp.h - the floating-point formats models ship in: IEEE-754 binary32
 * (f32), binary16 (f16) and bfloat16 (bf16).
 *
 * Conversions are exact where the target can hold the value and round to
 * nearest, ties to even, otherwise. Subnormals are handled in both
 * directions (no flush to zero). Overflow gives a correctly signed infinity.
 * A NaN stays a NaN of the same sign. Widening keeps its payload exactly (a
 * signalling NaN stays signalling); narrowing keeps the top payload bits and
 * makes it quiet. The functions do not depend on
 * the FPU rounding mode and need no hardware half-precision support.
 */
#ifndef TLPU_FP_H
#define TLPU_FP_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tlpu_dtype {
    TLPU_DTYPE_F32 = 0,
    TLPU_DTYPE_F16 = 1,
    TLPU_DTYPE_BF16 = 2,
} tlpu_dtype;

/* Bytes per element (4 or 2); 0 for an unknown dtype. */
size_t tlpu_dtype_size(tlpu_dtype dtype);
/* "f32", "f16", "bf16"; NULL for an unknown dtype. */
const char *tlpu_dtype_name(tlpu_dtype dtype);
/* Parses "f32"/"float32", "f16"/"float16", "bf16"/"bfloat16". */
tlpu_status tlpu_dtype_parse(const char *name, tlpu_dtype *dtype);

float tlpu_f16_to_f32(uint16_t h);
uint16_t tlpu_f32_to_f16(float f);
float tlpu_bf16_to_f32(uint16_t b);
uint16_t tlpu_f32_to_bf16(float f);

/* Element i of a buffer of `dtype` values (host byte order), as f32. */
float tlpu_load_f32(tlpu_dtype dtype, const void *src, size_t i);

/* Converts n elements of `src_type` to f32. */
tlpu_status tlpu_convert_to_f32(tlpu_dtype src_type, const void *src, size_t n, float *dst);
/* Converts n f32 values to `dst_type`. */
tlpu_status tlpu_convert_from_f32(tlpu_dtype dst_type, const float *src, size_t n, void *dst);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_FP_H */
