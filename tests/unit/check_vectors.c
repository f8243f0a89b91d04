/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_vectors - tlpu's TQ1_0, TQ2_0 and I2_S code against the bytes that
 * ggml and bitnet.cpp themselves wrote (tests/data/vectors, see its README):
 *
 *  - the quantizers reproduce the .tq1_0 / .tq2_0 / .i2_s files byte for byte;
 *  - dequantization reproduces the .deq.f32 files bit for bit (-0.0 included);
 *  - decode + encode gives the files' bytes back;
 *  - I2_S decode gives trits * scale == the .ternary.f32 input, and ignores
 *    the 28 unused tail bytes;
 *  - the facts the README states about particular vectors.
 *
 * The files are little-endian; values are read and compared as bytes.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/fp.h"
#include "tlpu/pack.h"

/* ---- the vectors -------------------------------------------------------- */

typedef struct tq_vector {
    const char *name;
    size_t rows, cols;
} tq_vector;

static const tq_vector k_tq_vectors[] = {
    {"t1x256_gauss", 1, 256},   {"t3x512_gauss", 3, 512},   {"t2x1024_zeros", 2, 1024},
    {"t7x256_outlier", 7, 256}, {"t4x256_ties", 4, 256},    {"t1x512_tiny", 1, 512},
    {"t2x256_ternary", 2, 256},
};
#define N_TQ_VECTORS (int)(sizeof k_tq_vectors / sizeof k_tq_vectors[0])

typedef struct i2s_vector {
    const char *name;
    size_t rows, cols;
    uint32_t scale_bits; /* s from the README's table */
} i2s_vector;

static const i2s_vector k_i2s_vectors[] = {
    {"i2s_1x128", 1, 128, 0x3EE00000u},
    {"i2s_4x256", 4, 256, 0x3C4985F0u},
    {"i2s_16x384", 16, 384, 0x3FD9999Au},
    {"i2s_2x128_pattern", 2, 128, 0x3F800000u},
};
#define N_I2S_VECTORS (int)(sizeof k_i2s_vectors / sizeof k_i2s_vectors[0])

/* ---- the two TQ formats --------------------------------------------------- */

typedef struct tq_api {
    const char *ext; /* file extension */
    size_t block_bytes, d_offset;
    size_t (*size)(size_t);
    tlpu_status (*encode)(const int8_t *, size_t, const uint16_t *, uint8_t *, size_t);
    tlpu_status (*decode)(const uint8_t *, size_t, size_t, int8_t *, uint16_t *);
    tlpu_status (*quantize)(const float *, size_t, uint8_t *, size_t);
    tlpu_status (*dequantize)(const uint8_t *, size_t, size_t, float *);
} tq_api;

static const tq_api k_tq2 = {.ext = "tq2_0", .block_bytes = 66, .d_offset = 64,
                             .size = tlpu_tq2_size, .encode = tlpu_tq2_encode,
                             .decode = tlpu_tq2_decode, .quantize = tlpu_tq2_quantize,
                             .dequantize = tlpu_tq2_dequantize};
static const tq_api k_tq1 = {.ext = "tq1_0", .block_bytes = 54, .d_offset = 52,
                             .size = tlpu_tq1_size, .encode = tlpu_tq1_encode,
                             .decode = tlpu_tq1_decode, .quantize = tlpu_tq1_quantize,
                             .dequantize = tlpu_tq1_dequantize};
static const tq_api *const k_tqs[2] = {&k_tq2, &k_tq1};

/* ---- helpers ------------------------------------------------------------ */

typedef struct blob {
    uint8_t *p;
    size_t size;
} blob;

/* Loads vectors/<name><suffix>; checks the size when `want_size` is nonzero. */
static blob load(const char *name, const char *suffix, size_t want_size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "vectors/%s%s", name, suffix);
    blob b;
    b.p = test_read_file(rel, &b.size);
    if (want_size)
        ck_assert_msg(b.size == want_size, "%s has %zu bytes, expected %zu", rel, b.size,
                      want_size);
    return b;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

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

/* The little-endian f32 file as floats (malloc'd). */
static float *f32_array(const blob *b)
{
    ck_assert_uint_eq(b->size % 4, 0);
    float *x = malloc(b->size / 4 * sizeof *x + 1);
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < b->size / 4; i++)
        x[i] = bits_f32(le32(b->p + 4 * i));
    return x;
}

/* Fails with the first differing byte. One assertion per call (they are slow in loops). */
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

/* Compares floats with the little-endian f32 bytes of a file, bit for bit. */
static void assert_f32_bits(const float *got, const uint8_t *want_le, size_t n, const char *what)
{
    size_t i = 0;
    while (i < n && f32_bits(got[i]) == le32(want_le + 4 * i))
        i++;
    ck_assert_msg(i == n, "%s: value %zu has bits 0x%08x, expected 0x%08x", what, i,
                  i < n ? f32_bits(got[i]) : 0, i < n ? le32(want_le + 4 * i) : 0);
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Loads vectors/<name>.<ext><tail>: the TQ file (tail "") or its .deq.f32 (tail ".deq.f32"). */
static blob load_tq(const tq_vector *v, const tq_api *api, const char *tail)
{
    size_t n = v->rows * v->cols;
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".%s%s", api->ext, tail);
    return load(v->name, suffix, *tail ? 4 * n : api->size(n));
}

/* A decoded TQ file: trits and the per-block d. */
typedef struct tq_decoded {
    size_t n;
    int8_t *t;
    uint16_t *d;
} tq_decoded;

static tq_decoded tq_decode_file(const tq_api *api, const tq_vector *v)
{
    tq_decoded r;
    r.n = v->rows * v->cols;
    blob file = load_tq(v, api, "");
    r.t = xmalloc(r.n);
    r.d = xmalloc(r.n / 256 * sizeof *r.d);
    ck_assert_int_eq(api->decode(file.p, file.size, r.n, r.t, r.d), TLPU_OK);
    free(file.p);
    return r;
}

static void tq_decoded_free(tq_decoded *r)
{
    free(r->t);
    free(r->d);
}

/* _i of the TQ loop tests: vector index * 2 + format (0 = TQ2_0, 1 = TQ1_0). */
#define TQ_LOOP_END (2 * N_TQ_VECTORS)

/* ---- TQ1_0 / TQ2_0 against the files ---------------------------------------- */

START_TEST(tq_quantize_matches_file)
{
    const tq_vector *v = &k_tq_vectors[_i / 2];
    const tq_api *api = k_tqs[_i % 2];
    size_t n = v->rows * v->cols, size = api->size(n);
    blob in = load(v->name, ".f32", 4 * n);
    blob want = load_tq(v, api, "");
    float *x = f32_array(&in);
    uint8_t *got = xmalloc(size);
    memset(got, 0xAA, size);
    ck_assert_int_eq(api->quantize(x, n, got, size), TLPU_OK);
    assert_bytes(got, want.p, size, v->name);
    free(got);
    free(x);
    free(want.p);
    free(in.p);
}
END_TEST

START_TEST(tq_dequantize_matches_file)
{
    const tq_vector *v = &k_tq_vectors[_i / 2];
    const tq_api *api = k_tqs[_i % 2];
    size_t n = v->rows * v->cols, size = api->size(n);
    blob in = load_tq(v, api, "");
    blob want = load_tq(v, api, ".deq.f32");
    float *y = xmalloc(n * sizeof *y);
    ck_assert_int_eq(api->dequantize(in.p, size, n, y), TLPU_OK);
    assert_f32_bits(y, want.p, n, v->name);
    free(y);
    free(want.p);
    free(in.p);
}
END_TEST

/* Decode gives trits and d; encoding them again gives the file back. */
START_TEST(tq_decode_encode_roundtrip)
{
    const tq_vector *v = &k_tq_vectors[_i / 2];
    const tq_api *api = k_tqs[_i % 2];
    size_t n = v->rows * v->cols, size = api->size(n);
    blob file = load_tq(v, api, "");
    tq_decoded dec = tq_decode_file(api, v);
    for (size_t b = 0; b < n / 256; b++) /* d as stored */
        ck_assert_uint_eq(dec.d[b], le16(file.p + b * api->block_bytes + api->d_offset));
    uint8_t *again = xmalloc(size);
    memset(again, 0xAA, size);
    ck_assert_int_eq(api->encode(dec.t, n, dec.d, again, size), TLPU_OK);
    assert_bytes(again, file.p, size, v->name);
    free(again);
    tq_decoded_free(&dec);
    free(file.p);
}
END_TEST

/*
 * Both ggml quantizers produce the same trits and d, so both files decode
 * alike, both .deq.f32 files are identical, and the trits are
 * lroundf(x / amax) of the input.
 */
START_TEST(tq_formats_agree)
{
    const tq_vector *v = &k_tq_vectors[_i];
    size_t n = v->rows * v->cols;
    tq_decoded d2 = tq_decode_file(&k_tq2, v), d1 = tq_decode_file(&k_tq1, v);
    assert_trits(d1.t, d2.t, n, v->name);
    for (size_t b = 0; b < n / 256; b++)
        ck_assert_uint_eq(d1.d[b], d2.d[b]);
    blob deq2 = load_tq(v, &k_tq2, ".deq.f32"), deq1 = load_tq(v, &k_tq1, ".deq.f32");
    assert_bytes(deq1.p, deq2.p, 4 * n, "deq files");

    /* The ggml rule, written out once more: d = fp16(amax), t = lroundf(x * (1/amax)). */
    blob in = load(v->name, ".f32", 4 * n);
    float *x = f32_array(&in);
    for (size_t b = 0; b < n / 256; b++) {
        float amax = 0.0f;
        for (size_t w = 0; w < 256; w++)
            amax = fmaxf(amax, fabsf(x[256 * b + w]));
        ck_assert_uint_eq(d2.d[b], tlpu_f32_to_f16(amax));
        float id = amax != 0.0f ? 1.0f / amax : 0.0f;
        int8_t want[256];
        for (size_t w = 0; w < 256; w++)
            want[w] = (int8_t)lroundf(x[256 * b + w] * id);
        assert_trits(d2.t + 256 * b, want, 256, v->name);
    }
    free(x);
    free(in.p);
    free(deq1.p);
    free(deq2.p);
    tq_decoded_free(&d1);
    tq_decoded_free(&d2);
}
END_TEST

/* ---- facts the README states about particular TQ vectors ------------------- */

static const tq_vector *tq_vector_named(const char *name)
{
    for (int i = 0; i < N_TQ_VECTORS; i++)
        if (strcmp(k_tq_vectors[i].name, name) == 0)
            return &k_tq_vectors[i];
    ck_abort_msg("no vector %s", name);
    return NULL;
}

static size_t count_trits(const int8_t *t, size_t n, int8_t value)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += t[i] == value;
    return c;
}

/* Row 3: d = fp16(4100) = 0x6C01; x[3][100] = -4099.3f -> -1 -> -4100.0; the rest 0. */
START_TEST(fact_outlier)
{
    const tq_vector *v = tq_vector_named("t7x256_outlier");
    const tq_api *api = k_tqs[_i];
    blob file = load_tq(v, api, "");
    ck_assert_uint_eq(le16(file.p + 3 * api->block_bytes + api->d_offset), 0x6C01);
    blob in = load(v->name, ".f32", 4 * 7 * 256);
    ck_assert_uint_eq(le32(in.p + 4 * (3 * 256 + 100)), f32_bits(-4099.2998046875f));
    tq_decoded dec = tq_decode_file(api, v);
    ck_assert_uint_eq(dec.d[3], 0x6C01);
    for (size_t w = 0; w < 256; w++)
        if (dec.t[3 * 256 + w] != (w == 100 ? -1 : 0))
            ck_abort_msg("row 3 trit %zu is %d", w, dec.t[3 * 256 + w]);
    blob deq = load_tq(v, api, ".deq.f32");
    ck_assert_uint_eq(le32(deq.p + 4 * (3 * 256 + 100)), f32_bits(-4100.0f));
    tq_decoded_free(&dec);
    free(deq.p);
    free(in.p);
    free(file.p);
}
END_TEST

/* Block 0: d = 0x0002 (fp16 subnormal); block 1: d = 0 with 7 trits -1 and 6 +1, all deq 0. */
START_TEST(fact_tiny)
{
    const tq_vector *v = tq_vector_named("t1x512_tiny");
    const tq_api *api = k_tqs[_i];
    tq_decoded dec = tq_decode_file(api, v);
    ck_assert_uint_eq(dec.d[0], 0x0002);
    ck_assert_uint_eq(dec.d[1], 0x0000);
    ck_assert_uint_eq(count_trits(dec.t + 256, 256, -1), 7);
    ck_assert_uint_eq(count_trits(dec.t + 256, 256, +1), 6);
    float y[512];
    blob file = load_tq(v, api, "");
    ck_assert_int_eq(api->dequantize(file.p, file.size, 512, y), TLPU_OK);
    for (size_t w = 256; w < 512; w++) { /* -1 * 0 = -0.0, as ggml computes it */
        uint32_t want = dec.t[w] < 0 ? 0x80000000u : 0u;
        if (f32_bits(y[w]) != want)
            ck_abort_msg("y[%zu] has bits 0x%08x, expected 0x%08x", w, f32_bits(y[w]), want);
    }
    tq_decoded_free(&dec);
    free(file.p);
}
END_TEST

/* Exactly one all-zero block (row 1, block 2 = flat block 6) with d = 0; 604 +0.0, 49 -0.0. */
START_TEST(fact_zeros)
{
    const tq_vector *v = tq_vector_named("t2x1024_zeros");
    const tq_api *api = k_tqs[_i];
    tq_decoded dec = tq_decode_file(api, v);
    size_t zero_blocks = 0;
    for (size_t b = 0; b < 8; b++) {
        int all_zero = count_trits(dec.t + 256 * b, 256, 0) == 256;
        ck_assert_int_eq(all_zero, b == 6);
        ck_assert_int_eq(dec.d[b] == 0, b == 6);
        zero_blocks += (size_t)all_zero;
    }
    ck_assert_uint_eq(zero_blocks, 1);
    blob in = load(v->name, ".f32", 4 * 2048);
    size_t pos = 0, neg = 0;
    for (size_t i = 0; i < 2048; i++) {
        uint32_t u = le32(in.p + 4 * i);
        pos += u == 0u;
        neg += u == 0x80000000u;
    }
    ck_assert_uint_eq(pos, 604);
    ck_assert_uint_eq(neg, 49);
    tq_decoded_free(&dec);
    free(in.p);
}
END_TEST

/* Every block has d = fp16(2) = 0x4000; the 228 inputs at +-1.0 (x*id = +-0.5) round to +-1. */
START_TEST(fact_ties)
{
    const tq_vector *v = tq_vector_named("t4x256_ties");
    const tq_api *api = k_tqs[_i];
    tq_decoded dec = tq_decode_file(api, v);
    blob in = load(v->name, ".f32", 4 * 1024);
    float *x = f32_array(&in);
    size_t ties = 0;
    for (size_t b = 0; b < 4; b++)
        ck_assert_uint_eq(dec.d[b], 0x4000);
    for (size_t i = 0; i < 1024; i++) {
        if (fabsf(x[i]) == 1.0f) {
            ties++;
            ck_assert_int_eq(dec.t[i], x[i] > 0 ? 1 : -1);
        }
    }
    ck_assert_uint_eq(ties, 228);
    free(x);
    free(in.p);
    tq_decoded_free(&dec);
}
END_TEST

/* Row 0 (t * 0.4375) round-trips exactly with d = 0x3700; row 1 has d = 0x224C. */
START_TEST(fact_ternary)
{
    const tq_vector *v = tq_vector_named("t2x256_ternary");
    const tq_api *api = k_tqs[_i];
    tq_decoded dec = tq_decode_file(api, v);
    ck_assert_uint_eq(dec.d[0], 0x3700);
    ck_assert_uint_eq(dec.d[1], 0x224C);
    ck_assert_uint_eq(f32_bits(tlpu_f16_to_f32(0x224C)), f32_bits(0.012298583984375f));
    blob in = load(v->name, ".f32", 4 * 512);
    blob deq = load_tq(v, api, ".deq.f32");
    assert_bytes(deq.p, in.p, 4 * 256, "row 0 dequantized == input");
    tq_decoded_free(&dec);
    free(deq.p);
    free(in.p);
}
END_TEST

/* ---- I2_S against the files --------------------------------------------------- */

typedef struct i2s_files {
    size_t n, size;
    blob x, bytes;
} i2s_files;

static i2s_files i2s_load(int i)
{
    const i2s_vector *v = &k_i2s_vectors[i];
    i2s_files f;
    f.n = v->rows * v->cols;
    f.size = tlpu_i2s_size(f.n);
    ck_assert_uint_eq(f.size, f.n / 4 + 32);
    f.x = load(v->name, ".ternary.f32", 4 * f.n);
    f.bytes = load(v->name, ".i2_s", f.size);
    return f;
}

static void i2s_free(i2s_files *f)
{
    free(f->x.p);
    free(f->bytes.p);
}

/* Our quantizer writes zeros in the 28 unused bytes, as the files have them. */
START_TEST(i2s_quantize_matches_file)
{
    i2s_files f = i2s_load(_i);
    float *x = f32_array(&f.x);
    uint8_t *got = xmalloc(f.size);
    memset(got, 0xAA, f.size);
    ck_assert_int_eq(tlpu_i2s_quantize(x, f.n, got, f.size), TLPU_OK);
    assert_bytes(got, f.bytes.p, f.size, k_i2s_vectors[_i].name);
    for (size_t i = f.n / 4 + 4; i < f.size; i++)
        ck_assert_uint_eq(f.bytes.p[i], 0);
    free(got);
    free(x);
    i2s_free(&f);
}
END_TEST

/* Decode: the README's scale, trits * scale == the input bit for bit, and re-encode == file. */
START_TEST(i2s_decode_matches_input)
{
    i2s_files f = i2s_load(_i);
    const i2s_vector *v = &k_i2s_vectors[_i];
    int8_t *t = xmalloc(f.n);
    float scale = 0.0f, *w = xmalloc(f.n * sizeof *w);
    ck_assert_int_eq(tlpu_i2s_decode(f.bytes.p, f.size, f.n, t, &scale), TLPU_OK);
    ck_assert_uint_eq(f32_bits(scale), v->scale_bits);
    ck_assert_uint_eq(f32_bits(scale), le32(f.bytes.p + f.n / 4));
    for (size_t i = 0; i < f.n; i++)
        w[i] = (float)t[i] * scale;
    assert_f32_bits(w, f.x.p, f.n, v->name);

    uint8_t *again = xmalloc(f.size);
    memset(again, 0xAA, f.size);
    ck_assert_int_eq(tlpu_i2s_encode(t, f.n, scale, again, f.size), TLPU_OK);
    assert_bytes(again, f.bytes.p, f.size, v->name);
    free(again);
    free(w);
    free(t);
    i2s_free(&f);
}
END_TEST

/* Garbage (0xAA, and 0xFF: code 3 everywhere) in the 28 unused bytes is ignored. */
START_TEST(i2s_decode_ignores_tail)
{
    static const uint8_t garbage[] = {0xAA, 0xFF};
    i2s_files f = i2s_load(_i);
    int8_t *want = xmalloc(f.n), *t = xmalloc(f.n);
    float want_scale = 0.0f;
    ck_assert_int_eq(tlpu_i2s_decode(f.bytes.p, f.size, f.n, want, &want_scale), TLPU_OK);
    for (size_t g = 0; g < sizeof garbage; g++) {
        memset(f.bytes.p + f.n / 4 + 4, garbage[g], 28);
        float scale = 0.0f;
        memset(t, 0x7f, f.n);
        ck_assert_int_eq(tlpu_i2s_decode(f.bytes.p, f.size, f.n, t, &scale), TLPU_OK);
        assert_trits(t, want, f.n, k_i2s_vectors[_i].name);
        ck_assert_uint_eq(f32_bits(scale), f32_bits(want_scale));
    }
    free(t);
    free(want);
    i2s_free(&f);
}
END_TEST

/* i2s_2x128_pattern: x[i] = (i % 3) - 1, so the trits are (i % 3) - 1 and the scale is 1. */
START_TEST(i2s_fact_pattern)
{
    int idx = 3;
    ck_assert_str_eq(k_i2s_vectors[idx].name, "i2s_2x128_pattern");
    i2s_files f = i2s_load(idx);
    int8_t t[256];
    float scale = 0.0f;
    ck_assert_int_eq(tlpu_i2s_decode(f.bytes.p, f.size, 256, t, &scale), TLPU_OK);
    ck_assert_uint_eq(f32_bits(scale), 0x3F800000u);
    for (size_t i = 0; i < 256; i++) {
        ck_assert_int_eq(t[i], (int)(i % 3) - 1);
        ck_assert_uint_eq(le32(f.x.p + 4 * i), f32_bits((float)((int)(i % 3) - 1)));
    }
    /* Byte 0 holds weights 0, 32, 64, 96: trits -1, +1, 0, -1 -> codes 00 10 01 00 = 0x24. */
    ck_assert_uint_eq(f.bytes.p[0], 0x24);
    i2s_free(&f);
}
END_TEST

/* ---- suite -------------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("vectors");

    TCase *tq = tcase_create("tq_files");
    tcase_add_loop_test(tq, tq_quantize_matches_file, 0, TQ_LOOP_END);
    tcase_add_loop_test(tq, tq_dequantize_matches_file, 0, TQ_LOOP_END);
    tcase_add_loop_test(tq, tq_decode_encode_roundtrip, 0, TQ_LOOP_END);
    tcase_add_loop_test(tq, tq_formats_agree, 0, N_TQ_VECTORS);
    suite_add_tcase(s, tq);

    TCase *facts = tcase_create("tq_readme_facts"); /* _i: 0 = TQ2_0, 1 = TQ1_0 */
    tcase_add_loop_test(facts, fact_outlier, 0, 2);
    tcase_add_loop_test(facts, fact_tiny, 0, 2);
    tcase_add_loop_test(facts, fact_zeros, 0, 2);
    tcase_add_loop_test(facts, fact_ties, 0, 2);
    tcase_add_loop_test(facts, fact_ternary, 0, 2);
    suite_add_tcase(s, facts);

    TCase *i2s = tcase_create("i2s_files");
    tcase_add_loop_test(i2s, i2s_quantize_matches_file, 0, N_I2S_VECTORS);
    tcase_add_loop_test(i2s, i2s_decode_matches_input, 0, N_I2S_VECTORS);
    tcase_add_loop_test(i2s, i2s_decode_ignores_tail, 0, N_I2S_VECTORS);
    tcase_add_test(i2s, i2s_fact_pattern);
    suite_add_tcase(s, i2s);

    return test_run_suite(s);
}
