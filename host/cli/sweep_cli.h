/* SPDX-License-Identifier: Apache-2.0 */
/* The tlpu sweep subcommands that run points (cmd_sweep_run.c). */
#ifndef TLPU_SWEEP_CLI_H
#define TLPU_SWEEP_CLI_H

#include "tlpu/sweep.h"

/* "DIR: N points (D done, R running, F failed, P pending), J rejected" */
void sweep_print_counts(const char *dir, const tlpu_sweep_counts *c);

/* argv[0] is "sweep", argv[1] the subcommand */
int sweep_run_cmd(int argc, char **argv);
int sweep_local_cmd(int argc, char **argv);
int sweep_slurm_cmd(int argc, char **argv);
/* what a status adds after the counts: the failed points' reasons and the
 * Slurm jobs the directory submitted */
void sweep_status_extra(const char *dir);

#endif
