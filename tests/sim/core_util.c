/* SPDX-License-Identifier: Apache-2.0 */
#include "core_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/bitlinear.h"
#include "tlpu/rng.h"

void core_hw(tlpu_sim *sim, tlpu_hw *hw)
{
    tlpu_sim_info in;
    tlpu_sim_get_info(sim, &in);
    hw->rows = in.rows;
    hw->cols = in.cols;
    hw->beat_bytes = in.beat_bytes;
    hw->wbuf_chunks = in.wbuf_chunks;
    hw->abuf_words = in.abuf_words;
    hw->obuf_words = in.obuf_words;
    hw->imem_depth = in.imem_depth;
    hw->burst_beats = in.burst_beats;
    hw->queue_depth = in.queue_depth;
}

tlpu_status core_run_program(tlpu_sim *sim, uint64_t addr, const tlpu_program *p,
                             uint64_t max_cycles, uint64_t *cycles)
{
    tlpu_status st = tlpu_sim_mem_write(sim, addr, p->insns, tlpu_program_bytes(p));
    if (st != TLPU_OK)
        return st;
    return tlpu_sim_run(sim, addr, (uint32_t)p->n, max_cycles, cycles);
}

static uint64_t align(uint64_t x)
{
    return (x + 255) / 256 * 256;
}

int core_run_bitlinear(tlpu_sim *sim, const core_job *job, core_result *res)
{
    memset(res, 0, sizeof *res);
    tlpu_hw hw;
    core_hw(sim, &hw);
    tlpu_tiling t;
    if (tlpu_tile_bitlinear(&hw, job->m, job->k, job->n, job->fmt, job->latency, &t) != TLPU_OK)
        return -1;
    if (job->sched && tlpu_tiling_schedule(&hw, &t, job->sched) != TLPU_OK)
        return 1;
    res->tiling = t;

    size_t m = job->m, k = job->k, n = job->n;
    int8_t *w = malloc(n * k), *x = malloc(m * k);
    int32_t *ref = malloc(m * n * sizeof *ref);
    uint8_t *img = malloc(t.weight_bytes);
    if (!w || !x || !ref || !img)
        return -1;
    tlpu_rng r = tlpu_rng_seed(job->seed);
    double zf = job->zero_frac < 0 ? 1.0 / 3 : job->zero_frac;
    for (size_t i = 0; i < n * k; i++) {
        double u = tlpu_rng_uniform(&r);
        w[i] = u < zf ? 0 : (tlpu_rng_next(&r) & 1) ? 1 : -1;
    }
    for (size_t i = 0; i < m * k; i++) {
        uint64_t v = tlpu_rng_next(&r);
        x[i] = job->extreme ? ((v & 1) ? 127 : -128) : (int8_t)(v & 0xFF);
    }
    if (tlpu_bitlinear_oracle(m, k, n, x, w, ref) != TLPU_OK ||
        tlpu_weights_image(&hw, &t, w, img, t.weight_bytes) != TLPU_OK)
        return -1;

    tlpu_bitlinear_addrs a;
    a.act_stride = tlpu_act_stride(&hw, job->k);
    a.out_stride = tlpu_out_stride(&hw, job->n);
    uint64_t prog_addr = 0x100; /* programs are small next to the data */
    a.weights = align(prog_addr + 64 * 1024);
    a.act = align(a.weights + t.weight_bytes);
    a.out = align(a.act + (uint64_t)m * a.act_stride);
    uint64_t end = align(a.out + (uint64_t)m * a.out_stride) + 256;

    tlpu_program p;
    tlpu_program_init(&p);
    if (tlpu_compile_bitlinear(&hw, &t, &a, &p) != TLPU_OK || p.n * 16 > 64 * 1024 - 0x100)
        return -1;
    res->insns = (uint32_t)p.n;

    /* the whole used DRAM range: guard pattern, then the operands */
    size_t span = (size_t)end;
    uint8_t *before = malloc(span), *after = malloc(span);
    if (!before || !after)
        return -1;
    for (size_t i = 0; i < span; i++)
        before[i] = (uint8_t)(0xA5 ^ (i * 7));
    memcpy(before + prog_addr, p.insns, tlpu_program_bytes(&p));
    memcpy(before + a.weights, img, t.weight_bytes);
    for (size_t i = 0; i < m; i++)
        memcpy(before + a.act + i * a.act_stride, x + i * k, k);
    if (tlpu_sim_mem_write(sim, 0, before, span) != TLPU_OK)
        return -1;

    if (job->latency) {
        tlpu_timing_cfg tc;
        tlpu_timing_cfg_init(&tc, &hw);
        tc.mem_latency = job->latency;
        tc.prog_addr = (uint32_t)prog_addr;
        uint32_t top = 0;
        tlpu_sim_csr_read(sim, TLPU_CSR_MEM_TOP, &top);
        tc.mem_top = top;
        if (tlpu_timing_run(&tc, p.insns, p.n, &res->model) != TLPU_OK)
            return -1;
    }
    for (size_t i = 0; i < n * k; i++) {
        res->want_adds += w[i] == 1 ? m : 0;
        res->want_subs += w[i] == -1 ? m : 0;
    }
    uint64_t base_cnt[TLPU_NUM_COUNTERS];
    tlpu_sim_csr_write(sim, TLPU_CSR_CTRL, 4u); /* counters to zero */
    tlpu_sim_counters(sim, base_cnt);
    uint64_t budget = 1000000 + 400 * (t.weight_bytes + (uint64_t)m * k + (uint64_t)m * n * 4) +
                      20 * (uint64_t)t.ngroups * t.tiles * t.chunks * t.group_tokens;
    res->status = tlpu_sim_run(sim, prog_addr, (uint32_t)p.n, budget, &res->cycles);
    tlpu_sim_counters(sim, res->counters);
    tlpu_sim_mem_read(sim, 0, after, span);

    size_t nr = (n + 3) / 4 * 4;
    for (size_t i = 0; i < m && res->status == TLPU_OK; i++)
        for (size_t j = 0; j < nr; j++) {
            int32_t got;
            memcpy(&got, after + a.out + i * a.out_stride + 4 * j, 4);
            int32_t want = j < n ? ref[i * n + j] : 0;
            if (got != want) {
                if (!res->mismatches)
                    snprintf(res->first_diff, sizeof res->first_diff,
                             "y[%zu][%zu] = %d, reference %d", i, j, (int)got, (int)want);
                res->mismatches++;
            }
            memcpy(after + a.out + i * a.out_stride + 4 * j, before + a.out + i * a.out_stride + 4 * j, 4);
        }
    if (res->status == TLPU_OK)
        for (size_t i = 0; i < span; i++)
            res->guard_hits += before[i] != after[i];
    tlpu_program_free(&p);
    free(w);
    free(x);
    free(ref);
    free(img);
    free(before);
    free(after);
    return 0;
}
