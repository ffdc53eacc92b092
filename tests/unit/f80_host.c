/* x87 tests: the HOST x87 as the oracle (declared in f80_host.h).  Each
 * function runs one instruction on the host (fninit, fldcw with the given
 * control word, the operands loaded with fldt/flds/...) and returns the
 * status word (fnstsw), the result(s) stored with fstpt. */
#include "tests/unit/f80_host.h"

typedef struct __attribute__((packed)) { uint64_t m; uint16_t se; } m80;
static m80 to_m(f80_t a) { m80 r = {a.signif, a.signexp}; return r; }
static f80_t of_m(m80 a) { f80_t r = {a.m, a.se}; return r; }

#define CLOB "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

/* ---- host oracle ------------------------------------------------------ */
/* ST0 = a, ST1 = b, INSN, result = ST0 */
#define H2(NAME, INSN)                                                     \
  uint16_t NAME(uint16_t cw, f80_t a, f80_t b, f80_t *r) {                 \
    m80 A = to_m(a), B = to_m(b), R;                                       \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" \
                     INSN "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\t"   \
                     "fninit"                                              \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
H2(h_add, "fadd %%st(1), %%st")
H2(h_sub, "fsub %%st(1), %%st")
H2(h_mul, "fmul %%st(1), %%st")
H2(h_div, "fdiv %%st(1), %%st")
H2(h_scale, "fscale")
H2(h_prem, "fprem")
H2(h_prem1, "fprem1")
/* ST1 = a (y), ST0 = b (x); INSN pops, result = ST0 */
#define H2P(NAME, INSN)                                                    \
  uint16_t NAME(uint16_t cw, f80_t y, f80_t x, f80_t *r) {                 \
    m80 A = to_m(y), B = to_m(x), R;                                       \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfldt %[b]\n\t" \
                     INSN "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\t"   \
                     "fninit"                                              \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
H2P(h_atan, "fpatan")
H2P(h_yl2x, "fyl2x")
H2P(h_yl2xp1, "fyl2xp1")
/* one operand, one result */
#define H1(NAME, INSN)                                                     \
  uint16_t NAME(uint16_t cw, f80_t a, f80_t *r) {                          \
    m80 A = to_m(a), R;                                                    \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN         \
                     "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfninit"  \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [a] "m"(A)                            \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
H1(h_sqrt, "fsqrt")
H1(h_rndint, "frndint")
H1(h_sin, "fsin")
H1(h_cos, "fcos")
H1(h_f2xm1, "f2xm1")
/* one operand, two results: r0 = ST0, r1 = ST1 (IM masked only) */
#define H12(NAME, INSN)                                                    \
  uint16_t NAME(uint16_t cw, f80_t a, f80_t *r0, f80_t *r1) {              \
    m80 A = to_m(a), R0, R1;                                               \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN         \
                     "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[r0]\n\t"       \
                     "fstpt %[r1]\n\tfninit"                               \
                     : [sw] "=m"(sw), [r0] "=m"(R0), [r1] "=m"(R1)         \
                     : [cw] "m"(cw), [a] "m"(A)                            \
                     : CLOB);                                              \
    *r0 = of_m(R0);                                                        \
    *r1 = of_m(R1);                                                        \
    return sw;                                                             \
  }
H12(h_xtract, "fxtract")
H12(h_sincos, "fsincos")
H12(h_ptan, "fptan")

/* compares: ST0 = a, ST1 = b */
#define HC(NAME, INSN)                                                     \
  uint16_t NAME(uint16_t cw, f80_t a, f80_t b) {                           \
    m80 A = to_m(a), B = to_m(b);                                          \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" \
                     INSN "\n\tfnstsw %[sw]\n\tfninit"                     \
                     : [sw] "=m"(sw)                                       \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB);                                              \
    return sw;                                                             \
  }
HC(h_fcom, "fcom %%st(1)")
HC(h_fucom, "fucom %%st(1)")
HC(h_ftst, "ftst")
HC(h_fxam, "fxam")
#define HCI(NAME, INSN)                                                    \
  uint16_t NAME(uint16_t cw, f80_t a, f80_t b, uint8_t *fl) {              \
    m80 A = to_m(a), B = to_m(b);                                          \
    uint16_t sw;                                                           \
    uint8_t zf, pf, cf;                                                    \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" \
                     INSN "\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]\n\t" \
                     "fnstsw %[sw]\n\tfninit"                              \
                     : [sw] "=m"(sw), [zf] "=m"(zf), [pf] "=m"(pf),        \
                       [cf] "=m"(cf)                                       \
                     : [cw] "m"(cw), [a] "m"(A), [b] "m"(B)                \
                     : CLOB, "cc");                                        \
    *fl = (uint8_t)(zf << 2 | pf << 1 | cf);                              \
    return sw;                                                             \
  }
HCI(h_fcomi, "fcomi %%st(1), %%st")
HCI(h_fucomi, "fucomi %%st(1), %%st")

/* stores from ST0 = a into memory (prefilled with a sentinel) */
#define HS(NAME, T, INSN)                                                  \
  uint16_t NAME(uint16_t cw, f80_t a, T *o) {                              \
    m80 A = to_m(a);                                                       \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN         \
                     " %[o]\n\tfnstsw %[sw]\n\tfninit"                     \
                     : [sw] "=m"(sw), [o] "+m"(*o)                         \
                     : [cw] "m"(cw), [a] "m"(A)                            \
                     : CLOB);                                              \
    return sw;                                                             \
  }
HS(h_fist16, int16_t, "fists")
HS(h_fist32, int32_t, "fistl")
HS(h_fist64, int64_t, "fistpll")
HS(h_fistt16, int16_t, "fisttps")
HS(h_fistt32, int32_t, "fisttpl")
HS(h_fistt64, int64_t, "fisttpll")
HS(h_fst32, uint32_t, "fsts")
HS(h_fst64, uint64_t, "fstl")
HS(h_fbstp, bcd_t, "fbstp")
/* loads from memory into ST0 */
#define HL(NAME, T, INSN)                                                  \
  uint16_t NAME(uint16_t cw, T v, f80_t *r) {                              \
    m80 R;                                                                 \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" INSN " %[v]\n\t"          \
                     "fnstsw %[sw]\n\tfnclex\n\tfstpt %[r]\n\tfninit"      \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw), [v] "m"(v)                            \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
HL(h_fld32, uint32_t, "flds")
HL(h_fld64, uint64_t, "fldl")
HL(h_fild64, int64_t, "fildll")
HL(h_fbld, bcd_t, "fbld")
#define HK(NAME, INSN)                                                     \
  uint16_t NAME(uint16_t cw, f80_t *r) {                                   \
    m80 R;                                                                 \
    uint16_t sw;                                                           \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" INSN "\n\t"               \
                     "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"                \
                     : [sw] "=m"(sw), [r] "=m"(R)                          \
                     : [cw] "m"(cw)                                        \
                     : CLOB);                                              \
    *r = of_m(R);                                                          \
    return sw;                                                             \
  }
HK(h_fld1, "fld1")
HK(h_fldl2t, "fldl2t")
HK(h_fldl2e, "fldl2e")
HK(h_fldpi, "fldpi")
HK(h_fldlg2, "fldlg2")
HK(h_fldln2, "fldln2")
HK(h_fldz, "fldz")
