/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/tokenizer.h - the tokenizer of a GGUF model, read from its
 * tokenizer.ggml.* metadata, giving the ids llama.cpp / bitnet.cpp give.
 * docs/tokenizer.md describes the algorithms and every rule followed.
 *
 * Vocabulary types (tokenizer.ggml.model):
 *   "llama" - SentencePiece-style (llama.cpp's SPM): pieces merged by score,
 *             a space prefix, spaces as U+2581, byte fallback (<0xXX>);
 *             upstream llama.cpp's behaviour (tests/data/models).
 *   "gpt2"  - byte-level BPE with tokenizer.ggml.merges; pre-tokenizer by
 *             tokenizer.ggml.pre: "default" (also when the key is absent, as
 *             in the official BitNet b1.58 2B4T file) or "llama-bpe" (Llama 3;
 *             also its aliases "llama3", "llama-v3", "falcon3"); bitnet.cpp's
 *             llama.cpp fork's behaviour (tests/data/models-b158).
 * Any other model or pre-tokenizer name is TLPU_ERR_UNSUPPORTED, named in
 * the message. (For "llama" vocabularies the pre key is not used, as in
 * llama.cpp.)
 *
 * A vocabulary copies what it needs: the GGUF handle may be closed after
 * tlpu_vocab_from_gguf(). It is never modified afterwards, so any number of
 * threads may use one at once.
 *
 * Token ids are int32_t in [0, tlpu_vocab_size()). Texts are bytes (any
 * bytes, NUL included) with explicit lengths; outputs are not
 * NUL-terminated.
 */
#ifndef TLPU_TOKENIZER_H
#define TLPU_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/gguf.h"
#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tlpu_vocab tlpu_vocab;

/*
 * Reads the tokenizer of `g`. Keys: tokenizer.ggml.model, .pre, .tokens
 * (required), .scores, .token_type, .merges (required for "gpt2"),
 * .bos/.eos/.unknown/.padding/.eot/.eom_token_id, .add_bos_token,
 * .add_eos_token, .add_space_prefix. A special-token id past the vocabulary
 * is ignored (the default stays), as llama.cpp does.
 * Errors (message in err, "" on success; err may be NULL / errlen 0):
 *   TLPU_ERR_INVALID_ARG  g or out NULL;
 *   TLPU_ERR_FORMAT       a missing required key, a key of the wrong type,
 *                         arrays of different lengths, no tokens;
 *   TLPU_ERR_UNSUPPORTED  an unknown model or pre-tokenizer name;
 *   TLPU_ERR_RANGE        more than INT32_MAX tokens;
 *   TLPU_ERR_NOMEM.
 * *out is written only on success.
 */
tlpu_status tlpu_vocab_from_gguf(const tlpu_gguf *g, tlpu_vocab **out, char *err, size_t errlen);

/* Frees. NULL is fine. */
void tlpu_vocab_free(tlpu_vocab *v);

uint32_t tlpu_vocab_size(const tlpu_vocab *v);
/* "llama" or "gpt2"; the pre-tokenizer: "default" or "llama-bpe" ("default"
 * for "llama" vocabularies). */
const char *tlpu_vocab_model(const tlpu_vocab *v);
const char *tlpu_vocab_pre(const tlpu_vocab *v);

/* Special ids: -1 when there is none (or v is NULL). */
int32_t tlpu_vocab_bos(const tlpu_vocab *v);
int32_t tlpu_vocab_eos(const tlpu_vocab *v);
/* Whether tokenizing with add_special adds BOS / EOS: tokenizer.ggml.add_bos_token
 * / add_eos_token, else llama.cpp's default (BOS: "llama" yes, "gpt2" only
 * with the llama-bpe pre-tokenizer; EOS: no). 0 for NULL. */
int tlpu_vocab_add_bos(const tlpu_vocab *v);
int tlpu_vocab_add_eos(const tlpu_vocab *v);
/* 1 when id ends generation, as llama.cpp decides: EOS, EOT, EOM (from
 * their keys or, as llama.cpp does, from the texts <|eot_id|>, <|eom_id|>,
 * <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>, <EOT>), and the FIM
 * pad/repo/separator tokens; 0 otherwise (and for ids out of range). */
int tlpu_vocab_is_eog(const tlpu_vocab *v, int32_t id);
/* 1 for a control token (type CONTROL, or made one by the EOG rule), which
 * pieces render only with `special`; 0 otherwise. */
int tlpu_vocab_is_control(const tlpu_vocab *v, int32_t id);

/*
 * text[0..len) -> ids, as llama_tokenize(text, len, add_special,
 * parse_special): add_special adds BOS (and EOS) as tlpu_vocab_add_bos/eos
 * say; parse_special makes control tokens written in the text into their
 * ids (user-defined tokens always are). Invalid UTF-8 is handled as
 * llama.cpp does (SPM: bytes as they are; BPE: each bad byte becomes
 * U+FFFD), except one case where llama.cpp throws: a 4-byte sequence whose
 * value is above U+10FFFF in a "gpt2" vocabulary is TLPU_ERR_FORMAT.
 *
 * *n gets the id count. out may be NULL when cap is 0. When cap < the
 * count: TLPU_ERR_BUFFER_SIZE, *n = the count needed, out untouched.
 * Other errors (nothing written, *n untouched): TLPU_ERR_INVALID_ARG (v, n
 * NULL; text NULL with len > 0; out NULL with cap > 0), TLPU_ERR_UNSUPPORTED
 * (an "llama" vocabulary with no token for a byte that needs the fallback, or
 * add_special with no BOS/EOS id: llama.cpp throws or asserts), TLPU_ERR_NOMEM.
 */
tlpu_status tlpu_tokenize(const tlpu_vocab *v, const char *text, size_t len, int add_special,
                          int parse_special, int32_t *out, size_t cap, size_t *n);

/*
 * One token's text, as llama_token_to_piece(id, lstrip 0, special): control
 * (and unknown) tokens are empty unless `special`; SPM pieces with U+2581
 * as spaces and byte tokens as their byte; BPE pieces through the GPT-2
 * byte map. *len gets the length; buf may be NULL when cap is 0; cap too
 * small: TLPU_ERR_BUFFER_SIZE with *len = the length needed. An id out of
 * range: TLPU_ERR_RANGE.
 */
tlpu_status tlpu_token_piece(const tlpu_vocab *v, int32_t id, int special, char *buf, size_t cap,
                             size_t *len);

/*
 * ids -> text, as llama_detokenize(remove_special, unparse_special):
 * remove_special drops a leading BOS (and a trailing EOS) when the vocabulary
 * adds them; unparse_special renders control tokens; SPM removes the space
 * its prefix added; BPE vocabularies clean up spaces before ? ! . , and
 * some apostrophe contractions as llama.cpp does. *len gets the length;
 * buf may be NULL when cap is 0; cap too small: TLPU_ERR_BUFFER_SIZE with
 * *len = the length needed, buf untouched. An id out of range: TLPU_ERR_RANGE.
 */
tlpu_status tlpu_detokenize(const tlpu_vocab *v, const int32_t *ids, size_t n, int remove_special,
                            int unparse_special, char *buf, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_TOKENIZER_H */
