/* SSE/SSE2 conversions.
 * float <-> float and integer -> float conversions are IEEE operations
 * and run as the host instruction under the guest MXCSR (sse_impl.h);
 * float -> integer conversions are computed here: rounding by MXCSR.RC
 * (or truncation for CVTT*), NaN or out-of-range -> integer indefinite
 * (0x80000000 / 0x8000000000000000) with IE, inexact -> PE, DAZ applied,
 * no DE.  MMX-register operands make the x87 -> MMX transition. */
#include "cpu-x86/sse_impl.h"

/* ---- float -> integer ------------------------------------------------- */
static int64_t f2i(double x, int nan, int bits, unsigned rc, uint32_t *f) {
  int64_t indef = bits == 32 ? (int64_t)INT32_MIN : INT64_MIN;
  if (nan) { *f |= MX_IE; return indef; }
  int inexact = 0;
  double r = x;
  if (__builtin_fabs(x) < 0x1p52) r = round_mode(x, rc, &inexact);
  double lo = bits == 32 ? -0x1p31 : -0x1p63, hi = bits == 32 ? 0x1p31 : 0x1p63;
  if (!(r >= lo && r < hi)) { *f |= MX_IE; return indef; }   /* also inf */
  if (inexact) *f |= MX_PE;
  return (int64_t)r;
}
static inline int64_t cvt32(const struct vcpu *c, uint32_t a, int bits, int trunc, uint32_t *f) {
  if ((c->mxcsr & MX_DAZ) && f32_den(a)) a &= 0x80000000u;
  float v;
  memcpy(&v, &a, 4);
  return f2i((double)v, f32_nan(a), bits, trunc ? 3 : MX_RC(c->mxcsr), f);
}
static inline int64_t cvt64(const struct vcpu *c, uint64_t a, int bits, int trunc, uint32_t *f) {
  if ((c->mxcsr & MX_DAZ) && f64_den(a)) a &= 1ull << 63;
  double v;
  memcpy(&v, &a, 8);
  return f2i(v, f64_nan(a), bits, trunc ? 3 : MX_RC(c->mxcsr), f);
}

/* CVT(T)SS2SI, CVT(T)SD2SI: F3/F2 0F 2C (truncating) / 2D */
static const insn_t *cvtss2si(struct vcpu *c, const insn_t *i) {
  uint32_t a = i->mod3 ? c->xmm[i->rm].d[0] : rd32(c, ea_of(c, i));
  uint32_t f = 0;
  int64_t v = cvt32(c, a, i->rexw ? 64 : 32, i->opc == 0x2C, &f);
  mx_commit(c, f);
  c->r[i->reg] = i->rexw ? (uint64_t)v : (uint32_t)v;
  return i + 1;
}
static const insn_t *cvtsd2si(struct vcpu *c, const insn_t *i) {
  uint64_t a = i->mod3 ? c->xmm[i->rm].q[0] : rd64(c, ea_of(c, i));
  uint32_t f = 0;
  int64_t v = cvt64(c, a, i->rexw ? 64 : 32, i->opc == 0x2C, &f);
  mx_commit(c, f);
  c->r[i->reg] = i->rexw ? (uint64_t)v : (uint32_t)v;
  return i + 1;
}
/* CVTPS2DQ (66 0F 5B), CVTTPS2DQ (F3 0F 5B) */
static const insn_t *cvtps2dq(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  uint32_t f = 0;
  for (int k = 0; k < 4; k++) r.d[k] = (uint32_t)cvt32(c, s.d[k], 32, i->pfx == 2, &f);
  mx_commit(c, f);
  c->xmm[i->reg] = r;
  return i + 1;
}
/* CVTPD2DQ (F2 0F E6), CVTTPD2DQ (66 0F E6): upper half zeroed */
static const insn_t *cvtpd2dq(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  uint32_t f = 0;
  for (int k = 0; k < 2; k++) r.d[k] = (uint32_t)cvt64(c, s.q[k], 32, i->pfx == 1, &f);
  r.q[1] = 0;
  mx_commit(c, f);
  c->xmm[i->reg] = r;
  return i + 1;
}
/* CVT(T)PS2PI mm, xmm/m64 (0F 2D/2C) */
static const insn_t *cvtps2pi(struct vcpu *c, const insn_t *i) {
  uint64_t a = i->mod3 ? c->xmm[i->rm].q[0] : rd64(c, ea_of(c, i));
  uint32_t f = 0;
  uint64_t lo = (uint32_t)cvt32(c, (uint32_t)a, 32, i->opc == 0x2C, &f);
  uint64_t hi = (uint32_t)cvt32(c, (uint32_t)(a >> 32), 32, i->opc == 0x2C, &f);
  mx_commit(c, f);
  mmx_enter(c);
  mm_wr(c, i->reg, lo | hi << 32);
  return i + 1;
}
/* CVT(T)PD2PI mm, xmm/m128 (66 0F 2D/2C) */
static const insn_t *cvtpd2pi(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  uint32_t f = 0;
  uint64_t lo = (uint32_t)cvt64(c, s.q[0], 32, i->opc == 0x2C, &f);
  uint64_t hi = (uint32_t)cvt64(c, s.q[1], 32, i->opc == 0x2C, &f);
  mx_commit(c, f);
  mmx_enter(c);
  mm_wr(c, i->reg, lo | hi << 32);
  return i + 1;
}

/* ---- host-executed conversions ----------------------------------------- */
/* r = INSN(s) into a copy of the destination; tiny: float results of n lanes */
#define HCVT(name, insn, load, tinyn)                                       \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s, r;                                                             \
    load;                                                                   \
    v4f a = ldv(&c->xmm[i->reg]), b = ldv(&s);                              \
    uint32_t o = hx_enter(c);                                               \
    __asm__ volatile(insn " %1, %0" : "+x"(a) : "x"(b));                    \
    uint32_t f = hx_leave(o);                                               \
    stv(&r, a);                                                             \
    if (tinyn) {                                                            \
      f |= tiny32(c, r.d, tinyn);                                           \
      if (__builtin_expect(slow_needed(c, f), 0))                           \
        f = sse_slow_flags(c, OP_CVT, tinyn == 2 ? K_PD : K_SD, NULL, &s);  \
    }                                                                       \
    mx_commit(c, f);                                                        \
    c->xmm[i->reg] = r;                                                     \
    return i + 1;                                                           \
  }
HCVT(cvtps2pd, "cvtps2pd", src_n(c, i, &s, 8), 0)
HCVT(cvtpd2ps, "cvtpd2ps", src_a16(c, i, &s), 2)
HCVT(cvtss2sd, "cvtss2sd", src_n(c, i, &s, 4), 0)
HCVT(cvtsd2ss, "cvtsd2ss", src_n(c, i, &s, 8), 1)
HCVT(cvtdq2ps, "cvtdq2ps", src_a16(c, i, &s), 0)
HCVT(cvtdq2pd, "cvtdq2pd", src_n(c, i, &s, 8), 0)

/* CVTSI2SS / CVTSI2SD xmm, r/m32 or r/m64 (REX.W) */
static const insn_t *cvtsi2ss(struct vcpu *c, const insn_t *i) {
  v4f a = ldv(&c->xmm[i->reg]);
  uint32_t o;
  if (i->rexw) {
    int64_t v = (int64_t)(i->mod3 ? c->r[i->rm] : rd64(c, ea_of(c, i)));
    o = hx_enter(c);
    __asm__ volatile("cvtsi2ssq %1, %0" : "+x"(a) : "r"(v));
  } else {
    int32_t v = (int32_t)(i->mod3 ? (uint32_t)c->r[i->rm] : rd32(c, ea_of(c, i)));
    o = hx_enter(c);
    __asm__ volatile("cvtsi2ssl %1, %0" : "+x"(a) : "r"(v));
  }
  uint32_t f = hx_leave(o);
  mx_commit(c, f);
  stv(&c->xmm[i->reg], a);
  return i + 1;
}
static const insn_t *cvtsi2sd(struct vcpu *c, const insn_t *i) {
  v4f a = ldv(&c->xmm[i->reg]);
  uint32_t o;
  if (i->rexw) {
    int64_t v = (int64_t)(i->mod3 ? c->r[i->rm] : rd64(c, ea_of(c, i)));
    o = hx_enter(c);
    __asm__ volatile("cvtsi2sdq %1, %0" : "+x"(a) : "r"(v));
  } else {
    int32_t v = (int32_t)(i->mod3 ? (uint32_t)c->r[i->rm] : rd32(c, ea_of(c, i)));
    o = hx_enter(c);
    __asm__ volatile("cvtsi2sdl %1, %0" : "+x"(a) : "r"(v));
  }
  uint32_t f = hx_leave(o);
  mx_commit(c, f);
  stv(&c->xmm[i->reg], a);
  return i + 1;
}
/* CVTPI2PS xmm, mm/m64: two int32 to lanes 0-1, lanes 2-3 kept */
static const insn_t *cvtpi2ps(struct vcpu *c, const insn_t *i) {
  uint64_t v = mm_src(c, i);
  if (i->mod3) mmx_enter(c);
  xmm_t s = {.q = {v, 0}}, r = c->xmm[i->reg];
  v4f b = ldv(&s);
  uint32_t o = hx_enter(c);
  __asm__ volatile("cvtdq2ps %0, %0" : "+x"(b));
  uint32_t f = hx_leave(o);
  mx_commit(c, f);
  xmm_t t;
  stv(&t, b);
  r.q[0] = t.q[0];
  c->xmm[i->reg] = r;
  return i + 1;
}
/* CVTPI2PD xmm, mm/m64: exact */
static const insn_t *cvtpi2pd(struct vcpu *c, const insn_t *i) {
  uint64_t v = mm_src(c, i);
  if (i->mod3) mmx_enter(c);
  xmm_t *d = &c->xmm[i->reg];
  d->g[0] = (double)(int32_t)(uint32_t)v;
  d->g[1] = (double)(int32_t)(uint32_t)(v >> 32);
  return i + 1;
}

#define S (A_MODRM | A_SSE)
void sse_conv_register(void) {
  op_def(1, 0x2A, 0, -1, cvtpi2ps, NULL, S, CC_SSE);
  op_def(1, 0x2A, 1, -1, cvtpi2pd, NULL, S, CC_SSE);
  op_def(1, 0x2A, 2, -1, cvtsi2ss, NULL, S, CC_SSE);
  op_def(1, 0x2A, 3, -1, cvtsi2sd, NULL, S, CC_SSE);
  for (int o = 0x2C; o <= 0x2D; o++) {
    op_def(1, o, 0, -1, cvtps2pi, NULL, S, CC_SSE);
    op_def(1, o, 1, -1, cvtpd2pi, NULL, S, CC_SSE);
    op_def(1, o, 2, -1, cvtss2si, NULL, S, CC_SSE);
    op_def(1, o, 3, -1, cvtsd2si, NULL, S, CC_SSE);
  }
  op_def(1, 0x5A, 0, -1, cvtps2pd, NULL, S, CC_SSE);
  op_def(1, 0x5A, 1, -1, cvtpd2ps, NULL, S, CC_SSE);
  op_def(1, 0x5A, 2, -1, cvtss2sd, NULL, S, CC_SSE);
  op_def(1, 0x5A, 3, -1, cvtsd2ss, NULL, S, CC_SSE);
  op_def(1, 0x5B, 0, -1, cvtdq2ps, NULL, S, CC_SSE);
  op_def(1, 0x5B, 1, -1, cvtps2dq, NULL, S, CC_SSE);
  op_def(1, 0x5B, 2, -1, cvtps2dq, NULL, S, CC_SSE);
  op_def(1, 0xE6, 1, -1, cvtpd2dq, NULL, S, CC_SSE);
  op_def(1, 0xE6, 2, -1, cvtdq2pd, NULL, S, CC_SSE);
  op_def(1, 0xE6, 3, -1, cvtpd2dq, NULL, S, CC_SSE);
}
