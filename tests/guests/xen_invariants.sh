#!/bin/sh
# Invariants of the xen-pv mode on real guests (issue 7):
#  - every guest page-table store reached Xen: stores = validated updates +
#    stores into tables not yet typed (the guest's own, or a fork's child's
#    batched mmu_updates Xen stores unvalidated), and those were checked
#    when Xen typed the table (pin or link), + clears of untyped tables
#    (the teardown after exit's unpin: nothing to check); nothing refused; the audit of every typed
#    table (at each address space's death and at the end) finds no entry
#    breaking Xen's rules;
#  - every guest-visible fault was bounced, and the guest sees exactly its
#    native faults; with xen.ptwr=1 the hidden faults are the emulated
#    stores, and requests = validations + refusals;
#  - fault injection: Xen refuses the one bad update (reason 2: a writable
#    mapping of a page table; 1: a frame the domain does not own).
# usage: xen_invariants.sh FAULTLINE GUEST_DIR
set -eu
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/inv_lib.sh"
for guest in procs.gcc forkexec.gcc cowcount.gcc; do
  run nat -- "$g/$guest"
  for v in "base|" "ptwr|--set xen.ptwr=1" "nobatch|--set xen.batch=1 --set xen.pin_l1=0" \
           "x32|--set xen.pv_abi=x86_32 --set xen.batch=2048"; do
    n=${v%%|*}; a=${v#*|}
    # shellcheck disable=SC2086
    run x$n --mode xen-pv $a -- "$g/$guest"
    w=$(q x$n "d['memory']['pte_writes']")
    check "$guest $n: stores = validated + plain + plain clears + untyped updates" "$(q x$n "h['xen_validations'] + h['xen_plain_stores'] + h['xen_plain_clears'] + h['xen_untyped_updates']")" "$w"
    [ "$(q x$n "h['xen_plain_stores'] + h['xen_untyped_updates'] <= h['xen_table_entries_validated']")" = True ] &&
      echo "ok: $guest $n: plain stores checked at typing" || { echo "FAIL: plain stores unchecked"; fail=1; }
    check "$guest $n: refusals" "$(q x$n "h['xen_refusals']")" 0
    check "$guest $n: audit violations" "$(q x$n "h['xen_audit_violations']")" 0
    [ "$(q x$n "h['xen_audited_entries']")" -gt 100 ] && echo "ok: $guest $n: audited $(q x$n "h['xen_audited_entries']") entries" ||
      { echo "FAIL: audit saw too little"; fail=1; }
    check "$guest $n: guest faults as native" "$(q x$n "d['page_faults']['guest']")" "$(q nat "d['page_faults']['guest']")"
    check "$guest $n: every guest fault bounced" "$(q x$n "h['xen_bounces']")" "$(q x$n "d['page_faults']['guest']")"
    check "$guest $n: requests = validations + refusals + untyped updates" "$(q x$n "h['xen_mmu_updates'] + h['xen_ptwr']")" "$(q x$n "h['xen_validations'] + h['xen_refusals'] + h['xen_untyped_updates']")"
    check "$guest $n: hidden faults = emulated stores" "$(q x$n "d['page_faults']['hidden']")" "$(q x$n "h['xen_ptwr']")"
  done
  [ "$(q xptwr "h['xen_ptwr']")" -gt 0 ] && echo "ok: $guest: ptwr emulations happen" || { echo "FAIL: no ptwr"; fail=1; }
  [ "$(q xbase "h['xen_hypercalls']")" -lt "$(q xnobatch "h['xen_hypercalls']")" ] &&
    echo "ok: $guest: batching saves hypercalls ($(q xbase "h['xen_hypercalls']") vs $(q xnobatch "h['xen_hypercalls']"))" ||
    { echo "FAIL: batching saves nothing"; fail=1; }
done
# (the superpage injection counts PMD links into validated tables: the
# stack's is made before activate_mm pins the tables, so pagetouch 100 has 2)
for inj in "writable_pt|writable_page_table|25" "foreign|not_owned|25" "superpage|superpage|2"; do
  k=${inj%%|*}; rest=${inj#*|}; why=${rest%%|*}; nth=${rest#*|}
  "$fl" run --mode xen-pv --set xen.inject_$k=$nth --stats "$tmp/i.json" --log "$tmp/i.log" -- "$g/pagetouch.gcc" 100 >/dev/null 2>&1
  check "inject $k: one refusal" "$(q i "h['xen_refusals']")" 1
  check "inject $k: refusal reason in the log" "$(grep -c "xen.refuse .*why=$why\$" "$tmp/i.log")" 1
  check "inject $k: audit clean" "$(q i "h['xen_audit_violations']")" 0
done
# exec pins the new image at activate_mm (Linux xen_activate_mm ->
# xen_pgd_pin), not when it creates it: the first process and each of
# forkexec's 20 children's execs has one exec.activate_mm, which pins an
# L4; the argument pages exec faulted in just before it (guest-kernel
# faults, bounced with U clear) were stored into plain tables: no
# validation, no pin, no remap of a table (xen_set_pmd stores directly into
# a table not pinned; __xen_set_pte's mmu_update on a writable page is not
# validated)
"$fl" run --mode xen-pv --log "$tmp/e.jsonl" --log-format jsonl -- "$g/forkexec.gcc" 20 >/dev/null 2>&1
python3 - "$tmp/e.jsonl" <<'PY' || fail=1
import json, sys
ev = sorted((json.loads(l) for l in open(sys.argv[1]) if '"step"' in l), key=lambda e: e["id"])   # opening order
top = [i for i in range(len(ev)) if ev[i]["depth"] == 0]
def subtree(i):
    j = i + 1
    while j < len(ev) and ev[j]["depth"] > ev[i]["depth"]: j += 1
    return ev[i + 1:j]
bad = 0
acts = [k for k, i in enumerate(top) if ev[i]["step"] == "exec.activate_mm"]
if len(acts) != 21: print(f"FAIL: exec.activate_mm {len(acts)} times, expected 21 (the first process and 20 execs)"); bad = 1
for k in acts:
    i = top[k]
    pins = [s for s in subtree(i) if s["step"] == "xen.pin" and s["fields"].get("level") == 4]
    if not pins: print(f"FAIL: exec.activate_mm of pid {ev[i]['pid']} pins no L4"); bad = 1
    n = 0
    while k - 1 - n >= 0 and ev[top[k - 1 - n]]["step"] == "fault" and ev[top[k - 1 - n]]["pid"] == ev[i]["pid"]:
        f = top[k - 1 - n]
        b = [s for s in subtree(f) if s["step"] == "xen.bounce"]
        if not b or " U" in b[0]["fields"].get("err", ""): break   # the program's own: before the exec
        steps = {s["step"] for s in subtree(f)}
        if steps & {"xen.validate", "xen.pin", "xen.update_va_mapping"}:
            print(f"FAIL: pid {ev[i]['pid']}: an argument-page fault before activate_mm made {sorted(steps & {'xen.validate', 'xen.pin', 'xen.update_va_mapping'})}"); bad = 1
        n += 1
    if not n: print(f"FAIL: pid {ev[i]['pid']}: no argument-page fault before exec.activate_mm"); bad = 1
if not bad: print(f"ok: 21 execs pinned at activate_mm, their argument pages stored unvalidated before")
sys.exit(bad)
PY
# Xen hides PSE from PV guests: no THP path even with guest.thp=always, no
# PS entry in any table (the audit would count it), CPUID shows no PSE
"$fl" run --mode xen-pv --set guest.thp=2 --stats "$tmp/t.json" -- "$g/thp.gcc" >/dev/null 2>&1
check "thp=always under xen-pv: no THP faults" "$(q t "d['page_faults']['by_kind']['thp']")" 0
check "thp=always under xen-pv: no 2M pages" "$(q t "d['page_faults']['thp_pages']")" 0
check "thp=always under xen-pv: audit clean" "$(q t "h['xen_audit_violations']")" 0
exit $fail
