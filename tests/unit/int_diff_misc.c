/* Differential integer tests, case generators: instructions straddling a
 * code page boundary; NOP/hint/fence forms, traps and privileged
 * instructions (#BP #OF #GP). */
#include <string.h>
#include "tests/unit/int_diff_build.h"

/* Instructions placed so they straddle the boundary between the two code
 * pages at every split position (prefixes, opcode, ModRM, SIB, disp, imm,
 * VEX bytes): the decoder's cross-page path and block ends. */
void gen_xpage(void) {
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
void gen_misc(void) {
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
