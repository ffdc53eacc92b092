/* splice, tee and vmsplice (fs/splice.c), over the model's pipes, which
 * are host pipes.
 *
 * Which path moves the data depends on what the other end is:
 *  - a regular file or a pseudo file: its data is the page cache's, so it
 *    moves through fs_read_host / fs_write_host as read, write, sendfile
 *    and copy_file_range do;
 *  - a pipe, or a host file that holds no page-cache data (a socket, a
 *    device, a tty, and the files without splice ops: a directory, an
 *    eventfd, a pidfd): the host kernel's own splice/tee does it;
 *  - user memory (vmsplice): the charged user copies.
 * Data taken from a pipe for a file or user memory is first looked at
 * (host tee into a private pipe) and consumed only as far as it was
 * written or copied, so a short write or a fault leaves the rest in the
 * pipe as Linux does.
 *
 * Blocking: every host call is made nonblocking; where Linux would sleep
 * (an empty input pipe, a full output pipe, a socket without data), the
 * task parks on that host descriptor (BLK_FD) and the call runs again when
 * it is ready.  Whether a call may sleep follows Linux: SPLICE_F_NONBLOCK,
 * and for splice and tee also O_NONBLOCK of a pipe end (of the input
 * pipe to a file, of the output pipe from a file, of either between two
 * pipes); vmsplice looks at SPLICE_F_NONBLOCK only.
 *
 * Differences from Linux: a pipe's capacity is counted in bytes where
 * Linux counts buffers (pages), so splicing many small pieces from a file
 * or user memory fits more into a pipe before it is full; vmsplice copies
 * the user pages, so a store to them after the call no longer changes
 * what the reader sees. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPLICE_F_NONBLOCK_ 2u
#define SPLICE_F_ALL_ 0xfu    /* MOVE | NONBLOCK | MORE | GIFT */

static uint8_t splice_buf[FS_BOUNCE];

/* what one end of a splice is */
enum end { END_PIPE, END_CACHED, END_HOST };

static enum end end_of(struct gfd *g) {
  if (g->kind == FDK_PIPE_R || g->kind == FDK_PIPE_W) return END_PIPE;
  if (g->kind == FDK_PROC) return END_CACHED;
  struct stat st;
  if (g->kind == FDK_HOST && !fstat(g->hostfd, &st)) {
    if (S_ISFIFO(st.st_mode)) return END_PIPE;
    if (S_ISREG(st.st_mode)) return END_CACHED;
  }
  return END_HOST;
}

static bool readable(const struct gfd *g) { return (g->flags & O_ACCMODE) != O_WRONLY; }
static bool writable(const struct gfd *g) { return (g->flags & O_ACCMODE) != O_RDONLY; }

/* the open file's O_NONBLOCK (shared by every dup of it: the host's) */
static bool nonblocking(const struct gfd *g) {
  if (g->kind == FDK_PROC || g->hostfd < 0) return (g->flags & O_NONBLOCK) != 0;
  int fl = fcntl(g->hostfd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

static short host_poll(int hostfd, short events) {
  struct pollfd p = {.fd = hostfd, .events = events};
  return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* where Linux sleeps: park (the call runs again when hostfd is ready) */
static long sleep_on(struct kernel *k, int hostfd, short events) {
  return fs_park_on_fd(k, hostfd, events) ? 0 : -EAGAIN;
}

/* ---- looking into a host pipe ---- */

static int peek_pipe[2] = {-1, -1};

/* Up to n bytes from the front of a host pipe, left in it: 0 when it is
 * empty. */
static long pipe_peek(int hostfd, void *buf, size_t n) {
  if (peek_pipe[0] < 0 && pipe2(peek_pipe, O_CLOEXEC | O_NONBLOCK)) return -errno;
  ssize_t t;
  do t = tee(hostfd, peek_pipe[1], n, SPLICE_F_NONBLOCK_);
  while (t < 0 && errno == EINTR);
  if (t < 0) return errno == EAGAIN ? 0 : -errno;
  size_t got = 0;
  while (got < (size_t)t) {
    ssize_t r = read(peek_pipe[0], (uint8_t *)buf + got, (size_t)t - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  return (long)got;
}

/* drop n bytes a pipe_peek saw */
static void pipe_consume(int hostfd, size_t n) {
  static uint8_t sink[FS_BOUNCE];
  while (n) {
    ssize_t r = read(hostfd, sink, n < sizeof sink ? n : sizeof sink);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n -= (size_t)r;
  }
}

/* An input pipe Linux would wait on (splice_from_pipe_next): 1 when it
 * has data, 0 at end of data (empty, no writer), else -EAGAIN or parked
 * (returns 0 with the task blocked: the caller returns at once). */
static long wait_pipe_data(struct kernel *k, struct gfd *p, bool nb, bool *parked) {
  short re = host_poll(p->hostfd, POLLIN);
  if (re & POLLIN) return 1;
  if (re & POLLHUP) return 0;
  if (nb) return -EAGAIN;
  *parked = sleep_on(k, p->hostfd, POLLIN) == 0;
  return *parked ? 0 : -EAGAIN;
}

/* An output pipe (wait_for_space): 0 when it has room, -EPIPE (and
 * SIGPIPE) without a reader, else -EAGAIN or parked. */
static long wait_pipe_space(struct kernel *k, struct gfd *p, bool nb, bool *parked) {
  short re = host_poll(p->hostfd, POLLOUT);
  if (re & POLLERR) {
    fs_sigpipe(k);
    return -EPIPE;
  }
  if (re & POLLOUT) return 0;
  if (nb) return -EAGAIN;
  *parked = sleep_on(k, p->hostfd, POLLOUT) == 0;
  return *parked ? 0 : -EAGAIN;
}

/* rw_verify_area: a negative position or one that len would carry past
 * the largest offset is EINVAL (len > SSIZE_MAX too) */
static long verify_area(int64_t pos, uint64_t len) {
  if ((int64_t)len < 0 || pos < 0) return -EINVAL;
  if ((int64_t)((uint64_t)pos + len) < 0) return -EINVAL;
  return 0;
}

static int64_t cur_pos(struct gfd *g) {
  return g->kind == FDK_PROC ? (int64_t)g->procpos : (int64_t)lseek(g->hostfd, 0, SEEK_CUR);
}

/* ---- the page-cache paths ---- */

/* pipe -> regular or pseudo file (iter_file_splice_write) */
static long pipe_to_file(struct kernel *k, struct gfd *gi, int out, struct gfd *go,
                         int64_t *off, uint64_t len, unsigned flags) {
  if (go->flags & O_APPEND) return -EINVAL;
  long e = verify_area(off ? *off : cur_pos(go), len);
  if (e) return e;
  if (go->kind == FDK_PROC && (go->flags & O_DIRECTORY)) return -EINVAL;   /* no splice_write */
  bool nb = (flags & SPLICE_F_NONBLOCK_) || nonblocking(gi), parked = false;
  long ready = wait_pipe_data(k, gi, nb, &parked);
  if (ready <= 0) return ready;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  uint64_t total = 0;
  while (total < len) {
    size_t want = len - total < FS_BOUNCE ? (size_t)(len - total) : FS_BOUNCE;
    long n = pipe_peek(gi->hostfd, splice_buf, want);
    if (n <= 0) {
      if (n < 0 && !total) return n;
      break;
    }
    long w = fs_write_host(k, out, splice_buf, (size_t)n, off ? *off + (int64_t)total : -1);
    if (w < 0) {
      if (!total) return w;
      break;
    }
    pipe_consume(gi->hostfd, (size_t)w);
    total += (uint64_t)w;
    if (w < n) break;
  }
  if (off) *off += (int64_t)total;
  return (long)total;
}

/* regular or pseudo file -> pipe (splice_file_to_pipe) */
static long file_to_pipe(struct kernel *k, int in, struct gfd *gi, int out, struct gfd *go,
                         int64_t *off, uint64_t len, unsigned flags) {
  long e = verify_area(off ? *off : cur_pos(gi), len);
  if (e) return e;
  bool nb = (flags & SPLICE_F_NONBLOCK_) || nonblocking(go), parked = false;
  if ((e = wait_pipe_space(k, go, nb, &parked)) || parked) return e;
  if (gi->kind == FDK_PROC && ((gi->flags & O_DIRECTORY) || !fs_proc_splice_read(gi->path)))
    return -EINVAL;                     /* no splice_read */
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  uint64_t total = 0;
  long err = 0;
  while (total < len) {
    size_t want = len - total < FS_BOUNCE ? (size_t)(len - total) : FS_BOUNCE;
    long r = fs_read_host(k, in, splice_buf, want, off ? *off + (int64_t)total : -1);
    if (r <= 0) { err = r; break; }
    long w = fs_write_host(k, out, splice_buf, (size_t)r, -1);
    if (w == FS_WOULD_BLOCK) w = 0;
    if (w < 0) { err = w; w = 0; }
    if (w < r && !off) {
      /* the pipe took less: what it did not take is still to be read */
      size_t back = (size_t)(r - w);
      if (gi->kind == FDK_PROC) gi->procpos -= back;
      else lseek(gi->hostfd, -(off_t)back, SEEK_CUR);
    }
    total += (uint64_t)w;
    if (w < r || (size_t)r < want) break;
  }
  if (off) *off += (int64_t)total;
  return total ? (long)total : err;
}

/* ---- the host paths: pipes, sockets, devices ---- */

/* A socket's splice may wait whatever SPLICE_F_NONBLOCK says (a send
 * waits unless the socket is O_NONBLOCK): it is made nonblocking for the
 * host call, as fs_write_host does.  A terminal is not (its open file is
 * shared with the host's shell): it is asked with poll first. */
static bool is_socket(int hostfd) {
  struct stat st;
  return !fstat(hostfd, &st) && S_ISSOCK(st.st_mode);
}

/* The host call, nonblocking.  On EAGAIN, the end Linux sleeps on is
 * found in its order (an input pipe's data first, else an output pipe's
 * room first): a pipe end sleeps unless nb (the call's nonblocking, as
 * the caller worked it out); a socket or terminal end unless its own
 * O_NONBLOCK says not to (a socket read also takes SPLICE_F_NONBLOCK,
 * sock_splice_read). */
static long host_splice(struct kernel *k, struct gfd *gi, enum end ei, int64_t *oin, struct gfd *go,
                        enum end eo, int64_t *oout, uint64_t len, unsigned flags, bool nb, bool is_tee) {
  int hin = gi->hostfd, hout = go->hostfd;
  int fl_in = fcntl(hin, F_GETFL), fl_out = fcntl(hout, F_GETFL);
  bool in_nb = fl_in >= 0 && (fl_in & O_NONBLOCK), out_nb = fl_out >= 0 && (fl_out & O_NONBLOCK);
  bool tog_in = ei == END_HOST && !in_nb && fl_in >= 0 && is_socket(hin);
  bool tog_out = eo == END_HOST && !out_nb && fl_out >= 0 && is_socket(hout);
  ssize_t r = -1;
  int e = EAGAIN;
  if ((ei == END_HOST && isatty(hin) && !(host_poll(hin, POLLIN) & (POLLIN | POLLHUP | POLLERR))) ||
      (eo == END_HOST && isatty(hout) && !(host_poll(hout, POLLOUT) & (POLLOUT | POLLERR)))) {
    /* a terminal that would wait: as the host's EAGAIN */
  } else {
    if (tog_in) fcntl(hin, F_SETFL, fl_in | O_NONBLOCK);
    if (tog_out) fcntl(hout, F_SETFL, fl_out | O_NONBLOCK);
    unsigned hf = flags | SPLICE_F_NONBLOCK_;
    do r = is_tee ? tee(hin, hout, (size_t)len, hf)
                  : splice(hin, (loff_t *)oin, hout, (loff_t *)oout, (size_t)len, hf);
    while (r < 0 && errno == EINTR);
    e = errno;
    if (tog_in) fcntl(hin, F_SETFL, fl_in);
    if (tog_out) fcntl(hout, F_SETFL, fl_out);
  }
  if (r >= 0) return r;
  if (e == EPIPE) fs_sigpipe(k);
  if (e != EAGAIN) return -e;
  bool in_waits = ei == END_PIPE ? !(host_poll(hin, POLLIN) & (POLLIN | POLLHUP))
                                 : (host_poll(hout, POLLOUT) & POLLOUT) != 0;
  if (in_waits) {
    if (nb || (ei != END_PIPE && in_nb)) return -EAGAIN;
    return sleep_on(k, hin, POLLIN);
  }
  if (eo == END_PIPE ? nb : out_nb) return -EAGAIN;
  return sleep_on(k, hout, POLLOUT);
}

/* ---- the calls ---- */

static long get_user_off(struct kernel *k, uint64_t u, int64_t *off) {
  return copy_from_user(k, off, u, sizeof *off) ? -EFAULT : 0;
}

static long sys_splice(struct kernel *k, int in, uint64_t uoff_in, int out, uint64_t uoff_out,
                       uint64_t len, uint32_t flags) {
  if (!len) return 0;
  if (flags & ~SPLICE_F_ALL_) return -EINVAL;
  struct gfd *gi = gfd_get(k, in), *go = gfd_get(k, out);
  if (!gi || (gi->flags & O_PATH)) return -EBADF;
  if (!go || (go->flags & O_PATH)) return -EBADF;
  enum end ei = end_of(gi), eo = end_of(go);
  /* __do_splice: a pipe has no position; the offsets are read (out first) */
  if ((ei == END_PIPE && uoff_in) || (eo == END_PIPE && uoff_out)) return -ESPIPE;
  int64_t oin = 0, oout = 0;
  long e;
  if (uoff_out && (e = get_user_off(k, uoff_out, &oout))) return e;
  if (uoff_in && (e = get_user_off(k, uoff_in, &oin))) return e;
  /* do_splice */
  if (!readable(gi) || !writable(go)) return -EBADF;
  int64_t *pin = uoff_in ? &oin : NULL, *pout = uoff_out ? &oout : NULL;
  long r;
  if (ei == END_PIPE && eo == END_PIPE) {
    bool nb = (flags & SPLICE_F_NONBLOCK_) || nonblocking(gi) || nonblocking(go);
    r = host_splice(k, gi, ei, NULL, go, eo, NULL, len, flags, nb, false);
  } else if (ei == END_PIPE) {
    if (eo == END_CACHED) {
      r = pipe_to_file(k, gi, out, go, pout, len, flags);
    } else {
      bool nb = (flags & SPLICE_F_NONBLOCK_) || nonblocking(gi);
      r = host_splice(k, gi, ei, NULL, go, eo, pout, len, flags, nb, false);
    }
  } else if (eo == END_PIPE) {
    if (ei == END_CACHED) {
      r = file_to_pipe(k, in, gi, out, go, pin, len, flags);
    } else {
      bool nb = (flags & SPLICE_F_NONBLOCK_) || nonblocking(go);
      r = host_splice(k, gi, ei, pin, go, eo, NULL, len, flags, nb, false);
    }
  } else {
    return -EINVAL;                   /* no pipe at either end */
  }
  if (r < 0 || k->block_now) return r;
  if (uoff_out && copy_to_user(k, uoff_out, &oout, sizeof oout)) return -EFAULT;
  if (uoff_in && copy_to_user(k, uoff_in, &oin, sizeof oin)) return -EFAULT;
  return r;
}

/* tee(2): the input pipe's data copied to the output pipe, not consumed */
static long sys_tee(struct kernel *k, int in, int out, uint64_t len, uint32_t flags) {
  if (flags & ~SPLICE_F_ALL_) return -EINVAL;
  if (!len) return 0;
  struct gfd *gi = gfd_get(k, in), *go = gfd_get(k, out);
  if (!gi || (gi->flags & O_PATH)) return -EBADF;
  if (!go || (go->flags & O_PATH)) return -EBADF;
  if (!readable(gi) || !writable(go)) return -EBADF;
  if (end_of(gi) != END_PIPE || end_of(go) != END_PIPE) return -EINVAL;
  bool nb = (flags & SPLICE_F_NONBLOCK_) || nonblocking(gi) || nonblocking(go);
  return host_splice(k, gi, END_PIPE, NULL, go, END_PIPE, NULL, len, flags, nb, true);
}

/* vmsplice(2): user memory into a pipe (fd open for writing) or a pipe
 * into user memory (fd open for reading only) */
static long sys_vmsplice(struct kernel *k, int fd, uint64_t uiov, uint64_t cnt, uint32_t flags) {
  if (flags & ~SPLICE_F_ALL_) return -EINVAL;
  struct gfd *g = gfd_get(k, fd);
  if (!g || (g->flags & O_PATH)) return -EBADF;
  bool to_pipe = writable(g);
  if (!to_pipe && !readable(g)) return -EBADF;
  static struct kiov v[1024];
  long e = fs_import_iovec(k, uiov, cnt, v);
  if (e) return e;
  uint64_t want = 0;
  for (uint64_t i = 0; i < cnt; i++) {
    uint64_t l = v[i].len < MAX_RW_COUNT - want ? v[i].len : MAX_RW_COUNT - want;
    v[i].len = l;
    want += l;
  }
  if (!want) return 0;
  if (end_of(g) != END_PIPE) return -EBADF;
  bool nb = (flags & SPLICE_F_NONBLOCK_) != 0, parked = false;
  uint64_t total = 0;
  if (to_pipe) {
    if ((e = wait_pipe_space(k, g, nb, &parked)) || parked) return e;
    for (uint64_t i = 0; i < cnt; i++) {
      for (uint64_t o = 0; o < v[i].len;) {
        size_t take = v[i].len - o < FS_BOUNCE ? (size_t)(v[i].len - o) : FS_BOUNCE;
        size_t got = fs_copy_in_prefix(k, splice_buf, v[i].base + o, take);
        if (!got) return total ? (long)total : -EFAULT;
        long w = fs_write_host(k, fd, splice_buf, got, -1);
        if (w == FS_WOULD_BLOCK) w = 0;
        if (w < 0) return total ? (long)total : w;
        total += (uint64_t)w;
        o += (uint64_t)w;
        if ((size_t)w < take) return (long)total;   /* the pipe is full, or a fault */
      }
    }
    return (long)total;
  }
  long ready = wait_pipe_data(k, g, nb, &parked);
  if (ready <= 0) return ready;
  /* pipe_to_user: a pipe buffer (a page) at a time, across the pieces;
   * one that does not fit where it goes stays in the pipe, and the call
   * returns what went before it, or EFAULT */
  uint64_t vi = 0, vo = 0;
  while (total < want) {
    size_t take = want - total < PAGE ? (size_t)(want - total) : PAGE;
    long n = pipe_peek(g->hostfd, splice_buf, take);
    if (n < 0) return total ? (long)total : n;
    if (n == 0) break;                                  /* the pipe is empty */
    size_t done = 0;
    while (done < (size_t)n) {
      while (v[vi].len == vo) { vi++; vo = 0; }
      size_t c = (size_t)n - done < v[vi].len - vo ? (size_t)n - done : (size_t)(v[vi].len - vo);
      size_t got = fs_copy_out_prefix(k, v[vi].base + vo, splice_buf + done, c);
      if (got < c) return total ? (long)total : -EFAULT;
      done += c;
      vo += c;
    }
    pipe_consume(g->hostfd, (size_t)n);
    total += (uint64_t)n;
  }
  return (long)total;
}

long fs_sys_splice(struct kernel *k, int nr, const uint64_t a[6]) {
  switch (nr) {
  case SYS_splice: return sys_splice(k, (int)a[0], a[1], (int)a[2], a[3], a[4], (uint32_t)a[5]);
  case SYS_tee: return sys_tee(k, (int)a[0], (int)a[1], a[2], (uint32_t)a[3]);
  default: return sys_vmsplice(k, (int)a[0], a[1], a[2], (uint32_t)a[3]);
  }
}
