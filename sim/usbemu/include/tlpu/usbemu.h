/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/usbemu.h - emulated tlpu boards on an emulated USB bus, for running
 * the unmodified usb: transport (and libusb under it) without hardware.
 *
 * umockdev fakes /sys and /dev for this process and its children: each board
 * appears as a USB device with the board's descriptors, and this library
 * answers its usbdevfs ioctls (SUBMITURB, REAPURB, DISCARDURB, CLEAR_HALT,
 * ...) the way the kernel would, splitting bulk transfers into packets for
 * the board's own USB glue (firmware/src/usbd.c) and firmware. Behind the
 * firmware sits any in-process device: a model: core or a sim: core.
 *
 * The program must run under `umockdev-wrapper` (it preloads the library
 * that redirects /sys and /dev); tlpu_usbemu_new() says so otherwise.
 * Faults can be injected per endpoint to test the transport's recovery.
 */
#ifndef TLPU_USBEMU_H
#define TLPU_USBEMU_H

#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_usbemu tlpu_usbemu;

typedef struct tlpu_usbemu_board {
    const char *core;    /* the device behind the board's firmware: "model:..." or "sim:..." */
    const char *serial;  /* its serial-number string ("" or NULL: "0") */
    int super_speed;     /* 0: USB 2.0 high speed (480 Mb/s); 1: USB 3 (5 Gb/s) */
} tlpu_usbemu_board;

/* Whether umockdev's library is preloaded (the program runs under
 * umockdev-wrapper). */
int tlpu_usbemu_preloaded(void);

/* Runs this program again under umockdev-wrapper when umockdev is not
 * preloaded (returns only if that fails, with a message on stderr: 1), or
 * returns 0 at once when it is. name: the program's name for messages. */
int tlpu_usbemu_reexec(const char *name, int argc, char **argv);

/* Starts an empty bus. TLPU_ERR_UNSUPPORTED when not under umockdev-wrapper. */
tlpu_status tlpu_usbemu_new(tlpu_usbemu **out);
/* Unplugs every board and stops. */
void tlpu_usbemu_free(tlpu_usbemu *e);

/* Plugs in a board (bus 1, the next free port); *id names it. */
tlpu_status tlpu_usbemu_plug(tlpu_usbemu *e, const tlpu_usbemu_board *b, int *id);
/* Unplugs a board: transfers in flight end with -ENODEV, the device node
 * and its sysfs entry go away. */
void tlpu_usbemu_unplug(tlpu_usbemu *e, int id);

typedef enum tlpu_usbemu_fault {
    TLPU_USBEMU_STALL,   /* the endpoint halts: this transfer and later ones fail with -EPIPE
                            until the host clears the halt */
    TLPU_USBEMU_ERROR,   /* -EPROTO: OUT delivers only the first half of its packets; IN
                            loses the reply it carried */
    TLPU_USBEMU_TIMEOUT, /* the device never answers this transfer (until the host cancels) */
    TLPU_USBEMU_SHORT,   /* IN: the reply arrives cut to half its length */
    TLPU_USBEMU_UNPLUG,  /* the board is unplugged when this transfer is submitted */
} tlpu_usbemu_fault;

/* Arms a fault for the nth (1 = the next) bulk transfer submitted to
 * endpoint ep (0x01 OUT or 0x81 IN) of board id. Several can be armed. */
tlpu_status tlpu_usbemu_fault_at(tlpu_usbemu *e, int id, tlpu_usbemu_fault kind, uint8_t ep,
                                 unsigned nth);

typedef struct tlpu_usbemu_stats {
    uint64_t ioctls, urbs, bulk_out_bytes, bulk_in_bytes;
    uint64_t requests, duplicates, resyncs, faults;
    uint64_t peak_out, peak_in; /* most bulk OUT / IN transfers queued at once */
    double emu_s;  /* wall time inside the emulation's ioctl handlers */
    double fw_s;   /* of that, time in the firmware and the core behind it */
} tlpu_usbemu_stats;

tlpu_status tlpu_usbemu_stats_of(tlpu_usbemu *e, int id, tlpu_usbemu_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_USBEMU_H */
