/* Directory notification (fcntl F_NOTIFY, Linux's dnotify; F_SETOWN and
 * F_SETSIG, which it uses): a descriptor of a directory asks for a signal
 * when the guest creates, deletes, renames or modifies entries of that
 * directory.  The changes are the guest's own (the model sees every
 * file-system call), so the signal is queued as Linux's fsnotify would,
 * before the call returns.  Nothing costs anything until a program asks
 * (k->dnotify_armed). */
#include "sim/kernel.h"
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DN_MASK_ALL (DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME | DN_ATTRIB)

long dnotify_fcntl(struct kernel *k, struct gfd *g, int cmd, uint64_t arg) {
  switch (cmd) {
  case F_GETOWN: return g->owner;
  case F_SETOWN: g->owner = (int)arg; return 0;
  case F_GETOWN_EX: {                /* what glibc's F_GETOWN asks */
    struct { int type, pid; } ex = {g->owner < 0 ? F_OWNER_PGRP : F_OWNER_PID, g->owner < 0 ? -g->owner : g->owner};
    return copy_to_user(k, arg, &ex, sizeof ex) ? -EFAULT : 0;
  }
  case F_SETOWN_EX: {
    struct { int type, pid; } ex;
    if (copy_from_user(k, &ex, arg, sizeof ex)) return -EFAULT;
    if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP) return -EINVAL;
    if (ex.pid && !task_find(k, ex.pid) && ex.pid != k->pid) return -ESRCH;
    g->owner = ex.type == F_OWNER_PGRP ? -ex.pid : ex.pid;
    return 0;
  }
  case F_GETSIG: return g->sig;
  case F_SETSIG:
    if (arg > 64) return -EINVAL;
    g->sig = (int)arg;
    return 0;
  case F_NOTIFY: {
    /* fcntl_dirnotify: a directory only; arg 0 removes the watch; the
     * owner becomes the caller */
    uint32_t mask = (uint32_t)arg;
    struct stat st;
    if (g->kind != FDK_HOST || g->hostfd < 0 || fstat(g->hostfd, &st)) return -ENOTDIR;
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    if (!(mask & DN_MASK_ALL)) { g->dn_mask = 0; return 0; }
    g->dn_mask = mask & (DN_MASK_ALL | DN_MULTISHOT);
    g->dn_dev = (uint64_t)st.st_dev;
    g->dn_ino = (uint64_t)st.st_ino;
    if (!g->owner) g->owner = k->pid;
    k->dnotify_armed = true;
    return 0;
  }
  default: return -EINVAL;
  }
}

/* an event in the directory (dev, ino): every watch on it that asked for
 * it queues its signal to its owner; a one-shot watch is then spent */
static void dnotify_dir(struct kernel *k, uint64_t dev, uint64_t ino, uint32_t ev) {
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (t->state == TS_ZOMBIE || !c->fds) continue;
    for (int i = 0; i < fds_cap(c->files); i++) {
      struct gfd *g = &c->fds[i];
      if (g->kind == FDK_NONE || !(g->dn_mask & ev) || g->dn_dev != dev || g->dn_ino != ino) continue;
      struct task *owner = task_find(k, g->owner > 0 ? g->owner : c->pid);
      if (owner && owner->state != TS_ZOMBIE) signal_send(k, owner, g->sig ? g->sig : SIGIO, 0x80 /* SI_KERNEL */, 0);
      if (!(g->dn_mask & DN_MULTISHOT)) g->dn_mask = 0;
    }
  }
}

void dnotify_parent(struct kernel *k, int parent_fd, uint32_t ev) {
  struct stat st;
  if (!k->dnotify_armed || fstat(parent_fd, &st)) return;
  dnotify_dir(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino, ev);
}

/* the directory holding the open file hostfd (its host path's parent) */
void dnotify_file(struct kernel *k, int hostfd, uint32_t ev) {
  if (!k->dnotify_armed || hostfd < 0) return;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", hostfd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = 0;
  char *slash = strrchr(path, '/');
  if (!slash) return;
  if (slash == path) slash[1] = 0;
  else *slash = 0;
  struct stat st;
  if (stat(path, &st)) return;
  dnotify_dir(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino, ev);
}
