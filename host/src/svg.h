/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svg.h - the HTML pages' building blocks (internal to host/): XML escaping,
 * table cells, the pages' style sheet, standalone SVG charts (title, text,
 * lines, axes with linear and log scales, legends). Used by report.c
 * (tlpu report --html) and sweep_report.c (tlpu sweep report).
 *
 * Everything written is well-formed XML: text goes through tlpu_svg_esc;
 * attrs arguments are the caller's own markup, never data.
 */
#ifndef TLPU_SVG_H
#define TLPU_SVG_H

#include <stddef.h>
#include <stdio.h>

/* ---- text ------------------------------------------------------------------------------ */

/* The code point at s[*i] (s has n bytes), advancing *i; -1 for a byte that
 * does not begin a valid UTF-8 sequence (then only that byte is consumed).
 * Overlong forms, surrogates and values above U+10FFFF are invalid. */
long tlpu_svg_utf8_next(const unsigned char *s, size_t n, size_t *i);

/* Returned by value: the array lives until the end of the caller's full expression. */
typedef struct tlpu_svg_nstr {
    char s[40];
} tlpu_svg_nstr;

/* Three significant digits with an SI prefix: "1.28 T" + unit ("1.28 THz"). */
tlpu_svg_nstr tlpu_svg_si(double x, const char *unit);

/* Escaped text of a field of max bytes: & < > " ' as entities; invalid UTF-8
 * and characters XML 1.0 forbids become U+FFFD. Safe in text and attributes. */
void tlpu_svg_esc(FILE *f, const char *s, size_t max);
/* the same for a NUL-terminated string */
void tlpu_svg_str(FILE *f, const char *s);
/* <tag attrs>escaped text</tag> (attrs may be NULL) */
void tlpu_svg_el(FILE *f, const char *tag, const char *attrs, const char *text);

/* Table cells: text, or numeric (right aligned). */
void tlpu_svg_td(FILE *f, const char *s);
void tlpu_svg_tdn(FILE *f, const char *s);
/* A header row: "l"/"r" per column in spec, names after it; opens <tbody>. */
void tlpu_svg_thead(FILE *f, const char *spec, ...);

/* The pages' style sheet (inside <style>). */
extern const char tlpu_svg_css[];

/* ---- SVG primitives ---------------------------------------------------------------------- */

/* Opens a standalone <svg>: its own namespace, viewBox, an accessible title
 * and description, a white background and the title drawn on top. */
void tlpu_svg_begin(FILE *f, int w, int h, const char *title, const char *desc);
void tlpu_svg_end(FILE *f);
/* Text at (x, y); anchor "start", "middle" or "end"; attrs extra attributes (ours). */
void tlpu_svg_text(FILE *f, double x, double y, const char *anchor, const char *attrs,
                   const char *text);
/* An axis title: class axis-label (the tests look for it), units in parentheses. */
void tlpu_svg_axis_label(FILE *f, double x, double y, int vertical, const char *text);
/* dash: a stroke-dasharray or NULL */
void tlpu_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
                   double width, const char *dash);
/* A rectangle with a hover tooltip (tip may be NULL). */
void tlpu_svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
                   const char *tip);
/* Why (part of) a chart has nothing to draw: class chart-message. */
void tlpu_svg_note(FILE *f, double x, double y, const char *anchor, const char *msg);
/* the same, centred in a w x h chart */
void tlpu_svg_message(FILE *f, int w, int h, const char *msg);
/* A legend entry: a swatch and its text. */
void tlpu_svg_legend(FILE *f, double x, double y, const char *color, const char *text);

/* ---- axes ---------------------------------------------------------------------------------- */

/* A linear axis 0 .. hi in steps of step (1, 2 or 5 x 10^k, about five ticks). */
typedef struct tlpu_svg_lin_axis {
    double hi, step;
} tlpu_svg_lin_axis;

tlpu_svg_lin_axis tlpu_svg_lin_nice(double maxv);
/* Ticks, grid lines and numbers of a horizontal linear axis at y from x0 (0)
 * to x1 (a.hi); the grid reaches up to gy. */
void tlpu_svg_axis_x_lin(FILE *f, tlpu_svg_lin_axis a, double x0, double x1, double y, double gy);

/* A log axis of decades lo .. hi (10^lo .. 10^hi). */
typedef struct tlpu_svg_log_axis {
    int lo, hi;
} tlpu_svg_log_axis;

/* The decades around [vmin, vmax] (both > 0), at least one decade wide. */
tlpu_svg_log_axis tlpu_svg_log_span(double vmin, double vmax);
double tlpu_svg_log_pos(tlpu_svg_log_axis a, double v, double p0, double p1);

/* Tick labels of a log axis: "%g"; a power of ten with an SI prefix ("10 G",
 * "1 µJ"). */
typedef tlpu_svg_nstr (*tlpu_svg_tick_fmt)(double);
tlpu_svg_nstr tlpu_svg_tick_plain(double v);
tlpu_svg_nstr tlpu_svg_tick_pow10(double v, const char *unit);
tlpu_svg_nstr tlpu_svg_tick_si(double v);
tlpu_svg_nstr tlpu_svg_tick_joule(double v);

/* Decade ticks (every k-th labelled when there are many) on a horizontal
 * (vertical = 0: at y = at, from p0 to p1, grid up to g) or vertical axis
 * (vertical = 1: at x = at, p0 bottom, p1 top, grid to g). */
void tlpu_svg_axis_log(FILE *f, tlpu_svg_log_axis a, int vertical, double at, double p0,
                       double p1, double g, tlpu_svg_tick_fmt fmt);

/* A scale for data in [vmin, vmax]: log decades when both are > 0 and
 * vmax / vmin exceeds 10^decades, else linear lo .. hi in nice steps
 * (1, 2 or 5 x 10^k) with a little room around the data, from 0 when the
 * data are >= 0 and 0 is near. */
typedef struct tlpu_svg_scale {
    int log;               /* 1: log decades, lo and hi are exponents */
    double lo, hi, step;   /* linear: the ends and the tick step */
} tlpu_svg_scale;

tlpu_svg_scale tlpu_svg_scale_fit(double vmin, double vmax, double decades);
/* where v goes between p0 (lo) and p1 (hi) */
double tlpu_svg_scale_pos(tlpu_svg_scale s, double v, double p0, double p1);
/* The axis of a scale, placed as tlpu_svg_axis_log's. Tick labels are
 * numbers, with an SI prefix and unit when si (linear ticks share one
 * prefix and as many decimals as the step needs: "2.5 µJ", "3.0 µJ"). */
void tlpu_svg_scale_axis(FILE *f, tlpu_svg_scale s, int vertical, double at, double p0, double p1,
                         double g, int si, const char *unit);

#endif
