/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the tlpu command-line tool. */
#ifndef TLPU_CLI_H
#define TLPU_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes: 0 success, 1 a check failed, 2 bad usage or input. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "tlpu: <cmd>: <message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parses a decimal integer in [min, max] for option `opt` of command `cmd`;
 * prints an error naming the option and returns -1 when it is not one.
 */
int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t min, uint64_t max,
                  uint64_t *out);

/* Consumes the value of option argv[*i] (advancing *i); NULL + error if missing. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);

/* --config rows=32,cols=80,wbuf=128,abuf=8192,obuf=2048,imem=1024,queue=8,burst=16:
 * sets those keys of *hw (the rest stay) and checks the core is buildable;
 * 0, or -1 after an error naming the key. */
struct tlpu_hw;
int cli_parse_hw_config(const char *cmd, const char *text, struct tlpu_hw *hw);

/* The options every inference command shares (--device, --act, --kv,
 * --outlier), tried after a command's own: 0 when o was one of them (its
 * value v applied); -1 (message printed) for a bad value or an option that
 * is none of them. */
struct tlpu_model_params;
struct tlpu_context_params;
int cli_llm_option(const char *cmd, const char *o, const char *v, struct tlpu_model_params *mp,
                   struct tlpu_context_params *cp);

int cmd_selftest(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_matmul(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_area(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_gguf_info(int argc, char **argv);
int cmd_quantize(int, char **);
int cmd_tokenize(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
