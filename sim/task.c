/* Guest processes: creation (fork/vfork/clone/clone3), exit,
 * wait4/waitid, process groups, and the deterministic scheduler (switch on
 * blocking and on an instruction-count quantum, never on host time).
 * Each process has its own address space; fork is copy-on-write through
 * the MMU, so COW faults are real faults. */
#include "sim/kernel.h"
#include "sim/record.h"
#include <sys/resource.h>
#include "sim/fs_priv.h"
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_VM_ 0x100
#define CLONE_FS_ 0x200
#define CLONE_FILES_ 0x400
#define CLONE_SIGHAND_ 0x800
#define CLONE_VFORK_ 0x4000
#define CLONE_SYSVSEM_ 0x40000
#define CLONE_PARENT_ 0x8000
#define CLONE_THREAD_ 0x10000
#define CLONE_SETTLS_ 0x80000
#define CLONE_PARENT_SETTID_ 0x100000
#define CLONE_CHILD_CLEARTID_ 0x200000
#define CLONE_CHILD_SETTID_ 0x1000000
#define CLONE_NEWUSER_ 0x10000000
/* copy_namespaces' flags: NEWNS NEWUTS NEWIPC NEWPID NEWNET NEWCGROUP NEWTIME */
#define CLONE_NS_ALL_ (0x20000ull | 0x04000000 | 0x08000000 | 0x20000000 | 0x40000000 | 0x02000000 | 0x80)
#define CLONE_NS_ABSENT_ (0x04000000ull | 0x08000000 | 0x20000000 | 0x40000000 | 0x80)

/* ---- thread groups ---- */
static struct tgroup *tgroup_new(struct kernel *k) {
  struct tgroup *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->fs = calloc(1, sizeof *g->fs);
  if (!g->fs) { free(g); return NULL; }
  g->refs = g->live = g->fs->refs = 1;
  g->id = ++k->next_kobj_id;
  g->fs->id = ++k->next_kobj_id;
  return g;
}

/* copy_fs (kernel/fork.c): CLONE_FS shares the parent's fs_struct, else
 * the child gets a copy (cwd and umask) */
static struct fs_struct *fs_copy(struct kernel *k, struct fs_struct *src, bool share) {
  if (share) {
    src->refs++;
    return src;
  }
  struct fs_struct *fs = malloc(sizeof *fs);
  if (!fs) return NULL;
  *fs = *src;
  fs->refs = 1;
  fs->id = ++k->next_kobj_id;
  return fs;
}

/* fork: the child's own copy (dispositions, limits, cwd and the command
 * line carry over; pending signals, timers and the exit state do not) */
static struct tgroup *tgroup_copy(struct kernel *k, const struct tgroup *src, bool share_fs) {
  struct tgroup *g = malloc(sizeof *g);
  if (!g) return NULL;
  *g = *src;
  g->refs = g->live = 1;
  g->id = ++k->next_kobj_id;
  g->fs = fs_copy(k, src->fs, share_fs);
  if (!g->fs) { free(g); return NULL; }
  g->cmdline = NULL;
  if (src->cmdline) {
    g->cmdline = malloc(src->cmdline_len + 1);
    if (!g->cmdline) { if (--g->fs->refs == 0) free(g->fs); free(g); return NULL; }
    memcpy(g->cmdline, src->cmdline, src->cmdline_len);
  }
  g->shared_pending = 0;
  memset(g->shared_info, 0, sizeof g->shared_info);
  g->alarm_ns = g->alarm_interval_ns = 0;
  memset(g->cpu_timer_ns, 0, sizeof g->cpu_timer_ns);
  memset(g->cpu_timer_interval_ns, 0, sizeof g->cpu_timer_interval_ns);
  g->group_exit = false;
  g->did_exec = g->leader = false;
  g->group_exit_code = g->group_killed_by = 0;
  g->dead_insns = g->dead_minflt = g->dead_majflt = 0;
  return g;
}

void tgroup_put(struct tgroup *g) {
  if (!g || --g->refs) return;
  if (g->fs && --g->fs->refs == 0) free(g->fs);
  free(g->cmdline);
  free(g);
}

/* a process by its id: its leader (the first of its threads) */
struct task *task_find(struct kernel *k, int pid) {
  for (struct task *t = k->tasks; t; t = t->next)
    if (task_ctx_of(k, t)->pid == pid) return t;
  return pid == INIT_PID ? k->init : NULL;   /* init, outside the list */
}

/* a thread by its id (tkill, /proc/<pid>/task/<tid>, sched_setaffinity) */
struct task *task_find_tid(struct kernel *k, int tid) {
  for (struct task *t = k->tasks; t; t = t->next)
    if (task_ctx_of(k, t)->tid == tid && !t->gone) return t;
  return tid == INIT_PID ? k->init : NULL;
}


int task_init_first(struct kernel *k) {
  struct task *t = calloc(1, sizeof *t);
  k->tasks = t;
  k->cur = t;
  k->next_pid = FIRST_PID + 1;
  memset(&k->tc, 0, sizeof k->tc);
  k->tg = tgroup_new(k);
  if (!k->tg) return -ENOMEM;
  k->pid = k->tid = k->tg->pgid = k->tg->sid = FIRST_PID;
  k->tg->ppid = OUTSIDE_PID;
  k->tg->exit_signal = SIGCHLD;
  k->orig_rax = -1;
  rlimits_init(&k->tc);
  k->files = files_new(k, FDS_INITIAL);
  k->fds = k->files->fds;
  t->state = TS_RUNNABLE;
  t->exit_efd = -1;
  t->serial = ++k->next_kobj_id;
  t->on_cpu = 0;
  k->smp.task[0] = t;
  return init_task_new(k);
}

/* The process that started the guest (its parent, outside the model):
 * it exists for the calls that only look at it, with the first task's
 * credentials and default scheduling, and cannot be changed. */
struct task_ctx *task_outside(struct kernel *k) {
  static struct task_ctx outside;
  static struct tgroup outside_tg;
  outside.tg = &outside_tg;
  struct task *first = k->tasks;
  const struct task_ctx *f = first == k->cur ? &k->tc : &first->tc;
  outside.pid = outside.tg->pgid = outside.tg->sid = OUTSIDE_PID;
  outside.ruid = outside.euid = outside.suid = outside.fsuid = f->ruid;
  outside.rgid = outside.egid = outside.sgid = outside.fsgid = f->rgid;
  outside.sched_policy = 0;
  outside.sched_prio = 0;
  return &outside;
}

/* ---- context switch ---- */
/* reason: the sched record's (0 the scheduler, 1 a moment in another
 * process's context) */
static void switch_to(struct kernel *k, struct task *next, int reason);
/* for a syscall that works in another process's address space
 * (process_vm_readv/writev): make it the current context, then back */
void task_switch_to(struct kernel *k, struct task *t) { switch_to(k, t, 1); }

/* The distinct address spaces of the live processes (the running one's is
 * k->mm; vfork children share their parent's): up to max, their count. */
int live_mms(struct kernel *k, struct mm **out, int max) {
  int n = 0;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct mm *mm = t == k->cur ? k->mm : t->tc.mm;
    if (!mm || t->state == TS_ZOMBIE) continue;
    bool dup = false;
    for (int i = 0; i < n; i++) dup |= out[i] == mm;
    if (!dup && n < max) out[n++] = mm;
  }
  return n;
}

static void switch_to(struct kernel *k, struct task *next, int reason) {
  struct task *cur = k->cur;
  if (next == cur) return;
  if (reason == 0) kstep_begin(k, EV_S_SCHED_SWITCH, 0);   /* __schedule -> context_switch */
  rec_put(k, FLTR_K_SCHED, (uint64_t)next->tc.pid, (uint64_t)reason, 0, 0);
  struct vcpu *c = k->cpu;
  cpu_save_regs(c, &cur->regs);
  k->tc.cpu_insns += c->icount - k->tc.oncpu_icount;   /* its CPU time so far */
  cur->tc = k->tc;
  k->tc = next->tc;
  cpu_load_regs(c, &next->regs);
  k->tc.oncpu_icount = c->icount;
  k->cur = next;
  if (reason == 0) {               /* (a moment in another's context leaves the vCPUs' tasks as they are) */
    cur->on_cpu = -1;
    next->on_cpu = k->smp.cur;
    k->smp.task[k->smp.cur] = next;
  }
  k->hv->bus->pid = k->pid;        /* steps from here on are the new task's */
  if (k->mm && (!cur->tc.mm || cur->tc.mm->pml4 != k->mm->pml4)) {
    if (reason == 0) kstep_begin(k, EV_S_SCHED_SWITCH_MM, k->mm->pml4);
    mm_switch_user(k);
    if (reason == 0) kstep_end(k, 0, 1);
  } else if (k->smp.n > 1 && reason == 0) smp_catch_up(k);
  if (reason == 0) kstep_end(k, 0, 1);
  if (cur->gone) task_reap_gone(k);
}

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
static bool any_child(struct kernel *k, struct task *parent, int want, int options) {
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
static struct task *wait_find(struct kernel *k, struct task *parent, int want, int options, int *event) {
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

/* Can a blocked task run again? */
static bool wakeable(struct kernel *k, struct task *t) {
  struct task_ctx *tc = task_ctx_of(k, t);
  bool killed = tc->sigpending & (1ull << (SIGKILL - 1));
  /* stopped: SIGKILL ends it (SIGCONT continues it when it is sent) */
  if (t->block == BLK_STOPPED) return killed;
  if (t->block == BLK_VFORK) {
    /* wait_for_vfork_done is killable only: other signals, a stop among
     * them, wait until the child has execed or exited */
    struct task *ch = task_find(k, t->vfork_child);
    return killed || !ch || ch->state == TS_ZOMBIE || task_ctx_of(k, ch)->mm != tc->mm;
  }
  if (signal_wakers(tc)) return true;                /* a signal interrupts */
  if (t->sigwait_active && (tc->sigpending & ~tc->sigmask)) return true;  /* sigtimedwait's set */
  if (t->wake_ns && ktime_ns(k) >= t->wake_ns) return true;   /* a timed wait ends */
  switch (t->block) {
  case BLK_WAIT: {
    int event;
    return wait_find(k, t, t->wait_pid, t->wait_options, &event) ||
           !any_child(k, t, t->wait_pid, t->wait_options);
  }
  case BLK_FD: {
    struct pollfd p = {.fd = t->block_fd, .events = (short)t->block_events};
    return poll(&p, 1, 0) != 0;
  }
  case BLK_FUTEX: return t->futex.woken;
  case BLK_UFFD: return t->uffd.woken;
  case BLK_SIGSUSPEND: case BLK_PAUSE: case BLK_SLEEP: return false;
  default: return true;
  }
}

void task_wait_until(struct kernel *k, uint64_t deadline) {
  struct task *t = k->cur;
  t->wake_ns = deadline;
  if (!k->block_now) {
    t->block = BLK_SLEEP;
    k->block_now = true;
    k->block_restart = true;
  }
}

uint64_t task_wait_deadline(struct kernel *k) {
  uint64_t d = k->cur ? k->cur->wake_ns : 0;
  if (k->cur) k->cur->wake_ns = 0;
  return d;
}

uint64_t task_next_deadline(struct kernel *k) {
  uint64_t next = 0;
  for (struct task *t = k->tasks; t; t = t->next)
    if (t->state == TS_BLOCKED && t->block != BLK_STOPPED && t->wake_ns && (!next || t->wake_ns < next))
      next = t->wake_ns;   /* a stopped task's parked sleep wakes no one */
  return next;
}

/* Pick the next task round-robin after the current one.  Returns NULL
 * when nothing can ever run again. */
struct task *sched_pick(struct kernel *k) {
  for (int round = 0; round < 64; round++) {
    struct task *start = k->cur && k->cur->next ? k->cur->next : k->tasks;
    struct task *t = start;
    do {
      if (t->on_cpu >= 0 && t != k->cur) {   /* running on another vCPU (--cpus) */
        t = t->next ? t->next : k->tasks;
        continue;
      }
      if (t->state == TS_RUNNABLE) return t;
      if (t->state == TS_BLOCKED && wakeable(k, t)) {
        t->state = TS_RUNNABLE;
        return t;
      }
      t = t->next ? t->next : k->tasks;
    } while (t != start);
    /* other vCPUs still run: this one idles (time passes with them) */
    if (k->smp.n > 1 && smp_others_busy(k)) return NULL;
    /* Everyone is blocked: a timer can wake someone (virtual time skips
     * ahead to it), else only input from outside (a host fd) can help;
     * a pipe the guest made gets none while every guest process waits. */
    if (timers_skip_idle(k)) continue;
    struct pollfd p[64];
    int n = 0;
    bool outside = false, signal_wait = false;
    for (t = k->tasks; t && n < 64; t = t->next) {
      if (t->state != TS_BLOCKED) continue;
      if (t->block == BLK_FD) {
        p[n++] = (struct pollfd){.fd = t->block_fd, .events = (short)t->block_events};
        outside |= !fds_guest_pipe(k, t, t->block_fd);
      }
      /* pause, sigsuspend, sigwait: only a signal from outside the guest
       * (one sent to faultline) can end the wait, as on Linux */
      signal_wait |= t->block == BLK_PAUSE || t->block == BLK_SIGSUSPEND;
    }
    if (!outside && !signal_wait) return NULL;
    /* input from outside, or a signal sent to faultline (posted to the
     * guest: someone may wake), or --max-time (the run ends) */
    if (hostsig_wait(k, p, n) < 0 || k->all_exited) return NULL;
  }
  return NULL;
}

void sched_switch(struct kernel *k) {
  struct task *n = sched_pick(k);
  if (!n && k->smp.n > 1 && smp_others_busy(k)) {
    if (k->cur) smp_idle(k);           /* this vCPU idles until a task is runnable */
    return;
  }
  if (n && !k->cur) {                  /* an idle vCPU takes it */
    smp_start_task(k, n);
    return;
  }
  if (!n && k->all_exited) return;    /* a signal sent to faultline, or --max-time, ended the wait */
  if (!n) {
    /* deadlock: every task waits on something no one will provide, or is
     * stopped with no one left to continue it */
    bool stopped = false;
    char waiters[512] = "";
    size_t wl = 0;
    int nwait = 0;
    for (struct task *t = k->tasks; t; t = t->next) {
      stopped |= t->state == TS_BLOCKED && t->block == BLK_STOPPED;
      if (t->state != TS_BLOCKED || (t->block != BLK_FUTEX && t->block != BLK_UFFD)) continue;
      /* the futex and userfault waiters by name: the hang a Linux run would have */
      bool uf = t->block == BLK_UFFD;
      if (nwait++ < 8 && wl < sizeof waiters - 64)
        wl += (size_t)snprintf(waiters + wl, sizeof waiters - wl, "%stid %d on %s %#llx", nwait > 1 ? ", " : ": ",
                               task_ctx_of(k, t)->tid, uf ? "a userfault at" : "futex",
                               (unsigned long long)(uf ? t->uffd.addr : t->futex.uaddr));
    }
    if (nwait > 8) snprintf(waiters + wl, sizeof waiters - wl, ", and %d more", nwait - 8);
    if (nwait)
      fprintf(stderr, "faultline: every guest thread is %s (deadlock)%s; stopping\n",
              stopped ? "stopped or blocked" : "blocked", waiters);
    else
      fprintf(stderr, "faultline: every guest process is %s (deadlock); stopping\n",
              stopped ? "stopped or blocked" : "blocked");
    k->all_exited = true;
    if (!k->guest_killed_by && !k->guest_exit_code) k->guest_killed_by = SIGKILL;
    return;
  }
  switch_to(k, n, 0);
  k->slice_end = k->cpu->icount + k->quantum;
}

/* ---- fork / clone ---- */
/* upidfd: where CLONE_PIDFD stores the child's pidfd (clone: the
 * parent_tid argument; clone3: its own field) */
static long do_clone(struct kernel *k, uint64_t flags, uint64_t newsp, uint64_t ptid,
                     uint64_t ctid, uint64_t tls, uint64_t upidfd, const int32_t *set_tid,
                     uint64_t set_tid_size) {
  /* copy_process's flag rules: a thread shares the dispositions, which
   * need the address space the handlers live in */
  bool thread = flags & CLONE_THREAD_;
  if (thread && !(flags & CLONE_SIGHAND_)) return -EINVAL;
  if ((flags & CLONE_SIGHAND_) && !(flags & CLONE_VM_)) return -EINVAL;
  if ((flags & 0x200 /* CLONE_FS */) && (flags & 0x20000 /* CLONE_NEWNS */)) return -EINVAL;
  if ((flags & CLONE_FS_) && (flags & CLONE_NEWUSER_)) return -EINVAL;
  /* copy_creds and copy_namespaces (ns.c): user, pid and network
   * namespaces; a new mount namespace is a copy of one the guest cannot
   * change (no mount), and without cgroups copy_cgroup_ns keeps the old
   * one; UTS, IPC and time namespaces are EINVAL (not modelled) */
  struct nsproxy *cns = k->tc.ns;
  /* copy_process: a thread's pid is its process's namespace's */
  if (thread && cns && cns->pid != cns->pid_children) return -EINVAL;
  if ((flags & (CLONE_NEWUSER_ | CLONE_NS_ALL_)) || (cns && !thread)) {
    if (thread && (flags & (CLONE_NEWUSER_ | 0x20000000 /* CLONE_NEWPID */))) return -EINVAL;
    int e = ns_clone(k, flags, &cns);
    if (e) return e;
  }
  struct pidns *cpid = cns ? cns->pid : NULL;
  if (thread) cpid = task_pidns(&k->tc);
  int newpid = cpid ? pidns_alloc(k, cpid, set_tid, set_tid_size) : alloc_pid(k, set_tid, set_tid_size);
  if (newpid < 0) return newpid;
  /* copy_process: CLONE_DETACHED is kept for a later CLONE_PIDFD use; the
   * fd number is stored before the child exists (EFAULT: no child), and
   * the descriptor is installed once it does, so the child's copy of the
   * table does not hold it */
  int pidfd = -1;
  if (flags & CLONE_PIDFD_) {
    if (flags & 0x00400000 /* CLONE_DETACHED */) return -EINVAL;
    pidfd = gfd_lowest_free(k, 0);
    if (pidfd < 0) return pidfd;
    if (copy_to_user(k, upidfd, &pidfd, 4)) return -EFAULT;
  }
  if (clone_over_limits(k, thread)) return -EAGAIN;
  struct vcpu *c = k->cpu;
  kstep_begin(k, EV_S_FORK_DUP_TASK, 0);     /* dup_task_struct */
  struct task *t = calloc(1, sizeof *t);
  kstep_end(k, 0, 1);
  if (!t) return -ENOMEM;
  t->exit_efd = -1;
  t->serial = ++k->next_kobj_id;
  t->on_cpu = -1;
  t->tc = k->tc;
  if (!thread) t->tc.ns = cns;
  if (flags & CLONE_NEWUSER_) {     /* set_cred_user_ns: every capability in the new namespace */
    t->tc.cap_eff = t->tc.cap_prm = t->tc.cap_bnd = (1ull << 41) - 1;
    t->tc.cap_inh = 0;
  }
  t->tc.tid = newpid;
  if (!thread) t->tc.pid = newpid;
  t->tc.sigpending = 0;
  t->tc.minflt = t->tc.majflt = 0;
  t->tc.start_icount = c->icount;
  t->tc.exited = false;
  t->tc.killed_by = 0;
  t->tc.forknoexec = true;
  t->tc.tid_address = (flags & CLONE_CHILD_CLEARTID_) ? ctid : 0;
  /* fork(2): no interval timers, no CPU time inherited (tgroup_copy) */
  t->tc.cpu_insns = 0;
  t->tc.oncpu_icount = c->icount;
  t->tc.robust_list = 0;
  /* copy_semundo (ipc/sem.c): CLONE_SYSVSEM shares the caller's undo
   * list, making it first if it has none; else the child has none */
  if (flags & CLONE_SYSVSEM_) {
    if (!k->semundo) k->semundo = ++k->next_kobj_id;
    t->tc.semundo = k->semundo;
  } else {
    t->tc.semundo = 0;
  }
  /* copy_process: a child sharing the memory but not waited for by a
   * vfork parent must not run its handlers on the parent's altstack */
  if ((flags & (CLONE_VM_ | CLONE_VFORK_)) == CLONE_VM_) {
    t->tc.altstack_sp = t->tc.altstack_size = 0;
    t->tc.altstack_flags = SS_DISABLE;
  }
  /* copy_process: creds, files, fs, sighand, signal, then the mm */
  kstep_begin(k, EV_S_FORK_COPY_PROCESS, 0);
  if (thread) {
    k->tg->refs++;
    k->tg->live++;
  } else {
    t->tc.tg = tgroup_copy(k, k->tg, flags & CLONE_FS_);
    if (!t->tc.tg) { kstep_end(k, 0, 1); free(t); return -ENOMEM; }
    t->tc.tg->ppid = (flags & CLONE_PARENT_) ? k->tg->ppid : k->pid;
    t->tc.tg->exit_signal = (int)(flags & 0xff);   /* CSIGNAL */
  }
  if (flags & CLONE_FILES_) k->files->refs++;
  else t->tc.files = files_copy(k, k->files);
  t->tc.fds = t->tc.files->fds;
  kstep_end(k, 0, 1);
  if (flags & CLONE_VM_) {
    k->mm->refs++;
  } else {
    t->tc.mm = mm_fork(k, k->mm);
    if (!t->tc.mm) {
      if (!(flags & CLONE_FILES_)) files_put(t->tc.files);
      else k->files->refs--;
      tgroup_put(t->tc.tg);
      free(t);
      return -ENOMEM;
    }
  }
  cpu_save_regs(c, &t->regs);
  t->regs.r[RAX] = 0;
  if (newsp) t->regs.r[RSP] = newsp;
  if (flags & CLONE_SETTLS_) t->regs.fs_base = tls;
  t->state = TS_RUNNABLE;
  /* append: creation order is the scheduling order */
  kstep_begin(k, EV_S_FORK_WAKE_NEW, 0);     /* wake_up_new_task */
  struct task **pp = &k->tasks;
  while (*pp) pp = &(*pp)->next;
  *pp = t;
  kstep_end(k, 0, 1);
  int pid = t->tc.tid;       /* clone returns the new thread's id (the pid of a new process) */
  rec_put(k, FLTR_K_FORK, (uint64_t)pid, t->tc.mm->id, flags, 0);
  if (pidfd >= 0) pidfd_install(k, t, 0, pidfd);
  /* the caller sees the child's pid in its own namespace, the child its own */
  int vpid = pid_vnr(k, pid);
  if (flags & CLONE_PARENT_SETTID_) copy_to_user(k, ptid, &vpid, 4);
  if (flags & CLONE_CHILD_SETTID_) {
    /* written in the child's address space */
    struct task *me = k->cur;
    switch_to(k, t, 1);
    int cpid_v = pid_vnr(k, pid);
    copy_to_user(k, ctid, &cpid_v, 4);
    switch_to(k, me, 1);
  }
  if (flags & CLONE_VFORK_) {
    /* the parent sleeps until the child execs or exits; its return value
     * (the pid) is already decided */
    k->cur->block = BLK_VFORK;
    k->cur->vfork_child = pid;
    k->block_now = true;
    k->block_restart = false;
  }
  return vpid;
}

long sys_clone_family(struct kernel *k, int nr, const uint64_t a[6]) {
  switch (nr) {
  case SYS_fork: return do_clone(k, SIGCHLD, 0, 0, 0, 0, 0, NULL, 0);
  case SYS_vfork: return do_clone(k, CLONE_VM_ | CLONE_VFORK_ | SIGCHLD, 0, 0, 0, 0, 0, NULL, 0);
  case SYS_clone:
    /* kernel_clone: the legacy call returns the pidfd through parent_tid,
     * so CLONE_PIDFD and CLONE_PARENT_SETTID exclude each other */
    if ((a[0] & CLONE_PIDFD_) && (a[0] & CLONE_PARENT_SETTID_)) return -EINVAL;
    return do_clone(k, a[0], a[1], a[2], a[3], a[4], a[2], NULL, 0);
  case SYS_clone3: {
    /* copy_struct_from_user: a larger struct's tail must be zero (E2BIG)
     * and readable (EFAULT); then clone3_args_valid's checks */
    uint64_t ca[11] = {0};
    if (a[1] < 64 || a[1] > 4096) return -EINVAL;
    if (copy_from_user(k, ca, a[0], a[1] < sizeof ca ? a[1] : sizeof ca)) return -EFAULT;
    for (uint64_t off = sizeof ca; off < a[1]; off++) {
      uint8_t byte;
      if (copy_from_user(k, &byte, a[0] + off, 1)) return -EFAULT;
      if (byte) return -E2BIG;
    }
    /* flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
     * tls, set_tid, set_tid_size, cgroup (copy_clone_args_from_user):
     * set_tid and its size (at most MAX_PID_NS_LEVEL, 32) both or neither */
    if (ca[9] > 32 || (ca[8] == 0) != (ca[9] == 0)) return -EINVAL;
    if ((ca[4] & ~0xffull) || ca[4] > 64) return -EINVAL;          /* exit_signal */
    int32_t set_tid[32];
    if (ca[9] && copy_from_user(k, set_tid, ca[8], ca[9] * sizeof set_tid[0])) return -EFAULT;
    /* clone3_args_valid: no flag past the legacy ones, CLONE_CLEAR_SIGHAND
     * and CLONE_INTO_CGROUP; CLONE_DETACHED and the CSIGNAL bits (but
     * CLONE_NEWTIME) are refused; then the stack */
    if (ca[0] >> 34) return -EINVAL;
    if (ca[0] & (0x00400000 | 0x7f)) return -EINVAL;
    if ((ca[5] == 0) != (ca[6] == 0)) return -EINVAL;               /* stack and its size */
    /* kernel_clone: the pidfd and the parent's tid in one place */
    if ((ca[0] & CLONE_PIDFD_) && (ca[0] & CLONE_PARENT_SETTID_) && ca[1] == ca[3]) return -EINVAL;
    uint64_t sp = ca[5] ? ca[5] + ca[6] : 0;
    return do_clone(k, ca[0] | ca[4], sp, ca[3], ca[2], ca[7], ca[1], set_tid, ca[9]);
  }
  }
  return -ENOSYS;
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

/* ---- process groups ---- */
static long pgrp_call(struct kernel *k, int nr, const uint64_t a[6]);

/* the calls with pids of the caller's pid namespace: to the initial
 * one's and back (a group or session outside it reads as 0, pid_vnr) */
long sys_pgrp(struct kernel *k, int nr, const uint64_t a[6]) {
  if (!k->tc.ns || !k->tc.ns->pid) return pgrp_call(k, nr, a);
  uint64_t b[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
  if (nr != SYS_getpgrp && nr != SYS_setsid && (int)a[0] > 0) {
    b[0] = (uint64_t)pid_from_vnr(k, (int)a[0]);
    if (!b[0]) return -ESRCH;
  }
  if (nr == SYS_setpgid && (int)a[1] > 0) {
    b[1] = (uint64_t)pid_from_vnr(k, (int)a[1]);
    if (!b[1]) return -EPERM;
  }
  long r = pgrp_call(k, nr, b);
  return r > 0 && nr != SYS_setpgid ? pid_vnr(k, (int)r) : r;
}

static long pgrp_call(struct kernel *k, int nr, const uint64_t a[6]) {
  switch (nr) {
  case SYS_getpgid: {
    if (a[0] == 0) return k->tg->pgid;
    struct task *t = task_find(k, (int)a[0]);
    return t ? task_ctx_of(k, t)->tg->pgid : -ESRCH;
  }
  case SYS_getpgrp: return k->tg->pgid;
  case SYS_getsid: {
    if (a[0] == 0) return k->tg->sid;
    struct task *t = task_find(k, (int)a[0]);
    return t ? task_ctx_of(k, t)->tg->sid : -ESRCH;
  }
  case SYS_setsid:
    if (k->tg->pgid == k->pid) return -EPERM;
    k->tg->sid = k->tg->pgid = k->pid;
    k->tg->leader = true;
    k->tg->ctty = 0;                  /* proc_clear_tty */
    return k->tg->sid;
  case SYS_setpgid: {
    /* kernel/sys.c setpgid, in its order: a negative group EINVAL; the
     * process (ESRCH), which must lead its thread group (EINVAL); a child
     * of the caller in its session (EPERM) that has not exec'd (EACCES),
     * or else the caller itself (ESRCH: init too); not a session leader
     * (EPERM); a group other than its own pid must exist in the caller's
     * session (EPERM) */
    int pid = a[0] ? (int)a[0] : k->pid;
    if ((int)a[1] < 0) return -EINVAL;
    int pg = a[1] ? (int)a[1] : pid;
    struct task *t = task_find(k, pid);
    if (!t) return -ESRCH;
    struct task_ctx *c = task_ctx_of(k, t);
    if (c->tid != c->pid) return -EINVAL;
    if (c->tg != k->tg && c->tg->ppid == k->pid) {
      if (c->tg->sid != k->tg->sid) return -EPERM;
      if (c->tg->did_exec) return -EACCES;   /* !(p->flags & PF_FORKNOEXEC) */
    } else if (c->tg != k->tg) {
      return -ESRCH;
    }
    if (c->tg->leader) return -EPERM;
    if (pg != pid) {
      bool found = false;
      for (struct task *u = k->tasks; u && !found; u = u->next) {
        const struct task_ctx *uc = task_ctx_of(k, u);
        found = uc->tg->pgid == pg && uc->tg->sid == k->tg->sid;
      }
      if (!found) return -EPERM;
    }
    c->tg->pgid = pg;
    return 0;
  }
  }
  return -ENOSYS;
}

/* End of the run: every task's address space, descriptors and memory. */
void task_cleanup_all(struct kernel *k) {
  if (k->cur) k->cur->tc = k->tc;
  /* descriptors first: a userfaultfd's release looks at the address
   * spaces that are still there */
  for (struct task *t = k->tasks; t; t = t->next) {
    files_put(t->tc.files);
    t->tc.files = NULL;
  }
  for (struct task *t = k->tasks; t; t = t->next)
    if (t->tc.mm) { mm_put(k, t->tc.mm); t->tc.mm = NULL; }
  for (struct task *t = k->tasks, *n; t; t = n) {
    n = t->next;
    pidfd_task_gone(t);
    tgroup_put(t->tc.tg);
    free(t);
  }
  k->tasks = k->cur = NULL;
  k->mm = NULL;
  init_task_free(k);
  ns_free_all(k);
}
