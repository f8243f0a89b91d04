/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the core tests: place a BitLinear in the simulator's DRAM, run
 * it, compare with the C reference. */
#ifndef TLPU_TEST_CORE_UTIL_H
#define TLPU_TEST_CORE_UTIL_H

#include <stdint.h>

#include "tlpu/sim.h"
#include "tlpu/tiler.h"
#include "tlpu/timing.h"

typedef struct core_job {
    uint32_t m, k, n, fmt;
    uint64_t seed;
    double zero_frac;     /* fraction of zero trits (default 1/3 when < 0) */
    int extreme;          /* activations only -128 / 127 */
    uint32_t latency;     /* when nonzero: also run the timing model with it */
    const tlpu_schedule *sched; /* when set: this schedule instead of the tiler's choice */
} core_job;

typedef struct core_result {
    tlpu_status status;   /* of the run */
    uint64_t cycles;      /* START to DONE */
    uint64_t counters[TLPU_NUM_COUNTERS];
    uint64_t mismatches;  /* outputs that differ from the reference */
    uint64_t guard_hits;  /* DRAM bytes outside the outputs that changed */
    uint32_t insns;       /* program length */
    tlpu_tiling tiling;
    tlpu_timing model;    /* when job->latency != 0 */
    uint64_t want_adds, want_subs; /* M x (+1 / -1 trits of W) */
    char first_diff[160];
} core_result;

/* The core's parameters as a tlpu_hw. */
void core_hw(tlpu_sim *sim, tlpu_hw *hw);

/* Builds a random job, compiles it for the core, runs it, checks every
 * output word and that nothing else in DRAM changed. Returns 0 when all of it
 * could be set up (the result then says how it went), 1 when job->sched does
 * not suit the shape. */
int core_run_bitlinear(tlpu_sim *sim, const core_job *job, core_result *res);

/* Writes a program at `addr` and runs it; returns the run's status. */
tlpu_status core_run_program(tlpu_sim *sim, uint64_t addr, const tlpu_program *p,
                             uint64_t max_cycles, uint64_t *cycles);

#endif
