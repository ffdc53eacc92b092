/* x87 FPU instructions: the whole D8-DF escape space (SDM Vol. 1 ch. 8,
 * Vol. 2 instruction pages), on the softfloat in f80*.c.
 *
 * Conventions: every instruction except FNINIT FNCLEX FNSTCW FNSTSW
 * FNSTENV FNSAVE first raises #MF when FSW.ES is set (a pending unmasked
 * exception).  Unmasked IE/DE/ZE leave the destination and the stack
 * untouched; unmasked OE/UE give the bias-adjusted result in a register
 * and suppress a memory store.  Stack overflow / underflow: IE+SF with
 * C1 = 1 / 0; when IE is masked the destination gets the indefinite.
 * Memory is written before the status word is updated, so a page fault
 * on a store leaves the FPU unchanged and the instruction restartable. */
#include "cpu-x86/interp.h"
#include "cpu-x86/f80.h"

enum {
  IE = F80_IE, DE = F80_DE, ZE = F80_ZE, OE = F80_OE, UE = F80_UE,
  PE = F80_PE, SF = F80_SF, ES = F80_ES, C0 = F80_C0, C1 = F80_C1,
  C2 = F80_C2, C3 = F80_C3, BSY = F80_B,
  CC = F80_C0 | F80_C1 | F80_C2 | F80_C3,
};

/* ---- register stack ----------------------------------------------------- */
static inline unsigned phys(const struct vcpu *c, unsigned k) {
  return (c->fpu.top + k) & 7;
}
static inline unsigned tag_of(const struct vcpu *c, unsigned p) {
  return (c->fpu.ftw >> (2 * p)) & 3;
}
static inline void tag_set(struct vcpu *c, unsigned p, unsigned t) {
  c->fpu.ftw = (uint16_t)((c->fpu.ftw & ~(3u << (2 * p))) | t << (2 * p));
}
static inline int empty(const struct vcpu *c, unsigned k) {
  return tag_of(c, phys(c, k)) == 3;
}
static inline f80_t get(const struct vcpu *c, unsigned k) {
  return c->fpu.st[phys(c, k)];
}
static inline void put(struct vcpu *c, unsigned k, f80_t v) {
  unsigned p = phys(c, k);
  c->fpu.st[p] = v;
  tag_set(c, p, (unsigned)f80_tag(v));
}
static inline void pop(struct vcpu *c) {
  tag_set(c, c->fpu.top, 3);
  c->fpu.top = (c->fpu.top + 1) & 7;
}
static inline void push(struct vcpu *c, f80_t v) {
  c->fpu.top = (c->fpu.top - 1) & 7;
  put(c, 0, v);
}
static inline uint16_t fsw_full(const struct vcpu *c) {
  return (uint16_t)((c->fpu.fsw & ~0x3800u) | (c->fpu.top & 7u) << 11);
}
static inline f80_t indef(void) { return f80_indefinite(); }

/* ---- exceptions ---------------------------------------------------------- */
static void update_es(struct vcpu *c) {
  if (c->fpu.fsw & ~c->fpu.fcw & 0x3f) c->fpu.fsw |= ES | BSY;
  else c->fpu.fsw &= (uint16_t)~(ES | BSY);
}

/* Record an operation's exceptions and C1.  Returns 1 when the result may
 * be written (no unmasked IE, DE or ZE). */
static int fex(struct vcpu *c, uint16_t ex) {
  c->fpu.fsw = (uint16_t)((c->fpu.fsw & ~C1) | (ex & (0x7f | C1)));
  if (ex & ~c->fpu.fcw & 0x3f) c->fpu.fsw |= ES | BSY;
  return !(ex & ~c->fpu.fcw & (IE | DE | ZE));
}

static _Noreturn void raise_mf(struct vcpu *c) {
  uint16_t err = c->fpu.fsw & ~c->fpu.fcw & 0x3f;
  /* si_code as Linux's fpu__exception_code() derives it */
  c->exc.si_code_hint = err & IE ? 7 : err & ZE ? 3 : err & OE ? 4
                      : err & (UE | DE) ? 5 : err & PE ? 6 : 0;
  cpu_raise(c, EXC_MF, 0, 0);
}

/* start of a waiting, non-control instruction */
static inline void fstart(struct vcpu *c, const insn_t *i) {
  if (__builtin_expect(c->fpu.fsw & ES, 0)) raise_mf(c);
  c->fpu.fop = (uint16_t)(((i->opc & 7u) << 8) | i->modrm);
  c->fpu.fip = i->next_rip - i->len;
}
static inline uint64_t fstart_m(struct vcpu *c, const insn_t *i) {
  fstart(c, i);
  uint64_t ea = ea_of(c, i);
  c->fpu.fdp = ea;
  return ea;
}
/* stack faults: return 1 when IE is masked (write the indefinite) */
static int underflow(struct vcpu *c) { fex(c, IE | SF); return c->fpu.fcw & IE; }
static int overflow(struct vcpu *c) { fex(c, IE | SF | C1); return c->fpu.fcw & IE; }

static inline f80_env env(const struct vcpu *c) {
  f80_env e = {c->fpu.fcw, 0};
  return e;
}

static void set_cc(struct vcpu *c, uint16_t cc) {
  c->fpu.fsw = (uint16_t)((c->fpu.fsw & ~CC) | cc);
}
static uint16_t rel_cc(int rel) {
  switch (rel) {
  case F80_LT: return C0;
  case F80_EQ: return C3;
  case F80_GT: return 0;
  default: return C0 | C2 | C3;
  }
}

/* ---- memory formats ------------------------------------------------------ */
static f80_t rd80(struct vcpu *c, uint64_t ea) {
  uint8_t b[10];
  f80_t v;
  rdmem(c, ea, b, 10);
  memcpy(&v.signif, b, 8);
  memcpy(&v.signexp, b + 8, 2);
  return v;
}
static void pack80(uint8_t *b, f80_t v) {
  memcpy(b, &v.signif, 8);
  memcpy(b + 8, &v.signexp, 2);
}

/* A denormal memory operand raises DE only where an 80-bit denormal
 * operand would: not when the operation has a NaN operand or raises IE
 * or ZE. */
static uint16_t conv_de(uint16_t cw, uint16_t conv_ex, uint16_t op_ex, f80_t a,
                        f80_t b) {
  if (!(conv_ex & DE) || (op_ex & (IE | ZE)) || f80_is_nan(a) || f80_is_nan(b))
    return op_ex;
  /* unmasked, it stops the operation before anything else is reported */
  return (cw & DE) ? op_ex | DE : DE;
}

/* After a compare: 1 = set the condition codes but leave the stack (an
 * unmasked IE or DE: the x87 still reports the relation), 2 = complete. */
static int cmp_fex(struct vcpu *c, uint16_t ex) {
  fex(c, ex);
  return (ex & ~c->fpu.fcw & (IE | DE)) ? 1 : 2;
}

static f80_t arith(f80_env *e, unsigned op, f80_t a, f80_t b) {
  switch (op) {
  case 0: return f80_add(e, a, b);
  case 1: return f80_mul(e, a, b);
  case 4: return f80_sub(e, a, b);
  case 5: return f80_sub(e, b, a);
  case 6: return f80_div(e, a, b);
  default: return f80_div(e, b, a);
  }
}

/* D8/DC/DA/DE memory forms: op ST(0), m32fp/m64fp/m32int/m16int */
static const insn_t *x_arith_m(struct vcpu *c, const insn_t *i) {
  uint64_t ea = fstart_m(c, i);
  unsigned op = (i->modrm >> 3) & 7;
  f80_env ce = env(c), e = env(c);
  f80_t b;
  switch (i->opc) {
  case 0xD8: b = f80_from_f32(&ce, rd32(c, ea)); break;
  case 0xDC: b = f80_from_f64(&ce, rd64(c, ea)); break;
  case 0xDA: b = f80_from_i64((int32_t)rd32(c, ea)); break;
  default: b = f80_from_i64((int16_t)rd16(c, ea)); break;
  }
  if (empty(c, 0)) {
    if (op == 2 || op == 3) {
      int k = cmp_fex(c, IE | SF);
      set_cc(c, C0 | C2 | C3);
      if (k == 2 && op == 3) pop(c);
    } else if (underflow(c)) {
      put(c, 0, indef());
    }
    return i + 1;
  }
  f80_t a = get(c, 0);
  if (op == 2 || op == 3) {                      /* FCOM / FCOMP */
    int rel = f80_compare(&e, a, b, 0);
    int k = cmp_fex(c, conv_de(c->fpu.fcw, ce.ex, e.ex, a, b));
    if (k) set_cc(c, rel_cc(rel));
    if (k == 2 && op == 3) pop(c);
    return i + 1;
  }
  f80_t r = arith(&e, op, a, b);
  if (fex(c, conv_de(c->fpu.fcw, ce.ex, e.ex, a, b))) put(c, 0, r);
  return i + 1;
}

/* compare ST(0) with ST(k); npop pops afterwards; quiet = FUCOM */
static void fcom_regs(struct vcpu *c, unsigned k, int quiet, int npop) {
  int rel = F80_UN, done;
  if (empty(c, 0) || empty(c, k)) {
    done = cmp_fex(c, IE | SF);
  } else {
    f80_env e = env(c);
    rel = f80_compare(&e, get(c, 0), get(c, k), quiet);
    done = cmp_fex(c, e.ex);
  }
  if (done) set_cc(c, rel_cc(rel));
  if (done == 2) while (npop--) pop(c);
}

/* D8/DC/DE register forms */
static const insn_t *x_arith_r(struct vcpu *c, const insn_t *i) {
  fstart(c, i);
  unsigned op = (i->modrm >> 3) & 7, k = i->modrm & 7;
  int popit = i->opc == 0xDE;
  if (op == 2) { fcom_regs(c, k, 0, popit); return i + 1; }   /* DE D0: FCOMP */
  if (op == 3) { fcom_regs(c, k, 0, popit ? 2 : 1); return i + 1; }
  unsigned dst = i->opc == 0xD8 ? 0 : k;
  if (empty(c, 0) || empty(c, k)) {
    if (underflow(c)) {
      put(c, dst, indef());
      if (popit) pop(c);
    }
    return i + 1;
  }
  f80_env e = env(c);
  f80_t r = arith(&e, op, get(c, 0), get(c, k));
  if (fex(c, e.ex)) {
    put(c, dst, r);
    if (popit) pop(c);
  }
  return i + 1;
}

/* loads: FLD m32/m64/m80, FILD m16/m32/m64, FBLD */
static const insn_t *x_load_m(struct vcpu *c, const insn_t *i) {
  uint64_t ea = fstart_m(c, i);
  unsigned op = (i->modrm >> 3) & 7;
  f80_env e = env(c);
  f80_t v;
  switch (i->opc << 4 | op) {
  case 0xD90: v = f80_load_f32(&e, rd32(c, ea)); break;
  case 0xDD0: v = f80_load_f64(&e, rd64(c, ea)); break;
  case 0xDB5: v = rd80(c, ea); break;
  case 0xDB0: v = f80_from_i64((int32_t)rd32(c, ea)); break;
  case 0xDF0: v = f80_from_i64((int16_t)rd16(c, ea)); break;
  case 0xDF5: v = f80_from_i64((int64_t)rd64(c, ea)); break;
  default: {                                     /* DF /4 FBLD */
    uint8_t b[10];
    rdmem(c, ea, b, 10);
    v = f80_from_bcd(b);
    break;
  }
  }
  if (!empty(c, 7)) {
    if (overflow(c)) push(c, indef());
    return i + 1;
  }
  fex(c, e.ex);
  /* an unmasked DE (denormal m32/m64) still loads, as on hardware */
  if (!(e.ex & ~c->fpu.fcw & IE)) push(c, v);
  return i + 1;
}

/* stores: FST/FSTP m32/m64, FSTP m80, FIST/FISTP/FISTTP, FBSTP */
static const insn_t *x_store_m(struct vcpu *c, const insn_t *i) {
  uint64_t ea = fstart_m(c, i);
  unsigned op = (i->modrm >> 3) & 7, key = (unsigned)i->opc << 4 | op;
  int popit = !(key == 0xD92 || key == 0xDD2 || key == 0xDB2 || key == 0xDF2);
  int under = empty(c, 0);
  if (under && !(c->fpu.fcw & IE)) { underflow(c); return i + 1; }
  f80_env e = env(c);
  f80_t a = under ? indef() : get(c, 0);
  if (under) e.cw |= IE;            /* the indefinite is stored */
  uint8_t buf[10];
  unsigned n;
  switch (key) {
  case 0xD92: case 0xD93: {
    uint32_t v = f80_to_f32(&e, a);
    memcpy(buf, &v, n = 4);
    break;
  }
  case 0xDD2: case 0xDD3: {
    uint64_t v = f80_to_f64(&e, a);
    memcpy(buf, &v, n = 8);
    break;
  }
  case 0xDB7: pack80(buf, a); n = 10; break;
  case 0xDF6: f80_to_bcd(&e, a, buf); n = 10; break;
  default: {
    int bits = i->opc == 0xDF ? (op == 7 ? 64 : 16) : i->opc == 0xDD ? 64 : 32;
    int64_t v = f80_to_int(&e, a, bits, op == 1);
    memcpy(buf, &v, n = (unsigned)bits / 8);
    break;
  }
  }
  if (under) e.ex = IE | SF;
  e.cw = c->fpu.fcw;
  int ok = !(e.ex & ~e.cw & (IE | OE | UE));
  if (ok) wrmem(c, ea, buf, n);
  fex(c, e.ex);
  if (ok && popit) pop(c);
  return i + 1;
}

/* ---- environment --------------------------------------------------------- */
static void fninit(struct vcpu *c) {
  c->fpu.fcw = 0x037f;
  c->fpu.fsw = 0;
  c->fpu.top = 0;
  c->fpu.ftw = 0xffff;
  c->fpu.fop = 0;
  c->fpu.fip = 0;
  c->fpu.fdp = 0;
}

void cpu_fpu_reset(struct vcpu *c) { fninit(c); }

static uint16_t full_tags(const struct vcpu *c) {
  uint16_t t = 0;
  for (unsigned p = 0; p < 8; p++)
    t |= (uint16_t)((tag_of(c, p) == 3 ? 3u : (unsigned)f80_tag(c->fpu.st[p])) << (2 * p));
  return t;
}

/* non-empty tags are recomputed from the register contents */
static void load_tags(struct vcpu *c, uint16_t t) {
  for (unsigned p = 0; p < 8; p++)
    tag_set(c, p, ((t >> (2 * p)) & 3) == 3 ? 3u : (unsigned)f80_tag(c->fpu.st[p]));
}

/* 28-byte protected-mode environment (the format of 64-bit mode) */
static void store_env(struct vcpu *c, uint8_t *b) {
  uint32_t w[7];
  w[0] = 0xffff0000u | c->fpu.fcw;
  w[1] = 0xffff0000u | fsw_full(c);
  w[2] = 0xffff0000u | full_tags(c);
  w[3] = (uint32_t)c->fpu.fip;
  w[4] = (uint32_t)(c->fpu.fop & 0x7ff) << 16;
  w[5] = (uint32_t)c->fpu.fdp;
  w[6] = 0xffff0000u;
  memcpy(b, w, 28);
}

static void load_env(struct vcpu *c, const uint8_t *b) {
  uint32_t w[7];
  memcpy(w, b, 28);
  c->fpu.fcw = (uint16_t)((w[0] & 0x1f3f) | 0x40);
  c->fpu.fsw = (uint16_t)(w[1] & ~0x3800u);
  c->fpu.top = (uint8_t)((w[1] >> 11) & 7);
  c->fpu.fip = w[3];
  c->fpu.fop = (uint16_t)((w[4] >> 16) & 0x7ff);
  c->fpu.fdp = w[5];
  load_tags(c, (uint16_t)w[2]);
  update_es(c);
}

/* D9 /4-/7, DD /4 /6 /7 */
static const insn_t *x_ctl_m(struct vcpu *c, const insn_t *i) {
  uint64_t ea = ea_of(c, i);
  unsigned op = (i->modrm >> 3) & 7;
  uint8_t b[108];
  if (i->opc == 0xD9) {
    switch (op) {
    case 4:                                      /* FLDENV */
      if (c->fpu.fsw & ES) raise_mf(c);
      rdmem(c, ea, b, 28);
      load_env(c, b);
      break;
    case 5:                                      /* FLDCW */
      if (c->fpu.fsw & ES) raise_mf(c);
      c->fpu.fcw = (uint16_t)((rd16(c, ea) & 0x1f3f) | 0x40);
      update_es(c);
      break;
    case 6:                                      /* FNSTENV */
      store_env(c, b);
      wrmem(c, ea, b, 28);
      c->fpu.fcw |= 0x3f;
      update_es(c);
      break;
    default:                                     /* FNSTCW */
      wr16(c, ea, c->fpu.fcw);
      break;
    }
    return i + 1;
  }
  switch (op) {
  case 4:                                        /* FRSTOR */
    if (c->fpu.fsw & ES) raise_mf(c);
    rdmem(c, ea, b, 108);
    c->fpu.top = (uint8_t)((b[5] >> 3) & 7);
    for (unsigned k = 0; k < 8; k++) {
      f80_t v;
      memcpy(&v.signif, b + 28 + 10 * k, 8);
      memcpy(&v.signexp, b + 36 + 10 * k, 2);
      c->fpu.st[phys(c, k)] = v;
    }
    load_env(c, b);
    break;
  case 6:                                        /* FNSAVE */
    store_env(c, b);
    for (unsigned k = 0; k < 8; k++) pack80(b + 28 + 10 * k, get(c, k));
    wrmem(c, ea, b, 108);
    fninit(c);
    break;
  default:                                       /* FNSTSW m16 */
    wr16(c, ea, fsw_full(c));
    break;
  }
  return i + 1;
}

void cpu_fxsave(struct vcpu *c, uint8_t out[512]) {
  memset(out, 0, 512);
  uint16_t fsw = fsw_full(c);
  uint8_t abr = 0;
  for (unsigned p = 0; p < 8; p++)
    if (tag_of(c, p) != 3) abr |= (uint8_t)(1u << p);
  memcpy(out + 0, &c->fpu.fcw, 2);
  memcpy(out + 2, &fsw, 2);
  out[4] = abr;
  memcpy(out + 6, &c->fpu.fop, 2);
  memcpy(out + 8, &c->fpu.fip, 8);
  memcpy(out + 16, &c->fpu.fdp, 8);
  memcpy(out + 24, &c->mxcsr, 4);
  uint32_t mask = 0xffff;
  memcpy(out + 28, &mask, 4);
  for (unsigned k = 0; k < 8; k++) pack80(out + 32 + 16 * k, get(c, k));
  memcpy(out + 160, c->xmm, 256);
}

void cpu_fxrstor(struct vcpu *c, const uint8_t in[512]) {
  uint16_t fsw;
  memcpy(&c->fpu.fcw, in, 2);
  c->fpu.fcw = (uint16_t)((c->fpu.fcw & 0x1f3f) | 0x40);
  memcpy(&fsw, in + 2, 2);
  c->fpu.fsw = (uint16_t)(fsw & ~0x3800u);
  c->fpu.top = (uint8_t)((fsw >> 11) & 7);
  memcpy(&c->fpu.fop, in + 6, 2);
  c->fpu.fop &= 0x7ff;
  memcpy(&c->fpu.fip, in + 8, 8);
  memcpy(&c->fpu.fdp, in + 16, 8);
  memcpy(&c->mxcsr, in + 24, 4);
  for (unsigned k = 0; k < 8; k++) {
    f80_t v;
    memcpy(&v.signif, in + 32 + 16 * k, 8);
    memcpy(&v.signexp, in + 40 + 16 * k, 2);
    c->fpu.st[phys(c, k)] = v;
  }
  uint16_t t = 0;
  for (unsigned p = 0; p < 8; p++)
    if (!(in[4] & (1u << p))) t |= (uint16_t)(3u << (2 * p));
  load_tags(c, t);
  update_es(c);
  memcpy(c->xmm, in + 160, 256);
}

/* ---- register-form instructions ----------------------------------------- */
static void fxch(struct vcpu *c, unsigned k) {
  if (empty(c, 0) || empty(c, k)) {
    if (!underflow(c)) return;
    if (empty(c, 0)) put(c, 0, indef());
    if (empty(c, k)) put(c, k, indef());
  } else {
    fex(c, 0);
  }
  f80_t t = get(c, 0);
  unsigned p0 = phys(c, 0), pk = phys(c, k), t0 = tag_of(c, p0);
  c->fpu.st[p0] = c->fpu.st[pk];
  tag_set(c, p0, tag_of(c, pk));
  c->fpu.st[pk] = t;
  tag_set(c, pk, t0);
}

/* FST/FSTP ST(i) */
static void fst_reg(struct vcpu *c, unsigned k, int popit) {
  if (empty(c, 0)) {
    if (!underflow(c)) return;
    put(c, k, indef());
  } else {
    fex(c, 0);
    put(c, k, get(c, 0));
  }
  if (popit) pop(c);
}

/* one operand in ST(0), result in ST(0) */
static void unary(struct vcpu *c, f80_t (*f)(f80_env *, f80_t)) {
  if (empty(c, 0)) {
    if (underflow(c)) put(c, 0, indef());
    return;
  }
  f80_env e = env(c);
  f80_t r = f(&e, get(c, 0));
  if (fex(c, e.ex)) put(c, 0, r);
}

/* ST(1) = f(ST(1), ST(0)), pop */
static void binary_pop(struct vcpu *c, f80_t (*f)(f80_env *, f80_t, f80_t)) {
  if (empty(c, 0) || empty(c, 1)) {
    if (underflow(c)) { put(c, 1, indef()); pop(c); }
    return;
  }
  f80_env e = env(c);
  f80_t r = f(&e, get(c, 1), get(c, 0));
  if (fex(c, e.ex)) { put(c, 1, r); pop(c); }
}

/* FSIN FCOS FPTAN FSINCOS: C2 = operand out of range (|x| >= 2^63) */
static void trig(struct vcpu *c, unsigned which) {
  int pushes = which >= 2;
  c->fpu.fsw &= (uint16_t)~C2;
  if (empty(c, 0) || (pushes && !empty(c, 7))) {
    if (empty(c, 0) ? underflow(c) : overflow(c)) {
      put(c, 0, indef());
      if (pushes) push(c, indef());
    }
    return;
  }
  f80_t a = get(c, 0), r0 = a, r1 = a;
  f80_env e = env(c);
  int big;
  switch (which) {
  case 0: big = f80_sin(&e, a, &r0); break;
  case 1: big = f80_cos(&e, a, &r0); break;
  case 2:
    big = f80_tan(&e, a, &r0);
    r1 = f80_is_nan(r0) ? r0 : f80_make(0, 16383, 1ull << 63);
    break;
  default:
    big = f80_sincos(&e, a, &r0, &r1);
    break;
  }
  if (big) {                       /* C0 and C3 are left alone */
    fex(c, 0);
    c->fpu.fsw |= C2;
    return;
  }
  if (!fex(c, e.ex)) return;
  put(c, 0, r0);
  if (pushes) push(c, r1);
}

static void fxtract(struct vcpu *c) {
  if (empty(c, 0) || !empty(c, 7)) {
    if (empty(c, 0) ? underflow(c) : overflow(c)) {
      put(c, 0, indef());
      push(c, indef());
    }
    return;
  }
  f80_env e = env(c);
  f80_t ex, sig;
  f80_xtract(&e, get(c, 0), &ex, &sig);
  if (fex(c, e.ex)) { put(c, 0, ex); push(c, sig); }
}

/* FPREM/FPREM1: C0 C3 C1 = quotient bits 2 1 0, C2 = partial; with a NaN
 * result (NaN or invalid operands, stack underflow) only C2 and C1 are
 * cleared (as observed on hardware) */
static void fprem(struct vcpu *c, int ieee) {
  c->fpu.fsw &= (uint16_t)~C2;
  if (empty(c, 0) || empty(c, 1)) {
    if (underflow(c)) put(c, 0, indef());
    return;
  }
  f80_env e = env(c);
  uint16_t cc;
  f80_t r = f80_rem(&e, get(c, 0), get(c, 1), ieee, &cc);
  if (!fex(c, e.ex)) return;
  put(c, 0, r);
  if (!f80_is_nan(r)) set_cc(c, cc);
}

static void fscale(struct vcpu *c) {
  if (empty(c, 0) || empty(c, 1)) {
    if (underflow(c)) put(c, 0, indef());
    return;
  }
  f80_env e = env(c);
  f80_t r = f80_scale(&e, get(c, 0), get(c, 1));
  if (fex(c, e.ex)) put(c, 0, r);
}

/* D9 register forms */
static const insn_t *x_d9_r(struct vcpu *c, const insn_t *i) {
  fstart(c, i);
  unsigned m = i->modrm, k = m & 7;
  switch (m & 0xf8) {
  case 0xC0:                                     /* FLD ST(i) */
    if (empty(c, k)) { if (underflow(c)) push(c, indef()); }
    else if (!empty(c, 7)) { if (overflow(c)) push(c, indef()); }
    else { f80_t v = get(c, k); fex(c, 0); push(c, v); }
    return i + 1;
  case 0xC8: fxch(c, k); return i + 1;
  case 0xD0: return i + 1;                       /* FNOP */
  case 0xD8:                                     /* FSTP1 (alias) */
    /* on an empty ST(0) it only pops, without a stack fault (as observed
     * on hardware) */
    if (empty(c, 0)) { fex(c, 0); pop(c); }
    else fst_reg(c, k, 1);
    return i + 1;
  default: break;
  }
  switch (m) {
  case 0xE0: case 0xE1:                          /* FCHS FABS */
    if (empty(c, 0)) { if (underflow(c)) put(c, 0, indef()); break; }
    fex(c, 0);
    put(c, 0, m == 0xE0 ? f80_neg(get(c, 0)) : f80_abs(get(c, 0)));
    break;
  case 0xE4: {                                   /* FTST */
    if (empty(c, 0)) { if (cmp_fex(c, IE | SF)) set_cc(c, C0 | C2 | C3); break; }
    f80_env e = env(c);
    int rel = f80_compare(&e, get(c, 0), f80_make(0, 0, 0), 0);
    if (cmp_fex(c, e.ex)) set_cc(c, rel_cc(rel));
    break;
  }
  case 0xE5: {                                   /* FXAM */
    f80_t v = get(c, 0);
    set_cc(c, empty(c, 0) ? (uint16_t)(C3 | C0 | (f80_sign(v) ? C1 : 0))
                          : f80_xam(v));
    break;
  }
  case 0xE8: case 0xE9: case 0xEA: case 0xEB: case 0xEC: case 0xED: case 0xEE:
    if (!empty(c, 7)) { if (overflow(c)) push(c, indef()); break; }
    fex(c, 0);
    push(c, f80_const((int)(m - 0xE8), c->fpu.fcw));
    break;
  case 0xF0: unary(c, f80_2xm1); break;
  case 0xF1: binary_pop(c, f80_yl2x); break;
  case 0xF2: trig(c, 2); break;
  case 0xF3: binary_pop(c, f80_atan2); break;
  case 0xF4: fxtract(c); break;
  case 0xF5: fprem(c, 1); break;
  case 0xF6: case 0xF7:                          /* FDECSTP FINCSTP */
    c->fpu.top = (c->fpu.top + (m == 0xF6 ? 7 : 1)) & 7;
    c->fpu.fsw &= (uint16_t)~C1;
    break;
  case 0xF8: fprem(c, 0); break;
  case 0xF9: binary_pop(c, f80_yl2xp1); break;
  case 0xFA: unary(c, f80_sqrt); break;
  case 0xFB: trig(c, 3); break;
  case 0xFC: unary(c, f80_round_int); break;
  case 0xFD: fscale(c); break;
  case 0xFE: trig(c, 0); break;
  default: trig(c, 1); break;                    /* FF: FCOS */
  }
  return i + 1;
}

/* FCMOVcc: DA C0-DF (B E BE U), DB C0-DF (NB NE NBE NU) */
static const insn_t *x_fcmov(struct vcpu *c, const insn_t *i) {
  static const uint8_t cc[4] = {0x2, 0x4, 0x6, 0xA};
  fstart(c, i);
  unsigned k = i->modrm & 7;
  int take = cond_true(c, cc[(i->modrm >> 3) & 3] | (i->opc == 0xDB));
  if (empty(c, 0) || empty(c, k)) {
    if (underflow(c)) put(c, 0, indef());       /* whatever the condition */
    return i + 1;
  }
  if (take) put(c, 0, get(c, k));
  return i + 1;
}

/* FCOMI FUCOMI FCOMIP FUCOMIP: ZF PF CF, OF SF AF cleared */
/* (C1 is left alone except on stack underflow, as FCMOVcc, on hardware) */
static void fcomi(struct vcpu *c, unsigned k, int quiet, int popit) {
  int rel = F80_UN, done;
  if (empty(c, 0) || empty(c, k)) {
    done = cmp_fex(c, IE | SF);
  } else {
    f80_env e = env(c);
    rel = f80_compare(&e, get(c, 0), get(c, k), quiet);
    done = cmp_fex(c, (uint16_t)(e.ex | (c->fpu.fsw & C1)));
  }
  flags_set_arith(c, rel == F80_LT ? F_CF : rel == F80_EQ ? F_ZF
                     : rel == F80_GT ? 0 : F_ZF | F_PF | F_CF);
  if (done == 2 && popit) pop(c);
}

/* DA E9, DB E0-F7, DD C0-EF, DF C0-F7 */
static const insn_t *x_misc_r(struct vcpu *c, const insn_t *i) {
  unsigned m = i->modrm, k = m & 7;
  if (i->opc == 0xDB && m >= 0xE0 && m <= 0xE4) {
    if (m == 0xE2) c->fpu.fsw &= (uint16_t)~(0x7f | ES | BSY);   /* FNCLEX */
    else if (m == 0xE3) fninit(c);                                /* FNINIT */
    return i + 1;                                /* FENI FDISI FSETPM: no-ops */
  }
  if (i->opc == 0xDF && m == 0xE0) {             /* FNSTSW AX */
    set_reg(c, RAX, 2, fsw_full(c));
    return i + 1;
  }
  fstart(c, i);
  switch (i->opc << 8 | (m & 0xf8)) {
  case 0xDAE8: fcom_regs(c, 1, 1, 2); break;     /* FUCOMPP */
  case 0xDBE8: fcomi(c, k, 1, 0); break;
  case 0xDBF0: fcomi(c, k, 0, 0); break;
  case 0xDFE8: fcomi(c, k, 1, 1); break;
  case 0xDFF0: fcomi(c, k, 0, 1); break;
  case 0xDDC0: case 0xDFC0:                      /* FFREE, FFREEP */
    fex(c, 0);
    tag_set(c, phys(c, k), 3);
    if (i->opc == 0xDF) pop(c);
    break;
  case 0xDDC8: case 0xDFC8: fxch(c, k); break;   /* aliases */
  case 0xDDD0: fst_reg(c, k, 0); break;
  case 0xDDD8: case 0xDFD0: case 0xDFD8: fst_reg(c, k, 1); break;
  case 0xDDE0: fcom_regs(c, k, 1, 0); break;     /* FUCOM */
  default: fcom_regs(c, k, 1, 1); break;         /* DD E8: FUCOMP */
  }
  return i + 1;
}

/* ---- decoding -------------------------------------------------------------- */
insn_fn x87_select(const insn_t *i) {
  unsigned reg = (i->modrm >> 3) & 7, m = i->modrm;
  if (!i->mod3) {
    switch (i->opc) {
    case 0xD8: case 0xDA: case 0xDC: case 0xDE: return x_arith_m;
    case 0xD9: return reg == 0 ? x_load_m : reg == 1 ? NULL
                    : reg <= 3 ? x_store_m : x_ctl_m;
    case 0xDB: return reg == 0 || reg == 5 ? x_load_m
                    : reg == 4 || reg == 6 ? NULL : x_store_m;
    case 0xDD: return reg == 0 ? x_load_m : reg <= 3 ? x_store_m
                    : reg == 5 ? NULL : x_ctl_m;
    default: return reg == 0 || reg == 4 || reg == 5 ? x_load_m : x_store_m;
    }
  }
  switch (i->opc) {
  case 0xD8: case 0xDC: return x_arith_r;
  case 0xDE: return reg == 3 && m != 0xD9 ? NULL : x_arith_r;
  case 0xD9:
    if (m >= 0xD1 && m <= 0xD7) return NULL;
    if (m == 0xE2 || m == 0xE3 || m == 0xE6 || m == 0xE7 || m == 0xEF) return NULL;
    return x_d9_r;
  case 0xDA: return reg < 4 ? x_fcmov : m == 0xE9 ? x_misc_r : NULL;
  case 0xDB:
    if (reg < 4) return x_fcmov;
    return (m >= 0xE0 && m <= 0xE4) || reg == 5 || reg == 6 ? x_misc_r : NULL;
  case 0xDD: return reg <= 5 ? x_misc_r : NULL;
  default: return reg <= 3 || m == 0xE0 || reg == 5 || reg == 6 ? x_misc_r : NULL;
  }
}

static const insn_t *x_placeholder(struct vcpu *c, const insn_t *i) { UD(c); }

void x87_register(void) {
  for (int op = 0xD8; op <= 0xDF; op++)
    op_def(0, op, -1, -1, x_placeholder, NULL, A_MODRM, CC_FP);
}
