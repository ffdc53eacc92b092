/* An address space's copy at fork (Linux kernel/fork.c dup_mmap) and its
 * teardown when its last user leaves (mm/mmap.c exit_mmap), step by step:
 * each named step is one kstep (recorded, so a replay has the same steps)
 * charged its cost parameter per unit, and its table reads and stores go
 * through the MMU as made -- under a paravirtualized or shadowing mode
 * they are the mode's to validate, batch or trap. */
#include "sim/kernel.h"
#include <stdlib.h>
#include "sim/mm_internal.h"

/* The user-half tables of an address space built unpinned, top-down as
 * Linux's __xen_pgd_walk meets them, announced to a paravirtualized mode
 * (pv_new_table) now that they are filled: xen_pgd_pin remaps each
 * read-only and pins the PTE pages (split page-table locks) in one
 * multicall batch, then pins the top table, which Xen validates whole.
 * Every mode records the same announcements at the same place (a trace
 * does not depend on the mode); finding the tables is bookkeeping the
 * model does not charge. */
static uint64_t pin_walk(struct kernel *k, uint64_t table, int level) {
  uint64_t n = 0;
  int lim = level == 4 ? 256 : 512;    /* the user half at the top */
  for (int i = 0; i < lim && level > 1; i++) {
    uint64_t e = mem_peek64(k->mem, table + 8ull * (unsigned)i);
    if (!(e & PTE_P) || (e & PTE_PS)) continue;
    pv_pin_table(k, e & PTE_ADDR, level - 1);
    n += 1 + pin_walk(k, e & PTE_ADDR, level - 1);
  }
  return n;
}

/* xen_pgd_pin as one named step: at the end of dup_mmap for a fork's
 * child (xen_dup_mmap), at exec_mmap's activate_mm for a new image
 * (xen_activate_mm; sim/loader.c) */
static void pv_pin_tree(struct kernel *k, struct mm *mm, int step) {
  kstep_begin(k, step, mm->pml4);
  pv_batch(k, true);
  uint64_t n = pin_walk(k, mm->pml4, 4);
  pv_batch(k, false);
  pv_pin_table(k, mm->pml4, 4);     /* MMUEXT_PIN_L4_TABLE */
  mm->pv_pinned = true;
  kstep_end(k, n + 1, 1);
}

/* exec_mmap -> activate_mm: a new address space is plain memory until it
 * is first loaded; Xen PV pins it there (arch/x86/xen/mmu_pv.c
 * xen_activate_mm -> xen_pgd_pin), so what bprm setup stored into it
 * before (the stack VMA's argument and environment pages: xen_set_pmd and
 * friends store directly into a table not pinned; a PTE is an
 * MMU_NORMAL_PT_UPDATE Xen performs on an ordinary writable page,
 * unvalidated) is validated once, with the whole tree. */
void mm_activate(struct kernel *k, struct mm *mm) {
  if (!mm->pv_pinned) pv_pin_tree(k, mm, EV_S_EXEC_ACTIVATE_MM);
}

/* copy_page_range over every VMA the child inherits pages of: one descent
 * per page table on each side, then its entries one after the other
 * (copy_pte_range); private writable PTEs lose W in both.  The PTEs
 * copied, or -1 when a child table could not be allocated. */
static long copy_page_range(struct kernel *k, struct mm *parent, struct mm *child) {
  struct mm *saved = k->mm;
  long copied = 0;
  pv_batch(k, true);                   /* copy_pte_range runs in lazy MMU mode */
  for (int i = 0; i < parent->nvmas; i++) {
    const struct vma *v = &parent->vmas[i];
    if (v->flags & (VM_DONTCOPY | VM_WIPEONFORK)) continue;   /* no pages for the child */
    /* ptab/ctab: the parent's and the child's leaf table for the 2M
     * `region` (tables are page-aligned) */
    uint64_t region = ~0ull, ptab = 0, ctab = 0;
    for (uint64_t va = v->start; va < v->end; va += PAGE) {
      uint64_t leaf = 0, cyc = 0, e;
      if (va >> 21 != region) {
        region = va >> 21;
        ctab = 0;
        e = pte_lookup_4k(k, parent, va, &leaf, &cyc);   /* splits a THP */
        if (!leaf) { region = ~0ull; va = pt_hole_end(k, parent, va) - PAGE; continue; }
        ptab = leaf & PAGE_MASK;
      } else {
        leaf = pt_entry_pa(ptab, va, 1);
        e = kread64(k, leaf, &cyc);
      }
      if (!pte_mapped(e)) continue;
      if ((e & PTE_W) && !(v->flags & VM_SHARED)) {
        e &= ~PTE_W;
        kwrite_pte(k, leaf, e, 1 | PV_PTE_DIRECT, &cyc);   /* ptep_set_wrprotect: clear_bit, no pv hook */
      }
      uint64_t pa = e & PTE_ADDR;
      if (pa != k->zero_page) k->frame_refs[pa >> 12]++;
      uint64_t cleaf = ctab ? pt_entry_pa(ctab, va, 1) : 0;
      if (!ctab) {
        int newt;
        k->mm = child;
        op_ensure_tables(k, va, &cleaf, &newt);
        k->mm = saved;
        if (!cleaf) { pv_batch(k, false); return -1; }
        ctab = cleaf & PAGE_MASK;
      }
      kwrite_pte(k, cleaf, e, 1, &cyc);    /* set_pte_at */
      child->rss_pages++;
      copied++;
    }
  }
  pv_batch(k, false);
  return copied;
}

/* fork: a copy of the VMAs and of the page tables with private writable
 * pages made read-only in both (copy-on-write: the first write faults).
 * Steps, in dup_mm's order: fork.mm_alloc, fork.dup_mmap (the VMAs),
 * fork.copy_page_range, fork.arch_dup_mmap, fork.flush_tlb. */
struct mm *mm_fork(struct kernel *k, struct mm *parent) {
  /* dup_mmap charges each accounted VMA again: one larger than RAM fails
   * the fork (ENOMEM), as under Linux's default overcommit heuristic */
  for (int i = 0; i < parent->nvmas; i++) {
    const struct vma *v = &parent->vmas[i];
    if ((v->flags & VM_ACCOUNT) && !(v->flags & VM_DONTCOPY) && !vm_enough_memory(k, (v->end - v->start) / PAGE))
      return NULL;
  }
  kstep_begin(k, EV_S_FORK_MM_ALLOC, 0);
  struct mm *child = mm_new_as(k, false);
  kstep_end(k, child ? child->pml4 : 0, 1);
  if (!child) return NULL;
  child->syms = attrib_get_symbols(parent->syms);
  kstep_begin(k, EV_S_FORK_DUP_MMAP, 0);
  uint64_t nv = 0;
  for (int i = 0; i < parent->nvmas; i++)
    if (!(parent->vmas[i].flags & VM_DONTCOPY)) {
      struct vma *cv = vma_insert(k, child, &parent->vmas[i]);
      cv->uffd = NULL;               /* dup_userfaultfd: no UFFD_FEATURE_EVENT_FORK */
      cv->uffd_mode = 0;
      if (cv->flags & VM_ANON_VMA) cv->flags |= VM_ANON_CLONED;   /* anon_vma_fork: a chain of two */
      /* a private hugetlb mapping's reservation stays the parent's
       * (HPAGE_RESV_OWNER is cleared in the child: reset_vma_resv_huge_pages) */
      if ((cv->flags & VM_HUGETLB) && !(cv->flags & VM_SHARED)) cv->flags |= VM_NORESERVE;
      nv++;
    }
  child->brk_start = parent->brk_start;
  child->brk = parent->brk;
  child->mmap_base = parent->mmap_base;
  child->stack_limit = parent->stack_limit;
  child->dump_filter = parent->dump_filter;
  kstep_end(k, nv, nv);
  kstep_begin(k, EV_S_FORK_COPY_PAGE_RANGE, 0);
  uint64_t tables0 = child->pt_pages;
  long copied = copy_page_range(k, parent, child);
  uint64_t tables = child->pt_pages - tables0;
  if (tables) {                        /* pte_alloc and friends for the child */
    kstep_begin(k, EV_S_PT_ALLOC, 0);
    kstep_end(k, tables, tables);
  }
  kstep_end(k, copied > 0 ? (uint64_t)copied : 0, copied > 0 ? (uint64_t)copied : 0);
  if (copied < 0) { mm_put(k, child); return NULL; }
  pv_pin_tree(k, child, EV_S_FORK_ARCH_DUP_MMAP);   /* arch_dup_mmap: xen_dup_mmap */
  kstep_begin(k, EV_S_FORK_FLUSH_TLB, 0);
  guest_flush_tlb(k);      /* the parent lost write access to its pages */
  kstep_end(k, 0, 1);
  return child;
}

/* ---- exit_mmap ---- */

/* unmap_vmas: every present PTE of every VMA cleared and its page's
 * reference dropped, one descent per page table (zap_pte_range).  The
 * full teardown's clear is a plain store even under paravirtualized
 * paging (native_local_ptep_get_and_clear): Xen has unpinned the tables
 * first; a shadowing hypervisor traps it like any store to a guest table. */
static uint64_t unmap_vmas(struct kernel *k, struct mm *mm) {
  uint64_t pages = 0;
  for (int i = 0; i < mm->nvmas; i++) {
    const struct vma *v = &mm->vmas[i];
    uint64_t region = ~0ull, tab = 0;
    for (uint64_t va = v->start; va < v->end;) {
      uint64_t cyc = 0, epa, e;
      if (va >> 21 != region) {
        int level;
        epa = kpt_descend(k, mm, va, 1, false, &level, NULL, &cyc);
        if (!epa) { va = pt_hole_end(k, mm, va); continue; }
        e = kread64(k, epa, &cyc);
        if (level == 2) {                /* a 2M leaf (THP) */
          if ((e & PTE_P) && (e & PTE_PS)) {
            kwrite_pte(k, epa, 0, 2, &cyc);
            uint64_t base = e & PTE_ADDR & ~0x1fffffull;
            for (int f = 0; f < 512; f++) frame_put(k, base + (uint64_t)f * PAGE);
            pages += 512;
            mm->rss_pages = mm->rss_pages > 512 ? mm->rss_pages - 512 : 0;
          }
          va = ((va >> 21) + 1) << 21;
          continue;
        }
        region = va >> 21;
        tab = epa & PAGE_MASK;
      } else {
        epa = pt_entry_pa(tab, va, 1);
        e = kread64(k, epa, &cyc);
      }
      if (pte_mapped(e)) {
        kwrite_pte(k, epa, 0, 1, &cyc);
        frame_put(k, e & PTE_ADDR);
        if (mm->rss_pages) mm->rss_pages--;
        pages++;
      }
      va += PAGE;
    }
  }
  return pages;
}

/* The last user of mm leaves (exit, or exec replacing it): exit_mmap's
 * steps, then mm_put frees the tables and the VMAs. */
void mm_exit_mmap(struct kernel *k, struct mm *mm) {
  if (!mm || mm->refs != 1) return;   /* other users (threads, vfork): only the reference goes */
  uint64_t nv = (uint64_t)mm->nvmas, tables = mm->pt_pages ? mm->pt_pages - 1 : 0;   /* the top one stays to the end */
  kstep_begin(k, EV_S_EXIT_MM, 0);
  /* arch_exit_mmap: Xen PV unpins the whole tree first (xen_exit_mmap;
   * a replay does it on this step's record) */
  kstep_begin(k, EV_S_EXIT_ARCH_EXIT_MMAP, mm->pml4);
  if (k->hv->mode->pv_exit_mmap) k->hv->mode->pv_exit_mmap(k->hv, mm->pml4);
  kstep_end(k, mm->pt_pages, 1);
  kstep_begin(k, EV_S_EXIT_UNMAP, 0);
  uint64_t pages = unmap_vmas(k, mm);
  kstep_end(k, pages, pages);
  kstep_begin(k, EV_S_EXIT_FREE_PGTABLES, 0);
  kstep_end(k, tables, tables);
  kstep_begin(k, EV_S_EXIT_TLB_FINISH, 0);
  guest_flush_tlb(k);
  kstep_end(k, 0, 1);
  kstep_end(k, nv, nv);
}
