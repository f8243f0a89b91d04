/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/energy.h - the energy model: per-event energies from an editable
 * JSON table (technology node, unit and source on every entry) priced over
 * the activity the core's counters count (simulated) or the timing model
 * counts (estimated), plus FP16 / INT8 MAC-array baselines on the same
 * workload. docs/energy-model.md gives every formula and default.
 */
#ifndef TLPU_ENERGY_H
#define TLPU_ENERGY_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/spec.h"
#include "tlpu/status.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Energy of a run by component, in picojoules. */
typedef struct tlpu_energy_breakdown {
    double array_add;   /* lanes that added their activation (+1 trits) */
    double array_sub;   /* lanes that subtracted it (-1 trits) */
    double array_skip;  /* lanes that skipped (0 trits): the gating cost only */
    double accumulate;  /* the int32 accumulators (one per row per array cycle) */
    double decoder;     /* weight decoders: per packed byte decoded */
    double wbuf;        /* weight-buffer reads and writes */
    double abuf;        /* activation-buffer reads and writes */
    double obuf;        /* output-buffer reads and writes */
    double dram;        /* device DRAM traffic */
    double link;        /* the host link (bytes moved between host and device) */
    double c2c;         /* chip-to-chip links (LPU systems) */
    double leakage;     /* static power x time */
    double total;       /* the sum of the above */
} tlpu_energy_breakdown;

/* An energy table (an opaque handle: tlpu_energy_free). */
typedef struct tlpu_energy_table tlpu_energy_table;

/* The workload-independent inputs of the pricing. */
typedef struct tlpu_energy_ctx {
    tlpu_hw hw;            /* the core's configuration (buffer sizes scale SRAM energies) */
    double clock_hz;       /* the core clock (leakage x time) */
    uint64_t link_bytes;   /* bytes over the host link for this run */
    /* LPU systems: the chips' SRAM instead of DRAM (mem_pj_per_bit > 0
     * prices the core's memory traffic, in place of the table's "dram"),
     * and the bytes the chip-to-chip links carried, each hop counted */
    double mem_pj_per_bit;
    uint64_t c2c_bytes;
    double c2c_pj_per_bit;
} tlpu_energy_ctx;

/* ---- tables ---------------------------------------------------------------
 *
 * A table is a JSON file (docs/energy-model.md gives the format):
 *   {"tlpu_energy_table": 1, "name": "...", "node": "...", "description": "...",
 *    "entries": {"<key>": {"value": <number>, "unit": "...", "node": "...",
 *                          "source": "...", "note": "..."}, ...}}
 * The built-in tables are the shipped files host/data/energy/<name>.json
 * themselves. Every entry the model uses must be present (TLPU_ENERGY_KEYS
 * below lists them); other entries are kept and listed but not used.
 * Energies and powers must be finite and >= 0.
 *
 * Functions taking `err`/`errlen` write a one-line English message there
 * (always NUL-terminated when errlen > 0, "" on success) naming the file,
 * the key and the problem; either may be NULL/0. Errors leave *out as it was.
 */

/* The built-in tables: name i (0, 1, ...), NULL past the last.
 * Today "45nm" (Horowitz, ISSCC 2014) and "7nm" (the BitNet papers). */
const char *tlpu_energy_builtin_name(size_t i);

/* A built-in table by name. TLPU_ERR_INVALID_ARG for NULL arguments or an
 * unknown name; TLPU_ERR_NOMEM. (A build without the generated header reads
 * the files from the source tree: TLPU_ERR_IO if they are not there.) */
tlpu_status tlpu_energy_builtin(const char *name, tlpu_energy_table **out);

/* A user table from a JSON file. TLPU_ERR_IO: cannot open or read it, not a
 * regular file, larger than 1 MiB; TLPU_ERR_FORMAT: not JSON (truncated,
 * NaN, a syntax error), a missing key, a value of the wrong type, an unknown
 * unit, an unknown field, a bad curve; TLPU_ERR_RANGE: a negative energy or
 * power, or a number too large for a double; TLPU_ERR_UNSUPPORTED: a format
 * version other than 1; TLPU_ERR_NOMEM. */
tlpu_status tlpu_energy_load(const char *path, tlpu_energy_table **out, char *err, size_t errlen);

/* A built-in table's name or a table file's path, as every --energy takes
 * it: the built-in table when `name` is one of their names, else
 * tlpu_energy_load(name, ...) with its statuses and message. */
tlpu_status tlpu_energy_open(const char *name, tlpu_energy_table **out, char *err, size_t errlen);

/* The same from a buffer of len bytes; `label` names it in messages. */
tlpu_status tlpu_energy_parse(const char *json, size_t len, const char *label,
                              tlpu_energy_table **out, char *err, size_t errlen);

/* Frees a table (NULL is fine). */
void tlpu_energy_free(tlpu_energy_table *t);

/* The table's "name" (at most 63 bytes), "node" (at most 15 bytes) and
 * "description" ("" when absent); NULL for a NULL table. */
const char *tlpu_energy_name(const tlpu_energy_table *t);
const char *tlpu_energy_node(const tlpu_energy_table *t);
const char *tlpu_energy_description(const tlpu_energy_table *t);

/* One entry of a table. Strings and arrays belong to the table. */
typedef struct tlpu_energy_entry {
    const char *key;            /* "int8_add", "sram_read_64b", ... */
    double value;               /* as written, in `unit` (NaN for a curve) */
    const char *unit;           /* as written: "pJ/op", "uW/lane", ... */
    double canonical;           /* value in canonical_unit (NaN for a curve) */
    const char *canonical_unit; /* pJ/op, pJ/byte, pJ/bit, pJ/64b, mW/lane, mW/KiB, x */
    const char *node;           /* the entry's technology ("45nm", "DDR3", ...) */
    const char *source;         /* where the number comes from */
    const char *note;           /* "" when the entry has none */
    size_t npoints;             /* a curve (sram_read_64b): its points; else 0 */
    const double *point_bytes;  /* npoints sizes in bytes, increasing */
    const double *point_value;  /* npoints values in `unit` */
    const double *point_canonical; /* npoints values in canonical_unit */
} tlpu_energy_entry;

/* Entries in file order: count, entry i, entry by key. The *_at / find
 * functions return TLPU_ERR_INVALID_ARG for NULL arguments, an index past
 * the end or a key the table does not have. */
size_t tlpu_energy_count(const tlpu_energy_table *t);
tlpu_status tlpu_energy_entry_at(const tlpu_energy_table *t, size_t i, tlpu_energy_entry *out);
tlpu_status tlpu_energy_find(const tlpu_energy_table *t, const char *key, tlpu_energy_entry *out);
/* The canonical value of a (non-curve) entry. */
tlpu_status tlpu_energy_value(const tlpu_energy_table *t, const char *key, double *out);

/* The keys every table must have, in the order the documentation lists them. */
#define TLPU_ENERGY_KEYS                                                                      \
    "int8_add", "int8_mult", "fp16_add", "fp16_mult", "fp32_add", "fp32_mult", "int32_add",   \
        "lane_add", "lane_sub", "lane_skip", "accumulate", "decode_byte", "sram_read_64b",    \
        "sram_write_factor", "dram", "link", "leak_lane", "leak_sram"

/* ---- pricing -------------------------------------------------------------- */

/* SRAM energy per bit (pJ) of an array of `bytes` bytes, from the table's
 * sram_read_64b curve: a power law between neighbouring points (log energy
 * linear in log size), the last segment's law above the largest point, the
 * smallest point's energy below it. TLPU_ERR_INVALID_ARG for NULL or for
 * bytes not finite and > 0. */
tlpu_status tlpu_energy_sram_pj_per_bit(const tlpu_energy_table *t, double bytes, double *out);

/* What one count of each counter costs on a configuration, in pJ (static
 * power in mW). docs/energy-model.md gives each formula. */
typedef struct tlpu_energy_prices {
    double lane_add, lane_sub, lane_skip; /* per lane operation */
    double accumulate;                    /* per row sum: one int32 add per row chunk the
                                           * array reads (WBUF_RD = BUSY_CYCLES x ROWS) */
    double decode_byte;                   /* per packed byte decoded */
    double wbuf_rd, wbuf_wr;              /* per row chunk (2 x COLS bits) */
    double abuf_rd, abuf_wr;              /* per word (8 x COLS bits) */
    double obuf_rd, obuf_wr;              /* per word (32 x ROWS bits) */
    double dram_byte;                     /* per byte read or written */
    double link_byte;                     /* per byte over the host link */
    double static_mw;                     /* leakage of the whole core */
    double sram_kib;                      /* the core's SRAM (WBUF+ABUF+OBUF+IMEM), KiB */
} tlpu_energy_prices;

/* TLPU_ERR_INVALID_ARG for NULL or an unbuildable hw (tlpu_hw_check). */
tlpu_status tlpu_energy_prices_of(const tlpu_energy_table *t, const tlpu_hw *hw,
                                  tlpu_energy_prices *out);

/* Prices one run: counters[TLPU_CNTI_*] as the core counts them, `cycles`
 * the core cycles the leakage is charged for (normally
 * counters[TLPU_CNTI_CYCLES]; more to include idle time), ctx the
 * configuration, clock and link bytes. Fills every field of *out; total is
 * the sum of the others. TLPU_ERR_INVALID_ARG for NULL, an unbuildable
 * ctx->hw or a clock that is not finite and > 0. */
tlpu_status tlpu_energy_of(const tlpu_energy_table *t, const tlpu_energy_ctx *ctx,
                           const uint64_t counters[TLPU_NUM_COUNTERS], uint64_t cycles,
                           tlpu_energy_breakdown *out);

/* tlpu's arithmetic-only energy of a run, the counterpart of the baselines'
 * arith figure: exactly the array_add + array_sub + array_skip + accumulate
 * parts of tlpu_energy_of (LANE_ADDS, LANE_SUBS, LANE_SKIPS, WBUF_RD).
 * TLPU_ERR_INVALID_ARG for NULL. */
tlpu_status tlpu_energy_tlpu_arith(const tlpu_energy_table *t,
                                   const uint64_t counters[TLPU_NUM_COUNTERS], double *arith_pj);

/* BitNet b1.58's headline ratio from a table: (FP16 add + FP16 mult) / INT8
 * add; 71.43 at 7 nm, 50 at 45 nm. TLPU_ERR_INVALID_ARG for NULL,
 * TLPU_ERR_RANGE when the table's INT8 add is 0. */
tlpu_status tlpu_energy_paper_ratio(const tlpu_energy_table *t, double *ratio);

/* ---- baselines on the same workload ------------------------------------- */

typedef enum tlpu_baseline {
    TLPU_BASELINE_FP16 = 0, /* FP16 weights and activations, FP16 MACs, FP16 outputs */
    TLPU_BASELINE_INT8 = 1, /* INT8 weights and activations, INT8 MACs, int32 outputs */
} tlpu_baseline;

/* A MAC array doing the M x K x N matmul y = x W^T:
 *   arith  = M*K*N * (mult + add) of its type
 *   system = arith + DRAM energy of reading every weight once (N*K x 2 or 1
 *            bytes), every activation once (M*K x 2 or 1) and writing every
 *            output once (M*N x 2 or 4), at the table's DRAM pJ/bit.
 * No SRAM, leakage, link or control (docs/energy-model.md): the baselines
 * are optimistic. TLPU_ERR_INVALID_ARG for NULL or an unknown kind,
 * TLPU_ERR_SHAPE for a zero dimension. */
tlpu_status tlpu_energy_baseline(const tlpu_energy_table *t, tlpu_baseline kind, uint64_t m,
                                 uint64_t k, uint64_t n, double *arith_pj, double *system_pj);

/* tlpu's arithmetic on the same matmul, ideal (no padding): M*K*N lane
 * operations of which a fraction zero_fraction skip (the rest add or
 * subtract at lane_add / lane_sub, half each) plus M*N*ceil(K/COLS) int32
 * accumulates. TLPU_ERR_INVALID_ARG for NULL, a bad hw or zero_fraction
 * outside [0, 1]; TLPU_ERR_SHAPE for a zero dimension. */
tlpu_status tlpu_energy_ternary_arith(const tlpu_energy_table *t, const tlpu_hw *hw, uint64_t m,
                                      uint64_t k, uint64_t n, double zero_fraction,
                                      double *arith_pj);

/* ---- weight footprints ---------------------------------------------------- */

typedef enum tlpu_wstore {
    TLPU_WSTORE_FP32 = 0,  /* 4 bytes per weight */
    TLPU_WSTORE_FP16 = 1,  /* 2 */
    TLPU_WSTORE_BF16 = 2,  /* 2 */
    TLPU_WSTORE_INT8 = 3,  /* 1 */
    TLPU_WSTORE_2BIT = 4,  /* 4 weights per byte (PACK2, I2_S codes) */
    TLPU_WSTORE_BASE3 = 5, /* 5 weights per byte, 1.6 bits (PACK3) */
} tlpu_wstore;
#define TLPU_WSTORE_COUNT 6

/* "fp32", "fp16", "bf16", "int8", "2-bit", "1.6-bit"; NULL if unknown. */
const char *tlpu_wstore_name(tlpu_wstore s);

/* Bytes of `count` weights in storage s, packed, no scales or headers:
 * 4n, 2n, 2n, n, ceil(n/4), ceil(n/5). TLPU_ERR_INVALID_ARG for NULL or an
 * unknown s, TLPU_ERR_OVERFLOW when it does not fit in 64 bits. */
tlpu_status tlpu_weight_bytes(tlpu_wstore s, uint64_t count, uint64_t *bytes);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_ENERGY_H */
