/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/rng.h - the deterministic generator used for tlpu's test data: the
 * splitmix64 / Box-Muller (cosine branch) recipe that also generated the
 * conformance vectors in tests/data/vectors (see its README).
 */
#ifndef TLPU_RNG_H
#define TLPU_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct tlpu_rng {
    uint64_t s;
} tlpu_rng;

static inline tlpu_rng tlpu_rng_seed(uint64_t seed)
{
    tlpu_rng r = {seed};
    return r;
}

static inline uint64_t tlpu_rng_next(tlpu_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in the open interval (0, 1). */
static inline double tlpu_rng_uniform(tlpu_rng *r)
{
    return ((double)(tlpu_rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal (two next() calls; cosine branch only). */
static inline float tlpu_rng_gauss(tlpu_rng *r)
{
    double u1 = tlpu_rng_uniform(r);
    double u2 = tlpu_rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2));
}

/* Uniform integer in [0, n) (n > 0; modulo bias is irrelevant for tests). */
static inline uint64_t tlpu_rng_below(tlpu_rng *r, uint64_t n) { return tlpu_rng_next(r) % n; }

/* A trit in {-1, 0, +1}, as the conformance vectors draw them. */
static inline int8_t tlpu_rng_trit(tlpu_rng *r) { return (int8_t)((int)(tlpu_rng_next(r) % 3) - 1); }

#endif /* TLPU_RNG_H */
