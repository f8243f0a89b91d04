/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu perplexity -m FILE -f TEXT [--ctx N] [--chunks N] [--device URI]
 *                 [--act token|q8k|float] [--kv f32|f16]
 *
 * llama.cpp's perplexity (tools/perplexity, the default mode): the whole
 * text is tokenized once (with BOS when the vocabulary adds it); it is cut
 * into chunks of n_ctx tokens (the rest dropped); each chunk runs as one
 * batch from an empty KV cache with its first token replaced by BOS (when
 * the vocabulary adds one), and only the second half of the chunk is scored:
 * the log-probabilities of tokens first+1 .. n_ctx-1 given what precedes
 * them, first = n_ctx / 2. Printed as llama.cpp does: the running estimate
 * after every chunk, then "Final estimate: PPL = X +/- Y".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/llm.h"
#include "tlpu/tokenizer.h"

static char *read_text(const char *cmd, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error(cmd, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n < cap)
            break;
        char *nb = cap > (1u << 30) ? NULL : realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb, cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        cli_error(cmd, "%s: %s", path, bad ? "read error" : "too large (at most 1 GiB)");
        return NULL;
    }
    *len = n;
    return b;
}

int cmd_perplexity(int argc, char **argv)
{
    const char *cmd = "perplexity", *model = NULL, *file = NULL;
    tlpu_model_params mp;
    tlpu_model_params_init(&mp);
    tlpu_context_params cp;
    tlpu_context_params_init(&cp);
    uint64_t n_ctx = 0, max_chunks = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        if (!(v = cli_value(cmd, argc, argv, &i)))
            return CLI_USAGE;
        if (!strcmp(o, "-m") || !strcmp(o, "--model"))
            model = v;
        else if (!strcmp(o, "-f") || !strcmp(o, "--file"))
            file = v;
        else if (!strcmp(o, "--ctx") || !strcmp(o, "-c")) {
            if (cli_parse_u64(cmd, o, v, 4, 1u << 20, &n_ctx))
                return CLI_USAGE;
        } else if (!strcmp(o, "--chunks")) {
            if (cli_parse_u64(cmd, o, v, 1, 1u << 30, &max_chunks))
                return CLI_USAGE;
        } else {
            if (cli_llm_option(cmd, o, v, &mp, &cp))
                return CLI_USAGE;
        }
    }
    if (!model || !file) {
        cli_error(cmd, "-m FILE and -f TEXT are required");
        return CLI_USAGE;
    }
    size_t len = 0;
    char *text = read_text(cmd, file, &len);
    if (!text)
        return CLI_USAGE;
    char err[512];
    int rc = CLI_OK;
    tlpu_model *m = NULL;
    tlpu_vocab *voc = NULL;
    tlpu_context *c = NULL;
    int32_t *ids = NULL;
    tlpu_status st = tlpu_model_load(model, &mp, &m, err, sizeof err);
    if (st != TLPU_OK) {
        cli_error(cmd, "%s", err);
        rc = CLI_USAGE;
        goto out;
    }
    if ((st = tlpu_vocab_from_gguf(tlpu_model_gguf(m), &voc, err, sizeof err)) != TLPU_OK) {
        cli_error(cmd, "%s: %s", model, err);
        rc = CLI_USAGE;
        goto out;
    }
    size_t n = 0;
    st = tlpu_tokenize(voc, text, len, 1, 0, NULL, 0, &n);
    if (st == TLPU_ERR_BUFFER_SIZE) {
        ids = malloc(n * sizeof *ids);
        st = ids ? tlpu_tokenize(voc, text, len, 1, 0, ids, n, &n) : TLPU_ERR_NOMEM;
    }
    if (st != TLPU_OK) {
        cli_error(cmd, "%s: tokenizing: %s", file, tlpu_strerror(st));
        rc = CLI_USAGE;
        goto out;
    }
    tlpu_model_info in;
    tlpu_model_get_info(m, &in);
    if (!n_ctx)
        n_ctx = in.n_ctx_train < 512 ? in.n_ctx_train : 512;
    if (n < 2 * n_ctx) {
        cli_error(cmd, "%s has %zu tokens: at least 2 x n_ctx = %llu are needed (use a longer "
                       "text or a smaller --ctx)",
                  file, n, (unsigned long long)(2 * n_ctx));
        rc = CLI_USAGE;
        goto out;
    }
    uint64_t chunks = n / n_ctx;
    if (max_chunks && max_chunks < chunks)
        chunks = max_chunks;
    cp.n_ctx = (uint32_t)n_ctx;
    if ((st = tlpu_context_new(m, &cp, &c)) != TLPU_OK) {
        cli_error(cmd, "%s", tlpu_llm_last_error());
        rc = CLI_USAGE;
        goto out;
    }
    const int add_bos = tlpu_vocab_add_bos(voc) && tlpu_vocab_bos(voc) >= 0;
    const uint32_t first = (uint32_t)(n_ctx / 2);
    double nll = 0, nll2 = 0;
    uint64_t count = 0;
    printf("perplexity: %zu tokens, %llu chunks of %llu, scoring the second half of each\n", n,
           (unsigned long long)chunks, (unsigned long long)n_ctx);
    for (uint64_t ch = 0; ch < chunks; ch++) {
        int32_t *tok = ids + ch * n_ctx;
        const int32_t keep = tok[0];
        if (add_bos)
            tok[0] = tlpu_vocab_bos(voc);
        tlpu_context_reset(c);
        st = tlpu_context_decode(c, tok, (uint32_t)n_ctx, 1);
        tok[0] = keep;
        if (st != TLPU_OK) {
            cli_error(cmd, "chunk %llu: %s", (unsigned long long)ch, tlpu_llm_last_error());
            rc = CLI_FAIL;
            goto out;
        }
        for (uint32_t i = first; i + 1 < n_ctx; i++) {
            const float *lg = tlpu_context_logits(c, i);
            float mx = lg[0];
            for (uint32_t v = 1; v < in.n_vocab; v++)
                mx = lg[v] > mx ? lg[v] : mx;
            double sum = 0;
            for (uint32_t v = 0; v < in.n_vocab; v++)
                sum += exp((double)lg[v] - mx);
            const double lp = (double)lg[tok[i + 1]] - mx - log(sum);
            nll -= lp;
            nll2 += lp * lp;
            count++;
        }
        printf("[%llu]%.4f,", (unsigned long long)ch + 1, exp(nll / (double)count));
        fflush(stdout);
    }
    const double mean = nll / (double)count, var = nll2 / (double)count - mean * mean;
    const double ppl = exp(mean), err_ppl = ppl * sqrt((var > 0 ? var : 0) / (double)(count - 1));
    printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", ppl, err_ppl);
out:
    free(text);
    free(ids);
    tlpu_context_free(c);
    tlpu_vocab_free(voc);
    tlpu_model_free(m);
    return rc;
}
