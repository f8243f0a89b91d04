/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/sc.h - the board as a SystemC/TLM-2.0 virtual platform (C API):
 * the host link, the firmware (the same code as on the board) in an
 * SC_THREAD, the device DRAM as the firmware's DMA sees it, and the
 * Verilated core, cycle-exact. docs/system-model.md describes it.
 *
 * One request packet in, its reply out, and the simulated time it took,
 * split into link, firmware, DRAM and core time. SystemC has one kernel per
 * process: one platform at a time (TLPU_ERR_BUSY otherwise); a new one may
 * be made after the last was destroyed.
 */
#ifndef TLPU_SC_H
#define TLPU_SC_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/sim.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A host link: a transfer of B bytes travels as packets of at most
 * packet_bytes, each with overhead_bytes of framing on the wire; USB-style
 * links end every transfer with a short or zero-length packet (zlp = 1:
 * floor(B / packet) + 1 packets), others use ceil(B / packet), at least 1.
 *   time(B) = latency_s + (B + packets(B) * overhead_bytes) * 8 / bits_per_s
 * energy(B) = (B + packets(B) * overhead_bytes) * 8 * pj_per_bit */
typedef struct tlpu_sc_link {
    const char *name;
    double bits_per_s;       /* on the wire, after line coding */
    uint32_t packet_bytes;   /* largest data payload per packet */
    uint32_t overhead_bytes; /* framing per packet */
    int zlp;
    double latency_s;        /* per transfer */
    double pj_per_bit;
} tlpu_sc_link;

/* The device DRAM as the firmware's DMA sees it:
 *   time(B) = latency_s + B / bytes_per_s;  energy(B) = B * 8 * pj_per_bit
 * The core's own DRAM port runs with latency ceil(latency_s * clock) cycles
 * and min(beat, bytes_per_s / clock) bytes per cycle. */
typedef struct tlpu_sc_dram {
    const char *name;
    double bytes_per_s;
    double latency_s;
    double pj_per_bit;
} tlpu_sc_dram;

/* Presets by name ("usb2", "usb3", "pcie3x4"; "ddr4-3200", "lpddr5"), NULL
 * when unknown. docs/system-model.md gives their sources. */
const tlpu_sc_link *tlpu_sc_link_preset(const char *name);
const tlpu_sc_dram *tlpu_sc_dram_preset(const char *name);
/* "usb2, usb3, pcie3x4" and "ddr4-3200, lpddr5", for messages */
const char *tlpu_sc_link_names(void);
const char *tlpu_sc_dram_names(void);

uint64_t tlpu_sc_link_wire_bytes(const tlpu_sc_link *l, uint64_t bytes);
double tlpu_sc_link_time(const tlpu_sc_link *l, uint64_t bytes);
double tlpu_sc_dram_time(const tlpu_sc_dram *d, uint64_t bytes);

typedef struct tlpu_sc_config {
    tlpu_sim_config sim;  /* the core and its DRAM size (latency and width: from dram) */
    tlpu_sc_link link;
    tlpu_sc_dram dram;
    double clock_hz;      /* core clock */
    double fw_s;          /* firmware time per packet (parsing, checks, reply) */
    double poll_s;        /* the firmware's WAIT polls the core this often */
    double quantum_s;     /* the firmware thread's temporal decoupling quantum */
} tlpu_sc_config;

/* Defaults: the default core, link usb3, DRAM ddr4-3200, 1 GHz, 2 us of
 * firmware per packet, polls every 1 us, a 10 us quantum. */
void tlpu_sc_config_init(tlpu_sc_config *c);

/* Simulated time and energy, cumulative since the platform was made. */
typedef struct tlpu_sc_times {
    double total_s;  /* = link + firmware + dram + core */
    double link_s, fw_s, dram_s, core_s;
    uint64_t link_wire_bytes, dram_bytes, packets;
    double link_j, dram_j;
} tlpu_sc_times;

typedef struct tlpu_sc tlpu_sc;

/* TLPU_ERR_INVALID_ARG (a bad number: zero bandwidth, ...), TLPU_ERR_BUSY
 * (another platform exists); tlpu_sc_last_error() says which. */
tlpu_status tlpu_sc_create(const tlpu_sc_config *c, tlpu_sc **out);
void tlpu_sc_destroy(tlpu_sc *s);
const char *tlpu_sc_last_error(void);

/* The core's parameters (for the firmware's INFO). */
tlpu_sim *tlpu_sc_core(tlpu_sc *s);

/* One request to the board and its reply (at most cap bytes). */
tlpu_status tlpu_sc_transact(tlpu_sc *s, const uint8_t *req, size_t len, uint8_t *reply,
                             size_t cap, size_t *reply_len);

void tlpu_sc_get_times(const tlpu_sc *s, tlpu_sc_times *t);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_SC_H */
