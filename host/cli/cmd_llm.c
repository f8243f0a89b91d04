/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu logits -m FILE --tokens "ID ID ..." [--generate N]
 *             [--act token|q8k|float] [--kv f32|f16] [--outlier X] [--device URI] -o OUT
 *
 * A model's logits for given token ids, in the LGTS layout of
 * tests/data/models/README.md, so they compare with llama.cpp's: the prompt
 * as one batch, then N greedy tokens one at a time with the KV cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/llm.h"

/* "1 2 3" -> ids; -1 with a message for anything else */
static int parse_ids(const char *cmd, const char *opt, const char *s, int32_t **out, uint32_t *n)
{
    size_t cap = 16, k = 0;
    int32_t *v = malloc(cap * sizeof *v);
    if (!v) {
        cli_error(cmd, "out of memory");
        return -1;
    }
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end == p || errno || x < 0 || x > INT32_MAX ||
            (*end && *end != ' ' && *end != '\t' && *end != ',')) {
            cli_error(cmd, "%s: '%.20s' is not a token id", opt, p);
            free(v);
            return -1;
        }
        if (k == cap) {
            int32_t *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) {
                free(v);
                cli_error(cmd, "out of memory");
                return -1;
            }
            v = nv, cap *= 2;
        }
        v[k++] = (int32_t)x;
        p = end;
    }
    if (!k) {
        cli_error(cmd, "%s: no token ids", opt);
        free(v);
        return -1;
    }
    *out = v;
    *n = (uint32_t)k;
    return 0;
}

int cli_llm_option(const char *cmd, const char *o, const char *v, tlpu_model_params *mp,
                   tlpu_context_params *cp)
{
    if (!strcmp(o, "--device")) {
        mp->device = v;
    } else if (!strcmp(o, "--act")) {
        if (tlpu_act_parse(v, &mp->act) != TLPU_OK) {
            cli_error(cmd, "--act: '%s' is not token, q8k or float", v);
            return -1;
        }
    } else if (!strcmp(o, "--kv")) {
        if (tlpu_kv_parse(v, &cp->kv) != TLPU_OK) {
            cli_error(cmd, "--kv: '%s' is not f32 or f16", v);
            return -1;
        }
    } else if (!strcmp(o, "--outlier")) {
        char *e;
        double x = strtod(v, &e);
        if (e == v || *e || !(x > 0 && x < 1e30)) {
            cli_error(cmd, "--outlier: '%s' is not a positive magnitude", v);
            return -1;
        }
        mp->outlier = (float)x;
    } else {
        cli_error(cmd, "unknown option '%s'", o);
        return -1;
    }
    return 0;
}

static void put_u32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

int cmd_logits(int argc, char **argv)
{
    const char *cmd = "logits", *model = NULL, *tokens = NULL, *outp = NULL;
    tlpu_model_params mp;
    tlpu_model_params_init(&mp);
    tlpu_context_params cp;
    tlpu_context_params_init(&cp);
    uint64_t gen = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        if (!(v = cli_value(cmd, argc, argv, &i)))
            return CLI_USAGE;
        if (!strcmp(o, "-m") || !strcmp(o, "--model"))
            model = v;
        else if (!strcmp(o, "--tokens"))
            tokens = v;
        else if (!strcmp(o, "-o") || !strcmp(o, "--out"))
            outp = v;
        else if (!strcmp(o, "--generate")) {
            if (cli_parse_u64(cmd, o, v, 0, 1u << 20, &gen))
                return CLI_USAGE;
        } else {
            if (cli_llm_option(cmd, o, v, &mp, &cp))
                return CLI_USAGE;
        }
    }
    if (!model || !tokens || !outp) {
        cli_error(cmd, "-m FILE, --tokens \"ID ...\" and -o OUT are required");
        return CLI_USAGE;
    }
    int32_t *ids = NULL;
    uint32_t n = 0;
    if (parse_ids(cmd, "--tokens", tokens, &ids, &n))
        return CLI_USAGE;
    char err[512];
    tlpu_model *m = NULL;
    tlpu_status st = tlpu_model_load(model, &mp, &m, err, sizeof err);
    if (st != TLPU_OK) {
        cli_error(cmd, "%s", err);
        free(ids);
        return st == TLPU_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
    }
    tlpu_model_info in;
    tlpu_model_get_info(m, &in);
    const uint32_t rows = n + (uint32_t)gen;
    if (cp.n_ctx < rows)
        cp.n_ctx = rows > in.n_ctx_train ? rows : in.n_ctx_train;
    int rc = CLI_OK;
    tlpu_context *c = NULL;
    int32_t *all = malloc((size_t)rows * sizeof *all);
    float *lg = malloc((size_t)rows * in.n_vocab * sizeof *lg);
    if (!all || !lg) {
        cli_error(cmd, "out of memory");
        rc = CLI_FAIL;
        goto out;
    }
    if ((st = tlpu_context_new(m, &cp, &c)) != TLPU_OK ||
        (st = tlpu_context_decode(c, ids, n, 1)) != TLPU_OK) {
        cli_error(cmd, "%s", tlpu_llm_last_error());
        rc = st == TLPU_ERR_RANGE ? CLI_USAGE : CLI_FAIL;
        goto out;
    }
    memcpy(all, ids, n * sizeof *ids);
    for (uint32_t r = 0; r < n; r++)
        memcpy(lg + (size_t)r * in.n_vocab, tlpu_context_logits(c, r),
               in.n_vocab * sizeof *lg);
    for (uint32_t s = 0; s < gen; s++) {
        const float *last = lg + (size_t)(n + s - 1) * in.n_vocab;
        int32_t best = 0;
        for (uint32_t v = 1; v < in.n_vocab; v++)
            if (last[v] > last[best])
                best = (int32_t)v;
        all[n + s] = best;
        if ((st = tlpu_context_decode(c, &best, 1, 0)) != TLPU_OK) {
            cli_error(cmd, "generating token %u: %s", s, tlpu_llm_last_error());
            rc = CLI_FAIL;
            goto out;
        }
        memcpy(lg + (size_t)(n + s) * in.n_vocab, tlpu_context_logits(c, 0),
               in.n_vocab * sizeof *lg);
    }
    /* LGTS, written beside the target and renamed over it */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", outp);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        cli_error(cmd, "cannot write %s: %s", outp, strerror(errno));
        rc = CLI_USAGE;
        goto out;
    }
    fwrite("LGTS", 1, 4, f);
    put_u32(f, 1);
    put_u32(f, in.n_vocab);
    put_u32(f, rows);
    put_u32(f, n);
    put_u32(f, (uint32_t)gen);
    for (uint32_t r = 0; r < rows; r++)
        put_u32(f, (uint32_t)all[r]);
    fwrite(lg, sizeof *lg, (size_t)rows * in.n_vocab, f); /* little-endian hosts only */
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, outp) != 0) {
        remove(tmp);
        cli_error(cmd, "writing %s failed", outp);
        rc = CLI_FAIL;
        goto out;
    }
    tlpu_context_stats cs;
    tlpu_context_get_stats(c, &cs);
    printf("%s: %u rows of %u logits (%u prompt, %llu generated), act %s, on %s: %llu BitLinear "
           "calls, %llu device cycles",
           outp, rows, in.n_vocab, n, (unsigned long long)gen, tlpu_act_name(mp.act),
           mp.act == TLPU_ACT_FLOAT ? "the host" : mp.device,
           (unsigned long long)cs.bitlinear_calls, (unsigned long long)cs.device_cycles);
    if (mp.outlier > 0) /* activations counted once per BitLinear input element */
        printf(", %llu activations (%.3f%%) above %g kept in float",
               (unsigned long long)cs.outliers,
               cs.activations ? 100.0 * (double)cs.outliers / (double)cs.activations : 0.0,
               (double)mp.outlier);
    putchar('\n');
out:
    tlpu_context_free(c);
    tlpu_model_free(m);
    free(ids);
    free(all);
    free(lg);
    return rc;
}

