#!/bin/sh
# Fault-count fidelity: the page-touch guest touching N pages must show
# exactly N more guest faults in --stats and in its own getrusage delta,
# and Linux's minor-fault delta for the same binary is compared.
# usage: faultcount.sh FAULTLINE PAGETOUCH_BINARY
set -u
fl=$1; g=$2
tmp=${TMPDIR:-/tmp}/flfc.$$
mkdir -p "$tmp"; trap 'rm -rf "$tmp"' EXIT
fail=0
for n in 100 1000 5000; do
  native=$("$g" $n 2>&1 >/dev/null | sed -n 's/minflt_delta //p')
  "$fl" run --stats "$tmp/a.json" -- "$g" $n >/dev/null 2>"$tmp/a.err" || { echo "FAIL: run"; fail=1; }
  "$fl" run --stats "$tmp/b.json" -- "$g" $((2 * n)) >/dev/null 2>"$tmp/b.err"
  guest=$(sed -n 's/minflt_delta //p' "$tmp/a.err")
  fa=$(grep -m1 '"guest"' "$tmp/a.json" | tr -dc 0-9)
  fb=$(grep -m1 '"guest"' "$tmp/b.json" | tr -dc 0-9)
  extra=$((fb - fa))
  echo "N=$n: linux minflt delta=$native, guest getrusage delta=$guest, stats faults(2N)-faults(N)=$extra"
  [ "$guest" = "$n" ] || { echo "FAIL: guest-visible delta $guest != $n"; fail=1; }
  # the extra N pages cost N faults, plus page-table pages' worth of nothing
  [ "$extra" = "$n" ] || { echo "FAIL: stats delta $extra != $n"; fail=1; }
  # Linux counts N, now and then one or two more (a stack or libc page)
  [ "$native" -ge "$n" ] && [ "$native" -le $((n + 2)) ] ||
    { echo "FAIL: Linux counted $native, faultline $guest"; fail=1; }
done
[ $fail = 0 ] && echo "ok: fault counts match Linux"
exit $fail
