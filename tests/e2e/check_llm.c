/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_llm - host-side inference (tlpu/llm.h) against the engines the model
 * files come from (the READMEs in tests/data/models and models-b158 give the references and the
 * tolerances):
 *
 *  - upstream llama.cpp's `bitnet` files: --act q8k on the TQ2_0 and TQ1_0
 *    files within 5e-3 of llama.cpp's logits; --act float on the F16, TQ2_0
 *    and TQ1_0 files within 1e-3 of the F32 master's; greedy ids equal in
 *    both modes on ref: and model:, and on sim: for the prompt and 4 tokens;
 *  - the 2B4T-format file (`bitnet-b1.58`, I2_S) against bitnet.cpp's fork:
 *    --act token with an F16 KV cache within 2e-4 (prompt rows) and 2e-3
 *    (decode rows), greedy ids equal; --act float within 2e-2 of the F32
 *    master;
 *  - the int32 BitLinear products bit-identical on ref:, model: and sim:
 *    (the logits then are too);
 *  - --act token on the upstream files: measured and printed;
 *  - bad input: missing files, other architectures, tokens out of the
 *    vocabulary, a full context, bad parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "tlpu/llm.h"

typedef struct lgts {
    uint32_t nv, nr, np, ng;
    int32_t *tok;
    float *lg;
} lgts;

static uint32_t u32at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static lgts load_ref(const char *rel)
{
    size_t n = 0;
    uint8_t *b = test_read_file(rel, &n);
    ck_assert_msg(b && n >= 24 && !memcmp(b, "LGTS", 4), "%s: not an LGTS file", rel);
    lgts r = {u32at(b + 8), u32at(b + 12), u32at(b + 16), u32at(b + 20), NULL, NULL};
    ck_assert_uint_eq(n, 24 + 4ull * r.nr + 4ull * r.nr * r.nv);
    r.tok = malloc(4ull * r.nr);
    r.lg = malloc(4ull * r.nr * r.nv);
    ck_assert(r.tok && r.lg);
    memcpy(r.tok, b + 24, 4ull * r.nr);
    memcpy(r.lg, b + 24 + 4ull * r.nr, 4ull * r.nr * r.nv);
    free(b);
    return r;
}

static void free_ref(lgts *r)
{
    free(r->tok);
    free(r->lg);
}

static tlpu_model *load(const char *rel, const char *device, tlpu_act act)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TLPU_TEST_DATA_DIR, rel);
    tlpu_model_params p;
    tlpu_model_params_init(&p);
    p.device = device;
    p.act = act;
    tlpu_model *m = NULL;
    char err[512];
    tlpu_status st = tlpu_model_load(path, &p, &m, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s on %s: %s", rel, device, err);
    return m;
}

/* The reference's prompt in one batch, then `gen` greedy tokens one at a
 * time; out gets (np + gen) rows of logits and toks the tokens. */
static void run(tlpu_model *m, tlpu_kv_type kv, const lgts *ref, uint32_t gen, float *out,
                int32_t *toks)
{
    tlpu_context_params cp;
    tlpu_context_params_init(&cp);
    cp.kv = kv;
    tlpu_context *c = NULL;
    ck_assert_int_eq(tlpu_context_new(m, &cp, &c), TLPU_OK);
    const uint32_t nv = ref->nv, np = ref->np;
    ck_assert_msg(tlpu_context_decode(c, ref->tok, np, 1) == TLPU_OK, "%s",
                  tlpu_llm_last_error());
    for (uint32_t r = 0; r < np; r++)
        memcpy(out + (size_t)r * nv, tlpu_context_logits(c, r), nv * sizeof *out);
    memcpy(toks, ref->tok, np * sizeof *toks);
    for (uint32_t s = 0; s < gen; s++) {
        const float *last = out + (size_t)(np + s - 1) * nv;
        int32_t best = 0;
        for (uint32_t v = 1; v < nv; v++)
            if (last[v] > last[best])
                best = (int32_t)v;
        toks[np + s] = best;
        ck_assert_msg(tlpu_context_decode(c, &best, 1, 0) == TLPU_OK, "%s",
                      tlpu_llm_last_error());
        memcpy(out + (size_t)(np + s) * nv, tlpu_context_logits(c, 0), nv * sizeof *out);
    }
    ck_assert_uint_eq(tlpu_context_pos(c), np + gen);
    tlpu_context_free(c);
}

/* max |a - b| over rows [r0, r1) */
static double maxdiff(const float *a, const float *b, uint32_t nv, uint32_t r0, uint32_t r1)
{
    double mx = 0;
    for (size_t i = (size_t)r0 * nv; i < (size_t)r1 * nv; i++)
        mx = fmax(mx, fabs((double)a[i] - (double)b[i]));
    return mx;
}

static const char *const k_upstream[] = {"models/tiny-bitnet-tq2_0.gguf",
                                         "models/tiny-bitnet-tq1_0.gguf",
                                         "models/tiny-bitnet-f16.gguf"};

/* llama.cpp's own activation rounding (q8k): its logits within 5e-3 */
START_TEST(test_upstream_q8k)
{
    const char *refs[] = {"models/tiny-bitnet-tq2_0.logits.f32", "models/tiny-bitnet-tq1_0.logits.f32"};
    lgts ref = load_ref(refs[_i]);
    float *lg = malloc(4ull * ref.nr * ref.nv);
    int32_t *tok = malloc(4ull * ref.nr);
    tlpu_model *m = load(k_upstream[_i], "ref:", TLPU_ACT_Q8K);
    tlpu_model_info in;
    tlpu_model_get_info(m, &in);
    ck_assert_str_eq(in.arch, "bitnet");
    ck_assert_str_eq(in.scales, "block");
    ck_assert_uint_eq(in.n_vocab, 384);
    run(m, TLPU_KV_F32, &ref, ref.ng, lg, tok);
    double d = maxdiff(lg, ref.lg, ref.nv, 0, ref.nr);
    printf("upstream %s --act q8k vs llama.cpp: max |d| %.3g\n", k_upstream[_i], d);
    ck_assert_msg(d <= 5e-3, "%s: max |d| %g", k_upstream[_i], d);
    ck_assert_mem_eq(tok, ref.tok, 4ull * ref.nr);
    tlpu_model_free(m);
    free(lg), free(tok);
    free_ref(&ref);
}
END_TEST

/* exact float activations: the F32 master's logits within 1e-3 */
START_TEST(test_upstream_float)
{
    lgts ref = load_ref("models/tiny-bitnet-f32.logits.f32");
    float *lg = malloc(4ull * ref.nr * ref.nv);
    int32_t *tok = malloc(4ull * ref.nr);
    tlpu_model *m = load(k_upstream[_i], "ref:", TLPU_ACT_FLOAT);
    ck_assert_ptr_null(tlpu_model_device(m)); /* float runs on the host */
    run(m, TLPU_KV_F32, &ref, ref.ng, lg, tok);
    double d = maxdiff(lg, ref.lg, ref.nv, 0, ref.nr);
    printf("upstream %s --act float vs the F32 master: max |d| %.3g\n", k_upstream[_i], d);
    ck_assert_msg(d <= 1e-3, "%s: max |d| %g", k_upstream[_i], d);
    ck_assert_mem_eq(tok, ref.tok, 4ull * ref.nr);
    tlpu_model_free(m);
    free(lg), free(tok);
    free_ref(&ref);
}
END_TEST

/* The devices: the same int32 products, so the same logits bit for bit:
 * ref: and model: on the whole run, sim: on the prompt and 4 tokens; both
 * device modes (q8k's per-block calls, token's whole-K calls) */
START_TEST(test_devices_bit_identical)
{
    const tlpu_act act = _i ? TLPU_ACT_TOKEN : TLPU_ACT_Q8K;
    lgts ref = load_ref("models/tiny-bitnet-tq2_0.logits.f32");
    const size_t sz = 4ull * ref.nr * ref.nv;
    float *a = malloc(sz), *b = malloc(sz), *s = malloc(sz);
    int32_t *ta = malloc(4ull * ref.nr), *tb = malloc(4ull * ref.nr), *ts = malloc(4ull * ref.nr);
    tlpu_model *m = load(k_upstream[0], "ref:threads=2", act);
    run(m, TLPU_KV_F32, &ref, ref.ng, a, ta);
    tlpu_model_free(m);
    m = load(k_upstream[0], "model:", act);
    run(m, TLPU_KV_F32, &ref, ref.ng, b, tb);
    tlpu_model_free(m);
    m = load(k_upstream[0], "sim:", act);
    run(m, TLPU_KV_F32, &ref, 4, s, ts);
    tlpu_model_free(m);
    ck_assert_mem_eq(a, b, sz);
    ck_assert_mem_eq(ta, tb, 4ull * ref.nr);
    ck_assert_mem_eq(a, s, 4ull * (ref.np + 4) * ref.nv);
    ck_assert_mem_eq(ta, ts, 4ull * (ref.np + 4));
    if (act == TLPU_ACT_Q8K) /* and they are llama.cpp's greedy ids */
        ck_assert_mem_eq(ta, ref.tok, 4ull * ref.nr);
    else { /* BitNet's own activations on a file made for Q8_K: measured */
        printf("upstream tq2_0 --act token vs llama.cpp (q8k): max |d| %.3g, greedy ids %s\n",
               maxdiff(a, ref.lg, ref.nv, 0, ref.nr),
               memcmp(ta, ref.tok, 4ull * ref.nr) ? "differ" : "equal");
    }
    free(a), free(b), free(s), free(ta), free(tb), free(ts);
    free_ref(&ref);
}
END_TEST

/* bitnet.cpp's fork on the 2B4T-format file: per-token int8 activations and
 * its F16 KV cache */
START_TEST(test_b158_token)
{
    lgts ref = load_ref("models-b158/tiny-b158-i2_s.logits.f32");
    float *lg = malloc(4ull * ref.nr * ref.nv);
    int32_t *tok = malloc(4ull * ref.nr);
    tlpu_model *m = load("models-b158/tiny-b158-i2_s.gguf", _i ? "model:" : "ref:",
                         TLPU_ACT_TOKEN);
    tlpu_model_info in;
    tlpu_model_get_info(m, &in);
    ck_assert_str_eq(in.arch, "bitnet-b1.58");
    ck_assert_str_eq(in.scales, "tensor");
    ck_assert_uint_eq(in.n_head_kv, 1);
    run(m, TLPU_KV_F16, &ref, ref.ng, lg, tok);
    double dp = maxdiff(lg, ref.lg, ref.nv, 0, ref.np);
    double dd = maxdiff(lg, ref.lg, ref.nv, ref.np, ref.nr);
    printf("b158 i2_s --act token --kv f16 on %s vs bitnet.cpp: prompt %.3g, decode %.3g\n",
           _i ? "model:" : "ref:", dp, dd);
    ck_assert_msg(dp <= 2e-4 && dd <= 2e-3, "prompt %g, decode %g", dp, dd);
    ck_assert_mem_eq(tok, ref.tok, 4ull * ref.nr);
    tlpu_model_free(m);
    free(lg), free(tok);
    free_ref(&ref);
}
END_TEST

START_TEST(test_b158_float)
{
    lgts ref = load_ref("models-b158/tiny-b158-f32.logits.f32");
    float *lg = malloc(4ull * ref.nr * ref.nv);
    int32_t *tok = malloc(4ull * ref.nr);
    tlpu_model *m = load("models-b158/tiny-b158-i2_s.gguf", "ref:", TLPU_ACT_FLOAT);
    run(m, _i ? TLPU_KV_F16 : TLPU_KV_F32, &ref, ref.ng, lg, tok);
    double d = maxdiff(lg, ref.lg, ref.nv, 0, ref.nr);
    printf("b158 i2_s --act float --kv %s vs the F32 master: max |d| %.3g\n", _i ? "f16" : "f32",
           d);
    ck_assert_msg(d <= 2e-2, "max |d| %g", d);
    ck_assert_mem_eq(tok, ref.tok, 4ull * ref.nr);
    tlpu_model_free(m);
    free(lg), free(tok);
    free_ref(&ref);
}
END_TEST

/* LLM.int8()-style outliers: channels above the threshold in float on the
 * host. A huge threshold changes nothing; a low one brings the logits closer
 * to exact float activations, and says how many it kept */
static double meandiff(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)a[i] - (double)b[i]);
    return s / (double)n;
}

START_TEST(test_outliers)
{
    lgts ref = load_ref("models/tiny-bitnet-tq2_0.logits.f32");
    const size_t cnt = (size_t)ref.nr * ref.nv;
    float *fl = malloc(4 * cnt), *plain = malloc(4 * cnt), *big = malloc(4 * cnt),
          *two = malloc(4 * cnt);
    int32_t *tok = malloc(4ull * ref.nr);
    tlpu_model *m = load(k_upstream[0], "ref:", TLPU_ACT_FLOAT);
    run(m, TLPU_KV_F32, &ref, ref.ng, fl, tok);
    tlpu_model_free(m);
    m = load(k_upstream[0], "ref:", TLPU_ACT_TOKEN);
    run(m, TLPU_KV_F32, &ref, ref.ng, plain, tok);
    tlpu_model_free(m);
    const float thr[2] = {1e20f, 2.0f};
    float *outs[2] = {big, two};
    for (int i = 0; i < 2; i++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", TLPU_TEST_DATA_DIR, k_upstream[0]);
        tlpu_model_params p;
        tlpu_model_params_init(&p);
        p.outlier = thr[i];
        ck_assert_int_eq(tlpu_model_load(path, &p, &m, err, sizeof err), TLPU_OK);
        run(m, TLPU_KV_F32, &ref, ref.ng, outs[i], tok);
        tlpu_model_free(m);
    }
    ck_assert_mem_eq(big, plain, 4 * cnt);
    const double e0 = meandiff(plain, fl, cnt), e2 = meandiff(two, fl, cnt);
    printf("outliers above 2 in float: mean |d| to exact activations %.3g (without: %.3g)\n", e2,
           e0);
    ck_assert(e2 < 0.75 * e0);
    free(fl), free(plain), free(big), free(two), free(tok);
    free_ref(&ref);
}
END_TEST

START_TEST(test_bad_input)
{
    char path[1024], err[512];
    tlpu_model_params p;
    tlpu_model_params_init(&p);
    tlpu_model *m = NULL;
    /* no such file; not a model (a vocabulary only); an unknown device */
    ck_assert_int_eq(tlpu_model_load("/nonexistent/x.gguf", &p, &m, err, sizeof err), TLPU_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.gguf"));
    snprintf(path, sizeof path, "%s/models-b158/vocab-llama-bpe.gguf", TLPU_TEST_DATA_DIR);
    ck_assert_int_eq(tlpu_model_load(path, &p, &m, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "no tensor 'token_embd.weight'"));
    snprintf(path, sizeof path, "%s/vectors/tiny.gguf", TLPU_TEST_DATA_DIR);
    /* a bitnet file without its hyper-parameters */
    ck_assert_int_eq(tlpu_model_load(path, &p, &m, err, sizeof err), TLPU_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "tiny.gguf: bitnet: 'bitnet.attention.head_count' is missing"));
    snprintf(path, sizeof path, "%s/models/tiny-bitnet-tq2_0.gguf", TLPU_TEST_DATA_DIR);
    p.device = "warp:";
    ck_assert_int_eq(tlpu_model_load(path, &p, &m, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err, "cannot open device 'warp:'"));
    p.device = "ref:";
    p.outlier = 3;
    p.act = TLPU_ACT_Q8K;
    ck_assert_int_eq(tlpu_model_load(path, &p, &m, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    /* a good model, then bad batches: nothing changes */
    p.outlier = 0;
    ck_assert_int_eq(tlpu_model_load(path, &p, &m, err, sizeof err), TLPU_OK);
    tlpu_context_params cp;
    tlpu_context_params_init(&cp);
    cp.n_ctx = 8;
    tlpu_context *c = NULL;
    ck_assert_int_eq(tlpu_context_new(m, &cp, &c), TLPU_OK);
    int32_t bad[2] = {1, 384};
    ck_assert_int_eq(tlpu_context_decode(c, bad, 2, 1), TLPU_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(tlpu_llm_last_error(), "token 384"));
    ck_assert_uint_eq(tlpu_context_pos(c), 0);
    int32_t nine[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ck_assert_int_eq(tlpu_context_decode(c, nine, 9, 0), TLPU_ERR_RANGE);
    ck_assert_ptr_nonnull(strstr(tlpu_llm_last_error(), "do not fit the context"));
    ck_assert_int_eq(tlpu_context_decode(c, nine, 8, 0), TLPU_OK);
    ck_assert_int_eq(tlpu_context_decode(c, nine, 1, 0), TLPU_ERR_RANGE);
    tlpu_context_reset(c);
    ck_assert_uint_eq(tlpu_context_pos(c), 0);
    ck_assert_int_eq(tlpu_context_decode(c, nine, 1, 0), TLPU_OK);
    ck_assert_ptr_nonnull(tlpu_context_logits(c, 0));
    ck_assert_ptr_null(tlpu_context_logits(c, 1));
    cp.kv = 7;
    tlpu_context *c2 = NULL;
    ck_assert_int_eq(tlpu_context_new(m, &cp, &c2), TLPU_ERR_INVALID_ARG);
    tlpu_context_free(c);
    tlpu_model_free(m);
    /* parsers */
    tlpu_act a;
    tlpu_kv_type kv;
    ck_assert_int_eq(tlpu_act_parse("q4", &a), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_kv_parse("q8_0", &kv), TLPU_ERR_INVALID_ARG);
}
END_TEST

/* the sampler: greedy ties to the lowest id, draws follow the seed */
START_TEST(test_sampler)
{
    tlpu_sampler_params sp;
    tlpu_sampler_params_init(&sp);
    tlpu_sampler *s = NULL;
    ck_assert_int_eq(tlpu_sampler_new(&sp, &s), TLPU_OK);
    const float lg[5] = {0.5f, 2.0f, 2.0f, -1.0f, 1.0f};
    ck_assert_int_eq(tlpu_sampler_sample(s, lg, 5), 1);
    tlpu_sampler_free(s);
    sp.temp = 1.0f, sp.top_k = 2, sp.top_p = 1.0f, sp.seed = 9;
    ck_assert_int_eq(tlpu_sampler_new(&sp, &s), TLPU_OK);
    int seen[5] = {0};
    for (int i = 0; i < 400; i++)
        seen[tlpu_sampler_sample(s, lg, 5)]++;
    ck_assert(seen[1] > 100 && seen[2] > 100); /* the two best, about half each */
    ck_assert_int_eq(seen[0] + seen[3] + seen[4], 0);
    tlpu_sampler_free(s);
    sp.top_p = 0;
    ck_assert_int_eq(tlpu_sampler_new(&sp, &s), TLPU_ERR_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("llm");
    TCase *tc = tcase_create("inference");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_upstream_q8k, 0, 2);
    tcase_add_loop_test(tc, test_upstream_float, 0, 3);
    tcase_add_loop_test(tc, test_devices_bit_identical, 0, 2);
    tcase_add_loop_test(tc, test_b158_token, 0, 2);
    tcase_add_loop_test(tc, test_b158_float, 0, 2);
    tcase_add_test(tc, test_outliers);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_sampler);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
