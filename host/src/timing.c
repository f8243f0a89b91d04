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
#include "gearbox.h"

#include <stdlib.h>
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

/* see gearbox.h */
uint64_t tlpu_gearbox_transfer(const tlpu_hw *hw, uint64_t first, int lda, uint64_t rows,
                               uint64_t row_bytes, uint64_t need, uint64_t entries,
                               uint64_t *word_cycle)
{
    const uint64_t bb = hw->beat_bytes, out_max = hw->cols;
    const uint64_t bpr = (row_bytes + bb - 1) / bb;
    const uint64_t last_bytes = row_bytes - (bpr - 1) * bb;
    const uint64_t wpr = (row_bytes + hw->cols - 1) / hw->cols;
    uint64_t cnt = 0, d_row = 0, d_beat = 0, w = 0, e = 0;
    int row_in_done = 0;
    uint64_t beat_ready = first;
    for (uint64_t cyc = 1;; cyc++) {
        int done = d_row >= rows && (lda || e >= entries);
        if (done)
            return cyc; /* finished in this cycle: busy through it */
        int flush = lda && row_in_done;
        int full = cnt >= need;
        int out_valid = full || (flush && cnt != 0);
        int pop = lda ? out_valid : (out_valid && e < entries);
        uint64_t popped = pop ? (full ? need : cnt) : 0;
        if (lda && pop && word_cycle)
            word_cycle[d_row * wpr + w] = cyc;
        /* LDA: the row's last word leaves now; the next row's first beat may
         * enter the emptied gearbox in the same cycle */
        int row_done_now = lda && row_in_done && (pop ? w + 1 : w) == wpr;
        int take = !row_in_done || (row_done_now && d_row + 1 < rows);
        int push = cyc >= beat_ready && d_row < rows && take && cnt <= out_max;
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
            if (row_done_now) {
                row_in_done = push && last;
                w = 0;
                d_row++;
            } else if (pop) {
                w++;
            }
        }
    }
}

/* busy cycles of a DMA or EX instruction whose first read beat can be taken
 * in busy cycle `first` */
static uint64_t insn_cycles_from(const tlpu_timing_cfg *c, const tlpu_insn *in, uint64_t first)
{
    const tlpu_hw *hw = &c->hw;
    switch (tlpu_insn_op(in)) {
    case TLPU_OP_LDW: {
        uint64_t nch = GET(in, LDW, NCHUNK), b = bpc(hw, GET(in, LDW, FMT));
        return tlpu_gearbox_transfer(hw, first, 0, 1, nch * hw->rows * b, b, nch * hw->rows,
                                     NULL);
    }
    case TLPU_OP_LDA:
        return tlpu_gearbox_transfer(hw, first, 1, GET(in, LDA, ROWS), GET(in, LDA, NBYTES),
                                     hw->cols, 0, NULL);
    case TLPU_OP_MM:
        return (uint64_t)GET(in, MM, TOKENS) * GET(in, MM, NCHUNK) + 2;
    case TLPU_OP_ST:
        return (uint64_t)GET(in, ST, ROWS) * (GET(in, ST, COUNT) * 4u / hw->beat_bytes) + 2;
    default:
        return 0;
    }
}

uint64_t tlpu_timing_insn_cycles(const tlpu_timing_cfg *c, const tlpu_insn *in)
{
    return insn_cycles_from(c, in, 1 + (uint64_t)(c->mem_latency ? c->mem_latency : 1));
}

/* read requests of a LDW or LDA: bursts of up to BURST_BEATS, per row */
static uint64_t read_requests(const tlpu_timing_cfg *c, const tlpu_insn *in)
{
    const tlpu_hw *hw = &c->hw;
    const uint64_t bb = hw->beat_bytes, bu = hw->burst_beats;
    if (tlpu_insn_op(in) == TLPU_OP_LDW) {
        uint64_t beats = (GET(in, LDW, NCHUNK) * hw->rows * bpc(hw, GET(in, LDW, FMT)) + bb - 1) / bb;
        return (beats + bu - 1) / bu;
    }
    uint64_t bpr = (GET(in, LDA, NBYTES) + bb - 1) / bb;
    return GET(in, LDA, ROWS) * ((bpr + bu - 1) / bu);
}

/* ---- the sequencer, the queues and the tokens, cycle by cycle ---------------- */

enum { S_IDLE, S_FETCH, S_FWAIT, S_RUN, S_SEGWAIT, S_DRAIN };

typedef struct queue {
    uint32_t *v; /* instruction indices */
    uint32_t head, count, depth;
} queue;

static void q_push(queue *q, uint32_t x)
{
    q->v[(q->head + q->count) % q->depth] = x;
    q->count++;
}

static uint32_t q_head(const queue *q)
{
    return q->v[q->head];
}

static void q_pop(queue *q)
{
    q->head = (q->head + 1) % q->depth;
    q->count--;
}

static int is_dma_op(unsigned op)
{
    return op == TLPU_OP_LDW || op == TLPU_OP_LDA || op == TLPU_OP_ST;
}

/* WAIT / SIGNAL sit at the same bits in LDW, LDA, MM and ST */
static unsigned f_wait(const tlpu_insn *in)
{
    return tlpu_insn_get(in, TLPU_LDW_WAIT_LSB, 1);
}

static unsigned f_sig(const tlpu_insn *in)
{
    return tlpu_insn_get(in, TLPU_LDW_SIGNAL_LSB, 1);
}

/* the counters of one started DMA or EX instruction */
static void count_insn(const tlpu_timing_cfg *c, const tlpu_insn *in, uint64_t d, tlpu_timing *out)
{
    const tlpu_hw *hw = &c->hw;
    const uint64_t bb = hw->beat_bytes;
    uint64_t *k = out->counters;
    switch (tlpu_insn_op(in)) {
    case TLPU_OP_LDW: {
        uint64_t nch = GET(in, LDW, NCHUNK), b = bpc(hw, GET(in, LDW, FMT));
        uint64_t beats = (nch * hw->rows * b + bb - 1) / bb;
        k[TLPU_CNTI_DEC_BYTES] += nch * hw->rows * b;
        k[TLPU_CNTI_WBUF_WR] += nch * hw->rows;
        k[TLPU_CNTI_DRAM_RD_BYTES] += beats * bb;
        k[TLPU_CNTI_STALL_CYCLES] += d - beats;
        out->dma_busy += d;
        break;
    }
    case TLPU_OP_LDA: {
        uint64_t rows = GET(in, LDA, ROWS), nb = GET(in, LDA, NBYTES);
        uint64_t beats = rows * ((nb + bb - 1) / bb);
        k[TLPU_CNTI_ABUF_WR] += rows * ((nb + hw->cols - 1) / hw->cols);
        k[TLPU_CNTI_DRAM_RD_BYTES] += beats * bb;
        k[TLPU_CNTI_STALL_CYCLES] += d - beats;
        out->dma_busy += d;
        break;
    }
    case TLPU_OP_ST: {
        uint64_t rows = GET(in, ST, ROWS);
        uint64_t beats = rows * (GET(in, ST, COUNT) * 4u / bb);
        k[TLPU_CNTI_OBUF_RD] += rows;
        k[TLPU_CNTI_DRAM_WR_BYTES] += beats * bb;
        k[TLPU_CNTI_STALL_CYCLES] += d - beats;
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
        out->ex_busy += d;
        break;
    }
    default:
        break;
    }
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

    /* START is written in cycle 0; its checks stop the program at once */
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

    uint32_t depth = hw->queue_depth;
    uint32_t *qmem = malloc(2 * (size_t)depth * sizeof *qmem);
    if (!qmem)
        return TLPU_ERR_NOMEM;
    queue dq = {qmem, 0, 0, depth}, eq = {qmem + depth, 0, 0, depth};
    int state = S_FETCH;
    size_t seg_base = 0, seg_len = 0, pc = 0;
    uint64_t dma_idle_from = 0, ex_idle_from = 0; /* busy in cycles < idle_from */
    int ex_sig = 0;
    uint64_t d2e = 0, e2d = 0;
    /* the DMA's data stage (a read may prefetch behind it) */
    int cur_read = 0, cur_sig = 0;
    uint64_t rq_done_at = 0; /* the current requests are all issued from this cycle */
    uint64_t fin_at = 0;     /* a DMA token is given in this cycle */
    int nx_valid = 0;
    uint32_t nx_idx = 0;
    uint64_t nx_c = 0;       /* the prefetch started in this cycle */

    for (uint64_t cyc = 1;; cyc++) {
        int dma_busy = cyc < dma_idle_from, ex_busy = cyc < ex_idle_from;
        int dma_fin = cyc == fin_at, ex_fin = ex_sig && !ex_busy;
        const tlpu_insn *dh = dq.count ? &insns[q_head(&dq)] : NULL;
        const tlpu_insn *eh = eq.count ? &insns[q_head(&eq)] : NULL;
        int dh_read = dh && (tlpu_insn_op(dh) == TLPU_OP_LDW || tlpu_insn_op(dh) == TLPU_OP_LDA);
        int pf_ok = dma_busy && cur_read && !nx_valid && cyc >= rq_done_at;
        int dq_ready = dh && (!dma_busy || (pf_ok && dh_read)) && (!f_wait(dh) || e2d);
        int ex_ready = eh && !ex_busy && (!f_wait(eh) || d2e);
        int dma_idle = !dma_busy && !dq.count, ex_idle = !ex_busy && !eq.count;
        int dq_empty = !dq.count; /* before this cycle's edge */

        /* the sequencer's view of this cycle */
        const tlpu_insn *cur = state == S_RUN ? &insns[seg_base + pc] : NULL;
        uint32_t err = cur ? tlpu_timing_check(c, cur) : 0;
        unsigned op = cur ? tlpu_insn_op(cur) : 0;
        int can_dispatch = 0;
        if (cur) {
            if (op == TLPU_OP_SYNC) {
                unsigned m = GET(cur, SYNC, MASK);
                can_dispatch = (!(m & TLPU_SYNC_DMA) || dma_idle) && (!(m & TLPU_SYNC_EX) || ex_idle);
            } else if (is_dma_op(op)) {
                can_dispatch = dq.count < depth;
            } else if (op == TLPU_OP_MM) {
                can_dispatch = eq.count < depth;
            } else {
                can_dispatch = 1;
            }
        }
        int fetch_start = state == S_FETCH && !dma_busy && !dq.count;
        int seq_progress = (state == S_RUN && (err || can_dispatch)) || fetch_start ||
                           state == S_FWAIT || (state == S_SEGWAIT && !dq.count && !dma_busy) ||
                           (state == S_DRAIN && dma_idle && ex_idle);
        int deadlock = !dma_busy && !ex_busy && !dq_ready && !ex_ready && !dma_fin && !ex_fin &&
                       !seq_progress;
        int flush = (state == S_RUN && err) || deadlock;
        int dq_start = dq_ready && !flush, ex_start = ex_ready && !flush;
        int retire = state == S_RUN && !err && !deadlock && can_dispatch;
        int event = dma_fin || ex_fin || dq_start || ex_start || fetch_start || retire || flush;

        /* ---- the clock edge ---- */
        int finishing = dma_busy && cyc + 1 == dma_idle_from;
        if (finishing && cur_sig)
            fin_at = cyc + 1;
        if (dq_start && (!dma_busy || (finishing && !nx_valid))) {
            /* a start on an idle engine (or on one whose transfer ends now) */
            uint64_t d = tlpu_timing_insn_cycles(c, dh);
            count_insn(c, dh, d, out);
            dma_idle_from = cyc + d + 1;
            cur_read = dh_read;
            cur_sig = (int)f_sig(dh);
            if (dh_read)
                rq_done_at = cyc + read_requests(c, dh) + 1;
            if (c->hook)
                c->hook(c->hook_ctx, cyc, 0, (size_t)(dh - insns), d);
        } else if (dq_start) {
            /* a prefetch: the requests go out now, the data follows the
             * current transfer's */
            nx_valid = 1;
            nx_idx = (uint32_t)(dh - insns);
            nx_c = cyc;
            rq_done_at = cyc + read_requests(c, dh) + 1;
        } else if (finishing && nx_valid) {
            /* the prefetched read's data stage; its first beat arrives L
             * cycles after its first request, or at once if waiting */
            const tlpu_insn *nx = &insns[nx_idx];
            uint64_t first = nx_c + 1 + L > cyc ? nx_c + 1 + L - cyc : 1;
            uint64_t d = insn_cycles_from(c, nx, first);
            count_insn(c, nx, d, out);
            dma_idle_from = cyc + d + 1;
            cur_read = 1;
            cur_sig = (int)f_sig(nx);
            nx_valid = 0;
            if (c->hook)
                c->hook(c->hook_ctx, cyc, 0, nx_idx, d);
        }
        if (ex_start) {
            uint64_t d = tlpu_timing_insn_cycles(c, eh);
            count_insn(c, eh, d, out);
            ex_idle_from = cyc + d + 1;
            if (c->hook)
                c->hook(c->hook_ctx, cyc, 1, (size_t)(eh - insns), d);
        }
        d2e = d2e + (uint64_t)dma_fin - (uint64_t)(ex_start && f_wait(eh));
        e2d = e2d + (uint64_t)ex_fin - (uint64_t)(dq_start && f_wait(dh));
        if (ex_start)
            ex_sig = (int)f_sig(eh);
        else if (ex_fin)
            ex_sig = 0;
        if (dq_start)
            q_pop(&dq);
        if (ex_start)
            q_pop(&eq);
        if (retire) {
            k[TLPU_CNTI_INSNS]++;
            if (is_dma_op(op))
                q_push(&dq, (uint32_t)(seg_base + pc));
            else if (op == TLPU_OP_MM)
                q_push(&eq, (uint32_t)(seg_base + pc));
        }
        if (flush)
            dq.count = eq.count = 0;

        int prev_state = state;
        switch (state) {
        case S_FETCH:
            if (fetch_start) {
                seg_len = n - seg_base < hw->imem_depth ? n - seg_base : hw->imem_depth;
                uint64_t d = L + seg_len + 1;
                out->fetches++;
                out->dma_busy += d;
                k[TLPU_CNTI_DRAM_RD_BYTES] += 16 * (uint64_t)seg_len;
                k[TLPU_CNTI_STALL_CYCLES] += d - seg_len;
                dma_idle_from = cyc + d + 1;
                cur_read = 0;
                cur_sig = 0;
                if (c->hook)
                    c->hook(c->hook_ctx, cyc, 0, SIZE_MAX, d);
                state = S_FWAIT;
            }
            break;
        case S_FWAIT:
            if (!dma_busy) {
                pc = 0;
                state = S_RUN;
            }
            break;
        case S_RUN:
            if (err || deadlock) {
                out->hw_error = err ? err : TLPU_HWERR_DEADLOCK;
                out->err_pc = (uint32_t)(seg_base + pc);
                state = S_DRAIN;
            } else if (retire) {
                int last = seg_base + pc + 1 == n || op == TLPU_OP_END;
                pc++;
                if (last)
                    state = S_DRAIN;
                else if (pc == seg_len)
                    state = S_SEGWAIT;
            }
            break;
        case S_SEGWAIT:
            if (deadlock) {
                out->hw_error = TLPU_HWERR_DEADLOCK;
                out->err_pc = (uint32_t)(seg_base + pc);
                state = S_DRAIN;
            } else if (dq_empty && !dma_busy) {
                seg_base += seg_len;
                state = S_FETCH;
            }
            break;
        case S_DRAIN:
            if (deadlock) {
                out->hw_error = TLPU_HWERR_DEADLOCK;
                out->err_pc = (uint32_t)(seg_base + pc);
            } else if (dma_idle && ex_idle) {
                k[TLPU_CNTI_CYCLES] = cyc;
                out->lane_ops = k[TLPU_CNTI_BUSY_CYCLES] * hw->rows * hw->cols;
                free(qmem);
                return TLPU_OK;
            }
            break;
        default:
            break;
        }
        /* nothing happened: nothing will until an engine goes idle */
        if (!event && !finishing && state == prev_state) {
            /* the next cycle that can differ: a transfer's last cycle, an
             * engine going idle, a prefetch becoming possible, a token */
            uint64_t cand[5] = {dma_idle_from - 1, dma_idle_from, ex_idle_from, rq_done_at, fin_at};
            uint64_t next = UINT64_MAX;
            for (int i = 0; i < 5; i++)
                if (cand[i] > cyc && cand[i] < next)
                    next = cand[i];
            if (next != UINT64_MAX && next > cyc + 1)
                cyc = next - 1;
        }
    }
}
