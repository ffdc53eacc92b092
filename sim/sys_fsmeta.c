/* File-system syscalls, path side: open, unlink, rename, mkdir, mknod,
 * link, symlink, getcwd/chdir/fchdir, umask, memfd_create (attribute
 * calls are in sys_fsattr.c).
 *
 * Calls that follow the last symlink resolve the whole path to an O_PATH
 * descriptor (path.c: confined under --root) and act on it; calls that
 * do not follow act on (parent O_PATH fd, last component) with
 * AT_SYMLINK_NOFOLLOW.  The host therefore never follows a symlink the
 * guest planted: it cannot leave --root.  --read-only refuses every write
 * with EROFS after the lookups Linux does first (a missing file is still
 * ENOENT, an existing one EEXIST for the creating calls). */
#include "sim/fs_priv.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the guest's umask lives in its task context (forks inherit it); it
 * starts as faultline's own */
void fs_umask_init(struct kernel *k) {
  mode_t m = umask(0);
  umask(m);
  k->tg->fs->umask = m & 0777;
}

mode_t fs_umask(struct kernel *k) { return (mode_t)k->tg->fs->umask; }

static int exists_nofollow(int pfd, const char *last) {
  struct stat st;
  return fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/* --read-only for a call that would modify an existing object. */
static int ro_modify(struct kernel *k, int pfd, const char *last) {
  if (!k->read_only) return 0;
  int e = exists_nofollow(pfd, last);
  return e ? e : -EROFS;
}
/* --read-only for a call that would create `last`. */
static int ro_create(struct kernel *k, int pfd, const char *last) {
  if (!k->read_only) return 0;
  return exists_nofollow(pfd, last) == 0 ? -EEXIST : -EROFS;
}

/* ---- open ---- */

long fs_open_guest(struct kernel *k, int dirfd, uint64_t upath, int flags, int mode) {
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  if (!path[0]) return -ENOENT;
  bool opath = flags & O_PATH;
  bool wr = !opath && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) ||
                       (flags & O_TMPFILE) == O_TMPFILE);
  bool excl = (flags & O_CREAT) && (flags & O_EXCL);
  bool cloexec = flags & O_CLOEXEC;
  struct px r;
  e = fs_lookup(k, dirfd, path, !(flags & O_NOFOLLOW) && !excl, &r);
  if (e) return e;
  int keep = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
  if (opath) keep &= O_PATH | O_DIRECTORY | O_NOFOLLOW;
  long fd;
  switch (r.kind) {
  case PX_FILE:
  case PX_DIR:
    if (excl) { fd = -EEXIST; break; }
    if (r.deny_open) { fd = -EACCES; break; }
    struct proc_live live = {0};
    int want = (!opath && (flags & O_ACCMODE) != O_WRONLY ? 4 : 0) | (wr ? 2 : 0);
    if (r.live && !opath) {               /* /proc/<pid>/mem, pagemap, coredump_filter */
      if (flags & O_DIRECTORY) { fd = -ENOTDIR; break; }
      if ((fd = proc_live_open(k, &r, want, &live))) break;
    } else if (r.kind == PX_FILE && fs_proc_mode(r.gpath)) {   /* a /proc/sys file: its mode decides */
      if ((fd = fs_proc_may(k, r.gpath, want))) break;
      if (wr && k->read_only) { fd = -EROFS; break; }
    } else if (wr) { fd = k->read_only ? -EROFS : r.kind == PX_DIR ? -EISDIR : -EACCES; break; }
    if (r.kind == PX_FILE && (flags & O_DIRECTORY)) { fd = -ENOTDIR; break; }
    fd = gfd_install(k, 0, FDK_PROC, -1, keep | (r.kind == PX_DIR ? O_DIRECTORY : 0), cloexec, r.gpath);
    if (fd >= 0) {
      k->fds[fd].live = live;
      k->fds[fd].task_serial = proc_path_serial(k, r.gpath);
      size_t gl = strlen(r.gpath);
      if (r.kind == PX_DIR && gl > 3 && !strcmp(r.gpath + gl - 3, "/fd")) {
        /* list the fd table again now that this fd is in it, as Linux does */
        struct px r2;
        if (fs_lookup(k, AT_FDCWD, r.gpath, true, &r2) == 0 && r2.kind == PX_DIR) {
          px_free(&r);
          r = r2;
        } else {
          px_free(&r2);
        }
      }
      k->fds[fd].procbuf = r.buf;
      k->fds[fd].proclen = r.len;
      r.buf = NULL;
    }
    break;
  case PX_LINK: fd = excl ? -EEXIST : -ELOOP; break;
  case PX_DEV:     /* a pseudo-terminal (pty.c) */
    if (excl) { fd = -EEXIST; break; }
    if (opath) { fd = -EOPNOTSUPP; break; }
    fd = pty_open(k, r.fd, flags, keep, cloexec);
    break;
  case PX_EXE: {
    if (wr && k->read_only) { fd = -EROFS; break; }
    if (excl) { fd = -EEXIST; break; }
    int h = fs_open_exe(k, flags);
    char t[FS_PATH_MAX];
    if (fs_exe_link_text(k, t, sizeof t)) t[0] = 0;
    fd = h < 0 ? h : gfd_install(k, 0, FDK_HOST, h, keep, cloexec, t);
    break;
  }
  case PX_FD: {
    if (wr && k->read_only) { fd = -EROFS; break; }
    if (excl) { fd = -EEXIST; break; }
    struct gfd *o = gfd_get(k, r.fd);
    struct proc_live live = {0};
    if (o && o->live.what && !opath) {   /* the /proc/<pid> file it names, opened again */
      struct px pr = {.live = o->live.what, .live_pid = o->live.pid};
      if ((fd = proc_live_open(k, &pr, (!opath && (flags & O_ACCMODE) != O_WRONLY ? 4 : 0) | (wr ? 2 : 0), &live)))
        break;
    }
    if (o && o->kind == FDK_PROC) {
      if (wr && !live.what) { fd = -EACCES; break; }
      char *copy = malloc(o->proclen ? o->proclen : 1);
      if (!copy) { fd = -ENOMEM; break; }
      memcpy(copy, o->procbuf, o->proclen);
      fd = gfd_install(k, 0, FDK_PROC, -1, keep | (o->flags & O_DIRECTORY), cloexec, o->path);
      if (fd >= 0) {
        k->fds[fd].procbuf = copy;
        k->fds[fd].proclen = o->proclen;
        k->fds[fd].live = live;
        k->fds[fd].task_serial = o->task_serial;
      } else free(copy);
      break;
    }
    if (o && o->kind == FDK_PTY && !opath) {   /* the terminal opened again (the master: a new pair) */
      fd = pty_open(k, pty_node(o), flags, keep, cloexec);
      break;
    }
    if (o && o->kind == FDK_PIDFD) {      /* another file for the same process */
      fd = pidfd_reopen(k, o, keep, cloexec);
      break;
    }
    enum fd_kind kind = o ? o->kind : FDK_HOST;
    if (kind == FDK_PIPE_R || kind == FDK_PIPE_W)
      kind = (flags & O_ACCMODE) == O_RDONLY ? FDK_PIPE_R : FDK_PIPE_W;
    char t[256];
    snprintf(t, sizeof t, "%s", o ? o->path : "");
    int h = fs_reopen_fd(k, r.fd, flags);
    fd = h < 0 ? h : gfd_install(k, 0, kind, h, keep, cloexec, t);
    break;
  }
  default: {
    struct where w = where_of(&r, dirfd, path);
    int of = flags;
    if (k->read_only) {
      if (wr) { fd = -EROFS; break; }
      if (flags & O_CREAT) {
        /* Linux opens an existing file under O_CREAT on a read-only
         * mount; only creating is refused */
        of &= ~(O_CREAT | O_EXCL);
        int h = fs_host_open(k, w.dirfd, w.path, of, 0);
        if (h == -ENOENT) { fd = -EROFS; break; }
        if (h >= 0 && excl) { close(h); fd = -EEXIST; break; }
        fd = h < 0 ? h : gfd_install(k, 0, FDK_HOST, h, keep, cloexec, r.gpath);
        break;
      }
    }
    /* a file this open creates gets guest time for all its times, one it
     * truncates for its mtime (fs_stamp_times) */
    bool creating = false;
    if ((of & O_CREAT) && !excl) {
      int p = fs_host_open(k, w.dirfd, w.path, O_PATH, 0);
      if (p >= 0) close(p);
      creating = p == -ENOENT;
    }
    int h = fs_host_open(k, w.dirfd, w.path, of, mode);
    if (h >= 0 && (excl || creating || (of & O_TRUNC))) {
      struct stat st;
      if (!fstat(h, &st) && S_ISREG(st.st_mode)) fs_stamp_times(h, ktime_ns(k), excl || creating);
    }
    if (h >= 0 && (excl || creating)) dnotify_file(k, h, DN_CREATE);
    fd = h < 0 ? h : gfd_install(k, 0, FDK_HOST, h, keep, cloexec, r.gpath);
    break;
  }
  }
  px_free(&r);
  return fd;
}

/* ---- namespace changes ---- */

/* Resolve for a modifying call: pseudo files refuse with `pseudo_err`. */
static int resolve_mod(struct kernel *k, int dirfd, uint64_t upath, int *pfd, char *last,
                       bool *slash, int pseudo_err) {
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return (int)e;
  if (!path[0]) return -ENOENT;
  struct px r;
  e = fs_lookup(k, dirfd, path, false, &r);
  if (e) return (int)e;
  struct where w = where_of(&r, dirfd, path);
  enum px_kind kind = r.kind;
  if (kind != PX_NONE) { px_free(&r); return pseudo_err; }
  e = fs_resolve(k, w.dirfd, w.path, pfd, last, 256, slash);
  px_free(&r);
  return (int)e;
}

static long sys_unlinkat(struct kernel *k, int dirfd, uint64_t upath, int flags) {
  if (flags & ~AT_REMOVEDIR) return -EINVAL;
  int pfd;
  char last[256];
  bool slash;
  int e = resolve_mod(k, dirfd, upath, &pfd, last, &slash, -EACCES);
  if (e) return e;
  struct stat st;
  if (slash && !(flags & AT_REMOVEDIR)) {
    e = fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW) ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : -ENOTDIR;
  } else if (!(e = ro_modify(k, pfd, last))) {
    e = unlinkat(pfd, last, flags) ? -errno : 0;
    if (!e) dnotify_parent(k, pfd, DN_DELETE);
  }
  close(pfd);
  return e;
}

static long sys_renameat2(struct kernel *k, int od, uint64_t uold, int nd, uint64_t unew, unsigned flags) {
  if (flags & ~7u) return -EINVAL;
  int opfd, npfd;
  char olast[256], nlast[256];
  bool os, ns;
  int e = resolve_mod(k, od, uold, &opfd, olast, &os, -EXDEV);
  if (e) return e;
  e = resolve_mod(k, nd, unew, &npfd, nlast, &ns, -EXDEV);
  if (e) { close(opfd); return e; }
  struct stat st;
  if (os || ns) {
    if (fstatat(opfd, olast, &st, AT_SYMLINK_NOFOLLOW)) e = -errno;
    else if (!S_ISDIR(st.st_mode)) e = -ENOTDIR;
  }
  if (!e) e = ro_modify(k, opfd, olast);
  if (!e) {
    long r = flags ? syscall(SYS_renameat2, opfd, olast, npfd, nlast, flags)
                   : renameat(opfd, olast, npfd, nlast);
    e = r ? -errno : 0;
  }
  if (!e) {
    /* fsnotify_move: the old directory hears the entry leave, the new one
     * hear it come; within one directory it also hears the rename itself
     * (three events, as Linux 6.x signals them; one each across two) */
    struct stat a, b;
    bool same = !fstat(opfd, &a) && !fstat(npfd, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    dnotify_parent(k, opfd, DN_RENAME);
    dnotify_parent(k, npfd, DN_RENAME);
    if (same) dnotify_parent(k, opfd, DN_RENAME);
  }
  close(opfd);
  close(npfd);
  return e;
}

static long sys_mkdirat(struct kernel *k, int dirfd, uint64_t upath, unsigned mode) {
  int pfd;
  char last[256];
  bool slash;
  int e = resolve_mod(k, dirfd, upath, &pfd, last, &slash, -EEXIST);
  if (e) return e;
  e = ro_create(k, pfd, last);
  if (!e) {
    mode_t old = umask(0);
    e = mkdirat(pfd, last, (mode & 07777) & ~fs_umask(k)) ? -errno : 0;
    umask(old);
    if (!e) dnotify_parent(k, pfd, DN_CREATE);
  }
  close(pfd);
  return e;
}

static long sys_mknodat(struct kernel *k, int dirfd, uint64_t upath, unsigned mode, uint64_t dev) {
  unsigned type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  if (type == S_IFCHR || type == S_IFBLK) return -EPERM;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK) return -EINVAL;
  int pfd;
  char last[256];
  bool slash;
  int e = resolve_mod(k, dirfd, upath, &pfd, last, &slash, -EEXIST);
  if (e) return e;
  e = ro_create(k, pfd, last);
  if (!e) {
    mode_t old = umask(0);
    e = mknodat(pfd, last, type | ((mode & 07777) & ~fs_umask(k)), 0) ? -errno : 0;
    umask(old);
  }
  close(pfd);
  (void)dev;
  return e;
}

static long sys_symlinkat(struct kernel *k, uint64_t utarget, int dirfd, uint64_t upath) {
  char target[FS_PATH_MAX];
  long e0 = get_path(k, utarget, target);
  if (e0) return e0;
  if (!target[0]) return -ENOENT;
  int pfd;
  char last[256];
  bool slash;
  int e = resolve_mod(k, dirfd, upath, &pfd, last, &slash, -EEXIST);
  if (e) return e;
  e = ro_create(k, pfd, last);
  if (!e) e = symlinkat(target, pfd, last) ? -errno : 0;
  close(pfd);
  return e;
}

static long sys_linkat(struct kernel *k, int od, uint64_t uold, int nd, uint64_t unew, int flags) {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  char old[FS_PATH_MAX];
  long e = get_path(k, uold, old);
  if (e) return e;
  int src = -1, opfd = -1;        /* followed source (O_PATH) or (parent, name) */
  char olast[256], b[40];
  if (!old[0]) {
    if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
    struct gfd *g = gfd_get(k, od);
    if (!g) return -EBADF;
    if (g->kind == FDK_PROC) return -EXDEV;
    src = fcntl(g->hostfd, F_DUPFD_CLOEXEC, 3);
    if (src < 0) return -errno;
  } else {
    struct px r;
    e = fs_lookup(k, od, old, flags & AT_SYMLINK_FOLLOW, &r);
    if (e) return e;
    struct where w = where_of(&r, od, old);
    if (r.kind == PX_FD) {
      struct gfd *g = gfd_get(k, r.fd);
      src = g && g->kind != FDK_PROC ? fcntl(g->hostfd, F_DUPFD_CLOEXEC, 3) : -EXDEV;
      if (src == -1) src = -errno;
    } else if (r.kind == PX_EXE) {
      src = fs_open_exe(k, O_PATH);
    } else if (r.kind != PX_NONE) {
      src = -EXDEV;
    } else if (flags & AT_SYMLINK_FOLLOW) {
      src = fs_host_open(k, w.dirfd, w.path, O_PATH, 0);
    } else {
      src = -1;
      e = fs_resolve(k, w.dirfd, w.path, &opfd, olast, sizeof olast, NULL);
    }
    px_free(&r);
    if (src < -1) return src;
    if (e) return e;
  }
  int npfd;
  char nlast[256];
  bool ns;
  int r = resolve_mod(k, nd, unew, &npfd, nlast, &ns, -EEXIST);
  if (!r) {
    r = ro_create(k, npfd, nlast);
    if (!r) {
      int x = src >= 0 ? linkat(AT_FDCWD, fs_fdpath(src, b), npfd, nlast, AT_SYMLINK_FOLLOW)
                       : linkat(opfd, olast, npfd, nlast, 0);
      r = x ? -errno : 0;
    }
    close(npfd);
  }
  if (src >= 0) close(src);
  if (opfd >= 0) close(opfd);
  return r;
}

/* ---- cwd ---- */

static int set_cwd_from(struct kernel *k, int h, const char *lexical) {
  struct stat st;
  if (fstat(h, &st)) return -errno;
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  int e = fs_host_access(h, "", X_OK, AT_EMPTY_PATH);
  if (e) return e;
  char p[FS_PATH_MAX];
  if (fs_host_fd_guest_path(k, h, p, sizeof p) == 0 && p[0] == '/') {
    snprintf(k->tg->fs->cwd, sizeof k->tg->fs->cwd, "%s", p);   /* the physical path, as Linux */
    return 0;
  }
  if (!lexical || lexical[0] != '/') return -ENOENT;
  snprintf(k->tg->fs->cwd, sizeof k->tg->fs->cwd, "%s", lexical);
  return 0;
}

static long sys_chdir(struct kernel *k, uint64_t upath) {
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  if (!path[0]) return -ENOENT;
  struct px r;
  e = fs_lookup(k, AT_FDCWD, path, true, &r);
  if (e) return e;
  char g[FS_PATH_MAX];
  snprintf(g, sizeof g, "%s", r.gpath);
  struct where w = where_of(&r, AT_FDCWD, path);
  enum px_kind kind = r.kind;
  int xfd = r.fd;
  px_free(&r);
  if (kind == PX_DIR) { snprintf(k->tg->fs->cwd, sizeof k->tg->fs->cwd, "%s", g); return 0; }
  if (kind == PX_FD) {
    struct gfd *o = gfd_get(k, xfd);
    if (o && o->kind == FDK_PROC) {
      if (!(o->flags & O_DIRECTORY)) return -ENOTDIR;
      snprintf(k->tg->fs->cwd, sizeof k->tg->fs->cwd, "%s", o->path);
      return 0;
    }
    int h = o ? fcntl(o->hostfd, F_DUPFD_CLOEXEC, 3) : -1;
    if (h < 0) return -ENOENT;
    e = set_cwd_from(k, h, o->path);
    close(h);
    return e;
  }
  if (kind != PX_NONE) return -ENOTDIR;
  int h = fs_host_open(k, w.dirfd, w.path, O_PATH | O_DIRECTORY, 0);
  if (h < 0) return h;
  e = set_cwd_from(k, h, g);
  close(h);
  return e;
}

static long sys_fchdir(struct kernel *k, int fd) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PROC) {
    if (!(g->flags & O_DIRECTORY)) return -ENOTDIR;
    snprintf(k->tg->fs->cwd, sizeof k->tg->fs->cwd, "%s", g->path);
    return 0;
  }
  if (g->kind != FDK_HOST) return -ENOTDIR;
  return set_cwd_from(k, g->hostfd, g->path);
}

static long sys_getcwd(struct kernel *k, uint64_t ubuf, uint64_t size) {
  const char *c = k->tg->fs->cwd[0] ? k->tg->fs->cwd : "/";
  size_t l = strlen(c) + 1;
  if (size < l) return -ERANGE;
  return copy_to_user(k, ubuf, c, l) ? -EFAULT : (long)l;
}

/* ---- dispatch ---- */

long sys_fsmeta(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_open: return fs_open_guest(k, AT_FDCWD, a[0], (int)a[1], (int)a[2]);
  case SYS_openat: return fs_open_guest(k, (int)a[0], a[1], (int)a[2], (int)a[3]);
  case SYS_creat: return fs_open_guest(k, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (int)a[1]);
  case SYS_openat2: return -ENOSYS;     /* callers fall back to openat */
  case SYS_unlink: return sys_unlinkat(k, AT_FDCWD, a[0], 0);
  case SYS_rmdir: return sys_unlinkat(k, AT_FDCWD, a[0], AT_REMOVEDIR);
  case SYS_unlinkat: return sys_unlinkat(k, (int)a[0], a[1], (int)a[2]);
  case SYS_rename: return sys_renameat2(k, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
  case SYS_renameat: return sys_renameat2(k, (int)a[0], a[1], (int)a[2], a[3], 0);
  case SYS_renameat2: return sys_renameat2(k, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
  case SYS_mkdir: return sys_mkdirat(k, AT_FDCWD, a[0], (unsigned)a[1]);
  case SYS_mkdirat: return sys_mkdirat(k, (int)a[0], a[1], (unsigned)a[2]);
  case SYS_mknod: return sys_mknodat(k, AT_FDCWD, a[0], (unsigned)a[1], a[2]);
  case SYS_mknodat: return sys_mknodat(k, (int)a[0], a[1], (unsigned)a[2], a[3]);
  case SYS_symlink: return sys_symlinkat(k, a[0], AT_FDCWD, a[1]);
  case SYS_symlinkat: return sys_symlinkat(k, a[0], (int)a[1], a[2]);
  case SYS_link: return sys_linkat(k, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
  case SYS_linkat: return sys_linkat(k, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]);
  case SYS_getcwd: return sys_getcwd(k, a[0], a[1]);
  case SYS_chdir: return sys_chdir(k, a[0]);
  case SYS_fchdir: return sys_fchdir(k, (int)a[0]);
  case SYS_umask: {
    mode_t old = (mode_t)k->tg->fs->umask;
    k->tg->fs->umask = (uint32_t)(a[0] & 0777);
    return (long)old;
  }
  case SYS_chroot: return -EPERM;
  case SYS_memfd_create: {
    char name[250];
    long l = strncpy_from_user(k, name, a[0], sizeof name);
    if (l < 0) return l == -ENAMETOOLONG ? -EINVAL : l;
    /* CLOEXEC 1, ALLOW_SEALING 2, HUGETLB 4 (with a MFD_HUGE_* size in
     * bits 26-31), NOEXEC_SEAL 8, EXEC 16 */
    uint64_t fl = a[1], huge_size = fl & (0x3full << 26);
    if ((fl & ~(0x1full | (0x3full << 26))) || (huge_size && !(fl & 4))) return -EINVAL;
    /* MFD_HUGETLB: a hugetlb file of the pool's page size (2M, or 1G
     * whose pool is empty); other sizes ENODEV (hugetlb_file_setup); a
     * host memfd names it, the pool holds its pages (hugetlb.c) */
    int hlog = (fl & 4) ? (int)(huge_size >> 26) : 0;
    if (fl & 4) {
      if (!hlog) hlog = 21;
      if (hlog != 21 && hlog != 30) return -ENODEV;   /* hugetlb_file_setup: no such hstate */
    }
    int h = (int)syscall(SYS_memfd_create, name, (unsigned)(fl & 3) | 1u);
    if (h < 0) return -errno;
    struct stat hst;
    if (hlog && !fstat(h, &hst)) hugetlb_memfd_add(k, hst.st_dev, hst.st_ino, hlog);
    char p[280];
    snprintf(p, sizeof p, "/memfd:%s (deleted)", name);
    return gfd_install(k, 0, FDK_HOST, h, O_RDWR, (a[1] & 1) != 0, p);
  }
  default:
    return sys_fsattr(k, nr, a, handled);
  }
}
