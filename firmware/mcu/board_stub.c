/* SPDX-License-Identifier: Apache-2.0 */
/*
 * board_stub.c - a bare-metal image of the firmware for the build check
 * (tests/fw/check_freestanding.sh): the entry point, the few memory
 * functions a freestanding C compiler may call, and a port whose CSRs and
 * memory are plain arrays, and the USB glue (tlpu/usbd.h) wired to the
 * command processor. A board's real port (the FPGA's CSR bus and DRAM
 * bridge) and its USB device controller's driver replace the stubs.
 */
#include <stddef.h>
#include <stdint.h>

#include "tlpu/fw.h"
#include "tlpu/usb_desc.h"
#include "tlpu/usbd.h"

/* the compiler may emit calls to these even with -ffreestanding */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dd = d;
    const uint8_t *ss = s;
    while (n--)
        *dd++ = *ss++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dd = d;
    while (n--)
        *dd++ = (uint8_t)c;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dd = d;
    const uint8_t *ss = s;
    if (dd < ss)
        while (n--)
            *dd++ = *ss++;
    else
        while (n--)
            dd[n] = ss[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

static uint32_t g_csr[0x200 / 4];
static uint8_t g_mem[4096];
static uint64_t g_time;

static int csr_read(void *ctx, uint32_t a, uint32_t *v)
{
    (void)ctx;
    *v = a < sizeof g_csr ? g_csr[a / 4] : 0;
    return 0;
}

static int csr_write(void *ctx, uint32_t a, uint32_t v)
{
    (void)ctx;
    if (a < sizeof g_csr)
        g_csr[a / 4] = v;
    return 0;
}

static int mem_write(void *ctx, uint64_t a, const void *s, uint32_t n)
{
    (void)ctx;
    memcpy(g_mem + a, s, n);
    return 0;
}

static int mem_read(void *ctx, uint64_t a, void *d, uint32_t n)
{
    (void)ctx;
    memcpy(d, g_mem + a, n);
    return 0;
}

static uint64_t now_us(void *ctx)
{
    (void)ctx;
    return g_time++;
}

static void idle(void *ctx)
{
    (void)ctx;
}

static tlpu_fw g_fw;
static tlpu_usbd g_usbd;
static uint8_t g_pkt[1024];
volatile size_t g_last;

/* the USB glue runs each received request through the command processor */
static size_t handle(void *ctx, const uint8_t *req, size_t len, uint8_t *reply, size_t cap)
{
    return tlpu_fw_handle(ctx, req, len, reply, cap);
}

void _start(void);
void _start(void)
{
    static const tlpu_fw_port port = {0, csr_read, csr_write, mem_write, mem_read,
                                      now_us, idle, 0, sizeof g_mem, 16, 1, 0, 0};
    g_csr[0] = 0x544C5055u;
    g_csr[2] = 4;
    g_csr[3] = 20;
    tlpu_fw_init(&g_fw, &port);
    tlpu_usbd_init(&g_usbd, 0, "0001", handle, &g_fw);
    /* a real board's USB device controller driver calls these from its
     * events: SETUP on endpoint 0, a bulk OUT packet, room for a bulk IN
     * packet; here one of each, forever */
    static const uint8_t get_config[8] = {0x80, 6, 0, TLPU_USB_DESC_CONFIG, 0, 0, 64, 0};
    for (;;) {
        g_last = (size_t)tlpu_usbd_setup(&g_usbd, get_config, g_pkt, sizeof g_pkt);
        tlpu_usbd_out(&g_usbd, g_pkt, TLPU_PROTO_HDR_BYTES);
        tlpu_usbd_poll(&g_usbd);
        size_t n = 0;
        tlpu_usbd_in(&g_usbd, g_pkt, &n);
        g_last += n;
    }
}
