/* BMI1/BMI2 (VEX-encoded GPR instructions), advertised in CPUID.7.EBX.
 * SDM Vol. 2: ANDN BEXTR BLSI BLSMSK BLSR BZHI MULX PDEP PEXT RORX SARX
 * SHLX SHRX.  Operand size: VEX.W selects 64-bit, else 32-bit. */
#include "cpu-x86/interp.h"

static inline unsigned vsz(const insn_t *i) { return i->vexw ? 8 : 4; }
static inline uint64_t src_rm(struct vcpu *c, const insn_t *i) {
  return get_rm(c, i, vsz(i));
}
static void logic_flags(struct vcpu *c, uint64_t r, unsigned sz, int cf) {
  uint32_t f = cf ? F_CF : 0;
  r &= size_mask(sz);
  if (!r) f |= F_ZF;
  if ((r >> (sz * 8 - 1)) & 1) f |= F_SF;
  flags_set_arith(c, f);
}

static const insn_t *andn_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i);
  uint64_t r = ~c->r[i->vvvv] & src_rm(c, i) & size_mask(sz);
  set_reg(c, i->reg, sz, r);
  logic_flags(c, r, sz, 0);
  return i + 1;
}
static const insn_t *bextr_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i), bits = sz * 8;
  uint64_t s = src_rm(c, i), ctl = c->r[i->vvvv];
  unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
  uint64_t r = start < bits ? s >> start : 0;
  if (len < 64) r &= (1ull << len) - 1;
  r &= size_mask(sz);
  set_reg(c, i->reg, sz, r);
  logic_flags(c, r, sz, 0);
  return i + 1;
}
/* group 17 (VEX 0F38 F3): /1 BLSR /2 BLSMSK /3 BLSI, dest = vvvv */
static const insn_t *blsx_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i);
  uint64_t s = src_rm(c, i) & size_mask(sz), r;
  int cf;
  switch ((i->modrm >> 3) & 7) {
  case 1: r = s & (s - 1); cf = s == 0; break;           /* BLSR */
  case 2: r = s ^ (s - 1); cf = s == 0; break;           /* BLSMSK */
  default: r = s & (0 - s); cf = s != 0; break;          /* BLSI */
  }
  r &= size_mask(sz);
  set_reg(c, i->vvvv, sz, r);
  uint32_t f = cf ? F_CF : 0;
  if (r == 0 && ((i->modrm >> 3) & 7) != 2) f |= F_ZF;
  if ((r >> (sz * 8 - 1)) & 1) f |= F_SF;
  flags_set_arith(c, f);
  return i + 1;
}
static const insn_t *bzhi_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i), bits = sz * 8;
  uint64_t s = src_rm(c, i);
  unsigned n = c->r[i->vvvv] & 0xff;
  uint64_t r = n < bits ? s & ((1ull << n) - 1) : s;
  r &= size_mask(sz);
  set_reg(c, i->reg, sz, r);
  logic_flags(c, r, sz, n > bits - 1);
  return i + 1;
}
static const insn_t *mulx_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i);
  uint64_t s = src_rm(c, i);
  if (sz == 8) {
    unsigned __int128 p = (unsigned __int128)c->r[RDX] * s;
    c->r[i->vvvv] = (uint64_t)p;        /* low first: if regs equal, high wins */
    c->r[i->reg] = (uint64_t)(p >> 64);
  } else {
    uint64_t p = (uint64_t)(uint32_t)c->r[RDX] * (uint32_t)s;
    c->r[i->vvvv] = (uint32_t)p;
    c->r[i->reg] = p >> 32;
  }
  return i + 1;
}
static const insn_t *pdep_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i);
  uint64_t s = c->r[i->vvvv] & size_mask(sz), m = src_rm(c, i) & size_mask(sz), r = 0;
  for (uint64_t b = 1; m; b <<= 1) {
    uint64_t low = m & (0 - m);
    if (s & b) r |= low;
    m &= m - 1;
  }
  set_reg(c, i->reg, sz, r);
  return i + 1;
}
static const insn_t *pext_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i);
  uint64_t s = c->r[i->vvvv] & size_mask(sz), m = src_rm(c, i) & size_mask(sz), r = 0;
  for (uint64_t b = 1; m; b <<= 1) {
    uint64_t low = m & (0 - m);
    if (s & low) r |= b;
    m &= m - 1;
  }
  set_reg(c, i->reg, sz, r);
  return i + 1;
}
static const insn_t *rorx_op(struct vcpu *c, const insn_t *i) {
  if (i->vvvv) UD(c);   /* VEX.vvvv unused: must be 1111b (SDM 2.3.6) */
  unsigned sz = vsz(i), bits = sz * 8;
  uint64_t s = src_rm(c, i) & size_mask(sz);
  unsigned k = (unsigned)(i->imm & (bits - 1));
  uint64_t r = k ? ((s >> k) | (s << (bits - k))) & size_mask(sz) : s;
  set_reg(c, i->reg, sz, r);
  return i + 1;
}
/* F7: 66 SHLX, F3 SARX, F2 SHRX, none BEXTR */
static const insn_t *shiftx_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = vsz(i);
  uint64_t s = src_rm(c, i) & size_mask(sz);
  unsigned k = (unsigned)(c->r[i->vvvv] & (sz == 8 ? 63 : 31));
  uint64_t r;
  if (i->pfx == 1) r = s << k;
  else if (i->pfx == 2) r = (uint64_t)((int64_t)sext(s, sz) >> k);
  else r = s >> k;
  set_reg(c, i->reg, sz, r & size_mask(sz));
  return i + 1;
}

void bmi_register(void) {
  uint32_t v = A_MODRM | A_VEX;
  op_def(2, 0xF2, 0, -1, andn_op, NULL, v, CC_SIMPLE);
  op_def(2, 0xF7, 0, -1, bextr_op, NULL, v, CC_SIMPLE);
  for (int r = 1; r <= 3; r++) op_def(2, 0xF3, 0, r, blsx_op, NULL, v, CC_SIMPLE);
  op_def(2, 0xF5, 0, -1, bzhi_op, NULL, v, CC_SIMPLE);
  op_def(2, 0xF6, 3, -1, mulx_op, NULL, v, CC_MUL);
  op_def(2, 0xF5, 3, -1, pdep_op, NULL, v, CC_SIMPLE);
  op_def(2, 0xF5, 2, -1, pext_op, NULL, v, CC_SIMPLE);
  op_def(3, 0xF0, 3, -1, rorx_op, NULL, v | A_IMM8, CC_SIMPLE);
  op_def(2, 0xF7, 1, -1, shiftx_op, NULL, v, CC_SIMPLE);
  op_def(2, 0xF7, 2, -1, shiftx_op, NULL, v, CC_SIMPLE);
  op_def(2, 0xF7, 3, -1, shiftx_op, NULL, v, CC_SIMPLE);
}
