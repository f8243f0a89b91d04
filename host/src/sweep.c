/* SPDX-License-Identifier: Apache-2.0 */
/* sweep.c - design-space sweeps: plan, run, status, merge (tlpu/sweep.h). */
#define _GNU_SOURCE
#include "tlpu/sweep.h"
#include "errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlpu/area.h"
#include "tlpu/energy.h"
#include "tlpu/estimate.h"
#include "tlpu/fcore.h"
#include "tlpu/net.h"
#include "tlpu/simulate.h"
#include "tlpu/tiler.h"
#include "tlpu/tlpu.h"

#define MAX_POINTS 1000000u
#define MAX_KEYS 16u
#define MAX_VALUES 4096u


/* ---- files ------------------------------------------------------------------------------ */

static void path_of(char *out, size_t n, const char *dir, const char *sub, uint32_t i,
                    const char *ext)
{
    if (sub)
        snprintf(out, n, "%s/%s/%06u.%s", dir, sub, i, ext);
    else
        snprintf(out, n, "%s/%s", dir, ext);
}

/* text to path, atomically: a temporary file beside it, synced, renamed */
static tlpu_status write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: writing failed: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: writing failed: %s", path, strerror(e));
    }
    return TLPU_OK;
}

static tlpu_status write_json(const char *path, json_t *j, char *err, size_t errlen)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (!s)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    size_t n = strlen(s);
    char *t = malloc(n + 2);
    if (!t) {
        free(s);
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    }
    memcpy(t, s, n);
    t[n] = '\n', t[n + 1] = 0;
    free(s);
    tlpu_status st = write_atomic(path, t, err, errlen);
    free(t);
    return st;
}

static json_t *read_json(const char *path, char *err, size_t errlen, tlpu_status *st)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        *st = access(path, R_OK) != 0 ? TLPU_ERR_IO : TLPU_ERR_FORMAT;
        tlpu_errbuf(err, errlen, *st, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    } else
        *st = TLPU_OK;
    return j;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* ---- metrics ----------------------------------------------------------------------------- */

/* every metric a point can have, in the order results list them; the device
 * ones only with a device engine */
static const char *const k_metrics[] = {
    "prefill_s", "prefill_tokens_per_s", "prefill_j_per_token", "ms_per_token",
    "tokens_per_s", "j_per_token", "pj_per_mac", "lanes", "weight_bytes", "area_mm2", NULL};
static const char *const k_dev_metrics[] = {"device_layers", "device_cycles",
                                            "estimate_cycles", "device_exact", "device_agree",
                                            NULL};

static int in_list(const char *const *l, const char *k)
{
    for (; *l; l++)
        if (!strcmp(*l, k))
            return 1;
    return 0;
}

/* ---- engines ----------------------------------------------------------------------------- */

static int is_device_engine(const char *e) { return !strcmp(e, "model:") || !strcmp(e, "sim:"); }

/* the built Verilated core whose parameters are exactly hw, or NULL */
static const char *sim_variant_of(const tlpu_hw *hw)
{
    static const char *const v[] = {"default", "small", "large", NULL};
    for (int i = 0; v[i]; i++) {
        tlpu_fcore_config c;
        if (tlpu_fcore_config_init(&c) == TLPU_OK && tlpu_fcore_config_variant(&c, v[i]) == TLPU_OK &&
            !memcmp(&c.hw, hw, sizeof *hw))
            return v[i];
    }
    return NULL;
}

/* the device URI that runs a point's core: model: takes any buildable core,
 * sim: only a built variant; both get the point's DRAM latency */
static void device_uri(char *out, size_t n, const char *engine, const tlpu_hw *hw,
                       uint32_t latency)
{
    if (!strcmp(engine, "sim:"))
        snprintf(out, n, "sim:variant=%s,latency=%u,dram=268435456", sim_variant_of(hw), latency);
    else
        snprintf(out, n,
                 "model:rows=%u,cols=%u,wbuf=%u,abuf=%u,obuf=%u,imem=%u,queue=%u,burst=%u,"
                 "latency=%u,dram=268435456",
                 hw->rows, hw->cols, hw->wbuf_chunks, hw->abuf_words, hw->obuf_words,
                 hw->imem_depth, hw->queue_depth, hw->burst_beats, latency);
}

/* whether report layer L is one of the point's chosen layers ("all", or a
 * list of names) */
static int layer_chosen(json_t *layers, const tlpu_report_layer *L)
{
    if (!layers || (json_is_string(layers) && !strcmp(json_string_value(layers), "all")))
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(layers, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), L->name))
        return 1;
    return 0;
}

/* ---- a point: its parameters as options ------------------------------------------------- */

static const char *const k_other[] = {"variant", "clock", "latency", "packing", "energy", "zeros",
                                      NULL};

static int known_key(const char *k)
{
    uint64_t lo, hi;
    if (tlpu_hw_param_range(k, &lo, &hi) == TLPU_OK)
        return 1;
    for (int i = 0; k_other[i]; i++)
        if (!strcmp(k, k_other[i]))
            return 1;
    return 0;
}

/* the estimate's options for a point; *energy gets its table's name */
static tlpu_status point_opts(json_t *pt, tlpu_est_opts *o, const char **energy, tlpu_net *net,
                              char *err, size_t errlen)
{
    tlpu_est_opts_init(o);
    *energy = "7nm";
    const char *model = json_string_value(json_object_get(pt, "model"));
    json_t *params = json_object_get(pt, "params");
    if (!model || !json_is_object(params))
        return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "the point has no model or params");
    char e2[256];
    if (tlpu_net_open(model, net, e2, sizeof e2) != TLPU_OK)
        return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "model: %s", e2);
    o->prefill = (uint32_t)json_integer_value(json_object_get(pt, "prefill"));
    o->decode = (uint32_t)json_integer_value(json_object_get(pt, "decode"));
    o->context = (uint32_t)json_integer_value(json_object_get(pt, "context"));
    /* a built core's whole configuration first; the other keys change it */
    json_t *var = json_object_get(params, "variant");
    if (var) {
        tlpu_fcore_config c;
        if (!json_is_string(var) || tlpu_fcore_config_init(&c) != TLPU_OK ||
            tlpu_fcore_config_variant(&c, json_string_value(var)) != TLPU_OK)
            return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE,
                               "variant must be default, small or large (tlpu/sim.h)");
        o->hw = c.hw;
    }
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v)
    {
        uint64_t lo, hi;
        if (!strcmp(k, "variant"))
            continue;
        if (tlpu_hw_param_range(k, &lo, &hi) == TLPU_OK) {
            json_int_t x = json_integer_value(v);
            if (!json_is_integer(v) || x < 0 || (uint64_t)x < lo || (uint64_t)x > hi)
                return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "%s must be an integer in [%llu, %llu]",
                            k, (unsigned long long)lo, (unsigned long long)hi);
            tlpu_hw_set(&o->hw, k, (uint64_t)x);
        } else if (!strcmp(k, "clock")) {
            o->clock_hz = json_number_value(v);
            if (!json_is_number(v) || !(o->clock_hz >= 1e3 && o->clock_hz <= 1e11))
                return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "clock must be 1e3 .. 1e11 Hz");
        } else if (!strcmp(k, "latency")) {
            json_int_t x = json_integer_value(v);
            if (!json_is_integer(v) || x < 1 || x > 1000000)
                return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "latency must be 1 .. 1000000 cycles");
            o->mem_latency = (uint32_t)x;
        } else if (!strcmp(k, "zeros")) {
            o->zero_frac = json_number_value(v);
            if (!json_is_number(v) || !(o->zero_frac >= 0 && o->zero_frac <= 1))
                return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "zeros must be a fraction in [0, 1]");
        } else if (!strcmp(k, "packing")) {
            const char *s = json_string_value(v);
            if (s && !strcmp(s, "base3"))
                o->fmt = TLPU_FMT_PACK3;
            else if (s && !strcmp(s, "2bit"))
                o->fmt = TLPU_FMT_PACK2;
            else
                return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "packing must be base3 or 2bit");
        } else if (!strcmp(k, "energy")) {
            if (!json_is_string(v))
                return tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "energy must be a table's name or file");
            *energy = json_string_value(v);
        } else
            return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "unknown parameter '%s'", k);
    }
    if (tlpu_hw_check(&o->hw) != TLPU_OK) /* a possible value, an impossible combination */
        return tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                    "%u x %u with these buffers is not a buildable core (rows a multiple of 4, "
                    "cols of 20, wbuf and queue powers of two)",
                    o->hw.rows, o->hw.cols);
    return TLPU_OK;
}

/* whether a model tiles depends on the core, packing, latency and phases
 * only: remembered, as most of a grid's points share them */
typedef struct fit_memo {
    char model[64];
    tlpu_hw hw;
    unsigned fmt;
    uint32_t latency, prefill, decode;
    tlpu_status st;
    char why[300];
} fit_memo;

static tlpu_status point_fits_uncached(const tlpu_net *net, const tlpu_est_opts *o, char *err,
                                       size_t errlen);

static tlpu_status point_fits(const tlpu_net *net, const tlpu_est_opts *o, char *err,
                              size_t errlen)
{
    static _Thread_local fit_memo memo[256];
    static _Thread_local unsigned nmemo, next;
    for (unsigned i = 0; i < nmemo; i++) {
        const fit_memo *f = &memo[i];
        if (!strcmp(f->model, net->name) && !memcmp(&f->hw, &o->hw, sizeof o->hw) &&
            f->fmt == o->fmt && f->latency == o->mem_latency && f->prefill == o->prefill &&
            f->decode == o->decode) {
            if (f->st != TLPU_OK && err && errlen)
                snprintf(err, errlen, "%s", f->why);
            return f->st;
        }
    }
    fit_memo *f = &memo[next];
    next = (next + 1) % 256;
    if (nmemo < 256)
        nmemo++;
    memset(f, 0, sizeof *f);
    snprintf(f->model, sizeof f->model, "%s", net->name);
    f->hw = o->hw;
    f->fmt = o->fmt, f->latency = o->mem_latency, f->prefill = o->prefill, f->decode = o->decode;
    f->st = point_fits_uncached(net, o, f->why, sizeof f->why);
    if (f->st != TLPU_OK && err && errlen)
        snprintf(err, errlen, "%s", f->why);
    return f->st;
}

/* every BitLinear of the model tiles on the core for both phases */
static tlpu_status point_fits_uncached(const tlpu_net *net, const tlpu_est_opts *o, char *err,
                                       size_t errlen)
{
    for (uint32_t i = 0; i < net->nlinear; i++)
        for (int ph = 0; ph < 2; ph++) {
            const uint32_t m = ph ? 1 : o->prefill;
            if (!m || (ph && !o->decode))
                continue;
            tlpu_tiling t;
            tlpu_status st = tlpu_tile_bitlinear_effort(&o->hw, m, net->linear[i].in,
                                                        net->linear[i].out, o->fmt,
                                                        o->mem_latency, TLPU_TILE_NONE, &t);
            if (st != TLPU_OK)
                return tlpu_errbuf(err, errlen, st, "%s %ux%ux%u does not tile on this core: %s",
                            net->linear[i].name, m, net->linear[i].in, net->linear[i].out,
                            st == TLPU_ERR_SHAPE ? "the activation buffer cannot hold a row of K"
                                                 : tlpu_strerror(st));
        }
    return TLPU_OK;
}

/* ---- plan --------------------------------------------------------------------------------- */

/* a model or table given as a file: its absolute path, as the points must
 * work from any directory (a Slurm task runs in the sweep's); a built-in
 * name stays as it is */
static json_t *absolute_if_file(json_t *v)
{
    char buf[PATH_MAX];
    struct stat sb;
    const char *s = json_string_value(v);
    if (s && strchr(s, '/') && stat(s, &sb) == 0 && S_ISREG(sb.st_mode) && realpath(s, buf))
        return json_string(buf);
    return json_incref(v);
}


/* the values of one grid key: a list, or {"from", "to", "step"|"times"} */
static tlpu_status grid_values(const char *spec, const char *key, json_t *g, json_t **out,
                               char *err, size_t errlen)
{
    json_t *vals = json_array();
    if (json_is_array(g)) {
        size_t i;
        json_t *v;
        json_array_foreach(g, i, v)
        {
            if (!json_is_number(v) && !json_is_string(v)) {
                json_decref(vals);
                return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                            "%s: grid.%s[%zu] must be a number or a string", spec, key, i);
            }
            json_array_append(vals, v);
        }
    } else if (json_is_object(g)) {
        json_t *jf = json_object_get(g, "from"), *jt = json_object_get(g, "to");
        json_t *js = json_object_get(g, "step"), *jm = json_object_get(g, "times");
        double f = json_number_value(jf), t = json_number_value(jt);
        double s = json_number_value(js), m = json_number_value(jm);
        int ints = json_is_integer(jf) && json_is_integer(jt) && (!js || json_is_integer(js));
        if (!json_is_number(jf) || !json_is_number(jt) || !!js == !!jm || t < f ||
            (js && !(s > 0)) || (jm && !(m > 1)) || json_object_size(g) != 3) {
            json_decref(vals);
            return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                        "%s: grid.%s must be {\"from\": a, \"to\": b >= a, and \"step\": s > 0 "
                        "or \"times\": t > 1}",
                        spec, key);
        }
        for (double x = f; x <= t * (1 + 1e-12); x = js ? x + s : x * m) {
            if (json_array_size(vals) >= MAX_VALUES)
                break;
            json_array_append_new(vals, ints ? json_integer((json_int_t)llround(x)) : json_real(x));
        }
    }
    if (!json_array_size(vals) || json_array_size(vals) >= MAX_VALUES) {
        json_decref(vals);
        return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: grid.%s must give 1 .. %u values", spec,
                    key, MAX_VALUES - 1);
    }
    *out = vals;
    return TLPU_OK;
}

tlpu_status tlpu_sweep_plan(const char *spec_path, const char *dir, tlpu_sweep_counts *out,
                            char *err, size_t errlen)
{
    if (!spec_path || !dir)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_sweep_plan: NULL argument");
    tlpu_status st;
    json_t *spec = read_json(spec_path, err, errlen, &st);
    if (!spec)
        return st;
    json_t *keys[MAX_KEYS], *vals[MAX_KEYS], *rejected = json_array();
    const char *names[MAX_KEYS];
    /* what this call created, taken away again if it fails */
    int made_dir = 0, made_sub[4] = {0}, made_rejected = 0;
    uint32_t planned = 0;
    size_t nkeys = 0;
    json_t *models = json_object_get(spec, "models"), *grid = json_object_get(spec, "grid");
    const char *engine = "estimate";
    static const char *const top[] = {"tlpu_sweep", "name",   "models", "prefill",
                                      "decode",     "context", "grid",   "engine",
                                      "layers",     "seed",    "metrics", NULL};
    json_t *layers = json_object_get(spec, "layers"), *metrics = json_object_get(spec, "metrics");
    json_t *jseed = json_object_get(spec, "seed");
    const char *k;
    json_t *v;
    json_object_foreach(spec, k, v)
    {
        int ok = 0;
        for (int i = 0; top[i]; i++)
            ok |= !strcmp(k, top[i]);
        if (!ok) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                      "%s: unknown key \"%s\" (tlpu_sweep, name, models, prefill, decode, "
                      "context, engine, layers, seed, metrics, grid)",
                      spec_path, k);
            goto out;
        }
    }
    if (json_integer_value(json_object_get(spec, "tlpu_sweep")) != 1) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"tlpu_sweep\": 1 is required", spec_path);
        goto out;
    }
    json_t *jname = json_object_get(spec, "name");
    if (jname && !json_is_string(jname)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"name\" must be a string",
                         spec_path);
        goto out;
    }
    if (json_object_get(spec, "engine")) {
        engine = json_string_value(json_object_get(spec, "engine"));
        if (!engine || (strcmp(engine, "estimate") && !is_device_engine(engine))) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                             "%s: engine \"%s\": one of \"estimate\", \"model:\" (the functional "
                             "core) or \"sim:\" (the Verilated RTL)",
                             spec_path, engine ? engine : "(not a string)");
            goto out;
        }
    }
    const int dev = is_device_engine(engine);
    if ((layers || jseed) && !dev) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                         "%s: \"%s\" needs a device engine (\"model:\" or \"sim:\")", spec_path,
                         layers ? "layers" : "seed");
        goto out;
    }
    if (layers && !(json_is_string(layers) && !strcmp(json_string_value(layers), "all"))) {
        size_t li;
        json_t *lv;
        int ok = json_is_array(layers) && json_array_size(layers) > 0;
        json_array_foreach(layers, li, lv) ok &= json_is_string(lv);
        if (!ok) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                             "%s: \"layers\" must be \"all\" or a list of BitLinear names",
                             spec_path);
            goto out;
        }
    }
    if (jseed && (!json_is_integer(jseed) || json_integer_value(jseed) < 0)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"seed\" must be an integer >= 0",
                         spec_path);
        goto out;
    }
    if (metrics) {
        size_t xi;
        json_t *xv;
        if (!json_is_array(metrics) || !json_array_size(metrics)) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"metrics\" must list metric names",
                             spec_path);
            goto out;
        }
        json_array_foreach(metrics, xi, xv)
        {
            const char *m = json_string_value(xv);
            if (!m || !(in_list(k_metrics, m) || (dev && in_list(k_dev_metrics, m)))) {
                st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                                 "%s: metrics[%zu]: unknown metric \"%s\"%s (docs/sweep.md lists "
                                 "them)",
                                 spec_path, xi, m ? m : "(not a string)",
                                 m && in_list(k_dev_metrics, m) ? " without a device engine" : "");
                goto out;
            }
        }
    }
    if (!json_is_array(models) || !json_array_size(models) || json_array_size(models) > 64) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"models\" must list 1 .. 64 models",
                  spec_path);
        goto out;
    }
    size_t mi;
    json_array_foreach(models, mi, v)
    {
        tlpu_net net;
        char e2[256];
        if (!json_is_string(v) || tlpu_net_open(json_string_value(v), &net, e2, sizeof e2)) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: models[%zu]: %s", spec_path, mi,
                      json_is_string(v) ? e2 : "not a string");
            goto out;
        }
        size_t li;
        json_t *lv;
        json_array_foreach(layers, li, lv)
        {
            uint32_t j = 0;
            while (j < net.nlinear && strcmp(net.linear[j].name, json_string_value(lv)))
                j++;
            if (j == net.nlinear) {
                st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                                 "%s: layers[%zu]: %s has no BitLinear \"%s\"", spec_path, li,
                                 net.name, json_string_value(lv));
                goto out;
            }
        }
    }
    uint32_t phase[3] = {64, 64, 0};
    const char *pk[3] = {"prefill", "decode", "context"};
    for (int i = 0; i < 3; i++) {
        json_t *p = json_object_get(spec, pk[i]);
        if (!p)
            continue;
        if (!json_is_integer(p) || json_integer_value(p) < 0 ||
            json_integer_value(p) > (1 << 20)) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"%s\" must be 0 .. 1048576 tokens",
                      spec_path, pk[i]);
            goto out;
        }
        phase[i] = (uint32_t)json_integer_value(p);
    }
    if (!phase[0] && !phase[1]) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: prefill and decode are both 0", spec_path);
        goto out;
    }
    if (grid && !json_is_object(grid)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"grid\" must be an object", spec_path);
        goto out;
    }
    json_t *absm = json_array();
    json_array_foreach(models, mi, v) json_array_append_new(absm, absolute_if_file(v));
    json_object_set_new(spec, "models", absm); /* spec.json records what the points use */
    models = absm;
    uint64_t total = json_array_size(models);
    json_object_foreach(grid, k, v)
    {
        if (!known_key(k)) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                      "%s: grid: unknown parameter \"%s\" (variant, %s, clock, latency, packing, "
                      "energy, zeros)",
                      spec_path, k, tlpu_hw_param_names());
            goto out;
        }
        if (nkeys == MAX_KEYS) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: grid: at most %u parameters", spec_path,
                      MAX_KEYS);
            goto out;
        }
        if ((st = grid_values(spec_path, k, v, &vals[nkeys], err, errlen)) != TLPU_OK)
            goto out;
        if (!strcmp(k, "energy")) { /* every table loads, named absolutely */
            size_t ei;
            json_t *ev;
            json_array_foreach(vals[nkeys], ei, ev)
            {
                tlpu_energy_table *tab = NULL;
                char e2[512] = "";
                if (!json_is_string(ev) ||
                    tlpu_energy_open(json_string_value(ev), &tab, e2, sizeof e2) != TLPU_OK) {
                    json_decref(vals[nkeys]);
                    st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: grid.energy[%zu]: %s",
                                     spec_path, ei,
                                     json_is_string(ev) ? e2 : "a table's name or file");
                    goto out;
                }
                tlpu_energy_free(tab);
                json_array_set_new(vals[nkeys], ei, absolute_if_file(ev));
            }
        }
        names[nkeys] = k;
        keys[nkeys] = NULL;
        total *= json_array_size(vals[nkeys]);
        nkeys++;
        if (total > MAX_POINTS) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_RANGE, "%s: the grid has more than %u points",
                      spec_path, MAX_POINTS);
            goto out;
        }
    }
    (void)keys;
    /* the directory: new, or empty of any plan */
    char p[4200];
    static const char *const subs[] = {"points", "results", "failed", "running"};
    if (mkdir(dir, 0755) == 0) {
        made_dir = 1;
    } else if (errno != EEXIST) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
        goto out;
    }
    path_of(p, sizeof p, dir, NULL, 0, "spec.json");
    if (exists(p)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                  "%s already holds a plan (spec.json): plan into a new directory", dir);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
        if (mkdir(p, 0755) == 0) {
            made_sub[i] = 1;
        } else if (errno != EEXIST) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
            goto out;
        }
        /* what an interrupted plan (or anything else) left would mix with this plan */
        DIR *d = opendir(p);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                break;
        int used = d && e;
        if (d)
            closedir(d);
        if (used) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                             "%s is not empty (an interrupted plan?): plan into a new directory",
                             p);
            goto out;
        }
    }
    /* every combination, models outermost, the grid's keys in their order */
    size_t idx[MAX_KEYS] = {0};
    for (uint64_t c = 0; c < total; c++) {
        uint64_t rest = c;
        for (size_t i = nkeys; i-- > 0;) {
            idx[i] = rest % json_array_size(vals[i]);
            rest /= json_array_size(vals[i]);
        }
        json_t *pt = json_object();
        json_object_set(pt, "model", json_array_get(models, rest));
        json_object_set_new(pt, "prefill", json_integer(phase[0]));
        json_object_set_new(pt, "decode", json_integer(phase[1]));
        json_object_set_new(pt, "context", json_integer(phase[2]));
        json_object_set_new(pt, "engine", json_string(engine));
        if (dev) {
            json_object_set_new(pt, "layers", layers ? json_deep_copy(layers) : json_string("all"));
            json_object_set_new(pt, "seed", json_integer(jseed ? json_integer_value(jseed) : 1));
        }
        if (metrics)
            json_object_set_new(pt, "metrics", json_deep_copy(metrics));
        json_t *params = json_object();
        for (size_t i = 0; i < nkeys; i++)
            json_object_set(params, names[i], json_array_get(vals[i], idx[i]));
        json_object_set_new(pt, "params", params);
        tlpu_est_opts o;
        tlpu_net net;
        const char *energy;
        char why[300];
        tlpu_status ps = point_opts(pt, &o, &energy, &net, why, sizeof why);
        if (ps != TLPU_OK && ps != TLPU_ERR_UNSUPPORTED) { /* a value no point can have */
            json_decref(pt);
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: grid: %s", spec_path, why);
            goto out;
        }
        if (ps == TLPU_OK)
            ps = point_fits(&net, &o, why, sizeof why);
        if (ps == TLPU_OK && !strcmp(engine, "sim:") && !sim_variant_of(&o.hw)) {
            snprintf(why, sizeof why,
                     "sim: has no %ux%u core with these buffers built (variants default 32x80, "
                     "small 4x20, large 64x160, each with its own buffers: tlpu sim --help); "
                     "engine model: takes any core",
                     o.hw.rows, o.hw.cols);
            ps = TLPU_ERR_UNSUPPORTED;
        }
        if (ps != TLPU_OK) {
            json_object_set_new(pt, "reason", json_string(why));
            json_array_append_new(rejected, pt);
            continue;
        }
        json_object_set_new(pt, "index", json_integer(planned));
        path_of(p, sizeof p, dir, "points", planned, "json");
        st = write_json(p, pt, err, errlen);
        json_decref(pt);
        if (st != TLPU_OK)
            goto out;
        planned++;
    }
    path_of(p, sizeof p, dir, NULL, 0, "rejected.json");
    if ((st = write_json(p, rejected, err, errlen)) != TLPU_OK)
        goto out;
    made_rejected = 1;
    /* the description last: its presence says the plan is complete */
    path_of(p, sizeof p, dir, NULL, 0, "spec.json");
    if ((st = write_json(p, spec, err, errlen)) != TLPU_OK)
        goto out;
    if (out) {
        memset(out, 0, sizeof *out);
        out->points = planned;
        out->rejected = (uint32_t)json_array_size(rejected);
        out->pending = planned;
    }
out:
    if (st != TLPU_OK) {
        /* a refused plan leaves nothing behind: the points written so far
         * (spec.json, written last, is not there), then what was created */
        for (uint32_t i = 0; i < planned; i++) {
            path_of(p, sizeof p, dir, "points", i, "json");
            unlink(p);
        }
        if (made_rejected) {
            path_of(p, sizeof p, dir, NULL, 0, "rejected.json");
            unlink(p);
        }
        for (int i = 0; i < 4; i++)
            if (made_sub[i]) {
                snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
                rmdir(p);
            }
        if (made_dir)
            rmdir(dir);
    }
    for (size_t i = 0; i < nkeys; i++)
        json_decref(vals[i]);
    json_decref(rejected);
    json_decref(spec);
    return st;
}

/* ---- run ----------------------------------------------------------------------------------- */

static void put_metric(json_t *m, const char *k, double v)
{
    json_object_set_new(m, k, isfinite(v) ? json_real(v) : json_null());
}

/* the device engine: the point's chosen layers run on its core, checked
 * against the estimate; their measured activity then prices the totals */
static tlpu_status run_device(json_t *pt, const char *engine, const tlpu_net *net,
                              const tlpu_est_opts *o, const tlpu_energy_table *tab, tlpu_report *r,
                              tlpu_tiling *plans, json_t *m, json_t *res, char *why, size_t wl)
{
    char uri[512];
    device_uri(uri, sizeof uri, engine, &o->hw, o->mem_latency);
    tlpu_dev *dev = NULL;
    if (tlpu_open(uri, &dev) != TLPU_OK)
        return tlpu_errbuf(why, wl, TLPU_ERR_DEVICE, "cannot open %s: %s", uri, tlpu_last_error());
    json_t *layers = json_object_get(pt, "layers"), *out = json_array();
    uint64_t seed = (uint64_t)json_integer_value(json_object_get(pt, "seed"));
    uint64_t dcyc = 0, ecyc = 0;
    uint32_t nrun = 0;
    int exact = 1, agree = 1;
    tlpu_status st = TLPU_OK;
    for (uint32_t i = 0; i < r->nlayers && st == TLPU_OK; i++) {
        tlpu_report_layer *L = &r->layer[i];
        if (!layer_chosen(layers, L))
            continue;
        const uint64_t est = L->cycles;
        st = tlpu_simulate_layer(dev, uri, L, &plans[i], o->zero_frac, seed * 1000003u + i, why,
                                 wl);
        if (st != TLPU_OK)
            break;
        const int ok = L->sim_cycles == est && L->sim_counters_agree;
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(L->name));
        json_object_set_new(e, "phase", json_string(L->phase));
        json_object_set_new(e, "m", json_integer(L->m));
        json_object_set_new(e, "k", json_integer(L->k));
        json_object_set_new(e, "n", json_integer(L->n));
        json_object_set_new(e, "device_cycles", json_integer((json_int_t)L->sim_cycles));
        json_object_set_new(e, "estimate_cycles", json_integer((json_int_t)est));
        json_object_set_new(e, "exact", json_boolean(L->sim_exact));
        json_object_set_new(e, "agree", json_boolean(ok));
        json_array_append_new(out, e);
        dcyc += L->sim_cycles, ecyc += est, nrun++;
        exact &= L->sim_exact, agree &= ok;
    }
    tlpu_close(dev);
    if (st == TLPU_OK && !nrun)
        st = tlpu_errbuf(why, wl, TLPU_ERR_INVALID_ARG, "the point's layers name no layer of %s",
                         net->name);
    if (st == TLPU_OK && (st = tlpu_estimate_totals(net, o, tab, r)) != TLPU_OK)
        snprintf(why, wl, "pricing %s: %s", net->name, tlpu_strerror(st));
    if (st != TLPU_OK) {
        json_decref(out);
        return st;
    }
    json_object_set_new(m, "device_layers", json_integer(nrun));
    json_object_set_new(m, "device_cycles", json_integer((json_int_t)dcyc));
    json_object_set_new(m, "estimate_cycles", json_integer((json_int_t)ecyc));
    json_object_set_new(m, "device_exact", json_integer(exact));
    json_object_set_new(m, "device_agree", json_integer(agree));
    json_object_set_new(res, "device", json_string(uri));
    json_object_set_new(res, "layers", out);
    return TLPU_OK;
}

/* the estimate (and device) metrics of a point */
static tlpu_status run_point(json_t *pt, json_t *res, char *why, size_t wl)
{
    tlpu_est_opts o;
    tlpu_net net;
    const char *energy;
    tlpu_energy_table *tab = NULL;
    static _Thread_local tlpu_report r;
    static _Thread_local tlpu_tiling plans[TLPU_REPORT_MAX_LAYERS];
    const char *engine = json_string_value(json_object_get(pt, "engine"));
    if (!engine || (strcmp(engine, "estimate") && !is_device_engine(engine)))
        return tlpu_errbuf(why, wl, TLPU_ERR_FORMAT, "the point's engine is not one tlpu knows");
    tlpu_status st = point_opts(pt, &o, &energy, &net, why, wl);
    if (st == TLPU_OK)
        st = tlpu_energy_open(energy, &tab, why, wl);
    if (st == TLPU_OK && (st = tlpu_estimate_net(&net, &o, tab, &r, plans)) != TLPU_OK)
        snprintf(why, wl, "estimating %s: %s", net.name, tlpu_strerror(st));
    json_t *m = json_object();
    if (st == TLPU_OK && is_device_engine(engine))
        st = run_device(pt, engine, &net, &o, tab, &r, plans, m, res, why, wl);
    if (st == TLPU_OK) {
        const tlpu_report_phase *pf = &r.prefill, *dc = &r.decode;
        json_t *all = json_object();
        put_metric(all, "prefill_s", pf->tokens ? pf->seconds : NAN);
        put_metric(all, "prefill_tokens_per_s", pf->tokens ? pf->tokens_per_s : NAN);
        put_metric(all, "prefill_j_per_token", pf->tokens ? pf->joules_per_token : NAN);
        put_metric(all, "ms_per_token", dc->tokens ? 1e3 * dc->seconds / dc->tokens : NAN);
        put_metric(all, "tokens_per_s", dc->tokens ? dc->tokens_per_s : NAN);
        put_metric(all, "j_per_token", dc->tokens ? dc->joules_per_token : NAN);
        put_metric(all, "pj_per_mac", dc->tokens ? dc->pj_per_mac : pf->pj_per_mac);
        put_metric(all, "lanes", (double)o.hw.rows * o.hw.cols);
        put_metric(all, "weight_bytes", (double)(o.fmt == TLPU_FMT_PACK3 ? r.footprint.base3
                                                                          : r.footprint.two_bit));
        /* null when the point's table has no area entries (tlpu/area.h) */
        tlpu_area_breakdown ar;
        put_metric(all, "area_mm2",
                   tlpu_area_estimate(&o.hw, tab, &ar, NULL, 0) == TLPU_OK ? ar.total : NAN);
        json_object_update(all, m);
        /* the ones the sweep keeps, in its order (default: all) */
        json_t *keep = json_object_get(pt, "metrics");
        json_t *sel = keep ? json_object() : json_incref(all);
        size_t i;
        json_t *k;
        json_array_foreach(keep, i, k)
        {
            json_t *v = json_object_get(all, json_string_value(k));
            json_object_set(sel, json_string_value(k), v ? v : json_null());
        }
        json_object_set_new(res, "metrics", sel);
        json_decref(all);
    }
    json_decref(m);
    tlpu_energy_free(tab);
    return st;
}

/* holds point i's lock (running/NNNNNN.lock, flock: released by the kernel
 * when the process dies, however it dies) while it runs; returns the fd */
static int lock_point(const char *dir, uint32_t index, char *lp, size_t lpn)
{
    char d[4200];
    snprintf(d, sizeof d, "%s/running", dir);
    mkdir(d, 0755);
    path_of(lp, lpn, dir, "running", index, "lock");
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

tlpu_status tlpu_sweep_run(const char *dir, uint32_t index, int force, int *skipped, char *err,
                           size_t errlen)
{
    if (!dir)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_sweep_run: NULL argument");
    if (skipped)
        *skipped = 0;
    char pp[4200], rp[4200], fp[4200], lp[4200];
    path_of(pp, sizeof pp, dir, "points", index, "json");
    path_of(rp, sizeof rp, dir, "results", index, "json");
    path_of(fp, sizeof fp, dir, "failed", index, "txt");
    if (!exists(pp))
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "%s: no point %u (tlpu sweep plan first)",
                    dir, index);
    if (!force && exists(rp)) {
        if (skipped)
            *skipped = 1;
        return TLPU_OK;
    }
    /* one run of a point at a time, whoever started it (a requeued task,
     * a second engine on the same directory): the later one waits, then
     * finds the result and skips */
    int lfd = lock_point(dir, index, lp, sizeof lp);
    if (lfd < 0)
        return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: cannot lock: %s", lp, strerror(errno));
    if (!force && exists(rp)) {
        if (skipped)
            *skipped = 1;
        unlink(lp);
        close(lfd);
        return TLPU_OK;
    }
    tlpu_status st;
    json_t *pt = read_json(pp, err, errlen, &st);
    if (!pt) {
        unlink(lp);
        close(lfd);
        return st;
    }
    char why[1024] = "";
    json_t *res = json_object();
    json_object_set(res, "index", json_object_get(pt, "index"));
    json_object_set(res, "model", json_object_get(pt, "model"));
    json_object_set(res, "params", json_object_get(pt, "params"));
    st = run_point(pt, res, why, sizeof why);
    if (st == TLPU_OK) {
        st = write_json(rp, res, err, errlen);
        if (st == TLPU_OK)
            unlink(fp);
    } else {
        char text[1200];
        snprintf(text, sizeof text, "point %u: %s\n", index, why);
        write_atomic(fp, text, NULL, 0);
        tlpu_errbuf(err, errlen, st, "point %u: %s", index, why);
    }
    /* unlinked under the lock: whoever waits on the old file, or opens a
     * new one, decides by the result's presence alone */
    unlink(lp);
    close(lfd);
    json_decref(res);
    json_decref(pt);
    return st;
}

/* ---- status and merge ------------------------------------------------------------------- */

static tlpu_status count_points(const char *dir, uint32_t *n, char *err, size_t errlen)
{
    char p[4200];
    path_of(p, sizeof p, dir, NULL, 0, "spec.json");
    if (!exists(p))
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "%s: not a planned sweep (no spec.json)",
                    dir);
    uint32_t i = 0;
    for (;; i++) {
        path_of(p, sizeof p, dir, "points", i, "json");
        if (!exists(p))
            break;
    }
    *n = i;
    return TLPU_OK;
}

tlpu_status tlpu_sweep_status(const char *dir, tlpu_sweep_counts *out, char *err, size_t errlen)
{
    if (!dir || !out)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_sweep_status: NULL argument");
    memset(out, 0, sizeof *out);
    tlpu_status st = count_points(dir, &out->points, err, errlen);
    if (st != TLPU_OK)
        return st;
    char p[4200];
    for (uint32_t i = 0; i < out->points; i++) {
        path_of(p, sizeof p, dir, "results", i, "json");
        if (exists(p)) {
            out->done++;
            continue;
        }
        path_of(p, sizeof p, dir, "running", i, "lock");
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
            close(fd);
            if (held) {
                out->running++;
                continue;
            }
        }
        path_of(p, sizeof p, dir, "failed", i, "txt");
        if (exists(p))
            out->failed++;
        else
            out->pending++;
    }
    path_of(p, sizeof p, dir, NULL, 0, "rejected.json");
    json_t *rj = json_load_file(p, 0, NULL);
    out->rejected = (uint32_t)json_array_size(rj);
    json_decref(rj);
    return TLPU_OK;
}

static void csv_value(FILE *f, json_t *v)
{
    if (json_is_integer(v))
        fprintf(f, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        fprintf(f, "%.17g", json_real_value(v));
    else if (json_is_string(v)) {
        fputc('"', f);
        for (const char *s = json_string_value(v); *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    }
}

tlpu_status tlpu_sweep_merge(const char *dir, uint32_t *rows, char *err, size_t errlen)
{
    if (!dir)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_sweep_merge: NULL argument");
    uint32_t n = 0;
    tlpu_status st = count_points(dir, &n, err, errlen);
    if (st != TLPU_OK)
        return st;
    json_t *all = json_array();
    char p[4200];
    for (uint32_t i = 0; i < n; i++) {
        path_of(p, sizeof p, dir, "results", i, "json");
        if (!exists(p))
            continue;
        json_t *r = read_json(p, err, errlen, &st);
        if (!r || !json_is_object(json_object_get(r, "metrics"))) {
            json_decref(r);
            json_decref(all);
            return r ? tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: no metrics", p) : st;
        }
        json_array_append_new(all, r);
    }
    /* the CSV's columns: index, model, the parameters, the metrics (of the first row) */
    char *csv = NULL;
    size_t csvlen = 0;
    FILE *f = open_memstream(&csv, &csvlen);
    if (!f) {
        json_decref(all);
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    }
    json_t *first = json_array_get(all, 0);
    const char *k;
    json_t *v;
    fputs("index,model", f);
    json_object_foreach(json_object_get(first, "params"), k, v) fprintf(f, ",%s", k);
    json_object_foreach(json_object_get(first, "metrics"), k, v) fprintf(f, ",%s", k);
    fputc('\n', f);
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        csv_value(f, json_object_get(r, "index"));
        fputc(',', f);
        csv_value(f, json_object_get(r, "model"));
        json_object_foreach(json_object_get(first, "params"), k, v)
        {
            fputc(',', f);
            csv_value(f, json_object_get(json_object_get(r, "params"), k));
        }
        json_object_foreach(json_object_get(first, "metrics"), k, v)
        {
            fputc(',', f);
            csv_value(f, json_object_get(json_object_get(r, "metrics"), k));
        }
        fputc('\n', f);
    }
    fclose(f);
    path_of(p, sizeof p, dir, NULL, 0, "merged.csv");
    st = csv ? write_atomic(p, csv, err, errlen) : tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    free(csv);
    if (st == TLPU_OK) {
        path_of(p, sizeof p, dir, NULL, 0, "merged.json");
        st = write_json(p, all, err, errlen);
    }
    if (rows)
        *rows = (uint32_t)json_array_size(all);
    json_decref(all);
    return st;
}
