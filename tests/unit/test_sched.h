/* SPDX-License-Identifier: Apache-2.0 */
/* Random tiler schedules for the tests (tests/unit/check_tiler.c without a
 * core, tests/sim/check_core.c on the core). */
#ifndef TLPU_TEST_SCHED_H
#define TLPU_TEST_SCHED_H

#include <string.h>

#include "tlpu/rng.h"
#include "tlpu/tiler.h"

static inline uint32_t test_gcd32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static inline uint32_t test_coin(tlpu_rng *r)
{
    return (uint32_t)((tlpu_rng_next(r) >> 40) & 1);
}

/* A random schedule for a K x N BitLinear on hw, on the tiler's grid (chunk
 * counts in multiples of q, the beat alignment of activation and weight
 * offsets); four in five have a prologue, half of those over all of K. The
 * tiler may still reject it for the shape (tlpu_tiling_schedule). */
static inline tlpu_schedule test_random_sched(tlpu_rng *r, const tlpu_hw *hw, uint32_t k,
                                              uint32_t n, unsigned fmt)
{
    uint32_t C = (k + hw->cols - 1) / hw->cols, tiles = (n + hw->rows - 1) / hw->rows;
    uint32_t bpc = fmt ? hw->cols / 5 : hw->cols / 4;
    uint32_t qa = 16 / test_gcd32(hw->cols, 16), qw = 16 / test_gcd32(hw->rows * bpc, 16);
    uint32_t q = qa / test_gcd32(qa, qw) * qw;
    tlpu_schedule s;
    memset(&s, 0, sizeof s);
    if (tlpu_rng_next(r) % 5) {
        s.prologue_tiles = 1 + (uint32_t)(tlpu_rng_next(r) % (tiles < 12 ? tiles : 12));
        s.prologue_chunks = q * (1 + (uint32_t)(tlpu_rng_next(r) % (C / q + 1)));
        if (s.prologue_chunks > C || test_coin(r))
            s.prologue_chunks = C;
        s.first_chunks = q * (1 + (uint32_t)(tlpu_rng_next(r) % 3));
        s.fine_chunks = q * (1 + (uint32_t)(tlpu_rng_next(r) % 3));
        s.slab_tiles = 1 + (uint32_t)(tlpu_rng_next(r) % 6);
        s.head_split = test_coin(r);
    }
    s.st_eager = test_coin(r);
    s.wbuf_slots_max = 2u << (tlpu_rng_next(r) % 3);
    s.tail_split = 1u << (tlpu_rng_next(r) % 4);
    return s;
}

#endif
