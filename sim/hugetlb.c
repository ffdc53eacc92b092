/* The hugetlb page pool (mm/hugetlb.c, Documentation/admin-guide/mm/
 * hugetlbpage.rst), 2 MiB pages only:
 *  - vm.nr_hugepages asks for persistent pages; each is a 2M-aligned run
 *    of guest RAM, and the value reads back what could be had;
 *    vm.nr_overcommit_hugepages allows that many surplus pages beyond it,
 *    taken when a reservation needs them and given back when freed;
 *  - mmap(MAP_HUGETLB), memfd_create(MFD_HUGETLB) files and
 *    shmget(SHM_HUGETLB) segments are hugetlb files: their mappings
 *    reserve pages up front (hugetlb_reserve_pages: shared ones once per
 *    page of the file, private ones per mapping unless MAP_NORESERVE) and
 *    fail with ENOMEM when the pool cannot cover it;
 *  - a fault takes a page (a reserved one first), zeroed, and maps it with
 *    one 2M leaf (the THP path's ops: thp_alloc/thp_zero/thp_map); no page
 *    left is SIGBUS.  A shared file keeps its pages until its last
 *    reference goes; a private page goes back when nothing maps it.
 * /proc/meminfo's HugePages_* lines and /sys/kernel/mm/hugepages show it.
 * Approximations (docs/syscalls.md): a private mapping gets its own copy
 * of a page the file already has at the first fault, not at the first
 * write; after fork (or a split by mprotect) the 2M leaf is split into 4K
 * entries and copy-on-write goes by 4K; 1 GiB pages exist as a size with
 * an empty pool. */
#include "sim/kernel.h"
#include "sim/mm_internal.h"
#include "sim/procfs_priv.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HP_FREE 0
#define HP_FILE 1            /* a shared file's page */
#define HP_PRIVATE 2         /* a private mapping's page: free again when nothing maps it */

/* a hugetlb file's pages and reservations, by 2M index of the file */
#define R_SHARED 1           /* reserved for the file's page (shared mappings) */
#define R_PRIVATE 2          /* reserved for a private mapping's own page (Linux keeps
                                these in the mapping's resv_map, by the same index) */
struct hugetlb_file {
  uint64_t *pa;              /* the file's page, 0 none yet */
  uint8_t *resv;             /* R_* */
  size_t n;
};

static bool grow_file(struct hugetlb_file *h, size_t n) {
  if (n <= h->n) return true;
  uint64_t *pa = realloc(h->pa, n * sizeof *pa);
  if (!pa) return false;
  h->pa = pa;
  uint8_t *r = realloc(h->resv, n);
  if (!r) return false;
  h->resv = r;
  memset(h->pa + h->n, 0, (n - h->n) * sizeof *pa);
  memset(h->resv + h->n, 0, n - h->n);
  h->n = n;
  return true;
}

/* ---- the pool ---- */

static bool pool_add(struct kernel *k, bool surplus) {
  struct hugetlb_pool *p = &k->hp;
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 16;
    uint64_t *npa = realloc(p->pa, nc * sizeof *npa);
    if (!npa) return false;
    p->pa = npa;
    uint8_t *ns = realloc(p->state, nc);
    if (!ns) return false;
    p->state = ns;
    p->cap = nc;
  }
  uint64_t pa = frames_alloc_2m(k);     /* alloc_fresh_hugetlb_folio */
  if (!pa) return false;
  p->pa[p->n] = pa;
  p->state[p->n++] = HP_FREE;
  if (surplus) p->surplus++;
  return true;
}

static void pool_remove(struct kernel *k, size_t i) {
  struct hugetlb_pool *p = &k->hp;
  for (uint64_t f = 0; f < 512; f++) frame_put(k, p->pa[i] + f * PAGE);
  p->pa[i] = p->pa[p->n - 1];
  p->state[i] = p->state[p->n - 1];
  p->n--;
}

static void memfd_gc(struct kernel *k);

/* private pages nothing maps any more are free again (free_huge_folio),
 * and closed memfds' pages */
static void reap(struct kernel *k) {
  struct hugetlb_pool *p = &k->hp;
  if (p->nmemfd) memfd_gc(k);
  for (size_t i = 0; i < p->n; i++) {
    if (p->state[i] != HP_PRIVATE) continue;
    bool used = false;
    for (uint64_t f = 0; f < 512 && !used; f++) used = k->frame_refs[(p->pa[i] >> 12) + f] > 1;
    if (!used) p->state[i] = HP_FREE;
  }
}

static uint64_t nfree(struct kernel *k) {
  uint64_t n = 0;
  for (size_t i = 0; i < k->hp.n; i++) n += k->hp.state[i] == HP_FREE;
  return n;
}

/* a page freed: a surplus page leaves the pool (the pool shrinks to
 * what nr_hugepages asks first), else it waits in it */
static void page_free(struct kernel *k, uint64_t pa) {
  struct hugetlb_pool *p = &k->hp;
  for (size_t i = 0; i < p->n; i++) {
    if (p->pa[i] != pa) continue;
    p->state[i] = HP_FREE;
    if (p->surplus) { p->surplus--; pool_remove(k, i); }
    return;
  }
}

/* vm.nr_hugepages written (set_max_huge_pages): surplus pages become
 * persistent first, then new pages are allocated while RAM has 2M runs;
 * shrinking frees free pages, and pages in use above the count become
 * surplus.  The value reads back the persistent pages. */
void hugetlb_set_pages(struct kernel *k, uint64_t want) {
  struct hugetlb_pool *p = &k->hp;
  reap(k);
  uint64_t persistent = p->n - p->surplus;
  while (p->surplus && persistent < want) { p->surplus--; persistent++; }
  while (persistent < want && pool_add(k, false)) persistent++;
  /* free pages beyond what is wanted, keeping those reserved */
  uint64_t keep = k->hp.resv;
  for (size_t i = p->n; i-- > 0 && persistent > want;) {
    if (p->state[i] != HP_FREE) continue;
    if (keep) { keep--; continue; }
    pool_remove(k, i);
    persistent--;
  }
  p->surplus += persistent > want ? persistent - want : 0;
  k->sysctl.nr_hugepages = p->n - p->surplus;
}

uint64_t hugetlb_free_pages(struct kernel *k) {
  reap(k);
  return nfree(k);
}

/* /proc/meminfo's lines (hugetlb_report_meminfo) */
void hugetlb_meminfo(struct kernel *k, struct sbuf *b) {
  reap(k);
  const struct hugetlb_pool *p = &k->hp;
  sb_printf(b, "HugePages_Total:   %5llu\nHugePages_Free:    %5llu\nHugePages_Rsvd:    %5llu\n"
            "HugePages_Surp:    %5llu\n%-16s%8u kB\n%-16s%8llu kB\n",
            (unsigned long long)p->n, (unsigned long long)nfree(k), (unsigned long long)p->resv,
            (unsigned long long)p->surplus, "Hugepagesize:", 2048u, "Hugetlb:",
            (unsigned long long)p->n * 2048);
}

/* /sys/kernel/mm/hugepages/hugepages-2048kB/<name> (hstate_attrs) */
static bool hugetlb_sysfs(struct kernel *k, const char *name, struct sbuf *b) {
  reap(k);
  const struct hugetlb_pool *p = &k->hp;
  uint64_t v;
  if (!strcmp(name, "nr_hugepages")) v = p->n - p->surplus;
  else if (!strcmp(name, "free_hugepages")) v = nfree(k);
  else if (!strcmp(name, "resv_hugepages")) v = p->resv;
  else if (!strcmp(name, "surplus_hugepages")) v = p->surplus;
  else if (!strcmp(name, "nr_overcommit_hugepages")) v = p->nr_overcommit;
  else return false;
  sb_printf(b, "%llu\n", (unsigned long long)v);
  return true;
}

/* ---- reservations (hugetlb_reserve_pages, hugetlb_acct_memory) ---- */

/* n more pages reserved if the pool can cover them, surplus pages taken
 * up to vm.nr_overcommit_hugepages (gather_surplus_pages) */
static bool acct(struct kernel *k, uint64_t n) {
  reap(k);
  struct hugetlb_pool *p = &k->hp;
  uint64_t fr = nfree(k), avail = fr > p->resv ? fr - p->resv : 0;
  if (n > avail) {
    uint64_t need = n - avail;
    if (p->surplus + need > p->nr_overcommit) return false;
    uint64_t got = 0;
    while (got < need && pool_add(k, true)) got++;
    if (got < need) {
      for (size_t i = p->n; got && i-- > 0;)
        if (p->state[i] == HP_FREE) { p->surplus--; pool_remove(k, i); got--; }
      return false;
    }
  }
  p->resv += n;
  return true;
}

static void unacct(struct kernel *k, uint64_t n) {
  struct hugetlb_pool *p = &k->hp;
  p->resv = p->resv > n ? p->resv - n : 0;
  /* surplus pages no longer needed leave (return_unused_surplus_pages) */
  for (size_t i = p->n; p->surplus && i-- > 0;)
    if (p->state[i] == HP_FREE && nfree(k) > p->resv) { p->surplus--; pool_remove(k, i); }
}

int hugetlb_make_file(struct host_file *hf) {
  if (hf->huge) return 0;
  hf->huge = calloc(1, sizeof *hf->huge);
  return hf->huge ? 0 : -ENOMEM;
}

/* A mapping of [off, off + len) of hugetlb file hf: 0, or -ENOMEM when
 * the pool cannot reserve its pages. */
long hugetlb_reserve(struct kernel *k, struct host_file *hf, uint64_t off, uint64_t len, bool shared,
                     bool noreserve) {
  if (hugetlb_make_file(hf)) return -ENOMEM;
  struct hugetlb_file *h = hf->huge;
  if (hf->huge_1g) return noreserve ? 0 : -ENOMEM;   /* no 1G page in the pool, ever */
  if (noreserve) return 0;
  uint64_t lo = off / HPAGE, hi = (off + len + HPAGE - 1) / HPAGE;
  if (!grow_file(h, (size_t)hi)) return -ENOMEM;
  uint64_t need = 0;
  if (!shared) {                       /* every page of the mapping (not yet reserved) */
    for (uint64_t i = lo; i < hi; i++) need += !(h->resv[i] & R_PRIVATE);
    if (!acct(k, need)) return -ENOMEM;
    for (uint64_t i = lo; i < hi; i++) h->resv[i] |= R_PRIVATE;
    return 0;
  }
  /* pages of the file neither there nor reserved (region_chg) */
  for (uint64_t i = lo; i < hi; i++) need += !h->pa[i] && !(h->resv[i] & R_SHARED);
  if (!acct(k, need)) return -ENOMEM;
  for (uint64_t i = lo; i < hi; i++) if (!h->pa[i]) h->resv[i] |= R_SHARED;
  return 0;
}

/* A private hugetlb mapping goes (all or part of it: hugetlb_vm_op_close):
 * what it reserved and did not use is given back.  A fork's child's copy
 * (VM_NORESERVE: not the reservation's owner) has none. */
void hugetlb_vma_close(struct kernel *k, const struct vma *v) {
  struct hugetlb_file *h = v->file ? v->file->huge : NULL;
  if (!h || !(v->flags & VM_HUGETLB) || (v->flags & (VM_SHARED | VM_NORESERVE))) return;
  uint64_t lo = v->file_off / HPAGE, hi = lo + (v->end - v->start + HPAGE - 1) / HPAGE, n = 0;
  for (uint64_t i = lo; i < hi && i < h->n; i++)
    if (h->resv[i] & R_PRIVATE) { h->resv[i] &= (uint8_t)~R_PRIVATE; n++; }
  unacct(k, n);
}

/* the last reference to a hugetlb file: its pages and reservations go
 * (hugetlbfs_evict_inode; the private mappings' with them) */
void hugetlb_file_free(struct kernel *k, struct host_file *hf) {
  struct hugetlb_file *h = hf->huge;
  if (!h) return;
  uint64_t unused = 0;
  for (size_t i = 0; i < h->n; i++) {
    unused += ((h->resv[i] & R_SHARED) != 0) + ((h->resv[i] & R_PRIVATE) != 0);
    if (h->pa[i]) page_free(k, h->pa[i]);
  }
  unacct(k, unused);
  free(h->pa);
  free(h->resv);
  free(h);
  hf->huge = NULL;
}

/* ---- faults (hugetlb_no_page) ---- */

static uint64_t take_page(struct kernel *k, uint8_t state) {
  struct hugetlb_pool *p = &k->hp;
  for (size_t i = 0; i < p->n; i++)
    if (p->state[i] == HP_FREE) { p->state[i] = state; return p->pa[i]; }
  return 0;
}

/* The page for a fault at va in hugetlb VMA v, with a reference for the
 * mapping on each of its frames: *fresh when it must be zeroed, *src a
 * page to copy into it (a private mapping of a file page), 0 when the
 * pool has none (SIGBUS). */
uint64_t hugetlb_fault_page(struct kernel *k, const struct vma *v, uint64_t va, bool *fresh, uint64_t *src) {
  struct hugetlb_file *h = v->file ? v->file->huge : NULL;
  *fresh = false;
  *src = 0;
  if (!h || v->file->huge_1g) return 0;
  uint64_t idx = (v->file_off + ((va & ~(HPAGE - 1)) - v->start)) / HPAGE;
  reap(k);
  uint64_t avail = nfree(k);
  uint64_t pa = 0;
  if (v->flags & VM_SHARED) {
    if (!grow_file(h, (size_t)idx + 1)) return 0;
    pa = h->pa[idx];
    if (!pa) {
      /* a page reserved for it, or a free page no reservation holds */
      bool had = h->resv[idx] & R_SHARED;
      if (!had && avail <= k->hp.resv) return 0;
      if (!(pa = take_page(k, HP_FILE))) return 0;
      if (had) { h->resv[idx] &= (uint8_t)~R_SHARED; k->hp.resv--; }
      h->pa[idx] = pa;
      *fresh = true;
    }
  } else {
    bool had = idx < h->n && (h->resv[idx] & R_PRIVATE) && !(v->flags & VM_NORESERVE);
    if (!had && avail <= k->hp.resv) return 0;
    if (!(pa = take_page(k, HP_PRIVATE))) return 0;
    if (had) { h->resv[idx] &= (uint8_t)~R_PRIVATE; k->hp.resv--; }
    if (idx < h->n && h->pa[idx]) *src = h->pa[idx];
    else *fresh = true;
  }
  for (uint64_t f = 0; f < 512; f++) k->frame_refs[(pa >> 12) + f]++;
  return pa;
}

/* ---- MFD_HUGETLB memfds: a host memfd names the file (hugetlbfs has
 * no write(): EINVAL; ftruncate by whole pages); its pages are the
 * inode's, here this entry's, kept while the memfd is open or mapped ---- */

struct hugetlb_memfd {
  uint64_t dev, ino;
  int log;                   /* 21 or 30 */
  struct hugetlb_file *h;    /* its pages, once mapped */
  int maps;                  /* mapping objects (host_file) using h */
};

static struct hugetlb_memfd *memfd_find(struct kernel *k, uint64_t dev, uint64_t ino) {
  for (size_t i = 0; i < k->hp.nmemfd; i++)
    if (k->hp.memfd[i].dev == dev && k->hp.memfd[i].ino == ino) return &k->hp.memfd[i];
  return NULL;
}

int hugetlb_memfd(struct kernel *k, uint64_t dev, uint64_t ino) {
  const struct hugetlb_memfd *m = memfd_find(k, dev, ino);
  return m ? m->log : 0;
}

void hugetlb_memfd_add(struct kernel *k, uint64_t dev, uint64_t ino, int log) {
  struct hugetlb_memfd *m = realloc(k->hp.memfd, (k->hp.nmemfd + 1) * sizeof *m);
  if (!m) return;
  k->hp.memfd = m;
  m[k->hp.nmemfd++] = (struct hugetlb_memfd){.dev = dev, .ino = ino, .log = log};
}

void hugetlb_memfd_attach(struct kernel *k, struct host_file *hf) {
  struct hugetlb_memfd *m = memfd_find(k, hf->dev, hf->ino);
  if (!m) return;
  if (!m->h && !(m->h = calloc(1, sizeof *m->h))) return;
  hf->huge = m->h;
  hf->huge_memfd = true;
  m->maps++;
}

void hugetlb_memfd_detach(struct kernel *k, struct host_file *hf) {
  struct hugetlb_memfd *m = memfd_find(k, hf->dev, hf->ino);
  if (m && m->maps) m->maps--;
  hf->huge = NULL;
}

/* memfds neither mapped nor open any more: their pages go back
 * (hugetlbfs_evict_inode), at the pool's next use */
static void memfd_gc(struct kernel *k) {
  for (size_t i = 0; i < k->hp.nmemfd;) {
    struct hugetlb_memfd *m = &k->hp.memfd[i];
    if (m->maps || fds_file_open(k, m->dev, m->ino, false)) { i++; continue; }
    if (m->h) {
      struct host_file tmp = {.huge = m->h};
      hugetlb_file_free(k, &tmp);
    }
    *m = k->hp.memfd[--k->hp.nmemfd];
  }
}

void hugetlb_free_all(struct kernel *k) {
  free(k->hp.pa);
  free(k->hp.state);
  for (size_t i = 0; i < k->hp.nmemfd; i++)
    if (k->hp.memfd[i].h) { free(k->hp.memfd[i].h->pa); free(k->hp.memfd[i].h->resv); free(k->hp.memfd[i].h); }
  free(k->hp.memfd);
  memset(&k->hp, 0, sizeof k->hp);
}

/* ---- /sys/kernel/mm/hugepages: the model's one hstate (2M) and its
 * read-only counters (writes go to /proc/sys/vm); never the host's ---- */

static const char hdir[] = "/sys/kernel/mm/hugepages", hsub[] = "hugepages-2048kB";

bool hugetlb_sys_path(const char *g) {
  return !strncmp(g, hdir, sizeof hdir - 1) && (!g[sizeof hdir - 1] || g[sizeof hdir - 1] == '/');
}

int hugetlb_sys_lookup(struct kernel *k, const char *g, struct px *r, bool slash) {
  const char *t = g + sizeof hdir - 1;
  struct sbuf b = {0};
  if (!*t) {
    dir_add(k, &b, hdir, ".", DT_DIR);
    dir_add(k, &b, hdir, "..", DT_DIR);
    dir_add(k, &b, hdir, hsub, DT_DIR);
    return px_dir(r, &b);
  }
  char sub[64];
  snprintf(sub, sizeof sub, "%s/%s", hdir, hsub);
  if (!strcmp(g, sub)) {
    static const char *const names[] = {"free_hugepages", "nr_hugepages", "nr_overcommit_hugepages",
                                        "resv_hugepages", "surplus_hugepages"};
    dir_add(k, &b, sub, ".", DT_DIR);
    dir_add(k, &b, sub, "..", DT_DIR);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) dir_add(k, &b, sub, names[i], DT_REG);
    return px_dir(r, &b);
  }
  if (!strncmp(g, sub, strlen(sub)) && g[strlen(sub)] == '/' && hugetlb_sysfs(k, g + strlen(sub) + 1, &b))
    return px_file(r, &b, slash);
  free(b.p);
  return -ENOENT;
}
