#!/usr/bin/env python3
"""Compares the non-text regions of two live-view frames (PNG, 8-bit RGB, as
cairo writes them): the TLB heat maps' cells and the fault timeline are
pure fills, so they must be equal pixel for pixel; text depends on the
FreeType and font packages and is left out.  A PNG reader of its own
(zlib + the five row filters), so the test needs nothing but python3.
usage: view_check.py GOT.png GOLDEN.png"""
import struct, sys, zlib

def read_png(path):
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    i, idat, w = 8, b"", 0
    while i < len(d):
        n, = struct.unpack(">I", d[i:i + 4]); t = d[i + 4:i + 8]; body = d[i + 8:i + 8 + n]
        if t == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype == 2 and inter == 0, f"{path}: not 8-bit RGB"
        elif t == b"IDAT":
            idat += body
        i += 12 + n
    raw, bpp, stride = zlib.decompress(idat), 3, w * 3
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[p]; line = bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, rows

# the regions without text (tools/view.c's layout): l1d, l1i and stlb cells,
# the timeline
REGIONS = {"l1d cells": (10, 52, 56, 80), "l1i cells": (10, 158, 112, 80), "stlb cells": (10, 264, 168, 128),
           "timeline": (10, 470, 1380, 250)}
got, gold = read_png(sys.argv[1]), read_png(sys.argv[2])
bad = 0
for name, (x, y, w, h) in REGIONS.items():
    diff = sum(1 for r in range(y, y + h) for c in range(x, x + w)
               if got[2][r][3 * c:3 * c + 3] != gold[2][r][3 * c:3 * c + 3])
    lit = sum(1 for r in range(y, y + h) for c in range(x, x + w) if max(gold[2][r][3 * c:3 * c + 3]) > 60)
    print(("ok" if not diff else "FAIL") + f": {name}: {diff} of {w * h} pixels differ ({lit} drawn)")
    bad += diff > 0 or lit == 0
sys.exit(1 if bad else 0)
