/* SSE4.2 string compares PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (all
 * imm8 modes, SDM Vol. 2 4.1) and CRC32 (CRC-32C, reflected polynomial
 * 0x82F63B78, no pre/post inversion).  The 128-bit memory operand of the
 * string compares need not be aligned. */
#include "cpu-x86/sse_impl.h"

static inline int elem(const xmm_t *x, unsigned k, unsigned fmt) {
  switch (fmt) {
  case 0: return x->b[k];
  case 1: return x->w[k];
  case 2: return x->sb[k];
  default: return x->sw[k];
  }
}
static unsigned implicit_len(const xmm_t *x, unsigned n, unsigned fmt) {
  for (unsigned k = 0; k < n; k++) if (elem(x, k, fmt) == 0) return k;
  return n;
}
static unsigned explicit_len(struct vcpu *c, const insn_t *i, int r, unsigned n) {
  int64_t v = i->rexw ? (int64_t)c->r[r] : (int64_t)(int32_t)c->r[r];
  uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  return a > n ? n : (unsigned)a;
}

/* IntRes2 for operands a (xmm1: the set / ranges / needle) and b
 * (xmm2/m128: the string), valid lengths la and lb. */
static unsigned pcmpstr(const xmm_t *a, const xmm_t *b, unsigned la, unsigned lb,
                        unsigned imm) {
  unsigned fmt = imm & 3, n = (imm & 1) ? 8 : 16;
  unsigned res = 0;
  switch ((imm >> 2) & 3) {
  case 0:   /* equal any */
    for (unsigned j = 0; j < lb; j++)
      for (unsigned k = 0; k < la; k++)
        if (elem(a, k, fmt) == elem(b, j, fmt)) { res |= 1u << j; break; }
    break;
  case 1:   /* ranges: a holds [lo, hi] pairs */
    for (unsigned j = 0; j < lb; j++) {
      int v = elem(b, j, fmt);
      for (unsigned k = 0; k + 1 < la; k += 2)
        if (v >= elem(a, k, fmt) && v <= elem(a, k + 1, fmt)) { res |= 1u << j; break; }
    }
    break;
  case 2:   /* equal each: both invalid -> true, one invalid -> false */
    for (unsigned j = 0; j < n; j++) {
      int va = j < la, vb = j < lb;
      if (va && vb ? elem(a, j, fmt) == elem(b, j, fmt) : !va && !vb) res |= 1u << j;
    }
    break;
  default:  /* equal ordered: needle a at each position of b */
    for (unsigned j = 0; j < n; j++) {
      int m = 1;
      for (unsigned k = 0; k < n - j && m; k++) {
        if (k >= la) break;                       /* needle ended: match */
        if (j + k >= lb || elem(a, k, fmt) != elem(b, j + k, fmt)) m = 0;
      }
      if (m) res |= 1u << j;
    }
    break;
  }
  unsigned all = (1u << n) - 1;
  switch ((imm >> 4) & 3) {
  case 1: res = ~res & all; break;                 /* negative */
  case 3: res ^= (1u << lb) - 1; break;            /* masked negative */
  default: break;
  }
  return res & all;
}

static void pcmp_flags(struct vcpu *c, unsigned res, unsigned la, unsigned lb, unsigned n) {
  uint32_t f = 0;
  if (res) f |= F_CF;
  if (lb < n) f |= F_ZF;
  if (la < n) f |= F_SF;
  if (res & 1) f |= F_OF;
  flags_set_arith(c, f);
}
static void out_index(struct vcpu *c, unsigned res, unsigned n, unsigned imm) {
  unsigned idx = n;
  if (res) idx = (imm & 0x40) ? 31u - (unsigned)__builtin_clz(res) : (unsigned)__builtin_ctz(res);
  c->r[RCX] = idx;
}
static void out_mask(struct vcpu *c, unsigned res, unsigned n, unsigned imm) {
  xmm_t m;
  m.q[0] = m.q[1] = 0;
  if (!(imm & 0x40)) m.q[0] = res;
  else if (n == 16) { for (unsigned k = 0; k < 16; k++) m.b[k] = (res >> k & 1) ? 0xff : 0; }
  else { for (unsigned k = 0; k < 8; k++) m.w[k] = (res >> k & 1) ? 0xffff : 0; }
  c->xmm[0] = m;
}

static const insn_t *pcmpxstrx(struct vcpu *c, const insn_t *i) {
  xmm_t b;
  src_u16(c, i, &b);
  const xmm_t *a = &c->xmm[i->reg];
  unsigned imm = (unsigned)i->imm & 0xff, n = (imm & 1) ? 8 : 16, la, lb;
  if (i->opc & 2) {          /* 62/63: implicit lengths */
    la = implicit_len(a, n, imm & 3);
    lb = implicit_len(&b, n, imm & 3);
  } else {                   /* 60/61: explicit, rAX and rDX */
    la = explicit_len(c, i, RAX, n);
    lb = explicit_len(c, i, RDX, n);
  }
  unsigned res = pcmpstr(a, &b, la, lb, imm);
  if (i->opc & 1) out_index(c, res, n, imm);
  else out_mask(c, res, n, imm);
  pcmp_flags(c, res, la, lb, n);
  return i + 1;
}

/* ---- CRC32 --------------------------------------------------------------- */
static uint32_t crc_tab[256];
static void crc_init(void) {
  for (uint32_t k = 0; k < 256; k++) {
    uint32_t r = k;
    for (int j = 0; j < 8; j++) r = (r >> 1) ^ ((r & 1) ? 0x82F63B78u : 0);
    crc_tab[k] = r;
  }
}
static const insn_t *crc32_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opc == 0xF0 ? 1 : i->opsz;
  uint64_t v = get_rm(c, i, sz);
  uint32_t crc = (uint32_t)c->r[i->reg];
  for (unsigned k = 0; k < sz; k++) {
    crc = crc_tab[(crc ^ (uint32_t)v) & 0xff] ^ (crc >> 8);
    v >>= 8;
  }
  c->r[i->reg] = crc;
  return i + 1;
}

void sse_str_register(void) {
  crc_init();
  for (int o = 0x60; o <= 0x63; o++)
    op_def(3, o, 1, -1, pcmpxstrx, NULL, A_MODRM | A_SSE | A_IMM8, CC_STRING);
  op_def(2, 0xF0, 3, -1, crc32_op, NULL, A_MODRM | A_BYTE, CC_SIMPLE);
  op_def(2, 0xF1, 3, -1, crc32_op, NULL, A_MODRM, CC_SIMPLE);
}
