/* SPDX-License-Identifier: Apache-2.0 */
/* net.c - built-in and user network descriptions (tlpu/net.h). */
#include "tlpu/net.h"
#include "errbuf.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* BitLinear shapes from the models' published configurations
 * (../shared/field-notes.md §3: out x in). Vocabularies only size the
 * 16-bit embedding and output head in the footprint. */
typedef struct builtin {
    const char *name;
    uint32_t layers, hidden, vocab;
    int tied;
    uint32_t qo, kv, ffn; /* q/o out, k/v out, FFN width */
} builtin;

static const builtin k_builtin[] = {
    {"bitnet-0.7b", 24, 1536, 32002, 0, 1536, 1536, 4096},
    {"bitnet-1.3b", 24, 2048, 32002, 0, 2048, 2048, 5460},
    {"bitnet-3b", 26, 3200, 32002, 0, 3200, 3200, 8640},
    {"bitnet-2b4t", 30, 2560, 128256, 1, 2560, 640, 6912},
    {"llama3-8b-1.58", 32, 4096, 128256, 0, 4096, 1024, 14336},
};

static const char *const k_names[] = {"bitnet-0.7b", "bitnet-1.3b", "bitnet-3b", "bitnet-2b4t",
                                      "llama3-8b-1.58", NULL};

const char *const *tlpu_net_builtin_names(void)
{
    return k_names;
}

static void add(tlpu_net *n, const char *name, uint32_t in, uint32_t out)
{
    tlpu_net_linear *l = &n->linear[n->nlinear++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->in = in;
    l->out = out;
    l->repeat = 1;
}

tlpu_status tlpu_net_builtin(const char *name, tlpu_net *out)
{
    if (!name || !out)
        return TLPU_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof k_builtin / sizeof k_builtin[0]; i++) {
        const builtin *b = &k_builtin[i];
        if (strcmp(b->name, name) != 0)
            continue;
        tlpu_net n;
        memset(&n, 0, sizeof n);
        snprintf(n.name, sizeof n.name, "%s", b->name);
        n.layers = b->layers;
        n.hidden = b->hidden;
        n.vocab = b->vocab;
        n.tied = b->tied;
        add(&n, "q_proj", b->hidden, b->qo);
        add(&n, "k_proj", b->hidden, b->kv);
        add(&n, "v_proj", b->hidden, b->kv);
        add(&n, "o_proj", b->qo, b->hidden);
        add(&n, "gate_proj", b->hidden, b->ffn);
        add(&n, "up_proj", b->hidden, b->ffn);
        add(&n, "down_proj", b->ffn, b->hidden);
        *out = n;
        return TLPU_OK;
    }
    return TLPU_ERR_INVALID_ARG;
}


/* an integer member in [lo, hi]; missing: dflt (or an error when dflt < 0) */
static tlpu_status get_u32(json_t *o, const char *key, long long dflt, uint32_t lo, uint32_t hi,
                           uint32_t *out, const char *path, const char *where, char *err,
                           size_t len)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (dflt < 0)
            return tlpu_errbuf(err, len, TLPU_ERR_FORMAT, "%s: %s: missing \"%s\"", path, where, key);
        *out = (uint32_t)dflt;
        return TLPU_OK;
    }
    if (!json_is_integer(v))
        return tlpu_errbuf(err, len, TLPU_ERR_FORMAT, "%s: %s: \"%s\" must be an integer", path, where,
                    key);
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)lo || x > (json_int_t)hi)
        return tlpu_errbuf(err, len, TLPU_ERR_RANGE, "%s: %s: \"%s\" is %lld, not in [%u, %u]", path,
                    where, key, (long long)x, lo, hi);
    *out = (uint32_t)x;
    return TLPU_OK;
}

static int known_key(const char *k, const char *const *keys)
{
    for (; *keys; keys++)
        if (!strcmp(k, *keys))
            return 1;
    return 0;
}

tlpu_status tlpu_net_load(const char *path, tlpu_net *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!path || !out)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_net_load: NULL argument");
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return tlpu_errbuf(err, errlen, TLPU_ERR_IO, "%s: cannot open the model file", path);
        fclose(f);
        return tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s:%d:%d: not valid JSON: %s", path, je.line,
                    je.column, je.text);
    }
    tlpu_status st = TLPU_OK;
    tlpu_net n;
    memset(&n, 0, sizeof n);
    static const char *const top_keys[] = {"name", "layers", "hidden", "vocab", "tied_embeddings",
                                           "linears", NULL};
    static const char *const lin_keys[] = {"name", "in", "out", "repeat", NULL};
    const char *key;
    json_t *val;
    if (!json_is_object(root)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: the top level must be an object", path);
        goto out;
    }
    json_object_foreach(root, key, val)
    {
        if (!known_key(key, top_keys)) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                      "%s: unknown key \"%s\" (name, layers, hidden, vocab, tied_embeddings, "
                      "linears)", path, key);
            goto out;
        }
    }
    json_t *nm = json_object_get(root, "name");
    if (!json_is_string(nm) || json_string_length(nm) == 0 ||
        json_string_length(nm) >= sizeof n.name) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"name\" must be a string of 1..%zu characters",
                  path, sizeof n.name - 1);
        goto out;
    }
    snprintf(n.name, sizeof n.name, "%s", json_string_value(nm));
    if ((st = get_u32(root, "layers", -1, 1, 100000, &n.layers, path, "model", err, errlen)) ||
        (st = get_u32(root, "hidden", 0, 0, 1u << 24, &n.hidden, path, "model", err, errlen)) ||
        (st = get_u32(root, "vocab", 0, 0, 1u << 24, &n.vocab, path, "model", err, errlen)))
        goto out;
    json_t *tied = json_object_get(root, "tied_embeddings");
    if (tied && !json_is_boolean(tied)) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: \"tied_embeddings\" must be true or false",
                  path);
        goto out;
    }
    n.tied = tied ? json_is_true(tied) : 0;
    json_t *lins = json_object_get(root, "linears");
    if (!json_is_array(lins) || json_array_size(lins) == 0 ||
        json_array_size(lins) > TLPU_NET_MAX_LINEARS) {
        st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                  "%s: \"linears\" must be an array of 1..%d BitLinear layers", path,
                  TLPU_NET_MAX_LINEARS);
        goto out;
    }
    size_t i;
    json_t *l;
    json_array_foreach(lins, i, l)
    {
        char where[48];
        snprintf(where, sizeof where, "linears[%zu]", i);
        if (!json_is_object(l)) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT, "%s: %s must be an object", path, where);
            goto out;
        }
        json_object_foreach(l, key, val)
        {
            if (!known_key(key, lin_keys)) {
                st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                          "%s: %s: unknown key \"%s\" (name, in, out, repeat)", path, where, key);
                goto out;
            }
        }
        tlpu_net_linear *d = &n.linear[n.nlinear];
        json_t *ln = json_object_get(l, "name");
        if (!json_is_string(ln) || json_string_length(ln) == 0 ||
            json_string_length(ln) >= sizeof d->name) {
            st = tlpu_errbuf(err, errlen, TLPU_ERR_FORMAT,
                      "%s: %s: \"name\" must be a string of 1..%zu characters", path, where,
                      sizeof d->name - 1);
            goto out;
        }
        snprintf(d->name, sizeof d->name, "%s", json_string_value(ln));
        if ((st = get_u32(l, "in", -1, 1, 1u << 20, &d->in, path, where, err, errlen)) ||
            (st = get_u32(l, "out", -1, 1, 1u << 20, &d->out, path, where, err, errlen)) ||
            (st = get_u32(l, "repeat", 1, 1, 1024, &d->repeat, path, where, err, errlen)))
            goto out;
        n.nlinear++;
    }
    *out = n;
out:
    json_decref(root);
    return st;
}

tlpu_status tlpu_net_open(const char *name_or_path, tlpu_net *out, char *err, size_t errlen)
{
    if (!name_or_path || !out)
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG, "tlpu_net_open: NULL argument");
    if (tlpu_net_builtin(name_or_path, out) == TLPU_OK)
        return TLPU_OK;
    if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.')) {
        char names[256] = "";
        for (const char *const *p = k_names; *p; p++) {
            strncat(names, *p, sizeof names - strlen(names) - 1);
            if (p[1])
                strncat(names, ", ", sizeof names - strlen(names) - 1);
        }
        return tlpu_errbuf(err, errlen, TLPU_ERR_INVALID_ARG,
                    "unknown model '%s' (built in: %s; or a .json file)", name_or_path, names);
    }
    return tlpu_net_load(name_or_path, out, err, errlen);
}

uint64_t tlpu_net_linear_params(const tlpu_net *net)
{
    uint64_t per = 0;
    for (uint32_t i = 0; i < net->nlinear; i++)
        per += (uint64_t)net->linear[i].in * net->linear[i].out * net->linear[i].repeat;
    return per * net->layers;
}

uint64_t tlpu_net_other_params(const tlpu_net *net)
{
    uint64_t emb = (uint64_t)net->vocab * net->hidden;
    uint64_t norms = (uint64_t)net->hidden * (2ull * net->layers + 1);
    return emb * (net->tied ? 1 : 2) + norms;
}
