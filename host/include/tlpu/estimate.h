/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/estimate.h - whole-model estimates: every BitLinear of a network
 * tiled for a core, its cycles and activity from the exact timing model,
 * priced with an energy table, summed per phase (prefill of P tokens,
 * decode of D tokens), with MAC-array baselines and weight footprints.
 *
 * The cycle counts are exact for the programs the tiler emits (the RTL
 * tests prove the timing model equals the core); the lane counters, which
 * depend on the weights, assume a trit mix (zero_frac zeros, the rest +1 and
 * -1 in equal parts; padding lanes count as skips, as on the core).
 */
#ifndef TLPU_ESTIMATE_H
#define TLPU_ESTIMATE_H

#include "tlpu/energy.h"
#include "tlpu/net.h"
#include "tlpu/report.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_est_opts {
    tlpu_hw hw;
    double clock_hz;          /* core clock (default 1 GHz) */
    uint32_t mem_latency;     /* DRAM read latency, cycles (default 16) */
    unsigned fmt;             /* weight packing (TLPU_FMT_PACK3 default) */
    uint32_t prefill;         /* P tokens (0: no prefill phase) */
    uint32_t decode;          /* D tokens (0: no decode phase) */
    uint32_t context;         /* tokens already in the KV cache when decoding starts */
    double zero_frac;         /* fraction of zero trits (default 1/3) */
    tlpu_tile_effort effort;  /* the tiler's search (TLPU_TILE_QUICK default) */
    /* an LPU system (mc.chips >= 1; 0: a board): every BitLinear split over
     * mc.chips chips by the multi-chip compiler (tlpu/mchip.h), its time the
     * schedule's (the formula the SystemC platform reproduces), its memory
     * traffic priced at mc.sram_pj_per_bit, the links' bytes at theirs; no
     * host traffic per layer */
    tlpu_mc_system mc;
} tlpu_est_opts;

void tlpu_est_opts_init(tlpu_est_opts *o);

/* Tiles one BitLinear (L->m, k, n, fmt set by the caller) and fills its
 * cycles, counters, utilization and roofline; plan (may be NULL) gets the
 * tiling, whose schedule a device run must use to match. */
tlpu_status tlpu_estimate_linear(const tlpu_est_opts *o, tlpu_report_layer *L, tlpu_tiling *plan);

/* Fills r's header and layers for the network: prefill entries (M = P)
 * then decode entries (M = 1), one per distinct BitLinear of a decoder
 * layer, each tiled once; plans[i] (if not NULL, TLPU_REPORT_MAX_LAYERS
 * long) gets layer i's tiling. Then prices everything with the table (may
 * be NULL: no energy) and fills the phase totals, baselines and footprint:
 * tlpu_estimate_totals. */
tlpu_status tlpu_estimate_net(const tlpu_net *net, const tlpu_est_opts *o,
                              const tlpu_energy_table *tab, tlpu_report *r, tlpu_tiling *plans);

/* Recomputes energies, phase totals, baselines and footprint from r's
 * layers (after a caller replaced some layers' counters with simulated ones). */
tlpu_status tlpu_estimate_totals(const tlpu_net *net, const tlpu_est_opts *o,
                                 const tlpu_energy_table *tab, tlpu_report *r);

/* The scaling study of an LPU system (o->mc gives the links, topology,
 * clock and each chip's SRAM, mc.sram_bytes > 0; mc.chips is ignored):
 * decode (M = 1), for chip counts N from the smallest that holds the
 * model's BitLinear weights up to 64, the fastest layout W x S = N (each
 * BitLinear split over W chips, the decoder layers in S pipeline stages of
 * consecutive layers, the stages' lead chips chained by one link), its
 * ms/token for one stream, tokens/s with S streams in flight, J/token
 * (energy table tab) and the point past which more chips buy less than
 * 10%. TLPU_ERR_NOMEM with err naming the need when not even 64 chips hold
 * the model. */
tlpu_status tlpu_estimate_scaling(const tlpu_net *net, const tlpu_est_opts *o,
                                  const tlpu_energy_table *tab, tlpu_report_scaling *out,
                                  char *err, size_t errlen);

/* The smallest chip count (1 .. 64) whose chips' SRAM holds the model with
 * every BitLinear split over all of them (one stage), 0 when none does;
 * *per_chip gets the fullest chip's bytes at that count (or at 64). */
uint32_t tlpu_estimate_min_chips(const tlpu_net *net, const tlpu_est_opts *o,
                                 uint64_t *per_chip);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_ESTIMATE_H */
