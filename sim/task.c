/* Guest processes: thread groups, creation (fork/vfork/clone/clone3),
 * process groups, and the deterministic scheduler (switch on blocking and
 * on an instruction-count quantum, never on host time).  Each process has
 * its own address space; fork is copy-on-write through the MMU, so COW
 * faults are real faults.  Exit, wait4/waitid and reaping are in
 * task_exit.c. */
#include "sim/kernel.h"
#include "sim/record.h"
#include <sys/resource.h>
#include "sim/fs_priv.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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
