/* x87 tests: helpers shared by test_f80.c and test_x87.c (declared in
 * f80_common.h): the seeded operand generators, bitwise and 1-ulp
 * comparison, the per-Test counters. */
#include "tests/unit/f80_common.h"

/* ---- operands ---------------------------------------------------------- */
static uint64_t rs;
/* -DSEED_OFFSET=k gives another deterministic stream (stress runs) */
#ifndef SEED_OFFSET
#define SEED_OFFSET 0
#endif
void seed(uint64_t s) { rs = (s + 1000 * SEED_OFFSET) * 0x9E3779B97F4A7C15ull + 12345; }
uint64_t r64(void) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
  return rs * 0x2545F4914F6CDD1Dull;
}
unsigned rn(unsigned n) { return (unsigned)(r64() % n); }

/* significand with interesting low bits at a random rounding point */
uint64_t gsig(void) {
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
f80_t gen(int kind) {
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
f80_t gen_b(f80_t a, int kind) {
  if (rn(3) == 0 && f80_exp(a) > 4 && f80_exp(a) < 0x7ff0) {
    unsigned e = f80_exp(a) - 2 + rn(5);
    uint64_t m = rn(2) ? a.signif ^ (r64() >> rn(64)) : r64();
    return f80_make((int)rn(2), e, m | 1ull << 63);
  }
  return gen(kind);
}

/* ---- comparison -------------------------------------------------------- */
const uint16_t RCS[4] = {0x000, 0x400, 0x800, 0xC00};
const uint16_t PCS[3] = {0x000, 0x200, 0x300};
int shown;
long ncases;

int same(f80_t a, f80_t b) {
  return a.signif == b.signif && a.signexp == b.signexp;
}

/* within ULP_BOUND units in the last place (finite results only) */
static __int128 okey(f80_t a) {
  __int128 k = f80_exp(a) ? ((__int128)f80_exp(a) << 63) + (a.signif & ~(1ull << 63))
                          : (__int128)a.signif;
  return f80_sign(a) ? -k : k;
}
int close_enough(f80_t g, f80_t w) {
  if (same(g, w)) return 1;
  int cg = f80_classify(g), cw_ = f80_classify(w);
  if (cg != F80_CL_NORMAL && cg != F80_CL_DENORMAL && cg != F80_CL_ZERO) return 0;
  if (cw_ != F80_CL_NORMAL && cw_ != F80_CL_DENORMAL && cw_ != F80_CL_ZERO) return 0;
  __int128 d = okey(g) - okey(w);
  if (d < 0) d = -d;
  return d <= ULP_BOUND;
}
