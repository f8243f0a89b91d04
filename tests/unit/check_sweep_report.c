/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_sweep_report - tlpu sweep report (tlpu_sweep_report, tlpu/sweep.h):
 *
 *  - the Pareto front (tlpu_sweep_pareto, host/src/sweep_report.h) on
 *    hand-made sets: dominated points, ties, duplicates, one point, all on
 *    the front, each objective minimised or maximised, NaN and infinities,
 *    and against the definition on random sets full of ties;
 *  - the page of a synthetic sweep directory written here (spec.json,
 *    points/, merged.json with two models, one named "<&>", and points
 *    without some metrics): the SVGs open and close, the front points and
 *    table rows match the fronts, names are escaped, points left out are
 *    counted, the page validates (tests/report/validate_report.py);
 *  - the errors: not a sweep, no merged.json, a broken merged.json, an
 *    unwritable file; nothing half-written is left behind.
 *
 * TLPU_SWEEP_REPORT_KEEP=<file> keeps the synthetic sweep's page.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_report.h"
#include "test_util.h"
#include "tlpu/sweep.h"

#define SRC_DIR TLPU_TEST_DATA_DIR "/../.."
#define VALIDATOR SRC_DIR "/tests/report/validate_report.py"
#define SCHEMA SRC_DIR "/docs/report.schema.json"

/* ---- the Pareto front ------------------------------------------------------------------ */

/* the front of n points; its indices (in order) must be want[0 .. nwant-1] */
static void expect_front(const double *x, const double *y, size_t n, int x_max, int y_max,
                         const size_t *want, size_t nwant)
{
    size_t front[64];
    ck_assert_uint_le(n, 64);
    size_t k = tlpu_sweep_pareto(x, y, n, x_max, y_max, front);
    ck_assert_uint_eq(k, nwant);
    for (size_t i = 0; i < k; i++)
        ck_assert_msg(front[i] == want[i], "front[%zu] = %zu, want %zu", i, front[i], want[i]);
}

START_TEST(pareto_dominated)
{
    /* (3,4) is beaten by (2,3), (5,5) by everything */
    const double x[] = {1, 2, 3, 4, 5}, y[] = {5, 3, 4, 1, 5};
    const size_t want[] = {0, 1, 3};
    expect_front(x, y, 5, 0, 0, want, 3);
}
END_TEST

START_TEST(pareto_ties)
{
    /* equal x: the better y wins; equal y: the better x wins */
    const double x1[] = {1, 1}, y1[] = {3, 2};
    const size_t w1[] = {1};
    expect_front(x1, y1, 2, 0, 0, w1, 1);
    const double x2[] = {2, 1}, y2[] = {2, 2};
    const size_t w2[] = {1};
    expect_front(x2, y2, 2, 0, 0, w2, 1);
    /* a tie in one objective and better in the other is not dominated */
    const double x3[] = {1, 2, 2}, y3[] = {2, 1, 1.5};
    const size_t w3[] = {0, 1};
    expect_front(x3, y3, 3, 0, 0, w3, 2);
}
END_TEST

START_TEST(pareto_duplicates)
{
    /* exact duplicates of a front point are all on it, in index order */
    const double x[] = {1, 2, 1, 1}, y[] = {1, 0, 1, 1};
    const size_t want[] = {0, 2, 3, 1};
    expect_front(x, y, 4, 0, 0, want, 4);
    /* duplicates of a dominated point are all off it */
    const double x2[] = {2, 2, 1}, y2[] = {2, 2, 1};
    const size_t w2[] = {2};
    expect_front(x2, y2, 3, 0, 0, w2, 1);
    /* every point the same: all on it */
    const double x3[] = {3, 3, 3}, y3[] = {7, 7, 7};
    const size_t w3[] = {0, 1, 2};
    expect_front(x3, y3, 3, 1, 0, w3, 3);
}
END_TEST

START_TEST(pareto_single_and_empty)
{
    const double x[] = {42}, y[] = {-1};
    const size_t want[] = {0};
    expect_front(x, y, 1, 0, 0, want, 1);
    expect_front(x, y, 1, 1, 1, want, 1);
    expect_front(x, y, 0, 0, 0, NULL, 0);
}
END_TEST

START_TEST(pareto_all_on_front)
{
    const double x[] = {4, 1, 3, 2}, y[] = {1, 4, 2, 3};
    const size_t want[] = {1, 3, 2, 0}; /* by x, best (smallest) first */
    expect_front(x, y, 4, 0, 0, want, 4);
}
END_TEST

START_TEST(pareto_maximise)
{
    const double x[] = {1, 2, 3}, y[] = {1, 3, 2};
    /* x minimised, y maximised: (1,1) has the best x, (2,3) the best y */
    const size_t w_min_max[] = {0, 1};
    expect_front(x, y, 3, 0, 1, w_min_max, 2);
    /* both maximised: (3,2) and (2,3), the larger x first */
    const size_t w_max_max[] = {2, 1};
    expect_front(x, y, 3, 1, 1, w_max_max, 2);
    /* x maximised, y minimised: (3,2) and (1,1) */
    const size_t w_max_min[] = {2, 0};
    expect_front(x, y, 3, 1, 0, w_max_min, 2);
    /* both minimised: (1,1) alone */
    const size_t w_min_min[] = {0};
    expect_front(x, y, 3, 0, 0, w_min_min, 1);
}
END_TEST

START_TEST(pareto_not_finite)
{
    /* NaN and infinities are never on the front and dominate nothing */
    const double x[] = {NAN, 1, -INFINITY, 2, 5}, y[] = {0, INFINITY, 0, 2, 5};
    const size_t want[] = {3};
    expect_front(x, y, 5, 0, 0, want, 1);
}
END_TEST

/* the definition, by brute force: nobody at least as good in both and strictly better in one */
static int dominated(const double *x, const double *y, size_t n, size_t i, int xm, int ym)
{
    for (size_t j = 0; j < n; j++) {
        double xi = xm ? -x[i] : x[i], xj = xm ? -x[j] : x[j];
        double yi = ym ? -y[i] : y[i], yj = ym ? -y[j] : y[j];
        if (xj <= xi && yj <= yi && (xj < xi || yj < yi))
            return 1;
    }
    return 0;
}

START_TEST(pareto_random)
{
    srand(12345);
    for (int trial = 0; trial < 400; trial++) {
        size_t n = 1 + (size_t)(rand() % 60);
        double x[60], y[60];
        size_t front[60];
        int xm = trial & 1, ym = (trial >> 1) & 1, range = 2 + trial % 9;
        for (size_t i = 0; i < n; i++)
            x[i] = rand() % range, y[i] = rand() % range;
        size_t k = tlpu_sweep_pareto(x, y, n, xm, ym, front);
        unsigned char on[60] = {0};
        for (size_t i = 0; i < k; i++) {
            ck_assert_uint_lt(front[i], n);
            ck_assert_msg(!on[front[i]], "index %zu twice", front[i]);
            on[front[i]] = 1;
            if (i) { /* along the front: x gets no better, y no worse */
                size_t a = front[i - 1], b = front[i];
                ck_assert(xm ? x[b] <= x[a] : x[b] >= x[a]);
                ck_assert(ym ? y[b] >= y[a] : y[b] <= y[a]);
            }
        }
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(on[i] == !dominated(x, y, n, i, xm, ym),
                          "trial %d: point %zu (%g, %g) on=%d", trial, i, x[i], y[i], on[i]);
    }
}
END_TEST

/* ---- a synthetic sweep ---------------------------------------------------------------------- */

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_msg(f != NULL, "cannot write %s", p);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* the rows of the k-th front table */
static size_t table_rows(const char *html, size_t k)
{
    const char *p = html;
    for (size_t i = 0; i <= k; i++) {
        p = strstr(p, "<table class=\"front-table\"");
        ck_assert_msg(p != NULL, "no front table %zu", k);
        p++;
    }
    const char *end = strstr(p, "</table>");
    ck_assert_ptr_nonnull(end);
    size_t n = 0;
    for (const char *q = p; (q = strstr(q, "<tr class=\"front-row\"")) && q < end; q++)
        n++;
    return n;
}

static char g_dir[256];

/*
 * Model "x<&>y" (6 points): energy/latency front #0 (1, 9), #1 (2, 4) and
 * its duplicate #5, #3 (6, 1); #2 (3, 5) and #4 (7, 2) are dominated. Area
 * and throughput: #0 (1 mm², 10/s), #1 (2, 30) and its duplicate #5, #3 (4,
 * 40) on the front, #2 (3, 20) off, #4 has area null.
 * Model bitnet-0.7b (3 points): no area at all (one chart says so); one
 * point without ms_per_token; a log axis (j spans 3 decades).
 */
static const char k_merged[] =
    "[\n"
    "{\"index\": 0, \"model\": \"x<&>y\", \"params\": {\"rows\": 16, \"packing\": \"a<b>\"},"
    " \"metrics\": {\"j_per_token\": 1e-3, \"ms_per_token\": 9, \"tokens_per_s\": 10,"
    " \"area_mm2\": 1}},\n"
    "{\"index\": 1, \"model\": \"x<&>y\", \"params\": {\"rows\": 32, \"packing\": \"base3\"},"
    " \"metrics\": {\"j_per_token\": 2e-3, \"ms_per_token\": 4, \"tokens_per_s\": 30,"
    " \"area_mm2\": 2}},\n"
    "{\"index\": 2, \"model\": \"x<&>y\", \"params\": {\"rows\": 48, \"packing\": \"base3\"},"
    " \"metrics\": {\"j_per_token\": 3e-3, \"ms_per_token\": 5, \"tokens_per_s\": 20,"
    " \"area_mm2\": 3}},\n"
    "{\"index\": 3, \"model\": \"x<&>y\", \"params\": {\"rows\": 64, \"packing\": \"2bit\"},"
    " \"metrics\": {\"j_per_token\": 6e-3, \"ms_per_token\": 1, \"tokens_per_s\": 40,"
    " \"area_mm2\": 4}},\n"
    "{\"index\": 4, \"model\": \"x<&>y\", \"params\": {\"rows\": 80, \"packing\": \"2bit\"},"
    " \"metrics\": {\"j_per_token\": 7e-3, \"ms_per_token\": 2, \"tokens_per_s\": 50,"
    " \"area_mm2\": null}},\n"
    "{\"index\": 5, \"model\": \"x<&>y\", \"params\": {\"rows\": 32, \"packing\": \"2bit\"},"
    " \"metrics\": {\"j_per_token\": 2e-3, \"ms_per_token\": 4, \"tokens_per_s\": 30,"
    " \"area_mm2\": 2}},\n"
    "{\"index\": 6, \"model\": \"bitnet-0.7b\", \"params\": {\"rows\": 16, \"clock\": 5e8},"
    " \"metrics\": {\"j_per_token\": 1e-5, \"ms_per_token\": 3, \"tokens_per_s\": 333}},\n"
    "{\"index\": 7, \"model\": \"bitnet-0.7b\", \"params\": {\"rows\": 32, \"clock\": 1e9},"
    " \"metrics\": {\"j_per_token\": 1e-2, \"ms_per_token\": 1, \"tokens_per_s\": 1000}},\n"
    "{\"index\": 8, \"model\": \"bitnet-0.7b\", \"params\": {\"rows\": 64, \"clock\": 1e9},"
    " \"metrics\": {\"j_per_token\": 1e-3, \"ms_per_token\": null}}\n"
    "]\n";

/* a sweep directory with spec.json, 9 points and merged.json */
static void make_sweep(const char *merged)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/check_sweep_report.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
    char p[512];
    snprintf(p, sizeof p, "%s/points", g_dir);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    put(g_dir, "spec.json",
        "{\"tlpu_sweep\": 1, \"name\": \"unit & <test>\", \"models\": [\"x<&>y\", "
        "\"bitnet-0.7b\"], \"prefill\": 8, \"decode\": 4}\n");
    for (int i = 0; i < 9; i++) {
        char name[64];
        snprintf(name, sizeof name, "points/%06d.json", i);
        put(g_dir, name, "{}\n");
    }
    put(g_dir, "rejected.json", "[{}, {}]\n");
    if (merged)
        put(g_dir, "merged.json", merged);
}

static void remove_sweep(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* no temporary file beside path */
static void no_leftovers(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    ck_assert_msg(system(cmd) != 0, "a temporary file was left in %s", dir);
}

START_TEST(report_page)
{
    make_sweep(k_merged);
    char html_path[600], err[512] = "";
    snprintf(html_path, sizeof html_path, "%s/report.html", g_dir);
    uint32_t fronts = 99;
    tlpu_status st = tlpu_sweep_report(g_dir, html_path, &fronts, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "tlpu_sweep_report: %s", err);
    char *h = slurp(html_path);
    const char *keep = getenv("TLPU_SWEEP_REPORT_KEEP");
    if (keep) {
        FILE *f = fopen(keep, "w");
        if (f) {
            fputs(h, f);
            fclose(f);
        }
    }

    /* four charts (2 models x 2), each a whole <svg> */
    ck_assert_uint_eq(count(h, "<svg"), 4);
    ck_assert_uint_eq(count(h, "</svg>"), 4);
    ck_assert_uint_eq(count(h, "<!DOCTYPE html>"), 1);
    /* fronts: x<&>y 4 + 4; bitnet-0.7b 2 + none */
    ck_assert_uint_eq(count(h, "class=\"front\""), 4 + 4 + 2);
    ck_assert_uint_eq(count(h, "class=\"front-line\""), 3);
    ck_assert_uint_eq(count(h, "class=\"pt\""), 2 + 1 + 0);
    /* points on any front: #0 #1 #3 #5 of x<&>y, #6 #7 of bitnet-0.7b */
    ck_assert_uint_eq(fronts, 6);
    /* the tables: one per front with points, a row per front point */
    ck_assert_uint_eq(count(h, "<table class=\"front-table\""), 3);
    ck_assert_uint_eq(table_rows(h, 0), 4);
    ck_assert_uint_eq(table_rows(h, 1), 4);
    ck_assert_uint_eq(table_rows(h, 2), 2);
    /* sorted along the front: energy-latency #0, #1, #5, #3 */
    const char *t0 = strstr(h, "<table class=\"front-table\"");
    const char *r0 = strstr(t0, ">0</td>"), *r1 = strstr(t0, ">1</td>");
    const char *r5 = strstr(t0, ">5</td>"), *r3 = strstr(t0, ">3</td>");
    ck_assert(r0 && r1 && r5 && r3 && r0 < r1 && r1 < r5 && r5 < r3);
    /* every string from the files escaped */
    ck_assert_ptr_null(strstr(h, "x<&>y"));
    ck_assert_ptr_null(strstr(h, "a<b>"));
    ck_assert_ptr_null(strstr(h, "unit & <test>"));
    ck_assert_ptr_nonnull(strstr(h, "<h2 id=\"model-0\">x&lt;&amp;&gt;y</h2>"));
    ck_assert_ptr_nonnull(strstr(h, "<td>a&lt;b&gt;</td>"));
    ck_assert_ptr_nonnull(strstr(h, "unit &amp; &lt;test&gt;"));
    /* what is left out is counted; an empty chart says so */
    ck_assert_ptr_nonnull(strstr(h, "1 point has no area_mm2"));
    ck_assert_ptr_nonnull(strstr(h, "1 point has no ms_per_token"));
    ck_assert_ptr_nonnull(strstr(h, "3 points have no area_mm2"));
    ck_assert_ptr_nonnull(strstr(h, "no point has both area_mm2 and tokens_per_s"));
    /* tooltips carry the index and parameters; log axes where values span decades */
    ck_assert_ptr_nonnull(strstr(h, "<title>#1 rows=32, packing=base3 (Pareto-optimal): "));
    ck_assert_ptr_nonnull(strstr(h, "<title>#7 rows=32, clock=1e9 (Pareto-optimal)"));
    ck_assert_ptr_nonnull(strstr(h, "energy per generated token (J, log scale)"));
    ck_assert_ptr_nonnull(strstr(h, "time per generated token (ms)"));
    ck_assert_ptr_nonnull(strstr(h, "9 finished (merged.json) of 9 planned; 2 rejected"));
    ck_assert_ptr_null(strstr(h, "<script"));
    free(h);
    no_leftovers(g_dir);

    /* the page as XML, each SVG on its own, nothing external */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "python3 '%s' --schema '%s' --html '%s'", VALIDATOR, SCHEMA,
             html_path);
    int vs = system(cmd);
    ck_assert_msg(vs == 0, "validate_report.py failed (status %d): %s", vs, cmd);

    /* written again over the old page; fronts may be NULL */
    ck_assert_int_eq(tlpu_sweep_report(g_dir, html_path, NULL, err, sizeof err), TLPU_OK);
    remove_sweep();
}
END_TEST

START_TEST(report_empty)
{
    make_sweep("[]\n");
    char html_path[600], err[512] = "";
    snprintf(html_path, sizeof html_path, "%s/r.html", g_dir);
    uint32_t fronts = 99;
    ck_assert_int_eq(tlpu_sweep_report(g_dir, html_path, &fronts, err, sizeof err), TLPU_OK);
    ck_assert_uint_eq(fronts, 0);
    char *h = slurp(html_path);
    ck_assert_ptr_nonnull(strstr(h, "merged.json has no finished points"));
    ck_assert_uint_eq(count(h, "<svg"), 0);
    free(h);
    remove_sweep();
}
END_TEST

START_TEST(report_errors)
{
    char err[512], html_path[600];
    /* not a sweep */
    make_sweep(NULL);
    snprintf(html_path, sizeof html_path, "%s/r.html", g_dir);
    char notsweep[600];
    snprintf(notsweep, sizeof notsweep, "%s/points", g_dir);
    ck_assert_int_eq(tlpu_sweep_report(notsweep, html_path, NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_msg(strstr(err, "not a planned sweep (no spec.json)"), "%s", err);
    /* no merged.json: the file is named, merge first */
    ck_assert_int_eq(tlpu_sweep_report(g_dir, html_path, NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_msg(strstr(err, "/merged.json") && strstr(err, "run tlpu sweep merge first"), "%s",
                  err);
    /* broken merged.json */
    put(g_dir, "merged.json", "[{\"index\": 0, \"model\": ");
    ck_assert_int_eq(tlpu_sweep_report(g_dir, html_path, NULL, err, sizeof err),
                     TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "merged.json:1:"), "%s", err);
    put(g_dir, "merged.json", "{\"points\": []}");
    ck_assert_int_eq(tlpu_sweep_report(g_dir, html_path, NULL, err, sizeof err),
                     TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "not an array of points"), "%s", err);
    put(g_dir, "merged.json", "[{\"index\": 0, \"params\": {}}]");
    ck_assert_int_eq(tlpu_sweep_report(g_dir, html_path, NULL, err, sizeof err),
                     TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "[0] is not a point"), "%s", err);
    ck_assert_int_ne(access(html_path, F_OK), 0); /* nothing written */
    /* an unwritable file: a missing directory, a directory */
    put(g_dir, "merged.json", k_merged);
    char bad[700];
    snprintf(bad, sizeof bad, "%s/no/such/dir/r.html", g_dir);
    ck_assert_int_eq(tlpu_sweep_report(g_dir, bad, NULL, err, sizeof err), TLPU_ERR_IO);
    ck_assert_msg(strstr(err, "r.html: cannot write"), "%s", err);
    ck_assert_int_eq(tlpu_sweep_report(g_dir, notsweep, NULL, err, sizeof err), TLPU_ERR_IO);
    ck_assert_msg(strstr(err, "writing failed"), "%s", err);
    no_leftovers(g_dir);
    ck_assert_int_eq(tlpu_sweep_report(NULL, html_path, NULL, err, sizeof err),
                     TLPU_ERR_INVALID_ARG);
    remove_sweep();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sweep_report");
    TCase *tc = tcase_create("pareto");
    tcase_add_test(tc, pareto_dominated);
    tcase_add_test(tc, pareto_ties);
    tcase_add_test(tc, pareto_duplicates);
    tcase_add_test(tc, pareto_single_and_empty);
    tcase_add_test(tc, pareto_all_on_front);
    tcase_add_test(tc, pareto_maximise);
    tcase_add_test(tc, pareto_not_finite);
    tcase_add_test(tc, pareto_random);
    suite_add_tcase(s, tc);
    tc = tcase_create("report");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, report_page);
    tcase_add_test(tc, report_empty);
    tcase_add_test(tc, report_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return test_run_suite(suite()); }
