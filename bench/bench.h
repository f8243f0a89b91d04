/* SPDX-License-Identifier: Apache-2.0 */
/* What every benchmark needs: a monotonic clock and medians. */
#ifndef TLPU_BENCH_H
#define TLPU_BENCH_H

#include <stdlib.h>
#include <time.h>

/* seconds on CLOCK_MONOTONIC */
static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* qsort's comparison of doubles, ascending */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
