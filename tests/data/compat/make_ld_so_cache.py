#!/usr/bin/env python3
"""Writes small loader caches (the ld.so.cache format of glibc's sysdeps/generic/dl-cache.h) for tests.

Usage: make_ld_so_cache.py new|old|old+new OUT SONAME=PATH...
"""
import struct
import sys

X8664_LIBC6 = 0x0303


def new_format(entries):
    header = 48
    strings = b""
    offsets = []
    base = header + 24 * len(entries)
    for soname, path in entries:
        k = base + len(strings)
        strings += soname.encode() + b"\0"
        v = base + len(strings)
        strings += path.encode() + b"\0"
        offsets.append((k, v))
    out = b"glibc-ld.so.cache" + b"1.1"
    out += struct.pack("<IIB3sI12s", len(entries), len(strings), 2, b"\0" * 3, 0, b"\0" * 12)
    for k, v in offsets:
        out += struct.pack("<iIIIQ", X8664_LIBC6, k, v, 0, 0)
    return out + strings


def old_format(entries, then_new=False):
    strings = b""
    recs = b""
    for soname, path in entries:
        k = len(strings)
        strings += soname.encode() + b"\0"
        v = len(strings)
        strings += path.encode() + b"\0"
        recs += struct.pack("<iII", X8664_LIBC6, k, v)
    out = b"ld.so-1.7.0\0" + struct.pack("<I", len(entries)) + recs
    if then_new:
        out += b"\0" * ((8 - len(out) % 8) % 8)
        return out + new_format(entries)
    return out + strings


def main():
    kind, path = sys.argv[1], sys.argv[2]
    entries = [tuple(a.split("=", 1)) for a in sys.argv[3:]]
    data = new_format(entries) if kind == "new" else old_format(entries, kind == "old+new")
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
