/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_estimate - whole-model estimates (tlpu/estimate.h): each layer's
 * numbers come from the timing model of its plan, the roofline bound is
 * the larger of compute and traffic, phase totals are the sums over the
 * layers, energy totals are the sums of the components, and the footprint
 * follows the bits per weight. Also tlpu_hw_set, the shared parser of build
 * parameters.
 */
#include <math.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/estimate.h"
#include "tlpu/timing.h"

static double bd_sum(const tlpu_energy_breakdown *b)
{
    return b->array_add + b->array_sub + b->array_skip + b->accumulate + b->decoder + b->wbuf +
           b->abuf + b->obuf + b->dram + b->link + b->leakage;
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

int main(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("estimate");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_2b4t);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_hw_set);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
