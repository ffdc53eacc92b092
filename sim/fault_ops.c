/* The guest_ops the fault-path modes call (hv-models/hv.h): the Linux
 * guest kernel's decisions and machine operations, each through the MMU
 * at the kernel's addresses and charged. */
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

/* guest.kernel_footprint: a kernel step fetches its code and touches its
 * stack at kernel addresses, so kernel work competes for the TLBs (and the
 * data caches) with the guest.  Step s's code sits at a fixed place in the
 * kernel text. */
uint64_t op_kernel_touch(void *kp, int s) {
  struct kernel *k = kp;
  if (!k->footprint) return 0;
  k->kacc_mute++;                    /* each mode's steps touch it: not recorded */
  uint64_t cyc = 0, span = KTEXT_PAGES * PAGE;
  for (uint64_t off = 0; off < k->footprint; off += 64) {
    uint64_t va = KTEXT_BASE + ((uint64_t)s * 8192 + off) % span;
    kaccess(k, va, ACC_F, &cyc);
  }
  uint64_t sp = k->kstack + ((uint64_t)s * 128) % PAGE;
  kaccess(k, kva(sp), ACC_W, &cyc);
  if (k->cpu->dcache) cyc += cache_access_range(k->cpu->dcache, sp, 64, true);
  k->kacc_mute--;
  return cyc;
}

/* ---- guest_ops for the fault-path modes ---- */

/* The PTE a forced access (FOLL_FORCE) installs keeps the VMA's
 * protection: not writable unless the VMA is (Linux's maybe_mkwrite), a
 * PROT_NONE page stays PROT_NONE (vm_page_prot). */
static uint64_t forced_flags(const struct kernel *k, const struct vma *v, uint64_t f) {
  if (!k->gup_force) return f;
  if (!(v->flags & VM_WRITE)) f &= ~PTE_W;
  if (!(v->flags & (VM_READ | VM_WRITE | VM_EXEC))) f = (f & ~PTE_P) | PTE_SW_PROTNONE;
  return f;
}

static uint64_t plan(struct kernel *k, uint64_t va, uint32_t err, struct fault_plan *p);
#define RLIMIT_STACK_ 3
#define STACK_GUARD_GAP (256 * PAGE)   /* mm/mmap.c stack_guard_gap */

/* the guest kernel's decision: recorded (a fault record), its outcome
 * when the mode's handler returns (record_fault_end) */
static uint64_t op_plan(void *kp, uint64_t va, uint32_t err, struct fault_plan *p) {
  struct kernel *k = kp;
  uint64_t cyc = plan(k, va, err, p);
  k->smp.plan_kind = (int)p->kind;
  if (k->rec) {
    rec_put(k, FLTR_K_FAULT, va, err, (uint64_t)p->kind | (p->copy ? 64u : 0u) | (p->stack_grow ? 128u : 0u),
            rec_rot(p->pte_flags));
    k->rec_fault_open = true;
    k->rec_fault_frame = 0;
  }
  return cyc;
}

static uint64_t plan(struct kernel *k, uint64_t va, uint32_t err, struct fault_plan *p) {
  struct mm *mm = k->mm;
  uint64_t cyc = 0;
  memset(p, 0, sizeof *p);
  p->va = va;
  p->page = va & PAGE_MASK;
  p->write = err & PFEC_W;
  p->fetch = err & PFEC_I;
  p->user = err & PFEC_U;
  struct vma *v = va < TASK_SIZE ? vma_find(mm, va) : NULL;
  if (!v && va < TASK_SIZE) {
    /* expand_stack: the main stack down to its limit; any other
     * MAP_GROWSDOWN mapping (a thread's stack) by up to RLIMIT_STACK below
     * its top; neither within stack_guard_gap (256 pages) of the mapping
     * below it */
    struct vma *n = vma_next(mm, va);
    if (n && (n->flags & VM_GROWSDOWN)) {
      uint64_t page = va & PAGE_MASK, rl = k->tg->rlim[RLIMIT_STACK_].cur;
      uint64_t lim = n->end == STACK_TOP ? mm->stack_limit : n->end > rl ? n->end - rl : 0;
      struct vma *below = n > mm->vmas ? n - 1 : NULL;
      bool gap = !below || page >= below->end + STACK_GUARD_GAP;
      if (va >= lim && gap) {
        n->start = page;
        p->stack_grow = true;
        v = n;
      }
    }
  }
  if (!v) { p->kind = FK_SEGV_MAPERR; return cyc; }
  p->vma = v;
  /* a forced access (check_vma_flags with FOLL_FORCE) may read any
   * mapping and write a private one the VMA does not let it write */
  bool force = k->gup_force;
  if ((p->write && !(v->flags & VM_WRITE) && (!force || (v->flags & VM_SHARED))) ||
      (p->fetch && !(v->flags & VM_EXEC)) || (!force && !(v->flags & (VM_READ | VM_WRITE | VM_EXEC)))) {
    p->kind = FK_SEGV_ACCERR;
    return cyc;
  }
  uint64_t leaf = 0;
  uint64_t e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
  uint32_t uflags = 0;
  int ukind;
  if ((e & PTE_P) && p->write && (e & PTE_UFFD_WP) && v->uffd &&
      (ukind = uffd_fault_kind(k, v, va, p->user && !force, true, true, &uflags))) {
    p->kind = ukind;                     /* write-protected through a userfaultfd */
    p->pte_flags = uflags;
    return cyc;
  }
  if ((e & PTE_P) || (force && pte_mapped(e))) {
    bool ok = (!p->write || (e & PTE_W)) && (!p->fetch || !(e & PTE_NX));
    if (ok) { p->kind = FK_SPURIOUS; return cyc; }
    /* write to a present read-only page (a writable VMA, or a forced write) */
    uint64_t pa = e & PTE_ADDR;
    p->old_pa = pa;
    p->pte_flags = forced_flags(k, v, pte_flags_for(v->flags, true));
    /* a shared mapping writes the page it maps (the file's, or the shared
     * anonymous frame): never a copy */
    if (!(v->flags & VM_SHARED) && !page_anon_exclusive(k, v, va, e)) {
      p->kind = FK_COW;
      v->flags |= VM_ANON_VMA;
    } else {
      p->kind = FK_WRITE_UPGRADE;
    }
    return cyc;
  }
  if (!v->file && v->uffd && !pte_mapped(e) &&
      (ukind = uffd_fault_kind(k, v, va, p->user && !force, p->write, false, &uflags))) {
    p->kind = ukind;                     /* a missing page of a userfaultfd's range */
    p->pte_flags = uflags;
    return cyc;
  }
  if (!v->file) {
    /* transparent huge pages (guest.thp: 0 never, 1 madvise, 2 always):
     * a write fault in a 2M-aligned range wholly inside the VMA whose PMD
     * is empty (Linux maps the huge zero page on reads; we use the 4K
     * path for reads) */
    uint8_t thp = k->policy.thp;
    if (k->hv->mode->no_pse) thp = 0;   /* no PSE: Linux offers no THP */
    uint64_t hs = va & ~0x1fffffull;
    if (p->write && !(v->flags & VM_SHARED) && hs >= v->start && hs + 0x200000 <= v->end &&
        ((thp == 2 && !(v->flags & VM_NOHUGEPAGE)) || (thp == 1 && (v->flags & VM_HUGEPAGE)))) {
      int level;
      uint64_t pmd = kpt_descend(k, mm, va, 2, false, &level, NULL, &cyc);
      bool empty = !pmd || (level == 2 && !(kread64(k, pmd, &cyc) & PTE_P));
      if (empty) {
        p->kind = FK_THP;
        p->page = hs;
        p->pte_flags = forced_flags(k, v, pte_flags_for(v->flags, true)) | PTE_PS;
        v->flags |= VM_ANON_VMA;
        return cyc;
      }
    }
    /* shared anonymous memory is one object: a read maps its own frame,
     * never the zero page (whose later copy would not be shared) */
    bool zp = !p->write && k->policy.zero_page && !(v->flags & VM_SHARED);
    p->kind = zp ? FK_ANON_ZERO_PAGE : FK_ANON_NEW;
    p->pte_flags = forced_flags(k, v, pte_flags_for(v->flags, !zp && (v->flags & VM_WRITE)));
    if (zp) p->pte_flags &= ~(PTE_W | PTE_D);
    else if (!(v->flags & VM_SHARED) && p->write) v->flags |= VM_ANON_VMA;   /* anon_vma_prepare (a write) */
    return cyc;
  }
  if (v->flags & VM_HUGETLB) {
    /* hugetlb_no_page: the file's page or a new one from the pool, mapped
     * by one 2M leaf; none to be had is SIGBUS */
    bool fresh;
    uint64_t src, pa = hugetlb_fault_page(k, v, va, &fresh, &src);
    if (!pa) { p->kind = FK_SIGBUS; return cyc; }
    k->hp.pick = true;
    k->hp.pick_pa = pa;
    k->hp.pick_fresh = fresh;
    k->hp.pick_src = src;
    p->kind = FK_THP;
    p->page = va & ~(HPAGE - 1);
    p->pte_flags = forced_flags(k, v, pte_flags_for(v->flags, v->flags & VM_WRITE)) | PTE_PS;
    return cyc;
  }
  /* beyond the end of the file (the page holding EOF still maps): SIGBUS,
   * as Linux's filemap_fault; ELF segments' zero-filled tails are not */
  uint64_t fsz = host_file_size(v->file);
  if (!v->file_end && v->file_off + (p->page - v->start) >= ((fsz + PAGE - 1) & PAGE_MASK)) {
    p->kind = FK_SIGBUS;
    return cyc;
  }
  p->kind = FK_FILE;
  /* Private mappings map the page-cache page read-only (a later write
   * copies it: COW); a write fault on a private mapping copies at once
   * (do_cow_fault); shared mappings map the cache page itself. */
  bool shared = v->flags & VM_SHARED;
  p->copy = p->write && !shared;
  if (p->copy) v->flags |= VM_ANON_VMA;
  bool w = p->write && (v->flags & VM_WRITE);
  p->pte_flags = forced_flags(k, v, pte_flags_for(v->flags, w));
  if (!w && (v->flags & VM_WRITE) && !shared) p->pte_flags |= PTE_SW_PAGECACHE;
  return cyc;
}

/* Is this page of the VMA backed whole by the file (so the page cache can
 * serve it)?  ELF segments whose file part ends mid-page get a private
 * zero-tailed copy instead. */
static bool page_cacheable(const struct vma *v, uint64_t page, uint64_t file_size) {
  if (v->file_end && page + PAGE > v->file_end) return false;
  uint64_t off = v->file_off + (page - v->start);
  return off < file_size;
}

static void fill_private(struct kernel *k, const struct vma *v, uint64_t page, uint64_t pa, uint64_t *cyc) {
  uint8_t *h = kaccess(k, kva(pa), ACC_W, cyc);
  memset(h, 0, PAGE);
  uint64_t off = v->file_off + (page - v->start);
  uint64_t want = PAGE;
  if (v->file_end && page + PAGE > v->file_end)
    want = v->file_end > page ? v->file_end - page : 0;
  size_t got = 0;
  while (got < want) {
    ssize_t r = pread(v->file->fd, h + got, want - got, (off_t)(off + got));
    if (r <= 0) break;
    got += (size_t)r;
  }
}

static uint64_t op_file_page(void *kp, const struct fault_plan *p, uint64_t *pa, bool *hit) {
  struct kernel *k = kp;
  struct vma *v = p->vma;
  uint64_t cyc = 0;
  *hit = false;
  k->pc_device_read = false;
  if (!page_cacheable(v, p->page, host_file_size(v->file))) {
    *pa = frame_alloc(k);
    if (!*pa) return 0;
    fill_private(k, v, p->page, *pa, &cyc);
    /* an ELF segment's partial page: Linux's is the cache page, made
     * anonymous when its bss tail is zeroed (writable segments) */
    if (v->flags & VM_WRITE) v->flags |= VM_ANON_VMA;
    k->mm->rss_pages++;
    return cyc;
  }
  uint64_t pgoff = (v->file_off + (p->page - v->start)) / PAGE;
  *pa = pc_lookup(k, v->file, pgoff);
  bool warm = k->policy.page_cache_warm;
  if (*pa) { *hit = true; k->pc_hits++; }
  else {
    *pa = pc_fill(k, v->file, pgoff);
    if (!*pa) return 0;
    k->pc_misses++;
    *hit = warm;     /* a warm cache had it already: no device read */
    if (!warm) {
      k->pc_device_read = true;
      cyc += k->policy.io_read_latency;
      /* readahead: the following pages of the file come in with it */
      uint64_t ra = k->policy.readahead_bytes / PAGE;
      for (uint64_t i = 1; i < ra && (pgoff + i) * PAGE < v->file->size; i++)
        if (!pc_lookup(k, v->file, pgoff + i) && !pc_fill(k, v->file, pgoff + i)) break;
    }
  }
  k->frame_refs[*pa >> 12]++;
  k->mm->rss_pages++;
  if ((v->flags & VM_SHARED) && (v->flags & VM_WRITE)) pc_mark_shared(k, v->file, pgoff);
  return cyc;
}

static uint64_t op_fault_around(void *kp, const struct fault_plan *p, int *n) {
  struct kernel *k = kp;
  const struct vma *v = p->vma;
  uint64_t fab = k->policy.fault_around_bytes;
  uint64_t cyc = 0;
  *n = 0;
  if (fab <= PAGE || k->gup_force) return 0;   /* a forced read (PROT_NONE too) maps no neighbours */
  bool warm = k->policy.page_cache_warm;
  /* the window: fault_around_bytes aligned, inside the VMA and the same
   * page table (filemap_map_pages never crosses a PMD) */
  uint64_t start = p->va & ~(fab - 1), end = start + fab;
  uint64_t pmd = p->va & ~((1ull << 21) - 1);
  if (start < v->start) start = v->start;
  if (start < pmd) start = pmd;
  if (end > v->end) end = v->end;
  if (end > pmd + (1ull << 21)) end = pmd + (1ull << 21);
  uint64_t flags = pte_flags_for(v->flags, false);
  if ((v->flags & VM_WRITE) && !(v->flags & VM_SHARED)) flags |= PTE_SW_PAGECACHE;
  uint64_t fsz = host_file_size(v->file);   /* once for the window */
  pv_batch(k, true);                 /* set_ptes: lazy MMU mode (Linux 6.x) */
  for (uint64_t va = start; va < end; va += PAGE) {
    if (va == p->page || !page_cacheable(v, va, fsz)) continue;
    uint64_t leaf = 0;
    uint64_t e = pte_lookup(k, k->mm, va, &leaf, &cyc);
    if ((e & PTE_P) || !leaf) continue;
    uint64_t pgoff = (v->file_off + (va - v->start)) / PAGE;
    uint64_t pa = pc_lookup(k, v->file, pgoff);
    if (!pa && warm) pa = pc_fill(k, v->file, pgoff);
    if (!pa) continue;
    if ((v->flags & VM_SHARED) && (v->flags & VM_WRITE)) pc_mark_shared(k, v->file, pgoff);
    k->frame_refs[pa >> 12]++;
    k->mm->rss_pages++;
    kwrite_pte(k, leaf, pa | flags, 1, &cyc);
    (*n)++;
  }
  pv_batch(k, false);
  k->fault_around_pages += (uint64_t)*n;
  return cyc;
}

uint64_t op_ensure_tables(void *kp, uint64_t va, uint64_t *leaf_pa, int *newt) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
  int level;
  uint64_t epa = kpt_descend(k, k->mm, va, 1, true, &level, newt, &cyc);
  *leaf_pa = level == 1 ? epa : 0;   /* a huge leaf is split by the plan first */
  return cyc;
}

static uint64_t op_alloc_frame(void *kp, uint64_t *pa) {
  struct kernel *k = kp;
  *pa = frame_alloc(k);
  if (*pa) k->mm->rss_pages++;
  return 0;
}
uint64_t op_zero_frame(void *kp, uint64_t pa) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
  rec_frame(k, REC_FRAME_ZERO, pa, 0);
  memset(kaccess(k, kva(pa), ACC_W, &cyc), 0, PAGE);
  /* the stores go through the data-cache model (clear_page) */
  if (k->cpu->dcache) cyc += cache_access_range(k->cpu->dcache, pa, PAGE, true);
  return cyc;
}
static uint64_t op_copy_frame(void *kp, uint64_t dst, uint64_t src) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
  rec_frame(k, REC_FRAME_COPY, dst, src);
  uint8_t *d = kaccess(k, kva(dst), ACC_W, &cyc);
  uint8_t *s = kaccess(k, kva(src), 0, &cyc);
  memcpy(d, s, PAGE);
  if (k->cpu->dcache)
    cyc += cache_access_range(k->cpu->dcache, src, PAGE, false) +
           cache_access_range(k->cpu->dcache, dst, PAGE, true);
  return cyc;
}
static uint64_t op_zero_page_pa(void *kp) { return ((struct kernel *)kp)->zero_page; }
static uint64_t op_write_pte(void *kp, uint64_t leaf_pa, uint64_t pte) {
  uint64_t cyc = 0;
  kwrite_pte(kp, leaf_pa, pte, 1, &cyc);
  return cyc;
}
static uint64_t op_invlpg(void *kp, uint64_t va) {
  struct kernel *k = kp;
  fault_flush_local(k, 1);             /* (a permission upgrade: this vCPU only) */
  flush_user_va(k, va);
  fault_flush_local(k, -1);
  return 0;
}
static void op_release(void *kp, uint64_t pa) {
  struct kernel *k = kp;
  frame_put(k, pa);
  if (k->mm->rss_pages) k->mm->rss_pages--;
}

/* 512 contiguous, 2M-aligned frames from the never-used part of RAM (the
 * skipped frames go to the free list); 0 when there is no such run. */
uint64_t frames_alloc_2m(struct kernel *k) {
  uint64_t base = (k->next_frame + 0x1fffff) & ~0x1fffffull;
  if (base + 0x200000 > k->mem->ram_bytes) return 0;
  while (k->next_frame < base) {        /* the alignment gap stays usable */
    uint64_t f = k->next_frame;
    k->next_frame += PAGE;
    k->frames_used++;
    k->frame_refs[f >> 12] = 1;
    frame_put(k, f);
  }
  k->next_frame = base + 0x200000;
  for (uint64_t f = base; f < base + 0x200000; f += PAGE) {
    k->frame_refs[f >> 12] = 1;
    cpu_invalidate_frame(k->cpu, f);
  }
  if (k->hv->mode->frame_owner) k->hv->mode->frame_owner(k->hv, base, 512, true);
  k->frames_used += 512;
  return base;
}

static uint64_t op_thp_alloc(void *kp, uint64_t *pa) {
  struct kernel *k = kp;
  if (k->hp.pick) {                     /* a hugetlb fault: the page its plan took */
    *pa = k->hp.pick_pa;
    k->mm->rss_pages += 512;
    return 0;
  }
  *pa = frames_alloc_2m(k);
  if (!*pa) return 0;
  k->mm->rss_pages += 512;
  k->thp_pages++;
  rec_frame(k, REC_FRAME_RUN, *pa, 0);
  return 0;
}

static uint64_t op_thp_zero(void *kp, uint64_t pa) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
  if (k->hp.pick && !k->hp.pick_fresh) {
    /* a hugetlb page: the file's (nothing to do), or a private copy of it */
    for (uint64_t off = 0; k->hp.pick_src && off < HPAGE; off += PAGE) cyc += op_copy_frame(kp, pa + off, k->hp.pick_src + off);
    return cyc;
  }
  for (uint64_t off = 0; off < 0x200000; off += PAGE) cyc += op_zero_frame(kp, pa + off);
  return cyc;
}

static uint64_t op_thp_map(void *kp, const struct fault_plan *p, uint64_t pa) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
  int level;
  bool huge = k->hp.pick;
  k->hp.pick = false;
  bool pse = !k->hv->mode->no_pse;
  uint64_t pmd = pse ? kpt_descend(k, k->mm, p->va, 2, true, &level, NULL, &cyc) : 0;
  if (pmd && level == 2 && !(huge && (kread64(k, pmd, &cyc) & PTE_P))) {
    kwrite_pte(k, pmd, pa | p->pte_flags, 2, &cyc);
    return cyc;
  }
  if (!huge) return cyc;
  /* a hugetlb page where a page table already is (or no PSE): its 512
   * frames by 4K entries */
  for (uint64_t off = 0; off < HPAGE; off += PAGE) {
    uint64_t leaf = 0;
    int newt;
    cyc += op_ensure_tables(k, (p->va & ~(HPAGE - 1)) + off, &leaf, &newt);
    if (leaf && !(kread64(k, leaf, &cyc) & PTE_P)) kwrite_pte(k, leaf, (pa + off) | (p->pte_flags & ~PTE_PS), 1, &cyc);
  }
  return cyc;
}

/* The vkernel's prefault heuristic (vkernel.prefault): the next n pages
 * of the VMA that have no PTE get a zeroed frame and a writable PTE whose
 * dirty bit is clear (nothing has written them yet). */
static uint64_t op_prefault_anon(void *kp, const struct fault_plan *p, int n, int *done) {
  struct kernel *k = kp;
  const struct vma *v = p->vma;
  uint64_t cyc = 0;
  *done = 0;
  if (!v || v->file || !(v->flags & VM_WRITE)) return 0;
  uint64_t flags = pte_flags_for(v->flags, true) & ~PTE_D;
  for (uint64_t va = p->page + PAGE; va < v->end && *done < n; va += PAGE) {
    if ((va & 0x1fffff) == 0) break;            /* stay inside this page table */
    uint64_t leaf = 0;
    uint64_t e = pte_lookup(k, k->mm, va, &leaf, &cyc);
    if ((e & PTE_P) || !leaf) break;
    uint64_t pa = frame_alloc(k);
    if (!pa) break;
    k->mm->rss_pages++;
    cyc += op_zero_frame(k, pa) + k->policy.frame_zero_cost;
    kwrite_pte(k, leaf, pa | flags, 1, &cyc);
    (*done)++;
  }
  return cyc;
}

/* kpti_enter/kpti_exit take a struct kernel *: calling them through a
 * pointer of another type is undefined behaviour, hence these wrappers */
static uint64_t op_entry_switch(void *kp) { return kpti_enter(kp); }
static uint64_t op_exit_switch(void *kp) { return kpti_exit(kp); }

/* accesses a mode makes through the guest kernel (Xen PV's P2M and M2P
 * lookups, a bounce frame): the mode's, not the guest kernel's own, so
 * not recorded (a replay's mode makes them again) */
static uint64_t op_read64(void *kp, uint64_t pa, uint64_t *cyc) {
  struct kernel *k = kp;
  k->kacc_mute++;
  uint64_t v = kread64(k, pa, cyc);
  k->kacc_mute--;
  return v;
}
static void op_write64(void *kp, uint64_t pa, uint64_t v, uint64_t *cyc) {
  struct kernel *k = kp;
  k->kacc_mute++;
  memcpy(kaccess(k, kva(pa), ACC_W, cyc), &v, 8);
  k->kacc_mute--;
}
static uint64_t op_kstack_pa(void *kp) { return ((struct kernel *)kp)->kstack; }
static uint64_t op_kva(void *kp, uint64_t pa) { (void)kp; return kva(pa); }

/* ---- the decisions as the modes call them: each ends with a kop record
 * (traces/FORMAT.md "Fault operations"), so that a replay knows which
 * records were whose work and what each decided ---- */
static inline void kop(struct kernel *k, int op, uint64_t a, uint64_t b) {
  rec_put(k, FLTR_K_KOP, (uint64_t)op, a, b, 0);
}
static uint64_t gop_ensure_tables(void *kp, uint64_t va, uint64_t *leaf_pa, int *newt) {
  uint64_t c = op_ensure_tables(kp, va, leaf_pa, newt);
  kop(kp, FLTR_KOP_ENSURE_TABLES, *leaf_pa, (uint64_t)*newt);
  return c;
}
static uint64_t gop_alloc_frame(void *kp, uint64_t *pa) {
  uint64_t c = op_alloc_frame(kp, pa);
  kop(kp, FLTR_KOP_ALLOC_FRAME, *pa, 0);
  return c;
}
static uint64_t gop_zero_frame(void *kp, uint64_t pa) {
  uint64_t c = op_zero_frame(kp, pa);
  kop(kp, FLTR_KOP_ZERO_FRAME, 0, 0);
  return c;
}
static uint64_t gop_file_page(void *kp, const struct fault_plan *p, uint64_t *pa, bool *hit) {
  struct kernel *k = kp;
  uint64_t c = op_file_page(kp, p, pa, hit);
  kop(k, FLTR_KOP_FILE_PAGE, *pa, (*hit ? 1u : 0u) | (k->pc_device_read ? 2u : 0u));
  return c;
}
static uint64_t gop_fault_around(void *kp, const struct fault_plan *p, int *n) {
  uint64_t c = op_fault_around(kp, p, n);
  kop(kp, FLTR_KOP_FAULT_AROUND, 0, (uint64_t)*n);
  return c;
}
static uint64_t gop_copy_frame(void *kp, uint64_t dst, uint64_t src) {
  uint64_t c = op_copy_frame(kp, dst, src);
  kop(kp, FLTR_KOP_COPY_FRAME, 0, 0);
  return c;
}
static uint64_t gop_zero_page_pa(void *kp) {
  uint64_t pa = op_zero_page_pa(kp);
  kop(kp, FLTR_KOP_ZERO_PAGE, pa, 0);
  return pa;
}
static uint64_t gop_write_pte(void *kp, uint64_t leaf_pa, uint64_t pte) {
  uint64_t c = op_write_pte(kp, leaf_pa, pte);
  kop(kp, FLTR_KOP_WRITE_PTE, 0, 0);
  return c;
}
static uint64_t gop_invlpg(void *kp, uint64_t va) {
  uint64_t c = op_invlpg(kp, va);
  kop(kp, FLTR_KOP_INVLPG, 0, 0);
  return c;
}
static void gop_release(void *kp, uint64_t pa) {
  op_release(kp, pa);
  kop(kp, FLTR_KOP_RELEASE_FRAME, 0, 0);
}
static uint64_t gop_thp_alloc(void *kp, uint64_t *pa) {
  uint64_t c = op_thp_alloc(kp, pa);
  kop(kp, FLTR_KOP_THP_ALLOC, *pa, 0);
  return c;
}
static uint64_t gop_thp_zero(void *kp, uint64_t pa) {
  uint64_t c = op_thp_zero(kp, pa);
  kop(kp, FLTR_KOP_THP_ZERO, 0, 0);
  return c;
}
static uint64_t gop_thp_map(void *kp, const struct fault_plan *p, uint64_t pa) {
  uint64_t c = op_thp_map(kp, p, pa);
  kop(kp, FLTR_KOP_THP_MAP, 0, 0);
  return c;
}
static uint64_t gop_prefault_anon(void *kp, const struct fault_plan *p, int n, int *done) {
  uint64_t c = op_prefault_anon(kp, p, n, done);
  kop(kp, FLTR_KOP_PREFAULT_ANON, 0, (uint64_t)*done);
  return c;
}

void guest_ops_fill(struct kernel *k, struct guest_ops *o) {
  o->read64 = op_read64;
  o->write64 = op_write64;
  o->direct_map_base = PHYSMAP_BASE;
  o->kernel_text_base = KTEXT_BASE;
  o->prefault_anon = gop_prefault_anon;
  o->kstack_pa = op_kstack_pa;
  o->kva = op_kva;
  o->kernel_touch = op_kernel_touch;
  o->thp_alloc = gop_thp_alloc;
  o->thp_zero = gop_thp_zero;
  o->thp_map = gop_thp_map;
  o->k = k;
  o->plan = op_plan;
  o->ensure_tables = gop_ensure_tables;
  o->alloc_frame = gop_alloc_frame;
  o->zero_frame = gop_zero_frame;
  o->file_page = gop_file_page;
  o->fault_around = gop_fault_around;
  o->copy_frame = gop_copy_frame;
  o->zero_page_pa = gop_zero_page_pa;
  o->write_pte = gop_write_pte;
  o->invlpg = gop_invlpg;
  o->release_frame = gop_release;
  o->entry_switch = op_entry_switch;
  o->exit_switch = op_exit_switch;
}

