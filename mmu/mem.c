/* Machine-physical memory: one host mapping for guest RAM plus the pool of
 * host/hypervisor structures above it (DESIGN.md "Memory model"). */
#include "mmu/mmu.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int mem_init(struct machine_mem *m, uint64_t ram_bytes, uint64_t pool_bytes) {
  memset(m, 0, sizeof *m);
  ram_bytes = (ram_bytes + 0xfff) & ~0xfffull;
  pool_bytes = (pool_bytes + 0xfff) & ~0xfffull;
  uint64_t total = ram_bytes + pool_bytes;
  /* MAP_NORESERVE: host pages appear only when the guest touches them. */
  void *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return -1;
  m->host = p;
  m->ram_bytes = ram_bytes;
  m->pool_bytes = pool_bytes;
  m->pool_next = ram_bytes;
  m->frame_flags = calloc(total >> 12, 1);
  if (!m->frame_flags) { munmap(p, total); return -1; }
  return 0;
}

void mem_fini(struct machine_mem *m) {
  if (m->host) munmap(m->host, m->ram_bytes + m->pool_bytes);
  free(m->frame_flags);
  free(m->pool_free);
  memset(m, 0, sizeof *m);
}

uint64_t mem_pool_alloc(struct machine_mem *m) {
  uint64_t pa;
  if (m->pool_nfree) pa = m->pool_free[--m->pool_nfree];
  else if (m->pool_next + 4096 <= m->ram_bytes + m->pool_bytes) {
    pa = m->pool_next;
    m->pool_next += 4096;
  } else return 0;
  memset(m->host + pa, 0, 4096);
  m->pool_used_pages++;
  return pa;
}

void mem_pool_free(struct machine_mem *m, uint64_t pa) {
  if (m->pool_nfree == m->pool_cap) {
    uint64_t nc = m->pool_cap ? m->pool_cap * 2 : 256;
    uint64_t *n = realloc(m->pool_free, nc * sizeof *n);
    if (!n) return;            /* leak the frame rather than crash */
    m->pool_free = n;
    m->pool_cap = nc;
  }
  m->pool_free[m->pool_nfree++] = pa;
  m->pool_used_pages--;
}
