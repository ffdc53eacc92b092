/* Differential integer tests: the case builder shared by the generators
 * (int_diff_alu.c, int_diff_shift.c, int_diff_mem.c, int_diff_flow.c,
 * int_diff_seq.c, int_diff_misc.c, int_diff_fault.c) and the harness
 * (test_int_diff.c): families, the SDM's undefined-flag rules, the
 * generation state and its RNG, operand values, operand and memory set-up
 * (int_diff_build.c). */
#ifndef FAULTLINE_TESTS_INT_DIFF_BUILD_H
#define FAULTLINE_TESTS_INT_DIFF_BUILD_H
#include <stddef.h>
#include <stdint.h>
#include "tests/unit/int_diff.h"
#include "tests/unit/int_diff_gen.h"

/* ---- undefined flags (SDM Vol. 2, "Flags Affected") ------------------- */
enum {
  U_NONE, U_LOGIC, U_MUL, U_DIV, U_BT, U_BSF, U_XZCNT, U_ANDN, U_BEXTR,
  U_BLS, U_BZHI, U__N
};
struct undef_rule { uint32_t undef; const char *rule; };
extern const struct undef_rule undef_rules[U__N];
/* count-dependent rules (count already masked to 5 or 6 bits) */
uint32_t undef_shift(unsigned op, unsigned sz, unsigned mcount);
uint32_t undef_shxd(unsigned sz, unsigned mcount);

/* ---- families (a Test each) ------------------------------------------- */
enum {
  FAM_ALU, FAM_UNARY, FAM_MUL, FAM_DIV, FAM_SHIFT, FAM_SHXD, FAM_BT, FAM_BSCNT,
  FAM_MOV, FAM_LEA, FAM_XCHG, FAM_COND, FAM_FLAGS, FAM_CONV, FAM_STACK,
  FAM_STRING, FAM_BMI, FAM_LAZY, FAM_SEQ, FAM_XPAGE, FAM_MISC, FAM_FAULT, FAM_UD, FAM__N
};
extern const char *fam_name[FAM__N];

/* ---- generation state ------------------------------------------------- */
struct id_gen {
  struct id_case *v;
  size_t n, cap;
  char (*form)[72];
  size_t nform, capform;
  unsigned forms[FAM__N], cases[FAM__N];
};
extern struct id_gen G;
extern uint64_t rs;          /* the generators' RNG state (gen_reset seeds it) */
extern int cur_fam;

static inline uint64_t rnd(void) { return id_rng(&rs); }
static inline unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* Start family fam: drop the cases and forms, seed the RNG. */
void gen_reset(int fam, uint64_t seed);
/* A new form (its name); the cases that follow belong to it. */
void form(const char *fmt, ...);
uint64_t rval64(void);
/* A new case with random GPRs, RSP near ID_STACK and random flags;
 * emit()/raw() append code, fin() adds it. */
struct id_case *nc(void);
void emit(struct id_case *c, const ins_t *x);
void raw(struct id_case *c, const uint8_t *b, int n);
void fin(struct id_case *c);
/* memory set-up operations (addresses in the data area) */
void mop_set(struct id_case *c, uint64_t addr, unsigned bytes, uint64_t v);
void mop_rep(struct id_case *c, uint64_t addr, unsigned esz, unsigned n, uint64_t v);
void mop_copy(struct id_case *c, uint64_t dst, uint64_t src, unsigned n);

static inline uint64_t smask(unsigned sz) { return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1; }

/* ---- operand values ---------------------------------------------------- */
#define NEDGE 16
uint64_t edge(unsigned sz, unsigned k);
uint64_t rval(unsigned sz);
void pairv(unsigned sz, unsigned k, uint64_t *a, uint64_t *b);
uint64_t onev(unsigned sz, unsigned k);
void setop(struct id_case *c, int r, unsigned sz, int leg8, uint64_t v);

/* ---- operands ----------------------------------------------------------- */
int pick_reg(int pool, uint32_t avoid);
int pick_op(int pool, uint32_t avoid, int leg8);
void pick_mem(struct id_case *c, ins_t *x, uint64_t target, uint32_t avoid,
              int lowregs, int allow67);
enum { K_REG, K_MEM, K_MEML };
typedef struct {
  unsigned sz;
  int leg8;            /* 8-bit without REX: 4..7 are AH..BH */
  int g, e;            /* reg operand, r/m register (NOREG: memory) */
  uint64_t ea;
} ops_t;
void size_pfx(ins_t *x, unsigned sz);
extern int g_hard_avoid;
void prep(struct id_case *c, ins_t *x, ops_t *o, unsigned sz, int kind,
          uint32_t avoid, int with_g, int toff);
int rtoff(void);
void set_e(struct id_case *c, const ops_t *o, uint64_t v);
void set_g(struct id_case *c, const ops_t *o, uint64_t v);
const char *kname(int kind);
const char *szn(unsigned sz);

/* ---- shared by several generators -------------------------------------- */
extern const unsigned SZ[4];
#define NPAIR (NEDGE * NEDGE + 64)
#define NONE_V (NEDGE + 64)
unsigned immsz_of(int opc_is_iz, unsigned sz);
uint64_t immv(unsigned isz, unsigned k);
void gen_eg(const char *nm, int map, int opc, unsigned sz, int kind, uint32_t undef,
            unsigned ncase, int pfx);
void gen_ei(int opc, int digit, unsigned sz, unsigned isz, int kind, uint32_t undef, unsigned ncase);
void gen_ai(int opc, unsigned sz, unsigned isz, uint32_t undef, unsigned ncase);
uint64_t flags_k(unsigned k);

/* ---- the generators, one per family ------------------------------------ */
void gen_alu(void);      /* int_diff_alu.c */
void gen_unary(void);
void gen_mul(void);
void gen_div(void);
void gen_bmi(void);
void gen_shift(void);    /* int_diff_shift.c */
void gen_shxd(void);
void gen_bt(void);
void gen_bscnt(void);
void gen_mov(void);      /* int_diff_mem.c */
void gen_lea(void);
void gen_xchg(void);
void gen_string(void);
void gen_cond(void);     /* int_diff_flow.c */
void gen_flags(void);
void gen_conv(void);
void gen_stack(void);
void gen_lazy(void);     /* int_diff_seq.c */
void gen_seq(void);
void gen_xpage(void);    /* int_diff_misc.c */
void gen_misc(void);
void gen_fault(void);    /* int_diff_fault.c */
void gen_ud(void);

#endif
