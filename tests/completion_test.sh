#!/bin/bash
# bash completion (issue 20): it completes commands, a command's options,
# modes, presets and parameter names, all asked of faultline itself.
#   completion_test.sh COMPLETION_SCRIPT FAULTLINE
set -u
source "$1"
fl=$2
fail=0
# comp WORDS...: the completions of the last word
comp() {
  COMP_WORDS=("$fl" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _faultline
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
check() {   # check WHAT GOT WANT-SUBSTRING
  case " $2" in *" $3 "*) echo "ok: $1: $3" ;; *) echo "FAIL: $1: '$3' not in: $2"; fail=1 ;; esac
}
check "commands" "$(comp re)" "replay"
check "run's options" "$(comp run --max-)" "--max-insns"
check "run's options" "$(comp run --stats-)" "--stats-fd"
check "modes" "$(comp run --mode hvm-)" "hvm-shadow"
check "presets" "$(comp run --preset z)" "zen2"
check "papers" "$(comp reproduce xen)" "xen-sosp03"
check "parameter names" "$(comp run --set guest.th)" "guest.thp="
check "params PREFIX" "$(comp params tlb.l1d.e)" "tlb.l1d.entries"
check "vendors" "$(comp compare --cpu a)" "amd"
exit $fail
