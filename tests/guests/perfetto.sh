#!/bin/sh
# `faultline export --perfetto` (issue 17): in every mode the JSON passes
# the independent checker (perfetto_check.py); --fault and --window select;
# the same export from the program, its jsonl log and its trace; bad input
# is one faultline: line, exit 125.
# usage: perfetto.sh FAULTLINE GUEST_DIR
set -u
fl=$1; g=$2
here=$(dirname "$0")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
chk() { python3 "$here/perfetto_check.py" "$@" || fail=1; }
for cfg in "native|--mode native" "vkernel|--mode vkernel" "xen-pv|--mode xen-pv --set xen.ptwr=1" \
           "hvm-shadow|--mode hvm-shadow --cpu amd" "hvm-nested|--mode hvm-nested" \
           "exokernel|--mode exokernel" "exokernel-xok|--mode exokernel --set exokernel.mmu=xok-pt" \
           "spin-4|--mode spin --set spin.extensions=4" "tornado|--mode tornado"; do
  name=${cfg%%|*}; args=${cfg#*|}
  # shellcheck disable=SC2086
  "$fl" export --perfetto "$tmp/$name.json" $args -- "$g/forkexec.gcc" 3 2>"$tmp/err" || { bad "$name: export failed"; cat "$tmp/err"; continue; }
  chk "$tmp/$name.json"
done
# the TLB-miss and walk counters add up to the run's stats (a separate run)
"$fl" run --mode hvm-nested --stats "$tmp/s.json" -- "$g/forkexec.gcc" 3 >/dev/null 2>&1
python3 - "$tmp/hvm-nested.json" "$tmp/s.json" <<'PY' || fail=1
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]; st = json.load(open(sys.argv[2]))
tlb = [e["args"] for e in ev if e["ph"] == "C" and e["name"] == "TLB misses"]
walks = sum(e["args"]["walks"] for e in ev if e["ph"] == "C" and e["name"] == "page walks")
got = {k: sum(a[k] for a in tlb) for k in ("l1d", "l1i", "stlb")}
want = {"l1d": st["tlb"]["l1d"]["misses"], "l1i": st["tlb"]["l1i"]["misses"], "stlb": st["tlb"]["stlb"]["misses"]}
ok = tlb and got == want and walks == st["walks"]["count"] and all(v >= 0 for a in tlb for v in a.values())
print(("ok" if ok else "FAIL") + f": the TLB-miss counters add up to the stats {want} ({len(tlb)} samples), walks {walks}")
sys.exit(0 if ok else 1)
PY
# --cpus 2: a process per vCPU, a shootdown's handlers on their targets'
# tracks, each vCPU's samples adding up to the stats' sums
for m in native hvm-shadow; do
  "$fl" export --perfetto "$tmp/smp.$m.json" --cpus 2 --mode "$m" -- "$g/shootx.gcc" x 2>"$tmp/err" || { bad "--cpus 2 $m: export failed"; cat "$tmp/err"; continue; }
  chk "$tmp/smp.$m.json"
  "$fl" run --cpus 2 --mode "$m" --stats "$tmp/smp.$m.st" -- "$g/shootx.gcc" x >/dev/null 2>&1
  python3 - "$tmp/smp.$m.json" "$tmp/smp.$m.st" <<'PY' || fail=1
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]; st = json.load(open(sys.argv[2]))
tlb = [e for e in ev if e["ph"] == "C" and e["name"] == "TLB misses"]
got = {k: sum(e["args"][k] for e in tlb) for k in ("l1d", "l1i", "stlb")}
want = {k: st["tlb"][k]["misses"] for k in ("l1d", "l1i", "stlb")}
walks = sum(e["args"]["walks"] for e in ev if e["ph"] == "C" and e["name"] == "page walks")
cpus = {e["pid"] for e in tlb}
flush = [e for e in ev if e["ph"] == "X" and e["name"] == "tlb.ipi_flush"]
ok = got == want and walks == st["walks"]["count"] and len(cpus) == 2 and flush and all(e["pid"] == 1 for e in flush)
print(("ok" if ok else "FAIL") + f": --cpus 2: samples from vCPUs {sorted(cpus)} add up to the stats {want}, walks {walks}; "
      f"{len(flush)} shootdown handlers on vCPU 1's track")
sys.exit(0 if ok else 1)
PY
done
"$fl" run --mode hvm-nested --trace "$tmp/t.fltr" --log "$tmp/t.jsonl" --log-format jsonl --log-samples 20000 \
  -- "$g/cowcount.gcc" >/dev/null 2>&1
"$fl" export --perfetto "$tmp/a.json" --log "$tmp/t.jsonl" || bad "export --log"
"$fl" export --perfetto "$tmp/b.json" "$tmp/t.fltr" || bad "export TRACE"
"$fl" export --perfetto "$tmp/c.json" --mode hvm-nested -- "$g/cowcount.gcc" || bad "export -- PROGRAM"
# a replay writes no samples: the trace's export is the log's without the sampled counters
python3 - "$tmp/a.json" "$tmp/b.json" <<'PY' || fail=1
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a["traceEvents"] = [e for e in a["traceEvents"] if not (e["ph"] == "C" and e["name"] in ("TLB misses", "page walks"))]
ok = a == b
print(("ok" if ok else "FAIL") + ": the trace's export is the log's (less the sampled counters)")
sys.exit(0 if ok else 1)
PY
cmp -s "$tmp/a.json" "$tmp/c.json" && echo "ok: the same export from the jsonl log and the program" || bad "the log's and the program's exports differ"
"$fl" export --perfetto "$tmp/f.json" --fault 7 --log "$tmp/t.jsonl" || bad "--fault 7"
chk "$tmp/f.json" --fault 7
"$fl" export --perfetto "$tmp/w.json" --window 0-2000000 --log "$tmp/t.jsonl" || bad "--window"
chk "$tmp/w.json"
python3 -c "
import json, sys
a = json.load(open('$tmp/a.json'))['traceEvents']; w = json.load(open('$tmp/w.json'))['traceEvents']
xa = [e for e in a if e['ph'] == 'X']; xw = [e for e in w if e['ph'] == 'X']
ok = 0 < len(xw) < len(xa) and all(e['ts'] < 2000 for e in xw if e['args']['parent'] == 0)
print(('ok' if ok else 'FAIL') + f': --window 0-2000000 keeps {len(xw)} of {len(xa)} slices, every top-level step starting before cycle 2,000,000')
sys.exit(0 if ok else 1)" || fail=1
for a in "" "--perfetto $tmp/x.json" "--perfetto $tmp/x.json --fault 0 --log $tmp/t.jsonl" \
         "--perfetto $tmp/x.json --window 9-3 --log $tmp/t.jsonl" "--perfetto $tmp/x.json --fault 99999999 --log $tmp/t.jsonl" \
         "--perfetto /nonexistent/dir/x.json --log $tmp/t.jsonl" "--perfetto $tmp/x.json --log /nonexistent.jsonl" \
         "--bogus"; do
  # shellcheck disable=SC2086
  "$fl" export $a >"$tmp/o" 2>"$tmp/e"; st=$?
  if [ $st = 125 ] && [ "$(wc -l <"$tmp/e")" = 1 ] && grep -q '^faultline: ' "$tmp/e"; then echo "ok: export $a: $(cat "$tmp/e")"
  else bad "export $a: exit $st, $(cat "$tmp/e")"; fi
done
exit $fail
