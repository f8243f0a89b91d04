/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/bitlinear.h - the C reference BitLinear every tlpu result is checked
 * against.
 *
 *     Y[m,n] = sum_k Xq[m,k] * W[n,k]        (exact, int32)
 *
 * Xq is M x K int8 (row-major, any value in [-128, 127]); W is N x K trits
 * (row-major, each in {-1, 0, +1}), i.e. the weight matrix in the
 * "out x in" orientation models store; Y is M x N int32 (row-major).
 * Any M, N >= 1 and 1 <= K <= TLPU_BITLINEAR_MAX_K: the bound guarantees
 * |Y| <= 128 * K < 2^31, so the int32 result is always exact.
 *
 * Two implementations:
 *   - tlpu_bitlinear_oracle(): plain loops, obviously right, slow;
 *   - tlpu_bitlinear_fast(): on weights prepared once into a tlpu_tmat
 *     (2-bit codes in a SIMD-friendly layout), AVX2 when the CPU has it and a
 *     portable C path otherwise. It equals the oracle bit for bit.
 */
#ifndef TLPU_BITLINEAR_H
#define TLPU_BITLINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 128 * (2^24 - 1) < 2^31: the largest K for which int32 is always exact. */
#define TLPU_BITLINEAR_MAX_K ((size_t)16777215)

/* The obviously-right scalar reference. Validates every trit first. */
tlpu_status tlpu_bitlinear_oracle(size_t m, size_t k, size_t n, const int8_t *xq,
                                  const int8_t *w, int32_t *y);

/* Instruction-set paths of the fast reference. */
typedef enum tlpu_isa {
    TLPU_ISA_AUTO = 0,     /* the best this CPU supports (or $TLPU_ISA) */
    TLPU_ISA_PORTABLE = 1, /* plain C */
    TLPU_ISA_AVX2 = 2,     /* x86-64 AVX2 */
} tlpu_isa;

const char *tlpu_isa_name(tlpu_isa isa);
/* Whether this build and this CPU can run `isa`. */
int tlpu_isa_available(tlpu_isa isa);
/*
 * What TLPU_ISA_AUTO resolves to: the best available path, unless the
 * environment variable TLPU_ISA names another available one ("portable",
 * "avx2").
 */
tlpu_isa tlpu_isa_resolve(tlpu_isa isa);

/* An N x K ternary matrix prepared for the fast reference (opaque). */
typedef struct tlpu_tmat tlpu_tmat;

tlpu_status tlpu_tmat_create(const int8_t *w, size_t n, size_t k, tlpu_tmat **out);
void tlpu_tmat_destroy(tlpu_tmat *tm);
size_t tlpu_tmat_rows(const tlpu_tmat *tm); /* N */
size_t tlpu_tmat_cols(const tlpu_tmat *tm); /* K */

/* Y = Xq * W^T with the best available path. */
tlpu_status tlpu_bitlinear_fast(const tlpu_tmat *w, size_t m, const int8_t *xq, int32_t *y);
/* The same with a chosen path; TLPU_ERR_UNSUPPORTED when it is not available. */
tlpu_status tlpu_bitlinear_fast_isa(tlpu_isa isa, const tlpu_tmat *w, size_t m, const int8_t *xq,
                                    int32_t *y);

/* Convenience: prepares W, runs the fast path, frees. */
tlpu_status tlpu_bitlinear(size_t m, size_t k, size_t n, const int8_t *xq, const int8_t *w,
                           int32_t *y);

/*
 * The float BitLinear output from the exact integers, in bitnet.cpp's order:
 *     out[m,n] = ((float)y[m,n] / scale_x[m]) * scale_w
 */
tlpu_status tlpu_bitlinear_dequantize(size_t m, size_t n, const int32_t *y, const float *scale_x,
                                      float scale_w, float *out);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_BITLINEAR_H */
