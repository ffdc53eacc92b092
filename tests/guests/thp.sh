#!/bin/sh
# THP fault counts, faultline vs Linux (THP "madvise" on this host: check
# /sys/kernel/mm/transparent_hugepage/enabled; skipped when Linux differs).
# usage: thp.sh FAULTLINE THP_BINARY
set -u
fl=$1; g=$2; fail=0
mode=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
for arg in "" huge; do
  sim=$("$fl" run -- "$g" $arg 2>&1 >/dev/null)
  nat=$("$g" $arg 2>&1 >/dev/null)
  echo "madvise=${arg:-no}: linux '$nat' faultline '$sim'"
  if [ "$mode" = madvise ]; then
    [ "$nat" = "$sim" ] || { echo "FAIL: differs from Linux"; fail=1; }
  fi
done
exp4=$("$fl" run --set guest.thp=2 -- "$g" 2>&1 >/dev/null)
[ "$exp4" = "faults for 8 MiB: 4" ] || { echo "FAIL: thp=always gave '$exp4'"; fail=1; }
exp2048=$("$fl" run --set guest.thp=0 -- "$g" huge 2>&1 >/dev/null)
[ "$exp2048" = "faults for 8 MiB: 2048" ] || { echo "FAIL: thp=never gave '$exp2048'"; fail=1; }
[ $fail = 0 ] && echo "ok: THP fault counts"
exit $fail
