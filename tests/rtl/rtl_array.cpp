// SPDX-License-Identifier: Apache-2.0
// tlpu_array (Rows = 4, Cols = 40 here): random and extreme activations and
// trits, every cycle's row sums and add/subtract counts against the C
// computation, with the one-cycle latency and valid_i gating.
#include <check.h>
#include <cstdint>
#include <cstring>

#include "Vtlpu_array.h"
#include "verilated.h"

extern "C" {
#include "tlpu/rng.h"
}

static constexpr unsigned R = 4, C = 40, SumW = 9 + 6; // 9 + clog2(40)

struct Bench {
    VerilatedContext ctx;
    Vtlpu_array m{&ctx};
    Bench()
    {
        m.clk_i = 0;
        m.rst_ni = 0;
        m.valid_i = 0;
        m.eval();
        m.rst_ni = 1;
        m.eval();
    }
    ~Bench() { m.final(); }
    void tick()
    {
        m.clk_i = 1;
        m.eval();
        m.clk_i = 0;
        m.eval();
    }
};

template <typename W> static void set_bit(W &w, unsigned i, int v)
{
    if (v)
        w[i / 32] |= 1u << (i % 32);
    else
        w[i / 32] &= ~(1u << (i % 32));
}

static void drive(Vtlpu_array &m, const int8_t *x, const int8_t (*t)[C])
{
    for (unsigned w = 0; w < C / 4; w++) {
        uint32_t v = 0;
        for (unsigned i = 0; i < 4; i++)
            v |= (uint32_t)(uint8_t)x[4 * w + i] << (8 * i);
        m.x_i[w] = v;
    }
    for (unsigned r = 0; r < R; r++)
        for (unsigned c = 0; c < C; c++) {
            set_bit(m.add_i, r * C + c, t[r][c] == 1);
            set_bit(m.sub_i, r * C + c, t[r][c] == -1);
        }
}

// Bit i of a Verilated port: QData up to 64 bits, VlWide beyond.
static unsigned get_bit(QData v, unsigned i) { return (unsigned)(v >> i) & 1u; }
template <std::size_t N> static unsigned get_bit(const VlWide<N> &v, unsigned i)
{
    return (v[i / 32] >> (i % 32)) & 1u;
}

static int32_t row_sum(const Vtlpu_array &m, unsigned r)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < SumW; b++)
        v |= get_bit(m.sums_o, r * SumW + b) << b;
    if (v & (1u << (SumW - 1))) // sign-extend
        v |= ~((1u << SumW) - 1u);
    return (int32_t)v;
}

static void check_cycle(Bench &b, const int8_t *x, const int8_t (*t)[C])
{
    drive(b.m, x, t);
    b.m.valid_i = 1;
    b.tick();
    b.m.valid_i = 0;
    ck_assert_int_eq(b.m.valid_o, 1);
    unsigned adds = 0, subs = 0;
    for (unsigned r = 0; r < R; r++) {
        int32_t want = 0;
        for (unsigned c = 0; c < C; c++) {
            want += t[r][c] * x[c];
            adds += t[r][c] == 1;
            subs += t[r][c] == -1;
        }
        ck_assert_msg(row_sum(b.m, r) == want, "row %u: %d != %d", r, row_sum(b.m, r), want);
    }
    ck_assert_uint_eq(b.m.adds_o, adds);
    ck_assert_uint_eq(b.m.subs_o, subs);
    b.tick(); // an idle cycle: valid drops, outputs hold
    ck_assert_int_eq(b.m.valid_o, 0);
    ck_assert_uint_eq(b.m.adds_o, adds);
}

START_TEST(random_cycles)
{
    Bench b;
    tlpu_rng r = tlpu_rng_seed(42);
    int8_t x[C], t[R][C];
    for (int n = 0; n < 2000; n++) {
        for (unsigned c = 0; c < C; c++)
            x[c] = (int8_t)(tlpu_rng_next(&r) & 0xff);
        for (unsigned i = 0; i < R; i++)
            for (unsigned c = 0; c < C; c++)
                t[i][c] = tlpu_rng_trit(&r);
        check_cycle(b, x, t);
    }
}
END_TEST

START_TEST(extremes)
{
    Bench b;
    int8_t x[C], t[R][C];
    const int8_t xs[] = {-128, 127, 0, -1};
    for (int8_t xv : xs)
        for (int tv = -1; tv <= 1; tv++) {
            memset(x, (uint8_t)xv, sizeof x);
            memset(t, (uint8_t)(int8_t)tv, sizeof t);
            check_cycle(b, x, t); // e.g. 40 x -(-128) = 5120, the largest row sum
        }
}
END_TEST

int main(int argc, char **argv)
{
    Verilated::commandArgs(argc, argv);
    Suite *s = suite_create("rtl_array");
    TCase *tc = tcase_create("array");
    tcase_add_test(tc, random_cycles);
    tcase_add_test(tc, extremes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
