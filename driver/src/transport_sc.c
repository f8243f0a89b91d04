/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_sc.c - the sc: transport: the whole board as a SystemC/TLM-2.0
 * virtual platform (sim/sc, tlpu/sc.h) in this process: the packets cross
 * a modelled host link to the firmware, which drives the Verilated core and
 * the device DRAM through TLM sockets. The same bits and core cycles as
 * sim:, plus the simulated time of every call (tlpu_get_time).
 *
 * URI keys: link=usb2|usb3|pcie3x4, dram=ddr4-3200|lpddr5 (presets),
 * link_bw= (bits/s on the wire), link_latency= (us per transfer), dram_bw=
 * (bytes/s), dram_latency= (ns), variant=default|small|large, clock= (core
 * Hz), fw= (us of firmware per packet), poll= (us between WAIT polls),
 * quantum= (us), dram_size= (bytes, e.g. 64M).
 *
 * An LPU system instead of the board: chips=N (1 .. 64) and, for it,
 * topology=ring|full, c2c=d2d|serdes (preset), c2c_bw= (bits/s),
 * c2c_latency= (ns), c2c_pj= (pJ/bit), sram= (bytes per chip, default
 * 230M), sram_latency= (ns), sram_pj= (pJ/bit), core=model|rtl.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "tlpu/sc.h"
#include "tlpu/tlpu.h"

typedef struct sc_dev {
    tlpu_sc *sc;
    tlpu_sc_config cfg;
    int board_key, lpu_key, sized; /* a board-only or an LPU-only key was given; dram_size= */
    char key[32];                  /* the last of them, for the message */
} sc_dev;

static void mark(sc_dev *d, int *which, const char *key)
{
    *which = 1;
    snprintf(d->key, sizeof d->key, "%s", key);
}

static tlpu_status sc_param(void *ctx, const char *key, const char *val)
{
    sc_dev *d = ctx;
    tlpu_sc_config *c = &d->cfg;
    uint64_t u;
    double f;
    if (!strcmp(key, "chips")) {
        if (tlpu_uri_u64(val, 1, TLPU_MC_CHIPS_MAX, &u))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: chips=%s is not 1 .. %u", val,
                             TLPU_MC_CHIPS_MAX);
        c->chips = (uint32_t)u;
        return TLPU_OK;
    }
    if (!strcmp(key, "topology")) {
        mark(d, &d->lpu_key, key);
        if (tlpu_mc_topology_parse(val, &c->topology) != TLPU_OK)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: topology=%s is not ring or full", val);
        return TLPU_OK;
    }
    if (!strcmp(key, "c2c")) {
        mark(d, &d->lpu_key, key);
        const tlpu_c2c_link *l = tlpu_c2c_preset(val);
        if (!l)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: unknown chip-to-chip preset '%s' (%s)",
                             val, tlpu_c2c_names());
        c->c2c = *l;
        return TLPU_OK;
    }
    if (!strcmp(key, "core")) {
        mark(d, &d->lpu_key, key);
        if (strcmp(val, "model") && strcmp(val, "rtl"))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: core=%s is not model or rtl", val);
        c->rtl_cores = !strcmp(val, "rtl");
        return TLPU_OK;
    }
    if (!strcmp(key, "sram")) {
        mark(d, &d->lpu_key, key);
        if (tlpu_uri_u64(val, 4096, 1ull << 32, &u) || u % 16)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: sram=%s (4K .. 4G per chip, a multiple "
                                                   "of 16)", val);
        c->sim.dram_bytes = u;
        d->sized = 1;
        return TLPU_OK;
    }
    if (!strcmp(key, "link")) {
        const tlpu_sc_link *l = tlpu_sc_link_preset(val);
        if (!l)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: unknown link preset '%s' (%s)", val,
                             tlpu_sc_link_names());
        c->link = *l;
        return TLPU_OK;
    }
    if (!strcmp(key, "dram")) {
        mark(d, &d->board_key, key);
        const tlpu_sc_dram *m = tlpu_sc_dram_preset(val);
        if (!m)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: unknown DRAM preset '%s' (%s)", val,
                             tlpu_sc_dram_names());
        c->dram = *m;
        return TLPU_OK;
    }
    if (!strcmp(key, "variant")) {
        for (const char *const *v = tlpu_sim_variants(); *v; v++)
            if (!strcmp(*v, val)) {
                c->sim.variant = *v;
                return TLPU_OK;
            }
        return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: variant '%s' is not built (default, small, "
                                               "large)", val);
    }
    if (!strcmp(key, "dram_size")) {
        mark(d, &d->board_key, key);
        d->sized = 1;
        if (tlpu_uri_u64(val, 4096, 1ull << 32, &u) || u % 16)
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: dram_size=%s (4K .. 4G, a multiple of "
                                                   "16)", val);
        c->sim.dram_bytes = u;
        return TLPU_OK;
    }
    /* numbers: name, where, scale to SI, allowed range (in the key's unit) */
    static const struct {
        const char *key;
        size_t off;
        double scale, lo, hi;
        const char *unit;
    } nums[] = {
        {"link_bw", offsetof(tlpu_sc_config, link.bits_per_s), 1, 1e3, 1e13, "bits/s"},
        {"link_latency", offsetof(tlpu_sc_config, link.latency_s), 1e-6, 0, 1e6, "us"},
        {"dram_bw", offsetof(tlpu_sc_config, dram.bytes_per_s), 1, 1e3, 1e13, "bytes/s"},
        {"dram_latency", offsetof(tlpu_sc_config, dram.latency_s), 1e-9, 0, 1e6, "ns"},
        {"c2c_bw", offsetof(tlpu_sc_config, c2c.bits_per_s), 1, 1e3, 1e13, "bits/s"},
        {"c2c_latency", offsetof(tlpu_sc_config, c2c.latency_s), 1e-9, 0, 1e9, "ns"},
        {"c2c_pj", offsetof(tlpu_sc_config, c2c.pj_per_bit), 1, 0, 1e6, "pJ/bit"},
        {"sram_latency", offsetof(tlpu_sc_config, sram.latency_s), 1e-9, 0, 1e6, "ns"},
        {"sram_pj", offsetof(tlpu_sc_config, sram.pj_per_bit), 1, 1e-6, 1e6, "pJ/bit"},
        {"clock", offsetof(tlpu_sc_config, clock_hz), 1, 1e3, 1e11, "Hz"},
        {"fw", offsetof(tlpu_sc_config, fw_s), 1e-6, 0, 1e6, "us"},
        {"poll", offsetof(tlpu_sc_config, poll_s), 1e-6, 1e-3, 1e6, "us"},
        {"quantum", offsetof(tlpu_sc_config, quantum_s), 1e-6, 1e-3, 1e6, "us"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(key, nums[i].key) != 0)
            continue;
        if (tlpu_uri_double(val, nums[i].lo, nums[i].hi, &f))
            return tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: %s=%s is not a number in %g .. %g %s",
                             key, val, nums[i].lo, nums[i].hi, nums[i].unit);
        *(double *)((char *)c + nums[i].off) = f * nums[i].scale;
        if (!strncmp(key, "dram", 4))
            mark(d, &d->board_key, key);
        if (!strncmp(key, "c2c", 3) || !strncmp(key, "sram", 4))
            mark(d, &d->lpu_key, key);
        return TLPU_OK;
    }
    return tlpu_fail(TLPU_ERR_INVALID_ARG,
                     "sc: unknown parameter '%s' (link, dram, link_bw, link_latency, dram_bw, "
                     "dram_latency, variant, clock, fw, poll, quantum, dram_size; for an LPU "
                     "system chips, topology, c2c, c2c_bw, c2c_latency, c2c_pj, sram, "
                     "sram_latency, sram_pj, core)", key);
}

static tlpu_status sc_open(const char *params, void **out)
{
    sc_dev *d = calloc(1, sizeof *d);
    if (!d)
        return tlpu_fail(TLPU_ERR_NOMEM, "out of memory");
    tlpu_sc_config_init(&d->cfg);
    tlpu_status st = tlpu_uri_params(params, sc_param, d);
    if (st == TLPU_OK && d->cfg.chips && d->board_key)
        st = tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: %s= is for the board: an LPU system (chips=) "
                                             "has no DRAM, its chips have sram=", d->key);
    if (st == TLPU_OK && !d->cfg.chips && d->lpu_key)
        st = tlpu_fail(TLPU_ERR_INVALID_ARG, "sc: %s= is for an LPU system: give chips=N too",
                       d->key);
    if (st == TLPU_OK && d->cfg.chips && !d->sized)
        d->cfg.sim.dram_bytes = TLPU_MC_SRAM_BYTES;
    if (st == TLPU_OK && (st = tlpu_sc_create(&d->cfg, &d->sc)) != TLPU_OK)
        tlpu_fail(st, "%s", tlpu_sc_last_error());
    if (st != TLPU_OK) {
        free(d);
        return st;
    }
    *out = d;
    return TLPU_OK;
}

static void sc_close(void *ctx)
{
    sc_dev *d = ctx;
    tlpu_sc_destroy(d->sc);
    free(d);
}

static tlpu_status sc_one(void *ctx, tlpu_xfer *x)
{
    sc_dev *d = ctx;
    tlpu_status st = tlpu_sc_transact(d->sc, x->req, x->len, x->rep, x->cap, &x->rep_len);
    return st == TLPU_OK ? st : tlpu_fail(st, "%s", tlpu_sc_last_error());
}

static tlpu_status sc_transact(void *ctx, tlpu_xfer *x, size_t n, const tlpu_io *io)
{
    return tlpu_xfer_each(x, n, io, sc_one, ctx);
}

static tlpu_status sc_time(void *ctx, tlpu_dev_time *t)
{
    sc_dev *d = ctx;
    tlpu_sc_times s;
    tlpu_sc_get_times(d->sc, &s);
    t->total_s = s.total_s;
    t->link_s = s.link_s;
    t->fw_s = s.fw_s;
    t->dram_s = s.dram_s;
    t->core_s = s.core_s;
    t->link_j = s.link_j;
    t->dram_j = s.dram_j;
    t->link_bytes = s.link_wire_bytes;
    t->dram_bytes = s.dram_bytes;
    t->packets = s.packets;
    t->c2c_s = s.c2c_s;
    t->c2c_j = s.c2c_j;
    t->c2c_bytes = s.c2c_bytes;
    t->mc_runs = s.mc_runs;
    t->mc_ps = s.mc_ps;
    return TLPU_OK;
}

static tlpu_status sc_system(void *ctx, tlpu_mc_system *sys)
{
    sc_dev *d = ctx;
    if (!d->cfg.chips)
        return tlpu_fail(TLPU_ERR_UNSUPPORTED, "sc: a board, not an LPU system");
    memset(sys, 0, sizeof *sys);
    sys->chips = d->cfg.chips;
    sys->topology = d->cfg.topology;
    sys->c2c = d->cfg.c2c;
    sys->clock_hz = d->cfg.clock_hz;
    sys->sram_bytes = d->cfg.sim.dram_bytes;
    sys->sram_pj_per_bit = d->cfg.sram.pj_per_bit;
    return TLPU_OK;
}

const tlpu_transport tlpu_transport_sc = {
    .scheme = "sc",
    .doc = "the board as a SystemC/TLM-2.0 platform: host link, firmware, DRAM, Verilated core "
           "(chips=N: an LPU system of N chips)",
    .open = sc_open,
    .close = sc_close,
    .transact = sc_transact,
    .time = sc_time,
    .system = sc_system,
};
