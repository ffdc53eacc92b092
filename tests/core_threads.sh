#!/bin/sh
# A threaded process's core (issue 19): every thread's NT_PRSTATUS and
# register sets, the crashing thread's first with the process-wide notes
# after it (fs/binfmt_elf.c write_note_info), read by our own parser and by
# gdb (an independent reader: it must list both threads and put the
# crashing one in the function that crashed).
# usage: core_threads.sh FAULTLINE THREADSX_GCC [faultline options...]
set -u
fl=$(realpath "$1"); g=$(realpath "$2"); shift 2
T=$(mktemp -d "${TMPDIR:-/tmp}/flcoreth.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T"
"$fl" run "$@" -- "$g" segvcore > out 2> err
rc=$?
[ "$rc" = 139 ] || { echo "FAIL: exit $rc, not 139"; cat err; exit 1; }
[ -f core ] || { echo "FAIL: no core file"; ls -l; exit 1; }
python3 - core <<'PY' || exit 1
import struct, sys
d = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", d, 32)
phnum, = struct.unpack_from("<H", d, 56)
notes = []
for i in range(phnum):
    ptype, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", d, phoff + 56 * i)
    if ptype != 4: continue
    p = off
    while p < off + filesz:
        nsz, dsz, typ = struct.unpack_from("<III", d, p)
        p += 12 + ((nsz + 3) & ~3)
        notes.append((typ, d[p:p + dsz]))
        p += (dsz + 3) & ~3
types = [t for t, _ in notes]
PRSTATUS, PRPSINFO, SIGINFO, AUXV, FILE, FPREG, XSTATE = 1, 3, 0x53494749, 6, 0x46494c45, 2, 0x202
want = [PRSTATUS, PRPSINFO, SIGINFO, AUXV, FILE, FPREG, XSTATE, PRSTATUS, FPREG, XSTATE]
assert types == want, f"note order {[hex(t) for t in types]}"
st = [desc for t, desc in notes if t == PRSTATUS]
# elf_prstatus: si_signo @0, pr_cursig @12 (short), pr_pid @32, pr_reg @112 (orig_rax is word 15, rip 16)
sig = [struct.unpack_from("<h", s, 12)[0] for s in st]
pids = [struct.unpack_from("<i", s, 32)[0] for s in st]
assert sig == [11, 11], f"cursig {sig}"
assert pids[0] != pids[1] and min(pids) == 1000, f"thread ids {pids}: the crashing thread first, then the leader 1000"
assert pids[1] == 1000, f"the second PRSTATUS is the main thread's, not {pids[1]}"
orig = struct.unpack_from("<q", st[1], 112 + 15 * 8)[0]
assert orig == 34, f"the main thread waits in pause (34), orig_rax {orig}"
print(f"ok: notes {len(notes)} in Linux's order, threads {pids}, cursig {sig}, main thread in pause")
PY
if command -v gdb >/dev/null 2>&1; then
  gdb -batch -nx -ex "info threads" -ex "bt 1" "$g" core > gdb.out 2>&1
  n=$(grep -cE '^\*? +[0-9]+ +(Thread|LWP|process)' gdb.out)
  [ "$n" = 2 ] || { echo "FAIL: gdb sees $n threads"; cat gdb.out; exit 1; }
  grep -q 'crasher' gdb.out || { echo "FAIL: gdb does not put the crashing thread in crasher()"; cat gdb.out; exit 1; }
  echo "ok: gdb lists 2 threads, the current one in crasher()"
else
  echo "skipped: gdb is not installed (tests/deps.txt lists it)"
fi
