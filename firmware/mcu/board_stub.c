/* SPDX-License-Identifier: Apache-2.0 */
/*
 * board_stub.c - a bare-metal image of the firmware for the build check
 * (tests/fw/check_freestanding.sh): the entry point, the few memory
 * functions a freestanding C compiler may call, and a port whose CSRs and
 * memory are plain arrays. The board's real port (USB device controller,
 * the FPGA's CSR bus and DRAM bridge) replaces it (issue: a real board).
 */
#include <stddef.h>
#include <stdint.h>

#include "tlpu/fw.h"
#include "tlpu/usb_desc.h"

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
static uint8_t g_req[TLPU_PROTO_MAX_PACKET], g_rep[TLPU_PROTO_MAX_PACKET];
volatile size_t g_last_reply;

void _start(void);
void _start(void)
{
    static const tlpu_fw_port port = {0, csr_read, csr_write, mem_write, mem_read,
                                      now_us, idle, 0, sizeof g_mem, 16};
    g_csr[0] = 0x544C5055u;
    g_csr[2] = 4;
    g_csr[3] = 20;
    tlpu_fw_init(&g_fw, &port);
    /* the USB stack answers GET_DESCRIPTOR from these */
    g_last_reply = tlpu_usb_descriptor(TLPU_USB_DESC_CONFIG, 0, 0, "0001", g_rep, sizeof g_rep);
    for (;;) /* a real board feeds USB bulk-OUT transfers here */
        g_last_reply = tlpu_fw_handle(&g_fw, g_req, TLPU_PROTO_HDR_BYTES, g_rep, sizeof g_rep);
}
