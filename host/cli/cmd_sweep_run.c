/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu sweep run | local | slurm - running a planned sweep's points
 * (docs/sweep.md):
 *
 *   tlpu sweep run DIR --point I | --points A-B [--force] [--quiet]
 *       in this process, one after the other; a range may run past the
 *       plan's last point (the last chunk of a job array)
 *   tlpu sweep local DIR [-j N] [--chunk C] [--bar | --no-bar]
 *       every chunk with an unfinished point through GNU parallel, with its
 *       progress bar and a joblog (DIR/local/joblog)
 *   tlpu sweep slurm DIR [--chunk C] [--partition P] [--time T]
 *                        [--account A] [--max-parallel N] [--tlpu PATH]
 *                        [--sbatch-arg ARG]... [--dry-run]
 *       every chunk with an unfinished point as one task of a Slurm job
 *       array (sbatch --array), requeue-safe: a task skips finished points
 *       and each result is written atomically
 *
 * Neither engine is a scheduler of tlpu's own: a point is the unit of work,
 * its result file the only record that it is done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "sweep_cli.h"
#include "tlpu/sweep.h"

static const char *const cmd = "sweep";

void sweep_print_counts(const char *dir, const tlpu_sweep_counts *c)
{
    printf("%s: %u points (%u done, %u running, %u failed, %u pending), %u rejected\n", dir,
           c->points, c->done, c->running, c->failed, c->pending, c->rejected);
}

static int has_result(const char *dir, uint32_t i)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/results/%06u.json", dir, i);
    return access(p, F_OK) == 0;
}

/* "A-B" or "A" */
static int parse_range(const char *v, uint64_t *a, uint64_t *b)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || v[0] == '-' || v[0] == '+')
        return -1;
    unsigned long long y = x;
    if (*end == '-') {
        const char *w = end + 1;
        if (*w < '0' || *w > '9')
            return -1;
        y = strtoull(w, &end, 10);
        if (errno)
            return -1;
    }
    if (*end || y < x || y > 999999)
        return -1;
    *a = x, *b = y;
    return 0;
}

int sweep_run_cmd(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t first = 0, last = 0;
    int have = 0, force = 0, quiet = 0, range = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--point") || !strcmp(argv[i], "--points")) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v)
                return CLI_USAGE;
            range = argv[i - 1][7] == 's';
            if (!range ? cli_parse_u64(cmd, "--point", v, 0, 999999, &first) != 0
                       : parse_range(v, &first, &last) != 0) {
                if (range)
                    cli_error(cmd, "run: --points '%s' is not a range A-B of point numbers", v);
                return CLI_USAGE;
            }
            if (!range)
                last = first;
            if (have) {
                cli_error(cmd, "run: give --point or --points once");
                return CLI_USAGE;
            }
            have = 1;
        } else if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (argv[i][0] == '-' || dir) {
            cli_error(cmd, "run: unexpected argument '%s'", argv[i]);
            return CLI_USAGE;
        } else
            dir = argv[i];
    }
    if (!dir || !have) {
        cli_error(cmd, "run: DIR and --point I (or --points A-B) are required");
        return CLI_USAGE;
    }
    char err[1024];
    int rc = CLI_OK;
    for (uint64_t p = first; p <= last; p++) {
        int skipped = 0;
        tlpu_status st = tlpu_sweep_run(dir, (uint32_t)p, force, &skipped, err, sizeof err);
        if (st == TLPU_ERR_INVALID_ARG && range && p > first && !strstr(err, "NULL"))
            break; /* past the plan's last point: the end of the last chunk */
        if (st != TLPU_OK) {
            cli_error(cmd, "run: %s", err);
            if (st == TLPU_ERR_INVALID_ARG)
                return CLI_USAGE;
            rc = CLI_FAIL; /* recorded in failed/; the other points still run */
            continue;
        }
        if (!quiet)
            printf("%s: point %llu %s\n", dir, (unsigned long long)p,
                   skipped ? "already done" : "done");
    }
    return rc;
}

/* ---- the chunks still to run -------------------------------------------------------------- */

/* chunk k holds points k*C .. k*C+C-1; *ids gets the chunks with a point
 * that has no result, *n how many */
static int todo_chunks(const char *dir, uint32_t points, uint32_t chunk, uint32_t **ids,
                       uint32_t *n)
{
    uint32_t nch = (points + chunk - 1) / chunk;
    *ids = malloc((nch ? nch : 1) * sizeof **ids);
    *n = 0;
    if (!*ids)
        return -1;
    for (uint32_t k = 0; k < nch; k++)
        for (uint32_t i = k * chunk; i < points && i < (k + 1) * chunk; i++)
            if (!has_result(dir, i)) {
                (*ids)[(*n)++] = k;
                break;
            }
    return 0;
}

static int status_of(const char *dir, tlpu_sweep_counts *c)
{
    char err[1024];
    if (tlpu_sweep_status(dir, c, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "%s", err);
        return -1;
    }
    return 0;
}

/* the absolute path of this executable (what the workers run) */
static int self_exe(char *out, size_t n)
{
    ssize_t r = readlink("/proc/self/exe", out, n - 1);
    if (r <= 0 || (size_t)r >= n - 1)
        return -1;
    out[r] = 0;
    return 0;
}

/* runs argv, its stdout into out (cap bytes, NUL-terminated) when out is
 * not NULL; returns the exit status, 127 when it cannot be started, -1 for
 * a signal */
static int run_prog(char *const argv[], char *out, size_t cap)
{
    int pfd[2] = {-1, -1};
    if (out && pipe2(pfd, O_CLOEXEC) != 0)
        return 127;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        if (out)
            dup2(pfd[1], 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    size_t len = 0;
    if (out) {
        close(pfd[1]);
        for (;;) {
            ssize_t r = read(pfd[0], out + len, cap - 1 - len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            len += (size_t)r;
            if (len == cap - 1) { /* drain the rest */
                char junk[256];
                while (read(pfd[0], junk, sizeof junk) > 0)
                    ;
                break;
            }
        }
        out[len] = 0;
        close(pfd[0]);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static int mkdir_in(const char *dir, const char *sub, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, sub);
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        cli_error(cmd, "%s: cannot create: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- GNU parallel --------------------------------------------------------------------------- */

int sweep_local_cmd(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t jobs = 0, chunk = 1;
    int bar = isatty(2);
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i], *v;
        if (!strcmp(o, "-j") || !strcmp(o, "--jobs")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) || cli_parse_u64(cmd, o, v, 1, 1024, &jobs))
                return CLI_USAGE;
        } else if (!strcmp(o, "--chunk")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_parse_u64(cmd, o, v, 1, 1000000, &chunk))
                return CLI_USAGE;
        } else if (!strcmp(o, "--bar"))
            bar = 1;
        else if (!strcmp(o, "--no-bar"))
            bar = 0;
        else if (o[0] == '-' || dir) {
            cli_error(cmd, "local: unexpected argument '%s'", o);
            return CLI_USAGE;
        } else
            dir = o;
    }
    if (!dir) {
        cli_error(cmd, "local: DIR is required");
        return CLI_USAGE;
    }
    if (!jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (uint64_t)n : 1;
    }
    tlpu_sweep_counts c;
    if (status_of(dir, &c))
        return CLI_USAGE;
    /* GNU parallel, not moreutils' program of the same name */
    char ver[256];
    char *vargv[] = {"parallel", "--version", NULL};
    int vr = run_prog(vargv, ver, sizeof ver);
    if (vr == 127 || strncmp(ver, "GNU parallel", 12) != 0) {
        cli_error(cmd, "local: %s: install the Debian package 'parallel' (GNU parallel)",
                  vr == 127 ? "GNU parallel is not installed ('parallel' is not in PATH)"
                            : "'parallel' in PATH is not GNU parallel (moreutils' parallel?)");
        return CLI_FAIL;
    }
    uint32_t *ids, n;
    if (todo_chunks(dir, c.points, (uint32_t)chunk, &ids, &n)) {
        cli_error(cmd, "out of memory");
        return CLI_FAIL;
    }
    char ldir[PATH_MAX], todo[PATH_MAX + 16], joblog[PATH_MAX + 16], self[PATH_MAX];
    int rc = CLI_OK;
    if (!n) {
        printf("%s: nothing to run\n", dir);
        goto counts;
    }
    if (mkdir_in(dir, "local", ldir, sizeof ldir) || self_exe(self, sizeof self)) {
        rc = CLI_FAIL;
        goto out;
    }
    snprintf(todo, sizeof todo, "%s/todo", ldir);
    snprintf(joblog, sizeof joblog, "%s/joblog", ldir);
    FILE *f = fopen(todo, "w");
    if (!f) {
        cli_error(cmd, "local: %s: cannot write: %s", todo, strerror(errno));
        rc = CLI_FAIL;
        goto out;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint64_t a = (uint64_t)ids[k] * chunk, b = a + chunk - 1;
        if (b >= c.points)
            b = c.points - 1;
        fprintf(f, "%llu-%llu\n", (unsigned long long)a, (unsigned long long)b);
    }
    if (fclose(f) != 0) {
        cli_error(cmd, "local: %s: cannot write", todo);
        rc = CLI_FAIL;
        goto out;
    }
    char js[32];
    snprintf(js, sizeof js, "%llu", (unsigned long long)jobs);
    printf("%s: %u chunks of %llu points through GNU parallel -j %s (joblog %s)\n", dir, n,
           (unsigned long long)chunk, js, joblog);
    /* -q: the command's words reach the worker as they are (DIR may hold spaces) */
    char *pargv[24];
    int k = 0;
    pargv[k++] = "parallel";
    pargv[k++] = "--will-cite";
    pargv[k++] = "--halt";
    pargv[k++] = "never";
    pargv[k++] = "-j";
    pargv[k++] = js;
    pargv[k++] = "--joblog";
    pargv[k++] = joblog;
    if (bar)
        pargv[k++] = "--bar";
    pargv[k++] = "-a";
    pargv[k++] = todo;
    pargv[k++] = "-q";
    pargv[k++] = self;
    pargv[k++] = "sweep";
    pargv[k++] = "run";
    pargv[k++] = (char *)dir;
    pargv[k++] = "--points";
    pargv[k++] = "{}";
    pargv[k++] = "--quiet";
    pargv[k] = NULL;
    int pr = run_prog(pargv, NULL, 0);
    if (pr == 127 || pr < 0) {
        cli_error(cmd, "local: GNU parallel %s", pr < 0 ? "was killed" : "could not be started");
        rc = CLI_FAIL;
    } else if (pr > 0)
        fprintf(stderr, "tlpu: sweep: local: %d chunk%s failed (joblog %s)\n", pr,
                pr == 1 ? "" : "s", joblog);
counts:
    if (status_of(dir, &c)) {
        rc = CLI_FAIL;
        goto out;
    }
    sweep_print_counts(dir, &c);
    if (c.failed || c.pending)
        rc = CLI_FAIL;
out:
    free(ids);
    return rc;
}

/* ---- Slurm ---------------------------------------------------------------------------------- */

/* s in single quotes for sh */
static void sh_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* "0-3,5,7-9" from sorted ids */
static char *array_spec(const uint32_t *ids, uint32_t n, uint64_t throttle)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j + 1 < n && ids[j + 1] == ids[j] + 1)
            j++;
        fprintf(f, "%s%u", i ? "," : "", ids[i]);
        if (j > i)
            fprintf(f, "-%u", ids[j]);
        i = j + 1;
    }
    if (throttle)
        fprintf(f, "%%%llu", (unsigned long long)throttle);
    fclose(f);
    return s;
}

int sweep_slurm_cmd(int argc, char **argv)
{
    const char *dir = NULL, *partition = NULL, *time_limit = NULL, *account = NULL;
    const char *tlpu_path = NULL;
    const char *extra[16];
    int nextra = 0, dry = 0;
    uint64_t chunk = 0, throttle = 0;
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i], *v;
        if (!strcmp(o, "--chunk")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_parse_u64(cmd, o, v, 1, 1000000, &chunk))
                return CLI_USAGE;
        } else if (!strcmp(o, "--max-parallel")) {
            if (!(v = cli_value(cmd, argc, argv, &i)) ||
                cli_parse_u64(cmd, o, v, 1, 100000, &throttle))
                return CLI_USAGE;
        } else if (!strcmp(o, "--partition") || !strcmp(o, "--time") ||
                   !strcmp(o, "--account") || !strcmp(o, "--tlpu")) {
            if (!(v = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
            if (!*v || strchr(v, '\n')) {
                cli_error(cmd, "slurm: %s needs a value", o);
                return CLI_USAGE;
            }
            *(o[2] == 'p' ? &partition : o[2] == 'a' ? &account : o[3] == 'i' ? &time_limit
                                                                                : &tlpu_path) = v;
        } else if (!strcmp(o, "--sbatch-arg")) {
            if (!(v = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
            if (nextra == 16) {
                cli_error(cmd, "slurm: at most 16 --sbatch-arg");
                return CLI_USAGE;
            }
            extra[nextra++] = v;
        } else if (!strcmp(o, "--dry-run"))
            dry = 1;
        else if (o[0] == '-' || dir) {
            cli_error(cmd, "slurm: unexpected argument '%s'", o);
            return CLI_USAGE;
        } else
            dir = o;
    }
    if (!dir) {
        cli_error(cmd, "slurm: DIR is required");
        return CLI_USAGE;
    }
    tlpu_sweep_counts c;
    if (status_of(dir, &c))
        return CLI_USAGE;
    /* the array's indices stay below Slurm's default MaxArraySize (1001) */
    if (!chunk)
        chunk = c.points > 1000 ? (c.points + 999) / 1000 : 1;
    char adir[PATH_MAX], self[PATH_MAX];
    if (!realpath(dir, adir)) {
        cli_error(cmd, "slurm: %s: %s", dir, strerror(errno));
        return CLI_USAGE;
    }
    if (tlpu_path) {
        if (!realpath(tlpu_path, self) || access(self, X_OK) != 0) {
            cli_error(cmd, "slurm: --tlpu %s: not an executable", tlpu_path);
            return CLI_USAGE;
        }
    } else if (self_exe(self, sizeof self)) {
        cli_error(cmd, "slurm: cannot find this program's path (give --tlpu PATH)");
        return CLI_FAIL;
    }
    uint32_t *ids, n;
    if (todo_chunks(dir, c.points, (uint32_t)chunk, &ids, &n)) {
        cli_error(cmd, "out of memory");
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    char *spec = NULL;
    if (!n) {
        printf("%s: nothing to submit: every point has a result\n", dir);
        goto out;
    }
    char sdir[PATH_MAX + 8], ldir[PATH_MAX + 16], script[PATH_MAX + 64], out_pat[PATH_MAX + 64];
    if (mkdir_in(adir, "slurm", sdir, sizeof sdir) || mkdir_in(sdir, "logs", ldir, sizeof ldir)) {
        rc = CLI_FAIL;
        goto out;
    }
    /* the script: the same for every submission with this chunk size */
    snprintf(script, sizeof script, "%s/chunk%llu.sbatch", sdir, (unsigned long long)chunk);
    snprintf(out_pat, sizeof out_pat, "%s/%%A_%%a.out", ldir);
    char tmp[PATH_MAX + 80];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", script, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error(cmd, "slurm: %s: cannot write: %s", script, strerror(errno));
        rc = CLI_FAIL;
        goto out;
    }
    fprintf(f,
            "#!/bin/sh\n"
            "# Written by tlpu sweep slurm: array task K runs the points K*%llu .. K*%llu+%llu of\n"
            "# the sweep below. Safe to requeue or resubmit: finished points are skipped,\n"
            "# each result is written atomically, a point runs once at a time.\n"
            "#SBATCH --requeue\n"
            "#SBATCH --open-mode=append\n"
            "set -eu\n"
            "first=$((SLURM_ARRAY_TASK_ID * %llu))\n"
            "echo \"tlpu sweep: task $SLURM_ARRAY_JOB_ID.$SLURM_ARRAY_TASK_ID "
            "restart ${SLURM_RESTART_COUNT:-0} on $(hostname): points $first-$((first + %llu))\"\n"
            "exec ",
            (unsigned long long)chunk, (unsigned long long)chunk, (unsigned long long)chunk - 1,
            (unsigned long long)chunk, (unsigned long long)chunk - 1);
    sh_quote(f, self);
    fputs(" sweep run ", f);
    sh_quote(f, adir);
    fprintf(f, " --points \"$first-$((first + %llu))\" --quiet\n", (unsigned long long)chunk - 1);
    if (fclose(f) != 0 || chmod(tmp, 0755) != 0 || rename(tmp, script) != 0) {
        cli_error(cmd, "slurm: %s: cannot write", script);
        unlink(tmp);
        rc = CLI_FAIL;
        goto out;
    }
    if (!(spec = array_spec(ids, n, throttle))) {
        cli_error(cmd, "out of memory");
        rc = CLI_FAIL;
        goto out;
    }
    char a_array[64 + 16], a_chdir[PATH_MAX + 16], a_out[PATH_MAX + 80], a_part[256],
        a_time[128], a_acct[256];
    char *array_arg = malloc(strlen(spec) + 16);
    if (!array_arg) {
        rc = CLI_FAIL;
        goto out;
    }
    sprintf(array_arg, "--array=%s", spec);
    (void)a_array;
    snprintf(a_chdir, sizeof a_chdir, "--chdir=%s", adir);
    snprintf(a_out, sizeof a_out, "--output=%s", out_pat);
    char *sargv[40];
    int k = 0;
    sargv[k++] = "sbatch";
    sargv[k++] = "--parsable";
    sargv[k++] = array_arg;
    sargv[k++] = "--job-name=tlpu-sweep";
    sargv[k++] = a_chdir;
    sargv[k++] = a_out;
    if (partition) {
        snprintf(a_part, sizeof a_part, "--partition=%s", partition);
        sargv[k++] = a_part;
    }
    if (time_limit) {
        snprintf(a_time, sizeof a_time, "--time=%s", time_limit);
        sargv[k++] = a_time;
    }
    if (account) {
        snprintf(a_acct, sizeof a_acct, "--account=%s", account);
        sargv[k++] = a_acct;
    }
    for (int i = 0; i < nextra; i++)
        sargv[k++] = (char *)extra[i];
    sargv[k++] = script;
    sargv[k] = NULL;
    if (dry) {
        for (int i = 0; sargv[i]; i++)
            printf("%s%s", i ? " " : "", sargv[i]);
        printf("\n");
        free(array_arg);
        goto out;
    }
    char jid[256];
    int sr = run_prog(sargv, jid, sizeof jid);
    free(array_arg);
    jid[strcspn(jid, ";\n")] = 0;
    if (sr != 0 || !jid[0]) {
        cli_error(cmd, "slurm: sbatch %s", sr == 127 ? "is not installed (Debian package "
                                                      "slurm-client), or could not be started"
                                                    : "refused the job array (its message is above)");
        rc = CLI_FAIL;
        goto out;
    }
    char jobs[PATH_MAX + 16];
    snprintf(jobs, sizeof jobs, "%s/jobs", sdir);
    FILE *jf = fopen(jobs, "a");
    if (jf) {
        fprintf(jf, "%s %llu %s\n", jid, (unsigned long long)chunk, spec);
        fclose(jf);
    }
    printf("%s: submitted job %s: %u array task%s of up to %llu points (%s); logs in %s\n", dir,
           jid, n, n == 1 ? "" : "s", (unsigned long long)chunk, spec, ldir);
out:
    free(spec);
    free(ids);
    return rc;
}

/* ---- status extras ---------------------------------------------------------------------------- */

void sweep_status_extra(const char *dir)
{
    char p[PATH_MAX + 64], line[1024];
    tlpu_sweep_counts c;
    char err[512];
    if (tlpu_sweep_status(dir, &c, err, sizeof err) != TLPU_OK)
        return;
    /* why the failed points failed (the first few) */
    uint32_t shown = 0;
    for (uint32_t i = 0; i < c.points && shown < 10 && c.failed; i++) {
        if (has_result(dir, i))
            continue;
        snprintf(p, sizeof p, "%s/failed/%06u.txt", dir, i);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        if (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            printf("  failed: %s\n", line);
            shown++;
        }
        fclose(f);
    }
    /* the job arrays this directory submitted, as Slurm sees them now */
    snprintf(p, sizeof p, "%s/slurm/jobs", dir);
    FILE *jf = fopen(p, "r");
    if (!jf)
        return;
    char ids[4096] = ",";
    size_t len = 1;
    while (fgets(line, sizeof line, jf)) {
        char id[64];
        if (sscanf(line, "%63s", id) == 1 && len + strlen(id) + 2 < sizeof ids)
            len += (size_t)snprintf(ids + len, sizeof ids - len, "%s,", id);
    }
    fclose(jf);
    if (len == 1)
        return;
    /* by name, not by id: squeue refuses ids it has already forgotten */
    char *qargv[] = {"squeue", "-h", "-r", "-n", "tlpu-sweep", "-o", "%F %T", NULL};
    static char q[1 << 16];
    int r = run_prog(qargv, q, sizeof q);
    ids[len - 1] = 0;
    if (r != 0) {
        printf("  slurm: jobs %s: squeue %s\n", ids + 1,
               r == 127 ? "is not installed" : "failed (is the cluster reachable?)");
        return;
    }
    unsigned running = 0, pending = 0, other = 0;
    ids[len - 1] = ',';
    for (char *s = strtok(q, "\n"); s; s = strtok(NULL, "\n")) {
        char id[80], state[64];
        if (sscanf(s, "%62s %63s", id + 1, state) != 2)
            continue;
        id[0] = ',';
        strcat(id, ",");
        if (!strstr(ids, id))
            continue; /* another sweep's */
        if (!strcmp(state, "RUNNING") || !strcmp(state, "COMPLETING"))
            running++;
        else if (!strcmp(state, "PENDING") || !strcmp(state, "REQUEUED"))
            pending++;
        else
            other++;
    }
    ids[len - 1] = 0;
    printf("  slurm: jobs %s: %u task%s running, %u pending%s\n", ids + 1, running,
           running == 1 ? "" : "s", pending, other ? ", others in other states" : "");
}
