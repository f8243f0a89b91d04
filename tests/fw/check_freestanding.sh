#!/usr/bin/env bash
# The firmware builds as a bare-metal image: -ffreestanding -nostdlib, no
# libc, no heap, every symbol resolved. Prints its code and data size.
#   check_freestanding.sh SRC_DIR [CC]
set -euo pipefail
src=$1
cc=${2:-cc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-std=c11 -ffreestanding -nostdlib -fno-builtin -fno-stack-protector -fno-pic -static
       -Os -Wall -Wextra -Werror -I"$src/firmware/include" -I"$src/host/include")
"$cc" "${flags[@]}" -Wl,-e,_start -o "$out/fw.elf" \
  "$src/firmware/src/fw.c" "$src/firmware/src/crc32.c" "$src/firmware/mcu/board_stub.c"
# nothing from a C library may be linked in, no heap
if nm "$out/fw.elf" | grep -E ' (malloc|free|calloc|realloc|printf|puts)$'; then
  echo "check_freestanding: the firmware image uses the C library" >&2
  exit 1
fi
echo "firmware, freestanding ($("$cc" -dumpmachine)):"
size "$out/fw.elf"
