/* SPDX-License-Identifier: Apache-2.0 */
/* estimate.c - whole-model estimates (tlpu/estimate.h). */
#include "tlpu/estimate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/timing.h"

void tlpu_est_opts_init(tlpu_est_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    tlpu_hw_default(&o->hw);
    o->clock_hz = 1e9;
    o->mem_latency = 16;
    o->fmt = TLPU_FMT_PACK3;
    o->prefill = 64;
    o->decode = 64;
    o->context = 0;
    o->zero_frac = 1.0 / 3.0;
    o->effort = TLPU_TILE_QUICK;
}

static uint64_t up(uint64_t x, uint64_t m)
{
    return (x + m - 1) / m * m;
}

/* The timing model's counters for one plan (the lane counters from the
 * assumed trit mix); *insns gets the program's length. */
static tlpu_status plan_counters(const tlpu_est_opts *o, uint32_t m, uint32_t k, uint32_t n,
                                 const tlpu_tiling *t, uint64_t counters[TLPU_NUM_COUNTERS],
                                 uint32_t *insns)
{
    tlpu_bitlinear_addrs a;
    a.act_stride = tlpu_act_stride(&o->hw, k);
    a.out_stride = tlpu_out_stride(&o->hw, n);
    a.weights = 0;
    a.act = up(t->weight_bytes, 256);
    a.out = up(a.act + (uint64_t)m * a.act_stride, 256);
    tlpu_program p;
    tlpu_program_init(&p);
    tlpu_status st = tlpu_compile_bitlinear(&o->hw, t, &a, &p);
    tlpu_timing tm;
    if (st == TLPU_OK) {
        tlpu_timing_cfg c;
        tlpu_timing_cfg_init(&c, &o->hw);
        c.mem_latency = o->mem_latency;
        st = tlpu_timing_run(&c, p.insns, p.n, &tm);
        if (st == TLPU_OK && (tm.hw_error || tm.counters[TLPU_CNTI_CYCLES] != t->predicted_cycles))
            st = TLPU_ERR_SHAPE; /* the tiler and the model disagree: a bug */
    }
    if (insns)
        *insns = (uint32_t)p.n;
    tlpu_program_free(&p);
    if (st != TLPU_OK)
        return st;
    memcpy(counters, tm.counters, sizeof tm.counters);
    const uint64_t total =
        (uint64_t)o->hw.rows * o->hw.cols * tm.counters[TLPU_CNTI_BUSY_CYCLES];
    const double macs = (double)m * k * n;
    uint64_t adds = (uint64_t)llround(macs * (1.0 - o->zero_frac) / 2.0);
    if (2 * adds > total)
        adds = total / 2;
    counters[TLPU_CNTI_LANE_ADDS] = adds;
    counters[TLPU_CNTI_LANE_SUBS] = adds;
    counters[TLPU_CNTI_LANE_SKIPS] = total - 2 * adds;
    return TLPU_OK;
}

/* A BitLinear over an LPU system's chips: the compiler's plan, every chip's
 * counters summed, the schedule's time; *plan_bytes (may be NULL) gets the
 * fullest chip's weight image plus program and op stream. */
static tlpu_status mc_linear(const tlpu_est_opts *o, tlpu_report_layer *L, tlpu_tiling *plan,
                             uint64_t *prog_bytes, uint64_t *buf_bytes)
{
    tlpu_mc_plan *P = malloc(sizeof *P);
    if (!P)
        return TLPU_ERR_NOMEM;
    tlpu_status st = tlpu_mc_plan_bitlinear(&o->mc, &o->hw, o->mem_latency, L->m, L->k, L->n,
                                            L->fmt, o->effort, NULL, P);
    memset(L->counters, 0, sizeof L->counters);
    L->chip_weight_bytes = 0;
    uint64_t pmax = 0;
    /* slices of one width share a plan: their counters once per width */
    uint32_t seen_n[2] = {0, 0}, seen_insns[2] = {0, 0};
    uint64_t seen_k[2][TLPU_NUM_COUNTERS];
    for (uint32_t c = 0; c < o->mc.chips && st == TLPU_OK; c++) {
        const tlpu_mc_slice *sl = &P->slice[c];
        if (!sl->n)
            continue;
        uint64_t k[TLPU_NUM_COUNTERS];
        uint32_t insns = 0;
        int j = seen_n[0] == sl->n ? 0 : seen_n[1] == sl->n ? 1 : -1;
        if (j >= 0) {
            memcpy(k, seen_k[j], sizeof k);
            insns = seen_insns[j];
        } else if ((st = plan_counters(o, L->m, L->k, sl->n, &sl->t, k, &insns)) != TLPU_OK)
            break;
        else if ((j = !seen_n[0] ? 0 : !seen_n[1] ? 1 : -1) >= 0) {
            seen_n[j] = sl->n;
            seen_insns[j] = insns;
            memcpy(seen_k[j], k, sizeof k);
        }
        for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
            L->counters[i] += k[i];
        if (16ull * insns > pmax)
            pmax = 16ull * insns;
        if (sl->t.weight_bytes > L->chip_weight_bytes)
            L->chip_weight_bytes = sl->t.weight_bytes;
    }
    if (st == TLPU_OK) {
        L->chips_used = P->used;
        L->mc_ps = P->total_ps;
        L->c2c_bytes = P->c2c_bytes;
        L->cycles = P->sum_cycles;
        if (prog_bytes)
            *prog_bytes = pmax + (uint64_t)tlpu_mc_stream_max(P) * 32u;
        if (buf_bytes)
            *buf_bytes = P->x_bytes + P->gather_bytes;
        if (plan)
            *plan = P->slice[0].t;
    }
    free(P);
    return st;
}

static void roofline(const tlpu_est_opts *o, tlpu_report_layer *L)
{
    const double lanes = (double)o->hw.rows * o->hw.cols;
    const double macs = (double)L->m * L->k * L->n;
    L->utilization = L->cycles ? macs / (lanes * (double)L->cycles) : 0;
    L->compute_cycles = macs / lanes;
    L->memory_cycles = (double)(L->counters[TLPU_CNTI_DRAM_RD_BYTES] +
                                L->counters[TLPU_CNTI_DRAM_WR_BYTES]) /
                       o->hw.beat_bytes;
    L->compute_bound = L->compute_cycles >= L->memory_cycles;
}

tlpu_status tlpu_estimate_linear(const tlpu_est_opts *o, tlpu_report_layer *L, tlpu_tiling *plan)
{
    if (!o || !L || !(o->clock_hz > 0) || !(o->zero_frac >= 0 && o->zero_frac <= 1))
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st;
    if (o->mc.chips) {
        if ((st = mc_linear(o, L, plan, NULL, NULL)) != TLPU_OK)
            return st;
        roofline(o, L);
        return TLPU_OK;
    }
    tlpu_tiling t;
    st = tlpu_tile_bitlinear_effort(&o->hw, L->m, L->k, L->n, L->fmt, o->mem_latency, o->effort,
                                    &t);
    if (st != TLPU_OK)
        return st;
    if ((st = plan_counters(o, L->m, L->k, L->n, &t, L->counters, NULL)) != TLPU_OK)
        return st;
    L->cycles = L->counters[TLPU_CNTI_CYCLES];
    roofline(o, L);
    if (plan)
        *plan = t;
    return TLPU_OK;
}

/* ---- energy and totals -------------------------------------------------------- */

/* bytes crossing the host link per instance: the host runs everything but
 * the BitLinears, so each one's activations go down and its outputs come up
 * (the weights stay on the device) */
static uint64_t link_bytes(const tlpu_report_layer *L)
{
    return (uint64_t)L->m * L->k + 4ull * L->m * L->n;
}

static void add_bd(tlpu_energy_breakdown *a, const tlpu_energy_breakdown *b, double s)
{
    a->array_add += s * b->array_add;
    a->array_sub += s * b->array_sub;
    a->array_skip += s * b->array_skip;
    a->accumulate += s * b->accumulate;
    a->decoder += s * b->decoder;
    a->wbuf += s * b->wbuf;
    a->abuf += s * b->abuf;
    a->obuf += s * b->obuf;
    a->dram += s * b->dram;
    a->link += s * b->link;
    a->c2c += s * b->c2c;
    a->leakage += s * b->leakage;
    a->total += s * b->total;
}

tlpu_status tlpu_estimate_totals(const tlpu_net *net, const tlpu_est_opts *o,
                                 const tlpu_energy_table *tab, tlpu_report *r)
{
    if (!net || !o || !r)
        return TLPU_ERR_INVALID_ARG;
    memset(&r->prefill, 0, sizeof r->prefill);
    memset(&r->decode, 0, sizeof r->decode);
    r->prefill.tokens = o->prefill;
    r->decode.tokens = o->decode;
    if (tab) {
        tlpu_status st = tlpu_energy_paper_ratio(tab, &r->paper_ratio);
        if (st != TLPU_OK)
            return st;
    }
    for (uint32_t i = 0; i < r->nlayers; i++) {
        tlpu_report_layer *L = &r->layer[i];
        int dec = strcmp(L->phase, "decode") == 0;
        tlpu_report_phase *ph = dec ? &r->decode : &r->prefill;
        double reps = (double)L->count * (dec ? o->decode : 1);
        memset(&L->energy, 0, sizeof L->energy);
        double fp16_a = 0, fp16_s = 0, int8_a = 0, int8_s = 0, tl_a = 0;
        if (tab) {
            tlpu_energy_ctx ctx;
            memset(&ctx, 0, sizeof ctx);
            ctx.hw = o->hw;
            ctx.clock_hz = o->clock_hz;
            ctx.link_bytes = link_bytes(L);
            uint64_t leak_cycles = L->cycles;
            if (o->mc.chips) { /* LPU: weights in SRAM, no host traffic per layer */
                ctx.link_bytes = 0;
                ctx.mem_pj_per_bit = o->mc.sram_pj_per_bit;
                ctx.c2c_bytes = L->c2c_bytes;
                ctx.c2c_pj_per_bit = o->mc.c2c.pj_per_bit;
                /* every chip leaks for the whole schedule */
                leak_cycles = (uint64_t)llround((double)o->mc.chips * (double)L->mc_ps * 1e-12 *
                                                o->clock_hz);
            }
            tlpu_status st = tlpu_energy_of(tab, &ctx, L->counters, leak_cycles, &L->energy);
            if (st == TLPU_OK)
                st = tlpu_energy_baseline(tab, TLPU_BASELINE_FP16, L->m, L->k, L->n, &fp16_a,
                                          &fp16_s);
            if (st == TLPU_OK)
                st = tlpu_energy_baseline(tab, TLPU_BASELINE_INT8, L->m, L->k, L->n, &int8_a,
                                          &int8_s);
            if (st == TLPU_OK)
                st = tlpu_energy_tlpu_arith(tab, L->counters, &tl_a);
            if (st != TLPU_OK)
                return st;
        }
        ph->cycles += (uint64_t)llround(reps * (double)L->cycles);
        ph->seconds += reps * (double)L->mc_ps * 1e-12; /* LPU systems: the schedules' time */
        ph->macs += (uint64_t)llround(reps * (double)L->m * L->k * L->n);
        add_bd(&ph->energy, &L->energy, reps);
        ph->fp16_arith_pj += reps * fp16_a;
        ph->fp16_system_pj += reps * fp16_s;
        ph->int8_arith_pj += reps * int8_a;
        ph->int8_system_pj += reps * int8_s;
        ph->tlpu_arith_pj += reps * tl_a;
    }
    /* end to end on the board: every layer's resident call, count x runs */
    for (int p = 0; p < 2; p++) {
        tlpu_report_phase *ph = p ? &r->decode : &r->prefill;
        int all = 1, any = 0;
        tlpu_report_board e;
        memset(&e, 0, sizeof e);
        for (uint32_t i = 0; i < r->nlayers; i++) {
            const tlpu_report_layer *L = &r->layer[i];
            if ((strcmp(L->phase, "decode") == 0) != p)
                continue;
            any = 1;
            if (!L->has_resident) {
                all = 0;
                break;
            }
            const double k = (double)L->count * (p ? o->decode : 1);
            const tlpu_report_board *b = &L->resident;
            e.total_s += k * b->total_s, e.link_s += k * b->link_s, e.fw_s += k * b->fw_s;
            e.dram_s += k * b->dram_s, e.core_s += k * b->core_s, e.c2c_s += k * b->c2c_s;
            e.link_j += k * b->link_j, e.dram_j += k * b->dram_j, e.c2c_j += k * b->c2c_j;
        }
        ph->has_e2e = any && all && ph->tokens;
        if (ph->has_e2e)
            ph->e2e = e;
    }
    tlpu_report_phase *phs[2] = {&r->prefill, &r->decode};
    for (int i = 0; i < 2; i++) {
        tlpu_report_phase *ph = phs[i];
        if (!o->mc.chips)
            ph->seconds = (double)ph->cycles / o->clock_hz;
        ph->tokens_per_s = ph->seconds > 0 ? ph->tokens / ph->seconds : 0;
        double joules = ph->energy.total * 1e-12;
        ph->joules_per_token = ph->tokens ? joules / ph->tokens : 0;
        ph->tokens_per_joule = joules > 0 ? ph->tokens / joules : 0;
        ph->pj_per_mac = ph->macs ? ph->energy.total / (double)ph->macs : 0;
    }
    tlpu_report_footprint *fp = &r->footprint;
    fp->params = tlpu_net_linear_params(net);
    fp->other_params = tlpu_net_other_params(net);
    fp->fp32 = fp->params * 4;
    fp->fp16 = fp->params * 2;
    fp->bf16 = fp->params * 2;
    fp->int8 = fp->params;
    fp->two_bit = (fp->params + 3) / 4;
    fp->base3 = (fp->params + 4) / 5;
    return TLPU_OK;
}

tlpu_status tlpu_estimate_net(const tlpu_net *net, const tlpu_est_opts *o,
                              const tlpu_energy_table *tab, tlpu_report *r, tlpu_tiling *plans)
{
    if (!net || !o || !r || net->nlinear == 0 || net->layers == 0)
        return TLPU_ERR_INVALID_ARG;
    if (tlpu_hw_check(&o->hw) != TLPU_OK || !(o->clock_hz > 0) ||
        (o->fmt != TLPU_FMT_PACK2 && o->fmt != TLPU_FMT_PACK3))
        return TLPU_ERR_INVALID_ARG;
    if (2 * net->nlinear > TLPU_REPORT_MAX_LAYERS)
        return TLPU_ERR_SHAPE;
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", net->name);
    snprintf(r->engine, sizeof r->engine, "estimate");
    r->hw = o->hw;
    r->clock_hz = o->clock_hz;
    r->mem_latency = o->mem_latency;
    r->context = o->context;
    r->mc = o->mc;
    if (tab) {
        snprintf(r->energy_table, sizeof r->energy_table, "%s", tlpu_energy_name(tab));
        snprintf(r->energy_node, sizeof r->energy_node, "%s", tlpu_energy_node(tab));
    }
    for (int phase = 0; phase < 2; phase++) {
        uint32_t m = phase == 0 ? o->prefill : 1;
        if ((phase == 0 && o->prefill == 0) || (phase == 1 && o->decode == 0))
            continue;
        for (uint32_t i = 0; i < net->nlinear; i++) {
            tlpu_report_layer *L = &r->layer[r->nlayers];
            memset(L, 0, sizeof *L);
            snprintf(L->name, sizeof L->name, "%s", net->linear[i].name);
            snprintf(L->phase, sizeof L->phase, "%s", phase == 0 ? "prefill" : "decode");
            L->m = m;
            L->k = net->linear[i].in;
            L->n = net->linear[i].out;
            L->count = net->layers * net->linear[i].repeat;
            L->fmt = o->fmt;
            /* the same shape earlier in this phase: the same plan */
            uint32_t same = r->nlayers;
            for (uint32_t j = 0; j < r->nlayers; j++)
                if (r->layer[j].m == L->m && r->layer[j].k == L->k && r->layer[j].n == L->n)
                    same = j;
            if (same < r->nlayers) {
                tlpu_report_layer keep = *L;
                *L = r->layer[same];
                memcpy(L->name, keep.name, sizeof L->name);
                L->count = keep.count;
                if (plans)
                    plans[r->nlayers] = plans[same];
            } else {
                tlpu_status st = tlpu_estimate_linear(o, L, plans ? &plans[r->nlayers] : NULL);
                if (st != TLPU_OK)
                    return st;
            }
            r->nlayers++;
        }
    }
    if (o->context)
        snprintf(r->notes[r->nnotes++], sizeof r->notes[0],
                 "decode at context %u: attention and norms run on the host and are not counted",
                 o->context);
    else
        snprintf(r->notes[r->nnotes++], sizeof r->notes[0],
                 "attention, norms and sampling run on the host and are not counted");
    snprintf(r->notes[r->nnotes++], sizeof r->notes[0],
             "lane counters assume %.0f%% zero trits (the rest +1 and -1 in equal parts)",
             100 * o->zero_frac);
    if (o->mc.chips)
        snprintf(r->notes[r->nnotes++], sizeof r->notes[0],
                 "%u chips (%s, %s links): every BitLinear split over them, weights in SRAM; "
                 "times are the static schedules'",
                 o->mc.chips, tlpu_mc_topology_name(o->mc.topology),
                 o->mc.c2c.name ? o->mc.c2c.name : "custom");
    return tlpu_estimate_totals(net, o, tab, r);
}

/* ---- LPU systems: how many chips, and what more chips buy ------------------------- */

/* one decode BitLinear of the net on W chips */
typedef struct scale_lin {
    uint32_t w;           /* chips it is split over */
    uint64_t mc_ps;
    uint64_t c2c_bytes;
    uint64_t chip_bytes;  /* the fullest chip's weight image, program and op stream */
    uint64_t buf_bytes;   /* activations and gather area */
    uint64_t counters[TLPU_NUM_COUNTERS];
} scale_lin;

static tlpu_status scale_of(const tlpu_net *net, const tlpu_est_opts *o, uint32_t w,
                            scale_lin *out /* net->nlinear */)
{
    tlpu_est_opts ow = *o;
    ow.mc.chips = w;
    for (uint32_t i = 0; i < net->nlinear; i++) {
        tlpu_report_layer L;
        memset(&L, 0, sizeof L);
        L.m = 1;
        L.k = net->linear[i].in;
        L.n = net->linear[i].out;
        L.fmt = o->fmt;
        uint64_t prog = 0, buf = 0;
        tlpu_status st = mc_linear(&ow, &L, NULL, &prog, &buf);
        if (st != TLPU_OK)
            return st;
        out[i].w = w;
        out[i].mc_ps = L.mc_ps;
        out[i].c2c_bytes = L.c2c_bytes;
        out[i].chip_bytes = L.chip_weight_bytes + prog;
        out[i].buf_bytes = buf;
        memcpy(out[i].counters, L.counters, sizeof L.counters);
    }
    return TLPU_OK;
}

/* the fullest chip's bytes when `layers` decoder layers sit on W chips */
static uint64_t chip_bytes(const tlpu_net *net, const scale_lin *sl, uint32_t layers)
{
    uint64_t per_layer = 0, buf = 0;
    for (uint32_t i = 0; i < net->nlinear; i++) {
        per_layer += (uint64_t)net->linear[i].repeat * sl[i].chip_bytes;
        if (sl[i].buf_bytes > buf)
            buf = sl[i].buf_bytes;
    }
    return (uint64_t)layers * per_layer + buf;
}

static int valid_mc(const tlpu_est_opts *o)
{
    tlpu_mc_system s = o->mc;
    s.chips = 1;
    return tlpu_mc_system_check(&s, NULL, 0) == TLPU_OK && o->mc.sram_bytes > 0 &&
           tlpu_hw_check(&o->hw) == TLPU_OK && o->clock_hz > 0;
}

uint32_t tlpu_estimate_min_chips(const tlpu_net *net, const tlpu_est_opts *o, uint64_t *per_chip)
{
    if (!net || !o || !valid_mc(o) || !net->nlinear || net->nlinear > TLPU_NET_MAX_LINEARS)
        return 0;
    scale_lin sl[TLPU_NET_MAX_LINEARS];
    for (uint32_t w = 1; w <= TLPU_MC_CHIPS_MAX; w++) {
        if (scale_of(net, o, w, sl) != TLPU_OK)
            return 0;
        uint64_t b = chip_bytes(net, sl, net->layers);
        if (per_chip)
            *per_chip = b;
        if (b <= o->mc.sram_bytes)
            return w;
    }
    return 0;
}

tlpu_status tlpu_estimate_scaling(const tlpu_net *net, const tlpu_est_opts *o,
                                  const tlpu_energy_table *tab, tlpu_report_scaling *out,
                                  char *err, size_t errlen)
{
    if (!net || !o || !out || !tab || !valid_mc(o) || !net->nlinear || !net->layers ||
        net->nlinear > TLPU_NET_MAX_LINEARS) {
        if (err && errlen)
            snprintf(err, errlen, "the scaling study needs a network, an energy table and an "
                                  "LPU system with SRAM per chip");
        return TLPU_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    out->sram_bytes = o->mc.sram_bytes;
    uint64_t need = 0;
    const uint32_t nmin = tlpu_estimate_min_chips(net, o, &need);
    if (!nmin) {
        if (err && errlen)
            snprintf(err, errlen, "%s does not fit even %u chips of %llu bytes of SRAM: the "
                                  "fullest needs %llu bytes",
                     net->name, TLPU_MC_CHIPS_MAX, (unsigned long long)o->mc.sram_bytes,
                     (unsigned long long)need);
        return TLPU_ERR_NOMEM;
    }
    out->min_chips = nmin;
    /* every BitLinear's weight image on one chip (what the model weighs) */
    {
        scale_lin one[TLPU_NET_MAX_LINEARS];
        tlpu_status st = scale_of(net, o, 1, one);
        if (st != TLPU_OK)
            return st;
        for (uint32_t i = 0; i < net->nlinear; i++)
            out->weight_bytes += (uint64_t)net->layers * net->linear[i].repeat * one[i].chip_bytes;
    }
    static const uint32_t k_counts[] = {1,  2,  3,  4,  5,  6,  8,  10,
                                        12, 16, 20, 24, 32, 40, 48, 64};
    uint32_t counts[TLPU_REPORT_MAX_SCALE + 1], nc = 0;
    counts[nc++] = nmin;
    for (size_t i = 0; i < sizeof k_counts / sizeof k_counts[0] && nc < TLPU_REPORT_MAX_SCALE;
         i++)
        if (k_counts[i] > nmin)
            counts[nc++] = k_counts[i];
    /* the plans over W chips, computed once per W */
    scale_lin *cache = calloc((size_t)(TLPU_MC_CHIPS_MAX + 1) * TLPU_NET_MAX_LINEARS,
                              sizeof *cache);
    if (!cache)
        return TLPU_ERR_NOMEM;
    tlpu_status st = TLPU_OK;
    const tlpu_c2c_link *l = &o->mc.c2c;
    const uint64_t handoff_bytes = tlpu_act_stride(&o->hw, net->hidden ? net->hidden
                                                                       : net->linear[0].in);
    for (uint32_t ci = 0; ci < nc && st == TLPU_OK; ci++) {
        const uint32_t n = counts[ci];
        tlpu_report_scale_row best;
        memset(&best, 0, sizeof best);
        for (uint32_t stages = 1; stages <= n && stages <= net->layers && st == TLPU_OK;
             stages++) {
            if (n % stages)
                continue;
            const uint32_t w = n / stages;
            scale_lin *sl = cache + (size_t)w * TLPU_NET_MAX_LINEARS;
            if (!sl[0].w && (st = scale_of(net, o, w, sl)) != TLPU_OK)
                break;
            const uint32_t per_stage = (net->layers + stages - 1) / stages;
            const uint64_t bytes = chip_bytes(net, sl, per_stage);
            if (bytes > o->mc.sram_bytes)
                continue;
            /* one decoder layer's schedules, the hand-off between stages */
            uint64_t layer_ps = 0, layer_c2c = 0;
            uint64_t k[TLPU_NUM_COUNTERS] = {0};
            for (uint32_t i = 0; i < net->nlinear; i++) {
                layer_ps += (uint64_t)net->linear[i].repeat * sl[i].mc_ps;
                layer_c2c += (uint64_t)net->linear[i].repeat * sl[i].c2c_bytes;
                for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++)
                    k[c] += (uint64_t)net->linear[i].repeat * sl[i].counters[c];
            }
            const uint64_t hand_ps = tlpu_c2c_time_ps(l, handoff_bytes);
            const double token_ps = (double)net->layers * (double)layer_ps +
                                    (double)(stages - 1) * (double)hand_ps;
            const double stage_ps = (double)per_stage * (double)layer_ps +
                                    (stages > 1 ? (double)hand_ps : 0.0);
            /* energy: every layer's dynamic part, the hand-offs, and all n chips
             * leaking for the token's time */
            for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++)
                k[c] *= net->layers;
            tlpu_energy_ctx ctx;
            memset(&ctx, 0, sizeof ctx);
            ctx.hw = o->hw;
            ctx.clock_hz = o->clock_hz;
            ctx.mem_pj_per_bit = o->mc.sram_pj_per_bit;
            ctx.c2c_bytes = (uint64_t)net->layers * layer_c2c + (uint64_t)(stages - 1) * handoff_bytes;
            ctx.c2c_pj_per_bit = l->pj_per_bit;
            tlpu_energy_breakdown e;
            const uint64_t leak = (uint64_t)llround((double)n * token_ps * 1e-12 * o->clock_hz);
            if ((st = tlpu_energy_of(tab, &ctx, k, leak, &e)) != TLPU_OK)
                break;
            tlpu_report_scale_row row;
            memset(&row, 0, sizeof row);
            row.chips = n;
            row.width = w;
            row.stages = stages;
            row.bytes_per_chip = bytes;
            row.ms_per_token = token_ps * 1e-9;
            row.tokens_per_s = token_ps > 0 ? 1e12 / token_ps : 0;
            row.pipeline_tokens_per_s = stage_ps > 0 ? 1e12 / stage_ps : 0;
            row.j_per_token = e.total * 1e-12;
            row.c2c_share = e.total > 0 ? e.c2c / e.total : 0;
            if (!best.chips || row.ms_per_token < best.ms_per_token)
                best = row;
        }
        if (st == TLPU_OK && best.chips)
            out->row[out->nrows++] = best;
    }
    free(cache);
    if (st != TLPU_OK)
        return st;
    double fastest = 0;
    for (uint32_t i = 0; i < out->nrows; i++) {
        out->row[i].speedup = out->row[0].ms_per_token / out->row[i].ms_per_token;
        if (!i || out->row[i].ms_per_token < fastest)
            fastest = out->row[i].ms_per_token;
    }
    for (uint32_t i = 0; i < out->nrows; i++)
        if (out->row[i].ms_per_token <= 1.1 * fastest) {
            out->knee_chips = out->row[i].chips;
            break;
        }
    return TLPU_OK;
}
