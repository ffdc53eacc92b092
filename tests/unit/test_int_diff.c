/* Differential tests of the integer instructions against the HOST CPU.
 *
 * Every case is a real instruction encoding (or a short sequence) with an
 * initial state (16 GPRs, RFLAGS, memory).  It runs natively (forked child,
 * batches of 4096 cases per child, code at FX_CODE and data at FX_DATA
 * mapped MAP_FIXED so every address matches, #DE/#GP/#PF caught as
 * signals with the registers at the fault: int_diff_native.c) and in the
 * interpreter (cpu_fixture machine: int_diff_interp.c).  Compared: all 16
 * GPRs, the fault vector and faulting RIP, three memory windows (around
 * the operands, the stack, an extra one for far BT offsets and the edges
 * of the mapping), the whole 64 KiB data area once per batch (stray
 * writes), and RFLAGS masked only by the flags the SDM leaves undefined for
 * that case (the table `undef_rules` and the count rules below it; where
 * AMD defines a flag Intel leaves undefined the interpreter need not
 * match: such cases are counted and reported as "masked").
 *
 * Families (a Test each): ALU (ADD..CMP in every form, TEST, prefix
 * combinations), INC/DEC/NOT/NEG, MUL/IMUL (3 forms), DIV/IDIV (#DE),
 * shifts/rotates (counts 0..2*size+1 and more), SHLD/SHRD, BT* (register
 * and immediate offsets, far and negative memory offsets), BSF/BSR/TZCNT/
 * LZCNT/POPCNT, MOV family (+moffs, MOVZX/MOVSX/MOVSXD, MOVBE, BSWAP,
 * XLAT), LEA (every ModRM/SIB form, REX.B/X, 67), XCHG/CMPXCHG/CMPXCHG8B/
 * 16B/XADD, CMOVcc/SETcc/Jcc/LOOPcc/JrCXZ (all 64 flag combinations), flag
 * instructions and PUSHF/POPF, CBW..CQO, PUSH/POP/ENTER/LEAVE/CALL/RET/
 * JMP, strings (REP/REPE/REPNE, both directions, 67, overlapping and
 * page-crossing runs), BMI1/BMI2, lazy-flag producer/consumer pairs, random
 * instruction sequences (undefined flags tracked along the sequence),
 * instructions straddling a code page boundary, NOP/hint/fence forms with
 * traps and privileged instructions (#BP #OF #GP), faulting accesses
 * (no partial writes, REP progress at the fault, non-canonical #GP and
 * branch targets), and #UD rules checked against the SDM only (never run
 * natively).  8/16/32/64-bit operand sizes, register and memory forms,
 * with and without REX (AH..BH vs SPL..DIL), LOCK where legal.
 *
 * Operands: edge values for every size (0, 1, 2, -1, -2, min/max signed and
 * their neighbours, nibble boundaries for AF, alternating patterns, powers
 * of two +-1) crossed with each other, plus seeded random values; random
 * garbage in every register byte that is not an operand, random incoming
 * flags.  Deterministic (fixed seeds).  FL_DIFF_SAMPLE=N runs every Nth
 * case only (for sanitizer builds).  The test `coverage_report` prints
 * forms and cases per family; `mutation_detected` proves the comparator
 * fails on a corrupted defined flag, register or memory byte (and not on
 * an undefined flag). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu-x86/cpu.h"
#include "cpu-x86/decode.h"
#include "tests/unit/int_diff.h"
#include "tests/unit/int_diff_gen.h"

/* ======================================================================
 * Undefined flags (SDM Vol. 2, "Flags Affected" of each instruction).
 * One table; count-dependent rules are functions below it.
 * ====================================================================== */
enum {
  U_NONE, U_LOGIC, U_MUL, U_DIV, U_BT, U_BSF, U_XZCNT, U_ANDN, U_BEXTR,
  U_BLS, U_BZHI, U__N
};
static const struct { uint32_t undef; const char *rule; } undef_rules[U__N] = {
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
static uint32_t undef_shift(unsigned op, unsigned sz, unsigned mcount) {
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
static uint32_t undef_shxd(unsigned sz, unsigned mcount) {
  if (mcount == 0) return 0;
  if (mcount > sz * 8) return F_ARITH;
  return F_AF | (mcount == 1 ? 0 : F_OF);
}

/* Flags compared at all (bit 1, arithmetic, TF IF DF, IOPL, NT, AC, ID). */
#define FLAGS_CMP (F_ARITH | 2u | F_TF | F_IF | F_DF | (3u << 12) | (1u << 14) | F_AC | F_ID)

/* ======================================================================
 * Families
 * ====================================================================== */
enum {
  FAM_ALU, FAM_UNARY, FAM_MUL, FAM_DIV, FAM_SHIFT, FAM_SHXD, FAM_BT, FAM_BSCNT,
  FAM_MOV, FAM_LEA, FAM_XCHG, FAM_COND, FAM_FLAGS, FAM_CONV, FAM_STACK,
  FAM_STRING, FAM_BMI, FAM_LAZY, FAM_SEQ, FAM_XPAGE, FAM_MISC, FAM_FAULT, FAM_UD, FAM__N
};
static const char *fam_name[FAM__N] = {
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
static struct {
  struct id_case *v;
  size_t n, cap;
  char (*form)[72];
  size_t nform, capform;
  unsigned forms[FAM__N], cases[FAM__N];
} G;
static uint64_t rs = 0x1234567890abcdefull;
static int cur_fam;

static uint64_t rnd(void) { return id_rng(&rs); }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static void gen_reset(int fam, uint64_t seed) {
  free(G.v);
  free(G.form);
  memset(&G, 0, sizeof G);
  rs = seed * 0x9E3779B97F4A7C15ull + 77;
  cur_fam = fam;
}

static void form(const char *fmt, ...) {
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

static uint64_t rval64(void) {
  switch (rn(6)) {
  case 0: return rn(300);
  case 1: return (uint64_t)-(int64_t)rn(300);
  case 2: return rnd() & rnd();
  case 3: return rnd() | rnd();
  default: return rnd();
  }
}

static struct id_case *nc(void) {
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

static void emit(struct id_case *c, const ins_t *x) {
  int n = enc(x, c->code + c->len, c->cofs + c->len);
  cr_assert(c->len + n <= ID_MAXCODE - 2, "code too long");
  c->len = (uint8_t)(c->len + n);
}
static void raw(struct id_case *c, const uint8_t *b, int n) {
  memcpy(c->code + c->len, b, (size_t)n);
  c->len = (uint8_t)(c->len + n);
}
static void fin(struct id_case *c) {
  G.n++;
  G.cases[cur_fam]++;
}

static void mop_set(struct id_case *c, uint64_t addr, unsigned bytes, uint64_t v) {
  cr_assert(c->nmop < ID_MAXMOP);
  cr_assert(addr >= FX_DATA && addr + bytes <= FX_DATA + FX_DATA_SIZE);
  struct id_mop *m = &c->mop[c->nmop++];
  m->kind = MOP_SET;
  m->esz = (uint8_t)bytes;
  m->off = (uint16_t)(addr - FX_DATA);
  m->val = v;
}
static void mop_rep(struct id_case *c, uint64_t addr, unsigned esz, unsigned n, uint64_t v) {
  cr_assert(c->nmop < ID_MAXMOP);
  struct id_mop *m = &c->mop[c->nmop++];
  m->kind = MOP_REP;
  m->esz = (uint8_t)esz;
  m->off = (uint16_t)(addr - FX_DATA);
  m->n = (uint16_t)n;
  m->val = v;
}
static void mop_copy(struct id_case *c, uint64_t dst, uint64_t src, unsigned n) {
  cr_assert(c->nmop < ID_MAXMOP);
  struct id_mop *m = &c->mop[c->nmop++];
  m->kind = MOP_COPY;
  m->off = (uint16_t)(dst - FX_DATA);
  m->off2 = (uint16_t)(src - FX_DATA);
  m->n = (uint16_t)n;
}

static uint64_t smask(unsigned sz) { return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1; }

/* Edge values of an operand size. */
#define NEDGE 16
static uint64_t edge(unsigned sz, unsigned k) {
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
static uint64_t rval(unsigned sz) {
  uint64_t sb = 1ull << (sz * 8 - 1);
  switch (rn(5)) {
  case 0: return rn(40);
  case 1: return sb + rn(9) - 4;
  case 2: return smask(sz) - rn(40);
  default: return rval64();
  }
}
/* value pair k of a binary operation: all edge pairs first, then random */
static void pairv(unsigned sz, unsigned k, uint64_t *a, uint64_t *b) {
  if (k < NEDGE * NEDGE) { *a = edge(sz, k / NEDGE); *b = edge(sz, k % NEDGE); }
  else { *a = rval(sz); *b = rval(sz); }
}
static uint64_t onev(unsigned sz, unsigned k) { return k < NEDGE ? edge(sz, k) : rval(sz); }

/* Write an operand value into register r (sz bytes; AH..BH when leg8). */
static void setop(struct id_case *c, int r, unsigned sz, int leg8, uint64_t v) {
  if (sz == 1 && leg8 && r >= 4 && r < 8) {
    c->r[r - 4] = (c->r[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
    return;
  }
  uint64_t m = smask(sz);
  c->r[r] = (c->r[r] & ~m) | (v & m);
}

static int pick_reg(int pool, uint32_t avoid) {
  for (;;) {
    int r = (int)rn((unsigned)pool);
    if (!(avoid >> r & 1)) return r;
  }
}
/* a byte/word register operand; with leg8, 4..7 alias AH..BH of 0..3 */
static int pick_op(int pool, uint32_t avoid, int leg8) {
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
static void pick_mem(struct id_case *c, ins_t *x, uint64_t target, uint32_t avoid,
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

/* Operand set-up for the common r/m + reg forms. */
enum { K_REG, K_MEM, K_MEML };
typedef struct {
  unsigned sz;
  int leg8;            /* 8-bit without REX: 4..7 are AH..BH */
  int g, e;            /* reg operand, r/m register (NOREG: memory) */
  uint64_t ea;
} ops_t;

static void size_pfx(ins_t *x, unsigned sz) {
  if (sz == 2) ins_pfx(x, 0x66);
  if (sz == 8) x->rexw = 1;
}

/* Fill x's operand fields: size prefix, LOCK, registers, memory operand.
 * avoid: registers not to use as operands/base/index (soft: ignored 1 time
 * in 12 so implicit-operand collisions are covered too). */
static int g_hard_avoid;
static void prep(struct id_case *c, ins_t *x, ops_t *o, unsigned sz, int kind,
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
static int rtoff(void) { return (int)rn(129) - 64; }
static void set_e(struct id_case *c, const ops_t *o, uint64_t v) {
  if (o->e != NOREG) setop(c, o->e, o->sz, o->leg8, v);
  else mop_set(c, o->ea, o->sz, v);
}
static void set_g(struct id_case *c, const ops_t *o, uint64_t v) {
  setop(c, o->g, o->sz, o->leg8, v);
}

static const char *kname(int kind) { return kind == K_REG ? "reg" : kind == K_MEM ? "mem" : "mem,lock"; }
static const char *szn(unsigned sz) { return sz == 1 ? "8" : sz == 2 ? "16" : sz == 4 ? "32" : "64"; }

/* ======================================================================
 * Running and comparing
 * ====================================================================== */
static void (*g_interp_hook)(const struct id_case *, struct id_result *);  /* test-only */

static const char *fnames[] = {"CF", "1", "PF", "3", "AF", "5", "ZF", "SF", "TF", "IF",
                               "DF", "OF", "IOPL0", "IOPL1", "NT", "15", "RF", "VM",
                               "AC", "VIF", "VIP", "ID"};
static void flagstr(char *buf, size_t n, uint64_t f) {
  buf[0] = 0;
  for (int b = 0; b < 22; b++)
    if (f >> b & 1) {
      size_t l = strlen(buf);
      snprintf(buf + l, n - l, "%s%s", l ? "," : "", fnames[b]);
    }
}
static const char *rname[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

/* Compare; returns 0 when equal, else writes a description. */
static int compare(const struct id_case *c, const struct id_result *nat,
                   const struct id_result *in, char *why, size_t wn) {
  why[0] = 0;
  size_t l = 0;
#define W(...) (l += (size_t)snprintf(why + l, l < wn ? wn - l : 0, __VA_ARGS__))
  if (c->ud_only) {
    if (in->outcome != (ID_FAULT | c->expect_vec) || in->rip != FX_CODE + c->cofs) {
      W("expected #%s (vector %u) at the instruction, interpreter gave outcome %#x rip %#llx",
        c->expect_vec == 6 ? "UD" : "GP", c->expect_vec, in->outcome, (unsigned long long)in->rip);
      return 1;
    }
    return 0;
  }
  int bad = 0;
  if (nat->outcome != in->outcome) {
    W("outcome native %#x interp %#x; ", nat->outcome, in->outcome);
    bad = 1;
  } else if (nat->outcome & ID_CRASH) {
    W("native harness crash %#x; ", nat->outcome);
    bad = 1;
  } else if (nat->outcome && nat->rip != in->rip) {
    W("fault rip native %#llx interp %#llx; ", (unsigned long long)nat->rip, (unsigned long long)in->rip);
    bad = 1;
  }
  for (int r = 0; r < 16; r++) {
    if (c->regskip >> r & 1) continue;
    if (nat->r[r] != in->r[r]) {
      W("%s native %#llx interp %#llx; ", rname[r], (unsigned long long)nat->r[r],
        (unsigned long long)in->r[r]);
      bad = 1;
    }
  }
  uint64_t fm = FLAGS_CMP & ~(uint64_t)c->undef;
  if (nat->outcome) fm &= ~(uint64_t)F_ARITH & ~(uint64_t)(1u << 16);
  if ((nat->fl ^ in->fl) & fm) {
    char a[128], b[128], d[128];
    flagstr(a, sizeof a, nat->fl & fm);
    flagstr(b, sizeof b, in->fl & fm);
    flagstr(d, sizeof d, (nat->fl ^ in->fl) & fm);
    W("rflags native {%s} interp {%s} differ in {%s}; ", a, b, d);
    bad = 1;
  }
  const struct { const uint8_t *a, *b; unsigned off, len; const char *nm; } win[3] = {
    {nat->dwin, in->dwin, ID_DWIN_OFF, ID_DWIN_LEN, "data"},
    {nat->swin, in->swin, ID_SWIN_OFF, ID_SWIN_LEN, "stack"},
    {nat->xwin, in->xwin, c->xoff >= 0 ? (unsigned)c->xoff : 0, ID_XWIN_LEN, "extra"},
  };
  for (int w = 0; w < 3; w++) {
    for (unsigned k = 0; k < win[w].len; k++) {
      unsigned off = win[w].off + k;
      if (c->mskip_len && off >= c->mskip_off && off < c->mskip_off + c->mskip_len) continue;
      if (win[w].a[k] != win[w].b[k]) {
        W("%s memory at FX_DATA+%#x: native %02x interp %02x; ", win[w].nm, off, win[w].a[k], win[w].b[k]);
        bad = 1;
        break;
      }
    }
  }
#undef W
  return bad;
}

static void dump_case(FILE *f, const struct id_case *c) {
  fprintf(f, "  form: %s\n  code:", c->form < G.nform ? G.form[c->form] : "?");
  for (int k = 0; k < c->len; k++) fprintf(f, " %02x", c->code[k]);
  fprintf(f, "\n  in:");
  for (int r = 0; r < 16; r++) fprintf(f, "%s %s=%#llx", r % 4 ? "" : "\n   ", rname[r], (unsigned long long)c->r[r]);
  char fs[128];
  flagstr(fs, sizeof fs, c->fl);
  fprintf(f, "\n   rflags=%#llx {%s} undef-mask=%#x mseed=%u\n", (unsigned long long)c->fl, fs, c->undef, c->mseed);
}

static int g_no_sample;
static unsigned sample_every(void) {
  if (g_no_sample) return 1;
  const char *s = getenv("FL_DIFF_SAMPLE");
  long v = s ? strtol(s, NULL, 10) : 1;
  return v > 1 ? (unsigned)v : 1;
}

struct run_stats {
  size_t run, native, udonly, mism, faults;
  size_t vec[32];                /* native faults by vector */
  size_t masked;                 /* cases whose undefined flags differ (masked) */
  size_t masked_res;             /* cases whose undefined result differs (skipped) */
  uint32_t masked_bits;
  uint32_t seen_set, seen_clr;   /* flag outcome classes (compared flags only) */
};

#define BATCH 4096
#define MAX_REPORT 12

/* Run all generated cases (sampled), compare, print the family report. */
static struct run_stats run_all(void) {
  struct run_stats st;
  memset(&st, 0, sizeof st);
  unsigned every = sample_every();
  if (every > 1) {
    size_t k = 0;
    for (size_t j = 0; j < G.n; j += every) G.v[k++] = G.v[j];
    G.n = k;
  }
  struct id_result *nat = malloc(BATCH * sizeof *nat);
  struct id_result *in = malloc(BATCH * sizeof *in);
  uint8_t *an = malloc(FX_DATA_SIZE), *ai = malloc(FX_DATA_SIZE);
  cr_assert(nat && in && an && ai);
  struct id_interp *ip = id_interp_new();
  char why[1024];
  for (size_t b = 0; b < G.n; b += BATCH) {
    size_t n = G.n - b < BATCH ? G.n - b : BATCH;
    uint32_t aseed = (uint32_t)(b / BATCH + 1) * 7919u + (uint32_t)cur_fam;
    int nr = id_native_batch(G.v + b, n, nat, aseed, an);
    cr_assert(nr == 0, "native harness: %s", id_native_error);
    id_interp_batch(ip, G.v + b, n, in, aseed, ai);
    for (size_t k = 0; k < n; k++) {
      const struct id_case *c = &G.v[b + k];
      if (g_interp_hook) g_interp_hook(c, &in[k]);
      st.run++;
      if (c->ud_only) st.udonly++;
      else st.native++;
      if (compare(c, &nat[k], &in[k], why, sizeof why)) {
        if (st.mism < MAX_REPORT) {
          fprintf(stderr, "MISMATCH [%s] case %zu: %s\n", fam_name[c->fam], b + k, why);
          dump_case(stderr, c);
        }
        st.mism++;
        continue;
      }
      if (!c->ud_only && nat[k].outcome == 0) {
        uint32_t fm = F_ARITH & ~c->undef;
        st.seen_set |= (uint32_t)nat[k].fl & fm;
        st.seen_clr |= (uint32_t)~nat[k].fl & fm;
      }
      if (!c->ud_only && nat[k].outcome) { st.faults++; st.vec[nat[k].outcome & 31]++; }
      if (!c->ud_only && !nat[k].outcome && (c->regskip || c->mskip_len)) {
        int d = 0;
        for (int r = 0; r < 16; r++) d |= (c->regskip >> r & 1) && nat[k].r[r] != in[k].r[r];
        for (unsigned o = c->mskip_off; o < (unsigned)c->mskip_off + c->mskip_len; o++)
          if (o >= ID_DWIN_OFF && o < ID_DWIN_OFF + ID_DWIN_LEN)
            d |= nat[k].dwin[o - ID_DWIN_OFF] != in[k].dwin[o - ID_DWIN_OFF];
        st.masked_res += (size_t)d;
      }
      if (!c->ud_only && !nat[k].outcome && ((nat[k].fl ^ in[k].fl) & c->undef)) {
        st.masked++;
        st.masked_bits |= (uint32_t)((nat[k].fl ^ in[k].fl) & c->undef);
      }
    }
    /* writes outside the per-case windows */
    if (memcmp(an, ai, FX_DATA_SIZE)) {
      size_t o = 0;
      while (an[o] == ai[o]) o++;
      fprintf(stderr, "MISMATCH [%s] batch at case %zu: data area differs at FX_DATA+%#zx "
              "(outside the case windows)\n", fam_name[cur_fam], b, o);
      st.mism++;
    }
  }
  id_interp_free(ip);
  free(nat); free(in); free(an); free(ai);
  char fv[256] = "", mb[64] = "";
  static const char *vn[32] = {[0] = "#DE", [1] = "#DB", [3] = "#BP", [4] = "#OF", [6] = "#UD",
                               [13] = "#GP", [14] = "#PF", [17] = "#AC"};
  for (int v = 0; v < 32; v++)
    if (st.vec[v]) {
      size_t l = strlen(fv);
      snprintf(fv + l, sizeof fv - l, " %s:%zu", vn[v] ? vn[v] : "?", st.vec[v]);
    }
  flagstr(mb, sizeof mb, st.masked_bits);
  if (g_no_sample) return st;   /* mutation probes report themselves */
  fprintf(stderr, "int_diff %-44s forms %5u cases %7zu (native %zu, #UD-only %zu, faulting %zu%s%s)"
          " mismatches %zu%s\n", fam_name[cur_fam], G.forms[cur_fam], st.run, st.native,
          st.udonly, st.faults, fv[0] ? ":" : "", fv, st.mism, every > 1 ? " [sampled]" : "");
  if (st.masked)
    fprintf(stderr, "int_diff %-44s   SDM-undefined flags where the host differs (masked): "
            "%zu cases, flags {%s}\n", "", st.masked, mb);
  if (st.masked_res)
    fprintf(stderr, "int_diff %-44s   SDM-undefined results where the host differs (skipped): "
            "%zu cases\n", "", st.masked_res);
  return st;
}


/* ======================================================================
 * Generators
 * ====================================================================== */
static const unsigned SZ[4] = {1, 2, 4, 8};
static const char *alun[8] = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};
#define NPAIR (NEDGE * NEDGE + 64)
#define NONE_V (NEDGE + 64)

static uint32_t alu_undef(int op) {
  return (op == 1 || op == 4 || op == 6) ? undef_rules[U_LOGIC].undef : undef_rules[U_NONE].undef;
}
static unsigned immsz_of(int opc_is_iz, unsigned sz) {
  if (!opc_is_iz) return 1;
  return sz == 2 ? 2 : 4;
}
/* immediate value k (the edges of the immediate's own size, sign-extended) */
static uint64_t immv(unsigned isz, unsigned k) {
  return k < NEDGE * NEDGE ? edge(isz, k % NEDGE) : rval(isz);
}

/* E,G / G,E two-operand form */
static void gen_eg(const char *nm, int map, int opc, unsigned sz, int kind, uint32_t undef,
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
static void gen_ei(int opc, int digit, unsigned sz, unsigned isz, int kind, uint32_t undef, unsigned ncase) {
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
static void gen_ai(int opc, unsigned sz, unsigned isz, uint32_t undef, unsigned ncase) {
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

static void gen_alu(void) {
  for (int op = 0; op < 8; op++)
    for (int si = 0; si < 4; si++) {
      unsigned sz = SZ[si];
      uint32_t u = alu_undef(op);
      for (int dir = 0; dir < 2; dir++)
        for (int kind = K_REG; kind <= K_MEML; kind++) {
          if (kind == K_MEML && (dir == 1 || op == 7)) continue;
          int opc = op * 8 + dir * 2 + (sz != 1);
          form("%s%s %s (%02x) %s", kind == K_MEML ? "LOCK " : "", alun[op], dir ? "r,r/m" : "r/m,r", opc, szn(sz));
          gen_eg(alun[op], 0, opc, sz, kind, u, NPAIR, 0);
        }
      int opc = op * 8 + 4 + (sz != 1);
      form("%s %s acc,imm (%02x)", alun[op], szn(sz), opc);
      gen_ai(opc, sz, sz == 1 ? 1 : immsz_of(1, sz), u, NPAIR);
      for (int g = 0; g < 3; g++) {
        if ((sz == 1) != (g == 0)) continue;
        int gopc = g == 0 ? 0x80 : g == 1 ? 0x81 : 0x83;
        unsigned isz = gopc == 0x81 ? immsz_of(1, sz) : 1;
        for (int kind = K_REG; kind <= K_MEML; kind++) {
          if (kind == K_MEML && op == 7) continue;
          form("%s%s %s r/m,imm (%02x /%d) %s", kind == K_MEML ? "LOCK " : "", alun[op], szn(sz), gopc, op, kname(kind));
          gen_ei(gopc, op, sz, isz, kind, u, NPAIR);
        }
      }
    }
  /* TEST */
  uint32_t u = undef_rules[U_LOGIC].undef;
  for (int si = 0; si < 4; si++) {
    unsigned sz = SZ[si];
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("TEST %s r/m,r (%02x) %s", szn(sz), sz == 1 ? 0x84 : 0x85, kname(kind));
      gen_eg("TEST", 0, sz == 1 ? 0x84 : 0x85, sz, kind, u, NPAIR, 0);
      for (int d = 0; d < 2; d++) {
        form("TEST %s r/m,imm (%02x /%d) %s", szn(sz), sz == 1 ? 0xF6 : 0xF7, d, kname(kind));
        gen_ei(sz == 1 ? 0xF6 : 0xF7, d, sz, sz == 1 ? 1 : immsz_of(1, sz), kind, u, NPAIR / 2);
      }
    }
    form("TEST %s acc,imm (%02x)", szn(sz), sz == 1 ? 0xA8 : 0xA9);
    gen_ai(sz == 1 ? 0xA8 : 0xA9, sz, sz == 1 ? 1 : immsz_of(1, sz), u, NPAIR);
  }
  /* prefix combinations: a REX not immediately before the opcode is
   * ignored, REX.W beats 66, ignored segment/REP prefixes */
  static const struct { uint8_t n, b[3]; const char *nm; } pc[] = {
    {2, {0x48, 0x66}, "48 66: REX ignored, 16-bit"}, {2, {0x66, 0x48}, "66 48: REX.W wins"},
    {2, {0x66, 0x66}, "66 66"}, {2, {0x4D, 0x3E}, "4D 3E: REX ignored"},
    {2, {0x41, 0x26}, "41 26: REX ignored"}, {1, {0xF3}, "F3 ignored"}, {1, {0xF2}, "F2 ignored"},
    {1, {0x2E}, "2E ignored"}, {1, {0x36}, "36 ignored"}, {3, {0x2E, 0x66, 0x4C}, "2E 66 4C"},
    {2, {0x48, 0x41}, "48 41: only the last REX counts"}, {2, {0x4C, 0x40}, "4C 40: only the last REX counts"},
  };
  static const uint8_t po[] = {0x00, 0x01, 0x02, 0x03, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85, 0x87, 0x89, 0x8B};
  for (unsigned j = 0; j < sizeof pc / sizeof pc[0]; j++) {
    form("prefixes %s (ALU/MOV/XCHG reg,reg)", pc[j].nm);
    for (unsigned k = 0; k < 256; k++) {
      struct id_case *c = nc();
      raw(c, pc[j].b, pc[j].n);
      uint8_t b[2] = {po[k % sizeof po], (uint8_t)(0xC0 | rn(64))};
      raw(c, b, 2);
      c->undef = (b[0] & 0xF8) == 0x08 || (b[0] & 0xF8) == 0x20 || (b[0] & 0xF8) == 0x30 || b[0] == 0x85 ? F_AF : 0;
      if (b[0] == 0x39) c->undef = 0;
      fin(c);
    }
  }
}

static void gen_unary(void) {
  static const char *nm[4] = {"INC", "DEC", "NOT", "NEG"};
  for (int op = 0; op < 4; op++)
    for (int si = 0; si < 4; si++) {
      unsigned sz = SZ[si];
      int opc = op < 2 ? (sz == 1 ? 0xFE : 0xFF) : (sz == 1 ? 0xF6 : 0xF7);
      int digit = op < 2 ? op : op;
      for (int kind = K_REG; kind <= K_MEML; kind++) {
        form("%s%s %s (%02x /%d) %s", kind == K_MEML ? "LOCK " : "", nm[op], szn(sz), opc, digit, kname(kind));
        for (unsigned k = 0; k < NONE_V * 2; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.opc = opc;
          prep(c, &x, &o, sz, kind, 0, 0, rtoff());
          x.reg = digit;
          set_e(c, &o, onev(sz, k % NONE_V));
          emit(c, &x);
          fin(c);
        }
      }
    }
}

static void gen_mul(void) {
  uint32_t u = undef_rules[U_MUL].undef;
  for (int si = 0; si < 4; si++) {
    unsigned sz = SZ[si];
    for (int d = 4; d <= 5; d++)
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        form("%s %s r/m (%02x /%d) %s", d == 4 ? "MUL" : "IMUL", szn(sz), sz == 1 ? 0xF6 : 0xF7, d, kname(kind));
        for (unsigned k = 0; k < NPAIR; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.opc = sz == 1 ? 0xF6 : 0xF7;
          prep(c, &x, &o, sz, kind, 1u << RAX | 1u << RDX, 0, rtoff());
          x.reg = d;
          uint64_t a, b;
          pairv(sz, k, &a, &b);
          setop(c, RAX, sz, 0, a);
          set_e(c, &o, b);
          emit(c, &x);
          c->undef = u;
          fin(c);
        }
      }
    if (sz == 1) continue;
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("IMUL %s r,r/m (0F AF) %s", szn(sz), kname(kind));
      gen_eg("IMUL", 1, 0xAF, sz, kind, u, NPAIR, 0);
      for (int f = 0; f < 2; f++) {
        int opc = f ? 0x6B : 0x69;
        form("IMUL %s r,r/m,imm (%02x) %s", szn(sz), opc, kname(kind));
        for (unsigned k = 0; k < NPAIR; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.opc = opc;
          prep(c, &x, &o, sz, kind, 0, 1, rtoff());
          unsigned isz = f ? 1 : immsz_of(1, sz);
          set_e(c, &o, k < NEDGE * NEDGE ? edge(sz, k / NEDGE) : rval(sz));
          x.immsz = (int)isz;
          x.imm = immv(isz, k) & smask(isz);
          emit(c, &x);
          c->undef = u;
          fin(c);
        }
      }
    }
  }
}

static void gen_div(void) {
  uint32_t u = undef_rules[U_DIV].undef;
  for (int si = 0; si < 4; si++) {
    unsigned sz = SZ[si];
    for (int d = 6; d <= 7; d++)
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        form("%s %s r/m (%02x /%d) %s", d == 6 ? "DIV" : "IDIV", szn(sz), sz == 1 ? 0xF6 : 0xF7, d, kname(kind));
        for (unsigned k = 0; k < 480; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.opc = sz == 1 ? 0xF6 : 0xF7;
          prep(c, &x, &o, sz, kind, 1u << RAX | 1u << RDX, 0, rtoff());
          x.reg = d;
          uint64_t dv = k < NEDGE * 16 ? edge(sz, k / 16) : rval(sz);
          uint64_t lo = k < NEDGE * 16 ? edge(sz, k % 16) : rval(sz), hi;
          uint64_t m = smask(sz);
          switch (k % 6) {
          case 0: hi = 0; break;
          case 1: hi = (lo >> (sz * 8 - 1) & 1) ? m : 0; break;     /* sign extension */
          case 2: hi = (dv & m) ? (rnd() & m) % (dv & m) : rnd(); break;  /* DIV in range */
          case 3: hi = m; break;
          case 4: hi = (dv & m) > 1 ? (dv & m) - 1 : 1; break;
          default: hi = rval(sz); break;
          }
          if (sz == 1) setop(c, RAX, 2, 0, (hi & 0xff) << 8 | (lo & 0xff));
          else { setop(c, RAX, sz, 0, lo); setop(c, RDX, sz, 0, hi); }
          set_e(c, &o, dv);
          emit(c, &x);
          c->undef = u;
          fin(c);
        }
      }
  }
}

static const char *shn[8] = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};

static void gen_shift(void) {
  for (int op = 0; op < 8; op++)
    for (int si = 0; si < 4; si++) {
      unsigned sz = SZ[si], bits = sz * 8;
      for (int src = 0; src < 3; src++)   /* 0: D0/D1 (1), 1: C0/C1 ib, 2: D2/D3 CL */
        for (int kind = K_REG; kind <= K_MEM; kind++) {
          int opc = (src == 0 ? 0xD0 : src == 1 ? 0xC0 : 0xD2) + (sz != 1);
          form("%s %s r/m,%s (%02x /%d) %s", shn[op], szn(sz), src == 0 ? "1" : src == 1 ? "imm8" : "CL", opc, op, kname(kind));
          unsigned ncnt = src == 0 ? 1 : 2 * bits + 2 + 6;
          unsigned per = src == 0 ? 96 : (sz == 8 ? 3 : sz == 4 ? 4 : 6);
          for (unsigned ci = 0; ci < ncnt; ci++)
            for (unsigned v = 0; v < per; v++) {
              static const unsigned extra[6] = {255, 0x80, 0x81, 0xC0 + 1, 0x20, 0x41};
              unsigned cnt = src == 0 ? 1 : ci < 2 * bits + 2 ? ci : extra[ci - (2 * bits + 2)];
              struct id_case *c = nc();
              ins_t x; ops_t o;
              ins_init(&x);
              x.opc = opc;
              prep(c, &x, &o, sz, kind, src == 2 ? 1u << RCX : 0, 0, rtoff());
              x.reg = op;
              if (src == 1) { x.immsz = 1; x.imm = cnt; }
              if (src == 2) setop(c, RCX, 1, 0, cnt);
              set_e(c, &o, onev(sz, (ci * per + v) % (NEDGE + 24)));
              if (src == 2) cnt = (unsigned)(c->r[RCX] & 0xff);   /* E may be CL itself */
              unsigned mc = cnt & (sz == 8 ? 63 : 31);
              c->undef = undef_shift((unsigned)op, sz, mc);
              emit(c, &x);
              fin(c);
            }
        }
    }
}

static void gen_shxd(void) {
  for (int si = 1; si < 4; si++) {
    unsigned sz = SZ[si], bits = sz * 8;
    for (int v = 0; v < 4; v++) {           /* A4 A5 AC AD */
      int opc = (v < 2 ? 0xA4 : 0xAC) + (v & 1);
      int cl = v & 1;
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        form("%s %s r/m,r,%s (0F %02x) %s", v < 2 ? "SHLD" : "SHRD", szn(sz), cl ? "CL" : "imm8", opc, kname(kind));
        unsigned ncnt = 2 * bits + 2 + 3;
        unsigned per = sz == 8 ? 5 : sz == 4 ? 7 : 14;
        for (unsigned ci = 0; ci < ncnt; ci++)
          for (unsigned k = 0; k < per; k++) {
            static const unsigned extra[3] = {255, 0x80 + 1, 0xE0 + 17};
            unsigned cnt = ci < 2 * bits + 2 ? ci : extra[ci - (2 * bits + 2)];
            struct id_case *c = nc();
            ins_t x; ops_t o;
            ins_init(&x);
            x.map = 1;
            x.opc = opc;
            prep(c, &x, &o, sz, kind, cl ? 1u << RCX : 0, 1, rtoff());
            if (!cl) { x.immsz = 1; x.imm = cnt; }
            else setop(c, RCX, 1, 0, cnt);
            uint64_t a, b;
            pairv(sz, (ci * per + k) * 7 % NPAIR, &a, &b);
            set_e(c, &o, a);
            set_g(c, &o, b);
            if (cl) cnt = (unsigned)(c->r[RCX] & 0xff);
            unsigned mc = cnt & (sz == 8 ? 63 : 31);
            c->undef = undef_shxd(sz, mc);
            if (mc > bits) {   /* result undefined */
              if (o.e != NOREG) c->regskip = (uint16_t)(1u << o.e);
              else { c->mskip_off = (uint16_t)(o.ea - FX_DATA); c->mskip_len = (uint8_t)sz; }
            }
            emit(c, &x);
            fin(c);
          }
      }
    }
  }
}

static void gen_bt(void) {
  static const char *nm[4] = {"BT", "BTS", "BTR", "BTC"};
  static const int ropc[4] = {0xA3, 0xAB, 0xB3, 0xBB};
  uint32_t u = undef_rules[U_BT].undef;
  for (int si = 1; si < 4; si++) {
    unsigned sz = SZ[si], bits = sz * 8;
    for (int op = 0; op < 4; op++) {
      for (int kind = K_REG; kind <= K_MEML; kind++) {
        if (kind == K_MEML && op == 0) continue;
        /* register bit offset */
        form("%s%s %s r/m,r (0F %02x) %s", kind == K_MEML ? "LOCK " : "", nm[op], szn(sz), ropc[op], kname(kind));
        for (unsigned k = 0; k < 400; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.map = 1;
          x.opc = ropc[op];
          int64_t off;
          int toff = rtoff();
          switch (k % 5) {
          case 0: off = (int64_t)rn(2 * bits + 8) - (int64_t)bits - 4; break;
          case 1: off = (int64_t)rn(bits); break;
          case 2: off = sz == 2 ? (int64_t)(int16_t)rnd() : (int64_t)(rnd() % 0x5E000) - 0x2F000; break;
          case 3: off = sz == 2 ? (k & 8 ? 32767 : -32768) : (int64_t)(rnd() % 0x2000) - 0x1000; break;
          default: off = (int64_t)(rnd() % 4096) - 2048; break;
          }
          if (sz == 2) off = (int16_t)off;
          prep(c, &x, &o, sz, kind, 0, 1, toff);
          set_e(c, &o, rval(sz));
          if (kind == K_REG) {
            setop(c, o.g, sz, 0, (uint64_t)off);
          } else {
            /* garbage above the operand size must be ignored */
            setop(c, o.g, sz, 0, (uint64_t)off);
            int64_t elem = (off >> (sz == 2 ? 4 : sz == 4 ? 5 : 6)) * (int64_t)sz;
            int64_t eoff = (int64_t)(o.ea - FX_DATA) + elem;
            c->xoff = (int32_t)((eoff & ~3) - 4);
            cr_assert(c->xoff >= 0 && c->xoff + ID_XWIN_LEN <= FX_DATA_SIZE, "bt offset %lld", (long long)off);
          }
          emit(c, &x);
          c->undef = u;
          fin(c);
        }
      }
      for (int kind = K_REG; kind <= K_MEML; kind++) {
        if (kind == K_MEML && op == 0) continue;
        form("%s%s %s r/m,imm8 (0F BA /%d) %s", kind == K_MEML ? "LOCK " : "", nm[op], szn(sz), 4 + op, kname(kind));
        for (unsigned k = 0; k < 256 + 64; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.map = 1;
          x.opc = 0xBA;
          prep(c, &x, &o, sz, kind, 0, 0, rtoff());
          x.reg = 4 + op;
          x.immsz = 1;
          x.imm = k < 256 ? k : rn(256);
          set_e(c, &o, rval(sz));
          emit(c, &x);
          c->undef = u;
          fin(c);
        }
      }
    }
  }
}

static void gen_bscnt(void) {
  static const struct { const char *nm; int pfx, opc, rule; } t[7] = {
    {"BSF", 0, 0xBC, U_BSF}, {"BSR", 0, 0xBD, U_BSF}, {"TZCNT", 0xF3, 0xBC, U_XZCNT},
    {"LZCNT", 0xF3, 0xBD, U_XZCNT}, {"POPCNT", 0xF3, 0xB8, U_NONE},
    {"BSF (F2 ignored)", 0xF2, 0xBC, U_BSF}, {"BSR (F2 ignored)", 0xF2, 0xBD, U_BSF}};
  for (int j = 0; j < 7; j++)
    for (int si = 1; si < 4; si++) {
      unsigned sz = SZ[si], bits = sz * 8;
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        form("%s %s r,r/m (%s0F %02x) %s", t[j].nm, szn(sz), t[j].pfx == 0xF3 ? "F3 " : t[j].pfx ? "F2 " : "",
             t[j].opc, kname(kind));
        for (unsigned k = 0; k < 3 * bits + 120; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.map = 1;
          x.opc = t[j].opc;
          int pfx_first = t[j].pfx && rn(2);
          if (pfx_first) ins_pfx(&x, (uint8_t)t[j].pfx);
          prep(c, &x, &o, sz, kind, 0, 1, rtoff());
          if (t[j].pfx && !pfx_first) ins_pfx(&x, (uint8_t)t[j].pfx);
          uint64_t v;
          if (k < bits) v = 1ull << k;                             /* single bit */
          else if (k < 2 * bits) v = (rnd() | 1ull << (k - bits)) & ~((1ull << (k - bits)) - 1) & smask(sz);
          else if (k < 3 * bits) v = (rnd() >> (k - 2 * bits)) | 1ull << (3 * bits - 1 - k);
          else if (k % 4 == 0) v = 0;
          else v = onev(sz, k % (NEDGE + 8));
          set_g(c, &o, rnd());
          set_e(c, &o, v);
          emit(c, &x);
          c->undef = undef_rules[t[j].rule].undef;
          fin(c);
        }
      }
    }
}

static void gen_mov(void) {
  for (int si = 0; si < 4; si++) {
    unsigned sz = SZ[si];
    for (int dir = 0; dir < 2; dir++)
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        int opc = 0x88 + dir * 2 + (sz != 1);
        form("MOV %s %s (%02x) %s", szn(sz), dir ? "r,r/m" : "r/m,r", opc, kname(kind));
        gen_eg("MOV", 0, opc, sz, kind, 0, 96, 0);
      }
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("MOV %s r/m,imm (%02x /0) %s", szn(sz), sz == 1 ? 0xC6 : 0xC7, kname(kind));
      gen_ei(sz == 1 ? 0xC6 : 0xC7, 0, sz, sz == 1 ? 1 : immsz_of(1, sz), kind, 0, 64);
    }
    /* B0+r / B8+r */
    form("MOV %s r,imm (%02x+r)", szn(sz), sz == 1 ? 0xB0 : 0xB8);
    for (unsigned k = 0; k < 128; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      size_pfx(&x, sz);
      x.opc = sz == 1 ? 0xB0 : 0xB8;
      x.oreg = (int)rn(16);
      int leg8 = sz == 1 && x.oreg < 8 && rn(2);
      if (sz == 1 && !leg8) x.force_rex = 1;
      x.immsz = (int)(sz == 8 ? 8 : sz);
      x.imm = onev(sz, k % (NEDGE + 16)) ^ (sz == 8 && (k & 1) ? rnd() : 0);
      emit(c, &x);
      fin(c);
    }
    /* moffs A0-A3, 64-bit and (67) 32-bit addresses */
    for (int st = 0; st < 2; st++)
      for (int a32 = 0; a32 < 2; a32++) {
        int opc = 0xA0 + st * 2 + (sz != 1);
        form("MOV %s %s moffs%s (%02x)", szn(sz), st ? "moffs,acc" : "acc,moffs", a32 ? "32" : "64", opc);
        for (unsigned k = 0; k < 48; k++) {
          struct id_case *c = nc();
          ins_t x;
          ins_init(&x);
          if (a32) ins_pfx(&x, 0x67);
          size_pfx(&x, sz);
          x.force_rex = sz != 8 && rn(6) == 0;
          x.opc = opc;
          uint64_t ea = ID_MEMBASE + (uint64_t)(int64_t)rtoff();
          x.immsz = a32 ? 4 : 8;
          x.imm = ea;
          mop_set(c, ea, sz, rval(sz));
          emit(c, &x);
          fin(c);
        }
      }
    if (sz == 1) {
      for (int v = 0; v < 3; v++) {
        form("XLAT%s (%sD7)", v == 1 ? " addr32" : v == 2 ? " REX.W" : "", v == 1 ? "67 " : v == 2 ? "48 " : "");
        for (unsigned k = 0; k < 96; k++) {
          struct id_case *c = nc();
          uint8_t p = v == 1 ? 0x67 : 0x48, op = 0xD7;
          if (v) raw(c, &p, 1);
          raw(c, &op, 1);
          uint64_t bx = ID_MEMBASE - 0x80 + rn(0x80);
          c->r[RBX] = v == 1 ? (rnd() << 32) | bx : bx;
          fin(c);
        }
      }
      continue;
    }
    /* MOVZX / MOVSX */
    for (int v = 0; v < 4; v++) {
      int opc = (v < 2 ? 0xB6 : 0xBE) + (v & 1);
      unsigned ssz = (v & 1) ? 2 : 1;
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        form("%s %s<-%s (0F %02x) %s", v < 2 ? "MOVZX" : "MOVSX", szn(sz), szn(ssz), opc, kname(kind));
        for (unsigned k = 0; k < 96; k++) {
          struct id_case *c = nc();
          ins_t x;
          ins_init(&x);
          x.map = 1;
          x.opc = opc;
          size_pfx(&x, sz);
          x.has_modrm = 1;
          int leg8 = ssz == 1 && sz != 8 && rn(2);
          int pool = leg8 ? 8 : 16;
          if (ssz == 1 && !leg8) x.force_rex = 1;
          x.reg = pick_reg(pool, 0);   /* the destination is never a byte register */
          uint64_t v8 = onev(ssz, k % (NEDGE + 16));
          if (kind == K_REG) {
            x.rm = pick_reg(pool, 0);
            setop(c, x.rm, ssz, leg8, v8);
          } else {
            uint64_t ea = ID_MEMBASE + (uint64_t)(int64_t)rtoff();
            pick_mem(c, &x, ea, 1u << x.reg, leg8, 1);
            mop_set(c, ea, ssz, v8);
          }
          emit(c, &x);
          fin(c);
        }
      }
    }
    /* MOVSXD (63): 64<-32 with REX.W, 32<-32 and 16<-32 without */
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("MOVSXD %s<-32 (63) %s", szn(sz), kname(kind));
      gen_eg("MOVSXD", 0, 0x63, sz, kind, 0, 64, 0);
    }
    /* MOVBE */
    for (int st = 0; st < 2; st++) {
      form("MOVBE %s %s (0F 38 %02x)", szn(sz), st ? "m,r" : "r,m", 0xF0 + st);
      gen_eg("MOVBE", 2, 0xF0 + st, sz, K_MEM, 0, 96, 0);
    }
    /* BSWAP */
    form("BSWAP %s (0F C8+r)%s", szn(sz), sz == 2 ? " [16-bit: result undefined]" : "");
    for (unsigned k = 0; k < 64; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      size_pfx(&x, sz);
      x.map = 1;
      x.opc = 0xC8;
      x.oreg = (int)rn(16);
      x.force_rex = rn(4) == 0;
      if (sz == 2) c->regskip = (uint16_t)(1u << x.oreg);
      emit(c, &x);
      fin(c);
    }
  }
}

/* LEA: every ModRM/SIB addressing form, REX.B/REX.X, scales, 67. */
static void gen_lea(void) {
  for (int mod = 0; mod < 3; mod++)
    for (int rm = 0; rm < 8; rm++) {
      int nsub = rm == 4 ? 64 : 1;
      for (int sub = 0; sub < nsub; sub++) {
        int sbase = sub & 7, sidx = sub >> 3;
        if (rm == 4)
          form("LEA mod=%d SIB base=%d index=%d", mod, sbase, sidx);
        else
          form("LEA mod=%d rm=%d%s", mod, rm, mod == 0 && rm == 5 ? " (RIP)" : "");
        for (unsigned k = 0; k < (rm == 4 ? 24u : 96u); k++) {
          struct id_case *c = nc();
          ins_t x;
          ins_init(&x);
          unsigned sz = SZ[1 + rn(3)];
          int a32 = rn(3) == 0;
          if (a32) ins_pfx(&x, 0x67);
          size_pfx(&x, sz);
          x.opc = 0x8D;
          x.has_modrm = 1;
          x.reg = (int)rn(16);
          int B = (int)rn(2), X = (int)rn(2);
          x.force_rex = rn(4) == 0;
          mem_t *m = &x.m;
          m->scale = (int)rn(4);
          m->dsz = mod == 1 ? 1 : mod == 2 ? 4 : 0;
          m->disp = mod == 1 ? (int32_t)rn(256) - 128 : mod == 2 ? (int32_t)rnd() : 0;
          if (rm == 4) {
            m->index = sidx == 4 ? (X ? 12 : NOREG) : sidx | X << 3;
            if (mod == 0 && sbase == 5) {
              m->base = NOREG;
              m->disp = (int32_t)rnd();
              if (B) x.rex_or = 1;      /* REX.B does not make r13 a base here */
            } else {
              m->base = sbase | B << 3;
            }
            if (m->index == NOREG) m->scale = (int)rn(4);   /* ignored scale bits */
          } else if (mod == 0 && rm == 5) {
            m->base = RIPB;
            m->riptarget = FX_CODE + 0x100 + (uint64_t)(int64_t)((int32_t)rnd() / 2);
            if (B) x.rex_or = 1;        /* still RIP-relative */
          } else {
            m->base = rm | B << 3;
          }
          emit(c, &x);
          if (rm == 4 && m->index == NOREG && m->scale) {
            /* the encoder writes scale into SIB even without an index */
          }
          fin(c);
        }
      }
    }
}

static void gen_xchg(void) {
  for (int si = 0; si < 4; si++) {
    unsigned sz = SZ[si];
    for (int kind = K_REG; kind <= K_MEML; kind++) {
      form("%sXCHG %s r/m,r (%02x) %s", kind == K_MEML ? "LOCK " : "", szn(sz), sz == 1 ? 0x86 : 0x87, kname(kind));
      gen_eg("XCHG", 0, sz == 1 ? 0x86 : 0x87, sz, kind, 0, 64, 0);
    }
    if (sz != 1) {
      form("XCHG %s acc,r (90+r)", szn(sz));
      for (unsigned k = 0; k < 96; k++) {
        struct id_case *c = nc();
        ins_t x;
        ins_init(&x);
        size_pfx(&x, sz);
        x.opc = 0x90;
        x.oreg = (int)rn(16);
        x.force_rex = rn(4) == 0;
        if (k % 8 == 0) ins_pfx(&x, 0xF3);   /* F3 90 = PAUSE (only with r = 0) */
        emit(c, &x);
        fin(c);
      }
    }
    for (int kind = K_REG; kind <= K_MEML; kind++) {
      int opc = sz == 1 ? 0xB0 : 0xB1;
      form("%sCMPXCHG %s r/m,r (0F %02x) %s", kind == K_MEML ? "LOCK " : "", szn(sz), opc, kname(kind));
      for (unsigned k = 0; k < NPAIR; k++) {
        struct id_case *c = nc();
        ins_t x; ops_t o;
        ins_init(&x);
        x.map = 1;
        x.opc = opc;
        prep(c, &x, &o, sz, kind, 1u << RAX, 1, rtoff());
        uint64_t a, b;
        pairv(sz, k, &a, &b);
        set_g(c, &o, rval(sz));
        setop(c, RAX, sz, 0, k & 1 ? a : b);
        set_e(c, &o, a);
        emit(c, &x);
        fin(c);
      }
      form("%sXADD %s r/m,r (0F %02x) %s", kind == K_MEML ? "LOCK " : "", szn(sz), sz == 1 ? 0xC0 : 0xC1, kname(kind));
      gen_eg("XADD", 1, sz == 1 ? 0xC0 : 0xC1, sz, kind, 0, NPAIR, 0);
    }
  }
  for (int w = 0; w < 2; w++)
    for (int lock = 0; lock < 2; lock++) {
      form("%sCMPXCHG%s (%s0F C7 /1)", lock ? "LOCK " : "", w ? "16B" : "8B", w ? "REX.W " : "");
      for (unsigned k = 0; k < 256; k++) {
        struct id_case *c = nc();
        ins_t x;
        ins_init(&x);
        if (lock) ins_pfx(&x, 0xF0);
        x.rexw = w;
        x.map = 1;
        x.opc = 0xC7;
        x.has_modrm = 1;
        x.reg = 1;
        int toff = (int)(rn(8) * 16) - 64;
        if (k % 16 == 15) toff += (int)(1 + rn(15));     /* misaligned: 16B #GP, 8B fine */
        uint64_t ea = ID_MEMBASE + (uint64_t)(int64_t)toff;
        pick_mem(c, &x, ea, 1u << RAX | 1u << RBX | 1u << RCX | 1u << RDX, 0, 1);
        uint64_t lo = rval64(), hi = rval64();
        mop_set(c, ea, 8, lo);
        if (w) mop_set(c, ea + 8, 8, hi);
        if (k & 1) {   /* equal */
          if (w) { c->r[RAX] = lo; c->r[RDX] = hi; }
          else { c->r[RAX] = (c->r[RAX] & ~0xffffffffull) | (uint32_t)lo;
                 c->r[RDX] = (c->r[RDX] & ~0xffffffffull) | (lo >> 32); }
        } else if (k & 2) {  /* one half equal */
          if (w) c->r[RAX] = lo;
          else c->r[RAX] = (c->r[RAX] & ~0xffffffffull) | (uint32_t)lo;
        }
        emit(c, &x);
        fin(c);
      }
    }
}

static uint64_t flags_k(unsigned k) {
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

static void gen_cond(void) {
  for (int cc = 0; cc < 16; cc++) {
    for (int si = 1; si < 4; si++) {
      unsigned sz = SZ[si];
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        form("CMOV%x %s (0F %02x) %s", cc, szn(sz), 0x40 + cc, kname(kind));
        for (unsigned k = 0; k < 128; k++) {
          struct id_case *c = nc();
          ins_t x; ops_t o;
          ins_init(&x);
          x.map = 1;
          x.opc = 0x40 + cc;
          prep(c, &x, &o, sz, kind, 0, 1, rtoff());
          set_e(c, &o, rval(sz));
          c->fl = flags_k(k);
          emit(c, &x);
          fin(c);
        }
      }
    }
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("SET%x (0F %02x) %s", cc, 0x90 + cc, kname(kind));
      for (unsigned k = 0; k < 128; k++) {
        struct id_case *c = nc();
        ins_t x; ops_t o;
        ins_init(&x);
        x.map = 1;
        x.opc = 0x90 + cc;
        prep(c, &x, &o, 1, kind, 0, 0, rtoff());
        x.reg = (int)rn(8);   /* ignored */
        c->fl = flags_k(k);
        emit(c, &x);
        fin(c);
      }
    }
    for (int l = 0; l < 2; l++) {
      form("J%x rel%s (%s%02x) over MOV DL,1", cc, l ? "32" : "8", l ? "0F " : "", (l ? 0x80 : 0x70) + cc);
      for (unsigned k = 0; k < 128; k++) {
        struct id_case *c = nc();
        if (l) { uint8_t b[6] = {0x0F, (uint8_t)(0x80 + cc), 2, 0, 0, 0}; raw(c, b, 6); }
        else { uint8_t b[2] = {(uint8_t)(0x70 + cc), 2}; raw(c, b, 2); }
        uint8_t mv[2] = {0xB2, 0x01};
        raw(c, mv, 2);
        c->r[RDX] &= ~0xffull;
        c->fl = flags_k(k);
        fin(c);
      }
    }
  }
  static const char *ln[4] = {"LOOPNE", "LOOPE", "LOOP", "JrCXZ"};
  for (int op = 0; op < 4; op++)
    for (int a32 = 0; a32 < 2; a32++) {
      form("%s%s (%s%02x) over MOV DL,1", ln[op], a32 ? " (ECX)" : "", a32 ? "67 " : "", 0xE0 + op);
      for (unsigned k = 0; k < 128; k++) {
        struct id_case *c = nc();
        if (a32) { uint8_t p = 0x67; raw(c, &p, 1); }
        uint8_t b[4] = {(uint8_t)(0xE0 + op), 2, 0xB2, 0x01};
        raw(c, b, 4);
        static const uint64_t cx[8] = {0, 1, 2, 0x100000000ull, 0x100000001ull, 0xffffffffull,
                                       0xffffffffffffffffull, 0x1ffffffffull};
        c->r[RCX] = k % 16 < 8 ? cx[k % 8] : rval64();
        c->r[RDX] &= ~0xffull;
        c->fl = flags_k(k);
        fin(c);
      }
    }
}

static void gen_flags(void) {
  static const struct { const char *nm; uint8_t op; } one[] = {
    {"LAHF", 0x9F}, {"SAHF", 0x9E}, {"CLC", 0xF8}, {"STC", 0xF9}, {"CMC", 0xF5},
    {"CLD", 0xFC}, {"STD", 0xFD}};
  for (unsigned j = 0; j < sizeof one / sizeof one[0]; j++) {
    form("%s (%02x)", one[j].nm, one[j].op);
    for (unsigned k = 0; k < 256; k++) {
      struct id_case *c = nc();
      raw(c, &one[j].op, 1);
      c->fl = flags_k(k);
      if (one[j].op == 0x9E) c->r[RAX] = (c->r[RAX] & ~0xff00ull) | (uint64_t)k << 8;
      fin(c);
    }
  }
  for (int v = 0; v < 3; v++) {   /* PUSHF: 64, REX.W (64), 66 (16) */
    form("PUSHF%s (%s9C)", v == 2 ? " 16" : "", v == 1 ? "48 " : v == 2 ? "66 " : "");
    for (unsigned k = 0; k < 128; k++) {
      struct id_case *c = nc();
      uint8_t p = v == 1 ? 0x48 : 0x66;
      if (v) raw(c, &p, 1);
      uint8_t b = 0x9C;
      raw(c, &b, 1);
      c->fl = flags_k(k) | (k & 128 ? F_AC | F_ID : 0);
      fin(c);
    }
    form("POPF%s (%s9D)", v == 2 ? " 16" : "", v == 1 ? "48 " : v == 2 ? "66 " : "");
    for (unsigned k = 0; k < 256; k++) {
      struct id_case *c = nc();
      uint8_t p = v == 1 ? 0x48 : 0x66;
      if (v) raw(c, &p, 1);
      uint8_t b = 0x9D;
      raw(c, &b, 1);
      /* every bit but TF (a trap) and VM; IF and IOPL must be ignored at CPL 3 */
      uint64_t val = rnd() & 0x3f7eff;
      if (k < 64) val = flags_k(k) ^ (k & 1 ? 0x200 : 0);
      mop_set(c, c->r[RSP], v == 2 ? 2 : 8, val | (rnd() << 32));
      fin(c);
    }
  }
}

static void gen_conv(void) {
  for (int op = 0; op < 2; op++)
    for (int si = 1; si < 4; si++) {
      unsigned sz = SZ[si];
      static const char *nm[2][3] = {{"CBW", "CWDE", "CDQE"}, {"CWD", "CDQ", "CQO"}};
      form("%s (%s%02x)", nm[op][si - 1], sz == 2 ? "66 " : sz == 8 ? "48 " : "", 0x98 + op);
      for (unsigned k = 0; k < 96; k++) {
        struct id_case *c = nc();
        ins_t x;
        ins_init(&x);
        size_pfx(&x, sz);
        x.force_rex = sz != 8 && rn(5) == 0;
        x.opc = 0x98 + op;
        unsigned vsz = op == 0 ? sz / 2 : sz;
        setop(c, RAX, vsz, 0, onev(vsz, k % (NEDGE + 16)));
        emit(c, &x);
        fin(c);
      }
    }
}

static void gen_stack(void) {
  for (int w16 = 0; w16 < 2; w16++) {
    const char *s = w16 ? " 16" : "";
    form("PUSH r%s (%s50+r)", s, w16 ? "66 " : "");
    for (unsigned k = 0; k < 96; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      if (w16) ins_pfx(&x, 0x66);
      x.opc = 0x50;
      x.oreg = (int)rn(16);
      x.force_rex = rn(4) == 0;
      if (k % 8 == 1) c->r[RSP] -= 1 + rn(7);   /* misaligned stack */
      emit(c, &x);
      fin(c);
    }
    form("POP r%s (%s58+r)", s, w16 ? "66 " : "");
    for (unsigned k = 0; k < 96; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      if (w16) ins_pfx(&x, 0x66);
      x.opc = 0x58;
      x.oreg = (int)rn(16);
      x.force_rex = rn(4) == 0;
      mop_set(c, c->r[RSP], 8, rval64());
      emit(c, &x);
      fin(c);
    }
    for (int i8 = 0; i8 < 2; i8++) {
      form("PUSH imm%s%s (%s%02x)", i8 ? "8" : w16 ? "16" : "32", s, w16 ? "66 " : "", i8 ? 0x6A : 0x68);
      for (unsigned k = 0; k < 48; k++) {
        struct id_case *c = nc();
        ins_t x;
        ins_init(&x);
        if (w16) ins_pfx(&x, 0x66);
        x.opc = i8 ? 0x6A : 0x68;
        x.immsz = i8 ? 1 : w16 ? 2 : 4;
        x.imm = onev((unsigned)x.immsz, k % (NEDGE + 8)) & smask((unsigned)x.immsz);
        emit(c, &x);
        fin(c);
      }
    }
    unsigned sz = w16 ? 2 : 8;
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("PUSH r/m%s (%sFF /6) %s", s, w16 ? "66 " : "", kname(kind));
      for (unsigned k = 0; k < 64; k++) {
        struct id_case *c = nc();
        ins_t x; ops_t o;
        ins_init(&x);
        x.opc = 0xFF;
        prep(c, &x, &o, w16 ? 2 : 4, kind, 1u << RSP, 0, rtoff());
        o.sz = sz;
        x.reg = 6;
        if (kind != K_REG) set_e(c, &o, rval64());
        emit(c, &x);
        fin(c);
      }
      form("POP r/m%s (%s8F /0) %s", s, w16 ? "66 " : "", kname(kind));
      for (unsigned k = 0; k < 64; k++) {
        struct id_case *c = nc();
        ins_t x; ops_t o;
        ins_init(&x);
        x.opc = 0x8F;
        prep(c, &x, &o, w16 ? 2 : 4, kind, 1u << RSP, 0, rtoff());
        x.reg = 0;
        mop_set(c, c->r[RSP], 8, rval64());
        emit(c, &x);
        fin(c);
      }
    }
    form("POP [rsp+disp]%s (%s8F 44 24 d8): address after the increment", s, w16 ? "66 " : "");
    for (unsigned k = 0; k < 32; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      if (w16) ins_pfx(&x, 0x66);
      x.opc = 0x8F;
      x.has_modrm = 1;
      x.reg = 0;
      x.m.base = RSP;
      x.m.disp = (int32_t)rn(64) - 32;
      x.m.dsz = rn(2) ? 1 : 0;
      mop_set(c, c->r[RSP], 8, rval64());
      emit(c, &x);
      fin(c);
    }
    form("PUSH [rsp+disp]%s (%sFF 74 24 d8)", s, w16 ? "66 " : "");
    for (unsigned k = 0; k < 32; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      if (w16) ins_pfx(&x, 0x66);
      x.opc = 0xFF;
      x.has_modrm = 1;
      x.reg = 6;
      x.m.base = RSP;
      x.m.disp = (int32_t)rn(64) - 32;
      emit(c, &x);
      fin(c);
    }
    form("ENTER%s (%sC8 iw ib)", s, w16 ? "66 " : "");
    for (unsigned k = 0; k < 34 * 6; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      if (w16) ins_pfx(&x, 0x66);
      x.opc = 0xC8;
      x.immsz = 2;
      static const uint16_t fr[6] = {0, 8, 0x18, 3, 0x100, 0x7f};
      x.imm = fr[k % 6];
      x.imm2sz = 1;
      x.imm2 = k / 6;      /* levels 0..33: masked to 5 bits */
      c->r[RBP] = ID_STACK + rn(0x80) - (k & 1 ? rn(8) : 0);
      emit(c, &x);
      fin(c);
    }
    form("LEAVE%s (%sC9)", s, w16 ? "66 " : "");
    for (unsigned k = 0; k < 64; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      if (w16) ins_pfx(&x, 0x66);
      x.opc = 0xC9;
      c->r[RBP] = ID_STACK - 0x100 + rn(0x180);
      mop_set(c, c->r[RBP], 8, rval64());
      emit(c, &x);
      fin(c);
    }
  }
  /* control transfers whose target is the end of the case */
  form("CALL rel32 (E8)");
  for (unsigned k = 0; k < 32; k++) {
    struct id_case *c = nc();
    uint8_t b[5] = {0xE8, 0, 0, 0, 0};
    raw(c, b, 5);
    fin(c);
  }
  for (int op = 0; op < 2; op++)
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      form("%s r/m64 (FF /%d) %s", op ? "JMP" : "CALL", op ? 4 : 2, kname(kind));
      for (unsigned k = 0; k < 48; k++) {
        struct id_case *c = nc();
        ins_t x; ops_t o;
        ins_init(&x);
        x.opc = 0xFF;
        g_hard_avoid = 1;   /* RSP as the target register would push into the code */
        prep(c, &x, &o, 4, kind, 1u << RSP, 0, rtoff());
        g_hard_avoid = 0;
        x.reg = op ? 4 : 2;
        x.force_rex = rn(3) == 0;
        uint8_t tmp[ID_MAXCODE];
        uint64_t tgt = FX_CODE + (uint64_t)enc(&x, tmp, 0);
        if (kind == K_REG) c->r[o.e] = tgt;
        else mop_set(c, o.ea, 8, tgt);
        emit(c, &x);
        fin(c);
      }
    }
  for (int l = 0; l < 2; l++) {
    form("JMP rel%s (%s) over MOV DL,1", l ? "32" : "8", l ? "E9" : "EB");
    for (unsigned k = 0; k < 16; k++) {
      struct id_case *c = nc();
      if (l) { uint8_t b[5] = {0xE9, 2, 0, 0, 0}; raw(c, b, 5); }
      else { uint8_t b[2] = {0xEB, 2}; raw(c, b, 2); }
      uint8_t mv[2] = {0xB2, 1};
      raw(c, mv, 2);
      fin(c);
    }
  }
  for (int imm = 0; imm < 2; imm++) {
    form("RET%s (%s)", imm ? " imm16" : "", imm ? "C2 iw" : "C3");
    for (unsigned k = 0; k < 64; k++) {
      struct id_case *c = nc();
      if (imm) { uint8_t b[3] = {0xC2, (uint8_t)rn(256), (uint8_t)(k & 1)}; raw(c, b, 3); }
      else { uint8_t b = 0xC3; raw(c, &b, 1); }
      mop_set(c, c->r[RSP], 8, FX_CODE + c->len);
      fin(c);
    }
  }
}

static void gen_string(void) {
  static const struct { const char *nm; uint8_t opc; } t[5] = {
    {"MOVS", 0xA4}, {"CMPS", 0xA6}, {"STOS", 0xAA}, {"LODS", 0xAC}, {"SCAS", 0xAE}};
  static const char *repn[3] = {"", "REP(E) ", "REPNE "};
  for (int j = 0; j < 5; j++)
    for (int si = 0; si < 4; si++)
      for (int rep = 0; rep < 3; rep++)
        for (int a32 = 0; a32 < 2; a32++) {
          unsigned sz = SZ[si];
          form("%s%s%s%s (%s%02x)", repn[rep], t[j].nm, szn(sz), a32 ? " addr32" : "",
               a32 ? "67 " : "", t[j].opc + (sz != 1));
          for (unsigned k = 0; k < 80; k++) {
            struct id_case *c = nc();
            ins_t x;
            ins_init(&x);
            if (a32) ins_pfx(&x, 0x67);
            if (rep) ins_pfx(&x, rep == 1 ? 0xF3 : 0xF2);
            size_pfx(&x, sz);
            x.force_rex = sz != 8 && rn(6) == 0;
            x.opc = t[j].opc + (sz != 1);
            int df = (int)(k & 1);
            c->fl = (c->fl & ~(uint64_t)F_DF) | (df ? F_DF : 0);
            unsigned n = k < 34 ? k / 2 : rn(17);
            uint64_t si_ = ID_MEMBASE + (uint64_t)(int64_t)((int)rn(0xC1) - 0x60);
            uint64_t di_ = ID_MEMBASE + (uint64_t)(int64_t)((int)rn(0xC1) - 0x60);
            if (j == 0 && k % 3 == 0)   /* overlapping moves, distance below the element size too */
              di_ = si_ + (uint64_t)(int64_t)((int)rn(33) - 16);
            c->r[RSI] = a32 ? (rnd() << 32) | (uint32_t)si_ : si_;
            c->r[RDI] = a32 ? (rnd() << 32) | (uint32_t)di_ : di_;
            c->r[RCX] = rep ? (a32 ? (rnd() << 32) | n : n) : rnd();
            if (!rep && k % 4 == 0) c->r[RCX] = n;
            uint64_t av = rval64();
            c->r[RAX] = av;
            int64_t step = df ? -(int64_t)sz : (int64_t)sz;
            if (j == 1) {   /* CMPS: an equal run of random length, then maybe a difference */
              unsigned eq = rn(n + 2);
              if (eq) {
                uint64_t s0 = df ? si_ - (eq - 1) * sz : si_, d0 = df ? di_ - (eq - 1) * sz : di_;
                mop_copy(c, d0, s0, eq * sz);
              }
            } else if (j == 4) {   /* SCAS: a run equal to the accumulator / one match */
              unsigned eq = rn(n + 2);
              if (rep != 2 && eq) {
                uint64_t d0 = df ? di_ - (eq - 1) * sz : di_;
                mop_rep(c, d0, sz, eq, av);
              } else if (eq && eq <= n) {
                mop_set(c, di_ + (uint64_t)(step * (int64_t)(eq - 1)), sz, av);
              }
            }
            emit(c, &x);
            fin(c);
          }
        }
  /* long REP runs crossing the page boundary at ID_MEMBASE, both directions */
  for (int j = 0; j < 5; j++)
    for (int si = 0; si < 4; si++) {
      unsigned sz = SZ[si];
      form("REP%s %s%s long, crossing a page (F3 %02x)", j == 1 || j == 4 ? "E" : "", t[j].nm, szn(sz), t[j].opc + (sz != 1));
      for (unsigned k = 0; k < 64; k++) {
        struct id_case *c = nc();
        ins_t x;
        ins_init(&x);
        ins_pfx(&x, k & 2 ? 0xF3 : (j == 1 || j == 4 ? 0xF2 : 0xF3));
        size_pfx(&x, sz);
        x.opc = t[j].opc + (sz != 1);
        int df = (int)(k & 1);
        c->fl = (c->fl & ~(uint64_t)F_DF) | (df ? F_DF : 0);
        unsigned n = 17 + rn(sz == 8 ? 44 : 60);
        unsigned total = n * sz;
        uint64_t st[2];
        for (int p = 0; p < 2; p++) {
          int64_t lo, hi;
          if (!df) { lo = 0x8000 - (int64_t)total + 1; if (lo < 0x7e00) lo = 0x7e00;
                     hi = 0x8000 - 1; if (hi > 0x8300 - (int64_t)total) hi = 0x8300 - (int64_t)total; }
          else { lo = 0x8000; if (lo < 0x7e00 + (int64_t)total - (int64_t)sz) lo = 0x7e00 + (int64_t)total - (int64_t)sz;
                 hi = 0x8000 + (int64_t)total - (int64_t)sz - 1; if (hi > 0x8300 - (int64_t)sz) hi = 0x8300 - (int64_t)sz; }
          cr_assert(hi >= lo);
          st[p] = FX_DATA + (uint64_t)(lo + (int64_t)rn((unsigned)(hi - lo + 1)));
        }
        c->r[RSI] = st[0];
        c->r[RDI] = st[1];
        c->r[RCX] = n;
        uint64_t av = rval64();
        c->r[RAX] = av;
        unsigned eq = rn(n + 2);
        if (j == 1 && eq) {
          uint64_t s0 = df ? st[0] - (eq - 1) * sz : st[0], d0 = df ? st[1] - (eq - 1) * sz : st[1];
          mop_copy(c, d0, s0, eq * sz);
        } else if (j == 4 && eq) {
          if (x.pfx[0] == 0xF3) mop_rep(c, df ? st[1] - (eq - 1) * sz : st[1], sz, eq, av);
          else if (eq <= n) mop_set(c, st[1] + (uint64_t)((df ? -(int64_t)sz : (int64_t)sz) * (int64_t)(eq - 1)), sz, av);
        }
        emit(c, &x);
        fin(c);
      }
    }
}

/* BMI1/BMI2 (VEX) */
static void gen_bmi(void) {
  enum { T_ANDN, T_BEXTR, T_BLSR, T_BLSMSK, T_BLSI, T_BZHI, T_MULX, T_PDEP, T_PEXT,
         T_RORX, T_SARX, T_SHLX, T_SHRX, T__N };
  static const struct { const char *nm; int map, opc, pp, digit, rule; } t[T__N] = {
    [T_ANDN] = {"ANDN", 2, 0xF2, 0, -1, U_ANDN},
    [T_BEXTR] = {"BEXTR", 2, 0xF7, 0, -1, U_BEXTR},
    [T_BLSR] = {"BLSR", 2, 0xF3, 0, 1, U_BLS},
    [T_BLSMSK] = {"BLSMSK", 2, 0xF3, 0, 2, U_BLS},
    [T_BLSI] = {"BLSI", 2, 0xF3, 0, 3, U_BLS},
    [T_BZHI] = {"BZHI", 2, 0xF5, 0, -1, U_BZHI},
    [T_MULX] = {"MULX", 2, 0xF6, 3, -1, U_NONE},
    [T_PDEP] = {"PDEP", 2, 0xF5, 3, -1, U_NONE},
    [T_PEXT] = {"PEXT", 2, 0xF5, 2, -1, U_NONE},
    [T_RORX] = {"RORX", 3, 0xF0, 3, -1, U_NONE},
    [T_SARX] = {"SARX", 2, 0xF7, 2, -1, U_NONE},
    [T_SHLX] = {"SHLX", 2, 0xF7, 1, -1, U_NONE},
    [T_SHRX] = {"SHRX", 2, 0xF7, 3, -1, U_NONE},
  };
  for (int j = 0; j < T__N; j++)
    for (int w = 0; w < 2; w++)
      for (int kind = K_REG; kind <= K_MEM; kind++) {
        unsigned sz = w ? 8 : 4, bits = sz * 8;
        form("%s %s (VEX.%s.W%d %02x%s) %s", t[j].nm, szn(sz), t[j].map == 3 ? "0F3A" : "0F38", w, t[j].opc,
             t[j].digit >= 0 ? (t[j].digit == 1 ? " /1" : t[j].digit == 2 ? " /2" : " /3") : "", kname(kind));
        for (unsigned k = 0; k < 320; k++) {
          struct id_case *c = nc();
          ins_t x;
          ins_init(&x);
          x.vex = 1;
          x.map = t[j].map;
          x.opc = t[j].opc;
          x.vexpp = t[j].pp;
          x.rexw = w;
          x.has_modrm = 1;
          x.reg = t[j].digit >= 0 ? t[j].digit : (int)rn(16);
          x.vvvv = j == T_RORX ? 0 : (int)rn(16);
          uint64_t sv = k < NEDGE * 4 ? edge(sz, k / 4) : rval(sz);
          uint64_t vv;   /* the vvvv operand */
          switch (j) {
          case T_BEXTR: vv = (k % 5 == 0 ? rnd() : rnd() & ~0xffffull) | rn(bits + 8) | (uint64_t)rn(bits + 8) << 8; break;
          case T_BZHI: vv = (rnd() & ~0xffull) | (k % 3 ? rn(bits + 8) : rn(256)); break;
          case T_SARX: case T_SHLX: case T_SHRX: vv = (rnd() & ~0xffull) | rn(k % 2 ? bits : 256); break;
          default: vv = k < NEDGE * 4 ? edge(sz, k % 4 + k / 16) : rval(sz) ^ (rnd() << 32); break;
          }
          if (j == T_RORX) { x.immsz = 1; x.imm = k < 256 ? k : rn(256); }
          if (j >= T_BLSR && j <= T_BLSI) x.vvvv = (int)rn(16);
          c->r[x.vvvv] = vv;
          if (j == T_MULX) c->r[RDX] = k % 3 ? rval64() : edge(sz, k % NEDGE) | (rnd() << 32 & (w ? 0 : ~0ull));
          if (kind == K_REG) {
            x.rm = (int)rn(16);
            if (x.rm != x.vvvv || rn(4) == 0) c->r[x.rm] = (c->r[x.rm] & ~smask(sz)) | (sv & smask(sz));
          } else {
            uint64_t ea = ID_MEMBASE + (uint64_t)(int64_t)rtoff();
            pick_mem(c, &x, ea, 1u << x.vvvv | (j == T_MULX ? 1u << RDX : 0), 0, 1);
            mop_set(c, ea, sz, sv);
          }
          c->undef = undef_rules[t[j].rule].undef;
          emit(c, &x);
          fin(c);
        }
      }
}

/* An ALU op followed by a flag consumer: exercises the lazy-flag state
 * (cond_true fast paths, ADC/SBB carry-in, INC/DEC keeping CF, PUSHF and
 * LAHF materialization). */
static void gen_lazy(void) {
  enum { P_ADD, P_OR, P_ADC, P_SBB, P_AND, P_SUB, P_XOR, P_CMP, P_TEST, P_INC, P_DEC, P_NEG, P__N };
  static const char *pn[P__N] = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST", "INC", "DEC", "NEG"};
  enum { C_SETCC, C_JCC, C_CMOV, C_ADC, C_SBB, C_PUSHF, C_LAHF, C_INCSET, C_RCL, C_BT, C_SHL0,
         C_CMC, C_CLC, C_SAHF, C_ROL1, C__N };
  static const char *cn[C__N] = {"SETcc", "Jcc", "CMOVcc", "ADC", "SBB", "PUSHF", "LAHF", "INC;SETcc",
                                 "RCL 1", "BT (ZF kept)", "SHL 0 (nothing)", "CMC", "CLC", "SAHF (OF kept)",
                                 "ROL 1 (SF ZF AF PF kept)"};
  static const int pool[12] = {RAX, RBX, RCX, RSI, RDI, R8, R9, R10, R11, R12, R13, R14};
  for (int p = 0; p < P__N; p++)
    for (int si = 0; si < 4; si++)
      for (int cs = 0; cs < C__N; cs++) {
        unsigned sz = SZ[si];
        int logic = p == P_OR || p == P_AND || p == P_XOR || p == P_TEST;
        if (logic && (cs == C_PUSHF || cs == C_LAHF)) continue;   /* AF undefined would show */
        form("%s %s ; %s", pn[p], szn(sz), cn[cs]);
        for (unsigned k = 0; k < 96; k++) {
          struct id_case *c = nc();
          ins_t x;
          ins_init(&x);
          int a = pool[rn(12)], b = pool[rn(12)];
          size_pfx(&x, sz);
          if (sz == 1) x.force_rex = 1;
          x.has_modrm = 1;
          uint64_t va, vb;
          pairv(sz, k < 64 ? (k * 37) % (NEDGE * NEDGE) : NEDGE * NEDGE, &va, &vb);
          setop(c, a, sz, 0, va);
          if (b != a) setop(c, b, sz, 0, vb);
          if (p <= P_CMP) { x.opc = p * 8 + (sz != 1); x.rm = a; x.reg = b; }
          else if (p == P_TEST) { x.opc = sz == 1 ? 0x84 : 0x85; x.rm = a; x.reg = b; }
          else { x.opc = p == P_NEG ? (sz == 1 ? 0xF6 : 0xF7) : (sz == 1 ? 0xFE : 0xFF);
                 x.rm = a; x.reg = p == P_INC ? 0 : p == P_DEC ? 1 : 3; }
          emit(c, &x);
          int cc = (int)(k % 16);
          switch (cs) {
          case C_SETCC: { uint8_t s[3] = {0x0F, (uint8_t)(0x90 + cc), 0xC2}; raw(c, s, 3); break; }
          case C_JCC: { uint8_t s[4] = {(uint8_t)(0x70 + cc), 2, 0xB2, 1}; raw(c, s, 4); c->r[RDX] &= ~0xffull; break; }
          case C_CMOV: { uint8_t s[3] = {0x0F, (uint8_t)(0x40 + cc), 0xD6}; raw(c, s, 3); break; }   /* cmovcc edx, esi */
          case C_ADC: case C_SBB: {
            uint8_t s[3] = {0x48, cs == C_ADC ? 0x11 : 0x19, 0xF2};   /* adc/sbb rdx, rsi */
            raw(c, s, 3);
            break;
          }
          case C_PUSHF: { uint8_t s = 0x9C; raw(c, &s, 1); break; }
          case C_LAHF: { uint8_t s = 0x9F; raw(c, &s, 1); break; }
          case C_INCSET: { uint8_t s[6] = {0x48, 0xFF, 0xC2, 0x0F, (uint8_t)(0x90 + cc), 0xC1}; raw(c, s, 6); break; }
          case C_RCL: { uint8_t s[3] = {0x48, 0xD1, 0xD2}; raw(c, s, 3); break; }   /* rcl rdx, 1 */
          case C_BT: { uint8_t s[4] = {0x48, 0x0F, 0xA3, 0xF2}; raw(c, s, 4); break; }   /* bt rdx, rsi */
          case C_SHL0: { uint8_t s[4] = {0x48, 0xC1, 0xE2, 0x00}; raw(c, s, 4); break; } /* shl rdx, 0 */
          case C_CMC: { uint8_t s = 0xF5; raw(c, &s, 1); break; }
          case C_CLC: { uint8_t s = 0xF8; raw(c, &s, 1); break; }
          case C_SAHF: { uint8_t s = 0x9E; raw(c, &s, 1); break; }
          default: { uint8_t s[3] = {0x48, 0xD1, 0xC2}; raw(c, s, 3); break; }   /* rol rdx, 1 */
          }
          /* the consumer leaves the first op's flags (SETcc Jcc CMOVcc)
           * or computes its own from defined inputs (ADC SBB INC RCL) */
          c->undef = logic && (cs == C_SETCC || cs == C_JCC || cs == C_CMOV || cs == C_SHL0 ||
                               cs == C_CMC || cs == C_CLC || cs == C_ROL1) ? F_AF : 0;
          if (cs == C_BT) c->undef = undef_rules[U_BT].undef;
          fin(c);
        }
      }
}

/* Random sequences of 2..7 instructions (register and [r15+d8] memory
 * forms) drawn from a menu whose flag effects are known: the generator
 * tracks which flags are undefined at each point, consumers (Jcc SETcc
 * CMOVcc ADC SBB RCL RCR LAHF PUSHF) only read defined flags, and the final
 * RFLAGS compare masks what is still undefined.  Exercises the lazy-flag
 * state across every producer/consumer pair and operand size. */
enum { SQ_ALU, SQ_ALUI, SQ_UNARY, SQ_SHIFT, SQ_ROT, SQ_BT, SQ_SETCC, SQ_CMOV, SQ_JCC, SQ_FLAGOP,
       SQ_MOV, SQ_XADD, SQ_CMPXCHG, SQ_MUL, SQ_POPCNT, SQ_LAHF, SQ_PUSHF, SQ_SAHF, SQ_SHXD, SQ__N };
static uint32_t cc_reads(int cc) {
  static const uint32_t r[8] = {F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF, F_ZF | F_SF | F_OF};
  return r[(cc >> 1) & 7];
}
static int pick_cc(uint32_t und) {
  for (int t = 0; t < 64; t++) {
    int cc = (int)rn(16);
    if (!(cc_reads(cc) & und)) return cc;
  }
  return -1;
}
static void gen_seq(void) {
  static const int pool[13] = {RAX, RCX, RDX, RBX, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13};
  for (int f = 0; f < 8; f++) {
    form("random sequences, set %d", f);
    for (unsigned k = 0; k < 4096; k++) {
      struct id_case *c = nc();
      uint32_t und = 0;                  /* flags undefined at this point */
      int n = 2 + (int)rn(6);
      c->r[R15] = ID_MEMBASE - 0x40 + rn(0x40);
      for (int r = 0; r < 13; r++) if (rn(3) == 0) c->r[pool[r]] = edge(8, rn(NEDGE)) ^ (rn(2) ? 0 : rnd() << 32);
      for (int q = 0; q < n; q++) {
        ins_t x;
        ins_init(&x);
        unsigned sz = SZ[rn(4)];
        int a = pool[rn(13)], b = pool[rn(13)];
        int mem = rn(5) == 0;
        size_pfx(&x, sz);
        if (sz == 1) x.force_rex = 1;     /* SPL..DIL, R8B..: no AH..BH here */
        x.has_modrm = 1;
        x.rm = a;
        x.reg = b;
        if (mem) { x.rm = NOREG; x.m.base = R15; x.m.disp = (int32_t)rn(0x78); x.m.dsz = 1; }
        int kind = (int)rn(SQ__N);
        uint32_t W = 0, U = 0;           /* written, left undefined */
        int ok = 1;
        switch (kind) {
        case SQ_ALU: {
          int op = (int)rn(8);
          if ((op == 2 || op == 3) && (und & F_CF)) op = 0;
          x.opc = op * 8 + (sz != 1) + (rn(2) ? 2 : 0);
          W = F_ARITH; U = (op == 1 || op == 4 || op == 6) ? F_AF : 0;
          break;
        }
        case SQ_ALUI: {
          int op = (int)rn(8);
          if ((op == 2 || op == 3) && (und & F_CF)) op = 5;
          x.opc = sz == 1 ? 0x80 : rn(2) ? 0x83 : 0x81;
          x.reg = op;
          x.immsz = x.opc == 0x81 ? (sz == 2 ? 2 : 4) : 1;
          x.imm = rval(8) & smask((unsigned)x.immsz);
          W = F_ARITH; U = (op == 1 || op == 4 || op == 6) ? F_AF : 0;
          break;
        }
        case SQ_UNARY: {
          int op = (int)rn(4);   /* INC DEC NOT NEG */
          x.opc = op < 2 ? (sz == 1 ? 0xFE : 0xFF) : (sz == 1 ? 0xF6 : 0xF7);
          x.reg = op < 2 ? op : op;
          W = op < 2 ? F_ARITH & ~F_CF : op == 3 ? F_ARITH : 0;
          break;
        }
        case SQ_SHIFT: case SQ_ROT: {
          int op = kind == SQ_ROT ? (int)rn(4) : 4 + (int)rn(4);
          if ((op == 2 || op == 3) && (und & F_CF)) op = 0;
          unsigned cnt = rn(4) == 0 ? 1 : rn(sz * 8 + 4);
          x.opc = (cnt == 1 && rn(2) ? 0xD0 : 0xC0) + (sz != 1);
          if (x.opc < 0xD0) { x.immsz = 1; x.imm = cnt; }
          x.reg = op;
          unsigned mc = cnt & (sz == 8 ? 63 : 31);
          if (mc) W = op < 4 ? F_CF | F_OF : F_ARITH;
          U = undef_shift((unsigned)op, sz, mc);
          if (op < 4 && !mc) W = 0, U = 0;   /* nothing happens */
          break;
        }
        case SQ_BT:
          if (sz == 1) { ok = 0; break; }
          x.map = 1;
          x.opc = 0xBA;
          x.reg = 4 + (int)rn(4);
          x.immsz = 1;
          x.imm = rn(256);
          W = F_CF | F_OF | F_SF | F_AF | F_PF;
          U = F_OF | F_SF | F_AF | F_PF;
          break;
        case SQ_SETCC: case SQ_CMOV: {
          int cc = pick_cc(und);
          if (cc < 0 || (kind == SQ_CMOV && sz == 1)) { ok = 0; break; }
          x.map = 1;
          x.opc = (kind == SQ_SETCC ? 0x90 : 0x40) + cc;
          if (kind == SQ_SETCC) { x.reg = 0; if (sz != 1) { x.npfx = 0; x.rexw = 0; x.force_rex = 1; } }
          break;
        }
        case SQ_JCC: {
          int cc = pick_cc(und);
          if (cc < 0) { ok = 0; break; }
          uint8_t bj[2] = {(uint8_t)(0x70 + cc), 3}, mv[3] = {0x41, 0xB6, (uint8_t)rn(256)};  /* mov r14b, imm */
          raw(c, bj, 2);
          raw(c, mv, 3);
          continue;
        }
        case SQ_FLAGOP: {
          static const uint8_t fo[3] = {0xF5, 0xF8, 0xF9};   /* CMC CLC STC */
          int j = (int)rn(3);
          if (j == 0 && (und & F_CF)) j = 1;
          raw(c, &fo[j], 1);
          und &= ~(uint32_t)F_CF;
          continue;
        }
        case SQ_MOV: x.opc = (rn(2) ? 0x88 : 0x8A) + (sz != 1); break;
        case SQ_XADD: x.map = 1; x.opc = 0xC0 + (sz != 1); W = F_ARITH; break;
        case SQ_CMPXCHG: x.map = 1; x.opc = 0xB0 + (sz != 1); W = F_ARITH; break;
        case SQ_MUL:
          if (sz == 1) { ok = 0; break; }
          x.map = 1; x.opc = 0xAF;
          if (mem == 0 && rn(2)) { x.map = 0; x.opc = 0x6B; x.immsz = 1; x.imm = rn(256); }
          W = F_ARITH; U = F_SF | F_ZF | F_AF | F_PF;
          break;
        case SQ_POPCNT:
          if (sz == 1) { ok = 0; break; }
          ins_pfx(&x, 0xF3); x.map = 1; x.opc = 0xB8; W = F_ARITH;
          break;
        case SQ_LAHF:
          if (und & (F_SF | F_ZF | F_AF | F_PF | F_CF)) { ok = 0; break; }
          { uint8_t l = 0x9F; raw(c, &l, 1); }
          continue;
        case SQ_PUSHF:
          if (und) { ok = 0; break; }
          { uint8_t l = 0x9C; raw(c, &l, 1); }
          continue;
        case SQ_SAHF:
          { uint8_t l = 0x9E; raw(c, &l, 1); }
          und &= ~(uint32_t)(F_SF | F_ZF | F_AF | F_PF | F_CF);
          continue;
        default: {  /* SHLD/SHRD imm */
          if (sz == 1) { ok = 0; break; }
          x.map = 1;
          x.opc = rn(2) ? 0xA4 : 0xAC;
          unsigned cnt = rn(sz * 8 + 1);
          x.immsz = 1;
          x.imm = cnt;
          unsigned mc = cnt & (sz == 8 ? 63 : 31);
          if (mc) W = F_ARITH;
          U = undef_shxd(sz, mc);
          break;
        }
        }
        if (!ok) continue;
        if (c->len + 12 > ID_MAXCODE - 6) break;
        emit(c, &x);
        und = (und & ~W) | U;
      }
      c->undef = und;
      fin(c);
    }
  }
}

/* Instructions placed so they straddle the boundary between the two code
 * pages at every split position (prefixes, opcode, ModRM, SIB, disp, imm,
 * VEX bytes): the decoder's cross-page path and block ends. */
static void gen_xpage(void) {
  static const char *tn[] = {"ALU r/m,imm32 (81, any ModRM/SIB/disp)", "MOV r64,imm64 (REX.W B8+r)",
                             "ADD [rip+d32],imm8 (83 /0, +LOCK)", "Jcc rel32 over MOV DL,1",
                             "ANDN r,r,m (VEX)", "RORX r,m,imm8 (VEX)", "LOCK CMPXCHG16B m",
                             "POPCNT r16,m16 (66 F3 0F B8)", "CALL rel32 (E8)", "IMUL r,r/m,imm32 (69)",
                             "SHLD r/m,r,imm8", "2E 3E 66 F0 81 /0 m16,imm16", "ENTER iw,ib",
                             "MOVBE r,m", "REP STOSB", "LOCK ADD r,r: #UD across the boundary",
                             "16-byte instruction across the boundary: #GP"};
  for (unsigned t = 0; t < sizeof tn / sizeof tn[0]; t++) {
    form("%s straddling the code page boundary", tn[t]);
    for (unsigned k = 0; k < 320; k++) {
      struct id_case *c = nc();
      c->cofs = (uint16_t)(0x1000 - 1 - k % 15);
      ins_t x; ops_t o;
      ins_init(&x);
      switch (t) {
      case 0:
        x.opc = 0x81;
        prep(c, &x, &o, SZ[1 + rn(3)], rn(2) ? K_MEM : K_MEML, 0, 0, rtoff());
        x.reg = (int)rn(7);
        x.immsz = o.sz == 2 ? 2 : 4;
        x.imm = rval(4) & smask((unsigned)x.immsz);
        c->undef = F_AF;
        break;
      case 1: x.rexw = 1; x.opc = 0xB8; x.oreg = (int)rn(16); x.immsz = 8; x.imm = rval64(); break;
      case 2:
        if (rn(2)) ins_pfx(&x, 0xF0);
        size_pfx(&x, SZ[1 + rn(3)]);
        x.opc = 0x83; x.has_modrm = 1; x.reg = 0;
        x.m.base = RIPB; x.m.riptarget = ID_MEMBASE + (uint64_t)(int64_t)rtoff();
        x.immsz = 1; x.imm = rn(256);
        break;
      case 3: {
        uint8_t b[8] = {0x0F, (uint8_t)(0x80 + rn(16)), 2, 0, 0, 0, 0xB2, 1};
        raw(c, b, 8);
        c->r[RDX] &= ~0xffull;
        c->fl = flags_k(k);
        fin(c);
        continue;
      }
      case 4: case 5: {
        x.vex = 1; x.rexw = (int)rn(2); x.has_modrm = 1; x.reg = (int)rn(16);
        if (t == 4) { x.map = 2; x.opc = 0xF2; x.vvvv = (int)rn(16); c->undef = F_AF | F_PF; }
        else { x.map = 3; x.opc = 0xF0; x.vexpp = 3; x.immsz = 1; x.imm = rn(256); }
        pick_mem(c, &x, ID_MEMBASE + (uint64_t)(int64_t)rtoff(), 1u << x.vvvv, 0, 1);
        break;
      }
      case 6:
        ins_pfx(&x, 0xF0); x.rexw = 1; x.map = 1; x.opc = 0xC7; x.has_modrm = 1; x.reg = 1;
        pick_mem(c, &x, ID_MEMBASE + rn(4) * 16, 1u << RAX | 1u << RBX | 1u << RCX | 1u << RDX, 0, 1);
        break;
      case 7:
        ins_pfx(&x, 0x66); ins_pfx(&x, 0xF3); x.map = 1; x.opc = 0xB8; x.has_modrm = 1; x.reg = (int)rn(16);
        pick_mem(c, &x, ID_MEMBASE + (uint64_t)(int64_t)rtoff(), 1u << x.reg, 0, 1);
        break;
      case 8: { uint8_t b[5] = {0xE8, 0, 0, 0, 0}; raw(c, b, 5); fin(c); continue; }
      case 9:
        x.opc = 0x69;
        prep(c, &x, &o, SZ[1 + rn(3)], rn(2) ? K_REG : K_MEM, 0, 1, rtoff());
        x.immsz = o.sz == 2 ? 2 : 4; x.imm = rval(4) & smask((unsigned)x.immsz);
        c->undef = undef_rules[U_MUL].undef;
        break;
      case 10: {
        x.map = 1; x.opc = 0xA4;
        prep(c, &x, &o, SZ[1 + rn(3)], rn(2) ? K_REG : K_MEM, 0, 1, rtoff());
        unsigned cnt = rn(o.sz * 8 + 1);
        x.immsz = 1; x.imm = cnt;
        c->undef = undef_shxd(o.sz, cnt & (o.sz == 8 ? 63 : 31));
        if ((cnt & 31) > o.sz * 8) {   /* result undefined */
          if (o.e != NOREG) c->regskip = (uint16_t)(1u << o.e);
          else { c->mskip_off = (uint16_t)(o.ea - FX_DATA); c->mskip_len = (uint8_t)o.sz; }
        }
        break;
      }
      case 11: {
        uint64_t ea = ID_MEMBASE + (uint64_t)(int64_t)rtoff();
        uint8_t b[11] = {0x2E, 0x3E, 0x66, 0xF0, 0x81, 0x86, 0, 0, 0, 0, 0};   /* [rsi+d32] */
        int32_t d = (int32_t)rn(0x1000) - 0x800;
        memcpy(b + 6, &d, 4);
        b[10] = (uint8_t)rn(256);
        raw(c, b, 11);
        uint8_t hi = (uint8_t)rn(256);
        raw(c, &hi, 1);
        c->r[RSI] = ea - (uint64_t)(int64_t)d;
        fin(c);
        continue;
      }
      case 12: {
        uint8_t b[4] = {0xC8, (uint8_t)rn(64), 0, (uint8_t)rn(4)};
        raw(c, b, 4);
        c->r[RBP] = ID_STACK + rn(0x40);
        fin(c);
        continue;
      }
      case 13:
        x.map = 2; x.opc = 0xF0 + (int)rn(2);
        prep(c, &x, &o, SZ[1 + rn(3)], K_MEM, 0, 1, rtoff());
        break;
      case 14: {
        uint8_t b[3] = {0x67, 0xF3, 0xAA};
        int o3 = rn(2);
        raw(c, b + o3, 3 - o3);
        c->r[RDI] = ID_MEMBASE + rn(64);
        c->r[RCX] = rn(40);
        fin(c);
        continue;
      }
      case 15: {
        uint8_t b[3] = {0xF0, 0x01, (uint8_t)(0xC0 | rn(64))};
        raw(c, b, 3);
        c->ud_only = 1;
        c->expect_vec = EXC_UD;
        fin(c);
        continue;
      }
      default: {
        uint8_t b[16];
        memset(b, 0x66, 14);
        b[14] = 0x01; b[15] = 0xC0;
        raw(c, b, 16);
        c->ud_only = 1;
        c->expect_vec = EXC_GP;
        fin(c);
        continue;
      }
      }
      emit(c, &x);
      fin(c);
    }
  }
}

/* NOP/hint/fence forms (no effect), traps and privileged instructions. */
static void gen_misc(void) {
  static const struct { int opc, digit; const char *nm; int memonly; } nops[] = {
    {0x1F, 0, "NOP Ev (0F 1F /0)", 0}, {0x18, 0, "PREFETCHNTA (0F 18 /0)", 1}, {0x18, 1, "PREFETCHT0 (0F 18 /1)", 1},
    {0x18, 2, "PREFETCHT1 (0F 18 /2)", 1}, {0x18, 3, "PREFETCHT2 (0F 18 /3)", 1}, {0x0D, 1, "PREFETCHW (0F 0D /1)", 1},
    {0x0D, 0, "PREFETCH (0F 0D /0)", 1}, {0x19, -1, "hint NOP (0F 19 /r)", 0}, {0x1A, -1, "hint NOP (0F 1A /r)", 1},
    {0x1C, -1, "hint NOP (0F 1C /r)", 0}, {0x1D, -1, "hint NOP (0F 1D /r)", 0}, {0x1F, -1, "NOP Ev (0F 1F /r)", 0},
    {0x0D, -1, "PREFETCH* (0F 0D /r)", 1}, {0x18, -1, "hint NOP (0F 18 /r)", 0}, {0x1A, -1, "BNDx/hint NOP (0F 1A /r)", 0},
    {0x1B, -1, "BNDx/hint NOP (0F 1B /r)", 0}, {0x1E, -1, "hint NOP (0F 1E /r)", 0},
  };
  for (unsigned j = 0; j < sizeof nops / sizeof nops[0]; j++)
    for (int kind = K_REG; kind <= K_MEM; kind++) {
      if (kind == K_REG && nops[j].memonly) continue;
      form("%s %s", nops[j].nm, kname(kind));
      for (unsigned k = 0; k < 64; k++) {
        struct id_case *c = nc();
        ins_t x; ops_t o;
        ins_init(&x);
        x.map = 1;
        x.opc = nops[j].opc;
        prep(c, &x, &o, SZ[1 + rn(3)], kind, 0, 1, rtoff());
        if (nops[j].digit >= 0) x.reg = nops[j].digit;
        emit(c, &x);
        fin(c);
      }
    }
  static const struct { uint8_t n, b[4]; const char *nm; } fx[] = {
    {3, {0x0F, 0xAE, 0xE8}, "LFENCE"}, {3, {0x0F, 0xAE, 0xF0}, "MFENCE"}, {3, {0x0F, 0xAE, 0xF8}, "SFENCE"},
    {1, {0x9B}, "FWAIT"}, {2, {0xF3, 0x90}, "PAUSE"}, {1, {0x90}, "NOP"}, {2, {0x66, 0x90}, "66 NOP"},
    {2, {0x48, 0x90}, "REX.W NOP"}, {4, {0xF3, 0x0F, 0x1E, 0xFA}, "ENDBR64"}, {4, {0xF3, 0x0F, 0x1E, 0xFB}, "ENDBR32"},
  };
  for (unsigned j = 0; j < sizeof fx / sizeof fx[0]; j++) {
    form("%s", fx[j].nm);
    for (unsigned k = 0; k < 32; k++) {
      struct id_case *c = nc();
      raw(c, fx[j].b, fx[j].n);
      fin(c);
    }
  }
  form("CLFLUSH m8 (0F AE /7)");
  for (unsigned k = 0; k < 64; k++) {
    struct id_case *c = nc();
    ins_t x; ops_t o;
    ins_init(&x);
    x.map = 1;
    x.opc = 0xAE;
    prep(c, &x, &o, 4, K_MEM, 0, 0, rtoff());
    x.reg = 7;
    emit(c, &x);
    fin(c);
  }
  /* traps (RIP after the instruction) and #GP at CPL 3 */
  static const struct { uint8_t n, b[4]; const char *nm; } tp[] = {
    {1, {0xCC}, "INT3 (#BP trap)"}, {2, {0xCD, 0x03}, "INT 3 (CD 03: #BP trap, DPL-3 gate)"},
    {2, {0xCD, 0x04}, "INT 4 (CD 04: #OF trap, DPL-3 gate)"}, {2, {0xCD, 0x21}, "INT 21h (#GP)"},
    {2, {0xCD, 0x0D}, "INT 0Dh (#GP)"}, {2, {0xCD, 0xFF}, "INT FFh (#GP)"}, {2, {0xCD, 0x00}, "INT 0 (#GP)"},
    {1, {0xF4}, "HLT (#GP)"}, {1, {0xFA}, "CLI (#GP)"}, {1, {0xFB}, "STI (#GP)"},
    {2, {0xE4, 0x60}, "IN AL,imm8 (#GP)"}, {2, {0xE5, 0x60}, "IN EAX,imm8 (#GP)"},
    {2, {0xE6, 0x80}, "OUT imm8,AL (#GP)"}, {2, {0xE7, 0x80}, "OUT imm8,EAX (#GP)"},
    {1, {0xEC}, "IN AL,DX (#GP)"}, {1, {0xED}, "IN EAX,DX (#GP)"}, {1, {0xEE}, "OUT DX,AL (#GP)"},
    {1, {0xEF}, "OUT DX,EAX (#GP)"}, {1, {0x6C}, "INSB (#GP)"}, {1, {0x6D}, "INSD (#GP)"},
    {1, {0x6E}, "OUTSB (#GP)"}, {1, {0x6F}, "OUTSD (#GP)"}, {2, {0x0F, 0x06}, "CLTS (#GP)"},
    {2, {0x0F, 0x08}, "INVD (#GP)"}, {2, {0x0F, 0x09}, "WBINVD (#GP)"}, {2, {0x0F, 0x30}, "WRMSR (#GP)"},
    {2, {0x0F, 0x32}, "RDMSR (#GP)"}, {3, {0x0F, 0x20, 0xC0}, "MOV r,CR0 (#GP)"},
    {3, {0x0F, 0x22, 0xD8}, "MOV CR3,r (#GP)"}, {3, {0x0F, 0x21, 0xC0}, "MOV r,DR0 (#GP)"},
    {3, {0x0F, 0x23, 0xF8}, "MOV DR7,r (#GP)"}, {3, {0x0F, 0x20, 0x18}, "MOV r,CR3 mod=0 encoding (#GP)"},
    {3, {0x0F, 0x22, 0x40}, "MOV CR0,r mod=1 encoding (#GP)"}, {3, {0x0F, 0x21, 0x80}, "MOV r,DR0 mod=2 encoding (#GP)"},
    {3, {0x0F, 0x23, 0x00}, "MOV DR0,r mod=0 encoding (#GP)"},
  };
  for (unsigned j = 0; j < sizeof tp / sizeof tp[0]; j++) {
    form("%s", tp[j].nm);
    for (unsigned k = 0; k < 8; k++) {
      struct id_case *c = nc();
      raw(c, tp[j].b, tp[j].n);
      fin(c);
    }
  }
}

/* Faulting accesses: both ends of the data area are followed by unmapped
 * pages (guard pages natively).  No partial write may remain; REP string
 * instructions fault with RCX/RSI/RDI at the faulting element. */
#define AREA_END (FX_DATA + FX_DATA_SIZE)
static void gen_fault(void) {
  /* RMW, store and load crossing into the unmapped page (either end) */
  static const struct { const char *nm; int opc, digit, byte; } rmw[] = {
    {"ADD m,r (01)", 0x01, -1, 0}, {"ADD m8,r8 (00)", 0x00, -1, 1}, {"XCHG m,r (87)", 0x87, -1, 0},
    {"MOV m,r (89)", 0x89, -1, 0}, {"MOV r,m (8B)", 0x8B, -1, 0}, {"INC m (FF /0)", 0xFF, 0, 0},
    {"NOT m (F7 /2)", 0xF7, 2, 0}, {"SHL m,1 (D1 /4)", 0xD1, 4, 0}, {"CMP m,r (39)", 0x39, -1, 0},
  };
  for (unsigned j = 0; j < sizeof rmw / sizeof rmw[0]; j++)
    for (int si = 1; si < 4; si++)
      for (int lock = 0; lock < 2; lock++) {
        unsigned sz = rmw[j].byte ? 1 : SZ[si];
        if (rmw[j].byte && si > 1) continue;
        if (lock && (rmw[j].opc == 0x89 || rmw[j].opc == 0x8B || rmw[j].opc == 0xD1 || rmw[j].opc == 0x39)) continue;
        form("%s%s %s crossing into an unmapped page", lock ? "LOCK " : "", rmw[j].nm, szn(sz));
        for (unsigned k = 0; k < 24; k++) {
          struct id_case *c = nc();
          ins_t x;
          ins_init(&x);
          if (lock) ins_pfx(&x, 0xF0);
          size_pfx(&x, sz);
          x.opc = rmw[j].opc;
          x.has_modrm = 1;
          x.reg = rmw[j].digit >= 0 ? rmw[j].digit : (int)rn(16);
          if (x.reg == RSI && rmw[j].digit < 0) x.reg = RDI;
          x.m.base = RSI;
          x.force_rex = sz == 1;
          int top = k & 1;
          unsigned over = sz == 1 ? 1 : 1 + rn(sz - 1);
          c->r[RSI] = top ? AREA_END - sz + over : FX_DATA - over;
          if (sz == 1) c->r[RSI] = top ? AREA_END : FX_DATA - 1;
          c->xoff = top ? (int32_t)(FX_DATA_SIZE - ID_XWIN_LEN) : 0;
          emit(c, &x);
          fin(c);
        }
      }
  /* CMOVcc from an unmapped address faults whether or not it moves */
  for (int si = 1; si < 4; si++) {
    form("CMOVcc %s r,[unmapped]: #PF even when false", szn(SZ[si]));
    for (unsigned k = 0; k < 64; k++) {
      struct id_case *c = nc();
      ins_t x;
      ins_init(&x);
      size_pfx(&x, SZ[si]);
      x.map = 1;
      x.opc = 0x40 + (int)(k % 16);
      x.has_modrm = 1;
      x.reg = (int)rn(16);
      if (x.reg == RBX) x.reg = RAX;
      x.m.base = RBX;
      x.m.disp = (int32_t)rn(64);
      c->r[RBX] = k & 16 ? AREA_END : FX_DATA - 0x100;
      c->fl = flags_k(k * 7);
      emit(c, &x);
      fin(c);
    }
  }
  /* non-canonical addresses: #GP */
  form("MOV r,[non-canonical] / ADD [non-canonical],r: #GP");
  for (unsigned k = 0; k < 64; k++) {
    struct id_case *c = nc();
    uint8_t b[3] = {0x48, k & 1 ? 0x8B : 0x01, 0x03};   /* [rbx] */
    raw(c, b, 3);
    static const uint64_t nc_[4] = {0x0000800000000000ull, 0xffff7ffffffff000ull, 0x8000000000000000ull,
                                    0x7fffffffffffffffull};
    c->r[RBX] = nc_[k % 4] + rn(64) * 8;
    fin(c);
  }
  /* REP string instructions running off either end of the area */
  static const struct { const char *nm; uint8_t opc; } so[] = {
    {"REP STOS", 0xAA}, {"REP MOVS (dst)", 0xA4}, {"REP MOVS (src)", 0xA4}, {"REP LODS", 0xAC},
    {"REPE SCAS", 0xAE}, {"REPE CMPS", 0xA6}};
  for (unsigned j = 0; j < sizeof so / sizeof so[0]; j++)
    for (int si = 0; si < 4; si++) {
      unsigned sz = SZ[si];
      form("%s%s faulting mid-way", so[j].nm, szn(sz));
      for (unsigned k = 0; k < 48; k++) {
        struct id_case *c = nc();
        ins_t x;
        ins_init(&x);
        ins_pfx(&x, 0xF3);
        size_pfx(&x, sz);
        x.opc = so[j].opc + (sz != 1);
        int df = (int)(k & 1);
        c->fl = (c->fl & ~(uint64_t)F_DF) | (df ? F_DF : 0);
        unsigned m = rn(12) * sz + (k & 2 ? 0 : rn(sz));   /* bytes left before the edge */
        uint64_t edgep = df ? FX_DATA + m : AREA_END - m - sz;   /* first element position */
        if (df) edgep = FX_DATA + m;   /* elements at edgep, edgep - sz, ... reach below FX_DATA */
        uint64_t inside = ID_MEMBASE + rn(64);
        int faulting_src = j == 2 || j == 3;
        c->r[RSI] = faulting_src ? edgep : inside;
        c->r[RDI] = faulting_src ? inside : edgep;
        c->r[RCX] = m / sz + 2 + rn(8);
        uint64_t av = rval64();
        c->r[RAX] = av;
        if (so[j].opc == 0xAE) mop_rep(c, df ? edgep - (m / sz) * sz : edgep, sz, m / sz + 1, av);
        if (so[j].opc == 0xA6) mop_copy(c, df ? edgep - (m / sz) * sz : edgep,
                                        df ? inside - (m / sz) * sz : inside, (m / sz + 1) * sz);
        c->xoff = df ? 0 : (int32_t)(FX_DATA_SIZE - ID_XWIN_LEN);
        emit(c, &x);
        fin(c);
      }
    }
  /* ENTER whose pushes fit but whose final frame (imm16) reaches below the
   * mapping */
  for (int w16 = 0; w16 < 2; w16++)
    for (int lvl = 0; lvl < 3; lvl++) {
      form("ENTER%s imm16,%d with the frame reaching into the unmapped page", w16 ? " 16" : "", lvl);
      for (unsigned k = 0; k < 32; k++) {
        struct id_case *c = nc();
        if (w16) { uint8_t p = 0x66; raw(c, &p, 1); }
        uint16_t fr = (uint16_t)(0x80 + rn(0x200));
        uint8_t b[4] = {0xC8, (uint8_t)fr, (uint8_t)(fr >> 8), (uint8_t)lvl};
        raw(c, b, 4);
        c->r[RSP] = FX_DATA + 0x40 + rn(0x80);
        c->r[RBP] = FX_DATA + 0x60 + rn(0x40);
        c->xoff = 0;
        fin(c);
      }
    }
  /* stack pushes into the unmapped page; pops from it */
  static const struct { uint8_t n, b[6]; const char *nm; int pop; } sk[] = {
    {1, {0x53}, "PUSH rbx", 0}, {2, {0x66, 0x53}, "PUSH bx", 0}, {5, {0xE8, 0, 0, 0, 0}, "CALL rel32", 0},
    {1, {0x9C}, "PUSHF", 0}, {2, {0x6A, 0x7F}, "PUSH imm8", 0}, {4, {0xC8, 0x10, 0, 2}, "ENTER 16,2", 0},
    {2, {0xFF, 0x33}, "PUSH [rbx]", 0}, {1, {0x5B}, "POP rbx", 1}, {1, {0xC3}, "RET", 1}, {1, {0x9D}, "POPF", 1},
    {1, {0xC9}, "LEAVE", 2},
  };
  for (unsigned j = 0; j < sizeof sk / sizeof sk[0]; j++) {
    form("%s with the stack at the edge of the mapping", sk[j].nm);
    for (unsigned k = 0; k < 32; k++) {
      struct id_case *c = nc();
      raw(c, sk[j].b, sk[j].n);
      unsigned d = rn(12);
      if (sk[j].pop == 0) c->r[RSP] = FX_DATA + d;   /* push below FX_DATA: #PF if d < size */
      else c->r[RSP] = AREA_END - d;                /* pop from past the end */
      if (sk[j].pop == 2) c->r[RBP] = AREA_END - d;
      if (sk[j].pop == 1 && d >= 8) {   /* a poppable value: no TF/AC (traps) */
        uint64_t v = sk[j].b[0] == 0x9D ? 0x202 | (rnd() & (F_ARITH | F_DF))
                   : sk[j].b[0] == 0xC3 ? (k & 2 ? FX_CODE + 1 : 0x0000800000000000ull + rn(4096))
                   : rval64();
        mop_set(c, c->r[RSP], 8, v);
      }
      c->r[RBX] = ID_MEMBASE + rn(64);
      c->r[RBP] = sk[j].pop == 2 ? c->r[RBP] : FX_DATA + 0x40 + rn(64);
      c->xoff = sk[j].pop ? (int32_t)(FX_DATA_SIZE - ID_XWIN_LEN) : 0;
      fin(c);
    }
  }
}

/* #UD (and #GP for the 15-byte limit) by the SDM's rules: interpreter only. */
static void ud_case(const uint8_t *b, int n, int vec) {
  for (int k = 0; k < 3; k++) {
    struct id_case *c = nc();
    raw(c, b, n);
    c->ud_only = 1;
    c->expect_vec = (uint8_t)vec;
    fin(c);
  }
}
static void gen_ud(void) {
  uint8_t b[ID_MAXCODE];
  /* LOCK with a register destination, for every lockable opcode */
  static const uint8_t lk1[] = {0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21,
                                0x28, 0x29, 0x30, 0x31, 0x86, 0x87};
  for (unsigned j = 0; j < sizeof lk1; j++) {
    form("LOCK %02x r/m=reg: #UD", lk1[j]);
    b[0] = 0xF0; b[1] = lk1[j]; b[2] = 0xC8 | (uint8_t)rn(8);
    ud_case(b, 3, EXC_UD);
  }
  static const uint8_t grp[] = {0x80, 0x81, 0x83};
  for (unsigned j = 0; j < 3; j++)
    for (int d = 0; d < 7; d++) {
      form("LOCK %02x /%d reg: #UD", grp[j], d);
      int n = 0;
      b[n++] = 0xF0; b[n++] = grp[j]; b[n++] = (uint8_t)(0xC0 | d << 3 | 1);
      b[n++] = 1; if (grp[j] == 0x81) { b[n++] = 0; b[n++] = 0; b[n++] = 0; }
      ud_case(b, n, EXC_UD);
    }
  static const uint8_t un[][2] = {{0xF6, 2}, {0xF6, 3}, {0xF7, 2}, {0xF7, 3}, {0xFE, 0}, {0xFE, 1}, {0xFF, 0}, {0xFF, 1}};
  for (unsigned j = 0; j < 8; j++) {
    form("LOCK %02x /%d reg: #UD", un[j][0], un[j][1]);
    b[0] = 0xF0; b[1] = un[j][0]; b[2] = (uint8_t)(0xC0 | un[j][1] << 3 | 2);
    ud_case(b, 3, EXC_UD);
  }
  static const uint8_t lk2[] = {0xB0, 0xB1, 0xC0, 0xC1, 0xAB, 0xB3, 0xBB};
  for (unsigned j = 0; j < sizeof lk2; j++) {
    form("LOCK 0F %02x reg: #UD", lk2[j]);
    b[0] = 0xF0; b[1] = 0x0F; b[2] = lk2[j]; b[3] = 0xD1;
    ud_case(b, 4, EXC_UD);
  }
  for (int d = 5; d < 8; d++) {
    form("LOCK 0F BA /%d reg: #UD", d);
    b[0] = 0xF0; b[1] = 0x0F; b[2] = 0xBA; b[3] = (uint8_t)(0xC0 | d << 3); b[4] = 3;
    ud_case(b, 5, EXC_UD);
  }
  /* LOCK on instructions that are never lockable (memory operand: [rbx]) */
  static const struct { uint8_t n, b[6]; const char *nm; } nl[] = {
    {2, {0x38, 0x03}, "CMP m8,r8"}, {2, {0x39, 0x03}, "CMP m,r"}, {3, {0x80, 0x3B, 1}, "CMP m8,imm (80 /7)"},
    {3, {0x83, 0x3B, 1}, "CMP m,imm8 (83 /7)"}, {2, {0x3A, 0x03}, "CMP r8,m8"},
    {2, {0x02, 0x03}, "ADD r8,m8 (dest reg)"}, {2, {0x03, 0x03}, "ADD r,m (dest reg)"},
    {2, {0x2B, 0x03}, "SUB r,m (dest reg)"}, {2, {0x84, 0x03}, "TEST m8,r8"}, {2, {0x85, 0x03}, "TEST m,r"},
    {3, {0xF6, 0x03, 1}, "TEST m8,imm"}, {2, {0x88, 0x03}, "MOV m8,r8"}, {2, {0x89, 0x03}, "MOV m,r"},
    {2, {0x8B, 0x03}, "MOV r,m"}, {3, {0xC6, 0x03, 1}, "MOV m8,imm"}, {2, {0xF7, 0x23}, "MUL m"},
    {2, {0xF7, 0x2B}, "IMUL m"}, {2, {0xF7, 0x33}, "DIV m"}, {2, {0xF7, 0x3B}, "IDIV m"},
    {3, {0x0F, 0xAF, 0x03}, "IMUL r,m"}, {2, {0xD1, 0x23}, "SHL m,1"}, {2, {0xD3, 0x2B}, "SHR m,CL"},
    {3, {0xC1, 0x03, 3}, "ROL m,imm"}, {3, {0x0F, 0xA3, 0x03}, "BT m,r"},
    {4, {0x0F, 0xBA, 0x23, 1}, "BT m,imm (0F BA /4)"}, {3, {0x0F, 0xBC, 0x03}, "BSF r,m"},
    {3, {0x0F, 0xA5, 0x03}, "SHLD m,r,CL"}, {2, {0x8D, 0x03}, "LEA"}, {3, {0x0F, 0x44, 0x03}, "CMOVE r,m"},
    {3, {0x0F, 0x94, 0x03}, "SETE m"}, {2, {0xFF, 0x33}, "PUSH m"}, {2, {0x8F, 0x03}, "POP m"},
    {1, {0x53}, "PUSH rbx"}, {1, {0x90}, "NOP"}, {1, {0xA4}, "MOVSB"}, {1, {0xAB}, "STOSD"},
    {1, {0xA6}, "CMPSB"}, {3, {0x0F, 0xB6, 0x03}, "MOVZX r,m8"}, {2, {0x63, 0x03}, "MOVSXD r,m"},
    {4, {0x0F, 0x38, 0xF0, 0x03}, "MOVBE r,m"}, {4, {0x0F, 0x38, 0xF1, 0x03}, "MOVBE m,r"},
    {2, {0x0F, 0xCB}, "BSWAP"}, {1, {0x99}, "CDQ"}, {1, {0x9C}, "PUSHF"}, {1, {0xF8}, "CLC"},
  };
  for (unsigned j = 0; j < sizeof nl / sizeof nl[0]; j++) {
    form("LOCK %s: #UD", nl[j].nm);
    b[0] = 0xF0;
    memcpy(b + 1, nl[j].b, nl[j].n);
    ud_case(b, nl[j].n + 1, EXC_UD);
  }
  /* opcodes invalid in 64-bit mode */
  static const uint8_t inv[] = {0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x27, 0x2F, 0x37,
                                0x3F, 0x60, 0x61, 0xCE, 0xD4, 0xD5, 0xD6};
  for (unsigned j = 0; j < sizeof inv; j++) {
    form("%02x invalid in 64-bit mode: #UD", inv[j]);
    b[0] = inv[j]; b[1] = 0x0A; b[2] = 0;
    ud_case(b, inv[j] == 0xD4 || inv[j] == 0xD5 ? 2 : 1, EXC_UD);
  }
  form("82 /0 (invalid in 64-bit mode): #UD");
  { uint8_t s[3] = {0x82, 0xC0, 1}; ud_case(s, 3, EXC_UD); }
  form("9A far call (invalid in 64-bit mode): #UD");
  { uint8_t s[7] = {0x9A, 0, 0, 0, 0, 0, 0}; ud_case(s, 7, EXC_UD); }
  form("EA far jmp (invalid in 64-bit mode): #UD");
  { uint8_t s[7] = {0xEA, 0, 0, 0, 0, 0, 0}; ud_case(s, 7, EXC_UD); }
  /* reserved group members and register forms of memory-only opcodes */
  static const struct { uint8_t n, b[6]; const char *nm; } rs_[] = {
    {2, {0xFE, 0xD0}, "FE /2"}, {2, {0xFE, 0x13}, "FE /2 m"}, {2, {0xFE, 0xF8}, "FE /7"},
    {2, {0xFF, 0xF8}, "FF /7"}, {2, {0xFF, 0x3B}, "FF /7 m"}, {2, {0x8F, 0x0B}, "8F /1 m"},
    {3, {0xC6, 0xC8, 1}, "C6 /1"}, {6, {0xC7, 0xD0, 1, 0, 0, 0}, "C7 /2"},
    {4, {0x0F, 0xBA, 0xE0 - 0x20, 1}, "0F BA /0"}, {4, {0x0F, 0xBA, 0xD8, 1}, "0F BA /3"},
    {2, {0x8D, 0xC0}, "LEA reg"}, {3, {0x0F, 0xC7, 0xC8}, "CMPXCHG8B reg"},
    {4, {0x48, 0x0F, 0xC7, 0xC8}, "CMPXCHG16B reg"}, {4, {0x0F, 0x38, 0xF0, 0xC0}, "MOVBE reg,reg"},
    {4, {0x0F, 0x38, 0xF1, 0xC0}, "MOVBE reg,reg (F1)"}, {2, {0x0F, 0x0B}, "UD2"},
    {3, {0x0F, 0xB9, 0xC0}, "UD1"}, {3, {0x0F, 0xFF, 0xC0}, "UD0"},
    {4, {0xF0, 0x0F, 0xC7, 0xC8}, "LOCK CMPXCHG8B reg"}, {3, {0x0F, 0x0D, 0xC8}, "PREFETCHW reg (m8 only)"},
    {3, {0x0F, 0x0D, 0xC1}, "PREFETCH reg (m8 only)"},
  };
  for (unsigned j = 0; j < sizeof rs_ / sizeof rs_[0]; j++) {
    form("%s: #UD", rs_[j].nm);
    ud_case(rs_[j].b, rs_[j].n, EXC_UD);
  }
  /* VEX (BMI): VEX.L = 1, and 66/F2/F3/REX/LOCK before VEX */
  {
    uint8_t andn_l1[5] = {0xC4, 0xE2, 0x7C, 0xF2, 0xC1};   /* VEX.L1 ANDN eax, eax, ecx */
    form("ANDN with VEX.L=1: #UD");
    ud_case(andn_l1, 5, EXC_UD);
    uint8_t shlx_l1[5] = {0xC4, 0xE2, 0x7D, 0xF7, 0xC1};
    form("SHLX with VEX.L=1: #UD");
    ud_case(shlx_l1, 5, EXC_UD);
    uint8_t rorx_l1[6] = {0xC4, 0xE3, 0x7F, 0xF0, 0xC1, 3};
    form("RORX with VEX.L=1: #UD");
    ud_case(rorx_l1, 6, EXC_UD);
    for (int v = 0; v < 15; v += 4) {   /* VEX.vvvv field != 1111b */
      uint8_t rorx_v[6] = {0xC4, 0xE3, (uint8_t)(0x03 | v << 3 | (v & 4 ? 0x80 : 0)), 0xF0, 0xC1, 3};
      form("RORX with VEX.vvvv=%x (must be 1111b): #UD", v);
      ud_case(rorx_v, 6, EXC_UD);
    }
    static const uint8_t pre[5] = {0x66, 0xF2, 0xF3, 0x40, 0xF0};
    for (int k = 0; k < 5; k++) {
      uint8_t s[6] = {pre[k], 0xC4, 0xE2, 0x78, 0xF2, 0xC1};   /* prefix + ANDN eax,eax,ecx */
      form("%02x before VEX (ANDN): #UD", pre[k]);
      ud_case(s, 6, EXC_UD);
    }
  }
  /* longer than 15 bytes: #GP(0) */
  {
    uint8_t s[17];
    memset(s, 0x66, 14);
    s[14] = 0x01; s[15] = 0xC0;
    form("16-byte instruction (14 x 66, ADD): #GP(0)");
    ud_case(s, 16, EXC_GP);
    memset(s, 0x3E, 15);
    s[15] = 0x90;
    form("16-byte instruction (15 x 3E, NOP): #GP(0)");
    ud_case(s, 16, EXC_GP);
  }
}

/* ======================================================================
 * Tests
 * ====================================================================== */
typedef void (*gen_fn)(void);
static const gen_fn gens[FAM__N] = {
  gen_alu, gen_unary, gen_mul, gen_div, gen_shift, gen_shxd, gen_bt, gen_bscnt, gen_mov,
  gen_lea, gen_xchg, gen_cond, gen_flags, gen_conv, gen_stack, gen_string, gen_bmi,
  gen_lazy, gen_seq, gen_xpage, gen_misc, gen_fault, gen_ud};

static struct run_stats family(int fam) {
  gen_reset(fam, 1000 + (uint64_t)fam);
  gens[fam]();
  struct run_stats st = run_all();
  cr_expect(st.mism == 0, "%zu mismatches between host and interpreter in %s",
            st.mism, fam_name[fam]);
  return st;
}

TestSuite(int_diff, .timeout = 600);

Test(int_diff, alu) {
  struct run_stats st = family(FAM_ALU);
  /* every flag outcome class appears in the compared set */
  static const uint32_t fl[6] = {F_CF, F_ZF, F_SF, F_OF, F_PF, F_AF};
  static const char *fn[6] = {"CF", "ZF", "SF", "OF", "PF", "AF"};
  for (int k = 0; k < 6; k++) {
    cr_expect(st.seen_set & fl[k], "ALU: %s never observed set", fn[k]);
    cr_expect(st.seen_clr & fl[k], "ALU: %s never observed clear", fn[k]);
  }
  fprintf(stderr, "int_diff ALU flag outcome classes: set {%s%s%s%s%s%s} clear {%s%s%s%s%s%s}\n",
          st.seen_set & F_CF ? "CF " : "", st.seen_set & F_ZF ? "ZF " : "", st.seen_set & F_SF ? "SF " : "",
          st.seen_set & F_OF ? "OF " : "", st.seen_set & F_PF ? "PF " : "", st.seen_set & F_AF ? "AF" : "",
          st.seen_clr & F_CF ? "CF " : "", st.seen_clr & F_ZF ? "ZF " : "", st.seen_clr & F_SF ? "SF " : "",
          st.seen_clr & F_OF ? "OF " : "", st.seen_clr & F_PF ? "PF " : "", st.seen_clr & F_AF ? "AF" : "");
}
Test(int_diff, unary) { family(FAM_UNARY); }
Test(int_diff, mul) { family(FAM_MUL); }
Test(int_diff, div) {
  struct run_stats st = family(FAM_DIV);
  cr_expect(st.faults > 0 || sample_every() > 1, "no #DE case was generated");
}
Test(int_diff, shift) { family(FAM_SHIFT); }
Test(int_diff, shxd) { family(FAM_SHXD); }
Test(int_diff, bt) { family(FAM_BT); }
Test(int_diff, bscnt) { family(FAM_BSCNT); }
Test(int_diff, mov) { family(FAM_MOV); }
Test(int_diff, lea) { family(FAM_LEA); }
Test(int_diff, xchg) { family(FAM_XCHG); }
Test(int_diff, cond) { family(FAM_COND); }
Test(int_diff, flags) { family(FAM_FLAGS); }
Test(int_diff, conv) { family(FAM_CONV); }
Test(int_diff, stack) { family(FAM_STACK); }
Test(int_diff, string) { family(FAM_STRING); }
Test(int_diff, bmi) { family(FAM_BMI); }
Test(int_diff, lazy) { family(FAM_LAZY); }
Test(int_diff, seq) { family(FAM_SEQ); }
Test(int_diff, xpage) { family(FAM_XPAGE); }
Test(int_diff, misc) { family(FAM_MISC); }
Test(int_diff, fault) { family(FAM_FAULT); }
Test(int_diff, illegal_ud) { family(FAM_UD); }

/* ---- decoder rows vs. cases ------------------------------------------- */
/* The integer opcode space (x87 D8-DF and the SSE rows of the 0F maps are
 * other files' tests). */
static int int_space(int map, int opc) {
  if (map == 0) return (opc < 0xD8 || opc > 0xDF) && opc != 0x0F && opc != 0x26 && opc != 0x2E &&
                       opc != 0x36 && opc != 0x3E && (opc & 0xF0) != 0x40 && (opc < 0x64 || opc > 0x67) &&
                       opc != 0xF0 && opc != 0xF2 && opc != 0xF3 && opc != 0xC4 && opc != 0xC5;
  if (map == 1) return opc <= 0x0D || (opc >= 0x18 && opc <= 0x23) || opc == 0x30 || opc == 0x31 ||
                       opc == 0x32 || (opc >= 0x40 && opc <= 0x4F) || (opc >= 0x80 && opc <= 0xAF) ||
                       (opc >= 0xB0 && opc <= 0xC1) || opc == 0xC7 || (opc >= 0xC8 && opc <= 0xCF);
  if (map == 2) return opc >= 0xF0 && opc <= 0xF7;
  return opc == 0xF0;
}
static uint8_t row_hit[4][256][4][8][2];
static insn_fn row_fn[4][256][4][8][2];

static void mark_rows(void) {
  for (size_t k = 0; k < G.n; k++) {
    const struct id_case *c = &G.v[k];
    insn_t i;
    int r = decode_one(c->code, c->len, FX_CODE + c->cofs, &i);
    if (r != DEC_OK && r != DEC_OK_END) continue;
    row_hit[i.map][i.opc][i.pfx][(i.modrm >> 3) & 7][i.mod3] = 1;
  }
}
/* Enumerate accepted rows; returns how many accepted integer rows no case
 * hit, listing them. */
static unsigned uncovered_rows(FILE *f) {
  static const uint8_t pv[4] = {0, 0x66, 0xF3, 0xF2};
  memset(row_fn, 0, sizeof row_fn);
  for (int map = 0; map < 4; map++)
    for (int opc = 0; opc < 256; opc++)
      for (int p = 0; p < 4; p++)
        for (int vex = 0; vex < (map >= 2 ? 2 : 1); vex++)
          for (int reg = 0; reg < 8; reg++)
            for (int m3 = 0; m3 < 2; m3++) {
              if (!int_space(map, opc)) continue;
              uint8_t b[24];
              int n = 0;
              memset(b, 0, sizeof b);
              if (vex) {
                b[n++] = 0xC4; b[n++] = (uint8_t)(0xE0 | map); b[n++] = (uint8_t)(0x78 | (p == 1 ? 1 : p == 2 ? 2 : p == 3 ? 3 : 0));
              } else {
                if (pv[p]) b[n++] = pv[p];
                if (map) b[n++] = 0x0F;
                if (map == 2) b[n++] = 0x38;
                if (map == 3) b[n++] = 0x3A;
              }
              b[n++] = (uint8_t)opc;
              b[n++] = (uint8_t)(m3 ? 0xC0 | reg << 3 : reg << 3 | 3);   /* reg form or [rbx] */
              insn_t i;
              int r = decode_one(b, 15, FX_CODE, &i);
              if ((r != DEC_OK && r != DEC_OK_END) || i.fn == decode_ud_handler()) continue;
              row_fn[i.map][i.opc][i.pfx][(i.modrm >> 3) & 7][i.mod3] = i.fn;
            }
  /* A row is (prefix class, ModRM.reg, reg/mem); the prefix class and
   * ModRM.reg only count where the handler differs across them
   * (mandatory-prefix rows, groups). */
  unsigned unc = 0;
  static const char *pn[4] = {"", "66 ", "F3 ", "F2 "};
  for (int map = 0; map < 4; map++)
    for (int opc = 0; opc < 256; opc++)
      for (int m3 = 0; m3 < 2; m3++) {
        int psens = 0, group = 0, any = 0;
        for (int p = 0; p < 4; p++)
          for (int reg = 0; reg < 8; reg++) {
            insn_fn fn = row_fn[map][opc][p][reg][m3];
            any |= fn != NULL;
            if (fn != row_fn[map][opc][0][reg][m3]) psens = 1;
            if (fn != row_fn[map][opc][p][0][m3]) group = 1;
          }
        if (!any) continue;
        for (int p = 0; p < (psens ? 4 : 1); p++)
          for (int reg = 0; reg < (group ? 8 : 1); reg++) {
            int acc = 0, hit = 0;
            for (int p2 = 0; p2 < 4; p2++)
              for (int r2 = 0; r2 < 8; r2++) {
                if ((psens && p2 != p) || (group && r2 != reg)) continue;
                acc |= row_fn[map][opc][p2][r2][m3] != NULL;
                hit |= row_hit[map][opc][p2][r2][m3];
              }
            if (!acc || hit) continue;
            unc++;
            char d[16] = "";
            if (group) snprintf(d, sizeof d, " /%d", reg);
            fprintf(f, "    %s%s%02X%s %s\n", psens ? pn[p] : "",
                    map == 0 ? "" : map == 1 ? "0F " : map == 2 ? "0F38 " : "0F3A ", opc, d, m3 ? "reg" : "mem");
          }
      }
  return unc;
}

/* Forms and cases per family (generation only; the runs are above). */
Test(int_diff, coverage_report) {
  unsigned tf = 0;
  size_t tc = 0;
  fprintf(stderr, "int_diff coverage (every case compares 16 GPRs, RFLAGS less the SDM-undefined flags,\n"
                  "         and %u+%u bytes of memory windows):\n", ID_DWIN_LEN, ID_SWIN_LEN);
  decode_init();
  memset(row_hit, 0, sizeof row_hit);
  for (int f = 0; f < FAM__N; f++) {
    gen_reset(f, 1000 + (uint64_t)f);
    gens[f]();
    mark_rows();
    fprintf(stderr, "  %-46s forms %5u cases %7zu\n", fam_name[f], G.forms[f], G.n);
    cr_expect(G.forms[f] > 0 && G.n > 0, "%s generated nothing", fam_name[f]);
    tf += G.forms[f];
    tc += G.n;
  }
  fprintf(stderr, "  %-46s forms %5u cases %7zu%s\n", "TOTAL", tf, tc,
          sample_every() > 1 ? " (FL_DIFF_SAMPLE: every Nth case runs)" : "");
  fprintf(stderr, "int_diff decoder rows of the integer opcode space accepted by decode_one but "
                  "exercised by no case (by design: CPUID RDTSC SYSCALL and 0F 01 (RDTSCP XGETBV ...) differ\n"
                  "         from the host on purpose, 0F 00 is emulated by Linux under UMIP, FXSAVE/XSAVE/LDMXCSR\n"
                  "         and CRC32 are x87/SSE state, RD/WRFSBASE need the host's FS base):\n");
  unsigned unc = uncovered_rows(stderr);
  fprintf(stderr, "  %u uncovered rows\n", unc);
  fprintf(stderr, "int_diff undefined-flag rules:\n");
  for (int u = 0; u < U__N; u++) fprintf(stderr, "  %s\n", undef_rules[u].rule);
  fprintf(stderr, "  shifts/rotates, SHLD/SHRD: count-dependent (undef_shift, undef_shxd)\n");
  gen_reset(0, 0);
}

/* ---- the comparator can fail ------------------------------------------ */
static int mut_mode;
static void mut_hook(const struct id_case *c, struct id_result *r) {
  size_t k = (size_t)(c - G.v);
  switch (mut_mode) {
  case 1: if (k == 0) r->fl ^= F_OF; break;            /* defined flag of ADD */
  case 2: if (k == 1) r->fl ^= F_AF; break;            /* AF of AND: undefined */
  case 3: if (k == 2) r->dwin[ID_MEMBASE_OFF - ID_DWIN_OFF] ^= 0x40; break;
  case 4: if (k == 0) r->r[R11] ^= 1ull << 63; break;   /* an untouched register */
  case 5: if (k == 1) r->fl ^= F_ZF; break;            /* defined flag of AND */
  default: break;
  }
}
Test(int_diff, mutation_detected) {
  gen_reset(FAM_ALU, 4242);
  form("mutation probe");
  struct id_case *c = nc();
  uint8_t add[2] = {0x01, 0xD8};            /* add eax, ebx: 0x7fffffff + 1 sets OF */
  raw(c, add, 2);
  c->r[RAX] = 0x7fffffff; c->r[RBX] = 1;
  fin(c);
  c = nc();
  uint8_t and_[3] = {0x48, 0x21, 0xD8};     /* and rax, rbx */
  raw(c, and_, 3);
  c->undef = undef_rules[U_LOGIC].undef;
  fin(c);
  c = nc();
  uint8_t addm[3] = {0x01, 0x1E};           /* add [rsi], ebx */
  raw(c, addm, 2);
  c->r[RSI] = ID_MEMBASE;
  fin(c);
  g_no_sample = 1;
  g_interp_hook = mut_hook;
  static const size_t expect[6] = {0, 1, 0, 1, 1, 1};
  static const char *what[6] = {"no mutation", "OF of ADD flipped", "AF of AND flipped (undefined: masked)",
                                "a result byte in memory flipped", "bit 63 of R11 flipped", "ZF of AND flipped"};
  for (mut_mode = 0; mut_mode < 6; mut_mode++) {
    struct run_stats st = run_all();
    fprintf(stderr, "int_diff mutation check: %-40s -> %zu mismatch(es) (expected %zu)\n",
            what[mut_mode], st.mism, expect[mut_mode]);
    cr_expect(st.mism == expect[mut_mode], "mutation '%s': comparator reported %zu mismatches, expected %zu",
              what[mut_mode], st.mism, expect[mut_mode]);
  }
  g_interp_hook = NULL;
}
