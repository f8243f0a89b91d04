/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The area model (tlpu/area.h, docs/energy-model.md "Area"): the core's
 * logic in generic standard cells from a formula fitted to yosys, its SRAM
 * in bits from the RTL's buffer shapes, both priced with the node's
 * cell_area and sram_bit_area entries of an energy table.
 */
#include "tlpu/area.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

/* ---- the logic: generic standard cells --------------------------------------
 *
 * cells = CELLS_PER_LANE x ROWS x COLS                 the lanes: each weight's
 *                                                      add / subtract / skip and
 *                                                      its share of the row's
 *                                                      adder tree
 *       + ROWS x (CELLS_PER_ROW_LOG x log2 COLS         per row: the tree's wide
 *                 + CELLS_PER_ROW)                     top levels, the row sum,
 *                                                      accumulator, output path
 *       + CELLS_PER_COL x COLS                         per column: the weight
 *                                                      decoders, the gearbox, the
 *                                                      ABUF write path, the
 *                                                      activation's negation
 *       + 2 x (CELLS_PER_QENTRY x QUEUE_DEPTH + CELLS_PER_QUEUE)
 *       + CELLS_FIXED                                  sequencer, checks, DMA and
 *                                                      EX control, CSRs, counters
 *
 * An empirical fit: yosys 0.23's generic `synth` of the RTL (tlpu_ram a
 * black box), cells counted by tests/rtl/check_area_cells.sh, least squares
 * on the relative error. The queue terms come from tlpu_fifo alone (Width
 * 128, Depth 2 .. 64: 405, 937, 1992, 4076, 8236, 16522 cells); the other
 * five from the whole core at QUEUE_DEPTH 8 (its two queues, 2 x 1992,
 * taken off; the model column with its own queue term):
 *
 *   ROWS x COLS   yosys cells   model     error
 *     4 x  20        51 609      51 325   -0.5%
 *     4 x 160       134 611     134 117   -0.4%
 *    16 x  40       152 051     156 907   +3.2%
 *    32 x  80       433 563     428 600   -1.1%
 *    64 x  20       287 087     286 456   -0.2%
 *    16 x 120       300 768     301 876   +0.4%
 *    32 x 140       601 687     607 992   +1.0%
 *    48 x  60       528 625     515 910   -2.4%
 *
 * A formula in ROWS x COLS, ROWS and COLS alone misses by up to 10%: the
 * cells per lane fall from 195 (64 x 20) to 121 (32 x 140), which the
 * ROWS x log2 COLS term carries. The buffer sizes (WBUF_CHUNKS, ABUF_WORDS,
 * OBUF_WORDS, IMEM_DEPTH, BURST) only change address widths: from the
 * `small` variant's buffers to 8 x the default ones the 4 x 20 core moves by
 * under 1%, so the formula leaves them out. tests/rtl/check_area_cells.sh
 * (ctest rtl_area) checks it on configurations outside the fit.
 */
#define CELLS_PER_LANE 57.21
#define CELLS_PER_ROW_LOG 2309.87
#define CELLS_PER_ROW (-7208.44)
#define CELLS_PER_COL 164.54
#define CELLS_FIXED 28345.0
#define CELLS_PER_QENTRY 259.0
#define CELLS_PER_QUEUE (-65.0)

tlpu_status tlpu_area_cells(const tlpu_hw *hw, tlpu_area_logic *out)
{
    if (!hw || !out || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    const double rows = hw->rows, cols = hw->cols, q = hw->queue_depth;
    tlpu_area_logic l;
    /* COLS >= 20: the per-row term is positive (over 2,700 cells) */
    l.array = CELLS_PER_LANE * rows * cols +
              rows * (CELLS_PER_ROW_LOG * log2(cols) + CELLS_PER_ROW);
    l.decoders = CELLS_PER_COL * cols;
    l.queues = 2.0 * (CELLS_PER_QENTRY * q + CELLS_PER_QUEUE);
    l.control = CELLS_FIXED;
    l.total = l.array + l.decoders + l.queues + l.control;
    *out = l;
    return TLPU_OK;
}

/* ---- the SRAM: the RTL's tlpu_ram instances (rtl/tlpu_core.sv) -------------- */

tlpu_status tlpu_area_sram_bits(const tlpu_hw *hw, tlpu_area_bits *out)
{
    if (!hw || !out || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    const double rows = hw->rows, cols = hw->cols;
    tlpu_area_bits b;
    /* u_wbuf_row: ROWS RAMs of Width 2 x COLS, Depth 2 x WBUF_CHUNKS */
    b.wbuf = rows * (2.0 * cols) * (2.0 * hw->wbuf_chunks);
    /* u_abuf: Width 8 x COLS, Depth ABUF_WORDS */
    b.abuf = 8.0 * cols * (double)hw->abuf_words;
    /* u_obuf: Width 32 x ROWS, Depth OBUF_WORDS, NumRead 2 */
    b.obuf = 32.0 * rows * (double)hw->obuf_words;
    /* u_imem: Width 128 (INSN_BITS), Depth IMEM_DEPTH */
    b.imem = 128.0 * (double)hw->imem_depth;
    b.total = b.wbuf + b.abuf + b.obuf + b.imem;
    *out = b;
    return TLPU_OK;
}

/* ---- pricing ---------------------------------------------------------------- */

/* the canonical value of an area entry; TLPU_ERR_UNSUPPORTED when absent */
static tlpu_status area_entry(const tlpu_energy_table *tab, const char *key, int required,
                              double *out, char *err, size_t errlen)
{
    tlpu_energy_entry e;
    if (tlpu_energy_find(tab, key, &e) != TLPU_OK) {
        if (!required) {
            *out = 0;
            return TLPU_OK;
        }
        return tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                           "energy table '%s': no \"%s\" entry, so no area (an area needs "
                           "cell_area and sram_bit_area; docs/energy-model.md, \"Area\")",
                           tlpu_energy_name(tab), key);
    }
    if (e.npoints || !isfinite(e.canonical) || e.canonical < 0)
        return tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                           "energy table '%s': entry \"%s\" is not one area value",
                           tlpu_energy_name(tab), key);
    *out = e.canonical;
    return TLPU_OK;
}

tlpu_status tlpu_area_estimate(const tlpu_hw *hw, const tlpu_energy_table *tab,
                               tlpu_area_breakdown *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!hw || !tab || !out)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "NULL argument");
    if (tlpu_hw_check(hw) != TLPU_OK)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                           "%ux%u with these buffers is not a buildable core (rows a multiple "
                           "of 4, cols of 20, wbuf and queue powers of two)",
                           hw->rows, hw->cols);
    double cell_um2 = 0, bit_um2 = 0, fixed_mm2 = 0;
    tlpu_status st;
    if ((st = area_entry(tab, "cell_area", 1, &cell_um2, err, errlen)) != TLPU_OK ||
        (st = area_entry(tab, "sram_bit_area", 1, &bit_um2, err, errlen)) != TLPU_OK ||
        (st = area_entry(tab, "area_fixed", 0, &fixed_mm2, err, errlen)) != TLPU_OK)
        return st;
    tlpu_area_logic l;
    tlpu_area_bits b;
    tlpu_area_cells(hw, &l);
    tlpu_area_sram_bits(hw, &b);
    const double cell = cell_um2 * 1e-6, bit = bit_um2 * 1e-6; /* mm^2 */
    tlpu_area_breakdown a;
    a.array = l.array * cell;
    a.decoders = l.decoders * cell;
    a.queues = l.queues * cell;
    a.control = l.control * cell;
    a.wbuf = b.wbuf * bit;
    a.abuf = b.abuf * bit;
    a.obuf = 2.0 * b.obuf * bit; /* two read ports: two copies of a 1W1R array */
    a.imem = b.imem * bit;
    a.fixed = fixed_mm2;
    a.logic_mm2 = a.array + a.decoders + a.queues + a.control;
    a.sram_mm2 = a.wbuf + a.abuf + a.obuf + a.imem;
    a.total = a.logic_mm2 + a.sram_mm2 + a.fixed;
    a.logic_cells = l.total;
    a.sram_bits = b.total;
    *out = a;
    return TLPU_OK;
}
