#!/bin/sh
# `faultline show` (issue 17): the ladder of one fault in every mode equals
# its golden file byte for byte (the run is deterministic); the same
# ladder from the program, from its jsonl event log and from its trace
# (replayed); --all draws every top-level fault; each ladder's rows add up
# to the fault's total; at most 100 columns.
# usage: show.sh FAULTLINE GOLDEN_DIR GUEST_DIR   (FL_UPDATE_GOLDEN=1 rewrites)
set -u
fl=$(realpath "$1"); gold=$(realpath "$2"); g=$(realpath "$3")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the guest's stack holds its argv and environment: the same ones on every
# machine, so that the ladders (addresses included) are too
cp "$g/pagetouch.gcc" "$tmp/pt"
cd "$tmp" || exit 1
fixed() { env -i PATH=/usr/bin:/bin "$@"; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
for cfg in "native|--mode native" "vkernel|--mode vkernel" "xen-pv|--mode xen-pv" \
           "xen-pv-x86_32|--mode xen-pv --set xen.pv_abi=x86_32" \
           "hvm-shadow|--mode hvm-shadow" "hvm-nested-amd|--mode hvm-nested --cpu amd" \
           "exokernel|--mode exokernel" "exokernel-xok|--mode exokernel --set exokernel.mmu=xok-pt" \
           "spin-4|--mode spin --set spin.extensions=4" "tornado|--mode tornado"; do
  name=${cfg%%|*}; args=${cfg#*|}
  # shellcheck disable=SC2086
  "$fl" show $args --kind anon_new --fault 0 -- ./pt 10 >/dev/null 2>&1 && bad "--fault 0 accepted"
  # shellcheck disable=SC2086
  fixed "$fl" show $args --kind anon_new -- ./pt 10 >"$tmp/$name.txt" 2>"$tmp/err" || { bad "$name: show failed"; cat "$tmp/err"; continue; }
  if [ "${FL_UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/$name.txt" "$gold/show.$name.txt"; echo "updated show.$name.txt"
  elif cmp -s "$gold/show.$name.txt" "$tmp/$name.txt"; then echo "ok: $name: the ladder equals show.$name.txt"
  else bad "$name: the ladder differs from show.$name.txt:"; diff "$gold/show.$name.txt" "$tmp/$name.txt" | head -10; fi
  awk -v n="$name" 'length($0) > 100 { printf "FAIL: %s: a line of %d columns\n", n, length($0); bad = 1 } END { exit bad }' "$tmp/$name.txt" || fail=1
  # the rows' cycles add up to the fault's total (the last running total)
  python3 - "$tmp/$name.txt" "$name" <<'PY' || fail=1
import re, sys
lines = open(sys.argv[1]).read().split("\n")
total = int(re.search(r", ([\d,]+) cycles,", lines[0]).group(1).replace(",", ""))
rows = [l for l in lines[3:] if re.search(r"\s[\d,]+\s+[\d,]+( \[|$)", l)]
last = int(re.findall(r"([\d,]+)", rows[-1].split("  ")[-1] if False else rows[-1])[-1].replace(",", "")) if rows else -1
run = 0
for l in rows:
    nums = re.findall(r"(?<![\w.])(\d[\d,]*)(?![\w.])", l)
    run += int(nums[-2].replace(",", ""))
    if int(nums[-1].replace(",", "")) != run:
        print(f"FAIL: {sys.argv[2]}: running total {nums[-1]} after {run}"); sys.exit(1)
if run != total:
    print(f"FAIL: {sys.argv[2]}: the steps add up to {run}, the fault's total is {total}"); sys.exit(1)
print(f"ok: {sys.argv[2]}: {len(rows)} steps add up to the fault's {total} cycles")
PY
done
# one ladder, three sources: the program, its jsonl log, its trace
"$fl" run --mode hvm-shadow --trace "$tmp/t.fltr" --log "$tmp/t.jsonl" --log-format jsonl -- "$g/cowcount.gcc" >/dev/null 2>&1
"$fl" show --mode hvm-shadow --kind cow -- "$g/cowcount.gcc" >"$tmp/p.txt" 2>&1 || bad "show of the program failed"
"$fl" show --kind cow --log "$tmp/t.jsonl" >"$tmp/l.txt" 2>&1 || bad "show --log failed"
"$fl" show --kind cow "$tmp/t.fltr" >"$tmp/r.txt" 2>&1 || bad "show of the trace failed"
cmp -s "$tmp/p.txt" "$tmp/l.txt" && cmp -s "$tmp/p.txt" "$tmp/r.txt" && grep -q "kind=cow" "$tmp/p.txt" &&
  echo "ok: the cow ladder is the same from the program, its jsonl log and its trace" ||
  { bad "the three sources differ"; diff "$tmp/p.txt" "$tmp/l.txt" | head -5; diff "$tmp/p.txt" "$tmp/r.txt" | head -5; }
"$fl" show --mode exokernel --kind cow "$tmp/t.fltr" >"$tmp/x.txt" 2>&1 && grep -q "libos" "$tmp/x.txt" &&
  echo "ok: the trace replayed under another mode draws that mode's ladder" || bad "show TRACE --mode exokernel"
# --all: one ladder per top-level fault of the log
n=$("$fl" show --all --log "$tmp/t.jsonl" | grep -c '^fault ')
want=$(python3 -c "
import json
print(sum(1 for l in open('$tmp/t.jsonl') if '\"step\":\"fault\"' in l and '\"depth\":0,' in l))")
[ "$n" = "$want" ] && echo "ok: --all draws $n ladders, one per top-level fault" || bad "--all drew $n ladders, $want top-level faults"
# the fault numbered N is fault N
"$fl" show --fault 3 --log "$tmp/t.jsonl" | head -1 | grep -q '^fault 3:' && echo "ok: --fault 3" || bad "--fault 3"
# bad input: one faultline: line, exit 125
printf 'not json\n' >"$tmp/bad.jsonl"
for a in "--log $tmp/bad.jsonl" "--log /nonexistent.jsonl" "--kind nosuch --log $tmp/t.jsonl" \
         "--fault 999999 --log $tmp/t.jsonl" "--kind nested_fill --log $tmp/t.jsonl" "$tmp/bad.jsonl" ""; do
  # shellcheck disable=SC2086
  "$fl" show $a >"$tmp/o" 2>"$tmp/e"; st=$?
  if [ $st = 125 ] && [ "$(wc -l <"$tmp/e")" = 1 ] && grep -q '^faultline: ' "$tmp/e"; then echo "ok: show $a: $(cat "$tmp/e")"
  else bad "show $a: exit $st, $(cat "$tmp/e")"; fi
done
exit $fail
