/* Private helpers of the SSE/MMX family files (sse*.c): operand access,
 * the MMX <-> x87 aliasing, MXCSR exception delivery, and the bracket
 * that runs an IEEE-exact host operation under the guest's MXCSR. */
#ifndef FAULTLINE_CPU_X86_SSE_IMPL_H
#define FAULTLINE_CPU_X86_SSE_IMPL_H
#include "cpu-x86/interp.h"

/* MXCSR */
#define MX_IE 0x01u
#define MX_DE 0x02u
#define MX_ZE 0x04u
#define MX_OE 0x08u
#define MX_UE 0x10u
#define MX_PE 0x20u
#define MX_FLAGS 0x3fu
#define MX_DAZ 0x40u
#define MX_MASKS 0x1f80u
#define MX_UM (1u << 11)
#define MX_RC(m) (((m) >> 13) & 3u)   /* 0 nearest, 1 down, 2 up, 3 toward 0 */
#define MX_FTZ (1u << 15)

/* family registration (sse.c calls them from sse_register) */
void sse_fp_register(void);
void sse_conv_register(void);
void sse_int_register(void);
void sse_ext_register(void);
void sse_str_register(void);

/* ---- MMX: MMn is the significand of physical x87 register n ---------- */
static inline void mmx_enter(struct vcpu *c) {
  c->fpu.top = 0;
  c->fpu.ftw = 0;            /* all valid */
}
static inline uint64_t mm_rd(struct vcpu *c, unsigned r) {
  return c->fpu.st[r & 7].signif;
}
static inline void mm_wr(struct vcpu *c, unsigned r, uint64_t v) {
  c->fpu.st[r & 7].signif = v;
  c->fpu.st[r & 7].signexp = 0xFFFF;
}
/* MMX source operand: mm register (ModRM.rm, REX.B ignored) or m64. */
static inline uint64_t mm_src(struct vcpu *c, const insn_t *i) {
  return i->mod3 ? mm_rd(c, i->rm) : rd64(c, ea_of(c, i));
}

/* ---- XMM sources ----------------------------------------------------- */
/* 16-byte source with the legacy-SSE alignment rule (#GP(0)). */
static inline void src_a16(struct vcpu *c, const insn_t *i, xmm_t *o) {
  if (i->mod3) { *o = c->xmm[i->rm]; return; }
  uint64_t a = ea_of(c, i);
  if (a & 15) GP0(c);
  rdmem(c, a, o, 16);
}
/* 16-byte source, no alignment requirement. */
static inline void src_u16(struct vcpu *c, const insn_t *i, xmm_t *o) {
  if (i->mod3) { *o = c->xmm[i->rm]; return; }
  rdmem(c, ea_of(c, i), o, 16);
}
/* Register (whole) or the low n bytes from memory (rest zero). */
static inline void src_n(struct vcpu *c, const insn_t *i, xmm_t *o, unsigned n) {
  if (i->mod3) { *o = c->xmm[i->rm]; return; }
  o->q[0] = o->q[1] = 0;
  switch (n) {
  case 4: o->d[0] = rd32(c, ea_of(c, i)); break;
  case 8: o->q[0] = rd64(c, ea_of(c, i)); break;
  default: rdmem(c, ea_of(c, i), o, n); break;
  }
}

/* ---- MXCSR exceptions ------------------------------------------------ */
/* Unmasked exception among f: set the flags the hardware sets (only the
 * pre-computation ones IE/DE/ZE when one of those is unmasked) and raise
 * #XM with the destination untouched. */
_Noreturn void sse_xm(struct vcpu *c, uint32_t f);
static inline uint32_t mx_unmasked(const struct vcpu *c) {
  return ~(c->mxcsr >> 7) & MX_FLAGS;
}
/* Record flags f of an operation about to commit its result. */
static inline void mx_commit(struct vcpu *c, uint32_t f) {
  if (__builtin_expect((f & mx_unmasked(c)) != 0, 0)) sse_xm(c, f);
  c->mxcsr |= f;
}

/* ---- host bracket ---------------------------------------------------- */
/* Load the host MXCSR with the guest's RC, FTZ and DAZ, all exceptions
 * masked and flags clear; run IEEE-exact host instructions (inline asm
 * volatile, so they stay inside the bracket); read the flags and restore
 * the host MXCSR.  With UE unmasked the guest ignores FTZ (SDM 10.2.3.3),
 * so the host runs without it and tininess is checked by the caller. */
static inline uint32_t hx_enter(const struct vcpu *c) {
  uint32_t old = __builtin_ia32_stmxcsr();
  uint32_t m = c->mxcsr;
  uint32_t h = (m & (0x6000u | MX_FTZ | MX_DAZ)) | MX_MASKS;
  if (!(m & MX_UM)) h &= ~MX_FTZ;
  __builtin_ia32_ldmxcsr(h);
  return old;
}
/* Host default environment (nearest, masked) for the software helpers
 * that rely on round-to-nearest host arithmetic. */
static inline uint32_t hx_default(void) {
  uint32_t old = __builtin_ia32_stmxcsr();
  __builtin_ia32_ldmxcsr(MX_MASKS);
  return old;
}
static inline uint32_t hx_leave(uint32_t old) {
  uint32_t f = __builtin_ia32_stmxcsr() & MX_FLAGS;
  __builtin_ia32_ldmxcsr(old);
  return f;
}

/* ---- float classification (bit patterns) ------------------------------ */
static inline int f32_nan(uint32_t x) { return (x & 0x7fffffffu) > 0x7f800000u; }
static inline int f32_snan(uint32_t x) { return f32_nan(x) && !(x & 0x00400000u); }
static inline int f32_den(uint32_t x) {
  return (x & 0x7f800000u) == 0 && (x & 0x007fffffu) != 0;
}
static inline int f64_nan(uint64_t x) {
  return (x & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}
static inline int f64_snan(uint64_t x) {
  return f64_nan(x) && !(x & 0x0008000000000000ull);
}
static inline int f64_den(uint64_t x) {
  return (x & 0x7ff0000000000000ull) == 0 && (x & 0x000fffffffffffffull) != 0;
}
#define F32_QNAN_DEFAULT 0xFFC00000u
#define F64_QNAN_DEFAULT 0xFFF8000000000000ull

/* With UE unmasked an exact tiny (denormal) result also signals UE. */
static inline uint32_t tiny32(const struct vcpu *c, const uint32_t *v, int n) {
  if (c->mxcsr & MX_UM) return 0;
  for (int k = 0; k < n; k++) if (f32_den(v[k])) return MX_UE;
  return 0;
}
static inline uint32_t tiny64(const struct vcpu *c, const uint64_t *v, int n) {
  if (c->mxcsr & MX_UM) return 0;
  for (int k = 0; k < n; k++) if (f64_den(v[k])) return MX_UE;
  return 0;
}

/* Round finite x (|x| < 2^52) to an integral value: rc 0 nearest-even,
 * 1 down, 2 up, 3 toward zero; *inexact set when it changed. */
static inline double round_mode(double x, unsigned rc, int *inexact) {
  int64_t t = (int64_t)x;                /* toward zero, exact */
  double fr = x - (double)t;             /* exact */
  if (fr != 0) {
    *inexact = 1;
    switch (rc) {
    case 0:
      if (fr > 0.5 || (fr == 0.5 && (t & 1))) t++;
      else if (fr < -0.5 || (fr == -0.5 && (t & 1))) t--;
      break;
    case 1: if (fr < 0) t--; break;
    case 2: if (fr > 0) t++; break;
    default: break;
    }
  }
  double r = (double)t;
  return __builtin_copysign(r, x);      /* -0.3 -> -0, -0.7 up -> -0 */
}
/* ---- per-lane slow path (sse_lane.c) -----------------------------------
 * Used when an unmasked OE or UE is about to be reported: then the SDM
 * reports PE for the result rounded with an unbounded exponent (not the
 * denormalized or overflowed one), and an exact tiny result signals UE. */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_CVT, OP_ADDSUB, OP_HADD, OP_HSUB };
enum { K_PS, K_PD, K_SS, K_SD };
/* One scalar op (dbl: double operands; OP_CVT: double x -> float) under the
 * guest MXCSR; returns its flags, *res the result bits. */
uint32_t sse_lane(const struct vcpu *c, int op, int dbl, uint64_t x, uint64_t y,
                  uint64_t *res);
/* Flags of a packed/scalar op recomputed lane by lane (a: destination,
 * b: source operand as loaded). */
uint32_t sse_slow_flags(const struct vcpu *c, int op, int kind, const xmm_t *a,
                        const xmm_t *b);
static inline int slow_needed(const struct vcpu *c, uint32_t f) {
  return (f & (MX_OE | MX_UE) & mx_unmasked(c)) != 0;
}

/* vector types for host inline asm operands */
typedef float v4f __attribute__((vector_size(16)));
typedef long long v2i __attribute__((vector_size(16)));
static inline v4f ldv(const xmm_t *x) { v4f v; memcpy(&v, x, 16); return v; }
static inline void stv(xmm_t *x, v4f v) { memcpy(x, &v, 16); }

#endif
