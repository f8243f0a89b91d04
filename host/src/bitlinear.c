/* SPDX-License-Identifier: Apache-2.0 */
/* The reference BitLinear: oracle, prepared weights, dispatch, dequantization. */
#include <stdlib.h>
#include <string.h>

#include "bitlinear_internal.h"

/* ---- the oracle ------------------------------------------------------------ */

static int trits_valid(const int8_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] < -1 || t[i] > 1)
            return 0;
    return 1;
}

/* m*k, k*n and m*n all fit in size_t (and in bytes of int32 for the output). */
static tlpu_status check_dims(size_t m, size_t k, size_t n)
{
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    if (k > TLPU_BITLINEAR_MAX_K)
        return TLPU_ERR_OVERFLOW;
    if (m > SIZE_MAX / k || n > SIZE_MAX / k || m > SIZE_MAX / sizeof(int32_t) / n)
        return TLPU_ERR_OVERFLOW;
    return TLPU_OK;
}

tlpu_status tlpu_bitlinear_oracle(size_t m, size_t k, size_t n, const int8_t *xq,
                                  const int8_t *w, int32_t *y)
{
    if (!xq || !w || !y)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_dims(m, k, n);
    if (st != TLPU_OK)
        return st;
    if (!trits_valid(w, n * k))
        return TLPU_ERR_RANGE;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            int32_t acc = 0;
            for (size_t kk = 0; kk < k; kk++)
                acc += (int32_t)xq[i * k + kk] * (int32_t)w[j * k + kk];
            y[i * n + j] = acc;
        }
    }
    return TLPU_OK;
}

/* ---- prepared weights ------------------------------------------------------- */

static size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

tlpu_status tlpu_tmat_create(const int8_t *w, size_t n, size_t k, tlpu_tmat **out)
{
    if (!w || !out)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_dims(1, k, n);
    if (st != TLPU_OK)
        return st;
    size_t kp = round_up(k, TLPU_TMAT_BLOCK);
    if (n > SIZE_MAX / (kp / 4))
        return TLPU_ERR_OVERFLOW;
    if (!trits_valid(w, n * k))
        return TLPU_ERR_RANGE;

    tlpu_tmat *tm = calloc(1, sizeof *tm);
    size_t bytes = round_up(n * (kp / 4), 32);
    /* a large matrix streams from DRAM at every call (a decode step): on
     * 2 MiB pages, where the kernel allows them, its reads miss the TLB far
     * less (measured: bench/generate) */
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge)
        bytes = round_up(bytes, huge);
    uint8_t *codes = tm ? aligned_alloc(bytes >= huge ? huge : 32, bytes) : NULL;
#ifdef MADV_HUGEPAGE
    if (codes && bytes >= huge)
        (void)madvise(codes, bytes, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
    if (!codes) {
        free(tm);
        return TLPU_ERR_NOMEM;
    }
    memset(codes, 0x55, bytes); /* every code 1 = trit 0 (padding) */
    for (size_t r = 0; r < n; r++) {
        uint8_t *row = codes + r * (kp / 4);
        for (size_t i = 0; i < k; i++) {
            size_t b = i / 128, g = (i % 128) / 32, p = i % 32;
            unsigned shift = 6 - 2 * (unsigned)g;
            uint8_t *byte = &row[32 * b + p];
            *byte = (uint8_t)((*byte & ~(3u << shift)) | (unsigned)(w[r * k + i] + 1) << shift);
        }
    }
    tm->n = n;
    tm->k = k;
    tm->kp = kp;
    tm->codes = codes;
    *out = tm;
    return TLPU_OK;
}

void tlpu_tmat_destroy(tlpu_tmat *tm)
{
    if (!tm)
        return;
    free(tm->codes);
    free(tm);
}

size_t tlpu_tmat_rows(const tlpu_tmat *tm) { return tm ? tm->n : 0; }
size_t tlpu_tmat_cols(const tlpu_tmat *tm) { return tm ? tm->k : 0; }

/* ---- ISA selection ---------------------------------------------------------- */

const char *tlpu_isa_name(tlpu_isa isa)
{
    switch (isa) {
    case TLPU_ISA_AUTO:
        return "auto";
    case TLPU_ISA_PORTABLE:
        return "portable";
    case TLPU_ISA_AVX2:
        return "avx2";
    }
    return "unknown";
}

int tlpu_isa_available(tlpu_isa isa)
{
    switch (isa) {
    case TLPU_ISA_AUTO:
    case TLPU_ISA_PORTABLE:
        return 1;
    case TLPU_ISA_AVX2:
#ifdef TLPU_HAVE_AVX2_KERNEL
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
#else
        return 0;
#endif
    }
    return 0;
}

tlpu_isa tlpu_isa_resolve(tlpu_isa isa)
{
    if (isa != TLPU_ISA_AUTO)
        return isa;
    const char *env = getenv("TLPU_ISA");
    if (env) {
        if (strcmp(env, "portable") == 0)
            return TLPU_ISA_PORTABLE;
        if (strcmp(env, "avx2") == 0 && tlpu_isa_available(TLPU_ISA_AVX2))
            return TLPU_ISA_AVX2;
    }
    return tlpu_isa_available(TLPU_ISA_AVX2) ? TLPU_ISA_AVX2 : TLPU_ISA_PORTABLE;
}

/* ---- the fast path ---------------------------------------------------------- */

tlpu_status tlpu_bitlinear_fast_isa(tlpu_isa isa, const tlpu_tmat *w, size_t m, const int8_t *xq,
                                    int32_t *y)
{
    if (!w || !xq || !y || (unsigned)isa > (unsigned)TLPU_ISA_AVX2)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_dims(m, w->k, w->n);
    if (st != TLPU_OK)
        return st;
    if (m > SIZE_MAX / w->kp)
        return TLPU_ERR_OVERFLOW;
    isa = tlpu_isa_resolve(isa);
    if (!tlpu_isa_available(isa))
        return TLPU_ERR_UNSUPPORTED;

    tlpu_bitlinear_kernel kern = tlpu_bitlinear_kernel_portable;
#ifdef TLPU_HAVE_AVX2_KERNEL
    if (isa == TLPU_ISA_AVX2)
        kern = tlpu_bitlinear_kernel_avx2;
#endif

    /* Activation rows zero-padded to kp, and their sums; then kp bytes of scratch. */
    if (m * w->kp > SIZE_MAX - 2 * w->kp - 64)
        return TLPU_ERR_OVERFLOW;
    size_t xbytes = round_up(m * w->kp, 32);
    int8_t *xp = aligned_alloc(32, xbytes + round_up(w->kp, 32));
    int32_t *sumx = malloc(m * sizeof *sumx);
    if (!xp || !sumx) {
        free(xp);
        free(sumx);
        return TLPU_ERR_NOMEM;
    }
    memset(xp, 0, xbytes);
    for (size_t i = 0; i < m; i++) {
        int32_t s = 0;
        for (size_t kk = 0; kk < w->k; kk++)
            s += xq[i * w->k + kk];
        sumx[i] = s;
        memcpy(xp + i * w->kp, xq + i * w->k, w->k);
    }
    kern(w, m, xp, sumx, y, xp + xbytes);
    free(xp);
    free(sumx);
    return TLPU_OK;
}

tlpu_status tlpu_bitlinear_fast(const tlpu_tmat *w, size_t m, const int8_t *xq, int32_t *y)
{
    return tlpu_bitlinear_fast_isa(TLPU_ISA_AUTO, w, m, xq, y);
}

tlpu_status tlpu_bitlinear(size_t m, size_t k, size_t n, const int8_t *xq, const int8_t *w,
                           int32_t *y)
{
    if (!xq || !w || !y)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_dims(m, k, n);
    if (st != TLPU_OK)
        return st;
    tlpu_tmat *tm = NULL;
    st = tlpu_tmat_create(w, n, k, &tm);
    if (st != TLPU_OK)
        return st;
    st = tlpu_bitlinear_fast(tm, m, xq, y);
    tlpu_tmat_destroy(tm);
    return st;
}

/* ---- the portable kernel ---------------------------------------------------- */

void tlpu_bitlinear_kernel_portable(const struct tlpu_tmat *w, size_t m, const int8_t *xp,
                                    const int32_t *sumx, int32_t *y, void *scratch)
{
    const size_t kp = w->kp;
    int8_t *t = scratch; /* one row of W as trits */
    (void)sumx;          /* this kernel multiplies by the trit itself */
    for (size_t j = 0; j < w->n; j++) {
        const uint8_t *row = w->codes + j * (kp / 4);
        for (size_t b = 0; b < kp / 128; b++)
            for (size_t p = 0; p < 32; p++) {
                unsigned byte = row[32 * b + p];
                t[128 * b + p] = (int8_t)((int)((byte >> 6) & 3u) - 1);
                t[128 * b + 32 + p] = (int8_t)((int)((byte >> 4) & 3u) - 1);
                t[128 * b + 64 + p] = (int8_t)((int)((byte >> 2) & 3u) - 1);
                t[128 * b + 96 + p] = (int8_t)((int)(byte & 3u) - 1);
            }
        for (size_t i = 0; i < m; i++) {
            const int8_t *x = xp + i * kp;
            int32_t acc = 0;
            for (size_t kk = 0; kk < kp; kk++)
                acc += (int32_t)t[kk] * (int32_t)x[kk];
            y[i * w->n + j] = acc;
        }
    }
}

/* ---- dequantization --------------------------------------------------------- */

tlpu_status tlpu_bitlinear_dequantize(size_t m, size_t n, const int32_t *y, const float *scale_x,
                                      float scale_w, float *out)
{
    if (!y || !scale_x || !out)
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    if (m > SIZE_MAX / sizeof(float) / n)
        return TLPU_ERR_OVERFLOW;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            out[i * n + j] = (float)y[i * n + j] / scale_x[i] * scale_w;
    return TLPU_OK;
}
