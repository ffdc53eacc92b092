/* TLB behaviour with known miss counts: capacity, associativity, LRU
 * replacement, PCID tags and CR3 no-flush, global pages, INVLPG/INVPCID,
 * and the paging-structure caches' effect on walk references. */
#include <criterion/criterion.h>
#include "tests/unit/cpu_fixture.h"

static struct fx *f;
static struct vcpu *c;
#define BASE 0x20000000ull   /* 4096 pages mapped here */

static void setup(void) {
  f = fx_new();
  c = fx_cpu(f);
  for (uint64_t i = 0; i < 256; i++) fx_map(f, BASE + i * 4096, PTE_P | PTE_W | PTE_U | PTE_NX);
  cpu_flush_tlb(c);
}
static void teardown(void) { fx_free(f); }
TestSuite(tlb, .init = setup, .fini = teardown);

static void touch(uint64_t va) {
  struct xlate x;
  cr_assert_eq(mmu_translate(c->mmu, &c->tlb, &c->ctl, va, ACC_U, &x), 0, "fault at %#llx", (unsigned long long)va);
}
static uint64_t l1_misses(void) { return c->tlb.l1d.misses; }

Test(tlb, capacity_64_entries) {
  for (int pass = 0; pass < 2; pass++)
    for (int p = 0; p < 64; p++) touch(BASE + p * 4096ull);
  cr_assert_eq(l1_misses(), 64, "64 pages fit a 64-entry 4-way TLB: only cold misses");
  uint64_t before = l1_misses();
  for (int p = 0; p < 65; p++) touch(BASE + p * 4096ull);
  for (int p = 0; p < 65; p++) touch(BASE + p * 4096ull);
  /* page 64 joins set 0 (5 lines for 4 ways, cyclic): those 5 miss each
   * time under LRU, the other 60 hit */
  cr_assert_eq(l1_misses() - before, 1 + 5, "page 64 evicts page 0, then set 0 thrashes: 5 misses a pass");
}

Test(tlb, associativity_and_stlb) {
  /* 5 pages 16 pages apart all index L1 set 0 */
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 5; k++) touch(BASE + k * 16 * 4096ull);
  cr_assert_eq(l1_misses(), 15, "a 4-way set cycling 5 pages misses every time");
  cr_assert_eq(c->tlb.stlb.misses, 5, "the 12-way STLB holds them after the cold misses");
  cr_assert_eq(tlb_level_hits(&c->tlb.stlb), 10);
  cr_assert_eq(c->mmu->walks, 5, "walks only for cold misses");
}

Test(tlb, lru_victim) {
  uint64_t A = BASE, B = BASE + 16 * 4096ull, C = BASE + 32 * 4096ull, D = BASE + 48 * 4096ull,
           E = BASE + 64 * 4096ull;
  touch(A); touch(B); touch(C); touch(D);
  touch(A);                 /* A most recent: B is now least recent */
  touch(E);                 /* evicts B */
  uint64_t m = l1_misses();
  touch(A); touch(C); touch(D); touch(E);
  cr_assert_eq(l1_misses(), m, "A C D E still cached");
  touch(B);
  cr_assert_eq(l1_misses(), m + 1, "B was the victim");
}

Test(tlb, pcid_tags_and_noflush) {
  c->ctl.cr4 |= CR4_PCIDE;
  uint64_t root = c->ctl.cr3 & PTE_ADDR;
  cpu_write_cr3(c, root | 1);
  touch(BASE);
  uint64_t w = c->mmu->walks;
  cpu_write_cr3(c, root | 2 | (1ull << 63));        /* another PCID, no flush */
  touch(BASE);
  cr_assert_eq(c->mmu->walks, w + 1, "PCID 2 has no entry: a walk");
  cpu_write_cr3(c, root | 1 | (1ull << 63));        /* back, no flush */
  touch(BASE);
  cr_assert_eq(c->mmu->walks, w + 1, "PCID 1's entry survived");
  cpu_write_cr3(c, root | 1);                       /* bit 63 clear: flush PCID 1 */
  touch(BASE);
  cr_assert_eq(c->mmu->walks, w + 2, "flushed by the CR3 write");
  cpu_write_cr3(c, root | 2 | (1ull << 63));
  touch(BASE);
  cr_assert_eq(c->mmu->walks, w + 2, "PCID 2's entry was not touched by flushing PCID 1");
}

Test(tlb, global_pages) {
  uint64_t g = BASE + 7 * 4096ull;
  *fx_pte(f, g) |= PTE_G;
  cpu_invlpg(c, g);
  touch(g);
  touch(BASE);
  uint64_t w = c->mmu->walks;
  cpu_write_cr3(c, c->ctl.cr3);                     /* no PCIDE: non-global flush */
  touch(g);
  cr_assert_eq(c->mmu->walks, w, "a global entry survives a CR3 write");
  touch(BASE);
  cr_assert_eq(c->mmu->walks, w + 1, "a non-global one does not");
  /* with PCIDs, a global entry serves every PCID */
  c->ctl.cr4 |= CR4_PCIDE;
  uint64_t root = c->ctl.cr3 & PTE_ADDR;
  cpu_write_cr3(c, root | 5);
  touch(g);
  cr_assert_eq(c->mmu->walks, w + 1, "global entry found under PCID 5");
  cpu_invpcid(c, 3, 0, 0);                          /* all but globals */
  touch(g);
  cr_assert_eq(c->mmu->walks, w + 1);
  cpu_invpcid(c, 2, 0, 0);                          /* everything */
  touch(g);
  cr_assert_eq(c->mmu->walks, w + 2);
  cpu_invlpg(c, g);                                 /* INVLPG drops globals too */
  touch(g);
  cr_assert_eq(c->mmu->walks, w + 3);
}

Test(tlb, invpcid_single_address_and_context) {
  c->ctl.cr4 |= CR4_PCIDE;
  uint64_t root = c->ctl.cr3 & PTE_ADDR;
  cpu_write_cr3(c, root | 3);
  touch(BASE);
  touch(BASE + 4096);
  uint64_t w = c->mmu->walks;
  cpu_invpcid(c, 0, 3, BASE);
  touch(BASE);
  touch(BASE + 4096);
  cr_assert_eq(c->mmu->walks, w + 1, "type 0 drops one address");
  cpu_invpcid(c, 1, 3, 0);
  touch(BASE);
  touch(BASE + 4096);
  cr_assert_eq(c->mmu->walks, w + 3, "type 1 drops the whole PCID");
}

Test(tlb, paging_structure_cache_skips_references) {
  struct pwc p;
  uint32_t ent[6] = {0, 0, 32, 4, 4, 2};
  cr_assert_eq(pwc_init(&p, PWC_INTEL_PSC, ent, 2), 0);
  c->mmu->pwc = &p;
  touch(BASE);                                      /* cold: 4 references */
  uint64_t r0 = c->mmu->walk_refs;
  cr_assert_eq(r0, 4);
  touch(BASE + 4096);                               /* same PT: PDE cache hit, 1 reference */
  cr_assert_eq(c->mmu->walk_refs - r0, 1);
  cr_assert_eq(p.lv[2].hits, 1);
  c->mmu->pwc = NULL;
  pwc_fini(&p);
  cr_assert_eq(pwc_init(&p, PWC_AMD_PTC, ent, 2), 0);
  c->mmu->pwc = &p;
  cpu_flush_tlb(c);
  touch(BASE + 2 * 4096);                           /* PTC cold: 4 references */
  uint64_t r1 = c->mmu->walk_refs;
  touch(BASE + 3 * 4096);                           /* upper 3 entries cached by address */
  cr_assert_eq(c->mmu->walk_refs - r1, 1);
  c->mmu->pwc = NULL;
  pwc_fini(&p);
}

Test(tlb, huge_pages_per_size_levels) {
  uint64_t va = 0x40000000ull, pa = 0x2000000ull;   /* 2M-aligned frame inside fixture memory */
  *fx_entry(f, va, 2) = pa | PTE_P | PTE_W | PTE_U | PTE_PS | PTE_NX;
  cpu_flush_tlb(c);
  /* no 2M level: the translation is cached as 4K pieces */
  touch(va); touch(va + 0x1000); touch(va + 0x1fffff);
  cr_assert_eq(c->mmu->walks, 3, "each 4K piece misses and walks");
  struct xlate x;
  cr_assert_eq(mmu_translate(c->mmu, &c->tlb, &c->ctl, va + 0x1234, ACC_U, &x), 0);
  cr_assert_eq(x.pa, pa + 0x1234);
  /* a 32-entry 2M level: one entry serves the whole page */
  cr_assert_eq(tlb_level_init_sz(&c->tlb.l1d2m, "l1d_2m", 32, 4, 1, 21, false), 0);
  cpu_flush_tlb(c);
  uint64_t w = c->mmu->walks;
  touch(va); touch(va + 0x1000); touch(va + 0x1fffff);
  cr_assert_eq(c->mmu->walks, w + 1, "one walk fills the 2M entry");
  cr_assert_eq(tlb_level_hits(&c->tlb.l1d2m), 2);
  cpu_invlpg(c, va + 0x5000);                        /* INVLPG anywhere in the page drops it */
  touch(va);
  cr_assert_eq(c->mmu->walks, w + 2);
}

Test(tlb, fifo_and_random_replacement) {
  uint64_t A = BASE, B = BASE + 16 * 4096ull, C = BASE + 32 * 4096ull, D = BASE + 48 * 4096ull,
           E = BASE + 64 * 4096ull;
  c->tlb.l1d.repl = TLB_FIFO;
  touch(A); touch(B); touch(C); touch(D);
  touch(A);                 /* a hit does not matter to FIFO */
  touch(E);                 /* evicts A, the first filled */
  uint64_t m = l1_misses();
  touch(B); touch(C); touch(D); touch(E);
  cr_assert_eq(l1_misses(), m, "B C D E cached");
  touch(A);
  cr_assert_eq(l1_misses(), m + 1, "FIFO evicted A");
  /* random: deterministic for a given seed */
  uint64_t runs[2];
  for (int r = 0; r < 2; r++) {
    cpu_flush_tlb(c);
    c->tlb.l1d.repl = TLB_RANDOM;
    c->tlb.l1d.rng = 42;
    uint64_t m0 = l1_misses();
    for (int k = 0; k < 200; k++) touch(BASE + (uint64_t)((k * 7) % 6) * 16 * 4096);
    runs[r] = l1_misses() - m0;
  }
  cr_assert_eq(runs[0], runs[1], "same seed, same misses");
  cr_assert(runs[0] > 6 && runs[0] < 200);
}
