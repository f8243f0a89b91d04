#!/usr/bin/env bash
# The area model's logic term against yosys: synthesizes the core (generic
# `synth`, buffers as black boxes, as rtl/synth/synth.sh does for the default
# configuration) for a few configurations the model was NOT fitted on, and
# compares yosys's cell count with `tlpu area --json`'s logic_cells.
#
# Usage: check_area_cells.sh [--tlpu BIN] [--tol PCT] [--jobs N] [--keep DIR] [CONFIG...]
#   CONFIG is a --config string (rows=8,cols=40,queue=4,...; the rest default).
#   Without CONFIGs: the three calibration configurations below.
#   Without --tlpu (or $TLPU): only prints yosys's counts (how the fit data of
#   docs/energy-model.md, "Area", were collected).
#
# The core is synthesized as four separate yosys runs, in parallel: the top
# (tlpu_core with tlpu_dma, tlpu_ex, tlpu_fifo and tlpu_ram as black boxes),
# tlpu_dma (with its gearbox and decoders), tlpu_ex (with the array and its
# rows) and tlpu_fifo (instantiated twice). `synth` keeps the hierarchy and
# optimizes each module on its own, so the sum is the whole core's
# `stat -top` count up to ABC's run-to-run noise (about 0.1%), in half the
# time: one yosys on the whole core re-runs its optimization passes over
# every module until all of them settle.
#
# The tolerance (6%) is the model's own: a formula in lanes, ROWS x log2
# COLS, rows, columns and queue entries against a netlist whose gearbox and
# adder trees grow with the logarithms of their widths; the fit's residuals
# are within 3.5% (docs). The check fails if the RTL grows logic the formula
# does not know about.
set -u
rtl=$(cd "$(dirname "$0")/../../rtl" && pwd)
tlpu=${TLPU:-}
tol=6
jobs=2
keep=""
configs=()
while [ $# -gt 0 ]; do
  case $1 in
    --tlpu) tlpu=$2; shift 2 ;;
    --tol) tol=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "check_area_cells: unknown option '$1'" >&2; exit 2 ;;
    *) configs+=("$1"); shift ;;
  esac
done
# not used in the fit (docs/energy-model.md lists the fit's configurations)
[ ${#configs[@]} -eq 0 ] && configs=("rows=8,cols=60" "rows=12,cols=20,queue=4" "rows=4,cols=100,queue=16")
command -v yosys >/dev/null || { echo "check_area_cells: yosys is not installed" >&2; exit 1; }

if [ -n "$keep" ]; then
  out=$keep
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

# params <config>: "Rows Cols WbufChunks AbufWords ObufWords ImemDepth QueueDepth BurstBeats"
params() {
  local rows=32 cols=80 wbuf=128 abuf=8192 obuf=2048 imem=1024 queue=8 burst=16 kv k v
  local IFS=,
  for kv in $1; do
    k=${kv%%=*}
    v=${kv#*=}
    case $k in
      rows|cols|wbuf|abuf|obuf|imem|queue|burst) printf -v "$k" '%s' "$v" ;;
      *) echo "check_area_cells: unknown key '$k' in '$1'" >&2; return 1 ;;
    esac
  done
  echo "$rows $cols $wbuf $abuf $obuf $imem $queue $burst"
}

# the files of every module except tlpu_ram (a black box) and those in $1
reads_except() {
  local skip=" $1 " r="" f m
  for f in "$rtl"/*.sv; do
    m=$(basename "$f" .sv)
    if [ "$m" = tlpu_ram ] || [[ $skip == *" $m "* ]]; then
      r+="read_verilog -sv -lib -I$rtl $f; "
    else
      r+="read_verilog -sv -I$rtl $f; "
    fi
  done
  printf '%s' "$r"
}

# one job per line: <tag> <top> <black boxes (comma list)> <chparam args>
jobfile=$out/jobs
: >"$jobfile"
declare -A seen
for c in "${configs[@]}"; do
  p=$(params "$c") || exit 2
  read -r R C W A O I Q B <<<"$p"
  tag=r${R}c${C}w${W}a${A}o${O}i${I}q${Q}b${B}
  core="-set Rows $R -set Cols $C -set WbufChunks $W -set AbufWords $A -set ObufWords $O -set ImemDepth $I -set BurstBeats $B -set QueueDepth $Q"
  dma="-set Rows $R -set Cols $C -set WbufChunks $W -set AbufWords $A -set ObufWords $O -set ImemDepth $I -set BurstBeats $B"
  ex="-set Rows $R -set Cols $C -set WbufChunks $W -set AbufWords $A -set ObufWords $O"
  for j in "top.$tag|tlpu_core|tlpu_dma,tlpu_ex,tlpu_fifo|$core" "dma.$tag|tlpu_dma||$dma" \
           "ex.$tag|tlpu_ex||$ex" "fifo.q$Q|tlpu_fifo||-set Width 128 -set Depth $Q"; do
    [ -n "${seen[${j%%|*}]:-}" ] && continue
    seen[${j%%|*}]=1
    echo "$j" >>"$jobfile"
  done
done

# run_job <line>: yosys on one module; writes <tag>.cells (its own cells,
# black-box instances not counted) or <tag>.failed
run_job() {
  local tag top bb chp
  IFS='|' read -r tag top bb chp <<<"$1"
  local reads t0=$SECONDS
  reads=$(reads_except "${bb//,/ }")
  if yosys -q -p "$reads chparam $chp $top; synth -top $top; tee -q -o $out/$tag.stat stat -top $top" \
      >"$out/$tag.log" 2>&1; then
    # the design's total, less the black-box instances it lists (tlpu_ram and bb)
    awk -v bb="tlpu_ram,$bb" '
      BEGIN { n = split(bb, b, ","); for (i = 1; i <= n; i++) isbb[b[i]] = 1 }
      /Number of cells/ { total = $4; inst = 0; unknown = ""; next }
      NF == 2 && ($1 in isbb) { inst += $2 }
      NF == 2 && $1 ~ /^[a-z_0-9]+$/ && $1 ~ /^tlpu_/ && !($1 in isbb) && $1 != "tlpu_pack3_dec" { unknown = unknown " " $1 }
      END { if (unknown != "") { print "unknown black box:" unknown > "/dev/stderr"; exit 1 }
            print total - inst }' "$out/$tag.stat" >"$out/$tag.cells" 2>"$out/$tag.err" ||
      { cat "$out/$tag.err" >>"$out/$tag.log"; mv "$out/$tag.cells" "$out/$tag.failed"; }
  else
    touch "$out/$tag.failed"
  fi
  echo $((SECONDS - t0)) >"$out/$tag.secs"
}
export -f run_job reads_except
export out rtl

start=$SECONDS
# the biggest jobs first (the tops, then the arrays)
sort -t'|' -k2,2 "$jobfile" | tr '\n' '\0' | xargs -0 -P "$jobs" -I{} bash -c 'run_job "$1"' _ {}
elapsed=$((SECONDS - start))

pass=0
fail=0
for f in "$out"/*.failed; do
  [ -e "$f" ] || continue
  tag=$(basename "$f" .failed)
  echo "check_area_cells: yosys failed on $tag, see its log:" >&2
  grep -E 'ERROR|unknown black box' "$out/$tag.log" >&2
  fail=$((fail + 1))
done
[ "$fail" -eq 0 ] || exit 1

printf '%-34s %10s %10s %8s\n' "configuration" "yosys" "model" "diff"
for c in "${configs[@]}"; do
  read -r R C W A O I Q B <<<"$(params "$c")"
  tag=r${R}c${C}w${W}a${A}o${O}i${I}q${Q}b${B}
  top=$(cat "$out/top.$tag.cells")
  dma=$(cat "$out/dma.$tag.cells")
  ex=$(cat "$out/ex.$tag.cells")
  fifo=$(cat "$out/fifo.q$Q.cells")
  total=$((top + dma + ex + 2 * fifo))
  if [ -z "$tlpu" ]; then
    printf '%-34s %10d %10s %8s   (top %d, dma %d, ex %d, fifo 2 x %d)\n' "$c" "$total" - - \
      "$top" "$dma" "$ex" "$fifo"
    continue
  fi
  model=$("$tlpu" area --config "$c" --json | sed -n 's/.*"logic_cells": *\([0-9.e+]*\).*/\1/p' | head -1)
  if [ -z "$model" ]; then
    echo "check_area_cells: '$tlpu area --config $c --json' gave no logic_cells" >&2
    fail=$((fail + 1))
    continue
  fi
  verdict=$(awk -v y="$total" -v m="$model" -v t="$tol" \
    'BEGIN { d = 100 * (m - y) / y; printf "%+.1f%% %s", d, (d <= t && d >= -t) ? "ok" : "FAIL" }')
  printf '%-34s %10d %10.0f %8s\n' "$c" "$total" "$model" "$verdict"
  case $verdict in
    *FAIL) fail=$((fail + 1)) ;;
    *) pass=$((pass + 1)) ;;
  esac
done
echo "check_area_cells: yosys took ${elapsed} s on $jobs jobs"
[ -z "$tlpu" ] && exit 0
echo "check_area_cells: $pass within ${tol}%, $fail not"
[ "$fail" -eq 0 ]
