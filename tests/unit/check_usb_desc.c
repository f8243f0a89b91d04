/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_usb_desc - the board's USB descriptors (tlpu/usb_desc.h) read back
 * field by field as a host's USB stack reads them: lengths, types, the
 * configuration's total length and walk, the two bulk endpoints, strings
 * in UTF-16LE, and GET_DESCRIPTOR's truncation to wLength.
 */
#include <string.h>

#include "test_util.h"
#include "tlpu/proto.h"
#include "tlpu/usb_desc.h"

static void check_speed(int ss)
{
    uint8_t d[256];
    size_t n = tlpu_usb_descriptor(TLPU_USB_DESC_DEVICE, 0, ss, NULL, d, sizeof d);
    ck_assert_uint_eq(n, 18);
    ck_assert_uint_eq(d[0], 18);
    ck_assert_uint_eq(d[1], TLPU_USB_DESC_DEVICE);
    ck_assert_uint_eq(d[2] | d[3] << 8, ss ? 0x0320 : 0x0200);
    ck_assert_uint_eq(d[7], ss ? 9 : 64);
    ck_assert_uint_eq(d[8] | d[9] << 8, TLPU_USB_VID);
    ck_assert_uint_eq(d[10] | d[11] << 8, TLPU_USB_PID);
    ck_assert_uint_eq(d[17], 1); /* one configuration */

    n = tlpu_usb_descriptor(TLPU_USB_DESC_CONFIG, 0, ss, NULL, d, sizeof d);
    ck_assert_uint_eq(n, d[2] | d[3] << 8); /* wTotalLength */
    ck_assert_uint_eq(n, ss ? 44 : 32);
    /* walk it: every descriptor's length adds up to the total */
    int interfaces = 0, eps = 0, companions = 0, out_ep = 0, in_ep = 0;
    for (size_t off = 0; off < n;) {
        ck_assert_uint_ge(d[off], 2);
        ck_assert_uint_le(off + d[off], n);
        if (d[off + 1] == 4) {
            interfaces++;
            ck_assert_uint_eq(d[off + 4], 2);
            ck_assert_uint_eq(d[off + 5], TLPU_USB_CLASS);
            ck_assert_uint_eq(d[off + 6], TLPU_USB_SUBCLASS);
            ck_assert_uint_eq(d[off + 7], TLPU_USB_PROTOCOL);
        } else if (d[off + 1] == 5) {
            eps++;
            ck_assert_uint_eq(d[off + 3], 0x02); /* bulk */
            ck_assert_uint_eq(d[off + 4] | d[off + 5] << 8, ss ? 1024 : 512);
            out_ep |= d[off + 2] == TLPU_USB_EP_OUT;
            in_ep |= d[off + 2] == TLPU_USB_EP_IN;
        } else if (d[off + 1] == 48) {
            companions++;
            ck_assert_uint_eq(d[off - 7 + 1], 5); /* right after its endpoint */
        }
        off += d[off];
    }
    ck_assert_int_eq(interfaces, 1);
    ck_assert_int_eq(eps, 2);
    ck_assert_int_eq(companions, ss ? 2 : 0);
    ck_assert(out_ep && in_ep);
    n = tlpu_usb_descriptor(TLPU_USB_DESC_BOS, 0, ss, NULL, d, sizeof d);
    ck_assert_uint_eq(n, ss ? 22 : 0);
    if (ss)
        ck_assert_uint_eq(d[2] | d[3] << 8, 22);
}

START_TEST(test_descriptors)
{
    check_speed(0);
    check_speed(1);
}
END_TEST

START_TEST(test_strings)
{
    uint8_t d[256];
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_STRING, 0, 0, NULL, d, sizeof d), 4);
    ck_assert_uint_eq(d[2] | d[3] << 8, 0x0409);
    size_t n = tlpu_usb_descriptor(TLPU_USB_DESC_STRING, 2, 0, NULL, d, sizeof d);
    const char *want = "tlpu ternary LPU";
    ck_assert_uint_eq(n, 2 + 2 * strlen(want));
    ck_assert_uint_eq(d[0], n);
    for (size_t i = 0; i < strlen(want); i++) {
        ck_assert_uint_eq(d[2 + 2 * i], (uint8_t)want[i]);
        ck_assert_uint_eq(d[3 + 2 * i], 0);
    }
    n = tlpu_usb_descriptor(TLPU_USB_DESC_STRING, 3, 0, "SN42", d, sizeof d);
    ck_assert_uint_eq(n, 10);
    ck_assert_uint_eq(d[8], '2');
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_STRING, 3, 0, NULL, d, sizeof d), 4);
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_STRING, 9, 0, NULL, d, sizeof d), 0);
    ck_assert_uint_eq(tlpu_usb_descriptor(7, 0, 0, NULL, d, sizeof d), 0);
}
END_TEST

START_TEST(test_truncation)
{
    /* a host asks for 9 bytes of the configuration first: it gets 9, and
     * the full length is still reported; nothing past cap is written */
    uint8_t d[16];
    memset(d, 0xEE, sizeof d);
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_CONFIG, 0, 0, NULL, d, 9), 32);
    ck_assert_uint_eq(d[2], 32);
    for (int i = 9; i < 16; i++)
        ck_assert_uint_eq(d[i], 0xEE);
    memset(d, 0xEE, sizeof d);
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_STRING, 1, 0, NULL, d, 5), 26);
    for (int i = 5; i < 16; i++)
        ck_assert_uint_eq(d[i], 0xEE);
    ck_assert_uint_eq(tlpu_usb_descriptor(TLPU_USB_DESC_DEVICE, 0, 0, NULL, NULL, 0), 18);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("usb_desc");
    TCase *tc = tcase_create("usb");
    tcase_add_test(tc, test_descriptors);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_truncation);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
