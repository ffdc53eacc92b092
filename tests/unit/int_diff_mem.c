/* Differential integer tests, case generators: the MOV family (+moffs,
 * MOVZX/MOVSX/MOVSXD, MOVBE, BSWAP, XLAT), LEA (every ModRM/SIB form),
 * XCHG/CMPXCHG/CMPXCHG8B/16B/XADD, string instructions (REP/REPE/REPNE,
 * both directions, 67, overlapping and page-crossing runs). */
#include <criterion/criterion.h>
#include "tests/unit/int_diff_build.h"

void gen_mov(void) {
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
void gen_lea(void) {
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

void gen_xchg(void) {
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

void gen_string(void) {
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
