#!/bin/sh
# Each mode page's ladder (docs/modes/*.md, and the README's, after a
# "<!-- ladder: show.NAME" line) is the golden ladder tests/guests/golden/show.NAME.txt, which
# guest.show checks against `faultline show` itself.
# usage: docs_ladders.sh REPO_ROOT
set -u
root=$1; fail=0; n=0
for page in "$root"/docs/modes/*.md "$root"/README.md; do
  for name in $(sed -n 's/^<!-- ladder: show\.\([a-z0-9-]*\) .*/\1/p' "$page"); do
    n=$((n + 1))
    got=$(awk -v m="<!-- ladder: show.$name " 'index($0, m) == 1 { on = 1; next } on && /^```$/ { if (++f == 2) exit; next } on && f == 1 { print }' "$page")
    if [ "$got" = "$(cat "$root/tests/guests/golden/show.$name.txt")" ]; then echo "ok: $(basename "$page"): show.$name"
    else echo "FAIL: $(basename "$page"): its ladder is not show.$name.txt (regenerate the block)"; fail=1; fi
  done
done
[ $n -gt 0 ] || { echo "FAIL: no ladder in docs/modes"; fail=1; }
exit $fail
