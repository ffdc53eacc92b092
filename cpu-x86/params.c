/* CPU parameters: base cost per instruction class and virtual time. */
#include "cpu-x86/interp.h"
#include "traces/params.h"

const struct fl_param_def cpu_params[] = {
  {"cpu.cost.simple", 1, "cycles", "base cost: simple integer op / move / NOP",
   "in-order model: 1 per simple op"},
  {"cpu.cost.mul", 3, "cycles", "integer multiply", "Agner Fog tables: IMUL r64 latency 3"},
  {"cpu.cost.div", 25, "cycles", "integer divide", "Agner Fog tables: DIV r64 ~26-90 (Skylake); 25 taken"},
  {"cpu.cost.branch", 1, "cycles", "branch, call, return", "in-order model"},
  {"cpu.cost.string", 2, "cycles", "string instruction (per instruction, not per element)", "estimate"},
  {"cpu.cost.fp", 3, "cycles", "x87 arithmetic", "Agner Fog tables: FADD/FMUL latency 3-5"},
  {"cpu.cost.fpdiv", 15, "cycles", "x87/SSE divide and square root", "Agner Fog tables: DIVSD ~13-14"},
  {"cpu.cost.sse", 2, "cycles", "SSE operation", "estimate"},
  {"cpu.cost.sys", 50, "cycles", "SYSCALL/CPUID/RDTSC and other serializing ops",
   "estimate; the syscall's kernel work is charged by the guest OS model"},
  {"cpu.tsc_hz", 2000000000ull, "Hz", "virtual TSC frequency (CPUID 0x15/0x16)", "fixed by design"},
  {NULL, 0, NULL, NULL, NULL},
};

void cpu_set_class_costs(const uint32_t costs[CC__COUNT]) {
  for (int k = 0; k < CC__COUNT; k++) cpu_class_cost[k] = costs[k];
}
