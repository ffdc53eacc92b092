/* The guest kernel's page cache: file pages by (device, inode, page
 * offset), shared by every mapping of the file in every process, as on
 * Linux.  File-backed faults map these frames (read-only for private
 * mappings: a write copies), and fault-around maps cached neighbours
 * without further faults (guest.fault_around_bytes, Linux's 64 KiB).
 * guest.page_cache_warm=1 treats files as already cached when the run
 * starts (the common case for a binary just built or run); 0 makes a miss
 * cost io.read_latency and read ahead guest.readahead_bytes. */
#include "sim/kernel.h"
#include "sim/record.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct pc_page {
  uint64_t dev, ino, pgoff, pa;
  uint64_t seq;              /* fill order: reclaim takes the oldest first */
  struct pc_page *next;
  bool shared_w;             /* mapped into a shared writable VMA: its frame
                                may hold stores the host file lacks */
  bool shmem;                /* a shmem file's: its only copy (no swap), never reclaimed */
};

/* Files with pages in shared writable mappings: a descriptor to write the
 * pages back through, and the offsets of those pages. */
struct pc_inode {
  uint64_t dev, ino;
  int fd;                    /* a dup of the mapping's (O_RDWR) descriptor */
  uint64_t *pg;              /* page offsets marked shared_w */
  size_t n, cap;
  uint64_t mtime_ns;         /* guest time of the last write fault that
                                marked a page: the file's mtime after
                                writeback (Linux stamps at page_mkwrite) */
};

#define PC_BUCKETS 65536

static inline size_t bucket(uint64_t dev, uint64_t ino, uint64_t pgoff) {
  uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full) ^ (pgoff * 0x165667b19e3779f9ull);
  return (size_t)(h >> 48) & (PC_BUCKETS - 1);
}

void host_file_identify(struct host_file *hf) {
  struct stat st;
  if (fstat(hf->fd, &st) == 0) { hf->dev = st.st_dev; hf->ino = st.st_ino; hf->size = (uint64_t)st.st_size; }
}

uint64_t host_file_size(const struct host_file *hf) {
  struct stat st;
  return fstat(hf->fd, &st) == 0 ? (uint64_t)st.st_size : hf->size;
}

uint64_t pc_lookup(struct kernel *k, const struct host_file *hf, uint64_t pgoff) {
  if (!k->pc_hash) return 0;
  for (struct pc_page *p = k->pc_hash[bucket(hf->dev, hf->ino, pgoff)]; p; p = p->next)
    if (p->dev == hf->dev && p->ino == hf->ino && p->pgoff == pgoff) return p->pa;
  return 0;
}

/* Read one file page into a new frame owned by the cache (reference 1). */
uint64_t pc_fill(struct kernel *k, const struct host_file *hf, uint64_t pgoff) {
  if (!k->pc_hash) k->pc_hash = calloc(PC_BUCKETS, sizeof *k->pc_hash);
  uint64_t pa = kernel_frame_alloc(k);
  if (!pa) return 0;
  uint8_t *h = mem_host(k->mem, pa);
  memset(h, 0, PAGE);
  size_t got = hf->shmem ? PAGE : 0;   /* (shmem: a new page is zero) */
  while (got < PAGE) {
    ssize_t r = pread(hf->fd, h + got, PAGE - got, (off_t)(pgoff * PAGE + got));
    if (r <= 0) break;
    got += (size_t)r;
  }
  struct pc_page *p = malloc(sizeof *p);
  *p = (struct pc_page){.dev = hf->dev, .ino = hf->ino, .pgoff = pgoff, .pa = pa, .seq = ++k->pc_seq,
                        .shmem = hf->shmem};
  size_t b = bucket(hf->dev, hf->ino, pgoff);
  p->next = k->pc_hash[b];
  k->pc_hash[b] = p;
  k->pc_pages++;
  rec_put(k, FLTR_K_PC_FILL, record_file(k, hf->dev, hf->ino), pgoff, pa >> 12, 0);
  return pa;
}

/* Take the cached pages `drop` picks out of the cache, in an order that
 * does not depend on where the hash put them (so not on host inode
 * numbers either): the oldest fills first, at most `max`.  Each leaves
 * the cache (written back first when writeback and a shared mapping may
 * have stored to it), recorded, and gives its frame back.  Returns how
 * many. */
static int by_seq(const void *a, const void *b) {
  uint64_t x = (*(struct pc_page *const *)a)->seq, y = (*(struct pc_page *const *)b)->seq;
  return x < y ? -1 : x > y;
}
/* Evict the n pages of v (sorted here): see pc_evict. */
static uint64_t evict_list(struct kernel *k, struct pc_page **v, size_t n, uint64_t max, bool writeback) {
  if (n > 1) qsort(v, n, sizeof *v, by_seq);
  if (n > max) n = (size_t)max;
  for (size_t i = 0; i < n; i++) {
    struct pc_page *p = v[i];
    struct pc_page **pp = &k->pc_hash[bucket(p->dev, p->ino, p->pgoff)];
    while (*pp != p) pp = &(*pp)->next;
    if (writeback && p->shared_w) pc_writeback(k, p->dev, p->ino, p->pgoff, p->pgoff + 1);
    *pp = p->next;
    rec_put(k, FLTR_K_RECLAIM, record_file(k, p->dev, p->ino), p->pgoff, p->pa >> 12, 0);
    if (k->hv->mode->reclaim) k->hv->mode->reclaim(k->hv, 1);   /* (SPIN raises Reclaim) */
    kernel_frame_put(k, p->pa);
    free(p);
    k->pc_pages--;
  }
  return n;
}

static bool push(struct pc_page ***v, size_t *n, size_t *cap, struct pc_page *p) {
  if (*n == *cap) {
    struct pc_page **nv = realloc(*v, (*cap = *cap ? *cap * 2 : 64) * sizeof **v);
    if (!nv) return false;
    *v = nv;
  }
  (*v)[(*n)++] = p;
  return true;
}

static uint64_t pc_evict(struct kernel *k, bool (*drop)(struct kernel *, const struct pc_page *, const void *),
                         const void *arg, uint64_t max, bool writeback) {
  if (!k->pc_hash || !max) return 0;
  struct pc_page **v = NULL;
  size_t n = 0, cap = 0;
  for (size_t b = 0; b < PC_BUCKETS; b++)
    for (struct pc_page *p = k->pc_hash[b]; p; p = p->next)
      if (drop(k, p, arg) && !push(&v, &n, &cap, p)) break;
  uint64_t r = evict_list(k, v, n, max, writeback);
  free(v);
  return r;
}

static struct pc_page *pc_find(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t pgoff) {
  if (!k->pc_hash) return NULL;
  for (struct pc_page *p = k->pc_hash[bucket(dev, ino, pgoff)]; p; p = p->next)
    if (p->dev == dev && p->ino == ino && p->pgoff == pgoff) return p;
  return NULL;
}

static struct pc_inode *pc_inode_find(struct kernel *k, uint64_t dev, uint64_t ino) {
  for (size_t i = 0; i < k->pc_ninodes; i++)
    if (k->pc_inodes[i].dev == dev && k->pc_inodes[i].ino == ino) return &k->pc_inodes[i];
  return NULL;
}

/* The page at pgoff of hf is mapped into a shared writable VMA: the guest's
 * stores go to its frame, the page cache's copy is the file's data (and is
 * written back to the host file: pc_writeback). */
void pc_mark_shared(struct kernel *k, const struct host_file *hf, uint64_t pgoff) {
  if (hf->shmem) return;               /* nothing to write back to */
  struct pc_page *p = pc_find(k, hf->dev, hf->ino, pgoff);
  if (!p || p->shared_w) return;
  struct pc_inode *in = pc_inode_find(k, hf->dev, hf->ino);
  if (in) in->mtime_ns = ktime_ns(k);
  if (!in) {
    if (k->pc_ninodes == k->pc_inodes_cap) {
      size_t nc = k->pc_inodes_cap ? k->pc_inodes_cap * 2 : 8;
      struct pc_inode *ni = realloc(k->pc_inodes, nc * sizeof *ni);
      if (!ni) return;
      k->pc_inodes = ni;
      k->pc_inodes_cap = nc;
    }
    int fd = fcntl(hf->fd, F_DUPFD_CLOEXEC, 100);
    if (fd < 0) return;
    in = &k->pc_inodes[k->pc_ninodes++];
    *in = (struct pc_inode){.dev = hf->dev, .ino = hf->ino, .fd = fd, .mtime_ns = ktime_ns(k)};
  }
  if (in->n == in->cap) {
    size_t nc = in->cap ? in->cap * 2 : 16;
    uint64_t *np = realloc(in->pg, nc * sizeof *np);
    if (!np) return;
    in->pg = np;
    in->cap = nc;
  }
  in->pg[in->n++] = pgoff;
  p->shared_w = true;
}

/* Write the possibly stored-to pages of a file in [lo, hi) (page offsets)
 * back to the host file, as far as its size; returns the pages written. */
uint64_t pc_writeback(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t lo, uint64_t hi) {
  struct pc_inode *in = pc_inode_find(k, dev, ino);
  if (!in || !in->n) return 0;
  struct stat st;
  if (fstat(in->fd, &st)) return 0;
  uint64_t size = (uint64_t)st.st_size, n = 0;
  for (size_t i = 0; i < in->n; i++) {
    uint64_t pg = in->pg[i];
    if (pg < lo || pg >= hi || pg * PAGE >= size) continue;
    struct pc_page *p = pc_find(k, dev, ino, pg);
    if (!p) continue;
    size_t len = size - pg * PAGE < PAGE ? (size_t)(size - pg * PAGE) : PAGE;
    if (pwrite(in->fd, mem_host(k->mem, p->pa), len, (off_t)(pg * PAGE)) == (ssize_t)len) n++;
  }
  if (n) fs_stamp_times(in->fd, in->mtime_ns, false);   /* the host's write moved it */
  return n;
}

/* Every file's, at the end of the run or a sync(): nothing is lost. */
uint64_t pc_writeback_all(struct kernel *k) {
  uint64_t n = 0;
  for (size_t i = 0; i < k->pc_ninodes; i++)
    n += pc_writeback(k, k->pc_inodes[i].dev, k->pc_inodes[i].ino, 0, ~0ull);
  return n;
}

/* A write() of n bytes at off reached the host file: the cached pages it
 * covers get the same bytes, so every mapping sees them at once. */
void pc_write_through(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t off, const void *buf, size_t n) {
  if (!k->pc_hash || !n) return;
  const uint8_t *b = buf;
  for (uint64_t pg = off / PAGE; pg * PAGE < off + n; pg++) {
    struct pc_page *p = pc_find(k, dev, ino, pg);
    if (!p) continue;
    uint64_t s = pg * PAGE > off ? pg * PAGE : off, e = (pg + 1) * PAGE < off + n ? (pg + 1) * PAGE : off + n;
    memcpy(mem_host(k->mem, p->pa) + (s - pg * PAGE), b + (s - off), (size_t)(e - s));
  }
}

/* The host file changed under the cache in [lo, hi) (fallocate's hole
 * punching, zeroing, collapsing): cached pages are read again. */
void pc_refresh(struct kernel *k, uint64_t dev, uint64_t ino, int fd, uint64_t lo, uint64_t hi) {
  if (!k->pc_hash) return;
  for (size_t b = 0; b < PC_BUCKETS; b++)
    for (struct pc_page *p = k->pc_hash[b]; p; p = p->next) {
      if (p->dev != dev || p->ino != ino || p->pgoff < lo || p->pgoff >= hi) continue;
      uint8_t *h = mem_host(k->mem, p->pa);
      memset(h, 0, PAGE);
      ssize_t r = pread(fd, h, PAGE, (off_t)(p->pgoff * PAGE));
      (void)r;
    }
}

/* Reclaim: drop cached pages no mapping uses (a page that was mapped
 * shared-writable is written back first). */
/* a page no mapping uses (the cache holds its one reference) */
static bool unused(struct kernel *k, const struct pc_page *p, const void *arg) {
  (void)arg;
  return !p->shmem && k->frame_refs[p->pa >> 12] == 1;
}

uint64_t pc_reclaim(struct kernel *k, uint64_t want) {
  return pc_evict(k, unused, NULL, want, true);
}

/* Drop the cached pages of a file at and beyond page `from` (truncation):
 * their frames stay with any mapping that still maps them until it is
 * zapped (pc_truncate's caller does that). */
struct past { uint64_t dev, ino, from; };
static bool past_eof(struct kernel *k, const struct pc_page *p, const void *arg) {
  const struct past *x = arg;
  (void)k;
  return p->dev == x->dev && p->ino == x->ino && p->pgoff >= x->from;
}
void pc_drop_from(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t from) {
  struct past x = {dev, ino, from};
  pc_evict(k, past_eof, &x, ~0ull, false);
}

void pc_free_all(struct kernel *k) {
  /* the guest's stores through shared mappings reach the host file by the
   * end of the run at the latest (as flusher threads would write them) */
  pc_writeback_all(k);
  for (size_t i = 0; i < k->pc_ninodes; i++) { close(k->pc_inodes[i].fd); free(k->pc_inodes[i].pg); }
  free(k->pc_inodes);
  k->pc_inodes = NULL;
  free(k->hf_hash);                  /* (files still mapped are freed with their VMAs) */
  k->hf_hash = NULL;
  k->pc_ninodes = k->pc_inodes_cap = 0;
  if (!k->pc_hash) return;
  for (size_t b = 0; b < PC_BUCKETS; b++)
    for (struct pc_page *p = k->pc_hash[b], *n; p; p = n) { n = p->next; free(p); }
  free(k->pc_hash);
  k->pc_hash = NULL;
}

/* A synchronous writeback the guest waited for (msync MS_SYNC, fsync,
 * sync): one step, its pages' submission and device time. */
void pc_charge_writeback(struct kernel *k, uint64_t pages) {
  if (!pages) return;
  rec_put(k, FLTR_K_WRITEBACK, pages, 0, 0, 0);
  pc_writeback_step(k, pages);
}
void pc_writeback_step(struct kernel *k, uint64_t pages) {
  hv_begin(k->hv, EV_S_FILE_WRITEBACK, 0, pages);
  hv_end_n(k->hv, pages * k->policy.io_write_latency, pages);
}

/* Dirty throttling (mm/page-writeback.c balance_dirty_pages): write()
 * puts its data in the page cache (here: the cache and the host file at
 * once, so nothing can be lost) and leaves it dirty for the flusher.
 * Once the dirty pages pass guest.dirty_ratio of RAM, the writer waits
 * while they are written back down to guest.dirty_background_ratio: a
 * charged file.writeback step.  The flusher that runs every
 * guest.dirty_writeback_ms writes them back in the background (free for
 * the writer): modeled as the count dropping to zero when that much
 * guest time has passed since the oldest dirty page.  (Approximations:
 * Linux throttles gradually around a setpoint and expires pages by age.) */
void pc_dirtied(struct kernel *k, uint64_t pages) {
  const struct guest_policy *g = &k->policy;
  if (!g->dirty_limit_pages) return;
  uint64_t now = ktime_ns(k);
  if (k->dirty_pages && now - k->dirty_since_ns >= g->dirty_writeback_ns) k->dirty_pages = 0;
  if (!k->dirty_pages) k->dirty_since_ns = now;
  k->dirty_pages += pages;
  if (k->dirty_pages <= g->dirty_limit_pages) return;
  pc_charge_writeback(k, k->dirty_pages - g->dirty_bg_pages);
  k->dirty_pages = g->dirty_bg_pages;
}

/* Every mapping of pages [lo, hi) of a file zapped (an access faults the
 * file's page again: SIGBUS past EOF, a new page in a hole), then its
 * cached pages there dropped (Linux unmap_mapping_range, then
 * truncate_inode_pages_range). */
struct range { uint64_t dev, ino, lo, hi; };
static bool in_range(struct kernel *k, const struct pc_page *p, const void *arg) {
  const struct range *x = arg;
  (void)k;
  return p->dev == x->dev && p->ino == x->ino && p->pgoff >= x->lo && p->pgoff < x->hi;
}
void pc_punch(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t lo, uint64_t hi) {
  struct mm *mms[256];
  int nmm = live_mms(k, mms, 256);
  for (int m = 0; m < nmm; m++) {
    struct mm *mm = mms[m];
    for (int i = 0; i < mm->nvmas; i++) {
      struct vma *v = &mm->vmas[i];
      if (!v->file || v->file->dev != dev || v->file->ino != ino) continue;
      uint64_t first = v->file_off / PAGE, last = first + (v->end - v->start) / PAGE;
      uint64_t a = lo > first ? lo : first, b = hi < last ? hi : last;
      if (a < b) mm_drop_pages(k, mm, v->start + (a - first) * PAGE, v->start + (b - first) * PAGE);
    }
  }
  struct range x = {dev, ino, lo, hi};
  pc_evict(k, in_range, &x, ~0ull, false);
}

/* ftruncate shrank (or grew) the file: the page holding the new EOF is
 * zeroed past it, cached pages beyond it are dropped, and every mapping
 * of them is zapped, so an access there is SIGBUS (Linux
 * truncate_pagecache). */
void pc_truncate(struct kernel *k, int hostfd, uint64_t size) {
  struct stat st;
  if (fstat(hostfd, &st) || !S_ISREG(st.st_mode)) return;
  uint64_t dev = (uint64_t)st.st_dev, ino = (uint64_t)st.st_ino;
  uint64_t gone = (size + PAGE - 1) / PAGE;
  if (size % PAGE) {
    struct pc_page *p = pc_find(k, dev, ino, size / PAGE);
    if (p) memset(mem_host(k->mem, p->pa) + size % PAGE, 0, PAGE - size % PAGE);
  }
  pc_punch(k, dev, ino, gone, ~0ull);
}

/* ---- shmem files (mm/shmem.c): no host file behind them ---- */

struct host_file *shmem_file_new(struct kernel *k, uint64_t size, const char *path) {
  struct host_file *hf = calloc(1, sizeof *hf);
  if (!hf) return NULL;
  /* an inode of the internal shmem mount, numbered as get_next_ino would */
  *hf = (struct host_file){.fd = -1, .dev = SHMEM_DEV, .ino = ++k->shmem_ino, .size = size, .shmem = true};
  snprintf(hf->path, sizeof hf->path, "%s", path);
  return hf;
}

/* A shmem file's last reference: its pages go (shmem_evict_inode), found
 * page by page when that is quicker than a scan of the whole cache. */
static void shmem_evict(struct kernel *k, const struct host_file *hf) {
  if (!k->pc_hash) return;
  uint64_t np = (hf->size + PAGE - 1) / PAGE;
  if (np >= PC_BUCKETS) { pc_drop_from(k, hf->dev, hf->ino, 0); return; }
  struct pc_page **v = NULL;
  size_t n = 0, cap = 0;
  for (uint64_t pg = 0; pg < np; pg++) {
    struct pc_page *p = pc_find(k, hf->dev, hf->ino, pg);
    if (p && !push(&v, &n, &cap, p)) break;
  }
  evict_list(k, v, n, ~0ull, false);
  free(v);
}

#define HF_BUCKETS 1024

void host_file_put(struct kernel *k, struct host_file *hf) {
  if (!hf || (hf->refs > 0 && --hf->refs)) return;
  if (hf->ofd && k->hf_hash) {
    struct host_file **pp = &k->hf_hash[hf->ofd % HF_BUCKETS];
    while (*pp && *pp != hf) pp = &(*pp)->hnext;
    if (*pp) *pp = hf->hnext;
  }
  if (hf->huge_memfd) hugetlb_memfd_detach(k, hf);
  else if (hf->huge) hugetlb_file_free(k, hf);
  if (hf->shmem) shmem_evict(k, hf);
  else close(hf->fd);
  free(hf);
}

/* Every mapping made through one open file description maps one file
 * object (Linux's vma->vm_file is that struct file): it holds a single
 * host descriptor however many mappings there are, and mappings of it at
 * contiguous offsets merge. */
struct host_file *host_file_of(struct kernel *k, int gfd, long *err) {
  if (gfd < 0 || gfd >= fds_cap(k->files) || k->fds[gfd].kind != FDK_HOST) { *err = -EBADF; return NULL; }
  uint64_t ofd = k->fds[gfd].ofd;
  if (!k->hf_hash && !(k->hf_hash = calloc(HF_BUCKETS, sizeof *k->hf_hash))) { *err = -ENOMEM; return NULL; }
  for (struct host_file *hf = ofd ? k->hf_hash[ofd % HF_BUCKETS] : NULL; hf; hf = hf->hnext)
    if (hf->ofd == ofd) return hf;
  int hfd = fcntl(k->fds[gfd].hostfd, F_DUPFD_CLOEXEC, 100);
  if (hfd < 0) { *err = -ENFILE; return NULL; }
  struct stat st;
  if (fstat(hfd, &st) || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
    close(hfd);
    *err = -ENODEV;
    return NULL;
  }
  struct host_file *hf = calloc(1, sizeof *hf);
  if (!hf) { close(hfd); *err = -ENOMEM; return NULL; }
  hf->fd = hfd;
  hf->ofd = ofd;
  host_file_identify(hf);
  snprintf(hf->path, sizeof hf->path, "%s", k->fds[gfd].path);
  if (k->hp.nmemfd) hugetlb_memfd_attach(k, hf);
  if (ofd) {
    hf->hnext = k->hf_hash[ofd % HF_BUCKETS];
    k->hf_hash[ofd % HF_BUCKETS] = hf;
  }
  return hf;
}
