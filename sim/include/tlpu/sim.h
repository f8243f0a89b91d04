/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/sim.h - the cycle-accurate simulator of the tlpu core: the Verilated
 * RTL (rtl/tlpu_core.sv) clocked together with a device-DRAM model.
 *
 * One handle is one core and its DRAM. Nothing is shared between handles;
 * several may live in one process. The core is built in a few fixed
 * configurations ("variants"): Verilator specializes the RTL for its
 * parameters at build time.
 *
 *   variant   rows cols  wbuf_chunks abuf_words obuf_words imem_depth burst
 *   default    32   80      128        8192       2048        1024       16
 *   small       4   20       16         256         32          16        4
 *   large      64  160      128        8192        512        1024       16
 *
 * Time only advances inside tlpu_sim_step / tlpu_sim_csr_* / tlpu_sim_run /
 * tlpu_sim_wait / tlpu_sim_counters; a CSR access takes one core cycle.
 * tlpu_sim_mem_* are back-door accesses to the DRAM model (no cycles).
 */
#ifndef TLPU_SIM_H
#define TLPU_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/spec.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_sim tlpu_sim;

/* The DRAM's storage outside the harness (the SystemC platform's TLM-2.0
 * memory model). The DRAM model then moves every beat through it - a read
 * beat when it is first offered to the core, a write beat when the core's
 * write is accepted - and tlpu_sim_mem_* use it too; the port's timing stays
 * the harness's (latency, width). Each call returns 0, or nonzero for a
 * failed access (a memory-port fault). */
typedef struct tlpu_sim_mem_if {
    void *ctx;
    int (*read)(void *ctx, uint64_t addr, void *data, uint32_t n);
    int (*write)(void *ctx, uint64_t addr, const void *data, uint32_t n);
} tlpu_sim_mem_if;

typedef struct tlpu_sim_config {
    const char *variant;       /* "default", "small" or "large" */
    uint64_t dram_bytes;       /* device DRAM size: multiple of 16, 4 KiB .. 4 GiB */
    uint32_t dram_latency;     /* cycles from read request to first beat (1 .. 1000000) */
    uint32_t dram_width;       /* DRAM bytes per cycle (1 .. beat bytes): the bandwidth */
    uint32_t dram_outstanding; /* read/write requests the DRAM queues (1 .. 64) */
    double stall_prob;         /* per-cycle probability each DRAM handshake stalls [0, 0.95] */
    uint64_t seed;             /* for the stalls */
    const char *trace_path;    /* FST waveform file, or NULL for none */
    const tlpu_sim_mem_if *mem_if; /* NULL: the harness keeps the DRAM's bytes */
} tlpu_sim_config;

/* The build parameters of a core, as its CSRs report them. */
typedef struct tlpu_sim_info {
    uint32_t id, version;
    uint32_t rows, cols, beat_bytes;
    uint32_t wbuf_chunks, abuf_words, obuf_words, imem_depth;
    uint32_t formats, burst_beats, queue_depth;
} tlpu_sim_info;

/* Defaults: variant "default", 64 MiB DRAM, latency 16, full width (one beat
 * per cycle), 64 outstanding requests, no stalls, no trace. */
void tlpu_sim_config_init(tlpu_sim_config *cfg);

/* Names of the built variants, NULL-terminated. */
const char *const *tlpu_sim_variants(void);

/* Creates a core: held in reset for a few cycles, MEM_TOP set to the last
 * DRAM byte (as firmware does at boot), then idle at cycle 0 of its life. TLPU_ERR_INVALID_ARG names nothing itself: tlpu_sim_last_error() says
 * which field was wrong. */
tlpu_status tlpu_sim_create(const tlpu_sim_config *cfg, tlpu_sim **out);
void tlpu_sim_destroy(tlpu_sim *sim);

/* Text of the last argument or fault problem of tlpu_sim_create (thread-local). */
const char *tlpu_sim_last_error(void);

tlpu_status tlpu_sim_get_info(const tlpu_sim *sim, tlpu_sim_info *info);

tlpu_status tlpu_sim_mem_write(tlpu_sim *sim, uint64_t addr, const void *data, size_t n);
tlpu_status tlpu_sim_mem_read(tlpu_sim *sim, uint64_t addr, void *data, size_t n);

tlpu_status tlpu_sim_csr_write(tlpu_sim *sim, uint32_t addr, uint32_t value);
tlpu_status tlpu_sim_csr_read(tlpu_sim *sim, uint32_t addr, uint32_t *value);

/* Advances n cycles with the CSR port idle. */
tlpu_status tlpu_sim_step(tlpu_sim *sim, uint64_t n);

/* Writes PROG_ADDR and PROG_LEN and sets START (three CSR cycles). */
tlpu_status tlpu_sim_start(tlpu_sim *sim, uint64_t prog_addr, uint32_t prog_len);

/* Steps until STATUS.DONE, at most max_cycles. *cycles (may be NULL) gets the
 * cycles waited. TLPU_ERR_TIMEOUT when DONE did not come; TLPU_ERR_DEVICE when
 * the program ended with an error code (tlpu_sim_hw_error) or the memory
 * model saw a protocol fault (tlpu_sim_fault). */
tlpu_status tlpu_sim_wait(tlpu_sim *sim, uint64_t max_cycles, uint64_t *cycles);

/* start + wait; *cycles gets the cycles from START to DONE (the CYCLES counter). */
tlpu_status tlpu_sim_run(tlpu_sim *sim, uint64_t prog_addr, uint32_t prog_len,
                         uint64_t max_cycles, uint64_t *cycles);

/* The STATUS error code and ERR_PC (no cycles). */
uint32_t tlpu_sim_hw_error(const tlpu_sim *sim, uint32_t *err_pc);

/* Reads all TLPU_NUM_COUNTERS counters through the CSR port (LO then HI). */
tlpu_status tlpu_sim_counters(tlpu_sim *sim, uint64_t out[TLPU_NUM_COUNTERS]);

/* Cycles simulated since creation. */
uint64_t tlpu_sim_cycle(const tlpu_sim *sim);

/* The interrupt line, now. */
int tlpu_sim_irq(const tlpu_sim *sim);

/* The first memory-protocol violation or RTL assertion failure, or NULL. */
const char *tlpu_sim_fault(const tlpu_sim *sim);

/* DRAM beats transferred (read, write) as the memory model counted them. */
void tlpu_sim_dram_beats(const tlpu_sim *sim, uint64_t *rd, uint64_t *wr);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_SIM_H */
