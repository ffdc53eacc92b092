#!/bin/sh
# Invariants of the spin and tornado modes on real guests (issue 18): the guest sees its
# native faults; every fault raises one event; with one extension each is a
# direct call, with N every event evaluates N guards; every event is
# handled once (a handler, the default implementation or an exception);
# no fault is hidden; the guard-evaluation cost grows with N.
# usage: spin_invariants.sh FAULTLINE GUEST_DIR
set -eu
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/inv_lib.sh"
for guest in procs.gcc forkexec.gcc cowcount.gcc mmapx.gcc filetouch.musl kaddr.gcc; do
  run nat -- "$g/$guest"
  for n in 1 4 16; do
    run s$n --mode spin --set spin.extensions=$n -- "$g/$guest"
    check "$guest, $n: guest faults as native" "$(q s$n "d['page_faults']['guest']")" "$(q nat "d['page_faults']['guest']")"
    check "$guest, $n: one event per fault" "$(q s$n "h['spin_events']")" "$(q s$n "d['page_faults']['guest']")"
    check "$guest, $n: no hidden fault" "$(q s$n "d['page_faults']['hidden']")" 0
    check "$guest, $n: each event handled once" "$(q s$n "h['spin_handlers'] + h['spin_defaults'] + h['spin_exceptions']")" \
      "$(q s$n "h['spin_events']")"
    if [ $n = 1 ]; then check "$guest, 1: direct calls" "$(q s1 "h['spin_direct_calls']")" "$(q s1 "h['spin_events']")"
    else check "$guest, $n: $n guards an event" "$(q s$n "h['spin_guards']")" "$(q s$n "$n * h['spin_events']")"; fi
  done
  [ "$(q s16 "d['fault_cycles']['by_step'].get('spin.guard', 0)")" -gt "$(q s4 "d['fault_cycles']['by_step'].get('spin.guard', 0)")" ] &&
    echo "ok: $guest: guard cycles grow with N ($(q s4 "d['fault_cycles']['by_step'].get('spin.guard', 0)") -> $(q s16 "d['fault_cycles']['by_step'].get('spin.guard', 0)"))" ||
    { echo "FAIL: $guest: guard cycles do not grow"; fail=1; }
done
# Tornado: every fault calls the Process object once; every FCM call is a hit
# or a miss; representatives are created once per object; what is given back
# is freed after a quiescent state
for guest in procs.gcc forkexec.gcc cowcount.gcc filetouch.musl; do
  run t --mode tornado -- "$g/$guest"
  run nat2 -- "$g/$guest"
  check "$guest (tornado): guest faults as native" "$(q t "d['page_faults']['guest']")" "$(q nat2 "d['page_faults']['guest']")"
  check "$guest (tornado): one Process call a fault" "$(q t "h['tornado_calls_process']")" "$(q t "d['page_faults']['guest']")"
  check "$guest (tornado): FCM calls = hits + misses" "$(q t "h['tornado_calls_fcm']")" "$(q t "h['tornado_fcm_hits'] + h['tornado_fcm_misses']")"
  check "$guest (tornado): object calls by class add up" "$(q t "h['tornado_object_calls']")" \
    "$(q t "sum(h[k] for k in ('tornado_calls_process', 'tornado_calls_region', 'tornado_calls_fcm', 'tornado_calls_dram', 'tornado_calls_cor', 'tornado_calls_hat'))")"
  [ "$(q t "0 < h['tornado_rep_misses'] < h['tornado_object_calls'] and h['tornado_deferred_frees'] > 0")" = True ] &&
    echo "ok: $guest (tornado): $(q t "h['tornado_rep_misses']") representatives created, $(q t "h['tornado_deferred_frees']") deferred frees" ||
    { echo "FAIL: $guest (tornado): representatives or deferred frees"; fail=1; }
done
run k --mode spin --set spin.extensions=4 -- "$g/kaddr.gcc"
check "kaddr: kernel addresses match no guard: the default implementation" "$(q k "h['spin_defaults']")" 2
run kn --mode spin --set spin.extensions=4 --set spin.default=none -- "$g/kaddr.gcc"
check "kaddr: no default: the dispatcher's exception" "$(q kn "h['spin_exceptions']")" 2
exit $fail
