/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_mchip - LPU systems on the SystemC platform (sc:chips=N):
 *
 *  - random BitLinears split over N = 1 .. 8 chips, ring and fully
 *    connected: bit-exact against the C reference, every chip's cycles equal
 *    to the timing model's prediction for its slice, and the schedule's
 *    simulated time equal, to the picosecond, to tlpu/mchip.h's formula;
 *  - N = 2 with Verilated cores: the same cycles and bits as the
 *    functional cores;
 *  - memory of other chips through chip 0: data round trips, and the time
 *    of the hops equals the link formula;
 *  - MC_RUN abuse: bad tables and streams get their statuses and nothing
 *    runs; MC_RUN on a board is UNSUPPORTED;
 *  - bad configurations: a model that does not fit the chips' SRAM, zero
 *    bandwidth, unknown presets, keys of the wrong mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_bl.h"
#include "test_sc.h"
#include "test_util.h"
#include "tlpu/estimate.h"
#include "tlpu/mchip.h"
#include "tlpu/proto.h"
#include "tlpu/tlpu.h"

/* one BitLinear on an LPU device: exact, cycles as predicted, time as the
 * formula says; returns chip 0's cycles (for comparisons) */
static void mc_case(tlpu_dev *d, uint32_t m, uint32_t k, uint32_t n, unsigned fmt, uint64_t seed,
                    tlpu_bitlinear_stats *out)
{
    test_bl c;
    test_bl_make(&c, m, k, n, fmt, seed);
    tlpu_dev_layer *L = NULL;
    ck_assert_msg(tlpu_dev_layer_load(d, m, k, n, fmt, c.wp, NULL, &L) == TLPU_OK,
                  "load %ux%ux%u: %s", m, k, n, tlpu_last_error());
    const tlpu_mc_plan *P = tlpu_dev_layer_mc_plan(L);
    ck_assert_ptr_nonnull(P);
    for (int rep = 0; rep < 2; rep++) { /* resident: twice, the same time both runs */
        memset(c.y, 0x5A, (size_t)m * n * 4);
        tlpu_dev_time t0 = time_of(d);
        tlpu_bitlinear_stats s;
        ck_assert_msg(tlpu_dev_layer_run(L, c.x, c.y, NULL, 0, NULL, &s) == TLPU_OK,
                      "run %ux%ux%u: %s", m, k, n, tlpu_last_error());
        tlpu_dev_time t1 = time_of(d);
        ck_assert_mem_eq(c.y, c.ref, (size_t)m * n * 4);
        uint32_t used = 0;
        for (uint32_t ch = 0; ch < P->sys.chips; ch++) {
            used += P->slice[ch].n != 0;
            ck_assert_msg(s.chip_cycles[ch] == (P->slice[ch].n ? P->slice[ch].t.predicted_cycles
                                                               : 0),
                          "%ux%ux%u chip %u: %llu cycles, predicted %llu", m, k, n, ch,
                          (unsigned long long)s.chip_cycles[ch],
                          (unsigned long long)P->slice[ch].t.predicted_cycles);
        }
        ck_assert_uint_eq(s.chips_used, used);
        ck_assert_uint_eq(s.cycles, s.predicted_cycles);
        ck_assert_uint_eq(t1.mc_runs - t0.mc_runs, 1);
        ck_assert_msg(t1.mc_ps - t0.mc_ps == s.predicted_ps,
                      "%ux%ux%u on %u chips (%s): simulated %llu ps, formula %llu ps", m, k, n,
                      P->sys.chips, tlpu_mc_topology_name(P->sys.topology),
                      (unsigned long long)(t1.mc_ps - t0.mc_ps),
                      (unsigned long long)s.predicted_ps);
        ck_assert_uint_eq(s.predicted_ps, P->total_ps);
        /* the schedule's transfers, each hop counted, and their energy */
        ck_assert_uint_eq(t1.c2c_bytes - t0.c2c_bytes, P->c2c_bytes);
        ck_assert(t1.c2c_j - t0.c2c_j >= 0);
        if (out)
            *out = s;
    }
    tlpu_dev_layer_free(L);
    test_bl_free(&c);
}

/* N = 1 .. 8 chips, ring (even _i) and fully connected (odd _i) */
START_TEST(test_chips_exact_and_timed)
{
    const uint32_t chips = 1 + (uint32_t)_i / 2;
    const char *topo = _i % 2 ? "full" : "ring";
    char uri[128];
    snprintf(uri, sizeof uri, "sc:chips=%u,topology=%s,sram=16M,c2c=%s", chips, topo,
             _i % 4 < 2 ? "serdes" : "d2d");
    tlpu_dev *d = open_ok(uri);
    tlpu_dev_info in;
    ck_assert_int_eq(tlpu_get_info(d, &in), TLPU_OK);
    ck_assert_uint_eq(in.chips, chips);
    ck_assert_uint_ne(in.chip_shift, 0);
    tlpu_rng r = tlpu_rng_seed(100 + (uint64_t)_i);
    for (int i = 0; i < 3; i++) {
        uint32_t m = 1 + (uint32_t)(tlpu_rng_next(&r) % 3);
        uint32_t k = 40 + (uint32_t)(tlpu_rng_next(&r) % 600);
        /* sometimes fewer tiles than chips: the nearest chips take them */
        uint32_t n = 1 + (uint32_t)(tlpu_rng_next(&r) % (i == 0 ? 70 : 32 * chips + 300));
        unsigned fmt = tlpu_rng_next(&r) % 2 ? TLPU_FMT_PACK3 : TLPU_FMT_PACK2;
        mc_case(d, m, k, n, fmt, 1000 + (uint64_t)i, NULL);
    }
    tlpu_close(d);
}
END_TEST

/* The estimate engine's per-layer time for an LPU system is the formula the
 * platform reproduces: equal to the simulated schedule, with equal counters */
START_TEST(test_estimate_equals_simulation)
{
    const char *uri = _i ? "sc:chips=3,topology=full,c2c=d2d,sram=16M"
                         : "sc:chips=5,sram=16M,c2c_bw=2e10,c2c_latency=50";
    tlpu_dev *d = open_ok(uri);
    tlpu_dev_info in;
    ck_assert_int_eq(tlpu_get_info(d, &in), TLPU_OK);
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    o.hw = in.hw;
    o.mem_latency = in.mem_latency;
    o.effort = TLPU_TILE_FULL; /* as the driver plans */
    ck_assert_int_eq(tlpu_get_system(d, &o.mc), TLPU_OK);
    o.clock_hz = o.mc.clock_hz;
    static const uint32_t shapes[][3] = {{1, 2560, 640}, {4, 700, 333}, {2, 96, 2000}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tlpu_report_layer L;
        memset(&L, 0, sizeof L);
        L.m = shapes[i][0], L.k = shapes[i][1], L.n = shapes[i][2], L.fmt = TLPU_FMT_PACK3;
        ck_assert_int_eq(tlpu_estimate_linear(&o, &L, NULL), TLPU_OK);
        tlpu_bitlinear_stats s;
        mc_case(d, L.m, L.k, L.n, TLPU_FMT_PACK3, 50 + i, &s);
        ck_assert_msg(s.predicted_ps == L.mc_ps, "%ux%ux%u: estimate %llu ps, simulated %llu ps",
                      L.m, L.k, L.n, (unsigned long long)L.mc_ps,
                      (unsigned long long)s.predicted_ps);
        ck_assert_uint_eq(s.cycles, L.cycles);
        for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++)
            if (c != TLPU_CNTI_LANE_ADDS && c != TLPU_CNTI_LANE_SUBS && c != TLPU_CNTI_LANE_SKIPS)
                ck_assert_msg(s.counters[c] == L.counters[c], "counter %u: %llu vs %llu", c,
                              (unsigned long long)s.counters[c],
                              (unsigned long long)L.counters[c]);
    }
    tlpu_close(d);
}
END_TEST

/* Verilated cores on two chips: the same bits and cycles as the functional ones */
START_TEST(test_rtl_cores)
{
    tlpu_bitlinear_stats s[2];
    const char *uris[2] = {"sc:chips=2,sram=8M", "sc:chips=2,sram=8M,core=rtl"};
    for (int j = 0; j < 2; j++) {
        tlpu_dev *d = open_ok(uris[j]);
        mc_case(d, 2, 300, 150, TLPU_FMT_PACK3, 77, &s[j]);
        tlpu_close(d);
    }
    for (unsigned c = 0; c < 2; c++)
        ck_assert_uint_eq(s[0].chip_cycles[c], s[1].chip_cycles[c]);
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        ck_assert_msg(s[0].counters[i] == s[1].counters[i], "counter %u: %llu vs %llu", i,
                      (unsigned long long)s[0].counters[i], (unsigned long long)s[1].counters[i]);
}
END_TEST

/* chip 0 reaches every chip's memory; the hops cost the link formula */
START_TEST(test_remote_memory)
{
    tlpu_dev *d = open_ok("sc:chips=5,sram=1M,c2c_bw=8e9,c2c_latency=100");
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    tlpu_mc_system sys;
    ck_assert_int_eq(tlpu_get_system(d, &sys), TLPU_OK);
    ck_assert_uint_eq(sys.chips, 5);
    uint8_t buf[3000], back[3000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (uint32_t c = 0; c < 5; c++) {
        uint64_t a = ((uint64_t)c << in.chip_shift) + 8192;
        tlpu_dev_time t0 = time_of(d);
        ck_assert_int_eq(tlpu_mem_write(d, a, buf, sizeof buf), TLPU_OK);
        tlpu_dev_time t1 = time_of(d);
        memset(back, 0, sizeof back);
        ck_assert_int_eq(tlpu_mem_read(d, a, back, sizeof back), TLPU_OK);
        ck_assert_mem_eq(back, buf, sizeof buf);
        /* the write: one packet; its hops on the ring 0-1-2-3-4-0 */
        uint32_t hops = tlpu_mc_hops(&sys, 0, c);
        ck_assert_uint_eq(hops, c == 0 ? 0 : c <= 2 ? c : 5 - c);
        double want = (double)hops * (double)tlpu_c2c_time_ps(&sys.c2c, sizeof buf) * 1e-12;
        ck_assert_msg(t1.c2c_s - t0.c2c_s > want - 1e-15 && t1.c2c_s - t0.c2c_s < want + 1e-15,
                      "chip %u: %.15g s over the links, want %.15g", c, t1.c2c_s - t0.c2c_s,
                      want);
        ck_assert_uint_eq(t1.c2c_bytes - t0.c2c_bytes, (uint64_t)hops * sizeof buf);
    }
    /* past the last chip, and past a chip's memory */
    ck_assert_int_eq(tlpu_mem_write(d, 5ull << in.chip_shift, buf, 16), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_mem_write(d, (1ull << in.chip_shift) + in.dram_size - 8, buf, 16),
                     TLPU_ERR_RANGE);
    tlpu_close(d);
}
END_TEST

/* ---- MC_RUN abuse ------------------------------------------------------------------------- */

static uint32_t raw(tlpu_dev *d, uint8_t op, const uint8_t *pl, uint32_t n)
{
    static uint32_t tag = 1000;
    uint8_t req[TLPU_PROTO_MAX_PACKET], rep[TLPU_PROTO_MAX_PACKET];
    memcpy(req + TLPU_PROTO_HDR_BYTES, pl, n);
    tlpu_proto_seal(req, op, 0, ++tag, n, 0);
    size_t rl = 0;
    ck_assert_int_eq(tlpu_debug_raw(d, req, TLPU_PROTO_HDR_BYTES + n, rep, sizeof rep, &rl),
                     TLPU_OK);
    ck_assert_uint_ge(rl, TLPU_PROTO_HDR_BYTES);
    tlpu_proto_hdr h;
    tlpu_proto_read_hdr(rep, &h);
    return h.status;
}

static void op(uint8_t *o, unsigned kind, uint32_t peer, uint32_t len, uint64_t src, uint64_t dst)
{
    memset(o, 0, TLPU_MC_OP_BYTES);
    o[0] = (uint8_t)kind;
    tlpu_put_u16(o + 2, (uint16_t)peer);
    tlpu_put_u32(o + 4, len);
    tlpu_put_u64(o + 8, src);
    tlpu_put_u64(o + 16, dst);
}

/* writes chip c's stream at 0x10000 and its table entry at 0x2000 on chip 0 */
static void stream(tlpu_dev *d, uint32_t sh, uint32_t c, const uint8_t *ops, uint32_t n)
{
    if (n)
        ck_assert_int_eq(tlpu_mem_write(d, ((uint64_t)c << sh) + 0x10000, ops,
                                        (size_t)n * TLPU_MC_OP_BYTES),
                         TLPU_OK);
    uint8_t e[TLPU_MC_ENTRY_BYTES] = {0};
    tlpu_put_u64(e, 0x10000);
    tlpu_put_u32(e + 8, n);
    ck_assert_int_eq(tlpu_mem_write(d, 0x2000 + TLPU_MC_ENTRY_BYTES * c, e, sizeof e), TLPU_OK);
}

static uint32_t mc_run(tlpu_dev *d, uint64_t table, uint32_t n)
{
    uint8_t pl[12];
    tlpu_put_u64(pl, table);
    tlpu_put_u32(pl + 8, n);
    return raw(d, TLPU_PROTO_OP_MC_RUN, pl, sizeof pl);
}

START_TEST(test_mc_run_abuse)
{
    /* a board has no MC_RUN */
    tlpu_dev *b = open_ok("sc:variant=small");
    ck_assert_uint_eq(mc_run(b, 0x2000, 1), TLPU_PST_UNSUPPORTED);
    tlpu_close(b);

    tlpu_dev *d = open_ok("sc:chips=4,sram=1M");
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    const uint32_t sh = in.chip_shift;
    uint8_t ops[8 * TLPU_MC_OP_BYTES];
    /* a good two-chip exchange first: chip 0 sends 64 bytes to chip 1 */
    uint8_t data[64];
    for (int i = 0; i < 64; i++)
        data[i] = (uint8_t)(i ^ 0xA5);
    ck_assert_int_eq(tlpu_mem_write(d, 0x4000, data, sizeof data), TLPU_OK);
    op(ops, TLPU_MC_SEND, 1, 64, 0x4000, 0x5000);
    stream(d, sh, 0, ops, 1);
    op(ops, TLPU_MC_RECV, 0, 64, 0, 0);
    stream(d, sh, 1, ops, 1);
    tlpu_dev_time t0 = time_of(d);
    ck_assert_uint_eq(mc_run(d, 0x2000, 2), TLPU_PST_OK);
    tlpu_dev_time t1 = time_of(d);
    tlpu_mc_system sys;
    tlpu_get_system(d, &sys);
    ck_assert_uint_eq(t1.mc_ps - t0.mc_ps, tlpu_c2c_time_ps(&sys.c2c, 64));
    uint8_t back[64];
    ck_assert_int_eq(tlpu_mem_read(d, (1ull << sh) + 0x5000, back, sizeof back), TLPU_OK);
    ck_assert_mem_eq(back, data, sizeof data);

    /* the command's own fields */
    ck_assert_uint_eq(mc_run(d, 0x2000, 0), TLPU_PST_BAD_ARG);
    ck_assert_uint_eq(mc_run(d, 0x2000, 5), TLPU_PST_BAD_ARG);
    ck_assert_uint_eq(mc_run(d, 0x2008, 2), TLPU_PST_ALIGN);
    ck_assert_uint_eq(mc_run(d, in.dram_size - 16, 2), TLPU_PST_RANGE);
    ck_assert_uint_eq(raw(d, TLPU_PROTO_OP_MC_RUN, ops, 8), TLPU_PST_BAD_LENGTH);

    /* bad streams: each rejected before anything runs (chip 1's buffer stays) */
    static const uint8_t zero[64];
    ck_assert_int_eq(tlpu_mem_write(d, (1ull << sh) + 0x5000, zero, sizeof zero), TLPU_OK);
    struct {
        unsigned kind;
        uint32_t peer, len;
        uint64_t src, dst;
        uint32_t want;
    } bad[] = {
        {TLPU_MC_SEND, 2, 64, 0x4000, 0x5000, TLPU_PST_BAD_ARG},   /* not a neighbour of 0 */
        {TLPU_MC_SEND, 0, 64, 0x4000, 0x5000, TLPU_PST_BAD_ARG},   /* itself */
        {TLPU_MC_SEND, 1, 0, 0x4000, 0x5000, TLPU_PST_BAD_ARG},    /* empty */
        {TLPU_MC_SEND, 1, 64, 1ull << 20, 0x5000, TLPU_PST_RANGE}, /* outside memory */
        {TLPU_MC_SEND, 1, 64, 0x4000, (1ull << 20) - 8, TLPU_PST_RANGE},
        {TLPU_MC_RUNCORE, 0, 1, 0x4008, 0, TLPU_PST_ALIGN},
        {TLPU_MC_RUNCORE, 0, 0, 0x4000, 0, TLPU_PST_BAD_ARG},
        {TLPU_MC_RUNCORE, 0, 1 << 20, 0x4000, 0, TLPU_PST_RANGE},
        {9, 1, 64, 0x4000, 0x5000, TLPU_PST_BAD_ARG},               /* unknown kind */
        {TLPU_MC_SEND, 1, 32, 0x4000, 0x5000, TLPU_PST_BAD_ARG},   /* RECV expects 64 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        op(ops, bad[i].kind, bad[i].peer, bad[i].len, bad[i].src, bad[i].dst);
        stream(d, sh, 0, ops, 1);
        ck_assert_msg(mc_run(d, 0x2000, 2) == bad[i].want, "bad op %zu", i);
    }
    /* a reserved byte set */
    op(ops, TLPU_MC_SEND, 1, 64, 0x4000, 0x5000);
    ops[1] = 1;
    stream(d, sh, 0, ops, 1);
    ck_assert_uint_eq(mc_run(d, 0x2000, 2), TLPU_PST_BAD_ARG);
    /* a RECV nobody sends, and two chips waiting for each other */
    stream(d, sh, 0, ops, 0);
    ck_assert_uint_eq(mc_run(d, 0x2000, 2), TLPU_PST_BAD_ARG);
    op(ops, TLPU_MC_RECV, 1, 64, 0, 0);
    op(ops + TLPU_MC_OP_BYTES, TLPU_MC_SEND, 1, 64, 0x4000, 0x5000);
    stream(d, sh, 0, ops, 2);
    op(ops, TLPU_MC_RECV, 0, 64, 0, 0);
    op(ops + TLPU_MC_OP_BYTES, TLPU_MC_SEND, 0, 64, 0x4000, 0x5000);
    stream(d, sh, 1, ops, 2);
    ck_assert_uint_eq(mc_run(d, 0x2000, 2), TLPU_PST_BAD_ARG);
    /* a send nobody receives */
    op(ops, TLPU_MC_SEND, 1, 64, 0x4000, 0x5000);
    stream(d, sh, 0, ops, 1);
    stream(d, sh, 1, ops, 0);
    ck_assert_uint_eq(mc_run(d, 0x2000, 2), TLPU_PST_BAD_ARG);
    ck_assert_int_eq(tlpu_mem_read(d, (1ull << sh) + 0x5000, back, sizeof back), TLPU_OK);
    ck_assert_mem_eq(back, zero, sizeof zero);
    /* the system still works */
    mc_case(d, 1, 100, 100, TLPU_FMT_PACK2, 5, NULL);
    tlpu_close(d);
}
END_TEST

/* ---- bad configurations --------------------------------------------------------------------- */

START_TEST(test_bad_config)
{
    static const struct {
        const char *uri, *msg;
    } bad[] = {
        {"sc:chips=0", "chips=0"},
        {"sc:chips=65", "chips=65"},
        {"sc:chips=2,topology=star", "topology=star"},
        {"sc:chips=2,c2c=nvlink", "unknown chip-to-chip preset 'nvlink'"},
        {"sc:chips=2,c2c_bw=0", "c2c_bw=0"},
        {"sc:chips=2,c2c_latency=-1", "c2c_latency=-1"},
        {"sc:chips=2,core=fpga", "core=fpga"},
        {"sc:chips=2,sram=100", "sram=100"},
        {"sc:chips=2,dram=lpddr5", "dram= is for the board"},
        {"sc:chips=2,dram_size=64M", "dram_size= is for the board"},
        {"sc:topology=ring", "topology= is for an LPU system"},
        {"sc:sram=1M", "sram= is for an LPU system"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tlpu_dev *d = NULL;
        ck_assert_int_eq(tlpu_open(bad[i].uri, &d), TLPU_ERR_INVALID_ARG);
        ck_assert_msg(strstr(tlpu_last_error(), bad[i].msg), "%s: '%s'", bad[i].uri,
                      tlpu_last_error());
        ck_assert_ptr_null(d);
    }
    /* a layer that does not fit the chips' SRAM: a clear error, nothing changed */
    tlpu_dev *d = open_ok("sc:chips=2,sram=64K");
    test_bl c;
    test_bl_make(&c, 1, 2000, 600, TLPU_FMT_PACK3, 9);
    tlpu_dev_layer *L = NULL;
    ck_assert_int_eq(tlpu_dev_layer_load(d, 1, 2000, 600, TLPU_FMT_PACK3, c.wp, NULL, &L),
                     TLPU_ERR_NOMEM);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "bytes per chip, more than its 65536-byte"));
    ck_assert_ptr_null(L);
    /* a smaller one still runs */
    mc_case(d, 1, 200, 60, TLPU_FMT_PACK3, 3, NULL);
    test_bl_free(&c);
    tlpu_close(d);
    /* the formula's own checks */
    tlpu_mc_system s = {2, TLPU_MC_RING, {"x", 0, 0, 0}, 1e9, 0, 0};
    char why[128];
    ck_assert_int_eq(tlpu_mc_system_check(&s, why, sizeof why), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(why, "bandwidth"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mchip");
    TCase *tc = tcase_create("lpu");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, test_chips_exact_and_timed, 0, 16);
    tcase_add_loop_test(tc, test_estimate_equals_simulation, 0, 2);
    tcase_add_test(tc, test_rtl_cores);
    tcase_add_test(tc, test_remote_memory);
    tcase_add_test(tc, test_mc_run_abuse);
    tcase_add_test(tc, test_bad_config);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
