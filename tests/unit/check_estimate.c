/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_estimate - whole-model estimates (tlpu/estimate.h): each layer's
 * numbers come from the timing model of its plan, the roofline bound is
 * the larger of compute and traffic, phase totals are the sums over the
 * layers, energy totals are the sums of the components, and the footprint
 * follows the bits per weight. Also tlpu_hw_set, the shared parser of build
 * parameters. LPU systems: a layer's time is its multi-chip plan's, its
 * counters the chips' sum; the smallest chip count and the scaling study
 * follow from the plans and the SRAM size.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/energy.h"
#include "tlpu/estimate.h"
#include "tlpu/mchip.h"
#include "tlpu/timing.h"

static double bd_sum(const tlpu_energy_breakdown *b)
{
    return b->array_add + b->array_sub + b->array_skip + b->accumulate + b->decoder + b->wbuf +
           b->abuf + b->obuf + b->dram + b->link + b->c2c + b->leakage;
}

START_TEST(test_2b4t)
{
    tlpu_net net;
    ck_assert_int_eq(tlpu_net_builtin("bitnet-2b4t", &net), TLPU_OK);
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    o.prefill = 64;
    o.decode = 5;
    tlpu_energy_table *tab = NULL;
    ck_assert_int_eq(tlpu_energy_builtin("7nm", &tab), TLPU_OK);
    static tlpu_report r;
    static tlpu_tiling plans[TLPU_REPORT_MAX_LAYERS];
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, tab, &r, plans), TLPU_OK);
    ck_assert_uint_eq(r.nlayers, 14);
    uint64_t pf = 0, dc = 0, macs = 0;
    for (uint32_t i = 0; i < r.nlayers; i++) {
        const tlpu_report_layer *L = &r.layer[i];
        int dec = !strcmp(L->phase, "decode");
        ck_assert_uint_eq(L->m, dec ? 1 : 64);
        ck_assert_uint_eq(L->count, 30);
        /* the cycles are the plan's exact prediction */
        ck_assert_uint_eq(L->cycles, plans[i].predicted_cycles);
        ck_assert_uint_eq(L->counters[TLPU_CNTI_CYCLES], L->cycles);
        /* lanes: adds + subs + skips = every lane of every busy cycle */
        ck_assert_uint_eq(L->counters[TLPU_CNTI_LANE_ADDS] + L->counters[TLPU_CNTI_LANE_SUBS] +
                              L->counters[TLPU_CNTI_LANE_SKIPS],
                          (uint64_t)o.hw.rows * o.hw.cols * L->counters[TLPU_CNTI_BUSY_CYCLES]);
        /* the roofline */
        ck_assert(fabs(L->compute_cycles - (double)L->m * L->k * L->n / 2560.0) < 1e-6);
        ck_assert_int_eq(L->compute_bound, L->compute_cycles >= L->memory_cycles);
        ck_assert(L->utilization > 0 && L->utilization <= 1);
        /* decode is bound by the weight stream; this prefill by the array (k/v
         * with base-3 weights sit on the ridge: 40960 cycles either way, and
         * the program's own bytes tip them to memory) */
        if (dec || L->n != 640)
            ck_assert_int_eq(L->compute_bound, !dec);
        ck_assert(fabs(L->energy.total - bd_sum(&L->energy)) <= 1e-9 * L->energy.total);
        *(dec ? &dc : &pf) += (uint64_t)L->count * L->cycles * (dec ? o.decode : 1);
        macs += (uint64_t)L->count * L->m * L->k * L->n * (dec ? o.decode : 1);
    }
    ck_assert_uint_eq(r.prefill.cycles, pf);
    ck_assert_uint_eq(r.decode.cycles, dc);
    ck_assert_uint_eq(r.prefill.macs + r.decode.macs, macs);
    ck_assert(fabs(r.prefill.seconds - pf / o.clock_hz) < 1e-12);
    ck_assert(fabs(r.prefill.energy.total - bd_sum(&r.prefill.energy)) <=
              1e-9 * r.prefill.energy.total);
    ck_assert(fabs(r.decode.joules_per_token * o.decode - r.decode.energy.total * 1e-12) <
              1e-9 * r.decode.energy.total * 1e-12);
    ck_assert(fabs(r.paper_ratio - 0.5 / 0.007) < 1e-6);
    /* the baselines cost more than tlpu's arithmetic */
    ck_assert(r.prefill.fp16_arith_pj > r.prefill.int8_arith_pj);
    ck_assert(r.prefill.int8_arith_pj > r.prefill.tlpu_arith_pj);
    /* footprint: 2,084,044,800 BitLinear weights */
    ck_assert_uint_eq(r.footprint.params, 2084044800ull);
    ck_assert_uint_eq(r.footprint.fp16, 2 * r.footprint.params);
    ck_assert_uint_eq(r.footprint.two_bit, r.footprint.params / 4);
    ck_assert_uint_eq(r.footprint.base3, r.footprint.params / 5);
    tlpu_energy_free(tab);
}
END_TEST

START_TEST(test_errors)
{
    tlpu_net net;
    ck_assert_int_eq(tlpu_net_builtin("bitnet-0.7b", &net), TLPU_OK);
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    static tlpu_report r;
    o.hw.rows = 6; /* not a buildable core */
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, NULL, &r, NULL), TLPU_ERR_INVALID_ARG);
    tlpu_est_opts_init(&o);
    o.fmt = 9;
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, NULL, &r, NULL), TLPU_ERR_INVALID_ARG);
    tlpu_est_opts_init(&o);
    o.clock_hz = 0;
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, NULL, &r, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_estimate_net(NULL, &o, NULL, &r, NULL), TLPU_ERR_INVALID_ARG);
    /* without an energy table: cycles but no energy */
    tlpu_est_opts_init(&o);
    o.decode = 0;
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, NULL, &r, NULL), TLPU_OK);
    ck_assert_uint_eq(r.nlayers, 7);
    ck_assert(r.prefill.cycles > 0);
    ck_assert(r.prefill.energy.total == 0);
}
END_TEST

START_TEST(test_hw_set)
{
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    ck_assert_int_eq(tlpu_hw_set(&hw, "rows", 64), TLPU_OK);
    ck_assert_int_eq(tlpu_hw_set(&hw, "cols", 160), TLPU_OK);
    ck_assert_int_eq(tlpu_hw_set(&hw, "wbuf", 256), TLPU_OK);
    ck_assert_uint_eq(hw.rows, 64);
    ck_assert_uint_eq(hw.cols, 160);
    ck_assert_uint_eq(hw.wbuf_chunks, 256);
    tlpu_hw before = hw;
    ck_assert_int_eq(tlpu_hw_set(&hw, "rows", 2000), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_hw_set(&hw, "queue", 1), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_hw_set(&hw, "colour", 1), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_hw_set(NULL, "rows", 4), TLPU_ERR_INVALID_ARG);
    ck_assert_mem_eq(&hw, &before, sizeof hw);
    uint64_t lo, hi;
    ck_assert_int_eq(tlpu_hw_param_range("obuf", &lo, &hi), TLPU_OK);
    ck_assert_uint_eq(lo, 3);
    ck_assert_int_eq(tlpu_hw_param_range("nope", &lo, &hi), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(tlpu_hw_param_names(), "burst"));
}
END_TEST

/* a small network: fast to plan on many chip counts */
static tlpu_net small_net(void)
{
    tlpu_net net;
    memset(&net, 0, sizeof net);
    snprintf(net.name, sizeof net.name, "small");
    net.layers = 6;
    net.hidden = 512;
    net.nlinear = 2;
    net.linear[0] = (tlpu_net_linear){"up", 512, 1536, 1};
    net.linear[1] = (tlpu_net_linear){"down", 1536, 512, 2};
    return net;
}

START_TEST(test_lpu_layer)
{
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    tlpu_mc_system_default(&o.mc);
    o.mc.chips = 3 + (uint32_t)_i;
    o.mc.topology = _i ? TLPU_MC_FULL : TLPU_MC_RING;
    tlpu_report_layer L;
    memset(&L, 0, sizeof L);
    L.m = 2, L.k = 1000, L.n = 700, L.fmt = TLPU_FMT_PACK3;
    ck_assert_int_eq(tlpu_estimate_linear(&o, &L, NULL), TLPU_OK);
    /* the plan's numbers, and every chip's counters from its own slice */
    tlpu_mc_plan P;
    ck_assert_int_eq(tlpu_mc_plan_bitlinear(&o.mc, &o.hw, o.mem_latency, 2, 1000, 700,
                                            TLPU_FMT_PACK3, o.effort, NULL, &P),
                     TLPU_OK);
    ck_assert_uint_eq(L.mc_ps, P.total_ps);
    ck_assert_uint_eq(L.c2c_bytes, P.c2c_bytes);
    ck_assert_uint_eq(L.chips_used, P.used);
    ck_assert_uint_eq(L.cycles, P.sum_cycles);
    uint64_t cyc = 0, w = 0;
    for (uint32_t c = 0; c < o.mc.chips; c++) {
        if (!P.slice[c].n)
            continue;
        tlpu_report_layer one;
        memset(&one, 0, sizeof one);
        one.m = 2, one.k = 1000, one.n = P.slice[c].n, one.fmt = TLPU_FMT_PACK3;
        tlpu_est_opts o1 = o;
        o1.mc.chips = 0;
        ck_assert_int_eq(tlpu_estimate_linear(&o1, &one, NULL), TLPU_OK);
        cyc += one.counters[TLPU_CNTI_CYCLES];
        if (P.slice[c].t.weight_bytes > w)
            w = P.slice[c].t.weight_bytes;
    }
    ck_assert_uint_eq(L.counters[TLPU_CNTI_CYCLES], cyc);
    ck_assert_uint_eq(L.chip_weight_bytes, w);
    /* more chips: less time per chip, more bytes on the links */
    tlpu_report_layer L2 = L;
    o.mc.chips *= 2;
    ck_assert_int_eq(tlpu_estimate_linear(&o, &L2, NULL), TLPU_OK);
    ck_assert_uint_lt(L2.chip_weight_bytes, L.chip_weight_bytes);
    ck_assert_uint_gt(L2.c2c_bytes, L.c2c_bytes);
}
END_TEST

START_TEST(test_lpu_net)
{
    tlpu_net net = small_net();
    tlpu_energy_table *tab = NULL;
    ck_assert_int_eq(tlpu_energy_builtin("7nm", &tab), TLPU_OK);
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    tlpu_mc_system_default(&o.mc);
    o.prefill = 0;
    o.decode = 3;
    o.mem_latency = 2;
    /* the smallest count: the first whose fullest chip fits */
    uint64_t need1 = 0, need = 0;
    o.mc.sram_bytes = 1ull << 30;
    ck_assert_uint_eq(tlpu_estimate_min_chips(&net, &o, &need1), 1);
    o.mc.sram_bytes = need1 - 1;
    uint32_t n = tlpu_estimate_min_chips(&net, &o, &need);
    ck_assert_uint_gt(n, 1);
    ck_assert_uint_le(need, need1 - 1);
    o.mc.sram_bytes = need;
    ck_assert_uint_eq(tlpu_estimate_min_chips(&net, &o, NULL), n);
    o.mc.sram_bytes = need - 1;
    ck_assert_uint_gt(tlpu_estimate_min_chips(&net, &o, NULL), n);
    o.mc.sram_bytes = 4096;
    ck_assert_uint_eq(tlpu_estimate_min_chips(&net, &o, &need), 0);
    tlpu_report_scaling sc;
    char err[256];
    ck_assert_int_eq(tlpu_estimate_scaling(&net, &o, tab, &sc, err, sizeof err), TLPU_ERR_NOMEM);
    ck_assert_ptr_nonnull(strstr(err, "does not fit even 64 chips"));

    /* the study: rows from the smallest count, each layout fits, S = 1 rows
     * are the layers' schedules summed */
    o.mc.sram_bytes = need1 / 3;
    ck_assert_int_eq(tlpu_estimate_scaling(&net, &o, tab, &sc, err, sizeof err), TLPU_OK);
    const uint32_t nmin = tlpu_estimate_min_chips(&net, &o, NULL);
    ck_assert_uint_eq(sc.min_chips, nmin);
    ck_assert_uint_eq(sc.row[0].chips, nmin);
    ck_assert_uint_ge(sc.nrows, 5);
    double best = 1e30;
    for (uint32_t i = 0; i < sc.nrows; i++) {
        const tlpu_report_scale_row *w = &sc.row[i];
        ck_assert_uint_eq(w->width * w->stages, w->chips);
        ck_assert_uint_le(w->bytes_per_chip, o.mc.sram_bytes);
        if (i)
            ck_assert_uint_gt(w->chips, sc.row[i - 1].chips);
        ck_assert(fabs(w->tokens_per_s * w->ms_per_token - 1000.0) < 1e-6);
        ck_assert(w->pipeline_tokens_per_s >= w->tokens_per_s * (1 - 1e-12));
        ck_assert(w->j_per_token > 0 && w->c2c_share >= 0 && w->c2c_share < 1);
        if (w->ms_per_token < best)
            best = w->ms_per_token;
        if (w->stages == 1) { /* the layers' schedules, summed */
            tlpu_est_opts ow = o;
            ow.mc.chips = w->width;
            double ps = 0;
            for (uint32_t l = 0; l < net.nlinear; l++) {
                tlpu_report_layer L;
                memset(&L, 0, sizeof L);
                L.m = 1, L.k = net.linear[l].in, L.n = net.linear[l].out, L.fmt = o.fmt;
                ck_assert_int_eq(tlpu_estimate_linear(&ow, &L, NULL), TLPU_OK);
                ps += (double)net.linear[l].repeat * (double)L.mc_ps;
            }
            ck_assert(fabs(w->ms_per_token - ps * net.layers * 1e-9) < 1e-12);
        }
    }
    /* the knee: the fewest chips within 10% of the best */
    for (uint32_t i = 0; i < sc.nrows; i++) {
        if (sc.row[i].chips < sc.knee_chips)
            ck_assert(sc.row[i].ms_per_token > 1.1 * best);
        if (sc.row[i].chips == sc.knee_chips)
            ck_assert(sc.row[i].ms_per_token <= 1.1 * best);
    }
    /* a whole report on such a system: decode time is the schedules' */
    o.mc.chips = nmin;
    static tlpu_report r;
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, tab, &r, NULL), TLPU_OK);
    double sec = 0;
    for (uint32_t i = 0; i < r.nlayers; i++)
        sec += (double)r.layer[i].mc_ps * 1e-12 * r.layer[i].count * o.decode;
    ck_assert(fabs(r.decode.seconds - sec) <= 1e-12 * sec);
    ck_assert(r.decode.energy.c2c > 0);
    ck_assert(r.decode.energy.link == 0);
    ck_assert(fabs(r.decode.energy.total - bd_sum(&r.decode.energy)) <= 1e-9 * r.decode.energy.total);
    tlpu_energy_free(tab);
}
END_TEST

/* end to end on the board: each layer's resident call, count x runs times */
START_TEST(test_end_to_end)
{
    tlpu_net net = small_net();
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    o.prefill = 3;
    o.decode = 5;
    static tlpu_report r;
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, NULL, &r, NULL), TLPU_OK);
    ck_assert(!r.prefill.has_e2e && !r.decode.has_e2e);
    double want[2] = {0, 0}, want_link[2] = {0, 0};
    for (uint32_t i = 0; i < r.nlayers; i++) {
        tlpu_report_layer *L = &r.layer[i];
        L->has_resident = 1;
        L->resident.link_s = 1e-4 * (i + 1);
        L->resident.core_s = 3e-6 * (i + 2);
        L->resident.total_s = L->resident.link_s + L->resident.core_s;
        L->resident.dram_j = 1e-5;
        int dec = !strcmp(L->phase, "decode");
        want[dec] += (double)L->count * (dec ? 5 : 1) * L->resident.total_s;
        want_link[dec] += (double)L->count * (dec ? 5 : 1) * L->resident.link_s;
    }
    ck_assert_int_eq(tlpu_estimate_totals(&net, &o, NULL, &r), TLPU_OK);
    ck_assert(r.prefill.has_e2e && r.decode.has_e2e);
    ck_assert(fabs(r.prefill.e2e.total_s - want[0]) <= 1e-15);
    ck_assert(fabs(r.decode.e2e.total_s - want[1]) <= 1e-15);
    ck_assert(fabs(r.decode.e2e.link_s - want_link[1]) <= 1e-15);
    ck_assert(fabs(r.decode.e2e.total_s - r.decode.e2e.link_s - r.decode.e2e.core_s) <= 1e-15);
    /* one decode layer without a resident call: no end-to-end figure for decode */
    r.layer[r.nlayers - 1].has_resident = 0;
    ck_assert_int_eq(tlpu_estimate_totals(&net, &o, NULL, &r), TLPU_OK);
    ck_assert(r.prefill.has_e2e && !r.decode.has_e2e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("estimate");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_2b4t);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_hw_set);
    tcase_add_loop_test(tc, test_lpu_layer, 0, 2);
    tcase_add_test(tc, test_lpu_net);
    tcase_add_test(tc, test_end_to_end);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
