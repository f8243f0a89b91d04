/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_usb - the usb: transport against emulated boards (sim/usbemu),
 * through the real libusb, under umockdev-wrapper. check_e2e --usb runs the
 * whole end-to-end suite over usb:; this suite is about the link itself:
 *
 *  - finding boards: listing, choosing by serial and bus path, bad URIs;
 *  - faults on either endpoint - stalls, transfer errors (a request half
 *    delivered, a reply lost), timeouts, short replies - at the start, in
 *    the middle and at the end of an exchange: the call succeeds after a
 *    retry with exactly the right bytes, or fails with a named error after
 *    its retries, and the device keeps working;
 *  - a RUN whose reply is lost is not run twice (the board's reply cache);
 *  - a board unplugged in the middle of an upload or a BitLinear:
 *    TLPU_ERR_NO_DEVICE at once and on every later call, no hang, the
 *    handle closes, the output buffer untouched;
 *  - cancellation from another thread, and before a call;
 *  - a random fault soak: never a wrong result.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libusb.h>

#include "test_bl.h"
#include "test_util.h"
#include "tlpu/bitlinear.h"
#include "tlpu/isa.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"
#include "tlpu/tlpu.h"
#include "tlpu/usbemu.h"

#define EP_OUT 0x01
#define EP_IN 0x81

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* one bus with one board (core model:, serial "b0") unless the test adds more */
static tlpu_usbemu *g_bus;

static int plug(const char *core, const char *serial, int super_speed)
{
    if (!g_bus)
        ck_assert_int_eq(tlpu_usbemu_new(&g_bus), TLPU_OK);
    tlpu_usbemu_board b = {core, serial, super_speed};
    int id = -1;
    ck_assert_msg(tlpu_usbemu_plug(g_bus, &b, &id) == TLPU_OK, "plug %s", core);
    return id;
}

static tlpu_dev *open_ok(const char *uri)
{
    tlpu_dev *d = NULL;
    tlpu_status st = tlpu_open(uri, &d);
    ck_assert_msg(st == TLPU_OK, "open %s: %s", uri, tlpu_last_error());
    return d;
}

static tlpu_usbemu_stats stats(int id)
{
    tlpu_usbemu_stats s;
    ck_assert_int_eq(tlpu_usbemu_stats_of(g_bus, id, &s), TLPU_OK);
    return s;
}

static void teardown(void)
{
    tlpu_usbemu_free(g_bus);
    g_bus = NULL;
}

/* ---- data and BitLinear checks ------------------------------------------------------- */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    tlpu_rng r = tlpu_rng_seed(seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tlpu_rng_next(&r);
}

/* writes n bytes at addr and reads them back; returns the first failing status */
static tlpu_status roundtrip(tlpu_dev *d, uint64_t addr, size_t n, uint32_t seed)
{
    uint8_t *a = malloc(n), *b = malloc(n);
    ck_assert(a && b);
    fill(a, n, seed);
    memset(b, 0xEE, n);
    tlpu_status st = tlpu_mem_write(d, addr, a, n);
    if (st == TLPU_OK)
        st = tlpu_mem_read(d, addr, b, n);
    if (st == TLPU_OK)
        ck_assert_msg(memcmp(a, b, n) == 0, "read back differs from what was written");
    free(a);
    free(b);
    return st;
}

static void bl_make(test_bl *c, uint32_t m, uint32_t k, uint32_t n, uint32_t seed)
{
    test_bl_make(c, m, k, n, TLPU_FMT_PACK3, seed);
}

static tlpu_status bl_run(tlpu_dev *d, test_bl *c)
{
    memset(c->y, 0x5A, (size_t)c->m * c->n * sizeof *c->y);
    tlpu_bitlinear_args a = {c->m, c->k, c->n, c->x, TLPU_FMT_PACK3, c->wp, c->y,
                             NULL, 0, NULL, NULL};
    tlpu_status st = tlpu_dev_bitlinear(d, &a, NULL);
    if (st == TLPU_OK)
        for (size_t i = 0; i < (size_t)c->m * c->n; i++)
            ck_assert_msg(c->y[i] == c->ref[i], "%ux%ux%u: y[%zu] = %d, want %d", c->m, c->k,
                          c->n, i, c->y[i], c->ref[i]);
    return st;
}

static void bl_ok(tlpu_dev *d, uint32_t m, uint32_t k, uint32_t n, uint32_t seed)
{
    test_bl c;
    bl_make(&c, m, k, n, seed);
    tlpu_status st = bl_run(d, &c);
    ck_assert_msg(st == TLPU_OK, "%ux%ux%u: %s", m, k, n, tlpu_last_error());
    test_bl_free(&c);
}

/* ---- finding boards ---------------------------------------------------------------- */

typedef struct seen {
    int n;
    char uri[4][256], what[4][384];
} seen;

static void collect(void *arg, const char *uri, const char *what)
{
    seen *s = arg;
    if (s->n < 4) {
        snprintf(s->uri[s->n], sizeof s->uri[0], "%s", uri);
        snprintf(s->what[s->n], sizeof s->what[0], "%s", what);
    }
    s->n++;
}

START_TEST(test_find_boards)
{
    tlpu_dev *d = NULL;
    /* an empty bus: a named error saying what was looked for */
    ck_assert_int_eq(tlpu_usbemu_new(&g_bus), TLPU_OK);
    ck_assert_int_eq(tlpu_open("usb:", &d), TLPU_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "no tlpu board found"));
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "1209:7470"));
    ck_assert_ptr_null(d);

    plug("model:", "A-1", 0);
    plug("model:variant=small", "B-2", 1);
    plug("sim:variant=small", "C-3", 0);
    seen s = {0};
    int count = -1;
    ck_assert_int_eq(tlpu_list_devices("usb:", collect, &s, &count), TLPU_OK);
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.uri[1], "usb:vid=0x1209,pid=0x7470,port=1-2,serial=B-2");
    ck_assert_ptr_nonnull(strstr(s.what[1], "5 Gb/s"));
    ck_assert_ptr_nonnull(strstr(s.what[0], "480 Mb/s"));
    ck_assert_ptr_nonnull(strstr(s.what[2], "tlpu ternary LPU"));
    s.n = 0;
    ck_assert_int_eq(tlpu_list_devices("usb:serial=C-3", collect, &s, &count), TLPU_OK);
    ck_assert_int_eq(count, 1);
    ck_assert_ptr_nonnull(strstr(s.uri[0], "port=1-3"));

    /* each listed URI opens its own board */
    tlpu_dev_info in;
    d = open_ok("usb:vid=0x1209,pid=0x7470,port=1-2,serial=B-2");
    tlpu_get_info(d, &in);
    ck_assert_uint_eq(in.hw.rows, 4);
    ck_assert_str_eq(in.transport, "usb");
    tlpu_close(d);
    d = open_ok("usb:port=1-1");
    tlpu_get_info(d, &in);
    ck_assert_uint_eq(in.hw.rows, 32);
    bl_ok(d, 3, 300, 50, 1);
    tlpu_close(d);
    d = open_ok("usb:serial=C-3"); /* the Verilated core behind USB */
    bl_ok(d, 5, 200, 30, 2);
    tlpu_close(d);

    ck_assert_int_eq(tlpu_open("usb:serial=Z-9", &d), TLPU_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "none with that serial"));
    ck_assert_int_eq(tlpu_open("usb:port=2-1", &d), TLPU_ERR_NO_DEVICE);
    ck_assert_int_eq(tlpu_open("usb:pid=0x1234", &d), TLPU_ERR_NO_DEVICE);
    /* bad parameters are named */
    static const char *const bad[] = {"usb:inflight=0", "usb:inflight=33", "usb:retries=x",
                                      "usb:timeout=0", "usb:vid=70000", "usb:speed=9",
                                      "usb:serial"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(tlpu_open(bad[i], &d) == TLPU_ERR_INVALID_ARG, "%s", bad[i]);
        ck_assert_msg(tlpu_last_error()[0] != 0, "%s: no message", bad[i]);
    }
    ck_assert_int_eq(tlpu_list_devices("usb:retries=x", collect, &s, &count),
                     TLPU_ERR_INVALID_ARG);
    teardown();
}
END_TEST

/* ---- faults that a retry repairs ------------------------------------------------------ */

typedef struct fault_case {
    tlpu_usbemu_fault kind;
    uint8_t ep;
    unsigned nth;
} fault_case;

START_TEST(test_faults_repaired)
{
    int id = plug("model:", "b0", _i & 1);
    tlpu_dev *d = open_ok("usb:serial=b0,timeout=300");
    /* a 200 KiB upload is 51 MEM_WRITE requests, its read back 50 MEM_READs */
    static const fault_case cases[] = {
        {TLPU_USBEMU_STALL, EP_OUT, 1},    {TLPU_USBEMU_STALL, EP_OUT, 20},
        {TLPU_USBEMU_STALL, EP_IN, 1},     {TLPU_USBEMU_STALL, EP_IN, 33},
        {TLPU_USBEMU_ERROR, EP_OUT, 2},    {TLPU_USBEMU_ERROR, EP_OUT, 51},
        {TLPU_USBEMU_ERROR, EP_IN, 5},     {TLPU_USBEMU_ERROR, EP_IN, 60},
        {TLPU_USBEMU_TIMEOUT, EP_OUT, 12}, {TLPU_USBEMU_TIMEOUT, EP_IN, 40},
        {TLPU_USBEMU_SHORT, EP_IN, 3},     {TLPU_USBEMU_SHORT, EP_IN, 90},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const fault_case *f = &cases[i];
        tlpu_usbemu_stats before = stats(id);
        ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, f->kind, f->ep, f->nth), TLPU_OK);
        double t0 = now();
        tlpu_status st = roundtrip(d, 0x10000, 200 * 1024, (uint32_t)i);
        ck_assert_msg(st == TLPU_OK, "fault %d on 0x%02x at %u: %s", f->kind, f->ep, f->nth,
                      tlpu_last_error());
        tlpu_usbemu_stats after = stats(id);
        ck_assert_msg(after.faults == before.faults + 1, "fault %zu did not fire", i);
        ck_assert_uint_eq(after.resyncs, before.resyncs + 1); /* one recovery */
        if (f->kind == TLPU_USBEMU_TIMEOUT)
            ck_assert_double_ge(now() - t0, 0.29); /* it waited for its timeout */
    }
    /* the upload kept requests in flight: the device's four reply slots filled,
     * and the transfers behind them queued */
    ck_assert_uint_ge(stats(id).peak_out, 4);
    ck_assert_uint_ge(stats(id).peak_in, 4);
    /* and a whole BitLinear with a fault in each of its phases */
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_ERROR, EP_OUT, 7), TLPU_OK);
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_SHORT, EP_IN, 30), TLPU_OK);
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_STALL, EP_IN, 48), TLPU_OK);
    bl_ok(d, 9, 1500, 300, 3);
    tlpu_close(d);
    teardown();
}
END_TEST

/* ---- a lost reply to a RUN: not run twice ------------------------------------------------- */

START_TEST(test_run_not_repeated)
{
    int id = plug("model:variant=small", "b0", 0);
    tlpu_dev *d = open_ok("usb:serial=b0");
    /* a program of one MM and END: the ops counter says how often it ran */
    tlpu_insn prog[2] = {tlpu_insn_mm(0, 0, 4, 0, 4, 4, 0, 0), tlpu_insn_end()};
    ck_assert_int_eq(tlpu_mem_write(d, 0x1000, prog, sizeof prog), TLPU_OK);
    ck_assert_int_eq(tlpu_counters_reset(d), TLPU_OK);
    tlpu_usbemu_stats before = stats(id);
    /* the next IN transfer carries RUN's reply: lose it */
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_ERROR, EP_IN, 1), TLPU_OK);
    ck_assert_msg(tlpu_run(d, 0x1000, 2) == TLPU_OK, "%s", tlpu_last_error());
    tlpu_usbemu_stats after = stats(id);
    ck_assert_uint_eq(after.duplicates, before.duplicates + 1);
    ck_assert_uint_eq(after.requests, before.requests + 1); /* the resent RUN was not run */
    tlpu_run_result rr;
    ck_assert_int_eq(tlpu_wait(d, 1000000, &rr), TLPU_OK);
    uint64_t once[TLPU_NUM_COUNTERS], twice[TLPU_NUM_COUNTERS];
    ck_assert_int_eq(tlpu_counters(d, once), TLPU_OK);
    /* the same program run again normally doubles the counters: it ran once before */
    ck_assert_int_eq(tlpu_run(d, 0x1000, 2), TLPU_OK);
    ck_assert_int_eq(tlpu_wait(d, 1000000, &rr), TLPU_OK);
    ck_assert_int_eq(tlpu_counters(d, twice), TLPU_OK);
    ck_assert_uint_gt(once[TLPU_CNTI_INSNS], 0);
    ck_assert_uint_eq(twice[TLPU_CNTI_INSNS], 2 * once[TLPU_CNTI_INSNS]);
    /* and a lost RUN request half delivered: resent, run once */
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_STALL, EP_OUT, 1), TLPU_OK);
    ck_assert_int_eq(tlpu_run(d, 0x1000, 2), TLPU_OK);
    ck_assert_int_eq(tlpu_wait(d, 1000000, &rr), TLPU_OK);
    ck_assert_int_eq(tlpu_counters(d, twice), TLPU_OK);
    ck_assert_uint_eq(twice[TLPU_CNTI_INSNS], 3 * once[TLPU_CNTI_INSNS]);
    tlpu_close(d);
    teardown();
}
END_TEST

/* ---- faults that outlast the retries -------------------------------------------------- */

START_TEST(test_faults_exhausted)
{
    int id = plug("model:", "b0", 0);
    tlpu_dev *d = open_ok("usb:serial=b0,retries=2,timeout=200");
    uint32_t v;
    /* three stalls in a row for one request: its 3 tries all fail */
    for (unsigned k = 1; k <= 3; k++)
        ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_STALL, EP_IN, k), TLPU_OK);
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_ERR_TRANSPORT);
    ck_assert_int_eq(tlpu_last_transport_error(), LIBUSB_ERROR_PIPE);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "LIBUSB_ERROR_PIPE"));
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "after 2 retries"));
    /* the device is fine afterwards */
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_OK);

    /* a device that stops answering: a timeout in bounded time, no hang (one
     * request in flight, so each of the 3 tries waits for one reply) */
    tlpu_close(d);
    d = open_ok("usb:serial=b0,retries=2,timeout=200,inflight=1");
    for (unsigned k = 1; k <= 3; k++)
        ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_TIMEOUT, EP_IN, k),
                         TLPU_OK);
    double t0 = now();
    ck_assert_int_eq(roundtrip(d, 0x10000, 64 * 1024, 1), TLPU_ERR_TIMEOUT);
    double dt = now() - t0;
    ck_assert_int_eq(tlpu_last_transport_error(), LIBUSB_ERROR_TIMEOUT);
    ck_assert_double_ge(dt, 0.55);
    ck_assert_double_lt(dt, 5.0);
    ck_assert_int_eq(roundtrip(d, 0x10000, 64 * 1024, 2), TLPU_OK);
    bl_ok(d, 4, 700, 90, 4);
    /* a non-transport failure leaves no transport code */
    ck_assert_int_eq(tlpu_mem_write(d, 1ull << 40, &v, 4), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_last_transport_error(), 0);
    tlpu_close(d);
    teardown();
}
END_TEST

/* ---- unplugged -------------------------------------------------------------------------- */

START_TEST(test_unplug_mid_upload)
{
    int id = plug("model:", "b0", 0);
    tlpu_dev *d = open_ok("usb:serial=b0,inflight=16");
    /* 4 MiB is about 1000 requests: unplug at the 300th */
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_UNPLUG, EP_OUT, 300), TLPU_OK);
    double t0 = now();
    ck_assert_int_eq(roundtrip(d, 0x10000, 4u << 20, 3), TLPU_ERR_NO_DEVICE);
    ck_assert_double_lt(now() - t0, 5.0);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "went away"));
    ck_assert_int_eq(tlpu_last_transport_error(), LIBUSB_ERROR_NO_DEVICE);
    /* every later call says so at once */
    uint32_t v;
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_ERR_NO_DEVICE);
    test_bl c;
    bl_make(&c, 2, 100, 10, 5);
    ck_assert_int_eq(bl_run(d, &c), TLPU_ERR_NO_DEVICE);
    for (size_t i = 0; i < 20; i++) /* the output was not touched */
        ck_assert_int_eq(c.y[i], 0x5A5A5A5A);
    test_bl_free(&c);
    tlpu_close(d);
    /* gone from the bus too */
    ck_assert_int_eq(tlpu_open("usb:serial=b0", &d), TLPU_ERR_NO_DEVICE);
    teardown();
}
END_TEST

START_TEST(test_unplug_mid_bitlinear)
{
    /* unplugged while the results are read back: nothing half written */
    int id = plug("model:", "b0", 1);
    tlpu_dev *d = open_ok("usb:serial=b0");
    test_bl c;
    bl_make(&c, 64, 1000, 700, 6);
    ck_assert_int_eq(bl_run(d, &c), TLPU_OK); /* learn how many replies it takes */
    tlpu_usbemu_stats s = stats(id);
    uint64_t per_run = s.requests;
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_UNPLUG, EP_IN,
                                          (unsigned)(per_run - per_run / 10)),
                     TLPU_OK);
    ck_assert_int_eq(bl_run(d, &c), TLPU_ERR_NO_DEVICE);
    for (size_t i = 0; i < (size_t)c.m * c.n; i++)
        ck_assert_int_eq(c.y[i], 0x5A5A5A5A);
    test_bl_free(&c);
    tlpu_close(d);
    teardown();
}
END_TEST

START_TEST(test_unplug_between_calls)
{
    int id = plug("model:", "b0", 0);
    tlpu_dev *d = open_ok("usb:serial=b0");
    bl_ok(d, 2, 64, 8, 7);
    tlpu_usbemu_unplug(g_bus, id);
    uint32_t v;
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_ERR_NO_DEVICE);
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_ERR_NO_DEVICE);
    tlpu_close(d);
    teardown();
}
END_TEST

/* ---- cancellation ----------------------------------------------------------------------- */

typedef struct canceller {
    tlpu_dev *d;
    double delay;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    struct timespec ts = {0, (long)(c->delay * 1e9)};
    nanosleep(&ts, NULL);
    tlpu_cancel(c->d);
    return NULL;
}

START_TEST(test_cancel)
{
    int id = plug("model:", "b0", 0);
    tlpu_dev *d = open_ok("usb:serial=b0,timeout=20000");
    /* a reply that never comes; another thread cancels after 0.2 s */
    ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, id, TLPU_USBEMU_TIMEOUT, EP_IN, 5), TLPU_OK);
    canceller cc = {d, 0.2};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, cancel_later, &cc), 0);
    double t0 = now();
    ck_assert_int_eq(roundtrip(d, 0x10000, 1u << 20, 8), TLPU_ERR_CANCELLED);
    double dt = now() - t0;
    pthread_join(th, NULL);
    ck_assert_double_lt(dt, 3.0); /* not the 20 s timeout */
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "cancelled"));
    /* the device works, exactly, after the cancelled exchange's leftovers */
    ck_assert_int_eq(roundtrip(d, 0x10000, 300 * 1024, 9), TLPU_OK);
    bl_ok(d, 7, 900, 120, 10);
    /* a cancel made between calls cancels the next one, once */
    tlpu_cancel(d);
    uint32_t v;
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_ERR_CANCELLED);
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &v), TLPU_OK);
    tlpu_cancel(NULL); /* harmless */
    tlpu_close(d);
    teardown();
}
END_TEST

/* ---- a random soak -------------------------------------------------------------------- */

START_TEST(test_fault_soak)
{
    int hs = plug("model:variant=small", "s0", 0), ss = plug("model:", "s1", 1);
    tlpu_dev *d[2] = {open_ok("usb:serial=s0,timeout=100,inflight=4"),
                      open_ok("usb:serial=s1,timeout=100,inflight=32")};
    int ids[2] = {hs, ss};
    tlpu_rng r = tlpu_rng_seed(77);
    static const tlpu_usbemu_fault kinds[] = {TLPU_USBEMU_STALL, TLPU_USBEMU_ERROR,
                                              TLPU_USBEMU_SHORT, TLPU_USBEMU_TIMEOUT};
    uint64_t fired = 0;
    for (int i = 0; i < 40; i++) {
        int b = (int)(tlpu_rng_next(&r) & 1);
        tlpu_usbemu_fault k = kinds[tlpu_rng_next(&r) % 4];
        uint8_t ep = (k == TLPU_USBEMU_SHORT || (tlpu_rng_next(&r) & 1)) ? EP_IN : EP_OUT;
        unsigned nth = 1 + (unsigned)(tlpu_rng_next(&r) % 12);
        ck_assert_int_eq(tlpu_usbemu_fault_at(g_bus, ids[b], k, ep, nth), TLPU_OK);
        tlpu_usbemu_stats before = stats(ids[b]);
        test_bl c;
        bl_make(&c, 1 + (uint32_t)(tlpu_rng_next(&r) % 8), 1 + (uint32_t)(tlpu_rng_next(&r) % 600),
                1 + (uint32_t)(tlpu_rng_next(&r) % 200), (uint32_t)i);
        tlpu_status st = bl_run(d[b], &c); /* checks every output when it succeeds */
        ck_assert_msg(st == TLPU_OK, "round %d, fault %d on 0x%02x at %u: %s", i, k, ep, nth,
                      tlpu_last_error());
        test_bl_free(&c);
        tlpu_usbemu_stats after = stats(ids[b]);
        fired += after.faults - before.faults;
        /* a fault armed past this call's transfers fires in a later one, or never */
    }
    ck_assert_uint_gt(fired, 20);
    tlpu_close(d[0]);
    tlpu_close(d[1]);
    teardown();
}
END_TEST

int main(void)
{
    if (!tlpu_usbemu_preloaded()) {
        fprintf(stderr, "check_usb: run it under umockdev-wrapper (Debian package 'umockdev')\n");
        return 1;
    }
    Suite *s = suite_create("usb");
    TCase *tc = tcase_create("link");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_find_boards);
    tcase_add_loop_test(tc, test_faults_repaired, 0, 2);
    tcase_add_test(tc, test_run_not_repeated);
    tcase_add_test(tc, test_faults_exhausted);
    tcase_add_test(tc, test_unplug_mid_upload);
    tcase_add_test(tc, test_unplug_mid_bitlinear);
    tcase_add_test(tc, test_unplug_between_calls);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_fault_soak);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
