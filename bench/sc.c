/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/sc - what the SystemC layer costs: the same BitLinears (BitNet
 * b1.58 2B4T shapes, base-3 weights, the default core) through sc: (the
 * board as a SystemC/TLM-2.0 platform, link usb3, DRAM ddr4-3200) and
 * through sim: (the plain Verilated harness with the same DRAM latency,
 * 45 cycles), run in pairs, alternating. The schedule is planned once per
 * shape, outside the timed region. For each: wall time (median of the
 * pairs), core cycles per wall-second, the SystemC layer's cost (sc: wall
 * over sim: wall, minus one), and the board time sc: simulates with its
 * split. Both must give the same core cycles.
 *
 * Then LPU systems (sc:chips=N, ring of serdes links, 64 MiB SRAM per chip):
 * the same layers resident and split over N = 1, 4 and 16 chips of the
 * functional core (and 1 and 4 Verilated ones): wall time per run (median),
 * the chips' simulated cycles per wall-second, and the simulated schedule.
 *
 *   build/bench/sc [--pairs N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlpu/pack.h"
#include "tlpu/rng.h"
#include "tlpu/tiler.h"
#include "tlpu/tlpu.h"

#include "bench.h"

static void die(const char *what)
{
    fprintf(stderr, "sc: %s: %s\n", what, tlpu_last_error());
    exit(1);
}

typedef struct shape {
    const char *name;
    uint32_t m, k, n;
} shape;

static const shape k_shapes[] = {
    {"k/v_proj decode", 1, 2560, 640},
    {"q/o_proj decode", 1, 2560, 2560},
    {"k/v_proj prefill 16", 16, 2560, 640},
    {"down_proj decode", 1, 6912, 2560},
};

int main(int argc, char **argv)
{
    int pairs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pairs") && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            pairs = atoi(argv[++i]);
        } else {
            fprintf(stderr, "sc: unexpected argument '%s'\nusage: sc [--pairs N]\n", argv[i]);
            return 2;
        }
    }
    if (pairs > 15)
        pairs = 15;
    tlpu_dev *sc = NULL, *sim = NULL;
    if (tlpu_open("sc:link=usb3,dram=ddr4-3200", &sc) != TLPU_OK)
        die("open sc:");
    if (tlpu_open("sim:latency=45", &sim) != TLPU_OK)
        die("open sim:");
    tlpu_dev_info info;
    tlpu_get_info(sc, &info);
    printf("| shape | M x K x N | core cycles | sim: wall s | sc: wall s | sim: Mcycles/s | "
           "sc: Mcycles/s | SystemC cost | board time us (link / fw / DRAM / core) |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    double worst = 0;
    double resident_us[4], upload_us[4], core_us[4];
    for (size_t si = 0; si < sizeof k_shapes / sizeof k_shapes[0]; si++) {
        const shape *sh = &k_shapes[si];
        size_t rb = tlpu_packed_row_bytes(TLPU_FMT_PACK3, sh->k);
        int8_t *x = malloc((size_t)sh->m * sh->k), *w = malloc((size_t)sh->n * sh->k);
        uint8_t *wp = malloc(sh->n * rb);
        int32_t *y = malloc((size_t)sh->m * sh->n * 4);
        if (!x || !w || !wp || !y)
            die("out of memory");
        tlpu_rng r = tlpu_rng_seed(si + 1);
        for (size_t i = 0; i < (size_t)sh->m * sh->k; i++)
            x[i] = (int8_t)tlpu_rng_next(&r);
        for (size_t i = 0; i < (size_t)sh->n * sh->k; i++)
            w[i] = (int8_t)((int)(tlpu_rng_next(&r) % 3) - 1);
        for (size_t i = 0; i < sh->n; i++)
            tlpu_pack3(w + i * sh->k, sh->k, wp + i * rb, rb);
        tlpu_tiling t;
        if (tlpu_tile_bitlinear_effort(&info.hw, sh->m, sh->k, sh->n, TLPU_FMT_PACK3,
                                       info.mem_latency, TLPU_TILE_FULL, &t) != TLPU_OK)
            die("tiling");
        tlpu_bitlinear_args a = {sh->m, sh->k, sh->n, x, TLPU_FMT_PACK3, wp, y,
                                 NULL, 0, NULL, &t.sched};
        double ws[15], wc[15];
        tlpu_bitlinear_stats s1, s2;
        tlpu_dev_time b0, b1;
        for (int p = 0; p < pairs; p++) {
            double t0 = bench_now();
            if (tlpu_dev_bitlinear(sim, &a, &s1) != TLPU_OK)
                die("sim: BitLinear");
            double t1 = bench_now();
            tlpu_get_time(sc, &b0);
            double t2 = bench_now();
            if (tlpu_dev_bitlinear(sc, &a, &s2) != TLPU_OK)
                die("sc: BitLinear");
            double t3 = bench_now();
            tlpu_get_time(sc, &b1);
            ws[p] = t1 - t0;
            wc[p] = t3 - t2;
            if (s1.cycles != s2.cycles) {
                fprintf(stderr, "sc: %s: core cycles differ: sim: %llu, sc: %llu\n", sh->name,
                        (unsigned long long)s1.cycles, (unsigned long long)s2.cycles);
                return 1;
            }
        }
        /* the same call with the weights resident on the board */
        tlpu_dev_layer *L = NULL;
        if (tlpu_dev_layer_load(sc, sh->m, sh->k, sh->n, TLPU_FMT_PACK3, wp, &t.sched, &L) !=
            TLPU_OK)
            die("sc: loading the weights");
        tlpu_dev_time r0, r1;
        tlpu_get_time(sc, &r0);
        if (tlpu_dev_layer_run(L, x, y, NULL, 0, NULL, NULL) != TLPU_OK)
            die("sc: resident run");
        tlpu_get_time(sc, &r1);
        tlpu_dev_layer_free(L);
        resident_us[si] = 1e6 * (r1.total_s - r0.total_s);
        upload_us[si] = 1e6 * (b1.total_s - b0.total_s);
        core_us[si] = (double)s2.cycles / 1e3; /* at the 1 GHz clock */
        qsort(ws, (size_t)pairs, sizeof *ws, bench_cmp_double);
        qsort(wc, (size_t)pairs, sizeof *wc, bench_cmp_double);
        double ms = ws[pairs / 2], mc = wc[pairs / 2], cost = mc / ms - 1;
        if (cost > worst)
            worst = cost;
        printf("| %s | %ux%ux%u | %llu | %.3f | %.3f | %.2f | %.2f | %+.1f%% | %.1f (%.1f / %.1f / "
               "%.1f / %.1f) |\n",
               sh->name, sh->m, sh->k, sh->n, (unsigned long long)s2.cycles, ms, mc,
               1e-6 * (double)s1.cycles / ms, 1e-6 * (double)s2.cycles / mc, 100 * cost,
               1e6 * (b1.total_s - b0.total_s), 1e6 * (b1.link_s - b0.link_s),
               1e6 * (b1.fw_s - b0.fw_s), 1e6 * (b1.dram_s - b0.dram_s),
               1e6 * (b1.core_s - b0.core_s));
        fflush(stdout);
        free(x);
        free(w);
        free(wp);
        free(y);
    }
    printf("\nlargest SystemC cost over the plain harness: %+.1f%% (medians of %d pairs, run "
           "alternately; the wall time includes the driver, the firmware and every packet, and "
           "sc: also simulates the core running while the link is busy)\n",
           100 * worst, pairs);
    printf("\n| shape | core us | board us, weights sent each call | board us, weights "
           "resident |\n|---|---|---|---|\n");
    for (size_t si = 0; si < sizeof k_shapes / sizeof k_shapes[0]; si++)
        printf("| %s | %.1f | %.1f | %.1f |\n", k_shapes[si].name, core_us[si], upload_us[si],
               resident_us[si]);
    tlpu_close(sc);
    tlpu_close(sim);

    /* LPU systems: how fast the platform simulates N chips */
    printf("\n| system | shape | wall ms per run | chips' Mcycles/s | schedule us | "
           "wall per run vs 1 chip |\n|---|---|---|---|---|---|\n");
    static const struct {
        uint32_t chips;
        const char *core;
    } sys[] = {{1, "model"}, {4, "model"}, {16, "model"}, {1, "rtl"}, {4, "rtl"}};
    static const size_t lpu_shapes[] = {1, 2, 3};
    double base[2][4] = {{0}};
    for (size_t yi = 0; yi < sizeof sys / sizeof sys[0]; yi++) {
        char uri[96];
        snprintf(uri, sizeof uri, "sc:chips=%u,core=%s,sram=64M", sys[yi].chips, sys[yi].core);
        tlpu_dev *d = NULL;
        if (tlpu_open(uri, &d) != TLPU_OK)
            die(uri);
        for (size_t li = 0; li < sizeof lpu_shapes / sizeof lpu_shapes[0]; li++) {
            const shape *sh = &k_shapes[lpu_shapes[li]];
            size_t rb = tlpu_packed_row_bytes(TLPU_FMT_PACK3, sh->k);
            int8_t *x = malloc((size_t)sh->m * sh->k), *w = malloc((size_t)sh->n * sh->k);
            uint8_t *wp = malloc(sh->n * rb);
            int32_t *y = malloc((size_t)sh->m * sh->n * 4);
            if (!x || !w || !wp || !y)
                die("out of memory");
            tlpu_rng r = tlpu_rng_seed(li + 7);
            for (size_t i = 0; i < (size_t)sh->m * sh->k; i++)
                x[i] = (int8_t)tlpu_rng_next(&r);
            for (size_t i = 0; i < (size_t)sh->n * sh->k; i++)
                w[i] = (int8_t)((int)(tlpu_rng_next(&r) % 3) - 1);
            for (size_t i = 0; i < sh->n; i++)
                tlpu_pack3(w + i * sh->k, sh->k, wp + i * rb, rb);
            tlpu_dev_layer *L = NULL;
            if (tlpu_dev_layer_load(d, sh->m, sh->k, sh->n, TLPU_FMT_PACK3, wp, NULL, &L) !=
                TLPU_OK)
                die("loading a layer on the chips");
            double wt[15];
            tlpu_bitlinear_stats st;
            tlpu_dev_time t0, t1;
            for (int p = 0; p < pairs; p++) {
                tlpu_get_time(d, &t0);
                double a0 = bench_now();
                if (tlpu_dev_layer_run(L, x, y, NULL, 0, NULL, &st) != TLPU_OK)
                    die("a multi-chip run");
                wt[p] = bench_now() - a0;
                tlpu_get_time(d, &t1);
            }
            tlpu_dev_layer_free(L);
            qsort(wt, (size_t)pairs, sizeof *wt, bench_cmp_double);
            double m = wt[pairs / 2];
            int rtl = !strcmp(sys[yi].core, "rtl");
            if (sys[yi].chips == 1)
                base[rtl][li] = m;
            printf("| %u chip%s, %s cores | %s | %.3f | %.1f | %.1f | %.2fx |\n", sys[yi].chips,
                   sys[yi].chips == 1 ? "" : "s",
                   sys[yi].core, sh->name, 1e3 * m, 1e-6 * (double)st.cycles / m,
                   1e-6 * (double)(t1.mc_ps - t0.mc_ps), m / base[rtl][li]);
            fflush(stdout);
            free(x);
            free(w);
            free(wp);
            free(y);
        }
        tlpu_close(d);
    }
    printf("\n(the wall time of a run includes the driver and every packet: activations "
           "in, MC_RUN, results out; medians of %d runs)\n", pairs);
    return 0;
}
