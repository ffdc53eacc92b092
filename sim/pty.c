/* Unix98 pseudo-terminals, guest-internal (no host pty): /dev/ptmx makes
 * a master and its slave /dev/pts/<n> (drivers/tty/pty.c, fs/devpts in
 * Linux 6.1); the line discipline both ends run is tty_ldisc.c's.
 *
 * Index: the lowest free, below kernel.pty.max (4096; devpts_new_index).
 * A new master is locked (TIOCSPTLCK) until unlockpt; opening a locked
 * slave is EIO.  The slave's inode (devpts defaults: mode 0600, the
 * opener's uid and gid, inode number index + 3, rdev 136 + index / 256 :
 * index % 256) is stat'ed the same by path and by descriptor, so
 * ttyname() finds it.  Closing the last slave descriptor makes the
 * master's reads EIO once its input is read and its poll POLLHUP
 * (TTY_OTHER_CLOSED); closing the master hangs the slave up (reads 0,
 * writes and ioctls EIO; SIGHUP to the session leader of a controlling
 * terminal) and removes /dev/pts/<n> (pty_close, devpts_pty_kill).  The termios ioctls on a master act on its slave
 * (tty_mode_ioctl's real_tty), the master's own termios stays raw.
 *
 * Readiness: each end has two host eventfds, set while the end is
 * readable / writable (pty_sync after every change), that a parked read,
 * write or poll waits on; the model decides what is ready. */
#include "sim/tty_priv.h"
#include "sim/procfs_priv.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#define PTY_MAX 4096               /* kernel.pty.max's default */
#define DEVPTS_DEV makedev(0, 26)  /* the devpts instance's anonymous device */
#define DEVTMPFS_DEV makedev(0, 6) /* /dev's (devtmpfs) */
#define PTMX_INO 90                /* /dev/ptmx's inode there */

static struct pty *pty_of(struct kernel *k, int index) {
  return k->ptys && index >= 0 && index < PTY_MAX ? k->ptys[index] : NULL;
}

/* /dev/pts/<n> exists while its master is open (devpts_pty_kill at its close) */
static struct pty *pty_live(struct kernel *k, int index) {
  struct pty *p = pty_of(k, index);
  return p && p->s[PTY_MASTER].refs > 0 ? p : NULL;
}

int pty_node(const struct gfd *g) { return g->pty_end == PTY_MASTER ? -1 : g->pty->index; }

/* n_tty_poll, and hung_up_tty_poll for a slave whose master is gone */
#define HUP_MASK (POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM)
static short end_mask(const struct pty *p, int e) {
  if (e == PTY_SLAVE && hung_up(p)) return HUP_MASK;
  short m = 0;
  if (tty_readable(p, e, true)) m |= POLLIN | POLLRDNORM;
  if (e == PTY_MASTER && other_closed(p)) m |= POLLHUP;
  if (tty_write_room(p, e) > 0) m |= POLLOUT | POLLWRNORM;
  return m;
}

static void efd_level(int fd, bool *cur, bool want) {
  uint64_t v = 1;
  if (fd < 0 || *cur == want) return;
  if (want ? write(fd, &v, sizeof v) != sizeof v : read(fd, &v, sizeof v) != sizeof v) return;
  *cur = want;
}

void pty_sync(struct pty *p) {
  for (int e = 0; e < 2; e++) {
    short m = end_mask(p, e);
    efd_level(p->s[e].efd_in, &p->s[e].in_set, m & (POLLIN | POLLHUP | POLLERR));
    efd_level(p->s[e].efd_out, &p->s[e].out_set, m & (POLLOUT | POLLERR));
  }
}

void pty_signal_fg(struct kernel *k, struct pty *p, int sig) {
  if (p->pgrp <= 0) return;
  for (struct task *t = k->tasks; t; t = t->next) {   /* kill_pgrp(pgrp, sig, 1) */
    struct task_ctx *c = task_ctx_of(k, t);
    if (c->tid == c->pid && c->tg->pgid == p->pgrp && t->state != TS_ZOMBIE)
      signal_send(k, t, sig, 0x80 /* SI_KERNEL */, 0);
  }
}

static void pty_free(struct pty *p) {
  for (int e = 0; e < 2; e++) {
    if (p->s[e].efd_in >= 0) close(p->s[e].efd_in);
    if (p->s[e].efd_out >= 0) close(p->s[e].efd_out);
    free(p->s[e].flip);
  }
  *p->slot = NULL;
  free(p);
}

void pty_get(struct gfd *g) { g->pty->s[g->pty_end].refs++; }

/* tty_vhangup of a slave that is a controlling terminal
 * (tty_signal_session_leader): its session loses it, the session leader
 * gets SIGHUP and SIGCONT; the terminal has no session or group after */
static void hangup_session(struct kernel *k, struct pty *p) {
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (c->tg->sid != p->sid || t->state == TS_ZOMBIE) continue;
    if (c->tg->ctty == p->id) c->tg->ctty = 0;
    if (c->pid == p->sid && c->tid == c->pid) {
      signal_send(k, t, SIGHUP, 0x80 /* SI_KERNEL */, 0);
      signal_send(k, t, SIGCONT, 0x80, 0);
    }
  }
  p->sid = p->pgrp = 0;
}

/* the last descriptor of an end is gone: pty_close */
void pty_put(struct gfd *g) {
  struct pty *p = g->pty;
  if (--p->s[g->pty_end].refs > 0) return;
  /* the master's close hangs the slave up (not at the end of the run) */
  if (g->pty_end == PTY_MASTER && p->sid && !p->k->all_exited) hangup_session(p->k, p);
  if (p->s[PTY_MASTER].refs == 0 && p->s[PTY_SLAVE].refs == 0) { pty_free(p); return; }
  pty_sync(p);
}

bool pty_host_fd(struct kernel *k, int hostfd) {
  for (int i = 0; k->ptys && i < PTY_MAX; i++) {
    struct pty *p = k->ptys[i];
    for (int e = 0; p && e < 2; e++)
      if (p->s[e].efd_in == hostfd || p->s[e].efd_out == hostfd) return true;
  }
  return false;
}

static int install(struct kernel *k, struct pty *p, int e, int flags, bool cloexec, int at) {
  int h = fcntl(p->s[e].efd_in, F_DUPFD_CLOEXEC, 3);
  if (h < 0) return -errno;
  char path[32];
  if (e == PTY_MASTER) snprintf(path, sizeof path, "/dev/ptmx");
  else snprintf(path, sizeof path, "/dev/pts/%d", p->index);
  int fd = at >= 0 ? gfd_install_at(k, at, FDK_PTY, h, flags, cloexec, path)
                   : gfd_install(k, 0, FDK_PTY, h, flags, cloexec, path);
  if (fd < 0) return fd;
  k->fds[fd].pty = p;
  k->fds[fd].pty_end = (uint8_t)e;
  k->fds[fd].pty_gen = p->s[e].gen;
  p->s[e].refs++;
  return fd;
}

/* ptmx_open */
static long open_master(struct kernel *k, int flags, bool cloexec) {
  if (!k->ptys && !(k->ptys = calloc(PTY_MAX, sizeof *k->ptys))) return -ENOMEM;
  int i = 0;
  while (i < PTY_MAX && k->ptys[i]) i++;
  if (i == PTY_MAX) return -ENOSPC;
  struct pty *p = calloc(1, sizeof *p);
  if (!p) return -ENOMEM;
  p->id = ++k->next_kobj_id;
  p->index = i;
  p->slot = &k->ptys[i];
  p->locked = true;
  p->uid = (uint32_t)k->fsuid;
  p->gid = (uint32_t)k->fsgid;
  p->ctime = ktime_ns(k);
  p->k = k;
  for (int e = 0; e < 2; e++) {
    tty_default_termios(&p->s[e].t, e == PTY_MASTER);
    p->s[e].efd_in = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->s[e].efd_out = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  k->ptys[i] = p;
  if (p->s[0].efd_in < 0 || p->s[0].efd_out < 0 || p->s[1].efd_in < 0 || p->s[1].efd_out < 0) {
    pty_free(p);
    return -ENOMEM;
  }
  pty_sync(p);
  int fd = install(k, p, PTY_MASTER, flags, cloexec, -1);
  if (fd < 0) pty_free(p);
  return fd;
}

static struct pty *ctty_of(struct kernel *k) {
  for (int i = 0; k->tg->ctty && k->ptys && i < PTY_MAX; i++)
    if (k->ptys[i] && k->ptys[i]->id == k->tg->ctty) return k->ptys[i];
  return NULL;
}

static bool session_leader(struct kernel *k) { return k->tg->sid == k->pid; }

static void set_ctty(struct kernel *k, struct pty *p) {   /* __proc_set_tty */
  p->sid = k->tg->sid;
  p->pgrp = k->tg->pgid;
  k->tg->ctty = p->id;
}

/* pty_open on a slave (tty_open: TTY_EXCLUSIVE, then the controlling
 * terminal of a session leader that has none, unless O_NOCTTY; flags: the
 * file's) */
static long open_slave(struct kernel *k, struct pty *p, int flags, bool noctty, bool cloexec) {
  if (p->locked || hung_up(p)) return -EIO;
  if (p->excl && p->slave_opened && p->s[PTY_SLAVE].refs && !capable(k, CAP_SYS_ADMIN_)) return -EBUSY;
  int fd = install(k, p, PTY_SLAVE, flags, cloexec, -1);
  if (fd < 0) return fd;
  p->slave_opened = true;
  /* tty_open_proc_set_tty: only a descriptor open for reading */
  if (!noctty && (flags & O_ACCMODE) != O_WRONLY && session_leader(k) && !ctty_of(k) && !p->sid) set_ctty(k, p);
  pty_sync(p);
  return fd;
}

long pty_open(struct kernel *k, int index, int flags, int keep, bool cloexec) {
  if (flags & O_DIRECTORY) return -ENOTDIR;
  if (index == -2 && !capable(k, 1 /* CAP_DAC_OVERRIDE */)) return -EACCES;   /* mode 0000 */
  if (index < 0) return open_master(k, keep, cloexec);
  struct pty *p = pty_live(k, index);
  return p ? open_slave(k, p, keep, flags & O_NOCTTY, cloexec) : -ENOENT;
}

/* ---- /dev/ptmx, /dev/pts ---- */

static void stat_of(struct kernel *k, int index, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_nlink = 1;
  st->st_blksize = 1024;
  time_t t = (time_t)(k->epoch_ns / 1000000000ull);
  struct pty *p = pty_of(k, index);
  if (index == -2) {        /* devpts' ptmx node */
    st->st_dev = DEVPTS_DEV;
    st->st_ino = 2;
    st->st_mode = S_IFCHR;
    st->st_rdev = makedev(5, 2);
    st->st_uid = fs_host_uid(k, 0);
    st->st_gid = fs_host_gid(k, 0);
  } else if (index < 0 || !p) {   /* /dev/ptmx (devtmpfs, root's) */
    st->st_dev = DEVTMPFS_DEV;
    st->st_ino = PTMX_INO;
    st->st_mode = S_IFCHR | 0666;
    st->st_rdev = makedev(5, 2);
    st->st_uid = fs_host_uid(k, 0);
    st->st_gid = fs_host_gid(k, 0);
    st->st_blksize = 4096;
  } else {
    st->st_dev = DEVPTS_DEV;
    st->st_ino = (ino_t)index + 3;
    st->st_mode = S_IFCHR | 0600;
    st->st_rdev = makedev(136 + (unsigned)index / 256, (unsigned)index % 256);
    st->st_uid = fs_host_uid(k, p->uid);
    st->st_gid = fs_host_gid(k, p->gid);
    t = (time_t)(p->ctime / 1000000000ull);
  }
  st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = t;
}

void pty_stat(struct kernel *k, const struct gfd *g, struct stat *st) {
  stat_of(k, g->pty_end == PTY_MASTER ? -1 : g->pty->index, st);
}

void pty_path_stat(struct kernel *k, int index, struct stat *st) { stat_of(k, index, st); }

int pty_walk(struct kernel *k, const char *g, bool slash, struct px *r) {
  if (!strcmp(g, "/dev/ptmx")) {
    if (slash) return -ENOTDIR;
    r->kind = PX_DEV;
    r->fd = -1;
    return 1;
  }
  if (!strcmp(g, "/dev/pts")) {
    struct sbuf b = {0};
    dir_add(k, &b, g, ".", DT_DIR);
    dir_add(k, &b, g, "..", DT_DIR);
    dir_add(k, &b, g, "ptmx", DT_CHR);
    for (int i = 0; k->ptys && i < PTY_MAX; i++)
      if (pty_live(k, i)) {
        char n[16];
        snprintf(n, sizeof n, "%d", i);
        size_t at = b.len;
        dir_add(k, &b, g, n, DT_CHR);
        uint64_t ino = (uint64_t)i + 3;   /* the inode stat shows */
        if (b.p && b.len > at) memcpy(b.p + at, &ino, 8);
      }
    int e = px_dir(r, &b);
    return e ? e : 1;
  }
  if (strncmp(g, "/dev/pts/", 9)) return 0;
  const char *n = g + 9;
  if (!strcmp(n, "ptmx")) {   /* devpts' own ptmx node (mode 0000 by default) */
    if (slash) return -ENOTDIR;
    r->kind = PX_DEV;
    r->fd = -2;
    return 1;
  }
  long v = 0;
  if (!*n || strlen(n) > 5 || (n[0] == '0' && n[1])) return -ENOENT;
  for (const char *q = n; *q; q++) {
    if (*q < '0' || *q > '9') return -ENOENT;
    v = v * 10 + (*q - '0');
  }
  if (!pty_live(k, (int)v)) return -ENOENT;
  if (slash) return -ENOTDIR;
  r->kind = PX_DEV;
  r->fd = (int)v;
  return 1;
}

/* ---- read, write, poll ---- */

static bool nonblock(const struct gfd *g) { return g->flags & O_NONBLOCK; }

/* park the running task until end e is readable (or writable): false
 * without a process model */
static bool park(struct kernel *k, struct pty *p, int e, bool out) {
  return fs_park_on_fd(k, out ? p->s[e].efd_out : p->s[e].efd_in, POLLIN);
}

/* n_tty_read (and hung_up_tty_read: 0).  VMIN/VTIME as n_tty_read's
 * minimum and timeout: a blocking read waits for min(VMIN, n) bytes
 * (VMIN 0: VTIME tenths of a second for one, then 0) */
long pty_read(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt) {
  struct pty *p = g->pty;
  int e = g->pty_end;
  struct tside *s = &p->s[e];
  if (fd_hung(g)) return 0;
  uint64_t n = 0;
  for (int i = 0; i < cnt; i++) n += iov[i].len;
  if (n > MAX_RW_COUNT) n = MAX_RW_COUNT;
  if (!n) return 0;
  bool icanon = s->t.lflag & ICANON;
  uint64_t need = 1;
  uint8_t vmin = s->t.cc[VMIN], vtime = s->t.cc[VTIME];
  if (!icanon) need = vmin ? (vmin < n ? vmin : n) : 0;
  bool ready = icanon ? s->canon > 0 : (uint64_t)s->rlen >= (need ? need : 1);
  if (!ready && !icanon && s->rlen > 0 && (nonblock(g) || !need)) ready = true;   /* what is there */
  if (!ready) {
    if (e == PTY_MASTER && other_closed(p)) return -EIO;
    if (nonblock(g)) return -EAGAIN;
    if (!icanon && !need && !vtime) return 0;   /* VMIN 0, VTIME 0: a poll */
    uint64_t deadline = k->cur ? task_wait_deadline(k) : 0, now = ktime_ns(k);
    if (!icanon && !need) {                    /* VMIN 0: VTIME tenths of a second */
      if (deadline && now >= deadline) return 0;
      if (!deadline) deadline = now + (uint64_t)vtime * 100000000ull;
      if (!park(k, p, e, false)) return 0;
      task_wait_until(k, deadline);
      return 0;
    }
    return park(k, p, e, false) ? 0 : -EAGAIN;
  }
  static uint8_t buf[NTTY_BUF];
  size_t got = tty_take(p, e, buf, n < sizeof buf ? (size_t)n : sizeof buf);
  size_t done = 0;
  for (int i = 0; i < cnt && done < got; i++) {
    size_t c = got - done < iov[i].len ? got - done : (size_t)iov[i].len;
    size_t w = fs_copy_out_prefix(k, iov[i].base, buf + done, c);
    done += w;
    if (w < c) break;   /* (what did not reach the guest is lost, as a faulting copy_to_user's tail) */
  }
  tty_pump(k, p, e);   /* room again: the tty buffer moves on */
  return done ? (long)done : got ? -EFAULT : 0;
}

/* n_tty_write through pty_write: what the peer's tty buffer takes; a
 * blocking writer with nothing taken waits for room */
long pty_write(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt) {
  struct pty *p = g->pty;
  int e = g->pty_end;
  if (fd_hung(g)) return -EIO;
  static uint8_t buf[TTY_FLIP_MAX];
  size_t n = 0;
  bool fault = false;
  for (int i = 0; i < cnt && n < sizeof buf && !fault; i++) {
    size_t c = sizeof buf - n < iov[i].len ? sizeof buf - n : (size_t)iov[i].len;
    size_t w = fs_copy_in_prefix(k, buf + n, iov[i].base, c);
    n += w;
    fault = w < c;
  }
  if (!n) return fault ? -EFAULT : 0;
  size_t w = tty_write(k, p, e, buf, n);
  if (!w) {
    if (nonblock(g)) return -EAGAIN;
    return park(k, p, e, true) ? 0 : -EAGAIN;
  }
  return (long)w;
}

/* the poll mask, and the host eventfds a parked poll waits on (-1: none) */
short pty_poll(struct gfd *g, short events, int *in_fd, int *out_fd) {
  struct pty *p = g->pty;
  int e = g->pty_end;
  *in_fd = events & (POLLIN | POLLRDNORM | POLLPRI) ? p->s[e].efd_in : -1;
  *out_fd = events & (POLLOUT | POLLWRNORM) ? p->s[e].efd_out : -1;
  return fd_hung(g) ? HUP_MASK : end_mask(p, e);
}
