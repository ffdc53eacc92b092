/* Full translation: L1 TLBs -> STLBs -> page walk -> fill (SDM 4.10).
 * TLB levels exist per page size (struct tlb); a size with no level of
 * its own is cached as 4K pieces ("fractured"), as real TLBs do. */
#include "mmu/mmu.h"
#include <string.h>

#define VPN52 0xfffffffffffffull

/* An entry of size 1 << shift for va: tagged with this PCID, or global. */
static struct tlb_entry *lookup_sz(struct tlb_level *t, uint64_t va, uint32_t pcid, unsigned shift) {
  uint64_t tag = tlb_tag_sz(va, pcid, shift), key = tag & VPN52;
  struct tlb_entry *s = &t->e[(size_t)((va >> shift) & t->set_mask) * t->ways];
  for (uint32_t w = 0; w < t->ways; w++)
    if (s[w].tag == tag ||
        (s[w].tag != ~0ull && (s[w].perm & TP_G) && (s[w].tag & VPN52) == key)) {
      s[w].stamp = ++t->clock;
      return &s[w];
    }
  return NULL;
}

static struct tlb_entry *lookup(struct tlb_level *t, uint64_t va, uint32_t pcid) {
  if (!t->e) return NULL;
  struct tlb_entry *e = lookup_sz(t, va, pcid, t->shift);
  if (!e && t->mixed) e = lookup_sz(t, va, pcid, 21);
  return e;
}

static struct tlb_entry *fill(struct tlb_level *t, uint64_t va, uint32_t pcid,
                              const struct tlb_entry *src) {
  unsigned shift = TP_SHIFT(src->perm);
  struct tlb_entry *s = &t->e[(size_t)((va >> shift) & t->set_mask) * t->ways];
  uint32_t victim = 0;
  bool empty = false;
  for (uint32_t w = 0; w < t->ways && !empty; w++) {
    if (s[w].tag == ~0ull) { victim = w; empty = true; break; }
    if (t->repl == TLB_FIFO ? (int32_t)(s[w].filled - s[victim].filled) < 0
                            : (int32_t)(s[w].stamp - s[victim].stamp) < 0)
      victim = w;
  }
  if (!empty && t->repl == TLB_RANDOM) {
    uint64_t z = (t->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    victim = (uint32_t)((z ^ (z >> 31)) % t->ways);
  }
  s[victim] = *src;
  s[victim].filled = ++t->fills;
  t->gen++;
  t->maybe_nonglobal = t->maybe_any = true;
  s[victim].tag = tlb_tag_sz(va, pcid, shift);
  s[victim].stamp = ++t->clock;
  return &s[victim];
}

/* The 4K piece of a huge entry that covers va. */
static struct tlb_entry fracture(const struct tlb_entry *e, uint64_t va) {
  unsigned sh = TP_SHIFT(e->perm);
  uint64_t off = va & ((1ull << sh) - 1) & ~0xfffull;
  struct tlb_entry p = *e;
  p.pa = e->pa + off;
  p.addend = e->addend;                    /* same offset va -> host */
  p.perm = (e->perm & ~(0xffffu << 16)) | (12u << 16) | ((uint32_t)sh << 24);
  return p;
}

/* Fill the level for this entry's size, or its 4K level with a piece. */
static struct tlb_entry *fill_best(struct tlb *t, struct tlb_level *sized, struct tlb_level *small,
                                   uint64_t va, uint32_t pcid, const struct tlb_entry *e) {
  if (TP_SHIFT(e->perm) == 12) return fill(small, va, pcid, e);
  if (sized && sized->e) return fill(sized, va, pcid, e);
  if (TP_SHIFT(e->perm) == 21 && small->mixed) return fill(small, va, pcid, e);
  t->pieces++;
  struct tlb_entry p = fracture(e, va);
  return fill(small, va, pcid, &p);
}

/* The entry for va's page of 1 << shift bytes at machine address page:
 * filled into the L1 of the access kind and the second level. */
static uint32_t fill_translation(struct mmu *m, struct tlb *t, uint64_t va, uint32_t pcid,
                                          bool fetch, uint64_t page, uint32_t perm, unsigned shift) {
  struct tlb_level *l1 = fetch ? &t->l1i : &t->l1d;
  struct tlb_level *sized = shift == 21 ? (fetch ? &t->l1i2m : &t->l1d2m)
                          : shift == 30 && !fetch ? &t->l1d1g : NULL;
  uint64_t mask = (1ull << shift) - 1;
  struct tlb_entry ne = {
    .addend = (int64_t)(intptr_t)mem_host(m->mem, page) - (int64_t)(va & ~mask),
    .perm = perm | (shift << 16), .pa = page,
  };
  /* NC (no decoded code in the page: writes may take the fast path) */
  uint64_t total = m->mem->ram_bytes + m->mem->pool_bytes;
  if (shift <= 21 && page + mask < total) {
    bool code = false;
    for (uint64_t f = page >> 12; f <= (page + mask) >> 12 && !code; f++)
      code = m->mem->frame_flags[f] & FRAME_CODE;
    if (!code) ne.perm |= TP_NC;
  }
  fill_best(t, sized, l1, va, pcid, &ne);
  if (shift == 30 && t->stlb1g.e) fill(&t->stlb1g, va, pcid, &ne);
  else if (t->stlb.e) fill_best(t, NULL, &t->stlb, va, pcid, &ne);   /* (a TLB may have no second level) */
  return ne.perm;
}

static inline uint32_t tlb_pcid(const struct mmu_ctl *c) {
  return (c->cr4 & CR4_PCIDE) ? (uint32_t)(c->cr3 & 0xfff) : 0;
}

void mmu_tlb_install(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                     uint64_t pa, uint32_t perm, unsigned shift, bool fetch) {
  uint32_t pcid = tlb_pcid(c);
  tlb_flush_va_pcid(t, va, pcid);      /* tlbwi: the entry for va is rewritten */
  m->tlb_installs++;
  fill_translation(m, t, va, pcid, fetch, pa & ~((1ull << shift) - 1),
                   perm & (TP_U | TP_W | TP_X | TP_D | TP_G), shift);
}

/* The error of a software-refilled TLB (PFEC_SOFT): the access bits as
 * the #PF error code has them, P when an entry existed. */
static uint32_t soft_exception(uint32_t kind, uint32_t acc, bool present) {
  return PFEC_FAULT | kind | (present ? PFEC_P : 0) | (acc & (PFEC_W | PFEC_U | PFEC_I));
}

uint32_t mmu_translate(struct mmu *m, struct tlb *t, const struct mmu_ctl *c,
                       uint64_t va, uint32_t acc, struct xlate *x) {
  uint32_t pcid = tlb_pcid(c);
  bool fetch = acc & ACC_F;
  struct tlb_level *l1 = fetch ? &t->l1i : &t->l1d;
  struct tlb_level *l1s[3] = {l1, fetch ? &t->l1i2m : &t->l1d2m, fetch ? NULL : &t->l1d1g};
  if (__builtin_expect(m->kseg_size != 0, 0) && c->root && va - m->kseg_base < m->kseg_size) {
    /* unmapped segment (software refill): no TLB, no walk, no cost */
    x->cycles = 0;
    x->walked = 0;
    x->pa = va - m->kseg_base;
    x->host = mem_host(m->mem, x->pa);
    x->perm = TP_W | TP_D | TP_G;
    return 0;
  }
  x->cycles = l1->latency;
  x->walked = 0;
  /* Non-canonical addresses are #GP, decided by the CPU before we get here. */
  struct tlb_entry *e = NULL;
  for (int i = 0; i < 3 && !e; i++)
    if (l1s[i] && (e = lookup(l1s[i], va, pcid)) != NULL) l1s[i]->hits++;
  if (!e && (t->stlb.e || t->stlb1g.e)) {   /* (a core without a second level, e.g. NetBurst, walks at once) */
    l1->misses++;
    x->cycles += t->stlb.latency;
    struct tlb_entry *se = lookup(&t->stlb, va, pcid);
    struct tlb_level *sl = &t->stlb;
    if (!se && t->stlb1g.e) { se = lookup(&t->stlb1g, va, pcid); sl = &t->stlb1g; }
    if (se) {
      sl->hits++;
      unsigned sh = TP_SHIFT(se->perm);
      e = fill_best(t, sh == 21 ? l1s[1] : sh == 30 ? l1s[2] : NULL, l1, va, pcid, se);
    } else {
      t->stlb.misses++;
    }
  } else if (!e) {
    l1->misses++;
  }
  if (e) {
    uint32_t rights = mmu_check_rights(c, va, e->perm, acc);
    bool need_dirty = (acc & ACC_W) && !(e->perm & TP_D);
    if (!rights && !need_dirty) {
      x->pa = e->pa | (va & ((1ull << TP_SHIFT(e->perm)) - 1));
      x->host = mem_host(m->mem, x->pa);
      x->perm = e->perm;
      return 0;
    }
    if (m->refill == MMU_REFILL_SOFTWARE) {
      /* no walker: a store the entry forbids only as a store is MIPS's
       * TLB Modified exception (the entry stays); any other refusal
       * drops the entry and is the mode's to decide */
      if ((acc & ACC_W) && !mmu_check_rights(c, va, e->perm | TP_W, acc))
        return soft_exception(PFEC_TLBMOD, acc, true);
      tlb_flush_va_pcid(t, va, pcid);
      return soft_exception(PFEC_TLBMISS, acc, true);
    }
    /* A write through an entry with D=0 re-walks to set D (SDM 4.8);
     * any other rights failure re-walks too: the entry may be stale and a
     * #PF invalidates the entries for the address (SDM 4.10.4.1). */
    tlb_flush_va_pcid(t, va, pcid);
  }
  if (m->refill == MMU_REFILL_SOFTWARE) return soft_exception(PFEC_TLBMISS, acc, false);
  struct walk_result r;
  x->walked = 1;
  bool ok = mmu_walk(m, c, va, acc, &r);
  x->cycles += r.cycles;
  if (!ok && r.nested_fault) return PFEC_FAULT | PFEC_NESTED | (acc & (PFEC_W | PFEC_U | PFEC_I));
  if (!ok) {
    tlb_flush_va_pcid(t, va, pcid);   /* a #PF invalidates the address's entries for the PCID */
    if (m->pwc) pwc_flush_va(m->pwc, va);   /* a #PF invalidates PSC entries too */
    return r.pfec | PFEC_FAULT;
  }
  unsigned shift = 12 + 9 * (r.level - 1);
  uint64_t page = r.pa & ~((1ull << shift) - 1);
  x->perm = fill_translation(m, t, va, pcid, fetch, page, r.perm, shift);
  x->pa = r.pa;
  x->host = mem_host(m->mem, r.pa);
  return 0;
}
