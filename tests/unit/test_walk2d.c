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
