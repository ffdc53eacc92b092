/* The one software page-table descent (mmu.h pt_descend): every table the
 * model's software builds or reads — the guest kernel's, the hypervisor's
 * EPT/NPT and shadow tables, the vkernel host's pmaps — is walked here,
 * so the index arithmetic and the allocation rule exist once. */
#include "mmu/mmu.h"

#define PT_LARGE (1ull << 7)   /* PS in x86 PDEs/PDPTEs; "page size" in EPT too */

uint64_t pt_descend(const struct pt_ops *o, uint64_t root, int top, uint64_t va, int want,
                    int *level, int *created) {
  uint64_t table = root;
  if (created) *created = 0;
  for (int l = top; l > want; l--) {
    uint64_t epa = pt_entry_pa(table, va, l);
    uint64_t e = o->read(o->ctx, epa);
    if (!(e & o->present)) {
      if (!o->new_table) { *level = l; return 0; }
      uint64_t t = o->new_table(o->ctx, l - 1);
      if (!t) { *level = l; return 0; }
      o->link(o->ctx, epa, t, l);
      if (created) (*created)++;
      table = t;
      continue;
    }
    if (e & PT_LARGE) { *level = l; return epa; }   /* a large leaf: stop at it */
    if (o->follow) o->follow(o->ctx, e, l);
    table = e & PTE_ADDR;
  }
  *level = want;
  return pt_entry_pa(table, va, want);
}
