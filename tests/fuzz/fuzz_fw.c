/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_fw - libFuzzer target for the firmware's command processor: any bytes
 * as a request packet must give one well-formed reply, never a crash, an
 * out-of-bounds access or a write outside the device memory. With the first
 * input byte odd, the rest gets a valid length and CRC, so the fuzzer also
 * reaches every command's field checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/fw.h"
#include "tlpu/spec.h"

#define MEM 65536u
static uint32_t g_csr[(TLPU_CSR_COUNTER_BASE + 8 * TLPU_NUM_COUNTERS) / 4];
static uint8_t g_mem[MEM];
static uint64_t g_time;

static int csr_read(void *ctx, uint32_t a, uint32_t *v)
{
    (void)ctx;
    if (a % 4 || a >= sizeof g_csr)
        abort(); /* the firmware must never ask for an address outside the map */
    *v = g_csr[a / 4];
    if (a == TLPU_CSR_STATUS)
        g_csr[a / 4] &= ~1u; /* a started program ends at the next look */
    return 0;
}

static int csr_write(void *ctx, uint32_t a, uint32_t v)
{
    (void)ctx;
    if (a % 4 || a >= sizeof g_csr)
        abort();
    if (a == TLPU_CSR_CTRL && (v & 1))
        g_csr[TLPU_CSR_STATUS / 4] = 1;
    else if (a != TLPU_CSR_CTRL)
        g_csr[a / 4] = v;
    return 0;
}

/* a four-chip LPU system (chip c at c << 16), every chip's window mapped on
 * the one buffer: the firmware must never reach past a window */
#define CHIPS 4u
#define SHIFT 16u

static uint64_t local(uint64_t a, uint32_t n)
{
    if ((a >> SHIFT) >= CHIPS)
        abort();
    a &= (1u << SHIFT) - 1;
    if (a > MEM || n > MEM - a)
        abort();
    return a;
}

static uint32_t mc_run(void *ctx, uint64_t table, uint32_t n, uint8_t *out)
{
    (void)ctx;
    if (n == 0 || n > CHIPS || table % 16 || table > MEM || 16u * n > MEM - table)
        abort();
    memset(out, 0, TLPU_PROTO_MC_DONE_BYTES(n));
    return TLPU_PST_OK;
}

static int mem_write(void *ctx, uint64_t a, const void *s, uint32_t n)
{
    (void)ctx;
    a = local(a, n);
    memcpy(g_mem + a, s, n);
    return 0;
}

static int mem_read(void *ctx, uint64_t a, void *d, uint32_t n)
{
    (void)ctx;
    a = local(a, n);
    memcpy(d, g_mem + a, n);
    return 0;
}

static uint64_t now_us(void *ctx)
{
    (void)ctx;
    return g_time += 7;
}

static void idle(void *ctx)
{
    (void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tlpu_fw fw;
    static uint8_t req[TLPU_PROTO_MAX_PACKET + 64], rep[TLPU_PROTO_MAX_PACKET];
    static const tlpu_fw_port port = {0, csr_read, csr_write, mem_write, mem_read,
                                      now_us, idle, 0, MEM, 16, CHIPS, SHIFT, mc_run};
    memset(g_csr, 0, sizeof g_csr);
    g_csr[TLPU_CSR_ID / 4] = 0x544C5055u;
    g_csr[TLPU_CSR_ROWS / 4] = 4;
    g_csr[TLPU_CSR_COLS / 4] = 20;
    if (tlpu_fw_init(&fw, &port) != 0)
        abort();
    if (size == 0)
        return 0;
    size_t n = size - 1 > sizeof req ? sizeof req : size - 1;
    memcpy(req, data + 1, n);
    if ((data[0] & 1) && n >= TLPU_PROTO_HDR_BYTES) {
        uint32_t len = (uint32_t)(n - TLPU_PROTO_HDR_BYTES);
        if (len > TLPU_PROTO_MAX_PAYLOAD)
            len = TLPU_PROTO_MAX_PAYLOAD, n = TLPU_PROTO_HDR_BYTES + len;
        tlpu_put_u32(req + 12, len);
        tlpu_put_u32(req + 20, tlpu_proto_crc_of(req, n));
    }
    size_t r = tlpu_fw_handle(&fw, req, n, rep, sizeof rep);
    tlpu_proto_hdr h;
    if (r < TLPU_PROTO_HDR_BYTES || r > sizeof rep)
        abort();
    tlpu_proto_read_hdr(rep, &h);
    if (h.magic != TLPU_PROTO_MAGIC || h.flags != TLPU_PROTO_FLAG_REPLY ||
        r != TLPU_PROTO_HDR_BYTES + h.length || tlpu_proto_crc_of(rep, r) != h.crc)
        abort();
    return 0;
}
