/* The guest's data references: counted for the stats without a counter on
 * the TLB-hit path, and handed to the recorder when a trace is recorded.
 *
 * cpu_data_refs counts what the guest program did, not how the
 * interpreter looked it up: a REP instruction is one reference per
 * iteration and operand (string.c looks its pages up in chunks), and an
 * instruction that a hidden fault interrupted counts its references once
 * (it runs again after the hypervisor's fill: its references up to the
 * faulting one are made twice, which a mode without hidden faults does
 * not do).  The recorded `ref`/`rep` records are the same count. */
#include "cpu-x86/interp.h"

static void set_hooks(struct vcpu *c) {
  c->hit_extra = (uint8_t)((c->dcache ? HIT_DCACHE : 0) | (c->rec || c->redo_active ? HIT_HOOK : 0));
}
void cpu_set_dcache(struct vcpu *c, struct cache_hier *dc) { c->dcache = dc; set_hooks(c); }
void cpu_set_recorder(struct vcpu *c, struct recorder *r) { c->rec = r; set_hooks(c); }

/* lookups so far: the inline path's hits and the slow path's entries */
static uint64_t lookups(const struct vcpu *c) {
  return c->tlb.l1d.fast_hits + c->tlb.l1d2m.fast_hits + c->slow_refs;
}

uint64_t cpu_data_refs(const struct vcpu *c) { return lookups(c) + (uint64_t)c->ref_adjust; }

void mem_hit_hook(struct vcpu *c, uint64_t va, unsigned size, unsigned kind) {
  if (c->redo_active) {
    /* made by the first run of the instruction already: up to the
     * reference that faulted there */
    c->ref_adjust--;
    if (va <= c->redo_va && c->redo_va - va < size && (kind != REF_LOAD) == c->redo_write) {
      c->redo_active = false;
      set_hooks(c);
    }
  }
  if (c->rec) recorder_ref(c->rec, c->cur, cpu_insn_index(c), va, size, kind);
}

/* the run loop resumes an interrupted instruction (run.c): start or stop
 * counting its repeated references */
void cpu_redo_begin(struct vcpu *c) {
  c->redo_active = true;
  set_hooks(c);
}
void cpu_redo_end(struct vcpu *c) {
  if (!c->redo_active) return;
  c->redo_active = false;
  set_hooks(c);
}

/* REP string instructions (string.c): the op and its references per
 * iteration for the rep record */
static unsigned rep_op(const insn_t *i, uint64_t rflags) {
  static const uint8_t by_opc[16] = {[4] = 0, [5] = 0, [6] = 3, [7] = 3, [10] = 1, [11] = 1, [12] = 2, [13] = 2,
                                     [14] = 4, [15] = 4};
  unsigned op = by_opc[i->opc & 15];
  if (rflags & F_DF) op += 8;
  if (i->asz == 4) op += 16;
  return op;
}
static unsigned rep_operands(unsigned op) { return (op & 7) == 0 || (op & 7) == 3 ? 2 : 1; }

void cpu_rep_begin(struct vcpu *c, const insn_t *i, uint64_t count, uint64_t src, uint64_t dst) {
  if (c->rep_resume && c->rep_insn == i) { c->rep_resume = false; return; }   /* going on */
  c->rep_resume = false;
  c->rep_insn = i;
  c->rep_rcx0 = count;
  c->rep_s0 = src;
  c->rep_t0 = dst;
  c->rep_lookups0 = lookups(c);
  if (c->rec) recorder_rep_begin(c->rec, i);
}

/* iterations done, and the references of the iteration a fault stopped */
static void rep_progress(const struct vcpu *c, uint64_t count_left, unsigned op, uint64_t *done, unsigned *partial,
                         bool faulted) {
  *done = c->rep_rcx0 - count_left;
  *partial = 0;
  if (!faulted) return;
  /* movs faults on its load or its store; cmps on its first or second
   * load; the others make one reference */
  bool w = c->exc.err & PFEC_W;
  uint64_t cr2 = c->exc.cr2;
  switch (op & 7) {
  case 0: *partial = w ? 2 : 1; break;
  case 3: {
    unsigned sz = c->rep_insn->opsz;
    int64_t step = (op & 8) ? -(int64_t)sz : (int64_t)sz;
    uint64_t src = c->rep_s0 + (uint64_t)((int64_t)*done * step);
    *partial = cr2 >= src && cr2 - src < sz ? 1 : 2;
    break;
  }
  default: *partial = 1; break;
  }
}

void cpu_rep_end(struct vcpu *c, const insn_t *i, uint64_t count_left) {
  if (c->rep_insn != i) return;
  unsigned op = rep_op(i, c->rflags), partial;
  uint64_t done;
  rep_progress(c, count_left, op, &done, &partial, false);
  c->ref_adjust += (int64_t)(done * rep_operands(op)) - (int64_t)(lookups(c) - c->rep_lookups0);
  if (c->rec) recorder_rep(c->rec, op, i->opsz, done, c->rep_s0, c->rep_t0, 0, cpu_insn_index(c), count_left);
  c->rep_insn = NULL;
}

/* An exception inside a REP instruction (run.c): its progress so far.
 * Tentative: a hidden fault lets it go on, anything else ends it here. */
void cpu_rep_raise(struct vcpu *c, int64_t retired) {
  const insn_t *i = c->rep_insn;
  unsigned op = rep_op(i, c->rflags), partial;
  uint64_t done;
  uint64_t left = c->r[RCX] & (i->asz == 8 ? ~0ull : 0xffffffffull);
  rep_progress(c, left, op, &done, &partial, c->exc.vector == EXC_PF);
  if (c->rec)
    recorder_raise(c->rec, i, retired, (int)op, i->opsz, done, c->rep_s0, c->rep_t0, partial, cpu_insn_index(c), left);
}

void cpu_rep_stopped(struct vcpu *c) {
  const insn_t *i = c->rep_insn;
  unsigned op = rep_op(i, c->rflags), partial;
  uint64_t done;
  uint64_t left = c->r[RCX] & (i->asz == 8 ? ~0ull : 0xffffffffull);
  rep_progress(c, left, op, &done, &partial, c->exc.vector == EXC_PF);
  c->ref_adjust += (int64_t)(done * rep_operands(op) + partial) - (int64_t)(lookups(c) - c->rep_lookups0);
  c->rep_insn = NULL;
}
