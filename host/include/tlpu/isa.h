/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/isa.h - building, reading and printing tlpu core instructions.
 *
 * Every instruction is 128 bits, stored in device memory as 16 bytes, little
 * endian (byte 0 holds bits 7:0, the opcode). Field positions come from the
 * generated tlpu/spec.h (single source: rtl/spec/tlpu.json); docs/isa.md
 * explains each instruction and its latency.
 */
#ifndef TLPU_ISA_H
#define TLPU_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/spec.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_insn {
    uint8_t b[TLPU_INSN_BYTES];
} tlpu_insn;

/* Field access: value truncated to width bits (width <= 32). */
void tlpu_insn_set(tlpu_insn *in, unsigned lsb, unsigned width, uint32_t value);
uint32_t tlpu_insn_get(const tlpu_insn *in, unsigned lsb, unsigned width);
static inline unsigned tlpu_insn_op(const tlpu_insn *in) { return in->b[0]; }

tlpu_insn tlpu_insn_end(void);
tlpu_insn tlpu_insn_sync(unsigned mask);
/* woff: first weight-buffer chunk written (LDW) or read (MM) */
tlpu_insn tlpu_insn_ldw(unsigned bank, unsigned fmt, uint32_t nchunk, uint32_t addr,
                        uint32_t woff);
/* dstride: ABUF words between rows, 0 for the row's own ceil(nbytes/COLS) */
tlpu_insn tlpu_insn_lda(uint32_t nbytes, uint32_t rows, uint32_t dst, uint32_t addr,
                        uint32_t stride, uint32_t dstride);
tlpu_insn tlpu_insn_mm(unsigned bank, unsigned acc, uint32_t nchunk, uint32_t src,
                       uint32_t tokens, uint32_t astride, uint32_t dst, uint32_t woff);
tlpu_insn tlpu_insn_st(uint32_t src, uint32_t rows, uint32_t count, uint32_t addr,
                       uint32_t stride);

/* "LDW bank=0 fmt=PACK2 nchunk=32 addr=0x1000" etc.; "??? op=0x17" for
 * unknown opcodes. Returns the length snprintf would have written. */
int tlpu_insn_format(const tlpu_insn *in, char *buf, size_t size);

/* A growable instruction list. */
typedef struct tlpu_program {
    tlpu_insn *insns;
    size_t n, cap;
} tlpu_program;

void tlpu_program_init(tlpu_program *p);
void tlpu_program_free(tlpu_program *p);
tlpu_status tlpu_program_push(tlpu_program *p, tlpu_insn in);
/* The program as device bytes: 16 * n. */
static inline size_t tlpu_program_bytes(const tlpu_program *p) { return p->n * TLPU_INSN_BYTES; }

#ifdef __cplusplus
}
#endif

#endif /* TLPU_ISA_H */
