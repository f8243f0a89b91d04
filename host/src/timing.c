/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timing.c - the exact timing model (tlpu/timing.h).
 *
 * The sequencer is a scoreboard: instruction i+1 is read while i retires,
 * so it can issue one cycle later at the earliest, and only when the engine
 * it needs (DMA for LDW/LDA/ST, execute for MM, the masked ones for SYNC) is
 * idle. An engine started in cycle s is busy in cycles s+1 .. s+D. D is a
 * formula for MM and ST; for LDW and LDA it follows the gearbox that re-cuts
 * 16-byte beats into weight row-chunks or activation words, which this file
 * steps cycle by cycle exactly as rtl/tlpu_gearbox.sv does.
 */
#include "tlpu/timing.h"

#include <string.h>

#define GET(in, INS, F) tlpu_insn_get((in), TLPU_##INS##_##F##_LSB, TLPU_##INS##_##F##_WIDTH)

void tlpu_timing_cfg_init(tlpu_timing_cfg *cfg, const tlpu_hw *hw)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    if (hw)
        cfg->hw = *hw;
    else
        tlpu_hw_default(&cfg->hw);
    cfg->mem_latency = 16;
    cfg->mem_top = 0xFFFFFFFFu;
    cfg->prog_addr = 0;
}

static uint64_t up_beats(uint64_t n, uint64_t bb)
{
    return (n + bb - 1) / bb * bb;
}

static int mem_ok(const tlpu_timing_cfg *c, uint64_t end_excl)
{
    return end_excl <= (uint64_t)c->mem_top + 1;
}

static uint32_t bpc(const tlpu_hw *hw, unsigned fmt)
{
    return fmt ? hw->cols / 5 : hw->cols / 4;
}

uint32_t tlpu_timing_check(const tlpu_timing_cfg *c, const tlpu_insn *in)
{
    const tlpu_hw *hw = &c->hw;
    uint64_t bb = hw->beat_bytes;
    switch (tlpu_insn_op(in)) {
    case TLPU_OP_END:
    case TLPU_OP_SYNC:
        return TLPU_HWERR_NONE;
    case TLPU_OP_LDW: {
        uint64_t nch = GET(in, LDW, NCHUNK), addr = GET(in, LDW, ADDR);
        if (nch == 0)
            return TLPU_HWERR_BAD_FIELD;
        if (GET(in, LDW, WOFF) + nch > hw->wbuf_chunks)
            return TLPU_HWERR_WBUF_RANGE;
        if (addr % bb)
            return TLPU_HWERR_MEM_ALIGN;
        if (!mem_ok(c, addr + up_beats(nch * hw->rows * bpc(hw, GET(in, LDW, FMT)), bb)))
            return TLPU_HWERR_MEM_RANGE;
        return TLPU_HWERR_NONE;
    }
    case TLPU_OP_LDA: {
        uint64_t nb = GET(in, LDA, NBYTES), rows = GET(in, LDA, ROWS), dst = GET(in, LDA, DST);
        uint64_t addr = GET(in, LDA, ADDR), stride = GET(in, LDA, STRIDE);
        uint64_t wpr = (nb + hw->cols - 1) / hw->cols, ds = GET(in, LDA, DSTRIDE);
        if (nb == 0 || rows == 0 || (ds != 0 && ds < wpr))
            return TLPU_HWERR_BAD_FIELD;
        if (dst + (rows - 1) * (ds ? ds : wpr) + wpr > hw->abuf_words)
            return TLPU_HWERR_ABUF_RANGE;
        if (addr % bb || stride % bb)
            return TLPU_HWERR_MEM_ALIGN;
        if (!mem_ok(c, addr + (rows - 1) * stride + up_beats(nb, bb)))
            return TLPU_HWERR_MEM_RANGE;
        return TLPU_HWERR_NONE;
    }
    case TLPU_OP_MM: {
        uint64_t nch = GET(in, MM, NCHUNK), tok = GET(in, MM, TOKENS);
        uint64_t src = GET(in, MM, SRC), ast = GET(in, MM, ASTRIDE), dst = GET(in, MM, DST);
        if (nch == 0 || tok == 0)
            return TLPU_HWERR_BAD_FIELD;
        if (GET(in, MM, WOFF) + nch > hw->wbuf_chunks)
            return TLPU_HWERR_WBUF_RANGE;
        if (src + (tok - 1) * ast + nch > hw->abuf_words)
            return TLPU_HWERR_ABUF_RANGE;
        if (dst + tok > hw->obuf_words)
            return TLPU_HWERR_OBUF_RANGE;
        return TLPU_HWERR_NONE;
    }
    case TLPU_OP_ST: {
        uint64_t src = GET(in, ST, SRC), rows = GET(in, ST, ROWS), cnt = GET(in, ST, COUNT);
        uint64_t addr = GET(in, ST, ADDR), stride = GET(in, ST, STRIDE);
        if (rows == 0 || cnt == 0 || (cnt * 4) % bb)
            return TLPU_HWERR_BAD_FIELD;
        if (cnt > hw->rows || src + rows > hw->obuf_words)
            return TLPU_HWERR_OBUF_RANGE;
        if (addr % bb || stride % bb)
            return TLPU_HWERR_MEM_ALIGN;
        if (!mem_ok(c, addr + (rows - 1) * stride + up_beats(cnt * 4, bb)))
            return TLPU_HWERR_MEM_RANGE;
        return TLPU_HWERR_NONE;
    }
    default:
        return TLPU_HWERR_ILLEGAL_OPCODE;
    }
}

/*
 * A read transfer through the gearbox (LDW: rows = 1, words of bpc bytes,
 * `entries` of them; LDA: `rows` rows of nbytes, words of Cols bytes with a
 * flush at the end of each row). Returns the busy cycles D; the first beat
 * can be taken L cycles after the engine starts, then one per cycle.
 */
static uint64_t gearbox_transfer(const tlpu_hw *hw, uint32_t latency, int lda, uint64_t rows,
                                 uint64_t row_bytes, uint64_t need, uint64_t entries)
{
    const uint64_t bb = hw->beat_bytes, out_max = hw->cols;
    const uint64_t bpr = (row_bytes + bb - 1) / bb;
    const uint64_t last_bytes = row_bytes - (bpr - 1) * bb;
    const uint64_t wpr = (row_bytes + hw->cols - 1) / hw->cols;
    uint64_t cnt = 0, d_row = 0, d_beat = 0, w = 0, e = 0;
    int row_in_done = 0;
    /* cycle 1 is the first busy cycle; the first beat is valid in cycle 1 + L */
    uint64_t beat_ready = 1 + (latency ? latency : 1);
    for (uint64_t cyc = 1;; cyc++) {
        int done = d_row >= rows && (lda || e >= entries);
        if (done)
            return cyc; /* finished in this cycle: busy through it */
        int flush = lda && row_in_done;
        int full = cnt >= need;
        int out_valid = full || (flush && cnt != 0);
        int pop = lda ? out_valid : (out_valid && e < entries);
        uint64_t popped = pop ? (full ? need : cnt) : 0;
        int push = cyc >= beat_ready && d_row < rows && !row_in_done && cnt <= out_max;
        int last = d_beat == bpr - 1;
        cnt = cnt - popped + (push ? (last ? last_bytes : bb) : 0);
        if (push) {
            beat_ready = cyc + 1;
            if (last) {
                d_beat = 0;
                if (lda)
                    row_in_done = 1;
                else
                    d_row++;
            } else {
                d_beat++;
            }
        }
        if (!lda && pop)
            e++;
        if (lda) {
            if (flush && (pop ? w + 1 : w) == wpr) {
                row_in_done = 0;
                w = 0;
                d_row++;
            } else if (pop) {
                w++;
            }
        }
    }
}

uint64_t tlpu_timing_insn_cycles(const tlpu_timing_cfg *c, const tlpu_insn *in)
{
    const tlpu_hw *hw = &c->hw;
    uint32_t L = c->mem_latency ? c->mem_latency : 1;
    switch (tlpu_insn_op(in)) {
    case TLPU_OP_LDW: {
        uint64_t nch = GET(in, LDW, NCHUNK), b = bpc(hw, GET(in, LDW, FMT));
        return gearbox_transfer(hw, L, 0, 1, nch * hw->rows * b, b, nch * hw->rows);
    }
    case TLPU_OP_LDA:
        return gearbox_transfer(hw, L, 1, GET(in, LDA, ROWS), GET(in, LDA, NBYTES), hw->cols, 0);
    case TLPU_OP_MM:
        return (uint64_t)GET(in, MM, TOKENS) * GET(in, MM, NCHUNK) + 2;
    case TLPU_OP_ST:
        return (uint64_t)GET(in, ST, ROWS) * (GET(in, ST, COUNT) * 4u / hw->beat_bytes) + 2;
    default:
        return 0;
    }
}

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

tlpu_status tlpu_timing_run(const tlpu_timing_cfg *c, const tlpu_insn *insns, size_t n,
                            tlpu_timing *out)
{
    if (!c || !out || (!insns && n) || tlpu_hw_check(&c->hw) != TLPU_OK || n > 0xFFFFFFFFu)
        return TLPU_ERR_INVALID_ARG;
    const tlpu_hw *hw = &c->hw;
    const uint64_t bb = hw->beat_bytes;
    const uint64_t L = c->mem_latency ? c->mem_latency : 1;
    memset(out, 0, sizeof *out);
    uint64_t *k = out->counters;

    /* START is written in cycle 0 */
    if (n == 0) {
        out->hw_error = TLPU_HWERR_PROG_LEN;
        return TLPU_OK;
    }
    if (c->prog_addr % bb) {
        out->hw_error = TLPU_HWERR_MEM_ALIGN;
        return TLPU_OK;
    }
    if (!mem_ok(c, (uint64_t)c->prog_addr + 16 * (uint64_t)n)) {
        out->hw_error = TLPU_HWERR_MEM_RANGE;
        return TLPU_OK;
    }

    uint64_t dma_free = 0, ex_free = 0; /* first cycle each engine is idle */
    uint64_t fetch = 1;                 /* the cycle of the next FETCH */
    uint64_t done = 0;
    size_t base = 0;
    for (;;) {
        size_t nseg = n - base < hw->imem_depth ? n - base : hw->imem_depth;
        uint64_t dfetch = L + nseg + 1;
        out->fetches++;
        out->dma_busy += dfetch;
        k[TLPU_CNTI_DRAM_RD_BYTES] += 16 * (uint64_t)nseg;
        k[TLPU_CNTI_STALL_CYCLES] += dfetch - nseg;
        dma_free = fetch + dfetch + 1;
        uint64_t t = fetch + L + nseg + 3; /* the first instruction's RUN cycle */
        int seg_done = 0;
        for (size_t pc = 0; pc < nseg; pc++) {
            const tlpu_insn *in = &insns[base + pc];
            uint32_t err = tlpu_timing_check(c, in);
            if (err) {
                out->hw_error = err;
                out->err_pc = (uint32_t)(base + pc);
                done = max64(t + 1, max64(dma_free, ex_free));
                goto finish;
            }
            unsigned op = tlpu_insn_op(in);
            uint64_t issue = t;
            if (op == TLPU_OP_LDW || op == TLPU_OP_LDA || op == TLPU_OP_ST)
                issue = max64(t, dma_free);
            else if (op == TLPU_OP_MM)
                issue = max64(t, ex_free);
            else if (op == TLPU_OP_SYNC) {
                unsigned m = GET(in, SYNC, MASK);
                if (m & TLPU_SYNC_DMA)
                    issue = max64(issue, dma_free);
                if (m & TLPU_SYNC_EX)
                    issue = max64(issue, ex_free);
            }
            k[TLPU_CNTI_INSNS]++;
            uint64_t d = tlpu_timing_insn_cycles(c, in);
            switch (op) {
            case TLPU_OP_LDW: {
                uint64_t nch = GET(in, LDW, NCHUNK), b = bpc(hw, GET(in, LDW, FMT));
                uint64_t beats = (nch * hw->rows * b + bb - 1) / bb;
                k[TLPU_CNTI_DEC_BYTES] += nch * hw->rows * b;
                k[TLPU_CNTI_WBUF_WR] += nch * hw->rows;
                k[TLPU_CNTI_DRAM_RD_BYTES] += beats * bb;
                k[TLPU_CNTI_STALL_CYCLES] += d - beats;
                dma_free = issue + d + 1;
                out->dma_busy += d;
                break;
            }
            case TLPU_OP_LDA: {
                uint64_t rows = GET(in, LDA, ROWS), nb = GET(in, LDA, NBYTES);
                uint64_t beats = rows * ((nb + bb - 1) / bb);
                k[TLPU_CNTI_ABUF_WR] += rows * ((nb + hw->cols - 1) / hw->cols);
                k[TLPU_CNTI_DRAM_RD_BYTES] += beats * bb;
                k[TLPU_CNTI_STALL_CYCLES] += d - beats;
                dma_free = issue + d + 1;
                out->dma_busy += d;
                break;
            }
            case TLPU_OP_ST: {
                uint64_t rows = GET(in, ST, ROWS);
                uint64_t beats = rows * (GET(in, ST, COUNT) * 4u / bb);
                k[TLPU_CNTI_OBUF_RD] += rows;
                k[TLPU_CNTI_DRAM_WR_BYTES] += beats * bb;
                k[TLPU_CNTI_STALL_CYCLES] += d - beats;
                dma_free = issue + d + 1;
                out->dma_busy += d;
                break;
            }
            case TLPU_OP_MM: {
                uint64_t tok = GET(in, MM, TOKENS), nch = GET(in, MM, NCHUNK);
                k[TLPU_CNTI_BUSY_CYCLES] += tok * nch;
                k[TLPU_CNTI_WBUF_RD] += tok * nch * hw->rows;
                k[TLPU_CNTI_ABUF_RD] += tok * nch;
                k[TLPU_CNTI_OBUF_WR] += tok;
                if (GET(in, MM, ACC))
                    k[TLPU_CNTI_OBUF_RD] += tok;
                ex_free = issue + d + 1;
                out->ex_busy += d;
                break;
            }
            default:
                break;
            }
            if (op == TLPU_OP_END || base + pc + 1 == n) {
                done = max64(issue + 1, max64(dma_free, ex_free));
                goto finish;
            }
            if (pc + 1 == nseg) {
                fetch = max64(issue + 1, max64(dma_free, ex_free)) + 1;
                seg_done = 1;
                break;
            }
            t = issue + 1;
        }
        if (!seg_done)
            break; /* not reached: the loop above always finishes or ends a segment */
        base += nseg;
    }
finish:
    k[TLPU_CNTI_CYCLES] = done;
    out->lane_ops = k[TLPU_CNTI_BUSY_CYCLES] * hw->rows * hw->cols;
    return TLPU_OK;
}
