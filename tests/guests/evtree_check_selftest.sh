#!/bin/sh
# Self-test of evtree_check.py, the independent checker of faultline's jsonl
# event log.  The event tree is the single source of truth every view
# renders (text log, stats, traces), so its invariants are tested -- and the
# tester itself is tested here: a small hand-written valid log must pass,
# and one broken copy per rule must be rejected (exit 1) with a message that
# names that rule.  Needs only sh, sed and python3; no simulator.
# usage: evtree_check_selftest.sh   (KEEP=1 keeps the generated logs in $TMPDIR)
set -u
here=$(cd "$(dirname "$0")" && pwd)
check="python3 $here/evtree_check.py"
tmp=$(mktemp -d); trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
pass=0 fail=0

# row ID PARENT DEPTH FAULT CYCLE SELF TOTAL LAYER STEP SRC [VISIBLE KIND]
# prints one step's line; VISIBLE and KIND make it a fault root's.
row() {
  vis=""; fields="{\"va\": \"0x7fff0000\"}"
  if [ $# -gt 10 ]; then
    vis=", \"visible\": ${11}"; fields="{\"va\": \"0x7fff0000\", \"err\": \"np W U\", \"kind\": \"${12}\"}"
  fi
  printf '{"id": %s, "parent": %s, "depth": %s, "fault": %s, "pid": 1, "cpu": 0, "cycle": %s, "self": %s, "total": %s, "layer": "%s", "step": "%s", "src": "%s"%s, "fields": %s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "$vis" "$fields"
}

# The valid log, in closing order (children before parents):
#   1 fault #1 (hw, visible)                    100..173  self 3
#     2 exc.deliver (hw)                        100..110  self 10
#     3 pte.write (guest-kernel)                110..160  self 15
#       4 fault #2 (hw, hidden), nested         120..155  self 5
#         5 vm.exit (hypervisor)                125..155  self 30
#     6 kernel.exit (guest-kernel)              160..170  self 10
#   7 cr3.write (guest-kernel), outside faults  200..220  self 8
#     8 shadow.cr3 (hypervisor)                 205..217  self 12
#   9 fault #3 (hw, visible)                    300..309  self 2
#     10 cow.copy (guest-kernel)                301..308  self 7
# hw 20, guest-kernel 40, hypervisor 42 self cycles; top-level totals 102.
S=tests/guests/evtree_check.py
T=tests/guests/evtree_check_selftest.sh
{
  echo '{"schema": "faultline-events", "version": 1, "mode": "hvm-shadow", "cpu": "intel", "preset": "selftest"}'
  row 2  1    1 1    100 10 10 hw           exc.deliver  $S:1
  row 5  4    3 2    125 30 30 hypervisor   vm.exit      $S:2
  row 4  3    2 2    120 5  35 hw           fault        $S:3 false shadow
  row 3  1    1 1    110 15 50 guest-kernel pte.write    $T:1
  row 6  1    1 1    160 10 10 guest-kernel kernel.exit  $T:2
  row 1  null 0 1    100 3  73 hw           fault        $S:1 true anon_new
  row 8  7    1 null 205 12 12 hypervisor   shadow.cr3   $S:1
  row 7  null 0 null 200 8  20 guest-kernel cr3.write    $S:1
  row 10 9    1 3    301 7  7  guest-kernel cow.copy     $S:1
  row 9  null 0 3    300 2  9  hw           fault        $S:1 true cow
} >"$tmp/valid.jsonl"

# stats JSON of that run, shaped like faultline's (extra keys ignored)
stats() {  # stats TOTAL GUEST HIDDEN HYPERVISOR_SELF
  cat <<EOF
{"mode": "hvm-shadow", "cpu": "intel",
 "page_faults": {"guest": $2, "hidden": $3, "by_layer": {"guest-kernel": $2, "hypervisor": $3}},
 "fault_cycles": {"hw": 20, "hypervisor": $4, "guest-kernel": 40,
                  "by_step": {"fault": 10, "vm.exit": 30}, "total": $1}}
EOF
}
stats 102 2 1 42 >"$tmp/stats.json"

ok() {  # ok NAME LOG [ARGS...]: the checker accepts LOG
  name=$1 log=$2; shift 2
  if out=$($check "$log" "$@" 2>&1) && echo "$out" | grep -q '^ok:'; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $name: valid log rejected:"; echo "$out" | sed 's/^/    /'
  fi
}

bad() {  # bad RULE LOG [ARGS...]: the checker rejects LOG, naming RULE
  rule=$1 log=$2; shift 2
  out=$($check "$log" "$@" 2>&1); rc=$?
  if [ $rc -eq 1 ] && echo "$out" | grep -q "^FAIL $rule:"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $rule: exit $rc, expected 1 and a 'FAIL $rule:' line; got:"
    echo "$out" | sed 's/^/    /'
  fi
}

broken() {  # broken NAME SED-ARGS...: a copy of the valid log edited by sed
  name=$1; shift
  sed "$@" "$tmp/valid.jsonl" >"$tmp/$name.jsonl"
  if cmp -s "$tmp/valid.jsonl" "$tmp/$name.jsonl"; then
    echo "selftest bug: the edit for $name changes nothing" >&2; echo "$tmp/$name.unchanged"
  else
    echo "$tmp/$name.jsonl"
  fi
}

# --- valid logs ------------------------------------------------------------
ok valid "$tmp/valid.jsonl"
ok valid+stats "$tmp/valid.jsonl" --stats "$tmp/stats.json"
ok valid+nested "$tmp/valid.jsonl" --expect-nested hypervisor:guest-kernel --expect-nested hypervisor:hw
ok valid+src-root "$tmp/valid.jsonl" --src-root "$here/../.."
out=$($check "$tmp/valid.jsonl" --quiet 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: --quiet printed: $out"; fi
ok summary "$tmp/valid.jsonl"
$check "$tmp/valid.jsonl" | grep -q '^ok: 10 steps, 3 faults (2 visible, 1 hidden), max depth 3$' &&
  pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: summary line: $($check "$tmp/valid.jsonl")"; }
# header keys beyond the required ones, and a header-only log, are fine
{ head -1 "$tmp/valid.jsonl"; } >"$tmp/empty.jsonl"
ok header-only "$tmp/empty.jsonl"

# --- 1. header, JSON, keys, layer ------------------------------------------
bad header "$(broken header -e '1s/"version": 1/"version": 2/')"
bad header "$(broken schema -e '1s/faultline-events/faultline-stats/')"
bad json "$(broken json -e '/"id": 6,/s/}$//')"
bad keys "$(broken keys -e '/"id": 6,/s/"pid": 1, //')"
bad keys "$(broken keytype -e '/"id": 6,/s/"self": 10/"self": "10"/')"
bad layer "$(broken layer -e '/"id": 6,/s/guest-kernel/guest_kernel/')"

# --- 2. ids, parents, depth, closing order ---------------------------------
bad id-unique "$(broken dup-id -e '/"id": 8,/s/"id": 8,/"id": 6,/')"
bad parent-missing "$(broken parent-missing -e '/"id": 7,/d')"
bad parent-order "$(broken parent-order -e '/"id": 2,/s/"id": 2,/"id": 0,/')"
bad depth "$(broken depth -e '/"id": 10,/s/"depth": 1/"depth": 2/')"
bad depth "$(broken depth-top -e '/"id": 7,/s/"depth": 0/"depth": 1/')"
bad closing-order "$(broken child-after-parent -e '/"id": 2,/{h;d;}' -e '/"id": 1,/G')"

# --- 3. totals -------------------------------------------------------------
bad total "$(broken total -e '/"id": 1,/s/"total": 73/"total": 74/')"
# --- 4. child within parent ------------------------------------------------
bad containment "$(broken child-outside -e '/"id": 10,/s/"cycle": 301/"cycle": 299/')"
bad containment "$(broken child-past-end -e '/"id": 8,/s/"cycle": 205/"cycle": 209/')"
# --- 5. siblings -----------------------------------------------------------
bad overlap "$(broken overlap -e '/"id": 6,/s/"cycle": 160/"cycle": 159/')"
bad overlap "$(broken overlap-top -e '/"id": 9,/s/"cycle": 300/"cycle": 219/' -e '/"id": 10,/s/"cycle": 301/"cycle": 220/')"

# --- 6. fault numbering ----------------------------------------------------
bad fault-numbering "$(broken fault-gap -e '/"id": 9,/s/"fault": 3/"fault": 4/' -e '/"id": 10,/s/"fault": 3/"fault": 4/')"
bad fault-inherit "$(broken fault-inner -e '/"id": 5,/s/"fault": 2/"fault": 1/')"
bad fault-inherit "$(broken fault-outside -e '/"id": 8,/s/"fault": null/"fault": 1/')"
bad fault-root "$(broken fault-visible -e '/"id": 9,/s/"visible": true, //')"

# --- 7. src ----------------------------------------------------------------
bad src-line "$(broken src-eof -e '/"id": 5,/s/evtree_check.py:2/evtree_check.py:999999/')"
bad src-line "$(broken src-zero -e '/"id": 5,/s/evtree_check.py:2/evtree_check.py:0/')"
bad src-missing "$(broken src-missing -e '/"id": 8,/s/evtree_check.py:1/no_such_file.c:1/')"
bad src-format "$(broken src-format -e '/"id": 8,/s/evtree_check.py:1/evtree_check.py/')"

# --- 8. stats --------------------------------------------------------------
stats 103 2 1 42 >"$tmp/st-total.json"
bad stats-total "$tmp/valid.jsonl" --stats "$tmp/st-total.json"
stats 102 3 1 42 >"$tmp/st-visible.json"
bad stats-visible "$tmp/valid.jsonl" --stats "$tmp/st-visible.json"
stats 102 2 0 42 >"$tmp/st-hidden.json"
bad stats-hidden "$tmp/valid.jsonl" --stats "$tmp/st-hidden.json"
stats 102 2 1 41 >"$tmp/st-layer.json"
bad stats-layer "$tmp/valid.jsonl" --stats "$tmp/st-layer.json"

# --- 9. expected nesting ---------------------------------------------------
bad expect-nested "$tmp/valid.jsonl" --expect-nested guest-kernel:hypervisor

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
