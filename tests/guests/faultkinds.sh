#!/bin/sh
# Event-log tests for each native fault kind: a block with the expected
# steps exists for each, and every block's steps add up to its total
# (logcheck.sh checks the sums and the agreement with the stats).
# usage: faultkinds.sh FAULTLINE FAULTKINDS_BINARY
set -u
fl=$1; g=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$fl" run --log "$tmp/log" -- "$g" >/dev/null || { echo "FAIL: guest failed"; exit 1; }
# one line per fault: the step names of its block, space separated
awk '/^fault /{ if (s) print s; s = "" ; next } { s = s " " $2 } END { if (s) print s }' "$tmp/log" > "$tmp/blocks"
fail=0
expect() {  # name, then the steps that must appear in order within one block
  name=$1; shift
  pat=$(printf ' %s.*' "$@")
  if grep -q -- "$pat" "$tmp/blocks"; then echo "ok: $name"
  else echo "FAIL: no fault block with steps: $*"; fail=1; fi
}
expect "zero page (read)" exc.deliver kernel.entry vma.lookup zero_page.map pte.write kernel.exit
expect "write after zero page (copy)" vma.lookup frame.alloc cow.copy pte.write tlb.invalidate kernel.exit
expect "zero-fill" vma.lookup frame.alloc frame.zero pte.write kernel.exit
expect "file-backed with fault-around" vma.lookup pagecache.lookup pte.write fault.around kernel.exit
expect "stack growth" vma.lookup stack.grow frame.alloc frame.zero pte.write
expect "protection fault -> SIGSEGV" vma.lookup signal.segv
"$(dirname "$0")/logcheck.sh" "$fl" "$g" || fail=1
exit $fail
