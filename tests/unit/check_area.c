/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The area model (tlpu/area.h): the logic formula against the yosys counts
 * it was fitted to, the SRAM bits of the RTL's buffers, the pricing with the
 * shipped tables, and the errors (no area entries, wrong units, bad cores).
 * tests/rtl/check_area_cells.sh (ctest rtl_area) checks the logic against
 * yosys on configurations outside the fit.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/area.h"
#include "tlpu/energy.h"
#include "tlpu/tiler.h"

static tlpu_hw hw_of(uint32_t rows, uint32_t cols, uint32_t queue)
{
    tlpu_hw h;
    tlpu_hw_default(&h);
    h.rows = rows;
    h.cols = cols;
    h.queue_depth = queue;
    return h;
}

static tlpu_energy_table *builtin(const char *name)
{
    tlpu_energy_table *t = NULL;
    ck_assert_int_eq(tlpu_energy_builtin(name, &t), TLPU_OK);
    return t;
}

/* the shipped 7 nm file with the entry `key` cut out */
static char *without(const char *key)
{
    size_t n;
    char *s = (char *)test_read_file("../../host/data/energy/7nm.json", &n);
    s[n] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": {", key);
    char *at = strstr(s, pat);
    ck_assert_msg(at != NULL, "test bug: %s not in 7nm.json", key);
    char *end = strchr(at, '}');
    ck_assert_ptr_nonnull(end);
    end++;
    if (*end == ',') {
        end++; /* the entry and its comma */
    } else {
        while (at > s && at[-1] != ',') /* the last entry: the comma before it */
            at--;
        at--;
    }
    memmove(at, end, strlen(end) + 1);
    return s;
}

static char *replaced(const char *needle, const char *repl)
{
    size_t n;
    char *s = (char *)test_read_file("../../host/data/energy/7nm.json", &n);
    s[n] = '\0';
    char *at = strstr(s, needle);
    ck_assert_msg(at != NULL, "test bug: '%s' not in 7nm.json", needle);
    size_t nl = strlen(needle), rl = strlen(repl);
    char *o = malloc(n - nl + rl + 1);
    ck_assert_ptr_nonnull(o);
    memcpy(o, s, (size_t)(at - s));
    memcpy(o + (at - s), repl, rl);
    memcpy(o + (at - s) + rl, at + nl, n - (size_t)(at - s) - nl + 1);
    free(s);
    return o;
}

/* ---- the logic --------------------------------------------------------------- */

/* The whole core's yosys counts the formula was fitted to (QUEUE_DEPTH 8;
 * docs/energy-model.md, "Area"): the model stays within 3.5% of each. */
START_TEST(logic_fit)
{
    static const struct {
        uint32_t rows, cols;
        double yosys;
    } fit[] = {{4, 20, 51609},   {4, 160, 134611},  {16, 40, 152051},  {32, 80, 433563},
               {64, 20, 287087}, {16, 120, 300768}, {32, 140, 601687}, {48, 60, 528625}};
    for (size_t i = 0; i < sizeof fit / sizeof fit[0]; i++) {
        tlpu_hw h = hw_of(fit[i].rows, fit[i].cols, 8);
        tlpu_area_logic l;
        ck_assert_int_eq(tlpu_area_cells(&h, &l), TLPU_OK);
        double err = (l.total - fit[i].yosys) / fit[i].yosys;
        ck_assert_msg(fabs(err) < 0.035, "%ux%u: model %.0f, yosys %.0f (%+.1f%%)", fit[i].rows,
                      fit[i].cols, l.total, fit[i].yosys, 100 * err);
        ck_assert_double_eq_tol(l.array + l.decoders + l.queues + l.control, l.total, 1e-6);
        ck_assert(l.array > 0 && l.decoders > 0 && l.queues > 0 && l.control > 0);
    }
}
END_TEST

/* more lanes, rows, columns or queue entries: more cells; buffer sizes: the same */
START_TEST(logic_shape)
{
    tlpu_area_logic a, b;
    for (uint32_t r = 4; r <= 1024; r *= 2)
        for (uint32_t c = 20; c <= 1280; c *= 2) {
            tlpu_hw h = hw_of(r, c, 8), hr = hw_of(r + 4, c, 8), hc = hw_of(r, c + 20, 8);
            ck_assert_int_eq(tlpu_area_cells(&h, &a), TLPU_OK);
            ck_assert_int_eq(tlpu_area_cells(&hr, &b), TLPU_OK);
            ck_assert_msg(b.array > a.array && b.total > a.total, "%ux%u rows", r, c);
            if (c + 20 <= 1280) {
                ck_assert_int_eq(tlpu_area_cells(&hc, &b), TLPU_OK);
                ck_assert_msg(b.array > a.array && b.decoders > a.decoders, "%ux%u cols", r, c);
            }
        }
    tlpu_hw h = hw_of(32, 80, 8), hq = hw_of(32, 80, 16), hb = hw_of(32, 80, 8);
    hb.abuf_words *= 8;
    hb.wbuf_chunks *= 8;
    hb.obuf_words = 5;
    hb.imem_depth = 16;
    tlpu_area_logic q, bb;
    ck_assert_int_eq(tlpu_area_cells(&h, &a), TLPU_OK);
    ck_assert_int_eq(tlpu_area_cells(&hq, &q), TLPU_OK);
    ck_assert_int_eq(tlpu_area_cells(&hb, &bb), TLPU_OK);
    /* a queue entry is a 128-bit register and its mux: 259 cells, two queues */
    ck_assert_double_eq_tol(q.queues - a.queues, 2 * 8 * 259.0, 1e-6);
    ck_assert_double_eq_tol(bb.total, a.total, 1e-6);
}
END_TEST

/* ---- the SRAM ---------------------------------------------------------------- */

START_TEST(sram_bits)
{
    tlpu_hw h;
    tlpu_hw_default(&h); /* 32 x 80, wbuf 128, abuf 8192, obuf 2048, imem 1024 */
    tlpu_area_bits b;
    ck_assert_int_eq(tlpu_area_sram_bits(&h, &b), TLPU_OK);
    ck_assert_double_eq(b.wbuf, 32.0 * 160 * 256); /* ROWS x 2 COLS bits x 2 banks of 128 */
    ck_assert_double_eq(b.abuf, 8192.0 * 640);
    ck_assert_double_eq(b.obuf, 2048.0 * 1024);
    ck_assert_double_eq(b.imem, 1024.0 * 128);
    ck_assert_double_eq(b.total, b.wbuf + b.abuf + b.obuf + b.imem);
    h.abuf_words = 16;
    ck_assert_int_eq(tlpu_area_sram_bits(&h, &b), TLPU_OK);
    ck_assert_double_eq(b.abuf, 16.0 * 640);
}
END_TEST

/* ---- pricing ----------------------------------------------------------------- */

START_TEST(priced)
{
    tlpu_hw h;
    tlpu_hw_default(&h);
    tlpu_energy_table *t7 = builtin("7nm"), *t45 = builtin("45nm");
    tlpu_area_breakdown a7, a45;
    tlpu_area_logic l;
    tlpu_area_bits b;
    char err[256] = "x";
    ck_assert_int_eq(tlpu_area_estimate(&h, t7, &a7, err, sizeof err), TLPU_OK);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(tlpu_area_estimate(&h, t45, &a45, NULL, 0), TLPU_OK);
    ck_assert_int_eq(tlpu_area_cells(&h, &l), TLPU_OK);
    ck_assert_int_eq(tlpu_area_sram_bits(&h, &b), TLPU_OK);
    double cell, bit;
    ck_assert_int_eq(tlpu_energy_value(t7, "cell_area", &cell), TLPU_OK);
    ck_assert_int_eq(tlpu_energy_value(t7, "sram_bit_area", &bit), TLPU_OK);
    ck_assert_double_eq_tol(cell, 0.133, 1e-12);
    ck_assert_double_eq_tol(bit, 0.045, 1e-12);
    /* every component is its count times the node's price (um^2 -> mm^2) */
    ck_assert_double_eq_tol(a7.array, l.array * cell * 1e-6, 1e-12);
    ck_assert_double_eq_tol(a7.control, l.control * cell * 1e-6, 1e-12);
    ck_assert_double_eq_tol(a7.abuf, b.abuf * bit * 1e-6, 1e-12);
    ck_assert_double_eq_tol(a7.obuf, 2 * b.obuf * bit * 1e-6, 1e-12); /* two read ports */
    ck_assert_double_eq_tol(a7.logic_mm2, l.total * cell * 1e-6, 1e-12);
    ck_assert_double_eq_tol(a7.sram_mm2, a7.wbuf + a7.abuf + a7.obuf + a7.imem, 1e-12);
    ck_assert_double_eq_tol(a7.total, a7.logic_mm2 + a7.sram_mm2 + a7.fixed, 1e-12);
    ck_assert_double_eq(a7.fixed, 0);
    ck_assert_double_eq(a7.logic_cells, l.total);
    ck_assert_double_eq(a7.sram_bits, b.total);
    /* the default core: about half a mm^2 at 7 nm, mostly SRAM; 45 nm ~ 10x */
    ck_assert_msg(a7.total > 0.3 && a7.total < 1.0, "7nm: %g mm2", a7.total);
    ck_assert(a7.sram_mm2 > 4 * a7.logic_mm2);
    ck_assert_msg(a45.total / a7.total > 8 && a45.total / a7.total < 20, "45/7: %g",
                  a45.total / a7.total);
    /* a bigger array is bigger */
    tlpu_hw big = hw_of(64, 160, 8);
    tlpu_area_breakdown ab;
    ck_assert_int_eq(tlpu_area_estimate(&big, t7, &ab, NULL, 0), TLPU_OK);
    ck_assert(ab.logic_mm2 > 2 * a7.logic_mm2 && ab.total > a7.total);
    tlpu_energy_free(t7);
    tlpu_energy_free(t45);
}
END_TEST

/* area_fixed, when the table has it, is added as it is (in any area unit) */
START_TEST(fixed_area)
{
    char *s = replaced("\"sram_bit_area\": {",
                       "\"area_fixed\": {\"value\": 2500000, \"unit\": \"um2\", \"node\": \"7nm\", "
                       "\"source\": \"test\"},\n    \"sram_bit_area\": {");
    tlpu_energy_table *t = NULL;
    char err[256];
    ck_assert_msg(tlpu_energy_parse(s, strlen(s), "fixed", &t, err, sizeof err) == TLPU_OK, "%s",
                  err);
    tlpu_hw h;
    tlpu_hw_default(&h);
    tlpu_area_breakdown a;
    ck_assert_int_eq(tlpu_area_estimate(&h, t, &a, err, sizeof err), TLPU_OK);
    ck_assert_double_eq_tol(a.fixed, 2.5, 1e-12);
    ck_assert_double_eq_tol(a.total, a.logic_mm2 + a.sram_mm2 + 2.5, 1e-12);
    tlpu_energy_free(t);
    free(s);
}
END_TEST

/* ---- errors ------------------------------------------------------------------ */

START_TEST(no_area_entries)
{
    static const char *const keys[] = {"cell_area", "sram_bit_area"};
    for (size_t i = 0; i < 2; i++) {
        char *s = without(keys[i]);
        tlpu_energy_table *t = NULL;
        char err[256];
        /* the table still loads: it prices energy, not area */
        ck_assert_msg(tlpu_energy_parse(s, strlen(s), "cut", &t, err, sizeof err) == TLPU_OK,
                      "%s", err);
        tlpu_hw h;
        tlpu_hw_default(&h);
        tlpu_area_breakdown a, sentinel;
        memset(&sentinel, 0x5a, sizeof sentinel);
        a = sentinel;
        ck_assert_int_eq(tlpu_area_estimate(&h, t, &a, err, sizeof err), TLPU_ERR_UNSUPPORTED);
        ck_assert_msg(strstr(err, keys[i]) && strstr(err, "7nm"), "%s", err);
        ck_assert_int_eq(memcmp(&a, &sentinel, sizeof a), 0);
        tlpu_energy_free(t);
        free(s);
    }
}
END_TEST

START_TEST(wrong_unit)
{
    char *s = replaced("\"value\": 0.133, \"unit\": \"um2/cell\"",
                       "\"value\": 0.133, \"unit\": \"pJ/op\"");
    tlpu_energy_table *t = NULL;
    char err[256];
    ck_assert_int_ne(tlpu_energy_parse(s, strlen(s), "unit", &t, err, sizeof err), TLPU_OK);
    ck_assert_msg(strstr(err, "cell_area") && strstr(err, "um2/cell"), "%s", err);
    ck_assert_ptr_null(t);
    free(s);
}
END_TEST

START_TEST(bad_arguments)
{
    tlpu_energy_table *t = builtin("7nm");
    tlpu_hw h;
    tlpu_hw_default(&h);
    tlpu_area_breakdown a;
    tlpu_area_logic l;
    tlpu_area_bits b;
    char err[256];
    ck_assert_int_eq(tlpu_area_estimate(NULL, t, &a, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_area_estimate(&h, NULL, &a, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_area_estimate(&h, t, NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_area_cells(NULL, &l), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_area_cells(&h, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_area_sram_bits(NULL, &b), TLPU_ERR_INVALID_ARG);
    tlpu_hw bad = hw_of(6, 80, 8); /* rows not a multiple of 4 */
    ck_assert_int_eq(tlpu_area_estimate(&bad, t, &a, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_msg(strstr(err, "6x80"), "%s", err);
    ck_assert_int_eq(tlpu_area_cells(&bad, &l), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_area_sram_bits(&bad, &b), TLPU_ERR_INVALID_ARG);
    tlpu_energy_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("area");
    TCase *tc = tcase_create("area");
    tcase_add_test(tc, logic_fit);
    tcase_add_test(tc, logic_shape);
    tcase_add_test(tc, sram_bits);
    tcase_add_test(tc, priced);
    tcase_add_test(tc, fixed_area);
    tcase_add_test(tc, no_area_entries);
    tcase_add_test(tc, wrong_unit);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(suite());
}
