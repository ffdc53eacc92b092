/* Differential integer tests, case generators: shifts and rotates, SHLD/
 * SHRD, BT/BTS/BTR/BTC (register and immediate offsets, far and negative
 * memory offsets), BSF/BSR/TZCNT/LZCNT/POPCNT. */
#include <criterion/criterion.h>
#include "tests/unit/int_diff_build.h"

static const char *shn[8] = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};

void gen_shift(void) {
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

void gen_shxd(void) {
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

void gen_bt(void) {
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

void gen_bscnt(void) {
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
