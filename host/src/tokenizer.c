/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tokenizers from GGUF metadata (tlpu/tokenizer.h), rule for rule what
 * llama.cpp's src/llama-vocab.cpp and src/unicode.cpp do (docs/tokenizer.md):
 *
 *   - loading: token texts, scores and types into llama.cpp's token
 *     attributes, the special ids and their defaults, the end-of-generation
 *     set, the special-token list (longest first) and every token's piece;
 *   - special tokens: the text is cut at every occurrence of a control
 *     (parse_special only), unknown (parse_special only) or user-defined
 *     token, longest tokens first (tokenizer_st_partition);
 *   - SPM ("llama"): a space prefix, spaces as U+2581, one symbol per UTF-8
 *     character, the adjacent pair with the best score merged first (ties:
 *     leftmost), symbols that are not tokens as byte tokens;
 *   - BPE ("gpt2"): the pre-tokenizer splits the text into words (by code
 *     points, with the category tables of unicode_tables.h), each word's
 *     bytes go through the GPT-2 byte-to-unicode map, and the merges apply
 *     by rank (ties: leftmost). The two pre-tokenizers are hand-written state
 *     machines, not regex engines:
 *       default   - llama.cpp's four regexes in sequence: runs of punctuation
 *                   (as its collapsed std::regex sees \p{P}), its custom
 *                   GPT-2 splitter, runs of \p{N}, then groups of three
 *                   ASCII digits;
 *       llama-bpe - its custom Llama-3 splitter, with ignore_merges;
 *   - pieces and detokenizing: SPM unescaping and byte tokens, the GPT-2
 *     byte map back, the space prefix removed, BPE's clean-up of spaces.
 */
#include "tlpu/tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unicode_tables.h"

#define TOK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NAME_SHOWN 48 /* bytes of a name quoted in a message */

enum { VT_SPM = 1, VT_BPE = 2 };
enum { PRE_DEFAULT = 0, PRE_LLAMA3 = 1 };

/* llama.cpp's token types (tokenizer.ggml.token_type) and attributes */
enum {
    TT_UNDEFINED = 0,
    TT_NORMAL = 1,
    TT_UNKNOWN = 2,
    TT_CONTROL = 3,
    TT_USER_DEFINED = 4,
    TT_UNUSED = 5,
    TT_BYTE = 6,
};
enum {
    A_UNDEFINED = 0,
    A_UNKNOWN = 1u << 0,
    A_UNUSED = 1u << 1,
    A_NORMAL = 1u << 2,
    A_CONTROL = 1u << 3,
    A_USER_DEFINED = 1u << 4,
    A_BYTE = 1u << 5,
};

typedef struct tok {
    size_t text, text_len;   /* in the arena */
    size_t piece, piece_len; /* llama_token_to_piece(special = true), in the arena */
    float score;
    uint32_t attr;
    uint8_t eog;
} tok;

typedef struct merge {
    size_t left, left_len, right, right_len; /* in the arena */
    uint32_t rank;
} merge;

struct tlpu_vocab {
    int type, pre;
    uint32_t n;
    tok *toks;
    char *arena;
    uint32_t *tslots; /* token text -> id + 1 */
    size_t tmask;
    merge *merges;
    size_t n_merges;
    uint32_t *mslots; /* (left, right) -> merge index + 1 */
    size_t mmask;
    int32_t bos, eos, unk, pad, eot, eom;
    int add_bos, add_eos, add_space_prefix, clean_spaces, ignore_merges;
    int32_t byte_tok[256]; /* SPM byte fallback: -1 when the vocabulary has none */
    int32_t *special;      /* control, user-defined and unknown tokens, longest first */
    size_t n_special;
};

/* ---- small helpers -------------------------------------------------------------------------- */

static void TOK_PRINTF(3, 4) set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A name for a message: printable ASCII as is, other bytes \xNN, cut at NAME_SHOWN. */
static const char *quote(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && i < NAME_SHOWN; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (n > NAME_SHOWN) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}
#define QUOTE_BUF (4 * NAME_SHOWN + 4)

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A growable byte buffer. */
typedef struct bbuf {
    char *p;
    size_t n, cap;
} bbuf;

static int bbuf_reserve(bbuf *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->n)
        return -1;
    if (b->n + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int bbuf_put(bbuf *b, const void *s, size_t n)
{
    if (bbuf_reserve(b, n ? n : 1))
        return -1;
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

/* Room for one more element in a growable array v of *cap elements of
 * `size` bytes, n in use (doubling from `first`): the array, moved or not
 * (*cap updated), or NULL when out of memory (v untouched). */
static void *grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? 2 * *cap : first;
    void *p = c > SIZE_MAX / size ? NULL : realloc(v, c * size);
    if (p)
        *cap = c;
    return p;
}

/* A growable array of int32 ids, or of sizes. */
typedef struct ivec {
    int32_t *v;
    size_t n, cap;
} ivec;

static int ivec_push(ivec *a, int32_t x)
{
    void *p = grow(a->v, &a->cap, a->n, sizeof *a->v, 64);
    if (!p)
        return -1;
    a->v = p;
    a->v[a->n++] = x;
    return 0;
}

typedef struct svec {
    size_t *v;
    size_t n, cap;
} svec;

static int svec_push(svec *a, size_t x)
{
    void *p = grow(a->v, &a->cap, a->n, sizeof *a->v, 64);
    if (!p)
        return -1;
    a->v = p;
    a->v[a->n++] = x;
    return 0;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define HASH_SEED 0xcbf29ce484222325ull

static size_t slots_for(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

/* ---- UTF-8 as llama.cpp's unicode.cpp reads and writes it ----------------------------------- */

#define OUT_OF_RANGE 0xFFFFFFFFu

/*
 * unicode_cpt_from_utf8 with unicode_cpts_from_utf8's recovery: the lead
 * byte's length, continuation bytes checked, no overlong, surrogate or
 * range check; an invalid sequence is U+FFFD and consumes one byte.
 */
static uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *i)
{
    size_t o = *i;
    unsigned c = s[o];
    if (!(c & 0x80)) {
        *i = o + 1;
        return c;
    }
    if (!(c & 0x40))
        goto bad;
    if (!(c & 0x20)) {
        if (o + 1 >= n || (s[o + 1] & 0xC0) != 0x80)
            goto bad;
        *i = o + 2;
        return (c & 0x1Fu) << 6 | (s[o + 1] & 0x3Fu);
    }
    if (!(c & 0x10)) {
        if (o + 2 >= n || (s[o + 1] & 0xC0) != 0x80 || (s[o + 2] & 0xC0) != 0x80)
            goto bad;
        *i = o + 3;
        return (c & 0x0Fu) << 12 | (s[o + 1] & 0x3Fu) << 6 | (s[o + 2] & 0x3Fu);
    }
    if (!(c & 0x08)) {
        if (o + 3 >= n || (s[o + 1] & 0xC0) != 0x80 || (s[o + 2] & 0xC0) != 0x80 ||
            (s[o + 3] & 0xC0) != 0x80)
            goto bad;
        *i = o + 4;
        return (c & 0x07u) << 18 | (s[o + 1] & 0x3Fu) << 12 | (s[o + 2] & 0x3Fu) << 6 |
               (s[o + 3] & 0x3Fu);
    }
bad:
    *i = o + 1;
    return 0xFFFD;
}

/* unicode_cpt_to_utf8 for cpt <= 0x1FFFFF (llama.cpp throws above 0x10FFFF:
 * callers check). Returns the length. */
static size_t utf8_encode(uint32_t cpt, unsigned char *o)
{
    if (cpt <= 0x7F) {
        o[0] = (unsigned char)cpt;
        return 1;
    }
    if (cpt <= 0x7FF) {
        o[0] = (unsigned char)(0xC0 | cpt >> 6);
        o[1] = (unsigned char)(0x80 | (cpt & 0x3F));
        return 2;
    }
    if (cpt <= 0xFFFF) {
        o[0] = (unsigned char)(0xE0 | cpt >> 12);
        o[1] = (unsigned char)(0x80 | (cpt >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cpt & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cpt >> 18 & 0x07));
    o[1] = (unsigned char)(0x80 | (cpt >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cpt >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cpt & 0x3F));
    return 4;
}

/* unicode_len_utf8 / utf8_len: the sequence length a lead byte announces. */
static size_t utf8_len(unsigned char c)
{
    static const unsigned char lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[c >> 4];
}

/* ---- Unicode categories (unicode_tables.h) -------------------------------------------------- */

/* The category class of a code point; above U+10FFFF undefined, as llama.cpp. */
static unsigned uclass(uint32_t cpt)
{
    if (cpt >= 0x110000)
        return TLPU_UCLASS_UNDEFINED;
    size_t lo = 0, hi = TLPU_UCLASS_RUNS; /* the last run starting <= cpt */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((tlpu_uclass_runs[mid] >> 8) <= cpt)
            lo = mid;
        else
            hi = mid;
    }
    return tlpu_uclass_runs[lo] & 0xFFu;
}

static int uwhite(uint32_t cpt)
{
    for (size_t i = 0; i < TLPU_UWHITE_RANGES; i++)
        if (cpt >= tlpu_uwhite_ranges[i][0] && cpt <= tlpu_uwhite_ranges[i][1])
            return 1;
    return 0;
}

/* ---- the GPT-2 byte-to-unicode map ---------------------------------------------------------- */

/* bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68
 * to U+0100 onwards in byte order. */
static uint32_t gpt2_byte_cpt(unsigned b)
{
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)
        return b;
    if (b <= 0x20)
        return 256 + b;
    if (b <= 0xA0)
        return 256 + 33 + (b - 0x7F);
    return 256 + 33 + 34; /* 0xAD */
}

/* The byte a code point of that map stands for, or -1. */
static int gpt2_cpt_byte(uint32_t c)
{
    if ((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))
        return (int)c;
    if (c >= 256 && c <= 256 + 32)
        return (int)(c - 256);
    if (c >= 256 + 33 && c <= 256 + 33 + 33)
        return (int)(0x7F + (c - 256 - 33));
    if (c == 256 + 33 + 34)
        return 0xAD;
    return -1;
}

/* ---- lookups -------------------------------------------------------------------------------- */

static const char *tok_text(const tlpu_vocab *v, int32_t id) { return v->arena + v->toks[id].text; }

/* The id of the token whose text is s[0..n), or -1 (llama.cpp's token_to_id). */
static int32_t find_token(const tlpu_vocab *v, const char *s, size_t n)
{
    size_t i = (size_t)hash_bytes(s, n, HASH_SEED) & v->tmask;
    for (;;) {
        uint32_t slot = v->tslots[i];
        if (!slot)
            return -1;
        const tok *t = &v->toks[slot - 1];
        if (t->text_len == n && memcmp(v->arena + t->text, s, n) == 0)
            return (int32_t)(slot - 1);
        i = (i + 1) & v->tmask;
    }
}

static uint64_t merge_hash(const char *l, size_t ln, const char *r, size_t rn)
{
    uint64_t h = hash_bytes(&ln, sizeof ln, HASH_SEED);
    h = hash_bytes(l, ln, h);
    return hash_bytes(r, rn, h);
}

/* The rank of merge (l, r), or -1 (llama.cpp's find_bpe_rank). */
static int64_t find_merge(const tlpu_vocab *v, const char *l, size_t ln, const char *r, size_t rn)
{
    if (!v->mslots)
        return -1;
    size_t i = (size_t)merge_hash(l, ln, r, rn) & v->mmask;
    for (;;) {
        uint32_t slot = v->mslots[i];
        if (!slot)
            return -1;
        const merge *m = &v->merges[slot - 1];
        if (m->left_len == ln && m->right_len == rn && memcmp(v->arena + m->left, l, ln) == 0 &&
            memcmp(v->arena + m->right, r, rn) == 0)
            return m->rank;
        i = (i + 1) & v->mmask;
    }
}

/* ---- loading -------------------------------------------------------------------------------- */

#define TRY(x)                                                                                   \
    do {                                                                                         \
        tlpu_status try_st_ = (x);                                                               \
        if (try_st_ != TLPU_OK)                                                                  \
            return try_st_;                                                                      \
    } while (0)

static int has_key(const tlpu_gguf *g, const char *key)
{
    size_t ix;
    return tlpu_gguf_find_key(g, key, &ix) == TLPU_OK;
}

/* An optional string key: *present 0 when absent; a value of another type is an error. */
static tlpu_status opt_str(const tlpu_gguf *g, const char *key, const char **s, size_t *n,
                           int *present, char *err, size_t errlen)
{
    *present = has_key(g, key);
    if (!*present)
        return TLPU_OK;
    if (tlpu_gguf_get_str(g, key, s, n) != TLPU_OK) {
        set_err(err, errlen, "%s is not a string", key);
        return TLPU_ERR_FORMAT;
    }
    return TLPU_OK;
}

/* An optional bool key: *val unchanged when absent. */
static tlpu_status opt_bool(const tlpu_gguf *g, const char *key, int *val, char *err,
                            size_t errlen)
{
    if (!has_key(g, key))
        return TLPU_OK;
    if (tlpu_gguf_get_bool(g, key, val) != TLPU_OK) {
        set_err(err, errlen, "%s is not a bool", key);
        return TLPU_ERR_FORMAT;
    }
    return TLPU_OK;
}

/* An optional token-id key: *id unchanged when absent or not a token id
 * (llama.cpp warns "bad special token" and keeps its default). */
static tlpu_status opt_id(const tlpu_gguf *g, const char *key, uint32_t n_tokens, int32_t *id,
                          char *err, size_t errlen)
{
    if (!has_key(g, key))
        return TLPU_OK;
    uint32_t v;
    tlpu_status st = tlpu_gguf_get_u32(g, key, &v);
    if (st == TLPU_ERR_RANGE)
        return TLPU_OK;
    if (st != TLPU_OK) {
        set_err(err, errlen, "%s is not an integer", key);
        return TLPU_ERR_FORMAT;
    }
    if (v < n_tokens)
        *id = (int32_t)v;
    return TLPU_OK;
}

/* An optional array parallel to the tokens: its entry index, or *present 0. */
static tlpu_status opt_parallel(const tlpu_gguf *g, const char *key, uint64_t n_tokens,
                                int want_float, size_t *ix, int *present, char *err,
                                size_t errlen)
{
    tlpu_gguf_vtype et;
    uint64_t count;
    *present = has_key(g, key);
    if (!*present)
        return TLPU_OK;
    tlpu_status st = tlpu_gguf_get_arr(g, key, ix, &et, &count);
    int ok = st == TLPU_OK &&
             (want_float ? (et == TLPU_GGUF_F32 || et == TLPU_GGUF_F64)
                         : (et <= TLPU_GGUF_I32 || et == TLPU_GGUF_U64 || et == TLPU_GGUF_I64));
    if (!ok) {
        set_err(err, errlen, "%s is not an array of %s", key, want_float ? "floats" : "integers");
        return TLPU_ERR_FORMAT;
    }
    if (count != n_tokens) {
        set_err(err, errlen, "%s has %llu entries but tokenizer.ggml.tokens has %llu", key,
                (unsigned long long)count, (unsigned long long)n_tokens);
        return TLPU_ERR_FORMAT;
    }
    return TLPU_OK;
}

static uint32_t attr_of_type(int64_t t)
{
    switch (t) {
    case TT_UNKNOWN:
        return A_UNKNOWN;
    case TT_UNUSED:
        return A_UNUSED;
    case TT_NORMAL:
        return A_NORMAL;
    case TT_CONTROL:
        return A_CONTROL;
    case TT_USER_DEFINED:
        return A_USER_DEFINED;
    case TT_BYTE:
        return A_BYTE;
    default:
        return A_UNDEFINED;
    }
}

/*
 * Special tokens llama.cpp finds by their text when no key names them
 * (llama-vocab.cpp: "auto-detect special tokens by text"). Where several
 * texts are present, llama.cpp takes whichever its hash map yields first;
 * tlpu takes the lowest id.
 */
#define FW "\xef\xbd\x9c"  /* U+FF5C FULLWIDTH VERTICAL LINE */
#define LB "\xe2\x96\x81"  /* U+2581 LOWER ONE EIGHTH BLOCK */
static const char *const k_eot_texts[] = {"<|eot_id|>", "<|im_end|>",   "<|end|>",
                                          "<end_of_turn>", "<|endoftext|>", "<EOT>",
                                          "<" FW "end" LB "of" LB "sentence" FW ">", NULL};
static const char *const k_eom_texts[] = {"<|eom_id|>", NULL};
static const char *const k_fim_pre_texts[] = {"<|fim_prefix|>", "<fim-prefix>",
                                              "<" FW "fim" LB "begin" FW ">", "<PRE>", NULL};
static const char *const k_fim_suf_texts[] = {"<|fim_suffix|>", "<fim-suffix>",
                                              "<" FW "fim" LB "hole" FW ">", "<SUF>", NULL};
static const char *const k_fim_mid_texts[] = {"<|fim_middle|>", "<fim-middle>",
                                              "<" FW "fim" LB "end" FW ">", "<MID>", NULL};
static const char *const k_fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<PAD>", NULL};
static const char *const k_fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                              "<REPO>", NULL};
static const char *const k_fim_sep_texts[] = {"<|file_sep|>", NULL};
/* Every token with one of these texts ends generation (and becomes CONTROL). */
static const char *const k_eog_texts[] = {"<|eot_id|>",    "<|im_end|>",    "<|end|>",
                                          "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
                                          "<EOT>",         NULL};

static int32_t find_text_id(const tlpu_vocab *v, const char *const *texts)
{
    int32_t best = -1;
    for (; *texts; texts++) {
        int32_t id = find_token(v, *texts, strlen(*texts));
        if (id >= 0 && (best < 0 || id < best))
            best = id;
    }
    return best;
}

static void make_control(tlpu_vocab *v, int32_t id)
{
    if (!(v->toks[id].attr & A_CONTROL))
        v->toks[id].attr = A_CONTROL;
}

/* When *id is unset, the token found by text, made a control token. */
static void detect(tlpu_vocab *v, int32_t *id, const char *const *texts)
{
    if (*id >= 0)
        return;
    *id = find_text_id(v, texts);
    if (*id >= 0)
        make_control(v, *id);
}

static int cmp_special(const tlpu_vocab *v, int32_t a, int32_t b)
{
    size_t la = v->toks[a].text_len, lb = v->toks[b].text_len;
    if (la != lb)
        return la > lb ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Sorts ids[0..n) longest text first, then by id (a bottom-up merge sort).
 * llama.cpp's std::sort leaves equal lengths in an unspecified order; only
 * overlapping occurrences of two different tokens of one length could tell. */
static int sort_special(const tlpu_vocab *v, int32_t *ids, size_t n)
{
    int32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_special(v, ids[j], ids[i]) < 0 ? ids[j++] : ids[i++];
            while (i < mid)
                tmp[k++] = ids[i++];
            while (j < hi)
                tmp[k++] = ids[j++];
        }
        memcpy(ids, tmp, n * sizeof *ids);
    }
    free(tmp);
    return 0;
}

/* llama_decode_text: a BPE token's text through the GPT-2 byte map back to
 * bytes; a character outside the map gives "[UNK_BYTE_0x<its UTF-8 in
 * hex><the whole text>]". */
static int decode_bpe_text(const char *text, size_t n, bbuf *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        uint32_t cpt = utf8_decode(s, n, &i);
        int b = cpt <= 0x10FFFF ? gpt2_cpt_byte(cpt) : -1;
        if (b >= 0) {
            char c = (char)b;
            if (bbuf_put(out, &c, 1))
                return -1;
            continue;
        }
        unsigned char u[4];
        size_t k = utf8_encode(cpt, u);
        if (bbuf_put(out, "[UNK_BYTE_0x", 12))
            return -1;
        for (size_t j = 0; j < k; j++) {
            char h[2] = {hex[u[j] >> 4], hex[u[j] & 15]};
            if (bbuf_put(out, h, 2))
                return -1;
        }
        if (bbuf_put(out, text, n) || bbuf_put(out, "]", 1))
            return -1;
    }
    return 0;
}

/* llama_token_to_piece(id, lstrip 0, special = true), appended to out. */
static int make_piece(const tlpu_vocab *v, int32_t id, bbuf *out)
{
    const tok *t = &v->toks[id];
    const char *text = tok_text(v, id);
    if (t->attr & (A_UNKNOWN | A_CONTROL | A_USER_DEFINED))
        return bbuf_put(out, text, t->text_len);
    if (v->type == VT_SPM) {
        if (t->attr & A_NORMAL) { /* llama_unescape_whitespace: U+2581 -> ' ' */
            for (size_t i = 0; i < t->text_len;) {
                if (t->text_len - i >= 3 && memcmp(text + i, LB, 3) == 0) {
                    if (bbuf_put(out, " ", 1))
                        return -1;
                    i += 3;
                } else {
                    if (bbuf_put(out, text + i, 1))
                        return -1;
                    i++;
                }
            }
            return 0;
        }
        if (t->attr & A_BYTE) { /* token_to_byte: strtol(text.substr(3, 2), 16) */
            if (t->text_len < 3)
                return 0; /* llama.cpp: std::out_of_range */
            char hx[3] = {0, 0, 0};
            memcpy(hx, text + 3, t->text_len - 3 < 2 ? t->text_len - 3 : 2);
            char c = (char)(uint8_t)strtol(hx, NULL, 16);
            return bbuf_put(out, &c, 1);
        }
        return 0;
    }
    if (t->attr & A_NORMAL)
        return decode_bpe_text(text, t->text_len, out);
    return 0;
}

static tlpu_status nomem(char *err, size_t errlen)
{
    set_err(err, errlen, "out of memory reading the vocabulary");
    return TLPU_ERR_NOMEM;
}

static tlpu_status load_tokens(tlpu_vocab *v, const tlpu_gguf *g, size_t tix, int has_scores,
                               size_t six, int has_types, size_t yix, bbuf *arena, char *err,
                               size_t errlen)
{
    char q[QUOTE_BUF];
    size_t cap = slots_for(v->n);
    v->tslots = calloc(cap, sizeof *v->tslots);
    v->toks = calloc(v->n, sizeof *v->toks);
    if (!v->tslots || !v->toks)
        return nomem(err, errlen);
    v->tmask = cap - 1;
    for (uint32_t id = 0; id < v->n; id++) {
        const char *s;
        size_t len;
        char empty[32];
        if (tlpu_gguf_kv_str(g, tix, id, &s, &len) != TLPU_OK) {
            set_err(err, errlen, "tokenizer.ggml.tokens: cannot read token %u", id);
            return TLPU_ERR_FORMAT;
        }
        if (len == 0) { /* llama.cpp: "empty token at index", renamed */
            len = (size_t)snprintf(empty, sizeof empty, "[EMPTY_%u]", id);
            s = empty;
        }
        tok *t = &v->toks[id];
        t->text = arena->n;
        t->text_len = len;
        if (bbuf_put(arena, s, len))
            return nomem(err, errlen);
        if (has_scores) {
            double d;
            if (tlpu_gguf_kv_float(g, six, id, &d) != TLPU_OK) {
                set_err(err, errlen, "tokenizer.ggml.scores: cannot read score %u", id);
                return TLPU_ERR_FORMAT;
            }
            t->score = (float)d;
        }
        t->attr = A_NORMAL;
        if (has_types) {
            int64_t ty;
            if (tlpu_gguf_kv_int(g, yix, id, &ty) != TLPU_OK) {
                set_err(err, errlen, "tokenizer.ggml.token_type: cannot read type %u", id);
                return TLPU_ERR_FORMAT;
            }
            t->attr = attr_of_type(ty);
        }
        v->arena = arena->p;
        size_t i = (size_t)hash_bytes(s, len, HASH_SEED) & v->tmask;
        while (v->tslots[i]) {
            const tok *o = &v->toks[v->tslots[i] - 1];
            if (o->text_len == len && memcmp(arena->p + o->text, s, len) == 0) {
                /* llama.cpp asserts id_to_token.size() == token_to_id.size() */
                set_err(err, errlen, "tokenizer.ggml.tokens: tokens %u and %u are both '%s'",
                        v->tslots[i] - 1, id, quote(q, s, len));
                return TLPU_ERR_FORMAT;
            }
            i = (i + 1) & v->tmask;
        }
        v->tslots[i] = id + 1;
    }
    return TLPU_OK;
}

static tlpu_status load_merges(tlpu_vocab *v, const tlpu_gguf *g, char *err, size_t errlen,
                               bbuf *arena)
{
    size_t mix;
    tlpu_gguf_vtype et;
    uint64_t count;
    tlpu_status st = tlpu_gguf_get_arr(g, "tokenizer.ggml.merges", &mix, &et, &count);
    if (st == TLPU_ERR_INVALID_ARG) {
        set_err(err, errlen,
                "a \"gpt2\" vocabulary needs tokenizer.ggml.merges; the file has none");
        return TLPU_ERR_FORMAT;
    }
    if (st != TLPU_OK || et != TLPU_GGUF_STR) {
        set_err(err, errlen, "tokenizer.ggml.merges is not an array of strings");
        return TLPU_ERR_FORMAT;
    }
    if (count > INT32_MAX) {
        set_err(err, errlen, "tokenizer.ggml.merges: %llu merges (at most %d)",
                (unsigned long long)count, INT32_MAX);
        return TLPU_ERR_RANGE;
    }
    size_t cap = slots_for((size_t)count);
    v->mslots = calloc(cap, sizeof *v->mslots);
    v->merges = calloc(count ? (size_t)count : 1, sizeof *v->merges);
    if (!v->mslots || !v->merges)
        return nomem(err, errlen);
    v->mmask = cap - 1;
    for (uint32_t r = 0; r < count; r++) {
        const char *s;
        size_t len;
        if (tlpu_gguf_kv_str(g, mix, r, &s, &len) != TLPU_OK) {
            set_err(err, errlen, "tokenizer.ggml.merges: cannot read merge %u", r);
            return TLPU_ERR_FORMAT;
        }
        /* word.find(' ', 1): without one llama.cpp keys the merge ("", ""),
         * which no pair of symbols can look up */
        const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
        if (!sp)
            continue;
        size_t ln = (size_t)(sp - s), rn = len - ln - 1;
        if (find_merge(v, s, ln, sp + 1, rn) >= 0)
            continue; /* bpe_ranks.emplace keeps the first */
        merge *m = &v->merges[v->n_merges];
        m->left = arena->n;
        m->left_len = ln;
        m->right = arena->n + ln + 1;
        m->right_len = rn;
        m->rank = r;
        if (bbuf_put(arena, s, len))
            return nomem(err, errlen);
        v->arena = arena->p;
        size_t i = (size_t)merge_hash(s, ln, sp + 1, rn) & v->mmask;
        while (v->mslots[i])
            i = (i + 1) & v->mmask;
        v->mslots[i] = (uint32_t)(++v->n_merges);
    }
    return TLPU_OK;
}

static tlpu_status load(tlpu_vocab *v, const tlpu_gguf *g, char *err, size_t errlen, bbuf *arena)
{
    char q[QUOTE_BUF];
    const char *s;
    size_t len;
    int present;

    TRY(opt_str(g, "tokenizer.ggml.model", &s, &len, &present, err, errlen));
    if (!present) {
        set_err(err, errlen, "the file has no tokenizer (no tokenizer.ggml.model)");
        return TLPU_ERR_FORMAT;
    }
    if (eq(s, len, "llama")) {
        v->type = VT_SPM;
    } else if (eq(s, len, "gpt2")) {
        v->type = VT_BPE;
    } else {
        set_err(err, errlen,
                "unsupported tokenizer model '%s' (tokenizer.ggml.model): tlpu reads \"llama\" "
                "(SentencePiece) and \"gpt2\" (BPE)",
                quote(q, s, len));
        return TLPU_ERR_UNSUPPORTED;
    }
    v->pre = PRE_DEFAULT;
    if (v->type == VT_BPE) { /* llama.cpp reads the pre-tokenizer for BPE only */
        TRY(opt_str(g, "tokenizer.ggml.pre", &s, &len, &present, err, errlen));
        if (!present || eq(s, len, "default")) {
            v->pre = PRE_DEFAULT;
        } else if (eq(s, len, "llama-bpe") || eq(s, len, "llama3") || eq(s, len, "llama-v3") ||
                   eq(s, len, "falcon3")) {
            v->pre = PRE_LLAMA3;
        } else {
            set_err(err, errlen,
                    "unsupported pre-tokenizer '%s' (tokenizer.ggml.pre): tlpu reads \"default\" "
                    "(or no key) and \"llama-bpe\" (also named \"llama3\", \"llama-v3\", "
                    "\"falcon3\")",
                    quote(q, s, len));
            return TLPU_ERR_UNSUPPORTED;
        }
    }

    size_t tix, six = 0, yix = 0;
    tlpu_gguf_vtype et;
    uint64_t count;
    tlpu_status st = tlpu_gguf_get_arr(g, "tokenizer.ggml.tokens", &tix, &et, &count);
    if (st == TLPU_ERR_INVALID_ARG) {
        set_err(err, errlen, "the file has no tokenizer.ggml.tokens");
        return TLPU_ERR_FORMAT;
    }
    if (st != TLPU_OK || et != TLPU_GGUF_STR) {
        set_err(err, errlen, "tokenizer.ggml.tokens is not an array of strings");
        return TLPU_ERR_FORMAT;
    }
    if (count == 0) {
        set_err(err, errlen, "tokenizer.ggml.tokens is empty");
        return TLPU_ERR_FORMAT;
    }
    if (count > INT32_MAX) {
        set_err(err, errlen, "tokenizer.ggml.tokens: %llu tokens (at most %d)",
                (unsigned long long)count, INT32_MAX);
        return TLPU_ERR_RANGE;
    }
    v->n = (uint32_t)count;
    int has_scores, has_types;
    TRY(opt_parallel(g, "tokenizer.ggml.scores", count, 1, &six, &has_scores, err, errlen));
    TRY(opt_parallel(g, "tokenizer.ggml.token_type", count, 0, &yix, &has_types, err, errlen));
    TRY(load_tokens(v, g, tix, has_scores, six, has_types, yix, arena, err, errlen));
    if (v->type == VT_BPE)
        TRY(load_merges(v, g, err, errlen, arena));
    v->arena = arena->p;

    /* special ids: llama.cpp's defaults, then the keys */
    v->bos = v->eos = v->unk = v->pad = v->eot = v->eom = -1;
    int32_t fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;
    if (v->type == VT_SPM) {
        v->bos = 1;
        v->eos = 2;
        v->unk = 0;
        v->add_bos = 1;
        v->add_space_prefix = 1;
    } else {
        v->bos = v->eos = 11;
        v->clean_spaces = 1;
        if (v->pre == PRE_LLAMA3) {
            v->ignore_merges = 1;
            v->add_bos = 1;
        }
    }
    if (v->bos >= (int32_t)v->n) /* tlpu: a default past the vocabulary is no token */
        v->bos = -1;
    if (v->eos >= (int32_t)v->n)
        v->eos = -1;
    if (v->unk >= (int32_t)v->n)
        v->unk = -1;
    static const struct {
        const char *key;
        size_t off; /* into the ids below */
    } k_ids[] = {
        {"tokenizer.ggml.bos_token_id", 0},     {"tokenizer.ggml.eos_token_id", 1},
        {"tokenizer.ggml.eot_token_id", 2},     {"tokenizer.ggml.eom_token_id", 3},
        {"tokenizer.ggml.unknown_token_id", 4}, {"tokenizer.ggml.padding_token_id", 5},
        {"tokenizer.ggml.fim_pre_token_id", 6}, {"tokenizer.ggml.fim_suf_token_id", 7},
        {"tokenizer.ggml.fim_mid_token_id", 8}, {"tokenizer.ggml.fim_pad_token_id", 9},
        {"tokenizer.ggml.fim_rep_token_id", 10}, {"tokenizer.ggml.fim_sep_token_id", 11},
    };
    int32_t *ids[] = {&v->bos, &v->eos, &v->eot, &v->eom, &v->unk, &v->pad,
                      &fim_pre, &fim_suf, &fim_mid, &fim_pad, &fim_rep, &fim_sep};
    for (size_t i = 0; i < sizeof k_ids / sizeof k_ids[0]; i++)
        TRY(opt_id(g, k_ids[i].key, v->n, ids[k_ids[i].off], err, errlen));
    TRY(opt_bool(g, "tokenizer.ggml.add_bos_token", &v->add_bos, err, errlen));
    TRY(opt_bool(g, "tokenizer.ggml.add_eos_token", &v->add_eos, err, errlen));
    TRY(opt_bool(g, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix, err, errlen));

    /* special tokens by text, and the end-of-generation set */
    detect(v, &v->eot, k_eot_texts);
    detect(v, &v->eom, k_eom_texts);
    detect(v, &fim_pre, k_fim_pre_texts);
    detect(v, &fim_suf, k_fim_suf_texts);
    detect(v, &fim_mid, k_fim_mid_texts);
    detect(v, &fim_pad, k_fim_pad_texts);
    detect(v, &fim_rep, k_fim_rep_texts);
    detect(v, &fim_sep, k_fim_sep_texts);
    for (const char *const *t = k_eog_texts; *t; t++) {
        int32_t id = find_token(v, *t, strlen(*t));
        if (id >= 0) {
            v->toks[id].eog = 1;
            make_control(v, id);
        }
    }
    int32_t eog_ids[] = {v->eos, v->eot, v->eom, fim_pad, fim_rep, fim_sep};
    for (size_t i = 0; i < sizeof eog_ids / sizeof eog_ids[0]; i++)
        if (eog_ids[i] >= 0)
            v->toks[eog_ids[i]].eog = 1;

    /* control, user-defined and unknown tokens, longest first */
    v->special = malloc(v->n * sizeof *v->special);
    if (!v->special)
        return nomem(err, errlen);
    for (uint32_t id = 0; id < v->n; id++)
        if (v->toks[id].attr & (A_CONTROL | A_USER_DEFINED | A_UNKNOWN))
            v->special[v->n_special++] = (int32_t)id;
    if (sort_special(v, v->special, v->n_special))
        return nomem(err, errlen);

    /* SPM byte fallback: "<0xXX>", else the byte itself as a token */
    for (int b = 0; b < 256; b++) {
        char hexname[7], raw = (char)b;
        snprintf(hexname, sizeof hexname, "<0x%02X>", b);
        int32_t id = find_token(v, hexname, 6);
        v->byte_tok[b] = id >= 0 ? id : find_token(v, &raw, 1);
    }

    /* every token's piece (with special), after the attributes are final */
    bbuf pieces = {0};
    for (uint32_t id = 0; id < v->n; id++) {
        v->toks[id].piece = pieces.n;
        if (make_piece(v, (int32_t)id, &pieces)) {
            free(pieces.p);
            return nomem(err, errlen);
        }
        v->toks[id].piece_len = pieces.n - v->toks[id].piece;
    }
    size_t base = arena->n;
    int fail = bbuf_put(arena, pieces.p, pieces.n);
    free(pieces.p);
    if (fail)
        return nomem(err, errlen);
    for (uint32_t id = 0; id < v->n; id++)
        v->toks[id].piece += base;
    v->arena = arena->p;
    return TLPU_OK;
}

tlpu_status tlpu_vocab_from_gguf(const tlpu_gguf *g, tlpu_vocab **out, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!g || !out) {
        set_err(err, errlen, "tlpu_vocab_from_gguf: %s is NULL", !g ? "the file" : "out");
        return TLPU_ERR_INVALID_ARG;
    }
    tlpu_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return nomem(err, errlen);
    bbuf arena = {0};
    tlpu_status st = load(v, g, err, errlen, &arena);
    v->arena = arena.p;
    if (st != TLPU_OK) {
        tlpu_vocab_free(v);
        return st;
    }
    set_err(err, errlen, "%s", "");
    *out = v;
    return TLPU_OK;
}

void tlpu_vocab_free(tlpu_vocab *v)
{
    if (!v)
        return;
    free(v->toks);
    free(v->arena);
    free(v->tslots);
    free(v->merges);
    free(v->mslots);
    free(v->special);
    free(v);
}

uint32_t tlpu_vocab_size(const tlpu_vocab *v) { return v ? v->n : 0; }

const char *tlpu_vocab_model(const tlpu_vocab *v)
{
    return !v ? NULL : v->type == VT_SPM ? "llama" : "gpt2";
}

const char *tlpu_vocab_pre(const tlpu_vocab *v)
{
    return !v ? NULL : v->pre == PRE_LLAMA3 ? "llama-bpe" : "default";
}

int32_t tlpu_vocab_bos(const tlpu_vocab *v) { return v ? v->bos : -1; }
int32_t tlpu_vocab_eos(const tlpu_vocab *v) { return v ? v->eos : -1; }
int tlpu_vocab_add_bos(const tlpu_vocab *v) { return v ? v->add_bos : 0; }
int tlpu_vocab_add_eos(const tlpu_vocab *v) { return v ? v->add_eos : 0; }

int tlpu_vocab_is_eog(const tlpu_vocab *v, int32_t id)
{
    return v && id >= 0 && (uint32_t)id < v->n && v->toks[id].eog;
}

int tlpu_vocab_is_control(const tlpu_vocab *v, int32_t id)
{
    return v && id >= 0 && (uint32_t)id < v->n && (v->toks[id].attr & A_CONTROL) != 0;
}

/* ---- special tokens in the text (tokenizer_st_partition) ------------------------------------ */

/* A fragment: raw text [off, off + len) of the input, or a token. */
typedef struct frag {
    int32_t id; /* -1: raw text */
    size_t off, len;
} frag;

typedef struct fvec {
    frag *v;
    size_t n, cap;
} fvec;

static int fvec_push(fvec *a, int32_t id, size_t off, size_t len)
{
    void *p = grow(a->v, &a->cap, a->n, sizeof *a->v, 16);
    if (!p)
        return -1;
    a->v = p;
    a->v[a->n].id = id;
    a->v[a->n].off = off;
    a->v[a->n].len = len;
    a->n++;
    return 0;
}

/* The first occurrence of p[0..m) in s[from, to), or SIZE_MAX. */
static size_t find_in(const char *s, size_t from, size_t to, const char *p, size_t m)
{
    if (m == 0 || to < from || to - from < m)
        return SIZE_MAX;
    const char *at = s + from, *last = s + to - m;
    while (at <= last) {
        const char *c = memchr(at, (unsigned char)p[0], (size_t)(last - at) + 1);
        if (!c)
            return SIZE_MAX;
        if (memcmp(c, p, m) == 0)
            return (size_t)(c - s);
        at = c + 1;
    }
    return SIZE_MAX;
}

/*
 * Cuts the raw fragments at every occurrence of each special token in turn
 * (longest first): leftmost, non-overlapping, as llama.cpp does. Control and
 * unknown tokens only with parse_special. (No token of the vocabularies
 * read here has llama.cpp's LSTRIP/RSTRIP attributes.)
 */
static int partition(const tlpu_vocab *v, const char *text, size_t len, int parse_special,
                     fvec *frags)
{
    fvec other = {0};
    if (len && fvec_push(frags, -1, 0, len))
        return -1;
    for (size_t k = 0; k < v->n_special && frags->n; k++) {
        int32_t id = v->special[k];
        const tok *t = &v->toks[id];
        if (!parse_special && (t->attr & (A_CONTROL | A_UNKNOWN)))
            continue;
        const char *pat = tok_text(v, id);
        other.n = 0;
        for (size_t f = 0; f < frags->n; f++) {
            frag fr = frags->v[f];
            if (fr.id >= 0) {
                if (fvec_push(&other, fr.id, 0, 0))
                    goto nomem;
                continue;
            }
            size_t pos = fr.off, end = fr.off + fr.len;
            for (;;) {
                size_t m = find_in(text, pos, end, pat, t->text_len);
                if (m == SIZE_MAX) {
                    if (end > pos && fvec_push(&other, -1, pos, end - pos))
                        goto nomem;
                    break;
                }
                if (m > pos && fvec_push(&other, -1, pos, m - pos))
                    goto nomem;
                if (fvec_push(&other, id, 0, 0))
                    goto nomem;
                pos = m + t->text_len;
            }
        }
        fvec tmp = *frags;
        *frags = other;
        other = tmp;
    }
    free(other.v);
    return 0;
nomem:
    free(other.v);
    return -1;
}

/* ---- SPM ------------------------------------------------------------------------------------ */

typedef struct sym {
    size_t start, n; /* bytes of the word */
    int prev, next;
} sym;

/* A pair of adjacent symbols waiting to merge: the smallest key first, then
 * the leftmost (SPM: key = -score; BPE: key = rank). */
typedef struct bigram {
    double key;
    int left, right;
    size_t size;
} bigram;

typedef struct heap {
    bigram *v;
    size_t n, cap;
} heap;

static int bg_before(const bigram *a, const bigram *b)
{
    return a->key < b->key || (a->key == b->key && a->left < b->left);
}

static int heap_push(heap *h, bigram b)
{
    void *p = grow(h->v, &h->cap, h->n, sizeof *h->v, 64);
    if (!p)
        return -1;
    h->v = p;
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!bg_before(&b, &h->v[up]))
            break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = b;
    return 0;
}

static bigram heap_pop(heap *h)
{
    bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && bg_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!bg_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* Scratch space one tokenize call reuses. */
typedef struct work {
    sym *syms;
    size_t n_syms, cap_syms;
    heap h;
    bbuf word;   /* SPM: the escaped text; BPE: one encoded word */
    uint32_t *cpt;
    uint8_t *fl;
    size_t cap_cpt;
    svec a, b;   /* piece lengths, in code points */
} work;

static void work_free(work *w)
{
    free(w->syms);
    free(w->h.v);
    free(w->word.p);
    free(w->cpt);
    free(w->fl);
    free(w->a.v);
    free(w->b.v);
}

/* One symbol per UTF-8 character of s[0..n) (lead-byte lengths, cut at the end). */
static int make_syms(work *w, const char *s, size_t n)
{
    if (n > w->cap_syms) {
        sym *p = realloc(w->syms, n * sizeof *p);
        if (!p)
            return -1;
        w->syms = p;
        w->cap_syms = n;
    }
    w->n_syms = 0;
    for (size_t off = 0; off < n;) {
        size_t l = utf8_len((unsigned char)s[off]);
        if (l > n - off)
            l = n - off;
        sym *y = &w->syms[w->n_syms];
        y->start = off;
        y->n = l;
        y->prev = (int)w->n_syms - 1;
        off += l;
        y->next = off == n ? -1 : (int)w->n_syms + 1;
        w->n_syms++;
    }
    return 0;
}

/*
 * The merge loop both tokenizers share (llama.cpp's SPM and BPE sessions):
 * s[0..n) as symbols, every adjacent pair offered to try_bigram (which
 * queues it if the vocabulary has it), then the best queued pair merged
 * until none is left. -1 when out of memory.
 */
typedef int (*try_bigram_fn)(const tlpu_vocab *v, work *w, const char *s, int left, int right);

static int merge_syms(const tlpu_vocab *v, work *w, const char *s, size_t n,
                      try_bigram_fn try_bigram)
{
    if (make_syms(w, s, n))
        return -1;
    w->h.n = 0;
    for (size_t i = 1; i < w->n_syms; i++)
        if (try_bigram(v, w, s, (int)i - 1, (int)i))
            return -1;
    while (w->h.n) {
        bigram b = heap_pop(&w->h);
        sym *l = &w->syms[b.left], *r = &w->syms[b.right];
        /* a stale entry: one side merged away since. llama.cpp compares
         * the texts; with both alive and adjacent, equal lengths mean equal
         * texts */
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            w->syms[r->next].prev = b.left;
        if (try_bigram(v, w, s, l->prev, b.left) || try_bigram(v, w, s, b.left, l->next))
            return -1;
    }
    return 0;
}

static int spm_try_bigram(const tlpu_vocab *v, work *w, const char *s, int left, int right)
{
    if (left < 0 || right < 0)
        return 0;
    size_t size = w->syms[left].n + w->syms[right].n;
    int32_t id = find_token(v, s + w->syms[left].start, size);
    if (id < 0)
        return 0;
    bigram b = {-(double)v->toks[id].score, left, right, size};
    return heap_push(&w->h, b);
}

/* llm_tokenizer_spm_session::tokenize on s[0..n) (already escaped). */
static tlpu_status spm_session(const tlpu_vocab *v, work *w, const char *s, size_t n, ivec *out)
{
    if (n > INT32_MAX / 2)
        return TLPU_ERR_NOMEM;
    if (merge_syms(v, w, s, n, spm_try_bigram))
        return TLPU_ERR_NOMEM;
    for (int i = w->n_syms ? 0 : -1; i != -1; i = w->syms[i].next) {
        const sym *y = &w->syms[i];
        int32_t id = find_token(v, s + y->start, y->n);
        if (id >= 0) {
            if (ivec_push(out, id))
                return TLPU_ERR_NOMEM;
            continue;
        }
        /* resegment: the text of a symbol that is not a token never is a
         * merge (merges only make tokens), so its bytes are byte tokens */
        for (size_t j = 0; j < y->n; j++) {
            int32_t bt = v->byte_tok[(unsigned char)s[y->start + j]];
            if (bt < 0)
                return TLPU_ERR_UNSUPPORTED; /* llama.cpp: token_to_id.at() throws */
            if (ivec_push(out, bt))
                return TLPU_ERR_NOMEM;
        }
    }
    return TLPU_OK;
}

/* A raw fragment: the space prefix, spaces as U+2581, then the session. */
static tlpu_status spm_fragment(const tlpu_vocab *v, work *w, const char *text, size_t len,
                                int prefix, ivec *out)
{
    w->word.n = 0;
    if (prefix && bbuf_put(&w->word, LB, 3))
        return TLPU_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        int fail = text[i] == ' ' ? bbuf_put(&w->word, LB, 3) : bbuf_put(&w->word, text + i, 1);
        if (fail)
            return TLPU_ERR_NOMEM;
    }
    return spm_session(v, w, w->word.p, w->word.n, out);
}

/* ---- BPE pre-tokenizers --------------------------------------------------------------------- */

/* Per code point: */
#define F_VALID 0x01u  /* in the piece (llama.cpp's flags are never 0 there) */
#define F_LETTER 0x02u /* \p{L} */
#define F_NUMBER 0x04u /* \p{N} */
#define F_WHITE 0x08u  /* \s (White_Space) */
#define F_PUNCT 0x10u  /* in [\p{P}\$\+<=>\^~\|] as the collapsed std::regex sees it */
#define F_DIGITS 0x20u /* in \p{N} as the collapsed std::regex sees it */
#define F_ASCII_DIGIT 0x40u

static uint8_t cpt_flags(uint32_t c)
{
    unsigned cls = uclass(c);
    uint8_t f = F_VALID;
    int white = uwhite(c);
    if (cls == TLPU_UCLASS_LETTER)
        f |= F_LETTER;
    if (cls == TLPU_UCLASS_NUMBER)
        f |= F_NUMBER;
    if (white)
        f |= F_WHITE;
    /* llama.cpp's unicode_regex_split: a regex with \p{..} runs on a
     * "collapsed" text where ASCII stays itself and every other code point
     * becomes one byte: whitespace 0x0B, then N 0xD1, L 0xD2, P 0xD3, other
     * 0xD0; \p{P} becomes 0xD3 plus the ASCII set !-#%-*,-/:-;?-@[-]_{}. */
    if (c < 0x80) {
        if (c >= '0' && c <= '9')
            f |= F_DIGITS | F_ASCII_DIGIT;
        if ((c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x5F) ||
            (c >= 0x7B && c <= 0x7E))
            f |= F_PUNCT; /* with \$ \+ < = > \^ ~ \| added: all but ` */
    } else if (!white) {
        if (cls == TLPU_UCLASS_PUNCTUATION)
            f |= F_PUNCT;
        if (cls == TLPU_UCLASS_NUMBER)
            f |= F_DIGITS;
    }
    return f;
}

/* The code points of one fragment and their flags. */
typedef struct utext {
    const uint32_t *cpt;
    const uint8_t *fl;
    size_t n;
} utext;

/* Cuts each piece into maximal runs of code points with and without flag
 * `bit`: what std::regex_iterator does with "[class]+", keeping the text
 * between matches as pieces. */
static int split_runs(const utext *t, uint8_t bit, const svec *in, svec *out)
{
    size_t start = 0;
    out->n = 0;
    for (size_t k = 0; k < in->n; k++) {
        size_t end = start + in->v[k];
        for (size_t s = start; s < end;) {
            uint8_t m = t->fl[s] & bit;
            size_t e = s + 1;
            while (e < end && (t->fl[e] & bit) == m)
                e++;
            if (svec_push(out, e - s))
                return -1;
            s = e;
        }
        start = end;
    }
    return 0;
}

/* [0-9][0-9][0-9]: leftmost groups of three ASCII digits. */
static int split_digit3(const utext *t, const svec *in, svec *out)
{
    size_t start = 0;
    out->n = 0;
    for (size_t k = 0; k < in->n; k++) {
        size_t end = start + in->v[k], s = start, p = start;
        while (end - p >= 3) {
            if ((t->fl[p] & t->fl[p + 1] & t->fl[p + 2]) & F_ASCII_DIGIT) {
                if ((p > s && svec_push(out, p - s)) || svec_push(out, 3))
                    return -1;
                p += 3;
                s = p;
            } else {
                p++;
            }
        }
        if (end > s && svec_push(out, end - s))
            return -1;
        start = end;
    }
    return 0;
}

/* The state both hand-written splitters share for one piece [ini, end). */
typedef struct splitter {
    const utext *t;
    size_t ini, end, prev_end;
    svec *out;
    int fail;
} splitter;

static uint32_t sp_cpt(const splitter *s, size_t pos)
{
    return pos >= s->ini && pos < s->end ? s->t->cpt[pos] : OUT_OF_RANGE;
}

static uint8_t sp_fl(const splitter *s, size_t pos)
{
    return pos >= s->ini && pos < s->end ? s->t->fl[pos] : 0;
}

/* _add_token: ends a piece at `end` (empty ones are dropped); its length. */
static size_t sp_add(splitter *s, size_t end)
{
    size_t len = end - s->prev_end;
    if (len > 0 && svec_push(s->out, len))
        s->fail = 1;
    s->prev_end = end;
    return len;
}

#define NOT_WLN(f) (!((f) & (F_WHITE | F_LETTER | F_NUMBER)) && ((f) & F_VALID))

/*
 * llama.cpp's unicode_regex_split_custom_gpt2, the regex
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 */
static int split_gpt2(const utext *t, const svec *in, svec *out)
{
    splitter sp = {t, 0, 0, 0, out, 0};
    size_t start = 0;
    out->n = 0;
    for (size_t k = 0; k < in->n && !sp.fail; k++) {
        sp.ini = sp.prev_end = start;
        sp.end = start + in->v[k];
        start = sp.end;
        for (size_t pos = sp.ini; pos < sp.end && !sp.fail;) {
            uint32_t cpt = sp_cpt(&sp, pos);
            uint8_t f = sp_fl(&sp, pos);
            /* 's|'t|'re|'ve|'m|'ll|'d */
            if (cpt == '\'' && pos + 1 < sp.end) {
                uint32_t nx = sp_cpt(&sp, pos + 1);
                if (nx == 's' || nx == 't' || nx == 'm' || nx == 'd') {
                    pos += sp_add(&sp, pos + 2);
                    continue;
                }
                if (pos + 2 < sp.end) {
                    uint32_t nn = sp_cpt(&sp, pos + 2);
                    if ((nx == 'r' && nn == 'e') || (nx == 'v' && nn == 'e') ||
                        (nx == 'l' && nn == 'l')) {
                        pos += sp_add(&sp, pos + 3);
                        continue;
                    }
                }
            }
            uint8_t f2 = cpt == ' ' ? sp_fl(&sp, pos + 1) : f;
            /* ' ?\p{L}+', ' ?\p{N}+' */
            if ((f2 & F_LETTER) || (f2 & F_NUMBER)) {
                uint8_t cls = (f2 & F_LETTER) ? F_LETTER : F_NUMBER;
                pos += cpt == ' ';
                while (f2 & cls)
                    f2 = sp_fl(&sp, ++pos);
                sp_add(&sp, pos);
                continue;
            }
            /* ' ?[^\s\p{L}\p{N}]+' */
            if (NOT_WLN(f2)) {
                pos += cpt == ' ';
                while (NOT_WLN(f2))
                    f2 = sp_fl(&sp, ++pos);
                sp_add(&sp, pos);
                continue;
            }
            size_t nw = 0;
            while (sp_fl(&sp, pos + nw) & F_WHITE)
                nw++;
            /* '\s+(?!\S)' */
            if (nw > 1 && sp_cpt(&sp, pos + nw) != OUT_OF_RANGE) {
                pos += nw - 1;
                sp_add(&sp, pos);
                continue;
            }
            /* '\s+' */
            if (nw > 0) {
                pos += nw;
                sp_add(&sp, pos);
                continue;
            }
            sp_add(&sp, ++pos); /* no match */
        }
    }
    return sp.fail ? -1 : 0;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/*
 * llama.cpp's unicode_regex_split_custom_llama3, the Llama-3 regex
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * (unicode_tolower there: no code point but the ASCII capitals lower-cases to
 * s t r e v m l d, which scripts/gen_unicode.py checks.)
 */
static int split_llama3(const utext *t, const svec *in, svec *out)
{
    splitter sp = {t, 0, 0, 0, out, 0};
    size_t start = 0;
    out->n = 0;
    for (size_t k = 0; k < in->n && !sp.fail; k++) {
        sp.ini = sp.prev_end = start;
        sp.end = start + in->v[k];
        start = sp.end;
        for (size_t pos = sp.ini; pos < sp.end && !sp.fail;) {
            uint32_t cpt = sp_cpt(&sp, pos);
            uint8_t f = sp_fl(&sp, pos);
            /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
            if (cpt == '\'' && pos + 1 < sp.end) {
                uint32_t nx = ascii_lower(sp_cpt(&sp, pos + 1));
                if (nx == 's' || nx == 't' || nx == 'm' || nx == 'd') {
                    pos += sp_add(&sp, pos + 2);
                    continue;
                }
                if (pos + 2 < sp.end) {
                    uint32_t nn = ascii_lower(sp_cpt(&sp, pos + 2));
                    if ((nx == 'r' && nn == 'e') || (nx == 'v' && nn == 'e') ||
                        (nx == 'l' && nn == 'l')) {
                        pos += sp_add(&sp, pos + 3);
                        continue;
                    }
                }
            }
            /* [^\r\n\p{L}\p{N}]?\p{L}+ */
            if (!(cpt == '\r' || cpt == '\n' || (f & F_NUMBER))) {
                if ((f & F_LETTER) || (sp_fl(&sp, pos + 1) & F_LETTER)) {
                    pos++;
                    while (sp_fl(&sp, pos) & F_LETTER)
                        pos++;
                    sp_add(&sp, pos);
                    continue;
                }
            }
            /* \p{N}{1,3} */
            if (f & F_NUMBER) {
                size_t ini = pos;
                while (sp_fl(&sp, pos) & F_NUMBER) {
                    if (++pos - ini >= 3) {
                        sp_add(&sp, pos);
                        ini = pos;
                    }
                }
                sp_add(&sp, pos);
                continue;
            }
            /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
            uint8_t f2 = cpt == ' ' ? sp_fl(&sp, pos + 1) : f;
            if (!(f2 & (F_WHITE | F_LETTER | F_NUMBER)) && (f & F_VALID)) {
                pos += cpt == ' ';
                while (NOT_WLN(f2))
                    f2 = sp_fl(&sp, ++pos);
                uint32_t c2 = sp_cpt(&sp, pos);
                while (c2 == '\r' || c2 == '\n')
                    c2 = sp_cpt(&sp, ++pos);
                sp_add(&sp, pos);
                continue;
            }
            size_t nw = 0, last_rn = 0;
            while (sp_fl(&sp, pos + nw) & F_WHITE) {
                uint32_t c2 = sp_cpt(&sp, pos + nw);
                if (c2 == '\r' || c2 == '\n')
                    last_rn = pos + nw + 1;
                nw++;
            }
            /* \s*[\r\n]+ */
            if (last_rn > 0) {
                pos = last_rn;
                sp_add(&sp, pos);
                continue;
            }
            /* \s+(?!\S) */
            if (nw > 1 && sp_cpt(&sp, pos + nw) != OUT_OF_RANGE) {
                pos += nw - 1;
                sp_add(&sp, pos);
                continue;
            }
            /* \s+ */
            if (nw > 0) {
                pos += nw;
                sp_add(&sp, pos);
                continue;
            }
            sp_add(&sp, ++pos); /* no match */
        }
    }
    return sp.fail ? -1 : 0;
}

/* ---- BPE ------------------------------------------------------------------------------------ */

static int bpe_try_bigram(const tlpu_vocab *v, work *w, const char *s, int left, int right)
{
    if (left < 0 || right < 0)
        return 0;
    const sym *l = &w->syms[left], *r = &w->syms[right];
    int64_t rank = find_merge(v, s + l->start, l->n, s + r->start, r->n);
    if (rank < 0)
        return 0;
    bigram b = {(double)rank, left, right, l->n + r->n};
    return heap_push(&w->h, b);
}

/* One encoded word: merges by rank, then its symbols as tokens. */
static tlpu_status bpe_word(const tlpu_vocab *v, work *w, const char *s, size_t n, ivec *out)
{
    if (n > INT32_MAX / 2)
        return TLPU_ERR_NOMEM;
    int32_t whole = v->ignore_merges ? find_token(v, s, n) : -1;
    if (whole >= 0)
        return ivec_push(out, whole) ? TLPU_ERR_NOMEM : TLPU_OK;
    if (merge_syms(v, w, s, n, bpe_try_bigram))
        return TLPU_ERR_NOMEM;
    for (size_t i = 0; i < w->n_syms; i++) {
        const sym *y = &w->syms[i];
        if (y->n == 0)
            continue;
        int32_t id = find_token(v, s + y->start, y->n);
        if (id >= 0) {
            if (ivec_push(out, id))
                return TLPU_ERR_NOMEM;
            continue;
        }
        /* each byte as a one-byte token, those that exist */
        for (size_t j = 0; j < y->n; j++) {
            int32_t bt = find_token(v, s + y->start + j, 1);
            if (bt >= 0 && ivec_push(out, bt))
                return TLPU_ERR_NOMEM;
        }
    }
    return TLPU_OK;
}

/* A raw fragment: code points, the pre-tokenizer, each word's bytes mapped,
 * BPE. */
static tlpu_status bpe_fragment(const tlpu_vocab *v, work *w, const char *text, size_t len,
                                ivec *out)
{
    const unsigned char *s = (const unsigned char *)text;
    if (len > w->cap_cpt) {
        uint32_t *c = realloc(w->cpt, len * sizeof *c);
        if (c)
            w->cpt = c;
        uint8_t *f = realloc(w->fl, len);
        if (f)
            w->fl = f;
        if (!c || !f)
            return TLPU_ERR_NOMEM;
        w->cap_cpt = len;
    }
    size_t m = 0;
    for (size_t i = 0; i < len;) {
        w->cpt[m] = utf8_decode(s, len, &i);
        if (w->cpt[m] > 0x10FFFF)
            return TLPU_ERR_FORMAT; /* llama.cpp: unicode_cpt_to_utf8 throws */
        w->fl[m] = cpt_flags(w->cpt[m]);
        m++;
    }
    utext t = {w->cpt, w->fl, m};
    svec *cur = &w->a, *nxt = &w->b, *sw;
    cur->n = 0;
    if (svec_push(cur, m))
        return TLPU_ERR_NOMEM;
    if (v->pre == PRE_LLAMA3) {
        if (split_llama3(&t, cur, nxt))
            return TLPU_ERR_NOMEM;
        sw = cur, cur = nxt, nxt = sw;
    } else {
        if (split_runs(&t, F_PUNCT, cur, nxt) || split_gpt2(&t, nxt, cur) ||
            split_runs(&t, F_DIGITS, cur, nxt) || split_digit3(&t, nxt, cur))
            return TLPU_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t k = 0; k < cur->n; k++) {
        w->word.n = 0;
        for (size_t c = at; c < at + cur->v[k]; c++) {
            unsigned char u[4];
            size_t ul = utf8_encode(w->cpt[c], u);
            for (size_t j = 0; j < ul; j++) {
                unsigned char e[2];
                size_t el = utf8_encode(gpt2_byte_cpt(u[j]), e);
                if (bbuf_put(&w->word, e, el))
                    return TLPU_ERR_NOMEM;
            }
        }
        at += cur->v[k];
        tlpu_status st = bpe_word(v, w, w->word.p, w->word.n, out);
        if (st != TLPU_OK)
            return st;
    }
    return TLPU_OK;
}

/* ---- the API -------------------------------------------------------------------------------- */

static tlpu_status tokenize(const tlpu_vocab *v, const char *text, size_t len, int add_special,
                            int parse_special, ivec *ids)
{
    int bos = add_special && v->add_bos, eos = add_special && v->add_eos;
    if ((bos && v->bos < 0) || (eos && v->eos < 0))
        return TLPU_ERR_UNSUPPORTED; /* llama.cpp asserts */
    fvec frags = {0};
    work w = {0};
    tlpu_status st = TLPU_OK;
    if (partition(v, text, len, parse_special, &frags)) {
        st = TLPU_ERR_NOMEM;
        goto done;
    }
    if (bos && ivec_push(ids, v->bos)) {
        st = TLPU_ERR_NOMEM;
        goto done;
    }
    int prev_special = 1; /* SPM: a space prefix at the start and after a token */
    for (size_t f = 0; f < frags.n && st == TLPU_OK; f++) {
        const frag *fr = &frags.v[f];
        if (fr->id >= 0) {
            st = ivec_push(ids, fr->id) ? TLPU_ERR_NOMEM : TLPU_OK;
            prev_special = 1;
        } else if (v->type == VT_SPM) {
            st = spm_fragment(v, &w, text + fr->off, fr->len, v->add_space_prefix && prev_special,
                              ids);
            prev_special = 0;
        } else {
            st = bpe_fragment(v, &w, text + fr->off, fr->len, ids);
        }
    }
    if (st == TLPU_OK && eos && ivec_push(ids, v->eos))
        st = TLPU_ERR_NOMEM;
done:
    free(frags.v);
    work_free(&w);
    return st;
}

tlpu_status tlpu_tokenize(const tlpu_vocab *v, const char *text, size_t len, int add_special,
                          int parse_special, int32_t *out, size_t cap, size_t *n)
{
    if (!v || !n || (!text && len) || (!out && cap))
        return TLPU_ERR_INVALID_ARG;
    ivec ids = {0};
    tlpu_status st = tokenize(v, text, len, add_special, parse_special, &ids);
    if (st == TLPU_OK) {
        *n = ids.n;
        if (ids.n > cap)
            st = TLPU_ERR_BUFFER_SIZE;
        else if (ids.n)
            memcpy(out, ids.v, ids.n * sizeof *out);
    }
    free(ids.v);
    return st;
}

tlpu_status tlpu_token_piece(const tlpu_vocab *v, int32_t id, int special, char *buf, size_t cap,
                             size_t *len)
{
    if (!v || !len || (!buf && cap))
        return TLPU_ERR_INVALID_ARG;
    if (id < 0 || (uint32_t)id >= v->n)
        return TLPU_ERR_RANGE;
    const tok *t = &v->toks[id];
    size_t n = (!special && (t->attr & (A_UNKNOWN | A_CONTROL))) ? 0 : t->piece_len;
    *len = n;
    if (n > cap)
        return TLPU_ERR_BUFFER_SIZE;
    if (n)
        memcpy(buf, v->arena + t->piece, n);
    return TLPU_OK;
}

/* llama.cpp's clean_up_tokenization for BPE: three passes in place. */
static size_t clean_spaces(char *text, size_t total)
{
    /* " ?", " !", " .", " ," lose the space */
    size_t total1 = total;
    total = total ? 1 : 0;
    for (size_t i = 1; i < total1; ++i) {
        char x = text[i];
        if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
            total--;
        text[total++] = x;
    }
    /* " ' " becomes "'" */
    size_t total2 = total;
    total = total ? 1 : 0;
    for (size_t i = 1; i < total2; ++i) {
        char x = text[i];
        if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
            total--;
            text[++i] = '\0';
        }
        text[total++] = x;
    }
    /* " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it) */
    size_t total3 = total;
    total = total ? 1 : 0;
    for (size_t i = 1; i < total3; ++i) {
        char x = text[i];
        if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
            char x1 = text[i + 1];
            if (x1 == 's' || x1 == 'm')
                total--;
            else if (x1 != 't' && x1 != 'd' && i + 2 < total3) {
                char x2 = text[i + 2];
                if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'))
                    total--;
            }
        }
        text[total++] = x;
    }
    return total;
}

tlpu_status tlpu_detokenize(const tlpu_vocab *v, const int32_t *ids, size_t n, int remove_special,
                            int unparse_special, char *buf, size_t cap, size_t *len)
{
    if (!v || !len || (!ids && n) || (!buf && cap))
        return TLPU_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (uint32_t)ids[i] >= v->n)
            return TLPU_ERR_RANGE;
    int remove_space = v->add_space_prefix;
    if (remove_special && v->add_bos && n > 0 && ids[0] == v->bos) {
        remove_space = 0;
        ids++;
        n--;
    }
    if (remove_special && v->add_eos && n > 0 && ids[n - 1] == v->eos)
        n--;
    bbuf text = {0};
    for (size_t i = 0; i < n; i++) {
        const tok *t = &v->toks[ids[i]];
        if (!unparse_special && (t->attr & (A_UNKNOWN | A_CONTROL))) {
            remove_space = 0;
            continue;
        }
        const char *p = v->arena + t->piece;
        size_t pn = t->piece_len;
        if (remove_space && pn && *p == ' ') { /* lstrip 1 */
            p++;
            pn--;
        }
        remove_space = 0;
        if (bbuf_put(&text, p, pn)) {
            free(text.p);
            return TLPU_ERR_NOMEM;
        }
    }
    size_t total = text.n;
    if (v->clean_spaces && total)
        total = clean_spaces(text.p, total);
    *len = total;
    tlpu_status st = TLPU_OK;
    if (total > cap)
        st = TLPU_ERR_BUFFER_SIZE;
    else if (total)
        memcpy(buf, text.p, total);
    free(text.p);
    return st;
}
