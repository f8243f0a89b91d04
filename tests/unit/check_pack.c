/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_pack - the ternary packings of tlpu/pack.h: PACK2, PACK3, bitnet.cpp
 * I2_S, ggml TQ2_0 and TQ1_0.
 *
 *  - exhaustive round trips of every trit pattern in every byte slot, with
 *    the exact byte values computed from the layouts (docs/formats.md and
 *    tests/data/vectors/README.md), by reference encoders written here;
 *  - byte vectors worked out by hand from those layouts;
 *  - the quantizer rules on small hand-made inputs;
 *  - every error path: the named status, and no output byte written.
 *
 * The mapping trit -> digit/code is spelled out here on purpose instead of
 * using tlpu_trit_digit(), so that these tests do not share code with pack.c.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/fp.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"

/* ---- helpers ------------------------------------------------------------ */

static const unsigned k_pow3[11] = {1, 3, 9, 27, 81, 243, 729, 2187, 6561, 19683, 59049};

/* Device digit (PACK2/PACK3): 0 -> 0, +1 -> 1, -1 -> 2. */
static unsigned dev_digit(int8_t t) { return t == 0 ? 0u : (t == 1 ? 1u : 2u); }
static const int8_t k_trit_of_dev_digit[3] = {0, +1, -1};
/* Public-format code (I2_S, TQ2_0, TQ1_0): trit + 1. */
static unsigned pub_code(int8_t t) { return (unsigned)(t + 1); }

/*
 * Pattern number v (0 <= v < 3^count) as trits: digit k of v in base 3 picks
 * trit {-1, 0, +1}[digit]; written to t[0], t[stride], ... t[(count-1)*stride].
 */
static void put_pattern(unsigned v, size_t count, int8_t *t, size_t stride)
{
    for (size_t k = 0; k < count; k++, v /= 3)
        t[k * stride] = (int8_t)((int)(v % 3) - 1);
}

static void random_trits(tlpu_rng *r, int8_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        t[i] = tlpu_rng_trit(r);
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * The comparisons look for the first mismatch themselves and assert once:
 * every Check assertion reports a mark point to the runner, which is slow in
 * loops over millions of values.
 */
static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    size_t i = 0;
    while (i < n && got[i] == want[i])
        i++;
    ck_assert_msg(i == n, "%s: byte %zu is 0x%02x, expected 0x%02x", what, i,
                  i < n ? got[i] : 0, i < n ? want[i] : 0);
}

static void assert_trits(const int8_t *got, const int8_t *want, size_t n, const char *what)
{
    size_t i = 0;
    while (i < n && got[i] == want[i])
        i++;
    ck_assert_msg(i == n, "%s: trit %zu is %d, expected %d", what, i, i < n ? got[i] : 0,
                  i < n ? want[i] : 0);
}

static void assert_u16s(const uint16_t *got, const uint16_t *want, size_t n, const char *what)
{
    size_t i = 0;
    while (i < n && got[i] == want[i])
        i++;
    ck_assert_msg(i == n, "%s: d[%zu] is 0x%04x, expected 0x%04x", what, i, i < n ? got[i] : 0,
                  i < n ? want[i] : 0);
}

static void assert_all_bytes(const uint8_t *p, size_t n, uint8_t v, const char *what)
{
    size_t i = 0;
    while (i < n && p[i] == v)
        i++;
    ck_assert_msg(i == n, "%s: byte %zu is 0x%02x, expected 0x%02x", what, i, i < n ? p[i] : 0,
                  v);
}

/* ---- reference encoders, written from the layout descriptions ------------- */

/* PACK2: trit i in bits [2i+1:2i] of byte i/4 (i taken mod 4); padding zero. */
static void ref_pack2(const int8_t *t, size_t n, uint8_t *out)
{
    memset(out, 0, (n + 3) / 4);
    for (size_t i = 0; i < n; i++)
        out[i / 4] = (uint8_t)(out[i / 4] | dev_digit(t[i]) << (2 * (i % 4)));
}

/* PACK3: byte = sum_i d_i 3^i over the byte's 5 trits; padding zero trits. */
static void ref_pack3(const int8_t *t, size_t n, uint8_t *out)
{
    memset(out, 0, (n + 4) / 5);
    for (size_t i = 0; i < n; i++)
        out[i / 5] = (uint8_t)(out[i / 5] + dev_digit(t[i]) * k_pow3[i % 5]);
}

/* I2_S: weight 128b+32g+p in bits [7-2g:6-2g] of byte 32b+p; f32 scale at n/4; 28 zeros. */
static void ref_i2s(const int8_t *t, size_t n, float scale, uint8_t *out)
{
    memset(out, 0, n / 4 + 32);
    for (size_t b = 0; b < n / 128; b++)
        for (size_t g = 0; g < 4; g++)
            for (size_t p = 0; p < 32; p++)
                out[32 * b + p] = (uint8_t)(out[32 * b + p] |
                                            pub_code(t[128 * b + 32 * g + p]) << (6 - 2 * g));
    put_le32(out + n / 4, f32_bits(scale));
}

/* TQ2_0 block: weight 128h+32j+m in bits [2j+1:2j] of qs[32h+m]; then fp16 d. */
static void ref_tq2(const int8_t *t, size_t n, const uint16_t *d, uint8_t *out)
{
    for (size_t b = 0; b < n / 256; b++) {
        uint8_t *blk = out + 66 * b;
        const int8_t *tb = t + 256 * b;
        memset(blk, 0, 64);
        for (size_t h = 0; h < 2; h++)
            for (size_t j = 0; j < 4; j++)
                for (size_t m = 0; m < 32; m++)
                    blk[32 * h + m] = (uint8_t)(blk[32 * h + m] |
                                                pub_code(tb[128 * h + 32 * j + m]) << (2 * j));
        put_le16(blk + 64, d[b]);
    }
}

/* One TQ1_0 byte: q = sum_k c_k 3^(count-1-k) (first most significant), qh: q *= 3. */
static uint8_t ref_tq1_byte(const int8_t *t, size_t count, size_t stride)
{
    unsigned q = 0;
    for (size_t k = 0; k < count; k++)
        q = q * 3 + pub_code(t[k * stride]);
    if (count == 4)
        q *= 3;
    return (uint8_t)((q * 256 + 242) / 243); /* ceiling of q*256/243 */
}

static void ref_tq1(const int8_t *t, size_t n, const uint16_t *d, uint8_t *out)
{
    for (size_t b = 0; b < n / 256; b++) {
        uint8_t *blk = out + 54 * b;
        const int8_t *tb = t + 256 * b;
        for (size_t m = 0; m < 32; m++)
            blk[m] = ref_tq1_byte(tb + m, 5, 32);
        for (size_t m = 0; m < 16; m++)
            blk[32 + m] = ref_tq1_byte(tb + 160 + m, 5, 16);
        for (size_t j = 0; j < 4; j++)
            blk[48 + j] = ref_tq1_byte(tb + 240 + j, 4, 4);
        put_le16(blk + 52, d[b]);
    }
}

/* ---- shared round-trip checks ----------------------------------------------- */

#define MAX_N 4096
#define MAX_BYTES (MAX_N / 4 + 64) /* the largest encoding used here, plus slack */

/* Encodes with tlpu (into a 0xAA-filled buffer), compares with `want`, decodes back. */
static void check_i2s(const int8_t *t, size_t n, float scale, const char *what)
{
    static uint8_t want[MAX_BYTES], got[MAX_BYTES + 1];
    static int8_t back[MAX_N];
    size_t size = n / 4 + 32;
    ck_assert_uint_eq(tlpu_i2s_size(n), size);
    ref_i2s(t, n, scale, want);
    memset(got, 0xAA, sizeof got);
    ck_assert_int_eq(tlpu_i2s_encode(t, n, scale, got, size), TLPU_OK);
    assert_bytes(got, want, size, what);
    ck_assert_uint_eq(got[size], 0xAA); /* nothing past the end */
    float s = 0.0f;
    memset(back, 0x7f, n);
    ck_assert_int_eq(tlpu_i2s_decode(got, size, n, back, &s), TLPU_OK);
    assert_trits(back, t, n, what);
    ck_assert_uint_eq(f32_bits(s), f32_bits(scale));
}

typedef tlpu_status (*tq_encode_fn)(const int8_t *, size_t, const uint16_t *, uint8_t *, size_t);
typedef tlpu_status (*tq_decode_fn)(const uint8_t *, size_t, size_t, int8_t *, uint16_t *);
typedef tlpu_status (*tq_quantize_fn)(const float *, size_t, uint8_t *, size_t);
typedef tlpu_status (*tq_dequantize_fn)(const uint8_t *, size_t, size_t, float *);

typedef struct tq_api {
    const char *name;
    size_t block_bytes;
    size_t (*size)(size_t);
    tq_encode_fn encode;
    tq_decode_fn decode;
    tq_quantize_fn quantize;
    tq_dequantize_fn dequantize;
    void (*ref)(const int8_t *, size_t, const uint16_t *, uint8_t *);
} tq_api;

static const tq_api k_tq2 = {.name = "TQ2_0", .block_bytes = 66, .size = tlpu_tq2_size,
                             .encode = tlpu_tq2_encode, .decode = tlpu_tq2_decode,
                             .quantize = tlpu_tq2_quantize, .dequantize = tlpu_tq2_dequantize,
                             .ref = ref_tq2};
static const tq_api k_tq1 = {.name = "TQ1_0", .block_bytes = 54, .size = tlpu_tq1_size,
                             .encode = tlpu_tq1_encode, .decode = tlpu_tq1_decode,
                             .quantize = tlpu_tq1_quantize, .dequantize = tlpu_tq1_dequantize,
                             .ref = ref_tq1};
static const tq_api *const k_tqs[2] = {&k_tq2, &k_tq1};

/* Encode against the reference, decode back (trits and d), dequantize. */
static void check_tq(const tq_api *api, const int8_t *t, size_t n, const uint16_t *d)
{
    static uint8_t want[MAX_BYTES], got[MAX_BYTES + 1];
    static int8_t back[MAX_N];
    static float y[MAX_N];
    uint16_t dback[MAX_N / 256];
    size_t size = n / 256 * api->block_bytes;
    ck_assert_uint_eq(api->size(n), size);
    api->ref(t, n, d, want);
    memset(got, 0xAA, sizeof got);
    ck_assert_int_eq(api->encode(t, n, d, got, size), TLPU_OK);
    assert_bytes(got, want, size, api->name);
    ck_assert_uint_eq(got[size], 0xAA);
    memset(back, 0x7f, n);
    memset(dback, 0xEE, sizeof dback);
    ck_assert_int_eq(api->decode(got, size, n, back, dback), TLPU_OK);
    assert_trits(back, t, n, api->name);
    assert_u16s(dback, d, n / 256, api->name);
    ck_assert_int_eq(api->decode(got, size, n, back, NULL), TLPU_OK); /* d is optional */
    ck_assert_int_eq(api->dequantize(got, size, n, y), TLPU_OK);
    size_t i = 0;
    while (i < n && f32_bits(y[i]) == f32_bits((float)t[i] * tlpu_f16_to_f32(d[i / 256])))
        i++;
    ck_assert_msg(i == n, "%s: dequantized value %zu differs", api->name, i);
}

/* Buffers of the short-stream tests (n <= 10); sized generously for GCC's overflow analysis. */
#define SMALL 16

/* ---- PACK2 ----------------------------------------------------------------- */

START_TEST(pack2_every_pattern_every_length)
{
    int8_t t[SMALL], back[SMALL];
    uint8_t want[SMALL], got[SMALL];
    for (size_t n = 1; n <= 9; n++) {
        size_t size = (n + 3) / 4;
        ck_assert_uint_eq(tlpu_pack2_size(n), size);
        for (unsigned v = 0; v < k_pow3[n]; v++) {
            put_pattern(v, n, t, 1);
            ref_pack2(t, n, want);
            memset(got, 0xEE, sizeof got);
            ck_assert_int_eq(tlpu_pack2(t, n, got, size), TLPU_OK);
            assert_bytes(got, want, size, "pack2");
            ck_assert_uint_eq(got[size], 0xEE);
            memset(back, 0x7f, sizeof back);
            ck_assert_int_eq(tlpu_unpack2(got, size, n, back), TLPU_OK);
            assert_trits(back, t, n, "unpack2");
            ck_assert_int_eq(back[n], 0x7f);
        }
    }
}
END_TEST

/* Every byte value as 4 trits: valid ones decode by the digit table and re-encode. */
START_TEST(pack2_every_byte)
{
    for (unsigned byte = 0; byte < 256; byte++) {
        uint8_t in = (uint8_t)byte, again = 0;
        int8_t t[4];
        int valid = 1;
        for (unsigned i = 0; i < 4; i++)
            valid &= ((byte >> (2 * i)) & 3u) != 3u;
        memset(t, 0x7f, sizeof t);
        tlpu_status st = tlpu_unpack2(&in, 1, 4, t);
        if (!valid) {
            ck_assert_int_eq(st, TLPU_ERR_FORMAT);
            assert_all_bytes((const uint8_t *)t, 4, 0x7f, "unpack2 output on error");
            continue;
        }
        ck_assert_int_eq(st, TLPU_OK);
        for (unsigned i = 0; i < 4; i++)
            ck_assert_int_eq(t[i], k_trit_of_dev_digit[(byte >> (2 * i)) & 3u]);
        ck_assert_int_eq(tlpu_pack2(t, 4, &again, 1), TLPU_OK);
        ck_assert_uint_eq(again, byte);
    }
}
END_TEST

/* Code 3 at any trit position of a stream of any length is a format error. */
START_TEST(pack2_code3_anywhere)
{
    tlpu_rng r = tlpu_rng_seed(201);
    for (size_t n = 1; n <= 9; n++) {
        for (size_t pos = 0; pos < n; pos++) {
            int8_t t[SMALL], out[SMALL];
            uint8_t bytes[SMALL];
            random_trits(&r, t, n);
            ref_pack2(t, n, bytes);
            bytes[pos / 4] = (uint8_t)(bytes[pos / 4] | 3u << (2 * (pos % 4)));
            memset(out, 0x7f, sizeof out);
            ck_assert_int_eq(tlpu_unpack2(bytes, (n + 3) / 4, n, out), TLPU_ERR_FORMAT);
            assert_all_bytes((const uint8_t *)out, sizeof out, 0x7f, "unpack2 output");
        }
    }
}
END_TEST

START_TEST(pack_sizes)
{
    static const size_t n[] = {0, 1, 4, 5, 8, 9, 10, 11, 1000, 1001};
    static const size_t p2[] = {0, 1, 1, 2, 2, 3, 3, 3, 250, 251};
    static const size_t p3[] = {0, 1, 1, 1, 2, 2, 2, 3, 200, 201};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        ck_assert_uint_eq(tlpu_pack2_size(n[i]), p2[i]);
        ck_assert_uint_eq(tlpu_pack3_size(n[i]), p3[i]);
    }
}
END_TEST

/* ---- PACK3 ----------------------------------------------------------------- */

START_TEST(pack3_every_pattern_every_length)
{
    int8_t t[SMALL], back[SMALL];
    uint8_t want[SMALL], got[SMALL];
    for (size_t n = 1; n <= 10; n++) {
        size_t size = (n + 4) / 5;
        ck_assert_uint_eq(tlpu_pack3_size(n), size);
        for (unsigned v = 0; v < k_pow3[n]; v++) {
            put_pattern(v, n, t, 1);
            ref_pack3(t, n, want);
            memset(got, 0xEE, sizeof got);
            ck_assert_int_eq(tlpu_pack3(t, n, got, size), TLPU_OK);
            assert_bytes(got, want, size, "pack3");
            ck_assert_uint_eq(got[size], 0xEE);
            memset(back, 0x7f, sizeof back);
            ck_assert_int_eq(tlpu_unpack3(got, size, n, back), TLPU_OK);
            assert_trits(back, t, n, "unpack3");
            ck_assert_int_eq(back[n], 0x7f);
        }
    }
}
END_TEST

/* Bytes 0..242 are the 243 patterns (trit 0 least significant); 243..255 are invalid. */
START_TEST(pack3_every_byte)
{
    for (unsigned byte = 0; byte < 256; byte++) {
        uint8_t in = (uint8_t)byte, again = 0;
        int8_t t[5];
        memset(t, 0x7f, sizeof t);
        tlpu_status st = tlpu_unpack3(&in, 1, 5, t);
        if (byte >= 243) {
            ck_assert_int_eq(st, TLPU_ERR_FORMAT);
            assert_all_bytes((const uint8_t *)t, 5, 0x7f, "unpack3 output on error");
            continue;
        }
        ck_assert_int_eq(st, TLPU_OK);
        for (unsigned i = 0; i < 5; i++)
            ck_assert_int_eq(t[i], k_trit_of_dev_digit[byte / k_pow3[i] % 3]);
        ck_assert_int_eq(tlpu_pack3(t, 5, &again, 1), TLPU_OK);
        ck_assert_uint_eq(again, byte);
    }
}
END_TEST

/* An invalid byte anywhere (also the partial last one) is rejected before any output. */
START_TEST(pack3_invalid_byte_anywhere)
{
    uint8_t bytes[3] = {0, 0, 0};
    int8_t out[12];
    for (size_t pos = 0; pos < 3; pos++) {
        for (unsigned bad = 243; bad < 256; bad++) {
            memset(bytes, 121, sizeof bytes); /* 121 = 11111 in base 3: all +1 */
            bytes[pos] = (uint8_t)bad;
            memset(out, 0x7f, sizeof out);
            ck_assert_int_eq(tlpu_unpack3(bytes, 3, 12, out), TLPU_ERR_FORMAT);
            assert_all_bytes((const uint8_t *)out, sizeof out, 0x7f, "unpack3 output");
        }
    }
}
END_TEST

/* The zero byte is zero trits, so a zero-padded partial byte decodes to zeros. */
START_TEST(pack3_zero_padding)
{
    const uint8_t zero = 0;
    for (size_t n = 1; n <= 5; n++) {
        int8_t t[5];
        memset(t, 0x7f, sizeof t);
        ck_assert_int_eq(tlpu_unpack3(&zero, 1, n, t), TLPU_OK);
        assert_all_bytes((const uint8_t *)t, n, 0, "unpack3 of 0x00");
    }
    const int8_t one_minus = -1;
    uint8_t b = 0xEE;
    ck_assert_int_eq(tlpu_pack3(&one_minus, 1, &b, 1), TLPU_OK);
    ck_assert_uint_eq(b, 2); /* digit 2, the four padding trits are digit 0 */
}
END_TEST

/* ---- I2_S / TQ2_0 / TQ1_0 slot patterns and random tensors ----------------- */

/*
 * 3 blocks of 128 weights. In round v, byte j of the codes gets 4-trit
 * pattern (v + j) mod 81 in its 4 weights 128b+p, +32, +64, +96: after 81
 * rounds every byte position has carried every pattern.
 */
START_TEST(i2s_every_pattern_every_byte)
{
    enum { N = 384 };
    int8_t t[N];
    for (unsigned v = 0; v < 81; v++) {
        for (size_t j = 0; j < N / 4; j++)
            put_pattern((v + (unsigned)j) % 81, 4, t + 128 * (j / 32) + j % 32, 32);
        check_i2s(t, N, 0.25f * (float)(v + 1), "i2s pattern");
    }
}
END_TEST

START_TEST(i2s_random_tensors)
{
    static const size_t sizes[] = {128, 256, 640, 4096};
    static int8_t t[MAX_N];
    tlpu_rng r = tlpu_rng_seed(202);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int rep = 0; rep < 4; rep++) {
            random_trits(&r, t, sizes[k]);
            check_i2s(t, sizes[k], tlpu_rng_gauss(&r), "i2s random");
        }
    }
}
END_TEST

/* Decoding with scale == NULL still returns the trits. */
START_TEST(i2s_decode_scale_optional)
{
    int8_t t[128], back[128];
    uint8_t buf[64];
    tlpu_rng r = tlpu_rng_seed(203);
    random_trits(&r, t, 128);
    ck_assert_int_eq(tlpu_i2s_encode(t, 128, 1.5f, buf, sizeof buf), TLPU_OK);
    ck_assert_int_eq(tlpu_i2s_decode(buf, sizeof buf, 128, back, NULL), TLPU_OK);
    assert_trits(back, t, 128, "i2s decode without scale");
}
END_TEST

/* Round v: qs[j] of block b gets 4-trit pattern (v + j + 64b) mod 81. */
START_TEST(tq2_every_pattern_every_byte)
{
    enum { N = 512 };
    int8_t t[N];
    for (unsigned v = 0; v < 81; v++) {
        uint16_t d[N / 256];
        for (size_t b = 0; b < N / 256; b++) {
            for (size_t j = 0; j < 64; j++)
                put_pattern((v + (unsigned)(j + 64 * b)) % 81, 4,
                            t + 256 * b + 128 * (j / 32) + j % 32, 32);
            d[b] = (uint16_t)(0x3C00u + 37u * v + b); /* distinct per block */
        }
        check_tq(&k_tq2, t, N, d);
    }
}
END_TEST

/*
 * Round v: qs[m] gets 5-trit pattern (v + m) mod 243 in weights m + 32k,
 * qs[32+m] gets (v + 32 + m) mod 243 in 160 + m + 16k, qh[j] gets 4-trit
 * (v + j) mod 81 in 240 + j + 4k (second block: shifted by 100).
 */
START_TEST(tq1_every_pattern_every_byte)
{
    enum { N = 512 };
    int8_t t[N];
    for (unsigned v = 0; v < 243; v++) {
        uint16_t d[N / 256];
        for (size_t b = 0; b < N / 256; b++) {
            int8_t *tb = t + 256 * b;
            unsigned u = v + 100u * (unsigned)b;
            for (size_t m = 0; m < 32; m++)
                put_pattern((u + (unsigned)m) % 243, 5, tb + m, 32);
            for (size_t m = 0; m < 16; m++)
                put_pattern((u + 32u + (unsigned)m) % 243, 5, tb + 160 + m, 16);
            for (size_t j = 0; j < 4; j++)
                put_pattern((u + (unsigned)j) % 81, 4, tb + 240 + j, 4);
            d[b] = (uint16_t)(0x2000u + 41u * v + b);
        }
        check_tq(&k_tq1, t, N, d);
    }
}
END_TEST

/* Runs for both TQ formats: _i = 0 is TQ2_0, 1 is TQ1_0. */
START_TEST(tq_random_tensors)
{
    static const size_t sizes[] = {256, 768, 2560, 4096};
    static int8_t t[MAX_N];
    uint16_t d[MAX_N / 256];
    tlpu_rng r = tlpu_rng_seed(204);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (int rep = 0; rep < 4; rep++) {
            random_trits(&r, t, sizes[k]);
            for (size_t b = 0; b < sizes[k] / 256; b++) /* finite, either sign */
                d[b] = (uint16_t)(tlpu_rng_next(&r) & 0xFBFFu);
            check_tq(k_tqs[_i], t, sizes[k], d);
        }
    }
}
END_TEST

/* ---- byte vectors worked out by hand --------------------------------------- */

START_TEST(hand_pack2_pack3)
{
    /* PACK2 [+1,-1,0,+1 | -1]: 1 | 2<<2 | 0<<4 | 1<<6 = 0x49; then 2 and padding = 0x02. */
    const int8_t t[6] = {+1, -1, 0, +1, -1, +1};
    const uint8_t want2[2] = {0x49, 0x02};
    /* PACK3 [+1,-1,0,+1,-1 | +1]: 1 + 2*3 + 0*9 + 1*27 + 2*81 = 196 = 0xC4; then 0x01. */
    const uint8_t want3[2] = {0xC4, 0x01};
    /* PACK3 five -1: 2*(1+3+9+27+81) = 242 = 0xF2, the largest valid byte. */
    const int8_t m5[5] = {-1, -1, -1, -1, -1};
    uint8_t got[2];
    ck_assert_int_eq(tlpu_pack2(t, 5, got, 2), TLPU_OK);
    assert_bytes(got, want2, 2, "pack2 hand");
    ck_assert_int_eq(tlpu_pack3(t, 6, got, 2), TLPU_OK);
    assert_bytes(got, want3, 2, "pack3 hand");
    ck_assert_int_eq(tlpu_pack3(m5, 5, got, 1), TLPU_OK);
    ck_assert_uint_eq(got[0], 0xF2);
}
END_TEST

/* Encodes a single 256-weight block with tlpu and compares with a literal. */
static void check_tq_block(const tq_api *api, const int8_t *t, uint16_t d, const uint8_t *want)
{
    uint8_t got[66];
    int8_t back[256];
    uint16_t dback = 0;
    ck_assert_int_eq(api->encode(t, 256, &d, got, api->block_bytes), TLPU_OK);
    assert_bytes(got, want, api->block_bytes, api->name);
    ck_assert_int_eq(api->decode(want, api->block_bytes, 256, back, &dback), TLPU_OK);
    assert_trits(back, t, 256, api->name);
    ck_assert_uint_eq(dback, d);
}

/*
 * TQ2_0: weight w = 128h + 32j + m lives in bits [2j+1:2j] of qs[32h+m];
 * code = trit + 1. All zeros: code 1 in every field = 0b01010101 = 0x55.
 *   w =   0 (h0 j0 m0)  = +1: qs[0]  bits 1:0 = 10 -> 0b01010110 = 0x56
 *   w =  33 (h0 j1 m1)  = +1: qs[1]  bits 3:2 = 10 -> 0b01011001 = 0x59
 *   w =  98 (h0 j3 m2)  = +1: qs[2]  bits 7:6 = 10 -> 0b10010101 = 0x95
 *   w = 130 (h1 j0 m2)  = -1: qs[34] bits 1:0 = 00 -> 0b01010100 = 0x54
 *   w = 160 (h1 j1 m0)  = +1: qs[32] bits 3:2 = 10 -> 0x59
 *   w = 255 (h1 j3 m31) = +1: qs[63] bits 7:6 = 10 -> 0x95
 * d = 0x1234 little-endian at bytes 64, 65: 0x34 0x12.
 */
START_TEST(hand_tq2)
{
    static const uint8_t want[66] = {
        0x56, 0x59, 0x95, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x55, /* qs[0..31] */
        0x59, 0x55, 0x54, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x55, 0x55, 0x55, 0x95, /* qs[32..63] */
        0x34, 0x12};            /* d */
    int8_t t[256] = {0};
    t[0] = t[33] = t[98] = t[160] = t[255] = +1;
    t[130] = -1;
    check_tq_block(&k_tq2, t, 0x1234, want);

    /* All zero: 64 x 0x55; all +1: code 2 everywhere = 0xAA; all -1: 0x00. */
    uint8_t flat[66];
    memset(flat, 0x55, 64);
    put_le16(flat + 64, 0x3C00);
    memset(t, 0, sizeof t);
    check_tq_block(&k_tq2, t, 0x3C00, flat);
    memset(flat, 0xAA, 64);
    memset(t, 1, sizeof t);
    check_tq_block(&k_tq2, t, 0x3C00, flat);
    memset(flat, 0x00, 64);
    memset(t, -1, sizeof t);
    check_tq_block(&k_tq2, t, 0x3C00, flat);
}
END_TEST

/*
 * TQ1_0: byte = (q*256 + 242) / 243 with q = sum_k c_k 3^(4-k), c = trit + 1.
 * All zero (c = 1): qs: q = 81+27+9+3+1 = 121 -> 31218/243 = 128 -> 0x80;
 *                   qh: q = (27+9+3+1)*3 = 120 -> 30962/243 = 127 -> 0x7F.
 * Single nonzeros (every other weight 0):
 *   w=0   = +1: qs[0],  k=0: q = 2*81+40 = 202  -> 51954/243 = 213 -> 0xD5
 *   w=65  = -1: qs[1],  k=2: q = 81+27+0+3+1 = 112 -> 28914/243 = 118 -> 0x76
 *   w=176 = -1: qs[32], k=1: q = 81+0+9+3+1 = 94 -> 24306/243 = 100 -> 0x64
 *   w=239 = +1: qs[47], k=4: q = 81+27+9+3+2 = 122 -> 31474/243 = 129 -> 0x81
 *   w=240 = -1: qh[0],  k=0: q = (0+9+3+1)*3 = 39 -> 10226/243 = 42 -> 0x2A
 *   w=255 = +1: qh[3],  k=3: q = (27+9+3+2)*3 = 123 -> 31730/243 = 130 -> 0x82
 * All +1: qs q = 242 -> 62194/243 = 255 -> 0xFF; qh q = 240 -> 61682/243 = 253 -> 0xFD.
 * All -1: q = 0 -> 0x00.
 */
START_TEST(hand_tq1)
{
    uint8_t want[54];
    int8_t t[256] = {0};

    memset(want, 0x80, 48);
    memset(want + 48, 0x7F, 4);
    want[52] = 0x00, want[53] = 0x3C; /* d = 0x3C00 */
    check_tq_block(&k_tq1, t, 0x3C00, want);

    t[0] = +1; /* a single nonzero */
    want[0] = 0xD5;
    check_tq_block(&k_tq1, t, 0x3C00, want);

    t[65] = -1, t[176] = -1, t[239] = +1, t[240] = -1, t[255] = +1;
    want[1] = 0x76, want[32] = 0x64, want[47] = 0x81, want[48] = 0x2A, want[51] = 0x82;
    want[52] = 0xCD, want[53] = 0xAB; /* d = 0xABCD */
    check_tq_block(&k_tq1, t, 0xABCD, want);

    memset(t, 1, sizeof t);
    memset(want, 0xFF, 48);
    memset(want + 48, 0xFD, 4);
    check_tq_block(&k_tq1, t, 0xABCD, want);
    memset(t, -1, sizeof t);
    memset(want, 0x00, 52);
    check_tq_block(&k_tq1, t, 0xABCD, want);
}
END_TEST

/* Encodes n weights as I2_S and compares with a literal of n/4 + 32 bytes. */
static void check_i2s_literal(const int8_t *t, size_t n, float scale, const uint8_t *want)
{
    uint8_t got[96];
    int8_t back[256];
    float s = 0.0f;
    memset(got, 0xAA, sizeof got);
    ck_assert_int_eq(tlpu_i2s_encode(t, n, scale, got, n / 4 + 32), TLPU_OK);
    assert_bytes(got, want, n / 4 + 32, "i2s hand");
    ck_assert_int_eq(tlpu_i2s_decode(want, n / 4 + 32, n, back, &s), TLPU_OK);
    assert_trits(back, t, n, "i2s hand decode");
    ck_assert_uint_eq(f32_bits(s), f32_bits(scale));
}

/*
 * I2_S, 128 weights: byte p holds weights p, p+32, p+64, p+96 in bits 7:6,
 * 5:4, 3:2, 1:0; code = trit + 1. All zero: 0b01010101 = 0x55.
 *   w=0   = +1: byte 0  bits 7:6 = 10 -> 0b10010101 = 0x95
 *   w=33  = +1: byte 1  bits 5:4 = 10 -> 0b01100101 = 0x65
 *   w=66  = -1: byte 2  bits 3:2 = 00 -> 0b01010001 = 0x51
 *   w=31 = -1 and w=127 = -1: byte 31 bits 7:6 and 1:0 = 00 -> 0b00010100 = 0x14
 * Scale 0.4375f = 0x3EE00000 little-endian at bytes 32..35: 00 00 E0 3E,
 * then 28 zero bytes.
 */
START_TEST(hand_i2s)
{
    uint8_t want[96];
    int8_t t[256] = {0};

    memset(want, 0x55, 32);
    memcpy(want + 32, "\x00\x00\xE0\x3E", 4);
    memset(want + 36, 0, 28);
    check_i2s_literal(t, 128, 0.4375f, want); /* all zero */

    t[0] = +1;
    want[0] = 0x95;
    check_i2s_literal(t, 128, 0.4375f, want); /* weight 0 = +1 */

    t[33] = +1, t[66] = -1, t[31] = -1, t[127] = -1;
    want[1] = 0x65, want[2] = 0x51, want[31] = 0x14;
    check_i2s_literal(t, 128, 0.4375f, want);

    /* 256 weights, only w=128 = +1: byte 32 = 0x95; scale 1.0f = 00 00 80 3F at 64..67. */
    memset(t, 0, sizeof t);
    t[128] = +1;
    memset(want, 0x55, 64);
    want[32] = 0x95;
    memcpy(want + 64, "\x00\x00\x80\x3F", 4);
    memset(want + 68, 0, 28);
    check_i2s_literal(t, 256, 1.0f, want);

    /* All +1: 0b10101010 = 0xAA; all -1: 0x00. Scale -2.0f = 0xC0000000 (stored as given). */
    memset(t, 1, 128);
    memset(want, 0xAA, 32);
    memcpy(want + 32, "\x00\x00\x00\xC0", 4);
    memset(want + 36, 0, 28);
    check_i2s_literal(t, 128, -2.0f, want);
    memset(t, -1, 128);
    memset(want, 0x00, 32);
    check_i2s_literal(t, 128, -2.0f, want);
}
END_TEST

/* ---- quantizer rules on hand-made inputs ------------------------------------- */

/*
 * quantize_i2_s: scale = max|x| = 3; code 1 if |x| < 1e-6, else 2 if
 * x*scale > 0, else 0. (double)1e-6f = 9.99999997e-7 < 1e-6 -> 0; the next
 * float up (1.00000011e-6) is not.
 *   x0 = -3    -> -1: byte 0 = 0b00010101 = 0x15
 *   x1 = 2     -> +1: byte 1 = 0x95
 *   x2 = 5e-7  ->  0: byte 2 = 0x55
 *   x3 = 1e-6f ->  0: byte 3 = 0x55
 *   x4 = next(1e-6f) -> +1: byte 4 = 0x95;  x5 = -x4 -> -1: byte 5 = 0x15
 *   x6 = -0.0  ->  0; x96 = 0.001 -> +1: byte 0 bits 1:0 = 10 -> 0x16
 * Scale 3.0f = 0x40400000: 00 00 40 40.
 */
START_TEST(i2s_quantize_rule)
{
    float x[128] = {0};
    x[0] = -3.0f, x[1] = 2.0f, x[2] = 5e-7f, x[3] = 1e-6f;
    x[4] = nextafterf(1e-6f, 1.0f), x[5] = -x[4], x[6] = -0.0f, x[96] = 0.001f;
    uint8_t want[64], got[64];
    memset(want, 0x55, 32);
    want[0] = 0x16, want[1] = 0x95, want[4] = 0x95, want[5] = 0x15;
    memcpy(want + 32, "\x00\x00\x40\x40", 4);
    memset(want + 36, 0, 28);
    memset(got, 0xAA, sizeof got);
    ck_assert_int_eq(tlpu_i2s_quantize(x, 128, got, sizeof got), TLPU_OK);
    assert_bytes(got, want, sizeof want, "i2s quantize");

    /* All zero input: scale 0, all codes 1. */
    memset(x, 0, sizeof x);
    memset(want, 0x55, 32);
    memset(want + 32, 0, 32);
    ck_assert_int_eq(tlpu_i2s_quantize(x, 128, got, sizeof got), TLPU_OK);
    assert_bytes(got, want, sizeof want, "i2s quantize zeros");
}
END_TEST

/* Quantizes one block with tlpu, decodes, and checks the trits and d. */
static void check_tq_quantize(const tq_api *api, const float *x, const int8_t *want_t,
                              uint16_t want_d)
{
    uint8_t buf[66];
    int8_t t[256];
    uint16_t d = 0xEEEE;
    ck_assert_int_eq(api->quantize(x, 256, buf, api->block_bytes), TLPU_OK);
    ck_assert_int_eq(api->decode(buf, api->block_bytes, 256, t, &d), TLPU_OK);
    assert_trits(t, want_t, 256, api->name);
    ck_assert_uint_eq(d, want_d);
}

/*
 * ggml's rule: amax = 2, d = fp16(2.0) = 0x4000, id = 0.5,
 * trit = lroundf(x * 0.5) (ties away from zero):
 *   1.0 -> 0.5 -> +1;  -1.0 -> -0.5 -> -1;  0.99 -> 0.495 -> 0;  -0.99 -> 0;
 *   1.5 -> 0.75 -> +1;  -2 -> -1;  -0.0 -> 0.
 * Block of amax 0.3: d = fp16(0.3) = 0x34CD (0.3 = 1.2 * 2^-2; mantissa
 * 0.2 * 1024 = 204.8 -> 205 = 0xCD; exponent 13 -> 0x3400).
 * All-zero block: amax 0, id 0, d 0, trits 0.
 * Subnormal block (amax = 1e-40f, 1/amax overflows to inf): ggml on x86-64
 * gives all-zero trits and d = 0; the bytes must still be valid.
 */
START_TEST(tq_quantize_rule)
{
    const tq_api *api = k_tqs[_i];
    float x[256] = {0};
    int8_t t[256] = {0};
    x[0] = 2.0f, t[0] = +1;
    x[1] = 1.0f, t[1] = +1;
    x[2] = -1.0f, t[2] = -1;
    x[3] = 0.99f, x[4] = -0.99f, x[5] = -0.0f;
    x[200] = 1.5f, t[200] = +1;
    x[255] = -2.0f, t[255] = -1;
    check_tq_quantize(api, x, t, 0x4000);

    memset(x, 0, sizeof x);
    memset(t, 0, sizeof t);
    x[17] = -0.3f, t[17] = -1;
    x[18] = 0.16f, t[18] = +1; /* 0.533 -> +1 */
    x[19] = 0.14f;             /* 0.467 -> 0 */
    check_tq_quantize(api, x, t, 0x34CD);

    memset(x, 0, sizeof x);
    memset(t, 0, sizeof t);
    check_tq_quantize(api, x, t, 0x0000);

    x[0] = 1e-40f, x[1] = -1e-40f, x[2] = 5e-41f;
    check_tq_quantize(api, x, t, 0x0000);
}
END_TEST

/* ---- error paths: the named status and untouched outputs ---------------------- */

#define CANARY 0xA5u
#define ERR_N 512

/* Every output of every call below points into these; all start as canaries. */
static struct outputs {
    uint8_t bytes[2 * ERR_N];
    int8_t trits[2 * ERR_N];
    float y[2 * ERR_N];
    uint16_t d[8];
    float scale;
} g_out;

static void outputs_reset(void) { memset(&g_out, CANARY, sizeof g_out); }

static void outputs_check(const char *call)
{
    assert_all_bytes((const uint8_t *)&g_out, sizeof g_out, CANARY, call);
}

#define EXPECT_ERR(want, call)                                                                 \
    do {                                                                                       \
        outputs_reset();                                                                       \
        ck_assert_int_eq((call), (want));                                                      \
        outputs_check(#call);                                                                  \
    } while (0)

/* Valid inputs to feed the calls that must fail for another reason. */
static int8_t g_trits_in[2 * ERR_N];
static float g_x_in[2 * ERR_N];
static uint16_t g_d_in[8];

static void inputs_reset(void)
{
    tlpu_rng r = tlpu_rng_seed(205);
    random_trits(&r, g_trits_in, 2 * ERR_N);
    for (size_t i = 0; i < 2 * ERR_N; i++)
        g_x_in[i] = tlpu_rng_gauss(&r);
    for (size_t i = 0; i < 8; i++)
        g_d_in[i] = 0x3C00;
}

START_TEST(err_pack2_pack3)
{
    inputs_reset();
    uint8_t in2[4] = {0x55, 0x55, 0x01}, in3[3] = {121, 1}; /* one spare byte each */
    int8_t *t = g_trits_in;
    /* PACK2, n = 9: 3 bytes. */
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_pack2(NULL, 9, g_out.bytes, 3));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_pack2(t, 9, NULL, 3));
    EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_pack2(t, 0, g_out.bytes, 0));
    EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_pack2(t, 0, g_out.bytes, 1));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_pack2(t, 9, g_out.bytes, 2));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_pack2(t, 9, g_out.bytes, 4));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_unpack2(NULL, 3, 9, g_out.trits));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_unpack2(in2, 3, 9, NULL));
    EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_unpack2(in2, 0, 0, g_out.trits));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_unpack2(in2, 2, 9, g_out.trits));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_unpack2(in2, 4, 9, g_out.trits));
    /* PACK3, n = 6: 2 bytes. */
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_pack3(NULL, 6, g_out.bytes, 2));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_pack3(t, 6, NULL, 2));
    EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_pack3(t, 0, g_out.bytes, 0));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_pack3(t, 6, g_out.bytes, 1));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_pack3(t, 6, g_out.bytes, 3));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_unpack3(NULL, 2, 6, g_out.trits));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_unpack3(in3, 2, 6, NULL));
    EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_unpack3(in3, 0, 0, g_out.trits));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_unpack3(in3, 1, 6, g_out.trits));
    EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_unpack3(in3, 3, 6, g_out.trits));
    /* Sanity: the same inputs are accepted with the right sizes. */
    ck_assert_int_eq(tlpu_unpack2(in2, 3, 9, g_out.trits), TLPU_OK);
    ck_assert_int_eq(tlpu_unpack3(in3, 2, 6, g_out.trits), TLPU_OK);
}
END_TEST

/* A trit of 2 or -2 (or any other value) at any position: TLPU_ERR_RANGE, nothing written. */
START_TEST(err_trit_range)
{
    static const int8_t bad[] = {2, -2, 3, 127, -128};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        static const size_t pos[] = {0, 127, 255, 511};
        for (size_t p = 0; p < sizeof pos / sizeof pos[0]; p++) {
            inputs_reset();
            g_trits_in[pos[p]] = bad[k];
            const int8_t *t = g_trits_in;
            EXPECT_ERR(TLPU_ERR_RANGE, tlpu_pack2(t, ERR_N, g_out.bytes, ERR_N / 4));
            EXPECT_ERR(TLPU_ERR_RANGE, tlpu_pack3(t, ERR_N, g_out.bytes, (ERR_N + 4) / 5));
            EXPECT_ERR(TLPU_ERR_RANGE,
                       tlpu_i2s_encode(t, ERR_N, 1.0f, g_out.bytes, ERR_N / 4 + 32));
            EXPECT_ERR(TLPU_ERR_RANGE, tlpu_tq2_encode(t, ERR_N, g_d_in, g_out.bytes, 132));
            EXPECT_ERR(TLPU_ERR_RANGE, tlpu_tq1_encode(t, ERR_N, g_d_in, g_out.bytes, 108));
        }
    }
}
END_TEST

START_TEST(err_i2s)
{
    inputs_reset();
    static uint8_t in[ERR_N / 4 + 32 + 1]; /* one spare byte for the size + 1 case */
    const int8_t *t = g_trits_in;
    const float *x = g_x_in;
    const size_t size = ERR_N / 4 + 32; /* 160 */
    ck_assert_int_eq(tlpu_i2s_encode(t, ERR_N, 1.0f, in, size), TLPU_OK);

    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_i2s_encode(NULL, ERR_N, 1.0f, g_out.bytes, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_i2s_encode(t, ERR_N, 1.0f, NULL, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_i2s_decode(NULL, size, ERR_N, g_out.trits, &g_out.scale));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_i2s_decode(in, size, ERR_N, NULL, &g_out.scale));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_i2s_quantize(NULL, ERR_N, g_out.bytes, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, tlpu_i2s_quantize(x, ERR_N, NULL, size));

    static const size_t bad_n[] = {0, 1, 64, 127, 129, 200, 384 + 1};
    for (size_t k = 0; k < sizeof bad_n / sizeof bad_n[0]; k++) {
        size_t n = bad_n[k], s = n / 4 + 32;
        EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_i2s_encode(t, n, 1.0f, g_out.bytes, s));
        EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_i2s_decode(in, s, n, g_out.trits, &g_out.scale));
        EXPECT_ERR(TLPU_ERR_SHAPE, tlpu_i2s_quantize(x, n, g_out.bytes, s));
    }
    static const size_t bad_size[] = {size - 1, size + 1, ERR_N / 4, 0};
    for (size_t k = 0; k < sizeof bad_size / sizeof bad_size[0]; k++) {
        size_t s = bad_size[k];
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_i2s_encode(t, ERR_N, 1.0f, g_out.bytes, s));
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE,
                   tlpu_i2s_decode(in, s, ERR_N, g_out.trits, &g_out.scale));
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, tlpu_i2s_quantize(x, ERR_N, g_out.bytes, s));
    }
}
END_TEST

/* Code 0b11 in any 2-bit field of any code byte: TLPU_ERR_FORMAT, no trits or scale written. */
START_TEST(err_i2s_code3)
{
    inputs_reset();
    static uint8_t in[ERR_N / 4 + 32];
    ck_assert_int_eq(tlpu_i2s_encode(g_trits_in, ERR_N, 1.0f, in, sizeof in), TLPU_OK);
    for (size_t byte = 0; byte < ERR_N / 4; byte++) {
        for (unsigned f = 0; f < 4; f++) {
            uint8_t saved = in[byte];
            in[byte] = (uint8_t)(in[byte] | 3u << (2 * f));
            EXPECT_ERR(TLPU_ERR_FORMAT,
                       tlpu_i2s_decode(in, sizeof in, ERR_N, g_out.trits, &g_out.scale));
            in[byte] = saved;
        }
    }
}
END_TEST

START_TEST(err_i2s_quantize_nonfinite)
{
    const float bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    static const size_t pos[] = {0, 200, ERR_N - 1};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        for (size_t p = 0; p < sizeof pos / sizeof pos[0]; p++) {
            inputs_reset();
            g_x_in[pos[p]] = bad[k];
            EXPECT_ERR(TLPU_ERR_NONFINITE,
                       tlpu_i2s_quantize(g_x_in, ERR_N, g_out.bytes, ERR_N / 4 + 32));
        }
    }
}
END_TEST

/* NULL, shape, buffer size and non-finite errors of one TQ format (_i: 0 = TQ2_0, 1 = TQ1_0). */
START_TEST(err_tq)
{
    const tq_api *api = k_tqs[_i];
    inputs_reset();
    static uint8_t in[2 * 66 + 1]; /* one spare byte for the size + 1 case */
    const size_t size = 2 * api->block_bytes; /* ERR_N = 512: two blocks */
    const int8_t *t = g_trits_in;
    const float *x = g_x_in;
    ck_assert_int_eq(api->encode(t, ERR_N, g_d_in, in, size), TLPU_OK);

    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->encode(NULL, ERR_N, g_d_in, g_out.bytes, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->encode(t, ERR_N, NULL, g_out.bytes, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->encode(t, ERR_N, g_d_in, NULL, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->decode(NULL, size, ERR_N, g_out.trits, g_out.d));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->decode(in, size, ERR_N, NULL, g_out.d));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->quantize(NULL, ERR_N, g_out.bytes, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->quantize(x, ERR_N, NULL, size));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->dequantize(NULL, size, ERR_N, g_out.y));
    EXPECT_ERR(TLPU_ERR_INVALID_ARG, api->dequantize(in, size, ERR_N, NULL));

    static const size_t bad_n[] = {0, 1, 128, 255, 257, 384, 511};
    for (size_t k = 0; k < sizeof bad_n / sizeof bad_n[0]; k++) {
        size_t n = bad_n[k], s = (n + 255) / 256 * api->block_bytes;
        ck_assert_uint_eq(api->size(n), 0);
        EXPECT_ERR(TLPU_ERR_SHAPE, api->encode(t, n, g_d_in, g_out.bytes, s));
        EXPECT_ERR(TLPU_ERR_SHAPE, api->decode(in, s, n, g_out.trits, g_out.d));
        EXPECT_ERR(TLPU_ERR_SHAPE, api->quantize(x, n, g_out.bytes, s));
        EXPECT_ERR(TLPU_ERR_SHAPE, api->dequantize(in, s, n, g_out.y));
    }
    const size_t bad_size[] = {size - 1, size + 1, api->block_bytes, 0};
    for (size_t k = 0; k < sizeof bad_size / sizeof bad_size[0]; k++) {
        size_t s = bad_size[k];
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, api->encode(t, ERR_N, g_d_in, g_out.bytes, s));
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, api->decode(in, s, ERR_N, g_out.trits, g_out.d));
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, api->quantize(x, ERR_N, g_out.bytes, s));
        EXPECT_ERR(TLPU_ERR_BUFFER_SIZE, api->dequantize(in, s, ERR_N, g_out.y));
    }

    const float bad[] = {NAN, INFINITY, -INFINITY};
    static const size_t pos[] = {0, 255, 256, ERR_N - 1};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        for (size_t p = 0; p < sizeof pos / sizeof pos[0]; p++) {
            inputs_reset();
            g_x_in[pos[p]] = bad[k];
            EXPECT_ERR(TLPU_ERR_NONFINITE, api->quantize(g_x_in, ERR_N, g_out.bytes, size));
        }
    }
}
END_TEST

/* TQ2_0 code 3 anywhere in qs of any block: TLPU_ERR_FORMAT from decode and dequantize. */
START_TEST(err_tq2_code3)
{
    inputs_reset();
    static uint8_t in[2 * 66];
    ck_assert_int_eq(tlpu_tq2_encode(g_trits_in, ERR_N, g_d_in, in, sizeof in), TLPU_OK);
    for (size_t b = 0; b < 2; b++) {
        for (size_t j = 0; j < 64; j++) {
            for (unsigned f = 0; f < 4; f++) {
                uint8_t *p = in + 66 * b + j, saved = *p;
                *p = (uint8_t)(*p | 3u << (2 * f));
                EXPECT_ERR(TLPU_ERR_FORMAT,
                           tlpu_tq2_decode(in, sizeof in, ERR_N, g_out.trits, g_out.d));
                EXPECT_ERR(TLPU_ERR_FORMAT, tlpu_tq2_dequantize(in, sizeof in, ERR_N, g_out.y));
                *p = saved;
            }
        }
    }
    /* The d bytes are not codes: 0xFFFF there is accepted. */
    in[64] = in[65] = 0xFF;
    ck_assert_int_eq(tlpu_tq2_decode(in, sizeof in, ERR_N, g_out.trits, g_out.d), TLPU_OK);
    ck_assert_uint_eq(g_out.d[0], 0xFFFF);
}
END_TEST

START_TEST(size_functions)
{
    static const size_t n[] = {0, 1, 127, 128, 129, 255, 256, 257, 384, 512, 1024, 4096};
    for (size_t k = 0; k < sizeof n / sizeof n[0]; k++) {
        size_t i2s = (n[k] > 0 && n[k] % 128 == 0) ? n[k] / 4 + 32 : 0;
        size_t blocks = (n[k] > 0 && n[k] % 256 == 0) ? n[k] / 256 : 0;
        ck_assert_uint_eq(tlpu_i2s_size(n[k]), i2s);
        ck_assert_uint_eq(tlpu_tq2_size(n[k]), 66 * blocks);
        ck_assert_uint_eq(tlpu_tq1_size(n[k]), 54 * blocks);
    }
    ck_assert_uint_eq(tlpu_i2s_size(128), 64);
    ck_assert_uint_eq(tlpu_tq2_size(256), 66);
    ck_assert_uint_eq(tlpu_tq1_size(256), 54);
}
END_TEST

/* ---- suite -------------------------------------------------------------------- */

static void add(Suite *s, const char *name, void (*setup)(TCase *))
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 120);
    setup(tc);
    suite_add_tcase(s, tc);
}

static void tc_pack2(TCase *tc)
{
    tcase_add_test(tc, pack2_every_pattern_every_length);
    tcase_add_test(tc, pack2_every_byte);
    tcase_add_test(tc, pack2_code3_anywhere);
    tcase_add_test(tc, pack_sizes);
}

static void tc_pack3(TCase *tc)
{
    tcase_add_test(tc, pack3_every_pattern_every_length);
    tcase_add_test(tc, pack3_every_byte);
    tcase_add_test(tc, pack3_invalid_byte_anywhere);
    tcase_add_test(tc, pack3_zero_padding);
}

static void tc_public(TCase *tc)
{
    tcase_add_test(tc, i2s_every_pattern_every_byte);
    tcase_add_test(tc, i2s_random_tensors);
    tcase_add_test(tc, i2s_decode_scale_optional);
    tcase_add_test(tc, tq2_every_pattern_every_byte);
    tcase_add_test(tc, tq1_every_pattern_every_byte);
    tcase_add_loop_test(tc, tq_random_tensors, 0, 2);
}

static void tc_hand(TCase *tc)
{
    tcase_add_test(tc, hand_pack2_pack3);
    tcase_add_test(tc, hand_tq2);
    tcase_add_test(tc, hand_tq1);
    tcase_add_test(tc, hand_i2s);
}

static void tc_quantize(TCase *tc)
{
    tcase_add_test(tc, i2s_quantize_rule);
    tcase_add_loop_test(tc, tq_quantize_rule, 0, 2);
}

static void tc_errors(TCase *tc)
{
    tcase_add_test(tc, err_pack2_pack3);
    tcase_add_test(tc, err_trit_range);
    tcase_add_test(tc, err_i2s);
    tcase_add_test(tc, err_i2s_code3);
    tcase_add_test(tc, err_i2s_quantize_nonfinite);
    tcase_add_loop_test(tc, err_tq, 0, 2);
    tcase_add_test(tc, err_tq2_code3);
    tcase_add_test(tc, size_functions);
}

int main(void)
{
    Suite *s = suite_create("pack");
    add(s, "pack2", tc_pack2);
    add(s, "pack3", tc_pack3);
    add(s, "public_layouts", tc_public);
    add(s, "hand_vectors", tc_hand);
    add(s, "quantize_rules", tc_quantize);
    add(s, "errors", tc_errors);
    return test_run_suite(s);
}
