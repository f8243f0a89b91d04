#!/usr/bin/env bash
# Demonstrates tests/slurm/cluster.sh: a private single-node Slurm cluster
# runs a job array, loses one task mid-run and completes it again, twice:
#   A. a 6-task array (0-5), all outputs checked;
#   B. task 2 is cancelled mid-run (scancel JOB_2) and requeued
#      (scontrol requeue JOB_2); it runs again with SLURM_RESTART_COUNT=1;
#   C. task 2's process is killed (kill -9, as a crash or OOM would) and
#      only the missing index is resubmitted (sbatch --array=2).
# Each finished task appends one line to a ledger: nothing may be counted
# twice. Prints timings. Exit 0 ok, 77 Slurm cannot run here, 1 failure.
#
#   tests/slurm/demo.sh [DIR]     (default: a new directory under /tmp,
#                                  removed again unless the demo fails)
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CLUSTER=$HERE/cluster.sh
own_dir=0
if [ $# -ge 1 ]; then DIR=$1; else DIR=$(mktemp -d /tmp/tlpu-slurm.XXXXXX); own_dir=1; fi

fail() { echo "demo: FAIL: $*" >&2; exit 1; }
ms() { date +%s%3N; }
step() { echo; echo "== $*"; }

started=0
cleanup() {
  local rc=$?
  if [ $started -eq 1 ]; then
    local t0; t0=$(ms)
    "$CLUSTER" stop "$DIR" || rc=1
    echo "demo: stop took $(( $(ms) - t0 )) ms"
  fi
  # a directory of our own is removed after success and kept for a post-mortem
  if [ $own_dir -eq 1 ]; then
    if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then rm -rf -- "$DIR"; else echo "demo: logs kept in $DIR/log" >&2; fi
  fi
  exit $rc
}
trap cleanup EXIT

# --- helpers -----------------------------------------------------------------

# alive PID: running (a zombie waiting for a lazy init to reap it is not)
alive() { [ -r "/proc/$1/status" ] && ! grep -qs '^State:[[:space:]]*[ZX]' "/proc/$1/status"; }

# wait_done JOB SECONDS: until squeue lists nothing of JOB (pending, running or
# completing). squeue failing (slurmctld gone) is an error, not "done".
wait_done() {
  local job=$1 deadline=$(( $(date +%s) + $2 )) out
  while :; do
    out=$(squeue -h -j "$job" -o '%i %T') || fail "squeue failed while waiting for $job"
    [ -z "$out" ] && return 0
    [ "$(date +%s)" -lt $deadline ] || { echo "$out" >&2; fail "job $job not done after $2 s"; }
    sleep 0.2
  done
}
# wait_state JOB STATE SECONDS
wait_state() {
  local job=$1 want=$2 deadline=$(( $(date +%s) + $3 )) st
  while :; do
    st=$(squeue -h -j "$job" -o %T 2>/dev/null || true)
    [ "$st" = "$want" ] && return 0
    [ "$(date +%s)" -lt $deadline ] || fail "job $job is '${st:-gone}', not $want, after $3 s"
    sleep 0.1
  done
}
# task_state JOB_TASK: JobState and ExitCode from slurmctld (kept MinJobAge s).
task_state() {
  scontrol -o show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).* ExitCode=\([0-9:]*\).*/\1 \2/p' | head -n1
}
# check_all JOB N: tasks 0..N-1 COMPLETED 0:0, out.I holds I, the ledger lists
# each index exactly once.
check_all() {
  local job=$1 n=$2 d=$3 i st
  for (( i=0; i<n; i++ )); do
    st=$(task_state "${job}_$i")
    [ "$st" = "COMPLETED 0:0" ] || fail "task ${job}_$i is '$st'"
    [ "$(cut -d' ' -f1 <"$d/out.$i")" = "$i" ] || fail "$d/out.$i: $(cat "$d/out.$i")"
  done
  local want got
  want=$(seq 0 $((n - 1)))
  got=$(sort -n "$d/ledger")
  [ "$got" = "$want" ] || fail "ledger of $d is not 0..$((n-1)) once each: $(echo "$got" | tr '\n' ' ')"
}

# --- start -------------------------------------------------------------------

step "start a cluster under $DIR"
t0=$(ms)
set +e
"$CLUSTER" start "$DIR"
rc=$?
set -e
case $rc in
  0) started=1 ;;
  77) echo "demo: SKIP (exit 77): Slurm cannot run here"; exit 77 ;;
  *) fail "cluster.sh start exited $rc" ;;
esac
t_start=$(( $(ms) - t0 ))
# shellcheck source=/dev/null
. "$DIR/env.sh"
sinfo
echo "SLURM_CONF=$SLURM_CONF"

# The job body is one script; its behaviour for task 2 depends on MODE.
mkdir -p "$DIR/jobs"
cat >"$DIR/jobs/task.sh" <<'EOF'
#!/bin/bash
# $1 = mode: plain | slow2 (task 2 sleeps 60 s on its first run)
i=$SLURM_ARRAY_TASK_ID
echo $$ >"pid.$i"
if [ "$1" = slow2 ] && [ "$i" = 2 ] && [ "${SLURM_RESTART_COUNT:-0}" = 0 ] && [ ! -e resubmitted ]; then
  sleep 60
fi
echo "$i restart=${SLURM_RESTART_COUNT:-0} host=$(hostname)" >"out.$i"
sleep 1
echo "$i" >>ledger        # one line per finished task
EOF
chmod +x "$DIR/jobs/task.sh"

# --- A: a plain array --------------------------------------------------------

step "A: sbatch --array=0-5 (1 s per task, $(nproc) CPUs)"
A=$DIR/a; mkdir -p "$A"
t0=$(ms)
# shellcheck disable=SC2016  # expanded by the job, not here
ja=$(sbatch --parsable --array=0-5 --chdir="$A" -o "$A/slurm-%A_%a.out" \
       --wrap 'echo $SLURM_ARRAY_TASK_ID > out.$SLURM_ARRAY_TASK_ID; echo $SLURM_ARRAY_TASK_ID >> ledger; sleep 1')
echo "job $ja"
wait_done "$ja" 60
t_array=$(( $(ms) - t0 ))
check_all "$ja" 6 "$A"
echo "outputs: $(cat "$A"/out.* | tr '\n' ' ')  -> all 6 tasks COMPLETED in $t_array ms"

# --- B: cancel one task mid-run, requeue it -----------------------------------

step "B: task 2 runs 60 s; scancel JOB_2 mid-run, then scontrol requeue JOB_2"
B=$DIR/b; mkdir -p "$B"
t0=$(ms)
jb=$(sbatch --parsable --array=0-5 --chdir="$B" -o "$B/slurm-%A_%a.out" "$DIR/jobs/task.sh" slow2)
echo "job $jb"
wait_state "${jb}_2" RUNNING 30
sleep 1
pid2=$(cat "$B/pid.2")
scancel "${jb}_2"
t_kill=$(ms)
# wait until the task has left RUNNING/COMPLETING and its process is gone
deadline=$(( $(date +%s) + 20 ))
while squeue -h -j "${jb}_2" -o %T | grep -qE 'RUNNING|COMPLETING' || alive "$pid2"; do
  [ "$(date +%s)" -lt $deadline ] || fail "task ${jb}_2 (pid $pid2) did not stop after scancel"
  sleep 0.1
done
echo "after scancel: task 2 is '$(task_state "${jb}_2")', its process $pid2 is gone ($(( $(ms) - t_kill )) ms)"
scontrol requeue "${jb}_2"
t_rq=$(ms)
echo "requeued: $(scontrol -o show job "${jb}_2" | grep -o 'JobState=[A-Z]* \|Restarts=[0-9]*\|StartTime=[^ ]*' | tr '\n' ' ')"
wait_done "$jb" 90
t_b=$(( $(ms) - t0 )); t_requeue=$(( $(ms) - t_rq ))
check_all "$jb" 6 "$B"
grep -q 'restart=1' "$B/out.2" || fail "task 2 did not run as a restart: $(cat "$B/out.2")"
echo "out.2: $(cat "$B/out.2")"
echo "ledger: $(sort -n "$B/ledger" | tr '\n' ' ') -> each task once; requeue->done $t_requeue ms, whole B $t_b ms"

# --- C: kill the task's process, resubmit only the missing index ---------------

step "C: task 2 runs 60 s; kill -9 its process, then sbatch --array=2 again"
C=$DIR/c; mkdir -p "$C"
t0=$(ms)
jc=$(sbatch --parsable --array=0-5 --chdir="$C" -o "$C/slurm-%A_%a.out" "$DIR/jobs/task.sh" slow2)
echo "job $jc"
wait_state "${jc}_2" RUNNING 30
sleep 1
pid2=$(cat "$C/pid.2")
kill -9 "$pid2"
wait_done "$jc" 60
echo "after kill -9 $pid2: task 2 is '$(task_state "${jc}_2")'"
[ "$(task_state "${jc}_2" | cut -d' ' -f1)" = FAILED ] || fail "task ${jc}_2 should have FAILED"
missing=()
for i in 0 1 2 3 4 5; do [ -s "$C/out.$i" ] || missing+=("$i"); done
echo "missing outputs: ${missing[*]:-none}"
[ "${missing[*]:-}" = 2 ] || fail "expected only index 2 missing"
: >"$C/resubmitted"
jc2=$(sbatch --parsable --array="$(IFS=,; echo "${missing[*]}")" --chdir="$C" -o "$C/slurm-%A_%a.out" "$DIR/jobs/task.sh" slow2)
echo "resubmitted as job $jc2"
wait_done "$jc2" 60
t_c=$(( $(ms) - t0 ))
[ "$(task_state "${jc2}_2")" = "COMPLETED 0:0" ] || fail "resubmitted task is '$(task_state "${jc2}_2")'"
got=$(sort -n "$C/ledger" | tr '\n' ' ')
[ "$got" = "0 1 2 3 4 5 " ] || fail "ledger of C: $got"
echo "ledger: $got-> each task once; whole C $t_c ms"

# --- leftovers -----------------------------------------------------------------

step "no task processes left"
left=0
for e in /proc/[0-9]*/environ; do
  grep -qsz '^SLURM_JOB_ID=' "$e" && grep -qszxF "SLURM_CONF=$SLURM_CONF" "$e" && left=$((left + 1))
done
echo "processes of this cluster's jobs still alive: $left"
[ "$left" -eq 0 ] || fail "job processes outlived their jobs"

step "timings"
echo "start: $t_start ms"
echo "array of 6 x 1 s tasks on $(nproc) CPUs: $t_array ms"
echo "cancel + requeue of one task: requeue->done $t_requeue ms (cred_expire + 1 s hold), whole run $t_b ms"
echo "kill -9 + resubmit of one index: whole run $t_c ms"
echo "demo: OK"
