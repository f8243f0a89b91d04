/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/llm.h - host-side inference of BitNet b1.58 models from GGUF files,
 * with every BitLinear on a tlpu device through the driver (tlpu/tlpu.h).
 * docs/inference.md describes the graphs, the numerics and the contract.
 *
 * Architectures, read from the file (no dimension is fixed here):
 *   - "bitnet": upstream llama.cpp's (SiLU gated FFN);
 *   - "bitnet-b1.58" and its older name "bitnet-25": bitnet.cpp's fork, the
 *     official 2B4T release (squared-ReLU gated FFN).
 * Both: RMSNorm, SubLN before the attention output and the FFN down
 * projection, NEOX RoPE, GQA attention with a KV cache, output tied to
 * token_embd unless the file has output.weight. BitLinear weights TQ1_0,
 * TQ2_0, I2_S, or F16/F32 holding exact trits x scales; their scales per
 * tensor, per row or per 256-block, as the file carries them.
 *
 * Activations (tlpu_act), what reaches the device:
 *   TOKEN - BitNet's per-token absmax int8 (bitnet.cpp's I2_S path; default);
 *   Q8K   - llama.cpp's per-256-block Q8_K (to reproduce llama.cpp);
 *   FLOAT - exact float activations against the trits, on the host only
 *           (the accuracy ceiling; no device).
 * Per-256-block scales (of the weights, or Q8K's of the activations) need
 * the int32 sums of each K block: the device then runs one BitLinear per
 * block (M x 256 x N), and the host combines the partial sums with the
 * scales. One scale per row (the 2B4T case) is one BitLinear over all of K.
 */
#ifndef TLPU_LLM_H
#define TLPU_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"
#include "tlpu/tlpu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tlpu_act { TLPU_ACT_TOKEN = 0, TLPU_ACT_Q8K = 1, TLPU_ACT_FLOAT = 2 } tlpu_act;
typedef enum tlpu_kv_type { TLPU_KV_F32 = 0, TLPU_KV_F16 = 1 } tlpu_kv_type;

/* "token", "q8k", "float" <-> tlpu_act; "f32", "f16" <-> tlpu_kv_type */
const char *tlpu_act_name(tlpu_act a);
tlpu_status tlpu_act_parse(const char *s, tlpu_act *a);
tlpu_status tlpu_kv_parse(const char *s, tlpu_kv_type *k);

typedef struct tlpu_model tlpu_model;
typedef struct tlpu_context tlpu_context;

/* The message of the last failed context, decode or sampler call in this
 * thread (tlpu_model_load writes its own into err). */
const char *tlpu_llm_last_error(void);

typedef struct tlpu_model_params {
    const char *device;  /* driver URI of the device every BitLinear runs on ("ref:", ...) */
    tlpu_act act;
    /* > 0 (TOKEN only): LLM.int8()-style outliers - activation channels whose
     * magnitude exceeds this stay in float on the host (against the same
     * trits); the others go to the device as int8, scaled by their own max */
    float outlier;
    /* host threads for the work outside the BitLinears that is worth
     * splitting (the output projection); 0 or 1: the calling thread only */
    uint32_t threads;
} tlpu_model_params;

/* device "ref:", act TOKEN, no outliers */
void tlpu_model_params_init(tlpu_model_params *p);

/* Loads a GGUF model and opens its device (kept open by the model). err
 * gets a message naming the file, tensor or key and the problem. */
tlpu_status tlpu_model_load(const char *path, const tlpu_model_params *p, tlpu_model **out,
                            char *err, size_t errlen);
/* The same from a GGUF image in memory (not copied: keep it until
 * tlpu_model_free); name is used in messages. */
tlpu_status tlpu_model_load_mem(const void *data, size_t size, const char *name,
                                const tlpu_model_params *p, tlpu_model **out, char *err,
                                size_t errlen);
void tlpu_model_free(tlpu_model *m);

typedef struct tlpu_model_info {
    const char *arch;       /* "bitnet", "bitnet-b1.58", "bitnet-25" */
    uint32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx_train, n_rot;
    float rms_eps, rope_base;
    int tied;               /* the output projection is token_embd */
    const char *scales;     /* "tensor", "row" or "block": the BitLinear scales the file has */
    uint64_t bitlinear_params;
} tlpu_model_info;

void tlpu_model_get_info(const tlpu_model *m, tlpu_model_info *info);
/* The device the BitLinears run on (for its counters, time, name). */
tlpu_dev *tlpu_model_device(tlpu_model *m);
/* The GGUF file, for its tokenizer metadata. */
const struct tlpu_gguf *tlpu_model_gguf(const tlpu_model *m);

typedef struct tlpu_context_params {
    uint32_t n_ctx;         /* KV cache positions (0: the model's training context) */
    tlpu_kv_type kv;        /* F32 (default) or F16 (what bitnet.cpp's fork uses) */
} tlpu_context_params;

void tlpu_context_params_init(tlpu_context_params *p);

tlpu_status tlpu_context_new(tlpu_model *m, const tlpu_context_params *p, tlpu_context **out);
void tlpu_context_free(tlpu_context *c);
/* Empties the KV cache: the next batch starts at position 0. */
void tlpu_context_reset(tlpu_context *c);
/* Positions in the cache. */
uint32_t tlpu_context_pos(const tlpu_context *c);

/* Runs n tokens as one batch at the next positions. all_logits: keep the
 * logits of every token (else only the last one's). TLPU_ERR_RANGE for a
 * token id outside the vocabulary or a batch past n_ctx (nothing changes). */
tlpu_status tlpu_context_decode(tlpu_context *c, const int32_t *tokens, uint32_t n,
                                int all_logits);
/* Logits of token i of the last batch (i < n when all_logits, else 0), or
 * NULL. n_vocab floats, valid until the next decode. */
const float *tlpu_context_logits(const tlpu_context *c, uint32_t i);

/* What the BitLinears cost since the context was made (the device's CYCLES,
 * summed; on sc: the board's time and energy). */
typedef struct tlpu_context_stats {
    uint64_t tokens, batches, bitlinear_calls;
    uint64_t device_cycles;   /* the cores' CYCLES (0 on ref:) */
    uint64_t counters[TLPU_NUM_COUNTERS]; /* every performance counter, summed (0 on ref:) */
    uint64_t macs;            /* ternary MACs sent to the device */
    uint64_t activations;     /* BitLinear input elements (tokens x K, summed) */
    uint64_t outliers;        /* of those, kept in float on the host (outlier option) */
    int has_board;            /* sc: */
    tlpu_dev_time board;      /* the board's time and energy since the context was made */
} tlpu_context_stats;

void tlpu_context_get_stats(const tlpu_context *c, tlpu_context_stats *s);

/* ---- sampling -------------------------------------------------------------- */

typedef struct tlpu_sampler_params {
    float temp;             /* <= 0: greedy (argmax, ties to the lowest id) */
    uint32_t top_k;         /* 0: all */
    float top_p;            /* 1: all */
    uint64_t seed;
} tlpu_sampler_params;

void tlpu_sampler_params_init(tlpu_sampler_params *p); /* greedy, top-k 40, top-p 0.95, seed 0 */

typedef struct tlpu_sampler tlpu_sampler;
tlpu_status tlpu_sampler_new(const tlpu_sampler_params *p, tlpu_sampler **out);
void tlpu_sampler_free(tlpu_sampler *s);
/* The next token from n logits. */
int32_t tlpu_sampler_sample(tlpu_sampler *s, const float *logits, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_LLM_H */
