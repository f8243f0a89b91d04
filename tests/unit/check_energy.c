/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_energy - the energy model of tlpu/energy.h (docs/energy-model.md).
 *
 *  - BitNet b1.58's ratios, 50x at 45 nm and 71.4x at 7 nm, out of the
 *    shipped tables; the built-in tables equal the shipped JSON files;
 *  - pricing a hand-made counter vector: every component against numbers
 *    worked out by hand here from the table values and the formulas of
 *    docs/energy-model.md; total = sum of components; zero counters = only
 *    leakage;
 *  - user tables: a good one loads (unit conversions, extra entries), and
 *    each kind of bad one fails with its status and a message naming the
 *    file, the key and the problem, leaving the output alone;
 *  - the FP16 / INT8 baselines and weight footprints on known shapes;
 *  - argument checks: the named status and no output written.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "tlpu/energy.h"
#include "tlpu/rng.h"

#define DATA_ENERGY TLPU_TEST_DATA_DIR "/../../host/data/energy"

/* ---- helpers ------------------------------------------------------------ */

/* |got - want| <= rel * |want| (or <= rel when want is 0) */
#define ck_near(got, want, rel)                                                             \
    do {                                                                                    \
        double g_ = (got), w_ = (want);                                                     \
        double tol_ = (rel) * (w_ != 0 ? fabs(w_) : 1.0);                                   \
        ck_assert_msg(fabs(g_ - w_) <= tol_, "%s = %.12g, expected %.12g", #got, g_, w_);   \
    } while (0)

static tlpu_energy_table *builtin(const char *name)
{
    tlpu_energy_table *t = NULL;
    tlpu_status st = tlpu_energy_builtin(name, &t);
    ck_assert_msg(st == TLPU_OK, "builtin %s: %s", name, tlpu_status_name(st));
    ck_assert_ptr_nonnull(t);
    return t;
}

static double value(const tlpu_energy_table *t, const char *key)
{
    double v = -1;
    ck_assert_msg(tlpu_energy_value(t, key, &v) == TLPU_OK, "no value %s", key);
    return v;
}

/* the shipped file's text */
static char *shipped(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "../../host/data/energy/%s.json", name);
    size_t n;
    char *s = (char *)test_read_file(rel, &n);
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

static char g_dir[256];

static void make_dir(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/check_energy.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

static void remove_dir(void)
{
    rmdir(g_dir);
}

/* writes text to <dir>/<name> and returns the path (static buffer) */
static const char *write_tmp(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(fwrite(text, 1, len, f) == len);
    fclose(f);
    return path;
}

/* the 45 nm file with the first `needle` replaced by `repl` */
static char *edited(const char *needle, const char *repl)
{
    size_t len;
    char *s = shipped("45nm", &len);
    char *at = strstr(s, needle);
    ck_assert_msg(at != NULL, "test bug: '%s' not in 45nm.json", needle);
    size_t nl = strlen(needle), rl = strlen(repl);
    char *o = malloc(len - nl + rl + 1);
    ck_assert_ptr_nonnull(o);
    size_t pre = (size_t)(at - s);
    memcpy(o, s, pre);
    memcpy(o + pre, repl, rl);
    memcpy(o + pre + rl, at + nl, len - pre - nl + 1);
    free(s);
    return o;
}

/* loads `text` from a file; expects status `want` and every fragment (NULL
 * ended) in the message, the file's path first; *out must stay untouched */
static void expect_bad(const char *fname, const char *text, tlpu_status want, ...)
{
    const char *path = write_tmp(fname, text, strlen(text));
    tlpu_energy_table *sentinel = (tlpu_energy_table *)&g_dir, *t = sentinel;
    char err[512];
    tlpu_status st = tlpu_energy_load(path, &t, err, sizeof err);
    ck_assert_msg(st == want, "%s: got %s, expected %s (%s)", fname, tlpu_status_name(st),
                  tlpu_status_name(want), err);
    ck_assert_msg(t == sentinel, "%s: output written on error", fname);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s: message does not start with the "
                  "path: %s", fname, err);
    va_list ap;
    va_start(ap, want);
    for (const char *frag; (frag = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(err, frag) != NULL, "%s: '%s' not in the message: %s", fname, frag,
                      err);
    va_end(ap);
    unlink(path);
}

/* the hand-made run (default configuration, 45 nm numbers in comments):
 * 100 array cycles, 3200 row-chunk reads (= 100 x 32 rows) */
static void hand_counters(uint64_t k[TLPU_NUM_COUNTERS])
{
    memset(k, 0, TLPU_NUM_COUNTERS * sizeof k[0]);
    k[TLPU_CNTI_CYCLES] = 1000;
    k[TLPU_CNTI_BUSY_CYCLES] = 100;
    k[TLPU_CNTI_STALL_CYCLES] = 77; /* not priced */
    k[TLPU_CNTI_INSNS] = 9;         /* not priced */
    k[TLPU_CNTI_LANE_ADDS] = 100000;
    k[TLPU_CNTI_LANE_SUBS] = 50000;
    k[TLPU_CNTI_LANE_SKIPS] = 106000; /* 100000 + 50000 + 106000 = 2560 x 100 */
    k[TLPU_CNTI_DEC_BYTES] = 2000;
    k[TLPU_CNTI_WBUF_RD] = 3200;
    k[TLPU_CNTI_WBUF_WR] = 100;
    k[TLPU_CNTI_ABUF_RD] = 100;
    k[TLPU_CNTI_ABUF_WR] = 10;
    k[TLPU_CNTI_OBUF_RD] = 5;
    k[TLPU_CNTI_OBUF_WR] = 10;
    k[TLPU_CNTI_DRAM_RD_BYTES] = 4096;
    k[TLPU_CNTI_DRAM_WR_BYTES] = 512;
}

static tlpu_energy_ctx default_ctx(void)
{
    tlpu_energy_ctx c;
    memset(&c, 0, sizeof c);
    tlpu_hw_default(&c.hw);
    c.clock_hz = 1e9;
    c.link_bytes = 1000;
    return c;
}

static double sum_parts(const tlpu_energy_breakdown *b)
{
    return b->array_add + b->array_sub + b->array_skip + b->accumulate + b->decoder + b->wbuf +
           b->abuf + b->obuf + b->dram + b->link + b->c2c + b->leakage;
}

/* ---- the paper's ratios and the shipped tables ---------------------------- */

START_TEST(test_paper_ratios)
{
    tlpu_energy_table *t45 = builtin("45nm"), *t7 = builtin("7nm");
    double r45 = 0, r7 = 0;
    ck_assert_int_eq(tlpu_energy_paper_ratio(t45, &r45), TLPU_OK);
    ck_assert_int_eq(tlpu_energy_paper_ratio(t7, &r7), TLPU_OK);
    /* (0.4 + 1.1) / 0.03 = 50; (0.16 + 0.34) / 0.007 = 71.428... */
    ck_near(r45, 50.0, 1e-12);
    ck_near(r7, 0.5 / 0.007, 1e-12);
    ck_assert_msg(fabs(r7 - 71.43) < 0.005, "7 nm ratio %.4f does not round to 71.43", r7);
    ck_assert_int_eq(tlpu_energy_paper_ratio(NULL, &r7), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_paper_ratio(t7, NULL), TLPU_ERR_INVALID_ARG);
    tlpu_energy_free(t45);
    tlpu_energy_free(t7);
}
END_TEST

START_TEST(test_builtin_names)
{
    ck_assert_str_eq(tlpu_energy_builtin_name(0), "45nm");
    ck_assert_str_eq(tlpu_energy_builtin_name(1), "7nm");
    ck_assert_ptr_null(tlpu_energy_builtin_name(2));
    tlpu_energy_table *sentinel = (tlpu_energy_table *)&g_dir, *t = sentinel;
    ck_assert_int_eq(tlpu_energy_builtin("5nm", &t), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_builtin(NULL, &t), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_eq(t, sentinel);
    ck_assert_int_eq(tlpu_energy_builtin("45nm", NULL), TLPU_ERR_INVALID_ARG);
    t = builtin("45nm");
    ck_assert_str_eq(tlpu_energy_name(t), "45nm");
    ck_assert_str_eq(tlpu_energy_node(t), "45nm");
    ck_assert_ptr_nonnull(strstr(tlpu_energy_description(t), "Horowitz"));
    tlpu_energy_free(t);
    t = builtin("7nm");
    ck_assert_str_eq(tlpu_energy_name(t), "7nm");
    ck_assert_str_eq(tlpu_energy_node(t), "7nm");
    tlpu_energy_free(t);
    tlpu_energy_free(NULL);
    ck_assert_ptr_null(tlpu_energy_name(NULL));
    ck_assert_ptr_null(tlpu_energy_node(NULL));
    ck_assert_uint_eq(tlpu_energy_count(NULL), 0);
}
END_TEST

/* the built-in tables are the shipped files: same entries, same everything */
START_TEST(test_builtin_is_shipped_file)
{
    for (size_t b = 0; tlpu_energy_builtin_name(b); b++) {
        const char *name = tlpu_energy_builtin_name(b);
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/%s.json", DATA_ENERGY, name);
        tlpu_energy_table *f = NULL, *t = builtin(name);
        ck_assert_msg(tlpu_energy_load(path, &f, err, sizeof err) == TLPU_OK, "%s", err);
        ck_assert_str_eq(err, "");
        ck_assert_str_eq(tlpu_energy_name(t), tlpu_energy_name(f));
        ck_assert_str_eq(tlpu_energy_node(t), tlpu_energy_node(f));
        ck_assert_str_eq(tlpu_energy_description(t), tlpu_energy_description(f));
        ck_assert_uint_eq(tlpu_energy_count(t), tlpu_energy_count(f));
        for (size_t i = 0; i < tlpu_energy_count(t); i++) {
            tlpu_energy_entry a, c;
            ck_assert_int_eq(tlpu_energy_entry_at(t, i, &a), TLPU_OK);
            ck_assert_int_eq(tlpu_energy_entry_at(f, i, &c), TLPU_OK);
            ck_assert_str_eq(a.key, c.key);
            ck_assert_str_eq(a.unit, c.unit);
            ck_assert_str_eq(a.node, c.node);
            ck_assert_str_eq(a.source, c.source);
            ck_assert_str_eq(a.note, c.note);
            ck_assert_uint_eq(a.npoints, c.npoints);
            if (a.npoints == 0)
                ck_assert(a.value == c.value && a.canonical == c.canonical);
            for (size_t p = 0; p < a.npoints; p++)
                ck_assert(a.point_bytes[p] == c.point_bytes[p] &&
                          a.point_value[p] == c.point_value[p]);
        }
        tlpu_energy_free(t);
        tlpu_energy_free(f);
    }
}
END_TEST

/* the arithmetic table of field notes §4, unit / node / source on every entry */
START_TEST(test_shipped_contents)
{
    static const char *const keys[] = {TLPU_ENERGY_KEYS};
    static const struct {
        const char *key;
        double v45, v7; /* pJ/op; < 0: not in that table */
    } arith[] = {
        {"int8_add", 0.03, 0.007}, {"int8_mult", 0.2, 0.07}, {"fp16_add", 0.4, 0.16},
        {"fp16_mult", 1.1, 0.34},  {"fp32_add", 0.9, 0.38},  {"fp32_mult", 3.7, 1.31},
        {"int32_add", 0.1, -1},    {"int32_mult", 3.1, -1},
    };
    for (int b = 0; b < 2; b++) {
        tlpu_energy_table *t = builtin(b ? "7nm" : "45nm");
        for (size_t i = 0; i < sizeof arith / sizeof arith[0]; i++) {
            double want = b ? arith[i].v7 : arith[i].v45;
            if (want < 0)
                continue;
            tlpu_energy_entry e;
            ck_assert_int_eq(tlpu_energy_find(t, arith[i].key, &e), TLPU_OK);
            ck_assert_str_eq(e.unit, "pJ/op");
            ck_assert_str_eq(e.node, b ? "7nm" : "45nm");
            ck_assert_msg(e.value == want, "%s %s = %g", tlpu_energy_name(t), e.key, e.value);
        }
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            tlpu_energy_entry e;
            ck_assert_msg(tlpu_energy_find(t, keys[i], &e) == TLPU_OK, "no %s", keys[i]);
        }
        /* every source cites a publication or says it is the project's own */
        for (size_t i = 0; i < tlpu_energy_count(t); i++) {
            tlpu_energy_entry e;
            ck_assert_int_eq(tlpu_energy_entry_at(t, i, &e), TLPU_OK);
            ck_assert(e.unit[0] && e.node[0] && e.canonical_unit[0]);
            ck_assert_msg(strstr(e.source, "Horowitz") || strstr(e.source, "BitNet") ||
                              strstr(e.source, "project assumption"),
                          "%s: source '%s' neither cites nor says 'project assumption'", e.key,
                          e.source);
        }
        /* the project's own numbers say so */
        static const char *const own[] = {"lane_sub", "lane_skip", "decode_byte",
                                          "sram_write_factor", "link", "leak_lane", "leak_sram"};
        for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
            tlpu_energy_entry e;
            ck_assert_int_eq(tlpu_energy_find(t, own[i], &e), TLPU_OK);
            ck_assert_msg(strstr(e.source, "project assumption"), "%s", own[i]);
        }
        tlpu_energy_free(t);
    }
    /* 7 nm: what the papers do not give is the project's */
    tlpu_energy_table *t = builtin("7nm");
    static const char *const own7[] = {"int32_add", "sram_read_64b", "dram"};
    for (size_t i = 0; i < sizeof own7 / sizeof own7[0]; i++) {
        tlpu_energy_entry e;
        ck_assert_int_eq(tlpu_energy_find(t, own7[i], &e), TLPU_OK);
        ck_assert_msg(strstr(e.source, "project assumption"), "%s", own7[i]);
    }
    tlpu_energy_free(t);
}
END_TEST

START_TEST(test_accessors)
{
    tlpu_energy_table *t = builtin("45nm");
    tlpu_energy_entry e;
    ck_assert_int_eq(tlpu_energy_find(t, "sram_read_64b", &e), TLPU_OK);
    ck_assert_uint_eq(e.npoints, 3);
    ck_assert(isnan(e.value) && isnan(e.canonical));
    ck_assert(e.point_bytes[0] == 8192 && e.point_bytes[1] == 32768 && e.point_bytes[2] == 1048576);
    ck_assert(e.point_value[0] == 10 && e.point_value[1] == 20 && e.point_value[2] == 100);
    ck_assert_str_eq(e.canonical_unit, "pJ/64b");
    ck_assert_int_eq(tlpu_energy_find(t, "leak_lane", &e), TLPU_OK);
    ck_assert_str_eq(e.unit, "uW/lane");
    ck_assert_str_eq(e.canonical_unit, "mW/lane");
    ck_near(e.canonical, 0.0035, 1e-12);
    ck_assert_int_eq(tlpu_energy_find(t, "dram", &e), TLPU_OK);
    ck_assert_str_eq(e.node, "DDR3");
    ck_assert_ptr_nonnull(strstr(e.note, "DDR3"));

    double v = -7;
    ck_assert_int_eq(tlpu_energy_value(t, "sram_read_64b", &v), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_value(t, "no_such_key", &v), TLPU_ERR_INVALID_ARG);
    ck_assert(v == -7);
    ck_assert_int_eq(tlpu_energy_find(t, "no_such_key", &e), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_entry_at(t, tlpu_energy_count(t), &e), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_entry_at(NULL, 0, &e), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_entry_at(t, 0, NULL), TLPU_ERR_INVALID_ARG);
    /* file order */
    ck_assert_int_eq(tlpu_energy_entry_at(t, 0, &e), TLPU_OK);
    ck_assert_str_eq(e.key, "int8_add");
    tlpu_energy_free(t);
}
END_TEST

/* ---- SRAM curve ------------------------------------------------------------- */

START_TEST(test_sram_curve)
{
    tlpu_energy_table *t = builtin("45nm");
    double p = 0;
    /* the three points, per bit */
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 8192, &p), TLPU_OK);
    ck_near(p, 10.0 / 64, 1e-12);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 32768, &p), TLPU_OK);
    ck_near(p, 20.0 / 64, 1e-12);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 1048576, &p), TLPU_OK);
    ck_near(p, 100.0 / 64, 1e-12);
    /* 16 KB: halfway in log size between 10 and 20 pJ: 10 x sqrt(2) */
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 16384, &p), TLPU_OK);
    ck_near(p, 14.142135623730951 / 64, 1e-12);
    /* 64 KB: one fifth of the way (in log size) from 32 KB to 1 MB: 20 x 5^(1/5) */
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 65536, &p), TLPU_OK);
    ck_near(p, 27.594593229224296 / 64, 1e-12);
    /* below 8 KB: the 8 KB energy; above 1 MB: the last law, 100 x 5^(1/5) at 2 MB */
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 2048, &p), TLPU_OK);
    ck_near(p, 10.0 / 64, 1e-12);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 2097152, &p), TLPU_OK);
    ck_near(p, 137.97296614612148 / 64, 1e-12);
    p = -1;
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 0, &p), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, NAN, &p), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, -5, &p), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(NULL, 8192, &p), TLPU_ERR_INVALID_ARG);
    ck_assert(p == -1);
    tlpu_energy_free(t);

    /* 7 nm: 7.5, 8.5, 14 pJ per 64 bits */
    t = builtin("7nm");
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 32768, &p), TLPU_OK);
    ck_near(p, 8.5 / 64, 1e-12);
    ck_assert_int_eq(tlpu_energy_sram_pj_per_bit(t, 16384, &p), TLPU_OK);
    ck_near(p, sqrt(7.5 * 8.5) / 64, 1e-12); /* the geometric mean halfway */
    tlpu_energy_free(t);
}
END_TEST

/* ---- pricing ------------------------------------------------------------------ */

START_TEST(test_prices_default_45nm)
{
    tlpu_energy_table *t = builtin("45nm");
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    tlpu_energy_prices p;
    ck_assert_int_eq(tlpu_energy_prices_of(t, &hw, &p), TLPU_OK);
    /* WBUF: 32 RAMs of 256 words x 160 bits: 64-bit slices of 2 KiB, 10 pJ
     * per 64 bits (the 8 KB figure: no extrapolation below), 160/64 x 10 */
    ck_near(p.wbuf_rd, 25.0, 1e-12);
    ck_near(p.wbuf_wr, 25.0, 1e-12);
    /* ABUF: 8192 words x 640 bits: slices of 64 KiB, 10 x 20 x 5^(1/5) */
    ck_near(p.abuf_rd, 275.94593229224296, 1e-12);
    /* OBUF: 2048 words x 1024 bits: slices of 16 KiB, 16 x 10 x sqrt(2) */
    ck_near(p.obuf_rd, 226.27416997969522, 1e-12);
    ck_near(p.accumulate, 0.1, 1e-12);
    ck_near(p.dram_byte, 240.0, 1e-12); /* 8 x 30 pJ/bit */
    ck_near(p.link_byte, 800.0, 1e-12); /* 8 x 100 pJ/bit */
    /* SRAM 160 + 640 + 256 + 16 KiB; 2560 x 3.5 uW + 1072 x 4 uW */
    ck_near(p.sram_kib, 1072.0, 1e-12);
    ck_near(p.static_mw, 13.248, 1e-12);
    tlpu_hw bad = hw;
    bad.rows = 3;
    ck_assert_int_eq(tlpu_energy_prices_of(t, &bad, &p), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_prices_of(NULL, &hw, &p), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_prices_of(t, NULL, &p), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_prices_of(t, &hw, NULL), TLPU_ERR_INVALID_ARG);
    tlpu_energy_free(t);
}
END_TEST

START_TEST(test_hand_run_45nm)
{
    tlpu_energy_table *t = builtin("45nm");
    tlpu_energy_ctx c = default_ctx();
    uint64_t k[TLPU_NUM_COUNTERS];
    hand_counters(k);
    tlpu_energy_breakdown b;
    ck_assert_int_eq(tlpu_energy_of(t, &c, k, 1000, &b), TLPU_OK);
    ck_near(b.array_add, 3000.0, 1e-12);   /* 100000 x 0.03 */
    ck_near(b.array_sub, 1500.0, 1e-12);   /* 50000 x 0.03 */
    ck_near(b.array_skip, 318.0, 1e-12);   /* 106000 x 0.003 */
    ck_near(b.accumulate, 320.0, 1e-12);   /* 3200 row sums x 0.1 */
    ck_near(b.decoder, 300.0, 1e-12);      /* 2000 x 0.15 */
    ck_near(b.wbuf, 82500.0, 1e-12);       /* (3200 + 100) x 25 */
    ck_near(b.abuf, 30354.052552146724, 1e-12);  /* 110 x 275.946 */
    ck_near(b.obuf, 3394.1125496954282, 1e-12);  /* 15 x 226.274 */
    ck_near(b.dram, 1105920.0, 1e-12);     /* 4608 bytes x 8 x 30 */
    ck_near(b.link, 800000.0, 1e-12);      /* 1000 bytes x 8 x 100 */
    ck_near(b.leakage, 13248.0, 1e-12);    /* 13.248 mW x 1 us */
    ck_near(b.total, 2040854.1651018423, 1e-12);
    ck_near(b.total, sum_parts(&b), 1e-15);
    /* the arithmetic-only figure is exactly those four parts */
    double a = -1;
    ck_assert_int_eq(tlpu_energy_tlpu_arith(t, k, &a), TLPU_OK);
    ck_assert(a == b.array_add + b.array_sub + b.array_skip + b.accumulate);
    ck_near(a, 5138.0, 1e-12);
    /* twice the cycles at half the clock: the same leakage */
    c.clock_hz = 5e8;
    tlpu_energy_breakdown b2;
    ck_assert_int_eq(tlpu_energy_of(t, &c, k, 500, &b2), TLPU_OK);
    ck_near(b2.leakage, 13248.0, 1e-12);
    ck_assert(b.c2c == 0.0);
    /* an LPU chip: its SRAM prices the memory traffic, the links their bytes */
    c.clock_hz = 1e9;
    c.mem_pj_per_bit = 1.5;
    c.c2c_bytes = 2000;
    c.c2c_pj_per_bit = 5.0;
    ck_assert_int_eq(tlpu_energy_of(t, &c, k, 1000, &b2), TLPU_OK);
    ck_near(b2.dram, 55296.0, 1e-12);      /* 4608 bytes x 8 x 1.5 */
    ck_near(b2.c2c, 80000.0, 1e-12);       /* 2000 bytes x 8 x 5 */
    ck_near(b2.wbuf, b.wbuf, 1e-12);
    ck_near(b2.total, sum_parts(&b2), 1e-15);
    tlpu_energy_free(t);
}
END_TEST

START_TEST(test_hand_run_7nm)
{
    tlpu_energy_table *t = builtin("7nm");
    tlpu_energy_ctx c = default_ctx();
    uint64_t k[TLPU_NUM_COUNTERS];
    hand_counters(k);
    tlpu_energy_breakdown b;
    ck_assert_int_eq(tlpu_energy_of(t, &c, k, 1000, &b), TLPU_OK);
    ck_near(b.array_add, 700.0, 1e-12);    /* 100000 x 0.007 */
    ck_near(b.array_sub, 350.0, 1e-12);    /* 50000 x 0.007 */
    ck_near(b.array_skip, 74.2, 1e-12);    /* 106000 x 0.0007 */
    ck_near(b.accumulate, 74.56, 1e-12);   /* 3200 x 0.0233 */
    ck_near(b.decoder, 70.0, 1e-12);       /* 2000 x 0.035 */
    ck_near(b.wbuf, 61875.0, 1e-12);       /* 3300 x 160/64 x 7.5 */
    /* ABUF slices 64 KiB: 10 x 8.5 x (2)^(ln(14/8.5)/ln 32) per word */
    ck_near(b.abuf, 110 * 10 * 8.5 * pow(2.0, log(14.0 / 8.5) / log(32.0)), 1e-12);
    /* OBUF slices 16 KiB: 16 x sqrt(7.5 x 8.5) per word */
    ck_near(b.obuf, 15 * 16 * sqrt(7.5 * 8.5), 1e-12);
    ck_near(b.dram, 331776.0, 1e-12);      /* 4608 x 8 x 9 */
    ck_near(b.link, 80000.0, 1e-12);       /* 1000 x 8 x 10 */
    ck_near(b.leakage, 1968.0, 1e-12);     /* (2560 x 0.35 + 1072 x 1) uW x 1 us */
    ck_near(b.total, sum_parts(&b), 1e-15);
    tlpu_energy_free(t);
}
END_TEST

START_TEST(test_total_is_sum)
{
    tlpu_rng r = tlpu_rng_seed(0xE4E2);
    for (int b = 0; b < 2; b++) {
        tlpu_energy_table *t = builtin(b ? "7nm" : "45nm");
        for (int it = 0; it < 200; it++) {
            tlpu_energy_ctx c = default_ctx();
            uint64_t k[TLPU_NUM_COUNTERS];
            for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
                k[i] = tlpu_rng_next(&r) >> (20 + tlpu_rng_next(&r) % 44);
            c.link_bytes = tlpu_rng_next(&r) >> 30;
            c.clock_hz = 1e8 + 1e9 * tlpu_rng_uniform(&r);
            tlpu_energy_breakdown e;
            ck_assert_int_eq(tlpu_energy_of(t, &c, k, k[TLPU_CNTI_CYCLES], &e), TLPU_OK);
            ck_near(e.total, sum_parts(&e), 1e-15);
            ck_assert(e.array_add >= 0 && e.array_sub >= 0 && e.array_skip >= 0 &&
                      e.accumulate >= 0 && e.decoder >= 0 && e.wbuf >= 0 && e.abuf >= 0 &&
                      e.obuf >= 0 && e.dram >= 0 && e.link >= 0 && e.leakage >= 0);
        }
        tlpu_energy_free(t);
    }
}
END_TEST

START_TEST(test_zero_counters_only_leakage)
{
    for (int b = 0; b < 2; b++) {
        tlpu_energy_table *t = builtin(b ? "7nm" : "45nm");
        tlpu_energy_ctx c = default_ctx();
        c.link_bytes = 0;
        uint64_t k[TLPU_NUM_COUNTERS] = {0};
        tlpu_energy_breakdown e;
        ck_assert_int_eq(tlpu_energy_of(t, &c, k, 1000, &e), TLPU_OK);
        ck_assert(e.array_add == 0 && e.array_sub == 0 && e.array_skip == 0 &&
                  e.accumulate == 0 && e.decoder == 0 && e.wbuf == 0 && e.abuf == 0 &&
                  e.obuf == 0 && e.dram == 0 && e.link == 0);
        ck_near(e.leakage, b ? 1968.0 : 13248.0, 1e-12);
        ck_assert(e.total == e.leakage);
        /* and no time, no energy */
        ck_assert_int_eq(tlpu_energy_of(t, &c, k, 0, &e), TLPU_OK);
        ck_assert(e.total == 0);
        tlpu_energy_free(t);
    }
}
END_TEST

START_TEST(test_energy_of_args)
{
    tlpu_energy_table *t = builtin("45nm");
    tlpu_energy_ctx c = default_ctx();
    uint64_t k[TLPU_NUM_COUNTERS];
    hand_counters(k);
    tlpu_energy_breakdown b, ref;
    memset(&b, 0x5A, sizeof b);
    ref = b;
    ck_assert_int_eq(tlpu_energy_of(NULL, &c, k, 1, &b), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_of(t, NULL, k, 1, &b), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_of(t, &c, NULL, 1, &b), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_of(t, &c, k, 1, NULL), TLPU_ERR_INVALID_ARG);
    tlpu_energy_ctx bad = c;
    bad.clock_hz = 0;
    ck_assert_int_eq(tlpu_energy_of(t, &bad, k, 1, &b), TLPU_ERR_INVALID_ARG);
    bad.clock_hz = NAN;
    ck_assert_int_eq(tlpu_energy_of(t, &bad, k, 1, &b), TLPU_ERR_INVALID_ARG);
    bad.clock_hz = INFINITY;
    ck_assert_int_eq(tlpu_energy_of(t, &bad, k, 1, &b), TLPU_ERR_INVALID_ARG);
    bad = c;
    bad.hw.cols = 30;
    ck_assert_int_eq(tlpu_energy_of(t, &bad, k, 1, &b), TLPU_ERR_INVALID_ARG);
    ck_assert(memcmp(&b, &ref, sizeof b) == 0);
    double a = -1;
    ck_assert_int_eq(tlpu_energy_tlpu_arith(NULL, k, &a), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_tlpu_arith(t, NULL, &a), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_tlpu_arith(t, k, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert(a == -1);
    tlpu_energy_free(t);
}
END_TEST

/* ---- user tables --------------------------------------------------------------- */

START_TEST(test_user_table_good)
{
    make_dir();
    /* the 45 nm table in other units, with an extra entry and no description */
    char *s1 = edited("\"value\": 0.03, \"unit\": \"pJ/op\", \"node\": \"45nm\",\n      \"source\": "
                      "\"= int8_add",
                      "\"value\": 30, \"unit\": \"fJ/op\", \"node\": \"45nm\",\n      \"source\": "
                      "\"= int8_add");
    ck_assert_ptr_nonnull(strstr(s1, "\"fJ/op\""));
    char *s2 = s1;
    const char *dram = "\"value\": 30, \"unit\": \"pJ/bit\", \"node\": \"DDR3\"";
    char *at = strstr(s2, dram);
    ck_assert_ptr_nonnull(at);
    /* 1.92 nJ per 64 bits = 30 pJ/bit */
    const char *dram2 = "\"value\": 1.92, \"unit\": \"nJ/64b\", \"node\": \"DDR3\"";
    size_t n1 = strlen(s2), nd = strlen(dram), nd2 = strlen(dram2);
    char *s3 = malloc(n1 - nd + nd2 + 1);
    memcpy(s3, s2, (size_t)(at - s2));
    memcpy(s3 + (at - s2), dram2, nd2);
    strcpy(s3 + (at - s2) + nd2, at + nd);
    free(s1);
    char *s4 = malloc(strlen(s3) + 400);
    /* an extra entry, kept and listed, not used */
    const char *ent = "\"entries\": {\n";
    at = strstr(s3, ent);
    ck_assert_ptr_nonnull(at);
    size_t pre = (size_t)(at - s3) + strlen(ent);
    memcpy(s4, s3, pre);
    strcpy(s4 + pre, "    \"bf16_add\": {\"value\": 0.11, \"unit\": \"pJ/op\", \"node\": \"7nm\", "
                     "\"source\": \"my own guess\"},\n");
    strcat(s4, s3 + pre);
    free(s3);
    const char *path = write_tmp("good.json", s4, strlen(s4));
    tlpu_energy_table *t = NULL;
    char err[256] = "x";
    ck_assert_msg(tlpu_energy_load(path, &t, err, sizeof err) == TLPU_OK, "%s", err);
    ck_assert_str_eq(err, "");
    ck_near(value(t, "lane_add"), 0.03, 1e-12);
    ck_near(value(t, "dram"), 30.0, 1e-12);
    ck_near(value(t, "bf16_add"), 0.11, 1e-12);
    tlpu_energy_entry e;
    ck_assert_int_eq(tlpu_energy_entry_at(t, 0, &e), TLPU_OK);
    ck_assert_str_eq(e.key, "bf16_add");
    ck_assert_int_eq(tlpu_energy_find(t, "lane_add", &e), TLPU_OK);
    ck_assert_str_eq(e.unit, "fJ/op");
    ck_assert(e.value == 30);
    ck_assert_str_eq(e.canonical_unit, "pJ/op");
    /* prices like the built-in */
    tlpu_energy_table *ref = builtin("45nm");
    tlpu_energy_ctx c = default_ctx();
    uint64_t k[TLPU_NUM_COUNTERS];
    hand_counters(k);
    tlpu_energy_breakdown a, b;
    ck_assert_int_eq(tlpu_energy_of(t, &c, k, 1000, &a), TLPU_OK);
    ck_assert_int_eq(tlpu_energy_of(ref, &c, k, 1000, &b), TLPU_OK);
    ck_near(a.total, b.total, 1e-12);
    tlpu_energy_free(ref);
    tlpu_energy_free(t);
    unlink(path);

    /* parse from a buffer too, and a zero skip cost ("zeros are free") */
    char *z = edited("\"value\": 0.003", "\"value\": 0");
    t = NULL;
    ck_assert_int_eq(tlpu_energy_parse(z, strlen(z), "buf", &t, err, sizeof err), TLPU_OK);
    ck_assert(value(t, "lane_skip") == 0);
    tlpu_energy_free(t);
    free(z);
    free(s4);
    remove_dir();
}
END_TEST

START_TEST(test_user_table_bad)
{
    make_dir();
    char *s;

    /* a missing entry */
    s = edited("\"fp16_mult\"", "\"fp16_mul\"");
    expect_bad("missing_entry.json", s, TLPU_ERR_FORMAT, "entries.fp16_mult", "missing key", NULL);
    free(s);
    /* a missing field of an entry */
    s = edited("\"value\": 0.2, \"unit\": \"pJ/op\", \"node\": \"45nm\",",
               "\"unit\": \"pJ/op\", \"node\": \"45nm\",");
    expect_bad("missing_value.json", s, TLPU_ERR_FORMAT, "entries.int8_mult.value", "missing key",
               NULL);
    free(s);
    s = edited("\"node\": \"45nm\",\n      \"source\": \"Horowitz, ISSCC 2014 (field notes §4)\"\n    },\n"
               "    \"fp16_add\"",
               "\"node\": \"45nm\"\n    },\n    \"fp16_add\"");
    expect_bad("missing_source.json", s, TLPU_ERR_FORMAT, "entries.int8_mult.source",
               "missing key", NULL);
    free(s);
    /* the wrong type */
    s = edited("\"value\": 0.2,", "\"value\": \"0.2\",");
    expect_bad("wrong_type.json", s, TLPU_ERR_FORMAT, "entries.int8_mult.value",
               "expected a number, got a string", NULL);
    free(s);
    s = edited("\"unit\": \"pJ/op\"", "\"unit\": 7");
    expect_bad("unit_type.json", s, TLPU_ERR_FORMAT, "entries.int8_add.unit",
               "expected a string, got an integer", NULL);
    free(s);
    s = edited("\"tlpu_energy_table\": 1", "\"tlpu_energy_table\": \"1\"");
    expect_bad("version_type.json", s, TLPU_ERR_FORMAT, "tlpu_energy_table", "expected the integer 1",
               NULL);
    free(s);
    /* negative energy and power */
    s = edited("\"value\": 0.2,", "\"value\": -0.2,");
    expect_bad("negative.json", s, TLPU_ERR_RANGE, "entries.int8_mult.value", "negative energy",
               NULL);
    free(s);
    s = edited("\"value\": 3.5,", "\"value\": -3.5,");
    expect_bad("negative_power.json", s, TLPU_ERR_RANGE, "entries.leak_lane.value",
               "negative power", NULL);
    free(s);
    /* NaN and overflowing numbers (JSON has neither NaN nor Infinity) */
    s = edited("\"value\": 0.2,", "\"value\": NaN,");
    expect_bad("nan.json", s, TLPU_ERR_FORMAT, "entries.int8_mult.value", "not valid JSON", "NaN",
               "finite", NULL);
    free(s);
    s = edited("\"value\": 0.2,", "\"value\": Infinity,");
    expect_bad("inf.json", s, TLPU_ERR_FORMAT, "not valid JSON", "finite", NULL);
    free(s);
    s = edited("\"value\": 0.2,", "\"value\": 1e999,");
    expect_bad("overflow.json", s, TLPU_ERR_RANGE, "entries.int8_mult.value", "too large", NULL);
    free(s);
    /* an unknown unit, and a known one of the wrong kind */
    s = edited("\"unit\": \"pJ/op\"", "\"unit\": \"pJ/furlong\"");
    expect_bad("unit.json", s, TLPU_ERR_FORMAT, "entries.int8_add.unit",
               "unknown unit \"pJ/furlong\"", "pJ/op", NULL);
    free(s);
    s = edited("\"unit\": \"pJ/op\"", "\"unit\": \"pJ/bit\"");
    expect_bad("unit_kind.json", s, TLPU_ERR_FORMAT, "entries.int8_add.unit",
               "unknown unit \"pJ/bit\"", NULL);
    free(s);
    s = edited("\"unit\": \"uW/lane\"", "\"unit\": \"uW/KiB\"");
    expect_bad("unit_kind2.json", s, TLPU_ERR_FORMAT, "entries.leak_lane.unit", "uW/lane", NULL);
    free(s);
    /* truncated */
    size_t len;
    s = shipped("45nm", &len);
    s[len / 2] = '\0';
    expect_bad("truncated.json", s, TLPU_ERR_FORMAT, "entries", "not valid JSON", "truncated",
               NULL);
    free(s);
    expect_bad("empty.json", "", TLPU_ERR_FORMAT, "not valid JSON", NULL);
    /* unknown keys, duplicate keys, versions, the top level */
    s = edited("\"value\": 0.2,", "\"valu\": 0.2,");
    expect_bad("typo.json", s, TLPU_ERR_FORMAT, "entries.int8_mult.valu", "unknown key", NULL);
    free(s);
    s = edited("\"name\": \"45nm\",", "\"name\": \"45nm\", \"nmae\": \"x\",");
    expect_bad("top_typo.json", s, TLPU_ERR_FORMAT, "nmae", "unknown key", NULL);
    free(s);
    s = edited("\"name\": \"45nm\",", "\"name\": \"45nm\", \"name\": \"again\",");
    expect_bad("dup.json", s, TLPU_ERR_FORMAT, "duplicate", NULL);
    free(s);
    s = edited("\"tlpu_energy_table\": 1", "\"tlpu_energy_table\": 2");
    expect_bad("version.json", s, TLPU_ERR_UNSUPPORTED, "version 2", NULL);
    free(s);
    s = edited("\"name\": \"45nm\",", "\"name\": \"a name far longer than the sixty-three bytes a "
                                      "report keeps for a table name\",");
    expect_bad("long_name.json", s, TLPU_ERR_FORMAT, "name", "longer than 63 bytes", NULL);
    free(s);
    expect_bad("array.json", "[1, 2]", TLPU_ERR_FORMAT, "top level must be a JSON object", NULL);
    expect_bad("entries_type.json", "{\"tlpu_energy_table\": 1, \"name\": \"a\", \"node\": \"b\", "
               "\"entries\": 5}", TLPU_ERR_FORMAT, "entries: expected an object, got an integer",
               NULL);
    expect_bad("no_entries.json", "{\"tlpu_energy_table\": 1, \"name\": \"a\", \"node\": \"b\"}",
               TLPU_ERR_FORMAT, "entries: missing key", NULL);
    expect_bad("no_name.json", "{\"tlpu_energy_table\": 1, \"node\": \"b\", \"entries\": {}}",
               TLPU_ERR_FORMAT, "name: missing key", NULL);
    /* bad curves */
    s = edited("{\"bytes\": 32768, \"value\": 20}", "{\"bytes\": 4096, \"value\": 20}");
    expect_bad("curve_order.json", s, TLPU_ERR_FORMAT, "entries.sram_read_64b.points[1].bytes",
               "increase", NULL);
    free(s);
    s = edited("{\"bytes\": 32768, \"value\": 20}", "{\"bytes\": 32768, \"value\": 0}");
    expect_bad("curve_zero.json", s, TLPU_ERR_RANGE, "entries.sram_read_64b.points[1].value",
               "> 0", NULL);
    free(s);
    s = edited("{\"bytes\": 32768, \"value\": 20}", "{\"bytes\": 32768}");
    expect_bad("curve_missing.json", s, TLPU_ERR_FORMAT, "entries.sram_read_64b.points[1].value",
               "missing key", NULL);
    free(s);
    s = edited("\"points\": [", "\"value\": 3, \"points\": [");
    expect_bad("curve_value.json", s, TLPU_ERR_FORMAT, "entries.sram_read_64b.value",
               "not allowed", NULL);
    free(s);

    /* not a file: a directory, and nothing at all */
    tlpu_energy_table *sentinel = (tlpu_energy_table *)&g_dir, *t = sentinel;
    char err[512];
    ck_assert_int_eq(tlpu_energy_load(g_dir, &t, err, sizeof err), TLPU_ERR_IO);
    ck_assert_msg(strstr(err, g_dir) && strstr(err, "not a regular file"), "%s", err);
    char path[512];
    snprintf(path, sizeof path, "%s/no_such_file.json", g_dir);
    ck_assert_int_eq(tlpu_energy_load(path, &t, err, sizeof err), TLPU_ERR_IO);
    ck_assert_msg(strstr(err, path) && strstr(err, "cannot open"), "%s", err);
    ck_assert_ptr_eq(t, sentinel);
    /* NULL arguments; a tiny message buffer is still terminated */
    ck_assert_int_eq(tlpu_energy_load(NULL, &t, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_load(path, NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_load(path, &t, NULL, 0), TLPU_ERR_IO);
    char small[8];
    ck_assert_int_eq(tlpu_energy_load(path, &t, small, sizeof small), TLPU_ERR_IO);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(tlpu_energy_parse(NULL, 0, "x", &t, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_eq(t, sentinel);
    remove_dir();
}
END_TEST

/* a table whose INT8 add is 0 loads, but has no paper ratio */
START_TEST(test_ratio_zero_int8)
{
    char *s = edited("\"value\": 0.03, \"unit\": \"pJ/op\"", "\"value\": 0, \"unit\": \"pJ/op\"");
    tlpu_energy_table *t = NULL;
    ck_assert_int_eq(tlpu_energy_parse(s, strlen(s), "zero", &t, NULL, 0), TLPU_OK);
    double r = -1;
    ck_assert_int_eq(tlpu_energy_paper_ratio(t, &r), TLPU_ERR_RANGE);
    ck_assert(r == -1);
    tlpu_energy_free(t);
    free(s);
}
END_TEST

/* ---- baselines and footprints ------------------------------------------------------ */

START_TEST(test_baselines)
{
    tlpu_energy_table *t45 = builtin("45nm"), *t7 = builtin("7nm");
    double a = 0, s = 0;
    /* 2B4T q_proj decode: 1 x 2560 x 2560 = 6553600 MACs */
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_FP16, 1, 2560, 2560, &a, &s), TLPU_OK);
    ck_near(a, 9830400.0, 1e-12); /* x (1.1 + 0.4) */
    /* + (2560x2560x2 + 2560x2 + 2560x2) bytes x 8 x 30 pJ/bit */
    ck_near(s, 9830400.0 + 13117440.0 * 240.0, 1e-12);
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_INT8, 1, 2560, 2560, &a, &s), TLPU_OK);
    ck_near(a, 1507328.0, 1e-12); /* x (0.2 + 0.03) */
    /* weights 1 byte, activations 1, outputs int32 */
    ck_near(s, 1507328.0 + (6553600.0 + 2560.0 + 10240.0) * 240.0, 1e-12);
    /* prefill at 7 nm: 64 x 2560 x 2560 */
    ck_assert_int_eq(tlpu_energy_baseline(t7, TLPU_BASELINE_FP16, 64, 2560, 2560, &a, &s), TLPU_OK);
    ck_near(a, 419430400.0 * 0.5, 1e-12);
    ck_near(s, 209715200.0 + (13107200.0 + 327680.0 + 327680.0) * 72.0, 1e-12);
    /* the arithmetic ratio of the baselines is the paper's, with tlpu's
     * MAC priced as the papers do (one INT8 add) */
    ck_assert_int_eq(tlpu_energy_baseline(t7, TLPU_BASELINE_FP16, 1, 2560, 2560, &a, &s), TLPU_OK);
    ck_near(a / (6553600.0 * value(t7, "int8_add")), 0.5 / 0.007, 1e-12);

    /* tlpu's own arithmetic on the same shape, ideal: 25% zeros */
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    double ta = 0;
    ck_assert_int_eq(tlpu_energy_ternary_arith(t45, &hw, 1, 2560, 2560, 0.25, &ta), TLPU_OK);
    /* 4915200 x 0.03 + 1638400 x 0.003 + 2560 x 32 chunks x 0.1 */
    ck_near(ta, 147456.0 + 4915.2 + 8192.0, 1e-12);
    ck_assert_int_eq(tlpu_energy_ternary_arith(t45, &hw, 1, 2561, 2560, 0.0, &ta), TLPU_OK);
    ck_near(ta, 2561.0 * 2560 * 0.03 + 2560 * 33 * 0.1, 1e-12);

    /* errors: no output written */
    a = s = ta = -1;
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_FP16, 0, 2, 3, &a, &s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_INT8, 1, 0, 3, &a, &s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_INT8, 1, 2, 0, &a, &s), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_energy_baseline(t45, (tlpu_baseline)2, 1, 2, 3, &a, &s),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_baseline(NULL, TLPU_BASELINE_FP16, 1, 2, 3, &a, &s),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_FP16, 1, 2, 3, NULL, &s),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_baseline(t45, TLPU_BASELINE_FP16, 1, 2, 3, &a, NULL),
                     TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_ternary_arith(t45, &hw, 1, 2, 3, 1.5, &ta), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_ternary_arith(t45, &hw, 1, 2, 3, NAN, &ta), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_ternary_arith(t45, &hw, 0, 2, 3, 0.5, &ta), TLPU_ERR_SHAPE);
    ck_assert_int_eq(tlpu_energy_ternary_arith(t45, NULL, 1, 2, 3, 0.5, &ta), TLPU_ERR_INVALID_ARG);
    ck_assert(a == -1 && s == -1 && ta == -1);
    tlpu_energy_free(t45);
    tlpu_energy_free(t7);
}
END_TEST

START_TEST(test_footprints)
{
    static const struct {
        uint64_t count;
        uint64_t bytes[TLPU_WSTORE_COUNT]; /* fp32 fp16 bf16 int8 2-bit 1.6-bit */
    } cases[] = {
        {0, {0, 0, 0, 0, 0, 0}},
        {1, {4, 2, 2, 1, 1, 1}},
        {7, {28, 14, 14, 7, 2, 2}},
        {20, {80, 40, 40, 20, 5, 4}},
        /* 2B4T q_proj: 2560 x 2560 */
        {6553600, {26214400, 13107200, 13107200, 6553600, 1638400, 1310720}},
        /* all 2B4T BitLinears: 30 x (2 x 2560x2560 + 2 x 640x2560 + 3 x 6912x2560) */
        {2084044800ull, {8336179200ull, 4168089600ull, 4168089600ull, 2084044800ull, 521011200ull,
                         416808960ull}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int f = 0; f < TLPU_WSTORE_COUNT; f++) {
            uint64_t b = 12345;
            ck_assert_int_eq(tlpu_weight_bytes((tlpu_wstore)f, cases[i].count, &b), TLPU_OK);
            ck_assert_msg(b == cases[i].bytes[f], "%s of %llu: %llu", tlpu_wstore_name((tlpu_wstore)f),
                          (unsigned long long)cases[i].count, (unsigned long long)b);
        }
    uint64_t b = 99;
    ck_assert_int_eq(tlpu_weight_bytes(TLPU_WSTORE_FP32, UINT64_MAX / 4 + 1, &b), TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_weight_bytes(TLPU_WSTORE_FP16, UINT64_MAX / 2 + 1, &b), TLPU_ERR_OVERFLOW);
    ck_assert_int_eq(tlpu_weight_bytes((tlpu_wstore)6, 1, &b), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_weight_bytes(TLPU_WSTORE_INT8, 1, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert(b == 99);
    ck_assert_int_eq(tlpu_weight_bytes(TLPU_WSTORE_2BIT, UINT64_MAX, &b), TLPU_OK);
    ck_assert(b == UINT64_MAX / 4 + 1);
    ck_assert_int_eq(tlpu_weight_bytes(TLPU_WSTORE_BASE3, UINT64_MAX, &b), TLPU_OK);
    ck_assert(b == UINT64_MAX / 5); /* 2^64 - 1 is a multiple of 5 */
    ck_assert_str_eq(tlpu_wstore_name(TLPU_WSTORE_FP32), "fp32");
    ck_assert_str_eq(tlpu_wstore_name(TLPU_WSTORE_BF16), "bf16");
    ck_assert_str_eq(tlpu_wstore_name(TLPU_WSTORE_2BIT), "2-bit");
    ck_assert_str_eq(tlpu_wstore_name(TLPU_WSTORE_BASE3), "1.6-bit");
    ck_assert_ptr_null(tlpu_wstore_name((tlpu_wstore)6));
}
END_TEST

/* tlpu_energy_open: a built-in name, else a file's path, as --energy takes it */
START_TEST(test_open)
{
    char path[512], err[256];
    tlpu_energy_table *t = NULL;
    ck_assert_int_eq(tlpu_energy_open("45nm", &t, err, sizeof err), TLPU_OK);
    ck_assert_str_eq(tlpu_energy_name(t), "45nm");
    tlpu_energy_free(t);
    t = NULL;
    snprintf(path, sizeof path, "%s/7nm.json", DATA_ENERGY);
    ck_assert_msg(tlpu_energy_open(path, &t, err, sizeof err) == TLPU_OK, "%s", err);
    ck_assert_str_eq(tlpu_energy_node(t), "7nm");
    tlpu_energy_free(t);
    t = NULL;
    ck_assert_int_eq(tlpu_energy_open("3nm", &t, err, sizeof err), TLPU_ERR_IO);
    ck_assert_msg(strstr(err, "3nm") != NULL, "%s", err);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(tlpu_energy_open(NULL, &t, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_energy_open("7nm", NULL, err, sizeof err), TLPU_ERR_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("energy");
    TCase *tc = tcase_create("energy");
    tcase_add_test(tc, test_paper_ratios);
    tcase_add_test(tc, test_builtin_names);
    tcase_add_test(tc, test_builtin_is_shipped_file);
    tcase_add_test(tc, test_shipped_contents);
    tcase_add_test(tc, test_accessors);
    tcase_add_test(tc, test_sram_curve);
    tcase_add_test(tc, test_prices_default_45nm);
    tcase_add_test(tc, test_hand_run_45nm);
    tcase_add_test(tc, test_hand_run_7nm);
    tcase_add_test(tc, test_total_is_sum);
    tcase_add_test(tc, test_zero_counters_only_leakage);
    tcase_add_test(tc, test_energy_of_args);
    tcase_add_test(tc, test_user_table_good);
    tcase_add_test(tc, test_user_table_bad);
    tcase_add_test(tc, test_ratio_zero_int8);
    tcase_add_test(tc, test_baselines);
    tcase_add_test(tc, test_footprints);
    tcase_add_test(tc, test_open);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
