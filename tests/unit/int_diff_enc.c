/* Differential tests: a small x86-64 encoder (legacy prefixes, REX, VEX,
 * ModRM/SIB/displacement in every form, immediates). */
#include "tests/unit/int_diff_gen.h"
#include <string.h>

void ins_init(ins_t *x) {
  memset(x, 0, sizeof *x);
  x->rm = NOREG;
  x->oreg = NOREG;
  x->m.base = NOREG;
  x->m.index = NOREG;
}

void ins_pfx(ins_t *x, uint8_t p) { x->pfx[x->npfx++] = p; }

static int fits8(int32_t d) { return d >= -128 && d <= 127; }

int enc(const ins_t *x, uint8_t *out, int at) {
  int n = 0;
  for (int k = 0; k < x->npfx; k++) out[n++] = x->pfx[k];
  int R = (x->reg >> 3) & 1, X = 0, B = 0;
  int memform = x->has_modrm && x->rm == NOREG;
  if (x->has_modrm && x->rm != NOREG) B = (x->rm >> 3) & 1;
  if (memform) {
    if (x->m.base >= 0 && x->m.base < 16) B = (x->m.base >> 3) & 1;
    if (x->m.index >= 0) X = (x->m.index >> 3) & 1;
  }
  if (x->oreg != NOREG) B = (x->oreg >> 3) & 1;
  R |= (x->rex_or >> 2) & 1;
  X |= (x->rex_or >> 1) & 1;
  B |= x->rex_or & 1;
  if (x->vex) {
    out[n++] = 0xC4;
    out[n++] = (uint8_t)((!R << 7) | (!X << 6) | (!B << 5) | (x->map & 31));
    out[n++] = (uint8_t)((x->rexw << 7) | ((~x->vvvv & 15) << 3) | (x->vexl << 2) | (x->vexpp & 3));
  } else {
    int rex = (x->rexw << 3) | (R << 2) | (X << 1) | B;
    if (rex || x->force_rex) out[n++] = (uint8_t)(0x40 | rex);
    if (x->map >= 1) out[n++] = 0x0F;
    if (x->map == 2) out[n++] = 0x38;
    if (x->map == 3) out[n++] = 0x3A;
  }
  out[n++] = (uint8_t)(x->oreg != NOREG ? (x->opc | (x->oreg & 7)) : x->opc);
  int disp_at = -1;
  if (x->has_modrm) {
    int reg = x->reg & 7;
    if (!memform) {
      out[n++] = (uint8_t)(0xC0 | reg << 3 | (x->rm & 7));
    } else {
      const mem_t *m = &x->m;
      if (m->base == RIPB) {
        out[n++] = (uint8_t)(reg << 3 | 5);
        disp_at = n;
        n += 4;
      } else if (m->base == NOREG) {
        /* SIB, base 101 with mod 00: disp32, no base */
        out[n++] = (uint8_t)(reg << 3 | 4);
        int idx = m->index == NOREG ? 4 : (m->index & 7);
        out[n++] = (uint8_t)(m->scale << 6 | idx << 3 | 5);
        memcpy(out + n, &m->disp, 4);
        n += 4;
      } else {
        int mod;
        if (m->dsz == 4 || !fits8(m->disp)) mod = 2;
        else if (m->dsz == 1 || m->disp != 0 || (m->base & 7) == 5) mod = 1;
        else mod = 0;
        int sib = m->index != NOREG || (m->base & 7) == 4;
        out[n++] = (uint8_t)(mod << 6 | reg << 3 | (sib ? 4 : (m->base & 7)));
        if (sib) {
          int idx = m->index == NOREG ? 4 : (m->index & 7);
          out[n++] = (uint8_t)(m->scale << 6 | idx << 3 | (m->base & 7));
        }
        if (mod == 1) out[n++] = (uint8_t)(int8_t)m->disp;
        else if (mod == 2) { memcpy(out + n, &m->disp, 4); n += 4; }
      }
    }
  }
  if (x->immsz) { memcpy(out + n, &x->imm, (size_t)x->immsz); n += x->immsz; }
  if (x->imm2sz) { memcpy(out + n, &x->imm2, (size_t)x->imm2sz); n += x->imm2sz; }
  if (disp_at >= 0) {
    int32_t d = (int32_t)(int64_t)(x->m.riptarget - (FX_CODE + (uint64_t)at + (uint64_t)n));
    memcpy(out + disp_at, &d, 4);
  }
  return n;
}
