/* Control transfer and stack: Jcc, JMP, CALL, RET, LOOP/JrCXZ, PUSH/POP,
 * ENTER/LEAVE, SYSCALL, INT3/INT n, HLT, UD2.  Branches end the block. */
#include "cpu-x86/interp.h"

#define JCC(cc)                                                          \
  static const insn_t *jcc_##cc(struct vcpu *c, const insn_t *i) { return jcc_do(c, i, cc); }
FOR_EACH_CC(JCC)
#undef JCC
#define JCC_FN(cc) jcc_##cc,
static const insn_fn jcc_by_cc[16] = {FOR_EACH_CC(JCC_FN)};
#undef JCC_FN
static const insn_t *jmp_rel(struct vcpu *c, const insn_t *i) {
  c->rip = i->imm;
  return NULL;
}
GENERAL_FORM call_rel_gen(struct vcpu *c, const insn_t *i) {
  push64(c, i->next_rip);
  c->rip = i->imm;
  return NULL;
}
/* (fast forms: interp.h probe_fast; name##_dc: probe_fast_dc) */
#define CALL_REL(name, PROBE)                                                  \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {                \
    uint8_t *p;                                                               \
    if (!PROBE(c, c->r[RSP] - 8, 8, NEED_UW, &p)) return call_rel_gen(c, i);  \
    memcpy(p, &i->next_rip, 8);                                               \
    c->r[RSP] -= 8;                                                           \
    c->rip = i->imm;                                                          \
    return NULL;                                                              \
  }
CALL_REL(call_rel, probe_fast) CALL_REL(call_rel_dc, probe_fast_dc)
/* A near branch to a non-canonical address faults on the branch itself,
 * before RSP or RIP change (SDM JMP/CALL/RET: "IF tempRIP is not
 * canonical THEN #GP(0)"). */
static inline uint64_t br_target(struct vcpu *c, uint64_t t) {
  int bits = (c->ctl.cr4 & CR4_LA57) ? 57 : 48;
  if ((uint64_t)((int64_t)(t << (64 - bits)) >> (64 - bits)) != t) GP0(c);
  return t;
}
GENERAL_FORM ret_near_gen(struct vcpu *c, const insn_t *i) {
  uint64_t t = br_target(c, rd64_full(c, c->r[RSP]));
  c->r[RSP] += 8 + (i->imm & 0xffff);   /* RET imm16 (0 for C3) */
  c->rip = t;
  return NULL;
}
#define RET_NEAR(name, PROBE)                                                  \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {                \
    uint8_t *p;                                                               \
    uint64_t t;                                                               \
    if (!PROBE(c, c->r[RSP], 8, NEED_UR, &p)) return ret_near_gen(c, i);      \
    memcpy(&t, p, 8);                                                         \
    c->rip = br_target(c, t);             /* (#GP before RSP moves) */        \
    c->r[RSP] += 8 + (i->imm & 0xffff);                                       \
    return NULL;                                                              \
  }
RET_NEAR(ret_near, probe_fast) RET_NEAR(ret_near_dc, probe_fast_dc)
GENERAL_FORM call_ind_gen(struct vcpu *c, const insn_t *i) {
  uint64_t t = br_target(c, i->mod3 ? c->r[i->rm] : rd64(c, ea_of(c, i)));
  push64(c, i->next_rip);
  c->rip = t;
  return NULL;
}
/* CALL r64 (the register form) */
#define CALL_IND_R(name, PROBE)                                                \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {                \
    uint8_t *p;                                                               \
    uint64_t t = br_target(c, c->r[i->rm]);   /* (#GP before the push) */     \
    if (!PROBE(c, c->r[RSP] - 8, 8, NEED_UW, &p)) return call_ind_gen(c, i);  \
    c->rip = t;                                                               \
    memcpy(p, &i->next_rip, 8);                                               \
    c->r[RSP] -= 8;                                                           \
    return NULL;                                                              \
  }
CALL_IND_R(call_ind_r, probe_fast) CALL_IND_R(call_ind_r_dc, probe_fast_dc)
static const insn_t *jmp_ind(struct vcpu *c, const insn_t *i) {
  c->rip = br_target(c, i->mod3 ? c->r[i->rm] : rd64(c, ea_of(c, i)));
  return NULL;
}
static const insn_t *loop_op(struct vcpu *c, const insn_t *i) {
  uint64_t cnt;
  if (i->asz == 8) cnt = --c->r[RCX];
  else { cnt = (uint32_t)(c->r[RCX] - 1); c->r[RCX] = cnt; }
  int take = cnt != 0;
  if (i->opc == 0xE0) take = take && !cond_true(c, 4);      /* LOOPNE: ZF=0 */
  else if (i->opc == 0xE1) take = take && cond_true(c, 4);  /* LOOPE: ZF=1 */
  c->rip = take ? i->imm : i->next_rip;
  return NULL;
}
static const insn_t *jrcxz(struct vcpu *c, const insn_t *i) {
  uint64_t cnt = i->asz == 8 ? c->r[RCX] : (uint32_t)c->r[RCX];
  c->rip = cnt == 0 ? i->imm : i->next_rip;
  return NULL;
}

/* PUSH/POP: 64-bit default; 66 gives 16-bit. */
static void push_sz(struct vcpu *c, unsigned sz, uint64_t v) {
  if (sz == 2) { wr16(c, c->r[RSP] - 2, (uint16_t)v); c->r[RSP] -= 2; }
  else push64(c, v);
}
static uint64_t pop_sz(struct vcpu *c, unsigned sz) {
  if (sz == 2) { uint16_t v = rd16(c, c->r[RSP]); c->r[RSP] += 2; return v; }
  return pop64(c);
}
static const insn_t *push_r(struct vcpu *c, const insn_t *i) {
  push_sz(c, i->opsz, c->r[i->rm]);
  return i + 1;
}
static const insn_t *pop_r(struct vcpu *c, const insn_t *i) {
  uint64_t v = pop_sz(c, i->opsz);
  set_reg(c, i->rm, i->opsz, v);
  return i + 1;
}
/* PUSH/POP r64 (op_specialize) */
#define PUSH_R64(name, PROBE)                                                  \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {                \
    uint8_t *p;                                                               \
    if (!PROBE(c, c->r[RSP] - 8, 8, NEED_UW, &p)) return push_r(c, i);        \
    memcpy(p, &c->r[i->rm], 8);                                               \
    c->r[RSP] -= 8;                                                           \
    return i + 1;                                                             \
  }
#define POP_R64(name, PROBE)                                                   \
  static const insn_t *name(struct vcpu *c, const insn_t *i) {                \
    uint8_t *p;                                                               \
    if (!PROBE(c, c->r[RSP], 8, NEED_UR, &p)) return pop_r(c, i);             \
    uint64_t v;                                                               \
    memcpy(&v, p, 8);                                                         \
    c->r[RSP] += 8;                                                           \
    c->r[i->rm] = v;                      /* (POP RSP: the value popped) */   \
    return i + 1;                                                             \
  }
PUSH_R64(push_r64, probe_fast) PUSH_R64(push_r64_dc, probe_fast_dc)
POP_R64(pop_r64, probe_fast) POP_R64(pop_r64_dc, probe_fast_dc)
static const insn_t *push_imm(struct vcpu *c, const insn_t *i) {
  push_sz(c, i->opsz, i->imm);
  return i + 1;
}
static const insn_t *push_E(struct vcpu *c, const insn_t *i) {
  push_sz(c, i->opsz, get_rm(c, i, i->opsz));
  return i + 1;
}
static const insn_t *pop_E(struct vcpu *c, const insn_t *i) {
  /* POP r/m: RSP is incremented before the address is computed (SDM POP). */
  uint64_t v = i->opsz == 2 ? rd16(c, c->r[RSP]) : rd64(c, c->r[RSP]);
  uint64_t old = c->r[RSP];
  c->r[RSP] += i->opsz;
  if (i->mod3) set_reg(c, i->rm, i->opsz, v);
  else {
    uint64_t a = ea_of(c, i);
    c->r[RSP] = old;                 /* restartable if the store faults */
    st_sz(c, a + 0, i->opsz, v);
    c->r[RSP] = old + i->opsz;
  }
  return i + 1;
}
static const insn_t *leave_op(struct vcpu *c, const insn_t *i) {
  uint64_t v = i->opsz == 2 ? rd16(c, c->r[RBP]) : rd64(c, c->r[RBP]);
  c->r[RSP] = c->r[RBP] + i->opsz;
  set_reg(c, RBP, i->opsz, v);
  return i + 1;
}
static const insn_t *enter_op(struct vcpu *c, const insn_t *i) {
  unsigned level = i->imm2 & 31, sz = i->opsz;
  uint64_t rsp = c->r[RSP] - sz;
  st_sz(c, rsp, sz, c->r[RBP]);
  uint64_t frame = rsp, rbp = c->r[RBP];
  for (unsigned k = 1; k < level; k++) {
    rbp -= sz;
    rsp -= sz;
    st_sz(c, rsp, sz, ld_sz(c, rbp, sz));
  }
  if (level > 0) { rsp -= sz; st_sz(c, rsp, sz, frame); }
  rsp -= i->imm & 0xffff;
  /* probe the final stack top like hardware does before committing */
  rd8(c, rsp);
  set_reg(c, RBP, sz, frame);
  c->r[RSP] = rsp;
  return i + 1;
}

static const insn_t *syscall_op(struct vcpu *c, const insn_t *i) {
  /* SYSCALL: RCX <- RIP, R11 <- RFLAGS (SDM), then the kernel model runs. */
  c->r[RCX] = i->next_rip;
  c->r[R11] = cpu_get_rflags(c) & ~0x10000ull;
  c->rip = i->next_rip;
  c->exit_reason = CPU_EXIT_SYSCALL;
  return NULL;
}
static const insn_t *int3_op(struct vcpu *c, const insn_t *i) {
  /* a trap: RIP after the instruction; the instruction retired */
  c->rip = i->next_rip;
  c->cur = NULL;
  cpu_raise(c, EXC_BP, 0, 0);
}
static const insn_t *int_n(struct vcpu *c, const insn_t *i) {
  unsigned n = (unsigned)(i->imm & 0xff);
  if (n == 3 || n == 4) {
    /* Linux's DPL-3 trap gates: #BP and #OF, RIP after the instruction */
    c->rip = i->next_rip;
    c->cur = NULL;
    cpu_raise(c, (int)n, 0, 0);
  }
  /* INT n from CPL 3 through a DPL-0 gate: #GP(n*8+2) as on Linux */
  cpu_raise(c, EXC_GP, 1, n * 8 + 2);
}
static const insn_t *priv_op(struct vcpu *c, const insn_t *i) { GP0(c); }
static const insn_t *ud_op(struct vcpu *c, const insn_t *i) { UD(c); }

void ctl_register(void) {
  for (int cc = 0; cc < 16; cc++) {
    op_def(0, 0x70 + cc, -1, -1, jcc_by_cc[cc], NULL, A_IMM8 | A_REL | A_END | A_F64, CC_BRANCH);
    op_def(1, 0x80 + cc, -1, -1, jcc_by_cc[cc], NULL, A_IMMZ | A_REL | A_END | A_F64, CC_BRANCH);
    op_jcc((unsigned)cc, jcc_by_cc[cc]);
  }
  op_def(0, 0xEB, -1, -1, jmp_rel, NULL, A_IMM8 | A_REL | A_END | A_F64, CC_BRANCH);
  op_def(0, 0xE9, -1, -1, jmp_rel, NULL, A_IMMZ | A_REL | A_END | A_F64, CC_BRANCH);
  op_def(0, 0xE8, -1, -1, call_rel, NULL, A_IMMZ | A_REL | A_END | A_F64, CC_BRANCH);
  op_def(0, 0xC3, -1, -1, ret_near, NULL, A_END | A_F64, CC_BRANCH);
  op_def(0, 0xC2, -1, -1, ret_near, NULL, A_IMM16 | A_END | A_F64, CC_BRANCH);
  op_def(0, 0xFF, -1, 2, call_ind_r, call_ind_gen, A_MODRM | A_END | A_F64, CC_BRANCH);
  op_fast_form(call_ind_r, call_ind_gen);
  op_fast_form(call_rel, call_rel_gen);
  op_fast_form(ret_near, ret_near_gen);
  op_dc_form(call_ind_r, call_ind_r_dc);
  op_dc_form(call_rel, call_rel_dc);
  op_dc_form(ret_near, ret_near_dc);
  op_dc_form(push_r64, push_r64_dc);
  op_dc_form(pop_r64, pop_r64_dc);
  op_def(0, 0xFF, -1, 4, jmp_ind, NULL, A_MODRM | A_END | A_F64, CC_BRANCH);
  op_def(0, 0xFF, -1, 6, push_E, NULL, A_MODRM | A_D64, CC_SIMPLE);
  op_def(0, 0x8F, -1, 0, pop_E, NULL, A_MODRM | A_D64, CC_SIMPLE);
  for (int k = 0xE0; k <= 0xE2; k++)
    op_def(0, k, -1, -1, loop_op, NULL, A_IMM8 | A_REL | A_END | A_F64, CC_BRANCH);
  op_def(0, 0xE3, -1, -1, jrcxz, NULL, A_IMM8 | A_REL | A_END | A_F64, CC_BRANCH);
  for (int r = 0; r < 8; r++) {
    op_def(0, 0x50 + r, -1, -1, push_r, NULL, A_D64, CC_SIMPLE);
    op_def(0, 0x58 + r, -1, -1, pop_r, NULL, A_D64, CC_SIMPLE);
    if (r == 0) { op_specialize(push_r, 8, push_r64); op_specialize(pop_r, 8, pop_r64); }
    if (r == 0) { op_fast_form(push_r64, push_r); op_fast_form(pop_r64, pop_r); }
  }
  op_def(0, 0x68, -1, -1, push_imm, NULL, A_IMMZ | A_D64, CC_SIMPLE);
  op_def(0, 0x6A, -1, -1, push_imm, NULL, A_IMM8 | A_D64, CC_SIMPLE);
  op_def(0, 0xC9, -1, -1, leave_op, NULL, A_D64, CC_SIMPLE);
  op_def(0, 0xC8, -1, -1, enter_op, NULL, A_IMM8_1 | A_D64, CC_SIMPLE);
  op_def(1, 0x05, -1, -1, syscall_op, NULL, A_END, CC_SYS);
  op_def(0, 0xCC, -1, -1, int3_op, NULL, A_END, CC_SYS);
  op_def(0, 0xCD, -1, -1, int_n, NULL, A_IMM8 | A_END, CC_SYS);
  op_def(0, 0xF4, -1, -1, priv_op, NULL, A_END, CC_SYS);          /* HLT at CPL 3 */
  op_def(0, 0xFA, -1, -1, priv_op, NULL, 0, CC_SYS);              /* CLI */
  op_def(0, 0xFB, -1, -1, priv_op, NULL, 0, CC_SYS);              /* STI */
  for (int k = 0xE4; k <= 0xE7; k++) op_def(0, k, -1, -1, priv_op, NULL, A_IMM8, CC_SYS);
  for (int k = 0xEC; k <= 0xEF; k++) op_def(0, k, -1, -1, priv_op, NULL, 0, CC_SYS);
  for (int k = 0x6C; k <= 0x6F; k++) op_def(0, k, -1, -1, priv_op, NULL, 0, CC_SYS);
  op_def(1, 0x0B, -1, -1, ud_op, NULL, A_END, CC_SYS);            /* UD2 */
}
