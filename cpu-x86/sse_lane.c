/* Scalar lanes of the SSE floating-point operations, for the rare paths:
 * unmasked overflow/underflow (where PE describes the result rounded to
 * the destination precision with an unbounded exponent, and an exact tiny
 * result signals UE) and the step-by-step DPPS/DPPD. */
#include "cpu-x86/sse_impl.h"

/* Is x (a finite double) representable with `bits` significant bits? */
static int fits(double x, int bits) {
  if (x == 0) return 1;
  int e;
  double m = __builtin_ldexp(__builtin_frexp(x, &e), bits);
  return m == (double)(int64_t)m;
}

/* PE for op(x, y) rounded to `bits` (24 or 53) with an unbounded exponent.
 * Runs at the host's default rounding (nearest), where TwoSum and the FMA
 * residuals are exact. */
static uint32_t pe_unbounded(int op, double x, double y, int bits) {
  int ex, ey;
  switch (op) {
  case OP_CVT:
    return fits(x, 24) ? 0 : MX_PE;
  case OP_MUL: {
    double a = __builtin_frexp(x, &ex), b = __builtin_frexp(y, &ey);
    double p = a * b;
    return (__builtin_fma(a, b, -p) == 0 && fits(p, bits)) ? 0 : MX_PE;
  }
  case OP_DIV: {
    double a = __builtin_frexp(x, &ex), b = __builtin_frexp(y, &ey);
    double q = a / b;
    return (__builtin_fma(-q, b, a) == 0 && fits(q, bits)) ? 0 : MX_PE;
  }
  default: {  /* add / sub: TwoSum, scaled down when large so it stays finite */
    if (op == OP_SUB) y = -y;
    double a = x, b = y;
    if (__builtin_fabs(x) >= 1 || __builtin_fabs(y) >= 1) {
      /* a tiny operand losing bits here sits far below a huge one: inexact */
      a = __builtin_ldexp(x, -2), b = __builtin_ldexp(y, -2);
      if (__builtin_ldexp(a, 2) != x || __builtin_ldexp(b, 2) != y) return MX_PE;
    }
    double s = a + b, bb = s - a, err = (a - (s - bb)) + (b - bb);
    return (err == 0 && fits(s, bits)) ? 0 : MX_PE;
  }
  }
}

static inline float f32(uint64_t x) { uint32_t v = (uint32_t)x; float f; memcpy(&f, &v, 4); return f; }
static inline double f64(uint64_t x) { double f; memcpy(&f, &x, 8); return f; }

uint32_t sse_lane(const struct vcpu *c, int op, int dbl, uint64_t x, uint64_t y,
                  uint64_t *res) {
  uint32_t o, f;
  int tiny;
  if (op == OP_CVT) {
    double a = f64(x);
    float r = 0;
    o = hx_enter(c);
    __asm__ volatile("cvtsd2ss %1, %0" : "+x"(r) : "x"(a));
    f = hx_leave(o);
    uint32_t v;
    memcpy(&v, &r, 4);
    *res = v;
    tiny = f32_den(v);
  } else if (!dbl) {
    float a = f32(x), b = f32(y);
    o = hx_enter(c);
    switch (op) {
    case OP_ADD: __asm__ volatile("addss %1, %0" : "+x"(a) : "x"(b)); break;
    case OP_SUB: __asm__ volatile("subss %1, %0" : "+x"(a) : "x"(b)); break;
    case OP_MUL: __asm__ volatile("mulss %1, %0" : "+x"(a) : "x"(b)); break;
    default: __asm__ volatile("divss %1, %0" : "+x"(a) : "x"(b)); break;
    }
    f = hx_leave(o);
    uint32_t v;
    memcpy(&v, &a, 4);
    *res = v;
    tiny = f32_den(v);
  } else {
    double a = f64(x), b = f64(y);
    o = hx_enter(c);
    switch (op) {
    case OP_ADD: __asm__ volatile("addsd %1, %0" : "+x"(a) : "x"(b)); break;
    case OP_SUB: __asm__ volatile("subsd %1, %0" : "+x"(a) : "x"(b)); break;
    case OP_MUL: __asm__ volatile("mulsd %1, %0" : "+x"(a) : "x"(b)); break;
    default: __asm__ volatile("divsd %1, %0" : "+x"(a) : "x"(b)); break;
    }
    f = hx_leave(o);
    memcpy(res, &a, 8);
    tiny = f64_den(*res);
  }
  uint32_t um = mx_unmasked(c);
  if (tiny && (um & MX_UE)) f |= MX_UE;
  if ((f & MX_OE & um) || (f & MX_UE & um)) {
    if (c->mxcsr & MX_DAZ) {   /* denormal operands count as zero */
      if (op == OP_CVT || dbl) {
        if (f64_den(x)) x &= 1ull << 63;
        if (f64_den(y)) y &= 1ull << 63;
      } else {
        if (f32_den((uint32_t)x)) x &= 0x80000000u;
        if (f32_den((uint32_t)y)) y &= 0x80000000u;
      }
    }
    double a = op == OP_CVT || dbl ? f64(x) : (double)f32(x);
    double b = op == OP_CVT ? 0 : dbl ? f64(y) : (double)f32(y);
    o = hx_default();
    uint32_t pe = pe_unbounded(op, a, b, op == OP_CVT || !dbl ? 24 : 53);
    hx_leave(o);
    f = (f & ~MX_PE) | pe;
  }
  return f;
}

uint32_t sse_slow_flags(const struct vcpu *c, int op, int kind, const xmm_t *a,
                        const xmm_t *b) {
  int dbl = kind == K_PD || kind == K_SD;
  int n = kind == K_PS ? 4 : kind == K_PD ? 2 : 1;
  uint32_t f = 0;
  uint64_t r;
  for (int k = 0; k < n; k++) {
    uint64_t x, y;
    int lop = op;
    const xmm_t *src = a;
    int j = k;
    switch (op) {
    case OP_ADDSUB: lop = (k & 1) ? OP_ADD : OP_SUB; break;
    case OP_HADD: case OP_HSUB:
      lop = op == OP_HADD ? OP_ADD : OP_SUB;
      src = k < n / 2 ? a : b;
      j = k % (n / 2);
      break;
    default: break;
    }
    if (op == OP_HADD || op == OP_HSUB) {
      x = dbl ? src->q[2 * j] : src->d[2 * j];
      y = dbl ? src->q[2 * j + 1] : src->d[2 * j + 1];
    } else if (op == OP_CVT) {
      x = b->q[k];
      y = 0;
    } else {
      x = dbl ? a->q[k] : a->d[k];
      y = dbl ? b->q[k] : b->d[k];
    }
    f |= sse_lane(c, lop, dbl, x, y, &r);
  }
  return f;
}
