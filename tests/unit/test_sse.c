/* Differential tests of the SSE..SSE4.2 / MMX interpreter (cpu-x86/sse*.c)
 * against the HOST CPU as the oracle.
 *
 * Every case is one instruction given by its exact encoding.  A seeded
 * xorshift RNG (deterministic) fills all 16 xmm, the 8 mm registers, the
 * GPRs, RFLAGS, MXCSR (RC, FTZ, DAZ, sticky flags, and in the "unmasked"
 * passes the exception masks) and a data buffer with values of the form's
 * class (floats biased to zeros, denormals, infinities, NaNs with payloads,
 * SNaNs, max/min, halves and integer/overflow boundaries; integers to the
 * saturation edges; strings from a small alphabet with NULs ...).  The
 * same bytes then run
 *   - natively: a trampoline loads the whole state, calls a code buffer
 *     (the instruction + RET), and stores the whole state back; #XM
 *     (SIGFPE), #GP (SIGSEGV) and #UD (SIGILL) are caught and the state is
 *     taken from the signal frame;
 *   - in the interpreter through tests/unit/cpu_fixture.h.
 * Compared: all xmm and mm registers, GPRs (RSI/RDI point into the data
 * buffer on both sides), RFLAGS arithmetic bits, the full MXCSR, the data
 * buffer, and the fault kind.  RCPPS/RSQRTPS are compared within the
 * SDM's error bound (their exact bits are implementation specific).
 * Register numbers (with REX), register vs memory form, the memory offset
 * and the imm8 vary per case; imm8 forms cycle through all 256 values.
 *
 * Counts (each test prints its own summary):
 *   forms: 382 encodings in forms[] (register and memory forms of each,
 *     MMX and SSE variants, REX.W variants, 66 next to F2/F3; a REX.W the
 *     instruction ignores is added at random)
 *   differential_masked: 3000 cases per form, 4096 for imm8-sweep forms,
 *     8192 for the PCMPxSTRx forms                        = 1256008 cases
 *   differential_unmasked: 78 floating-point forms x 3000 =  234000 cases
 *   alignment (misaligned 16-byte operands, #GP or not)   =    2832 cases
 *   page_cross (both pages present; second page absent: #PF and no
 *     partial write)                                      =    9264 cases
 *   undefined encodings (#UD on both sides)               =      10 cases
 *   mmx_state: TOP/tags/exponent after MMX ops, EMMS, SSE ops
 *   mutation_detected: wrong rounding mode (ADDPS, DIVSD, CVTSI2SS r64),
 *     CVTT instead of CVT, inverted PCMPISTRI polarity, wrong DAZ (MULPS,
 *     MINSS) on the reference side: 7 x 1000 cases, each must be caught
 *     (151..988 of 1000 are, depending on how often the change matters)
 * About 1.5 million differential cases in all; all pass. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "tests/unit/cpu_fixture.h"

/* cpu-x86/pending.c holds a weak sse_register() placeholder; referencing a
 * symbol of sse.c makes sure the archive member with the real one is linked
 * (harmless once the placeholder is gone). */
void sse_src(struct vcpu *c, const struct insn *i, xmm_t *out, unsigned bytes);
void (*volatile fl_sse_keep)(struct vcpu *, const struct insn *, xmm_t *, unsigned) = sse_src;

/* ---- machine state shared by the host trampoline and the interpreter --- */
struct st {
  xmm_t x[16];          /*   0 */
  uint64_t mm[8];       /* 256 */
  uint64_t r[16];       /* 320 */
  uint64_t rflags;      /* 448 */
  uint32_t mxcsr;       /* 456 */
  uint32_t host_mxcsr;  /* 460 */
} __attribute__((aligned(16)));
_Static_assert(__builtin_offsetof(struct st, mm) == 256, "layout");
_Static_assert(__builtin_offsetof(struct st, r) == 320, "layout");
_Static_assert(__builtin_offsetof(struct st, rflags) == 448, "layout");
_Static_assert(__builtin_offsetof(struct st, mxcsr) == 456, "layout");

void fl_host_exec(struct st *s, void *code);
__asm__(
    ".text\n.globl fl_host_exec\n.type fl_host_exec,@function\n"
    "fl_host_exec:\n"
    "push %rbp\npush %rbx\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "sub $8,%rsp\npush %rdi\npush %rsi\n"
    "stmxcsr 460(%rdi)\n"
    "movdqu 0(%rdi),%xmm0\nmovdqu 16(%rdi),%xmm1\nmovdqu 32(%rdi),%xmm2\n"
    "movdqu 48(%rdi),%xmm3\nmovdqu 64(%rdi),%xmm4\nmovdqu 80(%rdi),%xmm5\n"
    "movdqu 96(%rdi),%xmm6\nmovdqu 112(%rdi),%xmm7\nmovdqu 128(%rdi),%xmm8\n"
    "movdqu 144(%rdi),%xmm9\nmovdqu 160(%rdi),%xmm10\nmovdqu 176(%rdi),%xmm11\n"
    "movdqu 192(%rdi),%xmm12\nmovdqu 208(%rdi),%xmm13\nmovdqu 224(%rdi),%xmm14\n"
    "movdqu 240(%rdi),%xmm15\n"
    "movq 256(%rdi),%mm0\nmovq 264(%rdi),%mm1\nmovq 272(%rdi),%mm2\nmovq 280(%rdi),%mm3\n"
    "movq 288(%rdi),%mm4\nmovq 296(%rdi),%mm5\nmovq 304(%rdi),%mm6\nmovq 312(%rdi),%mm7\n"
    "ldmxcsr 456(%rdi)\n"
    "pushq 448(%rdi)\npopfq\n"
    "mov 320(%rdi),%rax\nmov 328(%rdi),%rcx\nmov 336(%rdi),%rdx\nmov 344(%rdi),%rbx\n"
    "mov 360(%rdi),%rbp\nmov 368(%rdi),%rsi\nmov 384(%rdi),%r8\nmov 392(%rdi),%r9\n"
    "mov 400(%rdi),%r10\nmov 408(%rdi),%r11\nmov 416(%rdi),%r12\nmov 424(%rdi),%r13\n"
    "mov 432(%rdi),%r14\nmov 440(%rdi),%r15\nmov 376(%rdi),%rdi\n"
    "call *(%rsp)\n"
    "pushfq\npush %rdi\nmov 24(%rsp),%rdi\n"
    "mov %rax,320(%rdi)\nmov %rcx,328(%rdi)\nmov %rdx,336(%rdi)\nmov %rbx,344(%rdi)\n"
    "mov %rbp,360(%rdi)\nmov %rsi,368(%rdi)\nmov %r8,384(%rdi)\nmov %r9,392(%rdi)\n"
    "mov %r10,400(%rdi)\nmov %r11,408(%rdi)\nmov %r12,416(%rdi)\nmov %r13,424(%rdi)\n"
    "mov %r14,432(%rdi)\nmov %r15,440(%rdi)\n"
    "pop %rax\nmov %rax,376(%rdi)\npop %rax\nmov %rax,448(%rdi)\n"
    "movdqu %xmm0,0(%rdi)\nmovdqu %xmm1,16(%rdi)\nmovdqu %xmm2,32(%rdi)\n"
    "movdqu %xmm3,48(%rdi)\nmovdqu %xmm4,64(%rdi)\nmovdqu %xmm5,80(%rdi)\n"
    "movdqu %xmm6,96(%rdi)\nmovdqu %xmm7,112(%rdi)\nmovdqu %xmm8,128(%rdi)\n"
    "movdqu %xmm9,144(%rdi)\nmovdqu %xmm10,160(%rdi)\nmovdqu %xmm11,176(%rdi)\n"
    "movdqu %xmm12,192(%rdi)\nmovdqu %xmm13,208(%rdi)\nmovdqu %xmm14,224(%rdi)\n"
    "movdqu %xmm15,240(%rdi)\n"
    "movq %mm0,256(%rdi)\nmovq %mm1,264(%rdi)\nmovq %mm2,272(%rdi)\nmovq %mm3,280(%rdi)\n"
    "movq %mm4,288(%rdi)\nmovq %mm5,296(%rdi)\nmovq %mm6,304(%rdi)\nmovq %mm7,312(%rdi)\n"
    "stmxcsr 456(%rdi)\nldmxcsr 460(%rdi)\nemms\n"
    "add $24,%rsp\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbx\npop %rbp\nret\n"
    ".size fl_host_exec, .-fl_host_exec\n");

/* ---- RNG ------------------------------------------------------------------ */
static uint64_t rng_s;
static uint64_t rnd(void) {
  uint64_t x = rng_s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return rng_s = x;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- value classes ---------------------------------------------------------- */
enum { V_MIX, V_F32, V_F64, V_I8, V_I16, V_I32, V_I64, V_STR8, V_STR16, V_SH };

static uint32_t gen_f32(void) {
  static const uint32_t edge[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000,
    0x3f000000, 0xbf000000, 0x00000001, 0x007fffff, 0x80400000, 0x00800000,
    0x80800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
    0x7fc12345, 0xffc00001, 0xffc00000, 0x7f800001, 0x7fa00000, 0xff812345,
    0x4b000000, 0x4afffffe, 0x4b7fffff, 0x4f000000, 0xcf000000, 0x4effffff,
    0xcf000001, 0x5f000000, 0xdf000000, 0x5effffff, 0x3effffff, 0x3f7fffff,
    0x1f800000, 0x20000000, 0x0c000000, 0x72800000};
  uint32_t s = (uint32_t)(rnd() & 0x80000000u);
  switch (rn(16)) {
  case 0: case 1: return edge[rn(sizeof edge / 4)];
  case 2: return (uint32_t)rnd();
  case 3: return s | (uint32_t)(rnd() & 0x007fffff);                 /* denormal */
  case 4: { float f = (float)((int64_t)(rnd() >> rn(64))) + (rn(2) ? 0.5f : 0.0f);
            uint32_t x; memcpy(&x, &f, 4); return x ^ s; }
  case 5: return s | (uint32_t)((1 + rn(24)) << 23) | (uint32_t)(rnd() & 0x7fffff); /* tiny */
  case 6: return s | (uint32_t)((230 + rn(24)) << 23) | (uint32_t)(rnd() & 0x7fffff); /* huge */
  case 7: return s | (0x4e800000u + (uint32_t)rn(0x1000000)) ;        /* near 2^30..2^32 */
  case 8: return s | (0x5e800000u + (uint32_t)rn(0x1000000));         /* near 2^62..2^64 */
  default: return s | (uint32_t)((97 + rn(60)) << 23) | (uint32_t)(rnd() & (rn(2) ? 0x7fffff : 0x7f0000));
  }
}
static uint64_t gen_f64(void) {
  static const uint64_t edge[] = {
    0, 1ull << 63, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x3ff8000000000000ull,
    0x4004000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull, 1,
    0x000fffffffffffffull, 0x8008000000000000ull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff8000012345678ull,
    0xfff8000000000001ull, 0xfff8000000000000ull, 0x7ff0000000000001ull,
    0x7ff4000000000000ull, 0xfff0000012345678ull, 0x4330000000000000ull,
    0x432fffffffffffffull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
    0x41dfffffffc00000ull, 0xc1e0000000100000ull, 0x41dfffffffe00000ull,
    0x43e0000000000000ull, 0xc3e0000000000000ull, 0x43dfffffffffffffull,
    0x47efffffe0000000ull, 0x47efffff00000000ull, 0x36a0000000000000ull,
    0x3810000000000000ull, 0x380fffffffffffffull, 0x47f0000000000000ull};
  uint64_t s = rnd() & (1ull << 63);
  switch (rn(16)) {
  case 0: case 1: return edge[rn(sizeof edge / 8)];
  case 2: return rnd();
  case 3: return s | (rnd() & 0x000fffffffffffffull);
  case 4: { double f = (double)((int64_t)(rnd() >> rn(64))) + (rn(2) ? 0.5 : 0.0);
            uint64_t x; memcpy(&x, &f, 8); return x ^ s; }
  case 5: return s | (uint64_t)(1 + rn(60)) << 52 | (rnd() & 0x000fffffffffffffull);
  case 6: return s | (uint64_t)(1990 + rn(57)) << 52 | (rnd() & 0x000fffffffffffffull);
  case 7: return s | (uint64_t)(1023 + 29 + rn(4)) << 52 | (rnd() & 0x000fffffffffffffull >> rn(52));
  case 8: return s | (uint64_t)(1023 + 61 + rn(4)) << 52 | (rnd() & 0x000fffffffffffffull >> rn(52));
  case 9: /* float-range edges for CVTSD2SS */
    return s | (uint64_t)(1023 - 150 + rn(30)) << 52 | (rnd() & 0x000fffffffffffffull);
  case 10:
    return s | (uint64_t)(1023 + 120 + rn(10)) << 52 | (rnd() & 0x000fffffffffffffull);
  default: return s | (uint64_t)(1023 - 40 + rn(80)) << 52 |
                  (rnd() & (rn(2) ? 0x000fffffffffffffull : 0x000ff00000000000ull));
  }
}
static uint64_t gen_int(unsigned esz) {
  unsigned bits = esz * 8;
  uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1, top = 1ull << (bits - 1);
  switch (rn(8)) {
  case 0: { static const int64_t e[] = {0, 1, -1, 2, -2};
            return (uint64_t)e[rn(5)] & m; }
  case 1: return top;                                  /* min */
  case 2: return (top - 1) & m;                        /* max */
  case 3: return (top + 1 - rn(3)) & m;
  case 4: return (rnd() >> rn(64)) & m;
  case 5: return (0 - (rnd() >> rn(64))) & m;
  default: return rnd() & m;
  }
}
static void gen_vec(xmm_t *v, int cls) {
  static const uint8_t alpha8[] = {'a', 'b', 'c', 'd', 'a', 'b', 0x80, 0xff, 0x7f, 1, 'A', 'z', 0x81};
  static const uint16_t alpha16[] = {'a', 'b', 'c', 0x8000, 0xffff, 0x7fff, 0x0161, 'a', 0x6100};
  switch (cls) {
  case V_F32: for (int k = 0; k < 4; k++) v->d[k] = gen_f32(); break;
  case V_F64: for (int k = 0; k < 2; k++) v->q[k] = gen_f64(); break;
  case V_I8: for (int k = 0; k < 16; k++) v->b[k] = (uint8_t)gen_int(1); break;
  case V_I16: for (int k = 0; k < 8; k++) v->w[k] = (uint16_t)gen_int(2); break;
  case V_I32: for (int k = 0; k < 4; k++) v->d[k] = (uint32_t)gen_int(4); break;
  case V_I64: for (int k = 0; k < 2; k++) v->q[k] = gen_int(8); break;
  case V_STR8:
    for (int k = 0; k < 16; k++) v->b[k] = rn(20) ? alpha8[rn(sizeof alpha8)] : 0;
    if (rn(3) == 0) memset(v->b + rn(16), 'a', 1);
    break;
  case V_STR16:
    for (int k = 0; k < 8; k++) v->w[k] = rn(12) ? alpha16[rn(sizeof alpha16 / 2)] : 0;
    break;
  case V_SH:
    v->q[0] = rn(2) ? rn(72) : gen_int(8);
    v->q[1] = rnd();
    if (rn(2)) for (int k = 0; k < 8; k++) v->w[k] = (uint16_t)gen_int(2);
    break;
  default:
    v->q[0] = rnd(); v->q[1] = rnd();
    if (rn(4) == 0) { v->d[rn(4)] = gen_f32(); v->q[rn(2)] = gen_f64(); }
    break;
  }
}
/* copy lanes between vectors so that compares/matches/cancellations occur */
static void share(xmm_t *v, int n) {
  for (int t = 0; t < 8; t++) {
    xmm_t *a = &v[rn(n)], *b = &v[rn(n)];
    switch (rn(4)) {
    case 0: a->d[rn(4)] = b->d[rn(4)]; break;
    case 1: a->q[rn(2)] = b->q[rn(2)]; break;
    case 2: { unsigned o = rn(16), l = 1 + rn(6); if (o + l > 16) l = 16 - o;
              unsigned p = rn(16 - l + 1); memmove(a->b + p, b->b + o, l); break; }
    default: { unsigned k = rn(4); a->d[k] = b->d[k] + (uint32_t)rn(3) - 1; break; }
    }
  }
}

/* ---- instruction forms ----------------------------------------------------- */
enum {
  IMM = 1 << 0,     /* imm8 */
  SWEEP = 1 << 1,   /* cycle the imm8 through all 256 values */
  NOMEM = 1 << 2,   /* register form only */
  NOREG = 1 << 3,   /* memory form only */
  MA = 1 << 4,      /* 16-byte memory operand that must be aligned */
  RGPR = 1 << 5,    /* ModRM.reg is a GPR */
  MGPR = 1 << 6,    /* ModRM.rm (register form) is a GPR */
  RMM = 1 << 7,     /* ModRM.reg is an mm register */
  MMM = 1 << 8,     /* ModRM.rm is an mm register */
  W = 1 << 9,       /* REX.W */
  APPROX = 1 << 10, /* RCP/RSQRT */
  FP = 1 << 11,     /* floating point: also run with exceptions unmasked */
  P66 = 1 << 12,    /* extra 66 before the mandatory F2 (CRC32 r/m16) */
  BYTEREG = 1 << 13,/* rm is a byte register (AH..BH reachable) */
  WS = 1 << 14,     /* REX.W matters (kept as given) */
};
#define MMX (RMM | MMM)
struct form {
  const char *name;
  uint8_t pfx, map, opc;
  int8_t grp;
  uint32_t fl;
  uint8_t cls;
};
#define F0(n, p, m, o, fl, cls) {n, p, m, o, -1, fl, cls}
#define FG(n, p, m, o, g, fl, cls) {n, p, m, o, g, fl, cls}

static const struct form forms[] = {
  /* moves */
  F0("movups", 0, 1, 0x10, 0, V_MIX), F0("movupd", 0x66, 1, 0x10, 0, V_MIX),
  F0("movss", 0xF3, 1, 0x10, 0, V_MIX), F0("movsd", 0xF2, 1, 0x10, 0, V_MIX),
  F0("movups st", 0, 1, 0x11, 0, V_MIX), F0("movupd st", 0x66, 1, 0x11, 0, V_MIX),
  F0("movss st", 0xF3, 1, 0x11, 0, V_MIX), F0("movsd st", 0xF2, 1, 0x11, 0, V_MIX),
  F0("movlps/movhlps", 0, 1, 0x12, 0, V_MIX), F0("movlpd", 0x66, 1, 0x12, NOREG, V_MIX),
  F0("movsldup", 0xF3, 1, 0x12, MA, V_MIX), F0("movddup", 0xF2, 1, 0x12, 0, V_MIX),
  F0("movlps st", 0, 1, 0x13, NOREG, V_MIX), F0("movlpd st", 0x66, 1, 0x13, NOREG, V_MIX),
  F0("movhps/movlhps", 0, 1, 0x16, 0, V_MIX), F0("movhpd", 0x66, 1, 0x16, NOREG, V_MIX),
  F0("movshdup", 0xF3, 1, 0x16, MA, V_MIX),
  F0("movhps st", 0, 1, 0x17, NOREG, V_MIX), F0("movhpd st", 0x66, 1, 0x17, NOREG, V_MIX),
  F0("movaps", 0, 1, 0x28, MA, V_MIX), F0("movapd", 0x66, 1, 0x28, MA, V_MIX),
  F0("movaps st", 0, 1, 0x29, MA, V_MIX), F0("movapd st", 0x66, 1, 0x29, MA, V_MIX),
  F0("movntps", 0, 1, 0x2B, MA | NOREG, V_MIX), F0("movntpd", 0x66, 1, 0x2B, MA | NOREG, V_MIX),
  F0("movmskps", 0, 1, 0x50, NOMEM | RGPR, V_F32), F0("movmskpd", 0x66, 1, 0x50, NOMEM | RGPR, V_F64),
  F0("pmovmskb mm", 0, 1, 0xD7, NOMEM | RGPR | MMM, V_I8),
  F0("pmovmskb", 0x66, 1, 0xD7, NOMEM | RGPR, V_I8),
  F0("movd mm,r/m32", 0, 1, 0x6E, RMM | MGPR, V_MIX), F0("movq mm,r/m64", 0, 1, 0x6E, RMM | MGPR | W, V_MIX),
  F0("movd xmm,r/m32", 0x66, 1, 0x6E, MGPR, V_MIX), F0("movq xmm,r/m64", 0x66, 1, 0x6E, MGPR | W, V_MIX),
  F0("movd r/m32,mm", 0, 1, 0x7E, RMM | MGPR, V_MIX), F0("movq r/m64,mm", 0, 1, 0x7E, RMM | MGPR | W, V_MIX),
  F0("movd r/m32,xmm", 0x66, 1, 0x7E, MGPR, V_MIX), F0("movq r/m64,xmm", 0x66, 1, 0x7E, MGPR | W, V_MIX),
  F0("movq xmm,xmm/m64", 0xF3, 1, 0x7E, 0, V_MIX),
  F0("movq mm,mm/m64", 0, 1, 0x6F, MMX, V_MIX), F0("movdqa", 0x66, 1, 0x6F, MA, V_MIX),
  F0("movdqu", 0xF3, 1, 0x6F, 0, V_MIX),
  F0("movq mm/m64,mm", 0, 1, 0x7F, MMX, V_MIX), F0("movdqa st", 0x66, 1, 0x7F, MA, V_MIX),
  F0("movdqu st", 0xF3, 1, 0x7F, 0, V_MIX),
  F0("movq xmm/m64,xmm", 0x66, 1, 0xD6, 0, V_MIX),
  F0("movq2dq", 0xF3, 1, 0xD6, NOMEM | MMM, V_MIX), F0("movdq2q", 0xF2, 1, 0xD6, NOMEM | RMM, V_MIX),
  F0("movntq", 0, 1, 0xE7, NOREG | MMX, V_MIX), F0("movntdq", 0x66, 1, 0xE7, NOREG | MA, V_MIX),
  F0("movnti", 0, 1, 0xC3, NOREG | RGPR, V_MIX), F0("movnti64", 0, 1, 0xC3, NOREG | RGPR | W, V_MIX),
  F0("lddqu", 0xF2, 1, 0xF0, NOREG, V_MIX), F0("movntdqa", 0x66, 2, 0x2A, NOREG | MA, V_MIX),
  F0("maskmovq", 0, 1, 0xF7, NOMEM | MMX, V_I8), F0("maskmovdqu", 0x66, 1, 0xF7, NOMEM, V_I8),
  /* float arithmetic */
#define FP4(nm, o)                                                                  \
  F0(nm "ps", 0, 1, o, MA | FP, V_F32), F0(nm "pd", 0x66, 1, o, MA | FP, V_F64),     \
  F0(nm "ss", 0xF3, 1, o, FP, V_F32), F0(nm "sd", 0xF2, 1, o, FP, V_F64)
  FP4("sqrt", 0x51), FP4("add", 0x58), FP4("mul", 0x59), FP4("sub", 0x5C),
  FP4("min", 0x5D), FP4("div", 0x5E), FP4("max", 0x5F),
  F0("rsqrtps", 0, 1, 0x52, MA | APPROX, V_F32), F0("rsqrtss", 0xF3, 1, 0x52, APPROX, V_F32),
  F0("rcpps", 0, 1, 0x53, MA | APPROX, V_F32), F0("rcpss", 0xF3, 1, 0x53, APPROX, V_F32),
  F0("cmpps", 0, 1, 0xC2, MA | FP | IMM | SWEEP, V_F32), F0("cmppd", 0x66, 1, 0xC2, MA | FP | IMM | SWEEP, V_F64),
  F0("cmpss", 0xF3, 1, 0xC2, FP | IMM | SWEEP, V_F32), F0("cmpsd", 0xF2, 1, 0xC2, FP | IMM | SWEEP, V_F64),
  F0("addsubpd", 0x66, 1, 0xD0, MA | FP, V_F64), F0("addsubps", 0xF2, 1, 0xD0, MA | FP, V_F32),
  F0("haddpd", 0x66, 1, 0x7C, MA | FP, V_F64), F0("haddps", 0xF2, 1, 0x7C, MA | FP, V_F32),
  F0("hsubpd", 0x66, 1, 0x7D, MA | FP, V_F64), F0("hsubps", 0xF2, 1, 0x7D, MA | FP, V_F32),
  F0("ucomiss", 0, 1, 0x2E, FP, V_F32), F0("ucomisd", 0x66, 1, 0x2E, FP, V_F64),
  F0("comiss", 0, 1, 0x2F, FP, V_F32), F0("comisd", 0x66, 1, 0x2F, FP, V_F64),
  F0("andps", 0, 1, 0x54, MA, V_MIX), F0("andpd", 0x66, 1, 0x54, MA, V_MIX),
  F0("andnps", 0, 1, 0x55, MA, V_MIX), F0("andnpd", 0x66, 1, 0x55, MA, V_MIX),
  F0("orps", 0, 1, 0x56, MA, V_MIX), F0("orpd", 0x66, 1, 0x56, MA, V_MIX),
  F0("xorps", 0, 1, 0x57, MA, V_MIX), F0("xorpd", 0x66, 1, 0x57, MA, V_MIX),
  F0("shufps", 0, 1, 0xC6, MA | IMM | SWEEP, V_F32), F0("shufpd", 0x66, 1, 0xC6, MA | IMM | SWEEP, V_F64),
  F0("unpcklps", 0, 1, 0x14, MA, V_F32), F0("unpcklpd", 0x66, 1, 0x14, MA, V_F64),
  F0("unpckhps", 0, 1, 0x15, MA, V_F32), F0("unpckhpd", 0x66, 1, 0x15, MA, V_F64),
  F0("blendps", 0x66, 3, 0x0C, MA | IMM | SWEEP, V_F32), F0("blendpd", 0x66, 3, 0x0D, MA | IMM | SWEEP, V_F64),
  F0("blendvps", 0x66, 2, 0x14, MA, V_MIX), F0("blendvpd", 0x66, 2, 0x15, MA, V_MIX),
  F0("roundps", 0x66, 3, 0x08, MA | FP | IMM | SWEEP, V_F32), F0("roundpd", 0x66, 3, 0x09, MA | FP | IMM | SWEEP, V_F64),
  F0("roundss", 0x66, 3, 0x0A, FP | IMM | SWEEP, V_F32), F0("roundsd", 0x66, 3, 0x0B, FP | IMM | SWEEP, V_F64),
  F0("dpps", 0x66, 3, 0x40, MA | FP | IMM | SWEEP, V_F32), F0("dppd", 0x66, 3, 0x41, MA | FP | IMM | SWEEP, V_F64),
  F0("insertps", 0x66, 3, 0x21, IMM | SWEEP, V_F32), F0("extractps", 0x66, 3, 0x17, MGPR | IMM | SWEEP, V_F32),
  F0("extractps64", 0x66, 3, 0x17, MGPR | W | IMM, V_F32),
  /* conversions */
  F0("cvtpi2ps", 0, 1, 0x2A, MMM | FP, V_I32), F0("cvtpi2pd", 0x66, 1, 0x2A, MMM | FP, V_I32),
  F0("cvtsi2ss", 0xF3, 1, 0x2A, MGPR | FP, V_I32), F0("cvtsi2ss64", 0xF3, 1, 0x2A, MGPR | W | FP, V_I64),
  F0("cvtsi2sd", 0xF2, 1, 0x2A, MGPR | FP, V_I32), F0("cvtsi2sd64", 0xF2, 1, 0x2A, MGPR | W | FP, V_I64),
  F0("cvttps2pi", 0, 1, 0x2C, RMM | FP, V_F32), F0("cvttpd2pi", 0x66, 1, 0x2C, RMM | MA | FP, V_F64),
  F0("cvttss2si", 0xF3, 1, 0x2C, RGPR | FP, V_F32), F0("cvttss2si64", 0xF3, 1, 0x2C, RGPR | W | FP, V_F32),
  F0("cvttsd2si", 0xF2, 1, 0x2C, RGPR | FP, V_F64), F0("cvttsd2si64", 0xF2, 1, 0x2C, RGPR | W | FP, V_F64),
  F0("cvtps2pi", 0, 1, 0x2D, RMM | FP, V_F32), F0("cvtpd2pi", 0x66, 1, 0x2D, RMM | MA | FP, V_F64),
  F0("cvtss2si", 0xF3, 1, 0x2D, RGPR | FP, V_F32), F0("cvtss2si64", 0xF3, 1, 0x2D, RGPR | W | FP, V_F32),
  F0("cvtsd2si", 0xF2, 1, 0x2D, RGPR | FP, V_F64), F0("cvtsd2si64", 0xF2, 1, 0x2D, RGPR | W | FP, V_F64),
  F0("cvtps2pd", 0, 1, 0x5A, FP, V_F32), F0("cvtpd2ps", 0x66, 1, 0x5A, MA | FP, V_F64),
  F0("cvtss2sd", 0xF3, 1, 0x5A, FP, V_F32), F0("cvtsd2ss", 0xF2, 1, 0x5A, FP, V_F64),
  F0("cvtdq2ps", 0, 1, 0x5B, MA | FP, V_I32), F0("cvtps2dq", 0x66, 1, 0x5B, MA | FP, V_F32),
  F0("cvttps2dq", 0xF3, 1, 0x5B, MA | FP, V_F32),
  F0("cvttpd2dq", 0x66, 1, 0xE6, MA | FP, V_F64), F0("cvtdq2pd", 0xF3, 1, 0xE6, FP, V_I32),
  F0("cvtpd2dq", 0xF2, 1, 0xE6, MA | FP, V_F64),
  /* integer: MMX and SSE2 forms */
#define I2(nm, o, cls) F0(nm " mm", 0, 1, o, MMX, cls), F0(nm, 0x66, 1, o, MA, cls)
  I2("punpcklbw", 0x60, V_I8), I2("punpcklwd", 0x61, V_I16), I2("punpckldq", 0x62, V_I32),
  I2("packsswb", 0x63, V_I16), I2("pcmpgtb", 0x64, V_I8), I2("pcmpgtw", 0x65, V_I16),
  I2("pcmpgtd", 0x66, V_I32), I2("packuswb", 0x67, V_I16), I2("punpckhbw", 0x68, V_I8),
  I2("punpckhwd", 0x69, V_I16), I2("punpckhdq", 0x6A, V_I32), I2("packssdw", 0x6B, V_I32),
  F0("punpcklqdq", 0x66, 1, 0x6C, MA, V_I64), F0("punpckhqdq", 0x66, 1, 0x6D, MA, V_I64),
  I2("pcmpeqb", 0x74, V_I8), I2("pcmpeqw", 0x75, V_I16), I2("pcmpeqd", 0x76, V_I32),
  I2("psrlw", 0xD1, V_SH), I2("psrld", 0xD2, V_SH), I2("psrlq", 0xD3, V_SH),
  I2("paddq", 0xD4, V_I64), I2("pmullw", 0xD5, V_I16),
  I2("psubusb", 0xD8, V_I8), I2("psubusw", 0xD9, V_I16), I2("pminub", 0xDA, V_I8),
  I2("pand", 0xDB, V_MIX), I2("paddusb", 0xDC, V_I8), I2("paddusw", 0xDD, V_I16),
  I2("pmaxub", 0xDE, V_I8), I2("pandn", 0xDF, V_MIX),
  I2("pavgb", 0xE0, V_I8), I2("psraw", 0xE1, V_SH), I2("psrad", 0xE2, V_SH),
  I2("pavgw", 0xE3, V_I16), I2("pmulhuw", 0xE4, V_I16), I2("pmulhw", 0xE5, V_I16),
  I2("psubsb", 0xE8, V_I8), I2("psubsw", 0xE9, V_I16), I2("pminsw", 0xEA, V_I16),
  I2("por", 0xEB, V_MIX), I2("paddsb", 0xEC, V_I8), I2("paddsw", 0xED, V_I16),
  I2("pmaxsw", 0xEE, V_I16), I2("pxor", 0xEF, V_MIX),
  I2("psllw", 0xF1, V_SH), I2("pslld", 0xF2, V_SH), I2("psllq", 0xF3, V_SH),
  I2("pmuludq", 0xF4, V_I32), I2("pmaddwd", 0xF5, V_I16), I2("psadbw", 0xF6, V_I8),
  I2("psubb", 0xF8, V_I8), I2("psubw", 0xF9, V_I16), I2("psubd", 0xFA, V_I32),
  I2("psubq", 0xFB, V_I64), I2("paddb", 0xFC, V_I8), I2("paddw", 0xFD, V_I16),
  I2("paddd", 0xFE, V_I32),
  /* SSSE3 */
#define S2(nm, o, cls) F0(nm " mm", 0, 2, o, MMX, cls), F0(nm, 0x66, 2, o, MA, cls)
  S2("pshufb", 0x00, V_I8), S2("phaddw", 0x01, V_I16), S2("phaddd", 0x02, V_I32),
  S2("phaddsw", 0x03, V_I16), S2("pmaddubsw", 0x04, V_I8), S2("phsubw", 0x05, V_I16),
  S2("phsubd", 0x06, V_I32), S2("phsubsw", 0x07, V_I16), S2("psignb", 0x08, V_I8),
  S2("psignw", 0x09, V_I16), S2("psignd", 0x0A, V_I32), S2("pmulhrsw", 0x0B, V_I16),
  S2("pabsb", 0x1C, V_I8), S2("pabsw", 0x1D, V_I16), S2("pabsd", 0x1E, V_I32),
  F0("palignr mm", 0, 3, 0x0F, MMX | IMM | SWEEP, V_I8), F0("palignr", 0x66, 3, 0x0F, MA | IMM | SWEEP, V_I8),
  /* shift by immediate */
#define SHI(nm, o, g, cls) FG(nm " mm,imm", 0, 1, o, g, MMX | NOMEM | IMM | SWEEP, cls), \
                           FG(nm " imm", 0x66, 1, o, g, NOMEM | IMM | SWEEP, cls)
  SHI("psrlw", 0x71, 2, V_I16), SHI("psraw", 0x71, 4, V_I16), SHI("psllw", 0x71, 6, V_I16),
  SHI("psrld", 0x72, 2, V_I32), SHI("psrad", 0x72, 4, V_I32), SHI("pslld", 0x72, 6, V_I32),
  SHI("psrlq", 0x73, 2, V_I64), SHI("psllq", 0x73, 6, V_I64),
  FG("psrldq", 0x66, 1, 0x73, 3, NOMEM | IMM | SWEEP, V_I8),
  FG("pslldq", 0x66, 1, 0x73, 7, NOMEM | IMM | SWEEP, V_I8),
  /* shuffles, PINSRW/PEXTRW */
  F0("pshufw", 0, 1, 0x70, MMX | IMM | SWEEP, V_I16), F0("pshufd", 0x66, 1, 0x70, MA | IMM | SWEEP, V_I32),
  F0("pshufhw", 0xF3, 1, 0x70, MA | IMM | SWEEP, V_I16), F0("pshuflw", 0xF2, 1, 0x70, MA | IMM | SWEEP, V_I16),
  F0("pinsrw mm", 0, 1, 0xC4, RMM | MGPR | IMM | SWEEP, V_I16), F0("pinsrw", 0x66, 1, 0xC4, MGPR | IMM | SWEEP, V_I16),
  F0("pextrw mm", 0, 1, 0xC5, RGPR | MMM | NOMEM | IMM | SWEEP, V_I16),
  F0("pextrw", 0x66, 1, 0xC5, RGPR | NOMEM | IMM | SWEEP, V_I16),
  /* SSE4.1 / 4.2 integer */
#define X1(nm, o, fl, cls) F0(nm, 0x66, 2, o, fl, cls)
  X1("pblendvb", 0x10, MA, V_I8), X1("ptest", 0x17, MA, V_MIX),
  X1("pmovsxbw", 0x20, 0, V_I8), X1("pmovsxbd", 0x21, 0, V_I8), X1("pmovsxbq", 0x22, 0, V_I8),
  X1("pmovsxwd", 0x23, 0, V_I16), X1("pmovsxwq", 0x24, 0, V_I16), X1("pmovsxdq", 0x25, 0, V_I32),
  X1("pmuldq", 0x28, MA, V_I32), X1("pcmpeqq", 0x29, MA, V_I64), X1("packusdw", 0x2B, MA, V_I32),
  X1("pmovzxbw", 0x30, 0, V_I8), X1("pmovzxbd", 0x31, 0, V_I8), X1("pmovzxbq", 0x32, 0, V_I8),
  X1("pmovzxwd", 0x33, 0, V_I16), X1("pmovzxwq", 0x34, 0, V_I16), X1("pmovzxdq", 0x35, 0, V_I32),
  X1("pcmpgtq", 0x37, MA, V_I64),
  X1("pminsb", 0x38, MA, V_I8), X1("pminsd", 0x39, MA, V_I32), X1("pminuw", 0x3A, MA, V_I16),
  X1("pminud", 0x3B, MA, V_I32), X1("pmaxsb", 0x3C, MA, V_I8), X1("pmaxsd", 0x3D, MA, V_I32),
  X1("pmaxuw", 0x3E, MA, V_I16), X1("pmaxud", 0x3F, MA, V_I32), X1("pmulld", 0x40, MA, V_I32),
  X1("phminposuw", 0x41, MA, V_I16),
  F0("pblendw", 0x66, 3, 0x0E, MA | IMM | SWEEP, V_I16), F0("mpsadbw", 0x66, 3, 0x42, MA | IMM | SWEEP, V_I8),
  F0("pextrb", 0x66, 3, 0x14, MGPR | IMM | SWEEP, V_I8), F0("pextrw r/m", 0x66, 3, 0x15, MGPR | IMM | SWEEP, V_I16),
  F0("pextrd", 0x66, 3, 0x16, MGPR | IMM | SWEEP, V_I32), F0("pextrq", 0x66, 3, 0x16, MGPR | W | IMM | SWEEP, V_I64),
  F0("pinsrb", 0x66, 3, 0x20, MGPR | IMM | SWEEP, V_I8), F0("pinsrd", 0x66, 3, 0x22, MGPR | IMM | SWEEP, V_I32),
  F0("pinsrq", 0x66, 3, 0x22, MGPR | W | IMM | SWEEP, V_I64),
  /* SSE4.2 strings and CRC32 */
  F0("pcmpestrm", 0x66, 3, 0x60, WS | IMM | SWEEP, V_STR8), F0("pcmpestri", 0x66, 3, 0x61, WS | IMM | SWEEP, V_STR8),
  F0("pcmpistrm", 0x66, 3, 0x62, IMM | SWEEP, V_STR8), F0("pcmpistri", 0x66, 3, 0x63, IMM | SWEEP, V_STR8),
  F0("pcmpestrm w", 0x66, 3, 0x60, WS | IMM | SWEEP, V_STR16), F0("pcmpestri w", 0x66, 3, 0x61, WS | IMM | SWEEP, V_STR16),
  F0("pcmpistrm w", 0x66, 3, 0x62, IMM | SWEEP, V_STR16), F0("pcmpistri w", 0x66, 3, 0x63, IMM | SWEEP, V_STR16),
  F0("pcmpestri64", 0x66, 3, 0x61, W | IMM | SWEEP, V_STR8), F0("pcmpestrm64", 0x66, 3, 0x60, W | IMM | SWEEP, V_STR8),
  /* a 66 prefix next to a mandatory F2/F3 is ignored */
  F0("addsd+66", 0xF2, 1, 0x58, FP | P66, V_F64), F0("movss+66", 0xF3, 1, 0x10, P66, V_MIX),
  F0("pshufhw+66", 0xF3, 1, 0x70, MA | IMM | P66, V_I16), F0("cvttsd2si+66", 0xF2, 1, 0x2C, RGPR | FP | P66, V_F64),
  F0("crc32 r32,r/m8", 0xF2, 2, 0xF0, RGPR | MGPR | BYTEREG, V_MIX),
  F0("crc32 r64,r/m8", 0xF2, 2, 0xF0, RGPR | MGPR | W, V_MIX),
  F0("crc32 r32,r/m16", 0xF2, 2, 0xF1, RGPR | MGPR | P66, V_MIX),
  F0("crc32 r32,r/m32", 0xF2, 2, 0xF1, RGPR | MGPR, V_MIX),
  F0("crc32 r64,r/m64", 0xF2, 2, 0xF1, RGPR | MGPR | W, V_MIX),
};
#define NFORMS (sizeof forms / sizeof forms[0])

/* ---- encoding ---------------------------------------------------------------- */
struct kase {
  uint8_t code[24];
  int len;
  int mem;
  unsigned reg, rm, disp, imm;
  int wx;           /* a REX.W the instruction ignores */
};
static int encode(const struct form *F, struct kase *k) {
  uint8_t *b = k->code;
  int n = 0;
  if (F->fl & P66) b[n++] = 0x66;
  if (F->pfx) b[n++] = F->pfx;
  unsigned reg = F->grp >= 0 ? (unsigned)F->grp : k->reg;
  unsigned rex = ((F->fl & W) || k->wx ? 8 : 0) | ((reg & 8) ? 4 : 0) | (!k->mem && (k->rm & 8) ? 1 : 0);
  if (rex) b[n++] = (uint8_t)(0x40 | rex);
  b[n++] = 0x0F;
  if (F->map == 2) b[n++] = 0x38;
  if (F->map == 3) b[n++] = 0x3A;
  b[n++] = F->opc;
  if (k->mem) { b[n++] = (uint8_t)(0x40 | (reg & 7) << 3 | 6); b[n++] = (uint8_t)k->disp; }
  else b[n++] = (uint8_t)(0xC0 | (reg & 7) << 3 | (k->rm & 7));
  if (F->fl & IMM) b[n++] = (uint8_t)k->imm;
  return k->len = n;
}

/* ---- the two executions -------------------------------------------------------- */
#define BUF 8192
#define WIN 512         /* bytes around the operands that are copied and compared */
static uint8_t hbuf[BUF] __attribute__((aligned(4096)));
static unsigned win;      /* offset of the window: 0, or just below a page end */
static unsigned wlen = WIN; /* its length (shorter when the next page is absent) */
static uint8_t *hcode;
static uint8_t gmem[BUF] __attribute__((aligned(16)));
enum { OK = 0, XM, GPF, UDF, PFLT, OTHER };
struct out {
  int fault;
  struct st s;
  uint8_t mem[WIN];
};

static sigjmp_buf hjb;
static volatile int hfault, in_host;
static struct st hfs;
static void on_sig(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  if (!in_host) {          /* a genuine crash of the test: no recovery */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  in_host = 0;
  hfault = sig == SIGFPE ? XM
         : sig == SIGSEGV ? (si->si_code == SEGV_MAPERR || si->si_code == SEGV_ACCERR ? PFLT : GPF)
         : sig == SIGBUS ? GPF : sig == SIGILL ? UDF : OTHER;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  memcpy(hfs.x, fp->_xmm, 256);
  for (int k = 0; k < 8; k++) memcpy(&hfs.mm[k], fp->_st[k].significand, 8);
  hfs.mxcsr = fp->mxcsr;
  static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                              REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
  for (int k = 0; k < 16; k++) hfs.r[k] = (uint64_t)uc->uc_mcontext.gregs[map[k]];
  hfs.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  siglongjmp(hjb, 1);
}
static void host_init(void) {
  if (hcode) return;
  hcode = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert(hcode != MAP_FAILED);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
}
static void host_run(const uint8_t *code, int len, const struct st *in, const uint8_t *mem,
                     struct out *o) {
  static struct st s;
  s = *in;
  memcpy(hcode, code, (size_t)len);
  hcode[len] = 0xC3;
  memcpy(hbuf + win, mem + win, wlen);
  hfault = OK;
  if (sigsetjmp(hjb, 1) == 0) {
    in_host = 1;
    fl_host_exec(&s, hcode);
    in_host = 0;
    o->fault = OK;
    o->s = s;
  } else {
    __builtin_ia32_ldmxcsr(0x1f80);
    __asm__ volatile("emms");
    o->fault = hfault;
    o->s = hfs;
    o->s.rflags = hfs.rflags;
  }
  o->s.r[RSP] = 0;
  memcpy(o->mem, hbuf + win, wlen);
}

static struct fx *FX;
static uint64_t tr_in(uint64_t v) {   /* host pointer -> guest pointer */
  uint64_t b = (uint64_t)(uintptr_t)hbuf;
  return v >= b && v < b + BUF ? v - b + FX_DATA : v;
}
static uint64_t tr_out(uint64_t v) {
  uint64_t b = (uint64_t)(uintptr_t)hbuf;
  return v >= FX_DATA && v < FX_DATA + BUF ? v - FX_DATA + b : v;
}
static void interp_run(const uint8_t *code, int len, const struct st *in, const uint8_t *mem,
                       struct out *o) {
  struct vcpu *c = fx_cpu(FX);
  for (int k = 0; k < 16; k++) if (k != RSP) c->r[k] = k == RSI || k == RDI ? tr_in(in->r[k]) : in->r[k];
  memcpy(c->xmm, in->x, sizeof in->x);
  for (int k = 0; k < 8; k++) { c->fpu.st[k].signif = in->mm[k]; c->fpu.st[k].signexp = 0xFFFF; }
  c->fpu.top = 0;
  c->fpu.ftw = 0;
  c->mxcsr = in->mxcsr;
  cpu_set_rflags(c, in->rflags);
  memcpy(fx_data(FX) + win, mem + win, wlen);
  int r = fx_exec(FX, code, (size_t)len);
  o->fault = r == CPU_EXIT_HLT ? OK
           : r != CPU_EXIT_EXCEPTION ? OTHER
           : c->exc.vector == EXC_XM ? XM
           : c->exc.vector == EXC_GP ? GPF
           : c->exc.vector == EXC_UD ? UDF
           : c->exc.vector == EXC_PF ? PFLT : OTHER;
  for (int k = 0; k < 16; k++) o->s.r[k] = k == RSI || k == RDI ? tr_out(c->r[k]) : c->r[k];
  o->s.r[RSP] = 0;
  memcpy(o->s.x, c->xmm, sizeof o->s.x);
  for (int k = 0; k < 8; k++) o->s.mm[k] = c->fpu.st[k].signif;
  o->s.mxcsr = c->mxcsr;
  o->s.rflags = cpu_get_rflags(c);
  memcpy(o->mem, fx_data(FX) + win, wlen);
}

/* ---- comparison ------------------------------------------------------------------ */
static int f32_close(uint32_t a, uint32_t b) {   /* RCP/RSQRT: both within 1.5*2^-12 */
  if (a == b) return 1;
  float x, y;
  memcpy(&x, &a, 4); memcpy(&y, &b, 4);
  if (x != x || y != y) return 0;
  if ((a & 0x7f800000u) == 0 && (b & 0x7f800000u) == 0) return (a >> 31) == (b >> 31); /* tiny band */
  if (x == 0 || y == 0 || __builtin_isinf(x) || __builtin_isinf(y)) return 0;
  double e = __builtin_fabs(((double)x - y) / y);
  return e <= 3.0 / 4096;
}
static long n_cases, n_fail;
static int compare(const char *name, const struct kase *k, const struct st *in,
                   const struct out *h, const struct out *v, int approx) {
  char why[160] = "";
  if (h->fault != v->fault) snprintf(why, sizeof why, "fault host %d interp %d", h->fault, v->fault);
  else if (h->s.mxcsr != v->s.mxcsr) snprintf(why, sizeof why, "mxcsr host %04x interp %04x (in %04x)", h->s.mxcsr, v->s.mxcsr, in->mxcsr);
  else if (h->fault == OK && ((h->s.rflags ^ v->s.rflags) & 0x8d5))
    snprintf(why, sizeof why, "rflags host %03llx interp %03llx", (unsigned long long)(h->s.rflags & 0x8d5),
             (unsigned long long)(v->s.rflags & 0x8d5));
  else {
    for (int r = 0; r < 16 && !why[0]; r++) {
      if (!memcmp(&h->s.x[r], &v->s.x[r], 16)) continue;
      int bad = 1;
      if (approx) {
        bad = 0;
        for (int l = 0; l < 4; l++) if (!f32_close(v->s.x[r].d[l], h->s.x[r].d[l])) bad = 1;
      }
      if (bad)
        snprintf(why, sizeof why, "xmm%d host %016llx%016llx interp %016llx%016llx", r,
                 (unsigned long long)h->s.x[r].q[1], (unsigned long long)h->s.x[r].q[0],
                 (unsigned long long)v->s.x[r].q[1], (unsigned long long)v->s.x[r].q[0]);
    }
    for (int r = 0; r < 8 && !why[0]; r++)
      if (h->s.mm[r] != v->s.mm[r])
        snprintf(why, sizeof why, "mm%d host %016llx interp %016llx", r,
                 (unsigned long long)h->s.mm[r], (unsigned long long)v->s.mm[r]);
    for (int r = 0; r < 16 && !why[0]; r++)
      if (h->s.r[r] != v->s.r[r])
        snprintf(why, sizeof why, "gpr%d host %016llx interp %016llx", r,
                 (unsigned long long)h->s.r[r], (unsigned long long)v->s.r[r]);
    if (!why[0] && memcmp(h->mem, v->mem, wlen)) snprintf(why, sizeof why, "memory differs");
  }
  n_cases++;
  if (!why[0]) return 1;
  if (n_fail++ < 60) {
    char hex[80] = "";
    for (int j = 0; j < k->len; j++) snprintf(hex + 3 * j, 4, "%02x ", k->code[j]);
    fprintf(stderr, "MISMATCH %s [%s] mem=%d reg=%u rm=%u disp=%u: %s\n", name, hex, k->mem, k->reg,
            k->rm, k->disp, why);
    if (k->mem) {
      uint64_t m[2];
      memcpy(m, gmem + win + k->disp, 16);
      fprintf(stderr, "  mem[disp] %016llx%016llx\n", (unsigned long long)m[1], (unsigned long long)m[0]);
    }
    unsigned r0 = k->reg & 15, r1 = k->rm & 15;
    fprintf(stderr, "  in: reg %016llx%016llx rm %016llx%016llx mxcsr %04x\n",
            (unsigned long long)in->x[r0].q[1], (unsigned long long)in->x[r0].q[0],
            (unsigned long long)in->x[r1].q[1], (unsigned long long)in->x[r1].q[0], in->mxcsr);
  }
  return 0;
}

/* ---- case generation ---------------------------------------------------------------- */
static const unsigned gprs[] = {0, 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15};

static void gen_state(const struct form *F, struct st *s, int unmasked) {
  int cls = F->cls;
  for (int r = 0; r < 16; r++) gen_vec(&s->x[r], cls);
  share(s->x, 16);
  for (int r = 0; r < 8; r++) { xmm_t t; gen_vec(&t, cls); s->mm[r] = t.q[rn(2)]; }
  for (int r = 0; r < 16; r++) s->r[r] = gen_int(rn(2) ? 8 : 4);
  if (cls == V_STR8 || cls == V_STR16) {
    static const int64_t lens[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, -1, -3, -8, -16, -17, 100, -100};
    for (int r = 0; r < 2; r++) {
      int64_t v = rn(6) ? lens[rn(sizeof lens / 8)] : (int64_t)gen_int(8);
      if (rn(4) == 0) v = (int64_t)((uint64_t)v ^ (rnd() << 32));   /* upper half noise */
      s->r[r ? RDX : RAX] = (uint64_t)v;
    }
  }
  uint64_t b = (uint64_t)(uintptr_t)hbuf;
  s->r[RSI] = b + win;
  s->r[RDI] = b + win + rn(64);
  s->r[RSP] = 0;
  s->rflags = 0x202 | (rnd() & 0x8d5);
  uint32_t m = (uint32_t)(rn(4) << 13) | 0x1f80;
  if (rn(4) == 0) m |= 1u << 15;
  if (rn(4) == 0) m |= 1u << 6;
  if (rn(4) == 0) m |= (uint32_t)(rnd() & 0x3f);
  if (unmasked) m &= ~(uint32_t)((rnd() & rnd()) & 0x1f80);
  s->mxcsr = m;
  for (unsigned o = 0; o < wlen; o += 16) gen_vec((xmm_t *)(gmem + win + o), cls);
  if (rn(2)) share((xmm_t *)(gmem + win), 16);
  for (int t = 0; t < 4; t++) memcpy(gmem + win + 16 * rn(16), &s->x[rn(16)], 16);
}

static void gen_kase(const struct form *F, struct kase *k, unsigned n) {
  int can_mem = !(F->fl & NOMEM), can_reg = !(F->fl & NOREG);
  k->mem = can_mem && (!can_reg || rn(3) == 0);
  k->reg = (F->fl & RGPR) ? gprs[rn(13)] : rn(16);
  k->rm = (F->fl & MGPR) ? gprs[rn(13)] : rn(16);
  if ((F->fl & BYTEREG) && rn(2)) { k->rm = 4 + rn(4); k->reg = gprs[rn(5)]; }  /* AH..BH */
  k->disp = (F->fl & MA) ? 16 * rn(8) : rn(128);
  k->imm = (F->fl & SWEEP) ? n & 255 : rn(256);
  k->wx = !(F->fl & (W | WS | MGPR | RGPR)) && rn(4) == 0;
  encode(F, k);
}

/* Run n cases of form F; returns the number of mismatches.  mutate: a
 * test-only change to the host side (see the mutation tests). */
typedef void (*mutator)(struct kase *k, struct st *s);
static long run_form(const struct form *F, unsigned n, int unmasked, mutator mut) {
  long fails0 = n_fail;
  static struct st in, hin;
  static struct out h, v;
  struct kase k;
  static uint8_t hmem[BUF] __attribute__((aligned(16)));
  for (unsigned j = 0; j < n; j++) {
    gen_state(F, &in, unmasked);
    gen_kase(F, &k, j);
    hin = in;
    memcpy(hmem + win, gmem + win, wlen);
    struct kase hk = k;
    if (mut) mut(&hk, &hin);
    host_run(hk.code, hk.len, &hin, hmem, &h);
    if (mut) h.s.mxcsr = (h.s.mxcsr & 0x3fu) | (in.mxcsr & ~0x3fu);  /* only the result differs */
    interp_run(k.code, k.len, &in, gmem, &v);
    compare(F->name, &k, &in, &h, &v, !!(F->fl & APPROX));
  }
  return n_fail - fails0;
}

static void setup(void) {
  host_init();
  FX = fx_new();
  rng_s = 0x9E3779B97F4A7C15ull;
  n_cases = n_fail = 0;
}
static void teardown(void) {
  if (FX) fx_free(FX);
  FX = NULL;
}
static int host_ok(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3");
}

TestSuite(sse, .init = setup, .fini = teardown, .timeout = 600);

/* all forms, all exceptions masked (random RC/FTZ/DAZ and sticky flags) */
Test(sse, differential_masked) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  for (unsigned f = 0; f < NFORMS; f++) {
    int str = forms[f].cls == V_STR8 || forms[f].cls == V_STR16;
    unsigned n = str ? 8192 : (forms[f].fl & SWEEP) ? 4096 : 3000;
    run_form(&forms[f], n, 0, NULL);
  }
  fprintf(stderr, "sse differential_masked: %u forms, %ld cases, %ld mismatches\n",
          (unsigned)NFORMS, n_cases, n_fail);
  cr_assert_eq(n_fail, 0, "%ld of %ld cases differ from the host", n_fail, n_cases);
}

/* floating-point forms with random exception masks cleared: #XM, flags
 * set on a fault (pre- vs post-computation) and the untouched destination */
Test(sse, differential_unmasked) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  unsigned nf = 0;
  for (unsigned f = 0; f < NFORMS; f++) {
    if (!(forms[f].fl & FP)) continue;
    nf++;
    run_form(&forms[f], 3000, 1, NULL);
  }
  fprintf(stderr, "sse differential_unmasked: %u forms, %ld cases, %ld mismatches\n", nf, n_cases,
          n_fail);
  cr_assert_eq(n_fail, 0, "%ld of %ld cases differ from the host", n_fail, n_cases);
}

/* misaligned 16-byte memory operands: #GP for the aligned forms, none for
 * MOVUPS/MOVDQU/LDDQU/PCMPxSTRx ... */
Test(sse, alignment) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  for (unsigned f = 0; f < NFORMS; f++) {
    const struct form *F = &forms[f];
    if (F->fl & NOMEM) continue;
    struct form G = *F;
    G.fl &= ~(uint32_t)(MA | NOREG);
    G.fl |= NOREG;
    for (int j = 0; j < 8; j++) {
      static struct st in;
      static struct out h, v;
      struct kase k;
      gen_state(&G, &in, 0);
      gen_kase(&G, &k, (unsigned)j);
      k.disp = 16 * rn(7) + 1 + rn(15);
      encode(&G, &k);
      host_run(k.code, k.len, &in, gmem, &h);
      interp_run(k.code, k.len, &in, gmem, &v);
      compare(F->name, &k, &in, &h, &v, !!(F->fl & APPROX));
      if (F->fl & MA) cr_expect_eq(v.fault, GPF, "%s: misaligned operand must #GP", F->name);
    }
  }
  fprintf(stderr, "sse alignment: %ld cases, %ld mismatches\n", n_cases, n_fail);
  cr_assert_eq(n_fail, 0);
}

/* memory operands crossing a page boundary: correct data with both pages
 * present; with the second page absent a #PF and nothing written */
Test(sse, page_cross) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  win = 4096 - 128;
  long cases0 = n_cases;
  for (int absent = 0; absent < 2; absent++) {
    if (absent) {
      wlen = 128;
      cr_assert_eq(mprotect(hbuf + 4096, 4096, PROT_NONE), 0);
      fx_unmap(FX, FX_DATA + 4096);
    }
    for (unsigned f = 0; f < NFORMS; f++) {
      const struct form *F = &forms[f];
      if (F->fl & (NOMEM | MA)) continue;
      struct form G = *F;
      G.fl |= NOREG;
      for (int j = 0; j < 24; j++) {
        static struct st in;
        static struct out h, v;
        struct kase k;
        gen_state(&G, &in, 0);
        gen_kase(&G, &k, (unsigned)rn(256));
        k.disp = 120 + rn(8);
        encode(&G, &k);
        host_run(k.code, k.len, &in, gmem, &h);
        interp_run(k.code, k.len, &in, gmem, &v);
        compare(F->name, &k, &in, &h, &v, !!(F->fl & APPROX));
      }
    }
    if (absent) {
      cr_assert_eq(mprotect(hbuf + 4096, 4096, PROT_READ | PROT_WRITE), 0);
      fx_map(FX, FX_DATA + 4096, 0x8000000000000007ull);   /* P W U NX */
    }
  }
  win = 0;
  wlen = WIN;
  fprintf(stderr, "sse page_cross: %ld cases, %ld mismatches\n", n_cases - cases0, n_fail);
  cr_assert_eq(n_fail, 0);
}

/* invalid encodings must #UD on both sides */
Test(sse, undefined) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  static const struct { uint8_t b[8]; int n; } bad[] = {
    {{0x0F, 0x73, 0xD8, 0x01}, 4},            /* PSRLDQ without 66 */
    {{0x0F, 0x73, 0xF8, 0x01}, 4},            /* PSLLDQ without 66 */
    {{0x66, 0x0F, 0x71, 0xC0, 0x01}, 5},      /* group /0 */
    {{0x0F, 0x6C, 0xC1}, 3},                  /* PUNPCKLQDQ mm */
    {{0x0F, 0x38, 0x17, 0xC1}, 4},            /* PTEST without 66 */
    {{0xF3, 0x0F, 0xF0, 0x06}, 4},            /* LDDQU with F3 */
    {{0xF2, 0x0F, 0xF0, 0xC1}, 4},            /* LDDQU register form */
    {{0x66, 0x0F, 0x2B, 0xC1}, 4},            /* MOVNTPD register form */
    {{0x0F, 0x50, 0x06}, 3},                  /* MOVMSKPS memory form */
    {{0xF0, 0x66, 0x0F, 0xFE, 0x06}, 5},      /* LOCK PADDD */
  };
  static struct st in;
  static struct out h, v;
  struct form F = F0("ud", 0, 1, 0, 0, V_MIX);
  for (unsigned j = 0; j < sizeof bad / sizeof bad[0]; j++) {
    struct kase k;
    memset(&k, 0, sizeof k);
    memcpy(k.code, bad[j].b, 8);
    k.len = bad[j].n;
    gen_state(&F, &in, 0);
    host_run(k.code, k.len, &in, gmem, &h);
    interp_run(k.code, k.len, &in, gmem, &v);
    cr_expect_eq(h.fault, UDF, "host: case %u", j);
    cr_expect_eq(v.fault, UDF, "interp: case %u", j);
  }
}

/* MMX <-> x87 aliasing: TOP = 0, all tags valid, exponent 0xFFFF on write;
 * EMMS empties the tags; SSE instructions leave the x87 state alone */
Test(sse, mmx_state) {
  struct vcpu *c = fx_cpu(FX);
  static const uint8_t paddb_mm[] = {0x0F, 0xFC, 0xCA};          /* paddb mm1, mm2 */
  c->fpu.top = 5; c->fpu.ftw = 0xFFFF;
  for (int k = 0; k < 8; k++) { c->fpu.st[k].signif = 0x0101010101010101ull * (unsigned)k; c->fpu.st[k].signexp = 0x3fff; }
  cr_assert_eq(fx_exec(FX, paddb_mm, sizeof paddb_mm), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.top, 0);
  cr_expect_eq(c->fpu.ftw, 0);
  cr_expect_eq(c->fpu.st[1].signif, 0x0303030303030303ull);
  cr_expect_eq(c->fpu.st[1].signexp, 0xFFFF);
  cr_expect_eq(c->fpu.st[2].signexp, 0x3fff);   /* sources keep theirs */
  static const uint8_t emms[] = {0x0F, 0x77};
  cr_assert_eq(fx_exec(FX, emms, sizeof emms), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.ftw, 0xFFFF);
  static const uint8_t movd[] = {0x0F, 0x6E, 0xD8};               /* movd mm3, eax */
  c->r[RAX] = 0x1234567887654321ull;
  c->fpu.top = 3;
  cr_assert_eq(fx_exec(FX, movd, sizeof movd), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.st[3].signif, 0x87654321ull);
  cr_expect_eq(c->fpu.top, 0);
  cr_expect_eq(c->fpu.ftw, 0);
  static const uint8_t addps[] = {0x0F, 0x58, 0xC1};              /* addps xmm0, xmm1 */
  c->fpu.top = 6; c->fpu.ftw = 0xFFF0;
  cr_assert_eq(fx_exec(FX, addps, sizeof addps), CPU_EXIT_HLT);
  cr_expect_eq(c->fpu.top, 6);
  cr_expect_eq(c->fpu.ftw, 0xFFF0);
}

/* ---- mutation checks: the comparison must catch deliberate errors -------------- */
static void mut_rc(struct kase *k, struct st *s) { (void)k; s->mxcsr ^= 1u << 13; }
static void mut_trunc(struct kase *k, struct st *s) {   /* CVTSS2SI -> CVTTSS2SI on the host */
  (void)s;
  for (int j = 0; j < k->len; j++) if (k->code[j] == 0x2D) { k->code[j] = 0x2C; break; }
}
static void mut_polarity(struct kase *k, struct st *s) {  /* PCMPISTRI imm8 ^ 0x10 */
  (void)s;
  k->code[k->len - 1] ^= 0x10;
}
static void mut_daz(struct kase *k, struct st *s) { (void)k; s->mxcsr ^= 1u << 6; }
static const struct form *form_named(const char *n) {
  for (unsigned f = 0; f < NFORMS; f++) if (!strcmp(forms[f].name, n)) return &forms[f];
  return NULL;
}
Test(sse, mutation_detected) {
  if (!host_ok()) cr_skip_test("host lacks SSE4.2");
  struct { const char *form; mutator m; } muts[] = {
    {"addps", mut_rc}, {"divsd", mut_rc}, {"cvtsi2ss64", mut_rc}, {"cvtss2si", mut_trunc},
    {"pcmpistri", mut_polarity}, {"mulps", mut_daz}, {"minss", mut_daz},
  };
  for (unsigned j = 0; j < sizeof muts / sizeof muts[0]; j++) {
    const struct form *F = form_named(muts[j].form);
    cr_assert(F, "%s", muts[j].form);
    long saved = n_fail;
    n_fail = 1000;                  /* keep the expected mismatches quiet */
    long bad = run_form(F, 1000, 0, muts[j].m);
    n_fail = saved;
    fprintf(stderr, "sse mutation %s/%u: %ld of 1000 cases caught\n", muts[j].form, j, bad);
    cr_expect_gt(bad, 0, "mutation %u of %s went unnoticed", j, muts[j].form);
  }
}
