/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu generate -m FILE -p PROMPT [-n N] [--device URI] [--act token|q8k|float]
 *               [--kv f32|f16] [--outlier X] [--temp T] [--top-k K] [--top-p P]
 *               [--seed S] [--ctx N] [--threads N] [--clock HZ] [--energy 7nm|45nm|FILE]
 *
 * Streams the continuation of PROMPT, then a summary: prompt and generation
 * tokens/s (wall clock) and, from the device's counters, cycles, ms/token
 * at the clock and J/token (the energy model); on sc: the board's time to
 * the first token and per generated token, split.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tlpu/energy.h"
#include "tlpu/llm.h"
#include "tlpu/tokenizer.h"

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* the energy of counters c over `cycles` on the model's device, pJ */
static double energy_pj(const tlpu_energy_table *tab, tlpu_model *m, const uint64_t *c,
                        uint64_t cycles, double clock)
{
    tlpu_dev_info in;
    if (!tab || !tlpu_model_device(m) || tlpu_get_info(tlpu_model_device(m), &in) != TLPU_OK)
        return NAN;
    tlpu_energy_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.hw = in.hw;
    ctx.clock_hz = clock;
    tlpu_energy_breakdown e;
    return tlpu_energy_of(tab, &ctx, c, cycles, &e) == TLPU_OK ? e.total : NAN;
}

int cmd_generate(int argc, char **argv)
{
    const char *cmd = "generate", *model = NULL, *prompt = NULL, *energy = "7nm";
    tlpu_model_params mp;
    tlpu_model_params_init(&mp);
    tlpu_context_params cp;
    tlpu_context_params_init(&cp);
    tlpu_sampler_params sp;
    tlpu_sampler_params_init(&sp);
    uint64_t ngen = 32, u;
    double clock = 1e9;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        if (!(v = cli_value(cmd, argc, argv, &i)))
            return CLI_USAGE;
        char *end = NULL;
        if (!strcmp(o, "-m") || !strcmp(o, "--model"))
            model = v;
        else if (!strcmp(o, "-p") || !strcmp(o, "--prompt"))
            prompt = v;
        else if (!strcmp(o, "--energy"))
            energy = v;
        else if (!strcmp(o, "-n") || !strcmp(o, "--n-predict")) {
            if (cli_parse_u64(cmd, o, v, 0, 1u << 20, &ngen))
                return CLI_USAGE;
        } else if (!strcmp(o, "--ctx")) {
            if (cli_parse_u64(cmd, o, v, 1, 1u << 20, &u))
                return CLI_USAGE;
            cp.n_ctx = (uint32_t)u;
        } else if (!strcmp(o, "--threads")) {
            if (cli_parse_u64(cmd, o, v, 1, 64, &u))
                return CLI_USAGE;
            mp.threads = (uint32_t)u;
        } else if (!strcmp(o, "--top-k")) {
            if (cli_parse_u64(cmd, o, v, 0, 1u << 30, &u))
                return CLI_USAGE;
            sp.top_k = (uint32_t)u;
        } else if (!strcmp(o, "--seed")) {
            if (cli_parse_u64(cmd, o, v, 0, UINT64_MAX, &u))
                return CLI_USAGE;
            sp.seed = u;
        } else if (!strcmp(o, "--temp") || !strcmp(o, "--top-p") || !strcmp(o, "--clock")) {
            double x = strtod(v, &end);
            int ok = end != v && !*end && isfinite(x);
            if (!strcmp(o, "--temp") && ok && x >= 0 && x <= 100)
                sp.temp = (float)x;
            else if (!strcmp(o, "--top-p") && ok && x > 0 && x <= 1)
                sp.top_p = (float)x;
            else if (!strcmp(o, "--clock") && ok && x >= 1e3 && x <= 1e11)
                clock = x;
            else {
                cli_error(cmd, "%s: '%s' is out of range (%s)", o, v,
                          !strcmp(o, "--temp")    ? "0 .. 100"
                          : !strcmp(o, "--top-p") ? "(0, 1]"
                                                  : "1e3 .. 1e11 Hz");
                return CLI_USAGE;
            }
        } else {
            if (cli_llm_option(cmd, o, v, &mp, &cp))
                return CLI_USAGE;
        }
    }
    if (!model || !prompt) {
        cli_error(cmd, "-m FILE and -p PROMPT are required");
        return CLI_USAGE;
    }
    char err[512];
    tlpu_energy_table *tab = NULL;
    if (tlpu_energy_open(energy, &tab, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "--energy: %s", err);
        return CLI_USAGE;
    }
    tlpu_model *m = NULL;
    tlpu_vocab *voc = NULL;
    tlpu_context *c = NULL;
    tlpu_sampler *smp = NULL;
    int32_t *ids = NULL;
    int rc = CLI_OK;
    tlpu_status st = tlpu_model_load(model, &mp, &m, err, sizeof err);
    if (st != TLPU_OK) {
        cli_error(cmd, "%s", err);
        rc = st == TLPU_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
        goto out;
    }
    if ((st = tlpu_vocab_from_gguf(tlpu_model_gguf(m), &voc, err, sizeof err)) != TLPU_OK) {
        cli_error(cmd, "%s: %s", model, err);
        rc = CLI_USAGE;
        goto out;
    }
    size_t n = 0, plen = strlen(prompt);
    st = tlpu_tokenize(voc, prompt, plen, 1, 1, NULL, 0, &n);
    if (st == TLPU_ERR_BUFFER_SIZE || (st == TLPU_OK && n)) {
        ids = malloc((n ? n : 1) * sizeof *ids);
        st = ids ? tlpu_tokenize(voc, prompt, plen, 1, 1, ids, n, &n) : TLPU_ERR_NOMEM;
    }
    if (st != TLPU_OK || n == 0) {
        cli_error(cmd, "the prompt gives %s", st != TLPU_OK ? tlpu_strerror(st) : "no tokens");
        rc = CLI_USAGE;
        goto out;
    }
    tlpu_model_info in;
    tlpu_model_get_info(m, &in);
    if (!cp.n_ctx)
        cp.n_ctx = in.n_ctx_train;
    if (n + ngen > cp.n_ctx) {
        cli_error(cmd, "%zu prompt tokens and %llu more do not fit the context of %u (--ctx)",
                  n, (unsigned long long)ngen, cp.n_ctx);
        rc = CLI_USAGE;
        goto out;
    }
    if ((st = tlpu_context_new(m, &cp, &c)) != TLPU_OK ||
        (st = tlpu_sampler_new(&sp, &smp)) != TLPU_OK) {
        cli_error(cmd, "%s", tlpu_llm_last_error());
        rc = CLI_USAGE;
        goto out;
    }
    /* a device that models the board's time (sc:) gets its weights first: a
     * pass over the prompt and one token loads every layer, then the cache is
     * emptied, so the times below are those of a deployed model */
    tlpu_dev_time w0, w1;
    double load_s = -1;
    if (tlpu_model_device(m) && tlpu_get_time(tlpu_model_device(m), &w0) == TLPU_OK) {
        int32_t one = ids[n - 1];
        if ((st = tlpu_context_decode(c, ids, (uint32_t)n, 0)) != TLPU_OK ||
            (st = tlpu_context_decode(c, &one, 1, 0)) != TLPU_OK) {
            cli_error(cmd, "loading the weights: %s", tlpu_llm_last_error());
            rc = CLI_FAIL;
            goto out;
        }
        tlpu_get_time(tlpu_model_device(m), &w1);
        load_s = w1.total_s - w0.total_s;
        tlpu_context_reset(c);
    }
    /* the prompt as it will be continued */
    fputs(prompt, stdout);
    fflush(stdout);
    tlpu_context_stats s0, s1, s2;
    tlpu_context_get_stats(c, &s0);
    double t0 = wall();
    if ((st = tlpu_context_decode(c, ids, (uint32_t)n, 0)) != TLPU_OK) {
        cli_error(cmd, "the prompt: %s", tlpu_llm_last_error());
        rc = CLI_FAIL;
        goto out;
    }
    double t1 = wall();
    tlpu_context_get_stats(c, &s1);
    uint64_t made = 0;
    char piece[256];
    for (; made < ngen; made++) {
        int32_t tok = tlpu_sampler_sample(smp, tlpu_context_logits(c, 0), in.n_vocab);
        if (tlpu_vocab_is_eog(voc, tok))
            break;
        size_t pl = 0;
        if (tlpu_token_piece(voc, tok, 0, piece, sizeof piece, &pl) == TLPU_OK) {
            fwrite(piece, 1, pl, stdout);
            fflush(stdout);
        }
        if (made + 1 < ngen && (st = tlpu_context_decode(c, &tok, 1, 0)) != TLPU_OK) {
            cli_error(cmd, "token %llu: %s", (unsigned long long)made, tlpu_llm_last_error());
            rc = CLI_FAIL;
            goto out;
        }
    }
    double t2 = wall();
    tlpu_context_get_stats(c, &s2);
    fputc('\n', stdout);
    /* the generated tokens that ran through the model: all but the last */
    const uint64_t dec = s2.tokens - s1.tokens;
    printf("\n== %s on %s, act %s, kv %s ==\n", model,
           mp.act == TLPU_ACT_FLOAT ? "the host" : mp.device, tlpu_act_name(mp.act),
           cp.kv == TLPU_KV_F16 ? "f16" : "f32");
    printf("prompt      %zu tokens in %.3f s: %.1f tokens/s\n", n, t1 - t0,
           (double)n / (t1 - t0));
    printf("generation  %llu tokens in %.3f s: %.1f tokens/s\n", (unsigned long long)made,
           t2 - t1, made ? (double)made / (t2 - t1) : 0.0);
    if (mp.act != TLPU_ACT_FLOAT && s2.device_cycles) {
        uint64_t pc[TLPU_NUM_COUNTERS], gc[TLPU_NUM_COUNTERS];
        for (unsigned i = 0; i < TLPU_NUM_COUNTERS; i++)
            pc[i] = s1.counters[i] - s0.counters[i], gc[i] = s2.counters[i] - s1.counters[i];
        const uint64_t pcy = s1.device_cycles - s0.device_cycles;
        const uint64_t gcy = s2.device_cycles - s1.device_cycles;
        const double pj = energy_pj(tab, m, pc, pcy, clock), gj = energy_pj(tab, m, gc, gcy, clock);
        printf("device      prompt %llu cycles (%.3f ms at %.3g GHz), %.3g uJ/token\n",
               (unsigned long long)pcy, 1e3 * (double)pcy / clock, clock * 1e-9,
               pj * 1e-6 / (double)n);
        if (dec)
            printf("            generation %llu cycles: %.3f ms/token, %.3g uJ/token (%s "
                   "energy table; BitLinears only)\n",
                   (unsigned long long)gcy, 1e3 * (double)gcy / clock / (double)dec,
                   gj * 1e-6 / (double)dec, energy);
    } else if (mp.act != TLPU_ACT_FLOAT)
        printf("device      %s has no core: no cycles (the C reference)\n", mp.device);
    if (s2.has_board) {
        const tlpu_dev_time *z = &s0.board, *a = &s1.board, *b = &s2.board;
        printf("board       the weights loaded first (one pass): %.3f ms\n", 1e3 * load_s);
        printf("            time to first token %.3f ms (link %.3f, firmware %.3f, memory "
               "%.3f, core %.3f, chip links %.3f)\n",
               1e3 * (a->total_s - z->total_s), 1e3 * (a->link_s - z->link_s),
               1e3 * (a->fw_s - z->fw_s), 1e3 * (a->dram_s - z->dram_s),
               1e3 * (a->core_s - z->core_s), 1e3 * (a->c2c_s - z->c2c_s));
        if (dec) {
            const double k = 1e3 / (double)dec;
            printf("            per generated token %.3f ms (link %.3f, firmware %.3f, memory "
                   "%.3f, core %.3f, chip links %.3f); %.3g mJ/token in the link and memory\n",
                   k * (b->total_s - a->total_s), k * (b->link_s - a->link_s),
                   k * (b->fw_s - a->fw_s), k * (b->dram_s - a->dram_s),
                   k * (b->core_s - a->core_s), k * (b->c2c_s - a->c2c_s),
                   k * ((b->link_j - a->link_j) + (b->dram_j - a->dram_j) +
                        (b->c2c_j - a->c2c_j)));
        }
    }
out:
    free(ids);
    tlpu_sampler_free(smp);
    tlpu_context_free(c);
    tlpu_vocab_free(voc);
    tlpu_model_free(m);
    tlpu_energy_free(tab);
    return rc;
}
