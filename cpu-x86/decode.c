/* Table-driven x86-64 decoder (SDM Vol. 2 ch. 2, Appendix A opcode maps).
 * Legacy prefixes, REX, VEX (2-/3-byte), ModRM/SIB, RIP-relative,
 * immediates/displacements, the 15-byte limit, LOCK rules.  Each family
 * file registers its rows with op_def(); unregistered rows decode to #UD. */
#include "cpu-x86/interp.h"
#include "cpu-x86/decode.h"
#include <stdlib.h>

struct opent {
  insn_fn fr, fm;
  uint32_t attr;
  uint8_t cls;
  uint8_t defined;
};

/* [map][opcode][mandatory-prefix class][ModRM.reg] */
static struct opent optab[4][256][4][8];
uint32_t cpu_class_cost[CC__COUNT] = {1, 3, 25, 1, 2, 3, 15, 2, 50};

void op_def(int map, int opc, int pfx, int reg, insn_fn fr, insn_fn fm,
            uint32_t attr, int cls) {
  for (int p = 0; p < 4; p++) {
    if (pfx >= 0 && p != pfx) continue;
    for (int r = 0; r < 8; r++) {
      if (reg >= 0 && r != reg) continue;
      struct opent *e = &optab[map][opc][p][r];
      e->fr = fr;
      e->fm = fm ? fm : fr;
      e->attr = attr;
      e->cls = (uint8_t)cls;
      e->defined = 1;
    }
  }
}

static const insn_t *op_ud(struct vcpu *c, const insn_t *i) { UD(c); }
static const insn_t *op_gp_len(struct vcpu *c, const insn_t *i) { GP0(c); }

static uint8_t has_modrm[4][256][4];
/* The handler variants, one table: (from, key) -> to, where key is an
 * operand size (op_specialize) or a V_ kind */
enum { V_GENERAL = -1, V_BD = -2, V_DC = -3 };
static struct { insn_fn from, to; int key; } variants[1024];
static int nvariants;
static void add_variant(insn_fn from, int key, insn_fn to) {
  if (nvariants >= 1024) abort();   /* (a table too small is a build error, not a slow run) */
  variants[nvariants++] = (typeof(variants[0])){from, to, key};
}
/* sorted by (from, key) once every family has registered (decode_init),
 * then searched with bsearch: decode looks up every instruction */
static int variant_cmp(const void *a, const void *b) {
  const typeof(variants[0]) *x = a, *y = b;
  uintptr_t fx = (uintptr_t)x->from, fy = (uintptr_t)y->from;
  if (fx != fy) return fx < fy ? -1 : 1;
  return (x->key > y->key) - (x->key < y->key);
}
static insn_fn variant(insn_fn fn, int key) {
  typeof(variants[0]) probe = {fn, NULL, key};
  const typeof(variants[0]) *v = bsearch(&probe, variants, (size_t)nvariants, sizeof variants[0], variant_cmp);
  return v ? v->to : NULL;
}
void op_specialize(insn_fn generic, int opsz, insn_fn special) { add_variant(generic, opsz, special); }
void op_fast_form(insn_fn fast, insn_fn general) { add_variant(fast, V_GENERAL, general); }
void op_ea_form(insn_fn fast, insn_fn simple) { add_variant(fast, V_BD, simple); }
void op_dc_form(insn_fn fast, insn_fn dc) { add_variant(fast, V_DC, dc); }
static insn_fn variant_or(insn_fn fn, int key) {
  insn_fn v = variant(fn, key);
  return v ? v : fn;
}
insn_fn decode_general_form(insn_fn fn) { return variant_or(fn, V_GENERAL); }
insn_fn decode_form_for(insn_fn fn, uint8_t hit_extra) {
  insn_fn v = hit_extra == HIT_DCACHE ? variant(fn, V_DC) : NULL;
  if (v) return v;
  return hit_extra ? decode_general_form(fn) : fn;
}
/* compare-and-branch: key V_FUSE - cc */
enum { V_FUSE = -16 };
static insn_fn jcc_fns[16];
void op_jcc(unsigned cc, insn_fn jcc) { jcc_fns[cc & 15] = jcc; }
void op_fuse(insn_fn first, unsigned cc, insn_fn fused) { add_variant(first, V_FUSE - (int)(cc & 15), fused); }
insn_fn decode_fused(insn_fn first, insn_fn jcc) {
  for (int cc = 0; cc < 16; cc++)
    if (jcc_fns[cc] == jcc) return variant(first, V_FUSE - cc);
  return NULL;
}
insn_fn decode_unfused(insn_fn fn) {
  for (int k = 0; k < nvariants; k++)
    if (variants[k].to == fn && variants[k].key <= V_FUSE && variants[k].key > V_FUSE - 16) return variants[k].from;
  return fn;
}
static insn_fn specialize(insn_fn fn, int opsz) { return variant_or(fn, opsz); }
static insn_fn ea_form(insn_fn fn) { return variant_or(fn, V_BD); }
static int inited;
void decode_init(void) {
  if (inited) return;
  inited = 1;
  alu_register();
  move_register();
  bits_register();
  ctl_register();
  string_register();
  misc_register();
  x87_register();
  sse_register();
  bmi_register();
  qsort(variants, (size_t)nvariants, sizeof variants[0], variant_cmp);
  for (int k = 1; k < nvariants; k++)   /* one variant per (handler, key) */
    if (!variant_cmp(&variants[k - 1], &variants[k]) && variants[k - 1].to != variants[k].to) abort();
  for (int m = 0; m < 4; m++)
    for (int o = 0; o < 256; o++)
      for (int p = 0; p < 4; p++)
        for (int r = 0; r < 8; r++)
          if (optab[m][o][p][r].defined && (optab[m][o][p][r].attr & A_MODRM))
            has_modrm[m][o][p] = 1;
}

/* Decode one instruction from buf[0..avail).  Returns the length, or
 * DEC_MORE when it runs past avail (the next page is needed). */
int decode_one(const uint8_t *buf, int avail, uint64_t rip, insn_t *i) {
  memset(i, 0, sizeof *i);
  int n = 0;
  int opsz66 = 0, asz67 = 0, rep = 0, lock = 0, seg = 0, rex = 0;
  int last_sse_pfx = 0; /* 2 = F3, 3 = F2, last one seen */
#define NEED(k) do { if (n + (k) > avail) return n + (k) > 15 ? DEC_TOOLONG : DEC_MORE; } while (0)
  for (;;) {
    NEED(1);
    uint8_t b = buf[n];
    if (b == 0x66) { opsz66 = 1; rex = 0; n++; }
    else if (b == 0x67) { asz67 = 1; rex = 0; n++; }
    else if (b == 0xF0) { lock = 1; rex = 0; n++; }
    else if (b == 0xF2 || b == 0xF3) { rep = b; last_sse_pfx = b == 0xF3 ? 2 : 3; rex = 0; n++; }
    else if (b == 0x2E || b == 0x36 || b == 0x3E || b == 0x26) { rex = 0; n++; }
    else if (b == 0x64) { seg = 4; rex = 0; n++; }
    else if (b == 0x65) { seg = 5; rex = 0; n++; }
    else if ((b & 0xF0) == 0x40) { rex = b; n++; }
    else break;
    if (n >= 15) return DEC_TOOLONG;
  }
  int map = 0, vex = 0, vexl = 0, vexw = 0, vvvv = 0, vpfx = 0;
  NEED(1);
  uint8_t opc = buf[n++];
  if (opc == 0xC4 || opc == 0xC5) {
    /* VEX: in 64-bit mode C4/C5 are always VEX.  A preceding 66/F2/F3/REX
     * or LOCK is #UD (SDM 2.3.2). */
    if (opsz66 || rep || rex || lock) return DEC_UD;
    vex = 1;
    NEED(1);
    uint8_t v1 = buf[n++];
    int R = !(v1 & 0x80), X = 0, B = 0, W = 0;
    if (opc == 0xC5) {
      map = 1;
      vvvv = (~v1 >> 3) & 15;
      vexl = (v1 >> 2) & 1;
      vpfx = v1 & 3;
    } else {
      NEED(1);
      uint8_t v2 = buf[n++];
      X = !(v1 & 0x40);
      B = !(v1 & 0x20);
      int mm = v1 & 31;
      if (mm < 1 || mm > 3) return DEC_UD;
      map = mm;
      W = (v2 >> 7) & 1;
      vvvv = (~v2 >> 3) & 15;
      vexl = (v2 >> 2) & 1;
      vpfx = v2 & 3;
    }
    rex = 0x40 | (W << 3) | (R << 2) | (X << 1) | B;
    vexw = W;
    NEED(1);
    opc = buf[n++];
  } else if (opc == 0x0F) {
    map = 1;
    NEED(1);
    opc = buf[n++];
    if (opc == 0x38 || opc == 0x3A) {
      map = opc == 0x38 ? 2 : 3;
      NEED(1);
      opc = buf[n++];
    }
  }
  int pfx;
  if (vex) pfx = vpfx == 0 ? 0 : vpfx == 1 ? 1 : vpfx == 2 ? 2 : 3;
  else pfx = last_sse_pfx ? last_sse_pfx : opsz66 ? 1 : 0;

  /* The ModRM.reg group selector needs ModRM before the row is known:
   * every row of a given (map, opcode) agrees on A_MODRM. */
  int modrm_present = has_modrm[map][opc][pfx] || map >= 2;
  uint8_t modrm = 0;
  if (modrm_present) { NEED(1); modrm = buf[n]; }
  const struct opent *e = &optab[map][opc][pfx][(modrm >> 3) & 7];
  if (!e->defined || !!vex != !!(e->attr & A_VEX)) {
    /* still consume ModRM so the length is right for #UD reporting */
    i->fn = op_ud;
    i->len = (uint8_t)(n + modrm_present);
    i->next_rip = rip + i->len;
    return DEC_UD;
  }
  uint32_t at = e->attr;
  if (vex && vexl) { i->fn = op_ud; i->len = (uint8_t)n; i->next_rip = rip + n; return DEC_UD; }
  i->map = (uint8_t)map;
  i->opc = opc;
  i->pfx = (uint8_t)pfx;
  i->rep = (uint8_t)rep;
  i->lock = (uint8_t)lock;
  i->seg = (uint8_t)seg;
  i->vex = (uint8_t)vex;
  i->vexl = (uint8_t)vexl;
  i->vexw = (uint8_t)vexw;
  i->vvvv = (uint8_t)vvvv;
  i->rexw = (rex >> 3) & 1;
  i->asz = asz67 ? 4 : 8;
  if (at & A_BYTE) i->opsz = 1;
  else if (at & A_SSE) i->opsz = 16;
  else if (at & A_F64) i->opsz = 8;
  else if (rex & 8) i->opsz = 8;
  else if (opsz66 && !(at & A_NO66)) i->opsz = 2;
  else i->opsz = (at & A_D64) ? 8 : 4;
  i->base = i->index = R_ZERO;
  int rexr = (rex >> 2) & 1, rexx = (rex >> 1) & 1, rexb = rex & 1;
  int riprel = 0;
  if (!modrm_present) {
    /* register in the opcode's low bits (50+r, B8+r, 90+r, C8+r ...) */
    int r = (opc & 7) | rexb << 3;
    i->rm = (uint8_t)r;
    i->rm8 = (uint8_t)(rex || (opc & 7) < 4 ? r : (((opc & 7) - 4) | 16));
  }
  if (modrm_present) {
    n++;
    int mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    i->modrm = modrm;
    i->reg = (uint8_t)(reg | rexr << 3);
    i->reg8 = (uint8_t)(rex || reg < 4 ? (reg | rexr << 3) : ((reg - 4) | 16));
    if (mod == 3) {
      i->mod3 = 1;
      i->rm = (uint8_t)(rm | rexb << 3);
      i->rm8 = (uint8_t)(rex || rm < 4 ? (rm | rexb << 3) : ((rm - 4) | 16));
    } else {
      if (rm == 4) {
        NEED(1);
        uint8_t sib = buf[n++];
        int ss = sib >> 6, idx = ((sib >> 3) & 7) | rexx << 3, base = sib & 7;
        if (idx != 4) { i->index = (uint8_t)idx; i->scale = (uint8_t)ss; }
        if (base == 5 && mod == 0) {
          NEED(4);
          int32_t d; memcpy(&d, buf + n, 4); n += 4;
          i->disp = d;
        } else {
          i->base = (uint8_t)(base | rexb << 3);
        }
      } else if (rm == 5 && mod == 0) {
        NEED(4);
        int32_t d; memcpy(&d, buf + n, 4); n += 4;
        i->disp = d;
        riprel = 1;
      } else {
        i->base = (uint8_t)(rm | rexb << 3);
      }
      if (mod == 1) { NEED(1); i->disp += (int8_t)buf[n]; n++; }
      else if (mod == 2) { NEED(4); int32_t d; memcpy(&d, buf + n, 4); n += 4; i->disp += d; }
    }
  }
  if ((at & A_MEMONLY) && i->mod3) { i->fn = op_ud; goto ud; }
  if ((at & A_REGONLY) && modrm_present && !i->mod3) { i->fn = op_ud; goto ud; }
  /* immediates */
  if (at & A_IMM8) { NEED(1); i->imm = (uint64_t)(int64_t)(int8_t)buf[n]; n++; }
  else if (at & A_IMM16) { NEED(2); uint16_t w; memcpy(&w, buf + n, 2); n += 2; i->imm = w; }
  else if (at & A_IMMZ) {
    if (i->opsz == 2) { NEED(2); int16_t w; memcpy(&w, buf + n, 2); n += 2; i->imm = (uint64_t)(int64_t)w; }
    else { NEED(4); int32_t d; memcpy(&d, buf + n, 4); n += 4; i->imm = (uint64_t)(int64_t)d; }
  } else if (at & A_IMMV) {
    if (i->opsz == 8) { NEED(8); memcpy(&i->imm, buf + n, 8); n += 8; }
    else if (i->opsz == 2) { NEED(2); uint16_t w; memcpy(&w, buf + n, 2); n += 2; i->imm = w; }
    else { NEED(4); uint32_t d; memcpy(&d, buf + n, 4); n += 4; i->imm = d; }
  } else if (at & A_MOFFS) {
    if (i->asz == 8) { NEED(8); memcpy(&i->imm, buf + n, 8); n += 8; }
    else { NEED(4); uint32_t d; memcpy(&d, buf + n, 4); n += 4; i->imm = d; }
  } else if (at & A_IMM8_1) {
    NEED(3); uint16_t w; memcpy(&w, buf + n, 2); i->imm = w; i->imm2 = buf[n + 2]; n += 3;
  }
  if (n > 15) return DEC_TOOLONG;
  i->len = (uint8_t)n;
  i->next_rip = rip + n;
  if (riprel) {
    i->disp += (int64_t)i->next_rip;
    if (i->asz == 4) i->disp = (uint32_t)i->disp;
  }
  if (at & A_REL) i->imm = i->next_rip + i->imm;
  if (lock && (!(at & A_LOCKOK) || i->mod3)) { i->fn = op_ud; goto ud; }
  i->fn = i->mod3 || !modrm_present ? e->fr : e->fm;
  if (map == 0 && opc >= 0xD8 && opc <= 0xDF) {
    i->fn = x87_select(i);
    if (!i->fn) { i->fn = op_ud; goto ud; }
  }
  i->fn = specialize(i->fn, i->opsz);
  if (modrm_present && !i->mod3 && i->index == R_ZERO && i->seg == 0 && i->asz == 8)
    i->fn = ea_form(i->fn);   /* (ea_bd) */
  i->cost = cpu_class_cost[e->cls];
  i->cls = (uint8_t)e->cls;
  return (at & A_END) ? DEC_OK_END : DEC_OK;
ud:
  i->cls = CC_NONE;
  i->len = (uint8_t)n;
  i->next_rip = rip + n;
  return DEC_UD;
#undef NEED
}

insn_fn decode_ud_handler(void) { return op_ud; }
insn_fn decode_gp_handler(void) { return op_gp_len; }
