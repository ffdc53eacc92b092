#!/bin/sh
# `faultline explain` (issue 17): its text in every mode, and --compare,
# equals the golden file byte for byte (the built-in program runs with a
# clean environment: the same faults everywhere); every kind its program
# takes can be explained in every mode; the narrated steps are the
# ladder's rows; bad input is one faultline: line, exit 125.
# usage: explain.sh FAULTLINE GOLDEN_DIR   (FL_UPDATE_GOLDEN=1 rewrites)
set -u
fl=$1; gold=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
golden() {   # golden NAME ARGS...
  name=$1; shift
  "$fl" explain "$@" >"$tmp/$name.txt" 2>"$tmp/err" || { bad "$name: explain $* failed: $(cat "$tmp/err")"; return; }
  if [ "${FL_UPDATE_GOLDEN:-0}" = 1 ]; then cp "$tmp/$name.txt" "$gold/explain.$name.txt"; echo "updated explain.$name.txt"
  elif cmp -s "$gold/explain.$name.txt" "$tmp/$name.txt"; then echo "ok: explain $*: equals explain.$name.txt"
  else bad "explain $*: differs from explain.$name.txt:"; diff "$gold/explain.$name.txt" "$tmp/$name.txt" | head -10; fi
  awk -v n="$name" 'length($0) > 100 { printf "FAIL: %s: a line of %d columns\n", n, length($0); bad = 1 } END { exit bad }' "$tmp/$name.txt" || fail=1
}
for m in native vkernel xen-pv hvm-shadow hvm-nested exokernel spin tornado; do golden "$m" --mode "$m"; done
golden hvm-nested-amd --mode hvm-nested --cpu amd
golden exokernel-xok-cow --mode exokernel --set exokernel.mmu=xok-pt --kind cow
golden compare-shadow-nested --mode hvm-shadow --compare hvm-nested
golden compare-native-exokernel-zero --mode native --compare exokernel --kind anon_zero_page
golden spin-16-cow --mode spin --set spin.extensions=16 --kind cow
golden compare-spin-tornado-file --mode spin --compare tornado --kind file
n=0; f0=$fail
for m in native vkernel xen-pv hvm-shadow hvm-nested exokernel spin tornado; do
  for k in anon_new anon_zero_page cow write_upgrade file; do
    n=$((n + 1))
    "$fl" explain --mode "$m" --kind "$k" >"$tmp/o" 2>"$tmp/e" || { bad "$m $k: $(cat "$tmp/e")"; continue; }
    # the narrated steps are the ladder's rows, in order
    python3 - "$tmp/o" "$m/$k" <<'PY' || fail=1
import re, sys
t = open(sys.argv[1]).read()
told = re.findall(r"^\s*\d+\. +(\S+) \[", t, re.M)
rows = [re.match(r"^[ |*<>-]+([a-z]\S*)", l) for l in t.split("\n") if re.match(r"^ [|*]", l)]
drawn = [m.group(1) for m in rows if m]
if told != drawn or not told:
    print(f"FAIL: {sys.argv[2]}: told {told}, drawn {drawn}"); sys.exit(1)
PY
  done
done
[ "$fail" = "$f0" ] && echo "ok: $n kinds x modes explained, the told steps the drawn ones"
for a in "" "--mode nosuch" "--mode native --kind segv_maperr" "--mode native --compare nosuch" \
         "--mode native --cpu arm" "--mode native extra" "--mode native --set nosuch.param=1"; do
  # shellcheck disable=SC2086
  "$fl" explain $a >"$tmp/o" 2>"$tmp/e"; st=$?
  if [ $st = 125 ] && [ "$(wc -l <"$tmp/e")" = 1 ] && grep -q '^faultline: ' "$tmp/e"; then echo "ok: explain $a: $(cat "$tmp/e")"
  else bad "explain $a: exit $st, $(cat "$tmp/e")"; fi
done
exit $fail
