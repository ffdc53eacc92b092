#!/bin/sh
# Regions of interest (tools/faultline_roi.h, run --roi-symbol, run
# --warmup-insns) on roix, whose regions hold a known number of faults.
#   roi.sh FAULTLINE GUEST
set -u
stats_same=$(cd "$(dirname "$0")/.." && pwd)/stats_same.py   # the stats but their config and exit
fl=$1; guest=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
q() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# the magic instruction: two regions, a reset between them: the second's 4 pages
"$fl" run --stats magic.json --trace magic.fltr -- "$guest" magic >/dev/null 2>err || { bad "magic run failed"; cat err; }
got=$(q magic.json "s['region']['regions'], s['region']['page_faults']['by_kind']['anon_new'], s['region']['page_faults']['guest']")
[ "$got" = "(1, 4, 4)" ] || bad "magic: regions, new pages, faults = $got, want (1, 4, 4)"
[ -s magic.json.dump1 ] && q magic.json.dump1 "'region' not in s and s['instructions'] > 0" | grep -q True ||
  bad "FAULTLINE_ROI_DUMP wrote no magic.json.dump1"
# --roi-symbol: region_work's two calls, 6 pages each
"$fl" run --roi-symbol region_work --stats sym.json --trace sym.fltr -- "$guest" symbol >/dev/null 2>err || { bad "symbol run failed"; cat err; }
got=$(q sym.json "s['region']['regions'], s['region']['page_faults']['by_kind']['anon_new']")
[ "$got" = "(2, 12)" ] || bad "--roi-symbol: regions, new pages = $got, want (2, 12)"
# --warmup-insns N: the region from N (at a block boundary) to the end
"$fl" run --warmup-insns 20000 --stats warm.json -- "$guest" symbol >/dev/null 2>err || { bad "warmup run failed"; cat err; }
got=$(q warm.json "0 <= s['instructions'] - s['region']['instructions'] - 20000 < 64 and s['region']['regions'] == 1")
[ "$got" = True ] || bad "--warmup-insns 20000: the region does not start at 20000 (at a block boundary)"
# the regions survive a replay, and a replay under another mode has a live run's
for t in magic sym; do
  "$fl" replay --quiet "$t.fltr" --stats "$t.rep.json" && python3 "$stats_same" "$t.json" "$t.rep.json" || bad "$t: the replay's regions differ"
done
"$fl" replay --quiet sym.fltr --mode hvm-shadow --stats x.json
"$fl" run --mode hvm-shadow --roi-symbol region_work --stats l.json -- "$guest" symbol >/dev/null 2>&1
python3 "$stats_same" x.json l.json || { bad "sym.fltr under hvm-shadow differs from a live hvm-shadow run"; diff x.json l.json | head -5; }
# --cpus 2: the same regions (the warm-up counts every vCPU's instructions),
# and a recording of them replays to them
"$fl" run --cpus 2 --roi-symbol region_work --stats sym2.json --trace sym2.fltr -- "$guest" symbol >/dev/null 2>err || { bad "--cpus 2 symbol run failed"; cat err; }
got=$(q sym2.json "s['region']['regions'], s['region']['page_faults']['by_kind']['anon_new'], s['smp']['cpus']")
[ "$got" = "(2, 12, 2)" ] || bad "--cpus 2 --roi-symbol: regions, new pages, vCPUs = $got, want (2, 12, 2)"
"$fl" replay --quiet sym2.fltr --stats sym2.rep.json && python3 "$stats_same" sym2.json sym2.rep.json || bad "--cpus 2: the replay's regions differ"
"$fl" run --cpus 2 --warmup-insns 20000 --stats warm2.json -- "$guest" symbol >/dev/null 2>err || { bad "--cpus 2 warmup run failed"; cat err; }
got=$(q warm2.json "0 <= s['instructions'] - s['region']['instructions'] - 20000 < 64 and s['region']['regions'] == 1")
[ "$got" = True ] || bad "--cpus 2 --warmup-insns 20000: the region does not start at 20000 instructions of the machine"
"$fl" run --roi-symbol no_such_function -- "$guest" symbol >/dev/null 2>err
[ $? = 125 ] && [ "$(wc -l <err)" = 1 ] && grep -q '^faultline: --roi-symbol no_such_function' err || bad "an unknown --roi-symbol is not one line and 125"
[ $fail = 0 ] && echo "ok: magic region (1, 4 pages), --roi-symbol (2 calls, 12 pages), --warmup-insns, replays, on 1 and 2 vCPUs"
exit $fail
