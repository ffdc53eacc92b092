#!/bin/sh
# Replay tests (`faultline replay`, traces/FORMAT.md "What a replay drives").
#   replay.sh FAULTLINE round GUEST [ARGS...]
#     in each mode: a recording replayed with its own settings gives the
#     recording's stats JSON and event log, byte for byte; and the native
#     recording replayed under each other mode gives that mode's live
#     stats and log (a native recording with large pages is refused under
#     xen-pv, whose guest has no PSE, with one faultline: line)
#   replay.sh FAULTLINE hw GUEST [ARGS...]
#     other hardware at replay (TLB geometry, the walk caches, the data
#     cache on, the AMD vendor, other costs) equals a live run with it
#   replay.sh FAULTLINE refuse GUEST [ARGS...]
#     the guest's own settings cannot change at replay: one line naming
#     the parameter, exit 125; bad traces: one line, exit 125
set -u
fl=$1; what=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
same() {   # same FILE1 FILE2 WHAT
  if cmp -s "$1" "$2"; then return 0; fi
  bad "$3 differ:"
  diff "$1" "$2" | head -12
}
modes="native vkernel xen-pv hvm-shadow hvm-nested"

case $what in
round)
  i=0
  for m in $modes; do
    # each live run in a directory of its own (names of one length: the
    # guest may look at its cwd): a guest that leaves files (a core dump)
    # must find what the first run found
    i=$((i + 1))
    mkdir "run$i"
    (cd "run$i" && exec "$fl" run --mode "$m" --stats "../$m.json" --log "../$m.log" --trace "../$m.fltr" -- "$@") >/dev/null 2>&1 </dev/null
    "$fl" replay --quiet "$m.fltr" --stats "$m.rep.json" --log "$m.rep.log" 2>"$m.err" || { bad "$m: replay failed"; cat "$m.err"; continue; }
    same "$m.json" "$m.rep.json" "$m: the replay's stats and the recording's"
    same "$m.log" "$m.rep.log" "$m: the replay's log and the recording's"
  done
  # the cross-mode comparison needs a guest whose live runs agree with
  # one another (one that reads host state it cannot control does not)
  mkdir run9
  (cd run9 && exec "$fl" run --stats ../again.json -- "$@") >/dev/null 2>&1 </dev/null
  if ! cmp -s native.json again.json; then
    echo "note: two live native runs of this guest differ (host state), so only its own replays are compared:"
    diff native.json again.json | head -6
    modes=native
  fi
  for m in $modes; do
    [ "$m" = native ] && continue
    "$fl" replay --quiet native.fltr --mode "$m" --stats "x.$m.json" --log "x.$m.log" 2>"x.$m.err"
    st=$?
    if [ "$m" = xen-pv ] && grep -q 'maps large pages' "x.$m.err"; then
      [ "$st" = 125 ] && [ "$(wc -l <"x.$m.err")" = 1 ] || bad "xen-pv: the large-page refusal is not one line and 125"
      echo "xen-pv: refused (the recording maps large pages)"
      continue
    fi
    [ "$st" = 0 ] || { bad "native trace under $m: exit $st"; cat "x.$m.err"; continue; }
    same "$m.json" "x.$m.json" "native trace replayed under $m: the stats and a live $m run's"
    same "$m.log" "x.$m.log" "native trace replayed under $m: the log and a live $m run's"
  done
  python3 - native.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"native: {s['instructions']} instructions, {s['refs']['user']} references, {s['page_faults']['guest']} faults")
PY
  ;;
hw)
  mkdir run0
  (cd run0 && exec "$fl" run --trace ../t.fltr -- "$@") >/dev/null 2>&1 </dev/null
  n=0
  while read -r m opts; do
    n=$((n + 1))
    mkdir "run$n"
    # shellcheck disable=SC2086
    (cd "run$n" && exec "$fl" run --mode "$m" $opts --stats "../live$n.json" -- "$@") >/dev/null 2>&1 </dev/null
    # shellcheck disable=SC2086
    "$fl" replay --quiet t.fltr --mode "$m" $opts --stats "rep$n.json" 2>"err$n" || { bad "$m $opts: replay failed"; cat "err$n"; continue; }
    same "live$n.json" "rep$n.json" "$m $opts: the replay's stats and a live run's"
  done <<'EOF'
native --set tlb.l1d.entries=16 --set tlb.l1d.ways=4 --set tlb.stlb.entries=64 --set tlb.stlb.ways=4
hvm-shadow --set tlb.l1d.entries=16 --set tlb.l1d.ways=4 --set walk.pwc=0
hvm-nested --cpu amd --set tlb.stlb.entries=128 --set tlb.stlb.ways=8
native --set cache.enabled=1
xen-pv --set cpu.cost.div=40 --set xen.hypercall=900 --set io.read_latency=1000
hvm-shadow --set guest.kernel_footprint=512 --set native.frame_zero=2000
hvm-nested --set guest.kpti=1 --set guest.pcid=1
EOF
  echo "$n hardware settings replayed"
  ;;
refuse)
  "$fl" run --trace t.fltr -- "$@" >/dev/null 2>&1 </dev/null
  for s in guest.zero_page=0 guest.fault_around_bytes=16384 guest.quantum=5000 xen.inject_writable_pt=1; do
    "$fl" replay --quiet t.fltr --set "$s" 2>err >/dev/null
    st=$?
    k=${s%%=*}
    [ "$st" = 125 ] && [ "$(wc -l <err)" = 1 ] && grep -q "^faultline: replay cannot change $k " err ||
      { bad "--set $s at replay: exit $st"; cat err; }
  done
  "$fl" replay --quiet t.fltr --mem 2G 2>err >/dev/null
  [ $? = 125 ] && [ "$(wc -l <err)" = 1 ] || bad "--mem at replay is not refused"
  "$fl" params | grep -q '^guest.thp .* fixed ' || bad "faultline params does not mark guest.thp fixed"
  "$fl" params | grep -q '^tlb.l1d.entries .* may ' || bad "faultline params does not mark tlb.l1d.entries may"
  # bad traces: cut short, not a trace, missing
  sz=$(wc -c <t.fltr)
  head -c $((sz / 2)) t.fltr >half.fltr
  printf 'not a trace at all, not even close' >junk.fltr
  for t in half.fltr junk.fltr missing.fltr; do
    "$fl" replay --quiet "$t" 2>err >/dev/null
    st=$?
    [ "$st" = 125 ] && [ "$(wc -l <err)" = 1 ] && grep -q '^faultline: ' err || { bad "$t: exit $st"; cat err; }
  done
  grep -q 'byte [0-9]' err || true
  echo "refusals and bad traces: one line each, exit 125"
  ;;
esac
[ $fail = 0 ] && echo "ok"
exit $fail
