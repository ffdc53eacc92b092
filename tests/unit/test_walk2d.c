/* Two-dimensional (nested) walks through the one walker: reference counts
 * (n+1)(m+1)-1 with caches cold — 24 for 4-on-4, 35 for 5-on-5 (Bhargava
 * et al., ASPLOS'08) — and nested faults on a guest table vs the final
 * translation, and EPT misconfiguration. */
#include <criterion/criterion.h>
#include <string.h>
#include "mmu/mmu.h"

static struct machine_mem mem;
static uint64_t next_frame;
static uint64_t frame(void) { uint64_t pa = next_frame; next_frame += 4096; memset(mem_host(&mem, pa), 0, 4096); return pa; }

/* map va -> pa in a table tree (x86 or EPT entry bits given) */
static uint64_t *slot(uint64_t root, int levels, uint64_t va, uint64_t table_bits) {
  uint64_t table = root;
  for (int l = levels; l > 1; l--) {
    uint64_t *e = (uint64_t *)mem_host(&mem, table) + ((va >> (12 + 9 * (l - 1))) & 511);
    if (!*e) *e = frame() | table_bits;
    table = *e & PTE_ADDR;
  }
  return (uint64_t *)mem_host(&mem, table) + ((va >> 12) & 511);
}

static struct mmu m;
static struct nested n;
static uint64_t ept_root, guest_root;
static const uint64_t EPT_RWX = 7 | (6 << 3);   /* RWX, write-back memory type */

static void setup(int guest_levels, int ept_levels) {
  cr_assert_eq(mem_init(&mem, 256ull << 20, 0), 0);
  next_frame = 4096;
  memset(&m, 0, sizeof m);
  memset(&n, 0, sizeof n);
  m.mem = &mem;
  m.walk_ref_latency = 20;
  ept_root = frame();
  guest_root = frame();
  /* guest tables: va 0x400000 -> gpa 0x5000000 */
  *slot(guest_root, guest_levels, 0x400000, PTE_P | PTE_W | PTE_U) = 0x5000000 | PTE_P | PTE_W | PTE_U;
  /* EPT: identity for every frame handed out so far and the data page */
  uint64_t top = next_frame;
  for (uint64_t gpa = 0; gpa < top + 64 * 4096; gpa += 4096)
    *slot(ept_root, ept_levels, gpa, 7) = gpa | EPT_RWX;
  *slot(ept_root, ept_levels, 0x5000000, 7) = 0x5000000 | EPT_RWX;
  n.fmt = &walk_format_ept;
  n.ctl.cr3 = ept_root;
  n.ctl.cr4 = ept_levels == 5 ? CR4_LA57 : 0;
  n.ctl.efer = EFER_NXE;
  n.ctl.cr0 = CR0_WP;
  n.ctl.maxphyaddr = 46;
  m.nested = &n;
}
static void teardown(void) { mem_fini(&mem); }

static struct mmu_ctl guest(int levels) {
  struct mmu_ctl c = {.cr0 = CR0_PG | CR0_WP, .cr3 = guest_root, .cr4 = CR4_PAE | (levels == 5 ? CR4_LA57 : 0),
                      .efer = EFER_NXE, .maxphyaddr = 46};
  return c;
}

Test(walk2d, four_on_four_is_24_references) {
  setup(4, 4);
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  cr_assert_eq(r.refs, 24);
  cr_assert_eq(r.pa, 0x5000123);
  cr_assert_eq(n.walks, 5, "4 guest entries + the final address");
  teardown();
}

Test(walk2d, five_on_five_is_35_references) {
  setup(5, 5);
  struct mmu_ctl c = guest(5);
  struct walk_result r;
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  cr_assert_eq(r.refs, 35);
  teardown();
}

Test(walk2d, mixed_depths_follow_the_formula) {
  setup(4, 5);
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  cr_assert_eq(r.refs, (4 + 1) * (5 + 1) - 1);
  teardown();
}

Test(walk2d, nested_fault_on_a_guest_table_vs_the_final_page) {
  setup(4, 4);
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  /* the guest's PT page (level-1 table): take its EPT mapping away */
  uint64_t *l4 = (uint64_t *)mem_host(&mem, guest_root);
  uint64_t pdpt = l4[0] & PTE_ADDR;
  uint64_t pd = ((uint64_t *)mem_host(&mem, pdpt))[0] & PTE_ADDR;
  uint64_t pt = ((uint64_t *)mem_host(&mem, pd))[2] & PTE_ADDR;
  uint64_t saved = *slot(ept_root, 4, pt, 7);
  *slot(ept_root, 4, pt, 7) = 0;
  cr_assert(!mmu_walk(&m, &c, 0x400000, ACC_U, &r));
  cr_assert(r.nested_fault);
  cr_assert(!n.fault_final, "the violation was in the guest's walk");
  cr_assert_eq(n.fault_gpa, pt + 8 * ((0x400000 >> 12) & 511));
  *slot(ept_root, 4, pt, 7) = saved;
  /* the final page: a write to a read-only EPT mapping */
  *slot(ept_root, 4, 0x5000000, 7) = 0x5000000 | 1 | (6 << 3);
  memset(&n.fault, 0, sizeof n.fault);
  cr_assert(!mmu_walk(&m, &c, 0x400000, ACC_U | ACC_W, &r));
  cr_assert(r.nested_fault);
  cr_assert(n.fault_final);
  cr_assert_eq(n.fault_gpa, 0x5000000);
  cr_assert_eq(n.fault_access, ACC_W);
  /* a read of it is fine */
  cr_assert(mmu_walk(&m, &c, 0x400000, ACC_U, &r));
  /* misconfiguration: write without read */
  *slot(ept_root, 4, 0x5000000, 7) = 0x5000000 | 2 | (6 << 3);
  cr_assert(!mmu_walk(&m, &c, 0x400000, ACC_U, &r));
  cr_assert(n.fault_rsvd, "W without R is an EPT misconfiguration");
  teardown();
}

Test(walk2d, npt_uses_the_legacy_format_as_user_accesses) {
  setup(4, 4);
  /* rebuild the nested tables in the x86 format (NPT): U must be 1 */
  uint64_t nroot = frame();
  uint64_t top = next_frame;
  for (uint64_t gpa = 0; gpa < top + 64 * 4096; gpa += 4096)
    *slot(nroot, 4, gpa, PTE_P | PTE_W | PTE_U) = gpa | PTE_P | PTE_W | PTE_U;
  *slot(nroot, 4, 0x5000000, PTE_P | PTE_W | PTE_U) = 0x5000000 | PTE_P | PTE_W; /* U=0 */
  n.fmt = &walk_format_x86;
  n.ctl.cr3 = nroot;
  n.ctl.cr4 = CR4_PAE;
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  cr_assert(!mmu_walk(&m, &c, 0x400000, ACC_U, &r), "NPT entries are checked as user accesses");
  cr_assert(r.nested_fault && n.fault_final);
  teardown();
}

/* Warm nested caches shorten the walk (Bhargava et al.: caching the nested
 * dimension is where 2-D walks get their speed back). */
Test(walk2d, warm_nested_tlb_leaves_only_the_guest_references) {
  setup(4, 4);
  cr_assert_eq(nested_init(&n, 64), 0);
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  cr_assert_eq(r.refs, 24, "cold: 24");
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  cr_assert_eq(r.refs, 4, "every guest-physical reference hits the nested TLB");
  cr_assert_eq(r.pa, 0x5000123);
  nested_flush(&n);                      /* INVEPT */
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  cr_assert_eq(r.refs, 24, "cold again after INVEPT");
  nested_fini(&n);
  teardown();
}

Test(walk2d, warm_nested_psc_skips_upper_nested_levels) {
  setup(4, 4);
  struct pwc np;
  uint32_t ent[6] = {0, 0, 32, 4, 4, 2};
  cr_assert_eq(pwc_init(&np, PWC_INTEL_PSC, ent, 2), 0);
  n.pwc = &np;
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  int cold = r.refs;
  cr_assert_lt(cold, 24, "tables in one 2M region share nested PDEs even cold (%d)", cold);
  cr_assert(mmu_walk(&m, &c, 0x400123, ACC_U, &r));
  /* each of the 5 nested walks starts at its cached PDE: 1 reference */
  cr_assert_eq(r.refs, 4 + 5, "warm: 4 guest + 5 nested references, got %d", r.refs);
  pwc_fini(&np);
  n.pwc = NULL;
  teardown();
}

Test(walk2d, combined_page_is_no_larger_than_the_nested_page) {
  setup(4, 4);
  /* guest: a 2M page at va 0x40000000 -> gpa 0x5000000 (its PD entry) */
  uint64_t *pde = slot(guest_root, 4, 0x40000000, PTE_P | PTE_W | PTE_U);  /* PT slot */
  (void)pde;
  uint64_t *l4 = (uint64_t *)mem_host(&mem, guest_root);
  uint64_t pdpt = l4[0] & PTE_ADDR;
  uint64_t pd = ((uint64_t *)mem_host(&mem, pdpt))[1] & PTE_ADDR;
  ((uint64_t *)mem_host(&mem, pd))[0] = 0x5000000 | PTE_P | PTE_W | PTE_U | PTE_PS;
  for (uint64_t off = 0; off < 0x200000; off += 4096)
    *slot(ept_root, 4, 0x5000000 + off, 7) = (0x5000000 + off) | EPT_RWX;
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  cr_assert(mmu_walk(&m, &c, 0x40012345, ACC_U, &r));
  cr_assert_eq(r.pa, 0x5012345);
  cr_assert_eq(r.level, 1, "a 2M guest page over 4K nested pages is cached as 4K");
  teardown();
}

/* A walk-phase violation, through the MMU and into the exit encodings:
 * NPT and EPT-with-A/D see guest page-table references as writes (APM
 * 15.25.5; SDM 29.3.3.2), so a read-only nested mapping of a guest table
 * faults with W set and "guest walk" (SVM bit 33 / VMX bit 8 clear). */
#include "cpu-x86/virt.h"
Test(walk2d, walk_phase_violation_reports_a_write_to_the_guest_table) {
  setup(4, 4);
  uint64_t *l4 = (uint64_t *)mem_host(&mem, guest_root);
  uint64_t pdpt = l4[0] & PTE_ADDR;
  *slot(ept_root, 4, pdpt, 7) = pdpt | 5 | (6 << 3);      /* read + execute, no write */
  struct mmu_ctl c = guest(4);
  struct walk_result r;
  n.fmt = &walk_format_ept;                  /* A/D off: a read suffices */
  n.gpt_write = false;
  cr_assert(mmu_walk(&m, &c, 0x400000, ACC_U, &r));
  n.fmt = &walk_format_ept_ad;               /* A/D on: a write */
  n.gpt_write = true;
  cr_assert(!mmu_walk(&m, &c, 0x400000, ACC_U, &r));
  cr_assert(r.nested_fault && !n.fault_final);
  cr_assert_eq(n.fault_gpa, pdpt);
  cr_assert_eq(n.fault_access, ACC_W);
  cr_assert_eq(n.fault_perm, TP_U | TP_X, "the mapping allowed read+execute");
  struct virt_npf f = {.access = VIRT_ACC_WRITE, .perms = VIRT_PERM_R | VIRT_PERM_X, .user = true,
                       .gla_valid = true, .final = n.fault_final, .gpa = n.fault_gpa, .gla = 0x400000};
  /* SDM Table 28-7: bit 1 write, bits 3/5 readable/executable, bit 7 GLA
   * valid, bit 8 clear (an access to a guest paging structure) */
  cr_assert_eq(vmx_ept_violation_qual(&f), (1u << 1) | (1u << 3) | (1u << 5) | (1u << 7));
  /* APM 15.25.6: P (present), W, U; bit 33 = the guest's page walk */
  cr_assert_eq(svm_npf_exitinfo1(&f), 1ull | 2 | 4 | (1ull << 33));
  teardown();
}
