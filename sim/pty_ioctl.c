/* The terminal ioctls of a pseudo-terminal descriptor (tty_ioctl,
 * tty_mode_ioctl, n_tty_ioctl_helper, n_tty_ioctl and pty_unix98_ioctl
 * in Linux 6.1).  Termios and window-size requests on a master act on
 * its slave (tty_pair_get_tty); a slave whose master is gone answers EIO
 * (hung_up_tty_ioctl; TIOCSPGRP ENOTTY). */
#include "sim/tty_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#define TIOCGPTN_ 0x80045430u
#define TIOCSPTLCK_ 0x40045431u
#define TIOCGPTLCK_ 0x80045439u
#define TIOCGPKT_ 0x80045438u
#define TIOCGEXCL_ 0x80045440u
#define TIOCSIG_ 0x40045436u
#define TCGETS2_ 0x802C542Au
#define TCSETS2_ 0x402C542Bu
#define TCSETSW2_ 0x402C542Cu
#define TCSETSF2_ 0x402C542Du
#define TIOCGPTPEER_ 0x5441u
#define CBAUD_ 0x100Fu
#define CBAUDEX_ 0x1000u
#define BOTHER_ 0x1000u
#define IBSHIFT_ 16

/* tty_termios_baud_rate: the speed a CBAUD value names */
static uint32_t baud_of(uint32_t cb) {
  static const uint32_t low[16] = {0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400};
  static const uint32_t high[16] = {0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000,
                                    1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000};
  return cb & CBAUDEX_ ? high[cb & 15] : low[cb & 15];
}

static void speeds_from_cflag(struct kterm *t) {
  uint32_t ob = t->cflag & CBAUD_, ib = (t->cflag >> IBSHIFT_) & CBAUD_;
  if (ob != BOTHER_) t->ospeed = baud_of(ob);
  if (ib != BOTHER_) t->ispeed = ib ? baud_of(ib) : t->ospeed;
}

/* set_termios: TCSETS* (36 bytes), TCSETA* (struct termio: the low 16
 * bits of each flag word and 8 control characters), TCSETS2* (44 bytes
 * with the speeds); then pty_set_termios (CS8, CREAD, no PARENB) */
static long set_termios(struct kernel *k, struct pty *p, int e, uint32_t req, uint64_t arg) {
  struct kterm nt = p->s[e].t;
  if (req >= 0x5406 && req <= 0x5408) {
    struct { uint16_t iflag, oflag, cflag, lflag; uint8_t line, cc[8]; } __attribute__((packed)) tio;
    if (copy_from_user(k, &tio, arg, 17)) return -EFAULT;
    nt.iflag = (nt.iflag & 0xffff0000u) | tio.iflag;
    nt.oflag = (nt.oflag & 0xffff0000u) | tio.oflag;
    nt.cflag = (nt.cflag & 0xffff0000u) | tio.cflag;
    nt.lflag = (nt.lflag & 0xffff0000u) | tio.lflag;
    nt.line = tio.line;
    memcpy(nt.cc, tio.cc, 8);
  } else {
    bool two = req >= TCSETS2_ && req <= TCSETSF2_;
    if (copy_from_user(k, &nt, arg, two ? 44 : 36)) return -EFAULT;
    if (!two) { nt.ispeed = p->s[e].t.ispeed; nt.ospeed = p->s[e].t.ospeed; }
  }
  speeds_from_cflag(&nt);
  nt.cflag = (nt.cflag & ~(uint32_t)(CSIZE | PARENB)) | CS8 | CREAD;
  nt.line = p->s[e].t.line;   /* the line discipline changes by TIOCSETD only */
  bool flush = req == 0x5404 || req == 0x5408 || req == TCSETSF2_;
  if (flush) tty_flush_input(p, e);
  tty_set_termios(p, e, &nt);
  tty_pump(k, p, e);
  return 0;
}

static long get_termios(struct kernel *k, const struct kterm *t, uint32_t req, uint64_t arg) {
  if (req == 0x5405) {   /* TCGETA: struct termio */
    struct { uint16_t iflag, oflag, cflag, lflag; uint8_t line, cc[8]; uint8_t pad; } tio = {
        (uint16_t)t->iflag, (uint16_t)t->oflag, (uint16_t)t->cflag, (uint16_t)t->lflag, t->line, {0}, 0};
    memcpy(tio.cc, t->cc, 8);
    return copy_to_user(k, arg, &tio, 18) ? -EFAULT : 0;
  }
  return copy_to_user(k, arg, t, req == TCGETS2_ ? 44 : 36) ? -EFAULT : 0;
}

static long put_int(struct kernel *k, uint64_t arg, int v) { return copy_to_user(k, arg, &v, 4) ? -EFAULT : 0; }

/* is the slave the running process's controlling terminal? */
static bool is_ctty(struct kernel *k, const struct pty *p) { return k->tg->ctty && k->tg->ctty == p->id; }

/* tiocsctty */
static long sctty(struct kernel *k, struct pty *p, uint64_t arg) {
  if (k->tg->sid == k->pid && p->sid == k->tg->sid) return 0;   /* already ours */
  if (k->tg->sid != k->pid || k->tg->ctty) return -EPERM;
  if (p->sid) {   /* another session's: only a forced steal by CAP_SYS_ADMIN */
    if (arg != 1 || !capable(k, CAP_SYS_ADMIN_)) return -EPERM;
    for (struct task *t = k->tasks; t; t = t->next) {   /* session_clear_tty */
      struct task_ctx *c = task_ctx_of(k, t);
      if (c->tg->sid == p->sid && c->tg->ctty == p->id) c->tg->ctty = 0;
    }
  }
  p->sid = k->tg->sid;
  p->pgrp = k->tg->pgid;
  k->tg->ctty = p->id;
  return 0;
}

/* disassociate_ctty(1) for TIOCNOTTY: a session leader's terminal loses
 * its session, its foreground group gets SIGHUP and SIGCONT */
static long notty(struct kernel *k, struct pty *p) {
  if (!is_ctty(k, p)) return -ENOTTY;
  if (k->tg->sid == k->pid) {
    if (p->pgrp > 0) {
      pty_signal_fg(k, p, SIGHUP);
      pty_signal_fg(k, p, SIGCONT);
    }
    for (struct task *t = k->tasks; t; t = t->next) {
      struct task_ctx *c = task_ctx_of(k, t);
      if (c->tg->sid == p->sid) c->tg->ctty = 0;
    }
    p->sid = p->pgrp = 0;
  } else {
    k->tg->ctty = 0;
  }
  return 0;
}

/* tiocspgrp: the slave must be the caller's controlling terminal, the
 * group one of its session */
static long spgrp(struct kernel *k, struct pty *p, uint64_t arg) {
  int pg;
  if (!is_ctty(k, p) || p->sid != k->tg->sid) return -ENOTTY;
  if (copy_from_user(k, &pg, arg, 4)) return -EFAULT;
  if (pg < 0) return -EINVAL;
  bool found = false, same = false;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (t->state == TS_ZOMBIE || c->tg->pgid != pg) continue;
    found = true;
    same |= c->tg->sid == k->tg->sid;
  }
  if (!found) return -ESRCH;
  if (!same) return -EPERM;
  p->pgrp = pg;
  return 0;
}

/* n_tty_ioctl's TIOCINQ: a canonical reader's complete lines without
 * their end-of-file marks, else all the input */
static int inq(const struct pty *p, int e) {
  const struct tside *s = &p->s[e];
  if (!(s->t.lflag & ICANON) || (s->t.lflag & EXTPROC)) return s->rlen;
  int n = 0;
  for (int i = 0; i < s->canon; i++) n += !(s->rflag[i] & TF_EOF);
  return n;
}

long pty_ioctl(struct kernel *k, struct gfd *g, uint32_t req, uint64_t arg) {
  struct pty *p = g->pty;
  int e = g->pty_end;
  bool master = e == PTY_MASTER;
  if (fd_hung(g)) return req == 0x5410 ? -ENOTTY : -EIO;
  switch (req) {
  case 0x5401: case 0x5405: case TCGETS2_:   /* TCGETS, TCGETA, TCGETS2: the slave's */
    return get_termios(k, &p->s[PTY_SLAVE].t, req, arg);
  case 0x5402: case 0x5403: case 0x5404: case 0x5406: case 0x5407: case 0x5408:
  case TCSETS2_: case TCSETSW2_: case TCSETSF2_:
    return set_termios(k, p, PTY_SLAVE, req, arg);
  case 0x5409: case 0x5425:      /* TCSBRK, TCSBRKP: no break_ctl, nothing to drain */
  case 0x5427: case 0x5428:      /* TIOCSBRK, TIOCCBRK */
    return 0;
  case 0x540A:                   /* TCXONC */
    if (arg == TCOOFF) p->s[e].stopped = true;
    else if (arg == TCOON) p->s[e].stopped = false;
    else if (arg != TCIOFF && arg != TCION) return -EINVAL;
    pty_sync(p);
    return 0;
  case 0x540B:                   /* TCFLSH: tty_perform_flush on this end */
    if (arg > TCIOFLUSH) return -EINVAL;
    if (arg != TCOFLUSH) tty_flush_input(p, e);
    if (arg != TCIFLUSH) p->s[e ^ 1].flen = 0;   /* pty_flush_buffer: the peer's tty buffer */
    pty_sync(p);
    return 0;
  case 0x540C: p->excl = true; return 0;     /* TIOCEXCL */
  case 0x540D: p->excl = false; return 0;    /* TIOCNXCL */
  case TIOCGEXCL_: return put_int(k, arg, p->excl);
  case 0x540E: return sctty(k, p, arg);      /* TIOCSCTTY */
  case 0x5422: return master ? -ENOTTY : notty(k, p);   /* TIOCNOTTY: the slave's own */
  case 0x540F:                               /* TIOCGPGRP */
    if (!master && !is_ctty(k, p)) return -ENOTTY;
    return put_int(k, arg, p->pgrp);
  case 0x5410: return spgrp(k, p, arg);      /* TIOCSPGRP */
  case 0x5429:                               /* TIOCGSID */
    if ((!master && !is_ctty(k, p)) || !p->sid) return -ENOTTY;
    return put_int(k, arg, p->sid);
  case 0x5411: return put_int(k, arg, 0);    /* TIOCOUTQ: a pty keeps no output queue */
  case 0x541B: return put_int(k, arg, inq(p, e));   /* FIONREAD */
  case 0x5413: return copy_to_user(k, arg, p->winsz, 8) ? -EFAULT : 0;   /* TIOCGWINSZ */
  case 0x5414: {                             /* TIOCSWINSZ: pty_resize, SIGWINCH on a change */
    uint8_t w[8];
    if (copy_from_user(k, w, arg, 8)) return -EFAULT;
    if (memcmp(w, p->winsz, 8)) {
      memcpy(p->winsz, w, 8);
      pty_signal_fg(k, p, SIGWINCH);
    }
    return 0;
  }
  case 0x5424: return put_int(k, arg, p->s[e].t.line);   /* TIOCGETD */
  case 0x5423: {                             /* TIOCSETD: only N_TTY is built */
    int d;
    if (copy_from_user(k, &d, arg, 4)) return -EFAULT;
    return d == 0 ? 0 : -EINVAL;
  }
  case TIOCGPTN_: return master ? put_int(k, arg, p->index) : -ENOTTY;
  case TIOCSPTLCK_: {
    int v;
    if (!master) return -ENOTTY;
    if (copy_from_user(k, &v, arg, 4)) return -EFAULT;
    p->locked = v != 0;
    return 0;
  }
  case TIOCGPTLCK_: return master ? put_int(k, arg, p->locked) : -ENOTTY;
  case TIOCGPKT_: return master ? put_int(k, arg, 0) : -ENOTTY;
  case TIOCSIG_:                             /* a signal to the slave's foreground group */
    if (!master) return -ENOTTY;
    if (arg == 0 || arg > 64) return -EINVAL;
    pty_signal_fg(k, p, (int)arg);
    return 0;
  case 0x5437:                               /* TIOCVHANGUP: this end's open files hang up */
    if (!capable(k, CAP_SYS_ADMIN_)) return -EPERM;
    p->s[e].gen++;
    return 0;
  case TIOCGPTPEER_: {                       /* ptm_open_peer */
    if (!master) return -EIO;
    int fl = (int)arg;
    return pty_open(k, p->index, fl, fl & ~(O_NOCTTY | O_CLOEXEC), fl & O_CLOEXEC);
  }
  default:
    return sys_unsupported_option(k, "ioctl", "request", req, -ENOTTY);
  }
}
