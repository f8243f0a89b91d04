/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/ref_bitlinear - throughput of the reference BitLinear, one thread.
 *
 * For each BitNet b1.58 2B4T BitLinear shape (out x in = N x K) at M = 1
 * (decode) and M = 64 (prefill), it times the scalar oracle and the fast
 * reference on every instruction-set path this CPU has, side by side in one
 * run, and prints G ternary-MAC/s (M*N*K / seconds / 1e9) and the speed-up of
 * each fast path over the oracle. Weights are prepared (tlpu_tmat) once per
 * shape outside the timed region, as a model loader would. Every timed
 * result is also compared with the oracle's.
 *
 *   ref_bitlinear [--min-time SECONDS] [--m LIST]   (defaults: 0.5, "1,64")
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlpu/bitlinear.h"
#include "tlpu/rng.h"

#include "bench.h"

typedef struct shape {
    const char *name;
    size_t n, k; /* out x in */
} shape;

/* ../shared/field-notes.md section 3: BitNet b1.58 2B4T */
static const shape k_shapes[] = {
    {"q_proj/o_proj", 2560, 2560},
    {"k_proj/v_proj", 640, 2560},
    {"gate/up_proj", 6912, 2560},
    {"down_proj", 2560, 6912},
};

typedef int (*run_fn)(void *ctx);

/* Best time of one call, repeating until min_time has passed (at least twice). */
static double time_best(run_fn fn, void *ctx, double min_time)
{
    double best = 1e300, start = bench_now();
    int reps = 0;
    do {
        double t0 = bench_now();
        if (fn(ctx) != 0)
            return -1.0;
        double dt = bench_now() - t0;
        if (dt < best)
            best = dt;
        reps++;
    } while (reps < 2 || bench_now() - start < min_time);
    return best;
}

typedef struct job {
    size_t m, k, n;
    const int8_t *x, *w;
    const tlpu_tmat *tm;
    tlpu_isa isa;
    int32_t *y;
} job;

static int run_oracle(void *ctx)
{
    job *j = ctx;
    return tlpu_bitlinear_oracle(j->m, j->k, j->n, j->x, j->w, j->y) != TLPU_OK;
}

static int run_fast(void *ctx)
{
    job *j = ctx;
    return tlpu_bitlinear_fast_isa(j->isa, j->tm, j->m, j->x, j->y) != TLPU_OK;
}

static int parse_args(int argc, char **argv, double *min_time, size_t *ms, size_t *nm)
{
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc) {
            *min_time = strtod(argv[++i], &end);
            if (*end || !(*min_time >= 0.0 && *min_time < 3600.0)) {
                fprintf(stderr, "ref_bitlinear: --min-time: '%s' is not a duration in seconds\n",
                        argv[i]);
                return -1;
            }
        } else if (strcmp(argv[i], "--m") == 0 && i + 1 < argc) {
            *nm = 0;
            for (char *tok = strtok(argv[++i], ","); tok; tok = strtok(NULL, ",")) {
                unsigned long v = strtoul(tok, &end, 10);
                if (*end || v < 1 || v > 4096 || *nm == 8) {
                    fprintf(stderr, "ref_bitlinear: --m: '%s' is not a list of 1..8 sizes "
                                    "in [1, 4096]\n", tok);
                    return -1;
                }
                ms[(*nm)++] = v;
            }
        } else {
            fprintf(stderr, "usage: ref_bitlinear [--min-time SECONDS] [--m LIST]\n");
            return -1;
        }
    }
    return *nm ? 0 : -1;
}

int main(int argc, char **argv)
{
    double min_time = 0.5;
    size_t ms[8] = {1, 64}, nm = 2;
    if (parse_args(argc, argv, &min_time, ms, &nm) != 0)
        return 2;

    tlpu_isa paths[2];
    size_t np = 0;
    if (tlpu_isa_available(TLPU_ISA_PORTABLE))
        paths[np++] = TLPU_ISA_PORTABLE;
    if (tlpu_isa_available(TLPU_ISA_AVX2))
        paths[np++] = TLPU_ISA_AVX2;

    printf("Reference BitLinear throughput, one thread, G ternary-MAC/s "
           "(best of repeats >= %.2f s)\n", min_time);
    printf("BitNet b1.58 2B4T shapes, N x K = out x in; speed-up = fast / oracle\n\n");
    printf("%-14s %11s %4s %10s", "layer", "N x K", "M", "oracle");
    for (size_t p = 0; p < np; p++)
        printf(" %10s", tlpu_isa_name(paths[p]));
    for (size_t p = 0; p < np; p++)
        printf(" %8s", "speed-up");
    printf("  %s\n", "exact");

    int all_exact = 1;
    tlpu_rng r = tlpu_rng_seed(2560);
    for (size_t s = 0; s < sizeof k_shapes / sizeof k_shapes[0]; s++) {
        const shape *sh = &k_shapes[s];
        int8_t *w = malloc(sh->n * sh->k);
        tlpu_tmat *tm = NULL;
        if (!w)
            return 1;
        for (size_t i = 0; i < sh->n * sh->k; i++)
            w[i] = tlpu_rng_trit(&r);
        if (tlpu_tmat_create(w, sh->n, sh->k, &tm) != TLPU_OK)
            return 1;
        for (size_t mi = 0; mi < nm; mi++) {
            size_t m = ms[mi];
            int8_t *x = malloc(m * sh->k);
            int32_t *y0 = malloc(m * sh->n * sizeof *y0), *y1 = malloc(m * sh->n * sizeof *y1);
            if (!x || !y0 || !y1)
                return 1;
            for (size_t i = 0; i < m * sh->k; i++)
                x[i] = (int8_t)(tlpu_rng_next(&r) & 0xff);
            double macs = (double)m * (double)sh->n * (double)sh->k;
            job jo = {m, sh->k, sh->n, x, w, tm, TLPU_ISA_AUTO, y0};
            double t_or = time_best(run_oracle, &jo, min_time);
            double rate[2];
            int exact = 1;
            for (size_t p = 0; p < np; p++) {
                job jf = {m, sh->k, sh->n, x, w, tm, paths[p], y1};
                double t = time_best(run_fast, &jf, min_time);
                if (t_or <= 0 || t <= 0)
                    return 1;
                rate[p] = macs / t / 1e9;
                exact &= memcmp(y0, y1, m * sh->n * sizeof *y0) == 0;
            }
            all_exact &= exact;
            char dims[32];
            snprintf(dims, sizeof dims, "%zux%zu", sh->n, sh->k);
            printf("%-14s %11s %4zu %10.2f", sh->name, dims, m, macs / t_or / 1e9);
            for (size_t p = 0; p < np; p++)
                printf(" %10.2f", rate[p]);
            for (size_t p = 0; p < np; p++)
                printf(" %7.1fx", rate[p] / (macs / t_or / 1e9));
            printf("  %s\n", exact ? "yes" : "NO");
            fflush(stdout);
            free(x);
            free(y0);
            free(y1);
        }
        tlpu_tmat_destroy(tm);
        free(w);
    }
    printf("\nexact = every fast path's int32 output equals the oracle's, bit for bit\n");
    return all_exact ? 0 : 1;
}
