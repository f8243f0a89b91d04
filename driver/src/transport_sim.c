/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_sim.c - the sim: transport: the Verilated core and its DRAM
 * model (libtlpu_sim) with the firmware (libtlpu_fw) in this process. A
 * request packet goes straight into the firmware's command processor, which
 * drives the simulated core through its port: CSR accesses take core
 * cycles, device time is the core's cycle count at a nominal 1 GHz.
 */
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/fw.h"
#include "tlpu/sim.h"

#define SIM_MHZ 1000u  /* nominal core clock: device time = cycles / 1000 us */
#define IDLE_CYCLES 256u

typedef struct sim_dev {
    tlpu_sim *sim;
    tlpu_sim_config cfg;
    char trace[256];
    uint32_t rows, cols; /* from rows=/cols= */
    tlpu_fw fw;
} sim_dev;

static int p_csr_read(void *ctx, uint32_t addr, uint32_t *v)
{
    sim_dev *d = ctx;
    return tlpu_sim_csr_read(d->sim, addr, v) == TLPU_OK && !tlpu_sim_fault(d->sim) ? 0 : -1;
}

static int p_csr_write(void *ctx, uint32_t addr, uint32_t v)
{
    sim_dev *d = ctx;
    return tlpu_sim_csr_write(d->sim, addr, v) == TLPU_OK && !tlpu_sim_fault(d->sim) ? 0 : -1;
}

static int p_mem_write(void *ctx, uint64_t addr, const void *src, uint32_t n)
{
    sim_dev *d = ctx;
    return tlpu_sim_mem_write(d->sim, addr, src, n) == TLPU_OK ? 0 : -1;
}

static int p_mem_read(void *ctx, uint64_t addr, void *dst, uint32_t n)
{
    sim_dev *d = ctx;
    return tlpu_sim_mem_read(d->sim, addr, dst, n) == TLPU_OK ? 0 : -1;
}

static uint64_t p_now_us(void *ctx)
{
    sim_dev *d = ctx;
    return tlpu_sim_cycle(d->sim) / SIM_MHZ;
}

static void p_idle(void *ctx)
{
    sim_dev *d = ctx;
    tlpu_sim_step(d->sim, IDLE_CYCLES);
}

static tlpu_status sim_param(void *ctx, const char *key, const char *val)
{
    sim_dev *d = ctx;
    uint64_t u = 0;
    double f = 0;
    if (!strcmp(key, "variant")) {
        for (const char *const *v = tlpu_sim_variants(); *v; v++)
            if (!strcmp(*v, val)) {
                d->cfg.variant = *v;
                return TLPU_OK;
            }
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: variant '%s' is not built (default, "
                                               "small, large)", val);
    }
    if (!strcmp(key, "rows") || !strcmp(key, "cols")) {
        if (tlpu_uri_u64(val, 1, 4096, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: %s=%s is not a count", key, val);
        *(key[0] == 'r' ? &d->rows : &d->cols) = (uint32_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "latency")) {
        if (tlpu_uri_u64(val, 1, 1000000, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: latency=%s (1 .. 1000000 cycles)", val);
        d->cfg.dram_latency = (uint32_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "width")) {
        if (tlpu_uri_u64(val, 1, 16, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: width=%s (1 .. 16 bytes per cycle)", val);
        d->cfg.dram_width = (uint32_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "outstanding")) {
        if (tlpu_uri_u64(val, 1, 64, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: outstanding=%s (1 .. 64)", val);
        d->cfg.dram_outstanding = (uint32_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "dram")) {
        if (tlpu_uri_u64(val, 4096, 1ull << 32, &u) || u % 16)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: dram=%s (4K .. 4G, a multiple of 16)",
                             val);
        d->cfg.dram_bytes = u;
        return TLPU_OK;
    }
    if (!strcmp(key, "stall")) {
        if (tlpu_uri_double(val, 0.0, 0.95, &f))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: stall=%s (a probability 0 .. 0.95)",
                             val);
        d->cfg.stall_prob = f;
        return TLPU_OK;
    }
    if (!strcmp(key, "seed")) {
        if (tlpu_uri_u64(val, 0, UINT64_MAX, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: seed=%s is not a number", val);
        d->cfg.seed = u;
        return TLPU_OK;
    }
    if (!strcmp(key, "trace")) {
        if (strlen(val) >= sizeof d->trace)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: trace path too long");
        strcpy(d->trace, val);
        d->cfg.trace_path = d->trace;
        return TLPU_OK;
    }
    return tlpu_fail(TLPU_ERR_INVALID_ARG, "sim: unknown parameter '%s' (variant, rows, cols, "
                                           "latency, width, outstanding, dram, stall, seed, "
                                           "trace)", key);
}

static tlpu_status sim_open(const char *params, void **out)
{
    sim_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    tlpu_sim_config_init(&d->cfg);
    tlpu_status st = tlpu_uri_params(params, sim_param, d);
    if (st == TLPU_OK && (d->rows || d->cols)) {
        static const struct {
            const char *v;
            uint32_t r, c;
        } k[] = {{"default", 32, 80}, {"small", 4, 20}, {"large", 64, 160}};
        const char *pick = NULL;
        for (size_t i = 0; i < 3; i++)
            if ((!d->rows || d->rows == k[i].r) && (!d->cols || d->cols == k[i].c))
                pick = k[i].v;
        if (!pick)
            st = tlpu_fail(TLPU_ERR_UNSUPPORTED,
                           "sim: no %ux%u core is built (32x80, 4x20, 64x160; the model: "
                           "transport takes any shape)", d->rows, d->cols);
        else
            d->cfg.variant = pick;
    }
    if (st == TLPU_OK) {
        st = tlpu_sim_create(&d->cfg, &d->sim);
        if (st != TLPU_OK)
            tlpu_fail(st, "sim: %s", tlpu_sim_last_error());
    }
    if (st == TLPU_OK) {
        tlpu_fw_port port = {d,        p_csr_read, p_csr_write, p_mem_write,
                             p_mem_read, p_now_us, p_idle,      NULL,
                             d->cfg.dram_bytes, d->cfg.dram_latency, 1, 0, NULL};
        if (tlpu_fw_init(&d->fw, &port) != 0)
            st = tlpu_fail(TLPU_ERR_NO_DEVICE, "sim: the firmware found no core");
    }
    if (st != TLPU_OK) {
        if (d->sim)
            tlpu_sim_destroy(d->sim);
        free(d);
        return st;
    }
    *out = d;
    return TLPU_OK;
}

static void sim_close(void *ctx)
{
    sim_dev *d = ctx;
    tlpu_sim_destroy(d->sim);
    free(d);
}

static tlpu_status sim_transact(void *ctx, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    return tlpu_fw_exchange(&((sim_dev *)ctx)->fw, x, n, io);
}

const tlpu_transport tlpu_transport_sim = {
    .scheme = "sim",
    .doc = "the cycle-accurate Verilated core, DRAM model and firmware in this process",
    .open = sim_open,
    .close = sim_close,
    .transact = sim_transact,
};
