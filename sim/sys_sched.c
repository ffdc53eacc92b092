/* Scheduling attributes (kernel/sys.c getpriority/setpriority,
 * kernel/sched/syscalls.c sched_*): each task's nice value (-20..19),
 * policy and real-time priority, inherited by fork.  They are bookkeeping:
 * the model's scheduler is round-robin with a fixed quantum whatever they
 * are.  There is one modelled CPU (nr_cpu_ids 1, cpumask of one long).
 * RLIMIT_NICE and RLIMIT_RTPRIO are 0 (Linux's defaults, sys_prlimit), so
 * raising a priority needs CAP_SYS_NICE. */
#include "sim/kernel.h"
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define RESET_ON_FORK 0x40000000
#define RR_TIMESLICE_NS 100000000ull   /* Linux's RR_TIMESLICE: 100 ms */

/* find_process_by_pid: 0 is the caller; a thread id names that thread
 * (the scheduling calls act on threads); the task's context */
static struct task_ctx *find(struct kernel *k, int pid, struct task **tp) {
  pid = pid_in(k, pid);                /* (the caller's pid namespace's) */
  struct task *t = pid == 0 || pid == k->tid ? k->cur : task_find_tid(k, pid);
  if (tp) *tp = t;
  if (!t) return pid == OUTSIDE_PID && !tp ? task_outside(k) : NULL;   /* read-only users */
  return task_ctx_of(k, t);
}

/* set_one_prio_perm / check_same_owner: the caller's euid is the target's
 * real or effective uid, or it has CAP_SYS_NICE */
static bool may_change(struct kernel *k, const struct task_ctx *c) {
  return c->ruid == k->euid || c->euid == k->euid || capable(k, CAP_SYS_NICE_);
}

/* ---- getpriority/setpriority ---- */

static bool prio_match(struct kernel *k, const struct task_ctx *c, int which, int who) {
  /* a pid or group of the caller's pid namespace; a uid of its user namespace */
  if (k->tc.ns && who) who = which == PRIO_USER ? (int)ns_make_kid(task_userns(&k->tc), false, (uint32_t)who)
                                                : pid_in(k, who);
  switch (which) {
  case PRIO_PROCESS: return c->pid == (who ? who : k->pid);
  case PRIO_PGRP: return c->tg->pgid == (who ? who : k->tg->pgid);
  default: return c->ruid == (who ? who : k->ruid);    /* PRIO_USER: real uid */
  }
}

/* every task prio_match looks at: init (outside the list) first, then the list */
#define FOR_EACH_PRIO_TASK(k, t) \
  for (struct task *t = (k)->init ? (k)->init : (k)->tasks; t; t = t == (k)->init ? (k)->tasks : t->next)

/* the raw syscall returns 20 - nice (the highest of the matches), so that
 * it is never negative; glibc turns it back into a nice value */
static long sys_getpriority(struct kernel *k, int which, int who) {
  if (which < PRIO_PROCESS || which > PRIO_USER) return -EINVAL;
  long best = -ESRCH;
  FOR_EACH_PRIO_TASK(k, t) {
    const struct task_ctx *c = task_ctx_of(k, t);
    if (t->state == TS_ZOMBIE || !prio_match(k, c, which, who)) continue;
    if (20 - c->nice > best) best = 20 - c->nice;
  }
  return best;
}

/* set_one_prio: EPERM for another user's task, EACCES to lower the nice
 * value without CAP_SYS_NICE (can_nice with RLIMIT_NICE 0) */
static long sys_setpriority(struct kernel *k, int which, int who, int nice) {
  if (which < PRIO_PROCESS || which > PRIO_USER) return -EINVAL;
  if (nice < -20) nice = -20;
  if (nice > 19) nice = 19;
  long err = -ESRCH;
  FOR_EACH_PRIO_TASK(k, t) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (t->state == TS_ZOMBIE || !prio_match(k, c, which, who)) continue;
    if (!may_change(k, c)) { err = -EPERM; continue; }
    if (nice < c->nice && !capable(k, CAP_SYS_NICE_)) { err = -EACCES; continue; }
    if (err == -ESRCH) err = 0;
    c->nice = nice;
  }
  return err;
}

/* ---- policies ---- */

static bool rt_policy(int p) { return p == SCHED_FIFO || p == SCHED_RR; }
static bool valid_policy(int p) {
  return p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE || rt_policy(p);
}

/* __sched_setscheduler's checks (policy -1: sched_setparam keeps it) */
static long set_sched(struct kernel *k, int pid, int policy, uint64_t uparam) {
  if (!uparam || pid < 0) return -EINVAL;
  int prio;
  if (copy_from_user(k, &prio, uparam, 4)) return -EFAULT;
  struct task_ctx *c = find(k, pid, NULL);
  if (!c) return -ESRCH;
  if (c == task_outside(k)) return -EPERM;   /* outside the model: not ours to change */
  if (policy < 0) policy = c->sched_policy;
  policy &= ~RESET_ON_FORK;   /* accepted, not modelled */
  if (!valid_policy(policy)) return -EINVAL;
  if ((unsigned)prio > 99 || rt_policy(policy) != (prio != 0)) return -EINVAL;
  if (!capable(k, CAP_SYS_NICE_)) {
    /* RLIMIT_RTPRIO 0: no real-time priority; leaving SCHED_IDLE is like
     * lowering the nice value */
    if (rt_policy(policy) && (policy != c->sched_policy || prio > c->sched_prio)) return -EPERM;
    if (c->sched_policy == SCHED_IDLE && policy != SCHED_IDLE) return -EPERM;
    if (!may_change(k, c)) return -EPERM;
  }
  c->sched_policy = policy;
  c->sched_prio = prio;
  return 0;
}

/* sched_getaffinity/sched_setaffinity: every vCPU (--cpus).  Linux's
 * cpumask is nr_cpu_ids bits in longs: 8 bytes here.  A mask is accepted
 * when it names a vCPU; tasks are not pinned (the lockstep scheduler
 * places them). */
static uint64_t all_cpus(const struct kernel *k) {
  return k->smp.n >= 64 ? ~0ull : (1ull << (k->smp.n > 1 ? k->smp.n : 1)) - 1;
}
static long get_affinity(struct kernel *k, int pid, uint64_t len, uint64_t umask) {
  if (len * 8 < 1 || (len & 7)) return -EINVAL;
  if (pid < 0 || !find(k, pid, NULL)) return -ESRCH;
  uint64_t m = all_cpus(k);
  return copy_to_user(k, umask, &m, 8) ? -EFAULT : 8;
}

static long set_affinity(struct kernel *k, int pid, uint64_t len, uint64_t umask) {
  uint64_t m = 0;
  if (copy_from_user(k, &m, umask, len < 8 ? (size_t)len : 8)) return -EFAULT;
  struct task_ctx *c = pid < 0 ? NULL : find(k, pid, NULL);
  if (!c) return -ESRCH;
  if (!may_change(k, c) || c == task_outside(k)) return -EPERM;
  return (m & all_cpus(k)) ? 0 : -EINVAL;      /* no allowed CPU in the mask */
}

long sys_sched(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_getpriority: return sys_getpriority(k, (int)a[0], (int)a[1]);
  case SYS_setpriority: return sys_setpriority(k, (int)a[0], (int)a[1], (int)a[2]);
  case SYS_sched_setscheduler: return set_sched(k, (int)a[0], (int)a[1], a[2]);
  case SYS_sched_setparam: return set_sched(k, (int)a[0], -1, a[1]);
  case SYS_sched_getscheduler: {
    if ((int)a[0] < 0) return -EINVAL;
    struct task_ctx *c = find(k, (int)a[0], NULL);
    return c ? c->sched_policy : -ESRCH;
  }
  case SYS_sched_getparam: {
    if (!a[1] || (int)a[0] < 0) return -EINVAL;
    struct task_ctx *c = find(k, (int)a[0], NULL);
    if (!c) return -ESRCH;
    int prio = c->sched_prio;
    return copy_to_user(k, a[1], &prio, 4) ? -EFAULT : 0;
  }
  case SYS_sched_get_priority_max: case SYS_sched_get_priority_min: {
    int p = (int)a[0];
    if (!valid_policy(p) && p != 6 /* SCHED_DEADLINE */) return -EINVAL;
    return rt_policy(p) ? (nr == SYS_sched_get_priority_max ? 99 : 1) : 0;
  }
  case SYS_sched_rr_get_interval: {
    /* RR tasks get RR_TIMESLICE, FIFO none; the fair classes are given
     * the same fixed 100 ms (the model's slice is guest.quantum
     * instructions, not a time) */
    if ((int)a[0] < 0) return -EINVAL;
    struct task_ctx *c = find(k, (int)a[0], NULL);
    if (!c) return -ESRCH;
    uint64_t ns = c->sched_policy == SCHED_FIFO ? 0 : RR_TIMESLICE_NS;
    int64_t ts[2] = {(int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull)};
    return copy_to_user(k, a[1], ts, sizeof ts) ? -EFAULT : 0;
  }
  case SYS_sched_getaffinity: return get_affinity(k, (int)a[0], a[1], a[2]);
  case SYS_sched_setaffinity: return set_affinity(k, (int)a[0], a[1], a[2]);
  default:
    *handled = false;
    return -ENOSYS;
  }
}
