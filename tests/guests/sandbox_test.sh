#!/bin/sh
# Sandbox test: faultline run --root DIR must keep the guest inside DIR.
# usage: sandbox_test.sh FAULTLINE SANDBOX_GUEST   (a static build of sandbox.c)
# Builds DIR with etc/passwd = "inside" plus hostile symlinks, runs the
# guest with openat2 and with the user-space resolver, and with
# --read-only; checks the fixed expected output, that no host file content
# (root:x:0:0..., or the decoy "OUTSIDE" one level above DIR) shows up,
# that the inside file is reachable through the absolute symlink, and
# that nothing was created outside DIR or changed under --read-only.
# Exit status 0 = pass.
set -u
fl=$1
guest=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/flsandbox.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
D=$T/root
mkdir -p "$D/etc" "$D/emptydir" "$T/etc"
printf 'inside\n' >"$D/etc/passwd"
printf 'OUTSIDE\n' >"$T/etc/passwd"          # decoy: one ".." above DIR
cp "$guest" "$D/sandbox" || exit 1
ln -s /etc/passwd "$D/abs_link"
ln -s ../../../../../../../etc/passwd "$D/rel_link"
ln -s ../../../.. "$D/up_link"
ln -s /etc "$D/abs_dir_link"
ln -s loop_link "$D/loop_link"

cat >"$T/expected" <<'END'
open /etc/passwd: ok inside
open ../../etc/passwd: ok inside
open /../../../../../../etc/passwd: ok inside
open etc/../../etc/passwd: ok inside
cwd after 30 x chdir(..): /
open etc/passwd: ok inside
open /abs_link: ok inside
open /rel_link: ok inside
open /up_link/etc/passwd: ok inside
open /abs_dir_link/passwd: ok inside
open /loop_link: ELOOP
readlink /abs_link: /etc/passwd
symlink /mylink -> /etc/passwd: ok
open /mylink: ok inside
symlink /myroot -> /: ok
open /myroot/../../etc/passwd: ok inside
openat(/etc fd, ../../../etc/passwd): ok inside
openat(/etc fd, /etc/passwd): ok inside
fchdir(/etc fd): ok
cwd: /etc
open ../../passwd: ENOENT
open ../etc/passwd: ok inside
stat /../../etc/passwd: ok
size 7
lstat /abs_link: ok
is link 1
stat /abs_link: ok
size 7
access /rel_link: ok
mkdir ../../escape_probe: ok
stat /escape_probe: ok
rmdir /escape_probe: ok
link /../etc/passwd -> /hard: ok
open /hard: ok inside
list /..: . .. abs_dir_link abs_link emptydir etc loop_link rel_link sandbox up_link
list /../etc: . .. passwd
open /proc/self/mem: read errno5
open /proc/self/pagemap: read EINVAL
open /proc/kcore: EACCES
open /proc/1/root/etc/passwd: INIT_ROOT
open /proc/999/status: ENOENT
readlink /proc/self/root: /
open /proc/self/root/etc/passwd: ok inside
open /proc/self/root/../../etc/passwd: ok inside
open /proc/self/cwd/etc/passwd: ok inside
readlink /proc/self/exe: /sandbox
readlink /proc/self/fd/N: /etc/passwd
open /proc/self/fd/<etc dir>/../../etc/passwd: ok inside
open /dev/fd/0: ENOENT
open /proc/self/fd/0/../../etc/passwd: ENOTDIR
END
# /proc/1 is the model's init, whose root is the guest's "/" (inside DIR);
# reaching it needs ptrace access: root's guest has it, another's EACCES
if [ "$(id -u)" = 0 ]; then init_root="ok inside"; else init_root=EACCES; fi
sed -i "s|: INIT_ROOT\$|: $init_root|" "$T/expected"

cat >"$T/expected_ro" <<'END'
open O_CREAT new: EROFS
open O_WRONLY existing: EROFS
open O_RDWR existing: EROFS
open O_TRUNC existing: EROFS
open O_RDONLY|O_CREAT existing: ok inside
open O_RDONLY: ok inside
unlink: EROFS
unlink missing: ENOENT
rename: EROFS
mkdir new: EROFS
mkdir existing: EEXIST
rmdir: EROFS
symlink: EROFS
link: EROFS
chmod: EROFS
truncate: EROFS
utimes: EROFS
access W_OK: EROFS
access R_OK: ok
stat still works: ok
size 7
END

fail=0
check_out() {   # $1 = label, $2 = expected file
  if grep -q 'root:x:0:0' "$T/out"; then echo "FAIL [$1]: host /etc/passwd content visible"; fail=1; fi
  if grep -q 'OUTSIDE' "$T/out"; then echo "FAIL [$1]: a file above DIR is visible"; fail=1; fi
  if ! cmp -s "$2" "$T/out"; then
    echo "FAIL [$1]: output differs from expected:"; diff "$2" "$T/out" | head -20; fail=1
  fi
  if [ -e "$T/escape_probe" ] || [ -e "$T/../escape_probe" ]; then
    echo "FAIL [$1]: a directory was created outside DIR"; fail=1
  fi
}

snapshot() { (cd "$D" && find . -printf '%p %y %s %m %l\n' | sort); }

for resolver in openat2 userspace; do
  if [ $resolver = userspace ]; then export FAULTLINE_NO_OPENAT2=1; fi
  "$fl" run --root "$D" -- /sandbox </dev/null >"$T/out" 2>"$T/err"
  rc=$?
  if [ $rc != 0 ]; then echo "FAIL [$resolver]: exit status $rc"; head -5 "$T/err"; fail=1; fi
  if ! grep -qx 'open /abs_link: ok inside' "$T/out"; then
    echo "FAIL [$resolver]: the inside file is not reachable through the absolute symlink"; fail=1
  fi
  check_out $resolver "$T/expected"
  before=$(snapshot)
  "$fl" run --root "$D" --read-only -- /sandbox ro </dev/null >"$T/out" 2>"$T/err"
  rc=$?
  if [ $rc != 0 ]; then echo "FAIL [$resolver read-only]: exit status $rc"; head -5 "$T/err"; fail=1; fi
  check_out "$resolver read-only" "$T/expected_ro"
  if [ "$before" != "$(snapshot)" ]; then echo "FAIL [$resolver read-only]: DIR changed"; fail=1; fi
  unset FAULTLINE_NO_OPENAT2
done
[ $fail = 0 ] && echo "ok: sandbox ($guest)"
exit $fail
