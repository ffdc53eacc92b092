/* Extended attributes: getxattr, setxattr, listxattr, removexattr and
 * their l* (the link itself) and f* (an open file) forms, answered by the
 * host's file system for the guest's file (the host's rules for
 * namespaces, sizes and permissions: it checks as the guest's
 * credentials, sys_cred.c).  The path forms reach the file through the
 * O_PATH descriptor that path resolution (confined under --root) gives,
 * as /proc/self/fd/N; the l* forms on a symbolic link reach the link
 * by its host path (the host then answers as Linux does: no user.*
 * attributes on links, trusted.* for root).  --read-only refuses set and
 * remove (EROFS). */
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XATTR_NAME_MAX_ 255
#define XATTR_SIZE_MAX_ 65536
#define XATTR_LIST_MAX_ 65536

static uint8_t xbuf[XATTR_SIZE_MAX_];

enum xop { X_GET, X_SET, X_LIST, X_REMOVE };

static long get_name(struct kernel *k, uint64_t uname, char name[XATTR_NAME_MAX_ + 1]) {
  long l = strncpy_from_user(k, name, uname, XATTR_NAME_MAX_ + 1);
  if (l == -ENAMETOOLONG) return -ERANGE;
  if (l < 0) return l;
  return l == 0 ? -ERANGE : 0;
}

/* one operation on host fd h (an open file, or an O_PATH fd reached as
 * /proc/self/fd/N) */
static long xattr_host(struct kernel *k, enum xop op, int h, bool opath, const char *name,
                       uint64_t uval, uint64_t size, int flags) {
  char p[40];
  const char *path = opath ? fs_fdpath(h, p) : NULL;
  ssize_t r;
  switch (op) {
  case X_GET: {
    size_t n = size > XATTR_SIZE_MAX_ ? XATTR_SIZE_MAX_ : (size_t)size;
    r = path ? getxattr(path, name, n ? xbuf : NULL, n) : fgetxattr(h, name, n ? xbuf : NULL, n);
    if (r < 0) return -errno;
    if (n && copy_to_user(k, uval, xbuf, (size_t)r)) return -EFAULT;
    return r;
  }
  case X_LIST: {
    size_t n = size > XATTR_LIST_MAX_ ? XATTR_LIST_MAX_ : (size_t)size;
    r = path ? listxattr(path, n ? (char *)xbuf : NULL, n) : flistxattr(h, n ? (char *)xbuf : NULL, n);
    if (r < 0) return -errno;
    if (n && copy_to_user(k, uval, xbuf, (size_t)r)) return -EFAULT;
    return r;
  }
  case X_SET:
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -EINVAL;
    if (size > XATTR_SIZE_MAX_) return -E2BIG;
    if (size && copy_from_user(k, xbuf, uval, (size_t)size)) return -EFAULT;
    if (k->read_only) return -EROFS;
    r = path ? setxattr(path, name, xbuf, (size_t)size, flags) : fsetxattr(h, name, xbuf, (size_t)size, flags);
    return r < 0 ? -errno : 0;
  default:
    if (k->read_only) return -EROFS;
    r = path ? removexattr(path, name) : fremovexattr(h, name);
    return r < 0 ? -errno : 0;
  }
}

/* the l* calls on a symbolic link's own host path */
static long link_xattr(struct kernel *k, enum xop op, const char *hp, const char *name, uint64_t uval,
                       uint64_t size, int flags) {
  ssize_t r;
  size_t n = size > XATTR_SIZE_MAX_ ? XATTR_SIZE_MAX_ : (size_t)size;
  switch (op) {
  case X_GET:
    r = lgetxattr(hp, name, n ? xbuf : NULL, n);
    if (r > 0 && n && copy_to_user(k, uval, xbuf, (size_t)r)) return -EFAULT;
    return r < 0 ? -errno : r;
  case X_LIST:
    r = llistxattr(hp, n ? (char *)xbuf : NULL, n);
    if (r > 0 && n && copy_to_user(k, uval, xbuf, (size_t)r)) return -EFAULT;
    return r < 0 ? -errno : r;
  case X_SET:
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -EINVAL;
    if (size > XATTR_SIZE_MAX_) return -E2BIG;
    if (size && copy_from_user(k, xbuf, uval, (size_t)size)) return -EFAULT;
    if (k->read_only) return -EROFS;
    return lsetxattr(hp, name, xbuf, (size_t)size, flags) ? -errno : 0;
  default:
    if (k->read_only) return -EROFS;
    return lremovexattr(hp, name) ? -errno : 0;
  }
}

static long xattr_path(struct kernel *k, enum xop op, bool follow, const uint64_t a[6]) {
  char path[FS_PATH_MAX], name[XATTR_NAME_MAX_ + 1] = "";
  long e = get_path(k, a[0], path);
  if (e) return e;
  if (op != X_LIST && (e = get_name(k, a[1], name))) return e;
  int pfd;
  char last[256];
  int h = fs_target_fd(k, AT_FDCWD, path, follow, -EOPNOTSUPP, &pfd, last);
  if (h < 0) return h;
  struct stat st;
  long r;
  if (!follow && !fstat(h, &st) && S_ISLNK(st.st_mode)) {
    /* the link itself: the l* call on its host path (read back from the
     * descriptor resolution gave, so it stays the confined object; no
     * other guest code runs in between) */
    char p[40], hp[FS_PATH_MAX];
    ssize_t n = readlink(fs_fdpath(h, p), hp, sizeof hp - 1);
    close(h);
    if (n <= 0) return -ENOENT;
    hp[n] = 0;
    r = link_xattr(k, op, hp, op == X_LIST ? NULL : name, op == X_LIST ? a[1] : a[2],
                   op == X_LIST ? a[2] : a[3], (int)a[4]);
    return r;
  }
  r = op == X_LIST ? xattr_host(k, op, h, true, NULL, a[1], a[2], 0)
                   : xattr_host(k, op, h, true, name, a[2], a[3], (int)a[4]);
  close(h);
  return r;
}

static long xattr_fd(struct kernel *k, enum xop op, const uint64_t a[6]) {
  struct gfd *g = gfd_get(k, (int)a[0]);
  if (!g || (g->flags & O_PATH)) return -EBADF;
  char name[XATTR_NAME_MAX_ + 1] = "";
  long e;
  if (op != X_LIST && (e = get_name(k, a[1], name))) return e;
  if (g->kind == FDK_PROC || g->hostfd < 0) return op == X_LIST ? 0 : -EOPNOTSUPP;
  return op == X_LIST ? xattr_host(k, op, g->hostfd, false, NULL, a[1], a[2], 0)
                      : xattr_host(k, op, g->hostfd, false, name, a[2], a[3], (int)a[4]);
}

long sys_xattr(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_getxattr: return xattr_path(k, X_GET, true, a);
  case SYS_lgetxattr: return xattr_path(k, X_GET, false, a);
  case SYS_fgetxattr: return xattr_fd(k, X_GET, a);
  case SYS_setxattr: return xattr_path(k, X_SET, true, a);
  case SYS_lsetxattr: return xattr_path(k, X_SET, false, a);
  case SYS_fsetxattr: return xattr_fd(k, X_SET, a);
  case SYS_listxattr: return xattr_path(k, X_LIST, true, a);
  case SYS_llistxattr: return xattr_path(k, X_LIST, false, a);
  case SYS_flistxattr: return xattr_fd(k, X_LIST, a);
  case SYS_removexattr: return xattr_path(k, X_REMOVE, true, a);
  case SYS_lremovexattr: return xattr_path(k, X_REMOVE, false, a);
  case SYS_fremovexattr: return xattr_fd(k, X_REMOVE, a);
  default:
    *handled = false;
    return -ENOSYS;
  }
}
