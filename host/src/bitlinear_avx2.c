/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AVX2 kernel of the fast reference BitLinear. Built for every x86 target
 * with a function-level target attribute and only called after a run-time
 * CPU check (tlpu_isa_available), so the rest of the library stays baseline.
 *
 * Exactness: each 2-bit code c = trit + 1 is in {0,1,2}; vpmaddubsw forms
 * c*x (|c*x| <= 256) and adds pairs (|pair| <= 512) into int16 without
 * saturation. Up to 64 such vectors (16 blocks of 4) are summed in int16
 * (|sum| <= 32768 and >= -32768: exact), then widened to int32 with vpmaddwd.
 * The result is sum c*x - sum x = sum trit*x, exact in int32 for
 * K <= TLPU_BITLINEAR_MAX_K.
 */
#include "bitlinear_internal.h"

#ifdef TLPU_HAVE_AVX2_KERNEL

#include <immintrin.h>

#define TGT __attribute__((target("avx2")))
#define INLINE __attribute__((always_inline)) inline

/* Blocks (of 4 vectors) summed in int16 before widening: 16 * 4 * 512 = 32768. */
#define FLUSH_BLOCKS 16u

static INLINE TGT int32_t hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/*
 * out[r][c] = sum_k (code(W[r],k)) * x[c][k] over nblk 128-weight blocks, for
 * NR weight rows (stride ws bytes) and MR activation rows (stride xs bytes).
 * NR and MR are constants at every call site, so loops unroll and the
 * accumulators live in registers.
 */
static INLINE TGT void tile(const uint8_t *w0, size_t ws, const int8_t *x0, size_t xs,
                            size_t nblk, const int NR, const int MR, int32_t out[4][4])
{
    const __m256i mask = _mm256_set1_epi8(3);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i a32[4][4];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < MR; c++)
            a32[r][c] = _mm256_setzero_si256();

    size_t b = 0;
    while (b < nblk) {
        size_t end = nblk - b > FLUSH_BLOCKS ? b + FLUSH_BLOCKS : nblk;
        __m256i a16[4][4];
        for (int r = 0; r < NR; r++)
            for (int c = 0; c < MR; c++)
                a16[r][c] = _mm256_setzero_si256();
        for (; b < end; b++) {
            __m256i wv[4];
            for (int r = 0; r < NR; r++)
                wv[r] = _mm256_load_si256((const __m256i *)(const void *)(w0 + r * ws + 32 * b));
#define STEP(G, SH)                                                                            \
    do {                                                                                       \
        __m256i xv[4];                                                                         \
        for (int c = 0; c < MR; c++)                                                           \
            xv[c] = _mm256_load_si256(                                                         \
                (const __m256i *)(const void *)(x0 + c * xs + 128 * b + 32 * (G)));            \
        for (int r = 0; r < NR; r++) {                                                         \
            __m256i cw = _mm256_and_si256(_mm256_srli_epi16(wv[r], (SH)), mask);               \
            for (int c = 0; c < MR; c++)                                                       \
                a16[r][c] = _mm256_add_epi16(a16[r][c], _mm256_maddubs_epi16(cw, xv[c]));      \
        }                                                                                      \
    } while (0)
            STEP(0, 6);
            STEP(1, 4);
            STEP(2, 2);
            STEP(3, 0);
#undef STEP
        }
        for (int r = 0; r < NR; r++)
            for (int c = 0; c < MR; c++)
                a32[r][c] = _mm256_add_epi32(a32[r][c], _mm256_madd_epi16(a16[r][c], ones));
    }
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < MR; c++)
            out[r][c] = hsum_epi32(a32[r][c]);
}

#define DEFINE_TILE(NR, MR)                                                                    \
    static __attribute__((noinline)) TGT void tile_##NR##x##MR(                                \
        const uint8_t *w0, size_t ws, const int8_t *x0, size_t xs, size_t nblk,               \
        int32_t out[4][4])                                                                     \
    {                                                                                          \
        tile(w0, ws, x0, xs, nblk, NR, MR, out);                                               \
    }
DEFINE_TILE(4, 2)
DEFINE_TILE(4, 1)
DEFINE_TILE(1, 2)
DEFINE_TILE(1, 1)

typedef void (*tile_fn)(const uint8_t *, size_t, const int8_t *, size_t, size_t, int32_t[4][4]);

void tlpu_bitlinear_kernel_avx2(const struct tlpu_tmat *w, size_t m, const int8_t *xp,
                                const int32_t *sumx, int32_t *y, void *scratch)
{
    const size_t kp = w->kp, ws = kp / 4, nblk = kp / 128, n = w->n;
    (void)scratch;
    int32_t o[4][4];
    for (size_t j = 0; j < n;) {
        const int nr = n - j >= 4 ? 4 : 1;
        for (size_t i = 0; i < m;) {
            const int mr = m - i >= 2 ? 2 : 1;
            tile_fn f = nr == 4 ? (mr == 2 ? tile_4x2 : tile_4x1) : (mr == 2 ? tile_1x2 : tile_1x1);
            f(w->codes + j * ws, ws, xp + i * kp, kp, nblk, o);
            for (int r = 0; r < nr; r++)
                for (int c = 0; c < mr; c++)
                    y[(i + (size_t)c) * n + j + (size_t)r] = o[r][c] - sumx[i + (size_t)c];
            i += (size_t)mr;
        }
        j += (size_t)nr;
    }
}

#endif /* TLPU_HAVE_AVX2_KERNEL */
