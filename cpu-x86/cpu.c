/* vCPU lifetime and the paging-control hooks the guest kernel model uses. */
#include "cpu-x86/interp.h"
#include "cpu-x86/decode.h"
#include <stdlib.h>


int cpu_init(struct vcpu *c, struct mmu *m) {
  memset(c, 0, sizeof *c);
  c->mmu = m;
  c->host_base = m->mem->host;
  c->cpl = 3;
  c->rflags = 0x202;
  c->mxcsr = MXCSR_DEFAULT;
  c->xcr0 = 3;
  c->tsc_hz = 2000000000ull;
  c->icount_stop = ~0ull;
  c->icount_limit = ~0ull;
  c->watch_rip = CPU_WATCH_NONE;     /* nothing watched */
  c->ctl.maxphyaddr = 46;
  c->ctl.cr0 = CR0_PG | CR0_WP | 1;
  c->ctl.cr4 = CR4_PAE | CR4_PGE;
  c->ctl.efer = EFER_NXE | (1u << 8) | (1u << 10);
  cpu_fpu_reset(c);
  code_cache_init(c);
  return 0;
}

void cpu_fini(struct vcpu *c) {
  code_cache_fini(c);
  tlb_fini(&c->tlb);
}

void cpu_flush_tlb(struct vcpu *c) {
  tlb_flush_guest(&c->tlb);     /* a host context's entries are tagged apart */
  if (c->mmu->pwc) pwc_flush(c->mmu->pwc);
}
void cpu_flush_tlb_nonglobal(struct vcpu *c) {
  tlb_flush_guest_nonglobal(&c->tlb);
  if (c->mmu->pwc) pwc_flush(c->mmu->pwc);
}
void cpu_invlpg(struct vcpu *c, uint64_t va) {
  tlb_flush_va_pcid(&c->tlb, va, c->pcid);
  if (c->mmu->pwc) pwc_flush_va(c->mmu->pwc, va);
}
/* MOV to CR3 (SDM 4.10.4.1): without CR4.PCIDE every non-global entry
 * goes; with it, bit 63 set keeps the new PCID's entries, clear drops
 * them (non-global), and other PCIDs' entries stay. */
void cpu_write_cr3(struct vcpu *c, uint64_t cr3) {
  bool noflush = (c->ctl.cr4 & CR4_PCIDE) && (cr3 >> 63);
  cr3 &= ~(1ull << 63);
  c->ctl.cr3 = cr3;
  c->pcid = (c->ctl.cr4 & CR4_PCIDE) ? (uint32_t)(cr3 & 0xfff) : 0;
  c->tlb.l1i.gen++;          /* a held ITLB entry may be another PCID's now (run.c's chained fetch) */
  if (!(c->ctl.cr4 & CR4_PCIDE)) tlb_flush_nonglobal(&c->tlb);
  else if (!noflush) tlb_flush_pcid(&c->tlb, c->pcid);
  if (c->mmu->pwc && !noflush) pwc_flush(c->mmu->pwc);
}

void cpu_save_regs(struct vcpu *c, struct cpu_regs *o) {
  memcpy(o->r, c->r, sizeof o->r);
  o->rip = c->rip;
  o->rflags = cpu_get_rflags(c);
  o->fs_base = c->fs_base;
  o->gs_base = c->gs_base;
  o->fpu = c->fpu;
  memcpy(o->xmm, c->xmm, sizeof o->xmm);
  o->mxcsr = c->mxcsr;
}

void cpu_load_regs(struct vcpu *c, const struct cpu_regs *in) {
  memcpy(c->r, in->r, sizeof in->r);
  c->r[R_ZERO] = 0;
  c->rip = in->rip;
  cpu_set_rflags(c, in->rflags);
  c->fs_base = c->segbase[4] = in->fs_base;
  c->gs_base = c->segbase[5] = in->gs_base;
  c->fpu = in->fpu;
  memcpy(c->xmm, in->xmm, sizeof in->xmm);
  c->mxcsr = in->mxcsr;
}

/* INVPCID (SDM Vol. 2): 0 one address of one PCID (+globals for it),
 * 1 one PCID (non-global), 2 everything, 3 everything but globals. */
void cpu_invpcid(struct vcpu *c, int type, uint32_t pcid, uint64_t va) {
  switch (type) {
  case 0: tlb_flush_va_pcid(&c->tlb, va, pcid); break;
  case 1: tlb_flush_pcid(&c->tlb, pcid); break;
  case 2: tlb_flush_guest(&c->tlb); break;
  default: tlb_flush_nonglobal(&c->tlb); break;
  }
  if (c->mmu->pwc) { if (type == 0) pwc_flush_va(c->mmu->pwc, va); else pwc_flush(c->mmu->pwc); }
}
