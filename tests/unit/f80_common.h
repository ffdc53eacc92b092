/* x87 tests (test_f80.c, test_x87.c): shared helpers (f80_common.c).
 * A seeded xorshift (seed() per Test) and operand generators biased toward
 * edges; bitwise and within-1-ulp comparison; the per-Test counters. */
#ifndef FAULTLINE_TESTS_F80_COMMON_H
#define FAULTLINE_TESTS_F80_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include "cpu-x86/f80.h"

/* ---- operands ---------------------------------------------------------- */
void seed(uint64_t s);           /* -DSEED_OFFSET=k: another stream */
uint64_t r64(void);
unsigned rn(unsigned n);
uint64_t gsig(void);             /* significand, low bits at a rounding point */
f80_t gen(int kind);             /* kind: 0 anything, 1 finite numbers mostly */
f80_t gen_b(f80_t a, int kind);  /* related to a (close exponents) or not */

/* ---- comparison -------------------------------------------------------- */
extern const uint16_t RCS[4];    /* rounding control values of the CW */
extern const uint16_t PCS[3];    /* precision control values of the CW */
#define FLAGS (F80_IE | F80_DE | F80_ZE | F80_OE | F80_UE | F80_PE)
extern int shown;                /* mismatches printed so far */
extern long ncases;
/* each Test runs in its own process: report its own count */
#define DONE(bad)                                                        \
  do {                                                                   \
    fprintf(stderr, "%s: %ld cases, %d mismatches\n", __func__, ncases,   \
            (int)(bad));                                                 \
    cr_assert_eq((bad), 0);                                              \
  } while (0)

int same(f80_t a, f80_t b);      /* bit for bit */
#define ULP_BOUND 1
int close_enough(f80_t g, f80_t w);   /* same, or finite and within ULP_BOUND */

#endif
