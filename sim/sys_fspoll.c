/* poll, ppoll, select, pselect6 and epoll over guest fds.  Pseudo files are always
 * ready; host fds are asked without waiting first.  With the process
 * model a wait parks the task (BLK_FD; several fds through a host epoll
 * fd watching them all) until a deadline in guest time; the only process
 * waiting on host fds makes the host wait, and a finite timeout that
 * expires advances virtual time by the timeout. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

struct kpollfd { int32_t fd; int16_t events, revents; };

/* A task can park on one host fd: a poll over several parks on a host
 * epoll fd watching them all, closed when the task polls again. */
static struct { struct task *t; int ep; } poll_ep[64];

static void poll_ep_drop(struct task *t) {
  for (int i = 0; i < 64; i++)
    if (poll_ep[i].t == t && t) { close(poll_ep[i].ep); poll_ep[i].t = NULL; }
}

static bool park_on_set(struct kernel *k, const struct pollfd *hp, int nh) {
  if (!k->cur || nh <= 0) return false;
  if (nh == 1) return fs_park_on_fd(k, hp[0].fd, hp[0].events);
  int slot = -1;
  for (int i = 0; i < 64 && slot < 0; i++) if (!poll_ep[i].t) slot = i;
  int ep = slot < 0 ? -1 : epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return fs_park_on_fd(k, hp[0].fd, hp[0].events);
  for (int i = 0; i < nh; i++) {
    struct epoll_event ev = {.events = (uint32_t)(uint16_t)hp[i].events};
    epoll_ctl(ep, EPOLL_CTL_ADD, hp[i].fd, &ev);   /* poll bits are epoll bits */
  }
  poll_ep[slot].t = k->cur;
  poll_ep[slot].ep = ep;
  return fs_park_on_fd(k, ep, POLLIN);
}

/* Poll guest fds: pseudo files are always ready; host fds are asked
 * first without waiting.  Then, with the process model, the task parks
 * (an infinite timeout, or any timeout while other processes exist: they
 * may be the ones to write); otherwise the host waits, and a finite
 * timeout that expires advances virtual time by the timeout.  Returns
 * FS_WOULD_BLOCK when the task was parked. */
static int do_poll(struct kernel *k, struct kpollfd *p, int n, int64_t timeout_ms) {
  poll_ep_drop(k->cur);
  static struct pollfd hp[MAX_FDS];
  static int map[MAX_FDS];
  int nh = 0, ready = 0;
  for (int i = 0; i < n; i++) {
    p[i].revents = 0;
    if (p[i].fd < 0) continue;
    struct gfd *g = gfd_get(k, p[i].fd);
    if (!g) { p[i].revents = POLLNVAL; ready++; continue; }
    if (g->kind == FDK_PTY) {
      /* the model's readiness; until then the end's eventfds wake a parked poll */
      int fin, fout;
      p[i].revents = pty_poll(g, p[i].events, &fin, &fout) & (p[i].events | POLLERR | POLLHUP);
      if (p[i].revents) { ready++; continue; }
      int w[2] = {fin, fout};
      for (int j = 0; j < 2; j++)
        if (w[j] >= 0) {
          hp[nh].fd = w[j];
          hp[nh].events = POLLIN;
          hp[nh].revents = 0;
          map[nh++] = i;
        }
      continue;
    }
    if (g->kind == FDK_PIDFD) {
      /* the model's readiness; until then its exit eventfd wakes a parked poll */
      p[i].revents = pidfd_poll_mask(k, g) & (p[i].events | POLLERR | POLLHUP);
      if (p[i].revents) { ready++; continue; }
      hp[nh].fd = g->hostfd;
      hp[nh].events = POLLIN;
      hp[nh].revents = 0;
      map[nh++] = i;
      continue;
    }
    if (g->kind == FDK_PROC || g->hostfd < 0) {
      p[i].revents = p[i].events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
      if (p[i].revents) ready++;
      continue;
    }
    hp[nh].fd = g->hostfd;
    hp[nh].events = p[i].events;
    hp[nh].revents = 0;
    map[nh++] = i;
  }
  int wait = ready ? 0 : timeout_ms < 0 ? -1 : (int)(timeout_ms > 0x7fffffff ? 0x7fffffff : timeout_ms);
  /* a timed wait ends at its deadline, set when it first parked; a re-run
   * after the deadline answers with what is ready now */
  uint64_t deadline = k->cur ? task_wait_deadline(k) : 0, now = ktime_ns(k);
  if (deadline && now >= deadline) wait = 0;
  if (wait > 0 && !deadline) deadline = now + (uint64_t)timeout_ms * 1000000ull;
  if (nh == 0 && wait != 0) {
    if (!k->cur) {                   /* no process model: skip the time */
      if (wait < 0) return -EINTR;
      k->sleep_ns += (uint64_t)timeout_ms * 1000000ull;
      return 0;
    }
    if (wait < 0) {
      k->cur->block = BLK_PAUSE;     /* only a signal can wake us */
      k->block_now = true;
      k->block_restart = true;
    } else task_wait_until(k, deadline);
    return (int)FS_WOULD_BLOCK;
  }
  int r;
  if (nh) {
    do r = poll(hp, (nfds_t)nh, 0);
    while (r < 0 && errno == EINTR);
    /* others may be the ones to write; an alarm due before the timeout
     * interrupts the wait (virtual time skips to it, as for a sleep) */
    bool others = k->tasks && k->tasks->next;
    bool alarm = k->tg && k->tg->alarm_ns && (wait < 0 || k->tg->alarm_ns < deadline);
    if (r == 0 && wait != 0 && (wait < 0 || others || alarm) && park_on_set(k, hp, nh)) {
      if (wait > 0) task_wait_until(k, deadline);
      return (int)FS_WOULD_BLOCK;
    }
    if (r == 0 && wait != 0) {
      /* the only process waits on the host (a terminal, a host pipe) */
      do r = poll(hp, (nfds_t)nh, wait);
      while (r < 0 && errno == EINTR && !hostsig_waiting());
      if (r < 0 && errno == EINTR) {   /* a signal sent to faultline: the guest's now */
        hostsig_poll(k);
        return -EINTR;
      }
      if (r == 0) k->sleep_ns += (uint64_t)timeout_ms * 1000000ull;
    }
    if (r < 0) return -errno;
    for (int j = 0; j < nh; j++) {
      if (j && map[j - 1] == map[j]) continue;   /* a pty's second wake-up fd */
      struct kpollfd *q = &p[map[j]];
      struct gfd *g = gfd_get(k, q->fd);
      int fin, fout;
      q->revents = g && g->kind == FDK_PIDFD ? pidfd_poll_mask(k, g) & (q->events | POLLERR | POLLHUP)
                   : g && g->kind == FDK_PTY ? pty_poll(g, q->events, &fin, &fout) & (q->events | POLLERR | POLLHUP)
                                             : hp[j].revents;
      if (q->revents) ready++;
    }
  }
  return ready;
}

static long sys_poll(struct kernel *k, uint64_t ufds, uint64_t nfds, int64_t timeout_ms) {
  if (nfds > MAX_FDS) return -EINVAL;
  static struct kpollfd p[MAX_FDS];
  if (nfds && copy_from_user(k, p, ufds, nfds * sizeof p[0])) return -EFAULT;
  int r = do_poll(k, p, (int)nfds, timeout_ms);
  if (r == (int)FS_WOULD_BLOCK) return 0;   /* parked: re-run later */
  if (r < 0) return r;
  for (uint64_t i = 0; i < nfds; i++)
    if (copy_to_user(k, ufds + i * sizeof p[0] + 6, &p[i].revents, 2)) return -EFAULT;
  return r;
}

static int64_t ts_to_ms(int64_t s, int64_t ns) {
  if (s < 0 || ns < 0 || ns >= 1000000000) return -2;
  if (s > 1000000000) return 1000000000000ll;
  return s * 1000 + (ns + 999999) / 1000000;
}

static long sys_ppoll(struct kernel *k, uint64_t ufds, uint64_t nfds, uint64_t uts) {
  int64_t ms = -1;
  struct { int64_t s, ns; } ts;
  if (uts) {
    if (copy_from_user(k, &ts, uts, sizeof ts)) return -EFAULT;
    ms = ts_to_ms(ts.s, ts.ns);
    if (ms == -2) return -EINVAL;
  }
  long r = sys_poll(k, ufds, nfds, ms);
  if (r == 0 && uts && !k->block_now) {
    memset(&ts, 0, sizeof ts);
    if (copy_to_user(k, uts, &ts, sizeof ts)) return -EFAULT;
  }
  return r;
}

static long sys_select(struct kernel *k, int nfds, uint64_t ur, uint64_t uw, uint64_t ue,
                       uint64_t uto, bool spec) {
  if (nfds < 0) return -EINVAL;
  if (nfds > MAX_FDS) nfds = MAX_FDS;
  size_t words = ((size_t)nfds + 63) / 64;
  uint64_t in[3][MAX_FDS / 64], outs[3][MAX_FDS / 64];
  uint64_t us[3] = {ur, uw, ue};
  memset(in, 0, sizeof in);
  memset(outs, 0, sizeof outs);
  for (int s = 0; s < 3; s++)
    if (us[s] && words && copy_from_user(k, in[s], us[s], words * 8)) return -EFAULT;
  int64_t ms = -1;
  struct { int64_t s, sub; } to;
  if (uto) {
    if (copy_from_user(k, &to, uto, sizeof to)) return -EFAULT;
    ms = spec ? ts_to_ms(to.s, to.sub) : (to.sub < 0 || to.sub >= 1000000 ? -2 : ts_to_ms(to.s, to.sub * 1000));
    if (ms == -2) return -EINVAL;
  }
  static struct kpollfd p[MAX_FDS];
  int n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short ev = 0;
    if (in[0][fd / 64] >> (fd % 64) & 1) ev |= POLLIN;
    if (in[1][fd / 64] >> (fd % 64) & 1) ev |= POLLOUT;
    if (in[2][fd / 64] >> (fd % 64) & 1) ev |= POLLPRI;
    if (!ev) continue;
    if (!gfd_get(k, fd)) return -EBADF;
    p[n].fd = fd;
    p[n].events = ev;
    n++;
  }
  int r = do_poll(k, p, n, ms);
  if (r == (int)FS_WOULD_BLOCK) return 0;   /* parked: re-run later */
  if (r < 0) return r;
  int cnt = 0;
  for (int i = 0; i < n; i++) {
    int fd = p[i].fd;
    short re = p[i].revents;
    if ((p[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) { outs[0][fd / 64] |= 1ull << (fd % 64); cnt++; }
    if ((p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) { outs[1][fd / 64] |= 1ull << (fd % 64); cnt++; }
    if ((p[i].events & POLLPRI) && (re & POLLPRI)) { outs[2][fd / 64] |= 1ull << (fd % 64); cnt++; }
  }
  for (int s = 0; s < 3; s++)
    if (us[s] && words && copy_to_user(k, us[s], outs[s], words * 8)) return -EFAULT;
  if (uto && cnt == 0) {
    memset(&to, 0, sizeof to);
    if (copy_to_user(k, uto, &to, sizeof to)) return -EFAULT;
  }
  return cnt;
}

/* ---- epoll: an epoll instance is the host's, watching the host
 * descriptors behind the guest's (the guest's event data kept as given);
 * a wait is a poll of the instance, then the host's events */
#define EPOLL_PATH "anon_inode:[eventpoll]"
struct kepoll_event { uint32_t events; uint64_t data; } __attribute__((packed));   /* x86-64's */

static struct gfd *epoll_of(struct kernel *k, int fd, long *err) {
  struct gfd *e = gfd_get(k, fd);
  *err = e ? -EINVAL : -EBADF;
  return e && e->kind == FDK_HOST && !strcmp(e->path, EPOLL_PATH) ? e : NULL;
}

static long sys_epoll_create(struct kernel *k, int flags) {
  if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
  int h = epoll_create1(EPOLL_CLOEXEC);
  if (h < 0) return -errno;
  return gfd_install(k, 0, FDK_HOST, h, O_RDWR, (flags & EPOLL_CLOEXEC) != 0, EPOLL_PATH);
}

static long sys_epoll_ctl(struct kernel *k, int epfd, int op, int fd, uint64_t uev) {
  struct kepoll_event ev = {0};
  long err;
  if (op != EPOLL_CTL_DEL && copy_from_user(k, &ev, uev, sizeof ev)) return -EFAULT;   /* (before the fds) */
  struct gfd *g = gfd_get(k, fd), *e = gfd_get(k, epfd);
  struct stat st;
  if (!e || !g) return -EBADF;
  /* do_epoll_ctl: a target that cannot poll (a regular file, a
   * directory; here also a pseudo file) before an epfd that is none */
  if (g->kind == FDK_PROC || g->hostfd < 0 || (!fstat(g->hostfd, &st) && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))))
    return -EPERM;
  if (!(e = epoll_of(k, epfd, &err)) || epfd == fd) return -EINVAL;
  struct epoll_event hev = {.events = ev.events, .data.u64 = ev.data};
  return epoll_ctl(e->hostfd, op, g->hostfd, &hev) ? -errno : 0;
}

static long sys_epoll_wait(struct kernel *k, int epfd, uint64_t uev, int maxev, int64_t timeout_ms) {
  static struct epoll_event hev[1024];
  long err;
  if (maxev <= 0 || (uint64_t)maxev > 0x7fffffffull / sizeof(struct kepoll_event)) return -EINVAL;
  struct gfd *e = epoll_of(k, epfd, &err);
  if (!e) return err;
  struct kpollfd p = {.fd = epfd, .events = POLLIN};
  int r = do_poll(k, &p, 1, timeout_ms);
  if (r == (int)FS_WOULD_BLOCK) return 0;   /* parked: re-run later */
  if (r <= 0) return r;
  int n = epoll_wait(gfd_get(k, epfd)->hostfd, hev, maxev < 1024 ? maxev : 1024, 0);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    struct kepoll_event o = {hev[i].events, hev[i].data.u64};
    if (copy_to_user(k, uev + (uint64_t)i * sizeof o, &o, sizeof o)) return -EFAULT;
  }
  return n;
}

long fs_sys_poll(struct kernel *k, int nr, const uint64_t a[6]) {
  switch (nr) {
  case SYS_epoll_create: return (int)a[0] <= 0 ? -EINVAL : sys_epoll_create(k, 0);
  case SYS_epoll_create1: return sys_epoll_create(k, (int)a[0]);
  case SYS_epoll_ctl: return sys_epoll_ctl(k, (int)a[0], (int)a[1], (int)a[2], a[3]);
  case SYS_epoll_wait: return sys_epoll_wait(k, (int)a[0], a[1], (int)a[2], (int64_t)(int)a[3]);
  case SYS_epoll_pwait:                /* (the mask: as ppoll's) */
    if (a[4] && a[5] != 8) return -EINVAL;
    return sys_epoll_wait(k, (int)a[0], a[1], (int)a[2], (int64_t)(int)a[3]);
  case SYS_epoll_pwait2: {
    int64_t ms = -1;
    struct { int64_t s, ns; } ts;
    if (a[4] && a[5] != 8) return -EINVAL;
    if (a[3]) {
      if (copy_from_user(k, &ts, a[3], sizeof ts)) return -EFAULT;
      if ((ms = ts_to_ms(ts.s, ts.ns)) == -2) return -EINVAL;
    }
    return sys_epoll_wait(k, (int)a[0], a[1], (int)a[2], ms);
  }
  case SYS_poll: return sys_poll(k, a[0], a[1], (int64_t)(int)a[2]);
  case SYS_ppoll: return sys_ppoll(k, a[0], a[1], a[2]);
  case SYS_select: return sys_select(k, (int)a[0], a[1], a[2], a[3], a[4], false);
  default: return sys_select(k, (int)a[0], a[1], a[2], a[3], a[4], true);   /* pselect6 */
  }
}
