#!/bin/sh
# docs/tutorial.md shows what its commands print: each is run here as the
# tutorial says (from the repository root, a clean environment) and its
# output (or the lines the tutorial quotes from it) must be in the text.
# usage: docs_tutorial.sh REPO_ROOT BUILD_DIR
set -u
root=$(realpath "$1"); build=$(realpath "$2")
doc=$root/docs/tutorial.md
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
mkdir -p build/tools && ln -s "$build/tools/faultline" build/tools/faultline && ln -s "$build/guests" build/guests
fail=0
run() { env -i PATH=/usr/bin:/bin "$@"; }
quoted() {   # quoted WHAT FILE: every line of FILE (trailing blanks dropped) is in the tutorial, in order
  python3 - "$doc" "$2" "$1" <<'PY' || fail=1
import sys
doc = open(sys.argv[1]).read()
want = "\n".join(l.rstrip() for l in open(sys.argv[2]).read().strip("\n").split("\n"))
print(("ok: " if want in doc else "FAIL: ") + sys.argv[3] + ("" if want in doc else ": not in docs/tutorial.md:\n" + want))
sys.exit(0 if want in doc else 1)
PY
}
run build/tools/faultline show --kind anon_new -- build/guests/pagetouch.gcc 10 | sed -n '1,12p' >l1
quoted "the first ladder" l1
run build/tools/faultline explain --mode native | sed -n '4,6p' >e1
quoted "explain's first step" e1
run build/tools/faultline explain --mode hvm-shadow --compare hvm-nested --kind cow | tail -6 >e2
quoted "the compare table of explain" e2
run build/tools/faultline compare --modes native,hvm-shadow,hvm-nested -- build/guests/forkexec.gcc 20 | tail -4 >c1
quoted "the compare table" c1
run build/tools/faultline run --mode hvm-shadow --stats s.json -- build/guests/forkexec.gcc 20 >/dev/null
n=$(python3 -c "import json; print(json.load(open('s.json'))['page_faults']['by_kind']['shadow_emulate'])")
grep -q "shadow_emulate: $n\`" "$doc" && echo "ok: shadow_emulate $n" || { echo "FAIL: shadow_emulate is $n"; fail=1; }
run build/tools/faultline show --mode hvm-shadow --kind shadow_emulate -- build/guests/forkexec.gcc 20 | sed -n '1,9p' >l2
quoted "the shadow_emulate ladder" l2
run build/tools/faultline compare --modes hvm-shadow --set shadow.oos=1 -- build/guests/forkexec.gcc 20 | tail -1 >o1
h=$(awk '{print $7}' o1); t=$(awk '{printf "%.1f", $(NF-1) / 1e6}' o1)
hc=$(python3 -c "print(f'{$h:,}')")
grep -q "→ $hc," "$doc" && grep -q "→ $t M cycles" "$doc" &&
  echo "ok: shadow.oos=1: $h hidden faults, $t M cycles" || { echo "FAIL: shadow.oos=1 gives $h hidden, $t M cycles"; fail=1; }
exit $fail
