#!/bin/sh
# Regenerates the syscall table of docs/syscalls.md: strace -f -c of every
# guest binary in DIR, natively.  usage: strace_list.sh DIR
set -eu
dir=$1; out=$(mktemp -d)
for g in "$dir"/*; do
  strace -f -c -o "$out/$(basename "$g")" "$g" "$out/tmpdir" >/dev/null 2>&1 || true
  rm -rf "$out/tmpdir"
done
cat "$out"/* | awk '$NF ~ /^[a-z_0-9]+$/ && $NF != "syscall" && $NF != "total" {print $NF}' |
  sort | uniq -c | sort -rn | awk '{printf "| %s | %s |\n", $2, $1}'
rm -rf "$out"
