/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_ref.c - the ref: transport: no core, no packets. BitLinears run
 * in this process on the fast C reference (tlpu_bitlinear_fast, AVX2 where
 * the CPU has it), split by output rows over a pool of threads, so host-side
 * inference needs no simulator. The results are the exact int32 products,
 * the same bits as every other device.
 *
 * URI keys: threads=N (1 .. 64; default: the CPUs this process may use).
 * Only tlpu_dev_bitlinear and the tlpu_dev_layer_* calls work; the calls
 * that need a core or device memory give TLPU_ERR_UNSUPPORTED.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/bitlinear.h"
#include "tlpu/tlpu.h"

#define REF_MAX_THREADS 64

/* One BitLinear's weights: row slices of N, one per thread. */
typedef struct ref_layer {
    uint32_t k, n, parts;
    uint32_t n0[REF_MAX_THREADS + 1]; /* slice p: rows [n0[p], n0[p+1]) */
    tlpu_tmat *w[REF_MAX_THREADS];
} ref_layer;

typedef struct ref_dev {
    uint32_t threads;
    /* the pool: workers 1 .. threads-1 wait for a job; the caller is worker 0 */
    pthread_t tid[REF_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;           /* bumped for every job */
    uint32_t pending;       /* workers still running the current job */
    int quit;
    /* the current job */
    const ref_layer *job;
    uint32_t m;
    const int8_t *x;
    int32_t *y, *tmp;       /* y: M x N; tmp: per-slice M x n_p results */
    size_t tmp_cap;
    tlpu_status st[REF_MAX_THREADS];
} ref_dev;

/* slice p of the current job into y */
static void run_part(ref_dev *d, uint32_t p)
{
    const ref_layer *L = d->job;
    const uint32_t np = L->n0[p + 1] - L->n0[p];
    if (!np) {
        d->st[p] = TLPU_OK;
        return;
    }
    int32_t *t = d->tmp + (size_t)d->m * L->n0[p];
    d->st[p] = tlpu_bitlinear_fast(L->w[p], d->m, d->x, t);
    if (d->st[p] != TLPU_OK)
        return;
    for (uint32_t r = 0; r < d->m; r++)
        memcpy(d->y + (size_t)r * L->n + L->n0[p], t + (size_t)r * np, np * sizeof(int32_t));
}

typedef struct worker_arg {
    ref_dev *d;
    uint32_t p;
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *a = arg;
    ref_dev *d = a->d;
    uint64_t seen = 0;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->quit && d->gen == seen)
            pthread_cond_wait(&d->go, &d->mu);
        if (d->quit)
            break;
        seen = d->gen;
        pthread_mutex_unlock(&d->mu);
        if (a->p < d->job->parts)
            run_part(d, a->p);
        pthread_mutex_lock(&d->mu);
        if (--d->pending == 0)
            pthread_cond_signal(&d->done);
    }
    pthread_mutex_unlock(&d->mu);
    free(a);
    return NULL;
}

static tlpu_status ref_param(void *ctx, const char *key, const char *val)
{
    ref_dev *d = ctx;
    uint64_t u;
    if (!strcmp(key, "threads")) {
        if (tlpu_uri_u64(val, 1, REF_MAX_THREADS, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "ref: threads=%s is not 1 .. %d", val,
                             REF_MAX_THREADS);
        d->threads = (uint32_t)u;
        return TLPU_OK;
    }
    return tlpu_fail(TLPU_ERR_INVALID_ARG, "ref: unknown parameter '%s' (threads)", key);
}

static uint32_t cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n > REF_MAX_THREADS ? REF_MAX_THREADS : (uint32_t)n;
    }
    return 1;
}

static void ref_close(void *ctx);

static tlpu_status ref_open(const char *params, void **out)
{
    ref_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    d->threads = cpus();
    tlpu_status st = tlpu_uri_params(params, ref_param, d);
    if (st != TLPU_OK) {
        free(d);
        return st;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->go, NULL);
    pthread_cond_init(&d->done, NULL);
    for (uint32_t p = 1; p < d->threads; p++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a || (a->d = d, a->p = p, pthread_create(&d->tid[p], NULL, worker, a)) != 0) {
            free(a);
            d->threads = p; /* the ones that started are joined on close */
            ref_close(d);
            return tlpu_fail(TLPU_ERR_NOMEM, "ref: cannot start thread %u", p);
        }
    }
    *out = d;
    return TLPU_OK;
}

static void ref_close(void *ctx)
{
    ref_dev *d = ctx;
    pthread_mutex_lock(&d->mu);
    d->quit = 1;
    pthread_cond_broadcast(&d->go);
    pthread_mutex_unlock(&d->mu);
    for (uint32_t p = 1; p < d->threads; p++)
        pthread_join(d->tid[p], NULL);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->go);
    pthread_cond_destroy(&d->done);
    free(d->tmp);
    free(d);
}

static tlpu_status ref_transact(void *ctx, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    (void)ctx, (void)x, (void)n, (void)io;
    return tlpu_fail(TLPU_ERR_UNSUPPORTED, "ref: computes BitLinears in this process: it has no "
                                           "core, device memory or packets (use "
                                           "tlpu_dev_bitlinear or tlpu_dev_layer_*)");
}

static tlpu_status ref_info(void *ctx, tlpu_dev_info *in)
{
    (void)ctx;
    memset(in, 0, sizeof *in);
    in->transport = "ref";
    in->proto_version = 0;
    tlpu_hw_default(&in->hw);
    in->formats = (1u << TLPU_FMT_PACK2) | (1u << TLPU_FMT_PACK3);
    in->chips = 1;
    return TLPU_OK;
}

static void ref_bl_free(void *ctx, void *h)
{
    (void)ctx;
    ref_layer *L = h;
    if (!L)
        return;
    for (uint32_t p = 0; p < L->parts; p++)
        tlpu_tmat_destroy(L->w[p]);
    free(L);
}

static tlpu_status ref_bl_load(void *ctx, uint32_t k, uint32_t n, const int8_t *trits,
                               void **out)
{
    ref_dev *d = ctx;
    ref_layer *L = calloc(1, sizeof *L);
    if (!L)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    L->k = k, L->n = n;
    /* small layers on one thread: the hand-off would cost more than it saves */
    L->parts = (uint64_t)k * n < (1u << 16) ? 1 : d->threads;
    if (L->parts > n)
        L->parts = n;
    for (uint32_t p = 0; p <= L->parts; p++)
        L->n0[p] = (uint32_t)((uint64_t)n * p / L->parts);
    for (uint32_t p = 0; p < L->parts; p++) {
        tlpu_status st = tlpu_tmat_create(trits + (size_t)L->n0[p] * k, L->n0[p + 1] - L->n0[p],
                                          k, &L->w[p]);
        if (st != TLPU_OK) {
            L->parts = p;
            ref_bl_free(ctx, L);
            return tlpu_fail(st, "ref: preparing %ux%u weights: %s", n, k, tlpu_strerror(st));
        }
    }
    *out = L;
    return TLPU_OK;
}

static tlpu_status ref_bl_run(void *ctx, void *h, uint32_t m, const int8_t *x, int32_t *y)
{
    ref_dev *d = ctx;
    const ref_layer *L = h;
    if (L->parts == 1)
        return tlpu_bitlinear_fast(L->w[0], m, x, y);
    const size_t need = (size_t)m * L->n;
    if (need > d->tmp_cap) {
        int32_t *t = realloc(d->tmp, need * sizeof *t);
        if (!t)
            return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
        d->tmp = t, d->tmp_cap = need;
    }
    pthread_mutex_lock(&d->mu);
    d->job = L, d->m = m, d->x = x, d->y = y;
    d->pending = d->threads - 1;
    d->gen++;
    pthread_cond_broadcast(&d->go);
    pthread_mutex_unlock(&d->mu);
    run_part(d, 0);
    pthread_mutex_lock(&d->mu);
    while (d->pending)
        pthread_cond_wait(&d->done, &d->mu);
    pthread_mutex_unlock(&d->mu);
    for (uint32_t p = 0; p < L->parts; p++)
        if (d->st[p] != TLPU_OK)
            return tlpu_fail(d->st[p], "ref: BitLinear: %s", tlpu_strerror(d->st[p]));
    return TLPU_OK;
}

const tlpu_transport tlpu_transport_ref = {
    .scheme = "ref",
    .doc = "the fast C reference in this process (threads=N): BitLinears only, no core",
    .open = ref_open,
    .close = ref_close,
    .transact = ref_transact,
    .info = ref_info,
    .bl_load = ref_bl_load,
    .bl_run = ref_bl_run,
    .bl_free = ref_bl_free,
};
