/* Accesses made by the model's software through the MMU (mmu.h): the one
 * way a mode's handlers touch machine memory, so their references are
 * translated, cached in the TLB and charged like the guest's. */
#include "mmu/mmu.h"
#include "mmu/cache.h"
#include <string.h>

static uint32_t xlate(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                      uint32_t acc, struct xlate *x, uint64_t *cyc) {
  uint32_t pf = mmu_translate(m, t, c, va, acc, x);
  *cyc += x->cycles;
  return pf;
}

uint32_t mmu_load64(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                    uint32_t acc, uint64_t *val, uint64_t *cyc) {
  struct xlate x;
  uint32_t pf = xlate(m, t, c, va, acc & ~ACC_W, &x, cyc);
  if (pf) return pf;
  memcpy(val, x.host, 8);
  if (m->cache) *cyc += cache_access(m->cache, x.pa, false);
  return 0;
}

uint32_t mmu_store64(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                     uint32_t acc, uint64_t val, uint64_t *cyc) {
  struct xlate x;
  uint32_t pf = xlate(m, t, c, va, acc | ACC_W, &x, cyc);
  if (pf) return pf;
  memcpy(x.host, &val, 8);
  if (m->cache) *cyc += cache_access(m->cache, x.pa, true);
  return 0;
}

uint32_t mmu_clear_page(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                        uint32_t acc, uint64_t *cyc) {
  struct xlate x;
  uint32_t pf = xlate(m, t, c, va & ~0xfffull, acc | ACC_W, &x, cyc);
  if (pf) return pf;
  memset(x.host, 0, 4096);
  if (m->cache) *cyc += cache_access_range(m->cache, x.pa, 4096, true);
  return 0;
}

int host_as_init(struct host_as *a, struct machine_mem *m, uint64_t base, uint8_t maxphyaddr) {
  uint64_t pml4 = mem_pool_alloc(m), pdpt = mem_pool_alloc(m);
  if (!pml4 || !pdpt) return -1;
  uint64_t total = m->ram_bytes + m->pool_bytes;
  for (uint64_t i = 0; i < 512 && (i << 30) < total; i++)
    mem_poke64(m, pdpt + 8 * i, (i << 30) | PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS | PTE_G | PTE_NX);
  mem_poke64(m, pt_entry_pa(pml4, base, 4), pdpt | PTE_P | PTE_W | PTE_A);
  memset(a, 0, sizeof *a);
  a->base = base;
  a->ctl.cr0 = CR0_PG | CR0_WP;
  a->ctl.cr4 = CR4_PAE | CR4_PGE | CR4_PCIDE;
  a->ctl.efer = EFER_NXE;
  a->ctl.cr3 = pml4 | HOST_PCID;
  a->ctl.maxphyaddr = maxphyaddr;
  a->ctl.root = 1;
  return 0;
}

uint64_t mem_peek64(const struct machine_mem *m, uint64_t pa) {
  uint64_t v;
  memcpy(&v, mem_host(m, pa), 8);
  return v;
}
void mem_poke64(struct machine_mem *m, uint64_t pa, uint64_t v) {
  memcpy(mem_host(m, pa), &v, 8);
}
