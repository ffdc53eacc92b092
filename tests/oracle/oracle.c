/* Walker oracles, host side: generate a deterministic sample of cases (one
 * page-table set per case, so no case sees another's A/D bits or cached
 * translations), lay them out for the harness, then run faultline's walker
 * on the same tables at the same physical addresses and compare: fault or
 * not, the #PF error code, and every paging entry of the walk afterwards. */
#include "tests/oracle/oracle.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mmu/mmu.h"

#define PG 4096ull
#define HT(i) (BLOB_BASE + HDR_SIZE + (uint64_t)(i) * PG)  /* harness tables */
enum { HT_PML5, HT_PML4, HT_PDPT, HT_PD, HT_PT, HT_COUNT };

static uint64_t rnd(uint64_t *s) {            /* splitmix64 */
  uint64_t x = (*s += 0x9e3779b97f4a7c15ull);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static void put64(uint8_t *g, uint64_t pa, uint64_t v) { memcpy(g + pa, &v, 8); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

void oracle_env(struct oracle_run *run) {
  const char *e = getenv("FL_ORACLE_CASES");
  unsigned n = e ? (unsigned)strtoul(e, NULL, 0) : 0;
  run->ncases = n ? n : 1536;
  e = getenv("FL_ORACLE_TOP_SLOT");     /* investigation: every case in one top-level slot */
  run->force_top = e ? (unsigned)strtoul(e, NULL, 0) % 512 : 0;
}


/* The harness's own identity map: 128 MiB, supervisor, 2M pages except the
 * first 2 MiB (4K pages, so the one user page of the image can be U=1);
 * A and D preset so the CPU never writes these entries. */
static void build_harness_tables(uint8_t *g) {
  const uint64_t up = PTE_P | PTE_W | PTE_U | PTE_A;
  put64(g, HT(HT_PML5), HT(HT_PML4) | up);
  put64(g, HT(HT_PML4), HT(HT_PDPT) | up);
  put64(g, HT(HT_PDPT), HT(HT_PD) | up);
  put64(g, HT(HT_PD), HT(HT_PT) | up);
  for (uint64_t i = 1; i < ORACLE_RAM >> 21; i++)
    put64(g, HT(HT_PD) + i * 8, (i << 21) | PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS);
  for (uint64_t i = 0; i < 512; i++)
    put64(g, HT(HT_PT) + i * 8, (i << 12) | PTE_P | PTE_W | PTE_A | PTE_D |
          ((i << 12) == HARNESS_USER_PAGE ? PTE_U : 0));
}

/* What the generator aims each case at (round robin); everything else in
 * the case is random with a bias to permissive entries so that walks that
 * succeed are common too. */
enum { F_RANDOM, F_NP, F_RO, F_US, F_NX, F_RSVD, F_SMEP, F_SMAP, F_PKU, F_AD, F_WP, F_COUNT };
enum { RS_NONE, RS_MAXPHY, RS_PS_TOP, RS_LARGE, RS_NX_NONXE };

static void gen_case(struct oracle_run *run, uint8_t *g, unsigned i, uint64_t *s, uint64_t *next) {
  struct oracle_case *c = &run->cases[i];
  const struct oracle_caps *k = &run->caps;
  memset(c, 0, sizeof *c);
  c->focus = i % F_COUNT;
  /* 5-level cases last: the harness switches CR4.LA57 once */
  c->top = k->la57 && i >= run->ncases - run->ncases / 4 ? 5 : 4;
  unsigned r = rnd(s) % 4;
  c->leaf = r < 2 ? 1 : r == 2 ? 2 : k->gb1 ? 3 : 2;
  c->wp = rnd(s) & 1;
  c->nxe = k->nx && rnd(s) % 4 != 0;
  c->smep = k->smep && (rnd(s) & 1);
  c->smap = k->smap && (rnd(s) & 1);
  c->pke = k->pku && (rnd(s) & 1);
  c->pkru = (uint32_t)rnd(s);
  c->ring3 = rnd(s) & 1;
  c->kind = rnd(s) % 3;
  c->ac = rnd(s) & 1;
  uint64_t fl[6] = {0};
  for (int l = c->top; l > c->leaf; l--) {
    fl[l] = PTE_P | PTE_W | PTE_U | (rnd(s) & 1 ? PTE_A : 0);
    if (rnd(s) % 8 == 0) fl[l] &= ~PTE_W;
    if (rnd(s) % 8 == 0) fl[l] &= ~PTE_U;
    if (rnd(s) % 8 == 0) fl[l] |= PTE_NX;
  }
  fl[c->leaf] = PTE_P | (rnd(s) & 1 ? PTE_W : 0) | (rnd(s) % 4 ? PTE_U : 0) |
                (rnd(s) % 4 ? 0 : PTE_NX) | (rnd(s) & 1 ? PTE_A : 0) | (rnd(s) & 1 ? PTE_D : 0);
  unsigned key = rnd(s) % 16;
  int lvl = c->leaf + (int)(rnd(s) % (unsigned)(c->top - c->leaf + 1));
  int np_level = 0, rs = RS_NONE, rs_level = 0;
  switch (c->focus) {
  case F_NP: np_level = lvl; break;
  case F_RO: fl[lvl] &= ~PTE_W; c->kind = K_WRITE; break;
  case F_US: fl[lvl] &= ~PTE_U; break;
  case F_NX:
    fl[lvl] |= PTE_NX; c->nxe = k->nx;
    if (rnd(s) % 3) c->kind = K_FETCH;
    break;
  case F_RSVD: {
    int opts[4], n = 0;
    if (k->maxphyaddr < 52) opts[n++] = RS_MAXPHY;
    opts[n++] = RS_PS_TOP;
    if (c->leaf > 1) opts[n++] = RS_LARGE;
    if (k->nx) opts[n++] = RS_NX_NONXE;
    rs = opts[rnd(s) % n];
    rs_level = rs == RS_PS_TOP ? (c->top == 5 && (rnd(s) & 1) ? 4 : c->top)
             : rs == RS_LARGE ? c->leaf : lvl;
    break;
  }
  case F_SMEP:
    c->ring3 = 0; c->kind = K_FETCH;
    for (int l = c->top; l >= c->leaf; l--) fl[l] = (fl[l] | PTE_U) & ~PTE_NX;
    break;
  case F_SMAP:
    c->ring3 = 0; c->kind = rnd(s) & 1 ? K_WRITE : K_READ;
    for (int l = c->top; l >= c->leaf; l--) fl[l] |= PTE_U;
    break;
  case F_PKU:
    if (!k->pku) break;
    c->pke = 1;
    for (int l = c->top; l >= c->leaf; l--) fl[l] |= PTE_U;
    if (rnd(s) & 1) c->kind = K_WRITE;
    break;
  case F_AD:
    for (int l = c->top; l >= c->leaf; l--) fl[l] = (fl[l] | PTE_P | PTE_W | PTE_U) & ~PTE_NX;
    fl[c->leaf] &= ~(PTE_A | PTE_D);
    break;
  case F_WP:
    c->ring3 = 0; c->kind = K_WRITE; fl[lvl] &= ~PTE_W;
    break;
  }
  /* linear address: a random slot of the top table except 0 (the harness's
   * identity map lives there), random lower indices, and an offset that
   * lands in the target area, on an even address (see oracle_abi.h) */
  uint64_t va = 0, frame, off;
  uint64_t slot = 1 + rnd(s) % 511;
  while (slot >= run->avoid_top_lo && slot <= run->avoid_top_hi) slot = 1 + rnd(s) % 511;
  if (run->force_top) slot = run->force_top;
  for (int l = c->top; l > c->leaf; l--)
    va |= (l == c->top ? slot : rnd(s) % 512) << (12 + 9 * (l - 1));
  if (c->leaf == 1) { frame = TARGET_BASE + (rnd(s) % 512) * PG; off = rnd(s) % PG; }
  else if (c->leaf == 2) { frame = TARGET_BASE; off = rnd(s) % (1ull << 21); }
  else { frame = 0; off = TARGET_BASE + rnd(s) % TARGET_SIZE; }
  va |= off & ~1ull;
  unsigned sign = c->top == 5 ? 56 : 47;
  if (va >> sign & 1) va |= ~0ull << sign;
  c->va = va;
  /* page tables, top first */
  uint64_t table[6];
  for (int l = c->top; l >= c->leaf; l--) { table[l] = *next; *next += PG; }
  put64(g, table[c->top], (c->top == 5 ? HT(HT_PML4) : HT(HT_PDPT)) | PTE_P | PTE_W | PTE_U | PTE_A);
  for (int l = c->top; l >= c->leaf; l--) {
    uint64_t e = l == c->leaf
      ? frame | fl[l] | (l > 1 ? PTE_PS : 0) | (uint64_t)key << 59
      : table[l - 1] | fl[l];
    /* bits the walk ignores (SDM Tables 4-15..4-20; AMD APM "AVL"/"IGN"):
     * 11:9 and 58:52 everywhere, 62:59 outside the leaf, G and PWT/PCD in
     * the leaf (G in a PML4E is reserved on AMD, so only the leaf) */
    if (rnd(s) & 1) {
      uint64_t ign = 0xe00ull | (0x7full << 52) | (l == c->leaf ? PTE_G | PTE_PWT | PTE_PCD : 0xfull << 59);
      e |= rnd(s) & ign;
    }
    if (l == np_level) e = rnd(s) & ~PTE_P;            /* the rest is ignored */
    if (l == rs_level) {
      if (rs == RS_MAXPHY) e |= 1ull << (k->maxphyaddr + rnd(s) % (52 - k->maxphyaddr));
      if (rs == RS_PS_TOP) e |= PTE_PS;
      if (rs == RS_LARGE) e |= 1ull << (13 + rnd(s) % (9 * (l - 1) - 1));
      if (rs == RS_NX_NONXE) { e |= PTE_NX; c->nxe = 0; }
    }
    uint64_t epa = table[l] + ((va >> (12 + 9 * (l - 1))) & 511) * 8;
    put64(g, epa, e);
    c->ent_pa[c->nent] = epa;
    c->ent_val[c->nent++] = e;
  }
  c->cr3 = table[c->top];
}

int oracle_build(struct oracle_run *run, uint8_t *g, uint64_t seed, uint64_t hdr_flags) {
  unsigned n = run->ncases;
  uint64_t cases = BLOB_BASE + HDR_SIZE + HT_COUNT * PG;
  uint64_t results = (cases + (uint64_t)n * CASE_SIZE + PG - 1) & ~(PG - 1);
  uint64_t next = (results + (uint64_t)n * RESULT_SIZE + PG - 1) & ~(PG - 1);
  if (next + (uint64_t)n * 5 * PG > ORACLE_RAM) {
    fprintf(stderr, "oracle: %u cases do not fit in guest RAM\n", n);
    return -1;
  }
  run->cases = calloc(n, sizeof *run->cases);
  if (!run->cases) return -1;
  memset(g + BLOB_BASE, 0, next - BLOB_BASE);
  build_harness_tables(g);
  uint64_t s = seed;
  for (unsigned i = 0; i < n; i++) {
    gen_case(run, g, i, &s, &next);
    const struct oracle_case *c = &run->cases[i];
    uint64_t rec = cases + (uint64_t)i * CASE_SIZE;
    put64(g, rec + C_CR3, c->cr3);
    put64(g, rec + C_VA, c->va);
    put64(g, rec + C_CR0_WP, c->wp);
    put64(g, rec + C_CR4, (c->smep ? CR4_SMEP : 0) | (c->smap ? CR4_SMAP : 0) | (c->pke ? CR4_PKE : 0));
    put64(g, rec + C_NXE, c->nxe);
    put64(g, rec + C_PKRU, c->pkru);
    put64(g, rec + C_FLAGS, (c->ring3 ? CF_RING3 : 0) | (c->ac ? CF_AC : 0) | (c->top == 5 ? CF_LA57 : 0));
    put64(g, rec + C_KIND, c->kind);
    put64(g, rec + C_NENT, (uint64_t)c->nent);
    for (int j = 0; j < c->nent; j++) put64(g, rec + C_ENT + 8 * j, c->ent_pa[j]);
  }
  put64(g, BLOB_BASE + HDR_MAGIC, ORACLE_MAGIC);
  put64(g, BLOB_BASE + HDR_NCASES, n);
  put64(g, BLOB_BASE + HDR_FLAGS, hdr_flags);
  put64(g, BLOB_BASE + HDR_BOOT_CR3_4, HT(HT_PML4));
  put64(g, BLOB_BASE + HDR_BOOT_CR3_5, HT(HT_PML5));
  put64(g, BLOB_BASE + HDR_CASES, cases);
  put64(g, BLOB_BASE + HDR_RESULTS, results);
  run->blob_end = next;
  run->pristine = malloc(next - BLOB_BASE);
  if (!run->pristine) return -1;
  memcpy(run->pristine, g + BLOB_BASE, next - BLOB_BASE);
  return 0;
}

bool oracle_header_ok(const struct oracle_run *run, const uint8_t *h) {
  if (get64(h + HDR_STATUS) != ORACLE_DONE) {
    printf("%s: the harness did not finish (status %#" PRIx64 ")\n", run->backend, get64(h + HDR_STATUS));
    return false;
  }
  if (get64(h + HDR_BAD_RIP)) {
    printf("%s: trap %" PRIu64 " inside the harness at rip %#" PRIx64 "\n", run->backend,
           get64(h + HDR_BAD_VECTOR), get64(h + HDR_BAD_RIP));
    return false;
  }
  uint32_t b7 = (uint32_t)get64(h + HDR_CPUID7_EBX), c7 = (uint32_t)get64(h + HDR_CPUID7_ECX);
  uint32_t x1 = (uint32_t)get64(h + HDR_CPUID_X1_EDX), x8 = (uint32_t)get64(h + HDR_CPUID_X8_EAX);
  const struct oracle_caps *k = &run->caps;
  struct { bool want, have; const char *name; } f[] = {
    {k->smep, b7 >> 7 & 1, "smep"}, {k->smap, b7 >> 20 & 1, "smap"},
    {k->pku, c7 >> 3 & 1, "pku"}, {k->la57, c7 >> 16 & 1, "la57"},
    {k->nx, x1 >> 20 & 1, "nx"}, {k->gb1, x1 >> 26 & 1, "pdpe1gb"},
  };
  bool ok = true;
  for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
    if (f[i].want && !f[i].have) {
      printf("%s: guest CPUID lacks %s, which the cases assumed\n", run->backend, f[i].name);
      ok = false;
    }
  if ((x8 & 0xff) != k->maxphyaddr) {
    printf("%s: guest MAXPHYADDR %u, cases assumed %u\n", run->backend, x8 & 0xff, k->maxphyaddr);
    ok = false;
  }
  return ok;
}

/* ---- equivalence classes: named by what decides the outcome ---------- */
enum { NEED_FAULT = 1, NEED_OK = 2, NEED_BOTH = 3 };
enum { CAP_NONE, CAP_NX, CAP_SMEP, CAP_SMAP, CAP_PKU, CAP_LA57, CAP_GB1 };
static const struct { const char *name; unsigned need, cap; } classes[] = {
#define CLASSES \
  X(NP5, "P=0 in PML5E", NEED_FAULT, CAP_LA57) \
  X(NP4, "P=0 in PML4E", NEED_FAULT, CAP_NONE) \
  X(NP3, "P=0 in PDPTE", NEED_FAULT, CAP_NONE) \
  X(NP2, "P=0 in PDE", NEED_FAULT, CAP_NONE) \
  X(NP1, "P=0 in PTE", NEED_FAULT, CAP_NONE) \
  X(RS_MAXPHY, "reserved: address bit >= MAXPHYADDR", NEED_FAULT, CAP_NONE) \
  X(RS_PS_TOP, "reserved: PS in PML4E/PML5E", NEED_FAULT, CAP_NONE) \
  X(RS_LARGE, "reserved: 2M/1G address bits below the page", NEED_FAULT, CAP_NONE) \
  X(RS_NX, "reserved: XD with EFER.NXE=0", NEED_FAULT, CAP_NX) \
  X(RW0_W, "R/W=0 somewhere, write", NEED_BOTH, CAP_NONE) \
  X(RW0_R, "R/W=0 somewhere, read or fetch", NEED_OK, CAP_NONE) \
  X(US0_U, "U/S=0 somewhere, CPL 3", NEED_FAULT, CAP_NONE) \
  X(US0_S, "U/S=0 somewhere, CPL 0", NEED_OK, CAP_NONE) \
  X(NX_F, "XD=1 (NXE=1), fetch", NEED_FAULT, CAP_NX) \
  X(NX_D, "XD=1 (NXE=1), data access", NEED_OK, CAP_NX) \
  X(WP0, "CR0.WP=0, supervisor write, read-only", NEED_OK, CAP_NONE) \
  X(WP1, "CR0.WP=1, supervisor write, read-only", NEED_FAULT, CAP_NONE) \
  X(SMEP1, "SMEP=1, supervisor fetch, user page", NEED_FAULT, CAP_SMEP) \
  X(SMEP0, "SMEP=0, supervisor fetch, user page", NEED_OK, CAP_SMEP) \
  X(SMAP1, "SMAP=1 AC=0, supervisor data, user page", NEED_FAULT, CAP_SMAP) \
  X(SMAPAC, "SMAP=1 AC=1, supervisor data, user page", NEED_OK, CAP_SMAP) \
  X(SMAP0, "SMAP=0, supervisor data, user page", NEED_OK, CAP_SMAP) \
  X(PK_AD, "PKE=1, key AD=1, data to user page", NEED_FAULT, CAP_PKU) \
  X(PK_WD_W, "PKE=1, key WD=1, user write", NEED_FAULT, CAP_PKU) \
  X(PK_WD_SW, "PKE=1, key WD=1, supervisor write", NEED_BOTH, CAP_PKU) \
  X(PK_WD_R, "PKE=1, key WD=1 AD=0, read", NEED_OK, CAP_PKU) \
  X(PK_FETCH, "PKE=1, key AD=1, fetch (keys ignored)", NEED_OK, CAP_PKU) \
  X(PK_OFF, "PKE=0, key AD=1 in PKRU (ignored)", NEED_OK, CAP_PKU) \
  X(A0, "A=0 in the leaf before the access", NEED_BOTH, CAP_NONE) \
  X(D0W, "D=0 in the leaf, write", NEED_BOTH, CAP_NONE) \
  X(P4K, "4 KiB page", NEED_BOTH, CAP_NONE) \
  X(P2M, "2 MiB page", NEED_BOTH, CAP_NONE) \
  X(P1G, "1 GiB page", NEED_BOTH, CAP_GB1) \
  X(L4, "4-level paging", NEED_BOTH, CAP_NONE) \
  X(L5, "5-level paging (LA57)", NEED_BOTH, CAP_LA57) \
  X(NXE0, "EFER.NXE=0", NEED_BOTH, CAP_NONE) \
  X(CPL3, "CPL 3 access", NEED_BOTH, CAP_NONE) \
  X(CPL0, "CPL 0 access", NEED_BOTH, CAP_NONE)
#define X(id, name, need, cap) {name, need, cap},
  CLASSES
#undef X
};
enum {
#define X(id, name, need, cap) CL_##id,
  CLASSES
#undef X
  CL_COUNT
};

static bool cap_has(const struct oracle_caps *k, unsigned cap) {
  switch (cap) {
  case CAP_NX: return k->nx;
  case CAP_SMEP: return k->smep;
  case CAP_SMAP: return k->smap;
  case CAP_PKU: return k->pku;
  case CAP_LA57: return k->la57;
  case CAP_GB1: return k->gb1;
  }
  return true;
}

/* The classes a case belongs to.  Permission classes need a walk that
 * reaches its leaf with no reserved bit (that is what the generator
 * recorded); the reserved classes come from the entries themselves. */
static unsigned case_classes(const struct oracle_run *run, const struct oracle_case *c, unsigned *out) {
  unsigned n = 0, maxphy = run->caps.maxphyaddr;
  bool clean = true, all_w = true, all_u = true, any_nx = false;
  for (int i = 0; i < c->nent; i++) {
    int l = c->top - i;
    uint64_t e = c->ent_val[i];
    if (!(e & PTE_P)) { out[n++] = CL_NP5 + (5 - l); clean = false; break; }
    bool rs = false;
    if (maxphy < 52 && (e & ((1ull << 52) - 1) & ~((1ull << maxphy) - 1))) { out[n++] = CL_RS_MAXPHY; rs = true; }
    if (l >= 4 && (e & PTE_PS)) { out[n++] = CL_RS_PS_TOP; rs = true; }
    if (l == c->leaf && l > 1 && (e & ((1ull << (12 + 9 * (l - 1))) - 1) & ~0x1fffull)) { out[n++] = CL_RS_LARGE; rs = true; }
    if ((e & PTE_NX) && !c->nxe && run->caps.nx) { out[n++] = CL_RS_NX; rs = true; }
    if (rs) { clean = false; break; }
    all_w &= (e & PTE_W) != 0;
    all_u &= (e & PTE_U) != 0;
    any_nx |= (e & PTE_NX) != 0;
  }
  out[n++] = c->leaf == 1 ? CL_P4K : c->leaf == 2 ? CL_P2M : CL_P1G;
  out[n++] = c->top == 5 ? CL_L5 : CL_L4;
  out[n++] = c->ring3 ? CL_CPL3 : CL_CPL0;
  if (!c->nxe) out[n++] = CL_NXE0;
  if (!clean) return n;
  uint64_t leaf = c->ent_val[c->nent - 1];
  bool w = c->kind == K_WRITE, f = c->kind == K_FETCH;
  if (!(leaf & PTE_A)) out[n++] = CL_A0;
  if (!(leaf & PTE_D) && w) out[n++] = CL_D0W;
  if (!all_w) out[n++] = w ? CL_RW0_W : CL_RW0_R;
  if (!all_u) out[n++] = c->ring3 ? CL_US0_U : CL_US0_S;
  if (any_nx && c->nxe) out[n++] = f ? CL_NX_F : CL_NX_D;
  if (!c->ring3 && w && !all_w) out[n++] = c->wp ? CL_WP1 : CL_WP0;
  if (!c->ring3 && f && all_u) out[n++] = c->smep ? CL_SMEP1 : CL_SMEP0;
  if (!c->ring3 && !f && all_u) out[n++] = !c->smap ? CL_SMAP0 : c->ac ? CL_SMAPAC : CL_SMAP1;
  if (all_u) {
    unsigned key = (unsigned)(leaf >> 59) & 15;
    bool ad = c->pkru >> (2 * key) & 1, wd = c->pkru >> (2 * key + 1) & 1;
    if (!c->pke) { if (ad && run->caps.pku) out[n++] = CL_PK_OFF; }
    else if (f) { if (ad) out[n++] = CL_PK_FETCH; }
    else if (ad) out[n++] = CL_PK_AD;
    else if (wd && w) out[n++] = c->ring3 ? CL_PK_WD_W : CL_PK_WD_SW;
    else if (wd) out[n++] = CL_PK_WD_R;
  }
  return n;
}

static const char *const kind_name[] = {"read", "write", "fetch"};

static void case_ctl(const struct oracle_run *run, const struct oracle_case *c,
                     struct mmu_ctl *ctl, uint32_t *acc) {
  memset(ctl, 0, sizeof *ctl);
  ctl->cr0 = CR0_PG | 1 | (c->wp ? CR0_WP : 0);
  ctl->cr3 = c->cr3;
  ctl->cr4 = CR4_PAE | (c->top == 5 ? CR4_LA57 : 0) | (c->smep ? CR4_SMEP : 0) |
             (c->smap ? CR4_SMAP : 0) | (c->pke ? CR4_PKE : 0);
  ctl->efer = (1u << 8) | (1u << 10) | (c->nxe ? EFER_NXE : 0);   /* LME LMA */
  ctl->pkru = c->pkru;
  ctl->maxphyaddr = (uint8_t)run->caps.maxphyaddr;
  *acc = (c->kind == K_WRITE ? ACC_W : 0) | (c->kind == K_FETCH ? ACC_F : 0) |
         (c->ring3 ? ACC_U : 0) | (!c->ring3 && c->ac ? ACC_AC : 0);
}

static void print_case(const struct oracle_run *run, unsigned i, const uint8_t *rec,
                       const struct walk_result *r, const struct machine_mem *mem) {
  const struct oracle_case *c = &run->cases[i];
  static const char *const lv[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};
  printf("  case %u: %d-level, %s page, va %#" PRIx64 ", CPL %u %s, AC=%u CR0.WP=%u "
         "NXE=%u SMEP=%u SMAP=%u PKE=%u PKRU=%08x, MAXPHYADDR %u\n", i, c->top,
         c->leaf == 1 ? "4K" : c->leaf == 2 ? "2M" : "1G", c->va, c->ring3 ? 3 : 0,
         kind_name[c->kind], c->ac, c->wp, c->nxe, c->smep, c->smap, c->pke, c->pkru,
         run->caps.maxphyaddr);
  printf("    %s: vector %" PRIu64 " error code %#" PRIx64 "   faultline: %s pfec %#x\n",
         run->backend, get64(rec + R_VECTOR), get64(rec + R_ERRCODE),
         r->fault ? "fault" : "ok", r->fault ? r->pfec : 0);
  for (int j = 0; j < c->nent; j++)
    printf("    %-5s @%#" PRIx64 ": before %016" PRIx64 "  %s %016" PRIx64 "  faultline %016" PRIx64 "\n",
           lv[c->top - j], c->ent_pa[j], c->ent_val[j], run->backend,
           get64(rec + R_ENT + 8 * j), get64(mem->host + c->ent_pa[j]));
}

/* Does the walker (its memory after the walk) agree with the backend?
 * Returns -1 if not, else the Q_* quirks the agreement needed. */
enum { Q_RSVD_WITHOUT_P = 1, Q_A_1G_LEAF = 2 };
static int agrees(const struct oracle_run *run, const struct oracle_case *c, const uint8_t *rec,
                  const struct walk_result *r, const struct machine_mem *mem, uint64_t allowed_xor) {
  const struct oracle_quirks *q = &run->quirks;
  int used = 0;
  bool gfault = get64(rec + R_VECTOR) == 14;
  uint64_t ge = get64(rec + R_ERRCODE);
  if (gfault != r->fault) return -1;
  if (gfault && q->rsvd_without_p && (ge & PFEC_RSVD) && !(ge & PFEC_P)) {
    ge |= PFEC_P;
    used |= Q_RSVD_WITHOUT_P;
  }
  if (gfault && ge != r->pfec) return -1;
  for (int j = 0; j < c->nent; j++) {
    uint64_t g = get64(rec + R_ENT + 8 * j), x = (g ^ get64(mem->host + c->ent_pa[j])) & ~allowed_xor;
    /* the leaf of a 1G page, reached (path_n counts the entries that
     * passed the present and reserved checks, or the rsvd one), A only */
    if (x == PTE_A && (g & PTE_A) && gfault && q->a_in_1g_leaf_on_fault && c->leaf == 3 &&
        j == c->nent - 1 && r->path_n + ((r->pfec & PFEC_RSVD) ? 1 : 0) >= c->nent) {
      used |= Q_A_1G_LEAF;
      continue;
    }
    if (x) return -1;
  }
  return used;
}

int oracle_compare(struct oracle_run *run, const uint8_t *results, unsigned a_on_fault) {
  struct machine_mem mem[2];
  struct mmu m[2];
  uint64_t len = run->blob_end - BLOB_BASE;
  for (int j = 0; j < 2; j++) {
    if (mem_init(&mem[j], ORACLE_RAM, 0)) { perror("mem_init"); return 1; }
    memcpy(mem[j].host + BLOB_BASE, run->pristine, len);
    memset(&m[j], 0, sizeof m[j]);
    m[j].mem = &mem[j];
    m[j].walk_ref_latency = 1;
    m[j].walk_a_on_fault = j == 0 ? a_on_fault : !a_on_fault;
  }
  unsigned agree = 0, disagree = 0, bad = 0, documented = 0, undocumented_other = 0, shown = 0;
  unsigned quirk_rsvd_p = 0, quirk_a1g = 0;
  unsigned cls_fault[CL_COUNT] = {0}, cls_ok[CL_COUNT] = {0};
  const char *show_env = getenv("FL_ORACLE_SHOW");   /* cases to print in full */
  unsigned show_max = show_env ? (unsigned)strtoul(show_env, NULL, 0) : 12;
  for (unsigned i = 0; i < run->ncases; i++) {
    const struct oracle_case *c = &run->cases[i];
    const uint8_t *rec = results + (uint64_t)i * RESULT_SIZE;
    uint64_t vec = get64(rec + R_VECTOR);
    struct mmu_ctl ctl;
    uint32_t acc;
    case_ctl(run, c, &ctl, &acc);
    struct walk_result r[2];
    for (int j = 0; j < 2; j++) mmu_walk(&m[j], &ctl, c->va, acc, &r[j]);
    /* the harness must have seen exactly one of: #PF at the address, or the
     * #DE that follows a completed access (for a fetch: the target's div) */
    bool sane = (vec == 14 && get64(rec + R_CR2) == c->va) ||
                (vec == 0 && (c->kind != K_FETCH || get64(rec + R_RIP) == c->va));
    if (!sane) {
      bad++;
      if (shown++ < show_max) {
        printf("unexpected trap (rip %#" PRIx64 ", cr2 %#" PRIx64 "):\n", get64(rec + R_RIP), get64(rec + R_CR2));
        print_case(run, i, rec, &r[0], &mem[0]);
      }
      continue;
    }
    unsigned cl[24], ncl = case_classes(run, c, cl);
    for (unsigned j = 0; j < ncl; j++) (vec == 14 ? cls_fault : cls_ok)[cl[j]]++;
    int used = agrees(run, c, rec, &r[0], &mem[0], 0);
    if (used >= 0) {
      agree++;
      quirk_rsvd_p += (used & Q_RSVD_WITHOUT_P) != 0;
      quirk_a1g += (used & Q_A_1G_LEAF) != 0;
      /* the documented difference: under the other walk.a_on_fault the
       * walker may differ, but only in A bits of a walk that faulted */
      if (agrees(run, c, rec, &r[1], &mem[1], 0) < 0) {
        if (vec == 14 && agrees(run, c, rec, &r[1], &mem[1], PTE_A) >= 0) documented++;
        else undocumented_other++;
      }
      continue;
    }
    disagree++;
    if (shown++ < show_max) {
      printf("DISAGREEMENT (walk.a_on_fault=%u):\n", a_on_fault);
      print_case(run, i, rec, &r[0], &mem[0]);
    }
  }
  /* summary */
  const struct oracle_caps *k = &run->caps;
  printf("\n== walker oracle: %s ==\n", run->backend);
  printf("features: MAXPHYADDR %u%s%s%s%s%s%s; faultline walk.a_on_fault=%u\n", k->maxphyaddr,
         k->nx ? " nx" : "", k->gb1 ? " pdpe1gb" : "", k->smep ? " smep" : "",
         k->smap ? " smap" : "", k->pku ? " pku" : "", k->la57 ? " la57" : "", a_on_fault);
  unsigned covered = 0, applicable = 0, missing = 0;
  printf("%-48s %7s %7s\n", "class", "fault", "ok");
  for (unsigned j = 0; j < CL_COUNT; j++) {
    if (!cap_has(k, classes[j].cap)) {
      printf("%-48s %15s\n", classes[j].name, "(not offered)");
      continue;
    }
    applicable++;
    bool f_ok = !(classes[j].need & NEED_FAULT) || cls_fault[j];
    bool o_ok = !(classes[j].need & NEED_OK) || cls_ok[j];
    if (f_ok && o_ok) covered++;
    else missing++;
    printf("%-48s %7u %7u%s\n", classes[j].name, cls_fault[j], cls_ok[j],
           f_ok && o_ok ? "" : "   <-- expected outcome not observed");
  }
  printf("classes covered: %u of %u offered\n", covered, applicable);
  printf("cases run: %u; agreements: %u; disagreements: %u; unexpected traps: %u\n",
         run->ncases, agree, disagree, bad);
  printf("documented differences: %u cases where walk.a_on_fault=%u (the other "
         "implementation's choice) leaves different A bits on a faulting walk\n",
         documented, !a_on_fault);
  if (run->quirks.rsvd_without_p)
    printf("documented differences: %u reserved-bit faults whose error code lacks P "
           "(backend quirk; the SDM and faultline set P with RSVD)%s\n", quirk_rsvd_p,
           quirk_rsvd_p ? "" : " -- not observed: quirk fixed?");
  if (run->quirks.a_in_1g_leaf_on_fault)
    printf("documented differences: %u faulting walks that set A in their 1 GiB leaf "
           "(backend quirk; faultline never touches the leaf of a faulting walk)%s\n", quirk_a1g,
           quirk_a1g ? "" : " -- not observed: quirk fixed?");
  if (undocumented_other)
    printf("(%u cases where walk.a_on_fault=%u differs other than in A bits of a faulting walk)\n",
           undocumented_other, !a_on_fault);
  for (int j = 0; j < 2; j++) mem_fini(&mem[j]);
  bool pass = !disagree && !bad && !missing && documented > 0 && !undocumented_other;
  printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}

void oracle_free(struct oracle_run *run) {
  free(run->cases);
  free(run->pristine);
  run->cases = NULL;
  run->pristine = NULL;
}
