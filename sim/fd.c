/* The guest's file descriptor table.  Guest fd numbers are the model's
 * (lowest free, as Linux allocates them); each open guest fd owns a
 * private host descriptor (O_CLOEXEC, any number), so a guest closing
 * fd 1 never closes faultline's own stdout. */
#include "sim/fs_priv.h"
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Host numbers for the guest's stdio: far from the low numbers faultline
 * itself uses for its log, stats and trace files. */
#define STDIO_HOST_MIN 100

struct gfd *gfd_get(struct kernel *k, int fd) {
  if (fd < 0 || fd >= fds_cap(k->files) || !k->fds || k->fds[fd].kind == FDK_NONE) return NULL;
  return &k->fds[fd];
}

/* RLIMIT_NOFILE: a descriptor must be below it (alloc_fd's `end`) */
static int fd_limit(struct kernel *k) {
  uint64_t l = k->tg->rlim[RLIMIT_NOFILE].cur;
  return l < MAX_FDS ? (int)l : MAX_FDS;
}

int files_grow(struct kernel *k, int fd) {
  struct files *f = k->files;
  if (!f || fd < 0 || fd >= MAX_FDS) return -EMFILE;
  if (fd < f->cap) return 0;
  int cap = f->cap ? f->cap : FDS_INITIAL;
  while (cap <= fd) cap *= 2;
  if (cap > MAX_FDS) cap = MAX_FDS;
  struct gfd *n = realloc(f->fds, (size_t)cap * sizeof *n);
  if (!n) return -EMFILE;
  for (int i = f->cap; i < cap; i++) {
    memset(&n[i], 0, sizeof n[i]);
    n[i].kind = FDK_NONE;
    n[i].hostfd = -1;
  }
  f->fds = n;
  f->cap = cap;
  /* every task sharing the table (CLONE_FILES, a vfork child) sees it */
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (c->files == f) c->fds = n;
  }
  if (k->files == f) k->fds = n;
  return 0;
}

/* The type and identity of the host file behind g, and whether its file
 * system writes back (not tmpfs or a memfd), looked up once: every write
 * and read of a regular file needs them */
struct gfd *gfd_file(struct gfd *g) {
  if (g->ftype || g->hostfd < 0) return g;
  struct stat st;
  if (fstat(g->hostfd, &st)) return g;
  g->ftype = S_ISREG(st.st_mode) ? GFD_REG : S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ? GFD_STREAM : GFD_OTHER;
  g->dev = (uint64_t)st.st_dev;
  g->ino = (uint64_t)st.st_ino;
  struct statfs sf;
  g->writeback = g->ftype == GFD_REG && !fstatfs(g->hostfd, &sf) && sf.f_type != TMPFS_MAGIC;
  return g;
}

int gfd_lowest_free(struct kernel *k, int minfd) {
  if (minfd < 0) minfd = 0;
  if (!k->fds) return -EMFILE;
  int lim = fd_limit(k), cap = fds_cap(k->files);
  for (int i = minfd; i < cap && i < lim; i++)
    if (k->fds[i].kind == FDK_NONE) return i;
  int i = minfd > cap ? minfd : cap;      /* past the table: it grows */
  if (i >= lim || files_grow(k, i)) return -EMFILE;
  return i;
}

void gfd_release(struct gfd *g) {
  if (g->kind == FDK_NONE) return;
  if (g->kind == FDK_UFFD) uffd_put(g->uffd);
  if (g->kind == FDK_PTY) pty_put(g);
  if (g->hostfd >= 0) close(g->hostfd);
  free(g->procbuf);
  memset(g, 0, sizeof *g);
  g->kind = FDK_NONE;
  g->hostfd = -1;
}

static void gfd_fill(struct gfd *g, enum fd_kind kind, int hostfd, int flags, bool cloexec,
                     const char *path) {
  memset(g, 0, sizeof *g);
  g->kind = kind;
  g->hostfd = hostfd;
  g->flags = flags & ~O_CLOEXEC;
  g->cloexec = cloexec;
  /* a path that does not fit is left empty: /proc/self/fd readlink then
   * asks the host for the descriptor's path */
  if (path && strlen(path) < sizeof g->path) strcpy(g->path, path);
}

int gfd_install_at(struct kernel *k, int fd, enum fd_kind kind, int hostfd, int flags,
                   bool cloexec, const char *path) {
  if (fd < 0 || fd >= MAX_FDS || !k->fds || files_grow(k, fd)) {
    if (hostfd >= 0) close(hostfd);
    return -EBADF;
  }
  gfd_release(&k->fds[fd]);
  gfd_fill(&k->fds[fd], kind, hostfd, flags, cloexec, path);
  k->fds[fd].ofd = ++k->next_kobj_id;     /* a new open file description */
  return fd;
}

int gfd_install(struct kernel *k, int minfd, enum fd_kind kind, int hostfd, int flags,
                bool cloexec, const char *path) {
  int fd = gfd_lowest_free(k, minfd);
  if (fd < 0) {
    if (hostfd >= 0) close(hostfd);
    return fd;
  }
  return gfd_install_at(k, fd, kind, hostfd, flags, cloexec, path);
}

int gfd_close(struct kernel *k, int fd) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  gfd_release(g);
  return 0;
}

int gfd_copy_to(struct kernel *k, const struct gfd *o, int nfd, bool cloexec) {
  int h = -1;
  if (o->hostfd >= 0) {
    h = fcntl(o->hostfd, F_DUPFD_CLOEXEC, 3);
    if (h < 0) return -errno;
  }
  char *buf = NULL;
  if (o->kind == FDK_PROC && o->procbuf) {
    /* a private copy: the offset is not shared (pseudo files only) */
    buf = malloc(o->proclen ? o->proclen : 1);
    if (!buf) {
      if (h >= 0) close(h);
      return -ENOMEM;
    }
    memcpy(buf, o->procbuf, o->proclen);
  }
  struct gfd copy = *o;
  if (o->kind == FDK_UFFD) uffd_get(o->uffd);
  if (o->kind == FDK_PTY) pty_get(&copy);
  gfd_release(&k->fds[nfd]);   /* dup2 onto an open fd closes it silently */
  struct gfd *n = &k->fds[nfd];
  *n = copy;
  n->hostfd = h;
  n->cloexec = cloexec;
  if (o->kind == FDK_PROC) {
    n->procbuf = buf;
  } else {
    /* a host directory's sorted snapshot (sys_fs.c getdents) is per fd */
    n->procbuf = NULL;
    n->proclen = n->procpos = 0;
  }
  return nfd;
}

/* SCM_RIGHTS passes the sender's struct file (scm_detach_fds): the
 * received host descriptor is the same host open file as the sender's,
 * so the guest descriptor that holds it (any process's, the sender's
 * copy if it is still open) names the open file; the host kernel tells
 * (kcmp KCMP_FILE on faultline itself).  Without one (the sender closed
 * its copy) the new id from the install stands: no other descriptor
 * holds that open file. */
void gfd_adopt_ofd(struct kernel *k, int fd) {
  struct gfd *n = gfd_get(k, fd);
  struct stat want, st;
  if (!n || n->hostfd < 0 || fstat(n->hostfd, &want)) return;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct files *f = t == k->cur ? k->files : t->tc.files;
    if (!f || t->state == TS_ZOMBIE) continue;
    for (int i = 0; i < f->cap; i++) {
      const struct gfd *g = &f->fds[i];
      if (g == n || g->hostfd < 0 || g->kind == FDK_NONE || fstat(g->hostfd, &st) ||
          st.st_dev != want.st_dev || st.st_ino != want.st_ino)
        continue;
      if (syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, n->hostfd, g->hostfd) == 0) {
        n->ofd = g->ofd;
        return;
      }
    }
  }
}

int gfd_dup(struct kernel *k, int oldfd, int newfd, bool exact, bool cloexec) {
  struct gfd *o = gfd_get(k, oldfd);
  if (!o) return -EBADF;
  if (newfd < 0 || newfd >= fd_limit(k)) return exact ? -EBADF : -EINVAL;   /* dup2/F_DUPFD: RLIMIT_NOFILE */
  int nfd = exact ? newfd : gfd_lowest_free(k, newfd);
  if (nfd < 0) return nfd;
  if (files_grow(k, nfd)) return -EMFILE;
  o = gfd_get(k, oldfd);             /* (the table may have moved) */
  return gfd_copy_to(k, o, nfd, cloexec);
}

void fds_init(struct kernel *k) {
  if (!k->files) {            /* task_init_first normally made the table */
    k->files = calloc(1, sizeof *k->files);
    if (!k->files) return;
    k->files->refs = 1;
  }
  if (files_grow(k, FDS_INITIAL - 1)) return;
  k->fds = k->files->fds;
  for (int i = 0; i < k->files->cap; i++) {
    memset(&k->fds[i], 0, sizeof k->fds[i]);
    k->fds[i].kind = FDK_NONE;
    k->fds[i].hostfd = -1;
  }
  for (int i = 0; i < 3; i++) {
    int h = fcntl(i, F_DUPFD_CLOEXEC, STDIO_HOST_MIN);
    if (h < 0) continue;               /* faultline started with fd i closed */
    int fl = fcntl(h, F_GETFL);
    if (fl < 0) fl = i == 0 ? O_RDONLY : O_WRONLY;
    gfd_fill(&k->fds[i], FDK_HOST, h, fl, false, NULL);
    k->fds[i].ofd = ++k->next_kobj_id;
  }
  fs_io_init();      /* (also links sys_fs.o ahead of any weak placeholder) */
  fs_umask_init(k);
}

/* Close every guest fd and free pseudo-file buffers (end of a run). */
void fds_fini(struct kernel *k) {
  if (!k->fds) return;
  for (int i = 0; i < fds_cap(k->files); i++) gfd_release(&k->fds[i]);
}

/* Is the file open for writing in some guest process (deny_write_access:
 * exec of it is ETXTBSY)?  Host descriptors open for writing are compared
 * by device and inode. */
bool fds_file_open_for_write(struct kernel *k, uint64_t dev, uint64_t ino) { return fds_file_open(k, dev, ino, true); }

bool fds_file_open(struct kernel *k, uint64_t dev, uint64_t ino, bool for_write) {
  for (struct task *t = k->tasks; t; t = t->next) {
    struct files *f = t == k->cur ? k->files : t->tc.files;
    if (!f || t->state == TS_ZOMBIE) continue;
    for (int i = 0; i < f->cap; i++) {
      const struct gfd *g = &f->fds[i];
      struct stat st;
      if (g->kind != FDK_HOST || g->hostfd < 0 || (for_write && ((g->flags & O_PATH) ||
          (g->flags & O_ACCMODE) == O_RDONLY)))
        continue;
      if (!fstat(g->hostfd, &st) && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino) return true;
    }
  }
  return false;
}

/* Is hostfd, which the blocked task t waits on, one end of a pipe the
 * guest made?  Only guest processes hold its ends, so while they all wait
 * nothing from outside can make it ready. */
bool fds_guest_pipe(struct kernel *k, struct task *t, int hostfd) {
  struct files *f = t == k->cur ? k->files : t->tc.files;
  if (!f) return false;
  for (int i = 0; i < f->cap; i++)
    if (f->fds[i].hostfd == hostfd)
      return f->fds[i].kind == FDK_PIPE_R || f->fds[i].kind == FDK_PIPE_W || f->fds[i].kind == FDK_UFFD;
  return pty_host_fd(k, hostfd);   /* a pseudo-terminal's wake-up: only guest processes write to it */
}

/* ---- descriptor tables (struct files): new, fork's copy, put ---- */
struct files *files_new(struct kernel *k, int cap) {
  struct files *f = calloc(1, sizeof *f);
  f->refs = 1;
  f->id = ++k->next_kobj_id;
  f->cap = cap;
  f->fds = calloc((size_t)cap, sizeof *f->fds);
  for (int i = 0; i < cap; i++) f->fds[i].hostfd = -1;
  return f;
}

/* fork's copy of the descriptor table: host dups share the open file
 * description, as the guest's fork does. */
struct files *files_copy(struct kernel *k, const struct files *src) {
  struct files *f = files_new(k, src->cap);
  for (int i = 0; i < src->cap; i++) {
    const struct gfd *g = &src->fds[i];
    if (g->kind == FDK_NONE) continue;
    f->fds[i] = *g;
    if (g->kind == FDK_UFFD) uffd_get(g->uffd);
    if (g->kind == FDK_PTY) pty_get(&f->fds[i]);
    f->fds[i].procbuf = NULL;
    if (g->procbuf) {
      f->fds[i].procbuf = malloc(g->proclen + 1);
      memcpy(f->fds[i].procbuf, g->procbuf, g->proclen);
    }
    if (g->hostfd >= 0) f->fds[i].hostfd = fcntl(g->hostfd, F_DUPFD_CLOEXEC, 10);
  }
  return f;
}

void files_put(struct files *f) {
  if (!f || --f->refs) return;
  for (int i = 0; i < f->cap; i++) gfd_release(&f->fds[i]);
  free(f->fds);
  free(f);
}
