/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep_report.c - tlpu_sweep_report (tlpu/sweep.h): one standalone HTML page
 * of a sweep's merged.json. Per model, two scatter plots with their Pareto
 * fronts - energy against latency per token (both minimised), and area
 * (minimised) against decode throughput (maximised) - and a table of each
 * front's configurations. Inline CSS and SVG (svg.h), no scripts, nothing
 * external; the page is XHTML and parses as XML. docs/sweep.md, "Report".
 */
#define _GNU_SOURCE /* qsort_r */
#include "tlpu/sweep.h"
#include "errbuf.h"
#include "svg.h"
#include "sweep_report.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the Pareto front ---------------------------------------------------------------------- */

typedef struct pareto_ctx {
    const double *x, *y;
    int x_max, y_max;
} pareto_ctx;

/* better first in x, then in y, then the lower index */
static int pareto_cmp(const void *pa, const void *pb, void *pc)
{
    const pareto_ctx *c = pc;
    size_t i = *(const size_t *)pa, j = *(const size_t *)pb;
    double xi = c->x_max ? -c->x[i] : c->x[i], xj = c->x_max ? -c->x[j] : c->x[j];
    double yi = c->y_max ? -c->y[i] : c->y[i], yj = c->y_max ? -c->y[j] : c->y[j];
    if (xi != xj)
        return xi < xj ? -1 : 1;
    if (yi != yj)
        return yi < yj ? -1 : 1;
    return (i > j) - (i < j);
}

size_t tlpu_sweep_pareto(const double *x, const double *y, size_t n, int x_max, int y_max,
                         size_t *front)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            front[m++] = i;
    pareto_ctx c = {x, y, x_max, y_max};
    qsort_r(front, m, sizeof *front, pareto_cmp, &c);
    /* in that order a point is on the front when it beats every earlier
     * point's y (each of those is at least as good in x), or equals the
     * last front point exactly; the front is a subsequence: kept in place */
    size_t k = 0;
    for (size_t s = 0; s < m; s++) {
        size_t i = front[s];
        double yi = y_max ? -y[i] : y[i];
        if (k) {
            size_t l = front[k - 1];
            double yl = y_max ? -y[l] : y[l];
            if (!(yi < yl) && !(x[i] == x[l] && y[i] == y[l]))
                continue;
        }
        front[k++] = i;
    }
    return k;
}

/* ---- the sweep's points -------------------------------------------------------------------- */

enum { M_J, M_MS, M_AREA, M_TPS, NMETRIC };

/* the metrics the page shows: key in merged.json, table heading, axis title, tick style */
static const struct metric_info {
    const char *key, *column, *axis;
    int si;             /* ticks with an SI prefix */
    const char *unit;   /* of the ticks */
    const char *suffix; /* after a value in a tooltip */
} k_metric[NMETRIC] = {
    {"j_per_token", "J/token", "energy per generated token (J", 1, "J", "/token"},
    {"ms_per_token", "ms/token", "time per generated token (ms", 0, "", " ms/token"},
    {"area_mm2", "area mm\xC2\xB2", "core area (mm\xC2\xB2", 0, "", " mm\xC2\xB2"},
    {"tokens_per_s", "tokens/s", "decode throughput (tokens/s", 1, "", " tokens/s"},
};

/* the two charts: x and y metrics, and whether larger is better */
static const struct chart_info {
    const char *id, *title, *better;
    int mx, my, x_max, y_max;
} k_chart[2] = {
    {"energy-latency", "Energy and latency per token", "better: lower left", M_J, M_MS, 0, 0},
    {"area-throughput", "Area and decode throughput", "better: upper left", M_AREA, M_TPS, 0, 1},
};

typedef struct point {
    long long index;
    const char *model;
    json_t *params; /* an object or NULL; borrowed from the document */
    double m[NMETRIC];
} point;

/* a model's points, in merged.json's order */
typedef struct group {
    const char *model;
    size_t *pt, n;
} group;

/* the shortest text that reads back as x: 1e9 for 1000000000.0, 0.25, 2048 */
static void real_text(char *out, size_t n, double x)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(out, n, "%.*g", p, x);
        if (strtod(out, NULL) == x)
            break;
    }
    char *e = strchr(out, 'e');
    if (e) { /* e+09 -> e9, e-05 -> e-5 */
        char *d = e + 1, *s = d;
        if (*s == '+')
            s++;
        else if (*s == '-')
            *d++ = *s++;
        while (*s == '0' && s[1])
            s++;
        memmove(d, s, strlen(s) + 1);
    }
}

/* a parameter's value as text (any JSON; strings as they are) */
static void value_text(char *out, size_t n, json_t *v)
{
    if (!v)
        snprintf(out, n, "-");
    else if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        real_text(out, n, json_real_value(v));
    else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(out, n, "%s", s ? s : "?");
        free(s);
    }
}

/* four significant digits, fixed point: 4.568, 12346, 0.01230 */
static tlpu_svg_nstr sig4(double v)
{
    tlpu_svg_nstr o;
    if (!isfinite(v))
        snprintf(o.s, sizeof o.s, "n/a");
    else if (v == 0)
        snprintf(o.s, sizeof o.s, "0");
    else {
        int dec = 3 - (int)floor(log10(fabs(v)));
        if (fabs(v) >= 1e15 || dec > 9)
            snprintf(o.s, sizeof o.s, "%.3e", v);
        else
            snprintf(o.s, sizeof o.s, "%.*f", dec < 0 ? 0 : dec, v);
    }
    return o;
}

static const char *const k_prefix[] = {"f", "p", "n", "\xC2\xB5", "m", "", "k", "M", "G", "T"};

/* the SI prefix for v: 10^(3 e3), e3 in -5 .. 4 */
static int prefix_of(double v)
{
    int e3 = isfinite(v) && v != 0 ? (int)floor(log10(fabs(v)) / 3.0) : 0;
    return e3 < -5 ? -5 : e3 > 4 ? 4 : e3;
}

/* a metric's value in a tooltip: four significant digits, energies with an
 * SI prefix ("10.62 mJ") */
static tlpu_svg_nstr metric_text(int m, double v)
{
    if (m != M_J)
        return sig4(v);
    int e3 = prefix_of(v);
    tlpu_svg_nstr o = sig4(v / pow(10.0, 3.0 * e3)), r;
    snprintf(r.s, sizeof r.s, "%.24s %sJ", o.s, k_prefix[e3 + 5]);
    return r;
}

/* "#12 rows=16, cols=40, packing=base3" */
static void point_label(char *out, size_t n, const point *p)
{
    size_t len = (size_t)snprintf(out, n, "#%lld", p->index);
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(p->params, k, v)
    {
        char t[256];
        value_text(t, sizeof t, v);
        if (len < n)
            len += (size_t)snprintf(out + len, n - len, "%s%s=%s", first ? " " : ", ", k, t);
        first = 0;
    }
}

/* ---- a chart ------------------------------------------------------------------------------ */

#define CW 960
#define CH 480

/* one chart of a model: its points with both metrics, the front highlighted;
 * sel/nsel the model's points that have them (indices into pts), front/nf
 * positions in sel along the front, on[] marks them */
static void chart(FILE *f, const struct chart_info *c, const group *g, const point *pts,
                  const size_t *sel, size_t nsel, const size_t *front, size_t nf,
                  const unsigned char *on)
{
    const struct metric_info *mx = &k_metric[c->mx], *my = &k_metric[c->my];
    char t[640], desc[400];
    snprintf(desc, sizeof desc,
             "Scatter plot of every configuration of %s: x %s, y %s; the Pareto-optimal ones "
             "larger and red, joined by a step line.",
             g->model, mx->key, my->key);
    if (!nsel) {
        tlpu_svg_begin(f, CW, 150, c->title, desc);
        snprintf(t, sizeof t, "no point has both %s and %s: nothing to plot", mx->key, my->key);
        tlpu_svg_message(f, CW, 150, t);
        tlpu_svg_end(f);
        return;
    }
    const double x0 = 100, x1 = CW - 30, yb = CH - 74, yt = 66;
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (size_t s = 0; s < nsel; s++) {
        const point *p = &pts[sel[s]];
        for (int a = 0; a < 2; a++) {
            double v = p->m[a ? c->my : c->mx];
            lo[a] = fmin(lo[a], v), hi[a] = fmax(hi[a], v);
        }
    }
    tlpu_svg_scale sx = tlpu_svg_scale_fit(lo[0], hi[0], 1.5);
    tlpu_svg_scale sy = tlpu_svg_scale_fit(lo[1], hi[1], 1.5);
    tlpu_svg_begin(f, CW, CH, c->title, desc);
    tlpu_svg_scale_axis(f, sx, 0, yb, x0, x1, yt, mx->si, mx->unit);
    tlpu_svg_scale_axis(f, sy, 1, x0, yb, yt, x1, my->si, my->unit);
    snprintf(t, sizeof t, "%s%s)", mx->axis, sx.log ? ", log scale" : "");
    tlpu_svg_axis_label(f, (x0 + x1) / 2, yb + 50, 0, t);
    snprintf(t, sizeof t, "%s%s)", my->axis, sy.log ? ", log scale" : "");
    tlpu_svg_axis_label(f, 26, (yb + yt) / 2, 1, t);

    /* the legend, under the title */
    fprintf(f, "<circle cx=\"%.1f\" cy=\"44\" r=\"4\" fill=\"#7f8fa6\" fill-opacity=\"0.6\"/>\n",
            x0 + 6);
    snprintf(t, sizeof t, "all configurations (%zu)", nsel);
    tlpu_svg_text(f, x0 + 16, 48, "start", "fill=\"#1d2330\"", t);
    fprintf(f, "<circle cx=\"%.1f\" cy=\"44\" r=\"6\" fill=\"#d62728\"/>\n", x0 + 216);
    tlpu_svg_line(f, x0 + 206, 44, x0 + 226, 44, "#d62728", 1.5, NULL);
    snprintf(t, sizeof t, "Pareto-optimal (%zu), the front", nf);
    tlpu_svg_text(f, x0 + 234, 48, "start", "fill=\"#1d2330\"", t);
    tlpu_svg_text(f, x1, 48, "end", "fill=\"#5b6475\" font-style=\"italic\"", c->better);

    /* every point, the front's on top */
    double px[2];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) { /* the step line: across, then up or down to the next */
            fputs("<path class=\"front-line\" fill=\"none\" stroke=\"#d62728\" "
                  "stroke-width=\"1.5\" stroke-linejoin=\"round\" d=\"",
                  f);
            for (size_t k = 0; k < nf; k++) {
                const point *p = &pts[sel[front[k]]];
                px[0] = tlpu_svg_scale_pos(sx, p->m[c->mx], x0, x1);
                px[1] = tlpu_svg_scale_pos(sy, p->m[c->my], yb, yt);
                if (k)
                    fprintf(f, " H%.1f V%.1f", px[0], px[1]);
                else
                    fprintf(f, "M%.1f %.1f", px[0], px[1]);
            }
            fputs("\"/>\n", f);
        }
        for (size_t s = 0; s < nsel; s++) {
            if (on[s] != pass)
                continue;
            const point *p = &pts[sel[s]];
            px[0] = tlpu_svg_scale_pos(sx, p->m[c->mx], x0, x1);
            px[1] = tlpu_svg_scale_pos(sy, p->m[c->my], yb, yt);
            if (pass)
                fprintf(f, "<circle class=\"front\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" "
                           "fill=\"#d62728\" stroke=\"#ffffff\" stroke-width=\"1.5\"><title>",
                        px[0], px[1]);
            else
                fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
                           "fill=\"#7f8fa6\" fill-opacity=\"0.6\"><title>",
                        px[0], px[1]);
            size_t len;
            point_label(t, sizeof t - 160, p);
            len = strlen(t);
            snprintf(t + len, sizeof t - len, "%s: %s%s, %s%s", pass ? " (Pareto-optimal)" : "",
                     metric_text(c->mx, p->m[c->mx]).s, mx->suffix,
                     metric_text(c->my, p->m[c->my]).s, my->suffix);
            tlpu_svg_str(f, t);
            fputs("</title></circle>\n", f);
        }
    }
    tlpu_svg_end(f);
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char k_css_more[] =
    "tr.front-row td:first-child{font-weight:600}\n"
    ".left-out{font-size:0.88em;color:#8a4b08;padding:2px 6px 0}\n";

static void kv_row(FILE *f, const char *key, const char *value)
{
    fputs("<tr>", f);
    tlpu_svg_el(f, "th", NULL, key);
    tlpu_svg_td(f, value);
    fputs("</tr>\n", f);
}

/* the table of one front: index, every parameter, the chart's metrics and
 * tokens/s and J/token */
static void front_table(FILE *f, const struct chart_info *c, const point *pts, const size_t *sel,
                        const size_t *front, size_t nf, json_t *keys)
{
    int cols[3] = {c->mx, c->my, -1};
    if (c->mx != M_TPS && c->my != M_TPS)
        cols[2] = M_TPS;
    else if (c->mx != M_J && c->my != M_J)
        cols[2] = M_J;
    /* energies in one unit for the whole column, from the largest */
    double jmax = 0;
    for (size_t r = 0; r < nf; r++)
        jmax = fmax(jmax, fabs(pts[sel[front[r]]].m[M_J]));
    int je3 = prefix_of(jmax);
    char jcol[32];
    snprintf(jcol, sizeof jcol, "%sJ/token", k_prefix[je3 + 5]);
    fputs("<div class=\"scroll\"><table class=\"front-table\">\n<thead><tr>", f);
    tlpu_svg_el(f, "th", "class=\"n\"", "#");
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) tlpu_svg_el(f, "th", NULL, json_string_value(k));
    for (int j = 0; j < 3; j++)
        if (cols[j] >= 0)
            tlpu_svg_el(f, "th", "class=\"n\"", cols[j] == M_J ? jcol : k_metric[cols[j]].column);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t r = 0; r < nf; r++) {
        const point *p = &pts[sel[front[r]]];
        char t[256];
        fputs("<tr class=\"front-row\">", f);
        snprintf(t, sizeof t, "%lld", p->index);
        tlpu_svg_tdn(f, t);
        json_array_foreach(keys, i, k)
        {
            json_t *v = json_object_get(p->params, json_string_value(k));
            value_text(t, sizeof t, v);
            if (json_is_number(v))
                tlpu_svg_tdn(f, t);
            else
                tlpu_svg_td(f, t);
        }
        for (int j = 0; j < 3; j++)
            if (cols[j] >= 0)
                tlpu_svg_tdn(f, sig4(cols[j] == M_J ? p->m[M_J] / pow(10.0, 3.0 * je3)
                                                    : p->m[cols[j]]).s);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
}

/* a model's section: the two charts, then the two fronts' tables; marks
 * every point on a front in on_any[] (by position in pts) */
static tlpu_status model_section(FILE *f, size_t gi, const group *g, const point *pts,
                                 unsigned char *on_any)
{
    const size_t n1 = g->n ? g->n : 1;
    size_t *sel = malloc(n1 * sizeof *sel), *sel2 = malloc(n1 * sizeof *sel2);
    size_t *front[2] = {malloc(n1 * sizeof(size_t)), malloc(n1 * sizeof(size_t))};
    size_t nsel[2] = {0, 0}, nf[2] = {0, 0};
    double *xs = malloc(n1 * sizeof *xs), *ys = malloc(n1 * sizeof *ys);
    unsigned char *on = calloc(n1, 1);
    json_t *keys = json_array();
    tlpu_status st = TLPU_OK;
    if (!sel || !sel2 || !front[0] || !front[1] || !xs || !ys || !on || !keys) {
        st = TLPU_ERR_NOMEM;
        goto out;
    }
    size_t *sels[2] = {sel, sel2};
    /* the parameters' names, in order of first appearance */
    for (size_t i = 0; i < g->n; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(pts[g->pt[i]].params, k, v)
        {
            size_t j;
            json_t *e;
            int seen = 0;
            json_array_foreach(keys, j, e) seen |= !strcmp(json_string_value(e), k);
            if (!seen)
                json_array_append_new(keys, json_string(k));
        }
    }
    char t[600];
    fprintf(f, "<h2 id=\"model-%zu\">", gi);
    tlpu_svg_str(f, g->model);
    fputs("</h2>\n", f);
    snprintf(t, sizeof t, "%zu point%s.", g->n, g->n == 1 ? "" : "s");
    tlpu_svg_el(f, "p", NULL, t);
    for (int ci = 0; ci < 2; ci++) {
        const struct chart_info *c = &k_chart[ci];
        size_t miss[2] = {0, 0};
        for (size_t i = 0; i < g->n; i++) {
            const point *p = &pts[g->pt[i]];
            int okx = isfinite(p->m[c->mx]), oky = isfinite(p->m[c->my]);
            miss[0] += !okx, miss[1] += !oky;
            if (okx && oky)
                sels[ci][nsel[ci]++] = g->pt[i];
        }
        for (size_t s = 0; s < nsel[ci]; s++) {
            xs[s] = pts[sels[ci][s]].m[c->mx];
            ys[s] = pts[sels[ci][s]].m[c->my];
        }
        nf[ci] = tlpu_sweep_pareto(xs, ys, nsel[ci], c->x_max, c->y_max, front[ci]);
        memset(on, 0, g->n);
        for (size_t k = 0; k < nf[ci]; k++) {
            on[front[ci][k]] = 1;
            on_any[sels[ci][front[ci][k]]] = 1;
        }
        fputs("<figure>\n", f);
        chart(f, c, g, pts, sels[ci], nsel[ci], front[ci], nf[ci], on);
        if (nsel[ci]) {
            snprintf(t, sizeof t, "%s against %s, %zu configuration%s; %zu Pareto-optimal (%s).",
                     k_metric[c->my].key, k_metric[c->mx].key, nsel[ci],
                     nsel[ci] == 1 ? "" : "s", nf[ci], c->better);
            tlpu_svg_el(f, "figcaption", NULL, t);
        }
        if (miss[0] || miss[1]) {
            size_t n = 0;
            n += (size_t)snprintf(t + n, sizeof t - n, "Left out:");
            for (int a = 0; a < 2; a++)
                if (miss[a])
                    n += (size_t)snprintf(t + n, sizeof t - n, "%s %zu point%s no %s",
                                          a && miss[0] ? "," : "", miss[a],
                                          miss[a] == 1 ? " has" : "s have",
                                          k_metric[a ? c->my : c->mx].key);
            snprintf(t + n, sizeof t - n, ".");
            fputs("\n", f);
            tlpu_svg_el(f, "div", "class=\"left-out\"", t);
        }
        fputs("\n</figure>\n", f);
    }
    for (int ci = 0; ci < 2; ci++) {
        const struct chart_info *c = &k_chart[ci];
        snprintf(t, sizeof t, "Front: %s (%zu configuration%s, %s)", c->title, nf[ci],
                 nf[ci] == 1 ? "" : "s", c->better);
        tlpu_svg_el(f, "h3", NULL, t);
        if (!nf[ci]) {
            snprintf(t, sizeof t, "No point has both %s and %s.", k_metric[c->mx].key,
                     k_metric[c->my].key);
            tlpu_svg_el(f, "p", "class=\"muted\"", t);
            continue;
        }
        snprintf(t, sizeof t, "Along the front, by %s from best to worst.", k_metric[c->mx].key);
        tlpu_svg_el(f, "p", "class=\"muted\"", t);
        front_table(f, c, pts, sels[ci], front[ci], nf[ci], keys);
    }
out:
    free(sel), free(sel2), free(front[0]), free(front[1]), free(xs), free(ys), free(on);
    json_decref(keys);
    return st;
}

/* a metric of a point: a finite number, else NaN */
static double metric_of(json_t *metrics, const char *key)
{
    json_t *v = json_object_get(metrics, key);
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    return isfinite(x) ? x : NAN;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* text to path, atomically: a temporary file beside it, synced, renamed */
static tlpu_status write_atomic(const char *path, const char *text, size_t n, char *err,
                                size_t errlen)
{
    size_t tl = strlen(path) + 32;
    char *tmp = malloc(tl);
    if (!tmp)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    snprintf(tmp, tl, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    size_t off = 0;
    int e = 0;
    while (off < n && !e) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e)
        unlink(tmp);
    free(tmp);
    if (e)
        return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: writing failed: %s", path, strerror(e));
    return TLPU_OK;
}

tlpu_status tlpu_sweep_report(const char *dir, const char *html_path, uint32_t *fronts, char *err,
                              size_t errlen)
{
    if (fronts)
        *fronts = 0;
    if (!dir || !html_path)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_sweep_report: NULL argument");
    size_t plen = strlen(dir) + 64;
    char *path = malloc(plen);
    if (!path)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    json_t *spec = NULL, *all = NULL;
    point *pts = NULL;
    group *grp = NULL;
    size_t ngrp = 0, npts = 0;
    unsigned char *on_any = NULL;
    char *html = NULL;
    size_t html_len = 0;
    FILE *f = NULL;
    tlpu_status st = TLPU_OK;
    json_error_t je;

    snprintf(path, plen, "%s/spec.json", dir);
    if (!exists(path)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                         "%s: not a planned sweep (no spec.json)", dir);
        goto out;
    }
    if (!(spec = json_load_file(path, 0, &je))) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column,
                         je.text);
        goto out;
    }
    snprintf(path, plen, "%s/merged.json", dir);
    if (!exists(path)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                         "%s: no such file: run tlpu sweep merge first", path);
        goto out;
    }
    if (!(all = json_load_file(path, 0, &je))) {
        int readable = access(path, R_OK) == 0;
        st = tlpu_errbuf(err, errlen, readable ? TLPU_ERR_FORMAT : TLPU_ERR_IO, "%s:%d:%d: %s",
                         path, je.line, je.column, je.text);
        goto out;
    }
    if (!json_is_array(all)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                         "%s: not an array of points (run tlpu sweep merge again)", path);
        goto out;
    }

    /* the points, grouped by model in order of first appearance */
    npts = json_array_size(all);
    pts = calloc(npts ? npts : 1, sizeof *pts);
    grp = calloc(npts ? npts : 1, sizeof *grp);
    on_any = calloc(npts ? npts : 1, 1);
    if (!pts || !grp || !on_any) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < npts; i++) {
        json_t *r = json_array_get(all, i), *params = json_object_get(r, "params");
        json_t *metrics = json_object_get(r, "metrics"), *idx = json_object_get(r, "index");
        point *p = &pts[i];
        p->model = json_string_value(json_object_get(r, "model"));
        if (!p->model || !json_is_integer(idx) || (params && !json_is_object(params)) ||
            (metrics && !json_is_object(metrics) && !json_is_null(metrics))) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                             "%s: [%zu] is not a point (index, model, params, metrics)", path, i);
            goto out;
        }
        p->index = (long long)json_integer_value(idx);
        p->params = params;
        for (int m = 0; m < NMETRIC; m++)
            p->m[m] = metric_of(metrics, k_metric[m].key);
        size_t gi = 0;
        while (gi < ngrp && strcmp(grp[gi].model, p->model))
            gi++;
        if (gi == ngrp)
            grp[ngrp++].model = p->model;
        grp[gi].n++;
    }
    for (size_t gi = 0; gi < ngrp; gi++) {
        if (!(grp[gi].pt = malloc(grp[gi].n * sizeof(size_t)))) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
            goto out;
        }
        grp[gi].n = 0;
    }
    for (size_t i = 0; i < npts; i++) {
        size_t gi = 0;
        while (strcmp(grp[gi].model, pts[i].model))
            gi++;
        grp[gi].pt[grp[gi].n++] = i;
    }

    /* the page, in memory first */
    if (!(f = open_memstream(&html, &html_len))) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
        goto out;
    }
    const char *name = json_string_value(json_object_get(spec, "name"));
    if (!name || !*name)
        name = dir;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>"
          "tlpu sweep report: ",
          f);
    tlpu_svg_str(f, name);
    fputs("</title>\n<style>\n", f);
    fputs(tlpu_svg_css, f);
    fputs(k_css_more, f);
    fputs("</style>\n</head>\n<body>\n<main>\n<h1>", f);
    tlpu_svg_str(f, name);
    fputs(" <small>tlpu sweep report</small></h1>\n<table class=\"kv\">\n<tbody>\n", f);
    char t[1024];
    kv_row(f, "directory", dir);
    uint32_t planned = 0;
    for (;; planned++) {
        snprintf(path, plen, "%s/points/%06u.json", dir, planned);
        if (!exists(path))
            break;
    }
    snprintf(path, plen, "%s/rejected.json", dir);
    json_t *rej = json_load_file(path, 0, NULL);
    snprintf(t, sizeof t, "%zu finished (merged.json) of %u planned; %zu rejected as impossible",
             npts, planned, json_array_size(rej));
    json_decref(rej);
    kv_row(f, "points", t);
    {
        size_t n = 0;
        t[0] = 0;
        for (size_t gi = 0; gi < ngrp && n < sizeof t; gi++)
            n += (size_t)snprintf(t + n, sizeof t - n, "%s%s (%zu)", gi ? ", " : "",
                                  grp[gi].model, grp[gi].n);
        kv_row(f, "models", ngrp ? t : "none");
    }
    {
        json_t *w[3] = {json_object_get(spec, "prefill"), json_object_get(spec, "decode"),
                        json_object_get(spec, "context")};
        snprintf(t, sizeof t, "prefill %lld, decode %lld tokens after a context of %lld",
                 w[0] ? (long long)json_integer_value(w[0]) : 64LL,
                 w[1] ? (long long)json_integer_value(w[1]) : 64LL,
                 (long long)json_integer_value(w[2]));
        kv_row(f, "workload", t);
    }
    fputs("</tbody>\n</table>\n", f);
    tlpu_svg_el(f, "p", NULL,
                "Per model, two trade-offs: energy against time per generated token (both "
                "lower is better), and core area (lower is better) against decode throughput "
                "(higher is better). A configuration is Pareto-optimal when no other one of "
                "the same model is at least as good in both and strictly better in one (equal "
                "ones are all optimal); those are drawn larger and red, joined by a step line, "
                "and listed under the charts. A point without one of a chart's metrics is left "
                "out of that chart and counted under it. Hover a point for its configuration.");
    if (!npts)
        tlpu_svg_el(f, "p", "class=\"muted\"",
                    "merged.json has no finished points: nothing to plot (tlpu sweep run, then "
                    "tlpu sweep merge).");
    for (size_t gi = 0; gi < ngrp && st == TLPU_OK; gi++)
        st = model_section(f, gi, &grp[gi], pts, on_any);
    if (st != TLPU_OK) {
        tlpu_errbuf(err, errlen, st, "out of memory");
        goto out;
    }
    fputs("<footer>Generated by tlpu sweep report from merged.json; every number is the sweep's "
          "(docs/sweep.md).</footer>\n</main>\n</body>\n</html>\n",
          f);
    if (fclose(f) != 0) {
        f = NULL;
        st = tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
        goto out;
    }
    f = NULL;
    if ((st = write_atomic(html_path, html, html_len, err, errlen)) != TLPU_OK)
        goto out;
    if (fronts) {
        uint32_t n = 0;
        for (size_t i = 0; i < npts; i++)
            n += on_any[i];
        *fronts = n;
    }
out:
    if (f)
        fclose(f);
    free(html);
    for (size_t gi = 0; gi < ngrp; gi++)
        free(grp[gi].pt);
    free(grp);
    free(pts);
    free(on_any);
    json_decref(all);
    json_decref(spec);
    free(path);
    return st;
}
