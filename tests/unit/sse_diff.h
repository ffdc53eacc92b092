/* SSE differential tests (test_sse.c): shared definitions.  The machine
 * state both sides load and store, the seeded value generators
 * (sse_values.c), the instruction forms and their encoder (sse_forms.c),
 * and the two executions, host and interpreter (sse_exec.c). */
#ifndef FAULTLINE_TESTS_SSE_DIFF_H
#define FAULTLINE_TESTS_SSE_DIFF_H
#include <stdint.h>
#include "tests/unit/cpu_fixture.h"

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

/* ---- RNG (xorshift, seeded by the suite's setup) ------------------------ */
extern uint64_t rng_s;
static inline uint64_t rnd(void) {
  uint64_t x = rng_s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return rng_s = x;
}
static inline unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- value classes (sse_values.c) -------------------------------------- */
enum { V_MIX, V_F32, V_F64, V_I8, V_I16, V_I32, V_I64, V_STR8, V_STR16, V_SH };
uint32_t gen_f32(void);
uint64_t gen_f64(void);
uint64_t gen_int(unsigned esz);
void gen_vec(xmm_t *v, int cls);
/* copy lanes between vectors so that compares/matches/cancellations occur */
void share(xmm_t *v, int n);

/* ---- instruction forms (sse_forms.c) ----------------------------------- */
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
extern const struct form forms[];
extern const unsigned nforms;
#define NFORMS nforms

/* ---- encoding ----------------------------------------------------------- */
struct kase {
  uint8_t code[24];
  int len;
  int mem;
  unsigned reg, rm, disp, imm;
  int wx;           /* a REX.W the instruction ignores */
};
/* Encode k (registers, [rsi+disp8] or register form, imm8) as form F:
 * fills k->code, returns and sets k->len. */
int encode(const struct form *F, struct kase *k);

/* ---- the two executions (sse_exec.c) ------------------------------------ */
#define BUF 8192
#define WIN 512         /* bytes around the operands that are copied and compared */
extern uint8_t hbuf[BUF];   /* the host's data buffer (page aligned) */
extern unsigned win;        /* offset of the window: 0, or just below a page end */
extern unsigned wlen;       /* its length (shorter when the next page is absent) */
extern struct fx *FX;       /* the interpreter's machine */
enum { OK = 0, XM, GPF, UDF, PFLT, OTHER };
struct out {
  int fault;
  struct st s;
  uint8_t mem[WIN];
};
/* Map the host code page and install the signal handlers (once). */
void host_init(void);
/* Run code natively / in the interpreter from state in and memory
 * mem[win, win + wlen); o gets the state, the window and the fault kind. */
void host_run(const uint8_t *code, int len, const struct st *in, const uint8_t *mem,
              struct out *o);
void interp_run(const uint8_t *code, int len, const struct st *in, const uint8_t *mem,
                struct out *o);

#endif
