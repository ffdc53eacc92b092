/* Guest processes' ends: exit(2)/exit_group(2) (do_exit, do_group_exit:
 * robust futex lists, reparenting to the reaper, SIGCHLD to the parent),
 * freeing exited threads, and wait4/waitid (which children a wait is for,
 * what it reports, reaping zombies).  Creation, the scheduler and process
 * groups are in task.c. */
#include "sim/kernel.h"
#include "sim/record.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---- the children a wait is for ---- */
static bool wait_match(struct kernel *k, struct task *parent, struct task *child, int want, int options) {
  struct task_ctx *pc = task_ctx_of(k, parent), *cc = task_ctx_of(k, child);
  if (cc->tid != cc->pid || cc->tg == pc->tg) return false;   /* processes, by their leaders */
  if (cc->tg->ppid != pc->pid) return false;
  /* eligible_child: a "clone" child (its exit signal not SIGCHLD) only
   * with __WCLONE, the others only without it; __WALL takes both */
  if (((cc->tg->exit_signal != SIGCHLD) ^ !!(options & (int)0x80000000u /* __WCLONE */)) &&
      !(options & 0x40000000 /* __WALL */))
    return false;
  if (want > 0) return cc->pid == want;
  if (want == -1) return true;
  if (want == 0) return cc->tg->pgid == pc->tg->pgid;
  return cc->tg->pgid == -want;
}

/* a child the wait may report on: a zombie only for WEXITED
 * (wait_consider_task returns before counting it otherwise, so a wait for
 * stops and continues of only zombies fails with ECHILD) */
bool any_child(struct kernel *k, struct task *parent, int want, int options) {
  for (struct task *t = k->tasks; t; t = t->next)
    if (t != parent && wait_match(k, parent, t, want, options) && (t->state != TS_ZOMBIE || (options & WEXITED)))
      return true;
  return false;
}

/* What a wait with these options (WEXITED, WSTOPPED, WCONTINUED) can
 * report of a child now, in wait_consider_task's order: its exit, a stop
 * not yet reported, a continue not yet reported.  A CLD_* code, or 0. */
static int wait_event(const struct task *child, int options) {
  /* a leader that exited before its threads is reported when the last one goes */
  if (child->state == TS_ZOMBIE) return (options & WEXITED) && !child->tc.tg->live ? CLD_EXITED : 0;
  if ((options & WSTOPPED) && child->stop_report) return CLD_STOPPED;
  if ((options & WCONTINUED) && child->cont_report) return CLD_CONTINUED;
  return 0;
}

/* the first child (creation order, as Linux's children list) with
 * something to report, and what */
struct task *wait_find(struct kernel *k, struct task *parent, int want, int options, int *event) {
  for (struct task *t = k->tasks; t; t = t->next)
    if (t != parent && wait_match(k, parent, t, want, options) && (*event = wait_event(t, options))) return t;
  return NULL;
}

/* do_wait looks at the children before at the signals: a parked wait
 * that now has a child to report (or none left to wait for) returns
 * that rather than EINTR */
bool task_wait_done(struct kernel *k) {
  struct task *t = k->cur;
  int event;
  return wait_find(k, t, t->wait_pid, t->wait_options, &event) || !any_child(k, t, t->wait_pid, t->wait_options);
}

/* ---- exit and wait ---- */
static void reparent_children(struct kernel *k, int pid) {
  /* forget_original_parent: to init, or to the init of the exiting
   * process's pid namespace (find_child_reaper) */
  int reaper = k->tc.ns ? pidns_reaper_for(k, &k->tc) : INIT_PID;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *tc = task_ctx_of(k, t);
    if (tc->tg->ppid != pid) continue;
    tc->tg->ppid = reaper;
    tc->tg->exit_signal = SIGCHLD;           /* reparent_leader */
    jobctl_reparented(k, t);
  }
}

/* exit_robust_list (kernel/futex/core.c): each lock on the dying
 * thread's robust list that it still owns gets FUTEX_OWNER_DIED and one
 * waiter woken, so the next locker sees EOWNERDEAD.  The list lives in
 * user memory: a bad pointer ends the walk, as in Linux. */
#define ROBUST_LIST_LIMIT 2048
static void robust_futex_death(struct kernel *k, uint64_t uaddr, int tid) {
  uint32_t v;
  if ((uaddr & 3) || copy_from_user(k, &v, uaddr, 4)) return;
  if ((v & 0x3fffffffu /* FUTEX_TID_MASK */) != (uint32_t)tid) return;
  uint32_t nv = (v & 0x80000000u /* FUTEX_WAITERS */) | 0x40000000u /* FUTEX_OWNER_DIED */;
  if (copy_to_user(k, uaddr, &nv, 4)) return;
  if (v & 0x80000000u) futex_wake_addr(k, uaddr, 1);
}

static void exit_robust_list(struct kernel *k, uint64_t head, int tid) {
  uint64_t h[3];                        /* next, futex_offset, list_op_pending */
  if (!head || copy_from_user(k, h, head, sizeof h)) return;
  uint64_t entry = h[0] & ~1ull, pending = h[2] & ~1ull;
  int64_t off = (int64_t)h[1];
  for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
    uint64_t next;
    if (copy_from_user(k, &next, entry, 8)) return;
    if (entry != pending) robust_futex_death(k, entry + (uint64_t)off, tid);
    entry = next & ~1ull;
  }
  if (pending) robust_futex_death(k, pending + (uint64_t)off, tid);
}

/* mm_release: a thread's last touches of its address space (the running
 * one's, which it shares with the thread tc when that is another) */
void thread_release_user(struct kernel *k, struct task_ctx *tc) {
  /* the futex words hold the thread's id as its own pid namespace numbers it */
  exit_robust_list(k, tc->robust_list, tc->ns ? pid_nr_ns(task_pidns(tc), tc->tid) : tc->tid);
  tc->robust_list = 0;
  if (tc->tid_address) {               /* CLONE_CHILD_CLEARTID: clear and wake (pthread_join) */
    uint32_t z = 0;
    if (!copy_to_user(k, tc->tid_address, &z, 4)) futex_wake_addr(k, tc->tid_address, 1);
    tc->tid_address = 0;
  }
}

/* zap_other_threads: every other live thread of the group gets SIGKILL
 * (it dies when it next runs; a blocked one is woken by it) */
static void zap_other_threads(struct kernel *k) {
  for (struct task *u = k->tasks; u; u = u->next)
    if (u != k->cur && u->tc.tg == k->tg && u->state != TS_ZOMBIE) u->tc.sigpending |= 1ull << (SIGKILL - 1);
}

static struct task *group_leader(struct kernel *k) {
  if (k->tid == k->pid) return k->cur;
  for (struct task *u = k->tasks; u; u = u->next)
    if (u->tc.tg == k->tg && u->tc.tid == u->tc.pid) return u;
  return k->cur;                        /* (the leader always exists while a thread does) */
}

/* The running thread ends: exit(2) ends it alone, exit_group(2) or a
 * fatal signal the whole process (do_group_exit), whose end its parent
 * sees when the last thread has gone (the leader waits as a zombie). */
void task_exit(struct kernel *k) {
  struct task *t = k->cur;
  struct tgroup *g = k->tg;
  bool initiator = false;
  if (!g->group_exit && (k->killed_by || !k->thread_exit)) {
    g->group_exit = initiator = true;
    g->group_exit_code = k->exit_code;
    g->group_killed_by = k->killed_by;
    zap_other_threads(k);
  }
  thread_release_user(k, &k->tc);
  int own = k->killed_by ? (k->killed_by & 0x7f) : ((k->exit_code & 0xff) << 8);
  t->wstatus = g->group_exit ? (g->group_killed_by ? (g->group_killed_by & 0x7f) : ((g->group_exit_code & 0xff) << 8))
                             : own;
  /* signal(7)'s "Core" actions dump core (coredump.c), once, by the
   * thread that took the signal: the wait status says whether a core
   * was written (WCOREDUMP) */
  if (initiator && k->killed_by && group_leader(k) == k->tasks) {
    /* the top-level guest dies of a signal: what faultline's last line says */
    int sig = k->killed_by & 0x7f;
    k->death.pid = k->pid;
    k->death.sig = sig;
    k->death.has_addr = (int)k->siginfo[sig].code > 0;   /* a fault's si_code: si_addr is meaningful */
    k->death.addr = k->siginfo[sig].addr;
    k->death.rip = k->cpu->rip;
    attrib_describe(k, k->death.rip, k->death.where, sizeof k->death.where);
  }
  if (initiator && k->killed_by && signal_dumps_core(k->killed_by) && coredump(k, k->killed_by))
    g->group_dumped = true;
  if (g->group_dumped && g->group_exit) t->wstatus |= 0x80;
  rec_put(k, FLTR_K_EXIT, (uint64_t)k->tid, (uint64_t)(int64_t)t->wstatus, 0, 0);
  /* do_exit: exit_mm (exit_mmap when it is the last user), exit_sem,
   * exit_files and exit_fs (a userfaultfd released there finds its
   * address space gone, as in Linux) */
  mm_exit_mmap(k, k->mm);
  mm_put(k, k->mm);
  k->mm = NULL;
  k->semundo = 0;                       /* exit_sem */
  kstep_begin(k, EV_S_EXIT_FILES, 0);
  files_put(k->files);
  k->files = NULL;
  k->fds = NULL;
  kstep_end(k, 0, 1);
  smp_task_gone(k);
  t->state = TS_ZOMBIE;
  jobctl_thread_gone(k, t);             /* a group stop waited for it: no longer */
  g->live--;
  g->dead_insns += k->cpu_insns + k->cpu->icount - k->oncpu_icount;
  g->dead_minflt += k->minflt;
  g->dead_majflt += k->majflt;
  if (k->tid != k->pid) t->gone = true;
  if (g->live > 0) return;
  /* the last thread: the process has ended, as its leader reports */
  struct task *L = group_leader(k);
  if (L == t || g->group_exit) L->wstatus = t->wstatus;   /* else every thread exit(2)ed: the leader's own */
  int ws = L->wstatus;
  pidfd_task_exited(L);
  if (k->tc.ns) pidns_exit(k, &k->tc);   /* a pid namespace's init: the rest of it is killed */
  reparent_children(k, k->pid);
  jobctl_exit(k);
  if (L == k->tasks) {
    /* the guest's first process: the run ends with its status */
    k->all_exited = true;
    k->guest_exit_code = (ws & 0x7f) ? 0 : (ws >> 8) & 0xff;
    k->guest_killed_by = ws & 0x7f;
    return;
  }
  /* SIGCHLD to the parent (default action: ignore) */
  kstep_begin(k, EV_S_EXIT_NOTIFY, 0);
  jobctl_notify_parent(k, L, (ws & 0x80) ? CLD_DUMPED : (ws & 0x7f) ? CLD_KILLED : CLD_EXITED,
                       (ws & 0x7f) ? (ws & 0x7f) : (ws >> 8) & 0xff);
  kstep_end(k, 0, 1);
}

/* free an exited thread once the scheduler has left it */
void task_reap_gone(struct kernel *k) {
  for (struct task **pp = &k->tasks; *pp;) {
    struct task *z = *pp;
    if (z->gone && z != k->cur) {
      *pp = z->next;
      pidfd_task_gone(z);
      tgroup_put(z->tc.tg);
      free(z);
    } else pp = &z->next;
  }
}

static void reap(struct kernel *k, struct task *z) {
  struct task **pp = &k->tasks;
  while (*pp && *pp != z) pp = &(*pp)->next;
  if (*pp) *pp = z->next;
  pidfd_task_gone(z);
  tgroup_put(z->tc.tg);
  free(z);
}

#define WAIT_THREAD_FLAGS (0x20000000 | 0x40000000 | (int)0x80000000u)   /* __WNOTHREAD __WALL __WCLONE */

/* waitid's siginfo: the syscall stores si_signo, si_errno, si_code,
 * si_pid, si_uid and si_status (and nothing else) whatever the outcome,
 * zeros when no child was reported; a bad pointer makes it EFAULT */
static long put_waitid_info(struct kernel *k, uint64_t uinfo, long ret, const int32_t f[6]) {
  if (!uinfo) return ret;
  if (copy_to_user(k, uinfo, f, 12) || copy_to_user(k, uinfo + 16, f + 3, 12)) return -EFAULT;
  return ret;
}

/* do_wait: the first child with an event the options ask for is
 * reported (its pid; *ws the wait4 status, info the waitid fields code,
 * pid, uid, status) and consumed unless WNOWAIT: a zombie is reaped, a
 * stop or continue reported once.  0 when there is nothing yet (WNOHANG,
 * or the task blocks until a child has something), -ECHILD with no child. */
static long wait_one(struct kernel *k, int want, int options, int *ws, int32_t info[4]) {
  struct task *me = k->cur;
  int event = 0, looked = 0;
  kstep_begin(k, EV_S_WAIT_SCAN, 0);         /* do_wait: wait_consider_task per child */
  for (struct task *u = k->tasks; u; u = u->next) looked += u != me && wait_match(k, me, u, want, options);
  struct task *t = wait_find(k, me, want, options, &event);
  kstep_end(k, (uint64_t)looked, (uint64_t)looked);
  if (t) {
    int pid = t->tc.pid;
    bool keep = options & WNOWAIT;
    info[1] = pid_vnr(k, pid);
    info[2] = (int)ns_from_kid_munged(task_userns(&k->tc), false, (uint32_t)t->tc.ruid);   /* its real uid */
    if (event == CLD_EXITED) {
      *ws = t->wstatus;
      info[0] = (*ws & 0x80) ? CLD_DUMPED : (*ws & 0x7f) ? CLD_KILLED : CLD_EXITED;
      info[3] = (*ws & 0x7f) ? (*ws & 0x7f) : (*ws >> 8) & 0xff;
      if (!keep) {
        kstep_begin(k, EV_S_WAIT_REAP, 0);     /* wait_task_zombie, release_task */
        reap(k, t);
        kstep_end(k, 0, 1);
      }
    } else if (event == CLD_STOPPED) {
      *ws = t->stop_report << 8 | 0x7f;  /* WIFSTOPPED, WSTOPSIG */
      info[0] = CLD_STOPPED;
      info[3] = t->stop_report;
      if (!keep) t->stop_report = 0;
    } else {
      *ws = 0xffff;                      /* WIFCONTINUED */
      info[0] = CLD_CONTINUED;
      info[3] = SIGCONT;
      if (!keep) t->cont_report = false;
    }
    return pid_vnr(k, pid);               /* as the caller's pid namespace numbers it */
  }
  if (!any_child(k, me, want, options)) return -ECHILD;
  if (options & WNOHANG) return 0;
  me->block = BLK_WAIT;
  me->wait_pid = want;
  me->wait_options = options;
  k->block_now = true;
  k->block_restart = true;
  return 0;
}

/* find_get_pid in the caller's pid namespace: the pid a wait names, 0
 * when there is none there (the wait then has no child: ECHILD) */
static int wait_global(struct kernel *k, int nr) { return pid_from_vnr(k, nr); }

/* kernel_waitid_prepare: waitid's options, and its id as the pid
 * argument do_wait takes (-pgid for a group, 0 the caller's group, -1 any,
 * a pidfd's process); *nonblock for a nonblocking pidfd */
static long waitid_args(struct kernel *k, int idtype, int id, int options, int *want, bool *nonblock) {
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | WAIT_THREAD_FLAGS)) return -EINVAL;
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return -EINVAL;
  switch (idtype) {
  case P_ALL: *want = -1; return 0;
  case P_PID:
    if (id <= 0) return -EINVAL;
    *want = wait_global(k, id);
    return *want ? 0 : -ECHILD;
  case P_PGID:
    if (id < 0) return -EINVAL;
    *want = id ? -wait_global(k, id) : 0;   /* 0: the caller's group */
    return !id || *want ? 0 : -ECHILD;
  case 3: {                              /* P_PIDFD: its process */
    if (id < 0) return -EINVAL;
    int fl = 0;
    *want = pidfd_pid_of(k, id, &fl);
    if (*want < 0) return *want;
    *nonblock = (fl & O_NONBLOCK) != 0;
    return 0;
  }
  default: return -EINVAL;
  }
}

long sys_wait_family(struct kernel *k, int nr, const uint64_t a[6]) {
  int ws = 0;
  int32_t info[4] = {0};
  const uint64_t rusage[18] = {0};       /* the model keeps no child usage */
  if (nr == SYS_wait4) {
    int want = (int)a[0], options = (int)a[2];
    /* kernel_wait4's checks */
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WAIT_THREAD_FLAGS)) return -EINVAL;
    if (want == INT_MIN) return -ESRCH;     /* -INT_MIN is not a pgid */
    if (k->tc.ns && (want > 0 || want < -1)) {
      int g = wait_global(k, want > 0 ? want : -want);
      if (!g) return -ECHILD;
      want = want > 0 ? g : -g;
    }
    long r = wait_one(k, want, options | WEXITED, &ws, info);
    /* the status and usage are written after the child is consumed */
    if (r > 0 && a[1] && copy_to_user(k, a[1], &ws, 4)) return -EFAULT;
    if (r > 0 && a[3] && copy_to_user(k, a[3], rusage, sizeof rusage)) return -EFAULT;
    return r;
  }
  /* waitid(idtype, id, infop, options, rusage) */
  int want = 0, options = (int)a[3];
  bool nonblock = false;
  long r = waitid_args(k, (int)a[0], (int)a[1], options, &want, &nonblock);
  /* a nonblocking pidfd waits as WNOHANG, and EAGAIN says nothing was there */
  if (!r) r = wait_one(k, want, options | (nonblock ? WNOHANG : 0), &ws, info);
  if (!r && nonblock && !(options & WNOHANG)) r = -EAGAIN;
  if (k->block_now) return 0;
  int32_t f[6] = {0, 0, info[0], info[1], info[2], info[3]};
  if (r > 0) {
    f[0] = SIGCHLD;
    r = 0;
    if (a[4] && copy_to_user(k, a[4], rusage, sizeof rusage)) return -EFAULT;
  }
  return put_waitid_info(k, a[2], r, f);
}
