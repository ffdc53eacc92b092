/* Page-walker sweep in the style of kvm-unit-tests' x86/access.c: real page
 * tables in machine memory, one case per combination of entry flags,
 * control bits, PKRU and access kind, under 4- and 5-level paging; each
 * outcome of mmu_walk() and mmu_translate() is compared with the
 * independent reference predicate of walk_ref.c (SDM Vol. 3A ch. 4).
 *
 * Part A: exhaustive over the leaf (P R/W U/S XD A D, a reserved or PAT
 *   bit, key 0 or another key) x page size x CR0.WP x CR4.SMEP/SMAP/PKE x
 *   EFER.NXE x PKRU (AD, WD of the key) x 12 access kinds x 4/5-level,
 *   upper levels permissive (their A and ignored bits random).
 * Part C: each upper level on its own, exhaustively: its P R/W U/S XD A,
 *   a bit >= MAXPHYADDR, PS x leaf R/W U/S XD x control bits x access kind.
 * Part B: a fixed pseudo-random subset where the upper levels vary too
 *   (P R/W U/S XD A, a bit >= MAXPHYADDR, PS in PML4E/PML5E), MAXPHYADDR
 *   in {36, 39, 46, 52}.
 * Every case walks with walk.a_on_fault = 0 and 1; mmu_translate() runs
 * with a flushed TLB: a success fills it (the identical access then hits
 * without a walk; a different access kind then agrees with the predicate
 * on the new entry values), a fault leaves no entry for the address.
 *
 * The test then asserts class coverage (every error-code bit set and clear,
 * every A/D outcome, every rule of walk_ref.h) and that each mutated copy
 * of the predicate (one rule flipped) disagrees with the walker somewhere.
 *
 * FL_SWEEP_SAMPLE=N runs about one case in N (chosen by a hash of the case
 * number, so no dimension aliases with N). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mmu/mmu.h"
#include "tests/unit/walk_ref.h"

#define BIT(n) (1ull << (n))
#define RAM_BYTES (1u << 20)
/* table of level L lives at TBL(L); CR3 -> TBL(top) */
#define TBL(l) (0x10000ull + 0x1000ull * (l))

static const uint32_t acc_kinds[] = {
  ACC_U, ACC_U | ACC_W, ACC_U | ACC_F,                  /* CPL3 */
  0, ACC_W, ACC_F,                                      /* supervisor, AC=0 */
  ACC_AC, ACC_AC | ACC_W,                               /* supervisor, AC=1 */
  ACC_IMPLICIT, ACC_IMPLICIT | ACC_W,                   /* implicit, AC=0 */
  ACC_IMPLICIT | ACC_AC, ACC_IMPLICIT | ACC_AC | ACC_W, /* implicit, AC=1 */
};
#define N_ACC (sizeof acc_kinds / sizeof acc_kinds[0])
static const char *const acc_name[N_ACC] = {
  "user-read", "user-write", "user-fetch", "sup-read", "sup-write",
  "sup-fetch", "sup-read-AC", "sup-write-AC", "impl-read", "impl-write",
  "impl-read-AC", "impl-write-AC",
};

/* upper-level flags */
enum { UP_P = 1, UP_W = 2, UP_U = 4, UP_NX = 8, UP_A = 16, UP_RSV = 32, UP_PS = 64 };
#define UP_PERMISSIVE (UP_P | UP_W | UP_U)
/* leaf flags */
enum { LF_P = 1, LF_W = 2, LF_U = 4, LF_NX = 8, LF_A = 16, LF_D = 32 };
/* leaf extra bit */
enum { LV_NONE, LV_MAXPHY, LV_BIT13, LV_BIT12, LV_COUNT };
/* control bits */
enum { C_WP = 1, C_SMEP = 2, C_SMAP = 4, C_PKE = 8, C_NXE = 16 };

struct spec {
  int top;                   /* 4 or 5 */
  int leaf;                  /* 1 (4K), 2 (2M), 3 (1G) */
  unsigned up[6];            /* UP_* for levels leaf+1 .. top */
  unsigned lf, lvar, key;    /* leaf */
  unsigned ctl, pk;          /* C_*; bit0 = AD, bit1 = WD of the key */
  unsigned acc;              /* index in acc_kinds */
  unsigned maxphy;
  uint64_t seed;             /* va, frame, ignored-bit noise, knob */
};

static uint64_t mix(uint64_t x) {             /* splitmix64 finaliser */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static uint64_t field(unsigned hi, unsigned lo) {
  uint64_t upto = hi >= 63 ? ~0ull : BIT(hi + 1) - 1;
  return upto & ~(BIT(lo) - 1);
}
static uint64_t sext(uint64_t v, unsigned bits) {
  return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* Ignored bits (Tables 4-14..4-20) used as noise: a non-leaf entry ignores
 * 6, 8, 11:9 and 62:52; a leaf ignores 11:9 and 58:52 (62:59 = key), and
 * PWT/PCD/G/PAT do not affect translation or rights. */
#define NOISE_UPPER (BIT(3) | BIT(4) | BIT(6) | BIT(8) | field(11, 9) | field(62, 52))
#define NOISE_LEAF (BIT(3) | BIT(4) | BIT(8) | field(11, 9) | field(58, 52))

static void build(const struct spec *s, struct ref_case *c, uint64_t *cr3) {
  memset(c, 0, sizeof *c);
  uint64_t r = mix(s->seed);
  c->va = s->top == 5 ? sext(r & (BIT(57) - 1), 57) : sext(r & (BIT(48) - 1), 48);
  c->maxphyaddr = s->maxphy;
  for (int l = s->top; l > s->leaf; l--) {
    unsigned f = s->up[l];
    uint64_t e = TBL(l - 1);
    if (f & UP_P) e |= PTE_P;
    if (f & UP_W) e |= PTE_W;
    if (f & UP_U) e |= PTE_U;
    if (f & UP_NX) e |= PTE_NX;
    if (f & UP_A) e |= PTE_A;
    if (f & UP_RSV) e |= BIT(s->maxphy);
    if (f & UP_PS) e |= PTE_PS;  /* reserved at 4-5; at 2-3 ends the walk */
    r = mix(r);
    e |= r & NOISE_UPPER;
    c->ent[l] = e;
  }
  unsigned shift = 12 + 9 * (s->leaf - 1);
  unsigned fw = s->maxphy < 40 ? s->maxphy : 40;
  r = mix(r);
  uint64_t e = r & field(fw - 1, shift) & ~(BIT(12) | BIT(13));
  if (s->lf & LF_P) e |= PTE_P;
  if (s->lf & LF_W) e |= PTE_W;
  if (s->lf & LF_U) e |= PTE_U;
  if (s->lf & LF_NX) e |= PTE_NX;
  if (s->lf & LF_A) e |= PTE_A;
  if (s->lf & LF_D) e |= PTE_D;
  if (s->leaf > 1) e |= PTE_PS;
  else e |= r & PTE_PS;                        /* PAT of a PTE: noise */
  e |= (uint64_t)s->key << 59;
  if (s->lvar == LV_MAXPHY) e |= BIT(s->maxphy);
  if (s->lvar == LV_BIT13) e |= BIT(13);
  if (s->lvar == LV_BIT12) e |= BIT(12);
  r = mix(r);
  e |= r & NOISE_LEAF;
  c->ent[s->leaf] = e;

  c->cr0 = 1 | CR0_PG | ((s->ctl & C_WP) ? CR0_WP : 0);
  c->cr4 = CR4_PAE | (s->top == 5 ? CR4_LA57 : 0) |
           ((s->ctl & C_SMEP) ? CR4_SMEP : 0) | ((s->ctl & C_SMAP) ? CR4_SMAP : 0) |
           ((s->ctl & C_PKE) ? CR4_PKE : 0);
  c->efer = (1u << 8) | (1u << 10) | ((s->ctl & C_NXE) ? EFER_NXE : 0);
  /* the key's AD/WD as asked; every other key the opposite, so that a
   * walker reading the wrong key disagrees */
  c->pkru = 0;
  for (unsigned k = 0; k < 16; k++)
    c->pkru |= (uint32_t)((k == s->key ? s->pk : ~s->pk) & 3) << (2 * k);
  c->acc = acc_kinds[s->acc];
  r = mix(r);
  *cr3 = TBL(s->top) | (r & 0x18);            /* PWT/PCD noise */
}

/* ---- machine ------------------------------------------------------------ */
static struct machine_mem mem;
static struct mmu mmu;
static struct tlb tlb;

static uint64_t *slot(const struct ref_case *c, int l) {
  unsigned idx = (c->va >> (12 + 9 * (l - 1))) & 511;
  return (uint64_t *)mem_host(&mem, TBL(l) + idx * 8);
}
static void put(const struct spec *s, const struct ref_case *c) {
  for (int l = s->top; l >= s->leaf; l--) *slot(c, l) = c->ent[l];
}
static void clear(const struct spec *s, const struct ref_case *c) {
  for (int l = s->top; l >= s->leaf; l--) *slot(c, l) = 0;
}
static void ctl_of(const struct ref_case *c, uint64_t cr3, struct mmu_ctl *k) {
  memset(k, 0, sizeof *k);
  k->cr0 = c->cr0; k->cr3 = cr3; k->cr4 = c->cr4; k->efer = c->efer;
  k->pkru = c->pkru; k->maxphyaddr = (uint8_t)c->maxphyaddr;
}

struct obs {
  bool fault;
  uint32_t pfec;
  uint64_t pa;
  int level;                 /* -1: not reported (translate) */
  uint64_t after[6];
};

static void snap(const struct spec *s, const struct ref_case *c, struct obs *o) {
  for (int l = s->top; l >= s->leaf; l--) o->after[l] = *slot(c, l);
}

/* NULL when the walker's observation o agrees with the predicate e for the
 * given walk.a_on_fault; else what differs. */
static const char *disagree(const struct spec *s, const struct ref_case *c,
                            const struct ref_result *e, int knob,
                            const struct obs *o) {
  if (e->fault != o->fault) return e->fault ? "walker allowed" : "walker faulted";
  if (e->fault && e->pfec != o->pfec) return "error code";
  if (!e->fault && e->pa != o->pa) return "physical address";
  if (!e->fault && o->level >= 0 && e->leaf != o->level) return "leaf level";
  for (int l = s->top; l >= s->leaf; l--) {
    uint64_t want = c->ent[l] | e->must[l] | (knob ? e->may[l] : 0);
    if (o->after[l] != want) return "entry A/D after the walk";
  }
  return NULL;
}

/* ---- statistics ---------------------------------------------------------- */
enum {
  AD_UPPER_A_SET_ON_FAULT, AD_UPPER_A_CLEAR_ON_FAULT, AD_UPPER_A_SET_ON_OK,
  AD_LEAF_A_SET, AD_LEAF_D_SET, AD_D_CLEAR_ON_READ, AD_LEAF_UNTOUCHED_ON_FAULT,
  AD_COUNT
};
static const char *const ad_name[AD_COUNT] = {
  "upper A set on fault (a_on_fault=1)", "upper A left clear on fault (a_on_fault=0)",
  "upper A set on success", "leaf A set on success", "leaf D set on write",
  "leaf D left clear on read", "leaf A/D untouched on rights fault",
};
static const char *const pfec_name[6] = {"P", "W", "U", "RSVD", "I/D", "PK"};

struct stats {
  uint64_t cases, walks_checked, xlates_checked, followups, faults, oks;
  uint64_t rule[REF_R_COUNT];
  uint64_t pfec_set[6], pfec_clear[6];
  uint64_t ad[AD_COUNT];
  uint64_t mismatches;
  uint64_t killed_at[REF_M_COUNT];           /* case number + 1, 0 = alive */
  int alive[REF_M_COUNT], n_alive;
};
static struct stats st;

static void describe(const char *what, const struct spec *s,
                     const struct ref_case *c, const struct ref_result *e,
                     const struct obs *o, int knob) {
  fprintf(stderr,
          "MISMATCH (%s) [%s]: %d-level leaf L%d va=%#" PRIx64 " "
          "cr0=%#" PRIx64 " cr4=%#" PRIx64 " efer=%#" PRIx64 " pkru=%#x "
          "maxphy=%u a_on_fault=%d\n", what, acc_name[s->acc], s->top, s->leaf,
          c->va, c->cr0, c->cr4, c->efer, c->pkru, c->maxphyaddr, knob);
  for (int l = s->top; l >= s->leaf; l--)
    fprintf(stderr, "   L%d entry %#018" PRIx64 " -> %#018" PRIx64
            " (must %#" PRIx64 " may %#" PRIx64 ")\n", l, c->ent[l],
            o->after[l], e->must[l], e->may[l]);
  fprintf(stderr, "   expected %s pfec=%#x pa=%#" PRIx64 "; walker %s pfec=%#x pa=%#" PRIx64 "\n",
          e->fault ? "fault" : "ok", e->pfec, e->pa, o->fault ? "fault" : "ok",
          o->pfec, o->pa);
}

static void mismatch(const char *what, const struct spec *s,
                     const struct ref_case *c, const struct ref_result *e,
                     const struct obs *o, int knob) {
  if (st.mismatches++ < 12) describe(what, s, c, e, o, knob);
}

static bool in_tlb(uint64_t va) {
  return tlb_hit(&tlb.l1d, va, 0, 0) || tlb_hit(&tlb.l1i, va, 0, 0) ||
         tlb_hit(&tlb.stlb, va, 0, 0);
}

static void account(const struct spec *s, const struct ref_case *c,
                    const struct ref_result *e) {
  st.cases++;
  for (int i = 0; i < REF_R_COUNT; i++)
    if (e->rules & BIT(i)) st.rule[i]++;
  if (e->fault) {
    st.faults++;
    for (int b = 0; b < 6; b++) {
      if (e->pfec & (1u << b)) st.pfec_set[b]++; else st.pfec_clear[b]++;
    }
    bool upper_clear = false;
    for (int l = s->top; l >= s->leaf; l--)
      if ((e->may[l] & PTE_A) && !(c->ent[l] & PTE_A)) upper_clear = true;
    if (upper_clear) { st.ad[AD_UPPER_A_SET_ON_FAULT]++; st.ad[AD_UPPER_A_CLEAR_ON_FAULT]++; }
    if ((e->pfec & PFEC_P) && !(e->pfec & PFEC_RSVD) &&
        !(c->ent[s->leaf] & PTE_A) && !(c->ent[s->leaf] & PTE_D))
      st.ad[AD_LEAF_UNTOUCHED_ON_FAULT]++;
  } else {
    st.oks++;
    const uint64_t le = c->ent[e->leaf];
    if (!(le & PTE_A)) st.ad[AD_LEAF_A_SET]++;
    if ((c->acc & ACC_W) && !(le & PTE_D)) st.ad[AD_LEAF_D_SET]++;
    if (!(c->acc & ACC_W) && !(le & PTE_D)) st.ad[AD_D_CLEAR_ON_READ]++;
    for (int l = s->top; l > e->leaf; l--)
      if (!(c->ent[l] & PTE_A)) { st.ad[AD_UPPER_A_SET_ON_OK]++; break; }
  }
}

static void run_case(const struct spec *s, uint64_t case_no) {
  struct ref_case c;
  uint64_t cr3;
  build(s, &c, &cr3);
  struct mmu_ctl k;
  ctl_of(&c, cr3, &k);
  struct ref_result e;
  ref_eval(&c, REF_M_NONE, &e);
  account(s, &c, &e);

  /* ---- mmu_walk with both walk.a_on_fault settings */
  struct obs o[2];
  bool agreed = true;
  for (int knob = 0; knob < 2; knob++) {
    put(s, &c);
    mmu.walk_a_on_fault = (uint32_t)knob;
    struct walk_result w;
    bool ok = mmu_walk(&mmu, &k, c.va, c.acc, &w);
    o[knob].fault = !ok;
    o[knob].pfec = ok ? 0 : w.pfec;
    o[knob].pa = ok ? w.pa : 0;
    o[knob].level = ok ? w.level : 0;
    snap(s, &c, &o[knob]);
    st.walks_checked++;
    const char *d = disagree(s, &c, &e, knob, &o[knob]);
    if (!d && ok && (w.fault || w.leaf_pa != (uint64_t)((uint8_t *)slot(&c, w.level) - mem.host)))
      d = "walk_result fault flag / leaf_pa";
    if (!d && !ok && !w.fault) d = "walk_result.fault not set";
    if (d) { mismatch(d, s, &c, &e, &o[knob], knob); agreed = false; }
  }

  /* ---- mutated predicates: each must disagree somewhere */
  if (agreed) {
    for (int i = 0; i < st.n_alive; i++) {
      int m = st.alive[i];
      struct ref_result em;
      ref_eval(&c, m, &em);
      if (disagree(s, &c, &em, 0, &o[0]) || disagree(s, &c, &em, 1, &o[1])) {
        st.killed_at[m] = case_no + 1;
        st.alive[i--] = st.alive[--st.n_alive];
      }
    }
  }

  /* ---- mmu_translate with a flushed TLB */
  int knob = (int)(mix(s->seed ^ 0x5bd1e995) & 1);
  mmu.walk_a_on_fault = (uint32_t)knob;
  put(s, &c);
  tlb_flush_all(&tlb);
  struct xlate x;
  struct obs t = {.level = -1};
  uint64_t w0 = mmu.walks;
  uint32_t ret = mmu_translate(&mmu, &tlb, &k, c.va, c.acc, &x);
  t.fault = ret != 0;
  t.pfec = ret & ~PFEC_FAULT;
  t.pa = ret ? 0 : x.pa;
  snap(s, &c, &t);
  st.xlates_checked++;
  const char *d = disagree(s, &c, &e, knob, &t);
  if (!d && ret && !(ret & PFEC_FAULT)) d = "translate: PFEC_FAULT missing";
  if (!d && (!x.walked || mmu.walks != w0 + 1)) d = "translate: TLB miss did not walk once";
  if (!d && ret && in_tlb(c.va)) d = "translate: fault left a TLB entry";
  if (!d && !ret && x.host != mem_host(&mem, x.pa)) d = "translate: host pointer";
  if (d) mismatch(d, s, &c, &e, &t, knob);
  if (!d && !ret) {
    /* the identical access hits without walking or touching memory */
    struct obs t2 = {.level = -1};
    uint64_t w1 = mmu.walks;
    struct xlate x2;
    uint32_t ret2 = mmu_translate(&mmu, &tlb, &k, c.va, c.acc, &x2);
    t2.fault = ret2 != 0;
    t2.pfec = ret2 & ~PFEC_FAULT;
    t2.pa = ret2 ? 0 : x2.pa;
    snap(s, &c, &t2);
    d = NULL;
    if (ret2 || x2.walked || mmu.walks != w1) d = "translate: repeat access did not hit the TLB";
    else if (x2.pa != x.pa) d = "translate: repeat access, other address";
    else if (memcmp(&t2.after[s->leaf], &t.after[s->leaf],
                    sizeof(uint64_t) * (s->top - s->leaf + 1)))
      d = "translate: TLB hit changed entries";
    if (d) mismatch(d, s, &c, &e, &t2, knob);
    /* another access kind, through the filled TLB, against the predicate
     * evaluated on the entries as they now are */
    unsigned a2 = (unsigned)(mix(s->seed ^ 0xa5a5) % (N_ACC - 1));
    if (a2 >= s->acc) a2++;
    struct ref_case c2 = c;
    for (int l = s->top; l >= s->leaf; l--) c2.ent[l] = *slot(&c, l);
    c2.acc = acc_kinds[a2];
    struct ref_result e2;
    ref_eval(&c2, REF_M_NONE, &e2);
    struct obs t3 = {.level = -1};
    struct xlate x3;
    uint32_t ret3 = mmu_translate(&mmu, &tlb, &k, c.va, c2.acc, &x3);
    t3.fault = ret3 != 0;
    t3.pfec = ret3 & ~PFEC_FAULT;
    t3.pa = ret3 ? 0 : x3.pa;
    snap(s, &c2, &t3);
    st.followups++;
    struct spec s2 = *s;
    s2.acc = a2;
    d = disagree(&s2, &c2, &e2, knob, &t3);
    if (!d && ret3 && in_tlb(c.va)) d = "translate: follow-up fault left a TLB entry";
    if (d) mismatch(d, &s2, &c2, &e2, &t3, knob);
  }
  clear(s, &c);
}

/* ---- the sweep ------------------------------------------------------------ */
static unsigned sample = 1;
static bool pick(unsigned part, uint64_t i) {
  return sample <= 1 || mix(((uint64_t)part << 56) ^ i ^ 0x3c6ef372fe94f82bull) % sample == 0;
}

static void part_a(void) {
  /* mixed radix: top 2, leaf 3, ctl 32, pk 4, acc 12, lf 64, lvar 4, key 2 */
  const uint64_t n = 2ull * 3 * 32 * 4 * N_ACC * 64 * LV_COUNT * 2;
  for (uint64_t i = 0; i < n; i++) {
    if (!pick(1, i)) continue;
    uint64_t v = i;
    struct spec s;
    memset(&s, 0, sizeof s);
    s.top = 4 + (int)(v % 2); v /= 2;
    s.leaf = 1 + (int)(v % 3); v /= 3;
    s.ctl = (unsigned)(v % 32); v /= 32;
    s.pk = (unsigned)(v % 4); v /= 4;
    s.acc = (unsigned)(v % N_ACC); v /= N_ACC;
    s.lf = (unsigned)(v % 64); v /= 64;
    s.lvar = (unsigned)(v % LV_COUNT); v /= LV_COUNT;
    uint64_t h = mix(i ^ 0xabcdef);
    s.key = (v % 2) ? 1 + (unsigned)(h % 15) : 0;
    static const unsigned mp[] = {36, 46, 52};
    s.maxphy = mp[(h >> 8) % 3];
    for (int l = s.top; l > s.leaf; l--)
      s.up[l] = UP_PERMISSIVE | (((h >> (16 + l)) & 1) ? UP_A : 0);
    s.seed = i ^ (1ull << 60);
    run_case(&s, i);
  }
}

static void part_b(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    if (!pick(2, i)) continue;
    uint64_t h = mix(i ^ (2ull << 60)), h2 = mix(h), h3 = mix(h2);
    struct spec s;
    memset(&s, 0, sizeof s);
    s.top = 4 + (int)(h & 1);
    s.leaf = 1 + (int)((h >> 1) % 3);
    s.ctl = (unsigned)(h >> 8) & 31;
    s.pk = (unsigned)(h >> 13) & 3;
    s.acc = (unsigned)((h >> 16) % N_ACC);
    s.lf = (unsigned)(h >> 24) & 63;
    if ((h >> 30) & 1) s.lf |= LF_P;            /* mostly present leaves */
    s.lvar = ((h >> 31) & 3) == 0 ? (unsigned)((h >> 33) % LV_COUNT) : LV_NONE;
    s.key = (unsigned)(h >> 36) & 15;
    static const unsigned mp[] = {36, 39, 46, 52};
    s.maxphy = mp[(h >> 40) & 3];
    /* each upper level: permissive or, one time in two, random flags
     * (mostly present and without reserved bits, so the walk goes on) */
    for (int l = s.top; l > s.leaf; l--) {
      uint64_t g = h2 >> (12 * (l - 1));
      unsigned f = (unsigned)(g >> 2) & 0x7f;
      if (g & 1) f = UP_PERMISSIVE | (f & UP_A);
      else {
        if (((h3 >> (4 * l)) & 3) != 0) f |= UP_P;
        if (((h3 >> (4 * l + 2)) & 3) != 0) f &= ~(unsigned)(UP_RSV | UP_PS);
      }
      s.up[l] = f;
    }
    s.seed = i ^ (2ull << 60);
    run_case(&s, (1ull << 40) + i);
  }
}

/* Part C: one upper level at a time, exhaustively (as access.c does for
 * the PDE): its P R/W U/S XD A, a bit >= MAXPHYADDR and PS (reserved in
 * PML4E/PML5E) x the leaf's R/W U/S XD x CR0/CR4/EFER bits x access kind,
 * for every (paging mode, page size, level); the other levels permissive. */
static void part_c(void) {
  static const int cfg[][3] = {     /* top, leaf, varied level */
    {4, 1, 4}, {4, 1, 3}, {4, 1, 2}, {4, 2, 4}, {4, 2, 3}, {4, 3, 4},
    {5, 1, 5}, {5, 1, 4}, {5, 1, 3}, {5, 1, 2}, {5, 2, 5}, {5, 2, 4},
    {5, 2, 3}, {5, 3, 5}, {5, 3, 4},
  };
  const uint64_t per = 128ull * 8 * 32 * N_ACC;
  const uint64_t n = per * (sizeof cfg / sizeof cfg[0]);
  for (uint64_t i = 0; i < n; i++) {
    if (!pick(3, i)) continue;
    uint64_t v = i;
    struct spec s;
    memset(&s, 0, sizeof s);
    unsigned f = (unsigned)(v % 128); v /= 128;
    unsigned lf = (unsigned)(v % 8); v /= 8;
    s.ctl = (unsigned)(v % 32); v /= 32;
    s.acc = (unsigned)(v % N_ACC); v /= N_ACC;
    const int *k = cfg[v];
    s.top = k[0];
    s.leaf = k[1];
    uint64_t h = mix(i ^ (3ull << 60));
    for (int l = s.top; l > s.leaf; l--)
      s.up[l] = UP_PERMISSIVE | (((h >> l) & 1) ? UP_A : 0);
    s.up[k[2]] = f;
    s.lf = LF_P | (lf << 1) | (unsigned)(h & (LF_A | LF_D));
    s.key = (unsigned)(h >> 8) & 15;
    s.pk = (unsigned)(h >> 12) & 3;
    s.maxphy = 46;
    s.lvar = LV_NONE;
    s.seed = i ^ (3ull << 60);
    run_case(&s, (2ull << 40) + i);
  }
}

static void machine_init(void) {
  cr_assert_eq(mem_init(&mem, RAM_BYTES, 0), 0);
  memset(&mmu, 0, sizeof mmu);
  mmu.mem = &mem;
  mmu.walk_ref_latency = 20;
  memset(&tlb, 0, sizeof tlb);
  cr_assert_eq(tlb_level_init(&tlb.l1d, "l1d", 4, 4, 1), 0);
  cr_assert_eq(tlb_level_init(&tlb.l1i, "l1i", 4, 4, 1), 0);
  cr_assert_eq(tlb_level_init(&tlb.stlb, "stlb", 16, 4, 11), 0);
}
static void machine_fini(void) {
  tlb_level_fini(&tlb.l1d);
  tlb_level_fini(&tlb.l1i);
  tlb_level_fini(&tlb.stlb);
  mem_fini(&mem);
}

Test(walk, sweep, .timeout = 600) {
  const char *env = getenv("FL_SWEEP_SAMPLE");
  if (env && atoi(env) > 1) sample = (unsigned)atoi(env);
  machine_init();
  memset(&st, 0, sizeof st);
  for (int m = 1; m < REF_M_COUNT; m++) st.alive[st.n_alive++] = m;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  part_a();
  part_b(8000000);
  part_c();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  machine_fini();

  fprintf(stderr, "walk sweep: %" PRIu64 " cases (1 in %u), %" PRIu64 " walks, %" PRIu64
          " translations + %" PRIu64 " follow-ups checked, %" PRIu64 " faults / %" PRIu64
          " successes, %.1f s\n", st.cases, sample, st.walks_checked, st.xlates_checked,
          st.followups, st.faults, st.oks, secs);
  bool cover_ok = true;
  fprintf(stderr, "error-code bits in expected results (set / clear):\n");
  for (int b = 0; b < 6; b++) {
    fprintf(stderr, "  %-5s %10" PRIu64 " / %10" PRIu64 "\n", pfec_name[b], st.pfec_set[b], st.pfec_clear[b]);
    if (!st.pfec_set[b] || !st.pfec_clear[b]) cover_ok = false;
  }
  fprintf(stderr, "A/D outcome classes:\n");
  for (int a = 0; a < AD_COUNT; a++) {
    fprintf(stderr, "  %-44s %10" PRIu64 "\n", ad_name[a], st.ad[a]);
    if (!st.ad[a]) cover_ok = false;
  }
  fprintf(stderr, "rules fired:\n");
  for (int r = 0; r < REF_R_COUNT; r++) {
    fprintf(stderr, "  %-44s %10" PRIu64 "\n", ref_rule_name[r], st.rule[r]);
    if (!st.rule[r]) cover_ok = false;
  }
  fprintf(stderr, "mutations of the predicate (first disagreeing case):\n");
  for (int m = 1; m < REF_M_COUNT; m++)
    fprintf(stderr, "  %-44s %s\n", ref_mut_name[m], st.killed_at[m] ? "killed" : "SURVIVED");

  cr_expect_eq(st.mismatches, 0, "%" PRIu64 " disagreements between walker and predicate",
               st.mismatches);
  cr_expect(cover_ok, "class coverage incomplete (see the table above)");
  cr_expect_eq(st.n_alive, 0, "%d mutation(s) of the predicate survived the sweep", st.n_alive);
}

/* ---- the predicate against a few cases worked out by hand from the SDM -- */
static struct ref_result ref1(uint64_t cr0, uint64_t cr4, uint64_t efer,
                              uint32_t pkru, uint64_t pte, uint32_t acc) {
  struct ref_case c;
  memset(&c, 0, sizeof c);
  for (int l = 5; l >= 2; l--) c.ent[l] = TBL(l - 1) | PTE_P | PTE_W | PTE_U;
  c.ent[1] = pte;
  c.va = 0x7f0000001234ull;
  c.cr0 = cr0; c.cr4 = CR4_PAE | cr4; c.efer = efer; c.pkru = pkru;
  c.maxphyaddr = 46; c.acc = acc;
  struct ref_result r;
  ref_eval(&c, REF_M_NONE, &r);
  return r;
}

Test(walk, predicate_by_hand) {
  const uint64_t urw = 0x5000 | PTE_P | PTE_W | PTE_U, uro = 0x5000 | PTE_P | PTE_U;
  const uint64_t sro = 0x5000 | PTE_P;
  struct ref_result r;
  /* WP=0: a supervisor write to a read-only page is allowed, D set */
  r = ref1(0, 0, 0, 0, sro, ACC_W);
  cr_assert(!r.fault); cr_assert_eq(r.pa, 0x5234);
  cr_assert_eq(r.must[1], PTE_A | PTE_D); cr_assert_eq(r.must[4], PTE_A);
  /* WP=1: the same write faults P|W; nothing must be set */
  r = ref1(CR0_WP, 0, 0, 0, sro, ACC_W);
  cr_assert(r.fault); cr_assert_eq(r.pfec, PFEC_P | PFEC_W);
  cr_assert_eq(r.must[1], 0); cr_assert_eq(r.may[1], 0); cr_assert_eq(r.may[2], PTE_A);
  /* user write to a read-only user page faults whatever WP */
  r = ref1(0, 0, 0, 0, uro, ACC_U | ACC_W);
  cr_assert_eq(r.pfec, PFEC_P | PFEC_W | PFEC_U);
  /* XD with NXE=0 is a reserved bit: RSVD|P even for a read */
  r = ref1(0, 0, 0, 0, urw | PTE_NX, ACC_U);
  cr_assert_eq(r.pfec, PFEC_P | PFEC_U | PFEC_RSVD);
  /* NXE=1: a fetch from XD faults with I/D; a read is fine */
  r = ref1(0, 0, EFER_NXE, 0, urw | PTE_NX, ACC_U | ACC_F);
  cr_assert_eq(r.pfec, PFEC_P | PFEC_U | PFEC_I);
  cr_assert(!ref1(0, 0, EFER_NXE, 0, urw | PTE_NX, ACC_U).fault);
  /* not present, fetch, NXE=0 SMEP=0: I/D stays clear; SMEP=1 sets it */
  cr_assert_eq(ref1(0, 0, 0, 0, 0, ACC_F).pfec, 0u);
  cr_assert_eq(ref1(0, CR4_SMEP, 0, 0, 0, ACC_F).pfec, PFEC_I);
  /* SMEP: supervisor fetch from a user page */
  cr_assert_eq(ref1(0, CR4_SMEP, 0, 0, urw, ACC_F).pfec, PFEC_P | PFEC_I);
  /* SMAP: AC=1 explicit allowed, implicit with AC=1 denied */
  cr_assert(!ref1(0, CR4_SMAP, 0, 0, urw, ACC_AC).fault);
  cr_assert_eq(ref1(0, CR4_SMAP, 0, 0, urw, ACC_IMPLICIT | ACC_AC).pfec, PFEC_P);
  cr_assert_eq(ref1(0, CR4_SMAP, 0, 0, urw, 0).pfec, PFEC_P);
  /* PK: key 3 with AD=1 denies a user read with PK; not a fetch */
  const uint64_t k3 = urw | (3ull << 59);
  cr_assert_eq(ref1(0, CR4_PKE, EFER_NXE, 1u << 6, k3, ACC_U).pfec, PFEC_P | PFEC_U | PFEC_PK);
  cr_assert(!ref1(0, CR4_PKE, EFER_NXE, 1u << 6, k3, ACC_U | ACC_F).fault);
  /* WD: supervisor write allowed with WP=0, denied with WP=1 */
  cr_assert(!ref1(0, CR4_PKE, 0, 2u << 6, k3, ACC_W).fault);
  cr_assert_eq(ref1(CR0_WP, CR4_PKE, 0, 2u << 6, k3, ACC_W).pfec, PFEC_P | PFEC_W | PFEC_PK);
  /* user write to a read-only page whose key also denies writes: PK set
   * along with the R/W violation (4.7 defines PK by its own conditions) */
  cr_assert_eq(ref1(0, CR4_PKE, 0, 2u << 6, uro | (3ull << 59), ACC_U | ACC_W).pfec,
               PFEC_P | PFEC_W | PFEC_U | PFEC_PK);
}

/* A page table outside machine memory reads as all ones.  With
 * MAXPHYADDR = 52 and NXE = 1 such a PTE has no reserved bit and maps a
 * page: the walk must not write its A/D bits outside machine memory. */
Test(walk, table_beyond_memory) {
  machine_init();
  struct mmu_ctl k = {.cr0 = 1 | CR0_PG | CR0_WP, .cr4 = CR4_PAE,
                      .efer = EFER_NXE | (1u << 8) | (1u << 10), .maxphyaddr = 52};
  const uint64_t va = 0x1000;
  k.cr3 = TBL(4);
  *(uint64_t *)mem_host(&mem, TBL(4)) = TBL(3) | PTE_P | PTE_W;
  *(uint64_t *)mem_host(&mem, TBL(3)) = TBL(2) | PTE_P | PTE_W;
  *(uint64_t *)mem_host(&mem, TBL(2)) = (1ull << 45) | PTE_P | PTE_W;  /* far away */
  struct walk_result w;
  bool ok = mmu_walk(&mmu, &k, va, ACC_W, &w);
  cr_assert(ok);
  cr_assert_eq(w.level, 1);
  cr_assert_eq(w.pa, PTE_ADDR);
  cr_assert(*(uint64_t *)mem_host(&mem, TBL(2)) & PTE_A);
  machine_fini();
}
