#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""docs/sweep.schema.json against the parser it describes (host/src/sweep.c).

  TLPU=path/to/tlpu check_sweep_schema.py

1. the schema is a valid JSON Schema (draft 2020-12, python3-jsonschema);
2. every sweep description the project itself uses is valid against it: the
   ```json blocks of docs/sweep.md's "## The description" section, the
   <<'JSON' heredocs of tests/sweep/test_sweep_local.sh, test_sweep_slurm.sh
   and tests/cli/test_cli.sh (and the model: copy test_sweep_local.sh makes of
   its sim: spec with sed), and the spec bench/sweep.c writes - plus some
   edge cases below - and `$TLPU sweep plan SPEC -o DIR` accepts each (exit 0);
3. descriptions the parser must refuse: the schema rejects each and
   `tlpu sweep plan` exits 2;
4. the limits the schema's descriptions admit to: descriptions the schema
   cannot tell from good ones (unknown models, to < from, ...) - the schema
   accepts each and `tlpu sweep plan` exits 2.

Exit status 0 when all hold; otherwise one "FAIL: ..." line per failure and 1.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCHEMA = os.path.join(ROOT, "docs", "sweep.schema.json")
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


try:
    import jsonschema
except ImportError:
    print("FAIL: python3-jsonschema is not installed (scripts/setup.sh installs it)")
    sys.exit(1)

M = "bitnet-0.7b"

# ---- the project's own descriptions -------------------------------------------------------


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def docs_examples():
    text = read("docs/sweep.md")
    m = re.search(r"^## The description\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        return []
    blocks = re.findall(r"^```json\n(.*?)^```", m.group(1), re.S | re.M)
    return [b for b in blocks if "tlpu_sweep" in b]


def heredocs(rel):
    text = read(rel)
    docs = [d for d in re.findall(r"<<'JSON'\n(.*?)\nJSON\n", text, re.S) if "tlpu_sweep" in d]
    # test_sweep_local.sh's model.json is its sim.json with the engine changed by sed: each
    # sim: spec here gets that model: copy (one more than the script plans: both are accepted)
    if "sed 's/\"sim:\"/\"model:\"/'" in text:
        docs += [d.replace('"sim:"', '"model:"') for d in docs if '"sim:"' in d]
    return docs


def c_strings(rel):
    """the specs a C file writes: each fprintf/fputs whose literal starts {"tlpu_sweep" """
    text = read(rel)
    out = []
    for call in re.findall(r'\(\s*f\s*,\s*("\{\\"tlpu_sweep\\".*?)\);', text, re.S):
        lits = re.findall(r'"((?:[^"\\]|\\.)*)"', call)
        s = "".join(lits)
        out.append(s.encode("ascii").decode("unicode_escape"))
    return out


SOURCES = [
    ("docs/sweep.md", docs_examples),
    ("tests/sweep/test_sweep_local.sh", lambda: heredocs("tests/sweep/test_sweep_local.sh")),
    ("tests/sweep/test_sweep_slurm.sh", lambda: heredocs("tests/sweep/test_sweep_slurm.sh")),
    ("tests/cli/test_cli.sh", lambda: heredocs("tests/cli/test_cli.sh")),
    ("bench/sweep.c", lambda: c_strings("bench/sweep.c")),
]

# ---- edge cases the parser accepts (exit 0) -------------------------------------------------

EDGE_GOOD = [
    ("minimal", {"tlpu_sweep": 1, "models": [M]}),
    ("a name", {"tlpu_sweep": 1, "name": "any text", "models": [M]}),
    ("phase bounds", {"tlpu_sweep": 1, "models": [M], "prefill": 0, "decode": 1048576,
                      "context": 0}),
    ("64 models", {"tlpu_sweep": 1, "models": [M] * 64}),
    ("sim: with layers all, the largest seed, device metrics repeated",
     {"tlpu_sweep": 1, "models": [M], "engine": "sim:", "layers": "all",
      "seed": 9223372036854775807,
      "metrics": ["device_agree", "area_mm2", "device_agree", "estimate_cycles"]}),
    ("model: with layers", {"tlpu_sweep": 1, "models": [M], "engine": "model:", "prefill": 4,
                            "decode": 1, "layers": ["q_proj"], "seed": 0}),
    ("estimate named, every estimate metric",
     {"tlpu_sweep": 1, "models": [M], "engine": "estimate",
      "metrics": ["prefill_s", "prefill_tokens_per_s", "prefill_j_per_token", "ms_per_token",
                  "tokens_per_s", "j_per_token", "pj_per_mac", "lanes", "weight_bytes",
                  "area_mm2"]}),
    ("empty grid", {"tlpu_sweep": 1, "models": [M], "grid": {}}),
    ("not buildable: a rejected point, not a refusal",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": [5], "wbuf": [3]}}),
    # (prefill 1, decode 1 and no small core with a long latency: planning stays fast)
    ("every parameter at its lower bound",
     {"tlpu_sweep": 1, "models": [M], "prefill": 1, "decode": 1,
      "grid": {"rows": [4], "cols": [20], "wbuf": [1], "abuf": [1], "obuf": [3], "imem": [1],
               "queue": [2], "burst": [1], "clock": [1000], "latency": [1], "zeros": [0]}}),
    ("every parameter at its upper bound",
     {"tlpu_sweep": 1, "models": [M], "prefill": 1, "decode": 1,
      "grid": {"rows": [1024], "cols": [1280], "wbuf": [65536], "abuf": [16777216],
               "obuf": [16777216], "imem": [1048576], "queue": [1024], "burst": [1024],
               "clock": [1e11], "latency": [1000000], "zeros": [1]}}),
    ("every variant, packing and a built-in energy table",
     {"tlpu_sweep": 1, "models": [M], "prefill": 1, "decode": 1,
      "grid": {"variant": ["default", "small", "large"], "packing": ["base3", "2bit"],
               "energy": ["7nm", "45nm"]}}),
    ("ranges", {"tlpu_sweep": 1, "models": [M], "prefill": 1, "decode": 1,
                "grid": {"rows": {"from": 32, "to": 100000, "step": 1000000},
                         "cols": {"from": 40, "to": 90, "times": 1.5},
                         "latency": {"from": 1, "to": 100, "times": 10},
                         "clock": {"from": 1e3, "to": 1e11, "times": 1e4},
                         "zeros": {"from": 0, "to": 1, "step": 0.5}}}),
    ("4095 values", {"tlpu_sweep": 1, "models": [M],
                     "grid": {"clock": {"from": 1e3, "to": 4.095e6, "step": 1e3}}}),
]

# ---- refused by both: the schema rejects, tlpu sweep plan exits 2 ---------------------------

BAD = [
    ("name not a string", {"tlpu_sweep": 1, "name": {"any": [1]}, "models": [M]}),
    ("unknown top-level key", {"tlpu_sweep": 1, "models": [M], "speed": 1}),
    ("tlpu_sweep 2", {"tlpu_sweep": 2, "models": [M]}),
    ("tlpu_sweep missing", {"models": [M]}),
    ("not an object", [{"tlpu_sweep": 1, "models": [M]}]),
    ("models empty", {"tlpu_sweep": 1, "models": []}),
    ("models missing", {"tlpu_sweep": 1}),
    ("65 models", {"tlpu_sweep": 1, "models": [M] * 65}),
    ("a model not a string", {"tlpu_sweep": 1, "models": [7]}),
    ("grid parameter unknown", {"tlpu_sweep": 1, "models": [M], "grid": {"rows": [16], "warp": [9]}}),
    ("grid not an object", {"tlpu_sweep": 1, "models": [M], "grid": [16]}),
    ("range with neither step nor times",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 4, "to": 8}}}),
    ("range with both step and times",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 4, "to": 8, "step": 4, "times": 2}}}),
    ("range with another member",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 4, "to": 8, "step": 4, "x": 1}}}),
    ("range step 0", {"tlpu_sweep": 1, "models": [M], "grid": {"zeros": {"from": 0, "to": 1, "step": 0}}}),
    ("range times 1", {"tlpu_sweep": 1, "models": [M], "grid": {"clock": {"from": 1e9, "to": 2e9, "times": 1}}}),
    ("an integer range with a fractional step",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 4, "to": 8, "step": 0.5}}}),
    ("a range for packing", {"tlpu_sweep": 1, "models": [M],
                             "grid": {"packing": {"from": 1, "to": 2, "step": 1}}}),
    ("empty value list", {"tlpu_sweep": 1, "models": [M], "grid": {"rows": []}}),
    ("4096 values", {"tlpu_sweep": 1, "models": [M], "grid": {"clock": [1e9] * 4096}}),
    ("metrics with an unknown name", {"tlpu_sweep": 1, "models": [M], "metrics": ["j_per_token", "speed"]}),
    ("metrics empty", {"tlpu_sweep": 1, "models": [M], "metrics": []}),
    ("a device metric without a device engine",
     {"tlpu_sweep": 1, "models": [M], "metrics": ["device_cycles"]}),
    ("a string where a number is required (grid)",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": ["16"]}}),
    ("a string where a number is required (prefill)", {"tlpu_sweep": 1, "models": [M], "prefill": "64"}),
    ("a number where a string is required", {"tlpu_sweep": 1, "models": [M], "grid": {"energy": [7]}}),
    ("a boolean grid value", {"tlpu_sweep": 1, "models": [M], "grid": {"zeros": [True]}}),
    ("prefill and decode both 0", {"tlpu_sweep": 1, "models": [M], "prefill": 0, "decode": 0}),
    ("decode too long", {"tlpu_sweep": 1, "models": [M], "decode": 1048577}),
    ("context negative", {"tlpu_sweep": 1, "models": [M], "context": -1}),
    ("engine with URI options", {"tlpu_sweep": 1, "models": [M], "engine": "model:rows=4"}),
    ("engine unknown", {"tlpu_sweep": 1, "models": [M], "engine": "usb:"}),
    ("layers without a device engine", {"tlpu_sweep": 1, "models": [M], "layers": "all"}),
    ("seed without a device engine", {"tlpu_sweep": 1, "models": [M], "engine": "estimate", "seed": 1}),
    ("layers empty", {"tlpu_sweep": 1, "models": [M], "engine": "model:", "layers": []}),
    ("layers a number", {"tlpu_sweep": 1, "models": [M], "engine": "model:", "layers": 3}),
    ("seed negative", {"tlpu_sweep": 1, "models": [M], "engine": "sim:", "seed": -1}),
    ("variant unknown", {"tlpu_sweep": 1, "models": [M], "grid": {"variant": ["huge"]}}),
    ("packing unknown", {"tlpu_sweep": 1, "models": [M], "grid": {"packing": ["3bit"]}}),
    ("rows below 4", {"tlpu_sweep": 1, "models": [M], "grid": {"rows": [2]}}),
    ("obuf below 3", {"tlpu_sweep": 1, "models": [M], "grid": {"obuf": [2]}}),
    ("clock below 1e3", {"tlpu_sweep": 1, "models": [M], "grid": {"clock": [10]}}),
    ("latency 0", {"tlpu_sweep": 1, "models": [M], "grid": {"latency": [0]}}),
    ("zeros above 1", {"tlpu_sweep": 1, "models": [M], "grid": {"zeros": [0.5, 2]}}),
    ("range from below the bound",
     {"tlpu_sweep": 1, "models": [M], "grid": {"queue": {"from": 1, "to": 8, "times": 2}}}),
]

# ---- what the schema cannot see: it accepts, tlpu sweep plan exits 2 --------------------------

PARSER_ONLY = [
    ("unknown model", {"tlpu_sweep": 1, "models": ["gpt-5"]}),
    ("a layer not in the model",
     {"tlpu_sweep": 1, "models": [M], "engine": "model:", "layers": ["q_proj", "w9"]}),
    ("range to < from", {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 64, "to": 16, "step": 4}}}),
    ("a range of 4096+ values",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 4, "to": 5000, "step": 1}}}),
    ("a range value out of bounds",
     {"tlpu_sweep": 1, "models": [M], "grid": {"rows": {"from": 1000, "to": 1100, "step": 100}}}),
    ("more than a million points",
     {"tlpu_sweep": 1, "models": [M], "grid": {"clock": {"from": 1e3, "to": 2e6, "step": 1e3},
                                               "zeros": {"from": 0, "to": 1, "step": 0.001}}}),
    ("an energy table that does not load", {"tlpu_sweep": 1, "models": [M], "grid": {"energy": ["nope"]}}),
    # JSON Schema counts 1.0 and 1e2 as integers, jansson does not
    ("tlpu_sweep 1.0", '{"tlpu_sweep": 1.0, "models": ["bitnet-0.7b"]}'),
    ("an integer written 1e2", '{"tlpu_sweep": 1, "models": ["bitnet-0.7b"], "grid": {"rows": [1e2]}}'),
]

# ---- the checks ------------------------------------------------------------------------------


def reject_constant(name):
    raise ValueError(f"non-JSON number {name}")


def as_text(spec):
    return spec if isinstance(spec, str) else json.dumps(spec)


def schema_errors(validator, text):
    doc = json.loads(text, parse_constant=reject_constant)
    return [f"at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}"
            for e in validator.iter_errors(doc)]


def plan(tlpu, tmp, n, text):
    path = os.path.join(tmp, f"spec{n}.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        r = subprocess.run([tlpu, "sweep", "plan", path, "-o", os.path.join(tmp, f"out{n}")],
                           cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
    except subprocess.TimeoutExpired:
        return None, "timed out after 120 s"
    return r.returncode, r.stdout.strip().replace("\n", " | ")[:300]


def main():
    tlpu = os.environ.get("TLPU")
    if not tlpu or not os.access(tlpu, os.X_OK):
        print(f"FAIL: TLPU must name the tlpu executable (TLPU={tlpu!r})")
        return 1
    try:
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f, parse_constant=reject_constant)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"FAIL: {SCHEMA}: not a valid JSON Schema: {str(e)[:500]}")
        return 1
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        fail(f"{SCHEMA}: $schema is not draft 2020-12")
    validator = cls(schema)

    good = []
    for src, get in SOURCES:
        try:
            specs = get()
        except (OSError, UnicodeError) as e:
            fail(f"{src}: cannot read its sweep descriptions: {e}")
            continue
        if not specs:
            fail(f"{src}: no sweep description found (did its format change?)")
        good += [(f"{src} #{i + 1}", s) for i, s in enumerate(specs)]
    nproject = len(good)
    good += [(f"edge case: {name}", as_text(s)) for name, s in EDGE_GOOD]

    n = 0
    with tempfile.TemporaryDirectory(prefix="tlpu-sweep-schema.") as tmp:
        for name, text in good:
            n += 1
            try:
                errs = schema_errors(validator, text)
            except ValueError as e:
                fail(f"{name}: not JSON: {e}")
                continue
            for e in errs[:5]:
                fail(f"{name}: the schema rejects a description tlpu accepts: {e}")
            rc, out = plan(tlpu, tmp, n, text)
            if rc != 0:
                fail(f"{name}: tlpu sweep plan exited {rc} (want 0): {out}")
        for name, spec in BAD:
            n += 1
            text = as_text(spec)
            if not schema_errors(validator, text):
                fail(f"bad spec '{name}': the schema accepts it")
            rc, out = plan(tlpu, tmp, n, text)
            if rc != 2:
                fail(f"bad spec '{name}': tlpu sweep plan exited {rc} (want 2): {out}")
        for name, spec in PARSER_ONLY:
            n += 1
            text = as_text(spec)
            errs = schema_errors(validator, text)
            if errs:
                fail(f"parser-only refusal '{name}': the schema rejects it, although its "
                     f"description says only the parser checks this: {errs[0]}")
            rc, out = plan(tlpu, tmp, n, text)
            if rc != 2:
                fail(f"parser-only refusal '{name}': tlpu sweep plan exited {rc} (want 2): {out}")

    if failures:
        print(f"check_sweep_schema: {len(failures)} failure(s)")
        return 1
    print(f"check_sweep_schema: OK: {nproject} of the project's descriptions and "
          f"{len(EDGE_GOOD)} edge cases valid and planned, {len(BAD)} bad ones refused by both, "
          f"{len(PARSER_ONLY)} refused by the parser alone as the schema says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
