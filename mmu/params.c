/* MMU parameters (name, default, unit, doc, source). */
#include "mmu/mmu.h"
#include "traces/params.h"

const struct fl_param_def mmu_params[] = {
  {"tlb.l1d.entries", 64, "entries", "L1 data TLB entries (4 KiB pages)",
   "Intel Skylake: 64-entry 4-way L1 DTLB (Intel optimization manual)"},
  {"tlb.l1d.ways", 4, "ways", "L1 data TLB associativity", "Intel Skylake"},
  {"tlb.l1d.latency", 1, "cycles", "L1 TLB hit latency",
   "CALIBRATION.md: L1 TLB hit 1 (Haswell review)"},
  {"tlb.l1i.entries", 128, "entries", "L1 instruction TLB entries", "Intel Skylake: 128-entry 8-way"},
  {"tlb.l1i.ways", 8, "ways", "L1 instruction TLB associativity", "Intel Skylake"},
  {"tlb.l1i.latency", 1, "cycles", "L1 ITLB hit latency", "CALIBRATION.md"},
  {"tlb.stlb.entries", 1536, "entries", "unified L2 STLB entries", "Intel Skylake: 1536-entry 12-way"},
  {"tlb.stlb.ways", 12, "ways", "L2 STLB associativity", "Intel Skylake"},
  {"tlb.stlb.latency", 11, "cycles", "extra latency of an STLB hit over L1",
   "CALIBRATION.md: L2 TLB hit ~12 total (Haswell; Ivy Bridge 11)"},
  {"walk.ref_latency", 20, "cycles", "cycles per page-table reference of a walk",
   "CALIBRATION.md: walk with page-table data cached ~20 (Haswell)"},
  {"walk.a_on_fault", 0, "bool", "set upper-level A bits on a walk that faults",
   "implementation-defined (SDM 4.8); KVM behaviour = 0, QEMU = 1"},
  {"cpu.maxphyaddr", 46, "bits", "MAXPHYADDR: physical address width", "Skylake client: 39; server: 46"},
  {NULL, 0, NULL, NULL, NULL},
};
