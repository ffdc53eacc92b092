/* Virtual timers: alarm, setitimer/getitimer (ITIMER_REAL).  They run on
 * guest time (retired instructions + skipped sleeps), so a program's
 * timers fire at the same instruction in every mode and every run. */
#include "sim/kernel.h"
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>


uint64_t timers_fire(struct kernel *k) {
  uint64_t now = ktime_ns(k), next = 0;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (t->state == TS_ZOMBIE || !c->tg->alarm_ns) continue;
    if (c->tg->alarm_ns <= now) {
      signal_send(k, t, SIGALRM, 0x80 /* SI_KERNEL */, 0);
      c->tg->alarm_ns = c->tg->alarm_interval_ns ? c->tg->alarm_ns + c->tg->alarm_interval_ns : 0;
      if (c->tg->alarm_ns && c->tg->alarm_ns <= now) c->tg->alarm_ns = now + c->tg->alarm_interval_ns;
    }
    if (c->tg->alarm_ns && (!next || c->tg->alarm_ns < next)) next = c->tg->alarm_ns;
  }
  return next;
}

/* Every task is blocked: skip guest time to the next alarm or the end of
 * the next timed wait, whichever comes first. */
bool timers_skip_idle(struct kernel *k) {
  uint64_t next = task_next_deadline(k);
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (t->state != TS_ZOMBIE && c->tg->alarm_ns && (!next || c->tg->alarm_ns < next)) next = c->tg->alarm_ns;
  }
  if (!next) return false;
  uint64_t now = ktime_ns(k);
  if (next > now) k->sleep_ns += next - now;
  timers_fire(k);
  return true;
}

static uint64_t insns_to_ns(struct kernel *k, uint64_t ins) {
  return k->ips == 1000000000ull ? ins : (uint64_t)((unsigned __int128)ins * 1000000000ull / k->ips);
}

/* instructions a thread has retired: up to its last switch-in, plus
 * since then while it runs */
static uint64_t thread_insns(struct kernel *k, struct task *t) {
  const struct task_ctx *c = task_ctx_of(k, t);
  return c->cpu_insns + (t == k->cur ? k->cpu->icount - c->oncpu_icount : 0);
}

/* CPU time of a thread, or of its whole process (the threads that have
 * exited included) */
uint64_t task_cpu_ns_of(struct kernel *k, struct task *t, bool process) {
  const struct tgroup *g = task_ctx_of(k, t)->tg;
  if (!process) return insns_to_ns(k, thread_insns(k, t));
  uint64_t ins = g->dead_insns;
  for (struct task *u = k->tasks; u; u = u->next)
    if (task_ctx_of(k, u)->tg == g && u->state != TS_ZOMBIE) ins += thread_insns(k, u);
  return insns_to_ns(k, ins);
}

/* the running process's CPU time */
uint64_t task_cpu_ns(struct kernel *k) {
  if (k->tg->live == 1 && !k->tg->dead_insns) return insns_to_ns(k, thread_insns(k, k->cur));
  return task_cpu_ns_of(k, k->cur, true);
}

/* ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF) count the process's
 * CPU time: here the instructions it retires (the model charges no
 * instructions to the kernel, so user and user+system time agree). */
uint64_t cpu_timers_fire(struct kernel *k) {
  static const int sig[2] = {SIGVTALRM, SIGPROF};
  uint64_t now = task_cpu_ns(k), next = 0;
  for (int i = 0; i < 2; i++) {
    uint64_t *at = &k->tc.tg->cpu_timer_ns[i];
    if (!*at) continue;
    if (*at <= now) {
      signal_send(k, k->cur, sig[i], 0x80 /* SI_KERNEL */, 0);
      uint64_t iv = k->tc.tg->cpu_timer_interval_ns[i];
      *at = iv ? (*at + iv > now ? *at + iv : now + iv) : 0;
    }
    if (*at && (!next || *at - now < next)) next = *at - now;
  }
  if (!next) return 0;
  uint64_t ins = k->ips == 1000000000ull ? next : (uint64_t)((unsigned __int128)next * k->ips / 1000000000ull);
  return ins ? ins : 1;
}

static void to_tv(uint64_t ns, int64_t tv[2]) {
  tv[0] = (int64_t)(ns / 1000000000ull);
  tv[1] = (int64_t)(ns % 1000000000ull / 1000);
}

long sys_timer(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  uint64_t now = ktime_ns(k);
  switch (nr) {
  case SYS_alarm: {
    uint64_t left = k->tg->alarm_ns > now ? k->tg->alarm_ns - now : 0;
    long old = (long)((left + 999999999ull) / 1000000000ull);
    if (k->tg->alarm_ns && !old) old = 1;
    k->tg->alarm_ns = a[0] ? now + a[0] * 1000000000ull : 0;
    k->tg->alarm_interval_ns = 0;
    return old;
  }
  case SYS_getitimer: case SYS_setitimer: {
    int which = (int)a[0];
    if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF) return -EINVAL;
    uint64_t *at = which == ITIMER_REAL ? &k->tg->alarm_ns : &k->tc.tg->cpu_timer_ns[which - 1];
    uint64_t *iv = which == ITIMER_REAL ? &k->tg->alarm_interval_ns : &k->tc.tg->cpu_timer_interval_ns[which - 1];
    if (which != ITIMER_REAL) now = task_cpu_ns(k);
    int64_t old[4];
    uint64_t left = *at > now ? *at - now : 0;
    to_tv(*iv, old);
    to_tv(left, old + 2);
    uint64_t outp = nr == SYS_getitimer ? a[1] : a[2];
    if (nr == SYS_setitimer && a[1]) {
      int64_t v[4];
      if (copy_from_user(k, v, a[1], sizeof v)) return -EFAULT;
      if (v[0] < 0 || v[1] < 0 || v[1] >= 1000000 || v[2] < 0 || v[3] < 0 || v[3] >= 1000000)
        return -EINVAL;
      uint64_t val = (uint64_t)v[2] * 1000000000ull + (uint64_t)v[3] * 1000ull;
      *iv = (uint64_t)v[0] * 1000000000ull + (uint64_t)v[1] * 1000ull;
      *at = val ? now + val : 0;
    }
    if (outp && copy_to_user(k, outp, old, sizeof old)) return -EFAULT;
    return 0;
  }
  }
  *handled = false;
  return -ENOSYS;
}
