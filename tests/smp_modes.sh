#!/bin/sh
# --cpus 2 under one mode (issue 19): the shootdown keeps memory correct
# (skipping it leaves a stale translation the guest can see), the same
# command gives the same stats, and the mode's own shootdown path shows in
# the stats and the log (exits for the IPIs of the HVM modes, Xen's
# hypercall, the vkernel host's IPIs).
# usage: smp_modes.sh FAULTLINE GUEST_BIN MODE VENDOR
set -u
stats_same=$(cd "$(dirname "$0")" && pwd)/stats_same.py
fl=$1; g=$2; mode=$3; cpu=$4
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
run() { "$fl" run --mode "$mode" --cpu "$cpu" --cpus 2 "$@"; }
fail() { echo "FAIL ($mode/$cpu): $*"; exit 1; }
stat() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval(sys.argv[1]))" "$2"; }

a=$(run --stats "$d/a" --log "$d/log" -- "$g/shootx.gcc" x) || fail "shootx exited $?"
test "$a" = 'reader after PROT_NONE: faulted' || fail "shootx: $a"
run --stats "$d/b" -- "$g/shootx.gcc" x >/dev/null || fail "second run"
python3 "$stats_same" "$d/a" "$d/b" || fail "two runs, different stats"
b=$(run --set smp.skip_shootdown=1 -- "$g/shootx.gcc" x)
if [ "$mode" = vkernel ]; then
  # the host's MADV_INVAL reaches every CPU: the guest kernel has no shootdown to skip
  test "$b" = 'reader after PROT_NONE: faulted' || fail "skip: $b"
  test "$(stat "$d/a" "d['hv']['vk_host_ipis'] > 0 and d['smp']['tlb_shootdowns']['initiated'] == 0")" = True || fail "host IPIs"
  grep -q 'host.ipi_flush .*@cpu1' "$d/log" || fail "no host.ipi_flush on cpu 1 in the log"
  echo "ok: $mode/$cpu: host IPIs $(stat "$d/a" "d['hv']['vk_host_ipis']")"; exit 0
fi
if [ "$mode" = hvm-shadow ]; then
  # the trapped PTE store already made KVM flush every vCPU's TLB
  # (kvm_mmu_pte_write -> kvm_flush_remote_tlbs): the guest's skipped
  # shootdown leaves nothing stale
  test "$b" = 'reader after PROT_NONE: faulted' || fail "skipped shootdown under shadow paging: $b"
  grep -q 'hv.remote_flush' "$d/log" || fail "no hv.remote_flush in the log"
else
  test "$b" = 'reader after PROT_NONE: stale' || fail "skipped shootdown: $b"
fi
test "$(stat "$d/a" "d['smp']['tlb_shootdowns']['initiated'] >= 1")" = True || fail "no shootdown"
grep -q '^event: .* tlb.shootdown ' "$d/log" || fail "no tlb.shootdown in the log"
case $mode in
xen-pv)
  test "$(stat "$d/a" "d['hv']['xen_flush_multi'] >= 1")" = True || fail "no MMUEXT flush"
  grep -q 'hv.ipi_flush .*@cpu1' "$d/log" || fail "no hv.ipi_flush on cpu 1";;
hvm-shadow|hvm-nested)
  # SDM App. C: WRMSR 32, external interrupt 1; APM App. C: MSR 0x7c, INTR 0x60
  if [ "$cpu" = amd ]; then w=MSR; x=INTR; else w=WRMSR; x=EXTERNAL_INTERRUPT; fi
  test "$(stat "$d/a" "d['vm_exits']['$w']['count'] >= 2 and d['vm_exits']['$x']['count'] >= 1")" = True || fail "no $w / $x exits"
  grep -q 'kind=extint_exit.*@cpu1' "$d/log" || fail "no external-interrupt exit on cpu 1"
  # IPI virtualization and posted interrupts: no exit for either side
  run --set hvm.ipi_virt=1 --set hvm.posted_intr=1 --stats "$d/c" -- "$g/shootx.gcc" x >/dev/null || fail "posted run"
  if [ "$mode" = hvm-nested ]; then
    test "$(stat "$d/c" "'$w' not in d['vm_exits'] and '$x' not in d['vm_exits']")" = True || fail "exits with posted interrupts"
  fi;;
*)
  grep -q 'tlb.ipi_flush .*@cpu1' "$d/log" || fail "no tlb.ipi_flush on cpu 1";;
esac
echo "ok: $mode/$cpu: $(stat "$d/a" "d['smp']['tlb_shootdowns']")"
