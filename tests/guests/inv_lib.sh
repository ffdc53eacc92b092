# Shared by the *_invariants.sh scripts (sourced): run faultline with stats
# into $tmp, query the stats JSON, compare.  Needs $fl and $tmp; sets $fail.
fail=0
# run NAME ARGS... : faultline run --stats $tmp/NAME.json ARGS (fails the script if faultline fails)
run() {
  name=$1; shift
  "$fl" run --stats "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || {
    echo "FAIL: faultline run $* exited $?"; head -3 "$tmp/$name.err"; exit 1; }
}
# q NAME EXPR : a Python expression over d (the stats) and h (d['hv'])
q() { python3 -c "import json; d=json.load(open('$tmp/$1.json')); h=d['hv']; print($2)"; }
# check DESCRIPTION ACTUAL EXPECTED
check() { if [ "$2" = "$3" ]; then echo "ok: $1 ($2)"; else echo "FAIL: $1: got $2, expected $3"; fail=1; fi; }
