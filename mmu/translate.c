/* Full translation: L1 TLB -> STLB -> page walk -> fill (SDM 4.10). */
#include "mmu/mmu.h"
#include <string.h>

static void fill(struct tlb_level *t, uint64_t va, uint32_t pcid,
                 const struct tlb_entry *src) {
  struct tlb_entry *s = &t->e[(size_t)((va >> 12) & t->set_mask) * t->ways];
  uint32_t victim = 0;
  for (uint32_t w = 0; w < t->ways; w++) {
    if (s[w].tag == ~0ull) { victim = w; break; }
    if ((int32_t)(s[w].stamp - s[victim].stamp) < 0) victim = w;
  }
  s[victim] = *src;
  s[victim].tag = tlb_tag(va, pcid);
  s[victim].stamp = ++t->clock;
}

/* An entry for va: tagged with this PCID, or global (any PCID). */
static struct tlb_entry *lookup(struct tlb_level *t, uint64_t va,
                                uint32_t pcid) {
  uint64_t tag = tlb_tag(va, pcid), vpn = (va >> 12) & 0xfffffffffffffull;
  struct tlb_entry *s = &t->e[(size_t)((va >> 12) & t->set_mask) * t->ways];
  for (uint32_t w = 0; w < t->ways; w++)
    if (s[w].tag == tag ||
        (s[w].tag != ~0ull && (s[w].perm & TP_G) && (s[w].tag & 0xfffffffffffffull) == vpn)) {
      s[w].stamp = ++t->clock;
      return &s[w];
    }
  return NULL;
}

uint32_t mmu_translate(struct mmu *m, struct tlb *t, const struct mmu_ctl *c,
                       uint64_t va, uint32_t acc, struct xlate *x) {
  uint32_t pcid = (c->cr4 & CR4_PCIDE) ? (uint32_t)(c->cr3 & 0xfff) : 0;
  struct tlb_level *l1 = (acc & ACC_F) ? &t->l1i : &t->l1d;
  x->cycles = 0;
  x->walked = 0;
  /* Non-canonical addresses are #GP, decided by the CPU before we get here. */
  struct tlb_entry *e = lookup(l1, va, pcid);
  if (e) {
    l1->hits++;
    x->cycles += l1->latency;
  } else {
    l1->misses++;
    e = lookup(&t->stlb, va, pcid);
    if (e) {
      t->stlb.hits++;
      x->cycles += l1->latency + t->stlb.latency;
      fill(l1, va, pcid, e);
      e = lookup(l1, va, pcid);
    } else {
      t->stlb.misses++;
      x->cycles += l1->latency + t->stlb.latency;
    }
  }
  if (e) {
    uint32_t rights = mmu_check_rights(c, va, e->perm, acc);
    bool need_dirty = (acc & ACC_W) && !(e->perm & TP_D);
    if (!rights && !need_dirty) {
      x->pa = e->pa | (va & 0xfff);
      x->host = mem_host(m->mem, x->pa);
      x->perm = e->perm;
      return 0;
    }
    /* A write through an entry with D=0 re-walks to set D (SDM 4.8);
     * any other rights failure re-walks too: the entry may be stale and a
     * #PF invalidates the entries for the address (SDM 4.10.4.1). */
    tlb_flush_va_pcid(t, va, pcid);
  }
  struct walk_result r;
  x->walked = 1;
  bool ok = mmu_walk(m, c, va, acc, &r);
  x->cycles += r.cycles;
  if (!ok) {
    tlb_flush_va_pcid(t, va, pcid);   /* a #PF invalidates the address's entries for the PCID */
    if (m->pwc) pwc_flush_va(m->pwc, va);   /* a #PF invalidates PSC entries too */
    return r.pfec | PFEC_FAULT;
  }
  uint64_t page = r.pa & ~0xfffull;
  struct tlb_entry ne = {
    .addend = (int64_t)(intptr_t)mem_host(m->mem, page) - (int64_t)(va & ~0xfffull),
    .perm = r.perm, .pa = page,
  };
  if (page < m->mem->ram_bytes + m->mem->pool_bytes &&
      !(m->mem->frame_flags[page >> 12] & FRAME_CODE))
    ne.perm |= TP_NC;
  fill(l1, va, pcid, &ne);
  fill(&t->stlb, va, pcid, &ne);
  x->pa = r.pa;
  x->host = mem_host(m->mem, r.pa);
  x->perm = ne.perm;
  return 0;
}
