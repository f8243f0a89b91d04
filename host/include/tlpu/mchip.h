/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/mchip.h - LPU-style multi-chip systems: N chips, each holding its
 * share of the weights in its own on-chip memory, joined by chip-to-chip
 * links; a BitLinear split across them by output channels, every transfer
 * scheduled statically by the compiler (docs/system-model.md, "Multi-chip").
 *
 * The compiler here gives each chip its slice of the output channels (whole
 * array tiles of ROWS channels, nearest chips first), the per-chip op
 * streams that the MC_RUN command runs (tlpu/proto.h: SEND, RECV, RUNCORE),
 * and the time the schedule takes, from the closed-form timing formula the
 * SystemC platform (sc:chips=N) must reproduce to the picosecond:
 *
 *   T(B)  = latency_ps + ceil(B * 8 * 1e12 / bits_per_s)   one transfer of B bytes
 *   core  = cycles * period_ps, period_ps = round(1e12 / clock_hz)
 *
 * Ring (chip 0 sends x both ways; the chips at distance d = 1..D in one
 * direction, c_1 .. c_D, each store and forward x, then run, then send their
 * own results toward chip 0 and forward the farther chips' results, each
 * directed link carrying its transfers in the order they were queued):
 *   xa(0) = 0,  xa(d) = xa(d-1) + T(X)
 *   done(d) = xa(d) + core(d)
 *   A(d, d) = done(d) + T(Y_d)                      on the link c_d -> c_{d-1}
 *   A(d, j) = max(A(d+1, j), A(d, j-1)) + T(Y_j)    j = d+1 .. D
 *   total = max(done(0), A(1, j) for every j, both directions)
 * Fully connected (chip 0 sends x on every link at once):
 *   done(c) = T(X) + core(c),  total = max(done(0), done(c) + T(Y_c))
 */
#ifndef TLPU_MCHIP_H
#define TLPU_MCHIP_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/spec.h"
#include "tlpu/status.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TLPU_MC_CHIPS_MAX 64u

typedef enum tlpu_mc_topology { TLPU_MC_RING = 0, TLPU_MC_FULL = 1 } tlpu_mc_topology;

/* A chip-to-chip link (one direction; every link of a system is alike). */
typedef struct tlpu_c2c_link {
    const char *name;
    double bits_per_s;
    double latency_s;   /* per transfer */
    double pj_per_bit;
} tlpu_c2c_link;

/* Presets by name ("d2d", "serdes"), NULL when unknown; docs give sources. */
const tlpu_c2c_link *tlpu_c2c_preset(const char *name);
const char *tlpu_c2c_names(void);

/* T(B) in picoseconds, as above. */
uint64_t tlpu_c2c_time_ps(const tlpu_c2c_link *l, uint64_t bytes);
/* The core clock's period, rounded to the picosecond (at least 1). */
uint64_t tlpu_mc_period_ps(double clock_hz);

/* "ring" / "full" */
const char *tlpu_mc_topology_name(tlpu_mc_topology t);
tlpu_status tlpu_mc_topology_parse(const char *s, tlpu_mc_topology *t);

/* The system a schedule is made for. */
typedef struct tlpu_mc_system {
    uint32_t chips;            /* 1 .. TLPU_MC_CHIPS_MAX */
    tlpu_mc_topology topology;
    tlpu_c2c_link c2c;
    double clock_hz;
    /* each chip's SRAM: its size (0: not given) and energy, for estimates */
    uint64_t sram_bytes;
    double sram_pj_per_bit;
} tlpu_mc_system;

/* Each chip's SRAM by default: about a Groq chip's 230 MB, and Horowitz's
 * 45 nm figure for a 64-bit read of a 1 MB bank (100 pJ): 1.5 pJ/bit. */
#define TLPU_MC_SRAM_BYTES (230ull << 20)
#define TLPU_MC_SRAM_PJ_PER_BIT 1.5
/* ... read in 2 ns: 2 cycles at 1 GHz (the core's memory latency) */
#define TLPU_MC_SRAM_LATENCY_S 2e-9

/* One chip, a ring of serdes links, 1 GHz, the default SRAM. */
void tlpu_mc_system_default(tlpu_mc_system *s);

/* Checks the numbers (chips in range, bandwidth > 0, latency and energy
 * >= 0, clock > 0); err gets what is wrong. */
tlpu_status tlpu_mc_system_check(const tlpu_mc_system *s, char *err, size_t errlen);

/* The hop count between two chips, and the neighbour of chip `from` on the
 * way to `to` (itself when from == to). On a ring the shorter way; ties go
 * up (clockwise). */
uint32_t tlpu_mc_hops(const tlpu_mc_system *s, uint32_t from, uint32_t to);
uint32_t tlpu_mc_next_hop(const tlpu_mc_system *s, uint32_t from, uint32_t to);

/* One chip's share of a BitLinear. */
typedef struct tlpu_mc_slice {
    uint32_t n0, n;            /* output channels [n0, n0 + n); n = 0: the chip is idle */
    tlpu_tiling t;             /* the plan of M x K x n on the chip's core */
    uint64_t y_off;            /* where its results go in the gather area */
    uint64_t y_bytes;          /* M * out_stride(n) */
} tlpu_mc_slice;

typedef struct tlpu_mc_plan {
    uint32_t m, k, n, fmt;
    tlpu_mc_system sys;
    uint32_t used;             /* chips with work (the nearest to chip 0) */
    tlpu_mc_slice slice[TLPU_MC_CHIPS_MAX];
    uint64_t x_bytes;          /* M * act_stride(K): the activations every chip gets */
    uint64_t gather_bytes;     /* all slices' results, as chip 0 collects them */
    /* the formula's times, ps from the start of MC_RUN */
    uint64_t x_arrive_ps[TLPU_MC_CHIPS_MAX];
    uint64_t core_done_ps[TLPU_MC_CHIPS_MAX];
    uint64_t total_ps;
    uint64_t c2c_bytes;        /* every link's bytes, summed over links */
    uint64_t sum_cycles;       /* the chips' predicted CYCLES, summed */
} tlpu_mc_plan;

/* Splits M x K x N over the system's chips for a core hw with memory
 * latency mem_latency: slices of whole ROWS-channel tiles, as even as they
 * can be, given to chips in order of hops from chip 0 (chip 0, then 1,
 * N-1, 2, N-2 ... on a ring). Each slice is tiled with `effort`, or runs
 * `sched` when not NULL (TLPU_ERR_INVALID_ARG if a slice cannot). Fills the
 * plan and its predicted times (tlpu_mc_predict). */
tlpu_status tlpu_mc_plan_bitlinear(const tlpu_mc_system *sys, const tlpu_hw *hw,
                                   uint32_t mem_latency, uint32_t m, uint32_t k, uint32_t n,
                                   unsigned fmt, tlpu_tile_effort effort,
                                   const tlpu_schedule *sched, tlpu_mc_plan *p);

/* Recomputes p's times from its slices' predicted cycles (or, when
 * cycles is not NULL, from cycles[c] per chip: measured ones). */
void tlpu_mc_predict(tlpu_mc_plan *p, const uint64_t *cycles);

/* Where a chip keeps things (chip-local addresses, the same on every chip). */
typedef struct tlpu_mc_layout {
    uint64_t weights;   /* its slice's weight image */
    uint64_t x;         /* the activations (M * act_stride) */
    uint64_t gather;    /* gather area (gather_bytes): its own results at slice.y_off */
    uint64_t prog;      /* its program */
    uint64_t stream;    /* its op stream */
} tlpu_mc_layout;

/* Chip c's op stream (TLPU_MC_OP_BYTES each) into out (room for
 * tlpu_mc_stream_max(p) ops); *nops gets the count; insns[c] is the length
 * of chip c's program. */
uint32_t tlpu_mc_stream_max(const tlpu_mc_plan *p);
tlpu_status tlpu_mc_stream(const tlpu_mc_plan *p, uint32_t chip, const tlpu_mc_layout *lay,
                           uint32_t insns, uint8_t *out, uint32_t *nops);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_MCHIP_H */
