/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svg.c - the HTML pages' building blocks (svg.h): escaping, table cells,
 * the style sheet, SVG primitives and axes. Moved here from report.c, whose
 * pages they still draw byte for byte; tlpu sweep report draws with them too.
 */
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int finite_pos(double x) { return isfinite(x) && x > 0; }

/* SI prefixes from 10^-15 to 10^18: pre[e3 + 5] is 10^(3 e3)'s */
static const char *const pre[] = {"f", "p", "n", "\xC2\xB5", "m", "", "k", "M", "G", "T", "P", "E"};

/* ---- text ------------------------------------------------------------------------------ */

/* The code point at s[*i] (s has n bytes), advancing *i; -1 for a byte that
 * does not begin a valid UTF-8 sequence (then only that byte is consumed).
 * Overlong forms, surrogates and values above U+10FFFF are invalid. */
long tlpu_svg_utf8_next(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    size_t len;
    long cp, min;
    if (c < 0x80) {
        (*i)++;
        return (long)c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        (*i)++;
        return -1;
    }
    if (*i + len > n) {
        (*i)++;
        return -1;
    }
    for (size_t k = 1; k < len; k++) {
        unsigned d = s[*i + k];
        if ((d & 0xC0) != 0x80) {
            (*i)++;
            return -1;
        }
        cp = cp << 6 | (long)(d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        (*i)++;
        return -1;
    }
    *i += len;
    return cp;
}

/* Three significant digits with an SI prefix: "1.28 T" + unit ("1.28 THz"). */
tlpu_svg_nstr tlpu_svg_si(double x, const char *unit)
{
    tlpu_svg_nstr o;
    if (!isfinite(x)) {
        snprintf(o.s, sizeof o.s, "n/a");
        return o;
    }
    if (x == 0) {
        snprintf(o.s, sizeof o.s, "0%s%s", *unit ? " " : "", unit);
        return o;
    }
    double ax = fabs(x);
    if (ax < 0.9995e-15 || ax >= 999.5e18) {
        snprintf(o.s, sizeof o.s, "%.2e%s%s", x, *unit ? " " : "", unit);
        return o;
    }
    int e3 = (int)floor(log10(ax) / 3.0);
    if (e3 < -5)
        e3 = -5;
    char t[32];
    for (int pass = 0; pass < 2; pass++) {
        double m = x / pow(10.0, 3.0 * e3);
        double am = fabs(m);
        int dec = am < 9.995 ? 2 : am < 99.95 ? 1 : 0;
        snprintf(t, sizeof t, "%.*f", dec, m);
        if (fabs(strtod(t, NULL)) < 999.5 || e3 >= 6)
            break;
        e3++;
    }
    const char *p = pre[e3 + 5];
    snprintf(o.s, sizeof o.s, "%s%s%s%s", t, (*p || *unit) ? " " : "", p, unit);
    return o;
}

/* ---- HTML ---------------------------------------------------------------------------------- */

/* Escaped text of a field of max bytes: & < > " ' as entities; invalid UTF-8
 * and characters XML 1.0 forbids become U+FFFD. Safe in text and attributes. */
void tlpu_svg_esc(FILE *f, const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strnlen(s, max - 1), i = 0;
    while (i < n) {
        size_t at = i;
        long cp = tlpu_svg_utf8_next(u, n, &i);
        switch (cp) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (cp < 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
                cp == 0xFFFE || cp == 0xFFFF)
                fputs("\xEF\xBF\xBD", f);
            else
                fwrite(s + at, 1, i - at, f);
        }
    }
}

void tlpu_svg_str(FILE *f, const char *s) { tlpu_svg_esc(f, s, (size_t)-1); }

/* <tag attrs>escaped text</tag> */
void tlpu_svg_el(FILE *f, const char *tag, const char *attrs, const char *text)
{
    fprintf(f, "<%s%s%s>", tag, attrs ? " " : "", attrs ? attrs : "");
    tlpu_svg_str(f, text);
    fprintf(f, "</%s>", tag);
}

/* Table cells: text, or numeric (right aligned). */
void tlpu_svg_td(FILE *f, const char *s) { tlpu_svg_el(f, "td", NULL, s); }
void tlpu_svg_tdn(FILE *f, const char *s) { tlpu_svg_el(f, "td", "class=\"n\"", s); }

/* A header row: "l"/"r" per column in spec, names after it. */
void tlpu_svg_thead(FILE *f, const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    fputs("<thead><tr>", f);
    for (const char *c = spec; *c; c++)
        tlpu_svg_el(f, "th", *c == 'r' ? "class=\"n\"" : NULL, va_arg(ap, const char *));
    fputs("</tr></thead>\n<tbody>\n", f);
    va_end(ap);
}

const char tlpu_svg_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "margin:0;background:#f5f6f8;color:#1d2330;line-height:1.4}\n"
    "main{max-width:1100px;margin:0 auto;padding:24px 28px 60px}\n"
    "h1{font-size:1.7em;margin:0 0 2px}\n"
    "h1 small{font-weight:normal;color:#5b6475;font-size:0.6em}\n"
    "h2{margin:40px 0 10px;padding-bottom:4px;border-bottom:2px solid #d0d5dd}\n"
    "h3{margin:22px 0 8px}\n"
    "table{border-collapse:collapse;margin:8px 0 14px;background:#fff;font-size:0.9em;"
    "border:1px solid #e1e4ea}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid #e8eaef;text-align:left;vertical-align:top}\n"
    "th{background:#eef1f6;font-weight:600}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "tr.sim td{background:#fff7dc}\n"
    "tr.total td{font-weight:600;border-top:2px solid #c9ced8}\n"
    "table.kv th{background:none;text-align:left;color:#5b6475;font-weight:normal}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}\n"
    ".card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:8px 14px;"
    "min-width:140px}\n"
    ".card span{display:block;color:#5b6475;font-size:0.85em}\n"
    ".card b{font-size:1.25em;font-variant-numeric:tabular-nums}\n"
    ".ok{color:#137333;font-weight:600}\n"
    ".bad{color:#b3261e;font-weight:600}\n"
    ".muted{color:#5b6475;font-size:0.9em}\n"
    ".paper{background:#fff;border-left:4px solid #1f77b4;padding:8px 12px;margin:10px 0}\n"
    "figure{background:#fff;border:1px solid #e1e4ea;border-radius:8px;margin:16px 0;"
    "padding:10px}\n"
    "figcaption{font-size:0.88em;color:#5b6475;padding:6px 6px 0}\n"
    "svg{display:block;width:100%;height:auto}\n"
    ".scroll{overflow-x:auto}\n"
    "footer{margin-top:40px;color:#5b6475;font-size:0.85em}\n"
    ".sw{display:inline-block;width:11px;height:11px;margin-right:6px;border-radius:2px;"
    "vertical-align:-1px}\n";

/* ---- SVG primitives ---------------------------------------------------------------------- */

/* Opens a standalone <svg>: its own namespace, viewBox, an accessible title
 * and description, a white background and the title drawn on top. */
void tlpu_svg_begin(FILE *f, int w, int h, const char *title, const char *desc)
{
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" "
            "role=\"img\">\n",
            w, h, w, h);
    tlpu_svg_el(f, "title", NULL, title);
    fputc('\n', f);
    tlpu_svg_el(f, "desc", NULL, desc);
    fprintf(f, "\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
    fprintf(f, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" "
               "font-weight=\"bold\" fill=\"#1d2330\">", w / 2);
    tlpu_svg_str(f, title);
    fputs("</text>\n", f);
}

void tlpu_svg_end(FILE *f) { fputs("</svg>\n", f); }

/* Text at (x, y); anchor "start", "middle" or "end"; attrs extra attributes (ours). */
void tlpu_svg_text(FILE *f, double x, double y, const char *anchor, const char *attrs,
                   const char *text)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
            attrs ? " " : "", attrs ? attrs : "");
    tlpu_svg_str(f, text);
    fputs("</text>\n", f);
}

/* An axis title: class axis-label (the tests look for it), units in parentheses. */
void tlpu_svg_axis_label(FILE *f, double x, double y, int vertical, const char *text)
{
    if (vertical)
        fprintf(f, "<text class=\"axis-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "font-size=\"13\" fill=\"#1d2330\" transform=\"rotate(-90 %.1f %.1f)\">",
                x, y, x, y);
    else
        fprintf(f, "<text class=\"axis-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "font-size=\"13\" fill=\"#1d2330\">", x, y);
    tlpu_svg_str(f, text);
    fputs("</text>\n", f);
}

void tlpu_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
                   double width, const char *dash)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"%.1f\"%s%s%s/>\n",
            x1, y1, x2, y2, stroke, width, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
            dash ? "\"" : "");
}

/* A rectangle with a hover tooltip (tip may be NULL). */
void tlpu_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
                   const char *tip)
{
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y,
            w > 0 ? w : 0, h > 0 ? h : 0, fill);
    if (tip) {
        fputs("><title>", f);
        tlpu_svg_str(f, tip);
        fputs("</title></rect>\n", f);
    } else {
        fputs("/>\n", f);
    }
}

/* Why (part of) a chart has nothing to draw: class chart-message. */
void tlpu_svg_note(FILE *f, double x, double y, const char *anchor, const char *msg)
{
    tlpu_svg_text(f, x, y, anchor, "class=\"chart-message\" fill=\"#5b6475\"", msg);
}

void tlpu_svg_message(FILE *f, int w, int h, const char *msg)
{
    tlpu_svg_note(f, w / 2.0, h / 2.0, "middle", msg);
}

/* ---- axes ---------------------------------------------------------------------------------- */

/* A linear axis 0 .. hi in steps of step (1, 2 or 5 x 10^k, about five ticks). */
tlpu_svg_lin_axis tlpu_svg_lin_nice(double maxv)
{
    tlpu_svg_lin_axis a = {1.0, 0.2};
    if (!finite_pos(maxv))
        return a;
    double raw = maxv / 5.0, mag = pow(10.0, floor(log10(raw))), norm = raw / mag;
    a.step = (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
    a.hi = ceil(maxv / a.step * (1 - 1e-12)) * a.step;
    if (a.hi <= 0)
        a.hi = a.step;
    return a;
}

/* Ticks, grid lines and numbers of a horizontal linear axis at y from x0 (0)
 * to x1 (a.hi); the grid reaches up to gy. */
void tlpu_svg_axis_x_lin(FILE *f, tlpu_svg_lin_axis a, double x0, double x1, double y,
                         double gy)
{
    int n = (int)floor(a.hi / a.step + 0.5);
    for (int i = 0; i <= n && i <= 20; i++) {
        double v = i * a.step, x = x0 + (x1 - x0) * v / a.hi;
        char t[32];
        snprintf(t, sizeof t, "%g", v);
        tlpu_svg_line(f, x, gy, x, y, "#e3e6eb", 1, NULL);
        tlpu_svg_line(f, x, y, x, y + 5, "#1d2330", 1, NULL);
        tlpu_svg_text(f, x, y + 18, "middle", "fill=\"#1d2330\"", t);
    }
    tlpu_svg_line(f, x0, y, x1, y, "#1d2330", 1, NULL);
}

/* The decades around [vmin, vmax] (both > 0), at least one decade wide. */
tlpu_svg_log_axis tlpu_svg_log_span(double vmin, double vmax)
{
    tlpu_svg_log_axis a;
    a.lo = (int)floor(log10(vmin) - 1e-9);
    a.hi = (int)ceil(log10(vmax) + 1e-9);
    if (a.hi <= a.lo)
        a.hi = a.lo + 1;
    return a;
}

double tlpu_svg_log_pos(tlpu_svg_log_axis a, double v, double p0, double p1)
{
    return p0 + (p1 - p0) * (log10(v) - a.lo) / (double)(a.hi - a.lo);
}

tlpu_svg_nstr tlpu_svg_tick_plain(double v)
{
    tlpu_svg_nstr o;
    snprintf(o.s, sizeof o.s, "%g", v);
    return o;
}
/* A power of ten with an SI prefix and no trailing zeros: "10 G", "1 \xC2\xB5J". */
tlpu_svg_nstr tlpu_svg_tick_pow10(double v, const char *unit)
{
    tlpu_svg_nstr o = tlpu_svg_si(v, unit);
    char *dot = strchr(o.s, '.');
    if (dot) {
        size_t end = strspn(dot + 1, "0") + 1;
        if (dot[end] < '0' || dot[end] > '9') /* only zeros after the point */
            memmove(dot, dot + end, strlen(dot + end) + 1);
    }
    return o;
}
tlpu_svg_nstr tlpu_svg_tick_si(double v) { return tlpu_svg_tick_pow10(v, ""); }
tlpu_svg_nstr tlpu_svg_tick_joule(double v) { return tlpu_svg_tick_pow10(v, "J"); }

/* A tick label of a scale: fmt's, or a number with an SI prefix and unit
 * when si, else "%g" and the unit. */
static tlpu_svg_nstr tick_label(double v, tlpu_svg_tick_fmt fmt, int si, const char *unit)
{
    if (fmt)
        return fmt(v);
    if (si)
        return tlpu_svg_tick_pow10(v, unit);
    tlpu_svg_nstr o;
    snprintf(o.s, sizeof o.s, "%g%s%s", v, *unit ? " " : "", unit);
    return o;
}

/* Decade ticks (every k-th labelled when there are many) on a horizontal
 * (vertical = 0: at y = at, from p0 to p1, grid up to g) or vertical axis
 * (vertical = 1: at x = at, p0 bottom, p1 top, grid to g). */
static void axis_log(FILE *f, tlpu_svg_log_axis a, int vertical, double at, double p0, double p1,
                     double g, tlpu_svg_tick_fmt fmt, int si, const char *unit)
{
    int span = a.hi - a.lo, every = span > 10 ? (span + 9) / 10 : 1;
    for (int e = a.lo; e <= a.hi; e++) {
        double p = p0 + (p1 - p0) * (e - a.lo) / (double)span;
        /* minor ticks: 2..9 x 10^e */
        if (e < a.hi && span <= 12) {
            for (int m = 2; m <= 9; m++) {
                double q = p0 + (p1 - p0) * (e - a.lo + log10(m)) / (double)span;
                if (vertical)
                    tlpu_svg_line(f, at - 3, q, at, q, "#1d2330", 0.6, NULL);
                else
                    tlpu_svg_line(f, q, at, q, at + 3, "#1d2330", 0.6, NULL);
            }
        }
        if (vertical)
            tlpu_svg_line(f, at, p, g, p, "#e3e6eb", 1, NULL);
        else
            tlpu_svg_line(f, p, g, p, at, "#e3e6eb", 1, NULL);
        if ((e - a.lo) % every)
            continue;
        tlpu_svg_nstr t = tick_label(pow(10.0, e), fmt, si, unit);
        if (vertical) {
            tlpu_svg_line(f, at - 6, p, at, p, "#1d2330", 1, NULL);
            tlpu_svg_text(f, at - 9, p + 4, "end", "fill=\"#1d2330\"", t.s);
        } else {
            tlpu_svg_line(f, p, at, p, at + 6, "#1d2330", 1, NULL);
            tlpu_svg_text(f, p, at + 19, "middle", "fill=\"#1d2330\"", t.s);
        }
    }
    if (vertical)
        tlpu_svg_line(f, at, p0, at, p1, "#1d2330", 1, NULL);
    else
        tlpu_svg_line(f, p0, at, p1, at, "#1d2330", 1, NULL);
}

void tlpu_svg_axis_log(FILE *f, tlpu_svg_log_axis a, int vertical, double at, double p0,
                       double p1, double g, tlpu_svg_tick_fmt fmt)
{
    axis_log(f, a, vertical, at, p0, p1, g, fmt, 0, "");
}

/* A legend entry: a swatch and its text. */
void tlpu_svg_legend(FILE *f, double x, double y, const char *color, const char *text)
{
    tlpu_svg_rect(f, x, y - 10, 12, 12, color, NULL);
    tlpu_svg_text(f, x + 18, y, "start", "fill=\"#1d2330\"", text);
}

/* ---- scales -------------------------------------------------------------------------------- */

/* 1, 2 or 5 x 10^k: the step for about `ticks` ticks over span (> 0) */
static double nice_step(double span, double ticks)
{
    double raw = span / ticks, mag = pow(10.0, floor(log10(raw))), norm = raw / mag;
    return (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
}

tlpu_svg_scale tlpu_svg_scale_fit(double vmin, double vmax, double decades)
{
    tlpu_svg_scale s = {0, 0.0, 1.0, 0.2};
    if (!isfinite(vmin) || !isfinite(vmax) || vmin > vmax)
        return s;
    if (vmin > 0 && log10(vmax / vmin) > decades) {
        /* a little room, then whole decades */
        tlpu_svg_log_axis a = tlpu_svg_log_span(vmin / 1.15, vmax * 1.15);
        s.log = 1, s.lo = a.lo, s.hi = a.hi, s.step = 1;
        return s;
    }
    double span = vmax - vmin, pad;
    if (span > 0)
        pad = 0.06 * span;
    else
        pad = vmin != 0 ? 0.1 * fabs(vmin) : 1.0; /* one value: around it */
    double lo = vmin - pad, hi = vmax + pad;
    if (vmin >= 0 && (lo < 0 || vmin <= 0.25 * vmax)) /* 0 is near: start there */
        lo = 0;
    s.step = nice_step(hi - lo, 5);
    s.lo = floor(lo / s.step + 1e-9) * s.step;
    s.hi = ceil(hi / s.step - 1e-9) * s.step;
    if (s.hi <= s.lo)
        s.hi = s.lo + s.step;
    return s;
}

double tlpu_svg_scale_pos(tlpu_svg_scale s, double v, double p0, double p1)
{
    if (s.log)
        return p0 + (p1 - p0) * (log10(v) - s.lo) / (s.hi - s.lo);
    return p0 + (p1 - p0) * (v - s.lo) / (s.hi - s.lo);
}

/* tick v of a linear axis: in units of 10^(3 e3), dec decimals */
static tlpu_svg_nstr lin_label(double v, int e3, int dec, int si, const char *unit)
{
    tlpu_svg_nstr o;
    double m = v / pow(10.0, 3.0 * e3);
    if (fabs(m) < 0.5 * pow(10.0, -dec))
        m = 0; /* no "-0" */
    const char *p = si ? pre[e3 + 5] : "";
    snprintf(o.s, sizeof o.s, "%.*f%s%s%s", dec, m, (*p || *unit) ? " " : "", p, unit);
    return o;
}

void tlpu_svg_scale_axis(FILE *f, tlpu_svg_scale s, int vertical, double at, double p0, double p1,
                         double g, int si, const char *unit)
{
    if (s.log) {
        tlpu_svg_log_axis a = {(int)s.lo, (int)s.hi};
        axis_log(f, a, vertical, at, p0, p1, g, NULL, si, unit);
        return;
    }
    /* one SI prefix for every tick (from the largest), decimals for the step */
    int e3 = 0;
    double big = fmax(fabs(s.lo), fabs(s.hi));
    if (si && big > 0) {
        e3 = (int)floor(log10(big) / 3.0);
        e3 = e3 < -5 ? -5 : e3 > 6 ? 6 : e3;
    }
    double step = s.step / pow(10.0, 3.0 * e3);
    int dec = (int)-floor(log10(step) + 1e-9);
    dec = dec < 0 ? 0 : dec > 12 ? 12 : dec;
    int n = (int)floor((s.hi - s.lo) / s.step + 0.5);
    for (int i = 0; i <= n && i <= 50; i++) {
        double v = s.lo + i * s.step, p = tlpu_svg_scale_pos(s, v, p0, p1);
        tlpu_svg_nstr t = lin_label(v, e3, dec, si, unit);
        if (vertical) {
            tlpu_svg_line(f, at, p, g, p, "#e3e6eb", 1, NULL);
            tlpu_svg_line(f, at - 6, p, at, p, "#1d2330", 1, NULL);
            tlpu_svg_text(f, at - 9, p + 4, "end", "fill=\"#1d2330\"", t.s);
        } else {
            tlpu_svg_line(f, p, g, p, at, "#e3e6eb", 1, NULL);
            tlpu_svg_line(f, p, at, p, at + 6, "#1d2330", 1, NULL);
            tlpu_svg_text(f, p, at + 19, "middle", "fill=\"#1d2330\"", t.s);
        }
    }
    if (vertical)
        tlpu_svg_line(f, at, p0, at, p1, "#1d2330", 1, NULL);
    else
        tlpu_svg_line(f, p0, at, p1, at, "#1d2330", 1, NULL);
}
