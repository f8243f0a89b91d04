/* SPDX-License-Identifier: Apache-2.0 */
/*
 * f32 <-> f16 / bf16 conversions and the dtype helpers.
 *
 * Oracles, none of them the implementation's own bit arithmetic:
 *  - the compiler's _Float16 (GCC on x86-64: libgcc soft-fp, round to
 *    nearest even), where available;
 *  - decoding by definition (m * 2^e in double) and rounding in double with
 *    rint() in the default rounding mode (nearest, ties to even);
 *  - structural facts: a midpoint between two adjacent encodings goes to the
 *    even one, one f32 ulp either side goes to the nearer one.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/fp.h"
#include "tlpu/rng.h"

#define N_RANDOM 3000000u

/* Like ck_assert_msg but silent on success: Check's asserts record every
 * passing check through a pipe, far too slow for millions of them. */
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

static int is_nan_bits(uint32_t x) { return (x & 0x7fffffffu) > 0x7f800000u; }

/* ------------------------------------------------------------------ */
/* Independent reference arithmetic                                   */
/* ------------------------------------------------------------------ */

/* The value of an f16 encoding by definition; exponent 31 is read as if it
 * were a normal exponent (2^16 * 1.m) so that the "next value after 65504"
 * is 65536.  Sign applied. */
static double f16_value_ext(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double v = e == 0 ? ldexp((double)m, -24) : ldexp((double)(1024 + m), e - 25);
    return (h & 0x8000) ? -v : v;
}

/* The value of a bf16 encoding by definition, exponent 255 read as normal. */
static double bf16_value_ext(uint16_t b)
{
    int e = (b >> 7) & 0xff;
    int m = b & 0x7f;
    double v = e == 0 ? ldexp((double)m, -133) : ldexp((double)(128 + m), e - 134);
    return (b & 0x8000) ? -v : v;
}

/*
 * Round a finite f32 to a binary format with `p` significand bits, minimum
 * quantum 2^qmin, overflow threshold 2^emax_plus1 (first power of two that
 * is not representable), in double with rint() (nearest even in the default
 * mode).  Returns the rounded value with the sign of f, +-INFINITY on
 * overflow.
 */
static double ref_round(float f, int p, int qmin, int emax_plus1)
{
    double a = fabs((double)f);
    double r;
    if (a == 0.0) {
        r = 0.0;
    } else {
        int e;
        (void)frexp(a, &e); /* a in [2^(e-1), 2^e) */
        int qe = e - p;
        if (qe < qmin)
            qe = qmin;
        r = ldexp(rint(ldexp(a, -qe)), qe);
        if (r >= ldexp(1.0, emax_plus1))
            r = INFINITY;
    }
    return signbit(f) ? -r : r;
}

static double ref_f32_to_f16_value(float f) { return ref_round(f, 11, -24, 16); }
static double ref_f32_to_bf16_value(float f) { return ref_round(f, 8, -133, 128); }

/* Decodes an f16 result to double (Inf for exponent 31, must not be NaN). */
static double f16_result_value(uint16_t h)
{
    if ((h & 0x7c00u) == 0x7c00u)
        return (h & 0x3ffu) ? NAN : ((h & 0x8000u) ? -INFINITY : INFINITY);
    return f16_value_ext(h);
}

static double bf16_result_value(uint16_t b)
{
    if ((b & 0x7f80u) == 0x7f80u)
        return (b & 0x7fu) ? NAN : ((b & 0x8000u) ? -INFINITY : INFINITY);
    return bf16_value_ext(b);
}

/* NaN narrowing rule: same sign, top payload bits kept, quiet bit set. */
static uint16_t nan_f32_to_f16(uint32_t x)
{
    uint32_t payload = x & 0x7fffffu; /* 23 bits; f16 keeps the top 10 */
    return (uint16_t)(((x >> 16) & 0x8000u) | 0x7c00u | 0x200u | (payload >> 13));
}

static uint16_t nan_f32_to_bf16(uint32_t x)
{
    uint32_t payload = x & 0x7fffffu; /* bf16 keeps the top 7 */
    return (uint16_t)(((x >> 16) & 0x8000u) | 0x7f80u | 0x40u | (payload >> 16));
}

/* Checks tlpu_f32_to_f16(f) against the double-rounding oracle. */
static void check_f16_ref(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t got = tlpu_f32_to_f16(f);
    if (is_nan_bits(x)) {
        REQUIRE(got == nan_f32_to_f16(x), "f32 %08x -> f16 %04x, want NaN %04x", x, got,
                      nan_f32_to_f16(x));
        return;
    }
    double want = ref_f32_to_f16_value(f);
    double have = f16_result_value(got);
    REQUIRE(have == want && !signbit(have) == !signbit(want),
                  "f32 %08x (%a) -> f16 %04x (%a), want %a", x, (double)f, got, have, want);
}

static void check_bf16_ref(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t got = tlpu_f32_to_bf16(f);
    if (is_nan_bits(x)) {
        REQUIRE(got == nan_f32_to_bf16(x), "f32 %08x -> bf16 %04x, want NaN %04x", x, got,
                      nan_f32_to_bf16(x));
        return;
    }
    double want = ref_f32_to_bf16_value(f);
    double have = bf16_result_value(got);
    REQUIRE(have == want && !signbit(have) == !signbit(want),
                  "f32 %08x (%a) -> bf16 %04x (%a), want %a", x, (double)f, got, have, want);
}

#ifdef __FLT16_MAX__
static uint16_t cc_f32_to_f16(float f)
{
    volatile float vf = f;
    _Float16 h = (_Float16)vf;
    uint16_t u;
    memcpy(&u, &h, sizeof u);
    return u;
}

static uint32_t cc_f16_to_f32(uint16_t u)
{
    _Float16 h;
    memcpy(&h, &u, sizeof h);
    volatile _Float16 vh = h;
    return f32_bits((float)vh);
}

/* Checks tlpu_f32_to_f16(f) against the compiler's conversion. */
static void check_f16_cc(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t got = tlpu_f32_to_f16(f);
    uint16_t want = is_nan_bits(x) ? nan_f32_to_f16(x) : cc_f32_to_f16(f);
    REQUIRE(got == want, "f32 %08x -> f16 %04x, _Float16 gives %04x", x, got, want);
}
#else
static void check_f16_cc(float f) { check_f16_ref(f); }
#endif

static void check_f16_both(float f)
{
    check_f16_cc(f);
    check_f16_ref(f);
}

/* Expects an exact f16 result for an f32 bit pattern. */
static void expect_f16(uint32_t in, uint16_t want)
{
    uint16_t got = tlpu_f32_to_f16(bits_f32(in));
    REQUIRE(got == want, "f32 %08x -> f16 %04x, want %04x", in, got, want);
    check_f16_both(bits_f32(in)); /* and the oracles agree with the table */
}

static void expect_bf16(uint32_t in, uint16_t want)
{
    uint16_t got = tlpu_f32_to_bf16(bits_f32(in));
    REQUIRE(got == want, "f32 %08x -> bf16 %04x, want %04x", in, got, want);
    check_bf16_ref(bits_f32(in));
}

/* ------------------------------------------------------------------ */
/* oracle self-checks: the reference arithmetic must itself be right   */
/* ------------------------------------------------------------------ */

START_TEST(test_oracle_sanity)
{
    ck_assert(f16_value_ext(0x3c00) == 1.0);
    ck_assert(f16_value_ext(0x0001) == ldexp(1.0, -24));
    ck_assert(f16_value_ext(0x7bff) == 65504.0);
    ck_assert(f16_value_ext(0x7c00) == 65536.0);
    ck_assert(f16_value_ext(0xc000) == -2.0);
    ck_assert(bf16_value_ext(0x3f80) == 1.0);
    ck_assert(bf16_value_ext(0x0001) == ldexp(1.0, -133));
    ck_assert(bf16_value_ext(0x7f80) == ldexp(1.0, 128));
    ck_assert(ref_f32_to_f16_value(65519.0f) == 65504.0);
    ck_assert(isinf(ref_f32_to_f16_value(65520.0f)));
    ck_assert(ref_f32_to_f16_value(bits_f32(0x33000000u)) == 0.0);
    ck_assert(ref_f32_to_f16_value(bits_f32(0x33000001u)) == ldexp(1.0, -24));
    ck_assert(ref_f32_to_bf16_value(bits_f32(0x3f808000u)) == 1.0);
    ck_assert(ref_f32_to_bf16_value(bits_f32(0x3f818000u)) == bf16_value_ext(0x3f82));
    ck_assert(nan_f32_to_f16(0xffa00000u) == 0xff00u);
    ck_assert(nan_f32_to_bf16(0x7f810000u) == 0x7fc1u);
#ifdef __FLT16_MAX__
    ck_assert_uint_eq(cc_f32_to_f16(1.0f), 0x3c00u);
    ck_assert_uint_eq(cc_f32_to_f16(bits_f32(0x3f801000u)), 0x3c00u); /* tie -> even */
    ck_assert_uint_eq(cc_f32_to_f16(bits_f32(0x3f803000u)), 0x3c02u);
    ck_assert_uint_eq(cc_f16_to_f32(0x3c00), 0x3f800000u);
#endif
}
END_TEST

/* ------------------------------------------------------------------ */
/* f16 -> f32                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_f16_to_f32_all)
{
    for (uint32_t i = 0; i < 65536u; i++) {
        uint16_t h = (uint16_t)i;
        uint32_t got = f32_bits(tlpu_f16_to_f32(h));
        uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
            /* NaN: same sign, payload widened in place (shifted up 13) */
            uint32_t want = sign | 0x7f800000u | ((uint32_t)(h & 0x3ffu) << 13);
            REQUIRE(got == want, "f16 NaN %04x -> %08x, want %08x", h, got, want);
            continue;
        }
        double want = f16_result_value(h);
        double have = (double)bits_f32(got);
        REQUIRE(have == want && !signbit(have) == !signbit(want),
                      "f16 %04x -> %08x (%a), want %a", h, got, have, want);
#ifdef __FLT16_MAX__
        REQUIRE(got == cc_f16_to_f32(h), "f16 %04x -> %08x, (float)_Float16 gives %08x", h,
                      got, cc_f16_to_f32(h));
#endif
    }
}
END_TEST

START_TEST(test_f16_to_f32_known)
{
    static const struct {
        uint16_t h;
        uint32_t f;
    } cases[] = {
        {0x0000, 0x00000000u}, {0x8000, 0x80000000u}, {0x3c00, 0x3f800000u},
        {0xc000, 0xc0000000u}, {0x0001, 0x33800000u}, /* 2^-24 */
        {0x8001, 0xb3800000u}, {0x0200, 0x38000000u}, /* 2^-15 */
        {0x03ff, 0x387fc000u}, {0x0400, 0x38800000u}, /* 2^-14 */
        {0x7bff, 0x477fe000u}, /* 65504 */
        {0x7c00, 0x7f800000u}, {0xfc00, 0xff800000u}, {0x7e00, 0x7fc00000u},
        {0xfe01, 0xffc02000u}, {0x3555, 0x3eaaa000u},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t got = f32_bits(tlpu_f16_to_f32(cases[i].h));
        REQUIRE(got == cases[i].f, "f16 %04x -> %08x, want %08x", cases[i].h, got,
                      cases[i].f);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* f32 -> f16                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_f32_to_f16_roundtrip_all)
{
    /* Every f16 value is exactly representable in f32 and must come back. */
    for (uint32_t i = 0; i < 65536u; i++) {
        uint16_t h = (uint16_t)i;
        float f = tlpu_f16_to_f32(h);
        uint16_t back = tlpu_f32_to_f16(f);
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
            REQUIRE(back == (h | 0x200u), "f16 NaN %04x -> %04x, want %04x", h, back,
                          h | 0x200u);
            continue;
        }
        REQUIRE(back == h, "f16 %04x -> f32 -> %04x", h, back);
        check_f16_cc(f);
    }
}
END_TEST

/* Midpoints between adjacent f16 values go to the even encoding; one f32 ulp
 * below goes to the lower, one ulp above to the upper. Both signs. */
START_TEST(test_f32_to_f16_midpoints)
{
    for (uint32_t s = 0; s < 2; s++) {
        for (uint32_t i = 0; i < 0x7c00u; i++) {
            uint16_t lo = (uint16_t)(i | (s << 15));
            uint16_t hi = (uint16_t)((i + 1) | (s << 15)); /* 0x7c00: Inf above 65504 */
            double mid = (f16_value_ext(lo) + f16_value_ext(hi)) / 2.0;
            float fm = (float)mid;
            REQUIRE((double)fm == mid, "midpoint %a not an f32", mid);
            uint16_t even = (lo & 1u) ? hi : lo;
            uint16_t got = tlpu_f32_to_f16(fm);
            REQUIRE(got == even, "midpoint %a (%08x) -> %04x, want %04x", mid, f32_bits(fm),
                          got, even);
            float below = nextafterf(fm, 0.0f); /* towards lo */
            float above = nextafterf(fm, s ? -INFINITY : INFINITY);
            got = tlpu_f32_to_f16(below);
            REQUIRE(got == lo, "%08x -> %04x, want %04x", f32_bits(below), got, lo);
            got = tlpu_f32_to_f16(above);
            REQUIRE(got == hi, "%08x -> %04x, want %04x", f32_bits(above), got, hi);
            check_f16_cc(fm);
            check_f16_cc(below);
            check_f16_cc(above);
        }
    }
}
END_TEST

START_TEST(test_f32_to_f16_known)
{
    expect_f16(0x00000000u, 0x0000); /* +-0 */
    expect_f16(0x80000000u, 0x8000);
    expect_f16(0x3f800000u, 0x3c00); /* 1 */
    expect_f16(0xc0000000u, 0xc000); /* -2 */
    expect_f16(0x3dcccccdu, 0x2e66); /* 0.1f */
    expect_f16(0x3f801000u, 0x3c00); /* 1 + 2^-11: tie, stays even */
    expect_f16(0x3f803000u, 0x3c02); /* 1 + 3*2^-11: tie, up to even */
    expect_f16(0x3f801001u, 0x3c01); /* just above the tie */
    expect_f16(0x3f800fffu, 0x3c00); /* just below the tie */
    expect_f16(0x3f7fffffu, 0x3c00); /* just below 1 rounds up to 1 */

    /* around the subnormal range */
    expect_f16(0x33000000u, 0x0000); /* 2^-25: tie between 0 and 2^-24 -> 0 */
    expect_f16(0xb3000000u, 0x8000);
    expect_f16(0x33000001u, 0x0001); /* just above -> smallest subnormal */
    expect_f16(0xb3000001u, 0x8001);
    expect_f16(0x32ffffffu, 0x0000); /* just below */
    expect_f16(0x32800000u, 0x0000); /* 2^-26 */
    expect_f16(0x33400000u, 0x0001); /* 0.75 * 2^-24 */
    expect_f16(0x33800000u, 0x0001); /* 2^-24 */
    expect_f16(0x33c00000u, 0x0002); /* 1.5 * 2^-24: tie -> 2 */
    expect_f16(0x34200000u, 0x0002); /* 2.5 * 2^-24: tie -> 2 */
    expect_f16(0x34300000u, 0x0003); /* 2.75 * 2^-24 */
    expect_f16(0x387fc000u, 0x03ff); /* largest subnormal */
    expect_f16(0x387fe000u, 0x0400); /* 1023.5 * 2^-24: tie -> smallest normal */
    expect_f16(0x387fdfffu, 0x03ff);
    expect_f16(0x38800000u, 0x0400); /* 2^-14 */

    /* f32 subnormals -> signed zero */
    expect_f16(0x00000001u, 0x0000);
    expect_f16(0x80000001u, 0x8000);
    expect_f16(0x007fffffu, 0x0000);
    expect_f16(0x807fffffu, 0x8000);
    expect_f16(0x00800000u, 0x0000); /* smallest f32 normal */

    /* around the maximum */
    expect_f16(0x477fe000u, 0x7bff); /* 65504 */
    expect_f16(0xc77fe000u, 0xfbff);
    expect_f16(0x477fefffu, 0x7bff); /* 65519.996 */
    expect_f16(0x477ff000u, 0x7c00); /* 65520: tie, odd 0x7bff -> Inf */
    expect_f16(0xc77ff000u, 0xfc00);
    expect_f16(0x477fe800u, 0x7bff); /* 65512 */
    expect_f16(0x47800000u, 0x7c00); /* 65536 */
    expect_f16(0x501502f9u, 0x7c00); /* 1e10 */
    expect_f16(0x7f7fffffu, 0x7c00); /* FLT_MAX */
    expect_f16(0xff7fffffu, 0xfc00);

    /* infinities */
    expect_f16(0x7f800000u, 0x7c00);
    expect_f16(0xff800000u, 0xfc00);

    /* NaNs: quiet, sign kept, top 10 payload bits kept */
    expect_f16(0x7fc00000u, 0x7e00);
    expect_f16(0xffc00000u, 0xfe00);
    expect_f16(0x7fc00001u, 0x7e00); /* low payload bits do not survive */
    expect_f16(0xffa00000u, 0xff00); /* sNaN, payload bit 21 -> f16 bit 8; made quiet */
    expect_f16(0x7f800001u, 0x7e00); /* sNaN with only low payload stays NaN */
    expect_f16(0x7f802000u, 0x7e01); /* lowest kept payload bit */
    expect_f16(0x7fbfffffu, 0x7fff);
    expect_f16(0xffffffffu, 0xffff);
}
END_TEST

START_TEST(test_f32_to_f16_random)
{
    tlpu_rng r = tlpu_rng_seed(0x16f16f16ull);
    for (uint32_t i = 0; i < N_RANDOM; i++) {
        uint64_t z = tlpu_rng_next(&r);
        check_f16_cc(bits_f32((uint32_t)z));
        /* bias half the draws towards the f16 range and the rounding bits */
        uint32_t x = (uint32_t)(z >> 32);
        x = (x & 0x80001fffu) | ((uint32_t)(0x66u + (z >> 24) % 0x20u) << 23) |
            ((uint32_t)(z >> 8) & 0x7fe000u);
        check_f16_both(bits_f32(x));
    }
}
END_TEST

START_TEST(test_f32_to_f16_random_ref)
{
    /* The double-rounding oracle, independent of _Float16. */
    tlpu_rng r = tlpu_rng_seed(0xdeadbeefull);
    for (uint32_t i = 0; i < N_RANDOM / 3u; i++)
        check_f16_ref(bits_f32((uint32_t)tlpu_rng_next(&r)));
}
END_TEST

/* ------------------------------------------------------------------ */
/* bf16                                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_bf16_to_f32_all)
{
    for (uint32_t i = 0; i < 65536u; i++) {
        uint16_t b = (uint16_t)i;
        uint32_t got = f32_bits(tlpu_bf16_to_f32(b));
        REQUIRE(got == i << 16, "bf16 %04x -> %08x", b, got);
        if ((b & 0x7f80u) != 0x7f80u) {
            double have = (double)bits_f32(got);
            REQUIRE(have == bf16_value_ext(b), "bf16 %04x -> %a, want %a", b, have,
                          bf16_value_ext(b));
        }
    }
}
END_TEST

START_TEST(test_f32_to_bf16_roundtrip_all)
{
    for (uint32_t i = 0; i < 65536u; i++) {
        uint16_t b = (uint16_t)i;
        uint16_t back = tlpu_f32_to_bf16(tlpu_bf16_to_f32(b));
        uint16_t want = ((b & 0x7f80u) == 0x7f80u && (b & 0x7fu)) ? (uint16_t)(b | 0x40u) : b;
        REQUIRE(back == want, "bf16 %04x -> f32 -> %04x, want %04x", b, back, want);
    }
}
END_TEST

START_TEST(test_f32_to_bf16_midpoints)
{
    for (uint32_t s = 0; s < 2; s++) {
        for (uint32_t i = 0; i < 0x7f80u; i++) {
            uint16_t lo = (uint16_t)(i | (s << 15));
            uint16_t hi = (uint16_t)((i + 1) | (s << 15));
            double mid = (bf16_value_ext(lo) + bf16_value_ext(hi)) / 2.0;
            float fm = (float)mid;
            REQUIRE((double)fm == mid, "midpoint %a not an f32", mid);
            uint16_t even = (lo & 1u) ? hi : lo;
            uint16_t got = tlpu_f32_to_bf16(fm);
            REQUIRE(got == even, "midpoint %08x -> %04x, want %04x", f32_bits(fm), got,
                          even);
            float below = nextafterf(fm, 0.0f);
            float above = nextafterf(fm, s ? -INFINITY : INFINITY);
            got = tlpu_f32_to_bf16(below);
            REQUIRE(got == lo, "%08x -> %04x, want %04x", f32_bits(below), got, lo);
            got = tlpu_f32_to_bf16(above);
            REQUIRE(got == hi, "%08x -> %04x, want %04x", f32_bits(above), got, hi);
            check_bf16_ref(fm);
            check_bf16_ref(below);
            check_bf16_ref(above);
        }
    }
}
END_TEST

START_TEST(test_f32_to_bf16_known)
{
    expect_bf16(0x00000000u, 0x0000);
    expect_bf16(0x80000000u, 0x8000);
    expect_bf16(0x3f800000u, 0x3f80);
    expect_bf16(0x3f808000u, 0x3f80); /* tie -> even (down) */
    expect_bf16(0x3f818000u, 0x3f82); /* tie -> even (up) */
    expect_bf16(0x3f808001u, 0x3f81);
    expect_bf16(0x3f807fffu, 0x3f80);
    expect_bf16(0xbf818000u, 0xbf82);
    expect_bf16(0x3f7fffffu, 0x3f80); /* carries into the exponent */
    expect_bf16(0x3dcccccdu, 0x3dcd); /* 0.1f */
    /* overflow */
    expect_bf16(0x7f7fffffu, 0x7f80);
    expect_bf16(0xff7fffffu, 0xff80);
    expect_bf16(0x7f7f7fffu, 0x7f7f);
    expect_bf16(0x7f7f8000u, 0x7f80); /* tie, odd 0x7f7f -> Inf */
    expect_bf16(0x7f7e8000u, 0x7f7e); /* tie, even stays */
    /* infinities */
    expect_bf16(0x7f800000u, 0x7f80);
    expect_bf16(0xff800000u, 0xff80);
    /* NaNs: quiet, sign kept, top 7 payload bits kept */
    expect_bf16(0x7fc00000u, 0x7fc0);
    expect_bf16(0xffc00000u, 0xffc0);
    expect_bf16(0x7f800001u, 0x7fc0); /* sNaN, low payload only */
    expect_bf16(0xff800001u, 0xffc0);
    expect_bf16(0x7f810000u, 0x7fc1);
    expect_bf16(0x7fa00000u, 0x7fe0);
    expect_bf16(0x7fffffffu, 0x7fff); /* must not round into the sign bit */
    expect_bf16(0xffffffffu, 0xffff);
    expect_bf16(0x7f80ffffu, 0x7fc0);
    /* subnormals (bf16 has them too) */
    expect_bf16(0x00000001u, 0x0000);
    expect_bf16(0x80000001u, 0x8000);
    expect_bf16(0x00008000u, 0x0000); /* tie, 0 is even */
    expect_bf16(0x00008001u, 0x0001);
    expect_bf16(0x00010000u, 0x0001); /* smallest bf16 subnormal */
    expect_bf16(0x00018000u, 0x0002); /* tie -> even */
    expect_bf16(0x00028000u, 0x0002); /* tie -> even */
    expect_bf16(0x007f8000u, 0x0080); /* tie, odd 0x007f -> smallest normal */
    expect_bf16(0x807fffffu, 0x8080);
    expect_bf16(0x00800000u, 0x0080);
}
END_TEST

START_TEST(test_f32_to_bf16_random)
{
    tlpu_rng r = tlpu_rng_seed(0xbf16bf16ull);
    for (uint32_t i = 0; i < N_RANDOM; i++) {
        uint64_t z = tlpu_rng_next(&r);
        check_bf16_ref(bits_f32((uint32_t)z));
        /* low half around the rounding bit: exact ties and near-ties */
        uint32_t x = (uint32_t)(z >> 32);
        x = (x & 0xffff0000u) | ((z & 1u) ? 0x8000u : (0x8000u + (uint32_t)((z >> 1) & 3u) - 1u));
        check_bf16_ref(bits_f32(x));
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* rounding-mode independence                                          */
/* ------------------------------------------------------------------ */

#define N_MODE 20000
static const int k_modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

START_TEST(test_conversions_ignore_rounding_mode)
{
    static uint32_t in[N_MODE];
    static uint16_t want16[N_MODE], wantb[N_MODE], got16[N_MODE], gotb[N_MODE];
    static uint32_t want32[N_MODE], got32[N_MODE];
    tlpu_rng r = tlpu_rng_seed(0xfe5e7ull + (uint64_t)_i);
    for (int i = 0; i < N_MODE; i++) {
        uint64_t z = tlpu_rng_next(&r);
        in[i] = (i & 1) ? (uint32_t)z : (((uint32_t)z & 0x80001fffu) | 0x3f800000u);
        want16[i] = tlpu_f32_to_f16(bits_f32(in[i]));
        wantb[i] = tlpu_f32_to_bf16(bits_f32(in[i]));
        want32[i] = f32_bits(tlpu_f16_to_f32((uint16_t)z));
    }
    int old = fegetround();
    ck_assert_int_eq(fesetround(k_modes[_i]), 0);
    for (int i = 0; i < N_MODE; i++) {
        got16[i] = tlpu_f32_to_f16(bits_f32(in[i]));
        gotb[i] = tlpu_f32_to_bf16(bits_f32(in[i]));
    }
    tlpu_rng r2 = tlpu_rng_seed(0xfe5e7ull + (uint64_t)_i);
    for (int i = 0; i < N_MODE; i++)
        got32[i] = f32_bits(tlpu_f16_to_f32((uint16_t)tlpu_rng_next(&r2)));
    fesetround(old);
    for (int i = 0; i < N_MODE; i++) {
        REQUIRE(got16[i] == want16[i], "mode %d: f32 %08x -> f16 %04x, want %04x", _i,
                      in[i], got16[i], want16[i]);
        REQUIRE(gotb[i] == wantb[i], "mode %d: f32 %08x -> bf16 %04x, want %04x", _i, in[i],
                      gotb[i], wantb[i]);
        REQUIRE(got32[i] == want32[i], "mode %d: f16 -> f32 %08x, want %08x", _i, got32[i],
                      want32[i]);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* dtype helpers                                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_dtype_size_name)
{
    ck_assert_uint_eq(tlpu_dtype_size(TLPU_DTYPE_F32), 4);
    ck_assert_uint_eq(tlpu_dtype_size(TLPU_DTYPE_F16), 2);
    ck_assert_uint_eq(tlpu_dtype_size(TLPU_DTYPE_BF16), 2);
    ck_assert_uint_eq(tlpu_dtype_size((tlpu_dtype)3), 0);
    ck_assert_uint_eq(tlpu_dtype_size((tlpu_dtype)7), 0);
    ck_assert_uint_eq(tlpu_dtype_size((tlpu_dtype)0xff), 0);
    ck_assert_str_eq(tlpu_dtype_name(TLPU_DTYPE_F32), "f32");
    ck_assert_str_eq(tlpu_dtype_name(TLPU_DTYPE_F16), "f16");
    ck_assert_str_eq(tlpu_dtype_name(TLPU_DTYPE_BF16), "bf16");
    ck_assert_ptr_null(tlpu_dtype_name((tlpu_dtype)3));
    ck_assert_ptr_null(tlpu_dtype_name((tlpu_dtype)7));
}
END_TEST

START_TEST(test_dtype_parse)
{
    static const struct {
        const char *name;
        tlpu_dtype dtype;
    } ok[] = {
        {"f32", TLPU_DTYPE_F32},     {"float32", TLPU_DTYPE_F32}, {"f16", TLPU_DTYPE_F16},
        {"float16", TLPU_DTYPE_F16}, {"bf16", TLPU_DTYPE_BF16},   {"bfloat16", TLPU_DTYPE_BF16},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tlpu_dtype d = (tlpu_dtype)99;
        ck_assert_int_eq(tlpu_dtype_parse(ok[i].name, &d), TLPU_OK);
        ck_assert_int_eq(d, ok[i].dtype);
    }
    /* the canonical names parse back */
    for (int t = 0; t < 3; t++) {
        tlpu_dtype d = (tlpu_dtype)99;
        ck_assert_int_eq(tlpu_dtype_parse(tlpu_dtype_name((tlpu_dtype)t), &d), TLPU_OK);
        ck_assert_int_eq(d, t);
    }
    static const char *const bad[] = {"", "f64", "f8", "float", "bfloat", "f32 ", " f16",
                                      "bf16x", "float16\n", "int8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tlpu_dtype d = (tlpu_dtype)99;
        ck_assert_int_eq(tlpu_dtype_parse(bad[i], &d), TLPU_ERR_INVALID_ARG);
        ck_assert_int_eq(d, 99); /* untouched */
    }
    tlpu_dtype d = (tlpu_dtype)99;
    ck_assert_int_eq(tlpu_dtype_parse(NULL, &d), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(d, 99);
    ck_assert_int_eq(tlpu_dtype_parse("f32", NULL), TLPU_ERR_INVALID_ARG);
}
END_TEST

/* ------------------------------------------------------------------ */
/* buffer conversions                                                  */
/* ------------------------------------------------------------------ */

#define NBUF 9
static const uint32_t k_f32_in[NBUF] = {
    0x3f800000u, /* 1 */
    0xc0200000u, /* -2.5 */
    0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
    0x7fc00000u, /* NaN */
    0x3f808000u, /* bf16 tie */
    0x33c00000u, /* 1.5 * 2^-24: f16 subnormal tie */
};
static const uint16_t k_f16_out[NBUF] = {0x3c00, 0xc100, 0x0000, 0x8000, 0x7c00,
                                         0xfc00, 0x7e00, 0x3c04, 0x0002};
static const uint16_t k_bf16_out[NBUF] = {0x3f80, 0xc020, 0x0000, 0x8000, 0x7f80,
                                          0xff80, 0x7fc0, 0x3f80, 0x33c0};

START_TEST(test_convert_from_f32)
{
    float src[NBUF];
    for (int i = 0; i < NBUF; i++)
        src[i] = bits_f32(k_f32_in[i]);

    uint32_t d32[NBUF + 1];
    memset(d32, 0xa5, sizeof d32);
    ck_assert_int_eq(tlpu_convert_from_f32(TLPU_DTYPE_F32, src, NBUF, d32), TLPU_OK);
    ck_assert_int_eq(memcmp(d32, k_f32_in, sizeof k_f32_in), 0);
    ck_assert_uint_eq(d32[NBUF], 0xa5a5a5a5u);

    uint16_t d16[NBUF + 1];
    memset(d16, 0xa5, sizeof d16);
    ck_assert_int_eq(tlpu_convert_from_f32(TLPU_DTYPE_F16, src, NBUF, d16), TLPU_OK);
    for (int i = 0; i < NBUF; i++)
        REQUIRE(d16[i] == k_f16_out[i], "f16[%d] = %04x, want %04x", i, d16[i],
                      k_f16_out[i]);
    ck_assert_uint_eq(d16[NBUF], 0xa5a5u);

    memset(d16, 0xa5, sizeof d16);
    ck_assert_int_eq(tlpu_convert_from_f32(TLPU_DTYPE_BF16, src, NBUF, d16), TLPU_OK);
    for (int i = 0; i < NBUF; i++)
        REQUIRE(d16[i] == k_bf16_out[i], "bf16[%d] = %04x, want %04x", i, d16[i],
                      k_bf16_out[i]);
    ck_assert_uint_eq(d16[NBUF], 0xa5a5u);
}
END_TEST

START_TEST(test_convert_to_f32)
{
    uint32_t d[NBUF + 1];
    memset(d, 0xa5, sizeof d);
    ck_assert_int_eq(tlpu_convert_to_f32(TLPU_DTYPE_F32, k_f32_in, NBUF, (float *)d), TLPU_OK);
    ck_assert_int_eq(memcmp(d, k_f32_in, sizeof k_f32_in), 0);
    ck_assert_uint_eq(d[NBUF], 0xa5a5a5a5u);

    static const uint32_t f16_back[NBUF] = {0x3f800000u, 0xc0200000u, 0, 0x80000000u,
                                            0x7f800000u, 0xff800000u, 0x7fc00000u,
                                            0x3f808000u, /* 0x3c04 = 1 + 2^-8 */
                                            0x34000000u /* 2^-23 */};
    memset(d, 0xa5, sizeof d);
    ck_assert_int_eq(tlpu_convert_to_f32(TLPU_DTYPE_F16, k_f16_out, NBUF, (float *)d), TLPU_OK);
    for (int i = 0; i < NBUF; i++)
        REQUIRE(d[i] == f16_back[i], "f16 %04x -> %08x, want %08x", k_f16_out[i], d[i],
                      f16_back[i]);
    ck_assert_uint_eq(d[NBUF], 0xa5a5a5a5u);

    memset(d, 0xa5, sizeof d);
    ck_assert_int_eq(tlpu_convert_to_f32(TLPU_DTYPE_BF16, k_bf16_out, NBUF, (float *)d), TLPU_OK);
    for (int i = 0; i < NBUF; i++)
        REQUIRE(d[i] == (uint32_t)k_bf16_out[i] << 16, "bf16 %04x -> %08x", k_bf16_out[i],
                      d[i]);
    ck_assert_uint_eq(d[NBUF], 0xa5a5a5a5u);
}
END_TEST

/* The buffer functions agree element by element with the scalar ones. */
START_TEST(test_convert_matches_scalar)
{
    enum { N = 4096 };
    static float src[N], back[N];
    static uint16_t h[N];
    tlpu_rng r = tlpu_rng_seed(77);
    for (int i = 0; i < N; i++)
        src[i] = bits_f32((uint32_t)tlpu_rng_next(&r));
    for (int t = TLPU_DTYPE_F16; t <= TLPU_DTYPE_BF16; t++) {
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, src, N, h), TLPU_OK);
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, h, N, back), TLPU_OK);
        for (int i = 0; i < N; i++) {
            float x = src[i];
            uint16_t want = t == TLPU_DTYPE_F16 ? tlpu_f32_to_f16(x) : tlpu_f32_to_bf16(x);
            ck_assert_uint_eq(h[i], want);
            float wb = t == TLPU_DTYPE_F16 ? tlpu_f16_to_f32(h[i]) : tlpu_bf16_to_f32(h[i]);
            ck_assert_uint_eq(f32_bits(back[i]), f32_bits(wb));
            ck_assert_uint_eq(f32_bits(tlpu_load_f32((tlpu_dtype)t, h, (size_t)i)),
                              f32_bits(wb));
        }
    }
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(f32_bits(tlpu_load_f32(TLPU_DTYPE_F32, src, (size_t)i)),
                          f32_bits(src[i]));
}
END_TEST

START_TEST(test_convert_zero_length)
{
    float f[2] = {1.0f, 2.0f};
    uint16_t h[2] = {0x1234, 0x5678};
    float out[2] = {7.0f, 8.0f};
    uint16_t hout[2] = {0xaaaa, 0xbbbb};
    for (int t = 0; t < 3; t++) {
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, t ? (void *)h : (void *)f, 0, out),
                         TLPU_OK);
        ck_assert(out[0] == 7.0f && out[1] == 8.0f);
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, f, 0, hout), TLPU_OK);
        ck_assert(hout[0] == 0xaaaa && hout[1] == 0xbbbb);
        /* nothing to read or write: NULL buffers are accepted for n = 0 */
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, NULL, 0, NULL), TLPU_OK);
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, NULL, 0, NULL), TLPU_OK);
    }
}
END_TEST

START_TEST(test_convert_invalid)
{
    float f[1] = {1.0f};
    float out[1] = {7.0f};
    uint16_t hout[2] = {0xaaaa, 0xaaaa};
    for (int t = 0; t < 3; t++) {
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, NULL, 1, out), TLPU_ERR_INVALID_ARG);
        ck_assert(out[0] == 7.0f);
        ck_assert_int_eq(tlpu_convert_to_f32((tlpu_dtype)t, f, 1, NULL), TLPU_ERR_INVALID_ARG);
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, NULL, 1, hout),
                         TLPU_ERR_INVALID_ARG);
        ck_assert(hout[0] == 0xaaaa && hout[1] == 0xaaaa);
        ck_assert_int_eq(tlpu_convert_from_f32((tlpu_dtype)t, f, 1, NULL), TLPU_ERR_INVALID_ARG);
    }
    static const int bad[] = {3, 7, 0xff};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tlpu_dtype t = (tlpu_dtype)bad[i];
        ck_assert_int_eq(tlpu_convert_to_f32(t, hout, 1, out), TLPU_ERR_INVALID_ARG);
        ck_assert(out[0] == 7.0f);
        ck_assert_int_eq(tlpu_convert_from_f32(t, f, 1, hout), TLPU_ERR_INVALID_ARG);
        ck_assert(hout[0] == 0xaaaa && hout[1] == 0xaaaa);
        ck_assert_int_eq(tlpu_convert_to_f32(t, hout, 0, out), TLPU_ERR_INVALID_ARG);
        ck_assert_int_eq(tlpu_convert_from_f32(t, f, 0, hout), TLPU_ERR_INVALID_ARG);
    }
}
END_TEST

static Suite *fp_suite(void)
{
    Suite *s = suite_create("fp");

    TCase *tc = tcase_create("oracle");
    tcase_add_test(tc, test_oracle_sanity);
    suite_add_tcase(s, tc);

    tc = tcase_create("f16");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_f16_to_f32_all);
    tcase_add_test(tc, test_f16_to_f32_known);
    tcase_add_test(tc, test_f32_to_f16_roundtrip_all);
    tcase_add_test(tc, test_f32_to_f16_midpoints);
    tcase_add_test(tc, test_f32_to_f16_known);
    tcase_add_test(tc, test_f32_to_f16_random);
    tcase_add_test(tc, test_f32_to_f16_random_ref);
    suite_add_tcase(s, tc);

    tc = tcase_create("bf16");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bf16_to_f32_all);
    tcase_add_test(tc, test_f32_to_bf16_roundtrip_all);
    tcase_add_test(tc, test_f32_to_bf16_midpoints);
    tcase_add_test(tc, test_f32_to_bf16_known);
    tcase_add_test(tc, test_f32_to_bf16_random);
    suite_add_tcase(s, tc);

    tc = tcase_create("rounding_mode");
    tcase_add_loop_test(tc, test_conversions_ignore_rounding_mode, 0,
                        (int)(sizeof k_modes / sizeof k_modes[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("dtype");
    tcase_add_test(tc, test_dtype_size_name);
    tcase_add_test(tc, test_dtype_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("buffers");
    tcase_add_test(tc, test_convert_from_f32);
    tcase_add_test(tc, test_convert_to_f32);
    tcase_add_test(tc, test_convert_matches_scalar);
    tcase_add_test(tc, test_convert_zero_length);
    tcase_add_test(tc, test_convert_invalid);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(fp_suite()); }
