/* Data movement: MOV forms, MOVZX/MOVSX/MOVSXD, LEA, XCHG, CMPXCHG,
 * CMPXCHG8B/16B, XADD, BSWAP, CMOVcc, SETcc, MOVBE, XLAT. */
#include "cpu-x86/interp.h"

static const insn_t *mov_EG_r(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  set_reg(c, sz == 1 ? i->rm8 : i->rm, sz, get_reg(c, i, sz));
  return i + 1;
}
static const insn_t *mov_EG_m(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  st_sz(c, ea_of(c, i), sz, get_reg(c, i, sz));
  return i + 1;
}
static const insn_t *mov_GE_r(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  put_reg(c, i, sz, sz == 1 ? *R8P(c, i->rm8) : c->r[i->rm]);
  return i + 1;
}
static const insn_t *mov_GE_m(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  put_reg(c, i, sz, ld_sz(c, ea_of(c, i), sz));
  return i + 1;
}
/* 64-bit specializations of the hottest forms */
static const insn_t *mov64_EG_r(struct vcpu *c, const insn_t *i) {
  c->r[i->rm] = c->r[i->reg];
  return i + 1;
}
static const insn_t *mov64_EG_r_rev(struct vcpu *c, const insn_t *i) {
  c->r[i->reg] = c->r[i->rm];
  return i + 1;
}
/* (fast forms: interp.h probe_fast) */
GENERAL_FORM mov64_EG_m_gen(struct vcpu *c, const insn_t *i) {
  wr64_full(c, ea_of(c, i), c->r[i->reg]);
  return i + 1;
}
#define MOV64_EG_M(name, EA, PROBE) \
  static const insn_t *name(struct vcpu *c, const insn_t *i) { \
    uint8_t *p; \
    if (!PROBE(c, EA(c, i), 8, NEED_UW, &p)) return mov64_EG_m_gen(c, i); \
    memcpy(p, &c->r[i->reg], 8); \
    return i + 1; \
  }
MOV64_EG_M(mov64_EG_m, ea_of, probe_fast) MOV64_EG_M(mov64_EG_m_bd, ea_bd, probe_fast)
MOV64_EG_M(mov64_EG_m_dc, ea_of, probe_fast_dc) MOV64_EG_M(mov64_EG_m_bd_dc, ea_bd, probe_fast_dc)
GENERAL_FORM mov64_GE_m_gen(struct vcpu *c, const insn_t *i) {
  c->r[i->reg] = rd64_full(c, ea_of(c, i));
  return i + 1;
}
#define MOV64_GE_M(name, EA, PROBE) \
  static const insn_t *name(struct vcpu *c, const insn_t *i) { \
    uint8_t *p; \
    if (!PROBE(c, EA(c, i), 8, NEED_UR, &p)) return mov64_GE_m_gen(c, i); \
    memcpy(&c->r[i->reg], p, 8); \
    return i + 1; \
  }
MOV64_GE_M(mov64_GE_m, ea_of, probe_fast) MOV64_GE_M(mov64_GE_m_bd, ea_bd, probe_fast)
MOV64_GE_M(mov64_GE_m_dc, ea_of, probe_fast_dc) MOV64_GE_M(mov64_GE_m_bd_dc, ea_bd, probe_fast_dc)
GENERAL_FORM mov32_GE_m_gen(struct vcpu *c, const insn_t *i) {
  c->r[i->reg] = rd32_full(c, ea_of(c, i));
  return i + 1;
}
#define MOV32_GE_M(name, EA, PROBE) \
  static const insn_t *name(struct vcpu *c, const insn_t *i) { \
    uint8_t *p; \
    uint32_t v; \
    if (!PROBE(c, EA(c, i), 4, NEED_UR, &p)) return mov32_GE_m_gen(c, i); \
    memcpy(&v, p, 4); \
    c->r[i->reg] = v; \
    return i + 1; \
  }
MOV32_GE_M(mov32_GE_m, ea_of, probe_fast) MOV32_GE_M(mov32_GE_m_bd, ea_bd, probe_fast)
MOV32_GE_M(mov32_GE_m_dc, ea_of, probe_fast_dc) MOV32_GE_M(mov32_GE_m_bd_dc, ea_bd, probe_fast_dc)
GENERAL_FORM mov32_EG_m_gen(struct vcpu *c, const insn_t *i) {
  wr32_full(c, ea_of(c, i), (uint32_t)c->r[i->reg]);
  return i + 1;
}
#define MOV32_EG_M(name, EA, PROBE) \
  static const insn_t *name(struct vcpu *c, const insn_t *i) { \
    uint8_t *p; \
    if (!PROBE(c, EA(c, i), 4, NEED_UW, &p)) return mov32_EG_m_gen(c, i); \
    uint32_t v = (uint32_t)c->r[i->reg]; \
    memcpy(p, &v, 4); \
    return i + 1; \
  }
MOV32_EG_M(mov32_EG_m, ea_of, probe_fast) MOV32_EG_M(mov32_EG_m_bd, ea_bd, probe_fast)
MOV32_EG_M(mov32_EG_m_dc, ea_of, probe_fast_dc) MOV32_EG_M(mov32_EG_m_bd_dc, ea_bd, probe_fast_dc)
static const insn_t *mov_EI(struct vcpu *c, const insn_t *i) {
  put_rm(c, i, i->opsz, i->imm);
  return i + 1;
}
static const insn_t *mov_rI(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  set_reg(c, sz == 1 ? i->rm8 : i->rm, sz, i->imm);
  return i + 1;
}
static const insn_t *mov_moffs_load(struct vcpu *c, const insn_t *i) {
  uint64_t a = i->imm + c->segbase[i->seg];
  set_reg(c, RAX, i->opsz, ld_sz(c, a, i->opsz));
  return i + 1;
}
static const insn_t *mov_moffs_store(struct vcpu *c, const insn_t *i) {
  uint64_t a = i->imm + c->segbase[i->seg];
  st_sz(c, a, i->opsz, c->r[RAX]);
  return i + 1;
}
static const insn_t *lea_op(struct vcpu *c, const insn_t *i) {
  uint64_t a = (uint64_t)i->disp + c->r[i->base] + (c->r[i->index] << i->scale);
  if (i->asz == 4) a = (uint32_t)a;
  set_reg(c, i->reg, i->opsz, a);
  return i + 1;
}
static const insn_t *movzx_op(struct vcpu *c, const insn_t *i) {
  unsigned ssz = (i->opc & 1) ? 2 : 1;
  uint64_t v = i->mod3 ? (ssz == 1 ? *R8P(c, i->rm8) : (uint16_t)c->r[i->rm])
                       : ld_sz(c, ea_of(c, i), ssz);
  set_reg(c, i->reg, i->opsz, v);
  return i + 1;
}
/* MOVZX r32/r64, m8 and m16: the memory forms, a fast form for those
 * sizes (a 32-bit write zero-extends: the same for both) */
GENERAL_FORM movzx_m(struct vcpu *c, const insn_t *i) { return movzx_op(c, i); }
#define MOVZX32_M(name, EA, PROBE) \
  static const insn_t *name(struct vcpu *c, const insn_t *i) { \
    uint8_t *p; \
    if (i->opc & 1) { \
      uint16_t v; \
      if (!PROBE(c, EA(c, i), 2, NEED_UR, &p)) return movzx_op(c, i); \
      memcpy(&v, p, 2); \
      c->r[i->reg] = v; \
    } else { \
      if (!PROBE(c, EA(c, i), 1, NEED_UR, &p)) return movzx_op(c, i); \
      c->r[i->reg] = *p; \
    } \
    return i + 1; \
  }
MOVZX32_M(movzx32_m, ea_of, probe_fast) MOVZX32_M(movzx32_m_bd, ea_bd, probe_fast)
MOVZX32_M(movzx32_m_dc, ea_of, probe_fast_dc) MOVZX32_M(movzx32_m_bd_dc, ea_bd, probe_fast_dc)
static const insn_t *movsx_op(struct vcpu *c, const insn_t *i) {
  unsigned ssz = (i->opc & 1) ? 2 : 1;
  uint64_t v = i->mod3 ? (ssz == 1 ? *R8P(c, i->rm8) : (uint16_t)c->r[i->rm])
                       : ld_sz(c, ea_of(c, i), ssz);
  set_reg(c, i->reg, i->opsz, sext(v, ssz));
  return i + 1;
}
static const insn_t *movsxd_op(struct vcpu *c, const insn_t *i) {
  uint64_t v = i->mod3 ? (uint32_t)c->r[i->rm] : rd32(c, ea_of(c, i));
  set_reg(c, i->reg, i->opsz, i->opsz == 8 ? sext(v, 4) : v);
  return i + 1;
}
static const insn_t *xchg_EG(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t r = get_reg(c, i, sz);
  if (i->mod3) {
    uint64_t m = sz == 1 ? *R8P(c, i->rm8) : c->r[i->rm] & size_mask(sz);
    set_reg(c, sz == 1 ? i->rm8 : i->rm, sz, r);
    put_reg(c, i, sz, m);
  } else {
    uint64_t a = ea_of(c, i);
    uint8_t *p = rmw_ptr(c, a, sz);
    uint64_t m = 0;
    memcpy(&m, p, sz);
    memcpy(p, &r, sz);
    rmw_done(c, p);
    put_reg(c, i, sz, m);
  }
  return i + 1;
}
static const insn_t *xchg_rA(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  if (i->rm == RAX) return i + 1;   /* 90 is NOP even with 32-bit size */
  uint64_t a = c->r[RAX], b = c->r[i->rm];
  set_reg(c, i->rm, sz, a);
  set_reg(c, RAX, sz, b);
  return i + 1;
}
static const insn_t *nop_op(struct vcpu *c, const insn_t *i) { return i + 1; }

static const insn_t *cmpxchg_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t acc = c->r[RAX] & size_mask(sz);
  uint64_t src = get_reg(c, i, sz);
  uint64_t d;
  if (i->mod3) {
    d = sz == 1 ? *R8P(c, i->rm8) : c->r[i->rm] & size_mask(sz);
    lf_set(c, LF_SUB, sz, acc - d, acc, d);
    if (acc == d) set_reg(c, sz == 1 ? i->rm8 : i->rm, sz, src);
    else set_reg(c, RAX, sz, d);
  } else {
    /* the destination is always written (SDM CMPXCHG): check for write */
    uint8_t *p = rmw_ptr(c, ea_of(c, i), sz);
    d = 0;
    memcpy(&d, p, sz);
    lf_set(c, LF_SUB, sz, acc - d, acc, d);
    if (acc == d) memcpy(p, &src, sz);
    rmw_done(c, p);
    if (acc != d) set_reg(c, RAX, sz, d);
  }
  return i + 1;
}
static const insn_t *xadd_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t s = get_reg(c, i, sz), d, r;
  if (i->mod3) {
    d = sz == 1 ? *R8P(c, i->rm8) : c->r[i->rm] & size_mask(sz);
    r = d + s;
    put_reg(c, i, sz, d);
    set_reg(c, sz == 1 ? i->rm8 : i->rm, sz, r);
  } else {
    uint8_t *p = rmw_ptr(c, ea_of(c, i), sz);
    d = 0;
    memcpy(&d, p, sz);
    r = d + s;
    memcpy(p, &r, sz);
    rmw_done(c, p);
    put_reg(c, i, sz, d);
  }
  lf_set(c, LF_ADD, sz, r, d, s);
  return i + 1;
}
static const insn_t *cmpxchg8_16(struct vcpu *c, const insn_t *i) {
  uint64_t a = ea_of(c, i);
  if (i->rexw) {
    if (a & 15) GP0(c);
    uint8_t *p = rmw_ptr(c, a, 16);
    uint64_t lo, hi;
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    int eq = lo == c->r[RAX] && hi == c->r[RDX];
    if (eq) { memcpy(p, &c->r[RBX], 8); memcpy(p + 8, &c->r[RCX], 8); }
    rmw_done(c, p);
    if (!eq) { c->r[RAX] = lo; c->r[RDX] = hi; }
    flags_get(c);
    c->rflags = (c->rflags & ~(uint64_t)F_ZF) | (eq ? F_ZF : 0);
  } else {
    uint8_t *p = rmw_ptr(c, a, 8);
    uint64_t m;
    memcpy(&m, p, 8);
    uint64_t cmp = (c->r[RDX] << 32) | (uint32_t)c->r[RAX];
    int eq = m == cmp;
    if (eq) { uint64_t n = (c->r[RCX] << 32) | (uint32_t)c->r[RBX]; memcpy(p, &n, 8); }
    rmw_done(c, p);
    if (!eq) { c->r[RAX] = (uint32_t)m; c->r[RDX] = m >> 32; }
    flags_get(c);
    c->rflags = (c->rflags & ~(uint64_t)F_ZF) | (eq ? F_ZF : 0);
  }
  return i + 1;
}
static const insn_t *bswap_op(struct vcpu *c, const insn_t *i) {
  unsigned r = i->rm;
  if (i->opsz == 8) c->r[r] = __builtin_bswap64(c->r[r]);
  else if (i->opsz == 4) c->r[r] = __builtin_bswap32((uint32_t)c->r[r]);
  else set_reg(c, r, 2, 0);   /* 16-bit BSWAP is undefined; zero as observed */
  return i + 1;
}
/* one handler per condition (cond_eval inline) */
#define CMOV_SETCC(cc)                                                   \
  static const insn_t *cmov_##cc(struct vcpu *c, const insn_t *i) {     \
    unsigned sz = i->opsz;                                              \
    uint64_t v = get_rm(c, i, sz);   /* the source is read even if false */ \
    if (cond_eval(c, cc)) set_reg(c, i->reg, sz, v);                    \
    else if (sz == 4) c->r[i->reg] = (uint32_t)c->r[i->reg];            \
    return i + 1;                                                       \
  }                                                                     \
  static const insn_t *setcc_##cc(struct vcpu *c, const insn_t *i) {    \
    uint8_t v = (uint8_t)cond_eval(c, cc);                              \
    if (i->mod3) *R8P(c, i->rm8) = v;                                   \
    else wr8(c, ea_of(c, i), v);                                        \
    return i + 1;                                                       \
  }
FOR_EACH_CC(CMOV_SETCC)
#undef CMOV_SETCC
#define CMOV_FN(cc) cmov_##cc,
#define SETCC_FN(cc) setcc_##cc,
static const insn_fn cmov_by_cc[16] = {FOR_EACH_CC(CMOV_FN)};
static const insn_fn setcc_by_cc[16] = {FOR_EACH_CC(SETCC_FN)};
#undef CMOV_FN
#undef SETCC_FN
static const insn_t *movbe_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  if (i->opc == 0xF0) {
    uint64_t v = ld_sz(c, ea_of(c, i), sz);
    v = sz == 8 ? __builtin_bswap64(v) : sz == 4 ? __builtin_bswap32((uint32_t)v)
                                                 : __builtin_bswap16((uint16_t)v);
    set_reg(c, i->reg, sz, v);
  } else {
    uint64_t v = c->r[i->reg];
    v = sz == 8 ? __builtin_bswap64(v) : sz == 4 ? __builtin_bswap32((uint32_t)v)
                                                 : __builtin_bswap16((uint16_t)v);
    st_sz(c, ea_of(c, i), sz, v);
  }
  return i + 1;
}

/* XLAT: AL <- [rBX + zero-extended AL] (DS, overridable) */
static const insn_t *xlat_op(struct vcpu *c, const insn_t *i) {
  uint64_t a = c->r[RBX] + (c->r[RAX] & 0xff);
  if (i->asz == 4) a = (uint32_t)a;
  *R8P(c, RAX) = rd8(c, a + c->segbase[i->seg]);
  return i + 1;
}

void move_register(void) {
  op_def(0, 0x88, -1, -1, mov_EG_r, mov_EG_m, A_MODRM | A_BYTE, CC_SIMPLE);
  op_def(0, 0x89, -1, -1, mov_EG_r, mov_EG_m, A_MODRM, CC_SIMPLE);
  op_def(0, 0x8A, -1, -1, mov_GE_r, mov_GE_m, A_MODRM | A_BYTE, CC_SIMPLE);
  op_def(0, 0x8B, -1, -1, mov_GE_r, mov_GE_m, A_MODRM, CC_SIMPLE);
  op_def(0, 0xC6, -1, 0, mov_EI, NULL, A_MODRM | A_IMM8 | A_BYTE, CC_SIMPLE);
  op_def(0, 0xC7, -1, 0, mov_EI, NULL, A_MODRM | A_IMMZ, CC_SIMPLE);
  for (int r = 0; r < 8; r++) {
    op_def(0, 0xB0 + r, -1, -1, mov_rI, NULL, A_IMM8 | A_BYTE, CC_SIMPLE);
    op_def(0, 0xB8 + r, -1, -1, mov_rI, NULL, A_IMMV, CC_SIMPLE);
    if (r) op_def(0, 0x90 + r, -1, -1, xchg_rA, NULL, 0, CC_SIMPLE);
  }
  op_def(0, 0xA0, -1, -1, mov_moffs_load, NULL, A_MOFFS | A_BYTE, CC_SIMPLE);
  op_def(0, 0xA1, -1, -1, mov_moffs_load, NULL, A_MOFFS, CC_SIMPLE);
  op_def(0, 0xA2, -1, -1, mov_moffs_store, NULL, A_MOFFS | A_BYTE, CC_SIMPLE);
  op_def(0, 0xA3, -1, -1, mov_moffs_store, NULL, A_MOFFS, CC_SIMPLE);
  op_def(0, 0x8D, -1, -1, lea_op, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(0, 0xD7, -1, -1, xlat_op, NULL, 0, CC_SIMPLE);
  op_def(1, 0xB6, -1, -1, movzx_op, movzx_m, A_MODRM, CC_SIMPLE);
  op_def(1, 0xB7, -1, -1, movzx_op, movzx_m, A_MODRM, CC_SIMPLE);
  op_specialize(movzx_m, 4, movzx32_m);
  op_specialize(movzx_m, 8, movzx32_m);
  op_def(1, 0xBE, -1, -1, movsx_op, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xBF, -1, -1, movsx_op, NULL, A_MODRM, CC_SIMPLE);
  op_def(0, 0x63, -1, -1, movsxd_op, NULL, A_MODRM, CC_SIMPLE);
  op_def(0, 0x86, -1, -1, xchg_EG, NULL, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0x87, -1, -1, xchg_EG, NULL, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0x90, -1, -1, xchg_rA, NULL, 0, CC_SIMPLE);   /* REX.B 90 = XCHG r8 */
  op_def(1, 0xB0, -1, -1, cmpxchg_op, NULL, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xB1, -1, -1, cmpxchg_op, NULL, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xC0, -1, -1, xadd_op, NULL, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xC1, -1, -1, xadd_op, NULL, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xC7, -1, 1, cmpxchg8_16, NULL, A_MODRM | A_MEMONLY | A_LOCKOK, CC_SIMPLE);
  for (int r = 0; r < 8; r++) op_def(1, 0xC8 + r, -1, -1, bswap_op, NULL, 0, CC_SIMPLE);
  for (int cc = 0; cc < 16; cc++) {
    op_def(1, 0x40 + cc, -1, -1, cmov_by_cc[cc], NULL, A_MODRM, CC_SIMPLE);
    op_def(1, 0x90 + cc, -1, -1, setcc_by_cc[cc], NULL, A_MODRM | A_BYTE, CC_SIMPLE);
  }
  op_def(2, 0xF0, 0, -1, movbe_op, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(2, 0xF1, 0, -1, movbe_op, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(2, 0xF0, 1, -1, movbe_op, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE);
  op_def(2, 0xF1, 1, -1, movbe_op, NULL, A_MODRM | A_MEMONLY, CC_SIMPLE);
  (void)nop_op;
  op_specialize(mov_EG_r, 8, mov64_EG_r);
  op_specialize(mov_EG_m, 8, mov64_EG_m);
  op_specialize(mov_GE_r, 8, mov64_EG_r_rev);
  op_specialize(mov_GE_m, 8, mov64_GE_m);
  op_specialize(mov_GE_m, 4, mov32_GE_m);
  op_specialize(mov_EG_m, 4, mov32_EG_m);
  op_fast_form(mov64_EG_m, mov64_EG_m_gen);
  op_fast_form(mov64_GE_m, mov64_GE_m_gen);
  op_fast_form(mov32_GE_m, mov32_GE_m_gen);
  op_fast_form(mov32_EG_m, mov32_EG_m_gen);
  op_fast_form(movzx32_m, movzx_op);
  /* [base + disp] operands (ea_bd) */
  op_fast_form(mov64_EG_m_bd, mov64_EG_m_gen);
  op_fast_form(mov64_GE_m_bd, mov64_GE_m_gen);
  op_fast_form(mov32_GE_m_bd, mov32_GE_m_gen);
  op_fast_form(mov32_EG_m_bd, mov32_EG_m_gen);
  op_fast_form(movzx32_m_bd, movzx_op);
  op_ea_form(mov64_EG_m, mov64_EG_m_bd);
  op_ea_form(mov64_GE_m, mov64_GE_m_bd);
  op_ea_form(mov32_GE_m, mov32_GE_m_bd);
  op_ea_form(mov32_EG_m, mov32_EG_m_bd);
  op_ea_form(movzx32_m, movzx32_m_bd);
  /* with the data caches on (probe_fast_dc) */
#define DC_FORMS(f) op_dc_form(f, f##_dc); op_dc_form(f##_bd, f##_bd_dc);
  DC_FORMS(mov64_EG_m) DC_FORMS(mov64_GE_m) DC_FORMS(mov32_GE_m) DC_FORMS(mov32_EG_m) DC_FORMS(movzx32_m)
#undef DC_FORMS
}
