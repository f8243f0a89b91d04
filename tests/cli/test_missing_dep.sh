#!/usr/bin/env bash
# Configuring with a dependency missing must stop with a message that names
# the Debian package to install. pkg-config is pointed at an empty directory,
# so the first required module (Check) is not found.
set -u
: "${SRC:?set SRC to the source tree}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty"
PKG_CONFIG_LIBDIR="$tmp/empty" PKG_CONFIG_PATH="" \
  cmake -S "$SRC" -B "$tmp/build" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "install the Debian package 'check'" "$tmp/log"; then
  echo "missing-dep: 1 passed, 0 failed"
  exit 0
fi
echo "configure exited $rc; expected failure naming the 'check' package:" >&2
cat "$tmp/log" >&2
echo "missing-dep: 0 passed, 1 failed"
exit 1
