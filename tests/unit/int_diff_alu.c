/* Differential integer tests, case generators: ALU (ADD..CMP in every
 * form, TEST, prefix combinations), INC/DEC/NOT/NEG, MUL/IMUL, DIV/IDIV
 * (#DE), BMI1/BMI2. */
#include "tests/unit/int_diff_build.h"

static const char *alun[8] = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};

static uint32_t alu_undef(int op) {
  return (op == 1 || op == 4 || op == 6) ? undef_rules[U_LOGIC].undef : undef_rules[U_NONE].undef;
}

void gen_alu(void) {
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

void gen_unary(void) {
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

void gen_mul(void) {
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

void gen_div(void) {
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

/* BMI1/BMI2 (VEX) */
void gen_bmi(void) {
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
