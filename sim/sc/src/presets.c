/* SPDX-License-Identifier: Apache-2.0 */
/* presets.c - host-link and DRAM presets and their timing formulas
 * (tlpu/sc.h); docs/system-model.md gives the sources of every number. */
#include <math.h>
#include <string.h>

#include "tlpu/sc.h"

static const tlpu_sc_link k_links[] = {
    /* USB 2.0 high speed: 480 Mb/s; 13 bulk transactions of 512 bytes fit a
     * 125 us microframe of 7500 bytes, so 65 bytes of each go to token,
     * handshake, CRCs, gaps and bit stuffing; a transfer waits a microframe */
    {"usb2", 480e6, 512, 65, 1, 125e-6, 80.0},
    /* USB 3 (5 Gb/s, 8b/10b: 4 Gb/s of symbols): 1024-byte data packets with
     * a 16-byte header, CRC-32 and framing (36 bytes) */
    {"usb3", 4e9, 1024, 36, 1, 20e-6, 20.0},
    /* PCIe Gen3 x4: 8 GT/s x 4 lanes, 128b/130b; 256-byte TLPs with a 4 DW
     * header, sequence number, LCRC and framing (26 bytes) */
    {"pcie3x4", 8e9 * 4 * 128.0 / 130.0, 256, 26, 0, 1e-6, 5.0},
};

static const tlpu_sc_dram k_drams[] = {
    /* DDR4-3200, one 64-bit channel: 25.6 GB/s */
    {"ddr4-3200", 25.6e9, 45e-9, 15.0},
    /* LPDDR5-6400, 32 bits: 25.6 GB/s */
    {"lpddr5", 25.6e9, 60e-9, 5.0},
};

const tlpu_sc_link *tlpu_sc_link_preset(const char *name)
{
    for (size_t i = 0; name && i < sizeof k_links / sizeof k_links[0]; i++)
        if (!strcmp(k_links[i].name, name))
            return &k_links[i];
    return NULL;
}

const tlpu_sc_dram *tlpu_sc_dram_preset(const char *name)
{
    for (size_t i = 0; name && i < sizeof k_drams / sizeof k_drams[0]; i++)
        if (!strcmp(k_drams[i].name, name))
            return &k_drams[i];
    return NULL;
}

const char *tlpu_sc_link_names(void)
{
    return "usb2, usb3, pcie3x4";
}

const char *tlpu_sc_dram_names(void)
{
    return "ddr4-3200, lpddr5";
}

uint64_t tlpu_sc_link_wire_bytes(const tlpu_sc_link *l, uint64_t bytes)
{
    uint64_t packets = l->zlp ? bytes / l->packet_bytes + 1
                              : (bytes + l->packet_bytes - 1) / l->packet_bytes;
    if (packets == 0)
        packets = 1;
    return bytes + packets * l->overhead_bytes;
}

double tlpu_sc_link_time(const tlpu_sc_link *l, uint64_t bytes)
{
    return l->latency_s + (double)tlpu_sc_link_wire_bytes(l, bytes) * 8.0 / l->bits_per_s;
}

double tlpu_sc_dram_time(const tlpu_sc_dram *d, uint64_t bytes)
{
    return d->latency_s + (double)bytes / d->bytes_per_s;
}

void tlpu_sc_config_init(tlpu_sc_config *c)
{
    memset(c, 0, sizeof *c);
    tlpu_sim_config_init(&c->sim);
    c->link = *tlpu_sc_link_preset("usb3");
    c->dram = *tlpu_sc_dram_preset("ddr4-3200");
    c->clock_hz = 1e9;
    c->fw_s = 2e-6;
    c->poll_s = 1e-6;
    c->quantum_s = 10e-6;
    c->chips = 0;
    c->topology = TLPU_MC_RING;
    c->c2c = *tlpu_c2c_preset("serdes");
    c->sram = *tlpu_sc_sram_preset();
    c->rtl_cores = 0;
}

/* Horowitz (ISSCC 2014, 45 nm): a 64-bit read of a 1 MB SRAM bank costs
 * about 100 pJ, 1.5 pJ/bit; the core's port moves one 16-byte beat a cycle. */
static const tlpu_sc_dram k_sram = {"sram", 16e9, TLPU_MC_SRAM_LATENCY_S,
                                    TLPU_MC_SRAM_PJ_PER_BIT};

const tlpu_sc_dram *tlpu_sc_sram_preset(void)
{
    return &k_sram;
}
