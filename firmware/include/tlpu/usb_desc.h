/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/usb_desc.h - the board's USB descriptors (device, configuration with
 * one vendor-class interface and two bulk endpoints, strings), answered by
 * the MCU's USB device stack on GET_DESCRIPTOR. Freestanding C.
 * docs/protocol.md, "USB", lists every field.
 */
#ifndef TLPU_USB_DESC_H
#define TLPU_USB_DESC_H

#include <stddef.h>
#include <stdint.h>

#define TLPU_USB_DESC_DEVICE 1u
#define TLPU_USB_DESC_CONFIG 2u
#define TLPU_USB_DESC_STRING 3u
#define TLPU_USB_DESC_BOS 15u   /* super speed only */

/* The descriptor of this type and index for a link running at high speed
 * (bulk packets of 512 bytes; USB 2.0) or super speed (1024, bursts of 8,
 * endpoint companions and a BOS descriptor; USB 3.2), copied into out
 * (truncated to cap, as GET_DESCRIPTOR's wLength truncates). Returns the
 * descriptor's full length, 0 when there is none. serial: the board's serial
 * number string (ASCII, may be NULL: "0"). */
size_t tlpu_usb_descriptor(uint8_t type, uint8_t index, int super_speed, const char *serial,
                           uint8_t *out, size_t cap);

#endif
