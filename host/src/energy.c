/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The energy model (tlpu/energy.h, docs/energy-model.md): editable JSON
 * tables of per-event energies, priced over the core's activity counters,
 * plus MAC-array baselines and weight footprints.
 *
 * The built-in tables are the shipped files host/data/energy/<name>.json.
 * host/CMakeLists.txt compiles them in as bytes (the generated header
 * tlpu_energy_builtin.h); a build without that header reads the same files
 * from the source tree, found from this file's path, so there is one source
 * of truth either way.
 */
#include "tlpu/energy.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__has_include)
#if __has_include("tlpu_energy_builtin.h")
#include "tlpu_energy_builtin.h"
#define TLPU_ENERGY_COMPILED_IN 1
#endif
#endif

/* ---- units ------------------------------------------------------------------ */

/* what an entry measures; each has one canonical unit (the last three are
 * the area model's, tlpu/area.h: a standard cell, an SRAM bit, a fixed area) */
enum dim { D_OP, D_BYTE, D_BIT, D_64B, D_LANE, D_KIB, D_RATIO, D_CELL, D_SBIT, D_AREA, D_COUNT };

static const char *const k_canon_unit[D_COUNT] = {"pJ/op",   "pJ/byte", "pJ/bit",   "pJ/64b",
                                                  "mW/lane", "mW/KiB",  "x",        "um2/cell",
                                                  "um2/bit", "mm2"};

struct unit {
    const char *name;
    enum dim dim;
    double factor; /* canonical = value x factor */
};

static const struct unit k_units[] = {
    {"pJ/op", D_OP, 1.0},         {"fJ/op", D_OP, 1e-3},         {"nJ/op", D_OP, 1e3},
    {"pJ/byte", D_BYTE, 1.0},     {"fJ/byte", D_BYTE, 1e-3},     {"nJ/byte", D_BYTE, 1e3},
    {"pJ/bit", D_BIT, 1.0},       {"fJ/bit", D_BIT, 1e-3},       {"pJ/byte", D_BIT, 0.125},
    {"nJ/64b", D_BIT, 1e3 / 64},  {"pJ/64b", D_64B, 1.0},        {"nJ/64b", D_64B, 1e3},
    {"pJ/bit", D_64B, 64.0},      {"fJ/bit", D_64B, 0.064},      {"mW/lane", D_LANE, 1.0},
    {"uW/lane", D_LANE, 1e-3},    {"nW/lane", D_LANE, 1e-6},     {"mW/KiB", D_KIB, 1.0},
    {"uW/KiB", D_KIB, 1e-3},      {"nW/KiB", D_KIB, 1e-6},       {"x", D_RATIO, 1.0},
    {"um2/cell", D_CELL, 1.0},    {"nm2/cell", D_CELL, 1e-6},    {"um2/bit", D_SBIT, 1.0},
    {"nm2/bit", D_SBIT, 1e-6},    {"mm2", D_AREA, 1.0},          {"um2", D_AREA, 1e-6},
};
#define N_UNITS (sizeof k_units / sizeof k_units[0])

/* the unit `name` for dimension d (d = D_COUNT: any dimension, first match) */
static const struct unit *find_unit(const char *name, enum dim d)
{
    for (size_t i = 0; i < N_UNITS; i++)
        if ((d == D_COUNT || k_units[i].dim == d) && strcmp(k_units[i].name, name) == 0)
            return &k_units[i];
    return NULL;
}

/* "pJ/op, fJ/op, nJ/op" */
static void unit_list(enum dim d, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_UNITS; i++) {
        if (k_units[i].dim != d && d != D_COUNT)
            continue;
        if (d == D_COUNT && find_unit(k_units[i].name, D_COUNT) != &k_units[i])
            continue; /* listed already */
        int w = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", k_units[i].name);
        if (w < 0 || (size_t)w >= len - at)
            return;
        at += (size_t)w;
    }
}

/* ---- the keys the model uses -------------------------------------------------- */

/* The energy model's keys (every table needs them: TLPU_ENERGY_KEYS), then
 * the area model's (tlpu/area.h): optional, so a table without them still
 * prices energy; when present their units must be area units. */
enum key {
    K_INT8_ADD, K_INT8_MULT, K_FP16_ADD, K_FP16_MULT, K_FP32_ADD, K_FP32_MULT, K_INT32_ADD,
    K_LANE_ADD, K_LANE_SUB, K_LANE_SKIP, K_ACCUMULATE, K_DECODE_BYTE, K_SRAM, K_SRAM_WF,
    K_DRAM, K_LINK, K_LEAK_LANE, K_LEAK_SRAM, K_REQUIRED,
    K_CELL_AREA = K_REQUIRED, K_SRAM_BIT_AREA, K_AREA_FIXED, K_COUNT
};

struct keyspec {
    const char *key;
    enum dim dim;
    int curve; /* 1: "points", 0: "value" */
};

static const struct keyspec k_keys[K_COUNT] = {
    {"int8_add", D_OP, 0},      {"int8_mult", D_OP, 0},         {"fp16_add", D_OP, 0},
    {"fp16_mult", D_OP, 0},     {"fp32_add", D_OP, 0},          {"fp32_mult", D_OP, 0},
    {"int32_add", D_OP, 0},     {"lane_add", D_OP, 0},          {"lane_sub", D_OP, 0},
    {"lane_skip", D_OP, 0},     {"accumulate", D_OP, 0},        {"decode_byte", D_BYTE, 0},
    {"sram_read_64b", D_64B, 1}, {"sram_write_factor", D_RATIO, 0}, {"dram", D_BIT, 0},
    {"link", D_BIT, 0},         {"leak_lane", D_LANE, 0},       {"leak_sram", D_KIB, 0},
    {"cell_area", D_CELL, 0},   {"sram_bit_area", D_SBIT, 0},   {"area_fixed", D_AREA, 0},
};

static int key_index(const char *key)
{
    for (int i = 0; i < K_COUNT; i++)
        if (strcmp(k_keys[i].key, key) == 0)
            return i;
    return -1;
}

/* ---- the table ------------------------------------------------------------------ */

#define MAX_POINTS 16
#define MAX_FILE_BYTES (1u << 20)
#define NAME_MAX_LEN 63
#define NODE_MAX_LEN 15

struct ent {
    const char *key, *unit, *canon_unit, *node, *source, *note;
    double value, canon;
    size_t npoints;
    double pb[MAX_POINTS], pv[MAX_POINTS], pc[MAX_POINTS];
};

struct tlpu_energy_table {
    json_t *root; /* owns every string below */
    const char *name, *node, *desc;
    size_t n;
    struct ent *e;
    int idx[K_COUNT]; /* entry index of each model key */
};

/* ---- error messages --------------------------------------------------------------- */

struct ectx {
    const char *label;
    char *err;
    size_t errlen;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static tlpu_status fail(const struct ectx *c, tlpu_status st, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        int w = snprintf(c->err, c->errlen, "%s: ", c->label);
        if (w >= 0 && (size_t)w < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + w, c->errlen - (size_t)w, fmt, ap);
            va_end(ap);
        }
    }
    return st;
}

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON value";
}

/* a required (or, with optional, possibly absent) string member */
static tlpu_status get_string(const struct ectx *c, const json_t *obj, const char *where,
                              const char *name, int optional, size_t maxlen, const char **out)
{
    const json_t *j = json_object_get(obj, name);
    if (!j) {
        if (optional) {
            *out = "";
            return TLPU_OK;
        }
        return fail(c, TLPU_ERR_FORMAT, "%s%s: missing key", where, name);
    }
    if (!json_is_string(j))
        return fail(c, TLPU_ERR_FORMAT, "%s%s: expected a string, got %s", where, name, type_name(j));
    const char *s = json_string_value(j);
    size_t len = json_string_length(j);
    if (!optional && len == 0)
        return fail(c, TLPU_ERR_FORMAT, "%s%s: empty string", where, name);
    if (strlen(s) != len)
        return fail(c, TLPU_ERR_FORMAT, "%s%s: string contains a NUL character", where, name);
    if (maxlen && len > maxlen)
        return fail(c, TLPU_ERR_FORMAT, "%s%s: longer than %zu bytes", where, name, maxlen);
    *out = s;
    return TLPU_OK;
}

/* a number member: finite and >= 0 (what = "energy", "power", ...) */
static tlpu_status get_number(const struct ectx *c, const json_t *obj, const char *where,
                              const char *name, const char *what, double *out)
{
    const json_t *j = json_object_get(obj, name);
    if (!j)
        return fail(c, TLPU_ERR_FORMAT, "%s%s: missing key", where, name);
    if (!json_is_number(j))
        return fail(c, TLPU_ERR_FORMAT, "%s%s: expected a number, got %s", where, name, type_name(j));
    double v = json_number_value(j);
    if (!isfinite(v))
        return fail(c, TLPU_ERR_RANGE, "%s%s: not a finite number", where, name);
    if (v < 0)
        return fail(c, TLPU_ERR_RANGE, "%s%s: negative %s %g (must be >= 0)", where, name, what, v);
    *out = v;
    return TLPU_OK;
}

static const char *dim_what(enum dim d)
{
    switch (d) {
    case D_LANE:
    case D_KIB: return "power";
    case D_RATIO: return "factor";
    case D_CELL:
    case D_SBIT:
    case D_AREA: return "area";
    default: return "energy";
    }
}

/* fields an object may have; anything else is an error naming it */
static tlpu_status check_fields(const struct ectx *c, const json_t *obj, const char *where,
                                const char *const *allowed, size_t nallowed)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        size_t i = 0;
        while (i < nallowed && strcmp(allowed[i], k) != 0)
            i++;
        if (i == nallowed) {
            char list[160];
            size_t at = 0;
            list[0] = '\0';
            for (size_t a = 0; a < nallowed; a++) {
                int w = snprintf(list + at, sizeof list - at, "%s%s", a ? ", " : "", allowed[a]);
                if (w < 0 || (size_t)w >= sizeof list - at)
                    break;
                at += (size_t)w;
            }
            return fail(c, TLPU_ERR_FORMAT, "%s%s: unknown key (expected %s)", where, k, list);
        }
    }
    return TLPU_OK;
}

/* one entry: entries.<key> */
static tlpu_status parse_entry(const struct ectx *c, const char *key, const json_t *j, struct ent *e)
{
    static const char *const fields[] = {"value", "points", "unit", "node", "source", "note"};
    char where[96];
    snprintf(where, sizeof where, "entries.%.60s.", key);
    if (!json_is_object(j))
        return fail(c, TLPU_ERR_FORMAT, "entries.%s: expected an object, got %s", key, type_name(j));
    tlpu_status st = check_fields(c, j, where, fields, sizeof fields / sizeof fields[0]);
    if (st != TLPU_OK)
        return st;

    int ki = key_index(key);
    const json_t *jv = json_object_get(j, "value"), *jp = json_object_get(j, "points");
    int curve;
    if (ki >= 0) {
        curve = k_keys[ki].curve;
        if (curve && !jp)
            return fail(c, TLPU_ERR_FORMAT, "%spoints: missing key (this entry is a curve of "
                        "{\"bytes\", \"value\"} points)", where);
        if (!curve && !jv)
            return fail(c, TLPU_ERR_FORMAT, "%svalue: missing key", where);
        if (curve && jv)
            return fail(c, TLPU_ERR_FORMAT, "%svalue: not allowed here (this entry is a curve: "
                        "use \"points\")", where);
        if (!curve && jp)
            return fail(c, TLPU_ERR_FORMAT, "%spoints: not allowed here (this entry takes one "
                        "\"value\")", where);
    } else {
        if (jv && jp)
            return fail(c, TLPU_ERR_FORMAT, "entries.%s: give \"value\" or \"points\", not both",
                        key);
        if (!jv && !jp)
            return fail(c, TLPU_ERR_FORMAT, "%svalue: missing key", where);
        curve = jp != NULL;
    }

    /* the unit */
    const char *unit;
    if ((st = get_string(c, j, where, "unit", 0, 0, &unit)) != TLPU_OK)
        return st;
    enum dim d = ki >= 0 ? k_keys[ki].dim : D_COUNT;
    const struct unit *u = find_unit(unit, d);
    if (!u) {
        char list[200];
        unit_list(d, list, sizeof list);
        return fail(c, TLPU_ERR_FORMAT, "%sunit: unknown unit \"%s\" (expected one of %s)", where,
                    unit, list);
    }
    d = u->dim;
    e->key = key;
    e->unit = unit;
    e->canon_unit = k_canon_unit[d];
    if ((st = get_string(c, j, where, "node", 0, 0, &e->node)) != TLPU_OK ||
        (st = get_string(c, j, where, "source", 0, 0, &e->source)) != TLPU_OK ||
        (st = get_string(c, j, where, "note", 1, 0, &e->note)) != TLPU_OK)
        return st;

    if (!curve) {
        if ((st = get_number(c, j, where, "value", dim_what(d), &e->value)) != TLPU_OK)
            return st;
        e->canon = e->value * u->factor;
        e->npoints = 0;
        return TLPU_OK;
    }

    e->value = NAN;
    e->canon = NAN;
    if (!json_is_array(jp))
        return fail(c, TLPU_ERR_FORMAT, "%spoints: expected an array, got %s", where, type_name(jp));
    size_t np = json_array_size(jp);
    if (np < 1 || np > MAX_POINTS)
        return fail(c, TLPU_ERR_FORMAT, "%spoints: %zu points (1 to %d allowed)", where, np,
                    MAX_POINTS);
    for (size_t i = 0; i < np; i++) {
        static const char *const pfields[] = {"bytes", "value"};
        const json_t *p = json_array_get(jp, i);
        char pw[128];
        snprintf(pw, sizeof pw, "%spoints[%zu].", where, i);
        if (!json_is_object(p))
            return fail(c, TLPU_ERR_FORMAT, "%spoints[%zu]: expected an object, got %s", where, i,
                        type_name(p));
        if ((st = check_fields(c, p, pw, pfields, 2)) != TLPU_OK ||
            (st = get_number(c, p, pw, "bytes", "size", &e->pb[i])) != TLPU_OK ||
            (st = get_number(c, p, pw, "value", dim_what(d), &e->pv[i])) != TLPU_OK)
            return st;
        if (e->pb[i] <= 0)
            return fail(c, TLPU_ERR_RANGE, "%sbytes: must be > 0", pw);
        if (e->pv[i] <= 0)
            return fail(c, TLPU_ERR_RANGE, "%svalue: must be > 0 (the curve is interpolated in "
                        "log energy)", pw);
        if (i > 0 && e->pb[i] <= e->pb[i - 1])
            return fail(c, TLPU_ERR_FORMAT, "%sbytes: sizes must increase (%g after %g)", pw,
                        e->pb[i], e->pb[i - 1]);
        e->pc[i] = e->pv[i] * u->factor;
    }
    e->npoints = np;
    return TLPU_OK;
}

static tlpu_status parse_root(const struct ectx *c, json_t *root, tlpu_energy_table *t)
{
    static const char *const top[] = {"tlpu_energy_table", "name", "node", "description", "entries"};
    tlpu_status st;
    if (!json_is_object(root))
        return fail(c, TLPU_ERR_FORMAT, "the top level must be a JSON object, got %s",
                    type_name(root));
    if ((st = check_fields(c, root, "", top, sizeof top / sizeof top[0])) != TLPU_OK)
        return st;
    const json_t *ver = json_object_get(root, "tlpu_energy_table");
    if (!ver)
        return fail(c, TLPU_ERR_FORMAT, "tlpu_energy_table: missing key (the format version, 1)");
    if (!json_is_integer(ver))
        return fail(c, TLPU_ERR_FORMAT, "tlpu_energy_table: expected the integer 1, got %s",
                    type_name(ver));
    if (json_integer_value(ver) != 1)
        return fail(c, TLPU_ERR_UNSUPPORTED, "tlpu_energy_table: format version %lld (this tlpu "
                    "reads version 1)", (long long)json_integer_value(ver));
    if ((st = get_string(c, root, "", "name", 0, NAME_MAX_LEN, &t->name)) != TLPU_OK ||
        (st = get_string(c, root, "", "node", 0, NODE_MAX_LEN, &t->node)) != TLPU_OK ||
        (st = get_string(c, root, "", "description", 1, 0, &t->desc)) != TLPU_OK)
        return st;
    const json_t *ents = json_object_get(root, "entries");
    if (!ents)
        return fail(c, TLPU_ERR_FORMAT, "entries: missing key");
    if (!json_is_object(ents))
        return fail(c, TLPU_ERR_FORMAT, "entries: expected an object, got %s", type_name(ents));

    size_t n = json_object_size(ents);
    t->e = calloc(n ? n : 1, sizeof *t->e);
    if (!t->e)
        return fail(c, TLPU_ERR_NOMEM, "out of memory");
    for (int k = 0; k < K_COUNT; k++)
        t->idx[k] = -1;
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)ents, key, v) {
        if ((st = parse_entry(c, key, v, &t->e[i])) != TLPU_OK)
            return st;
        int ki = key_index(key);
        if (ki >= 0)
            t->idx[ki] = (int)i;
        i++;
    }
    t->n = i;
    for (int k = 0; k < K_REQUIRED; k++)
        if (t->idx[k] < 0)
            return fail(c, TLPU_ERR_FORMAT, "entries.%s: missing key (every table needs it; "
                        "docs/energy-model.md)", k_keys[k].key);
    return TLPU_OK;
}

/* Where a JSON syntax error is: the keys leading to byte `pos`
 * ("entries.int8_add.value"), found by a small scan of the text before it;
 * "" when the error is before any key. */
static void syntax_path(const char *buf, size_t len, size_t pos, char *out, size_t outlen)
{
    enum { DEPTH = 8, KEYLEN = 48 };
    char stack[DEPTH][KEYLEN], last[KEYLEN] = "", pending[KEYLEN] = "";
    int depth = 0, after_colon = 0;
    if (pos > len)
        pos = len;
    for (size_t i = 0; i < pos; i++) {
        char ch = buf[i];
        if (ch == '"') {
            size_t j = i + 1, n = 0;
            char str[KEYLEN];
            while (j < pos && buf[j] != '"') {
                if (buf[j] == '\\' && j + 1 < pos)
                    j++;
                if (n + 1 < KEYLEN)
                    str[n++] = buf[j];
                j++;
            }
            str[n] = '\0';
            size_t k = j + 1;
            while (k < pos && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\n' || buf[k] == '\r'))
                k++;
            if (k < pos && buf[k] == ':') {
                memcpy(pending, str, n + 1);
                memcpy(last, str, n + 1);
                after_colon = 1;
                i = k;
            } else {
                after_colon = 0;
                i = j;
            }
            continue;
        }
        if (ch == '{' || ch == '[') {
            if (depth < DEPTH)
                memcpy(stack[depth], after_colon ? pending : "", after_colon ? strlen(pending) + 1 : 1);
            depth++;
            last[0] = '\0';
        } else if (ch == '}' || ch == ']') {
            if (depth > 0)
                depth--;
            last[0] = '\0';
        }
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            after_colon = 0;
    }
    size_t at = 0;
    out[0] = '\0';
    for (int d = 0; d <= depth && d <= DEPTH; d++) {
        const char *k = d < depth ? (d < DEPTH ? stack[d] : "") : last;
        if (!k[0])
            continue;
        int w = snprintf(out + at, outlen - at, "%s%s", at ? "." : "", k);
        if (w < 0 || (size_t)w >= outlen - at)
            return;
        at += (size_t)w;
    }
}

static void set_ok(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
}

tlpu_status tlpu_energy_parse(const char *json, size_t len, const char *label,
                              tlpu_energy_table **out, char *err, size_t errlen)
{
    struct ectx c = {label ? label : "(energy table)", err, errlen};
    if (!json || !out)
        return fail(&c, TLPU_ERR_INVALID_ARG, "NULL argument");
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        const char *hint = "";
        tlpu_status st = TLPU_ERR_FORMAT;
        if (json_error_code(&je) == json_error_numeric_overflow) {
            hint = " (a number too large: energies must be finite)";
            st = TLPU_ERR_RANGE;
        } else if (strstr(je.text, "NaN") || strstr(je.text, "nan") || strstr(je.text, "Inf") ||
                   strstr(je.text, "inf")) {
            hint = " (JSON has no NaN or Infinity: energies must be finite numbers)";
        } else if (json_error_code(&je) == json_error_premature_end_of_input ||
                   strstr(je.text, "end of file")) {
            hint = " (the file is truncated)";
        }
        char where[160];
        syntax_path(json, len, (size_t)(je.position > 0 ? je.position : 0), where, sizeof where);
        return fail(&c, st, "%s%snot valid JSON: line %d, column %d: %s%s", where,
                    where[0] ? ": " : "", je.line, je.column, je.text, hint);
    }
    tlpu_energy_table *t = calloc(1, sizeof *t);
    if (!t) {
        json_decref(root);
        return fail(&c, TLPU_ERR_NOMEM, "out of memory");
    }
    t->root = root;
    tlpu_status st = parse_root(&c, root, t);
    if (st != TLPU_OK) {
        tlpu_energy_free(t);
        return st;
    }
    set_ok(err, errlen);
    *out = t;
    return TLPU_OK;
}

tlpu_status tlpu_energy_load(const char *path, tlpu_energy_table **out, char *err, size_t errlen)
{
    struct ectx c = {path ? path : "(null)", err, errlen};
    if (!path || !out)
        return fail(&c, TLPU_ERR_INVALID_ARG, "NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(&c, TLPU_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        int e = errno;
        fclose(f);
        return fail(&c, TLPU_ERR_IO, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        fclose(f);
        return fail(&c, TLPU_ERR_IO, "not a regular file%s",
                    S_ISDIR(sb.st_mode) ? " (a directory)" : "");
    }
    if (sb.st_size > (off_t)MAX_FILE_BYTES) {
        fclose(f);
        return fail(&c, TLPU_ERR_IO, "%lld bytes: larger than the %u bytes an energy table may have",
                    (long long)sb.st_size, MAX_FILE_BYTES);
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return fail(&c, TLPU_ERR_NOMEM, "out of memory");
    }
    size_t got = fread(buf, 1, size + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || got > size) {
        free(buf);
        return fail(&c, TLPU_ERR_IO, rerr ? "read error" : "the file grew while being read");
    }
    tlpu_status st = tlpu_energy_parse(buf, got, path, out, err, errlen);
    free(buf);
    return st;
}

void tlpu_energy_free(tlpu_energy_table *t)
{
    if (!t)
        return;
    json_decref(t->root);
    free(t->e);
    free(t);
}

/* ---- built-in tables ----------------------------------------------------------------- */

struct builtin {
    const char *name;
    const unsigned char *json; /* NULL: read host/data/energy/<name>.json from the source tree */
    size_t len;
};

#ifdef TLPU_ENERGY_COMPILED_IN
static const struct builtin k_builtin[] = {TLPU_ENERGY_BUILTINS};
#else
static const struct builtin k_builtin[] = {{"45nm", NULL, 0}, {"7nm", NULL, 0}};
#endif
#define N_BUILTIN (sizeof k_builtin / sizeof k_builtin[0])

const char *tlpu_energy_builtin_name(size_t i)
{
    return i < N_BUILTIN ? k_builtin[i].name : NULL;
}

tlpu_status tlpu_energy_builtin(const char *name, tlpu_energy_table **out)
{
    if (!name || !out)
        return TLPU_ERR_INVALID_ARG;
    for (size_t i = 0; i < N_BUILTIN; i++) {
        const struct builtin *b = &k_builtin[i];
        if (strcmp(b->name, name) != 0)
            continue;
        char label[96];
        snprintf(label, sizeof label, "builtin:%s", b->name);
        tlpu_energy_table *t = NULL;
        tlpu_status st;
        if (b->json) {
            st = tlpu_energy_parse((const char *)b->json, b->len, label, &t, NULL, 0);
        } else {
            /* this file is <src>/host/src/energy.c; the tables are <src>/host/data/energy */
            const char *file = __FILE__;
            const char *slash = strrchr(file, '/');
            size_t dirlen = slash ? (size_t)(slash - file + 1) : 0;
            char path[4096];
            int w = snprintf(path, sizeof path, "%.*s../data/energy/%s.json", (int)dirlen, file,
                             b->name);
            if (w < 0 || (size_t)w >= sizeof path)
                return TLPU_ERR_IO;
            st = tlpu_energy_load(path, &t, NULL, 0);
        }
        if (st != TLPU_OK)
            return st;
        *out = t;
        return TLPU_OK;
    }
    return TLPU_ERR_INVALID_ARG;
}

tlpu_status tlpu_energy_open(const char *name, tlpu_energy_table **out, char *err, size_t errlen)
{
    for (size_t i = 0; name && out && i < N_BUILTIN; i++)
        if (strcmp(k_builtin[i].name, name) == 0) {
            tlpu_status st = tlpu_energy_builtin(name, out);
            if (st != TLPU_OK && err && errlen)
                snprintf(err, errlen, "built-in table '%s': %s", name, tlpu_strerror(st));
            return st;
        }
    return tlpu_energy_load(name, out, err, errlen);
}

/* ---- accessors -------------------------------------------------------------------------- */

const char *tlpu_energy_name(const tlpu_energy_table *t)
{
    return t ? t->name : NULL;
}

const char *tlpu_energy_node(const tlpu_energy_table *t)
{
    return t ? t->node : NULL;
}

const char *tlpu_energy_description(const tlpu_energy_table *t)
{
    return t ? t->desc : NULL;
}

size_t tlpu_energy_count(const tlpu_energy_table *t)
{
    return t ? t->n : 0;
}

static void fill_entry(const struct ent *e, tlpu_energy_entry *out)
{
    out->key = e->key;
    out->value = e->value;
    out->unit = e->unit;
    out->canonical = e->canon;
    out->canonical_unit = e->canon_unit;
    out->node = e->node;
    out->source = e->source;
    out->note = e->note;
    out->npoints = e->npoints;
    out->point_bytes = e->npoints ? e->pb : NULL;
    out->point_value = e->npoints ? e->pv : NULL;
    out->point_canonical = e->npoints ? e->pc : NULL;
}

tlpu_status tlpu_energy_entry_at(const tlpu_energy_table *t, size_t i, tlpu_energy_entry *out)
{
    if (!t || !out || i >= t->n)
        return TLPU_ERR_INVALID_ARG;
    fill_entry(&t->e[i], out);
    return TLPU_OK;
}

static const struct ent *find_ent(const tlpu_energy_table *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->e[i].key, key) == 0)
            return &t->e[i];
    return NULL;
}

tlpu_status tlpu_energy_find(const tlpu_energy_table *t, const char *key, tlpu_energy_entry *out)
{
    if (!t || !key || !out)
        return TLPU_ERR_INVALID_ARG;
    const struct ent *e = find_ent(t, key);
    if (!e)
        return TLPU_ERR_INVALID_ARG;
    fill_entry(e, out);
    return TLPU_OK;
}

tlpu_status tlpu_energy_value(const tlpu_energy_table *t, const char *key, double *out)
{
    if (!t || !key || !out)
        return TLPU_ERR_INVALID_ARG;
    const struct ent *e = find_ent(t, key);
    if (!e || e->npoints)
        return TLPU_ERR_INVALID_ARG;
    *out = e->canon;
    return TLPU_OK;
}

/* the canonical value of model key k (always present in a parsed table) */
static double kv(const tlpu_energy_table *t, enum key k)
{
    return t->e[t->idx[k]].canon;
}

/* ---- pricing --------------------------------------------------------------------------- */

/* pJ per 64-bit access of an array of `bytes` bytes */
static double sram_pj_64b(const struct ent *s, double bytes)
{
    size_t n = s->npoints;
    if (n == 1 || bytes <= s->pb[0])
        return s->pc[0];
    size_t i = 0; /* the segment [i, i+1] holding bytes, or the last one */
    while (i + 2 < n && bytes > s->pb[i + 1])
        i++;
    double alpha = log(s->pc[i + 1] / s->pc[i]) / log(s->pb[i + 1] / s->pb[i]);
    return s->pc[i] * pow(bytes / s->pb[i], alpha);
}

tlpu_status tlpu_energy_sram_pj_per_bit(const tlpu_energy_table *t, double bytes, double *out)
{
    if (!t || !out || !isfinite(bytes) || bytes <= 0)
        return TLPU_ERR_INVALID_ARG;
    *out = sram_pj_64b(&t->e[t->idx[K_SRAM]], bytes) / 64.0;
    return TLPU_OK;
}

tlpu_status tlpu_energy_prices_of(const tlpu_energy_table *t, const tlpu_hw *hw,
                                  tlpu_energy_prices *out)
{
    if (!t || !hw || !out || tlpu_hw_check(hw) != TLPU_OK)
        return TLPU_ERR_INVALID_ARG;
    const struct ent *sram = &t->e[t->idx[K_SRAM]];
    const double rows = hw->rows, cols = hw->cols, wf = kv(t, K_SRAM_WF);
    /* A W-bit wide, D-word buffer is W/64 side-by-side 64-bit arrays of D x 8
     * bytes: the Horowitz figure for that size, per bit, times W. WBUF is
     * ROWS such RAMs of 2 x WBUF_CHUNKS words (both banks) of 2 x COLS bits. */
    const double wbuf_bit = sram_pj_64b(sram, 2.0 * hw->wbuf_chunks * 8.0) / 64.0;
    const double abuf_bit = sram_pj_64b(sram, (double)hw->abuf_words * 8.0) / 64.0;
    const double obuf_bit = sram_pj_64b(sram, (double)hw->obuf_words * 8.0) / 64.0;
    tlpu_energy_prices p;
    p.lane_add = kv(t, K_LANE_ADD);
    p.lane_sub = kv(t, K_LANE_SUB);
    p.lane_skip = kv(t, K_LANE_SKIP);
    p.accumulate = kv(t, K_ACCUMULATE);
    p.decode_byte = kv(t, K_DECODE_BYTE);
    p.wbuf_rd = 2.0 * cols * wbuf_bit;
    p.wbuf_wr = p.wbuf_rd * wf;
    p.abuf_rd = 8.0 * cols * abuf_bit;
    p.abuf_wr = p.abuf_rd * wf;
    p.obuf_rd = 32.0 * rows * obuf_bit;
    p.obuf_wr = p.obuf_rd * wf;
    p.dram_byte = 8.0 * kv(t, K_DRAM);
    p.link_byte = 8.0 * kv(t, K_LINK);
    /* SRAM bytes: WBUF, ABUF, OBUF, IMEM (16-byte instructions) */
    const double sram_bytes = rows * 2.0 * hw->wbuf_chunks * (2.0 * cols) / 8.0 +
                              (double)hw->abuf_words * cols + (double)hw->obuf_words * rows * 4.0 +
                              (double)hw->imem_depth * 16.0;
    p.sram_kib = sram_bytes / 1024.0;
    p.static_mw = rows * cols * kv(t, K_LEAK_LANE) + p.sram_kib * kv(t, K_LEAK_SRAM);
    *out = p;
    return TLPU_OK;
}

/* the arithmetic parts of a breakdown, shared by tlpu_energy_of and
 * tlpu_energy_tlpu_arith so the two agree to the last bit */
static void arith_parts(const tlpu_energy_table *t, const uint64_t *k, tlpu_energy_breakdown *b)
{
    b->array_add = (double)k[TLPU_CNTI_LANE_ADDS] * kv(t, K_LANE_ADD);
    b->array_sub = (double)k[TLPU_CNTI_LANE_SUBS] * kv(t, K_LANE_SUB);
    b->array_skip = (double)k[TLPU_CNTI_LANE_SKIPS] * kv(t, K_LANE_SKIP);
    /* one accumulate per row sum: every row chunk the array reads is one */
    b->accumulate = (double)k[TLPU_CNTI_WBUF_RD] * kv(t, K_ACCUMULATE);
}

tlpu_status tlpu_energy_of(const tlpu_energy_table *t, const tlpu_energy_ctx *ctx,
                           const uint64_t counters[TLPU_NUM_COUNTERS], uint64_t cycles,
                           tlpu_energy_breakdown *out)
{
    if (!t || !ctx || !counters || !out || !isfinite(ctx->clock_hz) || ctx->clock_hz <= 0)
        return TLPU_ERR_INVALID_ARG;
    tlpu_energy_prices p;
    tlpu_status st = tlpu_energy_prices_of(t, &ctx->hw, &p);
    if (st != TLPU_OK)
        return st;
    const uint64_t *k = counters;
    tlpu_energy_breakdown b;
    arith_parts(t, k, &b);
    b.decoder = (double)k[TLPU_CNTI_DEC_BYTES] * p.decode_byte;
    b.wbuf = (double)k[TLPU_CNTI_WBUF_RD] * p.wbuf_rd + (double)k[TLPU_CNTI_WBUF_WR] * p.wbuf_wr;
    b.abuf = (double)k[TLPU_CNTI_ABUF_RD] * p.abuf_rd + (double)k[TLPU_CNTI_ABUF_WR] * p.abuf_wr;
    b.obuf = (double)k[TLPU_CNTI_OBUF_RD] * p.obuf_rd + (double)k[TLPU_CNTI_OBUF_WR] * p.obuf_wr;
    const double mem_byte = ctx->mem_pj_per_bit > 0 ? 8.0 * ctx->mem_pj_per_bit : p.dram_byte;
    b.dram = ((double)k[TLPU_CNTI_DRAM_RD_BYTES] + (double)k[TLPU_CNTI_DRAM_WR_BYTES]) * mem_byte;
    b.link = (double)ctx->link_bytes * p.link_byte;
    b.c2c = (double)ctx->c2c_bytes * 8.0 * (ctx->c2c_pj_per_bit > 0 ? ctx->c2c_pj_per_bit : 0);
    /* mW x s = mJ = 1e9 pJ */
    b.leakage = p.static_mw * ((double)cycles / ctx->clock_hz) * 1e9;
    b.total = b.array_add + b.array_sub + b.array_skip + b.accumulate + b.decoder + b.wbuf +
              b.abuf + b.obuf + b.dram + b.link + b.c2c + b.leakage;
    *out = b;
    return TLPU_OK;
}

tlpu_status tlpu_energy_tlpu_arith(const tlpu_energy_table *t,
                                   const uint64_t counters[TLPU_NUM_COUNTERS], double *arith_pj)
{
    if (!t || !counters || !arith_pj)
        return TLPU_ERR_INVALID_ARG;
    tlpu_energy_breakdown b;
    arith_parts(t, counters, &b);
    *arith_pj = b.array_add + b.array_sub + b.array_skip + b.accumulate;
    return TLPU_OK;
}

tlpu_status tlpu_energy_paper_ratio(const tlpu_energy_table *t, double *ratio)
{
    if (!t || !ratio)
        return TLPU_ERR_INVALID_ARG;
    const double int8_add = kv(t, K_INT8_ADD);
    if (!(int8_add > 0))
        return TLPU_ERR_RANGE;
    *ratio = (kv(t, K_FP16_ADD) + kv(t, K_FP16_MULT)) / int8_add;
    return TLPU_OK;
}

/* ---- baselines ------------------------------------------------------------------------- */

tlpu_status tlpu_energy_baseline(const tlpu_energy_table *t, tlpu_baseline kind, uint64_t m,
                                 uint64_t k, uint64_t n, double *arith_pj, double *system_pj)
{
    if (!t || !arith_pj || !system_pj || (kind != TLPU_BASELINE_FP16 && kind != TLPU_BASELINE_INT8))
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    const double M = (double)m, K = (double)k, N = (double)n;
    double mac, wbytes, abytes, obytes;
    if (kind == TLPU_BASELINE_FP16) {
        mac = kv(t, K_FP16_MULT) + kv(t, K_FP16_ADD);
        wbytes = 2, abytes = 2, obytes = 2;
    } else {
        mac = kv(t, K_INT8_MULT) + kv(t, K_INT8_ADD);
        wbytes = 1, abytes = 1, obytes = 4;
    }
    const double arith = M * K * N * mac;
    const double bytes = N * K * wbytes + M * K * abytes + M * N * obytes;
    *arith_pj = arith;
    *system_pj = arith + bytes * 8.0 * kv(t, K_DRAM);
    return TLPU_OK;
}

tlpu_status tlpu_energy_ternary_arith(const tlpu_energy_table *t, const tlpu_hw *hw, uint64_t m,
                                      uint64_t k, uint64_t n, double zero_fraction,
                                      double *arith_pj)
{
    if (!t || !hw || !arith_pj || tlpu_hw_check(hw) != TLPU_OK || !(zero_fraction >= 0) ||
        !(zero_fraction <= 1))
        return TLPU_ERR_INVALID_ARG;
    if (m == 0 || k == 0 || n == 0)
        return TLPU_ERR_SHAPE;
    const double lanes = (double)m * (double)k * (double)n;
    const double nonzero = lanes * (1.0 - zero_fraction);
    const double chunks = (double)((k + hw->cols - 1) / hw->cols);
    *arith_pj = nonzero * 0.5 * (kv(t, K_LANE_ADD) + kv(t, K_LANE_SUB)) +
                lanes * zero_fraction * kv(t, K_LANE_SKIP) +
                (double)m * (double)n * chunks * kv(t, K_ACCUMULATE);
    return TLPU_OK;
}

/* ---- weight footprints ------------------------------------------------------------------ */

const char *tlpu_wstore_name(tlpu_wstore s)
{
    switch (s) {
    case TLPU_WSTORE_FP32: return "fp32";
    case TLPU_WSTORE_FP16: return "fp16";
    case TLPU_WSTORE_BF16: return "bf16";
    case TLPU_WSTORE_INT8: return "int8";
    case TLPU_WSTORE_2BIT: return "2-bit";
    case TLPU_WSTORE_BASE3: return "1.6-bit";
    }
    return NULL;
}

tlpu_status tlpu_weight_bytes(tlpu_wstore s, uint64_t count, uint64_t *bytes)
{
    if (!bytes)
        return TLPU_ERR_INVALID_ARG;
    uint64_t per;
    switch (s) {
    case TLPU_WSTORE_FP32: per = 4; break;
    case TLPU_WSTORE_FP16:
    case TLPU_WSTORE_BF16: per = 2; break;
    case TLPU_WSTORE_INT8: per = 1; break;
    case TLPU_WSTORE_2BIT: *bytes = count / 4 + (count % 4 != 0); return TLPU_OK;
    case TLPU_WSTORE_BASE3: *bytes = count / 5 + (count % 5 != 0); return TLPU_OK;
    default: return TLPU_ERR_INVALID_ARG;
    }
    if (count > UINT64_MAX / per)
        return TLPU_ERR_OVERFLOW;
    *bytes = count * per;
    return TLPU_OK;
}
