/* File-system syscalls, descriptor side: read/write and their vector and
 * positional forms, lseek, close, dup, pipe, fcntl, ioctl, getdents,
 * (poll/select: sys_fspoll.c; sendfile, copy_file_range, eventfd: sys_fsxfer.c).  Path-based calls are in sys_fsmeta.c and
 * sys_fsattr.c, resolution and /proc in path.c and procfs.c.
 *
 * Every guest buffer moves through copy_from_user / copy_to_user in
 * chunks of at most FS_BOUNCE bytes (a huge count never makes us allocate
 * more), and a bad pointer gives -EFAULT (or the count done so far, as
 * Linux returns a partial transfer).  Directory listings are served from
 * a snapshot sorted by name, so the guest sees the same order on every
 * host for the same directory contents.
 *
 * Blocking: with the process model active (k->cur), a read, write or
 * poll that would wait on a pipe, tty or socket parks the task on the
 * host descriptor (BLK_FD, the syscall re-runs when it is ready) so the
 * other guest processes run meanwhile; the host never blocks there.
 * Without it the host call blocks as it would natively. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define UIO_MAXIOV 1024

static uint8_t bounce[FS_BOUNCE];

/* ---- partial user copies: the longest prefix that does not fault ---- */
size_t fs_copy_in_prefix(struct kernel *k, void *dst, uint64_t uva, size_t n) {
  size_t done = 0;
  while (done < n) {
    size_t c = PAGE - ((uva + done) & (PAGE - 1));
    if (c > n - done) c = n - done;
    if (copy_from_user(k, (uint8_t *)dst + done, uva + done, c)) break;
    done += c;
  }
  return done;
}

size_t fs_copy_out_prefix(struct kernel *k, uint64_t uva, const void *src, size_t n) {
  if (copy_to_user(k, uva, src, n) == 0) return n;   /* the common case */
  size_t done = 0;
  while (done < n) {
    size_t c = PAGE - ((uva + done) & (PAGE - 1));
    if (c > n - done) c = n - done;
    if (copy_to_user(k, uva + done, (const uint8_t *)src + done, c)) break;
    done += c;
  }
  return done;
}

/* EPIPE: SIGPIPE for the writer (send_sig(SIGPIPE, current, 0)). */
void fs_sigpipe(struct kernel *k) {
  if (k->cur) {
    signal_send(k, k->cur, SIGPIPE, 0 /* SI_USER */, 0);
    return;
  }
  /* no signal model running: the default action or nothing */
  uint64_t h = k->tg->sig_handlers[SIGPIPE];
  if (h == (uint64_t)(uintptr_t)SIG_IGN || (k->sigmask & (1ull << (SIGPIPE - 1)))) return;
  if (h == (uint64_t)(uintptr_t)SIG_DFL) {
    k->killed_by = SIGPIPE;
    k->exited = true;
  }
}

/* Park the running task until hostfd is ready for `events`; the syscall
 * is re-run then.  False when there is no process model to park in. */
bool fs_park_on_fd(struct kernel *k, int hostfd, short events) {
  if (!k->cur) return false;
  k->cur->block = BLK_FD;
  k->cur->block_fd = hostfd;
  k->cur->block_events = events;
  k->block_now = true;
  k->block_restart = true;
  return true;
}

/* Would an operation on this (non-pseudo) fd wait?  ready: poll says
 * so now; nonblock: the open file is O_NONBLOCK (then the host call
 * just fails with EAGAIN, as the guest asked). */
bool fs_host_would_wait(int hostfd, short events) {
  struct pollfd p = {.fd = hostfd, .events = events};
  if (poll(&p, 1, 0) != 0) return false;
  int fl = fcntl(hostfd, F_GETFL);
  return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Pipes, FIFOs and sockets: a blocking write may only partly fit. */
static bool fifo_like(struct gfd *g) {
  if (g->kind == FDK_PIPE_W || g->kind == FDK_PIPE_R) return true;
  return gfd_file(g)->ftype == GFD_STREAM;
}

void fs_io_init(void) {
  /* A guest writing to a closed pipe gets EPIPE from the host and the
   * model decides on SIGPIPE (fs_sigpipe); faultline itself must
   * survive it. */
  signal(SIGPIPE, SIG_IGN);
}

long fs_read_host(struct kernel *k, int fd, void *buf, size_t n, int64_t off) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PIDFD) return -EINVAL;   /* no read op (its host fd is a wake-up only) */
  if (g->kind == FDK_PTY) return -EINVAL;     /* (read through pty_read only) */
  if (g->kind == FDK_PROC) {
    if ((g->flags & O_PATH) || (g->flags & O_ACCMODE) == O_WRONLY) return -EBADF;
    if (g->flags & O_DIRECTORY) return -EISDIR;
    size_t pos = off < 0 ? g->procpos : (size_t)off;
    if (off >= 0 && (uint64_t)off > g->proclen) pos = g->proclen;
    size_t m = pos < g->proclen ? g->proclen - pos : 0;
    if (m > n) m = n;
    memcpy(buf, g->procbuf + pos, m);
    if (off < 0) g->procpos = pos + m;
    return (long)m;
  }
  if (k->pc_ninodes && gfd_file(g)->ftype == GFD_REG) {
    /* the page cache is the file's truth: stores through shared mappings
     * in the range reach the host file before it is read */
    int64_t pos = off >= 0 ? off : (int64_t)lseek(g->hostfd, 0, SEEK_CUR);
    if (pos >= 0) pc_writeback(k, g->dev, g->ino, (uint64_t)pos / PAGE, ((uint64_t)pos + n + PAGE - 1) / PAGE);
  }
  ssize_t r;
  do r = off < 0 ? read(g->hostfd, buf, n) : pread(g->hostfd, buf, n, (off_t)off);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

/* A write reached the host file: the cached pages it covers take the same
 * bytes (write-through: the host file and the page cache agree). */
static void cache_write_through(struct kernel *k, struct gfd *g, int64_t off, const void *buf, long r) {
  if (r <= 0 || gfd_file(g)->ftype != GFD_REG) return;
  int64_t pos = off >= 0 ? off : (int64_t)lseek(g->hostfd, 0, SEEK_CUR) - r;
  if (pos < 0) return;
  fs_stamp_times(g->hostfd, ktime_ns(k), false);
  if (k->pc_pages) pc_write_through(k, g->dev, g->ino, (uint64_t)pos, buf, (size_t)r);
  /* the pages this write dirtied, for throttling: a page the previous
   * write to the same file already dirtied is not counted again (an
   * appender's small writes), and tmpfs/shmem files (memfd) have no
   * writeback at all */
  uint64_t lo = (uint64_t)pos / PAGE, hi = ((uint64_t)pos + (uint64_t)r - 1) / PAGE;
  bool same = k->dirty_last_dev == g->dev && k->dirty_last_ino == g->ino;
  if (same && lo == k->dirty_last_pg) lo++;
  k->dirty_last_dev = g->dev;
  k->dirty_last_ino = g->ino;
  k->dirty_last_pg = hi;
  if (lo <= hi && g->writeback) pc_dirtied(k, hi - lo + 1);
}

long fs_write_host(struct kernel *k, int fd, const void *buf, size_t n, int64_t off) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PIDFD || g->kind == FDK_PTY) return -EINVAL;
  if (g->kind == FDK_PROC) {  /* a /proc/sys or /proc/<pid>/coredump_filter file opened for writing */
    if ((g->flags & O_PATH) || (g->flags & O_ACCMODE) == O_RDONLY) return -EBADF;
    if (g->live.what == PL_COREDUMP_FILTER) return proc_coredump_filter_write(k, g, buf, n);
    /* (seq files: no pwrite, seq_open clears FMODE_PWRITE) */
    if (g->live.what >= PL_UID_MAP && g->live.what <= PL_SETGROUPS) return off >= 0 ? -ESPIPE : proc_idmap_write(k, g, buf, n, off);
    return g->live.what ? -EINVAL : fs_proc_write(k, g, buf, n, off);   /* pagemap: no write */
  }
  ssize_t r;
  int fl = -1;
  if (k->cur && off < 0 && fifo_like(g)) {
    /* write what fits now; the caller parks the task if nothing did */
    fl = fcntl(g->hostfd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(g->hostfd, F_SETFL, fl | O_NONBLOCK);
    else fl = -1;
  }
  do r = off < 0 ? write(g->hostfd, buf, n) : pwrite(g->hostfd, buf, n, (off_t)off);
  while (r < 0 && errno == EINTR);
  int e = errno;
  if (r > 0) cache_write_through(k, g, off, buf, r);
  if (fl >= 0) {
    fcntl(g->hostfd, F_SETFL, fl);
    if (r < 0 && (e == EAGAIN || e == EWOULDBLOCK)) return FS_WOULD_BLOCK;
  }
  if (r < 0 && e == EPIPE) fs_sigpipe(k);
  return r < 0 ? -e : r;
}

/* More input without blocking?  (Continue a large read past one chunk
 * only then: a pipe or tty read returns what is there.) */
bool fs_more_ready(struct gfd *g) {
  if (g->kind == FDK_PROC) return true;
  struct pollfd p = {.fd = g->hostfd, .events = POLLIN};
  return poll(&p, 1, 0) == 1;
}

/* /proc/<pid>/mem and pagemap (procfs_mem.c) at the file position (off
 * < 0) or at off.  mem has read and write, not their iterator forms:
 * readv and writev call them once per buffer (do_loop_readv_writev),
 * stopping at an error (returned if nothing moved) or a short count. */
static long live_rw(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt, int64_t off, bool wr) {
  uint64_t pos = off < 0 ? (uint64_t)g->procpos : (uint64_t)off;
  long r = 0;
  if (g->live.what == PL_PAGEMAP) {
    if (wr) return -EINVAL;
    r = proc_pagemap_read(k, g, iov, cnt, &pos);
  } else {
    for (int i = 0; i < cnt; i++) {
      uint64_t len = iov[i].len;
      if (len > MAX_RW_COUNT - (uint64_t)r) len = MAX_RW_COUNT - (uint64_t)r;
      long n = proc_mem_rw(k, g, iov[i].base, len, &pos, wr);
      if (n < 0) { if (!r) r = n; break; }
      r += n;
      if ((uint64_t)n < iov[i].len) break;
    }
  }
  if (off < 0) g->procpos = (size_t)pos;
  return r;
}

static long io_read(struct kernel *k, int fd, const struct kiov *iov, int cnt, int64_t off) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->live.what == PL_MEM || g->live.what == PL_PAGEMAP) return live_rw(k, g, iov, cnt, off, false);
  uint64_t want_total = 0;
  for (int i = 0; i < cnt; i++) want_total += iov[i].len;
  if (want_total > MAX_RW_COUNT) want_total = MAX_RW_COUNT;
  if (want_total == 0) return fs_read_host(k, fd, bounce, 0, off);
  if (want_total < 8 && !strcmp(g->path, EVENTFD_PATH)) return -EINVAL;   /* eventfd_read */
  if (k->cur && off < 0 && g->kind != FDK_PROC && fs_host_would_wait(g->hostfd, POLLIN) &&
      fs_park_on_fd(k, g->hostfd, POLLIN))
    return 0;                         /* re-run when there is input */
  uint64_t total = 0;
  int vi = 0;
  uint64_t vo = 0;   /* position inside iov[vi] */
  while (total < want_total) {
    size_t want = want_total - total < FS_BOUNCE ? (size_t)(want_total - total) : FS_BOUNCE;
    long r = fs_read_host(k, fd, bounce, want, off < 0 ? -1 : off + (int64_t)total);
    if (r < 0) return total ? (long)total : r;
    if (r == 0) break;
    size_t done = 0;
    bool fault = false;
    while (done < (size_t)r) {
      while (vi < cnt && vo == iov[vi].len) { vi++; vo = 0; }
      if (vi >= cnt) break;
      size_t c = (size_t)r - done;
      if (c > iov[vi].len - vo) c = (size_t)(iov[vi].len - vo);
      size_t got = fs_copy_out_prefix(k, iov[vi].base + vo, bounce + done, c);
      done += got;
      vo += got;
      if (got < c) { fault = true; break; }
    }
    if (fault) {
      /* give back what did not reach the guest */
      size_t back = (size_t)r - done;
      if (off < 0 && back) {
        if (g->kind == FDK_PROC) g->procpos -= back;
        else lseek(g->hostfd, -(off_t)back, SEEK_CUR);
      }
      total += done;
      return total ? (long)total : -EFAULT;
    }
    total += (uint64_t)r;
    if ((size_t)r < want || !fs_more_ready(g)) break;
  }
  return (long)total;
}

/* A blocking write to a pipe completes in full on Linux.  When only part
 * fits, the task parks and the syscall re-runs: this remembers how much
 * of that same call (task, fd, buffer, length) is already written. */
static struct wresume { struct task *t; int fd; uint64_t base, len, done; } wres[32];

static struct wresume *wres_find(struct kernel *k, int fd, uint64_t base, uint64_t len) {
  for (int i = 0; i < 32; i++)
    if (wres[i].t && wres[i].t == k->cur && wres[i].fd == fd && wres[i].base == base &&
        wres[i].len == len)
      return &wres[i];
  return NULL;
}

static long io_write(struct kernel *k, int fd, const struct kiov *iov, int cnt, int64_t off) {
  struct gfd *lg = gfd_get(k, fd);
  if (!lg) return -EBADF;
  if (lg->live.what == PL_MEM || lg->live.what == PL_PAGEMAP) return live_rw(k, lg, iov, cnt, off, true);
  uint64_t want = 0;
  for (int i = 0; i < cnt; i++) want += iov[i].len;
  /* a re-run of a write parked half way: skip what is written */
  struct wresume *wr = k->cur && off < 0 && cnt ? wres_find(k, fd, iov[0].base, want) : NULL;
  uint64_t skip = wr ? wr->done : 0, prior = skip;
  if (wr) wr->t = NULL;
  uint64_t total = 0, budget = MAX_RW_COUNT;
  size_t fill = 0;
  bool fault = false, any = false;
  /* a blocking pipe write parks when the pipe is full (else: short) */
  struct gfd *g0 = gfd_get(k, fd);
  int hfl = k->cur && off < 0 && g0->kind != FDK_PROC && fifo_like(g0) ? fcntl(g0->hostfd, F_GETFL) : -1;
  bool can_park = hfl >= 0 && !(hfl & O_NONBLOCK);
  for (int i = 0; i <= cnt && !fault; i++) {
    uint64_t p = i < cnt ? iov[i].base : 0, left = i < cnt ? iov[i].len : 0;
    if (left > budget) left = budget;
    budget -= left;
    if (skip) {
      uint64_t sk = skip < left ? skip : left;
      p += sk;
      left -= sk;
      skip -= sk;
    }
    for (;;) {
      if (left) {
        size_t take = FS_BOUNCE - fill < left ? FS_BOUNCE - fill : (size_t)left;
        size_t got = fs_copy_in_prefix(k, bounce + fill, p, take);
        fill += got;
        p += got;
        left -= got;
        if (got < take) { fault = true; left = 0; }
      }
      bool flush = fill == FS_BOUNCE || (i == cnt && fill) || (fault && fill);
      if (flush) {
        long r = fs_write_host(k, fd, bounce, fill, off < 0 ? -1 : off + (int64_t)total);
        any = true;
        if (r == FS_WOULD_BLOCK || (r >= 0 && (size_t)r < fill && can_park)) {
          /* the pipe is full: park until there is room, then go on */
          if (r > 0) total += (uint64_t)r;
          struct gfd *g = gfd_get(k, fd);
          int slot = -1;
          for (int q = 0; q < 32 && slot < 0; q++) if (!wres[q].t) slot = q;
          if (!(prior + total) || slot >= 0) {
            if (prior + total)
              wres[slot] = (struct wresume){k->cur, fd, iov[0].base, want, prior + total};
            fs_park_on_fd(k, g->hostfd, POLLOUT);    /* re-run when there is room */
            return 0;
          }
          return (long)(prior + total);           /* no slot left: a short write */
        }
        if (r < 0) return prior + total ? (long)(prior + total) : r;
        total += (uint64_t)r;
        if ((size_t)r < fill) return (long)(prior + total);
        fill = 0;
      }
      if (!left) break;
    }
  }
  if (fault && !(prior + total)) return -EFAULT;
  if (!any && !prior) return fs_write_host(k, fd, bounce, 0, off);   /* zero-length write */
  return (long)(prior + total);
}

/* the descriptor must be open for the direction (EBADF): a pipe's write
 * end is not read, an O_PATH descriptor neither; a file without read or
 * write ops (a pidfd) is EINVAL (vfs_read: !FMODE_CAN_READ) */
static long io_allowed(struct kernel *k, int fd, bool wr) {
  struct gfd *g = gfd_get(k, fd);
  if (!g || (g->flags & O_PATH)) return -EBADF;
  if (g->kind == FDK_PIDFD) return -EINVAL;
  int acc = g->flags & O_ACCMODE;
  return (wr ? acc != O_RDONLY : acc != O_WRONLY) ? 0 : -EBADF;
}

/* a MFD_HUGETLB memfd's log2 page size, else 0 */
static int huge_fd(struct kernel *k, const struct gfd *g) {
  struct stat st;
  return g && g->kind == FDK_HOST && k->hp.nmemfd && !fstat(g->hostfd, &st) ? hugetlb_memfd(k, st.st_dev, st.st_ino) : 0;
}

static long io_rw(struct kernel *k, bool wr, int fd, uint64_t buf, uint64_t n, int64_t off) {
  struct gfd *ug = gfd_get(k, fd);
  if (ug && ug->kind == FDK_UFFD) return wr ? -EINVAL : off >= 0 ? -ESPIPE : uffd_read(k, ug, buf, n);
  if (wr && huge_fd(k, ug) && !io_allowed(k, fd, wr)) return -EINVAL;   /* hugetlbfs has no write_iter */
  long e = io_allowed(k, fd, wr);
  if (e) return e;
  struct kiov v = {buf, n};
  if (ug->kind == FDK_PTY) return off >= 0 ? -ESPIPE : wr ? pty_write(k, ug, &v, 1) : pty_read(k, ug, &v, 1);
  long r = wr ? io_write(k, fd, &v, 1, off) : io_read(k, fd, &v, 1, off);
  if (wr && r > 0 && k->dnotify_armed) dnotify_file(k, k->fds[fd].hostfd, DN_MODIFY);
  if (wr && r >= 0 && k->netlink) nl_kick(k, gfd_get(k, fd));   /* a request to the kernel */
  return r;
}

long fs_import_iovec(struct kernel *k, uint64_t uiov, uint64_t cnt, struct kiov *v) {
  if (cnt > UIO_MAXIOV) return -EINVAL;
  if (cnt && copy_from_user(k, v, uiov, cnt * sizeof v[0])) return -EFAULT;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < cnt; i++) {
    if ((int64_t)v[i].len < 0) return -EINVAL;
    sum += v[i].len;
    if ((int64_t)sum < 0) return -EINVAL;
  }
  return 0;
}

static long io_rwv(struct kernel *k, bool wr, int fd, uint64_t uiov, uint64_t cnt, int64_t off) {
  long e = io_allowed(k, fd, wr);
  if (e) return e;
  if (cnt == 0) return 0;
  static struct kiov v[UIO_MAXIOV];
  if ((e = fs_import_iovec(k, uiov, cnt, v))) return e;
  struct gfd *g = gfd_get(k, fd);
  if (g->kind == FDK_PTY) return off >= 0 ? -ESPIPE : wr ? pty_write(k, g, v, (int)cnt) : pty_read(k, g, v, (int)cnt);
  long r = wr ? io_write(k, fd, v, (int)cnt, off) : io_read(k, fd, v, (int)cnt, off);
  if (wr && r > 0 && k->dnotify_armed) dnotify_file(k, k->fds[fd].hostfd, DN_MODIFY);
  if (wr && r >= 0 && k->netlink) nl_kick(k, gfd_get(k, fd));
  return r;
}

/* ---- directories ---- */

struct dent { uint64_t ino; uint8_t type; char *name; };

static int dent_cmp(const void *a, const void *b) {
  return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

/* Read the whole host directory, sort it by name, and keep it as
 * linux_dirent64 records whose d_off is the next record's offset. */
static int dir_snapshot(struct gfd *g) {
  if (lseek(g->hostfd, 0, SEEK_SET) < 0 && errno != ESPIPE) return -errno;
  static uint8_t hb[32768];
  struct dent *ents = NULL;
  size_t n = 0, cap = 0, bytes = 0;
  int err = 0;
  for (;;) {
    long r = syscall(SYS_getdents64, g->hostfd, hb, sizeof hb);
    if (r < 0) { err = -errno; break; }
    if (r == 0) break;
    for (long o = 0; o < r;) {
      uint16_t rl;
      memcpy(&rl, hb + o + 16, 2);
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        struct dent *ne = realloc(ents, cap * sizeof *ents);
        if (!ne) { err = -ENOMEM; break; }
        ents = ne;
      }
      memcpy(&ents[n].ino, hb + o, 8);
      ents[n].type = hb[o + 18];
      ents[n].name = strdup((const char *)hb + o + 19);
      if (!ents[n].name) { err = -ENOMEM; break; }
      bytes += (19 + strlen(ents[n].name) + 1 + 7) & ~7ul;
      n++;
      o += rl;
    }
    if (err) break;
    if (bytes > (256u << 20)) { err = -ENOMEM; break; }
  }
  if (!err) {
    qsort(ents, n, sizeof *ents, dent_cmp);
    uint8_t *buf = malloc(bytes ? bytes : 1);
    if (!buf) err = -ENOMEM;
    size_t o = 0;
    for (size_t i = 0; buf && i < n; i++) {
      size_t nl = strlen(ents[i].name), rl = (19 + nl + 1 + 7) & ~7ul;
      uint64_t next = o + rl;
      uint16_t r16 = (uint16_t)rl;
      memset(buf + o, 0, rl);
      memcpy(buf + o, &ents[i].ino, 8);
      memcpy(buf + o + 8, &next, 8);
      memcpy(buf + o + 16, &r16, 2);
      buf[o + 18] = ents[i].type;
      memcpy(buf + o + 19, ents[i].name, nl);
      o = next;
    }
    if (buf) {
      free(g->procbuf);
      g->procbuf = (char *)buf;
      g->proclen = o;
      g->procpos = 0;
    }
  }
  for (size_t i = 0; i < n; i++) free(ents[i].name);
  free(ents);
  return err;
}

/* getdents64 (old = false) or the old getdents layout (old = true). */
static long sys_getdents(struct kernel *k, int fd, uint64_t udirp, uint64_t count, bool old) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PROC) {
    if (!(g->flags & O_DIRECTORY)) return -ENOTDIR;
  } else if (g->kind != FDK_HOST) {
    return -ENOTDIR;
  } else if (!g->procbuf) {
    if (g->flags & O_PATH) return -EBADF;
    int e = dir_snapshot(g);
    if (e) return e;
  }
  if (count > FS_BOUNCE) count = FS_BOUNCE;
  size_t out = 0, pos = g->procpos;
  while (pos + 19 < g->proclen) {
    const uint8_t *rec = (const uint8_t *)g->procbuf + pos;
    uint16_t rl;
    memcpy(&rl, rec + 16, 2);
    const char *name = (const char *)rec + 19;
    size_t nl = strlen(name), need = old ? ((18 + nl + 2 + 7) & ~7ul) : rl;
    if (out + need > count) break;
    uint64_t next = pos + rl;
    if (!old) {
      memcpy(bounce + out, rec, rl);
    } else {
      memset(bounce + out, 0, need);
      memcpy(bounce + out, rec, 8);            /* d_ino */
      memcpy(bounce + out + 8, &next, 8);      /* d_off */
      uint16_t r16 = (uint16_t)need;
      memcpy(bounce + out + 16, &r16, 2);
      memcpy(bounce + out + 18, name, nl);
      bounce[out + need - 1] = rec[18];        /* d_type in the last byte */
    }
    out += need;
    pos = next;
  }
  if (out == 0 && pos + 19 < g->proclen) return -EINVAL;   /* buffer too small */
  if (out && copy_to_user(k, udirp, bounce, out)) return -EFAULT;
  g->procpos = pos;
  return (long)out;
}

/* ---- positions ---- */

static long sys_lseek(struct kernel *k, int fd, int64_t off, int whence) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind == FDK_PIDFD || g->kind == FDK_UFFD || g->kind == FDK_PTY) return -ESPIPE;    /* no llseek: not seekable */
  if (g->live.what == PL_MEM || g->live.what == PL_PAGEMAP) {
    /* mem_lseek: positions are addresses, any 64-bit value (what it
     * returns too, even one that looks like an error) */
    if (whence != SEEK_SET && whence != SEEK_CUR) return -EINVAL;
    g->procpos = whence == SEEK_SET ? (size_t)off : g->procpos + (size_t)off;
    return (long)g->procpos;
  }
  if (g->kind == FDK_PROC || (g->kind == FDK_HOST && g->procbuf)) {
    int64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)g->procpos; break;
    case SEEK_END: base = (int64_t)g->proclen; break;
    default: return -EINVAL;
    }
    int64_t n = base + off;
    if (n < 0) return -EINVAL;
    if (g->kind == FDK_HOST) {                 /* directory snapshot */
      if (n == 0) {                            /* rewinddir: look again */
        free(g->procbuf);
        g->procbuf = NULL;
        g->proclen = g->procpos = 0;
        lseek(g->hostfd, 0, SEEK_SET);
        return 0;
      }
      if ((uint64_t)n > g->proclen) n = (int64_t)g->proclen;
    }
    g->procpos = (size_t)n;
    return n;
  }
  if (whence < 0 || whence > 4) return -EINVAL;
  off_t r = lseek(g->hostfd, (off_t)off, whence);
  return r < 0 ? -errno : (long)r;
}

/* ---- pipes, dup, close ---- */

static long sys_pipe2(struct kernel *k, uint64_t ufds, int flags) {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
  int h[2];
  if (pipe2(h, O_CLOEXEC | (flags & (O_NONBLOCK | O_DIRECT)))) return -errno;
  bool ce = flags & O_CLOEXEC;
  int st = flags & (O_NONBLOCK | O_DIRECT);
  int r = gfd_install(k, 0, FDK_PIPE_R, h[0], O_RDONLY | st, ce, NULL);
  if (r < 0) { close(h[1]); return r; }
  int w = gfd_install(k, 0, FDK_PIPE_W, h[1], O_WRONLY | st, ce, NULL);
  if (w < 0) { gfd_close(k, r); return w; }
  int32_t out[2] = {r, w};
  if (copy_to_user(k, ufds, out, sizeof out)) {
    gfd_close(k, r);
    gfd_close(k, w);
    return -EFAULT;
  }
  return 0;
}

static long sys_close_range(struct kernel *k, uint64_t first, uint64_t last, uint64_t flags) {
  if (flags & ~6ull) return -EINVAL;          /* CLOSE_RANGE_UNSHARE | _CLOEXEC */
  if (first > last || first > 0xffffffffull) return -EINVAL;
  for (uint64_t f = first; f <= last && f < (uint64_t)fds_cap(k->files); f++) {
    struct gfd *g = gfd_get(k, (int)f);
    if (!g) continue;
    if (flags & 4) g->cloexec = true;
    else gfd_release(g);
  }
  return 0;
}

/* ---- fcntl ---- */

struct kflock { int16_t type, whence; int32_t pad; int64_t start, len; int32_t pid, pad2; };
_Static_assert(sizeof(struct kflock) == 32, "x86-64 struct flock is 32 bytes");

static long fcntl_lock(struct kernel *k, struct gfd *g, int cmd, uint64_t uarg) {
  struct kflock kf;
  if (copy_from_user(k, &kf, uarg, sizeof kf)) return -EFAULT;
  if (g->kind == FDK_PROC) return -EINVAL;
  struct flock hf;
  memset(&hf, 0, sizeof hf);
  hf.l_type = kf.type;
  hf.l_whence = kf.whence;
  hf.l_start = (off_t)kf.start;
  hf.l_len = (off_t)kf.len;
  hf.l_pid = kf.pid;
  int r;
  do r = fcntl(g->hostfd, cmd, &hf);
  while (r < 0 && errno == EINTR && cmd != F_SETLKW && cmd != F_OFD_SETLKW);
  if (r < 0) return -errno;
  if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
    kf.type = hf.l_type;
    kf.whence = hf.l_whence;
    kf.start = hf.l_start;
    kf.len = hf.l_len;
    kf.pid = hf.l_pid == getpid() ? k->pid : hf.l_pid;
    if (copy_to_user(k, uarg, &kf, sizeof kf)) return -EFAULT;
  }
  return r;
}

/* does a live process map this file shared and writable? */
static bool file_mapped_writable(struct kernel *k, int hostfd) {
  struct stat st;
  if (fstat(hostfd, &st)) return false;
  struct mm *mms[64];
  int n = live_mms(k, mms, 64);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < mms[i]->nvmas; j++) {
      const struct vma *v = &mms[i]->vmas[j];
      if (v->file && (v->flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
          v->file->dev == (uint64_t)st.st_dev && v->file->ino == (uint64_t)st.st_ino)
        return true;
    }
  return false;
}

static long sys_fcntl(struct kernel *k, int fd, int cmd, uint64_t arg) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  switch (cmd) {
  case F_DUPFD:
  case F_DUPFD_CLOEXEC:
    if ((int64_t)(int)arg < 0 || (uint64_t)(int)arg >= k->tg->rlim[RLIMIT_NOFILE].cur || (int)arg >= MAX_FDS) return -EINVAL;
    return gfd_dup(k, fd, (int)arg, false, cmd == F_DUPFD_CLOEXEC);
  case F_GETFD: return g->cloexec ? FD_CLOEXEC : 0;
  case F_SETFD: g->cloexec = arg & FD_CLOEXEC; return 0;
  case F_GETFL: {
    if (g->kind == FDK_PROC) return g->flags | O_LARGEFILE;
    if (g->kind == FDK_PIDFD) return g->flags;   /* its own file's, not the shared wake-up's */
    if (g->kind == FDK_PTY) return g->flags | 0100000;   /* force_o_largefile */
    int fl = fcntl(g->hostfd, F_GETFL);
    return fl < 0 ? -errno : fl & ~O_CLOEXEC;
  }
  case F_SETFL: {
    int ch = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
    if (g->kind != FDK_PROC && g->kind != FDK_PIDFD && g->kind != FDK_PTY) {
      int cur = fcntl(g->hostfd, F_GETFL);
      if (cur < 0) return -errno;
      if (fcntl(g->hostfd, F_SETFL, (cur & ~ch) | ((int)arg & ch)) < 0) return -errno;
    }
    g->flags = (g->flags & ~ch) | ((int)arg & ch);
    return 0;
  }
  case F_GETLK: case F_SETLK: case F_SETLKW:
  case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
    return fcntl_lock(k, g, cmd, arg);
  case F_GETOWN: case F_GETSIG: case F_SETOWN: case F_SETSIG: case F_NOTIFY: case F_GETOWN_EX: case F_SETOWN_EX:
    return dnotify_fcntl(k, g, cmd, arg);
  case F_GETLEASE: return F_UNLCK;
  case F_SETPIPE_SZ: case F_GETPIPE_SZ: case F_ADD_SEALS: case F_GET_SEALS: {
    if (g->kind == FDK_PROC) return -EINVAL;
    if (cmd == F_ADD_SEALS && (arg & (F_SEAL_WRITE | 0x0010 /* FUTURE_WRITE */)) &&
        file_mapped_writable(k, g->hostfd))
      return -EBUSY;                  /* memfd_wait_for_pins: a writable shared mapping */
    /* pipe_set_size: above fs.pipe-max-size needs CAP_SYS_RESOURCE (the
     * host then answers for its own limits) */
    if (cmd == F_SETPIPE_SZ && (g->kind == FDK_PIPE_R || g->kind == FDK_PIPE_W) &&
        (uint64_t)(unsigned)arg > (uint64_t)k->sysctl.pipe_max_size && !capable(k, CAP_SYS_RESOURCE_))
      return -EPERM;
    int r = fcntl(g->hostfd, cmd, (int)arg);
    return r < 0 ? -errno : r;
  }
  default: return -EINVAL;
  }
}

/* ---- ioctl ---- */

static long sys_ioctl(struct kernel *k, int fd, uint64_t req, uint64_t arg) {
  struct gfd *g = gfd_get(k, fd);
  if (!g || (g->flags & O_PATH)) return -EBADF;
  bool host = g->kind != FDK_PROC && g->hostfd >= 0;
  if (g->kind == FDK_UFFD && (uint32_t)req != 0x5451 && (uint32_t)req != 0x5450 && (uint32_t)req != 0x5421)
    return uffd_ioctl(k, g, (uint32_t)req, arg);
  if (g->kind == FDK_PTY && (uint32_t)req != 0x5451 && (uint32_t)req != 0x5450 && (uint32_t)req != 0x5421)
    return pty_ioctl(k, g, (uint32_t)req, arg);
  /* /dev/userfaultfd: never the host's device (its uffd would be faultline's) */
  if (!strcmp(g->path, "/dev/userfaultfd")) return uffd_dev_ioctl(k, (uint32_t)req, arg);
  switch ((uint32_t)req) {
  case 0x5451: g->cloexec = true; return 0;    /* FIOCLEX */
  case 0x5450: g->cloexec = false; return 0;   /* FIONCLEX */
  case 0x541B: {                               /* FIONREAD */
    int v = 0;
    if (g->kind == FDK_PROC) {
      v = g->procpos < g->proclen ? (int)(g->proclen - g->procpos) : 0;
    } else if (ioctl(g->hostfd, FIONREAD, &v) < 0) {
      return -errno;
    }
    return copy_to_user(k, arg, &v, 4) ? -EFAULT : 0;
  }
  case 0x5421: {                               /* FIONBIO */
    int on;
    if (copy_from_user(k, &on, arg, 4)) return -EFAULT;
    return sys_fcntl(k, fd, F_SETFL, on ? (uint64_t)(g->flags | O_NONBLOCK)
                                        : (uint64_t)(g->flags & ~O_NONBLOCK));
  }
  case 0x5401: case 0x5402: case 0x5403: case 0x5404: case 0x5413: {
    /* TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ: the kernel's own
     * layouts (struct termios is 36 bytes, struct winsize 8) */
    if (!host || !isatty(g->hostfd)) return -ENOTTY;
    uint8_t kb[64];
    size_t sz = (uint32_t)req == 0x5413 ? 8 : 36;
    memset(kb, 0, sizeof kb);
    bool set = (uint32_t)req >= 0x5402 && (uint32_t)req <= 0x5404;
    if (set && copy_from_user(k, kb, arg, sz)) return -EFAULT;
    if (ioctl(g->hostfd, (unsigned long)(uint32_t)req, kb) < 0) return -errno;
    if (!set && copy_to_user(k, arg, kb, sz)) return -EFAULT;
    return 0;
  }
  default: {
    struct stat st;
    if (host && ((uint32_t)req >> 8 & 0xff) == 0x89 && !fstat(g->hostfd, &st) && S_ISSOCK(st.st_mode)) {
      bool h;                          /* sock_ioctl: an interface request (netlink.c) */
      long r = net_dev_ioctl(k, (uint32_t)req, arg, &h);
      if (h) return r;
    }
  }
    /* a terminal request ('T') on what is no terminal: Linux's ENOTTY, the
     * model's too; anything else is a request the model does not offer */
    if (((uint32_t)req >> 8 & 0xff) == 'T' && !(host && isatty(g->hostfd))) return -ENOTTY;
    return sys_unsupported_option(k, "ioctl", "request", (uint32_t)req, -ENOTTY);
  }
}

/* ---- sendfile ---- */

/* ---- dispatch ---- */

long sys_fs(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  struct gfd *g;
  switch (nr) {
  case SYS_read: return io_rw(k, false, (int)a[0], a[1], a[2], -1);
  case SYS_write: return io_rw(k, true, (int)a[0], a[1], a[2], -1);
  case SYS_pread64:
  case SYS_pwrite64:
    if ((int64_t)a[3] < 0) return gfd_get(k, (int)a[0]) ? -EINVAL : -EBADF;
    return io_rw(k, nr == SYS_pwrite64, (int)a[0], a[1], a[2], (int64_t)a[3]);
  case SYS_readv: return io_rwv(k, false, (int)a[0], a[1], a[2], -1);
  case SYS_writev: return io_rwv(k, true, (int)a[0], a[1], a[2], -1);
  case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2: {
    int64_t off = (int64_t)a[3];
    bool v2 = nr == SYS_preadv2 || nr == SYS_pwritev2;
    if (off < 0 && !(v2 && off == -1)) return gfd_get(k, (int)a[0]) ? -EINVAL : -EBADF;
    return io_rwv(k, nr == SYS_pwritev || nr == SYS_pwritev2, (int)a[0], a[1], a[2], off);
  }
  case SYS_lseek: return sys_lseek(k, (int)a[0], (int64_t)a[1], (int)a[2]);
  case SYS_close: return gfd_close(k, (int)a[0]);
  case SYS_close_range: return sys_close_range(k, a[0], a[1], a[2]);
  case SYS_dup: return gfd_dup(k, (int)a[0], 0, false, false);
  case SYS_dup2:
    if ((int)a[0] == (int)a[1]) return gfd_get(k, (int)a[0]) ? (long)(int)a[1] : -EBADF;
    return gfd_dup(k, (int)a[0], (int)a[1], true, false);
  case SYS_dup3:
    if (a[2] & ~(uint64_t)O_CLOEXEC) return -EINVAL;
    if ((int)a[0] == (int)a[1]) return -EINVAL;
    return gfd_dup(k, (int)a[0], (int)a[1], true, (a[2] & O_CLOEXEC) != 0);
  case SYS_pipe: return sys_pipe2(k, a[0], 0);
  case SYS_pipe2: return sys_pipe2(k, a[0], (int)a[1]);
  case SYS_fcntl: return sys_fcntl(k, (int)a[0], (int)a[1], a[2]);
  case SYS_ioctl: return sys_ioctl(k, (int)a[0], a[1], a[2]);
  case SYS_getdents64: return sys_getdents(k, (int)a[0], a[1], a[2], false);
  case SYS_getdents: return sys_getdents(k, (int)a[0], a[1], a[2], true);
  case SYS_sendfile: case SYS_copy_file_range: case SYS_eventfd: case SYS_eventfd2:
    return fs_sys_xfer(k, nr, a);
  case SYS_splice: case SYS_tee: case SYS_vmsplice:
    return fs_sys_splice(k, nr, a);
  case SYS_fsync: case SYS_fdatasync: case SYS_syncfs: {
    if (!(g = gfd_get(k, (int)a[0]))) return -EBADF;
    if (g->kind == FDK_PROC) return -EINVAL;
    struct stat st;
    if (nr == SYS_syncfs) { pc_charge_writeback(k, pc_writeback_all(k)); return 0; }
    if (!fstat(g->hostfd, &st)) pc_charge_writeback(k, pc_writeback(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino, 0, ~0ull));
    return (nr == SYS_fsync ? fsync(g->hostfd) : fdatasync(g->hostfd)) ? -errno : 0;
  }
  case SYS_sync: pc_charge_writeback(k, pc_writeback_all(k)); return 0;
  case SYS_fadvise64: case SYS_readahead:
    if (!(g = gfd_get(k, (int)a[0]))) return -EBADF;
    if (g->kind == FDK_PIPE_R || g->kind == FDK_PIPE_W) return nr == SYS_readahead ? -EINVAL : -ESPIPE;
    return 0;
  case SYS_ftruncate:
    if (!(g = gfd_get(k, (int)a[0]))) return -EBADF;
    if ((int64_t)a[1] < 0) return -EINVAL;
    if (k->read_only) return -EROFS;
    if (g->kind == FDK_PROC) return -EINVAL;
    {
      int hl = huge_fd(k, g);           /* hugetlbfs_setattr: whole huge pages only */
      if (hl && (a[1] & ((1ull << hl) - 1))) return -EINVAL;
    }
    if (ftruncate(g->hostfd, (off_t)a[1])) return -errno;
    /* ftruncate stamps even at the same size (do_truncate with
     * ATTR_MTIME|ATTR_CTIME); truncate(2) only when the size changes */
    fs_stamp_times(g->hostfd, ktime_ns(k), false);
    pc_truncate(k, g->hostfd, a[1]);
    return 0;
  case SYS_fallocate:
    if (!(g = gfd_get(k, (int)a[0]))) return -EBADF;
    if (k->read_only) return -EROFS;
    if (g->kind == FDK_PROC) return -ENODEV;
    {
      struct stat st;
      /* what the guest stored through shared mappings is the file's
       * before the host changes it */
      if (!fstat(g->hostfd, &st)) pc_writeback(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino, 0, ~0ull);
      if (fallocate(g->hostfd, (int)a[1], (off_t)a[2], (off_t)a[3])) return -errno;
      fs_stamp_times(g->hostfd, ktime_ns(k), false);   /* ext4/shmem fallocate: file_modified */
      /* hole punching, zeroing, collapsing: the cache reads the file again */
      if (!fstat(g->hostfd, &st))
        pc_refresh(k, (uint64_t)st.st_dev, (uint64_t)st.st_ino, g->hostfd, 0, ~0ull);
    }
    return 0;
  case SYS_flock:
    if (!(g = gfd_get(k, (int)a[0]))) return -EBADF;
    if (g->kind == FDK_PROC) return 0;
    return flock(g->hostfd, (int)a[1]) ? -errno : 0;
  case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
  case SYS_epoll_create: case SYS_epoll_create1: case SYS_epoll_ctl: case SYS_epoll_wait: case SYS_epoll_pwait:
  case SYS_epoll_pwait2:
    return fs_sys_poll(k, nr, a);
  default:
    return sys_fsmeta(k, nr, a, handled);
  }
}
