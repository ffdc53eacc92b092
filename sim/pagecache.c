/* The guest kernel's page cache: file pages by (device, inode, page
 * offset), shared by every mapping of the file in every process, as on
 * Linux.  File-backed faults map these frames (read-only for private
 * mappings: a write copies), and fault-around maps cached neighbours
 * without further faults (guest.fault_around_bytes, Linux's 64 KiB).
 * guest.page_cache_warm=1 treats files as already cached when the run
 * starts (the common case for a binary just built or run); 0 makes a miss
 * cost io.read_latency and read ahead guest.readahead_bytes. */
#include "sim/kernel.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pc_page {
  uint64_t dev, ino, pgoff, pa;
  struct pc_page *next;
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
  size_t got = 0;
  while (got < PAGE) {
    ssize_t r = pread(hf->fd, h + got, PAGE - got, (off_t)(pgoff * PAGE + got));
    if (r <= 0) break;
    got += (size_t)r;
  }
  struct pc_page *p = malloc(sizeof *p);
  *p = (struct pc_page){hf->dev, hf->ino, pgoff, pa, NULL};
  size_t b = bucket(hf->dev, hf->ino, pgoff);
  p->next = k->pc_hash[b];
  k->pc_hash[b] = p;
  k->pc_pages++;
  return pa;
}

/* Reclaim: drop cached pages no mapping uses (clean: nothing to write). */
uint64_t pc_reclaim(struct kernel *k, uint64_t want) {
  uint64_t freed = 0;
  if (!k->pc_hash) return 0;
  for (size_t b = 0; b < PC_BUCKETS && freed < want; b++) {
    for (struct pc_page **pp = &k->pc_hash[b]; *pp && freed < want;) {
      struct pc_page *p = *pp;
      if (k->frame_refs[p->pa >> 12] == 1) {
        *pp = p->next;
        kernel_frame_put(k, p->pa);
        free(p);
        k->pc_pages--;
        freed++;
      } else {
        pp = &p->next;
      }
    }
  }
  return freed;
}

void pc_free_all(struct kernel *k) {
  if (!k->pc_hash) return;
  for (size_t b = 0; b < PC_BUCKETS; b++)
    for (struct pc_page *p = k->pc_hash[b], *n; p; p = n) { n = p->next; free(p); }
  free(k->pc_hash);
  k->pc_hash = NULL;
}
