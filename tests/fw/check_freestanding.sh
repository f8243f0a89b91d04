#!/usr/bin/env bash
# The firmware builds as a bare-metal image: -ffreestanding -nostdlib, no
# libc, no heap, every symbol resolved; once for the host architecture and
# once cross-compiled for an RV32IMC microcontroller (Debian's
# gcc-riscv64-unknown-elf). Prints code and data sizes and the stack: every
# function's frame must be static (no VLAs, no alloca), and their sum, a
# bound on the deepest call chain since nothing recurses, must stay small.
#   check_freestanding.sh SRC_DIR [CC]
set -euo pipefail
src=$1
cc=${2:-cc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
files=("$src/firmware/src/fw.c" "$src/firmware/src/crc32.c" "$src/firmware/src/usb_desc.c"
       "$src/firmware/src/usbd.c" "$src/firmware/mcu/board_stub.c")
common=(-std=c11 -ffreestanding -nostdlib -fno-builtin -fno-stack-protector -Os -Wall -Wextra
        -Werror -ffunction-sections -fdata-sections -fstack-usage
        -I"$src/firmware/include" -I"$src/host/include" -Wl,-e,_start -Wl,--gc-sections)

# build <name> <compiler> <size tool> <nm tool> <flags...>
build() {
  local name=$1 comp=$2 sizetool=$3 nmtool=$4
  shift 4
  mkdir -p "$out/$name"
  (cd "$out/$name" && "$comp" "${common[@]}" "$@" -o fw.elf "${files[@]}" $libgcc)
  if "$nmtool" "$out/$name/fw.elf" | grep -E ' (malloc|free|calloc|realloc|printf|puts)$'; then
    echo "check_freestanding: the $name image uses the C library" >&2
    exit 1
  fi
  if grep -v -P '\tstatic$' "$out/$name"/*.su; then
    echo "check_freestanding: $name: a function's stack frame is not static" >&2
    exit 1
  fi
  local total
  total=$(awk -F'\t' '{s += $2} END {print s}' "$out/$name"/*.su)
  echo "firmware, freestanding, $name ($("$comp" "$@" -dumpmachine)):"
  "$sizetool" "$out/$name/fw.elf"
  echo "  stack: at most $total bytes (sum of every frame; nothing recurses)"
  if [ "$total" -gt 2048 ]; then
    echo "check_freestanding: $name: stack bound $total exceeds 2048 bytes" >&2
    exit 1
  fi
}

libgcc=""
build host "$cc" size nm -static -fno-pic
if ! command -v riscv64-unknown-elf-gcc >/dev/null 2>&1; then
  echo "check_freestanding: riscv64-unknown-elf-gcc not found: install the Debian package" \
       "'gcc-riscv64-unknown-elf' (or run scripts/setup.sh)" >&2
  exit 1
fi
# compiler support routines (64-bit shifts on a 32-bit core) come from libgcc, not a libc
libgcc=-lgcc
build rv32imc riscv64-unknown-elf-gcc riscv64-unknown-elf-size riscv64-unknown-elf-nm \
  -march=rv32imc -mabi=ilp32
