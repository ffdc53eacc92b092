/* Guest memory management: frames, address spaces and their page tables
 * in machine memory, VMAs, munmap/mprotect/mremap, fork. */
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

/* ---- frames ---- */
uint64_t frame_alloc(struct kernel *k) {
  uint64_t pa;
  if (!k->nfree && k->next_frame + PAGE > k->mem->ram_bytes)
    pc_reclaim(k, 256);     /* --mem exhausted: drop clean page-cache pages */
  if (k->nfree) pa = k->free_frames[--k->nfree];
  else if (k->next_frame + PAGE <= k->mem->ram_bytes) { pa = k->next_frame; k->next_frame += PAGE; }
  else return 0;
  k->frame_refs[pa >> 12] = 1;
  k->frames_used++;
  cpu_invalidate_frame(k->cpu, pa);
  rec_frame(k, REC_FRAME_ALLOC, pa, 0);
  if (k->hv->mode && k->hv->mode->frame_owner) k->hv->mode->frame_owner(k->hv, pa, 1, true);
  return pa;
}
void frame_put(struct kernel *k, uint64_t pa) {
  if (!pa || pa == k->zero_page) return;
  uint16_t *r = &k->frame_refs[pa >> 12];
  if (*r == 0) return;
  if (--*r) return;
  rec_frame(k, REC_FRAME_FREE, pa, 0);
  cpu_invalidate_frame(k->cpu, pa);
  if (k->hv->mode->frame_owner) k->hv->mode->frame_owner(k->hv, pa, 1, false);
  if (k->nfree == k->free_cap) {
    k->free_cap = k->free_cap ? k->free_cap * 2 : 4096;
    k->free_frames = realloc(k->free_frames, k->free_cap * sizeof *k->free_frames);
  }
  k->free_frames[k->nfree++] = pa;
  k->frames_used--;
}

uint64_t kernel_frame_alloc(struct kernel *k) { return frame_alloc(k); }
void kernel_frame_put(struct kernel *k, uint64_t pa) { frame_put(k, pa); }

int kernel_mem_init(struct kernel *k) {
  uint64_t nframes = (k->mem->ram_bytes + k->mem->pool_bytes) >> 12;
  k->frame_refs = calloc(nframes, sizeof *k->frame_refs);
  if (!k->frame_refs) return -1;
  k->next_frame = PAGE;   /* frame 0 stays unused */
  /* kernel direct map: 1 GiB supervisor pages over all machine memory */
  k->kpdpt = mem_pool_alloc(k->mem);
  if (!k->kpdpt) return -1;
  uint64_t total = k->mem->ram_bytes + k->mem->pool_bytes;
  uint64_t *pdpt = (uint64_t *)mem_host(k->mem, k->kpdpt);
  for (uint64_t i = 0; i < 512 && (i << 30) < total; i++)
    pdpt[i] = (i << 30) | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D | (k->kpti || k->hv->mode->no_global ? 0 : PTE_G) | PTE_NX;
  /* kernel text, 4K pages at KTEXT_BASE (PML4 511 / PDPT 510 / PD 8), and a
   * kernel stack frame: what kernel work touches when
   * guest.kernel_footprint > 0 */
  k->ktext_pdpt = mem_pool_alloc(k->mem);
  uint64_t pd = mem_pool_alloc(k->mem), pt = mem_pool_alloc(k->mem);
  k->kstack = mem_pool_alloc(k->mem);
  if (!k->ktext_pdpt || !pd || !pt || !k->kstack) return -1;
  ((uint64_t *)mem_host(k->mem, k->ktext_pdpt))[pt_index(KTEXT_BASE, 3)] = pd | PTE_P | PTE_W | PTE_A;
  ((uint64_t *)mem_host(k->mem, pd))[pt_index(KTEXT_BASE, 2)] = pt | PTE_P | PTE_W | PTE_A;
  for (int i = 0; i < KTEXT_PAGES; i++) {
    uint64_t f = mem_pool_alloc(k->mem);
    if (!f) return -1;
    ((uint64_t *)mem_host(k->mem, pt))[i] = f | PTE_P | PTE_A | (k->kpti || k->hv->mode->no_global ? 0 : PTE_G);
  }
  k->zero_page = frame_alloc(k);
  if (!k->zero_page) return -1;
  k->frame_refs[k->zero_page >> 12] = 0xffff;
  return 0;
}

/* exec and the first process: pinned at activate_mm (mm_activate, called
 * by the loader where exec_mmap runs) */
struct mm *mm_new(struct kernel *k) { return mm_new_as(k, false); }

/* pin: a paravirtualized mode learns of the top table now; otherwise the
 * tables are plain memory until the whole tree is pinned: a fork's child
 * at the end of dup_mmap, a new image at activate_mm (mm_fork.c) */
struct mm *mm_new_as(struct kernel *k, bool pin) {
  struct mm *mm = calloc(1, sizeof *mm);
  mm->refs = 1;
  mm->pml4 = frame_alloc(k);
  if (!mm->pml4) { free(mm); return NULL; }
  /* share the kernel half: PML4 entry 273 covers PHYSMAP_BASE, 511 the
   * kernel text.  Before the first CR3 load (boot) the writes are
   * physical; afterwards through the direct map like any kernel store. */
  uint64_t e273 = k->kpdpt | PTE_P | PTE_W | PTE_A, e511 = k->ktext_pdpt | PTE_P | PTE_W | PTE_A;
  if (!k->cpu->ctl.cr3) {
    memset(mem_host(k->mem, mm->pml4), 0, PAGE);
    ((uint64_t *)mem_host(k->mem, mm->pml4))[pt_index(PHYSMAP_BASE, 4)] = e273;
    ((uint64_t *)mem_host(k->mem, mm->pml4))[pt_index(KTEXT_BASE, 4)] = e511;
    rec_pte(k, pt_entry_pa(mm->pml4, PHYSMAP_BASE, 4), e273, 4, true);
    rec_pte(k, pt_entry_pa(mm->pml4, KTEXT_BASE, 4), e511, 4, true);
  } else {
    uint64_t cyc = 0;
    memset(kaccess(k, kva(mm->pml4), ACC_W, &cyc), 0, PAGE);
    kwrite_pte(k, pt_entry_pa(mm->pml4, PHYSMAP_BASE, 4), e273, 4, &cyc);
    kwrite_pte(k, pt_entry_pa(mm->pml4, KTEXT_BASE, 4), e511, 4, &cyc);
  }
  if (pin) pv_new_table(k, mm->pml4, 4);      /* Xen PV: pinned as an L4 */
  else pt_new_plain(k, mm->pml4, 4);
  mm->pv_pinned = pin;
  mm->pt_pages = 1;
  k->pt_pages_allocated++;
  mm->mmap_base = MMAP_BASE;
  mm->dump_filter = DUMP_FILTER_DEFAULT;
  mm->id = ++k->next_mm_id;
  rec_put(k, FLTR_K_MM_NEW, mm->id, mm->pml4 >> 12, 0, 0);
  return mm;
}

void free_tables(struct kernel *k, uint64_t table, int level) {
  uint64_t *t = (uint64_t *)mem_host(k->mem, table);
  int lim = level == 4 ? 256 : 512;     /* user half only at the top */
  for (int i = 0; i < lim; i++) {
    if (level == 1 ? !pte_mapped(t[i]) : !(t[i] & PTE_P)) continue;
    uint64_t pa = t[i] & PTE_ADDR;
    if (level > 1 && !(t[i] & PTE_PS)) free_tables(k, pa, level - 1);
    else if (level == 1) frame_put(k, pa);
    else if (level == 2) for (int f = 0; f < 512; f++) frame_put(k, (pa & ~0x1fffffull) + (uint64_t)f * PAGE);
  }
  frame_put(k, table);
}

void mm_put(struct kernel *k, struct mm *mm) {
  if (!mm || --mm->refs) return;
  rec_put(k, FLTR_K_MM_FREE, mm->id, 0, 0, 0);
  if (k->hv->mode->pv_pt_free) k->hv->mode->pv_pt_free(k->hv, mm->pml4);
  free_tables(k, mm->pml4, 4);
  for (int i = 0; i < mm->nvmas; i++) {
    hugetlb_vma_close(k, &mm->vmas[i]);
    host_file_put(k, mm->vmas[i].file);
  }
  free(mm->vmas ? mm->vmas - mm->front : NULL);
  attrib_put_symbols(mm->syms);
  free(mm);
}

/* ---- VMAs ---- */
struct vma *vma_find(struct mm *mm, uint64_t va) {
  int lo = 0, hi = mm->nvmas - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    struct vma *v = &mm->vmas[mid];
    if (va < v->start) hi = mid - 1;
    else if (va >= v->end) lo = mid + 1;
    else return v;
  }
  return NULL;
}

struct vma *vma_next(struct mm *mm, uint64_t va) {
  for (int i = 0; i < mm->nvmas; i++)
    if (mm->vmas[i].start > va) return &mm->vmas[i];
  return NULL;
}

/* The VMA array has free slots at both ends (mm->front before vmas[0],
 * the rest after): an insertion or removal moves the shorter side, so
 * mappings added below all others (mmap's top-down order) cost little
 * however many there are.  Indices of the other VMAs do not change. */
static bool vmas_room(struct mm *mm, bool front) {
  if (front ? mm->front > 0 : mm->front + mm->nvmas < mm->cap) return true;
  int cap = mm->cap ? mm->cap * 2 : 16;
  struct vma *base = malloc((size_t)cap * sizeof *base);
  if (!base) return false;
  int nfront = (cap - mm->nvmas) / 2;
  if (mm->nvmas) memcpy(base + nfront, mm->vmas, (size_t)mm->nvmas * sizeof *base);
  free(mm->vmas ? mm->vmas - mm->front : NULL);
  mm->vmas = base + nfront;
  mm->front = nfront;
  mm->cap = cap;
  return true;
}

struct vma *vma_insert(struct kernel *k, struct mm *mm, const struct vma *v) {
  (void)k;
  int pos = 0, hi = mm->nvmas;        /* the first VMA starting at or after v (binary search) */
  while (pos < hi) {
    int mid = (pos + hi) / 2;
    if (mm->vmas[mid].start < v->start) pos = mid + 1;
    else hi = mid;
  }
  bool front = pos < mm->nvmas - pos;
  if (!vmas_room(mm, front)) abort();  /* (out of host memory) */
  if (front) {
    mm->vmas--;
    mm->front--;
    memmove(&mm->vmas[0], &mm->vmas[1], (size_t)pos * sizeof *mm->vmas);
  } else {
    memmove(&mm->vmas[pos + 1], &mm->vmas[pos], (size_t)(mm->nvmas - pos) * sizeof *mm->vmas);
  }
  mm->vmas[pos] = *v;
  if (v->file) v->file->refs++;
  mm->nvmas++;
  return &mm->vmas[pos];
}

static void vma_remove_at(struct kernel *k, struct mm *mm, int idx) {
  struct vma *v = &mm->vmas[idx];
  mm->ff_len = 0;                    /* a gap may have grown */
  host_file_put(k, v->file);
  if (idx < mm->nvmas - idx - 1) {
    memmove(&mm->vmas[1], &mm->vmas[0], (size_t)idx * sizeof *mm->vmas);
    mm->vmas++;
    mm->front++;
  } else {
    memmove(&mm->vmas[idx], &mm->vmas[idx + 1], (size_t)(mm->nvmas - idx - 1) * sizeof *mm->vmas);
  }
  mm->nvmas--;
}

/* vm.overcommit_memory 1 (OVERCOMMIT_ALWAYS) never refuses */
bool vm_enough_memory(struct kernel *k, uint64_t pages) {
  return k->sysctl.overcommit_memory == 1 || pages <= k->mem->ram_bytes / PAGE;
}

/* Can b (right after a) be part of a?  Same flags, protection and name;
 * anonymous private memory (the model keeps no anon_vma itself: a VMA
 * without one joins one that has it unless that one's chain is not
 * singular — a fork's child's, VM_ANON_CLONED — as Linux's
 * is_mergeable_anon_vma; two that both have one are taken to be split
 * halves sharing it), or the same file object at contiguous offsets (the
 * halves of one mapping). */
static bool vma_mergeable(const struct vma *a, const struct vma *b) {
  const uint32_t anon = VM_ANON_VMA | VM_ANON_CLONED;
  if (a->end != b->start || (a->flags ^ b->flags) & ~anon || a->prot != b->prot || a->file_end || b->file_end ||
      a->uffd != b->uffd || a->uffd_mode != b->uffd_mode || strcmp(a->name, b->name))
    return false;
  if ((a->flags ^ b->flags) & VM_ANON_VMA && (a->flags | b->flags) & VM_ANON_CLONED) return false;
  if ((a->flags | b->flags) & VM_HUGETLB) return false;   /* hugetlbfs_file_mmap: VM_DONTEXPAND, never merged */
  if (!a->file && !b->file) return !(a->flags & VM_SHARED);
  return a->file == b->file && a->file_off + (a->end - a->start) == b->file_off;
}

void vma_merge_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end) {
  int i = 0;
  while (i < mm->nvmas && mm->vmas[i].end < start) i++;
  if (i > 0) i--;
  while (i + 1 < mm->nvmas && mm->vmas[i].start <= end) {
    if (vma_mergeable(&mm->vmas[i], &mm->vmas[i + 1])) {
      mm->vmas[i].end = mm->vmas[i + 1].end;
      mm->vmas[i].flags |= mm->vmas[i + 1].flags & (VM_ANON_VMA | VM_ANON_CLONED);
      vma_remove_at(k, mm, i + 1);     /* drops b's reference to the shared file object */
    } else {
      i++;
    }
  }
}

/* Split so that no VMA straddles addr. */
void vma_split_at(struct kernel *k, struct mm *mm, uint64_t addr) {
  struct vma *v = vma_find(mm, addr);
  if (!v || v->start == addr) return;
  struct vma hi = *v;
  hi.start = addr;
  if (hi.file) hi.file_off += addr - v->start;
  v->end = addr;
  vma_insert(k, mm, &hi);
}

/* The guest kernel's accessors for the one descent (mmu.h pt_descend):
 * entries read and stored through the MMU at its direct map, a new table
 * allocated, zeroed and announced to a paravirtualized mode, and each entry
 * followed announced too (Xen PV: the M2P conversion of pte_val). */
struct kpt { struct kernel *k; uint64_t *cyc; };
static uint64_t kpt_read(void *c, uint64_t epa) {
  struct kpt *x = c;
  uint64_t v;
  memcpy(&v, kaccess(x->k, kva(epa), ACC_PT_READ, x->cyc), 8);
  return v;
}
static uint64_t kpt_new_table(void *c, int level) {
  struct kpt *x = c;
  struct kernel *k = x->k;
  uint64_t pt = frame_alloc(k);
  if (!pt) return 0;
  memset(kaccess(k, kva(pt), ACC_W, x->cyc), 0, PAGE);
  if (k->mm->pv_pinned) pv_new_table(k, pt, level);
  else pt_new_plain(k, pt, level);                    /* announced at the pin (mm_fork.c) */
  k->mm->pt_pages++;
  k->pt_pages_allocated++;
  return pt;
}
static void kpt_link(void *c, uint64_t epa, uint64_t table, int level) {
  struct kpt *x = c;
  kwrite_pte(x->k, epa, table | PTE_TABLE, level, x->cyc);
}
static void kpt_follow(void *c, uint64_t e, int level) {
  struct kpt *x = c;
  (void)level;
  if (x->k->hv->mode->pv_pte_descend) x->k->hv->mode->pv_pte_descend(x->k->hv, e);
}
/* Descend mm's tables to va's entry at `want` (creating missing tables
 * when create): the entry's machine address, or 0; *level as pt_descend. */
uint64_t kpt_descend(struct kernel *k, struct mm *mm, uint64_t va, int want, bool create,
                     int *level, int *created, uint64_t *cyc) {
  struct kpt x = {k, cyc};
  struct pt_ops o = {.ctx = &x, .present = PTE_P, .read = kpt_read,
                     .new_table = create ? kpt_new_table : NULL, .link = kpt_link,
                     .follow = kpt_follow};
  struct mm *saved = k->mm;
  k->mm = mm;                      /* new tables are charged to mm */
  uint64_t epa = pt_descend(&o, mm->pml4, 4, va, want, level, created);
  k->mm = saved;
  return epa;
}

/* The entry mapping va (a 4K PTE, or a large leaf): its value (0: none),
 * *leaf_pa its machine address (0 when a table is missing). */
uint64_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va,
                           uint64_t *leaf_pa, uint64_t *cyc) {
  int level;
  uint64_t epa = kpt_descend(k, mm, va, 1, false, &level, NULL, cyc);
  if (leaf_pa) *leaf_pa = epa;
  return epa ? kread64(k, epa, cyc) : 0;
}

/* Split a 2M leaf (THP) into a page table of 512 PTEs over the same
 * frames (Linux split_huge_pmd), so 4K-granular changes can follow. */
void split_huge(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *cycp) {
  uint64_t dummy = 0, *cyc = cycp ? cycp : &dummy;
  int level;
  uint64_t pmd_pa = kpt_descend(k, mm, va, 2, false, &level, NULL, cyc);
  if (!pmd_pa || level != 2) return;
  uint64_t pmd = kread64(k, pmd_pa, cyc);
  if (!(pmd & PTE_P) || !(pmd & PTE_PS)) return;
  uint64_t pt = frame_alloc(k);
  if (!pt) return;   /* no memory to split: the caller sees the huge leaf */
  uint64_t base = pmd & PTE_ADDR & ~0x1fffffull;
  uint64_t flags = pmd & (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX | (1ull << 9));
  uint64_t *h = (uint64_t *)kaccess(k, kva(pt), ACC_W, cyc);
  for (int i = 0; i < 512; i++) {
    h[i] = (base + (uint64_t)i * PAGE) | flags;
    rec_pte(k, pt + 8ull * (unsigned)i, h[i], 1, true);
  }
  pv_new_table(k, pt, 1);
  kwrite_pte(k, pmd_pa, pt | PTE_TABLE, 2, cyc);
  mm->pt_pages++;
  k->pt_pages_allocated++;
  flush_user_va(k, va);            /* INVLPG drops every piece of the 2M entry */
}

/* pte_lookup for callers that change single pages: a THP is split first */
uint64_t pte_lookup_4k(struct kernel *k, struct mm *mm, uint64_t va,
                              uint64_t *leaf_pa, uint64_t *cyc) {
  uint64_t e = pte_lookup(k, mm, va, leaf_pa, cyc);
  if ((e & PTE_P) && (e & PTE_PS)) {
    split_huge(k, mm, va, cyc);
    e = pte_lookup(k, mm, va, leaf_pa, cyc);
  }
  return e;
}

/* The end of the page-table hole at va: the span of the first entry missing
 * on the way down (2M, 1G or 512G), so loops over sparse ranges skip what no
 * table covers, as Linux's p?d_none_or_clear_bad walks do (a 1 GB mapping
 * never touched is one step, not 262144). */
uint64_t pt_hole_end(struct kernel *k, struct mm *mm, uint64_t va) {
  int level;
  uint64_t cyc = 0;
  if (kpt_descend(k, mm, va, 1, false, &level, NULL, &cyc)) return (va & PAGE_MASK) + PAGE;
  unsigned shift = 12 + 9 * (unsigned)(level - 1);
  return ((va >> shift) + 1) << shift;
}

/* Linux's range walkers (zap_pte_range, change_pte_range): one descent
 * per page table, then its entries one after the other; a missing table
 * skips its whole span.  pte_range_next gives the next PTE slot of
 * [va, end) -- its address (*leaf) and value -- or false at the end.  A
 * 2M leaf is split first (pte_lookup_4k), as the callers change 4K pages. */
struct pte_range { struct kernel *k; struct mm *mm; uint64_t va, end, region, ptab; };
static void pte_range_init(struct pte_range *r, struct kernel *k, struct mm *mm, uint64_t start, uint64_t end) {
  *r = (struct pte_range){k, mm, start, end, ~0ull, 0};
}
static bool pte_range_next(struct pte_range *r, uint64_t *va, uint64_t *leaf, uint64_t *e, uint64_t *cyc) {
  while (r->va < r->end) {
    uint64_t a = r->va;
    if (a >> 21 != r->region) {
      uint64_t lf = 0, v = pte_lookup_4k(r->k, r->mm, a, &lf, cyc);
      if (!lf) { r->region = ~0ull; r->va = pt_hole_end(r->k, r->mm, a); continue; }
      /* (a 2M leaf that could not be split is its own slot) */
      r->region = (v & PTE_P) && (v & PTE_PS) ? ~0ull : a >> 21;
      r->ptab = lf & PAGE_MASK;
      r->va = a + PAGE;
      *va = a; *leaf = lf; *e = v;
      return true;
    }
    *leaf = pt_entry_pa(r->ptab, a, 1);
    *e = kread64(r->k, *leaf, cyc);
    r->va = a + PAGE;
    *va = a;
    return true;
  }
  return false;
}

void mm_unmap(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end) {
  if (mm != k->mm) mm->tlb_gen++;   /* another's: its PCIDs and lazy CPUs flush when it runs again */
  vma_split_at(k, mm, start);
  vma_split_at(k, mm, end);
  int i = 0, hi = mm->nvmas;          /* the first VMA starting at or after start */
  while (i < hi) {
    int mid = (i + hi) / 2;
    if (mm->vmas[mid].start < start) i = mid + 1;
    else hi = mid;
  }
  while (i < mm->nvmas && mm->vmas[i].start < end) {
    if (mm->vmas[i].end <= end) {
      hugetlb_vma_close(k, &mm->vmas[i]);
      vma_remove_at(k, mm, i);
    } else {
      i++;
    }
  }
  pv_batch(k, true);                 /* zap_page_range: lazy MMU mode */
  struct pte_range r;
  pte_range_init(&r, k, mm, start, end);
  uint64_t va, leaf, e, cyc = 0;
  while (pte_range_next(&r, &va, &leaf, &e, &cyc)) {
    if (pte_mapped(e)) {
      kwrite_pte(k, leaf, 0, 1, &cyc);
      frame_put(k, e & PTE_ADDR);
      if (mm->rss_pages) mm->rss_pages--;
      flush_user_va(k, va);
    }
  }
  pv_batch(k, false);
}

uint64_t pte_flags_for(uint32_t vmflags, bool writable_now) {
  /* Linux's vm_page_prot carries _PAGE_ACCESSED (x86 PAGE_SHARED & co.) */
  uint64_t f = PTE_P | PTE_U | PTE_A;
  if (!(vmflags & VM_EXEC)) f |= PTE_NX;
  if (writable_now) f |= PTE_W | PTE_D;
  return f;
}

int vma_isolate(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end) {
  for (uint64_t a = start; a < end;) {
    struct vma *v = vma_find(mm, a);
    if (!v) return -ENOMEM;
    a = v->end;
  }
  /* split_vma: each split needs a map slot below vm.max_map_count */
  int splits = 0;
  for (int i = 0; i < 2; i++) {
    struct vma *v = vma_find(mm, i ? end : start);
    if (v && v->start < (i ? end : start)) splits++;
  }
  if (splits && mm->nvmas + splits - 1 >= k->sysctl.max_map_count) return -ENOMEM;
  vma_split_at(k, mm, start);
  vma_split_at(k, mm, end);
  return 0;
}

int mm_protect(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, uint32_t prot) {
  if (mm != k->mm) mm->tlb_gen++;   /* another's: its PCIDs and lazy CPUs flush when it runs again */
  if (vma_isolate(k, mm, start, end)) return -ENOMEM;
  /* mprotect_fixup: private memory made writable for the first time is
   * charged then (ENOMEM if it cannot be) */
  uint32_t charge = VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE | VM_HUGETLB;
  for (int i = 0; i < mm->nvmas && (prot & PROT_WRITE); i++) {
    struct vma *v = &mm->vmas[i];
    if (v->start >= start && v->end <= end && !(v->flags & charge) &&
        !vm_enough_memory(k, (v->end - v->start) / PAGE))
      return -ENOMEM;
  }
  for (int i = 0; i < mm->nvmas; i++) {
    struct vma *v = &mm->vmas[i];
    if (v->start < start || v->end > end) continue;
    if ((prot & PROT_WRITE) && !(v->flags & charge)) v->flags |= VM_ACCOUNT;
    v->prot = prot;
    v->flags = (v->flags & ~(VM_READ | VM_WRITE | VM_EXEC)) |
               ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
               ((prot & PROT_EXEC) ? VM_EXEC : 0);
  }
  /* Present PTEs lose write/exec at once; upgrades fault in later
   * (guest.flush_on_upgrade: we always flush, so no spurious faults),
   * except where Linux makes a PTE writable at once (mprotect's
   * MM_CP_TRY_CHANGE_WRITABLE, can_change_pte_writable in mm/mprotect.c):
   * a dirty exclusive anonymous page of a private mapping, or a dirty page
   * of a shared mapping that needs no write notification (shared
   * anonymous memory; file mappings track dirtiness by write faults here).
   * PROT_NONE keeps each page's frame in a non-present PTE
   * (PTE_SW_PROTNONE, with its other bits, W included); a later mprotect
   * makes it present again as it was, so no data is lost (Linux
   * change_pte_range / pte_modify). */
  bool none = !(prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
  pv_batch(k, true);                 /* change_pte_range: lazy MMU mode */
  struct pte_range r;
  pte_range_init(&r, k, mm, start, end);
  uint64_t va, leaf, e, cyc = 0;
  while (pte_range_next(&r, &va, &leaf, &e, &cyc)) {
    if (!pte_mapped(e)) continue;
    uint64_t n;
    if (none) {
      n = (e & ~PTE_P) | PTE_SW_PROTNONE;
    } else {
      n = (e & PTE_SW_PROTNONE) ? (e & ~PTE_SW_PROTNONE) | PTE_P : e;
      if (!(prot & PROT_WRITE)) n &= ~PTE_W;
      else if (!(n & PTE_W) && (n & PTE_D) && !(n & PTE_UFFD_WP) && !(e & PTE_SW_PROTNONE)) {
        struct vma *v = vma_find(mm, va);
        if (v && (v->flags & VM_SHARED) ? !v->file : v && page_anon_exclusive(k, v, va, n)) n |= PTE_W;
      }
      if (prot & PROT_EXEC) n &= ~PTE_NX; else n |= PTE_NX;
    }
    if (n != e) {
      kwrite_pte(k, leaf, n, 1, &cyc);
      flush_user_va(k, va);
    }
  }
  pv_batch(k, false);
  vma_merge_range(k, mm, start, end);
  return 0;
}

uint64_t mm_find_free(struct mm *mm, uint64_t len, uint64_t hint) {
  if (hint) {
    hint &= PAGE_MASK;
    bool ok = hint + len <= TASK_SIZE && hint + len > hint;
    for (int i = 0; ok && i < mm->nvmas; i++)
      if (mm->vmas[i].start < hint + len && mm->vmas[i].end > hint) ok = false;
    if (ok) return hint;
  }
  /* top-down from mmap_base, like Linux's default layout; the gaps a
   * search of at least this length already found too short are skipped
   * (where it ends is the same as a scan from the top) */
  uint64_t top = mm->mmap_base;
  int from = mm->nvmas - 1;
  if (mm->ff_len && len >= mm->ff_len) {
    int lo = 0, hi = mm->nvmas - 1;
    while (lo <= hi) {
      int mid = (lo + hi) / 2;
      if (mm->vmas[mid].start < mm->ff_addr) lo = mid + 1;
      else hi = mid - 1;
    }
    if (lo < mm->nvmas && mm->vmas[lo].start == mm->ff_addr) from = lo - 1;
  }
  for (int i = from; i >= -1; i--) {
    uint64_t vend = i >= 0 ? mm->vmas[i].end : 0;
    uint64_t vstart = i + 1 < mm->nvmas ? mm->vmas[i + 1].start : TASK_SIZE;
    if (vstart > top) vstart = top;
    if (vend < vstart && vstart - vend >= len && vstart >= len) {
      /* every gap above vstart was shorter than len */
      if (i + 1 < mm->nvmas && (from == mm->nvmas - 1 || len == mm->ff_len)) {
        mm->ff_addr = mm->vmas[i + 1].start;
        mm->ff_len = len;
      }
      return (vstart - len) & PAGE_MASK;
    }
  }
  return 0;
}

void mm_move_pages(struct kernel *k, struct mm *mm, uint64_t src, uint64_t dst, uint64_t len) {
  if (mm != k->mm) mm->tlb_gen++;   /* another's: its PCIDs and lazy CPUs flush when it runs again */
  struct mm *saved = k->mm;
  k->mm = mm;
  for (uint64_t off = 0; off < len; off += PAGE) {
    uint64_t leaf = 0, cyc = 0;
    uint64_t e = pte_lookup_4k(k, mm, src + off, &leaf, &cyc);
    if (!pte_mapped(e)) continue;
    uint64_t nleaf;
    int newt;
    op_ensure_tables(k, dst + off, &nleaf, &newt);
    if (!nleaf) break;
    kwrite_pte(k, nleaf, e, 1, &cyc);
    kwrite_pte(k, leaf, 0, 1, &cyc);
    flush_user_va(k, src + off);
    flush_user_va(k, dst + off);
  }
  k->mm = saved;
}

void mm_drop_pages(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end) {
  if (mm != k->mm) mm->tlb_gen++;   /* another's: its PCIDs and lazy CPUs flush when it runs again */
  for (uint64_t va = start; va < end; va += PAGE) {
    uint64_t leaf = 0, cyc = 0;
    uint64_t e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
    if (!pte_mapped(e)) continue;
    kwrite_pte(k, leaf, 0, 1, &cyc);
    frame_put(k, e & PTE_ADDR);
    if (mm->rss_pages) mm->rss_pages--;
    flush_user_va(k, va);
  }
}

uint64_t mm_user_frame(struct kernel *k, struct mm *mm, uint64_t va) {
  uint64_t cyc = 0, e = pte_lookup(k, mm, va, NULL, &cyc);
  return (e & PTE_P) ? pte_frame(e, va) : 0;
}

/* the page-cache page of a file mapping's page at va, 0 if none */
static uint64_t cache_page_of(struct kernel *k, const struct vma *v, uint64_t va) {
  return v->file ? pc_lookup(k, v->file, (v->file_off + ((va & PAGE_MASK) - v->start)) / PAGE) : 0;
}

bool page_anon_exclusive(struct kernel *k, const struct vma *v, uint64_t va, uint64_t e) {
  uint64_t pa = pte_frame(e, va);
  if ((v->flags & VM_SHARED) || pa == k->zero_page || (e & PTE_SW_PAGECACHE) || k->frame_refs[pa >> 12] != 1)
    return false;
  return cache_page_of(k, v, va) != pa;
}

/* Documentation/admin-guide/mm/pagemap.rst: bit 63 present (a PROT_NONE
 * page too: pte_present), 61 a file or shared-anonymous page, 56 mapped
 * once (folio_precise_page_mapcount 1), 0-54 the frame number (the
 * guest's, as its PTEs hold it) when show_pfn; the zero page is present
 * and neither.  No swap, no soft-dirty tracking (bits 62, 55: 0, as a
 * kernel without CONFIG_MEM_SOFT_DIRTY). */
uint64_t mm_pagemap_entry(struct kernel *k, struct mm *mm, uint64_t va, bool show_pfn) {
  struct vma *v = vma_find(mm, va);
  uint64_t cyc = 0, e = v ? pte_lookup(k, mm, va, NULL, &cyc) : 0;
  if (!pte_mapped(e)) return 0;
  uint64_t pa = pte_frame(e, va), out = 1ull << 63;
  if (show_pfn) out |= (pa >> 12) & ((1ull << 55) - 1);
  if (pa == k->zero_page) return out;
  uint64_t cached = cache_page_of(k, v, va);
  bool file = (v->flags & VM_SHARED) || cached == pa;
  unsigned maps = k->frame_refs[pa >> 12] - (cached == pa ? 1u : 0u);   /* the cache holds one */
  if (file) out |= 1ull << 61;
  if (maps == 1) out |= 1ull << 56;
  return out;
}

bool mm_page_present(struct kernel *k, struct mm *mm, uint64_t va) {
  uint64_t cyc = 0;
  return pte_mapped(pte_lookup(k, mm, va, NULL, &cyc));
}
