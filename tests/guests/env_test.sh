#!/bin/sh
# -E / -U / --clean-env and argument passing.  usage: env_test.sh FAULTLINE ENVX
set -u
fl=$1; g=$2; fail=0
out=$("$fl" run --clean-env -E A=1 -E B=two -- "$g" x "y z")
exp=$(printf 'arg x\narg y z\nenv A=1\nenv B=two')
[ "$out" = "$exp" ] || { echo "FAIL clean-env: got:"; echo "$out"; fail=1; }
out=$(FOO=bar BAZ=q "$fl" run -U FOO -E NEW=v -- "$g" | grep -E '^env (FOO|BAZ|NEW)=' | sort)
exp=$(printf 'env BAZ=q\nenv NEW=v')
[ "$out" = "$exp" ] || { echo "FAIL -U/-E: got:"; echo "$out"; fail=1; }
out=$("$fl" run --clean-env -E A=1 -E A=2 -- "$g")
[ "$out" = "env A=2" ] || { echo "FAIL override: $out"; fail=1; }
[ $fail = 0 ] && echo "ok: environment options"
exit $fail
