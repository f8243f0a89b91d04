/* SPDX-License-Identifier: Apache-2.0 */
/* tiler.c - BitLinear to tlpu program (tlpu/tiler.h). */
#include "tlpu/tiler.h"

#include <stdlib.h>
#include <string.h>

#include "tlpu/pack.h"
#include "tlpu/timing.h"

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
    hw->queue_depth = TLPU_DEFAULT_QUEUE_DEPTH;
}

tlpu_status tlpu_hw_check(const tlpu_hw *hw)
{
    if (!hw)
        return TLPU_ERR_INVALID_ARG;
    if (hw->rows == 0 || hw->rows % 4 || hw->cols == 0 || hw->cols % 20 || hw->beat_bytes != 16 ||
        hw->wbuf_chunks == 0 || hw->abuf_words == 0 || hw->obuf_words < 2 ||
        hw->imem_depth == 0 || hw->burst_beats == 0 || hw->queue_depth < 2)
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

static uint32_t lcm32(uint32_t a, uint32_t b)
{
    return a / gcd32(a, b) * b;
}

/* chunk offsets whose activation byte offset (c * Cols) is beat aligned */
static uint32_t q_act(const tlpu_hw *hw)
{
    return hw->beat_bytes / gcd32(hw->cols, hw->beat_bytes);
}

/* chunk offsets whose weight-image offset (c * Rows * bpc) is beat aligned */
static uint32_t q_wgt(const tlpu_hw *hw, uint32_t bpc)
{
    return hw->beat_bytes / gcd32(hw->rows * bpc, hw->beat_bytes);
}

/* the largest LDA piece in chunks: NBYTES <= 65535, beat-aligned offsets */
static uint32_t lda_piece(const tlpu_hw *hw)
{
    return 65535u / hw->cols / q_act(hw) * q_act(hw);
}

uint32_t tlpu_tiling_seg_chunks(const tlpu_tiling *t, uint32_t s)
{
    uint32_t start = s * t->seg_chunks;
    if (start >= t->chunks)
        return 0;
    return min32(t->seg_chunks, t->chunks - start);
}

uint64_t tlpu_tiling_chunk_offset(const tlpu_hw *hw, const tlpu_tiling *t, uint32_t tile,
                                  uint32_t c0)
{
    return (uint64_t)tile * t->tile_bytes + (uint64_t)c0 * hw->rows * t->bpc;
}

static tlpu_status plan_basic(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                              unsigned fmt, tlpu_tiling *out)
{
    tlpu_tiling r;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.k = k;
    r.n = n;
    r.fmt = fmt;
    r.chunks = (uint32_t)(((uint64_t)k + hw->cols - 1) / hw->cols);
    r.tiles = (uint32_t)(((uint64_t)n + hw->rows - 1) / hw->rows);
    r.bpc = fmt == TLPU_FMT_PACK2 ? hw->cols / 4 : hw->cols / 5;
    r.tile_bytes = round_up((uint64_t)hw->rows * r.chunks * r.bpc, hw->beat_bytes);
    r.weight_bytes = r.tile_bytes * r.tiles;

    /* token-major activations (one row of C words per token) when LDA's
     * 8-bit DSTRIDE can express C; otherwise one ABUF block per segment */
    r.token_major = r.chunks <= 255;
    uint32_t q = lcm32(q_act(hw), q_wgt(hw, r.bpc));
    uint32_t maxseg = hw->wbuf_chunks;
    if (!r.token_major)
        maxseg = min32(maxseg, 65535u / hw->cols);
    maxseg = maxseg / q * q;
    if (maxseg == 0 || lda_piece(hw) == 0)
        return TLPU_ERR_SHAPE;
    r.nsegs = (r.chunks + maxseg - 1) / maxseg;
    r.seg_chunks = min32(maxseg, (uint32_t)round_up((r.chunks + r.nsegs - 1) / r.nsegs, q));
    r.nsegs = (r.chunks + r.seg_chunks - 1) / r.seg_chunks;

    /* token groups: all M at once when both buffers hold them, else groups
     * that alternate between two halves of the activation buffer */
    uint32_t obuf_t = min32(hw->obuf_words / 3, 65535u); /* three regions at least */
    if (m <= obuf_t && (uint64_t)m * r.chunks <= hw->abuf_words) {
        r.group_tokens = m;
    } else if (hw->abuf_words / (2 * r.chunks) >= 1) {
        r.group_tokens = min32(obuf_t, hw->abuf_words / (2 * r.chunks));
        r.abuf_double = 1;
    } else {
        r.group_tokens = min32(obuf_t, hw->abuf_words / r.chunks);
    }
    if (r.group_tokens == 0)
        return TLPU_ERR_SHAPE; /* one activation row does not fit the buffer */
    if (r.group_tokens > m)
        r.group_tokens = m;
    r.ngroups = (m + r.group_tokens - 1) / r.group_tokens;
    *out = r;
    return TLPU_OK;
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
        for (uint32_t j = 0; j < t->chunks; j++)
            for (uint32_t r = 0; r < hw->rows; r++) {
                uint64_t row = (uint64_t)tile * hw->rows + r;
                uint64_t k0 = (uint64_t)j * hw->cols;
                for (uint32_t c = 0; c < hw->cols; c++)
                    trits[c] = (row < t->n && k0 + c < t->k) ? w[row * t->k + k0 + c] : 0;
                uint8_t *dst = img + tlpu_tiling_chunk_offset(hw, t, tile, j) + (size_t)r * t->bpc;
                tlpu_status st = t->fmt == TLPU_FMT_PACK2 ? tlpu_pack2(trits, hw->cols, dst, t->bpc)
                                                          : tlpu_pack3(trits, hw->cols, dst, t->bpc);
                if (st != TLPU_OK)
                    return st;
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

/* One unit of work: load a weight piece (chunks c0 .. c0+nch-1 of a tile)
 * into a bank, then multiply it by the group's tokens. */
typedef struct item {
    uint32_t g, tile, c0, nch;
    int first;  /* the first piece of this (group, tile): ACC off, takes a region */
    int last;   /* the last piece: the tile's outputs are complete */
    /* prologue: activations to load before this item's LDW (chunks
     * [lda_c0, lda_c0 + lda_nch) of token rows [lda_r0, lda_r1)) */
    uint32_t lda_c0, lda_nch, lda_r0, lda_r1;
} item;

typedef struct pend {
    uint32_t id;   /* (group, tile) */
    uint64_t fin;  /* index of its last MM */
} pend;

typedef struct emitter {
    const tlpu_hw *hw;
    const tlpu_tiling *t;
    const tlpu_bitlinear_addrs *a;
    tlpu_program *p;
    tlpu_status st;
    uint32_t nregions;
    int32_t *region_of;    /* per (group, tile): its OBUF region, -1 none */
    uint8_t *region_busy;  /* a region holds a tile whose ST is not yet emitted */
    pend *pending;         /* tiles whose MMs are all emitted, awaiting ST */
    uint32_t npending;
    int64_t last_ldw;      /* index of the last LDW emitted */
    uint32_t slots;        /* weight-buffer slots (both banks): LDW j reuses MM j-slots' */
    uint32_t slot_width;   /* chunks per slot */
    tlpu_timing_cfg tc;    /* for the engines' busy cycles */
    int64_t slack;         /* DMA cycles to spare under the MMs so far */
} emitter;

static int64_t busy_of(const emitter *e, tlpu_insn in)
{
    return (int64_t)tlpu_timing_insn_cycles(&e->tc, &in);
}

static void emit(emitter *e, tlpu_insn in)
{
    if (e->st == TLPU_OK)
        e->st = tlpu_program_push(e->p, in);
    unsigned op = tlpu_insn_op(&in);
    if (op == TLPU_OP_LDW || op == TLPU_OP_LDA || op == TLPU_OP_ST)
        e->slack -= busy_of(e, in) + 1;
    else if (op == TLPU_OP_MM)
        e->slack += busy_of(e, in) + 1;
}

static void set_flags(tlpu_insn *in, unsigned wait, unsigned sig)
{
    tlpu_insn_set(in, TLPU_LDW_WAIT_LSB, 1, wait);
    tlpu_insn_set(in, TLPU_LDW_SIGNAL_LSB, 1, sig);
}

static uint32_t group_tokens(const tlpu_tiling *t, uint32_t g)
{
    return min32(t->group_tokens, t->m - g * t->group_tokens);
}

static uint32_t abuf_base(const emitter *e, uint32_t g)
{
    return e->t->abuf_double ? (g % 2) * (e->hw->abuf_words / 2) : 0;
}

/* activations of group g, chunks [c0, c0 + nch), token rows [r0, r1) of the
 * group (token-major layout only) */
static void emit_lda_rows(emitter *e, uint32_t g, uint32_t c0, uint32_t nch, uint32_t r0,
                          uint32_t r1)
{
    const tlpu_tiling *t = e->t;
    const uint32_t cols = e->hw->cols, rows = r1 - r0;
    uint64_t row0 = e->a->act + ((uint64_t)g * t->group_tokens + r0) * e->a->act_stride;
    uint32_t piece = lda_piece(e->hw);
    for (uint32_t c = c0; c < c0 + nch; c += piece) {
        uint32_t pc = min32(piece, c0 + nch - c);
        uint32_t nbytes = (uint32_t)min32(pc * cols, t->k - c * cols);
        uint32_t words = (nbytes + cols - 1) / cols;
        uint32_t dstride = (rows > 1 && words != t->chunks) ? t->chunks : 0;
        emit(e, tlpu_insn_lda(nbytes, rows, abuf_base(e, g) + r0 * t->chunks + c,
                              (uint32_t)(row0 + (uint64_t)c * cols), e->a->act_stride, dstride));
    }
}

/* activations of group g, all chunks */
static void emit_lda_group(emitter *e, uint32_t g)
{
    const tlpu_tiling *t = e->t;
    const uint32_t cols = e->hw->cols, tg = group_tokens(t, g);
    uint64_t row0 = e->a->act + (uint64_t)g * t->group_tokens * e->a->act_stride;
    if (t->token_major) {
        emit_lda_rows(e, g, 0, t->chunks, 0, tg);
        return;
    }
    for (uint32_t s = 0; s < t->nsegs; s++) {
        uint32_t c = s * t->seg_chunks, sc = tlpu_tiling_seg_chunks(t, s);
        uint32_t nbytes = (uint32_t)min32(sc * cols, t->k - c * cols);
        emit(e, tlpu_insn_lda(nbytes, tg, abuf_base(e, g) + tg * c,
                              (uint32_t)(row0 + (uint64_t)c * cols), e->a->act_stride, 0));
    }
}

static void emit_st(emitter *e, uint32_t id)
{
    const tlpu_tiling *t = e->t;
    uint32_t g = id / t->tiles, tile = id % t->tiles;
    uint32_t tg = group_tokens(t, g);
    uint32_t valid = min32(e->hw->rows, t->n - tile * e->hw->rows);
    uint32_t count = (valid + 3) / 4 * 4;
    uint64_t addr = e->a->out + (uint64_t)g * t->group_tokens * e->a->out_stride +
                    (uint64_t)tile * e->hw->rows * 4;
    uint32_t region = (uint32_t)e->region_of[id];
    emit(e, tlpu_insn_st(region * t->group_tokens, tg, count, (uint32_t)addr, e->a->out_stride));
    e->region_busy[region] = 0;
}

/* Stores the oldest pending tile if it is safe here: its last MM (index f)
 * is complete once LDW f+2 has started, and that LDW is ahead of this point
 * in the DMA queue. Returns whether it stored. */
static int emit_safe_st(emitter *e)
{
    if (!e->npending || (int64_t)(e->pending[0].fin + e->slots) > e->last_ldw)
        return 0;
    emit_st(e, e->pending[0].id);
    memmove(e->pending, e->pending + 1, (e->npending - 1) * sizeof *e->pending);
    e->npending--;
    return 1;
}

/* the ST of the oldest safe pending tile, if the DMA has the time for it */
static int emit_budgeted_st(emitter *e)
{
    if (!e->npending || (int64_t)(e->pending[0].fin + e->slots) > e->last_ldw)
        return 0;
    const tlpu_tiling *t = e->t;
    uint32_t valid = min32(e->hw->rows, t->n - (e->pending[0].id % t->tiles) * e->hw->rows);
    tlpu_insn probe = tlpu_insn_st(0, group_tokens(t, e->pending[0].id / t->tiles),
                                   (valid + 3) / 4 * 4, 0, 0);
    if (!t->st_eager && e->slack < busy_of(e, probe) + 1)
        return 0;
    emit_st(e, e->pending[0].id);
    memmove(e->pending, e->pending + 1, (e->npending - 1) * sizeof *e->pending);
    e->npending--;
    return 1;
}

/* a free output region for (group, tile) id; stores pending tiles if none */
static void take_region(emitter *e, uint32_t id)
{
    for (;;) {
        for (uint32_t r = 0; r < e->nregions; r++) {
            uint32_t rr = (id + r) % e->nregions;
            if (!e->region_busy[rr]) {
                e->region_busy[rr] = 1;
                e->region_of[id] = (int32_t)rr;
                return;
            }
        }
        if (!emit_safe_st(e)) {
            e->st = TLPU_ERR_SHAPE; /* not reachable with three or more regions */
            return;
        }
    }
}

/* the item list of a plan */
static item *make_items(const tlpu_tiling *t, uint64_t *count)
{
    uint32_t G = t->prologue_tiles;
    uint64_t nf = G ? (t->chunks + t->fine_chunks - 1) / t->fine_chunks : 0;
    uint64_t n = (uint64_t)G * nf + ((uint64_t)t->ngroups * t->tiles - G) * t->nsegs;
    item *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return NULL;
    uint64_t i = 0;
    /* piece s+1 of the activations is split by token rows over the items
     * (1 .. G-1, s): it streams in between their weight loads instead of
     * holding the DMA (and with it every SYNC) for the whole piece */
    uint32_t parts = G > 1 ? G - 1 : 1, T = t->group_tokens;
    for (uint64_t s = 0; s < nf; s++)
        for (uint32_t tile = 0; tile < G; tile++) {
            item *it = &v[i++];
            it->tile = tile;
            it->c0 = (uint32_t)s * t->fine_chunks;
            it->nch = min32(t->fine_chunks, t->chunks - it->c0);
            it->first = s == 0;
            it->last = s + 1 == nf;
            if (s == 0 && tile == 0) {
                it->lda_c0 = 0;
                it->lda_nch = it->nch;
                it->lda_r0 = 0;
                it->lda_r1 = T;
            } else if (tile >= 1 && s + 1 < nf) {
                /* a balanced partition of the T rows into G-1 parts */
                uint32_t r0 = (uint32_t)((uint64_t)(tile - 1) * T / parts);
                uint32_t r1 = (uint32_t)((uint64_t)tile * T / parts);
                if (r0 < r1) {
                    it->lda_c0 = (uint32_t)(s + 1) * t->fine_chunks;
                    it->lda_nch = min32(t->fine_chunks, t->chunks - it->lda_c0);
                    it->lda_r0 = r0;
                    it->lda_r1 = r1;
                }
            }
        }
    for (uint32_t g = 0; g < t->ngroups; g++)
        for (uint32_t tile = g == 0 ? G : 0; tile < t->tiles; tile++)
            for (uint32_t s = 0; s < t->nsegs; s++) {
                item *it = &v[i++];
                it->g = g;
                it->tile = tile;
                it->c0 = s * t->seg_chunks;
                it->nch = tlpu_tiling_seg_chunks(t, s);
                it->first = s == 0;
                it->last = s + 1 == t->nsegs;
            }
    *count = n;
    return v;
}

/*
 * The program, software-pipelined over the items (weight piece + MM):
 *   LDA ...; LDW_0
 *   for each item i:  [LDA parts for item i+1]  LDW_{i+1}  [ST of done tiles]  MM_i
 * LDW_i SIGNALs; MM_i WAITs for it (so for every DMA instruction before it).
 * MM_i SIGNALs; LDW_{i+2}, which overwrites MM_i's bank, WAITs for it. A
 * tile's ST goes after LDW_{f+2} (f its last MM), and a region is reused only
 * when its ST is ahead of the LDW that the reusing MM waits for: every
 * dependency is carried by the in-order DMA queue and the two token counts.
 */
static tlpu_status build(const tlpu_hw *hw, const tlpu_tiling *t, const tlpu_bitlinear_addrs *a,
                         tlpu_program *prog)
{
    uint64_t nitems = 0;
    item *items = make_items(t, &nitems);
    uint32_t ids = t->ngroups * t->tiles;
    emitter e;
    memset(&e, 0, sizeof e);
    e.hw = hw;
    e.t = t;
    e.a = a;
    e.p = prog;
    e.st = TLPU_OK;
    e.nregions = hw->obuf_words / t->group_tokens;
    e.last_ldw = -1;
    {
        /* the weight buffer in slots of the largest item: item j goes to
         * bank j % 2 at chunk offset ((j / 2) % per_bank) * width, so the
         * DMA may load up to slots - 1 items ahead of the array */
        uint32_t width = t->seg_chunks;
        if (t->prologue_tiles && t->fine_chunks > width)
            width = t->fine_chunks;
        uint32_t per_bank = width ? hw->wbuf_chunks / width : 1;
        if (per_bank < 1)
            per_bank = 1;
        if (per_bank > t->wbuf_slots_max / 2)
            per_bank = t->wbuf_slots_max / 2 ? t->wbuf_slots_max / 2 : 1;
        e.slots = 2 * per_bank;
        e.slot_width = width;
    }
    tlpu_timing_cfg_init(&e.tc, hw);
    e.tc.mem_latency = t->mem_latency ? t->mem_latency : 16;
    if (e.nregions > ids + 2)
        e.nregions = ids + 2;
    e.region_of = malloc(ids * sizeof *e.region_of);
    e.region_busy = calloc(e.nregions, 1);
    e.pending = malloc(ids * sizeof *e.pending);
    if (!items || !e.region_of || !e.region_busy || !e.pending || e.nregions < 3) {
        free(items);
        free(e.region_of);
        free(e.region_busy);
        free(e.pending);
        return items && e.region_of && e.region_busy && e.pending ? TLPU_ERR_SHAPE : TLPU_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < ids; i++)
        e.region_of[i] = -1;
    uint8_t *lda_done = calloc(t->ngroups, 1);
    if (!lda_done)
        e.st = TLPU_ERR_NOMEM;
    else
        lda_done[0] = 1;

    /* first group of tokens up front, unless the prologue streams them */
    if (t->prologue_tiles == 0)
        emit_lda_group(&e, 0);
    uint64_t first_of_group = 0; /* item index where the current group began */
    const int64_t ahead = (int64_t)e.slots - 1;
    for (int64_t i = -ahead; i < (int64_t)nitems && e.st == TLPU_OK; i++) {
        /* the DMA side of item j = i + ahead */
        int64_t j = i + ahead;
        if (j < (int64_t)nitems) {
            item *nx = &items[j];
            uint32_t nid = nx->g * t->tiles + nx->tile;
            if (nx->lda_nch)
                emit_lda_rows(&e, 0, nx->lda_c0, nx->lda_nch, nx->lda_r0, nx->lda_r1);
            if (j >= 1 && nx->g != items[j - 1].g) {
                first_of_group = (uint64_t)j;
                if (!lda_done[nx->g]) {
                    /* one buffer (or a group too short to load ahead): every
                     * MM so far must be done before its activations move in */
                    emit(&e, tlpu_insn_sync(TLPU_SYNC_EX));
                    emit_lda_group(&e, nx->g);
                    lda_done[nx->g] = 1;
                }
            }
            if (nx->first)
                take_region(&e, nid);
            uint32_t woff = (uint32_t)(((uint64_t)j / 2) % (e.slots / 2)) * e.slot_width;
            tlpu_insn ldw = tlpu_insn_ldw((unsigned)(j % 2), t->fmt, nx->nch,
                                          (uint32_t)(a->weights + tlpu_tiling_chunk_offset(
                                                                      hw, t, nx->tile, nx->c0)),
                                          woff);
            set_flags(&ldw, j >= (int64_t)e.slots, 1);
            emit(&e, ldw);
            e.last_ldw = j;
            /* the other ABUF half is free once group g-1's MMs are done:
             * after LDW first(g)+slots-1, which waits for MM first(g)-1 */
            if (t->abuf_double && (uint64_t)j == first_of_group + e.slots - 1 &&
                nx->g + 1 < t->ngroups && !lda_done[nx->g + 1]) {
                emit_lda_group(&e, nx->g + 1);
                lda_done[nx->g + 1] = 1;
            }
        }
        if (i < 0)
            continue;
        /* tiles whose MMs are done by now go out, as far as the DMA has
         * time under the MMs (it may not bank more than one MM's worth) */
        item *it = &items[i];
        {
            int64_t cap = 2 * (int64_t)(group_tokens(t, it->g) * (uint64_t)it->nch + 3);
            if (e.slack > cap)
                e.slack = cap;
        }
        while (emit_budgeted_st(&e))
            ;
        uint32_t id = it->g * t->tiles + it->tile;
        uint32_t tg = group_tokens(t, it->g);
        uint32_t src, astride;
        if (t->token_major) {
            src = abuf_base(&e, it->g) + it->c0;
            astride = t->chunks;
        } else {
            src = abuf_base(&e, it->g) + tg * it->c0;
            astride = it->nch;
        }
        uint32_t mwoff = (uint32_t)(((uint64_t)i / 2) % (e.slots / 2)) * e.slot_width;
        tlpu_insn mm = tlpu_insn_mm((unsigned)(i % 2), !it->first, it->nch, src, tg, astride,
                                    (uint32_t)e.region_of[id] * t->group_tokens, mwoff);
        set_flags(&mm, 1, 1);
        emit(&e, mm);
        if (it->last) {
            e.pending[e.npending].id = id;
            e.pending[e.npending].fin = (uint64_t)i;
            e.npending++;
        }
    }
    /* the rest of the tiles: those safe behind the last LDW first; the
     * tiles of the last two MMs then wait for those MMs' tokens (no LDW
     * consumes them), or, if that does not fit, for the execute engine */
    while (emit_safe_st(&e))
        ;
    int two = e.slots == 2 && e.npending == 2 && nitems >= 2 &&
              e.pending[0].fin == nitems - 2 && e.pending[1].fin == nitems - 1;
    int one = e.slots == 2 && e.npending == 1 && nitems == 1;
    if (two || one) {
        for (uint32_t k = 0; k < e.npending && e.st == TLPU_OK; k++) {
            uint32_t id = e.pending[k].id;
            uint32_t g = id / t->tiles, tile = id % t->tiles;
            uint32_t valid = min32(hw->rows, t->n - tile * hw->rows);
            uint64_t addr = a->out + (uint64_t)g * t->group_tokens * a->out_stride +
                            (uint64_t)tile * hw->rows * 4;
            tlpu_insn st = tlpu_insn_st((uint32_t)e.region_of[id] * t->group_tokens,
                                        group_tokens(t, g), (valid + 3) / 4 * 4, (uint32_t)addr,
                                        a->out_stride);
            set_flags(&st, 1, 0);
            emit(&e, st);
        }
    } else if (e.npending) {
        emit(&e, tlpu_insn_sync(TLPU_SYNC_EX));
        for (uint32_t k = 0; k < e.npending && e.st == TLPU_OK; k++)
            emit_st(&e, e.pending[k].id);
    }
    free(lda_done);
    free(items);
    free(e.region_of);
    free(e.region_busy);
    free(e.pending);
    return e.st;
}

static tlpu_status check_addrs(const tlpu_hw *hw, const tlpu_tiling *t, const tlpu_bitlinear_addrs *a)
{
    uint64_t bb = hw->beat_bytes;
    if (a->weights % bb || a->act % bb || a->out % bb || a->act_stride % bb ||
        a->out_stride % bb || a->act_stride < t->k || a->out_stride < 4 * round_up(t->n, 4))
        return TLPU_ERR_INVALID_ARG;
    uint64_t act_end = a->act + (uint64_t)(t->m - 1) * a->act_stride + t->k;
    uint64_t out_end = a->out + (uint64_t)(t->m - 1) * a->out_stride + 4 * round_up(t->n, 4);
    if (a->weights + t->weight_bytes > (1ull << 32) || act_end > (1ull << 32) ||
        out_end > (1ull << 32))
        return TLPU_ERR_RANGE;
    return TLPU_OK;
}

tlpu_status tlpu_compile_bitlinear(const tlpu_hw *hw, const tlpu_tiling *t,
                                   const tlpu_bitlinear_addrs *a, tlpu_program *prog)
{
    if (!hw || !t || !a || !prog || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_addrs(hw, t, a);
    if (st != TLPU_OK)
        return st;
    return build(hw, t, a, prog);
}

/* the timing model's cycle count for a plan, at dummy (valid) addresses */
static uint64_t plan_cycles(const tlpu_hw *hw, const tlpu_tiling *t)
{
    tlpu_bitlinear_addrs a;
    a.act_stride = tlpu_act_stride(hw, t->k);
    a.out_stride = tlpu_out_stride(hw, t->n);
    a.weights = 0;
    a.act = round_up(t->weight_bytes, 256);
    a.out = round_up(a.act + (uint64_t)t->m * a.act_stride, 256);
    if (check_addrs(hw, t, &a) != TLPU_OK)
        return UINT64_MAX;
    tlpu_program p;
    tlpu_program_init(&p);
    uint64_t cycles = UINT64_MAX;
    if (build(hw, t, &a, &p) == TLPU_OK) {
        tlpu_timing_cfg c;
        tlpu_timing_cfg_init(&c, hw);
        c.mem_latency = t->mem_latency;
        tlpu_timing tm;
        if (tlpu_timing_run(&c, p.insns, p.n, &tm) == TLPU_OK && tm.hw_error == 0)
            cycles = tm.counters[TLPU_CNTI_CYCLES];
    }
    tlpu_program_free(&p);
    return cycles;
}

tlpu_status tlpu_tile_bitlinear(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                unsigned fmt, uint32_t mem_latency, tlpu_tiling *t)
{
    if (!t || tlpu_hw_check(hw) != TLPU_OK || (fmt != TLPU_FMT_PACK2 && fmt != TLPU_FMT_PACK3) ||
        hw->obuf_words < 3)
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    tlpu_tiling best;
    tlpu_status st = plan_basic(hw, m, k, n, fmt, &best);
    if (st != TLPU_OK)
        return st;
    best.mem_latency = mem_latency ? mem_latency : 16;
    best.wbuf_slots_max = 2;
    best.predicted_cycles = plan_cycles(hw, &best);
    for (uint32_t slots = 2; slots <= 8; slots *= 2)
        for (uint32_t eager = 0; eager < 2; eager++) {
            tlpu_tiling c = best;
            c.st_eager = eager;
            c.wbuf_slots_max = slots;
            c.predicted_cycles = plan_cycles(hw, &c);
            if (c.predicted_cycles < best.predicted_cycles)
                best = c;
        }

    /* the prologue: worth trying when one group holds every token and the
     * activation load is long next to one tile's weights */
    uint32_t regions = hw->obuf_words / best.group_tokens;
    uint64_t act_beats = (uint64_t)m * ((k + hw->beat_bytes - 1) / hw->beat_bytes);
    uint64_t tile_beats = best.tile_bytes / hw->beat_bytes;
    if (best.ngroups == 1 && best.token_major && best.nsegs == 1 && best.tiles > 1 &&
        regions >= 3 && act_beats > tile_beats / 2) {
        uint32_t q = lcm32(q_act(hw), q_wgt(hw, best.bpc));
        uint32_t gmax = min32(best.tiles, regions - 2);
        for (uint32_t fc = q; fc <= best.chunks && fc <= 64; fc *= 2) {
            if (fc == best.chunks)
                break; /* one piece: no overlap to gain */
            for (uint32_t g = 2; g <= gmax; g += (g < 8 ? 1 : 2))
                for (uint32_t v = 0; v < 6; v++) {
                    tlpu_tiling c = best;
                    c.prologue_tiles = g;
                    c.fine_chunks = fc;
                    c.st_eager = v & 1;
                    c.wbuf_slots_max = 2u << (v / 2);
                    c.predicted_cycles = plan_cycles(hw, &c);
                    if (c.predicted_cycles < best.predicted_cycles)
                        best = c;
                }
        }
    }
    if (best.predicted_cycles == UINT64_MAX)
        return TLPU_ERR_SHAPE;
    *t = best;
    return TLPU_OK;
}
