#!/bin/sh
# Invariants of the hardware-virtualization modes, asserted on real guests
# (issue 6).  usage: hvm_invariants.sh FAULTLINE GUEST_DIR
#  hvm-nested: no #PF exits at all; first touch exits once per guest-physical
#    page: exits(2N) - exits(N) = N + the page-table pages the guest kernel
#    allocated in between (a page-touch guest, 4 KiB fills), and with 2 MiB
#    fills the extra 2 MiB regions that those pages occupy; the guest sees
#    the same faults as on bare metal.
#  hvm-shadow: CR3-write exits = guest MOV-to-CR3 executions - CR3-target
#    hits (KPTI off and on, targets on VMX only); hidden faults > 0; every
#    guest-visible fault was injected; the guest sees the native faults.
set -eu
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/inv_lib.sh"
exits_of() {  # the count of vm_exits[reason] (0 if none)
  q "$1" "d['vm_exits'].get('$2', {}).get('count', 0)"
}
N=1000
M=4096
for cpu in intel amd; do
  [ $cpu = intel ] && npf=EPT_VIOLATION || npf=NPF
  [ $cpu = intel ] && pfx=EXCEPTION_NMI || pfx=EXCP_PF
  [ $cpu = intel ] && crx=CR_ACCESS || crx=WRITE_CR3
  run nat$N --mode native -- "$g/pagetouch.gcc" $N
  for n in $N $((2 * N)); do
    run n$cpu$n --mode hvm-nested --cpu $cpu -- "$g/pagetouch.gcc" $n
  done
  for n in $M $((2 * M)); do
    run n$cpu$n --mode hvm-nested --cpu $cpu -- "$g/pagetouch.gcc" $n
    run b$cpu$n --mode hvm-nested --cpu $cpu --set nested.fill_2m=1 -- "$g/pagetouch.gcc" $n
  done
  check "$cpu nested: no #PF exits" "$(q n$cpu$N "sorted(d['vm_exits'])")" "['$npf']"
  check "$cpu nested: guest faults as native" "$(q n$cpu$N "d['page_faults']['guest']")" "$(q nat$N "d['page_faults']['guest']")"
  e1=$(exits_of n$cpu$N $npf); e2=$(exits_of n$cpu$((2 * N)) $npf)
  p1=$(q n$cpu$N "d['memory']['page_table_pages_allocated']"); p2=$(q n$cpu$((2 * N)) "d['memory']['page_table_pages_allocated']")
  check "$cpu nested 4K fills: exits(2N)-exits(N) = N + new page-table pages" $((e2 - e1)) $((N + p2 - p1))
  b1=$(exits_of b$cpu$M $npf); b2=$(exits_of b$cpu$((2 * M)) $npf)
  p1=$(q n$cpu$M "d['memory']['page_table_pages_allocated']"); p2=$(q n$cpu$((2 * M)) "d['memory']['page_table_pages_allocated']")
  e1=$(exits_of n$cpu$M $npf)
  # the M extra pages and their tables are allocated consecutively: they
  # span floor(x) .. ceil(x)+1 new 2 MiB regions, x = pages / 512
  pages=$((M + p2 - p1)); lo=$((pages / 512)); hi=$(((pages + 511) / 512 + 1)); d=$((b2 - b1))
  if [ $d -ge $lo ] && [ $d -le $hi ]; then echo "ok: $cpu nested 2M fills: $d new exits for $pages pages"
  else echo "FAIL: $cpu nested 2M fills: $d new exits for $pages pages (expected $lo..$hi)"; fail=1; fi
  [ "$b1" -lt $((e1 / 8)) ] && echo "ok: $cpu 2M fills exit far less ($b1 vs $e1)" || { echo "FAIL: 2M fills $b1 vs 4K $e1"; fail=1; }

  run natp -- "$g/procs.gcc"
  for kpti in 0 1; do
    for tg in 0 2; do
      run s$cpu$kpti$tg --mode hvm-shadow --cpu $cpu --set guest.kpti=$kpti --set shadow.cr3_targets=$tg -- "$g/procs.gcc"
      w=$(q s$cpu$kpti$tg "d['hv']['guest_cr3_writes']"); h=$(q s$cpu$kpti$tg "d['hv']['cr3_target_hits']")
      check "$cpu shadow kpti=$kpti targets=$tg: CR3 exits = writes $w - target hits $h" "$(exits_of s$cpu$kpti$tg $crx)" $((w - h))
      [ $cpu = amd ] && check "amd: no CR3-target values" "$h" 0
      [ $cpu = intel ] && [ $tg = 2 ] && [ $kpti = 1 ] && { [ "$h" -gt 0 ] && echo "ok: target hits $h" || { echo "FAIL: no target hits with KPTI"; fail=1; }; }
    done
  done
  hid=$(q s${cpu}00 "d['page_faults']['hidden']")
  [ "$hid" -gt 0 ] && echo "ok: $cpu shadow hidden faults $hid" || { echo "FAIL: no hidden faults"; fail=1; }
  check "$cpu shadow: guest faults as native" "$(q s${cpu}00 "d['page_faults']['guest']")" "$(q natp "d['page_faults']['guest']")"
  check "$cpu shadow: every guest fault injected" "$(q s${cpu}00 "d['hv']['injected_pf']")" "$(q s${cpu}00 "d['page_faults']['guest']")"
  check "$cpu shadow: #PF exits = hidden faults + injected" "$(exits_of s${cpu}00 $pfx)" "$(q s${cpu}00 "d['page_faults']['hidden'] + d['hv']['injected_pf']")"
  kpw=$(q s${cpu}10 "d['hv']['guest_cr3_writes']"); nkw=$(q s${cpu}00 "d['hv']['guest_cr3_writes']")
  [ "$kpw" -gt $((nkw * 10)) ] && echo "ok: KPTI multiplies CR3 writes ($nkw -> $kpw)" || { echo "FAIL: KPTI CR3 writes $nkw -> $kpw"; fail=1; }
done
exit $fail
