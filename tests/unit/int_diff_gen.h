/* Differential tests: instruction encoder (int_diff_enc.c). */
#ifndef FAULTLINE_TESTS_INT_DIFF_GEN_H
#define FAULTLINE_TESTS_INT_DIFF_GEN_H
#include "tests/unit/int_diff.h"

#define RIPB 16            /* mem.base: RIP-relative */
#define NOREG (-1)

typedef struct {
  int base;                /* NOREG, 0..15, RIPB */
  int index;               /* NOREG or 0..15 except 4 */
  int scale;               /* 0..3 */
  int32_t disp;
  int dsz;                 /* 0 = shortest, 1 = force disp8, 4 = force disp32 */
  uint64_t riptarget;      /* RIPB: absolute target */
} mem_t;

typedef struct {
  uint8_t pfx[8];          /* legacy prefixes, emitted in this order */
  int npfx;
  int rexw;
  int force_rex;           /* emit REX even when no bit is needed */
  int rex_or;              /* extra REX bits (e.g. REX.B with no base) */
  int map;                 /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
  int opc;
  int has_modrm;
  int reg;                 /* ModRM.reg (0..15; group digit for /n) */
  int rm;                  /* register r/m (0..15), or NOREG: memory */
  mem_t m;
  int oreg;                /* register in the opcode's low 3 bits, or NOREG */
  int immsz;               /* 0 1 2 4 8 */
  uint64_t imm;
  int imm2sz;
  uint64_t imm2;
  int vex, vexl, vexpp, vvvv;
} ins_t;

/* Encode at code offset `at` of the case (RIP-relative displacement is
 * computed against FX_CODE + at + length).  Returns the length. */
int enc(const ins_t *x, uint8_t *out, int at);
void ins_init(ins_t *x);
void ins_pfx(ins_t *x, uint8_t p);

#endif
