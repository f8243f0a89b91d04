#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the JSON and HTML renderings of a tlpu report (host/src/report.c).

  validate_report.py --schema docs/report.schema.json [--json R.json]... [--html R.html]...
                     [--pair R.json R.html]...

--json   the file is JSON (no NaN/Infinity), and valid against the schema
         (draft 2020-12, itself checked first);
--html   the whole page parses as XML (xml.etree); it has 4 or more <svg>
         elements; each <svg> ... </svg> of the file's text parses on its own
         as SVG with the SVG namespace, a viewBox, a non-empty <title> and an
         axis title with a unit in parentheses (or, for a chart with nothing
         to draw, its message); the page has no scripts and loads nothing;
--pair   both of the above, and the page's <title> and <h1> carry the JSON's
         model name (so escaping round-trips exactly).
--expect-invalid   the opposite: every file given must fail at least one
         check (the tests feed broken files to show the checks bite).

Exit status 0 when every check passes; otherwise each failure is printed and
the status is 1 (2 for bad usage or a missing module).
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

try:
    import jsonschema
except ImportError:  # pragma: no cover
    print("validate_report.py: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
failures = []


def fail(path, msg):
    failures.append(f"{path}: {msg}")


def reject_constant(name):
    raise ValueError(f"non-JSON number {name}")


def check_json(path, validator):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f, parse_constant=reject_constant)
    except (OSError, ValueError) as e:
        fail(path, f"not JSON: {e}")
        return None
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        fail(path, f"schema: at {where}: {e.message[:300]}")
    return doc


def text_of(el):
    return "".join(el.itertext())


def check_svg(path, i, src):
    where = f"svg #{i}"
    try:
        root = ET.fromstring(src)
    except ET.ParseError as e:
        fail(path, f"{where} does not parse on its own: {e}")
        return
    if root.tag != SVG + "svg":
        fail(path, f"{where}: root is {root.tag}, not an SVG <svg>")
        return
    vb = root.get("viewBox", "").split()
    if len(vb) != 4 or not all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in vb) or \
            float(vb[2]) <= 0 or float(vb[3]) <= 0:
        fail(path, f"{where}: bad viewBox {root.get('viewBox')!r}")
    title = root.find(SVG + "title")
    if title is None or not text_of(title).strip():
        fail(path, f"{where}: no <title>")
    texts = list(root.iter(SVG + "text"))
    axes = [t for t in texts if t.get("class") == "axis-label"]
    message = [t for t in texts if t.get("class") == "chart-message"]
    if not message and not any(re.search(r"\(.+\)", text_of(t)) for t in axes):
        fail(path, f"{where}: no axis title with a unit in parentheses")
    for el in root.iter():
        if el.tag in (SVG + "script", SVG + "image", SVG + "foreignObject", SVG + "use"):
            fail(path, f"{where}: has <{el.tag}>")


def check_html(path):
    try:
        with open(path, encoding="utf-8") as f:
            page = f.read()
    except (OSError, UnicodeDecodeError) as e:
        fail(path, f"unreadable or not UTF-8: {e}")
        return None
    try:
        root = ET.fromstring(page)
    except ET.ParseError as e:
        fail(path, f"not well-formed XML: {e}")
        return None
    if root.tag != XHTML + "html":
        fail(path, f"root element is {root.tag}, not XHTML <html>")
    svgs = list(root.iter(SVG + "svg"))
    if len(svgs) < 4:
        fail(path, f"{len(svgs)} <svg> elements, expected 4 or more")
    sources = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    if len(sources) != len(svgs):
        fail(path, f"{len(sources)} <svg> texts but {len(svgs)} <svg> elements")
    for i, src in enumerate(sources):
        check_svg(path, i, src)
    # self-contained: nothing fetched, nothing run
    for el in root.iter():
        local = el.tag.split("}")[-1]
        if local in ("script", "link", "img", "iframe", "object", "embed", "image", "audio",
                     "video", "source"):
            fail(path, f"has a <{local}> element")
        for name, value in el.attrib.items():
            lname = name.split("}")[-1]
            if lname in ("src", "href", "srcset", "action") or lname.startswith("on"):
                fail(path, f"<{local}> has attribute {lname}")
            if "url(" in value or "javascript:" in value:
                fail(path, f"<{local}> attribute {lname} refers to a resource")
    for style in root.iter(XHTML + "style"):
        if "url(" in text_of(style) or "@import" in text_of(style):
            fail(path, "the stylesheet loads a resource")
    return root


def check_pair(jpath, hpath, validator):
    doc = check_json(jpath, validator)
    root = check_html(hpath)
    if doc is None or root is None:
        return
    model = doc.get("model", "")
    title = root.find(f"{XHTML}head/{XHTML}title")
    if title is None or text_of(title) != "tlpu report: " + model:
        fail(hpath, f"<title> is {None if title is None else text_of(title)!r}, "
                    f"expected {'tlpu report: ' + model!r}")
    h1 = root.find(f".//{XHTML}h1")
    if h1 is None or not text_of(h1).startswith(model):
        fail(hpath, f"<h1> does not start with the model name {model!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schema", required=True)
    ap.add_argument("--json", action="append", default=[])
    ap.add_argument("--html", action="append", default=[])
    ap.add_argument("--pair", nargs=2, action="append", default=[], metavar=("JSON", "HTML"))
    ap.add_argument("--expect-invalid", action="store_true")
    a = ap.parse_args()
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    jobs = [(p, lambda p=p: check_json(p, validator)) for p in a.json]
    jobs += [(p, lambda p=p: check_html(p)) for p in a.html]
    jobs += [(f"{j} + {h}", lambda j=j, h=h: check_pair(j, h, validator)) for j, h in a.pair]
    if a.expect_invalid:
        passed = []
        for name, job in jobs:
            before = len(failures)
            job()
            if len(failures) == before:
                passed.append(name)
        for name in passed:
            print(f"{name}: passed every check but should not have")
        return 1 if passed else 0
    for _, job in jobs:
        job()
    for msg in failures:
        print(msg)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
