/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the reference BitLinear: the prepared-weight layout. */
#ifndef TLPU_BITLINEAR_INTERNAL_H
#define TLPU_BITLINEAR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/bitlinear.h"

/* K is padded to a multiple of this many weights (one 32-byte SIMD block). */
#define TLPU_TMAT_BLOCK 128u

/*
 * Row r of W occupies kp/4 bytes at codes + r * kp/4 (kp = K rounded up to
 * 128). Within a 128-weight block b, byte 32*b + p holds weights
 * 128b + p, +32, +64, +96 in bits [7:6], [5:4], [3:2], [1:0] (the I2_S block
 * layout, so one shift and one mask unpack 32 codes). Code = trit + 1;
 * padding weights are code 1 (trit 0).
 */
struct tlpu_tmat {
    size_t n, k, kp;
    uint8_t *codes;
};

/*
 * One kernel: y[i*n + j] = sum_k xp[i*kp + k] * W[j,k] for i < m, j < n,
 * where xp holds the activation rows zero-padded to kp and sumx[i] is the
 * sum of row i (a kernel may compute sum (trit+1)*x and subtract it).
 * `scratch` is kp bytes, 32-byte aligned, the kernel's to use.
 */
typedef void (*tlpu_bitlinear_kernel)(const struct tlpu_tmat *w, size_t m, const int8_t *xp,
                                      const int32_t *sumx, int32_t *y, void *scratch);

void tlpu_bitlinear_kernel_portable(const struct tlpu_tmat *w, size_t m, const int8_t *xp,
                                    const int32_t *sumx, int32_t *y, void *scratch);
#if defined(__x86_64__) || defined(__i386__)
#define TLPU_HAVE_AVX2_KERNEL 1
void tlpu_bitlinear_kernel_avx2(const struct tlpu_tmat *w, size_t m, const int8_t *xp,
                                const int32_t *sumx, int32_t *y, void *scratch);
#endif

#endif
