/* Tests of the x87's 80-bit softfloat (cpu-x86/f80*.c), with the HOST x87
 * as the oracle; the instruction handlers (cpu-x86/x87.c) are tested by
 * test_x87.c.
 *
 * Library: inline asm runs the same operation on the host (f80_host.c:
 * fldcw with the same RC/PC and exception masks, fnstsw for the flags) and
 * the results are compared bit for bit, with IE DE ZE OE UE PE, C1 and the
 * condition codes where defined.  Operands come from a seeded xorshift
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
 *   about 2.98 million comparisons (3.07 million with test_x87.c's
 *   instruction sequences), plus the mutation checks (a wrong rounding
 *   mode, precision or truncation must be caught).  Operand generators
 *   and the 1-ulp comparison: f80_common.c.
 * -DSEED_OFFSET=k, -DN_ARITH, -DN_TRANS: other streams / sizes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "tests/unit/f80_common.h"
#include "tests/unit/f80_host.h"

/* ---- comparison -------------------------------------------------------- */
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

/* ---- transcendentals (within ULP_BOUND of the host) -------------------- */
#ifndef N_TRANS
#define N_TRANS 5000
#endif
static long inexact_vs_host;
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
