/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/fw.h - the device firmware: the command processor that answers the
 * host's packets (tlpu/proto.h) by driving the core through a small port.
 *
 * Freestanding C (no heap, no libc): the same sources run linked into the
 * simulator's transports on the host and on the board's MCU. The caller
 * owns the tlpu_fw state (static storage on an MCU) and feeds it one request
 * packet at a time; every request gets one reply, whatever its bytes.
 */
#ifndef TLPU_FW_H
#define TLPU_FW_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/proto.h"

#define TLPU_FW_VERSION 0x00010000u /* 1.0 */

/* What the firmware needs from the board (or from the simulator). Every
 * function returns 0 on success and nonzero when the access failed. */
typedef struct tlpu_fw_port {
    void *ctx;
    int (*csr_read)(void *ctx, uint32_t addr, uint32_t *value);
    int (*csr_write)(void *ctx, uint32_t addr, uint32_t value);
    /* device memory (DRAM) from the MCU's side: DMA or a bus bridge */
    int (*mem_write)(void *ctx, uint64_t addr, const void *src, uint32_t n);
    int (*mem_read)(void *ctx, uint64_t addr, void *dst, uint32_t n);
    uint64_t (*now_us)(void *ctx); /* monotonic device time */
    void (*idle)(void *ctx);       /* let the core run a little (poll interval) */
    void (*log)(void *ctx, const char *msg); /* may be NULL */
    uint64_t dram_size;            /* device memory bytes, from address 0 */
    uint32_t mem_latency;          /* nominal DRAM read latency (cycles), reported by INFO */
    /* multi-chip systems (proto.h): chips > 1 makes every chip's window
     * [c << chip_shift, + dram_size) reachable by MEM_WRITE / MEM_READ */
    uint32_t chips;                /* 0 or 1: a single chip */
    uint32_t chip_shift;
    /* MC_RUN (may be NULL: TLPU_PST_UNSUPPORTED): runs the schedule whose
     * table (n_chips entries) is at table_addr in chip 0's memory; writes
     * the reply payload (TLPU_PROTO_MC_DONE_BYTES(n_chips)) to out and
     * returns a TLPU_PST_* status (nothing runs unless every op is valid) */
    uint32_t (*mc_run)(void *ctx, uint64_t table_addr, uint32_t n_chips, uint8_t *out);
} tlpu_fw_port;

typedef struct tlpu_fw {
    tlpu_fw_port port;
    tlpu_proto_info info; /* read from the core's CSRs at init */
    int ready;            /* init found a tlpu core */
    uint32_t requests, errors; /* packets handled, error replies */
} tlpu_fw;

/* Boots: reads the core's identity and parameters, sets MEM_TOP to the last
 * DRAM byte, clears interrupts. Returns 0, or -1 when no tlpu core answers
 * (the firmware then answers every request with TLPU_PST_PORT). */
int tlpu_fw_init(tlpu_fw *fw, const tlpu_fw_port *port);

/* Handles one request packet of `len` bytes; writes the reply into `reply`
 * (capacity `cap`, at least TLPU_PROTO_MAX_PACKET) and returns its length
 * (0 only when cap is too small). Any bytes are accepted as a request. */
size_t tlpu_fw_handle(tlpu_fw *fw, const uint8_t *req, size_t len, uint8_t *reply, size_t cap);

#endif /* TLPU_FW_H */
