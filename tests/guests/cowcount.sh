#!/bin/sh
# COW fault counts after fork, faultline vs Linux: the child's writes to N
# shared pages take N copy-on-write faults; the parent's writes after the
# child exited take N write-upgrade faults (Linux reuses the page).
# faultline must count exactly N; Linux's count is N or, now and then, one
# or two more (a stack or libc page touched between the two getrusage calls).
# usage: cowcount.sh FAULTLINE COWCOUNT_BINARY
set -u
fl=$1; g=$2; fail=0
for n in 10 500; do
  nat=$("$g" $n 2>&1 >/dev/null | tr '\n' ' ')
  sim=$("$fl" run -- "$g" $n 2>&1 >/dev/null | tr '\n' ' ')
  echo "N=$n linux: $nat| faultline: $sim"
  set -- $sim
  [ "$4" = "$n" ] && [ "$8" = "$n" ] || { echo "FAIL: faultline did not count $n and $n"; fail=1; }
  set -- $nat
  [ "$4" -ge "$n" ] && [ "$4" -le $((n + 2)) ] && [ "$8" -ge "$n" ] && [ "$8" -le $((n + 2)) ] ||
    { echo "FAIL: Linux counted $4 and $8, expected about $n"; fail=1; }
done
[ $fail = 0 ] && echo "ok: COW fault counts match Linux"
exit $fail
