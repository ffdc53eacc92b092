#!/bin/sh
# --log-format and --log-filter: bad values are refused (one faultline:
# line, exit 125); each filter keeps exactly what it names, checked
# against the unfiltered log of the same (deterministic) run.
# usage: logfilter.sh FAULTLINE GUEST_DIR
set -u
fl=$1; g=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
for a in "--log-format xml" "--log-filter kind=bogus" "--log-filter fault=0" "--log-filter layer=kernel" "--log-filter color=red"; do
  # shellcheck disable=SC2086
  "$fl" run --log "$tmp/x" $a -- "$g/pagetouch.gcc" 10 >/dev/null 2>"$tmp/err"; rc=$?
  if [ $rc = 125 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q '^faultline: ' "$tmp/err"; then ok "refused: $a"
  else bad "$a: exit $rc, stderr: $(cat "$tmp/err")"; fi
done
run() { "$fl" run --clean-env --mode "$1" --log "$tmp/$2" --log-format jsonl ${3:+--log-filter "$3"} -- "$g/$4" >/dev/null 2>&1; }
py() { PYTHONPATH="$(dirname "$0")" python3 - "$@"; }
run native all.jsonl "" cowcount.gcc
run native cow.jsonl "kind=cow" cowcount.gcc
py "$tmp/all.jsonl" "$tmp/cow.jsonl" <<'PY' && ok "kind=cow keeps exactly the trees with a COW fault" || bad "kind=cow"
import json, sys
from evlog_trees import trees
want = [t for t in trees(sys.argv[1]) if any(e["step"] == "fault" and e["fields"]["kind"] == "cow" for e in t)]
got = trees(sys.argv[2])
sys.exit(0 if want == got and len(got) > 0 else 1)
PY
run native five.jsonl "fault=5-7,layer=guest-kernel" cowcount.gcc
py "$tmp/all.jsonl" "$tmp/five.jsonl" <<'PY' && ok "fault=5-7,layer=guest-kernel keeps those faults' guest-kernel steps" || bad "fault=5-7,layer=guest-kernel"
import json, sys
rows = lambda p: [json.loads(l) for i, l in enumerate(open(p)) if i]
want = [e for e in rows(sys.argv[1]) if e["fault"] in (5, 6, 7) and e["layer"] == "guest-kernel"]
got = rows(sys.argv[2])
sys.exit(0 if want == got and got else 1)
PY
run hvm-shadow sh.jsonl "" pagetouch.gcc
va=$(python3 -c "import json,sys; r=[json.loads(l) for i,l in enumerate(open('$tmp/sh.jsonl')) if i]; print([e for e in r if e['fault']==40 and e['step']=='fault'][0]['fields']['va'])")
run hvm-shadow va.jsonl "va=$va" pagetouch.gcc
py "$tmp/va.jsonl" "$va" "$tmp/sh.jsonl" <<'PY' && ok "va=$va keeps exactly the trees with a fault there" || bad "va=$va"
import json, sys
from evlog_trees import trees
has = lambda t: any(e["step"] == "fault" and e["fields"]["va"] == sys.argv[2] for e in t)
want = [t for t in trees(sys.argv[3]) if has(t)]
got = trees(sys.argv[1])
sys.exit(0 if got and got == want else 1)
PY
run native pid.jsonl "pid=1001" procs.gcc
py "$tmp/pid.jsonl" <<'PY' && ok "pid=1001 keeps that process's trees" || bad "pid=1001"
import json, sys
r = [json.loads(l) for i, l in enumerate(open(sys.argv[1])) if i]
sys.exit(0 if r and all(e["pid"] == 1001 for e in r if e["depth"] == 0) else 1)
PY
"$fl" run --log "$tmp/t.txt" --log-filter kind=cow -- "$g/cowcount.gcc" >/dev/null 2>&1
if grep -q '^fault ' "$tmp/t.txt" && ! grep '^fault ' "$tmp/t.txt" | grep -vq 'kind=cow'; then ok "text log: kind=cow headers only"
else bad "text log filter"; fi
exit $fail
