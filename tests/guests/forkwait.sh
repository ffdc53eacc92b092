#!/bin/sh
# fork + _exit + waitpid as a whole operation (tests/guests/forkwait.c):
# under every mode the guest prints what it prints natively and takes the
# same guest-visible faults; its log shows each fork/exit/wait step once
# per round, in the order Linux runs them; and the modeled cycles of one
# round (the stats' region) and each mode's ratio to native are printed.
# usage: forkwait.sh FAULTLINE GUEST [N]   (a user can run it as is)
set -u
fl=$(realpath "$1"); g=$(realpath "$2"); n=${3:-5}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$g" "$n" >"$tmp/native.out" 2>&1 || { echo "FAIL: the guest fails natively"; exit 1; }
fail=0
for m in native xen-pv hvm-shadow hvm-nested; do
  "$fl" run --mode "$m" --stats "$tmp/$m.json" --log "$tmp/$m.jsonl" --log-format jsonl -- "$g" "$n" >"$tmp/$m.out" 2>&1 ||
    { echo "FAIL: $m: exit $?"; fail=1; continue; }
  cmp -s "$tmp/native.out" "$tmp/$m.out" || { echo "FAIL: $m: output differs"; diff "$tmp/native.out" "$tmp/$m.out" | head; fail=1; }
done
python3 - "$tmp" "$n" <<'PY' || fail=1
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
modes = ["native", "xen-pv", "hvm-shadow", "hvm-nested"]
# Linux's order: kernel_clone -> copy_process (dup_task_struct, the
# bookkeeping, copy_mm -> dup_mm: mm_alloc, dup_mmap: the VMAs,
# copy_page_range, arch_dup_mmap, flush_tlb_mm) -> wake_up_new_task; the
# parent's wait4 finds nothing and sleeps (a switch to the child); the
# child's do_exit: exit_mm -> exit_mmap (arch_exit_mmap, unmap_vmas,
# free_pgtables, tlb_finish_mmu), exit_files, exit_notify, the last
# switch; the parent's wait4 again: the zombie reaped
want = ["fork.dup_task", "fork.copy_process", "fork.mm_alloc", "fork.dup_mmap", "fork.copy_page_range",
        "fork.arch_dup_mmap", "fork.flush_tlb", "fork.wake_new",
        "wait.scan", "sched.switch", "sched.switch_mm",
        "exit.mm", "exit.arch_exit_mmap", "exit.unmap", "exit.free_pgtables", "exit.tlb_finish",
        "exit.files", "exit.notify", "sched.switch", "sched.switch_mm",
        "wait.scan", "wait.reap"]
ok, cyc, faults = True, {}, {}
for m in modes:
    steps = []
    for line in open(f"{tmp}/{m}.jsonl"):
        e = json.loads(line)
        if "step" in e: steps.append((e["id"], e["step"]))
    steps.sort()
    names = [s for _, s in steps if s in set(want)]
    starts = [i for i, s in enumerate(names) if s == "fork.dup_task"]
    rounds = 0
    for a, b in zip(starts, starts[1:] + [len(names)]):
        got = names[a:b]
        if got[:len(want)] != want:
            print(f"FAIL: {m}: a round's steps are\n  {got}\nnot\n  {want}"); ok = False; break
        rounds += 1
    if rounds != n + 1:
        print(f"FAIL: {m}: {rounds} rounds with every step, not {n + 1}"); ok = False
    s = json.load(open(f"{tmp}/{m}.json"))
    r = s["region"]
    cyc[m] = r["cycles"] // n
    pf = s["page_faults"]
    guest_kinds = {k: v for k, v in pf["by_kind"].items() if k in json.load(open(f"{tmp}/native.json"))["page_faults"]["by_kind"]}
    faults[m] = (pf["guest"], guest_kinds)
for m in modes[1:]:
    if faults[m] != faults["native"]:
        print(f"FAIL: {m}: guest-visible faults {faults[m]} differ from native's {faults['native']}"); ok = False
print(f"fork + _exit + waitpid, modeled cycles per round (default preset, {n} rounds): " +
      "; ".join(f"{m} {cyc[m]}" + ("" if m == "native" else f" ({cyc[m] / cyc['native']:.2f}x native)") for m in modes))
sys.exit(0 if ok else 1)
PY
[ $fail = 0 ] && echo "ok: forkwait steps, output and faults in every mode"
exit $fail
