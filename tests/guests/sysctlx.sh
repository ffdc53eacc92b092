#!/bin/sh
# The /proc/sys limits whose change would disturb the host (shmmni,
# max_map_count, pid_max, nr_hugepages, overcommit_memory, the host and
# domain names) and two clones into new namespaces (as root: ok), under
# faultline only: `sysctlx change` lowers them in the guest kernel and
# checks what they enforce (native.md, docs/kernel-config.md); then
# /proc/config.gz as the guest reads it is `faultline kernel`, gzip'ed.
# usage: sysctlx.sh FAULTLINE SYSCTLX_BINARY
set -u
fl=$1; g=$2
tmp=${TMPDIR:-/tmp}/flsc.$$
mkdir -p "$tmp"; trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/want" <<'OUT'
shmget past shmmni: ENOSPC
shmget after a removal: ok
shmmni restored: yes
max_map_count lowered: ok
mmap stops with ENOMEM once the count passes the limit: yes
mprotect splitting a mapping: ENOMEM
munmap splitting a mapping: ENOMEM
munmap of a whole mapping: ok
max_map_count restored: yes
mmap after restoring: ok
pid_max lowered above my pid: ok
pids stay below pid_max, then wrap to 300: yes
held child after the wrap is 301: yes
pid_max 301 (RESERVED_PIDS + 1): ok
pid_max 300: EINVAL
the one pid left is 300: yes
fork with every pid in use: EAGAIN
fork once a pid is free again: 300
pid_max restored: yes
nr_hugepages: write 1: ok, reads 1
shmget SHM_HUGETLB as root: ok
shmget SHM_HUGETLB as nobody: EPERM
overcommit 0: 1 TiB private mapping: ENOMEM
overcommit_memory 1: ok
overcommit 1: 1 TiB private mapping: ok
overcommit_memory 2: EINVAL
overcommit_memory restored: yes
clone CLONE_NEWPID: ok
clone CLONE_NEWUSER: ok
sethostname: ok
setdomainname: ok
sethostname of 65 bytes: EINVAL
uname guesthost, /proc/sys/kernel/hostname guesthost
uname domainname after a /proc write: viaproc
F_SETPIPE_SZ at pipe-max-size: ok
OUT
ok=1
# as root the guest may write /proc/sys; otherwise only the refusals
if [ "$(id -u)" != 0 ]; then echo "skipped: needs root (the guest writes /proc/sys as root)"; exit 0; fi
for mode in native hvm-nested; do
  "$fl" run --mode $mode -- "$g" change >"$tmp/out" 2>"$tmp/err" || { echo "FAIL: exit $? under $mode"; head -5 "$tmp/err"; ok=0; }
  diff "$tmp/want" "$tmp/out" >/dev/null || { echo "FAIL: under $mode:"; diff "$tmp/want" "$tmp/out"; ok=0; }
done
"$fl" kernel >"$tmp/config"
if "$fl" run -- /bin/cat /proc/config.gz >"$tmp/config.gz" 2>"$tmp/err" && gzip -dc <"$tmp/config.gz" >"$tmp/got"; then
  cmp -s "$tmp/config" "$tmp/got" || { echo "FAIL: /proc/config.gz is not faultline kernel's .config"; ok=0; }
else
  echo "FAIL: cat /proc/config.gz in the guest"; head -3 "$tmp/err"; ok=0
fi
[ $ok = 1 ] && echo "ok: the guest's limits are enforced and /proc/config.gz is the model's .config"
[ $ok = 1 ]
