/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/timing.h - the exact timing model of the tlpu core.
 *
 * The core has no caches, no arbiters and no reactive hardware: given the
 * documented memory-port timing (docs/isa.md, "Memory-port timing": a read
 * request is accepted when offered, its first beat arrives `latency` cycles
 * later, beats then stream one per cycle; writes are accepted when offered),
 * the cycle count of a program is a pure function of the program. This model
 * computes it - the same number the core's CYCLES counter reports, to the
 * cycle - together with every performance counter that does not depend on
 * the weight values (adds and subtracts do; see tlpu_timing_lanes).
 *
 * It also applies the core's instruction checks, so a program the core would
 * stop with an error code stops here with the same code at the same
 * instruction.
 */
#ifndef TLPU_TIMING_H
#define TLPU_TIMING_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/isa.h"
#include "tlpu/spec.h"
#include "tlpu/status.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called for every engine start: engine 0 DMA, 1 EX; insn is the index of
 * the instruction (or SIZE_MAX for a program fetch); it is busy in cycles
 * cycle+1 .. cycle+busy. For timelines and schedule debugging. */
typedef void (*tlpu_timing_hook)(void *ctx, uint64_t cycle, int engine, size_t insn,
                                 uint64_t busy);

typedef struct tlpu_timing_cfg {
    tlpu_hw hw;
    uint32_t mem_latency; /* cycles from read request to first beat, >= 1 */
    uint32_t mem_top;     /* the MEM_TOP CSR: highest valid DRAM byte address */
    uint32_t prog_addr;   /* where the program is fetched from */
    tlpu_timing_hook hook; /* optional */
    void *hook_ctx;
} tlpu_timing_cfg;

typedef struct tlpu_timing {
    uint64_t counters[TLPU_NUM_COUNTERS]; /* LANE_ADDS/SUBS/SKIPS: 0 (need data) */
    uint64_t lane_ops;     /* Rows * Cols * BUSY_CYCLES */
    uint64_t dma_busy;     /* cycles the DMA engine was busy */
    uint64_t ex_busy;      /* cycles the execute engine was busy */
    uint32_t hw_error;     /* TLPU_HWERR_* the core would report */
    uint32_t err_pc;       /* its instruction */
    uint32_t fetches;      /* instruction-memory loads (segments) */
} tlpu_timing;

/* mem_latency 16, mem_top 0xFFFFFFFF, prog_addr 0. */
void tlpu_timing_cfg_init(tlpu_timing_cfg *cfg, const tlpu_hw *hw);

/* Runs the model over n instructions (PROG_LEN = n). */
tlpu_status tlpu_timing_run(const tlpu_timing_cfg *cfg, const tlpu_insn *insns, size_t n,
                            tlpu_timing *out);

/* Busy cycles of one instruction's engine (the DMA or execute occupancy
 * the ISA document gives): the engine is busy from the cycle after issue for
 * this many cycles. 0 for END and SYNC. */
uint64_t tlpu_timing_insn_cycles(const tlpu_timing_cfg *cfg, const tlpu_insn *in);

/* The error the core's issue checks find in an instruction (TLPU_HWERR_*). */
uint32_t tlpu_timing_check(const tlpu_timing_cfg *cfg, const tlpu_insn *in);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_TIMING_H */
