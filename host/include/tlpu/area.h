/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/area.h - the area model: chip area (mm^2) of a core configuration at
 * a technology node, for design-space sweeps (area against tokens/s).
 *
 *   area = logic cells x cell_area + SRAM bits x sram_bit_area + area_fixed
 *
 * The logic is counted in generic standard cells (yosys `synth`'s gate-level
 * cells), from a formula in the lanes, rows, columns and instruction-queue
 * entries (and ROWS x log2 COLS) whose coefficients are fitted to yosys's
 * counts of the RTL; it is technology independent. The SRAM bits are the
 * RTL's buffers, width x depth (tlpu_area_sram_bits). The per-node numbers
 * are entries of the energy tables (tlpu/energy.h): cell_area (um^2 per
 * cell, placement utilisation included), sram_bit_area (um^2 per bit,
 * periphery included) and, optionally, area_fixed (mm^2: pads, PLL, ... the
 * core itself has none).
 * docs/energy-model.md, "Area", gives the formula, the fit data, the
 * constants and their sources, and what is not modelled.
 */
#ifndef TLPU_AREA_H
#define TLPU_AREA_H

#include <stddef.h>

#include "tlpu/energy.h"
#include "tlpu/status.h"
#include "tlpu/tiler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The logic in generic standard cells, by part. */
typedef struct tlpu_area_logic {
    double array;        /* the array's rows: each lane's add / subtract / skip, the
                          * row's adder tree (wider toward its top: the ROWS x log2 COLS
                          * term), row sum, int32 accumulator and output path (one fit
                          * cannot tell lanes from trees: they grow together) */
    double decoders;     /* per column: the PACK2/PACK3 weight decoders, the gearbox
                          * that cuts memory beats into chunks, the ABUF write path */
    double queues;       /* the two instruction queues (flip-flop FIFOs of 128-bit entries) */
    double control;      /* fixed: sequencer and its checks, DMA and EX control, CSRs,
                          * the sixteen 64-bit performance counters */
    double total;        /* the sum */
} tlpu_area_logic;

/* The on-chip SRAM in bits, by buffer (the RTL's tlpu_ram instances). */
typedef struct tlpu_area_bits {
    double wbuf;  /* ROWS x (2 WBUF_CHUNKS) x (2 COLS): both banks, add and sub masks */
    double abuf;  /* ABUF_WORDS x 8 COLS */
    double obuf;  /* OBUF_WORDS x 32 ROWS (two read ports: priced as two copies) */
    double imem;  /* IMEM_DEPTH x 128 */
    double total; /* the sum (bits stored; OBUF once) */
} tlpu_area_bits;

/* Area by component, mm^2. */
typedef struct tlpu_area_breakdown {
    double array, decoders, queues, control; /* logic, as tlpu_area_logic */
    double wbuf, abuf, obuf, imem;                          /* SRAM */
    double fixed;       /* the table's area_fixed (0 when it has none) */
    double total;       /* the sum of the above */
    double logic_cells; /* the model's standard-cell count (tlpu_area_logic.total) */
    double sram_bits;   /* bits stored (tlpu_area_bits.total) */
    double logic_mm2;   /* array + decoders + queues + control */
    double sram_mm2;    /* wbuf + abuf + obuf + imem */
} tlpu_area_breakdown;

/* The logic of a configuration in generic cells. TLPU_ERR_INVALID_ARG for
 * NULL or an unbuildable hw (tlpu_hw_check); *out untouched on error. */
tlpu_status tlpu_area_cells(const tlpu_hw *hw, tlpu_area_logic *out);

/* The SRAM bits of a configuration. Errors as tlpu_area_cells. */
tlpu_status tlpu_area_sram_bits(const tlpu_hw *hw, tlpu_area_bits *out);

/* The area of a configuration at the table's node. err/errlen as in
 * tlpu/energy.h (a one-line message, "" on success; either may be NULL/0).
 * TLPU_ERR_INVALID_ARG for NULL or an unbuildable hw; TLPU_ERR_UNSUPPORTED
 * when the table has no cell_area or sram_bit_area entry (the message names
 * the table and the key). *out untouched on error. */
tlpu_status tlpu_area_estimate(const tlpu_hw *hw, const tlpu_energy_table *tab,
                               tlpu_area_breakdown *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_AREA_H */
