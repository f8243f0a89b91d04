#!/usr/bin/env bash
# The main job: install what is missing, build everything, then run the
# reference self-check, a BitLinear demo, and one BitNet b1.58 2B4T layer
# (k_proj prefill, 64 tokens) on the cycle-accurate simulator and on the
# functional model through the driver, each checked against the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
echo
build/host/tlpu selftest
echo
build/host/tlpu demo
echo
build/host/tlpu info --device sim:
echo
build/host/tlpu matmul --device sim: --m 64 --k 2560 --n 640 --packing base3
echo
build/host/tlpu matmul --device model: --m 64 --k 2560 --n 640 --packing base3
