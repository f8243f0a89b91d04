/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/tiler.h - mapping an M x K x N BitLinear (y = x W^T, x int8 M x K,
 * W ternary N x K, y int32 M x N) onto a tlpu core.
 *
 * The tiler cuts W into tiles of Rows output rows and K into segments of at
 * most WBUF_CHUNKS chunks of Cols activations, and the M tokens into groups
 * that fit the activation and output buffers. It writes the weights as a
 * device image (one block per tile and segment, in the order the DMA streams
 * them) and emits the instruction program; docs/architecture.md describes the
 * schedule (double-buffered weight banks and output regions, so the next
 * tile's weights stream in while the current one computes).
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
} tlpu_hw;

/* The default configuration (TLPU_DEFAULT_*). */
void tlpu_hw_default(tlpu_hw *hw);
/* TLPU_OK when the parameters describe a buildable core. */
tlpu_status tlpu_hw_check(const tlpu_hw *hw);

typedef struct tlpu_tiling {
    uint32_t m, k, n, fmt;
    uint32_t chunks;       /* ceil(K / Cols) */
    uint32_t seg_chunks;   /* chunks per K segment (the last may have fewer) */
    uint32_t nsegs;
    uint32_t tiles;        /* ceil(N / Rows) */
    uint32_t group_tokens; /* tokens per group (T) */
    uint32_t ngroups;
    uint32_t abuf_double;  /* groups alternate between two ABUF halves */
    uint32_t bpc;          /* packed bytes per row chunk: Cols/4 or Cols/5 */
    uint64_t tile_bytes;   /* weight-image bytes per tile (all segments) */
    uint64_t weight_bytes; /* weight-image bytes */
} tlpu_tiling;

/* Plans the mapping. TLPU_ERR_SHAPE for a zero dimension or a K the
 * activation buffer cannot hold; TLPU_ERR_INVALID_ARG for a bad format. */
tlpu_status tlpu_tile_bitlinear(const tlpu_hw *hw, uint32_t m, uint32_t k, uint32_t n,
                                unsigned fmt, tlpu_tiling *t);

/* Chunks in segment s. */
uint32_t tlpu_tiling_seg_chunks(const tlpu_tiling *t, uint32_t s);
/* Byte offset of the (tile, segment) block in the weight image. */
uint64_t tlpu_tiling_block_offset(const tlpu_hw *hw, const tlpu_tiling *t, uint32_t tile,
                                  uint32_t seg);

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
