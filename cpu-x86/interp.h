/* Internal interface of the interpreter, shared by the decoder and the
 * instruction-family files (alu.c, ctl.c, string.c, x87.c, sse*.c ...).
 *
 * Handlers:  const insn_t *handler(struct vcpu *c, const insn_t *i)
 * return i + 1 to continue in the block, or NULL to leave it (after setting
 * c->rip).  Exceptions never return: cpu_raise() longjmps to cpu_run(). */
#ifndef FAULTLINE_CPU_X86_INTERP_H
#define FAULTLINE_CPU_X86_INTERP_H
#include <string.h>
#include "cpu-x86/cpu.h"
#include "traces/recorder.h"

typedef struct insn insn_t;
typedef const insn_t *(*insn_fn)(struct vcpu *c, const insn_t *i);

/* One decoded instruction (decode once; DESIGN.md "Speed"). */
struct insn {
  insn_fn fn;
  uint64_t next_rip;         /* virtual address after the instruction */
  int64_t disp;              /* displacement; RIP-relative: absolute target */
  uint64_t imm;              /* immediate, sign-extended where the op does */
  uint8_t len;
  uint8_t opsz;              /* operand size in bytes: 1 2 4 8 (16 for SSE) */
  uint8_t base, index;       /* GPR numbers or R_ZERO */
  uint8_t scale;             /* shift count 0..3 */
  uint8_t seg;               /* segment prefix index (0 = none, 4 FS, 5 GS) */
  uint8_t reg;               /* ModRM.reg (+REX.R): register operand */
  uint8_t rm;                /* ModRM.rm (+REX.B): register form operand */
  uint8_t reg8, rm8;         /* byte-register codes (see R8P) */
  uint8_t mod3;              /* ModRM.mod == 3 (register form) */
  uint8_t asz;               /* address size 4 or 8 */
  uint8_t rep;               /* 0, 0xF2 or 0xF3 */
  uint8_t lock;
  uint8_t map;               /* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
  uint8_t opc;               /* opcode byte */
  uint8_t modrm;             /* raw ModRM byte (0 if none) */
  uint8_t pfx;               /* mandatory prefix class: 0 none 1 66 2 F3 3 F2 */
  uint8_t vvvv;              /* VEX.vvvv (register number, un-inverted) */
  uint8_t vexl, vexw, vex;   /* VEX.L, VEX.W, 1 when VEX-encoded */
  uint8_t rexw;
  uint8_t cls;               /* cost class (CC_*): block-table entries of traces */
  uint16_t imm2;             /* ENTER's second immediate */
  uint32_t cost;             /* base cycles of this instruction class */
};

/* Byte register code: low nibble = GPR, +16 = high byte (AH..BH). */
#define R8P(c, code) ((uint8_t *)&(c)->r[(code) & 15] + ((code) >> 4))

/* ---- exceptions ------------------------------------------------------- */
_Noreturn void cpu_raise(struct vcpu *c, int vector, int has_err, uint32_t err);
_Noreturn void cpu_raise_pf(struct vcpu *c, uint64_t va, uint32_t pfec);
#define UD(c) cpu_raise((c), EXC_UD, 0, 0)
/* the block stops after i (which retired): run.c */
void cpu_stop_after(struct vcpu *c, const insn_t *i);
#define GP0(c) cpu_raise((c), EXC_GP, 1, 0)

/* ---- effective addresses ---------------------------------------------- */
static inline uint64_t ea_of(const struct vcpu *c, const insn_t *i) {
  uint64_t a = (uint64_t)i->disp + c->r[i->base] + (c->r[i->index] << i->scale);
  if (i->asz == 4) a = (uint32_t)a;
  return a + c->segbase[i->seg];
}

/* [base + disp] with 64-bit addressing, no index and no segment prefix:
 * what most memory operands are.  The hottest fast forms have a _bd
 * variant computing it so (decode picks them: op_ea_form). */
static inline uint64_t ea_bd(const struct vcpu *c, const insn_t *i) {
  return (uint64_t)i->disp + c->r[i->base];
}

/* ---- memory ----------------------------------------------------------- */
/* Slow paths (mem.c): translate with a full walk, raise #PF/#GP, handle
 * page-crossing accesses and writes to frames holding decoded code.  kind
 * is the reference's (REF_LOAD, REF_STORE, REF_RMW: traces/recorder.h). */
uint8_t *mem_slow(struct vcpu *c, uint64_t va, unsigned size, uint32_t acc);
void mem_read_slow(struct vcpu *c, uint64_t va, void *dst, unsigned size);
void mem_write_slow(struct vcpu *c, uint64_t va, const void *src, unsigned size);
/* Read+write access for RMW instructions: returns a pointer to operate on
 * in place; call mem_rmw_done() after the store (page-crossing case). */
uint8_t *mem_rmw_slow(struct vcpu *c, uint64_t va, unsigned size);
void mem_rmw_flush(struct vcpu *c);
/* What a TLB hit does besides the hit when c->hit_extra says so: the
 * reference to the recorder (and the re-run instruction's accounting). */
void mem_hit_hook(struct vcpu *c, uint64_t va, unsigned size, unsigned kind);

static inline int crosses(uint64_t va, unsigned size) {
  return ((va & 0xfff) + size) > 0x1000;
}

static inline uint32_t cur_pcid(const struct vcpu *c) { return c->pcid; }

/* The TLB-hit path makes one test besides the hit (hit_extra: zero unless
 * the data-cache model is on or a trace is being recorded). */
static inline __attribute__((always_inline)) void mem_hit_extra(struct vcpu *c, const uint8_t *p, uint64_t va,
                                                                unsigned size, unsigned kind) {
  if (__builtin_expect(c->hit_extra != 0, 0)) {
    if (c->dcache)
      c->cycles += cache_access_range(c->dcache, (uint64_t)(p - c->host_base), size, kind != REF_LOAD);
    if (c->hit_extra & HIT_HOOK) mem_hit_hook(c, va, size, kind);
  }
}


/* The full probe of the L1 DTLBs: the 4K level (stamping its LRU order),
 * then the 2M one, and what hit_extra asks for.  NULL: a miss (or
 * rights), for the slow path.  Inline: the data-cache model's every
 * access takes it. */
static inline __attribute__((always_inline)) uint8_t *mem_r_ptr_full(struct vcpu *c, uint64_t va, unsigned size) {
  uint8_t *p;
  if (!crosses(va, size) && (p = tlb_hit(&c->tlb.l1d, va, cur_pcid(c), NEED_UR)) != NULL) {
    c->cycles += c->tlb.l1d.latency;
    mem_hit_extra(c, p, va, size, REF_LOAD);
    return p;
  }
  /* a 2M page: its own L1 level, probed after the 4K one */
  if (!crosses(va, size) && (p = tlb_hit_sz(&c->tlb.l1d2m, va, cur_pcid(c), NEED_UR)) != NULL) {
    c->cycles += c->tlb.l1d.latency;
    mem_hit_extra(c, p, va, size, REF_LOAD);
    return p;
  }
  return NULL;
}

static inline __attribute__((always_inline)) uint8_t *mem_w_ptr_full(struct vcpu *c, uint64_t va, unsigned size, unsigned kind) {
  uint8_t *p;
  if (!crosses(va, size) && (p = tlb_hit(&c->tlb.l1d, va, cur_pcid(c), NEED_UW)) != NULL) {
    c->cycles += c->tlb.l1d.latency;
    mem_hit_extra(c, p, va, size, kind);
    return p;
  }
  if (!crosses(va, size) && (p = tlb_hit_sz(&c->tlb.l1d2m, va, cur_pcid(c), NEED_UW)) != NULL) {
    c->cycles += c->tlb.l1d.latency;
    mem_hit_extra(c, p, va, size, kind);
    return p;
  }
  return NULL;
}

/* The TLB-hit path (issue 22): the hinted 4K entry, when a hit asks for
 * nothing else than extra says (hit_extra), is the whole of what the full
 * probe does on a hit there: the LRU stamp (the teaching view draws it),
 * the hit counted, the level's latency charged, and with the data caches
 * on (extra HIT_DCACHE) the access's cache lookup, as mem_hit_extra makes
 * it.  True with *p on such a hit; false, with nothing done, else.  A
 * store or read-modify-write is what needs W (NEED_UW). */
static inline __attribute__((always_inline)) bool probe_l1d(struct vcpu *c, uint64_t va, unsigned size,
                                                            uint32_t need, uint8_t **p, const uint8_t extra) {
  struct tlb_level *t = &c->tlb.l1d;
  struct tlb_entry *m = t->hint[(va >> 12) & 63];
  if (__builtin_expect(c->hit_extra == extra && !crosses(va, size) && m->tag == tlb_tag(va, cur_pcid(c)) &&
                       (m->perm & need) == need, 1)) {
    m->stamp = ++t->clock;
    t->fast_hits++;
    c->cycles += t->latency;
    *p = (uint8_t *)(intptr_t)((int64_t)va + m->addend);
    if (extra == HIT_DCACHE) {
      uint64_t pa = (uint64_t)(*p - c->host_base);
      c->cycles += ((pa & (CACHE_LINE_SIZE - 1)) + size <= CACHE_LINE_SIZE)
                   ? cache_access(c->dcache, pa, need == NEED_UW)   /* (one line: cache_access_range's first) */
                   : cache_access_range(c->dcache, pa, size, need == NEED_UW);
    }
    return true;
  }
  return false;
}
static inline __attribute__((always_inline)) bool probe_fast(struct vcpu *c, uint64_t va, unsigned size,
                                                             uint32_t need, uint8_t **p) {
  return probe_l1d(c, va, size, need, p, 0);
}
/* the fast forms' _dc variants: decoded while the data caches are on */
static inline __attribute__((always_inline)) bool probe_fast_dc(struct vcpu *c, uint64_t va, unsigned size,
                                                                uint32_t need, uint8_t **p) {
  return probe_l1d(c, va, size, need, p, HIT_DCACHE);
}
/* A handler's fast form: its whole work when probe_fast hits, else a tail
 * call of its general form, which starts the instruction over (nothing
 * was done): the fast form is a leaf, with no registers to save. */
#define GENERAL_FORM static __attribute__((noinline)) const insn_t *

static inline __attribute__((always_inline)) uint8_t *mem_r_ptr(struct vcpu *c, uint64_t va, unsigned size) {
  uint8_t *p;
  if (probe_fast(c, va, size, NEED_UR, &p)) return p;
  return mem_r_ptr_full(c, va, size);
}

static inline __attribute__((always_inline)) uint8_t *mem_w_ptr_k(struct vcpu *c, uint64_t va, unsigned size,
                                                                  unsigned kind) {
  uint8_t *p;
  if (probe_fast(c, va, size, NEED_UW, &p)) return p;
  return mem_w_ptr_full(c, va, size, kind);
}
static inline __attribute__((always_inline)) uint8_t *mem_w_ptr(struct vcpu *c, uint64_t va, unsigned size) {
  return mem_w_ptr_k(c, va, size, REF_STORE);
}

#define DEF_RD(bits, type)                                                  \
  static inline type rd##bits(struct vcpu *c, uint64_t va) {                \
    type v;                                                                 \
    uint8_t *p = mem_r_ptr(c, va, sizeof(type));                           \
    if (__builtin_expect(p != NULL, 1)) memcpy(&v, p, sizeof v);           \
    else mem_read_slow(c, va, &v, sizeof v);                               \
    return v;                                                               \
  }                                                                         \
  static inline void wr##bits(struct vcpu *c, uint64_t va, type v) {        \
    uint8_t *p = mem_w_ptr(c, va, sizeof(type));                           \
    if (__builtin_expect(p != NULL, 1)) memcpy(p, &v, sizeof v);           \
    else mem_write_slow(c, va, &v, sizeof v);                              \
  }                                                                         \
  /* for general forms (GENERAL_FORM): probe_fast already failed */         \
  static inline type rd##bits##_full(struct vcpu *c, uint64_t va) {         \
    type v;                                                                 \
    uint8_t *p = mem_r_ptr_full(c, va, sizeof(type));                      \
    if (p != NULL) memcpy(&v, p, sizeof v);                                \
    else mem_read_slow(c, va, &v, sizeof v);                               \
    return v;                                                               \
  }                                                                         \
  static inline void wr##bits##_full(struct vcpu *c, uint64_t va, type v) { \
    uint8_t *p = mem_w_ptr_full(c, va, sizeof(type), REF_STORE);           \
    if (p != NULL) memcpy(p, &v, sizeof v);                                \
    else mem_write_slow(c, va, &v, sizeof v);                              \
  }
DEF_RD(8, uint8_t)
DEF_RD(16, uint16_t)
DEF_RD(32, uint32_t)
DEF_RD(64, uint64_t)
#undef DEF_RD

static inline void rdmem(struct vcpu *c, uint64_t va, void *dst, unsigned n) {
  uint8_t *p = mem_r_ptr(c, va, n);
  if (p) memcpy(dst, p, n); else mem_read_slow(c, va, dst, n);
}
static inline void wrmem(struct vcpu *c, uint64_t va, const void *src,
                         unsigned n) {
  uint8_t *p = mem_w_ptr(c, va, n);
  if (p) memcpy(p, src, n); else mem_write_slow(c, va, src, n);
}
/* In-place read-modify-write (both checks before any write). */
static inline uint8_t *rmw_ptr_full(struct vcpu *c, uint64_t va, unsigned n) {
  uint8_t *p = mem_w_ptr_full(c, va, n, REF_RMW);
  return p ? p : mem_rmw_slow(c, va, n);
}
static inline uint8_t *rmw_ptr(struct vcpu *c, uint64_t va, unsigned n) {
  uint8_t *p = mem_w_ptr_k(c, va, n, REF_RMW);
  return p ? p : mem_rmw_slow(c, va, n);
}
static inline void rmw_done(struct vcpu *c, uint8_t *p) {
  if (__builtin_expect(p == c->bounce, 0)) mem_rmw_flush(c);
}

/* Stack */
static inline void push64(struct vcpu *c, uint64_t v) {
  wr64(c, c->r[RSP] - 8, v);
  c->r[RSP] -= 8;
}
static inline uint64_t pop64(struct vcpu *c) {
  uint64_t v = rd64(c, c->r[RSP]);
  c->r[RSP] += 8;
  return v;
}

/* ---- operand helpers (size in bytes) ---------------------------------- */
static inline uint64_t size_mask(unsigned sz) {
  return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1;
}
/* Write a GPR with x86-64 rules: 32-bit writes zero-extend, 8/16 merge. */
static inline void set_reg(struct vcpu *c, unsigned r, unsigned sz, uint64_t v) {
  switch (sz) {
  case 8: c->r[r] = v; break;
  case 4: c->r[r] = (uint32_t)v; break;
  case 2: c->r[r] = (c->r[r] & ~0xffffull) | (v & 0xffff); break;
  default: *R8P(c, r) = (uint8_t)v; break;
  }
}
static inline uint64_t sext(uint64_t v, unsigned sz) {
  switch (sz) {
  case 1: return (uint64_t)(int64_t)(int8_t)v;
  case 2: return (uint64_t)(int64_t)(int16_t)v;
  case 4: return (uint64_t)(int64_t)(int32_t)v;
  default: return v;
  }
}
/* Generic r/m operand access by size (slower; for less hot handlers). */
uint64_t get_rm(struct vcpu *c, const insn_t *i, unsigned sz);
void put_rm(struct vcpu *c, const insn_t *i, unsigned sz, uint64_t v);
uint64_t get_reg(struct vcpu *c, const insn_t *i, unsigned sz);
void put_reg(struct vcpu *c, const insn_t *i, unsigned sz, uint64_t v);
static inline uint64_t ld_sz_full(struct vcpu *c, uint64_t va, unsigned sz) {
  switch (sz) {
  case 1: return rd8_full(c, va);
  case 2: return rd16_full(c, va);
  case 4: return rd32_full(c, va);
  default: return rd64_full(c, va);
  }
}
static inline uint64_t ld_sz(struct vcpu *c, uint64_t va, unsigned sz) {
  switch (sz) {
  case 1: return rd8(c, va);
  case 2: return rd16(c, va);
  case 4: return rd32(c, va);
  default: return rd64(c, va);
  }
}
static inline void st_sz(struct vcpu *c, uint64_t va, unsigned sz, uint64_t v) {
  switch (sz) {
  case 1: wr8(c, va, (uint8_t)v); break;
  case 2: wr16(c, va, (uint16_t)v); break;
  case 4: wr32(c, va, (uint32_t)v); break;
  default: wr64(c, va, v); break;
  }
}

/* ---- flags (flags.c) -------------------------------------------------- */
enum { LF_NONE, LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC };
static inline unsigned szi(unsigned sz) {   /* 1,2,4,8 -> 0..3 */
  return sz == 8 ? 3 : sz == 4 ? 2 : sz == 2 ? 1 : 0;
}
static inline void lf_set(struct vcpu *c, unsigned op, unsigned sz,
                          uint64_t res, uint64_t dst, uint64_t src) {
  c->lf_op = op | szi(sz) << 8;
  c->lf_res = res;
  c->lf_dst = dst;
  c->lf_src = src;
}
uint64_t flags_get(struct vcpu *c);            /* materialized RFLAGS */
void flags_set_arith(struct vcpu *c, uint32_t f);  /* set CF..OF eagerly */
int flags_cf(struct vcpu *c);
int cond_true(struct vcpu *c, unsigned cc);    /* Jcc/SETcc/CMOVcc */

/* cond_true inline, for a condition known where it is compiled (the
 * per-condition Jcc/SETcc/CMOVcc handlers, issue 22): after CMP/SUB and
 * TEST/AND/OR/XOR the condition comes from the lazy operands at once; any
 * other state goes to cond_true.  The operands are shifted to the top of
 * 64 bits, so the sign is bit 63 and the unsigned order is kept (SDM
 * Vol. 1 Appendix B). */
static inline __attribute__((always_inline)) int cond_eval(struct vcpu *c, const unsigned cc) {
  unsigned op = c->lf_op & 0xff;
  if ((cc >> 1) == 2 || (cc >> 1) == 4) {
    /* E/NE, S/NS: ZF and SF are the result's, whatever the lazy op
     * (flags_get: every LF_ kind) -- DEC; JNE and the like */
    if (__builtin_expect(op != LF_NONE, 1)) {
      uint64_t res = c->lf_res << (64 - (8u << (c->lf_op >> 8)));
      int r = (cc >> 1) == 2 ? res == 0 : (int64_t)res < 0;
      return (cc & 1) ? !r : r;
    }
  } else if (__builtin_expect(op == LF_SUB || op == LF_LOGIC, 1)) {   /* the others of CMP, TEST */
    unsigned sh = 64 - (8u << (c->lf_op >> 8));
    uint64_t res = c->lf_res << sh;
    int r = -1;
    if (op == LF_SUB) {
      uint64_t d = c->lf_dst << sh, s = c->lf_src << sh;
      switch (cc >> 1) {
      case 1: r = d < s; break;                                /* B */
      case 3: r = d <= s; break;                               /* BE */
      case 6: r = (int64_t)d < (int64_t)s; break;              /* L */
      case 7: r = (int64_t)d <= (int64_t)s; break;             /* LE */
      default: break;                                          /* O, P */
      }
    } else {                                                   /* CF = OF = 0 */
      switch (cc >> 1) {
      case 0: case 1: r = 0; break;                            /* O, B */
      case 3: r = res == 0; break;                             /* BE */
      case 6: r = (int64_t)res < 0; break;                     /* L */
      case 7: r = res == 0 || (int64_t)res < 0; break;         /* LE */
      default: break;                                          /* P */
      }
    }
    if (r >= 0) return (cc & 1) ? !r : r;
  }
  return cond_true(c, cc);
}
/* Jcc's work: i is the Jcc (the block's last instruction) */
static inline __attribute__((always_inline)) const insn_t *jcc_do(struct vcpu *c, const insn_t *i,
                                                                  const unsigned cc) {
  c->rip = cond_eval(c, cc) ? i->imm : i->next_rip;
  return NULL;
}
/* one handler per condition code: F(0) .. F(15) */
#define FOR_EACH_CC(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) \
                       F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
unsigned parity8(uint64_t v);

/* INC/DEC keep CF: materialize it into rflags before going lazy. */
void lf_keep_cf(struct vcpu *c);

/* ---- decoder table (decode.c) ---------------------------------------- */
/* attribute bits of an opcode table row */
enum {
  A_MODRM = 1u << 0,
  A_IMM8 = 1u << 1,          /* Ib */
  A_IMM16 = 1u << 2,         /* Iw */
  A_IMMZ = 1u << 3,          /* Iz: 16 or 32 by operand size, sign-extended */
  A_IMMV = 1u << 4,          /* Iv: 16/32/64 (MOV r, imm64) */
  A_MOFFS = 1u << 5,         /* address-size offset (A0-A3) */
  A_BYTE = 1u << 6,          /* byte operation (opsz = 1) */
  A_D64 = 1u << 7,           /* default 64-bit operand size (push/pop/jmp) */
  A_F64 = 1u << 8,           /* forced 64-bit operand size */
  A_END = 1u << 9,           /* ends the block (branch, syscall, ...) */
  A_LOCKOK = 1u << 10,       /* LOCK allowed with a memory destination */
  A_MEMONLY = 1u << 11,      /* #UD in register form */
  A_REGONLY = 1u << 12,      /* #UD in memory form */
  A_SSE = 1u << 13,          /* opsz 16, mandatory prefixes select row */
  A_IMM8_1 = 1u << 14,       /* ENTER: Iw + Ib */
  A_NOREX_W = 1u << 15,
  A_REL = 1u << 16,          /* imm is a relative branch: store the target */
  A_NO66 = 1u << 17,         /* opsize prefix ignored (size 32/64 only) */
  A_VEX = 1u << 18,          /* VEX-encoded row (BMI1/BMI2); legacy form #UD */
};

/* cost classes: base cycles (cycle model parameters, see params) */
enum { CC_SIMPLE, CC_MUL, CC_DIV, CC_BRANCH, CC_STRING, CC_FP, CC_FPDIV,
       CC_SSE, CC_SYS, CC__COUNT,
       CC_NONE = 255 };             /* raises #UD or #GP: no base cost */
extern uint32_t cpu_class_cost[CC__COUNT];

/* Register a handler for (map, opcode, prefix class, group reg).
 * pfx: -1 = any prefix (ordinary opcode), 0 none / 1 66 / 2 F3 / 3 F2.
 * reg: -1 = not a group, 0..7 ModRM.reg selector.
 * fr/fm: register-form and memory-form handlers (fm NULL = same as fr). */
void op_def(int map, int opc, int pfx, int reg, insn_fn fr, insn_fn fm,
            uint32_t attr, int cls);
/* A faster handler for one operand size of a generic handler (the decoder
 * substitutes it: same semantics, no size switch at run time). */
void op_specialize(insn_fn generic, int opsz, insn_fn special);
/* A fast form (probe_fast) and its general form: blocks decoded while a
 * hit asks for more (hit_extra: the data caches, a trace) get the general
 * form at once, since the fast one would only fail over to it. */
void op_fast_form(insn_fn fast, insn_fn general);
/* decode: simple is fast for an operand of ea_bd's shape */
void op_ea_form(insn_fn fast, insn_fn simple);
/* the variant of fast (probe_fast_dc) for blocks decoded while the data
 * caches are the only thing a hit asks for (hit_extra == HIT_DCACHE) */
void op_dc_form(insn_fn fast, insn_fn dc);
insn_fn decode_general_form(insn_fn fn);
/* Compare-and-branch: fused is first (a CMP/TEST without a memory
 * operand) and the Jcc of condition cc after it, in one handler; build()
 * fuses a block's last two instructions (run.c), run_cut unfuses a pair
 * the instruction limit splits */
void op_jcc(unsigned cc, insn_fn jcc);
void op_fuse(insn_fn first, unsigned cc, insn_fn fused);
insn_fn decode_fused(insn_fn first, insn_fn jcc);   /* NULL: no such pair */
insn_fn decode_unfused(insn_fn fn);                 /* fn itself when not fused */
/* what a block decoded under hit_extra gets for fn */
insn_fn decode_form_for(insn_fn fn, uint8_t hit_extra);
/* x87 escape (D8-DF): x87.c picks the handler from opcode and ModRM. */
insn_fn x87_select(const insn_t *i);

/* family registration (called once by decode_init) */
void alu_register(void);
void move_register(void);
void bits_register(void);
void ctl_register(void);
void string_register(void);
void misc_register(void);
void x87_register(void);
void sse_register(void);
void bmi_register(void);

/* ---- handlers that need the code cache ------------------------------- */
void code_cache_init(struct vcpu *c);
void code_cache_fini(struct vcpu *c);
void code_invalidate_pa(struct vcpu *c, uint64_t pa);

/* REP string instructions: their references are counted and recorded
 * per iteration and operand (string.c calls these around each one) */
void cpu_rep_begin(struct vcpu *c, const insn_t *i, uint64_t count, uint64_t src, uint64_t dst);
void cpu_rep_end(struct vcpu *c, const insn_t *i, uint64_t count_left);
/* an exception inside the REP instruction: its progress, tentatively for
 * the recorder (run.c cpu_raise); it stopped there for good (the guest saw
 * the exception) */
void cpu_rep_raise(struct vcpu *c, int64_t retired);
void cpu_rep_stopped(struct vcpu *c);
/* the instruction a hidden fault interrupted runs again (run.c): its
 * references up to the faulting one are not counted twice */
void cpu_redo_begin(struct vcpu *c);
void cpu_redo_end(struct vcpu *c);

/* Current retired-instruction count at the instruction being executed. */
uint64_t icount_now(const struct vcpu *c);

/* SSE helpers shared by families */
static inline xmm_t *XR(struct vcpu *c, unsigned r) { return &c->xmm[r & 15]; }
/* Load a 16-byte (or smaller) SSE source operand: register or memory. */
void sse_src(struct vcpu *c, const insn_t *i, xmm_t *out, unsigned bytes);
/* Check 16-byte alignment of a memory operand (#GP(0) when misaligned). */
void sse_align16(struct vcpu *c, uint64_t ea);

/* x87/SSE state reset and MXCSR */
#define MXCSR_DEFAULT 0x1f80u

#endif
