// SPDX-License-Identifier: Apache-2.0
// tlpu_wdec (with tlpu_pack3_dec), Cols = 80, exhaustively: every byte value
// at every byte position of a row chunk, in both packings, against the C
// reference unpackers (tlpu_unpack2 / tlpu_unpack3). Invalid codes (PACK2
// code 3, PACK3 bytes 243..255) must decode as skips.
#include <check.h>
#include <cstdint>
#include <cstring>

#include "Vtlpu_wdec.h"
#include "verilated.h"

extern "C" {
#include "tlpu/pack.h"
}

static constexpr unsigned kCols = 80;
static constexpr unsigned kBytes = kCols / 4; // the port width (PACK2)

static void set_bytes(Vtlpu_wdec &m, const uint8_t *b)
{
    for (unsigned w = 0; w < (2 * kCols + 31) / 32; w++) {
        uint32_t v = 0;
        for (unsigned i = 0; i < 4 && 4 * w + i < kBytes; i++)
            v |= (uint32_t)b[4 * w + i] << (8 * i);
        m.bytes_i[w] = v;
    }
}

static int bit(const VlWide<3> &v, unsigned i) { return (v[i / 32] >> (i % 32)) & 1; }

// The trit the hardware applied to lane c (+1 add, -1 subtract, 0 skip).
static int lane_trit(const Vtlpu_wdec &m, unsigned c)
{
    int a = bit(m.add_o, c), s = bit(m.sub_o, c);
    ck_assert_msg(!(a && s), "lane %u both adds and subtracts", c);
    return a - s;
}

START_TEST(pack2_every_byte_every_position)
{
    VerilatedContext ctx;
    Vtlpu_wdec m{&ctx};
    m.fmt_i = 0;
    uint8_t b[kBytes];
    for (unsigned pos = 0; pos < kBytes; pos++)
        for (unsigned v = 0; v < 256; v++) {
            memset(b, 0, sizeof b);
            b[pos] = (uint8_t)v;
            set_bytes(m, b);
            m.eval();
            for (unsigned c = 0; c < kCols; c++) {
                int want = 0;
                if (c / 4 == pos) {
                    unsigned code = (v >> (2 * (c % 4))) & 3u;
                    want = code == 3u ? 0 : tlpu_digit_trit((uint8_t)code);
                    if (code != 3u) { // cross-check the digit with the C unpacker
                        int8_t t[4];
                        uint8_t one = (uint8_t)(code << (2 * (c % 4)));
                        ck_assert_int_eq(tlpu_unpack2(&one, 1, 4, t), TLPU_OK);
                        ck_assert_int_eq(t[c % 4], want);
                    }
                }
                ck_assert_msg(lane_trit(m, c) == want, "PACK2 byte %u=0x%02x lane %u: %d != %d",
                              pos, v, c, lane_trit(m, c), want);
            }
        }
    m.final();
}
END_TEST

START_TEST(pack3_every_byte_every_position)
{
    VerilatedContext ctx;
    Vtlpu_wdec m{&ctx};
    m.fmt_i = 1;
    uint8_t b[kBytes];
    for (unsigned pos = 0; pos < kCols / 5; pos++)
        for (unsigned v = 0; v < 256; v++) {
            memset(b, 0, sizeof b);
            b[pos] = (uint8_t)v;
            // the bytes PACK3 does not use must not matter: fill them with junk
            for (unsigned j = kCols / 5; j < kBytes; j++)
                b[j] = (uint8_t)(0xA5 ^ v ^ j);
            set_bytes(m, b);
            m.eval();
            int8_t t[5] = {0, 0, 0, 0, 0};
            uint8_t one = (uint8_t)v;
            if (v < 243)
                ck_assert_int_eq(tlpu_unpack3(&one, 1, 5, t), TLPU_OK);
            else
                ck_assert_int_eq(tlpu_unpack3(&one, 1, 5, t), TLPU_ERR_FORMAT);
            for (unsigned c = 0; c < kCols; c++) {
                int want = (c / 5 == pos && v < 243) ? t[c % 5] : 0;
                ck_assert_msg(lane_trit(m, c) == want, "PACK3 byte %u=%u lane %u: %d != %d", pos,
                              v, c, lane_trit(m, c), want);
            }
        }
    m.final();
}
END_TEST

int main(int argc, char **argv)
{
    Verilated::commandArgs(argc, argv);
    Suite *s = suite_create("rtl_wdec");
    TCase *tc = tcase_create("exhaustive");
    tcase_add_test(tc, pack2_every_byte_every_position);
    tcase_add_test(tc, pack3_every_byte_every_position);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
