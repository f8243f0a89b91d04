/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu-usbemu - runs a command with emulated tlpu boards plugged in, so the
 * usb: transport can be tried without hardware:
 *
 *   tlpu-usbemu [--board CORE [--serial S] [--super-speed]]... -- COMMAND [ARG...]
 *
 * Each --board plugs in one board whose firmware drives CORE (a device URI:
 * model:..., sim:...); --serial and --super-speed apply to the board before
 * them. Without --board: one board, model: core, serial "0". The command
 * sees the boards under /dev/bus/usb/001/ through umockdev; tlpu-usbemu runs
 * itself under umockdev-wrapper when it is not already. Exit status: the
 * command's; 2 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlpu/tlpu.h"
#include "tlpu/usbemu.h"

#define MAX_BOARDS 8

static int usage(const char *msg)
{
    fprintf(stderr, "tlpu-usbemu: %s\n"
                    "usage: tlpu-usbemu [--board CORE [--serial S] [--super-speed]]... -- "
                    "COMMAND [ARG...]\n",
            msg);
    return 2;
}

int main(int argc, char **argv)
{
    if (!tlpu_usbemu_preloaded())
        return tlpu_usbemu_reexec("tlpu-usbemu", argc, argv);
    tlpu_usbemu_board boards[MAX_BOARDS];
    int nb = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "--board") && i + 1 < argc) {
            if (nb == MAX_BOARDS)
                return usage("too many boards (at most 8)");
            boards[nb++] = (tlpu_usbemu_board){argv[++i], NULL, 0};
        } else if (!strcmp(argv[i], "--serial") && i + 1 < argc && nb) {
            boards[nb - 1].serial = argv[++i];
        } else if (!strcmp(argv[i], "--super-speed") && nb) {
            boards[nb - 1].super_speed = 1;
        } else {
            char m[256];
            snprintf(m, sizeof m, "unexpected argument '%s'", argv[i]);
            return usage(m);
        }
    }
    if (i + 1 >= argc)
        return usage("no command given after --");
    if (!nb)
        boards[nb++] = (tlpu_usbemu_board){"model:", "0", 0};
    tlpu_usbemu *e = NULL;
    if (tlpu_usbemu_new(&e) != TLPU_OK)
        return 1;
    for (int b = 0; b < nb; b++) {
        tlpu_status st = tlpu_usbemu_plug(e, &boards[b], NULL);
        if (st != TLPU_OK) {
            fprintf(stderr, "tlpu-usbemu: board %d (%s): %s%s%s\n", b + 1, boards[b].core,
                    tlpu_strerror(st), tlpu_last_error()[0] ? ": " : "", tlpu_last_error());
            tlpu_usbemu_free(e);
            return 1;
        }
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("tlpu-usbemu: fork");
        tlpu_usbemu_free(e);
        return 1;
    }
    if (pid == 0) {
        execvp(argv[i + 1], argv + i + 1);
        fprintf(stderr, "tlpu-usbemu: cannot run %s: %s\n", argv[i + 1], strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    tlpu_usbemu_free(e);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
