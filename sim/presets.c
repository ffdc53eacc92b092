/* The built-in presets (`faultline presets`, `--preset NAME`): each value
 * with its source.  A preset names its vendor with a `cpu = intel|amd`
 * line; `faultline reproduce` runs the papers' experiments with the
 * papers' machines (xen-sosp03, p4-672, core2-e6700, opteron-barcelona)
 * and the exit round trips of Agesen et al., ATC'12 (nehalem, westmere,
 * sandybridge). */
#include "sim/sim.h"
#include <string.h>

/* Built-in presets: each line names its source. */
/* A preset names its vendor with a `cpu = intel|amd` line (an AMD core
 * runs SVM and AMD's walk caches unless --cpu says otherwise). */
const struct preset builtin_presets[] = {
  {"default", "the parameter defaults: an Intel core with Skylake's TLB geometry (the skylake preset's values)", ""},
  {"skylake", "Intel Skylake client core: the same values as the defaults, each written down with its source",
   "cpu = intel               # VMX, Intel's paging-structure caches\n"
   "tlb.l1d.entries = 64      # Intel 64 and IA-32 Optimization Reference Manual, Skylake\n"
   "tlb.l1d.ways = 4          # same\n"
   "tlb.l1i.entries = 128     # same\n"
   "tlb.l1i.ways = 8          # same\n"
   "tlb.stlb.entries = 1536   # same: 1536-entry 12-way shared STLB\n"
   "tlb.stlb.ways = 12        # same\n"
   "tlb.stlb.latency = 11     # CALIBRATION.md: ~12 total for an L2 TLB hit\n"
   "walk.ref_latency = 20     # CALIBRATION.md: ~20 per walk with cached PT data\n"
   "cpu.maxphyaddr = 39       # Skylake client MAXPHYADDR\n"
   "# Calibration note (docs/modes/native.md): with these defaults an anonymous\n"
   "# zero-fill fault models at 2,526 cycles; published end to end: median 3,241,\n"
   "# min 1,842 (Linux 6.6, i7 11th gen); a page-touch loop on the project's EPYC\n"
   "# machine measured a median of 3,380-4,160 TSC cycles (min ~2,600), 2026-11-25.\n"
   "# A file-backed fault served from the page cache models at 2,050 cycles plus\n"
   "# ~60 per page mapped by fault-around; lmbench's lat_pagefault times that\n"
   "# path, but no current-hardware figure is at hand (CALIBRATION.md), and on\n"
   "# the development host large-folio mapping hid the per-page fault.\n"
   "vmx.exit = 550            # CALIBRATION.md: VMX exit round trip ~1,000-1,100 (KVM CPUID exit,\n"
   "vmx.entry = 500           #   Skylake-era); the exit/entry split is derived\n"},
  {"zen2", "AMD Zen 2 core: SVM, fully associative L1 TLBs, a 2048-entry L2 DTLB, a nested TLB",
   "cpu = amd                 # SVM and NPT, AMD's page-walk cache (unless --cpu says otherwise)\n"
   "tlb.l1d.entries = 64      # AMD Zen 2 SOG: 64-entry fully associative L1 DTLB\n"
   "tlb.l1d.ways = 64         # fully associative\n"
   "tlb.l1i.entries = 64      # AMD Zen 2 SOG: 64-entry fully associative L1 ITLB\n"
   "tlb.l1i.ways = 64         # fully associative\n"
   "tlb.stlb.entries = 2048   # AMD Zen 2 SOG: 2048-entry L2 DTLB\n"
   "tlb.stlb.ways = 16        # same: 16-way\n"
   "tlb.stlb.latency = 7      # AMD Zen 2 SOG: L2 DTLB hit ~7 cycles\n"
   "tlb.l1d2m.entries = 64    # Zen 2 L1 DTLB holds every page size in its 64 entries (modeled apart)\n"
   "tlb.l1d2m.ways = 64       # fully associative\n"
   "tlb.l1d1g.entries = 64    # same 64 entries\n"
   "tlb.l1d1g.ways = 64       # fully associative\n"
   "tlb.l1i2m.entries = 64    # Zen 2 L1 ITLB: 64 entries, all sizes\n"
   "tlb.l1i2m.ways = 64       # fully associative\n"
   "tlb.stlb1g.entries = 0    # Zen 2 L2 DTLB caches 1G pages as 2M pieces (approximated as 4K)\n"
   "walk.ref_latency = 20     # CALIBRATION.md (no Zen-specific figure; Haswell value)\n"
   "cpu.maxphyaddr = 48       # Zen 2 MAXPHYADDR\n"
   "svm.exit = 700            # CALIBRATION.md: VMRUN->#VMEXIT round trip 1,344-1,376 (KVM,\n"
   "svm.entry = 660           #   LKML SVM patch discussion, Dec 2020); the split is derived\n"
   "nested.tlb.entries = 16   # estimate: AMD documents a nested TLB, not its size (Bhargava et al., ASPLOS'08)\n"},
  {"xen-sosp03", "Barham et al., SOSP'03: Dell 2650, 2.4 GHz Xeon (NetBurst), Linux 2.4.21 guests; for `reproduce xen-sosp03`",
   "cpu = intel               # Xeon (Prestonia), NetBurst\n"
   "cpu.tsc_hz = 2400000000   # Barham et al., SOSP'03 section 4: 2.4 GHz Xeon server\n"
   "cpu.maxphyaddr = 36       # NetBurst Xeon with PAE: 36-bit physical addresses\n"
   "tlb.l1d.entries = 64      # Intel Pentium 4 / Xeon datasheets: 64-entry fully associative DTLB\n"
   "tlb.l1d.ways = 64         # fully associative\n"
   "tlb.l1i.entries = 128     # NetBurst: 128-entry 4-way ITLB\n"
   "tlb.l1i.ways = 4          # same\n"
   "tlb.stlb.entries = 0      # NetBurst has no second-level TLB: an L1 miss walks\n"
   "walk.pwc = 0              # no paging-structure caches modelled for NetBurst (Intel documents them from Core 2 on)\n"
   "guest.fault_around_bytes = 4096   # Linux 2.4 maps one page per fault (fault-around: Linux 3.15)\n"
   "guest.thp = 0             # no transparent huge pages (Linux 2.6.38)\n"
   "guest.kpti = 0            # no KPTI (Linux 4.15)\n"
   "guest.pcid = 0            # no PCID (Westmere+, Linux 4.14)\n"
   "xen.pv_abi = x86_32       # SOSP'03 sections 2.1.1-2.1.2: XenoLinux in ring 1, one page table for user and\n"
   "                          #   kernel, system calls by a fast trap gate (docs/modes/xen-pv.md)\n"
   "xen.batch = 2048          # SOSP'03 section 3.3: up to 2,048 page-table updates per hypercall\n"
   "# Costs the paper does not give keep the defaults' cycle counts (cycles,\n"
   "# not nanoseconds: the same code path takes about the same number of\n"
   "# cycles; the 2003 machine's slower memory is not modelled).\n"},
  {"p4-672", "Adams & Agesen, ASPLOS'06: Pentium 4 672 (Prescott, 3.8 GHz), first-generation VT-x without VPID",
   "cpu = intel               # Pentium 4 672, Prescott-2M, VT-x\n"
   "cpu.tsc_hz = 3800000000   # Adams & Agesen, ASPLOS'06 section 6: 3.8 GHz Pentium 4 672\n"
   "cpu.maxphyaddr = 36       # Prescott: 36-bit physical addresses\n"
   "tlb.l1d.entries = 64      # NetBurst: 64-entry fully associative DTLB\n"
   "tlb.l1d.ways = 64         # fully associative\n"
   "tlb.l1i.entries = 128     # NetBurst: 128-entry 4-way ITLB\n"
   "tlb.l1i.ways = 4          # same\n"
   "tlb.stlb.entries = 0      # no second-level TLB\n"
   "walk.pwc = 0              # none modelled for NetBurst\n"
   "vmx.entry = 2409          # Adams & Agesen Table 1: VM entry 2,409 cycles (P4)\n"
   "vmx.exit = 1931           # Adams & Agesen Table 1: page-fault VM exit 1,931 cycles (P4);\n"
   "                          #   ATC'12 Table 1 measures a Prescott round trip of 3,963\n"
   "hvm.tagged_tlb = 0        # first-generation VT-x had no VPID: every VM entry flushes the TLB\n"
   "guest.fault_around_bytes = 4096   # a 2006 Linux: no fault-around (3.15)\n"
   "guest.thp = 0             # no THP (2.6.38)\n"
   "guest.kpti = 0            # no KPTI (4.15)\n"
   "guest.pcid = 0            # no PCID (Westmere+)\n"
   "# Costs the paper does not give keep the defaults' cycle counts.\n"},
  {"core2-e6700", "Adams & Agesen, ASPLOS'06: Core 2 Duo E6700 (Merom core, 2.66 GHz), VT-x without VPID",
   "cpu = intel               # Core 2 Duo E6700 (Conroe, Core microarchitecture), VT-x\n"
   "cpu.tsc_hz = 2660000000   # Adams & Agesen, ASPLOS'06: 2.66 GHz Core 2 Duo\n"
   "cpu.maxphyaddr = 36       # Core 2 desktop: 36-bit physical addresses\n"
   "tlb.l1d.entries = 16      # Intel Optimization Reference Manual, Core microarchitecture: DTLB0 16 entries\n"
   "tlb.l1d.ways = 4          # 4-way\n"
   "tlb.l1i.entries = 128     # same: 128-entry 4-way ITLB\n"
   "tlb.l1i.ways = 4          # same\n"
   "tlb.stlb.entries = 256    # same: DTLB1 256 entries, 4-way (data only; modelled unified)\n"
   "tlb.stlb.ways = 4         # same\n"
   "tlb.stlb.latency = 2      # DTLB0 miss served by DTLB1: a couple of cycles (estimate)\n"
   "vmx.entry = 937           # Adams & Agesen Table 1: VM entry 937 cycles (Core 2)\n"
   "vmx.exit = 1186           # Adams & Agesen Table 1: page-fault VM exit 1,186 cycles (Core 2);\n"
   "                          #   ATC'12 Table 1 measures a Merom round trip of 1,579\n"
   "hvm.tagged_tlb = 0        # no VPID before Nehalem: every VM entry flushes the TLB\n"
   "guest.fault_around_bytes = 4096   # a 2006 Linux: no fault-around (3.15)\n"
   "guest.thp = 0             # no THP (2.6.38)\n"
   "guest.kpti = 0            # no KPTI (4.15)\n"
   "guest.pcid = 0            # no PCID (Westmere+)\n"
   "# Costs the paper does not give keep the defaults' cycle counts.\n"},
  {"opteron-barcelona", "Bhargava et al., ASPLOS'08: Quad-Core Opteron (Barcelona, family 10h), NPT with a nested TLB and walk cache",
   "cpu = amd                 # Quad-Core AMD Opteron (Barcelona): SVM with nested paging (RVI)\n"
   "cpu.tsc_hz = 2000000000   # a 2.0 GHz Opteron 2350 (Bhargava et al. do not name the clock)\n"
   "cpu.maxphyaddr = 48       # family 10h: 48-bit physical addresses\n"
   "tlb.l1d.entries = 48      # AMD family 10h SOG: 48-entry fully associative L1 DTLB (all page sizes)\n"
   "tlb.l1d.ways = 48         # fully associative\n"
   "tlb.l1i.entries = 32      # same: 32-entry fully associative L1 ITLB\n"
   "tlb.l1i.ways = 32         # fully associative\n"
   "tlb.stlb.entries = 512    # same: 512-entry 4-way L2 DTLB for 4 KiB pages\n"
   "tlb.stlb.ways = 4         # same\n"
   "tlb.stlb.mixed = 0        # the L2 DTLB's 2 MiB entries are a separate 128-entry array\n"
   "tlb.l1d2m.entries = 48    # the L1 DTLB holds 2 MiB pages in its 48 entries (modelled apart)\n"
   "tlb.l1d2m.ways = 48       # fully associative\n"
   "walk.pwc = 2              # AMD's page walk cache (Bhargava et al. section 3: the PWC caches upper-level entries)\n"
   "nested.pwc = 1            # Bhargava et al.: the walk cache extended to the nested dimension\n"
   "nested.tlb.entries = 16   # Bhargava et al.: a nested TLB (its size is an estimate)\n"
   "svm.exit = 700            # no Barcelona figure: the zen2 preset's split of a 1,360-cycle round trip\n"
   "svm.entry = 660           #   (CALIBRATION.md), kept\n"
   "# Costs the paper does not give keep the defaults' cycle counts.\n"},
  {"nehalem", "Intel Nehalem: VT-x with VPID and EPT; exit round trip from Agesen et al., USENIX ATC'12",
   "cpu = intel               # Nehalem (Core i7 9xx)\n"
   "tlb.l1d.entries = 64      # Intel Optimization Reference Manual, Nehalem: 64-entry 4-way DTLB\n"
   "tlb.l1d.ways = 4          # same\n"
   "tlb.l1i.entries = 128     # same: 128-entry 4-way ITLB\n"
   "tlb.l1i.ways = 4          # same\n"
   "tlb.stlb.entries = 512    # same: 512-entry 4-way STLB\n"
   "tlb.stlb.ways = 4         # same\n"
   "vmx.exit = 530            # Agesen et al., ATC'12 Table 1: Nehalem exit round trip 1,009 cycles;\n"
   "vmx.entry = 479           #   the exit/entry split is the skylake preset's (550:500)\n"},
  {"westmere", "Intel Westmere: as nehalem, exit round trip from Agesen et al., USENIX ATC'12",
   "cpu = intel               # Westmere\n"
   "tlb.l1d.entries = 64      # as Nehalem (Intel Optimization Reference Manual)\n"
   "tlb.l1d.ways = 4          # same\n"
   "tlb.l1i.entries = 128     # same\n"
   "tlb.l1i.ways = 4          # same\n"
   "tlb.stlb.entries = 512    # same\n"
   "tlb.stlb.ways = 4         # same\n"
   "vmx.exit = 399            # Agesen et al., ATC'12 Table 1: Westmere exit round trip 761 cycles;\n"
   "vmx.entry = 362           #   the split is the skylake preset's (550:500)\n"},
  {"sandybridge", "Intel Sandy Bridge: exit round trip from Agesen et al., USENIX ATC'12",
   "cpu = intel               # Sandy Bridge\n"
   "tlb.l1d.entries = 64      # Intel Optimization Reference Manual, Sandy Bridge: 64-entry 4-way DTLB\n"
   "tlb.l1d.ways = 4          # same\n"
   "tlb.l1i.entries = 128     # same: 128-entry 4-way ITLB\n"
   "tlb.l1i.ways = 4          # same\n"
   "tlb.stlb.entries = 512    # same: 512-entry 4-way STLB\n"
   "tlb.stlb.ways = 4         # same\n"
   "vmx.exit = 411            # Agesen et al., ATC'12 Table 1: Sandy Bridge exit round trip 784 cycles;\n"
   "vmx.entry = 373           #   the split is the skylake preset's (550:500)\n"},
  {NULL, NULL, NULL},
};

void presets_list(FILE *out) {
  int w = 0;
  for (int i = 0; builtin_presets[i].name; i++)
    if ((int)strlen(builtin_presets[i].name) > w) w = (int)strlen(builtin_presets[i].name);
  for (int i = 0; builtin_presets[i].name; i++) {
    fprintf(out, "%-*s %s\n", w, builtin_presets[i].name, builtin_presets[i].doc);
    const char *p = builtin_presets[i].text;
    while (*p) {
      const char *nl = strchr(p, '\n');
      size_t len = nl ? (size_t)(nl - p) : strlen(p);
      fprintf(out, "    %.*s\n", (int)len, p);
      p = nl ? nl + 1 : p + len;
    }
  }
}
