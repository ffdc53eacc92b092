/* /proc/<pid>/smaps and smaps_rollup: each VMA's memory, counted from the
 * page tables (procfs.c serves the files). */
#include "sim/procfs_priv.h"
#include "sim/mm_internal.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- /proc/<pid>/smaps: per-VMA memory from the page tables ---- */

struct mstat {
  uint64_t rss, pss, pss_dirty, pss_anon, pss_file;   /* pss: bytes << 12 */
  uint64_t shc, shd, prc, prd, ref, anon, anon_huge, locked;
};

/* Walk the VMA's present pages (a read: huge leaves are not split; tables
 * that are missing are skipped whole).  Sharing is the frame's reference
 * count less the page cache's own reference: an approximation of Linux's
 * mapcount (a frame referenced from elsewhere, e.g. a pipe, looks shared).
 * The zero page is not counted, as Linux's vm_normal_page skips it.
 * Dirty and Referenced are the PTE's D and A bits only (no struct page
 * flags in the model). */
static void vma_mstat(struct kernel *k, struct mm *mm, const struct vma *v, struct mstat *s) {
  for (uint64_t va = v->start; va < v->end;) {
    int level = 1;
    uint64_t cyc = 0;
    uint64_t epa = kpt_descend(k, mm, va, 1, false, &level, NULL, &cyc);
    uint64_t span = 1ull << (12 + 9 * (level - 1));
    uint64_t next = (va & ~(span - 1)) + span;
    if (next > v->end || next <= va) next = v->end;
    uint64_t e = epa ? kread64(k, epa, &cyc) : 0;
    uint64_t pa = e & PTE_ADDR;
    if (epa && pte_mapped(e) && pa != k->zero_page) {
      uint64_t bytes = next - va;
      /* a file page is the cache's frame for its offset (else a COW copy) */
      bool pc = v->file && level == 1 &&
                pc_lookup(k, v->file, (v->file_off + (va - v->start)) / PAGE) == pa;
      uint64_t refs = k->frame_refs[pa >> 12];
      uint64_t mc = refs > (pc ? 1u : 0u) ? refs - (pc ? 1u : 0u) : 1;
      bool dirty = e & PTE_D, anon = !v->file || !pc;
      uint64_t pss = (bytes << 12) / mc;
      s->rss += bytes;
      s->pss += pss;
      if (dirty) s->pss_dirty += pss;
      if (anon) s->pss_anon += pss;
      else s->pss_file += pss;
      if (mc > 1) { if (dirty) s->shd += bytes; else s->shc += bytes; }
      else { if (dirty) s->prd += bytes; else s->prc += bytes; }
      if (e & PTE_A) s->ref += bytes;
      if (anon) s->anon += bytes;
      if (anon && level == 2) s->anon_huge += bytes;
      if (v->flags & VM_LOCKED) s->locked += pss;
    }
    va = next;
  }
}

static void mstat_add(struct mstat *a, const struct mstat *b) {
  a->rss += b->rss; a->pss += b->pss; a->pss_dirty += b->pss_dirty; a->pss_anon += b->pss_anon;
  a->pss_file += b->pss_file; a->shc += b->shc; a->shd += b->shd; a->prc += b->prc;
  a->prd += b->prd; a->ref += b->ref; a->anon += b->anon; a->anon_huge += b->anon_huge;
  a->locked += b->locked;
}

static void kb_line(struct sbuf *b, const char *name, uint64_t bytes) {
  sb_printf(b, "%-16s%8llu kB\n", name, (unsigned long long)(bytes >> 10));
}

static void mstat_lines(struct sbuf *b, const struct mstat *s, bool rollup) {
  kb_line(b, "Rss:", s->rss);
  kb_line(b, "Pss:", s->pss >> 12);
  kb_line(b, "Pss_Dirty:", s->pss_dirty >> 12);
  if (rollup) {
    kb_line(b, "Pss_Anon:", s->pss_anon >> 12);
    kb_line(b, "Pss_File:", s->pss_file >> 12);
    kb_line(b, "Pss_Shmem:", 0);
  }
  kb_line(b, "Shared_Clean:", s->shc);
  kb_line(b, "Shared_Dirty:", s->shd);
  kb_line(b, "Private_Clean:", s->prc);
  kb_line(b, "Private_Dirty:", s->prd);
  kb_line(b, "Referenced:", s->ref);
  kb_line(b, "Anonymous:", s->anon);
  static const char *const zero[] = {"KSM:", "LazyFree:"};
  for (size_t i = 0; i < 2; i++) kb_line(b, zero[i], 0);
  kb_line(b, "AnonHugePages:", s->anon_huge);
  static const char *const zero2[] = {"ShmemPmdMapped:", "FilePmdMapped:", "Shared_Hugetlb:",
                                      "Private_Hugetlb:", "Swap:", "SwapPss:"};
  for (size_t i = 0; i < sizeof zero2 / sizeof zero2[0]; i++) kb_line(b, zero2[i], 0);
  kb_line(b, "Locked:", s->locked >> 12);
}

void proc_gen_smaps(struct kernel *k, const struct pctx *p, struct sbuf *b, bool rollup) {
  struct mm *mm = p->c->mm;
  struct mstat all = {0};
  for (int i = 0; mm && i < mm->nvmas; i++) {
    const struct vma *v = &mm->vmas[i];
    struct mstat s = {0};
    vma_mstat(k, mm, v, &s);
    if (rollup) { mstat_add(&all, &s); continue; }
    maps_line(k, v, b);
    kb_line(b, "Size:", v->end - v->start);
    kb_line(b, "KernelPageSize:", (v->flags & VM_HUGETLB) ? HPAGE : PAGE);   /* vma_kernel_pagesize */
    kb_line(b, "MMUPageSize:", (v->flags & VM_HUGETLB) ? HPAGE : PAGE);
    mstat_lines(b, &s, false);
    bool thp = k->policy.thp == 2 || (k->policy.thp == 1 && (v->flags & VM_HUGEPAGE));
    sb_printf(b, "THPeligible:    %d\n",
              thp && !v->file && !(v->flags & VM_NOHUGEPAGE) && v->end - v->start >= (2u << 20));
    /* VmFlags in Linux's order (show_smap_vma_flags) */
    static const struct { uint32_t f; const char *n; } fl[] = {
      {VM_READ, "rd"}, {VM_WRITE, "wr"}, {VM_EXEC, "ex"}, {VM_SHARED, "sh"}};
    sb_add(b, "VmFlags:", 8);
    for (size_t j = 0; j < sizeof fl / sizeof fl[0]; j++)
      if (v->flags & fl[j].f) sb_printf(b, " %s", fl[j].n);
    /* may-read/write/exec follow the mapping's maximal protection: for a
     * private or anonymous mapping every access may be granted later */
    bool shro = v->file && (v->flags & VM_SHARED) && !(v->flags & VM_WRITE);
    sb_printf(b, " mr%s me", shro ? "" : " mw");
    if (v->flags & VM_GROWSDOWN) sb_add(b, " gd", 3);
    if (v->flags & VM_LOCKED) sb_add(b, " lo", 3);
    if (v->flags & VM_DONTCOPY) sb_add(b, " dc", 3);
    if (!(v->flags & (VM_SHARED | VM_HUGETLB)) && (!v->file || (v->flags & VM_WRITE))) sb_add(b, " ac", 3);
    if (v->flags & VM_HUGETLB) sb_add(b, " ht", 3);
    if (v->flags & VM_HUGEPAGE) sb_add(b, " hg", 3);
    if (v->flags & VM_NOHUGEPAGE) sb_add(b, " nh", 3);
    if (v->flags & VM_WIPEONFORK) sb_add(b, " wf", 3);
    sb_add(b, " \n", 2);
  }
  if (rollup) {
    uint64_t lo = mm && mm->nvmas ? mm->vmas[0].start : 0, hi = mm && mm->nvmas ? mm->vmas[mm->nvmas - 1].end : 0;
    int n = snprintf(NULL, 0, "%08llx-%08llx ---p 00000000 00:00 0 ", (unsigned long long)lo,
                     (unsigned long long)hi);
    sb_printf(b, "%08llx-%08llx ---p 00000000 00:00 0 ", (unsigned long long)lo, (unsigned long long)hi);
    for (; n < 73; n++) sb_add(b, " ", 1);
    sb_add(b, "[rollup]\n", 9);
    mstat_lines(b, &all, true);
  }
}

