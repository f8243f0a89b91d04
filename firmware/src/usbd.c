/* SPDX-License-Identifier: Apache-2.0 */
/* usbd.c - the board's USB device glue (tlpu/usbd.h). */
#include "tlpu/usbd.h"

#include "tlpu/usb_desc.h"

/* standard requests (USB 2.0 chapter 9) */
#define REQ_GET_STATUS 0u
#define REQ_CLEAR_FEATURE 1u
#define REQ_SET_FEATURE 3u
#define REQ_SET_ADDRESS 5u
#define REQ_GET_DESCRIPTOR 6u
#define REQ_GET_CONFIGURATION 8u
#define REQ_SET_CONFIGURATION 9u
#define REQ_GET_INTERFACE 10u
#define REQ_SET_INTERFACE 11u
#define FEATURE_ENDPOINT_HALT 0u

static void copy(uint8_t *d, const uint8_t *s, size_t n)
{
    while (n--)
        *d++ = *s++;
}

static void drop_rx(tlpu_usbd *u)
{
    u->rx_len = 0;
    u->rx_overflow = 0;
    u->rx_complete = 0;
}

static void drop_replies(tlpu_usbd *u)
{
    u->head = (u->head + u->count) % TLPU_USBD_REPLY_SLOTS;
    u->count = 0;
    u->tx_off = 0;
}

void tlpu_usbd_bus_reset(tlpu_usbd *u)
{
    u->address = 0;
    u->configuration = 0;
    u->halt_out = u->halt_in = 0;
    drop_rx(u);
    u->head = u->count = u->tx_off = 0;
    u->have_last = 0;
}

void tlpu_usbd_init(tlpu_usbd *u, int super_speed, const char *serial, tlpu_usbd_handler handle,
                    void *ctx)
{
    u->handle = handle;
    u->ctx = ctx;
    u->serial = serial;
    u->super_speed = super_speed ? 1 : 0;
    u->mps = super_speed ? 1024u : 512u;
    u->requests = u->duplicates = u->overflows = u->resyncs = 0;
    tlpu_usbd_bus_reset(u);
}

void tlpu_usbd_halt(tlpu_usbd *u, uint8_t ep)
{
    if (ep == TLPU_USB_EP_OUT)
        u->halt_out = 1;
    else if (ep == TLPU_USB_EP_IN)
        u->halt_in = 1;
}

/* CLEAR_FEATURE(ENDPOINT_HALT): OUT drops a partly received request; IN
 * restarts the reply being sent from its first byte. */
static int clear_halt(tlpu_usbd *u, uint8_t ep)
{
    if (ep == TLPU_USB_EP_OUT) {
        u->halt_out = 0;
        if (!u->rx_complete)
            drop_rx(u);
        return 0;
    }
    if (ep == TLPU_USB_EP_IN) {
        u->halt_in = 0;
        u->tx_off = 0;
        return 0;
    }
    return ep == 0 || ep == 0x80 ? 0 : -1;
}

int tlpu_usbd_setup(tlpu_usbd *u, const uint8_t setup[8], uint8_t *data, size_t cap)
{
    const uint8_t type = setup[0], req = setup[1];
    const uint16_t value = tlpu_get_u16(setup + 2), index = tlpu_get_u16(setup + 4);
    const uint16_t length = tlpu_get_u16(setup + 6);
    const size_t room = cap < length ? cap : length;
    switch (type) {
    case 0x80: /* device to host, standard, device */
        if (req == REQ_GET_DESCRIPTOR) {
            size_t n = tlpu_usb_descriptor((uint8_t)(value >> 8), (uint8_t)value, u->super_speed,
                                           u->serial, data, room);
            return n == 0 ? -1 : (int)(n < room ? n : room);
        }
        if (req == REQ_GET_CONFIGURATION && room >= 1) {
            data[0] = u->configuration;
            return 1;
        }
        if (req == REQ_GET_STATUS && room >= 2) {
            data[0] = 0; /* bus powered, no remote wakeup */
            data[1] = 0;
            return 2;
        }
        return -1;
    case 0x00: /* host to device, standard, device */
        if (req == REQ_SET_ADDRESS && value < 128) {
            u->address = (uint8_t)value;
            return 0;
        }
        if (req == REQ_SET_CONFIGURATION && value <= 1) {
            u->configuration = (uint8_t)value;
            u->halt_in = u->halt_out = 0;
            return 0;
        }
        return -1;
    case 0x81: /* device to host, standard, interface */
        if (index != TLPU_USB_INTERFACE || room < 1)
            return -1;
        if (req == REQ_GET_INTERFACE) {
            data[0] = 0;
            return 1;
        }
        if (req == REQ_GET_STATUS && room >= 2) {
            data[0] = data[1] = 0;
            return 2;
        }
        return -1;
    case 0x01: /* host to device, standard, interface */
        return req == REQ_SET_INTERFACE && index == TLPU_USB_INTERFACE && value == 0 ? 0 : -1;
    case 0x82: /* device to host, standard, endpoint */
        if (req != REQ_GET_STATUS || room < 2)
            return -1;
        if (index == TLPU_USB_EP_OUT || index == TLPU_USB_EP_IN || index == 0 ||
            index == 0x80) {
            data[0] = index == TLPU_USB_EP_OUT ? u->halt_out
                      : index == TLPU_USB_EP_IN ? u->halt_in
                                                : 0; /* endpoint 0 never halts */
            data[1] = 0;
            return 2;
        }
        return -1;
    case 0x02: /* host to device, standard, endpoint */
        if (value != FEATURE_ENDPOINT_HALT)
            return -1;
        if (req == REQ_CLEAR_FEATURE)
            return clear_halt(u, (uint8_t)index);
        if (req == REQ_SET_FEATURE && (index == TLPU_USB_EP_OUT || index == TLPU_USB_EP_IN)) {
            tlpu_usbd_halt(u, (uint8_t)index);
            return 0;
        }
        return -1;
    case 0x41: /* host to device, vendor, interface */
        if (req == TLPU_USB_REQ_RESYNC && index == TLPU_USB_INTERFACE && length == 0) {
            drop_rx(u);
            drop_replies(u);
            u->resyncs++;
            return 0;
        }
        return -1;
    default:
        return -1;
    }
}

enum tlpu_usbd_hs tlpu_usbd_out_ready(const tlpu_usbd *u)
{
    if (u->halt_out)
        return TLPU_USBD_STALL;
    return u->rx_complete ? TLPU_USBD_NAK : TLPU_USBD_ACK;
}

enum tlpu_usbd_hs tlpu_usbd_out(tlpu_usbd *u, const uint8_t *pkt, size_t n)
{
    enum tlpu_usbd_hs hs = tlpu_usbd_out_ready(u);
    if (hs != TLPU_USBD_ACK)
        return hs;
    if (n > u->mps) { /* babble: the controller halts the endpoint */
        u->halt_out = 1;
        drop_rx(u);
        return TLPU_USBD_STALL;
    }
    for (size_t i = 0; i < n; i++) {
        if (u->rx_len < sizeof u->rx)
            u->rx[u->rx_len++] = pkt[i];
        else
            u->rx_overflow = 1;
    }
    if (n < u->mps) {
        u->rx_complete = 1; /* tlpu_usbd_poll() runs it */
    }
    return TLPU_USBD_ACK;
}

/* the request in rx is the last one run again: same tag, opcode, length, CRC */
static int is_repeat(const tlpu_usbd *u)
{
    if (!u->have_last || u->rx_overflow || u->rx_len < TLPU_PROTO_HDR_BYTES)
        return 0;
    tlpu_proto_hdr h;
    tlpu_proto_read_hdr(u->rx, &h);
    return h.magic == TLPU_PROTO_MAGIC && h.tag == u->last_tag && h.opcode == u->last_op &&
           h.length == u->last_len && h.crc == u->last_crc &&
           u->rx_len == TLPU_PROTO_HDR_BYTES + h.length &&
           tlpu_proto_crc_of(u->rx, u->rx_len) == h.crc;
}

int tlpu_usbd_poll(tlpu_usbd *u)
{
    if (!u->rx_complete || u->count == TLPU_USBD_REPLY_SLOTS)
        return 0;
    const uint32_t tail = (u->head + u->count) % TLPU_USBD_REPLY_SLOTS;
    if (is_repeat(u)) {
        u->duplicates++;
        /* still queued: the host gets it; else queue the cached reply again */
        int queued = 0;
        for (uint32_t i = 0; i < u->count; i++)
            queued |= (u->head + i) % TLPU_USBD_REPLY_SLOTS == u->last_slot;
        if (!queued) {
            if (tail != u->last_slot) {
                copy(u->slot[tail], u->slot[u->last_slot], u->slot_len[u->last_slot]);
                u->slot_len[tail] = u->slot_len[u->last_slot];
                u->last_slot = tail;
            }
            u->count++;
        }
        drop_rx(u);
        return 1;
    }
    size_t n;
    if (u->rx_overflow) {
        /* too long to hold: answer BAD_LENGTH with the header's tag if it has one */
        tlpu_proto_hdr h;
        tlpu_proto_read_hdr(u->rx, &h);
        uint32_t tag = h.magic == TLPU_PROTO_MAGIC ? h.tag : 0;
        uint8_t op = h.magic == TLPU_PROTO_MAGIC ? h.opcode : 0;
        tlpu_proto_seal(u->slot[tail], op, TLPU_PROTO_FLAG_REPLY, tag, 0, TLPU_PST_BAD_LENGTH);
        n = TLPU_PROTO_HDR_BYTES;
        u->overflows++;
        u->have_last = 0;
    } else {
        n = u->handle(u->ctx, u->rx, u->rx_len, u->slot[tail], sizeof u->slot[tail]);
        u->have_last = 0;
        if (u->rx_len >= TLPU_PROTO_HDR_BYTES) {
            tlpu_proto_hdr h;
            tlpu_proto_read_hdr(u->rx, &h);
            if (h.magic == TLPU_PROTO_MAGIC && u->rx_len == TLPU_PROTO_HDR_BYTES + h.length &&
                tlpu_proto_crc_of(u->rx, u->rx_len) == h.crc) {
                u->have_last = 1;
                u->last_tag = h.tag;
                u->last_op = h.opcode;
                u->last_len = h.length;
                u->last_crc = h.crc;
                u->last_slot = tail;
            }
        }
    }
    u->slot_len[tail] = (uint32_t)n;
    u->count++;
    u->requests++;
    drop_rx(u);
    return 1;
}

enum tlpu_usbd_hs tlpu_usbd_in(tlpu_usbd *u, uint8_t *pkt, size_t *n)
{
    *n = 0;
    if (u->halt_in)
        return TLPU_USBD_STALL;
    if (!u->count)
        return TLPU_USBD_NAK;
    const uint32_t len = u->slot_len[u->head];
    uint32_t left = len - u->tx_off;
    uint32_t c = left < u->mps ? left : u->mps;
    copy(pkt, u->slot[u->head] + u->tx_off, c);
    *n = c;
    u->tx_off += c;
    if (c < u->mps) { /* a short packet (or the zero-length one) ends the reply */
        u->head = (u->head + 1) % TLPU_USBD_REPLY_SLOTS;
        u->count--;
        u->tx_off = 0;
    }
    return TLPU_USBD_ACK;
}
