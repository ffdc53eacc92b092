/* The published figures `faultline reproduce` compares against, each with
 * its source (the papers' own tables; ../shared/CALIBRATION.md lists them
 * with their sources too), and the experiment and modes that re-run each
 * in shape.  Ratios are compared: absolute times on a 2003 Xeon are not
 * ours to predict; where a paper gives cycles, cycles are shown too. */
#include "tools/reproduce.h"
#include <stddef.h>

#define N(a) ((int)(sizeof a / sizeof a[0]))

/* Barham et al., "Xen and the Art of Virtualization", SOSP'03, Tables 3
 * and 5: lmbench on a Dell 2650 (2.4 GHz Xeon), L-UP (native uniprocessor
 * Linux 2.4.21) against XenoLinux; microseconds. */
#define XEN_BASE {"native", "xen-sosp03", {NULL}}
#define XEN_CMP {"xen-pv", "xen-sosp03", {NULL}}
static const struct repro_row xen_rows[] = {
  {"xen.pagefault", "page fault (lat_pagefault)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "pagefault 4 256 %F", XEN_BASE, XEN_CMP, "us", 1.42, 2.73, 0, 0, NULL, NULL},
  {"xen.prot", "prot fault (lat_sig prot)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "prot 400", XEN_BASE, XEN_CMP, "us", 1.06, 1.40, 0, 0, NULL, NULL},
  {"xen.mmap", "mmap lat (lat_mmap, 8 MiB)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "mmap 20 8388608 %F", XEN_BASE, XEN_CMP, "us", 68.0, 139, 0, 0, NULL, NULL},
  {"xen.fork", "fork proc (lat_proc fork)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "fork 60", XEN_BASE, XEN_CMP, "us", 110, 198, 0, 0, NULL, NULL},
  {"xen.exec", "exec proc (lat_proc exec)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "exec 20 %E", XEN_BASE, XEN_CMP, "us", 530, 768, 0, 0, NULL, NULL},
};

/* Adams & Agesen, "A Comparison of Software and Hardware Techniques for
 * x86 Virtualization", ASPLOS'06: nanobenchmarks on a 3.8 GHz Pentium 4
 * 672 (cycles; section 6 and Figure 4), forkwait on it and on a 2.66 GHz
 * Core 2 Duo (seconds for 40,000 fork/wait pairs); HW VMM = VT-x with
 * shadow paging (our hvm-shadow). */
#define AA_BASE(p) {"native", p, {NULL}}
#define AA_CMP(p) {"hvm-shadow", p, {NULL}}
static const struct repro_row aa_rows[] = {
  {"aa.pgfault", "pgfault (P4)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "pgfault 400", AA_BASE("p4-672"), AA_CMP("p4-672"), "cycles", 1093, 11242, 0, 0, NULL, NULL},
  {"aa.ptemod", "ptemod: a guest PTE store's extra cost (P4)", REPRO_DIFF, METRIC_CYCLES_PER_OP,
   "ptemod 200", AA_BASE("p4-672"), AA_CMP("p4-672"), "cycles", 0, 12733, 0, 0, NULL, NULL},
  {"aa.forkwait.p4", "forkwait (P4)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "fork 60", AA_BASE("p4-672"), AA_CMP("p4-672"), "s", 6.0, 106.4, 0, 0, NULL, NULL},
  {"aa.forkwait.core2", "forkwait (Core 2 Duo)", REPRO_RATIO, METRIC_CYCLES_PER_OP,
   "fork 60", AA_BASE("core2-e6700"), AA_CMP("core2-e6700"), "s", 2.62, 38.9, 0, 0, NULL, NULL},
};

/* Agesen et al., "Software Techniques for Avoiding Hardware Virtualization
 * Exits", USENIX ATC'12, Table 1: a VM exit and entry round trip, cycles,
 * by processor generation.  The presets carry these figures (p4-672 and
 * core2-e6700 carry Adams & Agesen's own, which ATC'12 cross-checks). */
#define RT "vmx.exit+vmx.entry"
static const struct repro_row atc_rows[] = {
  {"atc12.prescott", "Prescott (p4-672: Adams & Agesen's Table 1)", REPRO_INPUT, 0, NULL, {NULL, NULL, {NULL}},
   {NULL, "p4-672", {NULL}}, "cycles", 0, 3963, 0, 0, RT, NULL},
  {"atc12.merom", "Merom (core2-e6700: Adams & Agesen's Table 1)", REPRO_INPUT, 0, NULL, {NULL, NULL, {NULL}},
   {NULL, "core2-e6700", {NULL}}, "cycles", 0, 1579, 0, 0, RT, NULL},
  {"atc12.nehalem", "Nehalem", REPRO_INPUT, 0, NULL, {NULL, NULL, {NULL}},
   {NULL, "nehalem", {NULL}}, "cycles", 0, 1009, 0, 0, RT, NULL},
  {"atc12.westmere", "Westmere", REPRO_INPUT, 0, NULL, {NULL, NULL, {NULL}},
   {NULL, "westmere", {NULL}}, "cycles", 0, 761, 0, 0, RT, NULL},
  {"atc12.sandybridge", "Sandy Bridge", REPRO_INPUT, 0, NULL, {NULL, NULL, {NULL}},
   {NULL, "sandybridge", {NULL}}, "cycles", 0, 784, 0, 0, RT, NULL},
};

/* Bhargava et al., "Accelerating Two-Dimensional Page Walks for
 * Virtualized Systems", ASPLOS'08 (simulated Quad-Core Opteron, validated
 * against silicon): the 2-D walk's latency over the native walk's across
 * five suites (Table 1), and the guest speedups of the nested walk cache
 * and of a nested TLB on top of it (section 5).  The experiment is a
 * pointer chase over 256 MiB: every load misses the TLBs, and the walks'
 * references go through the data cache model (cache.enabled=1: a walk's
 * latency is its references' cache and memory latencies, as in the
 * paper's simulator; the flat walk.ref_latency would charge the nested
 * dimension's always-cached tables as much as the guest's missing PTEs). */
#define BH_NATIVE {"native", "opteron-barcelona", {"cache.enabled=1", NULL}}
#define BH_2D {"hvm-nested", "opteron-barcelona", {"cache.enabled=1", "nested.pwc=0", "nested.tlb.entries=0", NULL}}
#define BH_2D_PWC {"hvm-nested", "opteron-barcelona", {"cache.enabled=1", "nested.pwc=1", "nested.tlb.entries=0", NULL}}
#define BH_2D_PWC_NTLB {"hvm-nested", "opteron-barcelona", {"cache.enabled=1", "nested.pwc=1", "nested.tlb.entries=16", NULL}}
#define CHASE "chase 20000 65536"
static const struct repro_row bh_rows[] = {
  {"bh.walk2d", "2-D walk latency over the native walk", REPRO_RANGE_RATIO, METRIC_WALK_CYCLES,
   CHASE, BH_NATIVE, BH_2D, "x", 0, 0, 3.90, 4.57, NULL, NULL},
  {"bh.nested_pwc", "speedup of the nested walk cache", REPRO_RANGE_SPEEDUP, METRIC_CYCLES_PER_OP,
   CHASE, BH_2D, BH_2D_PWC, "%", 0, 0, 15, 38, NULL, NULL},
  {"bh.nested_tlb", "further speedup of a nested TLB", REPRO_RANGE_SPEEDUP, METRIC_CYCLES_PER_OP,
   CHASE, BH_2D_PWC, BH_2D_PWC_NTLB, "%", 0, 0, 3, 7, NULL, NULL},
};

/* Engler et al., "Exokernel: An Operating System Architecture for
 * Application-Level Resource Management", SOSP'95, section on exceptions:
 * Aegis dispatches an exception to the application in 18 instructions
 * (1.5 us on a DECstation 5000/125), "approximately two orders of
 * magnitude faster than Ultrix" for each exception measured, protection
 * faults among them.  The range reads the paper's words as 50-200x.  The
 * model's exokernel mode is an x86 what-if after the MIPS R3000, and the
 * program is a Linux binary whose handler the library OS reaches (see
 * docs/validation.md). */
static const struct repro_row aegis_rows[] = {
  {"aegis.prot", "prot fault to the handler and back", REPRO_RANGE_RATIO,
   METRIC_CYCLES_PER_OP, "prot 400", {"exokernel", "default", {NULL}}, {"native", "default", {NULL}},
   "x", 0, 0, 50, 200, NULL, NULL},
};

const struct repro_paper repro_papers[] = {
  {"xen-sosp03", "Barham et al., \"Xen and the Art of Virtualization\", SOSP'03, Tables 3 and 5 (lmbench)",
   "preset xen-sosp03 (2.4 GHz Xeon); L-UP (native Linux 2.4) against XenoLinux", "native", "xen-pv",
   xen_rows, N(xen_rows)},
  {"adams-agesen06", "Adams & Agesen, \"A Comparison of Software and Hardware Techniques for x86 Virtualization\", ASPLOS'06",
   "presets p4-672 (3.8 GHz Pentium 4) and core2-e6700 (2.66 GHz Core 2 Duo); native against the HW VMM (VT-x, shadow paging)",
   "native", "hvm-shadow", aa_rows, N(aa_rows)},
  {"agesen-atc12", "Agesen et al., \"Software Techniques for Avoiding Hardware Virtualization Exits\", USENIX ATC'12, Table 1",
   "a VM exit + entry round trip by generation: the presets' inputs (vmx.exit + vmx.entry), not predictions",
   "", "preset", atc_rows, N(atc_rows)},
  {"bhargava08", "Bhargava et al., \"Accelerating Two-Dimensional Page Walks for Virtualized Systems\", ASPLOS'08",
   "preset opteron-barcelona; native against nested paging (hvm-nested, NPT), without and with the nested walk cache and TLB",
   "base", "compared", bh_rows, N(bh_rows)},
  {"engler-sosp95", "Engler et al., \"Exokernel: An Operating System Architecture for Application-Level Resource Management\", SOSP'95",
   "Ultrix's exception dispatch over Aegis'; modelled: native Linux over the exokernel mode (default preset, x86)",
   "exokernel", "native", aegis_rows, N(aegis_rows)},
};
const int repro_npapers = N(repro_papers);
