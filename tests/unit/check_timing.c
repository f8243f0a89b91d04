/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_timing - the closed-form busy cycles of docs/isa.md ("Engine busy
 * cycles D") against the timing model, which the RTL tests hold to the
 * core cycle for cycle: LDW, LDA (COLS a multiple of 16), MM and ST, on the
 * default and the large configuration, at several latencies.
 */
#include "test_util.h"
#include "tlpu/timing.h"

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static void check_config(const tlpu_hw *hw)
{
    static const uint32_t lat[] = {1, 16, 40};
    const uint64_t B = hw->beat_bytes;
    for (unsigned li = 0; li < 3; li++) {
        tlpu_timing_cfg c;
        tlpu_timing_cfg_init(&c, hw);
        c.mem_latency = lat[li];
        const uint64_t L = lat[li];
        for (uint32_t n = 1; n <= hw->wbuf_chunks; n = n * 2 + 1)
            for (unsigned fmt = 0; fmt < 2; fmt++) {
                uint64_t bpc = fmt ? hw->cols / 5 : hw->cols / 4;
                uint64_t beats = cdiv((uint64_t)hw->rows * n * bpc, B);
                uint64_t rc = (uint64_t)hw->rows * n;
                tlpu_insn in = tlpu_insn_ldw(0, fmt, n, 0, 0);
                ck_assert_uint_eq(tlpu_timing_insn_cycles(&c, &in),
                                  L + 2 + (beats > rc ? beats : rc));
            }
        for (uint32_t rows = 1; rows <= 64; rows = rows * 3 + 1)
            for (uint32_t nb = 1; nb <= 3000; nb = nb * 5 + 3) {
                tlpu_insn in = tlpu_insn_lda(nb, rows, 0, 0, 4096, 0);
                ck_assert_uint_eq(tlpu_timing_insn_cycles(&c, &in), L + 2 + rows * cdiv(nb, B));
            }
        for (uint32_t t = 1; t <= 64; t *= 4)
            for (uint32_t n = 1; n <= 100; n = n * 3 + 1) {
                tlpu_insn in = tlpu_insn_mm(0, 0, n, 0, t, n, 0, 0);
                ck_assert_uint_eq(tlpu_timing_insn_cycles(&c, &in), (uint64_t)t * n + 2);
            }
        for (uint32_t rows = 1; rows <= 64; rows *= 2)
            for (uint32_t cnt = 4; cnt <= hw->rows; cnt += 4) {
                tlpu_insn in = tlpu_insn_st(0, rows, cnt, 0, 4096);
                ck_assert_uint_eq(tlpu_timing_insn_cycles(&c, &in), rows * (4 * cnt / B) + 2);
            }
    }
}

START_TEST(test_formulas)
{
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    check_config(&hw); /* 32 x 80 */
    hw.rows = 64;
    hw.cols = 160;
    check_config(&hw);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timing");
    TCase *tc = tcase_create("formulas");
    tcase_add_test(tc, test_formulas);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
