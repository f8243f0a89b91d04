/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu sweep - design-space sweeps (tlpu/sweep.h, docs/sweep.md):
 *
 *   tlpu sweep plan SPEC.json -o DIR     expand the grid into numbered points
 *   tlpu sweep run DIR --point I | --points A-B [--force] [--quiet]
 *                                        run points, each result written atomically
 *   tlpu sweep local DIR [-j N] [--chunk C]
 *                                        every unfinished point through GNU parallel
 *   tlpu sweep slurm DIR [--chunk C] [--partition P] [--time T] ...
 *                                        every unfinished chunk as a Slurm job array
 *   tlpu sweep status DIR                planned, done, failed, pending, rejected
 *   tlpu sweep merge DIR                 merged.csv and merged.json
 *   tlpu sweep report DIR --html FILE    the Pareto fronts of merged.json, one HTML page
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sweep_cli.h"
#include "tlpu/sweep.h"

int cmd_sweep(int argc, char **argv)
{
    const char *cmd = "sweep";
    if (argc < 2) {
        cli_error(cmd, "a subcommand is required: plan, run, local, slurm, status, merge or "
                       "report");
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    char err[1024];
    tlpu_status st;
    tlpu_sweep_counts c;
    if (!strcmp(sub, "plan")) {
        const char *spec = NULL, *dir = NULL;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "-o")) {
                if (!(dir = cli_value(cmd, argc, argv, &i)))
                    return CLI_USAGE;
            } else if (argv[i][0] == '-' || spec) {
                cli_error(cmd, "plan: unexpected argument '%s'", argv[i]);
                return CLI_USAGE;
            } else
                spec = argv[i];
        }
        if (!spec || !dir) {
            cli_error(cmd, "plan: SPEC.json and -o DIR are required");
            return CLI_USAGE;
        }
        if ((st = tlpu_sweep_plan(spec, dir, &c, err, sizeof err)) != TLPU_OK) {
            cli_error(cmd, "plan: %s", err);
            return st == TLPU_ERR_IO ? CLI_FAIL : CLI_USAGE;
        }
        sweep_print_counts(dir, &c);
        return CLI_OK;
    }
    if (!strcmp(sub, "run"))
        return sweep_run_cmd(argc, argv);
    if (!strcmp(sub, "local"))
        return sweep_local_cmd(argc, argv);
    if (!strcmp(sub, "slurm"))
        return sweep_slurm_cmd(argc, argv);
    if (!strcmp(sub, "status") || !strcmp(sub, "merge")) {
        if (argc != 3 || argv[2][0] == '-') {
            cli_error(cmd, "%s: exactly one DIR is required", sub);
            return CLI_USAGE;
        }
        if ((st = tlpu_sweep_status(argv[2], &c, err, sizeof err)) != TLPU_OK) {
            cli_error(cmd, "%s: %s", sub, err);
            return CLI_USAGE;
        }
        if (!strcmp(sub, "merge")) {
            uint32_t rows = 0;
            if ((st = tlpu_sweep_merge(argv[2], &rows, err, sizeof err)) != TLPU_OK) {
                cli_error(cmd, "merge: %s", err);
                return CLI_FAIL;
            }
            printf("%s: %u rows in merged.csv and merged.json\n", argv[2], rows);
        }
        sweep_print_counts(argv[2], &c);
        if (!strcmp(sub, "status"))
            sweep_status_extra(argv[2]);
        return c.failed ? CLI_FAIL : CLI_OK;
    }
    if (!strcmp(sub, "report")) {
        const char *dir = NULL, *html = NULL;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--html")) {
                if (!(html = cli_value(cmd, argc, argv, &i)))
                    return CLI_USAGE;
            } else if (argv[i][0] == '-' || dir) {
                cli_error(cmd, "report: unexpected argument '%s'", argv[i]);
                return CLI_USAGE;
            } else
                dir = argv[i];
        }
        if (!dir || !html) {
            cli_error(cmd, "report: DIR and --html FILE are required");
            return CLI_USAGE;
        }
        uint32_t fronts = 0;
        if ((st = tlpu_sweep_report(dir, html, &fronts, err, sizeof err)) != TLPU_OK) {
            cli_error(cmd, "report: %s", err);
            return st == TLPU_ERR_INVALID_ARG ? CLI_USAGE : CLI_FAIL;
        }
        printf("%s: %s written, %u points on a Pareto front\n", dir, html, fronts);
        return CLI_OK;
    }
    cli_error(cmd, "unknown subcommand '%s' (plan, run, local, slurm, status, merge, report)",
              sub);
    return CLI_USAGE;
}
