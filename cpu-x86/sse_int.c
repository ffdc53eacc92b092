/* Integer SIMD of MMX, SSE, SSE2 and SSSE3 on xmm (66 prefix, 16-byte
 * aligned memory) and on mm registers (no prefix, m64): add/sub (with
 * saturation), multiplies, PMADDWD, PSADBW, PAVG, PMIN/PMAX, compares,
 * logic, shifts, packs, unpacks, PSHUF*, PINSRW/PEXTRW, and SSSE3
 * PSHUFB PHADD/PHSUB PMADDUBSW PMULHRSW PSIGN PABS PALIGNR.
 * Each kernel works on n = 8 or 16 bytes, in place on d. */
#include "cpu-x86/sse_impl.h"

static inline int8_t ss8(int v) { return v > 127 ? 127 : v < -128 ? -128 : (int8_t)v; }
static inline uint8_t su8(int v) { return v > 255 ? 255 : v < 0 ? 0 : (uint8_t)v; }
static inline int16_t ss16(int v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v; }
static inline uint16_t su16(int v) { return v > 65535 ? 65535 : v < 0 ? 0 : (uint16_t)v; }

#define KERN(name) static inline void k_##name(xmm_t *d, const xmm_t *s, unsigned n)
#define EW(field, expr)                                                     \
  for (unsigned k = 0; k < n / sizeof d->field[0]; k++) {                   \
    __typeof__(d->field[0]) x = d->field[k], y = s->field[k];               \
    d->field[k] = (expr);                                                   \
    (void)x; (void)y;                                                       \
  }

KERN(paddb) { EW(b, x + y) }
KERN(paddw) { EW(w, x + y) }
KERN(paddd) { EW(d, x + y) }
KERN(paddq) { EW(q, x + y) }
KERN(psubb) { EW(b, x - y) }
KERN(psubw) { EW(w, x - y) }
KERN(psubd) { EW(d, x - y) }
KERN(psubq) { EW(q, x - y) }
KERN(paddsb) { EW(sb, ss8(x + y)) }
KERN(paddsw) { EW(sw, ss16(x + y)) }
KERN(paddusb) { EW(b, su8(x + y)) }
KERN(paddusw) { EW(w, su16(x + y)) }
KERN(psubsb) { EW(sb, ss8(x - y)) }
KERN(psubsw) { EW(sw, ss16(x - y)) }
KERN(psubusb) { EW(b, su8(x - y)) }
KERN(psubusw) { EW(w, su16(x - y)) }
KERN(pmullw) { EW(w, (uint16_t)((uint32_t)x * y)) }
KERN(pmulhw) { EW(sw, (int16_t)(((int32_t)x * y) >> 16)) }
KERN(pmulhuw) { EW(w, (uint16_t)(((uint32_t)x * y) >> 16)) }
KERN(pmulhrsw) { EW(sw, (int16_t)((((int32_t)x * y >> 14) + 1) >> 1)) }
KERN(pavgb) { EW(b, (uint8_t)((x + y + 1) >> 1)) }
KERN(pavgw) { EW(w, (uint16_t)((x + y + 1) >> 1)) }
KERN(pminub) { EW(b, x < y ? x : y) }
KERN(pmaxub) { EW(b, x > y ? x : y) }
KERN(pminsw) { EW(sw, x < y ? x : y) }
KERN(pmaxsw) { EW(sw, x > y ? x : y) }
KERN(pcmpeqb) { EW(b, x == y ? 0xff : 0) }
KERN(pcmpeqw) { EW(w, x == y ? 0xffff : 0) }
KERN(pcmpeqd) { EW(d, x == y ? ~0u : 0) }
KERN(pcmpgtb) { EW(sb, x > y ? -1 : 0) }
KERN(pcmpgtw) { EW(sw, x > y ? -1 : 0) }
KERN(pcmpgtd) { EW(sd, x > y ? -1 : 0) }
KERN(pand) { EW(q, x & y) }
KERN(pandn) { EW(q, ~x & y) }
KERN(por) { EW(q, x | y) }
KERN(pxor) { EW(q, x ^ y) }
KERN(psignb) { EW(sb, y < 0 ? (int8_t)-x : y == 0 ? 0 : x) }
KERN(psignw) { EW(sw, y < 0 ? (int16_t)-x : y == 0 ? 0 : x) }
KERN(psignd) { EW(sd, y < 0 ? (int32_t)(0u - (uint32_t)x) : y == 0 ? 0 : x) }
KERN(pabsb) { EW(sb, (int8_t)(y < 0 ? -y : y)) }
KERN(pabsw) { EW(sw, (int16_t)(y < 0 ? -y : y)) }
KERN(pabsd) { EW(d, (uint32_t)((int32_t)y < 0 ? 0u - y : y)) }

KERN(pmuludq) {
  for (unsigned k = 0; k < n / 8; k++) d->q[k] = (uint64_t)d->d[2 * k] * s->d[2 * k];
}
KERN(pmaddwd) {
  for (unsigned k = 0; k < n / 4; k++)
    d->d[k] = (uint32_t)((int64_t)d->sw[2 * k] * s->sw[2 * k] +
                         (int64_t)d->sw[2 * k + 1] * s->sw[2 * k + 1]);
}
KERN(pmaddubsw) {
  for (unsigned k = 0; k < n / 2; k++)
    d->sw[k] = ss16((int)d->b[2 * k] * s->sb[2 * k] + (int)d->b[2 * k + 1] * s->sb[2 * k + 1]);
}
KERN(psadbw) {
  for (unsigned k = 0; k < n / 8; k++) {
    unsigned sum = 0;
    for (int j = 0; j < 8; j++) {
      int v = (int)d->b[8 * k + j] - s->b[8 * k + j];
      sum += (unsigned)(v < 0 ? -v : v);
    }
    d->q[k] = sum;
  }
}

/* packs: low half from d, high half from s */
KERN(packsswb) {
  xmm_t r; unsigned h = n / 2;
  for (unsigned k = 0; k < h; k++) { r.sb[k] = ss8(d->sw[k]); r.sb[h + k] = ss8(s->sw[k]); }
  memcpy(d, &r, n);
}
KERN(packuswb) {
  xmm_t r; unsigned h = n / 2;
  for (unsigned k = 0; k < h; k++) { r.b[k] = su8(d->sw[k]); r.b[h + k] = su8(s->sw[k]); }
  memcpy(d, &r, n);
}
KERN(packssdw) {
  xmm_t r; unsigned h = n / 4;
  for (unsigned k = 0; k < h; k++) { r.sw[k] = ss16(d->sd[k]); r.sw[h + k] = ss16(s->sd[k]); }
  memcpy(d, &r, n);
}
/* unpacks: interleave the low (or high) halves */
#define UNPCK(name, field, hi)                                              \
  KERN(name) {                                                              \
    xmm_t r; unsigned e = n / sizeof d->field[0] / 2, o = hi ? e : 0;       \
    for (unsigned k = 0; k < e; k++) {                                      \
      r.field[2 * k] = d->field[o + k];                                     \
      r.field[2 * k + 1] = s->field[o + k];                                 \
    }                                                                       \
    memcpy(d, &r, n);                                                       \
  }
UNPCK(punpcklbw, b, 0) UNPCK(punpcklwd, w, 0) UNPCK(punpckldq, d, 0) UNPCK(punpcklqdq, q, 0)
UNPCK(punpckhbw, b, 1) UNPCK(punpckhwd, w, 1) UNPCK(punpckhdq, d, 1) UNPCK(punpckhqdq, q, 1)

/* SSSE3 */
KERN(pshufb) {
  xmm_t r;
  for (unsigned k = 0; k < n; k++)
    r.b[k] = (s->b[k] & 0x80) ? 0 : d->b[s->b[k] & (n - 1)];
  memcpy(d, &r, n);
}
#define HORIZ(name, field, T, expr)                                         \
  KERN(name) {                                                              \
    xmm_t r; unsigned e = n / sizeof(T), h = e / 2;                         \
    for (unsigned k = 0; k < h; k++) {                                      \
      T x = d->field[2 * k], y = d->field[2 * k + 1];                       \
      r.field[k] = (expr);                                                  \
      x = s->field[2 * k]; y = s->field[2 * k + 1];                         \
      r.field[h + k] = (expr);                                              \
    }                                                                       \
    memcpy(d, &r, n);                                                       \
  }
HORIZ(phaddw, w, uint16_t, (uint16_t)(x + y))
HORIZ(phaddd, d, uint32_t, x + y)
HORIZ(phaddsw, sw, int16_t, ss16(x + y))
HORIZ(phsubw, w, uint16_t, (uint16_t)(x - y))
HORIZ(phsubd, d, uint32_t, x - y)
HORIZ(phsubsw, sw, int16_t, ss16(x - y))

/* ---- handler generators -------------------------------------------------- */
#define IOP(name)                                                           \
  static const insn_t *name##_x(struct vcpu *c, const insn_t *i) {          \
    xmm_t s;                                                                \
    src_a16(c, i, &s);                                                      \
    k_##name(&c->xmm[i->reg], &s, 16);                                      \
    return i + 1;                                                           \
  }                                                                         \
  static const insn_t *name##_q(struct vcpu *c, const insn_t *i) {          \
    xmm_t s, d;                                                             \
    s.q[0] = mm_src(c, i);                                                  \
    mmx_enter(c);                                                           \
    d.q[0] = mm_rd(c, i->reg);                                              \
    k_##name(&d, &s, 8);                                                    \
    mm_wr(c, i->reg, d.q[0]);                                               \
    return i + 1;                                                           \
  }
IOP(paddb) IOP(paddw) IOP(paddd) IOP(paddq) IOP(psubb) IOP(psubw) IOP(psubd) IOP(psubq)
IOP(paddsb) IOP(paddsw) IOP(paddusb) IOP(paddusw) IOP(psubsb) IOP(psubsw) IOP(psubusb) IOP(psubusw)
IOP(pmullw) IOP(pmulhw) IOP(pmulhuw) IOP(pmulhrsw) IOP(pavgb) IOP(pavgw)
IOP(pminub) IOP(pmaxub) IOP(pminsw) IOP(pmaxsw)
IOP(pcmpeqb) IOP(pcmpeqw) IOP(pcmpeqd) IOP(pcmpgtb) IOP(pcmpgtw) IOP(pcmpgtd)
IOP(pand) IOP(pandn) IOP(por) IOP(pxor)
IOP(psignb) IOP(psignw) IOP(psignd) IOP(pabsb) IOP(pabsw) IOP(pabsd)
IOP(pmuludq) IOP(pmaddwd) IOP(pmaddubsw) IOP(psadbw)
IOP(packsswb) IOP(packuswb) IOP(packssdw)
IOP(punpckhbw) IOP(punpckhwd) IOP(punpckhdq)
/* PUNPCKL* mm, mm/m32: the MMX forms read only 32 bits from memory */
#define IOPL(name)                                                          \
  static const insn_t *name##_x(struct vcpu *c, const insn_t *i) {          \
    xmm_t s;                                                                \
    src_a16(c, i, &s);                                                      \
    k_##name(&c->xmm[i->reg], &s, 16);                                      \
    return i + 1;                                                           \
  }                                                                         \
  static const insn_t *name##_q(struct vcpu *c, const insn_t *i) {          \
    xmm_t s, d;                                                             \
    s.q[0] = i->mod3 ? mm_rd(c, i->rm) : rd32(c, ea_of(c, i));              \
    mmx_enter(c);                                                           \
    d.q[0] = mm_rd(c, i->reg);                                              \
    k_##name(&d, &s, 8);                                                    \
    mm_wr(c, i->reg, d.q[0]);                                               \
    return i + 1;                                                           \
  }
IOPL(punpcklbw) IOPL(punpcklwd) IOPL(punpckldq)
IOP(pshufb) IOP(phaddw) IOP(phaddd) IOP(phaddsw) IOP(phsubw) IOP(phsubd) IOP(phsubsw)
/* xmm only */
static const insn_t *punpcklqdq_x(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  k_punpcklqdq(&c->xmm[i->reg], &s, 16);
  return i + 1;
}
static const insn_t *punpckhqdq_x(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  k_punpckhqdq(&c->xmm[i->reg], &s, 16);
  return i + 1;
}

/* PALIGNR: (d:s) >> imm*8, n bytes */
static void palignr_k(xmm_t *d, const xmm_t *s, unsigned n, unsigned imm) {
  uint8_t t[64] = {0};
  memcpy(t, s, n);
  memcpy(t + n, d, n);
  memcpy(d, imm < 2 * n ? t + imm : t + 2 * n, n);   /* t[2n..] are zero */
}
static const insn_t *palignr_x(struct vcpu *c, const insn_t *i) {
  xmm_t s;
  src_a16(c, i, &s);
  palignr_k(&c->xmm[i->reg], &s, 16, (unsigned)i->imm & 0xff);
  return i + 1;
}
static const insn_t *palignr_q(struct vcpu *c, const insn_t *i) {
  xmm_t s, d;
  s.q[0] = mm_src(c, i);
  mmx_enter(c);
  d.q[0] = mm_rd(c, i->reg);
  palignr_k(&d, &s, 8, (unsigned)i->imm & 0xff);
  mm_wr(c, i->reg, d.q[0]);
  return i + 1;
}

/* ---- shifts ---------------------------------------------------------------
 * kind: 0 logical right, 1 arithmetic right, 2 left; esz element bytes */
static void shift_k(xmm_t *d, unsigned n, unsigned esz, int kind, uint64_t cnt) {
  unsigned bits = esz * 8;
  switch (esz) {
  case 2:
    for (unsigned k = 0; k < n / 2; k++) {
      uint16_t x = d->w[k];
      if (kind == 1) d->sw[k] = (int16_t)((int16_t)x >> (cnt > 15 ? 15 : cnt));
      else if (cnt >= bits) d->w[k] = 0;
      else d->w[k] = kind == 0 ? (uint16_t)(x >> cnt) : (uint16_t)(x << cnt);
    }
    break;
  case 4:
    for (unsigned k = 0; k < n / 4; k++) {
      uint32_t x = d->d[k];
      if (kind == 1) d->sd[k] = (int32_t)x >> (cnt > 31 ? 31 : cnt);
      else if (cnt >= bits) d->d[k] = 0;
      else d->d[k] = kind == 0 ? x >> cnt : x << cnt;
    }
    break;
  default:
    for (unsigned k = 0; k < n / 8; k++) {
      uint64_t x = d->q[k];
      if (cnt >= bits) d->q[k] = 0;
      else d->q[k] = kind == 0 ? x >> cnt : x << cnt;
    }
    break;
  }
}
#define SHIFT(name, esz, kind)                                              \
  static const insn_t *name##_x(struct vcpu *c, const insn_t *i) {          \
    xmm_t s;                                                                \
    src_a16(c, i, &s);                                                      \
    shift_k(&c->xmm[i->reg], 16, esz, kind, s.q[0]);                        \
    return i + 1;                                                           \
  }                                                                         \
  static const insn_t *name##_q(struct vcpu *c, const insn_t *i) {          \
    xmm_t d;                                                                \
    uint64_t cnt = mm_src(c, i);                                            \
    mmx_enter(c);                                                           \
    d.q[0] = mm_rd(c, i->reg);                                              \
    shift_k(&d, 8, esz, kind, cnt);                                         \
    mm_wr(c, i->reg, d.q[0]);                                               \
    return i + 1;                                                           \
  }
SHIFT(psrlw, 2, 0) SHIFT(psrld, 4, 0) SHIFT(psrlq, 8, 0)
SHIFT(psraw, 2, 1) SHIFT(psrad, 4, 1)
SHIFT(psllw, 2, 2) SHIFT(pslld, 4, 2) SHIFT(psllq, 8, 2)

/* 0F 71/72/73 groups: shift by imm8 (register form only) */
static const insn_t *shimm_x(struct vcpu *c, const insn_t *i) {
  unsigned g = (i->modrm >> 3) & 7, esz = i->opc == 0x71 ? 2 : i->opc == 0x72 ? 4 : 8;
  unsigned cnt = (unsigned)i->imm & 0xff;
  xmm_t *d = &c->xmm[i->rm];
  if (esz == 8 && (g == 3 || g == 7)) {       /* PSRLDQ / PSLLDQ */
    uint8_t t[48] = {0};
    if (cnt > 16) cnt = 16;
    if (g == 3) { memcpy(t, d, 16); memcpy(d, t + cnt, 16); }
    else { memcpy(t + 16, d, 16); memcpy(d, t + 16 - cnt, 16); }
    return i + 1;
  }
  shift_k(d, 16, esz, g == 2 ? 0 : g == 4 ? 1 : 2, cnt);
  return i + 1;
}
static const insn_t *shimm_q(struct vcpu *c, const insn_t *i) {
  unsigned g = (i->modrm >> 3) & 7, esz = i->opc == 0x71 ? 2 : i->opc == 0x72 ? 4 : 8;
  xmm_t d;
  mmx_enter(c);
  d.q[0] = mm_rd(c, i->rm);
  shift_k(&d, 8, esz, g == 2 ? 0 : g == 4 ? 1 : 2, i->imm & 0xff);
  mm_wr(c, i->rm, d.q[0]);
  return i + 1;
}

/* ---- shuffles, PINSRW / PEXTRW ---------------------------------------------- */
static const insn_t *pshufd(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  unsigned m = (unsigned)i->imm;
  for (int k = 0; k < 4; k++) r.d[k] = s.d[(m >> (2 * k)) & 3];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *pshufhw(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  unsigned m = (unsigned)i->imm;
  r.q[0] = s.q[0];
  for (int k = 0; k < 4; k++) r.w[4 + k] = s.w[4 + ((m >> (2 * k)) & 3)];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *pshuflw(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  src_a16(c, i, &s);
  unsigned m = (unsigned)i->imm;
  r.q[1] = s.q[1];
  for (int k = 0; k < 4; k++) r.w[k] = s.w[(m >> (2 * k)) & 3];
  c->xmm[i->reg] = r;
  return i + 1;
}
static const insn_t *pshufw(struct vcpu *c, const insn_t *i) {
  xmm_t s, r;
  s.q[0] = mm_src(c, i);
  mmx_enter(c);
  unsigned m = (unsigned)i->imm;
  for (int k = 0; k < 4; k++) r.w[k] = s.w[(m >> (2 * k)) & 3];
  mm_wr(c, i->reg, r.q[0]);
  return i + 1;
}
static inline uint16_t w_src(struct vcpu *c, const insn_t *i) {
  return i->mod3 ? (uint16_t)c->r[i->rm] : rd16(c, ea_of(c, i));
}
static const insn_t *pinsrw_x(struct vcpu *c, const insn_t *i) {
  uint16_t v = w_src(c, i);
  c->xmm[i->reg].w[i->imm & 7] = v;
  return i + 1;
}
static const insn_t *pinsrw_q(struct vcpu *c, const insn_t *i) {
  uint16_t v = w_src(c, i);
  mmx_enter(c);
  xmm_t d;
  d.q[0] = mm_rd(c, i->reg);
  d.w[i->imm & 3] = v;
  mm_wr(c, i->reg, d.q[0]);
  return i + 1;
}
static const insn_t *pextrw_x(struct vcpu *c, const insn_t *i) {
  c->r[i->reg] = c->xmm[i->rm].w[i->imm & 7];
  return i + 1;
}
static const insn_t *pextrw_q(struct vcpu *c, const insn_t *i) {
  mmx_enter(c);
  c->r[i->reg] = (uint16_t)(mm_rd(c, i->rm) >> (16 * (i->imm & 3)));
  return i + 1;
}

#define S (A_MODRM | A_SSE)
#define BOTH(map, opc, name)                                                \
  do {                                                                      \
    op_def(map, opc, 0, -1, name##_q, NULL, S, CC_SSE);                     \
    op_def(map, opc, 1, -1, name##_x, NULL, S, CC_SSE);                     \
  } while (0)
void sse_int_register(void) {
  BOTH(1, 0x60, punpcklbw); BOTH(1, 0x61, punpcklwd); BOTH(1, 0x62, punpckldq);
  BOTH(1, 0x63, packsswb); BOTH(1, 0x64, pcmpgtb); BOTH(1, 0x65, pcmpgtw);
  BOTH(1, 0x66, pcmpgtd); BOTH(1, 0x67, packuswb); BOTH(1, 0x68, punpckhbw);
  BOTH(1, 0x69, punpckhwd); BOTH(1, 0x6A, punpckhdq); BOTH(1, 0x6B, packssdw);
  op_def(1, 0x6C, 1, -1, punpcklqdq_x, NULL, S, CC_SSE);
  op_def(1, 0x6D, 1, -1, punpckhqdq_x, NULL, S, CC_SSE);
  BOTH(1, 0x74, pcmpeqb); BOTH(1, 0x75, pcmpeqw); BOTH(1, 0x76, pcmpeqd);
  BOTH(1, 0xD1, psrlw); BOTH(1, 0xD2, psrld); BOTH(1, 0xD3, psrlq);
  BOTH(1, 0xD4, paddq); BOTH(1, 0xD5, pmullw);
  BOTH(1, 0xD8, psubusb); BOTH(1, 0xD9, psubusw); BOTH(1, 0xDA, pminub);
  BOTH(1, 0xDB, pand); BOTH(1, 0xDC, paddusb); BOTH(1, 0xDD, paddusw);
  BOTH(1, 0xDE, pmaxub); BOTH(1, 0xDF, pandn);
  BOTH(1, 0xE0, pavgb); BOTH(1, 0xE1, psraw); BOTH(1, 0xE2, psrad);
  BOTH(1, 0xE3, pavgw); BOTH(1, 0xE4, pmulhuw); BOTH(1, 0xE5, pmulhw);
  BOTH(1, 0xE8, psubsb); BOTH(1, 0xE9, psubsw); BOTH(1, 0xEA, pminsw);
  BOTH(1, 0xEB, por); BOTH(1, 0xEC, paddsb); BOTH(1, 0xED, paddsw);
  BOTH(1, 0xEE, pmaxsw); BOTH(1, 0xEF, pxor);
  BOTH(1, 0xF1, psllw); BOTH(1, 0xF2, pslld); BOTH(1, 0xF3, psllq);
  BOTH(1, 0xF4, pmuludq); BOTH(1, 0xF5, pmaddwd); BOTH(1, 0xF6, psadbw);
  BOTH(1, 0xF8, psubb); BOTH(1, 0xF9, psubw); BOTH(1, 0xFA, psubd);
  BOTH(1, 0xFB, psubq); BOTH(1, 0xFC, paddb); BOTH(1, 0xFD, paddw);
  BOTH(1, 0xFE, paddd);
  /* SSSE3 */
  BOTH(2, 0x00, pshufb); BOTH(2, 0x01, phaddw); BOTH(2, 0x02, phaddd);
  BOTH(2, 0x03, phaddsw); BOTH(2, 0x04, pmaddubsw); BOTH(2, 0x05, phsubw);
  BOTH(2, 0x06, phsubd); BOTH(2, 0x07, phsubsw); BOTH(2, 0x08, psignb);
  BOTH(2, 0x09, psignw); BOTH(2, 0x0A, psignd); BOTH(2, 0x0B, pmulhrsw);
  BOTH(2, 0x1C, pabsb); BOTH(2, 0x1D, pabsw); BOTH(2, 0x1E, pabsd);
  op_def(3, 0x0F, 0, -1, palignr_q, NULL, S | A_IMM8, CC_SSE);
  op_def(3, 0x0F, 1, -1, palignr_x, NULL, S | A_IMM8, CC_SSE);
  /* shift groups: /2 /4 /6 (and /3 /7 for 66 0F 73) */
  for (int g = 2; g <= 6; g += 2) {
    if (!(g == 4)) op_def(1, 0x73, 0, g, shimm_q, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
    if (!(g == 4)) op_def(1, 0x73, 1, g, shimm_x, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
    op_def(1, 0x71, 0, g, shimm_q, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
    op_def(1, 0x71, 1, g, shimm_x, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
    op_def(1, 0x72, 0, g, shimm_q, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
    op_def(1, 0x72, 1, g, shimm_x, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
  }
  op_def(1, 0x73, 1, 3, shimm_x, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
  op_def(1, 0x73, 1, 7, shimm_x, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
  /* shuffles, PINSRW, PEXTRW */
  op_def(1, 0x70, 0, -1, pshufw, NULL, S | A_IMM8, CC_SSE);
  op_def(1, 0x70, 1, -1, pshufd, NULL, S | A_IMM8, CC_SSE);
  op_def(1, 0x70, 2, -1, pshufhw, NULL, S | A_IMM8, CC_SSE);
  op_def(1, 0x70, 3, -1, pshuflw, NULL, S | A_IMM8, CC_SSE);
  op_def(1, 0xC4, 0, -1, pinsrw_q, NULL, S | A_IMM8, CC_SSE);
  op_def(1, 0xC4, 1, -1, pinsrw_x, NULL, S | A_IMM8, CC_SSE);
  op_def(1, 0xC5, 0, -1, pextrw_q, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
  op_def(1, 0xC5, 1, -1, pextrw_x, NULL, S | A_IMM8 | A_REGONLY, CC_SSE);
}
