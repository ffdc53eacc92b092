#include "tests/unit/cpu_fixture.h"
#include <stdlib.h>
#include <string.h>

struct fx {
  struct machine_mem mem;
  struct mmu mmu;
  struct vcpu *c;
  uint64_t next;      /* frame bump allocator */
  uint64_t pml4;
  uint64_t code_pa;
};

static uint64_t fx_frame(struct fx *f) {
  uint64_t pa = f->next;
  f->next += 4096;
  memset(mem_host(&f->mem, pa), 0, 4096);
  return pa;
}

static uint64_t *leaf_of(struct fx *f, uint64_t va, int create) {
  uint64_t table = f->pml4;
  for (int level = 4; level > 1; level--) {
    uint64_t *e = (uint64_t *)mem_host(&f->mem, table) + ((va >> (12 + 9 * (level - 1))) & 511);
    if (!(*e & PTE_P)) {
      if (!create) return NULL;
      *e = fx_frame(f) | PTE_P | PTE_W | PTE_U;
    }
    table = *e & PTE_ADDR;
  }
  return (uint64_t *)mem_host(&f->mem, table) + ((va >> 12) & 511);
}

void fx_map(struct fx *f, uint64_t va, uint64_t flags) {
  uint64_t *l = leaf_of(f, va, 1);
  uint64_t pa = (*l & PTE_P) ? (*l & PTE_ADDR) : fx_frame(f);
  *l = pa | flags;
  cpu_invlpg(f->c, va);
}

void fx_unmap(struct fx *f, uint64_t va) {
  uint64_t *l = leaf_of(f, va, 0);
  if (l) *l = 0;
  cpu_invlpg(f->c, va);
}

struct fx *fx_new(void) {
  struct fx *f = calloc(1, sizeof *f);
  if (mem_init(&f->mem, 64ull << 20, 1ull << 20)) abort();
  f->mmu.mem = &f->mem;
  f->mmu.walk_ref_latency = 20;
  f->c = aligned_alloc(64, (sizeof *f->c + 63) & ~(size_t)63);
  cpu_init(f->c, &f->mmu);
  tlb_level_init(&f->c->tlb.l1d, "l1d", 64, 4, 1);
  tlb_level_init(&f->c->tlb.l1i, "l1i", 128, 8, 1);
  tlb_level_init(&f->c->tlb.stlb, "stlb", 1536, 12, 11);
  f->next = 4096;
  f->pml4 = fx_frame(f);
  cpu_write_cr3(f->c, f->pml4);
  fx_map(f, FX_CODE, PTE_P | PTE_U);
  f->code_pa = *leaf_of(f, FX_CODE, 0) & PTE_ADDR;
  for (uint64_t a = FX_DATA; a < FX_DATA + FX_DATA_SIZE; a += 4096)
    fx_map(f, a, PTE_P | PTE_W | PTE_U | PTE_NX);
  for (uint64_t a = FX_STACK_TOP - 0x10000; a < FX_STACK_TOP; a += 4096)
    fx_map(f, a, PTE_P | PTE_W | PTE_U | PTE_NX);
  /* FX_DATA must be physically contiguous for fx_data(): it is, since the
   * bump allocator handed out its frames in order after its tables. */
  return f;
}

void fx_free(struct fx *f) {
  cpu_fini(f->c);
  free(f->c);
  mem_fini(&f->mem);
  free(f);
}

struct vcpu *fx_cpu(struct fx *f) { return f->c; }

uint8_t *fx_data(struct fx *f) {
  uint64_t *l = leaf_of(f, FX_DATA, 0);
  return mem_host(&f->mem, *l & PTE_ADDR);
}

int fx_exec(struct fx *f, const uint8_t *code, size_t len) { return fx_exec_budget(f, code, len, 10000000); }

int fx_exec_budget(struct fx *f, const uint8_t *code, size_t len, uint64_t budget) {
  if (len > 4000) abort();
  uint8_t *h = mem_host(&f->mem, f->code_pa);
  memset(h, 0x90, 4096);
  memcpy(h, code, len);
  h[len] = 0x0F;   /* UD2 marks the end */
  h[len + 1] = 0x0B;
  cpu_invalidate_frame(f->c, f->code_pa);
  struct vcpu *c = f->c;
  c->rip = FX_CODE;
  if (!c->r[RSP]) c->r[RSP] = FX_STACK_TOP - 256;
  c->icount_stop = c->icount + budget;
  int r = cpu_run(c);
  if (r == CPU_EXIT_EXCEPTION && c->exc.vector == EXC_UD && c->exc.rip == FX_CODE + len)
    return CPU_EXIT_HLT;
  return r;
}

uint64_t *fx_pte(struct fx *f, uint64_t va) { return leaf_of(f, va, 0); }

/* The entry at a paging level (4 = PML4E .. 1 = PTE) for va, creating the
 * tables above it; for large-page tests. */
uint64_t *fx_entry(struct fx *f, uint64_t va, int level) {
  uint64_t table = f->pml4;
  for (int l = 4; l > level; l--) {
    uint64_t *e = (uint64_t *)mem_host(&f->mem, table) + ((va >> (12 + 9 * (l - 1))) & 511);
    if (!(*e & PTE_P)) *e = fx_frame(f) | PTE_P | PTE_W | PTE_U;
    table = *e & PTE_ADDR;
  }
  return (uint64_t *)mem_host(&f->mem, table) + ((va >> (12 + 9 * (level - 1))) & 511);
}
