/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_usb.c - the usb: transport: a board over USB through libusb.
 * The board's interface (firmware/src/usb_desc.c, docs/protocol.md "USB"):
 * one vendor-class interface, a request is one bulk OUT transfer and its
 * reply one bulk IN transfer.
 *
 * URI keys: vid=, pid= (default TLPU_USB_VID:TLPU_USB_PID), serial= (the
 * board's serial-number string), port=BUS-PORT.PORT... (a bus path as
 * `lsusb -t` shows it), timeout= (ms per transfer, default 5000).
 *
 * This first version moves each packet with one synchronous transfer per
 * direction; a request of the largest size is 4120 bytes. Every libusb error
 * becomes a named tlpu status with the libusb error name in the message: a
 * board unplugged mid-transfer is TLPU_ERR_NO_DEVICE, a timeout
 * TLPU_ERR_TIMEOUT, anything else TLPU_ERR_TRANSPORT.
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/proto.h"

typedef struct usb_dev {
    libusb_context *ctx;
    libusb_device_handle *h;
    uint16_t vid, pid;
    char serial[128];
    char port[64];
    unsigned timeout_ms;
    int claimed;
} usb_dev;

static tlpu_status from_libusb(int err, const char *what)
{
    tlpu_status st = err == LIBUSB_ERROR_NO_DEVICE   ? TLPU_ERR_NO_DEVICE
                     : err == LIBUSB_ERROR_TIMEOUT   ? TLPU_ERR_TIMEOUT
                     : err == LIBUSB_ERROR_NO_MEM    ? TLPU_ERR_NOMEM
                     : err == LIBUSB_ERROR_NOT_FOUND ? TLPU_ERR_NO_DEVICE
                                                     : TLPU_ERR_TRANSPORT;
    return tlpu_fail(st, "usb: %s: %s (libusb %s)", what, libusb_strerror(err),
                     libusb_error_name(err));
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
    return tlpu_fail(TLPU_ERR_INVALID_ARG,
                     "usb: unknown parameter '%s' (vid, pid, serial, port, timeout)", key);
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

static tlpu_status usb_open(const char *params, void **out)
{
    usb_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    d->vid = TLPU_USB_VID;
    d->pid = TLPU_USB_PID;
    d->timeout_ms = 5000;
    tlpu_status st = tlpu_uri_params(params, usb_param, d);
    if (st != TLPU_OK) {
        free(d);
        return st;
    }
    int rc = libusb_init(&d->ctx);
    if (rc != 0) {
        free(d);
        return from_libusb(rc, "cannot start libusb");
    }
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(d->ctx, &list);
    if (n < 0) {
        st = from_libusb((int)n, "cannot list USB devices");
        libusb_exit(d->ctx);
        free(d);
        return st;
    }
    int matches = 0;
    st = TLPU_ERR_NO_DEVICE;
    for (ssize_t i = 0; i < n && !d->h; i++) {
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(list[i], &dd) != 0 || dd.idVendor != d->vid ||
            dd.idProduct != d->pid)
            continue;
        char path[64];
        port_path(list[i], path, sizeof path);
        if (d->port[0] && strcmp(d->port, path) != 0)
            continue;
        matches++;
        libusb_device_handle *h = NULL;
        rc = libusb_open(list[i], &h);
        if (rc != 0) {
            st = from_libusb(rc, "cannot open the board");
            continue;
        }
        if (d->serial[0]) {
            unsigned char sn[128] = "";
            if (!dd.iSerialNumber ||
                libusb_get_string_descriptor_ascii(h, dd.iSerialNumber, sn, sizeof sn) < 0 ||
                strcmp((char *)sn, d->serial) != 0) {
                libusb_close(h);
                continue;
            }
        }
        libusb_set_auto_detach_kernel_driver(h, 1);
        rc = libusb_claim_interface(h, TLPU_USB_INTERFACE);
        if (rc != 0) {
            st = from_libusb(rc, "cannot claim the board's interface");
            libusb_close(h);
            continue;
        }
        d->h = h;
        d->claimed = 1;
        st = TLPU_OK;
    }
    libusb_free_device_list(list, 1);
    if (!d->h) {
        if (st == TLPU_ERR_NO_DEVICE)
            tlpu_fail(st, "usb: no tlpu board found (looked for %04x:%04x%s%s%s%s; %zd USB "
                          "devices seen, %d with that ID)",
                      d->vid, d->pid, d->serial[0] ? ", serial " : "", d->serial,
                      d->port[0] ? ", port " : "", d->port, n, matches);
        libusb_exit(d->ctx);
        free(d);
        return st;
    }
    *out = d;
    return TLPU_OK;
}

static void usb_close(void *ctx)
{
    usb_dev *d = ctx;
    if (d->claimed)
        libusb_release_interface(d->h, TLPU_USB_INTERFACE);
    libusb_close(d->h);
    libusb_exit(d->ctx);
    free(d);
}

static tlpu_status usb_transact(void *ctx, const uint8_t *req, size_t len, uint8_t *reply,
                                size_t cap, size_t *reply_len)
{
    usb_dev *d = ctx;
    int done = 0;
    if (len > TLPU_PROTO_MAX_PACKET)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "usb: request of %zu bytes is too long", len);
    int rc = libusb_bulk_transfer(d->h, TLPU_USB_EP_OUT, (unsigned char *)req, (int)len, &done,
                                  d->timeout_ms);
    if (rc != 0)
        return from_libusb(rc, "sending a request");
    if ((size_t)done != len)
        return tlpu_fail(TLPU_ERR_TRANSPORT, "usb: sent %d of %zu request bytes", done, len);
    rc = libusb_bulk_transfer(d->h, TLPU_USB_EP_IN, reply, (int)(cap > TLPU_PROTO_MAX_PACKET
                                                                      ? TLPU_PROTO_MAX_PACKET
                                                                      : cap),
                              &done, d->timeout_ms);
    if (rc != 0)
        return from_libusb(rc, "receiving a reply");
    *reply_len = (size_t)done; /* the driver checks the reply's framing and CRC */
    return TLPU_OK;
}

const tlpu_transport tlpu_transport_usb = {
    "usb", "a tlpu board over USB (libusb bulk transfers)", usb_open, usb_close, usb_transact};
