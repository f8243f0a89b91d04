#!/usr/bin/env bash
# verilator --lint-only -Wall on every top of rtl/, with the waivers in
# rtl/lint/tlpu.vlt (each waiver carries its reason). Exit 1 on any warning.
set -u
rtl=$(cd "$(dirname "$0")/.." && pwd)
pass=0
fail=0
lint() { # <top> <files...>
  local top=$1
  shift
  if verilator --lint-only -Wall -I"$rtl" "$rtl/lint/tlpu.vlt" --top-module "$top" "$@"; then
    pass=$((pass + 1))
  else
    echo "lint: $top has warnings" >&2
    fail=$((fail + 1))
  fi
}
lint tlpu_wdec "$rtl/tlpu_wdec.sv" "$rtl/tlpu_pack3_dec.sv"
lint tlpu_array "$rtl/tlpu_array.sv" "$rtl/tlpu_array_row.sv"
core=("$rtl/tlpu_core.sv" "$rtl/tlpu_fifo.sv" "$rtl/tlpu_dma.sv" "$rtl/tlpu_ex.sv" "$rtl/tlpu_gearbox.sv"
      "$rtl/tlpu_ram.sv" "$rtl/tlpu_wdec.sv" "$rtl/tlpu_pack3_dec.sv" "$rtl/tlpu_array.sv"
      "$rtl/tlpu_array_row.sv")
lint tlpu_core "${core[@]}"
# the small configuration the tests use (narrow address fields, short bursts)
lint tlpu_core -GRows=4 -GCols=20 -GWbufChunks=16 -GAbufWords=256 -GObufWords=32 \
  -GImemDepth=16 -GBurstBeats=4 "${core[@]}"
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
