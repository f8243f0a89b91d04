/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model.c - the functional model of a tlpu core (tlpu/fcore.h).
 *
 * A program runs in one call: the timing model (timing.c) steps the
 * sequencer, the queues and the tokens and reports each engine start in
 * cycle order through its hook; the hook applies that instruction's effect
 * on DRAM and the buffers at once. The weight buffer holds decoded trits,
 * one int8 per lane, laid out [bank][row][chunk][lane], so that an MM row's
 * weights over its chunks are contiguous, like the activation words of a
 * token: each output is one int8 dot product, a loop the compiler
 * vectorizes.
 */
#include "tlpu/fcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/isa.h"
#include "gearbox.h"

#define GET(in, INS, F) tlpu_insn_get((in), TLPU_##INS##_##F##_LSB, TLPU_##INS##_##F##_WIDTH)

#define BEAT 16u

struct tlpu_fcore {
    tlpu_hw hw;
    uint64_t dram_bytes;
    uint32_t latency;
    uint8_t *dram;

    /* buffers */
    int8_t *wbuf;        /* [2][rows][wbuf_chunks][cols] trits */
    uint32_t *ent_cnt;   /* [2][rows][wbuf_chunks][2]: +1 and -1 trits of a row chunk */
    uint64_t *chunk_cnt; /* [2][wbuf_chunks][2]: the same summed over the rows */
    int8_t *abuf;        /* [abuf_words][cols] */
    uint32_t *obuf;      /* [obuf_words][rows] */
    /* the last LDA's words (row by row, ROWS x W of them): what they held
     * before it, and the cycle each is written (see "LDA and MM" below) */
    int8_t *lda_old;     /* [abuf_words][cols] */
    uint64_t *lda_wc;    /* [abuf_words] */

    /* the weight decoders: trits and +1 / -1 counts of every byte */
    int8_t lut2[256][4], lut3[256][5];
    uint8_t cnt2[256][2], cnt3[256][2];

    /* CSR-visible state */
    uint32_t prog_addr, prog_len, mem_top, err_pc, cnt_hi;
    uint32_t err;
    int busy, done, irq_en, irq_st;
    uint64_t cnt[TLPU_NUM_COUNTERS];

    /* simulated time */
    uint64_t now;
    uint64_t done_at; /* the cycle after DONE would have been set */

    int faulted;
    char fault[192];
    tlpu_timing last;
};

/* ---- configuration ------------------------------------------------------------ */

tlpu_status tlpu_fcore_config_init(tlpu_fcore_config *cfg)
{
    if (!cfg)
        return TLPU_ERR_INVALID_ARG;
    memset(cfg, 0, sizeof *cfg);
    tlpu_hw_default(&cfg->hw);
    cfg->dram_bytes = 64ull << 20;
    cfg->mem_latency = 16;
    return TLPU_OK;
}

tlpu_status tlpu_fcore_config_variant(tlpu_fcore_config *cfg, const char *variant)
{
    if (!cfg || !variant)
        return TLPU_ERR_INVALID_ARG;
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    /* sim/CMakeLists.txt: tlpu_sim_variant(...) */
    if (strcmp(variant, "default") == 0) {
        /* the RTL defaults */
    } else if (strcmp(variant, "small") == 0) {
        hw.rows = 4;
        hw.cols = 20;
        hw.wbuf_chunks = 16;
        hw.abuf_words = 256;
        hw.obuf_words = 32;
        hw.imem_depth = 16;
        hw.burst_beats = 4;
    } else if (strcmp(variant, "large") == 0) {
        hw.rows = 64;
        hw.cols = 160;
        hw.wbuf_chunks = 128;
        hw.abuf_words = 8192;
        hw.obuf_words = 512;
        hw.imem_depth = 1024;
        hw.burst_beats = 16;
    } else {
        return TLPU_ERR_INVALID_ARG;
    }
    cfg->hw = hw;
    return TLPU_OK;
}

/* a * b into *r, 0 when it overflows size_t */
static int mul_ok(size_t a, size_t b, size_t *r)
{
    if (a && b > SIZE_MAX / a)
        return 0;
    *r = a * b;
    return 1;
}

static void build_luts(tlpu_fcore *m)
{
    for (unsigned v = 0; v < 256; v++) {
        /* PACK2: trit i in bits [2i+1:2i]; digit 1 = +1, 2 = -1, 0 and 3 = 0 */
        m->cnt2[v][0] = m->cnt2[v][1] = 0;
        for (unsigned i = 0; i < 4; i++) {
            unsigned d = (v >> (2 * i)) & 3u;
            m->lut2[v][i] = (int8_t)(d == 1 ? 1 : d == 2 ? -1 : 0);
            m->cnt2[v][0] += d == 1;
            m->cnt2[v][1] += d == 2;
        }
        /* PACK3: five base-3 digits, least significant first; 243..255 = 0 */
        m->cnt3[v][0] = m->cnt3[v][1] = 0;
        unsigned r = v < 243 ? v : 0;
        for (unsigned i = 0; i < 5; i++) {
            unsigned d = r % 3u;
            r /= 3u;
            m->lut3[v][i] = (int8_t)(d == 1 ? 1 : d == 2 ? -1 : 0);
            m->cnt3[v][0] += d == 1;
            m->cnt3[v][1] += d == 2;
        }
    }
}

tlpu_status tlpu_fcore_create(const tlpu_fcore_config *cfg, tlpu_fcore **out)
{
    if (!cfg || !out)
        return TLPU_ERR_INVALID_ARG;
    *out = NULL;
    const tlpu_hw *hw = &cfg->hw;
    if (tlpu_hw_check(hw) != TLPU_OK || cfg->dram_bytes < 4096 ||
        cfg->dram_bytes > (4ull << 30) || cfg->dram_bytes % BEAT || cfg->mem_latency < 1 ||
        cfg->mem_latency > 1000000)
        return TLPU_ERR_INVALID_ARG;
    if ((uint64_t)cfg->dram_bytes > SIZE_MAX)
        return TLPU_ERR_OVERFLOW;
    size_t wn, cn, an, on, wcn;
    if (!mul_ok((size_t)2 * hw->rows, hw->wbuf_chunks, &cn) || !mul_ok(cn, hw->cols, &wn) ||
        !mul_ok(hw->abuf_words, hw->cols, &an) || !mul_ok(hw->obuf_words, hw->rows, &on) ||
        !mul_ok(hw->abuf_words, sizeof(uint64_t), &wcn) ||
        cn > SIZE_MAX / (2 * sizeof(uint32_t)) || on > SIZE_MAX / sizeof(uint32_t))
        return TLPU_ERR_OVERFLOW;

    tlpu_fcore *m = calloc(1, sizeof *m);
    if (!m)
        return TLPU_ERR_NOMEM;
    m->hw = *hw;
    m->dram_bytes = cfg->dram_bytes;
    m->latency = cfg->mem_latency;
    m->dram = calloc(1, (size_t)cfg->dram_bytes);
    m->wbuf = calloc(wn, 1);
    m->ent_cnt = calloc(cn, 2 * sizeof *m->ent_cnt);
    m->chunk_cnt = calloc((size_t)4 * hw->wbuf_chunks, sizeof *m->chunk_cnt);
    m->abuf = calloc(an, 1);
    m->obuf = calloc(on, sizeof *m->obuf);
    m->lda_old = malloc(an);
    m->lda_wc = malloc(wcn);
    if (!m->dram || !m->wbuf || !m->ent_cnt || !m->chunk_cnt || !m->abuf || !m->obuf ||
        !m->lda_old || !m->lda_wc) {
        tlpu_fcore_destroy(m);
        return TLPU_ERR_NOMEM;
    }
    build_luts(m);
    /* as the simulator does at boot: DRAM accesses past the memory are errors */
    m->mem_top = (uint32_t)(cfg->dram_bytes - 1);
    *out = m;
    return TLPU_OK;
}

void tlpu_fcore_destroy(tlpu_fcore *m)
{
    if (!m)
        return;
    free(m->dram);
    free(m->wbuf);
    free(m->ent_cnt);
    free(m->chunk_cnt);
    free(m->abuf);
    free(m->obuf);
    free(m->lda_old);
    free(m->lda_wc);
    free(m);
}

tlpu_status tlpu_fcore_get_info(const tlpu_fcore *m, tlpu_fcore_info *info)
{
    if (!m || !info)
        return TLPU_ERR_INVALID_ARG;
    info->id = TLPU_ID_MAGIC;
    info->version = (TLPU_SPEC_VERSION_MAJOR << 16) | TLPU_SPEC_VERSION_MINOR;
    info->rows = m->hw.rows;
    info->cols = m->hw.cols;
    info->beat_bytes = m->hw.beat_bytes;
    info->wbuf_chunks = m->hw.wbuf_chunks;
    info->abuf_words = m->hw.abuf_words;
    info->obuf_words = m->hw.obuf_words;
    info->imem_depth = m->hw.imem_depth;
    info->formats = (1u << TLPU_FMT_PACK2) | (1u << TLPU_FMT_PACK3);
    info->burst_beats = m->hw.burst_beats;
    info->queue_depth = m->hw.queue_depth;
    return TLPU_OK;
}

/* ---- back door ------------------------------------------------------------------- */

static int dram_ok(const tlpu_fcore *m, uint64_t addr, uint64_t n)
{
    return addr <= m->dram_bytes && n <= m->dram_bytes - addr;
}

tlpu_status tlpu_fcore_mem_write(tlpu_fcore *m, uint64_t addr, const void *data, size_t n)
{
    if (!m || (!data && n))
        return TLPU_ERR_INVALID_ARG;
    if (!dram_ok(m, addr, n))
        return TLPU_ERR_RANGE;
    if (n)
        memcpy(m->dram + addr, data, n);
    return TLPU_OK;
}

tlpu_status tlpu_fcore_mem_read(const tlpu_fcore *m, uint64_t addr, void *data, size_t n)
{
    if (!m || (!data && n))
        return TLPU_ERR_INVALID_ARG;
    if (!dram_ok(m, addr, n))
        return TLPU_ERR_RANGE;
    if (n)
        memcpy(data, m->dram + addr, n);
    return TLPU_OK;
}

/* ---- the instructions -------------------------------------------------------------- */

static void set_fault(tlpu_fcore *m, const char *what, uint64_t addr, uint64_t n)
{
    if (m->faulted)
        return;
    m->faulted = 1;
    snprintf(m->fault, sizeof m->fault,
             "memory port: %s access [0x%llx, +%llu bytes) is outside the %llu-byte memory",
             what, (unsigned long long)addr, (unsigned long long)n,
             (unsigned long long)m->dram_bytes);
}

static uint64_t up_beats(uint64_t n)
{
    return (n + BEAT - 1) / BEAT * BEAT;
}

/* the +1/-1 counts of row chunk (bank, row, chunk) */
static uint32_t *ent(tlpu_fcore *m, unsigned bank, uint32_t row, uint32_t chunk)
{
    return m->ent_cnt + 2 * (((size_t)bank * m->hw.rows + row) * m->hw.wbuf_chunks + chunk);
}

static int8_t *wrow(tlpu_fcore *m, unsigned bank, uint32_t row, uint32_t chunk)
{
    return m->wbuf + (((size_t)bank * m->hw.rows + row) * m->hw.wbuf_chunks + chunk) * m->hw.cols;
}

static int exec_ldw(tlpu_fcore *m, const tlpu_insn *in)
{
    const tlpu_hw *hw = &m->hw;
    unsigned bank = GET(in, LDW, BANK), fmt = GET(in, LDW, FMT);
    uint32_t nch = GET(in, LDW, NCHUNK), woff = GET(in, LDW, WOFF);
    uint64_t addr = GET(in, LDW, ADDR);
    uint32_t bpc = fmt ? hw->cols / 5 : hw->cols / 4;
    uint64_t bytes = (uint64_t)hw->rows * nch * bpc;
    if (!dram_ok(m, addr, up_beats(bytes))) {
        set_fault(m, "LDW read", addr, up_beats(bytes));
        return -1;
    }
    /* the stream is chunk-major: entry e -> row e % Rows, chunk WOFF + e / Rows */
    const uint8_t *src = m->dram + addr;
    for (uint32_t j = 0; j < nch; j++) {
        uint32_t chunk = woff + j;
        uint64_t *tot = m->chunk_cnt + 2 * ((size_t)bank * hw->wbuf_chunks + chunk);
        for (uint32_t r = 0; r < hw->rows; r++, src += bpc) {
            int8_t *dst = wrow(m, bank, r, chunk);
            uint32_t adds = 0, subs = 0;
            if (fmt) {
                for (uint32_t b = 0; b < bpc; b++) {
                    memcpy(dst + 5 * b, m->lut3[src[b]], 5);
                    adds += m->cnt3[src[b]][0];
                    subs += m->cnt3[src[b]][1];
                }
            } else {
                for (uint32_t b = 0; b < bpc; b++) {
                    memcpy(dst + 4 * b, m->lut2[src[b]], 4);
                    adds += m->cnt2[src[b]][0];
                    subs += m->cnt2[src[b]][1];
                }
            }
            uint32_t *e = ent(m, bank, r, chunk);
            tot[0] = tot[0] - e[0] + adds;
            tot[1] = tot[1] - e[1] + subs;
            e[0] = adds;
            e[1] = subs;
        }
    }
    return 0;
}

static int exec_lda(tlpu_fcore *m, const tlpu_insn *in)
{
    const tlpu_hw *hw = &m->hw;
    uint32_t nb = GET(in, LDA, NBYTES), rows = GET(in, LDA, ROWS), dst = GET(in, LDA, DST);
    uint64_t addr = GET(in, LDA, ADDR), stride = GET(in, LDA, STRIDE);
    uint32_t ds = GET(in, LDA, DSTRIDE);
    uint32_t wpr = (nb + hw->cols - 1) / hw->cols, step = ds ? ds : wpr;
    for (uint32_t r = 0; r < rows; r++) {
        uint64_t a = addr + r * stride;
        if (!dram_ok(m, a, up_beats(nb))) {
            set_fault(m, "LDA read", a, up_beats(nb));
            return -1;
        }
    }
    for (uint32_t r = 0; r < rows; r++) {
        int8_t *w = m->abuf + ((size_t)dst + (size_t)r * step) * hw->cols;
        /* what the words held: an MM running at the same time may read it */
        memcpy(m->lda_old + (size_t)r * wpr * hw->cols, w, (size_t)wpr * hw->cols);
        memcpy(w, m->dram + addr + r * stride, nb);
        memset(w + nb, 0, (size_t)wpr * hw->cols - nb); /* the last word's padding */
    }
    return 0;
}

static int exec_st(tlpu_fcore *m, const tlpu_insn *in)
{
    const tlpu_hw *hw = &m->hw;
    uint32_t src = GET(in, ST, SRC), rows = GET(in, ST, ROWS), count = GET(in, ST, COUNT);
    uint64_t addr = GET(in, ST, ADDR), stride = GET(in, ST, STRIDE);
    for (uint32_t r = 0; r < rows; r++) {
        uint64_t a = addr + r * stride;
        if (!dram_ok(m, a, 4ull * count)) {
            set_fault(m, "ST write", a, 4ull * count);
            return -1;
        }
    }
    for (uint32_t r = 0; r < rows; r++) {
        const uint32_t *o = m->obuf + ((size_t)src + r) * hw->rows;
        uint8_t *d = m->dram + addr + r * stride;
        for (uint32_t i = 0; i < count; i++) { /* little endian, whatever the host */
            d[4 * i] = (uint8_t)o[i];
            d[4 * i + 1] = (uint8_t)(o[i] >> 8);
            d[4 * i + 2] = (uint8_t)(o[i] >> 16);
            d[4 * i + 3] = (uint8_t)(o[i] >> 24);
        }
    }
    return 0;
}

/*
 * sum_i w[i] * x[i] for trits w: blocks of 240 products (each |w x| <= 128,
 * so |block| <= 30720) are summed in int16, which the compiler vectorizes
 * well; the blocks are added modulo 2^32, as the core's 32-bit accumulators
 * do (exact whenever n < 2^24).
 */
static uint32_t dot_trits(const int8_t *restrict w, const int8_t *restrict x, size_t n)
{
    uint32_t acc = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = n - i > 240 ? i + 240 : n;
        int16_t s = 0;
        for (; i < e; i++)
            s = (int16_t)(s + (int16_t)(w[i] * x[i]));
        acc += (uint32_t)(int32_t)s;
    }
    return acc;
}

static void exec_mm(tlpu_fcore *m, const tlpu_insn *in, uint64_t lanes[2])
{
    const tlpu_hw *hw = &m->hw;
    unsigned bank = GET(in, MM, BANK), acc = GET(in, MM, ACC);
    uint32_t nch = GET(in, MM, NCHUNK), src = GET(in, MM, SRC), tok = GET(in, MM, TOKENS);
    uint32_t ast = GET(in, MM, ASTRIDE), dst = GET(in, MM, DST), woff = GET(in, MM, WOFF);
    size_t n = (size_t)nch * hw->cols;
    for (uint32_t t = 0; t < tok; t++) {
        const int8_t *x = m->abuf + ((size_t)src + (size_t)t * ast) * hw->cols;
        uint32_t *o = m->obuf + ((size_t)dst + t) * hw->rows;
        for (uint32_t r = 0; r < hw->rows; r++) {
            uint32_t s = dot_trits(wrow(m, bank, r, woff), x, n);
            o[r] = acc ? o[r] + s : s; /* int32 arithmetic wraps, as the adders do */
        }
    }
    /* the array's activity: every lane of every (token, chunk) cycle */
    uint64_t adds = 0, subs = 0;
    for (uint32_t j = 0; j < nch; j++) {
        const uint64_t *tot = m->chunk_cnt + 2 * ((size_t)bank * hw->wbuf_chunks + woff + j);
        adds += tot[0];
        subs += tot[1];
    }
    lanes[0] += adds * tok;
    lanes[1] += subs * tok;
}

/*
 * ---- LDA and MM at the same time ---------------------------------------------------
 *
 * Instructions are applied whole at their start, but an LDA writes its ABUF
 * words one by one over its busy cycles while an MM reads one word per
 * cycle, and no token orders an LDA against an MM that does not wait for
 * it. The tiler's programs do this: with one activation buffer (a token's
 * row longer than half the ABUF) the next group's LDA starts before the
 * last MM of the group, which still reads the old row's last chunks; the
 * LDA fills the buffer from its first word and mostly gets there after the
 * MM has read them (not when the MM starts late). So for the last LDA and
 * the last MM (the only ones that can overlap: each engine runs one at a
 * time), every read of a word the LDA writes sees the old or the new word
 * as the core does: the RAM's read in cycle c returns what was written
 * before cycle c.
 *
 * The MM's read of token t, chunk j is in cycle s + 1 + t * NCHUNK + j (s
 * its start, as tlpu_ex). The LDA's word writes follow rtl/tlpu_gearbox.sv
 * and tlpu_dma.sv (gearbox.h: the stepping that gives the timing model its
 * busy cycles): the first beat comes in busy cycle `first`, one per cycle
 * after that, a word
 * leaves when the gearbox holds Cols bytes or the row's last beat is in.
 * The busy cycles D the timing model reports are first - 1 plus those of a
 * transfer whose first beat comes in busy cycle 1, which gives `first` for
 * a prefetched LDA too.
 */

typedef struct lda_rec {
    int valid;
    uint64_t s, d;        /* started (data stage) in cycle s, busy s+1 .. s+d */
    uint32_t dst, rows, step, wpr, nb;
    int wc_ok;            /* m->lda_wc holds its write cycles */
} lda_rec;

typedef struct mm_rec {
    int valid;
    uint64_t s;           /* started in cycle s */
    tlpu_insn in;
} mm_rec;

/* m->lda_wc[r * wpr + k]: the cycle in which the LDA writes word k of row r */
static void lda_write_cycles(tlpu_fcore *m, lda_rec *l)
{
    /* the first beat in busy cycle 1, then one per cycle: D1 busy cycles;
     * the LDA's own D is (first - 1) + D1 */
    uint64_t d1 = tlpu_gearbox_transfer(&m->hw, 1, 1, l->rows, l->nb, m->hw.cols, 0, m->lda_wc);
    uint64_t shift = l->s + (l->d >= d1 ? l->d - d1 : 0);
    for (uint64_t i = 0; i < (uint64_t)l->rows * l->wpr; i++)
        m->lda_wc[i] += shift;
    l->wc_ok = 1;
}

/*
 * The MM was applied reading the buffer as it is now (mm_new: the LDA's
 * words, the MM started after the LDA) or as it was before the LDA (!mm_new:
 * the LDA started after the MM). Adds to the MM's output words, for every
 * read that saw the other version of a word, the difference (modulo 2^32,
 * as the sums wrap).
 */
static void lda_mm_overlap(tlpu_fcore *m, lda_rec *l, const mm_rec *mm, int mm_new)
{
    const tlpu_hw *hw = &m->hw;
    const tlpu_insn *in = &mm->in;
    unsigned bank = GET(in, MM, BANK);
    uint64_t nch = GET(in, MM, NCHUNK), src = GET(in, MM, SRC), tok = GET(in, MM, TOKENS);
    uint64_t ast = GET(in, MM, ASTRIDE), dst = GET(in, MM, DST), woff = GET(in, MM, WOFF);
    uint64_t nreads = tok * nch;
    /* words: the LDA's span against the MM's */
    uint64_t l_lo = l->dst, l_hi = l->dst + (uint64_t)(l->rows - 1) * l->step + l->wpr;
    uint64_t m_lo = src, m_hi = src + (tok - 1) * ast + nch;
    if (l_hi <= m_lo || m_hi <= l_lo)
        return;
    /* reads that can see the other version: read q is in cycle mm->s + 1 + q;
     * the LDA writes in cycles l->s + 2 .. l->s + l->d */
    uint64_t q0, q1; /* [q0, q1) */
    if (mm_new) {
        /* the new word unless written in the read's cycle or later */
        q0 = 0;
        q1 = l->s + l->d >= mm->s + 1 ? l->s + l->d - mm->s : 0;
    } else {
        /* the old word unless written before the read's cycle */
        q0 = l->s + 2 > mm->s + 1 ? l->s + 2 - (mm->s + 1) : 0;
        q1 = nreads;
    }
    if (q1 > nreads)
        q1 = nreads;
    for (uint64_t q = q0; q < q1; q++) {
        uint64_t t = q / nch, j = q % nch;
        uint64_t word = src + t * ast + j;
        if (word < l->dst)
            continue;
        uint64_t r = (word - l->dst) / l->step, k = (word - l->dst) % l->step;
        if (r >= l->rows || k >= l->wpr)
            continue;
        if (!l->wc_ok)
            lda_write_cycles(m, l);
        uint64_t i = r * l->wpr + k;
        int saw_new = m->lda_wc[i] < mm->s + 1 + q;
        if (saw_new == mm_new)
            continue;
        /* add what it saw, take off what was applied */
        const int8_t *nw = m->abuf + word * hw->cols, *old = m->lda_old + i * hw->cols;
        const int8_t *add = saw_new ? nw : old, *sub = saw_new ? old : nw;
        if (memcmp(add, sub, hw->cols) == 0)
            continue;
        uint32_t *o = m->obuf + (size_t)(dst + t) * hw->rows;
        for (uint32_t row = 0; row < hw->rows; row++) {
            const int8_t *wt = wrow(m, bank, row, (uint32_t)(woff + j));
            int64_t sum = 0;
            for (uint32_t c = 0; c < hw->cols; c++)
                sum += wt[c] * ((int32_t)add[c] - sub[c]);
            o[row] += (uint32_t)sum; /* modulo 2^32 */
        }
    }
}

/* ---- running a program ------------------------------------------------------------ */

typedef struct run_ctx {
    tlpu_fcore *m;
    tlpu_insn *img;      /* the program as the core fetches it */
    uint32_t n;          /* PROG_LEN */
    uint64_t ev;         /* engine starts reported in this timing run */
    uint64_t applied;    /* engine starts applied (over all runs) */
    uint32_t fetches;    /* program fetches reported in this timing run */
    int restart;         /* a segment differs from img: run the timing model again */
    uint32_t restart_seg;
    int stop;            /* a fault: apply nothing more */
    uint64_t lanes[2];   /* LANE_ADDS, LANE_SUBS */
    lda_rec lda;         /* the last LDA applied */
    mm_rec mm;           /* the last MM applied */
} run_ctx;

static void on_start(void *p, uint64_t cycle, int engine, size_t insn, uint64_t busy)
{
    (void)engine;
    run_ctx *c = p;
    tlpu_fcore *m = c->m;
    uint64_t e = c->ev++;
    uint32_t seg = insn == SIZE_MAX ? c->fetches++ : 0;
    if (c->stop || c->restart || e < c->applied)
        return;
    if (insn == SIZE_MAX) {
        /* a program fetch: the core reads the segment from DRAM now */
        uint64_t base = (uint64_t)seg * m->hw.imem_depth;
        uint64_t len = c->n - base < m->hw.imem_depth ? c->n - base : m->hw.imem_depth;
        uint64_t a = (uint64_t)m->prog_addr + 16 * base;
        if (!dram_ok(m, a, 16 * len)) {
            set_fault(m, "program fetch", a, 16 * len);
            c->stop = 1;
            return;
        }
        if (memcmp(c->img + base, m->dram + a, 16 * len) != 0) {
            /* rewritten since START (by a ST of this program): what runs
             * from here on depends on it */
            c->restart = 1;
            c->restart_seg = seg;
            return;
        }
    } else {
        const tlpu_insn *in = &c->img[insn];
        int rc = 0;
        switch (tlpu_insn_op(in)) {
        case TLPU_OP_LDW:
            rc = exec_ldw(m, in);
            break;
        case TLPU_OP_LDA:
            rc = exec_lda(m, in);
            if (rc == 0) {
                lda_rec *l = &c->lda;
                uint32_t nb = GET(in, LDA, NBYTES), ds = GET(in, LDA, DSTRIDE);
                l->valid = 1;
                l->s = cycle;
                l->d = busy;
                l->dst = GET(in, LDA, DST);
                l->rows = GET(in, LDA, ROWS);
                l->nb = nb;
                l->wpr = (nb + m->hw.cols - 1) / m->hw.cols;
                l->step = ds ? ds : l->wpr;
                l->wc_ok = 0;
                /* an MM still reading: the words written before its reads */
                if (c->mm.valid)
                    lda_mm_overlap(m, l, &c->mm, 0);
            }
            break;
        case TLPU_OP_ST:
            rc = exec_st(m, in);
            break;
        case TLPU_OP_MM:
            exec_mm(m, in, c->lanes);
            c->mm.valid = 1;
            c->mm.s = cycle;
            c->mm.in = *in;
            /* an LDA still writing: the words it writes after the reads */
            if (c->lda.valid)
                lda_mm_overlap(m, &c->lda, &c->mm, 1);
            break;
        default:
            break;
        }
        if (rc) {
            c->stop = 1;
            return;
        }
    }
    c->applied = e + 1;
}

/* START from idle: the RTL's checks, then the whole program */
static tlpu_status run_program(tlpu_fcore *m, int cnt_reset)
{
    const uint64_t c0 = m->now; /* the START cycle */
    uint32_t code = TLPU_HWERR_NONE;
    if (m->prog_len == 0)
        code = TLPU_HWERR_PROG_LEN;
    else if (m->prog_addr % BEAT)
        code = TLPU_HWERR_MEM_ALIGN;
    else if ((uint64_t)m->prog_addr + 16ull * m->prog_len > (uint64_t)m->mem_top + 1)
        code = TLPU_HWERR_MEM_RANGE;
    if (code) {
        /* DONE at once; ERR_PC keeps its value; no cycle is counted */
        if (cnt_reset)
            memset(m->cnt, 0, sizeof m->cnt);
        memset(&m->last, 0, sizeof m->last);
        m->busy = 0;
        m->done = 1;
        m->err = code;
        m->irq_st = 1;
        m->done_at = c0 + 1;
        return TLPU_OK;
    }

    run_ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.n = m->prog_len;
    /* 16 * PROG_LEN <= 2^32 (the START check above) */
    c.img = malloc((size_t)c.n * sizeof *c.img);
    if (!c.img)
        return TLPU_ERR_NOMEM;
    /* the program as it is now; a segment past the DRAM faults when fetched */
    uint64_t pa = m->prog_addr, pbytes = 16ull * c.n;
    uint64_t have = pa < m->dram_bytes ? m->dram_bytes - pa : 0;
    if (have > pbytes)
        have = pbytes;
    memset(c.img, 0, (size_t)pbytes);
    if (have)
        memcpy(c.img, m->dram + pa, (size_t)have);

    tlpu_timing_cfg tc;
    tlpu_timing_cfg_init(&tc, &m->hw);
    tc.mem_latency = m->latency;
    tc.mem_top = m->mem_top;
    tc.prog_addr = m->prog_addr;
    tc.hook = on_start;
    tc.hook_ctx = &c;
    tlpu_timing t;
    for (;;) {
        c.ev = 0;
        c.fetches = 0;
        c.restart = 0;
        tlpu_status st = tlpu_timing_run(&tc, c.img, c.n, &t);
        if (st != TLPU_OK) {
            if (c.applied == 0) {
                free(c.img);
                return st; /* nothing has happened */
            }
            snprintf(m->fault, sizeof m->fault, "model: the timing model failed (%s)",
                     tlpu_status_name(st));
            m->faulted = 1;
            c.stop = 1;
            break;
        }
        if (!c.restart)
            break;
        /* the core fetches segment restart_seg and later ones as they are in
         * DRAM then; everything before that fetch ran as before */
        uint64_t from = 16ull * c.restart_seg * m->hw.imem_depth;
        memset((uint8_t *)c.img + from, 0, (size_t)(pbytes - from));
        if (have > from)
            memcpy((uint8_t *)c.img + from, m->dram + pa + from, (size_t)(have - from));
    }
    free(c.img);

    /* the counters were zeroed at the START edge; the program counts after it */
    if (cnt_reset)
        memset(m->cnt, 0, sizeof m->cnt);
    memset(&m->last, 0, sizeof m->last);
    if (c.stop) {
        /* the memory would never answer: the core hangs */
        m->busy = 1;
        m->done = 0;
        m->err = TLPU_HWERR_NONE;
        return TLPU_OK;
    }
    t.counters[TLPU_CNTI_LANE_ADDS] = c.lanes[0];
    t.counters[TLPU_CNTI_LANE_SUBS] = c.lanes[1];
    t.counters[TLPU_CNTI_LANE_SKIPS] = t.lane_ops - c.lanes[0] - c.lanes[1];
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        m->cnt[i] += t.counters[i];
    m->last = t;
    m->busy = 0;
    m->done = 1;
    m->err = t.hw_error;
    if (t.hw_error)
        m->err_pc = t.err_pc;
    m->irq_st = 1;
    m->done_at = c0 + 1 + t.counters[TLPU_CNTI_CYCLES];
    return TLPU_OK;
}

/* ---- CSRs ---------------------------------------------------------------------------- */

static int csr_addr_ok(uint32_t addr)
{
    return addr < 0x1000 && addr % 4 == 0;
}

static int is_counter(uint32_t addr)
{
    return addr >= TLPU_CSR_COUNTER_BASE && addr < TLPU_CSR_COUNTER_BASE + 8 * TLPU_NUM_COUNTERS;
}

tlpu_status tlpu_fcore_csr_write(tlpu_fcore *m, uint32_t addr, uint32_t value)
{
    if (!m)
        return TLPU_ERR_INVALID_ARG;
    if (!csr_addr_ok(addr))
        return TLPU_ERR_RANGE;
    tlpu_status st = TLPU_OK;
    switch (addr) {
    case TLPU_CSR_CTRL: {
        int start = value & 1u, soft_reset = (value >> 1) & 1u, cnt_reset = (value >> 2) & 1u;
        int run = start && !soft_reset && !m->busy && !m->faulted;
        if (cnt_reset && !run)
            memset(m->cnt, 0, sizeof m->cnt);
        if (soft_reset) {
            m->busy = 0;
            m->done = 0;
            m->err = TLPU_HWERR_NONE;
        } else if (start && !m->busy) {
            if (m->faulted) {
                /* a faulted core's DMA never goes idle: the fetch never starts */
                m->busy = 1;
                m->done = 0;
                m->err = TLPU_HWERR_NONE;
            } else {
                st = run_program(m, cnt_reset);
            }
        }
        break;
    }
    case TLPU_CSR_PROG_ADDR:
        if (!m->busy)
            m->prog_addr = value;
        break;
    case TLPU_CSR_PROG_LEN:
        if (!m->busy)
            m->prog_len = value;
        break;
    case TLPU_CSR_MEM_TOP:
        if (!m->busy)
            m->mem_top = value;
        break;
    case TLPU_CSR_IRQ_ENABLE:
        m->irq_en = value & 1u;
        break;
    case TLPU_CSR_IRQ_STATUS:
        if (value & 1u)
            m->irq_st = 0;
        break;
    default:
        break; /* read-only, counters and unmapped addresses: ignored */
    }
    if (st == TLPU_OK)
        m->now++;
    return st;
}

tlpu_status tlpu_fcore_csr_read(tlpu_fcore *m, uint32_t addr, uint32_t *value)
{
    if (!m || !value)
        return TLPU_ERR_INVALID_ARG;
    if (!csr_addr_ok(addr))
        return TLPU_ERR_RANGE;
    const tlpu_hw *hw = &m->hw;
    uint32_t v = 0;
    if (is_counter(addr)) {
        uint32_t off = addr - TLPU_CSR_COUNTER_BASE;
        uint64_t c = m->cnt[off / 8];
        if (off & 4u) {
            v = m->cnt_hi; /* what the last LO read latched */
        } else {
            v = (uint32_t)c;
            m->cnt_hi = (uint32_t)(c >> 32);
        }
    } else {
        switch (addr) {
        case TLPU_CSR_ID: v = TLPU_ID_MAGIC; break;
        case TLPU_CSR_VERSION: v = (TLPU_SPEC_VERSION_MAJOR << 16) | TLPU_SPEC_VERSION_MINOR; break;
        case TLPU_CSR_ROWS: v = hw->rows; break;
        case TLPU_CSR_COLS: v = hw->cols; break;
        case TLPU_CSR_BEAT_BYTES: v = hw->beat_bytes; break;
        case TLPU_CSR_WBUF_CHUNKS: v = hw->wbuf_chunks; break;
        case TLPU_CSR_ABUF_WORDS: v = hw->abuf_words; break;
        case TLPU_CSR_OBUF_WORDS: v = hw->obuf_words; break;
        case TLPU_CSR_IMEM_DEPTH: v = hw->imem_depth; break;
        case TLPU_CSR_FORMATS: v = (1u << TLPU_FMT_PACK2) | (1u << TLPU_FMT_PACK3); break;
        case TLPU_CSR_BURST_BEATS: v = hw->burst_beats; break;
        case TLPU_CSR_QUEUE_DEPTH: v = hw->queue_depth; break;
        case TLPU_CSR_STATUS:
            v = (m->err & 0xFFu) << 8 | (uint32_t)m->done << 1 | (uint32_t)m->busy;
            break;
        case TLPU_CSR_PROG_ADDR: v = m->prog_addr; break;
        case TLPU_CSR_PROG_LEN: v = m->prog_len; break;
        case TLPU_CSR_IRQ_ENABLE: v = (uint32_t)m->irq_en; break;
        case TLPU_CSR_IRQ_STATUS: v = (uint32_t)m->irq_st; break;
        case TLPU_CSR_ERR_PC: v = m->err_pc; break;
        case TLPU_CSR_MEM_TOP: v = m->mem_top; break;
        default: v = 0; break; /* CTRL (write-only) and unmapped addresses */
        }
    }
    m->now++;
    *value = v;
    return TLPU_OK;
}

/* ---- the simulator-style conveniences ------------------------------------------------ */

tlpu_status tlpu_fcore_step(tlpu_fcore *m, uint64_t n)
{
    if (!m)
        return TLPU_ERR_INVALID_ARG;
    m->now += n;
    return TLPU_OK;
}

tlpu_status tlpu_fcore_start(tlpu_fcore *m, uint64_t prog_addr, uint32_t prog_len)
{
    if (!m)
        return TLPU_ERR_INVALID_ARG;
    if (prog_addr > 0xFFFFFFFFull)
        return TLPU_ERR_RANGE;
    tlpu_fcore_csr_write(m, TLPU_CSR_PROG_ADDR, (uint32_t)prog_addr);
    tlpu_fcore_csr_write(m, TLPU_CSR_PROG_LEN, prog_len);
    return tlpu_fcore_csr_write(m, TLPU_CSR_CTRL, 1u);
}

tlpu_status tlpu_fcore_wait(tlpu_fcore *m, uint64_t max_cycles, uint64_t *cycles)
{
    if (!m)
        return TLPU_ERR_INVALID_ARG;
    uint64_t n = 0;
    tlpu_status st;
    if (m->faulted) {
        st = TLPU_ERR_DEVICE;
    } else if (!m->done) {
        n = max_cycles; /* DONE never comes */
        st = TLPU_ERR_TIMEOUT;
    } else {
        uint64_t left = m->done_at > m->now ? m->done_at - m->now : 0;
        if (left > max_cycles) {
            n = max_cycles;
            st = TLPU_ERR_TIMEOUT;
        } else {
            n = left;
            st = m->err ? TLPU_ERR_DEVICE : TLPU_OK;
        }
    }
    m->now += n;
    if (cycles)
        *cycles = n;
    return st;
}

tlpu_status tlpu_fcore_run(tlpu_fcore *m, uint64_t prog_addr, uint32_t prog_len,
                           uint64_t max_cycles, uint64_t *cycles)
{
    tlpu_status st = tlpu_fcore_start(m, prog_addr, prog_len);
    if (st != TLPU_OK)
        return st;
    return tlpu_fcore_wait(m, max_cycles, cycles);
}

tlpu_status tlpu_fcore_hw_error(const tlpu_fcore *m, uint32_t *code, uint32_t *err_pc)
{
    if (!m)
        return TLPU_ERR_INVALID_ARG;
    if (code)
        *code = m->err;
    if (err_pc)
        *err_pc = m->err_pc;
    return TLPU_OK;
}

tlpu_status tlpu_fcore_counters(tlpu_fcore *m, uint64_t out[TLPU_NUM_COUNTERS])
{
    if (!m || !out)
        return TLPU_ERR_INVALID_ARG;
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++) {
        uint32_t lo, hi;
        tlpu_fcore_csr_read(m, TLPU_CSR_COUNTER_BASE + 8 * i, &lo);
        tlpu_fcore_csr_read(m, TLPU_CSR_COUNTER_BASE + 8 * i + 4, &hi);
        out[i] = (uint64_t)hi << 32 | lo;
    }
    return TLPU_OK;
}

tlpu_status tlpu_fcore_cycle(const tlpu_fcore *m, uint64_t *cycle)
{
    if (!m || !cycle)
        return TLPU_ERR_INVALID_ARG;
    *cycle = m->now;
    return TLPU_OK;
}

tlpu_status tlpu_fcore_irq(const tlpu_fcore *m, int *irq)
{
    if (!m || !irq)
        return TLPU_ERR_INVALID_ARG;
    *irq = m->irq_st && m->irq_en;
    return TLPU_OK;
}

tlpu_status tlpu_fcore_fault(const tlpu_fcore *m, const char **msg)
{
    if (!m || !msg)
        return TLPU_ERR_INVALID_ARG;
    *msg = m->faulted ? m->fault : NULL;
    return TLPU_OK;
}

tlpu_status tlpu_fcore_last_run(const tlpu_fcore *m, tlpu_timing *out)
{
    if (!m || !out)
        return TLPU_ERR_INVALID_ARG;
    *out = m->last;
    return TLPU_OK;
}
