/* SPDX-License-Identifier: Apache-2.0 */
/* errbuf.h - the host library's one way to fill a caller's error buffer
 * (internal to host/; defined in status.c). */
#ifndef TLPU_ERRBUF_H
#define TLPU_ERRBUF_H

#include <stddef.h>

#include "tlpu/status.h"

/* printf into err (when err and len are not NULL / 0); returns st */
tlpu_status tlpu_errbuf(char *err, size_t len, tlpu_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
