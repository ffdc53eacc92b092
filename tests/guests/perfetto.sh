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
           "exokernel|--mode exokernel" "exokernel-xok|--mode exokernel --set exokernel.mmu=xok-pt"; do
  name=${cfg%%|*}; args=${cfg#*|}
  # shellcheck disable=SC2086
  "$fl" export --perfetto "$tmp/$name.json" $args -- "$g/forkexec.gcc" 3 2>"$tmp/err" || { bad "$name: export failed"; cat "$tmp/err"; continue; }
  chk "$tmp/$name.json"
done
"$fl" run --mode hvm-nested --trace "$tmp/t.fltr" --log "$tmp/t.jsonl" --log-format jsonl -- "$g/cowcount.gcc" >/dev/null 2>&1
"$fl" export --perfetto "$tmp/a.json" --log "$tmp/t.jsonl" || bad "export --log"
"$fl" export --perfetto "$tmp/b.json" "$tmp/t.fltr" || bad "export TRACE"
"$fl" export --perfetto "$tmp/c.json" --mode hvm-nested -- "$g/cowcount.gcc" || bad "export -- PROGRAM"
cmp -s "$tmp/a.json" "$tmp/b.json" && cmp -s "$tmp/a.json" "$tmp/c.json" &&
  echo "ok: the same export from the jsonl log, the trace and the program" || bad "the three sources differ"
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
