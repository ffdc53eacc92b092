/* execve and execveat (exec.c): the new image in a new address space,
 * close-on-exec, handlers reset; from a thread, the other threads end
 * first (de_thread). */
#include "sim/kernel.h"
#include "sim/record.h"
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- execve ---- */
#define MAX_ARGS 4096
static int copy_strv(struct kernel *k, uint64_t uv, char ***out, size_t *total) {
  char **v = calloc(MAX_ARGS + 1, sizeof *v);
  int n = 0;
  for (; uv && n < MAX_ARGS; n++) {
    uint64_t p;
    if (copy_from_user(k, &p, uv + 8 * (uint64_t)n, 8)) goto efault;
    if (!p) break;
    char *s = malloc(131072);
    long l = strncpy_from_user(k, s, p, 131072);
    if (l < 0) { free(s); goto efault; }
    *total += (size_t)l + 1;
    if (*total > (2u << 20)) { free(s); for (int i = 0; i < n; i++) free(v[i]); free(v); return -E2BIG; }
    v[n] = realloc(s, (size_t)l + 1);
  }
  if (n >= MAX_ARGS) { for (int i = 0; i < n; i++) free(v[i]); free(v); return -E2BIG; }
  *out = v;
  return 0;
efault:
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
  return -EFAULT;
}

static long do_execve(struct kernel *k, const char *path, uint64_t uargv, uint64_t uenvp);

long sys_execve(struct kernel *k, uint64_t upath, uint64_t uargv, uint64_t uenvp) {
  char path[4096];
  long l = strncpy_from_user(k, path, upath, sizeof path);
  if (l < 0) return l;
  if (!l) return -ENOENT;
  return do_execve(k, path, uargv, uenvp);
}

/* execveat (fexecve): a path relative to dirfd, or dirfd's own file with
 * AT_EMPTY_PATH, named through /proc/self/fd as Linux's own fallback
 * names it (the loader resolves that link to the open file) */
long sys_execveat(struct kernel *k, int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp, int flags) {
  char path[4096], full[4200];
  long l = strncpy_from_user(k, path, upath, sizeof path);
  if (l < 0) return l;
  if (!l && !(flags & 0x1000)) return -ENOENT;     /* getname before the flags */
  if (flags & ~(0x1000 /* AT_EMPTY_PATH */ | 0x100 /* AT_SYMLINK_NOFOLLOW */)) return -EINVAL;
  if (path[0] == '/' || dirfd == AT_FDCWD) return l ? do_execve(k, path, uargv, uenvp) : -ENOENT;
  if (!gfd_get(k, dirfd)) return -EBADF;
  if (l) snprintf(full, sizeof full, "/proc/self/fd/%d/%s", dirfd, path);
  else snprintf(full, sizeof full, "/proc/self/fd/%d", dirfd);
  return do_execve(k, full, uargv, uenvp);
}

/* de_thread: an exec in a multi-threaded process ends every other thread
 * at once (each releases its robust futexes and clear_child_tid, in the
 * address space they all share); a thread other than the leader takes
 * the leader's place and its id, so the process keeps its pid. */
static void de_thread(struct kernel *k) {
  struct tgroup *g = k->tg;
  struct task *me = k->cur, *L = NULL;
  if (g->live == 1 && k->tid == k->pid) return;
  for (struct task **pp = &k->tasks; *pp;) {
    struct task *u = *pp;
    if (u == me || u->tc.tg != g) { pp = &u->next; continue; }
    if (u->state != TS_ZOMBIE) {
      thread_release_user(k, &u->tc);
      mm_put(k, u->tc.mm);
      files_put(u->tc.files);
      u->tc.mm = NULL;
      u->tc.files = NULL;
      g->live--;
      g->dead_insns += u->tc.cpu_insns;
      g->dead_minflt += u->tc.minflt;
      g->dead_majflt += u->tc.majflt;
      u->state = TS_ZOMBIE;
      rec_put(k, FLTR_K_EXIT, (uint64_t)u->tc.tid, (uint64_t)(int64_t)(SIGKILL & 0x7f), 0, 0);
    }
    if (u->tc.tid == u->tc.pid) { L = u; pp = &u->next; continue; }
    *pp = u->next;
    pidfd_task_gone(u);
    tgroup_put(g);
    free(u);
  }
  if (!L) return;
  /* the survivor moves into the leader's task (its place in the lists,
   * its pidfds' exit notification) */
  struct task *next = L->next;
  int efd = L->exit_efd;
  pidfd_task_gone(me);
  *L = *me;
  L->next = next;
  L->exit_efd = efd;
  L->gone = false;
  for (struct task **pp = &k->tasks; *pp; pp = &(*pp)->next)
    if (*pp == me) { *pp = me->next; break; }
  tgroup_put(g);
  free(me);
  k->cur = L;
  k->tid = k->pid;
}

static long do_execve(struct kernel *k, const char *path, uint64_t uargv, uint64_t uenvp) {
  char **argv = NULL, **envp = NULL;
  size_t total = 0;
  int r = copy_strv(k, uargv, &argv, &total);
  if (r) return r;
  r = copy_strv(k, uenvp, &envp, &total);
  if (r) { for (int i = 0; argv[i]; i++) free(argv[i]); free(argv); return r; }
  if (!argv[0]) { argv[0] = strdup(path); }
  struct mm *old = k->mm, *nm = mm_new(k);
  long ret = -ENOMEM;
  if (!nm) goto out;
  nm->dump_filter = old->dump_filter;   /* mm_init: the coredump filter is inherited */
  k->mm = nm;
  mm_switch_user(k);
  char err[512];
  struct cpu_regs saved;
  cpu_save_regs(k->cpu, &saved);
  k->exec_fatal = false;
  int le = load_program(k, path, argv, envp, err, sizeof err);
  if (le) {
    /* back to the old image: the guest sees the error */
    k->mm = old;
    mm_switch_user(k);
    mm_put(k, nm);
    cpu_load_regs(k->cpu, &saved);
    ret = le;
    if (k->exec_fatal) {
      /* past the point of no return (a segment the overcommit heuristic
       * refused): load_elf_binary's force_fatal_sig(SIGSEGV) */
      k->exec_fatal = false;
      k->killed_by = SIGSEGV;
      k->exited = true;
      ret = 0;
    }
    goto out;
  }
  if (k->tg->live > 1 || k->tid != k->pid) {
    /* past the point of no return: the other threads end (in the old
     * address space, where their futexes are) */
    k->mm = old;
    mm_switch_user(k);
    de_thread(k);
    k->mm = nm;
    mm_switch_user(k);
  }
  mm_exit_mmap(k, old);                 /* exec_mmap's mmput of the old image (exit_mmap) */
  mm_put(k, old);
  if (k->rec) recorder_put_bytes(k->rec, FLTR_K_EXEC, nm->id, path, (uint32_t)strlen(path));
  /* the new image: registers cleared, close-on-exec, handlers reset */
  struct vcpu *c = k->cpu;
  uint64_t sp = c->r[RSP], ip = c->rip;
  memset(c->r, 0, sizeof c->r);
  c->r[RSP] = sp;
  c->rip = ip;
  cpu_set_rflags(c, 0x202);
  c->fs_base = c->segbase[4] = 0;
  c->gs_base = c->segbase[5] = 0;
  cpu_fpu_reset(c);
  memset(c->xmm, 0, sizeof c->xmm);
  c->mxcsr = 0x1f80;
  if (k->files->refs > 1) {   /* unshare the table a vfork child borrowed */
    struct files *f = files_copy(k, k->files);
    files_put(k->files);
    k->files = f;
    k->fds = f->fds;
  }
  for (int i = 0; i < k->files->cap; i++)
    if (k->fds[i].kind != FDK_NONE && k->fds[i].cloexec) gfd_release(&k->fds[i]);
  for (int s = 1; s <= 64; s++) {
    if (k->tg->sig_handlers[s] != (uint64_t)(uintptr_t)SIG_IGN) k->tg->sig_handlers[s] = 0;
    k->tg->sig_flags[s] = 0;
  }
  k->altstack_sp = k->altstack_size = 0;
  k->altstack_flags = SS_DISABLE;
  /* begin_new_exec: dumpable again unless the effective ids differ from
   * the real ones (then fs.suid_dumpable, 0) */
  k->undumpable = k->euid != k->ruid || k->egid != k->rgid;
  k->forknoexec = false;
  ret = 0;
out:
  for (int i = 0; argv[i]; i++) free(argv[i]);
  free(argv);
  for (int i = 0; envp[i]; i++) free(envp[i]);
  free(envp);
  return ret;
}

