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
    uint32_t failed;    /* with a failure and no result */
    uint32_t pending;   /* neither */
} tlpu_sweep_counts;

/* Expands the description at spec_path into dir (created; it must not hold
 * a plan already). err names the file, the key and the problem. */
tlpu_status tlpu_sweep_plan(const char *spec_path, const char *dir, tlpu_sweep_counts *out,
                            char *err, size_t errlen);

/* Runs point `index` of dir and writes its result atomically; a point that
 * already has one is skipped (*skipped = 1) unless force. A failure is
 * recorded in failed/ as well as returned. */
tlpu_status tlpu_sweep_run(const char *dir, uint32_t index, int force, int *skipped, char *err,
                           size_t errlen);

tlpu_status tlpu_sweep_status(const char *dir, tlpu_sweep_counts *out, char *err, size_t errlen);

/* Writes merged.csv and merged.json (every finished point); *rows gets how many. */
tlpu_status tlpu_sweep_merge(const char *dir, uint32_t *rows, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_SWEEP_H */
