#!/usr/bin/env python3
"""Generate the C header and the Verilog include from rtl/spec/tlpu.json.

  scripts/gen_spec.py            rewrite host/include/tlpu/spec.h, rtl/tlpu_spec.vh and the
                                 generated tables in docs/isa.md
  scripts/gen_spec.py --check    exit 1 (naming the file) if any is out of date
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "rtl", "spec", "tlpu.json")
C_OUT = os.path.join(ROOT, "host", "include", "tlpu", "spec.h")
V_OUT = os.path.join(ROOT, "rtl", "tlpu_spec.vh")
DOC = os.path.join(ROOT, "docs", "isa.md")
BANNER = "GENERATED from rtl/spec/tlpu.json by scripts/gen_spec.py - do not edit."


def load():
    with open(SPEC, encoding="utf-8") as f:
        spec = json.load(f)
    bits = spec["insn_bits"]
    for op in spec["opcodes"]:
        used = [(0, 8)]
        for fl in op["fields"]:
            lo, hi = fl["lsb"], fl["lsb"] + fl["width"]
            if hi > bits:
                sys.exit(f"gen_spec: {op['name']}.{fl['name']} ends past bit {bits}")
            for (a, b) in used:
                if lo < b and a < hi:
                    sys.exit(f"gen_spec: {op['name']}.{fl['name']} overlaps another field")
            used.append((lo, hi))
    return spec


def c_header(spec):
    out = [f"/* {BANNER} */",
           "/* The tlpu hardware/software contract: instruction encoding, CSRs, errors, counters. */",
           "#ifndef TLPU_SPEC_H", "#define TLPU_SPEC_H", ""]
    v = spec["version"]
    out += [f"#define TLPU_SPEC_VERSION_MAJOR {v['major']}u",
            f"#define TLPU_SPEC_VERSION_MINOR {v['minor']}u",
            f"#define TLPU_ID_MAGIC {spec['id_magic']}u",
            f"#define TLPU_INSN_BITS {spec['insn_bits']}u",
            f"#define TLPU_INSN_BYTES {spec['insn_bits'] // 8}u", "",
            "/* default build parameters */"]
    out += [f"#define TLPU_DEFAULT_{k} {val}u" for k, val in spec["defaults"].items()]
    out += ["", "/* weight formats */"]
    out += [f"#define TLPU_FMT_{k} {val}u" for k, val in spec["formats"].items()]
    out += ["", "/* SYNC mask bits */"]
    out += [f"#define TLPU_SYNC_{k} {val}u" for k, val in spec["sync_mask"].items()]
    out += ["", "/* opcodes (bits 7:0) and fields: _LSB, _WIDTH */", "#define TLPU_OP_LSB 0u",
            "#define TLPU_OP_WIDTH 8u"]
    for op in spec["opcodes"]:
        out.append(f"#define TLPU_OP_{op['name']} {op['code']}u")
        for fl in op["fields"]:
            n = f"TLPU_{op['name']}_{fl['name']}"
            out += [f"#define {n}_LSB {fl['lsb']}u", f"#define {n}_WIDTH {fl['width']}u"]
    out += ["", "/* X(name, code) for every opcode */", "#define TLPU_OPCODES(X) \\"]
    out += [f"    X({op['name']}, {op['code']}) \\" for op in spec["opcodes"]]
    out += ["", "", "/* error codes (STATUS bits 15:8) */"]
    out += [f"#define TLPU_HWERR_{e['name']} {e['code']}u /* {e['desc']} */" for e in spec["errors"]]
    out += ["", "/* X(name, code, description) for every error code */", "#define TLPU_HWERRORS(X) \\"]
    out += [f"    X({e['name']}, {e['code']}, \"{e['desc']}\") \\" for e in spec["errors"]]
    out += ["", "", "/* CSR byte addresses (32-bit registers) */"]
    for c in spec["csrs"]:
        out.append(f"#define TLPU_CSR_{c['name']} {c['addr']}u /* {c['access']}: {c['desc']} */")
    out += ["", "/* 64-bit counters: LO at TLPU_CNT_<name>, HI at +4; reading LO latches HI */",
            f"#define TLPU_CSR_COUNTER_BASE {spec['counter_base']}u",
            f"#define TLPU_NUM_COUNTERS {len(spec['counters'])}u"]
    base = int(spec["counter_base"], 16)
    for i, c in enumerate(spec["counters"]):
        out.append(f"#define TLPU_CNT_{c['name']} 0x{base + 8 * i:03X}u /* {c['desc']} */")
    out += ["", "/* counter indices (position in tlpu_sim_counters() and similar arrays) */"]
    for i, c in enumerate(spec["counters"]):
        out.append(f"#define TLPU_CNTI_{c['name']} {i}u")
    out += ["", "/* X(name, index, description) for every counter */", "#define TLPU_COUNTERS(X) \\"]
    out += [f"    X({c['name']}, {i}, \"{c['desc']}\") \\" for i, c in enumerate(spec["counters"])]
    out += ["", "", "#endif /* TLPU_SPEC_H */", ""]
    return "\n".join(out)


def v_include(spec):
    out = [f"// {BANNER}",
           "// The tlpu hardware/software contract: instruction encoding, CSRs, errors, counters.",
           "// Included inside modules; it only declares localparams."]
    v = spec["version"]
    out += [f"localparam integer SPEC_VERSION_MAJOR = {v['major']};",
            f"localparam integer SPEC_VERSION_MINOR = {v['minor']};",
            f"localparam [31:0] ID_MAGIC = 32'h{int(spec['id_magic'], 16):08X};",
            f"localparam integer INSN_BITS = {spec['insn_bits']};"]
    out += [f"localparam [0:0] FMT_{k} = 1'd{val};" for k, val in spec["formats"].items()]
    out += [f"localparam integer SYNC_{k} = {val};" for k, val in spec["sync_mask"].items()]
    for op in spec["opcodes"]:
        out.append(f"localparam [7:0] OP_{op['name']} = 8'd{op['code']};")
        for fl in op["fields"]:
            n = f"{op['name']}_{fl['name']}"
            out += [f"localparam integer {n}_LSB = {fl['lsb']};",
                    f"localparam integer {n}_WIDTH = {fl['width']};"]
    out += [f"localparam [7:0] ERR_{e['name']} = 8'd{e['code']};" for e in spec["errors"]]
    out += [f"localparam [11:0] CSR_{c['name']} = 12'h{int(c['addr'], 16):03X};" for c in spec["csrs"]]
    base = int(spec["counter_base"], 16)
    out += [f"localparam [11:0] CSR_COUNTER_BASE = 12'h{base:03X};",
            f"localparam integer NUM_COUNTERS = {len(spec['counters'])};"]
    out += [f"localparam integer CNT_{c['name']} = {i};" for i, c in enumerate(spec["counters"])]
    return "\n".join(out) + "\n"


def md_tables(spec):
    """The tables of docs/isa.md, keyed by the name in its GENERATED markers."""
    t = {}
    rows = ["| opcode | code | field | bits | width |", "|---|---|---|---|---|"]
    for op in spec["opcodes"]:
        rows.append(f"| {op['name']} | {op['code']} | OP | 7:0 | 8 |")
        for fl in op["fields"]:
            hi = fl["lsb"] + fl["width"] - 1
            rows.append(f"| | | {fl['name']} | {hi}:{fl['lsb']} | {fl['width']} |")
    t["encoding"] = rows
    rows = ["| code | name | meaning |", "|---|---|---|"]
    rows += [f"| {e['code']} | {e['name']} | {e['desc']} |" for e in spec["errors"]]
    t["errors"] = rows
    rows = ["| address | name | access | meaning |", "|---|---|---|---|"]
    rows += [f"| {c['addr']} | {c['name']} | {c['access']} | {c['desc']} |" for c in spec["csrs"]]
    t["csrs"] = rows
    base = int(spec["counter_base"], 16)
    rows = ["| index | LO address | name | counts |", "|---|---|---|---|"]
    rows += [f"| {i} | 0x{base + 8 * i:03X} | {c['name']} | {c['desc']} |"
             for i, c in enumerate(spec["counters"])]
    t["counters"] = rows
    rows = ["| parameter | default |", "|---|---|"]
    rows += [f"| {k} | {v} |" for k, v in spec["defaults"].items()]
    t["defaults"] = rows
    return t


def doc_text(spec):
    """docs/isa.md with its GENERATED sections refreshed (None if it is missing)."""
    try:
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    for name, rows in md_tables(spec).items():
        begin, end = f"<!-- BEGIN GENERATED:{name} -->", f"<!-- END GENERATED:{name} -->"
        a, b = text.find(begin), text.find(end)
        if a < 0 or b < a:
            sys.exit(f"gen_spec: docs/isa.md lacks the GENERATED:{name} markers")
        text = text[:a + len(begin)] + "\n" + "\n".join(rows) + "\n" + text[b:]
    return text


def main():
    spec = load()
    outputs = {C_OUT: c_header(spec), V_OUT: v_include(spec)}
    doc = doc_text(spec)
    if doc is not None:
        outputs[DOC] = doc
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in outputs.items():
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(os.path.relpath(path, ROOT))
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"gen_spec: wrote {os.path.relpath(path, ROOT)}")
    if stale:
        print("gen_spec: out of date (run scripts/gen_spec.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    if check:
        print(f"gen_spec: {len(outputs)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
