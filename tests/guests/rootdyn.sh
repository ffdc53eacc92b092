#!/bin/sh
# A dynamically linked binary under --root: its interpreter's absolute
# symlink (/lib64/ld-linux-x86-64.so.2) and its libraries resolve inside
# the root, never on the host.  usage: rootdyn.sh FAULTLINE
set -u
fl=$1
r=$(mktemp -d); trap 'rm -rf "$r"' EXIT
ld=$(readlink -f /lib64/ld-linux-x86-64.so.2)
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
mkdir -p "$r/bin" "$r/lib/x86_64-linux-gnu" "$r/lib64"
cp /bin/echo "$r/bin/" && cp "$libc" "$r/lib/x86_64-linux-gnu/libc.so.6" &&
  cp "$ld" "$r/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" || { echo "skip: cannot build the root"; exit 0; }
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/lib64/ld-linux-x86-64.so.2"
out=$("$fl" run --root "$r" -- /bin/echo inside 2>&1)
[ "$out" = inside ] || { echo "FAIL: $out"; exit 1; }
mv "$r/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$r/lib/x86_64-linux-gnu/moved"
"$fl" run --root "$r" -- /bin/echo inside >/dev/null 2>&1
[ $? = 125 ] || { echo "FAIL: the interpreter was found outside the root"; exit 1; }
echo "ok: ld.so and libc resolved inside --root"
