/* The guest's pid 1: init, as every Linux system has one.  The guest's
 * first process is not pid 1 (it is FIRST_PID, as a program started in a
 * shell or container is not its namespace's init), so pid 1 is modelled
 * as a process of its own that the calls which look at another process
 * find: kill and pidfd_send_signal (EPERM without CAP_KILL: it is root's),
 * pidfd_open, /proc/1 (stat, status, comm, cmdline; the files that need
 * ptrace access refuse the unprivileged), get_robust_list, getpgid,
 * getsid, prlimit, capget, kcmp.  It is never scheduled: it sleeps (state
 * S) for the whole run, has no address space the guest can see (the
 * /proc files of its memory are empty, as a process's without an mm) and
 * no descriptors, and is no one's child (its parent is 0, as Linux's
 * init's, and wait never sees it).  Orphans are reparented to it
 * (task_exit.c reparent_children: getppid() is 1), as on Linux without a
 * subreaper (forget_original_parent, find_new_reaper).
 *
 * It takes no signal: Linux's init is SIGNAL_UNKILLABLE and a signal
 * whose handler is SIG_DFL is ignored (sig_task_ignored), SIGKILL and
 * SIGSTOP too from inside its namespace; the model's init installs no
 * handlers, so every signal sent to it is dropped after kill's permission
 * check (signal.c).  Its task is outside the task list: nothing iterates
 * over it (the scheduler, wait, kill(-1), which skips init on Linux too),
 * it only answers when looked up by pid (task_find, task_find_tid). */
#include "sim/kernel.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INIT_SERIAL (~0ull)    /* never a task serial of next_kobj_id's */
#define CAP_FULL ((1ull << 41) - 1)   /* every capability to CAP_LAST_CAP (40) */

int init_task_new(struct kernel *k) {
  struct task *t = calloc(1, sizeof *t);
  struct tgroup *g = calloc(1, sizeof *g);
  struct fs_struct *fs = calloc(1, sizeof *fs);
  static const char cmd[] = "/sbin/init";
  char *cl = malloc(sizeof cmd);
  if (!t || !g || !fs || !cl) { free(t); free(g); free(fs); free(cl); return -ENOMEM; }
  memcpy(cl, cmd, sizeof cmd);              /* one argument and its NUL */
  fs->refs = 1;
  fs->id = INIT_SERIAL;
  snprintf(fs->cwd, sizeof fs->cwd, "/");
  fs->umask = 022;
  g->refs = g->live = 1;
  g->id = INIT_SERIAL;
  g->fs = fs;
  g->pgid = g->sid = INIT_PID;              /* its own session, as init's setsid gives */
  g->leader = true;
  g->ppid = 0;                              /* no parent in the namespace */
  snprintf(g->exe_path, sizeof g->exe_path, "%s", cmd);
  g->cmdline = cl;
  g->cmdline_len = sizeof cmd;
  struct task_ctx *c = &t->tc;
  c->tg = g;
  c->pid = c->tid = INIT_PID;
  rlimits_init(c);                          /* the default limits, as the first task's */
  snprintf(c->comm, sizeof c->comm, "init");
  c->cap_eff = c->cap_prm = c->cap_bnd = CAP_FULL;   /* root's full set */
  t->state = TS_BLOCKED;
  t->block = BLK_PAUSE;                     /* asleep for good: state S */
  t->serial = INIT_SERIAL;
  t->exit_efd = -1;
  t->on_cpu = -1;
  k->init = t;
  return 0;
}

void init_task_free(struct kernel *k) {
  struct task *t = k->init;
  if (!t) return;
  pidfd_task_gone(t);
  tgroup_put(t->tc.tg);
  free(t);
  k->init = NULL;
}
