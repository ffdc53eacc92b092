#!/bin/sh
# Real programs: busybox applets and `sh -c` pipelines (fork, exec, pipes,
# redirections, cd), and dynamically linked Debian binaries from the host
# file system.  Every output byte and exit status must equal native.
# usage: shell_test.sh FAULTLINE
set -u
fl=$(realpath "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
printf 'pear\napple\nfig\n' > fruit.txt
fail=0; n=0
check() {
  n=$((n + 1))
  nat=$(sh -c "$1" 2>&1; echo "rc=$?")
  sim=$("$fl" run -- sh -c "$1" 2>&1; echo "rc=$?")
  if [ "$nat" = "$sim" ]; then echo "ok: $1"
  else echo "FAIL: $1"; echo "--- native:"; echo "$nat" | head -5; echo "--- faultline:"; echo "$sim" | head -5; fail=1; fi
}
bb=$(command -v busybox || true)
if [ -n "$bb" ]; then
  check "busybox sh -c 'echo abc | busybox tr a-c x-z | busybox wc -c'"
  check "busybox sh -c 'for i in 3 1 2; do echo \$i; done | busybox sort | busybox head -2 | busybox tail -1'"
  check "busybox sh -c 'cd /tmp && busybox pwd'"
  check "busybox sh -c 'echo redirected > out.txt; busybox cat < out.txt; busybox rm out.txt'"
  check "busybox sh -c 'false || echo recovered; exit 3'"
  check "busybox sort fruit.txt"
  check "busybox sha256sum fruit.txt"
  check "busybox sh -c 'x=\$(busybox echo sub); echo \"got \$x\"'"
  check "busybox awk '{ print length(\$0) }' fruit.txt"
  check "busybox sed -n 2p fruit.txt"
fi
# dynamically linked Debian binaries (ld.so from the host)
check "ls -1 /etc/ssl | head -3"
check "sort -r fruit.txt"
check "wc -l < fruit.txt"
check "md5sum fruit.txt"
check "cat fruit.txt | tr a-z A-Z"
check "seq 5 | paste -sd+"
check "date -u -d @86400 +%F"
check "head -c 100 /etc/services | od -c | tail -2"
check "grep -c an fruit.txt"
check "expr 6 \\* 7"
echo "$n checks"
exit $fail
