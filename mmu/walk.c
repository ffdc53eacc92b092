/* The x86-64 page walker (SDM Vol. 3A ch. 4.5) and full translation.
 * One loop over levels; the start level picks 4- or 5-level paging. */
#include "mmu/mmu.h"
#include "mmu/cache.h"
#include <string.h>

/* Reserved-bit mask for an entry at a level (SDM 4.5.4, Table 4-15..4-20).
 * Bits 51:MAXPHYADDR are reserved everywhere; NX is reserved without
 * EFER.NXE; PS is reserved in PML5E/PML4E; large-page leaves reserve the
 * address bits below their alignment (except PAT at bit 12). */
static uint64_t rsvd_mask(const struct mmu_ctl *c, int level, uint64_t pte) {
  uint64_t m = ((1ull << 52) - 1) & ~((1ull << c->maxphyaddr) - 1);
  if (!(c->efer & EFER_NXE)) m |= PTE_NX;
  if (level >= 4) m |= PTE_PS;
  else if (level == 3 && (pte & PTE_PS)) m |= 0x3fffe000ull;   /* 29:13 */
  else if (level == 2 && (pte & PTE_PS)) m |= 0x1fe000ull;     /* 20:13 */
  return m;
}

/* Set bits in a paging-structure entry.  An entry outside machine memory
 * reads as all ones and cannot be written: the update is dropped (with
 * MAXPHYADDR = 52 and NXE = 1 an all-ones PTE has no reserved bit, so such
 * a walk can succeed and would otherwise write outside the host mapping). */
static void set_entry_bits(struct mmu *m, uint64_t epa, uint64_t bits) {
  if (epa + 8 > m->mem->ram_bytes + m->mem->pool_bytes) return;
  uint64_t *p = (uint64_t *)mem_host(m->mem, epa);
  *p |= bits;
}

static uint32_t base_pfec(const struct mmu_ctl *c, uint32_t acc) {
  uint32_t e = acc & (PFEC_W | PFEC_U);
  if ((acc & ACC_F) && ((c->cr4 & CR4_SMEP) || (c->efer & EFER_NXE)))
    e |= PFEC_I;
  return e;
}

/* Access rights (SDM 4.6) over the combined rights of a translation.
 * Returns 0 when allowed, else the error code bits beyond P (W/U/I/PK). */
uint32_t mmu_check_rights(const struct mmu_ctl *c, uint64_t va, uint32_t perm,
                          uint32_t acc) {
  bool fault = false;
  bool user_page = perm & TP_U;
  bool write = acc & ACC_W, fetch = acc & ACC_F;
  bool wp = c->cr0 & CR0_WP;
  if (acc & ACC_U) {
    if (!user_page) fault = true;
    else if (write && !(perm & TP_W)) fault = true;
    else if (fetch && !(perm & TP_X)) fault = true;
  } else if (fetch) {
    if (!(perm & TP_X)) fault = true;
    if (user_page && (c->cr4 & CR4_SMEP)) fault = true;
  } else {
    if (user_page && (c->cr4 & CR4_SMAP) &&
        ((acc & ACC_IMPLICIT) || !(acc & ACC_AC)))
      fault = true;
    if (write && !(perm & TP_W) && wp) fault = true;
  }
  uint32_t pk = 0;
  /* Protection keys (SDM 4.6.2): data accesses to user-mode addresses. */
  if ((c->cr4 & CR4_PKE) && user_page && !fetch) {
    unsigned key = (perm >> 8) & 15;
    bool ad = (c->pkru >> (2 * key)) & 1, wd = (c->pkru >> (2 * key + 1)) & 1;
    if (ad || (write && wd && ((acc & ACC_U) || wp))) pk = PFEC_PK;
  }
  if (!fault && !pk) return 0;
  return base_pfec(c, acc) | PFEC_P | pk;
}

/* x86-64 paging entries (SDM Tables 4-15 .. 4-20) */
static int decode_x86(const struct mmu_ctl *c, int level, uint64_t pte, struct pte_info *o) {
  if (!(pte & PTE_P)) return PTE_NOT_PRESENT;
  if (pte & rsvd_mask(c, level, pte)) return PTE_RESERVED;
  o->deny = (pte & PTE_U ? 0 : TP_U) | (pte & PTE_W ? 0 : TP_W) |
            ((pte & PTE_NX) && (c->efer & EFER_NXE) ? TP_X : 0);
  o->leaf = level == 1 || (pte & PTE_PS);
  uint64_t mask = o->leaf ? ~((1ull << (12 + 9 * (level - 1))) - 1) : ~0ull;
  o->addr = pte & PTE_ADDR & mask & ((1ull << c->maxphyaddr) - 1);
  o->extra = o->leaf ? ((pte & PTE_G) ? TP_G : 0) | (uint32_t)((pte >> 59) & 15) << 8 : 0;
  return PTE_OK;
}

const struct walk_format walk_format_x86 = {"x86", decode_x86, PTE_A, PTE_D};

/* EPT paging-structure entries (SDM 29.3.2, 29.3.3.1 misconfigurations) */
static int decode_ept(const struct mmu_ctl *c, int level, uint64_t e, struct pte_info *o) {
  unsigned rwx = e & 7;
  if (!rwx) return PTE_NOT_PRESENT;
  uint64_t rsvd = ((1ull << 52) - 1) & ~((1ull << c->maxphyaddr) - 1);
  bool large = level > 1 && (e & (1ull << 7));
  if (level >= 4) rsvd |= 1ull << 7;
  if (level == 3 && large) rsvd |= 0x3ffff000ull;
  if (level == 2 && large) rsvd |= 0x1ff000ull;
  if (!large && level > 1) rsvd |= 0x78;          /* bits 6:3 reserved in non-leaf entries */
  if ((rwx & 2) && !(rwx & 1)) return PTE_RESERVED;   /* write without read */
  if (rwx == 4) return PTE_RESERVED;                  /* execute-only: no capability modeled */
  unsigned mt = (e >> 3) & 7;
  if ((level == 1 || large) && (mt == 2 || mt == 3 || mt == 7)) return PTE_RESERVED;
  if (e & rsvd) return PTE_RESERVED;
  o->deny = (rwx & 1 ? 0 : TP_U) | (rwx & 2 ? 0 : TP_W) | (rwx & 4 ? 0 : TP_X);
  o->leaf = level == 1 || large;
  uint64_t mask = o->leaf ? ~((1ull << (12 + 9 * (level - 1))) - 1) : ~0ull;
  o->addr = e & PTE_ADDR & mask & ((1ull << c->maxphyaddr) - 1);
  o->extra = 0;
  return PTE_OK;
}
const struct walk_format walk_format_ept = {"ept", decode_ept, 0, 0};
const struct walk_format walk_format_ept_ad = {"ept-ad", decode_ept, 1ull << 8, 1ull << 9};

bool mmu_walk(struct mmu *m, const struct mmu_ctl *c, uint64_t va,
              uint32_t acc, struct walk_result *r) {
  bool ok = mmu_walk_fmt(m, c, &walk_format_x86, va, acc, r);
  m->walk_cycles += r->cycles;
  return ok;
}

/* Software reads a guest's tables (a shadow-paging hypervisor, the
 * vkernel's host): the same rules and A/D updates, its references charged
 * in r->cycles, but no paging-structure caches and none of the hardware's
 * walk statistics. */
bool mmu_walk_software(struct mmu *m, const struct mmu_ctl *c, uint64_t va,
                       uint32_t acc, struct walk_result *r) {
  struct pwc *pwc = m->pwc;
  uint64_t walks = m->walks, refs = m->walk_refs, faults = m->walk_faults, wcyc = m->walk_cycles, byleaf[4];
  memcpy(byleaf, m->walks_by_leaf, sizeof byleaf);
  m->pwc = NULL;
  bool ok = mmu_walk(m, c, va, acc, r);
  m->pwc = pwc;
  m->walks = walks;
  m->walk_refs = refs;
  m->walk_faults = faults;
  m->walk_cycles = wcyc;
  memcpy(m->walks_by_leaf, byleaf, sizeof byleaf);
  return ok;
}

bool mmu_walk_fmt(struct mmu *m, const struct mmu_ctl *c, const struct walk_format *fmt,
                  uint64_t va, uint32_t acc, struct walk_result *r) {
  memset(r, 0, sizeof *r);
  int levels = (c->cr4 & CR4_LA57) ? 5 : 4;
  uint64_t table = c->cr3 & PTE_ADDR & ((1ull << c->maxphyaddr) - 1);
  uint64_t entry_pa[5];
  int used = 0;
  uint32_t perm = TP_U | TP_W | TP_X;
  /* a host context (the hypervisor in VMX root operation) translates
   * through its own tables alone */
  const struct nested *nest = c->root ? NULL : m->nested;
  m->walks++;
  uint32_t pcid = (c->cr4 & CR4_PCIDE) ? (uint32_t)(c->cr3 & 0xfff) : 0;
  /* Intel PSC: the deepest cached upper-level entry lets the walk skip the
   * references above it (the entries are still read for their values:
   * staleness is not modeled) */
  int skip_from = levels + 1;
  if (m->pwc && m->pwc->kind == PWC_INTEL_PSC)
    for (int l = 2; l <= levels; l++)
      if (pwc_lookup(m->pwc, l, va, 0, pcid)) { skip_from = l; break; }
  for (int level = levels; level >= 1; level--) {
    unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
    uint64_t epa = table + idx * 8;
    /* a two-dimensional walk translates each entry's guest-physical
     * address first: a user read, or a user write where the nested tables
     * see guest page-table accesses as writes (NPT: APM 15.25.5; EPT with
     * A/D enabled: SDM 29.3.3.2) */
    /* (a level the PSC lets the walk skip is not referenced at all: its
     * cached entry already names the next table) */
    if (nest && level < skip_from &&
        !mmu_nested_xlate(m, epa, m->nested->gpt_write ? ACC_W : 0, false, &epa, r)) {
      r->nested_fault = true;
      goto fault;
    }
    uint64_t pte;
    if (epa + 8 > m->mem->ram_bytes + m->mem->pool_bytes) {
      /* Beyond machine memory: reads as all ones, i.e. reserved bits. */
      pte = ~0ull;
    } else {
      memcpy(&pte, mem_host(m->mem, epa), 8);
    }
    if (level >= skip_from ||
        (m->pwc && m->pwc->kind == PWC_AMD_PTC && level > 1 && pwc_lookup(m->pwc, level, va, epa, pcid))) {
      r->pwc_hits++;
      r->cycles += m->pwc->hit_latency;
    } else {
      r->refs++;
      m->walk_refs++;
      r->cycles += m->cache ? cache_access(m->cache, epa, false) : m->walk_ref_latency;
    }
    struct pte_info pi;
    int kind = fmt->decode(c, level, pte, &pi);
    if (kind == PTE_NOT_PRESENT) {
      r->pfec = base_pfec(c, acc);
      goto fault;
    }
    if (kind == PTE_RESERVED) {
      r->pfec = base_pfec(c, acc) | PFEC_P | PFEC_RSVD;
      goto fault;
    }
    entry_pa[used++] = epa;
    r->path[r->path_n++] = epa;
    perm &= ~pi.deny;
    if (pi.leaf) {
      uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
      uint64_t frame = pi.addr;
      perm |= pi.extra;                              /* global, protection key */
      uint32_t rights = mmu_check_rights(c, va, perm, acc);
      if (rights) {
        r->pfec = rights;
        goto fault;
      }
      /* Success: set A at every level, D at the leaf on a write. */
      for (int i = 0; i < used; i++)
        set_entry_bits(m, entry_pa[i],
                       fmt->a_bit | (i == used - 1 && (acc & ACC_W) ? fmt->d_bit : 0));
      if ((acc & ACC_W) || (pte & fmt->d_bit)) perm |= TP_D;
      r->dirtied = (acc & ACC_W) && !(pte & fmt->d_bit);
      if (m->pwc)
        for (int i = 0; i < used - 1; i++) pwc_fill(m->pwc, levels - i, va, entry_pa[i], pcid);
      m->walks_by_leaf[level & 3]++;
      r->pa = frame | (va & page_mask);
      if (nest && !mmu_nested_xlate(m, r->pa, acc & (ACC_W | ACC_F), true, &r->pa, r)) {
        r->nested_fault = true;
        goto fault;
      }
      r->leaf_pa = epa;
      /* a combined translation is no larger than its nested page */
      r->level = (uint8_t)(nest && r->nested_level && r->nested_level < level ? r->nested_level : level);
      r->perm = perm;
      return true;
    }
    table = pi.addr;
  }
fault:
  /* the rights the translation allowed (an EPT violation reports them) */
  r->perm = (r->pfec & PFEC_P) && !(r->pfec & PFEC_RSVD) ? perm : 0;
  /* walk.a_on_fault: whether upper levels' A bits are set on a walk that
   * then faults is implementation-specific; the leaf is never touched. */
  if (m->walk_a_on_fault) {
    int upper = used;
    /* the last "used" entry is the leaf only if the fault was on rights */
    if (r->pfec & PFEC_P && !(r->pfec & PFEC_RSVD) && upper > 0) upper--;
    for (int i = 0; i < upper; i++)
      set_entry_bits(m, entry_pa[i], fmt->a_bit);
  }
  r->fault = true;
  m->walk_faults++;
  return false;
}

