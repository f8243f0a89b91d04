#!/usr/bin/env bash
# e2e (issue 10): tlpu sweep's engines on one machine, and its bad input.
#   test_sweep_local.sh TLPU
# - sweep local through GNU parallel: chunks, joblog, re-running skips,
#   a failing point is recorded and reported, --points ranges;
# - the device engines: sim: (the Verilated core) and model: on a built
#   variant agree with each other and with the estimate, bit-exact;
# - the spec's metrics selection; plans that must be refused;
# - sweep slurm's job script and sbatch command (--dry-run), and its
#   errors without Slurm; sweep local without GNU parallel.
set -uo pipefail
TLPU=${1:?usage: test_sweep_local.sh TLPU}
T=$(mktemp -d)
trap 'rm -rf -- "$T"' EXIT
fails=0
# expect CODE REGEX -- ARGS...: tlpu's exit code and combined output
expect() {
  local want=$1 re=$2 out rc
  shift 3
  out=$("$TLPU" "$@" 2>&1)
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -Eq -- "$re" <<<"$out"; then
    echo "FAIL: tlpu $* -> exit $rc (want $want), output:" >&2
    echo "$out" | head -20 >&2
    echo "  (wanted /$re/)" >&2
    fails=$((fails + 1))
  fi
}
check() { if ! eval "$2"; then echo "FAIL: $1" >&2; fails=$((fails + 1)); fi; }

# --- GNU parallel -------------------------------------------------------------------
cat >"$T/est.json" <<'JSON'
{"tlpu_sweep": 1, "name": "local", "models": ["bitnet-0.7b"], "prefill": 8, "decode": 4,
 "metrics": ["ms_per_token", "j_per_token", "tokens_per_s"],
 "grid": {"rows": [16, 32], "cols": [40, 80], "clock": [5e8, 1e9]}}
JSON
expect 0 '8 points \(0 done' -- sweep plan "$T/est.json" -o "$T/e"
expect 0 '3 chunks of 3 points through GNU parallel -j 2' -- sweep local "$T/e" -j 2 --chunk 3 --no-bar
check "joblog lists 3 chunks" '[ "$(tail -n +2 "$T/e/local/joblog" | cut -f9 | grep -c -- "--points")" = 3 ]'
check "last chunk is 6-7" 'grep -q -- "--points 6-7 --quiet" "$T/e/local/joblog"'
expect 0 'nothing to run' -- sweep local "$T/e"
expect 0 '8 rows' -- sweep merge "$T/e"
check "metrics kept in the spec's order" \
  '[ "$(head -1 "$T/e/merged.csv")" = "index,model,rows,cols,clock,ms_per_token,j_per_token,tokens_per_s" ]'
# twice the clock, half the time per token: the points differ only there
check "clock halves ms/token" "awk -F, 'NR==2{a=\$6} NR==3{b=\$6} END{exit !(a > 1.99*b && a < 2.01*b)}' \"$T/e/merged.csv\""
# a run of a range skips what is done and stops at the plan's end
expect 0 'point 7 already done' -- sweep run "$T/e" --points 6-9
expect 2 "not a range" -- sweep run "$T/e" --points 5-2
expect 2 "not a range" -- sweep run "$T/e" --points x
expect 2 "no point 8" -- sweep run "$T/e" --points 8-9
expect 2 "give --point or --points once" -- sweep run "$T/e" --point 1 --points 1-2
# a point that fails: recorded, reported by local (exit 1) and status, the rest runs
expect 0 '' -- sweep plan "$T/est.json" -o "$T/f"
sed -i 's/"rows": 16/"rows": 17/' "$T/f/points/000002.json"
expect 1 '7 done, 0 running, 1 failed, 0 pending' -- sweep local "$T/f" -j 2 --no-bar
check "failed/ says why" 'grep -q "point 2: .*not a buildable core" "$T/f/failed/000002.txt"'
expect 1 'failed: point 2: ' -- sweep status "$T/f"
sed -i 's/"rows": 17/"rows": 16/' "$T/f/points/000002.json"
expect 0 '8 done, 0 running, 0 failed' -- sweep local "$T/f" --no-bar
check "failed/ cleared" '[ ! -e "$T/f/failed/000002.txt" ]'
# no GNU parallel, or another program of that name
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "parallel from moreutils"\n' >"$T/bin/parallel"
chmod +x "$T/bin/parallel"
expect 0 '' -- sweep plan "$T/est.json" -o "$T/g"
out=$(PATH="$T/bin:/usr/bin:/bin" "$TLPU" sweep local "$T/g" 2>&1); rc=$?
check "moreutils parallel refused ($rc: $out)" '[ $rc = 1 ] && grep -q "is not GNU parallel" <<<"$out"'
out=$(PATH="/nonexistent" "$TLPU" sweep local "$T/g" 2>&1); rc=$?
check "missing parallel named ($rc: $out)" '[ $rc = 1 ] && grep -q "install the Debian package .parallel." <<<"$out"'
expect 2 "local: DIR is required" -- sweep local
expect 2 "unexpected argument '--fast'" -- sweep local "$T/g" --fast
expect 2 "not a planned sweep" -- sweep local "$T"
expect 2 "-j" -- sweep local "$T/g" -j 0

# --- device engines -------------------------------------------------------------------
cat >"$T/sim.json" <<'JSON'
{"tlpu_sweep": 1, "name": "rtl", "models": ["bitnet-0.7b"], "prefill": 4, "decode": 1,
 "engine": "sim:", "layers": ["down_proj", "q_proj"], "seed": 7,
 "grid": {"variant": ["small", "default"], "latency": [16, 40]}}
JSON
expect 0 '4 points \(0 done.*0 rejected' -- sweep plan "$T/sim.json" -o "$T/s"
sed 's/"sim:"/"model:"/' "$T/sim.json" >"$T/model.json"
expect 0 '4 points' -- sweep plan "$T/model.json" -o "$T/m"
expect 0 '4 points \(4 done' -- sweep local "$T/s" -j 2 --no-bar
expect 0 '4 points \(4 done' -- sweep local "$T/m" -j 2 --no-bar
expect 0 '' -- sweep merge "$T/s"
expect 0 '' -- sweep merge "$T/m"
check "sim: and model: give the same rows" 'cmp -s "$T/s/merged.csv" "$T/m/merged.csv"'
check "4 BitLinear runs per point, exact, as estimated" "awk -F, 'NR==1{for(i=1;i<=NF;i++)c[\$i]=i;next} {if(\$c[\"device_layers\"]!=4||\$c[\"device_exact\"]!=1||\$c[\"device_agree\"]!=1||\$c[\"device_cycles\"]!=\$c[\"estimate_cycles\"])b++} END{exit b>0 || NR!=5}' \"$T/s/merged.csv\""
check "the device URI is recorded" 'grep -q "\"device\": \"sim:variant=small,latency=40" "$T/s/results/000001.json"'
# a core sim: does not have is rejected with the reason, model: takes it
cat >"$T/sim2.json" <<'JSON'
{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "prefill": 4, "decode": 1, "engine": "sim:",
 "grid": {"rows": [4, 32], "cols": [20, 80]}}
JSON
expect 0 '1 points .* 3 rejected' -- sweep plan "$T/sim2.json" -o "$T/s2"
check "rejected names the built variants" 'grep -q "sim: has no 4x20 core with these buffers built" "$T/s2/rejected.json"'

# --- specs that must be refused ----------------------------------------------------------
bad() { printf '%s' "$2" >"$T/bad.json"; rm -rf "$T/b"; expect 2 "$1" -- sweep plan "$T/bad.json" -o "$T/b"; }
bad 'engine "usb:": one of "estimate", "model:"' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "engine": "usb:"}'
bad '"layers" needs a device engine' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "layers": "all"}'
bad 'layers\[1\]: bitnet-0.7b has no BitLinear "w9"' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "engine": "model:", "layers": ["q_proj", "w9"]}'
bad '"layers" must be "all" or a list' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "engine": "model:", "layers": 3}'
bad '"seed" must be an integer' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "engine": "model:", "seed": -1}'
bad 'metrics\[1\]: unknown metric "speed"' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "metrics": ["j_per_token", "speed"]}'
bad 'unknown metric "device_cycles" without a device engine' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "metrics": ["device_cycles"]}'
bad 'variant must be default, small or large' '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "grid": {"variant": ["huge"]}}'
# a directory an interrupted plan left behind
mkdir -p "$T/stale/points" && : >"$T/stale/points/000009.json"
expect 2 'stale/points is not empty \(an interrupted plan\?\)' -- sweep plan "$T/est.json" -o "$T/stale"

# --- Slurm without a cluster -----------------------------------------------------------
expect 0 '' -- sweep plan "$T/est.json" -o "$T/sl"
"$TLPU" sweep run "$T/sl" --points 0-2 --quiet
expect 0 "^sbatch --parsable --array=1-3%2 --job-name=tlpu-sweep --chdir=$T/sl --output=$T/sl/slurm/logs/%A_%a.out --partition=big --time=5:00 --qos=low $T/sl/slurm/chunk2.sbatch\$" \
  -- sweep slurm "$T/sl" --chunk 2 --partition big --time 5:00 --max-parallel 2 --sbatch-arg --qos=low --dry-run
check "the job script runs its chunk" "grep -q \"^first=\\\$((SLURM_ARRAY_TASK_ID \\* 2))\" '$T/sl/slurm/chunk2.sbatch' && grep -q -- \"--points \\\"\\\$first-\\\$((first + 1))\\\" --quiet\" '$T/sl/slurm/chunk2.sbatch'"
# the script itself, run as Slurm would run task 3 (points 6 and 7)
out=$(SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_JOB_ID=1 sh "$T/sl/slurm/chunk2.sbatch" 2>&1)
check "the job script works outside Slurm ($out)" '[ -e "$T/sl/results/000006.json" ] && [ -e "$T/sl/results/000007.json" ]'
out=$(PATH="/nonexistent" "$TLPU" sweep slurm "$T/sl" 2>&1); rc=$?
check "missing sbatch named ($rc: $out)" '[ $rc = 1 ] && grep -q "sbatch is not installed" <<<"$out"'
expect 2 "unexpected argument" -- sweep slurm "$T/sl" --nodes 3
expect 2 "--tlpu /nonexistent: not an executable" -- sweep slurm "$T/sl" --tlpu /nonexistent
expect 2 "slurm: DIR is required" -- sweep slurm

[ $fails -eq 0 ] || { echo "test_sweep_local: $fails failure(s)" >&2; exit 1; }
echo "test_sweep_local: OK"
