/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/usbd.h - the board's USB device glue: what sits between the MCU's USB
 * device controller and the firmware's command processor (tlpu/fw.h).
 * Freestanding C, no heap: the caller owns a tlpu_usbd (static storage on
 * an MCU) and calls in from its controller's events:
 *
 *   control (endpoint 0)  tlpu_usbd_setup()  - standard requests
 *                         (GET_DESCRIPTOR from tlpu/usb_desc.h, SET_ADDRESS,
 *                         SET/GET_CONFIGURATION, GET_STATUS, SET/CLEAR_FEATURE
 *                         ENDPOINT_HALT, SET/GET_INTERFACE) and the vendor
 *                         request RESYNC;
 *   bulk OUT (0x01)       tlpu_usbd_out() for every data packet received;
 *   bulk IN (0x81)        tlpu_usbd_in() when the controller can send one;
 *   main loop             tlpu_usbd_poll() runs a received request.
 *
 * Framing (docs/protocol.md, "USB"): a request is one bulk OUT transfer and
 * its reply one bulk IN transfer, each ended by a short packet, or by a
 * zero-length packet when it fills whole packets. Packets past the largest
 * request are dropped and the request is answered with BAD_LENGTH.
 *
 * Pipelining: the device takes a new request while earlier replies wait to
 * be read, up to TLPU_USBD_REPLY_SLOTS replies; beyond that it NAKs OUT
 * packets (the host controller retries them) until a reply is read.
 *
 * Retries: a request identical to the last one run (same tag, opcode,
 * length and CRC) is not run again; its reply is sent again (or, when it is
 * still waiting to be read, nothing more is queued). A host that lost a
 * reply, or does not know whether its request arrived, resends it with the
 * same tag, and a RUN or a RESET is never done twice.
 */
#ifndef TLPU_USBD_H
#define TLPU_USBD_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/proto.h"

#define TLPU_USBD_REPLY_SLOTS 4u

/* the vendor request RESYNC: bmRequestType 0x41 (host to device, vendor,
 * interface), wIndex = TLPU_USB_INTERFACE, no data. Drops a partly received
 * request and every reply not yet read (the reply cache is kept). */
#define TLPU_USB_REQ_RESYNC 0x01u

/* what a packet-level call tells the controller to answer */
enum tlpu_usbd_hs {
    TLPU_USBD_ACK = 0,  /* the packet was taken / one is ready */
    TLPU_USBD_NAK = 1,  /* not now: try again later */
    TLPU_USBD_STALL = 2 /* the endpoint is halted */
};

/* Runs one request (tlpu_fw_handle on the board): writes the reply (at most
 * cap bytes) and returns its length. */
typedef size_t (*tlpu_usbd_handler)(void *ctx, const uint8_t *req, size_t len, uint8_t *reply,
                                    size_t cap);

typedef struct tlpu_usbd {
    tlpu_usbd_handler handle;
    void *ctx;
    const char *serial;
    uint16_t mps; /* bulk max packet size: 512 (high speed) or 1024 (super speed) */
    uint8_t super_speed, address, configuration, halt_out, halt_in;
    /* bulk OUT: the request being received */
    uint8_t rx[TLPU_PROTO_MAX_PACKET];
    uint32_t rx_len;      /* bytes kept */
    uint8_t rx_overflow;  /* more arrived than a request can hold */
    uint8_t rx_complete;  /* ended, waiting for a reply slot */
    /* replies, oldest first: slot (head + i) % SLOTS for i < count */
    uint8_t slot[TLPU_USBD_REPLY_SLOTS][TLPU_PROTO_MAX_PACKET];
    uint32_t slot_len[TLPU_USBD_REPLY_SLOTS];
    uint32_t head, count;
    uint32_t tx_off;      /* bytes of the head reply sent */
    /* the reply cache: the last request run and the slot holding its reply */
    uint8_t have_last, last_op;
    uint32_t last_tag, last_len, last_crc, last_slot;
    /* counts, for tests and benchmarks */
    uint32_t requests, duplicates, overflows, resyncs;
} tlpu_usbd;

/* Sets the device up, unaddressed and unconfigured (a bus reset does the
 * same). serial: the serial-number string (must outlive u; may be NULL). */
void tlpu_usbd_init(tlpu_usbd *u, int super_speed, const char *serial, tlpu_usbd_handler handle,
                    void *ctx);
void tlpu_usbd_bus_reset(tlpu_usbd *u);

/* One control transfer: setup is the 8-byte SETUP packet; an IN data stage
 * is written to data (at most cap and wLength bytes). Returns the data
 * stage's length (0 for none), or -1: STALL the request. */
int tlpu_usbd_setup(tlpu_usbd *u, const uint8_t setup[8], uint8_t *data, size_t cap);

/* One bulk OUT data packet (n <= mps; n < mps ends the request). */
enum tlpu_usbd_hs tlpu_usbd_out(tlpu_usbd *u, const uint8_t *pkt, size_t n);
/* Whether an OUT packet would be taken now. */
enum tlpu_usbd_hs tlpu_usbd_out_ready(const tlpu_usbd *u);
/* The next bulk IN data packet into pkt (mps bytes of room); *n its length.
 * NAK: no reply is waiting. */
enum tlpu_usbd_hs tlpu_usbd_in(tlpu_usbd *u, uint8_t *pkt, size_t *n);
/* Runs a received request when a reply slot is free; returns 1 if it did. */
int tlpu_usbd_poll(tlpu_usbd *u);
/* The controller halted an endpoint (a protocol error it saw): the host
 * clears it with CLEAR_FEATURE(ENDPOINT_HALT). */
void tlpu_usbd_halt(tlpu_usbd *u, uint8_t ep);

#endif /* TLPU_USBD_H */
