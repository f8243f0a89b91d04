/* SPDX-License-Identifier: Apache-2.0 */
/* llm.c - BitNet b1.58 inference with the BitLinears on a device (tlpu/llm.h). */
#define _GNU_SOURCE /* qsort_r */
#include "tlpu/llm.h"
#include "errbuf.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/bitlinear.h"
#include "tlpu/fp.h"
#include "tlpu/gguf.h"
#include "tlpu/pack.h"
#include "tlpu/quant.h"
#include "tlpu/rng.h"

#define QK 256u /* the K block of per-block scales and of Q8_K */


/* the message of the last failed context or sampler call in this thread */
static _Thread_local char g_err[512];

const char *tlpu_llm_last_error(void)
{
    return g_err;
}

static tlpu_status lfail(tlpu_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tlpu_status lfail(tlpu_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return st;
}

const char *tlpu_act_name(tlpu_act a)
{
    return a == TLPU_ACT_Q8K ? "q8k" : a == TLPU_ACT_FLOAT ? "float" : "token";
}

tlpu_status tlpu_act_parse(const char *s, tlpu_act *a)
{
    if (!s || !a)
        return TLPU_ERR_INVALID_ARG;
    if (!strcmp(s, "token"))
        *a = TLPU_ACT_TOKEN;
    else if (!strcmp(s, "q8k"))
        *a = TLPU_ACT_Q8K;
    else if (!strcmp(s, "float"))
        *a = TLPU_ACT_FLOAT;
    else
        return TLPU_ERR_INVALID_ARG;
    return TLPU_OK;
}

tlpu_status tlpu_kv_parse(const char *s, tlpu_kv_type *k)
{
    if (!s || !k)
        return TLPU_ERR_INVALID_ARG;
    if (!strcmp(s, "f32"))
        *k = TLPU_KV_F32;
    else if (!strcmp(s, "f16"))
        *k = TLPU_KV_F16;
    else
        return TLPU_ERR_INVALID_ARG;
    return TLPU_OK;
}

void tlpu_model_params_init(tlpu_model_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->device = "ref:";
    p->act = TLPU_ACT_TOKEN;
}

void tlpu_context_params_init(tlpu_context_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->kv = TLPU_KV_F32;
}

/* ---- the model ---------------------------------------------------------------------------- */

/* One BitLinear: trits and scales, and its device layers. */
typedef struct lin {
    char name[64];
    uint32_t k, n;
    int8_t *trits;          /* N x K */
    float *scale;           /* block scales: N x nb (nb = K / 256), when blocky */
    float *row_scale;       /* N: one scale per row (every block of a row alike) */
    int blocky;             /* the scales differ between the blocks of a row */
    float out_scale;        /* an optional <name>.scale tensor multiplies the result (1) */
    /* device layers: the whole K (index 0), or one per 256-block; for M = 1
     * and for the last other M */
    uint32_t nb;
    uint8_t *packed;        /* N rows of K trits, PACK3 */
    uint8_t *bpacked;       /* nb blocks x N rows of 256 trits, PACK3 (made when needed) */
    tlpu_dev_layer **dl1;   /* [1 + nb]: M = 1 */
    tlpu_dev_layer **dlm;   /* [1 + nb]: M = dlm_m */
    uint32_t dlm_m;
} lin;

typedef struct layer {
    const float *attn_norm, *attn_sub_norm, *ffn_norm, *ffn_sub_norm;
    lin q, k, v, o, gate, up, down;
} layer;

/* A float matrix of the file (embeddings, output): rows of `cols` */
typedef struct fmat {
    const void *data;       /* in the mapping */
    uint32_t type;          /* TLPU_GGUF_TYPE_F32 / F16 / BF16 */
    uint64_t rows, cols;
} fmat;

struct tlpu_model {
    tlpu_gguf *g;
    tlpu_model_params p;
    char device[256];
    tlpu_dev *dev;
    tlpu_dev_info devinfo;
    char arch[32];
    int fork;               /* bitnet.cpp's architecture (relu^2, its kernels' roundings) */
    tlpu_model_info info;
    fmat embd, out;
    float *output_norm;     /* copies of the small F32 tensors */
    float **norms;          /* all of them, to free */
    uint32_t nnorms;
    layer *L;
    int scales_kind;        /* 0 tensor, 1 row, 2 block */
};

static float fmat_at(const fmat *m, uint64_t r, uint64_t c)
{
    uint64_t i = r * m->cols + c;
    if (m->type == TLPU_GGUF_TYPE_F32) {
        float v;
        memcpy(&v, (const uint8_t *)m->data + 4 * i, 4);
        return v;
    }
    uint16_t h;
    memcpy(&h, (const uint8_t *)m->data + 2 * i, 2);
    return m->type == TLPU_GGUF_TYPE_F16 ? tlpu_f16_to_f32(h) : tlpu_bf16_to_f32(h);
}

static tlpu_status find(const tlpu_model *m, const char *name, tlpu_gguf_tensor *t, int required,
                        char *err, size_t errlen)
{
    size_t idx;
    if (tlpu_gguf_find_tensor(m->g, name, &idx) != TLPU_OK) {
        if (!required)
            return TLPU_ERR_INVALID_ARG;
        return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: the model has no tensor '%s'", m->arch,
                    name);
    }
    return tlpu_gguf_tensor_info(m->g, idx, t);
}

static tlpu_status load_vec(tlpu_model *m, const char *name, uint32_t len, float **out, char *err,
                            size_t errlen)
{
    tlpu_gguf_tensor t;
    tlpu_status st = find(m, name, &t, 1, err, errlen);
    if (st != TLPU_OK)
        return st;
    if (t.nelem != len)
        return tlpu_errbuf(err, errlen, TLPU_ERR_SHAPE, "tensor '%s' has %llu elements, the model needs %u",
                    name, (unsigned long long)t.nelem, len);
    float *v = malloc((size_t)len * sizeof *v);
    if (!v)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    size_t idx;
    tlpu_gguf_find_tensor(m->g, name, &idx);
    if ((st = tlpu_gguf_read_f32(m->g, idx, 0, t.nrows, v, len, err, errlen)) != TLPU_OK) {
        free(v);
        return st;
    }
    m->norms[m->nnorms++] = v;
    *out = v;
    return TLPU_OK;
}

static tlpu_status load_fmat(tlpu_model *m, const char *name, uint64_t cols, fmat *f, int required,
                             char *err, size_t errlen)
{
    tlpu_gguf_tensor t;
    tlpu_status st = find(m, name, &t, required, err, errlen);
    if (st != TLPU_OK)
        return st;
    if (t.type != TLPU_GGUF_TYPE_F32 && t.type != TLPU_GGUF_TYPE_F16 &&
        t.type != TLPU_GGUF_TYPE_BF16)
        return tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                    "tensor '%s' is %s: the embeddings and the output must be F32, F16 or BF16",
                    name, t.known ? tlpu_gguf_type_name(t.type) : "of an unknown type");
    if (t.ne[0] != cols)
        return tlpu_errbuf(err, errlen, TLPU_ERR_SHAPE, "tensor '%s' has rows of %llu, the model %llu",
                    name, (unsigned long long)t.ne[0], (unsigned long long)cols);
    f->data = t.data;
    f->type = t.type;
    f->rows = t.nrows;
    f->cols = cols;
    return TLPU_OK;
}

static tlpu_status block_pack(lin *l);

/* Turns block scales into one per row when every block of a row agrees. */
static void compress_scales(lin *l)
{
    const uint32_t nb = l->nb;
    int blocky = 0;
    for (uint32_t r = 0; r < l->n && !blocky; r++)
        for (uint32_t b = 1; b < nb; b++)
            if (l->scale[(size_t)r * nb + b] != l->scale[(size_t)r * nb]) {
                blocky = 1;
                break;
            }
    l->blocky = blocky;
    for (uint32_t r = 0; r < l->n; r++)
        l->row_scale[r] = l->scale[(size_t)r * nb];
}

static tlpu_status load_lin(tlpu_model *m, const char *name, uint32_t k, uint32_t n, lin *l,
                            char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->k = k, l->n = n, l->out_scale = 1.0f;
    tlpu_gguf_tensor t;
    tlpu_status st = find(m, name, &t, 1, err, errlen);
    if (st != TLPU_OK)
        return st;
    if (t.ne[0] != k || t.nrows != n)
        return tlpu_errbuf(err, errlen, TLPU_ERR_SHAPE, "tensor '%s' is %llu x %llu, the model needs %u x %u",
                    name, (unsigned long long)t.nrows, (unsigned long long)t.ne[0], n, k);
    size_t idx;
    tlpu_gguf_find_tensor(m->g, name, &idx);
    l->nb = k % QK == 0 ? k / QK : 1;
    const size_t nk = (size_t)n * k;
    l->trits = malloc(nk);
    l->scale = malloc((size_t)n * l->nb * sizeof *l->scale);
    l->row_scale = malloc((size_t)n * sizeof *l->row_scale);
    if (!l->trits || !l->scale || !l->row_scale)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    if (t.type == TLPU_GGUF_TYPE_TQ1_0 || t.type == TLPU_GGUF_TYPE_TQ2_0) {
        /* one fp16 d per 256 weights: k is a multiple of 256 (the reader checked) */
        if ((st = tlpu_gguf_read_trits(m->g, idx, 0, n, l->trits, nk, l->scale, nk / QK, err,
                                       errlen)) != TLPU_OK)
            return st;
    } else if (t.type == TLPU_GGUF_TYPE_I2_S) {
        float s;
        if ((st = tlpu_gguf_read_trits(m->g, idx, 0, n, l->trits, nk, &s, 1, err, errlen)) !=
            TLPU_OK)
            return st;
        for (size_t i = 0; i < (size_t)n * l->nb; i++)
            l->scale[i] = s;
    } else if (t.type == TLPU_GGUF_TYPE_F32 || t.type == TLPU_GGUF_TYPE_F16 ||
               t.type == TLPU_GGUF_TYPE_BF16) {
        /* float weights that must be trits x scales: per 256-block (or row) the
         * scale is max|w| and every weight 0 or +-scale */
        float *row = malloc((size_t)k * sizeof *row);
        if (!row)
            return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
        const uint32_t bk = l->nb > 1 ? QK : k;
        for (uint32_t r = 0; r < n && st == TLPU_OK; r++) {
            if ((st = tlpu_gguf_read_f32(m->g, idx, r, 1, row, k, err, errlen)) != TLPU_OK)
                break;
            for (uint32_t b = 0; b < l->nb && st == TLPU_OK; b++) {
                float d = 0;
                for (uint32_t j = 0; j < bk; j++)
                    d = fmaxf(d, fabsf(row[b * bk + j]));
                l->scale[(size_t)r * l->nb + b] = d;
                for (uint32_t j = 0; j < bk; j++) {
                    float w = row[b * bk + j];
                    int8_t tv = w == 0 ? 0 : w == d ? 1 : w == -d ? -1 : 2;
                    if (tv == 2) {
                        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                                  "tensor '%s' is not ternary: row %u, column %u holds %g, not 0 "
                                  "or +-%g (convert it with tlpu quantize)",
                                  name, r, b * bk + j, (double)w, (double)d);
                        break;
                    }
                    l->trits[(size_t)r * k + b * bk + j] = tv;
                }
            }
        }
        free(row);
        if (st != TLPU_OK)
            return st;
    } else {
        return tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                    "tensor '%s' is %s: BitLinear weights must be TQ1_0, TQ2_0, I2_S or float "
                    "trits x scales",
                    name, t.known ? tlpu_gguf_type_name(t.type) : "of an unknown type");
    }
    compress_scales(l);
    /* an optional <name without .weight>.scale of one element multiplies the result */
    char sname[96];
    size_t base = strlen(name) > 7 && !strcmp(name + strlen(name) - 7, ".weight")
                      ? strlen(name) - 7
                      : strlen(name);
    snprintf(sname, sizeof sname, "%.*s.scale", (int)base, name);
    size_t sidx;
    if (tlpu_gguf_find_tensor(m->g, sname, &sidx) == TLPU_OK) {
        if ((st = tlpu_gguf_read_f32(m->g, sidx, 0, 1, &l->out_scale, 1, err, errlen)) != TLPU_OK)
            return st;
    }
    /* the device's packing of the whole rows */
    const size_t rb = tlpu_pack3_size(k);
    if (!(l->packed = malloc((size_t)n * rb)))
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    for (uint32_t r = 0; r < n; r++)
        if ((st = tlpu_pack3(l->trits + (size_t)r * k, k, l->packed + (size_t)r * rb, rb)) !=
            TLPU_OK)
            return tlpu_errbuf(err, errlen, st, "packing '%s': %s", name, tlpu_strerror(st));
    l->dl1 = calloc(1 + l->nb, sizeof *l->dl1);
    l->dlm = calloc(1 + l->nb, sizeof *l->dlm);
    if (!l->dl1 || !l->dlm)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    /* only the float and outlier paths read the trits: otherwise the device
     * packings are all that is kept (a byte per weight less: 2 GB for 2B4T) */
    if (m->p.act != TLPU_ACT_FLOAT && !(m->p.outlier > 0)) {
        if ((l->blocky || m->p.act == TLPU_ACT_Q8K) && (st = block_pack(l)) != TLPU_OK)
            return tlpu_errbuf(err, errlen, st, "packing '%s': %s", name, tlpu_llm_last_error());
        free(l->trits);
        l->trits = NULL;
    }
    return TLPU_OK;
}

static void free_lin(lin *l)
{
    for (uint32_t i = 0; l->dl1 && i <= l->nb; i++)
        tlpu_dev_layer_free(l->dl1[i]);
    for (uint32_t i = 0; l->dlm && i <= l->nb; i++)
        tlpu_dev_layer_free(l->dlm[i]);
    free(l->dl1);
    free(l->dlm);
    free(l->trits);
    free(l->scale);
    free(l->row_scale);
    free(l->packed);
    free(l->bpacked);
}

void tlpu_model_free(tlpu_model *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; m->L && i < m->info.n_layer; i++) {
        lin *ls[] = {&m->L[i].q,    &m->L[i].k,  &m->L[i].v,   &m->L[i].o,
                     &m->L[i].gate, &m->L[i].up, &m->L[i].down};
        for (size_t j = 0; j < sizeof ls / sizeof ls[0]; j++)
            free_lin(ls[j]);
    }
    free(m->L);
    for (uint32_t i = 0; i < m->nnorms; i++)
        free(m->norms[i]);
    free(m->norms);
    if (m->dev)
        tlpu_close(m->dev);
    tlpu_gguf_close(m->g);
    free(m);
}

static tlpu_status hp_u32(tlpu_model *m, const char *key, uint32_t *out, int required,
                          uint32_t dflt, char *err, size_t errlen)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", m->arch, key);
    tlpu_status st = tlpu_gguf_get_u32(m->g, full, out);
    if (st == TLPU_ERR_INVALID_ARG && !required) {
        *out = dflt;
        return TLPU_OK;
    }
    if (st != TLPU_OK)
        return tlpu_errbuf(err, errlen, st == TLPU_ERR_INVALID_ARG ? TLPU_ERR_FORMAT : st,
                    "%s: '%s' %s", m->arch, full,
                    st == TLPU_ERR_INVALID_ARG ? "is missing" : "is not a 32-bit count");
    return TLPU_OK;
}

static tlpu_status hp_f32(tlpu_model *m, const char *key, float *out, float dflt, char *err,
                          size_t errlen)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", m->arch, key);
    tlpu_status st = tlpu_gguf_get_f32(m->g, full, out);
    if (st == TLPU_ERR_INVALID_ARG) {
        *out = dflt;
        return TLPU_OK;
    }
    if (st != TLPU_OK || !isfinite(*out) || *out <= 0)
        return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: '%s' is not a positive number", m->arch,
                    full);
    return TLPU_OK;
}

static tlpu_status model_load(const char *path, const void *data, size_t size,
                              const tlpu_model_params *p, tlpu_model **out, char *err,
                              size_t errlen);

tlpu_status tlpu_model_load(const char *path, const tlpu_model_params *p, tlpu_model **out,
                            char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!path || !out)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_model_load: NULL argument");
    return model_load(path, NULL, 0, p, out, err, errlen);
}

tlpu_status tlpu_model_load_mem(const void *data, size_t size, const char *name,
                                const tlpu_model_params *p, tlpu_model **out, char *err,
                                size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!data || !out)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_model_load_mem: NULL argument");
    return model_load(name ? name : "(memory)", data, size, p, out, err, errlen);
}

static tlpu_status model_load(const char *path, const void *data, size_t size,
                              const tlpu_model_params *p, tlpu_model **out, char *err,
                              size_t errlen)
{
    tlpu_model_params dp;
    tlpu_model_params_init(&dp);
    if (!p)
        p = &dp;
    if (p->act != TLPU_ACT_TOKEN && p->act != TLPU_ACT_Q8K && p->act != TLPU_ACT_FLOAT)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "unknown activation mode %d", (int)p->act);
    if (!(p->outlier >= 0) || (p->outlier > 0 && p->act != TLPU_ACT_TOKEN))
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                    "the outlier threshold must be >= 0, and works with token activations only");
    tlpu_model *m = calloc(1, sizeof *m);
    if (!m)
        return tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
    m->p = *p;
    snprintf(m->device, sizeof m->device, "%s", p->device ? p->device : "ref:");
    m->p.device = m->device;
    tlpu_status st = data ? tlpu_gguf_open_mem(data, size, &m->g, err, errlen)
                          : tlpu_gguf_open(path, &m->g, err, errlen);
    if (st != TLPU_OK) {
        free(m);
        if (data && err && errlen) { /* name the image */
            char tmp[1024];
            snprintf(tmp, sizeof tmp, "%s: %s", path, err);
            snprintf(err, errlen, "%s", tmp);
        }
        return st;
    }
    const char *arch = tlpu_gguf_architecture(m->g);
    if (!arch) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: no general.architecture", path);
        goto out;
    }
    if (strcmp(arch, "bitnet") && strcmp(arch, "bitnet-b1.58") && strcmp(arch, "bitnet-25")) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                  "%s: architecture '%s' is not a BitNet one (bitnet, bitnet-b1.58, bitnet-25)",
                  path, arch);
        goto out;
    }
    snprintf(m->arch, sizeof m->arch, "%s", arch);
    m->fork = strcmp(arch, "bitnet") != 0;
    tlpu_model_info *in = &m->info;
    in->arch = m->arch;
    if ((st = hp_u32(m, "embedding_length", &in->n_embd, 1, 0, err, errlen)) ||
        (st = hp_u32(m, "block_count", &in->n_layer, 1, 0, err, errlen)) ||
        (st = hp_u32(m, "context_length", &in->n_ctx_train, 1, 0, err, errlen)) ||
        (st = hp_u32(m, "attention.head_count", &in->n_head, 1, 0, err, errlen)) ||
        (st = hp_u32(m, "attention.head_count_kv", &in->n_head_kv, 0, in->n_head, err, errlen)) ||
        (st = hp_u32(m, "feed_forward_length", &in->n_ff, 1, 0, err, errlen)) ||
        (st = hp_f32(m, "attention.layer_norm_rms_epsilon", &in->rms_eps, 1e-5f, err, errlen)) ||
        (st = hp_f32(m, "rope.freq_base", &in->rope_base, 10000.0f, err, errlen)))
        goto out;
    if (!in->n_embd || !in->n_layer || !in->n_head || !in->n_head_kv || !in->n_ff ||
        in->n_embd % in->n_head || in->n_head % in->n_head_kv || in->n_layer > 4096 ||
        in->n_embd > (1u << 20) || in->n_ff > (1u << 22) || !in->n_ctx_train) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                  "%s: inconsistent hyper-parameters (embedding %u, layers %u, heads %u/%u, FFN "
                  "%u, context %u)",
                  path, in->n_embd, in->n_layer, in->n_head, in->n_head_kv, in->n_ff,
                  in->n_ctx_train);
        goto out;
    }
    const uint32_t hd = in->n_embd / in->n_head;
    if ((st = hp_u32(m, "rope.dimension_count", &in->n_rot, 0, hd, err, errlen)))
        goto out;
    if (hd > 1024) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED, "%s: heads of %u dimensions (at most 1024)",
                  path, hd);
        goto out;
    }
    if (in->n_rot != hd || hd % 2) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                  "%s: RoPE over %u of the head's %u dimensions is not supported", path,
                  in->n_rot, hd);
        goto out;
    }
    /* tensors */
    if (!(m->norms = calloc(4 * (size_t)in->n_layer + 1, sizeof *m->norms)) ||
        !(m->L = calloc(in->n_layer, sizeof *m->L))) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = load_fmat(m, "token_embd.weight", in->n_embd, &m->embd, 1, err, errlen)))
        goto out;
    in->n_vocab = (uint32_t)m->embd.rows;
    st = load_fmat(m, "output.weight", in->n_embd, &m->out, 0, err, errlen);
    if (st == TLPU_ERR_INVALID_ARG) {
        m->out = m->embd;
        in->tied = 1;
    } else if (st != TLPU_OK)
        goto out;
    else if (m->out.rows != in->n_vocab) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_SHAPE, "output.weight has %llu rows, the vocabulary %u",
                  (unsigned long long)m->out.rows, in->n_vocab);
        goto out;
    }
    if ((st = load_vec(m, "output_norm.weight", in->n_embd, &m->output_norm, err, errlen)))
        goto out;
    const uint32_t E = in->n_embd, KV = in->n_head_kv * hd, F = in->n_ff;
    int kinds = 0;
    for (uint32_t i = 0; i < in->n_layer; i++) {
        layer *L = &m->L[i];
        char nm[96];
#define VEC(field, what, len)                                                                      \
    snprintf(nm, sizeof nm, "blk.%u." what ".weight", i);                                          \
    if ((st = load_vec(m, nm, len, (float **)&L->field, err, errlen)))                             \
        goto out;
#define LIN(field, what, k, n)                                                                     \
    snprintf(nm, sizeof nm, "blk.%u." what ".weight", i);                                          \
    if ((st = load_lin(m, nm, k, n, &L->field, err, errlen)))                                      \
        goto out;                                                                                  \
    in->bitlinear_params += (uint64_t)(k) * (n);                                                   \
    kinds |= L->field.blocky ? 4 : 1;
        VEC(attn_norm, "attn_norm", E)
        VEC(attn_sub_norm, "attn_sub_norm", E)
        VEC(ffn_norm, "ffn_norm", E)
        VEC(ffn_sub_norm, "ffn_sub_norm", F)
        LIN(q, "attn_q", E, E)
        LIN(k, "attn_k", E, KV)
        LIN(v, "attn_v", E, KV)
        LIN(o, "attn_output", E, E)
        LIN(gate, "ffn_gate", E, F)
        LIN(up, "ffn_up", E, F)
        LIN(down, "ffn_down", F, E)
#undef VEC
#undef LIN
    }
    m->scales_kind = kinds & 4 ? 2 : 1;
    in->scales = kinds & 4 ? "block" : "row";
    /* one tensor-wide scale: every row of every tensor alike */
    if (!(kinds & 4)) {
        int tensorwide = 1;
        for (uint32_t i = 0; i < in->n_layer && tensorwide; i++) {
            lin *ls[] = {&m->L[i].q,    &m->L[i].k,  &m->L[i].v,   &m->L[i].o,
                         &m->L[i].gate, &m->L[i].up, &m->L[i].down};
            for (size_t j = 0; j < 7 && tensorwide; j++)
                for (uint32_t r = 1; r < ls[j]->n; r++)
                    if (ls[j]->row_scale[r] != ls[j]->row_scale[0]) {
                        tensorwide = 0;
                        break;
                    }
        }
        if (tensorwide)
            in->scales = "tensor", m->scales_kind = 0;
    }
    if (p->act == TLPU_ACT_Q8K)
        for (uint32_t i = 0; i < in->n_layer; i++) {
            lin *ls[] = {&m->L[i].q,    &m->L[i].k,  &m->L[i].v,   &m->L[i].o,
                         &m->L[i].gate, &m->L[i].up, &m->L[i].down};
            for (size_t j = 0; j < 7; j++)
                if (ls[j]->k % QK) {
                    st = tlpu_errbuf(err, errlen, TLPU_ERR_UNSUPPORTED,
                              "q8k activations need K a multiple of 256: '%s' has %u",
                              ls[j]->name, ls[j]->k);
                    goto out;
                }
        }
    /* the device */
    if (p->act != TLPU_ACT_FLOAT) {
        if ((st = tlpu_open(m->device, &m->dev)) != TLPU_OK) {
            st = tlpu_errbuf(err, errlen, st, "cannot open device '%s': %s", m->device,
                      tlpu_last_error());
            goto out;
        }
        tlpu_get_info(m->dev, &m->devinfo);
    }
    *out = m;
    return TLPU_OK;
out:
    tlpu_model_free(m);
    if (err && errlen && strncmp(err, path, strlen(path)) != 0) { /* name the file */
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s: %s", path, err);
        snprintf(err, errlen, "%s", tmp);
    }
    return st;
}

void tlpu_model_get_info(const tlpu_model *m, tlpu_model_info *info)
{
    if (m && info)
        *info = m->info;
}

tlpu_dev *tlpu_model_device(tlpu_model *m)
{
    return m ? m->dev : NULL;
}

const struct tlpu_gguf *tlpu_model_gguf(const tlpu_model *m)
{
    return m ? m->g : NULL;
}

/* ---- the context ---------------------------------------------------------------------------- */

struct tlpu_context {
    tlpu_model *m;
    tlpu_context_params p;
    uint32_t n_ctx, pos;
    float *kc, *vc;          /* [layer][n_ctx][n_head_kv * hd] */
    float *logits;           /* [rows][n_vocab] of the last batch */
    uint32_t nlogits;
    /* work buffers for batches of up to cap tokens */
    uint32_t cap;
    float *h, *a, *q, *k, *v, *o, *g, *u, *y, *scores;
    int8_t *xq;
    float *xo;               /* the activations without their outlier channels */
    float *xs;               /* activation scales: [cap] or [cap][nb] */
    int32_t *yi;
    tlpu_context_stats st;
    tlpu_dev_time t0;
    int timed;
};

void tlpu_context_free(tlpu_context *c)
{
    if (!c)
        return;
    free(c->kc);
    free(c->vc);
    free(c->logits);
    free(c->h), free(c->a), free(c->q), free(c->k), free(c->v), free(c->o);
    free(c->g), free(c->u), free(c->y), free(c->scores), free(c->xq), free(c->xo), free(c->xs), free(c->yi);
    free(c);
}

tlpu_status tlpu_context_new(tlpu_model *m, const tlpu_context_params *p, tlpu_context **out)
{
    if (!m || !out)
        return lfail(TLPU_ERR_INVALID_ARG, "tlpu_context_new: NULL argument");
    tlpu_context_params dp;
    tlpu_context_params_init(&dp);
    if (!p)
        p = &dp;
    if (p->kv != TLPU_KV_F32 && p->kv != TLPU_KV_F16)
        return lfail(TLPU_ERR_INVALID_ARG, "unknown KV cache type %d", (int)p->kv);
    tlpu_context *c = calloc(1, sizeof *c);
    if (!c)
        return lfail(TLPU_ERR_NOMEM, "out of memory");
    c->m = m;
    c->p = *p;
    c->n_ctx = p->n_ctx ? p->n_ctx : m->info.n_ctx_train;
    const tlpu_model_info *in = &m->info;
    const size_t kvw = (size_t)in->n_head_kv * (in->n_embd / in->n_head);
    const size_t cells = (size_t)in->n_layer * c->n_ctx * kvw;
    if (c->n_ctx > (1u << 20) || cells > (size_t)1 << 34) {
        const uint32_t want = c->n_ctx;
        free(c);
        return lfail(TLPU_ERR_RANGE, "a KV cache of %u positions is too large", want);
    }
    c->kc = malloc(cells * sizeof *c->kc);
    c->vc = malloc(cells * sizeof *c->vc);
    if (!c->kc || !c->vc) {
        tlpu_context_free(c);
        return lfail(TLPU_ERR_NOMEM, "out of memory for a KV cache of %u positions",
                         c->n_ctx);
    }
    c->timed = m->dev && tlpu_get_time(m->dev, &c->t0) == TLPU_OK;
    *out = c;
    return TLPU_OK;
}

void tlpu_context_reset(tlpu_context *c)
{
    if (c)
        c->pos = 0;
}

uint32_t tlpu_context_pos(const tlpu_context *c)
{
    return c ? c->pos : 0;
}

const float *tlpu_context_logits(const tlpu_context *c, uint32_t i)
{
    if (!c || !c->logits || i >= c->nlogits)
        return NULL;
    return c->logits + (size_t)i * c->m->info.n_vocab;
}

void tlpu_context_get_stats(const tlpu_context *c, tlpu_context_stats *s)
{
    if (!c || !s)
        return;
    *s = c->st;
    tlpu_dev_time t;
    if (c->timed && tlpu_get_time(c->m->dev, &t) == TLPU_OK) {
        s->has_board = 1;
        tlpu_time_since(&t, &c->t0, &s->board);
    }
}

/* work buffers for a batch of t tokens */
static tlpu_status reserve(tlpu_context *c, uint32_t t)
{
    if (t <= c->cap)
        return TLPU_OK;
    const tlpu_model_info *in = &c->m->info;
    const size_t hd = in->n_embd / in->n_head, kvw = in->n_head_kv * hd;
    const size_t wide = in->n_ff > in->n_embd ? in->n_ff : in->n_embd;
#define RE(ptr, count)                                                                             \
    do {                                                                                           \
        void *np_ = realloc(ptr, (count) * sizeof *(ptr));                                         \
        if (!np_)                                                                                  \
            return lfail(TLPU_ERR_NOMEM, "out of memory");                                      \
        ptr = np_;                                                                                 \
    } while (0)
    RE(c->h, (size_t)t * in->n_embd);
    RE(c->a, (size_t)t * wide);
    RE(c->q, (size_t)t * in->n_embd);
    RE(c->k, (size_t)t * kvw);
    RE(c->v, (size_t)t * kvw);
    RE(c->o, (size_t)t * in->n_embd);
    RE(c->g, (size_t)t * in->n_ff);
    RE(c->u, (size_t)t * in->n_ff);
    RE(c->y, (size_t)t * wide);
    RE(c->scores, (size_t)c->n_ctx);
    RE(c->xq, (size_t)t * (wide + QK)); /* the activations, then one K block of them */
    RE(c->xs, (size_t)t * (wide / QK + 1));
    RE(c->xo, (size_t)t * wide);
    RE(c->yi, (size_t)t * wide);
#undef RE
    c->cap = t;
    return TLPU_OK;
}

static float f16r(float x)
{
    return tlpu_f16_to_f32(tlpu_f32_to_f16(x));
}

/* llama.cpp's nearest_int: round half to even */
static int nearest_int(float fval)
{
    float val = fval + 12582912.f;
    int i;
    memcpy(&i, &val, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* quantize_row_q8_K_ref: one 256-block */
static float q8k_block(const float *x, int8_t *q)
{
    float max = 0, amax = 0;
    for (uint32_t j = 0; j < QK; j++) {
        float ax = fabsf(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    if (amax == 0) {
        memset(q, 0, QK);
        return 0;
    }
    const float iscale = -127.f / max;
    for (uint32_t j = 0; j < QK; j++) {
        int v = nearest_int(iscale * x[j]);
        q[j] = (int8_t)(v < 127 ? v : 127);
    }
    return 1 / iscale;
}

/* the block-column packing of a BitLinear, for per-block device runs */
static tlpu_status block_pack(lin *l)
{
    if (l->bpacked)
        return TLPU_OK;
    const size_t rb = tlpu_pack3_size(QK);
    l->bpacked = malloc((size_t)l->nb * l->n * rb);
    if (!l->bpacked)
        return lfail(TLPU_ERR_NOMEM, "out of memory");
    for (uint32_t b = 0; b < l->nb; b++)
        for (uint32_t r = 0; r < l->n; r++) {
            tlpu_status st = tlpu_pack3(l->trits + (size_t)r * l->k + (size_t)b * QK, QK,
                                        l->bpacked + ((size_t)b * l->n + r) * rb, rb);
            if (st != TLPU_OK)
                return lfail(st, "packing '%s': %s", l->name, tlpu_strerror(st));
        }
    return TLPU_OK;
}

/* one device BitLinear: x (m x kk int8) against part `part` (0: all of K,
 * b + 1: K block b) of l, into yi (m x n int32) */
static tlpu_status dev_run(tlpu_context *c, lin *l, uint32_t part, uint32_t m, const int8_t *x,
                           int32_t *yi)
{
    tlpu_dev *dev = c->m->dev;
    tlpu_dev_layer **slot;
    if (m == 1)
        slot = &l->dl1[part];
    else {
        if (l->dlm_m != m) { /* another batch size: the old layers go */
            for (uint32_t i = 0; i <= l->nb; i++) {
                tlpu_dev_layer_free(l->dlm[i]);
                l->dlm[i] = NULL;
            }
            l->dlm_m = m;
        }
        slot = &l->dlm[part];
    }
    tlpu_status st;
    const uint32_t kk = part ? QK : l->k;
    if (!*slot) {
        const uint8_t *w = l->packed;
        if (part) {
            if ((st = block_pack(l)) != TLPU_OK)
                return st;
            w = l->bpacked + (size_t)(part - 1) * l->n * tlpu_pack3_size(QK);
        }
        if ((st = tlpu_dev_layer_load(dev, m, kk, l->n, TLPU_FMT_PACK3, w, NULL, slot)) !=
            TLPU_OK)
            return lfail(st, "'%s' (%ux%ux%u) on %s: %s", l->name, m, kk, l->n, c->m->device,
                         tlpu_last_error());
    }
    tlpu_bitlinear_stats s;
    if ((st = tlpu_dev_layer_run(*slot, x, yi, NULL, 0, NULL, &s)) != TLPU_OK)
        return lfail(st, "'%s' (%ux%ux%u) on %s: %s", l->name, m, kk, l->n, c->m->device,
                     tlpu_last_error());
    c->st.bitlinear_calls++;
    c->st.device_cycles += s.cycles;
    for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
        c->st.counters[i] += s.counters[i];
    c->st.macs += (uint64_t)m * kk * l->n;
    return TLPU_OK;
}

/* the token mode's device part: c->xq (t x K int8, scales c->xs) against l */
static tlpu_status token_device(tlpu_context *c, lin *l, uint32_t t, float *y)
{
    const uint32_t K = l->k, N = l->n, nb = l->nb;
    tlpu_status st;
    if (!l->blocky) {
        if ((st = dev_run(c, l, 0, t, c->xq, c->yi)) != TLPU_OK)
            return st;
        for (uint32_t r = 0; r < t; r++)
            for (uint32_t n = 0; n < N; n++)
                y[(size_t)r * N + n] =
                    ((float)c->yi[(size_t)r * N + n] / c->xs[r]) * l->row_scale[n] * l->out_scale;
        return TLPU_OK;
    }
    /* per-block weight scales: the int32 sum of every K block */
    memset(y, 0, (size_t)t * N * sizeof *y);
    int8_t *xb = c->xq + (size_t)t * K; /* room after xq: t x 256 */
    for (uint32_t b = 0; b < nb; b++) {
        for (uint32_t r = 0; r < t; r++)
            memcpy(xb + (size_t)r * QK, c->xq + (size_t)r * K + (size_t)b * QK, QK);
        if ((st = dev_run(c, l, b + 1, t, xb, c->yi)) != TLPU_OK)
            return st;
        for (uint32_t r = 0; r < t; r++)
            for (uint32_t n = 0; n < N; n++)
                y[(size_t)r * N + n] += l->scale[(size_t)n * nb + b] * (float)c->yi[(size_t)r * N + n];
    }
    for (uint32_t r = 0; r < t; r++)
        for (uint32_t n = 0; n < N; n++)
            y[(size_t)r * N + n] = y[(size_t)r * N + n] / c->xs[r] * l->out_scale;
    return TLPU_OK;
}

/* y (t x N float) = the BitLinear l of x (t x K float), as the mode says */
static tlpu_status bitlinear(tlpu_context *c, lin *l, uint32_t t, const float *x, float *y)
{
    const tlpu_act act = c->m->p.act;
    const uint32_t K = l->k, N = l->n, nb = l->nb;
    tlpu_status st;
    c->st.activations += (uint64_t)t * K;
    if (act == TLPU_ACT_FLOAT) {
        /* exact float activations against the trits, block by block */
        const uint32_t bk = nb > 1 ? QK : K;
        for (uint32_t r = 0; r < t; r++)
            for (uint32_t n = 0; n < N; n++) {
                const int8_t *w = l->trits + (size_t)n * K;
                const float *xr = x + (size_t)r * K;
                float acc = 0;
                for (uint32_t b = 0; b < nb; b++) {
                    float s = 0;
                    for (uint32_t j = b * bk; j < (b + 1) * bk; j++)
                        s += w[j] > 0 ? xr[j] : w[j] < 0 ? -xr[j] : 0.0f;
                    acc += l->scale[(size_t)n * nb + b] * s;
                }
                y[(size_t)r * N + n] = acc * l->out_scale;
            }
        return TLPU_OK;
    }
    if (act == TLPU_ACT_TOKEN) {
        /* BitNet: one int8 scale per token over all of K. With outliers
         * (LLM.int8()): channels above the threshold stay in float on the
         * host, against the same trits; the rest are quantized with their
         * own maximum and go to the device. */
        const float thr = c->m->p.outlier;
        const float *xin = x;
        uint32_t nout = 0;
        if (thr > 0) {
            for (size_t i = 0; i < (size_t)t * K; i++) {
                const int big = fabsf(x[i]) > thr;
                c->xo[i] = big ? 0.0f : x[i];
                nout += big;
            }
            xin = c->xo;
        }
        if ((st = tlpu_quantize_activations(TLPU_DTYPE_F32, xin, t, K, c->xq, c->xs)) != TLPU_OK)
            return lfail(st, "quantizing the activations of '%s': %s", l->name,
                             tlpu_strerror(st));
        if (nout) {
            st = token_device(c, l, t, y);
            c->st.outliers += nout;
            /* the outlier channels' float products, each with its block's scale */
            const uint32_t bk = nb > 1 ? QK : K;
            for (uint32_t r = 0; r < t; r++)
                for (uint32_t j = 0; j < K; j++) {
                    const float xv = x[(size_t)r * K + j];
                    if (!(fabsf(xv) > thr))
                        continue;
                    for (uint32_t n = 0; n < N; n++) {
                        const int8_t w = l->trits[(size_t)n * K + j];
                        if (w)
                            y[(size_t)r * N + n] += (w > 0 ? xv : -xv) *
                                                    l->scale[(size_t)n * nb + j / bk] *
                                                    l->out_scale;
                    }
                }
            return st;
        }
        return token_device(c, l, t, y);
    }

    /* Q8K: llama.cpp's per-256-block activation scales: every block apart */
    int8_t *xb = c->xq + (size_t)t * K;
    for (uint32_t r = 0; r < t; r++)
        for (uint32_t b = 0; b < nb; b++)
            c->xs[(size_t)r * nb + b] =
                q8k_block(x + (size_t)r * K + (size_t)b * QK, c->xq + (size_t)r * K + (size_t)b * QK);
    memset(y, 0, (size_t)t * N * sizeof *y);
    for (uint32_t b = 0; b < nb; b++) {
        for (uint32_t r = 0; r < t; r++)
            memcpy(xb + (size_t)r * QK, c->xq + (size_t)r * K + (size_t)b * QK, QK);
        if ((st = dev_run(c, l, b + 1, t, xb, c->yi)) != TLPU_OK)
            return st;
        for (uint32_t r = 0; r < t; r++)
            for (uint32_t n = 0; n < N; n++) {
                const float d = c->xs[(size_t)r * nb + b] * l->scale[(size_t)n * nb + b];
                y[(size_t)r * N + n] += (float)c->yi[(size_t)r * N + n] * d;
            }
    }
    if (l->out_scale != 1.0f)
        for (size_t i = 0; i < (size_t)t * N; i++)
            y[i] *= l->out_scale;
    return TLPU_OK;
}

/* ggml's rms_norm: the sum of squares in double, the scale in float; then
 * times the weight */
static void rmsnorm(const float *x, const float *w, uint32_t n, float eps, float *y)
{
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (uint32_t i = 0; i < n; i++)
        y[i] = (x[i] * scale) * w[i];
}

/* NEOX RoPE of one head vector at pos, ggml's way (theta multiplied up) */
static void rope(float *x, uint32_t hd, uint32_t pos, float base)
{
    const float theta_scale = powf(base, -2.0f / (float)hd);
    float theta = (float)pos;
    for (uint32_t i = 0; i < hd / 2; i++) {
        const float cs = cosf(theta), sn = sinf(theta);
        const float x0 = x[i], x1 = x[i + hd / 2];
        x[i] = x0 * cs - x1 * sn;
        x[i + hd / 2] = x0 * sn + x1 * cs;
        theta *= theta_scale;
    }
}

/* ---- the output projection: a float matrix (F32, F16, BF16) times a vector -------------- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_MATVEC 1
#define TGT __attribute__((target("avx2,fma,f16c")))

static TGT float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* rows of F16 (type 1) or F32 (type 0) times x: four 8-wide accumulators,
 * as ggml's vector dot products keep */
static TGT void matvec_avx2(const fmat *m, const float *x, float *y)
{
    const uint64_t E = m->cols, E32 = E / 32 * 32;
    for (uint64_t r = 0; r < m->rows; r++) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        float tail = 0;
        if (m->type == TLPU_GGUF_TYPE_F16) {
            const uint16_t *w = (const uint16_t *)m->data + r * E;
            for (uint64_t e = 0; e < E32; e += 32) {
                a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + e))),
                                     _mm256_loadu_ps(x + e), a0);
                a1 = _mm256_fmadd_ps(
                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + e + 8))),
                    _mm256_loadu_ps(x + e + 8), a1);
                a2 = _mm256_fmadd_ps(
                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + e + 16))),
                    _mm256_loadu_ps(x + e + 16), a2);
                a3 = _mm256_fmadd_ps(
                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + e + 24))),
                    _mm256_loadu_ps(x + e + 24), a3);
            }
            for (uint64_t e = E32; e < E; e++)
                tail += tlpu_f16_to_f32(w[e]) * x[e];
        } else {
            const float *w = (const float *)m->data + r * E;
            for (uint64_t e = 0; e < E32; e += 32) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + e), _mm256_loadu_ps(x + e), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + e + 8), _mm256_loadu_ps(x + e + 8), a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + e + 16), _mm256_loadu_ps(x + e + 16),
                                     a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + e + 24), _mm256_loadu_ps(x + e + 24),
                                     a3);
            }
            for (uint64_t e = E32; e < E; e++)
                tail += w[e] * x[e];
        }
        y[r] = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))) + tail;
    }
}
#endif

static void matvec1(const fmat *m, const float *x, float *y);

typedef struct mv_job {
    fmat part;
    const float *x;
    float *y;
} mv_job;

static void *mv_thread(void *arg)
{
    mv_job *j = arg;
    matvec1(&j->part, j->x, j->y);
    return NULL;
}

/* rows split over `threads` threads (the caller is one of them) */
static void matvec(const fmat *m, const float *x, float *y, uint32_t threads)
{
    if (threads <= 1 || m->rows < 4096) {
        matvec1(m, x, y);
        return;
    }
    if (threads > 64)
        threads = 64;
    mv_job job[64];
    pthread_t tid[64];
    int running[64] = {0};
    const size_t esz = m->type == TLPU_GGUF_TYPE_F32 ? 4 : 2;
    for (uint32_t i = 0; i < threads; i++) {
        const uint64_t r0 = m->rows * i / threads, r1 = m->rows * (i + 1) / threads;
        job[i].part = *m;
        job[i].part.data = (const uint8_t *)m->data + r0 * m->cols * esz;
        job[i].part.rows = r1 - r0;
        job[i].x = x;
        job[i].y = y + r0;
    }
    for (uint32_t i = 1; i < threads; i++)
        running[i] = pthread_create(&tid[i], NULL, mv_thread, &job[i]) == 0;
    mv_thread(&job[0]);
    for (uint32_t i = 1; i < threads; i++) {
        if (running[i])
            pthread_join(tid[i], NULL);
        else
            mv_thread(&job[i]); /* no thread could start: do its part here */
    }
}

static void matvec1(const fmat *m, const float *x, float *y)
{
#ifdef HAVE_X86_MATVEC
    const int fast = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                     __builtin_cpu_supports("f16c");
    if (fast && m->type != TLPU_GGUF_TYPE_BF16 && ((uintptr_t)m->data % 4) == 0) {
        matvec_avx2(m, x, y);
        return;
    }
#endif
    for (uint64_t r = 0; r < m->rows; r++) {
        float d = 0;
        for (uint64_t e = 0; e < m->cols; e++)
            d += x[e] * fmat_at(m, r, e);
        y[r] = d;
    }
}

tlpu_status tlpu_context_decode(tlpu_context *c, const int32_t *tokens, uint32_t n,
                                int all_logits)
{
    if (!c || !tokens || !n)
        return lfail(TLPU_ERR_INVALID_ARG, "tlpu_context_decode: NULL argument or no tokens");
    tlpu_model *m = c->m;
    const tlpu_model_info *in = &m->info;
    for (uint32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= in->n_vocab)
            return lfail(TLPU_ERR_RANGE, "token %d at batch position %u is not in the "
                                             "vocabulary of %u", tokens[i], i, in->n_vocab);
    if (n > c->n_ctx - c->pos)
        return lfail(TLPU_ERR_RANGE, "%u more tokens do not fit the context: %u of %u "
                                         "positions used", n, c->pos, c->n_ctx);
    tlpu_status st = reserve(c, n);
    if (st != TLPU_OK)
        return st;
    const uint32_t E = in->n_embd, H = in->n_head, HKV = in->n_head_kv, hd = E / H;
    const uint32_t kvw = HKV * hd, F = in->n_ff, grp = H / HKV;
    const int kv16 = c->p.kv == TLPU_KV_F16;
    const float kq_scale = 1.0f / sqrtf((float)hd);
    const uint32_t p0 = c->pos;
    /* embeddings */
    for (uint32_t t = 0; t < n; t++)
        for (uint32_t e = 0; e < E; e++)
            c->h[(size_t)t * E + e] = fmat_at(&m->embd, (uint64_t)tokens[t], e);
    for (uint32_t l = 0; l < in->n_layer; l++) {
        layer *L = &m->L[l];
        for (uint32_t t = 0; t < n; t++)
            rmsnorm(c->h + (size_t)t * E, L->attn_norm, E, in->rms_eps, c->a + (size_t)t * E);
        if ((st = bitlinear(c, &L->q, n, c->a, c->q)) || (st = bitlinear(c, &L->k, n, c->a, c->k)) ||
            (st = bitlinear(c, &L->v, n, c->a, c->v)))
            return st;
        float *kc = c->kc + (size_t)l * c->n_ctx * kvw, *vc = c->vc + (size_t)l * c->n_ctx * kvw;
        for (uint32_t t = 0; t < n; t++) {
            for (uint32_t j = 0; j < H; j++)
                rope(c->q + (size_t)t * E + (size_t)j * hd, hd, p0 + t, in->rope_base);
            for (uint32_t j = 0; j < HKV; j++)
                rope(c->k + (size_t)t * kvw + (size_t)j * hd, hd, p0 + t, in->rope_base);
            float *kd = kc + (size_t)(p0 + t) * kvw, *vd = vc + (size_t)(p0 + t) * kvw;
            for (uint32_t i = 0; i < kvw; i++) {
                kd[i] = kv16 ? f16r(c->k[(size_t)t * kvw + i]) : c->k[(size_t)t * kvw + i];
                vd[i] = kv16 ? f16r(c->v[(size_t)t * kvw + i]) : c->v[(size_t)t * kvw + i];
            }
        }
        /* attention, causal, every query head on its KV head */
        for (uint32_t t = 0; t < n; t++) {
            const uint32_t len = p0 + t + 1;
            for (uint32_t j = 0; j < H; j++) {
                const float *q = c->q + (size_t)t * E + (size_t)j * hd;
                float qq[1024];
                const float *qv = q;
                if (kv16) { /* the fork rounds q to f16 for K.Q against its f16 cache */
                    for (uint32_t i = 0; i < hd && i < 1024; i++)
                        qq[i] = f16r(q[i]);
                    qv = qq;
                }
                const uint32_t kvh = j / grp;
                float mx = -INFINITY;
                for (uint32_t s = 0; s < len; s++) {
                    const float *kr = kc + (size_t)s * kvw + (size_t)kvh * hd;
                    float d = 0;
                    for (uint32_t i = 0; i < hd; i++)
                        d += qv[i] * kr[i];
                    c->scores[s] = d * kq_scale;
                    if (c->scores[s] > mx)
                        mx = c->scores[s];
                }
                double sum = 0;
                for (uint32_t s = 0; s < len; s++) {
                    c->scores[s] = expf(c->scores[s] - mx);
                    sum += c->scores[s];
                }
                const float inv = (float)(1.0 / sum);
                for (uint32_t s = 0; s < len; s++) {
                    c->scores[s] *= inv;
                    if (kv16 && n == 1) /* single-token rows round P to f16 (the fork) */
                        c->scores[s] = f16r(c->scores[s]);
                }
                float *o = c->o + (size_t)t * E + (size_t)j * hd;
                for (uint32_t i = 0; i < hd; i++)
                    o[i] = 0;
                for (uint32_t s = 0; s < len; s++) {
                    const float *vr = vc + (size_t)s * kvw + (size_t)kvh * hd;
                    const float p = c->scores[s];
                    for (uint32_t i = 0; i < hd; i++)
                        o[i] += p * vr[i];
                }
            }
        }
        for (uint32_t t = 0; t < n; t++)
            rmsnorm(c->o + (size_t)t * E, L->attn_sub_norm, E, in->rms_eps, c->a + (size_t)t * E);
        if ((st = bitlinear(c, &L->o, n, c->a, c->y)))
            return st;
        for (size_t i = 0; i < (size_t)n * E; i++)
            c->h[i] += c->y[i];
        /* the gated FFN */
        for (uint32_t t = 0; t < n; t++)
            rmsnorm(c->h + (size_t)t * E, L->ffn_norm, E, in->rms_eps, c->a + (size_t)t * E);
        if ((st = bitlinear(c, &L->gate, n, c->a, c->g)) ||
            (st = bitlinear(c, &L->up, n, c->a, c->u)))
            return st;
        for (size_t i = 0; i < (size_t)n * F; i++) {
            float z = c->g[i];
            float act = m->fork ? (z > 0 ? z * z : 0.0f) : z / (1.0f + expf(-z));
            c->g[i] = act * c->u[i];
        }
        for (uint32_t t = 0; t < n; t++)
            rmsnorm(c->g + (size_t)t * F, L->ffn_sub_norm, F, in->rms_eps, c->a + (size_t)t * F);
        if ((st = bitlinear(c, &L->down, n, c->a, c->y)))
            return st;
        for (size_t i = 0; i < (size_t)n * E; i++)
            c->h[i] += c->y[i];
    }
    /* the output projection for the rows asked for */
    const uint32_t r0 = all_logits ? 0 : n - 1, rows = n - r0;
    float *lg = realloc(c->logits, (size_t)rows * in->n_vocab * sizeof *lg);
    if (!lg)
        return lfail(TLPU_ERR_NOMEM, "out of memory");
    c->logits = lg;
    /* llama.cpp rounds the input of an F16 matmul to f16; the fork's batched
     * rows do not (its tinyBLAS path), its single-token rows do */
    const int f16w = m->out.type == TLPU_GGUF_TYPE_F16 && m->p.act != TLPU_ACT_FLOAT;
    const int round_in = f16w && (!m->fork || n == 1);
    for (uint32_t t = r0; t < n; t++) {
        float *x = c->a;
        rmsnorm(c->h + (size_t)t * E, m->output_norm, E, in->rms_eps, x);
        if (round_in)
            for (uint32_t e = 0; e < E; e++)
                x[e] = f16r(x[e]);
        matvec(&m->out, x, lg + (size_t)(t - r0) * in->n_vocab, m->p.threads);
    }
    c->nlogits = rows;
    c->pos += n;
    c->st.tokens += n;
    c->st.batches++;
    return TLPU_OK;
}

/* ---- sampling -------------------------------------------------------------------------------- */

struct tlpu_sampler {
    tlpu_sampler_params p;
    tlpu_rng rng;
    float *prob;
    uint32_t *idx;
    uint32_t cap;
};

void tlpu_sampler_params_init(tlpu_sampler_params *p)
{
    if (!p)
        return;
    p->temp = 0;
    p->top_k = 40;
    p->top_p = 0.95f;
    p->seed = 0;
}

tlpu_status tlpu_sampler_new(const tlpu_sampler_params *p, tlpu_sampler **out)
{
    if (!p || !out)
        return lfail(TLPU_ERR_INVALID_ARG, "tlpu_sampler_new: NULL argument");
    if (!isfinite(p->temp) || !(p->top_p > 0 && p->top_p <= 1))
        return lfail(TLPU_ERR_INVALID_ARG, "sampler: temperature must be finite and top-p "
                                               "in (0, 1]");
    tlpu_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return lfail(TLPU_ERR_NOMEM, "out of memory");
    s->p = *p;
    s->rng = tlpu_rng_seed(p->seed);
    *out = s;
    return TLPU_OK;
}

void tlpu_sampler_free(tlpu_sampler *s)
{
    if (!s)
        return;
    free(s->prob);
    free(s->idx);
    free(s);
}

static int by_prob(const void *a, const void *b, void *keys)
{
    const float *k = keys;
    float x = k[*(const uint32_t *)a], y = k[*(const uint32_t *)b];
    if (x != y)
        return x > y ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

int32_t tlpu_sampler_sample(tlpu_sampler *s, const float *logits, uint32_t n)
{
    if (!s || !logits || !n)
        return -1;
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    if (s->p.temp <= 0)
        return (int32_t)best;
    if (n > s->cap) {
        float *pr = realloc(s->prob, n * sizeof *pr);
        uint32_t *ix = realloc(s->idx, n * sizeof *ix);
        if (pr)
            s->prob = pr;
        if (ix)
            s->idx = ix;
        if (!pr || !ix)
            return (int32_t)best;
        s->cap = n;
    }
    /* softmax at the temperature, then top-k and top-p, then a draw */
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        s->prob[i] = expf((logits[i] - logits[best]) / s->p.temp);
        s->idx[i] = i;
    }
    qsort_r(s->idx, n, sizeof *s->idx, by_prob, s->prob);
    uint32_t keep = s->p.top_k && s->p.top_k < n ? s->p.top_k : n;
    for (uint32_t i = 0; i < keep; i++)
        sum += s->prob[s->idx[i]];
    double cum = 0;
    uint32_t cut = keep;
    for (uint32_t i = 0; i < keep; i++) {
        cum += s->prob[s->idx[i]] / sum;
        if (cum >= s->p.top_p) {
            cut = i + 1;
            break;
        }
    }
    double total = 0;
    for (uint32_t i = 0; i < cut; i++)
        total += s->prob[s->idx[i]];
    double u = tlpu_rng_uniform(&s->rng) * total;
    for (uint32_t i = 0; i < cut; i++) {
        u -= s->prob[s->idx[i]];
        if (u <= 0)
            return (int32_t)s->idx[i];
    }
    return (int32_t)s->idx[cut - 1];
}
