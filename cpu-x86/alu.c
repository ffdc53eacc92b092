/* Integer ALU: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC DEC NOT NEG,
 * MUL IMUL DIV IDIV (#DE), CBW/CWD family.  Flags are lazy (flags.c). */
#include "cpu-x86/interp.h"

static inline uint64_t rdreg(struct vcpu *c, unsigned code8, unsigned r, unsigned sz) {
  switch (sz) {
  case 1: return *R8P(c, code8);
  case 2: return (uint16_t)c->r[r];
  case 4: return (uint32_t)c->r[r];
  default: return c->r[r];
  }
}
static inline void wrreg(struct vcpu *c, unsigned code8, unsigned r, unsigned sz, uint64_t v) {
  switch (sz) {
  case 1: *R8P(c, code8) = (uint8_t)v; break;
  case 2: c->r[r] = (c->r[r] & ~0xffffull) | (uint16_t)v; break;
  case 4: c->r[r] = (uint32_t)v; break;
  default: c->r[r] = v; break;
  }
}
static inline uint64_t ldp(const uint8_t *p, unsigned sz) {
  switch (sz) {
  case 1: return *p;
  case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
  case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
  default: { uint64_t v; memcpy(&v, p, 8); return v; }
  }
}
static inline void stp(uint8_t *p, unsigned sz, uint64_t v) {
  switch (sz) {
  case 1: *p = (uint8_t)v; break;
  case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
  case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
  default: memcpy(p, &v, 8); break;
  }
}

static inline uint64_t do_alu(struct vcpu *c, unsigned op, unsigned sz,
                              uint64_t d, uint64_t s) {
  uint64_t r, cin;
  switch (op) {
  case 0: r = d + s; lf_set(c, LF_ADD, sz, r, d, s); break;
  case 1: r = d | s; lf_set(c, LF_LOGIC, sz, r, 0, 0); break;
  case 2: lf_keep_cf(c); cin = c->rflags & F_CF; r = d + s + cin;
          lf_set(c, LF_ADC, sz, r, d, s); break;
  case 3: lf_keep_cf(c); cin = c->rflags & F_CF; r = d - s - cin;
          lf_set(c, LF_SBB, sz, r, d, s); break;
  case 4: r = d & s; lf_set(c, LF_LOGIC, sz, r, 0, 0); break;
  case 5: r = d - s; lf_set(c, LF_SUB, sz, r, d, s); break;
  case 6: r = d ^ s; lf_set(c, LF_LOGIC, sz, r, 0, 0); break;
  default: r = d - s; lf_set(c, LF_SUB, sz, r, d, s); break;
  }
  return r;
}

/* Forms: E,G (dst r/m), G,E (dst reg), A,I, E,I (group 1). */
/* the memory forms' fast forms (interp.h probe_fast), with the effective
 * address EA (ea_of; ea_bd: the _bd forms for [base + disp], op_ea_form) */
#define ALU_FAST_SZ(op, SZ, sfx, EA, v, PROBE)                                        \
  static const insn_t *alu##op##_EG_m##sfx##v(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint8_t *p;                                                               \
    if (!PROBE(c, EA(c, i), sz, op == 7 ? NEED_UR : NEED_UW, &p))     \
      return alu##op##_EG_m##sfx##_gen(c, i);                                 \
    uint64_t r = do_alu(c, op, sz, ldp(p, sz), rdreg(c, i->reg8, i->reg, sz)); \
    if (op != 7) stp(p, sz, r);                                               \
    return i + 1;                                                             \
  }                                                                           \
  static const insn_t *alu##op##_GE_m##sfx##v(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint8_t *p;                                                               \
    if (!PROBE(c, EA(c, i), sz, NEED_UR, &p))                         \
      return alu##op##_GE_m##sfx##_gen(c, i);                                 \
    uint64_t r = do_alu(c, op, sz, rdreg(c, i->reg8, i->reg, sz), ldp(p, sz)); \
    if (op != 7) wrreg(c, i->reg8, i->reg, sz, r);                            \
    return i + 1;                                                             \
  }                                                                           \
  static const insn_t *alu##op##_EI_m##sfx##v(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint8_t *p;                                                               \
    if (!PROBE(c, EA(c, i), sz, op == 7 ? NEED_UR : NEED_UW, &p))     \
      return alu##op##_EI_m##sfx##_gen(c, i);                                 \
    uint64_t r = do_alu(c, op, sz, ldp(p, sz), i->imm & size_mask(sz));       \
    if (op != 7) stp(p, sz, r);                                               \
    return i + 1;                                                             \
  }

#define ALU_FORMS_SZ(op, SZ, sfx)                                                         \
  static const insn_t *alu##op##_EG_r##sfx(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint64_t r = do_alu(c, op, sz, rdreg(c, i->rm8, i->rm, sz),               \
                        rdreg(c, i->reg8, i->reg, sz));                       \
    if (op != 7) wrreg(c, i->rm8, i->rm, sz, r);                              \
    return i + 1;                                                             \
  }                                                                           \
  GENERAL_FORM alu##op##_EG_m##sfx##_gen(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint64_t a = ea_of(c, i);                                                 \
    if (op == 7) {                                                            \
      do_alu(c, op, sz, ld_sz_full(c, a, sz), rdreg(c, i->reg8, i->reg, sz));      \
      return i + 1;                                                           \
    }                                                                         \
    uint8_t *p = rmw_ptr_full(c, a, sz);                                           \
    stp(p, sz, do_alu(c, op, sz, ldp(p, sz), rdreg(c, i->reg8, i->reg, sz))); \
    rmw_done(c, p);                                                           \
    return i + 1;                                                             \
  }                                                                           \
  static const insn_t *alu##op##_GE_r##sfx(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint64_t r = do_alu(c, op, sz, rdreg(c, i->reg8, i->reg, sz),             \
                        rdreg(c, i->rm8, i->rm, sz));                         \
    if (op != 7) wrreg(c, i->reg8, i->reg, sz, r);                            \
    return i + 1;                                                             \
  }                                                                           \
  GENERAL_FORM alu##op##_GE_m##sfx##_gen(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint64_t r = do_alu(c, op, sz, rdreg(c, i->reg8, i->reg, sz),             \
                        ld_sz_full(c, ea_of(c, i), sz));                           \
    if (op != 7) wrreg(c, i->reg8, i->reg, sz, r);                            \
    return i + 1;                                                             \
  }                                                                           \
  static const insn_t *alu##op##_AI##sfx(struct vcpu *c, const insn_t *i) {       \
    const unsigned sz = (SZ);                                                    \
    uint64_t r = do_alu(c, op, sz, rdreg(c, 0, 0, sz), i->imm & size_mask(sz)); \
    if (op != 7) wrreg(c, 0, 0, sz, r);                                       \
    return i + 1;                                                             \
  }                                                                           \
  static const insn_t *alu##op##_EI_r##sfx(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint64_t r = do_alu(c, op, sz, rdreg(c, i->rm8, i->rm, sz),               \
                        i->imm & size_mask(sz));                              \
    if (op != 7) wrreg(c, i->rm8, i->rm, sz, r);                              \
    return i + 1;                                                             \
  }                                                                           \
  GENERAL_FORM alu##op##_EI_m##sfx##_gen(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                    \
    uint64_t a = ea_of(c, i);                                                 \
    if (op == 7) {                                                            \
      do_alu(c, op, sz, ld_sz_full(c, a, sz), i->imm & size_mask(sz));             \
      return i + 1;                                                           \
    }                                                                         \
    uint8_t *p = rmw_ptr_full(c, a, sz);                                           \
    stp(p, sz, do_alu(c, op, sz, ldp(p, sz), i->imm & size_mask(sz)));        \
    rmw_done(c, p);                                                           \
    return i + 1;                                                             \
  }                                                                           \
  ALU_FAST_SZ(op, SZ, sfx, ea_of, , probe_fast)
#define ALU_FORMS(op) ALU_FORMS_SZ(op, i->opsz, ) ALU_FORMS_SZ(op, 8, _64) ALU_FORMS_SZ(op, 4, _32)
ALU_FORMS(0) ALU_FORMS(1) ALU_FORMS(2) ALU_FORMS(3)
ALU_FORMS(4) ALU_FORMS(5) ALU_FORMS(6) ALU_FORMS(7)
#define ALU_FAST_BD(op) ALU_FAST_SZ(op, 8, _64, ea_bd, _bd, probe_fast) ALU_FAST_SZ(op, 4, _32, ea_bd, _bd, probe_fast) \
  ALU_FAST_SZ(op, 8, _64, ea_of, _dc, probe_fast_dc) ALU_FAST_SZ(op, 4, _32, ea_of, _dc, probe_fast_dc)  \
  ALU_FAST_SZ(op, 8, _64, ea_bd, _bd_dc, probe_fast_dc) ALU_FAST_SZ(op, 4, _32, ea_bd, _bd_dc, probe_fast_dc)
ALU_FAST_BD(0) ALU_FAST_BD(1) ALU_FAST_BD(2) ALU_FAST_BD(3)
ALU_FAST_BD(4) ALU_FAST_BD(5) ALU_FAST_BD(6) ALU_FAST_BD(7)

#define ALU_ROW(op) {alu##op##_EG_r, alu##op##_EG_m, alu##op##_GE_r, alu##op##_GE_m, \
                     alu##op##_AI, alu##op##_EI_r, alu##op##_EI_m}
static const insn_fn alu_tab[8][7] = {
  ALU_ROW(0), ALU_ROW(1), ALU_ROW(2), ALU_ROW(3),
  ALU_ROW(4), ALU_ROW(5), ALU_ROW(6), ALU_ROW(7),
};
/* operand-size specializations (decode picks them: op_specialize) */
#define ALU_ROW_SZ(op, sfx) {alu##op##_EG_r##sfx, alu##op##_EG_m##sfx, alu##op##_GE_r##sfx, \
                     alu##op##_GE_m##sfx, alu##op##_AI##sfx, alu##op##_EI_r##sfx, alu##op##_EI_m##sfx}
static const insn_fn alu_tab64[8][7] = {
  ALU_ROW_SZ(0, _64), ALU_ROW_SZ(1, _64), ALU_ROW_SZ(2, _64), ALU_ROW_SZ(3, _64),
  ALU_ROW_SZ(4, _64), ALU_ROW_SZ(5, _64), ALU_ROW_SZ(6, _64), ALU_ROW_SZ(7, _64),
};
static const insn_fn alu_tab32[8][7] = {
  ALU_ROW_SZ(0, _32), ALU_ROW_SZ(1, _32), ALU_ROW_SZ(2, _32), ALU_ROW_SZ(3, _32),
  ALU_ROW_SZ(4, _32), ALU_ROW_SZ(5, _32), ALU_ROW_SZ(6, _32), ALU_ROW_SZ(7, _32),
};

/* the memory forms by variant v (_gen: the general forms, op_fast_form;
 * _bd: ea_bd; _dc: probe_fast_dc; _bd_dc: both) */
#define ALU_V(op, sfx, v) {alu##op##_EG_m##sfx##v, alu##op##_GE_m##sfx##v, alu##op##_EI_m##sfx##v}
#define ALU_V_TAB(sfx, v) {ALU_V(0, sfx, v), ALU_V(1, sfx, v), ALU_V(2, sfx, v), ALU_V(3, sfx, v), \
                           ALU_V(4, sfx, v), ALU_V(5, sfx, v), ALU_V(6, sfx, v), ALU_V(7, sfx, v)}
static const insn_fn alu_gen[3][8][3] = {ALU_V_TAB(, _gen), ALU_V_TAB(_64, _gen), ALU_V_TAB(_32, _gen)};
static const int alu_mem_form[3] = {1, 3, 6};   /* EG_m, GE_m, EI_m in the rows */
static const insn_fn alu_bd[2][8][3] = {ALU_V_TAB(_64, _bd), ALU_V_TAB(_32, _bd)};
static const insn_fn alu_dc[2][8][3] = {ALU_V_TAB(_64, _dc), ALU_V_TAB(_32, _dc)};
static const insn_fn alu_bd_dc[2][8][3] = {ALU_V_TAB(_64, _bd_dc), ALU_V_TAB(_32, _bd_dc)};

/* ---- TEST ---- */
static const insn_t *test_EG_r(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  lf_set(c, LF_LOGIC, sz, rdreg(c, i->rm8, i->rm, sz) & rdreg(c, i->reg8, i->reg, sz), 0, 0);
  return i + 1;
}
static const insn_t *test_EG_m(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  lf_set(c, LF_LOGIC, sz, ld_sz(c, ea_of(c, i), sz) & rdreg(c, i->reg8, i->reg, sz), 0, 0);
  return i + 1;
}
/* TEST r/m, r by operand size, register form (op_specialize) */
#define TEST_SZ(SZ)                                                          \
  static const insn_t *test_EG_r_##SZ(struct vcpu *c, const insn_t *i) {    \
    lf_set(c, LF_LOGIC, SZ, rdreg(c, i->rm8, i->rm, SZ) & rdreg(c, i->reg8, i->reg, SZ), 0, 0); \
    return i + 1;                                                           \
  }
TEST_SZ(1) TEST_SZ(4) TEST_SZ(8)
#undef TEST_SZ
static const insn_t *test_AI(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  lf_set(c, LF_LOGIC, sz, rdreg(c, 0, 0, sz) & i->imm, 0, 0);
  return i + 1;
}
static const insn_t *test_EI(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  lf_set(c, LF_LOGIC, sz, get_rm(c, i, sz) & i->imm, 0, 0);
  return i + 1;
}

/* ---- INC DEC NOT NEG (group 3/4/5 members) ---- */
#define UNARY(name, body)                                                     \
  static const insn_t *name##_r(struct vcpu *c, const insn_t *i) {           \
    unsigned sz = i->opsz;                                                    \
    uint64_t d = rdreg(c, i->rm8, i->rm, sz), r;                              \
    body;                                                                     \
    wrreg(c, i->rm8, i->rm, sz, r);                                           \
    return i + 1;                                                             \
  }                                                                           \
  static const insn_t *name##_m(struct vcpu *c, const insn_t *i) {           \
    unsigned sz = i->opsz;                                                    \
    uint8_t *p = rmw_ptr(c, ea_of(c, i), sz);                                 \
    uint64_t d = ldp(p, sz), r;                                               \
    body;                                                                     \
    stp(p, sz, r);                                                            \
    rmw_done(c, p);                                                           \
    return i + 1;                                                             \
  }
UNARY(inc, { lf_keep_cf(c); r = d + 1; lf_set(c, LF_INC, sz, r, d, 1); })
UNARY(dec, { lf_keep_cf(c); r = d - 1; lf_set(c, LF_DEC, sz, r, d, 1); })
UNARY(not, { r = ~d; })
UNARY(neg, { r = 0 - d; lf_set(c, LF_SUB, sz, r, 0, d); })

/* ---- MUL / IMUL / DIV / IDIV ---- */
/* MUL/IMUL: CF=OF=high half significant; SF ZF AF PF undefined — we leave
 * SF/ZF/PF from the low result and AF clear (documented choice; the
 * differential tests mask them). */
static void mul_flags(struct vcpu *c, unsigned sz, uint64_t lo, int over) {
  uint32_t f = over ? (F_CF | F_OF) : 0;
  uint64_t m = size_mask(sz);
  if (((lo & m) >> (sz * 8 - 1)) & 1) f |= F_SF;
  if ((lo & m) == 0) f |= F_ZF;
  if (parity8(lo)) f |= F_PF;
  flags_set_arith(c, f);
}

static const insn_t *mul_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t s = get_rm(c, i, sz);
  uint64_t a = rdreg(c, 0, 0, sz);
  switch (sz) {
  case 1: { uint16_t r = (uint16_t)(a * s); c->r[RAX] = (c->r[RAX] & ~0xffffull) | r;
            mul_flags(c, 1, r, r >> 8); break; }
  case 2: { uint32_t r = (uint32_t)(a * s); wrreg(c, 0, RAX, 2, r); wrreg(c, 0, RDX, 2, r >> 16);
            mul_flags(c, 2, r, r >> 16); break; }
  case 4: { uint64_t r = a * s; c->r[RAX] = (uint32_t)r; c->r[RDX] = r >> 32;
            mul_flags(c, 4, r, r >> 32); break; }
  default: { unsigned __int128 r = (unsigned __int128)a * s; c->r[RAX] = (uint64_t)r;
             c->r[RDX] = (uint64_t)(r >> 64); mul_flags(c, 8, (uint64_t)r, (r >> 64) != 0); break; }
  }
  return i + 1;
}

static const insn_t *imul1_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  int64_t s = (int64_t)sext(get_rm(c, i, sz), sz);
  int64_t a = (int64_t)sext(rdreg(c, 0, 0, sz), sz);
  switch (sz) {
  case 1: { int16_t r = (int16_t)(a * s); c->r[RAX] = (c->r[RAX] & ~0xffffull) | (uint16_t)r;
            mul_flags(c, 1, (uint64_t)r, r != (int8_t)r); break; }
  case 2: { int32_t r = (int32_t)(a * s); wrreg(c, 0, RAX, 2, (uint64_t)r); wrreg(c, 0, RDX, 2, (uint64_t)r >> 16);
            mul_flags(c, 2, (uint64_t)r, r != (int16_t)r); break; }
  case 4: { int64_t r = a * s; c->r[RAX] = (uint32_t)r; c->r[RDX] = (uint32_t)((uint64_t)r >> 32);
            mul_flags(c, 4, (uint64_t)r, r != (int32_t)r); break; }
  default: { __int128 r = (__int128)a * s; c->r[RAX] = (uint64_t)r; c->r[RDX] = (uint64_t)((unsigned __int128)r >> 64);
             mul_flags(c, 8, (uint64_t)r, r != (int64_t)r); break; }
  }
  return i + 1;
}

static inline int64_t imul_trunc(struct vcpu *c, unsigned sz, int64_t a, int64_t b) {
  int over;
  int64_t r;
  if (sz == 8) {
    __int128 w = (__int128)a * b;
    r = (int64_t)w;
    over = w != r;
  } else {
    int64_t w = a * b;
    r = (int64_t)sext((uint64_t)w, sz);
    over = w != r;
  }
  mul_flags(c, sz, (uint64_t)r, over);
  return r;
}

static const insn_t *imul_GE(struct vcpu *c, const insn_t *i) {   /* 0F AF */
  unsigned sz = i->opsz;
  int64_t r = imul_trunc(c, sz, (int64_t)sext(rdreg(c, i->reg8, i->reg, sz), sz),
                         (int64_t)sext(get_rm(c, i, sz), sz));
  wrreg(c, i->reg8, i->reg, sz, (uint64_t)r);
  return i + 1;
}
static const insn_t *imul_GEI(struct vcpu *c, const insn_t *i) {  /* 69, 6B */
  unsigned sz = i->opsz;
  int64_t r = imul_trunc(c, sz, (int64_t)sext(get_rm(c, i, sz), sz),
                         (int64_t)sext(i->imm, sz));
  wrreg(c, i->reg8, i->reg, sz, (uint64_t)r);
  return i + 1;
}

/* DIV/IDIV: #DE on zero divisor or quotient overflow; all flags undefined
 * (left unchanged here). */
static const insn_t *div_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t s = get_rm(c, i, sz);
  if (s == 0) { c->exc.si_code_hint = 1; cpu_raise(c, EXC_DE, 0, 0); }
  switch (sz) {
  case 1: { uint16_t a = (uint16_t)c->r[RAX]; uint16_t q = a / s, r = a % s;
            if (q > 0xff) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            c->r[RAX] = (c->r[RAX] & ~0xffffull) | (uint16_t)(q | r << 8); break; }
  case 2: { uint32_t a = (uint32_t)((c->r[RDX] & 0xffff) << 16 | (c->r[RAX] & 0xffff));
            uint32_t q = a / s, r = a % s;
            if (q > 0xffff) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            wrreg(c, 0, RAX, 2, q); wrreg(c, 0, RDX, 2, r); break; }
  case 4: { uint64_t a = (c->r[RDX] & 0xffffffffull) << 32 | (uint32_t)c->r[RAX];
            uint64_t q = a / s, r = a % s;
            if (q > 0xffffffffull) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            c->r[RAX] = (uint32_t)q; c->r[RDX] = (uint32_t)r; break; }
  default: { unsigned __int128 a = (unsigned __int128)c->r[RDX] << 64 | c->r[RAX];
             unsigned __int128 q = a / s;
             if (q >> 64) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
             c->r[RAX] = (uint64_t)q; c->r[RDX] = (uint64_t)(a % s); break; }
  }
  return i + 1;
}

static const insn_t *idiv_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  int64_t s = (int64_t)sext(get_rm(c, i, sz), sz);
  if (s == 0) { c->exc.si_code_hint = 1; cpu_raise(c, EXC_DE, 0, 0); }
  switch (sz) {
  case 1: { int16_t a = (int16_t)c->r[RAX]; int32_t q = a / s, r = a % s;
            if (q != (int8_t)q) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            c->r[RAX] = (c->r[RAX] & ~0xffffull) | (uint16_t)((uint8_t)q | (uint8_t)r << 8); break; }
  case 2: { int32_t a = (int32_t)((uint32_t)(c->r[RDX] & 0xffff) << 16 | (c->r[RAX] & 0xffff));
            int64_t q = a / s, r = a % s;
            if (q != (int16_t)q) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            wrreg(c, 0, RAX, 2, (uint64_t)q); wrreg(c, 0, RDX, 2, (uint64_t)r); break; }
  case 4: { int64_t a = (int64_t)((c->r[RDX] & 0xffffffffull) << 32 | (uint32_t)c->r[RAX]);
            if (a == INT64_MIN && s == -1) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            int64_t q = a / s, r = a % s;
            if (q != (int32_t)q) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
            c->r[RAX] = (uint32_t)q; c->r[RDX] = (uint32_t)r; break; }
  default: { __int128 a = (__int128)((unsigned __int128)c->r[RDX] << 64 | c->r[RAX]);
             if (s == -1 && (unsigned __int128)a == ((unsigned __int128)1 << 127)) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
             __int128 q = a / s, r = a % s;
             if (q != (int64_t)q) { c->exc.si_code_hint = 2; cpu_raise(c, EXC_DE, 0, 0); }
             c->r[RAX] = (uint64_t)q; c->r[RDX] = (uint64_t)r; break; }
  }
  return i + 1;
}

/* CBW/CWDE/CDQE and CWD/CDQ/CQO */
static const insn_t *cbw_op(struct vcpu *c, const insn_t *i) {
  switch (i->opsz) {
  case 2: wrreg(c, 0, RAX, 2, (uint64_t)(int64_t)(int8_t)c->r[RAX]); break;
  case 4: c->r[RAX] = (uint32_t)(int32_t)(int16_t)c->r[RAX]; break;
  default: c->r[RAX] = (uint64_t)(int64_t)(int32_t)c->r[RAX]; break;
  }
  return i + 1;
}
static const insn_t *cwd_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t a = rdreg(c, 0, RAX, sz);
  uint64_t hi = (a >> (sz * 8 - 1)) & 1 ? ~0ull : 0;
  wrreg(c, 0, RDX, sz, hi);
  return i + 1;
}

/* CMP r,r / CMP r,imm / TEST r,r, 32- and 64-bit, then Jcc: one handler
 * (op_fuse): the compare's work as its own handler does it, then the
 * branch's, with no dispatch between them and the lazy flags just stored
 * read back in registers */
#define FUSE_CC(kind, SZ, sfx, FIRST)                                          \
  FUSE_ONE(kind, SZ, sfx, FIRST, 0) FUSE_ONE(kind, SZ, sfx, FIRST, 1)          \
  FUSE_ONE(kind, SZ, sfx, FIRST, 2) FUSE_ONE(kind, SZ, sfx, FIRST, 3)          \
  FUSE_ONE(kind, SZ, sfx, FIRST, 4) FUSE_ONE(kind, SZ, sfx, FIRST, 5)          \
  FUSE_ONE(kind, SZ, sfx, FIRST, 6) FUSE_ONE(kind, SZ, sfx, FIRST, 7)          \
  FUSE_ONE(kind, SZ, sfx, FIRST, 8) FUSE_ONE(kind, SZ, sfx, FIRST, 9)          \
  FUSE_ONE(kind, SZ, sfx, FIRST, 10) FUSE_ONE(kind, SZ, sfx, FIRST, 11)        \
  FUSE_ONE(kind, SZ, sfx, FIRST, 12) FUSE_ONE(kind, SZ, sfx, FIRST, 13)        \
  FUSE_ONE(kind, SZ, sfx, FIRST, 14) FUSE_ONE(kind, SZ, sfx, FIRST, 15)        \
  static const insn_fn fused_##kind##sfx[16] = {                              \
    fused_##kind##sfx##_0, fused_##kind##sfx##_1, fused_##kind##sfx##_2,       \
    fused_##kind##sfx##_3, fused_##kind##sfx##_4, fused_##kind##sfx##_5,       \
    fused_##kind##sfx##_6, fused_##kind##sfx##_7, fused_##kind##sfx##_8,       \
    fused_##kind##sfx##_9, fused_##kind##sfx##_10, fused_##kind##sfx##_11,     \
    fused_##kind##sfx##_12, fused_##kind##sfx##_13, fused_##kind##sfx##_14,    \
    fused_##kind##sfx##_15};
#define FUSE_ONE(kind, SZ, sfx, FIRST, cc)                                     \
  static const insn_t *fused_##kind##sfx##_##cc(struct vcpu *c, const insn_t *i) { \
    const unsigned sz = (SZ);                                                  \
    FIRST;                                                                     \
    return jcc_do(c, i + 1, cc);                                               \
  }
#define CMP_EG (void)do_alu(c, 7, sz, rdreg(c, i->rm8, i->rm, sz), rdreg(c, i->reg8, i->reg, sz))
#define CMP_GE (void)do_alu(c, 7, sz, rdreg(c, i->reg8, i->reg, sz), rdreg(c, i->rm8, i->rm, sz))
#define CMP_EI (void)do_alu(c, 7, sz, rdreg(c, i->rm8, i->rm, sz), i->imm & size_mask(sz))
#define TEST_EG lf_set(c, LF_LOGIC, sz, rdreg(c, i->rm8, i->rm, sz) & rdreg(c, i->reg8, i->reg, sz), 0, 0)
FUSE_CC(cmp_eg, 8, _64, CMP_EG) FUSE_CC(cmp_eg, 4, _32, CMP_EG)
FUSE_CC(cmp_ge, 8, _64, CMP_GE) FUSE_CC(cmp_ge, 4, _32, CMP_GE)
FUSE_CC(cmp_ei, 8, _64, CMP_EI) FUSE_CC(cmp_ei, 4, _32, CMP_EI)
FUSE_CC(test_eg, 8, _64, TEST_EG) FUSE_CC(test_eg, 4, _32, TEST_EG)

void alu_register(void) {
  for (unsigned cc = 0; cc < 16; cc++) {
    op_fuse(alu7_EG_r_64, cc, fused_cmp_eg_64[cc]);
    op_fuse(alu7_EG_r_32, cc, fused_cmp_eg_32[cc]);
    op_fuse(alu7_GE_r_64, cc, fused_cmp_ge_64[cc]);
    op_fuse(alu7_GE_r_32, cc, fused_cmp_ge_32[cc]);
    op_fuse(alu7_EI_r_64, cc, fused_cmp_ei_64[cc]);
    op_fuse(alu7_EI_r_32, cc, fused_cmp_ei_32[cc]);
    op_fuse(test_EG_r_8, cc, fused_test_eg_64[cc]);
    op_fuse(test_EG_r_4, cc, fused_test_eg_32[cc]);
  }
  for (int op = 0; op < 8; op++) {
    for (int f = 0; f < 7; f++) {
      op_specialize(alu_tab[op][f], 8, alu_tab64[op][f]);
      op_specialize(alu_tab[op][f], 4, alu_tab32[op][f]);
    }
    for (int k = 0; k < 3; k++) {
      int f = alu_mem_form[k];
      op_fast_form(alu_tab[op][f], alu_gen[0][op][k]);
      op_fast_form(alu_tab64[op][f], alu_gen[1][op][k]);
      op_fast_form(alu_tab32[op][f], alu_gen[2][op][k]);
      op_fast_form(alu_bd[0][op][k], alu_gen[1][op][k]);
      op_fast_form(alu_bd[1][op][k], alu_gen[2][op][k]);
      op_ea_form(alu_tab64[op][f], alu_bd[0][op][k]);
      op_ea_form(alu_tab32[op][f], alu_bd[1][op][k]);
      op_dc_form(alu_tab64[op][f], alu_dc[0][op][k]);
      op_dc_form(alu_tab32[op][f], alu_dc[1][op][k]);
      op_dc_form(alu_bd[0][op][k], alu_bd_dc[0][op][k]);
      op_dc_form(alu_bd[1][op][k], alu_bd_dc[1][op][k]);
    }
  }
  for (int op = 0; op < 8; op++) {
    int b = op * 8;
    uint32_t lk = op == 7 ? 0 : A_LOCKOK;   /* LOCK CMP is #UD */
    op_def(0, b + 0, -1, -1, alu_tab[op][0], alu_tab[op][1], A_MODRM | A_BYTE | lk, CC_SIMPLE);
    op_def(0, b + 1, -1, -1, alu_tab[op][0], alu_tab[op][1], A_MODRM | lk, CC_SIMPLE);
    op_def(0, b + 2, -1, -1, alu_tab[op][2], alu_tab[op][3], A_MODRM | A_BYTE, CC_SIMPLE);
    op_def(0, b + 3, -1, -1, alu_tab[op][2], alu_tab[op][3], A_MODRM, CC_SIMPLE);
    op_def(0, b + 4, -1, -1, alu_tab[op][4], NULL, A_IMM8 | A_BYTE, CC_SIMPLE);
    op_def(0, b + 5, -1, -1, alu_tab[op][4], NULL, A_IMMZ, CC_SIMPLE);
    op_def(0, 0x80, -1, op, alu_tab[op][5], alu_tab[op][6], A_MODRM | A_IMM8 | A_BYTE | lk, CC_SIMPLE);
    op_def(0, 0x81, -1, op, alu_tab[op][5], alu_tab[op][6], A_MODRM | A_IMMZ | lk, CC_SIMPLE);
    op_def(0, 0x83, -1, op, alu_tab[op][5], alu_tab[op][6], A_MODRM | A_IMM8 | lk, CC_SIMPLE);
  }
  op_def(0, 0x84, -1, -1, test_EG_r, test_EG_m, A_MODRM | A_BYTE, CC_SIMPLE);
  op_def(0, 0x85, -1, -1, test_EG_r, test_EG_m, A_MODRM, CC_SIMPLE);
  op_specialize(test_EG_r, 1, test_EG_r_1);
  op_specialize(test_EG_r, 4, test_EG_r_4);
  op_specialize(test_EG_r, 8, test_EG_r_8);
  op_def(0, 0xA8, -1, -1, test_AI, NULL, A_IMM8 | A_BYTE, CC_SIMPLE);
  op_def(0, 0xA9, -1, -1, test_AI, NULL, A_IMMZ, CC_SIMPLE);
  /* group 3 */
  for (int r = 0; r < 2; r++) {   /* /1 is an undocumented alias of TEST */
    op_def(0, 0xF6, -1, r, test_EI, NULL, A_MODRM | A_BYTE | A_IMM8, CC_SIMPLE);
    op_def(0, 0xF7, -1, r, test_EI, NULL, A_MODRM | A_IMMZ, CC_SIMPLE);
  }
  op_def(0, 0xF6, -1, 2, not_r, not_m, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xF7, -1, 2, not_r, not_m, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xF6, -1, 3, neg_r, neg_m, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xF7, -1, 3, neg_r, neg_m, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xF6, -1, 4, mul_op, NULL, A_MODRM | A_BYTE, CC_MUL);
  op_def(0, 0xF7, -1, 4, mul_op, NULL, A_MODRM, CC_MUL);
  op_def(0, 0xF6, -1, 5, imul1_op, NULL, A_MODRM | A_BYTE, CC_MUL);
  op_def(0, 0xF7, -1, 5, imul1_op, NULL, A_MODRM, CC_MUL);
  op_def(0, 0xF6, -1, 6, div_op, NULL, A_MODRM | A_BYTE, CC_DIV);
  op_def(0, 0xF7, -1, 6, div_op, NULL, A_MODRM, CC_DIV);
  op_def(0, 0xF6, -1, 7, idiv_op, NULL, A_MODRM | A_BYTE, CC_DIV);
  op_def(0, 0xF7, -1, 7, idiv_op, NULL, A_MODRM, CC_DIV);
  /* group 4/5 INC DEC */
  op_def(0, 0xFE, -1, 0, inc_r, inc_m, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xFE, -1, 1, dec_r, dec_m, A_MODRM | A_BYTE | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xFF, -1, 0, inc_r, inc_m, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(0, 0xFF, -1, 1, dec_r, dec_m, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xAF, -1, -1, imul_GE, NULL, A_MODRM, CC_MUL);
  op_def(0, 0x69, -1, -1, imul_GEI, NULL, A_MODRM | A_IMMZ, CC_MUL);
  op_def(0, 0x6B, -1, -1, imul_GEI, NULL, A_MODRM | A_IMM8, CC_MUL);
  op_def(0, 0x98, -1, -1, cbw_op, NULL, 0, CC_SIMPLE);
  op_def(0, 0x99, -1, -1, cwd_op, NULL, 0, CC_SIMPLE);
}
