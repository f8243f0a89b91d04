/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/usb - the usb: transport against emulated boards (sim/usbemu):
 * upload (tlpu_mem_write) and download (tlpu_mem_read) of one buffer,
 * verified equal, at inflight 1, 4, 8 (the default) and 32, on a high-speed
 * board (480 Mb/s, 512-byte packets) and a super-speed board (5 Gb/s,
 * 1024-byte packets), both with a model: core. For each run: wall time,
 * throughput, and where the time goes: the emulation's ioctl handlers
 * (of which the board's firmware and the core behind it) and the rest
 * (driver + libusb). The emulated link has no bandwidth limit, so this
 * measures the software path, not a USB link. One thread; one run each.
 *
 *   build/bench/usb [--mib N] [--quick]
 *
 * --mib N moves N MiB each way (default 16); --quick moves 2 MiB. The
 * program runs itself under umockdev-wrapper (Debian package 'umockdev')
 * when it is not already.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlpu/tlpu.h"
#include "tlpu/usbemu.h"

#include "bench.h"

static int usage(const char *msg)
{
    fprintf(stderr, "usb: %s\nusage: usb [--mib N] [--quick]\n", msg);
    return 2;
}

static void check(tlpu_status st, const char *call)
{
    if (st == TLPU_OK)
        return;
    const char *le = tlpu_last_error();
    fprintf(stderr, "usb: %s: %s%s%s\n", call, tlpu_strerror(st), le[0] ? ": " : "", le);
    exit(1);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 0x9E3779B9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 24);
    }
}

typedef struct board_run {
    const char *serial, *link;
    int id;
} board_run;

static void row(const char *dir, const char *link, unsigned inflight, double mib, double wall,
                const tlpu_usbemu_stats *a, const tlpu_usbemu_stats *b)
{
    double emu = b->emu_s - a->emu_s, fw = b->fw_s - a->fw_s;
    double emu_pct = wall > 0 ? 100.0 * emu / wall : 0, fw_pct = wall > 0 ? 100.0 * fw / wall : 0;
    const uint64_t req = b->requests - a->requests;
    printf("| %s | %s | %u | %.1f | %.3f | %.1f | %.1f | %.1f | %.1f | %llu | %.0f | %.1f |\n",
           dir, link, inflight, mib, wall, wall > 0 ? mib / wall : 0, emu_pct, fw_pct,
           100.0 - emu_pct, (unsigned long long)req, req ? 1e6 * wall / (double)req : 0,
           req ? (double)(b->ioctls - a->ioctls) / (double)req : 0);
}

int main(int argc, char **argv)
{
    unsigned long mib = 16;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            mib = 2;
        } else if (!strcmp(argv[i], "--mib")) {
            if (i + 1 >= argc)
                return usage("--mib needs a number of MiB");
            const char *s = argv[++i];
            char *end = NULL;
            errno = 0;
            unsigned long v = strtoul(s, &end, 10);
            if (s[0] < '0' || s[0] > '9' || *end || errno || v < 1 || v > 4000) {
                char m[256];
                snprintf(m, sizeof m, "--mib %s: want a whole number of MiB, 1 .. 4000", s);
                return usage(m);
            }
            mib = v;
        } else {
            char m[256];
            snprintf(m, sizeof m, "unexpected argument '%s'", argv[i]);
            return usage(m);
        }
    }

    if (!tlpu_usbemu_preloaded())
        return tlpu_usbemu_reexec("usb", argc, argv);

    size_t n = (size_t)mib << 20;
    unsigned long dram_mib = mib < 64 ? 64 : mib + 1;
    char core[64];
    snprintf(core, sizeof core, "model:dram=%luM", dram_mib);

    tlpu_usbemu *e = NULL;
    check(tlpu_usbemu_new(&e), "tlpu_usbemu_new");
    board_run boards[2] = {{"hs", "high speed 480 Mb/s", -1}, {"ss", "super speed 5 Gb/s", -1}};
    for (int b = 0; b < 2; b++) {
        tlpu_usbemu_board desc = {core, boards[b].serial, b == 1};
        char call[96];
        snprintf(call, sizeof call, "tlpu_usbemu_plug(%s, serial=%s)", core, boards[b].serial);
        check(tlpu_usbemu_plug(e, &desc, &boards[b].id), call);
    }

    uint8_t *src = malloc(n), *dst = malloc(n);
    if (!src || !dst) {
        fprintf(stderr, "usb: out of memory for two %lu MiB buffers\n", mib);
        return 1;
    }

    static const unsigned inflights[] = {1, 4, 8, 32};
    double hs_up_1 = 0, hs_up_8 = 0;
    uint32_t seed = 1;
    printf("| direction | link | inflight | MiB moved | wall s | MiB/s | emulation %% | "
           "of which firmware+core %% | driver+libusb %% | requests | us/request | "
           "ioctls/request |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int b = 0; b < 2; b++) {
        for (size_t k = 0; k < sizeof inflights / sizeof inflights[0]; k++) {
            unsigned inf = inflights[k];
            char uri[96], call[160];
            snprintf(uri, sizeof uri, "usb:serial=%s,inflight=%u", boards[b].serial, inf);
            tlpu_dev *dev = NULL;
            snprintf(call, sizeof call, "tlpu_open(\"%s\")", uri);
            check(tlpu_open(uri, &dev), call);
            tlpu_dev_info info;
            check(tlpu_get_info(dev, &info), "tlpu_get_info");
            if (info.dram_size < n) {
                fprintf(stderr, "usb: %s has %llu bytes of device memory, %zu needed\n", uri,
                        (unsigned long long)info.dram_size, n);
                return 1;
            }
            uint64_t addr = 0;
            check(tlpu_mem_alloc(dev, n, &addr), "tlpu_mem_alloc");

            /* a fresh pattern each run, so data left by an earlier run cannot pass */
            fill(src, n, seed++);
            memset(dst, 0, n);
            tlpu_usbemu_stats s0, s1, s2;
            check(tlpu_usbemu_stats_of(e, boards[b].id, &s0), "tlpu_usbemu_stats_of");
            double t0 = bench_now();
            check(tlpu_mem_write(dev, addr, src, n), "tlpu_mem_write");
            double t1 = bench_now();
            check(tlpu_usbemu_stats_of(e, boards[b].id, &s1), "tlpu_usbemu_stats_of");
            double t2 = bench_now();
            check(tlpu_mem_read(dev, addr, dst, n), "tlpu_mem_read");
            double t3 = bench_now();
            check(tlpu_usbemu_stats_of(e, boards[b].id, &s2), "tlpu_usbemu_stats_of");
            if (memcmp(src, dst, n) != 0) {
                size_t i = 0;
                while (i < n && src[i] == dst[i])
                    i++;
                fprintf(stderr, "usb: %s: read back differs from what was written, first at "
                                "byte %zu (wrote 0x%02x, read 0x%02x)\n",
                        uri, i, src[i], dst[i]);
                return 1;
            }
            check(tlpu_mem_free(dev, addr), "tlpu_mem_free");
            tlpu_close(dev);

            double m = (double)mib;
            row("upload", boards[b].link, inf, m, t1 - t0, &s0, &s1);
            row("download", boards[b].link, inf, m, t3 - t2, &s1, &s2);
            fflush(stdout);
            if (b == 0 && inf == 1)
                hs_up_1 = m / (t1 - t0);
            if (b == 0 && inf == 8)
                hs_up_8 = m / (t1 - t0);
        }
    }
    printf("\nupload on the high-speed board, inflight 8 vs inflight 1: %.2fx MiB/s "
           "(%.1f vs %.1f)\n",
           hs_up_1 > 0 ? hs_up_8 / hs_up_1 : 0, hs_up_8, hs_up_1);
    printf("note: the emulated link has no bandwidth limit, so these numbers measure the "
           "software path (driver + libusb + usbdevfs emulation + firmware), not a USB link.\n");
    free(src);
    free(dst);
    tlpu_usbemu_free(e);
    return 0;
}
