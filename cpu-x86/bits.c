/* Shifts and rotates with exact flags, SHLD/SHRD, BT/BTS/BTR/BTC,
 * BSF/BSR, TZCNT/LZCNT/POPCNT, and the flag instructions.
 * Undefined flags (SDM) follow one documented choice, see
 * docs/undefined-flags.md; the differential tests mask them. */
#include "cpu-x86/interp.h"

static inline uint64_t msb(uint64_t v, unsigned sz) { return (v >> (sz * 8 - 1)) & 1; }

static void szp(uint32_t *f, uint64_t r, unsigned sz) {
  r &= size_mask(sz);
  if (r == 0) *f |= F_ZF;
  if (msb(r, sz)) *f |= F_SF;
  if (parity8(r)) *f |= F_PF;
}

/* group 2: /0 ROL /1 ROR /2 RCL /3 RCR /4 SHL /5 SHR /6 SAL(=SHL) /7 SAR
 * (inline: the register forms are one handler per operation and size,
 * in which this folds to its one case) */
static inline __attribute__((always_inline)) uint64_t shift(struct vcpu *c, unsigned op, unsigned sz,
                                                            uint64_t d, unsigned cnt) {
  unsigned bits = sz * 8;
  cnt &= sz == 8 ? 63 : 31;
  if (cnt == 0) return d;
  uint64_t m = size_mask(sz);
  d &= m;
  uint64_t r = d;
  /* the rotates keep flags (and RCL/RCR read CF); the shifts set all six */
  uint64_t f = op < 4 ? flags_get(c) : 0;
  uint32_t nf = (uint32_t)(f & F_ARITH);
  unsigned cf = f & F_CF;
  switch (op) {
  case 0: {  /* ROL: only CF, OF */
    unsigned k = cnt % bits;
    r = k ? ((d << k) | (d >> (bits - k))) & m : d;
    cf = r & 1;
    nf = (nf & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | ((msb(r, sz) ^ cf) ? F_OF : 0);
    break;
  }
  case 1: {  /* ROR */
    unsigned k = cnt % bits;
    r = k ? ((d >> k) | (d << (bits - k))) & m : d;
    cf = msb(r, sz);
    nf = (nf & ~(F_CF | F_OF)) | (cf ? F_CF : 0) |
         ((msb(r, sz) ^ ((r >> (bits - 2)) & 1)) ? F_OF : 0);
    break;
  }
  case 2: {  /* RCL: rotate through CF over bits+1 */
    unsigned k = sz == 1 ? cnt % 9 : sz == 2 ? cnt % 17 : cnt;
    for (unsigned n = 0; n < k; n++) {
      unsigned out = (unsigned)msb(r, sz);
      r = ((r << 1) | cf) & m;
      cf = out;
    }
    nf = (nf & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | ((msb(r, sz) ^ cf) ? F_OF : 0);
    break;
  }
  case 3: {  /* RCR */
    unsigned k = sz == 1 ? cnt % 9 : sz == 2 ? cnt % 17 : cnt;
    unsigned of = (unsigned)(msb(d, sz) ^ cf);
    for (unsigned n = 0; n < k; n++) {
      unsigned out = r & 1;
      r = (r >> 1) | ((uint64_t)cf << (bits - 1));
      cf = out;
    }
    nf = (nf & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
    break;
  }
  case 4: case 6: {  /* SHL */
    r = cnt < 64 ? (d << cnt) & m : 0;
    cf = cnt <= bits ? (unsigned)((d >> (bits - cnt)) & 1) : 0;
    nf = (cf ? F_CF : 0) | ((msb(r, sz) ^ cf) ? F_OF : 0);
    szp(&nf, r, sz);
    break;
  }
  case 5: {  /* SHR */
    r = cnt < 64 ? d >> cnt : 0;
    cf = cnt <= bits ? (unsigned)((d >> (cnt - 1)) & 1) : 0;
    nf = (cf ? F_CF : 0) | (msb(d, sz) ? F_OF : 0);
    szp(&nf, r, sz);
    break;
  }
  default: { /* SAR */
    int64_t sd = (int64_t)sext(d, sz);
    unsigned k = cnt > bits - 1 ? bits - 1 : cnt;
    r = (uint64_t)(sd >> k) & m;
    cf = (unsigned)((sd >> (cnt > bits ? bits - 1 : cnt - 1)) & 1);
    nf = (cf ? F_CF : 0);
    szp(&nf, r, sz);
    break;
  }
  }
  flags_set_arith(c, nf);
  return r;
}

static inline unsigned grp2_count(const struct vcpu *c, const insn_t *i) {
  return (i->opc == 0xD0 || i->opc == 0xD1) ? 1
       : (i->opc == 0xD2 || i->opc == 0xD3) ? (unsigned)(c->r[RCX] & 0xff)
       : (unsigned)(i->imm & 0xff);
}
static const insn_t *grp2_m(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  unsigned cnt = grp2_count(c, i);
  unsigned op = (i->modrm >> 3) & 7;
  uint64_t a = ea_of(c, i);
  uint8_t *p = rmw_ptr(c, a, sz);
  uint64_t d = 0;
  memcpy(&d, p, sz);
  uint64_t v = shift(c, op, sz, d, cnt);
  memcpy(p, &v, sz);
  rmw_done(c, p);
  return i + 1;
}
/* the register forms, by operation, and by operand size (op_specialize) */
#define GRP2_R(op, SZ, sfx)                                                    \
  static const insn_t *grp2_r##op##sfx(struct vcpu *c, const insn_t *i) {     \
    const unsigned sz = (SZ);                                                  \
    unsigned cnt = grp2_count(c, i);                                           \
    unsigned r = sz == 1 ? i->rm8 : i->rm;                                     \
    uint64_t d = sz == 1 ? *R8P(c, r) : c->r[r];                               \
    uint64_t v = shift(c, op, sz, d, cnt);                                     \
    if ((cnt & (sz == 8 ? 63 : 31)) || sz == 4) set_reg(c, r, sz, v);          \
    return i + 1;                                                              \
  }
#define GRP2_R_SZ(op) GRP2_R(op, i->opsz, ) GRP2_R(op, 8, _64) GRP2_R(op, 4, _32)
GRP2_R_SZ(0) GRP2_R_SZ(1) GRP2_R_SZ(2) GRP2_R_SZ(3) GRP2_R_SZ(4) GRP2_R_SZ(5) GRP2_R_SZ(6) GRP2_R_SZ(7)
#define GRP2_ROW(sfx) {grp2_r0##sfx, grp2_r1##sfx, grp2_r2##sfx, grp2_r3##sfx, \
                       grp2_r4##sfx, grp2_r5##sfx, grp2_r6##sfx, grp2_r7##sfx}
static const insn_fn grp2_r[3][8] = {GRP2_ROW(), GRP2_ROW(_64), GRP2_ROW(_32)};

/* SHLD/SHRD (0F A4/A5/AC/AD) */
static const insn_t *shxd(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz, bits = sz * 8;
  unsigned cnt = (i->opc & 1) ? (unsigned)(c->r[RCX] & 0xff) : (unsigned)(i->imm & 0xff);
  cnt &= sz == 8 ? 63 : 31;
  int left = i->opc < 0xA8;
  uint64_t s = get_reg(c, i, sz);
  uint64_t a = 0;
  uint8_t *p = NULL;
  uint64_t d;
  if (i->mod3) d = c->r[i->rm] & size_mask(sz);
  else { a = ea_of(c, i); p = rmw_ptr(c, a, sz); d = 0; memcpy(&d, p, sz); }
  uint64_t r = d;
  if (cnt) {
    uint32_t nf = 0;
    unsigned cf;
    if (bits == 16 && cnt > 16) {
      /* undefined result: model as the 32-bit concatenation rotate */
      uint64_t cat = left ? (d << 16 | s) : (s << 16 | d);
      unsigned k = cnt;
      if (left) { r = (cat << k | cat >> (32 - k)) >> 16; cf = (unsigned)((cat >> (32 - k)) & 1); }
      else { r = (cat >> k | cat << (32 - k)); cf = (unsigned)((cat >> (k - 1)) & 1); }
      r &= 0xffff;
    } else if (left) {
      unsigned __int128 cat = ((unsigned __int128)d << bits) | s;
      r = (uint64_t)((cat << cnt) >> bits) & size_mask(sz);
      cf = (unsigned)((d >> (bits - cnt)) & 1);
    } else {
      unsigned __int128 cat = ((unsigned __int128)s << bits) | d;
      r = (uint64_t)(cat >> cnt) & size_mask(sz);
      cf = (unsigned)((d >> (cnt - 1)) & 1);
    }
    nf = cf ? F_CF : 0;
    if (msb(r, sz) != msb(d, sz)) nf |= F_OF;
    szp(&nf, r, sz);
    flags_set_arith(c, nf);
  }
  if (i->mod3) { if (cnt || sz == 4) set_reg(c, i->rm, sz, r); }
  else { memcpy(p, &r, sz); rmw_done(c, p); }
  return i + 1;
}

/* BT family: /4 BT /5 BTS /6 BTR /7 BTC (0F BA) and 0F A3/AB/B3/BB */
static inline uint64_t bt_apply(unsigned kind, uint64_t v, uint64_t bit) {
  return kind == 1 ? v | 1ull << bit : kind == 2 ? v & ~(1ull << bit) : v ^ 1ull << bit;
}
static const insn_t *bt_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz, bits = sz * 8;
  unsigned kind;
  int64_t off;
  if (i->opc == 0xBA) { kind = (i->modrm >> 3) & 3; off = (int64_t)(i->imm & 0xff); }
  else {
    kind = i->opc == 0xA3 ? 0 : i->opc == 0xAB ? 1 : i->opc == 0xB3 ? 2 : 3;
    off = (int64_t)sext(get_reg(c, i, sz), sz);
  }
  uint64_t bit = (uint64_t)off & (bits - 1);
  flags_get(c);
  uint64_t v;
  if (i->mod3) {
    v = c->r[i->rm];
    if (kind) set_reg(c, i->rm, sz, bt_apply(kind, v, bit));
  } else {
    uint64_t a = ea_of(c, i);
    if (i->opc != 0xBA) {
      /* register offset: the bit string extends past the operand */
      a += (uint64_t)((off >> (sz == 8 ? 6 : sz == 4 ? 5 : 4)) * (int64_t)sz);
      if (i->asz == 4) a = (uint32_t)a;
    }
    if (kind == 0) v = ld_sz(c, a, sz);
    else {
      uint8_t *p = rmw_ptr(c, a, sz);
      v = 0;
      memcpy(&v, p, sz);
      uint64_t nv = bt_apply(kind, v, bit);
      memcpy(p, &nv, sz);
      rmw_done(c, p);
    }
  }
  c->rflags = (c->rflags & ~(uint64_t)F_CF) | ((v >> bit) & 1);
  return i + 1;
}

static const insn_t *bsf_bsr(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t s = get_rm(c, i, sz);
  uint64_t f = flags_get(c) & ~(uint64_t)F_ARITH;
  if (s == 0) {
    f |= F_ZF;   /* destination unchanged (AMD documents it; Intel does it) */
  } else {
    unsigned r = i->opc == 0xBC ? (unsigned)__builtin_ctzll(s) : 63u - (unsigned)__builtin_clzll(s);
    set_reg(c, i->reg, sz, r);
    if (parity8(r)) f |= F_PF;
  }
  c->rflags = f;
  return i + 1;
}
static const insn_t *tzcnt_lzcnt(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz, bits = sz * 8;
  uint64_t s = get_rm(c, i, sz);
  unsigned r;
  if (i->opc == 0xBC) r = s ? (unsigned)__builtin_ctzll(s) : bits;
  else r = s ? (unsigned)__builtin_clzll(s) - (64 - bits) : bits;
  set_reg(c, i->reg, sz, r);
  uint32_t nf = (s == 0 ? F_CF : 0) | (r == 0 ? F_ZF : 0);
  flags_set_arith(c, nf);
  return i + 1;
}
static const insn_t *popcnt_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t s = get_rm(c, i, sz);
  unsigned r = (unsigned)__builtin_popcountll(s);
  set_reg(c, i->reg, sz, r);
  flags_set_arith(c, s == 0 ? F_ZF : 0);
  return i + 1;
}

/* flag instructions */
static const insn_t *flagop(struct vcpu *c, const insn_t *i) {
  uint64_t f = flags_get(c);
  switch (i->opc) {
  case 0xF5: f ^= F_CF; break;
  case 0xF8: f &= ~(uint64_t)F_CF; break;
  case 0xF9: f |= F_CF; break;
  case 0xFC: f &= ~(uint64_t)F_DF; break;
  case 0xFD: f |= F_DF; break;
  case 0x9E: /* SAHF */
    f = (f & ~(uint64_t)(F_SF | F_ZF | F_AF | F_PF | F_CF)) |
        ((c->r[RAX] >> 8) & (F_SF | F_ZF | F_AF | F_PF | F_CF));
    break;
  case 0x9F: /* LAHF */
    c->r[RAX] = (c->r[RAX] & ~0xff00ull) |
                (((f & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2) << 8);
    break;
  }
  c->rflags = f;
  return i + 1;
}
static const insn_t *pushf_op(struct vcpu *c, const insn_t *i) {
  uint64_t f = cpu_get_rflags(c) & ~0x30000ull;   /* VM, RF read as 0; bit 1 is 1 */
  if (i->opsz == 2) { wr16(c, c->r[RSP] - 2, (uint16_t)f); c->r[RSP] -= 2; }
  else push64(c, f);
  return i + 1;
}
static const insn_t *popf_op(struct vcpu *c, const insn_t *i) {
  uint64_t v;
  if (i->opsz == 2) { v = rd16(c, c->r[RSP]); c->r[RSP] += 2; }
  else v = pop64(c);
  /* CPL 3, IOPL 0: IF and IOPL are left alone; TF is not modeled */
  uint64_t chg = F_ARITH | F_DF | F_AC | F_ID | (1u << 14) /* NT */;
  if (i->opsz == 2) chg &= 0xffff;
  uint64_t f = flags_get(c);
  c->rflags = (f & ~chg) | (v & chg) | 2;
  return i + 1;
}

void bits_register(void) {
  for (int r = 0; r < 8; r++) {
    op_def(0, 0xC0, -1, r, grp2_r[0][r], grp2_m, A_MODRM | A_IMM8 | A_BYTE, CC_SIMPLE);
    op_def(0, 0xC1, -1, r, grp2_r[0][r], grp2_m, A_MODRM | A_IMM8, CC_SIMPLE);
    op_def(0, 0xD0, -1, r, grp2_r[0][r], grp2_m, A_MODRM | A_BYTE, CC_SIMPLE);
    op_def(0, 0xD1, -1, r, grp2_r[0][r], grp2_m, A_MODRM, CC_SIMPLE);
    op_def(0, 0xD2, -1, r, grp2_r[0][r], grp2_m, A_MODRM | A_BYTE, CC_SIMPLE);
    op_def(0, 0xD3, -1, r, grp2_r[0][r], grp2_m, A_MODRM, CC_SIMPLE);
    op_specialize(grp2_r[0][r], 8, grp2_r[1][r]);
    op_specialize(grp2_r[0][r], 4, grp2_r[2][r]);
  }
  op_def(1, 0xA4, -1, -1, shxd, NULL, A_MODRM | A_IMM8, CC_SIMPLE);
  op_def(1, 0xA5, -1, -1, shxd, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xAC, -1, -1, shxd, NULL, A_MODRM | A_IMM8, CC_SIMPLE);
  op_def(1, 0xAD, -1, -1, shxd, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xA3, -1, -1, bt_op, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xAB, -1, -1, bt_op, NULL, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xB3, -1, -1, bt_op, NULL, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xBB, -1, -1, bt_op, NULL, A_MODRM | A_LOCKOK, CC_SIMPLE);
  op_def(1, 0xBA, -1, 4, bt_op, NULL, A_MODRM | A_IMM8, CC_SIMPLE);
  for (int r = 5; r < 8; r++) op_def(1, 0xBA, -1, r, bt_op, NULL, A_MODRM | A_IMM8 | A_LOCKOK, CC_SIMPLE);
  /* BSF/BSR, and with F3: TZCNT/LZCNT (BMI1/ABM, advertised in CPUID) */
  op_def(1, 0xBC, -1, -1, bsf_bsr, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xBD, -1, -1, bsf_bsr, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xBC, 2, -1, tzcnt_lzcnt, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xBD, 2, -1, tzcnt_lzcnt, NULL, A_MODRM, CC_SIMPLE);
  op_def(1, 0xB8, 2, -1, popcnt_op, NULL, A_MODRM, CC_SIMPLE);
  for (int k = 0xF5; k <= 0xFD; k++)
    if (k == 0xF5 || k == 0xF8 || k == 0xF9 || k == 0xFC || k == 0xFD)
      op_def(0, k, -1, -1, flagop, NULL, 0, CC_SIMPLE);
  op_def(0, 0x9E, -1, -1, flagop, NULL, 0, CC_SIMPLE);
  op_def(0, 0x9F, -1, -1, flagop, NULL, 0, CC_SIMPLE);
  op_def(0, 0x9C, -1, -1, pushf_op, NULL, A_D64, CC_SIMPLE);
  op_def(0, 0x9D, -1, -1, popf_op, NULL, A_D64, CC_SIMPLE);
}
