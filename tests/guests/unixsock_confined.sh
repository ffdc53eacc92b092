#!/bin/sh
# AF_UNIX naming stays the guest's (sim/sys_unix.c): a socket of the host
# (one no guest of the run bound) refuses the connection, and --read-only
# refuses to create a socket file.  usage: unixsock_confined.sh FAULTLINE UNIXSOCK
set -u
fl=$1; g=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
python3 -c "import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(30)" "$d/host.sock" &
p=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S "$d/host.sock" ] && break; sleep 0.2; done
a=$("$fl" run -- "$g" connect "$d/host.sock")
b=$("$fl" run --read-only -- "$g" bind "$d/new.sock")
kill $p 2>/dev/null
fail=0
[ "$a" = "connect $d/host.sock: -1 Connection refused" ] && echo "ok: a host socket: $a" || { echo "FAIL: a host socket: $a"; fail=1; }
[ "$b" = "bind $d/new.sock: -1 Read-only file system" ] && [ ! -e "$d/new.sock" ] && echo "ok: --read-only: $b" || { echo "FAIL: --read-only: $b"; fail=1; }
exit $fail
