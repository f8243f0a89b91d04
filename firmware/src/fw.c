/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fw.c - the command processor (tlpu/fw.h). Every field of a request is
 * checked before anything is done: header (length, magic, version, CRC,
 * flags), then the command's payload length, addresses, alignment and the
 * core's state. Errors change nothing on the device.
 */
#include "tlpu/fw.h"

#include "tlpu/spec.h"

#define BEAT 16u
#define STATUS_BUSY 1u
#define STATUS_DONE 2u
#define CTRL_START 1u
#define CTRL_SOFT_RESET 2u
#define CTRL_COUNTERS_RESET 4u
#define CSR_END (TLPU_CSR_COUNTER_BASE + 8u * TLPU_NUM_COUNTERS)

static void fw_log(tlpu_fw *fw, const char *msg)
{
    if (fw->port.log)
        fw->port.log(fw->port.ctx, msg);
}

static void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

/* ---- CSR access ------------------------------------------------------------- */

static int csr_rd(tlpu_fw *fw, uint32_t addr, uint32_t *v)
{
    return fw->port.csr_read(fw->port.ctx, addr, v);
}

static int csr_wr(tlpu_fw *fw, uint32_t addr, uint32_t v)
{
    return fw->port.csr_write(fw->port.ctx, addr, v);
}

int tlpu_fw_init(tlpu_fw *fw, const tlpu_fw_port *port)
{
    uint8_t *z = (uint8_t *)fw;
    for (size_t i = 0; i < sizeof *fw; i++)
        z[i] = 0;
    fw->port = *port;
    tlpu_proto_info *in = &fw->info;
    static const uint32_t addr[] = {TLPU_CSR_ID,          TLPU_CSR_VERSION,     TLPU_CSR_ROWS,
                                    TLPU_CSR_COLS,        TLPU_CSR_BEAT_BYTES,  TLPU_CSR_WBUF_CHUNKS,
                                    TLPU_CSR_ABUF_WORDS,  TLPU_CSR_OBUF_WORDS,  TLPU_CSR_IMEM_DEPTH,
                                    TLPU_CSR_FORMATS,     TLPU_CSR_BURST_BEATS, TLPU_CSR_QUEUE_DEPTH};
    uint32_t *dst[] = {&in->core_id,    &in->core_version, &in->rows,        &in->cols,
                       &in->beat_bytes, &in->wbuf_chunks,  &in->abuf_words,  &in->obuf_words,
                       &in->imem_depth, &in->formats,      &in->burst_beats, &in->queue_depth};
    for (unsigned i = 0; i < sizeof addr / sizeof addr[0]; i++)
        if (!port->csr_read || csr_rd(fw, addr[i], dst[i]) != 0)
            return -1;
    if (in->core_id != 0x544C5055u || port->dram_size < 4096) {
        fw_log(fw, "tlpu_fw: no tlpu core behind the port");
        return -1;
    }
    in->proto_version = TLPU_PROTO_VERSION;
    in->fw_version = TLPU_FW_VERSION;
    in->max_payload = TLPU_PROTO_MAX_PAYLOAD;
    in->mem_latency = port->mem_latency;
    in->dram_size = port->dram_size;
    in->chips = port->chips > 1 ? port->chips : 1;
    in->chip_shift = port->mc_run ? port->chip_shift : 0; /* nonzero: an LPU system */
    if (in->chips > TLPU_MC_MAX_CHIPS || (in->chips > 1 && !port->mc_run) ||
        (port->mc_run && (in->chip_shift < 12 || in->chip_shift > 56 ||
                          port->dram_size > (1ull << in->chip_shift)))) {
        fw_log(fw, "tlpu_fw: bad multi-chip address map");
        return -1;
    }
    uint64_t top = port->dram_size - 1;
    if (csr_wr(fw, TLPU_CSR_MEM_TOP, (uint32_t)(top > 0xFFFFFFFFu ? 0xFFFFFFFFu : top)) != 0 ||
        csr_wr(fw, TLPU_CSR_IRQ_STATUS, 1u) != 0)
        return -1;
    fw->ready = 1;
    return 0;
}

/* ---- replies ---------------------------------------------------------------- */

static size_t reply(uint8_t *rep, uint8_t op, uint32_t tag, uint32_t len, uint32_t status)
{
    tlpu_proto_seal(rep, op, TLPU_PROTO_FLAG_REPLY, tag, len, status);
    return TLPU_PROTO_HDR_BYTES + len;
}

/* [addr, addr + n) inside chip 0's memory (no overflow) */
static int in_dram(const tlpu_fw *fw, uint64_t addr, uint64_t n)
{
    return n <= fw->port.dram_size && addr <= fw->port.dram_size - n;
}

/* [addr, addr + n) inside one chip's memory window */
static int in_system(const tlpu_fw *fw, uint64_t addr, uint64_t n)
{
    uint64_t chip = fw->info.chip_shift ? addr >> fw->info.chip_shift : 0;
    if (chip >= fw->info.chips)
        return 0;
    return in_dram(fw, addr - (chip << fw->info.chip_shift), n);
}

static int core_busy(tlpu_fw *fw, int *busy)
{
    uint32_t st;
    if (csr_rd(fw, TLPU_CSR_STATUS, &st) != 0)
        return -1;
    *busy = (st & STATUS_BUSY) != 0;
    return 0;
}

static int writable_csr(uint32_t a)
{
    return a == TLPU_CSR_CTRL || a == TLPU_CSR_PROG_ADDR || a == TLPU_CSR_PROG_LEN ||
           a == TLPU_CSR_IRQ_ENABLE || a == TLPU_CSR_IRQ_STATUS || a == TLPU_CSR_MEM_TOP;
}

/* one command, its payload p[0..n) already framed and checked; the reply
 * payload goes to out (room for TLPU_PROTO_MAX_PAYLOAD); *out_len gets its size */
static uint32_t command(tlpu_fw *fw, uint8_t op, const uint8_t *p, uint32_t n, uint8_t *out,
                        uint32_t *out_len)
{
    *out_len = 0;
    int busy = 0;
    switch (op) {
    case TLPU_PROTO_OP_INFO: {
        if (n != 0)
            return TLPU_PST_BAD_LENGTH;
        const tlpu_proto_info *in = &fw->info;
        const uint32_t w[] = {in->proto_version, in->fw_version,  in->core_id,    in->core_version,
                              in->rows,          in->cols,        in->beat_bytes, in->wbuf_chunks,
                              in->abuf_words,    in->obuf_words,  in->imem_depth, in->formats,
                              in->burst_beats,   in->queue_depth, in->max_payload, in->mem_latency};
        for (unsigned i = 0; i < 16; i++)
            tlpu_put_u32(out + 4 * i, w[i]);
        tlpu_put_u64(out + 64, in->dram_size);
        tlpu_put_u32(out + 72, in->chips);
        tlpu_put_u32(out + 76, in->chip_shift);
        *out_len = TLPU_PROTO_INFO_BYTES;
        return TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_MEM_WRITE: {
        if (n < 9)
            return TLPU_PST_BAD_LENGTH;
        uint64_t addr = tlpu_get_u64(p);
        if (!in_system(fw, addr, n - 8))
            return TLPU_PST_RANGE;
        if (core_busy(fw, &busy) != 0)
            return TLPU_PST_PORT;
        if (busy)
            return TLPU_PST_BUSY; /* the running program may read it */
        if (fw->port.mem_write(fw->port.ctx, addr, p + 8, n - 8) != 0)
            return TLPU_PST_PORT;
        return TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_MEM_READ: {
        if (n != 12)
            return TLPU_PST_BAD_LENGTH;
        uint64_t addr = tlpu_get_u64(p);
        uint32_t len = tlpu_get_u32(p + 8);
        if (len == 0 || len > TLPU_PROTO_MAX_PAYLOAD)
            return TLPU_PST_BAD_ARG;
        if (!in_system(fw, addr, len))
            return TLPU_PST_RANGE;
        if (fw->port.mem_read(fw->port.ctx, addr, out, len) != 0)
            return TLPU_PST_PORT;
        *out_len = len;
        return TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_CSR_WRITE: {
        if (n != 8)
            return TLPU_PST_BAD_LENGTH;
        uint32_t a = tlpu_get_u32(p), v = tlpu_get_u32(p + 4);
        if (a % 4)
            return TLPU_PST_ALIGN;
        if (a >= CSR_END)
            return TLPU_PST_RANGE;
        if (!writable_csr(a))
            return TLPU_PST_BAD_ARG;
        if (a == TLPU_CSR_MEM_TOP && (uint64_t)v >= fw->port.dram_size)
            return TLPU_PST_RANGE; /* programs must not reach past the memory */
        if (a == TLPU_CSR_CTRL && (v & ~(CTRL_START | CTRL_SOFT_RESET | CTRL_COUNTERS_RESET)))
            return TLPU_PST_BAD_ARG;
        if (core_busy(fw, &busy) != 0)
            return TLPU_PST_PORT;
        /* while a program runs only a soft reset, counter reset or irq write */
        if (busy && !(a == TLPU_CSR_CTRL && !(v & CTRL_START)) && a != TLPU_CSR_IRQ_STATUS &&
            a != TLPU_CSR_IRQ_ENABLE)
            return TLPU_PST_BUSY;
        return csr_wr(fw, a, v) != 0 ? TLPU_PST_PORT : TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_CSR_READ: {
        if (n != 4)
            return TLPU_PST_BAD_LENGTH;
        uint32_t a = tlpu_get_u32(p), v;
        if (a % 4)
            return TLPU_PST_ALIGN;
        if (a >= CSR_END)
            return TLPU_PST_RANGE;
        if (csr_rd(fw, a, &v) != 0)
            return TLPU_PST_PORT;
        tlpu_put_u32(out, v);
        *out_len = 4;
        return TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_RUN: {
        if (n != 12)
            return TLPU_PST_BAD_LENGTH;
        uint64_t pa = tlpu_get_u64(p);
        uint32_t len = tlpu_get_u32(p + 8);
        if (len == 0)
            return TLPU_PST_BAD_ARG;
        if (pa % BEAT)
            return TLPU_PST_ALIGN;
        if (pa > 0xFFFFFFFFu || !in_dram(fw, pa, 16ull * len))
            return TLPU_PST_RANGE;
        if (core_busy(fw, &busy) != 0)
            return TLPU_PST_PORT;
        if (busy)
            return TLPU_PST_BUSY;
        if (csr_wr(fw, TLPU_CSR_PROG_ADDR, (uint32_t)pa) != 0 ||
            csr_wr(fw, TLPU_CSR_PROG_LEN, len) != 0 || csr_wr(fw, TLPU_CSR_CTRL, CTRL_START) != 0)
            return TLPU_PST_PORT;
        return TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_WAIT: {
        if (n != 4)
            return TLPU_PST_BAD_LENGTH;
        uint64_t timeout = tlpu_get_u32(p), t0 = fw->port.now_us(fw->port.ctx);
        uint32_t st = 0, pc = 0, lo = 0, hi = 0;
        for (;;) {
            if (csr_rd(fw, TLPU_CSR_STATUS, &st) != 0)
                return TLPU_PST_PORT;
            if (!(st & STATUS_BUSY))
                break;
            if (fw->port.now_us(fw->port.ctx) - t0 >= timeout)
                break;
            fw->port.idle(fw->port.ctx);
        }
        if (csr_rd(fw, TLPU_CSR_ERR_PC, &pc) != 0 ||
            csr_rd(fw, TLPU_CSR_COUNTER_BASE + 8u * TLPU_CNTI_CYCLES, &lo) != 0 ||
            csr_rd(fw, TLPU_CSR_COUNTER_BASE + 8u * TLPU_CNTI_CYCLES + 4u, &hi) != 0)
            return TLPU_PST_PORT;
        tlpu_put_u32(out, st);
        tlpu_put_u32(out + 4, pc);
        tlpu_put_u64(out + 8, ((uint64_t)hi << 32) | lo);
        *out_len = TLPU_PROTO_DONE_BYTES;
        if (st & STATUS_BUSY)
            return TLPU_PST_TIMEOUT;
        return ((st >> 8) & 0xFFu) ? TLPU_PST_DEVICE : TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_COUNTERS: {
        if (n != 0)
            return TLPU_PST_BAD_LENGTH;
        for (uint32_t i = 0; i < TLPU_NUM_COUNTERS; i++) {
            uint32_t lo, hi; /* reading LO latches HI */
            if (csr_rd(fw, TLPU_CSR_COUNTER_BASE + 8u * i, &lo) != 0 ||
                csr_rd(fw, TLPU_CSR_COUNTER_BASE + 8u * i + 4u, &hi) != 0)
                return TLPU_PST_PORT;
            tlpu_put_u64(out + 8 * i, ((uint64_t)hi << 32) | lo);
        }
        *out_len = 8 * TLPU_NUM_COUNTERS;
        return TLPU_PST_OK;
    }
    case TLPU_PROTO_OP_COUNTERS_RESET:
        if (n != 0)
            return TLPU_PST_BAD_LENGTH;
        return csr_wr(fw, TLPU_CSR_CTRL, CTRL_COUNTERS_RESET) != 0 ? TLPU_PST_PORT : TLPU_PST_OK;
    case TLPU_PROTO_OP_RESET:
        if (n != 0)
            return TLPU_PST_BAD_LENGTH;
        if (csr_wr(fw, TLPU_CSR_CTRL, CTRL_SOFT_RESET) != 0 ||
            csr_wr(fw, TLPU_CSR_IRQ_STATUS, 1u) != 0)
            return TLPU_PST_PORT;
        return TLPU_PST_OK;
    case TLPU_PROTO_OP_MC_RUN: {
        if (n != 12)
            return TLPU_PST_BAD_LENGTH;
        uint64_t ta = tlpu_get_u64(p);
        uint32_t nc = tlpu_get_u32(p + 8);
        if (!fw->port.mc_run)
            return TLPU_PST_UNSUPPORTED;
        if (nc == 0 || nc > fw->info.chips)
            return TLPU_PST_BAD_ARG;
        if (ta % BEAT)
            return TLPU_PST_ALIGN;
        if (!in_dram(fw, ta, (uint64_t)TLPU_MC_ENTRY_BYTES * nc))
            return TLPU_PST_RANGE;
        if (core_busy(fw, &busy) != 0)
            return TLPU_PST_PORT;
        if (busy)
            return TLPU_PST_BUSY;
        uint32_t st = fw->port.mc_run(fw->port.ctx, ta, nc, out);
        if (st == TLPU_PST_OK || st == TLPU_PST_DEVICE)
            *out_len = TLPU_PROTO_MC_DONE_BYTES(nc);
        return st;
    }
    case TLPU_PROTO_OP_ECHO:
        copy(out, p, n);
        *out_len = n;
        return TLPU_PST_OK;
    default:
        return TLPU_PST_BAD_OPCODE;
    }
}

size_t tlpu_fw_handle(tlpu_fw *fw, const uint8_t *req, size_t len, uint8_t *rep, size_t cap)
{
    if (!fw || !rep || cap < TLPU_PROTO_MAX_PACKET)
        return 0;
    fw->requests++;
    if (!req || len < TLPU_PROTO_HDR_BYTES) {
        fw->errors++;
        return reply(rep, 0, 0, 0, TLPU_PST_BAD_LENGTH);
    }
    tlpu_proto_hdr h;
    tlpu_proto_read_hdr(req, &h);
    if (h.magic != TLPU_PROTO_MAGIC) {
        fw->errors++;
        return reply(rep, 0, 0, 0, TLPU_PST_BAD_MAGIC);
    }
    uint32_t st;
    uint32_t out_len = 0;
    if (h.version != TLPU_PROTO_VERSION)
        st = TLPU_PST_BAD_VERSION;
    else if (h.length > TLPU_PROTO_MAX_PAYLOAD || len != TLPU_PROTO_HDR_BYTES + (size_t)h.length)
        st = TLPU_PST_BAD_LENGTH;
    else if (tlpu_proto_crc_of(req, len) != h.crc)
        st = TLPU_PST_BAD_CRC;
    else if (h.flags != 0 || h.status != 0)
        st = TLPU_PST_BAD_OPCODE; /* a reply, or flags this version does not know */
    else if (!fw->ready)
        st = TLPU_PST_PORT;
    else
        st = command(fw, h.opcode, req + TLPU_PROTO_HDR_BYTES, h.length,
                     rep + TLPU_PROTO_HDR_BYTES, &out_len);
    if (st != TLPU_PST_OK && st != TLPU_PST_DEVICE && st != TLPU_PST_TIMEOUT)
        out_len = 0;
    if (st != TLPU_PST_OK)
        fw->errors++;
    return reply(rep, h.opcode, h.tag, out_len, st);
}
