/* SPDX-License-Identifier: Apache-2.0 */
/*
 * example_generate - the inference API in a few lines (docs/inference.md):
 * load a GGUF BitNet model onto a device, tokenize a prompt, run it as one
 * batch, then generate greedily token by token, printing the text.
 *
 *   example_generate MODEL.gguf [DEVICE-URI] [PROMPT] [N]
 *
 * Built and run as a test on the shared tiny model (it checks nothing but
 * that every call succeeds; check_llm checks the numbers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlpu/llm.h"
#include "tlpu/tokenizer.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: example_generate MODEL.gguf [DEVICE-URI] [PROMPT] [N]\n");
        return 2;
    }
    const char *prompt = argc > 3 ? argv[3] : "The word was";
    const int n_gen = argc > 4 ? atoi(argv[4]) : 8;
    char err[512];

    /* 1. the model: its BitLinears go to the device the URI names */
    tlpu_model_params mp;
    tlpu_model_params_init(&mp);
    mp.device = argc > 2 ? argv[2] : "ref:";
    tlpu_model *model = NULL;
    if (tlpu_model_load(argv[1], &mp, &model, err, sizeof err) != TLPU_OK) {
        fprintf(stderr, "example_generate: %s\n", err);
        return 1;
    }
    /* 2. its tokenizer, from the same file */
    tlpu_vocab *vocab = NULL;
    if (tlpu_vocab_from_gguf(tlpu_model_gguf(model), &vocab, err, sizeof err) != TLPU_OK) {
        fprintf(stderr, "example_generate: %s\n", err);
        tlpu_model_free(model);
        return 1;
    }
    int32_t ids[256];
    size_t n = 0;
    if (tlpu_tokenize(vocab, prompt, strlen(prompt), 1, 1, ids, 256, &n) != TLPU_OK) {
        fprintf(stderr, "example_generate: the prompt does not tokenize into 256 tokens\n");
        return 1;
    }
    /* 3. a context (the KV cache), the prompt in one batch */
    tlpu_context *ctx = NULL;
    tlpu_sampler_params sp;
    tlpu_sampler_params_init(&sp); /* greedy */
    tlpu_sampler *smp = NULL;
    if (tlpu_context_new(model, NULL, &ctx) != TLPU_OK || tlpu_sampler_new(&sp, &smp) != TLPU_OK ||
        tlpu_context_decode(ctx, ids, (uint32_t)n, 0) != TLPU_OK) {
        fprintf(stderr, "example_generate: %s\n", tlpu_llm_last_error());
        return 1;
    }
    /* 4. one token at a time */
    tlpu_model_info info;
    tlpu_model_get_info(model, &info);
    printf("%s", prompt);
    for (int i = 0; i < n_gen; i++) {
        int32_t tok = tlpu_sampler_sample(smp, tlpu_context_logits(ctx, 0), info.n_vocab);
        if (tlpu_vocab_is_eog(vocab, tok))
            break;
        char piece[64];
        size_t len = 0;
        if (tlpu_token_piece(vocab, tok, 0, piece, sizeof piece, &len) == TLPU_OK)
            fwrite(piece, 1, len, stdout);
        if (tlpu_context_decode(ctx, &tok, 1, 0) != TLPU_OK) {
            fprintf(stderr, "\nexample_generate: %s\n", tlpu_llm_last_error());
            return 1;
        }
    }
    tlpu_context_stats st;
    tlpu_context_get_stats(ctx, &st);
    printf("\n%llu tokens, %llu BitLinear calls on %s, %llu device cycles\n",
           (unsigned long long)st.tokens, (unsigned long long)st.bitlinear_calls, mp.device,
           (unsigned long long)st.device_cycles);
    tlpu_sampler_free(smp);
    tlpu_context_free(ctx);
    tlpu_vocab_free(vocab);
    tlpu_model_free(model);
    return 0;
}
