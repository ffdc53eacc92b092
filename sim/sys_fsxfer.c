/* Copies the kernel does between descriptors, and eventfd.
 *
 * sendfile and copy_file_range move data through fs_read_host and
 * fs_write_host, the same paths as read and pwrite, so the page cache
 * stays the one truth for file contents (shared mappings are written
 * back before a read; a write reaches the cached pages).
 *
 * eventfd is the host's own eventfd: the counter, EFD_SEMAPHORE and the
 * 8-byte rules are the host kernel's, and a read that would wait parks the
 * task like a pipe read (BLK_FD). */
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint8_t xfer_buf[FS_BOUNCE];

/* sendfile(2): out may be any writable fd (a socket, a pipe, a file);
 * a full pipe parks the task when nothing moved yet. */
static long sys_sendfile(struct kernel *k, int out, int in, uint64_t uoff, uint64_t count) {
  struct gfd *gi = gfd_get(k, in), *go = gfd_get(k, out);
  if (!gi || !go) return -EBADF;
  if ((gi->flags & O_ACCMODE) == O_WRONLY || (go->flags & O_ACCMODE) == O_RDONLY) return -EBADF;
  if (go->flags & O_APPEND) return -EINVAL;
  int64_t off = -1;
  if (uoff) {
    if (copy_from_user(k, &off, uoff, 8)) return -EFAULT;
    if (off < 0) return -EINVAL;
  }
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  uint64_t total = 0;
  long err = 0;
  while (total < count) {
    size_t want = count - total < FS_BOUNCE ? (size_t)(count - total) : FS_BOUNCE;
    long r = fs_read_host(k, in, xfer_buf, want, uoff ? off + (int64_t)total : -1);
    if (r <= 0) { err = r; break; }
    long w = fs_write_host(k, out, xfer_buf, (size_t)r, -1);
    if (w == FS_WOULD_BLOCK || w < r) {
      /* give back what was read and not written */
      long back = w == FS_WOULD_BLOCK || w < 0 ? r : r - w;
      if (!uoff && gi->hostfd >= 0) lseek(gi->hostfd, -(off_t)back, SEEK_CUR);
      if (w == FS_WOULD_BLOCK) {
        if (total) break;
        fs_park_on_fd(k, go->hostfd, POLLOUT);     /* nothing moved: re-run later */
        return 0;
      }
      if (w < 0) { err = w; break; }
    }
    total += (uint64_t)w;
    if (w < r || (size_t)r < want || !fs_more_ready(gi)) break;
  }
  if (uoff) {
    int64_t no = off + (int64_t)total;
    if (copy_to_user(k, uoff, &no, 8)) return -EFAULT;
  }
  return total ? (long)total : err;
}

static long get_off(struct kernel *k, uint64_t uoff, int hostfd, int64_t *off) {
  if (!uoff) {
    *off = lseek(hostfd, 0, SEEK_CUR);
    return *off < 0 ? -errno : 0;
  }
  if (copy_from_user(k, off, uoff, 8)) return -EFAULT;
  return *off < 0 ? -EINVAL : 0;
}

/* copy_file_range(2) between regular files, with Linux's checks
 * (generic_copy_file_checks): readable in, writable out without
 * O_APPEND, no flags, no overlap within one file. */
static long sys_copy_file_range(struct kernel *k, int in, uint64_t uoff_in, int out,
                                uint64_t uoff_out, uint64_t len, uint64_t flags) {
  struct gfd *gi = gfd_get(k, in), *go = gfd_get(k, out);
  if (!gi || !go) return -EBADF;
  if (flags) return -EINVAL;
  if ((gi->flags & O_ACCMODE) == O_WRONLY || (go->flags & O_ACCMODE) == O_RDONLY ||
      (go->flags & O_APPEND) || (gi->flags & O_PATH) || (go->flags & O_PATH))
    return -EBADF;
  if (gi->kind != FDK_HOST || go->kind != FDK_HOST || gi->procbuf || go->procbuf) return -EINVAL;
  struct stat si, so;
  if (fstat(gi->hostfd, &si) || fstat(go->hostfd, &so)) return -errno;
  if (S_ISDIR(si.st_mode) || S_ISDIR(so.st_mode)) return -EISDIR;
  if (!S_ISREG(si.st_mode) || !S_ISREG(so.st_mode)) return -EINVAL;
  int64_t oi, oo;
  long e = get_off(k, uoff_in, gi->hostfd, &oi);
  if (!e) e = get_off(k, uoff_out, go->hostfd, &oo);
  if (e) return e;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  if ((uint64_t)oi + len < (uint64_t)oi || (uint64_t)oo + len < (uint64_t)oo) return -EOVERFLOW;
  if (si.st_dev == so.st_dev && si.st_ino == so.st_ino && oi < oo + (int64_t)len &&
      oo < oi + (int64_t)len)
    return -EINVAL;
  uint64_t total = 0;
  long err = 0;
  while (total < len) {
    size_t want = len - total < FS_BOUNCE ? (size_t)(len - total) : FS_BOUNCE;
    long r = fs_read_host(k, in, xfer_buf, want, oi + (int64_t)total);
    if (r <= 0) { err = r; break; }
    long w = fs_write_host(k, out, xfer_buf, (size_t)r, oo + (int64_t)total);
    if (w < 0) { err = w; break; }
    total += (uint64_t)w;
    if (w < r || (size_t)r < want) break;
  }
  int64_t ni = oi + (int64_t)total, no = oo + (int64_t)total;
  if (uoff_in ? copy_to_user(k, uoff_in, &ni, 8) != 0 : lseek(gi->hostfd, ni, SEEK_SET) < 0) return -EFAULT;
  if (uoff_out ? copy_to_user(k, uoff_out, &no, 8) != 0 : lseek(go->hostfd, no, SEEK_SET) < 0) return -EFAULT;
  return total ? (long)total : err;
}

static long sys_eventfd2(struct kernel *k, uint64_t initval, uint64_t flags) {
  if (flags & ~(uint64_t)(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK)) return -EINVAL;
  int h = eventfd((unsigned)initval, (int)(flags & (EFD_SEMAPHORE | EFD_NONBLOCK)) | EFD_CLOEXEC);
  if (h < 0) return -errno;
  return gfd_install(k, 0, FDK_HOST, h, O_RDWR | (int)(flags & EFD_NONBLOCK),
                     (flags & EFD_CLOEXEC) != 0, EVENTFD_PATH);
}

long fs_sys_xfer(struct kernel *k, int nr, const uint64_t a[6]) {
  switch (nr) {
  case SYS_sendfile: return sys_sendfile(k, (int)a[0], (int)a[1], a[2], a[3]);
  case SYS_copy_file_range:
    return sys_copy_file_range(k, (int)a[0], a[1], (int)a[2], a[3], a[4], a[5]);
  case SYS_eventfd: return sys_eventfd2(k, a[0], 0);
  default: return sys_eventfd2(k, a[0], a[1]);
  }
}
