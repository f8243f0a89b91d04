/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the Check programs. */
#ifndef TLPU_TEST_UTIL_H
#define TLPU_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads a whole file from tests/data; fails the test if it cannot. */
static inline unsigned char *test_read_file(const char *rel, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TLPU_TEST_DATA_DIR, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert_msg(len >= 0, "cannot size %s", path);
    unsigned char *buf = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(fread(buf, 1, (size_t)len, f) == (size_t)len, "short read of %s", path);
    fclose(f);
    *size = (size_t)len;
    return buf;
}

/* Runs one suite; main() returns this. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
