#!/bin/sh
# `faultline sweep` (issue 15's first increment): the cross product of
# --vary lists over a trace (replayed) or a program (live runs).
#   sweep.sh FAULTLINE GUEST [ARGS...]
#     a sweep over the guest's trace equals the same sweep over the guest
#     itself (replay is exact), and each row equals a `faultline replay`
#     of that configuration run alone; CSV and JSON hold the same numbers;
#     a bad key, metric or fixed parameter is one faultline: line and 125;
#     a configuration that fails shows `error` and the sweep exits 125
set -u
fl=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
"$fl" run --trace t.fltr -- "$@" >/dev/null 2>&1 </dev/null
set -- "$@"
"$fl" sweep t.fltr --vary mode=native,hvm-shadow,hvm-nested --vary tlb.l1d.entries=16,64 \
  --metric cycles --metric tlb.l1d.misses --metric page_faults.hidden --metric fault_cycles.by_step.vm.exit --metric fault_latency.all.p90 \
  --csv trace.csv --json trace.json -j 2 >table.txt 2>err || { bad "the trace sweep failed"; cat err; }
cat table.txt
"$fl" sweep --vary mode=native,hvm-shadow,hvm-nested --vary tlb.l1d.entries=16,64 \
  --metric cycles --metric tlb.l1d.misses --metric page_faults.hidden --metric fault_cycles.by_step.vm.exit --metric fault_latency.all.p90 \
  --csv live.csv -j 2 --quiet -- "$@" 2>err || { bad "the live sweep failed"; cat err; }
cmp -s trace.csv live.csv || { bad "the sweep over the trace differs from the sweep over the program:"; diff trace.csv live.csv; }
[ "$(wc -l <trace.csv)" = 7 ] || bad "trace.csv has $(wc -l <trace.csv) lines, not a header and 6 rows"
# each row against the replay of its configuration alone
tail -n +2 trace.csv | while IFS=, read -r m e cyc miss hid vmx p90; do
  "$fl" replay --quiet t.fltr --mode "$m" --set tlb.l1d.entries="$e" --stats one.json
  want=$(python3 -c "import json; s=json.load(open('one.json')); print(s['cycles'], s['tlb']['l1d']['misses'], s['page_faults']['hidden'], s['fault_cycles']['by_step'].get('vm.exit', 0), s['fault_latency']['all']['p90'])")
  [ "$want" = "$cyc $miss $hid $vmx $p90" ] || echo "FAIL: $m $e: sweep $cyc $miss $hid $vmx $p90, replay alone $want"
done >rows.txt
cat rows.txt
grep -q FAIL rows.txt && fail=1
python3 - trace.json trace.csv <<'PY' || fail=1
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
c = j["configurations"]
ok = j["replayed"] and len(c) == len(rows) == 6 and all(x["ok"] for x in c)
for x, r in zip(c, rows):
    ok = ok and x["config"]["mode"] == r["mode"] and str(x["metrics"]["cycles"]) == r["cycles"]
print(("" if ok else "FAIL: ") + "the JSON holds the CSV's configurations and numbers")
sys.exit(0 if ok else 1)
PY
for a in "--vary no.such.param=1,2" "--vary mode=native --metric no.such.metric" "--vary guest.thp=0,1" "--vary mode=native,nosuchmode"; do
  # shellcheck disable=SC2086
  "$fl" sweep t.fltr $a >/dev/null 2>err
  st=$?
  [ "$st" = 125 ] && [ "$(wc -l <err)" = 1 ] && grep -q '^faultline: ' err || { bad "sweep $a: exit $st"; cat err; }
done
"$fl" sweep t.fltr --vary tlb.l1d.entries=64,48 --vary tlb.l1d.ways=4 >out.txt 2>err
st=$?
[ "$st" = 125 ] && grep -q error out.txt && [ "$(wc -l <err)" = 1 ] && grep -q 'configuration 2 of 2 failed' err ||
  { bad "a failing configuration: exit $st"; cat out.txt err; }
# compare is a sweep over modes: the same numbers, and those of run --stats
"$fl" compare --modes native,hvm-nested --csv cmp.csv -- "$@" >cmp.txt 2>err || { bad "compare failed"; cat err; }
"$fl" sweep --quiet --vary preset=default --vary mode=native,hvm-nested --metric instructions \
  --metric page_faults.guest --metric page_faults.hidden --metric vm_exits_total --metric walks.refs \
  --metric fault_cycles.total --metric cycles --csv swp.csv -j 1 -- "$@" 2>err || { bad "the sweep for compare failed"; cat err; }
cmp -s cmp.csv swp.csv || { bad "compare's CSV differs from the sweep's"; diff cmp.csv swp.csv; }
head -1 cmp.txt | grep -q ' cpu ' || bad "compare's table has no cpu column"
# a vendor preset sets the vendor (zen2: SVM), unless --cpu says otherwise
"$fl" compare --modes hvm-nested --presets default,zen2 -- "$@" >v.txt 2>err || { bad "compare zen2 failed"; cat err; }
grep -q '^hvm-nested  *default  *intel ' v.txt && grep -q '^hvm-nested  *zen2  *amd ' v.txt ||
  { bad "compare: zen2 did not run on amd"; cat v.txt; }
"$fl" compare --modes hvm-nested --presets zen2 --cpu intel -- "$@" 2>/dev/null | grep -q '^hvm-nested  *zen2  *intel ' ||
  bad "compare: --cpu intel did not win over zen2's vendor"
"$fl" run --mode hvm-nested --preset zen2 --stats z.json -- "$@" >/dev/null 2>&1
python3 -c "import json,sys; s=json.load(open('z.json')); sys.exit(not (s['cpu'] == s['config']['cpu'] == 'amd'))" ||
  bad "run --preset zen2 is not SVM"
"$fl" run --mode hvm-nested --stats one.json -- "$@" >/dev/null 2>&1 </dev/null
want=$(python3 -c "import json; print(json.load(open('one.json'))['cycles'])")
grep -q "^hvm-nested .* $want " cmp.txt || { bad "compare's hvm-nested cycles are not run --stats' $want"; cat cmp.txt; }
echo "compare = sweep over modes = run --stats"
"$fl" compare --modes native --metric fault_latency.all.p90 -- "$@" 2>/dev/null | head -1 | grep -q 'fault_latency.all.p90' ||
  bad "compare --metric adds no column"
# plots: SVG (well-formed, with the legend and the axis titles) and PNG
# (a build without cairo says so in one line instead)
if "$fl" sweep t.fltr --quiet --vary tlb.l1d.entries=16,32 --svg probe.svg 2>&1 | grep -q 'plots need cairo'; then
  echo "built without cairo: plots skipped"
else
"$fl" sweep t.fltr --quiet --vary mode=native,hvm-nested --vary tlb.l1d.entries=16,32,64 --metric cycles \
  --metric tlb.l1d.misses --plot tlb.l1d.misses --svg plot.svg 2>err || { bad "--svg failed"; cat err; }
python3 - plot.svg <<'PY' || fail=1
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
ok = d.documentElement.tagName == "svg" and len(d.getElementsByTagName("path")) + len(d.getElementsByTagName("g")) > 10
print(("" if ok else "FAIL: ") + "the SVG plot parses and has drawing in it")
sys.exit(0 if ok else 1)
PY
"$fl" sweep t.fltr --quiet --vary mode=native,hvm-nested --vary tlb.l1d.entries=16,32,64 --png plot.png 2>err ||
  { bad "--png failed"; cat err; }
[ "$(head -c 8 plot.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && echo "the PNG plot has the PNG signature" ||
  bad "plot.png is not a PNG"
"$fl" sweep t.fltr --quiet --vary mode=native,hvm-nested --svg x.svg 2>err
[ $? = 125 ] && grep -q 'numeric values' err || bad "a plot without a numeric key is not refused"
fi
# beyond one machine: the jobs through GNU parallel, then --merge
if command -v parallel >/dev/null 2>&1; then
  "$fl" sweep t.fltr --vary mode=native,hvm-shadow,hvm-nested --vary tlb.l1d.entries=16,64 \
    --metric cycles --metric tlb.l1d.misses --metric page_faults.hidden --metric fault_cycles.by_step.vm.exit --metric fault_latency.all.p90 \
    --emit-jobs study --slurm 2>/dev/null || bad "--emit-jobs failed"
  [ "$(wc -l <study/jobs.txt)" = 6 ] && [ -s study/slurm.sbatch ] || bad "--emit-jobs wrote no 6 jobs and no slurm.sbatch"
  parallel --will-cite -j 2 -a study/jobs.txt || bad "parallel failed"
  "$fl" sweep --merge study --csv merged.csv --quiet || bad "--merge failed"
  cmp -s merged.csv trace.csv && echo "--emit-jobs + parallel + --merge = the local sweep" ||
    { bad "the merged study differs from the local sweep"; diff merged.csv trace.csv; }
  # each file says what it measured: swap two and --merge says so
  mv study/0.json study/x.json && mv study/1.json study/0.json && mv study/x.json study/1.json
  "$fl" sweep --merge study --quiet 2>err
  [ $? = 125 ] && grep -q 'measured another tlb.l1d.entries' err || { bad "--merge did not read each file's configuration"; cat err; }
else
  echo "GNU parallel absent: --emit-jobs/--merge skipped"
fi
[ $fail = 0 ] && echo "ok"
exit $fail
