/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/status.h - the one result type of every tlpu C API.
 *
 * Every fallible tlpu function returns a tlpu_status: TLPU_OK (0) on success
 * or a negative named error. tlpu_strerror() turns any value into text.
 * Functions check all their arguments before they write any output, so an
 * error never leaves an output half written.
 */
#ifndef TLPU_STATUS_H
#define TLPU_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tlpu_status {
    TLPU_OK = 0,
    TLPU_ERR_INVALID_ARG = -1, /* a NULL pointer or an unknown enum value */
    TLPU_ERR_SHAPE = -2,       /* a zero dimension, or a size the format cannot hold */
    TLPU_ERR_OVERFLOW = -3,    /* a size or an exact accumulator would overflow */
    TLPU_ERR_NONFINITE = -4,   /* NaN or Inf in a floating-point input */
    TLPU_ERR_RANGE = -5,       /* a value outside its domain (a trit not in {-1,0,+1}) */
    TLPU_ERR_FORMAT = -6,      /* packed bytes that are not valid for their format */
    TLPU_ERR_BUFFER_SIZE = -7, /* an input or output buffer of the wrong size */
    TLPU_ERR_NOMEM = -8,       /* memory allocation failed */
    TLPU_ERR_UNSUPPORTED = -9, /* the request is valid but not available here */
    TLPU_ERR_IO = -10,         /* reading or writing a file failed */
    TLPU_ERR_TIMEOUT = -11,    /* the device did not finish within the allowed time */
    TLPU_ERR_DEVICE = -12,     /* the device reported an error (see its error code) */
    TLPU_ERR_PROTOCOL = -13,   /* a malformed packet: bad magic, version, length, CRC or tag */
    TLPU_ERR_NO_DEVICE = -14,  /* no such device, or it went away */
    TLPU_ERR_BUSY = -15,       /* the device is running a program */
    TLPU_ERR_TRANSPORT = -16,  /* the link to the device failed (the transport keeps its own code) */
    TLPU_ERR_CANCELLED = -17,  /* the call was cancelled (tlpu_cancel) */
} tlpu_status;

/* Lowest (most negative) defined status; for iterating in tests. */
#define TLPU_STATUS_MIN TLPU_ERR_CANCELLED

/* "TLPU_ERR_SHAPE" etc.; "TLPU_ERR_UNKNOWN" for values that are not a status. */
const char *tlpu_status_name(int status);

/* A one-line English description, never NULL. */
const char *tlpu_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_STATUS_H */
