#!/bin/sh
# Golden event-log test: the step sequence of one fault, picked by what it
# contains, must equal the golden file (layer and step names with their
# nesting; cycles and arguments are not compared, so cost tuning does not
# break it, but a changed path does).
# usage: golden_log.sh FAULTLINE GOLDEN SELECT NEXT -- RUN-ARGS... -- GUEST ARGS...
#   SELECT: a regexp a step line of the wanted block matches (the first
#           such block; "last:REGEXP" the last one); "A && B": a block
#           with a line matching A and a line matching B
#   NEXT:   0 = that block, n = the n-th block after it
# FL_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing;
# FL_STATUS=N: faultline is expected to exit N (a guest killed by a signal).
set -eu
fl=$1; golden=$2; select=$3; next=$4; shift 4
[ "$1" = "--" ] && shift
args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do args="$args $1"; shift; done
shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
rc=0
"$fl" run $args --log "$tmp/log" -- "$@" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = "${FL_STATUS:-0}" ] || { echo "FAIL: faultline run$args exited $rc"; head -5 "$tmp/err"; exit 1; }
python3 - "$tmp/log" "$select" "$next" > "$tmp/got" <<'PY'
import re, sys
log, pat, nxt = sys.argv[1], sys.argv[2], int(sys.argv[3])
last = pat.startswith("last:")
sels = [re.compile(p) for p in (pat[5:] if last else pat).split(" && ")]
blocks, cur = [], None
for line in open(log):
    if line.startswith("fault ") or line.startswith("event: "):
        cur = []
        blocks.append(cur)
    elif cur is not None:
        cur.append(line.rstrip("\n"))
hits = [i for i, b in enumerate(blocks) if all(any(s.search(l) for l in b) for s in sels)]
if hits:
    i = (hits[-1] if last else hits[0]) + nxt
    if i < len(blocks):
        for l in blocks[i]:
            print(re.sub(r" +-?\d+ cycles.*", "", l).rstrip())
PY
[ -s "$tmp/got" ] || { echo "FAIL: no fault block matches /$select/"; exit 1; }
if [ "${FL_UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/got" "$golden"; echo "updated $golden"; exit 0; fi
if diff -u "$golden" "$tmp/got" > "$tmp/diff"; then
  echo "ok: $(basename "$golden"): $(wc -l < "$golden") steps as recorded"
else
  echo "FAIL: $(basename "$golden") differs:"; cat "$tmp/diff"; exit 1
fi
