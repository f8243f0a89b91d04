/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_report - the three renderings of a tlpu_report (tlpu/report.h):
 *
 *  - a realistic report built here by hand (BitNet b1.58 2B4T's seven
 *    BitLinear shapes in prefill and decode, one layer simulated): the
 *    terminal text has the key lines and no line wider than 100 columns; the
 *    JSON parses with jansson, carries every field and validates against
 *    docs/report.schema.json; the HTML is well-formed XML with four or more
 *    standalone SVG charts and nothing external (tests/report/
 *    validate_report.py, run with the python3 on PATH);
 *  - escaping: <, &, quotes, control characters and invalid UTF-8 in names;
 *  - edge cases: no layers, a phase with no tokens, no tokens at all, huge
 *    and tiny numbers, NaN and infinities (null in JSON), no clock;
 *  - reports the renderers refuse, writing nothing.
 *
 * TLPU_REPORT_KEEP=<dir> keeps every rendering there, named after its test.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"
#include "tlpu/estimate.h"
#include "tlpu/report.h"

#define SRC_DIR TLPU_TEST_DATA_DIR "/../.."
#define VALIDATOR SRC_DIR "/tests/report/validate_report.py"
#define SCHEMA SRC_DIR "/docs/report.schema.json"

/* ---- a realistic report ------------------------------------------------------------ */

#define CLOCK_HZ 800e6
#define LAYERS 30 /* transformer blocks of BitNet b1.58 2B4T */

/* pJ per event, roughly a 7 nm design (made up but of the right size) */
#define E_ADD 0.008
#define E_SKIP 0.001
#define E_ACC 0.02
#define E_DEC 0.05
#define E_WBUF 2.0
#define E_ABUF 1.0
#define E_OBUF 1.5
#define E_DRAM_B 20.0
#define P_LEAK_W 0.05

static double energy_sum(const tlpu_energy_breakdown *e)
{
    return e->array_add + e->array_sub + e->array_skip + e->accumulate + e->decoder + e->wbuf +
           e->abuf + e->obuf + e->dram + e->link + e->leakage;
}

/* One BitLinear of the 2B4T model as the estimator would describe it. */
static void add_layer(tlpu_report *r, const char *name, const char *phase, uint32_t m, uint32_t k,
                      uint32_t n)
{
    tlpu_report_layer *l = &r->layer[r->nlayers++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    snprintf(l->phase, sizeof l->phase, "%s", phase);
    l->m = m, l->k = k, l->n = n;
    l->count = LAYERS;
    l->fmt = TLPU_FMT_PACK3;
    double lanes = (double)r->hw.rows * r->hw.cols, macs = (double)m * k * n;
    uint64_t chunks = (k + r->hw.cols - 1) / r->hw.cols, tiles = (n + r->hw.rows - 1) / r->hw.rows;
    double wbytes = (double)chunks * (r->hw.cols / 5) * tiles * r->hw.rows;
    double abytes = (double)m * k, obytes = 4.0 * m * n;
    l->compute_cycles = macs / lanes;
    l->memory_cycles = (wbytes + abytes + obytes) / r->hw.beat_bytes;
    l->compute_bound = l->compute_cycles >= l->memory_cycles;
    double bound = l->compute_bound ? l->compute_cycles : l->memory_cycles;
    l->cycles = (uint64_t)(bound * 1.03) + 180;
    l->utilization = macs / (lanes * (double)l->cycles);

    uint64_t *c = l->counters;
    uint64_t ops = (uint64_t)macs;
    c[TLPU_CNTI_CYCLES] = l->cycles;
    c[TLPU_CNTI_BUSY_CYCLES] = (uint64_t)ceil(l->compute_cycles);
    c[TLPU_CNTI_STALL_CYCLES] = l->cycles / 40;
    c[TLPU_CNTI_INSNS] = tiles * 3 + 4;
    c[TLPU_CNTI_LANE_ADDS] = ops / 3;
    c[TLPU_CNTI_LANE_SUBS] = ops / 3;
    c[TLPU_CNTI_LANE_SKIPS] = ops - 2 * (ops / 3);
    c[TLPU_CNTI_DEC_BYTES] = (uint64_t)wbytes * ((m + 63) / 64);
    c[TLPU_CNTI_WBUF_RD] = chunks * tiles * ((m + 63) / 64);
    c[TLPU_CNTI_WBUF_WR] = chunks * tiles;
    c[TLPU_CNTI_ABUF_RD] = chunks * tiles * m;
    c[TLPU_CNTI_ABUF_WR] = chunks * m;
    c[TLPU_CNTI_OBUF_RD] = tiles * m;
    c[TLPU_CNTI_OBUF_WR] = tiles * m * 2;
    c[TLPU_CNTI_DRAM_RD_BYTES] = (uint64_t)(wbytes + abytes) + 16 * c[TLPU_CNTI_INSNS];
    c[TLPU_CNTI_DRAM_WR_BYTES] = (uint64_t)obytes;

    tlpu_energy_breakdown *e = &l->energy;
    e->array_add = (double)c[TLPU_CNTI_LANE_ADDS] * E_ADD;
    e->array_sub = (double)c[TLPU_CNTI_LANE_SUBS] * E_ADD;
    e->array_skip = (double)c[TLPU_CNTI_LANE_SKIPS] * E_SKIP;
    e->accumulate = (double)c[TLPU_CNTI_BUSY_CYCLES] * r->hw.rows * E_ACC;
    e->decoder = (double)c[TLPU_CNTI_DEC_BYTES] * E_DEC;
    e->wbuf = (double)(c[TLPU_CNTI_WBUF_RD] + c[TLPU_CNTI_WBUF_WR]) * E_WBUF;
    e->abuf = (double)(c[TLPU_CNTI_ABUF_RD] + c[TLPU_CNTI_ABUF_WR]) * E_ABUF;
    e->obuf = (double)(c[TLPU_CNTI_OBUF_RD] + c[TLPU_CNTI_OBUF_WR]) * E_OBUF;
    e->dram = (double)(c[TLPU_CNTI_DRAM_RD_BYTES] + c[TLPU_CNTI_DRAM_WR_BYTES]) * E_DRAM_B;
    e->link = 0;
    e->leakage = (double)l->cycles / CLOCK_HZ * P_LEAK_W * 1e12;
    e->total = energy_sum(e);
}

static void add_energy(tlpu_energy_breakdown *to, const tlpu_energy_breakdown *e, double times)
{
    to->array_add += e->array_add * times;
    to->array_sub += e->array_sub * times;
    to->array_skip += e->array_skip * times;
    to->accumulate += e->accumulate * times;
    to->decoder += e->decoder * times;
    to->wbuf += e->wbuf * times;
    to->abuf += e->abuf * times;
    to->obuf += e->obuf * times;
    to->dram += e->dram * times;
    to->link += e->link * times;
    to->leakage += e->leakage * times;
    to->total += e->total * times;
}

/* The phase totals from its layers, as the estimator sums them. */
static void sum_phase(tlpu_report *r, tlpu_report_phase *ph, const char *phase, uint32_t tokens)
{
    memset(ph, 0, sizeof *ph);
    ph->tokens = tokens;
    double arith = 0, fp16 = 0, int8 = 0, dram = 0;
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (strcmp(l->phase, phase) != 0)
            continue;
        double runs = (double)l->count * (strcmp(phase, "decode") == 0 ? tokens : 1);
        double macs = (double)l->m * l->k * l->n * runs;
        ph->cycles += (uint64_t)((double)l->cycles * runs);
        ph->macs += (uint64_t)macs;
        add_energy(&ph->energy, &l->energy, runs);
        arith += (l->energy.array_add + l->energy.array_sub + l->energy.array_skip +
                  l->energy.accumulate) * runs;
        fp16 += macs * (0.16 + 0.34); /* FP16 add + mult at 7 nm */
        int8 += macs * (0.007 + 0.07);
        dram += (double)l->k * l->n * runs * E_DRAM_B; /* one byte per weight */
    }
    ph->seconds = (double)ph->cycles / r->clock_hz;
    ph->tokens_per_s = tokens / ph->seconds;
    ph->joules_per_token = ph->energy.total * 1e-12 / tokens;
    ph->tokens_per_joule = 1.0 / ph->joules_per_token;
    ph->pj_per_mac = ph->energy.total / (double)ph->macs;
    ph->tlpu_arith_pj = arith;
    ph->fp16_arith_pj = fp16;
    ph->int8_arith_pj = int8;
    ph->fp16_system_pj = fp16 + 2 * dram;
    ph->int8_system_pj = int8 + dram;
}

static const struct {
    const char *name;
    uint32_t k, n;
} k_shapes[] = {{"q_proj", 2560, 2560},    {"k_proj", 2560, 640},  {"v_proj", 2560, 640},
                {"o_proj", 2560, 2560},    {"gate_proj", 2560, 6912}, {"up_proj", 2560, 6912},
                {"down_proj", 6912, 2560}};
#define NSHAPES (sizeof k_shapes / sizeof k_shapes[0])

#define P_TOKENS 64
#define D_TOKENS 128
#define SIM_LAYER 1 /* prefill k_proj */

static tlpu_report *make_report(void)
{
    tlpu_report *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    snprintf(r->model, sizeof r->model, "bitnet-2b4t");
    snprintf(r->engine, sizeof r->engine, "estimate");
    tlpu_hw_default(&r->hw);
    r->clock_hz = CLOCK_HZ;
    r->mem_latency = 40;
    snprintf(r->energy_table, sizeof r->energy_table, "default-7nm");
    snprintf(r->energy_node, sizeof r->energy_node, "7nm");
    r->context = 512;
    r->paper_ratio = (0.16 + 0.34) / 0.007; /* 71.43 */
    for (size_t i = 0; i < NSHAPES; i++)
        add_layer(r, k_shapes[i].name, "prefill", P_TOKENS, k_shapes[i].k, k_shapes[i].n);
    for (size_t i = 0; i < NSHAPES; i++)
        add_layer(r, k_shapes[i].name, "decode", 1, k_shapes[i].k, k_shapes[i].n);
    tlpu_report_layer *s = &r->layer[SIM_LAYER];
    s->simulated = 1;
    snprintf(s->device, sizeof s->device, "sim:");
    s->sim_cycles = s->cycles;
    s->sim_exact = 1;
    s->sim_counters_agree = 1;
    sum_phase(r, &r->prefill, "prefill", P_TOKENS);
    sum_phase(r, &r->decode, "decode", D_TOKENS);

    tlpu_report_footprint *fp = &r->footprint;
    for (size_t i = 0; i < NSHAPES; i++)
        fp->params += (uint64_t)LAYERS * k_shapes[i].k * k_shapes[i].n;
    fp->other_params = 128256ull * 2560 + LAYERS * 4 * 2560ull + 2560;
    fp->fp32 = fp->params * 4;
    fp->fp16 = fp->bf16 = fp->params * 2;
    fp->int8 = fp->params;
    fp->two_bit = fp->params / 4;
    fp->base3 = fp->params / 5;
    snprintf(r->notes[0], sizeof r->notes[0],
             "Attention (QK^T, softmax, AV), norms and the LM head run on the host and are not "
             "counted; the BitLinears are timed by the exact timing model.");
    snprintf(r->notes[1], sizeof r->notes[1], "k_proj (prefill) also ran on sim: for a check.");
    r->nnotes = 2;
    return r;
}

/* ---- rendering to files ------------------------------------------------------------- */

enum kind { TEXT, JSON, HTML };
static const char *const k_ext[] = {"txt", "json", "html"};

typedef struct rendered {
    char path[512];
    char *data; /* the whole file, NUL terminated */
    size_t len;
    tlpu_status status;
    int keep;
} rendered;

static void render(rendered *o, enum kind kind, const tlpu_report *r, const char *name)
{
    memset(o, 0, sizeof *o);
    const char *keep = getenv("TLPU_REPORT_KEEP");
    FILE *f;
    if (keep && *keep) {
        snprintf(o->path, sizeof o->path, "%s/%s.%s", keep, name, k_ext[kind]);
        f = fopen(o->path, "w+b");
        o->keep = 1;
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(o->path, sizeof o->path, "%s/tlpu_report_XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(o->path);
        ck_assert_msg(fd >= 0, "mkstemp %s: %s", o->path, strerror(errno));
        f = fdopen(fd, "w+b");
    }
    ck_assert_msg(f != NULL, "cannot open %s", o->path);
    ck_assert_msg(strchr(o->path, '\'') == NULL, "a quote in %s", o->path);
    switch (kind) {
    case TEXT: tlpu_report_print(f, r); o->status = TLPU_OK; break;
    case JSON: o->status = tlpu_report_json(f, r); break;
    case HTML: o->status = tlpu_report_html(f, r); break;
    }
    ck_assert_int_eq(fflush(f), 0);
    long len = ftell(f);
    ck_assert_int_ge(len, 0);
    o->len = (size_t)len;
    o->data = malloc(o->len + 1);
    ck_assert_ptr_nonnull(o->data);
    rewind(f);
    ck_assert_uint_eq(fread(o->data, 1, o->len, f), o->len);
    o->data[o->len] = '\0';
    fclose(f);
}

static void done(rendered *o)
{
    if (!o->keep)
        remove(o->path);
    free(o->data);
}

/* Runs tests/report/validate_report.py on JSON and HTML renderings of the same report. */
static void validate(const rendered *json, const rendered *html)
{
    char cmd[2048];
    if (json && html)
        snprintf(cmd, sizeof cmd, "python3 '%s' --schema '%s' --pair '%s' '%s'", VALIDATOR,
                 SCHEMA, json->path, html->path);
    else
        snprintf(cmd, sizeof cmd, "python3 '%s' --schema '%s' --%s '%s'", VALIDATOR, SCHEMA,
                 json ? "json" : "html", json ? json->path : html->path);
    fflush(stdout);
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "validate_report.py failed (status %d): %s", st, cmd);
}

/* Every line at most 100 columns (code points), no control characters. */
static void assert_terminal_text(const char *s)
{
    int line = 1;
    size_t cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') {
            line++, cols = 0;
            continue;
        }
        ck_assert_msg(*p >= 0x20 && *p != 0x7F, "line %d: control character 0x%02x", line, *p);
        if ((*p & 0xC0) != 0x80)
            cols++;
        ck_assert_msg(cols <= 100, "line %d is wider than 100 columns", line);
    }
}

/* The line of text holding needle (or NULL), copied into buf. */
static const char *line_with(const char *text, const char *needle, char *buf, size_t n)
{
    const char *at = strstr(text, needle);
    if (!at)
        return NULL;
    const char *b = at, *e = strchr(at, '\n');
    while (b > text && b[-1] != '\n')
        b--;
    size_t len = e ? (size_t)(e - b) : strlen(b);
    snprintf(buf, n, "%.*s", (int)len, b);
    return buf;
}

static void group(char *buf, size_t n, uint64_t v)
{
    char d[32];
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t j = 0;
    for (int i = 0; i < len && j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = d[i];
    }
    buf[j] = '\0';
}

static int count(const char *s, const char *needle)
{
    int c = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        c++;
    return c;
}

static json_t *load_json(const rendered *o, size_t flags)
{
    json_error_t err;
    json_t *j = json_loadb(o->data, o->len, flags, &err);
    ck_assert_msg(j != NULL, "%s: line %d: %s", o->path, err.line, err.text);
    return j;
}

static json_t *jpath(json_t *j, const char *path)
{
    /* "a.b.3.c": object keys and array indices */
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *t = strtok_r(buf, ".", &save); t && j; t = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, strtoul(t, NULL, 10)) : json_object_get(j, t);
    ck_assert_msg(j != NULL, "no %s in the JSON", path);
    return j;
}

/* ---- the realistic report ------------------------------------------------------------ */

START_TEST(text_full)
{
    tlpu_report *r = make_report();
    rendered t;
    render(&t, TEXT, r, "full");
    assert_terminal_text(t.data);
    char line[512], c[40];

    ck_assert_ptr_nonnull(strstr(t.data, "BitNet b1.58 arithmetic ratio (paper): 71.4x at 7nm"));
    ck_assert_ptr_nonnull(strstr(t.data, "tlpu report: bitnet-2b4t"));
    ck_assert_ptr_nonnull(strstr(t.data, "prefill: 64 tokens"));
    ck_assert_ptr_nonnull(strstr(t.data, "decode: 128 tokens"));
    ck_assert_ptr_nonnull(strstr(t.data, "800 MHz"));
    ck_assert_ptr_nonnull(strstr(t.data, "32 x 80 ternary lanes"));
    ck_assert_ptr_nonnull(strstr(t.data, "default-7nm (7nm)"));

    /* the simulated layer: marked, and predicted = simulated, exact */
    const tlpu_report_layer *s = &r->layer[SIM_LAYER];
    group(c, sizeof c, s->cycles);
    ck_assert_ptr_nonnull(line_with(t.data, "* k_proj", line, sizeof line));
    ck_assert_msg(strstr(line, "2560\xC3\x97" "640") && strstr(line, c), "%s", line);
    char want[128];
    snprintf(want, sizeof want, "k_proj  sim:  ");
    ck_assert_ptr_nonnull(line_with(t.data, want, line, sizeof line));
    ck_assert_msg(count(line, c) == 2 && strstr(line, "equal") && strstr(line, "exact") &&
                      strstr(line, "agree"),
                  "cross-check line: %s", line);
    ck_assert_int_eq(count(t.data, "* "), 2); /* the mark and the cross-check's heading */

    /* every layer appears in both phases' tables */
    for (size_t i = 0; i < NSHAPES; i++)
        ck_assert_int_ge(count(t.data, k_shapes[i].name), 2);
    /* totals */
    group(c, sizeof c, r->prefill.cycles);
    ck_assert_ptr_nonnull(line_with(t.data, "    cycles   ", line, sizeof line));
    ck_assert_msg(strstr(line, c), "%s", line);
    ck_assert_ptr_nonnull(strstr(t.data, "tokens/s"));
    ck_assert_ptr_nonnull(strstr(t.data, "energy per token"));
    ck_assert_ptr_nonnull(strstr(t.data, "tokens per joule"));
    ck_assert_ptr_nonnull(strstr(t.data, "pJ per ternary MAC"));
    /* the breakdown names every component; the baselines and footprints */
    static const char *const labels[] = {
        "array adds", "array subtracts", "array skips", "accumulators", "weight decoders",
        "weight buffer", "activation buffer", "output buffer", "DRAM", "host link", "leakage"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        ck_assert_msg(strstr(t.data, labels[i]), "no %s", labels[i]);
    ck_assert_ptr_nonnull(line_with(t.data, "  total  ", line, sizeof line));
    ck_assert_msg(count(line, "100.0") == 2, "%s", line);
    ck_assert_ptr_nonnull(line_with(t.data, "FP16 MAC", line, sizeof line));
    ck_assert_ptr_nonnull(line_with(t.data, "INT8 MAC", line, sizeof line));
    static const char *const fmts[] = {"FP32", "FP16", "BF16", "INT8", "2-bit", "1.6-bit"};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
        ck_assert_msg(strstr(t.data, fmts[i]), "no %s", fmts[i]);
    ck_assert_ptr_nonnull(line_with(t.data, "1.6-bit", line, sizeof line));
    ck_assert_msg(strstr(line, "1.60") && strstr(line, "GB"), "%s", line);
    ck_assert_ptr_nonnull(strstr(t.data, "- k_proj (prefill) also ran on sim: for a check."));
    /* the long note wraps under its dash */
    ck_assert_ptr_nonnull(strstr(t.data, "\n    "));
    done(&t);
    free(r);
}
END_TEST

START_TEST(json_full)
{
    tlpu_report *r = make_report();
    rendered j;
    render(&j, JSON, r, "full");
    ck_assert_int_eq(j.status, TLPU_OK);
    json_t *d = load_json(&j, 0);
    ck_assert_str_eq(json_string_value(jpath(d, "schema")), "tlpu-report-1");
    ck_assert_str_eq(json_string_value(jpath(d, "model")), "bitnet-2b4t");
    ck_assert_int_eq(json_integer_value(jpath(d, "hw.cols")), 80);
    ck_assert(json_number_value(jpath(d, "clock_hz")) == CLOCK_HZ);
    ck_assert(json_number_value(jpath(d, "paper_ratio")) == r->paper_ratio); /* round trip */
    ck_assert_uint_eq(json_array_size(jpath(d, "layers")), 2 * NSHAPES);
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        char p[64];
        snprintf(p, sizeof p, "layers.%u", i);
        json_t *jl = jpath(d, p);
        ck_assert_str_eq(json_string_value(json_object_get(jl, "name")), l->name);
        ck_assert_str_eq(json_string_value(json_object_get(jl, "phase")), l->phase);
        ck_assert_str_eq(json_string_value(json_object_get(jl, "fmt")), "PACK3");
        ck_assert_int_eq(json_integer_value(json_object_get(jl, "cycles")), (json_int_t)l->cycles);
        json_t *c = json_object_get(jl, "counters");
        ck_assert_uint_eq(json_object_size(c), TLPU_NUM_COUNTERS);
#define X(name, idx, desc)                                                                        \
    ck_assert_int_eq(json_integer_value(json_object_get(c, #name)), (json_int_t)l->counters[idx]);
        TLPU_COUNTERS(X)
#undef X
        json_t *e = json_object_get(jl, "energy_pj");
        ck_assert_uint_eq(json_object_size(e), 13);
        ck_assert(json_number_value(json_object_get(e, "dram")) == l->energy.dram);
        ck_assert(json_number_value(json_object_get(e, "total")) == l->energy.total);
        ck_assert(json_number_value(json_object_get(jl, "utilization")) == l->utilization);
        json_t *sim = json_object_get(jl, "simulation");
        ck_assert(json_is_boolean(json_object_get(jl, "simulated")));
        if (i == SIM_LAYER) {
            ck_assert(json_is_true(json_object_get(jl, "simulated")));
            ck_assert_str_eq(json_string_value(json_object_get(sim, "device")), "sim:");
            ck_assert(json_is_true(json_object_get(sim, "cycles_equal")));
            ck_assert(json_is_true(json_object_get(sim, "sim_exact")));
        } else {
            ck_assert(json_is_null(sim));
        }
    }
    ck_assert_int_eq(json_integer_value(jpath(d, "phases.decode.tokens")), D_TOKENS);
    ck_assert_int_eq(json_integer_value(jpath(d, "phases.prefill.macs")), (json_int_t)r->prefill.macs);
    ck_assert(json_number_value(jpath(d, "phases.decode.energy_pj.total")) == r->decode.energy.total);
    ck_assert(json_number_value(jpath(d, "phases.decode.baselines_pj.fp16_system")) ==
              r->decode.fp16_system_pj);
    ck_assert_int_eq(json_integer_value(jpath(d, "footprint.bytes.base3")),
                     (json_int_t)r->footprint.base3);
    ck_assert_uint_eq(json_array_size(jpath(d, "notes")), 2);
    ck_assert_str_eq(json_string_value(jpath(d, "notes.1")), r->notes[1]);
    json_decref(d);
    validate(&j, NULL);
    done(&j);
    free(r);
}
END_TEST

START_TEST(html_full)
{
    tlpu_report *r = make_report();
    rendered h, j;
    render(&h, HTML, r, "full");
    render(&j, JSON, r, "full");
    ck_assert_int_eq(h.status, TLPU_OK);
    ck_assert_int_ge(count(h.data, "<svg "), 4);
    ck_assert_int_eq(count(h.data, "<svg "), count(h.data, "</svg>"));
    ck_assert_ptr_null(strstr(h.data, "<script"));
    ck_assert_ptr_nonnull(strstr(h.data, "BitNet b1.58 arithmetic ratio (paper): <b>71.4x</b> at 7nm"));
    ck_assert_ptr_nonnull(strstr(h.data, "Roofline"));
    ck_assert_ptr_nonnull(strstr(h.data, "operational intensity (ternary MACs per DRAM byte)"));
    ck_assert_ptr_nonnull(strstr(h.data, "attainable performance (ternary MAC/s)"));
    /* every layer is a point on the roofline */
    ck_assert_int_ge(count(h.data, "<circle "), (int)(2 * NSHAPES));
    ck_assert_ptr_nonnull(strstr(h.data, "<tr class=\"sim\">"));
    ck_assert_ptr_nonnull(strstr(h.data, "<td class=\"ok\">equal</td><td class=\"ok\">exact</td>"));
    validate(&j, &h);
    done(&h);
    done(&j);
    free(r);
}
END_TEST

/* ---- escaping ----------------------------------------------------------------------- */

#define NASTY "<b>\"Q&A\" 'x' ]]> </svg> &amp;"

START_TEST(escaping)
{
    tlpu_report *r = make_report();
    snprintf(r->model, sizeof r->model, "%s", NASTY);
    snprintf(r->engine, sizeof r->engine, "e\"<&>");
    snprintf(r->energy_node, sizeof r->energy_node, "7<nm>&");
    snprintf(r->layer[0].name, sizeof r->layer[0].name, "a<b>&c\"d'e");
    snprintf(r->layer[SIM_LAYER].device, sizeof r->layer[SIM_LAYER].device, "sim:x=<1>&y=\"2\"");
    /* a terminal escape, a backslash, a tab and a byte that is not UTF-8 */
    snprintf(r->notes[0], sizeof r->notes[0], "esc \x1b[31mred\x1b[0m back\\slash\ttab bad \xff end");
    snprintf(r->notes[1], sizeof r->notes[1], "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 fine");
    /* a name filling its whole array, with no NUL: the last byte is never read */
    memset(r->layer[2].name, 'z', sizeof r->layer[2].name);

    rendered t, j, h;
    render(&t, TEXT, r, "escaping");
    render(&j, JSON, r, "escaping");
    render(&h, HTML, r, "escaping");
    ck_assert_int_eq(j.status, TLPU_OK);
    ck_assert_int_eq(h.status, TLPU_OK);

    /* terminal: no escape sequence reaches it */
    assert_terminal_text(t.data);
    ck_assert_ptr_nonnull(strstr(t.data, "esc ?[31mred?[0m"));
    ck_assert_ptr_nonnull(strstr(t.data, "caf\xC3\xA9 \xE2\x82\xAC"));

    /* JSON: every string round-trips; the bad byte is U+FFFD */
    json_t *d = load_json(&j, 0);
    ck_assert_str_eq(json_string_value(jpath(d, "model")), NASTY);
    ck_assert_str_eq(json_string_value(jpath(d, "engine")), "e\"<&>");
    ck_assert_str_eq(json_string_value(jpath(d, "layers.0.name")), "a<b>&c\"d'e");
    ck_assert_str_eq(json_string_value(jpath(d, "layers.1.simulation.device")), "sim:x=<1>&y=\"2\"");
    ck_assert_str_eq(json_string_value(jpath(d, "notes.0")),
                     "esc \x1b[31mred\x1b[0m back\\slash\ttab bad \xEF\xBF\xBD end");
    ck_assert_str_eq(json_string_value(jpath(d, "notes.1")), r->notes[1]);
    char zs[40];
    memset(zs, 'z', 31);
    zs[31] = '\0';
    ck_assert_str_eq(json_string_value(jpath(d, "layers.2.name")), zs);
    json_decref(d);

    /* HTML: escaped, never raw */
    ck_assert_ptr_null(strstr(h.data, NASTY));
    ck_assert_ptr_null(strstr(h.data, "a<b>"));
    ck_assert_ptr_nonnull(strstr(h.data, "&lt;b&gt;&quot;Q&amp;A&quot; &#39;x&#39; ]]&gt; &lt;/svg&gt; "
                                         "&amp;amp;"));
    ck_assert_ptr_null(strstr(h.data, "\x1b"));
    validate(&j, &h); /* <title> and <h1> carry the model name exactly */
    done(&t);
    done(&j);
    done(&h);
    free(r);
}
END_TEST

/* ---- edge cases -------------------------------------------------------------------- */

/* All three renderings of r: valid, text within 100 columns. */
static void render_all(const tlpu_report *r, const char *name, rendered *t, rendered *j,
                       rendered *h)
{
    render(t, TEXT, r, name);
    render(j, JSON, r, name);
    render(h, HTML, r, name);
    ck_assert_int_eq(j->status, TLPU_OK);
    ck_assert_int_eq(h->status, TLPU_OK);
    assert_terminal_text(t->data);
    ck_assert_ptr_null(strstr(t->data, "cannot print"));
    validate(j, h);
}

static void done_all(rendered *t, rendered *j, rendered *h)
{
    done(t);
    done(j);
    done(h);
}

START_TEST(zero_layers)
{
    tlpu_report *r = make_report();
    r->nlayers = 0;
    rendered t, j, h;
    render_all(r, "zero_layers", &t, &j, &h);
    ck_assert_int_eq(count(t.data, "no BitLinear layers in this phase"), 2);
    ck_assert_ptr_nonnull(strstr(t.data, "BitNet b1.58 arithmetic ratio (paper): 71.4x"));
    json_t *d = load_json(&j, 0);
    ck_assert_uint_eq(json_array_size(jpath(d, "layers")), 0);
    json_decref(d);
    ck_assert_ptr_nonnull(strstr(h.data, "No BitLinear layers in this phase."));
    ck_assert_ptr_nonnull(strstr(h.data, ">no layers</text>"));
    done_all(&t, &j, &h);
    free(r);
}
END_TEST

/* An LPU system's report: the system, each layer's schedule, the scaling
 * study with its two charts, in all three renderings */
START_TEST(lpu_system)
{
    tlpu_net net;
    ck_assert_int_eq(tlpu_net_builtin("bitnet-0.7b", &net), TLPU_OK);
    tlpu_energy_table *tab = NULL;
    ck_assert_int_eq(tlpu_energy_builtin("7nm", &tab), TLPU_OK);
    tlpu_est_opts o;
    tlpu_est_opts_init(&o);
    tlpu_mc_system_default(&o.mc);
    o.prefill = 8;
    o.decode = 4;
    o.mem_latency = 2;
    o.mc.sram_bytes = 64ull << 20;
    o.mc.chips = tlpu_estimate_min_chips(&net, &o, NULL);
    ck_assert_uint_gt(o.mc.chips, 1);
    static tlpu_report r;
    ck_assert_int_eq(tlpu_estimate_net(&net, &o, tab, &r, NULL), TLPU_OK);
    char err[256];
    ck_assert_int_eq(tlpu_estimate_scaling(&net, &o, tab, &r.scaling, err, sizeof err), TLPU_OK);
    /* one layer as if simulated on an sc: LPU device */
    r.layer[1].simulated = 1;
    r.layer[1].sim_exact = 1;
    r.layer[1].sim_counters_agree = 1;
    r.layer[1].sim_cycles = r.layer[1].cycles;
    r.layer[1].sim_mc_ps = r.layer[1].mc_ps;
    snprintf(r.layer[1].device, sizeof r.layer[1].device, "sc:chips=%u", o.mc.chips);
    r.layer[1].has_board = 1;
    r.layer[1].board_s = 3e-3, r.layer[1].link_s = 2e-3, r.layer[1].c2c_s = 1e-3;
    rendered t, j, h;
    render_all(&r, "lpu", &t, &j, &h);
    char line[512];
    ck_assert_ptr_nonnull(line_with(t.data, "    system ", line, sizeof line));
    ck_assert_ptr_nonnull(strstr(line, "chips, ring, serdes links"));
    ck_assert_ptr_nonnull(strstr(t.data, "== scaling: decode on LPU systems, 64 MiB of SRAM"));
    ck_assert_ptr_nonnull(strstr(t.data, "the multi-chip schedule of one instance"));
    ck_assert_ptr_nonnull(strstr(t.data, "chip links uJ"));
    ck_assert_int_ge(count(t.data, " equal"), 2);
    json_t *d = load_json(&j, 0);
    ck_assert_uint_eq(json_integer_value(jpath(d, "system.chips")), o.mc.chips);
    ck_assert_uint_eq(json_integer_value(jpath(d, "scaling.min_chips")), o.mc.chips);
    ck_assert_uint_eq(json_array_size(jpath(d, "scaling.rows")), r.scaling.nrows);
    ck_assert_uint_eq(json_integer_value(jpath(d, "layers.1.multichip.schedule_ps")),
                      r.layer[1].mc_ps);
    ck_assert_uint_eq(json_integer_value(jpath(d, "layers.1.multichip.simulated_ps")),
                      r.layer[1].mc_ps);
    ck_assert(json_is_null(jpath(d, "layers.0.multichip.simulated_ps")));
    ck_assert(json_number_value(jpath(d, "layers.1.simulation.board.c2c_s")) == 1e-3);
    json_decref(d);
    ck_assert_ptr_nonnull(strstr(h.data, "<h2>Scaling on LPU systems</h2>"));
    ck_assert_ptr_nonnull(strstr(h.data, "latency per token against chips"));
    ck_assert_ptr_nonnull(strstr(h.data, "energy per token against chips"));
    /* one point per row in each chart */
    ck_assert_int_eq(count(h.data, "r=\"4\" fill=\"#1f77b4\"><title>"), (int)r.scaling.nrows);
    ck_assert_int_eq(count(h.data, "r=\"4\" fill=\"#d62728\"><title>"), (int)r.scaling.nrows);
    done_all(&t, &j, &h);
    tlpu_energy_free(tab);
}
END_TEST

START_TEST(phase_without_tokens)
{
    tlpu_report *r = make_report();
    sum_phase(r, &r->decode, "decode", 0); /* D = 0: NaN and infinite rates */
    r->decode.tokens = 0;
    rendered t, j, h;
    render_all(r, "no_decode", &t, &j, &h);
    ck_assert_ptr_nonnull(strstr(t.data, "prefill: 64 tokens"));
    ck_assert_ptr_null(strstr(t.data, "== decode"));
    ck_assert_ptr_null(strstr(t.data, "decode pJ"));
    ck_assert_ptr_null(strstr(t.data, "\n  decode  "));
    ck_assert_ptr_null(strstr(h.data, "<h2>Decode"));
    json_t *d = load_json(&j, 0);
    ck_assert_int_eq(json_integer_value(jpath(d, "phases.decode.tokens")), 0);
    ck_assert(json_is_null(jpath(d, "phases.decode.joules_per_token"))); /* 0/0 */
    json_decref(d);
    done_all(&t, &j, &h);

    /* and no tokens at all, no layers */
    r->prefill.tokens = 0;
    r->nlayers = 0;
    r->nnotes = 0;
    render_all(r, "no_tokens", &t, &j, &h);
    ck_assert_ptr_nonnull(strstr(t.data, "no phase has tokens"));
    ck_assert_int_ge(count(h.data, "class=\"chart-message\""), 3);
    done_all(&t, &j, &h);
    free(r);
}
END_TEST

START_TEST(extreme_numbers)
{
    tlpu_report *r = make_report();
    tlpu_report_layer *l = &r->layer[0];
    l->m = l->k = l->n = UINT32_MAX;
    l->count = UINT32_MAX;
    l->cycles = UINT64_MAX;
    for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++)
        l->counters[c] = UINT64_MAX;
    l->energy.dram = 1e300;
    l->energy.total = 1.7976931348623157e308;
    l->energy.array_skip = 4.9e-324; /* the smallest subnormal */
    memset(l->name, 'W', sizeof l->name);
    r->layer[3].utilization = 1e-300;
    r->layer[3].energy.total = 1e-12;
    r->layer[SIM_LAYER].sim_cycles = 0; /* a mismatch, the full width of a u64 apart */
    r->layer[SIM_LAYER].cycles = UINT64_MAX;
    r->layer[SIM_LAYER].sim_exact = 0;
    r->prefill.cycles = UINT64_MAX;
    r->prefill.macs = UINT64_MAX;
    r->prefill.energy.total = 1e300;
    r->prefill.energy.dram = 9.99e299;
    r->decode.tokens = UINT32_MAX;
    r->decode.tokens_per_s = 1e-300;
    r->footprint.params = UINT64_MAX;
    r->footprint.fp32 = UINT64_MAX;
    r->footprint.other_params = UINT64_MAX;
    r->context = UINT32_MAX;
    r->mem_latency = UINT32_MAX;
    r->hw.abuf_words = UINT32_MAX;
    memset(r->model, 'M', sizeof r->model - 1);
    memset(r->notes[0], 'n', sizeof r->notes[0]); /* one 160-character word, no NUL */
    /* non-finite: null in JSON, n/a in text */
    r->paper_ratio = NAN;
    r->decode.seconds = INFINITY;
    r->decode.energy.leakage = NAN;
    r->layer[4].utilization = INFINITY;
    r->layer[5].memory_cycles = NAN;

    rendered t, j, h;
    render_all(r, "extremes", &t, &j, &h);
    ck_assert_ptr_nonnull(strstr(t.data, "18,446,744,073,709,551,615"));
    ck_assert_ptr_nonnull(strstr(t.data, "BitNet b1.58 arithmetic ratio (paper): n/a"));
    ck_assert_ptr_nonnull(strstr(t.data, "DIFFER"));
    ck_assert_ptr_nonnull(strstr(t.data, "WRONG"));
    ck_assert_ptr_nonnull(strstr(t.data, "\xE2\x80\xA6")); /* wide cells cut with an ellipsis */

    json_t *d = load_json(&j, JSON_DECODE_INT_AS_REAL); /* u64 above INT64_MAX */
    ck_assert(json_is_null(jpath(d, "paper_ratio")));
    ck_assert(json_is_null(jpath(d, "phases.decode.seconds")));
    ck_assert(json_is_null(jpath(d, "phases.decode.energy_pj.leakage")));
    ck_assert(json_is_null(jpath(d, "layers.4.utilization")));
    ck_assert(json_is_null(jpath(d, "layers.5.memory_cycles")));
    ck_assert(json_number_value(jpath(d, "layers.0.energy_pj.total")) == 1.7976931348623157e308);
    ck_assert(json_number_value(jpath(d, "layers.0.energy_pj.array_skip")) == 4.9e-324);
    ck_assert(json_number_value(jpath(d, "layers.3.utilization")) == 1e-300);
    ck_assert(json_number_value(jpath(d, "layers.0.cycles")) == 18446744073709551615.0);
    ck_assert(json_is_false(jpath(d, "layers.1.simulation.cycles_equal")));
    json_decref(d);
    /* exactly, not rounded through a double */
    ck_assert_ptr_nonnull(strstr(j.data, "\"cycles\": 18446744073709551615"));
    ck_assert_ptr_null(strstr(j.data, "nan"));
    ck_assert_ptr_null(strstr(j.data, "inf"));
    done_all(&t, &j, &h);

    /* no clock: times n/a, no roofline */
    r->clock_hz = 0;
    render_all(r, "no_clock", &t, &j, &h);
    ck_assert_ptr_nonnull(strstr(t.data, "not given: times and rates are n/a"));
    ck_assert_ptr_nonnull(strstr(h.data, "the roofline is undefined"));
    done_all(&t, &j, &h);
    r->clock_hz = NAN;
    render_all(r, "nan_clock", &t, &j, &h);
    done_all(&t, &j, &h);
    free(r);
}
END_TEST

/* Odd but legal shapes: a layer with cycles 0, zero energies, a huge name list. */
START_TEST(degenerate_values)
{
    tlpu_report *r = make_report();
    for (uint32_t i = 0; i < r->nlayers; i++) {
        r->layer[i].cycles = 0;
        memset(&r->layer[i].energy, 0, sizeof r->layer[i].energy);
    }
    memset(&r->prefill.energy, 0, sizeof r->prefill.energy);
    r->prefill.tlpu_arith_pj = 0;
    memset(&r->footprint, 0, sizeof r->footprint);
    /* 64 layers, long names */
    while (r->nlayers < TLPU_REPORT_MAX_LAYERS) {
        tlpu_report_layer *l = &r->layer[r->nlayers];
        *l = r->layer[r->nlayers % 14];
        snprintf(l->name, sizeof l->name, "a_rather_long_layer_name_%u", r->nlayers);
        r->nlayers++;
    }
    rendered t, j, h;
    render_all(r, "degenerate", &t, &j, &h);
    done_all(&t, &j, &h);
    free(r);
}
END_TEST

/* ---- the checks bite ------------------------------------------------------------------ */

/* A copy of o's file with the first `from` replaced by `to`, in a new temporary file. */
static void mutate(const rendered *o, const char *from, const char *to, char *path, size_t n)
{
    const char *at = strstr(o->data, from);
    ck_assert_msg(at != NULL, "no %s in %s", from, o->path);
    const char *tmp = getenv("TMPDIR");
    snprintf(path, n, "%s/tlpu_report_bad_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
    FILE *f = fdopen(fd, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(o->data, 1, (size_t)(at - o->data), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Broken JSON and pages must fail the validator: the checks are not vacuous. */
START_TEST(validator_rejects)
{
    tlpu_report *r = make_report();
    rendered j, h;
    render(&j, JSON, r, "bite");
    render(&h, HTML, r, "bite");
    static const char *const bad_json[][2] = {
        {"\"schema\": \"tlpu-report-1\"", "\"schema\": \"tlpu-report-2\""},
        {"\"LANE_ADDS\"", "\"LANE_ADDZ\""},                            /* unknown, missing */
        {"\"utilization\": ", "\"extra\": 1, \"utilization\": "},      /* an extra key */
        {"\"clock_hz\": 800000000.0", "\"clock_hz\": -1"},              /* below the minimum */
        {"\"clock_hz\": 800000000.0", "\"clock_hz\": NaN"},             /* not JSON */
        {"\"clock_hz\": 800000000.0", "\"clock_hz\": \"800 MHz\""},     /* not a number */
        {"\"phase\": \"decode\"", "\"phase\": \"Decode\""},             /* not in the enum */
        {"\"fmt\": \"PACK3\"", "\"fmt\": 1"},
        {"\"m\": 64", "\"m\": 4294967296"},                             /* above uint32 */
        {"\"simulation\": null", "\"simulation\": {}"},                 /* not simulated */
        {"\"notes\": [", "\"notes\": [\"1\", \"2\", \"3\", \"4\", "},   /* six notes */
        {"\"base3\": ", "\"base3\": 1.5, \"base4\": "},                 /* a real, a new key */
    };
    static const char *const bad_html[][2] = {
        {"<title>tlpu report: ", "<title>tlpu & report: "},           /* a bare & */
        {"</main>", "<script>alert(1)</script></main>"},
        {"<svg xmlns=\"http://www.w3.org/2000/svg\"", "<svg"},           /* 3 SVGs left */
        {" viewBox=\"0 0 960", " data-vb=\"0 0 960"},
        {"<title>Roofline</title>", ""},
        {"class=\"axis-label\"", "class=\"label\""},                    /* first chart: no axis */
        {"<style>", "<style>@import url(https://example.com/x.css);"},
        {"</h1>", "<img src=\"x.png\"/></h1>"},
        {"</table>", "</tabel>"},
    };
    size_t nj = sizeof bad_json / sizeof bad_json[0], nh = sizeof bad_html / sizeof bad_html[0];
    char paths[32][512], cmd[32 * 560];
    int len = snprintf(cmd, sizeof cmd, "python3 '%s' --schema '%s' --expect-invalid", VALIDATOR,
                       SCHEMA);
    for (size_t i = 0; i < nj + nh; i++) {
        int is_json = i < nj;
        const char *const *m = is_json ? bad_json[i] : bad_html[i - nj];
        mutate(is_json ? &j : &h, m[0], m[1], paths[i], sizeof paths[i]);
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " --%s '%s'", is_json ? "json" : "html",
                        paths[i]);
    }
    fflush(stdout);
    int st = system(cmd);
    for (size_t i = 0; i < nj + nh; i++)
        remove(paths[i]);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "a broken file passed validate_report.py (status %d)", st);
    done(&j);
    done(&h);
    free(r);
}
END_TEST

/* ---- reports the renderers refuse --------------------------------------------------- */

static void expect_refused(const tlpu_report *r, tlpu_status want)
{
    rendered j, h, t;
    render(&j, JSON, r, "refused");
    render(&h, HTML, r, "refused");
    render(&t, TEXT, r, "refused");
    ck_assert_int_eq(j.status, want);
    ck_assert_int_eq(h.status, want);
    ck_assert_uint_eq(j.len, 0); /* nothing written */
    ck_assert_uint_eq(h.len, 0);
    ck_assert_msg(strncmp(t.data, "tlpu report: cannot print this report: ", 39) == 0, "%s",
                  t.data);
    ck_assert_int_eq(count(t.data, "\n"), 1);
    done(&j);
    done(&h);
    done(&t);
}

START_TEST(refused)
{
    tlpu_report *r = make_report();
    ck_assert_int_eq(tlpu_report_json(NULL, r), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_report_html(NULL, r), TLPU_ERR_INVALID_ARG);
    tlpu_report_print(NULL, r); /* nothing to do, no crash */
    expect_refused(NULL, TLPU_ERR_INVALID_ARG);

    r->nlayers = TLPU_REPORT_MAX_LAYERS + 1;
    expect_refused(r, TLPU_ERR_INVALID_ARG);
    r->nlayers = 14;
    r->nnotes = 5;
    expect_refused(r, TLPU_ERR_INVALID_ARG);
    r->nnotes = 2;

    snprintf(r->layer[3].phase, sizeof r->layer[3].phase, "train");
    expect_refused(r, TLPU_ERR_INVALID_ARG);
    memcpy(r->layer[3].phase, "prefilll", 8); /* no NUL */
    expect_refused(r, TLPU_ERR_INVALID_ARG);
    snprintf(r->layer[3].phase, sizeof r->layer[3].phase, "prefill");
    r->layer[3].fmt = 2;
    expect_refused(r, TLPU_ERR_INVALID_ARG);
    r->layer[3].fmt = TLPU_FMT_PACK2;

    r->layer[6].energy.dram = -1;
    expect_refused(r, TLPU_ERR_RANGE);
    r->layer[6].energy.dram = 0;
    r->decode.fp16_system_pj = -1e-30;
    expect_refused(r, TLPU_ERR_RANGE);
    r->decode.fp16_system_pj = 1;
    r->clock_hz = -1;
    expect_refused(r, TLPU_ERR_RANGE);
    r->clock_hz = -INFINITY; /* non-finite: rendered as n/a / null */
    rendered j;
    render(&j, JSON, r, "refused_not");
    ck_assert_int_eq(j.status, TLPU_OK);
    done(&j);
    free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("render");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, text_full);
    tcase_add_test(tc, json_full);
    tcase_add_test(tc, html_full);
    tcase_add_test(tc, escaping);
    tcase_add_test(tc, zero_layers);
    tcase_add_test(tc, lpu_system);
    tcase_add_test(tc, phase_without_tokens);
    tcase_add_test(tc, extreme_numbers);
    tcase_add_test(tc, degenerate_values);
    tcase_add_test(tc, validator_rejects);
    tcase_add_test(tc, refused);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
