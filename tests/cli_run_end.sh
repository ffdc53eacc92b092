#!/bin/sh
# How a run ends, and what it says (issue 20).
#   cli_run_end.sh FAULTLINE GUEST_BIN SOURCE_DIR WHAT
#   death      a core-dumping signal: one line naming it (pid, addr, rip,
#              function), stats written with "exit", faultline dies by it;
#              SIGPIPE: nothing said, 141
#   limits     --max-insns (1M, 1e6) and --max-time (0.3): one line, exit
#              124, stats with "limit", no SIGXCPU; bad counts refused
#   interrupt  SIGINT to a Python guest: its KeyboardInterrupt; two SIGINTs
#              to a guest that ignores them: stats with "interrupted", a log
#              ending on a whole line, a trace that replays, death by SIGINT
#              (130); SIGTERM to a guest waiting for input: 143; SIGINT to a
#              guest in sigsuspend: the top-level process alone gets it
#              (si_code 0), as natively with kill(1)
#   tty        Ctrl-C on a terminal: every process of the guest's process
#              group gets SIGINT with si_code SI_KERNEL, as natively
#   outputs    unwritable --stats refused before the guest runs; /dev/full
#              (ENOSPC) under --stats and --log said, 125; --stats-fd
#   elf        a program whose writable segment passes --mem: refused, one
#              line, 125; a guest's execve of it: SIGSEGV, as natively
#   procs      a fork bomb: EAGAIN at RLIMIT_NPROC (as natively, as an
#              unprivileged user) and at --max-procs, said once
#   params     enum names, booleans, ranges with units; params PREFIX and
#              --json; a preset's vendor
#   schema     stats of every mode and of the runs above valid under
#              docs/stats.schema.json; determinism: two runs, the same
#              stats but their config and exit blocks
set -u
fl=$1; g=$2; src=$3; what=$4
sd=$g/sigdeath.gcc
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }
q() { python3 -c "import json,sys; s=json.load(open('$1')); print($2)"; }
# run_bg OUT ERR ARGS...: faultline in the background; its pid in $bg
run_bg() { o=$1; e=$2; shift 2; "$fl" run "$@" >"$o" 2>"$e" & bg=$!; }
# wait_for FILE TEXT: until FILE holds TEXT (20 s at most)
wait_for() { i=0; while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; }

case $what in
death)
  for how in segv:SEGV:139 abort:ABRT:134 fpe:FPE:136; do
    m=${how%%:*}; rest=${how#*:}; sig=${rest%%:*}; want=${rest#*:}
    "$fl" run --stats "$m.json" -- "$sd" "$m" >/dev/null 2>"$m.err"
    st=$?
    [ "$st" = "$want" ] || bad "$m: status $st, not $want (death by SIG$sig)"
    # (the shell's own "Aborted" may follow: dash reports into the command's stderr)
    [ "$(grep -c '^faultline:' "$m.err")" = 1 ] || { bad "$m: not one line"; cat "$m.err"; }
    grep -Eq "^faultline: guest pid [0-9]+ killed by SIG$sig \\((addr 0x[0-9a-f]+, )?rip 0x[0-9a-f]+, .+\\)$" "$m.err" ||
      { bad "$m: the line"; cat "$m.err"; }
    [ "$(q "$m.json" "s['exit']['signal'], s['exit']['interrupted']")" = "SIG$sig False" ] || bad "$m: the stats' exit block"
    ok "$m: $(grep '^faultline:' "$m.err")"
  done
  # the store to 0x1234 in main: its address, and main's symbol
  grep -q "addr 0x1234, rip 0x[0-9a-f]*, main+0x[0-9a-f]* (sigdeath.gcc))" segv.err || bad "segv: not addr 0x1234 in main"
  "$fl" run -- "$sd" pipe >/dev/null 2>pipe.err
  st=$?
  [ "$st" = 141 ] && [ ! -s pipe.err ] && ok "pipe: 141, nothing said" || { bad "pipe: status $st"; cat pipe.err; }
  ;;
limits)
  "$fl" run --max-insns 1M --stats l.json -- "$sd" loop >/dev/null 2>l.err
  st=$?
  [ "$st" = 124 ] || bad "--max-insns: status $st, not 124"
  [ "$(cat l.err)" = "faultline: instruction limit (--max-insns 1000000) reached; stats written" ] || { bad "--max-insns: the line"; cat l.err; }
  [ "$(q l.json "s['instructions'], s['exit']['limit'], s['exit']['status']")" = "1000000 max-insns 124" ] ||
    bad "--max-insns: stats $(q l.json "s['instructions'], s['exit']")"
  "$fl" run --max-insns 1e6 --stats l2.json -- "$sd" loop >/dev/null 2>&1
  python3 "$src/tests/stats_same.py" l.json l2.json || bad "1M and 1e6 differ"
  ok "--max-insns 1M: exit 124, 1000000 instructions, \"limit\": \"max-insns\""
  "$fl" run --max-time 0.3 --stats t.json -- "$sd" loop >/dev/null 2>t.err
  st=$?
  [ "$st" = 124 ] || bad "--max-time: status $st, not 124"
  grep -Eq '^faultline: time limit \(--max-time 0.3 s of host time\) reached after [0-9]+ instructions; stats written$' t.err ||
    { bad "--max-time: the line"; cat t.err; }
  [ "$(q t.json "s['exit']['limit']")" = max-time ] || bad "--max-time: no limit in the stats"
  ok "--max-time 0.3: exit 124, $(q t.json "s['instructions']") instructions"
  # --max-time ends a guest that waits for input from outside too
  sleep 5 | "$fl" run --max-time 0.5 -- "$sd" read >/dev/null 2>tr.err
  st=$?
  [ "$st" = 124 ] && grep -q 'time limit' tr.err && ok "--max-time ends a wait for input: 124" || { bad "--max-time during a read: $st"; cat tr.err; }
  for v in 1x 1.5 -3 1e-3 0x10k ""; do
    "$fl" run --max-insns "$v" -- "$sd" >/dev/null 2>e.err
    st=$?
    [ "$st" = 125 ] && [ "$(wc -l <e.err)" = 1 ] && grep -q "^faultline: bad --max-insns" e.err || { bad "--max-insns '$v': $st"; cat e.err; }
  done
  for v in 0 -1 x 1s; do
    "$fl" run --max-time "$v" -- "$sd" >/dev/null 2>e.err
    [ $? = 125 ] && grep -q "^faultline: bad --max-time" e.err || { bad "--max-time '$v' accepted"; cat e.err; }
  done
  "$fl" run --max-insns 2.5k -- "$sd" loop >/dev/null 2>e.err
  grep -q -- '--max-insns 2500)' e.err && ok "bad counts refused; 2.5k is 2500" || bad "2.5k: $(cat e.err)"
  ;;
interrupt)
  # a Python guest gets its KeyboardInterrupt (qemu-user's habit)
  cat >ki.py <<'EOF'
import sys
print("ready", flush=True)
try:
    while True:
        pass
except KeyboardInterrupt:
    print("KeyboardInterrupt")
    sys.exit(7)
EOF
  run_bg ki.out ki.err --stats ki.json -- /usr/bin/python3 ki.py
  wait_for ki.out ready
  kill -INT $bg
  wait $bg
  st=$?
  [ "$st" = 7 ] && grep -q KeyboardInterrupt ki.out && [ "$(q ki.json "s['exit']")" = "{'status': 7, 'interrupted': False}" ] &&
    ok "SIGINT: the Python guest's KeyboardInterrupt, its status 7" || { bad "python: status $st"; cat ki.out ki.err; }
  # a guest that ignores SIGINT: the second one stops the run
  run_bg ig.out ig.err --stats ig.json --log ig.log --trace ig.fltr -- "$sd" ignint
  sleep 1
  kill -INT $bg; sleep 0.5; kill -INT $bg
  wait $bg
  st=$?
  [ "$st" = 130 ] || bad "two SIGINTs: status $st, not 130"
  [ "$(q ig.json "s['exit']")" = "{'signal': 'SIGINT', 'signal_number': 2, 'interrupted': True}" ] || bad "two SIGINTs: $(q ig.json "s['exit']")"
  [ "$(tail -c 1 ig.log | od -An -c | tr -d ' ')" = '\n' ] || bad "the log does not end on a whole line"
  "$fl" replay --quiet ig.fltr --stats ig.rep.json 2>rep.err && python3 "$src/tests/stats_same.py" ig.json ig.rep.json ||
    { bad "the interrupted trace does not replay to the same stats"; cat rep.err; }
  ok "two SIGINTs: 130, \"interrupted\": true, a whole log, a trace that replays ($(q ig.json "s['instructions']") instructions)"
  # SIGTERM while the guest waits for input from outside (a FIFO no one
  # writes to: the shell holds its write end)
  mkfifo in.fifo
  exec 8<>in.fifo
  "$fl" run --stats rd.json -- "$sd" read <in.fifo >/dev/null 2>rd.err & bg=$!
  sleep 1
  kill -TERM $bg
  wait $bg
  st=$?
  exec 8>&-
  [ "$st" = 143 ] && [ "$(q rd.json "s['exit']['signal'], s['exit']['interrupted']")" = "SIGTERM True" ] &&
    ok "SIGTERM during a read of standard input: 143, interrupted" || { bad "SIGTERM: $st"; cat rd.err; }
  # kill -INT of faultline: the top-level guest alone, as kill(1) of it natively
  "$sd" pgrp >native.out & p=$!
  wait_for native.out ready; kill -INT $p; wait $p
  run_bg fl.out fl.err -- "$sd" pgrp
  wait_for fl.out ready; sleep 0.3; kill -INT $bg; wait $bg
  cmp -s native.out fl.out && ok "kill -INT: $(tail -1 fl.out)" || { bad "kill -INT: not the native output"; diff native.out fl.out; cat fl.err; }
  ;;
tty)
  cat >ctrlc.py <<'EOF'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, sent, end = b"", False, time.time() + 60
while time.time() < end:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            d = os.read(fd, 1024)
        except OSError:
            break
        if not d:
            break
        out += d
    if not sent and b"ready" in out:
        time.sleep(0.3)
        os.write(fd, b"\x03")          # the terminal's VINTR: SIGINT to the foreground group
        sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r\n", "\n").replace("^C", ""))
print("status", os.waitstatus_to_exitcode(st))
EOF
  python3 ctrlc.py "$sd" pgrp >native.out
  python3 ctrlc.py "$fl" run -- "$sd" pgrp >fl.out
  grep -q "child: SIGINT si_code 128" native.out || { bad "natively, no SI_KERNEL SIGINT to the child (no terminal?)"; cat native.out; }
  cmp -s native.out fl.out && ok "Ctrl-C: $(tr '\n' ' ' <fl.out)" || { bad "Ctrl-C: not the native output"; diff native.out fl.out; }
  ;;
outputs)
  "$fl" run --stats /nonexistent/dir/s.json -- "$sd" >o.out 2>o.err
  st=$?
  [ "$st" = 125 ] && [ ! -s o.out ] && [ "$(cat o.err)" = "faultline: cannot write stats to /nonexistent/dir/s.json: No such file or directory" ] &&
    ok "an unwritable --stats: refused before the guest runs" || { bad "unwritable stats: $st"; cat o.out o.err; }
  "$fl" run --log /nonexistent/dir/l -- "$sd" >o.out 2>o.err
  [ $? = 125 ] && [ ! -s o.out ] || bad "unwritable --log ran the guest"
  "$fl" run --stats /dev/full -- "$sd" >/dev/null 2>f.err
  st=$?
  [ "$st" = 125 ] && grep -Eq '^faultline: stats not written whole to /dev/full: No space left on device \(0 of [0-9]+ bytes written\)$' f.err &&
    ok "--stats /dev/full: $(cat f.err)" || { bad "--stats /dev/full: $st"; cat f.err; }
  "$fl" run --log /dev/full -- "$sd" >/dev/null 2>f.err
  st=$?
  [ "$st" = 125 ] && grep -q '^faultline: log not written whole to /dev/full: No space left on device' f.err &&
    ok "--log /dev/full: $(cat f.err)" || { bad "--log /dev/full: $st"; cat f.err; }
  "$fl" run --stats-fd 3 -- "$sd" 3>fd.json >fd.out 2>&1
  [ $? = 0 ] && [ "$(q fd.json "s['exit']['status']")" = 0 ] && ! grep -q '{' fd.out && ok "--stats-fd 3: the stats apart from the guest's output" ||
    bad "--stats-fd"
  "$fl" run --stats-fd 7 -- "$sd" >/dev/null 2>e.err
  [ $? = 125 ] && grep -q "^faultline: cannot write stats to descriptor 7: Bad file descriptor" e.err || { bad "--stats-fd 7 (closed)"; cat e.err; }
  "$fl" run --stats-fd 1 -- "$sd" >/dev/null 2>e.err
  [ $? = 125 ] || bad "--stats-fd 1 accepted"
  ;;
schema)
  files=""
  for m in native hvm-shadow hvm-nested xen-pv vkernel exokernel spin tornado; do
    "$fl" run --mode "$m" --stats "$m.json" -- "$g/forkexec.gcc" >/dev/null 2>&1 || bad "$m: the run failed"
    files="$files $m.json"
  done
  printf 'cache.enabled = 1  # a file preset\n' >p.preset
  "$fl" run --mode hvm-nested --cpu amd --cpus 2 --preset p.preset --set guest.thp=1 --top-faults 3 --symbols --warmup-insns 1000 \
    --stats smp.json --trace smp.fltr -- "$g/threadsx.gcc" >/dev/null 2>&1 || bad "the SMP run failed"
  "$fl" run --stats win.src.json --trace w.fltr -- "$g/sort.gcc" 20000 >/dev/null 2>&1
  "$fl" replay --quiet w.fltr --from 100000 --to 200000 --stats win.json 2>/dev/null || bad "the window replay failed"
  "$fl" run --max-insns 1000 --stats lim.json -- "$sd" loop >/dev/null 2>&1
  "$fl" run --stats sig.json -- "$sd" segv >/dev/null 2>&1
  /usr/bin/python3 "$src/tests/stats_schema.py" "$src/docs/stats.schema.json" $files smp.json win.json lim.json sig.json || fail=1
  sha=$(sha256sum p.preset | cut -d' ' -f1)
  [ "$(q smp.json "s['config']['preset_sha256'], s['config']['sets'], s['config']['cpus'], s['config']['program'][0].endswith('threadsx.gcc')")" = \
    "$sha ['guest.thp=1'] 2 True" ] && ok "config: the preset file's SHA-256, the --set values, --cpus, the program" || bad "config: $(q smp.json "s['config']['sets']")"
  # a native run carries no other design's counters
  [ "$(q native.json "[k for k in s['hv'] if k.startswith(('xen_', 'vk_', 'exo_', 'spin_', 'tornado_', 'shadow_'))]")" = "[]" ] &&
    [ "$(q xen-pv.json "'xen_hypercalls' in s['hv'] and 'vk_invals' not in s['hv']")" = True ] &&
    ok "each mode's own counters only" || bad "other modes' counters in the stats"
  # determinism: the same command twice, the same counts
  "$fl" run --mode hvm-shadow --stats d1.json -- "$g/forkexec.gcc" >/dev/null 2>&1
  "$fl" run --mode hvm-shadow --stats d2.json -- "$g/forkexec.gcc" >/dev/null 2>&1
  python3 "$src/tests/stats_same.py" d1.json d2.json && python3 "$src/tests/stats_same.py" d1.json hvm-shadow.json &&
    ok "the same command, the same stats (but config and exit)" || bad "two runs differ"
  ;;
elf)
  # a writable segment of 1 TiB (the guest's bss, patched): more than --mem
  python3 - "$sd" big.elf <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
phoff, = struct.unpack_from('<Q', b, 0x20)
phentsize, phnum = struct.unpack_from('<HH', b, 0x36)
rw = [phoff + i * phentsize for i in range(phnum)
      if struct.unpack_from('<II', b, phoff + i * phentsize) == (1, 6)]
struct.pack_into('<Q', b, rw[-1] + 0x28, 1 << 40)      # p_memsz of the RW PT_LOAD
open(sys.argv[2], 'wb').write(b)
EOF
  chmod +x big.elf
  "$fl" run -- ./big.elf >o.out 2>e.err
  st=$?
  [ "$st" = 125 ] && [ "$(wc -l <e.err)" = 1 ] && grep -q "^faultline: .*big.elf: a writable segment larger than the guest's memory (--mem)" e.err &&
    ok "the program: refused, $(cat e.err)" || { bad "big.elf: $st"; cat e.err; }
  # a guest's own execve of it: killed by SIGSEGV past the point of no
  # return, as natively
  sh -c './big.elf; echo "status $?"' >native.out 2>/dev/null
  "$fl" run -- /bin/sh -c './big.elf; echo "status $?"' >fl.out 2>/dev/null
  cmp -s native.out fl.out && ok "execve of it: $(cat fl.out), as natively" || { bad "execve of big.elf"; cat native.out fl.out; }
  # a bss within --mem runs
  "$fl" run --mem 2G -- "$sd" >/dev/null 2>&1 || bad "the unpatched guest does not run"
  ;;
procs)
  fb=$g/forkbomb.gcc
  "$fb" nproc 30 >native.out
  "$fl" run -- "$fb" nproc 30 >fl.out 2>fl.err
  cmp -s native.out fl.out && ok "RLIMIT_NPROC 30 as uid 54321: $(head -1 fl.out), as natively" ||
    { bad "RLIMIT_NPROC: not the native output"; cat native.out fl.out fl.err; }
  "$fl" run --max-procs 50 --stats p.json -- "$fb" all >fl.out 2>fl.err
  st=$?
  [ "$st" = 0 ] && [ "$(head -1 fl.out)" = "fork failed after 49 children: Resource temporarily unavailable" ] &&
    [ "$(grep -c '^faultline: guest fork failed with EAGAIN: 50 tasks (--max-procs 50)' fl.err)" = 1 ] &&
    ok "--max-procs 50: $(head -1 fl.out); $(cat fl.err)" || { bad "--max-procs 50: $st"; cat fl.out fl.err; }
  "$fl" run --max-procs 50 -- /bin/bash -c 'ulimit -u; cat /proc/sys/kernel/threads-max' >lim.out 2>&1
  [ "$(tr '\n' ' ' <lim.out)" = "50 50 " ] && ok "ulimit -u and kernel.threads-max say 50" || { bad "the limits read back"; cat lim.out; }
  "$fl" run --max-procs 5 -- "$fb" all >/dev/null 2>e.err
  [ $? = 125 ] && grep -q "^faultline: --max-procs must be 20" e.err || bad "--max-procs 5 accepted"
  ;;
params)
  # enum names and numbers, booleans, ranges with their units
  "$fl" run --set guest.thp=always --set cache.enabled=true --stats p.json -- "$sd" >/dev/null 2>&1 || bad "names refused"
  [ "$(q p.json "s['config']['params']['guest.thp'], s['config']['params']['cache.enabled']")" = "2 1" ] &&
    ok "guest.thp=always is 2, cache.enabled=true is 1" || bad "enum/bool names: $(q p.json "s['config']['params']['guest.thp']")"
  for kv in "guest.thp=true:(transparent huge pages: 0 never, 1 madvise, 2 always)" \
            "guest.thp=3:(transparent huge pages: 0 never, 1 madvise, 2 always)" \
            "cache.enabled=7:(a boolean: 0, 1, true or false)" "guest.dirty_ratio=150:(0 to 100 %)" \
            "nested.levels=3:(4 to 5 levels)" "cpu.maxphyaddr=60:(32 to 52 bits)" "tlb.l1d.ways=0:(1 to 16777216 ways)" \
            "smp.quantum=0:(at least 1 insns)" "tlb.l1d.entries=on:(a number, unit entries; true/false are for booleans)"; do
    set_=${kv%%:*}; want=${kv#*:}
    "$fl" run --set "$set_" -- "$sd" >/dev/null 2>e.err
    st=$?
    [ "$st" = 125 ] && [ "$(cat e.err)" = "faultline: bad value for ${set_%%=*}: '${set_#*=}' $want" ] &&
      ok "--set $set_: $(cat e.err)" || { bad "--set $set_: $st"; cat e.err; }
  done
  # params PREFIX and --json
  n=$("$fl" params tlb.l1d. | grep -c '^tlb\.l1d\.')
  [ "$n" -ge 4 ] && ! "$fl" params tlb.l1d. | grep -q '^guest\.' && ok "params tlb.l1d.: $n parameters" || bad "params PREFIX"
  "$fl" params guest.thp --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert [p['name'] for p in d] == ['guest.thp'] and set(d[0]) >= {'name','default','unit','doc','source'}, d" &&
    ok "params guest.thp --json: one object with name, default, unit, doc, source" || bad "params --json"
  "$fl" params nosuch. >/dev/null 2>e.err; [ $? = 125 ] && grep -q "no parameter starts with" e.err || bad "params with an unknown prefix"
  # a preset names its vendor; --cpu wins
  "$fl" run --preset zen2 --stats z.json -- "$sd" >/dev/null 2>&1
  "$fl" run --preset zen2 --cpu intel --stats zi.json -- "$sd" >/dev/null 2>&1
  printf 'cpu = amd\n' >amd.preset; printf 'cpu = arm\n' >arm.preset
  "$fl" run --preset amd.preset --stats za.json -- "$sd" >/dev/null 2>&1
  [ "$(q z.json "s['cpu']") $(q zi.json "s['cpu']") $(q za.json "s['cpu']")" = "amd intel amd" ] &&
    ok "zen2 runs amd, --cpu intel wins, a file's cpu = amd" || bad "preset vendors"
  "$fl" run --preset arm.preset -- "$sd" >/dev/null 2>e.err; [ $? = 125 ] && grep -q "cpu takes intel or amd, not 'arm'" e.err || bad "cpu = arm accepted"
  ;;
*) echo "usage: cli_run_end.sh FAULTLINE GUEST_BIN SOURCE_DIR death|limits|interrupt|tty|outputs|schema|elf|procs|params"; exit 2 ;;
esac
exit $fail
