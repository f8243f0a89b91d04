/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu quantize IN.gguf OUT.gguf --type tq2_0|tq1_0|i2_s [--ptq absmean|none]
 *
 * Quantizes a BitNet GGUF model's BitLinear weights (F32/F16/BF16) to
 * llama.cpp's TQ2_0 / TQ1_0 or bitnet.cpp's I2_S and copies everything else
 * (tlpu/quantize_model.h). --ptq absmean (the default) ternarizes each
 * tensor the BitNet way first (s = mean|W|); --ptq none hands the weights to
 * the format's quantizer as they are, as llama-quantize does. Prints a line
 * per tensor (shape, types, scales, zero trits, relative RMS and max abs
 * error of the written tensor) and the totals. The output is written
 * atomically. Bad input gets "tlpu: quantize: <message>" and exit status 2;
 * an I/O error while writing the output exits with 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tlpu/gguf.h"
#include "tlpu/quantize_model.h"

#define CMD "quantize"
#define USAGE "usage: tlpu quantize IN.gguf OUT.gguf --type tq2_0|tq1_0|i2_s [--ptq absmean|none]"

typedef struct run {
    const char *in, *out;
    const tlpu_quantize_params *p;
    int started;
} run;

/* The first line once the input has passed every check, then one per tensor. */
static void print_tensor(const tlpu_quantize_tensor *t, void *user)
{
    run *r = user;
    if (!r->started) {
        printf("quantize    %s -> %s: %s, ptq %s, general.file_type %u\n", r->in, r->out,
               tlpu_gguf_type_name(r->p->type), tlpu_ptq_name(r->p->ptq),
               (unsigned)tlpu_quantize_file_type(r->p->type));
        r->started = 1;
    }
    char line[512];
    tlpu_quantize_format_tensor(t, line, sizeof line);
    printf("  %s\n", line);
}

int cmd_quantize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *type_name = NULL, *ptq_name = "absmean";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--type") == 0) {
            if (!(type_name = cli_value(CMD, argc, argv, &i)))
                return CLI_USAGE;
        } else if (strcmp(a, "--ptq") == 0) {
            if (!(ptq_name = cli_value(CMD, argc, argv, &i)))
                return CLI_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error(CMD, "unknown option '%s' (%s)", a, USAGE);
            return CLI_USAGE;
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            cli_error(CMD, "unexpected argument '%s' (%s)", a, USAGE);
            return CLI_USAGE;
        }
    }
    if (!in || !out) {
        cli_error(CMD, "IN.gguf and OUT.gguf are required (%s)", USAGE);
        return CLI_USAGE;
    }
    tlpu_quantize_params p = {0};
    if (!type_name) {
        cli_error(CMD, "--type tq2_0|tq1_0|i2_s is required");
        return CLI_USAGE;
    }
    if (tlpu_quantize_type_parse(type_name, &p.type) != TLPU_OK) {
        cli_error(CMD, "--type: '%s' is not tq2_0, tq1_0 or i2_s", type_name);
        return CLI_USAGE;
    }
    if (tlpu_ptq_parse(ptq_name, &p.ptq) != TLPU_OK) {
        cli_error(CMD, "--ptq: '%s' is not absmean or none", ptq_name);
        return CLI_USAGE;
    }
    run r = {in, out, &p, 0};
    p.on_tensor = print_tensor;
    p.user = &r;
    char err[1024];
    tlpu_quantize_summary s;
    tlpu_status st = tlpu_quantize_model(in, out, &p, &s, err, sizeof err);
    if (st != TLPU_OK) {
        fflush(stdout);
        cli_error(CMD, "%s", err);
        return s.write_failed ? CLI_FAIL : CLI_USAGE;
    }
    printf("total       %zu tensors: %zu quantized, %zu copied", s.n_tensors, s.n_quantized,
           s.n_copied + s.n_ternary);
    if (s.n_ternary)
        printf(" (%zu BitLinear weights already ternary)", s.n_ternary);
    printf("\n            tensor data %llu -> %llu bytes, file %llu -> %llu bytes (%.2fx)\n",
           (unsigned long long)s.tensor_bytes_in, (unsigned long long)s.tensor_bytes_out,
           (unsigned long long)s.file_bytes_in, (unsigned long long)s.file_bytes_out,
           s.file_bytes_out ? (double)s.file_bytes_in / (double)s.file_bytes_out : 0.0);
    printf("wrote       %s\n", out);
    return CLI_OK;
}
