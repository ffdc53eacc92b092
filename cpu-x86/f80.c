/* 80-bit extended-precision softfloat: classification, rounding, the
 * basic operations, FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1, compares.
 * Semantics follow the x87 (SDM Vol. 1 ch. 4 and 8): tininess is
 * detected after rounding, precision control rounds the significand to
 * 24/53/64 bits but keeps the 15-bit exponent range, unnormals and
 * pseudo-NaN/infinity are invalid operands, NaN selection by larger
 * significand.  Checked bit-for-bit against the host x87 by
 * tests/unit/test_f80.c. */
#include "cpu-x86/f80.h"

typedef unsigned __int128 u128;
#define U128_TOP ((u128)1 << 127)
#define J_BIT 0x8000000000000000ull
#define Q_BIT 0x4000000000000000ull

int f80_classify(f80_t a) {
  unsigned e = f80_exp(a);
  uint64_t m = a.signif;
  if (e == 0) return m ? F80_CL_DENORMAL : F80_CL_ZERO;
  if (!(m & J_BIT)) return F80_CL_UNSUPPORTED;
  if (e == 0x7fff) {
    if (!(m << 1)) return F80_CL_INF;
    return (m & Q_BIT) ? F80_CL_QNAN : F80_CL_SNAN;
  }
  return F80_CL_NORMAL;
}

int f80_is_nan(f80_t a) {
  int c = f80_classify(a);
  return c == F80_CL_QNAN || c == F80_CL_SNAN;
}
int f80_is_snan(f80_t a) { return f80_classify(a) == F80_CL_SNAN; }

int f80_prec(uint16_t cw) {
  switch ((cw >> 8) & 3) {
  case 0: return 24;
  case 2: return 53;
  default: return 64;
  }
}

int f80_tag(f80_t a) {
  switch (f80_classify(a)) {
  case F80_CL_ZERO: return 1;
  case F80_CL_NORMAL: return 0;
  default: return 2;
  }
}

f80_t f80_quiet(f80_t a) {
  a.signif |= J_BIT | Q_BIT;
  return a;
}

void f80_unpack(f80_t a, int *sign, int32_t *exp, uint64_t *sig) {
  int32_t e = (int32_t)f80_exp(a);
  uint64_t m = a.signif;
  *sign = f80_sign(a);
  if (e == 0 && m) {
    int sh = __builtin_clzll(m);
    m <<= sh;
    e = 1 - sh;
  }
  *exp = e;
  *sig = m;
}

static inline int clz128(u128 v) {
  uint64_t hi = (uint64_t)(v >> 64);
  return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)v);
}

static inline u128 shr_jam(u128 v, int32_t n) {
  if (n <= 0) return v;
  if (n >= 128) return v != 0;
  return (v >> n) | ((v << (128 - n)) != 0);
}

/* Keep the top p bits of sig, rounding with rc.  A carry out of bit 127
 * leaves 0 (the caller renormalizes). */
static u128 rnd(u128 sig, int p, int rc, int sign, int *inexact, int *up) {
  int drop = 128 - p;
  u128 unit = (u128)1 << drop, mask = unit - 1, rem = sig & mask;
  u128 half = unit >> 1;
  sig &= ~mask;
  if (!rem) return sig;
  *inexact = 1;
  int inc;
  switch (rc) {
  case F80_RN: inc = rem > half || (rem == half && (sig & unit)); break;
  case F80_RD: inc = sign; break;
  case F80_RU: inc = !sign; break;
  default: inc = 0; break;
  }
  if (inc) { sig += unit; *up = 1; }
  return sig;
}

void f80_round_fmt(f80_env *e, int sign, int32_t *pexp, u128 *psig, int p,
                   int32_t bias, int32_t emax) {
  int rc = F80_RC(e->cw);
  int32_t exp = *pexp - 16383 + bias;
  u128 sig = *psig;
  int inexact = 0, up = 0;
  int tiny = exp <= 0;
  if (exp == 0) {
    /* the x87 detects tininess after rounding (to p bits, unbounded
     * exponent): a value rounding up to the smallest normal is not tiny */
    int i2 = 0, u2 = 0;
    if (!rnd(sig, p, rc, sign, &i2, &u2)) tiny = 0;
  }
  if (tiny) {
    if (e->cw & F80_UE) {
      sig = shr_jam(sig, 1 - exp);
      exp = 0;
      sig = rnd(sig, p, rc, sign, &inexact, &up);
      if (sig & U128_TOP) exp = 1;
      if (inexact) e->ex |= F80_UE;
    } else {
      e->ex |= F80_UE;
      if (bias != 16383) return;          /* store to memory: suppressed */
      exp += 24576;
      if (exp <= 0) {
        /* still tiny after the bias adjustment (FSCALE): signed zero */
        sig = 0;
        exp = 0;
        inexact = 1;
      } else {
        sig = rnd(sig, p, rc, sign, &inexact, &up);
        if (!sig) { sig = U128_TOP; exp++; }
      }
    }
  } else {
    sig = rnd(sig, p, rc, sign, &inexact, &up);
    if (!sig) { sig = U128_TOP; exp++; }
  }
  if (exp > emax) {
    e->ex |= F80_OE;
    if (e->cw & F80_OE) {
      inexact = 1;
      if (rc == F80_RN || (rc == F80_RU && !sign) || (rc == F80_RD && sign)) {
        exp = emax + 1;
        sig = U128_TOP;
        up = 1;
      } else {
        exp = emax;
        sig = ~(u128)0 << (128 - p);
        up = 0;
      }
    } else {
      exp -= 24576;
      if (exp > emax) {
        /* still too large after the bias adjustment (FSCALE): infinity */
        exp = emax + 1;
        sig = U128_TOP;
        inexact = up = 1;
      }
    }
  }
  if (inexact) {
    e->ex |= F80_PE;
    if (up) e->ex |= F80_C1;
  }
  *pexp = exp;
  *psig = sig;
}

f80_t f80_roundpack(f80_env *e, int sign, int32_t exp, u128 sig, int prec) {
  if (!sig) return f80_make(sign, 0, 0);
  int sh = clz128(sig);
  sig <<= sh;
  exp -= sh;
  f80_round_fmt(e, sign, &exp, &sig, prec, 16383, 0x7ffe);
  return f80_make(sign, (unsigned)exp, (uint64_t)(sig >> 64));
}

f80_t f80_propagate_nan(f80_env *e, f80_t a, f80_t b) {
  int an = f80_is_nan(a), bn = f80_is_nan(b);
  int as = f80_is_snan(a), bs = f80_is_snan(b);
  if (as || bs) e->ex |= F80_IE;
  if (an && bn) {
    if (as != bs) return f80_quiet(as ? b : a);
    if (a.signif != b.signif) return f80_quiet(a.signif > b.signif ? a : b);
    return f80_quiet(f80_sign(a) ? b : a);
  }
  return f80_quiet(an ? a : b);
}

int f80_pre1(f80_env *e, f80_t a, f80_t *r) {
  switch (f80_classify(a)) {
  case F80_CL_UNSUPPORTED:
    e->ex |= F80_IE;
    *r = f80_indefinite();
    return 1;
  case F80_CL_SNAN:
    e->ex |= F80_IE;
    /* fall through */
  case F80_CL_QNAN:
    *r = f80_quiet(a);
    return 1;
  case F80_CL_DENORMAL:
    e->ex |= F80_DE;
    if (!(e->cw & F80_DE)) { *r = f80_indefinite(); return 1; }
    return 0;
  default:
    return 0;
  }
}

int f80_pre2_nd(f80_env *e, f80_t a, f80_t b, f80_t *r) {
  int ca = f80_classify(a), cb = f80_classify(b);
  if (ca == F80_CL_UNSUPPORTED || cb == F80_CL_UNSUPPORTED) {
    e->ex |= F80_IE;
    *r = f80_indefinite();
    return 1;
  }
  if (ca == F80_CL_QNAN || ca == F80_CL_SNAN || cb == F80_CL_QNAN ||
      cb == F80_CL_SNAN) {
    *r = f80_propagate_nan(e, a, b);
    return 1;
  }
  return 0;
}

int f80_de(f80_env *e, f80_t a, f80_t b) {
  if (f80_classify(a) != F80_CL_DENORMAL && f80_classify(b) != F80_CL_DENORMAL)
    return 0;
  e->ex |= F80_DE;
  return !(e->cw & F80_DE);
}

int f80_pre2(f80_env *e, f80_t a, f80_t b, f80_t *r) {
  if (f80_pre2_nd(e, a, b, r)) return 1;
  if (f80_de(e, a, b)) { *r = f80_indefinite(); return 1; }
  return 0;
}

static inline f80_t inf(int s) { return f80_make(s, 0x7fff, J_BIT); }
static inline f80_t zero(int s) { return f80_make(s, 0, 0); }
/* a finite value as an exact result (pseudo-denormals normalized; a
 * denormal is tiny: UE when unmasked) */
static f80_t exact(f80_env *e, f80_t a) {
  if (f80_classify(a) != F80_CL_DENORMAL) return a;
  int s;
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &s, &ea, &ma);
  return f80_roundpack(e, s, ea, (u128)ma << 64, 64);
}
static f80_t invalid(f80_env *e) {
  e->ex |= F80_IE;
  return f80_indefinite();
}

static f80_t addsub(f80_env *e, f80_t a, f80_t b, int neg) {
  f80_t r;
  if (f80_pre2(e, a, b, &r)) return r;
  int ca = f80_classify(a), cb = f80_classify(b);
  int sa = f80_sign(a), sb = f80_sign(b) ^ neg;
  int prec = f80_prec(e->cw), rc = F80_RC(e->cw);
  if (ca == F80_CL_INF || cb == F80_CL_INF) {
    if (ca == F80_CL_INF && cb == F80_CL_INF && sa != sb) return invalid(e);
    return inf(ca == F80_CL_INF ? sa : sb);
  }
  if (ca == F80_CL_ZERO && cb == F80_CL_ZERO)
    return zero(sa == sb ? sa : rc == F80_RD);
  int32_t ea, eb;
  uint64_t ma, mb;
  int s;
  if (ca == F80_CL_ZERO || cb == F80_CL_ZERO) {
    if (ca == F80_CL_ZERO) { f80_unpack(b, &s, &eb, &mb); s = sb; }
    else f80_unpack(a, &s, &eb, &mb);
    return f80_roundpack(e, s, eb, (u128)mb << 64, prec);
  }
  f80_unpack(a, &s, &ea, &ma);
  f80_unpack(b, &s, &eb, &mb);
  if (ea < eb || (ea == eb && ma < mb)) {
    int32_t te = ea; ea = eb; eb = te;
    uint64_t tm = ma; ma = mb; mb = tm;
    int ts = sa; sa = sb; sb = ts;
  }
  u128 A = (u128)ma << 64, B = shr_jam((u128)mb << 64, ea - eb), R;
  if (sa == sb) {
    R = A + B;
    if (R < A) { R = (R >> 1) | (R & 1) | U128_TOP; ea++; }
  } else {
    R = A - B;
    if (!R) return zero(rc == F80_RD);
  }
  return f80_roundpack(e, sa, ea, R, prec);
}

f80_t f80_add(f80_env *e, f80_t a, f80_t b) { return addsub(e, a, b, 0); }
f80_t f80_sub(f80_env *e, f80_t a, f80_t b) { return addsub(e, a, b, 1); }

f80_t f80_mul(f80_env *e, f80_t a, f80_t b) {
  f80_t r;
  if (f80_pre2(e, a, b, &r)) return r;
  int ca = f80_classify(a), cb = f80_classify(b);
  int s = f80_sign(a) ^ f80_sign(b), t;
  if (ca == F80_CL_INF || cb == F80_CL_INF) {
    if (ca == F80_CL_ZERO || cb == F80_CL_ZERO) return invalid(e);
    return inf(s);
  }
  if (ca == F80_CL_ZERO || cb == F80_CL_ZERO) return zero(s);
  int32_t ea, eb;
  uint64_t ma, mb;
  f80_unpack(a, &t, &ea, &ma);
  f80_unpack(b, &t, &eb, &mb);
  return f80_roundpack(e, s, ea + eb - 16383 + 1, (u128)ma * mb,
                       f80_prec(e->cw));
}

f80_t f80_div(f80_env *e, f80_t a, f80_t b) {
  f80_t r;
  if (f80_pre2_nd(e, a, b, &r)) return r;
  int ca = f80_classify(a), cb = f80_classify(b);
  /* divide-by-zero outranks the denormal-operand exception */
  if (!(cb == F80_CL_ZERO && ca == F80_CL_DENORMAL) && f80_de(e, a, b))
    return f80_indefinite();
  int s = f80_sign(a) ^ f80_sign(b), t;
  if (ca == F80_CL_INF) return cb == F80_CL_INF ? invalid(e) : inf(s);
  if (cb == F80_CL_INF) return zero(s);
  if (cb == F80_CL_ZERO) {
    if (ca == F80_CL_ZERO) return invalid(e);
    e->ex |= F80_ZE;
    return inf(s);
  }
  if (ca == F80_CL_ZERO) return zero(s);
  int32_t ea, eb;
  uint64_t ma, mb;
  f80_unpack(a, &t, &ea, &ma);
  f80_unpack(b, &t, &eb, &mb);
  int32_t er = ea - eb + 16383;
  u128 A = ma;
  if (ma < mb) { A <<= 1; er--; }
  u128 num = A << 63;
  u128 q1 = num / mb, r1 = num % mb;
  u128 num2 = r1 << 64;
  u128 q2 = num2 / mb, r2 = num2 % mb;
  u128 R = (q1 << 64) | q2 | (r2 != 0);
  return f80_roundpack(e, s, er, R, f80_prec(e->cw));
}

/* floor(sqrt(m)) and the remainder m - root^2 */
static uint64_t isqrt128(u128 m, u128 *rem) {
  u128 root = 0, bit = (u128)1 << 126;
  while (bit > m) bit >>= 2;
  while (bit) {
    if (m >= root + bit) {
      m -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  *rem = m;
  return (uint64_t)root;
}

f80_t f80_sqrt(f80_env *e, f80_t a) {
  f80_t r;
  int ca = f80_classify(a);
  if (ca != F80_CL_DENORMAL && f80_pre1(e, a, &r)) return r;
  if (ca == F80_CL_ZERO) return a;
  if (f80_sign(a)) return invalid(e);
  if (ca == F80_CL_DENORMAL && f80_pre1(e, a, &r)) return r;
  if (ca == F80_CL_INF) return a;
  int s;
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &s, &ea, &ma);
  int32_t E = ea - 16383, Er;
  u128 M;
  if (E & 1) { M = (u128)ma << 64; Er = (E - 1) / 2; }
  else { M = (u128)ma << 63; Er = E / 2; }
  u128 rem;
  uint64_t root = isqrt128(M, &rem);
  u128 R = (u128)root << 64;
  if (rem > root) R |= ((u128)1 << 63) | 1;
  else if (rem) R |= 1;
  return f80_roundpack(e, 0, Er + 16383, R, f80_prec(e->cw));
}

u128 f80_rshift_round(u128 v, int s, int rc, int sign, int *inexact,
                      int *up) {
  if (s <= 0 || !v) return v;
  u128 q, rem;
  int cmp;
  if (s >= 128) {
    q = 0;
    rem = v;
    cmp = s > 128 ? -1 : (v > U128_TOP) - (v < U128_TOP);
  } else {
    u128 half = (u128)1 << (s - 1);
    q = v >> s;
    rem = v & ((half << 1) - 1);
    cmp = (rem > half) - (rem < half);
  }
  if (!rem) return q;
  *inexact = 1;
  int inc;
  switch (rc) {
  case F80_RN: inc = cmp > 0 || (cmp == 0 && (q & 1)); break;
  case F80_RD: inc = sign; break;
  case F80_RU: inc = !sign; break;
  default: inc = 0; break;
  }
  if (inc) { q++; *up = 1; }
  return q;
}

static f80_t pack_u64(int sign, int32_t exp63, uint64_t q) {
  /* value q * 2^(exp63 - 16383 - 63), q != 0, exact */
  int sh = __builtin_clzll(q);
  return f80_make(sign, (unsigned)(exp63 - sh), q << sh);
}

f80_t f80_round_int(f80_env *e, f80_t a) {
  f80_t r;
  if (f80_pre1(e, a, &r)) return r;
  int ca = f80_classify(a);
  if (ca == F80_CL_ZERO || ca == F80_CL_INF) return a;
  int s;
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &s, &ea, &ma);
  int32_t E = ea - 16383;
  if (E >= 63) return f80_make(s, (unsigned)ea, ma);
  int inexact = 0, up = 0;
  int f = 63 - E > 200 ? 200 : 63 - E;
  uint64_t q = (uint64_t)f80_rshift_round(ma, f, F80_RC(e->cw), s, &inexact,
                                          &up);
  if (inexact) e->ex |= F80_PE | (up ? F80_C1 : 0);
  if (!q) return zero(s);
  return pack_u64(s, 16383 + 63, q);
}

f80_t f80_scale(f80_env *e, f80_t a, f80_t b) {
  int ca = f80_classify(a), cb = f80_classify(b);
  if (ca == F80_CL_UNSUPPORTED || cb == F80_CL_UNSUPPORTED) return invalid(e);
  if (cb == F80_CL_QNAN || cb == F80_CL_SNAN || ca == F80_CL_QNAN ||
      ca == F80_CL_SNAN)
    return f80_propagate_nan(e, a, b);
  if (ca == F80_CL_DENORMAL || cb == F80_CL_DENORMAL) {
    e->ex |= F80_DE;
    if (!(e->cw & F80_DE)) return f80_indefinite();
  }
  int sa = f80_sign(a), sb = f80_sign(b);
  if (cb == F80_CL_INF) {
    if (sb) return ca == F80_CL_INF ? invalid(e) : zero(sa);
    return ca == F80_CL_ZERO ? invalid(e) : inf(sa);
  }
  if (ca == F80_CL_ZERO || ca == F80_CL_INF) return a;
  int32_t n = 0;
  if (cb != F80_CL_ZERO) {
    int t;
    int32_t eb;
    uint64_t mb;
    f80_unpack(b, &t, &eb, &mb);
    int32_t E = eb - 16383;
    if (E >= 20) n = 1 << 20;
    else if (E >= 0) n = (int32_t)(mb >> (63 - E));
    if (sb) n = -n;
  }
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &sa, &ea, &ma);
  return f80_roundpack(e, sa, ea + n, (u128)ma << 64, 64);
}

void f80_xtract(f80_env *e, f80_t a, f80_t *expo, f80_t *sig) {
  f80_t r;
  if (f80_pre1(e, a, &r)) { *expo = *sig = r; return; }
  switch (f80_classify(a)) {
  case F80_CL_ZERO:
    e->ex |= F80_ZE;
    *expo = inf(1);
    *sig = a;
    return;
  case F80_CL_INF:
    *expo = inf(0);
    *sig = a;
    return;
  default: break;
  }
  int s;
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &s, &ea, &ma);
  *expo = f80_from_i64(ea - 16383);
  *sig = f80_make(s, 16383, ma);
}

f80_t f80_rem(f80_env *e, f80_t a, f80_t b, int ieee, uint16_t *cc) {
  f80_t r;
  *cc = 0;
  if (f80_pre2_nd(e, a, b, &r)) return r;
  int ca = f80_classify(a), cb = f80_classify(b);
  if (ca == F80_CL_INF || cb == F80_CL_ZERO) return invalid(e);
  if (f80_de(e, a, b)) return f80_indefinite();
  if (ca == F80_CL_ZERO || cb == F80_CL_INF) return exact(e, a);
  int sa, sb;
  int32_t ea, eb;
  uint64_t ma, mb;
  f80_unpack(a, &sa, &ea, &ma);
  f80_unpack(b, &sb, &eb, &mb);
  int32_t d = ea - eb;
  int s = sa;
  u128 rem;
  uint64_t q = 0;
  int32_t er = eb;            /* rem is in units of 2^(er - 16383 - 63) */
  if (d >= 64) {
    /* partial remainder: reduce by b * 2^(d - n), truncating */
    int32_t n = 32 + d % 32;
    rem = ((u128)ma << n) % mb;
    er = eb + (d - n);
    *cc = F80_C2;
    if (!rem) return zero(s);
    return f80_roundpack(e, s, er + 64, rem, 64);
  }
  if (d < 0) {
    /* |a| < |b|: FPREM leaves a; FPREM1 subtracts b once when |a| > |b|/2
     * (units of 2^(ea - 16383 - 63): a = ma, b = 2 mb) */
    if (!ieee || d < -1 || (u128)ma <= (u128)mb) return exact(e, a);
    rem = ((u128)mb << 1) - ma;
    s ^= 1;
    q = 1;
    er = ea;
    goto done;
  }
  {
    u128 A = (u128)ma << d;
    q = (uint64_t)(A / mb);
    rem = A % mb;
    if (ieee) {
      u128 r2 = rem << 1;
      if (r2 > mb || (r2 == mb && (q & 1))) {
        rem = mb - rem;
        q++;
        s ^= 1;
      }
    }
  }
done:
  *cc = (uint16_t)(((q & 4) ? F80_C0 : 0) | ((q & 2) ? F80_C3 : 0) |
                   ((q & 1) ? F80_C1 : 0));
  if (!rem) return zero(sa);
  return f80_roundpack(e, s, er + 64, rem, 64);
}

int f80_compare(f80_env *e, f80_t a, f80_t b, int quiet) {
  int ca = f80_classify(a), cb = f80_classify(b);
  if (ca == F80_CL_UNSUPPORTED || cb == F80_CL_UNSUPPORTED) {
    e->ex |= F80_IE;
    return F80_UN;
  }
  int an = ca == F80_CL_QNAN || ca == F80_CL_SNAN;
  int bn = cb == F80_CL_QNAN || cb == F80_CL_SNAN;
  if (an || bn) {
    if (!quiet || ca == F80_CL_SNAN || cb == F80_CL_SNAN) e->ex |= F80_IE;
    return F80_UN;
  }
  if (ca == F80_CL_DENORMAL || cb == F80_CL_DENORMAL) e->ex |= F80_DE;
  if (ca == F80_CL_ZERO && cb == F80_CL_ZERO) return F80_EQ;
  int sa = f80_sign(a), sb = f80_sign(b);
  if (ca == F80_CL_ZERO) return sb ? F80_GT : F80_LT;
  if (cb == F80_CL_ZERO) return sa ? F80_LT : F80_GT;
  if (sa != sb) return sa ? F80_LT : F80_GT;
  int32_t ea, eb;
  uint64_t ma, mb;
  int t;
  f80_unpack(a, &t, &ea, &ma);
  f80_unpack(b, &t, &eb, &mb);
  int mag = ea != eb ? (ea > eb ? 1 : -1) : ma != mb ? (ma > mb ? 1 : -1) : 0;
  if (!mag) return F80_EQ;
  if (sa) mag = -mag;
  return mag > 0 ? F80_GT : F80_LT;
}

uint16_t f80_xam(f80_t a) {
  uint16_t c1 = f80_sign(a) ? F80_C1 : 0;
  switch (f80_classify(a)) {
  case F80_CL_QNAN:
  case F80_CL_SNAN: return c1 | F80_C0;
  case F80_CL_NORMAL: return c1 | F80_C2;
  case F80_CL_INF: return c1 | F80_C2 | F80_C0;
  case F80_CL_ZERO: return c1 | F80_C3;
  case F80_CL_DENORMAL: return c1 | F80_C3 | F80_C2;
  default: return c1;
  }
}
