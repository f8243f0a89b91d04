/* SPDX-License-Identifier: Apache-2.0 */
#include "tlpu/status.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "errbuf.h"

struct status_text {
    int code;
    const char *name;
    const char *text;
};

static const struct status_text k_status[] = {
    {TLPU_OK, "TLPU_OK", "success"},
    {TLPU_ERR_INVALID_ARG, "TLPU_ERR_INVALID_ARG", "invalid argument (NULL pointer or unknown enum value)"},
    {TLPU_ERR_SHAPE, "TLPU_ERR_SHAPE", "unsupported shape (zero dimension or size the format cannot hold)"},
    {TLPU_ERR_OVERFLOW, "TLPU_ERR_OVERFLOW", "size or exact accumulator would overflow"},
    {TLPU_ERR_NONFINITE, "TLPU_ERR_NONFINITE", "NaN or Inf in a floating-point input"},
    {TLPU_ERR_RANGE, "TLPU_ERR_RANGE", "value out of range (trit not in {-1, 0, +1})"},
    {TLPU_ERR_FORMAT, "TLPU_ERR_FORMAT", "packed bytes are not valid for their format"},
    {TLPU_ERR_BUFFER_SIZE, "TLPU_ERR_BUFFER_SIZE", "buffer has the wrong size"},
    {TLPU_ERR_NOMEM, "TLPU_ERR_NOMEM", "out of memory"},
    {TLPU_ERR_UNSUPPORTED, "TLPU_ERR_UNSUPPORTED", "not supported by this build or CPU"},
    {TLPU_ERR_IO, "TLPU_ERR_IO", "file read or write failed"},
    {TLPU_ERR_TIMEOUT, "TLPU_ERR_TIMEOUT", "the device did not finish within the allowed time"},
    {TLPU_ERR_DEVICE, "TLPU_ERR_DEVICE", "the device reported an error"},
    {TLPU_ERR_PROTOCOL, "TLPU_ERR_PROTOCOL", "malformed packet (magic, version, length, CRC or tag)"},
    {TLPU_ERR_NO_DEVICE, "TLPU_ERR_NO_DEVICE", "no such device, or the device went away"},
    {TLPU_ERR_BUSY, "TLPU_ERR_BUSY", "the device is busy running a program"},
    {TLPU_ERR_TRANSPORT, "TLPU_ERR_TRANSPORT", "the link to the device failed"},
    {TLPU_ERR_CANCELLED, "TLPU_ERR_CANCELLED", "the call was cancelled"},
};

static const struct status_text *find(int status)
{
    for (size_t i = 0; i < sizeof k_status / sizeof k_status[0]; i++)
        if (k_status[i].code == status)
            return &k_status[i];
    return 0;
}

const char *tlpu_status_name(int status)
{
    const struct status_text *s = find(status);
    return s ? s->name : "TLPU_ERR_UNKNOWN";
}

const char *tlpu_strerror(int status)
{
    const struct status_text *s = find(status);
    return s ? s->text : "unknown tlpu status code";
}

tlpu_status tlpu_errbuf(char *err, size_t len, tlpu_status st, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return st;
}
