/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_proto - the wire protocol's building blocks (tlpu/proto.h): the
 * CRC-32 against its published check value and a bitwise reference, the
 * little-endian helpers, and sealed headers read back field by field.
 */
#include <string.h>

#include "test_util.h"
#include "tlpu/proto.h"
#include "tlpu/rng.h"

/* the CRC bit by bit, straight from the definition */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

START_TEST(test_crc)
{
    ck_assert_uint_eq(tlpu_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(tlpu_crc32(0, "", 0), 0);
    tlpu_rng r = tlpu_rng_seed(1);
    uint8_t buf[1000];
    for (int t = 0; t < 200; t++) {
        size_t n = tlpu_rng_next(&r) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)tlpu_rng_next(&r);
        ck_assert_uint_eq(tlpu_crc32(0, buf, n), crc_bitwise(buf, n));
        size_t cut = n ? tlpu_rng_next(&r) % n : 0; /* chained = whole */
        ck_assert_uint_eq(tlpu_crc32(tlpu_crc32(0, buf, cut), buf + cut, n - cut),
                          crc_bitwise(buf, n));
    }
}
END_TEST

START_TEST(test_le_and_header)
{
    uint8_t b[8];
    tlpu_put_u64(b, 0x0102030405060708ull);
    ck_assert_uint_eq(b[0], 0x08);
    ck_assert_uint_eq(b[7], 0x01);
    ck_assert_uint_eq(tlpu_get_u64(b), 0x0102030405060708ull);
    ck_assert_uint_eq(tlpu_get_u32(b), 0x05060708u);
    ck_assert_uint_eq(tlpu_get_u16(b), 0x0708u);
    static uint8_t p[TLPU_PROTO_MAX_PACKET];
    memcpy(p + TLPU_PROTO_HDR_BYTES, "payload", 7);
    tlpu_proto_seal(p, TLPU_PROTO_OP_ECHO, TLPU_PROTO_FLAG_REPLY, 0xDEADBEEF, 7, 11);
    ck_assert_mem_eq(p, "TLP1", 4);
    tlpu_proto_hdr h;
    tlpu_proto_read_hdr(p, &h);
    ck_assert_uint_eq(h.magic, TLPU_PROTO_MAGIC);
    ck_assert_uint_eq(h.version, TLPU_PROTO_VERSION);
    ck_assert_uint_eq(h.opcode, TLPU_PROTO_OP_ECHO);
    ck_assert_uint_eq(h.flags, TLPU_PROTO_FLAG_REPLY);
    ck_assert_uint_eq(h.tag, 0xDEADBEEF);
    ck_assert_uint_eq(h.length, 7);
    ck_assert_uint_eq(h.status, 11);
    ck_assert_uint_eq(h.crc, tlpu_proto_crc_of(p, TLPU_PROTO_HDR_BYTES + 7));
    /* the CRC covers the header with its crc field zero, then the payload */
    uint8_t z[TLPU_PROTO_HDR_BYTES + 7];
    memcpy(z, p, sizeof z);
    memset(z + 20, 0, 4);
    ck_assert_uint_eq(h.crc, crc_bitwise(z, sizeof z));
    p[TLPU_PROTO_HDR_BYTES + 3] ^= 0x10;
    ck_assert_uint_ne(h.crc, tlpu_proto_crc_of(p, TLPU_PROTO_HDR_BYTES + 7));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("proto");
    tcase_add_test(tc, test_crc);
    tcase_add_test(tc, test_le_and_header);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
