#!/bin/sh
# COW fault counts after fork, faultline vs Linux: the child's writes to N
# shared pages take N copy-on-write faults; the parent's writes after the
# child exited take N write-upgrade faults (Linux reuses the page).
# usage: cowcount.sh FAULTLINE COWCOUNT_BINARY
set -u
fl=$1; g=$2; fail=0
for n in 10 500; do
  nat=$("$g" $n 2>&1 >/dev/null)
  sim=$("$fl" run -- "$g" $n 2>&1 >/dev/null)
  echo "N=$n linux: $(echo $nat) | faultline: $(echo $sim)"
  [ "$nat" = "$sim" ] || { echo "FAIL: counts differ"; fail=1; }
done
[ $fail = 0 ] && echo "ok: COW fault counts match Linux"
exit $fail
