/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu/net.h - the networks tlpu estimates: the BitLinear layers of a
 * transformer, built in for the BitNet b1.58 family and Llama3-8B-1.58, or
 * read from a user's JSON file (format in docs/models.md).
 */
#ifndef TLPU_NET_H
#define TLPU_NET_H

#include <stddef.h>
#include <stdint.h>

#include "tlpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TLPU_NET_MAX_LINEARS 16

typedef struct tlpu_net_linear {
    char name[32];     /* "q_proj" */
    uint32_t in, out;  /* K and N */
    uint32_t repeat;   /* instances per decoder layer (>= 1) */
} tlpu_net_linear;

typedef struct tlpu_net {
    char name[64];
    uint32_t layers;   /* decoder layers */
    uint32_t hidden;   /* model width (embeddings, norms) */
    uint32_t vocab;    /* vocabulary (embeddings, output head) */
    int tied;          /* output head shares the embedding matrix */
    uint32_t nlinear;
    tlpu_net_linear linear[TLPU_NET_MAX_LINEARS];
} tlpu_net;

/* NULL-terminated names of the built-in networks. */
const char *const *tlpu_net_builtin_names(void);
/* A built-in network; TLPU_ERR_INVALID_ARG for an unknown name. */
tlpu_status tlpu_net_builtin(const char *name, tlpu_net *out);
/* A network from a JSON file; err gets a message naming the file, the key
 * and the problem. */
tlpu_status tlpu_net_load(const char *path, tlpu_net *out, char *err, size_t errlen);
/* A built-in name or else a file. */
tlpu_status tlpu_net_open(const char *name_or_path, tlpu_net *out, char *err, size_t errlen);

/* BitLinear weights of the whole network; other (16-bit) parameters:
 * embeddings, the output head when untied, norms. */
uint64_t tlpu_net_linear_params(const tlpu_net *net);
uint64_t tlpu_net_other_params(const tlpu_net *net);

#ifdef __cplusplus
}
#endif

#endif /* TLPU_NET_H */
