#!/bin/sh
# Replay tests (`faultline replay`, traces/FORMAT.md "What a replay drives").
#   replay.sh FAULTLINE round GUEST [ARGS...]
#     in each mode: a recording replayed with its own settings gives the
#     recording's stats JSON and event log, byte for byte; and the native
#     recording replayed under each other mode gives that mode's live
#     stats and log (a native recording with large pages is refused under
#     xen-pv, whose guest has no PSE, with one faultline: line)
#   replay.sh FAULTLINE round-self GUEST [ARGS...]
#     the first half only (a guest whose behaviour depends on host state
#     it reads, such as coremem's core files, cannot be compared across
#     separate live runs)
#   replay.sh FAULTLINE hw GUEST [ARGS...]
#     other hardware at replay (TLB geometry, the walk caches, the data
#     cache on, the AMD vendor, other costs) equals a live run with it
#   replay.sh FAULTLINE window GUEST [ARGS...]   (a run with a keyframe)
#     windows: [0, N) and [N, end) replayed from the start add up to the
#     whole replay (every additive count); a window warmed up from the
#     keyframe has the guest's counts of the same window replayed from the
#     start exactly, and its cycles within 10% (the state from before the
#     keyframe that the warm-up does not rebuild: FORMAT.md "Windows")
#   replay.sh FAULTLINE fuzz FUZZER MUTANTS GUEST [ARGS...]
#     replay_fuzz over the guest's recording: mutated records in valid
#     containers replay or are refused, never crash or hang
#   replay.sh FAULTLINE refuse GUEST [ARGS...]
#     the guest's own settings cannot change at replay: one line naming
#     the parameter, exit 125; bad traces: one line, exit 125
#   FL_ARGS: more `run` options for the recordings and live runs (--cpus 2)
set -u
fl=$1; what=$2; shift 2
stats_same=$(cd "$(dirname "$0")/.." && pwd)/stats_same.py
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
same() {   # same FILE1 FILE2 WHAT (stats: but their config and exit blocks)
  case $1 in
  *.json) python3 "$stats_same" "$1" "$2" >"$1.diff" && return 0 ;;
  *) cmp -s "$1" "$2" && return 0 ;;
  esac
  bad "$3 differ:"
  case $1 in *.json) cat "$1.diff" ;; *) diff "$1" "$2" | head -12 ;; esac
}
modes="native vkernel xen-pv hvm-shadow hvm-nested exokernel spin tornado"

case $what in
round|round-self)
  i=0
  for m in $modes; do
    # each live run in a directory of its own (names of one length: the
    # guest may look at its cwd): a guest that leaves files (a core dump)
    # must find what the first run found
    i=$((i + 1))
    mkdir "run$i"
    # shellcheck disable=SC2086
    (cd "run$i" && exec "$fl" run --mode "$m" ${FL_ARGS:-} --stats "../$m.json" --log "../$m.log" --trace "../$m.fltr" -- "$@") >/dev/null 2>&1 </dev/null
    "$fl" replay --quiet "$m.fltr" --stats "$m.rep.json" --log "$m.rep.log" 2>"$m.err" || { bad "$m: replay failed"; cat "$m.err"; continue; }
    same "$m.json" "$m.rep.json" "$m: the replay's stats and the recording's"
    same "$m.log" "$m.rep.log" "$m: the replay's log and the recording's"
  done
  # the cross-mode comparison needs a guest whose live runs agree with
  # one another (one that reads host state it cannot control does not)
  mkdir run9
  # shellcheck disable=SC2086
  (cd run9 && exec "$fl" run ${FL_ARGS:-} --stats ../again.json -- "$@") >/dev/null 2>&1 </dev/null
  if [ "$what" = round-self ] || ! python3 "$stats_same" native.json again.json >again.diff; then
    echo "note: this guest's live runs may differ (host state), so only its own replays are compared"
    head -6 again.diff
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
  # the runs' directories have names of one length: the guest's
  # environment (PWD) is on its stack
  mkdir run00
  (cd run00 && exec "$fl" run --trace ../t.fltr -- "$@") >/dev/null 2>&1 </dev/null
  n=0
  while read -r m opts; do
    n=$((n + 1))
    mkdir "run$(printf %02d $n)"
    # shellcheck disable=SC2086
    (cd "run$(printf %02d $n)" && exec "$fl" run --mode "$m" $opts --stats "../live$n.json" -- "$@") >/dev/null 2>&1 </dev/null
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
exokernel --set exokernel.swtlb.entries=256 --set tlb.l1d.entries=16 --set tlb.l1d.ways=4 --set exokernel.mod_in_kernel=1
exokernel --set exokernel.mmu=xok-pt --set guest.kpti=1
spin --set spin.extensions=8
tornado --set tlb.l1d.entries=16 --set tlb.l1d.ways=4
EOF
  echo "$n hardware settings replayed"
  ;;
fuzz)
  fz=$1; count=$2; shift 2
  "$fl" run --trace t.fltr -- "$@" >/dev/null 2>&1 </dev/null
  "$fz" t.fltr "$count" 0x5eed || fail=1
  ;;
window)
  # a keyframe every 4 M instructions: several in a short run
  "$fl" run --set trace.keyframe_insns=4000000 --trace t.fltr -- "$@" >/dev/null 2>&1 </dev/null
  kf=$("$fl" trace info t.fltr | sed -n 's/^frames .*keyframe \([0-9]*\),.*/\1/p')
  [ "${kf:-0}" -ge 1 ] || bad "no keyframe in the recording"
  end=$("$fl" trace info t.fltr | sed -n 's/^index .*instructions 0 to \([0-9]*\).*/\1/p')
  n=$((end - end / 3))         # the last third (past a keyframe: one every 4 M instructions)
  "$fl" replay --quiet t.fltr --stats whole.json
  "$fl" replay --quiet t.fltr --warmup start --to "$n" --stats a.json
  "$fl" replay --quiet t.fltr --warmup start --from "$n" --stats b.json
  python3 - whole.json a.json b.json <<'PY' || fail=1
import json, sys
w, a, b = (json.load(open(f)) for f in sys.argv[1:4])
skip = {"ipc", "window", "mode", "preset", "cpu", "memory", "syscalls", "minflt", "fault_around_pages", "thp_pages", "config",
        "schema_version", "exit",
        "p50", "p90", "p99", "max"}   # (percentiles and maxima do not add up)
bad = []
def walk(x, y, z, path):
    if isinstance(x, dict):
        for k in x:
            if k in skip: continue
            walk(x[k], y.get(k, 0) if isinstance(y, dict) else 0, z.get(k, 0) if isinstance(z, dict) else 0, path + "." + k)
    elif isinstance(x, int) and x != y + z:
        bad.append(f"{path}: whole {x}, windows {y} + {z}")
walk(w, a, b, "")
for m in bad[:10]: print("FAIL: " + m)
print(f"[0, N) + [N, end) = the whole replay: {'no' if bad else 'every'} additive count" + (f" ({len(bad)} differ)" if bad else ""))
sys.exit(1 if bad else 0)
PY
  for m in native hvm-shadow hvm-nested xen-pv vkernel exokernel; do
    "$fl" replay --quiet t.fltr --mode "$m" --from "$n" --stats "kf.$m.json" 2>err || { bad "$m: keyframe window failed"; cat err; continue; }
    "$fl" replay --quiet t.fltr --mode "$m" --from "$n" --warmup start --stats "st.$m.json"
    python3 - "kf.$m.json" "st.$m.json" "$m" <<'PY' || fail=1
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# what the guest did is the same whatever the warm-up; what the machine
# did differs only by what state from before the keyframe the warm-up
# did not rebuild (first touches after it: TLB and walk-cache misses,
# EPT/shadow fills)
guest = lambda s: (s["instructions"], s["refs"]["user"], s["refs"]["kernel"], s["refs"]["user_copies"],
                   s["page_faults"]["guest"], [s["page_faults"]["by_kind"][k] for k in
                   ("anon_zero_page", "anon_new", "file", "cow", "write_upgrade", "thp")])
if guest(a) != guest(b):
    print(f"FAIL: {sys.argv[3]}: the guest's counts differ with the warm-up: {guest(a)} vs {guest(b)}")
    sys.exit(1)
dev = (a["cycles"] - b["cycles"]) / b["cycles"]
print(f"{sys.argv[3]}: keyframe warm-up: the guest's counts exact, cycles {a['cycles']} vs {b['cycles']} from the start "
      f"({dev:+.2%}), hidden faults {a['page_faults']['hidden']} vs {b['page_faults']['hidden']}")
sys.exit(1 if abs(dev) > 0.10 else 0)
PY
  done
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
