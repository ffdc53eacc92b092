/* Lazy arithmetic flags.  ALU ops record (op, size, result, operands);
 * flags are computed only when read (Jcc/SETcc/CMOVcc, PUSHF, LAHF ...).
 * Eager ops (shifts, multiplies, BT ...) write rflags and set LF_NONE. */
#include "cpu-x86/interp.h"

unsigned parity8(uint64_t v) { return !__builtin_parity((unsigned)(v & 0xff)); }

static inline unsigned bits_of(unsigned si) { return 8u << si; }

/* CF of the lazy state */
int flags_cf(struct vcpu *c) {
  unsigned op = c->lf_op & 0xff, si = c->lf_op >> 8;
  uint64_t m = si == 3 ? ~0ull : (1ull << bits_of(si)) - 1;
  uint64_t d = c->lf_dst & m, s = c->lf_src & m, r = c->lf_res & m;
  switch (op) {
  case LF_ADD: return r < d;
  /* ADC/SBB: the carry-in was materialized into rflags.CF (lf_keep_cf) */
  case LF_ADC: return r < d || ((c->rflags & F_CF) && r == d);
  case LF_SUB: return d < s;
  case LF_SBB: return d < s || ((c->rflags & F_CF) && d == s);
  case LF_LOGIC: return 0;
  case LF_INC: case LF_DEC: case LF_NONE: default: return (int)(c->rflags & F_CF);
  }
}

uint64_t flags_get(struct vcpu *c) {
  unsigned op = c->lf_op & 0xff, si = c->lf_op >> 8;
  if (op == LF_NONE) return c->rflags;
  unsigned bits = bits_of(si);
  uint64_t m = si == 3 ? ~0ull : (1ull << bits) - 1;
  uint64_t d = c->lf_dst & m, s = c->lf_src & m, r = c->lf_res & m;
  uint64_t sign = 1ull << (bits - 1);
  uint32_t f = 0;
  if (flags_cf(c)) f |= F_CF;
  if (r == 0) f |= F_ZF;
  if (r & sign) f |= F_SF;
  if (parity8(r)) f |= F_PF;
  switch (op) {
  case LF_ADD: case LF_ADC:
    if ((d ^ r) & (s ^ r) & sign) f |= F_OF;
    if ((d ^ s ^ r) & 0x10) f |= F_AF;
    break;
  case LF_SUB: case LF_SBB:
    if ((d ^ s) & (d ^ r) & sign) f |= F_OF;
    if ((d ^ s ^ r) & 0x10) f |= F_AF;
    break;
  case LF_INC:
    if (r == sign) f |= F_OF;
    if ((r & 0xf) == 0) f |= F_AF;
    break;
  case LF_DEC:
    if (r == sign - 1) f |= F_OF;
    if ((r & 0xf) == 0xf) f |= F_AF;
    break;
  case LF_LOGIC:
    break;   /* AF undefined: 0, as AMD and Intel both return */
  }
  c->rflags = (c->rflags & ~(uint64_t)F_ARITH) | f;
  c->lf_op = LF_NONE;
  return c->rflags;
}

/* (every arithmetic flag is replaced: the lazy state need not be
 * materialized first; flags_get writes only these bits) */
void flags_set_arith(struct vcpu *c, uint32_t f) {
  c->rflags = (c->rflags & ~(uint64_t)F_ARITH) | (f & F_ARITH);
  c->lf_op = LF_NONE;
}

void lf_keep_cf(struct vcpu *c) {
  if ((c->lf_op & 0xff) != LF_NONE) {
    uint64_t cf = (uint64_t)flags_cf(c);
    c->rflags = (c->rflags & ~(uint64_t)F_CF) | cf;
  }
}

/* Condition codes (SDM Vol. 1 Appendix B). */
int cond_true(struct vcpu *c, unsigned cc) {
  unsigned op = c->lf_op & 0xff;
  int r;
  if (op == LF_SUB || op == LF_LOGIC) {
    /* fast paths for CMP/SUB and TEST/AND/OR/XOR */
    unsigned si = c->lf_op >> 8, bits = 8u << si;
    uint64_t m = si == 3 ? ~0ull : (1ull << bits) - 1;
    uint64_t d = c->lf_dst & m, s = c->lf_src & m, res = c->lf_res & m;
    int64_t sd = (int64_t)(d << (64 - bits)), ss = (int64_t)(s << (64 - bits));
    int zf = res == 0, sf = (int)(res >> (bits - 1)) & 1;
    if (op == LF_SUB) {
      switch (cc >> 1) {
      case 1: r = d < s; goto out;                 /* B */
      case 2: r = zf; goto out;                    /* E */
      case 3: r = d <= s; goto out;                /* BE */
      case 4: r = sf; goto out;                    /* S */
      case 6: r = sd < ss; goto out;               /* L */
      case 7: r = sd <= ss; goto out;              /* LE */
      default: break;
      }
    } else {
      switch (cc >> 1) {
      case 0: r = 0; goto out;                     /* O */
      case 1: r = 0; goto out;                     /* B */
      case 2: r = zf; goto out;
      case 3: r = zf; goto out;
      case 4: r = sf; goto out;
      case 6: r = sf; goto out;
      case 7: r = zf || sf; goto out;
      default: break;
      }
    }
  }
  {
    uint64_t f = flags_get(c);
    int cf = f & F_CF ? 1 : 0, zf = f & F_ZF ? 1 : 0, sf = f & F_SF ? 1 : 0;
    int of = f & F_OF ? 1 : 0, pf = f & F_PF ? 1 : 0;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || (sf != of); break;
    }
  }
out:
  return (cc & 1) ? !r : r;
}

uint64_t cpu_get_rflags(struct vcpu *c) { return flags_get(c) | 2; }
void cpu_set_rflags(struct vcpu *c, uint64_t f) {
  c->lf_op = LF_NONE;
  /* user mode: IF is always 1 (CPL 3 cannot clear it; cpu_init sets it) */
  c->rflags = (f & 0x254dd5ull) | 2 | F_IF;
}
