#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run ctest.
#   scripts/test.sh               every test (labels unit, rtl, sim, e2e, sc, fuzz; not long)
#   scripts/test.sh --sanitize    the unit tests again under ASan + UBSan
# Extra arguments after an optional --sanitize go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ "${1:-}" = "--sanitize" ]; then
  shift
  # only what the unit label runs: the Verilated models are not rebuilt
  scripts/build.sh --sanitize tlpu_unit_tests
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  cd build-asan
  exec ctest --output-on-failure -j "$(nproc)" -L unit "$@"
fi

scripts/build.sh
cd build
# the long sweeps (label long) run only when asked for: scripts/test.sh -L long
if [ $# -eq 0 ]; then
  set -- -LE long
fi
exec ctest --output-on-failure -j "$(nproc)" "$@"
