/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_usbd - the firmware's USB device glue (tlpu/usbd.h) driven as a
 * host controller drives it, at high speed (bulk packets of 512 bytes) and
 * super speed (1024): control requests on endpoint 0 (descriptors, address,
 * configuration, status, endpoint halt, the vendor RESYNC), the bulk
 * framing of requests and replies (short and zero-length packets, babble,
 * requests too long to hold), pipelining up to TLPU_USBD_REPLY_SLOTS
 * replies and the NAK beyond, the reply cache that answers a retried
 * request without running it again, and the bus reset.
 *
 * The command processor is a fake that counts its calls and echoes the
 * request's payload in a sealed reply, so a test knows every reply byte.
 */
#include <string.h>

#include "test_util.h"
#include "tlpu/proto.h"
#include "tlpu/usb_desc.h"
#include "tlpu/usbd.h"

#define HDR TLPU_PROTO_HDR_BYTES
#define SERIAL "TLPU-0042"

/* standard requests and features (USB 2.0 chapter 9) */
#define GET_STATUS 0u
#define CLEAR_FEATURE 1u
#define SET_FEATURE 3u
#define SET_ADDRESS 5u
#define GET_DESCRIPTOR 6u
#define GET_CONFIGURATION 8u
#define SET_CONFIGURATION 9u
#define GET_INTERFACE 10u
#define SET_INTERFACE 11u
#define ENDPOINT_HALT 0u

/* ---- the fake command processor ------------------------------------------- */

#define FAKE_LOG 64

typedef struct fake {
    unsigned calls;
    uint32_t tags[FAKE_LOG]; /* the tag of each request it ran, in order */
    uint8_t last_req[TLPU_PROTO_MAX_PACKET];
    size_t last_len;
} fake;

/* The reply the fake writes for req: the request's opcode and tag, the reply
 * flag, its payload echoed; status OK, BAD_CRC, or BAD_LENGTH (with tag 0)
 * for a request shorter than a header. */
static size_t fake_reply(const uint8_t *req, size_t len, uint8_t *reply, size_t cap)
{
    uint8_t op = 0;
    uint32_t tag = 0, status = TLPU_PST_BAD_LENGTH;
    size_t plen = 0;
    if (len >= HDR) {
        tlpu_proto_hdr h;
        tlpu_proto_read_hdr(req, &h);
        op = h.opcode;
        tag = h.tag;
        plen = len - HDR;
        status = tlpu_proto_crc_of(req, len) == h.crc ? TLPU_PST_OK : TLPU_PST_BAD_CRC;
    }
    if (plen > cap - HDR)
        plen = cap - HDR;
    memcpy(reply + HDR, req + HDR, plen);
    tlpu_proto_seal(reply, op, TLPU_PROTO_FLAG_REPLY, tag, (uint32_t)plen, status);
    return HDR + plen;
}

static size_t fake_handle(void *ctx, const uint8_t *req, size_t len, uint8_t *reply, size_t cap)
{
    fake *f = ctx;
    ck_assert_uint_ge(cap, HDR);
    ck_assert_uint_le(len, sizeof f->last_req);
    if (f->calls < FAKE_LOG)
        f->tags[f->calls] = len >= HDR ? tlpu_get_u32(req + 8) : 0;
    f->calls++;
    memcpy(f->last_req, req, len);
    f->last_len = len;
    return fake_reply(req, len, reply, cap);
}

/* ---- the device under test and host-side helpers -------------------------- */

static tlpu_usbd g_u;
static fake g_fake;

static tlpu_usbd *start(int super_speed)
{
    memset(&g_fake, 0, sizeof g_fake);
    memset(&g_u, 0xA5, sizeof g_u); /* init must not rely on zeroed storage */
    tlpu_usbd_init(&g_u, super_speed, SERIAL, fake_handle, &g_fake);
    ck_assert_uint_eq(g_u.mps, super_speed ? 1024 : 512);
    return &g_u;
}

/* One control transfer; returns tlpu_usbd_setup's answer. */
static int ctrl(tlpu_usbd *u, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                uint16_t length, uint8_t *data, size_t cap)
{
    const uint8_t s[8] = {type,          req,
                          (uint8_t)value, (uint8_t)(value >> 8),
                          (uint8_t)index, (uint8_t)(index >> 8),
                          (uint8_t)length, (uint8_t)(length >> 8)};
    return tlpu_usbd_setup(u, s, data, cap);
}

static int set_halt(tlpu_usbd *u, uint8_t ep)
{
    return ctrl(u, 0x02, SET_FEATURE, ENDPOINT_HALT, ep, 0, NULL, 0);
}

static int clear_halt(tlpu_usbd *u, uint8_t ep)
{
    return ctrl(u, 0x02, CLEAR_FEATURE, ENDPOINT_HALT, ep, 0, NULL, 0);
}

static int resync(tlpu_usbd *u)
{
    return ctrl(u, 0x41, TLPU_USB_REQ_RESYNC, 0, TLPU_USB_INTERFACE, 0, NULL, 0);
}

/* GET_STATUS(endpoint): bit 0 of the first byte is the halt */
static int ep_status(tlpu_usbd *u, uint8_t ep)
{
    uint8_t d[2] = {0xEE, 0xEE};
    ck_assert_int_eq(ctrl(u, 0x82, GET_STATUS, 0, ep, 2, d, sizeof d), 2);
    ck_assert_uint_eq(d[1], 0);
    return d[0] & 1;
}

/* A request: opcode, tag, plen payload bytes from seed; returns its length. */
static size_t make_req(uint8_t *p, uint8_t op, uint32_t tag, size_t plen, uint8_t seed)
{
    for (size_t i = 0; i < plen; i++)
        p[HDR + i] = (uint8_t)(seed + 7 * i + (i >> 8));
    tlpu_proto_seal(p, op, 0, tag, (uint32_t)plen, 0);
    return HDR + plen;
}

/* Sends p[0..len) as bulk OUT packets of mps bytes, every one ACKed. end:
 * also send the packet that ends the transfer (the short remainder, or a
 * zero-length packet when len fills whole packets); else only whole ones. */
static void send_packets(tlpu_usbd *u, const uint8_t *p, size_t len, int end)
{
    size_t off = 0;
    for (; len - off >= u->mps; off += u->mps)
        ck_assert_int_eq(tlpu_usbd_out(u, p + off, u->mps), TLPU_USBD_ACK);
    if (end)
        ck_assert_int_eq(tlpu_usbd_out(u, p + off, len - off), TLPU_USBD_ACK);
}

/* One whole request transfer, then the main loop runs it. */
static void request(tlpu_usbd *u, const uint8_t *p, size_t len)
{
    send_packets(u, p, len, 1);
    ck_assert_int_eq(tlpu_usbd_poll(u), 1);
}

/* Reads one bulk IN transfer (packets until a short one); returns its length. */
static size_t read_reply(tlpu_usbd *u, uint8_t *out, size_t cap)
{
    uint8_t pkt[1024];
    size_t total = 0;
    for (;;) {
        size_t n = 12345;
        ck_assert_int_eq(tlpu_usbd_in(u, pkt, &n), TLPU_USBD_ACK);
        ck_assert_uint_le(n, u->mps);
        ck_assert_uint_le(total + n, cap);
        memcpy(out + total, pkt, n);
        total += n;
        if (n < u->mps)
            return total;
    }
}

/* Reads one reply and checks it is, byte for byte, the fake's reply to req. */
static void expect_reply(tlpu_usbd *u, const uint8_t *req, size_t len)
{
    static uint8_t want[TLPU_PROTO_MAX_PACKET], got[TLPU_PROTO_MAX_PACKET];
    size_t wn = fake_reply(req, len, want, sizeof want);
    size_t gn = read_reply(u, got, sizeof got);
    ck_assert_uint_eq(gn, wn);
    ck_assert_msg(memcmp(got, want, wn) == 0, "reply bytes differ (tag %u)",
                  (unsigned)tlpu_get_u32(want + 8));
}

/* Reads one reply and returns its tag. */
static uint32_t reply_tag(tlpu_usbd *u)
{
    static uint8_t got[TLPU_PROTO_MAX_PACKET];
    size_t n = read_reply(u, got, sizeof got);
    ck_assert_uint_ge(n, HDR);
    return tlpu_get_u32(got + 8);
}

/* No reply is waiting: IN NAKs. */
static void expect_nothing(tlpu_usbd *u)
{
    uint8_t pkt[1024];
    size_t n = 12345;
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &n), TLPU_USBD_NAK);
    ck_assert_uint_eq(n, 0);
}

/* requests: room for one longer than any the device takes */
static uint8_t g_req[12288], g_req2[TLPU_PROTO_MAX_PACKET];

/* ---- control requests ------------------------------------------------------ */

START_TEST(test_get_descriptor)
{
    const int ss = _i;
    tlpu_usbd *u = start(ss);
    uint8_t d[256], want[256];

    /* device: 18 bytes, the same as usb_desc.h's; nothing written past it */
    memset(d, 0xEE, sizeof d);
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_DEVICE << 8, 0, 64, d, sizeof d),
                     18);
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_DEVICE, 0, ss, SERIAL, want, sizeof want),
                      18);
    ck_assert_mem_eq(d, want, 18);
    ck_assert_uint_eq(d[2] | d[3] << 8, ss ? 0x0320 : 0x0200);
    ck_assert_uint_eq(d[18], 0xEE);

    /* configuration: whole, then the 9 bytes a host asks for first */
    const int total = ss ? 44 : 32;
    memset(d, 0xEE, sizeof d);
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_CONFIG << 8, 0, 255, d, sizeof d),
                     total);
    tlpu_usb_descriptor(TLPU_USB_DESC_CONFIG, 0, ss, SERIAL, want, sizeof want);
    ck_assert_mem_eq(d, want, (size_t)total);
    ck_assert_uint_eq(d[2] | d[3] << 8, total);
    memset(d, 0xEE, sizeof d);
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_CONFIG << 8, 0, 9, d, sizeof d), 9);
    ck_assert_uint_eq(d[2], total);
    ck_assert_uint_eq(d[9], 0xEE);

    /* string 0: the language list */
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_STRING << 8, 0, 255, d, sizeof d),
                     4);
    ck_assert_uint_eq(d[1], TLPU_USB_DESC_STRING);
    ck_assert_uint_eq(d[2] | d[3] << 8, 0x0409);

    /* string 3: the serial given to tlpu_usbd_init, in UTF-16LE */
    const size_t sl = strlen(SERIAL);
    memset(d, 0xEE, sizeof d);
    ck_assert_int_eq(
        ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_STRING << 8 | 3, 0x0409, 255, d, sizeof d),
        (int)(2 + 2 * sl));
    ck_assert_uint_eq(d[0], 2 + 2 * sl);
    ck_assert_uint_eq(d[1], TLPU_USB_DESC_STRING);
    for (size_t i = 0; i < sl; i++) {
        ck_assert_uint_eq(d[2 + 2 * i], (uint8_t)SERIAL[i]);
        ck_assert_uint_eq(d[3 + 2 * i], 0);
    }
    ck_assert_uint_eq(d[2 + 2 * sl], 0xEE);

    /* truncated to wLength, and to the buffer when that is smaller */
    memset(d, 0xEE, sizeof d);
    ck_assert_int_eq(
        ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_STRING << 8 | 3, 0x0409, 6, d, sizeof d), 6);
    ck_assert_uint_eq(d[0], 2 + 2 * sl); /* bLength still the whole */
    ck_assert_uint_eq(d[4], (uint8_t)SERIAL[1]);
    ck_assert_uint_eq(d[6], 0xEE);
    memset(d, 0xEE, sizeof d);
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_DEVICE << 8, 0, 255, d, 8), 8);
    ck_assert_uint_eq(d[8], 0xEE);

    /* unknown descriptors stall */
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, 7 << 8, 0, 255, d, sizeof d), -1);
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_STRING << 8 | 9, 0x0409, 255, d,
                          sizeof d),
                     -1);
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_DEVICE << 8 | 1, 0, 255, d,
                          sizeof d),
                     -1);
    /* BOS: super speed only */
    ck_assert_int_eq(ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_BOS << 8, 0, 255, d, sizeof d),
                     ss ? 22 : -1);
}
END_TEST

START_TEST(test_serial_default)
{
    /* no serial: string 3 is "0" */
    tlpu_usbd *u = &g_u;
    memset(&g_fake, 0, sizeof g_fake);
    tlpu_usbd_init(u, 0, NULL, fake_handle, &g_fake);
    uint8_t d[64];
    ck_assert_int_eq(
        ctrl(u, 0x80, GET_DESCRIPTOR, TLPU_USB_DESC_STRING << 8 | 3, 0x0409, 64, d, sizeof d), 4);
    ck_assert_uint_eq(d[2], '0');
    ck_assert_uint_eq(d[3], 0);
}
END_TEST

START_TEST(test_address_configuration)
{
    tlpu_usbd *u = start(0);
    uint8_t d[4];
    ck_assert_uint_eq(u->address, 0);
    ck_assert_int_eq(ctrl(u, 0x00, SET_ADDRESS, 5, 0, 0, NULL, 0), 0);
    ck_assert_uint_eq(u->address, 5);
    ck_assert_int_eq(ctrl(u, 0x00, SET_ADDRESS, 200, 0, 0, NULL, 0), -1); /* 7 bits */
    ck_assert_uint_eq(u->address, 5);

    d[0] = 0xEE;
    ck_assert_int_eq(ctrl(u, 0x80, GET_CONFIGURATION, 0, 0, 1, d, sizeof d), 1);
    ck_assert_uint_eq(d[0], 0);
    ck_assert_int_eq(ctrl(u, 0x00, SET_CONFIGURATION, 1, 0, 0, NULL, 0), 0);
    ck_assert_int_eq(ctrl(u, 0x80, GET_CONFIGURATION, 0, 0, 1, d, sizeof d), 1);
    ck_assert_uint_eq(d[0], 1);
    ck_assert_int_eq(ctrl(u, 0x00, SET_CONFIGURATION, 2, 0, 0, NULL, 0), -1);
    ck_assert_int_eq(ctrl(u, 0x80, GET_CONFIGURATION, 0, 0, 1, d, sizeof d), 1);
    ck_assert_uint_eq(d[0], 1);
    ck_assert_int_eq(ctrl(u, 0x00, SET_CONFIGURATION, 0, 0, 0, NULL, 0), 0);
    ck_assert_int_eq(ctrl(u, 0x80, GET_CONFIGURATION, 0, 0, 1, d, sizeof d), 1);
    ck_assert_uint_eq(d[0], 0);

    /* the one interface has only alternate setting 0 */
    d[0] = 0xEE;
    ck_assert_int_eq(ctrl(u, 0x81, GET_INTERFACE, 0, TLPU_USB_INTERFACE, 1, d, sizeof d), 1);
    ck_assert_uint_eq(d[0], 0);
    ck_assert_int_eq(ctrl(u, 0x01, SET_INTERFACE, 0, TLPU_USB_INTERFACE, 0, NULL, 0), 0);
    ck_assert_int_eq(ctrl(u, 0x01, SET_INTERFACE, 1, TLPU_USB_INTERFACE, 0, NULL, 0), -1);
    ck_assert_int_eq(ctrl(u, 0x81, GET_INTERFACE, 0, 1, 1, d, sizeof d), -1);
}
END_TEST

START_TEST(test_get_status)
{
    tlpu_usbd *u = start(0);
    uint8_t d[2] = {0xEE, 0xEE};
    ck_assert_int_eq(ctrl(u, 0x80, GET_STATUS, 0, 0, 2, d, sizeof d), 2); /* device */
    ck_assert_uint_eq(d[0], 0);
    ck_assert_uint_eq(d[1], 0);
    d[0] = d[1] = 0xEE;
    ck_assert_int_eq(ctrl(u, 0x81, GET_STATUS, 0, TLPU_USB_INTERFACE, 2, d, sizeof d), 2);
    ck_assert_uint_eq(d[0], 0);
    ck_assert_uint_eq(d[1], 0);
    ck_assert_int_eq(ctrl(u, 0x81, GET_STATUS, 0, 1, 2, d, sizeof d), -1); /* no interface 1 */

    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(set_halt(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_OUT), 1);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(set_halt(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 1);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 1);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 0);
    /* the controller's own halt shows too */
    tlpu_usbd_halt(u, TLPU_USB_EP_IN);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 1);
    /* endpoint 0 answers, never halted */
    ck_assert_int_eq(ep_status(u, 0x00), 0);
    ck_assert_int_eq(ep_status(u, 0x80), 0);
    /* no such endpoint */
    ck_assert_int_eq(ctrl(u, 0x82, GET_STATUS, 0, 0x02, 2, d, sizeof d), -1);
}
END_TEST

START_TEST(test_unknown_requests)
{
    tlpu_usbd *u = start(0);
    uint8_t d[64];
    ck_assert_int_eq(ctrl(u, 0x80, 0x42, 0, 0, 64, d, sizeof d), -1); /* unknown standard */
    ck_assert_int_eq(ctrl(u, 0x00, 0x42, 0, 0, 0, NULL, 0), -1);
    ck_assert_int_eq(ctrl(u, 0x00, SET_FEATURE, 1, 0, 0, NULL, 0), -1); /* remote wakeup */
    ck_assert_int_eq(ctrl(u, 0x21, 0x00, 0, 0, 0, NULL, 0), -1);      /* class */
    ck_assert_int_eq(ctrl(u, 0xA1, 0x01, 0, 0, 8, d, sizeof d), -1);
    ck_assert_int_eq(ctrl(u, 0xC1, TLPU_USB_REQ_RESYNC, 0, 0, 8, d, sizeof d), -1); /* vendor IN */
    ck_assert_int_eq(ctrl(u, 0x40, TLPU_USB_REQ_RESYNC, 0, 0, 0, NULL, 0), -1); /* to device */
    ck_assert_int_eq(ctrl(u, 0x41, 0x02, 0, TLPU_USB_INTERFACE, 0, NULL, 0), -1);
    ck_assert_int_eq(ctrl(u, 0x41, TLPU_USB_REQ_RESYNC, 0, 1, 0, NULL, 0), -1); /* interface 1 */
    ck_assert_int_eq(ctrl(u, 0x7F, 0, 0, 0, 0, NULL, 0), -1);
    ck_assert_int_eq(ctrl(u, 0xFF, 0, 0, 0, 0, NULL, 0), -1);
    /* endpoint features: only ENDPOINT_HALT, only on the two bulk endpoints */
    ck_assert_int_eq(ctrl(u, 0x02, SET_FEATURE, 1, TLPU_USB_EP_OUT, 0, NULL, 0), -1);
    ck_assert_int_eq(set_halt(u, 0x02), -1);
    ck_assert_int_eq(set_halt(u, 0x82), -1);
    ck_assert_int_eq(clear_halt(u, 0x02), -1);
    ck_assert_uint_eq(u->resyncs, 0);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
}
END_TEST

/* ---- endpoint halt --------------------------------------------------------- */

START_TEST(test_halt_out)
{
    tlpu_usbd *u = start(_i);
    size_t n = make_req(g_req, TLPU_PROTO_OP_ECHO, 1, 40, 1);
    ck_assert_int_eq(set_halt(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_STALL);
    ck_assert_int_eq(tlpu_usbd_out(u, g_req, n), TLPU_USBD_STALL);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);
    ck_assert_uint_eq(g_fake.calls, 0);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
    request(u, g_req, n);
    ck_assert_uint_eq(g_fake.calls, 1);
    expect_reply(u, g_req, n);
}
END_TEST

START_TEST(test_halt_in)
{
    tlpu_usbd *u = start(_i);
    uint8_t pkt[1024];
    size_t pn;
    /* a reply of two packets and a bit */
    size_t n = make_req(g_req, TLPU_PROTO_OP_ECHO, 2, 2u * u->mps + 10 - HDR, 3);
    request(u, g_req, n);
    ck_assert_int_eq(set_halt(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_STALL);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_IN), 0);
    /* the controller halts IN after one packet went out: the reply starts over */
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_ACK);
    ck_assert_uint_eq(pn, u->mps);
    tlpu_usbd_halt(u, TLPU_USB_EP_IN);
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_STALL);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_IN), 0);
    expect_reply(u, g_req, n);
    expect_nothing(u);
    ck_assert_uint_eq(g_fake.calls, 1);
}
END_TEST

START_TEST(test_clear_halt_drops_partial)
{
    tlpu_usbd *u = start(_i);
    make_req(g_req, TLPU_PROTO_OP_ECHO, 5, 3u * u->mps, 5);
    send_packets(u, g_req, u->mps, 0); /* one full packet of it */
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_OUT), 0);
    size_t m = make_req(g_req2, TLPU_PROTO_OP_ECHO, 6, 100, 6);
    request(u, g_req2, m);
    ck_assert_uint_eq(g_fake.calls, 1);
    ck_assert_uint_eq(g_fake.tags[0], 6);
    ck_assert_uint_eq(g_fake.last_len, m);
    ck_assert_mem_eq(g_fake.last_req, g_req2, m);
    expect_reply(u, g_req2, m);
    expect_nothing(u);
}
END_TEST

/* ---- RESYNC ---------------------------------------------------------------- */

START_TEST(test_resync)
{
    tlpu_usbd *u = start(_i);
    size_t a = make_req(g_req, TLPU_PROTO_OP_ECHO, 1, 10, 1);
    request(u, g_req, a);
    size_t b = make_req(g_req, TLPU_PROTO_OP_ECHO, 2, u->mps, 2); /* 2-packet reply */
    request(u, g_req, b);
    /* a third request, one packet of it received */
    make_req(g_req, TLPU_PROTO_OP_ECHO, 3, 2u * u->mps, 3);
    send_packets(u, g_req, u->mps, 0);
    ck_assert_uint_eq(g_fake.calls, 2);

    ck_assert_int_eq(ctrl(u, 0x41, TLPU_USB_REQ_RESYNC, 0, TLPU_USB_INTERFACE, 4, NULL, 0), -1);
    ck_assert_uint_eq(u->resyncs, 0);
    ck_assert_int_eq(resync(u), 0);
    ck_assert_uint_eq(u->resyncs, 1);
    expect_nothing(u);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);

    size_t d = make_req(g_req, TLPU_PROTO_OP_ECHO, 4, 50, 4);
    request(u, g_req, d);
    ck_assert_uint_eq(g_fake.calls, 3);
    ck_assert_uint_eq(g_fake.tags[2], 4);
    ck_assert_mem_eq(g_fake.last_req, g_req, d);
    expect_reply(u, g_req, d);
    expect_nothing(u);

    /* in the middle of a reply: the rest of it is dropped too */
    size_t e = make_req(g_req, TLPU_PROTO_OP_ECHO, 5, 2u * u->mps, 5);
    request(u, g_req, e);
    uint8_t pkt[1024];
    size_t pn;
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_ACK);
    ck_assert_uint_eq(pn, u->mps);
    ck_assert_int_eq(resync(u), 0);
    ck_assert_uint_eq(u->resyncs, 2);
    expect_nothing(u);
    size_t f = make_req(g_req, TLPU_PROTO_OP_ECHO, 6, 7, 6);
    request(u, g_req, f);
    expect_reply(u, g_req, f);
}
END_TEST

/* ---- framing --------------------------------------------------------------- */

/* One request of len bytes (a multiple of mps needs its zero-length packet:
 * without it nothing runs); the handler sees exactly the bytes sent, and the
 * host reads back exactly the bytes the handler wrote. */
static void frame_one(tlpu_usbd *u, size_t len, uint32_t tag)
{
    unsigned calls = g_fake.calls;
    make_req(g_req, TLPU_PROTO_OP_ECHO, tag, len - HDR, (uint8_t)tag);
    if (len % u->mps == 0) {
        send_packets(u, g_req, len, 0);
        ck_assert_int_eq(tlpu_usbd_poll(u), 0);
        ck_assert_uint_eq(g_fake.calls, calls);
        ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
        expect_nothing(u);
        ck_assert_int_eq(tlpu_usbd_out(u, g_req + len, 0), TLPU_USBD_ACK);
        ck_assert_int_eq(tlpu_usbd_poll(u), 1);
    } else {
        request(u, g_req, len);
    }
    ck_assert_uint_eq(g_fake.calls, calls + 1);
    ck_assert_uint_eq(g_fake.last_len, len);
    ck_assert_mem_eq(g_fake.last_req, g_req, len);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0); /* run once */
    expect_reply(u, g_req, len);
    expect_nothing(u);
}

START_TEST(test_framing)
{
    tlpu_usbd *u = start(_i);
    const size_t mps = u->mps;
    const size_t lens[] = {HDR,         HDR + 1,         mps - HDR, mps - 1, mps,
                           mps + 1,     2 * mps - 1,     2 * mps,   3 * mps, 4 * mps,
                           TLPU_PROTO_MAX_PACKET - 1, TLPU_PROTO_MAX_PACKET};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        frame_one(u, lens[i], (uint32_t)(100 + i));
    ck_assert_uint_eq(u->requests, sizeof lens / sizeof lens[0]);
    ck_assert_uint_eq(u->overflows, 0);
}
END_TEST

START_TEST(test_reply_zlp)
{
    /* a reply that fills whole packets ends with a zero-length packet */
    tlpu_usbd *u = start(_i);
    uint8_t pkt[1024], want[TLPU_PROTO_MAX_PACKET];
    size_t pn;
    for (unsigned k = 1; k <= 2; k++) {
        size_t n = make_req(g_req, TLPU_PROTO_OP_ECHO, k, k * u->mps - HDR, 9);
        send_packets(u, g_req, n, 1);
        ck_assert_int_eq(tlpu_usbd_poll(u), 1);
        ck_assert_uint_eq(fake_reply(g_req, n, want, sizeof want), k * u->mps);
        for (unsigned p = 0; p < k; p++) {
            pn = 0;
            ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_ACK);
            ck_assert_uint_eq(pn, u->mps);
            ck_assert_mem_eq(pkt, want + p * u->mps, u->mps);
        }
        pn = 12345;
        ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_ACK);
        ck_assert_uint_eq(pn, 0);
        expect_nothing(u);
    }
}
END_TEST

START_TEST(test_babble)
{
    /* a packet longer than mps halts OUT, and the request it was part of is lost */
    tlpu_usbd *u = start(_i);
    size_t n = make_req(g_req, TLPU_PROTO_OP_ECHO, 8, 3u * u->mps, 8);
    send_packets(u, g_req, u->mps, 0);
    ck_assert_int_eq(tlpu_usbd_out(u, g_req + u->mps, u->mps + 1u), TLPU_USBD_STALL);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_STALL);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_OUT), 1);
    ck_assert_int_eq(tlpu_usbd_out(u, g_req, 10), TLPU_USBD_STALL);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);
    ck_assert_uint_eq(g_fake.calls, 0);
    ck_assert_int_eq(clear_halt(u, TLPU_USB_EP_OUT), 0);
    request(u, g_req, n);
    ck_assert_uint_eq(g_fake.calls, 1);
    ck_assert_mem_eq(g_fake.last_req, g_req, n);
    expect_reply(u, g_req, n);
    expect_nothing(u);
}
END_TEST

/* Sends a request of len bytes (> MAX_PACKET) with tag `tag` in its header;
 * checks the BAD_LENGTH reply and that the handler did not run. */
static void overflow_one(tlpu_usbd *u, size_t len, uint32_t tag)
{
    unsigned calls = g_fake.calls;
    uint32_t overflows = u->overflows;
    ck_assert_uint_le(len, sizeof g_req);
    make_req(g_req, TLPU_PROTO_OP_MEM_WRITE, tag, len - HDR, 11);
    request(u, g_req, len);
    ck_assert_uint_eq(g_fake.calls, calls);
    ck_assert_uint_eq(u->overflows, overflows + 1);

    uint8_t r[TLPU_PROTO_MAX_PACKET];
    ck_assert_uint_eq(read_reply(u, r, sizeof r), HDR);
    tlpu_proto_hdr h;
    tlpu_proto_read_hdr(r, &h);
    ck_assert_uint_eq(h.magic, TLPU_PROTO_MAGIC);
    ck_assert_uint_eq(h.version, TLPU_PROTO_VERSION);
    ck_assert_uint_eq(h.opcode, TLPU_PROTO_OP_MEM_WRITE);
    ck_assert_uint_eq(h.flags, TLPU_PROTO_FLAG_REPLY);
    ck_assert_uint_eq(h.tag, tag);
    ck_assert_uint_eq(h.length, 0);
    ck_assert_uint_eq(h.status, TLPU_PST_BAD_LENGTH);
    ck_assert_uint_eq(h.crc, tlpu_proto_crc_of(r, HDR));
    expect_nothing(u);
}

START_TEST(test_overflow)
{
    tlpu_usbd *u = start(_i);
    overflow_one(u, TLPU_PROTO_MAX_PACKET + 100, 77);
    ck_assert_uint_eq(u->overflows, 1);
    /* the same again is not a retry: answered again */
    overflow_one(u, TLPU_PROTO_MAX_PACKET + 100, 77);
    ck_assert_uint_eq(u->overflows, 2);
    ck_assert_uint_eq(u->duplicates, 0);
    /* one that fills whole packets (ended by a zero-length packet) */
    overflow_one(u, 10240, 78);
    ck_assert_uint_eq(u->overflows, 3);
    /* one byte too many */
    overflow_one(u, TLPU_PROTO_MAX_PACKET + 1, 79);
    /* and the next request is fine */
    size_t n = make_req(g_req, TLPU_PROTO_OP_ECHO, 80, 33, 1);
    request(u, g_req, n);
    ck_assert_uint_eq(g_fake.calls, 1);
    expect_reply(u, g_req, n);
}
END_TEST

/* ---- pipelining ------------------------------------------------------------ */

START_TEST(test_pipelining)
{
    tlpu_usbd *u = start(_i);
    const unsigned slots = TLPU_USBD_REPLY_SLOTS;
    static uint8_t reqs[TLPU_USBD_REPLY_SLOTS + 2][TLPU_PROTO_MAX_PACKET];
    size_t lens[TLPU_USBD_REPLY_SLOTS + 2];
    for (unsigned i = 0; i < slots + 2; i++) /* varied lengths, some whole packets */
        lens[i] = make_req(reqs[i], TLPU_PROTO_OP_ECHO, 1 + i, (i * 311 + (i % 2) * u->mps) % 3000,
                           (uint8_t)i);
    lens[1] = make_req(reqs[1], TLPU_PROTO_OP_ECHO, 2, u->mps - HDR, 1);

    for (unsigned i = 0; i < slots; i++) {
        ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
        request(u, reqs[i], lens[i]);
        ck_assert_uint_eq(g_fake.calls, i + 1);
    }
    /* every slot holds a reply: the next request arrives but does not run... */
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
    send_packets(u, reqs[slots], lens[slots], 1);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);
    ck_assert_uint_eq(g_fake.calls, slots);
    /* ...and OUT NAKs until a reply is read */
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_NAK);
    ck_assert_int_eq(tlpu_usbd_out(u, reqs[slots + 1], lens[slots + 1] < u->mps ? lens[slots + 1] : u->mps),
                     TLPU_USBD_NAK);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);
    ck_assert_uint_eq(g_fake.calls, slots);

    expect_reply(u, reqs[0], lens[0]);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_NAK); /* until it runs */
    ck_assert_int_eq(tlpu_usbd_poll(u), 1);
    ck_assert_uint_eq(g_fake.calls, slots + 1);
    ck_assert_uint_eq(g_fake.tags[slots], slots + 1);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
    /* the request NAKed is sent again and waits */
    send_packets(u, reqs[slots + 1], lens[slots + 1], 1);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);

    /* replies come back in order */
    for (unsigned i = 1; i <= slots; i++) {
        expect_reply(u, reqs[i], lens[i]);
        if (i == 1)
            ck_assert_int_eq(tlpu_usbd_poll(u), 1);
    }
    expect_reply(u, reqs[slots + 1], lens[slots + 1]);
    expect_nothing(u);
    ck_assert_uint_eq(g_fake.calls, slots + 2);
    for (unsigned i = 0; i < slots + 2; i++)
        ck_assert_uint_eq(g_fake.tags[i], i + 1);

    /* a second round, the ring's start moved: the same order */
    for (unsigned i = 0; i < slots; i++)
        request(u, reqs[i], lens[i]);
    for (unsigned i = 0; i < slots; i++)
        ck_assert_uint_eq(reply_tag(u), i + 1);
    expect_nothing(u);
    ck_assert_uint_eq(g_fake.calls, 2 * slots + 2);
    ck_assert_uint_eq(u->duplicates, 0);
}
END_TEST

START_TEST(test_pipelining_wraps)
{
    /* many requests, two in flight at a time: the reply ring wraps around */
    tlpu_usbd *u = start(_i);
    static uint8_t reqs[2][TLPU_PROTO_MAX_PACKET];
    size_t lens[2];
    lens[0] = make_req(reqs[0], TLPU_PROTO_OP_ECHO, 1000, 17, 0);
    request(u, reqs[0], lens[0]);
    for (unsigned i = 1; i < 20; i++) {
        lens[i % 2] = make_req(reqs[i % 2], TLPU_PROTO_OP_ECHO, 1000 + i, (i * 97) % 2100,
                               (uint8_t)i);
        request(u, reqs[i % 2], lens[i % 2]);
        expect_reply(u, reqs[(i - 1) % 2], lens[(i - 1) % 2]);
    }
    expect_reply(u, reqs[1], lens[1]);
    expect_nothing(u);
    ck_assert_uint_eq(g_fake.calls, 20);
}
END_TEST

/* ---- retries: the reply cache ---------------------------------------------- */

START_TEST(test_retry_after_read)
{
    tlpu_usbd *u = start(_i);
    const size_t plens[] = {100, 0, u->mps - HDR, TLPU_PROTO_MAX_PAYLOAD};
    for (unsigned k = 0; k < sizeof plens / sizeof plens[0]; k++) {
        const unsigned calls = g_fake.calls;
        const uint32_t dups = u->duplicates;
        size_t n = make_req(g_req, TLPU_PROTO_OP_RUN, 9 + k, plens[k], (uint8_t)k);
        static uint8_t first[TLPU_PROTO_MAX_PACKET], again[TLPU_PROTO_MAX_PACKET];
        request(u, g_req, n);
        ck_assert_uint_eq(g_fake.calls, calls + 1);
        size_t fn = read_reply(u, first, sizeof first);
        for (unsigned r = 1; r <= 3; r++) {
            request(u, g_req, n); /* the host lost the reply: the same bytes again */
            ck_assert_uint_eq(g_fake.calls, calls + 1);
            ck_assert_uint_eq(u->duplicates, dups + r);
            ck_assert_uint_eq(read_reply(u, again, sizeof again), fn);
            ck_assert_mem_eq(again, first, fn);
            expect_nothing(u);
        }
    }
}
END_TEST

START_TEST(test_retry_while_queued)
{
    tlpu_usbd *u = start(_i);
    size_t n = make_req(g_req, TLPU_PROTO_OP_RESET, 21, 2u * u->mps - HDR, 2);
    request(u, g_req, n);
    send_packets(u, g_req, n, 1); /* resent before the reply was read */
    tlpu_usbd_poll(u);
    ck_assert_uint_eq(g_fake.calls, 1);
    ck_assert_uint_eq(u->duplicates, 1);
    expect_reply(u, g_req, n);
    expect_nothing(u);

    /* behind another queued reply, and while its own is half sent */
    size_t a = make_req(g_req2, TLPU_PROTO_OP_ECHO, 22, 5, 5);
    request(u, g_req2, a);
    n = make_req(g_req, TLPU_PROTO_OP_RESET, 23, 2u * u->mps, 3);
    request(u, g_req, n);
    send_packets(u, g_req, n, 1);
    tlpu_usbd_poll(u);
    expect_reply(u, g_req2, a);
    uint8_t pkt[1024], want[TLPU_PROTO_MAX_PACKET];
    size_t pn;
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_ACK);
    ck_assert_uint_eq(pn, u->mps);
    send_packets(u, g_req, n, 1);
    tlpu_usbd_poll(u);
    ck_assert_uint_eq(g_fake.calls, 3);
    ck_assert_uint_eq(u->duplicates, 3);
    size_t wn = fake_reply(g_req, n, want, sizeof want);
    static uint8_t rest[TLPU_PROTO_MAX_PACKET];
    size_t rn = read_reply(u, rest, sizeof rest);
    ck_assert_uint_eq(pn + rn, wn);
    ck_assert_mem_eq(pkt, want, pn);
    ck_assert_mem_eq(rest, want + pn, rn);
    expect_nothing(u);
}
END_TEST

START_TEST(test_same_tag_different_request)
{
    tlpu_usbd *u = start(_i);
    size_t a = make_req(g_req, TLPU_PROTO_OP_ECHO, 31, 64, 1);
    request(u, g_req, a);
    expect_reply(u, g_req, a);
    /* same tag and length, other payload (so other CRC): a new request */
    size_t b = make_req(g_req, TLPU_PROTO_OP_ECHO, 31, 64, 2);
    request(u, g_req, b);
    ck_assert_uint_eq(g_fake.calls, 2);
    expect_reply(u, g_req, b);
    /* same tag, other length */
    size_t c = make_req(g_req, TLPU_PROTO_OP_ECHO, 31, 65, 2);
    request(u, g_req, c);
    ck_assert_uint_eq(g_fake.calls, 3);
    expect_reply(u, g_req, c);
    /* same tag and payload, other opcode */
    size_t d = make_req(g_req, TLPU_PROTO_OP_MEM_WRITE, 31, 65, 2);
    request(u, g_req, d);
    ck_assert_uint_eq(g_fake.calls, 4);
    expect_reply(u, g_req, d);
    /* same payload, other tag */
    size_t e = make_req(g_req, TLPU_PROTO_OP_MEM_WRITE, 32, 65, 2);
    request(u, g_req, e);
    ck_assert_uint_eq(g_fake.calls, 5);
    expect_reply(u, g_req, e);
    ck_assert_uint_eq(u->duplicates, 0);
    /* only the last one run is remembered: the first again runs */
    a = make_req(g_req, TLPU_PROTO_OP_ECHO, 31, 64, 1);
    request(u, g_req, a);
    ck_assert_uint_eq(g_fake.calls, 6);
    expect_reply(u, g_req, a);
    ck_assert_uint_eq(u->duplicates, 0);
}
END_TEST

START_TEST(test_cache_forgotten)
{
    /* a request the cache cannot hold (bad CRC, too long) still becomes the
     * last one run: the good request before it is run again when resent */
    tlpu_usbd *u = start(_i);
    size_t a = make_req(g_req2, TLPU_PROTO_OP_RUN, 33, 16, 1);
    request(u, g_req2, a);
    expect_reply(u, g_req2, a);
    size_t b = make_req(g_req, TLPU_PROTO_OP_ECHO, 34, 16, 2);
    g_req[HDR] ^= 1;
    request(u, g_req, b);
    expect_reply(u, g_req, b);
    request(u, g_req2, a);
    ck_assert_uint_eq(g_fake.calls, 3);
    expect_reply(u, g_req2, a);

    overflow_one(u, TLPU_PROTO_MAX_PACKET + 100, 35);
    request(u, g_req2, a);
    ck_assert_uint_eq(g_fake.calls, 4);
    expect_reply(u, g_req2, a);
    ck_assert_uint_eq(u->duplicates, 0);
    expect_nothing(u);
}
END_TEST

START_TEST(test_retry_after_resync)
{
    tlpu_usbd *u = start(_i);
    size_t n = make_req(g_req, TLPU_PROTO_OP_RUN, 41, 12, 4);
    request(u, g_req, n);
    ck_assert_int_eq(resync(u), 0); /* the reply was never read */
    expect_nothing(u);
    request(u, g_req, n);
    ck_assert_uint_eq(g_fake.calls, 1);
    ck_assert_uint_eq(u->duplicates, 1);
    expect_reply(u, g_req, n);
    expect_nothing(u);

    /* the same with other replies queued ahead of it, one of them partly sent */
    size_t a = make_req(g_req2, TLPU_PROTO_OP_ECHO, 42, 2u * u->mps, 1);
    request(u, g_req2, a);
    n = make_req(g_req, TLPU_PROTO_OP_RUN, 43, u->mps - HDR, 4); /* a whole-packet reply */
    request(u, g_req, n);
    uint8_t pkt[1024];
    size_t pn;
    ck_assert_int_eq(tlpu_usbd_in(u, pkt, &pn), TLPU_USBD_ACK);
    ck_assert_int_eq(resync(u), 0);
    expect_nothing(u);
    request(u, g_req, n);
    ck_assert_uint_eq(g_fake.calls, 3);
    ck_assert_uint_eq(u->duplicates, 2);
    expect_reply(u, g_req, n);
    expect_nothing(u);
}
END_TEST

START_TEST(test_bad_crc_not_cached)
{
    tlpu_usbd *u = start(_i);
    size_t n = make_req(g_req, TLPU_PROTO_OP_RUN, 51, 30, 7);
    g_req[HDR + 3] ^= 0x10; /* damaged after sealing */
    for (unsigned r = 1; r <= 3; r++) {
        request(u, g_req, n);
        ck_assert_uint_eq(g_fake.calls, r);
        expect_reply(u, g_req, n);
    }
    /* a header whose length disagrees with the transfer: not cached either */
    n = make_req(g_req, TLPU_PROTO_OP_RUN, 52, 30, 7);
    request(u, g_req, n - 1);
    request(u, g_req, n - 1);
    ck_assert_uint_eq(g_fake.calls, 5);
    expect_reply(u, g_req, n - 1);
    expect_reply(u, g_req, n - 1);
    /* shorter than a header */
    request(u, g_req, 10);
    request(u, g_req, 10);
    ck_assert_uint_eq(g_fake.calls, 7);
    expect_reply(u, g_req, 10);
    expect_reply(u, g_req, 10);
    ck_assert_uint_eq(u->duplicates, 0);
    expect_nothing(u);

    /* a good request, then the same header with its payload damaged on the
     * way: not a retry (its bytes do not match its CRC), so it runs */
    n = make_req(g_req, TLPU_PROTO_OP_RUN, 53, 30, 8);
    request(u, g_req, n);
    expect_reply(u, g_req, n);
    g_req[HDR + 5] ^= 0x40;
    request(u, g_req, n);
    ck_assert_uint_eq(g_fake.calls, 9);
    ck_assert_uint_eq(u->duplicates, 0);
    expect_reply(u, g_req, n);
    expect_nothing(u);
}
END_TEST

/* ---- bus reset ------------------------------------------------------------- */

START_TEST(test_bus_reset)
{
    tlpu_usbd *u = start(_i);
    uint8_t d[2];
    ck_assert_int_eq(ctrl(u, 0x00, SET_ADDRESS, 9, 0, 0, NULL, 0), 0);
    ck_assert_int_eq(ctrl(u, 0x00, SET_CONFIGURATION, 1, 0, 0, NULL, 0), 0);
    size_t a = make_req(g_req, TLPU_PROTO_OP_ECHO, 61, 20, 1);
    request(u, g_req, a);
    size_t b = make_req(g_req, TLPU_PROTO_OP_ECHO, 62, 2u * u->mps, 2);
    request(u, g_req, b);
    send_packets(u, g_req, u->mps, 0); /* a partial request */
    ck_assert_int_eq(set_halt(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(set_halt(u, TLPU_USB_EP_OUT), 0);

    tlpu_usbd_bus_reset(u);
    ck_assert_uint_eq(u->address, 0);
    ck_assert_int_eq(ctrl(u, 0x80, GET_CONFIGURATION, 0, 0, 1, d, sizeof d), 1);
    ck_assert_uint_eq(d[0], 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_OUT), 0);
    ck_assert_int_eq(ep_status(u, TLPU_USB_EP_IN), 0);
    ck_assert_int_eq(tlpu_usbd_out_ready(u), TLPU_USBD_ACK);
    expect_nothing(u);
    ck_assert_int_eq(tlpu_usbd_poll(u), 0);

    size_t c = make_req(g_req, TLPU_PROTO_OP_ECHO, 63, 40, 3);
    request(u, g_req, c);
    ck_assert_uint_eq(g_fake.calls, 3);
    ck_assert_uint_eq(g_fake.tags[2], 63);
    ck_assert_mem_eq(g_fake.last_req, g_req, c);
    expect_reply(u, g_req, c);
    expect_nothing(u);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("usbd");

    TCase *tc = tcase_create("control");
    tcase_add_loop_test(tc, test_get_descriptor, 0, 2);
    tcase_add_test(tc, test_serial_default);
    tcase_add_test(tc, test_address_configuration);
    tcase_add_test(tc, test_get_status);
    tcase_add_test(tc, test_unknown_requests);
    tcase_add_loop_test(tc, test_halt_out, 0, 2);
    tcase_add_loop_test(tc, test_halt_in, 0, 2);
    tcase_add_loop_test(tc, test_clear_halt_drops_partial, 0, 2);
    tcase_add_loop_test(tc, test_resync, 0, 2);
    tcase_add_loop_test(tc, test_bus_reset, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("bulk");
    tcase_add_loop_test(tc, test_framing, 0, 2);
    tcase_add_loop_test(tc, test_reply_zlp, 0, 2);
    tcase_add_loop_test(tc, test_babble, 0, 2);
    tcase_add_loop_test(tc, test_overflow, 0, 2);
    tcase_add_loop_test(tc, test_pipelining, 0, 2);
    tcase_add_loop_test(tc, test_pipelining_wraps, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("retries");
    tcase_add_loop_test(tc, test_retry_after_read, 0, 2);
    tcase_add_loop_test(tc, test_retry_while_queued, 0, 2);
    tcase_add_loop_test(tc, test_same_tag_different_request, 0, 2);
    tcase_add_loop_test(tc, test_cache_forgotten, 0, 2);
    tcase_add_loop_test(tc, test_retry_after_resync, 0, 2);
    tcase_add_loop_test(tc, test_bad_crc_not_cached, 0, 2);
    suite_add_tcase(s, tc);

    return test_run_suite(s);
}
