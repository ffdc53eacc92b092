/* The software-refilled TLB (mmu.refill=software, issue 16): a miss in
 * every level is an exception to the mode, never a walk; the mode's
 * install fills the levels a walk would; a store through a clean or
 * read-only entry is MIPS's TLB Modified; a host context's unmapped
 * segment (kseg0) bypasses the TLB. */
#include <criterion/criterion.h>
#include "tests/unit/cpu_fixture.h"

static struct fx *f;
static struct vcpu *c;
#define BASE 0x20000000ull
#define FRAME0 0x100000ull         /* machine frames the tests install */

static void setup(void) {
  f = fx_new();
  c = fx_cpu(f);
  cpu_flush_tlb(c);
  c->mmu->refill = MMU_REFILL_SOFTWARE;
}
static void teardown(void) { fx_free(f); }
TestSuite(swtlb, .init = setup, .fini = teardown);

static uint32_t access(uint64_t va, uint32_t acc, struct xlate *x) {
  return mmu_translate(c->mmu, &c->tlb, &c->ctl, va, acc, x);
}
static void install(uint64_t va, uint64_t pa, uint32_t perm) {
  mmu_tlb_install(c->mmu, &c->tlb, &c->ctl, va, pa, perm, 12, false);
}

Test(swtlb, miss_refill_hit) {
  struct xlate x;
  uint32_t pf = access(BASE + 0x123, ACC_U, &x);
  cr_assert_eq(pf, PFEC_FAULT | PFEC_TLBMISS | PFEC_U, "a cold miss is a TLB-miss exception (no P), got %#x", pf);
  install(BASE, FRAME0, TP_U | TP_W | TP_D);
  cr_assert_eq(access(BASE + 0x123, ACC_U, &x), 0);
  cr_assert_eq(x.pa, FRAME0 + 0x123, "the installed frame");
  cr_assert_eq(x.walked, 0);
  cr_assert_eq(access(BASE + 0x456, ACC_U | ACC_W, &x), 0, "a dirty writable entry takes stores");
  cr_assert_eq(c->mmu->walks, 0, "no hardware walk under software refill");
  cr_assert_eq(c->mmu->walk_refs, 0, "no walk references");
  cr_assert_eq(c->mmu->tlb_installs, 1);
  cr_assert_eq(c->tlb.l1d.misses, 1, "one L1 miss (the cold one)");
  cr_assert_eq(c->tlb.stlb.misses, 1, "and one miss of the second level");
}

Test(swtlb, page_tables_are_never_read) {
  /* the fixture maps its data area in real page tables: software refill
   * must not find them */
  struct xlate x;
  cr_assert_eq(access(FX_DATA, ACC_U, &x) & PFEC_TLBMISS, PFEC_TLBMISS);
  cr_assert_eq(c->mmu->walks + c->mmu->walk_refs, 0);
}

Test(swtlb, capacity_and_lru_replacement) {
  /* a 64-entry 4-way second level: 16 sets; 5 pages 16 apart share set 0
   * of both levels, so the least recently used one leaves both */
  tlb_level_fini(&c->tlb.stlb);
  cr_assert_eq(tlb_level_init(&c->tlb.stlb, "stlb", 64, 4, 11), 0);
  struct xlate x;
  for (uint64_t k = 0; k < 5; k++) {
    install(BASE + k * 16 * 4096, FRAME0 + k * 4096, TP_U | TP_D);
    cr_assert_eq(access(BASE + k * 16 * 4096, ACC_U, &x), 0);
  }
  cr_assert_eq(access(BASE, ACC_U, &x), PFEC_FAULT | PFEC_TLBMISS | PFEC_U, "page 0 was the LRU victim of both levels");
  for (uint64_t k = 1; k < 5; k++) cr_assert_eq(access(BASE + k * 16 * 4096, ACC_U, &x), 0, "page %llu stays", (unsigned long long)k);
  /* 64 pages in distinct sets fit; the 65th evicts exactly one */
  cpu_flush_tlb(c);
  for (uint64_t p = 0; p < 64; p++) install(BASE + p * 4096, FRAME0 + p * 4096, TP_U | TP_D);
  int misses = 0;
  for (uint64_t p = 0; p < 64; p++) misses += access(BASE + p * 4096, ACC_U, &x) != 0;
  cr_assert_eq(misses, 0, "64 installed pages fit a 64-entry level");
  install(BASE + 64 * 4096, FRAME0, TP_U | TP_D);
  misses = 0;
  for (uint64_t p = 0; p <= 64; p++) misses += access(BASE + p * 4096, ACC_U, &x) != 0;
  cr_assert_eq(misses, 1, "one page was evicted by the 65th");
}

Test(swtlb, modified_once_per_clean_page) {
  struct xlate x;
  int mods = 0;
  for (uint64_t p = 0; p < 8; p++) install(BASE + p * 4096, FRAME0 + p * 4096, TP_U | TP_W);   /* clean */
  for (int round = 0; round < 3; round++)
    for (uint64_t p = 0; p < 8; p++) {
      uint64_t va = BASE + p * 4096 + 8 * (uint64_t)round;
      cr_assert_eq(access(va, ACC_U, &x), 0, "reads go through a clean entry");
      uint32_t pf = access(va, ACC_U | ACC_W, &x);
      if (pf) {
        cr_assert_eq(pf, PFEC_FAULT | PFEC_TLBMOD | PFEC_P | PFEC_W | PFEC_U, "TLB modified, got %#x", pf);
        mods++;
        install(va, FRAME0 + p * 4096, TP_U | TP_W | TP_D);   /* what the handler does */
        cr_assert_eq(access(va, ACC_U | ACC_W, &x), 0);
      }
    }
  cr_assert_eq(mods, 8, "one TLB-modified exception per clean page written");
}

Test(swtlb, store_to_read_only_entry_is_modified) {
  struct xlate x;
  install(BASE, FRAME0, TP_U | TP_D);
  cr_assert_eq(access(BASE, ACC_U | ACC_W, &x), PFEC_FAULT | PFEC_TLBMOD | PFEC_P | PFEC_W | PFEC_U);
  cr_assert_eq(access(BASE, ACC_U, &x), 0, "the entry stays for reads");
}

Test(swtlb, other_refusals_drop_the_entry) {
  struct xlate x;
  install(BASE, FRAME0, TP_W | TP_D);          /* supervisor only */
  cr_assert_eq(access(BASE, ACC_U, &x), PFEC_FAULT | PFEC_TLBMISS | PFEC_P | PFEC_U, "refused: P says an entry existed");
  cr_assert_eq(access(BASE, 0, &x), PFEC_FAULT | PFEC_TLBMISS, "the entry is gone");
  install(BASE, FRAME0, TP_U | TP_D);          /* no X */
  cr_assert_eq(access(BASE, ACC_U | ACC_F, &x), PFEC_FAULT | PFEC_TLBMISS | PFEC_P | PFEC_U | PFEC_I,
               "the fetch misses the ITLB, finds the entry in the unified second level, which refuses it (NX)");
  cr_assert_eq(access(BASE, ACC_U | ACC_F, &x), PFEC_FAULT | PFEC_TLBMISS | PFEC_U | PFEC_I, "and drops it");
  mmu_tlb_install(c->mmu, &c->tlb, &c->ctl, BASE, FRAME0, TP_U | TP_X | TP_D, 12, true);
  cr_assert_eq(access(BASE, ACC_U | ACC_F, &x), 0, "an executable entry installed for a fetch");
}

Test(swtlb, large_install_and_global) {
  struct xlate x;
  tlb_level_fini(&c->tlb.l1d2m);
  cr_assert_eq(tlb_level_init_sz(&c->tlb.l1d2m, "l1d2m", 32, 4, 1, 21, false), 0);
  mmu_tlb_install(c->mmu, &c->tlb, &c->ctl, BASE + 0x1234, 0x400000, TP_U | TP_W | TP_D | TP_G, 21, false);
  cr_assert_eq(access(BASE + 0x1ff008, ACC_U | ACC_W, &x), 0, "a 2M entry covers the whole page");
  cr_assert_eq(x.pa, 0x400000 + 0x1ff008);
  cpu_write_cr3(c, c->ctl.cr3);                 /* flushes non-global entries only */
  cr_assert_eq(access(BASE + 8, ACC_U, &x), 0, "a global entry survives a CR3 load");
}

Test(swtlb, unmapped_segment_of_a_host_context) {
  struct host_as hv;
  cr_assert_eq(host_as_init(&hv, c->mmu->mem, 0xffff800000000000ull, 46), 0);
  c->mmu->kseg_base = hv.base;
  c->mmu->kseg_size = c->mmu->mem->ram_bytes;
  uint64_t v = 0, cyc = 0;
  mem_poke64(c->mmu->mem, 0x5000, 0x1122334455667788ull);
  cr_assert_eq(mmu_load64(c->mmu, &c->tlb, &hv.ctl, hv.base + 0x5000, 0, &v, &cyc), 0);
  cr_assert_eq(v, 0x1122334455667788ull);
  cr_assert_eq(cyc, 0, "no translation cost (no data cache in this fixture)");
  cr_assert_eq(c->tlb.l1d.misses + c->mmu->tlb_installs, 0, "the TLB is not used");
  /* the guest's own context is not unmapped, whatever the address */
  struct xlate x;
  cr_assert_eq(access(hv.base + 0x5000, 0, &x) & PFEC_TLBMISS, PFEC_TLBMISS);
}

Test(swtlb, cpu_raises_the_exception) {
  /* mov rax, [FX_DATA]: the CPU stops with #PF-vector exception carrying
   * the TLB-miss bit, CR2 the address */
  static const uint8_t code[] = {0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x10};
  /* the code itself must be in the TLB: install the fixture's code page */
  uint64_t *pte = fx_pte(f, FX_CODE);
  cr_assert(pte && (*pte & PTE_P));
  mmu_tlb_install(c->mmu, &c->tlb, &c->ctl, FX_CODE, *pte & PTE_ADDR, TP_U | TP_X | TP_D, 12, true);
  int r = fx_exec(f, code, sizeof code);
  cr_assert_eq(r, CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.vector, 14);
  cr_assert_eq(c->exc.cr2, FX_DATA);
  cr_assert_eq(c->exc.err, PFEC_TLBMISS | PFEC_U, "err %#x", c->exc.err);
}
