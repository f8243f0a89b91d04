/* SPDX-License-Identifier: Apache-2.0 */
/* estimate.c - whole-model estimates (tlpu/estimate.h). */
#include "tlpu/estimate.h"

#include <math.h>
#include <stdio.h>
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

tlpu_status tlpu_estimate_linear(const tlpu_est_opts *o, tlpu_report_layer *L, tlpu_tiling *plan)
{
    if (!o || !L || !(o->clock_hz > 0) || !(o->zero_frac >= 0 && o->zero_frac <= 1))
        return TLPU_ERR_INVALID_ARG;
    tlpu_tiling t;
    tlpu_status st = tlpu_tile_bitlinear_effort(&o->hw, L->m, L->k, L->n, L->fmt, o->mem_latency,
                                                o->effort, &t);
    if (st != TLPU_OK)
        return st;
    tlpu_bitlinear_addrs a;
    a.act_stride = tlpu_act_stride(&o->hw, L->k);
    a.out_stride = tlpu_out_stride(&o->hw, L->n);
    a.weights = 0;
    a.act = up(t.weight_bytes, 256);
    a.out = up(a.act + (uint64_t)L->m * a.act_stride, 256);
    tlpu_program p;
    tlpu_program_init(&p);
    st = tlpu_compile_bitlinear(&o->hw, &t, &a, &p);
    tlpu_timing tm;
    if (st == TLPU_OK) {
        tlpu_timing_cfg c;
        tlpu_timing_cfg_init(&c, &o->hw);
        c.mem_latency = o->mem_latency;
        st = tlpu_timing_run(&c, p.insns, p.n, &tm);
        if (st == TLPU_OK && (tm.hw_error || tm.counters[TLPU_CNTI_CYCLES] != t.predicted_cycles))
            st = TLPU_ERR_SHAPE; /* the tiler and the model disagree: a bug */
    }
    tlpu_program_free(&p);
    if (st != TLPU_OK)
        return st;
    memcpy(L->counters, tm.counters, sizeof L->counters);
    const double lanes = (double)o->hw.rows * o->hw.cols;
    const uint64_t total = (uint64_t)lanes * tm.counters[TLPU_CNTI_BUSY_CYCLES];
    const double macs = (double)L->m * L->k * L->n;
    uint64_t adds = (uint64_t)llround(macs * (1.0 - o->zero_frac) / 2.0);
    if (2 * adds > total)
        adds = total / 2;
    L->counters[TLPU_CNTI_LANE_ADDS] = adds;
    L->counters[TLPU_CNTI_LANE_SUBS] = adds;
    L->counters[TLPU_CNTI_LANE_SKIPS] = total - 2 * adds;
    L->cycles = tm.counters[TLPU_CNTI_CYCLES];
    L->utilization = L->cycles ? macs / (lanes * (double)L->cycles) : 0;
    L->compute_cycles = macs / lanes;
    L->memory_cycles = (double)(tm.counters[TLPU_CNTI_DRAM_RD_BYTES] +
                                tm.counters[TLPU_CNTI_DRAM_WR_BYTES]) /
                       o->hw.beat_bytes;
    L->compute_bound = L->compute_cycles >= L->memory_cycles;
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
            tlpu_status st = tlpu_energy_of(tab, &ctx, L->counters, L->cycles, &L->energy);
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
        ph->macs += (uint64_t)llround(reps * (double)L->m * L->k * L->n);
        add_bd(&ph->energy, &L->energy, reps);
        ph->fp16_arith_pj += reps * fp16_a;
        ph->fp16_system_pj += reps * fp16_s;
        ph->int8_arith_pj += reps * int8_a;
        ph->int8_system_pj += reps * int8_s;
        ph->tlpu_arith_pj += reps * tl_a;
    }
    tlpu_report_phase *phs[2] = {&r->prefill, &r->decode};
    for (int i = 0; i < 2; i++) {
        tlpu_report_phase *ph = phs[i];
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
    return tlpu_estimate_totals(net, o, tab, r);
}
