/* Tests of the x87: the 80-bit softfloat (cpu-x86/f80*.c) and the
 * instruction handlers (cpu-x86/x87.c), with the HOST x87 as the oracle.
 *
 * Library: inline asm runs the same operation on the host (fldcw with the
 * same RC/PC and exception masks, fnstsw for the flags) and the results
 * are compared bit for bit, with IE DE ZE OE UE PE, C1 and the condition
 * codes where defined.  Operands come from a seeded xorshift
 * (deterministic) biased toward edges: zeros, denormals, pseudo-denormals,
 * infinities, QNaN/SNaN/indefinite, unnormals/pseudo-NaN/pseudo-infinity,
 * the smallest and largest exponents, significands on the 24/53/64-bit
 * rounding points, results straddling the smallest normal.
 *
 * Cases per run (the count each test prints):
 *   add sub mul div, 4 RC x 3 PC x 20000            4 x 240000
 *   the same with exceptions unmasked                   160000
 *   NaN selection (equal significands, both orders)      16000
 *   tininess boundary, mul and div, 4 RC x 3 PC         144000
 *   fsqrt frndint (12 RC/PC, + unmasked)                400000
 *   fscale 80000, fprem/fprem1 160000, fxtract 40000    280000
 *   fcom fucom fcomi fucomi ftst fxam                   180000
 *   fist/fisttp m16/m32/m64                             240000
 *   fst m32/m64 (+ unmasked)                            200000
 *   fld m32/m64, fild, fbld, fbstp                      200000
 *   constants, 4 RC x 3 PC                                  84
 *   transcendentals, 4 RC (within 1 ulp, exact IE DE
 *     ZE and C2): fsin fcos fsincos fptan               120000
 *     f2xm1 fyl2x fyl2xp1 fpatan                         80000
 *   x87.c instruction sequences, interpreter vs host     60000
 *   ... ending with a transcendental                     30000
 *   about 3.07 million comparisons, plus the mutation checks (a wrong
 *   rounding mode, precision or truncation must be caught).
 * -DSEED_OFFSET=k, -DN_ARITH, -DN_TRANS, -DN_SEQ: other streams / sizes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "cpu-x86/f80.h"

typedef struct __attribute__((packed)) { uint64_t m; uint16_t se; } m80;
static m80 to_m(f80_t a) { m80 r = {a.signif, a.signexp}; return r; }
static f80_t of_m(m80 a) { f80_t r = {a.m, a.se}; return r; }

#define CLOB "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

/* ---- host oracle ------------------------------------------------------ */
/* ST0 = a, ST1 = b, INSN, result = ST0 */
#define H2(NAME, INSN)                                                     \
  static uint16_t NAME(uint16_t cw, f80_t a, f80_t b, f80_t *r) {          \
    m80 A = to_m(a), B = to_m(b), R;                                       \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" \
                     INSN "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\t"   \
                     "fninit"                                              \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
H2(h_add, "fadd %%st(1), %%st")
H2(h_sub, "fsub %%st(1), %%st")
H2(h_mul, "fmul %%st(1), %%st")
H2(h_div, "fdiv %%st(1), %%st")
H2(h_scale, "fscale")
H2(h_prem, "fprem")
H2(h_prem1, "fprem1")
/* ST1 = a (y), ST0 = b (x); INSN pops, result = ST0 */
#define H2P(NAME, INSN)                                                    \
  static uint16_t NAME(uint16_t cw, f80_t y, f80_t x, f80_t *r) {          \
    m80 A = to_m(y), B = to_m(x), R;                                       \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfldt %[b]\n\t" \
                     INSN "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\t"   \
                     "fninit"                                              \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
H2P(h_atan, "fpatan")
H2P(h_yl2x, "fyl2x")
H2P(h_yl2xp1, "fyl2xp1")
/* one operand, one result */
#define H1(NAME, INSN)                                                     \
  static uint16_t NAME(uint16_t cw, f80_t a, f80_t *r) {                   \
    m80 A = to_m(a), R;                                                    \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN         \
                     "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfninit"  \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [a] "m"(A)                            \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
H1(h_sqrt, "fsqrt")
H1(h_rndint, "frndint")
H1(h_sin, "fsin")
H1(h_cos, "fcos")
H1(h_f2xm1, "f2xm1")
/* one operand, two results: r0 = ST0, r1 = ST1 (IM masked only) */
#define H12(NAME, INSN)                                                    \
  static uint16_t NAME(uint16_t cw, f80_t a, f80_t *r0, f80_t *r1) {       \
    m80 A = to_m(a), R0, R1;                                               \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN         \
                     "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r0]\n\t"       \
                     "fstpt %[r1]\n\tfninit"                               \
                     : [sw] "=m"(sw), [r0] "=m"(R0), [r1] "=m"(R1)         \
                     : [cw] "m"(cw), [a] "m"(A)                            \
                     : CLOB);                                              \
    *r0 = of_m(R0);                                                        \
    *r1 = of_m(R1);                                                        \
    return sw;                                                             \
  }
H12(h_xtract, "fxtract")
H12(h_sincos, "fsincos")
H12(h_ptan, "fptan")

/* compares: ST0 = a, ST1 = b */
#define HC(NAME, INSN)                                                     \
  static uint16_t NAME(uint16_t cw, f80_t a, f80_t b) {                    \
    m80 A = to_m(a), B = to_m(b);                                          \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" \
                     INSN "\n\tfnstsw %[sw]\n\tfninit"                     \
                     : [sw] "=m"(sw)                                       \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB);                                              \
    return sw;                                                             \
  }
HC(h_fcom, "fcom %%st(1)")
HC(h_fucom, "fucom %%st(1)")
HC(h_ftst, "ftst")
HC(h_fxam, "fxam")
#define HCI(NAME, INSN)                                                    \
  static uint16_t NAME(uint16_t cw, f80_t a, f80_t b, uint8_t *fl) {       \
    m80 A = to_m(a), B = to_m(b);                                          \
    uint16_t sw;                                                           \
    uint8_t zf, pf, cf;                                                    \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" \
                     INSN "\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]\n\t" \
                     "fnstsw %[sw]\n\tfninit"                              \
                     : [sw] "=m"(sw), [zf] "=m"(zf), [pf] "=m"(pf),        \
                       [cf] "=m"(cf)                                       \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB, "cc");                                        \
    *fl = (uint8_t)(zf << 2 | pf << 1 | cf);                              \
    return sw;                                                             \
  }
HCI(h_fcomi, "fcomi %%st(1), %%st")
HCI(h_fucomi, "fucomi %%st(1), %%st")

/* stores from ST0 = a into memory (prefilled with a sentinel) */
#define HS(NAME, T, INSN)                                                  \
  static uint16_t NAME(uint16_t cw, f80_t a, T *o) {                       \
    m80 A = to_m(a);                                                       \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN         \
                     " %[o]\n\tfnstsw %[sw]\n\tfninit"                     \
                     : [sw] "=m"(sw), [o] "+m"(*o)                         \
                     : [cw] "m"(cw), [a] "m"(A)                            \
                     : CLOB);                                              \
    return sw;                                                             \
  }
HS(h_fist16, int16_t, "fists")
HS(h_fist32, int32_t, "fistl")
HS(h_fist64, int64_t, "fistpll")
HS(h_fistt16, int16_t, "fisttps")
HS(h_fistt32, int32_t, "fisttpl")
HS(h_fistt64, int64_t, "fisttpll")
HS(h_fst32, uint32_t, "fsts")
HS(h_fst64, uint64_t, "fstl")
typedef struct { uint8_t b[10]; } bcd_t;
HS(h_fbstp, bcd_t, "fbstp")
/* loads from memory into ST0 */
#define HL(NAME, T, INSN)                                                  \
  static uint16_t NAME(uint16_t cw, T v, f80_t *r) {                       \
    m80 R;                                                                 \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" INSN " %[v]\n\t"          \
                     "fnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfninit"      \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [v] "m"(v)                            \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
HL(h_fld32, uint32_t, "flds")
HL(h_fld64, uint64_t, "fldl")
HL(h_fild64, int64_t, "fildll")
HL(h_fbld, bcd_t, "fbld")
#define HK(NAME, INSN)                                                     \
  static uint16_t NAME(uint16_t cw, f80_t *r) {                            \
    m80 R;                                                                 \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" INSN "\n\t"               \
                     "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"                \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw)                                        \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
HK(h_fld1, "fld1")
HK(h_fldl2t, "fldl2t")
HK(h_fldl2e, "fldl2e")
HK(h_fldpi, "fldpi")
HK(h_fldlg2, "fldlg2")
HK(h_fldln2, "fldln2")
HK(h_fldz, "fldz")

/* ---- operands ---------------------------------------------------------- */
static uint64_t rs;
/* -DSEED_OFFSET=k gives another deterministic stream (stress runs) */
#ifndef SEED_OFFSET
#define SEED_OFFSET 0
#endif
static void seed(uint64_t s) { rs = (s + 1000 * SEED_OFFSET) * 0x9E3779B97F4A7C15ull + 12345; }
static uint64_t r64(void) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
  return rs * 0x2545F4914F6CDD1Dull;
}
static unsigned rn(unsigned n) { return (unsigned)(r64() % n); }

/* significand with interesting low bits at a random rounding point */
static uint64_t gsig(void) {
  uint64_t m = r64();
  switch (rn(8)) {
  case 0: {
    static const int pts[3] = {40, 11, 1};
    int d = pts[rn(3)];                 /* bits below the 24/53/64 point */
    uint64_t unit = 1ull << (d - 1 < 0 ? 0 : d), half = unit >> 1;
    m &= ~(unit - 1);
    switch (rn(5)) {
    case 0: m |= half; break;
    case 1: m |= half + (d > 1); break;
    case 2: m |= half - 1; break;
    case 3: m |= unit - 1; break;
    default: break;
    }
    break;
  }
  case 1: m = ~0ull << rn(64); break;
  case 2: m = 1ull << rn(64); m |= r64() & r64() & r64(); break;
  default: break;
  }
  return m;
}

/* kind: 0 anything, 1 finite numbers mostly */
static f80_t gen(int kind) {
  int s = (int)rn(2);
  unsigned k = rn(kind ? 40 : 28);
  uint64_t m = gsig();
  switch (k) {
  case 0: return f80_make(s, 0, 0);
  case 1: return f80_make(s, 0x7fff, 1ull << 63);
  case 2: return f80_make(s, 0, m >> (1 + rn(63)));                 /* denormal */
  case 3: return f80_make(s, 0, m | 1ull << 63);                    /* pseudo-denormal */
  case 4: return f80_make(s, 1 + rn(80), m | 1ull << 63);
  case 5: return f80_make(s, 0x7ffe - rn(80), m | 1ull << 63);
  case 6: if (kind) break;
    return f80_make(s, 0x7fff, (m | 3ull << 62));                   /* QNaN */
  case 7: if (kind) break;
    return f80_make(s, 0x7fff, (m & ~(1ull << 62)) | 1ull << 63 | (rn(2) ? 1 : 1ull << rn(62)));
  case 8: if (kind) break;
    return f80_indefinite();
  case 9: if (kind) break;
    switch (rn(3)) {
    case 0: return f80_make(s, 1 + rn(0x7ffe), m & ~(1ull << 63));  /* unnormal */
    case 1: return f80_make(s, 0x7fff, m & ~(1ull << 63));          /* pseudo-NaN */
    default: return f80_make(s, 0x7fff, 0);                         /* pseudo-inf */
    }
  default: break;
  }
  return f80_make(s, 16383 - 70 + rn(140), m | 1ull << 63);
}

/* b related to a (close exponents, cancellation) or independent */
static f80_t gen_b(f80_t a, int kind) {
  if (rn(3) == 0 && f80_exp(a) > 4 && f80_exp(a) < 0x7ff0) {
    unsigned e = f80_exp(a) - 2 + rn(5);
    uint64_t m = rn(2) ? a.signif ^ (r64() >> rn(64)) : r64();
    return f80_make((int)rn(2), e, m | 1ull << 63);
  }
  return gen(kind);
}

/* ---- comparison -------------------------------------------------------- */
static const uint16_t RCS[4] = {0x000, 0x400, 0x800, 0xC00};
static const uint16_t PCS[3] = {0x000, 0x200, 0x300};
#define FLAGS (F80_IE | F80_DE | F80_ZE | F80_OE | F80_UE | F80_PE)
static int shown;
static long ncases;
/* each Test runs in its own process: report its own count */
#define DONE(bad)                                                        \
  do {                                                                   \
    fprintf(stderr, "%s: %ld cases, %d mismatches\n", __func__, ncases,   \
            (int)(bad));                                                 \
    cr_assert_eq((bad), 0);                                              \
  } while (0)

static int same(f80_t a, f80_t b) {
  return a.signif == b.signif && a.signexp == b.signexp;
}

static void report(const char *op, uint16_t cw, f80_t a, f80_t b, f80_t got,
                   f80_t want, uint16_t gsw, uint16_t wsw) {
  if (shown++ < 30)
    fprintf(stderr,
            "%s cw=%04x a=%04x:%016llx b=%04x:%016llx -> got %04x:%016llx "
            "sw %04x, host %04x:%016llx sw %04x\n",
            op, cw, a.signexp, (unsigned long long)a.signif, b.signexp,
            (unsigned long long)b.signif, got.signexp,
            (unsigned long long)got.signif, gsw, want.signexp,
            (unsigned long long)want.signif, wsw);
}

/* expected destination when unmasked IE/DE/ZE suppress the write */
static f80_t dest_after(uint16_t cw, uint16_t ex, f80_t res, f80_t orig) {
  return (ex & ~cw & (F80_IE | F80_DE | F80_ZE)) ? orig : res;
}
static uint16_t cmpmask(uint16_t cw, uint16_t ex) {
  return (ex & ~cw & (F80_IE | F80_DE | F80_ZE)) ? FLAGS : FLAGS | F80_C1;
}

typedef f80_t (*op2_fn)(f80_env *, f80_t, f80_t);
typedef uint16_t (*h2_fn)(uint16_t, f80_t, f80_t, f80_t *);

static int run2(const char *name, op2_fn f, h2_fn h, uint16_t cw, int n,
                int kind) {
  int bad = 0;
  for (int k = 0; k < n; k++) {
    f80_t a = gen(kind), b = gen_b(a, kind), want, got;
    uint16_t wsw = h(cw, a, b, &want);
    f80_env e = {cw, 0};
    got = f(&e, a, b);
    got = dest_after(cw, e.ex, got, a);
    uint16_t m = cmpmask(cw, e.ex);
    ncases++;
    if (!same(got, want) || (e.ex & m) != (wsw & m)) {
      bad++;
      report(name, cw, a, b, got, want, e.ex, wsw);
    }
  }
  return bad;
}

static int all_rc_pc(const char *name, op2_fn f, h2_fn h, int n, int kind) {
  int bad = 0;
  for (int r = 0; r < 4; r++)
    for (int p = 0; p < 3; p++) bad += run2(name, f, h, 0x7f | RCS[r] | PCS[p], n, kind);
  return bad;
}

#ifndef N_ARITH
#define N_ARITH 20000
#endif
Test(f80, add) { seed(1); DONE(all_rc_pc("add", f80_add, h_add, N_ARITH, 0)); }
Test(f80, sub) { seed(2); DONE(all_rc_pc("sub", f80_sub, h_sub, N_ARITH, 0)); }
Test(f80, mul) { seed(3); DONE(all_rc_pc("mul", f80_mul, h_mul, N_ARITH, 0)); }
Test(f80, div) { seed(4); DONE(all_rc_pc("div", f80_div, h_div, N_ARITH, 0)); }

/* NaN pairs with equal significands (the x87 picks the positive one),
 * SNaN/QNaN mixes, in both operand orders */
Test(f80, nan_select) {
  seed(20);
  op2_fn f[4] = {f80_add, f80_sub, f80_mul, f80_div};
  h2_fn h[4] = {h_add, h_sub, h_mul, h_div};
  int bad = 0;
  for (int k = 0; k < 4000; k++) {
    uint64_t m = r64() | 1ull << 63;
    if (rn(2)) m |= 1ull << 62; else if (!(m << 2)) m |= 1;
    f80_t a = f80_make((int)rn(2), 0x7fff, m);
    uint64_t m2 = rn(2) ? m : (m ^ (1ull << 62));
    if (!(m2 << 1 >> 1 << 2) && !(m2 & 1ull << 62)) m2 |= 1;
    f80_t b = f80_make((int)rn(2), 0x7fff, m2);
    for (int o = 0; o < 4; o++) {
      f80_t w, g;
      uint16_t wsw = h[o](0x37f, a, b, &w);
      f80_env e = {0x37f, 0};
      g = f[o](&e, a, b);
      ncases++;
      if (!same(g, w) || (e.ex & FLAGS) != (wsw & FLAGS)) {
        bad++;
        report("nan", 0x37f, a, b, g, w, e.ex, wsw);
      }
    }
  }
  DONE(bad);
}

/* results straddling the smallest normal: tininess after rounding, at
 * every precision and rounding mode, masked and unmasked underflow */
Test(f80, tiny_boundary) {
  seed(21);
  int bad = 0;
  for (int k = 0; k < 6000; k++) {
    int d = (int)rn(100);
    uint64_t m = ~0ull << rn(42);
    if (rn(2)) m ^= 1ull << rn(64);
    m |= 1ull << 63;
    f80_t a = f80_make((int)rn(2), 16383 + d, m);
    /* b = 2^(-16383 - d) (denormal when d >= 0) with a perturbation */
    int32_t eb = -d;            /* biased exponent of 2^(-16383-d) */
    f80_t b = eb >= 1 ? f80_make(0, eb, 1ull << 63)
            : eb >= -62 ? f80_make(0, 0, (1ull << 63) >> (1 - eb))
                        : f80_make(0, 0, 1);
    for (int r = 0; r < 4; r++)
      for (int p = 0; p < 3; p++) {
        uint16_t cw = (uint16_t)((rn(2) ? 0x7f : 0x6f) | RCS[r] | PCS[p]);
        f80_t w, g;
        uint16_t wsw = h_mul(cw, a, b, &w);
        f80_env e = {cw, 0};
        g = f80_mul(&e, a, b);
        g = dest_after(cw, e.ex, g, a);
        uint16_t msk = cmpmask(cw, e.ex);
        ncases++;
        if (!same(g, w) || (e.ex & msk) != (wsw & msk)) {
          bad++;
          report("tiny-mul", cw, a, b, g, w, e.ex, wsw);
        }
        /* a/ (2^(16383+d)) lands at the same place */
        f80_t c = f80_make(0, 16383 + 16382 + (d % 2), 1ull << 63);
        f80_t a2 = f80_make(f80_sign(a), 1 + (d % 2), m);
        wsw = h_div(cw, a2, c, &w);
        e.ex = 0;
        g = f80_div(&e, a2, c);
        g = dest_after(cw, e.ex, g, a2);
        msk = cmpmask(cw, e.ex);
        ncases++;
        if (!same(g, w) || (e.ex & msk) != (wsw & msk)) {
          bad++;
          report("tiny-div", cw, a2, c, g, w, e.ex, wsw);
        }
      }
  }
  DONE(bad);
}

Test(f80, arith_unmasked) {
  seed(5);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = (uint16_t)(0x40 | RCS[r] | PCS[rn(3)]);
    bad += run2("add!", f80_add, h_add, cw, 10000, 1);
    bad += run2("sub!", f80_sub, h_sub, cw, 10000, 1);
    bad += run2("mul!", f80_mul, h_mul, cw, 10000, 1);
    bad += run2("div!", f80_div, h_div, cw, 10000, 1);
  }
  DONE(bad);
}

typedef f80_t (*op1_fn)(f80_env *, f80_t);
typedef uint16_t (*h1_fn)(uint16_t, f80_t, f80_t *);
static int run1(const char *name, op1_fn f, h1_fn h, uint16_t cw, int n, int kind) {
  int bad = 0;
  for (int k = 0; k < n; k++) {
    f80_t a = gen(kind), want, got;
    if (rn(2)) a.signexp &= 0x7fff;
    uint16_t wsw = h(cw, a, &want);
    f80_env e = {cw, 0};
    got = f(&e, a);
    got = dest_after(cw, e.ex, got, a);
    uint16_t m = cmpmask(cw, e.ex);
    ncases++;
    if (!same(got, want) || (e.ex & m) != (wsw & m)) {
      bad++;
      report(name, cw, a, a, got, want, e.ex, wsw);
    }
  }
  return bad;
}

Test(f80, sqrt_rndint) {
  seed(6);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    for (int p = 0; p < 3; p++) {
      bad += run1("sqrt", f80_sqrt, h_sqrt, 0x7f | RCS[r] | PCS[p], 20000, 0);
      bad += run1("rndint", f80_round_int, h_rndint, 0x7f | RCS[r] | PCS[p], 10000, 0);
    }
    bad += run1("sqrt!", f80_sqrt, h_sqrt, 0x40 | RCS[r], 5000, 1);
    bad += run1("rndint!", f80_round_int, h_rndint, 0x40 | RCS[r], 5000, 1);
  }
  DONE(bad);
}


Test(f80, scale) {
  seed(7);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = 0x37f | RCS[r];
    for (int k = 0; k < 20000; k++) {
      f80_t a = gen(0), b, want, got;
      /* scale factors: small integers, fractions, huge */
      switch (rn(4)) {
      case 0: b = f80_from_i64((int64_t)rn(40000) - 20000); break;
      case 1: b = f80_from_i64((int64_t)rn(80) - 40); break;
      case 2: b = f80_make((int)rn(2), 16383 + rn(40), r64() | 1ull << 63); break;
      default: b = gen(0); break;
      }
      uint16_t wsw = h_scale(cw, a, b, &want);
      f80_env e = {cw, 0};
      got = f80_scale(&e, a, b);
      ncases++;
      uint16_t m = FLAGS | F80_C1;
      if (!same(got, want) || (e.ex & m) != (wsw & m)) {
        bad++;
        report("scale", cw, a, b, got, want, e.ex, wsw);
      }
    }
  }
  DONE(bad);
}

static int run_rem(int ieee, uint16_t cw, int n) {
  int bad = 0;
  for (int k = 0; k < n; k++) {
    f80_t a = gen(0), b = gen_b(a, 0), want, got;
    if (rn(3) == 0 && f80_classify(a) == F80_CL_NORMAL)   /* big quotients */
      b = f80_make((int)rn(2), f80_exp(a) > 200 ? f80_exp(a) - rn(200) : 1, r64() | 1ull << 63);
    uint16_t wsw = (ieee ? h_prem1 : h_prem)(cw, a, b, &want), cc;
    f80_env e = {cw, 0};
    got = f80_rem(&e, a, b, ieee, &cc);
    ncases++;
    uint16_t m = FLAGS | F80_C0 | F80_C1 | F80_C2 | F80_C3;
    if (!same(got, want) || ((e.ex | cc) & m) != (wsw & m)) {
      bad++;
      report(ieee ? "fprem1" : "fprem", cw, a, b, got, want, e.ex | cc, wsw);
    }
  }
  return bad;
}

Test(f80, prem) {
  seed(8);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    bad += run_rem(0, 0x37f | RCS[r], 20000);
    bad += run_rem(1, 0x37f | RCS[r], 20000);
  }
  DONE(bad);
}

Test(f80, xtract) {
  seed(9);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = 0x37f | RCS[r];
    for (int k = 0; k < 10000; k++) {
      f80_t a = gen(0), w0, w1, g0, g1;
      uint16_t wsw = h_xtract(cw, a, &w0, &w1);
      f80_env e = {cw, 0};
      f80_xtract(&e, a, &g1, &g0);
      ncases++;
      uint16_t m = FLAGS | F80_C1;
      if (!same(g0, w0) || !same(g1, w1) || (e.ex & m) != (wsw & m)) {
        bad++;
        report("xtract", cw, a, g1, g0, w0, e.ex, wsw);
      }
    }
  }
  DONE(bad);
}

static uint16_t ccodes(int rel) {
  switch (rel) {
  case F80_LT: return F80_C0;
  case F80_EQ: return F80_C3;
  case F80_GT: return 0;
  default: return F80_C0 | F80_C2 | F80_C3;
  }
}

Test(f80, compare) {
  seed(10);
  int bad = 0;
  uint16_t m = FLAGS | F80_C0 | F80_C1 | F80_C2 | F80_C3;
  for (int k = 0; k < 30000; k++) {
    uint16_t cw = 0x37f;
    f80_t a = gen(0), b = rn(4) ? gen_b(a, 0) : a;
    for (int q = 0; q < 2; q++) {
      uint16_t wsw = (q ? h_fucom : h_fcom)(cw, a, b);
      f80_env e = {cw, 0};
      uint16_t g = ccodes(f80_compare(&e, a, b, q)) | e.ex;
      ncases++;
      if ((g & m) != (wsw & m)) { bad++; report(q ? "fucom" : "fcom", cw, a, b, a, b, g, wsw); }
      uint8_t fl;
      wsw = (q ? h_fucomi : h_fcomi)(cw, a, b, &fl);
      e.ex = 0;
      int rel = f80_compare(&e, a, b, q);
      uint8_t gfl = rel == F80_LT ? 1 : rel == F80_EQ ? 4 : rel == F80_GT ? 0 : 7;
      ncases++;
      if (gfl != fl || (e.ex & FLAGS) != (wsw & FLAGS)) {
        bad++;
        report(q ? "fucomi" : "fcomi", cw, a, b, a, b, e.ex | gfl, wsw);
      }
    }
    uint16_t wsw = h_ftst(cw, a, a);
    f80_env e = {cw, 0};
    uint16_t g = ccodes(f80_compare(&e, a, f80_make(0, 0, 0), 0)) | e.ex;
    ncases++;
    if ((g & m) != (wsw & m)) { bad++; report("ftst", cw, a, a, a, a, g, wsw); }
    wsw = h_fxam(cw, a, a);
    g = f80_xam(a);
    ncases++;
    if ((g & m) != (wsw & m)) { bad++; report("fxam", cw, a, a, a, a, g, wsw); }
  }
  DONE(bad);
}

Test(f80, fist) {
  seed(11);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = 0x37f | RCS[r];
    for (int k = 0; k < 10000; k++) {
      f80_t a = gen(0);
      if (rn(2)) a = f80_make((int)rn(2), 16383 + rn(66), gsig() | 1ull << 63);
      for (int w = 0; w < 6; w++) {
        int bits = 16 << (w % 3), tr = w >= 3;
        int64_t want = 0x5555;
        uint16_t wsw;
        if (w == 0) { int16_t o = 0x5555; wsw = h_fist16(cw, a, &o); want = o; }
        else if (w == 1) { int32_t o = 0x5555; wsw = h_fist32(cw, a, &o); want = o; }
        else if (w == 2) { int64_t o = 0x5555; wsw = h_fist64(cw, a, &o); want = o; }
        else if (w == 3) { int16_t o = 0x5555; wsw = h_fistt16(cw, a, &o); want = o; }
        else if (w == 4) { int32_t o = 0x5555; wsw = h_fistt32(cw, a, &o); want = o; }
        else { int64_t o = 0x5555; wsw = h_fistt64(cw, a, &o); want = o; }
        f80_env e = {cw, 0};
        int64_t got = f80_to_int(&e, a, bits, tr);
        ncases++;
        uint16_t m = FLAGS | F80_C1;
        if (got != want || (e.ex & m) != (wsw & m)) {
          bad++;
          report(tr ? "fisttp" : "fist", (uint16_t)(cw | bits << 12), a, a,
                 f80_from_i64(got), f80_from_i64(want), e.ex, wsw);
        }
      }
    }
  }
  DONE(bad);
}

static int run_fst(uint16_t cw, int n) {
  int bad = 0;
  for (int k = 0; k < n; k++) {
    f80_t a = gen(0);
    if (rn(3) == 0) a = f80_make((int)rn(2), 16383 - 1100 + rn(2200), gsig() | 1ull << 63);
    if (rn(4) == 0) a = f80_make((int)rn(2), 16383 - 150 + rn(300), gsig() | 1ull << 63);
    uint32_t w32 = 0x12345678;
    uint64_t w64 = 0x123456789abcdef0ull;
    uint16_t s32 = h_fst32(cw, a, &w32), s64 = h_fst64(cw, a, &w64);
    f80_env e32 = {cw, 0}, e64 = {cw, 0};
    uint32_t g32 = f80_to_f32(&e32, a);
    uint64_t g64 = f80_to_f64(&e64, a);
    uint16_t sup = F80_IE | F80_DE | F80_OE | F80_UE;
    if (e32.ex & ~cw & sup) g32 = 0x12345678;
    if (e64.ex & ~cw & sup) g64 = 0x123456789abcdef0ull;
    uint16_t m32 = (e32.ex & ~cw & 0x3f) ? FLAGS : FLAGS | F80_C1;
    uint16_t m64 = (e64.ex & ~cw & 0x3f) ? FLAGS : FLAGS | F80_C1;
    ncases += 2;
    if (g32 != w32 || (e32.ex & m32) != (s32 & m32)) {
      bad++;
      report("fst32", cw, a, a, f80_make(0, 0, g32), f80_make(0, 0, w32), e32.ex, s32);
    }
    if (g64 != w64 || (e64.ex & m64) != (s64 & m64)) {
      bad++;
      report("fst64", cw, a, a, f80_make(0, 0, g64), f80_make(0, 0, w64), e64.ex, s64);
    }
  }
  return bad;
}

Test(f80, fst) {
  seed(12);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    bad += run_fst(0x37f | RCS[r], 20000);
    bad += run_fst(0x340 | RCS[r], 5000);
  }
  DONE(bad);
}

Test(f80, loads_bcd) {
  seed(13);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = 0x37f | RCS[r];
    for (int k = 0; k < 10000; k++) {
      f80_t want, got;
      uint32_t v32 = (uint32_t)r64();
      if (rn(4) == 0) v32 &= 0x807fffff >> rn(23);
      if (rn(4) == 0) v32 |= 0x7f800000;
      uint16_t wsw = h_fld32(cw, v32, &want);
      f80_env e = {cw, 0};
      got = f80_load_f32(&e, v32);
      ncases++;
      if (!same(got, want) || (e.ex & FLAGS) != (wsw & FLAGS)) {
        bad++;
        report("fld32", cw, f80_make(0, 0, v32), got, got, want, e.ex, wsw);
      }
      uint64_t v64 = r64();
      if (rn(4) == 0) v64 &= 0x800fffffffffffffull >> rn(52);
      if (rn(4) == 0) v64 |= 0x7ff0000000000000ull;
      wsw = h_fld64(cw, v64, &want);
      e.ex = 0;
      got = f80_load_f64(&e, v64);
      ncases++;
      if (!same(got, want) || (e.ex & FLAGS) != (wsw & FLAGS)) {
        bad++;
        report("fld64", cw, f80_make(0, 0, v64), got, got, want, e.ex, wsw);
      }
      int64_t iv = (int64_t)(r64() >> rn(64));
      if (rn(2)) iv = -iv;
      wsw = h_fild64(cw, iv, &want);
      got = f80_from_i64(iv);
      ncases++;
      if (!same(got, want) || (wsw & FLAGS)) {
        bad++;
        report("fild", cw, got, got, got, want, 0, wsw);
      }
      /* BCD: valid digits both ways */
      bcd_t bc;
      uint64_t dv = r64() % 1000000000000000000ull >> rn(60);
      for (int d = 0; d < 9; d++) { bc.b[d] = (uint8_t)((dv / 10 % 10) << 4 | dv % 10); dv /= 100; }
      bc.b[9] = rn(2) ? 0x80 : 0;
      wsw = h_fbld(cw, bc, &want);
      got = f80_from_bcd(bc.b);
      ncases++;
      if (!same(got, want)) { bad++; report("fbld", cw, got, got, got, want, 0, wsw); }
      f80_t a = gen(0);
      if (rn(2)) a = f80_make((int)rn(2), 16383 - 2 + rn(64), gsig() | 1ull << 63);
      bcd_t wb, gb;
      memset(&wb, 0x77, sizeof wb);
      wsw = h_fbstp(cw, a, &wb);
      e.ex = 0;
      f80_to_bcd(&e, a, gb.b);
      ncases++;
      if (memcmp(&wb, &gb, 10) || (e.ex & (FLAGS | F80_C1)) != (wsw & (FLAGS | F80_C1))) {
        bad++;
        f80_t gx, wx;
        memcpy(&gx.signif, gb.b, 8); memcpy(&gx.signexp, gb.b + 8, 2);
        memcpy(&wx.signif, wb.b, 8); memcpy(&wx.signexp, wb.b + 8, 2);
        report("fbstp", cw, a, a, gx, wx, e.ex, wsw);
      }
    }
  }
  DONE(bad);
}

Test(f80, constants) {
  uint16_t (*hk[7])(uint16_t, f80_t *) = {h_fld1, h_fldl2t, h_fldl2e, h_fldpi,
                                          h_fldlg2, h_fldln2, h_fldz};
  int bad = 0;
  for (int k = 0; k < 7; k++)
    for (int r = 0; r < 4; r++)
      for (int p = 0; p < 3; p++) {
        uint16_t cw = 0x7f | RCS[r] | PCS[p];
        f80_t want, got = f80_const(k, cw);
        uint16_t wsw = hk[k](cw, &want);
        ncases++;
        if (!same(got, want) || (wsw & (FLAGS | F80_C1))) {
          bad++;
          report("const", cw, got, got, got, want, 0, wsw);
        }
      }
  DONE(bad);
}

/* ---- transcendentals --------------------------------------------------- */
#define ULP_BOUND 1
#ifndef N_TRANS
#define N_TRANS 5000
#endif
static long inexact_vs_host;
static __int128 okey(f80_t a) {
  __int128 k = f80_exp(a) ? ((__int128)f80_exp(a) << 63) + (a.signif & ~(1ull << 63))
                          : (__int128)a.signif;
  return f80_sign(a) ? -k : k;
}
static int close_enough(f80_t g, f80_t w) {
  if (same(g, w)) return 1;
  int cg = f80_classify(g), cw_ = f80_classify(w);
  if (cg != F80_CL_NORMAL && cg != F80_CL_DENORMAL && cg != F80_CL_ZERO) return 0;
  if (cw_ != F80_CL_NORMAL && cw_ != F80_CL_DENORMAL && cw_ != F80_CL_ZERO) return 0;
  __int128 d = okey(g) - okey(w);
  if (d < 0) d = -d;
  return d <= ULP_BOUND;
}
static int max_seen_ulps;

static f80_t gen_trig(void) {
  switch (rn(6)) {
  case 0: return gen(0);
  case 1: {   /* near k * pi/2 */
    f80_env e = {0x37f, 0};
    f80_t hp = f80_const(3, 0x37f);
    hp.signexp--;
    f80_t x = f80_mul(&e, f80_from_i64((int64_t)(r64() >> rn(64)) | 1), hp);
    x.signif += (uint64_t)rn(5) - 2;
    return x;
  }
  case 2: return f80_make((int)rn(2), 16383 + 40 + rn(26), r64() | 1ull << 63);
  default: return f80_make((int)rn(2), 16383 - 70 + rn(100), r64() | 1ull << 63);
  }
}

static int tcheck(const char *name, uint16_t cw, f80_t a, f80_t b, f80_t g,
                  f80_t w, uint16_t gex, uint16_t wsw, uint16_t extra) {
  uint16_t m = F80_IE | F80_DE | F80_ZE | extra;
  ncases++;
  if (close_enough(g, w) && (gex & m) == (wsw & m)) {
    if (!same(g, w)) { max_seen_ulps = 1; inexact_vs_host++; }
    return 0;
  }
  report(name, cw, a, b, g, w, gex, wsw);
  return 1;
}

Test(f80, trig) {
  seed(14);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = 0x37f | RCS[r];
    for (int k = 0; k < N_TRANS; k++) {
      f80_t a = gen_trig(), w, w1, g, g1;
      uint16_t wsw = h_sin(cw, a, &w);
      f80_env e = {cw, 0};
      uint16_t c2 = f80_sin(&e, a, &g) ? F80_C2 : 0;
      if (c2) g = a;
      bad += tcheck("fsin", cw, a, a, g, w, e.ex | c2, wsw, F80_C2);
      wsw = h_cos(cw, a, &w);
      e.ex = 0;
      c2 = f80_cos(&e, a, &g) ? F80_C2 : 0;
      if (c2) g = a;
      bad += tcheck("fcos", cw, a, a, g, w, e.ex | c2, wsw, F80_C2);
      wsw = h_sincos(cw, a, &w, &w1);
      e.ex = 0;
      c2 = f80_sincos(&e, a, &g1, &g) ? F80_C2 : 0;
      if (c2) { g = a; g1 = f80_indefinite(); }
      bad += tcheck("fsincos.c", cw, a, a, g, w, e.ex | c2, wsw, F80_C2);
      bad += tcheck("fsincos.s", cw, a, a, g1, w1, e.ex | c2, wsw, F80_C2);
      wsw = h_ptan(cw, a, &w, &w1);
      e.ex = 0;
      c2 = f80_tan(&e, a, &g1) ? F80_C2 : 0;
      g = f80_make(0, 16383, 1ull << 63);
      if (c2) { g = a; g1 = f80_indefinite(); }
      else if (f80_is_nan(g1)) g = g1;   /* NaN result: both registers */
      bad += tcheck("fptan.1", cw, a, a, g, w, e.ex | c2, wsw, F80_C2);
      bad += tcheck("fptan.t", cw, a, a, g1, w1, e.ex | c2, wsw, F80_C2);
    }
  }
  fprintf(stderr, "fsin/fcos/fsincos/fptan: max difference %d ulp (bound %d), %ld results 1 ulp off\n",
          max_seen_ulps, ULP_BOUND, inexact_vs_host);
  DONE(bad);
}

Test(f80, logexp) {
  seed(15);
  int bad = 0;
  for (int r = 0; r < 4; r++) {
    uint16_t cw = 0x37f | RCS[r];
    for (int k = 0; k < N_TRANS; k++) {
      f80_t a, b, w, g;
      /* F2XM1 on [-1, 1] */
      a = rn(8) ? f80_make((int)rn(2), 16383 - 1 - rn(70), r64() | 1ull << 63) : gen(0);
      if (rn(16) == 0) a = f80_make((int)rn(2), 16383, 1ull << 63);
      if (f80_classify(a) == F80_CL_NORMAL && f80_exp(a) >= 16383 &&
          (f80_exp(a) > 16383 || a.signif != 1ull << 63)) a.signexp = (uint16_t)((a.signexp & 0x8000) | 16382);
      uint16_t wsw = h_f2xm1(cw, a, &w);
      f80_env e = {cw, 0};
      g = f80_2xm1(&e, a);
      bad += tcheck("f2xm1", cw, a, a, g, w, e.ex, wsw, 0);
      /* FYL2X */
      b = rn(6) ? f80_make((int)rn(2), 16383 - 70 + rn(140), r64() | 1ull << 63) : gen(0);
      a = rn(6) ? f80_make(0, 16383 - 300 + rn(600), r64() | 1ull << 63) : gen(0);
      if (rn(8) == 0) a = f80_make(0, 16383 - rn(2), rn(2) ? ~(r64() >> 40) : 1ull << 63 | r64() >> 40);
      wsw = h_yl2x(cw, b, a, &w);
      e.ex = 0;
      g = f80_yl2x(&e, b, a);
      bad += tcheck("fyl2x", cw, b, a, g, w, e.ex, wsw, 0);
      /* FYL2XP1 on |x| < 1 - sqrt(2)/2 */
      a = rn(8) ? f80_make((int)rn(2), 16381 - rn(70), r64() | 1ull << 63) : gen(0);
      if (f80_classify(a) == F80_CL_NORMAL && f80_exp(a) > 16381) a.signexp = (uint16_t)((a.signexp & 0x8000) | 16381);
      wsw = h_yl2xp1(cw, b, a, &w);
      e.ex = 0;
      g = f80_yl2xp1(&e, b, a);
      bad += tcheck("fyl2xp1", cw, b, a, g, w, e.ex, wsw, 0);
      /* FPATAN */
      a = rn(6) ? f80_make((int)rn(2), 16383 - 70 + rn(140), r64() | 1ull << 63) : gen(0);
      wsw = h_atan(cw, b, a, &w);
      e.ex = 0;
      g = f80_atan2(&e, b, a);
      bad += tcheck("fpatan", cw, b, a, g, w, e.ex, wsw, 0);
    }
  }
  fprintf(stderr, "fyl2x/fyl2xp1/f2xm1/fpatan: max difference %d ulp (bound %d), %ld results 1 ulp off\n",
          max_seen_ulps, ULP_BOUND, inexact_vs_host);
  DONE(bad);
}

/* ---- mutation check: the comparison must catch wrong rounding --------- */
Test(f80, mutation_detected) {
  seed(16);
  int caught_rc = 0, caught_pc = 0, caught_trunc = 0;
  for (int k = 0; k < 2000; k++) {
    f80_t a = gen(1), b = gen_b(a, 1), w, g;
    /* host rounds to nearest; the mutant truncates */
    h_add(0x37f, a, b, &w);
    f80_env e = {0x37f | 0xC00, 0};
    g = f80_add(&e, a, b);
    caught_rc += !same(g, w);
    /* host uses PC=24; the mutant ignores precision control */
    h_mul(0x07f, a, b, &w);
    e.cw = 0x37f;
    e.ex = 0;
    g = f80_mul(&e, a, b);
    caught_pc += !same(g, w);
    /* the raw rounding routine in truncation mode vs host sqrt RN */
    h_sqrt(0x37f, f80_abs(a), &w);
    f80_env t = {0xf7f, 0};
    g = f80_sqrt(&t, f80_abs(a));
    caught_trunc += !same(g, w);
  }
  fprintf(stderr, "mutants caught: rc %d, pc %d, trunc %d of 2000\n",
          caught_rc, caught_pc, caught_trunc);
  cr_assert_gt(caught_rc, 100);
  cr_assert_gt(caught_pc, 100);
  cr_assert_gt(caught_trunc, 100);
}


/* ---- x87.c: instruction sequences, interpreter vs host ----------------- */
/* Random sequences of x87 instructions (every D8-DF form except FBLD on
 * random bytes and the transcendentals, covered above) run natively and
 * in the interpreter from the same FXRSTOR image, registers, RFLAGS and
 * memory; compared: the x87 part of FXSAVE (FCW FSW FTW ST0-7; FOP, FIP
 * and FDP excepted), memory, AX (FNSTSW AX) and ZF PF CF OF SF AF
 * (FCOMI).  With unmasked exceptions the host takes SIGFPE where the
 * interpreter must raise #MF: same instruction, same state. */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "tests/unit/cpu_fixture.h"

#ifndef X87_MAXI
#define X87_MAXI 24
#endif
#ifndef N_SEQ
#define N_SEQ 30000
#endif
enum { SLOT_ENV = 0x80 /* disp8 -128 */, SLOT_CW = 0x7E, MAXI = X87_MAXI };
static uint8_t *xbuf;                  /* host code page */
static sigjmp_buf fpe_jb;
static volatile uint64_t fpe_rip, fpe_rax, fpe_fl;
static uint8_t fpe_fx[512];

static void on_fpe(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  (void)sig; (void)si;
  fpe_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  fpe_rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
  fpe_fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  memcpy(fpe_fx, uc->uc_mcontext.fpregs, 512);
  siglongjmp(fpe_jb, 1);
}

static int trans_mode;   /* 1: transcendentals too (compared within 1 ulp) */

/* one random instruction: 2 bytes (register form) or 3 ([rbx+disp8]) */
static int gen_insn(uint8_t *p) {
  static const uint8_t tr[] = {0xF0, 0xF1, 0xF2, 0xF3, 0xF9, 0xFB, 0xFE, 0xFF};
  /* F2XM1 and FYL2XP1 are undefined outside their domains: bring ST(0)
   * to [0.09, 0.18) first (FXTRACT; FSTP ST(1); FLDLG2; FMULP; twice) */
  static const uint8_t dom[] = {0xD9, 0xF4, 0xDD, 0xD9, 0xD9, 0xEC, 0xDE, 0xC9,
                                0xD9, 0xEC, 0xDE, 0xC9};
  if (trans_mode == 2) {                /* the sequence's last instruction */
    uint8_t op = tr[rn(sizeof tr)];
    int n = 0;
    if (op == 0xF0 || op == 0xF9) { memcpy(p, dom, sizeof dom); n = sizeof dom; }
    p[n] = 0xD9;
    p[n + 1] = op;
    return n + 2;
  }
  if (rn(40) == 0) {       /* environment stores and loads, in pairs */
    int save = (int)rn(2);
    p[0] = save ? 0xDD : 0xD9;
    p[1] = (uint8_t)(0x43 | 6 << 3);
    p[2] = SLOT_ENV;
    p[3] = p[0];
    p[4] = (uint8_t)(0x43 | 4 << 3);
    p[5] = SLOT_ENV;
    return 6;
  }
  static const uint8_t d9r[] = {0xD0, 0xE0, 0xE1, 0xE4, 0xE5, 0xE8, 0xE9, 0xEA, 0xEB,
                                0xEC, 0xED, 0xEE, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xFA,
                                0xFC, 0xFD};
  unsigned opc = 0xD8 + rn(8), reg = rn(8), k = rn(8);
  if (rn(5) < 2) {                                    /* memory form */
    int ok;
    switch (opc) {
    case 0xD9: ok = reg != 1 && reg != 4 && reg != 6; break;
    case 0xDB: ok = reg != 4 && reg != 6; break;
    case 0xDD: ok = reg != 4 && reg != 5 && reg != 6; break;
    case 0xDF: ok = 1; break;
    default: ok = 1; break;
    }
    if (!ok) return gen_insn(p);
    p[0] = (uint8_t)opc;
    p[1] = (uint8_t)(0x43 | reg << 3);
    p[2] = (uint8_t)(rn(8) * 16);
    if (opc == 0xD9 && reg == 5) p[2] = SLOT_CW;       /* FLDCW */
    return 3;
  }
  p[0] = (uint8_t)opc;
  switch (opc) {
  case 0xD9: p[1] = rn(3) ? (uint8_t)(0xC0 + rn(32)) : d9r[rn(sizeof d9r)];
    if (p[1] >= 0xD1 && p[1] <= 0xD7) p[1] = 0xD0;
    break;
  case 0xDA: p[1] = rn(8) ? (uint8_t)(0xC0 + rn(32)) : 0xE9; break;
  case 0xDB: p[1] = rn(8) ? (uint8_t)(rn(2) ? 0xC0 + rn(32) : 0xE8 + rn(16)) : rn(2) ? 0xE2 : 0xE3; break;
  case 0xDD: p[1] = (uint8_t)(0xC0 + rn(48)); break;
  case 0xDE: p[1] = (uint8_t)(0xC0 + reg * 8 + k); if (reg == 3) p[1] = 0xD9; break;
  case 0xDF: p[1] = rn(8) ? (uint8_t)(rn(2) ? 0xC0 + rn(32) : 0xE8 + rn(16)) : 0xE0; break;
  default: p[1] = (uint8_t)(0xC0 + reg * 8 + k); break;
  }
  return 2;
}

static void fill_slot(uint8_t *s) {
  memset(s, 0, 16);
  switch (rn(7)) {
  case 6:                                   /* packed BCD, mostly valid */
    for (int k = 0; k < 9; k++) s[k] = (uint8_t)(rn(10) << 4 | rn(10));
    s[9] = rn(2) ? 0x80 : 0;
    if (rn(4) == 0) s[rn(9)] |= 0xA0;
    break;
  case 0: { uint32_t v = (uint32_t)r64(); if (rn(3) == 0) v &= 0x807fffff; memcpy(s, &v, 4); break; }
  case 1: { uint64_t v = r64(); if (rn(3) == 0) v &= 0x800fffffffffffffull; memcpy(s, &v, 8); break; }
  case 2: { int64_t v = (int64_t)r64() >> rn(64); memcpy(s, &v, 8); break; }
  default: { f80_t v = gen(0); memcpy(s, &v.signif, 8); memcpy(s + 8, &v.signexp, 2); break; }
  }
}

struct xstate { uint8_t fx[512] __attribute__((aligned(16))); uint64_t rax, fl; uint8_t mem[256]; };

/* returns the index of the instruction that took #MF, or -1 */
static int host_run(const uint8_t *code, int len, const int *offs, int n,
                    const uint8_t *init_fx, uint64_t rax, uint64_t fl,
                    uint8_t *mem, struct xstate *o) {
  static const uint8_t pro[] = {0x53, 0x48, 0x89, 0xfb, 0x0f, 0xae, 0x0e, 0x49, 0x89,
                                0xc8, 0x49, 0x89, 0xd1, 0x48, 0xb8};
  static const uint8_t epi[] = {0x9c, 0x41, 0x8f, 0x01, 0x49, 0x89, 0x41, 0x08, 0x41,
                                0x0f, 0xae, 0x00, 0xdb, 0xe3, 0x5b, 0xc3};
  uint8_t *p = xbuf;
  memcpy(p, pro, sizeof pro); p += sizeof pro;
  memcpy(p, &rax, 8); p += 8;
  *p++ = 0x68; uint32_t f32 = (uint32_t)fl; memcpy(p, &f32, 4); p += 4; *p++ = 0x9d;
  uint8_t *start = p;
  memcpy(p, code, (size_t)len); p += len;
  memcpy(p, epi, sizeof epi);
  uint64_t regs[2];
  static uint8_t fxi[512] __attribute__((aligned(16)));
  memcpy(fxi, init_fx, 512);
  struct sigaction sa = {0}, old;
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, &old);
  int r = -1;
  if (sigsetjmp(fpe_jb, 1) == 0) {
    ((void (*)(uint8_t *, uint8_t *, uint64_t *, uint8_t *))xbuf)(mem + 128, fxi, regs, o->fx);
    o->rax = regs[1];
    o->fl = regs[0];
  } else {
    for (int k = 0; k < n; k++)
      if (start + offs[k] == (uint8_t *)fpe_rip) r = k;
    memcpy(o->fx, fpe_fx, 512);
    o->rax = fpe_rax;
    o->fl = fpe_fl;
    __asm__ volatile("fninit");
  }
  sigaction(SIGFPE, &old, NULL);
  memcpy(o->mem, mem, 256);
  return r;
}

static int fx_differs(const uint8_t *a, const uint8_t *b) {
  for (int k = 0; k < 160; k++) {
    if ((k >= 6 && k < 24) || (k >= 28 && k < 32)) continue;   /* FOP FIP FDP, MXCSR_MASK */
    if (k >= 32 && (k - 32) % 16 >= 10) continue;    /* reserved */
    if (trans_mode && k == 3) {                      /* C1: rounding direction */
      if ((a[k] ^ b[k]) & ~2) return 1;
      continue;
    }
    if (trans_mode && k == 2) {     /* UE: tininess of an approximation */
      if ((a[k] ^ b[k]) & ~0x10) return 1;
      continue;
    }
    if (trans_mode && k >= 32) {                     /* registers within 1 ulp */
      f80_t x, y;
      int slot = (k - 32) / 16;
      memcpy(&x.signif, a + 32 + 16 * slot, 8); memcpy(&x.signexp, a + 40 + 16 * slot, 2);
      memcpy(&y.signif, b + 32 + 16 * slot, 8); memcpy(&y.signexp, b + 40 + 16 * slot, 2);
      if (!close_enough(x, y)) return 1;
      k = 32 + 16 * slot + 15;
      continue;
    }
    if (a[k] != b[k]) return 1;
  }
  return 0;
}

/* the memory image; in the FNSTENV/FNSAVE area FIP, FCS, FDP, FDS differ */
static int mem_skip(int k) {
  return (k >= 12 && k < 18) || (k >= 20 && k < 26) ||
         (trans_mode && k < 128);                    /* saved registers: ulps */
}
static int mem_differs(const uint8_t *a, const uint8_t *b) {
  for (int k = 0; k < 256; k++)
    if (!mem_skip(k) && a[k] != b[k]) return 1;
  return 0;
}

static int run_seq(struct fx *f, int unmasked) {
  struct vcpu *c = fx_cpu(f);
  uint8_t code[MAXI * 14], fx0[512] __attribute__((aligned(16))) = {0};
  int offs[MAXI * 7], n = 1 + (int)rn(MAXI), len = 0, nins = 0;
  for (int k = 0; k < n; k++) {
    /* with transcendentals: only as the last instruction, so that a 1-ulp
     * difference is not amplified by what follows */
    if (trans_mode) trans_mode = k == n - 1 ? 2 : 1;
    int l = gen_insn(code + len);
    if (l == 6) {                                   /* FNSTENV/FLDENV pair */
      offs[nins++] = len;
      offs[nins++] = len + 3;
    } else if (l == 3) {
      offs[nins++] = len;
    } else {
      for (int q = 0; q < l; q += 2) offs[nins++] = len + q;
    }
    len += l;
  }
  n = nins;
  /* initial state: random RC/PC, TOP, tags and registers */
  uint16_t cw = (uint16_t)(0x7f | RCS[rn(4)] | PCS[rn(3)]);
  if (unmasked) cw &= (uint16_t)~(1u << rn(6) | 1u << rn(6));
  uint16_t sw = (uint16_t)(rn(8) << 11 | (rn(2) ? F80_C0 | F80_C2 : 0));
  memcpy(fx0, &cw, 2);
  memcpy(fx0 + 2, &sw, 2);
  fx0[4] = (uint8_t)r64();
  uint32_t mx = 0x1f80;
  memcpy(fx0 + 24, &mx, 4);
  for (int k = 0; k < 8; k++) { f80_t v = gen(0); memcpy(fx0 + 32 + 16 * k, &v.signif, 8); memcpy(fx0 + 40 + 16 * k, &v.signexp, 2); }
  uint8_t mem[256];
  for (int k = 0; k < 256; k += 16) fill_slot(mem + k);
  uint16_t safe_cw = (uint16_t)(0x7f | RCS[rn(4)] | PCS[rn(3)]);
  if (unmasked) safe_cw = cw;
  memcpy(mem + 128 + SLOT_CW, &safe_cw, 2);
  uint64_t rax = r64(), fl = 0x202 | (r64() & F_ARITH);
  /* interpreter */
  memcpy(fx_data(f), mem, 256);
  c->r[RBX] = FX_DATA + 128;
  c->r[RAX] = rax;
  cpu_set_rflags(c, fl);
  cpu_fxrstor(c, fx0);
  int gr = fx_exec(f, code, (size_t)len), gk = -1;
  if (gr == CPU_EXIT_EXCEPTION && c->exc.vector == EXC_MF)
    for (int k = 0; k < n; k++) if (c->exc.rip == FX_CODE + (uint64_t)offs[k]) gk = k;
  struct xstate g, h;
  cpu_fxsave(c, g.fx);
  g.rax = c->r[RAX];
  g.fl = cpu_get_rflags(c);
  memcpy(g.mem, fx_data(f), 256);
  /* host */
  int hk = host_run(code, len, offs, n, fx0, rax, fl, mem, &h);
  ncases++;
  int bad = (gr != CPU_EXIT_HLT && gk < 0) || gk != hk || fx_differs(g.fx, h.fx) ||
            ((uint16_t)g.rax ^ (uint16_t)h.rax) & (trans_mode ? ~0x200 : 0xffff) ||
            ((g.fl ^ h.fl) & F_ARITH) || mem_differs(g.mem, h.mem);
  if (bad && shown++ < 12) {
    fprintf(stderr, "x87 seq (cw %04x, #MF guest %d host %d, exit %d):", cw, gk, hk, gr);
    for (int k = 0; k < len; k++) fprintf(stderr, " %02x", code[k]);
    fprintf(stderr, "\n  guest fcw %04x fsw %04x ftw %02x ax %04x fl %03llx\n  host  fcw %04x fsw %04x ftw %02x ax %04x fl %03llx\n",
            *(uint16_t *)g.fx, *(uint16_t *)(g.fx + 2), g.fx[4], (unsigned)(uint16_t)g.rax,
            (unsigned long long)(g.fl & F_ARITH), *(uint16_t *)h.fx, *(uint16_t *)(h.fx + 2),
            h.fx[4], (unsigned)(uint16_t)h.rax, (unsigned long long)(h.fl & F_ARITH));
    for (int k = 0; k < 8; k++)
      if (memcmp(g.fx + 32 + 16 * k, h.fx + 32 + 16 * k, 10))
        fprintf(stderr, "  st%d guest %04x:%016llx host %04x:%016llx\n", k,
                *(uint16_t *)(g.fx + 40 + 16 * k), *(unsigned long long *)(g.fx + 32 + 16 * k),
                *(uint16_t *)(h.fx + 40 + 16 * k), *(unsigned long long *)(h.fx + 32 + 16 * k));
    for (int k = 0; k < 256; k++)
      if (g.mem[k] != h.mem[k] && !mem_skip(k)) {
        fprintf(stderr, "  mem differs at %d: %02x %02x\n", k - 128, g.mem[k], h.mem[k]);
        break;
      }
  }
  return bad;
}

Test(x87, sequences) {
  seed(30);
  xbuf = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(xbuf, MAP_FAILED);
  struct fx *f = fx_new();
  int bad = 0;
  for (int k = 0; k < N_SEQ; k++) bad += run_seq(f, 0);
  for (int k = 0; k < N_SEQ; k++) bad += run_seq(f, 1);
  fx_free(f);
  DONE(bad);
}

/* ending with FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1: stack
 * effects, tags and flags exact, values within 1 ulp, C1 free */
Test(x87, transcendental_sequences) {
  seed(31);
  trans_mode = 1;
  xbuf = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(xbuf, MAP_FAILED);
  struct fx *f = fx_new();
  int bad = 0;
  for (int k = 0; k < N_SEQ / 2; k++) bad += run_seq(f, 0);
  for (int k = 0; k < N_SEQ / 2; k++) bad += run_seq(f, 1);
  fx_free(f);
  DONE(bad);
}
