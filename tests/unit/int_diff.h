/* Differential integer-instruction tests: shared definitions.
 *
 * A case is one instruction (or a short sequence) as raw bytes plus the
 * initial GPRs, RFLAGS and memory.  The same bytes run natively on the host
 * CPU (int_diff_native.c: forked child, code at FX_CODE, data at FX_DATA,
 * both MAP_FIXED so every address is identical) and in the interpreter
 * (int_diff_interp.c: the cpu_fixture bare machine); the results (all GPRs,
 * RFLAGS, the memory windows, the fault vector) are compared with the flags
 * the SDM leaves undefined for that case masked out. */
#ifndef FAULTLINE_TESTS_INT_DIFF_H
#define FAULTLINE_TESTS_INT_DIFF_H
#include <stddef.h>
#include <stdint.h>
#include "tests/unit/cpu_fixture.h"

#define ID_MAXCODE 32

/* Memory layout inside the 64 KiB data area (offsets from FX_DATA). */
#define ID_MEMBASE_OFF 0x8000u        /* memory operands point around here */
#define ID_DWIN_OFF 0x7e00u           /* data window compared per case */
#define ID_DWIN_LEN 0x500u
#define ID_STACK_OFF 0xe000u          /* initial RSP for stack cases */
#define ID_SWIN_OFF 0xdd00u           /* stack window compared per case */
#define ID_SWIN_LEN 0x400u
#define ID_XWIN_LEN 256u              /* extra window (far BT offsets, area edges) */
#define ID_MEMBASE (FX_DATA + ID_MEMBASE_OFF)
#define ID_STACK (FX_DATA + ID_STACK_OFF)

/* Outcome: 0 = ran to the end; ID_FAULT|vector = exception; ID_CRASH =
 * the native child died (a harness problem, always a failure). */
#define ID_FAULT 0x100
#define ID_CRASH 0x1000

/* Memory set-up operations applied after the windows are filled. */
enum { MOP_NONE, MOP_SET, MOP_REP, MOP_COPY };
struct id_mop {
  uint8_t kind;
  uint8_t esz;          /* MOP_SET: bytes (1..8); MOP_REP: element size */
  uint16_t off;         /* destination offset in the data area */
  uint16_t off2;        /* MOP_COPY: source offset */
  uint16_t n;           /* MOP_REP: elements; MOP_COPY: bytes */
  uint64_t val;
};
#define ID_MAXMOP 4

struct id_case {
  uint8_t code[ID_MAXCODE];
  uint8_t len;
  uint16_t cofs;        /* code offset from FX_CODE (< 0x1000; the code area
                           is two pages, so an instruction may straddle) */
  uint8_t fam;          /* family index (int_diff_build.h) */
  uint8_t ud_only;      /* interpreter only: the SDM says #UD (or #GP) */
  uint8_t expect_vec;   /* for ud_only: the expected vector */
  uint8_t nmop;
  uint8_t mskip_len;    /* bytes of memory whose value is undefined */
  uint16_t mskip_off;
  uint16_t regskip;     /* GPRs whose value is undefined (bit per reg) */
  uint32_t form;        /* form index */
  uint32_t undef;       /* RFLAGS bits undefined for this case */
  uint32_t mseed;       /* seed of the window contents */
  int32_t xoff;         /* extra window offset in the data area, or -1 */
  uint64_t r[16];
  uint64_t fl;
  struct id_mop mop[ID_MAXMOP];
};

struct id_result {
  uint64_t r[16];
  uint64_t fl;
  uint64_t rip;         /* faulting RIP (faults only) */
  uint32_t outcome;
  uint8_t dwin[ID_DWIN_LEN];
  uint8_t swin[ID_SWIN_LEN];
  uint8_t xwin[ID_XWIN_LEN];
};

/* Fill the windows of the data area (host pointer `area`) for case c. */
void id_fill_case(uint8_t *area, const struct id_case *c);
/* Fill the whole data area with the batch pattern. */
void id_fill_area(uint8_t *area, uint32_t seed);
/* Copy the windows out of the data area. */
void id_grab(const uint8_t *area, const struct id_case *c, struct id_result *r);

/* Native: run cases [0, n) in forked children (batched); fills res[] and,
 * when area_out is not NULL, the whole data area after the batch.
 * Returns 0, or -1 when the harness could not be set up (message in
 * id_native_error). */
int id_native_batch(const struct id_case *cs, size_t n, struct id_result *res,
                    uint32_t area_seed, uint8_t *area_out);
extern char id_native_error[256];

/* Interpreter: same contract. */
struct id_interp;
struct id_interp *id_interp_new(void);
void id_interp_free(struct id_interp *ip);
void id_interp_batch(struct id_interp *ip, const struct id_case *cs, size_t n,
                     struct id_result *res, uint32_t area_seed,
                     uint8_t *area_out);

/* xorshift64* */
static inline uint64_t id_rng(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

#endif
