/* SPDX-License-Identifier: Apache-2.0 */
/* sweep_report.h - the Pareto front behind tlpu_sweep_report (internal to
 * host/; exposed for tests/unit/check_sweep_report.c). */
#ifndef TLPU_SWEEP_REPORT_H
#define TLPU_SWEEP_REPORT_H

#include <stddef.h>

/*
 * The Pareto front of the n points (x[i], y[i]): a point is on it when no
 * other point is at least as good in both objectives and strictly better in
 * one, so exact duplicates of a front point are all on it. x_max / y_max: 1
 * when larger is better, 0 when smaller is. A point with a NaN or infinite
 * coordinate is never on the front and dominates nothing.
 *
 * Writes the front's indices to front[] (room for n: it is also the
 * scratch) in order along the front: x from best to worst, then y best
 * first, then by index; returns how many. O(n log n), no allocation.
 */
size_t tlpu_sweep_pareto(const double *x, const double *y, size_t n, int x_max, int y_max,
                         size_t *front);

#endif
