/* `faultline replay` (traces/FORMAT.md "What a replay drives with each
 * record"): a recording's records drive the same machine a live run
 * assembles -- the CPU's TLBs and walks (cpu-x86/replay.c), the guest
 * kernel's charged accessors (kaccess, kwrite_pte, user_xlate, the KPTI
 * switches), and the mode's fault path through struct guest_ops -- with
 * the guest kernel's decisions taken from the records instead of made
 * again.  What the mode does with them (hidden faults, VM exits, shadow
 * and nested tables, hypercalls) is the mode's own, so a replay under
 * another mode or other hardware parameters is that configuration's run. */
#include "sim/machine.h"
#include "sim/mm_internal.h"
#include "sim/record.h"
#include "traces/recorder.h"
#include "mmu/cache.h"
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/replay_priv.h"


_Noreturn void replay_fail(struct replay *R, const char *fmt, ...) {
  char msg[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *name = fltr_kinds[R->rec.kind].name;
  snprintf(R->err, sizeof R->err, "%s: record %llu (%s): %s", R->path,
           (unsigned long long)fltr_decoder_count(R->dec), name ? name : "?", msg);
  longjmp(R->fail, 1);
}

/* the next record (a trace that ends or is damaged here ends the replay) */
const struct fltr_rec *replay_next(struct replay *R) {
  int rc = fltr_decode(R->dec, &R->rec);
  if (rc < 0) {
    snprintf(R->err, sizeof R->err, "%s", fltr_error(R->rd));
    longjmp(R->fail, 1);
  }
  if (rc == 0) replay_fail(R, "the trace ends inside a fault the replay is handling");
  return &R->rec;
}

#define BLOCK_PAGE 4096u
static struct rblock *block_of(struct replay *R, uint64_t id) {
  struct rblock *p = id / BLOCK_PAGE < R->nbpages ? R->bpages[id / BLOCK_PAGE] : NULL;
  if (id == 0 || !p || !p[id % BLOCK_PAGE].n) replay_fail(R, "block %llu is not in the block table", (unsigned long long)id);
  return &p[id % BLOCK_PAGE];
}

static struct mm *mm_of(struct replay *R, uint64_t id) {
  if (id >= R->nmms || !R->mms[id]) replay_fail(R, "address space %llu does not exist", (unsigned long long)id);
  return R->mms[id];
}

/* ---- the instruction stream ---- */

/* the instructions from idx on do not retire (cpu_raise), or do again */
static void take_off(struct replay *R, uint32_t idx) {
  const struct rblock *b = block_of(R, R->cur);
  if (idx > b->n) replay_fail(R, "instruction %u of a block of %u", idx, b->n);
  for (uint32_t i = idx; i < b->n; i++) R->c->cycles -= cpu_class_cost_of(b->cls[i]);
  R->c->icount -= b->n - idx;
}
static void put_back(struct replay *R, uint32_t idx) {
  const struct rblock *b = block_of(R, R->cur);
  for (uint32_t i = idx; i < b->n; i++) R->c->cycles += cpu_class_cost_of(b->cls[i]);
  R->c->icount += b->n - idx;
}

/* A #PF (or a nested fault) at va.  The mode handles it; if its handler
 * asks the guest kernel (plan), the fault was the guest's and the trace
 * holds its records up to fault_end.  Returns true for such a fault,
 * false for one the mode resolved alone (the access is made again). */
static bool take_fault(struct replay *R, uint64_t va, uint32_t pf, bool in_kernel) {
  const struct hv_mode *mode = R->hv->mode;
  if (pf & PFEC_NESTED) {
    int sig = mode->nested_fault ? mode->nested_fault(R->hv, va, pf & 0xffff) : SIGBUS;
    if (sig) replay_fail(R, "unresolvable nested fault at %#llx under mode %s", (unsigned long long)va, mode->name);
    return false;
  }
  R->plan_taken = false;
  int si = 0;
  uint64_t visible = R->hv->bus->visible_faults;
  R->k->fault_depth++;
  int sig = mode->page_fault(R->hv, va, pf & 0xffff, in_kernel, &si);
  R->k->fault_depth--;
  if (R->imported) {
    /* the guest kernel decided itself: its fault was the guest's */
    if (sig) replay_fail(R, "the guest kernel sends signal %d for the access at %#llx", sig, (unsigned long long)va);
    if (R->hv->bus->visible_faults != visible) R->k->minflt++;
    return false;
  }
  bool seen = R->plan_taken;
  replay_fault_end(R->k, sig);
  return seen;
}

/* a mode's page-fault handler returned (record_fault_end's place): the
 * fault the guest kernel planned in it ends as the recording's did */
void replay_fault_end(struct kernel *k, int sig) {
  struct replay *R = k->replay;
  if (R->imported) return;
  if (!R->plan_taken) {
    if (sig) replay_fail(R, "mode %s ended a fault the guest did not see with signal %d", k->hv->mode->name, sig);
    return;
  }
  R->plan_taken = false;
  const struct fltr_rec *r = replay_next(R);
  if (r->kind != FLTR_K_FAULT_END) replay_fail(R, "the fault should end here");
  if (r->v[0] != (uint64_t)sig)
    replay_fail(R, "the fault ends with signal %d here, %llu in the recording", sig, (unsigned long long)r->v[0]);
}

/* an instruction fetch at va, its faults handled; true: the guest saw one */
static bool fetch(struct replay *R, uint64_t va) {
  for (int tries = 0; tries < 64; tries++) {
    uint32_t pf = cpu_replay_fetch(R->c, va);
    if (!pf || pf == CPU_REPLAY_GP) return false;
    if (take_fault(R, va, pf, false)) return true;
  }
  replay_fail(R, "the fetch at %#llx keeps faulting", (unsigned long long)va);
}

/* After a hidden fault the block goes on at the faulting instruction: it
 * is fetched again (an ITLB lookup of the block's page, as run.c's
 * resume does) and runs again. */
static void refetch(struct replay *R) {
  if (fetch(R, block_of(R, R->cur)->rip)) replay_fail(R, "the guest saw a fault re-fetching its block");
}

/* An access of instruction idx faulted (cpu_raise's place): the rest of
 * its block does not retire, the mode handles the fault.  True: the guest
 * saw it (the block is cut there); false: a hidden fault, after which the
 * block goes on at the instruction (fetched again, run again). */
static bool raise_at(struct replay *R, uint32_t idx, uint64_t fva, uint32_t pf) {
  take_off(R, idx);
  R->raising = idx + 1;
  bool seen = take_fault(R, fva, pf, false);
  R->raising = 0;
  if (seen) { R->cur = 0; return true; }
  put_back(R, idx);
  refetch(R);
  return false;
}

static __attribute__((noinline)) void ref_slow(struct replay *R, uint32_t idx);

static inline void do_ref(struct replay *R, uint64_t va, unsigned size, unsigned kind, uint32_t idx) {
  if (idx != R->insn) { R->insn = idx; R->nins = 0; }
  if (R->nins == INSN_REFS_MAX) replay_fail(R, "more than %d references in one instruction", INSN_REFS_MAX);
  R->ins[R->nins].va = va;
  R->ins[R->nins].size = size;
  R->ins[R->nins].kind = kind;
  R->nins++;
  R->refs++;
  if (__builtin_expect(cpu_replay_ref_hit(R->c, va, size, kind), 1)) return;
  ref_slow(R, idx);
}

/* the reference missed the L1 TLB: the whole path, and its faults */
static __attribute__((noinline)) void ref_slow(struct replay *R, uint32_t idx) {
  int from = R->nins - 1;
  for (;;) {
    uint32_t pf = 0;
    uint64_t fva = 0;
    int i;
    for (i = from; i < R->nins; i++)
      if ((pf = cpu_replay_ref(R->c, R->ins[i].va, R->ins[i].size, R->ins[i].kind, &fva))) break;
    if (i == R->nins || pf == CPU_REPLAY_GP) return;
    if (raise_at(R, idx, fva, pf)) return;
    from = 0;
  }
}

static void do_rep(struct replay *R, const uint64_t *v) {
  unsigned op = (unsigned)v[0], operands = (op & 7) == 0 || (op & 7) == 3 ? 2 : 1;
  uint32_t idx = (uint32_t)v[6];
  /* the count register's iterations past the recorded ones (and the
   * faulting one): movs and stos chunk by it */
  uint64_t beyond = v[7] > (v[5] ? 1u : 0u) ? v[7] - (v[5] ? 1u : 0u) : 0;
  struct cpu_replay_rep st = {op, (unsigned)v[1], v[2] + (v[5] ? 1 : 0), v[3], v[4], beyond};
  if (!st.size || st.size > 8) replay_fail(R, "bad size");
  R->refs += v[2] * operands + v[5];
  for (;;) {
    uint64_t fva = 0;
    uint32_t pf = cpu_replay_rep(R->c, &st, &fva);
    if (!pf) {
      if (v[5]) replay_fail(R, "the REP instruction's recorded fault does not happen");
      return;
    }
    if (pf == CPU_REPLAY_GP) return;
    if (raise_at(R, idx, fva, pf)) return;
  }
}

/* ---- the main loop: one record at a time ---- */

/* lookup_block's fetch of a block's first byte and, for a block whose
 * first instruction crosses into the next page, build's fetch of that
 * page: a hidden fault there makes the run loop look the block up again
 * (both fetches again).  True: the guest saw a fault (on the second page
 * when two). */
static bool fetch_block(struct replay *R, uint64_t rip, bool two) {
  for (int tries = 0; tries < 64; tries++) {
    if (fetch(R, rip)) return true;
    if (!two) return false;
    uint64_t va2 = (rip & ~0xfffull) + PAGE;
    uint32_t pf = cpu_replay_fetch(R->c, va2);
    if (!pf || pf == CPU_REPLAY_GP) return false;
    if (take_fault(R, va2, pf, false)) return true;
  }
  replay_fail(R, "the fetch at %#llx keeps faulting", (unsigned long long)rip);
}

static void block_record(struct replay *R, const struct fltr_rec *r) {
  uint64_t id = r->v[0];
  if (!r->len || r->len > 63) replay_fail(R, "a block of %u instructions", r->len);
  if (id > (1u << 28)) replay_fail(R, "block id %llu", (unsigned long long)id);
  size_t pg = (size_t)(id / BLOCK_PAGE);
  if (pg >= R->nbpages) {
    size_t n = R->nbpages ? R->nbpages : 16;
    while (n <= pg) n *= 2;
    struct rblock **t = realloc(R->bpages, n * sizeof *t);
    if (!t) replay_fail(R, "out of host memory");
    memset(t + R->nbpages, 0, (n - R->nbpages) * sizeof *t);
    R->bpages = t;
    R->nbpages = n;
  }
  if (!R->bpages[pg] && !(R->bpages[pg] = calloc(BLOCK_PAGE, sizeof **R->bpages))) replay_fail(R, "out of host memory");
  struct rblock *b = &R->bpages[pg][id % BLOCK_PAGE];
  b->rip = r->v[1];
  b->n = (uint8_t)r->len;
  memcpy(b->cls, r->data, r->len);
  b->cycles = 0;
  for (uint32_t i = 0; i < r->len; i++) b->cycles += cpu_class_cost_of(b->cls[i]);
  if (R->in_keyframe) {
    /* the code cache at the keyframe: its frames hold code (stores to
     * them invalidate it), no fetch */
    if (R->kf_seek && r->v[2] < R->k->mem->ram_bytes && r->v[3] < R->k->mem->ram_bytes && !R->imported) {
      if (r->v[3]) cpu_mark_code(R->c, r->v[3]);
      cpu_mark_code(R->c, r->v[2]);
    }
    return;
  }
  if (R->imported) {                 /* no machine addresses: the fetch at its bb */
    R->c->blocks_decoded++;
    return;
  }
  uint64_t pa = r->v[2], pa2 = r->v[3];
  if (pa >= R->k->mem->ram_bytes || pa2 >= R->k->mem->ram_bytes) replay_fail(R, "code outside memory");
  /* lookup_block: the fetch of its first byte, then build: the second
   * page's fetch, the frames marked as code */
  R->c->blocks_decoded++;
  if (fetch_block(R, b->rip, pa2 != 0)) replay_fail(R, "the guest saw a fault fetching a block it decoded");
  if (pa2) cpu_mark_code(R->c, pa2);
  cpu_mark_code(R->c, pa);
  R->fetched = true;
}

static void progress(struct replay *R) {
  if (R->c->icount < R->next_progress) return;
  R->next_progress = R->c->icount + 50000000;
  if (R->end_icount)
    fprintf(stderr, "\rfaultline: replay %llu M of %llu M instructions (%llu%%)", (unsigned long long)(R->c->icount / 1000000),
            (unsigned long long)(R->end_icount / 1000000), (unsigned long long)(R->c->icount * 100 / R->end_icount));
  else fprintf(stderr, "\rfaultline: replay %llu M instructions", (unsigned long long)(R->c->icount / 1000000));
}

/* an address space (mm_new, or a keyframe's kf_mm) */
static void replay_mm_new(struct replay *R, const struct fltr_rec *r) {
  struct kernel *k = R->k;
  const uint64_t *v = r->v;
  uint64_t id = v[0];
  if (id > (1u << 26) || (v[1] << 12) >= k->mem->ram_bytes) replay_fail(R, "bad address space");
  if (id >= R->nmms) {
    size_t n = R->nmms ? R->nmms : 64;
    while (n <= id) n *= 2;
    struct mm **p = realloc(R->mms, n * sizeof *p);
    if (!p) replay_fail(R, "out of host memory");
    memset(p + R->nmms, 0, (n - R->nmms) * sizeof *p);
    R->mms = p;
    R->nmms = n;
  }
  if (!R->mms[id]) R->mms[id] = calloc(1, sizeof **R->mms);
  if (!R->mms[id]) replay_fail(R, "out of host memory");
  R->mms[id]->pml4 = v[1] << 12;
  R->mms[id]->id = id;
  R->mms[id]->refs = 1;
}

/* --from: the machine's counters start here (what the stats JSON reports
 * is the window's); the cycle count too, so the log's stamps are the
 * window's */
static void window_start(struct replay *R) {
  struct machine *m = R->m;
  struct vcpu *c = R->c;
  R->counting = true;
  R->win_icount0 = c->icount;
  if (R->win.from == 0) return;      /* from the start: everything counts, the boot included */
  c->cycles = 0;
  c->blocks_decoded = c->code_invalidations = 0;
  c->slow_refs = 0;
  c->ref_adjust = 0;
  struct tlb_level *lv[7] = {&c->tlb.l1d, &c->tlb.l1i, &c->tlb.stlb, &c->tlb.l1d2m,
                             &c->tlb.l1d1g, &c->tlb.l1i2m, &c->tlb.stlb1g};
  for (int i = 0; i < 7; i++) lv[i]->hits = lv[i]->misses = lv[i]->fast_hits = 0;
  m->mmu.walks = m->mmu.walk_refs = m->mmu.walk_faults = m->mmu.tlb_installs = m->mmu.walk_cycles = 0;
  memset(m->mmu.walks_by_leaf, 0, sizeof m->mmu.walks_by_leaf);
  if (m->mmu.pwc)
    for (int l = 0; l < 6; l++) m->mmu.pwc->lv[l].hits = m->mmu.pwc->lv[l].misses = 0;
  if (m->mmu.nested) {
    m->mmu.nested->walks = m->mmu.nested->refs = 0;
    m->mmu.nested->ntlb_hits = m->mmu.nested->ntlb_misses = 0;
  }
  if (m->dcache.enabled) {
    m->dcache.l1d.hits = m->dcache.l1d.misses = 0;
    m->dcache.l2.hits = m->dcache.l2.misses = 0;
    m->dcache.llc.hits = m->dcache.llc.misses = 0;
  }
  ev_stats_reset(&m->es);
  memset(m->hv.st.counter, 0, sizeof m->hv.st.counter);
  for (int i = 0; i < m->hv.st.nexit_kinds; i++) m->hv.st.exits[i].n = 0;
  m->hv.st.exits_total = 0;
  R->k->kernel_refs = R->k->user_copies = R->k->pte_writes = R->k->kpti_switches = 0;
  R->k->minflt = 0;
  R->pt_new = 0;
  R->refs = 0;
}

/* A keyframe (FORMAT.md "Keyframes") read after a seek: the address
 * spaces and their page tables written into machine memory (the kernel
 * half as every address space has it), each table announced to the mode;
 * the running task's address space loaded when it ends. */
static void keyframe_record(struct replay *R, const struct fltr_rec *r) {
  struct kernel *k = R->k;
  const uint64_t *v = r->v;
  switch (r->kind) {
  case FLTR_K_KF_TASK:
    if (v[3] == 0) { k->hv->bus->pid = (int)v[1]; R->pv_kf_root = v[2]; }
    break;
  case FLTR_K_KF_MM: {
    struct fltr_rec mr = {.kind = FLTR_K_MM_NEW, .v = {v[0], v[1]}};
    replay_mm_new(R, &mr);
    break;
  }
  case FLTR_K_KF_PT: {
    uint64_t pa = v[0] << 12;
    if (pa >= k->mem->ram_bytes) replay_fail(R, "table outside memory");
    memset(mem_host(k->mem, pa), 0, PAGE);
    if (v[1] == 4) {
      uint64_t e273 = k->kpdpt | PTE_P | PTE_W | PTE_A, e511 = k->ktext_pdpt | PTE_P | PTE_W | PTE_A;
      memcpy(mem_host(k->mem, pt_entry_pa(pa, PHYSMAP_BASE, 4)), &e273, 8);
      memcpy(mem_host(k->mem, pt_entry_pa(pa, KTEXT_BASE, 4)), &e511, 8);
    }
    pv_new_table(k, pa, (int)v[1]);
    break;
  }
  case FLTR_K_KF_PTE:
    if (v[0] + 8 > k->mem->ram_bytes || (v[0] & 7)) replay_fail(R, "entry outside memory");
    /* as plain stores: a paravirtualized mode has not validated them
     * (Xen PV's end-of-run audit can count them: FORMAT.md, Windows) */
    memcpy(mem_host(k->mem, v[0]), &v[1], 8);
    break;
  case FLTR_K_KF_END:
    if (k->hv->mode->keyframe) k->hv->mode->keyframe(k->hv);
    if (R->pv_kf_root) {
      k->mm = mm_of(R, R->pv_kf_root);
      mm_switch_user(k);
      R->pv_kf_root = 0;
    }
    break;
  default: break;
  }
}

/* the two records most of a trace is: a block runs, a data reference */
static bool hot_bb(void *ctx, uint64_t id) {
  struct replay *R = ctx;
  struct vcpu *c = R->c;
  R->rec.kind = FLTR_K_BB;
  if (__builtin_expect(R->win.on, 0)) {
    if (!R->counting && c->icount >= R->win.from) window_start(R);
    if (c->icount >= R->win.to) { R->stop = true; return false; }
  }
  struct rblock *b = block_of(R, id);
  if (!R->fetched && !cpu_replay_fetch_hit(c, b->rip) && fetch(R, b->rip))
    replay_fail(R, "the guest saw a fault fetching a block that ran");
  R->fetched = false;
  R->cur = (uint32_t)id;
  R->nins = 0;
  R->insn = ~0u;
  c->icount += b->n;
  c->cycles += b->cycles;
  if (R->tty) progress(R);
  return true;
}
static bool hot_ref(void *ctx, uint64_t va, uint64_t sa, uint64_t insn) {
  struct replay *R = ctx;
  R->rec.kind = FLTR_K_REF;
  if (!R->cur) replay_fail(R, "a reference without a running block");
  if (!(sa >> 2) || (sa >> 2) > 4096 || (sa & 3) == 3) replay_fail(R, "bad reference size or kind");
  do_ref(R, va, (unsigned)(sa >> 2), (unsigned)(sa & 3), (uint32_t)insn);
  return true;
}

/* --cpus: the records are now vCPU j's (the recording's smp_select): the
 * machine switches to it, with the running block, address space and
 * process it had */
static void switch_cpu(struct replay *R, uint32_t j) {
  struct kernel *k = R->k;
  if (j >= (uint32_t)k->smp.n) replay_fail(R, "vCPU %u in a replay of %d", j, k->smp.n);
  struct replay_cpu *o = &R->cpus[R->cpu], *n = &R->cpus[j];
  o->cur = R->cur; o->insn = R->insn; o->nins = R->nins; o->fetched = R->fetched; o->sys_rerun = R->sys_rerun;
  memcpy(o->ins, R->ins, sizeof o->ins);
  o->mm = k->mm;
  o->pid = k->hv->bus->pid;
  o->refs += R->refs - R->refs_at_switch;
  R->refs_at_switch = R->refs;
  k->smp.cur = (int)j;
  k->hv->on_cpu(k->hv->on_cpu_ctx, (int)j);
  R->c = R->m->c;
  R->c->cpl = 3;
  R->cur = n->cur; R->insn = n->insn; R->nins = n->nins; R->fetched = n->fetched; R->sys_rerun = n->sys_rerun;
  memcpy(R->ins, n->ins, sizeof R->ins);
  k->mm = n->mm;
  k->hv->bus->pid = n->pid;
  R->cpu = j;
  fltr_decoder_set_cpu(R->dec, j);
}

static void replay_loop(struct replay *R) {
  struct kernel *k = R->k;
  struct fltr_hot_rec hot[256];
  for (;;) {
    struct vcpu *c = R->c;
    unsigned nh;
    while ((nh = fltr_decode_hot(R->dec, hot, 256)) > 0)
      for (unsigned i = 0; i < nh; i++) {
        if (hot[i].kind == FLTR_K_REF) hot_ref(R, hot[i].a, hot[i].sa, hot[i].insn);
        else if (!hot_bb(R, hot[i].a)) return;
      }
    if (R->stop) return;
    int rc = fltr_decode(R->dec, &R->rec);
    if (rc < 0) { snprintf(R->err, sizeof R->err, "%s", fltr_error(R->rd)); longjmp(R->fail, 1); }
    if (rc == 0) return;
    const struct fltr_rec *r = &R->rec;
    const uint64_t *v = r->v;
    if (r->cpu != R->cpu) {
      switch_cpu(R, r->cpu);
      c = R->c;
    }
    switch (r->kind) {
    case FLTR_K_BLOCK: block_record(R, r); break;
    case FLTR_K_BB: if (!hot_bb(R, v[0])) return; break;
    case FLTR_K_CUT:
      if (!R->cur) replay_fail(R, "a cut without a running block");
      take_off(R, (uint32_t)v[0]);
      R->cur = 0;
      break;
    case FLTR_K_REF: hot_ref(R, v[0], v[1], v[2]); break;
    case FLTR_K_REP:
      if (!R->cur) replay_fail(R, "a REP instruction without a running block");
      do_rep(R, v);
      break;
    case FLTR_K_SYS_ENTER:
      R->sys_rerun = v[1] != 0;
      if (!R->sys_rerun && k->hv->mode->syscall_cross) c->cycles += k->hv->mode->syscall_cross(k->hv, true);
      if (!R->sys_rerun) c->cycles += syscall_enter_cost(k);
      break;
    case FLTR_K_SYS_EXIT:
      if (!R->sys_rerun) c->cycles += syscall_exit_cost(k);
      if (!R->sys_rerun && k->hv->mode->syscall_cross) c->cycles += k->hv->mode->syscall_cross(k->hv, false);
      R->sys_rerun = false;
      break;
    case FLTR_K_UCOPY: {
      uint8_t *h;
      user_xlate(k, v[1], (size_t)v[2], v[0] != 0, &h);
      break;
    }
    case FLTR_K_XFAULT:
      if (v[0] == 2) {
        /* the kernel faults a page in itself (get_user_pages) */
        int tries = 0;
        while (!take_fault(R, v[1], (uint32_t)v[2], true))
          if (++tries == 8) replay_fail(R, "the page the kernel faults in is never the guest kernel's fault");
      } else {
        if (!fetch_block(R, v[1], v[0] == 1))
          replay_fail(R, "the recorded fetch fault at %#llx does not happen", (unsigned long long)v[1]);
      }
      break;
    case FLTR_K_MM_NEW: replay_mm_new(R, r); break;
    case FLTR_K_MM_FREE: {
      struct mm *mm = mm_of(R, v[0]);
      if (k->hv->mode->pv_pt_free) k->hv->mode->pv_pt_free(k->hv, mm->pml4);
      break;
    }
    case FLTR_K_CR3:
      k->mm = mm_of(R, v[0]);
      if (k->mm->pml4 != v[1] << 12) replay_fail(R, "address space %llu has another top table", (unsigned long long)v[0]);
      mm_switch_user(k);
      break;
    case FLTR_K_WRITEBACK: pc_writeback_step(k, v[0]); break;
    case FLTR_K_KSTEP:               /* a step of the kernel's own (fork, exit, wait, userfaultfd), its work the records between */
      if (v[0] >= EV_S__COUNT) replay_fail(R, "unknown step %llu", (unsigned long long)v[0]);
      hv_begin(k->hv, (int)v[0], v[1], 0);
      /* the mode's own work at this step (mm_fork.c mm_exit_mmap) */
      if (v[0] == EV_S_EXIT_ARCH_EXIT_MMAP && k->hv->mode->pv_exit_mmap) k->hv->mode->pv_exit_mmap(k->hv, v[1]);
      break;
    case FLTR_K_KSTEP_END:
      hv_set_arg(k->hv, v[0]);
      hv_end_n(k->hv, 0, v[1]);
      break;
    case FLTR_K_SCHED:
      k->hv->bus->pid = (int)v[0];
      if (k->smp.n > 1 && v[1] == 0 && k->hv->cpu_idle[k->smp.cur]) smp_sched_in(k);
      break;
    case FLTR_K_IDLE: smp_sched_out(k); break;
    case FLTR_K_PREEMPT:
      k->hv->cpu_preempted[k->smp.cur] = v[0] != 0;
      k->hv->sd.preempted_turns += v[0] != 0;
      break;
    case FLTR_K_EXIT: smp_task_gone(k); break;
    case FLTR_K_FORK: case FLTR_K_EXEC: case FLTR_K_SIGNAL: break;
    case FLTR_K_ROI:                 /* the recording's region commands (not inside a window's counts) */
      if (!R->win.on) {
        cpu_set_data_refs(c, R->refs);   /* (the snapshot's refs.user: the records', as live) */
        roi_command(R->m, (int)v[0]);
      }
      break;
    case FLTR_K_KSTAT:
      if (v[0] < FLTR_KSTAT__COUNT) R->kstat[v[0]] = v[1];
      R->have_kstat = true;
      break;
    case FLTR_K_KF_BEGIN:
      R->in_keyframe = true;
      R->kf_seek = R->seeking;       /* the state it holds is needed: the replay starts here */
      R->seeking = false;
      if (R->kf_seek) c->icount = v[0];
      break;
    case FLTR_K_KF_END:
      if (R->kf_seek) keyframe_record(R, r);
      R->in_keyframe = R->kf_seek = false;
      break;
    case FLTR_K_KF_TASK: case FLTR_K_KF_MM: case FLTR_K_KF_PT: case FLTR_K_KF_PTE:
      if (R->kf_seek) keyframe_record(R, r);
      break;
    case FLTR_K_FAULT: case FLTR_K_KOP: case FLTR_K_FAULT_END:
      replay_fail(R, "the recording's guest kernel handles a fault this replay did not take (the trace and the replay "
              "diverge: see traces/FORMAT.md, What may change at replay)");
    default:
      if (replay_kernel_work(r->kind)) replay_kernel_record(R, r, NULL);
      else if (!fltr_kinds[r->kind].name || r->kind >= FLTR_K_KF_BEGIN) break;   /* a newer minor's kind: skipped */
      else replay_fail(R, "unexpected record");
    }
  }
}

/* the stats the guest kernel's decisions make (the kstat records), and
 * the counts the replay made itself */
static void replay_counters(struct replay *R) {
  struct kernel *k = R->k;
  if (R->imported) {                 /* the kernel's own counters: it decided */
    cpu_set_data_refs(R->c, R->refs);
    return;
  }
  static struct mm last;
  if (!k->mm) k->mm = &last;
  k->minflt = R->kstat[FLTR_KSTAT_MINFLT];
  k->fault_around_pages = R->kstat[FLTR_KSTAT_FAULT_AROUND_PAGES];
  k->thp_pages = R->kstat[FLTR_KSTAT_THP_PAGES];
  k->syscalls = R->kstat[FLTR_KSTAT_SYSCALLS];
  k->unknown_syscalls = R->kstat[FLTR_KSTAT_UNKNOWN_SYSCALLS];
  k->frames_used = R->kstat[FLTR_KSTAT_FRAMES_USED];
  k->mm->pt_pages = R->kstat[FLTR_KSTAT_PT_PAGES];
  k->pc_pages = R->kstat[FLTR_KSTAT_PC_PAGES];
  k->pc_hits = R->kstat[FLTR_KSTAT_PC_HITS];
  k->pc_misses = R->kstat[FLTR_KSTAT_PC_MISSES];
  k->pt_pages_allocated = R->pt_new;
  if (k->smp.n < 2) { cpu_set_data_refs(R->c, R->refs); return; }
  R->cpus[R->cpu].refs += R->refs - R->refs_at_switch;   /* --cpus: each vCPU's own */
  R->refs_at_switch = R->refs;
  for (int i = 0; i < k->smp.n; i++) cpu_set_data_refs(k->smp.cpu[i], R->cpus[i].refs);
}

/* An imported trace (traces/FORMAT.md "Imported traces") has no kernel
 * records: the guest kernel makes its own decisions (live guest_ops) over
 * one address space with one anonymous read-write-execute mapping of the
 * whole user range, so every page is mapped when first touched. */
static int imported_space(struct kernel *k) {
  k->pid = FIRST_PID;
  k->mm = mm_new(k);
  if (!k->mm) return -1;
  mm_activate(k, k->mm);             /* loaded at once: nothing built before */
  struct vma v = {.start = PAGE, .end = TASK_SIZE, .flags = VM_READ | VM_WRITE | VM_EXEC | VM_NORESERVE, .prot = 7};
  strcpy(v.name, "[imported]");
  vma_insert(k, k->mm, &v);
  mm_switch_user(k);
  return 0;
}

int sim_replay(const struct sim_config *cfg, const char *trace, const struct replay_window *win,
               struct sim_result *res) {
  memset(res, 0, sizeof *res);
  const struct hv_mode *mode = hv_find_mode(cfg->mode);
  if (!mode) {
    snprintf(res->error, sizeof res->error, "unknown mode '%s' (see `faultline modes`)", cfg->mode);
    return -1;
  }
  struct replay *R = calloc(1, sizeof *R);
  struct machine *m = calloc(1, sizeof *m);
  int rc = -1;
  if (!R || !m) { snprintf(res->error, sizeof res->error, "out of host memory"); goto out0; }
  R->rd = fltr_open(trace, res->error, sizeof res->error);
  if (!R->rd) goto out0;
  R->dec = fltr_decoder_new(R->rd);
  if (!R->dec) { snprintf(res->error, sizeof res->error, "out of host memory"); goto out0; }
  R->path = trace;
  fltr_index(R->rd, &(uint32_t){0}, &R->end_icount);
  m->cfg = cfg;
  m->mode = mode;
  m->k = calloc(1, sizeof *m->k);
  if (!m->k) { snprintf(res->error, sizeof res->error, "out of host memory"); goto out; }
  m->k->rootfd = -1;
  if (machine_init(m, res->error, sizeof res->error) || events_init(m, res->error, sizeof res->error) ||
      guest_kernel_init(m, res->error, sizeof res->error))
    goto out;
  R->m = m;
  R->k = m->k;
  R->c = m->c;
  R->hv = &m->hv;
  R->k->replay = R;
  R->c->cpl = 3;
  R->tty = isatty(2) && !cfg->quiet;
  R->imported = fltr_header(R->rd)->flags & FLTR_FLAG_IMPORTED;
  if (R->imported) {
    if (imported_space(R->k)) { snprintf(res->error, sizeof res->error, "guest memory too small"); goto out; }
  } else {
    replay_ops(&m->hv.ops);
  }
  if (setjmp(R->fail)) {
    if (R->tty) fputc('\n', stderr);
    snprintf(res->error, sizeof res->error, "%s", R->err);
    goto out;
  }
  if (win && win->on && m->ncpus > 1) {
    snprintf(res->error, sizeof res->error, "%s: a trace of %d vCPUs replays whole: --from and --to count one "
             "vCPU's instructions", trace, m->ncpus);
    goto out;
  }
  if (win && win->on) {
    R->win = *win;
    if (R->win.to <= R->win.from) R->win.to = R->win.from + 1;
    if (win->seek) {
      uint64_t at = 0;
      if (fltr_seek(R->rd, win->from, &at)) { snprintf(res->error, sizeof res->error, "%s", fltr_error(R->rd)); goto out; }
      fltr_decoder_reset(R->dec);
      R->seeking = at != 0;
      R->kf_icount = at;
    }
    if (!R->win.from) window_start(R);
  } else {
    R->counting = true;
  }
  replay_loop(R);
  if (R->win.on && !R->counting) window_start(R);   /* the trace ended before the window */
  if (R->tty && R->next_progress) fputs("\r\033[K", stderr);
  replay_counters(R);
  if (R->win.on) m->c->icount -= R->win_icount0;
  machine_totals(m, res);
  res->faults_guest = m->es.faults_visible;
  res->faults_hidden = m->es.faults_hidden;
  res->walks = m->mmu.walks;
  res->walk_refs = m->mmu.walk_refs;
  res->vm_exits = m->hv.st.exits_total;
  res->fault_cycles = m->es.fault_cycles_total;
  if (mode->finish) mode->finish(&m->hv);
  if (R->win.on) {
    m->win_from = R->win.from;
    m->win_to = R->win.to;
    m->win_warm = R->kf_icount;
    m->win = true;
  }
  rc = machine_write_stats(m, res);
out:
  if (m->k && m->k->mm && !R->imported) m->k->mm = NULL;   /* the replay's, freed below */
  else if (m->k && m->k->mm) { mm_put(m->k, m->k->mm); m->k->mm = NULL; }
  machine_fini(m);
out0:
  if (R) {
    for (size_t i = 0; i < R->nmms; i++) free(R->mms[i]);
    free(R->mms);
    for (size_t i = 0; i < R->nbpages; i++) free(R->bpages[i]);
    free(R->bpages);
    fltr_decoder_free(R->dec);
    if (R->rd) fltr_reader_close(R->rd);
  }
  free(R);
  free(m);
  return rc;
}
