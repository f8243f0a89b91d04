/* SPDX-License-Identifier: Apache-2.0 */
/* mchip.c - the multi-chip compiler and its timing formula (tlpu/mchip.h). */
#include "tlpu/mchip.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tlpu/proto.h"

/* Round figures of the right order (docs/system-model.md gives the sources):
 * a die-to-die link in one package (UCIe-class: 16 lanes x 16 Gb/s, a few ns,
 * 0.5 pJ/bit) and a board-level SerDes link (4 lanes x 25 Gb/s with FEC, about
 * 0.5 us through both PHYs, 5 pJ/bit), the kind Groq's chip-to-chip links are. */
static const tlpu_c2c_link k_c2c[] = {
    {"d2d", 256e9, 2e-9, 0.5},
    {"serdes", 100e9, 500e-9, 5.0},
};

const tlpu_c2c_link *tlpu_c2c_preset(const char *name)
{
    for (size_t i = 0; name && i < sizeof k_c2c / sizeof k_c2c[0]; i++)
        if (!strcmp(name, k_c2c[i].name))
            return &k_c2c[i];
    return NULL;
}

const char *tlpu_c2c_names(void)
{
    return "d2d, serdes";
}

void tlpu_mc_system_default(tlpu_mc_system *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    s->chips = 1;
    s->topology = TLPU_MC_RING;
    s->c2c = k_c2c[1];
    s->clock_hz = 1e9;
    s->sram_bytes = TLPU_MC_SRAM_BYTES;
    s->sram_pj_per_bit = TLPU_MC_SRAM_PJ_PER_BIT;
}

uint64_t tlpu_c2c_time_ps(const tlpu_c2c_link *l, uint64_t bytes)
{
    double lat = llround(l->latency_s * 1e12);
    double ser = ceil((double)bytes * 8.0 * 1e12 / l->bits_per_s);
    return (uint64_t)lat + (uint64_t)ser;
}

uint64_t tlpu_mc_period_ps(double clock_hz)
{
    long long p = llround(1e12 / clock_hz);
    return p < 1 ? 1 : (uint64_t)p;
}

const char *tlpu_mc_topology_name(tlpu_mc_topology t)
{
    return t == TLPU_MC_FULL ? "full" : "ring";
}

tlpu_status tlpu_mc_topology_parse(const char *s, tlpu_mc_topology *t)
{
    if (!s || !t)
        return TLPU_ERR_INVALID_ARG;
    if (!strcmp(s, "ring"))
        *t = TLPU_MC_RING;
    else if (!strcmp(s, "full"))
        *t = TLPU_MC_FULL;
    else
        return TLPU_ERR_INVALID_ARG;
    return TLPU_OK;
}

static tlpu_status fail(char *err, size_t len, const char *msg)
{
    if (err && len)
        snprintf(err, len, "%s", msg);
    return TLPU_ERR_INVALID_ARG;
}

tlpu_status tlpu_mc_system_check(const tlpu_mc_system *s, char *err, size_t errlen)
{
    if (!s)
        return fail(err, errlen, "no system");
    if (s->chips < 1 || s->chips > TLPU_MC_CHIPS_MAX)
        return fail(err, errlen, "chips must be 1 .. 64");
    if (s->topology != TLPU_MC_RING && s->topology != TLPU_MC_FULL)
        return fail(err, errlen, "topology must be ring or full");
    const tlpu_c2c_link *l = &s->c2c;
    if (!(l->bits_per_s > 0) || !isfinite(l->bits_per_s))
        return fail(err, errlen, "the chip-to-chip bandwidth must be > 0");
    if (!(l->latency_s >= 0) || !isfinite(l->latency_s) || l->latency_s > 1.0)
        return fail(err, errlen, "the chip-to-chip latency must be 0 .. 1 s");
    if (!(l->pj_per_bit >= 0) || !isfinite(l->pj_per_bit))
        return fail(err, errlen, "the chip-to-chip energy must be >= 0");
    if (!(s->clock_hz > 0) || !isfinite(s->clock_hz))
        return fail(err, errlen, "the clock must be > 0");
    if (!(s->sram_pj_per_bit >= 0) || !isfinite(s->sram_pj_per_bit))
        return fail(err, errlen, "the SRAM energy must be >= 0");
    return TLPU_OK;
}

uint32_t tlpu_mc_hops(const tlpu_mc_system *s, uint32_t from, uint32_t to)
{
    if (from == to)
        return 0;
    if (s->topology == TLPU_MC_FULL)
        return 1;
    uint32_t cw = (to + s->chips - from) % s->chips, ccw = s->chips - cw;
    return cw <= ccw ? cw : ccw;
}

uint32_t tlpu_mc_next_hop(const tlpu_mc_system *s, uint32_t from, uint32_t to)
{
    if (from == to || s->topology == TLPU_MC_FULL)
        return to;
    uint32_t cw = (to + s->chips - from) % s->chips, ccw = s->chips - cw;
    return cw <= ccw ? (from + 1) % s->chips : (from + s->chips - 1) % s->chips;
}

/* chips in order of hops from chip 0: 0, 1, N-1, 2, N-2, ... (ring; on a
 * fully connected system simply 0, 1, 2, ...) */
static uint32_t order_chip(const tlpu_mc_system *s, uint32_t i)
{
    if (s->topology == TLPU_MC_FULL || i == 0)
        return i;
    return i % 2 ? (i + 1) / 2 : s->chips - i / 2;
}

/* a ring direction: the used chips at distance 1, 2, ... that way */
typedef struct dir_list {
    uint32_t chip[TLPU_MC_CHIPS_MAX];
    uint32_t n;
} dir_list;

static void ring_dirs(const tlpu_mc_plan *p, dir_list *cw, dir_list *ccw)
{
    const uint32_t N = p->sys.chips;
    cw->n = ccw->n = 0;
    for (uint32_t d = 1; d < N; d++) { /* clockwise: chip d when d <= N - d */
        if (d <= N - d && p->slice[d].n)
            cw->chip[cw->n++] = d;
    }
    for (uint32_t d = 1; d < N; d++) { /* counter-clockwise: chip N - d when N - d > d */
        uint32_t c = N - d;
        if (c > d && p->slice[c].n)
            ccw->chip[ccw->n++] = c;
    }
}

void tlpu_mc_predict(tlpu_mc_plan *p, const uint64_t *cycles)
{
    const uint64_t per = tlpu_mc_period_ps(p->sys.clock_hz);
    const tlpu_c2c_link *l = &p->sys.c2c;
    const uint64_t tx = tlpu_c2c_time_ps(l, p->x_bytes);
    uint64_t core[TLPU_MC_CHIPS_MAX] = {0};
    p->sum_cycles = 0;
    p->c2c_bytes = 0;
    for (uint32_t c = 0; c < p->sys.chips; c++) {
        uint64_t cy = p->slice[c].n ? (cycles ? cycles[c] : p->slice[c].t.predicted_cycles) : 0;
        core[c] = cy * per;
        p->sum_cycles += cy;
        p->x_arrive_ps[c] = 0;
        p->core_done_ps[c] = 0;
    }
    p->core_done_ps[0] = core[0];
    uint64_t total = core[0];
    if (p->sys.topology == TLPU_MC_FULL) {
        for (uint32_t c = 1; c < p->sys.chips; c++) {
            if (!p->slice[c].n)
                continue;
            p->x_arrive_ps[c] = tx;
            p->core_done_ps[c] = tx + core[c];
            uint64_t a = p->core_done_ps[c] + tlpu_c2c_time_ps(l, p->slice[c].y_bytes);
            if (a > total)
                total = a;
            p->c2c_bytes += p->x_bytes + p->slice[c].y_bytes;
        }
        p->total_ps = total;
        return;
    }
    dir_list dirs[2];
    ring_dirs(p, &dirs[0], &dirs[1]);
    for (int w = 0; w < 2; w++) {
        const dir_list *D = &dirs[w];
        /* x: store and forward, hop by hop */
        for (uint32_t d = 0; d < D->n; d++) {
            uint32_t c = D->chip[d];
            p->x_arrive_ps[c] = (d ? p->x_arrive_ps[D->chip[d - 1]] : 0) + tx;
            p->core_done_ps[c] = p->x_arrive_ps[c] + core[c];
            p->c2c_bytes += p->x_bytes;
        }
        /* results: A[j] holds A(d+1, j) while link d is worked out, farthest first */
        uint64_t A[TLPU_MC_CHIPS_MAX];
        for (uint32_t d = D->n; d-- > 0;) {
            uint32_t c = D->chip[d];
            uint64_t prev = p->core_done_ps[c] + tlpu_c2c_time_ps(l, p->slice[c].y_bytes);
            A[d] = prev;
            p->c2c_bytes += p->slice[c].y_bytes;
            for (uint32_t j = d + 1; j < D->n; j++) {
                uint64_t start = A[j] > prev ? A[j] : prev;
                prev = start + tlpu_c2c_time_ps(l, p->slice[D->chip[j]].y_bytes);
                A[j] = prev;
                p->c2c_bytes += p->slice[D->chip[j]].y_bytes;
            }
        }
        for (uint32_t j = 0; j < D->n; j++)
            if (A[j] > total)
                total = A[j];
    }
    p->total_ps = total;
}

tlpu_status tlpu_mc_plan_bitlinear(const tlpu_mc_system *sys, const tlpu_hw *hw,
                                   uint32_t mem_latency, uint32_t m, uint32_t k, uint32_t n,
                                   unsigned fmt, tlpu_tile_effort effort,
                                   const tlpu_schedule *sched, tlpu_mc_plan *p)
{
    if (!sys || !hw || !p)
        return TLPU_ERR_INVALID_ARG;
    if (tlpu_mc_system_check(sys, NULL, 0) != TLPU_OK || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    memset(p, 0, sizeof *p);
    p->m = m, p->k = k, p->n = n, p->fmt = fmt;
    p->sys = *sys;
    const uint32_t tiles = (n + hw->rows - 1) / hw->rows;
    p->used = tiles < sys->chips ? tiles : sys->chips;
    p->x_bytes = (uint64_t)m * tlpu_act_stride(hw, k);
    uint32_t n0 = 0;
    for (uint32_t i = 0; i < p->used; i++) {
        uint32_t c = order_chip(sys, i);
        uint32_t ti = tiles / p->used + (i < tiles % p->used);
        uint32_t ni = ti * hw->rows;
        if (ni > n - n0)
            ni = n - n0;
        tlpu_mc_slice *s = &p->slice[c];
        s->n0 = n0;
        s->n = ni;
        n0 += ni;
        /* slices of the same width share one plan */
        const tlpu_mc_slice *same = NULL;
        for (uint32_t j = 0; j < i && !same; j++)
            if (p->slice[order_chip(sys, j)].n == ni)
                same = &p->slice[order_chip(sys, j)];
        tlpu_status st;
        if (same)
            s->t = same->t;
        else if ((st = tlpu_tile_bitlinear_effort(hw, m, k, ni, fmt, mem_latency,
                                                  sched ? TLPU_TILE_NONE : effort, &s->t)) !=
                     TLPU_OK ||
                 (sched && (st = tlpu_tiling_schedule(hw, &s->t, sched)) != TLPU_OK))
            return st;
        s->y_bytes = (uint64_t)m * tlpu_out_stride(hw, ni);
    }
    /* the gather area: slices in channel order */
    uint64_t off = 0;
    for (uint32_t i = 0; i < p->used; i++) {
        tlpu_mc_slice *s = &p->slice[order_chip(sys, i)];
        s->y_off = off;
        off += s->y_bytes;
    }
    p->gather_bytes = off;
    tlpu_mc_predict(p, NULL);
    return TLPU_OK;
}

uint32_t tlpu_mc_stream_max(const tlpu_mc_plan *p)
{
    return 2 * p->sys.chips + 4;
}

static void put_op(uint8_t *o, unsigned kind, uint32_t peer, uint32_t len, uint64_t src,
                   uint64_t dst)
{
    memset(o, 0, TLPU_MC_OP_BYTES);
    o[0] = (uint8_t)kind;
    tlpu_put_u16(o + 2, (uint16_t)peer);
    tlpu_put_u32(o + 4, len);
    tlpu_put_u64(o + 8, src);
    tlpu_put_u64(o + 16, dst);
}

tlpu_status tlpu_mc_stream(const tlpu_mc_plan *p, uint32_t chip, const tlpu_mc_layout *lay,
                           uint32_t insns, uint8_t *out, uint32_t *nops)
{
    if (!p || !lay || !out || !nops || chip >= p->sys.chips)
        return TLPU_ERR_INVALID_ARG;
    if (p->x_bytes > 0x7FFFFFFFu || p->gather_bytes > 0x7FFFFFFFu)
        return TLPU_ERR_OVERFLOW;
    uint32_t k = 0;
#define OP(kind, peer, len, src, dst) put_op(out + TLPU_MC_OP_BYTES * k++, kind, peer, len, src, dst)
    const uint32_t X = (uint32_t)p->x_bytes;
    *nops = 0;
    if (!p->slice[chip].n)
        return TLPU_OK;
    if (p->sys.topology == TLPU_MC_FULL) {
        if (chip == 0) {
            for (uint32_t c = 1; c < p->sys.chips; c++)
                if (p->slice[c].n)
                    OP(TLPU_MC_SEND, c, X, lay->x, lay->x);
            OP(TLPU_MC_RUNCORE, 0, insns, lay->prog, 0);
            for (uint32_t c = 1; c < p->sys.chips; c++)
                if (p->slice[c].n)
                    OP(TLPU_MC_RECV, c, (uint32_t)p->slice[c].y_bytes, 0, 0);
        } else {
            const tlpu_mc_slice *s = &p->slice[chip];
            OP(TLPU_MC_RECV, 0, X, 0, 0);
            OP(TLPU_MC_RUNCORE, 0, insns, lay->prog, 0);
            OP(TLPU_MC_SEND, 0, (uint32_t)s->y_bytes, lay->gather + s->y_off,
               lay->gather + s->y_off);
        }
        *nops = k;
        return TLPU_OK;
    }
    dir_list dirs[2];
    ring_dirs(p, &dirs[0], &dirs[1]);
    if (chip == 0) {
        for (int w = 0; w < 2; w++)
            if (dirs[w].n)
                OP(TLPU_MC_SEND, dirs[w].chip[0], X, lay->x, lay->x);
        OP(TLPU_MC_RUNCORE, 0, insns, lay->prog, 0);
        for (int w = 0; w < 2; w++)
            for (uint32_t j = 0; j < dirs[w].n; j++)
                OP(TLPU_MC_RECV, dirs[w].chip[0], (uint32_t)p->slice[dirs[w].chip[j]].y_bytes, 0,
                   0);
        *nops = k;
        return TLPU_OK;
    }
    for (int w = 0; w < 2; w++) {
        const dir_list *D = &dirs[w];
        for (uint32_t d = 0; d < D->n; d++) {
            if (D->chip[d] != chip)
                continue;
            uint32_t prev = d ? D->chip[d - 1] : 0, next = d + 1 < D->n ? D->chip[d + 1] : chip;
            const tlpu_mc_slice *s = &p->slice[chip];
            OP(TLPU_MC_RECV, prev, X, 0, 0);
            if (next != chip)
                OP(TLPU_MC_SEND, next, X, lay->x, lay->x);
            OP(TLPU_MC_RUNCORE, 0, insns, lay->prog, 0);
            OP(TLPU_MC_SEND, prev, (uint32_t)s->y_bytes, lay->gather + s->y_off,
               lay->gather + s->y_off);
            for (uint32_t j = d + 1; j < D->n; j++) {
                const tlpu_mc_slice *f = &p->slice[D->chip[j]];
                OP(TLPU_MC_RECV, next, (uint32_t)f->y_bytes, 0, 0);
                OP(TLPU_MC_SEND, prev, (uint32_t)f->y_bytes, lay->gather + f->y_off,
                   lay->gather + f->y_off);
            }
            *nops = k;
            return TLPU_OK;
        }
    }
#undef OP
    return TLPU_ERR_INVALID_ARG; /* a used chip on neither side: cannot happen */
}
