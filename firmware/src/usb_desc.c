/* SPDX-License-Identifier: Apache-2.0 */
/* usb_desc.c - the board's USB descriptors (tlpu/usb_desc.h). */
#include "tlpu/usb_desc.h"

#include "tlpu/proto.h"

#define CONFIG_TOTAL (9u + 9u + 7u + 7u)

static const char *const k_strings[] = {
    0, /* 0: the language list */
    "tlpu project",
    "tlpu ternary LPU",
    0, /* 3: the serial number */
    "tlpu wire protocol v1",
};

static size_t put(uint8_t *out, size_t cap, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = d[i];
    return n;
}

size_t tlpu_usb_descriptor(uint8_t type, uint8_t index, int super_speed, const char *serial,
                           uint8_t *out, size_t cap)
{
    if (!out && cap)
        return 0;
    const uint16_t mps = super_speed ? 1024u : 512u;
    if (type == TLPU_USB_DESC_DEVICE && index == 0) {
        const uint8_t d[18] = {18, TLPU_USB_DESC_DEVICE,
                               super_speed ? 0x20 : 0x00, super_speed ? 0x03 : 0x02, /* bcdUSB */
                               0x00, 0x00, 0x00, /* class per interface */
                               super_speed ? 9 : 64, /* bMaxPacketSize0 (2^9 at super speed) */
                               (uint8_t)TLPU_USB_VID, (uint8_t)(TLPU_USB_VID >> 8),
                               (uint8_t)TLPU_USB_PID, (uint8_t)(TLPU_USB_PID >> 8),
                               0x00, 0x01, /* bcdDevice 1.00 */
                               1, 2, 3, 1};
        return put(out, cap, d, sizeof d);
    }
    if (type == TLPU_USB_DESC_CONFIG && index == 0) {
        const uint8_t total = super_speed ? CONFIG_TOTAL + 12 : CONFIG_TOTAL;
        const uint8_t d[CONFIG_TOTAL + 12] = {
            /* configuration */
            9, TLPU_USB_DESC_CONFIG, total, 0, 1, 1, 0, 0x80, 250,
            /* interface 0: vendor class, two endpoints */
            9, 4, TLPU_USB_INTERFACE, 0, 2, TLPU_USB_CLASS, TLPU_USB_SUBCLASS, TLPU_USB_PROTOCOL,
            4,
            /* bulk OUT: requests */
            7, 5, TLPU_USB_EP_OUT, 0x02, (uint8_t)mps, (uint8_t)(mps >> 8), 0,
            /* (super speed) its companion: bursts of up to 8 packets */
            6, 48, 7, 0, 0, 0,
            /* bulk IN: replies */
            7, 5, TLPU_USB_EP_IN, 0x02, (uint8_t)mps, (uint8_t)(mps >> 8), 0,
            6, 48, 7, 0, 0, 0};
        if (super_speed)
            return put(out, cap, d, total);
        /* high speed: the same without the two companions */
        uint8_t h[CONFIG_TOTAL];
        for (unsigned i = 0, j = 0; i < sizeof d; i++)
            if (!((i >= 25 && i < 31) || i >= 38))
                h[j++] = d[i];
        h[2] = CONFIG_TOTAL;
        return put(out, cap, h, sizeof h);
    }
    if (type == TLPU_USB_DESC_BOS && index == 0 && super_speed) {
        const uint8_t d[22] = {5, TLPU_USB_DESC_BOS, 22, 0, 2,
                               /* USB 2.0 extension: link power management */
                               7, 16, 2, 0x02, 0, 0, 0,
                               /* SuperSpeed device capability: FS, HS, SS */
                               10, 16, 3, 0, 0x0E, 0x00, 1, 10, 0x20, 0x00};
        return put(out, cap, d, sizeof d);
    }
    if (type == TLPU_USB_DESC_STRING && index < sizeof k_strings / sizeof k_strings[0]) {
        if (index == 0) {
            const uint8_t d[4] = {4, TLPU_USB_DESC_STRING, 0x09, 0x04}; /* English (US) */
            return put(out, cap, d, sizeof d);
        }
        const char *s = index == 3 ? (serial && *serial ? serial : "0") : k_strings[index];
        size_t n = 0;
        while (s[n] && n < 126)
            n++;
        size_t len = 2 + 2 * n;
        uint8_t head[2] = {(uint8_t)len, TLPU_USB_DESC_STRING};
        put(out, cap, head, 2);
        for (size_t i = 0; i < n; i++) { /* UTF-16LE of ASCII */
            if (2 + 2 * i < cap)
                out[2 + 2 * i] = (uint8_t)(s[i] & 0x7F);
            if (3 + 2 * i < cap)
                out[3 + 2 * i] = 0;
        }
        return len;
    }
    return 0;
}
