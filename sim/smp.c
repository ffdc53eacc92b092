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
  record_cpu(k, i);
}

void smp_mm_loaded(struct kernel *k) {
  struct smp *s = &k->smp;
  s->run_mm[s->cur] = s->loaded_mm[s->cur] = k->mm ? k->mm->id : 0;
  s->loaded_gen[s->cur] = k->mm ? k->mm->tlb_gen : 0;
}

/* The vCPU's running address space, for the shootdowns' targets: one
 * account the live run and a replay keep alike (the replay from the
 * sched, idle, cr3 and exit records) */
void smp_sched_in(struct kernel *k) {     /* a thread starts on the idle vCPU (then cr3, or a catch-up) */
  struct smp *s = &k->smp;
  s->run_mm[s->cur] = s->loaded_mm[s->cur];
  k->hv->cpu_idle[s->cur] = false;
}
void smp_sched_out(struct kernel *k) {    /* its thread left it: nothing runs there */
  struct smp *s = &k->smp;
  s->run_mm[s->cur] = 0;
  k->hv->cpu_idle[s->cur] = true;
}
void smp_task_gone(struct kernel *k) {    /* the running thread exited: its address space is not in use here */
  if (k->smp.n > 1) k->smp.run_mm[k->smp.cur] = 0;
}

void smp_catch_up(struct kernel *k) {
  struct smp *s = &k->smp;
  if (s->n < 2 || !k->mm || s->loaded_mm[s->cur] != k->mm->id || s->loaded_gen[s->cur] >= k->mm->tlb_gen) return;
  rec_put(k, FLTR_K_TLB_FLUSH, 2, 0, 0, 0);   /* (a replay makes the same catch-up) */
  hv_begin(k->hv, EV_S_TLB_LAZY_FLUSH, 0, 0);
  guest_flush_tlb_local(k);            /* a CR3 load without NOFLUSH (a mode may intercept it) */
  hv_end(k->hv, 0);
  s->loaded_gen[s->cur] = k->mm->tlb_gen;
  asid_caught_up(k);
  k->hv->sd.lazy_catchups++;
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
  rec_put(k, FLTR_K_SCHED, (uint64_t)k->pid, 0, 0, 0);   /* (the process's id, as task.c's: the log's pid) */
  smp_sched_in(k);
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
  rec_put(k, FLTR_K_IDLE, (uint64_t)k->tid, 0, 0, 0);
  smp_sched_out(k);
  k->cur = NULL;
  if (t->gone) task_reap_gone(k);
}

/* smp.invlpgb (AMD, Linux 6.14+ for an mm active on several CPUs): one
 * INVLPGB reaches every core's TLB, TLBSYNC waits for them; no IPI, no
 * interrupt on the other CPUs, no lazy catch-up */
static void broadcast(struct kernel *k, uint64_t va, uint64_t pages) {
  struct smp *s = &k->smp;
  struct hv *h = k->hv;
  struct mm *mm = k->mm;
  h->sd.initiated++;
  if (s->skip_shootdown && h->sd.initiated == s->skip_shootdown) return;
  if (!pages) h->sd.full_flushes++;
  h->sd.broadcasts++;
  hv_begin(h, EV_S_TLB_SHOOTDOWN, va, (uint64_t)(s->n - 1));
  hv_step(h, EV_S_TLB_INVLPGB, va, !pages, 0);
  for (int j = 0; j < s->n; j++) {
    if (j == s->cur) continue;
    struct vcpu *c = s->cpu[j];      /* the hardware reaches every TLB: no code runs there */
    if (!pages) {
      tlb_flush_guest(&c->tlb);
      if (s->pwc[j]) pwc_flush(s->pwc[j]);
    } else
      for (uint64_t p = 0; p < pages; p++) {
        tlb_flush_va(&c->tlb, va + p * PAGE);
        if (s->pwc[j]) pwc_flush_va(s->pwc[j], va + p * PAGE);
      }
    h->sd.remote_flushes++;
    if (s->loaded_mm[j] == mm->id) s->loaded_gen[j] = mm->tlb_gen;
  }
  hv_step(h, EV_S_TLB_TLBSYNC, 0, 0, 0);
  hv_end(h, 0);
}

/* Linux's native_flush_tlb_multi: an IPI to each target (its ICR write a
 * mode may intercept), each target's flush_tlb_func on its own vCPU (its
 * interrupt, INVLPGs or CR3 reload and EOI, which a mode may intercept),
 * then the wait for the last acknowledgement */
static void linux_ipi_flush(struct kernel *k, const int *all_targets, int nall, uint64_t va, uint64_t pages) {
  struct hv *h = k->hv;
  const struct hv_mode *m = h->mode;
  /* smp.steal: a target the host has preempted acks only when it runs
   * again (the sender waits); with KVM's paravirtual flush the guest sends
   * it no IPI and KVM flushes it at its next entry (kvm_flush_tlb_multi) */
  int targets[SMP_MAX], nt = 0;
  uint64_t wait_extra = 0;
  for (int i = 0; i < nall; i++) {
    int t = all_targets[i];
    if (h->cpu_preempted[t] && h->pv_tlb_flush && m->flush_on_entry) {
      int me = hv_on_cpu(h, t);
      m->flush_on_entry(h);
      hv_on_cpu(h, me);
      h->sd.pv_flushes++;
      h->sd.remote_flushes++;
      continue;
    }
    if (h->cpu_preempted[t]) wait_extra = k->smp.preempt_wait;
    targets[nt++] = t;
  }
  for (int i = 0; i < nt; i++) {
    hv_begin(h, EV_S_IPI_SEND, 0, (uint64_t)targets[i]);
    if (m->ipi_send) m->ipi_send(h, targets[i]);
    hv_end(h, 0);
    h->sd.ipis_sent++;
  }
  for (int i = 0; i < nt; i++) {
    int me = hv_on_cpu(h, targets[i]);
    hv_begin(h, EV_S_TLB_IPI_FLUSH, va, !pages);
    if (m->ipi_receive) m->ipi_receive(h, false);
    if (!pages) guest_flush_tlb_local(k);
    else
      for (uint64_t p = 0; p < pages; p++) flush_user_va_local(k, va + p * PAGE);
    if (m->ipi_receive) m->ipi_receive(h, true);
    hv_end(h, 0);
    asid_caught_up(k);
    h->sd.ipis_received[targets[i]]++;
    h->sd.remote_flushes++;
    hv_on_cpu(h, me);
  }
  if (!nt) return;
  if (wait_extra) h->sd.preempt_waits++;
  hv_step(h, EV_S_IPI_WAIT, 0, (uint64_t)nt, wait_extra);
}

/* smp.steal: does the host preempt vCPU i for this round's turn (a hash
 * of the round and the vCPU: the same every run) */
bool smp_preempted(const struct kernel *k, int i) {
  if (!k->smp.steal) return false;
  uint64_t z = k->smp.round * 64 + (uint64_t)i + 0x9e3779b97f4a7c15ull;   /* splitmix64 */
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z % 100 < k->smp.steal;
}

/* flush_tlb_mm_range after the local flush: pages from va, 0 every user
 * translation */
static void shootdown(struct kernel *k, uint64_t va, uint64_t pages) {
  struct smp *s = &k->smp;
  struct hv *h = k->hv;
  struct mm *mm = k->mm;
  mm->tlb_gen++;
  s->loaded_gen[s->cur] = mm->tlb_gen;
  if (h->mode->host_shootdown) {       /* the host's invalidation reached them all */
    for (int j = 0; j < s->n; j++)
      if (s->loaded_mm[j] == mm->id) s->loaded_gen[j] = mm->tlb_gen;
    return;
  }
  int targets[SMP_MAX], nt = 0, lazy = 0;
  for (int j = 0; j < s->n; j++) {
    if (j == s->cur) continue;
    if (s->run_mm[j] == mm->id) targets[nt++] = j;
    else if (!s->run_mm[j] && s->loaded_mm[j] == mm->id) lazy++;   /* catches up at switch-in */
  }
  if (s->invlpgb && (nt || lazy)) {     /* AMD: the hardware reaches every TLB, no IPI, no lazy catch-up */
    broadcast(k, va, pages);
    return;
  }
  h->sd.lazy_skipped += (uint64_t)lazy;
  if (nt && h->mode->shootdown_targets) {
    int all_nt = nt;
    nt = h->mode->shootdown_targets(h, targets, nt, va, pages);
    for (int i = nt; i < all_nt; i++) s->loaded_gen[targets[i]] = mm->tlb_gen;   /* nothing of it to flush */
  }
  if (!nt) return;
  h->sd.initiated++;
  if (s->skip_shootdown && h->sd.initiated == s->skip_shootdown) return;   /* fault injection */
  if (!pages) h->sd.full_flushes++;
  hv_begin(h, EV_S_TLB_SHOOTDOWN, va, (uint64_t)nt);
  if (h->mode->flush_tlb_multi) h->mode->flush_tlb_multi(h, targets, nt, va, pages);
  else linux_ipi_flush(k, targets, nt, va, pages);
  hv_end(h, 0);
  for (int i = 0; i < nt; i++) s->loaded_gen[targets[i]] = mm->tlb_gen;
}

void smp_shootdown(struct kernel *k, uint64_t va, bool all) {
  struct smp *s = &k->smp;
  if (s->n < 2 || !k->mm || s->local_only) return;
  if (s->batch && !all) {              /* gathered: one shootdown when the batch ends */
    if (!s->batch_pages || va < s->batch_lo) s->batch_lo = va;
    if (!s->batch_pages || va > s->batch_hi) s->batch_hi = va;
    s->batch_pages++;
    return;
  }
  shootdown(k, all ? 0 : va, all ? 0 : 1);
}

void smp_batch(struct kernel *k, bool begin) {
  struct smp *s = &k->smp;
  if (s->n < 2) return;
  if (begin) { if (!s->batch++) s->batch_pages = 0; return; }
  if (!s->batch || --s->batch || !s->batch_pages) return;
  s->batch_pages = 0;
  if (!k->mm || s->local_only) return;
  /* flush_tlb_mm_range over [lo, hi]: a full flush beyond the ceiling */
  uint64_t pages = (s->batch_hi - s->batch_lo) / PAGE + 1;
  shootdown(k, pages > TLB_FLUSH_CEILING ? 0 : s->batch_lo, pages > TLB_FLUSH_CEILING ? 0 : pages);
}

void smp_stats(struct json *j, const struct kernel *k) {
  const struct smp *s = &k->smp;
  const __typeof__(k->hv->sd) *sd = &k->hv->sd;
  json_obj(j, "smp");
  json_u64(j, "cpus", (uint64_t)s->n);
  json_u64(j, "quantum", s->quantum);
  json_obj(j, "tlb_shootdowns");
  json_u64(j, "initiated", sd->initiated);
  json_u64(j, "ipis_sent", sd->ipis_sent);
  json_u64(j, "remote_flushes", sd->remote_flushes);
  json_u64(j, "full_flushes", sd->full_flushes);
  json_u64(j, "lazy_skipped", sd->lazy_skipped);
  json_u64(j, "lazy_catchups", sd->lazy_catchups);
  json_u64(j, "broadcasts", sd->broadcasts);
  json_u64(j, "pv_flushes", sd->pv_flushes);
  json_u64(j, "preempt_waits", sd->preempt_waits);
  json_end(j);
  json_u64(j, "preempted_turns", sd->preempted_turns);
  json_obj(j, "per_cpu");               /* by vCPU number */
  for (int i = 0; i < s->n; i++) {
    const struct vcpu *c = s->cpu[i];
    char name[16];
    snprintf(name, sizeof name, "%d", i);
    json_obj(j, name);
    json_u64(j, "instructions", c->icount);
    json_u64(j, "cycles", c->cycles);
    json_u64(j, "ipis_received", sd->ipis_received[i]);
    json_u64(j, "l1d_misses", c->tlb.l1d.misses);
    json_u64(j, "stlb_misses", c->tlb.stlb.misses);
    json_end(j);
  }
  json_end(j);
  json_end(j);
}
