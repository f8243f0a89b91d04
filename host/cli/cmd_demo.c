/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu demo - one BitLinear the BitNet b1.58 way, end to end on the host:
 * Gaussian latent weights and activations in f32, f16 or bf16; absmean
 * ternary weights, per-token absmax int8 activations, the exact integer
 * product (fast path, checked against the oracle), the dequantized output,
 * and how far it lands from the float matmul of the same layer as BitNet
 * defines it (x times the ternary weights scale_w * Wq, in double): the
 * difference is the int8 activation quantization alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/bitlinear.h"
#include "tlpu/fp.h"
#include "tlpu/pack.h"
#include "tlpu/quant.h"
#include "tlpu/rng.h"

typedef struct demo_bufs {
    float *wf, *xf, *ref, *out, *sx;
    void *wsrc, *xsrc;
    int8_t *wq, *xq;
    int32_t *y, *y0;
} demo_bufs;

static void free_bufs(demo_bufs *b)
{
    free(b->wf);
    free(b->xf);
    free(b->ref);
    free(b->out);
    free(b->sx);
    free(b->wsrc);
    free(b->xsrc);
    free(b->wq);
    free(b->xq);
    free(b->y);
    free(b->y0);
}

int cmd_demo(int argc, char **argv)
{
    const char *cmd = "demo";
    uint64_t m = 4, k = 1000, n = 6, seed = 2024;
    tlpu_dtype dtype = TLPU_DTYPE_F32;
    for (int i = 1; i < argc; i++) {
        const char *v;
        uint64_t *dst = NULL, lo = 1, hi = 4096;
        if (strcmp(argv[i], "--m") == 0)
            dst = &m;
        else if (strcmp(argv[i], "--k") == 0)
            dst = &k, hi = 65536;
        else if (strcmp(argv[i], "--n") == 0)
            dst = &n;
        else if (strcmp(argv[i], "--seed") == 0)
            dst = &seed, lo = 0, hi = UINT64_MAX;
        else if (strcmp(argv[i], "--dtype") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
            if (tlpu_dtype_parse(v, &dtype) != TLPU_OK) {
                cli_error(cmd, "--dtype: unknown type '%s' (f32, f16 or bf16)", v);
                return CLI_USAGE;
            }
            continue;
        } else {
            cli_error(cmd, "unknown option '%s' (try 'tlpu help')", argv[i]);
            return CLI_USAGE;
        }
        if (!(v = cli_value(cmd, argc, argv, &i)) || cli_parse_u64(cmd, argv[i - 1], v, lo, hi, dst))
            return CLI_USAGE;
    }

    demo_bufs b = {0};
    size_t es = tlpu_dtype_size(dtype);
    b.wf = malloc(n * k * sizeof(float));
    b.xf = malloc(m * k * sizeof(float));
    b.ref = malloc(m * n * sizeof(float));
    b.out = malloc(m * n * sizeof(float));
    b.sx = malloc(m * sizeof(float));
    b.wsrc = malloc(n * k * es);
    b.xsrc = malloc(m * k * es);
    b.wq = malloc(n * k);
    b.xq = malloc(m * k);
    b.y = malloc(m * n * sizeof(int32_t));
    b.y0 = malloc(m * n * sizeof(int32_t));
    if (!b.wf || !b.xf || !b.ref || !b.out || !b.sx || !b.wsrc || !b.xsrc || !b.wq || !b.xq ||
        !b.y || !b.y0) {
        cli_error(cmd, "out of memory");
        free_bufs(&b);
        return CLI_FAIL;
    }

    /* Inputs in the chosen format; the float reference uses the same values. */
    tlpu_rng r = tlpu_rng_seed(seed);
    for (size_t i = 0; i < n * k; i++)
        b.wf[i] = 0.02f * tlpu_rng_gauss(&r);
    for (size_t i = 0; i < m * k; i++)
        b.xf[i] = tlpu_rng_gauss(&r);
    tlpu_convert_from_f32(dtype, b.wf, n * k, b.wsrc);
    tlpu_convert_from_f32(dtype, b.xf, m * k, b.xsrc);
    tlpu_convert_to_f32(dtype, b.wsrc, n * k, b.wf);
    tlpu_convert_to_f32(dtype, b.xsrc, m * k, b.xf);

    float sw = 0;
    tlpu_status st = tlpu_quantize_weights(dtype, b.wsrc, n * k, b.wq, &sw);
    if (st == TLPU_OK)
        st = tlpu_quantize_activations(dtype, b.xsrc, m, k, b.xq, b.sx);
    if (st == TLPU_OK)
        st = tlpu_bitlinear(m, k, n, b.xq, b.wq, b.y);
    if (st == TLPU_OK)
        st = tlpu_bitlinear_oracle(m, k, n, b.xq, b.wq, b.y0);
    if (st == TLPU_OK)
        st = tlpu_bitlinear_dequantize(m, n, b.y, b.sx, sw, b.out);
    if (st != TLPU_OK) {
        cli_error(cmd, "%s: %s", tlpu_status_name(st), tlpu_strerror(st));
        free_bufs(&b);
        return CLI_FAIL;
    }

    size_t zeros = 0;
    for (size_t i = 0; i < n * k; i++)
        zeros += b.wq[i] == 0;
    double err2 = 0, ref2 = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double acc = 0;
            for (size_t kk = 0; kk < k; kk++)
                acc += (double)b.xf[i * k + kk] * b.wq[j * k + kk] * sw;
            b.ref[i * n + j] = (float)acc;
            err2 += (b.out[i * n + j] - acc) * (b.out[i * n + j] - acc);
            ref2 += acc * acc;
        }
    int exact = memcmp(b.y, b.y0, m * n * sizeof(int32_t)) == 0;

    printf("tlpu demo: BitLinear M=%llu K=%llu N=%llu, %s inputs, seed %llu\n",
           (unsigned long long)m, (unsigned long long)k, (unsigned long long)n,
           tlpu_dtype_name(dtype), (unsigned long long)seed);
    printf("  weights: absmean scale %.6g, %.1f%% zero trits\n", (double)sw,
           100.0 * (double)zeros / (double)(n * k));
    printf("  packed weight bytes: %s %zu, PACK2 %zu (2 bit/w), PACK3 %zu (1.6 bit/w)\n",
           tlpu_dtype_name(dtype), (size_t)(n * k * es), (size_t)(n * tlpu_pack2_size(k)),
           (size_t)(n * tlpu_pack3_size(k)));
    printf("  fast path (%s) == scalar oracle: %s\n", tlpu_isa_name(tlpu_isa_resolve(TLPU_ISA_AUTO)),
           exact ? "yes, bit for bit" : "NO");
    printf("\n  %4s %4s %12s %14s %16s\n", "m", "n", "int32 Y", "BitLinear", "x.(sw*Wq)^T f64");
    for (size_t i = 0; i < m && i < 4; i++)
        for (size_t j = 0; j < n && j < 6; j++)
            printf("  %4zu %4zu %12d %14.6f %16.6f\n", i, j, b.y[i * n + j],
                   (double)b.out[i * n + j], (double)b.ref[i * n + j]);
    printf("\n  relative error from int8 activation quantization: %.3f%%\n",
           100.0 * sqrt(err2 / (ref2 > 0 ? ref2 : 1)));
    free_bufs(&b);
    return exact ? CLI_OK : CLI_FAIL;
}
