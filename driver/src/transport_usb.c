/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_usb.c - the usb: transport: a board over USB through libusb.
 * The board's interface (firmware/src/usb_desc.c, firmware/src/usbd.c,
 * docs/protocol.md "USB"): one vendor-class interface; a request is one bulk
 * OUT transfer and its reply one bulk IN transfer.
 *
 * URI keys: vid=, pid= (default TLPU_USB_VID:TLPU_USB_PID), serial= (the
 * board's serial-number string), port=BUS-PORT.PORT... (a bus path as
 * `lsusb -t` shows it), timeout= (ms per transfer, default 5000), retries=
 * (default 3), inflight= (requests in flight, 1..32, default 8).
 *
 * Transfers are asynchronous: up to `inflight` requests go out before their
 * replies are read, so a large upload streams at the link's speed instead of
 * paying a round trip per packet. Replies are matched to requests by tag;
 * a reply to an earlier request (left over from a failed exchange) is
 * dropped. Every transfer has a timeout. On a fault - a stall, a transfer
 * error, a timeout, a short or corrupt reply - the transfers in flight are
 * cancelled, the endpoints' halts cleared, the device told to RESYNC (drop
 * what it queued) and the requests not yet answered sent again with their
 * own tags: the device runs a repeated request once (tlpu/usbd.h), so a
 * retry never does a RUN twice. After `retries` retries the fault is
 * returned. A board that goes away gives TLPU_ERR_NO_DEVICE, then and on
 * every later call; tlpu_close() still works. Every libusb failure keeps
 * its libusb code (tlpu_last_transport_error()) and name in the message.
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/proto.h"
#include "tlpu/tlpu.h"
#include "tlpu/usbd.h"

#define MAX_INFLIGHT 32u
/* an IN transfer's buffer: the largest reply, rounded up to whole packets at
 * every speed, so a device never overflows it */
#define IN_CAP 5120u
/* the largest request sent (tlpu_debug_raw may send oversized ones on purpose) */
#define MAX_REQ (2u * TLPU_PROTO_MAX_PACKET)

typedef struct usb_dev usb_dev;

typedef struct usb_xfer {
    struct libusb_transfer *t;
    int busy;   /* submitted; its callback has not run */
    int done;   /* its callback ran; the result is not yet looked at */
    size_t idx; /* OUT: the request it carries */
} usb_xfer;

struct usb_dev {
    libusb_context *ctx;
    libusb_device_handle *h;
    uint16_t vid, pid;
    char serial[128];
    char port[64];
    unsigned timeout_ms, retries, inflight;
    int claimed, gone;
    usb_xfer out[MAX_INFLIGHT], in[MAX_INFLIGHT];
    uint8_t *inbuf;     /* inflight x IN_CAP */
    uint8_t *answered;  /* per request of the exchange */
    size_t answered_cap;
};

static tlpu_status from_libusb(int err, const char *what)
{
    tlpu_status st = err == LIBUSB_ERROR_NO_DEVICE   ? TLPU_ERR_NO_DEVICE
                     : err == LIBUSB_ERROR_TIMEOUT   ? TLPU_ERR_TIMEOUT
                     : err == LIBUSB_ERROR_NO_MEM    ? TLPU_ERR_NOMEM
                     : err == LIBUSB_ERROR_NOT_FOUND ? TLPU_ERR_NO_DEVICE
                                                     : TLPU_ERR_TRANSPORT;
    return tlpu_fail_transport(st, err, "usb: %s: %s (libusb %s)", what, libusb_strerror(err),
                               libusb_error_name(err));
}

/* a finished transfer's status as the libusb error it stands for */
static int status_error(enum libusb_transfer_status s)
{
    switch (s) {
    case LIBUSB_TRANSFER_TIMED_OUT:
        return LIBUSB_ERROR_TIMEOUT;
    case LIBUSB_TRANSFER_STALL:
        return LIBUSB_ERROR_PIPE;
    case LIBUSB_TRANSFER_NO_DEVICE:
        return LIBUSB_ERROR_NO_DEVICE;
    case LIBUSB_TRANSFER_OVERFLOW:
        return LIBUSB_ERROR_OVERFLOW;
    case LIBUSB_TRANSFER_CANCELLED:
        return LIBUSB_ERROR_INTERRUPTED;
    default:
        return LIBUSB_ERROR_IO;
    }
}

static tlpu_status usb_param(void *ctx, const char *key, const char *val)
{
    usb_dev *d = ctx;
    uint64_t u;
    if (!strcmp(key, "vid") || !strcmp(key, "pid")) {
        if (tlpu_uri_u64(val, 0, 0xFFFF, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: %s=%s is not a 16-bit number (e.g. "
                                                   "0x1209)", key, val);
        *(key[0] == 'v' ? &d->vid : &d->pid) = (uint16_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "serial") || !strcmp(key, "port")) {
        char *dst = key[0] == 's' ? d->serial : d->port;
        size_t cap = key[0] == 's' ? sizeof d->serial : sizeof d->port;
        if (strlen(val) >= cap)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: %s is too long", key);
        strcpy(dst, val);
        return TLPU_OK;
    }
    if (!strcmp(key, "timeout")) {
        if (tlpu_uri_u64(val, 1, 3600000, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: timeout=%s (1 .. 3600000 ms)", val);
        d->timeout_ms = (unsigned)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "retries")) {
        if (tlpu_uri_u64(val, 0, 100, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: retries=%s (0 .. 100)", val);
        d->retries = (unsigned)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "inflight")) {
        if (tlpu_uri_u64(val, 1, MAX_INFLIGHT, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: inflight=%s (1 .. %u)", val,
                             MAX_INFLIGHT);
        d->inflight = (unsigned)u;
        return TLPU_OK;
    }
    return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: unknown parameter '%s' (vid, pid, serial, port, "
                                           "timeout, retries, inflight)", key);
}

/* "BUS-PORT.PORT..." of a device, as lsusb -t and sysfs name it */
static void port_path(libusb_device *dev, char *out, size_t cap)
{
    uint8_t ports[8];
    int n = libusb_get_port_numbers(dev, ports, (int)sizeof ports);
    int k = snprintf(out, cap, "%u", libusb_get_bus_number(dev));
    for (int i = 0; i < n && k > 0 && (size_t)k < cap; i++)
        k += snprintf(out + k, cap - (size_t)k, "%c%u", i == 0 ? '-' : '.', ports[i]);
}

static const char *speed_name(int s)
{
    switch (s) {
    case LIBUSB_SPEED_LOW:
        return "1.5 Mb/s";
    case LIBUSB_SPEED_FULL:
        return "12 Mb/s";
    case LIBUSB_SPEED_HIGH:
        return "480 Mb/s";
    case LIBUSB_SPEED_SUPER:
        return "5 Gb/s";
    case LIBUSB_SPEED_SUPER_PLUS:
        return "10 Gb/s";
    default:
        return "unknown speed";
    }
}

static void free_dev(usb_dev *d)
{
    for (unsigned i = 0; i < MAX_INFLIGHT; i++) {
        libusb_free_transfer(d->out[i].t);
        libusb_free_transfer(d->in[i].t);
    }
    free(d->inbuf);
    free(d->answered);
    free(d);
}

typedef struct match {
    libusb_device *dev;
    struct libusb_device_descriptor dd;
    char path[64];
} match;

static int by_path(const void *a, const void *b)
{
    const match *x = a, *y = b;
    /* bus then ports, numerically: "1-2" < "1-10" < "2-1" */
    const char *p = x->path, *q = y->path;
    while (*p && *q) {
        char *pe, *qe;
        unsigned long u = strtoul(p, &pe, 10), v = strtoul(q, &qe, 10);
        if (u != v)
            return u < v ? -1 : 1;
        p = *pe ? pe + 1 : pe;
        q = *qe ? qe + 1 : qe;
    }
    return (*p != 0) - (*q != 0);
}

/* calls fn(arg, device, descriptor, path) for each device matching d's vid,
 * pid and port, in bus-path order, until fn returns nonzero; returns how
 * many matched, or a negative libusb error */
static ssize_t each_match(usb_dev *d, libusb_context *ctx,
                          int (*fn)(void *arg, libusb_device *dev,
                                    const struct libusb_device_descriptor *dd, const char *path),
                          void *arg)
{
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(ctx, &list);
    if (n < 0)
        return n;
    match *m = calloc((size_t)n + 1, sizeof *m);
    if (!m) {
        libusb_free_device_list(list, 1);
        return LIBUSB_ERROR_NO_MEM;
    }
    ssize_t matches = 0;
    for (ssize_t i = 0; i < n; i++) {
        match *c = &m[matches];
        if (libusb_get_device_descriptor(list[i], &c->dd) != 0 || c->dd.idVendor != d->vid ||
            c->dd.idProduct != d->pid)
            continue;
        port_path(list[i], c->path, sizeof c->path);
        if (d->port[0] && strcmp(d->port, c->path) != 0)
            continue;
        c->dev = list[i];
        matches++;
    }
    qsort(m, (size_t)matches, sizeof *m, by_path);
    for (ssize_t i = 0; i < matches; i++)
        if (fn(arg, m[i].dev, &m[i].dd, m[i].path))
            break;
    free(m);
    libusb_free_device_list(list, 1);
    return matches;
}

/* the serial string of an open device, "" when it has none */
static int read_serial(libusb_device_handle *h, const struct libusb_device_descriptor *dd,
                       char *out, size_t cap)
{
    out[0] = 0;
    if (!dd->iSerialNumber)
        return 0;
    int rc = libusb_get_string_descriptor_ascii(h, dd->iSerialNumber, (unsigned char *)out,
                                                (int)cap);
    if (rc < 0) {
        out[0] = 0;
        return rc;
    }
    return 0;
}

typedef struct open_walk {
    usb_dev *d;
    tlpu_status st;
    int seen;
} open_walk;

static int try_open(void *arg, libusb_device *dev, const struct libusb_device_descriptor *dd,
                    const char *path)
{
    (void)path;
    open_walk *w = arg;
    usb_dev *d = w->d;
    libusb_device_handle *h = NULL;
    int rc = libusb_open(dev, &h);
    if (rc != 0) {
        w->st = from_libusb(rc, "cannot open the board");
        return 0;
    }
    if (d->serial[0]) {
        char sn[128];
        if (read_serial(h, dd, sn, sizeof sn) != 0 || strcmp(sn, d->serial) != 0) {
            libusb_close(h);
            return 0;
        }
    }
    w->seen++;
    libusb_set_auto_detach_kernel_driver(h, 1);
    rc = libusb_claim_interface(h, TLPU_USB_INTERFACE);
    if (rc != 0) {
        w->st = from_libusb(rc, "cannot claim the board's interface");
        libusb_close(h);
        return 0;
    }
    d->h = h;
    d->claimed = 1;
    w->st = TLPU_OK;
    return 1;
}

static tlpu_status usb_open(const char *params, void **out)
{
    usb_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    d->vid = TLPU_USB_VID;
    d->pid = TLPU_USB_PID;
    d->timeout_ms = 5000;
    d->retries = 3;
    d->inflight = 8;
    tlpu_status st = tlpu_uri_params(params, usb_param, d);
    if (st != TLPU_OK) {
        free(d);
        return st;
    }
    d->inbuf = malloc((size_t)MAX_INFLIGHT * IN_CAP);
    for (unsigned i = 0; i < MAX_INFLIGHT; i++) {
        d->out[i].t = libusb_alloc_transfer(0);
        d->in[i].t = libusb_alloc_transfer(0);
        if (!d->out[i].t || !d->in[i].t)
            d->inbuf = (free(d->inbuf), NULL);
    }
    if (!d->inbuf) {
        free_dev(d);
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    }
    int rc = libusb_init(&d->ctx);
    if (rc != 0) {
        free_dev(d);
        return from_libusb(rc, "cannot start libusb");
    }
    open_walk w = {d, TLPU_ERR_NO_DEVICE, 0};
    ssize_t n = each_match(d, d->ctx, try_open, &w);
    if (n < 0) {
        st = from_libusb((int)n, "cannot list USB devices");
        libusb_exit(d->ctx);
        free_dev(d);
        return st;
    }
    if (!d->h) {
        if (w.st == TLPU_ERR_NO_DEVICE)
            tlpu_fail(w.st, "usb: no tlpu board found (looked for %04x:%04x%s%s%s%s; %zd with "
                            "that ID%s)",
                      d->vid, d->pid, d->serial[0] ? ", serial " : "", d->serial,
                      d->port[0] ? ", port " : "", d->port, n,
                      d->serial[0] && n ? ", none with that serial" : "");
        libusb_exit(d->ctx);
        free_dev(d);
        return w.st;
    }
    *out = d;
    return TLPU_OK;
}

static void LIBUSB_CALL on_done(struct libusb_transfer *t)
{
    usb_xfer *x = t->user_data;
    x->busy = 0;
    x->done = 1;
}

static int busy_count(const usb_dev *d)
{
    int n = 0;
    for (unsigned i = 0; i < MAX_INFLIGHT; i++)
        n += d->out[i].busy + d->in[i].busy;
    return n;
}

static void cancel_all(usb_dev *d)
{
    for (unsigned i = 0; i < MAX_INFLIGHT; i++) {
        if (d->out[i].busy)
            libusb_cancel_transfer(d->out[i].t);
        if (d->in[i].busy)
            libusb_cancel_transfer(d->in[i].t);
    }
}

/* a libusb error while `what` request idx of n: the status to return, with
 * its message; a board that went away is remembered */
static tlpu_status link_fault(usb_dev *d, int err, const char *what, size_t idx, size_t n)
{
    if (err == LIBUSB_ERROR_NO_DEVICE) {
        d->gone = 1;
        return tlpu_fail_transport(TLPU_ERR_NO_DEVICE, err,
                                   "usb: the board went away (unplugged?) while %s %zu of %zu "
                                   "(libusb %s)", what, idx + 1, n, libusb_error_name(err));
    }
    char msg[96];
    snprintf(msg, sizeof msg, "%s %zu of %zu", what, idx + 1, n);
    return from_libusb(err, msg);
}

/* One pass over the requests not yet answered: sends them (up to inflight
 * at a time) and reads replies until each is answered or a fault happens.
 * On a fault every transfer in flight is cancelled and waited for. */
static tlpu_status run_pass(usb_dev *d, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    size_t next = 0, sent_unanswered = 0, left = 0;
    for (size_t i = 0; i < n; i++)
        left += !d->answered[i];
    tlpu_status fault = TLPU_OK;
    for (;;) {
        for (unsigned s = 0; s < d->inflight && fault == TLPU_OK; s++) {
            while (next < n && d->answered[next])
                next++;
            if (next == n)
                break;
            usb_xfer *o = &d->out[s];
            if (o->busy || o->done)
                continue;
            libusb_fill_bulk_transfer(o->t, d->h, TLPU_USB_EP_OUT, (unsigned char *)x[next].req,
                                      (int)x[next].len, on_done, o, d->timeout_ms);
            /* a request filling whole packets ends with a zero-length one */
            o->t->flags = LIBUSB_TRANSFER_ADD_ZERO_PACKET;
            o->idx = next;
            int rc = libusb_submit_transfer(o->t);
            if (rc != 0) {
                fault = link_fault(d, rc, "submitting request", next, n);
                cancel_all(d);
                break;
            }
            o->busy = 1;
            next++;
            sent_unanswered++;
        }
        int in_busy = 0;
        for (unsigned s = 0; s < MAX_INFLIGHT; s++)
            in_busy += d->in[s].busy;
        for (unsigned s = 0; s < d->inflight && fault == TLPU_OK &&
                             (size_t)in_busy < sent_unanswered;
             s++) {
            usb_xfer *r = &d->in[s];
            if (r->busy || r->done)
                continue;
            libusb_fill_bulk_transfer(r->t, d->h, TLPU_USB_EP_IN, d->inbuf + (size_t)s * IN_CAP,
                                      IN_CAP, on_done, r, d->timeout_ms + io->extra_ms);
            int rc = libusb_submit_transfer(r->t);
            if (rc != 0) {
                fault = link_fault(d, rc, "submitting the read of reply", n - left, n);
                cancel_all(d);
                break;
            }
            r->busy = 1;
            in_busy++;
        }
        if (busy_count(d) == 0) {
            if (fault != TLPU_OK)
                return fault;
            if (left == 0)
                return TLPU_OK;
        }
        struct timeval tv = {0, 50000};
        int rc = libusb_handle_events_timeout_completed(d->ctx, &tv, NULL);
        if (rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED && fault == TLPU_OK) {
            fault = from_libusb(rc, "handling USB events");
            cancel_all(d);
        }
        if (fault == TLPU_OK && io->cancel && *io->cancel) {
            fault = tlpu_fail(TLPU_ERR_CANCELLED, "usb: cancelled with %zu of %zu requests "
                                                  "unanswered", left, n);
            cancel_all(d);
        }
        for (unsigned s = 0; s < MAX_INFLIGHT; s++) {
            usb_xfer *o = &d->out[s];
            if (!o->done)
                continue;
            o->done = 0;
            const struct libusb_transfer *t = o->t;
            if (t->status == LIBUSB_TRANSFER_COMPLETED && t->actual_length == t->length)
                continue;
            if (fault == TLPU_OK) {
                fault = t->status == LIBUSB_TRANSFER_COMPLETED
                            ? tlpu_fail(TLPU_ERR_TRANSPORT, "usb: request %zu of %zu: %d of %d "
                                                            "bytes sent", o->idx + 1, n,
                                        t->actual_length, t->length)
                            : link_fault(d, status_error(t->status), "sending request",
                                         o->idx, n);
                cancel_all(d);
            } else if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
                d->gone = 1;
            }
        }
        for (unsigned s = 0; s < MAX_INFLIGHT; s++) {
            usb_xfer *r = &d->in[s];
            if (!r->done)
                continue;
            r->done = 0;
            const struct libusb_transfer *t = r->t;
            if (t->status != LIBUSB_TRANSFER_COMPLETED) {
                if (fault == TLPU_OK) {
                    fault = link_fault(d, status_error(t->status),
                                       "reading the reply to request", n - left, n);
                    cancel_all(d);
                } else if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
                    d->gone = 1;
                }
                continue;
            }
            const uint8_t *p = t->buffer;
            size_t got = (size_t)t->actual_length;
            if (io->raw) { /* the reply, whatever it is */
                if (!d->answered[0]) {
                    x[0].rep_len = got < x[0].cap ? got : x[0].cap;
                    memcpy(x[0].rep, p, x[0].rep_len);
                    d->answered[0] = 1;
                    left--;
                    sent_unanswered--;
                }
                continue;
            }
            tlpu_proto_hdr h;
            int whole = got >= TLPU_PROTO_HDR_BYTES;
            if (whole) {
                tlpu_proto_read_hdr(p, &h);
                whole = h.magic == TLPU_PROTO_MAGIC && h.length <= TLPU_PROTO_MAX_PAYLOAD &&
                        got == TLPU_PROTO_HDR_BYTES + h.length &&
                        tlpu_proto_crc_of(p, got) == h.crc;
            }
            if (!whole) {
                if (fault == TLPU_OK) {
                    fault = tlpu_fail(TLPU_ERR_TRANSPORT, "usb: a short or corrupt reply (%zu "
                                                          "bytes) with %zu of %zu requests "
                                                          "unanswered", got, left, n);
                    cancel_all(d);
                }
                continue;
            }
            if (h.status >= TLPU_PST_BAD_MAGIC && h.status <= TLPU_PST_BAD_CRC) {
                /* our requests are well formed: this one arrived damaged (a transfer
                 * error left part of it behind, or merged it with the next) */
                if (fault == TLPU_OK) {
                    fault = tlpu_fail(TLPU_ERR_TRANSPORT, "usb: a request arrived damaged "
                                                          "(the device answered status %u, "
                                                          "tag %u)", h.status, h.tag);
                    cancel_all(d);
                }
                continue;
            }
            size_t i = 0;
            while (i < n && (d->answered[i] || tlpu_get_u32(x[i].req + 8) != h.tag ||
                             x[i].req[5] != h.opcode))
                i++;
            if (i == n) /* a reply left over from an earlier, failed exchange */
                continue;
            if (got > x[i].cap) {
                if (fault == TLPU_OK) {
                    fault = tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: a reply of %zu bytes does not "
                                                            "fit in %zu", got, x[i].cap);
                    cancel_all(d);
                }
                continue;
            }
            memcpy(x[i].rep, p, got);
            x[i].rep_len = got;
            d->answered[i] = 1;
            left--;
            sent_unanswered--;
        }
    }
}

/* after a fault: clear both endpoints' halts and drop what the device queued */
static tlpu_status recover(usb_dev *d)
{
    int rc = libusb_clear_halt(d->h, TLPU_USB_EP_OUT);
    if (rc == 0)
        rc = libusb_clear_halt(d->h, TLPU_USB_EP_IN);
    if (rc == 0)
        rc = libusb_control_transfer(d->h, LIBUSB_REQUEST_TYPE_VENDOR |
                                               LIBUSB_RECIPIENT_INTERFACE | LIBUSB_ENDPOINT_OUT,
                                     TLPU_USB_REQ_RESYNC, 0, TLPU_USB_INTERFACE, NULL, 0,
                                     d->timeout_ms);
    if (rc < 0) {
        if (rc == LIBUSB_ERROR_NO_DEVICE)
            d->gone = 1;
        return from_libusb(rc, "recovering the link after a failed transfer");
    }
    return TLPU_OK;
}

static tlpu_status usb_transact(void *ctx, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    usb_dev *d = ctx;
    if (d->gone)
        return tlpu_fail_transport(TLPU_ERR_NO_DEVICE, LIBUSB_ERROR_NO_DEVICE,
                                   "usb: the board went away; close the device");
    for (size_t i = 0; i < n; i++)
        if (x[i].len > MAX_REQ)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: request of %zu bytes is too long",
                             x[i].len);
    if (n > d->answered_cap) {
        uint8_t *a = realloc(d->answered, n);
        if (!a)
            return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        d->answered = a;
        d->answered_cap = n;
    }
    memset(d->answered, 0, n);
    for (unsigned attempt = 0;; attempt++) {
        tlpu_status st = run_pass(d, x, n, io);
        if (st == TLPU_OK || st == TLPU_ERR_NO_DEVICE || st == TLPU_ERR_CANCELLED ||
            st == TLPU_ERR_NOMEM || st == TLPU_ERR_INVALID_ARG || io->raw)
            return st;
        if (attempt >= d->retries) {
            char msg[320];
            snprintf(msg, sizeof msg, "%s", tlpu_last_error());
            return tlpu_fail_transport(st, tlpu_last_transport_error(), "%s (after %u %s)", msg,
                                       attempt, attempt == 1 ? "retry" : "retries");
        }
        tlpu_status rs = recover(d);
        if (rs != TLPU_OK)
            return rs;
    }
}

static void usb_close(void *ctx)
{
    usb_dev *d = ctx;
    cancel_all(d);
    for (int spins = 0; busy_count(d) && spins < 200; spins++) {
        struct timeval tv = {0, 10000};
        libusb_handle_events_timeout_completed(d->ctx, &tv, NULL);
    }
    if (d->claimed && !d->gone)
        libusb_release_interface(d->h, TLPU_USB_INTERFACE);
    libusb_close(d->h);
    libusb_exit(d->ctx);
    free_dev(d);
}

/* ---- listing ---------------------------------------------------------------------- */

typedef struct list_walk {
    usb_dev *d;
    void (*fn)(void *arg, const char *uri, const char *what);
    void *arg;
    int shown;
} list_walk;

static int show_one(void *arg, libusb_device *dev, const struct libusb_device_descriptor *dd,
                    const char *path)
{
    list_walk *w = arg;
    char uri[256], what[384], sn[128] = "", product[128] = "";
    libusb_device_handle *h = NULL;
    int rc = libusb_open(dev, &h);
    if (rc == 0) {
        read_serial(h, dd, sn, sizeof sn);
        if (dd->iProduct)
            libusb_get_string_descriptor_ascii(h, dd->iProduct, (unsigned char *)product,
                                               (int)sizeof product);
        libusb_close(h);
    }
    if (w->d->serial[0] && strcmp(sn, w->d->serial) != 0)
        return 0;
    snprintf(uri, sizeof uri, "usb:vid=0x%04x,pid=0x%04x,port=%s%s%s", dd->idVendor,
             dd->idProduct, path, sn[0] ? ",serial=" : "", sn);
    if (rc == 0)
        snprintf(what, sizeof what, "%s, serial %s, bus path %s, %s, USB %x.%x",
                 product[0] ? product : "(no product string)", sn[0] ? sn : "(none)", path,
                 speed_name(libusb_get_device_speed(dev)), dd->bcdUSB >> 8,
                 (dd->bcdUSB >> 4) & 0xF);
    else
        snprintf(what, sizeof what, "bus path %s, %s: cannot open it (libusb %s)", path,
                 speed_name(libusb_get_device_speed(dev)), libusb_error_name(rc));
    w->fn(w->arg, uri, what);
    w->shown++;
    return 0;
}

static int usb_list(const char *params, void (*fn)(void *arg, const char *uri, const char *what),
                    void *arg)
{
    usb_dev d;
    memset(&d, 0, sizeof d);
    d.vid = TLPU_USB_VID;
    d.pid = TLPU_USB_PID;
    tlpu_status st = tlpu_uri_params(params, usb_param, &d);
    if (st != TLPU_OK)
        return st;
    libusb_context *ctx = NULL;
    int rc = libusb_init(&ctx);
    if (rc != 0)
        return from_libusb(rc, "cannot start libusb");
    list_walk w = {&d, fn, arg, 0};
    ssize_t n = each_match(&d, ctx, show_one, &w);
    libusb_exit(ctx);
    if (n < 0)
        return from_libusb((int)n, "cannot list USB devices");
    return w.shown;
}

const tlpu_transport tlpu_transport_usb = {
    .scheme = "usb",
    .doc = "a tlpu board over USB (libusb, asynchronous bulk transfers)",
    .open = usb_open,
    .close = usb_close,
    .transact = usb_transact,
    .list = usb_list,
};
