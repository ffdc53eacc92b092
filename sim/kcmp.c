/* kcmp(2) (kernel/kcmp.c, CONFIG_CHECKPOINT_RESTORE): do two tasks share
 * a kernel object?  Linux compares the objects' addresses, obfuscated by
 * per-type random cookies, and answers 0 (the same object), 1 (the first
 * orders below the second), 2 (above).  The model's objects carry ids
 * that are never reused (mm->id, and the k->next_kobj_id series for
 * descriptor tables, open files, fs_structs, dispositions and semaphore
 * undo lists); it orders by them, so the answer is the same in every
 * run.  An object a task does not have (a zombie's address space, files
 * and fs_struct, an undo list never made, an io_context: the model makes
 * none) is Linux's NULL pointer, id 0. */
#include "sim/kernel.h"
#include <errno.h>

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD };

/* kcmp_ptr: 0 equal, 1 less, 2 greater */
static long order(uint64_t a, uint64_t b) { return (a < b) | ((a > b) << 1); }

/* get_file_raw_ptr: the open file behind descriptor idx of c's table
 * (0: none there, or the task has no table) */
static uint64_t file_of(const struct task_ctx *c, uint64_t idx) {
  const struct files *f = c->files;
  if (!f || idx >= (uint64_t)f->cap || f->fds[idx].kind == FDK_NONE) return 0;
  return f->fds[idx].ofd;
}

long sys_kcmp(struct kernel *k, int pid1, int pid2, int type, uint64_t idx1, uint64_t idx2) {
  /* find_task_by_vpid: any thread, zombies too */
  struct task *t1 = task_find_tid(k, pid_in(k, pid1)), *t2 = task_find_tid(k, pid_in(k, pid2));
  if (!t1 || !t2) return -ESRCH;
  /* PTRACE_MODE_READ_REALCREDS on both */
  if (!ptrace_may_access(k, t1, false) || !ptrace_may_access(k, t2, false)) return -EPERM;
  const struct task_ctx *c1 = task_ctx_of(k, t1), *c2 = task_ctx_of(k, t2);
  bool z1 = t1->state == TS_ZOMBIE, z2 = t2->state == TS_ZOMBIE;
  switch (type) {
  case KCMP_FILE: {
    uint64_t f1 = file_of(c1, idx1), f2 = file_of(c2, idx2);
    return f1 && f2 ? order(f1, f2) : -EBADF;
  }
  case KCMP_VM: return order(c1->mm ? c1->mm->id : 0, c2->mm ? c2->mm->id : 0);
  case KCMP_FILES: return order(c1->files ? c1->files->id : 0, c2->files ? c2->files->id : 0);
  /* exit_fs drops a dead task's fs_struct; its dispositions stay until
   * it is reaped (__exit_signal) */
  case KCMP_FS: return order(z1 ? 0 : c1->tg->fs->id, z2 ? 0 : c2->tg->fs->id);
  case KCMP_SIGHAND: return order(c1->tg->id, c2->tg->id);
  case KCMP_IO: return 0;                  /* no task has an io_context */
  case KCMP_SYSVSEM: return order(c1->semundo, c2->semundo);
  case KCMP_EPOLL_TFD: return -EOPNOTSUPP; /* CONFIG_EPOLL is not set (kconfig.c) */
  default: return -EINVAL;
  }
}
