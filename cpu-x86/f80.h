/* 80-bit extended-precision softfloat for the x87 interpreter.
 *
 * Pure integer arithmetic (unsigned __int128), no host long double.  Every
 * operation takes an f80_env: `cw` is the x87 control word (exception
 * masks, PC, RC) and `ex` accumulates what happened, in FSW bit positions
 * (IE DE ZE OE UE PE, and F80_C1 = "the inexact result was rounded up").
 *
 * Unmasked exceptions follow the hardware: the caller must not write the
 * destination when IE, DE or ZE is raised and unmasked; OE/UE unmasked
 * give the exponent-bias-adjusted (+-24576) result for a register
 * destination (a memory store must then be suppressed by the caller).
 * When DE is unmasked the operation stops after raising DE. */
#ifndef FAULTLINE_CPU_X86_F80_H
#define FAULTLINE_CPU_X86_F80_H
#include <stdint.h>
#include "cpu-x86/cpu.h"

#define F80_IE 0x0001u
#define F80_DE 0x0002u
#define F80_ZE 0x0004u
#define F80_OE 0x0008u
#define F80_UE 0x0010u
#define F80_PE 0x0020u
#define F80_SF 0x0040u
#define F80_ES 0x0080u
#define F80_C0 0x0100u
#define F80_C1 0x0200u
#define F80_C2 0x0400u
#define F80_C3 0x4000u
#define F80_B 0x8000u

/* control word fields */
#define F80_RC(cw) (((cw) >> 10) & 3)
enum { F80_RN = 0, F80_RD = 1, F80_RU = 2, F80_RZ = 3 };

typedef struct {
  uint16_t cw;
  uint16_t ex;
} f80_env;

enum f80_class {
  F80_CL_UNSUPPORTED, /* unnormal, pseudo-NaN, pseudo-infinity */
  F80_CL_QNAN,
  F80_CL_SNAN,
  F80_CL_ZERO,
  F80_CL_NORMAL,
  F80_CL_DENORMAL, /* includes pseudo-denormals (J=1, exponent 0) */
  F80_CL_INF,
};

enum { F80_LT = 0, F80_EQ = 1, F80_GT = 2, F80_UN = 3 };

static inline f80_t f80_make(int sign, unsigned exp, uint64_t sig) {
  f80_t r = {sig, (uint16_t)((sign ? 0x8000u : 0) | (exp & 0x7fff))};
  return r;
}
static inline int f80_sign(f80_t a) { return a.signexp >> 15; }
static inline unsigned f80_exp(f80_t a) { return a.signexp & 0x7fff; }
static inline f80_t f80_indefinite(void) {
  return f80_make(1, 0x7fff, 0xC000000000000000ull);
}
static inline f80_t f80_neg(f80_t a) { a.signexp ^= 0x8000; return a; }
static inline f80_t f80_abs(f80_t a) { a.signexp &= 0x7fff; return a; }

int f80_classify(f80_t a);
int f80_is_nan(f80_t a);
int f80_is_snan(f80_t a);
/* Significand bits used by PC: 24, 53 or 64. */
int f80_prec(uint16_t cw);

/* Round a raw result: value = sig / 2^127 * 2^(exp - 16383), sig not
 * necessarily normalized (0 gives +0 or -0).  prec = 24, 53 or 64. */
f80_t f80_roundpack(f80_env *e, int sign, int32_t exp, unsigned __int128 sig,
                    int prec);

/* arithmetic (PC applies) */
f80_t f80_add(f80_env *e, f80_t a, f80_t b);
f80_t f80_sub(f80_env *e, f80_t a, f80_t b);
f80_t f80_mul(f80_env *e, f80_t a, f80_t b);
f80_t f80_div(f80_env *e, f80_t a, f80_t b);
f80_t f80_sqrt(f80_env *e, f80_t a);
/* FRNDINT */
f80_t f80_round_int(f80_env *e, f80_t a);
/* FSCALE: a * 2^trunc(b) */
f80_t f80_scale(f80_env *e, f80_t a, f80_t b);
/* FXTRACT: *expo = unbiased exponent, *sig = significand in [1,2) */
void f80_xtract(f80_env *e, f80_t a, f80_t *expo, f80_t *sig);
/* FPREM (ieee = 0) / FPREM1 (ieee = 1): *cc gets C0 C1 C2 C3 */
f80_t f80_rem(f80_env *e, f80_t a, f80_t b, int ieee, uint16_t *cc);
/* F80_LT/EQ/GT/UN; quiet = FUCOM rules (IE only for SNaN) */
int f80_compare(f80_env *e, f80_t a, f80_t b, int quiet);
/* FXAM condition codes (C3 C2 C1 C0) for a non-empty register */
uint16_t f80_xam(f80_t a);
/* x87 tag of a value: 0 valid, 1 zero, 2 special */
int f80_tag(f80_t a);

/* conversions (f80_conv.c) */
f80_t f80_from_i64(int64_t v);
/* bits = 16, 32, 64; trunc = FISTTP.  Integer indefinite on IE. */
int64_t f80_to_int(f80_env *e, f80_t a, int bits, int trunc);
/* Loads keep SNaNs signaling (raise DE for denormal sources); use
 * f80_load_f32/64 for FLD, which quiets SNaN with IE. */
f80_t f80_from_f32(f80_env *e, uint32_t v);
f80_t f80_from_f64(f80_env *e, uint64_t v);
f80_t f80_load_f32(f80_env *e, uint32_t v);
f80_t f80_load_f64(f80_env *e, uint64_t v);
uint32_t f80_to_f32(f80_env *e, f80_t a);
uint64_t f80_to_f64(f80_env *e, f80_t a);
f80_t f80_from_bcd(const uint8_t in[10]);
void f80_to_bcd(f80_env *e, f80_t a, uint8_t out[10]);
/* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (k = 0..6) rounded per RC */
f80_t f80_const(int k, uint16_t cw);
f80_t f80_quiet(f80_t a);

/* transcendentals (f80_trans.c).  Results are within 1 ulp of the x87
 * (argument reduction with the x87's 66-bit pi, see f80_trans.c).
 * f80_sin/cos/tan/sincos return 0, or 1 when |a| >= 2^63 (C2 set,
 * operand unchanged). */
int f80_sin(f80_env *e, f80_t a, f80_t *r);
int f80_cos(f80_env *e, f80_t a, f80_t *r);
int f80_sincos(f80_env *e, f80_t a, f80_t *s, f80_t *c);
int f80_tan(f80_env *e, f80_t a, f80_t *r);
f80_t f80_atan2(f80_env *e, f80_t y, f80_t x);       /* FPATAN */
f80_t f80_2xm1(f80_env *e, f80_t a);                 /* F2XM1 */
f80_t f80_yl2x(f80_env *e, f80_t y, f80_t x);        /* FYL2X */
f80_t f80_yl2xp1(f80_env *e, f80_t y, f80_t x);      /* FYL2XP1 */

/* ---- shared by f80*.c (internal) ---------------------------------- */
/* Finite nonzero supported value: sign, biased exponent (may be < 1 for
 * denormals after normalization) and normalized significand. */
void f80_unpack(f80_t a, int *sign, int32_t *exp, uint64_t *sig);
/* Round into a format with p significand bits, exponent bias and largest
 * finite biased exponent emax.  In: exp biased for f80, sig normalized
 * nonzero.  Out: *exp biased for the target (0 = denormal, emax+1 = inf),
 * *sig holds the significand in its top p bits. */
void f80_round_fmt(f80_env *e, int sign, int32_t *exp, unsigned __int128 *sig,
                   int p, int32_t bias, int32_t emax);
f80_t f80_propagate_nan(f80_env *e, f80_t a, f80_t b);
/* Operand checks shared by the ops: unsupported -> IE + indefinite; NaNs
 * propagated; denormals raise DE (and stop when DE is unmasked).
 * Return 1 when *r holds the final result. */
int f80_pre1(f80_env *e, f80_t a, f80_t *r);
int f80_pre2(f80_env *e, f80_t a, f80_t b, f80_t *r);
/* the same without the denormal check; f80_de raises DE for denormal
 * operands and returns 1 when DE is unmasked (stop) */
int f80_pre2_nd(f80_env *e, f80_t a, f80_t b, f80_t *r);
int f80_de(f80_env *e, f80_t a, f80_t b);
/* round v / 2^s to an integer with rounding mode rc */
unsigned __int128 f80_rshift_round(unsigned __int128 v, int s, int rc, int sign,
                                   int *inexact, int *up);

#endif
