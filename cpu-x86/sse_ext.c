/* SSE4.1 / SSE4.2 integer operations (xmm only, 66 prefix): PMULDQ,
 * PMULLD, PCMPEQQ, PCMPGTQ, PACKUSDW, PMIN/PMAX SB SD UW UD, PHMINPOSUW,
 * PMOVSX/PMOVZX, PTEST, PBLENDW, PBLENDVB, MPSADBW, PINSRB/D/Q,
 * PEXTRB/W/D/Q. */
#include "cpu-x86/sse_impl.h"

#define XOP(name, ...)                                                      \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s;                                                                \
    src_a16(c, i, &s);                                                      \
    xmm_t *d = &c->xmm[i->reg];                                             \
    __VA_ARGS__;                                                            \
    return i + 1;                                                           \
  }
#define EACH(cnt) for (int k = 0; k < (cnt); k++)
XOP(pmuldq, EACH(2) d->sq[k] = (int64_t)d->sd[2 * k] * s.sd[2 * k])
XOP(pmulld, EACH(4) d->d[k] = (uint32_t)((int64_t)d->sd[k] * s.sd[k]))
XOP(pcmpeqq, EACH(2) d->q[k] = d->q[k] == s.q[k] ? ~0ull : 0)
XOP(pcmpgtq, EACH(2) d->q[k] = d->sq[k] > s.sq[k] ? ~0ull : 0)
XOP(pminsb, EACH(16) d->sb[k] = d->sb[k] < s.sb[k] ? d->sb[k] : s.sb[k])
XOP(pmaxsb, EACH(16) d->sb[k] = d->sb[k] > s.sb[k] ? d->sb[k] : s.sb[k])
XOP(pminsd, EACH(4) d->sd[k] = d->sd[k] < s.sd[k] ? d->sd[k] : s.sd[k])
XOP(pmaxsd, EACH(4) d->sd[k] = d->sd[k] > s.sd[k] ? d->sd[k] : s.sd[k])
XOP(pminuw, EACH(8) d->w[k] = d->w[k] < s.w[k] ? d->w[k] : s.w[k])
XOP(pmaxuw, EACH(8) d->w[k] = d->w[k] > s.w[k] ? d->w[k] : s.w[k])
XOP(pminud, EACH(4) d->d[k] = d->d[k] < s.d[k] ? d->d[k] : s.d[k])
XOP(pmaxud, EACH(4) d->d[k] = d->d[k] > s.d[k] ? d->d[k] : s.d[k])
static inline uint16_t sat_u16(int32_t v) { return v < 0 ? 0 : v > 65535 ? 65535 : (uint16_t)v; }
XOP(packusdw, {
  xmm_t r;
  EACH(4) { r.w[k] = sat_u16(d->sd[k]); r.w[4 + k] = sat_u16(s.sd[k]); }
  *d = r;
})
XOP(phminposuw, {
  unsigned idx = 0;
  EACH(8) if (s.w[k] < s.w[idx]) idx = (unsigned)k;
  d->q[1] = 0;
  d->q[0] = s.w[idx] | (uint64_t)idx << 16;
})
XOP(pblendvb, {
  const xmm_t *m = &c->xmm[0];
  EACH(16) if (m->b[k] & 0x80) d->b[k] = s.b[k];
})
XOP(pblendw, EACH(8) if (i->imm & (1u << k)) d->w[k] = s.w[k])
XOP(mpsadbw, {
  unsigned o1 = (i->imm & 4) ? 4 : 0, o2 = (i->imm & 3) * 4;
  xmm_t r;
  EACH(8) {
    unsigned sum = 0;
    for (int j = 0; j < 4; j++) {
      int v = (int)d->b[o1 + k + j] - s.b[o2 + j];
      sum += (unsigned)(v < 0 ? -v : v);
    }
    r.w[k] = (uint16_t)sum;
  }
  *d = r;
})
/* PTEST: ZF = (d & s) == 0, CF = (~d & s) == 0, others 0 */
XOP(ptest, {
  uint64_t a = (d->q[0] & s.q[0]) | (d->q[1] & s.q[1]);
  uint64_t b = (~d->q[0] & s.q[0]) | (~d->q[1] & s.q[1]);
  flags_set_arith(c, (a ? 0 : F_ZF) | (b ? 0 : F_CF));
})

/* PMOVSX / PMOVZX: source is the low 16/8/4 bytes (m64/m32/m16) */
#define PMOV(name, bytes, dfield, sfield, cnt)                              \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {              \
    xmm_t s, r;                                                             \
    src_n(c, i, &s, bytes);                                                 \
    EACH(cnt) r.dfield[k] = s.sfield[k];                                    \
    c->xmm[i->reg] = r;                                                     \
    return i + 1;                                                           \
  }
PMOV(pmovsxbw, 8, sw, sb, 8) PMOV(pmovsxbd, 4, sd, sb, 4) PMOV(pmovsxbq, 2, sq, sb, 2)
PMOV(pmovsxwd, 8, sd, sw, 4) PMOV(pmovsxwq, 4, sq, sw, 2) PMOV(pmovsxdq, 8, sq, sd, 2)
PMOV(pmovzxbw, 8, w, b, 8) PMOV(pmovzxbd, 4, d, b, 4) PMOV(pmovzxbq, 2, q, b, 2)
PMOV(pmovzxwd, 8, d, w, 4) PMOV(pmovzxwq, 4, q, w, 2) PMOV(pmovzxdq, 8, q, d, 2)

/* ---- PINSRx / PEXTRx ---------------------------------------------------- */
static const insn_t *pinsrb(struct vcpu *c, const insn_t *i) {
  uint8_t v = i->mod3 ? (uint8_t)c->r[i->rm] : rd8(c, ea_of(c, i));
  c->xmm[i->reg].b[i->imm & 15] = v;
  return i + 1;
}
static const insn_t *pinsrdq(struct vcpu *c, const insn_t *i) {
  if (i->rexw) {
    uint64_t v = i->mod3 ? c->r[i->rm] : rd64(c, ea_of(c, i));
    c->xmm[i->reg].q[i->imm & 1] = v;
  } else {
    uint32_t v = i->mod3 ? (uint32_t)c->r[i->rm] : rd32(c, ea_of(c, i));
    c->xmm[i->reg].d[i->imm & 3] = v;
  }
  return i + 1;
}
static const insn_t *pextrb(struct vcpu *c, const insn_t *i) {
  uint8_t v = c->xmm[i->reg].b[i->imm & 15];
  if (i->mod3) c->r[i->rm] = v;
  else wr8(c, ea_of(c, i), v);
  return i + 1;
}
static const insn_t *pextrw_m(struct vcpu *c, const insn_t *i) {
  uint16_t v = c->xmm[i->reg].w[i->imm & 7];
  if (i->mod3) c->r[i->rm] = v;
  else wr16(c, ea_of(c, i), v);
  return i + 1;
}
static const insn_t *pextrdq(struct vcpu *c, const insn_t *i) {
  if (i->rexw) {
    uint64_t v = c->xmm[i->reg].q[i->imm & 1];
    if (i->mod3) c->r[i->rm] = v; else wr64(c, ea_of(c, i), v);
  } else {
    uint32_t v = c->xmm[i->reg].d[i->imm & 3];
    if (i->mod3) c->r[i->rm] = v; else wr32(c, ea_of(c, i), v);
  }
  return i + 1;
}

#define S (A_MODRM | A_SSE)
#define SI (A_MODRM | A_SSE | A_IMM8)
void sse_ext_register(void) {
  static const struct { uint8_t opc; insn_fn f; } m2[] = {
    {0x10, pblendvb}, {0x17, ptest},
    {0x20, pmovsxbw}, {0x21, pmovsxbd}, {0x22, pmovsxbq}, {0x23, pmovsxwd},
    {0x24, pmovsxwq}, {0x25, pmovsxdq}, {0x28, pmuldq}, {0x29, pcmpeqq},
    {0x2B, packusdw}, {0x30, pmovzxbw}, {0x31, pmovzxbd}, {0x32, pmovzxbq},
    {0x33, pmovzxwd}, {0x34, pmovzxwq}, {0x35, pmovzxdq}, {0x37, pcmpgtq},
    {0x38, pminsb}, {0x39, pminsd}, {0x3A, pminuw}, {0x3B, pminud},
    {0x3C, pmaxsb}, {0x3D, pmaxsd}, {0x3E, pmaxuw}, {0x3F, pmaxud},
    {0x40, pmulld}, {0x41, phminposuw},
  };
  for (unsigned k = 0; k < sizeof m2 / sizeof m2[0]; k++)
    op_def(2, m2[k].opc, 1, -1, m2[k].f, NULL, S, m2[k].opc == 0x40 ? CC_MUL : CC_SSE);
  op_def(3, 0x0E, 1, -1, pblendw, NULL, SI, CC_SSE);
  op_def(3, 0x42, 1, -1, mpsadbw, NULL, SI, CC_SSE);
  op_def(3, 0x14, 1, -1, pextrb, NULL, SI, CC_SSE);
  op_def(3, 0x15, 1, -1, pextrw_m, NULL, SI, CC_SSE);
  op_def(3, 0x16, 1, -1, pextrdq, NULL, SI, CC_SSE);
  op_def(3, 0x20, 1, -1, pinsrb, NULL, SI, CC_SSE);
  op_def(3, 0x22, 1, -1, pinsrdq, NULL, SI, CC_SSE);
}
