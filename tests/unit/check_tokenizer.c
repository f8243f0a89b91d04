/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_tokenizer - the tokenizers of tlpu/tokenizer.h against what
 * llama.cpp and bitnet.cpp computed (tests/data, each folder's README gives
 * the provenance):
 *
 *  - models-b158/tokenizer-default.tsv (tiny-b158-i2_s.gguf: "gpt2", no pre
 *    key -> default) and tokenizer-llama-bpe.tsv (vocab-llama-bpe.gguf):
 *    every case, both id lists (parse_special off and on) and the
 *    detokenized bytes; the special ids, EOG set and pieces of its README;
 *  - models/README.md: the SPM tokenizations of the tiny bitnet files, its
 *    special ids and the pieces of its fixed input and greedy output;
 *  - round trips of random UTF-8 (1- to 4-byte code points mixed with ASCII
 *    letters, digits, punctuation, spaces, tabs, newlines) through each
 *    vocabulary, for as many strings as fit in the time budget; with special
 *    texts parsed and rendered back; BPE's clean-up of spaces against an
 *    independent model of it;
 *  - SPM byte fallback (every byte, multi-byte characters, a vocabulary with
 *    raw-byte tokens and one without a byte), invalid UTF-8 (no crash; SPM
 *    keeps the bytes, BPE reads bad bytes as U+FFFD like llama.cpp, a code
 *    point above U+10FFFF is TLPU_ERR_FORMAT where llama.cpp throws);
 *  - buffers too small, NULL arguments, ids out of range;
 *  - vocabularies built here as GGUF bytes: unknown model and pre-tokenizer
 *    names (named errors), the pre aliases, missing and malformed keys;
 *  - the Unicode tables against /usr/share/unicode/UnicodeData.txt when
 *    Debian's unicode-data package is installed (scripts/gen_unicode.py
 *    --check compares the whole generated header; ctest unicode_tables_in_sync).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "test_util.h"
#include "tlpu/gguf.h"
#include "tlpu/rng.h"
#include "tlpu/tokenizer.h"
#include "unicode_tables.h"

#define ERRLEN 1024
#define MAXIDS 4096
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ROUND_TRIP_SECONDS 0.4 /* per vocabulary and kind */

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct loaded {
    tlpu_gguf *g;
    tlpu_vocab *v;
} loaded;

static loaded load_rel(const char *rel)
{
    char path[1024], err[ERRLEN];
    loaded l = {NULL, NULL};
    snprintf(path, sizeof path, "%s/%s", TLPU_TEST_DATA_DIR, rel);
    tlpu_status st = tlpu_gguf_open(path, &l.g, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s: %s", rel, err);
    st = tlpu_vocab_from_gguf(l.g, &l.v, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s: %s (%s)", rel, tlpu_status_name(st), err);
    ck_assert_str_eq(err, "");
    tlpu_gguf_close(l.g); /* the vocabulary owns copies */
    l.g = NULL;
    return l;
}

static const char *k_spm_file = "models/tiny-bitnet-tq2_0.gguf";
static const char *k_default_file = "models-b158/tiny-b158-i2_s.gguf";
static const char *k_llama_bpe_file = "models-b158/vocab-llama-bpe.gguf";

/* Tokenizes (must succeed); returns the count. */
static size_t tok(const tlpu_vocab *v, const char *s, size_t len, int add, int parse, int32_t *ids)
{
    size_t n = 0;
    tlpu_status st = tlpu_tokenize(v, s, len, add, parse, ids, MAXIDS, &n);
    ck_assert_msg(st == TLPU_OK, "tokenize: %s", tlpu_status_name(st));
    return n;
}

/* Detokenizes into buf[cap] (must succeed); returns the length. */
static size_t detok(const tlpu_vocab *v, const int32_t *ids, size_t n, int rm, int unparse,
                    char *buf, size_t cap)
{
    size_t len = 0;
    tlpu_status st = tlpu_detokenize(v, ids, n, rm, unparse, buf, cap, &len);
    ck_assert_msg(st == TLPU_OK, "detokenize: %s", tlpu_status_name(st));
    return len;
}

static void ids_str(const int32_t *ids, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 16 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%d", i ? " " : "", ids[i]);
}

static size_t parse_ids(const char *s, int32_t *ids)
{
    size_t n = 0;
    while (*s) {
        char *end;
        long x = strtol(s, &end, 10);
        ck_assert_msg(end != s, "bad id list '%s'", s);
        ids[n++] = (int32_t)x;
        s = end;
        while (*s == ' ')
            s++;
    }
    return n;
}

static size_t unhex(const char *h, char *out)
{
    if (strcmp(h, "-") == 0)
        return 0;
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &b), 1);
        out[i] = (char)b;
    }
    return n;
}

static void expect_ids(const tlpu_vocab *v, const char *s, size_t len, int add, int parse,
                       const char *want, const char *what)
{
    int32_t ids[MAXIDS];
    char got[8192];
    size_t n = tok(v, s, len, add, parse, ids);
    ids_str(ids, n, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", what, got, want);
}

static void expect_piece(const tlpu_vocab *v, int32_t id, int special, const char *want,
                         size_t want_len)
{
    char buf[256];
    size_t len = 0;
    ck_assert_int_eq(tlpu_token_piece(v, id, special, buf, sizeof buf, &len), TLPU_OK);
    ck_assert_msg(len == want_len && memcmp(buf, want, len) == 0, "piece of %d (special %d)", id,
                  special);
}

/* ---- the bitnet.cpp TSVs -------------------------------------------------------------------- */

static const struct {
    const char *tsv, *gguf;
} k_tsv[] = {
    {"models-b158/tokenizer-default.tsv", "models-b158/tiny-b158-i2_s.gguf"},
    {"models-b158/tokenizer-llama-bpe.tsv", "models-b158/vocab-llama-bpe.gguf"},
};

START_TEST(tsv_cases)
{
    loaded l = load_rel(k_tsv[_i].gguf);
    size_t size;
    char *data = (char *)test_read_file(k_tsv[_i].tsv, &size);
    data[size] = '\0';
    int cases = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *col[5];
        char *p = line;
        for (int c = 0; c < 5; c++) {
            col[c] = p;
            p = strchr(p, '\t');
            if (c < 4) {
                ck_assert_msg(p != NULL, "%s: short line '%s'", k_tsv[_i].tsv, line);
                *p++ = '\0';
            }
        }
        char text[512], want_text[512], what[128];
        size_t len = unhex(col[1], text), want_len = unhex(col[4], want_text);
        snprintf(what, sizeof what, "%s case %s", k_tsv[_i].tsv, col[0]);
        expect_ids(l.v, text, len, 1, 0, col[2], what);
        expect_ids(l.v, text, len, 1, 1, col[3], what);
        int32_t ids[MAXIDS];
        size_t n = parse_ids(col[2], ids);
        char out[1024];
        size_t olen = detok(l.v, ids, n, 0, 0, out, sizeof out);
        ck_assert_msg(olen == want_len && memcmp(out, want_text, olen) == 0, "%s: detokenized",
                      what);
        cases++;
    }
    ck_assert_int_eq(cases, 24);
    free(data);
    tlpu_vocab_free(l.v);
}
END_TEST

/* The README's facts about the b158 vocabulary (both files). */
START_TEST(b158_readme)
{
    loaded d = load_rel(k_default_file), b = load_rel(k_llama_bpe_file);
    const tlpu_vocab *vs[2] = {d.v, b.v};
    ck_assert_str_eq(tlpu_vocab_model(d.v), "gpt2");
    ck_assert_str_eq(tlpu_vocab_pre(d.v), "default");
    ck_assert_str_eq(tlpu_vocab_pre(b.v), "llama-bpe");
    for (int k = 0; k < 2; k++) {
        const tlpu_vocab *v = vs[k];
        ck_assert_uint_eq(tlpu_vocab_size(v), 450);
        ck_assert_int_eq(tlpu_vocab_bos(v), 434);
        ck_assert_int_eq(tlpu_vocab_eos(v), 435);
        ck_assert_int_eq(tlpu_vocab_add_bos(v), 1);
        ck_assert_int_eq(tlpu_vocab_add_eos(v), 0);
        /* "The fork's EOG tokens for this vocabulary: 435, 442, 443" */
        for (int32_t id = -1; id <= 450; id++)
            ck_assert_int_eq(tlpu_vocab_is_eog(v, id), id == 435 || id == 442 || id == 443);
        for (int32_t id = 0; id < 450; id++)
            ck_assert_int_eq(tlpu_vocab_is_control(v, id), id >= 434);
        /* the fixed input's pieces: <|begin_of_text|> i KÃ done Ġt 0 <|eot_id|>
         * Ġ// Ā Ġtab <|reserved_special_token_7|> ¦ gh Paulo % ãĤ */
        static const int32_t in[16] = {434, 72, 401, 433, 256, 15, 443, 305,
                                       188, 350, 449, 99, 270, 410, 4, 333};
        static const char *const want[16] = {"<|begin_of_text|>", "i", "K\xc3", "done", " t", "0",
                                             "<|eot_id|>", " //", "\0", " tab",
                                             "<|reserved_special_token_7|>", "\xa6", "gh",
                                             "Paulo", "%", "\xe3\x82"};
        for (int i = 0; i < 16; i++) {
            size_t wl = in[i] == 188 ? 1 : strlen(want[i]);
            expect_piece(v, in[i], 1, want[i], wl);
            if (tlpu_vocab_is_control(v, in[i]))
                expect_piece(v, in[i], 0, "", 0);
        }
        /* "Every detok_hex equals text_hex (the BOS token detokenizes to
         * nothing with unparse_special=false)" */
        char out[64];
        int32_t bos_a[2] = {434, 64};
        ck_assert_uint_eq(detok(v, bos_a, 2, 0, 0, out, sizeof out), 1);
        ck_assert_int_eq(out[0], 'a');
        ck_assert_uint_eq(detok(v, bos_a, 2, 0, 1, out, sizeof out), 18);
        ck_assert(memcmp(out, "<|begin_of_text|>a", 18) == 0);
        ck_assert_uint_eq(detok(v, bos_a, 2, 1, 1, out, sizeof out), 1); /* remove_special */
        /* "LF token = 128 'Ä'": the fork tokenizes the text "Ċ", first id */
        int32_t ids[8];
        ck_assert_uint_ge(tok(v, "\xc4\x8a", 2, 0, 0, ids), 1);
        ck_assert_int_eq(ids[0], 128);
        /* byte symbols: "!" = 0, space = 220, \n = 198, \t = 197 */
        expect_ids(v, "!", 1, 0, 0, "0", "!");
        expect_ids(v, "\t", 1, 0, 0, "197", "tab");
        expect_ids(v, "\n", 1, 0, 0, "198", "newline");
    }
    /* the README's differences between the two pre-tokenizers */
    expect_ids(d.v, "<|begin_of_text|>sys<|eot_id|><|start_header_id|>", 49, 1, 1,
               "434 434 82 88 82 443 440", "case 18 default");
    expect_ids(b.v, "<|begin_of_text|>sys<|eot_id|><|start_header_id|>", 49, 1, 1,
               "434 434 82 88 82 443 440", "case 18 llama-bpe");
    tlpu_vocab_free(d.v);
    tlpu_vocab_free(b.v);
}
END_TEST

/* ---- the SPM tokenizer of tests/data/models ------------------------------------------------- */

START_TEST(spm_readme)
{
    static const char *const files[3] = {"models/tiny-bitnet-tq2_0.gguf",
                                         "models/tiny-bitnet-tq1_0.gguf",
                                         "models/tiny-bitnet-f16.gguf"};
    loaded l = load_rel(files[_i]);
    const tlpu_vocab *v = l.v;
    ck_assert_str_eq(tlpu_vocab_model(v), "llama");
    ck_assert_uint_eq(tlpu_vocab_size(v), 384);
    ck_assert_int_eq(tlpu_vocab_bos(v), 1);
    ck_assert_int_eq(tlpu_vocab_eos(v), 2);
    ck_assert_int_eq(tlpu_vocab_add_bos(v), 1);
    ck_assert_int_eq(tlpu_vocab_add_eos(v), 0);
    for (int32_t id = -3; id < 390; id++) /* EOS is the only EOG token */
        ck_assert_int_eq(tlpu_vocab_is_eog(v, id), id == 2);
    /* llama_tokenize(..., add_special = true) */
    expect_ids(v, "the word was", 12, 1, 0, "1 335 382 350", "the word was");
    expect_ids(v, "Hello, world!", 13, 1, 0, "1 259 293 260 270 270 263 323 381 270 269 324",
               "Hello, world!");
    expect_ids(v, "\xc3\xa9", 2, 1, 0, "1 259 198 172", "e acute");
    /* the LF token is 13 (<0x0A>) */
    expect_ids(v, "\n", 1, 0, 0, "259 13", "newline");
    /* the fixed input's pieces: <s> ▁ W <0x4A> ▁bu A <0x0A> ▁was a <0x75> F
     * <0x2C> l <0xC4> ▁t <0x07> */
    static const int32_t in[16] = {1, 259, 300, 77, 383, 288, 13, 350,
                                   262, 120, 301, 47, 270, 199, 333, 10};
    static const char *const want[16] = {"<s>", " ", "W", "J", " bu", "A", "\n", " was",
                                         "a", "u", "F", ",", "l", "\xc4", " t", "\x07"};
    for (int i = 0; i < 16; i++)
        expect_piece(v, in[i], 1, want[i], strlen(want[i]));
    expect_piece(v, 1, 0, "", 0);
    expect_piece(v, 0, 0, "", 0);      /* <unk>: special only */
    expect_piece(v, 0, 1, "<unk>", 5);
    /* the greedy continuation: y <0x2D> <0x08> ▁with <0x50> <0xCF> <0xF5> <0xBB>
     * <0x2F> <0x30> ▁one <0xE3> <0xEF> ▁on " Z */
    static const int32_t gr[16] = {277, 48, 11, 359, 83, 210, 248, 190,
                                   50, 51, 368, 230, 242, 354, 332, 311};
    static const char *const gw[16] = {"y", "-", "\x08", " with", "P", "\xcf", "\xf5", "\xbb",
                                       "/", "0", " one", "\xe3", "\xef", " on", "\"", "Z"};
    for (int i = 0; i < 16; i++)
        expect_piece(v, gr[i], 0, gw[i], strlen(gw[i]));
    /* detokenizing: the space the prefix added goes, unless a BOS was
     * removed (llama_detokenize's remove_space) */
    int32_t ids[8] = {1, 335, 382, 350};
    char out[64];
    size_t n = detok(v, ids + 1, 3, 0, 0, out, sizeof out);
    ck_assert(n == 12 && memcmp(out, "the word was", 12) == 0);
    n = detok(v, ids, 4, 0, 0, out, sizeof out); /* BOS renders empty, then " the" */
    ck_assert(n == 13 && memcmp(out, " the word was", 13) == 0);
    n = detok(v, ids, 4, 0, 1, out, sizeof out);
    ck_assert(n == 16 && memcmp(out, "<s> the word was", 16) == 0);
    n = detok(v, ids, 4, 1, 0, out, sizeof out);
    ck_assert(n == 13 && memcmp(out, " the word was", 13) == 0);
    /* special texts: control tokens only with parse_special, after which
     * the next text gets a space prefix again */
    expect_ids(v, "the</s>the", 10, 0, 0, "335 63 50 266 65 261 267 260", "no parse");
    expect_ids(v, "the</s>the", 10, 0, 1, "335 2 335", "parse");
    expect_ids(v, "", 0, 1, 0, "1", "empty + BOS");
    expect_ids(v, "", 0, 0, 0, "", "empty");
    tlpu_vocab_free(l.v);
}
END_TEST

/* Byte fallback: every byte alone, and multi-byte characters. */
START_TEST(spm_byte_fallback)
{
    loaded l = load_rel(k_spm_file);
    const tlpu_vocab *v = l.v;
    static const char pieces[] = "etaoinshrdlcumwfgypbvkjxqzETAOINSHRDLCUMWFGYPBVKJXQZ0123456789"
                                 ".,!?'-:;()\"";
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        int32_t ids[8];
        size_t n = tok(v, &c, 1, 0, 0, ids);
        char piece[8];
        size_t plen = 0;
        if (n == 1) { /* "▁" + the byte is a piece (▁t, ▁a, ...) */
            ck_assert_int_eq(tlpu_token_piece(v, ids[0], 0, piece, sizeof piece, &plen), TLPU_OK);
            ck_assert(plen == 2 && piece[0] == ' ' && piece[1] == c);
        } else {
            ck_assert_uint_eq(n, 2);
            ck_assert_int_eq(ids[0], 259); /* the space prefix */
            const char *p = b ? memchr(pieces, b, sizeof pieces - 1) : NULL;
            int32_t want = b == ' ' ? 259 : p ? 260 + (int32_t)(p - pieces) : b + 3;
            ck_assert_msg(ids[1] == want, "byte 0x%02x: %d, want %d", b, ids[1], want);
        }
        char out[8];
        ck_assert_uint_eq(detok(v, ids, n, 0, 0, out, sizeof out), 1);
        ck_assert_int_eq(out[0], c);
    }
    expect_ids(v, "\xe6\x97\xa5", 3, 0, 0, "259 233 154 168", "3-byte");
    expect_ids(v, "\xf0\x9f\xa4\x96", 4, 0, 0, "259 243 162 167 153", "4-byte");
    expect_ids(v, "a\xc3\xa9z", 4, 0, 0, "336 198 172 285", "mixed");
    tlpu_vocab_free(l.v);
}
END_TEST

/* ---- a GGUF builder (from check_gguf.c) ----------------------------------------------------- */

typedef struct gb {
    uint8_t *p;
    size_t n, cap;
    uint64_t n_kv;
} gb;

static void gb_bytes(gb *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = 2 * (b->n + n) + 256;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void gb_u32(gb *b, uint32_t v)
{
    uint8_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    gb_bytes(b, t, 4);
}

static void gb_u64(gb *b, uint64_t v)
{
    uint8_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    gb_bytes(b, t, 8);
}

static void gb_strn(gb *b, const char *s, size_t n)
{
    gb_u64(b, n);
    gb_bytes(b, s, n);
}

static void gb_str(gb *b, const char *s) { gb_strn(b, s, strlen(s)); }

/* The header with the kv count patched in by gb_open. */
static void gb_header(gb *b)
{
    b->n = 0;
    b->n_kv = 0;
    gb_bytes(b, "GGUF", 4);
    gb_u32(b, 3);
    gb_u64(b, 0); /* tensors */
    gb_u64(b, 0); /* kv count, patched */
}

static void gb_kv_str(gb *b, const char *key, const char *val)
{
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_STR);
    gb_str(b, val);
    b->n_kv++;
}

static void gb_kv_u32(gb *b, const char *key, uint32_t val)
{
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_U32);
    gb_u32(b, val);
    b->n_kv++;
}

static void gb_kv_bool(gb *b, const char *key, int val)
{
    uint8_t c = (uint8_t)val;
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_BOOL);
    gb_bytes(b, &c, 1);
    b->n_kv++;
}

/* An array of strings ("" NUL-separated list in s, n items; lengths given
 * by strlen unless lens). */
static void gb_kv_strs(gb *b, const char *key, const char *const *s, int n)
{
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_ARR);
    gb_u32(b, TLPU_GGUF_STR);
    gb_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++)
        gb_str(b, s[i]);
    b->n_kv++;
}

static void gb_kv_i32s(gb *b, const char *key, const int32_t *v, int n)
{
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_ARR);
    gb_u32(b, TLPU_GGUF_I32);
    gb_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++)
        gb_u32(b, (uint32_t)v[i]);
    b->n_kv++;
}

static void gb_kv_f32s(gb *b, const char *key, const float *v, int n)
{
    gb_str(b, key);
    gb_u32(b, TLPU_GGUF_ARR);
    gb_u32(b, TLPU_GGUF_F32);
    gb_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        gb_u32(b, u);
    }
    b->n_kv++;
}

static tlpu_gguf *gb_open(gb *b)
{
    for (int i = 0; i < 8; i++)
        b->p[16 + i] = (uint8_t)(b->n_kv >> (8 * i));
    char err[ERRLEN];
    tlpu_gguf *g = NULL;
    tlpu_status st = tlpu_gguf_open_mem(b->p, b->n, &g, err, sizeof err);
    ck_assert_msg(st == TLPU_OK, "%s (%s)", tlpu_status_name(st), err);
    return g;
}

/* Reads the vocabulary of the built file: the status, and the message. */
static tlpu_status gb_vocab(gb *b, tlpu_vocab **v, char *err)
{
    tlpu_gguf *g = gb_open(b);
    tlpu_vocab *sentinel = (tlpu_vocab *)(uintptr_t)1;
    *v = sentinel;
    tlpu_status st = tlpu_vocab_from_gguf(g, v, err, ERRLEN);
    if (st != TLPU_OK)
        ck_assert_msg(*v == sentinel, "*out written on error");
    tlpu_gguf_close(g);
    return st;
}

/* A small BPE file: tokens a b ab c, merge "a b", optional pre. */
static void build_bpe(gb *b, const char *model, const char *pre)
{
    static const char *const toks[] = {"a", "b", "ab", "c", "<|eot_id|>", "<s>"};
    static const char *const merges[] = {"a b"};
    gb_header(b);
    gb_kv_str(b, "tokenizer.ggml.model", model);
    if (pre)
        gb_kv_str(b, "tokenizer.ggml.pre", pre);
    gb_kv_strs(b, "tokenizer.ggml.tokens", toks, COUNT(toks));
    gb_kv_strs(b, "tokenizer.ggml.merges", merges, COUNT(merges));
}

START_TEST(built_names)
{
    gb b = {0};
    char err[ERRLEN];
    tlpu_vocab *v;
    build_bpe(&b, "bert", NULL);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err, "unsupported tokenizer model 'bert'") &&
                      strstr(err, "tokenizer.ggml.model"),
                  "%s", err);
    build_bpe(&b, "gpt2", "qwen2");
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err, "unsupported pre-tokenizer 'qwen2'") &&
                      strstr(err, "tokenizer.ggml.pre"),
                  "%s", err);
    build_bpe(&b, "gpt2", "we\nird\xff");
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err, "'we\\x0aird\\xff'"), "%s", err);
    /* names that are read */
    static const struct {
        const char *pre, *as;
        int add_bos;
    } ok[] = {{NULL, "default", 0},        {"default", "default", 0},
              {"llama-bpe", "llama-bpe", 1}, {"llama3", "llama-bpe", 1},
              {"llama-v3", "llama-bpe", 1},  {"falcon3", "llama-bpe", 1}};
    for (int i = 0; i < COUNT(ok); i++) {
        build_bpe(&b, "gpt2", ok[i].pre);
        ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_OK);
        ck_assert_str_eq(err, "");
        ck_assert_str_eq(tlpu_vocab_pre(v), ok[i].as);
        ck_assert_int_eq(tlpu_vocab_add_bos(v), ok[i].add_bos);
        /* no BOS key: llama.cpp's BPE default is id 11, past this vocabulary */
        ck_assert_int_eq(tlpu_vocab_bos(v), -1);
        size_t n = 99;
        int32_t ids[8];
        tlpu_status st = tlpu_tokenize(v, "ab", 2, 1, 0, ids, 8, &n);
        ck_assert_int_eq(st, ok[i].add_bos ? TLPU_ERR_UNSUPPORTED : TLPU_OK);
        ck_assert_int_eq(tlpu_tokenize(v, "abc", 3, 0, 0, ids, 8, &n), TLPU_OK);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(ids[0], 2);
        ck_assert_int_eq(ids[1], 3);
        /* <|eot_id|> is found by its text: EOG and a control token */
        ck_assert(tlpu_vocab_is_eog(v, 4) && tlpu_vocab_is_control(v, 4));
        ck_assert_int_eq(tlpu_tokenize(v, "<|eot_id|>", 10, 0, 1, ids, 8, &n), TLPU_OK);
        ck_assert(n == 1 && ids[0] == 4);
        tlpu_vocab_free(v);
    }
    /* an SPM file's pre key is not read (llama.cpp) */
    build_bpe(&b, "llama", "qwen2");
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_OK);
    ck_assert_str_eq(tlpu_vocab_model(v), "llama");
    tlpu_vocab_free(v);
    free(b.p);
}
END_TEST

START_TEST(built_malformed)
{
    gb b = {0};
    char err[ERRLEN];
    tlpu_vocab *v;
    static const char *const toks[] = {"a", "b", "ab"};
    static const char *const dup[] = {"a", "b", "a"};
    static const char *const merges[] = {"a b"};
    static const float scores2[] = {0, 0};
    static const int32_t types[] = {1, 1, 3};

    gb_header(&b); /* no tokenizer at all */
    gb_kv_str(&b, "general.architecture", "llama");
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "tokenizer.ggml.model"), "%s", err);

    gb_header(&b); /* model of the wrong type */
    gb_kv_u32(&b, "tokenizer.ggml.model", 3);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "tokenizer.ggml.model is not a string"), "%s", err);

    gb_header(&b); /* no tokens */
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "no tokenizer.ggml.tokens"), "%s", err);

    gb_header(&b); /* empty tokens */
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 0);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "empty"), "%s", err);

    gb_header(&b); /* gpt2 without merges */
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "tokenizer.ggml.merges"), "%s", err);

    gb_header(&b); /* scores of another length */
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_f32s(&b, "tokenizer.ggml.scores", scores2, 2);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(
        strstr(err, "tokenizer.ggml.scores has 2 entries but tokenizer.ggml.tokens has 3"), "%s",
        err);

    gb_header(&b); /* token types as strings */
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.token_type", toks, 3);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "token_type is not an array of integers"), "%s", err);

    gb_header(&b); /* a repeated token (llama.cpp asserts) */
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", dup, 3);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "tokens 0 and 2 are both 'a'"), "%s", err);

    gb_header(&b); /* a bool of the wrong type */
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges, 1);
    gb_kv_u32(&b, "tokenizer.ggml.add_bos_token", 1);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_ERR_FORMAT);
    ck_assert_msg(strstr(err, "add_bos_token is not a bool"), "%s", err);

    gb_header(&b); /* keys read: ids past the end ignored, add_eos, types */
    gb_kv_str(&b, "tokenizer.ggml.model", "gpt2");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, 3);
    gb_kv_strs(&b, "tokenizer.ggml.merges", merges, 1);
    gb_kv_i32s(&b, "tokenizer.ggml.token_type", types, 3);
    gb_kv_u32(&b, "tokenizer.ggml.bos_token_id", 2);
    gb_kv_u32(&b, "tokenizer.ggml.eos_token_id", 7);
    gb_kv_bool(&b, "tokenizer.ggml.add_bos_token", 1);
    gb_kv_bool(&b, "tokenizer.ggml.add_eos_token", 1);
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_OK);
    ck_assert_int_eq(tlpu_vocab_bos(v), 2);
    ck_assert_int_eq(tlpu_vocab_eos(v), -1);
    ck_assert_int_eq(tlpu_vocab_add_eos(v), 1);
    size_t n;
    int32_t ids[8];
    ck_assert_int_eq(tlpu_tokenize(v, "ab", 2, 1, 0, ids, 8, &n), TLPU_ERR_UNSUPPORTED);
    ck_assert_int_eq(tlpu_tokenize(v, "ab", 2, 0, 0, ids, 8, &n), TLPU_OK);
    ck_assert(n == 1 && ids[0] == 2);
    tlpu_vocab_free(v);

    /* arguments */
    ck_assert_int_eq(tlpu_vocab_from_gguf(NULL, &v, err, sizeof err), TLPU_ERR_INVALID_ARG);
    ck_assert_msg(strlen(err) > 0, "no message");
    tlpu_gguf *g = gb_open(&b);
    ck_assert_int_eq(tlpu_vocab_from_gguf(g, NULL, NULL, 0), TLPU_ERR_INVALID_ARG);
    tlpu_gguf_close(g);
    tlpu_vocab_free(NULL);
    ck_assert_uint_eq(tlpu_vocab_size(NULL), 0);
    ck_assert_int_eq(tlpu_vocab_bos(NULL), -1);
    ck_assert_int_eq(tlpu_vocab_is_eog(NULL, 0), 0);
    free(b.p);
}
END_TEST

/* SPM byte fallback through raw-byte tokens, and a byte without any token. */
START_TEST(built_spm_fallback)
{
    gb b = {0};
    char err[ERRLEN];
    tlpu_vocab *v;
    static const char *const toks[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a",
                                       "\xc3",  "<0xA9>", "\xe2\x96\x81" "a"};
    static const int32_t types[] = {2, 3, 3, 1, 1, 1, 6, 1};
    static const float scores[] = {0, 0, 0, -1, -2, -3, 0, -1};
    gb_header(&b);
    gb_kv_str(&b, "tokenizer.ggml.model", "llama");
    gb_kv_strs(&b, "tokenizer.ggml.tokens", toks, COUNT(toks));
    gb_kv_f32s(&b, "tokenizer.ggml.scores", scores, COUNT(scores));
    gb_kv_i32s(&b, "tokenizer.ggml.token_type", types, COUNT(types));
    ck_assert_int_eq(gb_vocab(&b, &v, err), TLPU_OK);
    /* "é" = C3 A9: C3 has no <0xC3> but the raw token, A9 has <0xA9> */
    expect_ids(v, "a\xc3\xa9", 3, 1, 0, "1 7 5 6", "fallback");
    char out[16];
    int32_t ids[8] = {7, 5, 6};
    ck_assert_uint_eq(detok(v, ids, 3, 0, 0, out, sizeof out), 3);
    /* the raw token "\xc3" is NORMAL: its piece is its text */
    ck_assert(memcmp(out, "a\xc3\xa9", 3) == 0);
    /* "ü" = C3 BC: no token for BC (llama.cpp throws) */
    size_t n = 77;
    ck_assert_int_eq(tlpu_tokenize(v, "\xc3\xbc", 2, 1, 0, ids, 8, &n), TLPU_ERR_UNSUPPORTED);
    ck_assert_uint_eq(n, 77);
    tlpu_vocab_free(v);
    free(b.p);
}
END_TEST

/* ---- invalid UTF-8 -------------------------------------------------------------------------- */

START_TEST(invalid_utf8)
{
    loaded s = load_rel(k_spm_file), d = load_rel(k_default_file), l = load_rel(k_llama_bpe_file);
    static const struct {
        const char *in;
        size_t len;
        const char *bpe_out; /* what BPE gives back (bad bytes -> U+FFFD) */
        size_t out_len;
    } cases[] = {
        {"\xff", 1, "\xef\xbf\xbd", 3},
        {"a\x80z", 3, "a\xef\xbf\xbdz", 5},
        {"\xc3", 1, "\xef\xbf\xbd", 3},                       /* truncated at the end */
        {"\xe6\x97", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6},       /* one U+FFFD per byte */
        {"\xc3(", 2, "\xef\xbf\xbd(", 4},                     /* bad continuation */
        {"\xc0\x80x", 3, "\0x", 2},                           /* overlong: U+0000 */
        {"\xed\xa0\x80", 3, "\xed\xa0\x80", 3},               /* a surrogate passes */
        {"\xf8\x88\x80\x80\x80", 5,
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 15},
    };
    const tlpu_vocab *bpe[2] = {d.v, l.v};
    for (int i = 0; i < COUNT(cases); i++) {
        int32_t ids[64];
        char out[64];
        /* SPM keeps bytes as they are */
        size_t n = tok(s.v, cases[i].in, cases[i].len, 0, 0, ids);
        size_t len = detok(s.v, ids, n, 0, 0, out, sizeof out);
        ck_assert_msg(len == cases[i].len && memcmp(out, cases[i].in, len) == 0, "spm case %d", i);
        for (int k = 0; k < 2; k++) {
            n = tok(bpe[k], cases[i].in, cases[i].len, 0, 0, ids);
            len = detok(bpe[k], ids, n, 0, 0, out, sizeof out);
            ck_assert_msg(len == cases[i].out_len && memcmp(out, cases[i].bpe_out, len) == 0,
                          "bpe %d case %d", k, i);
        }
    }
    /* above U+10FFFF: llama.cpp throws from unicode_cpt_to_utf8 */
    static const char *const big[] = {"\xf4\x90\x80\x80", "x \xf7\xbf\xbf\xbf y"};
    for (int i = 0; i < COUNT(big); i++) {
        for (int k = 0; k < 2; k++) {
            size_t n = 5;
            int32_t ids[16];
            ck_assert_int_eq(tlpu_tokenize(bpe[k], big[i], strlen(big[i]), 1, 0, ids, 16, &n),
                             TLPU_ERR_FORMAT);
            ck_assert_uint_eq(n, 5);
        }
        int32_t ids[16];
        ck_assert_uint_ge(tok(s.v, big[i], strlen(big[i]), 1, 0, ids), 2);
    }
    tlpu_vocab_free(s.v);
    tlpu_vocab_free(d.v);
    tlpu_vocab_free(l.v);
}
END_TEST

/* ---- random round trips --------------------------------------------------------------------- */

static size_t put_cpt(uint32_t c, char *o)
{
    unsigned char *u = (unsigned char *)o;
    if (c < 0x80) {
        u[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        u[0] = (unsigned char)(0xC0 | c >> 6);
        u[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        u[0] = (unsigned char)(0xE0 | c >> 12);
        u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        u[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | c >> 18);
    u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    u[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

static const char k_punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
static const uint32_t k_interesting[] = {
    0x00A0, 0x3000, 0x2028, 0x0085, 0x1680, 0x00E9, 0x00FC, 0x00DF, 0x4E2D, 0x65E5, 0x0663,
    0x00BF, 0x2014, 0x00AB, 0x1F916, 0x2728, 0x2581, 0x0301, 0x00B2, 0xFFFD, 0x10FFFF, 0xFEFF};
static const char *const k_words[] = {"'s",  "'t",  "'re", "'ve", "'m",  "'ll", "'d", "'S",
                                      "'VE", "'Ll", "12345", "9876543210", "  ", "\r\n",
                                      "\n\n", "\t\t", "the", "and", "tab", "done", "//", "!="};

/* A random valid UTF-8 string of up to ~60 pieces; returns its length. */
static size_t random_text(tlpu_rng *r, char *o)
{
    size_t n = 0, pieces = tlpu_rng_below(r, 60);
    for (size_t p = 0; p < pieces; p++) {
        switch (tlpu_rng_below(r, 16)) {
        case 0: case 1: case 2: case 3: {
            size_t w = 1 + tlpu_rng_below(r, 6);
            for (size_t k = 0; k < w; k++)
                o[n++] = (char)((tlpu_rng_below(r, 4) ? 'a' : 'A') + tlpu_rng_below(r, 26));
            break;
        }
        case 4:
            o[n++] = (char)('0' + tlpu_rng_below(r, 10));
            break;
        case 5:
            o[n++] = k_punct[tlpu_rng_below(r, sizeof k_punct - 1)];
            break;
        case 6: case 7:
            o[n++] = ' ';
            break;
        case 8:
            o[n++] = "\t\n\r\n"[tlpu_rng_below(r, 4)];
            break;
        case 9:
            n += put_cpt(0x80 + (uint32_t)tlpu_rng_below(r, 0x800 - 0x80), o + n);
            break;
        case 10: {
            uint32_t c;
            do
                c = 0x800 + (uint32_t)tlpu_rng_below(r, 0x10000 - 0x800);
            while (c >= 0xD800 && c <= 0xDFFF);
            n += put_cpt(c, o + n);
            break;
        }
        case 11:
            n += put_cpt(0x10000 + (uint32_t)tlpu_rng_below(r, 0x110000 - 0x10000), o + n);
            break;
        case 12:
            n += put_cpt(k_interesting[tlpu_rng_below(r, COUNT(k_interesting))], o + n);
            break;
        default: {
            const char *w = k_words[tlpu_rng_below(r, COUNT(k_words))];
            memcpy(o + n, w, strlen(w));
            n += strlen(w);
        }
        }
    }
    return n;
}

/* BPE detokenizing cleans up spaces (llama.cpp's clean_spaces, after
 * Hugging Face's clean_up_tokenization): " ?", " !", " .", " ," lose the
 * space; " ' " becomes "'"; " 's", " 'm", " 're", " 've" lose the space. An
 * independent model: three copying passes; in the second, a space consumed
 * after an apostrophe no longer counts as the space before the next one. */
static size_t clean_model(const char *in, size_t n, char *out)
{
    char a[16384], b[16384];
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && in[i - 1] == ' ' && strchr("?!.,", in[i]) && in[i] && na > 0)
            na--;
        a[na++] = in[i];
    }
    size_t nb = 0;
    int consumed = 0; /* a[i - 1] was a space swallowed by " ' " */
    for (size_t i = 0; i < na; i++) {
        int prev_space = i > 0 && a[i - 1] == ' ' && !consumed;
        consumed = 0;
        if (i > 0 && a[i] == '\'' && prev_space && i + 1 < na && a[i + 1] == ' ') {
            nb--;
            b[nb++] = '\'';
            i++;
            consumed = 1;
            continue;
        }
        b[nb++] = a[i];
    }
    size_t no = 0;
    for (size_t i = 0; i < nb; i++) {
        if (i > 0 && b[i - 1] == ' ' && b[i] == '\'' && i + 1 < nb) {
            char x1 = b[i + 1], x2 = i + 2 < nb ? b[i + 2] : 0;
            if (x1 == 's' || x1 == 'm' || (i + 2 < nb && ((x1 == 'r' && x2 == 'e') ||
                                                         (x1 == 'v' && x2 == 'e'))))
                no--;
        }
        out[no++] = b[i];
    }
    return no;
}

/* Replaces U+2581 by a space (SPM's unescaping). */
static size_t spm_model(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (n - i >= 3 && memcmp(in + i, "\xe2\x96\x81", 3) == 0) {
            out[o++] = ' ';
            i += 3;
        } else {
            out[o++] = in[i++];
        }
    }
    return o;
}

/* Breaks the clean-up patterns: no ? ! . , ' right after a space. */
static void make_clean_safe(char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i - 1] == ' ' && strchr("?!.,'", s[i]) && s[i])
            s[i] = 'x';
}

static const char *const k_rt_files[3] = {"models/tiny-bitnet-tq2_0.gguf",
                                          "models-b158/tiny-b158-i2_s.gguf",
                                          "models-b158/vocab-llama-bpe.gguf"};

/*
 * _i = file; three kinds of strings in turn: clean-safe (exact round trip),
 * any (BPE: the clean-up model), and with special texts parsed and rendered
 * back. As many as fit in the budget (at least 300 of each).
 */
START_TEST(round_trips)
{
    loaded l = load_rel(k_rt_files[_i]);
    const tlpu_vocab *v = l.v;
    int spm = strcmp(tlpu_vocab_model(v), "llama") == 0;
    static const char *const specials_spm[] = {"<s>", "</s>", "<unk>"};
    static const char *const specials_bpe[] = {"<|begin_of_text|>", "<|eot_id|>",
                                               "<|start_header_id|>", "<|python_tag|>"};
    tlpu_rng r = tlpu_rng_seed(0x70C0 + (uint64_t)_i);
    long counts[3] = {0, 0, 0};
    for (int kind = 0; kind < 3; kind++) {
        clock_t t0 = clock();
        while (counts[kind] < 300 ||
               (double)(clock() - t0) / CLOCKS_PER_SEC < ROUND_TRIP_SECONDS) {
            char text[8192], want[8192], out[16384];
            size_t len = random_text(&r, text);
            int parse = kind == 2;
            size_t at = 0, splen = 0;
            if (parse) { /* splice in a special text */
                const char *sp = spm ? specials_spm[tlpu_rng_below(&r, 3)]
                                     : specials_bpe[tlpu_rng_below(&r, 4)];
                splen = strlen(sp);
                at = len ? (size_t)tlpu_rng_below(&r, len) : 0;
                while (at > 0 && ((unsigned char)text[at] & 0xC0) == 0x80)
                    at--;
                memmove(text + at + splen, text + at, len - at);
                memcpy(text + at, sp, splen);
                len += splen;
                for (size_t i = 0; spm && i < len; i++) /* no other special text */
                    if (text[i] == '<' && (i < at || i >= at + splen))
                        text[i] = '(';
            }
            if (kind != 1)
                make_clean_safe(text, len);
            int32_t ids[MAXIDS];
            size_t n = tok(v, text, len, 0, parse, ids);
            size_t olen = detok(v, ids, n, 0, parse, out, sizeof out);
            size_t wlen;
            if (spm && parse) {
                /* SPM gives the text after a special token a space prefix
                 * again (llama.cpp's is_prev_special) */
                wlen = spm_model(text, at + splen, want);
                if (at + splen < len)
                    want[wlen++] = ' ';
                wlen += spm_model(text + at + splen, len - at - splen, want + wlen);
            } else if (spm)
                wlen = spm_model(text, len, want);
            else if (kind == 1)
                wlen = clean_model(text, len, want);
            else {
                memcpy(want, text, len);
                wlen = len;
            }
            if (olen != wlen || memcmp(out, want, wlen) != 0) {
                char ids_s[8192];
                ids_str(ids, n, ids_s, sizeof ids_s);
                ck_abort_msg("%s kind %d: round trip of '%.*s' gave '%.*s' (ids %s)",
                             k_rt_files[_i], kind, (int)len, text, (int)olen, out, ids_s);
            }
            /* with BOS: the same ids after it */
            int32_t ids2[MAXIDS];
            size_t n2 = tok(v, text, len, 1, parse, ids2);
            ck_assert_uint_eq(n2, n + 1);
            ck_assert_int_eq(ids2[0], tlpu_vocab_bos(v));
            ck_assert(memcmp(ids2 + 1, ids, n * sizeof *ids) == 0);
            counts[kind]++;
        }
    }
    printf("round trips %s: %ld exact, %ld any, %ld with special texts\n", k_rt_files[_i],
           counts[0], counts[1], counts[2]);
    tlpu_vocab_free(l.v);
}
END_TEST

/* Random bytes (mostly invalid UTF-8): never a crash; SPM gives the bytes
 * back, BPE the text with each bad byte as U+FFFD (or TLPU_ERR_FORMAT for a
 * code point above U+10FFFF). */
static size_t llama_sanitize(const unsigned char *s, size_t n, char *o, int *big)
{
    size_t k = 0;
    *big = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : c < 0xC0 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF8 ? 4 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t j = 1; ok && j < len; j++)
            ok = (s[i + j] & 0xC0) == 0x80;
        if (!ok) {
            memcpy(o + k, "\xef\xbf\xbd", 3);
            k += 3;
            i++;
            continue;
        }
        uint32_t cpt = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t j = 1; j < len; j++)
            cpt = cpt << 6 | (s[i + j] & 0x3Fu);
        if (cpt > 0x10FFFF)
            *big = 1;
        k += put_cpt(cpt, o + k);
        i += len;
    }
    return k;
}

static int find_u2581(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, "\xe2\x96\x81", 3) == 0)
            return 1;
    return 0;
}

START_TEST(random_bytes)
{
    loaded l = load_rel(k_rt_files[_i]);
    const tlpu_vocab *v = l.v;
    int spm = strcmp(tlpu_vocab_model(v), "llama") == 0;
    tlpu_rng r = tlpu_rng_seed(0xB17E + (uint64_t)_i);
    long count = 0, rejected = 0;
    clock_t t0 = clock();
    while (count < 300 || (double)(clock() - t0) / CLOCKS_PER_SEC < ROUND_TRIP_SECONDS / 2) {
        unsigned char text[256];
        char want[1024], clean[1024], out[4096];
        size_t len = tlpu_rng_below(&r, 64);
        for (size_t i = 0; i < len; i++) { /* favour lead and continuation bytes */
            text[i] = (unsigned char)(tlpu_rng_below(&r, 3) ? 0x80 + tlpu_rng_below(&r, 128)
                                                            : tlpu_rng_below(&r, 256));
            if (spm && text[i] == ' ')
                text[i] = 'x'; /* see below */
        }
        int32_t ids[MAXIDS];
        size_t n = 0;
        tlpu_status st = tlpu_tokenize(v, (const char *)text, len, 0, 0, ids, MAXIDS, &n);
        int big = 0;
        size_t wlen = spm ? spm_model((const char *)text, len, want)
                          : llama_sanitize(text, len, want, &big);
        if (!spm && big) {
            ck_assert_int_eq(st, TLPU_ERR_FORMAT);
            rejected++;
            count++;
            continue;
        }
        ck_assert_int_eq(st, TLPU_OK);
        /* SPM: U+2581 bytes that invalid UTF-8 puts into byte tokens come
         * back as themselves, not as a space; the text has no spaces, so only
         * a literal U+2581 in it can end up so: then only the status counts */
        if (spm && find_u2581((const char *)text, len)) {
            count++;
            continue;
        }
        if (!spm)
            wlen = clean_model(want, wlen, clean), memcpy(want, clean, wlen);
        size_t olen = detok(v, ids, n, 0, 0, out, sizeof out);
        ck_assert_msg(olen == wlen && memcmp(out, want, wlen) == 0, "%s: random bytes",
                      k_rt_files[_i]);
        count++;
    }
    printf("random bytes %s: %ld strings (%ld above U+10FFFF)\n", k_rt_files[_i], count,
           rejected);
    tlpu_vocab_free(l.v);
}
END_TEST

/* The clean-up on its own (BPE). */
START_TEST(bpe_clean_spaces)
{
    loaded l = load_rel(k_default_file);
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a , b . c ? d ! e", "a, b. c? d! e"},
        {"it 's he 'm we 're they 've", "it's he'm we're they've"},
        {"don 't I 'd we 'll", "don 't I 'd we 'll"},
        {"a ' b", "a'b"},
        {" ,", ","},
        {"  ,", " ,"},
    };
    for (int i = 0; i < COUNT(cases); i++) {
        int32_t ids[256];
        char out[256], model[256];
        size_t n = tok(l.v, cases[i].in, strlen(cases[i].in), 0, 0, ids);
        size_t len = detok(l.v, ids, n, 0, 0, out, sizeof out);
        ck_assert_msg(len == strlen(cases[i].out) && memcmp(out, cases[i].out, len) == 0,
                      "'%s' -> '%.*s'", cases[i].in, (int)len, out);
        ck_assert_uint_eq(clean_model(cases[i].in, strlen(cases[i].in), model), len);
    }
    tlpu_vocab_free(l.v);
}
END_TEST

/* ---- buffers and arguments ------------------------------------------------------------------ */

START_TEST(buffers_and_arguments)
{
    loaded l = load_rel(k_default_file);
    const tlpu_vocab *v = l.v;
    const char *text = "Hello, World! It's 5 o'clock.";
    size_t len = strlen(text), n = 0;
    int32_t ids[64], full[64];
    ck_assert_int_eq(tlpu_tokenize(v, text, len, 1, 0, NULL, 0, &n), TLPU_ERR_BUFFER_SIZE);
    ck_assert_uint_eq(n, 28);
    for (int i = 0; i < 64; i++)
        ids[i] = -7;
    ck_assert_int_eq(tlpu_tokenize(v, text, len, 1, 0, ids, 27, &n), TLPU_ERR_BUFFER_SIZE);
    ck_assert_uint_eq(n, 28);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(ids[i], -7); /* untouched */
    ck_assert_int_eq(tlpu_tokenize(v, text, len, 1, 0, full, 28, &n), TLPU_OK);
    ck_assert_uint_eq(n, 28);
    ck_assert_int_eq(full[27], 13);
    ck_assert_int_eq(tlpu_tokenize(v, "", 0, 0, 0, NULL, 0, &n), TLPU_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(tlpu_tokenize(v, NULL, 0, 1, 0, full, 1, &n), TLPU_OK);
    ck_assert_uint_eq(n, 1);
    /* arguments */
    n = 5;
    ck_assert_int_eq(tlpu_tokenize(NULL, text, len, 1, 0, ids, 64, &n), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tokenize(v, NULL, 3, 1, 0, ids, 64, &n), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tokenize(v, text, len, 1, 0, NULL, 64, &n), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_tokenize(v, text, len, 1, 0, ids, 64, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_uint_eq(n, 5);

    /* detokenize */
    char buf[64];
    size_t blen = 0;
    memset(buf, 'Z', sizeof buf);
    ck_assert_int_eq(tlpu_detokenize(v, full, 28, 0, 0, NULL, 0, &blen), TLPU_ERR_BUFFER_SIZE);
    ck_assert_uint_eq(blen, len);
    ck_assert_int_eq(tlpu_detokenize(v, full, 28, 0, 0, buf, len - 1, &blen),
                     TLPU_ERR_BUFFER_SIZE);
    ck_assert_uint_eq(blen, len);
    ck_assert_int_eq(buf[0], 'Z');
    ck_assert_int_eq(tlpu_detokenize(v, full, 28, 0, 0, buf, len, &blen), TLPU_OK);
    ck_assert(blen == len && memcmp(buf, text, len) == 0);
    ck_assert_int_eq(buf[len], 'Z'); /* no terminator */
    /* with a clean-up, the count needed is the cleaned length */
    int32_t sp[8];
    size_t sn = tok(v, "a ,", 3, 0, 0, sp);
    ck_assert_int_eq(tlpu_detokenize(v, sp, sn, 0, 0, buf, 1, &blen), TLPU_ERR_BUFFER_SIZE);
    ck_assert_uint_eq(blen, 2);
    int32_t bad[3] = {1, 450, 2};
    ck_assert_int_eq(tlpu_detokenize(v, bad, 3, 0, 0, buf, 64, &blen), TLPU_ERR_RANGE);
    bad[1] = -1;
    ck_assert_int_eq(tlpu_detokenize(v, bad, 3, 0, 0, buf, 64, &blen), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_detokenize(v, NULL, 3, 0, 0, buf, 64, &blen), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_detokenize(v, full, 3, 0, 0, NULL, 64, &blen), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_detokenize(v, full, 3, 0, 0, buf, 64, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_detokenize(NULL, full, 3, 0, 0, buf, 64, &blen), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_detokenize(v, NULL, 0, 0, 0, NULL, 0, &blen), TLPU_OK);
    ck_assert_uint_eq(blen, 0);

    /* pieces */
    ck_assert_int_eq(tlpu_token_piece(v, 434, 1, buf, 4, &blen), TLPU_ERR_BUFFER_SIZE);
    ck_assert_uint_eq(blen, 17);
    ck_assert_int_eq(tlpu_token_piece(v, 434, 1, NULL, 0, &blen), TLPU_ERR_BUFFER_SIZE);
    ck_assert_int_eq(tlpu_token_piece(v, 434, 0, NULL, 0, &blen), TLPU_OK);
    ck_assert_uint_eq(blen, 0);
    ck_assert_int_eq(tlpu_token_piece(v, 450, 1, buf, 64, &blen), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_token_piece(v, -1, 1, buf, 64, &blen), TLPU_ERR_RANGE);
    ck_assert_int_eq(tlpu_token_piece(v, 0, 1, buf, 64, NULL), TLPU_ERR_INVALID_ARG);
    ck_assert_int_eq(tlpu_token_piece(NULL, 0, 1, buf, 64, &blen), TLPU_ERR_INVALID_ARG);
    tlpu_vocab_free(l.v);
}
END_TEST

/* ---- the Unicode tables --------------------------------------------------------------------- */

static unsigned table_class(uint32_t c)
{
    unsigned cls = 0;
    for (int i = 0; i < TLPU_UCLASS_RUNS && (tlpu_uclass_runs[i] >> 8) <= c; i++)
        cls = tlpu_uclass_runs[i] & 0xFF;
    return cls;
}

static unsigned class_of_category(const char *cat)
{
    switch (cat[0]) {
    case 'L':
        return TLPU_UCLASS_LETTER;
    case 'N':
        return TLPU_UCLASS_NUMBER;
    case 'P':
        return TLPU_UCLASS_PUNCTUATION;
    case 'M':
        return TLPU_UCLASS_MARK;
    case 'S':
        return TLPU_UCLASS_SYMBOL;
    case 'Z':
        return TLPU_UCLASS_SEPARATOR;
    case 'C':
        return cat[1] == 'n' ? TLPU_UCLASS_UNDEFINED : TLPU_UCLASS_CONTROL;
    }
    ck_abort_msg("category '%s'", cat);
    return 0;
}

START_TEST(unicode_tables)
{
    /* spot checks */
    ck_assert_uint_eq(table_class('A'), TLPU_UCLASS_LETTER);
    ck_assert_uint_eq(table_class('7'), TLPU_UCLASS_NUMBER);
    ck_assert_uint_eq(table_class('`'), TLPU_UCLASS_SYMBOL);
    ck_assert_uint_eq(table_class('_'), TLPU_UCLASS_PUNCTUATION);
    ck_assert_uint_eq(table_class(0x0663), TLPU_UCLASS_NUMBER);      /* ARABIC-INDIC THREE */
    ck_assert_uint_eq(table_class(0x00BF), TLPU_UCLASS_PUNCTUATION); /* ¿ */
    ck_assert_uint_eq(table_class(0x4E2D), TLPU_UCLASS_LETTER);      /* CJK */
    ck_assert_uint_eq(table_class(0x1F916), TLPU_UCLASS_SYMBOL);     /* 🤖 */
    ck_assert_uint_eq(table_class(0x0301), TLPU_UCLASS_MARK);
    ck_assert_uint_eq(table_class(0xD800), TLPU_UCLASS_CONTROL);     /* surrogates: Cs */
    ck_assert_uint_eq(table_class(0x0378), TLPU_UCLASS_UNDEFINED);
    ck_assert_uint_eq(table_class(0x10FFFF), TLPU_UCLASS_UNDEFINED);
    ck_assert_uint_eq(tlpu_uclass_runs[0] >> 8, 0);
    for (int i = 1; i < TLPU_UCLASS_RUNS; i++) {
        ck_assert_uint_gt(tlpu_uclass_runs[i] >> 8, tlpu_uclass_runs[i - 1] >> 8);
        ck_assert_uint_ne(tlpu_uclass_runs[i] & 0xFF, tlpu_uclass_runs[i - 1] & 0xFF);
    }
    /* the whole table against Debian's UnicodeData.txt, when installed */
    FILE *f = fopen("/usr/share/unicode/UnicodeData.txt", "r");
    if (!f) {
        printf("unicode_tables: /usr/share/unicode/UnicodeData.txt absent, full check skipped\n");
        return;
    }
    unsigned char *cls = calloc(0x110000, 1);
    ck_assert_ptr_nonnull(cls);
    char line[512];
    uint32_t first = 0;
    int in_range = 0;
    while (fgets(line, sizeof line, f)) {
        char *name = strchr(line, ';');
        ck_assert_ptr_nonnull(name);
        char *cat = strchr(name + 1, ';');
        ck_assert_ptr_nonnull(cat);
        uint32_t c = (uint32_t)strtoul(line, NULL, 16);
        unsigned k = class_of_category(cat + 1);
        size_t name_len = (size_t)(cat - name - 1);
        if (name_len >= 8 && memcmp(cat - 8, ", First>", 8) == 0) {
            first = c;
            in_range = 1;
            continue;
        }
        uint32_t lo = in_range ? first : c;
        for (uint32_t x = lo; x <= c; x++)
            cls[x] = (unsigned char)k;
        in_range = 0;
    }
    fclose(f);
    size_t run = 0;
    for (uint32_t c = 0; c < 0x110000; c++) {
        while (run + 1 < TLPU_UCLASS_RUNS && (tlpu_uclass_runs[run + 1] >> 8) <= c)
            run++;
        ck_assert_msg((tlpu_uclass_runs[run] & 0xFF) == cls[c], "U+%04X: table %u, data %u", c,
                      tlpu_uclass_runs[run] & 0xFF, cls[c]);
    }
    free(cls);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase(s, "reference");
    tcase_add_loop_test(tc, tsv_cases, 0, COUNT(k_tsv));
    tcase_add_test(tc, b158_readme);
    tcase_add_loop_test(tc, spm_readme, 0, 3);
    tcase_add_test(tc, spm_byte_fallback);
    tcase_add_test(tc, bpe_clean_spaces);
    tc = tcase(s, "random");
    tcase_add_loop_test(tc, round_trips, 0, COUNT(k_rt_files));
    tcase_add_loop_test(tc, random_bytes, 0, COUNT(k_rt_files));
    tcase_add_test(tc, invalid_utf8);
    tc = tcase(s, "built");
    tcase_add_test(tc, built_names);
    tcase_add_test(tc, built_malformed);
    tcase_add_test(tc, built_spm_fallback);
    tc = tcase(s, "errors");
    tcase_add_test(tc, buffers_and_arguments);
    tcase_add_test(tc, unicode_tables);
    return test_run_suite(s);
}
