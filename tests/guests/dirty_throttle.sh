#!/bin/sh
# Dirty throttling (issue 13): write() is charged a file.writeback step only
# when the dirty page cache passes guest.dirty_ratio of RAM, and the writer
# then waits until it is back at guest.dirty_background_ratio
# (mm/page-writeback.c balance_dirty_pages).  With --mem 256M: limit
# 20% = 13107 pages, background 10% = 6553 pages.  80 MB (20480 pages, in
# 16-page writes) throttles twice, each time writing back the 6554 pages
# above the background level plus the overshoot of the last write (< 16);
# 20 MB never throttles.
# usage: dirty_throttle.sh FAULTLINE BIGWRITE_BINARY
set -u
fl=$1; g=$2
tmp=${TMPDIR:-/tmp}/fldt.$$
mkdir -p "$tmp"; trap 'rm -rf "$tmp"' EXIT
steps() {  # MB -> "count pages..." of file.writeback steps
  "$fl" run --mem 256M --log "$tmp/log.jsonl" --log-format jsonl -- "$g" "$tmp" "$1" >"$tmp/out" || return 1
  grep -q "^wrote $1 MB, 0 bad pieces$" "$tmp/out" || { echo "FAIL: data: $(cat "$tmp/out")"; return 1; }
  python3 - "$tmp/log.jsonl" <<'PY'
import json, sys
n = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("step") == "file.writeback":
        n.append(o["fields"]["pages"])
print(len(n), *["ok" if 6554 <= p < 6554 + 16 else p for p in n])
PY
}
big=$(steps 80) || exit 1
small=$(steps 20) || exit 1
echo "80 MB: $big | 20 MB: $small"
[ "$big" = "2 ok ok" ] || { echo "FAIL: expected two throttles of 6554..6569 pages"; exit 1; }
[ "$small" = "0" ] || { echo "FAIL: 20 MB must not throttle"; exit 1; }
echo "ok: write() throttles only above the dirty limit"
