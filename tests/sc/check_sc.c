/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_sc - the sc: transport, the board as a SystemC/TLM-2.0 platform:
 *
 *  - random BitLinears bit-exact against the C reference, with every core
 *    counter (cycles included) equal to sim: with the same DRAM latency and
 *    width, for both DRAM presets;
 *  - the link time of every preset equals its documented formula for
 *    packets of every size class, the DMA time equals the DRAM formula,
 *    and the simulated time is exactly link + firmware + DRAM + core;
 *  - with resident weights (tlpu_dev_layer) only activations and results
 *    cross the link, and a call takes less board time;
 *  - broken packets get their error statuses and the board keeps working;
 *  - bad configurations (unknown presets, zero bandwidth, bad keys, a second
 *    platform in the process) give named errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_bl.h"
#include "test_sc.h"
#include "test_util.h"
#include "tlpu/bitlinear.h"
#include "tlpu/pack.h"
#include "tlpu/proto.h"
#include "tlpu/rng.h"
#include "tlpu/sc.h"
#include "tlpu/tlpu.h"

/* SystemC keeps time in picoseconds: a formula and the simulation agree to
 * the rounding of each wait */
#define PS 1e-12

static void near(double got, double want, double tol, const char *what)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s: %.12g s, want %.12g s", what, got, want);
}

/* ---- same bits and cycles as sim: ------------------------------------------------------- */

static void bl_case(tlpu_dev *a, tlpu_dev *b, uint32_t m, uint32_t k, uint32_t n, uint64_t seed)
{
    test_bl c;
    test_bl_make(&c, m, k, n, TLPU_FMT_PACK3, seed);
    tlpu_bitlinear_stats s[2];
    tlpu_dev *devs[2] = {a, b};
    for (int j = 0; j < 2; j++) {
        memset(c.y, 0x5A, (size_t)m * n * 4);
        tlpu_bitlinear_args args = {m, k, n, c.x, TLPU_FMT_PACK3, c.wp, c.y, NULL, 0, NULL, NULL};
        ck_assert_msg(tlpu_dev_bitlinear(devs[j], &args, &s[j]) == TLPU_OK, "%ux%ux%u: %s", m,
                      k, n, tlpu_last_error());
        ck_assert_mem_eq(c.y, c.ref, (size_t)m * n * 4);
    }
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        ck_assert_msg(s[0].counters[i] == s[1].counters[i], "%ux%ux%u counter %u: %llu vs %llu",
                      m, k, n, i, (unsigned long long)s[0].counters[i],
                      (unsigned long long)s[1].counters[i]);
    ck_assert_uint_eq(s[0].cycles, s[1].cycles);
    test_bl_free(&c);
}

static const struct {
    const char *sc, *sim;
} k_pairs[] = {
    /* ddr4-3200 at 1 GHz: 45 cycles, 25.6 B/cycle (the 16-byte port's full width) */
    {"sc:variant=small,link=usb2,dram=ddr4-3200", "sim:variant=small,latency=45"},
    /* lpddr5 at 500 MHz: 30 cycles, 51 B/cycle -> 16 */
    {"sc:variant=small,link=pcie3x4,dram=lpddr5,clock=500e6", "sim:variant=small,latency=30"},
    /* a narrow, slow DRAM: 200 ns at 1 GHz, 4 bytes per cycle */
    {"sc:variant=small,dram_latency=200,dram_bw=4e9", "sim:variant=small,latency=200,width=4"},
};

START_TEST(test_same_as_sim)
{
    tlpu_dev *sc = open_ok(k_pairs[_i].sc), *sim = open_ok(k_pairs[_i].sim);
    tlpu_rng r = tlpu_rng_seed(40 + (uint64_t)_i);
    for (int i = 0; i < 12; i++)
        bl_case(sc, sim, 1 + (uint32_t)(tlpu_rng_next(&r) % 24),
                1 + (uint32_t)(tlpu_rng_next(&r) % 500), 1 + (uint32_t)(tlpu_rng_next(&r) % 120),
                tlpu_rng_next(&r));
    tlpu_dev_time t = time_of(sc);
    near(t.total_s, t.link_s + t.fw_s + t.dram_s + t.core_s, 1e4 * PS, "total = sum of parts");
    ck_assert_double_gt(t.link_s, 0);
    ck_assert_double_gt(t.dram_s, 0);
    ck_assert_double_gt(t.link_j, 0);
    ck_assert_int_eq(tlpu_get_time(sim, &t), TLPU_ERR_UNSUPPORTED);
    tlpu_close(sc);
    tlpu_close(sim);
}
END_TEST

/* ---- the formulas --------------------------------------------------------------------- */

static void echo(tlpu_dev *d, size_t payload, uint32_t tag)
{
    static uint8_t req[TLPU_PROTO_MAX_PACKET], rep[TLPU_PROTO_MAX_PACKET];
    memset(req + TLPU_PROTO_HDR_BYTES, 0x33, payload);
    tlpu_proto_seal(req, TLPU_PROTO_OP_ECHO, 0, tag, (uint32_t)payload, 0);
    size_t n = 0;
    ck_assert_int_eq(tlpu_debug_raw(d, req, TLPU_PROTO_HDR_BYTES + payload, rep, sizeof rep, &n),
                     TLPU_OK);
    ck_assert_uint_eq(n, TLPU_PROTO_HDR_BYTES + payload);
}

START_TEST(test_link_formula)
{
    static const char *const links[] = {"usb2", "usb3", "pcie3x4"};
    const tlpu_sc_link *l = tlpu_sc_link_preset(links[_i]);
    ck_assert_ptr_nonnull(l);
    char uri[64];
    snprintf(uri, sizeof uri, "sc:variant=small,link=%s,fw=3.5", links[_i]);
    tlpu_dev *d = open_ok(uri);
    /* payloads that make packets of every size class: empty, short, exactly
     * whole packets, one byte over, the largest */
    static const size_t sizes[] = {0, 1, 232, 488, 489, 1000, 1000 + 24, 4072, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t bytes = TLPU_PROTO_HDR_BYTES + sizes[i];
        tlpu_dev_time a = time_of(d);
        echo(d, sizes[i], 100 + (uint32_t)i);
        tlpu_dev_time b = time_of(d);
        double want = 2 * tlpu_sc_link_time(l, bytes); /* the same bytes come back */
        near(b.link_s - a.link_s, want, 4 * PS, "link time");
        near(b.fw_s - a.fw_s, 3.5e-6, 2 * PS, "firmware time");
        ck_assert_double_eq(b.dram_s - a.dram_s, 0);
        ck_assert_double_eq(b.core_s - a.core_s, 0);
        near(b.total_s - a.total_s, want + 3.5e-6, 8 * PS, "total");
        ck_assert_uint_eq(b.link_bytes - a.link_bytes, 2 * tlpu_sc_link_wire_bytes(l, bytes));
        ck_assert_uint_eq(b.packets - a.packets, 1);
    }
    /* the formula itself, by hand, for one case of each */
    ck_assert_uint_eq(tlpu_sc_link_wire_bytes(tlpu_sc_link_preset("usb2"), 1024), 1024 + 3 * 65);
    ck_assert_uint_eq(tlpu_sc_link_wire_bytes(tlpu_sc_link_preset("usb2"), 1000), 1000 + 2 * 65);
    ck_assert_uint_eq(tlpu_sc_link_wire_bytes(tlpu_sc_link_preset("pcie3x4"), 512), 512 + 2 * 26);
    ck_assert_uint_eq(tlpu_sc_link_wire_bytes(tlpu_sc_link_preset("pcie3x4"), 0), 26);
    near(tlpu_sc_link_time(tlpu_sc_link_preset("usb2"), 488), 125e-6 + 553 * 8 / 480e6, 1e-15,
         "usb2 formula");
    tlpu_close(d);
}
END_TEST

START_TEST(test_dram_formula)
{
    static const char *const drams[] = {"ddr4-3200", "lpddr5"};
    const tlpu_sc_dram *m = tlpu_sc_dram_preset(drams[_i]);
    char uri[64];
    snprintf(uri, sizeof uri, "sc:variant=small,dram=%s", drams[_i]);
    tlpu_dev *d = open_ok(uri);
    static uint8_t buf[3 * 4088 + 100];
    memset(buf, 7, sizeof buf);
    tlpu_dev_time a = time_of(d);
    ck_assert_int_eq(tlpu_mem_write(d, 0x10000, buf, sizeof buf), TLPU_OK);
    tlpu_dev_time b = time_of(d);
    /* four MEM_WRITEs: three of 4088 bytes, one of 100 */
    double want = 3 * tlpu_sc_dram_time(m, 4088) + tlpu_sc_dram_time(m, 100);
    near(b.dram_s - a.dram_s, want, 8 * PS, "DMA time");
    ck_assert_uint_eq(b.dram_bytes - a.dram_bytes, sizeof buf);
    near(b.dram_j - a.dram_j, sizeof buf * 8 * m->pj_per_bit * 1e-12, 1e-18, "DRAM energy");
    near(b.total_s - a.total_s,
         (b.link_s - a.link_s) + (b.fw_s - a.fw_s) + (b.dram_s - a.dram_s) + (b.core_s - a.core_s),
         16 * PS, "total");
    uint8_t back[sizeof buf];
    ck_assert_int_eq(tlpu_mem_read(d, 0x10000, back, sizeof back), TLPU_OK);
    ck_assert_mem_eq(buf, back, sizeof buf);

    /* the core's own memory port: every beat a TLM transaction on the DRAM
     * model, counted in its bytes and energy with the firmware's DMA */
    test_bl c;
    test_bl_make(&c, 3, 300, 50, TLPU_FMT_PACK3, 31);
    tlpu_dev_layer *L = NULL;
    ck_assert_int_eq(tlpu_dev_layer_load(d, 3, 300, 50, TLPU_FMT_PACK3, c.wp, NULL, &L), TLPU_OK);
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    a = time_of(d);
    tlpu_bitlinear_stats st;
    ck_assert_int_eq(tlpu_dev_layer_run(L, c.x, c.y, NULL, 0, NULL, &st), TLPU_OK);
    b = time_of(d);
    ck_assert_mem_eq(c.y, c.ref, sizeof(int32_t) * 3 * 50);
    const uint64_t dma = 3ull * tlpu_act_stride(&in.hw, 300) + 3ull * tlpu_out_stride(&in.hw, 50);
    const uint64_t port = st.counters[TLPU_CNTI_DRAM_RD_BYTES] + st.counters[TLPU_CNTI_DRAM_WR_BYTES];
    ck_assert_uint_gt(port, 0);
    ck_assert_uint_eq(b.dram_bytes - a.dram_bytes, dma + port);
    near(b.dram_j - a.dram_j, (double)(dma + port) * 8 * m->pj_per_bit * 1e-12, 1e-18,
         "DRAM energy with the core's own traffic");
    tlpu_dev_layer_free(L);
    test_bl_free(&c);
    tlpu_close(d);
}
END_TEST

/* ---- resident weights: only activations and results cross the link ------------------------ */

START_TEST(test_resident_board_time)
{
    tlpu_dev *d = open_ok("sc:variant=small,link=usb3");
    tlpu_rng r = tlpu_rng_seed(8);
    const uint32_t m = 2, k = 600, n = 160;
    size_t rb = tlpu_packed_row_bytes(TLPU_FMT_PACK3, k);
    int8_t x[2 * 600], w[160 * 600];
    uint8_t wp[160 * 120];
    int32_t y[2 * 160], ref[2 * 160];
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = (int8_t)tlpu_rng_next(&r);
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (int8_t)((int)(tlpu_rng_next(&r) % 3) - 1);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(tlpu_pack3(w + i * k, k, wp + i * rb, rb), TLPU_OK);
    ck_assert_int_eq(tlpu_bitlinear(m, k, n, x, w, ref), TLPU_OK);
    /* every call uploading its weights */
    tlpu_dev_time a = time_of(d);
    tlpu_bitlinear_args args = {m, k, n, x, TLPU_FMT_PACK3, wp, y, NULL, 0, NULL, NULL};
    tlpu_bitlinear_stats s;
    ck_assert_int_eq(tlpu_dev_bitlinear(d, &args, &s), TLPU_OK);
    tlpu_dev_time b = time_of(d);
    /* weights loaded once, then a run */
    tlpu_dev_layer *L = NULL;
    ck_assert_int_eq(tlpu_dev_layer_load(d, m, k, n, TLPU_FMT_PACK3, wp, NULL, &L), TLPU_OK);
    tlpu_dev_time c0 = time_of(d);
    memset(y, 0, sizeof y);
    ck_assert_int_eq(tlpu_dev_layer_run(L, x, y, NULL, 0, NULL, NULL), TLPU_OK);
    tlpu_dev_time c1 = time_of(d);
    ck_assert_mem_eq(y, ref, sizeof y);
    tlpu_dev_layer_free(L);
    uint64_t full = b.link_bytes - a.link_bytes, run = c1.link_bytes - c0.link_bytes;
    ck_assert_uint_gt(full, s.weight_bytes); /* the image crossed the link */
    ck_assert_uint_lt(run, s.weight_bytes);  /* it did not */
    ck_assert_double_lt(c1.total_s - c0.total_s, b.total_s - a.total_s);
    tlpu_close(d);
}
END_TEST

/* ---- broken packets -------------------------------------------------------------------- */

START_TEST(test_protocol_abuse)
{
    tlpu_dev *d = open_ok("sc:variant=small");
    uint8_t p[64], rep[TLPU_PROTO_MAX_PACKET];
    size_t n;
    tlpu_proto_hdr h;
    tlpu_proto_seal(p, TLPU_PROTO_OP_INFO, 0, 9, 0, 0);
    p[0] ^= 1;
    ck_assert_int_eq(tlpu_debug_raw(d, p, 24, rep, sizeof rep, &n), TLPU_OK);
    tlpu_proto_read_hdr(rep, &h);
    ck_assert_uint_eq(h.status, TLPU_PST_BAD_MAGIC);
    memcpy(p + 24, "abc", 3);
    tlpu_proto_seal(p, TLPU_PROTO_OP_ECHO, 0, 10, 3, 0);
    p[25] ^= 4;
    ck_assert_int_eq(tlpu_debug_raw(d, p, 27, rep, sizeof rep, &n), TLPU_OK);
    tlpu_proto_read_hdr(rep, &h);
    ck_assert_uint_eq(h.status, TLPU_PST_BAD_CRC);
    ck_assert_uint_eq(h.tag, 10);
    ck_assert_int_eq(tlpu_debug_raw(d, p, 0, rep, sizeof rep, &n), TLPU_OK);
    tlpu_proto_read_hdr(rep, &h);
    ck_assert_uint_eq(h.status, TLPU_PST_BAD_LENGTH);
    tlpu_dev *s = open_ok("sim:variant=small,latency=45");
    bl_case(d, s, 3, 100, 9, 5); /* still exact */
    tlpu_close(s);
    tlpu_close(d);
}
END_TEST

/* ---- bad configurations ---------------------------------------------------------------- */

START_TEST(test_bad_config)
{
    tlpu_dev *d = NULL;
    static const struct {
        const char *uri, *says;
    } bad[] = {
        {"sc:link=usb9", "unknown link preset 'usb9' (usb2, usb3, pcie3x4)"},
        {"sc:dram=ddr9", "unknown DRAM preset 'ddr9' (ddr4-3200, lpddr5)"},
        {"sc:link_bw=0", "link_bw=0 is not a number"},
        {"sc:dram_bw=-5", "dram_bw=-5"},
        {"sc:clock=fast", "clock=fast"},
        {"sc:variant=huge", "variant 'huge'"},
        {"sc:dram_size=100", "dram_size=100"},
        {"sc:colour=blue", "unknown parameter 'colour'"},
        {"sc:link", "not key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(tlpu_open(bad[i].uri, &d) == TLPU_ERR_INVALID_ARG, "%s", bad[i].uri);
        ck_assert_msg(strstr(tlpu_last_error(), bad[i].says), "%s: '%s'", bad[i].uri,
                      tlpu_last_error());
        ck_assert_ptr_null(d);
    }
    /* one platform per process at a time; another after it is closed */
    d = open_ok("sc:variant=small");
    tlpu_dev *e = NULL;
    ck_assert_int_eq(tlpu_open("sc:variant=small", &e), TLPU_ERR_BUSY);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "one sc: platform per process"));
    tlpu_close(d);
    d = open_ok("sc:variant=small,link=usb2");
    tlpu_dev *s = open_ok("sim:variant=small,latency=45");
    bl_case(d, s, 2, 50, 7, 6);
    tlpu_close(s);
    tlpu_close(d);
    /* the C API checks its numbers too */
    tlpu_sc_config c;
    tlpu_sc_config_init(&c);
    c.link.bits_per_s = 0;
    tlpu_sc *sc = NULL;
    ck_assert_int_eq(tlpu_sc_create(&c, &sc), TLPU_ERR_INVALID_ARG);
    tlpu_sc_config_init(&c);
    c.dram.latency_s = NAN;
    ck_assert_int_eq(tlpu_sc_create(&c, &sc), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_null(sc);
}
END_TEST

/* tlpu_time_since: the difference of two readings, field by field */
START_TEST(test_time_since)
{
    tlpu_dev *d = open_ok("sc:variant=small,link=usb3");
    tlpu_dev_time a = time_of(d);
    echo(d, 1000, 7);
    tlpu_dev_time b = time_of(d), s, keep;
    ck_assert_int_eq(tlpu_time_since(&b, &a, &s), TLPU_OK);
    ck_assert_double_eq(s.total_s, b.total_s - a.total_s);
    ck_assert_double_eq(s.link_s, b.link_s - a.link_s);
    ck_assert_double_eq(s.fw_s, b.fw_s - a.fw_s);
    ck_assert_double_eq(s.dram_s, b.dram_s - a.dram_s);
    ck_assert_double_eq(s.core_s, b.core_s - a.core_s);
    ck_assert_double_eq(s.link_j, b.link_j - a.link_j);
    ck_assert_double_eq(s.dram_j, b.dram_j - a.dram_j);
    ck_assert_uint_eq(s.link_bytes, b.link_bytes - a.link_bytes);
    ck_assert_uint_eq(s.packets, 1);
    ck_assert(s.link_s > 0 && s.total_s >= s.link_s);
    keep = s;
    ck_assert_int_eq(tlpu_time_since(NULL, &a, &s), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_time_since(&b, NULL, &s), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_time_since(&b, &a, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(memcmp(&s, &keep, sizeof s), 0);
    tlpu_close(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc");
    TCase *tc = tcase_create("platform");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_same_as_sim, 0, 3);
    tcase_add_loop_test(tc, test_link_formula, 0, 3);
    tcase_add_loop_test(tc, test_dram_formula, 0, 2);
    tcase_add_test(tc, test_resident_board_time);
    tcase_add_test(tc, test_protocol_abuse);
    tcase_add_test(tc, test_bad_config);
    tcase_add_test(tc, test_time_since);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
