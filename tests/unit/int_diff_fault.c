/* Differential integer tests, case generators: faulting accesses (no
 * partial writes, REP progress at the fault, non-canonical #GP, stack at
 * the edge of the mapping) and #UD rules checked against the SDM only
 * (never run natively). */
#include <string.h>
#include "tests/unit/int_diff_build.h"

/* Faulting accesses: both ends of the data area are followed by unmapped
 * pages (guard pages natively).  No partial write may remain; REP string
 * instructions fault with RCX/RSI/RDI at the faulting element. */
#define AREA_END (FX_DATA + FX_DATA_SIZE)
void gen_fault(void) {
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
void gen_ud(void) {
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
