#!/usr/bin/env bash
# Builds a libFuzzer target with clang (ASan + UBSan) and runs it briefly.
#   run_fuzz.sh SRC_DIR TARGET SECONDS [--seeds DIR] SOURCES...
# TARGET names the fuzzer (fuzz_fw, ...); SOURCES are compiled with it; the
# files in DIR start its corpus.
set -euo pipefail
src=$1 target=$2 secs=$3
shift 3
seeds=""
if [ "${1:-}" = "--seeds" ]; then
  seeds=$2
  shift 2
fi
if ! command -v clang >/dev/null 2>&1; then
  echo "run_fuzz: clang not found: install the Debian package 'clang' (or run scripts/setup.sh)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -D_POSIX_C_SOURCE=200809L \
  -I"$src/firmware/include" -I"$src/host/include" -o "$out/$target" "$@"
mkdir -p "$out/corpus"
if [ -n "$seeds" ]; then cp "$seeds"/* "$out/corpus/" 2>/dev/null || true; fi
"$out/$target" -max_total_time="$secs" -rss_limit_mb=1024 -print_final_stats=1 \
  "$out/corpus" 2>&1 | tail -n 12
