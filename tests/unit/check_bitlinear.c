/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference BitLinear: the oracle on hand-worked cases, the fast path on
 * every instruction-set path this CPU has against the oracle (random shapes,
 * int16/int32 overflow edges, the K = 65536 worst case, the largest K), the
 * dequantization order, and every error path.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/bitlinear.h"
#include "tlpu/rng.h"

static const tlpu_isa k_isas[] = {TLPU_ISA_PORTABLE, TLPU_ISA_AVX2};
#define N_ISAS (sizeof k_isas / sizeof k_isas[0])

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Runs the fast path on `isa` and returns its output (caller frees). */
static int32_t *run_fast(tlpu_isa isa, size_t m, size_t k, size_t n, const int8_t *x,
                         const int8_t *w)
{
    tlpu_tmat *tm = NULL;
    ck_assert_int_eq(tlpu_tmat_create(w, n, k, &tm), TLPU_OK);
    ck_assert_uint_eq(tlpu_tmat_rows(tm), n);
    ck_assert_uint_eq(tlpu_tmat_cols(tm), k);
    int32_t *y = xmalloc(m * n * sizeof *y);
    ck_assert_int_eq(tlpu_bitlinear_fast_isa(isa, tm, m, x, y), TLPU_OK);
    tlpu_tmat_destroy(tm);
    return y;
}

/* Fast on every available path == oracle; returns how many paths ran. */
static int check_all_paths(size_t m, size_t k, size_t n, const int8_t *x, const int8_t *w)
{
    int32_t *ref = xmalloc(m * n * sizeof *ref);
    ck_assert_int_eq(tlpu_bitlinear_oracle(m, k, n, x, w, ref), TLPU_OK);
    int ran = 0;
    for (size_t i = 0; i < N_ISAS; i++) {
        if (!tlpu_isa_available(k_isas[i]))
            continue;
        int32_t *y = run_fast(k_isas[i], m, k, n, x, w);
        for (size_t j = 0; j < m * n; j++)
            ck_assert_msg(y[j] == ref[j], "%s: M=%zu K=%zu N=%zu: y[%zu]=%d, oracle %d",
                          tlpu_isa_name(k_isas[i]), m, k, n, j, y[j], ref[j]);
        free(y);
        ran++;
    }
    int32_t *y = xmalloc(m * n * sizeof *y); /* the one-shot convenience call too */
    ck_assert_int_eq(tlpu_bitlinear(m, k, n, x, w, y), TLPU_OK);
    ck_assert_mem_eq(y, ref, m * n * sizeof *y);
    free(y);
    free(ref);
    return ran;
}

static void fill_random(tlpu_rng *r, size_t m, size_t k, size_t n, int8_t *x, int8_t *w)
{
    for (size_t i = 0; i < m * k; i++)
        x[i] = (int8_t)(tlpu_rng_next(r) & 0xff); /* the full int8 range, -128 included */
    for (size_t i = 0; i < n * k; i++)
        w[i] = tlpu_rng_trit(r);
}

/* ---- the oracle on cases worked by hand ------------------------------------- */

START_TEST(oracle_hand_example)
{
    /* X = [[1, 2, 3], [-4, 5, -128]], W = [[1, 0, -1], [-1, -1, 1]] (N x K) */
    const int8_t x[] = {1, 2, 3, -4, 5, -128};
    const int8_t w[] = {1, 0, -1, -1, -1, 1};
    int32_t y[4];
    ck_assert_int_eq(tlpu_bitlinear_oracle(2, 3, 2, x, w, y), TLPU_OK);
    ck_assert_int_eq(y[0], 1 - 3);           /* row 0 . w0 */
    ck_assert_int_eq(y[1], -1 - 2 + 3);      /* row 0 . w1 */
    ck_assert_int_eq(y[2], -4 + 128);        /* row 1 . w0 */
    ck_assert_int_eq(y[3], 4 - 5 - 128);     /* row 1 . w1 */
    ck_assert_int_eq(check_all_paths(2, 3, 2, x, w) >= 1, 1);
}
END_TEST

START_TEST(one_by_one)
{
    const int8_t xs[] = {-128, -1, 0, 1, 127};
    for (size_t a = 0; a < 5; a++)
        for (int t = -1; t <= 1; t++) {
            int8_t w = (int8_t)t;
            int32_t y;
            ck_assert_int_eq(tlpu_bitlinear_oracle(1, 1, 1, &xs[a], &w, &y), TLPU_OK);
            ck_assert_int_eq(y, xs[a] * t);
            check_all_paths(1, 1, 1, &xs[a], &w);
        }
}
END_TEST

/* ---- fast vs oracle on random shapes ------------------------------------------ */

/* A dimension log-uniform in [1, max]. */
static size_t log_dim(tlpu_rng *r, size_t max)
{
    double u = tlpu_rng_uniform(r);
    size_t v = (size_t)exp(u * log((double)max + 1.0));
    return v < 1 ? 1 : v > max ? max : v;
}

START_TEST(random_shapes)
{
    tlpu_rng r = tlpu_rng_seed(0x5eedu + (uint64_t)_i);
    int cases = 0;
    uint64_t macs = 0;
    while (cases < 12) {
        size_t m = log_dim(&r, 3000), k = log_dim(&r, 4000), n = log_dim(&r, 3000);
        if ((uint64_t)m * k * n > 20000000u)
            continue; /* keep the oracle's share of the suite small */
        /* K must often miss every multiple the implementation might like */
        if (cases % 2 == 0 && (k % 4 == 0 || k % 5 == 0 || k % 128 == 0))
            k += 1 + tlpu_rng_below(&r, 3);
        int8_t *x = xmalloc(m * k), *w = xmalloc(n * k);
        fill_random(&r, m, k, n, x, w);
        ck_assert_int_ge(check_all_paths(m, k, n, x, w), 1);
        free(x);
        free(w);
        macs += (uint64_t)m * k * n;
        cases++;
    }
    ck_assert_uint_gt(macs, 0);
}
END_TEST

START_TEST(k_tails)
{
    /* every K tail modulo the 128-weight block, around two block counts */
    tlpu_rng r = tlpu_rng_seed(77);
    for (size_t k = 1; k <= 300; k++) {
        size_t m = 1 + k % 5, n = 1 + k % 7;
        int8_t *x = xmalloc(m * k), *w = xmalloc(n * k);
        fill_random(&r, m, k, n, x, w);
        check_all_paths(m, k, n, x, w);
        free(x);
        free(w);
    }
}
END_TEST

START_TEST(tile_edges)
{
    /* M and N on both sides of the kernels' 4 x 2 register tile */
    tlpu_rng r = tlpu_rng_seed(78);
    for (size_t m = 1; m <= 9; m++)
        for (size_t n = 1; n <= 13; n++) {
            size_t k = 129 + (m * 31 + n * 17) % 200;
            int8_t *x = xmalloc(m * k), *w = xmalloc(n * k);
            fill_random(&r, m, k, n, x, w);
            check_all_paths(m, k, n, x, w);
            free(x);
            free(w);
        }
}
END_TEST

START_TEST(sparse_and_constant_weights)
{
    tlpu_rng r = tlpu_rng_seed(79);
    const size_t m = 3, k = 1000, n = 5;
    int8_t *x = xmalloc(m * k), *w = xmalloc(n * k);
    fill_random(&r, m, k, n, x, w);
    memset(w, 0, n * k); /* all skips */
    check_all_paths(m, k, n, x, w);
    int32_t *y = xmalloc(m * n * sizeof *y);
    ck_assert_int_eq(tlpu_bitlinear(m, k, n, x, w, y), TLPU_OK);
    for (size_t i = 0; i < m * n; i++)
        ck_assert_int_eq(y[i], 0);
    for (size_t i = 0; i < n * k; i++) /* 95% zeros */
        w[i] = tlpu_rng_below(&r, 20) ? 0 : tlpu_rng_trit(&r);
    check_all_paths(m, k, n, x, w);
    free(y);
    free(x);
    free(w);
}
END_TEST

/* ---- exactness at the extremes ---------------------------------------------------- */

/* Every weight = t, every activation = a; Y must be t*a*K in every cell. */
static void constant_case(size_t m, size_t k, size_t n, int t, int a)
{
    int8_t *x = xmalloc(m * k), *w = xmalloc(n * k);
    memset(x, (uint8_t)(int8_t)a, m * k);
    memset(w, (uint8_t)(int8_t)t, n * k);
    int64_t want = (int64_t)t * a * (int64_t)k;
    int32_t *ref = xmalloc(m * n * sizeof *ref);
    ck_assert_int_eq(tlpu_bitlinear_oracle(m, k, n, x, w, ref), TLPU_OK);
    for (size_t i = 0; i < m * n; i++)
        ck_assert_int_eq(ref[i], want);
    check_all_paths(m, k, n, x, w);
    free(ref);
    free(x);
    free(w);
}

START_TEST(worst_case_k65536)
{
    /* the case that wraps bitnet.cpp's int16 sums: K = 65536, all +1, all 127 */
    constant_case(2, 65536, 3, +1, 127);
    constant_case(2, 65536, 3, -1, 127);
    constant_case(1, 65536, 5, -1, -128); /* +8388608 */
    constant_case(1, 65536, 5, +1, -128); /* -8388608 */
}
END_TEST

START_TEST(int16_flush_boundaries)
{
    /* 16 blocks of 128 = 2048 weights fill the AVX2 int16 partial sums to
     * exactly -32768 (code 2 x -128); one block either side too */
    const size_t ks[] = {2047, 2048, 2049, 4096, 4097, 6912};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        constant_case(3, ks[i], 5, +1, -128);
        constant_case(3, ks[i], 5, +1, 127);
        constant_case(3, ks[i], 5, -1, -128);
        constant_case(3, ks[i], 5, 0, -128);
    }
}
END_TEST

START_TEST(largest_k)
{
    /* K = 2^24 - 1 is the largest K with an always-exact int32 result */
    const size_t k = TLPU_BITLINEAR_MAX_K;
    constant_case(1, k, 1, -1, -128); /* 128 * (2^24 - 1) = 2147483520 */
    int8_t x = 0, w = 0;
    int32_t y = 0;
    ck_assert_int_eq(tlpu_bitlinear_oracle(1, k + 1, 1, &x, &w, &y), TLPU_ERR_OVERFLOW);
    tlpu_tmat *tm = NULL;
    ck_assert_int_eq(tlpu_tmat_create(&w, 1, k + 1, &tm), TLPU_ERR_OVERFLOW);
    ck_assert_ptr_null(tm);
}
END_TEST

/* ---- dequantization ---------------------------------------------------------------- */

START_TEST(dequantize_order)
{
    const int32_t y[] = {1000, -7, 0, 2147483520};
    const float sx[] = {3.0f, 0.1f};
    float out[4];
    ck_assert_int_eq(tlpu_bitlinear_dequantize(2, 2, y, sx, 0.7f, out), TLPU_OK);
    for (size_t i = 0; i < 4; i++) {
        volatile float q = (float)y[i] / sx[i / 2]; /* bitnet.cpp: (sum / s) * scale */
        float want = q * 0.7f;
        ck_assert_mem_eq(&out[i], &want, sizeof want);
    }
    ck_assert_int_eq(tlpu_bitlinear_dequantize(0, 2, y, sx, 1.0f, out), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_bitlinear_dequantize(2, 2, NULL, sx, 1.0f, out), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_dequantize(2, 2, y, NULL, 1.0f, out), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_dequantize(2, 2, y, sx, 1.0f, NULL), TLPU_ERR_INVALID_ARG);
}
END_TEST

/* ---- errors --------------------------------------------------------------------------- */

START_TEST(errors_are_named_and_harmless)
{
    int8_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int8_t w[8] = {1, 0, -1, 1, 0, -1, 1, 0};
    int32_t y[4] = {111, 222, 333, 444};
    const int32_t canary[4] = {111, 222, 333, 444};

    ck_assert_int_eq(tlpu_bitlinear_oracle(1, 4, 2, NULL, w, y), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_oracle(1, 4, 2, x, NULL, y), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_oracle(1, 4, 2, x, w, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_oracle(0, 4, 2, x, w, y), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_bitlinear_oracle(1, 0, 2, x, w, y), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_bitlinear_oracle(1, 4, 0, x, w, y), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_bitlinear_oracle(SIZE_MAX / 2, 4, 2, x, w, y), TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_bitlinear(1, 4, 0, x, w, y), TLPU_ERR_SHAPE);

    w[5] = 2; /* not a trit */
    ck_assert_int_eq(tlpu_bitlinear_oracle(1, 4, 2, x, w, y), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_bitlinear(1, 4, 2, x, w, y), TLPU_ERR_RANGE);
    tlpu_tmat *tm = NULL;
    ck_assert_int_eq(tlpu_tmat_create(w, 2, 4, &tm), TLPU_ERR_RANGE);
    ck_assert_ptr_null(tm);
    w[5] = -2;
    ck_assert_int_eq(tlpu_tmat_create(w, 2, 4, &tm), TLPU_ERR_RANGE);
    w[5] = -1;
    ck_assert_mem_eq(y, canary, sizeof y); /* nothing written by any failed call */

    ck_assert_int_eq(tlpu_tmat_create(NULL, 2, 4, &tm), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tmat_create(w, 2, 4, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tmat_create(w, 0, 4, &tm), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_tmat_create(w, 2, 4, &tm), TLPU_OK);
    ck_assert_int_eq(tlpu_bitlinear_fast(NULL, 1, x, y), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_fast(tm, 1, NULL, y), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_fast(tm, 1, x, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_bitlinear_fast(tm, 0, x, y), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_bitlinear_fast(tm, SIZE_MAX / 2, x, y), TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_bitlinear_fast_isa((tlpu_isa)99, tm, 1, x, y), TLPU_ERR_INVALID_ARG);
    ck_assert_mem_eq(y, canary, sizeof y);
    ck_assert_int_eq(tlpu_bitlinear_fast(tm, 2, x, y), TLPU_OK);
    tlpu_tmat_destroy(tm);
    tlpu_tmat_destroy(NULL); /* like free(NULL) */
    ck_assert_uint_eq(tlpu_tmat_rows(NULL), 0);
}
END_TEST

START_TEST(isa_selection)
{
    ck_assert_int_eq(tlpu_isa_available(TLPU_ISA_PORTABLE), 1);
    ck_assert_int_eq(tlpu_isa_available((tlpu_isa)99), 0);
    ck_assert_str_eq(tlpu_isa_name(TLPU_ISA_AVX2), "avx2");
    ck_assert_str_eq(tlpu_isa_name((tlpu_isa)99), "unknown");
    ck_assert_int_eq(tlpu_isa_resolve(TLPU_ISA_PORTABLE), TLPU_ISA_PORTABLE);
    ck_assert_int_eq(setenv("TLPU_ISA", "portable", 1), 0);
    ck_assert_int_eq(tlpu_isa_resolve(TLPU_ISA_AUTO), TLPU_ISA_PORTABLE);
    ck_assert_int_eq(setenv("TLPU_ISA", "no-such-isa", 1), 0);
    tlpu_isa best = tlpu_isa_available(TLPU_ISA_AVX2) ? TLPU_ISA_AVX2 : TLPU_ISA_PORTABLE;
    ck_assert_int_eq(tlpu_isa_resolve(TLPU_ISA_AUTO), best);
    ck_assert_int_eq(unsetenv("TLPU_ISA"), 0);
    ck_assert_int_eq(tlpu_isa_resolve(TLPU_ISA_AUTO), best);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bitlinear");
    TCase *tc = tcase_create("oracle");
    tcase_add_test(tc, oracle_hand_example);
    tcase_add_test(tc, one_by_one);
    suite_add_tcase(s, tc);

    tc = tcase_create("fast_vs_oracle");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, random_shapes, 0, 3);
    tcase_add_test(tc, k_tails);
    tcase_add_test(tc, tile_edges);
    tcase_add_test(tc, sparse_and_constant_weights);
    suite_add_tcase(s, tc);

    tc = tcase_create("extremes");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, worst_case_k65536);
    tcase_add_test(tc, int16_flush_boundaries);
    tcase_add_test(tc, largest_k);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_test(tc, dequantize_order);
    tcase_add_test(tc, errors_are_named_and_harmless);
    tcase_add_test(tc, isa_selection);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
