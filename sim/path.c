/* Guest paths: the guest cwd, --root confinement, and the modelled /proc.
 *
 * Guest paths are relative to the guest cwd (k->tg->fs->cwd, a guest-visible
 * absolute path) or to a guest directory fd, or absolute.  Without --root
 * they go to the host as they are (like qemu-user).  With --root DIR,
 * DIR is the guest's "/": every lookup starts at k->rootfd and resolves
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so ".." stops at
 * DIR and absolute symlinks resolve inside it; where openat2 is missing
 * (ENOSYS, or a seccomp filter's EPERM) a user-space resolver walks the
 * path component by component with O_PATH|O_NOFOLLOW, reading symlinks
 * itself (FAULTLINE_NO_OPENAT2=1 forces it, for tests).
 *
 * /proc (procfs.c: /proc/self, /proc/thread-self, every guest process's
 * /proc/<pid>, /proc/sys, /proc/sysvipc ...) is served by the model before
 * any host lookup, in both modes; /proc/<pid>/mem, pagemap, /proc/kcore
 * and /proc/<faultline's pid> are refused with EACCES, /proc paths the
 * model does not have do not exist.  As a second line of defence no host
 * descriptor on procfs is ever handed to the guest (a symlink into the
 * host's /proc gives EACCES). */
#include "sim/fs_priv.h"
#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif


const char *fs_fdpath(int hostfd, char buf[40]) {
  snprintf(buf, 40, "/proc/self/fd/%d", hostfd);
  return buf;
}

bool fs_is_host_proc(int hostfd) {
  struct statfs sf;
  return fstatfs(hostfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}



/* ---- lexical paths ---- */

/* out = normalize(base + "/" + path) (base ignored for absolute paths):
 * no ".", "..", or repeated slashes; "/" for the root. */
int fs_norm_path(const char *base, const char *path, char *out, size_t n) {
  char tmp[2 * FS_PATH_MAX + 2];
  size_t bl = path[0] == '/' ? 0 : strlen(base), pl = strlen(path);
  if (bl + pl + 2 > sizeof tmp) return -ENAMETOOLONG;
  if (bl) { memcpy(tmp, base, bl); tmp[bl++] = '/'; }
  memcpy(tmp + bl, path, pl + 1);
  size_t o = 0;
  const char *p = tmp;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *e = p;
    while (*e && *e != '/') e++;
    size_t cl = (size_t)(e - p);
    if (cl == 1 && p[0] == '.') {
      /* nothing */
    } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 0 && out[o - 1] != '/') o--;
      if (o > 0) o--;               /* drop the slash too */
    } else {
      if (o + 1 + cl + 1 > n) return -ENAMETOOLONG;
      out[o++] = '/';
      memcpy(out + o, p, cl);
      o += cl;
    }
    p = e;
  }
  if (o == 0) out[o++] = '/';
  out[o] = 0;
  return 0;
}

/* out = base + "/" + path, unnormalized (".." next to symlinks must keep
 * its physical meaning when the host resolves it). */
static int join_path(const char *base, const char *path, char *out, size_t n) {
  int r = path[0] == '/' ? snprintf(out, n, "%s", path) : snprintf(out, n, "%s/%s", base, path);
  return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

static bool has_trailing_slash(const char *p) {
  size_t l = strlen(p);
  return l > 0 && p[l - 1] == '/';
}

/* ---- host paths <-> guest paths ---- */

/* Host path of --root (asked each time: cheap, and never stale). */
static const char *root_host_path(struct kernel *k, char *buf, size_t n) {
  char b[40];
  ssize_t l = readlink(fs_fdpath(k->rootfd, b), buf, n - 1);
  buf[l > 0 ? l : 0] = 0;
  return buf;
}

int fs_host_fd_guest_path(struct kernel *k, int hostfd, char *out, size_t n) {
  char b[40], hp[FS_PATH_MAX];
  ssize_t l = readlink(fs_fdpath(hostfd, b), hp, sizeof hp - 1);
  if (l <= 0) return -ENOENT;
  hp[l] = 0;
  if (hp[0] != '/' || k->rootfd < 0) {
    if ((size_t)l >= n) return -ENAMETOOLONG;
    memcpy(out, hp, (size_t)l + 1);
    return 0;
  }
  char rbuf[FS_PATH_MAX];
  const char *rr = root_host_path(k, rbuf, sizeof rbuf);
  size_t rl = strlen(rr);
  if (!rl) return -ENOENT;
  const char *rest;
  if (!strcmp(rr, "/")) rest = hp;
  else if (!strncmp(hp, rr, rl) && (hp[rl] == 0 || hp[rl] == '/')) rest = hp[rl] ? hp + rl : "/";
  else return -EXDEV;
  if (strlen(rest) >= n) return -ENAMETOOLONG;
  strcpy(out, rest);
  return 0;
}

int fs_fd_guest_path(struct kernel *k, int fd, char *out, size_t n) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_HOST && g->hostfd >= 0) {
    int r = fs_host_fd_guest_path(k, g->hostfd, out, n);
    if (r == 0 && out[0] == '/') return 0;
    if (r == -EXDEV) return r;
  }
  if (!g->path[0] || g->path[0] != '/') return -ENOENT;
  if (strlen(g->path) >= n) return -ENAMETOOLONG;
  strcpy(out, g->path);
  return 0;
}

/* Guest-absolute path of the directory a relative path starts from. */
int fs_base_dir(struct kernel *k, int dirfd, char *out, size_t n) {
  if (dirfd == AT_FDCWD) {
    if (strlen(k->tg->fs->cwd) >= n) return -ENAMETOOLONG;
    strcpy(out, k->tg->fs->cwd[0] ? k->tg->fs->cwd : "/");
    return 0;
  }
  struct gfd *g = gfd_get(k, dirfd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PROC) {
    if (!(g->flags & O_DIRECTORY)) return -ENOTDIR;
  } else if (g->kind != FDK_HOST) {
    return -ENOTDIR;
  } else {
    struct stat st;
    if (fstat(g->hostfd, &st) == 0 && !S_ISDIR(st.st_mode)) return -ENOTDIR;
  }
  int r = fs_fd_guest_path(k, dirfd, out, n);
  return r == -EXDEV ? -ENOENT : r;
}

/* ---- host opens ---- */

static int openat2_state = -1;  /* -1 unknown, 0 unavailable, 1 usable */

static long raw_openat2(int dirfd, const char *p, int flags, int mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned)flags;
  how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? (uint64_t)(mode & 07777) : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long r;
  int tries = 0;
  do r = syscall(SYS_openat2, dirfd, p, &how, sizeof how);
  while (r < 0 && errno == EAGAIN && ++tries < 16);   /* concurrent rename */
  return r < 0 ? -errno : r;
}

static bool use_openat2(struct kernel *k) {
  if (openat2_state < 0) {
    const char *e = getenv("FAULTLINE_NO_OPENAT2");
    if (e && *e && strcmp(e, "0")) {
      openat2_state = 0;
    } else {
      long r = raw_openat2(k->rootfd, ".", O_PATH | O_CLOEXEC, 0);
      if (r >= 0) close((int)r);
      openat2_state = r >= 0 || (r != -ENOSYS && r != -EPERM && r != -EINVAL) ? 1 : 0;
    }
  }
  return openat2_state == 1;
}

/* User-space RESOLVE_IN_ROOT: walk `path` from rootfd component by
 * component; symlinks are read and spliced in (absolute ones restart at
 * the root), ".." never goes above the root, at most FS_MAX_LINKS links. */
static int walk_in_root(int rootfd, const char *path, int flags, int mode) {
  static char rest[2 * FS_PATH_MAX + 4], tmp[2 * FS_PATH_MAX + 4];
  if (strlen(path) >= sizeof rest) return -ENAMETOOLONG;
  strcpy(rest, path);
  bool follow_last = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
  int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) return -errno;
  int depth = 0, links = 0, r;
  char *p = rest;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) {                       /* the path names `cur` itself */
      if (flags & O_CREAT) { close(cur); return -EISDIR; }
      r = openat(cur, ".", flags & ~O_NOFOLLOW, 0);
      r = r < 0 ? -errno : r;
      close(cur);
      return r;
    }
    char *e = strchr(p, '/');
    size_t cl = e ? (size_t)(e - p) : strlen(p);
    if (cl > 255) { close(cur); return -ENAMETOOLONG; }
    char comp[256];
    memcpy(comp, p, cl);
    comp[cl] = 0;
    char *q = p + cl;
    while (*q == '/') q++;
    bool last = *q == 0, slash = last && e != NULL;
    p = q;
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) {
      if (depth > 0) {
        int n = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (n < 0) { r = -errno; close(cur); return r; }
        close(cur);
        cur = n;
        depth--;
      }
      continue;
    }
    if (last && !slash && !follow_last) {
      r = openat(cur, comp, flags | O_NOFOLLOW, mode);
      r = r < 0 ? -errno : r;
      close(cur);
      return r;
    }
    int n = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (n < 0) {
      r = -errno;
      if (r == -ENOENT && last && !slash && (flags & O_CREAT)) {
        r = openat(cur, comp, flags | O_NOFOLLOW, mode);
        r = r < 0 ? -errno : r;
      }
      close(cur);
      return r;
    }
    struct stat st;
    if (fstat(n, &st)) { r = -errno; close(n); close(cur); return r; }
    if (S_ISLNK(st.st_mode)) {
      char tgt[FS_PATH_MAX];
      ssize_t tl = ++links > FS_MAX_LINKS ? -1 : readlinkat(n, "", tgt, sizeof tgt - 1);
      r = links > FS_MAX_LINKS ? -ELOOP : -errno;
      close(n);
      if (tl < 0) { close(cur); return r; }
      if (tl == 0) { close(cur); return -ENOENT; }
      tgt[tl] = 0;
      int w = snprintf(tmp, sizeof tmp, "%s%s%s", tgt, last ? (slash ? "/" : "") : "/", p);
      if (w < 0 || (size_t)w >= sizeof tmp) { close(cur); return -ENAMETOOLONG; }
      strcpy(rest, tmp);
      p = rest;
      if (tgt[0] == '/') {
        close(cur);
        cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0) return -errno;
        depth = 0;
      }
      continue;
    }
    if (!last || slash) {
      if (!S_ISDIR(st.st_mode)) { close(n); close(cur); return -ENOTDIR; }
      close(cur);
      cur = n;
      depth++;
      continue;
    }
    close(n);
    r = openat(cur, comp, flags | O_NOFOLLOW, mode);   /* swapped for a link: ELOOP */
    r = r < 0 ? -errno : r;
    close(cur);
    return r;
  }
}

int fs_host_open(struct kernel *k, int dirfd, const char *path, int flags, int mode) {
  if (!path[0]) return -ENOENT;
  flags &= FS_OPEN_FLAGS_OK;
  if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW;
  flags |= O_CLOEXEC | O_NOCTTY;
  if (flags & O_PATH) flags &= ~O_NOCTTY;
  bool creat = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  mode_t um = 0;
  if (creat) {
    mode = (int)((mode_t)mode & 07777 & ~fs_umask(k));
    um = umask(0);      /* the guest's umask applies, not faultline's */
  }
  int fd;
  if (k->rootfd < 0) {
    if (path[0] == '/' || dirfd == AT_FDCWD) {
      char full[2 * FS_PATH_MAX + 2];
      fd = join_path(k->tg->fs->cwd[0] ? k->tg->fs->cwd : "/", path, full, sizeof full);
      if (fd == 0) { fd = openat(AT_FDCWD, full, flags, mode); if (fd < 0) fd = -errno; }
    } else {
      struct gfd *g = gfd_get(k, dirfd);
      if (!g) fd = -EBADF;
      else if (g->kind == FDK_HOST) { fd = openat(g->hostfd, path, flags, mode); if (fd < 0) fd = -errno; }
      else if (g->kind == FDK_PROC) fd = -ENOENT;   /* pseudo dirs hold pseudo files only */
      else fd = -ENOTDIR;
    }
  } else {
    char base[FS_PATH_MAX], full[2 * FS_PATH_MAX + 2];
    fd = path[0] == '/' ? 0 : fs_base_dir(k, dirfd, base, sizeof base);
    if (fd == 0) fd = join_path(path[0] == '/' ? "" : base, path, full, sizeof full);
    if (fd == 0)
      fd = use_openat2(k) ? (int)raw_openat2(k->rootfd, full, flags, mode)
                          : walk_in_root(k->rootfd, full, flags, mode);
  }
  if (creat) umask(um);
  if (fd >= 0 && fs_is_host_proc(fd)) {
    close(fd);
    return -EACCES;
  }
  return fd;
}

bool fs_is_proc_path(const char *g) {
  return !strcmp(g, "/proc") || !strncmp(g, "/proc/", 6);
}

int fs_resolve(struct kernel *k, int dirfd, const char *path, int *pfd, char *last,
               size_t lastlen, bool *slash) {
  *pfd = -1;
  if (!path[0]) return -ENOENT;
  char g[FS_PATH_MAX], base[FS_PATH_MAX];
  int r = 0;
  if (path[0] != '/') r = fs_base_dir(k, dirfd, base, sizeof base);
  if (r) return r;
  r = fs_norm_path(path[0] == '/' ? "/" : base, path, g, sizeof g);
  if (r) return r;
  if (fs_is_proc_path(g)) return -EACCES;
  char d[FS_PATH_MAX];
  size_t l = strlen(path);
  if (l >= sizeof d) return -ENAMETOOLONG;
  memcpy(d, path, l + 1);
  bool sl = false;
  while (l > 1 && d[l - 1] == '/') { d[--l] = 0; sl = true; }
  if (slash) *slash = sl;
  char *s = strrchr(d, '/');
  const char *name = s ? s + 1 : d;
  int fd;
  if (!strcmp(d, "/") || !strcmp(name, ".") || !strcmp(name, "..")) {
    fd = fs_host_open(k, dirfd, d, O_PATH | O_DIRECTORY, 0);
    name = ".";
  } else {
    if (strlen(name) > 255) return -ENAMETOOLONG;
    if (s == d) fd = fs_host_open(k, dirfd, "/", O_PATH | O_DIRECTORY, 0);
    else if (s) { *s = 0; fd = fs_host_open(k, dirfd, d, O_PATH | O_DIRECTORY, 0); *s = '/'; }
    else fd = fs_host_open(k, dirfd, ".", O_PATH | O_DIRECTORY, 0);
  }
  if (fd < 0) return fd;
  if (strlen(name) >= lastlen) { close(fd); return -ENAMETOOLONG; }
  strcpy(last, name);
  *pfd = fd;
  return 0;
}

int fs_lookup(struct kernel *k, int dirfd, const char *path, bool follow, struct px *r) {
  memset(r, 0, sizeof *r);
  r->kind = PX_NONE;
  if (!path[0]) return -ENOENT;
  static char raw[2 * FS_PATH_MAX + 2], nraw[2 * FS_PATH_MAX + 2];
  char g[FS_PATH_MAX], base[FS_PATH_MAX], tgt[FS_PATH_MAX];
  int e = 0;
  if (path[0] != '/') e = fs_base_dir(k, dirfd, base, sizeof base);
  if (e) return e;
  e = join_path(path[0] == '/' ? "" : base, path, raw, sizeof raw);
  if (e) return e;
  bool slash = has_trailing_slash(path);
  int hops = 0;
  for (;;) {
    /* walk raw component by component; a pseudo link in the middle is
     * crossed before any ".." after it applies, as Linux does */
    size_t gl = 0;
    const char *p = raw;
    bool crossed = false;
    for (;;) {
      while (*p == '/') p++;
      if (!*p) break;
      const char *ce = p;
      while (*ce && *ce != '/') ce++;
      size_t cl = (size_t)(ce - p);
      if (cl == 1 && p[0] == '.') { p = ce; continue; }
      if (cl == 2 && p[0] == '.' && p[1] == '.') {
        while (gl > 0 && g[gl - 1] != '/') gl--;
        if (gl > 0) gl--;
        p = ce;
        continue;
      }
      if (gl + 1 + cl + 1 > sizeof g) return -ENAMETOOLONG;
      g[gl++] = '/';
      memcpy(g + gl, p, cl);
      gl += cl;
      g[gl] = 0;
      p = ce;
      const char *q = p;
      while (*q == '/') q++;
      if (!*q) break;                       /* last component: fs_proc_walk */
      if (g[1] != 'p' && g[1] != 'd') continue;
      e = fs_proc_link_node(k, g, tgt, sizeof tgt);
      if (e < 0) return e;
      if (e == 1) {
        if (++hops > FS_MAX_LINKS) return -ELOOP;
        int w = snprintf(nraw, sizeof nraw, "%s/%s", tgt, q);
        if (w < 0 || (size_t)w >= sizeof nraw) return -ENAMETOOLONG;
        strcpy(raw, nraw);
        crossed = true;
        break;
      }
    }
    if (crossed) continue;
    if (gl == 0) { g[0] = '/'; g[1] = 0; }
    e = fs_proc_walk(k, g, slash, follow, r);
    if (e) { px_free(r); return e; }
    if (r->kind != PX_REDIRECT) {
      if (hops > 0 && r->kind == PX_NONE) {
        /* crossed a /proc link into the real tree: resolve what it names */
        r->use_gpath = true;
        if (strlen(raw) >= sizeof r->gpath) { px_free(r); return -ENAMETOOLONG; }
        strcpy(r->gpath, raw);
      }
      return 0;
    }
    if (++hops > FS_MAX_LINKS) return -ELOOP;
    slash = has_trailing_slash(r->target);
    snprintf(raw, sizeof raw, "%s", r->target);
  }
}

/* ---- the public API (kernel.h) ---- */

static int memfd_with(const char *buf, size_t len) {
  int fd = (int)syscall(SYS_memfd_create, "faultline-proc", 1u /* MFD_CLOEXEC */);
  if (fd < 0) return -errno;
  size_t o = 0;
  while (o < len) {
    ssize_t w = write(fd, buf + o, len - o);
    if (w <= 0) { close(fd); return -EIO; }
    o += (size_t)w;
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

int path_open(struct kernel *k, int dirfd, const char *path, int flags, int mode) {
  if (k->read_only && !(flags & O_PATH) &&
      ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
       (flags & O_TMPFILE) == O_TMPFILE))
    return -EROFS;
  struct px r;
  int e = fs_lookup(k, dirfd, path, !(flags & O_NOFOLLOW), &r);
  if (e) return e;
  int fd;
  switch (r.kind) {
  case PX_NONE:
    fd = r.use_gpath ? fs_host_open(k, AT_FDCWD, r.gpath, flags, mode)
                     : fs_host_open(k, dirfd, path, flags, mode);
    break;
  case PX_EXE: fd = fs_open_exe(k, flags); break;
  case PX_FD: fd = fs_reopen_fd(k, r.fd, flags); break;
  case PX_FILE:
    fd = r.deny_open || r.live || (flags & O_ACCMODE) != O_RDONLY ? -EACCES
         : (flags & O_DIRECTORY) ? -ENOTDIR : memfd_with(r.buf, r.len);
    break;
  case PX_LINK: fd = (flags & O_PATH) ? -EACCES : -ELOOP; break;
  default: fd = -EACCES; break;   /* pseudo directories have no host fd */
  }
  px_free(&r);
  return fd;
}

int path_resolve(struct kernel *k, int dirfd, const char *path, int *dirfd_out, char *rel,
                 size_t rellen) {
  bool slash;
  return fs_resolve(k, dirfd, path, dirfd_out, rel, rellen, &slash);
}
