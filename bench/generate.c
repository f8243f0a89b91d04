/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/generate - host-side inference speed on ref: (the fast C reference):
 * a random model with BitNet b1.58 2B4T's real dimensions (30 layers, 2560
 * wide, 20 / 5 heads, FFN 6912, vocabulary 128256, I2_S weights with one
 * scale per tensor, F16 embeddings tied to the output) is built in memory on
 * the fly - nothing is stored - then, for each thread count, a prompt runs
 * as one batch and tokens are generated one at a time (greedy). Printed:
 * prompt-processing and generation tokens/s (wall clock, median of the
 * runs) and the process's peak memory.
 *
 *   build/bench/generate [--model 2b4t|small] [--prompt N] [--gen N] [--runs N]
 *                        [--threads 1,2]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tlpu/fp.h"
#include "tlpu/llm.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"

#include "bench.h"

typedef struct dims {
    const char *name;
    uint32_t layers, embd, heads, kv_heads, ffn, vocab;
} dims;

static const dims k_2b4t = {"2b4t", 30, 2560, 20, 5, 6912, 128256};
static const dims k_small = {"small", 4, 512, 8, 2, 1536, 4096};

/* ---- a GGUF image in memory ------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 20;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            fprintf(stderr, "generate: out of memory\n");
            exit(1);
        }
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void u32(buf *b, uint32_t v) { put(b, &v, 4); }
static void u64(buf *b, uint64_t v) { put(b, &v, 8); }
static void str(buf *b, const char *s)
{
    u64(b, strlen(s));
    put(b, s, strlen(s));
}
static void kv_u32(buf *b, const char *k, uint32_t v)
{
    str(b, k);
    u32(b, 4);
    u32(b, v);
}
static void kv_f32(buf *b, const char *k, float v)
{
    str(b, k);
    u32(b, 6);
    put(b, &v, 4);
}

typedef struct tens {
    char name[64];
    uint32_t type, ndim;
    uint64_t ne[2];
    size_t size;
} tens;

/* the tensors of one model, in file order */
static size_t list(const dims *d, tens *t)
{
    size_t n = 0;
    const uint32_t E = d->embd, KV = d->embd / d->heads * d->kv_heads, F = d->ffn;
#define T(nm, ty, a, b_)                                                                           \
    do {                                                                                           \
        snprintf(t[n].name, sizeof t[n].name, "%s", nm);                                           \
        t[n].type = ty, t[n].ne[0] = a, t[n].ne[1] = b_, t[n].ndim = b_ ? 2 : 1;                     \
        t[n].size = ty == 36   ? (size_t)(a) * (b_) / 4 + 32                                       \
                    : ty == 1  ? (size_t)(a) * (b_) * 2                                            \
                               : (size_t)(a) * 4;                                                  \
        n++;                                                                                       \
    } while (0)
    T("token_embd.weight", 1, E, d->vocab);
    for (uint32_t l = 0; l < d->layers; l++) {
        char nm[64];
#define L(what, ty, a, b_)                                                                         \
    snprintf(nm, sizeof nm, "blk.%u.%s.weight", l, what);                                          \
    T(nm, ty, a, b_);
        L("attn_norm", 0, E, 0);
        L("attn_q", 36, E, E);
        L("attn_k", 36, E, KV);
        L("attn_v", 36, E, KV);
        L("attn_sub_norm", 0, E, 0);
        L("attn_output", 36, E, E);
        L("ffn_norm", 0, E, 0);
        L("ffn_gate", 36, E, F);
        L("ffn_up", 36, E, F);
        L("ffn_sub_norm", 0, F, 0);
        L("ffn_down", 36, F, E);
#undef L
    }
    T("output_norm.weight", 0, E, 0);
#undef T
    return n;
}

static uint8_t *build(const dims *d, size_t *size)
{
    tens *t = calloc(16 + 11 * (size_t)d->layers, sizeof *t);
    size_t nt = list(d, t);
    buf b = {0};
    put(&b, "GGUF", 4);
    u32(&b, 3);
    u64(&b, nt);
    u64(&b, 9);
    str(&b, "general.architecture");
    u32(&b, 8);
    str(&b, "bitnet-b1.58");
    kv_u32(&b, "bitnet-b1.58.embedding_length", d->embd);
    kv_u32(&b, "bitnet-b1.58.block_count", d->layers);
    kv_u32(&b, "bitnet-b1.58.context_length", 4096);
    kv_u32(&b, "bitnet-b1.58.attention.head_count", d->heads);
    kv_u32(&b, "bitnet-b1.58.attention.head_count_kv", d->kv_heads);
    kv_u32(&b, "bitnet-b1.58.feed_forward_length", d->ffn);
    kv_f32(&b, "bitnet-b1.58.rope.freq_base", 500000.0f);
    kv_f32(&b, "bitnet-b1.58.attention.layer_norm_rms_epsilon", 1e-5f);
    uint64_t off = 0;
    for (size_t i = 0; i < nt; i++) {
        str(&b, t[i].name);
        u32(&b, t[i].ndim);
        for (uint32_t k = 0; k < t[i].ndim; k++)
            u64(&b, t[i].ne[k]);
        u32(&b, t[i].type);
        u64(&b, off);
        off += (t[i].size + 31) / 32 * 32;
    }
    static const uint8_t zero[32];
    put(&b, zero, (32 - b.n % 32) % 32);
    tlpu_rng r = tlpu_rng_seed(2025);
    int8_t *trits = NULL;
    size_t trits_cap = 0;
    for (size_t i = 0; i < nt; i++) {
        const size_t start = b.n, ne = (size_t)t[i].ne[0] * (t[i].ndim > 1 ? t[i].ne[1] : 1);
        if (t[i].type == 0) { /* norms near 1 */
            for (size_t k = 0; k < ne; k++) {
                float v = (float)(1.0 + 0.2 * (tlpu_rng_uniform(&r) - 0.5));
                put(&b, &v, 4);
            }
        } else if (t[i].type == 1) { /* embeddings: small random f16 */
            for (size_t k = 0; k < ne; k++) {
                uint16_t h = tlpu_f32_to_f16((float)(0.125 * (tlpu_rng_uniform(&r) - 0.5)));
                put(&b, &h, 2);
            }
        } else { /* I2_S: random trits, about a third zero, one scale */
            if (ne > trits_cap) {
                free(trits);
                trits = malloc(ne);
                trits_cap = ne;
            }
            for (size_t k = 0; k < ne; k++)
                trits[k] = (int8_t)((int)(tlpu_rng_next(&r) % 3) - 1);
            put(&b, zero, 0);
            size_t need = tlpu_i2s_size(ne);
            uint8_t *tmp = malloc(need);
            if (!trits || !tmp || tlpu_i2s_encode(trits, ne, 0.02f, tmp, need) != TLPU_OK) {
                fprintf(stderr, "generate: making %s failed\n", t[i].name);
                exit(1);
            }
            put(&b, tmp, need);
            free(tmp);
        }
        put(&b, zero, (32 - (b.n - start) % 32) % 32);
    }
    free(trits);
    free(t);
    *size = b.n;
    return b.p;
}

int main(int argc, char **argv)
{
    const dims *d = &k_2b4t;
    uint32_t prompt = 64, gen = 32, runs = 3;
    char threads[64] = "1,2";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            goto usage;
        i++;
        if (!strcmp(o, "--model"))
            d = !strcmp(v, "small") ? &k_small : !strcmp(v, "2b4t") ? &k_2b4t : NULL;
        else if (!strcmp(o, "--prompt"))
            prompt = (uint32_t)atoi(v);
        else if (!strcmp(o, "--gen"))
            gen = (uint32_t)atoi(v);
        else if (!strcmp(o, "--runs"))
            runs = (uint32_t)atoi(v);
        else if (!strcmp(o, "--threads"))
            snprintf(threads, sizeof threads, "%s", v);
        else
            goto usage;
        if (!d || !prompt || prompt > 1024 || !gen || gen > 1024 || !runs || runs > 15)
            goto usage;
    }
    double t0 = bench_now();
    size_t size = 0;
    uint8_t *img = build(d, &size);
    printf("model: random %s dimensions (%u layers, %u wide, FFN %u, vocabulary %u), I2_S, "
           "%.0f MB GGUF image made in %.1f s\n",
           d->name, d->layers, d->embd, d->ffn, d->vocab, (double)size / 1e6, bench_now() - t0);
    printf("\n| device | threads | prompt tokens/s (%u tokens) | generation tokens/s (%u "
           "tokens) | load s |\n|---|---|---|---|---|\n",
           prompt, gen);
    for (char *save = NULL, *tok = strtok_r(threads, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char uri[64];
        snprintf(uri, sizeof uri, "ref:threads=%s", tok);
        tlpu_model_params mp;
        tlpu_model_params_init(&mp);
        mp.device = uri;
        mp.threads = (uint32_t)atoi(tok); /* the output projection too */
        tlpu_model *m = NULL;
        char err[512];
        double l0 = bench_now();
        if (tlpu_model_load_mem(img, size, "random model", &mp, &m, err, sizeof err) != TLPU_OK) {
            fprintf(stderr, "generate: %s\n", err);
            return 1;
        }
        tlpu_context_params cp;
        tlpu_context_params_init(&cp);
        cp.n_ctx = prompt + gen + 1;
        tlpu_context *c = NULL;
        if (tlpu_context_new(m, &cp, &c) != TLPU_OK) {
            fprintf(stderr, "generate: %s\n", tlpu_llm_last_error());
            return 1;
        }
        int32_t *ids = malloc(prompt * sizeof *ids);
        tlpu_rng r = tlpu_rng_seed(7);
        for (uint32_t i = 0; i < prompt; i++)
            ids[i] = (int32_t)(tlpu_rng_next(&r) % d->vocab);
        /* a first pass loads every layer onto the device (untimed) */
        if (tlpu_context_decode(c, ids, prompt, 0) != TLPU_OK ||
            tlpu_context_decode(c, ids, 1, 0) != TLPU_OK) {
            fprintf(stderr, "generate: %s\n", tlpu_llm_last_error());
            return 1;
        }
        double load = bench_now() - l0;
        double pp[15], tg[15];
        for (uint32_t run = 0; run < runs; run++) {
            tlpu_context_reset(c);
            double a = bench_now();
            if (tlpu_context_decode(c, ids, prompt, 0) != TLPU_OK)
                return 1;
            double b = bench_now();
            const float *lg = tlpu_context_logits(c, 0);
            for (uint32_t g = 0; g < gen; g++) {
                int32_t best = 0;
                for (uint32_t v = 1; v < d->vocab; v++)
                    if (lg[v] > lg[best])
                        best = (int32_t)v;
                if (tlpu_context_decode(c, &best, 1, 0) != TLPU_OK)
                    return 1;
                lg = tlpu_context_logits(c, 0);
            }
            double e = bench_now();
            pp[run] = prompt / (b - a);
            tg[run] = gen / (e - b);
        }
        qsort(pp, runs, sizeof *pp, bench_cmp_double);
        qsort(tg, runs, sizeof *tg, bench_cmp_double);
        printf("| ref: | %s | %.2f | %.2f | %.1f |\n", tok, pp[runs / 2], tg[runs / 2], load);
        fflush(stdout);
        free(ids);
        tlpu_context_free(c);
        tlpu_model_free(m);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\npeak memory (max RSS): %.0f MB (the %.0f MB image, the model's packed weights, "
           "the reference's prepared matrices, the KV cache)\n",
           (double)ru.ru_maxrss / 1024.0, (double)size / 1e6);
    free(img);
    return 0;
usage:
    fprintf(stderr, "usage: generate [--model 2b4t|small] [--prompt N<=1024] [--gen N<=1024] "
                    "[--runs N<=15] [--threads 1,2]\n");
    return 2;
}
