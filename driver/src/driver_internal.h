/* SPDX-License-Identifier: Apache-2.0 */
/* driver_internal.h - the transport table behind tlpu_open(). */
#ifndef TLPU_DRIVER_INTERNAL_H
#define TLPU_DRIVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

/* One transport: a way to carry request packets to a device and replies
 * back. open() gets the URI's text after "scheme:". */
typedef struct tlpu_transport {
    const char *scheme;
    const char *doc; /* one line for `tlpu info` and errors */
    tlpu_status (*open)(const char *params, void **ctx);
    void (*close)(void *ctx);
    /* sends one request packet and receives its reply (at most cap bytes) */
    tlpu_status (*transact)(void *ctx, const uint8_t *req, size_t len, uint8_t *reply, size_t cap,
                            size_t *reply_len);
} tlpu_transport;

extern const tlpu_transport tlpu_transport_sim;
extern const tlpu_transport tlpu_transport_model;
extern const tlpu_transport tlpu_transport_usb;

struct tlpu_fw;
/* The in-process transports' exchange: the packet straight into the firmware. */
tlpu_status tlpu_fw_exchange(struct tlpu_fw *fw, const uint8_t *req, size_t len, uint8_t *reply,
                             size_t cap, size_t *reply_len);

/* Sets the thread's last-error message (printf-style); returns st. */
tlpu_status tlpu_fail(tlpu_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parameters "k=v,k=v": calls fn for each pair; fn returns a status (with
 * tlpu_fail for a message). Empty text is no parameters. */
tlpu_status tlpu_uri_params(const char *params,
                            tlpu_status (*fn)(void *ctx, const char *key, const char *val),
                            void *ctx);
/* "123", "64M", "1G", "4K" -> bytes / count; -1 when not a number in range */
int tlpu_uri_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out);
int tlpu_uri_double(const char *val, double min, double max, double *out);

#endif
