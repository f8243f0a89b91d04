#!/usr/bin/env python3
"""Generate host/src/unicode_tables.h, the Unicode tables of the tokenizer.

  scripts/gen_unicode.py [--data DIR]            rewrite host/src/unicode_tables.h
  scripts/gen_unicode.py [--data DIR] --check    exit 1 if the committed header differs
                                                 from what DIR's data gives; exit 77
                                                 (skipped) when the data is not there

DIR (default /usr/share/unicode, Debian's package `unicode-data`) must hold
UnicodeData.txt; PropList.txt there is used to cross-check the whitespace set
and to read the Unicode version. The build never needs the package: the
generated header is committed.

What the tokenizer needs is what llama.cpp's unicode.cpp uses (its tables come
from its scripts/gen-unicode-data.py, which reads the same UnicodeData.txt):
  - the general category class of every code point (L, N, P, M, S, Z, C, or
    undefined for unassigned ones), as sorted runs "start, class";
  - White_Space, which llama.cpp's generator hard-codes as the PropList.txt
    set (checked against PropList.txt here when it is present);
  - lower-casing is used by llama.cpp only in the Llama-3 contraction rule
    (?i:'s|'t|'re|'ve|'m|'ll|'d). This script asserts that the only code
    points whose simple lowercase mapping is one of d l m r s t v e are the
    ASCII capitals, so the C code can use ASCII lower-casing there exactly.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "host", "src", "unicode_tables.h")
MAX_CPT = 0x110000

# category class ids (host/src/tokenizer.c relies on these values)
UNDEFINED, NUMBER, LETTER, SEPARATOR, MARK, PUNCTUATION, SYMBOL, CONTROL = range(8)
CLASS_NAMES = ["UNDEFINED", "NUMBER", "LETTER", "SEPARATOR", "MARK", "PUNCTUATION", "SYMBOL",
               "CONTROL"]
CATEGORY_CLASS = {
    "Cn": UNDEFINED,
    "Cc": CONTROL, "Cf": CONTROL, "Co": CONTROL, "Cs": CONTROL,
    "Ll": LETTER, "Lm": LETTER, "Lo": LETTER, "Lt": LETTER, "Lu": LETTER,
    "Mc": MARK, "Me": MARK, "Mn": MARK,
    "Nd": NUMBER, "Nl": NUMBER, "No": NUMBER,
    "Pc": PUNCTUATION, "Pd": PUNCTUATION, "Pe": PUNCTUATION, "Pf": PUNCTUATION,
    "Pi": PUNCTUATION, "Po": PUNCTUATION, "Ps": PUNCTUATION,
    "Sc": SYMBOL, "Sk": SYMBOL, "Sm": SYMBOL, "So": SYMBOL,
    "Zl": SEPARATOR, "Zp": SEPARATOR, "Zs": SEPARATOR,
}

# llama.cpp's gen-unicode-data.py: "whitespaces, see <White_Space> in PropList.txt"
WHITESPACE = list(range(0x0009, 0x000D + 1)) + list(range(0x2000, 0x200A + 1)) + [
    0x0020, 0x0085, 0x00A0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]


def fail(msg):
    sys.exit(f"gen_unicode: {msg}")


def read_unicode_data(path):
    """Category class per code point, and the simple lowercase mappings."""
    cls = bytearray(MAX_CPT)  # UNDEFINED = 0
    lower = {}
    first = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split(";")
            if len(fields) != 15:
                fail(f"{path}:{n}: {len(fields)} fields, want 15")
            cpt = int(fields[0], 16)
            name, categ = fields[1], fields[2]
            if cpt >= MAX_CPT or categ not in CATEGORY_CLASS:
                fail(f"{path}:{n}: bad code point or category '{categ}'")
            if fields[13]:
                lower[cpt] = int(fields[13], 16)
            if name.endswith(", First>"):
                first = (cpt, categ)
                continue
            if name.endswith(", Last>"):
                if first is None or first[1] != categ:
                    fail(f"{path}:{n}: range end without a matching start")
                for c in range(first[0], cpt + 1):
                    cls[c] = CATEGORY_CLASS[categ]
                first = None
                continue
            cls[cpt] = CATEGORY_CLASS[categ]
    if first is not None:
        fail(f"{path}: unterminated range")
    return cls, lower


def read_proplist(path):
    """(version, White_Space set) from PropList.txt, or (None, None)."""
    if not os.path.exists(path):
        return None, None
    version = None
    ws = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if version is None and line.startswith("# PropList-"):
                version = line[len("# PropList-"):].split(".txt")[0]
            body = line.split("#")[0].strip()
            if not body:
                continue
            rng, prop = [s.strip() for s in body.split(";")]
            if prop != "White_Space":
                continue
            if ".." in rng:
                a, b = rng.split("..")
                ws.update(range(int(a, 16), int(b, 16) + 1))
            else:
                ws.add(int(rng, 16))
    return version, ws


def runs(cls):
    out = []
    prev = None
    for c in range(MAX_CPT):
        if cls[c] != prev:
            out.append((c, cls[c]))
            prev = cls[c]
    return out


def ranges_of(points):
    pts = sorted(points)
    out = []
    for p in pts:
        if out and out[-1][1] + 1 == p:
            out[-1][1] = p
        else:
            out.append([p, p])
    return out


def header(data_dir):
    ud = os.path.join(data_dir, "UnicodeData.txt")
    cls, lower = read_unicode_data(ud)
    version, ws = read_proplist(os.path.join(data_dir, "PropList.txt"))
    if ws is not None and ws != set(WHITESPACE):
        fail("PropList.txt's White_Space differs from llama.cpp's hard-coded list: "
             f"{sorted(ws ^ set(WHITESPACE))}")
    to_ascii = sorted(c for c, l in lower.items() if chr(l) in "dlmrstve")
    if to_ascii != [ord(ch) for ch in sorted("DLMRSTVE")]:
        fail(f"code points lowercasing to d l m r s t v e: {[hex(c) for c in to_ascii]}; "
             "the Llama-3 contraction rule would need a lowercase table")
    r = runs(cls)
    counts = [0] * 8
    for c in range(MAX_CPT):
        counts[cls[c]] += 1
    lines = [
        "/* SPDX-License-Identifier: Apache-2.0 */",
        "/*",
        " * GENERATED by scripts/gen_unicode.py from UnicodeData.txt"
        f"{' (Unicode ' + version + ')' if version else ''} - do not edit.",
        " *",
        " * The general category class of every code point as sorted runs:",
        " * entry = start << 8 | class; a run lasts until the next entry's start.",
        " * White_Space as inclusive ranges. llama.cpp's unicode.cpp uses exactly",
        " * these (its tables come from the same UnicodeData.txt); host/src/tokenizer.c",
        " * looks them up.",
        " *",
        " * Code points per class: " + ", ".join(
            f"{CLASS_NAMES[i].lower()} {counts[i]}" for i in range(8)) + ".",
        " */",
        "#ifndef TLPU_UNICODE_TABLES_H",
        "#define TLPU_UNICODE_TABLES_H",
        "",
        "#include <stdint.h>",
        "",
        f"#define TLPU_UNICODE_VERSION \"{version or 'unknown'}\"",
        "",
    ]
    for i, n in enumerate(CLASS_NAMES):
        lines.append(f"#define TLPU_UCLASS_{n} {i}u")
    lines += ["", f"#define TLPU_UCLASS_RUNS {len(r)}",
              "static const uint32_t tlpu_uclass_runs[TLPU_UCLASS_RUNS] = {"]
    items = [f"0x{start << 8 | c:08x}" for start, c in r]
    for i in range(0, len(items), 7):
        lines.append("    " + ", ".join(items[i:i + 7]) + ",")
    lines.append("};")
    wr = ranges_of(WHITESPACE)
    lines += ["", f"#define TLPU_UWHITE_RANGES {len(wr)}",
              "static const uint32_t tlpu_uwhite_ranges[TLPU_UWHITE_RANGES][2] = {"]
    for a, b in wr:
        lines.append(f"    {{0x{a:04x}, 0x{b:04x}}},")
    lines += ["};", "", "#endif /* TLPU_UNICODE_TABLES_H */", ""]
    return "\n".join(lines)


def main(argv):
    check = False
    data_dir = "/usr/share/unicode"
    i = 1
    while i < len(argv):
        if argv[i] == "--check":
            check = True
        elif argv[i] == "--data" and i + 1 < len(argv):
            i += 1
            data_dir = argv[i]
        else:
            fail(f"unknown argument '{argv[i]}' (usage: gen_unicode.py [--data DIR] [--check])")
        i += 1
    if not os.path.exists(os.path.join(data_dir, "UnicodeData.txt")):
        msg = (f"gen_unicode: {data_dir}/UnicodeData.txt not found "
               "(install Debian's unicode-data package)")
        if check:
            print(msg + "; check skipped")
            return 77
        fail(msg[len("gen_unicode: "):])
    text = header(data_dir)
    if check:
        try:
            with open(OUT, encoding="utf-8") as f:
                old = f.read()
        except OSError:
            old = None
        if old != text:
            print(f"gen_unicode: {os.path.relpath(OUT, ROOT)} is out of date: "
                  "run scripts/gen_unicode.py", file=sys.stderr)
            return 1
        print(f"gen_unicode: {os.path.relpath(OUT, ROOT)} is up to date")
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
