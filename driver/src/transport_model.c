/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_model.c - the model: transport: the functional model of the core
 * (tlpu/fcore.h) with the firmware in this process. The same packets and the
 * same firmware as sim:; the core behind the port executes each program at
 * once, with the same results and counters.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/fw.h"
#include "tlpu/fcore.h"

#define MODEL_MHZ 1000u /* nominal clock for device time, as in sim: */

typedef struct model_dev {
    tlpu_fcore *m;
    tlpu_fcore_config cfg;
    tlpu_fw fw;
} model_dev;

static int p_csr_read(void *ctx, uint32_t addr, uint32_t *v)
{
    model_dev *d = ctx;
    return tlpu_fcore_csr_read(d->m, addr, v) == TLPU_OK ? 0 : -1;
}

static int p_csr_write(void *ctx, uint32_t addr, uint32_t v)
{
    model_dev *d = ctx;
    return tlpu_fcore_csr_write(d->m, addr, v) == TLPU_OK ? 0 : -1;
}

static int p_mem_write(void *ctx, uint64_t addr, const void *src, uint32_t n)
{
    model_dev *d = ctx;
    return tlpu_fcore_mem_write(d->m, addr, src, n) == TLPU_OK ? 0 : -1;
}

static int p_mem_read(void *ctx, uint64_t addr, void *dst, uint32_t n)
{
    model_dev *d = ctx;
    return tlpu_fcore_mem_read(d->m, addr, dst, n) == TLPU_OK ? 0 : -1;
}

static uint64_t p_now_us(void *ctx)
{
    model_dev *d = ctx;
    uint64_t c = 0;
    tlpu_fcore_cycle(d->m, &c);
    return c / MODEL_MHZ;
}

static void p_idle(void *ctx)
{
    model_dev *d = ctx;
    tlpu_fcore_step(d->m, 256);
}

static tlpu_status model_param(void *ctx, const char *key, const char *val)
{
    model_dev *d = ctx;
    uint64_t u = 0;
    if (!strcmp(key, "variant")) {
        tlpu_fcore_config c = d->cfg;
        if (tlpu_fcore_config_variant(&c, val) != TLPU_OK)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "model: variant '%s' (default, small, large)",
                             val);
        d->cfg.hw = c.hw;
        return TLPU_OK;
    }
    uint64_t lo, hi;
    if (tlpu_hw_param_range(key, &lo, &hi) == TLPU_OK) {
        if (tlpu_uri_u64(val, lo, hi, &u) || tlpu_hw_set(&d->cfg.hw, key, u) != TLPU_OK)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "model: %s=%s (%llu .. %llu)", key, val,
                             (unsigned long long)lo, (unsigned long long)hi);
        return TLPU_OK;
    }
    if (!strcmp(key, "latency")) {
        if (tlpu_uri_u64(val, 1, 1000000, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "model: latency=%s (1 .. 1000000 cycles)", val);
        d->cfg.mem_latency = (uint32_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "dram")) {
        if (tlpu_uri_u64(val, 4096, 1ull << 32, &u) || u % 16)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "model: dram=%s (4K .. 4G, a multiple of 16)",
                             val);
        d->cfg.dram_bytes = u;
        return TLPU_OK;
    }
    return tlpu_fail(TLPU_ERR_INVALID_ARG, "model: unknown parameter '%s' (variant, %s, latency, "
                                           "dram)", key, tlpu_hw_param_names());
}

static tlpu_status model_open(const char *params, void **out)
{
    model_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    tlpu_status st = tlpu_fcore_config_init(&d->cfg);
    if (st == TLPU_OK)
        st = tlpu_uri_params(params, model_param, d);
    if (st == TLPU_OK && tlpu_hw_check(&d->cfg.hw) != TLPU_OK)
        st = tlpu_fail(TLPU_ERR_INVALID_ARG,
                       "model: not a buildable core (rows a multiple of 4, cols of 20, wbuf "
                       "and queue powers of two)");
    if (st == TLPU_OK) {
        st = tlpu_fcore_create(&d->cfg, &d->m);
        if (st != TLPU_OK)
            tlpu_fail(st, "model: cannot create this core: %s", tlpu_strerror(st));
    }
    if (st == TLPU_OK) {
        tlpu_fw_port port = {d,        p_csr_read, p_csr_write, p_mem_write,
                             p_mem_read, p_now_us, p_idle,      NULL,
                             d->cfg.dram_bytes, d->cfg.mem_latency, 1, 0, NULL};
        if (tlpu_fw_init(&d->fw, &port) != 0)
            st = tlpu_fail(TLPU_ERR_NO_DEVICE, "model: the firmware found no core");
    }
    if (st != TLPU_OK) {
        if (d->m)
            tlpu_fcore_destroy(d->m);
        free(d);
        return st;
    }
    *out = d;
    return TLPU_OK;
}

static void model_close(void *ctx)
{
    model_dev *d = ctx;
    tlpu_fcore_destroy(d->m);
    free(d);
}

static tlpu_status model_transact(void *ctx, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    return tlpu_fw_exchange(&((model_dev *)ctx)->fw, x, n, io);
}

const tlpu_transport tlpu_transport_model = {
    .scheme = "model",
    .doc = "the functional C model of the core and the firmware, in this process",
    .open = model_open,
    .close = model_close,
    .transact = model_transact,
};
