/* The guest kernel's memory accesses and privileged paging operations:
 * supervisor accesses through the MMU (a failure goes to the mode: a
 * nested fault, a shadow miss, a trapped page-table store), page-table
 * stores (paravirtualized modes validate them), CR3/INVLPG/INVPCID (a
 * mode may intercept them), user copies, and the KPTI switches. */
#include "sim/kernel.h"
#include "mmu/cache.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sim/mm_internal.h"
#include "sim/record.h"

/* A user translation changed: INVLPG, and with KPTI+PCID also the other
 * PCID of the pair (Linux flush_tlb_one_user: INVLPG + INVPCID type 0). */
void flush_user_va_local(struct kernel *k, uint64_t va) {
  guest_invlpg(k, va);
  if (k->kpti && k->kpti_pcid) asid_flush_user_va(k, va);
}
void flush_user_va(struct kernel *k, uint64_t va) {
  rec_put(k, FLTR_K_INVLPG, va, 0, 0, 0);
  if (!k->flush_batch) flush_user_va_local(k, va);
  else if (k->flush_n < TLB_FLUSH_CEILING) k->flush_va[k->flush_n++] = va;   /* at the batch's end */
  else k->flush_full = true;
  asid_flushed(k);
  if (k->smp.n > 1) smp_shootdown(k, va, false);   /* the other vCPUs running the mm */
}

/* A guest-kernel access failed.  Under native paging that is a bug; under
 * a virtualization mode it is the hypervisor's: a nested fault (EPT
 * violation/#NPF), a shadow miss, or a write to a write-protected guest
 * page table, which the mode may emulate (HV_EMULATED: it stored *val). */
static int kernel_access_fault(struct kernel *k, uint64_t va, uint32_t acc, uint32_t pf,
                               const uint64_t *val) {
  const struct hv_mode *m = k->hv->mode;
  if (pf & PFEC_NESTED) return m->nested_fault ? m->nested_fault(k->hv, va, acc) : -2;
  if (m->kernel_access_fault) return m->kernel_access_fault(k->hv, va, acc, pf, val);
  return -2;
}

static _Noreturn void kernel_oops(struct kernel *k, uint64_t va, uint32_t pf) {
  fprintf(stderr, "faultline: internal error: guest-kernel access at %#llx failed "
          "(error %#x, mode %s)\n", (unsigned long long)va, pf, k->hv->mode->name);
  exit(125);
}

/* A supervisor access at a kernel virtual address; returns the host
 * pointer and adds the translation's cycles to *cyc.  A failed
 * translation goes to the mode (above) and the access is retried.  For an
 * 8-byte store, val is the value: when the mode emulates the store,
 * *emulated is set and NULL returned. */
uint8_t *kaccess_val(struct kernel *k, uint64_t va, uint32_t acc, uint64_t *cyc,
                            const uint64_t *val, bool *emulated) {
  /* the guest kernel's own access (kacc); outside a fault its cycles are
   * the CPU's at once (a fault's go to the step that made them) */
  bool own = !k->kacc_mute, charge = own && !k->fault_depth;
  if (own) {
    k->kernel_refs++;
    if (k->rec) recorder_kacc(k->rec, va, (acc & (ACC_W | ACC_F)) | (acc & ACC_PT_READ ? 64 : 0));
  }
  acc &= ~ACC_PT_READ;
  for (int tries = 0; tries < 8; tries++) {
    struct xlate x;
    uint32_t pf = mmu_translate(k->mmu, &k->cpu->tlb, &k->cpu->ctl, va, acc, &x);
    if (cyc) *cyc += x.cycles;
    if (charge) k->cpu->cycles += x.cycles;
    if (!pf) return x.host;
    int r = kernel_access_fault(k, va, acc, pf, val);
    if (r == HV_EMULATED && val && emulated) { *emulated = true; return NULL; }
    if (r) kernel_oops(k, va, pf);
  }
  kernel_oops(k, va, 0);
}
uint8_t *kaccess(struct kernel *k, uint64_t va, uint32_t acc, uint64_t *cyc) {
  return kaccess_val(k, va, acc, cyc, NULL, NULL);
}

uint64_t kread64(struct kernel *k, uint64_t pa, uint64_t *cyc) {
  uint64_t v;
  memcpy(&v, kaccess(k, kva(pa), 0, cyc), 8);
  return v;
}
/* A page-table entry store (level: of the table holding it).  Under paravirtualized paging the
 * hypervisor validates and performs it (its steps charge themselves). */
void kwrite_pte(struct kernel *k, uint64_t pa, uint64_t v, int level, uint64_t *cyc) {
  k->pte_writes++;
  rec_pte(k, pa, v, level, false);  /* the store and its access: one pte record (level | PV_PTE_DIRECT: +64) */
  if (k->rec_fault_open && (v & PTE_P) && level <= 2) k->rec_fault_frame = v & PTE_ADDR;
  bool charge = !k->kacc_mute && !k->fault_depth;   /* as kaccess_val's own accesses */
  k->kacc_mute++;
  if (k->hv->mode->pv_pte_store) k->hv->mode->pv_pte_store(k->hv, pa, v, level);   /* (with its PV_PTE_DIRECT) */
  else {
    bool emulated = false;
    uint64_t c0 = 0;
    uint8_t *h = kaccess_val(k, kva(pa), ACC_W, &c0, &v, &emulated);
    if (!emulated) memcpy(h, &v, 8);
    if (cyc) *cyc += c0;
    if (charge) k->cpu->cycles += c0;
  }
  k->kacc_mute--;
}

/* A step of the guest kernel's own outside any fault (fork, exit, wait,
 * a userfaultfd ioctl): recorded, so a replay opens and closes it at the
 * same place with its work (the records between) inside. */
void kstep_begin_at(struct kernel *k, int step, uint64_t va, const char *file, int line) {
  rec_put(k, FLTR_K_KSTEP, (uint64_t)step, va, 0, 0);
  hv_begin_at(k->hv, step, va, 0, file, line);
}
void kstep_end(struct kernel *k, uint64_t arg, uint64_t units) {
  rec_put(k, FLTR_K_KSTEP_END, arg, units, 0, 0);
  hv_set_arg(k->hv, arg);
  hv_end_n(k->hv, 0, units);
}

/* The guest kernel's privileged paging instructions: a virtualization
 * mode may intercept them (CR3-load exiting, INVLPG/INVPCID exiting). */
void guest_write_cr3(struct kernel *k, uint64_t v) {
  k->hv->st.counter[HV_C_GUEST_CR3_WRITES]++;
  k->guest_cr3[k->hv->this_cpu] = v & ~(1ull << 63);
  if (k->hv->mode->write_cr3) k->hv->mode->write_cr3(k->hv, v);
  else cpu_write_cr3(k->cpu, v);
}
/* Paravirtualized paging: a frame is now a page table of this level
 * (zeroed, not yet linked); lazy-MMU batches around bulk updates. */
void pv_new_table(struct kernel *k, uint64_t pa, int level) {
  rec_put(k, FLTR_K_PT_NEW, pa >> 12, (uint64_t)level, 0, 0);
  if (k->hv->mode->pv_pt_new) k->hv->mode->pv_pt_new(k->hv, pa, level);
}
/* a table of an address space not pinned yet: plain memory, recorded (a
 * replay counts it) but not announced until the pin (pv_pin_table) */
void pt_new_plain(struct kernel *k, uint64_t pa, int level) {
  rec_put(k, FLTR_K_PT_NEW, pa >> 12, (uint64_t)level, 1, 0);
}
void pv_pin_table(struct kernel *k, uint64_t pa, int level) {
  rec_put(k, FLTR_K_PT_NEW, pa >> 12, (uint64_t)level, 2, 0);
  if (k->hv->mode->pv_pt_new) k->hv->mode->pv_pt_new(k->hv, pa, level);
}
void pv_batch(struct kernel *k, bool begin) {
  rec_put(k, FLTR_K_PV_BATCH, begin, 0, 0, 0);
  if (k->hv->mode->pv_batch) k->hv->mode->pv_batch(k->hv, begin);
  /* the local flushes of the batch's pages, once at its end as Linux's
   * mmu_gather and flush_tlb_mm_range do (arch/x86/mm/tlb.c): an INVLPG
   * each up to the ceiling, else the whole address space */
  if (begin) k->flush_batch++;
  else if (k->flush_batch && !--k->flush_batch && (k->flush_n || k->flush_full)) {
    if (k->flush_full) {
      guest_flush_tlb_local(k);
      asid_flushed(k);
    } else {
      for (int i = 0; i < k->flush_n; i++) flush_user_va_local(k, k->flush_va[i]);
    }
    k->flush_n = 0;
    k->flush_full = false;
  }
  if (k->smp.n > 1) smp_batch(k, begin);           /* its flushes: one shootdown at the end */
}

/* flush_tlb_mm: a CR3 reload (which a shadow-paging hypervisor sees),
 * then every PCID, as Linux does for the user half on return */
void guest_flush_tlb_local(struct kernel *k) {
  if (k->hv->mode->flush_all) k->hv->mode->flush_all(k->hv);
  else if (k->hv->mode->write_cr3) guest_write_cr3(k, k->guest_cr3[k->hv->this_cpu]);
  cpu_flush_tlb_nonglobal(k->cpu);   /* global kernel entries stay (CR4.PGE) */
}
void guest_flush_tlb(struct kernel *k) {
  rec_put(k, FLTR_K_TLB_FLUSH, 1, 0, 0, 0);
  guest_flush_tlb_local(k);
  asid_flushed(k);
  if (k->smp.n > 1) smp_shootdown(k, 0, true);
}
void guest_invlpg(struct kernel *k, uint64_t va) {
  k->hv->st.counter[HV_C_GUEST_INVLPG]++;
  if (k->hv->mode->invlpg) k->hv->mode->invlpg(k->hv, va);
  else cpu_invlpg(k->cpu, va);
}
void guest_invpcid(struct kernel *k, int type, uint64_t pcid, uint64_t va) {
  k->hv->st.counter[HV_C_GUEST_INVLPG]++;
  if (k->hv->mode->invpcid) k->hv->mode->invpcid(k->hv, type, pcid, va);
  else cpu_invpcid(k->cpu, type, pcid, va);
}

/* ---- user copies ---- */
int user_xlate(struct kernel *k, uint64_t va, size_t len, bool write, uint8_t **host) {
  k->user_copies++;
  rec_put(k, FLTR_K_UCOPY, write, va, len, 0);
  if (va >= TASK_SIZE) return -EFAULT;
  for (int tries = 0, spins = 0; tries < 4 && spins < 16; tries++, spins++) {
    struct xlate x;
    uint32_t acc = ACC_AC | (write ? ACC_W : 0);
    uint32_t pf = mmu_translate(k->mmu, &k->cpu->tlb, &k->cpu->ctl, va, acc, &x);
    k->cpu->cycles += x.cycles;
    if (!pf) {
      if (write && (k->mem->frame_flags[x.pa >> 12] & FRAME_CODE))
        cpu_invalidate_frame(k->cpu, x.pa);
      *host = x.host;
      return 0;
    }
    if (pf & PFEC_NESTED) {
      /* the user page is mapped, its guest-physical page is not (yet) */
      if (kernel_access_fault(k, va, acc, pf, NULL)) return -EFAULT;
      tries--;
      continue;
    }
    int si = 0;
    uint64_t seen = k->hv->bus->visible_faults;
    k->attr_user = false;
    k->fault_depth++;
    int sig = k->hv->mode->page_fault(k->hv, va, pf & 0xffff, true, &si);
    k->fault_depth--;
    record_fault_end(k, sig);
    if (sig) return -EFAULT;
    /* faults in kernel copies count as the task's (Linux); hidden ones do not */
    if (k->hv->bus->visible_faults != seen) k->minflt++;
    else tries--;
  }
  return -EFAULT;
}

/* Fault one user page in as an access would (GUP's populate, for mlock):
 * a write breaks COW and fills anonymous pages without a read first. */
int user_fault_in(struct kernel *k, uint64_t uva, bool write) {
  uint8_t *h;
  return user_xlate(k, uva, 1, write, &h);
}

/* GUP with FOLL_FORCE (mm/gup.c), as access_remote_vm uses it for
 * /proc/<pid>/mem and the core dump for its pages: check_vma_flags lets a
 * forced access read any mapping and write a private one whatever its
 * protection; the page is faulted in as such an access (k->gup_force: a
 * write to a private read-only page breaks COW into a page that stays
 * read-only) and reached through the kernel's direct map (kmap), never
 * through the user translation.  A write to a PTE that is not writable
 * goes through a write fault unless the VMA is read-only and the page is
 * already this mapping's own (can_follow_write_pte). */
uint8_t *user_page_forced(struct kernel *k, uint64_t va, bool write) {
  struct vma *v = va < TASK_SIZE ? vma_find(k->mm, va) : NULL;
  if (!v || (write && !(v->flags & VM_WRITE) && (v->flags & VM_SHARED))) return NULL;
  for (int tries = 0; tries < 4; tries++) {
    uint64_t cyc = 0, e = pte_lookup(k, k->mm, va, NULL, &cyc);
    if (pte_mapped(e) &&
        (!write || (e & PTE_W) || (!(v->flags & VM_WRITE) && page_anon_exclusive(k, v, va, e)))) {
      uint64_t pa = pte_frame(e, va);
      uint8_t *h = kaccess(k, kva(pa) + (va & (PAGE - 1)), write ? ACC_W : 0, &cyc);
      if (write && (k->mem->frame_flags[pa >> 12] & FRAME_CODE)) cpu_invalidate_frame(k->cpu, pa);
      return h;
    }
    int si = 0;
    uint64_t seen = k->hv->bus->visible_faults;
    uint32_t err = ((e & PTE_P) ? PFEC_P : 0) | (write ? PFEC_W : 0);
    rec_put(k, FLTR_K_XFAULT, 2, va, err, 0);   /* no access made it: a replay needs to know */
    k->gup_force = true;
    k->attr_user = false;
    k->fault_depth++;
    int sig = k->hv->mode->page_fault(k->hv, va, err, true, &si);
    k->fault_depth--;
    k->gup_force = false;
    record_fault_end(k, sig);
    if (sig) return NULL;
    if (k->hv->bus->visible_faults != seen) k->minflt++;
  }
  return NULL;
}

/* get_dump_page (FOLL_DUMP): a page that is not there and would read as
 * zeros (an anonymous mapping's, the zero page) is a hole in the core
 * file, not faulted in; file and shared pages are read as a forced access */
const uint8_t *user_page_dump(struct kernel *k, uint64_t va) {
  struct vma *v = vma_find(k->mm, va);
  if (!v) return NULL;
  uint64_t cyc = 0, e = pte_lookup(k, k->mm, va, NULL, &cyc);
  if (pte_mapped(e) ? pte_frame(e, va) == k->zero_page : !v->file && !(v->flags & VM_SHARED)) return NULL;
  return user_page_forced(k, va, false);
}

int copy_from_user(struct kernel *k, void *dst, uint64_t uva, size_t n) {
  uint8_t *d = dst;
  while (n) {
    size_t chunk = PAGE - (uva & (PAGE - 1));
    if (chunk > n) chunk = n;
    uint8_t *h;
    if (user_xlate(k, uva, chunk, false, &h)) return -EFAULT;
    memcpy(d, h, chunk);
    d += chunk; uva += chunk; n -= chunk;
  }
  return 0;
}

int copy_to_user(struct kernel *k, uint64_t uva, const void *src, size_t n) {
  const uint8_t *s = src;
  while (n) {
    size_t chunk = PAGE - (uva & (PAGE - 1));
    if (chunk > n) chunk = n;
    uint8_t *h;
    if (user_xlate(k, uva, chunk, true, &h)) return -EFAULT;
    memcpy(h, s, chunk);
    s += chunk; uva += chunk; n -= chunk;
  }
  return 0;
}

int clear_user(struct kernel *k, uint64_t uva, size_t n) {
  while (n) {
    size_t chunk = PAGE - (uva & (PAGE - 1));
    if (chunk > n) chunk = n;
    uint8_t *h;
    if (user_xlate(k, uva, chunk, true, &h)) return -EFAULT;
    memset(h, 0, chunk);
    uva += chunk; n -= chunk;
  }
  return 0;
}

long strncpy_from_user(struct kernel *k, char *dst, uint64_t uva, size_t max) {
  size_t i = 0;
  while (i < max) {
    size_t chunk = PAGE - (uva & (PAGE - 1));
    uint8_t *h;
    if (user_xlate(k, uva, chunk < max - i ? chunk : max - i, false, &h)) return -EFAULT;
    for (size_t j = 0; j < chunk && i < max; j++, i++) {
      dst[i] = (char)h[j];
      if (!h[j]) return (long)i;
    }
    uva += chunk;
  }
  return -ENAMETOOLONG;
}

/* ---- KPTI (guest.kpti): user and kernel page tables, switched on every
 * kernel entry and exit.  Without PCIDs (guest.pcid=0) each switch flushes
 * the non-global TLB entries; with them the kernel runs under PCID 1 and
 * the user under PCID 1|0x800 (Linux's kern/user ASID pair), CR3 writes
 * with the no-flush bit.  With KPTI the kernel's direct map is not
 * global (only the entry trampoline is, in Linux). */
#define KPCID 1ull
#define UPCID (1ull | 0x800)

void mm_switch_user(struct kernel *k) {
  uint64_t cr3 = k->mm->pml4;
  rec_put(k, FLTR_K_CR3, k->mm->id, cr3 >> 12, 0, 0);   /* the PCID bits are the mode's (KPTI) */
  if (k->dyn_asids) cr3 |= asid_switch(k);
  else if (k->kpti && k->kpti_pcid) {
    /* another mm: both PCIDs of the pair held the old one's translations
     * (Linux gives each mm its own pair; one pair, flushed, is equivalent) */
    guest_invpcid(k, 1, KPCID, 0);
    cr3 |= UPCID;
  }
  guest_write_cr3(k, cr3);
  if (k->smp.n > 1) smp_mm_loaded(k);
}

uint64_t kpti_enter(struct kernel *k) {
  if (!k->kpti || !k->mm) return 0;
  k->kpti_switches++;
  guest_write_cr3(k, k->mm->pml4 | (k->kpti_pcid ? asid_kern_pcid(k) | CR3_NOFLUSH : 0));
  return k->policy.kpti_cr3_write;
}

uint64_t syscall_enter_cost(struct kernel *k) {
  return (k->hv->mode->syscall_cross ? 0 : k->policy.syscall_entry) + kpti_enter(k);
}
uint64_t syscall_exit_cost(struct kernel *k) {
  return kpti_exit(k) + (k->hv->mode->syscall_cross ? 0 : k->policy.syscall_exit);
}

uint64_t kpti_exit(struct kernel *k) {
  if (!k->kpti || !k->mm) return 0;
  k->kpti_switches++;
  guest_write_cr3(k, k->mm->pml4 | (k->kpti_pcid ? asid_exit_cr3(k) : 0));
  return k->policy.kpti_cr3_write;
}

