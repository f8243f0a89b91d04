/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dram.h - the device-DRAM model behind the core's memory port (internal to
 * sim/). It is cycle-driven by the harness: each cycle, tlpu_dram_drive()
 * gives the memory's outputs (ready and valid signals, read data), the core
 * settles, and tlpu_dram_observe() takes the core's outputs and completes the
 * handshakes that fired.
 *
 * Timing: a read request accepted in cycle c has its first beat valid in cycle
 * c + latency at the earliest; beats leave at most one per ceil(beat/width)
 * cycles; requests are served in order and may queue up to max_outstanding.
 * With stall_prob > 0 every ready/valid the memory drives is withheld in a
 * cycle with that probability (seeded, reproducible). Writes: a beat is
 * accepted only against an accepted write request, one per ceil(beat/width)
 * cycles, and lands in memory when accepted.
 *
 * The model checks the core's side of the protocol (valid held until ready
 * with a stable payload, addresses aligned and inside the memory, burst
 * lengths, no write data beyond the requested beats) and records the first
 * violation as a fault message.
 */
#ifndef TLPU_SIM_DRAM_H
#define TLPU_SIM_DRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlpu/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TLPU_DRAM_MAX_BEAT 64u
#define TLPU_DRAM_QUEUE 64u

typedef struct tlpu_dram_req {
    uint64_t addr;
    uint32_t beats;
    uint32_t done;        /* beats transferred so far */
    uint64_t first_cycle; /* reads: earliest cycle of the first beat */
} tlpu_dram_req;

/* what the memory drives in a cycle */
typedef struct tlpu_dram_out {
    bool rreq_ready;
    bool rdata_valid;
    bool wreq_ready;
    bool wdata_ready;
    uint8_t rdata[TLPU_DRAM_MAX_BEAT];
} tlpu_dram_out;

/* what the core drives in a cycle (after it settled on tlpu_dram_out) */
typedef struct tlpu_dram_in {
    bool rreq_valid;
    uint64_t rreq_addr;
    uint32_t rreq_beats;
    bool rdata_ready;
    bool wreq_valid;
    uint64_t wreq_addr;
    uint32_t wreq_beats;
    bool wdata_valid;
    uint8_t wdata[TLPU_DRAM_MAX_BEAT];
} tlpu_dram_in;

typedef struct tlpu_dram {
    uint8_t *mem;         /* NULL when the storage is outside (ext) */
    /* external storage (tlpu_sim_mem_if): a read beat is fetched when it is
     * first offered, a write beat stored when accepted */
    void *ext;
    int (*ext_read)(void *ctx, uint64_t addr, void *data, uint32_t n);
    int (*ext_write)(void *ctx, uint64_t addr, const void *data, uint32_t n);
    uint64_t bytes;
    uint32_t beat;        /* bytes per beat (the port width) */
    uint32_t interval;    /* cycles per beat: ceil(beat / width) */
    uint32_t latency;
    uint32_t max_burst;
    uint32_t max_outstanding;
    double stall_prob;
    tlpu_rng rng;

    tlpu_dram_req rq[TLPU_DRAM_QUEUE];
    uint32_t rq_head, rq_count;
    uint64_t rd_next; /* earliest cycle of the next read beat (bandwidth) */
    tlpu_dram_req wq[TLPU_DRAM_QUEUE];
    uint32_t wq_head, wq_count;
    uint64_t wr_next;

    tlpu_dram_out out;   /* driven this cycle */
    tlpu_dram_in prev;   /* the core's outputs last cycle, for stability checks */
    tlpu_dram_out prev_out;
    bool have_prev;

    uint64_t rd_beats, wr_beats; /* totals, for the harness's cross-checks */
    char fault[256];
} tlpu_dram;

/* Returns 0, or -1 when the memory cannot be allocated. Arguments are checked
 * by the harness. With ext_read and ext_write set (after init, before use)
 * pass bytes = 0 to allocate nothing: the size is then set by the caller. */
int tlpu_dram_init(tlpu_dram *d, uint64_t bytes, uint32_t beat, uint32_t width,
                   uint32_t latency, uint32_t max_burst, uint32_t max_outstanding,
                   double stall_prob, uint64_t seed);
void tlpu_dram_free(tlpu_dram *d);

const tlpu_dram_out *tlpu_dram_drive(tlpu_dram *d, uint64_t cycle);
void tlpu_dram_observe(tlpu_dram *d, uint64_t cycle, const tlpu_dram_in *in);

/* true when no request is queued or in flight */
bool tlpu_dram_idle(const tlpu_dram *d);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_SIM_DRAM_H */
