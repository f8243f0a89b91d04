#!/usr/bin/env bash
# e2e (issue 10): one sweep through GNU parallel and through a real Slurm.
#   test_sweep_slurm.sh TLPU
# 1. `tlpu sweep local -j 2` runs a small sweep (the model: device engine,
#    every BitLinear of the model on the functional core) and merges it;
# 2. a private single-node Slurm (tests/slurm/cluster.sh) runs the same plan
#    with `tlpu sweep slurm` as a job array of 2-point chunks; while it runs,
#    `tlpu sweep status` sees running points and tasks, one task is killed
#    mid-point (SIGKILL, as a crash or the OOM killer would) and another is
#    requeued mid-point (scontrol requeue, as preemption would);
# 3. the killed chunk is re-submitted (`tlpu sweep slurm` again submits
#    only it), the sweep completes, a point finished before the kill is not
#    run again, each point is merged once, and merged.csv equals the local
#    run's byte for byte.
# Exit 0 pass, 1 fail, 77 skip (only where Slurm cannot start here; with
# TLPU_SLURM_REQUIRED=1, as in CI, that fails instead).
set -euo pipefail
TLPU=${1:?usage: test_sweep_slurm.sh TLPU}
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CLUSTER=$HERE/../slurm/cluster.sh
T=$(mktemp -d /tmp/tlpu-sweep.XXXXXX) # short: the cluster's sockets live below it
C=$T/slurm
started=0
fail() { echo "test_sweep_slurm: FAIL: $*" >&2; exit 1; }
cleanup() {
  local rc=$?
  [ $started -eq 1 ] && { "$CLUSTER" stop "$C" >/dev/null || rc=1; }
  if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then rm -rf -- "$T"; else
    echo "test_sweep_slurm: kept $T for a post-mortem" >&2; fi
  exit $rc
}
trap cleanup EXIT

cat >"$T/spec.json" <<'JSON'
{"tlpu_sweep": 1, "name": "slurm e2e", "models": ["bitnet-0.7b"], "prefill": 16, "decode": 4,
 "engine": "model:", "layers": "all",
 "grid": {"rows": [16, 32], "cols": [40, 80], "packing": ["base3", "2bit"]}}
JSON

# --- 1. GNU parallel ------------------------------------------------------------
"$TLPU" sweep plan "$T/spec.json" -o "$T/local" >/dev/null
"$TLPU" sweep local "$T/local" -j 2 --chunk 2 --no-bar || fail "sweep local failed"
[ -s "$T/local/local/joblog" ] || fail "no joblog"
[ "$(tail -n +2 "$T/local/local/joblog" | wc -l)" -eq 4 ] || fail "the joblog does not list 4 chunks"
"$TLPU" sweep merge "$T/local" >/dev/null
grep -q '^index,model,rows,cols,packing,' "$T/local/merged.csv" || fail "merged.csv header"
# every point's device layers ran bit-exact and took the estimated cycles
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { if ($c["device_exact"] != 1 || $c["device_agree"] != 1) bad++ }
         END { exit bad > 0 }' "$T/local/merged.csv" || fail "a device run disagreed with the estimate"

# --- 2. Slurm ----------------------------------------------------------------------
set +e
"$CLUSTER" start "$C"
rc=$?
set -e
case $rc in
  0) started=1 ;;
  77) echo "test_sweep_slurm: SKIP: Slurm cannot run here (cluster.sh start exited 77)"; exit 77 ;;
  *) fail "cluster.sh start exited $rc" ;;
esac
# shellcheck source=/dev/null
. "$C/env.sh"

S=$T/s
"$TLPU" sweep plan "$T/spec.json" -o "$S" >/dev/null
out=$("$TLPU" sweep slurm "$S" --chunk 2 --time 10 --partition tlpu) || fail "sweep slurm: $out"
echo "$out"
job=$(sed -n 's/.*submitted job \([0-9]*\):.*(0-3).*/\1/p' <<<"$out")
[ -n "$job" ] || fail "no job id with array 0-3 in: $out"

# running: the point's lock is held by the process running it
running() { local f; f=$(printf '%s/running/%06u.lock' "$S" "$1"); [ -e "$f" ] && ! flock -n -s "$f" true; }
done_() { [ -e "$(printf '%s/results/%06u.json' "$S" "$1")" ]; }
wait_running() { # POINT SECONDS
  local end=$(( $(date +%s) + $2 ))
  until running "$1"; do
    done_ "$1" && fail "point $1 finished before the test caught it running"
    [ "$(date +%s)" -lt $end ] || fail "point $1 not running after $2 s"
    sleep 0.02
  done
}
wait_job() { # JOB SECONDS: until squeue lists none of its tasks (an squeue error is a failure)
  local end=$(( $(date +%s) + $2 )) q
  while :; do
    q=$(squeue -h -r -j "$1" -o '%i %T') || fail "squeue failed"
    [ -z "$q" ] && return 0
    [ "$(date +%s)" -lt $end ] || { echo "$q" >&2; fail "job $1 not done after $2 s"; }
    sleep 0.2
  done
}

# task 1 runs points 2 and 3: kill it while point 3 runs (point 2 is done)
wait_running 3 120
st=$("$TLPU" sweep status "$S") || true
echo "$st"
grep -Eq '\([0-9]+ done, [1-9][0-9]* running' <<<"$st" || fail "status shows no running point: $st"
grep -Eq "slurm: jobs $job: [1-9][0-9]* tasks? running" <<<"$st" || fail "status shows no running task: $st"
done_ 2 || fail "point 2 not done while point 3 runs"
ino2=$(stat -c '%i %Y' "$S/results/000002.json")
scancel --full --signal=KILL "${job}_1"
# task 2 runs points 4 and 5: requeue it while point 5 runs
wait_running 5 120
scontrol requeue "${job}_2"
wait_job "$job" 180
state=$(scontrol -o show job "${job}_1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n1)
echo "task ${job}_1 ended $state"
[ "$state" != COMPLETED ] || fail "the killed task says COMPLETED"
done_ 3 && fail "point 3 has a result although its task was killed"
restarts=$(scontrol -o show job "${job}_2" | sed -n 's/.* Restarts=\([0-9]*\).*/\1/p' | head -n1)
[ "${restarts:-0}" -ge 1 ] || fail "task ${job}_2 was not requeued (Restarts=${restarts:-?})"
for p in 0 1 2 4 5 6 7; do done_ $p || fail "point $p has no result after the array"; done
st=$("$TLPU" sweep status "$S") || fail "status after the array: $st"
grep -q '(7 done, 0 running, 0 failed, 1 pending)' <<<"$st" || fail "status: $st"

# --- 3. re-submit: only the killed chunk -------------------------------------------------
out=$("$TLPU" sweep slurm "$S" --chunk 2 --time 10) || fail "re-submit: $out"
echo "$out"
job2=$(sed -n 's/.*submitted job \([0-9]*\): 1 array task of up to 2 points (1);.*/\1/p' <<<"$out")
[ -n "$job2" ] || fail "the re-submission is not chunk 1 alone: $out"
wait_job "$job2" 120
st=$("$TLPU" sweep status "$S") || fail "status: $st"
grep -q '(8 done, 0 running, 0 failed, 0 pending)' <<<"$st" || fail "not complete: $st"
[ "$(stat -c '%i %Y' "$S/results/000002.json")" = "$ino2" ] || fail "point 2 ran again"
out=$("$TLPU" sweep slurm "$S") || fail "a third submission failed"
grep -q 'nothing to submit' <<<"$out" || fail "a complete sweep was submitted again: $out"
"$TLPU" sweep merge "$S" >/dev/null
n=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); i=[x["index"] for x in r]; print(len(i), len(set(i)))' "$S/merged.json")
[ "$n" = "8 8" ] || fail "merged.json rows/unique indices: $n"
cmp "$T/local/merged.csv" "$S/merged.csv" || { diff "$T/local/merged.csv" "$S/merged.csv" >&2; fail "Slurm and GNU parallel merged differently"; }
echo "test_sweep_slurm: OK: 8 points through GNU parallel and Slurm (one task killed, one requeued), merged identically"
