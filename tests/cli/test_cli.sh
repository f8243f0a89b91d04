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

# check <program> <exit code> <regex that stderr (code != 0) or stdout (code 0) must match> args...
check() {
  local prog=$1 want=$2 pattern=$3
  shift 3
  timeout 120 "$prog" "$@" >"$out" 2>"$err"
  local got=$?
  local where=$out
  [ "$want" -ne 0 ] && where=$err
  if [ "$got" -eq "$want" ] && grep -Eq -- "$pattern" "$where"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $(basename "$prog") $* -> exit $got (want $want), output:" >&2
    cat "$out" "$err" >&2
  fi
}
# expect <exit code> <regex> -- tlpu args...
expect() {
  local want=$1 pattern=$2
  shift 3
  check "$TLPU" "$want" "$pattern" "$@"
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

# the device commands
tmp=$(mktemp -d)
trap 'rm -f "$out" "$err"; rm -rf "$tmp"' EXIT
# writes a 2-D int8 .npy file: npy_i8 FILE ROWS COLS VALUES...
npy_i8() {
  local f=$1 r=$2 c=$3
  shift 3
  local hdr="{'descr': '|i1', 'fortran_order': False, 'shape': ($r, $c), }"
  while [ $(( (10 + ${#hdr} + 1) % 64 )) -ne 0 ]; do hdr="$hdr "; done
  local len=$(( ${#hdr} + 1 ))
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
    printf '%s\n' "$hdr"
    for v in "$@"; do printf "\\x$(printf %02x $((v & 255)))"; done
  } >"$f"
}
npy_i8 "$tmp/x.npy" 2 3 1 -2 3 127 -128 0
npy_i8 "$tmp/w.npy" 2 3 1 0 -1 -1 1 1
npy_i8 "$tmp/w4.npy" 2 4 1 0 -1 1 -1 1 1 0
npy_i8 "$tmp/bad.npy" 2 3 1 0 2 -1 1 1
printf 'not a numpy file' >"$tmp/junk.npy"
expect 2 'info: --device URI is required' -- info
expect 2 "unknown transport" -- info --device nope:
expect 2 "sim: unknown parameter 'colour'" -- info --device sim:colour=red
expect 0 'core +tlpu [0-9.]+: 32 x 80 lanes' -- info --device sim:
# no board on a test machine: a named error saying what was looked for
expect 2 'usb: (no tlpu board found \(looked for 1209:7470|cannot start libusb)' -- info --device usb:
expect 2 "usb: unknown parameter 'colour'" -- info --device usb:colour=1
expect 2 'usb: vid=0x12345 is not a 16-bit number' -- info --device usb:vid=0x12345
expect 0 '"rows": 4, "cols": 20' -- info --device sim:variant=small --json
expect 2 'matmul: --device URI is required' -- matmul --m 2
expect 2 "--packing: 'ternary' is not base3 or 2bit" -- matmul --device sim: --packing ternary
expect 2 '--x and --w go together' -- matmul --device sim: --x "$tmp/x.npy"
expect 2 'matmul: --x: .*(missing|No such|cannot open)' -- matmul --device sim: --x "$tmp/none.npy" --w "$tmp/w.npy"
expect 2 'matmul: --x: ' -- matmul --device sim: --x "$tmp/junk.npy" --w "$tmp/w.npy"
expect 2 'element 2 \(row 0\) is 2, not a trit' -- matmul --device sim: --x "$tmp/x.npy" --w "$tmp/bad.npy"
expect 2 'K differs' -- matmul --device sim: --x "$tmp/x.npy" --w "$tmp/w4.npy"
expect 2 'come from the files' -- matmul --device sim: --x "$tmp/x.npy" --w "$tmp/w.npy" --m 3
expect 0 'check +exact: all 4 outputs' -- matmul --device sim: --x "$tmp/x.npy" --w "$tmp/w.npy" --y "$tmp/y.npy"
[ -s "$tmp/y.npy" ] || { echo "FAIL: --y wrote nothing" >&2; fail=$((fail + 1)); }
expect 0 '"check": "exact"' -- matmul --device model: --m 7 --k 301 --n 45 --packing 2bit --json
expect 0 'check +exact' -- matmul --device sim:variant=small,stall=0.3 --m 5 --k 123 --n 17 --seed 4

# reports
cat >"$tmp/tiny.json" <<'JSON'
{"name": "tiny", "layers": 3, "hidden": 64, "vocab": 100, "tied_embeddings": true,
 "linears": [{"name": "qkv", "in": 64, "out": 96}, {"name": "mlp", "in": 64, "out": 128, "repeat": 2}]}
JSON
printf '{"name": "bad", "layers": 2, "linears": [{"name": "a", "in": 0, "out": 4}]}' >"$tmp/bad.json"
expect 2 'report: --model NAME\|FILE is required' -- report
expect 2 "unknown model 'gpt5'" -- report --model gpt5
expect 2 'cannot open the model file' -- report --model "$tmp/none.json"
expect 2 'linears\[0\]: "in" is 0' -- report --model "$tmp/bad.json"
expect 2 'nothing to report' -- report --model bitnet-0.7b --prefill 0 --decode 0
expect 2 'not a buildable core' -- report --model bitnet-0.7b --config rows=7
expect 2 "unknown key 'colour'" -- report --model bitnet-0.7b --config colour=1
expect 2 '--simulate needs a device' -- report --model bitnet-0.7b --simulate q_proj
expect 2 "--engine: 'rtl' is not estimate" -- report --model bitnet-0.7b --engine rtl
expect 2 'no 4x40 core is built' -- sim --model bitnet-0.7b --config rows=4,cols=40
expect 0 'mlp +model:rows=8,cols=40 .* +equal +exact +agree' -- report --model "$tmp/tiny.json" --engine model --config rows=8,cols=40 --simulate all --prefill 3 --decode 1
expect 2 "--clock: 'fast' is not a clock" -- report --model bitnet-0.7b --clock fast
expect 2 'energy' -- report --model bitnet-0.7b --energy "$tmp/none.json"
expect 0 'BitNet b1.58 arithmetic ratio \(paper\): 71.4x' -- report --model bitnet-2b4t
expect 0 'ratio \(paper\): 50.0x' -- report --model bitnet-0.7b --energy 45nm --prefill 8 --decode 4
# the area model: the default core, a configuration, the JSON, and a table without area entries
expect 0 'area +0\.[0-9]+ mm2: logic 0\.[0-9]+, SRAM 0\.[0-9]+' -- area
expect 0 '"logic_cells": [0-9]+, "sram_bits": [0-9]+' -- area --config rows=8,cols=40 --energy 45nm --json
expect 0 'array +[0-9]+ cells' -- area --config rows=64,cols=160,queue=16
expect 2 "area: --config: unknown key 'lanes'" -- area --config lanes=9
expect 2 'area: --config: 6x80 with these buffers is not a buildable core' -- area --config rows=6
expect 2 "area: unknown option '--bogus'" -- area --bogus
sed '/"cell_area": {/,/}/d' "$(cd "$(dirname "$0")/../.." && pwd)/host/data/energy/7nm.json" >"$tmp/noarea.json"
expect 0 'ratio \(paper\)' -- report --model bitnet-0.7b --energy "$tmp/noarea.json" --prefill 8 --decode 4
expect 2 "no \"cell_area\" entry, so no area" -- area --energy "$tmp/noarea.json"
if timeout 120 "$TLPU" report --model llama3-8b-1.58 --quiet --json "$tmp/r8b.json" \
     --html "$tmp/r8b.html" && [ -s "$tmp/r8b.json" ] && [ -s "$tmp/r8b.html" ]; then
  pass=$((pass + 1))
else
  echo "FAIL: report --quiet --json --html" >&2
  fail=$((fail + 1))
fi
expect 2 "--simulate: 'attn' names no layer" -- sim --model "$tmp/tiny.json" --device sim:variant=small --simulate attn
expect 0 'mlp +sim:variant=small +[0-9,]+ +[0-9,]+ +equal +exact +agree' -- sim --model "$tmp/tiny.json" --device sim:variant=small --prefill 5 --decode 3 --json "$tmp/tiny.out.json" --html "$tmp/tiny.out.html"
# on sc: the report adds the board's time of each simulated call, in every format
expect 0 'mlp( +[0-9.]+){9}$' -- sim --model "$tmp/tiny.json" --device sc:variant=small,link=usb2 --prefill 5 --decode 3 --json "$tmp/tinysc.json" --html "$tmp/tinysc.html"
if grep -q '"firmware_s"' "$tmp/tinysc.json" && grep -q 'board \xC2\xB5s\|board µs' "$tmp/tinysc.html" &&
   grep -q '"per_token_s"' "$tmp/tinysc.json" && grep -q 'time to first token (board)' "$tmp/tinysc.html"; then
  pass=$((pass + 1))
else
  echo "FAIL: the sc: report files lack the board's time" >&2
  fail=$((fail + 1))
fi
# the files validate: JSON against docs/report.schema.json, the page as XML with its SVGs
here=$(cd "$(dirname "$0")/../.." && pwd)
for pair in "$tmp/tiny.out.json $tmp/tiny.out.html" "$tmp/r8b.json $tmp/r8b.html" \
            "$tmp/tinysc.json $tmp/tinysc.html"; do
  # shellcheck disable=SC2086
  if python3 "$here/tests/report/validate_report.py" --schema "$here/docs/report.schema.json" \
       --pair $pair >"$out" 2>&1; then
    pass=$((pass + 1))
  else
    echo "FAIL: report files do not validate: $pair" >&2
    cat "$out" >&2
    fail=$((fail + 1))
  fi
done
expect 0 'qkv +model: +[0-9,]+ +[0-9,]+ +equal +exact +agree' -- report --model "$tmp/tiny.json" --device model: --simulate qkv --prefill 7 --decode 2

# the progress bar: on a terminal only (script(1) gives the command a pty)
"$TLPU" sim --model "$tmp/tiny.json" --device sim:variant=small --prefill 2 --decode 1 \
  >"$out" 2>"$err"
if grep -q 'simulating \[' "$out" "$err"; then
  echo "FAIL: a progress bar in a pipe" >&2
  fail=$((fail + 1))
else
  pass=$((pass + 1))
fi
if command -v script >/dev/null 2>&1; then
  script -qec "'$TLPU' sim --model '$tmp/tiny.json' --device sim:variant=small --prefill 2 --decode 1" \
    /dev/null >"$out" 2>&1 </dev/null
  if grep -q 'simulating \[#*' "$out"; then
    pass=$((pass + 1))
  else
    echo "FAIL: no progress bar on a terminal:" >&2
    cat "$out" >&2
    fail=$((fail + 1))
  fi
fi

# the board as a SystemC platform: same result, plus the board's time
expect 0 'board time +[0-9.]+ us: link [0-9.]+, firmware [0-9.]+, DRAM [0-9.]+, core [0-9.]+ us' -- matmul --device sc:variant=small,link=usb2 --m 3 --k 200 --n 40
expect 0 'exact: all 120 outputs' -- matmul --device sc:variant=small,dram=lpddr5 --m 3 --k 200 --n 40
expect 2 "sc: unknown link preset 'usb9' \(usb2, usb3, pcie3x4\)" -- info --device sc:link=usb9
expect 2 'sc: link_bw=0 is not a number' -- info --device sc:link_bw=0

# LPU systems: the scaling study, the smallest system, its refusals; a simulated
# schedule equal to the formula (exit 1 otherwise)
expect 0 'The smallest system that holds the model' -- report --model bitnet-2b4t --chips auto --prefill 0 --decode 4
# (--json into a pipe: written in place, the FIFO stays one)
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/fifo.out" &
"$TLPU" report --model llama3-8b-1.58 --chips 8 --sram 230M --c2c d2d --topology full --quiet \
  --json "$tmp/fifo"
rc=$?
wait
if [ "$rc" -eq 0 ] && [ -p "$tmp/fifo" ] && grep -q '"knee_chips"' "$tmp/fifo.out"; then
  pass=$((pass + 1))
else
  echo "FAIL: --json into a FIFO" >&2
  fail=$((fail + 1))
fi
expect 2 'bitnet-2b4t does not fit 1 chip of 241172480 bytes of SRAM: .* at least 2 chips' -- report --model bitnet-2b4t --chips 1
expect 2 'does not fit even 64 chips of 65536 bytes' -- report --model llama3-8b-1.58 --chips 4 --sram 64K
expect 2 'give --chips too' -- report --model bitnet-2b4t --sram 1M
expect 2 "--c2c: 'nvlink' is not a chip-to-chip preset \(d2d, serdes\)" -- report --model bitnet-2b4t --chips 2 --c2c nvlink
expect 2 "--topology: 'star' is not ring or full" -- report --model bitnet-2b4t --chips 2 --topology star
expect 2 "--sram: '12Q' is not a size" -- report --model bitnet-2b4t --chips 2 --sram 12Q
expect 2 '--chips and --device' -- sim --model "$tmp/tiny.json" --chips 2 --device sc:chips=2
expect 2 'does not fit 2 chips of 16777216 bytes of SRAM: .* at least [0-9]+ chips' -- sim --model bitnet-2b4t --device sc:chips=2,sram=16M
expect 0 'k_proj +4 +[0-9.]+ +[0-9.]+ +[0-9.]+ +([0-9.]+) +equal' -- sim --model bitnet-2b4t --device sc:chips=4,topology=full --simulate k_proj --prefill 4 --decode 1
expect 2 "sc: dram= is for the board" -- info --device sc:chips=2,dram=lpddr5

# GGUF model files (tests/data/models and models-b158, see their READMEs)
data=$(cd "$(dirname "$0")/../data" && pwd)
expect 0 'general\.architecture +str +"bitnet"$' -- gguf-info "$data/models/tiny-bitnet-tq2_0.gguf"
expect 0 'tokenizer\.ggml\.tokens +arr\[str,384\] +\[384 items: "<unk>", "<s>", "</s>", "<0x00>", \.\.\.\]' -- gguf-info "$data/models/tiny-bitnet-tq1_0.gguf"
expect 0 'blk\.0\.attn_q\.weight +tq2_0 +256 x 256 +224000 +234592 +16896$' -- gguf-info "$data/models/tiny-bitnet-tq2_0.gguf"
expect 0 'blk\.0\.attn_q\.weight +i2_s +256 x 256 +231424 +245088 +16416$' -- gguf-info "$data/models-b158/tiny-b158-i2_s.gguf"
expect 0 '"architecture": "bitnet-b1.58",' -- gguf-info "$data/models-b158/tiny-b158-i2_s.gguf" --json
expect 2 "gguf-info: $tmp/none\.gguf: offset 0: cannot open: No such file" -- gguf-info "$tmp/none.gguf"
head -c 5000 "$data/models/tiny-bitnet-tq2_0.gguf" >"$tmp/cut.gguf"
expect 2 "gguf-info: $tmp/cut\.gguf: offset 4999: key 16 'tokenizer\.ggml\.tokens': truncated" -- gguf-info "$tmp/cut.gguf"
head -c 300000 "$data/models/tiny-bitnet-tq2_0.gguf" >"$tmp/cut2.gguf"
expect 2 "gguf-info: $tmp/cut2\.gguf: offset [0-9]+: tensor 9 'blk\.0\.ffn_gate\.weight': .* run past the end of the file" -- gguf-info "$tmp/cut2.gguf"
expect 2 'gguf-info: FILE is required' -- gguf-info
expect 2 "gguf-info: unknown option '--bogus'" -- gguf-info --bogus "$data/models/tiny-bitnet-f16.gguf"
# quantize: llama-quantize's TQ2_0/TQ1_0 files byte for byte from its F16 file, absmean, bad input
f16="$data/models/tiny-bitnet-f16.gguf"
expect 0 'blk\.0\.attn_q\.weight +256 x 256 +f16 -> tq2_0 +d [0-9.]+\.\.[0-9.]+ \(256\) +zeros [0-9.]+% +rel_rms 0\.000e\+00 +max_abs 0\.000e\+00$' -- quantize "$f16" "$tmp/q2.gguf" --type tq2_0 --ptq none
check bash 0 '^identical$' -c "cmp '$data/models/tiny-bitnet-tq2_0.gguf' '$tmp/q2.gguf' && echo identical"
expect 0 'total +24 tensors: 14 quantized, 10 copied' -- quantize "$f16" "$tmp/q1.gguf" --type tq1_0 --ptq none
check bash 0 '^identical$' -c "cmp '$data/models/tiny-bitnet-tq1_0.gguf' '$tmp/q1.gguf' && echo identical"
expect 0 'blk\.0\.ffn_down\.weight +512 x 256 +f16 -> i2_s +s [0-9.]+ scale [0-9.]+ +zeros [0-9.]+% +rel_rms [0-9.]+e-0[0-9] +max_abs' -- quantize "$f16" "$tmp/qi.gguf" --type i2_s
expect 0 'tensor data 2567168 -> 456704 bytes, file 2577760 -> 467296 bytes \(5\.52x\)' -- quantize "$f16" "$tmp/qa.gguf" --type tq1_0 --ptq absmean
expect 0 '6 rows of 384 logits \(4 prompt, 2 generated\), act token, on ref:: 42 BitLinear calls' -- logits -m "$tmp/qi.gguf" --tokens "1 259 300 77" --generate 2 --device ref: -o "$tmp/qi.lgts"
expect 0 'act token, on ref:: [0-9]+ BitLinear calls' -- logits -m "$tmp/qa.gguf" --tokens "1 259 300 77" --device ref: -o "$tmp/qa.lgts"
expect 2 'quantize: IN\.gguf and OUT\.gguf are required' -- quantize "$f16"
expect 2 'quantize: --type tq2_0\|tq1_0\|i2_s is required' -- quantize "$f16" "$tmp/q.gguf"
expect 2 "quantize: --type: 'q4_0' is not tq2_0, tq1_0 or i2_s" -- quantize "$f16" "$tmp/q.gguf" --type q4_0
expect 2 "quantize: --ptq: 'rtn' is not absmean or none" -- quantize "$f16" "$tmp/q.gguf" --type tq2_0 --ptq rtn
expect 2 'quantize: option --ptq needs a value' -- quantize "$f16" "$tmp/q.gguf" --type tq2_0 --ptq
expect 2 "quantize: unknown option '--bogus'" -- quantize "$f16" "$tmp/q.gguf" --type tq2_0 --bogus
expect 2 "quantize: unexpected argument 'extra'" -- quantize "$f16" "$tmp/q.gguf" extra --type tq2_0
expect 2 "quantize: $tmp/none\.gguf: offset 0: cannot open: No such file" -- quantize "$tmp/none.gguf" "$tmp/q.gguf" --type tq2_0
expect 2 "quantize: $tmp/cut\.gguf: offset 4999: key 16 'tokenizer\.ggml\.tokens': truncated" -- quantize "$tmp/cut.gguf" "$tmp/q.gguf" --type tq2_0
expect 2 "quantize: $f16 is both the input and the output" -- quantize "$f16" "$f16" --type tq2_0
expect 2 "quantize: $tmp/nodir/q\.gguf: cannot write there: $tmp/nodir: No such file" -- quantize "$f16" "$tmp/nodir/q.gguf" --type tq2_0
expect 2 'quantize: no tensor to quantize: .*already ternary' -- quantize "$data/models/tiny-bitnet-tq2_0.gguf" "$tmp/q.gguf" --type tq1_0
LC_ALL=C sed 's/bitnet/gemma3/g' "$f16" >"$tmp/gemma.gguf"
expect 2 "quantize: $tmp/gemma\.gguf: architecture 'gemma3' is not a BitNet one \(bitnet, bitnet-b1\.58, bitnet-25\)" -- quantize "$tmp/gemma.gguf" "$tmp/q.gguf" --type tq2_0
[ -w /dev/full ] && expect 1 'quantize: /dev/full: write failed: No space left on device' -- quantize "$f16" /dev/full --type i2_s
check bash 0 '^absent$' -c "[ ! -e '$tmp/q.gguf' ] && ! ls '$tmp' | grep -q '\.tmp' && echo absent"
# inference: logits, generation and perplexity with the BitLinears on a device
b158="$data/models-b158/tiny-b158-i2_s.gguf"
tq2="$data/models/tiny-bitnet-tq2_0.gguf"
expect 0 'act q8k, on model:: [0-9]+ BitLinear calls' -- logits -m "$tq2" --tokens "1 259 300 77" --generate 2 --act q8k --device model: -o "$tmp/l.lgts"
expect 0 'core +none: BitLinears run on the fast C reference' -- info --device ref:
expect 0 'exact: all 1200 outputs equal the C reference' -- matmul --device ref:threads=2 --m 3 --k 700 --n 400
expect 2 "ref: threads=0 is not 1 .. 64" -- info --device ref:threads=0
expect 2 "ref: unknown parameter 'cores'" -- info --device ref:cores=2
expect 0 'generation +4 tokens in' -- generate -m "$b158" -p "Hello world" -n 4 --device ref:
expect 0 'generation [0-9]+ cycles' -- generate -m "$b158" -p "Hello world" -n 4 --device model: --kv f16
expect 0 'per generated token [0-9.]+ ms \(link [0-9.]+, firmware' -- generate -m "$b158" -p "Hi" -n 3 --device sc:link=usb3,variant=small
expect 0 'generation [0-9]+ cycles: [0-9.]+ ms/token' -- generate -m "$tq2" -p "the word" -n 3 --device sim:variant=small --act q8k
expect 2 'generate: -m FILE and -p PROMPT are required' -- generate -m "$b158"
expect 2 "generate: --act: 'int4' is not token, q8k or float" -- generate -m "$b158" -p x --act int4
expect 2 "generate: --temp: '-1' is out of range" -- generate -m "$b158" -p x --temp -1
expect 2 'do not fit the context of 8' -- generate -m "$b158" -p "one two three" -n 10 --ctx 8
expect 2 "cannot open device 'nodev:'" -- generate -m "$b158" -p x --device nodev:
expect 2 "logits: --tokens: 'x1' is not a token id" -- logits -m "$tq2" --tokens "1 x1" -o "$tmp/l.lgts"
expect 2 'token 999 at batch position 1 is not in the vocabulary of 384' -- logits -m "$tq2" --tokens "1 999" -o "$tmp/l.lgts"
expect 2 "logits: $tmp/none.gguf: offset 0: cannot open" -- logits -m "$tmp/none.gguf" --tokens 1 -o "$tmp/l.lgts"
for i in $(seq 1 40); do printf 'the word was with one of the words that are from this. ' ; done >"$tmp/text.txt"
expect 0 'Final estimate: PPL = [0-9.]+ \+/- [0-9.]+' -- perplexity -m "$tq2" -f "$tmp/text.txt" --ctx 64 --act q8k
printf 'too short a text' >"$tmp/short.txt"
expect 2 'has [0-9]+ tokens: at least 2 x n_ctx = 128 are needed' -- perplexity -m "$tq2" -f "$tmp/short.txt" --ctx 64
expect 2 "perplexity: $tmp/nothing.txt: cannot open" -- perplexity -m "$tq2" -f "$tmp/nothing.txt"

# design-space sweeps: plan (with rejected points), run (atomic, re-runs skip), status, merge
cat >"$tmp/sweep.json" <<'JSON'
{"tlpu_sweep": 1, "name": "cli", "models": ["bitnet-0.7b"], "prefill": 8, "decode": 4,
 "grid": {"rows": [16, 32], "abuf": [16, 8192], "clock": {"from": 5e8, "to": 1e9, "times": 2}}}
JSON
expect 0 'sw: 4 points \(0 done, 0 running, 0 failed, 4 pending\), 4 rejected' -- sweep plan "$tmp/sweep.json" -o "$tmp/sw"
if grep -q 'the activation buffer cannot hold a row of K' "$tmp/sw/rejected.json"; then pass=$((pass + 1)); else
  echo "FAIL: rejected.json lacks the reason" >&2; fail=$((fail + 1)); fi
expect 0 'point 1 done' -- sweep run "$tmp/sw" --point 1
expect 0 'point 1 already done' -- sweep run "$tmp/sw" --point 1
expect 0 'point 1 done' -- sweep run "$tmp/sw" --point 1 --force
expect 0 '4 points \(1 done, 0 running, 0 failed, 3 pending\), 4 rejected' -- sweep status "$tmp/sw"
for i in 0 2 3; do "$TLPU" sweep run "$tmp/sw" --point $i >/dev/null; done
expect 0 '4 rows in merged.csv' -- sweep merge "$tmp/sw"
if [ "$(wc -l <"$tmp/sw/merged.csv")" -eq 5 ] && head -1 "$tmp/sw/merged.csv" | grep -q '^index,model,rows,abuf,clock,.*ms_per_token,tokens_per_s,j_per_token'; then
  pass=$((pass + 1)); else echo "FAIL: merged.csv" >&2; cat "$tmp/sw/merged.csv" >&2; fail=$((fail + 1)); fi
expect 2 'already holds a plan' -- sweep plan "$tmp/sweep.json" -o "$tmp/sw"
expect 2 'no point 9 \(tlpu sweep plan first\)' -- sweep run "$tmp/sw" --point 9
expect 2 'not a planned sweep \(no spec.json\)' -- sweep status "$tmp"
expect 2 "unknown subcommand 'fly'" -- sweep fly
printf '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "grid": {"rows": [16], "warp": [9]}}' >"$tmp/bad1.json"
expect 2 'grid: unknown parameter "warp"' -- sweep plan "$tmp/bad1.json" -o "$tmp/b1"
printf '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "grid": {"rows": {"from": 64, "to": 16, "step": 4}}}' >"$tmp/bad2.json"
expect 2 'grid.rows must be \{"from"' -- sweep plan "$tmp/bad2.json" -o "$tmp/b2"
printf '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "engine": "ref:"}' >"$tmp/bad3.json"
expect 2 'engine "ref:": one of "estimate", "model:"' -- sweep plan "$tmp/bad3.json" -o "$tmp/b3"
printf '{"tlpu_sweep": 1, "models": ["gpt-5"]}' >"$tmp/bad4.json"
expect 2 'models\[0\]: ' -- sweep plan "$tmp/bad4.json" -o "$tmp/b4"
printf '{"tlpu_sweep": 1, "models": [' >"$tmp/bad5.json"
expect 2 'bad5.json:1:' -- sweep plan "$tmp/bad5.json" -o "$tmp/b5"
printf '{"tlpu_sweep": 1, "name": 7, "models": ["bitnet-0.7b"]}' >"$tmp/bad6.json"
expect 2 '"name" must be a string' -- sweep plan "$tmp/bad6.json" -o "$tmp/b6"
# a value found bad only while points are written: the plan leaves nothing behind
printf '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "grid": {"rows": [16, 32], "zeros": [0.5, 2]}}' >"$tmp/bad7.json"
expect 2 'grid: zeros must be a fraction in \[0, 1\]' -- sweep plan "$tmp/bad7.json" -o "$tmp/b7"
if [ ! -e "$tmp/b7" ]; then pass=$((pass + 1)); else echo "FAIL: a refused plan left $tmp/b7" >&2; fail=$((fail + 1)); fi
mkdir "$tmp/b8"
expect 2 'grid: zeros must be' -- sweep plan "$tmp/bad7.json" -o "$tmp/b8"
expect 0 'b8: 4 points' -- sweep plan "$tmp/sweep.json" -o "$tmp/b8"
# sweep report: merged.json's Pareto fronts as one HTML page
expect 0 "sw: $tmp/sw.html written, [1-9][0-9]* points on a Pareto front" -- sweep report "$tmp/sw" --html "$tmp/sw.html"
if grep -q '<table class="front-table">' "$tmp/sw.html" && grep -q '<tr class="front-row"><td class="n">[0-3]</td>' "$tmp/sw.html" &&
   [ "$(grep -o '<svg' "$tmp/sw.html" | wc -l)" -eq 2 ] && [ "$(grep -o '</svg>' "$tmp/sw.html" | wc -l)" -eq 2 ] &&
   grep -q 'Front: Area and decode throughput' "$tmp/sw.html" && ! grep -q 'no area_mm2' "$tmp/sw.html" &&
   ! ls -a "$tmp" | grep -q '\.tmp\.'; then
  pass=$((pass + 1)); else echo "FAIL: sweep report's page" >&2; fail=$((fail + 1)); fi
expect 2 'report: DIR and --html FILE are required' -- sweep report "$tmp/sw"
expect 2 'option --html needs a value' -- sweep report "$tmp/sw" --html
expect 2 "report: unexpected argument '--pdf'" -- sweep report "$tmp/sw" --pdf "$tmp/x.pdf"
expect 2 'report: .*: not a planned sweep \(no spec.json\)' -- sweep report "$tmp" --html "$tmp/x.html"
mkdir "$tmp/swr" && cp "$tmp/sw/spec.json" "$tmp/swr/"
expect 2 'report: .*/swr/merged.json: no such file: run tlpu sweep merge first' -- sweep report "$tmp/swr" --html "$tmp/x.html"
expect 1 'report: .*/none/x.html: cannot write' -- sweep report "$tmp/sw" --html "$tmp/none/x.html"
expect 1 'report: .*: writing failed' -- sweep report "$tmp/sw" --html "$tmp/sw"

# tokenizers (tests/data/models/README.md, models-b158/tokenizer-*.tsv)
spm=$data/models/tiny-bitnet-tq2_0.gguf b158=$data/models-b158/tiny-b158-i2_s.gguf l3=$data/models-b158/vocab-llama-bpe.gguf
expect 0 '^1 335 382 350$' -- tokenize -m "$spm" "the word was"
expect 0 '^259 198 172$' -- tokenize -m "$spm" --no-bos "$(printf '\303\251')"
expect 0 '^434 39 68 279 78 11 220 54 302 75 67 0 220 40 83 6 82 220 20 220 78 6 66 75 78 66 74 13$' -- tokenize -m "$b158" "Hello, World! It's 5 o'clock."
expect 0 '^434 39 68 279 78 11 220 54 302 75 67 0 220 40 83 363 220 20 220 78 6 66 75 78 66 74 13$' -- tokenize -m "$l3" "Hello, World! It's 5 o'clock."
expect 0 '^434 434 82 88 82 443 440$' -- tokenize -m "$l3" --parse-special '<|begin_of_text|>sys<|eot_id|><|start_header_id|>'
expect 0 "^Hello, World! It's 5 o'clock\.$" -- tokenize -m "$b158" --detokenize "434 39 68 279 78 11 220 54 302 75 67 0 220 40 83 6 82 220 20 220 78 6 66 75 78 66 74 13"
expect 0 '^<\|begin_of_text\|>sys<\|eot_id\|>$' -- tokenize -m "$l3" --parse-special --detokenize "[434, 82, 88, 82, 443]"
expect 2 'tokenize: -m FILE .* is required' -- tokenize "the word was"
expect 2 'tokenize: TEXT \(or --detokenize IDS\) is required' -- tokenize -m "$spm"
expect 2 "tokenize: unknown option '--bogus'" -- tokenize -m "$spm" --bogus "x"
expect 2 "tokenize: $tmp/none\.gguf: offset 0: cannot open" -- tokenize -m "$tmp/none.gguf" "x"
expect 2 "tokenize: $tmp/cut\.gguf: offset 4999: .*truncated" -- tokenize -m "$tmp/cut.gguf" "x"
expect 2 'tokenize: --detokenize: token id 450 is out of range \(the vocabulary has 450 tokens\)' -- tokenize -m "$b158" --detokenize "1 450"
expect 2 "tokenize: --detokenize: 'x1' is not a token id" -- tokenize -m "$b158" --detokenize "1 x1"
LC_ALL=C sed 's/llama-bpe/llama-xyz/' "$l3" >"$tmp/pre.gguf"
expect 2 "tokenize: $tmp/pre\.gguf: unsupported pre-tokenizer 'llama-xyz' \(tokenizer\.ggml\.pre\)" -- tokenize -m "$tmp/pre.gguf" "x"

# emulated boards ($USBEMU is tlpu-usbemu): the usb: path from the shell
# emu <exit code> <regex> tlpu-usbemu args...
emu() {
  check "$USBEMU" "$@"
}
if [ -n "${USBEMU:-}" ]; then
  two=(--board model: --serial A1 --board sim:variant=small --serial B2 --super-speed --)
  emu 0 'found +usb:vid=0x1209,pid=0x7470,port=1-1,serial=A1' "${two[@]}" "$TLPU" info --device usb:
  emu 0 'serial B2, bus path 1-2, 5 Gb/s, USB 3.2' "${two[@]}" "$TLPU" info --device usb:
  emu 0 'core +tlpu [0-9.]+: 4 x 20 lanes' "${two[@]}" "$TLPU" info --device usb:serial=B2
  emu 0 '"transport": "usb", .*"rows": 32' "${two[@]}" "$TLPU" info --device usb:port=1-1 --json
  emu 0 'exact: all 10240 outputs equal' -- "$TLPU" matmul --device usb: --m 16 --k 2560 --n 640
  emu 2 'no tlpu board found .*none with that serial' -- "$TLPU" info --device usb:serial=ZZ
  emu 2 "usb: inflight=0 \(1 .. 32\)" -- "$TLPU" info --device usb:inflight=0
  emu 2 "tlpu-usbemu: unexpected argument '--bogus'" --bogus -- true
  emu 2 'tlpu-usbemu: no command given' --board model:
  emu 1 'tlpu-usbemu: board 1 \(sim:rows=7\)' --board sim:rows=7 -- true
  emu 3 'boom' -- sh -c 'echo boom >&2; exit 3'
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
