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

#include "tlpu/mchip.h"
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
    tlpu_sim_config sim;  /* the core and its memory size (latency and width: from dram) */
    tlpu_sc_link link;
    tlpu_sc_dram dram;
    double clock_hz;      /* core clock */
    double fw_s;          /* firmware time per packet (parsing, checks, reply) */
    double poll_s;        /* the firmware's WAIT polls the core this often */
    double quantum_s;     /* the firmware thread's temporal decoupling quantum */
    /* An LPU system instead of the board (chips >= 1): chip 0 behind the
     * host link with the firmware; every chip a core whose memory is on-chip
     * SRAM of sim.dram_bytes (timed by sram, not dram: no DRAM at all);
     * chip-to-chip links of one kind in a ring or fully connected; MC_RUN
     * runs the compiler's static schedules (tlpu/proto.h). */
    uint32_t chips;       /* 0: the board (default); 1 .. 64: an LPU system */
    tlpu_mc_topology topology;
    tlpu_c2c_link c2c;
    tlpu_sc_dram sram;    /* the chips' memory: bandwidth, latency, energy */
    int rtl_cores;        /* LPU system: 1 the Verilated core, 0 the functional model */
} tlpu_sc_config;

/* The chips' SRAM preset: one 16-byte beat per cycle at 1 GHz, 2 ns, 1.5 pJ/bit. */
const tlpu_sc_dram *tlpu_sc_sram_preset(void);

/* Defaults: the board: the default core, link usb3, DRAM ddr4-3200, 1 GHz,
 * 2 us of firmware per packet, polls every 1 us, a 10 us quantum; for an
 * LPU system (chips set): a ring of serdes links, the SRAM preset, the
 * functional core. */
void tlpu_sc_config_init(tlpu_sc_config *c);

/* Simulated time and energy, cumulative since the platform was made. */
typedef struct tlpu_sc_times {
    double total_s;  /* = link + firmware + dram + core + c2c */
    double link_s, fw_s, dram_s, core_s;
    double c2c_s;    /* MEM_WRITE / MEM_READ of other chips crossing the chip-to-chip links */
    uint64_t link_wire_bytes, dram_bytes, packets;
    uint64_t c2c_bytes;  /* over every link, each hop counted */
    double link_j, dram_j, c2c_j;
    uint64_t mc_runs, mc_ps; /* MC_RUN schedules run, and their time (part of core_s) */
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
