#!/usr/bin/env bash
# Configures and builds tlpu. Usage: scripts/build.sh [--sanitize] [TARGET...]
#   default:     build/       (Release)
#   --sanitize:  build-asan/  (ASan + UBSan, -O1 -g)
# With TARGETs only those are built (e.g. tlpu_unit_tests).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
args=(-DCMAKE_BUILD_TYPE=Release)
case "${1:-}" in
  --sanitize)
    shift
    dir=build-asan
    args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DTLPU_SANITIZE=ON
          -DTLPU_BUILD_BENCH=OFF)
    ;;
  -*) echo "usage: scripts/build.sh [--sanitize] [TARGET...]" >&2; exit 2 ;;
  *) ;;
esac

cmake -S . -B "$dir" "${args[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
