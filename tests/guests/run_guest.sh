#!/bin/sh
# Runs a guest natively and under faultline; stdout and exit status must be
# byte-identical.  usage: run_guest.sh FAULTLINE [--env K=V] GUEST [ARGS...]
# (natively, glibc's ifunc selection is pinned to what faultline's CPUID
# advertises, so both runs execute the same library code paths)
set -u
fl=$(realpath "$1"); shift
g=$(realpath "$1"); shift
set -- "$g" "$@"
tmp=${TMPDIR:-/tmp}/flg.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
tun='glibc.cpu.hwcaps=-AVX_Usable,-AVX2_Usable,-FMA_Usable,-FMA4_Usable,-AVX512F_Usable,-AVX512VL_Usable,-AVX512BW_Usable,-AVX512DQ_Usable,-ERMS,-Prefer_No_VZEROUPPER,-XSAVEC_Usable'
cd "$tmp"
GLIBC_TUNABLES=$tun "$@" >native.out 2>native.err; nrc=$?
# FL_ARGS: extra faultline options (other presets/parameters: the guest's
# output must not depend on them)
"$fl" run ${FL_ARGS:-} -U GLIBC_TUNABLES -- "$@" >fl.out 2>fl.err; frc=$?
ok=1
# a guest that fails natively proves nothing: exit 0 is expected unless
# EXPECT_STATUS says otherwise
if [ "$nrc" != "${EXPECT_STATUS:-0}" ]; then
  echo "FAIL: the guest exits $nrc natively (expected ${EXPECT_STATUS:-0}): $*"; head -5 native.err; ok=0
fi
if ! cmp -s native.out fl.out; then
  echo "FAIL: stdout differs for $*"; diff native.out fl.out | head -20; ok=0
fi
if [ "$nrc" != "$frc" ]; then
  echo "FAIL: exit status native=$nrc faultline=$frc for $*"; cat fl.err | head -5; ok=0
fi
[ $ok = 1 ] && echo "ok: $* (exit $nrc, $(wc -c <native.out) bytes identical)"
[ $ok = 1 ]
