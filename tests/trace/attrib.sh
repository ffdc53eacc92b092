#!/bin/sh
# Fault attribution (`run --top-faults N --symbols`): a guest that reads 16
# pages of a file mapping in touch_file and writes 8 anonymous pages in
# touch_anon, each page once (fault-around off: one fault per page).
#   attrib.sh FAULTLINE GUEST
set -u
fl=$1; guest=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
for m in native hvm-shadow; do
  "$fl" run --mode "$m" --set guest.fault_around_bytes=4096 --top-faults 5 --symbols --stats "$m.json" -- "$guest" "$tmp" \
    >out 2>table || { echo "FAIL: $m: the run failed"; cat table; fail=1; continue; }
  python3 - "$m.json" "$m" <<'PY' || fail=1
import json, sys
s = json.load(open(sys.argv[1]))
a = s["attribution"]
m, f = a["by_mapping"], a["by_function"]
# (a compiler may name a static function touch_file.constprop.0 and the like)
fn = lambda name: sum(r["faults"] for k, r in f.items() if k == name or k.startswith(name + "."))
# native: exactly one fault per page; under a mode with hidden faults, the
# page's hidden fills count too (at least one per page)
exact = sys.argv[2] == "native"
want = [("by_mapping attribx.data", m.get("attribx.data", {}).get("faults", 0), 16),
        ("by_function touch_file", fn("touch_file"), 16),
        ("by_function touch_anon", fn("touch_anon"), 8)]
bad = [f"{w}: {g}, want {n}" for w, g, n in want if (g != n if exact else g < n)]
# every top-level fault is attributed once (the latency distribution counts
# the same faults), the functions hold what the mappings hold
tot = sum(r["faults"] for r in m.values())
cyc = sum(r["cycles"] for r in m.values())
if tot != s["fault_latency"]["all"]["count"]: bad.append(f"the mappings hold {tot} faults, the run had {s['fault_latency']['all']['count']}")
if tot != sum(r["faults"] for r in f.values()) or cyc != sum(r["cycles"] for r in f.values()):
    bad.append("the functions do not hold what the mappings hold")
if cyc > s["fault_cycles"]["total"]: bad.append(f"the mappings hold {cyc} cycles, more than the fault cycles {s['fault_cycles']['total']}")
for b in bad: print(f"FAIL: {sys.argv[2]}: {b}")
print(f"{sys.argv[2]}: attribx.data {want[0][1]} faults, touch_file {want[1][1]}, touch_anon {want[2][1]}; {tot} faults and {cyc} cycles attributed")
sys.exit(1 if bad else 0)
PY
  grep -q '^faultline: top faults by mapping' table && grep -q '^attribx.data ' table || { echo "FAIL: $m: no table on stderr"; cat table; fail=1; }
done
[ $fail = 0 ] && echo "ok"
exit $fail
