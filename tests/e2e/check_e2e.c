/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_e2e - the device path end to end: driver API -> wire protocol ->
 * firmware -> core (sim: the Verilated RTL, model: the functional model).
 *
 *  - random BitLinears (M 1..64, K and N 1..3000, primes among them), both
 *    packings, bit-exact against the C reference, with and without random
 *    memory stalls; sim: and model: agree on every counter;
 *  - protocol abuse: bad CRC, magic, version, lengths, opcodes, flags,
 *    out-of-range addresses, garbage: each gets its error status and the
 *    next BitLinear on the same device is still exact;
 *  - API errors: bad URIs, memory exhaustion and ranges, a core error, a
 *    timeout, a busy device: named errors, and the device stays usable.
 *
 * TLPU_E2E_SHAPES=N sets the random sweep's size (the `long` label runs a
 * large one).
 *
 * With --sc the protocol abuse and the API errors run on the SystemC board
 * (sc:, the same core variant and memory size).
 *
 * With --usb (run under umockdev-wrapper) the whole suite runs over the usb:
 * transport: every device a test opens becomes an emulated board
 * (sim/usbemu) whose firmware drives that device, and the test talks to it
 * through libusb, the board's USB glue and the firmware.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_bl.h"
#include "test_util.h"
#include "tlpu/bitlinear.h"
#include "tlpu/isa.h"
#include "tlpu/pack.h"
#include "tlpu/proto.h"
#include "tlpu/rng.h"
#include "tlpu/tlpu.h"
#include "tlpu/usbemu.h"

static int g_sc;              /* --sc: every device is the SystemC board (sc:) */
static int g_usb;             /* --usb: every device behind an emulated USB board */
static tlpu_usbemu *g_bus;    /* made in each test's process */
static int g_boards;

static tlpu_dev *open_ok(const char *uri)
{
    tlpu_dev *d = NULL;
    char usb_uri[64];
    if (g_usb) { /* plug in a board running this device; open it over USB */
        if (!g_bus)
            ck_assert_int_eq(tlpu_usbemu_new(&g_bus), TLPU_OK);
        char serial[16];
        snprintf(serial, sizeof serial, "e2e%d", ++g_boards);
        tlpu_usbemu_board b = {uri, serial, g_boards % 2};
        ck_assert_msg(tlpu_usbemu_plug(g_bus, &b, NULL) == TLPU_OK, "board %s: %s", uri,
                      tlpu_last_error());
        snprintf(usb_uri, sizeof usb_uri, "usb:serial=%s", serial);
        uri = usb_uri;
    }
    char sc_uri[128];
    if (g_sc) {
        /* the same core variant and memory size on the SystemC board, with a
         * link as quick as a function call (the API test expects a program it
         * has just started to be still running when the next request comes) */
        const char *v = strstr(uri, "variant="), *m = strstr(uri, "dram=");
        snprintf(sc_uri, sizeof sc_uri, "sc:link=pcie3x4,link_latency=0,fw=0,variant=%.*s%s%.*s",
                 v ? (int)strcspn(v + 8, ",") : 7,
                 v ? v + 8 : "default", m ? ",dram_size=" : "", m ? (int)strcspn(m + 5, ",") : 0,
                 m ? m + 5 : "");
        uri = sc_uri;
    }
    tlpu_status st = tlpu_open(uri, &d);
    ck_assert_msg(st == TLPU_OK, "open %s: %s", uri, tlpu_last_error());
    if (g_usb) {
        tlpu_dev_info in;
        tlpu_get_info(d, &in);
        ck_assert_str_eq(in.transport, "usb");
    }
    return d;
}

static const uint32_t k_primes[] = {1, 2, 3, 5, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 2999};

static uint32_t pick(tlpu_rng *r, uint32_t max)
{
    if (tlpu_rng_next(r) % 3 == 0) {
        uint32_t p;
        do
            p = k_primes[tlpu_rng_next(r) % (sizeof k_primes / sizeof k_primes[0])];
        while (p > max);
        return p;
    }
    return 1 + (uint32_t)(tlpu_rng_next(r) % max);
}

/* runs c on dev; checks every output; returns the stats */
static tlpu_bitlinear_stats run_case(tlpu_dev *dev, const test_bl *c, const char *uri)
{
    int32_t *y = malloc((size_t)c->m * c->n * sizeof *y);
    ck_assert_ptr_nonnull(y);
    tlpu_bitlinear_args a = {c->m, c->k, c->n, c->x, c->fmt, c->wp, y, NULL, 0.0f, NULL, NULL};
    tlpu_bitlinear_stats s;
    tlpu_status st = tlpu_dev_bitlinear(dev, &a, &s);
    ck_assert_msg(st == TLPU_OK, "%s %ux%ux%u fmt %u: %s", uri, c->m, c->k, c->n, c->fmt,
                  tlpu_last_error());
    for (size_t i = 0; i < (size_t)c->m * c->n; i++)
        ck_assert_msg(y[i] == c->ref[i], "%s %ux%ux%u fmt %u: y[%zu][%zu] = %d, want %d", uri,
                      c->m, c->k, c->n, c->fmt, i / c->n, i % c->n, y[i], c->ref[i]);
    free(y);
    return s;
}

static int sweep_size(int dflt)
{
    const char *e = getenv("TLPU_E2E_SHAPES");
    return e && atoi(e) > 0 ? atoi(e) : dflt;
}

/* the same random shapes on sim: and model:, exact on both, same counters */
static void sweep(const char *sim_uri, const char *model_uri, int count, uint32_t maxm,
                  uint32_t maxkn, int stalls, uint64_t seed)
{
    tlpu_dev *s = open_ok(sim_uri), *m = model_uri ? open_ok(model_uri) : NULL;
    tlpu_rng r = tlpu_rng_seed(seed);
    for (int i = 0; i < count; i++) {
        test_bl c;
        test_bl_make(&c, pick(&r, maxm), pick(&r, maxkn), pick(&r, maxkn),
                  (unsigned)((tlpu_rng_next(&r) >> 33) & 1), tlpu_rng_next(&r));
        tlpu_bitlinear_stats a = run_case(s, &c, sim_uri);
        if (!stalls)
            ck_assert_uint_eq(a.cycles, a.predicted_cycles);
        if (m) {
            tlpu_bitlinear_stats b = run_case(m, &c, model_uri);
            for (unsigned k = 0; k < TLPU_NUM_COUNTERS; k++) {
                if (stalls && (k == TLPU_CNTI_CYCLES || k == TLPU_CNTI_STALL_CYCLES))
                    continue;
                ck_assert_msg(a.counters[k] == b.counters[k],
                              "%ux%ux%u fmt %u: counter %u: sim %llu, model %llu", c.m, c.k, c.n,
                              c.fmt, k, (unsigned long long)a.counters[k],
                              (unsigned long long)b.counters[k]);
            }
        }
        test_bl_free(&c);
    }
    tlpu_close(s);
    if (m)
        tlpu_close(m);
}

START_TEST(test_sweep_default)
{
    sweep("sim:", "model:", sweep_size(30), 64, 3000, 0, 1);
}
END_TEST

START_TEST(test_sweep_small)
{
    sweep("sim:variant=small,latency=5", "model:variant=small,latency=5", sweep_size(150), 64,
          700, 0, 2);
}
END_TEST

START_TEST(test_sweep_stalls)
{
    sweep("sim:variant=small,stall=0.4,seed=7,latency=9", "model:variant=small,latency=9",
          sweep_size(60), 40, 400, 1, 3);
    sweep("sim:stall=0.3,seed=8", NULL, sweep_size(8) / 2 + 1, 64, 1200, 1, 4);
}
END_TEST

/* ---- protocol abuse ------------------------------------------------------------------ */

typedef struct raw_reply {
    tlpu_proto_hdr h;
    size_t len;
    uint8_t buf[TLPU_PROTO_MAX_PACKET];
} raw_reply;

static void raw(tlpu_dev *d, const uint8_t *req, size_t len, raw_reply *r)
{
    tlpu_status st = tlpu_debug_raw(d, req, len, r->buf, sizeof r->buf, &r->len);
    ck_assert_msg(st == TLPU_OK, "raw packet of %zu bytes: %s", len, tlpu_last_error());
    ck_assert_uint_ge(r->len, TLPU_PROTO_HDR_BYTES);
    tlpu_proto_read_hdr(r->buf, &r->h);
    ck_assert_uint_eq(r->h.magic, TLPU_PROTO_MAGIC);
    ck_assert_uint_eq(r->h.flags, TLPU_PROTO_FLAG_REPLY);
    ck_assert_uint_eq(r->len, TLPU_PROTO_HDR_BYTES + r->h.length);
    ck_assert_uint_eq(tlpu_proto_crc_of(r->buf, r->len), r->h.crc);
}

/* a well-formed request, then optionally broken by the caller */
static size_t make_req(uint8_t *p, uint8_t op, uint32_t tag, const void *pl, uint32_t n)
{
    memcpy(p + TLPU_PROTO_HDR_BYTES, pl, n);
    tlpu_proto_seal(p, op, 0, tag, n, 0);
    return TLPU_PROTO_HDR_BYTES + n;
}

static void expect(tlpu_dev *d, const uint8_t *req, size_t len, uint32_t want_status,
                   uint32_t want_tag, const char *what)
{
    raw_reply r;
    raw(d, req, len, &r);
    ck_assert_msg(r.h.status == want_status, "%s: status %u, want %u", what, r.h.status,
                  want_status);
    ck_assert_msg(r.h.tag == want_tag, "%s: tag %u, want %u", what, r.h.tag, want_tag);
}

static void abuse(const char *uri)
{
    tlpu_dev *d = open_ok(uri);
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    static uint8_t p[TLPU_PROTO_MAX_PACKET + 64];
    uint8_t pl[64];
    memset(pl, 0, sizeof pl);
    size_t n;

    n = make_req(p, TLPU_PROTO_OP_INFO, 5, pl, 0);
    expect(d, p, n, TLPU_PST_OK, 5, "INFO");
    p[3] ^= 0x40; /* magic */
    expect(d, p, n, TLPU_PST_BAD_MAGIC, 0, "bad magic");
    n = make_req(p, TLPU_PROTO_OP_INFO, 6, pl, 0);
    p[4] = 9;
    tlpu_put_u32(p + 20, tlpu_proto_crc_of(p, n));
    expect(d, p, n, TLPU_PST_BAD_VERSION, 6, "bad version");
    n = make_req(p, TLPU_PROTO_OP_ECHO, 7, "hello", 5);
    p[TLPU_PROTO_HDR_BYTES + 1] ^= 1; /* payload bit flip */
    expect(d, p, n, TLPU_PST_BAD_CRC, 7, "bad CRC");
    n = make_req(p, TLPU_PROTO_OP_ECHO, 8, "hello", 5);
    expect(d, p, n - 1, TLPU_PST_BAD_LENGTH, 8, "truncated");
    expect(d, p, 10, TLPU_PST_BAD_LENGTH, 0, "shorter than a header");
    expect(d, p, 0, TLPU_PST_BAD_LENGTH, 0, "empty");
    memset(p + n, 0xAB, 16);
    expect(d, p, n + 16, TLPU_PST_BAD_LENGTH, 8, "trailing bytes");
    /* a length field past the maximum payload, consistent with the bytes sent */
    memset(p + TLPU_PROTO_HDR_BYTES, 0x5A, TLPU_PROTO_MAX_PAYLOAD + 8);
    tlpu_proto_seal(p, TLPU_PROTO_OP_ECHO, 0, 9, TLPU_PROTO_MAX_PAYLOAD + 8, 0);
    expect(d, p, TLPU_PROTO_HDR_BYTES + TLPU_PROTO_MAX_PAYLOAD + 8, TLPU_PST_BAD_LENGTH, 9,
           "oversized");
    n = make_req(p, 0x77, 10, pl, 0);
    expect(d, p, n, TLPU_PST_BAD_OPCODE, 10, "unknown opcode");
    n = make_req(p, TLPU_PROTO_OP_INFO, 11, pl, 0);
    tlpu_put_u16(p + 6, TLPU_PROTO_FLAG_REPLY);
    tlpu_put_u32(p + 20, tlpu_proto_crc_of(p, n));
    expect(d, p, n, TLPU_PST_BAD_OPCODE, 11, "reply flag in a request");
    n = make_req(p, TLPU_PROTO_OP_INFO, 12, pl, 4);
    expect(d, p, n, TLPU_PST_BAD_LENGTH, 12, "INFO with a payload");

    /* fields */
    tlpu_put_u64(pl, in.dram_size - 4);
    memset(pl + 8, 1, 8);
    n = make_req(p, TLPU_PROTO_OP_MEM_WRITE, 20, pl, 16);
    expect(d, p, n, TLPU_PST_RANGE, 20, "MEM_WRITE past the end");
    tlpu_put_u64(pl, UINT64_MAX - 3);
    n = make_req(p, TLPU_PROTO_OP_MEM_WRITE, 21, pl, 16);
    expect(d, p, n, TLPU_PST_RANGE, 21, "MEM_WRITE wrapping around");
    tlpu_put_u64(pl, 0);
    tlpu_put_u32(pl + 8, TLPU_PROTO_MAX_PAYLOAD + 1);
    n = make_req(p, TLPU_PROTO_OP_MEM_READ, 22, pl, 12);
    expect(d, p, n, TLPU_PST_BAD_ARG, 22, "MEM_READ too long");
    tlpu_put_u64(pl, in.dram_size);
    tlpu_put_u32(pl + 8, 1);
    n = make_req(p, TLPU_PROTO_OP_MEM_READ, 23, pl, 12);
    expect(d, p, n, TLPU_PST_RANGE, 23, "MEM_READ past the end");
    tlpu_put_u32(pl, TLPU_CSR_ROWS);
    tlpu_put_u32(pl + 4, 7);
    n = make_req(p, TLPU_PROTO_OP_CSR_WRITE, 24, pl, 8);
    expect(d, p, n, TLPU_PST_BAD_ARG, 24, "CSR_WRITE to a read-only register");
    tlpu_put_u32(pl, TLPU_CSR_MEM_TOP);
    tlpu_put_u32(pl + 4, 0xFFFFFFFFu);
    n = make_req(p, TLPU_PROTO_OP_CSR_WRITE, 25, pl, 8);
    expect(d, p, n, in.dram_size > 0xFFFFFFFFull ? TLPU_PST_OK : TLPU_PST_RANGE, 25,
           "MEM_TOP past the memory");
    tlpu_put_u32(pl, 0x42);
    n = make_req(p, TLPU_PROTO_OP_CSR_READ, 26, pl, 4);
    expect(d, p, n, TLPU_PST_ALIGN, 26, "CSR_READ misaligned");
    tlpu_put_u32(pl, 0x10000);
    n = make_req(p, TLPU_PROTO_OP_CSR_READ, 27, pl, 4);
    expect(d, p, n, TLPU_PST_RANGE, 27, "CSR_READ outside the map");
    tlpu_put_u64(pl, 0x1008);
    tlpu_put_u32(pl + 8, 4);
    n = make_req(p, TLPU_PROTO_OP_RUN, 28, pl, 12);
    expect(d, p, n, TLPU_PST_ALIGN, 28, "RUN misaligned");
    tlpu_put_u64(pl, 0x1000);
    tlpu_put_u32(pl + 8, 0);
    n = make_req(p, TLPU_PROTO_OP_RUN, 29, pl, 12);
    expect(d, p, n, TLPU_PST_BAD_ARG, 29, "RUN of nothing");
    tlpu_put_u64(pl, in.dram_size - 16);
    tlpu_put_u32(pl + 8, 2);
    n = make_req(p, TLPU_PROTO_OP_RUN, 30, pl, 12);
    expect(d, p, n, TLPU_PST_RANGE, 30, "RUN past the end");

    /* garbage: seeded random packets, some with a valid header around them */
    tlpu_rng r = tlpu_rng_seed(99);
    for (int i = 0; i < 300; i++) {
        size_t len = tlpu_rng_next(&r) % 200;
        for (size_t j = 0; j < len; j++)
            p[j] = (uint8_t)tlpu_rng_next(&r);
        if (i % 2 && len >= TLPU_PROTO_HDR_BYTES) {
            uint8_t op = (uint8_t)(tlpu_rng_next(&r) % 14);
            tlpu_proto_seal(p, op, 0, 1000 + i, (uint32_t)(len - TLPU_PROTO_HDR_BYTES), 0);
            if (op == TLPU_PROTO_OP_RESET || op == TLPU_PROTO_OP_MEM_WRITE ||
                op == TLPU_PROTO_OP_CSR_WRITE || op == TLPU_PROTO_OP_RUN)
                continue; /* valid commands may legitimately change the device */
        }
        raw_reply rr;
        raw(d, p, len, &rr);
    }
    /* the device still works, exactly */
    tlpu_reset(d);
    test_bl c;
    test_bl_make(&c, 5, 333, 47, TLPU_FMT_PACK3, 5);
    run_case(d, &c, uri);
    test_bl_free(&c);
    tlpu_close(d);
}

START_TEST(test_protocol_abuse)
{
    abuse("sim:variant=small");
    abuse("model:");
}
END_TEST

/* ---- API errors ---------------------------------------------------------------------- */

START_TEST(test_api_errors)
{
    tlpu_dev *d = NULL;
    ck_assert_int_eq(tlpu_open("nope:", &d), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "unknown transport"));
    ck_assert_int_eq(tlpu_open("sim:latency=0", &d), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(tlpu_last_error(), "latency"));
    ck_assert_int_eq(tlpu_open("sim:rows=7", &d), TLPU_ERR_UNSUPPORTED);
    ck_assert_int_eq(tlpu_open("sim:stall", &d), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_open("model:rows=6", &d), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_open(NULL, &d), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_null(d);

    d = open_ok("sim:variant=small,dram=64K");
    tlpu_dev_info in;
    ck_assert_int_eq(tlpu_get_info(d, &in), TLPU_OK);
    ck_assert_uint_eq(in.dram_size, 65536);
    uint64_t a, b;
    ck_assert_int_eq(tlpu_mem_alloc(d, 1 << 20, &a), TLPU_ERR_NOMEM);
    ck_assert_int_eq(tlpu_mem_alloc(d, 1000, &a), TLPU_OK);
    ck_assert_int_eq(tlpu_mem_alloc(d, 1000, &b), TLPU_OK);
    ck_assert_uint_ge(b, a + 1000);
    ck_assert_int_eq(tlpu_mem_free(d, a + 1), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_mem_free(d, a), TLPU_OK);
    ck_assert_int_eq(tlpu_mem_free(d, b), TLPU_OK);
    uint8_t buf[64] = {1, 2, 3};
    ck_assert_int_eq(tlpu_mem_write(d, 65536 - 8, buf, 16), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_mem_write(d, 0x2000, buf, sizeof buf), TLPU_OK);
    uint8_t back[64];
    ck_assert_int_eq(tlpu_mem_read(d, 0x2000, back, sizeof back), TLPU_OK);
    ck_assert_mem_eq(buf, back, sizeof buf);
    ck_assert_int_eq(tlpu_run(d, 0x2008, 1), TLPU_ERR_INVALID_ARG);
    /* too large for 64 KiB: a named error, nothing run */
    test_bl c;
    test_bl_make(&c, 64, 3000, 200, TLPU_FMT_PACK2, 9);
    int32_t *y = malloc((size_t)64 * 200 * sizeof *y);
    tlpu_bitlinear_args args = {64, 3000, 200, c.x, TLPU_FMT_PACK2, c.wp, y, NULL, 0, NULL, NULL};
    ck_assert_int_eq(tlpu_dev_bitlinear(d, &args, NULL), TLPU_ERR_NOMEM);
    free(y);
    test_bl_free(&c);

    /* a core error: an illegal opcode at instruction 1 */
    tlpu_insn prog[3] = {tlpu_insn_sync(0), tlpu_insn_end(), tlpu_insn_end()};
    prog[1].b[0] = 0x7F;
    ck_assert_int_eq(tlpu_mem_write(d, 0x1000, prog, sizeof prog), TLPU_OK);
    ck_assert_int_eq(tlpu_run(d, 0x1000, 3), TLPU_OK);
    tlpu_run_result rr;
    ck_assert_int_eq(tlpu_wait(d, 100000, &rr), TLPU_ERR_DEVICE);
    ck_assert_uint_eq(rr.hw_error, TLPU_HWERR_ILLEGAL_OPCODE);
    ck_assert_uint_eq(rr.err_pc, 1);

    /* a long program: busy, a timeout, a reset, and the device works again */
    tlpu_insn big[64];
    for (int i = 0; i < 63; i++)
        big[i] = tlpu_insn_mm(0, 0, 16, 0, 16, 16, 0, 0);
    big[63] = tlpu_insn_end();
    ck_assert_int_eq(tlpu_mem_write(d, 0x1000, big, sizeof big), TLPU_OK);
    ck_assert_int_eq(tlpu_run(d, 0x1000, 64), TLPU_OK);
    ck_assert_int_eq(tlpu_mem_write(d, 0x3000, buf, 16), TLPU_ERR_BUSY);
    ck_assert_int_eq(tlpu_run(d, 0x1000, 64), TLPU_ERR_BUSY);
    ck_assert_int_eq(tlpu_wait(d, 1, &rr), TLPU_ERR_TIMEOUT);
    ck_assert_uint_eq(rr.status & 1, 1); /* still busy */
    ck_assert_int_eq(tlpu_reset(d), TLPU_OK);
    uint32_t st;
    ck_assert_int_eq(tlpu_csr_read(d, TLPU_CSR_STATUS, &st), TLPU_OK);
    ck_assert_uint_eq(st & 1, 0);
    test_bl_make(&c, 3, 100, 9, TLPU_FMT_PACK3, 10);
    run_case(d, &c, "sim:variant=small,dram=64K");
    test_bl_free(&c);
    tlpu_close(d);
}
END_TEST

/* dequantized outputs, and a waveform file named in the URI */
START_TEST(test_dequant_and_trace)
{
    char path[] = "/tmp/tlpu-e2e-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char uri[128];
    snprintf(uri, sizeof uri, "sim:variant=small,trace=%s", path);
    tlpu_dev *d = open_ok(uri);
    test_bl c;
    test_bl_make(&c, 3, 77, 10, TLPU_FMT_PACK2, 21);
    int32_t y[30];
    float yf[30], want[30], xs[3] = {12.5f, 0.25f, 100.0f};
    tlpu_bitlinear_args a = {3, 77, 10, c.x, TLPU_FMT_PACK2, c.wp, y, yf, 0.75f, xs, NULL};
    ck_assert_int_eq(tlpu_dev_bitlinear(d, &a, NULL), TLPU_OK);
    ck_assert_int_eq(tlpu_bitlinear_dequantize(3, 10, c.ref, xs, 0.75f, want), TLPU_OK);
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(y[i], c.ref[i]);
        ck_assert_msg(memcmp(&yf[i], &want[i], sizeof(float)) == 0, "y_f[%d] = %g, want %g", i,
                      yf[i], want[i]);
    }
    a.x_scale = NULL; /* y_f without scales: refused before anything runs */
    ck_assert_int_eq(tlpu_dev_bitlinear(d, &a, NULL), TLPU_ERR_INVALID_ARG);
    test_bl_free(&c);
    tlpu_close(d);
    if (g_bus) { /* the board's core writes its trace when it is unplugged */
        tlpu_usbemu_free(g_bus);
        g_bus = NULL;
    }
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_gt(st.st_size, 1000); /* the FST file holds the run */
    unlink(path);
}
END_TEST

/* resident weights: loaded once, run with new activations, exact each time */
START_TEST(test_resident_weights)
{
    tlpu_dev *d = open_ok("sim:variant=small,dram=256K");
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    test_bl c;
    test_bl_make(&c, 6, 700, 90, TLPU_FMT_PACK3, 31);
    tlpu_dev_layer *L = NULL;
    ck_assert_int_eq(tlpu_dev_layer_load(NULL, 6, 700, 90, TLPU_FMT_PACK3, c.wp, NULL, &L),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_dev_layer_load(d, 0, 700, 90, TLPU_FMT_PACK3, c.wp, NULL, &L),
                     TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_dev_layer_load(d, 6, 700, 90, 7, c.wp, NULL, &L), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_null(L);
    ck_assert_msg(tlpu_dev_layer_load(d, 6, 700, 90, TLPU_FMT_PACK3, c.wp, NULL, &L) == TLPU_OK,
                  "%s", tlpu_last_error());
    /* while loaded its memory is held: a buffer of the whole DRAM does not fit */
    uint64_t a;
    ck_assert_int_eq(tlpu_mem_alloc(d, in.dram_size - 4096, &a), TLPU_ERR_NOMEM);
    int32_t y[6 * 90], ref[6 * 90];
    int8_t x[6 * 700];
    for (int round = 0; round < 3; round++) {
        tlpu_rng r = tlpu_rng_seed(100 + (uint64_t)round);
        for (size_t i = 0; i < sizeof x; i++)
            x[i] = (int8_t)tlpu_rng_next(&r);
        ck_assert_int_eq(tlpu_bitlinear(6, 700, 90, x, c.w, ref), TLPU_OK);
        tlpu_bitlinear_stats s;
        ck_assert_int_eq(tlpu_dev_layer_run(L, x, y, NULL, 0, NULL, &s), TLPU_OK);
        ck_assert_mem_eq(y, ref, sizeof y);
        ck_assert_uint_eq(s.cycles, s.predicted_cycles);
    }
    ck_assert_int_eq(tlpu_dev_layer_run(L, NULL, y, NULL, 0, NULL, NULL), TLPU_ERR_INVALID_ARG);
    float yf[6 * 90];
    ck_assert_int_eq(tlpu_dev_layer_run(L, x, y, yf, 1.0f, NULL, NULL), TLPU_ERR_INVALID_ARG);
    tlpu_dev_layer_free(L);
    tlpu_dev_layer_free(NULL);
    /* released: now it fits */
    ck_assert_int_eq(tlpu_mem_alloc(d, in.dram_size - 4096, &a), TLPU_OK);
    ck_assert_int_eq(tlpu_mem_free(d, a), TLPU_OK);
    test_bl_free(&c);
    tlpu_close(d);
}
END_TEST

/* the long sweep (label `long`): TLPU_E2E_SHAPES sets its size */
START_TEST(test_long_sweep)
{
    sweep("sim:", "model:", sweep_size(200), 64, 3000, 0, 11);
    sweep("sim:variant=small,stall=0.5,seed=3", "model:variant=small", sweep_size(200), 64, 3000,
          1, 12);
}
END_TEST

int main(int argc, char **argv)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("device");
    tcase_set_timeout(tc, 1800);
    if (argc > 1 && strcmp(argv[1], "--usb") == 0) {
        g_usb = 1;
        argc--, argv++;
        if (!tlpu_usbemu_preloaded()) {
            fprintf(stderr, "check_e2e --usb: run it under umockdev-wrapper\n");
            return 1;
        }
    }
    if (argc > 1 && strcmp(argv[1], "--sc") == 0) {
        /* the firmware's abuse and the API's errors on the SystemC board */
        g_sc = 1;
        tcase_add_test(tc, test_protocol_abuse);
        tcase_add_test(tc, test_api_errors);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
    }
    if (argc > 1 && strcmp(argv[1], "--long") == 0) {
        tcase_add_test(tc, test_long_sweep);
    } else {
        tcase_add_test(tc, test_sweep_default);
        tcase_add_test(tc, test_sweep_small);
        tcase_add_test(tc, test_sweep_stalls);
        tcase_add_test(tc, test_protocol_abuse);
        tcase_add_test(tc, test_api_errors);
        tcase_add_test(tc, test_dequant_and_trace);
        tcase_add_test(tc, test_resident_weights);
    }
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
