/* Reference predicate for a 4-/5-level translation (see walk_ref.h).
 * Written from Intel SDM Vol. 3A:
 *   4.5   4-level and 5-level paging: the walk from CR3 through
 *         PML5E/PML4E/PDPTE/PDE/PTE, PS ending it at a PDPTE (1 GiB) or
 *         PDE (2 MiB), Tables 4-14..4-20 for the reserved bits.
 *   4.5.4 / 4.7: no translation when an entry on the path has P=0 or sets a
 *         reserved bit; access rights are only considered with a
 *         translation.
 *   4.6   access rights: user-mode address = U/S=1 in every entry on the
 *         path; writable = R/W=1 in every entry; executable = XD=0 in every
 *         entry (NXE=1).  The rule lists of 4.6.1 are transcribed below as
 *         one case per (access mode, access type, address mode).
 *   4.6.2 protection keys (PKRU, user-mode addresses, data accesses).
 *   4.7   the error-code bits, each by its own definition.
 *   4.8   A set in every entry used by a translation, D in the entry that
 *         maps the page, on a write.
 * Mutations (REF_M_*) each flip one of these rules. */
#include "tests/unit/walk_ref.h"
#include "mmu/mmu.h"
#include <string.h>

const char *const ref_rule_name[REF_R_COUNT] = {
  [REF_R_OK] = "translated+allowed",
  [REF_R_NP] = "not present",
  [REF_R_RSVD_MAXPHY] = "reserved: bit >= MAXPHYADDR",
  [REF_R_RSVD_XD_NXE0] = "reserved: XD with NXE=0",
  [REF_R_RSVD_PS_HIGH] = "reserved: PS in PML4E/PML5E",
  [REF_R_RSVD_LARGE] = "reserved: low address bits of 2M/1G leaf",
  [REF_R_PAT_LARGE] = "PAT bit of large leaf not an address bit",
  [REF_R_US] = "U/S: user access to supervisor address",
  [REF_R_US_UPPER] = "U/S=0 only in a non-leaf entry",
  [REF_R_USER_RW] = "R/W: user write to read-only",
  [REF_R_WP1] = "R/W: supervisor write to read-only, WP=1",
  [REF_R_WP0_OK] = "R/W: supervisor write to read-only allowed, WP=0",
  [REF_R_NX] = "XD: fetch denied (NXE=1)",
  [REF_R_NX_UPPER] = "XD=1 only in a non-leaf entry",
  [REF_R_SMEP] = "SMEP",
  [REF_R_SMAP] = "SMAP (explicit, AC=0)",
  [REF_R_SMAP_AC_OK] = "SMAP overridden by AC=1",
  [REF_R_SMAP_IMPLICIT] = "SMAP: AC ignored for implicit access",
  [REF_R_SMAP_FETCH_OK] = "SMAP does not apply to fetches",
  [REF_R_PK_AD] = "PK: AD",
  [REF_R_PK_WD_USER] = "PK: WD, user write",
  [REF_R_PK_WD_SUP_WP1] = "PK: WD, supervisor write, WP=1",
  [REF_R_PK_WD_SUP_WP0_OK] = "PK: WD ignored, supervisor write, WP=0",
  [REF_R_PK_FETCH_IGNORED] = "PK: ignored for fetches",
  [REF_R_PK_SUPADDR_IGNORED] = "PK: ignored for supervisor addresses",
  [REF_R_PK_PKE0_IGNORED] = "PK: ignored with PKE=0",
  [REF_R_PK_WITH_OTHER] = "PK flag with another violation",
  [REF_R_LEAF_4K] = "4K leaf", [REF_R_LEAF_2M] = "2M leaf",
  [REF_R_LEAF_1G] = "1G leaf",
  [REF_R_LA57_OK] = "LA57: translated through PML5E",
  [REF_R_FAULT_AT_PML5] = "LA57: no translation at PML5E",
};

const char *const ref_mut_name[REF_M_COUNT] = {
  [REF_M_NONE] = "none",
  [REF_M_LA57_IGNORED] = "LA57 ignored",
  [REF_M_LARGE_IGNORED] = "PS does not end the walk",
  [REF_M_PAT_AS_ADDR] = "large-page PAT bit used as address",
  [REF_M_PA_OFFSET_4K] = "large-page offset only 12 bits",
  [REF_M_RSVD_MAXPHY_IGNORED] = "bits >= MAXPHYADDR not reserved",
  [REF_M_XD_NOT_RSVD] = "XD with NXE=0 not reserved",
  [REF_M_RSVD_PS_HIGH_IGNORED] = "PS in PML4E/PML5E not reserved",
  [REF_M_RSVD_LARGE_IGNORED] = "large-leaf low bits not reserved",
  [REF_M_PAT_RESERVED] = "large-leaf PAT bit reserved",
  [REF_M_RSVD_BEFORE_P] = "reserved bits checked when P=0",
  [REF_M_US_IGNORED] = "U/S ignored",
  [REF_M_US_LEAF_ONLY] = "U/S of leaf only",
  [REF_M_USER_RW_IGNORED] = "R/W ignored for user writes",
  [REF_M_RW_LEAF_ONLY] = "R/W of leaf only",
  [REF_M_WP_IGNORED] = "CR0.WP=1 ignored",
  [REF_M_WP0_ENFORCED] = "CR0.WP=0 still enforces R/W",
  [REF_M_NX_IGNORED] = "XD ignored",
  [REF_M_NX_LEAF_ONLY] = "XD of leaf only",
  [REF_M_SMEP_IGNORED] = "SMEP ignored",
  [REF_M_SMAP_IGNORED] = "SMAP ignored",
  [REF_M_SMAP_AC_IGNORED] = "SMAP: AC does not override",
  [REF_M_SMAP_IMPLICIT_AC] = "SMAP: implicit honours AC",
  [REF_M_SMAP_FETCH] = "SMAP restricts fetches",
  [REF_M_PK_AD_IGNORED] = "PK: AD ignored",
  [REF_M_PK_WD_USER_IGNORED] = "PK: WD ignored for user writes",
  [REF_M_PK_WD_SUP_ALWAYS] = "PK: WD for supervisor writes even WP=0",
  [REF_M_PK_WD_SUP_NEVER] = "PK: WD never for supervisor writes",
  [REF_M_PK_FETCH] = "PK applies to fetches",
  [REF_M_PK_SUPADDR] = "PK applies to supervisor addresses",
  [REF_M_PK_PKE0] = "PK applies with PKE=0",
  [REF_M_PK_KEY0] = "PK key field ignored (key 0)",
  [REF_M_PFEC_RSVD_NO_P] = "#PF: RSVD fault with P=0",
  [REF_M_PFEC_I_ALWAYS] = "#PF: I/D on every fetch",
  [REF_M_PFEC_I_NO_SMEP] = "#PF: I/D only with NXE",
  [REF_M_PFEC_I_NO_NXE] = "#PF: I/D only with SMEP",
  [REF_M_PFEC_U_ADDR] = "#PF: U/S from the address",
  [REF_M_PFEC_PK_SOLE] = "#PF: PK only when keys alone deny",
  [REF_M_A_FAULT_NONE] = "A: upper A never set on fault",
  [REF_M_A_FAULT_STOP] = "A: faulting entry's A set on fault",
  [REF_M_A_FAULT_LEAF] = "A: leaf A set on rights fault",
  [REF_M_A_SUCC_NO_UPPER] = "A: upper A not set on success",
  [REF_M_A_SUCC_NO_LEAF] = "A: leaf A not set on success",
  [REF_M_D_ON_READ] = "D: set on read",
  [REF_M_D_NOT_ON_WRITE] = "D: not set on write",
  [REF_M_D_UPPER] = "D: set in non-leaf entries",
  [REF_M_D_FAULT_WRITE] = "D: set on faulting write",
};

#define BIT(n) (1ull << (n))
/* bits hi:lo inclusive */
static uint64_t field(unsigned hi, unsigned lo) {
  uint64_t upto = hi >= 63 ? ~0ull : BIT(hi + 1) - 1;
  return upto & ~(BIT(lo) - 1);
}

/* Reserved bits of a present entry at `level` (Tables 4-14..4-20).
 * Returns a REF_R_RSVD_* class, or -1 when none is set. */
static int reserved_class(const struct ref_case *c, int mut, int level,
                          uint64_t e) {
  unsigned M = c->maxphyaddr;
  bool nxe = c->efer & EFER_NXE;
  /* "Reserved (must be 0)": bits 51:M of every entry (M = MAXPHYADDR;
   * none when M = 52). */
  if (M < 52 && (e & field(51, M)) && mut != REF_M_RSVD_MAXPHY_IGNORED)
    return REF_R_RSVD_MAXPHY;
  /* Bit 63 is XD if IA32_EFER.NXE = 1, otherwise reserved. */
  if (!nxe && (e & BIT(63)) && mut != REF_M_XD_NOT_RSVD)
    return REF_R_RSVD_XD_NXE0;
  /* Bit 7 of a PML5E and of a PML4E is reserved (no 512 GiB pages). */
  if ((level == 5 || level == 4) && (e & BIT(7)) &&
      mut != REF_M_RSVD_PS_HIGH_IGNORED)
    return REF_R_RSVD_PS_HIGH;
  /* A PDPTE that maps a 1 GiB page: bits 29:13 reserved; a PDE that maps a
   * 2 MiB page: bits 20:13 reserved (bit 12 is PAT). */
  if (level == 3 && (e & BIT(7)) && (e & field(29, 13)) &&
      mut != REF_M_RSVD_LARGE_IGNORED)
    return REF_R_RSVD_LARGE;
  if (level == 2 && (e & BIT(7)) && (e & field(20, 13)) &&
      mut != REF_M_RSVD_LARGE_IGNORED)
    return REF_R_RSVD_LARGE;
  if ((level == 3 || level == 2) && (e & BIT(7)) && (e & BIT(12)) &&
      mut == REF_M_PAT_RESERVED)
    return REF_R_RSVD_LARGE;
  return -1;
}

void ref_eval(const struct ref_case *c, int mut, struct ref_result *r) {
  memset(r, 0, sizeof *r);
#define FIRE(x) (r->rules |= BIT(REF_R_##x))
  const bool la57 = (c->cr4 & CR4_LA57) && mut != REF_M_LA57_IGNORED;
  const int top = la57 ? 5 : 4;
  const bool nxe = c->efer & EFER_NXE;
  const bool wp = c->cr0 & CR0_WP;
  const bool smep = c->cr4 & CR4_SMEP, smap = c->cr4 & CR4_SMAP;
  const bool pke = c->cr4 & CR4_PKE;
  /* The access (4.6: supervisor-mode access = CPL<3 or implicit). */
  const bool user = c->acc & ACC_U;
  const bool write = c->acc & ACC_W;
  const bool fetch = c->acc & ACC_F;
  const bool data = !fetch;
  const bool implicit = c->acc & ACC_IMPLICIT;
  const bool ac = c->acc & ACC_AC;
  r->top = top;

  /* ---- 4.5: the walk, top level first, stopping at the first entry that
   * is not present or sets a reserved bit, or that maps the page. */
  int leaf = 0, stop = 0, rsvd = -1;
  for (int level = top; level >= 1; level--) {
    uint64_t e = c->ent[level];
    if (mut == REF_M_RSVD_BEFORE_P) {
      int k = reserved_class(c, mut, level, e);
      if (k >= 0) { rsvd = k; stop = level; break; }
    }
    if (!(e & PTE_P)) { stop = level; break; }
    int k = reserved_class(c, mut, level, e);
    if (k >= 0) { rsvd = k; stop = level; break; }
    bool maps_page = level == 1 ||
        ((level == 3 || level == 2) && (e & BIT(7)) &&
         mut != REF_M_LARGE_IGNORED);
    if (maps_page) { leaf = level; break; }
  }
  const bool translated = leaf != 0;

  if (!translated) {
    /* ---- 4.7 for "no translation". */
    r->fault = true;
    r->stop = stop;
    bool p = rsvd >= 0;          /* P=0 only when a P flag was 0 */
    if (rsvd >= 0) r->rules |= BIT(rsvd); else FIRE(NP);
    if (stop == 5) FIRE(FAULT_AT_PML5);
    if (mut == REF_M_PFEC_RSVD_NO_P) p = false;
    r->pfec = (p ? PFEC_P : 0) | (write ? PFEC_W : 0) | (user ? PFEC_U : 0) |
              (rsvd >= 0 ? PFEC_RSVD : 0);
    bool idf = fetch && (smep || nxe);
    if (mut == REF_M_PFEC_I_ALWAYS) idf = fetch;
    if (mut == REF_M_PFEC_I_NO_SMEP) idf = fetch && nxe;
    if (mut == REF_M_PFEC_I_NO_NXE) idf = fetch && smep;
    if (idf) r->pfec |= PFEC_I;
    /* 4.8 gives no rule for a walk that fails: entries above the one that
     * stopped it may have A set (implementation-specific); the stopping
     * entry and everything below are untouched. */
    if (mut != REF_M_A_FAULT_NONE)
      for (int l = top; l > stop; l--) r->may[l] |= PTE_A;
    if (mut == REF_M_A_FAULT_STOP) r->may[stop] |= PTE_A;
    return;
  }

  /* ---- 4.6: the address's attributes over the whole path. */
  const uint64_t le = c->ent[leaf];
  bool user_addr = true, writable = true, executable = true;
  bool us0_upper = false, xd_upper = false;
  for (int level = top; level >= leaf; level--) {
    uint64_t e = c->ent[level];
    bool counts = level == leaf;
    if (!(e & PTE_U) && (counts || mut != REF_M_US_LEAF_ONLY)) user_addr = false;
    if (!(e & PTE_W) && (counts || mut != REF_M_RW_LEAF_ONLY)) writable = false;
    if (nxe && (e & PTE_NX) && (counts || mut != REF_M_NX_LEAF_ONLY))
      executable = false;
    if (!counts && !(e & PTE_U)) us0_upper = true;
    if (!counts && nxe && (e & PTE_NX)) xd_upper = true;
  }
  if (leaf == 1) FIRE(LEAF_4K);
  if (leaf == 2) FIRE(LEAF_2M);
  if (leaf == 3) FIRE(LEAF_1G);
  if (leaf > 1 && (le & BIT(12))) FIRE(PAT_LARGE);
  if (mut == REF_M_US_IGNORED) user_addr = true;
  if (mut == REF_M_NX_IGNORED) executable = true;

  /* 4.6.2: the key and its PKRU bits. */
  unsigned key = mut == REF_M_PK_KEY0 ? 0 : (unsigned)(le >> 59) & 15;
  bool ad = (c->pkru >> (2 * key)) & 1, wd = (c->pkru >> (2 * key + 1)) & 1;
  /* Keys act when CR4.PKE=1 (IA32_EFER.LMA=1 is implied by 4-/5-level
   * paging) for data accesses to user-mode addresses. */
  bool keys_apply = (pke || mut == REF_M_PK_PKE0) &&
                    (data || mut == REF_M_PK_FETCH) &&
                    (user_addr || mut == REF_M_PK_SUPADDR);
  bool pk_read_denied = keys_apply && ad && mut != REF_M_PK_AD_IGNORED;
  bool pk_write_denied;      /* for a write, on top of AD */
  if (user) pk_write_denied = wd && mut != REF_M_PK_WD_USER_IGNORED;
  else if (mut == REF_M_PK_WD_SUP_ALWAYS) pk_write_denied = wd;
  else if (mut == REF_M_PK_WD_SUP_NEVER) pk_write_denied = false;
  else pk_write_denied = wd && wp;
  pk_write_denied = keys_apply && pk_write_denied;
  bool pk_denied = pk_read_denied || (write && pk_write_denied);

  /* 4.6.1, case by case.  `other` = denied by something other than keys. */
  bool other = false;
  const bool wp_eff = mut == REF_M_WP_IGNORED ? false
                      : mut == REF_M_WP0_ENFORCED ? true : wp;
  const bool smap_eff = smap && mut != REF_M_SMAP_IGNORED;
  bool explicit_ac = ac && !implicit;
  if (mut == REF_M_SMAP_AC_IGNORED) explicit_ac = false;
  if (mut == REF_M_SMAP_IMPLICIT_AC) explicit_ac = ac;
  if (user) {
    /* User-mode access: no access at all to supervisor-mode addresses. */
    if (!user_addr) { other = true; FIRE(US); if (us0_upper && (le & PTE_U)) FIRE(US_UPPER); }
    else if (write) {
      /* writes: R/W=1 in every entry (CR0.WP irrelevant) */
      if (!writable && mut != REF_M_USER_RW_IGNORED) { other = true; FIRE(USER_RW); }
    } else if (fetch) {
      if (!executable) { other = true; FIRE(NX); if (xd_upper && !(le & PTE_NX)) FIRE(NX_UPPER); }
    }
  } else if (fetch) {
    /* Supervisor fetch: from a user-mode address never with SMEP=1;
     * otherwise only where XD=0 on the path (NXE=1). */
    if (user_addr && smep && mut != REF_M_SMEP_IGNORED) { other = true; FIRE(SMEP); }
    if (!executable) { other = true; FIRE(NX); if (xd_upper && !(le & PTE_NX)) FIRE(NX_UPPER); }
    if (user_addr && smap && !other) {
      if (mut == REF_M_SMAP_FETCH) other = true;
      else FIRE(SMAP_FETCH_OK);
    }
  } else {
    /* Supervisor data access.  To a user-mode address with SMAP=1: only an
     * explicit access with EFLAGS.AC=1; an implicit one never. */
    bool smap_denied = false;
    if (user_addr && smap_eff) {
      if (!explicit_ac) {
        smap_denied = true;
        other = true;
        if (implicit && ac) FIRE(SMAP_IMPLICIT); else if (!implicit) FIRE(SMAP);
      } else FIRE(SMAP_AC_OK);
    }
    /* Writes: with WP=0 to any address; with WP=1 only where R/W=1 on the
     * whole path (both supervisor- and user-mode addresses). */
    if (write && !writable) {
      if (wp_eff) { other = true; if (!smap_denied) FIRE(WP1); }
      else if (!smap_denied) FIRE(WP0_OK);
    }
  }

  /* Coverage of the key rules. */
  if (keys_apply && pk_read_denied) FIRE(PK_AD);
  if (keys_apply && write && !ad && wd) {
    if (user) FIRE(PK_WD_USER);
    else if (wp) FIRE(PK_WD_SUP_WP1);
    else if (!other) FIRE(PK_WD_SUP_WP0_OK);
  }
  if (pke && ad && user_addr && fetch && !other) FIRE(PK_FETCH_IGNORED);
  if (pke && ad && !user_addr && data && !other) FIRE(PK_SUPADDR_IGNORED);
  if (!pke && ad && user_addr && data && !other) FIRE(PK_PKE0_IGNORED);

  if (!other && !pk_denied) {
    /* ---- success: 4.5 address, 4.8 A on every entry used, D on the
     * entry that maps the page when writing. */
    unsigned shift = 12 + 9 * (leaf - 1);
    unsigned M = c->maxphyaddr;
    uint64_t frame = le & field(M - 1, shift);
    if (mut == REF_M_PAT_AS_ADDR) frame = le & field(M - 1, 12);
    uint64_t off = c->va & (BIT(shift) - 1);
    if (mut == REF_M_PA_OFFSET_4K) off = c->va & 0xfff;
    r->pa = frame | off;
    r->leaf = leaf;
    FIRE(OK);
    if (top == 5) FIRE(LA57_OK);
    for (int level = top; level >= leaf; level--) {
      bool is_leaf = level == leaf;
      if (!(is_leaf ? mut == REF_M_A_SUCC_NO_LEAF : mut == REF_M_A_SUCC_NO_UPPER))
        r->must[level] |= PTE_A;
      if (write && is_leaf && mut != REF_M_D_NOT_ON_WRITE) r->must[level] |= PTE_D;
      if (write && !is_leaf && mut == REF_M_D_UPPER) r->must[level] |= PTE_D;
      if (!write && is_leaf && mut == REF_M_D_ON_READ) r->must[level] |= PTE_D;
    }
    return;
  }

  /* ---- rights fault: 4.7 error code, bit by bit. */
  r->fault = true;
  r->leaf = 0;
  r->pfec = PFEC_P | (write ? PFEC_W : 0);
  bool u = user;
  if (mut == REF_M_PFEC_U_ADDR) u = user_addr;
  if (u) r->pfec |= PFEC_U;
  bool idf = fetch && (smep || nxe);
  if (mut == REF_M_PFEC_I_ALWAYS) idf = fetch;
  if (mut == REF_M_PFEC_I_NO_SMEP) idf = fetch && nxe;
  if (mut == REF_M_PFEC_I_NO_NXE) idf = fetch && smep;
  if (idf) r->pfec |= PFEC_I;
  /* PK: LMA=PKE=1, data access, user-mode address with key i, and AD_i=1
   * or (WD_i=1, write, and (WP=1 or user-mode access)) -- whatever else
   * caused the fault. */
  if (pk_denied && (!other || mut != REF_M_PFEC_PK_SOLE)) r->pfec |= PFEC_PK;
  if (pk_denied && other) FIRE(PK_WITH_OTHER);
  if (mut != REF_M_A_FAULT_NONE)
    for (int level = top; level > leaf; level--) r->may[level] |= PTE_A;
  if (mut == REF_M_A_FAULT_STOP) r->may[leaf] |= PTE_A;
  if (mut == REF_M_A_FAULT_LEAF) r->must[leaf] |= PTE_A;
  if (mut == REF_M_D_FAULT_WRITE && write) r->must[leaf] |= PTE_D;
  r->stop = 0;
#undef FIRE
}
