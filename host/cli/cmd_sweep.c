/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu sweep - design-space sweeps (tlpu/sweep.h, docs/sweep.md):
 *
 *   tlpu sweep plan SPEC.json -o DIR     expand the grid into numbered points
 *   tlpu sweep run DIR --point I [--force]
 *                                        run one point, its result written atomically
 *   tlpu sweep status DIR                planned, done, failed, pending, rejected
 *   tlpu sweep merge DIR                 merged.csv and merged.json
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tlpu/sweep.h"

static void print_counts(const char *dir, const tlpu_sweep_counts *c)
{
    printf("%s: %u points (%u done, %u failed, %u pending), %u rejected\n", dir, c->points,
           c->done, c->failed, c->pending, c->rejected);
}

int cmd_sweep(int argc, char **argv)
{
    const char *cmd = "sweep";
    if (argc < 2) {
        cli_error(cmd, "a subcommand is required: plan, run, status or merge");
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
        print_counts(dir, &c);
        return CLI_OK;
    }
    if (!strcmp(sub, "run")) {
        const char *dir = NULL;
        uint64_t point = 0;
        int have = 0, force = 0;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--point")) {
                const char *v = cli_value(cmd, argc, argv, &i);
                if (!v || cli_parse_u64(cmd, "--point", v, 0, 999999, &point))
                    return CLI_USAGE;
                have = 1;
            } else if (!strcmp(argv[i], "--force"))
                force = 1;
            else if (argv[i][0] == '-' || dir) {
                cli_error(cmd, "run: unexpected argument '%s'", argv[i]);
                return CLI_USAGE;
            } else
                dir = argv[i];
        }
        if (!dir || !have) {
            cli_error(cmd, "run: DIR and --point I are required");
            return CLI_USAGE;
        }
        int skipped = 0;
        if ((st = tlpu_sweep_run(dir, (uint32_t)point, force, &skipped, err, sizeof err)) !=
            TLPU_OK) {
            cli_error(cmd, "run: %s", err);
            return st == TLPU_ERR_INVALID_ARG ? CLI_USAGE : CLI_FAIL;
        }
        printf("%s: point %llu %s\n", dir, (unsigned long long)point,
               skipped ? "already done" : "done");
        return CLI_OK;
    }
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
        print_counts(argv[2], &c);
        return c.failed ? CLI_FAIL : CLI_OK;
    }
    cli_error(cmd, "unknown subcommand '%s' (plan, run, status, merge)", sub);
    return CLI_USAGE;
}
