/* Reference predicate for one linear-address translation under 4-level or
 * 5-level paging, written from Intel SDM Vol. 3A chapter 4 (4.5 translation
 * and reserved bits, 4.6 access rights and protection keys, 4.7 #PF error
 * code, 4.8 accessed/dirty flags).  Independent of mmu/walk.c: it is given
 * the entries the walk would meet (by level), not machine memory.
 *
 * A mutation id other than REF_M_NONE flips exactly one rule; the sweep in
 * test_walk.c proves that each such flip disagrees with the walker
 * somewhere, i.e. that the sweep is sensitive to every rule. */
#ifndef FAULTLINE_TESTS_WALK_REF_H
#define FAULTLINE_TESTS_WALK_REF_H
#include <stdbool.h>
#include <stdint.h>

struct ref_case {
  uint64_t ent[6];           /* ent[L]: the entry the walk meets at level L
                                (5 = PML5E .. 1 = PTE); levels below a
                                large-page leaf are not looked at */
  uint64_t va;
  uint64_t cr0, cr4, efer;   /* CR0.WP, CR4.LA57/SMEP/SMAP/PKE, EFER.NXE */
  uint32_t pkru;
  unsigned maxphyaddr;
  uint32_t acc;              /* ACC_* of mmu/mmu.h */
};

/* Rules / classes the reference saw apply (coverage). */
enum ref_rule {
  REF_R_OK,                  /* translated and allowed */
  REF_R_NP,                  /* P=0 somewhere on the path */
  REF_R_RSVD_MAXPHY,         /* bit in 51:MAXPHYADDR set */
  REF_R_RSVD_XD_NXE0,        /* XD set with EFER.NXE=0 is reserved */
  REF_R_RSVD_PS_HIGH,        /* PS in a PML4E/PML5E */
  REF_R_RSVD_LARGE,          /* 20:13 of a 2M PDE / 29:13 of a 1G PDPTE */
  REF_R_PAT_LARGE,           /* bit 12 (PAT) of a large leaf: not address */
  REF_R_US,                  /* user access to a supervisor address denied */
  REF_R_US_UPPER,            /* ... where only a non-leaf entry has U/S=0 */
  REF_R_USER_RW,             /* user write to read-only denied */
  REF_R_WP1,                 /* supervisor write to read-only, WP=1 denied */
  REF_R_WP0_OK,              /* supervisor write to read-only, WP=0 allowed */
  REF_R_NX,                  /* fetch denied by XD (NXE=1) */
  REF_R_NX_UPPER,            /* ... where only a non-leaf entry has XD=1 */
  REF_R_SMEP,                /* supervisor fetch from user address, SMEP */
  REF_R_SMAP,                /* explicit sup. data access, AC=0, SMAP */
  REF_R_SMAP_AC_OK,          /* explicit with AC=1 overrides SMAP */
  REF_R_SMAP_IMPLICIT,       /* implicit with AC=1: override ignored */
  REF_R_SMAP_FETCH_OK,       /* SMAP does not restrict fetches */
  REF_R_PK_AD,               /* PKRU.AD denies a data access */
  REF_R_PK_WD_USER,          /* PKRU.WD denies a user write */
  REF_R_PK_WD_SUP_WP1,       /* PKRU.WD denies a supervisor write, WP=1 */
  REF_R_PK_WD_SUP_WP0_OK,    /* PKRU.WD ignored for supervisor write, WP=0 */
  REF_R_PK_FETCH_IGNORED,    /* keys do not apply to fetches */
  REF_R_PK_SUPADDR_IGNORED,  /* keys do not apply to supervisor addresses */
  REF_R_PK_PKE0_IGNORED,     /* keys do not apply when CR4.PKE=0 */
  REF_R_PK_WITH_OTHER,       /* PK flag set although another rule denied */
  REF_R_LEAF_4K, REF_R_LEAF_2M, REF_R_LEAF_1G,
  REF_R_LA57_OK,             /* translated through a PML5E */
  REF_R_FAULT_AT_PML5,       /* not present / reserved at the PML5E */
  REF_R_COUNT
};
extern const char *const ref_rule_name[REF_R_COUNT];

/* One mutation per rule (REF_M_NONE = the predicate as written). */
enum ref_mut {
  REF_M_NONE,
  REF_M_LA57_IGNORED,        /* always 4-level */
  REF_M_LARGE_IGNORED,       /* PS in PDE/PDPTE does not end the walk */
  REF_M_PAT_AS_ADDR,         /* bit 12 of a large leaf is an address bit */
  REF_M_PA_OFFSET_4K,        /* large page: only va[11:0] as offset */
  REF_M_RSVD_MAXPHY_IGNORED,
  REF_M_XD_NOT_RSVD,         /* XD with NXE=0 ignored, not reserved */
  REF_M_RSVD_PS_HIGH_IGNORED,
  REF_M_RSVD_LARGE_IGNORED,
  REF_M_PAT_RESERVED,        /* bit 12 of a large leaf reserved */
  REF_M_RSVD_BEFORE_P,       /* reserved bits checked in a P=0 entry */
  REF_M_US_IGNORED,
  REF_M_US_LEAF_ONLY,
  REF_M_USER_RW_IGNORED,
  REF_M_RW_LEAF_ONLY,
  REF_M_WP_IGNORED,          /* WP=1 does not protect read-only pages */
  REF_M_WP0_ENFORCED,        /* WP=0 still protects read-only pages */
  REF_M_NX_IGNORED,
  REF_M_NX_LEAF_ONLY,
  REF_M_SMEP_IGNORED,
  REF_M_SMAP_IGNORED,
  REF_M_SMAP_AC_IGNORED,     /* AC=1 does not override SMAP */
  REF_M_SMAP_IMPLICIT_AC,    /* implicit accesses honour AC */
  REF_M_SMAP_FETCH,          /* SMAP also restricts fetches */
  REF_M_PK_AD_IGNORED,
  REF_M_PK_WD_USER_IGNORED,
  REF_M_PK_WD_SUP_ALWAYS,    /* WD applies to supervisor writes with WP=0 */
  REF_M_PK_WD_SUP_NEVER,     /* WD never applies to supervisor writes */
  REF_M_PK_FETCH,            /* keys apply to fetches */
  REF_M_PK_SUPADDR,          /* keys apply to supervisor addresses */
  REF_M_PK_PKE0,             /* keys apply with CR4.PKE=0 */
  REF_M_PK_KEY0,             /* the key field is ignored: always key 0 */
  REF_M_PFEC_RSVD_NO_P,      /* reserved-bit fault reports P=0 */
  REF_M_PFEC_I_ALWAYS,       /* I/D on every fetch */
  REF_M_PFEC_I_NO_SMEP,      /* I/D only from NXE */
  REF_M_PFEC_I_NO_NXE,       /* I/D only from SMEP */
  REF_M_PFEC_U_ADDR,         /* U/S describes the address, not the access */
  REF_M_PFEC_PK_SOLE,        /* PK only when keys are the sole reason */
  REF_M_A_FAULT_NONE,        /* no upper A may be set on a fault */
  REF_M_A_FAULT_STOP,        /* the faulting entry's A may be set too */
  REF_M_A_FAULT_LEAF,        /* the leaf's A is set on a rights fault */
  REF_M_A_SUCC_NO_UPPER,
  REF_M_A_SUCC_NO_LEAF,
  REF_M_D_ON_READ,
  REF_M_D_NOT_ON_WRITE,
  REF_M_D_UPPER,             /* D also set in non-leaf entries */
  REF_M_D_FAULT_WRITE,       /* D set on a write that faults */
  REF_M_COUNT
};
extern const char *const ref_mut_name[REF_M_COUNT];

struct ref_result {
  bool fault;
  uint32_t pfec;             /* #PF error code when fault */
  int leaf;                  /* level of the leaf when translated, else 0 */
  int stop;                  /* level where a not-present/reserved walk
                                stopped, else 0 */
  int top;                   /* first level of the walk */
  uint64_t pa;               /* translated address when !fault */
  uint64_t must[6];          /* bits that must be newly set in ent[L] */
  uint64_t may[6];           /* bits that may be set (implementation-
                                specific: upper A bits on a fault) */
  uint64_t rules;            /* 1 << REF_R_* */
};

void ref_eval(const struct ref_case *c, int mut, struct ref_result *r);

#endif
