#!/bin/sh
# Invariants of the vkernel mode on real guests (issue 7): every fault the
# vkernel resolves is refaulted in the host exactly once (a fault that
# returned from vmspace_ctl is followed by one host refault that resolves
# it from the new vPTE), none is left without its refault; the guest sees
# exactly its native faults; every hidden fault is the host's own (a valid
# vPTE, a path (II) SIGSEGV); M-bit faults appear once the vkernel
# prefaults; the injected out-of-file vPTE is refused once.
# usage: vk_invariants.sh FAULTLINE GUEST_DIR
set -eu
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/inv_lib.sh"
for guest in procs.gcc forkexec.gcc cowcount.gcc mmapx.gcc; do
  run nat -- "$g/$guest"
  run v --mode vkernel -- "$g/$guest"
  check "$guest: each resolved fault refaulted once" "$(q v "h['vk_refaults']")" "$(q v "h['vk_vkernel_resolved']")"
  check "$guest: no fault left without its refault" "$(q v "h['vk_missed_refaults']")" 0
  check "$guest: guest faults as native" "$(q v "d['page_faults']['guest']")" "$(q nat "d['page_faults']['guest']")"
  check "$guest: hidden = host-resolved + path II" "$(q v "d['page_faults']['hidden']")" "$(q v "h['vk_host_resolved'] + h['vk_sigsegvs']")"
  [ "$(q v "0 < h['vk_vmspace_returns'] <= d['page_faults']['guest']")" = True ] &&
    echo "ok: $guest: $(q v "h['vk_vmspace_returns']") returns from vmspace_ctl" || { echo "FAIL: vmspace returns"; fail=1; }
done
run p0 --mode vkernel -- "$g/pagetouch.gcc" 2000
run p8 --mode vkernel --set vkernel.prefault=8 -- "$g/pagetouch.gcc" 2000
check "prefault 0: no M-bit faults" "$(q p0 "h['vk_mbit']")" 0
[ "$(q p8 "h['vk_mbit']")" -gt 1000 ] && echo "ok: prefault 8: $(q p8 "h['vk_mbit']") M-bit faults" || { echo "FAIL: no M-bit faults"; fail=1; }
[ "$(q p8 "h['vk_vmspace_returns']")" -lt "$(q p0 "h['vk_vmspace_returns']")" ] &&
  echo "ok: prefault cuts vmspace_ctl returns ($(q p0 "h['vk_vmspace_returns']") -> $(q p8 "h['vk_vmspace_returns']"))" ||
  { echo "FAIL: prefault changes nothing"; fail=1; }
check "prefault 8: each resolved fault refaulted once" "$(q p8 "h['vk_refaults']")" "$(q p8 "h['vk_vkernel_resolved']")"
run bad --mode vkernel --set vkernel.inject_bad_vpte=40 -- "$g/pagetouch.gcc" 100
check "injected vPTE refused once" "$(q bad "h['vk_host_refusals']")" 1
run lazy1 --mode vkernel -- "$g/pagetouch.gcc" 100
run lazy0 --mode vkernel --set vkernel.kvm_lazy=0 -- "$g/pagetouch.gcc" 100
[ "$(q lazy1 "h['vk_sigsegvs']")" -gt 0 ] && echo "ok: path (II) taken ($(q lazy1 "h['vk_sigsegvs']"))" || { echo "FAIL: no path II"; fail=1; }
check "kvm_lazy=0: no path (II)" "$(q lazy0 "h['vk_sigsegvs']")" 0
exit $fail
