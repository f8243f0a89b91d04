#!/usr/bin/env bash
# Synthesizes the RTL with yosys for a small and the default configuration,
# generic and iCE40, and checks: no latches, no multiplier cells ($mul, iCE40
# SB_MAC16). Prints the cell / LUT counts of the whole design. Synthesis keeps
# the hierarchy (each array row is synthesized once; stat -top counts every
# instance), which is what keeps the default configuration to seconds.
# Usage: synth.sh [OUTDIR]
set -u
rtl=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
pass=0
fail=0

# run <name> <top> <params> <target: generic|ice40> <files...>
run() {
  local name=$1 top=$2 params=$3 target=$4
  shift 4
  local reads="" f
  for f in "$@"; do reads+="read_verilog -sv -I$rtl $f; "; done
  local synth="synth -top $top"
  [ "$target" = ice40 ] && synth="synth_ice40 -top $top -noflatten"
  local log="$out/$name.$target.log"
  if yosys -p "$reads chparam $params $top; $synth; \
      select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*; \
      select -assert-none t:\$mul t:\$macc t:SB_MAC16; tee -o $out/$name.$target.stat stat -top $top" \
      >"$log" 2>&1; then
    local cells luts
    # the last block of "stat -top" is the whole design
    local total
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

echo "yosys synthesis (no latches, no multipliers):"
for target in generic ice40; do
  run wdec-80 tlpu_wdec "-set Cols 80" $target "$rtl/tlpu_wdec.sv" "$rtl/tlpu_pack3_dec.sv"
  run array-small-4x20 tlpu_array "-set Rows 4 -set Cols 20" $target \
    "$rtl/tlpu_array.sv" "$rtl/tlpu_array_row.sv"
  run array-default-32x80 tlpu_array "-set Rows 32 -set Cols 80" $target \
    "$rtl/tlpu_array.sv" "$rtl/tlpu_array_row.sv"
done
echo "synth: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
