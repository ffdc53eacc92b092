/* faultline MMU: machine memory, TLB hierarchy and the x86-64 page walker.
 * Layer order: cpu-x86 -> mmu -> traces.  The TLB-hit path is inline here
 * (DESIGN.md "Speed"): index the L1 set, compare tags, check the combined
 * rights, bump replacement state and the hit counter, add the host offset. */
#ifndef FAULTLINE_MMU_MMU_H
#define FAULTLINE_MMU_MMU_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "traces/params.h"

/* ---- machine-physical memory ------------------------------------------ */
/* Guest RAM is [0, ram_bytes); hypervisor/host structures come from a pool
 * above it, [ram_bytes, ram_bytes + pool_bytes), whose use is reported.  One
 * host mapping, so machine address -> host pointer is an addition. */
struct machine_mem {
  uint8_t *host;             /* host address of machine address 0 */
  uint64_t ram_bytes;
  uint64_t pool_bytes;
  uint64_t pool_next;        /* bump pointer inside the pool (machine addr) */
  uint64_t pool_used_pages;
  uint64_t *pool_free;       /* free list of pool frames */
  uint64_t pool_nfree, pool_cap;
  uint8_t *frame_flags;      /* one byte per 4 KiB frame: FRAME_* bits */
};
#define FRAME_CODE 1u        /* decoded instructions exist for this frame */

int mem_init(struct machine_mem *m, uint64_t ram_bytes, uint64_t pool_bytes);
void mem_fini(struct machine_mem *m);
static inline uint8_t *mem_host(const struct machine_mem *m, uint64_t pa) {
  return m->host + pa;
}
/* Pool frame for host/hypervisor structures (zeroed). 0 when exhausted. */
uint64_t mem_pool_alloc(struct machine_mem *m);
void mem_pool_free(struct machine_mem *m, uint64_t pa);

/* ---- paging control state (per vCPU) ---------------------------------- */
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_LA57 (1ull << 12)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
/* MOV to CR3 with CR4.PCIDE set: bit 63 keeps the new PCID's TLB entries
 * (SDM 4.10.4.1); the bit is not part of CR3's value. */
#define CR3_NOFLUSH (1ull << 63)
#define EFER_NXE (1ull << 11)

struct mmu_ctl {
  uint64_t cr0, cr3, cr4, efer;
  uint32_t pkru;
  uint8_t maxphyaddr;        /* cpu.maxphyaddr */
  uint8_t root;              /* a host context (VMX root operation, the host
                                kernel): never translated through EPT/NPT */
};

/* Access kind: bit positions match the #PF error code (SDM 4.7). */
#define ACC_W 2u             /* write */
#define ACC_U 4u             /* user-mode access (CPL 3) */
#define ACC_F 16u            /* instruction fetch */
#define ACC_IMPLICIT 0x100u  /* implicit supervisor access (SMAP: no AC override) */
#define ACC_AC 0x200u        /* RFLAGS.AC was set (explicit supervisor access) */

/* #PF error-code bits */
#define PFEC_P 1u
#define PFEC_W 2u
#define PFEC_U 4u
#define PFEC_RSVD 8u
#define PFEC_I 16u
#define PFEC_PK 32u
/* Software-refilled TLB (mmu.refill=software; the exokernel mode, after
 * MIPS R2000/R3000): not x86 error-code bits (12 and 13 are unused by the
 * SDM's #PF error code), they tell the mode which exception it got.
 * TLBMISS: no entry in any level (MIPS TLBL/TLBS refill), or an entry
 * whose rights forbid the access for a reason other than a store (dropped);
 * TLBMOD: a store through an entry without write permission or without
 * the dirty bit (MIPS TLB Modified: EntryLo's D is the write enable). */
#define PFEC_TLBMISS 0x1000u
#define PFEC_TLBMOD 0x2000u
#define PFEC_SOFT (PFEC_TLBMISS | PFEC_TLBMOD)

/* Page-table entry bits (SDM Table 4-19/4-20 ...) */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* ---- page-table geometry and the one software descent (pt.c) ----------- */
/* The index of va's entry in a table of `level` (1 = PT, 2 = PD, 3 = PDPT,
 * 4 = PML4, 5 = PML5; SDM 4.5): the only place page-table index arithmetic
 * is written down (tests/seam_check.sh keeps it so). */
static inline unsigned pt_index(uint64_t va, int level) {
  return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}
/* the machine address of va's entry in the level-`level` table at table_pa */
static inline uint64_t pt_entry_pa(uint64_t table_pa, uint64_t va, int level) {
  return table_pa + 8ull * pt_index(va, level);
}
/* bytes one entry of a level-`level` table maps */
static inline uint64_t pt_span(int level) { return 1ull << (12 + 9 * (level - 1)); }

/* A page-table descent made by the software that owns the tables (the
 * guest kernel's own, a hypervisor's EPT/NPT or shadow tables, the
 * vkernel host's pmaps): from the root of a `top`-level tree down to va's
 * entry in the level-`want` table.  Reads and stores go through the
 * caller's accessors, which charge them; a missing table is created with
 * new_table (when set) and linked with link; every present table entry
 * followed is reported to follow (Xen PV Linux converts each entry it
 * reads through the M2P).  A large leaf (bit 7) above `want` stops the
 * descent at its own entry. */
struct pt_ops {
  void *ctx;
  uint64_t present;          /* what makes an entry present: PTE_P, or EPT's R|W|X */
  uint64_t (*read)(void *ctx, uint64_t entry_pa);
  /* a zeroed table for `level`, announced as the caller needs (0: none) */
  uint64_t (*new_table)(void *ctx, int level);
  /* store the entry (in a level-`level` table) that links a new table */
  void (*link)(void *ctx, uint64_t entry_pa, uint64_t table_pa, int level);
  void (*follow)(void *ctx, uint64_t entry, int level);   /* may be NULL */
};
/* Returns the entry's machine address (0: a table is missing and none was
 * created); *level: the level of the table holding it (want, or that of a
 * large leaf); *created: tables created (may be NULL). */
uint64_t pt_descend(const struct pt_ops *o, uint64_t root, int top, uint64_t va, int want,
                    int *level, int *created);

/* ---- accesses made by the model's software (access.c) ------------------ */
struct mmu;
struct tlb;
/* Loads, stores and page clears that a kernel, hypervisor or host kernel
 * makes at a virtual address through the MMU: translated (TLB, walk)
 * under ctl and charged (+ the data cache when modeled) into *cyc.
 * Returns 0, or the translation's failure (PFEC_* | PFEC_FAULT, or
 * PFEC_NESTED) with nothing done. */
uint32_t mmu_load64(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                    uint32_t acc, uint64_t *val, uint64_t *cyc);
uint32_t mmu_store64(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                     uint32_t acc, uint64_t val, uint64_t *cyc);
uint32_t mmu_clear_page(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                        uint32_t acc, uint64_t *cyc);

/* The address space of the layer under the guest (a hypervisor, the
 * vkernel's host kernel): its own PML4 and a direct map of all machine
 * memory at `base` in 1 GiB supervisor pages, global, under a PCID of its
 * own (the TLB tag that stands for VPID 0 / the host ASID: its entries
 * share the TLB with the guest's but never match a guest translation). */
#define HOST_PCID 0xfffu
struct host_as {
  struct mmu_ctl ctl;
  uint64_t base;             /* virtual address of machine address 0 */
};
int host_as_init(struct host_as *a, struct machine_mem *m, uint64_t base, uint8_t maxphyaddr);

/* Model-internal inspection of machine memory: not a modeled access, never
 * charged.  For audits, fault injection and the set-up done before the
 * guest starts (a domain builder); modeled work uses the accessors above. */
uint64_t mem_peek64(const struct machine_mem *m, uint64_t pa);
void mem_poke64(struct machine_mem *m, uint64_t pa, uint64_t v);

/* ---- TLB ---------------------------------------------------------------- */
/* Combined rights kept in an entry (SDM 4.10.2.2): the AND of U/W over all
 * levels, X = no level had NX (or NXE off), D of the leaf, plus NC: the frame
 * holds no decoded code, so writes may take the fast path. */
#define TP_U 1u
#define TP_W 2u
#define TP_X 4u
#define TP_D 8u
#define TP_NC 16u
#define TP_G 32u

/* need-masks for the fast path (user accesses) */
#define NEED_UR (TP_U)
#define NEED_UW (TP_U | TP_W | TP_D | TP_NC)
#define NEED_UF (TP_U | TP_X)

struct tlb_entry {
  uint64_t tag;              /* va>>12 | pcid<<52 (whole VA: a non-canonical
                              * address never aliases); ~0 when invalid */
  int64_t addend;            /* host pointer = va + addend */
  uint32_t perm;             /* TP_* */
  uint32_t stamp;            /* LRU: bumped on every hit */
  uint64_t pa;               /* machine address of the page */
  uint32_t filled;           /* FIFO: set when the entry is filled */
};
enum { TLB_LRU = 0, TLB_FIFO = 1, TLB_RANDOM = 2 };   /* tlb.*.replacement */

struct tlb_level {
  struct tlb_entry *e;       /* sets * ways; NULL: the level is absent */
  uint8_t shift;             /* page size of its entries: 12, 21 or 30 */
  uint8_t mixed;             /* also holds 2M entries (a shared STLB) */
  struct tlb_entry *hint[64]; /* by low VPN bits: the entry that last hit
                                 for such a page, compared first (same
                                 outcome as the way search, fewer host
                                 instructions and mispredictions) */
  uint32_t sets, ways, set_mask;
  uint32_t clock, fills;
  /* bumped by every change to the level's entries (fills, flushes): a
   * pointer to an entry still holds the level's translation of its page
   * while gen is unchanged (the interpreter's chained block fetches) */
  uint64_t gen;
  /* may hold a non-global entry / any entry: set by every fill, cleared by
   * a flush that drops them all, so a flush with nothing to drop (a TLB
   * flushed again before it refilled, as context switches do) is free */
  bool maybe_nonglobal, maybe_any;
  uint8_t repl;              /* TLB_LRU / TLB_FIFO / TLB_RANDOM */
  uint64_t rng;              /* TLB_RANDOM: seeded, deterministic */
  uint32_t latency;          /* cycles charged on a hit at this level */
  uint64_t hits, misses;     /* hits: of full translations (mmu_translate) */
  uint64_t fast_hits;        /* hits of the interpreter's inline path (tlb_hit*):
                                kept apart so the guest's own references can be
                                counted without a counter of their own */
  const char *name;
};
/* every hit at the level */
static inline uint64_t tlb_level_hits(const struct tlb_level *t) { return t->hits + t->fast_hits; }

/* Per page size, as Intel's cores have them (SDM 4.10.2, optimization
 * manual): L1 DTLB 4K/2M/1G, L1 ITLB 4K/2M, an STLB shared by 4K and 2M
 * entries, and an STLB for 1G entries. */
struct tlb {
  struct tlb_level l1d, l1i, stlb;
  struct tlb_level l1d2m, l1d1g, l1i2m, stlb1g;
  uint64_t pieces;           /* 4K pieces of large pages filled since the last full flush */
};
#define TP_SHIFT(perm) (((perm) >> 16) & 0xff)   /* page size of an entry */
#define TP_ORIG(perm) (((perm) >> 24) & 0xff)    /* page size it was cut from (pieces) */

int tlb_level_init(struct tlb_level *t, const char *name, uint32_t entries,
                   uint32_t ways, uint32_t latency);
/* a level of 2M (shift 21) or 1G (30) entries; mixed: a 4K level that
 * also takes 2M entries */
int tlb_level_init_sz(struct tlb_level *t, const char *name, uint32_t entries,
                      uint32_t ways, uint32_t latency, unsigned shift, bool mixed);
void tlb_fini(struct tlb *t);
void tlb_level_fini(struct tlb_level *t);
void tlb_flush_all(struct tlb *t);
void tlb_flush_guest(struct tlb *t);
void tlb_flush_guest_nonglobal(struct tlb *t);              /* non-global, all but HOST_PCID's */                       /* all but HOST_PCID's */
void tlb_flush_va(struct tlb *t, uint64_t va);             /* every PCID */
bool tlb_holds_va(struct tlb *t, uint64_t va);             /* an entry of any PCID covers va */
void tlb_flush_va_pcid(struct tlb *t, uint64_t va, uint32_t pcid);  /* + globals */
void tlb_flush_nonglobal(struct tlb *t);
void tlb_flush_pcid(struct tlb *t, uint32_t pcid);        /* non-global of one PCID */
/* A frame now holds decoded code (nc=false: writes must take the slow path
 * to invalidate it) or no longer does (nc=true). */
void tlb_set_frame_nc(struct tlb *t, uint64_t pa, bool nc);

static inline uint64_t tlb_tag(uint64_t va, uint32_t pcid) {
  return (va >> 12) | ((uint64_t)pcid << 52);
}
/* Tag for an entry of page size 1 << shift: the VPN at that size, a size
 * marker (bit 50 for 2M, 51 for 1G: unused by those VPNs, and never equal
 * to a 4K tag), the PCID. */
static inline uint64_t tlb_tag_sz(uint64_t va, uint32_t pcid, unsigned shift) {
  uint64_t marker = shift == 21 ? 1ull << 50 : shift == 30 ? 1ull << 51 : 0;
  return (va >> shift) | marker | ((uint64_t)pcid << 52);
}

/* The hot path: a hit's entry (its LRU stamp and the level's inline hit
 * counter bumped), or NULL (miss or rights); tlb_hit: the host pointer. */
static inline __attribute__((always_inline)) struct tlb_entry *tlb_hit_entry(struct tlb_level *t, uint64_t va,
                                                                          uint32_t pcid, uint32_t need) {
  uint64_t tag = tlb_tag(va, pcid);
  struct tlb_entry **hp = &t->hint[(va >> 12) & 63];
  struct tlb_entry *m = *hp;
  if (__builtin_expect(m->tag == tag, 1)) {
    if ((m->perm & need) != need) return NULL;
    m->stamp = ++t->clock;
    t->fast_hits++;
    return m;
  }
  struct tlb_entry *s = &t->e[(size_t)((va >> 12) & t->set_mask) * t->ways];
  for (uint32_t w = 0; w < t->ways; w++) {
    if (s[w].tag == tag) {
      if ((s[w].perm & need) != need) return NULL;
      s[w].stamp = ++t->clock;
      t->fast_hits++;
      *hp = &s[w];
      return &s[w];
    }
  }
  return NULL;
}
static inline __attribute__((always_inline)) uint8_t *tlb_hit(struct tlb_level *t, uint64_t va,
                                                              uint32_t pcid, uint32_t need) {
  struct tlb_entry *m = tlb_hit_entry(t, va, pcid, need);
  return m ? (uint8_t *)(intptr_t)((int64_t)va + m->addend) : NULL;
}

static inline uint8_t *tlb_hit_sz(struct tlb_level *t, uint64_t va, uint32_t pcid,
                                  uint32_t need) {
  if (!t->e) return NULL;
  uint64_t tag = tlb_tag_sz(va, pcid, t->shift);
  struct tlb_entry *s = &t->e[(size_t)((va >> t->shift) & t->set_mask) * t->ways];
  for (uint32_t w = 0; w < t->ways; w++) {
    if (s[w].tag == tag) {
      if ((s[w].perm & need) != need) return NULL;
      s[w].stamp = ++t->clock;
      t->fast_hits++;
      return (uint8_t *)(intptr_t)((int64_t)va + s[w].addend);
    }
  }
  return NULL;
}

/* ---- walker ------------------------------------------------------------ */
struct walk_result {
  uint64_t pa;               /* translated machine address (fault: 0) */
  uint64_t leaf_pa;          /* machine address of the leaf entry */
  uint32_t perm;             /* TP_* combined rights */
  uint32_t pfec;             /* error code when faulted */
  uint8_t level;             /* level of the leaf (1 = 4K, 2 = 2M, 3 = 1G) */
  uint8_t nested_level;      /* 2-D walks: level of the final nested leaf */
  bool dirtied;              /* this walk set the leaf's dirty bit */
  uint8_t path_n;            /* entries read, top level first (path[]: their
                                machine addresses) — a software walker (the
                                shadow-paging hypervisor) builds from them */
  uint64_t path[5];
  uint8_t refs;              /* page-table references made (PWC hits excluded) */
  uint8_t pwc_hits;
  bool nested_fault;         /* failed in the nested tables (see mmu.nested) */
  uint32_t cycles;           /* modeled latency of the references */
  bool fault;
};

/* ---- paging-structure caches (pwc.c) ---- */
enum { PWC_NONE = 0, PWC_INTEL_PSC = 1, PWC_AMD_PTC = 2 };
struct pwc_level {
  uint64_t *tag;
  uint32_t *stamp;
  uint32_t entries, clock;
  uint64_t hits, misses;
};
struct pwc {
  int kind;
  uint32_t hit_latency;      /* cycles of a reference served by the cache */
  struct pwc_level lv[6];    /* by paging level 2..5 (PDE .. PML5E) */
};
int pwc_init(struct pwc *p, int kind, const uint32_t entries[6], uint32_t hit_latency);
void pwc_fini(struct pwc *p);
void pwc_flush(struct pwc *p);
void pwc_flush_va(struct pwc *p, uint64_t va);
bool pwc_lookup(struct pwc *p, int level, uint64_t va, uint64_t epa, uint32_t pcid);
void pwc_fill(struct pwc *p, int level, uint64_t va, uint64_t epa, uint32_t pcid);

struct cache_hier;
enum { MMU_REFILL_HARDWARE = 0, MMU_REFILL_SOFTWARE = 1 };   /* mmu.refill */
struct mmu {
  struct machine_mem *mem;
  struct nested *nested;     /* NULL: one-dimensional walks */
  struct pwc *pwc;           /* NULL: no paging-structure caches */
  struct cache_hier *cache;  /* NULL: walk references cost walk.ref_latency */
  uint32_t walk_ref_latency; /* walk.ref_latency */
  uint32_t walk_a_on_fault;  /* walk.a_on_fault */
  uint8_t refill;            /* mmu.refill: MMU_REFILL_* */
  /* software refill: a host context's (ctl.root) accesses to
   * [kseg_base, kseg_base + kseg_size) are unmapped, as MIPS kseg0: machine
   * address = va - kseg_base, no TLB, no walk (the exokernel's own memory) */
  uint64_t kseg_base, kseg_size;
  uint64_t tlb_installs;     /* software refill: entries written by mmu_tlb_install */
  uint64_t walks, walk_refs, walk_faults;
  uint64_t walk_cycles;      /* the hardware walks' latency (their references, nested ones included) */
  uint64_t walks_by_leaf[4];   /* successful walks ending at level 1 (4K), 2 (2M), 3 (1G) */
};

/* The walker reads entries through a format adaptor, so one loop serves
 * x86 paging and (issue 6) EPT/NPT tables: the adaptor says what an entry
 * means; the loop does the references, caches, A/D updates and faults. */
enum { PTE_OK, PTE_NOT_PRESENT, PTE_RESERVED };
struct pte_info {
  uint64_t addr;             /* next table, or the frame of a leaf */
  uint32_t deny;             /* TP_U/TP_W/TP_X rights this entry removes */
  uint32_t extra;            /* TP_G, protection key << 8 (leaf) */
  bool leaf;
};
struct walk_format {
  const char *name;
  int (*decode)(const struct mmu_ctl *c, int level, uint64_t e, struct pte_info *out);
  uint64_t a_bit, d_bit;     /* accessed / dirty flags in an entry */
};
extern const struct walk_format walk_format_x86;   /* SDM 4.5 4- and 5-level */
/* EPT entries (SDM 29.3.2): R/W/X in bits 0-2 (R is carried as TP_U, so an
 * EPT walk checks rights as a user access), memory type in 5:3, A/D in 8/9
 * when the EPTP enables them.  Execute-only pages are not modeled. */
extern const struct walk_format walk_format_ept;
extern const struct walk_format walk_format_ept_ad;

/* Two-dimensional walks (issue 6): when mmu.nested is set, every
 * guest-physical address the guest walk uses (each table entry and the
 * final translation) is translated through the nested tables at the
 * walker's one read point. */
struct nested {
  const struct walk_format *fmt;   /* walk_format_ept(_ad), or x86 for NPT */
  struct mmu_ctl ctl;        /* cr3 = EPTP/nCR3 root; LA57 for 5-level */
  bool gpt_write;            /* guest page-table references are nested writes */
  /* nested TLB: gpa page -> hpa page (AMD's NTLB; Intel's cached
   * guest-physical mappings, SDM 29.4.1), fully associative, LRU */
  uint64_t *ntlb_tag, *ntlb_hpa;
  uint32_t *ntlb_stamp, *ntlb_perm;
  uint32_t ntlb_entries, ntlb_clock;
  uint64_t ntlb_hits, ntlb_misses;
  struct pwc *pwc;           /* nested paging-structure cache (NULL: none) */
  /* the last nested fault (EPT violation / misconfiguration, NPF) */
  bool fault, fault_final, fault_rsvd;
  uint64_t fault_gpa;
  uint32_t fault_access;     /* ACC_W / ACC_F of the access */
  uint32_t fault_perm;       /* TP_U(R)/TP_W/TP_X the translation allowed */
  uint64_t walks, refs;
};

int nested_init(struct nested *n, uint32_t ntlb_entries);
void nested_fini(struct nested *n);
/* INVEPT / TLB_CONTROL flush of the nested caches (NTLB, nested PWC) */
void nested_flush(struct nested *n);
/* gpa -> hpa through the nested tables (one-dimensional walk with the
 * nested format); adds references and cycles to *r; on failure records
 * the fault in m->nested and returns false */
bool mmu_nested_xlate(struct mmu *m, uint64_t gpa, uint32_t acc, bool final,
                      uint64_t *hpa, struct walk_result *r);

/* One loop over levels (4- or 5-level from CR4.LA57).  Sets A/D bits as the
 * SDM requires; computes the #PF error code on failure. */
bool mmu_walk(struct mmu *m, const struct mmu_ctl *c, uint64_t va,
              uint32_t acc, struct walk_result *r);
bool mmu_walk_fmt(struct mmu *m, const struct mmu_ctl *c, const struct walk_format *fmt,
                  uint64_t va, uint32_t acc, struct walk_result *r);
/* the same walk made by software (no PWC, not counted as a hardware walk) */
bool mmu_walk_software(struct mmu *m, const struct mmu_ctl *c, uint64_t va,
                       uint32_t acc, struct walk_result *r);

/* Permission check of combined rights against an access (SDM 4.6). */
uint32_t mmu_check_rights(const struct mmu_ctl *c, uint64_t va, uint32_t perm,
                          uint32_t acc);

/* Full translation: L1 -> STLB -> walk -> fill.  Returns 0 and fills *x,
 * or the #PF error code (always non-zero: P or not) | PFEC_FAULT. */
#define PFEC_FAULT 0x80000000u
#define PFEC_NESTED 0x40000000u    /* the failure was in the nested tables:
                                      an EPT violation/misconfig or #NPF
                                      (details in mmu.nested), not a #PF */
struct xlate {
  uint8_t *host;             /* host pointer for va */
  uint64_t pa;               /* machine address for va */
  uint64_t cycles;           /* modeled latency of this translation */
  uint32_t perm;             /* combined rights used */
  uint8_t walked;            /* 1 when a page walk was made */
};
uint32_t mmu_translate(struct mmu *m, struct tlb *t, const struct mmu_ctl *c,
                       uint64_t va, uint32_t acc, struct xlate *x);

/* Software refill (mmu.refill=software): the mode writes a translation
 * into the TLB (the analogue of MIPS tlbwr): va's page of 1 << shift bytes
 * (12 or 21) at machine address pa with rights perm (TP_U/W/X/D/G); into
 * the L1 of the access kind (fetch: the ITLB) and the second level, as a
 * walk's fill would be, replacing any entry the TLB holds for va. */
void mmu_tlb_install(struct mmu *m, struct tlb *t, const struct mmu_ctl *c, uint64_t va,
                     uint64_t pa, uint32_t perm, unsigned shift, bool fetch);

extern const struct fl_param_def mmu_params[];
#endif
