/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/tlpu.h - the driver API: everything a host program needs to use a
 * tlpu device, whichever transport carries it.
 *
 * A device is opened by URI; the scheme picks the transport at run time:
 *   sim:[k=v,...]    the cycle-accurate Verilated core, its DRAM model and the
 *                    firmware, in this process. Keys: variant=default|small|
 *                    large (or rows=,cols= naming one), latency=L, width=B,
 *                    outstanding=N, stall=P, seed=S, dram=BYTES[K|M|G],
 *                    trace=FILE.fst
 *   model:[k=v,...]  the functional C model of the same core (same bits and
 *                    counters, no Verilator), with the firmware. Keys:
 *                    variant=, rows=, cols=, wbuf=, abuf=, obuf=, imem=,
 *                    queue=, burst=, latency=, dram=
 *   usb:[k=v,...]    a board over USB through libusb. Keys: vid=, pid=
 *                    (default 1209:7470), serial=, port=BUS-PORT.PORT...,
 *                    timeout= (ms per transfer), retries=, inflight=
 *   sc:[k=v,...]     the board as a SystemC/TLM-2.0 platform: host link,
 *                    firmware, DRAM and the Verilated core; the same bits
 *                    and core cycles as sim:, and simulated time
 *                    (tlpu_get_time). Keys: link=usb2|usb3|pcie3x4,
 *                    dram=ddr4-3200|lpddr5, link_bw=, link_latency=,
 *                    dram_bw=, dram_latency=, variant=, clock=, fw=, poll=,
 *                    quantum=, dram_size=
 * Every call talks to the device only through the wire protocol
 * (tlpu/proto.h): the same calls give the same bits on every transport.
 *
 * Every function returns a tlpu_status (tlpu/status.h); tlpu_last_error()
 * gives a one-line message naming the problem of the last failed call in
 * this thread. Arguments are checked before anything is sent.
 */
#ifndef TLPU_TLPU_H
#define TLPU_TLPU_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/spec.h"
#include "tlpu/status.h"
#include "tlpu/mchip.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_dev tlpu_dev;

/* The message of the last failed call in this thread ("" if none). */
const char *tlpu_last_error(void);
/* The transport's own error code behind the last failure in this thread
 * (for usb: a libusb_error such as LIBUSB_ERROR_PIPE), 0 when the failure
 * did not come from the transport's library. */
int tlpu_last_transport_error(void);

tlpu_status tlpu_open(const char *uri, tlpu_dev **out);
/* Closes the device; always safe, also after the device went away. */
void tlpu_close(tlpu_dev *dev);

/* Asks the device's call in progress (in another thread, or interrupted by
 * a signal handler: this is async-signal-safe) to stop as soon as it can;
 * that call returns TLPU_ERR_CANCELLED. A request made while no call runs
 * cancels the next call. On usb: transfers in flight are cancelled. The
 * device stays usable; a program started with tlpu_run keeps running
 * (tlpu_reset stops it; tlpu_dev_bitlinear stops its own). */
void tlpu_cancel(tlpu_dev *dev);

/* Lists the devices a transport sees: for usb:[vid=,pid=,serial=,port=]
 * every matching board (its URI and a description: product, serial, bus
 * path, speed); for the in-process transports the one device they make.
 * fn is called once per device; *count (may be NULL) gets how many. */
tlpu_status tlpu_list_devices(const char *uri,
                              void (*fn)(void *arg, const char *uri, const char *what),
                              void *arg, int *count);

typedef struct tlpu_dev_info {
    const char *transport;      /* "sim", "model", ... */
    uint32_t proto_version, fw_version, core_id, core_version;
    tlpu_hw hw;                 /* the core's build parameters */
    uint32_t formats;           /* bit f: weight format f (TLPU_FMT_*) */
    uint32_t mem_latency;       /* nominal DRAM read latency, cycles */
    uint64_t dram_size;         /* device memory bytes (per chip) */
    /* an LPU system (chip_shift != 0): chips joined by chip-to-chip links,
     * chip c's memory at addresses c << chip_shift (tlpu_mem_* reach every
     * chip); BitLinears are split over the chips (tlpu/mchip.h) */
    uint32_t chips;             /* 1 on a board */
    uint32_t chip_shift;        /* 0 on a board */
} tlpu_dev_info;

tlpu_status tlpu_get_info(tlpu_dev *dev, tlpu_dev_info *info);

/* Simulated time since the device was opened, for transports that model it
 * (sc:; the others: TLPU_ERR_UNSUPPORTED). total = link + firmware + DRAM +
 * core, where core is the time the firmware spent on CSR accesses and
 * waiting for the core; energies from the link's and DRAM's per-bit costs. */
typedef struct tlpu_dev_time {
    double total_s, link_s, fw_s, dram_s, core_s;
    double link_j, dram_j;
    uint64_t link_bytes;  /* on the wire, framing included */
    uint64_t dram_bytes;  /* the device memory's: the firmware's DMA and the cores' own */
    uint64_t packets;     /* requests answered */
    /* LPU systems: the chip-to-chip links (c2c_s: loads and reads of other
     * chips' memory; transfers inside MC_RUN count in core_s), and the
     * multi-chip schedules run and their time in picoseconds */
    double c2c_s, c2c_j;
    uint64_t c2c_bytes;   /* every hop counted */
    uint64_t mc_runs, mc_ps;
} tlpu_dev_time;

tlpu_status tlpu_get_time(tlpu_dev *dev, tlpu_dev_time *t);

/* What happened between two readings of tlpu_get_time: *out = now - then,
 * field by field. TLPU_ERR_INVALID_ARG for a NULL argument. */
tlpu_status tlpu_time_since(const tlpu_dev_time *now, const tlpu_dev_time *then,
                            tlpu_dev_time *out);

/* The multi-chip system behind an LPU device, with its links' speed, for
 * transports that model it (sc:chips=N); TLPU_ERR_UNSUPPORTED otherwise. */
tlpu_status tlpu_get_system(tlpu_dev *dev, tlpu_mc_system *sys);

/* ---- device memory ---------------------------------------------------------- */

/* Reserves n bytes of device memory (aligned to 256 bytes) and returns its
 * address; the driver keeps the map, the device knows nothing of it. */
tlpu_status tlpu_mem_alloc(tlpu_dev *dev, uint64_t n, uint64_t *addr);
tlpu_status tlpu_mem_free(tlpu_dev *dev, uint64_t addr);
/* Copies to / from device memory (split into packets as needed). */
tlpu_status tlpu_mem_write(tlpu_dev *dev, uint64_t addr, const void *src, size_t n);
tlpu_status tlpu_mem_read(tlpu_dev *dev, uint64_t addr, void *dst, size_t n);

/* ---- the core ---------------------------------------------------------------- */

tlpu_status tlpu_csr_write(tlpu_dev *dev, uint32_t addr, uint32_t value);
tlpu_status tlpu_csr_read(tlpu_dev *dev, uint32_t addr, uint32_t *value);

/* Starts the program of n instructions at prog_addr (16-byte aligned). */
tlpu_status tlpu_run(tlpu_dev *dev, uint64_t prog_addr, uint32_t n);

typedef struct tlpu_run_result {
    uint32_t status;   /* the STATUS CSR */
    uint32_t hw_error; /* the core's error code (TLPU_HWERR_*), 0 if none */
    uint32_t err_pc;   /* the instruction that raised it */
    uint64_t cycles;   /* CYCLES: START to DONE */
} tlpu_run_result;

/* Waits until the program ends, at most timeout_us of device time.
 * TLPU_ERR_TIMEOUT if it did not; TLPU_ERR_DEVICE if it ended with a core
 * error (res says which). res may be NULL. */
tlpu_status tlpu_wait(tlpu_dev *dev, uint64_t timeout_us, tlpu_run_result *res);

tlpu_status tlpu_counters(tlpu_dev *dev, uint64_t out[TLPU_NUM_COUNTERS]);
tlpu_status tlpu_counters_reset(tlpu_dev *dev);
/* Soft reset of the core (aborts a running program; memory is kept). */
tlpu_status tlpu_reset(tlpu_dev *dev);

/* ---- BitLinear ------------------------------------------------------------------ */

typedef struct tlpu_bitlinear_args {
    uint32_t m, k, n;
    const int8_t *x;        /* M x K int8 activations, row-major */
    unsigned fmt;           /* TLPU_FMT_PACK2 or TLPU_FMT_PACK3: how w is packed */
    const uint8_t *w;       /* N rows of packed trits, each tlpu_packed_row_bytes(fmt, K) bytes */
    int32_t *y;             /* M x N int32 results, row-major */
    /* optional dequantization: y_f = (y / x_scale[m]) * w_scale (tlpu_bitlinear_dequantize) */
    float *y_f;             /* M x N, or NULL */
    float w_scale;
    const float *x_scale;   /* M per-token scales (required with y_f) */
    /* the schedule to run (tlpu_tiling.sched of a plan for this shape on
     * this device), or NULL: the tiler's full search */
    const tlpu_schedule *sched;
} tlpu_bitlinear_args;

typedef struct tlpu_bitlinear_stats {
    uint64_t cycles;           /* the core's CYCLES for the program */
    uint64_t predicted_cycles; /* the timing model's count for the schedule */
    uint64_t counters[TLPU_NUM_COUNTERS];
    uint32_t insns;            /* program length */
    uint64_t weight_bytes;     /* device weight image */
    double utilization;        /* useful lane ops / (ROWS x COLS x cycles) */
    /* LPU systems: cycles, predicted_cycles and counters are summed over the
     * chips; chips_used took a slice; chip_cycles[c] is chip c's CYCLES;
     * predicted_ps the schedule's time by tlpu/mchip.h's formula (0 when
     * the device does not say its links' speed: tlpu_get_system) */
    uint32_t chips_used;
    uint64_t chip_cycles[TLPU_MC_CHIPS_MAX];
    uint64_t predicted_ps;
} tlpu_bitlinear_stats;

/* Bytes of one packed weight row of k trits. */
size_t tlpu_packed_row_bytes(unsigned fmt, uint32_t k);

/* y = x W^T exactly (int32), any M, K, N: tiles the problem onto the array,
 * moves the operands, runs the program, reads the results back. stats may
 * be NULL. The device memory it uses is released before it returns. */
tlpu_status tlpu_dev_bitlinear(tlpu_dev *dev, const tlpu_bitlinear_args *args,
                               tlpu_bitlinear_stats *stats);

/* ---- debugging ------------------------------------------------------------------ */

/* Sends one raw request packet (any bytes) and returns the raw reply, with
 * no checks: for protocol tests and the USB device emulator. */
tlpu_status tlpu_debug_raw(tlpu_dev *dev, const uint8_t *req, size_t len, uint8_t *reply,
                           size_t cap, size_t *reply_len);

/* ---- resident weights ---------------------------------------------------------- */

/* A BitLinear of a fixed shape whose weights and program stay in device
 * memory, so each run moves only activations in and results out (as a
 * deployed model does: decode steps reuse the same weights). */
typedef struct tlpu_dev_layer tlpu_dev_layer;

/* Plans M x K x N (sched as in tlpu_bitlinear_args, or NULL), writes the
 * weight image and the program to the device. The device memory is held
 * until tlpu_dev_layer_free. */
tlpu_status tlpu_dev_layer_load(tlpu_dev *dev, uint32_t m, uint32_t k, uint32_t n, unsigned fmt,
                                const uint8_t *w, const tlpu_schedule *sched,
                                tlpu_dev_layer **out);
/* y = x W^T for M rows of x (and y_f as in tlpu_bitlinear_args when not
 * NULL); y is written only when the call succeeds. stats may be NULL. */
tlpu_status tlpu_dev_layer_run(tlpu_dev_layer *layer, const int8_t *x, int32_t *y, float *y_f,
                               float w_scale, const float *x_scale,
                               tlpu_bitlinear_stats *stats);
/* Releases its device memory (host-side bookkeeping: works after the device
 * went away too; free the layers before closing their device). */
void tlpu_dev_layer_free(tlpu_dev_layer *layer);

/* On an LPU system, the layer's multi-chip plan (slices, predicted times);
 * NULL on a board. */
const tlpu_mc_plan *tlpu_dev_layer_mc_plan(const tlpu_dev_layer *layer);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_TLPU_H */
