/* --cpus N: virtual CPUs in deterministic lockstep, and the TLB
 * shootdowns that keep their TLBs coherent (issue 19).
 *
 * Each vCPU has its own registers, TLBs, paging-structure caches and cycle
 * count; they share memory, the data caches and the decoded code.  The
 * host runs them one at a time, each for smp.quantum retired instructions
 * per round, in order; guest time is the round's start plus the running
 * vCPU's instructions into its turn, so it is a function of retired
 * instructions and every run of a command is the same.  Memory is
 * sequentially consistent: one host thread runs everything, and TSO's
 * store buffering is not modelled.
 *
 * Shootdowns (native Linux, arch/x86/mm/tlb.c): after the local flush,
 * flush_tlb_mm_range bumps the mm's tlb_gen and sends an IPI to each CPU
 * that runs the mm; a CPU that keeps it loaded while idle (lazy TLB) is
 * skipped and catches up when it switches back to it (tlb_gen); a batch
 * (lazy MMU mode: munmap's zap, mprotect's change_protection, fork's copy)
 * is one shootdown, a full flush beyond tlb_single_page_flush_ceiling (33)
 * pages.  Permission upgrades are never shot down (the other CPUs take a
 * spurious fault). */
#include "sim/kernel.h"
#include "sim/mm_internal.h"
#include "sim/record.h"
#include "sim/stats.h"
#include <stdio.h>

#define FLUSH_CEILING 33   /* tlb_single_page_flush_ceiling */

uint64_t smp_time_insns(const struct kernel *k) {
  const struct smp *s = &k->smp;
  uint64_t into = k->cpu->icount - s->qstart[s->cur];
  if (into >= s->quantum) into = s->quantum - 1;   /* (a block may overshoot its turn) */
  return s->round_base + into;
}

bool smp_others_busy(const struct kernel *k) {
  for (int i = 0; i < k->smp.n; i++)
    if (i != k->smp.cur && k->smp.task[i]) return true;
  return false;
}

void smp_select(struct kernel *k, int i) {
  struct smp *s = &k->smp;
  if (i == s->cur) return;
  if (k->cur) k->cur->tc = k->tc;      /* its registers stay in its vCPU */
  s->slice_end[s->cur] = k->slice_end;
  s->cur = i;
  s->select(s->select_ctx, i);         /* k->cpu, the mode's and the MMU's */
  k->cur = s->task[i];
  if (k->cur) {
    k->tc = k->cur->tc;
    k->hv->bus->pid = k->pid;
  }
  k->slice_end = s->slice_end[i];
}

void smp_mm_loaded(struct kernel *k) {
  struct smp *s = &k->smp;
  s->loaded_mm[s->cur] = k->mm ? k->mm->id : 0;
  s->loaded_gen[s->cur] = k->mm ? k->mm->tlb_gen : 0;
}

void smp_catch_up(struct kernel *k) {
  struct smp *s = &k->smp;
  if (s->n < 2 || !k->mm || s->loaded_mm[s->cur] != k->mm->id || s->loaded_gen[s->cur] >= k->mm->tlb_gen) return;
  hv_begin(k->hv, EV_S_TLB_LAZY_FLUSH, 0, 0);
  cpu_flush_tlb(k->cpu);
  hv_end(k->hv, 0);
  s->loaded_gen[s->cur] = k->mm->tlb_gen;
  s->lazy_catchups++;
}

/* the running (idle) vCPU takes task t */
void smp_start_task(struct kernel *k, struct task *t) {
  struct smp *s = &k->smp;
  k->cur = t;
  k->tc = t->tc;
  t->on_cpu = s->cur;
  s->task[s->cur] = t;
  cpu_load_regs(k->cpu, &t->regs);
  k->tc.oncpu_icount = k->cpu->icount;
  k->hv->bus->pid = k->pid;
  rec_put(k, FLTR_K_SCHED, (uint64_t)k->tid, 0, 0, 0);
  if (k->mm && s->loaded_mm[s->cur] != k->mm->id) mm_switch_user(k);
  else smp_catch_up(k);
  k->slice_end = k->cpu->icount + k->quantum;
}

/* the running vCPU's task leaves it (it blocked, nothing else to run) */
void smp_idle(struct kernel *k) {
  struct smp *s = &k->smp;
  struct task *t = k->cur;
  cpu_save_regs(k->cpu, &t->regs);
  k->tc.cpu_insns += k->cpu->icount - k->tc.oncpu_icount;
  t->tc = k->tc;
  t->on_cpu = -1;
  s->task[s->cur] = NULL;
  k->cur = NULL;
  if (t->gone) task_reap_gone(k);
}

/* vCPU j's TLB and walk caches lose va (or every user translation) */
static void flush_on(struct smp *s, int j, uint64_t va, bool all) {
  struct vcpu *c = s->cpu[j];
  if (all) {
    tlb_flush_guest(&c->tlb);
    if (s->pwc[j]) pwc_flush(s->pwc[j]);
  } else {
    tlb_flush_va(&c->tlb, va);       /* every PCID: the KPTI pair too */
    if (s->pwc[j]) pwc_flush_va(s->pwc[j], va);
  }
}

/* an IPI's flush on vCPU j, its handler charged to j */
static void remote_flush(struct kernel *k, int j, uint64_t va, bool all) {
  struct smp *s = &k->smp;
  flush_on(s, j, va, all);
  s->cpu[j]->cycles += k->hv->step_cost[EV_S_TLB_IPI_FLUSH];
  s->ipis_received[j]++;
  s->remote_flushes++;
}

/* smp.invlpgb (AMD, Linux 6.14+ for an mm active on several CPUs): one
 * INVLPGB reaches every core's TLB, TLBSYNC waits for them; no IPI, no
 * interrupt on the other CPUs, no lazy catch-up */
static void broadcast(struct kernel *k, uint64_t va, bool all) {
  struct smp *s = &k->smp;
  struct mm *mm = k->mm;
  s->initiated++;
  if (s->skip_shootdown && s->initiated == s->skip_shootdown) return;
  if (all) s->full_flushes++;
  s->broadcasts++;
  struct hv *h = k->hv;
  hv_begin(h, EV_S_TLB_SHOOTDOWN, all ? 0 : va, (uint64_t)(s->n - 1));
  hv_step(h, EV_S_TLB_INVLPGB, all ? 0 : va, all, 0);
  for (int j = 0; j < s->n; j++) {
    if (j == s->cur) continue;
    flush_on(s, j, va, all);
    s->remote_flushes++;
    if (s->loaded_mm[j] == mm->id) s->loaded_gen[j] = mm->tlb_gen;
  }
  hv_step(h, EV_S_TLB_TLBSYNC, 0, 0, 0);
  hv_end(h, 0);
}

void smp_shootdown(struct kernel *k, uint64_t va, bool all) {
  struct smp *s = &k->smp;
  struct mm *mm = k->mm;
  if (s->n < 2 || !mm || s->local_only) return;
  if (s->batch && !all) {              /* gathered: one shootdown when the batch ends */
    if (!s->batch_pages || va < s->batch_lo) s->batch_lo = va;
    if (!s->batch_pages || va > s->batch_hi) s->batch_hi = va;
    s->batch_pages++;
    return;
  }
  mm->tlb_gen++;
  s->loaded_gen[s->cur] = mm->tlb_gen;
  int targets[SMP_MAX], nt = 0, lazy = 0;
  for (int j = 0; j < s->n; j++) {
    if (j == s->cur) continue;
    struct task *t = s->task[j];
    if (t && task_ctx_of(k, t)->mm == mm) targets[nt++] = j;
    else if (!t && s->loaded_mm[j] == mm->id) lazy++;   /* catches up at switch-in */
  }
  if (s->invlpgb && (nt || lazy)) {     /* AMD: the hardware reaches every TLB, no IPI, no lazy catch-up */
    broadcast(k, va, all);
    return;
  }
  s->lazy_skipped += (uint64_t)lazy;
  if (!nt) return;
  s->initiated++;
  if (s->skip_shootdown && s->initiated == s->skip_shootdown) return;   /* fault injection */
  if (all) s->full_flushes++;
  struct hv *h = k->hv;
  hv_begin(h, EV_S_TLB_SHOOTDOWN, all ? 0 : va, (uint64_t)nt);
  uint16_t me = h->bus->cpu;
  for (int i = 0; i < nt; i++) {
    hv_step(h, EV_S_IPI_SEND, 0, (uint64_t)targets[i], 0);
    s->ipis_sent++;
  }
  for (int i = 0; i < nt; i++) {      /* each target's handler: on its own clock, in its cpu */
    h->bus->cpu = (uint16_t)targets[i];
    hv_begin(h, EV_S_TLB_IPI_FLUSH, all ? 0 : va, all);
    hv_end_n(h, 0, 0);
    h->bus->cpu = me;
    remote_flush(k, targets[i], va, all);
    s->loaded_gen[targets[i]] = mm->tlb_gen;
  }
  hv_step(h, EV_S_IPI_WAIT, 0, (uint64_t)nt, 0);   /* until the last ack */
  hv_end(h, 0);
}

void smp_batch(struct kernel *k, bool begin) {
  struct smp *s = &k->smp;
  if (s->n < 2) return;
  if (begin) { if (!s->batch++) s->batch_pages = 0; return; }
  if (!s->batch || --s->batch || !s->batch_pages) return;
  uint64_t pages = s->batch_pages, lo = s->batch_lo, hi = s->batch_hi;
  s->batch_pages = 0;
  if (pages > FLUSH_CEILING) { smp_shootdown(k, 0, true); return; }
  /* flush_tlb_mm_range over [lo, hi]: one IPI per target, each flushing
   * the pages of the range (charged as one handler) */
  for (uint64_t va = lo; va <= hi; va += PAGE) {
    if (va == lo) { smp_shootdown(k, va, false); continue; }
    for (int j = 0; j < s->n; j++) {
      struct task *t = s->task[j];
      /* (a broadcast reaches every core; IPIs the cores running the mm) */
      if (j == s->cur || (!s->invlpgb && (!t || task_ctx_of(k, t)->mm != k->mm))) continue;
      flush_on(s, j, va, false);
    }
  }
}

void smp_stats(struct json *j, const struct kernel *k) {
  const struct smp *s = &k->smp;
  json_obj(j, "smp");
  json_u64(j, "cpus", (uint64_t)s->n);
  json_u64(j, "quantum", s->quantum);
  json_obj(j, "tlb_shootdowns");
  json_u64(j, "initiated", s->initiated);
  json_u64(j, "ipis_sent", s->ipis_sent);
  json_u64(j, "remote_flushes", s->remote_flushes);
  json_u64(j, "full_flushes", s->full_flushes);
  json_u64(j, "lazy_skipped", s->lazy_skipped);
  json_u64(j, "lazy_catchups", s->lazy_catchups);
  json_u64(j, "broadcasts", s->broadcasts);
  json_end(j);
  json_obj(j, "per_cpu");               /* by vCPU number */
  for (int i = 0; i < s->n; i++) {
    const struct vcpu *c = s->cpu[i];
    char name[16];
    snprintf(name, sizeof name, "%d", i);
    json_obj(j, name);
    json_u64(j, "instructions", c->icount);
    json_u64(j, "cycles", c->cycles);
    json_u64(j, "ipis_received", s->ipis_received[i]);
    json_u64(j, "l1d_misses", c->tlb.l1d.misses);
    json_u64(j, "stlb_misses", c->tlb.stlb.misses);
    json_end(j);
  }
  json_end(j);
  json_end(j);
}
