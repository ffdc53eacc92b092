/* Fuzz target: decode and execute instructions on random state.  The
 * input's first 15 bytes are code (one instruction, and whatever the rest
 * of the bytes decode as), the next 136 the registers (16 GPRs, RFLAGS)
 * and FS/GS bases, the rest the first bytes of the data area.  The CPU runs
 * at most 1,000 instructions on the fixture's machine (code, data, stack
 * mapped; everything else unmapped).  It may stop for a syscall, the
 * budget or the end of the code, or raise an architectural exception —
 * never crash the host or raise anything else. */
#include "tests/unit/cpu_fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct fx *f;
  if (!f) f = fx_new();
  struct vcpu *c = fx_cpu(f);
  size_t code_len = size < 15 ? size : 15;
  uint8_t code[15];
  memcpy(code, data, code_len);
  data += code_len;
  size -= code_len;
  uint64_t st[19] = {0};
  size_t n = size < sizeof st ? size : sizeof st;
  memcpy(st, data, n);
  data += n;
  size -= n;
  for (int i = 0; i < 16; i++) c->r[i] = st[i];
  cpu_set_rflags(c, (st[16] & 0x8d5) | 0x202);   /* the arithmetic flags and DF; IF set */
  c->fs_base = c->segbase[4] = st[17];
  c->gs_base = c->segbase[5] = st[18];
  memset(fx_data(f), 0, FX_DATA_SIZE);
  memcpy(fx_data(f), data, size < FX_DATA_SIZE ? size : FX_DATA_SIZE);
  int r = fx_exec_budget(f, code, code_len, 1000);
  switch (r) {
  case CPU_EXIT_HLT: case CPU_EXIT_SYSCALL: case CPU_EXIT_BUDGET: case CPU_EXIT_MAGIC: break;
  case CPU_EXIT_EXCEPTION:
    /* SDM Vol. 3A 6.15: what user-mode code can raise here */
    switch (c->exc.vector) {
    case EXC_DE: case EXC_DB: case EXC_BP: case 4 /* #OF */: case 5 /* #BR */: case EXC_UD: case EXC_NM:
    case 12 /* #SS */: case EXC_GP: case EXC_PF: case EXC_MF: case EXC_AC: case EXC_XM:
      break;
    default: abort();
    }
    break;
  default:
    fprintf(stderr, "fuzz_insn: cpu_run returned %d (rip %#llx)\n", r, (unsigned long long)c->rip);
    abort();
  }
  c->resume_block = NULL;            /* the next input starts afresh */
  return 0;
}
