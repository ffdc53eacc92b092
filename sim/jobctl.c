/* Job control (signal(7), wait4(2), credentials(7) on process groups):
 * stop signals stop a process, every thread of it (a group stop: each a
 * TS_BLOCKED task with BLK_STOPPED), until
 * SIGCONT or SIGKILL; the parent hears CLD_STOPPED / CLD_CONTINUED by
 * SIGCHLD unless it asked for SA_NOCLDSTOP, and wait reports each stop and
 * each continue once (task_exit.c).  Orphaned process groups are Linux's:
 * SIGTSTP/SIGTTIN/SIGTTOU do not stop their members, and a group that an
 * exit orphans while one of its members is stopped gets SIGHUP and SIGCONT.
 *
 * A syscall parked when its task stops stays parked under the stop (its
 * block kind saved in stop_block) and goes on after SIGCONT: that is what
 * Linux's restart of a call no handler interrupted amounts to (a sleep
 * keeps its deadline, as restart_syscall does). */
#include "sim/kernel.h"
#include <signal.h>

static bool is_stopped(const struct task *t) {
  return t->state == TS_BLOCKED && t->block == BLK_STOPPED;
}

void jobctl_notify_parent(struct kernel *k, struct task *t, int code, int status) {
  const struct task_ctx *c = task_ctx_of(k, t);
  struct task *p = task_find(k, c->tg->ppid);
  if (!p || p == t) return;              /* the first task's parent is outside the model */
  struct task_ctx *pc = task_ctx_of(k, p);
  /* do_notify_parent: no SIGCHLD at all when the parent ignores it;
   * do_notify_parent_cldstop: none for stops and continues with
   * SA_NOCLDSTOP (the parent's wait still sees them) */
  bool cld = code == CLD_STOPPED || code == CLD_CONTINUED;
  /* an exit sends the child's exit signal (clone's CSIGNAL; none if 0) */
  int sig = cld ? SIGCHLD : c->tg->exit_signal;
  if (!sig || (sig == SIGCHLD && pc->tg->sig_handlers[SIGCHLD] == (uint64_t)(uintptr_t)SIG_IGN)) return;
  if (cld && (pc->tg->sig_flags[SIGCHLD] & SA_NOCLDSTOP)) return;
  struct ksiginfo *si = signal_send(k, p, sig, code, 0);
  if (!si) return;
  si->pid = c->pid;
  si->uid = c->ruid;                     /* the child's real uid */
  if (c->ns || pc->ns) {                 /* as the parent's namespaces see them */
    si->pid = pid_nr_ns(task_pidns(pc), c->pid);
    si->uid = (int)ns_from_kid_munged(task_userns(pc), false, (uint32_t)c->ruid);
  }
  si->status = status;
}

/* SIGCONT continues a stopped task: back to the syscall it was parked in,
 * or to user mode.  A futex wait runs again (Linux's restart re-reads the
 * futex word: a wake it missed while stopped is not lost). */
static void resume(struct task *t) {
  t->block = t->stop_block;
  t->stop_block = BLK_NONE;
  if (t->block == BLK_NONE || t->block == BLK_FUTEX) t->state = TS_RUNNABLE;
}

static struct task *leader_of(struct kernel *k, struct task *t) {
  struct tgroup *g = task_ctx_of(k, t)->tg;
  for (struct task *u = k->tasks; u; u = u->next)
    if (u->tc.tg == g && u->tc.tid == u->tc.pid) return u;
  return t;
}

/* a thread stops with its syscall parked (or in user mode) */
static void park(struct task *t, bool parked_call) {
  t->stop_block = parked_call ? t->block : BLK_NONE;
  t->block = BLK_STOPPED;
  t->state = TS_BLOCKED;
}

/* one more thread of the group stopped; the last one tells the parent
 * (do_signal_stop: task_participate_group_stop), the leader reports it */
static void participated(struct kernel *k, struct task *t) {
  struct tgroup *g = task_ctx_of(k, t)->tg;
  if (g->stop_count <= 0 || --g->stop_count) return;
  struct task *l = leader_of(k, t);
  l->stop_report = g->stop_sig;          /* group_exit_code */
  l->cont_report = false;                /* a new stop clears SIGNAL_STOP_CONTINUED */
  jobctl_notify_parent(k, l, CLD_STOPPED, g->stop_sig);
}

void jobctl_generate(struct kernel *k, struct task *t, int sig) {
  struct tgroup *g = task_ctx_of(k, t)->tg;
  if ((1ull << (sig - 1)) & SIG_STOP_MASK) {
    /* prepare_signal: a stop signal discards a pending SIGCONT, everywhere in the group */
    g->shared_pending &= ~(1ull << (SIGCONT - 1));
    for (struct task *u = k->tasks; u; u = u->next)
      if (u->tc.tg == g) task_ctx_of(k, u)->sigpending &= ~(1ull << (SIGCONT - 1));
  } else if (sig == SIGCONT) {
    /* and SIGCONT the stop signals; every stopped thread goes on, the
     * group stop (if one was under way) ends */
    g->shared_pending &= ~SIG_STOP_MASK;
    bool any = false;
    for (struct task *u = k->tasks; u; u = u->next) {
      if (u->tc.tg != g) continue;
      task_ctx_of(k, u)->sigpending &= ~SIG_STOP_MASK;
      u->stop_pending = false;
      if (is_stopped(u)) { resume(u); any = true; }
    }
    bool stopping = g->stop_count > 0;
    g->stop_count = 0;
    if (!any && !stopping) return;
    struct task *l = leader_of(k, t);
    l->stop_report = 0;
    l->cont_report = true;
    /* Linux sends CLD_CONTINUED from the continued task when it next
     * runs; here it is sent at once, as if that task ran at once */
    jobctl_notify_parent(k, l, CLD_CONTINUED, SIGCONT);
  } else if (sig == SIGKILL) {
    /* the group exit replaces the stop state: neither is reported */
    struct task *l = leader_of(k, t);
    l->stop_report = 0;
    l->cont_report = false;
    g->stop_count = 0;
    for (struct task *u = k->tasks; u; u = u->next)
      if (u->tc.tg == g) u->stop_pending = false;
  }
}

/* do_signal_stop: the thread that takes a stop signal starts a group
 * stop; every other live thread stops too -- one parked in a syscall or
 * waiting for a CPU at once, one running on another vCPU at its next turn
 * (stop_pending: Linux's signal_wake_up kick) -- and the last one to stop
 * tells the parent */
void jobctl_stop(struct kernel *k, int sig) {
  struct task *t = k->cur;
  struct tgroup *g = k->tg;
  if (g->stop_count <= 0) {
    g->stop_sig = sig;
    g->stop_count = 1;                   /* this thread */
    for (struct task *u = k->tasks; u; u = u->next) {
      if (u == t || u->tc.tg != g || u->state == TS_ZOMBIE || u->gone || is_stopped(u)) continue;
      g->stop_count++;
      if (u->on_cpu >= 0) { u->stop_pending = true; continue; }
      park(u, u->state == TS_BLOCKED || u->restart_syscall);
      participated(k, u);
    }
  }
  park(t, t->restart_syscall);
  participated(k, t);
}

void jobctl_stop_pending(struct kernel *k) {
  struct task *t = k->cur;
  t->stop_pending = false;
  park(t, t->restart_syscall);
  participated(k, t);
}

void jobctl_thread_gone(struct kernel *k, struct task *t) {
  if (!t->stop_pending) return;
  t->stop_pending = false;
  participated(k, t);
}

/* the parent of a task, for the orphan rules: NULL for init (a task
 * reparented to pid 1 does not keep its group from being orphaned) */
static const struct task_ctx *parent_of(struct kernel *k, const struct task_ctx *c) {
  if (c->tg->ppid == OUTSIDE_PID) return task_outside(k);
  struct task *p = c->tg->ppid == 1 ? NULL : task_find(k, c->tg->ppid);
  return p ? task_ctx_of(k, p) : NULL;
}

/* will_become_orphaned_pgrp: no live member other than `ignore` has a
 * parent in another group of the same session */
bool jobctl_pgrp_orphaned(struct kernel *k, int pgid, const struct task *ignore) {
  for (struct task *t = k->tasks; t; t = t->next) {
    const struct task_ctx *c = task_ctx_of(k, t);
    if (t == ignore || t->state == TS_ZOMBIE || c->tg->pgid != pgid) continue;
    const struct task_ctx *p = parent_of(k, c);
    if (p && p->tg->pgid != pgid && p->tg->sid == c->tg->sid) return false;
  }
  return true;
}

/* kill_orphaned_pgrp: the group of `member` loses its last link to a
 * parent outside it (parent, in the same session); if it is orphaned now
 * and has a stopped member, every member gets SIGHUP then SIGCONT */
static void kill_orphaned(struct kernel *k, struct task *member, const struct task_ctx *parent,
                          const struct task *ignore) {
  const struct task_ctx *mc = task_ctx_of(k, member);
  int pgid = mc->tg->pgid;
  if (!parent || parent->tg->pgid == pgid || parent->tg->sid != mc->tg->sid) return;
  if (!jobctl_pgrp_orphaned(k, pgid, ignore)) return;
  bool stopped = false;
  for (struct task *t = k->tasks; t; t = t->next) stopped |= task_ctx_of(k, t)->tg->pgid == pgid && is_stopped(t);
  if (!stopped) return;
  static const int sigs[2] = {SIGHUP, SIGCONT};
  for (int i = 0; i < 2; i++)
    for (struct task *t = k->tasks; t; t = t->next) {
      struct task_ctx *c = task_ctx_of(k, t);
      if (c->tg->pgid != pgid || c->tid != c->pid) continue;   /* each process once */
      struct ksiginfo *si = signal_send(k, t, sigs[i], 0x80 /* SI_KERNEL */, 0);
      if (si) si->pid = si->uid = 0;     /* SEND_SIG_PRIV: from the kernel */
    }
}

void jobctl_reparented(struct kernel *k, struct task *child) {
  kill_orphaned(k, child, &k->tc, NULL);
}

void jobctl_exit(struct kernel *k) {
  kill_orphaned(k, k->cur, parent_of(k, &k->tc), k->cur);
}
