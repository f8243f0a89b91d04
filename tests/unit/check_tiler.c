/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_tiler - the tiler without a core (tlpu/tiler.h):
 *
 *  - the weight image: for random shapes and random schedules, every trit of
 *    W is where tlpu_tiling_chunk_offset() says, no two row chunks share a
 *    byte, and the padding is zero;
 *  - the program: it stays inside its operands, the timing model runs it to
 *    the end without an error, and its count is the plan's prediction;
 *  - bad arguments and unsuitable schedules: a named status, nothing changed.
 *
 * The RTL tests (tests/sim/check_core.c) run the same schedules on the core.
 */
#include <string.h>

#include "test_sched.h"
#include "test_util.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"
#include "tlpu/tiler.h"
#include "tlpu/timing.h"

/* the simulator's small configuration (sim/CMakeLists.txt) */
static void hw_small(tlpu_hw *hw)
{
    tlpu_hw_default(hw);
    hw->rows = 4;
    hw->cols = 20;
    hw->wbuf_chunks = 16;
    hw->abuf_words = 256;
    hw->obuf_words = 32;
    hw->imem_depth = 16;
    hw->burst_beats = 4;
}

static void check_plan(const tlpu_hw *hw, const tlpu_tiling *t, tlpu_rng *r)
{
    const uint32_t rows = hw->rows, cols = hw->cols;
    int8_t *w = malloc((size_t)t->n * t->k);
    uint8_t *img = malloc(t->weight_bytes);
    uint8_t *owner = calloc(t->weight_bytes, 1);
    int8_t trits[640];
    ck_assert(w && img && owner);
    for (size_t i = 0; i < (size_t)t->n * t->k; i++)
        w[i] = (int8_t)((int)(tlpu_rng_next(r) % 3) - 1);
    ck_assert_int_eq(tlpu_weights_image(hw, t, w, img, t->weight_bytes), TLPU_OK);
    for (uint32_t tile = 0; tile < t->tiles; tile++)
        for (uint32_t c = 0; c < t->chunks; c++) {
            uint64_t off = tlpu_tiling_chunk_offset(hw, t, tile, c);
            ck_assert_uint_le(off + (uint64_t)rows * t->bpc, t->weight_bytes);
            for (uint32_t rr = 0; rr < rows; rr++) {
                const uint8_t *p = img + off + (size_t)rr * t->bpc;
                for (uint32_t b = 0; b < t->bpc; b++) {
                    ck_assert_msg(!owner[off + rr * t->bpc + b], "byte %llu written twice",
                                  (unsigned long long)(off + rr * t->bpc + b));
                    owner[off + rr * t->bpc + b] = 1;
                }
                tlpu_status st = t->fmt == TLPU_FMT_PACK2 ? tlpu_unpack2(p, t->bpc, cols, trits)
                                                          : tlpu_unpack3(p, t->bpc, cols, trits);
                ck_assert_int_eq(st, TLPU_OK);
                uint64_t row = (uint64_t)tile * rows + rr;
                for (uint32_t j = 0; j < cols; j++) {
                    uint64_t kk = (uint64_t)c * cols + j;
                    int8_t want = (row < t->n && kk < t->k) ? w[row * t->k + kk] : 0;
                    ck_assert_int_eq(trits[j], want);
                }
            }
        }
    for (uint64_t i = 0; i < t->weight_bytes; i++)
        if (!owner[i])
            ck_assert_uint_eq(img[i], 0); /* padding */

    /* the program: inside its operands, runs to the end, as predicted */
    tlpu_bitlinear_addrs a;
    a.act_stride = tlpu_act_stride(hw, t->k);
    a.out_stride = tlpu_out_stride(hw, t->n);
    a.weights = 0x1000;
    a.act = (a.weights + t->weight_bytes + 255) / 256 * 256;
    a.out = (a.act + (uint64_t)t->m * a.act_stride + 255) / 256 * 256;
    uint64_t end = a.out + (uint64_t)t->m * a.out_stride;
    tlpu_program p;
    tlpu_program_init(&p);
    ck_assert_int_eq(tlpu_compile_bitlinear(hw, t, &a, &p), TLPU_OK);
    for (size_t i = 0; i < p.n; i++) {
        const tlpu_insn *in = &p.insns[i];
        if (tlpu_insn_op(in) == TLPU_OP_LDW) {
            uint64_t ad = tlpu_insn_get(in, TLPU_LDW_ADDR_LSB, TLPU_LDW_ADDR_WIDTH);
            uint64_t nch = tlpu_insn_get(in, TLPU_LDW_NCHUNK_LSB, TLPU_LDW_NCHUNK_WIDTH);
            ck_assert_uint_ge(ad, a.weights);
            ck_assert_uint_le(ad + nch * rows * t->bpc, a.weights + t->weight_bytes);
        }
    }
    tlpu_timing_cfg c;
    tlpu_timing_cfg_init(&c, hw);
    c.mem_latency = t->mem_latency;
    c.prog_addr = (uint32_t)((end + 0x1000 + 255) / 256 * 256);
    c.mem_top = (uint32_t)(c.prog_addr + 16 * p.n + 0x100);
    tlpu_timing tm;
    ck_assert_int_eq(tlpu_timing_run(&c, p.insns, p.n, &tm), TLPU_OK);
    ck_assert_msg(tm.hw_error == 0, "hw error %u at %u", tm.hw_error, tm.err_pc);
    ck_assert_uint_eq(tm.counters[TLPU_CNTI_CYCLES], t->predicted_cycles);
    /* every weight byte and every activation byte is read at least once */
    ck_assert_uint_ge(tm.counters[TLPU_CNTI_DRAM_RD_BYTES], t->weight_bytes);
    ck_assert_uint_eq(tm.counters[TLPU_CNTI_BUSY_CYCLES],
                      (uint64_t)t->m * t->chunks * t->tiles);
    tlpu_program_free(&p);
    free(w);
    free(img);
    free(owner);
}

static void random_plans(const tlpu_hw *hw, int want, uint32_t maxm, uint32_t maxk, uint32_t maxn,
                         uint64_t seed)
{
    tlpu_rng r = tlpu_rng_seed(seed);
    int ran = 0, prologues = 0;
    for (int tries = 0; ran < want && tries < 50 * want; tries++) {
        uint32_t m = 1 + (uint32_t)(tlpu_rng_next(&r) % maxm);
        uint32_t k = 1 + (uint32_t)(tlpu_rng_next(&r) % maxk);
        uint32_t n = 1 + (uint32_t)(tlpu_rng_next(&r) % maxn);
        unsigned fmt = (unsigned)((tlpu_rng_next(&r) >> 40) & 1);
        uint32_t L = 1 + (uint32_t)(tlpu_rng_next(&r) % 40);
        tlpu_tiling t;
        ck_assert_int_eq(tlpu_tile_bitlinear(hw, m, k, n, fmt, L, &t), TLPU_OK);
        if (tries % 3 == 0) {
            check_plan(hw, &t, &r); /* the tiler's own choice */
            ran++;
            continue;
        }
        tlpu_schedule s = test_random_sched(&r, hw, k, n, fmt);
        if (tlpu_tiling_schedule(hw, &t, &s) != TLPU_OK)
            continue;
        prologues += s.prologue_tiles != 0;
        check_plan(hw, &t, &r);
        ran++;
    }
    ck_assert_int_eq(ran, want);
    ck_assert_int_ge(prologues, want / 4);
}

START_TEST(test_plans_small)
{
    tlpu_hw hw;
    hw_small(&hw);
    random_plans(&hw, 200, 8, 320, 60, 11);
}
END_TEST

START_TEST(test_plans_default)
{
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    random_plans(&hw, 16, 64, 3000, 300, 12);
}
END_TEST

START_TEST(test_bad_arguments)
{
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    tlpu_tiling t, before;
    ck_assert_int_eq(tlpu_tile_bitlinear(&hw, 0, 10, 10, TLPU_FMT_PACK2, 16, &t), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_tile_bitlinear(&hw, 1, 10, 10, 7, 16, &t), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tile_bitlinear(NULL, 1, 10, 10, 0, 16, &t), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tile_bitlinear(&hw, 64, 2560, 640, TLPU_FMT_PACK3, 16, &t), TLPU_OK);
    before = t;
    tlpu_schedule s = t.sched;
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, NULL), TLPU_ERR_INVALID_ARG);
    s.wbuf_slots_max = 1; /* fewer than two slots */
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, &s), TLPU_ERR_INVALID_ARG);
    s = before.sched;
    s.prologue_tiles = t.tiles + 1; /* more prologue tiles than tiles */
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, &s), TLPU_ERR_INVALID_ARG);
    s = before.sched;
    s.prologue_tiles = 4;
    s.prologue_chunks = t.chunks + 1; /* past K */
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, &s), TLPU_ERR_INVALID_ARG);
    s.prologue_chunks = t.chunks;
    s.fine_chunks = 0;
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, &s), TLPU_ERR_INVALID_ARG);
    s.fine_chunks = 2;
    s.first_chunks = 1;
    s.slab_tiles = 0;
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, &s), TLPU_ERR_INVALID_ARG);
    s.slab_tiles = 1;
    s.tail_split = 9;
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &t, &s), TLPU_ERR_INVALID_ARG);
    ck_assert_mem_eq(&t, &before, sizeof t); /* nothing changed */
    /* a prologue needs one token group: M too large for the output buffer */
    tlpu_tiling big;
    ck_assert_int_eq(tlpu_tile_bitlinear(&hw, 2000, 160, 64, TLPU_FMT_PACK2, 16, &big), TLPU_OK);
    ck_assert_uint_gt(big.ngroups, 1);
    tlpu_schedule p = {2, big.chunks, 1, 1, 1, 0, 0, 2, 1};
    ck_assert_int_eq(tlpu_tiling_schedule(&hw, &big, &p), TLPU_ERR_INVALID_ARG);
    /* the weight image must be exactly the plan's size */
    int8_t w[4] = {0};
    uint8_t img[16];
    tlpu_tiling tiny;
    ck_assert_int_eq(tlpu_tile_bitlinear(&hw, 1, 2, 2, TLPU_FMT_PACK2, 16, &tiny), TLPU_OK);
    ck_assert_int_eq(tlpu_weights_image(&hw, &tiny, w, img, sizeof img), TLPU_ERR_BUFFER_SIZE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tiler");
    TCase *tc = tcase_create("plans");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_plans_small);
    tcase_add_test(tc, test_plans_default);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
