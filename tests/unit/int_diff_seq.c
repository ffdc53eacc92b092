/* Differential integer tests, case generators: lazy-flag producer/consumer
 * pairs and random instruction sequences (undefined flags tracked along
 * the sequence). */
#include "tests/unit/int_diff_build.h"

/* An ALU op followed by a flag consumer: exercises the lazy-flag state
 * (cond_true fast paths, ADC/SBB carry-in, INC/DEC keeping CF, PUSHF and
 * LAHF materialization). */
void gen_lazy(void) {
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
void gen_seq(void) {
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
