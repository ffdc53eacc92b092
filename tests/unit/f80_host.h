/* x87 tests: the HOST x87 as the oracle (f80_host.c).  Each function runs
 * one instruction on the host under control word cw and returns the status
 * word after it (fnstsw); results are stored through the pointers. */
#ifndef FAULTLINE_TESTS_F80_HOST_H
#define FAULTLINE_TESTS_F80_HOST_H
#include <stdint.h>
#include "cpu-x86/f80.h"

typedef struct { uint8_t b[10]; } bcd_t;

/* ST0 = a, ST1 = b, the instruction, result = ST0 */
uint16_t h_add(uint16_t cw, f80_t a, f80_t b, f80_t *r);
uint16_t h_sub(uint16_t cw, f80_t a, f80_t b, f80_t *r);
uint16_t h_mul(uint16_t cw, f80_t a, f80_t b, f80_t *r);
uint16_t h_div(uint16_t cw, f80_t a, f80_t b, f80_t *r);
uint16_t h_scale(uint16_t cw, f80_t a, f80_t b, f80_t *r);
uint16_t h_prem(uint16_t cw, f80_t a, f80_t b, f80_t *r);
uint16_t h_prem1(uint16_t cw, f80_t a, f80_t b, f80_t *r);
/* ST1 = y, ST0 = x; the instruction pops, result = ST0 */
uint16_t h_atan(uint16_t cw, f80_t y, f80_t x, f80_t *r);
uint16_t h_yl2x(uint16_t cw, f80_t y, f80_t x, f80_t *r);
uint16_t h_yl2xp1(uint16_t cw, f80_t y, f80_t x, f80_t *r);
/* one operand, one result */
uint16_t h_sqrt(uint16_t cw, f80_t a, f80_t *r);
uint16_t h_rndint(uint16_t cw, f80_t a, f80_t *r);
uint16_t h_sin(uint16_t cw, f80_t a, f80_t *r);
uint16_t h_cos(uint16_t cw, f80_t a, f80_t *r);
uint16_t h_f2xm1(uint16_t cw, f80_t a, f80_t *r);
/* one operand, two results: r0 = ST0, r1 = ST1 */
uint16_t h_xtract(uint16_t cw, f80_t a, f80_t *r0, f80_t *r1);
uint16_t h_sincos(uint16_t cw, f80_t a, f80_t *r0, f80_t *r1);
uint16_t h_ptan(uint16_t cw, f80_t a, f80_t *r0, f80_t *r1);
/* compares: ST0 = a, ST1 = b; fl = ZF << 2 | PF << 1 | CF for FCOMI */
uint16_t h_fcom(uint16_t cw, f80_t a, f80_t b);
uint16_t h_fucom(uint16_t cw, f80_t a, f80_t b);
uint16_t h_ftst(uint16_t cw, f80_t a, f80_t b);
uint16_t h_fxam(uint16_t cw, f80_t a, f80_t b);
uint16_t h_fcomi(uint16_t cw, f80_t a, f80_t b, uint8_t *fl);
uint16_t h_fucomi(uint16_t cw, f80_t a, f80_t b, uint8_t *fl);
/* stores from ST0 = a into *o (prefilled by the caller) */
uint16_t h_fist16(uint16_t cw, f80_t a, int16_t *o);
uint16_t h_fist32(uint16_t cw, f80_t a, int32_t *o);
uint16_t h_fist64(uint16_t cw, f80_t a, int64_t *o);
uint16_t h_fistt16(uint16_t cw, f80_t a, int16_t *o);
uint16_t h_fistt32(uint16_t cw, f80_t a, int32_t *o);
uint16_t h_fistt64(uint16_t cw, f80_t a, int64_t *o);
uint16_t h_fst32(uint16_t cw, f80_t a, uint32_t *o);
uint16_t h_fst64(uint16_t cw, f80_t a, uint64_t *o);
uint16_t h_fbstp(uint16_t cw, f80_t a, bcd_t *o);
/* loads from memory into ST0 */
uint16_t h_fld32(uint16_t cw, uint32_t v, f80_t *r);
uint16_t h_fld64(uint16_t cw, uint64_t v, f80_t *r);
uint16_t h_fild64(uint16_t cw, int64_t v, f80_t *r);
uint16_t h_fbld(uint16_t cw, bcd_t v, f80_t *r);
/* constants */
uint16_t h_fld1(uint16_t cw, f80_t *r);
uint16_t h_fldl2t(uint16_t cw, f80_t *r);
uint16_t h_fldl2e(uint16_t cw, f80_t *r);
uint16_t h_fldpi(uint16_t cw, f80_t *r);
uint16_t h_fldlg2(uint16_t cw, f80_t *r);
uint16_t h_fldln2(uint16_t cw, f80_t *r);
uint16_t h_fldz(uint16_t cw, f80_t *r);

#endif
