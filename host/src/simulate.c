/* SPDX-License-Identifier: Apache-2.0 */
/* simulate.c - one estimated BitLinear run on a device (tlpu/simulate.h). */
#include "tlpu/simulate.h"
#include "errbuf.h"

#include <stdlib.h>
#include <string.h>

#include "tlpu/bitlinear.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"

tlpu_status tlpu_simulate_layer(tlpu_dev *dev, const char *uri, tlpu_report_layer *L,
                                const tlpu_tiling *plan, double zero_frac, uint64_t seed,
                                char *err, size_t errlen)
{
    if (!dev || !uri || !L)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_simulate_layer: NULL argument");
    if (!(zero_frac >= 0 && zero_frac <= 1) || !L->m || !L->k || !L->n)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                           "tlpu_simulate_layer: bad layer shape or zero fraction");
    size_t m = L->m, k = L->k, n = L->n, rb = tlpu_packed_row_bytes(L->fmt, L->k);
    int8_t *x = malloc(m * k), *w = malloc(n * k);
    uint8_t *wp = malloc(n * rb);
    int32_t *y = malloc(m * n * sizeof *y), *ref = malloc(m * n * sizeof *ref);
    tlpu_status rc = TLPU_OK;
    if (!x || !w || !wp || !y || !ref) {
        rc = tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "%s: out of memory", L->name);
        goto out;
    }
    tlpu_rng r = tlpu_rng_seed(seed);
    for (size_t i = 0; i < m * k; i++)
        x[i] = (int8_t)(tlpu_rng_next(&r) & 0xFF);
    for (size_t i = 0; i < n * k; i++) {
        double u = tlpu_rng_uniform(&r);
        w[i] = u < zero_frac ? 0 : (u < zero_frac + (1 - zero_frac) / 2 ? 1 : -1);
    }
    for (size_t i = 0; i < n; i++)
        if ((L->fmt == TLPU_FMT_PACK3 ? tlpu_pack3(w + i * k, k, wp + i * rb, rb)
                                      : tlpu_pack2(w + i * k, k, wp + i * rb, rb)) != TLPU_OK) {
            rc = tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "%s: packing weights failed",
                             L->name);
            goto out;
        }
    tlpu_bitlinear_args a = {L->m, L->k, L->n, x, L->fmt, wp, y, NULL, 0.0f, NULL,
                             plan ? &plan->sched : NULL};
    tlpu_bitlinear_stats s;
    tlpu_dev_time t0, t1;
    L->has_board = tlpu_get_time(dev, &t0) == TLPU_OK; /* sc: models the board's time */
    tlpu_status st = tlpu_dev_bitlinear(dev, &a, &s);
    if (st == TLPU_OK && L->has_board && tlpu_get_time(dev, &t1) == TLPU_OK) {
        tlpu_dev_time d;
        tlpu_time_since(&t1, &t0, &d);
        L->board_s = d.total_s;
        L->link_s = d.link_s;
        L->fw_s = d.fw_s;
        L->dram_s = d.dram_s;
        L->core_s = d.core_s;
        L->link_j = d.link_j;
        L->dram_j = d.dram_j;
        L->sim_mc_ps = d.mc_ps; /* an LPU system's schedule */
        L->c2c_s = d.c2c_s;
        L->c2c_j = d.c2c_j;
    }
    if (st != TLPU_OK) {
        rc = tlpu_errbuf(err, errlen, st, "%s %s %ux%ux%u on %s: %s", L->name, L->phase, L->m,
                         L->k, L->n, uri, tlpu_last_error());
        goto out;
    }
    if ((st = tlpu_bitlinear(m, k, n, x, w, ref)) != TLPU_OK) {
        rc = tlpu_errbuf(err, errlen, st, "%s: the reference BitLinear failed", L->name);
        goto out;
    }
    L->sim_exact = memcmp(y, ref, m * n * sizeof *y) == 0;
    /* with the weights resident: what a deployed model pays per call */
    if (L->has_board) {
        tlpu_dev_layer *RL = NULL;
        tlpu_dev_time r0, r1;
        st = tlpu_dev_layer_load(dev, L->m, L->k, L->n, L->fmt, wp, a.sched, &RL);
        if (st == TLPU_OK && (st = tlpu_get_time(dev, &r0)) == TLPU_OK &&
            (st = tlpu_dev_layer_run(RL, x, y, NULL, 0.0f, NULL, NULL)) == TLPU_OK &&
            (st = tlpu_get_time(dev, &r1)) == TLPU_OK) {
            tlpu_dev_time d;
            tlpu_time_since(&r1, &r0, &d);
            L->resident = (tlpu_report_board){d.total_s, d.link_s, d.fw_s, d.dram_s, d.core_s,
                                              d.c2c_s,   d.link_j, d.dram_j, d.c2c_j};
            L->has_resident = memcmp(y, ref, m * n * sizeof *y) == 0;
        }
        tlpu_dev_layer_free(RL);
        if (st != TLPU_OK || !L->has_resident) {
            rc = tlpu_errbuf(err, errlen, st != TLPU_OK ? st : TLPU_ERR_DEVICE,
                             "%s %s with resident weights on %s: %s", L->name, L->phase, uri,
                             st != TLPU_OK ? tlpu_last_error()
                                           : "outputs differ from the reference");
            goto out;
        }
    }
    L->simulated = 1;
    snprintf(L->device, sizeof L->device, "%s", uri);
    L->sim_cycles = s.cycles;
    L->sim_counters_agree = 1;
    for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++)
        if (c != TLPU_CNTI_LANE_ADDS && c != TLPU_CNTI_LANE_SUBS && c != TLPU_CNTI_LANE_SKIPS &&
            s.counters[c] != L->counters[c])
            L->sim_counters_agree = 0;
    /* the measured activity of the real data */
    L->counters[TLPU_CNTI_LANE_ADDS] = s.counters[TLPU_CNTI_LANE_ADDS];
    L->counters[TLPU_CNTI_LANE_SUBS] = s.counters[TLPU_CNTI_LANE_SUBS];
    L->counters[TLPU_CNTI_LANE_SKIPS] = s.counters[TLPU_CNTI_LANE_SKIPS];
out:
    free(x);
    free(w);
    free(wp);
    free(y);
    free(ref);
    return rc;
}
