/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the SystemC platform's tests (check_sc, check_mchip). */
#ifndef TLPU_TEST_SC_H
#define TLPU_TEST_SC_H

#include <check.h>

#include "tlpu/tlpu.h"

/* Opens uri or fails the test with the driver's message. */
static inline tlpu_dev *open_ok(const char *uri)
{
    tlpu_dev *d = NULL;
    tlpu_status st = tlpu_open(uri, &d);
    ck_assert_msg(st == TLPU_OK, "open %s: %s", uri, tlpu_last_error());
    return d;
}

/* The device's simulated time now. */
static inline tlpu_dev_time time_of(tlpu_dev *d)
{
    tlpu_dev_time t;
    ck_assert_int_eq(tlpu_get_time(d, &t), TLPU_OK);
    return t;
}

#endif
