/* SPDX-License-Identifier: Apache-2.0 */
/* tlpu_status_name() / tlpu_strerror(): every status has a name and a text. */
#include <limits.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/status.h"

#define ENTRY(x) {x, #x}
static const struct {
    int code;
    const char *name;
} k_expected[] = {
    ENTRY(TLPU_OK),          ENTRY(TLPU_ERR_INVALID_ARG), ENTRY(TLPU_ERR_SHAPE),
    ENTRY(TLPU_ERR_OVERFLOW), ENTRY(TLPU_ERR_NONFINITE),  ENTRY(TLPU_ERR_RANGE),
    ENTRY(TLPU_ERR_FORMAT),  ENTRY(TLPU_ERR_BUFFER_SIZE), ENTRY(TLPU_ERR_NOMEM),
    ENTRY(TLPU_ERR_UNSUPPORTED), ENTRY(TLPU_ERR_IO),   ENTRY(TLPU_ERR_TIMEOUT),
    ENTRY(TLPU_ERR_DEVICE),
    ENTRY(TLPU_ERR_PROTOCOL),
    ENTRY(TLPU_ERR_NO_DEVICE),
    ENTRY(TLPU_ERR_BUSY),
    ENTRY(TLPU_ERR_TRANSPORT),
    ENTRY(TLPU_ERR_CANCELLED),
};
#undef ENTRY
#define N_EXPECTED ((int)(sizeof k_expected / sizeof k_expected[0]))

/* The table above lists every value from TLPU_OK down to TLPU_STATUS_MIN. */
START_TEST(test_table_covers_range)
{
    ck_assert_int_eq(TLPU_OK, 0);
    ck_assert_int_lt(TLPU_STATUS_MIN, 0);
    ck_assert_int_eq(N_EXPECTED, 1 - TLPU_STATUS_MIN);
    for (int i = 0; i < N_EXPECTED; i++)
        ck_assert_int_eq(k_expected[i].code, -i);
}
END_TEST

START_TEST(test_names_match_identifiers)
{
    for (int i = 0; i < N_EXPECTED; i++) {
        const char *name = tlpu_status_name(k_expected[i].code);
        ck_assert_ptr_nonnull(name);
        ck_assert_str_eq(name, k_expected[i].name);
    }
}
END_TEST

START_TEST(test_every_status_named_and_described)
{
    for (int s = TLPU_OK; s >= TLPU_STATUS_MIN; s--) {
        const char *name = tlpu_status_name(s);
        const char *text = tlpu_strerror(s);
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(strncmp(name, "TLPU_", 5) == 0, "status %d: name '%s'", s, name);
        ck_assert_msg(strcmp(name, "TLPU_ERR_UNKNOWN") != 0, "status %d has no name", s);
        ck_assert_msg(text[0] != '\0', "status %d: empty text", s);
        ck_assert_msg(strchr(text, '\n') == NULL, "status %d: text is not one line", s);
    }
}
END_TEST

START_TEST(test_names_and_texts_distinct)
{
    for (int a = TLPU_OK; a >= TLPU_STATUS_MIN; a--) {
        for (int b = a - 1; b >= TLPU_STATUS_MIN; b--) {
            ck_assert_msg(strcmp(tlpu_status_name(a), tlpu_status_name(b)) != 0,
                          "statuses %d and %d share the name %s", a, b, tlpu_status_name(a));
            ck_assert_msg(strcmp(tlpu_strerror(a), tlpu_strerror(b)) != 0,
                          "statuses %d and %d share the text '%s'", a, b, tlpu_strerror(a));
        }
    }
}
END_TEST

static const int k_unknown[] = {1, 2, -1000, INT_MIN, INT_MAX, TLPU_STATUS_MIN - 1};

START_TEST(test_unknown_values)
{
    int v = k_unknown[_i];
    const char *name = tlpu_status_name(v);
    const char *text = tlpu_strerror(v);
    ck_assert_ptr_nonnull(name);
    ck_assert_str_eq(name, "TLPU_ERR_UNKNOWN");
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(text[0] != '\0', "value %d: empty text", v);
    /* The text of an unknown value must not pass for a known status. */
    for (int s = TLPU_OK; s >= TLPU_STATUS_MIN; s--)
        ck_assert_msg(strcmp(text, tlpu_strerror(s)) != 0, "value %d described like status %d", v,
                      s);
}
END_TEST

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");

    TCase *tc = tcase_create("known");
    tcase_add_test(tc, test_table_covers_range);
    tcase_add_test(tc, test_names_match_identifiers);
    tcase_add_test(tc, test_every_status_named_and_described);
    tcase_add_test(tc, test_names_and_texts_distinct);
    suite_add_tcase(s, tc);

    tc = tcase_create("unknown");
    tcase_add_loop_test(tc, test_unknown_values, 0,
                        (int)(sizeof k_unknown / sizeof k_unknown[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(status_suite()); }
