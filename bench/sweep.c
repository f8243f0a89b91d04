/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/sweep - how fast a sweep's points run with the estimate engine
 * (docs/sweep.md): the same 24-point plan (bitnet-2b4t, array shapes x
 * packings, prefill 64 + decode 64) run
 *   - in one process, one point after the other (tlpu sweep run --points),
 *   - through GNU parallel with one job (tlpu sweep local -j 1: a process
 *     per point, what the engine adds),
 *   - through GNU parallel with two jobs, a point or six points per job.
 * Each way runs on a fresh plan, R rounds, the ways interleaved within a
 * round so that the machine's noise hits them alike; the table gives the
 * median wall time (planning not included), points per second and the
 * speed-up over the one-process run measured in the same rounds.
 *
 *   build/bench/sweep [ROUNDS]      (default 3; needs GNU parallel)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#ifndef TLPU_EXE
#error "TLPU_EXE: the path of the tlpu program"
#endif

#define NPOINTS 24

static int sh(const char *cmd)
{
    int r = system(cmd);
    if (r != 0)
        fprintf(stderr, "bench/sweep: '%s' failed (%d)\n", cmd, r);
    return r;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (rounds < 1 || rounds > 50) {
        fprintf(stderr, "usage: sweep [ROUNDS 1..50]\n");
        return 2;
    }
    if (system("parallel --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "bench/sweep: GNU parallel is not installed (Debian package parallel)\n");
        return 1;
    }
    char tmp[] = "/tmp/tlpu-bench-sweep.XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    char spec[256], cmd[1024];
    snprintf(spec, sizeof spec, "%s/spec.json", tmp);
    FILE *f = fopen(spec, "w");
    if (!f)
        return 1;
    /* 3 x 4 x 2 = 24 points */
    fprintf(f, "{\"tlpu_sweep\": 1, \"name\": \"bench\", \"models\": [\"bitnet-2b4t\"],\n"
               " \"prefill\": 64, \"decode\": 64,\n"
               " \"grid\": {\"rows\": [16, 32, 64], \"cols\": [40, 80, 120, 160],\n"
               "          \"packing\": [\"base3\", \"2bit\"]}}\n");
    fclose(f);
    static const struct {
        const char *name, *run; /* run: %s = the plan's directory */
    } ways[] = {
        {"one process (sweep run --points 0-23)", "'" TLPU_EXE "' sweep run %s --points 0-23 --quiet"},
        {"GNU parallel -j 1, 1 point per job", "'" TLPU_EXE "' sweep local %s -j 1 --no-bar"},
        {"GNU parallel -j 2, 1 point per job", "'" TLPU_EXE "' sweep local %s -j 2 --no-bar"},
        {"GNU parallel -j 2, 6 points per job",
         "'" TLPU_EXE "' sweep local %s -j 2 --chunk 6 --no-bar"},
    };
    enum { NWAYS = sizeof ways / sizeof ways[0] };
    double t[NWAYS][50];
    for (int r = 0; r < rounds; r++)
        for (int w = 0; w < NWAYS; w++) {
            char dir[300];
            snprintf(dir, sizeof dir, "%s/r%d_w%d", tmp, r, w);
            snprintf(cmd, sizeof cmd, "'" TLPU_EXE "' sweep plan %s -o %s >/dev/null", spec, dir);
            if (sh(cmd))
                return 1;
            char run[600];
            snprintf(run, sizeof run, ways[w].run, dir);
            snprintf(cmd, sizeof cmd, "%s >/dev/null", run);
            double t0 = bench_now();
            if (sh(cmd))
                return 1;
            t[w][r] = bench_now() - t0;
            /* every point done */
            snprintf(cmd, sizeof cmd, "'" TLPU_EXE "' sweep status %s | grep -q '(%d done'", dir,
                     NPOINTS);
            if (sh(cmd))
                return 1;
        }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("sweep: %d estimate points (bitnet-2b4t, P=64 D=64), %d rounds, %ld CPUs; median wall "
           "time\n\n",
           NPOINTS, rounds, ncpu);
    printf("| how | wall s | points/s | vs one process |\n|---|---|---|---|\n");
    double med[NWAYS];
    for (int w = 0; w < NWAYS; w++) {
        qsort(t[w], (size_t)rounds, sizeof t[w][0], bench_cmp_double);
        med[w] = rounds % 2 ? t[w][rounds / 2] : 0.5 * (t[w][rounds / 2 - 1] + t[w][rounds / 2]);
        printf("| %s | %.2f | %.1f | %.2fx |\n", ways[w].name, med[w], NPOINTS / med[w],
               med[0] / med[w]);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return sh(cmd) != 0;
}
