/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/pack.h - packing ternary weights into bytes.
 *
 * Trits are int8_t values in {-1, 0, +1}. docs/formats.md draws every layout.
 *
 * Device formats (what the tlpu core's weight decoders read):
 *   - PACK2: 4 trits per byte, 2 bits each, trit i of the byte in bits
 *     [2i+1:2i]; digit 0 = 0, 1 = +1, 2 = -1 (code 3 is invalid).
 *   - PACK3: 5 trits per byte, byte = sum_i d_i * 3^i with the same digits
 *     d (0 = 0, 1 = +1, 2 = -1), trit i least significant first; bytes
 *     243..255 are invalid. 1.6 bits per trit.
 *   In both formats the all-zero byte is five (four) zero trits, so zero
 *   padding is zero weight. A partial last byte is padded with zero trits.
 *
 * Public layouts (bit-exact with the programs that define them):
 *   - I2_S  (bitnet.cpp, x86 ACT_PARALLEL layout), n a multiple of 128,
 *           n/4 bytes of codes then a 32-byte tail holding the f32 scale.
 *   - TQ2_0 (llama.cpp/ggml type 35), n a multiple of 256, 66 bytes/block.
 *   - TQ1_0 (llama.cpp/ggml type 34), n a multiple of 256, 54 bytes/block.
 *
 * Sizes are always passed explicitly: a function given a buffer of the wrong
 * size returns TLPU_ERR_BUFFER_SIZE and touches nothing.
 */
#ifndef TLPU_PACK_H
#define TLPU_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device formats ---------------------------------------------------- */

#define TLPU_PACK2_PER_BYTE 4u
#define TLPU_PACK3_PER_BYTE 5u

/* Bytes needed for n trits: ceil(n/4) and ceil(n/5). */
size_t tlpu_pack2_size(size_t n);
size_t tlpu_pack3_size(size_t n);

/* The device digit of a trit (0, 1, 2) and back. */
static inline uint8_t tlpu_trit_digit(int8_t t) { return (uint8_t)(t < 0 ? 2 : t); }
static inline int8_t tlpu_digit_trit(uint8_t d) { return (int8_t)(d == 2 ? -1 : (int)d); }

tlpu_status tlpu_pack2(const int8_t *trits, size_t n, uint8_t *out, size_t out_size);
tlpu_status tlpu_unpack2(const uint8_t *in, size_t in_size, size_t n, int8_t *trits);
tlpu_status tlpu_pack3(const int8_t *trits, size_t n, uint8_t *out, size_t out_size);
tlpu_status tlpu_unpack3(const uint8_t *in, size_t in_size, size_t n, int8_t *trits);

/* ---- bitnet.cpp I2_S --------------------------------------------------- */

#define TLPU_I2S_BLOCK 128u
#define TLPU_I2S_TAIL 32u

/* n/4 + 32, or 0 when n is not a positive multiple of 128. */
size_t tlpu_i2s_size(size_t n);
/* Writes the codes, the scale, and zeros in the 28 unused tail bytes. */
tlpu_status tlpu_i2s_encode(const int8_t *trits, size_t n, float scale, uint8_t *out,
                            size_t out_size);
/* `scale` may be NULL. The 28 unused tail bytes are ignored, as bitnet.cpp does. */
tlpu_status tlpu_i2s_decode(const uint8_t *in, size_t in_size, size_t n, int8_t *trits,
                            float *scale);
/*
 * bitnet.cpp's quantize_i2_s rule on f32 input: scale = max|x| (in double,
 * stored as f32); code 1 if |x| < 1e-6, else 2 if x*scale > 0, else 0.
 */
tlpu_status tlpu_i2s_quantize(const float *x, size_t n, uint8_t *out, size_t out_size);

/* ---- llama.cpp TQ2_0 / TQ1_0 -------------------------------------------- */

#define TLPU_TQ_BLOCK 256u
#define TLPU_TQ2_BLOCK_BYTES 66u
#define TLPU_TQ1_BLOCK_BYTES 54u

/* Block bytes * n/256, or 0 when n is not a positive multiple of 256. */
size_t tlpu_tq2_size(size_t n);
size_t tlpu_tq1_size(size_t n);

/* `d` holds one fp16 scale per 256-weight block (n/256 values). */
tlpu_status tlpu_tq2_encode(const int8_t *trits, size_t n, const uint16_t *d, uint8_t *out,
                            size_t out_size);
tlpu_status tlpu_tq1_encode(const int8_t *trits, size_t n, const uint16_t *d, uint8_t *out,
                            size_t out_size);
/* `d` may be NULL; otherwise it receives n/256 fp16 scales. */
tlpu_status tlpu_tq2_decode(const uint8_t *in, size_t in_size, size_t n, int8_t *trits,
                            uint16_t *d);
tlpu_status tlpu_tq1_decode(const uint8_t *in, size_t in_size, size_t n, int8_t *trits,
                            uint16_t *d);
/*
 * ggml's quantize_row_tq{1,2}_0_ref rule: per block amax, d = fp16(amax),
 * trit = lroundf(x * (1/amax)) (ties away from zero). Non-finite input is
 * rejected (ggml would write an infinite scale).
 */
tlpu_status tlpu_tq2_quantize(const float *x, size_t n, uint8_t *out, size_t out_size);
tlpu_status tlpu_tq1_quantize(const float *x, size_t n, uint8_t *out, size_t out_size);
/* ggml's dequantize_row_tq{1,2}_0: y = trit * f32(d). */
tlpu_status tlpu_tq2_dequantize(const uint8_t *in, size_t in_size, size_t n, float *y);
tlpu_status tlpu_tq1_dequantize(const uint8_t *in, size_t in_size, size_t n, float *y);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_PACK_H */
