/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_core - the Verilated tlpu core through the simulator's C API:
 * CSRs, every error code, instruction latencies against the timing model,
 * random BitLinear shapes bit-exact against the C reference with and without
 * random memory stalls, soft reset in the middle of a run, memory faults,
 * waveform traces and argument checks; the DRAM's bytes outside the harness
 * (tlpu_sim_mem_if, what the SystemC platform's TLM memory uses).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_util.h"
#include "test_sched.h"
#include "test_util.h"
#include "tlpu/isa.h"
#include "tlpu/rng.h"
#include "tlpu/timing.h"

static tlpu_sim *make(const char *variant, uint32_t latency, double stall, uint64_t seed)
{
    tlpu_sim_config c;
    tlpu_sim_config_init(&c);
    c.variant = variant;
    c.dram_bytes = 16u << 20;
    c.dram_latency = latency;
    c.stall_prob = stall;
    c.seed = seed;
    tlpu_sim *s = NULL;
    tlpu_status st = tlpu_sim_create(&c, &s);
    ck_assert_msg(st == TLPU_OK, "create %s: %s", variant, tlpu_sim_last_error());
    return s;
}

static void model_cfg(tlpu_sim *s, uint32_t latency, uint32_t prog_addr, tlpu_timing_cfg *tc)
{
    tlpu_hw hw;
    core_hw(s, &hw);
    tlpu_timing_cfg_init(tc, &hw);
    tc->mem_latency = latency;
    tc->prog_addr = prog_addr;
    uint32_t top;
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_MEM_TOP, &top), TLPU_OK);
    tc->mem_top = top;
}

/* Runs a program at 0x100 with counters zeroed; checks cycles, error and
 * every counter but the lane adds/subs/skips against the timing model. */
static tlpu_status run_vs_model(tlpu_sim *s, uint32_t latency, const tlpu_insn *ins, size_t n,
                                uint64_t cnt[TLPU_NUM_COUNTERS])
{
    tlpu_program p = {(tlpu_insn *)ins, n, n};
    tlpu_timing_cfg tc;
    model_cfg(s, latency, 0x100, &tc);
    tlpu_timing m;
    ck_assert_int_eq(tlpu_timing_run(&tc, ins, n, &m), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_CTRL, 4u), TLPU_OK);
    uint64_t cycles = 0;
    tlpu_status st = core_run_program(s, 0x100, &p, 10000000, &cycles);
    ck_assert_int_eq(tlpu_sim_counters(s, cnt), TLPU_OK);
    uint32_t pc = 0, err = tlpu_sim_hw_error(s, &pc);
    char dis[128];
    tlpu_insn_format(&ins[0], dis, sizeof dis);
    ck_assert_msg(err == m.hw_error, "%s...: core error %u, model %u", dis, err, m.hw_error);
    if (err)
        ck_assert_uint_eq(pc, m.err_pc);
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++) {
        if (i == TLPU_CNTI_LANE_ADDS || i == TLPU_CNTI_LANE_SUBS || i == TLPU_CNTI_LANE_SKIPS)
            continue;
        ck_assert_msg(cnt[i] == m.counters[i], "%s... (n=%zu, L=%u): counter %u core %llu model %llu",
                      dis, n, latency, i, (unsigned long long)cnt[i],
                      (unsigned long long)m.counters[i]);
    }
    ck_assert_uint_eq(cnt[TLPU_CNTI_LANE_ADDS] + cnt[TLPU_CNTI_LANE_SUBS] +
                          cnt[TLPU_CNTI_LANE_SKIPS],
                      m.lane_ops);
    return st;
}

/* ---- CSRs ------------------------------------------------------------------- */

START_TEST(test_identity)
{
    static const struct {
        const char *v;
        uint32_t rows, cols, wbuf, abuf, obuf, imem, burst;
    } want[] = {
        {"default", TLPU_DEFAULT_ROWS, TLPU_DEFAULT_COLS, TLPU_DEFAULT_WBUF_CHUNKS,
         TLPU_DEFAULT_ABUF_WORDS, TLPU_DEFAULT_OBUF_WORDS, TLPU_DEFAULT_IMEM_DEPTH,
         TLPU_DEFAULT_BURST_BEATS},
        {"small", 4, 20, 16, 256, 32, 16, 4},
        {"large", 64, 160, 128, 8192, 512, 1024, 16},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        tlpu_sim *s = make(want[i].v, 16, 0, 1);
        tlpu_sim_info in;
        ck_assert_int_eq(tlpu_sim_get_info(s, &in), TLPU_OK);
        ck_assert_uint_eq(in.id, TLPU_ID_MAGIC);
        ck_assert_uint_eq(in.version, (TLPU_SPEC_VERSION_MAJOR << 16) | TLPU_SPEC_VERSION_MINOR);
        ck_assert_uint_eq(in.rows, want[i].rows);
        ck_assert_uint_eq(in.cols, want[i].cols);
        ck_assert_uint_eq(in.beat_bytes, 16);
        ck_assert_uint_eq(in.wbuf_chunks, want[i].wbuf);
        ck_assert_uint_eq(in.abuf_words, want[i].abuf);
        ck_assert_uint_eq(in.obuf_words, want[i].obuf);
        ck_assert_uint_eq(in.imem_depth, want[i].imem);
        ck_assert_uint_eq(in.burst_beats, want[i].burst);
        ck_assert_uint_eq(in.formats, 3u);
        uint32_t v;
        ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_MEM_TOP, &v), TLPU_OK);
        ck_assert_uint_eq(v, (16u << 20) - 1);
        ck_assert_int_eq(tlpu_sim_csr_read(s, 0x3FC, &v), TLPU_OK); /* unmapped */
        ck_assert_uint_eq(v, 0);
        ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_STATUS, &v), TLPU_OK);
        ck_assert_uint_eq(v, 0); /* idle, not done, no error */
        tlpu_sim_destroy(s);
    }
}
END_TEST

START_TEST(test_control_irq_and_counters)
{
    tlpu_sim *s = make("small", 8, 0, 1);
    tlpu_insn prog[3] = {tlpu_insn_ldw(0, TLPU_FMT_PACK2, 4, 0x1000, 0), tlpu_insn_sync(3),
                         tlpu_insn_end()};
    tlpu_program p = {prog, 3, 3};
    ck_assert_int_eq(tlpu_sim_mem_write(s, 0x100, prog, sizeof prog), TLPU_OK);

    /* no irq while disabled, but IRQ_STATUS records the end */
    ck_assert_int_eq(tlpu_sim_start(s, 0x100, 3), TLPU_OK);
    /* PROG_ADDR / PROG_LEN are ignored while the core is busy */
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_PROG_LEN, 0), TLPU_OK);
    uint32_t v;
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_PROG_LEN, &v), TLPU_OK);
    ck_assert_uint_eq(v, 3);
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_STATUS, &v), TLPU_OK);
    ck_assert_uint_eq(v & 3u, 1u); /* busy */
    ck_assert_int_eq(tlpu_sim_wait(s, 100000, NULL), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_irq(s), 0);
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_IRQ_STATUS, &v), TLPU_OK);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_IRQ_STATUS, 1), TLPU_OK); /* W1C */
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_IRQ_STATUS, &v), TLPU_OK);
    ck_assert_uint_eq(v, 0);

    /* enabled: irq_o rises with DONE and falls when cleared */
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_IRQ_ENABLE, 1), TLPU_OK);
    ck_assert_int_eq(core_run_program(s, 0x100, &p, 100000, NULL), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_irq(s), 1);
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_STATUS, &v), TLPU_OK);
    ck_assert_uint_eq(v, 2u); /* done, not busy, no error */
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_IRQ_STATUS, 1), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_irq(s), 0);

    /* the irq never rises before DONE, even when the last instruction (a
     * ST) waits in its queue for the last MM's token while both engines
     * are idle; and a START while a program runs is ignored without
     * disturbing its tokens */
    tlpu_insn tail[4] = {tlpu_insn_mm(0, 0, 4, 0, 8, 4, 0, 0), tlpu_insn_st(0, 8, 4, 0x2000, 16),
                         tlpu_insn_end(), tlpu_insn_end()};
    tlpu_insn_set(&tail[0], TLPU_MM_SIGNAL_LSB, 1, 1);
    tlpu_insn_set(&tail[1], TLPU_ST_WAIT_LSB, 1, 1);
    ck_assert_int_eq(tlpu_sim_mem_write(s, 0x100, tail, sizeof tail), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_start(s, 0x100, 3), TLPU_OK);
    int saw_done = 0;
    for (int cyc = 0; cyc < 2000 && !saw_done; cyc++) {
        if (cyc % 2)
            ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_CTRL, 1u), TLPU_OK); /* START again */
        int irq = tlpu_sim_irq(s); /* now; STATUS read next shows DONE if it was up */
        ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_STATUS, &v), TLPU_OK);
        saw_done = (v & 2u) != 0;
        ck_assert_msg(!irq || saw_done, "irq before DONE at cycle %d", cyc);
    }
    ck_assert_msg(saw_done, "the program did not finish");
    ck_assert_uint_eq(v, 2u); /* done, no error: no token was lost to the second START */
    ck_assert_int_eq(tlpu_sim_irq(s), 1);
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_IRQ_STATUS, 1), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_IRQ_ENABLE, 0), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_CTRL, 4u), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_mem_write(s, 0x100, prog, sizeof prog), TLPU_OK);
    ck_assert_int_eq(core_run_program(s, 0x100, &p, 100000, NULL), TLPU_OK);
    ck_assert_int_eq(core_run_program(s, 0x100, &p, 100000, NULL), TLPU_OK);

    /* counters accumulate across programs until COUNTERS_RESET */
    uint64_t c1[TLPU_NUM_COUNTERS], c2[TLPU_NUM_COUNTERS];
    ck_assert_int_eq(tlpu_sim_counters(s, c1), TLPU_OK);
    ck_assert_uint_eq(c1[TLPU_CNTI_INSNS], 6);
    ck_assert_uint_eq(c1[TLPU_CNTI_WBUF_WR], 2 * 4 * 4);
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_CTRL, 4u), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_counters(s, c2), TLPU_OK);
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        ck_assert_uint_eq(c2[i], 0);
    /* reading HI alone returns what the last LO read latched */
    ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CNT_DRAM_RD_BYTES + 4, &v), TLPU_OK);
    ck_assert_uint_eq(v, 0);
    tlpu_sim_destroy(s);
}
END_TEST

/* ---- errors: each code, at the right instruction; the core stays usable ------ */

START_TEST(test_errors)
{
    tlpu_sim *s = make("small", 4, 0, 1);
    tlpu_hw hw;
    core_hw(s, &hw);
    const uint32_t top = (16u << 20) - 1;
    tlpu_insn ok = tlpu_insn_ldw(1, TLPU_FMT_PACK3, 1, 0x2000, 0);
    struct {
        tlpu_insn bad;
        uint32_t code;
    } cases[] = {
        {{{0x17}}, TLPU_HWERR_ILLEGAL_OPCODE},
        {tlpu_insn_ldw(0, 0, 0, 0x1000, 0), TLPU_HWERR_BAD_FIELD},
        {tlpu_insn_lda(0, 1, 0, 0x1000, 16, 0), TLPU_HWERR_BAD_FIELD},
        {tlpu_insn_lda(20, 0, 0, 0x1000, 16, 0), TLPU_HWERR_BAD_FIELD},
        {tlpu_insn_lda(41, 2, 0, 0x1000, 48, 2), TLPU_HWERR_BAD_FIELD}, /* DSTRIDE < 3 words */
        {tlpu_insn_lda(20, 3, hw.abuf_words - 20, 0x1000, 32, 10), TLPU_HWERR_ABUF_RANGE},
        {tlpu_insn_mm(0, 0, 0, 0, 1, 1, 0, 0), TLPU_HWERR_BAD_FIELD},
        {tlpu_insn_mm(0, 0, 1, 0, 0, 1, 0, 0), TLPU_HWERR_BAD_FIELD},
        {tlpu_insn_st(0, 1, 2, 0x1000, 16), TLPU_HWERR_BAD_FIELD}, /* not whole beats */
        {tlpu_insn_st(0, 0, 4, 0x1000, 16), TLPU_HWERR_BAD_FIELD},
        {tlpu_insn_ldw(0, 0, hw.wbuf_chunks + 1, 0x1000, 0), TLPU_HWERR_WBUF_RANGE},
        {tlpu_insn_mm(0, 0, hw.wbuf_chunks + 1, 0, 1, 1, 0, 0), TLPU_HWERR_WBUF_RANGE},
        {tlpu_insn_ldw(0, 0, 2, 0x1000, hw.wbuf_chunks - 1), TLPU_HWERR_WBUF_RANGE},
        {tlpu_insn_mm(0, 0, 3, 0, 1, 3, 0, hw.wbuf_chunks - 2), TLPU_HWERR_WBUF_RANGE},
        {tlpu_insn_lda(40, 2, hw.abuf_words - 3, 0x1000, 48, 0), TLPU_HWERR_ABUF_RANGE},
        {tlpu_insn_mm(0, 0, 2, hw.abuf_words - 5, 2, 4, 0, 0), TLPU_HWERR_ABUF_RANGE},
        {tlpu_insn_mm(0, 0, 1, 0, 3, 1, hw.obuf_words - 2, 0), TLPU_HWERR_OBUF_RANGE},
        {tlpu_insn_st(hw.obuf_words - 1, 2, 4, 0x1000, 16), TLPU_HWERR_OBUF_RANGE},
        {tlpu_insn_st(0, 1, hw.rows + 4, 0x1000, 64), TLPU_HWERR_OBUF_RANGE},
        {tlpu_insn_ldw(0, 0, 1, 0x1008, 0), TLPU_HWERR_MEM_ALIGN},
        {tlpu_insn_lda(20, 2, 0, 0x1000, 24, 0), TLPU_HWERR_MEM_ALIGN},
        {tlpu_insn_st(0, 1, 4, 0x1004, 16), TLPU_HWERR_MEM_ALIGN},
        {tlpu_insn_ldw(0, 0, 2, top + 1 - 32, 0), TLPU_HWERR_MEM_RANGE},
        {tlpu_insn_lda(20, 3, 0, top + 1 - 64, 32, 0), TLPU_HWERR_MEM_RANGE},
        {tlpu_insn_st(0, 2, 4, top + 1 - 16, 16), TLPU_HWERR_MEM_RANGE},
        {tlpu_insn_ldw(0, 0, 1, 0xFFFFFFF0u, 0), TLPU_HWERR_MEM_RANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tlpu_insn prog[3] = {ok, cases[i].bad, tlpu_insn_end()};
        uint64_t cnt[TLPU_NUM_COUNTERS];
        tlpu_status st = run_vs_model(s, 4, prog, 3, cnt);
        ck_assert_msg(st == TLPU_ERR_DEVICE, "case %zu: status %d", i, st);
        uint32_t pc, err = tlpu_sim_hw_error(s, &pc);
        ck_assert_msg(err == cases[i].code, "case %zu: error %u, want %u", i, err, cases[i].code);
        ck_assert_uint_eq(pc, 1);
        ck_assert_uint_eq(cnt[TLPU_CNTI_INSNS], 1); /* the bad one does not retire */
    }
    /* errors found at START: no cycle runs */
    struct {
        uint64_t addr;
        uint32_t len, code;
    } starts[] = {{0x100, 0, TLPU_HWERR_PROG_LEN},
                  {0x108, 2, TLPU_HWERR_MEM_ALIGN},
                  {top + 1 - 16, 2, TLPU_HWERR_MEM_RANGE}};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_CTRL, 4u), TLPU_OK);
        ck_assert_int_eq(tlpu_sim_run(s, starts[i].addr, starts[i].len, 1000, NULL),
                         TLPU_ERR_DEVICE);
        ck_assert_uint_eq(tlpu_sim_hw_error(s, NULL), starts[i].code);
        uint64_t cnt[TLPU_NUM_COUNTERS];
        tlpu_sim_counters(s, cnt);
        ck_assert_uint_eq(cnt[TLPU_CNTI_CYCLES], 0);
    }
    /* and the core still computes exactly */
    core_job j = {3, 50, 9, TLPU_FMT_PACK3, 5, -1, 0, 4, NULL};
    core_result r;
    ck_assert_int_eq(core_run_bitlinear(s, &j, &r), 0);
    ck_assert_int_eq(r.status, TLPU_OK);
    ck_assert_msg(r.mismatches == 0, "%s", r.first_diff);
    tlpu_sim_destroy(s);
}
END_TEST

/* ---- queues, tokens and deadlock --------------------------------------------- */

static tlpu_insn flags(tlpu_insn in, unsigned wait, unsigned sig)
{
    tlpu_insn_set(&in, TLPU_LDW_WAIT_LSB, 1, wait);
    tlpu_insn_set(&in, TLPU_LDW_SIGNAL_LSB, 1, sig);
    return in;
}

START_TEST(test_tokens_and_deadlock)
{
    tlpu_sim *s = make("small", 5, 0, 1);
    uint64_t cnt[TLPU_NUM_COUNTERS];
    const uint32_t A = 0x10000;
    /* a handshake: LDW -> MM -> ST, and a second LDW that waits for the MM */
    tlpu_insn ok[] = {
        flags(tlpu_insn_ldw(0, 0, 2, A, 0), 0, 1),
        flags(tlpu_insn_mm(0, 0, 2, 0, 3, 2, 0, 0), 1, 1),
        flags(tlpu_insn_ldw(0, 1, 3, A + 0x1000, 0), 1, 0), /* same bank: waits for the MM */
        flags(tlpu_insn_st(0, 3, 4, A + 0x2000, 16), 0, 0),
        flags(tlpu_insn_lda(30, 2, 0, A + 0x3000, 32, 0), 0, 1),
        flags(tlpu_insn_mm(0, 1, 3, 0, 2, 2, 0, 0), 1, 0),
    };
    ck_assert_int_eq(run_vs_model(s, 5, ok, sizeof ok / sizeof ok[0], cnt), TLPU_OK);
    ck_assert_uint_eq(cnt[TLPU_CNTI_INSNS], 6);
    /* more DMA instructions than the queue holds: dispatch waits for room */
    tlpu_hw hw;
    core_hw(s, &hw);
    tlpu_insn many[24];
    for (unsigned i = 0; i < 24; i++)
        many[i] = i % 3 == 2 ? tlpu_insn_mm(i & 1, 0, 1, 0, 2, 1, 0, 0)
                             : tlpu_insn_ldw(i & 1, i & 1, 1 + i % 4, A + 0x100 * i, 0);
    ck_assert_int_eq(run_vs_model(s, 5, many, 24, cnt), TLPU_OK);
    ck_assert_uint_ge(24, 2 * hw.queue_depth);

    /* programs that can never finish: DEADLOCK, found by core and model alike */
    tlpu_insn d1[] = {flags(tlpu_insn_mm(0, 0, 1, 0, 1, 1, 0, 0), 1, 0)};
    tlpu_insn d2[] = {flags(tlpu_insn_ldw(0, 0, 1, A, 0), 1, 0), tlpu_insn_end()};
    tlpu_insn d3[2 + 16];
    d3[0] = flags(tlpu_insn_mm(0, 0, 1, 0, 1, 1, 0, 0), 1, 0); /* blocks the EX queue... */
    for (unsigned i = 1; i < 18; i++)                        /* ...which then fills up */
        d3[i] = tlpu_insn_mm(0, 0, 1, 0, 1, 1, 0, 0);
    struct {
        const tlpu_insn *p;
        size_t n;
    } dl[] = {{d1, 1}, {d2, 2}, {d3, 18}};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(run_vs_model(s, 5, dl[i].p, dl[i].n, cnt), TLPU_ERR_DEVICE);
        ck_assert_uint_eq(tlpu_sim_hw_error(s, NULL), TLPU_HWERR_DEADLOCK);
    }
    /* and the core is fine afterwards */
    core_job j = {4, 90, 10, TLPU_FMT_PACK2, 8, -1, 0, 5, NULL};
    core_result r;
    ck_assert_int_eq(core_run_bitlinear(s, &j, &r), 0);
    ck_assert_int_eq(r.status, TLPU_OK);
    ck_assert_msg(r.mismatches == 0, "%s", r.first_diff);
    tlpu_sim_destroy(s);
}
END_TEST

/* ---- latency: single instructions and pairs, core == timing model ---------- */

static void latency_grid(const char *variant, uint32_t L)
{
    tlpu_sim *s = make(variant, L, 0, 1);
    tlpu_hw hw;
    core_hw(s, &hw);
    uint64_t cnt[TLPU_NUM_COUNTERS];
    const uint32_t A = 0x10000;
    for (uint32_t n = 1; n <= hw.wbuf_chunks; n = n * 3 + 1)
        for (unsigned f = 0; f < 2; f++) {
            tlpu_insn p[2] = {tlpu_insn_ldw(n & 1, f, n, A, 0), tlpu_insn_end()};
            ck_assert_int_eq(run_vs_model(s, L, p, 2, cnt), TLPU_OK);
        }
    for (uint32_t rows = 1; rows <= 9; rows += 4)
        for (uint32_t nb = 1; nb <= 3 * hw.cols + 7; nb += hw.cols / 2 + 3) {
            uint32_t stride = (nb + 15) / 16 * 16 + 16;
            uint32_t wpr = (nb + hw.cols - 1) / hw.cols;
            tlpu_insn p[2] = {tlpu_insn_lda(nb, rows, 1, A, stride, rows == 5 ? wpr + 2 : 0),
                              tlpu_insn_end()};
            ck_assert_int_eq(run_vs_model(s, L, p, 2, cnt), TLPU_OK);
        }
    for (uint32_t t = 1; t <= 5; t += 2)
        for (uint32_t n = 1; n <= 7; n += 3) {
            tlpu_insn p[2] = {tlpu_insn_mm(0, t & 1, n, 0, t, n, 0, 0), tlpu_insn_end()};
            ck_assert_int_eq(run_vs_model(s, L, p, 2, cnt), TLPU_OK);
        }
    for (uint32_t rows = 1; rows <= 6; rows += 5)
        for (uint32_t c = 4; c <= hw.rows; c += 4) {
            tlpu_insn p[1] = {tlpu_insn_st(0, rows, c, A, 256)};
            ck_assert_int_eq(run_vs_model(s, L, p, 1, cnt), TLPU_OK);
        }
    /* overlap: the engines run side by side; SYNC and in-order issue */
    tlpu_insn mix[] = {
        tlpu_insn_lda(2 * hw.cols, 3, 0, A, (2 * hw.cols + 15) / 16 * 16, 0),
        tlpu_insn_ldw(0, 0, 2, A + 0x1000, 0),
        tlpu_insn_sync(TLPU_SYNC_DMA),
        tlpu_insn_mm(0, 0, 2, 0, 3, 2, 0, 0),
        tlpu_insn_ldw(1, 1, 2, A + 0x2000, 3),
        tlpu_insn_mm(1, 1, 2, 0, 3, 2, 0, 3),
        tlpu_insn_st(0, 3, 4, A + 0x3000, 16),
        tlpu_insn_sync(TLPU_SYNC_EX),
        tlpu_insn_st(0, 3, 4, A + 0x3000, 16),
        tlpu_insn_mm(0, 1, 1, 0, 2, 2, 0, 0),
        tlpu_insn_sync(0),
        tlpu_insn_end(),
        tlpu_insn_ldw(0, 0, 1, A, 0), /* after END: never runs */
    };
    size_t nmix = sizeof mix / sizeof mix[0];
    ck_assert_int_eq(run_vs_model(s, L, mix, nmix, cnt), TLPU_OK);
    ck_assert_uint_eq(cnt[TLPU_CNTI_INSNS], 12);
    tlpu_sim_destroy(s);
}

START_TEST(test_latency_small)
{
    latency_grid("small", 1);
    latency_grid("small", 7);
}
END_TEST

START_TEST(test_latency_default)
{
    latency_grid("default", 16);
}
END_TEST

/* ---- random BitLinear shapes, exact, timing == model without stalls --------- */

/* a random M x K x N job with random weights and activations */
static core_job random_job(tlpu_rng *r, uint32_t maxm, uint32_t maxk, uint32_t maxn)
{
    core_job j;
    memset(&j, 0, sizeof j);
    j.m = 1 + (uint32_t)(tlpu_rng_next(r) % maxm);
    j.k = 1 + (uint32_t)(tlpu_rng_next(r) % maxk);
    j.n = 1 + (uint32_t)(tlpu_rng_next(r) % maxn);
    j.fmt = (uint32_t)(tlpu_rng_next(r) & 1);
    j.seed = tlpu_rng_next(r);
    return j;
}

static void random_shapes(const char *variant, int count, uint32_t maxm, uint32_t maxk,
                          uint32_t maxn, double stall, uint64_t seed)
{
    tlpu_rng r = tlpu_rng_seed(seed);
    static const uint32_t lat[] = {1, 3, 16, 40};
    for (int i = 0; i < count; i++) {
        uint32_t L = lat[tlpu_rng_next(&r) % 4];
        tlpu_sim *s = make(variant, L, stall, tlpu_rng_next(&r));
        core_job j = random_job(&r, maxm, maxk, maxn);
        j.zero_frac = (double)(tlpu_rng_next(&r) % 101) / 100.0;
        j.extreme = (tlpu_rng_next(&r) % 4) == 0;
        j.latency = L;
        core_result res;
        ck_assert_int_eq(core_run_bitlinear(s, &j, &res), 0);
        const char *f = tlpu_sim_fault(s);
        ck_assert_msg(res.status == TLPU_OK, "%s %ux%ux%u fmt %u L %u stall %.2f: status %d %s",
                      variant, j.m, j.k, j.n, j.fmt, L, stall, res.status, f ? f : "");
        ck_assert_msg(res.mismatches == 0, "%s %ux%ux%u fmt %u: %llu wrong outputs, first %s",
                      variant, j.m, j.k, j.n, j.fmt, (unsigned long long)res.mismatches,
                      res.first_diff);
        ck_assert_msg(res.guard_hits == 0, "%s %ux%ux%u: %llu DRAM bytes changed outside y",
                      variant, j.m, j.k, j.n, (unsigned long long)res.guard_hits);
        ck_assert_uint_eq(res.counters[TLPU_CNTI_LANE_ADDS], res.want_adds);
        ck_assert_uint_eq(res.counters[TLPU_CNTI_LANE_SUBS], res.want_subs);
        for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++) {
            if (c == TLPU_CNTI_LANE_ADDS || c == TLPU_CNTI_LANE_SUBS ||
                c == TLPU_CNTI_LANE_SKIPS)
                continue;
            /* activity never depends on memory timing; cycles do */
            if (stall > 0 && (c == TLPU_CNTI_CYCLES || c == TLPU_CNTI_STALL_CYCLES))
                continue;
            ck_assert_msg(res.counters[c] == res.model.counters[c],
                          "%s %ux%ux%u fmt %u L %u stall %.2f: counter %u core %llu model %llu",
                          variant, j.m, j.k, j.n, j.fmt, L, stall, c,
                          (unsigned long long)res.counters[c],
                          (unsigned long long)res.model.counters[c]);
        }
        if (stall > 0)
            ck_assert_uint_ge(res.counters[TLPU_CNTI_CYCLES],
                              res.model.counters[TLPU_CNTI_CYCLES]);
        tlpu_sim_destroy(s);
    }
}

/* ---- the DRAM's storage outside the harness --------------------------------- */

typedef struct ext_mem {
    uint8_t *bytes;
    uint64_t size;
    uint64_t reads, writes, read_bytes, write_bytes;
    int fail_reads; /* > 0: that many more reads succeed, then one fails */
} ext_mem;

static int ext_read(void *ctx, uint64_t a, void *d, uint32_t n)
{
    ext_mem *m = ctx;
    if (a > m->size || n > m->size - a)
        return -1;
    if (m->fail_reads > 0 && --m->fail_reads == 0)
        return -1;
    memcpy(d, m->bytes + a, n);
    m->reads++, m->read_bytes += n;
    return 0;
}

static int ext_write(void *ctx, uint64_t a, const void *d, uint32_t n)
{
    ext_mem *m = ctx;
    if (a > m->size || n > m->size - a)
        return -1;
    memcpy(m->bytes + a, d, n);
    m->writes++, m->write_bytes += n;
    return 0;
}

/* the same jobs on a harness with its own DRAM and on one whose DRAM is
 * outside: the same bits, cycles and counters, and every beat the core
 * moved went through the calls once */
START_TEST(test_external_memory)
{
    tlpu_rng r = tlpu_rng_seed(77);
    for (int i = 0; i < 6; i++) {
        core_job j = random_job(&r, 20, 500, 60);
        j.latency = 1 + (uint32_t)(tlpu_rng_next(&r) % 40);
        j.zero_frac = 0.3;
        ext_mem m = {calloc(1, 16u << 20), 16u << 20, 0, 0, 0, 0, 0};
        ck_assert_ptr_nonnull(m.bytes);
        tlpu_sim_mem_if mif = {&m, ext_read, ext_write};
        tlpu_sim_config c;
        tlpu_sim_config_init(&c);
        c.variant = "small";
        c.dram_bytes = 16u << 20;
        c.dram_latency = j.latency;
        c.mem_if = &mif;
        tlpu_sim *e = NULL;
        ck_assert_int_eq(tlpu_sim_create(&c, &e), TLPU_OK);
        tlpu_sim *s = make("small", j.latency, 0.0, 1);
        core_result a, b;
        ck_assert_int_eq(core_run_bitlinear(s, &j, &a), 0);
        uint64_t rd0 = m.read_bytes, wr0 = m.write_bytes, rds0 = m.reads, wrs0 = m.writes;
        uint64_t beats_rd0, beats_wr0;
        tlpu_sim_dram_beats(e, &beats_rd0, &beats_wr0);
        ck_assert_int_eq(core_run_bitlinear(e, &j, &b), 0);
        ck_assert_int_eq(b.status, TLPU_OK);
        ck_assert_uint_eq(b.mismatches, 0);
        ck_assert_mem_eq(a.counters, b.counters, sizeof a.counters);
        /* the port's beats: each through the calls exactly once (the back-door
         * loads and reads of the job are larger single calls) */
        uint64_t beats_rd, beats_wr;
        tlpu_sim_dram_beats(e, &beats_rd, &beats_wr);
        ck_assert_uint_eq(b.counters[TLPU_CNTI_DRAM_RD_BYTES], 16 * (beats_rd - beats_rd0));
        ck_assert_uint_eq(b.counters[TLPU_CNTI_DRAM_WR_BYTES], 16 * (beats_wr - beats_wr0));
        ck_assert_uint_ge(m.reads - rds0, beats_rd - beats_rd0);
        ck_assert_uint_ge(m.read_bytes - rd0, b.counters[TLPU_CNTI_DRAM_RD_BYTES]);
        ck_assert_uint_ge(m.writes - wrs0, beats_wr - beats_wr0);
        ck_assert_uint_ge(m.write_bytes - wr0, b.counters[TLPU_CNTI_DRAM_WR_BYTES]);
        /* a failing read is a memory-port fault, named */
        if (i == 5) {
            m.fail_reads = 3;
            core_result f;
            core_run_bitlinear(e, &j, &f);
            ck_assert_int_ne(f.status, TLPU_OK);
            ck_assert_ptr_nonnull(tlpu_sim_fault(e));
            ck_assert_ptr_nonnull(strstr(tlpu_sim_fault(e), "the memory failed a 16-byte read"));
        }
        tlpu_sim_destroy(s);
        tlpu_sim_destroy(e);
        free(m.bytes);
    }
    /* a half-given interface is refused */
    tlpu_sim_mem_if half = {NULL, ext_read, NULL};
    tlpu_sim_config c;
    tlpu_sim_config_init(&c);
    c.mem_if = &half;
    tlpu_sim *x = NULL;
    ck_assert_int_eq(tlpu_sim_create(&c, &x), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(tlpu_sim_last_error(), "mem_if"));
}
END_TEST

START_TEST(test_random_small)
{
    random_shapes("small", 150, 40, 700, 40, 0.0, 101);
}
END_TEST

START_TEST(test_random_small_stalls)
{
    random_shapes("small", 60, 40, 700, 40, 0.35, 202);
    random_shapes("small", 30, 20, 400, 20, 0.85, 303);
}
END_TEST

START_TEST(test_random_default)
{
    random_shapes("default", 20, 70, 3000, 100, 0.0, 404);
    random_shapes("default", 8, 8, 900, 70, 0.5, 505);
}
END_TEST

/* every schedule the tiler may choose, not only the ones it picks: random
 * prologues (K-major slabs, merged weight loads, split heads and tails) */
static void random_schedules(const char *variant, int want, uint32_t maxm, uint32_t maxk,
                             uint32_t maxn, uint64_t seed)
{
    tlpu_rng r = tlpu_rng_seed(seed);
    int ran = 0, prologues = 0, merged = 0, partial = 0;
    for (int tries = 0; ran < want && tries < 50 * want; tries++) {
        uint32_t L = 1 + (uint32_t)(tlpu_rng_next(&r) % 30);
        core_job j = random_job(&r, maxm, maxk, maxn);
        j.zero_frac = -1;
        j.latency = L;
        tlpu_sim *s = make(variant, L, 0, tlpu_rng_next(&r));
        tlpu_hw hw;
        core_hw(s, &hw);
        uint32_t C = (j.k + hw.cols - 1) / hw.cols;
        tlpu_schedule sc = test_random_sched(&r, &hw, j.k, j.n, j.fmt);
        j.sched = &sc;
        core_result res;
        int rc = core_run_bitlinear(s, &j, &res);
        ck_assert_int_ge(rc, 0);
        if (rc == 0) {
            ran++;
            prologues += sc.prologue_tiles != 0;
            merged += sc.slab_tiles > 1 && sc.prologue_tiles > 1;
            partial += sc.prologue_tiles && sc.prologue_chunks < C;
            ck_assert_msg(res.status == TLPU_OK && res.mismatches == 0 && res.guard_hits == 0,
                          "%s %ux%ux%u fmt %u L %u sched G%u Kp%u f0 %u fc %u mt %u hs %u "
                          "eager %u slots %u tail %u: status %d, %llu wrong (%s)",
                          variant, j.m, j.k, j.n, j.fmt, L, sc.prologue_tiles, sc.prologue_chunks,
                          sc.first_chunks, sc.fine_chunks, sc.slab_tiles, sc.head_split,
                          sc.st_eager, sc.wbuf_slots_max, sc.tail_split, res.status,
                          (unsigned long long)res.mismatches, res.first_diff);
            ck_assert_uint_eq(res.counters[TLPU_CNTI_CYCLES], res.model.counters[TLPU_CNTI_CYCLES]);
            ck_assert_uint_eq(res.counters[TLPU_CNTI_CYCLES], res.tiling.predicted_cycles);
            ck_assert_uint_eq(res.counters[TLPU_CNTI_DRAM_RD_BYTES],
                              res.model.counters[TLPU_CNTI_DRAM_RD_BYTES]);
        }
        tlpu_sim_destroy(s);
    }
    ck_assert_int_eq(ran, want);
    /* the draw must reach the prologue's variants, or the test proves little */
    ck_assert_int_ge(prologues, want / 3);
    ck_assert_int_ge(merged, want / 10);
    ck_assert_int_ge(partial, want / 10);
}

START_TEST(test_random_schedules_small)
{
    random_schedules("small", 150, 8, 320, 48, 606);
}
END_TEST

START_TEST(test_random_schedules_default)
{
    random_schedules("default", 16, 20, 2500, 200, 707);
}
END_TEST

/* corners the tiler must reach: K segments, token groups, IMEM refills */
START_TEST(test_corners)
{
    struct {
        const char *v;
        uint32_t m, k, n, fmt;
    } cs[] = {
        {"small", 1, 1, 1, 0},       {"small", 1, 321, 5, 1},   /* two K segments */
        {"small", 17, 20, 4, 0},     /* M > OBUF/2: two token groups */
        {"small", 5, 1300, 3, 1},    /* 5 K segments, ABUF halves */
        {"default", 2, 10300, 33, 1}, /* K > WBUF: two segments */
        {"default", 130, 90, 40, 0},  /* M > OBUF/2 */
        {"large", 3, 500, 130, 1},
        {"default", 64, 2560, 640, 0}, /* BitNet 2B4T k_proj prefill: the prologue */
        {"small", 5, 280, 52, 1}, /* the prologue on the small core */
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        tlpu_sim *s = make(cs[i].v, 9, 0, 1);
        core_job j = {cs[i].m, cs[i].k, cs[i].n, cs[i].fmt, 77 + i, -1, 0, 9, NULL};
        core_result res;
        ck_assert_int_eq(core_run_bitlinear(s, &j, &res), 0);
        ck_assert_msg(res.status == TLPU_OK && res.mismatches == 0 && res.guard_hits == 0,
                      "%s %ux%ux%u: status %d, %llu wrong (%s), %llu guard", cs[i].v, j.m, j.k,
                      j.n, res.status, (unsigned long long)res.mismatches, res.first_diff,
                      (unsigned long long)res.guard_hits);
        ck_assert_uint_eq(res.counters[TLPU_CNTI_CYCLES], res.model.counters[TLPU_CNTI_CYCLES]);
        ck_assert_uint_eq(res.counters[TLPU_CNTI_CYCLES], res.tiling.predicted_cycles);
        ck_assert_uint_eq(res.counters[TLPU_CNTI_LANE_ADDS], res.want_adds);
        if (cs[i].m == 64 || (cs[i].m == 5 && cs[i].k == 280))
            ck_assert_msg(res.tiling.sched.prologue_tiles > 0, "%s %ux%ux%u: no prologue chosen",
                          cs[i].v, j.m, j.k, j.n);
        tlpu_sim_destroy(s);
    }
}
END_TEST

/* ---- soft reset in the middle of a run, under stalls ------------------------ */

START_TEST(test_soft_reset_midrun)
{
    tlpu_rng r = tlpu_rng_seed(9);
    for (int i = 0; i < 40; i++) {
        tlpu_sim *s = make("small", 1 + (uint32_t)(tlpu_rng_next(&r) % 20), 0.4,
                           tlpu_rng_next(&r));
        core_job big = {30, 600, 30, (uint32_t)(i & 1), 1, -1, 0, 0, NULL};
        core_result res;
        ck_assert_int_eq(core_run_bitlinear(s, &big, &res), 0); /* places it in DRAM */
        ck_assert_int_eq(tlpu_sim_start(s, 0x100, res.insns), TLPU_OK);
        ck_assert_int_eq(tlpu_sim_step(s, 50 + tlpu_rng_next(&r) % 3000), TLPU_OK);
        ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_CTRL, 2u), TLPU_OK);
        uint32_t v;
        ck_assert_int_eq(tlpu_sim_csr_read(s, TLPU_CSR_STATUS, &v), TLPU_OK);
        ck_assert_uint_eq(v, 0); /* idle, no DONE, no error */
        core_job j = {7, 333, 11, (uint32_t)(~i & 1), 2 + i, -1, 0, 0, NULL};
        ck_assert_int_eq(core_run_bitlinear(s, &j, &res), 0);
        ck_assert_msg(res.status == TLPU_OK && res.mismatches == 0 && res.guard_hits == 0,
                      "after reset %d: status %d (hw error %u), %s, fault %s", i, res.status,
                      tlpu_sim_hw_error(s, NULL), res.first_diff,
                      tlpu_sim_fault(s) ? tlpu_sim_fault(s) : "-");
        ck_assert_ptr_null(tlpu_sim_fault(s));
        tlpu_sim_destroy(s);
    }
}
END_TEST

/* ---- faults: nothing hangs, every problem is named ---------------------------- */

START_TEST(test_faults_and_timeouts)
{
    tlpu_sim *s = make("small", 4, 0, 1);
    tlpu_insn p[2] = {tlpu_insn_ldw(0, 0, 16, 0x10000, 0), tlpu_insn_end()};
    ck_assert_int_eq(tlpu_sim_mem_write(s, 0x100, p, sizeof p), TLPU_OK);
    uint64_t cyc = 0;
    ck_assert_int_eq(tlpu_sim_run(s, 0x100, 2, 10, &cyc), TLPU_ERR_TIMEOUT);
    ck_assert_uint_eq(cyc, 10);
    ck_assert_int_eq(tlpu_sim_wait(s, 100000, NULL), TLPU_OK);

    /* MEM_TOP wrongly past the memory: the memory model names the bad access */
    ck_assert_int_eq(tlpu_sim_csr_write(s, TLPU_CSR_MEM_TOP, 0xFFFFFFFFu), TLPU_OK);
    tlpu_insn q[2] = {tlpu_insn_ldw(0, 0, 16, (16u << 20) - 64, 0), tlpu_insn_end()};
    ck_assert_int_eq(tlpu_sim_mem_write(s, 0x100, q, sizeof q), TLPU_OK);
    ck_assert_int_eq(tlpu_sim_run(s, 0x100, 2, 100000, NULL), TLPU_ERR_DEVICE);
    const char *f = tlpu_sim_fault(s);
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(strstr(f, "outside") != NULL, "fault: %s", f);

    /* back-door access checks */
    uint8_t b[32];
    ck_assert_int_eq(tlpu_sim_mem_read(s, (16u << 20) - 16, b, 32), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_sim_mem_write(s, UINT64_MAX, b, 1), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_sim_mem_read(s, 0, NULL, 1), TLPU_ERR_INVALID_ARG);
    uint32_t v;
    ck_assert_int_eq(tlpu_sim_csr_read(s, 0x102, &v), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_sim_csr_write(s, 0x1000, 0), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_sim_start(s, 1ull << 32, 1), TLPU_ERR_RANGE);
    tlpu_sim_destroy(s);
}
END_TEST

START_TEST(test_bad_config)
{
    struct {
        const char *field;
        const char *needle;
    } cases[] = {{"variant", "variant"},   {"dram_bytes", "dram_bytes"},
                 {"latency", "dram_latency"}, {"width", "dram_width"},
                 {"outstanding", "dram_outstanding"}, {"stall", "stall_prob"},
                 {"trace", "trace"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tlpu_sim_config c;
        tlpu_sim_config_init(&c);
        const char *fld = cases[i].field;
        if (!strcmp(fld, "variant"))
            c.variant = "huge";
        else if (!strcmp(fld, "dram_bytes"))
            c.dram_bytes = 4100;
        else if (!strcmp(fld, "latency"))
            c.dram_latency = 0;
        else if (!strcmp(fld, "width"))
            c.dram_width = 17;
        else if (!strcmp(fld, "outstanding"))
            c.dram_outstanding = 0;
        else if (!strcmp(fld, "stall"))
            c.stall_prob = 1.0;
        else
            c.trace_path = "/nonexistent-dir/waves.fst";
        tlpu_sim *s = (tlpu_sim *)0x1;
        ck_assert_int_eq(tlpu_sim_create(&c, &s), TLPU_ERR_INVALID_ARG);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(tlpu_sim_last_error(), cases[i].needle) != NULL, "%s: '%s'", fld,
                      tlpu_sim_last_error());
    }
    ck_assert_int_eq(tlpu_sim_create(NULL, NULL), TLPU_ERR_INVALID_ARG);
}
END_TEST

START_TEST(test_trace)
{
    char path[] = "/tmp/tlpu-trace-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    tlpu_sim_config c;
    tlpu_sim_config_init(&c);
    c.variant = "small";
    c.trace_path = path;
    tlpu_sim *s;
    ck_assert_int_eq(tlpu_sim_create(&c, &s), TLPU_OK);
    core_job j = {2, 40, 4, 0, 3, -1, 0, 0, NULL};
    core_result res;
    ck_assert_int_eq(core_run_bitlinear(s, &j, &res), 0);
    ck_assert_int_eq(res.mismatches, 0);
    tlpu_sim_destroy(s); /* closes the file */
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_gt(sb.st_size, 1000);
    unlink(path);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("csr");
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_control_irq_and_counters);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_tokens_and_deadlock);
    tcase_add_test(tc, test_faults_and_timeouts);
    tcase_add_test(tc, test_bad_config);
    tcase_add_test(tc, test_trace);
    tcase_add_test(tc, test_external_memory);
    suite_add_tcase(s, tc);
    tc = tcase_create("timing");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_latency_small);
    tcase_add_test(tc, test_latency_default);
    suite_add_tcase(s, tc);
    tc = tcase_create("random");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_random_small);
    tcase_add_test(tc, test_random_small_stalls);
    tcase_add_test(tc, test_random_default);
    tcase_add_test(tc, test_random_schedules_small);
    tcase_add_test(tc, test_random_schedules_default);
    tcase_add_test(tc, test_corners);
    tcase_add_test(tc, test_soft_reset_midrun);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(suite());
}
