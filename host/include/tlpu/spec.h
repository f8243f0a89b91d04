/* GENERATED from rtl/spec/tlpu.json by scripts/gen_spec.py - do not edit. */
/* The tlpu hardware/software contract: instruction encoding, CSRs, errors, counters. */
#ifndef TLPU_SPEC_H
#define TLPU_SPEC_H

#define TLPU_SPEC_VERSION_MAJOR 0u
#define TLPU_SPEC_VERSION_MINOR 1u
#define TLPU_ID_MAGIC 0x544C5055u
#define TLPU_INSN_BITS 128u
#define TLPU_INSN_BYTES 16u

/* default build parameters */
#define TLPU_DEFAULT_ROWS 32u
#define TLPU_DEFAULT_COLS 80u
#define TLPU_DEFAULT_BEAT_BYTES 16u
#define TLPU_DEFAULT_WBUF_CHUNKS 128u
#define TLPU_DEFAULT_ABUF_WORDS 8192u
#define TLPU_DEFAULT_OBUF_WORDS 2048u
#define TLPU_DEFAULT_IMEM_DEPTH 1024u
#define TLPU_DEFAULT_BURST_BEATS 16u
#define TLPU_DEFAULT_QUEUE_DEPTH 8u

/* weight formats */
#define TLPU_FMT_PACK2 0u
#define TLPU_FMT_PACK3 1u

/* SYNC mask bits */
#define TLPU_SYNC_DMA 1u
#define TLPU_SYNC_EX 2u

/* opcodes (bits 7:0) and fields: _LSB, _WIDTH */
#define TLPU_OP_LSB 0u
#define TLPU_OP_WIDTH 8u
#define TLPU_OP_END 0u
#define TLPU_OP_SYNC 1u
#define TLPU_SYNC_MASK_LSB 8u
#define TLPU_SYNC_MASK_WIDTH 2u
#define TLPU_OP_LDW 2u
#define TLPU_LDW_BANK_LSB 8u
#define TLPU_LDW_BANK_WIDTH 1u
#define TLPU_LDW_FMT_LSB 9u
#define TLPU_LDW_FMT_WIDTH 1u
#define TLPU_LDW_NCHUNK_LSB 16u
#define TLPU_LDW_NCHUNK_WIDTH 16u
#define TLPU_LDW_ADDR_LSB 32u
#define TLPU_LDW_ADDR_WIDTH 32u
#define TLPU_LDW_WOFF_LSB 64u
#define TLPU_LDW_WOFF_WIDTH 16u
#define TLPU_LDW_WAIT_LSB 126u
#define TLPU_LDW_WAIT_WIDTH 1u
#define TLPU_LDW_SIGNAL_LSB 127u
#define TLPU_LDW_SIGNAL_WIDTH 1u
#define TLPU_OP_LDA 3u
#define TLPU_LDA_DSTRIDE_LSB 8u
#define TLPU_LDA_DSTRIDE_WIDTH 8u
#define TLPU_LDA_NBYTES_LSB 16u
#define TLPU_LDA_NBYTES_WIDTH 16u
#define TLPU_LDA_ROWS_LSB 32u
#define TLPU_LDA_ROWS_WIDTH 16u
#define TLPU_LDA_DST_LSB 48u
#define TLPU_LDA_DST_WIDTH 16u
#define TLPU_LDA_ADDR_LSB 64u
#define TLPU_LDA_ADDR_WIDTH 32u
#define TLPU_LDA_STRIDE_LSB 96u
#define TLPU_LDA_STRIDE_WIDTH 24u
#define TLPU_LDA_WAIT_LSB 126u
#define TLPU_LDA_WAIT_WIDTH 1u
#define TLPU_LDA_SIGNAL_LSB 127u
#define TLPU_LDA_SIGNAL_WIDTH 1u
#define TLPU_OP_MM 4u
#define TLPU_MM_BANK_LSB 8u
#define TLPU_MM_BANK_WIDTH 1u
#define TLPU_MM_ACC_LSB 9u
#define TLPU_MM_ACC_WIDTH 1u
#define TLPU_MM_NCHUNK_LSB 16u
#define TLPU_MM_NCHUNK_WIDTH 16u
#define TLPU_MM_SRC_LSB 32u
#define TLPU_MM_SRC_WIDTH 16u
#define TLPU_MM_TOKENS_LSB 48u
#define TLPU_MM_TOKENS_WIDTH 16u
#define TLPU_MM_ASTRIDE_LSB 64u
#define TLPU_MM_ASTRIDE_WIDTH 16u
#define TLPU_MM_DST_LSB 80u
#define TLPU_MM_DST_WIDTH 16u
#define TLPU_MM_WOFF_LSB 96u
#define TLPU_MM_WOFF_WIDTH 16u
#define TLPU_MM_WAIT_LSB 126u
#define TLPU_MM_WAIT_WIDTH 1u
#define TLPU_MM_SIGNAL_LSB 127u
#define TLPU_MM_SIGNAL_WIDTH 1u
#define TLPU_OP_ST 5u
#define TLPU_ST_SRC_LSB 16u
#define TLPU_ST_SRC_WIDTH 16u
#define TLPU_ST_ROWS_LSB 32u
#define TLPU_ST_ROWS_WIDTH 16u
#define TLPU_ST_COUNT_LSB 48u
#define TLPU_ST_COUNT_WIDTH 16u
#define TLPU_ST_ADDR_LSB 64u
#define TLPU_ST_ADDR_WIDTH 32u
#define TLPU_ST_STRIDE_LSB 96u
#define TLPU_ST_STRIDE_WIDTH 24u
#define TLPU_ST_WAIT_LSB 126u
#define TLPU_ST_WAIT_WIDTH 1u
#define TLPU_ST_SIGNAL_LSB 127u
#define TLPU_ST_SIGNAL_WIDTH 1u

/* X(name, code) for every opcode */
#define TLPU_OPCODES(X) \
    X(END, 0) \
    X(SYNC, 1) \
    X(LDW, 2) \
    X(LDA, 3) \
    X(MM, 4) \
    X(ST, 5) \


/* error codes (STATUS bits 15:8) */
#define TLPU_HWERR_NONE 0u /* no error */
#define TLPU_HWERR_ILLEGAL_OPCODE 1u /* unknown opcode */
#define TLPU_HWERR_BAD_FIELD 2u /* a count field is zero, LDA DSTRIDE is nonzero but below the row's words, or ST COUNT is not a multiple of BEAT_BYTES/4 */
#define TLPU_HWERR_WBUF_RANGE 3u /* LDW/MM chunks WOFF .. WOFF+NCHUNK-1 reach past the weight buffer */
#define TLPU_HWERR_ABUF_RANGE 4u /* LDA/MM touches activation-buffer words past its end */
#define TLPU_HWERR_OBUF_RANGE 5u /* MM/ST touches output-buffer words past its end, or ST COUNT > ROWS */
#define TLPU_HWERR_MEM_ALIGN 6u /* a DRAM address or stride is not a multiple of the beat size */
#define TLPU_HWERR_PROG_LEN 7u /* program length is zero */
#define TLPU_HWERR_MEM_RANGE 8u /* a DRAM access (program, LDW, LDA or ST) reaches past MEM_TOP */
#define TLPU_HWERR_DEADLOCK 9u /* every queued instruction waits for a token no instruction can give */

/* X(name, code, description) for every error code */
#define TLPU_HWERRORS(X) \
    X(NONE, 0, "no error") \
    X(ILLEGAL_OPCODE, 1, "unknown opcode") \
    X(BAD_FIELD, 2, "a count field is zero, LDA DSTRIDE is nonzero but below the row's words, or ST COUNT is not a multiple of BEAT_BYTES/4") \
    X(WBUF_RANGE, 3, "LDW/MM chunks WOFF .. WOFF+NCHUNK-1 reach past the weight buffer") \
    X(ABUF_RANGE, 4, "LDA/MM touches activation-buffer words past its end") \
    X(OBUF_RANGE, 5, "MM/ST touches output-buffer words past its end, or ST COUNT > ROWS") \
    X(MEM_ALIGN, 6, "a DRAM address or stride is not a multiple of the beat size") \
    X(PROG_LEN, 7, "program length is zero") \
    X(MEM_RANGE, 8, "a DRAM access (program, LDW, LDA or ST) reaches past MEM_TOP") \
    X(DEADLOCK, 9, "every queued instruction waits for a token no instruction can give") \


/* CSR byte addresses (32-bit registers) */
#define TLPU_CSR_ID 0x000u /* ro: 0x544C5055 ('TLPU') */
#define TLPU_CSR_VERSION 0x004u /* ro: major << 16 | minor */
#define TLPU_CSR_ROWS 0x008u /* ro: array rows (output neurons per tile) */
#define TLPU_CSR_COLS 0x00Cu /* ro: array columns (activations per cycle) */
#define TLPU_CSR_BEAT_BYTES 0x010u /* ro: memory-port beat in bytes */
#define TLPU_CSR_WBUF_CHUNKS 0x014u /* ro: weight-buffer chunks per row per bank */
#define TLPU_CSR_ABUF_WORDS 0x018u /* ro: activation-buffer words (COLS bytes each) */
#define TLPU_CSR_OBUF_WORDS 0x01Cu /* ro: output-buffer words (ROWS int32 each) */
#define TLPU_CSR_IMEM_DEPTH 0x020u /* ro: instruction-memory depth (instructions) */
#define TLPU_CSR_FORMATS 0x024u /* ro: bit f set: weight format f supported */
#define TLPU_CSR_BURST_BEATS 0x028u /* ro: longest DRAM burst the DMA issues */
#define TLPU_CSR_QUEUE_DEPTH 0x02Cu /* ro: instructions each engine's queue holds */
#define TLPU_CSR_CTRL 0x040u /* wo: bit 0 START, bit 1 SOFT_RESET, bit 2 COUNTERS_RESET */
#define TLPU_CSR_STATUS 0x044u /* ro: bit 0 BUSY, bit 1 DONE, bits 15:8 ERROR code */
#define TLPU_CSR_PROG_ADDR 0x048u /* rw: DRAM byte address of the program (beat aligned) */
#define TLPU_CSR_PROG_LEN 0x04Cu /* rw: program length in instructions */
#define TLPU_CSR_IRQ_ENABLE 0x050u /* rw: bit 0: raise irq_o when a program ends */
#define TLPU_CSR_IRQ_STATUS 0x054u /* rw1c: bit 0: a program ended (write 1 to clear) */
#define TLPU_CSR_ERR_PC 0x058u /* ro: index of the instruction that raised ERROR */
#define TLPU_CSR_MEM_TOP 0x05Cu /* rw: highest valid DRAM byte address (reset 0xFFFFFFFF); set by firmware at boot */

/* 64-bit counters: LO at TLPU_CNT_<name>, HI at +4; reading LO latches HI */
#define TLPU_CSR_COUNTER_BASE 0x100u
#define TLPU_NUM_COUNTERS 16u
#define TLPU_CNT_CYCLES 0x100u /* cycles in which the core was busy (START to DONE) */
#define TLPU_CNT_BUSY_CYCLES 0x108u /* cycles in which the array computed */
#define TLPU_CNT_STALL_CYCLES 0x110u /* cycles in which a DMA transfer waited on the memory port */
#define TLPU_CNT_INSNS 0x118u /* instructions retired */
#define TLPU_CNT_LANE_ADDS 0x120u /* lane operations with trit +1 (adds) */
#define TLPU_CNT_LANE_SUBS 0x128u /* lane operations with trit -1 (subtracts) */
#define TLPU_CNT_LANE_SKIPS 0x130u /* lane operations with trit 0 (skipped, adder gated) */
#define TLPU_CNT_DEC_BYTES 0x138u /* packed weight bytes through the decoders */
#define TLPU_CNT_WBUF_RD 0x140u /* weight-buffer row-chunk reads */
#define TLPU_CNT_WBUF_WR 0x148u /* weight-buffer row-chunk writes */
#define TLPU_CNT_ABUF_RD 0x150u /* activation-buffer word reads */
#define TLPU_CNT_ABUF_WR 0x158u /* activation-buffer word writes */
#define TLPU_CNT_OBUF_RD 0x160u /* output-buffer word reads */
#define TLPU_CNT_OBUF_WR 0x168u /* output-buffer word writes */
#define TLPU_CNT_DRAM_RD_BYTES 0x170u /* bytes read from DRAM (program and data) */
#define TLPU_CNT_DRAM_WR_BYTES 0x178u /* bytes written to DRAM */

/* counter indices (position in tlpu_sim_counters() and similar arrays) */
#define TLPU_CNTI_CYCLES 0u
#define TLPU_CNTI_BUSY_CYCLES 1u
#define TLPU_CNTI_STALL_CYCLES 2u
#define TLPU_CNTI_INSNS 3u
#define TLPU_CNTI_LANE_ADDS 4u
#define TLPU_CNTI_LANE_SUBS 5u
#define TLPU_CNTI_LANE_SKIPS 6u
#define TLPU_CNTI_DEC_BYTES 7u
#define TLPU_CNTI_WBUF_RD 8u
#define TLPU_CNTI_WBUF_WR 9u
#define TLPU_CNTI_ABUF_RD 10u
#define TLPU_CNTI_ABUF_WR 11u
#define TLPU_CNTI_OBUF_RD 12u
#define TLPU_CNTI_OBUF_WR 13u
#define TLPU_CNTI_DRAM_RD_BYTES 14u
#define TLPU_CNTI_DRAM_WR_BYTES 15u

/* X(name, index, description) for every counter */
#define TLPU_COUNTERS(X) \
    X(CYCLES, 0, "cycles in which the core was busy (START to DONE)") \
    X(BUSY_CYCLES, 1, "cycles in which the array computed") \
    X(STALL_CYCLES, 2, "cycles in which a DMA transfer waited on the memory port") \
    X(INSNS, 3, "instructions retired") \
    X(LANE_ADDS, 4, "lane operations with trit +1 (adds)") \
    X(LANE_SUBS, 5, "lane operations with trit -1 (subtracts)") \
    X(LANE_SKIPS, 6, "lane operations with trit 0 (skipped, adder gated)") \
    X(DEC_BYTES, 7, "packed weight bytes through the decoders") \
    X(WBUF_RD, 8, "weight-buffer row-chunk reads") \
    X(WBUF_WR, 9, "weight-buffer row-chunk writes") \
    X(ABUF_RD, 10, "activation-buffer word reads") \
    X(ABUF_WR, 11, "activation-buffer word writes") \
    X(OBUF_RD, 12, "output-buffer word reads") \
    X(OBUF_WR, 13, "output-buffer word writes") \
    X(DRAM_RD_BYTES, 14, "bytes read from DRAM (program and data)") \
    X(DRAM_WR_BYTES, 15, "bytes written to DRAM") \


#endif /* TLPU_SPEC_H */
