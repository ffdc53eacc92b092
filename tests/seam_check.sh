#!/bin/sh
# Seam check: the fault-path modes go through the machine's interfaces.
#
# The modes in hv-models/ (native, hvm nested/shadow, xen-pv, vkernel) model
# what a hypervisor or kernel does on a fault; the machine (sim/, mmu/) owns
# memory and the page-table format.  If a mode pokes machine memory through
# raw host pointers or computes page-table indices itself, its accesses are
# invisible to the MMU/cache models and the event tree (the single source of
# truth every view renders) undercounts them, and each mode carries its own
# copy of the x86 table layout.  So this grep-style check rejects:
#
#  (a) raw host access to machine memory, in hv-models/ only (sim/ is the
#      memory owner and may do it): `mem_host(`, `host64(`, `->host`,
#      `memcpy(h->ops.kmap`, and `(uint64_t *)` / `(const uint64_t *)` casts;
#  (b) page-table index arithmetic, in hv-models/ and sim/: `>> (12 + 9`,
#      or a shift followed by `& 511` / `& 0x1ff` (`(va >> 21) & 511`, ...).
#      The one allowed place for it is the pt_index helper in mmu/mmu.h,
#      which is outside the scanned directories.
#
# Comments are ignored; an expression split over two lines is not seen.
# Prints each offending FILE:LINE with the rule(s) it breaks, then a summary
# with the count per file; exits 1 if there is any.
# usage: seam_check.sh [REPO_ROOT]    (default: the directory above tests/)
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || { echo "seam_check: no directory $root"; exit 2; }
files=$(find hv-models sim -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)
[ -n "$files" ] || { echo "seam_check: no sources under $root/hv-models or $root/sim"; exit 2; }

# shellcheck disable=SC2086  # $files: paths without spaces, one per word
awk -v nfiles="$(echo "$files" | wc -l)" '
  # the line without its comments (/* */ may span lines; // to the end)
  function code(s,   out, a, b) {
    out = ""
    while (s != "") {
      if (incomment) {
        a = index(s, "*/")
        if (!a) return out
        s = substr(s, a + 2); incomment = 0; out = out " "
      } else {
        a = index(s, "/*"); b = index(s, "//")
        if (b && (!a || b < a)) return out substr(s, 1, b - 1)
        if (!a) return out s
        out = out substr(s, 1, a - 1); s = substr(s, a + 2); incomment = 1
      }
    }
    return out
  }
  FNR == 1 { incomment = 0 }
  {
    c = code($0); why = ""
    if (FILENAME ~ /^hv-models\//) {
      if (c ~ /mem_host\(/ || c ~ /host64\(/ || c ~ /->host([^A-Za-z0-9_]|$)/ ||
          c ~ /memcpy\([ \t]*h->ops\.kmap/ ||
          c ~ /\([ \t]*(const[ \t]+)?uint64_t[ \t]*\*[ \t]*\)/)
        why = "raw host access to machine memory"
    }
    if (c ~ />>[ \t]*\([ \t]*12[ \t]*\+[ \t]*9/ ||
        c ~ />>[^;]*[^&]&[ \t]*(511|0[xX]1[fF][fF])[uUlL]*([^0-9A-Za-z_]|$)/)
      why = why (why != "" ? ", " : "") "page-table index arithmetic"
    if (why != "") {
      line = $0; sub(/^[ \t]+/, "", line)
      printf "%s:%d: %s: %s\n", FILENAME, FNR, why, line
      if (!(FILENAME in per)) order[nbad++] = FILENAME
      per[FILENAME]++; total++
    }
  }
  END {
    if (!total) { printf "seam_check: ok (%d files in hv-models/ and sim/)\n", nfiles + 0; exit 0 }
    printf "seam_check: %d offending lines in %d files:", total, nbad
    for (i = 0; i < nbad; i++) printf " %s %d%s", order[i], per[order[i]], i + 1 < nbad ? "," : "\n"
    exit 1
  }
' $files
