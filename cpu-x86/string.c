/* String instructions MOVS CMPS STOS LODS SCAS with REP/REPE/REPNE.
 * REP forms are interruptible: each iteration updates RCX/RSI/RDI, so a
 * fault mid-way restarts at the same instruction with the progress kept
 * (SDM Vol. 1 7.3.9.1).  A REP instruction retires once. */
#include "cpu-x86/interp.h"

static inline uint64_t amask(const insn_t *i) { return i->asz == 8 ? ~0ull : 0xffffffffull; }
static inline int64_t step(struct vcpu *c, unsigned sz) {
  return (c->rflags & F_DF) ? -(int64_t)sz : (int64_t)sz;
}
static inline void adv(struct vcpu *c, const insn_t *i, unsigned r, int64_t d) {
  if (i->asz == 8) c->r[r] += (uint64_t)d;
  else c->r[r] = (uint32_t)(c->r[r] + (uint64_t)d);
}
static inline uint64_t cnt(struct vcpu *c, const insn_t *i) { return c->r[RCX] & amask(i); }
static inline void dec_cnt(struct vcpu *c, const insn_t *i) { adv(c, i, RCX, -1); }

/* Source segment: DS (overridable: FS/GS); destination: ES (no override). */
static inline uint64_t src_addr(struct vcpu *c, const insn_t *i) {
  return (c->r[RSI] & amask(i)) + c->segbase[i->seg];
}
static inline uint64_t dst_addr(struct vcpu *c, const insn_t *i) {
  return c->r[RDI] & amask(i);
}

/* REP forms count and record their references per iteration (refs.c) */
static inline void rep_begin(struct vcpu *c, const insn_t *i, uint64_t src, uint64_t dst) {
  cpu_rep_begin(c, i, cnt(c, i), src, dst);
}

static const insn_t *movs_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  if (i->rep) {
    int64_t d = step(c, sz);
    rep_begin(c, i, src_addr(c, i), dst_addr(c, i));
    while (cnt(c, i)) {
      uint64_t s = src_addr(c, i), t = dst_addr(c, i);
      /* fast chunk: forward, both within pages, TLB hits */
      if (d > 0 && i->asz == 8) {
        uint64_t n = cnt(c, i);
        uint64_t room_s = (0x1000 - (s & 0xfff)) / sz, room_t = (0x1000 - (t & 0xfff)) / sz;
        uint64_t k = n < room_s ? n : room_s;
        if (room_t < k) k = room_t;
        if (k > 1) {
          uint8_t *ps = mem_r_ptr(c, s, (unsigned)(k * sz));
          uint8_t *pt = ps ? mem_w_ptr(c, t, (unsigned)(k * sz)) : NULL;
          if (pt) {
            /* overlapping forward move: element by element (each element
             * is loaded whole, then stored), as the iterations would */
            if (pt > ps && pt < ps + k * sz)
              for (uint64_t e = 0; e < k; e++) memmove(pt + e * sz, ps + e * sz, sz);
            else memmove(pt, ps, k * sz);
            c->r[RSI] += k * sz; c->r[RDI] += k * sz; c->r[RCX] -= k;
            continue;
          }
        }
      }
      uint64_t v = ld_sz(c, s, sz);
      st_sz(c, t, sz, v);
      adv(c, i, RSI, d); adv(c, i, RDI, d); dec_cnt(c, i);
    }
    cpu_rep_end(c, i, 0);
    return i + 1;
  }
  st_sz(c, dst_addr(c, i), sz, ld_sz(c, src_addr(c, i), sz));
  adv(c, i, RSI, step(c, sz)); adv(c, i, RDI, step(c, sz));
  return i + 1;
}

static const insn_t *stos_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  uint64_t v = c->r[RAX];
  if (i->rep) {
    int64_t d = step(c, sz);
    rep_begin(c, i, 0, dst_addr(c, i));
    while (cnt(c, i)) {
      uint64_t t = dst_addr(c, i);
      if (d > 0 && i->asz == 8) {
        uint64_t n = cnt(c, i), room = (0x1000 - (t & 0xfff)) / sz;
        uint64_t k = n < room ? n : room;
        if (k > 1) {
          uint8_t *pt = mem_w_ptr(c, t, (unsigned)(k * sz));
          if (pt) {
            if (sz == 1) memset(pt, (int)(v & 0xff), k);
            else for (uint64_t e = 0; e < k; e++) memcpy(pt + e * sz, &v, sz);
            c->r[RDI] += k * sz; c->r[RCX] -= k;
            continue;
          }
        }
      }
      st_sz(c, t, sz, v);
      adv(c, i, RDI, d); dec_cnt(c, i);
    }
    cpu_rep_end(c, i, 0);
    return i + 1;
  }
  st_sz(c, dst_addr(c, i), sz, v);
  adv(c, i, RDI, step(c, sz));
  return i + 1;
}

static const insn_t *lods_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  int64_t d = step(c, sz);
  if (i->rep) {
    rep_begin(c, i, src_addr(c, i), 0);
    while (cnt(c, i)) {
      set_reg(c, RAX, sz, ld_sz(c, src_addr(c, i), sz));
      adv(c, i, RSI, d); dec_cnt(c, i);
    }
    cpu_rep_end(c, i, 0);
    return i + 1;
  }
  set_reg(c, RAX, sz, ld_sz(c, src_addr(c, i), sz));
  adv(c, i, RSI, d);
  return i + 1;
}

static const insn_t *cmps_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  int64_t d = step(c, sz);
  if (i->rep) rep_begin(c, i, src_addr(c, i), dst_addr(c, i));
  do {
    if (i->rep && !cnt(c, i)) break;
    uint64_t a = ld_sz(c, src_addr(c, i), sz), b = ld_sz(c, dst_addr(c, i), sz);
    lf_set(c, LF_SUB, sz, a - b, a, b);
    adv(c, i, RSI, d); adv(c, i, RDI, d);
    if (!i->rep) break;
    dec_cnt(c, i);
    int zf = ((a - b) & size_mask(sz)) == 0;
    if (i->rep == 0xF3 ? !zf : zf) break;
  } while (1);
  if (i->rep) cpu_rep_end(c, i, cnt(c, i));
  return i + 1;
}

static const insn_t *scas_op(struct vcpu *c, const insn_t *i) {
  unsigned sz = i->opsz;
  int64_t d = step(c, sz);
  uint64_t a = c->r[RAX] & size_mask(sz);
  if (i->rep) rep_begin(c, i, 0, dst_addr(c, i));
  do {
    if (i->rep && !cnt(c, i)) break;
    uint64_t b = ld_sz(c, dst_addr(c, i), sz);
    lf_set(c, LF_SUB, sz, a - b, a, b);
    adv(c, i, RDI, d);
    if (!i->rep) break;
    dec_cnt(c, i);
    int zf = ((a - b) & size_mask(sz)) == 0;
    if (i->rep == 0xF3 ? !zf : zf) break;
  } while (1);
  if (i->rep) cpu_rep_end(c, i, cnt(c, i));
  return i + 1;
}

void string_register(void) {
  op_def(0, 0xA4, -1, -1, movs_op, NULL, A_BYTE, CC_STRING);
  op_def(0, 0xA5, -1, -1, movs_op, NULL, 0, CC_STRING);
  op_def(0, 0xA6, -1, -1, cmps_op, NULL, A_BYTE, CC_STRING);
  op_def(0, 0xA7, -1, -1, cmps_op, NULL, 0, CC_STRING);
  op_def(0, 0xAA, -1, -1, stos_op, NULL, A_BYTE, CC_STRING);
  op_def(0, 0xAB, -1, -1, stos_op, NULL, 0, CC_STRING);
  op_def(0, 0xAC, -1, -1, lods_op, NULL, A_BYTE, CC_STRING);
  op_def(0, 0xAD, -1, -1, lods_op, NULL, 0, CC_STRING);
  op_def(0, 0xAE, -1, -1, scas_op, NULL, A_BYTE, CC_STRING);
  op_def(0, 0xAF, -1, -1, scas_op, NULL, 0, CC_STRING);
}
