/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu tokenize -m FILE [--no-bos] [--parse-special] TEXT
 * tlpu tokenize -m FILE [--parse-special] --detokenize "ID ID ..."
 *
 * The first prints the token ids of TEXT (its bytes as given) separated by
 * single spaces and a newline, as llama.cpp's llama-tokenize --ids lists
 * them: with BOS (and EOS) as the file says unless --no-bos
 * (llama_tokenize's add_special), special-token texts recognised with
 * --parse-special. The second prints the text of the ids (separated by
 * spaces, tabs, newlines or commas; "[1, 2]" is fine too) as
 * llama_detokenize(remove_special = false, unparse_special =
 * --parse-special) gives it: its bytes as they are, no newline added.
 * Bad input gets "tlpu: tokenize: <message>" and exit status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/gguf.h"
#include "tlpu/tokenizer.h"

#define CMD "tokenize"

/* Parses "ID ID ..." into *ids (malloc'd); -1 after an error message. */
static int parse_ids(const char *s, const tlpu_vocab *v, int32_t **ids, size_t *n)
{
    size_t cap = 16, cnt = 0;
    int32_t *a = malloc(cap * sizeof *a);
    if (!a) {
        cli_error(CMD, "out of memory");
        return -1;
    }
    const char *p = s;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    int bracket = *p == '[';
    if (bracket)
        p++;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
            p++;
        if (!*p || (bracket && *p == ']'))
            break;
        size_t len = strcspn(p, " \t\r\n,]");
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)(len < 40 ? len : 40), p);
        char *end = NULL;
        errno = 0;
        unsigned long long id = (*p >= '0' && *p <= '9') ? strtoull(p, &end, 10) : 0;
        if (!end || end != p + len || errno) {
            cli_error(CMD, "--detokenize: '%s%s' is not a token id", word, len > 40 ? "..." : "");
            free(a);
            return -1;
        }
        if (id >= tlpu_vocab_size(v)) {
            cli_error(CMD,
                      "--detokenize: token id %llu is out of range (the vocabulary has %u tokens)",
                      id, tlpu_vocab_size(v));
            free(a);
            return -1;
        }
        if (cnt == cap) {
            int32_t *b = realloc(a, 2 * cap * sizeof *a);
            if (!b) {
                cli_error(CMD, "out of memory");
                free(a);
                return -1;
            }
            a = b;
            cap *= 2;
        }
        a[cnt++] = (int32_t)id;
        p += len;
    }
    if (bracket && *p == ']')
        p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p) {
        cli_error(CMD, "--detokenize: unexpected '%c' after the ids", *p);
        free(a);
        return -1;
    }
    *ids = a;
    *n = cnt;
    return 0;
}

static int run_detokenize(const tlpu_vocab *v, const char *list, int unparse)
{
    int32_t *ids = NULL;
    size_t n = 0, len = 0;
    if (parse_ids(list, v, &ids, &n))
        return CLI_USAGE;
    tlpu_status st = tlpu_detokenize(v, ids, n, 0, unparse, NULL, 0, &len);
    char *buf = NULL;
    if (st == TLPU_ERR_BUFFER_SIZE) {
        buf = malloc(len);
        st = buf ? tlpu_detokenize(v, ids, n, 0, unparse, buf, len, &len) : TLPU_ERR_NOMEM;
    }
    free(ids);
    if (st != TLPU_OK) {
        cli_error(CMD, "detokenizing failed: %s", tlpu_strerror(st));
        free(buf);
        return CLI_FAIL;
    }
    if (len && fwrite(buf, 1, len, stdout) != len) {
        cli_error(CMD, "cannot write the text");
        free(buf);
        return CLI_FAIL;
    }
    free(buf);
    return CLI_OK;
}

static int run_tokenize(const tlpu_vocab *v, const char *text, int add_special, int parse_special)
{
    size_t n = 0, len = strlen(text);
    tlpu_status st = tlpu_tokenize(v, text, len, add_special, parse_special, NULL, 0, &n);
    int32_t *ids = NULL;
    if (st == TLPU_ERR_BUFFER_SIZE) {
        ids = malloc(n * sizeof *ids);
        st = ids ? tlpu_tokenize(v, text, len, add_special, parse_special, ids, n, &n)
                 : TLPU_ERR_NOMEM;
    }
    if (st == TLPU_ERR_FORMAT) {
        cli_error(CMD,
                  "the text is not UTF-8 this vocabulary can take (a code point above U+10FFFF)");
        free(ids);
        return CLI_USAGE;
    }
    if (st == TLPU_ERR_UNSUPPORTED) {
        cli_error(CMD, "the vocabulary cannot represent this text (a byte without a token, or "
                       "no BOS/EOS token to add)");
        free(ids);
        return CLI_USAGE;
    }
    if (st != TLPU_OK) {
        cli_error(CMD, "tokenizing failed: %s", tlpu_strerror(st));
        free(ids);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s%d", i ? " " : "", ids[i]);
    putchar('\n');
    free(ids);
    return CLI_OK;
}

int cmd_tokenize(int argc, char **argv)
{
    const char *path = NULL, *text = NULL, *detok = NULL;
    int add_special = 1, parse_special = 0, no_more_options = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!no_more_options && a[0] == '-' && a[1]) {
            if (strcmp(a, "--") == 0) {
                no_more_options = 1;
            } else if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) {
                if (!(path = cli_value(CMD, argc, argv, &i)))
                    return CLI_USAGE;
            } else if (strcmp(a, "--detokenize") == 0) {
                if (!(detok = cli_value(CMD, argc, argv, &i)))
                    return CLI_USAGE;
            } else if (strcmp(a, "--no-bos") == 0) {
                add_special = 0;
            } else if (strcmp(a, "--parse-special") == 0) {
                parse_special = 1;
            } else {
                cli_error(CMD, "unknown option '%s'", a);
                return CLI_USAGE;
            }
            continue;
        }
        if (text) {
            cli_error(CMD, "one TEXT only (quote it): '%s' follows it", a);
            return CLI_USAGE;
        }
        text = a;
    }
    if (!path) {
        cli_error(CMD, "-m FILE (the GGUF model or vocabulary) is required");
        return CLI_USAGE;
    }
    if (detok && text) {
        cli_error(CMD, "give either TEXT or --detokenize IDS, not both");
        return CLI_USAGE;
    }
    if (!detok && !text) {
        cli_error(CMD, "TEXT (or --detokenize IDS) is required");
        return CLI_USAGE;
    }
    if (detok && !add_special) {
        cli_error(CMD, "--no-bos applies to tokenizing, not to --detokenize");
        return CLI_USAGE;
    }

    char err[1024];
    tlpu_gguf *g = NULL;
    if (tlpu_gguf_open(path, &g, err, sizeof err) != TLPU_OK) {
        cli_error(CMD, "%s", err);
        return CLI_USAGE;
    }
    tlpu_vocab *v = NULL;
    tlpu_status st = tlpu_vocab_from_gguf(g, &v, err, sizeof err);
    tlpu_gguf_close(g);
    if (st != TLPU_OK) {
        cli_error(CMD, "%s: %s", path, err);
        return st == TLPU_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
    }
    int rc = detok ? run_detokenize(v, detok, parse_special)
                   : run_tokenize(v, text, add_special, parse_special);
    tlpu_vocab_free(v);
    if (fflush(stdout) != 0 && rc == CLI_OK) {
        cli_error(CMD, "cannot write the output");
        rc = CLI_FAIL;
    }
    return rc;
}
