/* Differential integer tests, case generators: CMOVcc/SETcc/Jcc/LOOPcc/
 * JrCXZ (all flag combinations), flag instructions and PUSHF/POPF,
 * CBW..CQO, PUSH/POP/ENTER/LEAVE/CALL/RET/JMP. */
#include "tests/unit/int_diff_build.h"

void gen_cond(void) {
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

void gen_flags(void) {
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

void gen_conv(void) {
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

void gen_stack(void) {
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
