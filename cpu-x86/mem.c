/* Slow paths of guest memory access: full translation through the MMU,
 * #PF/#GP delivery, page-crossing accesses, and writes that hit frames
 * holding decoded code (which invalidate that code first). */
#include "cpu-x86/interp.h"

static inline int canonical(uint64_t va, const struct vcpu *c) {
  int bits = (c->ctl.cr4 & CR4_LA57) ? 57 : 48;
  int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
  return (uint64_t)s == va;
}

/* Translate one page-contained access; raises on failure. */
uint8_t *mem_slow(struct vcpu *c, uint64_t va, unsigned size, uint32_t acc) {
  if (!canonical(va, c) || !canonical(va + size - 1, c)) GP0(c);
  if (c->cpl == 3) acc |= ACC_U;
  struct xlate x;
  uint32_t pf = mmu_translate(c->mmu, &c->tlb, &c->ctl, va, acc, &x);
  c->cycles += x.cycles;
  if (pf) cpu_raise_pf(c, va, pf);
  if ((acc & ACC_W) && (c->mmu->mem->frame_flags[x.pa >> 12] & FRAME_CODE))
    code_invalidate_pa(c, x.pa);
  if (c->dcache && !(acc & ACC_F))
    c->cycles += cache_access_range(c->dcache, x.pa, size, (acc & ACC_W) != 0);
  return x.host;
}

/* A reference that missed the inline path: counted (cpu_data_refs) and
 * recorded before it is translated, so that a fault follows it. */
static inline void slow_ref(struct vcpu *c, uint64_t va, unsigned size, unsigned kind) {
  c->slow_refs++;
  if (c->hit_extra & HIT_HOOK) mem_hit_hook(c, va, size, kind);
}

void mem_read_slow(struct vcpu *c, uint64_t va, void *dst, unsigned size) {
  slow_ref(c, va, size, REF_LOAD);
  if (!crosses(va, size)) {
    memcpy(dst, mem_slow(c, va, size, 0), size);
    return;
  }
  unsigned first = 0x1000 - (va & 0xfff);
  uint8_t *a = mem_slow(c, va, first, 0);
  uint8_t *b = mem_slow(c, va + first, size - first, 0);
  memcpy(dst, a, first);
  memcpy((uint8_t *)dst + first, b, size - first);
}

void mem_write_slow(struct vcpu *c, uint64_t va, const void *src, unsigned size) {
  slow_ref(c, va, size, REF_STORE);
  if (!crosses(va, size)) {
    memcpy(mem_slow(c, va, size, ACC_W), src, size);
    return;
  }
  /* Both pages are checked before either is written. */
  unsigned first = 0x1000 - (va & 0xfff);
  uint8_t *a = mem_slow(c, va, first, ACC_W);
  uint8_t *b = mem_slow(c, va + first, size - first, ACC_W);
  memcpy(a, src, first);
  memcpy(b, (const uint8_t *)src + first, size - first);
}

uint8_t *mem_rmw_slow(struct vcpu *c, uint64_t va, unsigned size) {
  slow_ref(c, va, size, REF_RMW);
  if (!crosses(va, size)) return mem_slow(c, va, size, ACC_W);
  unsigned first = 0x1000 - (va & 0xfff);
  uint8_t *a = mem_slow(c, va, first, ACC_W);
  uint8_t *b = mem_slow(c, va + first, size - first, ACC_W);
  c->bounce_dst[0] = a;
  c->bounce_len[0] = first;
  c->bounce_dst[1] = b;
  c->bounce_len[1] = size - first;
  memcpy(c->bounce, a, first);
  memcpy(c->bounce + first, b, size - first);
  return c->bounce;
}

void mem_rmw_flush(struct vcpu *c) {
  memcpy(c->bounce_dst[0], c->bounce, c->bounce_len[0]);
  memcpy(c->bounce_dst[1], c->bounce + c->bounce_len[0], c->bounce_len[1]);
}

uint64_t get_rm(struct vcpu *c, const insn_t *i, unsigned sz) {
  if (i->mod3) return sz == 1 ? *R8P(c, i->rm8) : c->r[i->rm] & size_mask(sz);
  return ld_sz(c, ea_of(c, i), sz);
}
void put_rm(struct vcpu *c, const insn_t *i, unsigned sz, uint64_t v) {
  if (i->mod3) set_reg(c, sz == 1 ? i->rm8 : i->rm, sz, v);
  else st_sz(c, ea_of(c, i), sz, v);
}
uint64_t get_reg(struct vcpu *c, const insn_t *i, unsigned sz) {
  return sz == 1 ? *R8P(c, i->reg8) : c->r[i->reg] & size_mask(sz);
}
void put_reg(struct vcpu *c, const insn_t *i, unsigned sz, uint64_t v) {
  set_reg(c, sz == 1 ? i->reg8 : i->reg, sz, v);
}
