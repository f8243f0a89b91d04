/* SPDX-License-Identifier: Apache-2.0 */
/* tiler.c - BitLinear to tlpu program (tlpu/tiler.h). */
#include "tlpu/tiler.h"

#include <string.h>

#include "tlpu/pack.h"

void tlpu_hw_default(tlpu_hw *hw)
{
    if (!hw)
        return;
    hw->rows = TLPU_DEFAULT_ROWS;
    hw->cols = TLPU_DEFAULT_COLS;
    hw->beat_bytes = TLPU_DEFAULT_BEAT_BYTES;
    hw->wbuf_chunks = TLPU_DEFAULT_WBUF_CHUNKS;
    hw->abuf_words = TLPU_DEFAULT_ABUF_WORDS;
    hw->obuf_words = TLPU_DEFAULT_OBUF_WORDS;
    hw->imem_depth = TLPU_DEFAULT_IMEM_DEPTH;
    hw->burst_beats = TLPU_DEFAULT_BURST_BEATS;
}

tlpu_status tlpu_hw_check(const tlpu_hw *hw)
{
    if (!hw)
        return TLPU_ERR_INVALID_ARG;
    if (hw->rows == 0 || hw->rows % 4 || hw->cols == 0 || hw->cols % 20 || hw->beat_bytes != 16 ||
        hw->wbuf_chunks == 0 || hw->abuf_words == 0 || hw->obuf_words < 2 ||
        hw->imem_depth == 0 || hw->burst_beats == 0)
        return TLPU_ERR_INVALID_ARG;
    return TLPU_OK;
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

static uint64_t round_up(uint64_t x, uint64_t m)
{
    return (x + m - 1) / m * m;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

tlpu_status tlpu_tile_bitlinear(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                unsigned fmt, tlpu_tiling *t)
{
    if (!t || tlpu_hw_check(hw) != TLPU_OK || (fmt != TLPU_FMT_PACK2 && fmt != TLPU_FMT_PACK3))
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    tlpu_tiling r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.k = k;
    r.n = n;
    r.fmt = fmt;
    r.chunks = (uint32_t)(((uint64_t)k + hw->cols - 1) / hw->cols);
    r.tiles = (uint32_t)(((uint64_t)n + hw->rows - 1) / hw->rows);
    r.bpc = fmt == TLPU_FMT_PACK2 ? hw->cols / 4 : hw->cols / 5;

    /* K segments: at most WBUF_CHUNKS chunks and 65535 activation bytes
     * (LDA NBYTES), each starting on a beat boundary of the activation row */
    uint32_t q = hw->beat_bytes / gcd32(hw->cols, hw->beat_bytes);
    uint32_t maxseg = min32(hw->wbuf_chunks, 65535u / hw->cols) / q * q;
    if (maxseg == 0)
        return TLPU_ERR_SHAPE;
    r.nsegs = (r.chunks + maxseg - 1) / maxseg;
    r.seg_chunks = (uint32_t)round_up((r.chunks + r.nsegs - 1) / r.nsegs, q);
    if (r.seg_chunks > maxseg)
        r.seg_chunks = maxseg;
    r.nsegs = (r.chunks + r.seg_chunks - 1) / r.seg_chunks;

    /* token groups: all M at once when both buffers hold them, else groups
     * that alternate between two halves of the activation buffer */
    uint32_t obuf_t = min32(hw->obuf_words / 2, 65535u);
    if (m <= obuf_t && (uint64_t)m * r.chunks <= hw->abuf_words) {
        r.group_tokens = m;
        r.abuf_double = 0;
    } else if (hw->abuf_words / (2 * r.chunks) >= 1) {
        r.group_tokens = min32(obuf_t, hw->abuf_words / (2 * r.chunks));
        r.abuf_double = 1;
    } else {
        r.group_tokens = min32(obuf_t, hw->abuf_words / r.chunks);
        r.abuf_double = 0;
    }
    if (r.group_tokens == 0)
        return TLPU_ERR_SHAPE; /* one activation row does not fit the buffer */
    if (r.group_tokens > m)
        r.group_tokens = m;
    r.ngroups = (m + r.group_tokens - 1) / r.group_tokens;

    for (uint32_t s = 0; s < r.nsegs; s++)
        r.tile_bytes += round_up((uint64_t)hw->rows * tlpu_tiling_seg_chunks(&r, s) * r.bpc,
                                 hw->beat_bytes);
    r.weight_bytes = r.tile_bytes * r.tiles;
    *t = r;
    return TLPU_OK;
}

uint32_t tlpu_tiling_seg_chunks(const tlpu_tiling *t, uint32_t s)
{
    uint32_t start = s * t->seg_chunks;
    if (start >= t->chunks)
        return 0;
    return min32(t->seg_chunks, t->chunks - start);
}

uint64_t tlpu_tiling_block_offset(const tlpu_hw *hw, const tlpu_tiling *t, uint32_t tile,
                                  uint32_t seg)
{
    uint64_t off = (uint64_t)tile * t->tile_bytes;
    for (uint32_t s = 0; s < seg; s++)
        off += round_up((uint64_t)hw->rows * tlpu_tiling_seg_chunks(t, s) * t->bpc,
                        hw->beat_bytes);
    return off;
}

tlpu_status tlpu_weights_image(const tlpu_hw *hw, const tlpu_tiling *t, const int8_t *w,
                               uint8_t *img, size_t img_size)
{
    if (!hw || !t || !w || !img)
        return TLPU_ERR_INVALID_ARG;
    if (img_size != t->weight_bytes)
        return TLPU_ERR_BUFFER_SIZE;
    for (size_t i = 0; i < (size_t)t->n * t->k; i++)
        if (w[i] < -1 || w[i] > 1)
            return TLPU_ERR_RANGE;
    memset(img, 0, img_size);
    int8_t trits[640]; /* one row chunk: Cols <= 640 */
    if (hw->cols > sizeof trits)
        return TLPU_ERR_UNSUPPORTED;
    for (uint32_t tile = 0; tile < t->tiles; tile++)
        for (uint32_t s = 0; s < t->nsegs; s++) {
            uint8_t *blk = img + tlpu_tiling_block_offset(hw, t, tile, s);
            uint32_t nch = tlpu_tiling_seg_chunks(t, s);
            for (uint32_t j = 0; j < nch; j++)
                for (uint32_t r = 0; r < hw->rows; r++) {
                    uint64_t row = (uint64_t)tile * hw->rows + r;
                    uint64_t k0 = ((uint64_t)s * t->seg_chunks + j) * hw->cols;
                    for (uint32_t c = 0; c < hw->cols; c++)
                        trits[c] = (row < t->n && k0 + c < t->k) ? w[row * t->k + k0 + c] : 0;
                    uint8_t *dst = blk + ((size_t)j * hw->rows + r) * t->bpc;
                    tlpu_status st = t->fmt == TLPU_FMT_PACK2
                                         ? tlpu_pack2(trits, hw->cols, dst, t->bpc)
                                         : tlpu_pack3(trits, hw->cols, dst, t->bpc);
                    if (st != TLPU_OK)
                        return st;
                }
        }
    return TLPU_OK;
}

uint32_t tlpu_act_stride(const tlpu_hw *hw, uint32_t k)
{
    return (uint32_t)round_up(k, hw->beat_bytes);
}

uint32_t tlpu_out_stride(const tlpu_hw *hw, uint32_t n)
{
    return (uint32_t)round_up(4 * round_up(n, 4), hw->beat_bytes);
}

/* ---- the schedule ------------------------------------------------------ */

typedef struct emitter {
    const tlpu_hw *hw;
    const tlpu_tiling *t;
    const tlpu_bitlinear_addrs *a;
    tlpu_program *p;
    tlpu_status st;
} emitter;

static void emit(emitter *e, tlpu_insn in)
{
    if (e->st == TLPU_OK)
        e->st = tlpu_program_push(e->p, in);
}

static uint32_t group_tokens(const tlpu_tiling *t, uint32_t g)
{
    return min32(t->group_tokens, t->m - g * t->group_tokens);
}

static uint32_t abuf_base(const emitter *e, uint32_t g)
{
    return e->t->abuf_double ? (g % 2) * (e->hw->abuf_words / 2) : 0;
}

static void emit_lda(emitter *e, uint32_t g)
{
    const tlpu_tiling *t = e->t;
    uint32_t tg = group_tokens(t, g);
    for (uint32_t s = 0; s < t->nsegs; s++) {
        uint64_t kbyte = (uint64_t)s * t->seg_chunks * e->hw->cols;
        uint32_t nbytes = (uint32_t)min32(tlpu_tiling_seg_chunks(t, s) * e->hw->cols,
                                          (uint32_t)(t->k - kbyte));
        uint64_t addr = e->a->act + (uint64_t)g * t->group_tokens * e->a->act_stride + kbyte;
        emit(e, tlpu_insn_lda(nbytes, tg, abuf_base(e, g) + tg * s * t->seg_chunks,
                              (uint32_t)addr, e->a->act_stride));
    }
}

typedef struct item {
    uint32_t g, tile, seg, tcount; /* tcount: (group, tile) pairs before this one */
} item;

static item item_at(const tlpu_tiling *t, uint64_t i)
{
    item it;
    it.seg = (uint32_t)(i % t->nsegs);
    uint64_t gt = i / t->nsegs;
    it.tile = (uint32_t)(gt % t->tiles);
    it.g = (uint32_t)(gt / t->tiles);
    it.tcount = (uint32_t)gt;
    return it;
}

static void emit_ldw(emitter *e, uint64_t i)
{
    item it = item_at(e->t, i);
    uint64_t addr = e->a->weights + tlpu_tiling_block_offset(e->hw, e->t, it.tile, it.seg);
    emit(e, tlpu_insn_ldw((unsigned)(i % 2), e->t->fmt, tlpu_tiling_seg_chunks(e->t, it.seg),
                          (uint32_t)addr));
}

static void emit_st(emitter *e, item it)
{
    const tlpu_tiling *t = e->t;
    uint32_t tg = group_tokens(t, it.g);
    uint32_t valid = min32(e->hw->rows, t->n - it.tile * e->hw->rows);
    uint32_t count = (valid + 3) / 4 * 4;
    uint64_t addr = e->a->out + (uint64_t)it.g * t->group_tokens * e->a->out_stride +
                    (uint64_t)it.tile * e->hw->rows * 4;
    emit(e, tlpu_insn_st((it.tcount % 2) * t->group_tokens, tg, count, (uint32_t)addr,
                         e->a->out_stride));
}

tlpu_status tlpu_compile_bitlinear(const tlpu_hw *hw, const tlpu_tiling *t,
                                   const tlpu_bitlinear_addrs *a, tlpu_program *prog)
{
    if (!hw || !t || !a || !prog || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    uint64_t bb = hw->beat_bytes;
    if (a->weights % bb || a->act % bb || a->out % bb || a->act_stride % bb ||
        a->out_stride % bb || a->act_stride < t->k || a->out_stride < 4 * round_up(t->n, 4))
        return TLPU_ERR_INVALID_ARG;
    uint64_t act_end = a->act + (uint64_t)(t->m - 1) * a->act_stride + t->k;
    uint64_t out_end = a->out + (uint64_t)(t->m - 1) * a->out_stride + 4 * round_up(t->n, 4);
    if (a->weights + t->weight_bytes > (1ull << 32) || act_end > (1ull << 32) ||
        out_end > (1ull << 32))
        return TLPU_ERR_RANGE;

    emitter e = {hw, t, a, prog, TLPU_OK};
    uint64_t nitems = (uint64_t)t->ngroups * t->tiles * t->nsegs;
    int pending = 0;
    item pend = {0, 0, 0, 0};

    emit_lda(&e, 0);
    emit_ldw(&e, 0);
    for (uint64_t i = 0; i < nitems; i++) {
        item it = item_at(t, i);
        uint32_t tg = group_tokens(t, it.g);
        uint32_t nch = tlpu_tiling_seg_chunks(t, it.seg);
        emit(&e, tlpu_insn_sync(TLPU_SYNC_DMA));
        emit(&e, tlpu_insn_mm((unsigned)(i % 2), it.seg > 0, nch,
                              abuf_base(&e, it.g) + tg * it.seg * t->seg_chunks, tg, nch,
                              (it.tcount % 2) * t->group_tokens));
        /* this MM issued, so the previous one finished: its tile can go out
         * and its weight bank can be refilled */
        if (pending) {
            emit_st(&e, pend);
            pending = 0;
        }
        if (it.seg == t->nsegs - 1) {
            pending = 1;
            pend = it;
        }
        if (i + 1 < nitems) {
            item nx = item_at(t, i + 1);
            if (t->abuf_double && it.tile == 0 && it.seg == 0 && it.g + 1 < t->ngroups)
                emit_lda(&e, it.g + 1); /* into the other half, while group g computes */
            else if (!t->abuf_double && nx.g != it.g) {
                emit(&e, tlpu_insn_sync(TLPU_SYNC_EX)); /* group g done with the buffer */
                emit_lda(&e, nx.g);
            }
            emit_ldw(&e, i + 1);
        }
    }
    emit(&e, tlpu_insn_sync(TLPU_SYNC_EX));
    if (pending)
        emit_st(&e, pend);
    return e.st;
}
