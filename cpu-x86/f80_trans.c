/* x87 transcendentals: FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1.
 *
 * Computed in a 128-bit-significand software format (xf, truncating
 * operations, about 2^-120 relative error after the series below) and
 * rounded once to the 64-bit significand with the control word's RC.
 * FSIN/FCOS/FPTAN reduce their argument modulo pi/2 exactly, with the
 * 66-bit approximation of pi that the x87 uses (Intel and AMD alike: on
 * hardware fsin(fldpi) = -2^-64), so results near multiples of pi match
 * the hardware.
 *
 * Accuracy bound (stated): <= 1 ulp from the host x87's result.  Our
 * results are the correctly rounded value of the exact function (of the
 * pi66-reduced argument) except within about 2^-118 relative of a
 * rounding boundary; the x87 itself is not correctly rounded, so a few
 * percent of results differ from it by 1 ulp (tests/unit/test_f80.c
 * measures this and fails beyond 1 ulp).  PC does not apply (as on
 * hardware).  PE is raised for every result but the exact special cases
 * (zeros, infinities, x = 1 in FYL2X), also for exact F2XM1 / FYL2X
 * results, as the x87 does.  Sticky bits keep directed rounding and PE
 * right when an approximation lands on a representable value. */
#include "cpu-x86/f80.h"

typedef unsigned __int128 u128;
#define TOP ((u128)1 << 127)
#define J_BIT 0x8000000000000000ull

/* value = (-1)^s * m * 2^(e - 127); m normalized, or 0 */
typedef struct { int s; int32_t e; u128 m; } xf;

static const xf XF_PI = {0, 1, ((u128)0xC90FDAA22168C234ull << 64) | 0xC4C6628B80DC1CD1ull};
static const xf XF_LN2 = {0, -1, ((u128)0xB17217F7D1CF79ABull << 64) | 0xC9E3B39803F2F6AFull};
static const xf XF_ONE = {0, 0, TOP};
/* pi66 / 2 in units of 2^-65 */
static const u128 PI66 = ((u128)0x3 << 64) | 0x243F6A8885A308D3ull;

static int clz128(u128 v) {
  uint64_t hi = (uint64_t)(v >> 64);
  return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)v);
}

static xf xf_norm(int s, int32_t e, u128 m) {
  xf r = {s, e, m};
  if (!m) return r;
  int sh = clz128(m);
  r.m = m << sh;
  r.e = e - sh;
  return r;
}

static xf xf_u(uint64_t v) { return xf_norm(0, 127, v); }

static xf xf_f80(f80_t a) {
  int s = f80_sign(a);
  int32_t e;
  uint64_t m;
  if (f80_classify(a) == F80_CL_ZERO) return (xf){s, 0, 0};
  f80_unpack(a, &s, &e, &m);
  xf r = {s, e - 16383, (u128)m << 64};
  return r;
}

static xf xf_neg(xf a) { a.s ^= 1; return a; }

static xf xf_add(xf a, xf b) {
  if (!a.m) return b;
  if (!b.m) return a;
  if (a.e < b.e || (a.e == b.e && a.m < b.m)) { xf t = a; a = b; b = t; }
  int32_t d = a.e - b.e;
  /* bits shifted out are kept as a sticky bit: an inexact result stays
   * inexact, on the right side, whatever the magnitudes */
  u128 bm = d >= 128 ? 1 : (b.m >> d) | ((b.m << (127 - d) << 1) != 0);
  if (a.s == b.s) {
    u128 m = a.m + bm;
    if (m < a.m) return (xf){a.s, a.e + 1, (m >> 1) | TOP};
    return (xf){a.s, a.e, m};
  }
  return xf_norm(a.s, a.e, a.m - bm);
}

static xf xf_sub(xf a, xf b) { return xf_add(a, xf_neg(b)); }

static xf xf_mul(xf a, xf b) {
  if (!a.m || !b.m) return (xf){a.s ^ b.s, 0, 0};
  uint64_t a1 = (uint64_t)(a.m >> 64), a0 = (uint64_t)a.m;
  uint64_t b1 = (uint64_t)(b.m >> 64), b0 = (uint64_t)b.m;
  u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0;
  u128 p11 = (u128)a1 * b1;
  u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
  u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  uint64_t lo = (uint64_t)mid;
  if (!(hi & TOP)) { hi = (hi << 1) | (lo >> 63); return (xf){a.s ^ b.s, a.e + b.e, hi}; }
  return (xf){a.s ^ b.s, a.e + b.e + 1, hi};
}

static xf xf_div(xf a, xf b) {
  if (!a.m) return (xf){a.s ^ b.s, 0, 0};
  u128 r = a.m, d = b.m, q = 0;
  int carry = 0;
  for (int k = 0; k < 128; k++) {
    q <<= 1;
    if (carry || r >= d) { r -= d; q |= 1; }
    carry = (int)(r >> 127);
    r <<= 1;
  }
  return xf_norm(a.s ^ b.s, a.e - b.e, q);
}

/* a / d for a small positive integer d */
static xf xf_divs(xf a, uint64_t d) {
  if (!a.m) return a;
  uint64_t m1 = (uint64_t)(a.m >> 64), m0 = (uint64_t)a.m;
  uint64_t q2 = m1 / d, r = m1 % d;
  u128 t = ((u128)r << 64) | m0;
  uint64_t q1 = (uint64_t)(t / d);
  r = (uint64_t)(t % d);
  uint64_t q0 = (uint64_t)(((u128)r << 64) / d);
  u128 hi = ((u128)q2 << 64) | q1, m;
  int sh = clz128(hi);
  if (sh == 0) m = hi;
  else if (sh < 64) m = (hi << sh) | (q0 >> (64 - sh));
  else m = (hi << sh) | ((u128)q0 << (sh - 64));
  return (xf){a.s, a.e - sh, m};
}

static xf xf_sqrt(xf a) {
  if (!a.m) return a;
  /* initial estimate from the top 64 bits, then Newton */
  int32_t E = a.e;
  uint64_t top = (uint64_t)(a.m >> 64);
  u128 M = (E & 1) ? (u128)top << 64 : (u128)top << 63;
  int32_t Er = (E & 1) ? (E - 1) / 2 : E / 2;
  u128 root = 0, bit = (u128)1 << 126;
  while (bit > M) bit >>= 2;
  while (bit) {
    if (M >= root + bit) { M -= root + bit; root = (root >> 1) + bit; }
    else root >>= 1;
    bit >>= 2;
  }
  xf s = xf_norm(0, Er - 63 + 127, root);
  for (int k = 0; k < 2; k++) {
    s = xf_add(s, xf_div(a, s));
    s.e--;
  }
  return s;
}

/* Round a transcendental result.  It is never exact (outside the cases
 * handled apart, which use xf_round_exact): a sticky bit keeps PE and
 * the directed roundings right when the approximation happens to land on
 * a representable value. */
static f80_t xf_round_exact(f80_env *e, xf a) {
  if (!a.m) return f80_make(a.s, 0, 0);
  if (a.e > 70000) a.e = 70000;
  if (a.e < -70000) a.e = -70000;
  return f80_roundpack(e, a.s, a.e + 16383, a.m, 64);
}
static f80_t xf_round(f80_env *e, xf a) {
  a.m |= 1;
  return xf_round_exact(e, a);
}
/* exact values of F2XM1 (integer x) and FYL2X (x a power of two): the
 * x87 still reports PE */
static f80_t xf_round_pe(f80_env *e, xf a) {
  f80_t r = xf_round_exact(e, a);
  if (a.m) e->ex |= F80_PE;
  return r;
}

static int small(xf term, xf sum) { return !term.m || term.e < sum.e - 132; }

/* sin (want_cos = 0) or cos of |r| <= pi/4 */
static xf sincos_series(xf r, int want_cos) {
  xf r2 = xf_mul(r, r);
  xf term = want_cos ? XF_ONE : r, sum = term;
  for (uint64_t n = want_cos ? 1 : 2; n < 200; n += 2) {
    term = xf_divs(xf_mul(term, r2), n * (n + 1));
    term.s ^= 1;
    sum = xf_add(sum, term);
    if (small(term, sum)) break;
  }
  return sum;
}

/* Reduce |a| (finite, < 2^63) modulo pi66/2: returns r and quadrant. */
static xf reduce(f80_t a, unsigned *quad) {
  xf x = xf_f80(a);
  x.s = 0;
  *quad = 0;
  if (x.e < -1) return x;
  int s;
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &s, &ea, &ma);
  int32_t E = ea - 16383;
  u128 X = (u128)ma << (E + 2);       /* units of 2^-65 */
  u128 k = X / PI66, R = X - k * PI66;
  int neg = 0;
  if (R > PI66 - R) { k++; R = PI66 - R; neg = 1; }
  *quad = (unsigned)(k & 3);
  return xf_norm(neg, -65 + 127, R);
}

static int trig_pre(f80_env *e, f80_t a, f80_t *r) {
  if (f80_pre1(e, a, r)) return 1;
  switch (f80_classify(a)) {
  case F80_CL_INF:
    e->ex |= F80_IE;
    *r = f80_indefinite();
    return 1;
  case F80_CL_ZERO:
    *r = a;
    return 1;
  default:
    return 0;
  }
}

static int too_big(f80_t a) {
  return f80_classify(a) == F80_CL_NORMAL && f80_exp(a) >= 16383 + 63;
}

static void sc(f80_t a, xf *sn, xf *cs) {
  unsigned q;
  xf r = reduce(a, &q);
  xf s = sincos_series(r, 0), c = sincos_series(r, 1);
  switch (q) {
  case 0: *sn = s; *cs = c; break;
  case 1: *sn = c; *cs = xf_neg(s); break;
  case 2: *sn = xf_neg(s); *cs = xf_neg(c); break;
  default: *sn = xf_neg(c); *cs = s; break;
  }
  if (f80_sign(a)) *sn = xf_neg(*sn);
}

int f80_sincos(f80_env *e, f80_t a, f80_t *s, f80_t *c) {
  if (too_big(a)) return 1;
  if (trig_pre(e, a, s)) {
    *c = *s;
    if (f80_classify(a) == F80_CL_ZERO) *c = f80_make(0, 16383, J_BIT);
    return 0;
  }
  xf sn, cs;
  sc(a, &sn, &cs);
  f80_env e2 = *e;
  *s = xf_round(e, sn);
  *c = xf_round(&e2, cs);
  /* C1 describes the last result pushed (the cosine) */
  e->ex = (uint16_t)((e->ex & ~F80_C1) | e2.ex);
  return 0;
}

int f80_sin(f80_env *e, f80_t a, f80_t *r) {
  if (too_big(a)) return 1;
  if (trig_pre(e, a, r)) return 0;
  xf sn, cs;
  sc(a, &sn, &cs);
  *r = xf_round(e, sn);
  return 0;
}

int f80_cos(f80_env *e, f80_t a, f80_t *r) {
  if (too_big(a)) return 1;
  if (trig_pre(e, a, r)) {
    if (f80_classify(a) == F80_CL_ZERO) *r = f80_make(0, 16383, J_BIT);
    return 0;
  }
  xf sn, cs;
  sc(a, &sn, &cs);
  *r = xf_round(e, cs);
  return 0;
}

int f80_tan(f80_env *e, f80_t a, f80_t *r) {
  if (too_big(a)) return 1;
  if (trig_pre(e, a, r)) return 0;
  xf sn, cs;
  sc(a, &sn, &cs);
  *r = xf_round(e, xf_div(sn, cs));
  return 0;
}

/* atan(t) for 0 <= t <= 1 */
static xf atan01(xf t) {
  int halvings = 0;
  while (t.m && t.e >= -4 && halvings < 4) {
    xf h = xf_sqrt(xf_add(XF_ONE, xf_mul(t, t)));
    t = xf_div(t, xf_add(XF_ONE, h));
    halvings++;
  }
  xf t2 = xf_mul(t, t), pw = t, sum = t;
  for (uint64_t n = 3; n < 400; n += 2) {
    pw = xf_mul(pw, t2);
    pw.s ^= 1;
    xf term = xf_divs(pw, n);
    sum = xf_add(sum, term);
    if (small(term, sum)) break;
  }
  sum.e += halvings;
  return sum;
}

static f80_t const_pi(f80_env *e, int sign, int num, int den) {
  xf p = xf_divs(XF_PI, (uint64_t)den);
  if (num != 1) p = xf_mul(p, xf_u((uint64_t)num));
  p.s = sign;
  return xf_round(e, p);
}

f80_t f80_atan2(f80_env *e, f80_t y, f80_t x) {
  f80_t r;
  if (f80_pre2(e, y, x, &r)) return r;
  int cy = f80_classify(y), cx = f80_classify(x);
  int sy = f80_sign(y), sx = f80_sign(x);
  if (cy == F80_CL_ZERO) {
    if (!sx) return f80_make(sy, 0, 0);
    return const_pi(e, sy, 1, 1);
  }
  if (cy == F80_CL_INF) {
    if (cx == F80_CL_INF) return const_pi(e, sy, sx ? 3 : 1, 4);
    return const_pi(e, sy, 1, 2);
  }
  if (cx == F80_CL_INF) return sx ? const_pi(e, sy, 1, 1) : f80_make(sy, 0, 0);
  if (cx == F80_CL_ZERO) return const_pi(e, sy, 1, 2);
  xf ay = xf_f80(y), ax = xf_f80(x), res;
  ay.s = ax.s = 0;
  int le = ay.e < ax.e || (ay.e == ax.e && ay.m <= ax.m);
  if (le) {
    res = atan01(xf_div(ay, ax));
    if (sx) res = xf_sub(XF_PI, res);
  } else {
    xf hp = XF_PI;
    hp.e--;
    xf t = atan01(xf_div(ax, ay));
    res = sx ? xf_add(hp, t) : xf_sub(hp, t);
  }
  res.s = sy;
  return xf_round(e, res);
}

/* e^y - 1 by its series (|y| < 1) */
static xf expm1_series(xf y) {
  xf term = y, sum = y;
  for (uint64_t n = 2; n < 200; n++) {
    term = xf_divs(xf_mul(term, y), n);
    sum = xf_add(sum, term);
    if (small(term, sum)) break;
  }
  return sum;
}

f80_t f80_2xm1(f80_env *e, f80_t a) {
  f80_t r;
  if (f80_pre1(e, a, &r)) return r;
  switch (f80_classify(a)) {
  case F80_CL_ZERO: return a;
  case F80_CL_INF: return f80_sign(a) ? f80_make(1, 16383, J_BIT) : a;
  default: break;
  }
  xf x = xf_f80(a);
  /* outside [-1,1] the x87 result is undefined: reduce 2^x = 2^n 2^f */
  int64_t n = 0;
  if (x.e >= 0) {
    if (x.e > 14) { x.e = 14; x.m = TOP; }
    int inexact = 0, up = 0;
    u128 q = f80_rshift_round(x.m, 127 - x.e, F80_RN, x.s, &inexact, &up);
    n = x.s ? -(int64_t)q : (int64_t)q;
    xf nn = xf_u((uint64_t)(n < 0 ? -n : n));
    nn.s = n < 0;
    x = xf_sub(x, nn);
  }
  int exact = !x.m;                     /* x was an integer */
  xf m = expm1_series(xf_mul(x, XF_LN2));
  if (n) {
    m = xf_add(m, XF_ONE);
    m.e += (int32_t)n;
    m = xf_sub(m, XF_ONE);
  }
  return exact ? xf_round_pe(e, m) : xf_round(e, m);
}

/* ln(m) for m in [sqrt(1/2), sqrt(2)] via 2 atanh((m-1)/(m+1)) */
static xf ln_near1(xf num, xf den) {
  xf s = xf_div(num, den);
  if (!s.m) return s;
  xf s2 = xf_mul(s, s), pw = s, sum = s;
  for (uint64_t n = 3; n < 400; n += 2) {
    pw = xf_mul(pw, s2);
    xf term = xf_divs(pw, n);
    sum = xf_add(sum, term);
    if (small(term, sum)) break;
  }
  sum.e++;
  return sum;
}

/* log2 of a positive finite xf */
static xf log2_xf(xf x) {
  int32_t E = x.e;
  xf m = {0, 0, x.m};
  /* m in [1,2); move to [sqrt(1/2), sqrt(2)) */
  if (x.m > (((u128)0xB504F333F9DE6484ull << 64) | 0x597D89B3754ABE9Full)) {
    m.e = -1;
    E++;
  }
  xf l = ln_near1(xf_sub(m, XF_ONE), xf_add(m, XF_ONE));
  l = xf_div(l, XF_LN2);
  xf ee = xf_u((uint64_t)(E < 0 ? -(int64_t)E : E));
  ee.s = E < 0;
  if (!E) return l;
  return xf_add(ee, l);
}

/* FYL2X / FYL2XP1 special operands; invalid and divide-by-zero outrank
 * the denormal-operand exception.  lx: sign of the logarithm (-1, 0 for
 * log = +0, 1), zx: the logarithm is -inf. */
f80_t f80_yl2x(f80_env *e, f80_t y, f80_t x) {
  f80_t r;
  if (f80_pre2_nd(e, y, x, &r)) return r;
  int cy = f80_classify(y), cx = f80_classify(x);
  int sy = f80_sign(y), sx = f80_sign(x);
  int is_one = f80_exp(x) == 16383 && x.signif == J_BIT;
  int below = cx != F80_CL_INF && f80_exp(x) < 16383;   /* log2(x) < 0 */
  if (cx == F80_CL_ZERO) {
    if (cy == F80_CL_ZERO) goto inval;
    if (cy != F80_CL_INF) e->ex |= F80_ZE;
    return f80_make(!sy, 0x7fff, J_BIT);
  }
  if (sx) goto inval;
  if (cy == F80_CL_ZERO && cx == F80_CL_INF) goto inval;
  if (cy == F80_CL_INF && is_one) goto inval;
  if (f80_de(e, y, x)) return f80_indefinite();
  if (cx == F80_CL_INF) return f80_make(sy, 0x7fff, J_BIT);
  if (cy == F80_CL_INF) return f80_make(sy ^ below, 0x7fff, J_BIT);
  if (cy == F80_CL_ZERO || is_one) return f80_make(sy ^ below, 0, 0);
  {
    xf l = log2_xf(xf_f80(x));
    xf r = xf_mul(xf_f80(y), l);
    /* log2 of a power of two is exact */
    return xf_f80(x).m != TOP ? xf_round(e, r) : xf_round_pe(e, r);
  }
inval:
  e->ex |= F80_IE;
  return f80_indefinite();
}

f80_t f80_yl2xp1(f80_env *e, f80_t y, f80_t x) {
  f80_t r;
  if (f80_pre2_nd(e, y, x, &r)) return r;
  int cy = f80_classify(y), cx = f80_classify(x);
  int sy = f80_sign(y), sx = f80_sign(x);
  xf ax = xf_f80(x);
  if (cx == F80_CL_ZERO) {
    if (cy == F80_CL_INF) goto inval;
    if (f80_de(e, y, x)) return f80_indefinite();
    return f80_make(sy ^ sx, 0, 0);
  }
  if (sx && (cx == F80_CL_INF || ax.e >= 0)) {
    if (ax.e == 0 && ax.m == TOP && cx != F80_CL_INF) {   /* x = -1 */
      if (cy == F80_CL_ZERO) goto inval;
      if (cy != F80_CL_INF) e->ex |= F80_ZE;
      return f80_make(!sy, 0x7fff, J_BIT);
    }
    goto inval;
  }
  if (cx == F80_CL_INF && cy == F80_CL_ZERO) goto inval;
  if (f80_de(e, y, x)) return f80_indefinite();
  if (cx == F80_CL_INF) return f80_make(sy, 0x7fff, J_BIT);
  if (cy == F80_CL_INF) return f80_make(sy ^ sx, 0x7fff, J_BIT);
  if (cy == F80_CL_ZERO) return f80_make(sy ^ sx, 0, 0);
  {
    xf l;
    if (ax.e < -2) {     /* |x| < 1/4: ln(1+x) = 2 atanh(x / (2 + x)) */
      xf two = XF_ONE;
      two.e = 1;
      l = xf_div(ln_near1(ax, xf_add(two, ax)), XF_LN2);
    } else {
      l = log2_xf(xf_add(XF_ONE, ax));
    }
    return xf_round(e, xf_mul(xf_f80(y), l));
  }
inval:
  e->ex |= F80_IE;
  return f80_indefinite();
}
