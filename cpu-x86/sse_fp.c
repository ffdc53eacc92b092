/* SSE/SSE2/SSE3/SSE4.1 floating point: ADD SUB MUL DIV SQRT (packed and
 * scalar), ADDSUB, HADD/HSUB, MIN/MAX, CMPcc, (U)COMIS, RCP/RSQRT,
 * AND/ANDN/OR/XOR, SHUFPS/PD, UNPCKL/H, BLEND(V)PS/PD, ROUND, DPPS/DPPD,
 * INSERTPS, EXTRACTPS.
 *
 * The IEEE basic operations (which the SDM defines bit for bit, NaN rules
 * included) run as the same host instruction inside the hx_enter/hx_leave
 * bracket, which applies the guest's RC/FTZ/DAZ and collects the flags.
 * Compares, MIN/MAX, ROUND, RCP/RSQRT are computed in software. */
#include "cpu-x86/sse_impl.h"

/* ---- host-executed arithmetic ----------------------------------------- */
static inline uint32_t tiny_of(const struct vcpu *c, const xmm_t *r, int k) {
  switch (k) {
  case K_PS: return tiny32(c, r->d, 4);
  case K_SS: return tiny32(c, r->d, 1);
  case K_PD: return tiny64(c, r->q, 2);
  default: return tiny64(c, r->q, 1);
  }
}
static inline void fsrc(struct vcpu *c, const insn_t *i, xmm_t *s, int k) {
  if (k == K_PS || k == K_PD) src_a16(c, i, s);
  else src_n(c, i, s, k == K_SS ? 4 : 8);
}

/* dst = dst OP src with the host instruction INSN (op: for the slow path;
 * -1 = cannot overflow or underflow) */
#define HOP(name, insn, kind, op)                                           \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s, r;                                                             \
    fsrc(c, i, &s, kind);                                                   \
    v4f a = ldv(&c->xmm[i->reg]), b = ldv(&s);                              \
    uint32_t o = hx_enter(c);                                               \
    __asm__ volatile(insn " %1, %0" : "+x"(a) : "x"(b));                    \
    uint32_t f = hx_leave(o);                                               \
    stv(&r, a);                                                             \
    if (op >= 0) {                                                          \
      f |= tiny_of(c, &r, kind);                                            \
      if (__builtin_expect(slow_needed(c, f), 0))                           \
        f = sse_slow_flags(c, op, kind, &c->xmm[i->reg], &s);               \
    }                                                                       \
    mx_commit(c, f);                                                        \
    c->xmm[i->reg] = r;                                                     \
    return i + 1;                                                           \
  }
HOP(addps, "addps", K_PS, OP_ADD) HOP(addpd, "addpd", K_PD, OP_ADD)
HOP(addss, "addss", K_SS, OP_ADD) HOP(addsd, "addsd", K_SD, OP_ADD)
HOP(subps, "subps", K_PS, OP_SUB) HOP(subpd, "subpd", K_PD, OP_SUB)
HOP(subss, "subss", K_SS, OP_SUB) HOP(subsd, "subsd", K_SD, OP_SUB)
HOP(mulps, "mulps", K_PS, OP_MUL) HOP(mulpd, "mulpd", K_PD, OP_MUL)
HOP(mulss, "mulss", K_SS, OP_MUL) HOP(mulsd, "mulsd", K_SD, OP_MUL)
HOP(divps, "divps", K_PS, OP_DIV) HOP(divpd, "divpd", K_PD, OP_DIV)
HOP(divss, "divss", K_SS, OP_DIV) HOP(divsd, "divsd", K_SD, OP_DIV)
HOP(sqrtps, "sqrtps", K_PS, -1) HOP(sqrtpd, "sqrtpd", K_PD, -1)
HOP(sqrtss, "sqrtss", K_SS, -1) HOP(sqrtsd, "sqrtsd", K_SD, -1)
HOP(addsubps, "addsubps", K_PS, OP_ADDSUB) HOP(addsubpd, "addsubpd", K_PD, OP_ADDSUB)
HOP(haddps, "haddps", K_PS, OP_HADD) HOP(haddpd, "haddpd", K_PD, OP_HADD)
HOP(hsubps, "hsubps", K_PS, OP_HSUB) HOP(hsubpd, "hsubpd", K_PD, OP_HSUB)

/* ---- compares --------------------------------------------------------- */
static inline uint32_t daz32(const struct vcpu *c, uint32_t x) {
  return ((c->mxcsr & MX_DAZ) && f32_den(x)) ? x & 0x80000000u : x;
}
static inline uint64_t daz64(const struct vcpu *c, uint64_t x) {
  return ((c->mxcsr & MX_DAZ) && f64_den(x)) ? x & (1ull << 63) : x;
}
static inline float asf(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }
static inline double asd(uint64_t x) { double f; memcpy(&f, &x, 8); return f; }

/* predicate 0..7 on ordered values (lt, eq) or unordered */
static inline int pred_res(unsigned p, int unord, int lt, int eq) {
  switch (p & 7) {
  case 0: return !unord && eq;
  case 1: return !unord && lt;
  case 2: return !unord && (lt || eq);
  case 3: return unord;
  case 4: return unord || !eq;
  case 5: return unord || !lt;
  case 6: return unord || !(lt || eq);
  default: return !unord;
  }
}
/* signaling predicates (LT LE NLT NLE) raise IE on a QNaN too */
static inline int pred_sig(unsigned p) { p &= 3; return p == 1 || p == 2; }

static uint32_t cmp32(const struct vcpu *c, uint32_t a, uint32_t b,
                      unsigned p, uint32_t *f) {
  if (f32_nan(a) || f32_nan(b)) {
    if (f32_snan(a) || f32_snan(b) || pred_sig(p)) *f |= MX_IE;
    return pred_res(p, 1, 0, 0) ? ~0u : 0;
  }
  if (!(c->mxcsr & MX_DAZ) && (f32_den(a) || f32_den(b))) *f |= MX_DE;
  float x = asf(daz32(c, a)), y = asf(daz32(c, b));
  return pred_res(p, 0, x < y, x == y) ? ~0u : 0;
}
static uint64_t cmp64(const struct vcpu *c, uint64_t a, uint64_t b,
                      unsigned p, uint32_t *f) {
  if (f64_nan(a) || f64_nan(b)) {
    if (f64_snan(a) || f64_snan(b) || pred_sig(p)) *f |= MX_IE;
    return pred_res(p, 1, 0, 0) ? ~0ull : 0;
  }
  if (!(c->mxcsr & MX_DAZ) && (f64_den(a) || f64_den(b))) *f |= MX_DE;
  double x = asd(daz64(c, a)), y = asd(daz64(c, b));
  return pred_res(p, 0, x < y, x == y) ? ~0ull : 0;
}

static const insn_t *cmpps(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  uint32_t f = 0;
  for (int k = 0; k < 4; k++) r.d[k] = cmp32(c, d->d[k], s.d[k], (unsigned)i->imm, &f);
  mx_commit(c, f);
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *cmppd(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  uint32_t f = 0;
  for (int k = 0; k < 2; k++) r.q[k] = cmp64(c, d->q[k], s.q[k], (unsigned)i->imm, &f);
  mx_commit(c, f);
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *cmpss(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_n(c, i, &s, 4);
  uint32_t f = 0;
  uint32_t v = cmp32(c, c->xmm[i->reg].d[0], s.d[0], (unsigned)i->imm, &f);
  mx_commit(c, f);
  c->xmm[i->reg].d[0] = v;
  return i + 1;
}
static const insn_t *cmpsd(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_n(c, i, &s, 8);
  uint32_t f = 0;
  uint64_t v = cmp64(c, c->xmm[i->reg].q[0], s.q[0], (unsigned)i->imm, &f);
  mx_commit(c, f);
  c->xmm[i->reg].q[0] = v;
  return i + 1;
}

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF; OF SF AF cleared */
static void comi_flags(struct vcpu *c, int unord, int lt, int eq, uint32_t f) {
  mx_commit(c, f);
  flags_set_arith(c, unord ? (F_ZF | F_PF | F_CF) : lt ? F_CF : eq ? F_ZF : 0);
}
static const insn_t *comiss(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_n(c, i, &s, 4);
  uint32_t a = c->xmm[i->reg].d[0], b = s.d[0], f = 0;
  int sig = i->opc == 0x2F;
  if (f32_nan(a) || f32_nan(b)) {
    if (sig || f32_snan(a) || f32_snan(b)) f |= MX_IE;
    comi_flags(c, 1, 0, 0, f);
    return i + 1;
  }
  if (!(c->mxcsr & MX_DAZ) && (f32_den(a) || f32_den(b))) f |= MX_DE;
  float x = asf(daz32(c, a)), y = asf(daz32(c, b));
  comi_flags(c, 0, x < y, x == y, f);
  return i + 1;
}
static const insn_t *comisd(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_n(c, i, &s, 8);
  uint64_t a = c->xmm[i->reg].q[0], b = s.q[0];
  uint32_t f = 0;
  int sig = i->opc == 0x2F;
  if (f64_nan(a) || f64_nan(b)) {
    if (sig || f64_snan(a) || f64_snan(b)) f |= MX_IE;
    comi_flags(c, 1, 0, 0, f);
    return i + 1;
  }
  if (!(c->mxcsr & MX_DAZ) && (f64_den(a) || f64_den(b))) f |= MX_DE;
  double x = asd(daz64(c, a)), y = asd(daz64(c, b));
  comi_flags(c, 0, x < y, x == y, f);
  return i + 1;
}

/* ---- MIN / MAX: the second operand unless first < second (max: >) ----
 * Any NaN (even QNaN) is invalid and yields the second operand as is
 * (after DAZ); equal values (e.g. +0/-0) yield the second operand. */
static inline uint32_t minmax32(const struct vcpu *c, uint32_t a, uint32_t b,
                                int max, uint32_t *f) {
  if (c->mxcsr & MX_DAZ) { a = daz32(c, a); b = daz32(c, b); }
  if (f32_nan(a) || f32_nan(b)) { *f |= MX_IE; return b; }
  if (f32_den(a) || f32_den(b)) *f |= MX_DE;
  float x = asf(a), y = asf(b);
  return (max ? x > y : x < y) ? a : b;
}
static inline uint64_t minmax64(const struct vcpu *c, uint64_t a, uint64_t b,
                                int max, uint32_t *f) {
  if (c->mxcsr & MX_DAZ) { a = daz64(c, a); b = daz64(c, b); }
  if (f64_nan(a) || f64_nan(b)) { *f |= MX_IE; return b; }
  if (f64_den(a) || f64_den(b)) *f |= MX_DE;
  double x = asd(a), y = asd(b);
  return (max ? x > y : x < y) ? a : b;
}
#define MINMAX(name, max, kind)                                             \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s, r = c->xmm[i->reg];                                            \
    fsrc(c, i, &s, kind);                                                   \
    uint32_t f = 0;                                                         \
    if (kind == K_PS || kind == K_SS)                                       \
      for (int k = 0; k < (kind == K_PS ? 4 : 1); k++)                      \
        r.d[k] = minmax32(c, r.d[k], s.d[k], max, &f);                      \
    else                                                                    \
      for (int k = 0; k < (kind == K_PD ? 2 : 1); k++)                      \
        r.q[k] = minmax64(c, r.q[k], s.q[k], max, &f);                      \
    mx_commit(c, f);                                                        \
    c->xmm[i->reg] = r;                                                     \
    return i + 1;                                                           \
  }
MINMAX(minps, 0, K_PS) MINMAX(minpd, 0, K_PD) MINMAX(minss, 0, K_SS) MINMAX(minsd, 0, K_SD)
MINMAX(maxps, 1, K_PS) MINMAX(maxpd, 1, K_PD) MINMAX(maxss, 1, K_SS) MINMAX(maxsd, 1, K_SD)

/* ---- RCP / RSQRT -------------------------------------------------------
 * The SDM allows |relative error| <= 1.5 * 2^-12 and leaves the exact
 * value to the implementation; host results differ between vendors, so
 * the model is deterministic: the reciprocal rounded to 12 significant
 * bits (error <= 2^-13).  No MXCSR flags, no MXCSR dependence: denormal
 * inputs act as zero, tiny results flush to signed zero, NaNs are quieted. */
static inline uint32_t round12(double v) {
  float r = (float)v;          /* host default rounding (nearest) */
  uint32_t x;
  memcpy(&x, &r, 4);
  x = (x + 0x400u) & ~0x7ffu;  /* 11 fraction bits, round half up */
  return x;
}
static uint32_t rcp32(uint32_t a) {
  uint32_t s = a & 0x80000000u;
  if (f32_nan(a)) return a | 0x00400000u;
  if ((a & 0x7f800000u) == 0) return s | 0x7f800000u;            /* 0, denormal */
  if ((a & 0x7fffffffu) == 0x7f800000u) return s;                  /* inf */
  double r = 1.0 / (double)asf(a & 0x7fffffffu);
  if (r < 0x1p-126) return s;                                      /* tiny */
  return s | round12(r);
}
static uint32_t rsqrt32(uint32_t a) {
  uint32_t s = a & 0x80000000u;
  if (f32_nan(a)) return a | 0x00400000u;
  if ((a & 0x7f800000u) == 0) return s | 0x7f800000u;            /* 0, denormal */
  if (s) return F32_QNAN_DEFAULT;
  if (a == 0x7f800000u) return 0;
  return round12(1.0 / __builtin_sqrt((double)asf(a)));
}
static const insn_t *rcpps(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  uint32_t o = hx_default();
  for (int k = 0; k < 4; k++) r.d[k] = i->opc == 0x53 ? rcp32(s.d[k]) : rsqrt32(s.d[k]);
  hx_leave(o);
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *rcpss(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_n(c, i, &s, 4);
  uint32_t o = hx_default();
  uint32_t v = i->opc == 0x53 ? rcp32(s.d[0]) : rsqrt32(s.d[0]);
  hx_leave(o);
  c->xmm[i->reg].d[0] = v;
  return i + 1;
}

/* ---- logic, shuffles, unpacks, blends ---------------------------------- */
#define LOGIC(name, expr)                                                   \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s;                                                                \
    src_a16(c, i, &s);                                                      \
    xmm_t *d = &c->xmm[i->reg];                                             \
    for (int k = 0; k < 2; k++) { uint64_t x = d->q[k], y = s.q[k]; d->q[k] = (expr); } \
    return i + 1;                                                           \
  }
LOGIC(andps, x & y) LOGIC(andnps, ~x & y) LOGIC(orps, x | y) LOGIC(xorps, x ^ y)

static const insn_t *shufps(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  unsigned m = (unsigned)i->imm;
  r.d[0] = d->d[m & 3];
  r.d[1] = d->d[(m >> 2) & 3];
  r.d[2] = s.d[(m >> 4) & 3];
  r.d[3] = s.d[(m >> 6) & 3];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *shufpd(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  r.q[0] = d->q[i->imm & 1];
  r.q[1] = s.q[(i->imm >> 1) & 1];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *unpcklps(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  r.d[0] = d->d[0]; r.d[1] = s.d[0]; r.d[2] = d->d[1]; r.d[3] = s.d[1];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *unpckhps(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  r.d[0] = d->d[2]; r.d[1] = s.d[2]; r.d[2] = d->d[3]; r.d[3] = s.d[3];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *unpcklpd(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  c->xmm[i->reg].q[1] = s.q[0];
  return i + 1;
}
static const insn_t *unpckhpd(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  d->q[0] = d->q[1];
  d->q[1] = s.q[1];
  return i + 1;
}
static const insn_t *blendps(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  for (int k = 0; k < 4; k++) if (i->imm & (1u << k)) d->d[k] = s.d[k];
  return i + 1;
}
static const insn_t *blendpd(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  for (int k = 0; k < 2; k++) if (i->imm & (1u << k)) d->q[k] = s.q[k];
  return i + 1;
}
static const insn_t *blendvps(struct vcpu *c, const insn_t *i) {
  xmm_t s, m = c->xmm[0];
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  for (int k = 0; k < 4; k++) if (m.d[k] >> 31) d->d[k] = s.d[k];
  return i + 1;
}
static const insn_t *blendvpd(struct vcpu *c, const insn_t *i) {
  xmm_t s, m = c->xmm[0];
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  for (int k = 0; k < 2; k++) if (m.q[k] >> 63) d->q[k] = s.q[k];
  return i + 1;
}

/* ---- ROUNDPS/PD/SS/SD ------------------------------------------------
 * imm[1:0] rounding (nearest, down, up, truncate), imm[2] use MXCSR.RC,
 * imm[3] suppress PE.  SNaN -> IE and quieted; DAZ applies; no DE. */
static uint32_t round32(const struct vcpu *c, uint32_t a, unsigned imm, uint32_t *f) {
  unsigned rc = (imm & 4) ? MX_RC(c->mxcsr) : (imm & 3);
  if (f32_nan(a)) { if (f32_snan(a)) *f |= MX_IE; return a | 0x00400000u; }
  a = daz32(c, a);
  if ((a & 0x7f800000u) >= 0x4b000000u) return a;   /* |x| >= 2^23, inf */
  int inexact = 0;
  float r = (float)round_mode((double)asf(a), rc, &inexact);
  if (inexact && !(imm & 8)) *f |= MX_PE;
  uint32_t x;
  memcpy(&x, &r, 4);
  return x;
}
static uint64_t round64(const struct vcpu *c, uint64_t a, unsigned imm, uint32_t *f) {
  unsigned rc = (imm & 4) ? MX_RC(c->mxcsr) : (imm & 3);
  if (f64_nan(a)) { if (f64_snan(a)) *f |= MX_IE; return a | 0x0008000000000000ull; }
  a = daz64(c, a);
  if ((a & 0x7ff0000000000000ull) >= 0x4330000000000000ull) return a;  /* >= 2^52 */
  int inexact = 0;
  double r = round_mode(asd(a), rc, &inexact);
  if (inexact && !(imm & 8)) *f |= MX_PE;
  uint64_t x;
  memcpy(&x, &r, 8);
  return x;
}
#define ROUND(name, kind)                                                   \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s, r = c->xmm[i->reg];                                            \
    fsrc(c, i, &s, kind);                                                   \
    uint32_t f = 0;                                                         \
    unsigned imm = (unsigned)i->imm;                                        \
    if (kind == K_PS) for (int k = 0; k < 4; k++) r.d[k] = round32(c, s.d[k], imm, &f); \
    else if (kind == K_SS) r.d[0] = round32(c, s.d[0], imm, &f);            \
    else if (kind == K_PD) for (int k = 0; k < 2; k++) r.q[k] = round64(c, s.q[k], imm, &f); \
    else r.q[0] = round64(c, s.q[0], imm, &f);                              \
    mx_commit(c, f);                                                        \
    c->xmm[i->reg] = r;                                                     \
    return i + 1;                                                           \
  }
ROUND(roundps, K_PS) ROUND(roundpd, K_PD) ROUND(roundss, K_SS) ROUND(roundsd, K_SD)

/* ---- DPPS / DPPD: products of the selected lanes (others +0.0), summed
 * pairwise as in the SDM pseudo-code, each step rounded under MXCSR.  The
 * steps behave as separate SIMD operations, each with the usual rule (an
 * unmasked exception faults after that step, with only the IE/DE/ZE of the
 * step when one of those is unmasked) and the flags of the earlier steps
 * kept; an intermediate denormal is a denormal operand of the next step. */
static void dp_stage(struct vcpu *c, uint32_t fs, uint32_t *acc) {
  uint32_t um = mx_unmasked(c), pre = MX_IE | MX_DE | MX_ZE;
  if (fs & um) {
    c->mxcsr |= *acc | ((fs & pre & um) ? fs & pre : fs);
    cpu_raise(c, EXC_XM, 0, 0);
  }
  *acc |= fs;
}
static void dp_commit(struct vcpu *c, uint32_t f) { c->mxcsr |= f; }
static const insn_t *dpps(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  unsigned imm = (unsigned)i->imm;
  uint64_t t[4], u, v, w;
  uint32_t f = 0, g = 0;
  for (int k = 0; k < 4; k++) {
    t[k] = 0;
    if (imm & (16u << k)) g |= sse_lane(c, OP_MUL, 0, d->d[k], s.d[k], &t[k]);
  }
  dp_stage(c, g, &f);
  g = sse_lane(c, OP_ADD, 0, t[0], t[1], &u) | sse_lane(c, OP_ADD, 0, t[2], t[3], &v);
  dp_stage(c, g, &f);
  dp_stage(c, sse_lane(c, OP_ADD, 0, u, v, &w), &f);
  for (int k = 0; k < 4; k++) r.d[k] = (imm & (1u << k)) ? (uint32_t)w : 0;
  dp_commit(c, f);
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *dppd(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  const xmm_t *d = &c->xmm[i->reg];
  unsigned imm = (unsigned)i->imm;
  uint64_t t[2], w;
  uint32_t f = 0, g = 0;
  for (int k = 0; k < 2; k++) {
    t[k] = 0;
    if (imm & (16u << k)) g |= sse_lane(c, OP_MUL, 1, d->q[k], s.q[k], &t[k]);
  }
  dp_stage(c, g, &f);
  dp_stage(c, sse_lane(c, OP_ADD, 1, t[0], t[1], &w), &f);
  for (int k = 0; k < 2; k++) r.q[k] = (imm & (1u << k)) ? w : 0;
  dp_commit(c, f);
  c->xmm[i->reg] = r;
  return i + 1;
}

/* ---- INSERTPS / EXTRACTPS --------------------------------------------- */
static const insn_t *insertps(struct vcpu *c, const insn_t *i) {
  unsigned imm = (unsigned)i->imm;
  uint32_t v = i->mod3 ? c->xmm[i->rm].d[(imm >> 6) & 3] : rd32(c, ea_of(c, i));
  xmm_t *d = &c->xmm[i->reg];
  d->d[(imm >> 4) & 3] = v;
  for (int k = 0; k < 4; k++) if (imm & (1u << k)) d->d[k] = 0;
  return i + 1;
}
static const insn_t *extractps(struct vcpu *c, const insn_t *i) {
  uint32_t v = c->xmm[i->reg].d[i->imm & 3];
  if (i->mod3) c->r[i->rm] = v;
  else wr32(c, ea_of(c, i), v);
  return i + 1;
}

#define S (A_MODRM | A_SSE)
#define SI (A_MODRM | A_SSE | A_IMM8)
void sse_fp_register(void) {
  static const struct { uint8_t opc; insn_fn f[4]; } ar[] = {
    {0x51, {sqrtps, sqrtpd, sqrtss, sqrtsd}},
    {0x58, {addps, addpd, addss, addsd}},
    {0x59, {mulps, mulpd, mulss, mulsd}},
    {0x5C, {subps, subpd, subss, subsd}},
    {0x5D, {minps, minpd, minss, minsd}},
    {0x5E, {divps, divpd, divss, divsd}},
    {0x5F, {maxps, maxpd, maxss, maxsd}},
    {0xC2, {cmpps, cmppd, cmpss, cmpsd}},
  };
  for (unsigned k = 0; k < sizeof ar / sizeof ar[0]; k++)
    for (int p = 0; p < 4; p++)
      op_def(1, ar[k].opc, p, -1, ar[k].f[p], NULL,
             ar[k].opc == 0xC2 ? SI : S, ar[k].opc == 0x5E || ar[k].opc == 0x51 ? CC_FPDIV : CC_SSE);
  op_def(1, 0x52, 0, -1, rcpps, NULL, S, CC_SSE);
  op_def(1, 0x52, 2, -1, rcpss, NULL, S, CC_SSE);
  op_def(1, 0x53, 0, -1, rcpps, NULL, S, CC_SSE);
  op_def(1, 0x53, 2, -1, rcpss, NULL, S, CC_SSE);
  op_def(1, 0xD0, 1, -1, addsubpd, NULL, S, CC_SSE);
  op_def(1, 0xD0, 3, -1, addsubps, NULL, S, CC_SSE);
  op_def(1, 0x7C, 1, -1, haddpd, NULL, S, CC_SSE);
  op_def(1, 0x7C, 3, -1, haddps, NULL, S, CC_SSE);
  op_def(1, 0x7D, 1, -1, hsubpd, NULL, S, CC_SSE);
  op_def(1, 0x7D, 3, -1, hsubps, NULL, S, CC_SSE);
  for (int p = 0; p < 2; p++) {
    op_def(1, 0x2E, p, -1, p ? comisd : comiss, NULL, S, CC_SSE);
    op_def(1, 0x2F, p, -1, p ? comisd : comiss, NULL, S, CC_SSE);
    op_def(1, 0x54, p, -1, andps, NULL, S, CC_SSE);
    op_def(1, 0x55, p, -1, andnps, NULL, S, CC_SSE);
    op_def(1, 0x56, p, -1, orps, NULL, S, CC_SSE);
    op_def(1, 0x57, p, -1, xorps, NULL, S, CC_SSE);
  }
  op_def(1, 0xC6, 0, -1, shufps, NULL, SI, CC_SSE);
  op_def(1, 0xC6, 1, -1, shufpd, NULL, SI, CC_SSE);
  op_def(1, 0x14, 0, -1, unpcklps, NULL, S, CC_SSE);
  op_def(1, 0x14, 1, -1, unpcklpd, NULL, S, CC_SSE);
  op_def(1, 0x15, 0, -1, unpckhps, NULL, S, CC_SSE);
  op_def(1, 0x15, 1, -1, unpckhpd, NULL, S, CC_SSE);
  op_def(3, 0x0C, 1, -1, blendps, NULL, SI, CC_SSE);
  op_def(3, 0x0D, 1, -1, blendpd, NULL, SI, CC_SSE);
  op_def(2, 0x14, 1, -1, blendvps, NULL, S, CC_SSE);
  op_def(2, 0x15, 1, -1, blendvpd, NULL, S, CC_SSE);
  op_def(3, 0x08, 1, -1, roundps, NULL, SI, CC_SSE);
  op_def(3, 0x09, 1, -1, roundpd, NULL, SI, CC_SSE);
  op_def(3, 0x0A, 1, -1, roundss, NULL, SI, CC_SSE);
  op_def(3, 0x0B, 1, -1, roundsd, NULL, SI, CC_SSE);
  op_def(3, 0x40, 1, -1, dpps, NULL, SI, CC_FP);
  op_def(3, 0x41, 1, -1, dppd, NULL, SI, CC_FP);
  op_def(3, 0x21, 1, -1, insertps, NULL, SI, CC_SSE);
  op_def(3, 0x17, 1, -1, extractps, NULL, SI, CC_SSE);
}
