/* Guest memory management: frames, page tables in machine memory, VMAs,
 * the guest_ops the fault-path modes call, and user copies through the MMU. */
#include "sim/kernel.h"
#include "mmu/cache.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PTE_TABLE (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D)   /* Linux _PAGE_TABLE */

static inline uint64_t kva(uint64_t pa) { return PHYSMAP_BASE + pa; }

/* A user translation changed: INVLPG, and with KPTI+PCID also the other
 * PCID of the pair (Linux flush_tlb_one_user: INVLPG + INVPCID type 0). */
static void guest_invlpg(struct kernel *k, uint64_t va);
static void guest_invpcid(struct kernel *k, int type, uint64_t pcid, uint64_t va);
static void flush_user_va(struct kernel *k, uint64_t va) {
  guest_invlpg(k, va);
  if (k->kpti && k->kpti_pcid) {
    guest_invpcid(k, 0, 1, va);
    guest_invpcid(k, 0, 1 | 0x800, va);
  }
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
static uint8_t *kaccess_val(struct kernel *k, uint64_t va, uint32_t acc, uint64_t *cyc,
                            const uint64_t *val, bool *emulated) {
  for (int tries = 0; tries < 8; tries++) {
    struct xlate x;
    uint32_t pf = mmu_translate(k->mmu, &k->cpu->tlb, &k->cpu->ctl, va, acc, &x);
    if (cyc) *cyc += x.cycles;
    if (!pf) return x.host;
    int r = kernel_access_fault(k, va, acc, pf, val);
    if (r == HV_EMULATED && val && emulated) { *emulated = true; return NULL; }
    if (r) kernel_oops(k, va, pf);
  }
  kernel_oops(k, va, 0);
}
static uint8_t *kaccess(struct kernel *k, uint64_t va, uint32_t acc, uint64_t *cyc) {
  return kaccess_val(k, va, acc, cyc, NULL, NULL);
}

static uint64_t kread64(struct kernel *k, uint64_t pa, uint64_t *cyc) {
  uint64_t v;
  memcpy(&v, kaccess(k, kva(pa), 0, cyc), 8);
  return v;
}
/* A page-table entry store (level: of the table holding it).  Under paravirtualized paging the
 * hypervisor validates and performs it (its steps charge themselves). */
static void kwrite_pte(struct kernel *k, uint64_t pa, uint64_t v, int level, uint64_t *cyc) {
  k->pte_writes++;
  if (k->hv->mode->pv_pte_store) { k->hv->mode->pv_pte_store(k->hv, pa, v, level); return; }
  bool emulated = false;
  uint8_t *h = kaccess_val(k, kva(pa), ACC_W, cyc, &v, &emulated);
  if (!emulated) memcpy(h, &v, 8);
}

/* The guest kernel's privileged paging instructions: a virtualization
 * mode may intercept them (CR3-load exiting, INVLPG/INVPCID exiting). */
static void guest_write_cr3(struct kernel *k, uint64_t v) {
  k->hv->st.counter[HV_C_GUEST_CR3_WRITES]++;
  k->guest_cr3 = v & ~(1ull << 63);
  if (k->hv->mode->write_cr3) k->hv->mode->write_cr3(k->hv, v);
  else cpu_write_cr3(k->cpu, v);
}
/* Paravirtualized paging: a frame is now a page table of this level
 * (zeroed, not yet linked); lazy-MMU batches around bulk updates. */
static void pv_new_table(struct kernel *k, uint64_t pa, int level) {
  if (k->hv->mode->pv_pt_new) k->hv->mode->pv_pt_new(k->hv, pa, level);
}
static void pv_batch(struct kernel *k, bool begin) {
  if (k->hv->mode->pv_batch) k->hv->mode->pv_batch(k->hv, begin);
}

/* flush_tlb_mm: a CR3 reload (which a shadow-paging hypervisor sees),
 * then every PCID, as Linux does for the user half on return */
static void guest_flush_tlb(struct kernel *k) {
  if (k->hv->mode->flush_all) k->hv->mode->flush_all(k->hv);
  else if (k->hv->mode->write_cr3) guest_write_cr3(k, k->guest_cr3);
  cpu_flush_tlb(k->cpu);
}
static void guest_invlpg(struct kernel *k, uint64_t va) {
  k->hv->st.counter[HV_C_GUEST_INVLPG]++;
  if (k->hv->mode->invlpg) k->hv->mode->invlpg(k->hv, va);
  else cpu_invlpg(k->cpu, va);
}
static void guest_invpcid(struct kernel *k, int type, uint64_t pcid, uint64_t va) {
  k->hv->st.counter[HV_C_GUEST_INVLPG]++;
  if (k->hv->mode->invpcid) k->hv->mode->invpcid(k->hv, type, pcid, va);
  else cpu_invpcid(k->cpu, type, pcid, va);
}

/* ---- frames ---- */
static uint64_t frame_alloc(struct kernel *k) {
  uint64_t pa;
  if (!k->nfree && k->next_frame + PAGE > k->mem->ram_bytes)
    pc_reclaim(k, 256);     /* --mem exhausted: drop clean page-cache pages */
  if (k->nfree) pa = k->free_frames[--k->nfree];
  else if (k->next_frame + PAGE <= k->mem->ram_bytes) { pa = k->next_frame; k->next_frame += PAGE; }
  else return 0;
  k->frame_refs[pa >> 12] = 1;
  k->frames_used++;
  cpu_invalidate_frame(k->cpu, pa);
  return pa;
}
static void frame_put(struct kernel *k, uint64_t pa) {
  if (!pa || pa == k->zero_page) return;
  uint16_t *r = &k->frame_refs[pa >> 12];
  if (*r == 0) return;
  if (--*r) return;
  cpu_invalidate_frame(k->cpu, pa);
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
    pdpt[i] = (i << 30) | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D | (k->kpti ? 0 : PTE_G) | PTE_NX;
  /* kernel text, 4K pages at KTEXT_BASE (PML4 511 / PDPT 510 / PD 8), and a
   * kernel stack frame: what kernel work touches when
   * guest.kernel_footprint > 0 */
  k->ktext_pdpt = mem_pool_alloc(k->mem);
  uint64_t pd = mem_pool_alloc(k->mem), pt = mem_pool_alloc(k->mem);
  k->kstack = mem_pool_alloc(k->mem);
  if (!k->ktext_pdpt || !pd || !pt || !k->kstack) return -1;
  ((uint64_t *)mem_host(k->mem, k->ktext_pdpt))[(KTEXT_BASE >> 30) & 511] = pd | PTE_P | PTE_W | PTE_A;
  ((uint64_t *)mem_host(k->mem, pd))[(KTEXT_BASE >> 21) & 511] = pt | PTE_P | PTE_W | PTE_A;
  for (int i = 0; i < KTEXT_PAGES; i++) {
    uint64_t f = mem_pool_alloc(k->mem);
    if (!f) return -1;
    ((uint64_t *)mem_host(k->mem, pt))[i] = f | PTE_P | PTE_A | (k->kpti ? 0 : PTE_G);
  }
  k->zero_page = frame_alloc(k);
  if (!k->zero_page) return -1;
  k->frame_refs[k->zero_page >> 12] = 0xffff;
  return 0;
}

/* guest.kernel_footprint: a kernel step fetches its code and touches its
 * stack at kernel addresses, so kernel work competes for the TLBs (and the
 * data caches) with the guest.  Step s's code sits at a fixed place in the
 * kernel text. */
static uint64_t op_kernel_touch(void *kp, int s) {
  struct kernel *k = kp;
  if (!k->footprint) return 0;
  uint64_t cyc = 0, span = KTEXT_PAGES * PAGE;
  for (uint64_t off = 0; off < k->footprint; off += 64) {
    uint64_t va = KTEXT_BASE + ((uint64_t)s * 8192 + off) % span;
    kaccess(k, va, ACC_F, &cyc);
  }
  uint64_t sp = k->kstack + ((uint64_t)s * 128) % PAGE;
  kaccess(k, kva(sp), ACC_W, &cyc);
  if (k->cpu->dcache) cyc += cache_access_range(k->cpu->dcache, sp, 64, true);
  return cyc;
}

struct mm *mm_new(struct kernel *k) {
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
    ((uint64_t *)mem_host(k->mem, mm->pml4))[(PHYSMAP_BASE >> 39) & 511] = e273;
    ((uint64_t *)mem_host(k->mem, mm->pml4))[511] = e511;
  } else {
    uint64_t cyc = 0;
    memset(kaccess(k, kva(mm->pml4), ACC_W, &cyc), 0, PAGE);
    kwrite_pte(k, mm->pml4 + ((PHYSMAP_BASE >> 39) & 511) * 8, e273, 4, &cyc);
    kwrite_pte(k, mm->pml4 + 511 * 8, e511, 4, &cyc);
    k->cpu->cycles += cyc;
  }
  pv_new_table(k, mm->pml4, 4);      /* Xen PV: pinned as an L4 */
  mm->pt_pages = 1;
  k->pt_pages_allocated++;
  mm->mmap_base = MMAP_BASE;
  return mm;
}

static void free_tables(struct kernel *k, uint64_t table, int level) {
  uint64_t *t = (uint64_t *)mem_host(k->mem, table);
  int lim = level == 4 ? 256 : 512;     /* user half only at the top */
  for (int i = 0; i < lim; i++) {
    if (!(t[i] & PTE_P)) continue;
    uint64_t pa = t[i] & PTE_ADDR;
    if (level > 1 && !(t[i] & PTE_PS)) free_tables(k, pa, level - 1);
    else if (level == 1) frame_put(k, pa);
    else if (level == 2) for (int f = 0; f < 512; f++) frame_put(k, (pa & ~0x1fffffull) + (uint64_t)f * PAGE);
  }
  frame_put(k, table);
}

void mm_put(struct kernel *k, struct mm *mm) {
  if (!mm || --mm->refs) return;
  if (k->hv->mode->pv_pt_free) k->hv->mode->pv_pt_free(k->hv, mm->pml4);
  free_tables(k, mm->pml4, 4);
  for (int i = 0; i < mm->nvmas; i++)
    if (mm->vmas[i].file && --mm->vmas[i].file->refs == 0) {
      close(mm->vmas[i].file->fd);
      free(mm->vmas[i].file);
    }
  free(mm->vmas);
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

static struct vma *vma_next(struct mm *mm, uint64_t va) {
  for (int i = 0; i < mm->nvmas; i++)
    if (mm->vmas[i].start > va) return &mm->vmas[i];
  return NULL;
}

struct vma *vma_insert(struct kernel *k, struct mm *mm, const struct vma *v) {
  if (mm->nvmas == mm->cap) {
    mm->cap = mm->cap ? mm->cap * 2 : 16;
    mm->vmas = realloc(mm->vmas, mm->cap * sizeof *mm->vmas);
  }
  int pos = 0;
  while (pos < mm->nvmas && mm->vmas[pos].start < v->start) pos++;
  memmove(&mm->vmas[pos + 1], &mm->vmas[pos], (mm->nvmas - pos) * sizeof *mm->vmas);
  mm->vmas[pos] = *v;
  if (v->file) v->file->refs++;
  mm->nvmas++;
  return &mm->vmas[pos];
}

static void vma_remove_at(struct mm *mm, int idx) {
  struct vma *v = &mm->vmas[idx];
  if (v->file && --v->file->refs == 0) { close(v->file->fd); free(v->file); }
  memmove(&mm->vmas[idx], &mm->vmas[idx + 1], (mm->nvmas - idx - 1) * sizeof *mm->vmas);
  mm->nvmas--;
}

/* Split so that no VMA straddles addr. */
static void vma_split_at(struct kernel *k, struct mm *mm, uint64_t addr) {
  struct vma *v = vma_find(mm, addr);
  if (!v || v->start == addr) return;
  struct vma hi = *v;
  hi.start = addr;
  if (hi.file) hi.file_off += addr - v->start;
  v->end = addr;
  vma_insert(k, mm, &hi);
}

/* Software walk of the guest tables (kernel reads through the physmap). */
static uint64_t pte_lookup(struct kernel *k, struct mm *mm, uint64_t va,
                           uint64_t *leaf_pa, uint64_t *cyc) {
  uint64_t table = mm->pml4;
  for (int level = 4; level >= 1; level--) {
    uint64_t epa = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
    uint64_t e = kread64(k, epa, cyc);
    if (!(e & PTE_P)) { if (leaf_pa) *leaf_pa = level == 1 ? epa : 0; return 0; }
    if (level == 1 || (e & PTE_PS)) { if (leaf_pa) *leaf_pa = epa; return e; }
    table = e & PTE_ADDR;
  }
  return 0;
}

/* Split a 2M leaf (THP) into a page table of 512 PTEs over the same
 * frames (Linux split_huge_pmd), so 4K-granular changes can follow. */
static void split_huge(struct kernel *k, struct mm *mm, uint64_t va) {
  uint64_t table = mm->pml4, cyc = 0;
  for (int level = 4; level > 2; level--) {
    uint64_t e = kread64(k, table + ((va >> (12 + 9 * (level - 1))) & 511) * 8, &cyc);
    if (!(e & PTE_P) || (e & PTE_PS)) return;
    table = e & PTE_ADDR;
  }
  uint64_t pmd_pa = table + ((va >> 21) & 511) * 8;
  uint64_t pmd = kread64(k, pmd_pa, &cyc);
  if (!(pmd & PTE_P) || !(pmd & PTE_PS)) return;
  uint64_t pt = frame_alloc(k);
  if (!pt) return;   /* no memory to split: the caller sees the huge leaf */
  uint64_t base = pmd & PTE_ADDR & ~0x1fffffull;
  uint64_t flags = pmd & (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX | (1ull << 9));
  uint64_t *h = (uint64_t *)kaccess(k, kva(pt), ACC_W, &cyc);
  for (int i = 0; i < 512; i++) h[i] = (base + (uint64_t)i * PAGE) | flags;
  pv_new_table(k, pt, 1);
  kwrite_pte(k, pmd_pa, pt | PTE_TABLE, 2, &cyc);
  mm->pt_pages++;
  k->pt_pages_allocated++;
  flush_user_va(k, va);            /* INVLPG drops every piece of the 2M entry */
}

/* pte_lookup for callers that change single pages: a THP is split first */
static uint64_t pte_lookup_4k(struct kernel *k, struct mm *mm, uint64_t va,
                              uint64_t *leaf_pa, uint64_t *cyc) {
  uint64_t e = pte_lookup(k, mm, va, leaf_pa, cyc);
  if ((e & PTE_P) && (e & PTE_PS)) {
    split_huge(k, mm, va);
    e = pte_lookup(k, mm, va, leaf_pa, cyc);
  }
  return e;
}

void mm_unmap(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end) {
  vma_split_at(k, mm, start);
  vma_split_at(k, mm, end);
  for (int i = 0; i < mm->nvmas;) {
    if (mm->vmas[i].start >= start && mm->vmas[i].end <= end) vma_remove_at(mm, i);
    else i++;
  }
  pv_batch(k, true);                 /* zap_page_range: lazy MMU mode */
  for (uint64_t va = start; va < end;) {
    uint64_t leaf = 0, cyc = 0;
    uint64_t e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
    if (!leaf && !e) { va = (va + PAGE) & PAGE_MASK; continue; }
    if (e & PTE_P) {
      kwrite_pte(k, leaf, 0, 1, &cyc);
      frame_put(k, e & PTE_ADDR);
      if (mm->rss_pages) mm->rss_pages--;
      flush_user_va(k, va);
    }
    va += PAGE;
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

int mm_protect(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, uint32_t prot) {
  for (uint64_t a = start; a < end;) {
    struct vma *v = vma_find(mm, a);
    if (!v) return -ENOMEM;
    a = v->end;
  }
  vma_split_at(k, mm, start);
  vma_split_at(k, mm, end);
  for (int i = 0; i < mm->nvmas; i++) {
    struct vma *v = &mm->vmas[i];
    if (v->start < start || v->end > end) continue;
    v->prot = prot;
    v->flags = (v->flags & ~(VM_READ | VM_WRITE | VM_EXEC)) |
               ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
               ((prot & PROT_EXEC) ? VM_EXEC : 0);
  }
  /* Present PTEs lose write/exec at once; upgrades fault in later
   * (guest.flush_on_upgrade: we always flush, so no spurious faults). */
  pv_batch(k, true);                 /* change_pte_range: lazy MMU mode */
  for (uint64_t va = start; va < end; va += PAGE) {
    uint64_t leaf = 0, cyc = 0;
    uint64_t e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
    if (!(e & PTE_P)) continue;
    uint64_t n = e;
    if (!(prot & PROT_WRITE)) n &= ~PTE_W;
    if (prot & PROT_EXEC) n &= ~PTE_NX; else n |= PTE_NX;
    if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) n &= ~(PTE_P | PTE_W);
    if (n != e) {
      if (!(n & PTE_P)) { frame_put(k, e & PTE_ADDR); n = 0; if (mm->rss_pages) mm->rss_pages--; }
      kwrite_pte(k, leaf, n, 1, &cyc);
      flush_user_va(k, va);
    }
  }
  pv_batch(k, false);
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
  /* top-down from mmap_base, like Linux's default layout */
  uint64_t top = mm->mmap_base;
  for (int i = mm->nvmas - 1; i >= -1; i--) {
    uint64_t vend = i >= 0 ? mm->vmas[i].end : 0;
    uint64_t vstart = i + 1 < mm->nvmas ? mm->vmas[i + 1].start : TASK_SIZE;
    if (vstart > top) vstart = top;
    if (vend < vstart && vstart - vend >= len && vstart >= len) return (vstart - len) & PAGE_MASK;
  }
  return 0;
}

/* ---- guest_ops for the fault-path modes ---- */
static uint64_t op_plan(void *kp, uint64_t va, uint32_t err, struct fault_plan *p) {
  struct kernel *k = kp;
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
    struct vma *n = vma_next(mm, va);
    if (n && (n->flags & VM_GROWSDOWN) && va >= mm->stack_limit) {
      n->start = va & PAGE_MASK;
      p->stack_grow = true;
      v = n;
    }
  }
  if (!v) { p->kind = FK_SEGV_MAPERR; return cyc; }
  p->vma = v;
  if ((p->write && !(v->flags & VM_WRITE)) || (p->fetch && !(v->flags & VM_EXEC)) ||
      !(v->flags & (VM_READ | VM_WRITE | VM_EXEC))) {
    p->kind = FK_SEGV_ACCERR;
    return cyc;
  }
  uint64_t leaf = 0;
  uint64_t e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
  if (e & PTE_P) {
    bool ok = (!p->write || (e & PTE_W)) && (!p->fetch || !(e & PTE_NX));
    if (ok) { p->kind = FK_SPURIOUS; return cyc; }
    /* write to a present read-only page in a writable VMA */
    uint64_t pa = e & PTE_ADDR;
    p->old_pa = pa;
    p->pte_flags = pte_flags_for(v->flags, true);
    if (pa == k->zero_page || k->frame_refs[pa >> 12] > 1 || (e & (1ull << 9) /* PTE_SW_PAGECACHE */))
      p->kind = FK_COW;
    else
      p->kind = FK_WRITE_UPGRADE;
    return cyc;
  }
  if (!v->file) {
    /* transparent huge pages (guest.thp: 0 never, 1 madvise, 2 always):
     * a write fault in a 2M-aligned range wholly inside the VMA whose PMD
     * is empty (Linux maps the huge zero page on reads; we use the 4K
     * path for reads) */
    uint64_t thp = params_get(k->sim_params, "guest.thp");
    uint64_t hs = va & ~0x1fffffull;
    if (p->write && !(v->flags & VM_SHARED) && hs >= v->start && hs + 0x200000 <= v->end &&
        ((thp == 2 && !(v->flags & VM_NOHUGEPAGE)) || (thp == 1 && (v->flags & VM_HUGEPAGE)))) {
      uint64_t table = mm->pml4;
      bool empty = false;
      for (int level = 4; level >= 2; level--) {
        uint64_t e = kread64(k, table + ((va >> (12 + 9 * (level - 1))) & 511) * 8, &cyc);
        if (!(e & PTE_P)) { empty = true; break; }
        if (level == 2 || (e & PTE_PS)) break;
        table = e & PTE_ADDR;
      }
      if (empty) {
        p->kind = FK_THP;
        p->page = hs;
        p->pte_flags = pte_flags_for(v->flags, true) | PTE_PS;
        return cyc;
      }
    }
    bool zp = !p->write && params_get(k->sim_params, "guest.zero_page");
    p->kind = zp ? FK_ANON_ZERO_PAGE : FK_ANON_NEW;
    p->pte_flags = pte_flags_for(v->flags, !zp && (v->flags & VM_WRITE));
    if (zp) p->pte_flags &= ~(PTE_W | PTE_D);
    return cyc;
  }
  p->kind = FK_FILE;
  /* Private mappings map the page-cache page read-only (a later write
   * copies it: COW); a write fault on a private mapping copies at once
   * (do_cow_fault); shared mappings map the cache page itself. */
  bool shared = v->flags & VM_SHARED;
  p->copy = p->write && !shared;
  bool w = p->write && (v->flags & VM_WRITE);
  p->pte_flags = pte_flags_for(v->flags, w);
  if (!w && (v->flags & VM_WRITE) && !shared) p->pte_flags |= 1ull << 9;
  return cyc;
}

/* Is this page of the VMA backed whole by the file (so the page cache can
 * serve it)?  ELF segments whose file part ends mid-page get a private
 * zero-tailed copy instead. */
static bool page_cacheable(const struct vma *v, uint64_t page) {
  if (v->file_end && page + PAGE > v->file_end) return false;
  uint64_t off = v->file_off + (page - v->start);
  return off < v->file->size;
}

static void fill_private(struct kernel *k, const struct vma *v, uint64_t page, uint64_t pa) {
  uint64_t cyc = 0;
  uint8_t *h = kaccess(k, kva(pa), ACC_W, &cyc);
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
  const struct vma *v = p->vma;
  uint64_t cyc = 0;
  *hit = false;
  if (!page_cacheable(v, p->page)) {
    *pa = frame_alloc(k);
    if (!*pa) return 0;
    fill_private(k, v, p->page, *pa);
    k->mm->rss_pages++;
    return cyc;
  }
  uint64_t pgoff = (v->file_off + (p->page - v->start)) / PAGE;
  *pa = pc_lookup(k, v->file, pgoff);
  bool warm = params_get(k->sim_params, "guest.page_cache_warm");
  if (*pa) { *hit = true; k->pc_hits++; }
  else {
    *pa = pc_fill(k, v->file, pgoff);
    if (!*pa) return 0;
    k->pc_misses++;
    *hit = warm;     /* a warm cache had it already: no device read */
    if (!warm) {
      cyc += params_get(k->sim_params, "io.read_latency");
      /* readahead: the following pages of the file come in with it */
      uint64_t ra = params_get(k->sim_params, "guest.readahead_bytes") / PAGE;
      for (uint64_t i = 1; i < ra && (pgoff + i) * PAGE < v->file->size; i++)
        if (!pc_lookup(k, v->file, pgoff + i) && !pc_fill(k, v->file, pgoff + i)) break;
    }
  }
  k->frame_refs[*pa >> 12]++;
  k->mm->rss_pages++;
  cyc += 0;
  return cyc;
}

static uint64_t op_fault_around(void *kp, const struct fault_plan *p, int *n) {
  struct kernel *k = kp;
  const struct vma *v = p->vma;
  uint64_t fab = params_get(k->sim_params, "guest.fault_around_bytes");
  uint64_t cyc = 0;
  *n = 0;
  if (fab <= PAGE || (v->flags & VM_WRITE && !(v->flags & VM_SHARED) && 0)) return 0;
  bool warm = params_get(k->sim_params, "guest.page_cache_warm");
  /* the window: fault_around_bytes aligned, inside the VMA and the same
   * page table (filemap_map_pages never crosses a PMD) */
  uint64_t start = p->va & ~(fab - 1), end = start + fab;
  uint64_t pmd = p->va & ~((1ull << 21) - 1);
  if (start < v->start) start = v->start;
  if (start < pmd) start = pmd;
  if (end > v->end) end = v->end;
  if (end > pmd + (1ull << 21)) end = pmd + (1ull << 21);
  uint64_t flags = pte_flags_for(v->flags, false);
  if ((v->flags & VM_WRITE) && !(v->flags & VM_SHARED)) flags |= 1ull << 9;
  pv_batch(k, true);                 /* set_ptes: lazy MMU mode (Linux 6.x) */
  for (uint64_t va = start; va < end; va += PAGE) {
    if (va == p->page || !page_cacheable(v, va)) continue;
    uint64_t leaf = 0;
    uint64_t e = pte_lookup(k, k->mm, va, &leaf, &cyc);
    if ((e & PTE_P) || !leaf) continue;
    uint64_t pgoff = (v->file_off + (va - v->start)) / PAGE;
    uint64_t pa = pc_lookup(k, v->file, pgoff);
    if (!pa && warm) pa = pc_fill(k, v->file, pgoff);
    if (!pa) continue;
    k->frame_refs[pa >> 12]++;
    k->mm->rss_pages++;
    kwrite_pte(k, leaf, pa | flags, 1, &cyc);
    (*n)++;
  }
  pv_batch(k, false);
  k->fault_around_pages += (uint64_t)*n;
  return cyc;
}

static uint64_t op_ensure_tables(void *kp, uint64_t va, uint64_t *leaf_pa, int *newt) {
  struct kernel *k = kp;
  uint64_t cyc = 0, table = k->mm->pml4;
  *newt = 0;
  *leaf_pa = 0;
  for (int level = 4; level > 1; level--) {
    uint64_t epa = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
    uint64_t e = kread64(k, epa, &cyc);
    if (!(e & PTE_P)) {
      uint64_t pt = frame_alloc(k);
      if (!pt) return cyc;
      uint8_t *h = kaccess(k, kva(pt), ACC_W, &cyc);
      memset(h, 0, PAGE);
      pv_new_table(k, pt, level - 1);
      e = pt | PTE_TABLE;
      kwrite_pte(k, epa, e, level, &cyc);
      k->mm->pt_pages++;
      k->pt_pages_allocated++;
      (*newt)++;
    } else if (k->hv->mode->pv_pte_descend) {
      k->hv->mode->pv_pte_descend(k->hv, e);
    }
    table = e & PTE_ADDR;
  }
  *leaf_pa = table + ((va >> 12) & 511) * 8;
  return cyc;
}

static uint64_t op_alloc_frame(void *kp, uint64_t *pa) {
  struct kernel *k = kp;
  *pa = frame_alloc(k);
  if (*pa) k->mm->rss_pages++;
  return 0;
}
static uint64_t op_zero_frame(void *kp, uint64_t pa) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
  memset(kaccess(k, kva(pa), ACC_W, &cyc), 0, PAGE);
  /* the stores go through the data-cache model (clear_page) */
  if (k->cpu->dcache) cyc += cache_access_range(k->cpu->dcache, pa, PAGE, true);
  return cyc;
}
static uint64_t op_copy_frame(void *kp, uint64_t dst, uint64_t src) {
  struct kernel *k = kp;
  uint64_t cyc = 0;
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
  flush_user_va(kp, va);
  return 0;
}
static void op_release(void *kp, uint64_t pa) {
  struct kernel *k = kp;
  frame_put(k, pa);
  if (k->mm->rss_pages) k->mm->rss_pages--;
}

/* 512 contiguous, 2M-aligned frames from the never-used part of RAM (the
 * skipped frames go to the free list); 0 when there is no such run. */
static uint64_t op_thp_alloc(void *kp, uint64_t *pa) {
  struct kernel *k = kp;
  uint64_t base = (k->next_frame + 0x1fffff) & ~0x1fffffull;
  *pa = 0;
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
  k->frames_used += 512;
  k->mm->rss_pages += 512;
  k->thp_pages++;
  *pa = base;
  return 0;
}

static uint64_t op_thp_zero(void *kp, uint64_t pa) {
  uint64_t cyc = 0;
  for (uint64_t off = 0; off < 0x200000; off += PAGE) cyc += op_zero_frame(kp, pa + off);
  return cyc;
}

static uint64_t op_thp_map(void *kp, const struct fault_plan *p, uint64_t pa) {
  struct kernel *k = kp;
  uint64_t cyc = 0, table = k->mm->pml4;
  for (int level = 4; level > 2; level--) {
    uint64_t epa = table + ((p->va >> (12 + 9 * (level - 1))) & 511) * 8;
    uint64_t e = kread64(k, epa, &cyc);
    if (!(e & PTE_P)) {
      uint64_t pt = frame_alloc(k);
      if (!pt) return cyc;
      memset(kaccess(k, kva(pt), ACC_W, &cyc), 0, PAGE);
      pv_new_table(k, pt, level - 1);
      e = pt | PTE_TABLE;
      kwrite_pte(k, epa, e, level, &cyc);
      k->mm->pt_pages++;
      k->pt_pages_allocated++;
    }
    table = e & PTE_ADDR;
  }
  kwrite_pte(k, table + ((p->va >> 21) & 511) * 8, pa | p->pte_flags, 2, &cyc);
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
    cyc += op_zero_frame(k, pa) + params_get(k->sim_params, "native.frame_zero");
    kwrite_pte(k, leaf, pa | flags, 1, &cyc);
    (*done)++;
  }
  return cyc;
}

static uint8_t *op_kmap(void *kp, uint64_t pa, uint32_t acc, uint64_t *cyc) {
  return kaccess(kp, kva(pa), acc, cyc);
}
static uint64_t op_kstack_pa(void *kp) { return ((struct kernel *)kp)->kstack; }
static uint64_t op_kva(void *kp, uint64_t pa) { (void)kp; return kva(pa); }

void guest_ops_fill(struct kernel *k, struct guest_ops *o) {
  o->kmap = op_kmap;
  o->prefault_anon = op_prefault_anon;
  o->kstack_pa = op_kstack_pa;
  o->kva = op_kva;
  o->kernel_touch = op_kernel_touch;
  o->thp_alloc = op_thp_alloc;
  o->thp_zero = op_thp_zero;
  o->thp_map = op_thp_map;
  o->k = k;
  o->plan = op_plan;
  o->ensure_tables = op_ensure_tables;
  o->alloc_frame = op_alloc_frame;
  o->zero_frame = op_zero_frame;
  o->file_page = op_file_page;
  o->fault_around = op_fault_around;
  o->copy_frame = op_copy_frame;
  o->zero_page_pa = op_zero_page_pa;
  o->write_pte = op_write_pte;
  o->invlpg = op_invlpg;
  o->release_frame = op_release;
  o->entry_switch = (uint64_t (*)(void *))kpti_enter;
  o->exit_switch = (uint64_t (*)(void *))kpti_exit;
}

/* ---- user copies ---- */
static int user_xlate(struct kernel *k, uint64_t va, bool write, uint8_t **host) {
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
    uint64_t seen = k->hv->st.faults_guest;
    int sig = k->hv->mode->page_fault(k->hv, va, pf & 0xffff, true, &si);
    if (sig) return -EFAULT;
    /* faults in kernel copies count as the task's (Linux); hidden ones do not */
    if (k->hv->st.faults_guest != seen) k->minflt++;
    else tries--;
  }
  return -EFAULT;
}

int copy_from_user(struct kernel *k, void *dst, uint64_t uva, size_t n) {
  uint8_t *d = dst;
  while (n) {
    size_t chunk = PAGE - (uva & (PAGE - 1));
    if (chunk > n) chunk = n;
    uint8_t *h;
    if (user_xlate(k, uva, false, &h)) return -EFAULT;
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
    if (user_xlate(k, uva, true, &h)) return -EFAULT;
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
    if (user_xlate(k, uva, true, &h)) return -EFAULT;
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
    if (user_xlate(k, uva, false, &h)) return -EFAULT;
    for (size_t j = 0; j < chunk && i < max; j++, i++) {
      dst[i] = (char)h[j];
      if (!h[j]) return (long)i;
    }
    uva += chunk;
  }
  return -ENAMETOOLONG;
}

void mm_move_pages(struct kernel *k, struct mm *mm, uint64_t src, uint64_t dst, uint64_t len) {
  struct mm *saved = k->mm;
  k->mm = mm;
  for (uint64_t off = 0; off < len; off += PAGE) {
    uint64_t leaf = 0, cyc = 0;
    uint64_t e = pte_lookup_4k(k, mm, src + off, &leaf, &cyc);
    if (!(e & PTE_P)) continue;
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
  for (uint64_t va = start; va < end; va += PAGE) {
    uint64_t leaf = 0, cyc = 0;
    uint64_t e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
    if (!(e & PTE_P)) continue;
    kwrite_pte(k, leaf, 0, 1, &cyc);
    frame_put(k, e & PTE_ADDR);
    if (mm->rss_pages) mm->rss_pages--;
    flush_user_va(k, va);
  }
}

bool mm_page_present(struct kernel *k, struct mm *mm, uint64_t va) {
  uint64_t cyc = 0;
  return pte_lookup(k, mm, va, NULL, &cyc) & PTE_P;
}

/* fork: a copy of the VMAs and of the page tables with private writable
 * pages made read-only in both (copy-on-write: the first write faults). */
struct mm *mm_fork(struct kernel *k, struct mm *parent) {
  struct mm *child = mm_new(k);
  if (!child) return NULL;
  for (int i = 0; i < parent->nvmas; i++) vma_insert(k, child, &parent->vmas[i]);
  child->brk_start = parent->brk_start;
  child->brk = parent->brk;
  child->mmap_base = parent->mmap_base;
  child->stack_limit = parent->stack_limit;
  struct mm *saved = k->mm;
  pv_batch(k, true);                 /* copy_page_range runs in lazy MMU mode */
  for (int i = 0; i < parent->nvmas; i++) {
    const struct vma *v = &parent->vmas[i];
    for (uint64_t va = v->start; va < v->end; va += PAGE) {
      uint64_t leaf = 0, cyc = 0;
      uint64_t e = pte_lookup_4k(k, parent, va, &leaf, &cyc);
      if (!(e & PTE_P)) {
        /* skip a whole missing page table quickly */
        if (!leaf) va = (((va >> 21) + 1) << 21) - PAGE;
        continue;
      }
      if ((e & PTE_W) && !(v->flags & VM_SHARED)) {
        e &= ~PTE_W;
        kwrite_pte(k, leaf, e, 1, &cyc);
      }
      uint64_t pa = e & PTE_ADDR;
      if (pa != k->zero_page) k->frame_refs[pa >> 12]++;
      k->mm = child;
      uint64_t cleaf;
      int newt;
      op_ensure_tables(k, va, &cleaf, &newt);
      k->mm = saved;
      if (!cleaf) { pv_batch(k, false); mm_put(k, child); return NULL; }
      kwrite_pte(k, cleaf, e, 1, &cyc);
      child->rss_pages++;
    }
  }
  k->mm = saved;
  pv_batch(k, false);
  guest_flush_tlb(k);      /* the parent lost write access to its pages */
  return child;
}

/* ---- KPTI (guest.kpti): user and kernel page tables, switched on every
 * kernel entry and exit.  Without PCIDs (guest.pcid=0) each switch flushes
 * the non-global TLB entries; with them the kernel runs under PCID 1 and
 * the user under PCID 1|0x800 (Linux's kern/user ASID pair), CR3 writes
 * with the no-flush bit.  With KPTI the kernel's direct map is not
 * global (only the entry trampoline is, in Linux). */
#define KPCID 1ull
#define UPCID (1ull | 0x800)
#define NOFLUSH (1ull << 63)

void mm_switch_user(struct kernel *k) {
  uint64_t cr3 = k->mm->pml4;
  if (k->kpti && k->kpti_pcid) {
    /* another mm: both PCIDs of the pair held the old one's translations
     * (Linux gives each mm its own pair; one pair, flushed, is equivalent) */
    guest_invpcid(k, 1, KPCID, 0);
    cr3 |= UPCID;
  }
  guest_write_cr3(k, cr3);
}

uint64_t kpti_enter(struct kernel *k) {
  if (!k->kpti || !k->mm) return 0;
  k->kpti_switches++;
  guest_write_cr3(k, k->mm->pml4 | (k->kpti_pcid ? KPCID | NOFLUSH : 0));
  return params_get(k->sim_params, "guest.kpti_cr3_write");
}

uint64_t kpti_exit(struct kernel *k) {
  if (!k->kpti || !k->mm) return 0;
  k->kpti_switches++;
  guest_write_cr3(k, k->mm->pml4 | (k->kpti_pcid ? UPCID | NOFLUSH : 0));
  return params_get(k->sim_params, "guest.kpti_cr3_write");
}
