/* Weak placeholders while sys_fs.c / path.c / fd.c land (removed then). */
#include "sim/kernel.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
__attribute__((weak)) void fds_init(struct kernel *k) {
  for (int i = 0; i < 3; i++) { k->fds[i].kind = FDK_HOST; k->fds[i].hostfd = fcntl(i, F_DUPFD_CLOEXEC, 10); }
}
__attribute__((weak)) int path_open(struct kernel *k, int dirfd, const char *path, int flags, int mode) {
  int fd = openat(dirfd, path, flags, mode);
  return fd < 0 ? -errno : fd;
}
__attribute__((weak)) long sys_fs(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  if (nr == SYS_write || nr == SYS_read) {
    if (a[0] >= MAX_FDS || k->fds[a[0]].kind == FDK_NONE) return -EBADF;
    char buf[65536];
    size_t n = a[2] > sizeof buf ? sizeof buf : a[2];
    if (nr == SYS_write) {
      if (copy_from_user(k, buf, a[1], n)) return -EFAULT;
      ssize_t r = write(k->fds[a[0]].hostfd, buf, n);
      return r < 0 ? -errno : r;
    }
    ssize_t r = read(k->fds[a[0]].hostfd, buf, n);
    if (r < 0) return -errno;
    if (copy_to_user(k, a[1], buf, (size_t)r)) return -EFAULT;
    return r;
  }
  *handled = false;
  return -ENOSYS;
}
