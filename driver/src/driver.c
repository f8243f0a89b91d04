/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.c - the driver API (tlpu/tlpu.h): device handles, the wire
 * protocol's client side, device-memory bookkeeping and the BitLinear call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/bitlinear.h"
#include "tlpu/fw.h"
#include "tlpu/pack.h"
#include "tlpu/proto.h"
#include "tlpu/tiler.h"
#include "tlpu/tlpu.h"

/* ---- errors ------------------------------------------------------------------- */

static _Thread_local char g_err[320];
static _Thread_local int g_transport_err;

const char *tlpu_last_error(void)
{
    return g_err;
}

int tlpu_last_transport_error(void)
{
    return g_transport_err;
}

tlpu_status tlpu_fail(tlpu_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    g_transport_err = 0;
    return st;
}

tlpu_status tlpu_fail_transport(tlpu_status st, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    g_transport_err = code;
    return st;
}

tlpu_status tlpu_xfer_each(tlpu_xfer *x, size_t n, const tlpu_io *io,
                           tlpu_status (*one)(void *ctx, tlpu_xfer *x), void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        if (io->cancel && *io->cancel)
            return tlpu_fail(TLPU_ERR_CANCELLED, "cancelled after %zu of %zu requests", i, n);
        tlpu_status st = one(ctx, &x[i]);
        if (st != TLPU_OK)
            return st;
    }
    return TLPU_OK;
}

static tlpu_status fw_one(void *fw, tlpu_xfer *x)
{
    x->rep_len = tlpu_fw_handle(fw, x->req, x->len, x->rep, x->cap);
    return x->rep_len ? TLPU_OK : tlpu_fail(TLPU_ERR_INVALID_ARG, "reply buffer too small");
}

tlpu_status tlpu_fw_exchange(struct tlpu_fw *fw, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    return tlpu_xfer_each(x, n, io, fw_one, fw);
}

/* ---- URI parameters ---------------------------------------------------------------- */

tlpu_status tlpu_uri_params(const char *params,
                            tlpu_status (*fn)(void *ctx, const char *key, const char *val),
                            void *ctx)
{
    char buf[512];
    if (!params)
        return TLPU_OK;
    if (strlen(params) >= sizeof buf)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "device URI parameters too long");
    strcpy(buf, params);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "device URI: '%s' is not key=value", kv);
        *eq = 0;
        tlpu_status st = fn(ctx, kv, eq + 1);
        if (st != TLPU_OK)
            return st;
    }
    return TLPU_OK;
}

int tlpu_uri_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    if (!val || !*val || *val == '-' || *val == '+')
        return -1;
    unsigned long long v = strtoull(val, &end, 0);
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024, end++;
    else if (*end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'G')
        mul = 1024ull * 1024 * 1024, end++;
    if (*end || end == val || v > UINT64_MAX / mul)
        return -1;
    uint64_t r = (uint64_t)v * mul;
    if (r < min || r > max)
        return -1;
    *out = r;
    return 0;
}

int tlpu_uri_double(const char *val, double min, double max, double *out)
{
    char *end = NULL;
    double v = strtod(val, &end);
    if (!*val || *end || !(v >= min && v <= max))
        return -1;
    *out = v;
    return 0;
}

/* ---- the device handle --------------------------------------------------------------- */

typedef struct region {
    uint64_t addr, size;
} region;

/* packets per exchange for bulk copies: the transport may keep them all in flight */
#define BATCH 32u

struct tlpu_dev {
    const tlpu_transport *tr;
    void *ctx;
    uint32_t next_tag;
    _Atomic int cancel; /* tlpu_cancel(): pending until a call returns CANCELLED */
    tlpu_dev_info info;
    region *used; /* allocations, sorted by address */
    size_t nused, capused;
    uint8_t req[TLPU_PROTO_MAX_PACKET], rep[TLPU_PROTO_MAX_PACKET];
    uint8_t *breq, *brep; /* BATCH packets each, for bulk copies (allocated on first use) */
};

static const tlpu_transport *const k_transports[] = {&tlpu_transport_sim, &tlpu_transport_model,
                                                     &tlpu_transport_usb, &tlpu_transport_sc,
                                                     &tlpu_transport_ref};

static tlpu_status from_pst(uint32_t pst, uint8_t op)
{
    switch (pst) {
    case TLPU_PST_OK:
        return TLPU_OK;
    case TLPU_PST_BAD_MAGIC:
    case TLPU_PST_BAD_VERSION:
    case TLPU_PST_BAD_LENGTH:
    case TLPU_PST_BAD_CRC:
    case TLPU_PST_BAD_OPCODE:
        return tlpu_fail(TLPU_ERR_PROTOCOL, "device rejected packet (opcode 0x%02x): status %u",
                         op, pst);
    case TLPU_PST_BAD_ARG:
    case TLPU_PST_ALIGN:
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "device rejected a field (opcode 0x%02x): %s", op,
                         pst == TLPU_PST_ALIGN ? "misaligned" : "bad value");
    case TLPU_PST_RANGE:
        return tlpu_fail(TLPU_ERR_RANGE, "device: address range outside memory or CSR map");
    case TLPU_PST_BUSY:
        return tlpu_fail(TLPU_ERR_BUSY, "device is running a program");
    case TLPU_PST_TIMEOUT:
        return tlpu_fail(TLPU_ERR_TIMEOUT, "the program did not finish in time");
    case TLPU_PST_DEVICE:
        return tlpu_fail(TLPU_ERR_DEVICE, "the program ended with a core error");
    case TLPU_PST_UNSUPPORTED:
        return tlpu_fail(TLPU_ERR_UNSUPPORTED, "the device cannot carry out opcode 0x%02x "
                                               "(MC_RUN needs an LPU system)", op);
    default:
        return tlpu_fail(TLPU_ERR_DEVICE, "device: memory or CSR access failed (status %u)", pst);
    }
}

static uint32_t take_tag(tlpu_dev *dev)
{
    if (++dev->next_tag == 0) /* tag 0 answers unreadable requests: never use it */
        dev->next_tag = 1;
    return dev->next_tag;
}

/* Runs n sealed requests through the transport and checks every reply:
 * framing, CRC, and that it answers its own request (tag and opcode).
 * extra_ms: how much longer than a packet's round trip a reply may take. */
static tlpu_status exchange(tlpu_dev *dev, tlpu_xfer *x, size_t n, unsigned extra_ms)
{
    if (dev->cancel) {
        dev->cancel = 0;
        return tlpu_fail(TLPU_ERR_CANCELLED, "cancelled before the request was sent");
    }
    tlpu_io io = {extra_ms, &dev->cancel, 0};
    tlpu_status st = dev->tr->transact(dev->ctx, x, n, &io);
    if (st == TLPU_ERR_CANCELLED)
        dev->cancel = 0;
    if (st != TLPU_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        const uint8_t op = x[i].req[5];
        const uint32_t tag = tlpu_get_u32(x[i].req + 8);
        const uint8_t *rep = x[i].rep;
        size_t rlen = x[i].rep_len;
        tlpu_proto_hdr h;
        if (rlen < TLPU_PROTO_HDR_BYTES)
            return tlpu_fail(TLPU_ERR_PROTOCOL, "reply of %zu bytes is shorter than a header",
                             rlen);
        tlpu_proto_read_hdr(rep, &h);
        if (h.magic != TLPU_PROTO_MAGIC || h.version != TLPU_PROTO_VERSION ||
            h.length > TLPU_PROTO_MAX_PAYLOAD || rlen != TLPU_PROTO_HDR_BYTES + h.length ||
            tlpu_proto_crc_of(rep, rlen) != h.crc || !(h.flags & TLPU_PROTO_FLAG_REPLY))
            return tlpu_fail(TLPU_ERR_PROTOCOL, "malformed reply to opcode 0x%02x", op);
        if (h.tag != tag || h.opcode != op)
            return tlpu_fail(TLPU_ERR_PROTOCOL,
                             "reply answers tag %u opcode 0x%02x, not %u 0x%02x", h.tag,
                             h.opcode, tag, op);
    }
    return TLPU_OK;
}

/* Seals a request of opcode op with payload len bytes already at p + 24. */
static void seal(tlpu_dev *dev, uint8_t *p, uint8_t op, uint32_t len)
{
    tlpu_proto_seal(p, op, 0, take_tag(dev), len, 0);
}

/* One request/reply exchange. The reply's payload is left in dev->rep + 24,
 * its length in *out_len (may be NULL); *pst_out gets its status. */
static tlpu_status transact_wait(tlpu_dev *dev, uint8_t op, const void *payload, uint32_t len,
                                 uint32_t *out_len, uint32_t *pst_out, unsigned extra_ms)
{
    if (len > TLPU_PROTO_MAX_PAYLOAD)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "payload of %u bytes too large", len);
    if (len)
        memcpy(dev->req + TLPU_PROTO_HDR_BYTES, payload, len);
    seal(dev, dev->req, op, len);
    tlpu_xfer x = {dev->req, TLPU_PROTO_HDR_BYTES + len, dev->rep, sizeof dev->rep, 0};
    tlpu_status st = exchange(dev, &x, 1, extra_ms);
    if (st != TLPU_OK)
        return st;
    tlpu_proto_hdr h;
    tlpu_proto_read_hdr(dev->rep, &h);
    if (out_len)
        *out_len = h.length;
    if (pst_out)
        *pst_out = h.status;
    return from_pst(h.status, op);
}

static tlpu_status transact(tlpu_dev *dev, uint8_t op, const void *payload, uint32_t len,
                            uint32_t *out_len, uint32_t *pst_out)
{
    return transact_wait(dev, op, payload, len, out_len, pst_out, 0);
}

/* the bulk-copy buffers */
static tlpu_status batch_buffers(tlpu_dev *dev)
{
    if (dev->breq)
        return TLPU_OK;
    dev->breq = malloc((size_t)BATCH * TLPU_PROTO_MAX_PACKET);
    dev->brep = malloc((size_t)BATCH * TLPU_PROTO_MAX_PACKET);
    if (!dev->breq || !dev->brep) {
        free(dev->breq);
        free(dev->brep);
        dev->breq = dev->brep = NULL;
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    }
    return TLPU_OK;
}

static const uint8_t *reply_payload(const tlpu_dev *dev)
{
    return dev->rep + TLPU_PROTO_HDR_BYTES;
}

static tlpu_status fetch_info(tlpu_dev *dev)
{
    uint32_t n = 0;
    tlpu_status st = transact(dev, TLPU_PROTO_OP_INFO, NULL, 0, &n, NULL);
    if (st != TLPU_OK)
        return st;
    if (n != TLPU_PROTO_INFO_BYTES)
        return tlpu_fail(TLPU_ERR_PROTOCOL, "INFO reply of %u bytes", n);
    const uint8_t *p = reply_payload(dev);
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = tlpu_get_u32(p + 4 * i);
    tlpu_dev_info *in = &dev->info;
    in->transport = dev->tr->scheme;
    in->proto_version = w[0];
    in->fw_version = w[1];
    in->core_id = w[2];
    in->core_version = w[3];
    tlpu_hw_default(&in->hw);
    in->hw.rows = w[4];
    in->hw.cols = w[5];
    in->hw.beat_bytes = w[6];
    in->hw.wbuf_chunks = w[7];
    in->hw.abuf_words = w[8];
    in->hw.obuf_words = w[9];
    in->hw.imem_depth = w[10];
    in->formats = w[11];
    in->hw.burst_beats = w[12];
    in->hw.queue_depth = w[13];
    in->mem_latency = w[15];
    in->dram_size = tlpu_get_u64(p + 64);
    in->chips = tlpu_get_u32(p + 72);
    in->chip_shift = tlpu_get_u32(p + 76);
    if (in->proto_version != TLPU_PROTO_VERSION || w[14] != TLPU_PROTO_MAX_PAYLOAD ||
        tlpu_hw_check(&in->hw) != TLPU_OK || in->dram_size < 4096 || in->chips < 1 ||
        in->chips > TLPU_MC_MAX_CHIPS || (in->chips > 1 && !in->chip_shift) ||
        (in->chip_shift && (in->chip_shift < 12 || in->chip_shift > 56 ||
                            in->dram_size > (1ull << in->chip_shift))))
        return tlpu_fail(TLPU_ERR_PROTOCOL, "device reports an unusable configuration");
    return TLPU_OK;
}

tlpu_status tlpu_open(const char *uri, tlpu_dev **out)
{
    if (!uri || !out)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_open: NULL argument");
    const char *colon = strchr(uri, ':');
    size_t slen = colon ? (size_t)(colon - uri) : strlen(uri);
    const tlpu_transport *tr = NULL;
    for (size_t i = 0; i < sizeof k_transports / sizeof k_transports[0]; i++)
        if (strlen(k_transports[i]->scheme) == slen &&
            strncmp(k_transports[i]->scheme, uri, slen) == 0)
            tr = k_transports[i];
    if (!tr) {
        return tlpu_fail(TLPU_ERR_INVALID_ARG,
                         "device '%s': unknown transport (use sim:, model:, usb:, sc: or ref:)",
                         uri);
    }
    tlpu_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    d->tr = tr;
    g_err[0] = 0;
    tlpu_status st = tr->open(colon ? colon + 1 : "", &d->ctx);
    if (st != TLPU_OK) {
        free(d);
        if (!g_err[0])
            tlpu_fail(st, "device '%s': %s", uri, tlpu_strerror(st));
        return st;
    }
    st = tr->info ? tr->info(d->ctx, &d->info) : fetch_info(d);
    if (st != TLPU_OK) {
        tr->close(d->ctx);
        free(d);
        return st;
    }
    *out = d;
    return TLPU_OK;
}

void tlpu_close(tlpu_dev *dev)
{
    if (!dev)
        return;
    dev->tr->close(dev->ctx);
    free(dev->used);
    free(dev->breq);
    free(dev->brep);
    free(dev);
}

tlpu_status tlpu_get_info(tlpu_dev *dev, tlpu_dev_info *info)
{
    if (!dev || !info)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_get_info: NULL argument");
    *info = dev->info;
    return TLPU_OK;
}

/* ---- device memory ------------------------------------------------------------------- */

#define ALLOC_ALIGN 256u

tlpu_status tlpu_mem_alloc(tlpu_dev *dev, uint64_t n, uint64_t *addr)
{
    if (!dev || !addr || n == 0)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_mem_alloc: NULL argument or zero size");
    if (n > dev->info.dram_size)
        return tlpu_fail(TLPU_ERR_NOMEM, "device memory: %llu bytes requested, %llu in all",
                         (unsigned long long)n, (unsigned long long)dev->info.dram_size);
    uint64_t size = (n + ALLOC_ALIGN - 1) / ALLOC_ALIGN * ALLOC_ALIGN;
    /* first fit above the first 4 KiB (kept free: address 0 catches bugs) */
    uint64_t at = 4096;
    size_t i = 0;
    for (; i < dev->nused; i++) {
        if (dev->used[i].addr >= at + size)
            break;
        uint64_t end = dev->used[i].addr + dev->used[i].size;
        if (end > at)
            at = end;
    }
    if (at + size > dev->info.dram_size)
        return tlpu_fail(TLPU_ERR_NOMEM, "device memory full: no %llu free bytes",
                         (unsigned long long)size);
    if (dev->nused == dev->capused) {
        size_t cap = dev->capused ? 2 * dev->capused : 16;
        region *r = realloc(dev->used, cap * sizeof *r);
        if (!r)
            return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        dev->used = r;
        dev->capused = cap;
    }
    memmove(dev->used + i + 1, dev->used + i, (dev->nused - i) * sizeof *dev->used);
    dev->used[i].addr = at;
    dev->used[i].size = size;
    dev->nused++;
    *addr = at;
    return TLPU_OK;
}

tlpu_status tlpu_mem_free(tlpu_dev *dev, uint64_t addr)
{
    if (!dev)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_mem_free: NULL device");
    for (size_t i = 0; i < dev->nused; i++)
        if (dev->used[i].addr == addr) {
            memmove(dev->used + i, dev->used + i + 1, (dev->nused - i - 1) * sizeof *dev->used);
            dev->nused--;
            return TLPU_OK;
        }
    return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_mem_free: 0x%llx was not allocated",
                     (unsigned long long)addr);
}

static tlpu_status check_range(const tlpu_dev *dev, uint64_t addr, size_t n, const char *what)
{
    const uint32_t sh = dev->info.chip_shift;
    const uint64_t chip = sh ? addr >> sh : 0;
    if (chip >= dev->info.chips)
        return tlpu_fail(TLPU_ERR_RANGE, "%s: 0x%llx is past the last chip's memory", what,
                         (unsigned long long)addr);
    addr -= sh ? chip << sh : 0;
    if (n > dev->info.dram_size || addr > dev->info.dram_size - n)
        return tlpu_fail(TLPU_ERR_RANGE, "%s: [0x%llx, +%zu) is outside the %llu-byte device "
                                         "memory", what, (unsigned long long)addr, n,
                         (unsigned long long)dev->info.dram_size);
    return TLPU_OK;
}

tlpu_status tlpu_mem_write(tlpu_dev *dev, uint64_t addr, const void *src, size_t n)
{
    if (!dev || (!src && n))
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_mem_write: NULL argument");
    tlpu_status st = check_range(dev, addr, n, "tlpu_mem_write");
    if (st != TLPU_OK)
        return st;
    if (n && (st = batch_buffers(dev)) != TLPU_OK)
        return st;
    const uint8_t *s = src;
    const size_t chunk = TLPU_PROTO_MAX_PAYLOAD - 8;
    tlpu_xfer x[BATCH];
    for (size_t off = 0; off < n;) {
        /* up to BATCH packets at once: the transport may keep them all in flight */
        size_t k = 0;
        for (; k < BATCH && off < n; k++) {
            size_t c = n - off < chunk ? n - off : chunk;
            uint8_t *p = dev->breq + k * TLPU_PROTO_MAX_PACKET;
            tlpu_put_u64(p + TLPU_PROTO_HDR_BYTES, addr + off);
            memcpy(p + TLPU_PROTO_HDR_BYTES + 8, s + off, c);
            seal(dev, p, TLPU_PROTO_OP_MEM_WRITE, (uint32_t)(8 + c));
            x[k] = (tlpu_xfer){p, TLPU_PROTO_HDR_BYTES + 8 + c,
                               dev->brep + k * TLPU_PROTO_MAX_PACKET, TLPU_PROTO_MAX_PACKET, 0};
            off += c;
        }
        if ((st = exchange(dev, x, k, 0)) != TLPU_OK)
            return st;
        for (size_t i = 0; i < k; i++)
            if ((st = from_pst(tlpu_get_u32(x[i].rep + 16), TLPU_PROTO_OP_MEM_WRITE)) != TLPU_OK)
                return st;
    }
    return TLPU_OK;
}

tlpu_status tlpu_mem_read(tlpu_dev *dev, uint64_t addr, void *dst, size_t n)
{
    if (!dev || (!dst && n))
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_mem_read: NULL argument");
    tlpu_status st = check_range(dev, addr, n, "tlpu_mem_read");
    if (st != TLPU_OK)
        return st;
    if (n && (st = batch_buffers(dev)) != TLPU_OK)
        return st;
    uint8_t *d = dst;
    tlpu_xfer x[BATCH];
    size_t want[BATCH];
    for (size_t off = 0; off < n;) {
        size_t k = 0, start = off;
        for (; k < BATCH && off < n; k++) {
            size_t c = n - off < TLPU_PROTO_MAX_PAYLOAD ? n - off : TLPU_PROTO_MAX_PAYLOAD;
            uint8_t *p = dev->breq + k * TLPU_PROTO_MAX_PACKET;
            tlpu_put_u64(p + TLPU_PROTO_HDR_BYTES, addr + off);
            tlpu_put_u32(p + TLPU_PROTO_HDR_BYTES + 8, (uint32_t)c);
            seal(dev, p, TLPU_PROTO_OP_MEM_READ, 12);
            x[k] = (tlpu_xfer){p, TLPU_PROTO_HDR_BYTES + 12,
                               dev->brep + k * TLPU_PROTO_MAX_PACKET, TLPU_PROTO_MAX_PACKET, 0};
            want[k] = c;
            off += c;
        }
        if ((st = exchange(dev, x, k, 0)) != TLPU_OK)
            return st;
        for (size_t i = 0; i < k; i++) {
            if ((st = from_pst(tlpu_get_u32(x[i].rep + 16), TLPU_PROTO_OP_MEM_READ)) != TLPU_OK)
                return st;
            if (x[i].rep_len != TLPU_PROTO_HDR_BYTES + want[i])
                return tlpu_fail(TLPU_ERR_PROTOCOL, "MEM_READ returned %zu bytes, not %zu",
                                 x[i].rep_len - TLPU_PROTO_HDR_BYTES, want[i]);
            memcpy(d + start, x[i].rep + TLPU_PROTO_HDR_BYTES, want[i]);
            start += want[i];
        }
    }
    return TLPU_OK;
}

/* ---- the core -------------------------------------------------------------------------- */

tlpu_status tlpu_csr_write(tlpu_dev *dev, uint32_t addr, uint32_t value)
{
    if (!dev)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_csr_write: NULL device");
    uint8_t pl[8];
    tlpu_put_u32(pl, addr);
    tlpu_put_u32(pl + 4, value);
    return transact(dev, TLPU_PROTO_OP_CSR_WRITE, pl, sizeof pl, NULL, NULL);
}

tlpu_status tlpu_csr_read(tlpu_dev *dev, uint32_t addr, uint32_t *value)
{
    if (!dev || !value)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_csr_read: NULL argument");
    uint8_t pl[4];
    tlpu_put_u32(pl, addr);
    uint32_t n = 0;
    tlpu_status st = transact(dev, TLPU_PROTO_OP_CSR_READ, pl, sizeof pl, &n, NULL);
    if (st != TLPU_OK)
        return st;
    if (n != 4)
        return tlpu_fail(TLPU_ERR_PROTOCOL, "CSR_READ reply of %u bytes", n);
    *value = tlpu_get_u32(reply_payload(dev));
    return TLPU_OK;
}

tlpu_status tlpu_run(tlpu_dev *dev, uint64_t prog_addr, uint32_t n)
{
    if (!dev || n == 0)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_run: NULL device or empty program");
    if (prog_addr % 16)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_run: program address 0x%llx is not 16-byte "
                                               "aligned", (unsigned long long)prog_addr);
    uint8_t pl[12];
    tlpu_put_u64(pl, prog_addr);
    tlpu_put_u32(pl + 8, n);
    return transact(dev, TLPU_PROTO_OP_RUN, pl, sizeof pl, NULL, NULL);
}

tlpu_status tlpu_wait(tlpu_dev *dev, uint64_t timeout_us, tlpu_run_result *res)
{
    if (!dev)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_wait: NULL device");
    uint8_t pl[4];
    tlpu_put_u32(pl, timeout_us > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)timeout_us);
    uint32_t n = 0, pst = 0xFFFFFFFFu; /* stays so when no reply came */
    /* the device may take the whole timeout to answer (device time; on a
     * board, about wall time) */
    unsigned extra_ms = (unsigned)(timeout_us / 1000 > 86400000u ? 86400000u : timeout_us / 1000);
    tlpu_status st = transact_wait(dev, TLPU_PROTO_OP_WAIT, pl, sizeof pl, &n, &pst, extra_ms);
    if (pst != TLPU_PST_OK && pst != TLPU_PST_DEVICE && pst != TLPU_PST_TIMEOUT)
        return st;
    if (n != TLPU_PROTO_DONE_BYTES)
        return tlpu_fail(TLPU_ERR_PROTOCOL, "WAIT reply of %u bytes", n);
    const uint8_t *p = reply_payload(dev);
    tlpu_run_result r;
    r.status = tlpu_get_u32(p);
    r.hw_error = (r.status >> 8) & 0xFF;
    r.err_pc = tlpu_get_u32(p + 4);
    r.cycles = tlpu_get_u64(p + 8);
    if (res)
        *res = r;
    if (pst == TLPU_PST_DEVICE)
        return tlpu_fail(TLPU_ERR_DEVICE, "the program stopped with core error %u at "
                                          "instruction %u", r.hw_error, r.err_pc);
    return st;
}

tlpu_status tlpu_counters(tlpu_dev *dev, uint64_t out[TLPU_NUM_COUNTERS])
{
    if (!dev || !out)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_counters: NULL argument");
    uint32_t n = 0;
    tlpu_status st = transact(dev, TLPU_PROTO_OP_COUNTERS, NULL, 0, &n, NULL);
    if (st != TLPU_OK)
        return st;
    if (n != 8 * TLPU_NUM_COUNTERS)
        return tlpu_fail(TLPU_ERR_PROTOCOL, "COUNTERS reply of %u bytes", n);
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        out[i] = tlpu_get_u64(reply_payload(dev) + 8 * i);
    return TLPU_OK;
}

tlpu_status tlpu_counters_reset(tlpu_dev *dev)
{
    if (!dev)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_counters_reset: NULL device");
    return transact(dev, TLPU_PROTO_OP_COUNTERS_RESET, NULL, 0, NULL, NULL);
}

tlpu_status tlpu_reset(tlpu_dev *dev)
{
    if (!dev)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_reset: NULL device");
    return transact(dev, TLPU_PROTO_OP_RESET, NULL, 0, NULL, NULL);
}

tlpu_status tlpu_debug_raw(tlpu_dev *dev, const uint8_t *req, size_t len, uint8_t *reply,
                           size_t cap, size_t *reply_len)
{
    if (!dev || (!req && len) || !reply || !reply_len)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_debug_raw: NULL argument");
    tlpu_xfer x = {req, len, reply, cap, 0};
    tlpu_io io = {0, &dev->cancel, 1};
    tlpu_status st = dev->tr->transact(dev->ctx, &x, 1, &io);
    *reply_len = x.rep_len;
    return st;
}

tlpu_status tlpu_get_system(tlpu_dev *dev, tlpu_mc_system *sys)
{
    if (!dev || !sys)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_get_system: NULL argument");
    if (!dev->info.chip_shift || !dev->tr->system)
        return tlpu_fail(TLPU_ERR_UNSUPPORTED, "the device is not a modelled LPU system (sc:"
                                               "chips=N is)");
    return dev->tr->system(dev->ctx, sys);
}

tlpu_status tlpu_get_time(tlpu_dev *dev, tlpu_dev_time *t)
{
    if (!dev || !t)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_get_time: NULL argument");
    if (!dev->tr->time)
        return tlpu_fail(TLPU_ERR_UNSUPPORTED, "the %s: transport does not model time (sc: "
                                               "does)", dev->tr->scheme);
    memset(t, 0, sizeof *t);
    return dev->tr->time(dev->ctx, t);
}

tlpu_status tlpu_time_since(const tlpu_dev_time *now, const tlpu_dev_time *then,
                            tlpu_dev_time *out)
{
    if (!now || !then || !out)
        return TLPU_ERR_INVALID_ARG;
    tlpu_dev_time d;
    d.total_s = now->total_s - then->total_s;
    d.link_s = now->link_s - then->link_s;
    d.fw_s = now->fw_s - then->fw_s;
    d.dram_s = now->dram_s - then->dram_s;
    d.core_s = now->core_s - then->core_s;
    d.link_j = now->link_j - then->link_j;
    d.dram_j = now->dram_j - then->dram_j;
    d.link_bytes = now->link_bytes - then->link_bytes;
    d.dram_bytes = now->dram_bytes - then->dram_bytes;
    d.packets = now->packets - then->packets;
    d.c2c_s = now->c2c_s - then->c2c_s;
    d.c2c_j = now->c2c_j - then->c2c_j;
    d.c2c_bytes = now->c2c_bytes - then->c2c_bytes;
    d.mc_runs = now->mc_runs - then->mc_runs;
    d.mc_ps = now->mc_ps - then->mc_ps;
    *out = d;
    return TLPU_OK;
}

void tlpu_cancel(tlpu_dev *dev)
{
    if (dev)
        dev->cancel = 1;
}

tlpu_status tlpu_list_devices(const char *uri,
                              void (*fn)(void *arg, const char *uri, const char *what),
                              void *arg, int *count)
{
    if (!uri || !fn)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_list_devices: NULL argument");
    const char *colon = strchr(uri, ':');
    size_t slen = colon ? (size_t)(colon - uri) : strlen(uri);
    for (size_t i = 0; i < sizeof k_transports / sizeof k_transports[0]; i++) {
        const tlpu_transport *tr = k_transports[i];
        if (strlen(tr->scheme) != slen || strncmp(tr->scheme, uri, slen) != 0)
            continue;
        if (!tr->list) { /* in-process: the one device is always there */
            fn(arg, uri, tr->doc);
            if (count)
                *count = 1;
            return TLPU_OK;
        }
        int n = tr->list(colon ? colon + 1 : "", fn, arg);
        if (n < 0)
            return (tlpu_status)n;
        if (count)
            *count = n;
        return TLPU_OK;
    }
    return tlpu_fail(TLPU_ERR_INVALID_ARG, "device '%s': unknown transport (use sim:, model:, "
                                           "usb:, sc: or ref:)", uri);
}

/* ---- BitLinear ------------------------------------------------------------------------------ */

size_t tlpu_packed_row_bytes(unsigned fmt, uint32_t k)
{
    if (fmt == TLPU_FMT_PACK2)
        return tlpu_pack2_size(k);
    if (fmt == TLPU_FMT_PACK3)
        return tlpu_pack3_size(k);
    return 0;
}

typedef struct bl_mem {
    uint64_t w, x, y, prog, stream, table;
    int have_w, have_x, have_y, have_prog, have_stream, have_table;
} bl_mem;

static void bl_release(tlpu_dev *dev, bl_mem *m)
{
    if (m->have_w)
        tlpu_mem_free(dev, m->w);
    if (m->have_x)
        tlpu_mem_free(dev, m->x);
    if (m->have_y)
        tlpu_mem_free(dev, m->y);
    if (m->have_prog)
        tlpu_mem_free(dev, m->prog);
    if (m->have_stream)
        tlpu_mem_free(dev, m->stream);
    if (m->have_table)
        tlpu_mem_free(dev, m->table);
}

struct tlpu_dev_layer {
    tlpu_dev *dev;
    uint32_t m, k, n;
    unsigned fmt;
    tlpu_tiling t;
    tlpu_bitlinear_addrs ad;
    bl_mem mem;
    uint32_t insns;
    uint8_t *xs, *ys; /* strided staging for activations and outputs */
    /* an LPU system: the plan over the chips (ys then holds the gather area) */
    tlpu_mc_plan *mc;
    int timed;        /* the plan's links are the device's own (predicted_ps is valid) */
    void *host;       /* a transport without a core (ref:): its BitLinear handle */
    uint32_t chip_insns[TLPU_MC_CHIPS_MAX];
};

void tlpu_dev_layer_free(tlpu_dev_layer *L)
{
    if (!L)
        return;
    bl_release(L->dev, &L->mem);
    if (L->host)
        L->dev->tr->bl_free(L->dev->ctx, L->host);
    free(L->xs);
    free(L->ys);
    free(L->mc);
    free(L);
}

const tlpu_mc_plan *tlpu_dev_layer_mc_plan(const tlpu_dev_layer *L)
{
    return L ? L->mc : NULL;
}

/* chip c's copy of a chip-local address */
static uint64_t on_chip(const tlpu_dev *dev, uint32_t c, uint64_t local)
{
    return ((uint64_t)c << dev->info.chip_shift) + local;
}

/* An LPU system: the compiler's slices (tlpu/mchip.h), the same local
 * addresses on every chip, each chip's weights, program and op stream, and
 * the MC_RUN table on chip 0. trits: all N rows, unpacked. */
static tlpu_status mc_load(tlpu_dev *dev, tlpu_dev_layer *L, const int8_t *trits,
                           const tlpu_schedule *sched)
{
    const tlpu_hw *hw = &dev->info.hw;
    tlpu_mc_system sys;
    if (!dev->tr->system || dev->tr->system(dev->ctx, &sys) != TLPU_OK)
        return tlpu_fail(TLPU_ERR_UNSUPPORTED, "the %s: device does not describe its chips' "
                                               "links", dev->tr->scheme);
    L->timed = 1;
    if (sys.chips != dev->info.chips)
        return tlpu_fail(TLPU_ERR_PROTOCOL, "the device reports %u chips, its system %u",
                         dev->info.chips, sys.chips);
    if (!(L->mc = malloc(sizeof *L->mc)))
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    tlpu_mc_plan *P = L->mc;
    tlpu_status st = tlpu_mc_plan_bitlinear(&sys, hw, dev->info.mem_latency, L->m, L->k, L->n,
                                            L->fmt, TLPU_TILE_FULL, sched, P);
    if (st != TLPU_OK)
        return tlpu_fail(st, "no multi-chip plan for %ux%ux%u on %u chips: %s", L->m, L->k, L->n,
                         sys.chips, tlpu_strerror(st));
    uint64_t wmax = 0;
    for (uint32_t c = 0; c < sys.chips; c++)
        if (P->slice[c].n && P->slice[c].t.weight_bytes > wmax)
            wmax = P->slice[c].t.weight_bytes;
    const uint32_t maxops = tlpu_mc_stream_max(P);
    const uint64_t need = wmax + P->x_bytes + P->gather_bytes +
                          (uint64_t)maxops * TLPU_MC_OP_BYTES + TLPU_MC_ENTRY_BYTES * sys.chips;
    if (need + 4096 > dev->info.dram_size)
        return tlpu_fail(TLPU_ERR_NOMEM, "%ux%ux%u on %u chips needs %llu bytes per chip, "
                                         "more than its %llu-byte memory",
                         L->m, L->k, L->n, sys.chips, (unsigned long long)need,
                         (unsigned long long)dev->info.dram_size);
    bl_mem *mem = &L->mem;
    tlpu_mc_layout lay;
    if ((st = tlpu_mem_alloc(dev, wmax, &mem->w)) != TLPU_OK)
        return st;
    mem->have_w = 1;
    if ((st = tlpu_mem_alloc(dev, P->x_bytes, &mem->x)) != TLPU_OK)
        return st;
    mem->have_x = 1;
    if ((st = tlpu_mem_alloc(dev, P->gather_bytes, &mem->y)) != TLPU_OK)
        return st;
    mem->have_y = 1;
    if ((st = tlpu_mem_alloc(dev, (uint64_t)maxops * TLPU_MC_OP_BYTES, &mem->stream)) !=
        TLPU_OK)
        return st;
    mem->have_stream = 1;
    if ((st = tlpu_mem_alloc(dev, (uint64_t)TLPU_MC_ENTRY_BYTES * sys.chips, &mem->table)) !=
        TLPU_OK)
        return st;
    mem->have_table = 1;
    lay.weights = mem->w;
    lay.x = mem->x;
    lay.gather = mem->y;
    lay.stream = mem->stream;
    L->ad.act_stride = tlpu_act_stride(hw, L->k);
    /* the programs: compiled once the addresses are known, the longest sets the room */
    tlpu_program prog[TLPU_MC_CHIPS_MAX];
    uint32_t nprog = 0;
    uint64_t pmax = 0;
    for (; nprog < sys.chips; nprog++) {
        tlpu_program_init(&prog[nprog]);
        const tlpu_mc_slice *sl = &P->slice[nprog];
        if (!sl->n)
            continue;
        tlpu_bitlinear_addrs ad = {mem->w, mem->x, L->ad.act_stride, mem->y + sl->y_off,
                                   tlpu_out_stride(hw, sl->n)};
        if ((st = tlpu_compile_bitlinear(hw, &sl->t, &ad, &prog[nprog])) != TLPU_OK) {
            tlpu_fail(st, "compiling chip %u's program: %s", nprog, tlpu_strerror(st));
            nprog++;
            goto out;
        }
        L->chip_insns[nprog] = (uint32_t)prog[nprog].n;
        if (tlpu_program_bytes(&prog[nprog]) > pmax)
            pmax = tlpu_program_bytes(&prog[nprog]);
    }
    if ((st = tlpu_mem_alloc(dev, pmax, &mem->prog)) != TLPU_OK)
        goto out;
    mem->have_prog = 1;
    lay.prog = mem->prog;
    uint8_t *img = malloc(wmax), *ops = malloc((size_t)maxops * TLPU_MC_OP_BYTES);
    uint8_t table[TLPU_MC_ENTRY_BYTES * TLPU_MC_CHIPS_MAX];
    if (!img || !ops) {
        free(img);
        free(ops);
        st = tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        goto out;
    }
    memset(table, 0, sizeof table);
    for (uint32_t c = 0; c < sys.chips && st == TLPU_OK; c++) {
        const tlpu_mc_slice *sl = &P->slice[c];
        uint32_t nops = 0;
        if ((st = tlpu_mc_stream(P, c, &lay, L->chip_insns[c], ops, &nops)) != TLPU_OK) {
            tlpu_fail(st, "chip %u's op stream: %s", c, tlpu_strerror(st));
            break;
        }
        tlpu_put_u64(table + TLPU_MC_ENTRY_BYTES * c, lay.stream);
        tlpu_put_u32(table + TLPU_MC_ENTRY_BYTES * c + 8, nops);
        if (!sl->n)
            continue;
        if ((st = tlpu_weights_image(hw, &sl->t, trits + (size_t)sl->n0 * L->k, img,
                                     sl->t.weight_bytes)) != TLPU_OK) {
            tlpu_fail(st, "chip %u's weight image: %s", c, tlpu_strerror(st));
            break;
        }
        if ((st = tlpu_mem_write(dev, on_chip(dev, c, lay.weights), img, sl->t.weight_bytes)) !=
                TLPU_OK ||
            (st = tlpu_mem_write(dev, on_chip(dev, c, lay.prog), prog[c].insns,
                                 tlpu_program_bytes(&prog[c]))) != TLPU_OK ||
            (st = tlpu_mem_write(dev, on_chip(dev, c, lay.stream), ops,
                                 (size_t)nops * TLPU_MC_OP_BYTES)) != TLPU_OK)
            break;
    }
    if (st == TLPU_OK)
        st = tlpu_mem_write(dev, mem->table, table, (size_t)TLPU_MC_ENTRY_BYTES * sys.chips);
    free(img);
    free(ops);
out:
    for (uint32_t c = 0; c < nprog; c++)
        tlpu_program_free(&prog[c]);
    return st;
}

static tlpu_status mc_run(tlpu_dev_layer *L, const int8_t *x, int32_t *y,
                          tlpu_bitlinear_stats *stats)
{
    tlpu_dev *dev = L->dev;
    const tlpu_hw *hw = &dev->info.hw;
    tlpu_mc_plan *P = L->mc;
    const size_t m = L->m, k = L->k, n = L->n;
    for (size_t r = 0; r < m; r++)
        memcpy(L->xs + r * L->ad.act_stride, x + r * k, k);
    tlpu_status st = tlpu_mem_write(dev, L->mem.x, L->xs, P->x_bytes);
    if (st != TLPU_OK)
        return st;
    uint8_t pl[12];
    tlpu_put_u64(pl, L->mem.table);
    tlpu_put_u32(pl + 8, P->sys.chips);
    uint32_t rn = 0, pst = 0xFFFFFFFFu;
    /* the schedule may take a while: ten times the prediction, plus a second */
    unsigned extra_ms = (unsigned)(P->total_ps / 100000000u + 1000u);
    st = transact_wait(dev, TLPU_PROTO_OP_MC_RUN, pl, sizeof pl, &rn, &pst, extra_ms);
    if (pst != TLPU_PST_OK && pst != TLPU_PST_DEVICE)
        return st;
    if (rn != TLPU_PROTO_MC_DONE_BYTES(P->sys.chips))
        return tlpu_fail(TLPU_ERR_PROTOCOL, "MC_RUN reply of %u bytes", rn);
    const uint8_t *p = reply_payload(dev);
    tlpu_bitlinear_stats s;
    memset(&s, 0, sizeof s);
    for (uint32_t c = 0; c < P->sys.chips; c++) {
        s.chip_cycles[c] = tlpu_get_u64(p + 8 + 16 * c);
        uint32_t err = tlpu_get_u32(p + 16 + 16 * c), pc = tlpu_get_u32(p + 20 + 16 * c);
        if (err)
            return tlpu_fail(TLPU_ERR_DEVICE, "chip %u's program stopped with core error %u at "
                                              "instruction %u", c, err, pc);
        s.cycles += s.chip_cycles[c];
    }
    if (st != TLPU_OK)
        return st;
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        s.counters[i] = tlpu_get_u64(p + 8 + 16 * P->sys.chips + 8 * i);
    if ((st = tlpu_mem_read(dev, L->mem.y, L->ys, P->gather_bytes)) != TLPU_OK)
        return st;
    for (uint32_t c = 0; c < P->sys.chips; c++) {
        const tlpu_mc_slice *sl = &P->slice[c];
        if (!sl->n)
            continue;
        const size_t os = tlpu_out_stride(hw, sl->n);
        for (size_t r = 0; r < m; r++)
            memcpy(y + r * n + sl->n0, L->ys + sl->y_off + r * os, sl->n * sizeof(int32_t));
        s.insns += L->chip_insns[c];
        s.weight_bytes += sl->t.weight_bytes;
    }
    if (stats) {
        s.predicted_cycles = P->sum_cycles;
        s.chips_used = P->used;
        s.predicted_ps = L->timed ? P->total_ps : 0;
        double lanes = (double)hw->rows * hw->cols * (double)s.cycles;
        s.utilization = lanes > 0 ? (double)m * k * n / lanes : 0;
        *stats = s;
    }
    return TLPU_OK;
}

static tlpu_status unpack_rows(const tlpu_dev_layer *L, const uint8_t *w, size_t rb,
                               int8_t *trits)
{
    tlpu_status st = TLPU_OK;
    for (size_t r = 0; r < L->n && st == TLPU_OK; r++) {
        st = L->fmt == TLPU_FMT_PACK2 ? tlpu_unpack2(w + r * rb, rb, L->k, trits + r * L->k)
                                      : tlpu_unpack3(w + r * rb, rb, L->k, trits + r * L->k);
        if (st != TLPU_OK)
            tlpu_fail(st, "weight row %zu: not valid %s bytes", r,
                      L->fmt == TLPU_FMT_PACK2 ? "2-bit" : "base-3");
    }
    return st;
}

static tlpu_status layer_load_mc(tlpu_dev *dev, tlpu_dev_layer *L, const uint8_t *w, size_t rb,
                                 const tlpu_schedule *sched, tlpu_dev_layer **out)
{
    int8_t *trits = malloc((size_t)L->n * L->k);
    L->xs = calloc(L->m, tlpu_act_stride(&dev->info.hw, L->k));
    tlpu_status st = TLPU_OK;
    if (!trits || !L->xs)
        st = tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    if (st == TLPU_OK)
        st = unpack_rows(L, w, rb, trits);
    if (st == TLPU_OK)
        st = mc_load(dev, L, trits, sched);
    if (st == TLPU_OK && !(L->ys = malloc(L->mc->gather_bytes)))
        st = tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    free(trits);
    if (st != TLPU_OK) {
        tlpu_dev_layer_free(L);
        return st;
    }
    *out = L;
    return TLPU_OK;
}

tlpu_status tlpu_dev_layer_load(tlpu_dev *dev, uint32_t m, uint32_t k, uint32_t n, unsigned fmt,
                                const uint8_t *w, const tlpu_schedule *sched,
                                tlpu_dev_layer **out)
{
    if (!dev || !w || !out)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_dev_layer_load: NULL argument");
    if (m == 0 || k == 0 || n == 0)
        return tlpu_fail(TLPU_ERR_SHAPE, "BitLinear %ux%ux%u has a zero dimension", m, k, n);
    if (fmt != TLPU_FMT_PACK2 && fmt != TLPU_FMT_PACK3)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "unknown weight format %u", fmt);
    if (!(dev->info.formats & (1u << fmt)))
        return tlpu_fail(TLPU_ERR_UNSUPPORTED, "the device does not take weight format %u", fmt);
    const tlpu_hw *hw = &dev->info.hw;
    const size_t rb = tlpu_packed_row_bytes(fmt, k);
    tlpu_dev_layer *L = calloc(1, sizeof *L);
    if (!L)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    L->dev = dev;
    L->m = m, L->k = k, L->n = n, L->fmt = fmt;
    if (dev->tr->bl_load) { /* no core: the transport computes BitLinears itself */
        int8_t *trits = malloc((size_t)n * k);
        tlpu_status st = trits ? unpack_rows(L, w, rb, trits)
                               : tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        if (st == TLPU_OK)
            st = dev->tr->bl_load(dev->ctx, k, n, trits, &L->host);
        free(trits);
        if (st != TLPU_OK) {
            free(L);
            return st;
        }
        *out = L;
        return TLPU_OK;
    }
    if (dev->info.chip_shift)
        return layer_load_mc(dev, L, w, rb, sched, out);
    tlpu_status st = tlpu_tile_bitlinear_effort(hw, m, k, n, fmt, dev->info.mem_latency,
                                                sched ? TLPU_TILE_NONE : TLPU_TILE_FULL, &L->t);
    if (st != TLPU_OK) {
        free(L);
        return tlpu_fail(st, "no schedule for %ux%ux%u on this core: %s", m, k, n,
                         tlpu_strerror(st));
    }
    if (sched && (st = tlpu_tiling_schedule(hw, &L->t, sched)) != TLPU_OK) {
        free(L);
        return tlpu_fail(st, "the given schedule does not suit %ux%ux%u on this core", m, k, n);
    }
    L->ad.act_stride = tlpu_act_stride(hw, k);
    L->ad.out_stride = tlpu_out_stride(hw, n);
    if ((uint64_t)m * L->ad.act_stride + (uint64_t)m * L->ad.out_stride + L->t.weight_bytes >
        dev->info.dram_size) {
        free(L);
        return tlpu_fail(TLPU_ERR_NOMEM, "%ux%ux%u does not fit the device memory", m, k, n);
    }
    /* host-side buffers: trits and the weight image (only while loading) */
    int8_t *trits = malloc((size_t)n * k);
    uint8_t *img = malloc(L->t.weight_bytes);
    L->xs = calloc(m, L->ad.act_stride);
    L->ys = malloc((size_t)m * L->ad.out_stride);
    tlpu_program prog;
    tlpu_program_init(&prog);
    if (!trits || !img || !L->xs || !L->ys) {
        st = tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = unpack_rows(L, w, rb, trits)) != TLPU_OK)
        goto out;
    if ((st = tlpu_weights_image(hw, &L->t, trits, img, L->t.weight_bytes)) != TLPU_OK) {
        tlpu_fail(st, "weight image: %s", tlpu_strerror(st));
        goto out;
    }
    bl_mem *mem = &L->mem;
    if ((st = tlpu_mem_alloc(dev, L->t.weight_bytes, &mem->w)) != TLPU_OK)
        goto out;
    mem->have_w = 1;
    if ((st = tlpu_mem_alloc(dev, (uint64_t)m * L->ad.act_stride, &mem->x)) != TLPU_OK)
        goto out;
    mem->have_x = 1;
    if ((st = tlpu_mem_alloc(dev, (uint64_t)m * L->ad.out_stride, &mem->y)) != TLPU_OK)
        goto out;
    mem->have_y = 1;
    L->ad.weights = mem->w;
    L->ad.act = mem->x;
    L->ad.out = mem->y;
    if ((st = tlpu_compile_bitlinear(hw, &L->t, &L->ad, &prog)) != TLPU_OK) {
        tlpu_fail(st, "compiling the program: %s", tlpu_strerror(st));
        goto out;
    }
    if ((st = tlpu_mem_alloc(dev, tlpu_program_bytes(&prog), &mem->prog)) != TLPU_OK)
        goto out;
    mem->have_prog = 1;
    L->insns = (uint32_t)prog.n;
    if ((st = tlpu_mem_write(dev, mem->w, img, L->t.weight_bytes)) != TLPU_OK ||
        (st = tlpu_mem_write(dev, mem->prog, prog.insns, tlpu_program_bytes(&prog))) != TLPU_OK)
        goto out;
out:
    tlpu_program_free(&prog);
    free(trits);
    free(img);
    if (st != TLPU_OK) {
        tlpu_dev_layer_free(L);
        return st;
    }
    *out = L;
    return TLPU_OK;
}

tlpu_status tlpu_dev_layer_run(tlpu_dev_layer *L, const int8_t *x, int32_t *y, float *y_f,
                               float w_scale, const float *x_scale, tlpu_bitlinear_stats *stats)
{
    if (!L || !x || !y)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_dev_layer_run: NULL argument");
    if (y_f && !x_scale)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_dev_layer_run: y_f needs x_scale");
    tlpu_dev *dev = L->dev;
    const tlpu_hw *hw = &dev->info.hw;
    const size_t m = L->m, k = L->k, n = L->n;
    if (L->host) { /* ref: the exact products, no core, no cycles */
        int32_t *ym = malloc(m * n * sizeof *ym);
        if (!ym)
            return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        tlpu_status st = dev->tr->bl_run(dev->ctx, L->host, (uint32_t)m, x, ym);
        if (st == TLPU_OK) {
            memcpy(y, ym, m * n * sizeof *ym);
            if (y_f && (st = tlpu_bitlinear_dequantize(m, n, y, x_scale, w_scale, y_f)) !=
                           TLPU_OK)
                tlpu_fail(st, "dequantizing: %s", tlpu_strerror(st));
            if (st == TLPU_OK && stats)
                memset(stats, 0, sizeof *stats);
        }
        free(ym);
        return st;
    }
    if (L->mc) {
        /* y is written only when everything worked: stage in a copy */
        int32_t *ym = malloc(m * n * sizeof *ym);
        if (!ym)
            return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        tlpu_status st = mc_run(L, x, ym, stats);
        if (st == TLPU_OK) {
            memcpy(y, ym, m * n * sizeof *ym);
            if (y_f && (st = tlpu_bitlinear_dequantize(m, n, y, x_scale, w_scale, y_f)) !=
                           TLPU_OK)
                tlpu_fail(st, "dequantizing: %s", tlpu_strerror(st));
        }
        free(ym);
        return st;
    }
    for (size_t r = 0; r < m; r++)
        memcpy(L->xs + r * L->ad.act_stride, x + r * k, k);
    tlpu_status st;
    if ((st = tlpu_mem_write(dev, L->mem.x, L->xs, m * L->ad.act_stride)) != TLPU_OK ||
        (st = tlpu_counters_reset(dev)) != TLPU_OK ||
        (st = tlpu_run(dev, L->mem.prog, L->insns)) != TLPU_OK)
        return st;
    /* device time: the predicted cycles at 1 GHz, ten times over, plus 1 s */
    tlpu_run_result rr;
    st = tlpu_wait(dev, L->t.predicted_cycles / 100 + 1000000, &rr);
    if (st == TLPU_ERR_TIMEOUT) {
        tlpu_reset(dev);
        return tlpu_fail(st, "the BitLinear did not finish (predicted %llu cycles)",
                         (unsigned long long)L->t.predicted_cycles);
    }
    if (st == TLPU_ERR_CANCELLED) { /* stop the program too; the message stays */
        char msg[320];
        snprintf(msg, sizeof msg, "%s", tlpu_last_error());
        tlpu_reset(dev);
        return tlpu_fail(st, "%s", msg);
    }
    if (st != TLPU_OK)
        return st;
    if ((st = tlpu_mem_read(dev, L->mem.y, L->ys, m * L->ad.out_stride)) != TLPU_OK)
        return st;
    tlpu_bitlinear_stats s;
    memset(&s, 0, sizeof s);
    if (stats && (st = tlpu_counters(dev, s.counters)) != TLPU_OK)
        return st;
    /* only now are the outputs written: a failure leaves them untouched */
    for (size_t r = 0; r < m; r++)
        memcpy(y + r * n, L->ys + r * L->ad.out_stride, n * sizeof(int32_t));
    if (y_f && (st = tlpu_bitlinear_dequantize(m, n, y, x_scale, w_scale, y_f)) != TLPU_OK)
        return tlpu_fail(st, "dequantizing: %s", tlpu_strerror(st));
    if (stats) {
        s.cycles = rr.cycles;
        s.predicted_cycles = L->t.predicted_cycles;
        s.insns = L->insns;
        s.weight_bytes = L->t.weight_bytes;
        double lanes = (double)hw->rows * hw->cols * (double)rr.cycles;
        s.utilization = lanes > 0 ? (double)m * k * n / lanes : 0;
        *stats = s;
    }
    return TLPU_OK;
}

tlpu_status tlpu_dev_bitlinear(tlpu_dev *dev, const tlpu_bitlinear_args *a,
                               tlpu_bitlinear_stats *stats)
{
    if (!dev || !a || !a->x || !a->w || !a->y)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_dev_bitlinear: NULL argument");
    if (a->y_f && !a->x_scale)
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "tlpu_dev_bitlinear: y_f needs x_scale");
    tlpu_dev_layer *L = NULL;
    tlpu_status st = tlpu_dev_layer_load(dev, a->m, a->k, a->n, a->fmt, a->w, a->sched, &L);
    if (st != TLPU_OK)
        return st;
    st = tlpu_dev_layer_run(L, a->x, a->y, a->y_f, a->w_scale, a->x_scale, stats);
    tlpu_dev_layer_free(L);
    return st;
}
