/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu selftest - a quick self-check of the reference a user can run on their
 * own machine: the fast BitLinear on every instruction-set path this CPU has
 * against the scalar oracle (random shapes plus the int32 worst case), the
 * packing round trips and the fp16/bf16 conversions. The test suite checks
 * far more; this proves the installed build computes the right numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/bitlinear.h"
#include "tlpu/fp.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"

typedef struct tally {
    int passed, failed;
} tally;

static void report(tally *t, int ok, const char *what)
{
    printf("  %-4s %s\n", ok ? "ok" : "FAIL", what);
    if (ok)
        t->passed++;
    else
        t->failed++;
}

/* Fast (on `isa`) vs oracle on one shape; 1 when equal, 0 otherwise, -1 on error. */
static int compare_paths(tlpu_isa isa, size_t m, size_t k, size_t n, const int8_t *x,
                         const int8_t *w)
{
    int32_t *y0 = malloc(m * n * sizeof *y0), *y1 = malloc(m * n * sizeof *y1);
    tlpu_tmat *tm = NULL;
    int res = -1;
    if (y0 && y1 && tlpu_bitlinear_oracle(m, k, n, x, w, y0) == TLPU_OK &&
        tlpu_tmat_create(w, n, k, &tm) == TLPU_OK &&
        tlpu_bitlinear_fast_isa(isa, tm, m, x, y1) == TLPU_OK)
        res = memcmp(y0, y1, m * n * sizeof *y0) == 0;
    tlpu_tmat_destroy(tm);
    free(y0);
    free(y1);
    return res;
}

static int random_shapes(tlpu_isa isa, uint64_t seed, unsigned cases)
{
    tlpu_rng r = tlpu_rng_seed(seed);
    for (unsigned c = 0; c < cases; c++) {
        size_t m = 1 + tlpu_rng_below(&r, 9);
        size_t k = 1 + tlpu_rng_below(&r, 1500);
        size_t n = 1 + tlpu_rng_below(&r, 70);
        int8_t *x = malloc(m * k), *w = malloc(n * k);
        if (!x || !w) {
            free(x);
            free(w);
            return 0;
        }
        for (size_t i = 0; i < m * k; i++)
            x[i] = (int8_t)(tlpu_rng_next(&r) & 0xff);
        for (size_t i = 0; i < n * k; i++)
            w[i] = tlpu_rng_trit(&r);
        int ok = compare_paths(isa, m, k, n, x, w) == 1;
        free(x);
        free(w);
        if (!ok) {
            fprintf(stderr, "tlpu: selftest: %s differs from the oracle at M=%zu K=%zu N=%zu\n",
                    tlpu_isa_name(isa), m, k, n);
            return 0;
        }
    }
    return 1;
}

/* K = 65536, every weight +1 (or -1) and every activation 127 (or -128). */
static int worst_case(tlpu_isa isa)
{
    const size_t m = 2, k = 65536, n = 2;
    int8_t *x = malloc(m * k), *w = malloc(n * k);
    int32_t y[4];
    tlpu_tmat *tm = NULL;
    int ok = 0;
    if (x && w) {
        memset(x, 127, k);
        memset(x + k, 0x80, k); /* -128 */
        memset(w, 1, k);
        memset(w + k, 0xff, k); /* -1 */
        ok = tlpu_tmat_create(w, n, k, &tm) == TLPU_OK &&
             tlpu_bitlinear_fast_isa(isa, tm, m, x, y) == TLPU_OK && y[0] == 127 * 65536 &&
             y[1] == -127 * 65536 && y[2] == -128 * 65536 && y[3] == 128 * 65536;
    }
    tlpu_tmat_destroy(tm);
    free(x);
    free(w);
    return ok;
}

static int packings(uint64_t seed)
{
    enum { N = 1280 };
    static int8_t t[N], back[N];
    static uint8_t buf[N];
    uint16_t d[N / 256];
    tlpu_rng r = tlpu_rng_seed(seed);
    for (size_t i = 0; i < N; i++)
        t[i] = tlpu_rng_trit(&r);
    for (size_t i = 0; i < N / 256; i++)
        d[i] = tlpu_f32_to_f16(0.25f);
    int ok = 1;
    ok &= tlpu_pack2(t, N - 3, buf, tlpu_pack2_size(N - 3)) == TLPU_OK &&
          tlpu_unpack2(buf, tlpu_pack2_size(N - 3), N - 3, back) == TLPU_OK &&
          !memcmp(t, back, N - 3);
    ok &= tlpu_pack3(t, N - 3, buf, tlpu_pack3_size(N - 3)) == TLPU_OK &&
          tlpu_unpack3(buf, tlpu_pack3_size(N - 3), N - 3, back) == TLPU_OK &&
          !memcmp(t, back, N - 3);
    ok &= tlpu_tq1_encode(t, N, d, buf, tlpu_tq1_size(N)) == TLPU_OK &&
          tlpu_tq1_decode(buf, tlpu_tq1_size(N), N, back, NULL) == TLPU_OK && !memcmp(t, back, N);
    ok &= tlpu_tq2_encode(t, N, d, buf, tlpu_tq2_size(N)) == TLPU_OK &&
          tlpu_tq2_decode(buf, tlpu_tq2_size(N), N, back, NULL) == TLPU_OK && !memcmp(t, back, N);
    float s = 0;
    ok &= tlpu_i2s_encode(t, N, 0.5f, buf, tlpu_i2s_size(N)) == TLPU_OK &&
          tlpu_i2s_decode(buf, tlpu_i2s_size(N), N, back, &s) == TLPU_OK &&
          !memcmp(t, back, N) && s == 0.5f;
    return ok;
}

static int half_floats(void)
{
    for (uint32_t h = 0; h < 65536; h++) {
        /* NaNs come back quiet (payload kept); everything else exactly */
        float f = tlpu_f16_to_f32((uint16_t)h);
        if (tlpu_f32_to_f16(f) != (((h & 0x7fff) > 0x7c00) ? (h | 0x200) : h))
            return 0;
        float b = tlpu_bf16_to_f32((uint16_t)h);
        if (tlpu_f32_to_bf16(b) != (((h & 0x7fff) > 0x7f80) ? (h | 0x40) : h))
            return 0;
    }
    return 1;
}

int cmd_selftest(int argc, char **argv)
{
    const char *cmd = "selftest";
    uint64_t seed = 1, cases = 40;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--seed") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_parse_u64(cmd, "--seed", v, 0, UINT64_MAX, &seed))
                return CLI_USAGE;
        } else if (strcmp(argv[i], "--cases") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_parse_u64(cmd, "--cases", v, 1, 100000, &cases))
                return CLI_USAGE;
        } else {
            cli_error(cmd, "unknown option '%s' (try 'tlpu help')", argv[i]);
            return CLI_USAGE;
        }
    }

    tally t = {0, 0};
    char what[160];
    printf("tlpu selftest (seed %llu)\n", (unsigned long long)seed);
    const tlpu_isa isas[] = {TLPU_ISA_PORTABLE, TLPU_ISA_AVX2};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        if (!tlpu_isa_available(isas[i])) {
            printf("  skip %s BitLinear: not available on this CPU\n", tlpu_isa_name(isas[i]));
            continue;
        }
        snprintf(what, sizeof what, "%s BitLinear == oracle on %llu random shapes",
                 tlpu_isa_name(isas[i]), (unsigned long long)cases);
        report(&t, random_shapes(isas[i], seed, (unsigned)cases), what);
        snprintf(what, sizeof what, "%s BitLinear exact at K=65536, |x|=127/128, all +-1 weights",
                 tlpu_isa_name(isas[i]));
        report(&t, worst_case(isas[i]), what);
    }
    report(&t, packings(seed), "PACK2, PACK3, TQ1_0, TQ2_0, I2_S round trips");
    report(&t, half_floats(), "f16 and bf16 round trips of all 65536 encodings");
    printf("selftest: %d passed, %d failed\n", t.passed, t.failed);
    return t.failed ? CLI_FAIL : CLI_OK;
}
