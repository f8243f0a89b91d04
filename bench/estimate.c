/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/estimate - how long a whole-model estimate takes (tlpu report
 * --engine estimate): every built-in model, prefill 64 + decode 64, on the
 * default core, with the quick and the full schedule search, and how much
 * the full search gains. One thread; wall time of one run each.
 *
 *   build/bench/estimate
 */
#include <stdio.h>
#include <time.h>

#include "tlpu/estimate.h"
#include "tlpu/net.h"

#include "bench.h"

int main(void)
{
    static tlpu_report r;
    tlpu_energy_table *tab = NULL;
    if (tlpu_energy_builtin("7nm", &tab) != TLPU_OK)
        return 1;
    printf("| model | search | wall s | prefill cycles | decode cycles/token |\n");
    printf("|---|---|---|---|---|\n");
    for (const char *const *name = tlpu_net_builtin_names(); *name; name++) {
        tlpu_net net;
        tlpu_net_builtin(*name, &net);
        uint64_t quick_pf = 0;
        for (int effort = 0; effort < 2; effort++) {
            tlpu_est_opts o;
            tlpu_est_opts_init(&o);
            o.prefill = 64;
            o.decode = 64;
            o.effort = effort == 0 ? TLPU_TILE_QUICK : TLPU_TILE_FULL;
            double t0 = bench_now();
            tlpu_status st = tlpu_estimate_net(&net, &o, tab, &r, NULL);
            double t1 = bench_now();
            if (st != TLPU_OK) {
                printf("| %s | %s | failed: %s | | |\n", *name, effort ? "full" : "quick",
                       tlpu_strerror(st));
                continue;
            }
            if (effort == 0)
                quick_pf = r.prefill.cycles;
            printf("| %s | %s | %.3f | %llu | %llu |\n", *name, effort ? "full" : "quick",
                   t1 - t0, (unsigned long long)r.prefill.cycles,
                   (unsigned long long)(r.decode.cycles / 64));
            if (effort == 1 && quick_pf)
                printf("| | full/quick prefill cycles | | %.4f | |\n",
                       (double)r.prefill.cycles / (double)quick_pf);
        }
    }
    tlpu_energy_free(tab);
    return 0;
}
