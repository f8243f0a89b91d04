/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/fcore.h - a fast functional model of one tlpu core and its device
 * DRAM: the interface of the cycle-accurate simulator (tlpu/sim.h) without
 * Verilator, bit-exact with the RTL (rtl/tlpu_core.sv) on every DRAM byte,
 * CSR and performance counter.
 *
 * One handle is one core and its DRAM; handles share nothing. The model
 * keeps the core's architectural state: the DRAM, the weight buffer (decoded
 * trits, both banks), the activation and output buffers, the CSRs and the
 * sixteen 64-bit counters. Like the RTL's, the buffers start at zero, keep
 * their contents across programs and soft resets, and counters accumulate
 * until COUNTERS_RESET.
 *
 * Running a program. Writing CTRL.START (tlpu_fcore_csr_write, or
 * tlpu_fcore_start / tlpu_fcore_run) executes the whole program at once:
 * when the call returns, STATUS shows DONE (and the error code), ERR_PC,
 * IRQ_STATUS and the counters hold their end-of-program values and DRAM and
 * the buffers their end-of-program contents. The START checks (PROG_LEN,
 * PROG_ADDR alignment, MEM_RANGE of the program) are the RTL's and, as in
 * the RTL, leave ERR_PC unchanged. Otherwise:
 *
 *   - The exact timing model (tlpu/timing.h) is run over the program with
 *     the configured memory latency. It applies the core's issue checks and
 *     its DEADLOCK rule, and reports every engine start (DMA or EX) in cycle
 *     order. CYCLES, BUSY_CYCLES, STALL_CYCLES, INSNS, DEC_BYTES, the buffer
 *     and DRAM counters, the error code and ERR_PC are the timing model's.
 *   - Each instruction that started on an engine is executed, atomically,
 *     at its start, in the order the engines started them (each engine runs
 *     its queue in program order; between engines, WAIT/SIGNAL tokens can
 *     make the core run a later instruction first, and the model follows).
 *     Instructions that the core dispatched but flushed from a queue when an
 *     error or a DEADLOCK stopped the program never start, on the core and
 *     in the model alike; those that started (including a read prefetched
 *     behind the running one) complete, on both. So the DRAM and buffer
 *     effects of a program that stops with an error equal the RTL's.
 *   - Program segments (programs longer than IMEM_DEPTH) are fetched from
 *     DRAM when the core fetches them: a ST that overwrites a later segment
 *     before its fetch changes what runs, as on the core.
 *   - LANE_ADDS / LANE_SUBS / LANE_SKIPS: per array cycle of an MM (TOKENS x
 *     NCHUNK of them) the RTL counts the +1 and -1 trits of all ROWS x COLS
 *     lanes of the weight-buffer chunk it reads (padding trits included: the
 *     zero padding counts as skips; whatever an earlier load left in a chunk
 *     counts as it is); skips = ROWS x COLS - adds - subs. The model counts
 *     the same from its decoded weight buffer.
 *
 * Semantics of the instructions are the RTL's (docs/isa.md): PACK2 code 3
 * and PACK3 bytes 243..255 decode as zero trits (skips); a row chunk of LDW
 * stream entry e goes to row e mod ROWS, chunk WOFF + e div ROWS; LDA words
 * are zero-padded past NBYTES, rows DSTRIDE words apart (0: ceil(NBYTES /
 * COLS)), words between rows untouched; MM sums are exact and added, modulo
 * 2^32, to the old output word when ACC is set; ST writes the first COUNT
 * int32 (little endian) of each output word.
 *
 * Time. The model has a simulated clock like tlpu_sim_cycle: every CSR
 * access is one cycle, tlpu_fcore_step adds cycles, and a program's CYCLES
 * (START to DONE) elapse in tlpu_fcore_wait / tlpu_fcore_run, which return
 * the cycles waited and TLPU_ERR_TIMEOUT past max_cycles exactly as the
 * simulator's calls would (with full-width DRAM and no stalls). Only the
 * registers differ: they show the end of the program at once, where the
 * simulator's STATUS shows BUSY until DONE.
 *
 * Where the model differs from the RTL (all outside what a correct program
 * or the tiler's programs do):
 *   - Races. Instructions are applied whole, in start order. A program in
 *     which one engine reads or writes buffer words while the other engine
 *     is still writing or reading them (an ordering that no token or SYNC
 *     enforces) sees, on the core, the words' state at each cycle; the model
 *     gives the result of the earlier-started instruction completing first.
 *     Except an LDA and an MM on the same ABUF words, which the tiler's
 *     programs do (one activation buffer: the next token's LDA starts while
 *     the last MM still reads the token before): each of the MM's reads
 *     sees the word as the LDA has written it by that cycle, as on the core
 *     (the LDA's word writes follow the timing model's DRAM, below).
 *   - Memory timing. The counters CYCLES and STALL_CYCLES, and which
 *     instructions started before an error, follow the timing model's DRAM:
 *     mem_latency cycles, one beat per cycle, no stalls (tlpu_sim with
 *     dram_width 16, enough outstanding requests and stall_prob 0). With a
 *     slower or stalling memory the core's numbers differ, and so may the
 *     set of instructions that ran before an error stopped the program.
 *   - DRAM faults. An access inside MEM_TOP but past the end of the DRAM
 *     (MEM_TOP set beyond dram_bytes) is a memory-protocol fault, as in the
 *     simulator: tlpu_fcore_fault names it, the program stops there (its
 *     later instructions do not run), STATUS stays BUSY, tlpu_fcore_wait
 *     returns TLPU_ERR_DEVICE at once (0 cycles) and the model, like a
 *     faulted simulator, runs no further program. What DRAM, the buffers and
 *     the counters hold afterwards, and the cycle of the fault, need not
 *     match the simulator's.
 *   - IRQ_STATUS is set when the program ends. The RTL sets it whenever, in
 *     the drain after the last instruction, both engines are momentarily not
 *     busy, even with an instruction still queued waiting for a token (a
 *     final ST waiting for the last MM): irq_o can rise before DONE. The
 *     model shows only the end state, where both agree.
 *   - START while a program runs cannot happen (no program is ever running
 *     when the host writes a CSR). On the RTL such a START is ignored by the
 *     sequencer but zeroes the token counters of the running program.
 *   - Soft reset aborts nothing (nothing runs); it clears STATUS (BUSY, DONE,
 *     ERROR) and keeps ERR_PC, IRQ_STATUS, the counters and the buffers, as
 *     the RTL does.
 *
 * Build parameters: any tlpu_hw that tlpu_hw_check accepts. The RTL itself
 * needs QUEUE_DEPTH and WBUF_CHUNKS to be powers of two.
 */
#ifndef TLPU_FCORE_H
#define TLPU_FCORE_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/spec.h"
#include "tlpu/status.h"
#include "tlpu/tiler.h"
#include "tlpu/timing.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_fcore tlpu_fcore;

typedef struct tlpu_fcore_config {
    tlpu_hw hw;            /* the build parameters (tlpu_hw_check must accept them) */
    uint64_t dram_bytes;   /* device DRAM size: multiple of 16, 4 KiB .. 4 GiB */
    uint32_t mem_latency;  /* read latency in cycles (1 .. 1000000): CYCLES, STALL_CYCLES */
} tlpu_fcore_config;

/* The build parameters and identity, as the core's read-only CSRs report them
 * (the fields of tlpu_sim_info). */
typedef struct tlpu_fcore_info {
    uint32_t id, version;
    uint32_t rows, cols, beat_bytes;
    uint32_t wbuf_chunks, abuf_words, obuf_words, imem_depth;
    uint32_t formats, burst_beats, queue_depth;
} tlpu_fcore_info;

/* Defaults: tlpu_hw_default (the "default" variant), 64 MiB DRAM, latency 16. */
tlpu_status tlpu_fcore_config_init(tlpu_fcore_config *cfg);

/* Sets cfg->hw to a simulator variant's parameters ("default", "small",
 * "large"; see tlpu/sim.h); other fields are kept. TLPU_ERR_INVALID_ARG for
 * another name (cfg unchanged). */
tlpu_status tlpu_fcore_config_variant(tlpu_fcore_config *cfg, const char *variant);

/* Creates a core: idle, buffers and DRAM zero, counters zero, MEM_TOP the
 * last DRAM byte (as the simulator sets it), cycle 0. TLPU_ERR_INVALID_ARG
 * for a bad configuration, TLPU_ERR_NOMEM when it cannot be allocated. */
tlpu_status tlpu_fcore_create(const tlpu_fcore_config *cfg, tlpu_fcore **out);
void tlpu_fcore_destroy(tlpu_fcore *m);

tlpu_status tlpu_fcore_get_info(const tlpu_fcore *m, tlpu_fcore_info *info);

/* Back-door DRAM access (no cycles). TLPU_ERR_RANGE past the DRAM. */
tlpu_status tlpu_fcore_mem_write(tlpu_fcore *m, uint64_t addr, const void *data, size_t n);
tlpu_status tlpu_fcore_mem_read(const tlpu_fcore *m, uint64_t addr, void *data, size_t n);

/* CSR access, one cycle each; addr < 0x1000, a multiple of 4 (else
 * TLPU_ERR_RANGE). Writing CTRL.START runs the program (see above); it can
 * return TLPU_ERR_NOMEM (nothing has happened then). Registers behave as the
 * RTL's: writes to read-only or unmapped addresses are ignored, reads of CTRL
 * and unmapped addresses return 0, PROG_ADDR/PROG_LEN/MEM_TOP writes are
 * ignored while BUSY, IRQ_STATUS is write-1-to-clear, reading a counter's LO
 * word latches its HI word (a HI read returns the last latched value). */
tlpu_status tlpu_fcore_csr_write(tlpu_fcore *m, uint32_t addr, uint32_t value);
tlpu_status tlpu_fcore_csr_read(tlpu_fcore *m, uint32_t addr, uint32_t *value);

/* Advances the simulated clock by n cycles (nothing else happens). */
tlpu_status tlpu_fcore_step(tlpu_fcore *m, uint64_t n);

/* Writes PROG_ADDR and PROG_LEN and sets START (three CSR cycles): the
 * program has run when this returns. TLPU_ERR_RANGE for prog_addr >= 2^32. */
tlpu_status tlpu_fcore_start(tlpu_fcore *m, uint64_t prog_addr, uint32_t prog_len);

/* Lets the simulated time until DONE pass, at most max_cycles; *cycles (may
 * be NULL) gets the cycles waited. TLPU_ERR_TIMEOUT when DONE would not have
 * come within max_cycles (or no program ran since the last soft reset);
 * TLPU_ERR_DEVICE when the program ended with an error code or a fault. */
tlpu_status tlpu_fcore_wait(tlpu_fcore *m, uint64_t max_cycles, uint64_t *cycles);

/* start + wait; *cycles gets the cycles from START to DONE (CYCLES). */
tlpu_status tlpu_fcore_run(tlpu_fcore *m, uint64_t prog_addr, uint32_t prog_len,
                           uint64_t max_cycles, uint64_t *cycles);

/* The STATUS error code and ERR_PC (no cycles); either pointer may be NULL. */
tlpu_status tlpu_fcore_hw_error(const tlpu_fcore *m, uint32_t *code, uint32_t *err_pc);

/* Reads all TLPU_NUM_COUNTERS counters through the CSR port, LO then HI
 * (2 * TLPU_NUM_COUNTERS cycles, as tlpu_sim_counters). */
tlpu_status tlpu_fcore_counters(tlpu_fcore *m, uint64_t out[TLPU_NUM_COUNTERS]);

/* Simulated cycles since creation. */
tlpu_status tlpu_fcore_cycle(const tlpu_fcore *m, uint64_t *cycle);

/* The interrupt line (IRQ_STATUS and IRQ_ENABLE), now: 0 or 1. */
tlpu_status tlpu_fcore_irq(const tlpu_fcore *m, int *irq);

/* The memory fault that stopped the model, or NULL in *msg. */
tlpu_status tlpu_fcore_fault(const tlpu_fcore *m, const char **msg);

/* The timing-model result of the last program START ran (zeroed when none
 * did, or when START stopped at its own checks), with LANE_ADDS/SUBS/SKIPS
 * filled in: per-engine busy cycles and fetches for timelines and energy. */
tlpu_status tlpu_fcore_last_run(const tlpu_fcore *m, tlpu_timing *out);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_FCORE_H */
