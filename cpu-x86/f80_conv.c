/* 80-bit softfloat conversions: integers (FILD/FIST/FISTTP), float32 and
 * float64 (FLD/FST m32/m64), packed BCD (FBLD/FBSTP), constants. */
#include "cpu-x86/f80.h"

typedef unsigned __int128 u128;
#define J_BIT 0x8000000000000000ull

f80_t f80_from_i64(int64_t v) {
  if (!v) return f80_make(0, 0, 0);
  int s = v < 0;
  uint64_t m = s ? 0 - (uint64_t)v : (uint64_t)v;
  int sh = __builtin_clzll(m);
  return f80_make(s, (unsigned)(16383 + 63 - sh), m << sh);
}

int64_t f80_to_int(f80_env *e, f80_t a, int bits, int trunc) {
  int64_t indef = (int64_t)((uint64_t)-1 << (bits - 1));
  int ca = f80_classify(a);
  switch (ca) {
  case F80_CL_ZERO: return 0;
  case F80_CL_DENORMAL:   /* FIST raises no #D */
  case F80_CL_NORMAL: break;
  default:
    e->ex |= F80_IE;
    return indef;
  }
  int s;
  int32_t ea;
  uint64_t ma;
  f80_unpack(a, &s, &ea, &ma);
  int32_t E = ea - 16383;
  if (E >= 64) { e->ex |= F80_IE; return indef; }
  int inexact = 0, up = 0;
  int rc = trunc ? F80_RZ : F80_RC(e->cw);
  int sh = 63 - E > 200 ? 200 : 63 - E;
  u128 q = f80_rshift_round(ma, sh, rc, s, &inexact, &up);
  u128 lim = (u128)1 << (bits - 1);
  if (s ? q > lim : q >= lim) { e->ex |= F80_IE; return indef; }
  if (inexact) e->ex |= F80_PE | (up ? F80_C1 : 0);
  uint64_t v = (uint64_t)q;
  return (int64_t)(s ? 0 - v : v);
}

/* value = m * 2^(k) with m != 0: exact f80 */
static f80_t from_scaled(int s, uint64_t m, int32_t k) {
  int sh = __builtin_clzll(m);
  return f80_make(s, (unsigned)(16383 + 63 - sh + k), m << sh);
}

f80_t f80_from_f32(f80_env *e, uint32_t v) {
  int s = v >> 31;
  unsigned ex = (v >> 23) & 0xff;
  uint64_t fr = v & 0x7fffff;
  if (ex == 0xff) return f80_make(s, 0x7fff, J_BIT | fr << 40);
  if (ex == 0) {
    if (!fr) return f80_make(s, 0, 0);
    e->ex |= F80_DE;
    return from_scaled(s, fr, -149);
  }
  return f80_make(s, ex - 127 + 16383, J_BIT | fr << 40);
}

f80_t f80_from_f64(f80_env *e, uint64_t v) {
  int s = v >> 63;
  unsigned ex = (v >> 52) & 0x7ff;
  uint64_t fr = v & ((1ull << 52) - 1);
  if (ex == 0x7ff) return f80_make(s, 0x7fff, J_BIT | fr << 11);
  if (ex == 0) {
    if (!fr) return f80_make(s, 0, 0);
    e->ex |= F80_DE;
    return from_scaled(s, fr, -1074);
  }
  return f80_make(s, ex - 1023 + 16383, J_BIT | fr << 11);
}

f80_t f80_load_f32(f80_env *e, uint32_t v) {
  f80_t r = f80_from_f32(e, v);
  if (f80_is_snan(r)) { e->ex |= F80_IE; r = f80_quiet(r); }
  return r;
}

f80_t f80_load_f64(f80_env *e, uint64_t v) {
  f80_t r = f80_from_f64(e, v);
  if (f80_is_snan(r)) { e->ex |= F80_IE; r = f80_quiet(r); }
  return r;
}

/* FST m32/m64: the encoding in a format with p significand bits (p - 1
 * stored) and ebits exponent bits. */
static uint64_t to_small(f80_env *e, f80_t a, int p, int32_t bias,
                         int32_t emax, int ebits) {
  int fbits = p - 1;
  uint64_t sbit = (uint64_t)f80_sign(a) << (fbits + ebits);
  uint64_t einf = (uint64_t)((1u << ebits) - 1) << fbits;
  uint64_t qbit = 1ull << (fbits - 1);
  switch (f80_classify(a)) {
  case F80_CL_UNSUPPORTED:
    e->ex |= F80_IE;
    return (1ull << (fbits + ebits)) | einf | qbit;
  case F80_CL_SNAN:
    e->ex |= F80_IE;
    /* fall through */
  case F80_CL_QNAN:
    return sbit | einf | qbit | ((a.signif << 1) >> (64 - fbits));
  case F80_CL_INF: return sbit | einf;
  case F80_CL_ZERO: return sbit;
  default: break;       /* FST m32/m64 raises no #D */
  }
  int s;
  int32_t ex;
  uint64_t m;
  f80_unpack(a, &s, &ex, &m);
  u128 sig = (u128)m << 64;
  uint16_t ex0 = e->ex;
  f80_round_fmt(e, s, &ex, &sig, p, bias, emax);
  /* unmasked overflow/underflow on a store: nothing is stored and only
   * OE or UE is reported */
  uint16_t nw = e->ex & ~ex0;
  if (nw & ~e->cw & (F80_OE | F80_UE)) e->ex = ex0 | (nw & (F80_OE | F80_UE));
  uint64_t frac = (uint64_t)(sig >> (128 - p)) & ((1ull << fbits) - 1);
  return sbit | ((uint64_t)(ex & ((1 << ebits) - 1)) << fbits) | frac;
}

uint32_t f80_to_f32(f80_env *e, f80_t a) {
  return (uint32_t)to_small(e, a, 24, 127, 0xfe, 8);
}

uint64_t f80_to_f64(f80_env *e, f80_t a) {
  return to_small(e, a, 53, 1023, 0x7fe, 11);
}

f80_t f80_from_bcd(const uint8_t in[10]) {
  uint64_t v = 0;
  for (int k = 8; k >= 0; k--)
    v = v * 100 + (in[k] >> 4) * 10 + (in[k] & 15);
  int s = in[9] >> 7;
  if (!v) return f80_make(s, 0, 0);
  return from_scaled(s, v, 0);
}

void f80_to_bcd(f80_env *e, f80_t a, uint8_t out[10]) {
  static const uint8_t indef[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
  int ca = f80_classify(a);
  uint64_t v = 0;
  int s = f80_sign(a);
  switch (ca) {
  case F80_CL_ZERO: break;
  case F80_CL_DENORMAL:  /* FBSTP raises no #D */
  case F80_CL_NORMAL: {
    int32_t ex;
    uint64_t m;
    f80_unpack(a, &s, &ex, &m);
    int32_t E = ex - 16383;
    if (E >= 60) goto bad;
    int inexact = 0, up = 0, sh = 63 - E > 200 ? 200 : 63 - E;
    v = (uint64_t)f80_rshift_round(m, sh, F80_RC(e->cw), s, &inexact, &up);
    if (v > 999999999999999999ull) goto bad;
    if (inexact) e->ex |= F80_PE | (up ? F80_C1 : 0);
    break;
  }
  default:
    goto bad;
  }
  for (int k = 0; k < 9; k++) {
    unsigned lo = v % 10, hi = (v / 10) % 10;
    v /= 100;
    out[k] = (uint8_t)(hi << 4 | lo);
  }
  out[9] = s ? 0x80 : 0;
  return;
bad:
  e->ex |= F80_IE;
  for (int k = 0; k < 10; k++) out[k] = indef[k];
}

f80_t f80_const(int k, uint16_t cw) {
  /* significands rounded to nearest; the x87 keeps more bits and rounds
   * per RC: `down` = the nearest value is above the constant (RD/RZ take
   * one less), `up` = below (RU takes one more). */
  static const struct { uint16_t se; uint64_t m; int8_t dir; } t[7] = {
    {0x3fff, 0x8000000000000000ull, 0},
    {0x4000, 0xD49A784BCD1B8AFEull, +1},  /* log2(10) */
    {0x3fff, 0xB8AA3B295C17F0BCull, -1},  /* log2(e) */
    {0x4000, 0xC90FDAA22168C235ull, -1},  /* pi */
    {0x3ffd, 0x9A209A84FBCFF799ull, -1},  /* log10(2) */
    {0x3ffe, 0xB17217F7D1CF79ACull, -1},  /* ln(2) */
    {0x0000, 0, 0},
  };
  int rc = F80_RC(cw);
  uint64_t m = t[k].m;
  if (t[k].dir < 0 && (rc == F80_RD || rc == F80_RZ)) m--;
  if (t[k].dir > 0 && rc == F80_RU) m++;
  return f80_make(0, t[k].se, m);
}
