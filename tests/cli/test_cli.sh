#!/usr/bin/env bash
# The tlpu command line: every bad input gets a message naming the problem on
# stderr and a non-zero exit; good input succeeds. $TLPU is the binary.
set -u
: "${TLPU:?set TLPU to the tlpu binary}"
pass=0
fail=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect <exit code> <regex that stderr (code != 0) or stdout (code 0) must match> -- args...
expect() {
  local want=$1 pattern=$2
  shift 3
  timeout 120 "$TLPU" "$@" >"$out" 2>"$err"
  local got=$?
  local where=$out
  [ "$want" -ne 0 ] && where=$err
  if [ "$got" -eq "$want" ] && grep -Eq -- "$pattern" "$where"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: tlpu $* -> exit $got (want $want), output:" >&2
    cat "$out" "$err" >&2
  fi
}

expect 2 'no command given' --
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "unknown option '--bogus'" -- selftest --bogus
expect 2 "unknown option '--bogus'" -- demo --bogus
expect 2 "demo: --k: 'abc' is not a non-negative integer" -- demo --k abc
expect 2 "demo: --k: '-5' is not a non-negative integer" -- demo --k -5
expect 2 "demo: --k: '12x' is not a non-negative integer" -- demo --k 12x
expect 2 'demo: --k: 0 is out of range' -- demo --k 0
expect 2 'demo: --m: 5000 is out of range' -- demo --m 5000
expect 2 "demo: --n: '99999999999999999999999' is not a non-negative integer" -- demo --n 99999999999999999999999
expect 2 'option --k needs a value' -- demo --k
expect 2 "demo: --dtype: unknown type 'f64'" -- demo --dtype f64
expect 2 "selftest: --cases: 0 is out of range" -- selftest --cases 0
expect 0 'selftest: [0-9]+ passed, 0 failed' -- selftest --cases 8
expect 0 'bit for bit' -- demo
expect 0 'bit for bit' -- demo --dtype f16 --m 3 --k 333 --n 5 --seed 9
expect 0 'bit for bit' -- demo --dtype bfloat16 --m 1 --k 1 --n 1
expect 0 '^tlpu [0-9]+\.[0-9]+\.[0-9]+' -- version
expect 0 'usage: tlpu' -- help
export TLPU_ISA=portable
expect 0 'fast path \(portable\)' -- demo
unset TLPU_ISA

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
