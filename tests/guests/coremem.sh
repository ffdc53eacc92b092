#!/bin/sh
# Core dumps under faultline only (they change what Linux would change for
# the whole host): kernel.core_pattern's specifiers, core_uses_pid, pipe
# and socket patterns, the pattern's checks; the core file inside --root
# and none under --read-only.  usage: coremem.sh FAULTLINE COREMEM_GCC
# (the static glibc build: its name appears in the expected core names)
set -u
fl=$1; g=$(realpath "$2")
T=$(mktemp -d "${TMPDIR:-/tmp}/flcore.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail=0
cp "$g" "$T/coremem.gcc"
cat >"$T/expected" <<'END'
core_pattern: core
pattern with %e %s %u %g %c %% %h %d %C and an unknown %Z: 37
  WCOREDUMP 1, core file core.coremem.gcc.1001.11.0.0.18446744073709551615.%.faultline.1.0.: 1
a trailing %: 8
  WCOREDUMP 1, core file core-1002: 1
%f and %E: the binary, '/' as '!': 4
  WCOREDUMP 1, core file c.coremem.gcc: 1
%P %i %I: 10
  WCOREDUMP 1, core file c.1004.1004.1004: 1
%E: 4
  WCOREDUMP 1, core file named by the binary's path: 1
core_uses_pid 1: 2
core with core_uses_pid: 4
  WCOREDUMP 1, core file core.1006: 1
%p with core_uses_pid: no suffix: 3
  WCOREDUMP 1, core file c1007: 1
core_uses_pid bogus: -1 EINVAL
core_uses_pid 0: 1
a pipe: 9
  WCOREDUMP 0
a socket: 15
  WCOREDUMP 0
a relative socket: -1 EINVAL
a socket path with ..: -1 EINVAL
a 199-byte pattern: 199
  read back 128 bytes
restored: 5
END
# the guest runs as root in the model only when faultline does
if [ "$(id -u)" = 0 ]; then
  (cd "$T" && "$fl" run -- ./coremem.gcc pattern >"$T/out" 2>"$T/err")
  if ! cmp -s "$T/expected" "$T/out"; then echo "FAIL: core_pattern"; diff "$T/expected" "$T/out"; fail=1; fi
  left=$(ls "$T" | tr '\n' ' ')
  [ "$left" = "coremem.gcc err expected out " ] || { echo "FAIL: files left: $left"; fail=1; }
else
  echo "skipped: core_pattern (faultline does not run as root)"
fi
mkdir "$T/root"
cp "$g" "$T/root/coremem"
(cd "$T" && "$fl" run --root "$T/root" -- /coremem crash >"$T/out" 2>"$T/err")
if [ "$(cat "$T/out")" != "WCOREDUMP 1, core file 1" ] || [ ! -f "$T/root/core" ] || [ -e "$T/core" ]; then
  echo "FAIL: --root: $(cat "$T/out")"; ls -l "$T" "$T/root"; fail=1
fi
rm -f "$T/root/core"
(cd "$T" && "$fl" run --root "$T/root" --read-only -- /coremem crash >"$T/out" 2>"$T/err")
if [ "$(cat "$T/out")" != "WCOREDUMP 0, core file 0" ] || [ -e "$T/root/core" ]; then
  echo "FAIL: --read-only: $(cat "$T/out")"; fail=1
fi
[ $fail = 0 ] && echo "ok: core dumps under faultline (core_pattern, --root, --read-only)"
exit $fail
