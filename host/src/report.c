/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c - the three renderings of a tlpu_report (tlpu/report.h):
 *
 *  - tlpu_report_print: terminal text, at most 100 columns;
 *  - tlpu_report_json:  JSON following docs/report.schema.json;
 *  - tlpu_report_html:  one self-contained page (inline CSS, inline SVG, no
 *    scripts, no external resources) that is also well-formed XML.
 *
 * docs/report.md explains every number and unit. The renderers compute
 * nothing the report does not hold except presentation: ratios, shares,
 * per-layer times (cycles x instances x runs / clock) and the roofline
 * coordinates. All three check the report first (check_report) and render
 * nothing from a report they reject.
 */
#include "tlpu/report.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

#define WIDTH 100 /* terminal columns */


/* ---- the report's vocabulary ------------------------------------------------ */

/* The components of tlpu_energy_breakdown (total apart), in struct order. */
typedef struct comp_info {
    const char *key;   /* the struct field and JSON name */
    const char *label; /* for people */
    size_t off;
    const char *color; /* its colour in the charts */
} comp_info;

#define COMP(k, label, color) {#k, label, offsetof(tlpu_energy_breakdown, k), color}
static const comp_info k_comp[] = {
    COMP(array_add, "array adds (+1)", "#1f77b4"),
    COMP(array_sub, "array subtracts (-1)", "#9ecae1"),
    COMP(array_skip, "array skips (0, gated)", "#c7c7c7"),
    COMP(accumulate, "accumulators", "#ff7f0e"),
    COMP(decoder, "weight decoders", "#fdd0a2"),
    COMP(wbuf, "weight buffer", "#2ca02c"),
    COMP(abuf, "activation buffer", "#a1d99b"),
    COMP(obuf, "output buffer", "#9467bd"),
    COMP(dram, "DRAM", "#d62728"),
    COMP(link, "host link", "#8c564b"),
    COMP(c2c, "chip-to-chip links", "#e377c2"),
    COMP(leakage, "leakage", "#636363"),
};
#undef COMP
#define NCOMP (sizeof k_comp / sizeof k_comp[0])

static double comp_val(const tlpu_energy_breakdown *e, size_t i)
{
    return *(const double *)((const char *)e + k_comp[i].off);
}

static const char *const k_counter[TLPU_NUM_COUNTERS] = {
#define X(name, idx, desc) [idx] = #name,
    TLPU_COUNTERS(X)
#undef X
};

static const char *const k_phase_name[2] = {"prefill", "decode"};
static const char *const k_phase_color[2] = {"#1f77b4", "#e6550d"};

static const tlpu_report_phase *phase_ptr(const tlpu_report *r, int p)
{
    return p == 0 ? &r->prefill : &r->decode;
}

/* 0 prefill, 1 decode, -1 neither. */
static int layer_phase(const tlpu_report_layer *l)
{
    size_t n = strnlen(l->phase, sizeof l->phase);
    if (n == 7 && memcmp(l->phase, "prefill", 7) == 0)
        return 0;
    if (n == 6 && memcmp(l->phase, "decode", 6) == 0)
        return 1;
    return -1;
}

static int finite_pos(double x) { return isfinite(x) && x > 0; }

/* Runs of one instance in its phase: prefill is one pass of M = P tokens,
 * decode one pass of M = 1 per generated token. */
static double layer_runs(const tlpu_report *r, const tlpu_report_layer *l)
{
    return layer_phase(l) == 1 ? (double)r->decode.tokens : 1.0;
}

static double layer_macs(const tlpu_report_layer *l)
{
    return (double)l->m * (double)l->k * (double)l->n;
}

/* Seconds this layer kind takes in its phase (NAN without a clock). */
static double layer_seconds(const tlpu_report *r, const tlpu_report_layer *l)
{
    if (r->mc.chips) /* an LPU system: the schedule's time */
        return (double)l->mc_ps * 1e-12 * (double)l->count * layer_runs(r, l);
    if (!finite_pos(r->clock_hz))
        return NAN;
    return (double)l->cycles * (double)l->count * layer_runs(r, l) / r->clock_hz;
}

/* DRAM bytes of one instance as the roofline counts them. */
static double layer_dram_bytes(const tlpu_report *r, const tlpu_report_layer *l)
{
    if (finite_pos(l->memory_cycles) && r->hw.beat_bytes > 0)
        return l->memory_cycles * (double)r->hw.beat_bytes;
    return (double)l->counters[TLPU_CNTI_DRAM_RD_BYTES] +
           (double)l->counters[TLPU_CNTI_DRAM_WR_BYTES];
}

static const char *fmt_name(uint32_t fmt) { return fmt == TLPU_FMT_PACK2 ? "PACK2" : "PACK3"; }

/* ---- checking a report --------------------------------------------------------- */

static int negative(double x) { return isfinite(x) && x < 0; }

static int energy_negative(const tlpu_energy_breakdown *e, const char **what)
{
    for (size_t i = 0; i < NCOMP; i++) {
        if (negative(comp_val(e, i))) {
            *what = k_comp[i].key;
            return 1;
        }
    }
    if (negative(e->total)) {
        *what = "total";
        return 1;
    }
    return 0;
}

/*
 * TLPU_OK, or why the report cannot be rendered: TLPU_ERR_INVALID_ARG for a
 * NULL report, more layers or notes than the arrays hold, a layer whose phase
 * is neither "prefill" nor "decode" or whose format is unknown;
 * TLPU_ERR_RANGE for a negative energy, time, rate or cycle estimate (NaN
 * and infinities are allowed: they render as n/a and null).
 */
static tlpu_status check_report(const tlpu_report *r, char *why, size_t n)
{
    const char *what = NULL;
    if (!r) {
        snprintf(why, n, "no report (NULL)");
        return TLPU_ERR_INVALID_ARG;
    }
    if (r->nlayers > TLPU_REPORT_MAX_LAYERS) {
        snprintf(why, n, "nlayers %u exceeds %u", r->nlayers, TLPU_REPORT_MAX_LAYERS);
        return TLPU_ERR_INVALID_ARG;
    }
    if (r->nnotes > 4) {
        snprintf(why, n, "nnotes %u exceeds 4", r->nnotes);
        return TLPU_ERR_INVALID_ARG;
    }
    if (r->scaling.nrows > TLPU_REPORT_MAX_SCALE || r->mc.chips > TLPU_MC_CHIPS_MAX) {
        snprintf(why, n, "scaling rows %u or chips %u out of range", r->scaling.nrows,
                 r->mc.chips);
        return TLPU_ERR_INVALID_ARG;
    }
    if (negative(r->clock_hz) || negative(r->paper_ratio)) {
        snprintf(why, n, "negative %s", negative(r->clock_hz) ? "clock_hz" : "paper_ratio");
        return TLPU_ERR_RANGE;
    }
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) < 0) {
            snprintf(why, n, "layer %u: phase is neither \"prefill\" nor \"decode\"", i);
            return TLPU_ERR_INVALID_ARG;
        }
        if (l->fmt != TLPU_FMT_PACK2 && l->fmt != TLPU_FMT_PACK3) {
            snprintf(why, n, "layer %u: unknown weight format %u", i, l->fmt);
            return TLPU_ERR_INVALID_ARG;
        }
        if (negative(l->utilization) || negative(l->compute_cycles) ||
            negative(l->memory_cycles)) {
            snprintf(why, n, "layer %u: negative utilization or roofline cycles", i);
            return TLPU_ERR_RANGE;
        }
        if (energy_negative(&l->energy, &what)) {
            snprintf(why, n, "layer %u: negative energy.%s", i, what);
            return TLPU_ERR_RANGE;
        }
    }
    for (int p = 0; p < 2; p++) {
        const tlpu_report_phase *ph = phase_ptr(r, p);
        const double v[] = {ph->seconds,          ph->tokens_per_s,   ph->joules_per_token,
                            ph->tokens_per_joule, ph->pj_per_mac,     ph->fp16_arith_pj,
                            ph->int8_arith_pj,    ph->tlpu_arith_pj,  ph->fp16_system_pj,
                            ph->int8_system_pj};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            if (negative(v[i])) {
                snprintf(why, n, "%s: a negative time, rate or energy", k_phase_name[p]);
                return TLPU_ERR_RANGE;
            }
        }
        if (energy_negative(&ph->energy, &what)) {
            snprintf(why, n, "%s: negative energy.%s", k_phase_name[p], what);
            return TLPU_ERR_RANGE;
        }
    }
    return TLPU_OK;
}

/* ---- text: UTF-8, widths ---------------------------------------------------------- */

/*
 * Fixed-size text fields (a char[max] of the report) are read up to their
 * NUL or max - 1 bytes, whichever comes first: an array without a NUL is
 * safe, and the longest string is the same in every rendering and the schema.
 */

/* Terminal-safe copy of a field of max bytes: control characters and invalid
 * UTF-8 become '?', so a name cannot move the cursor or change colours.
 * out holds max bytes. */
static void term_clean(char *out, const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strnlen(s, max - 1), i = 0, j = 0;
    while (i < n) {
        size_t at = i;
        long cp = tlpu_svg_utf8_next(u, n, &i);
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            out[j++] = '?';
        else {
            memcpy(out + j, s + at, i - at);
            j += i - at;
        }
    }
    out[j] = '\0';
}

/* Columns of a UTF-8 string: its code points. */
static size_t ucols(const char *s)
{
    size_t c = 0;
    for (; *s; s++)
        c += ((unsigned char)*s & 0xC0) != 0x80;
    return c;
}

/* Byte offset of code point number k of s (or its end). */
static size_t ubyte(const char *s, size_t k)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && k-- == 0)
            break;
    return i;
}

/* Cuts s (buffer of size bytes) to at most cols columns, ending in an ellipsis. */
static void utrunc(char *s, size_t size, size_t cols)
{
    if (ucols(s) <= cols || cols == 0)
        return;
    size_t at = ubyte(s, cols - 1);
    if (at + 4 <= size)
        memcpy(s + at, "\xE2\x80\xA6", 4); /* U+2026 and the NUL */
    else
        memcpy(s + at, "~", 2);
}

/* ---- numbers for people --------------------------------------------------------- */

/* 18,446,744,073,709,551,615 */
static tlpu_svg_nstr n_u64(uint64_t v)
{
    char d[32];
    tlpu_svg_nstr o;
    int len = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t j = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            o.s[j++] = ',';
        o.s[j++] = d[i];
    }
    o.s[j] = '\0';
    return o;
}

/* Fixed point with dec decimals and thousands grouping; scientific notation
 * outside [10^-dec / 2, 10^15); "n/a" for NaN and infinities. */
static tlpu_svg_nstr n_fix(double x, int dec)
{
    tlpu_svg_nstr o;
    if (!isfinite(x)) {
        snprintf(o.s, sizeof o.s, "n/a");
        return o;
    }
    double ax = fabs(x);
    if (ax >= 1e15 || (ax > 0 && ax < 0.5 * pow(10.0, -dec))) {
        snprintf(o.s, sizeof o.s, "%.3e", x);
        return o;
    }
    char d[40];
    snprintf(d, sizeof d, "%.*f", dec, ax);
    size_t ilen = strcspn(d, "."), j = 0;
    if (x < 0 && strspn(d, "0.") != strlen(d))
        o.s[j++] = '-';
    for (size_t i = 0; i < ilen; i++) {
        if (i > 0 && (ilen - i) % 3 == 0)
            o.s[j++] = ',';
        o.s[j++] = d[i];
    }
    snprintf(o.s + j, sizeof o.s - j, "%s", d + ilen);
    return o;
}

static tlpu_svg_nstr n_energy(double pj) { return tlpu_svg_si(pj * 1e-12, "J"); }

/* A ratio: "71.4" + mark ("x"); "n/a" when it is not a number. */
static tlpu_svg_nstr n_ratio(double num, double den, const char *mark)
{
    tlpu_svg_nstr o;
    double q = num / den;
    if (!isfinite(num) || !isfinite(den) || den <= 0 || !isfinite(q))
        snprintf(o.s, sizeof o.s, "n/a");
    else if (q >= 1e6)
        snprintf(o.s, sizeof o.s, "%.2e%s", q, mark);
    else
        snprintf(o.s, sizeof o.s, "%.*f%s", q >= 100 ? 0 : q >= 10 ? 1 : 2, q, mark);
    return o;
}

/* A share of a total in percent, one decimal. */
static tlpu_svg_nstr n_pct(double part, double whole)
{
    tlpu_svg_nstr o;
    if (!isfinite(part) || !finite_pos(whole))
        snprintf(o.s, sizeof o.s, "n/a");
    else
        snprintf(o.s, sizeof o.s, "%.1f", 100.0 * part / whole);
    return o;
}

/* "64\xC3\x9764\xC3\x972560": M×K×N */
static tlpu_svg_nstr n_shape(const tlpu_report_layer *l)
{
    tlpu_svg_nstr o;
    snprintf(o.s, sizeof o.s, "%u\xC3\x97%u\xC3\x97%u", l->m, l->k, l->n);
    return o;
}

/* ================================================================================
 * The terminal report
 * ================================================================================ */

/* Writes text wrapped at WIDTH columns, the cursor being at column col of
 * a line (after an indent or a label), continuation lines indented by hang
 * (< WIDTH). Runs of spaces become one; a word longer than a line is cut. */
static void wrap_at(FILE *f, size_t col, size_t hang, const char *text)
{
    size_t i = 0, n = strlen(text);
    int fresh = 1; /* no word on this line yet */
    while (i < n) {
        while (i < n && text[i] == ' ')
            i++;
        size_t e = i;
        while (e < n && text[e] != ' ')
            e++;
        if (e == i)
            break;
        char word[1024];
        snprintf(word, sizeof word, "%.*s", (int)(e - i), text + i);
        i = e;
        const char *p = word;
        for (;;) {
            size_t wc = ucols(p), gap = fresh ? 0 : 1;
            if (col + gap + wc <= WIDTH) {
                fprintf(f, "%s%s", gap ? " " : "", p);
                col += gap + wc;
                fresh = 0;
                break;
            }
            if (fresh && col < WIDTH) { /* longer than a line: cut */
                size_t cut = ubyte(p, WIDTH - col);
                fprintf(f, "%.*s", (int)cut, p);
                p += cut;
            }
            fprintf(f, "\n%*s", (int)hang, "");
            col = hang;
            fresh = 1;
        }
    }
    fputc('\n', f);
}

/* Text wrapped at WIDTH columns: the first line indented by first, the
 * following ones by hang. */
static void put_wrapped(FILE *f, size_t first, size_t hang, const char *text)
{
    fprintf(f, "%*s", (int)first, "");
    wrap_at(f, first, hang, text);
}

/* "key          value", wrapped under the value. */
static void kv(FILE *f, const char *key, const char *fmt, ...)
{
    char v[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    fprintf(f, "    %-18s ", key); /* keys are ours: ASCII, shorter than 18 */
    wrap_at(f, 23, 23, v);
}

/* "== title ===...": a section rule of WIDTH columns. */
static void rule(FILE *f, const char *title)
{
    size_t c = ucols(title) + 4;
    fprintf(f, "\n== %s ", title);
    for (; c < WIDTH; c++)
        fputc('=', f);
    fputc('\n', f);
}

/* A text table: cells are UTF-8 strings; columns widen to their content and
 * the table is cut to WIDTH columns (the shrink column first, then the
 * widest), cut cells ending in an ellipsis. */
#define TBL_MAXC 10
#define TBL_MAXR (TLPU_REPORT_MAX_LAYERS + 8)
#define TBL_CELL 72
typedef struct tbl {
    int ncol, nrow, shrink;
    size_t indent;
    const char *head[TBL_MAXC];
    char right[TBL_MAXC];
    char cell[TBL_MAXR][TBL_MAXC][TBL_CELL];
} tbl;

static tbl *tbl_new(size_t indent, int shrink, const char *spec)
{
    /* spec: one letter per column, 'l' left or 'r' right aligned */
    tbl *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->indent = indent;
    t->shrink = shrink;
    t->ncol = (int)strlen(spec);
    for (int c = 0; c < t->ncol; c++)
        t->right[c] = spec[c] == 'r';
    return t;
}

static void tbl_head(tbl *t, ...)
{
    va_list ap;
    va_start(ap, t);
    for (int c = 0; c < t->ncol; c++)
        t->head[c] = va_arg(ap, const char *);
    va_end(ap);
}

/* One row: ncol strings. */
static void tbl_row(tbl *t, ...)
{
    if (t->nrow >= TBL_MAXR)
        return;
    va_list ap;
    va_start(ap, t);
    for (int c = 0; c < t->ncol; c++)
        snprintf(t->cell[t->nrow][c], TBL_CELL, "%s", va_arg(ap, const char *));
    va_end(ap);
    t->nrow++;
}

static void tbl_cell_out(FILE *f, const char *s, size_t w, int right, int last)
{
    size_t c = ucols(s), pad = w > c ? w - c : 0;
    if (right)
        fprintf(f, "%*s%s", (int)pad, "", s);
    else if (last)
        fputs(s, f);
    else
        fprintf(f, "%s%*s", s, (int)pad, "");
}

static void tbl_print(FILE *f, tbl *t)
{
    size_t w[TBL_MAXC], total;
    for (int c = 0; c < t->ncol; c++) {
        w[c] = ucols(t->head[c]);
        for (int r = 0; r < t->nrow; r++)
            if (ucols(t->cell[r][c]) > w[c])
                w[c] = ucols(t->cell[r][c]);
    }
    total = t->indent;
    for (int c = 0; c < t->ncol; c++)
        total += w[c] + (c > 0 ? 2 : 0);
    while (total > WIDTH) {
        int c = t->shrink;
        if (c < 0 || w[c] <= 8) {
            c = 0;
            for (int k = 1; k < t->ncol; k++)
                if (w[k] > w[c])
                    c = k;
        }
        if (w[c] <= 3)
            break;
        w[c]--, total--;
    }
    for (int r = -1; r < t->nrow; r++) {
        fprintf(f, "%*s", (int)t->indent, "");
        for (int c = 0; c < t->ncol; c++) {
            char s[TBL_CELL];
            snprintf(s, sizeof s, "%s", r < 0 ? t->head[c] : t->cell[r][c]);
            utrunc(s, sizeof s, w[c]);
            if (c > 0)
                fputs("  ", f);
            tbl_cell_out(f, s, w[c], t->right[c], c == t->ncol - 1);
        }
        /* no trailing blanks */
        fputc('\n', f);
        if (r < 0) {
            fprintf(f, "%*s", (int)t->indent, "");
            for (size_t k = t->indent; k < total; k++)
                fputc('-', f);
            fputc('\n', f);
        }
    }
}

static void print_header(FILE *f, const tlpu_report *r)
{
    char model[sizeof r->model + 1], engine[sizeof r->engine + 1];
    char table[sizeof r->energy_table + 1], node[sizeof r->energy_node + 1];
    term_clean(model, r->model, sizeof r->model);
    term_clean(engine, r->engine, sizeof r->engine);
    term_clean(table, r->energy_table, sizeof r->energy_table);
    term_clean(node, r->energy_node, sizeof r->energy_node);
    const tlpu_hw *hw = &r->hw;
    double lanes = (double)hw->rows * hw->cols;

    char title[256];
    snprintf(title, sizeof title, "tlpu report: %s", model[0] ? model : "(unnamed model)");
    rule(f, title);
    kv(f, "engine", "%s", engine[0] ? engine : "(not given)");
    kv(f, "hardware",
       "%u x %u ternary lanes (%s MACs per cycle), %u-byte DRAM beats, DRAM latency %u cycles",
       hw->rows, hw->cols, n_fix(lanes, 0).s, hw->beat_bytes, r->mem_latency);
    kv(f, "buffers", "weights %s chunks per bank, activations %s words, outputs %s words; "
       "imem %s, burst %u beats, queues %u",
       n_u64(hw->wbuf_chunks).s, n_u64(hw->abuf_words).s, n_u64(hw->obuf_words).s,
       n_u64(hw->imem_depth).s, hw->burst_beats, hw->queue_depth);
    if (finite_pos(r->clock_hz))
        kv(f, "clock", "%s: peak %s ternary MAC/s, DRAM %s", tlpu_svg_si(r->clock_hz, "Hz").s,
           tlpu_svg_si(lanes * r->clock_hz, "").s,
           tlpu_svg_si((double)hw->beat_bytes * r->clock_hz, "B/s").s);
    else
        kv(f, "clock", "not given: times and rates are n/a");
    kv(f, "energy table", "%s (%s)", table[0] ? table : "(unnamed)",
       node[0] ? node : "node not given");
    kv(f, "workload", "prefill %s tokens, decode %s tokens after a context of %s tokens",
       n_u64(r->prefill.tokens).s, n_u64(r->decode.tokens).s, n_u64(r->context).s);
    if (r->mc.chips) {
        char link[24];
        term_clean(link, r->mc.c2c.name ? r->mc.c2c.name : "custom", 16);
        kv(f, "system", "%u chips, %s, %s links (%s, %s per transfer, %s pJ/bit); SRAM %s MiB "
                        "per chip (%s pJ/bit), no DRAM",
           r->mc.chips, tlpu_mc_topology_name(r->mc.topology), link,
           tlpu_svg_si(r->mc.c2c.bits_per_s, "b/s").s, tlpu_svg_si(r->mc.c2c.latency_s, "s").s,
           n_fix(r->mc.c2c.pj_per_bit, 2).s, n_fix((double)r->mc.sram_bytes / 1048576.0, 0).s,
           n_fix(r->mc.sram_pj_per_bit, 2).s);
    }
}

/* the board's time of simulated calls (sc:): how many layers of phase p
 * have it, and one layer's cells (us and uJ) for the text and HTML tables */
enum { BOARD_COLS = 9 };

static int board_layers(const tlpu_report *r, int p)
{
    int n = 0;
    for (uint32_t i = 0; i < r->nlayers; i++)
        n += layer_phase(&r->layer[i]) == p && r->layer[i].simulated && r->layer[i].has_board;
    return n;
}

static void board_cells(const tlpu_report_layer *l, char c[BOARD_COLS][32])
{
    const double v[BOARD_COLS] = {l->board_s, l->link_s, l->fw_s, l->dram_s, l->core_s,
                                  l->c2c_s,   l->link_j, l->dram_j, l->c2c_j};
    for (int j = 0; j < BOARD_COLS; j++)
        snprintf(c[j], 32, "%.1f", 1e6 * v[j]);
}

/* an LPU system's schedule of one instance of each layer */
static void print_mc_layers(FILE *f, const tlpu_report *r, int p)
{
    tbl *t = tbl_new(4, 0, "lrrrrrl");
    if (!t)
        return;
    tbl_head(t, "layer", "chips", "schedule \xC2\xB5s", "links KiB", "weights/chip KiB",
             "simulated \xC2\xB5s", "schedule");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p)
            continue;
        char name[sizeof l->name + 1];
        term_clean(name, l->name, sizeof l->name);
        const int sim = l->simulated && l->sim_mc_ps;
        tbl_row(t, name, n_u64(l->chips_used).s, n_fix((double)l->mc_ps * 1e-6, 3).s,
                n_fix((double)l->c2c_bytes / 1024.0, 1).s,
                n_fix((double)l->chip_weight_bytes / 1024.0, 1).s,
                sim ? n_fix((double)l->sim_mc_ps * 1e-6, 3).s : "-",
                !sim ? "-" : l->sim_mc_ps == l->mc_ps ? "equal" : "DIFFER");
    }
    put_wrapped(f, 2, 4, "the multi-chip schedule of one instance: the chips with a slice, its "
                         "time by the formula (and on the device, when simulated), the bytes "
                         "its links carry");
    tbl_print(f, t);
    free(t);
}

static void print_layers(FILE *f, const tlpu_report *r, int p)
{
    tbl *t = tbl_new(2, 0, "lrrrrrlr");
    if (!t) {
        fputs("  (out of memory: layer table not shown)\n", f);
        return;
    }
    tbl_head(t, "  layer", "M\xC3\x97K\xC3\x97N", "inst", "cycles/inst", "ms in phase", "util %",
             "bound", "\xC2\xB5J/inst");
    int nsim = 0;
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p)
            continue;
        char name[sizeof l->name + 3];
        name[0] = l->simulated ? '*' : ' ', name[1] = ' ';
        term_clean(name + 2, l->name, sizeof l->name);
        nsim += l->simulated != 0;
        tbl_row(t, name, n_shape(l).s, n_u64(l->count).s,
                n_u64(l->cycles).s, n_fix(layer_seconds(r, l) * 1e3, 3).s,
                n_fix(l->utilization * 100.0, 1).s, l->compute_bound ? "compute" : "memory",
                n_fix(l->energy.total * 1e-6, 3).s);
    }
    if (t->nrow == 0) {
        fputs("  no BitLinear layers in this phase\n", f);
        free(t);
        return;
    }
    tbl_print(f, t);
    free(t);
    if (r->mc.chips) {
        put_wrapped(f, 2, 2, "cycles/inst: summed over the chips. ms in phase = the static "
                             "schedule's time x instances (x D tokens when decoding).");
        print_mc_layers(f, r, p);
    } else
        put_wrapped(
            f, 2, 2,
            p == 0 ? "ms in phase = cycles/inst x instances / clock (one pass of M = P tokens)."
                   : "ms in phase = cycles/inst x instances x D tokens / clock (M = 1 per token).");
    if (nsim == 0)
        return;

    put_wrapped(f, 2, 4, "* simulated on a device: the timing model's cycles against the device's");
    t = tbl_new(4, 0, "llrrlll");
    if (!t)
        return;
    tbl_head(t, "layer", "device", "predicted cycles", "simulated cycles", "cycles", "outputs",
             "counters");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p || !l->simulated)
            continue;
        char name[sizeof l->name + 1], dev[sizeof l->device + 1], diff[96];
        term_clean(name, l->name, sizeof l->name);
        term_clean(dev, l->device, sizeof l->device);
        if (l->sim_cycles == l->cycles)
            snprintf(diff, sizeof diff, "equal");
        else if (l->sim_cycles > l->cycles)
            snprintf(diff, sizeof diff, "DIFFER +%s", n_u64(l->sim_cycles - l->cycles).s);
        else
            snprintf(diff, sizeof diff, "DIFFER -%s", n_u64(l->cycles - l->sim_cycles).s);
        tbl_row(t, name, dev[0] ? dev : "?", n_u64(l->cycles).s, n_u64(l->sim_cycles).s, diff,
                l->sim_exact ? "exact" : "WRONG", l->sim_counters_agree ? "agree" : "DIFFER");
    }
    tbl_print(f, t);
    free(t);
    if (!board_layers(r, p))
        return;
    put_wrapped(f, 2, 4, "the board's time for one such call (sc:): its weights, activations "
                         "and program over the link, the run, the results back; us");
    t = tbl_new(4, 0, "lrrrrrrrrr");
    if (!t)
        return;
    tbl_head(t, "layer", "board us", "link", "firmware", "memory", "core", "chip links",
             "link uJ", "memory uJ", "chip links uJ");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p || !l->simulated || !l->has_board)
            continue;
        char name[sizeof l->name + 1], c[BOARD_COLS][32];
        term_clean(name, l->name, sizeof l->name);
        board_cells(l, c);
        tbl_row(t, name, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
    }
    tbl_print(f, t);
    free(t);
}

static void print_phase(FILE *f, const tlpu_report *r, int p)
{
    const tlpu_report_phase *ph = phase_ptr(r, p);
    char title[256];
    if (p == 0)
        snprintf(title, sizeof title, "prefill: %s tokens in one pass (M = %s)",
                 n_u64(ph->tokens).s, n_u64(ph->tokens).s);
    else
        snprintf(title, sizeof title, "decode: %s tokens, one at a time (M = 1), context %s",
                 n_u64(ph->tokens).s, n_u64(r->context).s);
    rule(f, title);
    print_layers(f, r, p);

    fputs("  totals\n", f);
    kv(f, "cycles", "%s", n_u64(ph->cycles).s);
    kv(f, "time", "%s", tlpu_svg_si(ph->seconds, "s").s);
    kv(f, "throughput", "%s tokens/s", n_fix(ph->tokens_per_s, ph->tokens_per_s < 100 ? 2 : 0).s);
    kv(f, "energy", "%s", n_energy(ph->energy.total).s);
    kv(f, "energy per token", "%s mJ", n_fix(ph->joules_per_token * 1e3, 4).s);
    kv(f, "tokens per joule", "%s", n_fix(ph->tokens_per_joule, 2).s);
    kv(f, "ternary MACs", "%s", n_u64(ph->macs).s);
    kv(f, "energy per MAC", "%s pJ per ternary MAC", n_fix(ph->pj_per_mac, 4).s);
    if (ph->has_e2e) {
        const tlpu_report_board *b = &ph->e2e;
        const double div = p == 0 ? 1.0 : (double)ph->tokens;
        kv(f, p == 0 ? "time to first token" : "time per token",
           "%s ms on the board, weights resident: link %s, firmware %s, memory %s, core %s, "
           "chip links %s ms; link %s, memory %s, chip links %s mJ",
           n_fix(b->total_s / div * 1e3, 3).s, n_fix(b->link_s / div * 1e3, 3).s,
           n_fix(b->fw_s / div * 1e3, 3).s, n_fix(b->dram_s / div * 1e3, 3).s,
           n_fix(b->core_s / div * 1e3, 3).s, n_fix(b->c2c_s / div * 1e3, 3).s,
           n_fix(b->link_j / div * 1e3, 4).s, n_fix(b->dram_j / div * 1e3, 4).s,
           n_fix(b->c2c_j / div * 1e3, 4).s);
    }
}

static int present(const tlpu_report *r, int p) { return phase_ptr(r, p)->tokens > 0; }

static void print_energy(FILE *f, const tlpu_report *r)
{
    int np = present(r, 0) + present(r, 1);
    if (np == 0)
        return;
    rule(f, "energy by component (pJ, % of the phase's total)");
    tbl *t = tbl_new(2, -1, np == 2 ? "lrrrr" : "lrr");
    if (!t)
        return;
    const char *h[4];
    int k = 0;
    for (int p = 0; p < 2; p++) {
        if (present(r, p)) {
            h[k++] = p == 0 ? "prefill pJ" : "decode pJ";
            h[k++] = "%";
        }
    }
    if (np == 2)
        tbl_head(t, "component", h[0], h[1], h[2], h[3]);
    else
        tbl_head(t, "component", h[0], h[1]);
    for (size_t i = 0; i <= NCOMP; i++) {
        tlpu_svg_nstr c[4];
        k = 0;
        for (int p = 0; p < 2; p++) {
            if (!present(r, p))
                continue;
            const tlpu_energy_breakdown *e = &phase_ptr(r, p)->energy;
            double v = i < NCOMP ? comp_val(e, i) : e->total;
            c[k++] = n_fix(v, 0);
            c[k++] = n_pct(v, e->total);
        }
        const char *label = i < NCOMP ? k_comp[i].label : "total";
        if (np == 2)
            tbl_row(t, label, c[0].s, c[1].s, c[2].s, c[3].s);
        else
            tbl_row(t, label, c[0].s, c[1].s);
    }
    tbl_print(f, t);
    free(t);
}

static void print_baselines(FILE *f, const tlpu_report *r)
{
    char node[sizeof r->energy_node + 1];
    term_clean(node, r->energy_node, sizeof r->energy_node);
    rule(f, "baselines: the same matmuls on FP16 and INT8 MAC arrays");
    if (present(r, 0) || present(r, 1)) {
        tbl *t = tbl_new(2, -1, "llrrrr");
        if (!t)
            return;
        tbl_head(t, "phase", "array", "arithmetic pJ", "x tlpu", "whole-system pJ", "x tlpu");
        for (int p = 0; p < 2; p++) {
            if (!present(r, p))
                continue;
            const tlpu_report_phase *ph = phase_ptr(r, p);
            const char *nm = k_phase_name[p];
            tbl_row(t, nm, "tlpu", n_fix(ph->tlpu_arith_pj, 0).s,
                    n_ratio(ph->tlpu_arith_pj, ph->tlpu_arith_pj, "x").s,
                    n_fix(ph->energy.total, 0).s,
                    n_ratio(ph->energy.total, ph->energy.total, "x").s);
            tbl_row(t, nm, "INT8 MAC", n_fix(ph->int8_arith_pj, 0).s,
                    n_ratio(ph->int8_arith_pj, ph->tlpu_arith_pj, "x").s,
                    n_fix(ph->int8_system_pj, 0).s,
                    n_ratio(ph->int8_system_pj, ph->energy.total, "x").s);
            tbl_row(t, nm, "FP16 MAC", n_fix(ph->fp16_arith_pj, 0).s,
                    n_ratio(ph->fp16_arith_pj, ph->tlpu_arith_pj, "x").s,
                    n_fix(ph->fp16_system_pj, 0).s,
                    n_ratio(ph->fp16_system_pj, ph->energy.total, "x").s);
        }
        tbl_print(f, t);
        free(t);
        put_wrapped(f, 2, 2, "x tlpu: the baseline's energy over tlpu's for the same work "
                             "(arithmetic only, and with buffers, DRAM, link and leakage).");
    }
    char line[320];
    snprintf(line, sizeof line,
             "BitNet b1.58 arithmetic ratio (paper): %s at %s, (FP16 add + FP16 mult) / INT8 add",
             n_ratio(r->paper_ratio, 1.0, "x").s, node[0] ? node : "an unnamed node");
    put_wrapped(f, 2, 4, line);
}

static void print_footprint(FILE *f, const tlpu_report *r)
{
    const tlpu_report_footprint *fp = &r->footprint;
    char title[200];
    snprintf(title, sizeof title, "weight footprint: %s BitLinear weights", n_u64(fp->params).s);
    rule(f, title);
    tbl *t = tbl_new(2, -1, "lrrr");
    if (!t)
        return;
    tbl_head(t, "format", "bits/weight", "BitLinear weights", "+ other params (16-bit)");
    const struct {
        const char *name;
        uint64_t bytes;
    } row[] = {{"FP32", fp->fp32},   {"FP16", fp->fp16},   {"BF16", fp->bf16},
               {"INT8", fp->int8},   {"2-bit (PACK2)", fp->two_bit},
               {"1.6-bit (PACK3)", fp->base3}};
    double other = 2.0 * (double)fp->other_params;
    for (size_t i = 0; i < sizeof row / sizeof row[0]; i++) {
        double b = (double)row[i].bytes;
        tbl_row(t, row[i].name, fp->params ? n_fix(8.0 * b / (double)fp->params, 2).s : "n/a",
                tlpu_svg_si(b, "B").s, tlpu_svg_si(b + other, "B").s);
    }
    tbl_print(f, t);
    free(t);
    char line[200];
    snprintf(line, sizeof line, "other parameters (embeddings, norms): %s, stored in 16 bits "
             "(%s). 1 MB = 10^6 bytes.", n_u64(fp->other_params).s, tlpu_svg_si(other, "B").s);
    put_wrapped(f, 2, 2, line);
}

static void print_scaling(FILE *f, const tlpu_report *r)
{
    const tlpu_report_scaling *sc = &r->scaling;
    char title[256];
    snprintf(title, sizeof title, "scaling: decode on LPU systems, %s MiB of SRAM per chip",
             n_fix((double)sc->sram_bytes / 1048576.0, 0).s);
    rule(f, title);
    tbl *t = tbl_new(2, 0, "rlrrrrrrr");
    if (!t)
        return;
    tbl_head(t, "chips", "layout", "MiB/chip", "ms/token", "tokens/s", "pipelined tok/s",
             "mJ/token", "links %", "speedup");
    for (uint32_t i = 0; i < sc->nrows; i++) {
        const tlpu_report_scale_row *w = &sc->row[i];
        char lay[32];
        snprintf(lay, sizeof lay, "%u x %u%s", w->width, w->stages,
                 w->chips == sc->knee_chips ? " <" : "");
        tbl_row(t, n_u64(w->chips).s, lay, n_fix((double)w->bytes_per_chip / 1048576.0, 1).s,
                n_fix(w->ms_per_token, 3).s, n_fix(w->tokens_per_s, 1).s,
                n_fix(w->pipeline_tokens_per_s, 1).s, n_fix(w->j_per_token * 1e3, 3).s,
                n_fix(w->c2c_share * 100.0, 1).s, n_fix(w->speedup, 2).s);
    }
    tbl_print(f, t);
    free(t);
    char msg[512];
    snprintf(msg, sizeof msg,
             "layout W x S: every BitLinear split over W chips, the %s layers in S pipeline "
             "stages (the fastest layout for each count). The smallest system that holds the "
             "model's %s of BitLinear weights: %u chip%s. Past %u chips (<) more chips buy less "
             "than 10%% in ms/token. Pipelined tokens/s: S streams in flight.",
             "decoder", tlpu_svg_si((double)sc->weight_bytes, "B").s, sc->min_chips,
             sc->min_chips == 1 ? "" : "s", sc->knee_chips);
    put_wrapped(f, 2, 2, msg);
}

void tlpu_report_print(FILE *f, const tlpu_report *r)
{
    char why[200];
    if (!f)
        return;
    if (check_report(r, why, sizeof why) != TLPU_OK) {
        fprintf(f, "tlpu report: cannot print this report: %s\n", why);
        return;
    }
    print_header(f, r);
    for (int p = 0; p < 2; p++)
        if (present(r, p))
            print_phase(f, r, p);
    if (!present(r, 0) && !present(r, 1)) {
        rule(f, "phases");
        fputs("  no phase has tokens: nothing to time\n", f);
    }
    print_energy(f, r);
    print_baselines(f, r);
    print_footprint(f, r);
    if (r->scaling.nrows)
        print_scaling(f, r);
    if (r->nnotes > 0) {
        rule(f, "notes");
        for (uint32_t i = 0; i < r->nnotes; i++) {
            char note[sizeof r->notes[i] + 3];
            term_clean(note + 2, r->notes[i], sizeof r->notes[i]);
            note[0] = '-', note[1] = ' ';
            put_wrapped(f, 2, 4, note);
        }
    }
}

/* ================================================================================
 * JSON
 * ================================================================================ */

/* A pretty-printing JSON writer: two-space indentation, one value per line. */
typedef struct jw {
    FILE *f;
    int depth;
    int used[16]; /* a value was written at this depth: the next needs a comma */
} jw;

static void jw_pre(jw *w, const char *key)
{
    if (w->depth > 0) {
        fputs(w->used[w->depth] ? ",\n" : "\n", w->f);
        w->used[w->depth] = 1;
        fprintf(w->f, "%*s", 2 * w->depth, "");
    }
    if (key)
        fprintf(w->f, "\"%s\": ", key); /* keys are ours: plain ASCII */
}

static void jw_open(jw *w, const char *key, char c)
{
    jw_pre(w, key);
    fputc(c, w->f);
    w->depth++;
    w->used[w->depth] = 0;
}

static void jw_close(jw *w, char c)
{
    int had = w->used[w->depth];
    w->depth--;
    if (had)
        fprintf(w->f, "\n%*s", 2 * w->depth, "");
    fputc(c, w->f);
}

/* A string field of max bytes: quotes, backslashes and control characters
 * escaped, invalid UTF-8 replaced by U+FFFD. */
static void jw_str(jw *w, const char *key, const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strnlen(s, max - 1), i = 0;
    jw_pre(w, key);
    fputc('"', w->f);
    while (i < n) {
        size_t at = i;
        long cp = tlpu_svg_utf8_next(u, n, &i);
        if (cp < 0)
            fputs("\\ufffd", w->f);
        else if (cp == '"' || cp == '\\')
            fprintf(w->f, "\\%c", (int)cp);
        else if (cp == '\n')
            fputs("\\n", w->f);
        else if (cp == '\t')
            fputs("\\t", w->f);
        else if (cp < 0x20 || cp == 0x7F)
            fprintf(w->f, "\\u%04lx", cp);
        else
            fwrite(s + at, 1, i - at, w->f);
    }
    fputc('"', w->f);
}

static void jw_u64(jw *w, const char *key, uint64_t v)
{
    jw_pre(w, key);
    fprintf(w->f, "%llu", (unsigned long long)v);
}

/* A double as the shortest of %.15g / %.17g that reads back exactly; NaN and
 * infinities are null (JSON has no such numbers). */
static void jw_num(jw *w, const char *key, double x)
{
    jw_pre(w, key);
    if (!isfinite(x)) {
        fputs("null", w->f);
        return;
    }
    char b[40];
    snprintf(b, sizeof b, "%.15g", x);
    if (strtod(b, NULL) != x)
        snprintf(b, sizeof b, "%.17g", x);
    /* written as a real ("8e+08", "800000000.0"), never as an integer */
    fprintf(w->f, "%s%s", b, strpbrk(b, ".e") ? "" : ".0");
}

static void jw_null(jw *w, const char *key)
{
    jw_pre(w, key);
    fputs("null", w->f);
}

static void jw_bool(jw *w, const char *key, int v)
{
    jw_pre(w, key);
    fputs(v ? "true" : "false", w->f);
}

static void jw_energy(jw *w, const char *key, const tlpu_energy_breakdown *e)
{
    jw_open(w, key, '{');
    for (size_t i = 0; i < NCOMP; i++)
        jw_num(w, k_comp[i].key, comp_val(e, i));
    jw_num(w, "total", e->total);
    jw_close(w, '}');
}

static void jw_layer(jw *w, const tlpu_report_layer *l, int mc)
{
    jw_open(w, NULL, '{');
    jw_str(w, "name", l->name, sizeof l->name);
    jw_str(w, "phase", l->phase, sizeof l->phase);
    jw_u64(w, "m", l->m);
    jw_u64(w, "k", l->k);
    jw_u64(w, "n", l->n);
    jw_u64(w, "count", l->count);
    jw_str(w, "fmt", fmt_name(l->fmt), 8);
    jw_u64(w, "cycles", l->cycles);
    jw_open(w, "counters", '{');
    for (unsigned c = 0; c < TLPU_NUM_COUNTERS; c++)
        jw_u64(w, k_counter[c], l->counters[c]);
    jw_close(w, '}');
    jw_num(w, "utilization", l->utilization);
    jw_num(w, "compute_cycles", l->compute_cycles);
    jw_num(w, "memory_cycles", l->memory_cycles);
    jw_bool(w, "compute_bound", l->compute_bound);
    jw_energy(w, "energy_pj", &l->energy);
    jw_bool(w, "simulated", l->simulated);
    if (l->simulated) {
        jw_open(w, "simulation", '{');
        jw_str(w, "device", l->device, sizeof l->device);
        jw_u64(w, "sim_cycles", l->sim_cycles);
        jw_bool(w, "cycles_equal", l->sim_cycles == l->cycles);
        jw_bool(w, "sim_exact", l->sim_exact);
        jw_bool(w, "sim_counters_agree", l->sim_counters_agree);
        if (l->has_board) {
            jw_open(w, "board", '{');
            jw_num(w, "total_s", l->board_s);
            jw_num(w, "link_s", l->link_s);
            jw_num(w, "firmware_s", l->fw_s);
            jw_num(w, "dram_s", l->dram_s);
            jw_num(w, "core_s", l->core_s);
            jw_num(w, "link_j", l->link_j);
            jw_num(w, "dram_j", l->dram_j);
            jw_num(w, "c2c_s", l->c2c_s);
            jw_num(w, "c2c_j", l->c2c_j);
            jw_close(w, '}');
        }
        jw_close(w, '}');
    } else {
        jw_null(w, "simulation");
    }
    if (mc) {
        jw_open(w, "multichip", '{');
        jw_u64(w, "chips_used", l->chips_used);
        jw_u64(w, "schedule_ps", l->mc_ps);
        jw_u64(w, "c2c_bytes", l->c2c_bytes);
        jw_u64(w, "chip_weight_bytes", l->chip_weight_bytes);
        if (l->simulated && l->sim_mc_ps)
            jw_u64(w, "simulated_ps", l->sim_mc_ps);
        else {
            jw_null(w, "simulated_ps");
        }
        jw_close(w, '}');
    } else {
        jw_null(w, "multichip");
    }
    jw_close(w, '}');
}

static void jw_system(jw *w, const tlpu_report *r)
{
    if (!r->mc.chips) {
        jw_null(w, "system");
        jw_null(w, "scaling");
        return;
    }
    jw_open(w, "system", '{');
    jw_u64(w, "chips", r->mc.chips);
    jw_str(w, "topology", tlpu_mc_topology_name(r->mc.topology), 8);
    jw_str(w, "c2c", r->mc.c2c.name ? r->mc.c2c.name : "custom", 16);
    jw_num(w, "c2c_bits_per_s", r->mc.c2c.bits_per_s);
    jw_num(w, "c2c_latency_s", r->mc.c2c.latency_s);
    jw_num(w, "c2c_pj_per_bit", r->mc.c2c.pj_per_bit);
    jw_u64(w, "sram_bytes", r->mc.sram_bytes);
    jw_num(w, "sram_pj_per_bit", r->mc.sram_pj_per_bit);
    jw_close(w, '}');
    const tlpu_report_scaling *sc = &r->scaling;
    if (!sc->nrows) {
        jw_null(w, "scaling");
        return;
    }
    jw_open(w, "scaling", '{');
    jw_u64(w, "sram_bytes", sc->sram_bytes);
    jw_u64(w, "min_chips", sc->min_chips);
    jw_u64(w, "knee_chips", sc->knee_chips);
    jw_u64(w, "weight_bytes", sc->weight_bytes);
    jw_open(w, "rows", '[');
    for (uint32_t i = 0; i < sc->nrows; i++) {
        const tlpu_report_scale_row *x = &sc->row[i];
        jw_open(w, NULL, '{');
        jw_u64(w, "chips", x->chips);
        jw_u64(w, "width", x->width);
        jw_u64(w, "stages", x->stages);
        jw_u64(w, "bytes_per_chip", x->bytes_per_chip);
        jw_num(w, "ms_per_token", x->ms_per_token);
        jw_num(w, "tokens_per_s", x->tokens_per_s);
        jw_num(w, "pipeline_tokens_per_s", x->pipeline_tokens_per_s);
        jw_num(w, "j_per_token", x->j_per_token);
        jw_num(w, "c2c_share", x->c2c_share);
        jw_num(w, "speedup", x->speedup);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_close(w, '}');
}

static void jw_phase(jw *w, const char *key, const tlpu_report_phase *ph)
{
    jw_open(w, key, '{');
    jw_u64(w, "tokens", ph->tokens);
    jw_u64(w, "cycles", ph->cycles);
    jw_num(w, "seconds", ph->seconds);
    jw_num(w, "tokens_per_s", ph->tokens_per_s);
    jw_energy(w, "energy_pj", &ph->energy);
    jw_num(w, "joules_per_token", ph->joules_per_token);
    jw_num(w, "tokens_per_joule", ph->tokens_per_joule);
    jw_num(w, "pj_per_mac", ph->pj_per_mac);
    jw_u64(w, "macs", ph->macs);
    jw_open(w, "baselines_pj", '{');
    jw_num(w, "fp16_arith", ph->fp16_arith_pj);
    jw_num(w, "int8_arith", ph->int8_arith_pj);
    jw_num(w, "tlpu_arith", ph->tlpu_arith_pj);
    jw_num(w, "fp16_system", ph->fp16_system_pj);
    jw_num(w, "int8_system", ph->int8_system_pj);
    jw_close(w, '}');
    if (ph->has_e2e) {
        const tlpu_report_board *b = &ph->e2e;
        jw_open(w, "end_to_end", '{');
        jw_num(w, "total_s", b->total_s);
        jw_num(w, "per_token_s", ph->tokens ? b->total_s / ph->tokens : NAN);
        jw_num(w, "link_s", b->link_s);
        jw_num(w, "firmware_s", b->fw_s);
        jw_num(w, "dram_s", b->dram_s);
        jw_num(w, "core_s", b->core_s);
        jw_num(w, "c2c_s", b->c2c_s);
        jw_num(w, "link_j", b->link_j);
        jw_num(w, "dram_j", b->dram_j);
        jw_num(w, "c2c_j", b->c2c_j);
        jw_close(w, '}');
    } else
        jw_null(w, "end_to_end");
    jw_close(w, '}');
}

tlpu_status tlpu_report_json(FILE *f, const tlpu_report *r)
{
    char why[200];
    if (!f)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_report(r, why, sizeof why);
    if (st != TLPU_OK)
        return st;

    jw w = {.f = f};
    const tlpu_hw *hw = &r->hw;
    jw_open(&w, NULL, '{');
    jw_str(&w, "schema", "tlpu-report-1", 16);
    jw_str(&w, "model", r->model, sizeof r->model);
    jw_str(&w, "engine", r->engine, sizeof r->engine);
    jw_open(&w, "hw", '{');
    jw_u64(&w, "rows", hw->rows);
    jw_u64(&w, "cols", hw->cols);
    jw_u64(&w, "beat_bytes", hw->beat_bytes);
    jw_u64(&w, "wbuf_chunks", hw->wbuf_chunks);
    jw_u64(&w, "abuf_words", hw->abuf_words);
    jw_u64(&w, "obuf_words", hw->obuf_words);
    jw_u64(&w, "imem_depth", hw->imem_depth);
    jw_u64(&w, "burst_beats", hw->burst_beats);
    jw_u64(&w, "queue_depth", hw->queue_depth);
    jw_close(&w, '}');
    jw_num(&w, "clock_hz", r->clock_hz);
    jw_u64(&w, "mem_latency", r->mem_latency);
    jw_str(&w, "energy_table", r->energy_table, sizeof r->energy_table);
    jw_str(&w, "energy_node", r->energy_node, sizeof r->energy_node);
    jw_u64(&w, "context", r->context);
    jw_num(&w, "paper_ratio", r->paper_ratio);
    jw_open(&w, "layers", '[');
    for (uint32_t i = 0; i < r->nlayers; i++)
        jw_layer(&w, &r->layer[i], r->mc.chips != 0);
    jw_close(&w, ']');
    jw_open(&w, "phases", '{');
    jw_phase(&w, "prefill", &r->prefill);
    jw_phase(&w, "decode", &r->decode);
    jw_close(&w, '}');
    const tlpu_report_footprint *fp = &r->footprint;
    jw_open(&w, "footprint", '{');
    jw_u64(&w, "params", fp->params);
    jw_u64(&w, "other_params", fp->other_params);
    jw_open(&w, "bytes", '{');
    jw_u64(&w, "fp32", fp->fp32);
    jw_u64(&w, "fp16", fp->fp16);
    jw_u64(&w, "bf16", fp->bf16);
    jw_u64(&w, "int8", fp->int8);
    jw_u64(&w, "two_bit", fp->two_bit);
    jw_u64(&w, "base3", fp->base3);
    jw_close(&w, '}');
    jw_close(&w, '}');
    jw_system(&w, r);
    jw_open(&w, "notes", '[');
    for (uint32_t i = 0; i < r->nnotes; i++)
        jw_str(&w, NULL, r->notes[i], sizeof r->notes[i]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    fputc('\n', f);
    return ferror(f) ? TLPU_ERR_IO : TLPU_OK;
}

/* ================================================================================
 * HTML and SVG (the primitives are svg.h's)
 * ================================================================================ */

/* ---- the charts ----------------------------------------------------------------------- */

#define CW 960 /* chart width */

/* Each phase's energy split by component: 100% stacked bars, the energy per
 * token beside each. */
static void chart_energy(FILE *f, const tlpu_report *r)
{
    int ph[2], np = 0;
    double sum[2] = {0, 0};
    for (int p = 0; p < 2; p++) {
        const tlpu_report_phase *x = phase_ptr(r, p);
        if (!present(r, p))
            continue;
        for (size_t i = 0; i < NCOMP; i++)
            sum[p] += finite_pos(comp_val(&x->energy, i)) ? comp_val(&x->energy, i) : 0;
        if (finite_pos(sum[p]))
            ph[np++] = p;
    }
    const double left = 140, right = 40, top = 50, bar = 40, gap = 22;
    const double pw = CW - left - right;
    int legend_rows = (int)(NCOMP + 1) / 2;
    int h = (int)(top + np * (bar + gap) + 50 + legend_rows * 22 + 20);
    if (np == 0)
        h = 160;
    tlpu_svg_begin(f, CW, h, "Energy by component",
              "100% stacked bars: each phase's energy split into the energy model's components, "
              "with the phase's energy per token.");
    if (np == 0) {
        tlpu_svg_message(f, CW, h, "no phase has tokens and energy to show");
        tlpu_svg_end(f);
        return;
    }
    tlpu_svg_lin_axis a = {100, 20};
    double axis_y = top + np * (bar + gap);
    tlpu_svg_axis_x_lin(f, a, left, left + pw, axis_y, top - 6);
    tlpu_svg_axis_label(f, left + pw / 2, axis_y + 38, 0, "share of the phase's energy (%)");
    for (int k = 0; k < np; k++) {
        int p = ph[k];
        const tlpu_report_phase *x = phase_ptr(r, p);
        double y = top + k * (bar + gap) + gap / 2, cx = left;
        char t[160];
        tlpu_svg_text(f, left - 10, y + bar / 2 - 2, "end", "font-weight=\"bold\" fill=\"#1d2330\"",
                 k_phase_name[p]);
        snprintf(t, sizeof t, "%s/token", n_energy(x->energy.total / x->tokens).s);
        tlpu_svg_text(f, left - 10, y + bar / 2 + 12, "end", "fill=\"#5b6475\" font-size=\"11\"",
                      t);
        for (size_t i = 0; i < NCOMP; i++) {
            double v = comp_val(&x->energy, i);
            if (!finite_pos(v))
                continue;
            double w = v / sum[p] * pw;
            snprintf(t, sizeof t, "%s, %s: %s per token (%s%%)", k_phase_name[p],
                     k_comp[i].label, n_energy(v / x->tokens).s, n_pct(v, x->energy.total).s);
            tlpu_svg_rect(f, cx, y, w, bar, k_comp[i].color, t);
            if (w > 60) { /* room for its share inside */
                snprintf(t, sizeof t, "%s%%", n_pct(v, sum[p]).s);
                tlpu_svg_text(f, cx + w / 2, y + bar / 2 + 4, "middle",
                         "fill=\"#ffffff\" font-size=\"11\" font-weight=\"bold\"", t);
            }
            cx += w;
        }
    }
    double ly = axis_y + 66;
    for (size_t i = 0; i < NCOMP; i++) {
        char t[160];
        int n = snprintf(t, sizeof t, "%s", k_comp[i].label);
        for (int k = 0; k < np && n > 0 && (size_t)n < sizeof t; k++) {
            const tlpu_report_phase *x = phase_ptr(r, ph[k]);
            n += snprintf(t + n, sizeof t - (size_t)n, "%s%s %s%%", k ? ", " : " (",
                          k_phase_name[ph[k]], n_pct(comp_val(&x->energy, i), x->energy.total).s);
        }
        if (n > 0 && (size_t)n < sizeof t - 1)
            snprintf(t + n, sizeof t - (size_t)n, ")");
        tlpu_svg_legend(f, left + (double)(i % 2) * (pw / 2), ly + (double)(i / 2) * 22,
                   k_comp[i].color, t);
    }
    tlpu_svg_end(f);
}

/* Time per layer kind in each phase: one panel of horizontal bars per phase. */
static void chart_latency(FILE *f, const tlpu_report *r)
{
    const double left = 190, right = 170, row = 24, head = 30, foot = 56;
    const double pw = CW - left - right;
    int cnt[2] = {0, 0}, h = 50;
    for (uint32_t i = 0; i < r->nlayers; i++)
        cnt[layer_phase(&r->layer[i])]++;
    for (int p = 0; p < 2; p++)
        if (present(r, p))
            h += (int)(head + (cnt[p] ? cnt[p] : 1) * row + foot);
    int any = present(r, 0) || present(r, 1);
    if (!any)
        h = 160;
    tlpu_svg_begin(f, CW, h, "Latency by layer",
              "Horizontal bars: milliseconds each BitLinear kind takes in its phase "
              "(all instances; decode: all tokens).");
    if (!any) {
        tlpu_svg_message(f, CW, h, "no phase has tokens");
        tlpu_svg_end(f);
        return;
    }
    double y = 50;
    for (int p = 0; p < 2; p++) {
        if (!present(r, p))
            continue;
        const tlpu_report_phase *ph = phase_ptr(r, p);
        char t[200];
        snprintf(t, sizeof t, "%s, %s tokens: %s in total", k_phase_name[p],
                 n_u64(ph->tokens).s, tlpu_svg_si(ph->seconds, "s").s);
        tlpu_svg_text(f, 12, y + 14, "start", "font-weight=\"bold\" fill=\"#1d2330\"", t);
        y += head;
        if (cnt[p] == 0 || !finite_pos(r->clock_hz)) {
            tlpu_svg_note(f, left, y + 16, "start",
                     cnt[p] == 0 ? "no layers in this phase" : "no clock: times are unknown");
            y += (cnt[p] ? cnt[p] : 1) * row + foot;
            continue;
        }
        double maxms = 0, sum = 0;
        for (uint32_t i = 0; i < r->nlayers; i++) {
            if (layer_phase(&r->layer[i]) != p)
                continue;
            double ms = layer_seconds(r, &r->layer[i]) * 1e3;
            if (isfinite(ms)) {
                maxms = ms > maxms ? ms : maxms;
                sum += ms;
            }
        }
        tlpu_svg_lin_axis a = tlpu_svg_lin_nice(maxms);
        double y0 = y, k = 0, axis_y = y0 + cnt[p] * row + 4;
        tlpu_svg_axis_x_lin(f, a, left, left + pw, axis_y, y0); /* the grid under the bars */
        double total_ms = finite_pos(ph->seconds) ? ph->seconds * 1e3 : sum;
        for (uint32_t i = 0; i < r->nlayers; i++) {
            const tlpu_report_layer *l = &r->layer[i];
            if (layer_phase(l) != p)
                continue;
            double ms = layer_seconds(r, l) * 1e3, by = y0 + k * row;
            char name[sizeof l->name + 8], tip[200];
            snprintf(name, sizeof name, "%s%.*s", l->simulated ? "* " : "",
                     (int)strnlen(l->name, sizeof l->name - 1), l->name);
            utrunc(name, sizeof name, 24);
            tlpu_svg_text(f, left - 8, by + row / 2 + 4, "end", "fill=\"#1d2330\"", name);
            snprintf(tip, sizeof tip, "%.*s: %s x %s instances, %s ms",
                     (int)strnlen(l->name, sizeof l->name - 1), l->name, n_shape(l).s,
                     n_u64(l->count).s, n_fix(ms, 3).s);
            double w = isfinite(ms) && ms > 0 ? ms / a.hi * pw : 0;
            tlpu_svg_rect(f, left, by + 4, w, row - 8, k_phase_color[p], tip);
            snprintf(t, sizeof t, "%s ms (%s%%)", n_fix(ms, 3).s, n_pct(ms, total_ms).s);
            if (left + w + 6 + 6.2 * (double)ucols(t) <= CW - 4 || w < 6.2 * (double)ucols(t) + 12)
                tlpu_svg_text(f, left + w + 6, by + row / 2 + 4, "start",
                         "fill=\"#1d2330\" font-size=\"11\"", t);
            else /* no room after the bar: inside its end */
                tlpu_svg_text(f, left + w - 6, by + row / 2 + 4, "end",
                         "fill=\"#ffffff\" font-size=\"11\"", t);
            k++;
        }
        snprintf(t, sizeof t, "time in the %s phase (ms)", k_phase_name[p]);
        tlpu_svg_axis_label(f, left + pw / 2, axis_y + 38, 0, t);
        y = axis_y + foot - 4;
    }
    tlpu_svg_end(f);
}

/* A roofline point: where a layer sits and where its label goes. */
typedef struct rpoint {
    double x, y, ly;
    uint32_t layer;
} rpoint;

static int rpoint_by_y(const void *a, const void *b)
{
    const rpoint *p = a, *q = b;
    return p->y < q->y ? -1 : p->y > q->y ? 1 : (p->layer > q->layer) - (p->layer < q->layer);
}

/* The roofline's coordinates of a layer: ternary MACs per DRAM byte and
 * achieved ternary MAC/s; 0 when either is not a positive number. */
static int roof_coords(const tlpu_report *r, const tlpu_report_layer *l, double *oi, double *perf)
{
    *oi = layer_macs(l) / layer_dram_bytes(r, l);
    *perf = layer_macs(l) * r->clock_hz / (double)l->cycles;
    return finite_pos(*oi) && finite_pos(*perf);
}

/* The roofline: attainable ternary MAC/s against MACs per DRAM byte, log-log. */
static void chart_roofline(FILE *f, const tlpu_report *r)
{
    const int h = 560;
    const double left = 100, right = 230, top = 50, bottom = 70;
    const double x0 = left, x1 = CW - right, y0 = h - bottom, y1 = top;
    double peak = (double)r->hw.rows * r->hw.cols * r->clock_hz;
    double bw = (double)r->hw.beat_bytes * r->clock_hz;
    tlpu_svg_begin(f, CW, h, "Roofline",
              "Log-log roofline: the compute roof (ROWS x COLS MACs per cycle) and the memory "
              "roof (BEAT_BYTES per cycle) at the clock, with every layer at its achieved "
              "ternary MAC/s.");
    if (!finite_pos(peak) || !finite_pos(bw)) {
        tlpu_svg_message(f, CW, h, "no clock or array size: the roofline is undefined");
        tlpu_svg_end(f);
        return;
    }
    double ridge = peak / bw;
    double xmin = ridge, xmax = ridge, ymin = peak / 100, ymax = peak;
    rpoint pt[TLPU_REPORT_MAX_LAYERS];
    int np = 0, hidden = 0;
    for (uint32_t i = 0; i < r->nlayers; i++) {
        double oi, perf;
        if (!roof_coords(r, &r->layer[i], &oi, &perf)) {
            hidden++;
            continue;
        }
        xmin = oi < xmin ? oi : xmin;
        xmax = oi > xmax ? oi : xmax;
        ymin = perf < ymin ? perf : ymin;
        ymax = perf > ymax ? perf : ymax;
        pt[np++] = (rpoint){oi, perf, 0, i};
    }
    tlpu_svg_log_axis ax = tlpu_svg_log_span(xmin / 2, xmax * 2),
                      ay = tlpu_svg_log_span(ymin / 2, ymax * 1.2);
    tlpu_svg_axis_log(f, ax, 0, y0, x0, x1, y1, tlpu_svg_tick_plain);
    tlpu_svg_axis_log(f, ay, 1, x0, y0, y1, x1, tlpu_svg_tick_si);
    tlpu_svg_axis_label(f, (x0 + x1) / 2, y0 + 48, 0,
                   "operational intensity (ternary MACs per DRAM byte)");
    tlpu_svg_axis_label(f, 26, (y0 + y1) / 2, 1, "attainable performance (ternary MAC/s)");

    /* the roofs, clipped to the plot */
    double xl = pow(10.0, ax.lo), yl = pow(10.0, ay.lo);
    double ms = xl * bw < yl ? yl / bw : xl; /* where the memory roof enters */
    double rx = tlpu_svg_log_pos(ax, ridge, x0, x1), ry = tlpu_svg_log_pos(ay, peak, y0, y1);
    if (ms < ridge)
        tlpu_svg_line(f, tlpu_svg_log_pos(ax, ms, x0, x1), tlpu_svg_log_pos(ay, ms * bw, y0, y1),
                      rx, ry, "#d62728", 2.5, NULL);
    tlpu_svg_line(f, rx, ry, x1, ry, "#2ca02c", 2.5, NULL);
    tlpu_svg_line(f, rx, ry, rx, y0, "#9aa1ad", 1, "4 4");
    char t[200];
    snprintf(t, sizeof t, "ridge %s MAC/B", n_fix(ridge, ridge < 10 ? 2 : 1).s);
    tlpu_svg_text(f, rx + 4, y0 - 8, "start", "fill=\"#5b6475\" font-size=\"11\"", t);

    /* the points in screen coordinates; points of one phase at the same spot
     * share a label; labels stack 12 px apart where they would overlap */
    for (int k = 0; k < np; k++) {
        pt[k].x = tlpu_svg_log_pos(ax, pt[k].x, x0, x1);
        pt[k].y = tlpu_svg_log_pos(ay, pt[k].y, y0, y1);
    }
    qsort(pt, (size_t)np, sizeof pt[0], rpoint_by_y);
    int lead[TLPU_REPORT_MAX_LAYERS]; /* the point whose label carries point k's name */
    for (int k = 0; k < np; k++) {
        lead[k] = k;
        for (int j = 0; j < k; j++) {
            if (lead[j] == j && fabs(pt[j].x - pt[k].x) < 3 && fabs(pt[j].y - pt[k].y) < 3 &&
                layer_phase(&r->layer[pt[j].layer]) == layer_phase(&r->layer[pt[k].layer])) {
                lead[k] = j;
                break;
            }
        }
    }
    for (int k = 0; k < np; k++) {
        if (lead[k] != k)
            continue;
        pt[k].ly = pt[k].y + 4;
        for (int j = 0; j < k; j++)
            if (lead[j] == j && fabs(pt[j].x - pt[k].x) < 110 && pt[k].ly < pt[j].ly + 12)
                pt[k].ly = pt[j].ly + 12;
    }
    for (int k = 0; k < np; k++) {
        const tlpu_report_layer *l = &r->layer[pt[k].layer];
        int p = layer_phase(l);
        double oi, perf;
        roof_coords(r, l, &oi, &perf);
        char tip[240];
        snprintf(tip, sizeof tip, "%.*s (%s): %s MAC/B, %s MAC/s, %s%% of the roof",
                 (int)strnlen(l->name, sizeof l->name - 1), l->name, k_phase_name[p],
                 n_fix(oi, 2).s, tlpu_svg_si(perf, "").s,
                 n_pct(perf, oi * bw < peak ? oi * bw : peak).s);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"#ffffff\" "
                   "stroke-width=\"1.5\" fill-opacity=\"0.85\"><title>",
                pt[k].x, pt[k].y, l->simulated ? 7 : 5, k_phase_color[p]);
        tlpu_svg_str(f, tip);
        fputs("</title></circle>\n", f);
    }
    for (int k = 0; k < np; k++) {
        if (lead[k] != k)
            continue;
        char label[200];
        size_t n = 0;
        for (int j = k; j < np; j++) {
            const tlpu_report_layer *l = &r->layer[pt[j].layer];
            if (lead[j] == k && n < sizeof label - 40)
                n += (size_t)snprintf(label + n, sizeof label - n, "%s%.*s", n ? ", " : "",
                                      (int)strnlen(l->name, sizeof l->name - 1), l->name);
        }
        snprintf(label + n, sizeof label - n, "%s",
                 layer_phase(&r->layer[pt[k].layer]) == 0 ? " (P)" : " (D)");
        /* right of the point and of the dots just right of it, as much as fits
         * before the legend (about 6 px per character); else on the left */
        double tx = pt[k].x + 12;
        for (int j = 0; j < np; j++)
            if (pt[j].x > pt[k].x && pt[j].x - pt[k].x < 60 && fabs(pt[j].y - pt[k].ly) < 14 &&
                pt[j].x + 10 > tx)
                tx = pt[j].x + 10;
        double room = (x1 + 20 - tx) / 5.8;
        int right_side = room >= 10;
        if (!right_side) {
            tx = pt[k].x - 12;
            room = (tx - x0) / 6.0;
        }
        utrunc(label, sizeof label, room > 4 ? (size_t)room : 4);
        if (pt[k].ly - pt[k].y > 8)
            tlpu_svg_line(f, pt[k].x + (right_side ? 3 : -3), pt[k].y + 3, tx, pt[k].ly - 3,
                          "#9aa1ad", 0.8, NULL);
        tlpu_svg_text(f, tx, pt[k].ly, right_side ? "start" : "end",
                 "fill=\"#1d2330\" font-size=\"10\" stroke=\"#ffffff\" stroke-width=\"3\" "
                 "paint-order=\"stroke\"", label);
    }

    /* the legend, right of the plot */
    double lx = x1 + 24, ly = top + 10;
    for (int p = 0; p < 2; p++) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", lx + 6, ly - 4,
                k_phase_color[p]);
        tlpu_svg_text(f, lx + 18, ly, "start", "fill=\"#1d2330\"",
                 p == 0 ? "prefill layer (P)" : "decode layer (D)");
        ly += 20;
    }
    tlpu_svg_text(f, lx + 18, ly, "start", "fill=\"#5b6475\" font-size=\"11\"",
             "larger dot: simulated");
    ly += 28;
    tlpu_svg_line(f, lx, ly - 4, lx + 12, ly - 4, "#2ca02c", 2.5, NULL);
    tlpu_svg_text(f, lx + 18, ly, "start", "fill=\"#1d2330\"", "compute roof");
    snprintf(t, sizeof t, "%u \xC3\x97 %u lanes \xC3\x97 clock", r->hw.rows, r->hw.cols);
    tlpu_svg_text(f, lx + 18, ly + 15, "start", "fill=\"#5b6475\" font-size=\"10\"", t);
    snprintf(t, sizeof t, "= %s MAC/s", tlpu_svg_si(peak, "").s);
    tlpu_svg_text(f, lx + 18, ly + 28, "start", "fill=\"#5b6475\" font-size=\"10\"", t);
    ly += 52;
    tlpu_svg_line(f, lx, ly - 4, lx + 12, ly - 4, "#d62728", 2.5, NULL);
    tlpu_svg_text(f, lx + 18, ly, "start", "fill=\"#1d2330\"", "memory roof");
    snprintf(t, sizeof t, "%u B \xC3\x97 clock = %s", r->hw.beat_bytes, tlpu_svg_si(bw, "B/s").s);
    tlpu_svg_text(f, lx + 18, ly + 15, "start", "fill=\"#5b6475\" font-size=\"10\"", t);
    ly += 40;
    if (np == 0)
        tlpu_svg_note(f, (x0 + x1) / 2, (y0 + y1) / 2, "middle",
                 r->nlayers ? "no layer has a finite position" : "no layers");
    if (hidden) {
        snprintf(t, sizeof t, "%d layer(s) not shown (no time or no traffic)", hidden);
        tlpu_svg_text(f, lx, ly, "start", "fill=\"#5b6475\" font-size=\"10\"", t);
    }
    tlpu_svg_end(f);
}

/* tlpu against the FP16 / INT8 MAC arrays: energy per token, log scale. */
static void chart_baselines(FILE *f, const tlpu_report *r)
{
    static const char *const arr[3] = {"tlpu", "INT8 MAC array", "FP16 MAC array"};
    static const char *const col[3] = {"#2ca02c", "#ff7f0e", "#d62728"};
    const double left = 260, right = 150, row = 22, head = 26, top = 50, foot = 70;
    const double pw = CW - left - right;
    int np = present(r, 0) + present(r, 1);
    double vmin = INFINITY, vmax = 0;
    for (int p = 0; p < 2; p++) {
        const tlpu_report_phase *x = phase_ptr(r, p);
        if (!present(r, p))
            continue;
        const double v[6] = {x->tlpu_arith_pj, x->int8_arith_pj, x->fp16_arith_pj,
                             x->energy.total,  x->int8_system_pj, x->fp16_system_pj};
        for (int i = 0; i < 6; i++) {
            double j = v[i] * 1e-12 / x->tokens;
            if (finite_pos(j)) {
                vmin = j < vmin ? j : vmin;
                vmax = j > vmax ? j : vmax;
            }
        }
    }
    int h = (int)(top + np * 2 * (head + 3 * row) + foot);
    if (np == 0 || vmax == 0)
        h = 160;
    tlpu_svg_begin(f, CW, h, "tlpu against FP16 and INT8 MAC arrays",
              "Energy per token of the same matmuls: arithmetic only and the whole system, "
              "log scale; the factor is the baseline's energy over tlpu's.");
    if (np == 0 || vmax == 0) {
        tlpu_svg_message(f, CW, h, "no phase has tokens and energies to compare");
        tlpu_svg_end(f);
        return;
    }
    tlpu_svg_log_axis a = tlpu_svg_log_span(vmin / 1.5, vmax * 1.5);
    double y = top, axis_y = h - foot + 8;
    tlpu_svg_axis_log(f, a, 0, axis_y, left, left + pw, top, tlpu_svg_tick_joule);
    tlpu_svg_axis_label(f, left + pw / 2, axis_y + 44, 0, "energy per token (J, log scale)");
    for (int p = 0; p < 2; p++) {
        const tlpu_report_phase *x = phase_ptr(r, p);
        if (!present(r, p))
            continue;
        for (int g = 0; g < 2; g++) {
            const double v[3] = {g ? x->energy.total : x->tlpu_arith_pj,
                                 g ? x->int8_system_pj : x->int8_arith_pj,
                                 g ? x->fp16_system_pj : x->fp16_arith_pj};
            char t[200];
            snprintf(t, sizeof t, "%s, %s", k_phase_name[p],
                     g ? "whole system" : "arithmetic only");
            tlpu_svg_text(f, 12, y + 17, "start", "font-weight=\"bold\" fill=\"#1d2330\"", t);
            y += head;
            for (int i = 0; i < 3; i++) {
                double j = v[i] * 1e-12 / x->tokens;
                tlpu_svg_text(f, left - 8, y + row / 2 + 4, "end", "fill=\"#1d2330\"", arr[i]);
                if (finite_pos(j)) {
                    double w = tlpu_svg_log_pos(a, j, left, left + pw) - left;
                    snprintf(t, sizeof t, "%s per token (%s tlpu)", tlpu_svg_si(j, "J").s,
                             n_ratio(v[i], v[0], "\xC3\x97").s);
                    tlpu_svg_rect(f, left, y + 3, w, row - 6, col[i], t);
                    tlpu_svg_text(f, left + w + 6, y + row / 2 + 4, "start",
                             "fill=\"#1d2330\" font-size=\"11\"", t);
                } else {
                    tlpu_svg_text(f, left + 6, y + row / 2 + 4, "start", "fill=\"#5b6475\"", "n/a");
                }
                y += row;
            }
        }
    }
    tlpu_svg_end(f);
}

/* ---- the page's tables ---------------------------------------------------------------- */

static void card(FILE *f, const char *label, const char *value)
{
    fputs("<div class=\"card\">", f);
    tlpu_svg_el(f, "span", NULL, label);
    tlpu_svg_el(f, "b", NULL, value);
    fputs("</div>\n", f);
}

static void kv_row(FILE *f, const char *key, const char *value)
{
    fputs("<tr>", f);
    tlpu_svg_el(f, "th", NULL, key);
    tlpu_svg_td(f, value);
    fputs("</tr>\n", f);
}

static void html_header(FILE *f, const tlpu_report *r)
{
    const tlpu_hw *hw = &r->hw;
    double lanes = (double)hw->rows * hw->cols;
    char v[400];
    fputs("<table class=\"kv\">\n<tbody>\n", f);
    fputs("<tr><th>model</th><tlpu_svg_td>", f);
    tlpu_svg_esc(f, r->model, sizeof r->model);
    fputs("</tlpu_svg_td></tr>\n<tr><th>engine</th><tlpu_svg_td>", f);
    tlpu_svg_esc(f, r->engine, sizeof r->engine);
    fputs("</tlpu_svg_td></tr>\n", f);
    snprintf(v, sizeof v, "%u \xC3\x97 %u ternary lanes (%s MACs per cycle), %u-byte DRAM beats, "
             "DRAM latency %u cycles", hw->rows, hw->cols, n_fix(lanes, 0).s, hw->beat_bytes,
             r->mem_latency);
    kv_row(f, "hardware", v);
    snprintf(v, sizeof v, "weights %s chunks per bank, activations %s words, outputs %s words; "
             "instruction memory %s, bursts of %u beats, queues of %u",
             n_u64(hw->wbuf_chunks).s, n_u64(hw->abuf_words).s, n_u64(hw->obuf_words).s,
             n_u64(hw->imem_depth).s, hw->burst_beats, hw->queue_depth);
    kv_row(f, "buffers", v);
    if (finite_pos(r->clock_hz))
        snprintf(v, sizeof v, "%s: peak %s ternary MAC/s, DRAM %s",
                 tlpu_svg_si(r->clock_hz, "Hz").s, tlpu_svg_si(lanes * r->clock_hz, "").s,
                 tlpu_svg_si((double)hw->beat_bytes * r->clock_hz, "B/s").s);
    else
        snprintf(v, sizeof v, "not given: times and rates are n/a");
    kv_row(f, "clock", v);
    fputs("<tr><th>energy table</th><tlpu_svg_td>", f);
    tlpu_svg_esc(f, r->energy_table, sizeof r->energy_table);
    fputs(" (", f);
    tlpu_svg_esc(f, r->energy_node, sizeof r->energy_node);
    fputs(")</tlpu_svg_td></tr>\n", f);
    snprintf(v, sizeof v, "prefill %s tokens, decode %s tokens after a context of %s tokens",
             n_u64(r->prefill.tokens).s, n_u64(r->decode.tokens).s, n_u64(r->context).s);
    kv_row(f, "workload", v);
    if (r->mc.chips) {
        snprintf(
            v, sizeof v,
            "%u chips, %s, %s links (%s, %s per transfer, %s pJ/bit); SRAM %s "
            "MiB per chip (%s pJ/bit), no DRAM",
            r->mc.chips, tlpu_mc_topology_name(r->mc.topology),
            r->mc.c2c.name ? r->mc.c2c.name : "custom", tlpu_svg_si(r->mc.c2c.bits_per_s, "b/s").s,
            tlpu_svg_si(r->mc.c2c.latency_s, "s").s, n_fix(r->mc.c2c.pj_per_bit, 2).s,
            n_fix((double)r->mc.sram_bytes / 1048576.0, 0).s, n_fix(r->mc.sram_pj_per_bit, 2).s);
        kv_row(f, "system", v);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void html_mc_layers(FILE *f, const tlpu_report *r, int p);

static void html_phase(FILE *f, const tlpu_report *r, int p)
{
    const tlpu_report_phase *ph = phase_ptr(r, p);
    char t[200];
    if (p == 0)
        snprintf(t, sizeof t, "Prefill: %s tokens in one pass (M = %s)", n_u64(ph->tokens).s,
                 n_u64(ph->tokens).s);
    else
        snprintf(t, sizeof t, "Decode: %s tokens, one at a time (M = 1), context %s",
                 n_u64(ph->tokens).s, n_u64(r->context).s);
    tlpu_svg_el(f, "h2", NULL, t);
    fputs("<div class=\"cards\">\n", f);
    card(f, "time", tlpu_svg_si(ph->seconds, "s").s);
    snprintf(t, sizeof t, "%s tokens/s", n_fix(ph->tokens_per_s, ph->tokens_per_s < 100 ? 2 : 0).s);
    card(f, "throughput", t);
    snprintf(t, sizeof t, "%s mJ", n_fix(ph->joules_per_token * 1e3, 4).s);
    card(f, "energy per token", t);
    card(f, "tokens per joule", n_fix(ph->tokens_per_joule, 2).s);
    snprintf(t, sizeof t, "%s pJ", n_fix(ph->pj_per_mac, 4).s);
    card(f, "energy per ternary MAC", t);
    card(f, "cycles", n_u64(ph->cycles).s);
    card(f, "ternary MACs", n_u64(ph->macs).s);
    card(f, "energy", n_energy(ph->energy.total).s);
    if (ph->has_e2e) {
        const double div = p == 0 ? 1.0 : (double)ph->tokens;
        snprintf(t, sizeof t, "%s ms", n_fix(ph->e2e.total_s / div * 1e3, 3).s);
        card(f, p == 0 ? "time to first token (board)" : "time per token (board)", t);
    }
    fputs("</div>\n", f);
    if (ph->has_e2e) {
        const tlpu_report_board *b = &ph->e2e;
        const double div = p == 0 ? 1.0 : (double)ph->tokens;
        tlpu_svg_el(f, "p", NULL,
                    p == 0 ? "End to end on the board, weights resident: the time to the "
                             "first token, split as the board spends it (ms, mJ)."
                           : "End to end on the board, weights resident: the time per "
                             "generated token, split as the board spends it (ms, mJ).");
        fputs("<table>\n", f);
        tlpu_svg_thead(f, "rrrrrrrrr", "total ms", "link", "firmware", "memory", "core",
                       "chip links", "link mJ", "memory mJ", "chip links mJ");
        const double v[9] = {b->total_s, b->link_s, b->fw_s,   b->dram_s, b->core_s,
                             b->c2c_s,   b->link_j, b->dram_j, b->c2c_j};
        fputs("<tr>", f);
        for (int i = 0; i < 9; i++)
            tlpu_svg_tdn(f, n_fix(v[i] / div * 1e3, i < 6 ? 3 : 4).s);
        fputs("</tr>\n</tbody>\n</table>\n", f);
    }

    int n = 0, nsim = 0;
    for (uint32_t i = 0; i < r->nlayers; i++)
        if (layer_phase(&r->layer[i]) == p)
            n++, nsim += r->layer[i].simulated != 0;
    tlpu_svg_el(f, "h3", NULL, "Layers");
    if (n == 0) {
        tlpu_svg_el(f, "p", "class=\"muted\"", "No BitLinear layers in this phase.");
        return;
    }
    double total_ms = finite_pos(ph->seconds) ? ph->seconds * 1e3 : NAN;
    double peak = (double)r->hw.rows * r->hw.cols * r->clock_hz;
    double bw = (double)r->hw.beat_bytes * r->clock_hz;
    fputs("<div class=\"scroll\"><table>\n", f);
    tlpu_svg_thead(f, "llrlrrrrrrlrrr", "", "layer", "M\xC3\x97K\xC3\x97N", "format", "instances",
          "cycles/instance", "ms in phase", "% of phase", "utilization %", "MAC/DRAM byte",
          "bound", "achieved MAC/s", "% of roof", "\xC2\xB5J/instance");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p)
            continue;
        double ms = layer_seconds(r, l) * 1e3;
        double oi = layer_macs(l) / layer_dram_bytes(r, l);
        double perf = layer_macs(l) * r->clock_hz / (double)l->cycles;
        double roof = isfinite(oi) && oi * bw < peak ? oi * bw : peak;
        fputs(l->simulated ? "<tr class=\"sim\">" : "<tr>", f);
        tlpu_svg_td(f, l->simulated ? "\xE2\x97\x8F" : "");
        fputs("<tlpu_svg_td>", f);
        tlpu_svg_esc(f, l->name, sizeof l->name);
        fputs("</tlpu_svg_td>", f);
        tlpu_svg_tdn(f, n_shape(l).s);
        tlpu_svg_td(f, fmt_name(l->fmt));
        tlpu_svg_tdn(f, n_u64(l->count).s);
        tlpu_svg_tdn(f, n_u64(l->cycles).s);
        tlpu_svg_tdn(f, n_fix(ms, 3).s);
        tlpu_svg_tdn(f, n_pct(ms, total_ms).s);
        tlpu_svg_tdn(f, n_fix(l->utilization * 100, 1).s);
        tlpu_svg_tdn(f, n_fix(oi, 2).s);
        tlpu_svg_td(f, l->compute_bound ? "compute" : "memory");
        tlpu_svg_tdn(f, tlpu_svg_si(perf, "").s);
        tlpu_svg_tdn(f, n_pct(perf, roof).s);
        tlpu_svg_tdn(f, n_fix(l->energy.total * 1e-6, 3).s);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
    tlpu_svg_el(f, "p", "class=\"muted\"",
         p == 0 ? "ms in phase = cycles/instance \xC3\x97 instances / clock (one pass of "
                  "M = P tokens). \xE2\x97\x8F: simulated on a device (below)."
                : "ms in phase = cycles/instance \xC3\x97 instances \xC3\x97 D tokens / clock "
                  "(M = 1 per token). \xE2\x97\x8F: simulated on a device (below).");
    if (r->mc.chips) {
        tlpu_svg_el(f, "p", "class=\"muted\"", "An LPU system: cycles summed over the chips; ms in "
                                        "phase is the static schedules' time.");
        html_mc_layers(f, r, p);
    }
    if (nsim == 0)
        return;
    tlpu_svg_el(f, "h3", NULL, "Cross-check on a device");
    fputs("<table>\n", f);
    tlpu_svg_thead(f, "llrrlll", "layer", "device", "predicted cycles", "simulated cycles",
                   "cycles", "outputs", "counters");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p || !l->simulated)
            continue;
        fputs("<tr><tlpu_svg_td>", f);
        tlpu_svg_esc(f, l->name, sizeof l->name);
        fputs("</tlpu_svg_td><tlpu_svg_td>", f);
        tlpu_svg_esc(f, l->device, sizeof l->device);
        fputs("</tlpu_svg_td>", f);
        tlpu_svg_tdn(f, n_u64(l->cycles).s);
        tlpu_svg_tdn(f, n_u64(l->sim_cycles).s);
        int eq = l->sim_cycles == l->cycles;
        tlpu_svg_el(f, "td", eq ? "class=\"ok\"" : "class=\"bad\"",
                    eq ? "equal" : "DIFFER");
        tlpu_svg_el(f, "td", l->sim_exact ? "class=\"ok\"" : "class=\"bad\"",
             l->sim_exact ? "exact" : "WRONG");
        tlpu_svg_el(f, "td", l->sim_counters_agree ? "class=\"ok\"" : "class=\"bad\"",
             l->sim_counters_agree ? "agree" : "DIFFER");
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    if (!board_layers(r, p))
        return;
    tlpu_svg_el(f, "p", NULL,
                "The board's time for one such call (sc:): its weights, activations and "
                "program over the link, the run, the results back.");
    fputs("<table>\n", f);
    tlpu_svg_thead(f, "lrrrrrrrrr", "layer", "board \xC2\xB5s", "link", "firmware", "memory",
                   "core", "chip links", "link \xC2\xB5J", "memory \xC2\xB5J",
                   "chip links \xC2\xB5J");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p || !l->simulated || !l->has_board)
            continue;
        fputs("<tr><tlpu_svg_td>", f);
        tlpu_svg_esc(f, l->name, sizeof l->name);
        fputs("</tlpu_svg_td>", f);
        char c[BOARD_COLS][32];
        board_cells(l, c);
        for (int j = 0; j < BOARD_COLS; j++)
            tlpu_svg_tdn(f, c[j]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void html_energy(FILE *f, const tlpu_report *r)
{
    tlpu_svg_el(f, "h2", NULL, "Energy by component");
    if (!present(r, 0) && !present(r, 1)) {
        tlpu_svg_el(f, "p", "class=\"muted\"", "No phase has tokens.");
        return;
    }
    fputs("<table>\n<tlpu_svg_thead><tr><th>component</th>", f);
    for (int p = 0; p < 2; p++) {
        if (!present(r, p))
            continue;
        fprintf(f, "<th class=\"n\">%s pJ</th><th class=\"n\">%%</th>"
                   "<th class=\"n\">%s per token</th>", k_phase_name[p], k_phase_name[p]);
    }
    fputs("</tr></tlpu_svg_thead>\n<tbody>\n", f);
    for (size_t i = 0; i <= NCOMP; i++) {
        fputs(i < NCOMP ? "<tr>" : "<tr class=\"total\">", f);
        if (i < NCOMP)
            fprintf(f, "<tlpu_svg_td><span class=\"sw\" style=\"background:%s\"></span>",
                    k_comp[i].color);
        else
            fputs("<tlpu_svg_td>", f);
        tlpu_svg_str(f, i < NCOMP ? k_comp[i].label : "total");
        fputs("</tlpu_svg_td>", f);
        for (int p = 0; p < 2; p++) {
            if (!present(r, p))
                continue;
            const tlpu_report_phase *ph = phase_ptr(r, p);
            double v = i < NCOMP ? comp_val(&ph->energy, i) : ph->energy.total;
            tlpu_svg_tdn(f, n_fix(v, 0).s);
            tlpu_svg_tdn(f, n_pct(v, ph->energy.total).s);
            tlpu_svg_tdn(f, n_energy(v / ph->tokens).s);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void html_baselines(FILE *f, const tlpu_report *r)
{
    tlpu_svg_el(f, "h2", NULL, "Baselines: the same matmuls on FP16 and INT8 MAC arrays");
    if (present(r, 0) || present(r, 1)) {
        fputs("<table>\n", f);
        tlpu_svg_thead(f, "llrrrr", "phase", "array", "arithmetic pJ", "\xC3\x97 tlpu",
                       "whole-system pJ", "\xC3\x97 tlpu");
        for (int p = 0; p < 2; p++) {
            if (!present(r, p))
                continue;
            const tlpu_report_phase *ph = phase_ptr(r, p);
            const double ar[3] = {ph->tlpu_arith_pj, ph->int8_arith_pj, ph->fp16_arith_pj};
            const double sy[3] = {ph->energy.total, ph->int8_system_pj, ph->fp16_system_pj};
            static const char *const nm[3] = {"tlpu", "INT8 MAC array", "FP16 MAC array"};
            for (int i = 0; i < 3; i++) {
                fputs("<tr>", f);
                tlpu_svg_td(f, k_phase_name[p]);
                tlpu_svg_td(f, nm[i]);
                tlpu_svg_tdn(f, n_fix(ar[i], 0).s);
                tlpu_svg_tdn(f, n_ratio(ar[i], ar[0], "\xC3\x97").s);
                tlpu_svg_tdn(f, n_fix(sy[i], 0).s);
                tlpu_svg_tdn(f, n_ratio(sy[i], sy[0], "\xC3\x97").s);
                fputs("</tr>\n", f);
            }
        }
        fputs("</tbody>\n</table>\n", f);
    }
    fputs("<p class=\"paper\">BitNet b1.58 arithmetic ratio (paper): <b>", f);
    tlpu_svg_str(f, n_ratio(r->paper_ratio, 1.0, "x").s);
    fputs("</b> at ", f);
    if (strnlen(r->energy_node, sizeof r->energy_node))
        tlpu_svg_esc(f, r->energy_node, sizeof r->energy_node);
    else
        tlpu_svg_str(f, "an unnamed node");
    fputs(": (FP16 add + FP16 mult) / INT8 add, from the energy table.</p>\n", f);
}

static void html_footprint(FILE *f, const tlpu_report *r)
{
    const tlpu_report_footprint *fp = &r->footprint;
    char t[240];
    tlpu_svg_el(f, "h2", NULL, "Weight footprint");
    snprintf(t, sizeof t, "%s BitLinear weights; %s other parameters (embeddings, norms) stored "
             "in 16 bits. 1 MB = 10^6 bytes.", n_u64(fp->params).s, n_u64(fp->other_params).s);
    tlpu_svg_el(f, "p", NULL, t);
    fputs("<table>\n", f);
    tlpu_svg_thead(f, "lrrrr", "format", "bits/weight", "bytes", "BitLinear weights",
          "+ other parameters (16-bit)");
    const struct {
        const char *name;
        uint64_t bytes;
    } row[] = {{"FP32", fp->fp32},   {"FP16", fp->fp16},   {"BF16", fp->bf16},
               {"INT8", fp->int8},   {"2-bit (PACK2)", fp->two_bit},
               {"1.6-bit (PACK3)", fp->base3}};
    double other = 2.0 * (double)fp->other_params;
    for (size_t i = 0; i < sizeof row / sizeof row[0]; i++) {
        double b = (double)row[i].bytes;
        fputs("<tr>", f);
        tlpu_svg_td(f, row[i].name);
        tlpu_svg_tdn(f, fp->params ? n_fix(8.0 * b / (double)fp->params, 2).s : "n/a");
        tlpu_svg_tdn(f, n_u64(row[i].bytes).s);
        tlpu_svg_tdn(f, tlpu_svg_si(b, "B").s);
        tlpu_svg_tdn(f, tlpu_svg_si(b + other, "B").s);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void figure(FILE *f, void (*chart)(FILE *, const tlpu_report *), const tlpu_report *r,
                   const char *caption)
{
    fputs("<figure>\n", f);
    chart(f, r);
    tlpu_svg_el(f, "figcaption", NULL, caption);
    fputs("\n</figure>\n", f);
}

/* An LPU system's scaling: one quantity of the study against the chip count
 * (both log scales), the knee marked. */
static void chart_scaling_of(FILE *f, const tlpu_report *r, int energy)
{
    const tlpu_report_scaling *sc = &r->scaling;
    const double left = 90, right = 40, top = 40, foot = 70, h = 340;
    const double pw = CW - left - right, ph = h - top - foot;
    double vmin = INFINITY, vmax = 0;
    for (uint32_t i = 0; i < sc->nrows; i++) {
        double v = energy ? sc->row[i].j_per_token : sc->row[i].ms_per_token * 1e-3;
        if (finite_pos(v)) {
            vmin = v < vmin ? v : vmin;
            vmax = v > vmax ? v : vmax;
        }
    }
    tlpu_svg_begin(
        f, CW, (int)h,
        energy ? "energy per token against chips" : "latency per token against chips",
        energy ? "Decode energy per token (J, log scale) of the fastest layout for each chip "
                 "count (log scale); the dashed line marks the knee."
               : "Decode time per token (s, log scale) of the fastest layout for each chip "
                 "count (log scale); the dashed line marks the knee.");
    if (!sc->nrows || vmax == 0) {
        tlpu_svg_message(f, CW, (int)h, "no scaling study");
        tlpu_svg_end(f);
        return;
    }
    /* chips: a log scale from a little below the first count to above the last */
    const double c0 = log((double)sc->row[0].chips / 1.15);
    const double c1 = log((double)sc->row[sc->nrows - 1].chips * 1.15);
#define CHIPX(c) (x0 + pw * (log((double)(c)) - c0) / (c1 - c0))
    tlpu_svg_log_axis ay = tlpu_svg_log_span(vmin / 1.3, vmax * 1.3);
    const double x0 = left, x1 = left + pw, yb = top + ph, yt = top;
    tlpu_svg_axis_log(f, ay, 1, x0, yb, yt, x1, tlpu_svg_tick_si);
    tlpu_svg_line(f, x0, yb, x1, yb, "#1d2330", 1, NULL);
    for (uint32_t i = 0; i < sc->nrows; i++) {
        double x = CHIPX(sc->row[i].chips);
        tlpu_svg_line(f, x, yb, x, yb + 5, "#1d2330", 1, NULL);
        tlpu_svg_text(f, x, yb + 18, "middle", "fill=\"#1d2330\" font-size=\"11\"",
                 n_u64(sc->row[i].chips).s);
    }
    tlpu_svg_axis_label(f, x0 + pw / 2, yb + 44, 0, "chips (log scale)");
    tlpu_svg_axis_label(f, 24, top + ph / 2, 1, energy ? "J per token" : "s per token");
    double kx = CHIPX(sc->knee_chips);
    tlpu_svg_line(f, kx, yt, kx, yb, "#5b6475", 1, "4 3");
    tlpu_svg_text(f, kx + 4, yt + 12, "start", "fill=\"#5b6475\" font-size=\"11\"",
             "knee: more chips buy < 10%");
    double px = 0, py = 0;
    for (uint32_t i = 0; i < sc->nrows; i++) {
        const tlpu_report_scale_row *w = &sc->row[i];
        double v = energy ? w->j_per_token : w->ms_per_token * 1e-3;
        if (!finite_pos(v))
            continue;
        double x = CHIPX(w->chips), y = tlpu_svg_log_pos(ay, v, yb, yt);
        if (i)
            tlpu_svg_line(f, px, py, x, y, energy ? "#d62728" : "#1f77b4", 2, NULL);
        char tip[160];
        snprintf(tip, sizeof tip, "%u chips (%u x %u): %s per token", w->chips, w->width,
                 w->stages, energy ? tlpu_svg_si(v, "J").s : tlpu_svg_si(v, "s").s);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>", x, y,
                energy ? "#d62728" : "#1f77b4");
        tlpu_svg_str(f, tip);
        fputs("</title></circle>\n", f);
        px = x, py = y;
    }
#undef CHIPX
    tlpu_svg_end(f);
}

static void chart_scaling_ms(FILE *f, const tlpu_report *r) { chart_scaling_of(f, r, 0); }
static void chart_scaling_j(FILE *f, const tlpu_report *r) { chart_scaling_of(f, r, 1); }

static void html_scaling(FILE *f, const tlpu_report *r)
{
    const tlpu_report_scaling *sc = &r->scaling;
    char t[600];
    tlpu_svg_el(f, "h2", NULL, "Scaling on LPU systems");
    snprintf(t, sizeof t,
             "Decode on systems of N chips with %s MiB of SRAM each: every BitLinear split over W "
             "chips, the decoder layers in S pipeline stages (W \xC3\x97 S = N, the fastest layout "
             "for each N). The smallest system that holds the model's %s of BitLinear weights "
             "has %u chip%s; past %u chips more chips buy less than 10%% in ms/token. Pipelined "
             "tokens/s: S streams in flight.",
             n_fix((double)sc->sram_bytes / 1048576.0, 0).s,
             tlpu_svg_si((double)sc->weight_bytes, "B").s, sc->min_chips,
             sc->min_chips == 1 ? "" : "s", sc->knee_chips);
    tlpu_svg_el(f, "p", NULL, t);
    fputs("<table>\n", f);
    tlpu_svg_thead(f, "rlrrrrrrr", "chips", "layout W \xC3\x97 S", "MiB per chip", "ms/token",
                   "tokens/s", "pipelined tokens/s", "mJ/token", "links %", "speedup");
    for (uint32_t i = 0; i < sc->nrows; i++) {
        const tlpu_report_scale_row *w = &sc->row[i];
        char lay[48];
        snprintf(lay, sizeof lay, "%u \xC3\x97 %u%s", w->width, w->stages,
                 w->chips == sc->knee_chips ? " (knee)" : "");
        fputs("<tr>", f);
        tlpu_svg_tdn(f, n_u64(w->chips).s);
        tlpu_svg_td(f, lay);
        tlpu_svg_tdn(f, n_fix((double)w->bytes_per_chip / 1048576.0, 1).s);
        tlpu_svg_tdn(f, n_fix(w->ms_per_token, 3).s);
        tlpu_svg_tdn(f, n_fix(w->tokens_per_s, 1).s);
        tlpu_svg_tdn(f, n_fix(w->pipeline_tokens_per_s, 1).s);
        tlpu_svg_tdn(f, n_fix(w->j_per_token * 1e3, 3).s);
        tlpu_svg_tdn(f, n_fix(w->c2c_share * 100.0, 1).s);
        tlpu_svg_tdn(f, n_fix(w->speedup, 2).s);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    figure(f, chart_scaling_ms, r, "Time per generated token against the chip count.");
    figure(f, chart_scaling_j, r, "Energy per generated token against the chip count: every chip "
                                  "leaks for the whole token, and the links add their part.");
}

static void html_mc_layers(FILE *f, const tlpu_report *r, int p)
{
    tlpu_svg_el(f, "p", NULL,
                "The multi-chip schedule of one instance: the chips with a slice, its "
                "time by the formula (and on the device, when simulated), the bytes its "
                "links carry, the fullest chip's weights.");
    fputs("<table>\n", f);
    tlpu_svg_thead(f, "lrrrrrl", "layer", "chips", "schedule \xC2\xB5s", "links KiB",
                   "weights/chip KiB", "simulated \xC2\xB5s", "schedule");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const tlpu_report_layer *l = &r->layer[i];
        if (layer_phase(l) != p)
            continue;
        const int sim = l->simulated && l->sim_mc_ps;
        fputs("<tr><tlpu_svg_td>", f);
        tlpu_svg_esc(f, l->name, sizeof l->name);
        fputs("</tlpu_svg_td>", f);
        tlpu_svg_tdn(f, n_u64(l->chips_used).s);
        tlpu_svg_tdn(f, n_fix((double)l->mc_ps * 1e-6, 3).s);
        tlpu_svg_tdn(f, n_fix((double)l->c2c_bytes / 1024.0, 1).s);
        tlpu_svg_tdn(f, n_fix((double)l->chip_weight_bytes / 1024.0, 1).s);
        tlpu_svg_tdn(f, sim ? n_fix((double)l->sim_mc_ps * 1e-6, 3).s : "-");
        tlpu_svg_td(f, !sim ? "-" : l->sim_mc_ps == l->mc_ps ? "equal" : "DIFFER");
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}


tlpu_status tlpu_report_html(FILE *f, const tlpu_report *r)
{
    char why[200];
    if (!f)
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = check_report(r, why, sizeof why);
    if (st != TLPU_OK)
        return st;

    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
          f);
    tlpu_svg_str(f, "tlpu report: ");
    tlpu_svg_esc(f, r->model, sizeof r->model);
    fputs("</title>\n<style>\n", f);
    fputs(tlpu_svg_css, f);
    fputs("</style>\n</head>\n<body>\n<main>\n<h1>", f);
    tlpu_svg_esc(f, r->model, sizeof r->model);
    fputs(" <small>tlpu report, engine ", f);
    tlpu_svg_esc(f, r->engine, sizeof r->engine);
    fputs("</small></h1>\n", f);
    html_header(f, r);

    for (int p = 0; p < 2; p++)
        if (present(r, p))
            html_phase(f, r, p);
    if (!present(r, 0) && !present(r, 1))
        tlpu_svg_el(f, "p", "class=\"muted\"", "No phase has tokens: nothing to time.");

    tlpu_svg_el(f, "h2", NULL, "Charts");
    figure(f, chart_energy, r,
           "Each phase's energy split by the energy model's components, with its energy per "
           "token (hover a segment for its value).");
    figure(f, chart_latency, r,
           "Time each BitLinear kind takes in its phase; * marks a layer simulated on a device.");
    figure(f, chart_roofline, r,
           "Every layer at its operational intensity (ternary MACs per DRAM byte the roofline "
           "counts) and achieved ternary MAC/s, under the compute and memory roofs.");
    figure(f, chart_baselines, r,
           "Energy per token on tlpu and on FP16 / INT8 MAC arrays doing the same matmuls, "
           "arithmetic only and with memory.");

    html_energy(f, r);
    html_baselines(f, r);
    html_footprint(f, r);
    if (r->scaling.nrows)
        html_scaling(f, r);
    if (r->nnotes) {
        tlpu_svg_el(f, "h2", NULL, "Notes");
        fputs("<ul>\n", f);
        for (uint32_t i = 0; i < r->nnotes; i++) {
            fputs("<li>", f);
            tlpu_svg_esc(f, r->notes[i], sizeof r->notes[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("<footer>Generated by tlpu. Energies in picojoules unless a unit says otherwise; "
          "times from the exact timing model at the stated clock; see docs/report.md.</footer>\n"
          "</main>\n</body>\n</html>\n",
          f);
    return ferror(f) ? TLPU_ERR_IO : TLPU_OK;
}
