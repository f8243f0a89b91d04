/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DMA's read gearbox (rtl/tlpu_gearbox.sv, tlpu_dma.sv) stepped cycle by
 * cycle: the timing model's busy cycles of LDW and LDA (timing.c), and the
 * cycle each ABUF word of an LDA is written (the functional model, fcore.c,
 * for an MM reading words an LDA is still writing).
 */
#ifndef TLPU_GEARBOX_H
#define TLPU_GEARBOX_H

#include <stdint.h>

#include "tlpu/tiler.h"

/*
 * A read transfer through the gearbox (LDW: rows = 1, words of `need` = bpc
 * bytes, `entries` of them; LDA: `rows` rows of row_bytes, words of `need` =
 * Cols bytes with a flush at the end of each row). Returns the busy cycles D,
 * counting the first busy cycle as 1; the first beat can be taken in cycle
 * `first` (1 + L after a start on an idle engine), then one per cycle. With
 * `word_cycle` (LDA only), word k of row r leaves the gearbox (is written)
 * in busy cycle word_cycle[r * words_per_row + k].
 */
uint64_t tlpu_gearbox_transfer(const tlpu_hw *hw, uint64_t first, int lda, uint64_t rows,
                               uint64_t row_bytes, uint64_t need, uint64_t entries,
                               uint64_t *word_cycle);

#endif
