/* SPDX-License-Identifier: Apache-2.0 */
/* A random BitLinear test case and its reference result, shared by the
 * device-path tests (check_e2e, check_usb, check_sc). */
#ifndef TLPU_TEST_BL_H
#define TLPU_TEST_BL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "tlpu/bitlinear.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"
#include "tlpu/tlpu.h"

typedef struct test_bl {
    uint32_t m, k, n;
    unsigned fmt;
    int8_t *x, *w;   /* M x K activations, N x K trits */
    uint8_t *wp;     /* the trits packed in fmt */
    int32_t *ref;    /* the C reference's M x N result */
    int32_t *y;      /* room for a device's result */
} test_bl;

/* Random data from seed; one case in five is the extreme one (activations
 * all +127 or -128, every trit +1) that drives the accumulators hardest. */
static inline void test_bl_make(test_bl *c, uint32_t m, uint32_t k, uint32_t n, unsigned fmt,
                                uint64_t seed)
{
    c->m = m, c->k = k, c->n = n, c->fmt = fmt;
    tlpu_rng r = tlpu_rng_seed(seed);
    size_t rb = tlpu_packed_row_bytes(fmt, k);
    c->x = malloc((size_t)m * k);
    c->w = malloc((size_t)n * k);
    c->wp = malloc(n * rb);
    c->ref = malloc((size_t)m * n * sizeof *c->ref);
    c->y = malloc((size_t)m * n * sizeof *c->y);
    ck_assert(c->x && c->w && c->wp && c->ref && c->y);
    int extreme = tlpu_rng_next(&r) % 5 == 0;
    for (size_t i = 0; i < (size_t)m * k; i++) {
        uint64_t v = tlpu_rng_next(&r);
        c->x[i] = extreme ? ((v & 1) ? 127 : -128) : (int8_t)(v & 0xFF);
    }
    for (size_t i = 0; i < (size_t)n * k; i++)
        c->w[i] = extreme ? 1 : (int8_t)((int)(tlpu_rng_next(&r) % 3) - 1);
    for (size_t i = 0; i < n; i++) {
        tlpu_status st = fmt == TLPU_FMT_PACK3 ? tlpu_pack3(c->w + i * k, k, c->wp + i * rb, rb)
                                               : tlpu_pack2(c->w + i * k, k, c->wp + i * rb, rb);
        ck_assert_int_eq(st, TLPU_OK);
    }
    ck_assert_int_eq(tlpu_bitlinear(m, k, n, c->x, c->w, c->ref), TLPU_OK);
}

static inline void test_bl_free(test_bl *c)
{
    free(c->x);
    free(c->w);
    free(c->wp);
    free(c->ref);
    free(c->y);
}

#endif
