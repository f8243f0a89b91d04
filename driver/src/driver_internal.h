/* SPDX-License-Identifier: Apache-2.0 */
/* driver_internal.h - the transport table behind tlpu_open(). */
#ifndef TLPU_DRIVER_INTERNAL_H
#define TLPU_DRIVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

struct tlpu_dev_time;
struct tlpu_mc_system;
struct tlpu_dev_info;

/* One request and the room for its reply. */
typedef struct tlpu_xfer {
    const uint8_t *req;
    size_t len;
    uint8_t *rep;
    size_t cap;
    size_t rep_len; /* set by the transport */
} tlpu_xfer;

/* How long a call may take, and how to stop it. */
typedef struct tlpu_io {
    unsigned extra_ms;           /* a reply may take this much longer (a WAIT's timeout) */
    const _Atomic int *cancel;   /* nonzero: tlpu_cancel() was called: stop, CANCELLED */
    int raw;                     /* tlpu_debug_raw: one request, its reply whatever it is
                                    (no matching by tag, no retries) */
} tlpu_io;

/* One transport: a way to carry request packets to a device and replies
 * back. open() gets the URI's text after "scheme:". */
typedef struct tlpu_transport {
    const char *scheme;
    const char *doc; /* one line for `tlpu info` and errors */
    tlpu_status (*open)(const char *params, void **ctx);
    void (*close)(void *ctx);
    /* sends the n requests in order and receives their n replies; a
     * transport may keep several in flight. Each reply goes to its own
     * x[i].rep; the driver checks each reply's framing and tag. */
    tlpu_status (*transact)(void *ctx, tlpu_xfer *x, size_t n, const tlpu_io *io);
    /* optional: lists the devices this transport can see, one line each
     * ("URI  description"), calling fn for each; returns how many. */
    int (*list)(const char *params, void (*fn)(void *arg, const char *uri, const char *what),
                void *arg);
    /* optional: the simulated time since open (transports that model time) */
    tlpu_status (*time)(void *ctx, struct tlpu_dev_time *t);
    /* optional: the multi-chip system, with its links (sc:chips=N) */
    tlpu_status (*system)(void *ctx, struct tlpu_mc_system *sys);
    /* optional, for a transport without a core (ref:): its description
     * without an INFO packet, and BitLinears computed directly from trits
     * (N rows of K): load once, run for any M, free */
    tlpu_status (*info)(void *ctx, struct tlpu_dev_info *in);
    tlpu_status (*bl_load)(void *ctx, uint32_t k, uint32_t n, const int8_t *trits, void **h);
    tlpu_status (*bl_run)(void *ctx, void *h, uint32_t m, const int8_t *x, int32_t *y);
    void (*bl_free)(void *ctx, void *h);
} tlpu_transport;

extern const tlpu_transport tlpu_transport_sim;
extern const tlpu_transport tlpu_transport_model;
extern const tlpu_transport tlpu_transport_usb;
extern const tlpu_transport tlpu_transport_sc;
extern const tlpu_transport tlpu_transport_ref;

struct tlpu_fw;
/* For transports that take one packet at a time: one(ctx, &x[i]) for each,
 * the cancel flag checked between packets. */
tlpu_status tlpu_xfer_each(tlpu_xfer *x, size_t n, const tlpu_io *io,
                           tlpu_status (*one)(void *ctx, tlpu_xfer *x), void *ctx);

/* The in-process transports' exchange: each packet straight into the
 * firmware (tlpu_xfer_each with the command processor). */
tlpu_status tlpu_fw_exchange(struct tlpu_fw *fw, tlpu_xfer *x, size_t n, const tlpu_io *io);

/* Sets the thread's last-error message (printf-style); returns st. */
tlpu_status tlpu_fail(tlpu_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, keeping the transport's own error code (a libusb_error). */
tlpu_status tlpu_fail_transport(tlpu_status st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parameters "k=v,k=v": calls fn for each pair; fn returns a status (with
 * tlpu_fail for a message). Empty text is no parameters. */
tlpu_status tlpu_uri_params(const char *params,
                            tlpu_status (*fn)(void *ctx, const char *key, const char *val),
                            void *ctx);
/* "123", "64M", "1G", "4K" -> bytes / count; -1 when not a number in range */
int tlpu_uri_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out);
int tlpu_uri_double(const char *val, double min, double max, double *out);

#endif
