/* SPDX-License-Identifier: Apache-2.0 */
/* isa.c - instruction encoding and printing (tlpu/isa.h). */
#include "tlpu/isa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tlpu_insn_set(tlpu_insn *in, unsigned lsb, unsigned width, uint32_t value)
{
    for (unsigned i = 0; i < width && lsb + i < TLPU_INSN_BITS; i++) {
        unsigned bit = lsb + i;
        uint8_t m = (uint8_t)(1u << (bit % 8));
        if ((value >> i) & 1u)
            in->b[bit / 8] |= m;
        else
            in->b[bit / 8] &= (uint8_t)~m;
    }
}

uint32_t tlpu_insn_get(const tlpu_insn *in, unsigned lsb, unsigned width)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < width && lsb + i < TLPU_INSN_BITS; i++) {
        unsigned bit = lsb + i;
        v |= (uint32_t)((in->b[bit / 8] >> (bit % 8)) & 1u) << i;
    }
    return v;
}

static tlpu_insn op(unsigned code)
{
    tlpu_insn in;
    memset(&in, 0, sizeof in);
    in.b[0] = (uint8_t)code;
    return in;
}

#define SET(in, INS, F, v) tlpu_insn_set(&(in), TLPU_##INS##_##F##_LSB, TLPU_##INS##_##F##_WIDTH, (v))
#define GET(in, INS, F) tlpu_insn_get((in), TLPU_##INS##_##F##_LSB, TLPU_##INS##_##F##_WIDTH)

tlpu_insn tlpu_insn_end(void) { return op(TLPU_OP_END); }

tlpu_insn tlpu_insn_sync(unsigned mask)
{
    tlpu_insn in = op(TLPU_OP_SYNC);
    SET(in, SYNC, MASK, mask);
    return in;
}

tlpu_insn tlpu_insn_ldw(unsigned bank, unsigned fmt, uint32_t nchunk, uint32_t addr,
                        uint32_t woff)
{
    tlpu_insn in = op(TLPU_OP_LDW);
    SET(in, LDW, BANK, bank);
    SET(in, LDW, FMT, fmt);
    SET(in, LDW, NCHUNK, nchunk);
    SET(in, LDW, ADDR, addr);
    SET(in, LDW, WOFF, woff);
    return in;
}

tlpu_insn tlpu_insn_lda(uint32_t nbytes, uint32_t rows, uint32_t dst, uint32_t addr,
                        uint32_t stride, uint32_t dstride)
{
    tlpu_insn in = op(TLPU_OP_LDA);
    SET(in, LDA, NBYTES, nbytes);
    SET(in, LDA, ROWS, rows);
    SET(in, LDA, DST, dst);
    SET(in, LDA, ADDR, addr);
    SET(in, LDA, STRIDE, stride);
    SET(in, LDA, DSTRIDE, dstride);
    return in;
}

tlpu_insn tlpu_insn_mm(unsigned bank, unsigned acc, uint32_t nchunk, uint32_t src,
                       uint32_t tokens, uint32_t astride, uint32_t dst, uint32_t woff)
{
    tlpu_insn in = op(TLPU_OP_MM);
    SET(in, MM, BANK, bank);
    SET(in, MM, ACC, acc);
    SET(in, MM, NCHUNK, nchunk);
    SET(in, MM, SRC, src);
    SET(in, MM, TOKENS, tokens);
    SET(in, MM, ASTRIDE, astride);
    SET(in, MM, DST, dst);
    SET(in, MM, WOFF, woff);
    return in;
}

tlpu_insn tlpu_insn_st(uint32_t src, uint32_t rows, uint32_t count, uint32_t addr,
                       uint32_t stride)
{
    tlpu_insn in = op(TLPU_OP_ST);
    SET(in, ST, SRC, src);
    SET(in, ST, ROWS, rows);
    SET(in, ST, COUNT, count);
    SET(in, ST, ADDR, addr);
    SET(in, ST, STRIDE, stride);
    return in;
}

int tlpu_insn_format(const tlpu_insn *in, char *buf, size_t size)
{
    switch (tlpu_insn_op(in)) {
    case TLPU_OP_END:
        return snprintf(buf, size, "END");
    case TLPU_OP_SYNC: {
        unsigned m = GET(in, SYNC, MASK);
        return snprintf(buf, size, "SYNC%s%s%s", (m & TLPU_SYNC_DMA) ? " DMA" : "",
                        (m & TLPU_SYNC_EX) ? " EX" : "", m ? "" : " (none)");
    }
    case TLPU_OP_LDW:
        return snprintf(buf, size, "LDW bank=%u fmt=%s nchunk=%u woff=%u addr=0x%x",
                        GET(in, LDW, BANK), GET(in, LDW, FMT) ? "PACK3" : "PACK2",
                        GET(in, LDW, NCHUNK), GET(in, LDW, WOFF), GET(in, LDW, ADDR));
    case TLPU_OP_LDA:
        return snprintf(buf, size, "LDA nbytes=%u rows=%u dst=%u dstride=%u addr=0x%x stride=%u",
                        GET(in, LDA, NBYTES), GET(in, LDA, ROWS), GET(in, LDA, DST),
                        GET(in, LDA, DSTRIDE), GET(in, LDA, ADDR), GET(in, LDA, STRIDE));
    case TLPU_OP_MM:
        return snprintf(buf, size,
                        "MM bank=%u acc=%u nchunk=%u woff=%u src=%u tokens=%u astride=%u dst=%u",
                        GET(in, MM, BANK), GET(in, MM, ACC), GET(in, MM, NCHUNK), GET(in, MM, WOFF),
                        GET(in, MM, SRC), GET(in, MM, TOKENS), GET(in, MM, ASTRIDE),
                        GET(in, MM, DST));
    case TLPU_OP_ST:
        return snprintf(buf, size, "ST src=%u rows=%u count=%u addr=0x%x stride=%u",
                        GET(in, ST, SRC), GET(in, ST, ROWS), GET(in, ST, COUNT),
                        GET(in, ST, ADDR), GET(in, ST, STRIDE));
    default:
        return snprintf(buf, size, "??? op=0x%02x", tlpu_insn_op(in));
    }
}

void tlpu_program_init(tlpu_program *p)
{
    memset(p, 0, sizeof *p);
}

void tlpu_program_free(tlpu_program *p)
{
    if (!p)
        return;
    free(p->insns);
    memset(p, 0, sizeof *p);
}

tlpu_status tlpu_program_push(tlpu_program *p, tlpu_insn in)
{
    if (!p)
        return TLPU_ERR_INVALID_ARG;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        tlpu_insn *ni = realloc(p->insns, cap * sizeof *ni);
        if (!ni)
            return TLPU_ERR_NOMEM;
        p->insns = ni;
        p->cap = cap;
    }
    p->insns[p->n++] = in;
    return TLPU_OK;
}
