/* Differential tests of the SSE..SSE4.2 / MMX interpreter (cpu-x86/sse*.c)
 * against the HOST CPU as the oracle.
 *
 * Every case is one instruction given by its exact encoding.  A seeded
 * xorshift RNG (deterministic) fills all 16 xmm, the 8 mm registers, the
 * GPRs, RFLAGS, MXCSR (RC, FTZ, DAZ, sticky flags, and in the "unmasked"
 * passes the exception masks) and a data buffer with values of the form's
 * class (floats biased to zeros, denormals, infinities, NaNs with payloads,
 * SNaNs, max/min, halves and integer/overflow boundaries; integers to the
 * saturation edges; strings from a small alphabet with NULs ...).  The
 * same bytes then run
 *   - natively: a trampoline loads the whole state, calls a code buffer
 *     (the instruction + RET), and stores the whole state back; #XM
 *     (SIGFPE), #GP (SIGSEGV) and #UD (SIGILL) are caught and the state is
 *     taken from the signal frame;
 *   - in the interpreter through tests/unit/cpu_fixture.h
 *   (sse_exec.c; the value classes: sse_values.c; the forms and their
 *   encoding: sse_forms.c; this file: comparison, case generation, Tests).
 * Compared: all xmm and mm registers, GPRs (RSI/RDI point into the data
 * buffer on both sides), RFLAGS arithmetic bits, the full MXCSR, the data
 * buffer, and the fault kind.  RCPPS/RSQRTPS are compared within the
 * SDM's error bound (their exact bits are implementation specific).
 * Register numbers (with REX), register vs memory form, the memory offset
 * and the imm8 vary per case; imm8 forms cycle through all 256 values.
 *
 * Counts (each test prints its own summary):
 *   forms: 382 encodings in forms[] (register and memory forms of each,
 *     MMX and SSE variants, REX.W variants, 66 next to F2/F3; a REX.W the
 *     instruction ignores is added at random)
 *   differential_masked: 3000 cases per form, 4096 for imm8-sweep forms,
 *     8192 for the PCMPxSTRx forms                        = 1256008 cases
 *   differential_unmasked: 78 floating-point forms x 3000 =  234000 cases
 *   alignment (misaligned 16-byte operands, #GP or not)   =    2832 cases
 *   page_cross (both pages present; second page absent: #PF and no
 *     partial write)                                      =    9264 cases
 *   undefined encodings (#UD on both sides)               =      10 cases
 *   mmx_state: TOP/tags/exponent after MMX ops, EMMS, SSE ops
 *   mutation_detected: wrong rounding mode (ADDPS, DIVSD, CVTSI2SS r64),
 *     CVTT instead of CVT, inverted PCMPISTRI polarity, wrong DAZ (MULPS,
 *     MINSS) on the reference side: 7 x 1000 cases, each must be caught
 *     (151..988 of 1000 are, depending on how often the change matters)
 * About 1.5 million differential cases in all; all pass. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "tests/unit/sse_diff.h"

/* cpu-x86/pending.c holds a weak sse_register() placeholder; referencing a
 * symbol of sse.c makes sure the archive member with the real one is linked
 * (harmless once the placeholder is gone). */
void sse_src(struct vcpu *c, const struct insn *i, xmm_t *out, unsigned bytes);
void (*volatile fl_sse_keep)(struct vcpu *, const struct insn *, xmm_t *, unsigned) = sse_src;

static uint8_t gmem[BUF] __attribute__((aligned(16)));   /* the case's memory */

/* ---- comparison ------------------------------------------------------------------ */
static int f32_close(uint32_t a, uint32_t b) {   /* RCP/RSQRT: both within 1.5*2^-12 */
  if (a == b) return 1;
  float x, y;
  memcpy(&x, &a, 4); memcpy(&y, &b, 4);
  if (x != x || y != y) return 0;
  if ((a & 0x7f800000u) == 0 && (b & 0x7f800000u) == 0) return (a >> 31) == (b >> 31); /* tiny band */
  if (x == 0 || y == 0 || __builtin_isinf(x) || __builtin_isinf(y)) return 0;
  double e = __builtin_fabs(((double)x - y) / y);
  return e <= 3.0 / 4096;
}
static long n_cases, n_fail;
static int compare(const char *name, const struct kase *k, const struct st *in,
                   const struct out *h, const struct out *v, int approx) {
  char why[160] = "";
  if (h->fault != v->fault) snprintf(why, sizeof why, "fault host %d interp %d", h->fault, v->fault);
  else if (h->s.mxcsr != v->s.mxcsr) snprintf(why, sizeof why, "mxcsr host %04x interp %04x (in %04x)", h->s.mxcsr, v->s.mxcsr, in->mxcsr);
  else if (h->fault == OK && ((h->s.rflags ^ v->s.rflags) & 0x8d5))
    snprintf(why, sizeof why, "rflags host %03llx interp %03llx", (unsigned long long)(h->s.rflags & 0x8d5),
             (unsigned long long)(v->s.rflags & 0x8d5));
  else {
    for (int r = 0; r < 16 && !why[0]; r++) {
      if (!memcmp(&h->s.x[r], &v->s.x[r], 16)) continue;
      int bad = 1;
      if (approx) {
        bad = 0;
        for (int l = 0; l < 4; l++) if (!f32_close(v->s.x[r].d[l], h->s.x[r].d[l])) bad = 1;
      }
      if (bad)
        snprintf(why, sizeof why, "xmm%d host %016llx%016llx interp %016llx%016llx", r,
                 (unsigned long long)h->s.x[r].q[1], (unsigned long long)h->s.x[r].q[0],
                 (unsigned long long)v->s.x[r].q[1], (unsigned long long)v->s.x[r].q[0]);
    }
    for (int r = 0; r < 8 && !why[0]; r++)
      if (h->s.mm[r] != v->s.mm[r])
        snprintf(why, sizeof why, "mm%d host %016llx interp %016llx", r,
                 (unsigned long long)h->s.mm[r], (unsigned long long)v->s.mm[r]);
    for (int r = 0; r < 16 && !why[0]; r++)
      if (h->s.r[r] != v->s.r[r])
        snprintf(why, sizeof why, "gpr%d host %016llx interp %016llx", r,
                 (unsigned long long)h->s.r[r], (unsigned long long)v->s.r[r]);
    if (!why[0] && memcmp(h->mem, v->mem, wlen)) snprintf(why, sizeof why, "memory differs");
  }
  n_cases++;
  if (!why[0]) return 1;
  if (n_fail++ < 60) {
    char hex[80] = "";
    for (int j = 0; j < k->len; j++) snprintf(hex + 3 * j, 4, "%02x ", k->code[j]);
    fprintf(stderr, "MISMATCH %s [%s] mem=%d reg=%u rm=%u disp=%u: %s\n", name, hex, k->mem, k->reg,
            k->rm, k->disp, why);
    if (k->mem) {
      uint64_t m[2];
      memcpy(m, gmem + win + k->disp, 16);
      fprintf(stderr, "  mem[disp] %016llx%016llx\n", (unsigned long long)m[1], (unsigned long long)m[0]);
    }
    unsigned r0 = k->reg & 15, r1 = k->rm & 15;
    fprintf(stderr, "  in: reg %016llx%016llx rm %016llx%016llx mxcsr %04x\n",
            (unsigned long long)in->x[r0].q[1], (unsigned long long)in->x[r0].q[0],
            (unsigned long long)in->x[r1].q[1], (unsigned long long)in->x[r1].q[0], in->mxcsr);
  }
  return 0;
}

/* ---- case generation ---------------------------------------------------------------- */
static const unsigned gprs[] = {0, 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15};

static void gen_state(const struct form *F, struct st *s, int unmasked) {
  int cls = F->cls;
  for (int r = 0; r < 16; r++) gen_vec(&s->x[r], cls);
  share(s->x, 16);
  for (int r = 0; r < 8; r++) { xmm_t t; gen_vec(&t, cls); s->mm[r] = t.q[rn(2)]; }
  for (int r = 0; r < 16; r++) s->r[r] = gen_int(rn(2) ? 8 : 4);
  if (cls == V_STR8 || cls == V_STR16) {
    static const int64_t lens[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, -1, -3, -8, -16, -17, 100, -100};
    for (int r = 0; r < 2; r++) {
      int64_t v = rn(6) ? lens[rn(sizeof lens / 8)] : (int64_t)gen_int(8);
      if (rn(4) == 0) v = (int64_t)((uint64_t)v ^ (rnd() << 32));   /* upper half noise */
      s->r[r ? RDX : RAX] = (uint64_t)v;
    }
  }
  uint64_t b = (uint64_t)(uintptr_t)hbuf;
  s->r[RSI] = b + win;
  s->r[RDI] = b + win + rn(64);
  s->r[RSP] = 0;
  s->rflags = 0x202 | (rnd() & 0x8d5);
  uint32_t m = (uint32_t)(rn(4) << 13) | 0x1f80;
  if (rn(4) == 0) m |= 1u << 15;
  if (rn(4) == 0) m |= 1u << 6;
  if (rn(4) == 0) m |= (uint32_t)(rnd() & 0x3f);
  if (unmasked) m &= ~(uint32_t)((rnd() & rnd()) & 0x1f80);
  s->mxcsr = m;
  for (unsigned o = 0; o < wlen; o += 16) gen_vec((xmm_t *)(gmem + win + o), cls);
  if (rn(2)) share((xmm_t *)(gmem + win), 16);
  for (int t = 0; t < 4; t++) memcpy(gmem + win + 16 * rn(16), &s->x[rn(16)], 16);
}

static void gen_kase(const struct form *F, struct kase *k, unsigned n) {
  int can_mem = !(F->fl & NOMEM), can_reg = !(F->fl & NOREG);
  k->mem = can_mem && (!can_reg || rn(3) == 0);
  k->reg = (F->fl & RGPR) ? gprs[rn(13)] : rn(16);
  k->rm = (F->fl & MGPR) ? gprs[rn(13)] : rn(16);
  if ((F->fl & BYTEREG) && rn(2)) { k->rm = 4 + rn(4); k->reg = gprs[rn(5)]; }  /* AH..BH */
  k->disp = (F->fl & MA) ? 16 * rn(8) : rn(128);
  k->imm = (F->fl & SWEEP) ? n & 255 : rn(256);
  k->wx = !(F->fl & (W | WS | MGPR | RGPR)) && rn(4) == 0;
  encode(F, k);
}

/* Run n cases of form F; returns the number of mismatches.  mutate: a
 * test-only change to the host side (see the mutation tests). */
typedef void (*mutator)(struct kase *k, struct st *s);
static long run_form(const struct form *F, unsigned n, int unmasked, mutator mut) {
  long fails0 = n_fail;
  static struct st in, hin;
  static struct out h, v;
  struct kase k;
  static uint8_t hmem[BUF] __attribute__((aligned(16)));
  for (unsigned j = 0; j < n; j++) {
    gen_state(F, &in, unmasked);
    gen_kase(F, &k, j);
    hin = in;
    memcpy(hmem + win, gmem + win, wlen);
    struct kase hk = k;
    if (mut) mut(&hk, &hin);
    host_run(hk.code, hk.len, &hin, hmem, &h);
    if (mut) h.s.mxcsr = (h.s.mxcsr & 0x3fu) | (in.mxcsr & ~0x3fu);  /* only the result differs */
    interp_run(k.code, k.len, &in, gmem, &v);
    compare(F->name, &k, &in, &h, &v, !!(F->fl & APPROX));
  }
  return n_fail - fails0;
}

static void setup(void) {
  host_init();
  FX = fx_new();
  rng_s = 0x9E3779B97F4A7C15ull;
  n_cases = n_fail = 0;
}
static void teardown(void) {
  if (FX) fx_free(FX);
  FX = NULL;
}
static int host_ok(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3");
}

TestSuite(sse, .init = setup, .fini = teardown, .timeout = 600);

/* all forms, all exceptions masked (random RC/FTZ/DAZ and sticky flags) */
Test(sse, differential_masked) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  for (unsigned f = 0; f < NFORMS; f++) {
    int str = forms[f].cls == V_STR8 || forms[f].cls == V_STR16;
    unsigned n = str ? 8192 : (forms[f].fl & SWEEP) ? 4096 : 3000;
    run_form(&forms[f], n, 0, NULL);
  }
  fprintf(stderr, "sse differential_masked: %u forms, %ld cases, %ld mismatches\n",
          (unsigned)NFORMS, n_cases, n_fail);
  cr_assert_eq(n_fail, 0, "%ld of %ld cases differ from the host", n_fail, n_cases);
}

/* floating-point forms with random exception masks cleared: #XM, flags
 * set on a fault (pre- vs post-computation) and the untouched destination */
Test(sse, differential_unmasked) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  unsigned nf = 0;
  for (unsigned f = 0; f < NFORMS; f++) {
    if (!(forms[f].fl & FP)) continue;
    nf++;
    run_form(&forms[f], 3000, 1, NULL);
  }
  fprintf(stderr, "sse differential_unmasked: %u forms, %ld cases, %ld mismatches\n", nf, n_cases,
          n_fail);
  cr_assert_eq(n_fail, 0, "%ld of %ld cases differ from the host", n_fail, n_cases);
}

/* misaligned 16-byte memory operands: #GP for the aligned forms, none for
 * MOVUPS/MOVDQU/LDDQU/PCMPxSTRx ... */
Test(sse, alignment) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  for (unsigned f = 0; f < NFORMS; f++) {
    const struct form *F = &forms[f];
    if (F->fl & NOMEM) continue;
    struct form G = *F;
    G.fl &= ~(uint32_t)(MA | NOREG);
    G.fl |= NOREG;
    for (int j = 0; j < 8; j++) {
      static struct st in;
      static struct out h, v;
      struct kase k;
      gen_state(&G, &in, 0);
      gen_kase(&G, &k, (unsigned)j);
      k.disp = 16 * rn(7) + 1 + rn(15);
      encode(&G, &k);
      host_run(k.code, k.len, &in, gmem, &h);
      interp_run(k.code, k.len, &in, gmem, &v);
      compare(F->name, &k, &in, &h, &v, !!(F->fl & APPROX));
      if (F->fl & MA) cr_expect_eq(v.fault, GPF, "%s: misaligned operand must #GP", F->name);
    }
  }
  fprintf(stderr, "sse alignment: %ld cases, %ld mismatches\n", n_cases, n_fail);
  cr_assert_eq(n_fail, 0);
}

/* memory operands crossing a page boundary: correct data with both pages
 * present; with the second page absent a #PF and nothing written */
Test(sse, page_cross) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  win = 4096 - 128;
  long cases0 = n_cases;
  for (int absent = 0; absent < 2; absent++) {
    if (absent) {
      wlen = 128;
      cr_assert_eq(mprotect(hbuf + 4096, 4096, PROT_NONE), 0);
      fx_unmap(FX, FX_DATA + 4096);
    }
    for (unsigned f = 0; f < NFORMS; f++) {
      const struct form *F = &forms[f];
      if (F->fl & (NOMEM | MA)) continue;
      struct form G = *F;
      G.fl |= NOREG;
      for (int j = 0; j < 24; j++) {
        static struct st in;
        static struct out h, v;
        struct kase k;
        gen_state(&G, &in, 0);
        gen_kase(&G, &k, (unsigned)rn(256));
        k.disp = 120 + rn(8);
        encode(&G, &k);
        host_run(k.code, k.len, &in, gmem, &h);
        interp_run(k.code, k.len, &in, gmem, &v);
        compare(F->name, &k, &in, &h, &v, !!(F->fl & APPROX));
      }
    }
    if (absent) {
      cr_assert_eq(mprotect(hbuf + 4096, 4096, PROT_READ | PROT_WRITE), 0);
      fx_map(FX, FX_DATA + 4096, 0x8000000000000007ull);   /* P W U NX */
    }
  }
  win = 0;
  wlen = WIN;
  fprintf(stderr, "sse page_cross: %ld cases, %ld mismatches\n", n_cases - cases0, n_fail);
  cr_assert_eq(n_fail, 0);
}

/* invalid encodings must #UD on both sides */
Test(sse, undefined) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  static const struct { uint8_t b[8]; int n; } bad[] = {
    {{0x0F, 0x73, 0xD8, 0x01}, 4},            /* PSRLDQ without 66 */
    {{0x0F, 0x73, 0xF8, 0x01}, 4},            /* PSLLDQ without 66 */
    {{0x66, 0x0F, 0x71, 0xC0, 0x01}, 5},      /* group /0 */
    {{0x0F, 0x6C, 0xC1}, 3},                  /* PUNPCKLQDQ mm */
    {{0x0F, 0x38, 0x17, 0xC1}, 4},            /* PTEST without 66 */
    {{0xF3, 0x0F, 0xF0, 0x06}, 4},            /* LDDQU with F3 */
    {{0xF2, 0x0F, 0xF0, 0xC1}, 4},            /* LDDQU register form */
    {{0x66, 0x0F, 0x2B, 0xC1}, 4},            /* MOVNTPD register form */
    {{0x0F, 0x50, 0x06}, 3},                  /* MOVMSKPS memory form */
    {{0xF0, 0x66, 0x0F, 0xFE, 0x06}, 5},      /* LOCK PADDD */
  };
  static struct st in;
  static struct out h, v;
  struct form F = F0("ud", 0, 1, 0, 0, V_MIX);
  for (unsigned j = 0; j < sizeof bad / sizeof bad[0]; j++) {
    struct kase k;
    memset(&k, 0, sizeof k);
    memcpy(k.code, bad[j].b, 8);
    k.len = bad[j].n;
    gen_state(&F, &in, 0);
    host_run(k.code, k.len, &in, gmem, &h);
    interp_run(k.code, k.len, &in, gmem, &v);
    cr_expect_eq(h.fault, UDF, "host: case %u", j);
    cr_expect_eq(v.fault, UDF, "interp: case %u", j);
  }
}

/* MMX <-> x87 aliasing: TOP = 0, all tags valid, exponent 0xFFFF on write;
 * EMMS empties the tags; SSE instructions leave the x87 state alone */
Test(sse, mmx_state) {
  struct vcpu *c = fx_cpu(FX);
  static const uint8_t paddb_mm[] = {0x0F, 0xFC, 0xCA};          /* paddb mm1, mm2 */
  c->fpu.top = 5; c->fpu.ftw = 0xFFFF;
  for (int k = 0; k < 8; k++) { c->fpu.st[k].signif = 0x0101010101010101ull * (unsigned)k; c->fpu.st[k].signexp = 0x3fff; }
  cr_assert_eq(fx_exec(FX, paddb_mm, sizeof paddb_mm), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.top, 0);
  cr_expect_eq(c->fpu.ftw, 0);
  cr_expect_eq(c->fpu.st[1].signif, 0x0303030303030303ull);
  cr_expect_eq(c->fpu.st[1].signexp, 0xFFFF);
  cr_expect_eq(c->fpu.st[2].signexp, 0x3fff);   /* sources keep theirs */
  static const uint8_t emms[] = {0x0F, 0x77};
  cr_assert_eq(fx_exec(FX, emms, sizeof emms), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.ftw, 0xFFFF);
  static const uint8_t movd[] = {0x0F, 0x6E, 0xD8};               /* movd mm3, eax */
  c->r[RAX] = 0x1234567887654321ull;
  c->fpu.top = 3;
  cr_assert_eq(fx_exec(FX, movd, sizeof movd), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.st[3].signif, 0x87654321ull);
  cr_expect_eq(c->fpu.top, 0);
  cr_expect_eq(c->fpu.ftw, 0);
  static const uint8_t addps[] = {0x0F, 0x58, 0xC1};              /* addps xmm0, xmm1 */
  c->fpu.top = 6; c->fpu.ftw = 0xFFF0;
  cr_assert_eq(fx_exec(FX, addps, sizeof addps), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.top, 6);
  cr_expect_eq(c->fpu.ftw, 0xFFF0);
}

/* ---- mutation checks: the comparison must catch deliberate errors -------------- */
static void mut_rc(struct kase *k, struct st *s) { (void)k; s->mxcsr ^= 1u << 13; }
static void mut_trunc(struct kase *k, struct st *s) {   /* CVTSS2SI -> CVTTSS2SI on the host */
  (void)s;
  for (int j = 0; j < k->len; j++) if (k->code[j] == 0x2D) { k->code[j] = 0x2C; break; }
}
static void mut_polarity(struct kase *k, struct st *s) {  /* PCMPISTRI imm8 ^ 0x10 */
  (void)s;
  k->code[k->len - 1] ^= 0x10;
}
static void mut_daz(struct kase *k, struct st *s) { (void)k; s->mxcsr ^= 1u << 6; }
static const struct form *form_named(const char *n) {
  for (unsigned f = 0; f < NFORMS; f++) if (!strcmp(forms[f].name, n)) return &forms[f];
  return NULL;
}
Test(sse, mutation_detected) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  struct { const char *form; mutator m; } muts[] = {
    {"addps", mut_rc}, {"divsd", mut_rc}, {"cvtsi2ss64", mut_rc}, {"cvtss2si", mut_trunc},
    {"pcmpistri", mut_polarity}, {"mulps", mut_daz}, {"minss", mut_daz},
  };
  for (unsigned j = 0; j < sizeof muts / sizeof muts[0]; j++) {
    const struct form *F = form_named(muts[j].form);
    cr_assert(F, "%s", muts[j].form);
    long saved = n_fail;
    n_fail = 1000;                  /* keep the expected mismatches quiet */
    long bad = run_form(F, 1000, 0, muts[j].m);
    n_fail = saved;
    fprintf(stderr, "sse mutation %s/%u: %ld of 1000 cases caught\n", muts[j].form, j, bad);
    cr_expect_gt(bad, 0, "mutation %u of %s went unnoticed", j, muts[j].form);
  }
}
