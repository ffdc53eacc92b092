/* Differential integer tests: the case builder (see int_diff_build.h).
 * The SDM's undefined-flag rules, the family names, the generation
 * state and its seeded RNG, operand values and operand/memory set-up,
 * and the form helpers several generators share. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/int_diff_build.h"

/* ======================================================================
 * Undefined flags (SDM Vol. 2, "Flags Affected" of each instruction).
 * One table; count-dependent rules are functions below it.
 * ====================================================================== */
const struct undef_rule undef_rules[U__N] = {
  [U_NONE] = {0, "ADD ADC SUB SBB CMP INC DEC NEG CMPXCHG XADD POPCNT "
                 "CMPXCHG8B/16B SAHF POPF ...: all defined"},
  [U_LOGIC] = {F_AF, "AND OR XOR TEST: AF undefined"},
  [U_MUL] = {F_SF | F_ZF | F_AF | F_PF, "MUL IMUL: SF ZF AF PF undefined"},
  [U_DIV] = {F_ARITH, "DIV IDIV: CF OF SF ZF AF PF undefined"},
  [U_BT] = {F_OF | F_SF | F_AF | F_PF, "BT BTS BTR BTC: OF SF AF PF undefined"},
  [U_BSF] = {F_CF | F_OF | F_SF | F_AF | F_PF, "BSF BSR: CF OF SF AF PF undefined"},
  [U_XZCNT] = {F_OF | F_SF | F_AF | F_PF, "TZCNT LZCNT: OF SF AF PF undefined"},
  [U_ANDN] = {F_AF | F_PF, "ANDN: AF PF undefined"},
  [U_BEXTR] = {F_AF | F_SF | F_PF, "BEXTR: AF SF PF undefined"},
  [U_BLS] = {F_AF | F_PF, "BLSI BLSMSK BLSR: AF PF undefined"},
  [U_BZHI] = {F_AF | F_PF, "BZHI: AF PF undefined"},
};
/* Shifts and rotates (SAL/SAR/SHL/SHR, ROL/ROR/RCL/RCR), count already
 * masked to 5 bits (6 with REX.W):
 *   count 0: no flag is affected (ROL/ROR: OF undefined, see below);
 *   SHL/SHR/SAR: AF undefined; OF undefined unless count = 1; CF undefined
 *     for SHL/SHR when count >= operand size;
 *   ROL/ROR/RCL/RCR: OF undefined unless count = 1 (the SDM's ROL/ROR
 *     pseudo-code leaves OF undefined for every count but 1, 0 included). */
uint32_t undef_shift(unsigned op, unsigned sz, unsigned mcount) {
  uint32_t u = 0;
  if (op <= 1) return mcount == 1 ? 0 : F_OF;
  if (mcount == 0) return 0;
  if (op <= 3) return mcount == 1 ? 0 : F_OF;
  u |= F_AF;
  if (mcount != 1) u |= F_OF;
  if ((op == 4 || op == 5 || op == 6) && mcount >= sz * 8) u |= F_CF;
  return u;
}
/* SHLD/SHRD: count 0 affects nothing; AF undefined; OF undefined unless
 * count = 1; count > operand size (16-bit only, after masking): result and
 * every flag undefined. */
uint32_t undef_shxd(unsigned sz, unsigned mcount) {
  if (mcount == 0) return 0;
  if (mcount > sz * 8) return F_ARITH;
  return F_AF | (mcount == 1 ? 0 : F_OF);
}

/* ======================================================================
 * Families
 * ====================================================================== */
const char *fam_name[FAM__N] = {
  "ALU (ADD OR ADC SBB AND SUB XOR CMP TEST)", "INC DEC NOT NEG", "MUL IMUL",
  "DIV IDIV", "shifts/rotates", "SHLD SHRD", "BT BTS BTR BTC",
  "BSF BSR TZCNT LZCNT POPCNT", "MOV MOVZX MOVSX MOVSXD moffs MOVBE BSWAP",
  "LEA", "XCHG CMPXCHG CMPXCHG8B/16B XADD", "CMOVcc SETcc Jcc LOOP JrCXZ",
  "LAHF SAHF CLC STC CMC CLD STD PUSHF POPF", "CBW CWDE CDQE CWD CDQ CQO",
  "PUSH POP ENTER LEAVE CALL RET JMP", "MOVS STOS LODS CMPS SCAS (+REP)",
  "BMI1/BMI2", "lazy-flag sequences", "random instruction sequences",
  "instructions straddling a code page boundary",
  "NOP/hint/fence, traps, privileged (#GP)",
  "memory faults (#PF #GP): atomicity, REP progress", "#UD rules (interpreter only)",
};

/* ======================================================================
 * Case builder
 * ====================================================================== */
struct id_gen G;
uint64_t rs = 0x1234567890abcdefull;
int cur_fam;

void gen_reset(int fam, uint64_t seed) {
  free(G.v);
  free(G.form);
  memset(&G, 0, sizeof G);
  rs = seed * 0x9E3779B97F4A7C15ull + 77;
  cur_fam = fam;
}

void form(const char *fmt, ...) {
  if (G.nform == G.capform) {
    G.capform = G.capform ? G.capform * 2 : 256;
    G.form = realloc(G.form, G.capform * sizeof *G.form);
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(G.form[G.nform], sizeof G.form[0], fmt, ap);
  va_end(ap);
  G.nform++;
  G.forms[cur_fam]++;
}

uint64_t rval64(void) {
  switch (rn(6)) {
  case 0: return rn(300);
  case 1: return (uint64_t)-(int64_t)rn(300);
  case 2: return rnd() & rnd();
  case 3: return rnd() | rnd();
  default: return rnd();
  }
}

struct id_case *nc(void) {
  if (G.n == G.cap) {
    G.cap = G.cap ? G.cap * 2 : 4096;
    G.v = realloc(G.v, G.cap * sizeof *G.v);
  }
  struct id_case *c = &G.v[G.n];
  memset(c, 0, sizeof *c);
  c->fam = (uint8_t)cur_fam;
  c->form = (uint32_t)(G.nform - 1);
  c->xoff = -1;
  c->mseed = (uint32_t)(rnd() >> 20);
  for (int r = 0; r < 16; r++) c->r[r] = rnd();
  c->r[RSP] = ID_STACK - 8 * rn(8);
  c->fl = 0x202 | (rnd() & F_ARITH) | (rn(4) == 0 ? F_DF : 0);
  return c;
}

void emit(struct id_case *c, const ins_t *x) {
  int n = enc(x, c->code + c->len, c->cofs + c->len);
  cr_assert(c->len + n <= ID_MAXCODE - 2, "code too long");
  c->len = (uint8_t)(c->len + n);
}
void raw(struct id_case *c, const uint8_t *b, int n) {
  memcpy(c->code + c->len, b, (size_t)n);
  c->len = (uint8_t)(c->len + n);
}
void fin(struct id_case *c) {
  G.n++;
  G.cases[cur_fam]++;
}

void mop_set(struct id_case *c, uint64_t addr, unsigned bytes, uint64_t v) {
  cr_assert(c->nmop < ID_MAXMOP);
  cr_assert(addr >= FX_DATA && addr + bytes <= FX_DATA + FX_DATA_SIZE);
  struct id_mop *m = &c->mop[c->nmop++];
  m->kind = MOP_SET;
  m->esz = (uint8_t)bytes;
  m->off = (uint16_t)(addr - FX_DATA);
  m->val = v;
}
void mop_rep(struct id_case *c, uint64_t addr, unsigned esz, unsigned n, uint64_t v) {
  cr_assert(c->nmop < ID_MAXMOP);
  struct id_mop *m = &c->mop[c->nmop++];
  m->kind = MOP_REP;
  m->esz = (uint8_t)esz;
  m->off = (uint16_t)(addr - FX_DATA);
  m->n = (uint16_t)n;
  m->val = v;
}
void mop_copy(struct id_case *c, uint64_t dst, uint64_t src, unsigned n) {
  cr_assert(c->nmop < ID_MAXMOP);
  struct id_mop *m = &c->mop[c->nmop++];
  m->kind = MOP_COPY;
  m->off = (uint16_t)(dst - FX_DATA);
  m->off2 = (uint16_t)(src - FX_DATA);
  m->n = (uint16_t)n;
}

/* Edge values of an operand size. */
uint64_t edge(unsigned sz, unsigned k) {
  unsigned b = sz * 8;
  uint64_t m = smask(sz), sb = 1ull << (b - 1);
  switch (k % NEDGE) {
  case 0: return 0;
  case 1: return 1;
  case 2: return 2;
  case 3: return m;
  case 4: return m - 1;
  case 5: return sb - 1;
  case 6: return sb;
  case 7: return sb + 1;
  case 8: return sb - 2;
  case 9: return 0x0f;
  case 10: return 0x10;
  case 11: return 0x5555555555555555ull & m;
  case 12: return 0xaaaaaaaaaaaaaaaaull & m;
  case 13: return sz == 1 ? 0x3f : 0x7f;
  case 14: return (1ull << (b / 2)) & m;
  default: return (1ull << (b / 2)) - 1;
  }
}
/* a random operand value with varied bit densities and sign boundaries */
uint64_t rval(unsigned sz) {
  uint64_t sb = 1ull << (sz * 8 - 1);
  switch (rn(5)) {
  case 0: return rn(40);
  case 1: return sb + rn(9) - 4;
  case 2: return smask(sz) - rn(40);
  default: return rval64();
  }
}
/* value pair k of a binary operation: all edge pairs first, then random */
void pairv(unsigned sz, unsigned k, uint64_t *a, uint64_t *b) {
  if (k < NEDGE * NEDGE) { *a = edge(sz, k / NEDGE); *b = edge(sz, k % NEDGE); }
  else { *a = rval(sz); *b = rval(sz); }
}
uint64_t onev(unsigned sz, unsigned k) { return k < NEDGE ? edge(sz, k) : rval(sz); }

/* Write an operand value into register r (sz bytes; AH..BH when leg8). */
void setop(struct id_case *c, int r, unsigned sz, int leg8, uint64_t v) {
  if (sz == 1 && leg8 && r >= 4 && r < 8) {
    c->r[r - 4] = (c->r[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
    return;
  }
  uint64_t m = smask(sz);
  c->r[r] = (c->r[r] & ~m) | (v & m);
}

int pick_reg(int pool, uint32_t avoid) {
  for (;;) {
    int r = (int)rn((unsigned)pool);
    if (!(avoid >> r & 1)) return r;
  }
}
/* a byte/word register operand; with leg8, 4..7 alias AH..BH of 0..3 */
int pick_op(int pool, uint32_t avoid, int leg8) {
  for (;;) {
    int r = pick_reg(pool, avoid);
    if (leg8 && r >= 4 && (avoid >> (r - 4) & 1)) continue;
    return r;
  }
}

/* Choose a memory operand for x with effective address `target`, setting
 * the base/index registers of case c.  lowregs: registers 0..7 only (no
 * REX).  Every ModRM/SIB form: [b], [b+d8], [b+d32], [b+i*s], [b+i*s+d],
 * [i*s+d32], [d32], [rip+d32]; 67 (32-bit addressing, garbage in the upper
 * halves of base and index) when allow67. */
void pick_mem(struct id_case *c, ins_t *x, uint64_t target, uint32_t avoid,
              int lowregs, int allow67) {
  int pool = lowregs ? 8 : 16;
  int a32 = allow67 && rn(6) == 0;
  int kind = (int)rn(8);
  mem_t *m = &x->m;
  x->rm = NOREG;
  m->base = m->index = NOREG;
  m->scale = (int)rn(4);
  m->dsz = 0;
  m->disp = 0;
  if (a32) ins_pfx(x, 0x67);
  uint64_t idxv = 0;
  switch (kind) {
  case 1: m->disp = (int32_t)rn(256) - 128; m->dsz = 1; break;
  case 2: m->disp = (int32_t)(rnd() % 0x200000) - 0x100000; m->dsz = 4; break;
  case 4: m->disp = rn(2) ? (int32_t)rn(256) - 128 : (int32_t)(rnd() % 0x200000) - 0x100000; break;
  case 5: m->disp = 0; break;
  default: break;
  }
  if (kind == 3 || kind == 4 || kind == 5) {
    m->index = pick_reg(pool, avoid | (1u << RSP));
    idxv = kind == 5 ? rn(64) : rnd();   /* [i*s+d32]: d32 holds the rest */
    if (a32) idxv = (rnd() << 32) | (uint32_t)idxv;
    c->r[m->index] = idxv;
  }
  if (kind == 6 || kind == 5) {
    m->base = NOREG;
    m->disp = (int32_t)(target - (idxv << m->scale));
    return;
  }
  if (kind == 7) {
    m->base = RIPB;
    m->riptarget = target;
    return;
  }
  if (kind < 3) m->index = NOREG;
  do m->base = pick_reg(pool, avoid); while (m->base == m->index);
  uint64_t bv = target - (uint64_t)(int64_t)m->disp - (m->index != NOREG ? idxv << m->scale : 0);
  if (a32) bv = (rnd() << 32) | (uint32_t)bv;
  c->r[m->base] = bv;
}

/* Operand set-up for the common r/m + reg forms (ops_t). */
void size_pfx(ins_t *x, unsigned sz) {
  if (sz == 2) ins_pfx(x, 0x66);
  if (sz == 8) x->rexw = 1;
}

/* Fill x's operand fields: size prefix, LOCK, registers, memory operand.
 * avoid: registers not to use as operands/base/index (soft: ignored 1 time
 * in 12 so implicit-operand collisions are covered too). */
int g_hard_avoid;
void prep(struct id_case *c, ins_t *x, ops_t *o, unsigned sz, int kind,
          uint32_t avoid, int with_g, int toff) {
  memset(o, 0, sizeof *o);
  o->sz = sz;
  o->leg8 = sz == 1 && rn(2);
  uint32_t mavoid = avoid;   /* base/index never alias implicit operands */
  if (!g_hard_avoid && rn(12) == 0) avoid = 0;
  if (kind == K_MEML) ins_pfx(x, 0xF0);
  size_pfx(x, sz);
  if (sz == 1 && !o->leg8) x->force_rex = 1;
  else if (sz != 1) x->force_rex = rn(8) == 0;
  int pool = o->leg8 ? 8 : 16;
  o->g = NOREG;
  if (with_g) { o->g = pick_op(pool, avoid, o->leg8); x->reg = o->g; }
  x->has_modrm = 1;
  if (kind == K_REG) {
    o->e = (with_g && rn(8) == 0) ? o->g : pick_op(pool, avoid, o->leg8);
    x->rm = o->e;
  } else {
    o->e = NOREG;
    o->ea = ID_MEMBASE + (uint64_t)(int64_t)toff;
    pick_mem(c, x, o->ea, mavoid | (with_g && o->g != NOREG ? 1u << o->g : 0)
             | (o->leg8 && with_g && o->g >= 4 ? 1u << (o->g - 4) : 0), o->leg8, 1);
  }
}
int rtoff(void) { return (int)rn(129) - 64; }
void set_e(struct id_case *c, const ops_t *o, uint64_t v) {
  if (o->e != NOREG) setop(c, o->e, o->sz, o->leg8, v);
  else mop_set(c, o->ea, o->sz, v);
}
void set_g(struct id_case *c, const ops_t *o, uint64_t v) {
  setop(c, o->g, o->sz, o->leg8, v);
}

const char *kname(int kind) { return kind == K_REG ? "reg" : kind == K_MEM ? "mem" : "mem,lock"; }
const char *szn(unsigned sz) { return sz == 1 ? "8" : sz == 2 ? "16" : sz == 4 ? "32" : "64"; }

/* ======================================================================
 * Helpers shared by several generators
 * ====================================================================== */
const unsigned SZ[4] = {1, 2, 4, 8};
unsigned immsz_of(int opc_is_iz, unsigned sz) {
  if (!opc_is_iz) return 1;
  return sz == 2 ? 2 : 4;
}
/* immediate value k (the edges of the immediate's own size, sign-extended) */
uint64_t immv(unsigned isz, unsigned k) {
  return k < NEDGE * NEDGE ? edge(isz, k % NEDGE) : rval(isz);
}

/* E,G / G,E two-operand form */
void gen_eg(const char *nm, int map, int opc, unsigned sz, int kind, uint32_t undef,
            unsigned ncase, int pfx) {
  (void)nm;
  for (unsigned k = 0; k < ncase; k++) {
    struct id_case *c = nc();
    ins_t x; ops_t o;
    ins_init(&x);
    if (pfx) ins_pfx(&x, (uint8_t)pfx);
    x.map = map;
    x.opc = opc;
    prep(c, &x, &o, sz, kind, 0, 1, rtoff());
    uint64_t a, b;
    pairv(sz, k, &a, &b);
    set_e(c, &o, a);
    set_g(c, &o, b);
    emit(c, &x);
    c->undef = undef;
    fin(c);
  }
}
/* E,imm group form (digit in ModRM.reg) */
void gen_ei(int opc, int digit, unsigned sz, unsigned isz, int kind, uint32_t undef, unsigned ncase) {
  for (unsigned k = 0; k < ncase; k++) {
    struct id_case *c = nc();
    ins_t x; ops_t o;
    ins_init(&x);
    x.opc = opc;
    prep(c, &x, &o, sz, kind, 0, 0, rtoff());
    x.reg = digit;
    set_e(c, &o, k < NEDGE * NEDGE ? edge(sz, k / NEDGE) : rval(sz));
    x.immsz = (int)isz;
    x.imm = immv(isz, k) & smask(isz);
    emit(c, &x);
    c->undef = undef;
    fin(c);
  }
}
/* accumulator, imm */
void gen_ai(int opc, unsigned sz, unsigned isz, uint32_t undef, unsigned ncase) {
  for (unsigned k = 0; k < ncase; k++) {
    struct id_case *c = nc();
    ins_t x;
    ins_init(&x);
    x.opc = opc;
    size_pfx(&x, sz);
    x.force_rex = sz != 1 && rn(8) == 0;
    setop(c, RAX, sz, 0, k < NEDGE * NEDGE ? edge(sz, k / NEDGE) : rval(sz));
    x.immsz = (int)isz;
    x.imm = immv(isz, k) & smask(isz);
    emit(c, &x);
    c->undef = undef;
    fin(c);
  }
}

uint64_t flags_k(unsigned k) {
  /* all 64 combinations of CF PF AF ZF SF OF, DF sometimes */
  uint64_t f = 0x202;
  if (k & 1) f |= F_CF;
  if (k & 2) f |= F_PF;
  if (k & 4) f |= F_AF;
  if (k & 8) f |= F_ZF;
  if (k & 16) f |= F_SF;
  if (k & 32) f |= F_OF;
  if (k & 64) f |= F_DF;
  return f;
}
