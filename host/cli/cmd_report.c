/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu report / tlpu sim - whole-model latency and energy reports.
 *
 *   tlpu report --model NAME|FILE [--prefill P] [--decode D] [--context C]
 *               [--config k=v,...] [--clock HZ] [--latency L]
 *               [--packing base3|2bit] [--energy 7nm|45nm|FILE]
 *               [--effort quick|full] [--zeros F]
 *               [--engine estimate|sim|model | --device URI]
 *               [--simulate all|one-layer|NAME,...]
 *               [--chips N|auto [--sram BYTES] [--c2c serdes|d2d] [--topology ring|full]]
 *               [--json FILE] [--html FILE] [--quiet]
 *   tlpu sim ...   the same, with --engine sim (--config then names the
 *                  core, e.g. rows=4,cols=20) and --simulate one-layer
 *                  unless given
 *
 * Every layer is estimated with the exact timing model; with --device the
 * chosen layers also run on the device through the driver, with the same
 * schedule, on random data: their outputs are checked against the C
 * reference, their cycles and data-independent counters against the
 * estimate, and their measured lane activity replaces the estimated one.
 *
 * An LPU system (--chips, or a device sc:chips=N): every BitLinear split
 * over the chips, times from the static schedules' formula (checked against
 * the simulated schedule on an sc: device), and a scaling study from the
 * smallest chip count that holds the model to 64 chips.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tlpu/bitlinear.h"
#include "tlpu/energy.h"
#include "tlpu/estimate.h"
#include "tlpu/net.h"
#include "tlpu/pack.h"
#include "tlpu/report.h"
#include "tlpu/simulate.h"
#include "tlpu/rng.h"
#include "tlpu/tlpu.h"

typedef struct rep_args {
    const char *model, *config, *energy, *device, *simulate, *json, *html, *engine;
    char uri[320];
    tlpu_est_opts o;
    int quiet;
    const char *chips;             /* --chips N|auto */
    int latency_set;               /* --latency given */
    int lpu_opt;                   /* --sram, --c2c or --topology given */
} rep_args;

/* "230M", "4G", "65536": bytes */
static int parse_bytes(const char *cmd, const char *opt, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    uint64_t mul = 1;
    if (*end == 'K')
        mul = 1ull << 10, end++;
    else if (*end == 'M')
        mul = 1ull << 20, end++;
    else if (*end == 'G')
        mul = 1ull << 30, end++;
    if (errno || end == v || *end || *v == '-' || n == 0 || n > (1ull << 40) / mul) {
        cli_error(cmd, "%s: '%s' is not a size in bytes (e.g. 230M, 1G)", opt, v);
        return -1;
    }
    *out = n * mul;
    return 0;
}

static int parse_args(const char *cmd, int argc, char **argv, rep_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        uint64_t u;
        if (!strcmp(o, "--quiet")) {
            a->quiet = 1;
            continue;
        }
        if (!(v = cli_value(cmd, argc, argv, &i)))
            return -1;
        if (!strcmp(o, "--model"))
            a->model = v;
        else if (!strcmp(o, "--config"))
            a->config = v;
        else if (!strcmp(o, "--energy"))
            a->energy = v;
        else if (!strcmp(o, "--device"))
            a->device = v;
        else if (!strcmp(o, "--simulate"))
            a->simulate = v;
        else if (!strcmp(o, "--json"))
            a->json = v;
        else if (!strcmp(o, "--html"))
            a->html = v;
        else if (!strcmp(o, "--engine")) {
            if (strcmp(v, "estimate") && strcmp(v, "sim") && strcmp(v, "model")) {
                cli_error(cmd, "--engine: '%s' is not estimate, sim or model", v);
                return -1;
            }
            a->engine = v;
        }
        else if (!strcmp(o, "--prefill") || !strcmp(o, "--decode") || !strcmp(o, "--context")) {
            if (cli_parse_u64(cmd, o, v, 0, 1u << 20, &u))
                return -1;
            *(o[2] == 'p' ? &a->o.prefill : o[2] == 'd' ? &a->o.decode : &a->o.context) =
                (uint32_t)u;
        } else if (!strcmp(o, "--latency")) {
            if (cli_parse_u64(cmd, o, v, 1, 1000000, &u))
                return -1;
            a->o.mem_latency = (uint32_t)u;
            a->latency_set = 1;
        } else if (!strcmp(o, "--clock")) {
            char *end;
            double hz = strtod(v, &end);
            if (*end == 'G')
                hz *= 1e9, end++;
            else if (*end == 'M')
                hz *= 1e6, end++;
            if (*end || !(hz >= 1e3 && hz <= 1e11)) {
                cli_error(cmd, "--clock: '%s' is not a clock in Hz (e.g. 1G, 250M)", v);
                return -1;
            }
            a->o.clock_hz = hz;
        } else if (!strcmp(o, "--zeros")) {
            char *end;
            double z = strtod(v, &end);
            if (*end || !(z >= 0 && z <= 1)) {
                cli_error(cmd, "--zeros: '%s' is not a fraction in [0, 1]", v);
                return -1;
            }
            a->o.zero_frac = z;
        } else if (!strcmp(o, "--packing")) {
            if (!strcmp(v, "base3"))
                a->o.fmt = TLPU_FMT_PACK3;
            else if (!strcmp(v, "2bit"))
                a->o.fmt = TLPU_FMT_PACK2;
            else {
                cli_error(cmd, "--packing: '%s' is not base3 or 2bit", v);
                return -1;
            }
        } else if (!strcmp(o, "--chips")) {
            uint64_t n;
            if (strcmp(v, "auto") && cli_parse_u64(cmd, o, v, 1, TLPU_MC_CHIPS_MAX, &n))
                return -1;
            a->chips = v;
        } else if (!strcmp(o, "--sram")) {
            if (parse_bytes(cmd, o, v, &a->o.mc.sram_bytes))
                return -1;
            a->lpu_opt = 1;
        } else if (!strcmp(o, "--c2c")) {
            const tlpu_c2c_link *l = tlpu_c2c_preset(v);
            if (!l) {
                cli_error(cmd, "--c2c: '%s' is not a chip-to-chip preset (%s)", v,
                          tlpu_c2c_names());
                return -1;
            }
            a->o.mc.c2c = *l;
            a->lpu_opt = 1;
        } else if (!strcmp(o, "--topology")) {
            if (tlpu_mc_topology_parse(v, &a->o.mc.topology) != TLPU_OK) {
                cli_error(cmd, "--topology: '%s' is not ring or full", v);
                return -1;
            }
            a->lpu_opt = 1;
        } else if (!strcmp(o, "--effort")) {
            if (!strcmp(v, "quick"))
                a->o.effort = TLPU_TILE_QUICK;
            else if (!strcmp(v, "full"))
                a->o.effort = TLPU_TILE_FULL;
            else {
                cli_error(cmd, "--effort: '%s' is not quick or full", v);
                return -1;
            }
        } else {
            cli_error(cmd, "unknown option '%s'", o);
            return -1;
        }
    }
    if (!a->model) {
        cli_error(cmd, "--model NAME|FILE is required (bitnet-0.7b, bitnet-1.3b, bitnet-3b, "
                       "bitnet-2b4t, llama3-8b-1.58, or a .json file)");
        return -1;
    }
    if (a->o.prefill == 0 && a->o.decode == 0) {
        cli_error(cmd, "--prefill and --decode are both 0: nothing to report");
        return -1;
    }
    if (a->engine && a->device) {
        cli_error(cmd, "--engine and --device: give one (the device's URI names its engine)");
        return -1;
    }
    if (a->engine && strcmp(a->engine, "estimate")) {
        /* --engine sim|model: that device, configured by --config */
        snprintf(a->uri, sizeof a->uri, "%s:%s", a->engine, a->config ? a->config : "");
        a->device = a->uri;
        a->config = NULL;
    }
    if (a->simulate && !a->device) {
        cli_error(cmd, "--simulate needs a device: --engine sim|model or --device URI");
        return -1;
    }
    if (a->config && a->device) {
        cli_error(cmd, "--config and --device: the device's own configuration is used");
        return -1;
    }
    if (a->lpu_opt && !a->chips) {
        cli_error(cmd, "--sram, --c2c and --topology describe an LPU system: give --chips too");
        return -1;
    }
    if (a->chips && a->device) {
        cli_error(cmd, "--chips and --device: an LPU device (sc:chips=N) describes itself");
        return -1;
    }
    return 0;
}

/* whether report layer L is one --simulate chose; the report holds each
 * BitLinear of one decoder layer once per phase, so "one-layer" (one full
 * decoder layer, cycle-accurately) and "all" pick every entry */
static int chosen(const char *sel, const tlpu_report_layer *L)
{
    if (!strcmp(sel, "all") || !strcmp(sel, "one-layer"))
        return 1;
    size_t n = strlen(L->name);
    for (const char *p = sel; (p = strstr(p, L->name)); p += n)
        if ((p == sel || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

static void progress(int on, uint32_t done, uint32_t total, const tlpu_report_layer *L)
{
    if (!on)
        return;
    int w = 30, f = total ? (int)(w * done / total) : w;
    fprintf(stderr, "\r  simulating [%.*s%*s] %u/%u %-10s %-7s", f,
            "##############################", w - f, "", done, total, L ? L->name : "",
            L ? L->phase : "");
    if (done == total)
        fputs("\n", stderr);
    fflush(stderr);
}

static int write_out(const char *cmd, const char *path, const tlpu_report *r, int html)
{
    /* a file is replaced atomically (written beside it, then renamed); a
     * device or a pipe (/dev/stdout, a FIFO) is written in place, never
     * replaced; "-" is standard output */
    struct stat sb;
    const char *sep = "-";
    int direct = strcmp(path, sep) == 0 ||
                 (stat(path, &sb) == 0 &&
                  (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)));
    char tmp[4096];
    if (!direct && snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        cli_error(cmd, "%s: path too long", path);
        return CLI_USAGE;
    }
    FILE *f = !strcmp(path, sep) ? stdout : fopen(direct ? path : tmp, "w");
    if (!f) {
        cli_error(cmd, "cannot write %s", path);
        return CLI_USAGE;
    }
    tlpu_status st = html ? tlpu_report_html(f, r) : tlpu_report_json(f, r);
    int bad = st != TLPU_OK || ferror(f);
    int closed = f == stdout ? fflush(f) : fclose(f);
    if (closed != 0 || bad || (!direct && rename(tmp, path) != 0)) {
        if (!direct)
            remove(tmp);
        cli_error(cmd, "writing %s failed", path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int run_report(const char *cmd, int argc, char **argv, int sim_mode)
{
    rep_args a;
    memset(&a, 0, sizeof a);
    tlpu_est_opts_init(&a.o);
    tlpu_mc_system_default(&a.o.mc);
    a.o.mc.chips = 0; /* a board unless --chips or an LPU device */
    if (parse_args(cmd, argc, argv, &a))
        return CLI_USAGE;
    if (sim_mode && a.engine && !strcmp(a.engine, "estimate")) {
        cli_error(cmd, "--engine estimate: use tlpu report (sim runs layers on a device)");
        return CLI_USAGE;
    }
    if (sim_mode) {
        if (!a.device) {
            snprintf(a.uri, sizeof a.uri, "sim:%s", a.config ? a.config : "");
            a.device = a.uri;
            a.config = NULL;
        }
        if (!a.simulate)
            a.simulate = "one-layer";
    }
    if (a.config && cli_parse_hw_config(cmd, a.config, &a.o.hw))
        return CLI_USAGE;
    tlpu_net net;
    char err[512];
    if (tlpu_net_open(a.model, &net, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "--model: %s", err);
        return CLI_USAGE;
    }
    tlpu_energy_table *tab = NULL;
    const char *en = a.energy ? a.energy : "7nm";
    if (tlpu_energy_open(en, &tab, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "--energy: %s", err);
        return CLI_USAGE;
    }
    tlpu_dev *dev = NULL;
    if (a.device) {
        if (tlpu_open(a.device, &dev) != TLPU_OK) {
            cli_error(cmd, "cannot open device '%s': %s", a.device, tlpu_last_error());
            tlpu_energy_free(tab);
            return CLI_USAGE;
        }
        tlpu_dev_info in;
        tlpu_get_info(dev, &in);
        a.o.hw = in.hw;
        a.o.mem_latency = in.mem_latency;
        tlpu_mc_system sys;
        if (tlpu_get_system(dev, &sys) == TLPU_OK) { /* an LPU device: its own system */
            a.o.mc = sys;
            a.o.clock_hz = sys.clock_hz;
        }
    }
    if (a.chips || a.o.mc.chips) {
        a.o.mc.clock_hz = a.o.clock_hz;
        if (!dev && !a.latency_set) /* the chips' SRAM, not DRAM, feeds the cores */
            a.o.mem_latency = (uint32_t)ceil(TLPU_MC_SRAM_LATENCY_S * a.o.clock_hz - 1e-9);
        if (!a.o.mc.chips)
            a.o.mc.chips = strcmp(a.chips, "auto") ? (uint32_t)strtoul(a.chips, NULL, 10) : 1;
        uint64_t need = 0;
        uint32_t nmin = tlpu_estimate_min_chips(&net, &a.o, &need);
        if (a.chips && !strcmp(a.chips, "auto") && nmin)
            a.o.mc.chips = nmin;
        if (!nmin || a.o.mc.chips < nmin) {
            if (nmin)
                cli_error(cmd, "%s does not fit %u chip%s of %llu bytes of SRAM: with every "
                               "BitLinear split over them it needs at least %u chips",
                          net.name, a.o.mc.chips, a.o.mc.chips == 1 ? "" : "s",
                          (unsigned long long)a.o.mc.sram_bytes, nmin);
            else
                cli_error(cmd, "%s does not fit even %u chips of %llu bytes of SRAM (the "
                               "fullest would need %llu bytes)",
                          net.name, TLPU_MC_CHIPS_MAX, (unsigned long long)a.o.mc.sram_bytes,
                          (unsigned long long)need);
            tlpu_energy_free(tab);
            if (dev)
                tlpu_close(dev);
            return CLI_USAGE;
        }
    }
    static tlpu_report r;
    static tlpu_tiling plans[TLPU_REPORT_MAX_LAYERS];
    int rc = CLI_OK;
    tlpu_status st = tlpu_estimate_net(&net, &a.o, tab, &r, plans);
    if (st != TLPU_OK) {
        cli_error(cmd, "estimating %s: %s", net.name, tlpu_strerror(st));
        rc = st == TLPU_ERR_SHAPE ? CLI_USAGE : CLI_FAIL;
        goto out;
    }
    if (dev) {
        uint32_t todo = 0, done = 0;
        for (uint32_t i = 0; i < r.nlayers; i++)
            todo += chosen(a.simulate, &r.layer[i]);
        if (!todo) {
            cli_error(cmd, "--simulate: '%s' names no layer of %s", a.simulate, net.name);
            rc = CLI_USAGE;
            goto out;
        }
        int bar = !a.quiet && isatty(2);
        for (uint32_t i = 0; i < r.nlayers && rc == CLI_OK; i++) {
            if (!chosen(a.simulate, &r.layer[i]))
                continue;
            progress(bar, done, todo, &r.layer[i]);
            if (a.o.mc.chips) { /* the driver plans every slice with the full search */
                tlpu_est_opts full = a.o;
                full.effort = TLPU_TILE_FULL;
                if ((st = tlpu_estimate_linear(&full, &r.layer[i], &plans[i])) != TLPU_OK) {
                    cli_error(cmd, "estimating %s: %s", r.layer[i].name, tlpu_strerror(st));
                    rc = CLI_FAIL;
                    break;
                }
            }
            char e2[1024];
            if (tlpu_simulate_layer(dev, a.device, &r.layer[i], a.o.mc.chips ? NULL : &plans[i],
                                    a.o.zero_frac, 1000 + i, e2, sizeof e2) != TLPU_OK) {
                cli_error(cmd, "%s", e2);
                rc = CLI_FAIL;
            }
            progress(bar, ++done, todo, &r.layer[i]);
        }
        if (rc != CLI_OK)
            goto out;
        tlpu_dev_info din;
        tlpu_get_info(dev, &din);
        snprintf(r.engine, sizeof r.engine, "%s", din.transport);
        st = tlpu_estimate_totals(&net, &a.o, tab, &r);
        if (st != TLPU_OK) {
            cli_error(cmd, "totals: %s", tlpu_strerror(st));
            rc = CLI_FAIL;
            goto out;
        }
        if (r.nnotes < 4)
            snprintf(r.notes[r.nnotes++], sizeof r.notes[0],
                     "%u of %u layer shapes ran on %s; the others are estimates", done,
                     r.nlayers, a.device);
    }
    if (r.mc.chips) {
        st = tlpu_estimate_scaling(&net, &a.o, tab, &r.scaling, err, sizeof err);
        if (st != TLPU_OK) {
            cli_error(cmd, "scaling study: %s", err);
            rc = CLI_FAIL;
            goto out;
        }
    }
    if (!a.quiet)
        tlpu_report_print(stdout, &r);
    if (a.json && (rc = write_out(cmd, a.json, &r, 0)) != CLI_OK)
        goto out;
    if (a.html && (rc = write_out(cmd, a.html, &r, 1)) != CLI_OK)
        goto out;
    for (uint32_t i = 0; i < r.nlayers; i++) {
        const tlpu_report_layer *L = &r.layer[i];
        if (L->simulated && (!L->sim_exact || L->sim_cycles != L->cycles ||
                             !L->sim_counters_agree ||
                             (r.mc.chips && L->sim_mc_ps != L->mc_ps))) {
            cli_error(cmd, "%s %s on %s: %s", L->name, L->phase, L->device,
                      !L->sim_exact ? "outputs differ from the reference"
                      : L->sim_cycles != L->cycles || !L->sim_counters_agree
                          ? "cycles or counters differ from the estimate"
                          : "the simulated schedule's time differs from the formula's");
            rc = CLI_FAIL;
        }
    }
out:
    if (dev)
        tlpu_close(dev);
    tlpu_energy_free(tab);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    return run_report("report", argc, argv, 0);
}

int cmd_sim(int argc, char **argv)
{
    return run_report("sim", argc, argv, 1);
}
