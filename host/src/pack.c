/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ternary packings: the two device formats (PACK2, PACK3) and the public
 * layouts bitnet.cpp I2_S, ggml TQ2_0 and TQ1_0. docs/formats.md draws them.
 */
#include "tlpu/pack.h"

#include <math.h>
#include <string.h>

#include "tlpu/fp.h"

static int trits_valid(const int8_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] < -1 || t[i] > 1)
            return 0;
    return 1;
}

static int floats_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- device formats ------------------------------------------------------ */

size_t tlpu_pack2_size(size_t n) { return n / 4 + (n % 4 != 0); }
size_t tlpu_pack3_size(size_t n) { return n / 5 + (n % 5 != 0); }

tlpu_status tlpu_pack2(const int8_t *trits, size_t n, uint8_t *out, size_t out_size)
{
    if (!trits || !out)
        return TLPU_ERR_INVALID_ARG;
    if (n == 0)
        return TLPU_ERR_SHAPE;
    if (out_size != tlpu_pack2_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    if (!trits_valid(trits, n))
        return TLPU_ERR_RANGE;
    memset(out, 0, out_size);
    for (size_t i = 0; i < n; i++)
        out[i / 4] |= (uint8_t)(tlpu_trit_digit(trits[i]) << (2 * (i % 4)));
    return TLPU_OK;
}

tlpu_status tlpu_unpack2(const uint8_t *in, size_t in_size, size_t n, int8_t *trits)
{
    if (!in || !trits)
        return TLPU_ERR_INVALID_ARG;
    if (n == 0)
        return TLPU_ERR_SHAPE;
    if (in_size != tlpu_pack2_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    for (size_t i = 0; i < n; i++) /* validate first: no partial output */
        if (((in[i / 4] >> (2 * (i % 4))) & 3u) == 3u)
            return TLPU_ERR_FORMAT;
    for (size_t i = 0; i < n; i++)
        trits[i] = tlpu_digit_trit((uint8_t)((in[i / 4] >> (2 * (i % 4))) & 3u));
    return TLPU_OK;
}

tlpu_status tlpu_pack3(const int8_t *trits, size_t n, uint8_t *out, size_t out_size)
{
    if (!trits || !out)
        return TLPU_ERR_INVALID_ARG;
    if (n == 0)
        return TLPU_ERR_SHAPE;
    if (out_size != tlpu_pack3_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    if (!trits_valid(trits, n))
        return TLPU_ERR_RANGE;
    for (size_t b = 0; b < out_size; b++) {
        unsigned v = 0;
        for (size_t j = 5; j-- > 0;) { /* Horner: trit 0 least significant */
            size_t i = b * 5 + j;
            v = v * 3u + (i < n ? tlpu_trit_digit(trits[i]) : 0u);
        }
        out[b] = (uint8_t)v;
    }
    return TLPU_OK;
}

tlpu_status tlpu_unpack3(const uint8_t *in, size_t in_size, size_t n, int8_t *trits)
{
    if (!in || !trits)
        return TLPU_ERR_INVALID_ARG;
    if (n == 0)
        return TLPU_ERR_SHAPE;
    if (in_size != tlpu_pack3_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    for (size_t b = 0; b < in_size; b++)
        if (in[b] >= 243u)
            return TLPU_ERR_FORMAT;
    for (size_t b = 0; b < in_size; b++) {
        unsigned v = in[b];
        for (size_t j = 0; j < 5 && b * 5 + j < n; j++) {
            trits[b * 5 + j] = tlpu_digit_trit((uint8_t)(v % 3u));
            v /= 3u;
        }
    }
    return TLPU_OK;
}

/* ---- bitnet.cpp I2_S ------------------------------------------------------ */

size_t tlpu_i2s_size(size_t n)
{
    if (n == 0 || n % TLPU_I2S_BLOCK)
        return 0;
    return n / 4 + TLPU_I2S_TAIL;
}

/* Byte 32*b + p, bits [7-2g : 6-2g] hold weight 128*b + 32*g + p. */
static void i2s_set(uint8_t *out, size_t i, unsigned code)
{
    size_t b = i / 128, g = (i % 128) / 32, p = i % 32;
    out[32 * b + p] |= (uint8_t)(code << (6 - 2 * g));
}

static unsigned i2s_get(const uint8_t *in, size_t i)
{
    size_t b = i / 128, g = (i % 128) / 32, p = i % 32;
    return (in[32 * b + p] >> (6 - 2 * g)) & 3u;
}

static void i2s_put_scale(uint8_t *out, size_t n, float scale)
{
    uint32_t bits;
    memcpy(&bits, &scale, sizeof bits);
    put_u32le(out + n / 4, bits);
}

tlpu_status tlpu_i2s_encode(const int8_t *trits, size_t n, float scale, uint8_t *out,
                            size_t out_size)
{
    if (!trits || !out)
        return TLPU_ERR_INVALID_ARG;
    if (!tlpu_i2s_size(n))
        return TLPU_ERR_SHAPE;
    if (out_size != tlpu_i2s_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    if (!trits_valid(trits, n))
        return TLPU_ERR_RANGE;
    memset(out, 0, out_size);
    for (size_t i = 0; i < n; i++)
        i2s_set(out, i, (unsigned)(trits[i] + 1));
    i2s_put_scale(out, n, scale);
    return TLPU_OK;
}

tlpu_status tlpu_i2s_decode(const uint8_t *in, size_t in_size, size_t n, int8_t *trits,
                            float *scale)
{
    if (!in || !trits)
        return TLPU_ERR_INVALID_ARG;
    if (!tlpu_i2s_size(n))
        return TLPU_ERR_SHAPE;
    if (in_size != tlpu_i2s_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    for (size_t i = 0; i < n / 4; i++) /* code 3 (0b11) is never written */
        for (unsigned s = 0; s < 8; s += 2)
            if (((in[i] >> s) & 3u) == 3u)
                return TLPU_ERR_FORMAT;
    for (size_t i = 0; i < n; i++)
        trits[i] = (int8_t)((int)i2s_get(in, i) - 1);
    if (scale) {
        uint32_t bits = get_u32le(in + n / 4);
        memcpy(scale, &bits, sizeof *scale);
    }
    return TLPU_OK;
}

tlpu_status tlpu_i2s_quantize(const float *x, size_t n, uint8_t *out, size_t out_size)
{
    if (!x || !out)
        return TLPU_ERR_INVALID_ARG;
    if (!tlpu_i2s_size(n))
        return TLPU_ERR_SHAPE;
    if (out_size != tlpu_i2s_size(n))
        return TLPU_ERR_BUFFER_SIZE;
    if (!floats_finite(x, n))
        return TLPU_ERR_NONFINITE;
    double max = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)x[i]) > max)
            max = fabs((double)x[i]);
    memset(out, 0, out_size);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        i2s_set(out, i, fabs(v) < 1e-6 ? 1u : (v * max > 0 ? 2u : 0u));
    }
    i2s_put_scale(out, n, (float)max);
    return TLPU_OK;
}

/* ---- ggml TQ2_0 / TQ1_0 ---------------------------------------------------- */

/* Codes c = trit + 1 of one 256-block into TQ2_0's qs[64]. */
static void tq2_block_put(const uint8_t *c, uint8_t *qs)
{
    memset(qs, 0, 64);
    for (size_t w = 0; w < 256; w++) {
        size_t h = w / 128, nn = (w % 128) / 32, m = w % 32;
        qs[32 * h + m] |= (uint8_t)(c[w] << (2 * nn));
    }
}

static int tq2_block_get(const uint8_t *qs, uint8_t *c)
{
    for (size_t w = 0; w < 256; w++) {
        size_t h = w / 128, nn = (w % 128) / 32, m = w % 32;
        c[w] = (uint8_t)((qs[32 * h + m] >> (2 * nn)) & 3u);
        if (c[w] == 3u)
            return 0;
    }
    return 1;
}

/* ggml's TQ1_0 byte: q = sum c_k 3^(4-k) (first most significant), stored as ceil(q*256/243). */
static uint8_t tq1_byte(const uint8_t *c, size_t count, size_t stride)
{
    unsigned q = 0;
    for (size_t k = 0; k < count; k++)
        q = q * 3u + c[k * stride];
    if (count == 4)
        q *= 3u;
    return (uint8_t)((q * 256u + 242u) / 243u);
}

static uint8_t tq1_digit(uint8_t byte, unsigned k)
{
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    uint8_t q = (uint8_t)(byte * pow3[k]);
    return (uint8_t)(((unsigned)q * 3u) >> 8);
}

static void tq1_block_put(const uint8_t *c, uint8_t *blk)
{
    for (size_t m = 0; m < 32; m++)
        blk[m] = tq1_byte(c + m, 5, 32);
    for (size_t m = 0; m < 16; m++)
        blk[32 + m] = tq1_byte(c + 160 + m, 5, 16);
    for (size_t j = 0; j < 4; j++)
        blk[48 + j] = tq1_byte(c + 240 + j, 4, 4);
}

static int tq1_block_get(const uint8_t *blk, uint8_t *c)
{
    for (unsigned k = 0; k < 5; k++) {
        for (size_t m = 0; m < 32; m++)
            c[m + 32 * k] = tq1_digit(blk[m], k);
        for (size_t m = 0; m < 16; m++)
            c[160 + m + 16 * k] = tq1_digit(blk[32 + m], k);
    }
    for (unsigned k = 0; k < 4; k++)
        for (size_t j = 0; j < 4; j++)
            c[240 + j + 4 * k] = tq1_digit(blk[48 + j], k);
    return 1; /* every byte decodes to digits 0..2 */
}

typedef struct tq_kind {
    size_t block_bytes;
    size_t d_offset;
    void (*put)(const uint8_t *c, uint8_t *blk);
    int (*get)(const uint8_t *blk, uint8_t *c); /* 0: invalid code */
} tq_kind;

static const tq_kind k_tq2 = {TLPU_TQ2_BLOCK_BYTES, 64, tq2_block_put, tq2_block_get};
static const tq_kind k_tq1 = {TLPU_TQ1_BLOCK_BYTES, 52, tq1_block_put, tq1_block_get};

static size_t tq_size(const tq_kind *k, size_t n)
{
    return (n == 0 || n % TLPU_TQ_BLOCK) ? 0 : n / TLPU_TQ_BLOCK * k->block_bytes;
}

static void put_d(uint8_t *p, uint16_t d)
{
    p[0] = (uint8_t)d;
    p[1] = (uint8_t)(d >> 8);
}

static uint16_t get_d(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

size_t tlpu_tq2_size(size_t n) { return tq_size(&k_tq2, n); }
size_t tlpu_tq1_size(size_t n) { return tq_size(&k_tq1, n); }

static tlpu_status tq_encode(const tq_kind *k, const int8_t *trits, size_t n, const uint16_t *d,
                             uint8_t *out, size_t out_size)
{
    if (!trits || !d || !out)
        return TLPU_ERR_INVALID_ARG;
    if (!tq_size(k, n))
        return TLPU_ERR_SHAPE;
    if (out_size != tq_size(k, n))
        return TLPU_ERR_BUFFER_SIZE;
    if (!trits_valid(trits, n))
        return TLPU_ERR_RANGE;
    uint8_t c[256];
    for (size_t b = 0; b < n / 256; b++) {
        for (size_t w = 0; w < 256; w++)
            c[w] = (uint8_t)(trits[256 * b + w] + 1);
        uint8_t *blk = out + b * k->block_bytes;
        k->put(c, blk);
        put_d(blk + k->d_offset, d[b]);
    }
    return TLPU_OK;
}

static tlpu_status tq_quantize(const tq_kind *k, const float *x, size_t n, uint8_t *out,
                               size_t out_size)
{
    if (!x || !out)
        return TLPU_ERR_INVALID_ARG;
    if (!tq_size(k, n))
        return TLPU_ERR_SHAPE;
    if (out_size != tq_size(k, n))
        return TLPU_ERR_BUFFER_SIZE;
    if (!floats_finite(x, n))
        return TLPU_ERR_NONFINITE;
    uint8_t c[256];
    for (size_t b = 0; b < n / 256; b++) {
        const float *xb = x + 256 * b;
        float amax = 0.0f;
        for (size_t w = 0; w < 256; w++)
            if (fabsf(xb[w]) > amax)
                amax = fabsf(xb[w]);
        float id = amax != 0.0f ? 1.0f / amax : 0.0f;
        if (!isfinite(id)) /* amax < 2^-128: ggml's lroundf(inf) gives code 1 on x86; */
            id = 0.0f;     /* do the same portably instead of overflowing */
        for (size_t w = 0; w < 256; w++)
            c[w] = (uint8_t)(lroundf(xb[w] * id) + 1);
        uint8_t *blk = out + b * k->block_bytes;
        k->put(c, blk);
        put_d(blk + k->d_offset, tlpu_f32_to_f16(amax));
    }
    return TLPU_OK;
}

tlpu_status tlpu_tq2_encode(const int8_t *trits, size_t n, const uint16_t *d, uint8_t *out,
                            size_t out_size)
{
    return tq_encode(&k_tq2, trits, n, d, out, out_size);
}

tlpu_status tlpu_tq1_encode(const int8_t *trits, size_t n, const uint16_t *d, uint8_t *out,
                            size_t out_size)
{
    return tq_encode(&k_tq1, trits, n, d, out, out_size);
}

tlpu_status tlpu_tq2_quantize(const float *x, size_t n, uint8_t *out, size_t out_size)
{
    return tq_quantize(&k_tq2, x, n, out, out_size);
}

tlpu_status tlpu_tq1_quantize(const float *x, size_t n, uint8_t *out, size_t out_size)
{
    return tq_quantize(&k_tq1, x, n, out, out_size);
}

/* Validates every block, then calls emit() per block. */
static tlpu_status tq_read(const tq_kind *k, const uint8_t *in, size_t in_size, size_t n,
                           void (*emit)(void *ctx, size_t b, const uint8_t *c, uint16_t d),
                           void *ctx)
{
    if (!in)
        return TLPU_ERR_INVALID_ARG;
    if (!tq_size(k, n))
        return TLPU_ERR_SHAPE;
    if (in_size != tq_size(k, n))
        return TLPU_ERR_BUFFER_SIZE;
    uint8_t c[256];
    for (size_t b = 0; b < n / 256; b++) /* validate first: no partial output */
        if (!k->get(in + b * k->block_bytes, c))
            return TLPU_ERR_FORMAT;
    for (size_t b = 0; b < n / 256; b++) {
        const uint8_t *blk = in + b * k->block_bytes;
        k->get(blk, c);
        emit(ctx, b, c, get_d(blk + k->d_offset));
    }
    return TLPU_OK;
}

typedef struct decode_ctx {
    int8_t *trits;
    uint16_t *d;
} decode_ctx;

static void emit_trits(void *vctx, size_t b, const uint8_t *c, uint16_t d)
{
    decode_ctx *ctx = vctx;
    for (size_t w = 0; w < 256; w++)
        ctx->trits[256 * b + w] = (int8_t)((int)c[w] - 1);
    if (ctx->d)
        ctx->d[b] = d;
}

static void emit_floats(void *vctx, size_t b, const uint8_t *c, uint16_t d)
{
    float *y = vctx;
    float df = tlpu_f16_to_f32(d);
    for (size_t w = 0; w < 256; w++)
        y[256 * b + w] = (float)((int)c[w] - 1) * df;
}

static tlpu_status tq_decode(const tq_kind *k, const uint8_t *in, size_t in_size, size_t n,
                             int8_t *trits, uint16_t *d)
{
    if (!trits)
        return TLPU_ERR_INVALID_ARG;
    decode_ctx ctx = {trits, d};
    return tq_read(k, in, in_size, n, emit_trits, &ctx);
}

tlpu_status tlpu_tq2_decode(const uint8_t *in, size_t in_size, size_t n, int8_t *trits,
                            uint16_t *d)
{
    return tq_decode(&k_tq2, in, in_size, n, trits, d);
}

tlpu_status tlpu_tq1_decode(const uint8_t *in, size_t in_size, size_t n, int8_t *trits,
                            uint16_t *d)
{
    return tq_decode(&k_tq1, in, in_size, n, trits, d);
}

tlpu_status tlpu_tq2_dequantize(const uint8_t *in, size_t in_size, size_t n, float *y)
{
    return y ? tq_read(&k_tq2, in, in_size, n, emit_floats, y) : TLPU_ERR_INVALID_ARG;
}

tlpu_status tlpu_tq1_dequantize(const uint8_t *in, size_t in_size, size_t n, float *y)
{
    return y ? tq_read(&k_tq1, in, in_size, n, emit_floats, y) : TLPU_ERR_INVALID_ARG;
}
