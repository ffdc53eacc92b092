#!/bin/sh
# Invariants of the exokernel mode on real guests (issue 16).
# aegis-stlb: the guest sees exactly its native faults; no hardware walk is
# made; every TLB-miss exception is served by the software TLB, by an
# upcall, or by a guaranteed-mapping refill (each exactly once); every
# second-level TLB miss reached the exokernel; every upcall is a software
# TLB miss or a TLB-modified exception; no libOS handler access ever
# caused an upcall; every entry written into the TLB came from a
# capability-checked install, a software-TLB entry (written only by such an
# install), a guaranteed mapping or a dirty bit the exokernel set; every
# hidden fault is one of the exokernel's kinds.
# xok-pt: hardware walks; every guest fault reflected once; every PTE the
# libOS stored passed its capability check.
# usage: exo_invariants.sh FAULTLINE GUEST_DIR
set -eu
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/inv_lib.sh"
for guest in procs.gcc forkexec.gcc cowcount.gcc mmapx.gcc filetouch.musl thp.gcc; do
  run nat -- "$g/$guest"
  for v in "a" "m"; do
    if [ $v = a ]; then run a --mode exokernel -- "$g/$guest"; tag="$guest"
    else run m --mode exokernel --set exokernel.mod_in_kernel=1 --set exokernel.swtlb.entries=64 -- "$g/$guest"; tag="$guest (mod_in_kernel, 64-slot STLB)"; fi
    check "$tag: guest faults as native" "$(q $v "d['page_faults']['guest']")" "$(q nat "d['page_faults']['guest']")"
    check "$tag: no hardware walk" "$(q $v "d['walks']['count'] + d['walks']['refs']")" 0
    check "$tag: misses = STLB hits + STLB misses + guaranteed refills" "$(q $v "h['exo_tlb_miss_exceptions']")" \
      "$(q $v "h['exo_swtlb_hits'] + h['exo_swtlb_misses'] + h['exo_guaranteed_refills']")"
    check "$tag: every second-level TLB miss reached the exokernel" "$(q $v "d['tlb']['stlb']['misses']")" \
      "$(q $v "h['exo_tlb_miss_exceptions'] - h['exo_tlb_rights_exceptions']")"
    check "$tag: upcalls = STLB misses + TLB-modified upcalls" "$(q $v "h['exo_upcalls']")" \
      "$(q $v "h['exo_swtlb_misses'] + h['exo_tlb_mod_exceptions'] - h['exo_mod_in_kernel']")"
    check "$tag: no libOS handler access caused an upcall" "$(q $v "h['exo_handler_upcalls']")" 0
    check "$tag: every install's capability checked and granted" "$(q $v "h['exo_installs'] + h['exo_cap_refusals']")" \
      "$(q $v "h['exo_cap_checks']")"
    check "$tag: every TLB entry written by a checked path" "$(q $v "d['tlb']['software_installs']")" \
      "$(q $v "h['exo_installs'] + h['exo_swtlb_hits'] + h['exo_guaranteed_refills'] + h['exo_mod_in_kernel']")"
    check "$tag: hidden faults are the exokernel's kinds" "$(q $v "d['page_faults']['hidden']")" \
      "$(q $v "sum(d['page_faults']['by_kind'][k] for k in ('exo_stlb_hit', 'exo_guaranteed', 'exo_libos_refill', 'exo_tlb_mod', 'exo_refused'))")"
  done
  [ "$(q m "h['exo_mod_in_kernel'] <= h['exo_tlb_mod_exceptions']")" = True ] && echo "ok: $guest: $(q m "h['exo_mod_in_kernel']") modified exceptions handled in the exokernel" || { echo "FAIL: mod_in_kernel count"; fail=1; }
  run x --mode exokernel --set exokernel.mmu=xok-pt -- "$g/$guest"
  check "$guest (xok): guest faults as native" "$(q x "d['page_faults']['guest']")" "$(q nat "d['page_faults']['guest']")"
  check "$guest (xok): every fault reflected to u_entfault once" "$(q x "h['xok_reflected_faults']")" "$(q x "d['page_faults']['guest']")"
  check "$guest (xok): every stored PTE passed its capability check" "$(q x "h['xok_pte_inserts'] - h['xok_pte_clears'] + h['exo_cap_refusals']")" \
    "$(q x "h['exo_cap_checks']")"
  check "$guest (xok): no refusal" "$(q x "h['exo_cap_refusals']")" 0
  [ "$(q x "d['walks']['count'] > 0 and h['exo_swtlb_hits'] + h['exo_tlb_miss_exceptions'] == 0")" = True ] &&
    echo "ok: $guest (xok): hardware walks, no software TLB" || { echo "FAIL: xok uses the software TLB"; fail=1; }
done
# the software TLB absorbs capacity misses: a working set larger than the
# x86 TLBs but within the STLB is served without upcalls the second time
run big --mode exokernel --set tlb.stlb.entries=64 --set tlb.stlb.ways=4 --set tlb.l1d.entries=16 -- "$g/tlbchase.gcc" 8 200000
[ "$(q big "h['exo_swtlb_hits'] > h['exo_swtlb_misses']")" = True ] &&
  echo "ok: tlbchase with small TLBs: $(q big "h['exo_swtlb_hits']") STLB hits, $(q big "h['exo_swtlb_misses']") misses" ||
  { echo "FAIL: the STLB absorbs nothing ($(q big "h['exo_swtlb_hits']") hits)"; fail=1; }
run none --mode exokernel --set tlb.stlb.entries=64 --set tlb.stlb.ways=4 --set tlb.l1d.entries=16 --set exokernel.swtlb.entries=0 -- "$g/tlbchase.gcc" 8 200000
check "no STLB: no STLB hits" "$(q none "h['exo_swtlb_hits']")" 0
[ "$(q none "h['exo_upcalls']")" -gt "$(q big "h['exo_upcalls']")" ] &&
  echo "ok: without an STLB every capacity miss is an upcall ($(q big "h['exo_upcalls']") -> $(q none "h['exo_upcalls']"))" ||
  { echo "FAIL: the STLB changes nothing"; fail=1; }
exit $fail
