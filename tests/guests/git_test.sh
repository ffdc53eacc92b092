#!/bin/sh
# git init / config / add / commit / log under faultline print what they
# print natively (issue 13: git's config rewrite reads its file through a
# mapping; a page cache that lost writes broke it).  Fixed identity and
# dates, so the commit ids match.  Skips when git is absent.
# usage: git_test.sh FAULTLINE
set -u
fl=$(realpath "$1")
command -v git >/dev/null || { echo "skip: no git"; exit 0; }
git=$(command -v git)
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent
script() {  # run each git command with $1 as the runner ("" = natively)
  r=$1
  $r "$git" init -q -b main . && $r "$git" config user.name t && $r "$git" config core.autocrlf false &&
  echo hello > a.txt && $r "$git" add a.txt && $r "$git" commit -q -m first &&
  echo more >> a.txt && echo b > b.txt && $r "$git" add -A && $r "$git" commit -q -m second &&
  $r "$git" log --format='%H %s' && $r "$git" status --short && $r "$git" config --list --local | sort &&
  $r "$git" cat-file -p HEAD:a.txt
}
n=$(mktemp -d); f=$(mktemp -d); trap 'rm -rf "$n" "$f"' EXIT
(cd "$n" && script "") > "$n.out" 2>&1; nrc=$?
(cd "$f" && script "$fl run --") > "$f.out" 2>&1; frc=$?
if [ $nrc = 0 ] && [ $frc = 0 ] && cmp -s "$n.out" "$f.out"; then
  echo "ok: git under faultline printed what it prints natively ($(wc -l < "$n.out") lines)"; rm -f "$n.out" "$f.out"; exit 0
fi
echo "FAIL: git native exit $nrc, faultline exit $frc"; diff "$n.out" "$f.out" | head -20; rm -f "$n.out" "$f.out"; exit 1
