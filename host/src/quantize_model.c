/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu quantize's library half (tlpu/quantize_model.h): a BitNet GGUF file's
 * BitLinear weights through BitNet's absmean ternarization (or not) and the
 * TQ1_0 / TQ2_0 / I2_S quantizers of tlpu/pack.h, the rest copied, written
 * with tlpu/gguf_write.h the way llama-quantize / bitnet.cpp write it.
 *
 * The work runs in two passes over the tensors: the first classifies each
 * and checks everything that can be checked without quantizing (types,
 * shapes, row lengths), so a bad file fails before any heavy work; the
 * second quantizes, measures and hands each tensor to the writer.
 */
#include "tlpu/quantize_model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlpu/fp.h"
#include "tlpu/gguf_write.h"
#include "tlpu/pack.h"
#include "tlpu/quant.h"

#if defined(__GNUC__)
#define QM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define QM_PRINTF(f, a)
#endif

#define QM_QNT_VERSION 2u /* ggml's GGML_QNT_VERSION, which llama-quantize writes */

/* ---- names ------------------------------------------------------------------------ */

const char *tlpu_ptq_name(tlpu_ptq ptq)
{
    switch (ptq) {
    case TLPU_PTQ_ABSMEAN: return "absmean";
    case TLPU_PTQ_NONE: return "none";
    default: return NULL;
    }
}

tlpu_status tlpu_ptq_parse(const char *name, tlpu_ptq *out)
{
    if (!name || !out)
        return TLPU_ERR_INVALID_ARG;
    if (strcmp(name, "absmean") == 0)
        *out = TLPU_PTQ_ABSMEAN;
    else if (strcmp(name, "none") == 0)
        *out = TLPU_PTQ_NONE;
    else
        return TLPU_ERR_INVALID_ARG;
    return TLPU_OK;
}

static int out_type_ok(uint32_t type)
{
    return type == TLPU_GGUF_TYPE_TQ1_0 || type == TLPU_GGUF_TYPE_TQ2_0 ||
           type == TLPU_GGUF_TYPE_I2_S;
}

tlpu_status tlpu_quantize_type_parse(const char *name, uint32_t *type)
{
    if (!name || !type)
        return TLPU_ERR_INVALID_ARG;
    static const uint32_t types[] = {TLPU_GGUF_TYPE_TQ2_0, TLPU_GGUF_TYPE_TQ1_0,
                                     TLPU_GGUF_TYPE_I2_S};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(name, tlpu_gguf_type_name(types[i])) == 0) {
            *type = types[i];
            return TLPU_OK;
        }
    return TLPU_ERR_INVALID_ARG;
}

uint32_t tlpu_quantize_file_type(uint32_t type)
{
    switch (type) {
    case TLPU_GGUF_TYPE_TQ1_0: return 36; /* LLAMA_FTYPE_MOSTLY_TQ1_0 */
    case TLPU_GGUF_TYPE_TQ2_0: return 37; /* LLAMA_FTYPE_MOSTLY_TQ2_0 */
    case TLPU_GGUF_TYPE_I2_S: return 40;  /* bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S */
    default: return 0;
    }
}

int tlpu_quantize_is_bitlinear(const char *name)
{
    static const char *const kinds[] = {"attn_q",   "attn_k", "attn_v",  "attn_output",
                                        "ffn_gate", "ffn_up", "ffn_down"};
    if (!name || strncmp(name, "blk.", 4) != 0)
        return 0;
    const char *p = name + 4;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != '.')
        return 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]);
        if (strncmp(p, kinds[i], n) == 0 && strcmp(p + n, ".weight") == 0)
            return 1;
    }
    return 0;
}

static int is_float_type(uint32_t type)
{
    return type == TLPU_GGUF_TYPE_F32 || type == TLPU_GGUF_TYPE_F16 ||
           type == TLPU_GGUF_TYPE_BF16;
}

static int is_ternary_type(uint32_t type) { return out_type_ok(type); }

/* ---- the one-line description ---------------------------------------------------------- */

static void shape_text(const tlpu_quantize_tensor *t, char *buf, size_t size)
{
    if (t->n_dims == 0) {
        snprintf(buf, size, "scalar");
        return;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t d = 0; d < t->n_dims && at < size; d++) {
        int k = snprintf(buf + at, size - at, "%s%llu", d ? " x " : "",
                         (unsigned long long)t->ne[d]);
        if (k < 0)
            return;
        at += (size_t)k;
    }
}

static const char *type_text(uint32_t type, char *buf, size_t size)
{
    const char *n = tlpu_gguf_type_name(type);
    if (n)
        return n;
    snprintf(buf, size, "type %u", (unsigned)type);
    return buf;
}

int tlpu_quantize_format_tensor(const tlpu_quantize_tensor *t, char *buf, size_t size)
{
    if (!t || (!buf && size))
        return -1;
    char shape[96], from[24], to[24], types[64];
    shape_text(t, shape, sizeof shape);
    const char *f = type_text(t->from_type, from, sizeof from);
    if (t->action != TLPU_QUANTIZE_QUANTIZED)
        return snprintf(buf, size, "%-28s %-14s %-16s %s", t->name ? t->name : "", shape, f,
                        t->action == TLPU_QUANTIZE_TERNARY
                            ? "copied (a BitLinear weight that is already ternary)"
                            : "copied");
    snprintf(types, sizeof types, "%s -> %s", f, type_text(t->to_type, to, sizeof to));
    char scales[160], ptq[48] = "";
    if (t->ptq_scale != 0.0f)
        snprintf(ptq, sizeof ptq, "s %.6g ", (double)t->ptq_scale);
    if (t->to_type == TLPU_GGUF_TYPE_I2_S)
        snprintf(scales, sizeof scales, "%sscale %.6g", ptq, (double)t->scale_min);
    else
        snprintf(scales, sizeof scales, "%sd %.6g..%.6g (%zu)", ptq, (double)t->scale_min,
                 (double)t->scale_max, t->n_scales);
    return snprintf(buf, size, "%-28s %-14s %-16s %s  zeros %.1f%%  rel_rms %.3e  max_abs %.3e",
                    t->name ? t->name : "", shape, types, scales, 100.0 * t->zero_frac,
                    t->rel_rms, t->max_abs);
}

/* ---- the work ------------------------------------------------------------------------------ */

typedef struct qctx {
    char *err;
    size_t errlen;
} qctx;

static tlpu_status QM_PRINTF(3, 4) qfail(const qctx *c, tlpu_status st, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* The directory part of path, in buf. */
static void dir_part(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, size, ".");
    else if (slash == path)
        snprintf(buf, size, "/");
    else
        snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

/* The checks on the output path that need no writing. */
static tlpu_status check_output(const qctx *c, const char *in, const char *out)
{
    struct stat si, so;
    if (stat(out, &so) == 0) {
        if (stat(in, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
            return qfail(c, TLPU_ERR_INVALID_ARG, "%s and %s are the same file", in, out);
        if (S_ISDIR(so.st_mode))
            return qfail(c, TLPU_ERR_IO, "%s: is a directory", out);
        return TLPU_OK;
    }
    char dir[4096];
    dir_part(out, dir, sizeof dir);
    struct stat sd;
    if (stat(dir, &sd) != 0)
        return qfail(c, TLPU_ERR_IO, "%s: cannot write there: %s: %s", out, dir, strerror(errno));
    if (!S_ISDIR(sd.st_mode))
        return qfail(c, TLPU_ERR_IO, "%s: cannot write there: %s is not a directory", out, dir);
    return TLPU_OK;
}

/* The metadata: the input's entries, then quantization_version and file_type. */
static tlpu_status copy_metadata(const qctx *c, tlpu_gguf_writer *w, const tlpu_gguf *g,
                                 uint32_t type, uint32_t ftype)
{
    static const char *const split_keys[] = {"split.no", "split.count", "split.tensors.count"};
    tlpu_status st = TLPU_OK;
    for (size_t i = 0; i < tlpu_gguf_kv_count(g) && st == TLPU_OK; i++)
        st = tlpu_gguf_writer_copy_kv(w, g, i);
    for (size_t i = 0; i < sizeof split_keys / sizeof split_keys[0] && st == TLPU_OK; i++) {
        size_t ix;
        if (tlpu_gguf_writer_find_key(w, split_keys[i], &ix) == TLPU_OK)
            st = tlpu_gguf_writer_remove_key(w, split_keys[i]);
    }
    if (st == TLPU_OK && type != TLPU_GGUF_TYPE_I2_S) {
        /* today's ggml: a set removes the key and appends it */
        static const char *const moved[] = {"general.quantization_version", "general.file_type"};
        for (size_t i = 0; i < 2 && st == TLPU_OK; i++) {
            size_t ix;
            if (tlpu_gguf_writer_find_key(w, moved[i], &ix) == TLPU_OK)
                st = tlpu_gguf_writer_remove_key(w, moved[i]);
        }
    }
    if (st == TLPU_OK)
        st = tlpu_gguf_writer_set_u32(w, "general.quantization_version", QM_QNT_VERSION);
    if (st == TLPU_OK)
        st = tlpu_gguf_writer_set_u32(w, "general.file_type", ftype);
    if (st != TLPU_OK)
        return qfail(c, st, "metadata: %s", tlpu_gguf_writer_error(w));
    return TLPU_OK;
}

/* The format's quantizer on n floats into out[size]. */
static tlpu_status encode(uint32_t type, const float *x, size_t n, uint8_t *out, size_t size)
{
    switch (type) {
    case TLPU_GGUF_TYPE_TQ1_0: return tlpu_tq1_quantize(x, n, out, size);
    case TLPU_GGUF_TYPE_TQ2_0: return tlpu_tq2_quantize(x, n, out, size);
    default: return tlpu_i2s_quantize(x, n, out, size);
    }
}

static size_t encoded_size(uint32_t type, size_t n)
{
    switch (type) {
    case TLPU_GGUF_TYPE_TQ1_0: return tlpu_tq1_size(n);
    case TLPU_GGUF_TYPE_TQ2_0: return tlpu_tq2_size(n);
    default: return tlpu_i2s_size(n);
    }
}

/*
 * The written bytes back to trits, scales and values: *zeros, the scales'
 * range and the error against w (the input's values).
 */
static tlpu_status measure(uint32_t type, const uint8_t *q, size_t qsize, const float *w,
                           size_t n, tlpu_quantize_tensor *r)
{
    int8_t *trits = malloc(n);
    float *y = malloc(n * sizeof *y);
    size_t nd = type == TLPU_GGUF_TYPE_I2_S ? 1 : n / TLPU_TQ_BLOCK;
    uint16_t *d = malloc(nd * sizeof *d);
    tlpu_status st = TLPU_ERR_NOMEM;
    if (!trits || !y || !d)
        goto out;
    if (type == TLPU_GGUF_TYPE_I2_S) {
        float scale;
        st = tlpu_i2s_decode(q, qsize, n, trits, &scale);
        if (st != TLPU_OK)
            goto out;
        for (size_t i = 0; i < n; i++)
            y[i] = (float)trits[i] * scale;
        r->n_scales = 1;
        r->scale_min = r->scale_max = scale;
    } else {
        st = type == TLPU_GGUF_TYPE_TQ1_0 ? tlpu_tq1_decode(q, qsize, n, trits, d)
                                          : tlpu_tq2_decode(q, qsize, n, trits, d);
        if (st == TLPU_OK)
            st = type == TLPU_GGUF_TYPE_TQ1_0 ? tlpu_tq1_dequantize(q, qsize, n, y)
                                              : tlpu_tq2_dequantize(q, qsize, n, y);
        if (st != TLPU_OK)
            goto out;
        r->n_scales = nd;
        r->scale_min = r->scale_max = tlpu_f16_to_f32(d[0]);
        for (size_t b = 1; b < nd; b++) {
            float s = tlpu_f16_to_f32(d[b]);
            r->scale_min = fminf(r->scale_min, s);
            r->scale_max = fmaxf(r->scale_max, s);
        }
    }
    size_t zeros = 0;
    double sw = 0.0, se = 0.0, mx = 0.0;
    for (size_t i = 0; i < n; i++) {
        zeros += trits[i] == 0;
        double e = (double)w[i] - (double)y[i];
        sw += (double)w[i] * (double)w[i];
        se += e * e;
        if (fabs(e) > mx)
            mx = fabs(e);
    }
    r->zero_frac = (double)zeros / (double)n;
    r->rel_rms = se == 0.0 ? 0.0 : sw == 0.0 ? INFINITY : sqrt(se / sw);
    r->max_abs = mx;
out:
    free(trits);
    free(y);
    free(d);
    return st;
}

/* Tensor t (a float BitLinear weight) quantized into *q (malloc'd, *qsize bytes). */
static tlpu_status quantize_tensor(const qctx *c, const tlpu_gguf *g,
                                   const tlpu_quantize_params *p, const tlpu_gguf_tensor *t,
                                   tlpu_quantize_tensor *r, uint8_t **q, size_t *qsize)
{
    size_t n = (size_t)t->nelem;
    char rerr[512];
    if (n > SIZE_MAX / sizeof(float))
        return qfail(c, TLPU_ERR_OVERFLOW, "tensor '%s': %zu elements are too many", t->name, n);
    float *w = malloc(n * sizeof *w), *wp = NULL;
    int8_t *trits = NULL;
    size_t size = encoded_size(p->type, n);
    uint8_t *out = malloc(size);
    tlpu_status st = TLPU_OK;
    if (!w || !out) {
        st = qfail(c, TLPU_ERR_NOMEM, "tensor '%s': out of memory for %zu elements", t->name, n);
        goto fail;
    }
    st = tlpu_gguf_read_f32(g, r->index, 0, (size_t)t->nrows, w, n, rerr, sizeof rerr);
    if (st != TLPU_OK) {
        qfail(c, st, "%s", rerr);
        goto fail;
    }
    const float *x = w;
    if (p->ptq == TLPU_PTQ_ABSMEAN) {
        float s;
        trits = malloc(n);
        wp = malloc(n * sizeof *wp);
        if (!trits || !wp) {
            st = qfail(c, TLPU_ERR_NOMEM, "tensor '%s': out of memory for %zu elements",
                       t->name, n);
            goto fail;
        }
        st = tlpu_quantize_weights(TLPU_DTYPE_F32, w, n, trits, &s);
        if (st != TLPU_OK)
            goto bad_values;
        for (size_t i = 0; i < n; i++)
            wp[i] = (float)trits[i] * s;
        r->ptq_scale = s;
        x = wp;
    }
    st = encode(p->type, x, n, out, size);
    if (st != TLPU_OK)
        goto bad_values;
    st = measure(p->type, out, size, w, n, r);
    if (st != TLPU_OK) {
        qfail(c, st, "tensor '%s': cannot read back what was written: %s", t->name,
              tlpu_strerror(st));
        goto fail;
    }
    free(w);
    free(wp);
    free(trits);
    *q = out;
    *qsize = size;
    return TLPU_OK;
bad_values:
    if (st == TLPU_ERR_NONFINITE)
        qfail(c, st, "tensor '%s': its values include NaN or Inf", t->name);
    else
        qfail(c, st, "tensor '%s': cannot quantize to %s: %s", t->name,
              tlpu_gguf_type_name(p->type), tlpu_strerror(st));
fail:
    free(w);
    free(wp);
    free(trits);
    free(out);
    return st;
}

/* What happens to each tensor; errors for what cannot be done. */
static tlpu_status classify(const qctx *c, const tlpu_gguf *g, const tlpu_quantize_params *p,
                            tlpu_quantize_action *act, size_t *n_quant)
{
    size_t nq = 0, nt = 0;
    for (size_t i = 0; i < tlpu_gguf_tensor_count(g); i++) {
        tlpu_gguf_tensor t;
        tlpu_gguf_tensor_info(g, i, &t);
        if (!t.known)
            return qfail(c, TLPU_ERR_UNSUPPORTED,
                         "tensor '%s': type %u is unknown to tlpu, so it cannot be copied",
                         t.name, (unsigned)t.type);
        act[i] = TLPU_QUANTIZE_COPIED;
        if (!tlpu_quantize_is_bitlinear(t.name) || t.n_dims != 2)
            continue;
        if (is_ternary_type(t.type)) {
            act[i] = TLPU_QUANTIZE_TERNARY;
            nt++;
            continue;
        }
        if (!is_float_type(t.type))
            continue;
        size_t blk = p->type == TLPU_GGUF_TYPE_I2_S ? TLPU_I2S_BLOCK : TLPU_TQ_BLOCK;
        if (t.ne[0] % blk)
            return qfail(c, TLPU_ERR_SHAPE,
                         "tensor '%s': %s rows need a multiple of %zu elements, ne[0] is %llu",
                         t.name, tlpu_gguf_type_name(p->type), blk,
                         (unsigned long long)t.ne[0]);
        act[i] = TLPU_QUANTIZE_QUANTIZED;
        nq++;
    }
    if (!nq)
        return qfail(c, TLPU_ERR_INVALID_ARG,
                     "no tensor to quantize: none of the %zu tensors is an F32, F16 or BF16 "
                     "BitLinear weight (blk.N.attn_q/k/v/output, ffn_gate/up/down.weight)%s",
                     tlpu_gguf_tensor_count(g),
                     nt ? "; the BitLinear weights are already ternary" : "");
    *n_quant = nq;
    return TLPU_OK;
}

static tlpu_status check_model(const qctx *c, const tlpu_gguf *g, const char *in)
{
    const char *arch = tlpu_gguf_architecture(g);
    if (!arch)
        return qfail(c, TLPU_ERR_UNSUPPORTED,
                     "%s: no general.architecture: tlpu quantize reads BitNet models (bitnet, "
                     "bitnet-b1.58, bitnet-25)",
                     in);
    if (strcmp(arch, "bitnet") != 0 && strcmp(arch, "bitnet-b1.58") != 0 &&
        strcmp(arch, "bitnet-25") != 0)
        return qfail(c, TLPU_ERR_UNSUPPORTED,
                     "%s: architecture '%s' is not a BitNet one (bitnet, bitnet-b1.58, "
                     "bitnet-25)",
                     in, arch);
    uint64_t parts;
    if (tlpu_gguf_get_u64(g, "split.count", &parts) == TLPU_OK && parts > 1)
        return qfail(c, TLPU_ERR_UNSUPPORTED,
                     "%s: a model split in %llu files (split.count): tlpu quantize reads one "
                     "whole file",
                     in, (unsigned long long)parts);
    return TLPU_OK;
}

tlpu_status tlpu_quantize_model(const char *in_path, const char *out_path,
                                const tlpu_quantize_params *p, tlpu_quantize_summary *summary,
                                char *err, size_t errlen)
{
    qctx c = {err, errlen};
    tlpu_quantize_summary sum = {0};
    if (err && errlen)
        err[0] = '\0';
    if (summary)
        *summary = sum;
    if (!in_path || !out_path || !p)
        return qfail(&c, TLPU_ERR_INVALID_ARG, "tlpu_quantize_model: NULL %s",
                     !in_path ? "input path" : !out_path ? "output path" : "parameters");
    if (!out_type_ok(p->type))
        return qfail(&c, TLPU_ERR_INVALID_ARG,
                     "type %u is not one tlpu quantizes to (tq2_0 35, tq1_0 34, i2_s 36)",
                     (unsigned)p->type);
    if (!tlpu_ptq_name(p->ptq))
        return qfail(&c, TLPU_ERR_INVALID_ARG, "unknown ptq mode %d (absmean, none)",
                     (int)p->ptq);
    if (strcmp(in_path, out_path) == 0)
        return qfail(&c, TLPU_ERR_INVALID_ARG, "%s is both the input and the output", in_path);

    tlpu_gguf *g = NULL;
    tlpu_status st = tlpu_gguf_open(in_path, &g, err, errlen);
    if (st != TLPU_OK)
        return st;
    tlpu_gguf_writer *w = NULL;
    size_t nt = tlpu_gguf_tensor_count(g);
    tlpu_quantize_action *act = calloc(nt ? nt : 1, sizeof *act);
    uint8_t **bufs = calloc(nt ? nt : 1, sizeof *bufs);
    if (!act || !bufs) {
        st = qfail(&c, TLPU_ERR_NOMEM, "out of memory for %zu tensors", nt);
        goto out;
    }
    sum.file_type = tlpu_quantize_file_type(p->type);
    sum.n_tensors = nt;
    sum.file_bytes_in = tlpu_gguf_file_size(g);
    size_t nq = 0;
    if ((st = check_output(&c, in_path, out_path)) != TLPU_OK ||
        (st = check_model(&c, g, in_path)) != TLPU_OK ||
        (st = classify(&c, g, p, act, &nq)) != TLPU_OK)
        goto out;
    if ((st = tlpu_gguf_writer_new(&w)) != TLPU_OK) {
        qfail(&c, st, "out of memory");
        goto out;
    }
    if ((st = copy_metadata(&c, w, g, p->type, sum.file_type)) != TLPU_OK)
        goto out;

    for (size_t i = 0; i < nt; i++) {
        tlpu_gguf_tensor t;
        tlpu_gguf_tensor_info(g, i, &t);
        tlpu_quantize_tensor r = {.index = i,
                                  .name = t.name,
                                  .n_dims = t.n_dims,
                                  .from_type = t.type,
                                  .to_type = t.type,
                                  .action = act[i],
                                  .bytes_in = t.size,
                                  .bytes_out = t.size};
        memcpy(r.ne, t.ne, sizeof r.ne);
        if (act[i] == TLPU_QUANTIZE_QUANTIZED) {
            size_t qsize = 0;
            st = quantize_tensor(&c, g, p, &t, &r, &bufs[i], &qsize);
            if (st != TLPU_OK)
                goto out;
            r.to_type = p->type;
            r.bytes_out = qsize;
            st = tlpu_gguf_writer_add_tensor_ref(w, t.name, t.n_dims, t.ne, p->type, bufs[i],
                                                 qsize);
            sum.n_quantized++;
        } else {
            st = tlpu_gguf_writer_copy_tensor(w, g, i);
            if (act[i] == TLPU_QUANTIZE_TERNARY)
                sum.n_ternary++;
            else
                sum.n_copied++;
        }
        if (st != TLPU_OK) {
            qfail(&c, st, "%s", tlpu_gguf_writer_error(w));
            goto out;
        }
        sum.tensor_bytes_in += r.bytes_in;
        sum.tensor_bytes_out += r.bytes_out;
        if (p->on_tensor)
            p->on_tensor(&r, p->user);
    }
    size_t align;
    uint64_t data_offset;
    if ((st = tlpu_gguf_writer_layout(w, &align, &data_offset, &sum.file_bytes_out)) !=
        TLPU_OK) {
        qfail(&c, st, "%s: %s", out_path, tlpu_gguf_writer_error(w));
        goto out;
    }
    int created = 0;
    st = tlpu_gguf_writer_write(w, out_path, &created, err, errlen);
    if (st != TLPU_OK)
        sum.write_failed = created && st == TLPU_ERR_IO;
out:
    if (summary)
        *summary = sum;
    tlpu_gguf_writer_free(w);
    for (size_t i = 0; bufs && i < nt; i++)
        free(bufs[i]);
    free(bufs);
    free(act);
    tlpu_gguf_close(g);
    return st;
}
