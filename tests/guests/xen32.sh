#!/bin/sh
# xen.pv_abi=x86_32 (issue 21): the ring-1 Xen of Barham et al. (SOSP'03)
# against 64-bit PV and native, on the same guests:
#  - the guest behaves identically in every mode: the same output, the
#    same faults of the same kinds;
#  - system calls reach the guest kernel by a direct trap gate: no L4
#    switch (no CR3 write) on any entry or exit, and a null call costs
#    what it costs natively, less than under 64-bit PV;
#  - faults still enter Xen and are bounced (every guest fault), but the
#    return is the guest kernel's own iret (kernel.exit, no xen.iret, no
#    HYPERVISOR_iret: the hypercalls drop by exactly the bounces) and no
#    L4 switch: a fault costs less than under 64-bit PV, more than natively;
#  - page-table updates are still validated: nothing refused, the audit clean.
# Per-call and per-fault cycles come from two runs, N and 2N: the
# difference in cycles over the difference in calls or faults.
# usage: xen32.sh FAULTLINE GUEST_DIR
set -eu
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/inv_lib.sh"
# per(NAME1 NAME2 KEYEXPR): cycles per unit between the N and 2N runs
per() { python3 -c "import json; a=json.load(open('$tmp/$1.json')); b=json.load(open('$tmp/$2.json')); print((b['cycles']-a['cycles'])//($3))"; }
for m in "nat|--mode native" "x64|--mode xen-pv" "x32|--mode xen-pv --set xen.pv_abi=x86_32"; do
  n=${m%%|*}; a=${m#*|}
  # shellcheck disable=SC2086
  run ${n}_s1 $a -- "$g/nullcall.gcc" 500
  # shellcheck disable=SC2086
  run ${n}_s2 $a -- "$g/nullcall.gcc" 1000
  # shellcheck disable=SC2086
  run ${n}_f1 $a -- "$g/pagetouch.gcc" 200
  # shellcheck disable=SC2086
  run ${n}_f2 $a -- "$g/pagetouch.gcc" 400
done
for r in s1 s2 f1 f2; do
  for n in x64 x32; do
    cmp -s "$tmp/nat_$r.out" "$tmp/${n}_$r.out" && echo "ok: $r: $n output as native" || { echo "FAIL: $r: $n output differs"; fail=1; }
    check "$r: $n guest faults as native" "$(q ${n}_$r "d['page_faults']['guest']")" "$(q nat_$r "d['page_faults']['guest']")"
    kinds="sorted((k, v) for k, v in d['page_faults']['by_kind'].items() if v)"
    check "$r: $n fault kinds as native" "$(q ${n}_$r "$kinds")" "$(q nat_$r "$kinds")"
    check "$r: $n system calls as native" "$(q ${n}_$r "d['syscalls']['total']")" "$(q nat_$r "d['syscalls']['total']")"
  done
  check "$r: x32: no L4 switch (CR3 write) on any entry or exit" "$(q x32_$r "d['syscalls']['kpti_cr3_switches']")" 0
  check "$r: x32: no xen.l4_switch step" "$(q x32_$r "d['fault_cycles']['count_by_step'].get('xen.l4_switch', 0)")" 0
  check "$r: x32: no HYPERVISOR_iret (xen.iret)" "$(q x32_$r "d['fault_cycles']['count_by_step'].get('xen.iret', 0)")" 0
  check "$r: x32: every guest fault bounced by Xen" "$(q x32_$r "h['xen_bounces']")" "$(q x32_$r "d['page_faults']['guest']")"
  check "$r: x32: hypercalls = x64's less one HYPERVISOR_iret per bounce" "$(q x32_$r "h['xen_hypercalls']")" \
    "$(($(q x64_$r "h['xen_hypercalls']") - $(q x64_$r "h['xen_bounces']")))"
  check "$r: x32: refusals" "$(q x32_$r "h['xen_refusals']")" 0
  check "$r: x32: audit violations" "$(q x32_$r "h['xen_audit_violations']")" 0
  [ "$(q x64_$r "d['syscalls']['kpti_cr3_switches']")" -gt 0 ] && echo "ok: $r: x64 switches L4s" || { echo "FAIL: $r: x64 made no L4 switch"; fail=1; }
done
calls="(b['syscalls']['total']-a['syscalls']['total'])"
faults="(b['page_faults']['guest']-a['page_faults']['guest'])"
sn=$(per nat_s1 nat_s2 "$calls"); s64=$(per x64_s1 x64_s2 "$calls"); s32=$(per x32_s1 x32_s2 "$calls")
echo "cycles per null system call: native $sn, xen-pv x86_64 $s64, x86_32 $s32"
check "x32: a system call costs what it costs natively (no Xen on its path)" "$s32" "$sn"
[ "$s32" -lt "$s64" ] && echo "ok: x32 system call cheaper than x64's" || { echo "FAIL: x32 system call $s32 not below x64's $s64"; fail=1; }
fn=$(per nat_f1 nat_f2 "$faults"); f64=$(per x64_f1 x64_f2 "$faults"); f32=$(per x32_f1 x32_f2 "$faults")
echo "cycles per page-touch fault: native $fn, xen-pv x86_64 $f64, x86_32 $f32"
[ "$fn" -lt "$f32" ] && [ "$f32" -lt "$f64" ] && echo "ok: native < x86_32 < x86_64 per fault" ||
  { echo "FAIL: per fault native $fn, x86_32 $f32, x86_64 $f64"; fail=1; }
# the direct iret: one kernel.exit per user-mode fault that returned
# (pagetouch's faults are all the program's own, none signalled)
check "x32: kernel.exit per fault (the direct iret)" "$(q x32_f2 "d['fault_cycles']['count_by_step'].get('kernel.exit', 0)")" \
  "$(q nat_f2 "d['fault_cycles']['count_by_step'].get('kernel.exit', 0)")"
# a trace recorded under x86_64 replays under x86_32 to the stats of an
# x86_32 run: the guest's decisions are the same under both ABIs
"$fl" run --clean-env --mode xen-pv --trace "$tmp/t.fltr" -- "$g/forkexec.gcc" 5 >"$tmp/t.out" 2>&1
run fx32 --clean-env --mode xen-pv --set xen.pv_abi=x86_32 -- "$g/forkexec.gcc" 5
"$fl" replay "$tmp/t.fltr" --mode xen-pv --set xen.pv_abi=x86_32 --stats "$tmp/rx32.json" >/dev/null 2>&1
python3 "$(dirname "$0")/../stats_same.py" "$tmp/rx32.json" "$tmp/fx32.json" &&
  echo "ok: an x86_64 trace replayed under x86_32 = an x86_32 run" || { echo "FAIL: replay under x86_32 differs"; fail=1; }
# bad values are refused with one line
out=$("$fl" run --mode xen-pv --set xen.pv_abi=x86_16 -- "$g/nullcall.gcc" 1 2>&1 >/dev/null) && rc=0 || rc=$?
check "xen.pv_abi=x86_16 refused (exit 125)" "$rc" 125
echo "$out" | grep -q "^faultline: .*xen.pv_abi" && echo "ok: the refusal names xen.pv_abi" || { echo "FAIL: refusal: $out"; fail=1; }
exit $fail
