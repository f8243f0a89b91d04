/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/sweep.h - design-space sweeps (docs/sweep.md): a JSON description of
 * a parameter grid over models is expanded into numbered points, one small
 * JSON file each; every point runs on its own (any machine, any order, any
 * number of times) and writes its result atomically; the results merge into
 * one table.
 *
 * A sweep directory:
 *   spec.json                the description, as given
 *   points/NNNNNN.json       one point: index, model, phases, engine, params
 *   rejected.json            the grid's impossible points, each with a reason
 *   results/NNNNNN.json      a finished point's metrics (written atomically)
 *   failed/NNNNNN.txt        why a point's run failed (removed when it succeeds)
 *   running/NNNNNN.lock      held (flock) by the process running the point
 *   merged.csv, merged.json  every finished point's params and metrics
 */
#ifndef TLPU_SWEEP_H
#define TLPU_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_sweep_counts {
    uint32_t points;    /* planned */
    uint32_t rejected;  /* impossible, not planned */
    uint32_t done;      /* with a result */
    uint32_t running;   /* without a result, being run now (its lock is held) */
    uint32_t failed;    /* with a failure and no result, not running */
    uint32_t pending;   /* none of these */
} tlpu_sweep_counts;

/* Expands the description at spec_path into dir (created; it must not hold
 * a plan already). err names the file, the key and the problem. */
tlpu_status tlpu_sweep_plan(const char *spec_path, const char *dir, tlpu_sweep_counts *out,
                            char *err, size_t errlen);

/* Runs point `index` of dir and writes its result atomically; a point that
 * already has one is skipped (*skipped = 1) unless force. A failure is
 * recorded in failed/ as well as returned. While it runs the point's lock is
 * held; a second run of the same point (anywhere the directory's file
 * system honours flock) waits for it, then skips. */
tlpu_status tlpu_sweep_run(const char *dir, uint32_t index, int force, int *skipped, char *err,
                           size_t errlen);

tlpu_status tlpu_sweep_status(const char *dir, tlpu_sweep_counts *out, char *err, size_t errlen);

/* Writes merged.csv and merged.json (every finished point); *rows gets how many. */
tlpu_status tlpu_sweep_merge(const char *dir, uint32_t *rows, char *err, size_t errlen);

/* Writes a standalone HTML report of dir's merged.json (tlpu_sweep_merge
 * first) to html_path: per model, the Pareto fronts of (j_per_token,
 * ms_per_token), both minimised, and of (area_mm2 minimised, tokens_per_s
 * maximised) as SVG scatter plots with the front highlighted, and a table of
 * each front's configurations. Points without a metric a chart needs are
 * left out of that chart and counted. *fronts gets the number of points on
 * any front (may be NULL). docs/sweep.md gives the format. */
tlpu_status tlpu_sweep_report(const char *dir, const char *html_path, uint32_t *fronts, char *err,
                              size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_SWEEP_H */
