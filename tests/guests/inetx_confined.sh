#!/bin/sh
# AF_INET and AF_INET6 stay among the run's guests (sim/sys_inet.c): a host
# listener on the loopback refuses the guest (ECONNREFUSED: no guest
# listens there), and any other address is unreachable (ENETUNREACH, as
# on a machine whose only interface is lo), however the host is routed.
# usage: inetx_confined.sh FAULTLINE INETX
set -u
fl=$1; g=$2
d=$(mktemp -d); trap 'rm -rf "$d"; [ -n "${p:-}" ] && kill $p 2>/dev/null' EXIT
python3 -c "
import socket,sys,time
s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()
open(sys.argv[1],'w').write(str(s.getsockname()[1])); time.sleep(30)" "$d/port" &
p=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$d/port" ] && break; sleep 0.2; done
port=$(cat "$d/port")
fail=0
check() {  # expected output, then the guest's arguments
  want=$1; shift
  got=$("$fl" run -- "$g" connect "$@")
  [ "$got" = "$want" ] && echo "ok: $got" || { echo "FAIL: $got (want: $want)"; fail=1; }
}
check "connect 127.0.0.1 $port: : -1 Connection refused" 127.0.0.1 "$port"
check "connect ::ffff:127.0.0.1 $port: : -1 Connection refused" ::ffff:127.0.0.1 "$port"
check "connect 192.0.2.1 80: : -1 Network is unreachable" 192.0.2.1 80
check "connect 2001:db8::1 80: : -1 Network is unreachable" 2001:db8::1 80
exit $fail
