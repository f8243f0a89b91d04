/* SPDX-License-Identifier: Apache-2.0 */
/* tlpu - the command-line front end of the tlpu host library. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/bitlinear.h"
#include "tlpu/tiler.h"

#define TLPU_VERSION_STRING "0.1.0"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tlpu: %s%s", cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t min, uint64_t max,
                  uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!text || !*text || *text == '-' || *text == '+') {
        cli_error(cmd, "%s: '%s' is not a non-negative integer", opt, text ? text : "");
        return -1;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) {
        cli_error(cmd, "%s: '%s' is not a non-negative integer", opt, text);
        return -1;
    }
    if (v < min || v > max) {
        cli_error(cmd, "%s: %llu is out of range [%llu, %llu]", opt, v, (unsigned long long)min,
                  (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

const char *cli_value(const char *cmd, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cli_error(cmd, "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_parse_hw_config(const char *cmd, const char *text, tlpu_hw *hw)
{
    char buf[256];
    if (strlen(text) >= sizeof buf) {
        cli_error(cmd, "--config: too long");
        return -1;
    }
    strcpy(buf, text);
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            cli_error(cmd, "--config: '%s' is not key=value", kv);
            return -1;
        }
        *eq = 0;
        uint64_t lo, hi, v;
        if (tlpu_hw_param_range(kv, &lo, &hi) != TLPU_OK) {
            cli_error(cmd, "--config: unknown key '%s' (%s)", kv, tlpu_hw_param_names());
            return -1;
        }
        char opt[48];
        snprintf(opt, sizeof opt, "--config %s", kv);
        if (cli_parse_u64(cmd, opt, eq + 1, lo, hi, &v))
            return -1;
        tlpu_hw_set(hw, kv, v);
    }
    if (tlpu_hw_check(hw) != TLPU_OK) {
        cli_error(cmd, "--config: %ux%u with these buffers is not a buildable core (rows a "
                       "multiple of 4, cols of 20, wbuf and queue powers of two)",
                  hw->rows, hw->cols);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: tlpu <command> [options]\n"
          "\n"
          "commands:\n"
          "  selftest [--seed S] [--cases N]\n"
          "      check the fast reference BitLinear against the scalar oracle on random\n"
          "      shapes and the worst case, and every packing round trip\n"
          "  demo [--m M] [--k K] [--n N] [--seed S] [--dtype f32|f16|bf16]\n"
          "      quantize random weights and activations BitNet-style, run the\n"
          "      reference BitLinear and compare it with the float matmul\n"
          "  info --device URI [--json]\n"
          "      the devices the URI could open (for usb: every board found), then\n"
          "      the opened one's parameters (URI: sim:, model:, usb:, sc:[k=v,...])\n"
          "  matmul --device URI [--m M --k K --n N --seed S | --x X.npy --w W.npy]\n"
          "         [--y Y.npy] [--packing base3|2bit] [--json]\n"
          "      one BitLinear y = x W^T on the device (x int8 MxK, w trits NxK),\n"
          "      checked against the C reference; prints cycles and utilization\n"
          "  report --model NAME|FILE [--prefill P] [--decode D] [--context C]\n"
          "         [--config k=v,...] [--clock HZ] [--latency L] [--packing base3|2bit]\n"
          "         [--energy 7nm|45nm|FILE] [--effort quick|full] [--zeros F]\n"
          "         [--engine estimate|sim|model | --device URI]\n"
          "         [--simulate all|one-layer|NAME,...]\n"
          "         [--json FILE] [--html FILE] [--quiet]\n"
          "      latency and energy of a whole model's BitLinears (exact timing model,\n"
          "      energy table); with a device, layers also run on it and are\n"
          "      checked against the reference and the estimate\n"
          "  sim ...     the same as report with --device sim: --simulate one-layer\n"
          "  area [--config k=v,...] [--energy 7nm|45nm|FILE] [--json]\n"
          "      the core's area in mm2 by component: logic cells and SRAM bits at the node\n"
          "  generate -m FILE -p PROMPT [-n N] [--device URI] [--act token|q8k|float]\n"
          "         [--kv f32|f16] [--outlier X] [--temp T --top-k K --top-p P --seed S]\n"
          "         [--ctx N] [--threads N] [--clock HZ] [--energy TABLE]\n"
          "      continue PROMPT with every BitLinear on the device, streaming the text,\n"
          "      then tokens/s, cycles, ms/token and J/token (and the board's time on sc:)\n"
          "  perplexity -m FILE -f TEXT [--ctx N] [--chunks N] [--device URI] [--act ...]\n"
          "      llama.cpp's perplexity: chunks of n_ctx, the second half of each scored\n"
          "  sweep plan SPEC.json -o DIR | run DIR --point I|--points A-B [--force]\n"
          "        | local DIR [-j N] [--chunk C] | slurm DIR [--partition P --time T ...]\n"
          "        | status DIR | merge DIR | report DIR --html FILE\n"
          "      a design-space sweep: the grid's points run through GNU parallel or a Slurm\n"
          "      job array, merged, and their Pareto fronts (docs/sweep.md)\n"
          "  logits -m FILE --tokens \"ID ...\" [--generate N] [--act token|q8k|float]\n"
          "         [--kv f32|f16] [--device URI] -o OUT\n"
          "      a model's logits for the tokens (one batch), then N greedy tokens one\n"
          "      at a time, in llama.cpp-comparable LGTS form\n"
          "  gguf-info FILE [--json]\n"
          "      check a GGUF model file and list its version, alignment, metadata\n"
          "      (arrays show their first items) and tensors (type, dims, offset, bytes)\n"
          "  quantize IN.gguf OUT.gguf --type tq2_0|tq1_0|i2_s [--ptq absmean|none]\n"
          "      a BitNet model's F32/F16/BF16 BitLinear weights to a ternary type\n"
          "      (absmean: BitNet's per-tensor ternarization first), the rest copied\n"
          "  tokenize -m FILE [--no-bos] [--parse-special] TEXT\n"
          "  tokenize -m FILE [--parse-special] --detokenize \"ID ...\"\n"
          "      the token ids of TEXT as llama.cpp / bitnet.cpp give them for the\n"
          "      file's tokenizer, or the text of the ids\n"
          "  version     print the version and the reference's instruction-set path\n"
          "  help        print this text\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        cli_error(NULL, "no command given");
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "selftest") == 0)
        return cmd_selftest(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "matmul") == 0)
        return cmd_matmul(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "sim") == 0)
        return cmd_sim(argc - 1, argv + 1);
    if (strcmp(cmd, "area") == 0)
        return cmd_area(argc - 1, argv + 1);
    if (strcmp(cmd, "gguf-info") == 0)
        return cmd_gguf_info(argc - 1, argv + 1);
    if (strcmp(cmd, "quantize") == 0)
        return cmd_quantize(argc - 1, argv + 1);
    if (strcmp(cmd, "tokenize") == 0)
        return cmd_tokenize(argc - 1, argv + 1);
    if (strcmp(cmd, "logits") == 0)
        return cmd_logits(argc - 1, argv + 1);
    if (strcmp(cmd, "generate") == 0)
        return cmd_generate(argc - 1, argv + 1);
    if (strcmp(cmd, "perplexity") == 0)
        return cmd_perplexity(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tlpu %s (reference BitLinear path: %s)\n", TLPU_VERSION_STRING,
               tlpu_isa_name(tlpu_isa_resolve(TLPU_ISA_AUTO)));
        return CLI_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    usage(stderr);
    cli_error(NULL, "unknown command '%s'", cmd);
    return CLI_USAGE;
}
