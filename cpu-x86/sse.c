/* SSE..SSE4.2 and MMX, legacy (non-VEX) encodings: data movement, EMMS,
 * the shared helpers and the registration of every family file.
 *   sse.c       moves (MOVAPS ... MASKMOVDQU), MOVD/MOVQ, EMMS, MOVNTI
 *   sse_fp.c    packed/scalar float arithmetic, compares, MIN/MAX, logic,
 *               shuffles, blends, ROUND, DPPS/DPPD, INSERTPS/EXTRACTPS
 *   sse_conv.c  conversions
 *   sse_int.c   integer SIMD on xmm and mm (SSE2/SSSE3 and MMX forms)
 *   sse_ext.c   SSE4.1 integer ops, PINSR/PEXTR, PMOVSX/ZX, PTEST ...
 *   sse_str.c   PCMPESTRI/M, PCMPISTRI/M, CRC32
 * MXCSR semantics: see sse_impl.h (host bracket) and sse_xm() below. */
#include "cpu-x86/sse_impl.h"

void sse_src(struct vcpu *c, const insn_t *i, xmm_t *out, unsigned bytes) {
  if (i->mod3) { *out = c->xmm[i->rm]; return; }
  if (bytes >= 16) { rdmem(c, ea_of(c, i), out, 16); return; }
  src_n(c, i, out, bytes);
}

void sse_align16(struct vcpu *c, uint64_t ea) {
  if (ea & 15) GP0(c);
}

/* SDM Vol. 1 11.5.2: pre-computation exceptions (IE, DE, ZE) are found
 * first; if one of them is unmasked only those flags are set.  Otherwise
 * the post-computation flags (OE, UE, PE) are set too.  Either way the
 * destination is not written and #XM is delivered. */
_Noreturn void sse_xm(struct vcpu *c, uint32_t f) {
  uint32_t um = mx_unmasked(c);
  if (f & (MX_IE | MX_DE | MX_ZE) & um) c->mxcsr |= f & (MX_IE | MX_DE | MX_ZE);
  else c->mxcsr |= f & MX_FLAGS;
  cpu_raise(c, EXC_XM, 0, 0);
}

/* ---- 128-bit moves ---------------------------------------------------- */
static const insn_t *mov_ld_a(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  c->xmm[i->reg] = s;
  return i + 1;
}
static const insn_t *mov_ld_u(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_u16(c, i, &s);
  c->xmm[i->reg] = s;
  return i + 1;
}
static const insn_t *mov_st_r(struct vcpu *c, const insn_t *i) {
  c->xmm[i->rm] = c->xmm[i->reg];
  return i + 1;
}
static const insn_t *mov_st_a(struct vcpu *c, const insn_t *i) {
  uint64_t a = ea_of(c, i);
  if (a & 15) GP0(c);
  wrmem(c, a, &c->xmm[i->reg], 16);
  return i + 1;
}
static const insn_t *mov_st_u(struct vcpu *c, const insn_t *i) {
  wrmem(c, ea_of(c, i), &c->xmm[i->reg], 16);
  return i + 1;
}

/* MOVSS / MOVSD */
static const insn_t *movss_ld(struct vcpu *c, const insn_t *i) {
  if (i->mod3) c->xmm[i->reg].d[0] = c->xmm[i->rm].d[0];
  else {
    xmm_t *d = &c->xmm[i->reg];
    uint32_t v = rd32(c, ea_of(c, i));
    d->q[1] = 0; d->q[0] = v;
  }
  return i + 1;
}
static const insn_t *movss_st(struct vcpu *c, const insn_t *i) {
  if (i->mod3) c->xmm[i->rm].d[0] = c->xmm[i->reg].d[0];
  else wr32(c, ea_of(c, i), c->xmm[i->reg].d[0]);
  return i + 1;
}
static const insn_t *movsd_ld(struct vcpu *c, const insn_t *i) {
  if (i->mod3) c->xmm[i->reg].q[0] = c->xmm[i->rm].q[0];
  else {
    uint64_t v = rd64(c, ea_of(c, i));
    c->xmm[i->reg].q[0] = v; c->xmm[i->reg].q[1] = 0;
  }
  return i + 1;
}
static const insn_t *movsd_st(struct vcpu *c, const insn_t *i) {
  if (i->mod3) c->xmm[i->rm].q[0] = c->xmm[i->reg].q[0];
  else wr64(c, ea_of(c, i), c->xmm[i->reg].q[0]);
  return i + 1;
}

/* 0F 12/13/16/17: MOVLPS/MOVHLPS, MOVLPD, MOVHPS/MOVLHPS, MOVHPD */
static const insn_t *movlp_ld(struct vcpu *c, const insn_t *i) {
  if (i->mod3) c->xmm[i->reg].q[0] = c->xmm[i->rm].q[1];   /* MOVHLPS */
  else c->xmm[i->reg].q[0] = rd64(c, ea_of(c, i));
  return i + 1;
}
static const insn_t *movhp_ld(struct vcpu *c, const insn_t *i) {
  if (i->mod3) c->xmm[i->reg].q[1] = c->xmm[i->rm].q[0];   /* MOVLHPS */
  else c->xmm[i->reg].q[1] = rd64(c, ea_of(c, i));
  return i + 1;
}
static const insn_t *movlp_st(struct vcpu *c, const insn_t *i) {
  wr64(c, ea_of(c, i), c->xmm[i->reg].q[0]);
  return i + 1;
}
static const insn_t *movhp_st(struct vcpu *c, const insn_t *i) {
  wr64(c, ea_of(c, i), c->xmm[i->reg].q[1]);
  return i + 1;
}
/* MOVSLDUP / MOVSHDUP / MOVDDUP */
static const insn_t *movsldup(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  d->d[0] = d->d[1] = s.d[0];
  d->d[2] = d->d[3] = s.d[2];
  return i + 1;
}
static const insn_t *movshdup(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  xmm_t *d = &c->xmm[i->reg];
  d->d[0] = d->d[1] = s.d[1];
  d->d[2] = d->d[3] = s.d[3];
  return i + 1;
}
static const insn_t *movddup(struct vcpu *c, const insn_t *i) {
  uint64_t v = i->mod3 ? c->xmm[i->rm].q[0] : rd64(c, ea_of(c, i));
  c->xmm[i->reg].q[0] = c->xmm[i->reg].q[1] = v;
  return i + 1;
}

/* MOVMSKPS / MOVMSKPD / PMOVMSKB (register only) */
static const insn_t *movmskps(struct vcpu *c, const insn_t *i) {
  const xmm_t *s = &c->xmm[i->rm];
  uint64_t m = 0;
  for (int k = 0; k < 4; k++) m |= (uint64_t)(s->d[k] >> 31) << k;
  c->r[i->reg] = m;
  return i + 1;
}
static const insn_t *movmskpd(struct vcpu *c, const insn_t *i) {
  const xmm_t *s = &c->xmm[i->rm];
  c->r[i->reg] = (s->q[0] >> 63) | (s->q[1] >> 63) << 1;
  return i + 1;
}
static inline uint64_t msk_bytes(uint64_t v) {
  uint64_t m = 0;
  for (int k = 0; k < 8; k++) m |= ((v >> (8 * k + 7)) & 1) << k;
  return m;
}
static const insn_t *pmovmskb_x(struct vcpu *c, const insn_t *i) {
  const xmm_t *s = &c->xmm[i->rm];
  c->r[i->reg] = msk_bytes(s->q[0]) | msk_bytes(s->q[1]) << 8;
  return i + 1;
}
static const insn_t *pmovmskb_q(struct vcpu *c, const insn_t *i) {
  mmx_enter(c);
  c->r[i->reg] = msk_bytes(mm_rd(c, i->rm));
  return i + 1;
}

/* ---- MOVD / MOVQ ------------------------------------------------------ */
static inline uint64_t gpr_or_mem(struct vcpu *c, const insn_t *i) {
  if (i->rexw) return i->mod3 ? c->r[i->rm] : rd64(c, ea_of(c, i));
  return i->mod3 ? (uint32_t)c->r[i->rm] : rd32(c, ea_of(c, i));
}
static inline void to_gpr_or_mem(struct vcpu *c, const insn_t *i, uint64_t v) {
  if (i->rexw) {
    if (i->mod3) c->r[i->rm] = v; else wr64(c, ea_of(c, i), v);
  } else {
    if (i->mod3) c->r[i->rm] = (uint32_t)v; else wr32(c, ea_of(c, i), (uint32_t)v);
  }
}
static const insn_t *movd_x_e(struct vcpu *c, const insn_t *i) {   /* 66 0F 6E */
  uint64_t v = gpr_or_mem(c, i);
  c->xmm[i->reg].q[0] = v;
  c->xmm[i->reg].q[1] = 0;
  return i + 1;
}
static const insn_t *movd_e_x(struct vcpu *c, const insn_t *i) {   /* 66 0F 7E */
  to_gpr_or_mem(c, i, c->xmm[i->reg].q[0]);
  return i + 1;
}
static const insn_t *movd_q_e(struct vcpu *c, const insn_t *i) {   /* 0F 6E */
  uint64_t v = gpr_or_mem(c, i);
  mmx_enter(c);
  mm_wr(c, i->reg, v);
  return i + 1;
}
static const insn_t *movd_e_q(struct vcpu *c, const insn_t *i) {   /* 0F 7E */
  mmx_enter(c);
  to_gpr_or_mem(c, i, mm_rd(c, i->reg));
  return i + 1;
}
static const insn_t *movq_x_xm(struct vcpu *c, const insn_t *i) {  /* F3 0F 7E */
  uint64_t v = i->mod3 ? c->xmm[i->rm].q[0] : rd64(c, ea_of(c, i));
  c->xmm[i->reg].q[0] = v;
  c->xmm[i->reg].q[1] = 0;
  return i + 1;
}
static const insn_t *movq_xm_x(struct vcpu *c, const insn_t *i) {  /* 66 0F D6 */
  uint64_t v = c->xmm[i->reg].q[0];
  if (i->mod3) { c->xmm[i->rm].q[0] = v; c->xmm[i->rm].q[1] = 0; }
  else wr64(c, ea_of(c, i), v);
  return i + 1;
}
static const insn_t *movq_q_qm(struct vcpu *c, const insn_t *i) {  /* 0F 6F */
  uint64_t v = mm_src(c, i);
  mmx_enter(c);
  mm_wr(c, i->reg, v);
  return i + 1;
}
static const insn_t *movq_qm_q(struct vcpu *c, const insn_t *i) {  /* 0F 7F, 0F E7 */
  mmx_enter(c);
  uint64_t v = mm_rd(c, i->reg);
  if (i->mod3) mm_wr(c, i->rm, v);
  else wr64(c, ea_of(c, i), v);
  return i + 1;
}
static const insn_t *movq2dq(struct vcpu *c, const insn_t *i) {    /* F3 0F D6 */
  mmx_enter(c);
  c->xmm[i->reg].q[0] = mm_rd(c, i->rm);
  c->xmm[i->reg].q[1] = 0;
  return i + 1;
}
static const insn_t *movdq2q(struct vcpu *c, const insn_t *i) {    /* F2 0F D6 */
  mmx_enter(c);
  mm_wr(c, i->reg, c->xmm[i->rm].q[0]);
  return i + 1;
}

/* MOVNTI m32/m64, r (0F C3): a plain store */
static const insn_t *movnti(struct vcpu *c, const insn_t *i) {
  if (i->rexw) wr64(c, ea_of(c, i), c->r[i->reg]);
  else wr32(c, ea_of(c, i), (uint32_t)c->r[i->reg]);
  return i + 1;
}

/* MASKMOVDQU / MASKMOVQ: byte stores to DS:rDI where the mask byte's top
 * bit is set.  The span from the first to the last selected byte is made
 * writable first, so a fault leaves memory unchanged; unselected bytes are
 * not modified; with an all-zero mask nothing is accessed. */
static void maskmov(struct vcpu *c, const insn_t *i, const uint8_t *v,
                    const uint8_t *m, unsigned n) {
  uint64_t a = c->r[RDI];
  if (i->asz == 4) a = (uint32_t)a;
  a += c->segbase[i->seg];
  unsigned lo = n, hi = 0;
  for (unsigned k = 0; k < n; k++)
    if (m[k] & 0x80) { if (lo == n) lo = k; hi = k; }
  if (lo == n) return;
  uint8_t *p = rmw_ptr(c, a + lo, hi - lo + 1);
  for (unsigned k = lo; k <= hi; k++)
    if (m[k] & 0x80) p[k - lo] = v[k];
  rmw_done(c, p);
}
static const insn_t *maskmovdqu(struct vcpu *c, const insn_t *i) {
  xmm_t v = c->xmm[i->reg], m = c->xmm[i->rm];
  maskmov(c, i, v.b, m.b, 16);
  return i + 1;
}
static const insn_t *maskmovq(struct vcpu *c, const insn_t *i) {
  mmx_enter(c);
  uint64_t v = mm_rd(c, i->reg), m = mm_rd(c, i->rm);
  maskmov(c, i, (const uint8_t *)&v, (const uint8_t *)&m, 8);
  return i + 1;
}

/* EMMS: all x87 tags empty */
static const insn_t *emms(struct vcpu *c, const insn_t *i) {
  c->fpu.ftw = 0xFFFF;
  return i + 1;
}

#define S (A_MODRM | A_SSE)
#define M (A_MODRM | A_SSE | A_MEMONLY)
#define R (A_MODRM | A_SSE | A_REGONLY)
void sse_register(void) {
  /* 0F 10/11 */
  op_def(1, 0x10, 0, -1, mov_ld_u, NULL, S, CC_SSE);
  op_def(1, 0x10, 1, -1, mov_ld_u, NULL, S, CC_SSE);
  op_def(1, 0x10, 2, -1, movss_ld, NULL, S, CC_SSE);
  op_def(1, 0x10, 3, -1, movsd_ld, NULL, S, CC_SSE);
  op_def(1, 0x11, 0, -1, mov_st_r, mov_st_u, S, CC_SSE);
  op_def(1, 0x11, 1, -1, mov_st_r, mov_st_u, S, CC_SSE);
  op_def(1, 0x11, 2, -1, movss_st, NULL, S, CC_SSE);
  op_def(1, 0x11, 3, -1, movsd_st, NULL, S, CC_SSE);
  /* 0F 12/13/16/17 */
  op_def(1, 0x12, 0, -1, movlp_ld, NULL, S, CC_SSE);
  op_def(1, 0x12, 1, -1, movlp_ld, NULL, M, CC_SSE);
  op_def(1, 0x12, 2, -1, movsldup, NULL, S, CC_SSE);
  op_def(1, 0x12, 3, -1, movddup, NULL, S, CC_SSE);
  op_def(1, 0x13, 0, -1, movlp_st, NULL, M, CC_SSE);
  op_def(1, 0x13, 1, -1, movlp_st, NULL, M, CC_SSE);
  op_def(1, 0x16, 0, -1, movhp_ld, NULL, S, CC_SSE);
  op_def(1, 0x16, 1, -1, movhp_ld, NULL, M, CC_SSE);
  op_def(1, 0x16, 2, -1, movshdup, NULL, S, CC_SSE);
  op_def(1, 0x17, 0, -1, movhp_st, NULL, M, CC_SSE);
  op_def(1, 0x17, 1, -1, movhp_st, NULL, M, CC_SSE);
  /* MOVAPS/MOVAPD, MOVNTPS/PD */
  op_def(1, 0x28, 0, -1, mov_ld_a, NULL, S, CC_SSE);
  op_def(1, 0x28, 1, -1, mov_ld_a, NULL, S, CC_SSE);
  op_def(1, 0x29, 0, -1, mov_st_r, mov_st_a, S, CC_SSE);
  op_def(1, 0x29, 1, -1, mov_st_r, mov_st_a, S, CC_SSE);
  op_def(1, 0x2B, 0, -1, mov_st_a, NULL, M, CC_SSE);
  op_def(1, 0x2B, 1, -1, mov_st_a, NULL, M, CC_SSE);
  /* MOVMSK */
  op_def(1, 0x50, 0, -1, movmskps, NULL, R, CC_SSE);
  op_def(1, 0x50, 1, -1, movmskpd, NULL, R, CC_SSE);
  op_def(1, 0xD7, 0, -1, pmovmskb_q, NULL, R, CC_SSE);
  op_def(1, 0xD7, 1, -1, pmovmskb_x, NULL, R, CC_SSE);
  /* MOVD/MOVQ */
  op_def(1, 0x6E, 0, -1, movd_q_e, NULL, S, CC_SSE);
  op_def(1, 0x6E, 1, -1, movd_x_e, NULL, S, CC_SSE);
  op_def(1, 0x7E, 0, -1, movd_e_q, NULL, S, CC_SSE);
  op_def(1, 0x7E, 1, -1, movd_e_x, NULL, S, CC_SSE);
  op_def(1, 0x7E, 2, -1, movq_x_xm, NULL, S, CC_SSE);
  op_def(1, 0x6F, 0, -1, movq_q_qm, NULL, S, CC_SSE);
  op_def(1, 0x6F, 1, -1, mov_ld_a, NULL, S, CC_SSE);
  op_def(1, 0x6F, 2, -1, mov_ld_u, NULL, S, CC_SSE);
  op_def(1, 0x7F, 0, -1, movq_qm_q, NULL, S, CC_SSE);
  op_def(1, 0x7F, 1, -1, mov_st_r, mov_st_a, S, CC_SSE);
  op_def(1, 0x7F, 2, -1, mov_st_r, mov_st_u, S, CC_SSE);
  op_def(1, 0xD6, 1, -1, movq_xm_x, NULL, S, CC_SSE);
  op_def(1, 0xD6, 2, -1, movq2dq, NULL, R, CC_SSE);
  op_def(1, 0xD6, 3, -1, movdq2q, NULL, R, CC_SSE);
  /* non-temporal stores, LDDQU, MOVNTDQA */
  op_def(1, 0xE7, 0, -1, movq_qm_q, NULL, M, CC_SSE);
  op_def(1, 0xE7, 1, -1, mov_st_a, NULL, M, CC_SSE);
  op_def(1, 0xC3, 0, -1, movnti, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(1, 0xF0, 3, -1, mov_ld_u, NULL, M, CC_SSE);
  op_def(2, 0x2A, 1, -1, mov_ld_a, NULL, M, CC_SSE);
  /* masked stores */
  op_def(1, 0xF7, 0, -1, maskmovq, NULL, R, CC_SSE);
  op_def(1, 0xF7, 1, -1, maskmovdqu, NULL, R, CC_SSE);
  /* EMMS */
  op_def(1, 0x77, 0, -1, emms, NULL, 0, CC_SSE);

  sse_fp_register();
  sse_conv_register();
  sse_int_register();
  sse_ext_register();
  sse_str_register();
}
