/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/report.h - the estimation report: what `tlpu report` / `tlpu sim`
 * computed for one model on one hardware configuration, and its three
 * renderings (terminal table, JSON, a self-contained HTML page with SVG
 * charts). The JSON schema is docs/report.schema.json.
 *
 * All energies are picojoules, all times seconds unless a name says
 * otherwise; cycles are core cycles at clock_hz.
 */
#ifndef TLPU_REPORT_H
#define TLPU_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "tlpu/energy.h"
#include "tlpu/mchip.h"
#include "tlpu/spec.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TLPU_REPORT_MAX_LAYERS 64

/* A stretch of the board's time on a device that models it (sc:), split as
 * tlpu_dev_time is: total = link + firmware + memory + core + chip links. */
typedef struct tlpu_report_board {
    double total_s, link_s, fw_s, dram_s, core_s, c2c_s;
    double link_j, dram_j, c2c_j;
} tlpu_report_board;

/* One BitLinear shape of the model in one phase (prefill: M = P tokens at
 * once; decode: M = 1, once per generated token). Numbers are per instance. */
typedef struct tlpu_report_layer {
    char name[32];          /* "q_proj", "gate_proj", ... */
    char phase[8];          /* "prefill" or "decode" */
    uint32_t m, k, n;       /* the BitLinear: M tokens, K in, N out */
    uint32_t count;         /* instances in the whole model (layers x per layer) */
    uint32_t fmt;           /* TLPU_FMT_PACK2 / PACK3 */
    uint64_t cycles;        /* the timing model's (exact) cycle count */
    uint64_t counters[TLPU_NUM_COUNTERS]; /* its activity (LANE_* from the data or the weights' trit mix) */
    double utilization;     /* useful lane ops / (ROWS x COLS x cycles) */
    double compute_cycles;  /* the roofline: M*K*N / (ROWS*COLS) */
    double memory_cycles;   /* the roofline: DRAM bytes / BEAT_BYTES */
    int compute_bound;      /* compute_cycles >= memory_cycles */
    tlpu_energy_breakdown energy; /* per instance, pJ */
    /* cycle-accurate cross-check (when this layer was simulated) */
    int simulated;          /* 1: run on a device through the driver */
    char device[64];        /* its URI ("sim:", "model:") */
    uint64_t sim_cycles;    /* CYCLES the device reported */
    int sim_exact;          /* the outputs equal the C reference bit for bit */
    int sim_counters_agree; /* every data-independent counter equals the model's */
    /* the board's time for that one call, on a device that models it (sc:):
     * the weights, activations and program go over the link, the program
     * runs, the results come back */
    int has_board;
    double board_s, link_s, fw_s, dram_s, core_s; /* board = link + fw + dram + core + c2c */
    double link_j, dram_j;
    double c2c_s, c2c_j;    /* an LPU system: loading the other chips over the links */
    /* an LPU system (report mc.chips >= 1): cycles and counters summed over
     * the chips; the chips that took a slice, the schedule's time by the
     * formula of tlpu/mchip.h, the bytes its links carry (each hop), the
     * fullest chip's weight image; sim_mc_ps the simulated schedule time */
    uint32_t chips_used;
    uint64_t mc_ps, c2c_bytes, chip_weight_bytes;
    uint64_t sim_mc_ps;
    /* one call with the weights already on the device (tlpu_dev_layer_run):
     * what a deployed model pays per call, activations in, results out */
    int has_resident;
    tlpu_report_board resident;
} tlpu_report_layer;

/* Totals of one phase over the whole model. */
typedef struct tlpu_report_phase {
    uint32_t tokens;        /* P (prefill) or D (decode) */
    uint64_t cycles;        /* all BitLinears of all layers, all tokens */
    double seconds;         /* cycles / clock_hz */
    double tokens_per_s;
    tlpu_energy_breakdown energy; /* pJ, whole phase */
    double joules_per_token;
    double tokens_per_joule;
    double pj_per_mac;      /* total energy / ternary MACs */
    uint64_t macs;          /* ternary multiply-accumulates (M*K*N summed) */
    /* the same matmuls on MAC arrays: arithmetic only, and with memory */
    double fp16_arith_pj, int8_arith_pj, tlpu_arith_pj;
    double fp16_system_pj, int8_system_pj;
    /* end to end on the board (when every layer of the phase has a resident
     * call): each one count x runs times; prefill: the time to the first
     * token; decode: divide by tokens for the time per generated token */
    int has_e2e;
    tlpu_report_board e2e;
} tlpu_report_phase;

/* An LPU system's scaling study (tlpu_estimate_scaling): decode, one row
 * per chip count. */
#define TLPU_REPORT_MAX_SCALE 16
typedef struct tlpu_report_scale_row {
    uint32_t chips, width, stages;  /* chips = width x stages */
    uint64_t bytes_per_chip;        /* the fullest chip's weights and buffers */
    double ms_per_token;            /* one stream */
    double tokens_per_s;            /* one stream: 1000 / ms_per_token */
    double pipeline_tokens_per_s;   /* `stages` streams in flight: 1 / the slowest stage */
    double j_per_token;             /* one stream, every chip leaking meanwhile */
    double c2c_share;               /* the links' part of that energy */
    double speedup;                 /* ms/token of the first row / this row's */
} tlpu_report_scale_row;

typedef struct tlpu_report_scaling {
    uint32_t nrows;                 /* 0: no study */
    uint64_t sram_bytes;            /* per chip */
    uint32_t min_chips;             /* the smallest count that holds the model */
    uint32_t knee_chips;            /* the fewest chips within 10% of the best ms/token */
    uint64_t weight_bytes;          /* all BitLinear weight images on one chip */
    tlpu_report_scale_row row[TLPU_REPORT_MAX_SCALE];
} tlpu_report_scaling;

/* Bytes of the model's weights in each storage format. */
typedef struct tlpu_report_footprint {
    uint64_t params;        /* BitLinear weights */
    uint64_t other_params;  /* embeddings, norms (stored in 16 bits) */
    uint64_t fp32, fp16, bf16, int8, two_bit, base3; /* BitLinear weights only */
} tlpu_report_footprint;

typedef struct tlpu_report {
    char model[64];          /* "bitnet-2b4t" or a file's name */
    char engine[16];         /* "estimate", "sim", "model" */
    tlpu_hw hw;
    double clock_hz;
    uint32_t mem_latency;
    char energy_table[64];   /* its name */
    char energy_node[16];    /* "45nm", "7nm" */
    uint32_t context;        /* tokens already in the KV cache for decode */
    /* the paper ratio from the table: (FP16 add + FP16 mult) / INT8 add */
    double paper_ratio;
    uint32_t nlayers;
    tlpu_report_layer layer[TLPU_REPORT_MAX_LAYERS];
    tlpu_report_phase prefill, decode;
    tlpu_report_footprint footprint;
    char notes[4][160];      /* short remarks printed under the report */
    uint32_t nnotes;
    /* an LPU system (mc.chips >= 1) instead of one core and its DRAM */
    tlpu_mc_system mc;
    tlpu_report_scaling scaling;
} tlpu_report;

/* The terminal report: per layer and total tables, the energy breakdown,
 * baselines and footprints (width <= 100 columns). */
void tlpu_report_print(FILE *f, const tlpu_report *r);
/* JSON following docs/report.schema.json. */
tlpu_status tlpu_report_json(FILE *f, const tlpu_report *r);
/* One self-contained HTML page (no scripts, no external files) with SVG
 * charts: energy by component, latency by layer, the roofline with every
 * layer on it, tlpu against the FP16 / INT8 baselines. Well-formed XML. */
tlpu_status tlpu_report_html(FILE *f, const tlpu_report *r);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_REPORT_H */
