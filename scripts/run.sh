#!/usr/bin/env bash
# The main job: install what is missing, build everything, then run the
# reference self-check and a BitLinear demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
echo
build/host/tlpu selftest
echo
build/host/tlpu demo
