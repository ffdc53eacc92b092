/* Shared by sim/mm.c, sim/kmem.c and sim/fault_ops.c only: the guest
 * kernel's memory helpers.  Not part of sim's interface (sim/kernel.h). */
#ifndef FAULTLINE_SIM_MM_INTERNAL_H
#define FAULTLINE_SIM_MM_INTERNAL_H
#include "sim/kernel.h"

#define PTE_TABLE (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D)   /* Linux _PAGE_TABLE */

static inline uint64_t kva(uint64_t pa) { return PHYSMAP_BASE + pa; }

/* Linux's _PAGE_PROTNONE: a PTE of a PROT_NONE page keeps its frame with
 * the present bit clear (the CPU faults on it; the VMA says SIGSEGV), and
 * mprotect back makes it present again with its contents.  Bit 8 (G in a
 * present PTE; user PTEs are never global). */
#define PTE_SW_PROTNONE (1ull << 8)
/* a PTE that holds a frame: present, or PROT_NONE */
static inline bool pte_mapped(uint64_t e) { return (e & PTE_P) || (e & PTE_SW_PROTNONE); }
/* a private writable mapping maps a page-cache page read-only (a write
 * copies it): bit 9, software-available */
#define PTE_SW_PAGECACHE (1ull << 9)
/* the frame a leaf entry maps at va (a 2M leaf: va's 4K piece) */
static inline uint64_t pte_frame(uint64_t e, uint64_t va) {
  return (e & PTE_PS) ? (e & PTE_ADDR & ~0x1fffffull) + (va & 0x1ff000ull) : e & PTE_ADDR;
}

/* kmem.c: accesses through the MMU and privileged paging operations.
 * ACC_PT_READ (not an MMU bit, taken off before translating) marks the
 * guest kernel's page-table reads while it descends its tables: traces
 * record them as such (kacc +64). */
#define ACC_PT_READ 0x4000u
uint8_t *kaccess(struct kernel *k, uint64_t va, uint32_t acc, uint64_t *cyc);
uint8_t *kaccess_val(struct kernel *k, uint64_t va, uint32_t acc, uint64_t *cyc,
                     const uint64_t *val, bool *emulated);
uint64_t kread64(struct kernel *k, uint64_t pa, uint64_t *cyc);
void kwrite_pte(struct kernel *k, uint64_t pa, uint64_t v, int level, uint64_t *cyc);
void guest_write_cr3(struct kernel *k, uint64_t v);
void guest_flush_tlb(struct kernel *k);
void guest_flush_tlb_local(struct kernel *k);   /* this vCPU only (an IPI handler, a lazy catch-up) */
void guest_invlpg(struct kernel *k, uint64_t va);
void guest_invpcid(struct kernel *k, int type, uint64_t pcid, uint64_t va);
void flush_user_va(struct kernel *k, uint64_t va);
void flush_user_va_local(struct kernel *k, uint64_t va);
/* --cpus: the fault being handled (its plan's kind, smp.plan_kind) is a
 * permission upgrade (a write made possible, a spurious fault): its flush
 * is local only, the other CPUs take a spurious fault (Linux's
 * ptep_set_access_flags, flush_tlb_fix_spurious_fault); a COW's
 * ptep_clear_flush reaches them all.  The live run's and the replay's
 * invlpg operations both hold it around theirs. */
static inline int fault_flush_local(struct kernel *k, int delta) {
  bool local = k->smp.plan_kind == FK_WRITE_UPGRADE || k->smp.plan_kind == FK_SPURIOUS;
  return k->smp.local_only += local ? delta : 0;
}
/* dynamic ASIDs and KPTI's PCIDs (asid.c) */
uint64_t asid_switch(struct kernel *k);
void asid_flushed(struct kernel *k);
void asid_caught_up(struct kernel *k);
void asid_flush_user_va(struct kernel *k, uint64_t va);
uint64_t asid_exit_cr3(struct kernel *k);
uint64_t asid_kern_pcid(const struct kernel *k);
uint64_t asid_user_pcid(const struct kernel *k);
void pv_new_table(struct kernel *k, uint64_t pa, int level);
void pt_new_plain(struct kernel *k, uint64_t pa, int level);
void pv_pin_table(struct kernel *k, uint64_t pa, int level);
void pv_batch(struct kernel *k, bool begin);

/* mm.c: frames and page tables */
struct mm *mm_new_as(struct kernel *k, bool pin);
uint64_t frame_alloc(struct kernel *k);
void frame_put(struct kernel *k, uint64_t pa);
uint64_t kpt_descend(struct kernel *k, struct mm *mm, uint64_t va, int want, bool create,
                     int *level, int *created, uint64_t *cyc);
uint64_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *leaf, uint64_t *cyc);
uint64_t pte_lookup_4k(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *leaf, uint64_t *cyc);
void split_huge(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *cyc);
uint64_t pt_hole_end(struct kernel *k, struct mm *mm, uint64_t va);
void free_tables(struct kernel *k, uint64_t table, int level);
void vma_split_at(struct kernel *k, struct mm *mm, uint64_t addr);
/* [start, end) all mapped (else -ENOMEM, nothing changed): split the VMAs
 * at its ends so that it is whole VMAs */
int vma_isolate(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
struct vma *vma_next(struct mm *mm, uint64_t va);
/* Is the frame entry e maps at va in v a private anonymous page only this
 * mapping holds (Linux's PageAnonExclusive): not the zero page, not a
 * page-cache page, one reference?  A write may then reuse it, no copy. */
bool page_anon_exclusive(struct kernel *k, const struct vma *v, uint64_t va, uint64_t e);

/* fault_ops.c */
uint64_t op_ensure_tables(void *kp, uint64_t va, uint64_t *leaf_pa, int *newt);
uint64_t op_kernel_touch(void *kp, int s);
uint64_t op_zero_frame(void *kp, uint64_t pa);
#endif
