/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/tiler.h - mapping an M x K x N BitLinear (y = x W^T, x int8 M x K,
 * W ternary N x K, y int32 M x N) onto a tlpu core.
 *
 * The tiler cuts W into tiles of Rows output rows and K into chunks of Cols
 * activations (loaded in segments of at most WBUF_CHUNKS chunks), and the M
 * tokens into groups that fit the activation and output buffers. It writes
 * the weights as a device image (per tile, chunk-major: the order the DMA
 * streams them) and emits the instruction program. docs/architecture.md
 * describes the schedule: double-buffered weight banks, rotating output
 * regions, and a K-major prologue that overlaps the activation load with
 * compute. The tiler chooses among schedules with the exact timing model.
 */
#ifndef TLPU_TILER_H
#define TLPU_TILER_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/isa.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The build parameters of a core (its CSRs report them). */
typedef struct tlpu_hw {
    uint32_t rows, cols, beat_bytes;
    uint32_t wbuf_chunks, abuf_words, obuf_words, imem_depth, burst_beats;
    uint32_t queue_depth; /* instructions per engine queue */
} tlpu_hw;

/* The default configuration (TLPU_DEFAULT_*). */
void tlpu_hw_default(tlpu_hw *hw);
/* One build parameter by the short name device URIs and --config use:
 * rows, cols, wbuf (WBUF_CHUNKS), abuf, obuf, imem, queue, burst.
 * TLPU_ERR_INVALID_ARG for an unknown name, TLPU_ERR_RANGE for a value
 * outside the name's range (tlpu_hw_param_range). tlpu_hw_check still
 * decides whether the whole set is buildable. */
tlpu_status tlpu_hw_set(tlpu_hw *hw, const char *key, uint64_t value);
tlpu_status tlpu_hw_param_range(const char *key, uint64_t *lo, uint64_t *hi);
/* "rows, cols, wbuf, abuf, obuf, imem, queue, burst", for messages */
const char *tlpu_hw_param_names(void);

/* TLPU_OK when the parameters describe a buildable core: ROWS a multiple of
 * 4, COLS of 20, 16-byte beats, WBUF_CHUNKS and QUEUE_DEPTH (>= 2) powers of
 * two, every buffer nonempty, OBUF_WORDS >= 2. */
tlpu_status tlpu_hw_check(const tlpu_hw *hw);

/* How the tiler orders the work (docs/architecture.md, "Dataflow"). The
 * tiler picks these with the timing model; tlpu_tiling_schedule sets them. */
typedef struct tlpu_schedule {
    /* the prologue: tiles 0 .. G-1 run their first Kp chunks K-major, in
     * slabs, while the activations stream in; the rest of each such tile
     * then runs tile by tile, followed by the other tiles (0 tiles: none) */
    uint32_t prologue_tiles;  /* G */
    uint32_t prologue_chunks; /* Kp (= chunks: the whole K runs K-major) */
    uint32_t first_chunks;    /* slab 0's chunks: small, so the array starts early */
    uint32_t fine_chunks;     /* chunks of each later slab */
    uint32_t slab_tiles;      /* most tiles one weight load of a slab covers (>= 1) */
    uint32_t head_split;      /* slab 0 in loads of 1, 2, 4, ... tiles */
    uint32_t st_eager;        /* store finished tiles at once (else in the DMA's spare time) */
    uint32_t wbuf_slots_max;  /* weight-buffer slots the schedule may rotate through (>= 2) */
    uint32_t tail_split;      /* the last MM in this many token parts, each stored as it ends (0, 1: whole; up to 8) */
} tlpu_schedule;

typedef struct tlpu_tiling {
    uint32_t m, k, n, fmt;
    uint32_t chunks;        /* C = ceil(K / Cols) */
    uint32_t tiles;         /* ceil(N / Rows) */
    uint32_t bpc;           /* packed bytes per row chunk: Cols/4 or Cols/5 */
    /* weight-buffer segments: a tile's K in loads of at most WBUF_CHUNKS */
    uint32_t seg_chunks;    /* chunks per segment (the last may have fewer) */
    uint32_t nsegs;
    /* token groups that fit the activation and output buffers */
    uint32_t group_tokens;  /* T */
    uint32_t ngroups;
    uint32_t token_major;   /* ABUF holds token rows of C words (else per segment) */
    uint32_t abuf_double;   /* groups alternate between two ABUF halves */
    tlpu_schedule sched;
    uint32_t mem_latency;   /* the latency the schedule was chosen for */
    uint64_t predicted_cycles; /* the timing model's count for this plan */
    uint64_t tile_bytes;    /* weight-image bytes per tile (outside the prologue) */
    uint64_t weight_bytes;  /* weight-image bytes */
} tlpu_tiling;

/* Plans the mapping: segments, token groups, and the schedule that the
 * timing model finds fastest for a read latency of mem_latency cycles (0:
 * 16). TLPU_ERR_SHAPE for a zero dimension or a K the activation buffer
 * cannot hold; TLPU_ERR_INVALID_ARG for a bad format or configuration. */
tlpu_status tlpu_tile_bitlinear(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                unsigned fmt, uint32_t mem_latency, tlpu_tiling *t);

/* Replaces t's schedule (the weight image layout may change with it: write
 * the image after this) and recomputes predicted_cycles. TLPU_ERR_INVALID_ARG
 * for knobs this tiling cannot run (a prologue needs one token group, one
 * segment, a token-major activation buffer and G + 2 output regions; chunk
 * counts must keep every load beat aligned). */
tlpu_status tlpu_tiling_schedule(const tlpu_hw *hw, tlpu_tiling *t, const tlpu_schedule *s);

/* How hard the tiler searches for a schedule: FULL (the default: a grid
 * and a descent, seconds for the largest prefill layers), QUICK (a coarse
 * grid on at most 32 tiles of N, then the whole shape once: for estimating
 * whole models), NONE (the plain double-buffered schedule). Every choice is
 * exact: predicted_cycles is the timing model's count for the plan. */
typedef enum tlpu_tile_effort { TLPU_TILE_FULL = 0, TLPU_TILE_QUICK = 1, TLPU_TILE_NONE = 2 } tlpu_tile_effort;
tlpu_status tlpu_tile_bitlinear_effort(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                       unsigned fmt, uint32_t mem_latency,
                                       tlpu_tile_effort effort, tlpu_tiling *t);

/* Chunks in weight segment s. */
uint32_t tlpu_tiling_seg_chunks(const tlpu_tiling *t, uint32_t s);
/* Byte offset in the weight image of chunk c0 of tile `tile` (the image is
 * laid out in the order the schedule loads it). */
uint64_t tlpu_tiling_chunk_offset(const tlpu_hw *hw, const tlpu_tiling *t, uint32_t tile,
                                  uint32_t c0);

/* Writes the device weight image of W (N x K trits, row-major) into img
 * (t->weight_bytes bytes). Padding rows and columns are zero trits. */
tlpu_status tlpu_weights_image(const tlpu_hw *hw, const tlpu_tiling *t, const int8_t *w,
                               uint8_t *img, size_t img_size);

/* Where the operands live in device memory (byte addresses < 4 GiB, all
 * multiples of the beat size). The output rows hold round_up(N, 4) int32
 * (the core stores whole beats; the padding lanes are zero). */
typedef struct tlpu_bitlinear_addrs {
    uint64_t weights;    /* the weight image */
    uint64_t act;        /* M rows of K int8 */
    uint32_t act_stride; /* bytes between rows, >= K */
    uint64_t out;        /* M rows of int32 */
    uint32_t out_stride; /* bytes between rows, >= 4 * round_up(N, 4) */
} tlpu_bitlinear_addrs;

/* The smallest strides (beat multiples) for a shape. */
uint32_t tlpu_act_stride(const tlpu_hw *hw, uint32_t k);
uint32_t tlpu_out_stride(const tlpu_hw *hw, uint32_t n);

/* Appends the BitLinear's instructions to prog (no END: programs may chain
 * several; PROG_LEN ends them). */
tlpu_status tlpu_compile_bitlinear(const tlpu_hw *hw, const tlpu_tiling *t,
                                   const tlpu_bitlinear_addrs *a, tlpu_program *prog);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_TILER_H */
