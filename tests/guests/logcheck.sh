#!/bin/sh
# The fault log and the stats agree: every block's step cycles add up to
# its total, the totals add up to stats.fault_cycles.total, and the number
# of faults (blocks, plus faults nested in another fault's handling) equals
# stats.page_faults.guest + hidden.  FL_ARGS: extra options (a mode).
# usage: logcheck.sh FAULTLINE GUEST [ARGS...]
set -u
fl=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$fl" run ${FL_ARGS:-} --log "$tmp/log" --stats "$tmp/stats" -- "$@" >/dev/null 2>"$tmp/err" ||
  { echo "FAIL: faultline run exited $?"; head -5 "$tmp/err"; exit 1; }
awk '
  /^(fault |event: )/ { if (b) check(); b++; if ($1 == "fault") n++;
    total = $0; sub(/.*total=/, "", total); sub(/ cycles.*/, "", total); sum = 0; all += total; next }
  /^ +hw +fault / { n++ }
  /cycles/ { v = $0; sub(/ cycles.*/, "", v); sub(/.* /, "", v); sum += v }
  function check() { if (sum != total) { printf "block %d: steps sum %d != total %d\n", b, sum, total; bad = 1 } }
  END { if (b) check(); printf "%d faults, %d cycles in the log\n", n, all; print n > "'"$tmp/n"'"; print all > "'"$tmp/all"'"; exit bad }
' "$tmp/log" || { echo "FAIL: a block's steps do not add up to its total"; exit 1; }
sn=$(grep -m1 '"guest"' "$tmp/stats" | tr -dc 0-9)
sh=$(grep -m1 '"hidden"' "$tmp/stats" | tr -dc 0-9)
st=$(sed -n '/"fault_cycles"/,/"total"/p' "$tmp/stats" | grep '"total"' | tr -dc 0-9)
[ "$(cat "$tmp/n")" = "$((sn + sh))" ] || { echo "FAIL: log has $(cat "$tmp/n") faults, stats $sn+$sh"; exit 1; }
[ "$(cat "$tmp/all")" = "$st" ] || { echo "FAIL: log cycles $(cat "$tmp/all") != stats total $st"; exit 1; }
echo "ok: log and stats agree ($sn faults, $st cycles)"
