/* Linux's dynamic ASIDs (guest.dyn_asids; arch/x86/mm/tlb.c): each CPU
 * keeps the last TLB_NR_DYN_ASIDS (6) address spaces it ran in PCIDs of
 * their own, with the mm's tlb_gen each one has caught up with.  Switching
 * back to one of them loads its PCID with the no-flush bit when nothing
 * changed since (choose_new_asid: need_flush false); an mm that is not
 * there takes the next slot round robin and flushes it.  Under KPTI the
 * kernel PCID is asid + 1 and the user PCID that | 0x800
 * (kern_pcid/user_pcid); a user translation's flush reaches the user PCID
 * by INVPCID, or, without it (guest.invpcid=0), at the next return to user
 * (invalidate_user_asid: the return's CR3 write flushes). */
#include "sim/kernel.h"
#include "sim/mm_internal.h"

#define USER_PCID_BIT 0x800ull   /* X86_CR3_PTI_PCID_USER_BIT (11) */

uint64_t asid_kern_pcid(const struct kernel *k) {
  return k->dyn_asids ? (uint64_t)k->asid[k->hv->this_cpu].cur + 1 : 1;
}
uint64_t asid_user_pcid(const struct kernel *k) { return asid_kern_pcid(k) | USER_PCID_BIT; }

/* the CR3 value switch_mm writes for k->mm (PCID and no-flush bits); a
 * slot that must be flushed is flushed (its kernel PCID too, under KPTI) */
uint64_t asid_switch(struct kernel *k) {
  struct asid_cpu *c = &k->asid[k->hv->this_cpu];
  struct mm *mm = k->mm;
  int a = -1;
  for (int i = 0; i < k->dyn_asids; i++)
    if (c->slot[i].mm_id == mm->id) a = i;
  bool flush = a < 0 || c->slot[a].gen < mm->tlb_gen;
  if (a < 0) a = c->next++ % k->dyn_asids;
  c->slot[a].mm_id = mm->id;
  c->slot[a].gen = mm->tlb_gen;
  c->cur = a;
  k->asid_switches++;
  if (!flush) k->asid_reuses++;
  uint64_t pcid = (uint64_t)a + 1;
  if (k->kpti) {                       /* the user PCID is loaded; the kernel's flushed apart */
    if (flush) guest_invpcid(k, 1, pcid, 0);
    c->user_flush = false;
    return pcid | USER_PCID_BIT | (flush ? 0 : CR3_NOFLUSH);
  }
  return pcid | (flush ? 0 : CR3_NOFLUSH);
}

/* the running mm's translations changed and this CPU flushed them: its
 * slot has caught up (mm->tlb_gen counts the changes) */
void asid_flushed(struct kernel *k) {
  if (!k->dyn_asids || !k->mm) return;
  struct asid_cpu *c = &k->asid[k->hv->this_cpu];
  if (k->smp.n < 2) k->mm->tlb_gen++;  /* (several vCPUs: the shootdown counts it) */
  if (c->slot[c->cur].mm_id == k->mm->id) c->slot[c->cur].gen = k->mm->tlb_gen;
}

/* a user translation at va changed: the user PCID's copy (KPTI) */
void asid_flush_user_va(struct kernel *k, uint64_t va) {
  if (k->invpcid || !k->dyn_asids) {
    guest_invpcid(k, 0, asid_kern_pcid(k), va);
    guest_invpcid(k, 0, asid_user_pcid(k), va);
    return;
  }
  guest_invpcid(k, 0, asid_kern_pcid(k), va);
  k->asid[k->hv->this_cpu].user_flush = true;   /* at the return to user */
}

/* the CR3 of the return to user (KPTI): no-flush unless a user flush waits */
uint64_t asid_exit_cr3(struct kernel *k) {
  struct asid_cpu *c = &k->asid[k->hv->this_cpu];
  bool flush = k->dyn_asids && c->user_flush;
  if (flush) { c->user_flush = false; k->asid_deferred_flushes++; }
  return asid_user_pcid(k) | (flush ? 0 : CR3_NOFLUSH);
}

/* this CPU flushed the running mm's translations for another CPU's
 * change (an IPI, a lazy catch-up): its slot is current */
void asid_caught_up(struct kernel *k) {
  if (!k->dyn_asids || !k->mm) return;
  struct asid_cpu *c = &k->asid[k->hv->this_cpu];
  if (c->slot[c->cur].mm_id == k->mm->id) c->slot[c->cur].gen = k->mm->tlb_gen;
}
