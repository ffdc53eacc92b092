/* Code cache and dispatch loop.  Decoded blocks are cached by the machine
 * address of their first byte (and checked against the virtual RIP, since
 * RIP-relative operands are resolved at decode time); a write to a frame
 * holding code invalidates its blocks (DESIGN.md "Speed": decode once). */
#include "cpu-x86/interp.h"
#include "cpu-x86/decode.h"
#include <stdlib.h>

#define BLOCK_MAX 48
#define FAST_BITS 14
#define ARENA_BYTES (48u << 20)

struct block {
  uint64_t rip, pa;          /* virtual and machine address of first byte */
  uint64_t pa2;              /* second frame when the block's last insn crosses */
  struct block *frame_next[2];
  /* the last two blocks that ran next and start in the same page (virtual
   * and machine) as this one: chained, fetched without the ITLB probe or
   * the fast-slot lookup (run_blocks); no_block when none */
  struct block *succ[2];
  uint32_t n;                /* instructions (excluding the terminator) */
  uint32_t cycles;           /* sum of base costs */
  uint32_t rec_id;           /* its id in the trace being recorded (0: none) */
  uint8_t valid;
  insn_t insns[];            /* n + 1 (terminator) */
};

struct code_cache {
  struct block *fast[1u << FAST_BITS];
  struct block **frame_head; /* per machine frame: blocks decoded from it */
  uint64_t nframes;
  uint8_t *arena;
  size_t used;
  uint64_t flushes;
  /* the vCPUs that run from it (--cpus: one decoded copy of the code for
   * all, so a write to a code frame by any of them invalidates it for
   * every one, and each one's TLB keeps the frame's NC bit right) */
  struct vcpu *users[CPU_MAX_VCPUS];
  int nusers;
};

static void frame_nc_all(struct code_cache *cc, uint64_t pa, bool nc) {
  for (int i = 0; i < cc->nusers; i++) tlb_set_frame_nc(&cc->users[i]->tlb, pa, nc);
}

/* never valid: an empty chain link */
static struct block no_block = {.rip = ~0ull, .valid = 0};

static const insn_t *op_block_end(struct vcpu *c, const insn_t *i) {
  c->rip = i->next_rip;
  return NULL;
}

/* Patched into a block invalidated while it may be executing. */
static const insn_t *op_bail(struct vcpu *c, const insn_t *i) {
  const struct block *b = c->cur_block;
  uint32_t idx = (uint32_t)(i - b->insns);
  c->rip = i->next_rip - i->len;
  for (uint32_t k = idx; k < b->n; k++) c->cycles -= b->insns[k].cost;
  c->icount -= b->n - idx;
  if (c->rec && idx < b->n) recorder_cut(c->rec, idx);
  return NULL;
}

void code_cache_init(struct vcpu *c) {
  decode_init();
  struct code_cache *cc = calloc(1, sizeof *cc);
  cc->nframes = (c->mmu->mem->ram_bytes + c->mmu->mem->pool_bytes) >> 12;
  cc->frame_head = calloc(cc->nframes, sizeof *cc->frame_head);
  cc->arena = malloc(ARENA_BYTES);
  cc->users[cc->nusers++] = c;
  c->cc = cc;
}

void cpu_share_code(struct vcpu *c, struct vcpu *owner) {
  code_cache_fini(c);
  struct code_cache *cc = owner->cc;
  if (cc->nusers < CPU_MAX_VCPUS) cc->users[cc->nusers++] = c;
  c->cc = cc;
}

void code_cache_fini(struct vcpu *c) {
  if (!c->cc) return;
  if (c->cc->users[0] != c) { c->cc = NULL; return; }   /* a sharer: the owner frees it */
  free(c->cc->frame_head);
  free(c->cc->arena);
  free(c->cc);
  c->cc = NULL;
}

static void cache_flush(struct vcpu *c) {
  struct code_cache *cc = c->cc;
  memset(cc->fast, 0, sizeof cc->fast);
  for (uint64_t f = 0; f < cc->nframes; f++) {
    if (cc->frame_head[f]) {
      c->mmu->mem->frame_flags[f] &= ~FRAME_CODE;
      frame_nc_all(cc, f << 12, true);
    }
    cc->frame_head[f] = NULL;
  }
  cc->used = 0;
  cc->flushes++;
}

void code_invalidate_pa(struct vcpu *c, uint64_t pa) {
  struct code_cache *cc = c->cc;
  uint64_t f = pa >> 12;
  if (f >= cc->nframes) return;
  for (struct block *b = cc->frame_head[f], *nx; b; b = nx) {
    int slot = (b->pa >> 12) == f ? 0 : 1;
    nx = b->frame_next[slot];
    if (b->valid) {
      b->valid = 0;
      for (uint32_t k = 0; k <= b->n; k++) b->insns[k].fn = op_bail;
    }
  }
  cc->frame_head[f] = NULL;
  /* fast[] may still point at dead blocks: lookups check ->valid. */
  c->mmu->mem->frame_flags[f] &= ~FRAME_CODE;
  frame_nc_all(cc, f << 12, true);
  c->code_invalidations++;
}

void cpu_invalidate_frame(struct vcpu *c, uint64_t pa) {
  if (c->mmu->mem->frame_flags[pa >> 12] & FRAME_CODE) code_invalidate_pa(c, pa);
}

/* The block stops after instruction i, which retired (the magic
 * instruction): the rest of it does not run now, it is looked up again
 * at the next rip. */
void cpu_stop_after(struct vcpu *c, const insn_t *i) {
  const struct block *b = c->cur_block;
  c->rip = i->next_rip;
  if (!b) return;
  uint32_t idx = (uint32_t)(i - b->insns) + 1;
  if (idx >= b->n) return;
  for (uint32_t k = idx; k < b->n; k++) c->cycles -= b->insns[k].cost;
  c->icount -= b->n - idx;
  if (c->rec) recorder_cut(c->rec, idx);
}

/* the running instruction's index in its block (traces) */
uint32_t cpu_insn_index(const struct vcpu *c) {
  const struct block *b = c->cur_block;
  return b && c->cur ? (uint32_t)(c->cur - b->insns) : 0;
}

void cpu_mark_code(struct vcpu *c, uint64_t pa) {
  uint8_t *ff = &c->mmu->mem->frame_flags[pa >> 12];
  if (!(*ff & FRAME_CODE)) {
    *ff |= FRAME_CODE;
    frame_nc_all(c->cc, pa, false);
  }
}

/* Translate a fetch; raises #PF.  hit (if not NULL): the L1 ITLB entry
 * that hit, or NULL. */
static inline __attribute__((always_inline)) uint8_t *fetch_xlate(struct vcpu *c, uint64_t va, uint64_t *pa,
                                                                  struct tlb_entry **hit) {
  struct tlb_entry *e = tlb_hit_entry(&c->tlb.l1i, va, cur_pcid(c), NEED_UF);
  uint8_t *h;
  if (hit) *hit = e;
  if (e) {
    h = (uint8_t *)(intptr_t)((int64_t)va + e->addend);
    c->cycles += c->tlb.l1i.latency;
  } else if ((h = tlb_hit_sz(&c->tlb.l1i2m, va, cur_pcid(c), NEED_UF)) != NULL) {
    c->cycles += c->tlb.l1i.latency;
  } else {
    h = mem_slow(c, va, 1, ACC_F | ACC_U);
  }
  *pa = (uint64_t)(h - c->host_base);
  return h;
}

/* the block-table entry of b (a new block, or again in a keyframe) */
static uint32_t record_block(struct vcpu *c, const struct block *b) {
  uint8_t cls[BLOCK_MAX + 1];
  for (uint32_t k = 0; k < b->n; k++) cls[k] = b->insns[k].cls;
  uint32_t bytes = (uint32_t)(b->insns[b->n - 1].next_rip - b->rip);
  uint64_t pa2 = b->pa2 == ~0ull ? 0 : b->pa2;
  if (b->rec_id) {
    recorder_block_again(c->rec, b->rec_id, b->rip, b->pa, pa2, bytes, b->cycles, cls, b->n);
    return b->rec_id;
  }
  return recorder_block(c->rec, b->rip, b->pa, pa2, bytes, b->cycles, cls, b->n);
}

void cpu_record_code_cache(struct vcpu *c) {
  struct code_cache *cc = c->cc;
  for (uint64_t f = 0; f < cc->nframes; f++)
    for (struct block *b = cc->frame_head[f]; b; b = b->frame_next[(b->pa >> 12) == f ? 0 : 1])
      if (b->valid && (b->pa >> 12) == f) b->rec_id = record_block(c, b);
}

static __attribute__((noinline)) struct block *build(struct vcpu *c, uint64_t rip, uint64_t pa,
                                                     const uint8_t *host) {
  struct code_cache *cc = c->cc;
  size_t need = sizeof(struct block) + sizeof(insn_t) * (BLOCK_MAX + 1);
  if (cc->used + need > ARENA_BYTES) cache_flush(c);
  struct block *b = (struct block *)(cc->arena + cc->used);
  b->rip = rip;
  b->pa = pa;
  b->pa2 = ~0ull;
  b->valid = 1;
  b->cycles = 0;
  b->succ[0] = b->succ[1] = &no_block;
  uint32_t n = 0;
  uint64_t cur = rip;
  const uint8_t *page = host - (rip & 0xfff);
  for (;;) {
    uint8_t buf[16];
    unsigned off = cur & 0xfff;
    int avail = 4096 - (int)off;
    if (avail > 15) avail = 15;
    memcpy(buf, page + off, (size_t)avail);
    insn_t *i = &b->insns[n];
    int r = decode_one(buf, avail, cur, i);
    if (r == DEC_MORE) {
      /* The instruction crosses into the next page.  Not the block's
       * first: the block ends before it, so a fault on the second page is
       * taken with the right RIP and no block's extent depends on what the
       * TLB holds (traces record blocks).  The first: its second page is
       * translated now. */
      if (n > 0) break;
      uint64_t va2 = (cur + 4096) & ~0xfffull;
      uint64_t pa2;
      c->fetch2_rip = rip;           /* a fault here: recorded as the second page's */
      const uint8_t *h2 = fetch_xlate(c, va2, &pa2, NULL);
      c->fetch2_rip = 0;
      memcpy(buf + avail, h2, (size_t)(15 - avail));
      r = decode_one(buf, 15, cur, i);
      if (r != DEC_MORE && r != DEC_TOOLONG) {
        b->pa2 = pa2 & ~0xfffull;
        cpu_mark_code(c, pa2);
      }
    }
    if (r == DEC_TOOLONG) {
      memset(i, 0, sizeof *i);
      i->cls = CC_NONE;
      i->fn = decode_gp_handler();
      i->next_rip = cur;
      i->len = 0;
      n++;
      break;
    }
    if (r == DEC_UD) {
      if (!i->fn) i->fn = decode_ud_handler();
      i->cls = CC_NONE;
      i->next_rip = cur + i->len;
      n++;
      break;
    }
    /* a hit asks for more: the data caches' forms, or (a trace) the general forms */
    if (c->hit_extra) i->fn = decode_form_for(i->fn, c->hit_extra);
    b->cycles += i->cost;
    cur = i->next_rip;
    n++;
    if (r == DEC_OK_END || n >= BLOCK_MAX || (cur & ~0xfffull) != (rip & ~0xfffull) ||
        b->pa2 != ~0ull)
      break;
  }
  b->n = n;
  /* a compare and the branch that ends the block: one handler */
  if (n >= 2) {
    insn_fn f = decode_fused(b->insns[n - 2].fn, b->insns[n - 1].fn);
    if (f) b->insns[n - 2].fn = f;
  }
  insn_t *t = &b->insns[n];
  memset(t, 0, sizeof *t);
  t->fn = op_block_end;
  t->next_rip = b->insns[n - 1].next_rip;
  cc->used += sizeof(struct block) + sizeof(insn_t) * (n + 1);
  cc->used = (cc->used + 15) & ~(size_t)15;
  cpu_mark_code(c, pa);
  uint64_t f = pa >> 12;
  b->frame_next[0] = cc->frame_head[f];
  cc->frame_head[f] = b;
  b->frame_next[1] = NULL;
  if (b->pa2 != ~0ull) {
    uint64_t f2 = b->pa2 >> 12;
    b->frame_next[1] = cc->frame_head[f2];
    cc->frame_head[f2] = b;
  }
  c->blocks_decoded++;
  b->rec_id = 0;
  if (c->rec) b->rec_id = record_block(c, b);
  return b;
}

static inline unsigned fast_slot(uint64_t rip) {
  return (unsigned)((rip ^ (rip >> FAST_BITS)) & ((1u << FAST_BITS) - 1));
}

static struct block *lookup_frame(struct vcpu *c, uint64_t rip, uint64_t pa, const uint8_t *h);
static inline __attribute__((always_inline)) struct block *lookup_block(struct vcpu *c, uint64_t rip) {
  uint64_t pa;
  struct tlb_entry *m;
  const uint8_t *h = fetch_xlate(c, rip, &pa, &m);
  /* the ITLB entry that hit, for chained fetches in the same page (none
   * after a 2M hit or a walk) */
  c->fetch_m = m;
  c->fetch_gen = m ? c->tlb.l1i.gen : 0;
  struct code_cache *cc = c->cc;
  struct block **slot = &cc->fast[fast_slot(rip)];
  struct block *b = *slot;
  if (__builtin_expect(b && b->pa == pa && b->rip == rip && b->valid, 1)) return b;
  return lookup_frame(c, rip, pa, h);
}

/* The block that runs after prev, when it is chained: it starts in prev's
 * page, so its fetch is a hit on the ITLB entry that fetched prev, as
 * long as the level has not changed since (gen).  The hit's effects are
 * fetch_xlate's on that entry: same stamp, counter and cycles. */
static inline __attribute__((always_inline)) struct block *chained(struct vcpu *c, struct block *prev,
                                                                   uint64_t rip) {
  struct block *s = prev->succ[0];
  if (s->rip != rip) {
    s = prev->succ[1];
    if (s->rip != rip) return NULL;
  }
  struct tlb_level *t = &c->tlb.l1i;
  if (__builtin_expect(!s->valid || c->fetch_gen != t->gen, 0)) return NULL;
#ifndef NDEBUG
  /* (the debug and sanitizer builds check that the held entry is still
   * the hit a probe would find) */
  if (c->fetch_m->tag != tlb_tag(rip, cur_pcid(c)) || (c->fetch_m->perm & NEED_UF) != NEED_UF) abort();
#endif
  c->fetch_m->stamp = ++t->clock;
  t->fast_hits++;
  c->cycles += t->latency;
  return s;
}

/* b ran after prev and was looked up in full: chain it if it starts in
 * prev's page (virtual and machine) */
static inline void chain(struct block *prev, struct block *b) {
  if (((prev->rip ^ b->rip) >> 12) == 0 && ((prev->pa ^ b->pa) >> 12) == 0 && prev->succ[0] != b) {
    prev->succ[1] = prev->succ[0];
    prev->succ[0] = b;
  }
}

/* not in the fast slot: the frame's blocks, or a new one */
static __attribute__((noinline)) struct block *lookup_frame(struct vcpu *c, uint64_t rip, uint64_t pa,
                                                             const uint8_t *h) {
  struct code_cache *cc = c->cc;
  struct block **slot = &cc->fast[fast_slot(rip)];
  struct block *b;
  for (b = cc->frame_head[pa >> 12]; b; b = b->frame_next[(b->pa >> 12) == (pa >> 12) ? 0 : 1])
    if (b->pa == pa && b->rip == rip && b->valid) { *slot = b; return b; }
  b = build(c, rip, pa, h);
  *slot = b;
  return b;
}

uint64_t icount_now(const struct vcpu *c) {
  const struct block *b = c->cur_block;
  if (!b || !c->cur) return c->icount;
  uint32_t idx = (uint32_t)(c->cur - b->insns);
  return c->icount - (b->n - idx);
}

_Noreturn void cpu_raise(struct vcpu *c, int vector, int has_err, uint32_t err) {
  struct block *b = c->cur_block;
  c->exc.vector = (uint8_t)vector;
  c->exc.has_err = has_err;
  c->exc.err = err;
  c->raise_block = NULL;
  int64_t cut = -1;          /* where the block stops, if the guest sees it */
  if (b && c->cur) {
    /* A fault: the instruction did not retire; RIP points at it. */
    uint32_t idx = (uint32_t)(c->cur - b->insns);
    if (idx < b->n) {
      for (uint32_t k = idx; k < b->n; k++) c->cycles -= b->insns[k].cost;
      c->icount -= b->n - idx;
      c->rip = c->cur->next_rip - c->cur->len;
      c->raise_block = b;
      c->raise_idx = idx;
      cut = idx;
    }
  } else if (c->resume_block) {
    cut = c->resume_idx;     /* the interrupted instruction's fetch faulted */
  }
  c->exc.rip = c->rip;
  cpu_redo_end(c);
  c->raise_in_rep = c->rep_insn && c->cur == c->rep_insn;
  if (c->rec && !c->cur && vector == EXC_PF)   /* a fetch: no recorded access made it (the
                                                  architectural error code: a software TLB's
                                                  exception bits are the mode's, not the guest's) */
    recorder_fetch_fault(c->rec, c->fetch2_rip ? 1 : 0, c->fetch2_rip ? c->fetch2_rip : c->exc.cr2, err & ~PFEC_SOFT);
  c->fetch2_rip = 0;
  if (c->raise_in_rep) cpu_rep_raise(c, cut);
  else if (c->rec) recorder_raise(c->rec, c->cur, cut, -1, 0, 0, 0, 0, 0, 0, 0);
  c->cur = NULL;
  c->cur_block = NULL;
  longjmp(c->jb, 1);
}

void cpu_exception_done(struct vcpu *c, bool hidden) {
  struct block *b = c->raise_block;
  c->raise_block = NULL;
  if (hidden && (b ? b->valid : true)) {
    /* (no block: a fetch faulted, at a block's start or at resume) */
    /* the guest did not see it: the block goes on at the instruction
     * (or, when its fetch faulted, still will) */
    if (b) {
      c->resume_block = b;
      c->resume_idx = c->raise_idx;
      if (c->raise_in_rep) {
        c->rep_resume = true;
      } else {
        c->redo_pending = true;
        c->redo_va = c->exc.cr2;
        c->redo_write = c->exc.err & PFEC_W;
      }
    }
    if (c->rec) recorder_rollback(c->rec);
    return;
  }
  /* the guest saw it (or the block is gone): the block stays cut */
  c->resume_block = NULL;
  c->redo_pending = false;
  if (c->raise_in_rep) cpu_rep_stopped(c);
  c->raise_in_rep = false;
  c->rep_resume = false;
  if (c->rec) recorder_commit(c->rec);
}

_Noreturn void cpu_raise_pf(struct vcpu *c, uint64_t va, uint32_t pfec) {
  c->exc.cr2 = va;
  if (pfec & PFEC_NESTED) cpu_raise(c, EXC_NESTED, 0, pfec & 0xffff);
  cpu_raise(c, EXC_PF, 1, pfec & 0xffff);
}

/* --max-insns: the run ends inside block b.  Its instructions [idx, end)
 * run, then the CPU stops with rip at the next one, so the run retires
 * exactly the limit (a trace records the block cut there). */
static __attribute__((noinline)) int run_cut(struct vcpu *c, struct block *b, uint32_t idx, uint32_t end) {
  for (uint32_t k = idx; k < end; k++) c->cycles += b->insns[k].cost;
  c->icount += end - idx;
  c->cur_block = b;
  const insn_t *i = &b->insns[idx], *stop = &b->insns[end];
  while (i && i != stop) {
    c->cur = i;
    /* (a compare fused with the branch the limit leaves out runs alone) */
    i = (i + 1 == stop ? decode_unfused(i->fn) : i->fn)(c, i);
  }
  c->cur = NULL;
  c->cur_block = NULL;
  if (c->exit_reason) return c->exit_reason;
  if (i == stop) {
    c->rip = stop->next_rip - stop->len;
    if (c->rec) recorder_cut(c->rec, end);
  }
  return CPU_EXIT_BUDGET;
}

/* After a hidden fault the interrupted block goes on at the instruction
 * that faulted: it is fetched again (an ITLB lookup, as a re-executed
 * instruction is) and runs again, then the rest of the block, as if the
 * fault had not been there (a mode without hidden faults runs the block
 * through).  Returns the CPU exit, or 0 to go on with the next block. */
static __attribute__((noinline)) int resume(struct vcpu *c) {
  struct block *b = c->resume_block;
  uint32_t idx = c->resume_idx;
  const insn_t *i = &b->insns[idx];
  uint64_t pa = 0;
  if (b->valid && i->next_rip - i->len == c->rip) fetch_xlate(c, c->rip, &pa, NULL);   /* may raise */
  c->resume_block = NULL;
  if (!b->valid || i->next_rip - i->len != c->rip || (pa & ~0xfffull) != (b->pa & ~0xfffull)) {
    /* its code went away meanwhile (not seen so far): the block stays cut */
    c->redo_pending = false;
    if (c->rec) recorder_cut(c->rec, idx);
    return 0;
  }
  if (c->icount + (b->n - idx) > c->icount_limit) {   /* --max-insns ends inside the rest */
    c->redo_pending = false;
    return run_cut(c, b, idx, idx + (uint32_t)(c->icount_limit - c->icount));
  }
  for (uint32_t k = idx; k < b->n; k++) c->cycles += b->insns[k].cost;
  c->icount += b->n - idx;
  c->cur_block = b;
  if (c->redo_pending) { c->redo_pending = false; cpu_redo_begin(c); }
  c->cur = i;
  i = i->fn(c, i);
  cpu_redo_end(c);
  while (i) {
    c->cur = i;
    i = i->fn(c, i);
  }
  c->cur = NULL;
  c->cur_block = NULL;
  return c->exit_reason;
}

/* The dispatch loop, instantiated with and without recording, and with
 * and without an exact instruction limit (--max-insns), so that a run
 * without a trace or a limit makes no test for them per block. */
static inline __attribute__((always_inline)) int run_blocks(struct vcpu *c, const bool rec, const bool limited,
                                                             const bool watch) {
  struct block *prev = NULL;   /* the block that ran last */
  while (c->icount < c->icount_stop) {
    /* a watched address (run --roi-symbol) is handed to the simulator
     * before its block runs; the next look goes on */
    if (watch && __builtin_expect(c->rip == c->watch_rip, 0) && c->watch_rip != CPU_WATCH_NONE) {
      /* (a jump to the sentinel itself, ~0, is the guest's own: found by
       * tests/fuzz/fuzz_insn) */
      if (!c->watch_skip) { c->watch_skip = true; return CPU_EXIT_WATCH; }
      c->watch_skip = false;
    }
    struct block *b = prev ? chained(c, prev, c->rip) : NULL;
    if (!b) {
      uint64_t flushes = c->cc->flushes;
      b = lookup_block(c, c->rip);
      /* (a flush of the code cache while b was built: prev is gone) */
      if (prev && flushes == c->cc->flushes) chain(prev, b);
    }
    prev = b;
    if (rec) recorder_bb(c->rec, b->rec_id);
    if (limited && __builtin_expect(c->icount + b->n > c->icount_limit, 0))   /* --max-insns ends inside it */
      return run_cut(c, b, 0, (uint32_t)(c->icount_limit - c->icount));
    c->cur_block = b;
    c->icount += b->n;
    c->cycles += b->cycles;
    const insn_t *i = b->insns;
    do {
      c->cur = i;
      i = i->fn(c, i);
    } while (i);
    c->cur = NULL;
    c->cur_block = NULL;
    if (c->exit_reason) return c->exit_reason;
  }
  return CPU_EXIT_BUDGET;
}

/* each apart from cpu_run, whose setjmp would keep the loop's values in
 * memory rather than registers; the watch (set only between runs) is
 * tested per block only when there is one */
static __attribute__((noinline)) int run_plain(struct vcpu *c) { return run_blocks(c, false, false, false); }
static __attribute__((noinline)) int run_watched(struct vcpu *c) { return run_blocks(c, false, false, true); }
static __attribute__((noinline)) int run_recording(struct vcpu *c) { return run_blocks(c, true, false, true); }
static __attribute__((noinline)) int run_limited(struct vcpu *c) {
  return c->rec ? run_blocks(c, true, true, true) : run_blocks(c, false, true, true);
}

int cpu_run(struct vcpu *c) {
  c->exit_reason = CPU_EXIT_NONE;
  if (setjmp(c->jb)) {
    c->cur = NULL;
    c->cur_block = NULL;
    return CPU_EXIT_EXCEPTION;
  }
  c->cur = NULL;
  c->cur_block = NULL;
  if (c->resume_block) {
    int r = resume(c);
    if (r) return r;
  }
  if (__builtin_expect(c->icount_limit != ~0ull, 0)) return run_limited(c);
  if (c->rec) return run_recording(c);
  return c->watch_rip == CPU_WATCH_NONE ? run_plain(c) : run_watched(c);
}
