#!/usr/bin/env bash
# Synthesizes the RTL with yosys, generic and iCE40, and checks: no latches,
# and no multiplier anywhere in the adder array. Prints the cell / LUT counts.
#   - the weight decoder and the array, small (4x20) and default (32x80);
#   - the whole core, small configuration, buffers included;
#   - the whole core, default configuration, with its buffers (tlpu_ram) as
#     black boxes: at 5.6 Mbit they are SRAM macros in any real flow, and as
#     flip-flops they would only measure yosys's patience.
# Synthesis keeps the hierarchy (each array row is synthesized once; stat -top
# counts every instance), which keeps the default configuration to seconds.
# Usage: synth.sh [OUTDIR]
set -u
rtl=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
pass=0
fail=0

# reads_of <bbram: 0|1> <files...>: read commands; with bbram=1 the RAM
# module is read as a black box (-lib: ports only)
reads_of() {
  local bbram=$1 r="" f
  shift
  for f in "$@"; do
    if [ "$bbram" = 1 ] && [ "$(basename "$f")" = tlpu_ram.sv ]; then
      r+="read_verilog -sv -lib -I$rtl $f; "
    else
      r+="read_verilog -sv -I$rtl $f; "
    fi
  done
  printf '%s' "$r"
}

# run <name> <top> <params> <target: generic|ice40> <blackbox-ram: 0|1> <files...>
run() {
  local name=$1 top=$2 params=$3 target=$4 bbram=$5
  shift 5
  local reads synth
  reads=$(reads_of "$bbram" "$@")
  synth="synth -top $top"
  [ "$target" = ice40 ] && synth="synth_ice40 -top $top -noflatten"
  local log="$out/$name.$target.log"
  local chp=""
  [ -n "$params" ] && chp="chparam $params $top; "
  if yosys -p "$reads $chp$synth; \
      select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*; \
      tee -o $out/$name.$target.stat stat -top $top" >"$log" 2>&1; then
    local total cells luts ffs
    # the last block of "stat -top" is the whole design
    total=$(sed -n '/design hierarchy/,$p' "$out/$name.$target.stat")
    cells=$(grep 'Number of cells' <<<"$total" | tail -1 | awk '{print $4}')
    luts=$(grep 'SB_LUT4' <<<"$total" | tail -1 | awk '{print $2}')
    printf '  %-28s %-7s cells %8s%s\n' "$name" "$target" "$cells" "${luts:+, SB_LUT4 $luts}"
    pass=$((pass + 1))
  else
    echo "synth: $name ($target) failed, see $log:" >&2
    grep -E 'ERROR|Assertion' "$log" >&2
    fail=$((fail + 1))
  fi
}

# nomul <name> <params> <files...>: the array's RTL-level netlist (after
# proc/opt/wreduce, before any techmap could turn a $mul into gates) holds no
# multiply, divide or multiply-accumulate cell.
nomul() {
  local name=$1 params=$2
  shift 2
  local reads
  reads=$(reads_of 0 "$@")
  if yosys -p "$reads chparam $params tlpu_array; hierarchy -top tlpu_array; proc; flatten; \
      opt; wreduce; select -assert-none t:\$mul t:\$div t:\$mod t:\$pow t:\$macc" \
      >"$out/$name.nomul.log" 2>&1; then
    printf '  %-28s no multiplier cells\n' "$name"
    pass=$((pass + 1))
  else
    echo "synth: $name has multiplier cells, see $out/$name.nomul.log" >&2
    fail=$((fail + 1))
  fi
}

array=("$rtl/tlpu_array.sv" "$rtl/tlpu_array_row.sv")
core=("$rtl/tlpu_core.sv" "$rtl/tlpu_fifo.sv" "$rtl/tlpu_dma.sv" "$rtl/tlpu_ex.sv" "$rtl/tlpu_gearbox.sv"
      "$rtl/tlpu_ram.sv" "$rtl/tlpu_wdec.sv" "$rtl/tlpu_pack3_dec.sv" "${array[@]}")
small="-set Rows 4 -set Cols 20 -set WbufChunks 16 -set AbufWords 256 -set ObufWords 32 \
-set ImemDepth 16 -set BurstBeats 4"

echo "yosys synthesis (no latches; no multipliers in the array):"
nomul array-small-4x20 "-set Rows 4 -set Cols 20" "${array[@]}"
nomul array-default-32x80 "-set Rows 32 -set Cols 80" "${array[@]}"
# the two targets run side by side (one yosys each); each prints its own block
synth_target() {
  local target=$1
  pass=0
  fail=0
  run wdec-80 tlpu_wdec "-set Cols 80" $target 0 "$rtl/tlpu_wdec.sv" "$rtl/tlpu_pack3_dec.sv"
  run array-small-4x20 tlpu_array "-set Rows 4 -set Cols 20" $target 0 "${array[@]}"
  run array-default-32x80 tlpu_array "-set Rows 32 -set Cols 80" $target 0 "${array[@]}"
  run core-small tlpu_core "$small" $target 0 "${core[@]}"
  run core-default-logic tlpu_core "" $target 1 "${core[@]}"
  echo "$pass $fail" >"$out/$target.result"
}
checks_pass=$pass
checks_fail=$fail
synth_target generic >"$out/generic.out" 2>&1 &
synth_target ice40 >"$out/ice40.out" 2>&1 &
wait
cat "$out/generic.out" "$out/ice40.out"
pass=$checks_pass
fail=$checks_fail
for target in generic ice40; do
  if [ -f "$out/$target.result" ]; then
    read -r p f <"$out/$target.result"
    pass=$((pass + p))
    fail=$((fail + f))
  else
    echo "synth: $target did not finish" >&2
    fail=$((fail + 1))
  fi
done
echo "synth: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
