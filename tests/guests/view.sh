#!/bin/sh
# The SDL2 live view, headless (issue 17): `run --view-record` writes a
# frame every --view-every instructions and the last state; the same run
# writes the same frames byte for byte; the last running frame's TLB heat maps
# and fault timeline equal the golden frame's pixel for pixel (view_check.py;
# text is left out: it depends on the font packages); --view without a
# display is one faultline: line.  Skipped with one line without SDL2.
# usage: view.sh FAULTLINE GOLDEN_DIR GUEST_DIR   (FL_UPDATE_GOLDEN=1 rewrites)
set -u
fl=$(realpath "$1"); gold=$(realpath "$2"); g=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
cp "$g/pagetouch.gcc" pt
fail=0
run() { env -i PATH=/usr/bin:/bin SDL_VIDEODRIVER=offscreen "$fl" run --mode hvm-nested --view-record "$1" --view-every 4000 -- ./pt 300 >/dev/null 2>"$1.err"; }
if ! run a; then
  if grep -q "without SDL2" a.err; then echo "skip: faultline built without SDL2 (libsdl2-dev, libsdl2-ttf-dev)"; exit 0; fi
  echo "FAIL: run --view-record: $(cat a.err)"; exit 1
fi
run b || { echo "FAIL: the second run: $(cat b.err)"; exit 1; }
n=$(ls a | wc -l)
insns=$(env -i PATH=/usr/bin:/bin "$fl" run --mode hvm-nested --stats s.json -- ./pt 300 >/dev/null 2>&1; python3 -c "import json; print(json.load(open('s.json'))['instructions'])")
want=$(( (insns + 3999) / 4000 ))
[ "$n" -ge "$want" ] && [ "$n" -le $((want + 1)) ] && echo "ok: $n frames for $insns instructions at one per 4000 (and the last state)" ||
  { echo "FAIL: $n frames for $insns instructions"; fail=1; }
diff -r a b >/dev/null && echo "ok: the same run, the same frames byte for byte" || { echo "FAIL: two runs drew different frames"; fail=1; }
# the last frame drawn while the guest runs (the final state comes after
# its exit, when the address space's flush has left only global entries)
last=$(ls a | tail -2 | head -1)
if [ "${FL_UPDATE_GOLDEN:-0}" = 1 ]; then cp "a/$last" "$gold/view.final.png"; echo "updated view.final.png"
else python3 "$here/view_check.py" "a/$last" "$gold/view.final.png" || fail=1; fi
# --cpus 2: the same frames twice, and the timeline's row of each vCPU has
# its faults' bars (lit pixels in both halves of the timeline)
cp "$g/threadsx.gcc" th
for d in s1 s2; do
  env -i PATH=/usr/bin:/bin SDL_VIDEODRIVER=offscreen "$fl" run --cpus 2 --view-record $d --view-every 20000 -- ./th >/dev/null 2>"$d.err" ||
    { echo "FAIL: --cpus 2 --view-record: $(cat $d.err)"; fail=1; }
done
diff -r s1 s2 >/dev/null && echo "ok: --cpus 2: the same frames byte for byte" || { echo "FAIL: --cpus 2: two runs drew different frames"; fail=1; }
python3 - "s1/$(ls s1 | tail -1)" "$here/view_check.py" <<'PY' || fail=1
import sys, importlib.util
spec = importlib.util.spec_from_file_location("vc", sys.argv[2])
src = open(sys.argv[2]).read().split("# the regions without text")[0]   # its PNG reader only
ns = {}; exec(src, ns)
w, h, rows = ns["read_png"](sys.argv[1])
def lit(y0, y1):
    return sum(1 for r in range(y0, y1) for c in range(12, 1300) if max(rows[r][3 * c:3 * c + 3]) > 60)
a, b = lit(470, 595), lit(595, 720)
print(("ok" if a and b else "FAIL") + f": --cpus 2: the timeline's rows have {a} and {b} lit pixels (vCPU 0, vCPU 1)")
sys.exit(0 if a and b else 1)
PY
env -i PATH=/usr/bin:/bin "$fl" run --view -- ./pt 3 >o 2>e; st=$?
[ $st = 125 ] && [ "$(wc -l <e)" = 1 ] && grep -q "^faultline: --view needs a display" e && echo "ok: $(cat e)" || { echo "FAIL: --view without a display: exit $st, $(cat e)"; fail=1; }
"$fl" run --view-record /nonexistent/x/y -- ./pt 3 >o 2>e; st=$?
[ $st = 125 ] && grep -q "^faultline: --view-record" e && echo "ok: $(cat e)" || { echo "FAIL: an unwritable --view-record: exit $st"; fail=1; }
exit $fail
