#!/bin/sh
# Importers (`faultline import`, traces/FORMAT.md "Imported traces").
#   import.sh FAULTLINE GUEST
#     a hand-written lackey trace with a known answer: its instructions and
#     references counted exactly, one fault per page first touched, of the
#     kind the access makes (a fetch or load of untouched memory maps the
#     zero page, a store a new page, a store to a zero-page page copies);
#     a hand-made ChampSim trace likewise; valgrind lackey's output for a
#     real program (skipped when valgrind is absent) replayed in every mode
#     with the lackey line counts; bad input: one faultline: line, exit
#     125, no partial trace left
set -u
stats_same=$(cd "$(dirname "$0")/.." && pwd)/stats_same.py   # the stats but their config and exit
fl=$1; guest=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
field() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# pages: code 0x400000, data 0x600000 (load), 0x601000 (store), 0x602000
# (load, then store: the zero page, then a copy)
cat >hand.txt <<'T'
==1== a valgrind banner line
I  00400000,3
 L 00600010,8
I  00400003,4
 S 00601000,8
I  00400007,2
 M 00601008,4
I  0040000a,5
 L 00602000,8
I  0040000f,5
 S 00602008,8
T
"$fl" import lackey hand.txt -o hand.fltr 2>/dev/null || bad "import of hand.txt failed"
"$fl" replay --quiet hand.fltr --stats hand.json || bad "replay of hand.fltr failed"
got=$(field hand.json "s['instructions'], s['refs']['user'], s['page_faults']['guest'], s['page_faults']['by_kind']['anon_zero_page'], s['page_faults']['by_kind']['anon_new'], s['page_faults']['by_kind']['cow']")
[ "$got" = "(5, 5, 5, 3, 1, 1)" ] || bad "hand.txt: instructions, references, faults, zero-page, new, cow = $got, want (5, 5, 5, 3, 1, 1)"
echo "lackey by hand: $got"

python3 - <<'PY'
import struct
recs = [(0x400000, [0x601000, 0], [0x602000, 0, 0, 0]),
        (0x400004, [0, 0], [0x601008, 0x603000, 0, 0]),
        (0x400008, [0x700000, 0], [0, 0, 0, 0])]
with open("cs.trace", "wb") as f:
    for ip, dst, src in recs:
        f.write(struct.pack("<QBB2B4B2Q4Q", ip, 0, 0, 0, 0, 0, 0, 0, 0, *dst, *src))
PY
"$fl" import champsim cs.trace -o cs.fltr 2>/dev/null || bad "import of cs.trace failed"
"$fl" replay --quiet cs.fltr --stats cs.json || bad "replay of cs.fltr failed"
got=$(field cs.json "s['instructions'], s['refs']['user'], s['page_faults']['guest']")
[ "$got" = "(3, 5, 5)" ] || bad "cs.trace: instructions, references, faults = $got, want (3, 5, 5)"
echo "champsim by hand: $got"

if command -v valgrind >/dev/null 2>&1; then
  valgrind --tool=lackey --trace-mem=yes --log-file=lk.txt "$guest" 3000 >/dev/null 2>&1
  want=$(python3 - <<'PY'
n = {"I": 0, "R": 0}
for line in open("lk.txt"):
    if line.startswith("I "): n["I"] += 1
    elif line[:2] in (" L", " S", " M"): n["R"] += 1
print((n["I"], n["R"]))
PY
)
  "$fl" import lackey lk.txt -o lk.fltr 2>/dev/null || bad "import of valgrind's output failed"
  for m in native vkernel xen-pv hvm-shadow hvm-nested exokernel; do
    "$fl" replay --quiet lk.fltr --mode "$m" --stats "lk.$m.json" || { bad "$m: replay failed"; continue; }
    got=$(field "lk.$m.json" "s['instructions'], s['refs']['user']")
    [ "$got" = "$want" ] || bad "$m: instructions, references = $got, lackey's lines $want"
  done
  "$fl" replay --quiet lk.fltr --stats again.json && python3 "$stats_same" lk.native.json again.json || bad "two replays differ"
  echo "valgrind lackey: $want (instructions, references) in every mode, $(field lk.native.json "s['page_faults']['guest']") faults"
else
  echo "valgrind absent: its part skipped"
fi

printf 'I  zzz\n' >junk.txt
head -c 100 cs.trace >short.trace
for c in "lackey junk.txt" "champsim short.trace" "lackey missing.txt" "tarmac cs.trace"; do
  # shellcheck disable=SC2086
  "$fl" import $c -o out.fltr 2>err
  st=$?
  [ "$st" = 125 ] && [ "$(wc -l <err)" = 1 ] && grep -q '^faultline: ' err || { bad "import $c: exit $st"; cat err; }
  [ -e out.fltr ] && bad "import $c left out.fltr"
done
[ $fail = 0 ] && echo "ok"
exit $fail
