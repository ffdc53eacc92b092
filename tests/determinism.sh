#!/bin/sh
# Determinism as a tested promise (issue 20): the same command gives the
# same stats (but their config and exit blocks), for every guest of the
# suite, each in a directory of its own (a guest that leaves files finds
# what the first run found); and a sweep gives the same table whatever its
# -j.
#   determinism.sh FAULTLINE GUEST_BIN SOURCE_DIR [MODE]
set -u
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); g=$(cd "$2" && pwd); src=$(cd "$3" && pwd); mode=${4:-native}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0; n=0
for bin in "$g"/*.gcc; do
  name=$(basename "$bin")
  case $name in
    # their own tests: a root directory, the environment, host files,
    # limits; coremem makes a temporary directory in the host's /tmp, whose
    # name (and the tries to find a free one) depends on what /tmp holds
    sandbox.gcc|envx.gcc|fileio.gcc|forkbomb.gcc|sigdeath.gcc|coremem.gcc) continue ;;
  esac
  for i in 1 2; do
    mkdir -p "r$i.$name"
    (cd "r$i.$name" && exec "$fl" run --mode "$mode" --max-insns 50M --stats "../$i.$name.json" -- "$bin") >/dev/null 2>&1 </dev/null
  done
  n=$((n + 1))
  python3 "$src/tests/stats_same.py" "1.$name.json" "2.$name.json" >"$name.diff" ||
    { echo "FAIL: $name: two runs under $mode, different stats:"; head -5 "$name.diff"; fail=1; }
done
echo "$n guests, each run twice under $mode: $([ $fail = 0 ] && echo "the same stats" || echo "differences above")"
if [ "$mode" = native ]; then
  for j in 1 2; do
    "$fl" sweep --quiet -j $j --vary mode=native,hvm-shadow --vary tlb.l1d.entries=16,64 --metric cycles \
      --metric page_faults.guest --metric walks.refs --csv "j$j.csv" -- "$g/forkexec.gcc" 4 >/dev/null 2>&1 ||
      { echo "FAIL: the sweep with -j $j failed"; fail=1; }
  done
  cmp -s j1.csv j2.csv && echo "a sweep's table: the same with -j 1 and -j 2" || { echo "FAIL: sweep -j 1 and -j 2 differ"; diff j1.csv j2.csv; fail=1; }
fi
exit $fail
