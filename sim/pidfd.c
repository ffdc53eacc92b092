/* pidfds: descriptors that refer to a process (pidfd_open, CLONE_PIDFD),
 * and the calls that take one: pidfd_send_signal, pidfd_getfd,
 * waitid(P_PIDFD) (task_exit.c) and poll/select (sys_fspoll.c).
 *
 * A pidfd names the process (its struct pid) by its pid and the task's
 * serial: once the process is reaped, its pid may be given again (after
 * kernel.ns_last_pid, or a wrap at pid_max), and the pidfd finds no task
 * (ESRCH); so does a /proc/<pid> directory used as one.  Readiness is the
 * model's (pidfd_poll: POLLIN once the process is a zombie, POLLHUP too
 * once it is reaped); to let a task park in poll until then, the guest
 * fd's host descriptor is a dup of one host eventfd per process that
 * task_exit makes readable.  That eventfd is only a wake-up: the guest
 * never reads or writes it, and the pidfd's file flags are the model's.
 * fstat answers as the host kernel does for a pidfd (its mode, device and
 * owner), with the process's pid as inode number; readlink of
 * /proc/self/fd/N is "anon_inode:[pidfd]". */
#include "sim/fs_priv.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PIDFD_THREAD_ O_EXCL           /* a pidfd of one thread (Linux 6.9) */
#define PIDFD_SELF_THREAD (-10000)     /* pidfd_send_signal's "the caller" */
#define PIDFD_SELF_THREAD_GROUP (-10001)
#define PIDFD_SIGNAL_THREAD 1u
#define PIDFD_SIGNAL_THREAD_GROUP 2u
#define PIDFD_SIGNAL_PROCESS_GROUP 4u
#define SI_USER_ 0
#define SI_TKILL_ (-6)

/* the process's exit eventfd: made on its first pidfd, readable once it
 * has exited */
static int exit_fd(struct task *t) {
  if (t->exit_efd < 0) {
    int e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e < 0) return -errno;
    t->exit_efd = e;
    if (t->state == TS_ZOMBIE) pidfd_task_exited(t);
  }
  return t->exit_efd;
}

void pidfd_task_exited(struct task *t) {
  uint64_t one = 1;
  if (t->exit_efd >= 0 && write(t->exit_efd, &one, sizeof one) < 0) { /* counter full: readable anyway */ }
}

void pidfd_task_gone(struct task *t) {
  if (t->exit_efd >= 0) close(t->exit_efd);
  t->exit_efd = -1;
}

static int pid_of_task(struct kernel *k, struct task *t) { return t == k->cur ? k->pid : t->tc.pid; }

/* a pidfd (O_RDWR and close-on-exec, as pidfd_create makes it) */
static int install_pidfd(struct kernel *k, int pid, uint64_t serial, int efd, int flags, bool cloexec, int at) {
  int h = fcntl(efd, F_DUPFD_CLOEXEC, 3);
  if (h < 0) return -errno;
  int fd = at >= 0 ? gfd_install_at(k, at, FDK_PIDFD, h, flags, cloexec, PIDFD_PATH)
                   : gfd_install(k, 0, FDK_PIDFD, h, flags, cloexec, PIDFD_PATH);
  if (fd >= 0) {
    k->fds[fd].pid = pid;
    k->fds[fd].task_serial = serial;
  }
  return fd;
}

int pidfd_install(struct kernel *k, struct task *t, int flags, int at) {
  int efd = exit_fd(t);
  if (efd < 0) return efd;
  return install_pidfd(k, pid_of_task(k, t), t->serial, efd, O_RDWR | (flags & (O_NONBLOCK | PIDFD_THREAD_)), true, at);
}

int pidfd_reopen(struct kernel *k, const struct gfd *o, int flags, bool cloexec) {
  return install_pidfd(k, o->pid, o->task_serial, o->hostfd, flags, cloexec, -1);
}

/* Does pid now name a process other than the one with this serial (its
 * pid given again after it was reaped)?  serial 0: no particular one. */
static bool pid_reused(struct kernel *k, int pid, uint64_t serial) {
  struct task *t = task_find(k, pid);
  return serial && t && t->serial != serial;
}

/* the process a pidfd refers to, NULL once it has been reaped */
static struct task *pidfd_task(struct kernel *k, const struct gfd *g) {
  struct task *t = task_find(k, g->pid);
  return t && t->serial == g->task_serial ? t : NULL;
}

int pidfd_pid_of(struct kernel *k, int fd, int *f_flags) {
  struct gfd *g = gfd_get(k, fd);
  if (!g || g->kind != FDK_PIDFD) return -EBADF;
  if (f_flags) *f_flags = g->flags;
  /* reaped, and its pid given again: a pid no child has (waitid: ECHILD) */
  return pid_reused(k, g->pid, g->task_serial) ? INT32_MAX : g->pid;
}

short pidfd_poll_mask(struct kernel *k, const struct gfd *g) {
  struct task *t = pidfd_task(k, g);
  if (!t) return POLLIN | POLLRDNORM | POLLHUP;
  return t->state == TS_ZOMBIE ? POLLIN | POLLRDNORM : 0;
}

/* fstat of a pidfd: what the host kernel says of one (pidfs since 6.9:
 * mode 0700 and no file type; before it the anon inode, 0600), with the
 * pid as its inode number and the boot time as its times */
void pidfd_stat(struct kernel *k, const struct gfd *g, struct stat *st) {
  static struct stat tmpl;
  static bool have;
  if (!have) {
    int h = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (h < 0 || fstat(h, &tmpl)) {
      memset(&tmpl, 0, sizeof tmpl);
      tmpl.st_mode = 0600;
      tmpl.st_nlink = 1;
      tmpl.st_blksize = 4096;
    }
    if (h >= 0) close(h);
    have = true;
  }
  *st = tmpl;
  st->st_ino = (ino_t)g->pid;
  st->st_size = 0;
  st->st_blocks = 0;
  struct timespec boot = {(time_t)(k->epoch_ns / 1000000000ull), (long)(k->epoch_ns % 1000000000ull)};
  st->st_atim = st->st_mtim = st->st_ctim = boot;
}

/* The pid a pidfd_send_signal descriptor names: a pidfd, or a /proc/<pid>
 * directory (tgid_pidfd_to_pid); thread: it names one thread. */
static int signal_target(struct kernel *k, int fd, bool *thread, uint64_t *serial) {
  *thread = false;
  *serial = 0;
  if (fd == PIDFD_SELF_THREAD || fd == PIDFD_SELF_THREAD_GROUP) {
    *thread = fd == PIDFD_SELF_THREAD;
    return *thread ? k->tid : k->pid;
  }
  struct gfd *g = gfd_get(k, fd);
  if (!g || (g->flags & O_PATH)) return -EBADF;
  if (g->kind == FDK_PIDFD) {
    *thread = (g->flags & PIDFD_THREAD_) != 0;
    *serial = g->task_serial;
    return g->pid;
  }
  if (g->kind == FDK_PROC && (g->flags & O_DIRECTORY) && !strncmp(g->path, "/proc/", 6)) {
    const char *p = g->path + 6;
    long pid = 0;
    for (; *p >= '0' && *p <= '9' && pid < 1000000000; p++) pid = pid * 10 + (*p - '0');
    *serial = g->task_serial;
    if (!*p && p != g->path + 6) return (int)pid;
  }
  return -EBADF;
}

/* group_send_sig_info to one task: check_kill_permission, then queue */
static long send_to(struct kernel *k, struct task *t, int sig, const uint8_t *info, int code, bool thread) {
  if (sig < 0 || sig > 64) return -EINVAL;
  if (!signal_may_kill(k, task_ctx_of(k, t), sig)) return -EPERM;
  if (!sig) return 0;
  if (info) signal_queue_info(k, t, sig, info, thread);
  else if (thread) signal_send_thread(k, t, sig, code, 0);
  else signal_send(k, t, sig, code, 0);
  return 0;
}

/* pidfd_send_signal(2), in Linux's order: flags, the descriptor, the
 * siginfo (its signal must be sig; a code of the kernel's or kill's only
 * to the caller's own process), then the target (ESRCH once reaped; a
 * zombie takes signal 0 and drops others), then kill's checks */
static long sys_pidfd_send_signal(struct kernel *k, int fd, int sig, uint64_t uinfo, uint64_t flags) {
  if (flags & ~(uint64_t)(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP))
    return -EINVAL;
  if (__builtin_popcountll(flags) > 1) return -EINVAL;
  bool thread;
  uint64_t serial;
  int pid = signal_target(k, fd, &thread, &serial);
  if (pid < 0) return pid;
  /* the scope: PIDTYPE_PID (one thread), _TGID, or _PGID */
  enum { SCOPE_PID, SCOPE_TGID, SCOPE_PGID } scope = thread ? SCOPE_PID : SCOPE_TGID;
  if (flags == PIDFD_SIGNAL_THREAD) scope = SCOPE_PID;
  if (flags == PIDFD_SIGNAL_THREAD_GROUP) scope = SCOPE_TGID;
  if (flags == PIDFD_SIGNAL_PROCESS_GROUP) scope = SCOPE_PGID;
  uint8_t info[128];
  if (uinfo) {
    if (copy_from_user(k, info, uinfo, sizeof info)) return -EFAULT;
    int32_t signo, code;
    memcpy(&signo, info, 4);
    memcpy(&code, info + 8, 4);
    if (signo != sig) return -EINVAL;
    if ((pid != k->pid || scope == SCOPE_PGID) && (code >= 0 || code == SI_TKILL_)) return -EPERM;
  }
  int code = scope == SCOPE_PID ? SI_TKILL_ : SI_USER_;   /* prepare_kill_siginfo */
  if (pid_reused(k, pid, serial)) return -ESRCH;          /* its struct pid has no task */
  if (scope != SCOPE_PGID) {
    struct task *t = scope == SCOPE_PID ? task_find_tid(k, pid) : task_find(k, pid);
    if (!t) return -ESRCH;
    return send_to(k, t, sig, uinfo ? info : NULL, code, scope == SCOPE_PID);
  }
  /* __kill_pgrp_info: every member of the group the pid leads; 0 if one
   * took it, else the last error (ESRCH for an empty group) */
  long ret = -ESRCH;
  bool ok = false;
  for (struct task *t = k->tasks; t; t = t->next) {
    const struct task_ctx *c = task_ctx_of(k, t);
    if (c->tg->pgid != pid || c->tid != c->pid) continue;
    ret = send_to(k, t, sig, uinfo ? info : NULL, code, false);
    ok |= ret == 0;
  }
  return ok ? 0 : ret;
}

/* pidfd_getfd(2): a copy of another process's descriptor (the same open
 * file, O_PATH ones too), close-on-exec, at the lowest free number; the
 * caller must be allowed to ptrace it (ptrace_may_access
 * ATTACH_REALCREDS) */
static long sys_pidfd_getfd(struct kernel *k, int pidfd, int targetfd, uint64_t flags) {
  if (flags) return -EINVAL;
  struct gfd *g = gfd_get(k, pidfd);
  if (!g || g->kind != FDK_PIDFD) return -EBADF;
  struct task *t = pidfd_task(k, g);
  if (!t) return -ESRCH;
  if (!ptrace_may_access(k, t, false)) return -EPERM;
  struct files *files = t == k->cur ? k->files : t->tc.files;
  if (!files) return -ESRCH;       /* exiting: its table is gone (__pidfd_fget) */
  if (targetfd < 0 || targetfd >= files->cap) return -EBADF;
  const struct gfd *src = &files->fds[targetfd];
  if (src->kind == FDK_NONE) return -EBADF;
  int nfd = gfd_lowest_free(k, 0);
  if (nfd < 0) return nfd;
  return gfd_copy_to(k, src, nfd, true);
}

/* pidfd_open(2): flags PIDFD_NONBLOCK and PIDFD_THREAD (the model's
 * processes are single-threaded, so a thread's pid is its process's) */
static long sys_pidfd_open(struct kernel *k, int pid, uint64_t flags) {
  if (flags & ~(uint64_t)(O_NONBLOCK | PIDFD_THREAD_)) return -EINVAL;
  if (pid <= 0) return -EINVAL;
  if (k->tc.ns && !(pid = pid_from_vnr(k, pid))) return -ESRCH;   /* find_get_pid */
  struct task *t = task_find(k, pid);
  if (!t) return -ESRCH;
  return pidfd_install(k, t, (int)flags, -1);
}

long sys_pidfd(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_pidfd_open: return sys_pidfd_open(k, (int)a[0], (uint32_t)a[1]);
  case SYS_pidfd_send_signal: return sys_pidfd_send_signal(k, (int)a[0], (int)a[1], a[2], (uint32_t)a[3]);
  case SYS_pidfd_getfd: return sys_pidfd_getfd(k, (int)a[0], (int)a[1], (uint32_t)a[2]);
  }
  *handled = false;
  return -ENOSYS;
}
