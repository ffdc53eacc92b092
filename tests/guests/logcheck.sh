#!/bin/sh
# The fault log and the stats agree, in both log formats.
#  text:  every block's step cycles (each step's self, plus the top-level
#         step's self in its header) add up to the block's total; the
#         totals add up to stats.fault_cycles.total; the number of fault
#         lines (blocks and faults nested in another step) equals
#         stats.events.faults.
#  jsonl: the independent tree checker (evtree_check.py): ids, parents,
#         depths, self/total sums, containment, fault numbering, src
#         file:line, and the agreement with the stats per layer.
# The two runs are the same command, so the same events (determinism).
# FL_ARGS: extra options (a mode).  FL_EXPECT_NESTED: A:B for the checker.
# usage: logcheck.sh FAULTLINE GUEST [ARGS...]
set -u
fl=$1; shift
here=$(dirname "$0")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$fl" run ${FL_ARGS:-} --clean-env --log "$tmp/log" --stats "$tmp/stats" -- "$@" >/dev/null 2>"$tmp/err" ||
  { echo "FAIL: faultline run exited $?"; head -5 "$tmp/err"; exit 1; }
awk '
  /^(fault [0-9]+:|event: )/ { if (b) check(); b++; n += ($1 == "fault");
    total = $0; sub(/.*total=/, "", total); sub(/ cycles.*/, "", total);
    sum = $0; sub(/.*self=/, "", sum); all += total; next }
  /^ +hw +fault / { n++ }
  / @cpu[0-9]+$/ { next }   # --cpus: a step on another vCPU is on its clock, not in this block'"'"'s total
  / cycles/ { v = $0; sub(/ cycles.*/, "", v); sub(/.* /, "", v); sum += v }
  function check() { if (sum != total) { printf "block %d: steps sum %d != total %d\n", b, sum, total; bad = 1 } }
  END { if (b) check(); printf "%d faults, %d cycles in the log\n", n, all; print n > "'"$tmp/n"'"; print all > "'"$tmp/all"'"; exit bad }
' "$tmp/log" || { echo "FAIL: a block's steps do not add up to its total"; exit 1; }
q() { python3 -c "import json,sys; d=json.load(open('$tmp/stats')); print($1)"; }
sf=$(q "d['events']['faults']")
st=$(q "d['fault_cycles']['total']")
[ "$(cat "$tmp/n")" = "$sf" ] || { echo "FAIL: text log has $(cat "$tmp/n") faults, stats $sf"; exit 1; }
[ "$(cat "$tmp/all")" = "$st" ] || { echo "FAIL: text log cycles $(cat "$tmp/all") != stats total $st"; exit 1; }
echo "ok: text log and stats agree ($sf faults, $st cycles)"
"$fl" run ${FL_ARGS:-} --clean-env --log "$tmp/log.jsonl" --log-format jsonl --stats "$tmp/stats2" -- "$@" >/dev/null 2>"$tmp/err" ||
  { echo "FAIL: faultline run (jsonl) exited $?"; head -5 "$tmp/err"; exit 1; }
python3 "$(cd "$(dirname "$0")/.." && pwd)/stats_same.py" "$tmp/stats" "$tmp/stats2" || { echo "FAIL: the same run gave other stats"; exit 1; }
set --
[ -n "${FL_EXPECT_NESTED:-}" ] && set -- --expect-nested "$FL_EXPECT_NESTED"
python3 "$here/evtree_check.py" "$tmp/log.jsonl" --stats "$tmp/stats" --src-root "$here/../.." "$@"
