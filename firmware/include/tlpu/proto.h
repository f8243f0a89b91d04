/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/proto.h - the wire protocol between the host driver and the device
 * firmware. The one definition of it: the driver (driver/) and the firmware
 * (firmware/) both include this header; docs/protocol.md explains it.
 *
 * A message is one packet: a 24-byte header, then `length` payload bytes.
 * All integers are little-endian. The CRC-32 (IEEE 802.3, reflected,
 * polynomial 0xEDB88320, init and final xor 0xFFFFFFFF) covers the header
 * with its crc field set to zero, then the payload.
 *
 *   off size field
 *    0   4  magic    TLPU_PROTO_MAGIC ("TLP1")
 *    4   1  version  TLPU_PROTO_VERSION
 *    5   1  opcode   TLPU_OP_* (a reply echoes the request's)
 *    6   2  flags    bit 0: reply
 *    8   4  tag      chosen by the host; a reply carries its request's
 *   12   4  length   payload bytes, <= TLPU_PROTO_MAX_PAYLOAD
 *   16   4  status   request: 0; reply: TLPU_PST_*
 *   20   4  crc
 *
 * Every request gets exactly one reply. A request whose header cannot be
 * read (too short, bad magic) is answered with tag 0 and opcode 0.
 * Freestanding C: no libc, nothing but <stdint.h> and <stddef.h>.
 */
#ifndef TLPU_PROTO_H
#define TLPU_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define TLPU_PROTO_MAGIC 0x31504C54u /* bytes "TLP1" */
#define TLPU_PROTO_VERSION 1u
#define TLPU_PROTO_HDR_BYTES 24u
/* largest payload: 8 USB 2.0 bulk packets (512 B) or 4 USB 3 ones (1 KiB) */
#define TLPU_PROTO_MAX_PAYLOAD 4096u
#define TLPU_PROTO_MAX_PACKET (TLPU_PROTO_HDR_BYTES + TLPU_PROTO_MAX_PAYLOAD)
#define TLPU_PROTO_FLAG_REPLY 1u

/* ---- USB: how a board carries the packets (docs/protocol.md, "USB") -------------
 * One vendor-class interface with two bulk endpoints: a request is one bulk
 * OUT transfer, its reply one bulk IN transfer (ended by a short packet, or
 * a zero-length packet when it fills whole packets). VID 0x1209 is pid.codes'
 * open-hardware vendor ID; the product ID is this project's default until
 * one is allocated (the driver's usb: URI can name another: usb:vid=,pid=). */
#define TLPU_USB_VID 0x1209u
#define TLPU_USB_PID 0x7470u
#define TLPU_USB_INTERFACE 0u
#define TLPU_USB_CLASS 0xFFu    /* vendor specific */
#define TLPU_USB_SUBCLASS 0x54u /* 'T' */
#define TLPU_USB_PROTOCOL 0x01u /* wire protocol version 1 */
#define TLPU_USB_EP_OUT 0x01u
#define TLPU_USB_EP_IN 0x81u

/* ---- opcodes: request payload -> reply payload ------------------------------ */
#define TLPU_OPS(X)                                                                           \
    X(INFO, 0x01, "device info: nothing -> tlpu_proto_info")                                  \
    X(MEM_WRITE, 0x02, "u64 addr, data bytes (1 .. MAX_PAYLOAD-8) -> nothing")               \
    X(MEM_READ, 0x03, "u64 addr, u32 n (1 .. MAX_PAYLOAD) -> n data bytes")                  \
    X(CSR_WRITE, 0x04, "u32 addr, u32 value -> nothing (writable CSRs only)")                \
    X(CSR_READ, 0x05, "u32 addr -> u32 value")                                                \
    X(RUN, 0x06, "u64 prog_addr, u32 prog_len -> nothing (starts the core)")                  \
    X(WAIT, 0x07, "u32 timeout_us -> tlpu_proto_done")                                        \
    X(COUNTERS, 0x08, "nothing -> 16 x u64 performance counters")                             \
    X(COUNTERS_RESET, 0x09, "nothing -> nothing")                                             \
    X(RESET, 0x0A, "nothing -> nothing (soft reset of the core)")                             \
    X(ECHO, 0x0B, "any bytes -> the same bytes (link test)")                                  \
    X(MC_RUN, 0x0C, "u64 table_addr, u32 n_chips -> tlpu_proto_mc_done (multi-chip schedule)")

#define TLPU_OP_ENUM_(name, code, doc) TLPU_PROTO_OP_##name = code,
enum tlpu_proto_op { TLPU_OPS(TLPU_OP_ENUM_) };
#undef TLPU_OP_ENUM_

/* ---- reply status ------------------------------------------------------------ */
#define TLPU_PSTS(X)                                                                          \
    X(OK, 0, "done")                                                                          \
    X(BAD_MAGIC, 1, "the packet does not start with the magic")                               \
    X(BAD_VERSION, 2, "unknown protocol version")                                             \
    X(BAD_LENGTH, 3, "packet shorter than its header, or length field wrong for the opcode")  \
    X(BAD_CRC, 4, "CRC-32 mismatch")                                                          \
    X(BAD_OPCODE, 5, "unknown opcode, or a reply flag in a request")                          \
    X(BAD_ARG, 6, "a field has a value the command does not accept")                          \
    X(RANGE, 7, "an address range outside device memory or the CSR map")                      \
    X(ALIGN, 8, "an address or length that must be beat aligned is not")                      \
    X(BUSY, 9, "the core is running a program")                                               \
    X(TIMEOUT, 10, "the program did not finish within the timeout")                           \
    X(DEVICE, 11, "the program ended with a core error (see the reply payload)")              \
    X(PORT, 12, "the device's memory or CSR access failed")                                   \
    X(UNSUPPORTED, 13, "a valid command this device cannot carry out (MC_RUN on one chip)")

#define TLPU_PST_ENUM_(name, code, doc) TLPU_PST_##name = code,
enum tlpu_proto_status { TLPU_PSTS(TLPU_PST_ENUM_) };
#undef TLPU_PST_ENUM_

/* ---- payload layouts (little-endian, packed by hand: see the put/get helpers) - */

/* INFO reply */
#define TLPU_PROTO_INFO_BYTES 80u
typedef struct tlpu_proto_info {
    uint32_t proto_version; /* TLPU_PROTO_VERSION */
    uint32_t fw_version;    /* major << 16 | minor */
    uint32_t core_id;       /* the ID CSR */
    uint32_t core_version;  /* the VERSION CSR */
    uint32_t rows, cols, beat_bytes, wbuf_chunks, abuf_words, obuf_words, imem_depth;
    uint32_t formats, burst_beats, queue_depth;
    uint32_t max_payload;   /* TLPU_PROTO_MAX_PAYLOAD */
    uint32_t mem_latency;   /* the DRAM read latency in core cycles (nominal) */
    uint64_t dram_size;     /* device memory bytes, from address 0 (per chip) */
    uint32_t chips;         /* chips in the system (1: a single-chip board) */
    uint32_t chip_shift;    /* chip c's memory starts at c << chip_shift; nonzero: an LPU
                               system (MC_RUN works, also with one chip), 0: a board */
} tlpu_proto_info;

/* ---- multi-chip systems (docs/protocol.md, "Multi-chip") ---------------------------
 * A system of `chips` chips (INFO) is one address space: chip c's memory is
 * [c << chip_shift, (c << chip_shift) + dram_size). The host link reaches
 * chip 0; MEM_WRITE and MEM_READ to another chip's window cross the
 * chip-to-chip links. CSR_*, RUN and WAIT address chip 0's core.
 *
 * MC_RUN starts a static multi-chip schedule: chip 0's memory holds, at
 * table_addr (16-byte aligned), n_chips entries of TLPU_MC_ENTRY_BYTES:
 *   u64 stream  chip c's op stream, an address in chip c's own memory
 *               (local: without the chip's window base), 16-byte aligned
 *   u32 n_ops   ops in it (0 .. TLPU_MC_MAX_OPS)
 *   u32 zero
 * Every chip runs its stream in order, all starting at once. An op is
 * TLPU_MC_OP_BYTES:
 *   u8  kind    TLPU_MC_SEND, TLPU_MC_RECV or TLPU_MC_RUNCORE
 *   u8  zero
 *   u16 peer    SEND: the chip it goes to; RECV: the chip it comes from (a
 *               neighbour on the topology: next or previous on a ring,
 *               any other chip when fully connected)
 *   u32 len     SEND / RECV: bytes (1 .. 2^31); RUNCORE: instructions
 *   u64 src     SEND: local address of the data; RUNCORE: the program
 *   u64 dst     SEND: local address in the peer's memory
 *   u64 zero
 * SEND queues the bytes on the link to the peer and goes on at once (each
 * directed link carries its transfers one after the other in the order they
 * were queued); RECV waits for the next transfer from that peer and checks
 * its length; RUNCORE runs a program on the chip's core to its end. Every
 * field is checked on every chip before anything starts. */
#define TLPU_MC_MAX_CHIPS 64u
#define TLPU_MC_MAX_OPS 65536u
#define TLPU_MC_ENTRY_BYTES 16u
#define TLPU_MC_OP_BYTES 32u
enum tlpu_mc_kind { TLPU_MC_SEND = 1, TLPU_MC_RECV = 2, TLPU_MC_RUNCORE = 3 };

/* MC_RUN reply: u32 n_chips, u32 zero, then per chip {u64 cycles (its
 * RUNCORE programs' CYCLES, summed), u32 hw_error (the first core error,
 * 0 if none), u32 err_pc}, then the 16 counters summed over the chips. */
#define TLPU_PROTO_MC_DONE_BYTES(n) (8u + 16u * (n) + 8u * 16u)

/* WAIT reply: the core's STATUS and ERR_PC and the CYCLES counter */
#define TLPU_PROTO_DONE_BYTES 16u
typedef struct tlpu_proto_done {
    uint32_t status;  /* the STATUS CSR: bit 1 DONE, bits 15:8 the core's error code */
    uint32_t err_pc;  /* ERR_PC */
    uint64_t cycles;  /* the CYCLES counter */
} tlpu_proto_done;

typedef struct tlpu_proto_hdr {
    uint32_t magic;
    uint8_t version, opcode;
    uint16_t flags;
    uint32_t tag, length, status, crc;
} tlpu_proto_hdr;

/* ---- little-endian access ------------------------------------------------------- */
static inline void tlpu_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void tlpu_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tlpu_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t tlpu_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t tlpu_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t tlpu_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* CRC-32 (IEEE); chain calls by passing the previous result as crc (start
 * with 0). In firmware/src/crc32.c, part of both the firmware and the driver. */
uint32_t tlpu_crc32(uint32_t crc, const void *data, size_t n);

/* Writes a header (crc over header and payload computed here) into p[0..23];
 * the payload must already be at p + 24. */
static inline void tlpu_proto_seal(uint8_t *p, uint8_t opcode, uint16_t flags, uint32_t tag,
                                   uint32_t length, uint32_t status)
{
    tlpu_put_u32(p + 0, TLPU_PROTO_MAGIC);
    p[4] = (uint8_t)TLPU_PROTO_VERSION;
    p[5] = opcode;
    tlpu_put_u16(p + 6, flags);
    tlpu_put_u32(p + 8, tag);
    tlpu_put_u32(p + 12, length);
    tlpu_put_u32(p + 16, status);
    tlpu_put_u32(p + 20, 0);
    uint32_t c = tlpu_crc32(0, p, TLPU_PROTO_HDR_BYTES);
    c = tlpu_crc32(c, p + TLPU_PROTO_HDR_BYTES, length);
    tlpu_put_u32(p + 20, c);
}

static inline void tlpu_proto_read_hdr(const uint8_t *p, tlpu_proto_hdr *h)
{
    h->magic = tlpu_get_u32(p + 0);
    h->version = p[4];
    h->opcode = p[5];
    h->flags = tlpu_get_u16(p + 6);
    h->tag = tlpu_get_u32(p + 8);
    h->length = tlpu_get_u32(p + 12);
    h->status = tlpu_get_u32(p + 16);
    h->crc = tlpu_get_u32(p + 20);
}

/* The CRC a packet of n bytes (header + payload) should carry. */
static inline uint32_t tlpu_proto_crc_of(const uint8_t *p, size_t n)
{
    uint8_t h[TLPU_PROTO_HDR_BYTES];
    for (unsigned i = 0; i < TLPU_PROTO_HDR_BYTES; i++)
        h[i] = i >= 20 ? 0 : p[i];
    uint32_t c = tlpu_crc32(0, h, TLPU_PROTO_HDR_BYTES);
    return tlpu_crc32(c, p + TLPU_PROTO_HDR_BYTES, n - TLPU_PROTO_HDR_BYTES);
}

#endif /* TLPU_PROTO_H */
