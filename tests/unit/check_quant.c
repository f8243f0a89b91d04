/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BitNet b1.58 quantization: tlpu_round_half_even(), absmean ternary weights,
 * per-row absmax int8 activations.
 *
 * The reference here rounds with rintf() in the default rounding mode
 * (nearest, ties to even), which shares nothing with the implementation's
 * floor-and-compare rounding.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/fp.h"
#include "tlpu/quant.h"
#include "tlpu/rng.h"

/* Like ck_assert_msg but silent on success (Check records every passing
 * assert through a pipe, too slow inside big loops). */
#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

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

/* ------------------------------------------------------------------ */
/* References                                                          */
/* ------------------------------------------------------------------ */

static int clampi(float q, int lo, int hi) { return q < (float)lo ? lo : q > (float)hi ? hi : (int)q; }

static float ref_weight_scale(const float *w, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += fabs((double)w[i]);
    float s = (float)(sum / (double)n);
    return s >= TLPU_QUANT_EPS ? s : TLPU_QUANT_EPS;
}

static void ref_weights(const float *w, size_t n, int8_t *trits, float *scale)
{
    float s = ref_weight_scale(w, n);
    for (size_t i = 0; i < n; i++)
        trits[i] = (int8_t)clampi(rintf(w[i] / s), -1, 1);
    *scale = s;
}

static void ref_activations(const float *x, size_t m, size_t k, int8_t *xq, float *scale)
{
    for (size_t r = 0; r < m; r++) {
        float amax = 0.0f;
        for (size_t i = 0; i < k; i++)
            amax = fmaxf(amax, fabsf(x[r * k + i]));
        volatile float den = fmaxf(amax, TLPU_QUANT_EPS);
        float s = 127.0f / den;
        for (size_t i = 0; i < k; i++)
            xq[r * k + i] = (int8_t)clampi(rintf(x[r * k + i] * s), -128, 127);
        scale[r] = s;
    }
}

/* Quantizes f32 weights and compares with the reference, bit for bit. */
static void check_weights_ref(const float *w, size_t n)
{
    int8_t *got = malloc(n), *want = malloc(n);
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_nonnull(want);
    float s_got = -1.0f, s_want;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, n, got, &s_got), TLPU_OK);
    ref_weights(w, n, want, &s_want);
    REQUIRE(f32_bits(s_got) == f32_bits(s_want), "n=%zu: scale %a, want %a", n, (double)s_got,
            (double)s_want);
    for (size_t i = 0; i < n; i++)
        REQUIRE(got[i] == want[i], "n=%zu: w[%zu]=%a -> %d, want %d (scale %a)", n, i,
                (double)w[i], got[i], want[i], (double)s_want);
    free(got);
    free(want);
}

static void check_activations_ref(const float *x, size_t m, size_t k)
{
    int8_t *got = malloc(m * k), *want = malloc(m * k);
    float *s_got = malloc(m * sizeof(float)), *s_want = malloc(m * sizeof(float));
    ck_assert(got && want && s_got && s_want);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, m, k, got, s_got), TLPU_OK);
    ref_activations(x, m, k, want, s_want);
    for (size_t r = 0; r < m; r++) {
        REQUIRE(f32_bits(s_got[r]) == f32_bits(s_want[r]), "row %zu: scale %a, want %a", r,
                (double)s_got[r], (double)s_want[r]);
        for (size_t i = 0; i < k; i++)
            REQUIRE(got[r * k + i] == want[r * k + i], "x[%zu][%zu]=%a -> %d, want %d", r, i,
                    (double)x[r * k + i], got[r * k + i], want[r * k + i]);
    }
    free(got);
    free(want);
    free(s_got);
    free(s_want);
}

/* ------------------------------------------------------------------ */
/* tlpu_round_half_even                                                */
/* ------------------------------------------------------------------ */

static const struct {
    float in, want;
} k_round[] = {
    {0.0f, 0.0f},
    {-0.0f, 0.0f},
    {0.5f, 0.0f},
    {1.5f, 2.0f},
    {2.5f, 2.0f},
    {3.5f, 4.0f},
    {-0.5f, 0.0f},
    {-1.5f, -2.0f},
    {-2.5f, -2.0f},
    {-3.5f, -4.0f},
    {0.49999997f, 0.0f},
    {0.50000006f, 1.0f},
    {1.4999999f, 1.0f},
    {1.5000001f, 2.0f},
    {-0.49999997f, 0.0f},
    {-0.50000006f, -1.0f},
    {0.3f, 0.0f},
    {-0.7f, -1.0f},
    {1.0f, 1.0f},
    {-1.0f, -1.0f},
    {126.5f, 126.0f},
    {127.5f, 128.0f},
    {-127.5f, -128.0f},
    {1e-30f, 0.0f},
    {-1e-30f, 0.0f},
    {1e-45f, 0.0f}, /* f32 subnormal */
    {4194302.5f, 4194302.0f},
    {4194303.5f, 4194304.0f},
    {8388606.5f, 8388606.0f},   /* largest magnitudes with a fraction: 2^23 - x.5 */
    {8388607.5f, 8388608.0f},
    {-8388607.5f, -8388608.0f},
    {8388607.0f, 8388607.0f},
    {8388608.0f, 8388608.0f},   /* 2^23 */
    {8388609.0f, 8388609.0f},   /* odd integers above 2^23 stay */
    {-8388609.0f, -8388609.0f},
    {16777215.0f, 16777215.0f},
    {16777216.0f, 16777216.0f}, /* 2^24 */
    {16777218.0f, 16777218.0f},
    {1e30f, 1e30f},
    {-1e30f, -1e30f},
    {FLT_MAX, FLT_MAX},
    {-FLT_MAX, -FLT_MAX},
};

START_TEST(test_round_known)
{
    for (size_t i = 0; i < sizeof k_round / sizeof k_round[0]; i++) {
        float got = tlpu_round_half_even(k_round[i].in);
        ck_assert_msg(got == k_round[i].want, "round(%a) = %a, want %a", (double)k_round[i].in,
                      (double)got, (double)k_round[i].want);
        ck_assert_msg(got == rintf(k_round[i].in), "table entry %zu disagrees with rintf", i);
    }
    ck_assert(tlpu_round_half_even(INFINITY) == INFINITY);
    ck_assert(tlpu_round_half_even(-INFINITY) == -INFINITY);
    ck_assert(isnan(tlpu_round_half_even(NAN)));
}
END_TEST

START_TEST(test_round_random_vs_rintf)
{
    tlpu_rng r = tlpu_rng_seed(0x40e5eull);
    for (int i = 0; i < 1000000; i++) {
        uint64_t z = tlpu_rng_next(&r);
        float v;
        switch (i % 3) {
        case 0: /* any bit pattern */
            v = bits_f32((uint32_t)z);
            break;
        case 1: /* exact halves k + 0.5, |k| < 2^22 */
            v = ((float)(int32_t)((z >> 32) % 8388608u) - 4194304.0f) + 0.5f;
            break;
        default: /* moderate values, the quantizer's range */
            v = (float)((tlpu_rng_uniform(&r) - 0.5) * 600.0);
            break;
        }
        float got = tlpu_round_half_even(v);
        float want = rintf(v);
        if (isnan(v))
            REQUIRE(isnan(got), "round(NaN %08x) = %a", f32_bits(v), (double)got);
        else
            REQUIRE(got == want, "round(%a) = %a, want %a", (double)v, (double)got, (double)want);
    }
}
END_TEST

#define N_MODE_RANDOM 20000
static const int k_modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

/* Bit-identical results in every rounding mode (including the sign of a
 * zero result). */
START_TEST(test_round_ignores_rounding_mode)
{
    enum { NT = (int)(sizeof k_round / sizeof k_round[0]) };
    static float in[NT + N_MODE_RANDOM], want[NT + N_MODE_RANDOM], got[NT + N_MODE_RANDOM];
    const int n = NT + N_MODE_RANDOM;
    tlpu_rng r = tlpu_rng_seed(0xf0e5ull);
    for (int i = 0; i < n; i++) {
        if (i < NT)
            in[i] = k_round[i].in;
        else if (i & 1)
            in[i] = (float)((tlpu_rng_uniform(&r) - 0.5) * 64.0);
        else
            in[i] = (float)((int)tlpu_rng_below(&r, 200) - 100) + 0.5f;
        want[i] = tlpu_round_half_even(in[i]);
    }
    int old = fegetround();
    ck_assert_int_eq(old, FE_TONEAREST);
    ck_assert_int_eq(fesetround(k_modes[_i]), 0);
    for (int i = 0; i < n; i++) {
        volatile float v = in[i];
        got[i] = tlpu_round_half_even(v);
    }
    fesetround(old);
    ck_assert_int_eq(fegetround(), FE_TONEAREST);
    for (int i = 0; i < n; i++)
        REQUIRE(f32_bits(got[i]) == f32_bits(want[i]), "mode %d: round(%a) = %a, want %a", _i,
                (double)in[i], (double)got[i], (double)want[i]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Weights                                                             */
/* ------------------------------------------------------------------ */

static void quant_w(const float *w, size_t n, const int8_t *want_trits, int8_t *trits,
                    float *scale)
{
    memset(trits, 0x5a, n);
    *scale = -1.0f;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, n, trits, scale), TLPU_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(trits[i] == want_trits[i], "w[%zu]=%a -> %d, want %d", i, (double)w[i],
                      trits[i], want_trits[i]);
}

START_TEST(test_weights_hand_example)
{
    /* mean|W| = 0.7 / 4 = 0.175; W/s = {0.571, -1.143, 0, 2.286} */
    const float w[4] = {0.1f, -0.2f, 0.0f, 0.4f};
    const int8_t want[4] = {1, -1, 0, 1};
    int8_t t[4];
    float s;
    quant_w(w, 4, want, t, &s);
    ck_assert_float_eq_tol(s, 0.175f, 1e-7f);
    double sum = (double)0.1f + (double)0.2f + 0.0 + (double)0.4f;
    ck_assert_uint_eq(f32_bits(s), f32_bits((float)(sum / 4.0)));
}
END_TEST

START_TEST(test_weights_ties)
{
    int8_t t[8];
    float s;
    {
        /* mean 2: W/s = {0.5, 1.5} -> {0, 2} -> clamp {0, 1} */
        const float w[2] = {1.0f, 3.0f};
        const int8_t want[2] = {0, 1};
        quant_w(w, 2, want, t, &s);
        ck_assert(s == 2.0f);
    }
    {
        /* mean 2: W/s = {-1.5, 0.5, -0.5} ... -> {-1, 0, 0, 0} */
        const float w[4] = {-3.0f, 1.0f, -1.0f, 3.0f};
        const int8_t want[4] = {-1, 0, 0, 1};
        quant_w(w, 4, want, t, &s);
        ck_assert(s == 2.0f);
    }
    {
        /* mean 2: {2.5, 0.5, -0.5, 0.5}: half away from zero would give +-1s */
        const float w[4] = {5.0f, 1.0f, -1.0f, 1.0f};
        const int8_t want[4] = {1, 0, 0, 0};
        quant_w(w, 4, want, t, &s);
        ck_assert(s == 2.0f);
    }
    {
        /* W/s exactly +-1 */
        const float w[4] = {1.0f, -1.0f, 1.0f, -1.0f};
        const int8_t want[4] = {1, -1, 1, -1};
        quant_w(w, 4, want, t, &s);
        ck_assert(s == 1.0f);
    }
}
END_TEST

START_TEST(test_weights_scale_double_accumulation)
{
    /* 2^24 followed by 1000 ones: in f32 every +1 is lost; in double the
     * mean is (2^24 + 1000) / 1001. */
    enum { N = 1001 };
    static float w[N];
    static int8_t t[N];
    w[0] = 16777216.0f;
    for (int i = 1; i < N; i++)
        w[i] = 1.0f;
    float s = 0.0f;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, N, t, &s), TLPU_OK);
    ck_assert_uint_eq(f32_bits(s), f32_bits((float)((16777216.0 + 1000.0) / 1001.0)));
    ck_assert_int_eq(t[0], 1);
    for (int i = 1; i < N; i++)
        REQUIRE(t[i] == 0, "t[%d] = %d", i, t[i]);
}
END_TEST

/* W / s is divided, not multiplied by 1/s: here W[0] / s = 0.5 + 1 ulp
 * (-> 1) while W[0] * (1/s) rounds to exactly 0.5 (-> 0). */
START_TEST(test_weights_divide_not_reciprocal)
{
    const float w[2] = {0x1.3c9168p-1f, 0x1.dada18p+0f};
    const int8_t want[2] = {1, 1};
    int8_t t[2];
    float s;
    volatile float sv = 0x1.3c9166p+0f;
    ck_assert(w[0] / sv > 0.5f);
    ck_assert(w[0] * (1.0f / sv) == 0.5f);
    quant_w(w, 2, want, t, &s);
    ck_assert_uint_eq(f32_bits(s), f32_bits(0x1.3c9166p+0f));
}
END_TEST

START_TEST(test_weights_zero_and_tiny)
{
    int8_t t[8];
    float s;
    {
        const float w[5] = {0.0f, -0.0f, 0.0f, 0.0f, -0.0f};
        const int8_t want[5] = {0, 0, 0, 0, 0};
        quant_w(w, 5, want, t, &s);
        ck_assert_uint_eq(f32_bits(s), f32_bits(TLPU_QUANT_EPS));
    }
    {
        /* mean 4e-6 < eps: divided by 1e-5 -> 0.4 -> 0 (unfloored it would be 1) */
        const float w[4] = {4e-6f, -4e-6f, 4e-6f, -4e-6f};
        const int8_t want[4] = {0, 0, 0, 0};
        quant_w(w, 4, want, t, &s);
        ck_assert_uint_eq(f32_bits(s), f32_bits(TLPU_QUANT_EPS));
    }
    {
        /* mean 3.25e-6 < eps: 6e-6 / 1e-5 = 0.6 -> 1, -1.6e-5 -> -1.6 -> -1 */
        const float w[8] = {6e-6f, 0.0f, -1.6e-5f, 4e-6f, 0.0f, 0.0f, 0.0f, 0.0f};
        const int8_t want[8] = {1, 0, -1, 0, 0, 0, 0, 0};
        quant_w(w, 8, want, t, &s);
        ck_assert_uint_eq(f32_bits(s), f32_bits(TLPU_QUANT_EPS));
    }
    {
        /* exactly the floor */
        const float w[1] = {TLPU_QUANT_EPS};
        const int8_t want[1] = {1};
        quant_w(w, 1, want, t, &s);
        ck_assert_uint_eq(f32_bits(s), f32_bits(TLPU_QUANT_EPS));
    }
}
END_TEST

START_TEST(test_weights_clamp_huge)
{
    int8_t t[4];
    float s;
    {
        const float w[4] = {1e30f, 0.1f, -0.2f, 0.3f};
        const int8_t want[4] = {1, 0, 0, 0};
        quant_w(w, 4, want, t, &s);
        ck_assert_float_eq_tol(s, 2.5e29f, 1e23f);
    }
    {
        const float w[4] = {-1e30f, 1.0f, 2.0f, 3.0f};
        const int8_t want[4] = {-1, 0, 0, 0};
        quant_w(w, 4, want, t, &s);
    }
    {
        /* the double sum exceeds FLT_MAX; the mean does not */
        const float w[2] = {FLT_MAX, -FLT_MAX};
        const int8_t want[2] = {1, -1};
        quant_w(w, 2, want, t, &s);
        ck_assert(s == FLT_MAX);
    }
    {
        /* W/s up to n: large integers, clamped */
        const float w[4] = {100.0f, -100.0f, 0.0f, 0.0f};
        const int8_t want[4] = {1, -1, 0, 0};
        quant_w(w, 4, want, t, &s);
        ck_assert(s == 50.0f);
    }
}
END_TEST

START_TEST(test_weights_gaussian_zero_fraction)
{
    enum { N = 100000 };
    static float w[N];
    static int8_t t[N];
    tlpu_rng r = tlpu_rng_seed(1581);
    for (int i = 0; i < N; i++)
        w[i] = 0.02f * tlpu_rng_gauss(&r);
    float s;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, N, t, &s), TLPU_OK);
    int count[3] = {0, 0, 0};
    for (int i = 0; i < N; i++) {
        REQUIRE(t[i] >= -1 && t[i] <= 1, "trit %d", t[i]);
        count[t[i] + 1]++;
    }
    double zeros = count[1] / (double)N;
    ck_assert_msg(zeros > 0.28 && zeros < 0.34, "zero fraction %.4f", zeros);
    ck_assert_msg(count[0] > 0.32 * N && count[2] > 0.32 * N, "-1: %d, +1: %d", count[0],
                  count[2]);
    /* mean|N(0, sigma)| = sigma * sqrt(2/pi) */
    ck_assert_msg(fabs(s / (0.02 * sqrt(2.0 / 3.14159265358979)) - 1.0) < 0.01, "scale %g",
                  (double)s);
    check_weights_ref(w, N);
}
END_TEST

START_TEST(test_weights_random_vs_ref)
{
    tlpu_rng r = tlpu_rng_seed(20240);
    static float w[5000];
    for (int iter = 0; iter < 200; iter++) {
        size_t n = 1 + (size_t)tlpu_rng_below(&r, 5000);
        double mag = ldexp(1.0, (int)tlpu_rng_below(&r, 60) - 40);
        for (size_t i = 0; i < n; i++) {
            uint64_t z = tlpu_rng_next(&r);
            if (z % 7 == 0) /* exact multiples of a power of two: ties happen */
                w[i] = (float)(((int)(z >> 8 & 15) - 8) * mag);
            else
                w[i] = (float)(tlpu_rng_gauss(&r) * mag);
        }
        check_weights_ref(w, n);
    }
}
END_TEST

/* f16 / bf16 input gives exactly what its f32 value gives. */
START_TEST(test_weights_half_inputs)
{
    enum { N = 3000 };
    static float w[N], wf[N];
    static uint16_t h[N];
    static int8_t t16[N], t32[N];
    tlpu_rng r = tlpu_rng_seed(99);
    for (int i = 0; i < N; i++)
        w[i] = 0.05f * tlpu_rng_gauss(&r);
    w[0] = 1.0f; /* a few exact values */
    w[1] = 3.0f;
    w[2] = -0.0f;
    for (int t = TLPU_DTYPE_F16; t <= TLPU_DTYPE_BF16; t++) {
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, w, N, h), TLPU_OK);
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, h, N, wf), TLPU_OK);
        float s16 = -1.0f, s32 = -2.0f;
        ck_assert_int_eq(tlpu_quantize_weights((tlpu_dtype)t, h, N, t16, &s16), TLPU_OK);
        ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, wf, N, t32, &s32), TLPU_OK);
        ck_assert_uint_eq(f32_bits(s16), f32_bits(s32));
        ck_assert_int_eq(memcmp(t16, t32, N), 0);
        check_weights_ref(wf, N);
    }
    /* the tie example in both half formats: {1, 3} -> {0, 1}, scale 2 */
    const uint16_t hf16[2] = {0x3c00, 0x4200}, hbf16[2] = {0x3f80, 0x4040};
    int8_t tt[2];
    float s;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F16, hf16, 2, tt, &s), TLPU_OK);
    ck_assert(tt[0] == 0 && tt[1] == 1 && s == 2.0f);
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_BF16, hbf16, 2, tt, &s), TLPU_OK);
    ck_assert(tt[0] == 0 && tt[1] == 1 && s == 2.0f);
}
END_TEST

/* One non-finite value anywhere: error, outputs untouched. */
START_TEST(test_weights_nonfinite)
{
    enum { N = 9 };
    static const uint32_t bad32[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7f800000u,
                                     0xff800000u};
    static const uint16_t bad16[] = {0x7e00, 0xfe00, 0x7c01, 0x7c00, 0xfc00};
    static const uint16_t badbf[] = {0x7fc0, 0xffc0, 0x7f81, 0x7f80, 0xff80};
    static const size_t pos[] = {0, 4, N - 1};
    for (int t = 0; t < 3; t++) {
        for (size_t b = 0; b < 5; b++) {
            for (size_t p = 0; p < 3; p++) {
                float wf[N];
                uint16_t wh[N];
                for (int i = 0; i < N; i++) {
                    wf[i] = (float)(i - 4) * 0.25f;
                    wh[i] = t == TLPU_DTYPE_F16 ? tlpu_f32_to_f16(wf[i]) : tlpu_f32_to_bf16(wf[i]);
                }
                wf[pos[p]] = bits_f32(bad32[b]);
                wh[pos[p]] = t == TLPU_DTYPE_F16 ? bad16[b] : badbf[b];
                const void *w = t == TLPU_DTYPE_F32 ? (const void *)wf : (const void *)wh;
                int8_t trits[N + 1];
                memset(trits, 0x5a, sizeof trits);
                float s = 1234.5f;
                ck_assert_int_eq(tlpu_quantize_weights((tlpu_dtype)t, w, N, trits, &s),
                                 TLPU_ERR_NONFINITE);
                for (int i = 0; i < N + 1; i++)
                    ck_assert_int_eq(trits[i], 0x5a);
                ck_assert(s == 1234.5f);
            }
        }
    }
}
END_TEST

START_TEST(test_weights_bad_args)
{
    const float w[4] = {1, 2, 3, 4};
    int8_t t[4] = {9, 9, 9, 9};
    float s = 1234.5f;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, 0, t, &s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, NULL, 4, t, &s), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, 4, NULL, &s), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, w, 4, t, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_weights((tlpu_dtype)3, w, 4, t, &s), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_weights((tlpu_dtype)7, w, 4, t, &s), TLPU_ERR_INVALID_ARG);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(t[i], 9);
    ck_assert(s == 1234.5f);
}
END_TEST

/* n elements whose byte size cannot exist: rejected without reading. */
START_TEST(test_weights_size_overflow)
{
    static const float dummy = 1.0f;
    int8_t t = 9;
    float s = 1234.5f;
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F32, &dummy, SIZE_MAX / 4 + 1, &t, &s),
                     TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_quantize_weights(TLPU_DTYPE_F16, &dummy, SIZE_MAX / 2 + 1, &t, &s),
                     TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(t, 9);
    ck_assert(s == 1234.5f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Activations                                                         */
/* ------------------------------------------------------------------ */

static void quant_x(const float *x, size_t m, size_t k, const int8_t *want, int8_t *xq,
                    float *scale)
{
    memset(xq, 0x5a, m * k);
    for (size_t r = 0; r < m; r++)
        scale[r] = -1.0f;
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, m, k, xq, scale), TLPU_OK);
    for (size_t i = 0; i < m * k; i++)
        ck_assert_msg(xq[i] == want[i], "x[%zu]=%a -> %d, want %d", i, (double)x[i], xq[i],
                      want[i]);
}

START_TEST(test_act_hand_examples)
{
    int8_t q[8];
    float s[2];
    {
        /* s = 127/127 = 1: ties 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0 */
        const float x[5] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f};
        const int8_t want[5] = {127, 0, 2, 2, 0};
        quant_x(x, 1, 5, want, q, s);
        ck_assert(s[0] == 1.0f);
    }
    {
        /* s = 127/254 = 0.5 exactly: -254 -> -127, 253 -> 126.5 -> 126 */
        const float x[7] = {-254.0f, 1.0f, 3.0f, 5.0f, -1.0f, -3.0f, 253.0f};
        const int8_t want[7] = {-127, 0, 2, 2, 0, -2, 126};
        quant_x(x, 1, 7, want, q, s);
        ck_assert(s[0] == 0.5f);
    }
    {
        /* two rows, two scales */
        const float x[8] = {1.0f, -0.5f, 0.25f, 0.0f, 12.7f, -25.4f, 6.35f, 0.1f};
        int8_t want[8];
        float sw[2];
        ref_activations(x, 2, 4, want, sw);
        ck_assert_int_eq(want[0], 127);
        ck_assert_int_eq(want[5], -127);
        quant_x(x, 2, 4, want, q, s);
        ck_assert(s[0] == 127.0f);
        ck_assert_uint_eq(f32_bits(s[1]), f32_bits(sw[1]));
    }
}
END_TEST

START_TEST(test_act_scale_and_max)
{
    enum { M = 64, K = 257 };
    static float x[M * K], s[M];
    static int8_t q[M * K];
    tlpu_rng r = tlpu_rng_seed(127);
    for (int row = 0; row < M; row++) {
        double mag = ldexp(1.0, (int)tlpu_rng_below(&r, 60) - 14); /* max above the floor */
        for (int i = 0; i < K; i++)
            x[row * K + i] = (float)(tlpu_rng_gauss(&r) * mag);
        if (row & 1) /* make the largest magnitude negative */
            x[row * K + (int)tlpu_rng_below(&r, K)] = (float)(-8.0 * mag);
    }
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, M, K, q, s), TLPU_OK);
    for (int row = 0; row < M; row++) {
        float amax = 0.0f;
        int arg = 0;
        for (int i = 0; i < K; i++)
            if (fabsf(x[row * K + i]) > amax) {
                amax = fabsf(x[row * K + i]);
                arg = i;
            }
        volatile float vamax = amax;
        float want = 127.0f / vamax; /* in f32 */
        ck_assert_uint_eq(f32_bits(s[row]), f32_bits(want));
        int8_t qmax = q[row * K + arg];
        ck_assert_int_eq(qmax, x[row * K + arg] > 0 ? 127 : -127);
        for (int i = 0; i < K; i++)
            REQUIRE(q[row * K + i] >= -127, "row %d: -128 for %a", row, (double)x[row * K + i]);
    }
    check_activations_ref(x, M, K);
}
END_TEST

START_TEST(test_act_never_minus_128)
{
    /* rows whose max is negative, in many binades */
    enum { K = 33 };
    float x[K];
    int8_t q[K];
    float s;
    tlpu_rng r = tlpu_rng_seed(128);
    for (int iter = 0; iter < 20000; iter++) {
        float mx = -(float)ldexp(1.0 + tlpu_rng_uniform(&r), (int)tlpu_rng_below(&r, 250) - 125);
        for (int i = 0; i < K; i++)
            x[i] = (float)(tlpu_rng_uniform(&r) * 2.0 - 1.0) * fabsf(mx);
        x[iter % K] = mx;
        ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, 1, K, q, &s), TLPU_OK);
        for (int i = 0; i < K; i++)
            REQUIRE(q[i] >= -127, "max %a: x=%a -> %d", (double)mx, (double)x[i], q[i]);
        REQUIRE(fabsf(mx) < TLPU_QUANT_EPS || q[iter % K] == -127, "max %a -> %d", (double)mx,
                q[iter % K]);
    }
}
END_TEST

START_TEST(test_act_zero_tiny_huge)
{
    int8_t q[4];
    float s[1];
    {
        const float x[4] = {0.0f, -0.0f, 0.0f, 0.0f};
        const int8_t want[4] = {0, 0, 0, 0};
        quant_x(x, 1, 4, want, q, s);
        volatile float eps = TLPU_QUANT_EPS;
        ck_assert_uint_eq(f32_bits(s[0]), f32_bits(127.0f / eps));
    }
    {
        /* max floored at 1e-5: values stay tiny */
        const float x[4] = {1e-30f, -1e-30f, 0.0f, 1e-38f};
        const int8_t want[4] = {0, 0, 0, 0};
        quant_x(x, 1, 4, want, q, s);
        volatile float eps = TLPU_QUANT_EPS;
        ck_assert_uint_eq(f32_bits(s[0]), f32_bits(127.0f / eps));
    }
    {
        /* below the floor but visible: 5e-6 * 1.27e7 = 63.5 (about) */
        const float x[4] = {5e-6f, -1e-6f, 9e-6f, -9.99e-6f};
        int8_t want[4];
        float sw;
        ref_activations(x, 1, 4, want, &sw);
        ck_assert(want[2] > 100 && want[2] < 127 && want[0] > 60 && want[0] < 66);
        quant_x(x, 1, 4, want, q, s);
        ck_assert_uint_eq(f32_bits(s[0]), f32_bits(sw));
    }
    {
        const float x[4] = {1e38f, -1e38f, 1.0f, 5e37f};
        int8_t want[4];
        float sw;
        ref_activations(x, 1, 4, want, &sw);
        ck_assert(want[0] == 127 && want[1] == -127 && want[2] == 0);
        quant_x(x, 1, 4, want, q, s);
        ck_assert(isnormal(s[0]));
        ck_assert_uint_eq(f32_bits(s[0]), f32_bits(sw));
    }
    {
        const float x[4] = {FLT_MAX, -FLT_MAX, 1e30f, -FLT_MIN};
        int8_t want[4];
        float sw;
        ref_activations(x, 1, 4, want, &sw);
        ck_assert(want[0] == 127 && want[1] == -127 && want[2] == 0 && want[3] == 0);
        quant_x(x, 1, 4, want, q, s);
        ck_assert_uint_eq(f32_bits(s[0]), f32_bits(sw));
    }
}
END_TEST

START_TEST(test_act_rows_independent)
{
    enum { M = 3, K = 50 };
    float x[M * K], s1[M], s2[M];
    int8_t q1[M * K], q2[M * K];
    tlpu_rng r = tlpu_rng_seed(3);
    for (int i = 0; i < M * K; i++)
        x[i] = tlpu_rng_gauss(&r);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, M, K, q1, s1), TLPU_OK);
    /* blow up row 1; then zero it */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < K; i++)
            x[K + i] = pass ? 0.0f : x[K + i] * 1e6f;
        x[K + 7] = pass ? 0.0f : 3e38f;
        ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, M, K, q2, s2), TLPU_OK);
        for (int row = 0; row < M; row += 2) {
            ck_assert_uint_eq(f32_bits(s1[row]), f32_bits(s2[row]));
            ck_assert_int_eq(memcmp(q1 + row * K, q2 + row * K, K), 0);
        }
        ck_assert(s2[1] != s1[1]);
    }
    check_activations_ref(x, M, K);
}
END_TEST

START_TEST(test_act_random_vs_ref)
{
    static float x[64 * 300];
    tlpu_rng r = tlpu_rng_seed(31337);
    for (int iter = 0; iter < 100; iter++) {
        size_t m = 1 + (size_t)tlpu_rng_below(&r, 64);
        size_t k = 1 + (size_t)tlpu_rng_below(&r, 300);
        for (size_t row = 0; row < m; row++) {
            double mag = ldexp(1.0, (int)tlpu_rng_below(&r, 60) - 30);
            for (size_t i = 0; i < k; i++) {
                uint64_t z = tlpu_rng_next(&r);
                x[row * k + i] = (z % 5 == 0) ? (float)(((int)(z >> 8 & 511) - 256) * 0.5)
                                              : (float)(tlpu_rng_gauss(&r) * mag);
            }
        }
        check_activations_ref(x, m, k);
    }
}
END_TEST

START_TEST(test_act_half_inputs)
{
    enum { M = 8, K = 100 };
    static float x[M * K], xf[M * K], s16[M], s32[M];
    static uint16_t h[M * K];
    static int8_t q16[M * K], q32[M * K];
    tlpu_rng r = tlpu_rng_seed(1616);
    for (int i = 0; i < M * K; i++)
        x[i] = 3.0f * tlpu_rng_gauss(&r);
    for (int t = TLPU_DTYPE_F16; t <= TLPU_DTYPE_BF16; t++) {
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, x, M * K, h), TLPU_OK);
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, h, M * K, xf), TLPU_OK);
        ck_assert_int_eq(tlpu_quantize_activations((tlpu_dtype)t, h, M, K, q16, s16), TLPU_OK);
        ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, xf, M, K, q32, s32), TLPU_OK);
        ck_assert_int_eq(memcmp(s16, s32, sizeof s16), 0);
        ck_assert_int_eq(memcmp(q16, q32, sizeof q16), 0);
        check_activations_ref(xf, M, K);
    }
    /* the tie example: {127, 0.5, 1.5, 2.5, -0.5} is exact in both formats */
    const uint16_t hf16[5] = {0x57f0, 0x3800, 0x3e00, 0x4100, 0xb800};
    const uint16_t hbf16[5] = {0x42fe, 0x3f00, 0x3fc0, 0x4020, 0xbf00};
    const int8_t want[5] = {127, 0, 2, 2, 0};
    int8_t q[5];
    float s;
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F16, hf16, 1, 5, q, &s), TLPU_OK);
    ck_assert(s == 1.0f && memcmp(q, want, 5) == 0);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_BF16, hbf16, 1, 5, q, &s), TLPU_OK);
    ck_assert(s == 1.0f && memcmp(q, want, 5) == 0);
}
END_TEST

START_TEST(test_act_nonfinite)
{
    enum { M = 3, K = 4 };
    static const uint32_t bad32[] = {0x7fc00000u, 0xff800001u, 0x7f800000u, 0xff800000u};
    static const uint16_t bad16[] = {0x7e00, 0xfc01, 0x7c00, 0xfc00};
    static const uint16_t badbf[] = {0x7fc0, 0xff81, 0x7f80, 0xff80};
    static const size_t pos[] = {0, 5, M * K - 1};
    for (int t = 0; t < 3; t++) {
        for (size_t b = 0; b < 4; b++) {
            for (size_t p = 0; p < 3; p++) {
                float xf[M * K];
                uint16_t xh[M * K];
                for (int i = 0; i < M * K; i++) {
                    xf[i] = (float)(i - 6);
                    xh[i] = t == TLPU_DTYPE_F16 ? tlpu_f32_to_f16(xf[i]) : tlpu_f32_to_bf16(xf[i]);
                }
                xf[pos[p]] = bits_f32(bad32[b]);
                xh[pos[p]] = t == TLPU_DTYPE_F16 ? bad16[b] : badbf[b];
                const void *x = t == TLPU_DTYPE_F32 ? (const void *)xf : (const void *)xh;
                int8_t q[M * K + 1];
                float s[M + 1];
                memset(q, 0x5a, sizeof q);
                for (int i = 0; i < M + 1; i++)
                    s[i] = 1234.5f;
                ck_assert_int_eq(tlpu_quantize_activations((tlpu_dtype)t, x, M, K, q, s),
                                 TLPU_ERR_NONFINITE);
                for (int i = 0; i < M * K + 1; i++)
                    ck_assert_int_eq(q[i], 0x5a);
                for (int i = 0; i < M + 1; i++)
                    ck_assert(s[i] == 1234.5f);
            }
        }
    }
}
END_TEST

START_TEST(test_act_bad_args)
{
    const float x[4] = {1, 2, 3, 4};
    int8_t q[4] = {9, 9, 9, 9};
    float s[2] = {1234.5f, 1234.5f};
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, 0, 4, q, s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, 1, 0, q, s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, 0, 0, q, s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, NULL, 1, 4, q, s),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, 1, 4, NULL, s),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, x, 1, 4, q, NULL),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_activations((tlpu_dtype)3, x, 1, 4, q, s),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_quantize_activations((tlpu_dtype)7, x, 1, 4, q, s),
                     TLPU_ERR_INVALID_ARG);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(q[i], 9);
    ck_assert(s[0] == 1234.5f && s[1] == 1234.5f);
}
END_TEST

/* Sizes that cannot exist: rejected before any memory is touched (the
 * pointers refer to single objects; reading past them would be caught by
 * ASan or crash). */
START_TEST(test_act_size_overflow)
{
    static const float dummy = 1.0f;
    int8_t q = 9;
    float s = 1234.5f;
    /* m * k wraps */
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, &dummy, SIZE_MAX / 2, 4, &q, &s),
                     TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F16, &dummy, 4, SIZE_MAX / 2, &q, &s),
                     TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_quantize_activations(TLPU_DTYPE_F32, &dummy, SIZE_MAX, SIZE_MAX, &q, &s),
                     TLPU_ERR_OVERFLOW);
    /* m * k fits, its byte size as f32 / f16 does not */
    ck_assert_int_eq(
        tlpu_quantize_activations(TLPU_DTYPE_F32, &dummy, SIZE_MAX / 8 + 1, 4, &q, &s),
        TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(
        tlpu_quantize_activations(TLPU_DTYPE_BF16, &dummy, 2, SIZE_MAX / 4 + 1, &q, &s),
        TLPU_ERR_OVERFLOW);
    /* x and xq fit (f16, k = 1), the m f32 scales do not */
    ck_assert_int_eq(
        tlpu_quantize_activations(TLPU_DTYPE_F16, &dummy, SIZE_MAX / 4 + 1, 1, &q, &s),
        TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(q, 9);
    ck_assert(s == 1234.5f);
}
END_TEST

static Suite *quant_suite(void)
{
    Suite *s = suite_create("quant");

    TCase *tc = tcase_create("round");
    tcase_add_test(tc, test_round_known);
    tcase_add_test(tc, test_round_random_vs_rintf);
    tcase_add_loop_test(tc, test_round_ignores_rounding_mode, 0,
                        (int)(sizeof k_modes / sizeof k_modes[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("weights");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_weights_hand_example);
    tcase_add_test(tc, test_weights_ties);
    tcase_add_test(tc, test_weights_scale_double_accumulation);
    tcase_add_test(tc, test_weights_divide_not_reciprocal);
    tcase_add_test(tc, test_weights_zero_and_tiny);
    tcase_add_test(tc, test_weights_clamp_huge);
    tcase_add_test(tc, test_weights_gaussian_zero_fraction);
    tcase_add_test(tc, test_weights_random_vs_ref);
    tcase_add_test(tc, test_weights_half_inputs);
    tcase_add_test(tc, test_weights_nonfinite);
    tcase_add_test(tc, test_weights_bad_args);
    tcase_add_test(tc, test_weights_size_overflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("activations");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_act_hand_examples);
    tcase_add_test(tc, test_act_scale_and_max);
    tcase_add_test(tc, test_act_never_minus_128);
    tcase_add_test(tc, test_act_zero_tiny_huge);
    tcase_add_test(tc, test_act_rows_independent);
    tcase_add_test(tc, test_act_random_vs_ref);
    tcase_add_test(tc, test_act_half_inputs);
    tcase_add_test(tc, test_act_nonfinite);
    tcase_add_test(tc, test_act_bad_args);
    tcase_add_test(tc, test_act_size_overflow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(quant_suite()); }
