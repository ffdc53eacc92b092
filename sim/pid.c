/* Pid allocation (kernel/pid.c alloc_pid): the cursor that
 * kernel.ns_last_pid reads and sets (procfs_sys.c), pid_max, and clone3's
 * set_tid (CONFIG_CHECKPOINT_RESTORE); the limits a new task meets
 * (kernel.threads-max, RLIMIT_NPROC).  The model has one pid namespace. */
#include "sim/kernel.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* the lowest free pid from the cursor up to
 * kernel.pid_max, then again from RESERVED_PIDS (300) once pids have
 * wrapped (idr_alloc_cyclic); -EAGAIN when every one is in use.  A pid
 * is in use while a task (a zombie too) has it as its pid, process group
 * or session, and for the guest's parent outside the model and init
 * (pid 1, initproc.c).  want > 0:
 * clone3's set_tid, that pid or none (idr_alloc: -EEXIST when in use;
 * the cursor stays). */
#define RESERVED_PIDS 300
static int alloc_nr(struct kernel *k, int want) {
  int n = 2, cap = 16;
  int *used = malloc((size_t)cap * sizeof *used);
  if (!used) return -ENOMEM;
  used[0] = OUTSIDE_PID;
  used[1] = INIT_PID;
  for (struct task *t = k->tasks; t; t = t->next) {
    const struct task_ctx *c = task_ctx_of(k, t);
    if (n + 4 > cap) {
      int *nu = realloc(used, (size_t)(cap *= 2) * sizeof *nu);
      if (!nu) { free(used); return -ENOMEM; }
      used = nu;
    }
    used[n++] = c->pid;
    used[n++] = c->tid;
    used[n++] = c->tg->pgid;
    used[n++] = c->tg->sid;
  }
  qsort(used, (size_t)n, sizeof *used, cmp_int);
  if (want > 0) {
    bool taken = bsearch(&want, used, (size_t)n, sizeof *used, cmp_int) != NULL;
    free(used);
    return taken ? -EEXIST : want;
  }
  int max = k->sysctl.pid_max, lo = k->next_pid > RESERVED_PIDS ? RESERVED_PIDS : 1;
  int pid = -EAGAIN;
  for (int pass = 0; pass < 2 && pid < 0; pass++) {
    int cand = pass ? lo : (k->next_pid < lo ? lo : k->next_pid), i = 0;
    if (pass && k->next_pid <= lo) break;    /* the first pass covered it all */
    for (; cand < max; cand++) {
      while (i < n && used[i] < cand) i++;
      if (i == n || used[i] != cand) { pid = cand; break; }
    }
  }
  free(used);
  if (pid > 0) k->next_pid = pid + 1;
  return pid;
}

/* alloc_pid: a new pid, or clone3's set_tid, which has one entry per
 * pid namespace level, at most the model's one (EINVAL); that pid must be
 * below pid_max (EINVAL), asked for with checkpoint_restore_ns_capable
 * (EPERM), and free (EEXIST) */
int alloc_pid(struct kernel *k, const int32_t *set_tid, uint64_t set_tid_size) {
  if (!set_tid_size) return alloc_nr(k, 0);
  if (set_tid_size > 1) return -EINVAL;
  int want = set_tid[0];
  if (want < 1 || want >= k->sysctl.pid_max) return -EINVAL;
  if (!capable(k, CAP_SYS_ADMIN_) && !capable(k, 40 /* CAP_CHECKPOINT_RESTORE */)) return -EPERM;
  return alloc_nr(k, want);
}

/* copy_process's limits on a new task; true: EAGAIN (said once) */
bool clone_over_limits(struct kernel *k, bool thread) {
  /* copy_process: nr_threads at kernel.threads-max (--max-procs) fails for
   * every user; RLIMIT_NPROC counts the real user's tasks and binds all
   * but root and holders of CAP_SYS_RESOURCE or CAP_SYS_ADMIN
   * (is_rlimit_overlimit).  Zombies count until they are reaped. */
  int all = 0, mine = 0;
  for (struct task *o = k->tasks; o; o = o->next) {
    if (o->gone) continue;
    all++;
    mine += task_ctx_of(k, o)->ruid == k->ruid;
  }
  bool over_nproc = (uint64_t)mine >= k->tg->rlim[RLIMIT_NPROC].cur && k->ruid != 0 &&
                    !capable(k, CAP_SYS_RESOURCE_) && !capable(k, CAP_SYS_ADMIN_);
  if (all >= k->sysctl.threads_max || over_nproc) {
    static bool said;
    if (!k->quiet && !said) {
      said = true;
      fprintf(stderr, "faultline: guest %s failed with EAGAIN: %d tasks (%s %d); said once\n",
              thread ? "clone of a thread" : "fork", all, over_nproc ? "RLIMIT_NPROC" : "--max-procs",
              over_nproc ? (int)k->tg->rlim[RLIMIT_NPROC].cur : k->sysctl.threads_max);
    }
    return true;
  }
  return false;
}
