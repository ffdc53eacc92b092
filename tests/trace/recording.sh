#!/bin/sh
# Recording tests (`faultline run --trace`): the trace read back through the
# library (trace_check) against the run's own stats, in several modes.
#   recording.sh FAULTLINE TRACE_CHECK counts GUEST [ARGS...]
#     in each mode: trace_check's counts equal the stats JSON's (retired
#     instructions, data references, guest-kernel accesses, user copies,
#     syscalls, guest page faults); the stats equal a run without --trace;
#     and the decoded record stream equals native mode's, record for record
#   recording.sh FAULTLINE TRACE_CHECK same GUEST [ARGS...]
#     the same command twice: byte-identical traces
#   recording.sh FAULTLINE TRACE_CHECK errors GUEST [ARGS...]
#     an unwritable trace: one faultline: line, exit 125; a disk that fills
#     during the run: says so with the guest's own exit status, exit 125
set -u
stats_same=$(cd "$(dirname "$0")/.." && pwd)/stats_same.py   # the stats but their config and exit
fl=$1; tc=$2; what=$3; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

case $what in
counts)
  for mode in native hvm-shadow xen-pv hvm-nested vkernel exokernel spin tornado; do
    "$fl" run --mode "$mode" --stats "$tmp/$mode.json" --trace "$tmp/$mode.fltr" -- "$@" >"$tmp/$mode.out" 2>"$tmp/$mode.err"
    st=$?
    "$fl" run --mode "$mode" --stats "$tmp/$mode.plain.json" -- "$@" >"$tmp/$mode.out2" 2>&1
    python3 "$stats_same" "$tmp/$mode.json" "$tmp/$mode.plain.json" || bad "$mode: the stats differ with --trace"
    "$tc" "$tmp/$mode.fltr" >"$tmp/$mode.counts" || { bad "$mode: trace_check failed"; continue; }
    python3 - "$tmp/$mode.json" "$tmp/$mode.counts" "$mode" "$st" <<'PY' || fail=1
import json, sys
s = json.load(open(sys.argv[1]))
t = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[2]) if l.split()[0] != "tail"}
want = {
    "instructions": s["instructions"],
    "refs": s["refs"]["user"],
    "kernel": s["refs"]["kernel"],
    "user_copies": s["refs"]["user_copies"],
    "syscalls": s["syscalls"]["total"],
    "faults": s["page_faults"]["guest"],
    "fault_ends": s["page_faults"]["guest"],
    "end_icount": s["instructions"],
}
bad = [f"{k}: trace {t.get(k)} stats {v}" for k, v in want.items() if t.get(k) != v]
for b in bad:
    print(f"FAIL: {sys.argv[3]}: {b}")
print(f"{sys.argv[3]}: exit {sys.argv[4]}, " + ", ".join(f"{k} {t.get(k)}" for k in want))
sys.exit(1 if bad else 0)
PY
    "$tc" --stream "$tmp/$mode.fltr" >"$tmp/$mode.stream" || bad "$mode: trace_check --stream failed"
    if [ "$mode" != native ]; then
      if ! cmp -s "$tmp/native.stream" "$tmp/$mode.stream"; then
        bad "$mode: the recorded stream differs from native mode's:"
        diff "$tmp/native.stream" "$tmp/$mode.stream" | head -20
      fi
    fi
  done
  ;;
keyframes)
  # a run long enough for keyframes: counts as above, and decoding from the
  # last keyframe gives what decoding the whole trace gives from there
  "$fl" run --stats "$tmp/k.json" --trace "$tmp/k.fltr" -- "$@" >/dev/null 2>&1
  "$tc" "$tmp/k.fltr" >"$tmp/k.counts" || bad "trace_check failed"
  python3 - "$tmp/k.json" "$tmp/k.counts" <<'PY' || fail=1
import json, sys
s = json.load(open(sys.argv[1]))
t = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[2]) if l.split()[0] != "tail"}
ok = t["instructions"] == s["instructions"] and t["refs"] == s["refs"]["user"] and t["faults"] == s["page_faults"]["guest"]
print(("" if ok else "FAIL: ") + f"instructions {t['instructions']}/{s['instructions']} refs {t['refs']}/{s['refs']['user']}")
sys.exit(0 if ok else 1)
PY
  n=$(sed -n 's/^keyframes //p' "$tmp/k.counts")
  want=$(grep '^tail ' "$tmp/k.counts")
  got=$("$tc" --tail "$tmp/k.fltr") || bad "trace_check --tail failed"
  [ "$n" -ge 1 ] || bad "no keyframe in a run of $(grep -o '"instructions": [0-9]*' "$tmp/k.json")"
  [ "$want" = "$got" ] || bad "decoding from the last keyframe: $got, the whole trace: $want"
  echo "$n keyframes; after the last: $want"
  ;;
same)
  # the same command (the header records it, so the same trace path too)
  "$fl" run --trace "$tmp/t.fltr" -- "$@" >/dev/null 2>&1 && mv "$tmp/t.fltr" "$tmp/a.fltr"
  "$fl" run --trace "$tmp/t.fltr" -- "$@" >/dev/null 2>&1
  cmp "$tmp/a.fltr" "$tmp/t.fltr" || bad "the same command gave different traces"
  [ -s "$tmp/a.fltr" ] || bad "no trace written"
  echo "trace of $(wc -c <"$tmp/a.fltr") bytes, twice the same"
  ;;
errors)
  "$fl" run --trace "$tmp/no/such/dir/t.fltr" -- "$@" >/dev/null 2>"$tmp/err1"
  st=$?
  [ "$st" = 125 ] || bad "unwritable trace: exit $st, not 125"
  [ "$(wc -l <"$tmp/err1")" = 1 ] && grep -q '^faultline: cannot create trace' "$tmp/err1" ||
    { bad "unwritable trace: not one faultline: line"; cat "$tmp/err1"; }
  # no room from the start: nothing runs
  if [ -w /dev/full ]; then
    "$fl" run --trace /dev/full -- "$@" >/dev/null 2>"$tmp/err2"
    st=$?
    [ "$st" = 125 ] && [ "$(wc -l <"$tmp/err2")" = 1 ] && grep -q 'No space left on device' "$tmp/err2" ||
      { bad "/dev/full: exit $st"; cat "$tmp/err2"; }
  fi
  # the file fills during the run (a file-size limit of 8 KiB: the header
  # fits, the frames do not): the guest runs to its end, and the one line
  # says what became of the trace and of the guest
  (trap '' XFSZ; ulimit -f 16; exec "$fl" run --trace "$tmp/small.fltr" -- "$@") >"$tmp/out3" 2>"$tmp/err3"
  st=$?
  [ "$st" = 125 ] || bad "a trace that fills: exit $st, not 125"
  [ "$(grep -c '^faultline:' "$tmp/err3")" = 1 ] && grep -q '^faultline: trace not written whole: .*(the guest exited with status 0)$' "$tmp/err3" ||
    { bad "a trace that fills: the message does not say so with the guest's status"; cat "$tmp/err3"; }
  "$fl" run -- "$@" >"$tmp/out4" 2>/dev/null
  cmp -s "$tmp/out3" "$tmp/out4" || bad "a trace that fills: the guest's output differs"
  ;;
esac
[ $fail = 0 ] && echo "ok"
exit $fail
