#!/bin/sh
# faultline reproduce's command line: bad input gets one faultline: line and
# 125; --list names every paper; a missing experiments program is said.
# usage: reproduce_cli.sh FAULTLINE
set -u
fl=$1
fail=0
expect() {   # expect STATUS PATTERN -- ARGS...
  want=$1 pat=$2; shift 3
  out=$("$@" 2>&1); st=$?
  if [ "$st" != "$want" ] || ! printf '%s\n' "$out" | grep -q -- "$pat"; then
    echo "FAIL: $* -> status $st (want $want), output: $out"; fail=1
  else echo "ok: $* -> $st"; fi
}
expect 125 "faultline: no paper named 'nosuch'" -- "$fl" reproduce nosuch
expect 125 "usage: faultline reproduce" -- "$fl" reproduce --bogus
expect 125 "faultline: reproduce takes one NAME" -- "$fl" reproduce all xen-sosp03
expect 125 "faultline: -j takes a count" -- "$fl" reproduce -j 0
expect 125 "faultline: FAULTLINE_EXPERIMENTS names /nonexistent" -- env FAULTLINE_EXPERIMENTS=/nonexistent "$fl" reproduce xen-sosp03
expect 0 "xen-sosp03" -- "$fl" reproduce --list
expect 0 "bh.walk2d" -- "$fl" reproduce --list bhargava08
# the usage error prints the usage once, on stderr, and nothing else
n=$("$fl" reproduce --bogus 2>&1 >/dev/null | grep -c '^usage:')
[ "$n" = 1 ] || { echo "FAIL: usage printed $n times"; fail=1; }
exit $fail
