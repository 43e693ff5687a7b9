#!/usr/bin/env python3
"""Checks for the HTML report (tests/e2e/html_test.sh).

  html_check.py strict FILE.html                 well-formed: strict tag nesting, known tags only, every <svg> is
                                                 well-formed XML, nothing external, no script
  html_check.py dom DOM.html SPEC.json           assertions on the DOM that Chromium dumped (SPEC: what to expect)
  html_check.py png FILE.png WIDTH HEIGHT        a PNG of that size that is not blank; prints the top-left pixel
"""
import json
import struct
import sys
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser

VOID = {"meta", "br"}
ALLOWED = VOID | {
    "html", "head", "title", "style", "body", "header", "h1", "h2", "h3", "p", "main", "section", "article", "span",
    "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "div", "figure", "figcaption", "ul", "li", "footer",
    "svg", "g", "line", "text", "rect", "path", "circle",
}
SVG_ONLY = {"g", "line", "text", "rect", "path", "circle"}


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


class Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.doctype = False
        self.tags = 0

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.doctype = True

    def check_tag(self, tag, attrs, selfclosing):
        self.tags += 1
        if tag not in ALLOWED:
            fail("unexpected tag <%s> at line %d" % (tag, self.getpos()[0]))
        in_svg = "svg" in self.stack
        if tag in SVG_ONLY and not in_svg:
            fail("<%s> outside <svg> at line %d" % (tag, self.getpos()[0]))
        if selfclosing and not in_svg and tag not in VOID:
            fail("self-closing <%s/> outside svg at line %d" % (tag, self.getpos()[0]))
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "href") or (value or "").lower().startswith("javascript:"):
                fail("attribute %s=%r at line %d" % (name, value, self.getpos()[0]))

    def handle_starttag(self, tag, attrs):
        self.check_tag(tag, attrs, False)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.check_tag(tag, attrs, True)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            fail("</%s> does not close <%s> at line %d" % (tag, self.stack[-1] if self.stack else "", self.getpos()[0]))
        self.stack.pop()


def strict(path):
    raw = open(path, "rb").read()
    text = raw.decode("utf-8")  # strict: invalid UTF-8 fails here
    if not text.startswith("<!DOCTYPE html>"):
        fail("does not start with <!DOCTYPE html>")
    for bad in ("<script", "<link", "<img", "<iframe", "@import", "url(", "http://", "https://"):
        if bad in text.replace('xmlns="http://www.w3.org/2000/svg"', ""):
            fail("external resource or script: %r" % bad)
    p = Strict()
    p.feed(text)
    p.close()
    if not p.doctype:
        fail("no doctype")
    if p.stack:
        fail("unclosed tags at the end: %s" % p.stack)
    # Every inline SVG is well-formed XML on its own (strict XML parser: entities, nesting, quoting).
    svgs = 0
    pos = text.find("<svg")
    while pos >= 0:
        end = text.find("</svg>", pos)
        ET.fromstring(text[pos:end + 6])
        svgs += 1
        pos = text.find("<svg", end)
    print("ok   strict: %d tags, %d svg, %d bytes" % (p.tags, svgs, len(raw)))


class Dom(HTMLParser):
    """Collects elements with their classes and ids, and the text of <title> and <text> elements by chart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, attrs)
        self.figures = {}  # id -> {"tags": {tag/class: count}, "titles": [...], "texts": [...]}
        self.findings = []  # (severity class, h3 text)
        self.text = []
        self.capture = None

    def figure(self):
        for tag, attrs in reversed(self.stack):
            if tag == "figure":
                return self.figures.setdefault(attrs.get("id", ""), {"tags": {}, "titles": [], "texts": []})
        return None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        fig = self.figure()
        if fig is not None:
            key = tag + "." + ".".join(sorted((attrs.get("class") or "").split()))
            fig["tags"][key] = fig["tags"].get(key, 0) + 1
            fig["tags"][tag] = fig["tags"].get(tag, 0) + 1
            if tag == "path":
                fig.setdefault("paths", []).append(attrs.get("d", ""))
        if tag == "article" and "finding" in (attrs.get("class") or ""):
            self.findings.append([attrs["class"].split()[1], ""])
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        if tag == "figure":
            self.figures.setdefault(attrs.get("id", ""), {"tags": {}, "titles": [], "texts": []})
        if tag in ("title", "text", "figcaption") and self.figure() is not None:
            self.capture = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag in ("title", "text", "figcaption") and self.capture is not None:
            fig = self.figure()
            if fig is not None:
                fig["titles" if tag == "title" else "texts"].append("".join(self.capture))
            self.capture = None

    def handle_data(self, data):
        self.text.append(data)
        if self.capture is not None:
            self.capture.append(data)
        if self.findings and any(t == "h3" for t, _ in self.stack):
            self.findings[-1][1] += data


def dom(path, spec_path):
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    spec = json.load(open(spec_path))
    text = "".join(d.text)
    bad = 0

    def check(cond, msg):
        nonlocal bad
        print(("ok   " if cond else "FAIL ") + msg)
        if not cond:
            bad += 1

    for fig_id, want in spec.get("figures", {}).items():
        fig = d.figures.get(fig_id)
        check(fig is not None, "chart %s is in the DOM" % fig_id)
        if fig is None:
            continue
        for key, n in want.get("min", {}).items():
            got = fig["tags"].get(key, 0)
            check(got >= n, "%s: %d × %s (want ≥ %d)" % (fig_id, got, key, n))
        for key, n in want.get("exactly", {}).items():
            got = fig["tags"].get(key, 0)
            check(got == n, "%s: %d × %s (want %d)" % (fig_id, got, key, n))
        for t in want.get("titles_containing", []):
            check(any(t in x for x in fig["titles"]), "%s: a <title> contains %r" % (fig_id, t))
        for t in want.get("texts", []):
            check(t in fig["texts"], "%s: text %r" % (fig_id, t))
        if want.get("paths_nonempty"):
            check(all(len(p) > 20 for p in fig.get("paths", [""])), "%s: paths have points" % fig_id)
    for fid in spec.get("findings", []):
        check(any(fid in h for _, h in d.findings), "finding %s rendered" % fid)
    if "finding_count" in spec:
        check(len(d.findings) == spec["finding_count"], "%d findings (want %d)" % (len(d.findings), spec["finding_count"]))
    sevs = [s for s, _ in d.findings]
    order = {"error": 0, "warning": 1, "info": 2}
    check(sevs == sorted(sevs, key=order.get), "findings ranked by severity: %s" % sevs)
    for t in spec.get("text", []):
        check(t in text, "page text contains %r" % t[:80])
    if bad:
        sys.exit(1)


def png(path, width, height):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if (w, h) != (width, height):
        fail("screenshot is %dx%d, expected %dx%d" % (w, h, width, height))
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("unexpected PNG format: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours = {}
    first = None
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        if y % 4 == 0:
            for x in range(0, w, 2):
                px = bytes(line[x * bpp:x * bpp + 3])
                colours[px] = colours.get(px, 0) + 1
        if first is None:
            first = bytes(line[0:3])
        prev = line
    total = sum(colours.values())
    top = max(colours.values())
    if len(colours) < 8 or top > 0.995 * total:
        fail("screenshot looks blank: %d colours, the commonest covers %.2f %%" % (len(colours), 100.0 * top / total))
    print("ok   png %dx%d, %d colours sampled, background %.1f %%, top-left #%s" %
          (w, h, len(colours), 100.0 * top / total, first.hex()))


if __name__ == "__main__":
    if sys.argv[1] == "strict":
        strict(sys.argv[2])
    elif sys.argv[1] == "dom":
        dom(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "png":
        png(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        fail("usage: html_check.py strict|dom|png …")
