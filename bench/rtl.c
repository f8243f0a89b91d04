/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/rtl - the Verilated core on BitNet b1.58 2B4T's BitLinear shapes.
 *
 * For each core configuration, shape, batch (M = 1: one decode step;
 * M = 64: a prefill) and weight packing, the tiler's program runs in the
 * cycle-accurate simulator (ideal memory port: latency 16, one 16-byte beat
 * per cycle) and the table shows
 *   - simulated cycles, and cycles and lane operations per wall-second;
 *   - array utilization: useful ternary MACs (M*K*N) / (ROWS*COLS*cycles);
 *   - the roofline bound: max(compute = M*K*N / (ROWS*COLS), traffic = DRAM
 *     bytes that must move (packed weights + int8 activations + int32
 *     outputs) / 16), and the cycles' fraction of it (bound / cycles);
 *   - whether the outputs equal the C reference (they must).
 * The wall time covers tlpu_sim_run only. Usage: rtl [default|large ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlpu/bitlinear.h"
#include "tlpu/rng.h"
#include "tlpu/sim.h"
#include "tlpu/tiler.h"

#include "bench.h"

typedef struct shape {
    const char *name;
    uint32_t k, n;
} shape;

/* 2B4T: hidden 2560, FFN 6912, 20 heads / 5 KV heads of 128 */
static const shape k_shapes[] = {
    {"q_proj/o_proj", 2560, 2560},
    {"k_proj/v_proj", 2560, 640},
    {"gate/up_proj", 2560, 6912},
    {"down_proj", 6912, 2560},
};

static uint64_t up(uint64_t x, uint64_t m)
{
    return (x + m - 1) / m * m;
}

typedef struct row {
    double util, roof;
    double cyc_per_s, lane_per_s;
    double weights_per_beat; /* measured: weights decoded / beats of packed weights */
    uint64_t cycles;
} row;

static int run_one(tlpu_sim *sim, const tlpu_hw *hw, uint32_t m, const shape *sh, unsigned fmt,
                   row *out)
{
    uint32_t k = sh->k, n = sh->n;
    tlpu_tiling t;
    if (tlpu_tile_bitlinear(hw, m, k, n, fmt, 16, &t) != TLPU_OK)
        return -1;
    int8_t *w = malloc((size_t)n * k), *x = malloc((size_t)m * k);
    int32_t *ref = malloc((size_t)m * n * 4), *got = malloc((size_t)m * n * 4);
    uint8_t *img = malloc(t.weight_bytes);
    if (!w || !x || !ref || !got || !img)
        return -1;
    tlpu_rng r = tlpu_rng_seed(0x5EED ^ k ^ ((uint64_t)n << 20) ^ ((uint64_t)m << 40));
    for (size_t i = 0; i < (size_t)n * k; i++) {
        uint64_t v = tlpu_rng_next(&r) % 3;
        w[i] = (int8_t)((int)v - 1);
    }
    for (size_t i = 0; i < (size_t)m * k; i++)
        x[i] = (int8_t)(tlpu_rng_next(&r) & 0xFF);
    if (tlpu_bitlinear(m, k, n, x, w, ref) != TLPU_OK ||
        tlpu_weights_image(hw, &t, w, img, t.weight_bytes) != TLPU_OK)
        return -1;

    tlpu_bitlinear_addrs a;
    a.act_stride = tlpu_act_stride(hw, k);
    a.out_stride = tlpu_out_stride(hw, n);
    uint64_t prog = 0x1000;
    a.weights = 0x100000;
    a.act = up(a.weights + t.weight_bytes, 4096);
    a.out = up(a.act + (uint64_t)m * a.act_stride, 4096);
    tlpu_program p;
    tlpu_program_init(&p);
    if (tlpu_compile_bitlinear(hw, &t, &a, &p) != TLPU_OK || tlpu_program_bytes(&p) > 0xF0000)
        return -1;
    tlpu_sim_mem_write(sim, prog, p.insns, tlpu_program_bytes(&p));
    tlpu_sim_mem_write(sim, a.weights, img, t.weight_bytes);
    for (uint32_t i = 0; i < m; i++)
        tlpu_sim_mem_write(sim, a.act + (uint64_t)i * a.act_stride, x + (size_t)i * k, k);
    tlpu_sim_csr_write(sim, TLPU_CSR_CTRL, 4u);

    uint64_t cycles = 0;
    double t0 = bench_now();
    tlpu_status st = tlpu_sim_run(sim, prog, (uint32_t)p.n, 100000000, &cycles);
    double dt = bench_now() - t0;
    uint64_t cnt[TLPU_NUM_COUNTERS];
    tlpu_sim_counters(sim, cnt);
    int exact = st == TLPU_OK;
    for (uint32_t i = 0; i < m && exact; i++) {
        tlpu_sim_mem_read(sim, a.out + (uint64_t)i * a.out_stride, got + (size_t)i * n, (size_t)n * 4);
        exact = memcmp(got + (size_t)i * n, ref + (size_t)i * n, (size_t)n * 4) == 0;
    }
    uint64_t c = cnt[TLPU_CNTI_CYCLES];
    double lanes = (double)hw->rows * hw->cols;
    double macs = (double)m * k * n;
    double wbytes = (double)k * n / (fmt ? 5.0 : 4.0);
    double traffic = (wbytes + (double)m * k + 4.0 * m * n) / hw->beat_bytes;
    double compute = macs / lanes;
    double bound = compute > traffic ? compute : traffic;
    out->cycles = c;
    out->util = macs / (lanes * (double)c);
    out->roof = bound / (double)c;
    out->cyc_per_s = (double)c / dt;
    out->lane_per_s = lanes * (double)cnt[TLPU_CNTI_BUSY_CYCLES] / dt;
    out->weights_per_beat = (double)cnt[TLPU_CNTI_WBUF_WR] * hw->cols /
                            ((double)cnt[TLPU_CNTI_DEC_BYTES] / hw->beat_bytes);
    printf("| %-13s | %2u | %s | %9llu | %7.0f | %5.3f | %5.1f%% | %9.0f %-7s | %5.1f%% | %s |\n",
           sh->name, m, fmt ? "PACK3" : "PACK2", (unsigned long long)c, out->cyc_per_s / 1e3,
           out->lane_per_s / 1e9, 100 * out->util, bound, compute >= traffic ? "compute" : "memory",
           100 * out->roof, exact ? "exact" : "WRONG");
    fflush(stdout);
    tlpu_program_free(&p);
    free(w);
    free(x);
    free(ref);
    free(got);
    free(img);
    return exact ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *def[] = {"default", "large"};
    int nv = argc > 1 ? argc - 1 : 2;
    const char **variants = argc > 1 ? (const char **)argv + 1 : def;
    int bad = 0;
    for (int v = 0; v < nv; v++) {
        tlpu_sim_config c;
        tlpu_sim_config_init(&c);
        c.variant = variants[v];
        c.dram_bytes = 256ull << 20;
        tlpu_sim *sim;
        if (tlpu_sim_create(&c, &sim) != TLPU_OK) {
            fprintf(stderr, "rtl: %s\n", tlpu_sim_last_error());
            return 2;
        }
        tlpu_sim_info in;
        tlpu_sim_get_info(sim, &in);
        tlpu_hw hw = {in.rows, in.cols, in.beat_bytes, in.wbuf_chunks, in.abuf_words,
                      in.obuf_words, in.imem_depth, in.burst_beats, in.queue_depth};
        printf("\n## %s core: %u x %u lanes, %u-byte port, DRAM latency %u\n\n", c.variant, in.rows,
               in.cols, in.beat_bytes, c.dram_latency);
        printf("| shape (2B4T)  |  M | pack  |    cycles | kcyc/s  | Glane/s | util   | roofline bound    "
               "| of bound | result |\n");
        printf("|---|---|---|---|---|---|---|---|---|---|\n");
        double min_roof = 1e9, best_lane = 0;
        double wpb[2] = {0, 0};
        uint64_t dec_cycles[2] = {0, 0};
        for (size_t s = 0; s < sizeof k_shapes / sizeof k_shapes[0]; s++)
            for (uint32_t mi = 0; mi < 2; mi++)
                for (unsigned fmt = 0; fmt < 2; fmt++) {
                    row r;
                    int rc = run_one(sim, &hw, mi ? 64 : 1, &k_shapes[s], fmt, &r);
                    if (rc < 0) {
                        fprintf(stderr, "rtl: could not set up %s\n", k_shapes[s].name);
                        return 2;
                    }
                    bad |= rc;
                    if (r.roof < min_roof)
                        min_roof = r.roof;
                    if (r.lane_per_s > best_lane)
                        best_lane = r.lane_per_s;
                    if (!mi) {
                        wpb[fmt] = r.weights_per_beat;
                        dec_cycles[fmt] += (uint64_t)(r.cyc_per_s > 0 ? 1 : 0) * r.cycles;
                    }
                }
        printf("\n%s: lowest fraction of the roofline bound %.1f%%; highest %.3f G lane-ops per "
               "wall-second (prefill, array busy)\n",
               c.variant, 100 * min_roof, best_lane / 1e9);
        printf("%s: weights per memory beat (measured): PACK2 %.2f, PACK3 %.2f (%.3fx); "
               "decode steps (M=1, all shapes) take %.3fx the cycles with PACK2\n",
               c.variant, wpb[0], wpb[1], wpb[1] / wpb[0],
               (double)dec_cycles[0] / (double)dec_cycles[1]);
        tlpu_sim_destroy(sim);
    }
    return bad ? 1 : 0;
}
