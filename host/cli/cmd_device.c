/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu info / tlpu matmul - the device through the driver API (tlpu/tlpu.h).
 *
 *   tlpu info --device URI [--json]
 *   tlpu matmul --device URI [--m M --k K --n N --seed S] [--x X.npy --w W.npy]
 *               [--y Y.npy] [--packing base3|2bit] [--json]
 *
 * matmul runs one BitLinear y = x W^T on the device, cross-checks every
 * output against the C reference and prints cycles, utilization and the
 * check (exit 1 if any output differs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/bitlinear.h"
#include "tlpu/npy.h"
#include "tlpu/pack.h"
#include "tlpu/rng.h"
#include "tlpu/tlpu.h"

static int open_dev(const char *cmd, const char *uri, tlpu_dev **d)
{
    if (!uri) {
        cli_error(cmd, "--device URI is required (e.g. sim:, model:, sim:variant=small)");
        return CLI_USAGE;
    }
    tlpu_status st = tlpu_open(uri, d);
    if (st != TLPU_OK) {
        cli_error(cmd, "cannot open device '%s': %s", uri, tlpu_last_error());
        return CLI_USAGE;
    }
    return CLI_OK;
}

static void show_found(void *arg, const char *uri, const char *what)
{
    int *n = arg;
    printf("%s %s\n    %s\n", (*n)++ ? "           " : "found      ", uri, what);
}

int cmd_info(int argc, char **argv)
{
    const char *cmd = "info", *uri = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0) {
            if (!(uri = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            cli_error(cmd, "unknown option '%s'", argv[i]);
            return CLI_USAGE;
        }
    }
    if (uri && !json) {
        /* every device the URI could open (for usb: the boards that match),
         * then the one opened */
        int shown = 0, count = 0;
        tlpu_status st = tlpu_list_devices(uri, show_found, &shown, &count);
        if (st != TLPU_OK) {
            cli_error(cmd, "%s", tlpu_last_error());
            return st == TLPU_ERR_INVALID_ARG ? CLI_USAGE : CLI_FAIL;
        }
        if (!count)
            printf("found       no device\n");
    }
    tlpu_dev *d = NULL;
    int rc = open_dev(cmd, uri, &d);
    if (rc)
        return rc;
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    const tlpu_hw *h = &in.hw;
    if (json) {
        printf("{\"device\": \"%s\", \"transport\": \"%s\", \"protocol\": %u, \"firmware\": "
               "\"%u.%u\", \"core_version\": \"%u.%u\", \"rows\": %u, \"cols\": %u, "
               "\"beat_bytes\": %u, \"wbuf_chunks\": %u, \"abuf_words\": %u, \"obuf_words\": %u, "
               "\"imem_depth\": %u, \"burst_beats\": %u, \"queue_depth\": %u, \"formats\": %u, "
               "\"mem_latency\": %u, \"dram_bytes\": %llu}\n",
               uri, in.transport, in.proto_version, in.fw_version >> 16, in.fw_version & 0xFFFF,
               in.core_version >> 16, in.core_version & 0xFFFF, h->rows, h->cols, h->beat_bytes,
               h->wbuf_chunks, h->abuf_words, h->obuf_words, h->imem_depth, h->burst_beats,
               h->queue_depth, in.formats, in.mem_latency, (unsigned long long)in.dram_size);
    } else if (!in.proto_version) { /* ref: no core, no firmware */
        printf("device      %s (transport %s)\n", uri, in.transport);
        printf("core        none: BitLinears run on the fast C reference in this process, "
               "exact, with no cycles, counters or device memory\n");
    } else {
        printf("device      %s (transport %s)\n", uri, in.transport);
        printf("firmware    %u.%u, protocol %u\n", in.fw_version >> 16, in.fw_version & 0xFFFF,
               in.proto_version);
        printf("core        tlpu %u.%u: %u x %u lanes, %u-byte memory port\n",
               in.core_version >> 16, in.core_version & 0xFFFF, h->rows, h->cols, h->beat_bytes);
        printf("buffers     weights 2 x %u chunks, activations %u words, outputs %u words, "
               "program %u instructions\n",
               h->wbuf_chunks, h->abuf_words, h->obuf_words, h->imem_depth);
        printf("packings    %s%s\n", (in.formats & 1) ? "2bit " : "",
               (in.formats & 2) ? "base3" : "");
        printf("memory      %llu bytes, read latency %u cycles\n",
               (unsigned long long)in.dram_size, in.mem_latency);
    }
    tlpu_close(d);
    return CLI_OK;
}

typedef struct mm_bufs {
    int8_t *x, *w;
    uint8_t *wp;
    int32_t *y, *ref;
} mm_bufs;

static void mm_free(mm_bufs *b)
{
    free(b->x);
    free(b->w);
    free(b->wp);
    free(b->y);
    free(b->ref);
}

/* an int8 2-D array from a .npy file; trits: values in {-1, 0, 1} */
static int load_i8(const char *cmd, const char *opt, const char *path, int trits, int8_t **out,
                   uint64_t *rows, uint64_t *cols)
{
    tlpu_npy a;
    char err[256];
    if (tlpu_npy_read(path, &a, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "%s: %s", opt, err);
        return CLI_USAGE;
    }
    if (a.dtype != TLPU_NPY_I8 || a.ndim != 2 || a.shape[0] == 0 || a.shape[1] == 0) {
        cli_error(cmd, "%s: %s holds %s with %u dimensions; need a 2-D int8 array", opt, path,
                  tlpu_npy_dtype_name(a.dtype), a.ndim);
        tlpu_npy_free(&a);
        return CLI_USAGE;
    }
    if (a.shape[0] > 1000000 || a.shape[1] > 1000000) {
        cli_error(cmd, "%s: %s is %llux%llu, too large", opt, path,
                  (unsigned long long)a.shape[0], (unsigned long long)a.shape[1]);
        tlpu_npy_free(&a);
        return CLI_USAGE;
    }
    const int8_t *v = a.data;
    for (size_t i = 0; trits && i < a.nbytes; i++)
        if (v[i] < -1 || v[i] > 1) {
            cli_error(cmd, "%s: %s element %zu (row %llu) is %d, not a trit (-1, 0, 1)", opt,
                      path, i, (unsigned long long)(i / a.shape[1]), v[i]);
            tlpu_npy_free(&a);
            return CLI_USAGE;
        }
    *out = malloc(a.nbytes);
    if (!*out) {
        tlpu_npy_free(&a);
        cli_error(cmd, "out of memory");
        return CLI_FAIL;
    }
    memcpy(*out, a.data, a.nbytes);
    *rows = a.shape[0];
    *cols = a.shape[1];
    tlpu_npy_free(&a);
    return CLI_OK;
}

int cmd_matmul(int argc, char **argv)
{
    const char *cmd = "matmul", *uri = NULL, *xpath = NULL, *wpath = NULL, *ypath = NULL;
    uint64_t m = 8, k = 1000, n = 64, seed = 1;
    unsigned fmt = TLPU_FMT_PACK3;
    int json = 0, have_shape = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        uint64_t *dst = NULL, hi = 65536;
        if (strcmp(argv[i], "--m") == 0)
            dst = &m;
        else if (strcmp(argv[i], "--k") == 0)
            dst = &k;
        else if (strcmp(argv[i], "--n") == 0)
            dst = &n;
        else if (strcmp(argv[i], "--seed") == 0)
            dst = &seed, hi = UINT64_MAX;
        if (dst) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_parse_u64(cmd, argv[i - 1], v, dst == &seed ? 0 : 1, hi, dst))
                return CLI_USAGE;
            have_shape |= dst != &seed;
        } else if (strcmp(argv[i], "--device") == 0 || strcmp(argv[i], "--x") == 0 ||
                   strcmp(argv[i], "--w") == 0 || strcmp(argv[i], "--y") == 0) {
            const char **to = argv[i][2] == 'd' ? &uri : argv[i][2] == 'x' ? &xpath
                            : argv[i][2] == 'w' ? &wpath : &ypath;
            if (!(*to = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
        } else if (strcmp(argv[i], "--packing") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
            if (strcmp(v, "base3") == 0)
                fmt = TLPU_FMT_PACK3;
            else if (strcmp(v, "2bit") == 0)
                fmt = TLPU_FMT_PACK2;
            else {
                cli_error(cmd, "--packing: '%s' is not base3 or 2bit", v);
                return CLI_USAGE;
            }
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            cli_error(cmd, "unknown option '%s'", argv[i]);
            return CLI_USAGE;
        }
    }
    if (!uri) {
        cli_error(cmd, "--device URI is required (e.g. sim:, model:)");
        return CLI_USAGE;
    }
    if (!xpath != !wpath) {
        cli_error(cmd, "--x and --w go together (or neither: random data)");
        return CLI_USAGE;
    }
    if (xpath && have_shape) {
        cli_error(cmd, "--m/--k/--n come from the files with --x/--w");
        return CLI_USAGE;
    }
    mm_bufs b;
    memset(&b, 0, sizeof b);
    int rc = CLI_OK;
    if (xpath) {
        uint64_t xr, xc, wr, wc;
        if ((rc = load_i8(cmd, "--x", xpath, 0, &b.x, &xr, &xc)) ||
            (rc = load_i8(cmd, "--w", wpath, 1, &b.w, &wr, &wc))) {
            mm_free(&b);
            return rc;
        }
        if (xc != wc) {
            cli_error(cmd, "--x is %llux%llu and --w is %llux%llu: K differs",
                      (unsigned long long)xr, (unsigned long long)xc, (unsigned long long)wr,
                      (unsigned long long)wc);
            mm_free(&b);
            return CLI_USAGE;
        }
        m = xr, k = xc, n = wr;
    } else {
        b.x = malloc(m * k);
        b.w = malloc(n * k);
        if (!b.x || !b.w) {
            cli_error(cmd, "out of memory");
            mm_free(&b);
            return CLI_FAIL;
        }
        tlpu_rng r = tlpu_rng_seed(seed);
        for (size_t i = 0; i < m * k; i++)
            b.x[i] = (int8_t)(tlpu_rng_next(&r) & 0xFF);
        for (size_t i = 0; i < n * k; i++)
            b.w[i] = (int8_t)((int)(tlpu_rng_next(&r) % 3) - 1);
    }
    size_t rb = tlpu_packed_row_bytes(fmt, (uint32_t)k);
    b.wp = malloc(n * rb);
    b.y = malloc(m * n * sizeof *b.y);
    b.ref = malloc(m * n * sizeof *b.ref);
    if (!b.wp || !b.y || !b.ref) {
        cli_error(cmd, "out of memory");
        mm_free(&b);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        tlpu_status st = fmt == TLPU_FMT_PACK3 ? tlpu_pack3(b.w + i * k, k, b.wp + i * rb, rb)
                                               : tlpu_pack2(b.w + i * k, k, b.wp + i * rb, rb);
        if (st != TLPU_OK) {
            cli_error(cmd, "packing weight row %zu: %s", i, tlpu_strerror(st));
            mm_free(&b);
            return CLI_FAIL;
        }
    }
    tlpu_dev *d = NULL;
    if ((rc = open_dev(cmd, uri, &d))) {
        mm_free(&b);
        return rc;
    }
    tlpu_bitlinear_args a = {(uint32_t)m, (uint32_t)k, (uint32_t)n, b.x, fmt, b.wp, b.y,
                             NULL, 0.0f, NULL, NULL};
    tlpu_bitlinear_stats s;
    tlpu_dev_time t0, t1;
    const int timed = tlpu_get_time(d, &t0) == TLPU_OK; /* sc: models the board's time */
    tlpu_status st = tlpu_dev_bitlinear(d, &a, &s);
    if (timed)
        tlpu_get_time(d, &t1);
    tlpu_dev_info in;
    tlpu_get_info(d, &in);
    tlpu_close(d);
    if (st != TLPU_OK) {
        cli_error(cmd, "%llux%llux%llu on %s: %s", (unsigned long long)m, (unsigned long long)k,
                  (unsigned long long)n, uri, tlpu_last_error());
        mm_free(&b);
        return st == TLPU_ERR_SHAPE || st == TLPU_ERR_NOMEM ? CLI_USAGE : CLI_FAIL;
    }
    st = tlpu_bitlinear(m, k, n, b.x, b.w, b.ref);
    if (st != TLPU_OK) {
        cli_error(cmd, "reference BitLinear: %s", tlpu_strerror(st));
        mm_free(&b);
        return CLI_FAIL;
    }
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < m * n; i++)
        if (b.y[i] != b.ref[i] && !bad++)
            first = i;
    if (ypath) {
        char err[256];
        size_t shape[2] = {(size_t)m, (size_t)n};
        if (tlpu_npy_write(ypath, TLPU_NPY_I32, 2, shape, b.y, err, sizeof err) != TLPU_OK) {
            cli_error(cmd, "--y: %s", err);
            mm_free(&b);
            return CLI_FAIL;
        }
    }
    const char *pk = fmt == TLPU_FMT_PACK3 ? "base3" : "2bit";
    if (json) {
        printf("{\"device\": \"%s\", \"m\": %llu, \"k\": %llu, \"n\": %llu, \"packing\": \"%s\", "
               "\"cycles\": %llu, \"predicted_cycles\": %llu, \"utilization\": %.6f, "
               "\"instructions\": %u, \"weight_bytes\": %llu, \"dram_read_bytes\": %llu, "
               "\"dram_write_bytes\": %llu, \"lane_adds\": %llu, \"lane_subs\": %llu, "
               "\"lane_skips\": %llu, \"mismatches\": %zu, \"check\": \"%s\"}\n",
               uri, (unsigned long long)m, (unsigned long long)k, (unsigned long long)n, pk,
               (unsigned long long)s.cycles, (unsigned long long)s.predicted_cycles,
               s.utilization, s.insns, (unsigned long long)s.weight_bytes,
               (unsigned long long)s.counters[TLPU_CNTI_DRAM_RD_BYTES],
               (unsigned long long)s.counters[TLPU_CNTI_DRAM_WR_BYTES],
               (unsigned long long)s.counters[TLPU_CNTI_LANE_ADDS],
               (unsigned long long)s.counters[TLPU_CNTI_LANE_SUBS],
               (unsigned long long)s.counters[TLPU_CNTI_LANE_SKIPS], bad, bad ? "FAIL" : "exact");
    } else {
        char lanes[48] = "";
        if (in.proto_version)
            snprintf(lanes, sizeof lanes, " (%u x %u lanes)", in.hw.rows, in.hw.cols);
        printf("BitLinear %llux%llux%llu, %s weights, on %s%s\n", (unsigned long long)m,
               (unsigned long long)k, (unsigned long long)n, pk, uri, lanes);
        if (!in.proto_version)
            printf("  (no core: the C reference's exact products, no cycles or counters)\n");
        else
            printf("  cycles       %llu (timing model: %llu)\n", (unsigned long long)s.cycles,
               (unsigned long long)s.predicted_cycles);
        if (in.proto_version) {
            printf("  utilization  %.1f%% of %u lanes\n", 100 * s.utilization,
                   in.hw.rows * in.hw.cols);
            printf("  program      %u instructions, weight image %llu bytes\n", s.insns,
                   (unsigned long long)s.weight_bytes);
            printf("  DRAM         %llu bytes read, %llu written\n",
                   (unsigned long long)s.counters[TLPU_CNTI_DRAM_RD_BYTES],
                   (unsigned long long)s.counters[TLPU_CNTI_DRAM_WR_BYTES]);
        }
        if (bad)
            printf("  check        FAIL: %zu of %llu outputs differ from the reference (first "
                   "y[%zu][%zu] = %d, want %d)\n",
                   bad, (unsigned long long)(m * n), first / n, first % n, b.y[first],
                   b.ref[first]);
        else
            printf("  check        exact: all %llu outputs equal the C reference\n",
                   (unsigned long long)(m * n));
        if (timed) {
            double tot = t1.total_s - t0.total_s;
            printf("  board time   %.1f us: link %.1f, firmware %.1f, DRAM %.1f, core %.1f us "
                   "(%llu packets, %llu bytes on the link)\n",
                   1e6 * tot, 1e6 * (t1.link_s - t0.link_s), 1e6 * (t1.fw_s - t0.fw_s),
                   1e6 * (t1.dram_s - t0.dram_s), 1e6 * (t1.core_s - t0.core_s),
                   (unsigned long long)(t1.packets - t0.packets),
                   (unsigned long long)(t1.link_bytes - t0.link_bytes));
            printf("  board energy link %.3g J, DRAM (firmware DMA) %.3g J\n",
                   t1.link_j - t0.link_j, t1.dram_j - t0.dram_j);
        }
    }
    mm_free(&b);
    return bad ? CLI_FAIL : CLI_OK;
}
