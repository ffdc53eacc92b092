/* File-system syscalls, attribute side: stat, lstat, fstat, newfstatat,
 * statx, readlink, access, chmod, chown, utimensat (and utime, utimes,
 * futimesat), truncate, statfs.  Struct layouts are the x86-64 kernel
 * ABI, written field by field from the host's; host uid/gid are shown as
 * the guest's.  Pseudo files (/proc) get synthesized metadata. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#define UTIME_NOW_ ((1l << 30) - 1l)
#define UTIME_OMIT_ ((1l << 30) - 2l)

/* The uid map: faultline's user is the guest's first identity (the same
 * ids today, as the guest starts as faultline's user); other ids are the
 * host's. */
/* faultline's own real ids never change during a run (it switches only
 * its filesystem ids): asked once, not on every syscall */
static uint32_t my_uid(void) { static int64_t v = -1; if (v < 0) v = getuid(); return (uint32_t)v; }
static uint32_t my_gid(void) { static int64_t v = -1; if (v < 0) v = getgid(); return (uint32_t)v; }
uint32_t fs_guest_uid(struct kernel *k, uint32_t h) { return h == my_uid() ? (uint32_t)k->start_uid : h; }
uint32_t fs_guest_gid(struct kernel *k, uint32_t h) { return h == my_gid() ? (uint32_t)k->start_gid : h; }
uint32_t fs_host_uid(struct kernel *k, uint32_t g) { return g == (uint32_t)k->start_uid ? my_uid() : g; }
uint32_t fs_host_gid(struct kernel *k, uint32_t g) { return g == (uint32_t)k->start_gid ? my_gid() : g; }

void fs_kstat_from_host(struct kernel *k, struct kstat64 *o, const struct stat *s) {
  memset(o, 0, sizeof *o);
  o->st_dev = (uint64_t)s->st_dev;
  o->st_ino = (uint64_t)s->st_ino;
  o->st_nlink = (uint64_t)s->st_nlink;
  o->st_mode = (uint32_t)s->st_mode;
  o->st_uid = fs_guest_uid(k, (uint32_t)s->st_uid);
  o->st_gid = fs_guest_gid(k, (uint32_t)s->st_gid);
  if (k->tc.ns) {                   /* generic_fillattr: as the caller's user namespace maps them */
    o->st_uid = ns_from_kid_munged(task_userns(&k->tc), false, o->st_uid);
    o->st_gid = ns_from_kid_munged(task_userns(&k->tc), true, o->st_gid);
  }
  o->st_rdev = (uint64_t)s->st_rdev;
  o->st_size = (int64_t)s->st_size;
  o->st_blksize = (int64_t)s->st_blksize;
  o->st_blocks = (int64_t)s->st_blocks;
  o->st_atime_ = (uint64_t)s->st_atim.tv_sec;
  o->st_atime_nsec = (uint64_t)s->st_atim.tv_nsec;
  o->st_mtime_ = (uint64_t)s->st_mtim.tv_sec;
  o->st_mtime_nsec = (uint64_t)s->st_mtim.tv_nsec;
  o->st_ctime_ = (uint64_t)s->st_ctim.tv_sec;
  o->st_ctime_nsec = (uint64_t)s->st_ctim.tv_nsec;
}

void fs_px_stat(struct kernel *k, enum px_kind kind, const char *gpath, size_t linklen, uint64_t serial,
                struct stat *st) {
  memset(st, 0, sizeof *st);
  bool sys = !strncmp(gpath, "/sys/", 5);
  st->st_dev = sys ? 0x15 : 0x16;
  st->st_ino = (ino_t)fs_px_ino(k, gpath, serial);
  st->st_uid = getuid();
  st->st_gid = getgid();
  /* /proc/1 and its files are init's: root's (task_dump_owner) */
  if (!strncmp(gpath, "/proc/1", 7) && (!gpath[7] || gpath[7] == '/') && k->init) st->st_uid = st->st_gid = 0;
  st->st_blksize = sys ? 4096 : 1024;
  switch (kind) {
  case PX_DIR: st->st_mode = S_IFDIR | 0555; st->st_nlink = 2; break;
  case PX_LINK: st->st_mode = S_IFLNK | 0777; st->st_nlink = 1; st->st_size = (off_t)linklen; break;
  default: st->st_mode = S_IFREG | 0444; st->st_nlink = 1; st->st_size = sys ? 4096 : 0; break;
  }
  size_t gl = strlen(gpath);
  /* /proc/<pid>/mem S_IRUSR|S_IWUSR, pagemap S_IRUSR, coredump_filter S_IRUGO|S_IWUSR */
  if (kind == PX_FILE && gl > 4 && !strcmp(gpath + gl - 4, "/mem")) st->st_mode = S_IFREG | 0600;
  if (kind == PX_FILE && gl > 8 && !strcmp(gpath + gl - 8, "/pagemap")) st->st_mode = S_IFREG | 0400;
  if (kind == PX_FILE && gl > 16 && !strcmp(gpath + gl - 16, "/coredump_filter")) st->st_mode = S_IFREG | 0644;
  if (kind == PX_FILE && !strcmp(gpath, "/proc/kcore")) st->st_mode = S_IFREG | 0400;
  if (kind == PX_FILE && !strcmp(gpath, "/proc/config.gz")) {   /* its size, as Linux's proc_set_size */
    size_t gzl;
    free(kconfig_gz(&gzl));
    st->st_size = (off_t)gzl;
  }
  if (kind == PX_FILE && fs_proc_mode(gpath)) st->st_mode = S_IFREG | fs_proc_mode(gpath);
  time_t t = (time_t)(k->epoch_ns / 1000000000ull);
  st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = t;
}

int fs_fstat_gfd(struct kernel *k, int fd, struct stat *st) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PROC) {
    fs_px_stat(k, (g->flags & O_DIRECTORY) ? PX_DIR : PX_FILE, g->path, 0, g->task_serial, st);
    return 0;
  }
  if (g->kind == FDK_PIDFD) {
    pidfd_stat(k, g, st);
    return 0;
  }
  if (g->kind == FDK_PTY) {
    pty_stat(k, g, st);
    return 0;
  }
  return fstat(g->hostfd, st) ? -errno : 0;
}

/* ---- stat ---- */

/* Stat (dirfd, path) into a host struct stat; flags AT_*. */
static int do_stat(struct kernel *k, int dirfd, const char *path, int flags, struct stat *st) {
  if (!path[0]) {
    if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
    if (dirfd == AT_FDCWD) path = ".";
    else return fs_fstat_gfd(k, dirfd, st);
  }
  bool slash = path[strlen(path) - 1] == '/';
  bool follow = !(flags & AT_SYMLINK_NOFOLLOW) || slash;
  struct px r;
  int e = fs_lookup(k, dirfd, path, follow, &r);
  if (e) return e;
  switch (r.kind) {
  case PX_FILE: case PX_DIR: case PX_LINK:
    fs_px_stat(k, r.kind, r.gpath, strlen(r.target), 0, st);
    px_free(&r);
    return 0;
  case PX_FD:
    return fs_fstat_gfd(k, r.fd, st);
  case PX_DEV:
    pty_path_stat(k, r.fd, st);
    return 0;
  case PX_EXE: {
    int h = fs_open_exe(k, O_PATH);
    if (h < 0) return h;
    e = fstat(h, st) ? -errno : 0;
    close(h);
    return e;
  }
  default: break;
  }
  struct where w = where_of(&r, dirfd, path);
  if (follow) {
    int h = fs_host_open(k, w.dirfd, w.path, O_PATH | (slash ? O_DIRECTORY : 0), 0);
    if (h < 0) return h;
    e = fstat(h, st) ? -errno : 0;
    close(h);
    return e;
  }
  int pfd;
  char last[256];
  e = fs_resolve(k, w.dirfd, w.path, &pfd, last, sizeof last, NULL);
  if (e) return e;
  e = fstatat(pfd, last, st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
  close(pfd);
  return e;
}

static long sys_newfstatat(struct kernel *k, int dirfd, uint64_t upath, uint64_t ubuf, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -EINVAL;
  char path[FS_PATH_MAX];
  path[0] = 0;
  if (upath || !(flags & AT_EMPTY_PATH)) {
    long e = get_path(k, upath, path);
    if (e) return e;
  }
  struct stat st;
  int e = do_stat(k, dirfd, path, flags, &st);
  if (e) return e;
  struct kstat64 ks;
  fs_kstat_from_host(k, &ks, &st);
  return copy_to_user(k, ubuf, &ks, sizeof ks) ? -EFAULT : 0;
}

static long sys_fstat(struct kernel *k, int fd, uint64_t ubuf) {
  struct stat st;
  int e = fs_fstat_gfd(k, fd, &st);
  if (e) return e;
  struct kstat64 ks;
  fs_kstat_from_host(k, &ks, &st);
  return copy_to_user(k, ubuf, &ks, sizeof ks) ? -EFAULT : 0;
}

static void statx_from_stat(struct statx *sx, const struct stat *st) {
  memset(sx, 0, sizeof *sx);
  sx->stx_mask = STATX_BASIC_STATS;
  sx->stx_blksize = (uint32_t)st->st_blksize;
  sx->stx_nlink = (uint32_t)st->st_nlink;
  sx->stx_uid = st->st_uid;
  sx->stx_gid = st->st_gid;
  sx->stx_mode = (uint16_t)st->st_mode;
  sx->stx_ino = st->st_ino;
  sx->stx_size = (uint64_t)st->st_size;
  sx->stx_blocks = (uint64_t)st->st_blocks;
  sx->stx_atime.tv_sec = st->st_atim.tv_sec;
  sx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
  sx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
  sx->stx_dev_major = major(st->st_dev);
  sx->stx_dev_minor = minor(st->st_dev);
}

static int host_statx(int dfd, const char *p, int fl, unsigned mask, struct statx *sx) {
  return syscall(SYS_statx, dfd, p, fl, mask, sx) ? -errno : 0;
}

static long sys_statx(struct kernel *k, int dirfd, uint64_t upath, int flags, unsigned mask,
                      uint64_t ubuf) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
    return -EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE) return -EINVAL;
  if (mask & 0x80000000u) return -EINVAL;           /* STATX__RESERVED */
  char path[FS_PATH_MAX];
  path[0] = 0;
  if (upath || !(flags & AT_EMPTY_PATH)) {
    long e = get_path(k, upath, path);
    if (e) return e;
  }
  int sync = flags & AT_STATX_SYNC_TYPE;
  struct statx sx;
  struct stat st;
  int e;
  int h = -1, pfd = -1;
  char last[256];
  struct px r;
  memset(&r, 0, sizeof r);
  if (!path[0]) {
    if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
    if (dirfd == AT_FDCWD) {
      h = fs_host_open(k, AT_FDCWD, ".", O_PATH, 0);
      if (h < 0) return h;
      e = host_statx(h, "", AT_EMPTY_PATH | sync, mask, &sx);
    } else {
      struct gfd *g = gfd_get(k, dirfd);
      if (!g) return -EBADF;
      if (g->kind == FDK_PROC || g->kind == FDK_PTY) {
        e = fs_fstat_gfd(k, dirfd, &st);
        statx_from_stat(&sx, &st);
      } else {
        e = host_statx(g->hostfd, "", AT_EMPTY_PATH | sync, mask, &sx);
      }
    }
  } else {
    bool slash = path[strlen(path) - 1] == '/';
    bool follow = !(flags & AT_SYMLINK_NOFOLLOW) || slash;
    e = fs_lookup(k, dirfd, path, follow, &r);
    if (e) return e;
    struct where w = where_of(&r, dirfd, path);
    switch (r.kind) {
    case PX_FILE: case PX_DIR: case PX_LINK:
      fs_px_stat(k, r.kind, r.gpath, strlen(r.target), 0, &st);
      statx_from_stat(&sx, &st);
      break;
    case PX_DEV:
      pty_path_stat(k, r.fd, &st);
      statx_from_stat(&sx, &st);
      break;
    case PX_FD: {
      struct gfd *g = gfd_get(k, r.fd);
      if (g && g->kind != FDK_PROC && g->kind != FDK_PTY) {
        e = host_statx(g->hostfd, "", AT_EMPTY_PATH | sync, mask, &sx);
      } else {
        e = fs_fstat_gfd(k, r.fd, &st);
        statx_from_stat(&sx, &st);
      }
      break;
    }
    case PX_EXE:
      h = fs_open_exe(k, O_PATH);
      e = h < 0 ? h : host_statx(h, "", AT_EMPTY_PATH | sync, mask, &sx);
      break;
    default:
      if (follow) {
        h = fs_host_open(k, w.dirfd, w.path, O_PATH | (slash ? O_DIRECTORY : 0), 0);
        e = h < 0 ? h : host_statx(h, "", AT_EMPTY_PATH | sync, mask, &sx);
      } else {
        e = fs_resolve(k, w.dirfd, w.path, &pfd, last, sizeof last, NULL);
        if (!e) e = host_statx(pfd, last, AT_SYMLINK_NOFOLLOW | sync, mask, &sx);
      }
      break;
    }
    px_free(&r);
  }
  if (h >= 0) close(h);
  if (pfd >= 0) close(pfd);
  if (e) return e;
  sx.stx_uid = fs_guest_uid(k, sx.stx_uid);
  sx.stx_gid = fs_guest_gid(k, sx.stx_gid);
  if (k->tc.ns) {
    sx.stx_uid = ns_from_kid_munged(task_userns(&k->tc), false, sx.stx_uid);
    sx.stx_gid = ns_from_kid_munged(task_userns(&k->tc), true, sx.stx_gid);
  }
  return copy_to_user(k, ubuf, &sx, sizeof sx) ? -EFAULT : 0;
}

/* ---- readlink, access ---- */

static long sys_readlinkat(struct kernel *k, int dirfd, uint64_t upath, uint64_t ubuf, int64_t bufsiz) {
  if (bufsiz <= 0) return -EINVAL;
  char path[FS_PATH_MAX], text[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  ssize_t n;
  if (!path[0]) {
    struct gfd *g = dirfd == AT_FDCWD ? NULL : gfd_get(k, dirfd);
    if (!g) return dirfd == AT_FDCWD ? -ENOENT : -EBADF;
    if (g->kind == FDK_PROC) return -ENOENT;
    n = readlinkat(g->hostfd, "", text, sizeof text);
    if (n < 0) return -errno;
  } else {
    bool slash = path[strlen(path) - 1] == '/';
    struct px r;
    e = fs_lookup(k, dirfd, path, slash, &r);
    if (e) return e;
    struct where w = where_of(&r, dirfd, path);
    if (r.kind == PX_LINK && r.deny_open) {
      n = -EACCES;                /* another's /proc/<pid>/exe, cwd, root without ptrace access */
    } else if (r.kind == PX_LINK) {
      n = (ssize_t)strlen(r.target);
      memcpy(text, r.target, (size_t)n);
    } else if (r.kind != PX_NONE) {
      n = -EINVAL;
    } else if (slash) {
      int h = fs_host_open(k, w.dirfd, w.path, O_PATH | O_DIRECTORY, 0);
      n = h < 0 ? h : -EINVAL;
      if (h >= 0) close(h);
    } else {
      int pfd;
      char last[256];
      n = fs_resolve(k, w.dirfd, w.path, &pfd, last, sizeof last, NULL);
      if (!n) {
        n = readlinkat(pfd, last, text, sizeof text);
        if (n < 0) n = -errno;
        close(pfd);
      }
    }
    px_free(&r);
    if (n < 0) return n;
  }
  if (n > bufsiz) n = bufsiz;
  return copy_to_user(k, ubuf, text, (size_t)n) ? -EFAULT : n;
}

int fs_host_access(int dfd, const char *p, int mode, int flags) {
  long r = syscall(SYS_faccessat2, dfd, p, mode, flags);
  if (r < 0 && errno == ENOSYS) {
    if ((flags & AT_EMPTY_PATH) && !p[0]) {
      char b[40];
      r = syscall(SYS_faccessat, AT_FDCWD, fs_fdpath(dfd, b), mode);
    } else {
      r = syscall(SYS_faccessat, dfd, p, mode);   /* no flags: best effort */
    }
  }
  return r < 0 ? -errno : 0;
}

static long sys_faccessat(struct kernel *k, int dirfd, uint64_t upath, int mode, int flags) {
  if (mode & ~7) return -EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  /* access(2) checks with the real ids (do_faccessat's override creds):
   * the task's real ids become the host's filesystem ids for this call
   * (the next syscall installs the fs ids again), and the host is asked
   * with AT_EACCESS, as its own real ids are faultline's */
  if (!(flags & AT_EACCESS)) {
    cred_host_use_real(k);
    flags |= AT_EACCESS;
  }
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  int h = -1, pfd = -1;
  struct stat st;
  if (!path[0]) {
    if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
    struct gfd *g = dirfd == AT_FDCWD ? NULL : gfd_get(k, dirfd);
    if (dirfd == AT_FDCWD) {
      h = fs_host_open(k, AT_FDCWD, ".", O_PATH, 0);
      if (h < 0) return h;
    } else if (!g) {
      return -EBADF;
    } else if (g->kind == FDK_PROC) {
      if (fs_proc_mode(g->path)) return fs_proc_may(k, g->path, mode);
      return (mode & W_OK) || ((mode & X_OK) && !(g->flags & O_DIRECTORY)) ? -EACCES : 0;
    } else if ((h = fcntl(g->hostfd, F_DUPFD_CLOEXEC, 3)) < 0) {
      return -errno;
    }
    e = fs_host_access(h, "", mode, AT_EMPTY_PATH | (flags & AT_EACCESS));
    if (!e && fstat(h, &st)) e = -errno;
  } else {
    bool slash = path[strlen(path) - 1] == '/';
    bool follow = !(flags & AT_SYMLINK_NOFOLLOW) || slash;
    struct px r;
    e = fs_lookup(k, dirfd, path, follow, &r);
    if (e) return e;
    struct where w = where_of(&r, dirfd, path);
    enum px_kind kind = r.kind;
    int pf = r.fd;
    bool deny = r.deny_open;
    px_free(&r);
    switch (kind) {
    case PX_FILE:
      if (fs_proc_mode(r.gpath)) return fs_proc_may(k, r.gpath, mode);   /* /proc/sys */
      if (r.live) return mode & X_OK ? -EACCES : proc_live_access(k, &r, mode & (R_OK | W_OK));
      return mode & (W_OK | X_OK) || (deny && mode) ? -EACCES : 0;
    case PX_DIR: return mode & W_OK ? -EACCES : 0;
    case PX_LINK: return 0;
    case PX_DEV: {   /* a pseudo-terminal node: its mode and owner */
      struct stat ds;
      pty_path_stat(k, pf, &ds);
      if (mode & X_OK) return -EACCES;
      if (capable(k, 1 /* CAP_DAC_OVERRIDE */)) return 0;
      unsigned perm = fs_guest_uid(k, ds.st_uid) == (uint32_t)k->fsuid ? ds.st_mode >> 6 : ds.st_mode;
      return (mode & R_OK && !(perm & 4)) || (mode & W_OK && !(perm & 2)) ? -EACCES : 0;
    }
    case PX_FD: {
      struct gfd *g = gfd_get(k, pf);
      if (!g) return -ENOENT;
      if (g->kind == FDK_PROC) return mode & (W_OK | X_OK) ? -EACCES : 0;
      if ((h = fcntl(g->hostfd, F_DUPFD_CLOEXEC, 3)) < 0) return -errno;
      break;
    }
    case PX_EXE: h = fs_open_exe(k, O_PATH); break;
    default:
      if (follow) {
        h = fs_host_open(k, w.dirfd, w.path, O_PATH | (slash ? O_DIRECTORY : 0), 0);
      } else {
        char last[256];
        e = fs_resolve(k, w.dirfd, w.path, &pfd, last, sizeof last, NULL);
        if (e) return e;
        e = fs_host_access(pfd, last, mode, AT_SYMLINK_NOFOLLOW | (flags & AT_EACCESS));
        if (!e && fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW)) e = -errno;
        close(pfd);
        goto done;
      }
    }
    if (h < 0) return h;
    e = fs_host_access(h, "", mode, AT_EMPTY_PATH | (flags & AT_EACCESS));
    if (!e && fstat(h, &st)) e = -errno;
  }
done:
  if (h >= 0) close(h);
  if (!e && (mode & W_OK) && k->read_only &&
      (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
    e = -EROFS;
  return e;
}

/* ---- attributes ---- */

/* An O_PATH fd for a guest path with follow semantics (pseudo files
 * give `pseudo_err`), or for a guest fd (path NULL). */
int fs_target_fd(struct kernel *k, int dirfd, const char *path, bool follow, int pseudo_err,
                 int *pfd, char *last) {
  *pfd = -1;
  if (!path) {
    struct gfd *g = gfd_get(k, dirfd);
    if (!g) return -EBADF;
    if (g->kind == FDK_PROC) return pseudo_err;
    int h = fcntl(g->hostfd, F_DUPFD_CLOEXEC, 3);
    return h < 0 ? -errno : h;
  }
  if (!path[0]) return -ENOENT;
  bool slash = path[strlen(path) - 1] == '/';
  follow = follow || slash;
  struct px r;
  int e = fs_lookup(k, dirfd, path, follow, &r);
  if (e) return e;
  struct where w = where_of(&r, dirfd, path);
  enum px_kind kind = r.kind;
  int xfd = r.fd;
  px_free(&r);
  if (kind == PX_FD) return fs_target_fd(k, xfd, NULL, true, pseudo_err, pfd, last);
  if (kind == PX_EXE) return fs_open_exe(k, O_PATH);
  if (kind != PX_NONE) return pseudo_err;
  if (follow) return fs_host_open(k, w.dirfd, w.path, O_PATH | (slash ? O_DIRECTORY : 0), 0);
  /* no-follow: open the object itself without following (a symlink gives
   * an O_PATH fd on the link) */
  e = fs_resolve(k, w.dirfd, w.path, pfd, last, 256, NULL);
  if (e) return e;
  int h = openat(*pfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  e = h < 0 ? -errno : h;
  close(*pfd);
  *pfd = -1;
  return e;
}

static long do_chmod(struct kernel *k, int dirfd, const char *path, unsigned mode, bool follow) {
  int pfd;
  char last[256];
  int h = fs_target_fd(k, dirfd, path, follow, -EPERM, &pfd, last);
  if (h < 0) return h;
  struct stat st;
  int e = fstat(h, &st) ? -errno : 0;
  if (!e && k->read_only) e = -EROFS;
  if (!e && S_ISLNK(st.st_mode)) e = -EOPNOTSUPP;
  if (!e) {
    char b[40];
    long r = syscall(SYS_fchmodat2, h, "", mode & 07777, AT_EMPTY_PATH);
    if (r < 0 && (errno == ENOSYS || errno == EINVAL)) r = chmod(fs_fdpath(h, b), mode & 07777);
    e = r < 0 ? -errno : 0;
  }
  close(h);
  return e;
}

static long do_chown(struct kernel *k, int dirfd, const char *path, uint32_t uid, uint32_t gid,
                     bool follow) {
  int pfd;
  char last[256];
  int h = fs_target_fd(k, dirfd, path, follow, -EPERM, &pfd, last);
  if (h < 0) return h;
  int e = k->read_only ? -EROFS : 0;
  /* the host decides (chown_ok/chgrp_ok): syscall_dispatch installed the
   * task's fsuid/groups as the host's (sys_cred.c), so a guest root may
   * give a file away and another user gets the host's EPERM; when
   * faultline is not root, the host checks faultline's user */
  if (!e && fchownat(h, "", fs_host_uid(k, uid), fs_host_gid(k, gid), AT_EMPTY_PATH)) e = -errno;
  close(h);
  return e;
}

void fs_stamp_times(int hostfd, uint64_t ns, bool atime) {
  struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)}};
  if (atime) ts[0] = ts[1];
  /* a guest allowed to write a file it does not own may not set its
   * times on the host (EPERM): the host's own stamp stays */
  (void)futimens(hostfd, ts);
}

static long do_utimens(struct kernel *k, int dirfd, const char *path, const int64_t *tv /* 4 or NULL */,
                       int flags) {
  struct timespec ts[2];
  uint64_t now = ktime_ns(k);
  for (int i = 0; i < 2; i++) {
    int64_t s = tv ? tv[2 * i] : 0, ns = tv ? tv[2 * i + 1] : UTIME_NOW_;
    if (ns == UTIME_NOW_) { s = (int64_t)(now / 1000000000ull); ns = (int64_t)(now % 1000000000ull); }
    else if (ns != UTIME_OMIT_ && (ns < 0 || ns > 999999999)) return -EINVAL;
    ts[i].tv_sec = (time_t)s;
    ts[i].tv_nsec = (long)ns;
  }
  if (path && !path[0] && (flags & AT_EMPTY_PATH)) path = NULL;
  int pfd;
  char last[256];
  int h = fs_target_fd(k, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), -EPERM, &pfd, last);
  if (h < 0) return h;
  int e = k->read_only ? -EROFS : 0;
  if (!e) {
    int r = utimensat(h, "", ts, AT_EMPTY_PATH);
    if (r < 0 && errno == EINVAL) {
      struct stat st;
      char b[40];
      r = fstat(h, &st) == 0 && !S_ISLNK(st.st_mode) ? utimensat(AT_FDCWD, fs_fdpath(h, b), ts, 0) : -1;
    }
    e = r < 0 ? -errno : 0;
  }
  close(h);
  return e;
}

static long sys_utimensat(struct kernel *k, int dirfd, uint64_t upath, uint64_t utimes, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  char path[FS_PATH_MAX];
  int64_t tv[4];
  if (utimes && copy_from_user(k, tv, utimes, sizeof tv)) return -EFAULT;
  if (upath) {
    long e = get_path(k, upath, path);
    if (e) return e;
  }
  return do_utimens(k, dirfd, upath ? path : NULL, utimes ? tv : NULL, flags);
}

/* utime(2), utimes(2), futimesat(2): seconds (+ microseconds) */
static long sys_utimes_old(struct kernel *k, int dirfd, uint64_t upath, uint64_t ut, bool utimbuf) {
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  int64_t tv[4];
  if (ut) {
    int64_t in[4];
    if (copy_from_user(k, in, ut, utimbuf ? 16 : 32)) return -EFAULT;
    if (utimbuf) { tv[0] = in[0]; tv[1] = 0; tv[2] = in[1]; tv[3] = 0; }
    else {
      if (in[1] < 0 || in[1] >= 1000000 || in[3] < 0 || in[3] >= 1000000) return -EINVAL;
      tv[0] = in[0]; tv[1] = in[1] * 1000; tv[2] = in[2]; tv[3] = in[3] * 1000;
    }
  }
  return do_utimens(k, dirfd, path, ut ? tv : NULL, 0);
}

static long sys_truncate(struct kernel *k, uint64_t upath, int64_t len) {
  if (len < 0) return -EINVAL;
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  if (!path[0]) return -ENOENT;
  struct px r;
  e = fs_lookup(k, AT_FDCWD, path, true, &r);
  if (e) return e;
  struct where w = where_of(&r, AT_FDCWD, path);
  enum px_kind kind = r.kind;
  px_free(&r);
  if (kind != PX_NONE) return kind == PX_DIR ? -EISDIR : -EACCES;
  if (k->read_only) {
    int h = fs_host_open(k, w.dirfd, w.path, O_PATH, 0);
    if (h < 0) return h;
    close(h);
    return -EROFS;
  }
  int h = fs_host_open(k, w.dirfd, w.path, O_WRONLY | O_NONBLOCK, 0);
  if (h < 0) return h;
  struct stat st;
  bool same = !fstat(h, &st) && st.st_size == (off_t)len;
  e = ftruncate(h, (off_t)len) ? -errno : 0;
  if (!e && !same) fs_stamp_times(h, ktime_ns(k), false);
  close(h);
  return e;
}

/* ---- statfs ---- */

struct kstatfs {
  int64_t f_type, f_bsize;
  uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct kstatfs) == 120, "x86-64 struct statfs is 120 bytes");

static long put_statfs(struct kernel *k, uint64_t ubuf, const struct statfs *s) {
  struct kstatfs o;
  memset(&o, 0, sizeof o);
  o.f_type = (int64_t)s->f_type;
  o.f_bsize = (int64_t)s->f_bsize;
  o.f_blocks = (uint64_t)s->f_blocks;
  o.f_bfree = (uint64_t)s->f_bfree;
  o.f_bavail = (uint64_t)s->f_bavail;
  o.f_files = (uint64_t)s->f_files;
  o.f_ffree = (uint64_t)s->f_ffree;
  memcpy(o.f_fsid, &s->f_fsid, sizeof o.f_fsid);
  o.f_namelen = (int64_t)s->f_namelen;
  o.f_frsize = (int64_t)s->f_frsize;
  o.f_flags = (int64_t)s->f_flags | (k->read_only ? ST_RDONLY : 0);
  return copy_to_user(k, ubuf, &o, sizeof o) ? -EFAULT : 0;
}

static void pseudo_statfs(struct statfs *s) {
  memset(s, 0, sizeof *s);
  s->f_type = 0x9fa0;   /* PROC_SUPER_MAGIC */
  s->f_bsize = 4096;
  s->f_namelen = 255;
  s->f_frsize = 4096;
  s->f_flags = ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
}

static long sys_statfs(struct kernel *k, uint64_t upath, uint64_t ubuf) {
  char path[FS_PATH_MAX];
  long e = get_path(k, upath, path);
  if (e) return e;
  int pfd;
  char last[256];
  struct statfs s;
  int h = fs_target_fd(k, AT_FDCWD, path, true, -1000, &pfd, last);
  if (h == -1000) {
    pseudo_statfs(&s);
    return put_statfs(k, ubuf, &s);
  }
  if (h < 0) return h;
  e = fstatfs(h, &s) ? -errno : 0;
  close(h);
  return e ? e : put_statfs(k, ubuf, &s);
}

static long sys_fstatfs(struct kernel *k, int fd, uint64_t ubuf) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  struct statfs s;
  if (g->kind == FDK_PROC) pseudo_statfs(&s);
  else if (fstatfs(g->hostfd, &s)) return -errno;
  return put_statfs(k, ubuf, &s);
}

/* ---- dispatch ---- */

long sys_fsattr(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  char path[FS_PATH_MAX];
  long e;
  switch (nr) {
  case SYS_stat: return sys_newfstatat(k, AT_FDCWD, a[0], a[1], 0);
  case SYS_lstat: return sys_newfstatat(k, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
  case SYS_fstat: return sys_fstat(k, (int)a[0], a[1]);
  case SYS_newfstatat: return sys_newfstatat(k, (int)a[0], a[1], a[2], (int)a[3]);
  case SYS_statx: return sys_statx(k, (int)a[0], a[1], (int)a[2], (unsigned)a[3], a[4]);
  case SYS_readlink: return sys_readlinkat(k, AT_FDCWD, a[0], a[1], (int64_t)(int)a[2]);
  case SYS_readlinkat: return sys_readlinkat(k, (int)a[0], a[1], a[2], (int64_t)(int)a[3]);
  case SYS_access: return sys_faccessat(k, AT_FDCWD, a[0], (int)a[1], 0);
  case SYS_faccessat: return sys_faccessat(k, (int)a[0], a[1], (int)a[2], 0);
  case SYS_faccessat2: return sys_faccessat(k, (int)a[0], a[1], (int)a[2], (int)a[3]);
  case SYS_chmod:
  case SYS_fchmodat:
  case SYS_fchmodat2: {
    int dirfd = nr == SYS_chmod ? AT_FDCWD : (int)a[0];
    uint64_t up = nr == SYS_chmod ? a[0] : a[1];
    unsigned mode = (unsigned)(nr == SYS_chmod ? a[1] : a[2]);
    int fl = nr == SYS_fchmodat2 ? (int)a[3] : 0;
    if (fl & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    if ((e = get_path(k, up, path))) return e;
    if (!path[0] && (fl & AT_EMPTY_PATH)) return do_chmod(k, dirfd, NULL, mode, true);
    return do_chmod(k, dirfd, path, mode, !(fl & AT_SYMLINK_NOFOLLOW));
  }
  case SYS_fchmod: {
    struct gfd *g = gfd_get(k, (int)a[0]);
    if (!g) return -EBADF;
    if (k->read_only) return -EROFS;
    if (g->kind == FDK_PROC) return -EPERM;
    return fchmod(g->hostfd, (mode_t)(a[1] & 07777)) ? -errno : 0;
  }
  case SYS_chown: case SYS_lchown:
    if ((e = get_path(k, a[0], path))) return e;
    return do_chown(k, AT_FDCWD, path, (uint32_t)a[1], (uint32_t)a[2], nr == SYS_chown);
  case SYS_fchown: {
    struct gfd *g = gfd_get(k, (int)a[0]);
    if (!g || (g->flags & O_PATH)) return -EBADF;   /* fchown needs a real open file */
  }
    return do_chown(k, (int)a[0], NULL, (uint32_t)a[1], (uint32_t)a[2], true);
  case SYS_fchownat: {
    int fl = (int)a[4];
    if (fl & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    if ((e = get_path(k, a[1], path))) return e;
    if (!path[0] && (fl & AT_EMPTY_PATH))
      return do_chown(k, (int)a[0], NULL, (uint32_t)a[2], (uint32_t)a[3], true);
    return do_chown(k, (int)a[0], path, (uint32_t)a[2], (uint32_t)a[3], !(fl & AT_SYMLINK_NOFOLLOW));
  }
  case SYS_utimensat: return sys_utimensat(k, (int)a[0], a[1], a[2], (int)a[3]);
  case SYS_utimes: return sys_utimes_old(k, AT_FDCWD, a[0], a[1], false);
  case SYS_futimesat: return sys_utimes_old(k, (int)a[0], a[1], a[2], false);
  case SYS_utime: return sys_utimes_old(k, AT_FDCWD, a[0], a[1], true);
  case SYS_truncate: return sys_truncate(k, a[0], (int64_t)a[1]);
  case SYS_statfs: return sys_statfs(k, a[0], a[1]);
  case SYS_fstatfs: return sys_fstatfs(k, (int)a[0], a[1]);
  default:
    return sys_xattr(k, nr, a, handled);
  }
}
