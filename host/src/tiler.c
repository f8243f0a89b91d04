/* SPDX-License-Identifier: Apache-2.0 */
/* tiler.c - BitLinear to tlpu program (tlpu/tiler.h). */
#include "tlpu/tiler.h"

#include <stddef.h>
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

static const struct hw_param {
    const char *key;
    size_t off;
    uint64_t lo, hi;
} k_hw_params[] = {
    {"rows", offsetof(tlpu_hw, rows), 4, 1024},
    {"cols", offsetof(tlpu_hw, cols), 20, 1280},
    {"wbuf", offsetof(tlpu_hw, wbuf_chunks), 1, 65536},
    {"abuf", offsetof(tlpu_hw, abuf_words), 1, 1u << 24},
    {"obuf", offsetof(tlpu_hw, obuf_words), 3, 1u << 24},
    {"imem", offsetof(tlpu_hw, imem_depth), 1, 1u << 20},
    {"queue", offsetof(tlpu_hw, queue_depth), 2, 1024},
    {"burst", offsetof(tlpu_hw, burst_beats), 1, 1024},
};

static const struct hw_param *hw_param(const char *key)
{
    for (size_t i = 0; key && i < sizeof k_hw_params / sizeof k_hw_params[0]; i++)
        if (!strcmp(k_hw_params[i].key, key))
            return &k_hw_params[i];
    return NULL;
}

tlpu_status tlpu_hw_param_range(const char *key, uint64_t *lo, uint64_t *hi)
{
    const struct hw_param *p = hw_param(key);
    if (!p || !lo || !hi)
        return TLPU_ERR_INVALID_ARG;
    *lo = p->lo;
    *hi = p->hi;
    return TLPU_OK;
}

tlpu_status tlpu_hw_set(tlpu_hw *hw, const char *key, uint64_t value)
{
    const struct hw_param *p = hw_param(key);
    if (!hw || !p)
        return TLPU_ERR_INVALID_ARG;
    if (value < p->lo || value > p->hi)
        return TLPU_ERR_RANGE;
    *(uint32_t *)((char *)hw + p->off) = (uint32_t)value;
    return TLPU_OK;
}

const char *tlpu_hw_param_names(void)
{
    return "rows, cols, wbuf, abuf, obuf, imem, queue, burst";
}

tlpu_status tlpu_hw_check(const tlpu_hw *hw)
{
    if (!hw)
        return TLPU_ERR_INVALID_ARG;
    if (hw->rows == 0 || hw->rows % 4 || hw->cols == 0 || hw->cols % 20 || hw->beat_bytes != 16 ||
        hw->wbuf_chunks == 0 || hw->abuf_words == 0 || hw->obuf_words < 2 ||
        hw->imem_depth == 0 || hw->burst_beats == 0 || hw->queue_depth < 2)
        return TLPU_ERR_INVALID_ARG;
    /* the RTL addresses the weight banks as {bank, chunk} and the queues
     * with wrapping pointers: both sizes are powers of two */
    if ((hw->wbuf_chunks & (hw->wbuf_chunks - 1)) || (hw->queue_depth & (hw->queue_depth - 1)))
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

/* ---- the prologue's slabs and the weight image layout -------------------- */

/* slabs of the prologue: slab 0 is chunks [0, first), then fine_chunks each
 * up to prologue_chunks */
static uint32_t nslabs(const tlpu_tiling *t)
{
    const tlpu_schedule *s = &t->sched;
    if (!s->prologue_tiles)
        return 0;
    if (s->first_chunks >= s->prologue_chunks)
        return 1;
    return 1 + (s->prologue_chunks - s->first_chunks + s->fine_chunks - 1) / s->fine_chunks;
}

static void slab_of(const tlpu_tiling *t, uint32_t i, uint32_t *c0, uint32_t *len)
{
    const tlpu_schedule *s = &t->sched;
    if (i == 0) {
        *c0 = 0;
        *len = min32(s->first_chunks, s->prologue_chunks);
        return;
    }
    *c0 = s->first_chunks + (i - 1) * s->fine_chunks;
    *len = min32(s->fine_chunks, s->prologue_chunks - *c0);
}

/* bytes of `len` row chunks of one tile, padded to whole beats */
static uint64_t piece_stride(const tlpu_hw *hw, const tlpu_tiling *t, uint32_t len)
{
    return round_up((uint64_t)len * hw->rows * t->bpc, hw->beat_bytes);
}

/* The image holds, in load order: the prologue slabs (per slab, tiles 0 ..
 * G-1, each its slab's chunks, so one LDW can load several tiles' pieces),
 * then the rest of each prologue tile (chunks Kp .. C-1), then the other
 * tiles whole. Without a prologue: tile after tile. */
static uint64_t prologue_bytes(const tlpu_hw *hw, const tlpu_tiling *t)
{
    uint64_t sum = 0;
    for (uint32_t i = 0, n = nslabs(t); i < n; i++) {
        uint32_t c0, len;
        slab_of(t, i, &c0, &len);
        sum += (uint64_t)t->sched.prologue_tiles * piece_stride(hw, t, len);
    }
    return sum;
}

static uint64_t rest_stride(const tlpu_hw *hw, const tlpu_tiling *t)
{
    return t->sched.prologue_chunks < t->chunks
               ? piece_stride(hw, t, t->chunks - t->sched.prologue_chunks)
               : 0;
}

uint64_t tlpu_tiling_chunk_offset(const tlpu_hw *hw, const tlpu_tiling *t, uint32_t tile,
                                  uint32_t c0)
{
    const uint64_t rb = (uint64_t)hw->rows * t->bpc;
    const uint32_t G = t->sched.prologue_tiles, kp = t->sched.prologue_chunks;
    if (!G)
        return (uint64_t)tile * t->tile_bytes + c0 * rb;
    if (tile < G && c0 < kp) {
        uint64_t base = 0;
        for (uint32_t i = 0, n = nslabs(t); i < n; i++) {
            uint32_t s0, len;
            slab_of(t, i, &s0, &len);
            if (c0 < s0 + len)
                return base + tile * piece_stride(hw, t, len) + (c0 - s0) * rb;
            base += (uint64_t)G * piece_stride(hw, t, len);
        }
    }
    uint64_t rest = prologue_bytes(hw, t);
    if (tile < G)
        return rest + tile * rest_stride(hw, t) + (c0 - kp) * rb;
    return rest + G * rest_stride(hw, t) + (uint64_t)(tile - G) * t->tile_bytes + c0 * rb;
}

static uint64_t image_bytes(const tlpu_hw *hw, const tlpu_tiling *t)
{
    const uint32_t G = t->sched.prologue_tiles;
    if (!G)
        return t->tile_bytes * t->tiles;
    return prologue_bytes(hw, t) + G * rest_stride(hw, t) + (uint64_t)(t->tiles - G) * t->tile_bytes;
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
    r.weight_bytes = r.tile_bytes * r.tiles; /* no prologue yet */

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

/* One unit of work: load a weight piece (chunks c0 .. c0+nch-1 of tiles
 * tile .. tile+ntiles-1, one LDW) into a bank, then multiply it by the
 * group's tokens (one MM per tile). */
typedef struct item {
    uint32_t g, tile, ntiles, c0, nch;
    int first;  /* the first piece of these tiles: ACC off, each takes a region */
    int last;   /* the last piece: the tiles' outputs are complete */
    /* prologue activations: the head (chunks [0, pre_nch), all token rows)
     * before the LDW; a part of the next slab's (chunks [lda_c0, lda_c0 +
     * lda_nch) of token rows [lda_r0, lda_r1)) after it */
    uint32_t pre_nch;
    uint32_t lda_c0, lda_nch, lda_r0, lda_r1;
} item;

typedef struct pend {
    uint32_t id;     /* (group, tile) */
    uint64_t fin;    /* index of its last MM's token (its item, or past it for a split tail) */
    uint32_t r0, r1; /* token rows of the group */
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
    uint32_t npending, pending_cap;
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

static void emit_st(emitter *e, const pend *pd, unsigned wait)
{
    const tlpu_tiling *t = e->t;
    uint32_t g = pd->id / t->tiles, tile = pd->id % t->tiles;
    uint32_t valid = min32(e->hw->rows, t->n - tile * e->hw->rows);
    uint32_t count = (valid + 3) / 4 * 4;
    uint64_t addr = e->a->out + ((uint64_t)g * t->group_tokens + pd->r0) * e->a->out_stride +
                    (uint64_t)tile * e->hw->rows * 4;
    uint32_t region = (uint32_t)e->region_of[pd->id];
    tlpu_insn st = tlpu_insn_st(region * t->group_tokens + pd->r0, pd->r1 - pd->r0, count,
                                (uint32_t)addr, e->a->out_stride);
    set_flags(&st, wait, 0);
    emit(e, st);
    if (pd->r1 == group_tokens(t, g))
        e->region_busy[region] = 0;
}

/* Stores the oldest pending tile if it is safe here: its last MM (index f)
 * is complete once LDW f+2 has started, and that LDW is ahead of this point
 * in the DMA queue. Returns whether it stored. */
static int emit_safe_st(emitter *e)
{
    if (!e->npending || (int64_t)(e->pending[0].fin + e->slots) > e->last_ldw)
        return 0;
    emit_st(e, &e->pending[0], 0);
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
    if (!t->sched.st_eager && e->slack < busy_of(e, probe) + 1)
        return 0;
    emit_st(e, &e->pending[0], 0);
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
static item *make_items(const tlpu_hw *hw, const tlpu_tiling *t, uint64_t *count)
{
    const tlpu_schedule *sc = &t->sched;
    const uint32_t G = sc->prologue_tiles, S = nslabs(t), C = t->chunks, T = t->group_tokens;
    const uint32_t kp = sc->prologue_chunks;
    const uint32_t q = lcm32(q_act(hw), q_wgt(hw, t->bpc));
    uint64_t n = (uint64_t)S * G + (kp < C ? G : 0) + ((uint64_t)t->ngroups * t->tiles - G) * t->nsegs;
    item *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return NULL;
    uint64_t i = 0;
    /* the activations stream in over the prologue: slab s+1's share (from
     * frontier L to the next, which runs ahead of the slabs when Kp < C so
     * that all of K is in by the prologue's end) is split by token rows over
     * the items of slab s, between their weight loads */
    uint32_t L = S > 1 ? sc->first_chunks : C;
    for (uint32_t s = 0; s < S; s++) {
        uint32_t c0, len;
        slab_of(t, s, &c0, &len);
        uint32_t mt = sc->slab_tiles ? sc->slab_tiles : 1;
        if (piece_stride(hw, t, len) != (uint64_t)len * hw->rows * t->bpc)
            mt = 1; /* padded pieces: one tile per load */
        if (mt > hw->wbuf_chunks / len)
            mt = hw->wbuf_chunks / len;
        uint64_t i0 = i;
        for (uint32_t tile = 0, k = 0; tile < G; k++) {
            uint32_t nt = mt;
            if (s == 0 && sc->head_split && k < 31)
                nt = min32(1u << k, mt);
            nt = min32(nt, G - tile);
            item *it = &v[i++];
            it->tile = tile;
            it->ntiles = nt;
            it->c0 = c0;
            it->nch = len;
            it->first = s == 0;
            it->last = s + 1 == S && kp == C;
            tile += nt;
        }
        if (s == 0)
            v[i0].pre_nch = L;
        if (s + 1 < S) {
            uint32_t n0, nlen;
            slab_of(t, s + 1, &n0, &nlen);
            uint32_t next = C;
            if (s + 2 < S) {
                uint64_t f = ((uint64_t)C * (n0 + nlen) + kp - 1) / kp;
                f = round_up(f, q);
                next = (uint32_t)(f > C ? C : f);
                if (next < n0 + nlen)
                    next = n0 + nlen;
            }
            uint64_t b0 = i0, nb = i - i0;
            if (s == 0 && nb > 1) {
                b0++;
                nb--;
            }
            for (uint64_t p = 0; p < nb && next > L; p++) {
                uint32_t r0 = (uint32_t)(p * T / nb), r1 = (uint32_t)((p + 1) * T / nb);
                if (r0 < r1) {
                    item *it = &v[b0 + p];
                    it->lda_c0 = L;
                    it->lda_nch = next - L;
                    it->lda_r0 = r0;
                    it->lda_r1 = r1;
                }
            }
            L = next;
        }
    }
    if (G && kp < C)
        for (uint32_t tile = 0; tile < G; tile++) {
            item *it = &v[i++];
            it->tile = tile;
            it->ntiles = 1;
            it->c0 = kp;
            it->nch = C - kp;
            it->last = 1;
        }
    for (uint32_t g = 0; g < t->ngroups; g++)
        for (uint32_t tile = g == 0 ? G : 0; tile < t->tiles; tile++)
            for (uint32_t s = 0; s < t->nsegs; s++) {
                item *it = &v[i++];
                it->g = g;
                it->tile = tile;
                it->ntiles = 1;
                it->c0 = s * t->seg_chunks;
                it->nch = tlpu_tiling_seg_chunks(t, s);
                it->first = s == 0;
                it->last = s + 1 == t->nsegs;
            }
    *count = i;
    return v;
}

/*
 * The program, software-pipelined over the items (weight piece + MMs):
 *   LDA ...; LDW_0
 *   for each item i:  LDW_{i+ahead} [LDA parts]  [ST of done tiles]
 *                     [SYNC EX; LDA of i's group; SYNC DMA]  MMs_i
 * LDW_i SIGNALs; the first MM of item i WAITs for it (so for every DMA
 * instruction before it). The last MM of item i SIGNALs; LDW_{i+slots},
 * which overwrites item i's slot, WAITs for it. A tile's ST goes after
 * LDW_{f+slots} (f the item of its last MM), and a region is reused only
 * when its ST is ahead of the LDW that the reusing MM waits for: every
 * dependency is carried by the in-order DMA queue and the two token counts.
 */
static tlpu_status emit_program(const tlpu_hw *hw, const tlpu_tiling *t,
                                const tlpu_bitlinear_addrs *a, tlpu_program *prog)
{
    uint64_t nitems = 0;
    item *items = make_items(hw, t, &nitems);
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
    if (items) {
        /* the weight buffer in slots of the largest item: item j goes to
         * bank j % 2 at chunk offset ((j / 2) % per_bank) * width, so the
         * DMA may load up to slots - 1 items ahead of the array */
        uint32_t width = 1;
        for (uint64_t j = 0; j < nitems; j++)
            if (items[j].ntiles * items[j].nch > width)
                width = items[j].ntiles * items[j].nch;
        uint32_t per_bank = hw->wbuf_chunks / width;
        if (per_bank < 1)
            per_bank = 1;
        if (per_bank > t->sched.wbuf_slots_max / 2)
            per_bank = t->sched.wbuf_slots_max / 2 ? t->sched.wbuf_slots_max / 2 : 1;
        e.slots = 2 * per_bank;
        e.slot_width = width;
    }
    tlpu_timing_cfg_init(&e.tc, hw);
    e.tc.mem_latency = t->mem_latency ? t->mem_latency : 16;
    if (e.nregions > ids + 2)
        e.nregions = ids + 2;
    e.region_of = malloc(ids * sizeof *e.region_of);
    e.region_busy = calloc(e.nregions, 1);
    e.pending_cap = ids + 8;
    e.pending = malloc(e.pending_cap * sizeof *e.pending);
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
    if (t->sched.prologue_tiles == 0)
        emit_lda_group(&e, 0);
    uint64_t first_of_group = 0; /* item index where the current group began */
    const int64_t ahead = (int64_t)e.slots - 1;
    for (int64_t i = -ahead; i < (int64_t)nitems && e.st == TLPU_OK; i++) {
        /* the DMA side of item j = i + ahead */
        int64_t j = i + ahead;
        if (j < (int64_t)nitems) {
            item *nx = &items[j];
            if (nx->pre_nch)
                emit_lda_rows(&e, 0, 0, nx->pre_nch, 0, t->group_tokens);
            if (j >= 1 && nx->g != items[j - 1].g)
                first_of_group = (uint64_t)j;
            if (nx->first)
                for (uint32_t k = 0; k < nx->ntiles; k++)
                    take_region(&e, nx->g * t->tiles + nx->tile + k);
            uint32_t woff = (uint32_t)(((uint64_t)j / 2) % (e.slots / 2)) * e.slot_width;
            tlpu_insn ldw = tlpu_insn_ldw((unsigned)(j % 2), t->fmt, nx->ntiles * nx->nch,
                                          (uint32_t)(a->weights + tlpu_tiling_chunk_offset(
                                                                      hw, t, nx->tile, nx->c0)),
                                          woff);
            set_flags(&ldw, j >= (int64_t)e.slots, 1);
            emit(&e, ldw);
            e.last_ldw = j;
            if (nx->lda_nch)
                emit_lda_rows(&e, 0, nx->lda_c0, nx->lda_nch, nx->lda_r0, nx->lda_r1);
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
         * time under the MMs (it may not bank more than one item's worth) */
        item *it = &items[i];
        uint32_t tg = group_tokens(t, it->g);
        if (i >= 1 && it->g != items[i - 1].g && !lda_done[it->g]) {
            /* one buffer (or a group too short to load ahead): the group's
             * activations overwrite words that the MMs before it read, so
             * they move in only when every MM so far is done (here, after
             * the last of them in program order: an LDA on the DMA side,
             * ahead of those MMs, would race them), and its MMs start when
             * they are in (the LDA is behind this item's LDW in the queue,
             * so the LDW's token does not cover it) */
            emit(&e, tlpu_insn_sync(TLPU_SYNC_EX));
            emit_lda_group(&e, it->g);
            emit(&e, tlpu_insn_sync(TLPU_SYNC_DMA));
            lda_done[it->g] = 1;
        }
        {
            int64_t cap = 2 * (int64_t)it->ntiles * ((uint64_t)tg * it->nch + 3);
            if (e.slack > cap)
                e.slack = cap;
        }
        while (emit_budgeted_st(&e))
            ;
        uint32_t src, astride;
        if (t->token_major) {
            src = abuf_base(&e, it->g) + it->c0;
            astride = t->chunks;
        } else {
            src = abuf_base(&e, it->g) + tg * it->c0;
            astride = it->nch;
        }
        uint32_t mwoff = (uint32_t)(((uint64_t)i / 2) % (e.slots / 2)) * e.slot_width;
        /* the last MM in token parts, each signalling, so that the first
         * parts' stores overlap the last part (a shorter tail) */
        uint32_t parts = 1;
        if ((uint64_t)i + 1 == nitems && it->ntiles == 1 && it->last && t->sched.tail_split > 1 &&
            tg >= t->sched.tail_split && e.npending + t->sched.tail_split <= e.pending_cap)
            parts = t->sched.tail_split;
        for (uint32_t k = 0; k < it->ntiles; k++) {
            uint32_t id = it->g * t->tiles + it->tile + k;
            for (uint32_t p = 0; p < parts; p++) {
                uint32_t r0 = (uint32_t)((uint64_t)p * tg / parts);
                uint32_t r1 = (uint32_t)((uint64_t)(p + 1) * tg / parts);
                tlpu_insn mm = tlpu_insn_mm((unsigned)(i % 2), !it->first, it->nch,
                                            src + r0 * astride, r1 - r0, astride,
                                            (uint32_t)e.region_of[id] * t->group_tokens + r0,
                                            mwoff + k * it->nch);
                set_flags(&mm, k == 0 && p == 0, parts > 1 || k + 1 == it->ntiles);
                emit(&e, mm);
                if (it->last) {
                    pend *pd = &e.pending[e.npending++];
                    pd->id = id;
                    pd->fin = (uint64_t)i + p;
                    pd->r0 = r0;
                    pd->r1 = r1;
                }
            }
        }
    }
    /* the rest of the tiles: those safe behind the last LDW first. The last
     * items' MM tokens are not taken by any LDW: when each of those items
     * finishes a tile, that tile's ST can WAIT for its token; otherwise the
     * stores wait for the execute engine to drain (SYNC). */
    while (emit_safe_st(&e))
        ;
    uint64_t f_lo = nitems > e.slots ? nitems - e.slots : 0;
    uint64_t f_end = e.npending ? e.pending[e.npending - 1].fin + 1 : 0;
    int by_token = e.npending > 0;
    for (uint64_t f = f_lo, k = 0; f < f_end && by_token; f++) {
        int found = 0;
        for (; k < e.npending && e.pending[k].fin == f; k++)
            found = 1;
        if (!found)
            by_token = 0;
    }
    if (by_token) {
        for (uint32_t k = 0; k < e.npending && e.st == TLPU_OK; k++)
            emit_st(&e, &e.pending[k], k == 0 || e.pending[k].fin != e.pending[k - 1].fin);
    } else if (e.npending) {
        emit(&e, tlpu_insn_sync(TLPU_SYNC_EX));
        for (uint32_t k = 0; k < e.npending && e.st == TLPU_OK; k++)
            emit_st(&e, &e.pending[k], 0);
    }
    free(lda_done);
    free(items);
    free(e.region_of);
    free(e.region_busy);
    free(e.pending);
    return e.st;
}

/* ---- dispatch order ----------------------------------------------------------- */

typedef struct start_rec {
    uint64_t *start;
    size_t n;
} start_rec;

static void note_start(void *ctx, uint64_t cycle, int engine, size_t insn, uint64_t busy)
{
    (void)engine;
    (void)busy;
    start_rec *r = ctx;
    if (insn < r->n)
        r->start[insn] = cycle;
}

typedef struct keyed {
    uint64_t key;
    size_t idx;
} keyed;

static int keyed_cmp(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * The sequencer dispatches in program order and stalls on a full queue, so
 * an MM written behind a run of loads waits for the DMA queue to drain even
 * when its own engine is idle. The emitter writes each engine's instructions
 * in the right order, not the best interleaving: this pass runs the timing
 * model and re-interleaves the two streams by the cycle each instruction
 * started (between SYNCs, which stay put). Each engine keeps its order, so
 * the tokens pair up as before, and a token's producer now always precedes
 * its consumer in the program: no new deadlock is possible.
 */
static void interleave(const tlpu_hw *hw, const tlpu_tiling *t, tlpu_insn *v, size_t n)
{
    uint64_t *start = malloc(n * sizeof *start);
    keyed *k = malloc(n * sizeof *k);
    tlpu_insn *tmp = malloc(n * sizeof *tmp);
    if (!start || !k || !tmp)
        goto out;
    for (size_t i = 0; i < n; i++)
        start[i] = UINT64_MAX;
    start_rec rec = {start, n};
    tlpu_timing_cfg c;
    tlpu_timing_cfg_init(&c, hw);
    c.mem_latency = t->mem_latency ? t->mem_latency : 16;
    c.hook = note_start;
    c.hook_ctx = &rec;
    tlpu_timing tm;
    if (tlpu_timing_run(&c, v, n, &tm) != TLPU_OK || tm.hw_error)
        goto out;
    for (size_t i = 0; i < n; i++) {
        unsigned op = tlpu_insn_op(&v[i]);
        if (op != TLPU_OP_SYNC && op != TLPU_OP_END && start[i] == UINT64_MAX)
            goto out; /* not started: leave the program as it is */
    }
    for (size_t r0 = 0; r0 < n;) {
        size_t r1 = r0;
        while (r1 < n && tlpu_insn_op(&v[r1]) != TLPU_OP_SYNC && tlpu_insn_op(&v[r1]) != TLPU_OP_END)
            r1++;
        for (size_t i = r0; i < r1; i++) {
            k[i - r0].key = start[i];
            k[i - r0].idx = i;
        }
        qsort(k, r1 - r0, sizeof *k, keyed_cmp);
        for (size_t i = r0; i < r1; i++)
            tmp[i] = v[k[i - r0].idx];
        memcpy(v + r0, tmp + r0, (r1 - r0) * sizeof *v);
        r0 = r1 + 1; /* the SYNC stays where it is */
    }
out:
    free(start);
    free(k);
    free(tmp);
}

static tlpu_status build(const tlpu_hw *hw, const tlpu_tiling *t, const tlpu_bitlinear_addrs *a,
                         tlpu_program *prog)
{
    size_t n0 = prog->n;
    tlpu_status st = emit_program(hw, t, a, prog);
    if (st == TLPU_OK && prog->n > n0)
        interleave(hw, t, prog->insns + n0, prog->n - n0);
    return st;
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

/* whether schedule knobs suit a tiling */
static int sched_ok(const tlpu_hw *hw, const tlpu_tiling *t, const tlpu_schedule *s)
{
    if (s->wbuf_slots_max < 2 || s->st_eager > 1 || s->head_split > 1 || s->tail_split > 8)
        return 0;
    const uint32_t G = s->prologue_tiles, C = t->chunks, kp = s->prologue_chunks;
    if (!G)
        return !kp && !s->first_chunks && !s->fine_chunks && !s->slab_tiles && !s->head_split;
    const uint32_t q = lcm32(q_act(hw), q_wgt(hw, t->bpc));
    if (t->ngroups != 1 || !t->token_major || t->nsegs != 1 || G > t->tiles ||
        hw->obuf_words / t->group_tokens < G + 2)
        return 0;
    if (kp == 0 || kp > C || (kp != C && kp % q))
        return 0;
    if (s->first_chunks == 0 || s->fine_chunks == 0 || s->fine_chunks % q ||
        s->fine_chunks > hw->wbuf_chunks || s->slab_tiles == 0)
        return 0;
    if (s->first_chunks < kp && s->first_chunks % q)
        return 0;
    return 1;
}

/* the tiling with schedule s, its image size and its cycle count (UINT64_MAX
 * when the knobs do not suit it) */
static tlpu_tiling with_sched(const tlpu_hw *hw, const tlpu_tiling *base, const tlpu_schedule *s)
{
    tlpu_tiling c = *base;
    c.predicted_cycles = UINT64_MAX;
    if (!sched_ok(hw, base, s))
        return c;
    c.sched = *s;
    c.weight_bytes = image_bytes(hw, &c);
    c.predicted_cycles = plan_cycles(hw, &c);
    return c;
}

static int try_sched(const tlpu_hw *hw, tlpu_tiling *best, const tlpu_schedule *s)
{
    tlpu_tiling c = with_sched(hw, best, s);
    if (c.predicted_cycles < best->predicted_cycles) {
        *best = c;
        return 1;
    }
    return 0;
}

tlpu_status tlpu_tiling_schedule(const tlpu_hw *hw, tlpu_tiling *t, const tlpu_schedule *s)
{
    if (!t || !s || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    tlpu_tiling c = with_sched(hw, t, s);
    if (c.predicted_cycles == UINT64_MAX)
        return TLPU_ERR_INVALID_ARG;
    *t = c;
    return TLPU_OK;
}

/* the plain double-buffered schedule (no prologue), timed */
static tlpu_status plain_plan(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n, unsigned fmt,
                              uint32_t mem_latency, tlpu_tiling *b)
{
    tlpu_status st = plan_basic(hw, m, k, n, fmt, b);
    if (st != TLPU_OK)
        return st;
    b->mem_latency = mem_latency ? mem_latency : 16;
    memset(&b->sched, 0, sizeof b->sched);
    b->sched.wbuf_slots_max = 2;
    b->weight_bytes = image_bytes(hw, b);
    b->predicted_cycles = plan_cycles(hw, b);
    return TLPU_OK;
}

static tlpu_status search(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n, unsigned fmt,
                          uint32_t mem_latency, int quick, tlpu_tiling *t)
{
    tlpu_tiling best;
    tlpu_status st = plain_plan(hw, m, k, n, fmt, mem_latency, &best);
    if (st != TLPU_OK)
        return st;
    for (uint32_t slots = 2; slots <= 8; slots *= 2)
        for (uint32_t eager = 0; eager < 2; eager++) {
            tlpu_schedule s = best.sched;
            s.st_eager = eager;
            s.wbuf_slots_max = slots;
            try_sched(hw, &best, &s);
        }

    /* the prologue: worth trying when one group holds every token and the
     * activation load is long next to one tile's weights */
    uint32_t regions = hw->obuf_words / best.group_tokens;
    uint64_t act_beats = (uint64_t)m * ((k + hw->beat_bytes - 1) / hw->beat_bytes);
    uint64_t tile_beats = best.tile_bytes / hw->beat_bytes;
    if (best.ngroups == 1 && best.token_major && best.nsegs == 1 && best.tiles > 1 &&
        regions >= 4 && act_beats > tile_beats / 2) {
        const uint32_t C = best.chunks, q = lcm32(q_act(hw), q_wgt(hw, best.bpc));
        const uint32_t gmax = min32(best.tiles, regions - 2);
        /* first the whole K in uniform slabs, one tile per load, on a grid */
        for (uint32_t fc = q; fc < C && fc <= (quick ? 4 * q : 64); fc *= 2)
            for (uint32_t g = quick ? 8 : 2; g <= gmax; g += quick ? 8 : (g < 8 ? 1 : 2))
                for (uint32_t v = quick ? 2 : 0; v < (quick ? 6 : 6); v += quick ? 3 : 1) {
                    tlpu_schedule s = {g, C, fc, fc, 1, 0, v & 1, 2u << (v / 2), 4};
                    try_sched(hw, &best, &s);
                }
        /* then one knob at a time from the best: a shorter K-major part
         * (the rest tile by tile), merged loads, a small first slab */
        if (best.sched.prologue_tiles) {
            for (int round = 0, better = 1; round < (quick ? 1 : 3) && better; round++) {
                better = 0;
                tlpu_schedule s;
                for (uint32_t i = 0; i < 6; i++) {
                    static const uint32_t num[6] = {8, 7, 6, 5, 4, 3};
                    s = best.sched;
                    s.prologue_chunks = num[i] == 8 ? C : (uint32_t)round_up(C * num[i] / 8, q);
                    if (s.prologue_chunks >= q && s.prologue_chunks <= C)
                        better |= try_sched(hw, &best, &s);
                }
                for (uint32_t mt = 1; mt <= 2 * gmax; mt *= 2) {
                    s = best.sched;
                    s.slab_tiles = min32(mt, best.sched.prologue_tiles);
                    better |= try_sched(hw, &best, &s);
                    s.head_split ^= 1;
                    better |= try_sched(hw, &best, &s);
                }
                for (uint32_t fc = q; !quick && fc <= 64 && fc <= C; fc *= 2)
                    for (uint32_t f0 = q; f0 <= fc; f0 *= 2) {
                        s = best.sched;
                        s.first_chunks = f0;
                        s.fine_chunks = fc;
                        better |= try_sched(hw, &best, &s);
                    }
                for (uint32_t g = 2; !quick && g <= gmax; g += (g < 8 ? 1 : 2)) {
                    s = best.sched;
                    s.prologue_tiles = g;
                    s.slab_tiles = min32(s.slab_tiles, g);
                    better |= try_sched(hw, &best, &s);
                }
                for (uint32_t v = 0; !quick && v < 6; v++) {
                    s = best.sched;
                    s.st_eager = v & 1;
                    s.wbuf_slots_max = 2u << (v / 2);
                    better |= try_sched(hw, &best, &s);
                }
                for (uint32_t ts = 1; ts <= 8; ts *= 2) {
                    s = best.sched;
                    s.tail_split = ts;
                    better |= try_sched(hw, &best, &s);
                }
            }
        }
    }
    for (uint32_t ts = 2; ts <= 8 && !best.sched.prologue_tiles; ts *= 2) {
        tlpu_schedule s = best.sched;
        s.tail_split = ts;
        try_sched(hw, &best, &s);
    }
    if (best.predicted_cycles == UINT64_MAX)
        return TLPU_ERR_SHAPE;
    *t = best;
    return TLPU_OK;
}

tlpu_status tlpu_tile_bitlinear_effort(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                       unsigned fmt, uint32_t mem_latency,
                                       tlpu_tile_effort effort, tlpu_tiling *t)
{
    if (!t || tlpu_hw_check(hw) != TLPU_OK || (fmt != TLPU_FMT_PACK2 && fmt != TLPU_FMT_PACK3) ||
        hw->obuf_words < 3 || effort > TLPU_TILE_NONE)
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    if (effort == TLPU_TILE_FULL)
        return search(hw, m, k, n, fmt, mem_latency, 0, t);
    if (effort == TLPU_TILE_NONE) {
        tlpu_tiling b;
        tlpu_status st = plain_plan(hw, m, k, n, fmt, mem_latency, &b);
        if (st != TLPU_OK)
            return st;
        if (b.predicted_cycles == UINT64_MAX)
            return TLPU_ERR_SHAPE;
        *t = b;
        return TLPU_OK;
    }
    /* quick: a coarse search on at most 32 tiles of N (the schedule's
     * choices are about the head and the tail), then the whole shape once */
    uint32_t tiles = (uint32_t)(((uint64_t)n + hw->rows - 1) / hw->rows);
    uint32_t small_n = tiles > 32 ? 32 * hw->rows : n;
    tlpu_tiling probe;
    tlpu_status st = search(hw, m, k, small_n, fmt, mem_latency, 1, &probe);
    if (st != TLPU_OK)
        return st;
    if (small_n == n) {
        *t = probe;
        return TLPU_OK;
    }
    tlpu_tiling full;
    st = plain_plan(hw, m, k, n, fmt, mem_latency, &full);
    if (st != TLPU_OK)
        return st;
    tlpu_tiling c = with_sched(hw, &full, &probe.sched);
    if (c.predicted_cycles > full.predicted_cycles) { /* the plain schedule is better */
        if (full.predicted_cycles == UINT64_MAX)
            return TLPU_ERR_SHAPE;
        c = full;
    }
    *t = c;
    return TLPU_OK;
}

tlpu_status tlpu_tile_bitlinear(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                unsigned fmt, uint32_t mem_latency, tlpu_tiling *t)
{
    return tlpu_tile_bitlinear_effort(hw, m, k, n, fmt, mem_latency, TLPU_TILE_FULL, t);
}
