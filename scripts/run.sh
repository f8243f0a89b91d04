#!/usr/bin/env bash
# The main job: install what is missing, build everything, check the C
# reference, then the default report for BitNet b1.58 2B4T: one full decoder
# layer's BitLinears (a 16-token prefill and decode) simulated
# cycle-accurately on the Verilated core through the driver, each checked
# bit for bit against the reference and cycle for cycle against the timing
# model; the rest of the model estimated; the terminal report printed and
# report.json + report.html written in the current directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
echo
"$root/build/host/tlpu" selftest --cases 16
echo
"$root/build/host/tlpu" info --device sim:
echo
"$root/build/host/tlpu" sim --model bitnet-2b4t --prefill 16 --decode 32 --energy 7nm \
  --json report.json --html report.html
echo
echo "wrote report.json and report.html (open report.html in a browser)"
