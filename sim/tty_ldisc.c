/* The N_TTY line discipline of the pseudo-terminal model, run by both
 * ends of a pair (drivers/tty/n_tty.c in Linux 6.1): output processing
 * (OPOST: ONLCR, OCRNL, ONOCR, ONLRET, XTABS, OLCUC), input processing
 * (ISTRIP, IGNCR, ICRNL, INLCR, IUCLC, IXON), signals (ISIG), canonical
 * editing (VERASE, VWERASE, VKILL, VEOF, VEOL, VEOL2, VLNEXT, VREPRINT)
 * and echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL).
 *
 * A write on one end goes through that end's output processing into the
 * other end's tty buffer (flip, up to TTY_FLIP_MAX bytes, as
 * tty_insert_flip_string leaves them); tty_pump moves those bytes through
 * the receiving end's input processing into its read buffer while that
 * has room (N_TTY_BUF_SIZE; canonical mode with no complete line keeps
 * the newest byte in the last slot, as n_tty_receive_buf_common does).
 * Not modelled: PARMRK/IGNPAR/INPCK (no parity errors happen on a pty),
 * ECHOPRT, packet mode, the VTIME inter-byte timer once VMIN bytes
 * started (pty.c waits for VMIN). */
#include "sim/tty_priv.h"
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

/* tty_std_termios, with the unix98 pty drivers' changes (unix98_pty_init):
 * the master raw, neither end with HUPCL, 38400 baud */
void tty_default_termios(struct kterm *t, bool master) {
  static const uint8_t init_cc[PTY_NCC] = {003, 034, 0177, 025, 004, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0};
  memset(t, 0, sizeof *t);
  memcpy(t->cc, init_cc, sizeof init_cc);
  t->cflag = B38400 | CS8 | CREAD;
  t->ispeed = t->ospeed = 38400;
  if (master) return;
  t->iflag = ICRNL | IXON;
  t->oflag = OPOST | ONLCR;
  t->lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
}

static int peer(int e) { return e ^ 1; }

static size_t flip_room(const struct tside *s) { return (size_t)(TTY_FLIP_MAX - s->flen); }

/* one byte into end e's tty buffer; false when it is full */
static bool flip_put(struct tside *s, uint8_t c) {
  if (s->flen >= TTY_FLIP_MAX) return false;
  if (!s->flip && !(s->flip = malloc(TTY_FLIP_MAX))) return false;
  s->flip[s->flen++] = c;
  return true;
}

/* do_output_char: one byte through end e's output processing into its
 * peer's tty buffer; false (nothing written) when the room is short */
static bool out_char(struct pty *p, int e, uint8_t c) {
  struct tside *s = &p->s[e], *d = &p->s[peer(e)];
  const struct kterm *t = &s->t;
  if (!(t->oflag & OPOST)) return flip_put(d, c);
  switch (c) {
  case '\n':
    if (t->oflag & ONLRET) s->column = 0;
    if (t->oflag & ONLCR) {
      if (flip_room(d) < 2) return false;
      s->column = 0;
      flip_put(d, '\r');
    }
    return flip_put(d, c);
  case '\r':
    if ((t->oflag & ONOCR) && s->column == 0) return true;
    if (t->oflag & OCRNL) {
      c = '\n';
      if (t->oflag & ONLRET) s->column = 0;
      return flip_put(d, c);
    }
    s->column = 0;
    return flip_put(d, c);
  case '\t': {
    int spaces = 8 - (s->column & 7);
    if ((t->oflag & TABDLY) == XTABS) {
      if (flip_room(d) < (size_t)spaces) return false;
      s->column += spaces;
      while (spaces--) flip_put(d, ' ');
      return true;
    }
    if (!flip_room(d)) return false;
    s->column += spaces;
    return flip_put(d, c);
  }
  case '\b':
    if (!flip_room(d)) return false;
    if (s->column > 0) s->column--;
    return flip_put(d, c);
  default:
    if (!flip_room(d)) return false;
    if (!iscntrl(c)) {
      if (t->oflag & OLCUC) c = (uint8_t)toupper(c);
      if ((c & 0xc0) != 0x80) s->column++;   /* a UTF-8 continuation takes no column */
    }
    return flip_put(d, c);
  }
}

size_t tty_write(struct kernel *k, struct pty *p, int from, const uint8_t *buf, size_t n) {
  size_t i = 0;
  if (!p->s[from].stopped)
    for (; i < n; i++)
      if (!out_char(p, from, buf[i])) break;
  tty_pump(k, p, peer(from));
  return i;
}

size_t tty_write_room(const struct pty *p, int e) {
  return p->s[e].stopped ? 0 : flip_room(&p->s[peer(e)]);
}

/* echoes are output of the receiving end (dropped when there is no room) */
static void echo_raw(struct pty *p, int e, uint8_t c) { out_char(p, e, c); }

static void echo_char(struct pty *p, int e, uint8_t c) {
  if ((p->s[e].t.lflag & ECHOCTL) && iscntrl(c) && c != '\t') {
    echo_raw(p, e, '^');
    c ^= 0100;
  }
  echo_raw(p, e, c);
}

static void erase_one_echo(struct pty *p, int e, uint8_t c) {
  struct tside *s = &p->s[e];
  int cols = (iscntrl(c) && c != '\t' && (s->t.lflag & ECHOCTL)) ? 2 : (c & 0xc0) == 0x80 ? 0 : 1;
  for (int i = 0; i < cols; i++) {
    echo_raw(p, e, '\b');
    echo_raw(p, e, ' ');
    echo_raw(p, e, '\b');
  }
}

/* eraser: VERASE, VWERASE or VKILL on the line being edited */
static void eraser(struct pty *p, int e, uint8_t c) {
  struct tside *s = &p->s[e];
  const struct kterm *t = &s->t;
  if (s->rlen == s->canon) return;
  bool kill = c == t->cc[VKILL], word = c == t->cc[VWERASE] && (t->lflag & IEXTEN);
  if (kill) {
    if (!(t->lflag & ECHO)) { s->rlen = s->canon; return; }
    if (!(t->lflag & ECHOK) || !(t->lflag & ECHOKE) || !(t->lflag & ECHOE)) {
      s->rlen = s->canon;
      echo_char(p, e, c);
      if (t->lflag & ECHOK) echo_raw(p, e, '\n');
      return;
    }
  }
  bool seen_alnum = false;
  while (s->rlen > s->canon) {
    uint8_t b = s->rbuf[s->rlen - 1];
    if (word) {
      bool an = isalnum(b) || b == '_';
      if (an) seen_alnum = true;
      else if (seen_alnum) break;
    }
    s->rlen--;
    if (t->lflag & ECHO) {
      if (!kill && !word && !(t->lflag & ECHOE)) echo_char(p, e, t->cc[VERASE]);
      else erase_one_echo(p, e, b);
    }
    if (!kill && !word && (b & 0xc0) != 0x80) break;   /* one character (all its UTF-8 bytes) */
  }
}

static bool full(const struct tside *s) { return s->rlen >= NTTY_BUF - 1; }

static void store(struct tside *s, uint8_t c, uint8_t fl) {
  if (full(s)) {
    /* canonical mode with no line: the newest byte takes the last slot */
    if (s->rlen <= s->canon) return;
    s->rlen--;
  }
  s->rbuf[s->rlen] = c;
  s->rflag[s->rlen++] = fl;
  if (fl & TF_DELIM) s->canon = s->rlen;
}

/* n_tty_receive_char*: one byte into end e; false when it must wait for room */
static bool receive(struct kernel *k, struct pty *p, int e, uint8_t c) {
  struct tside *s = &p->s[e];
  const struct kterm *t = &s->t;
  bool icanon = t->lflag & ICANON, echo = t->lflag & ECHO;
  if (full(s) && !(icanon && s->canon == 0)) return false;
  if (t->iflag & ISTRIP) c &= 0x7f;
  if ((t->iflag & IUCLC) && (t->lflag & IEXTEN)) c = (uint8_t)tolower(c);
  if (s->lnext) {
    s->lnext = false;
    if (echo) echo_char(p, e, c);
    store(s, c, 0);
    return true;
  }
  if (t->iflag & IXON) {
    if (c == t->cc[VSTART]) { s->stopped = false; return true; }
    if (c == t->cc[VSTOP]) { s->stopped = true; return true; }
    if ((t->iflag & IXANY) && s->stopped) s->stopped = false;
  }
  if (t->lflag & ISIG) {
    int sig = c == t->cc[VINTR] ? SIGINT : c == t->cc[VQUIT] ? SIGQUIT : c == t->cc[VSUSP] ? SIGTSTP : 0;
    if (sig && c != 0) {   /* isig: signal the foreground group; flush unless NOFLSH; echo */
      if (!(t->lflag & NOFLSH)) {
        /* the echoes not yet out and the output not yet read (the peer's
         * tty buffer: tty_driver_flush_buffer), and the input so far */
        p->s[peer(e)].flen = 0;
        s->rlen = s->canon = 0;
        s->lnext = false;
      }
      if (echo) echo_char(p, e, c);
      pty_signal_fg(k, p, sig);
      return true;
    }
  }
  if (c == '\r') {
    if (t->iflag & IGNCR) return true;
    if (t->iflag & ICRNL) c = '\n';
  } else if (c == '\n' && (t->iflag & INLCR)) {
    c = '\r';
  }
  if (icanon && c != 0) {
    if (c == t->cc[VERASE] || c == t->cc[VKILL] || (c == t->cc[VWERASE] && (t->lflag & IEXTEN))) {
      eraser(p, e, c);
      return true;
    }
    if (c == t->cc[VLNEXT] && (t->lflag & IEXTEN)) {
      s->lnext = true;
      if (echo && (t->lflag & ECHOCTL)) { echo_raw(p, e, '^'); echo_raw(p, e, '\b'); }
      return true;
    }
    if (c == t->cc[VREPRINT] && echo && (t->lflag & IEXTEN)) {
      echo_char(p, e, c);
      echo_raw(p, e, '\n');
      for (int i = s->canon; i < s->rlen; i++) echo_char(p, e, s->rbuf[i]);
      return true;
    }
    if (c == '\n') {
      if (echo || (t->lflag & ECHONL)) echo_raw(p, e, '\n');
      store(s, c, TF_DELIM);
      return true;
    }
    if (c == t->cc[VEOF]) {
      store(s, 0, TF_DELIM | TF_EOF);   /* __DISABLED_CHAR, never read */
      return true;
    }
    if (c == t->cc[VEOL] || (c == t->cc[VEOL2] && (t->lflag & IEXTEN))) {
      if (echo) echo_char(p, e, c);
      store(s, c, TF_DELIM);
      return true;
    }
  }
  if (echo) {
    if (c == '\n' && icanon) echo_raw(p, e, c);
    else echo_char(p, e, c);
  }
  store(s, c, 0);
  return true;
}

static void pump_one(struct kernel *k, struct pty *p, int e) {
  struct tside *s = &p->s[e];
  int i = 0;
  while (i < s->flen && receive(k, p, e, s->flip[i])) i++;
  if (i) {
    memmove(s->flip, s->flip + i, (size_t)(s->flen - i));
    s->flen -= i;
  }
}

/* then the echoes it made reach the peer's reader */
void tty_pump(struct kernel *k, struct pty *p, int e) {
  pump_one(k, p, e);
  if (p->s[peer(e)].flen) pump_one(k, p, peer(e));
  pty_sync(p);
}

bool tty_readable(const struct pty *p, int e, bool for_poll) {
  const struct tside *s = &p->s[e];
  if (s->t.lflag & ICANON) return s->canon > 0;
  int amt = for_poll && !s->t.cc[VTIME] && s->t.cc[VMIN] ? s->t.cc[VMIN] : 1;
  return s->rlen >= amt;
}

size_t tty_take(struct pty *p, int e, uint8_t *out, size_t n) {
  struct tside *s = &p->s[e];
  size_t copy, used;
  if (s->t.lflag & ICANON) {
    size_t line = 0;
    bool eof = false;
    for (int i = 0; i < s->canon; i++)
      if (s->rflag[i] & TF_DELIM) { line = (size_t)i + 1; eof = s->rflag[i] & TF_EOF; break; }
    size_t text = line - (eof ? 1 : 0);
    copy = n < text ? n : text;
    used = copy == text ? line : copy;
  } else {
    copy = used = n < (size_t)s->rlen ? n : (size_t)s->rlen;
  }
  memcpy(out, s->rbuf, copy);
  memmove(s->rbuf, s->rbuf + used, (size_t)s->rlen - used);
  memmove(s->rflag, s->rflag + used, (size_t)s->rlen - used);
  s->rlen -= (int)used;
  s->canon = s->canon > (int)used ? s->canon - (int)used : 0;
  return copy;
}

void tty_flush_input(struct pty *p, int e) {
  p->s[e].rlen = p->s[e].canon = 0;
  p->s[e].flen = 0;
  p->s[e].lnext = false;
}

void tty_set_termios(struct pty *p, int e, const struct kterm *nt) {
  struct tside *s = &p->s[e];
  uint32_t changed = (s->t.lflag ^ nt->lflag) & (ICANON | EXTPROC);
  s->t = *nt;
  if (changed) {   /* n_tty_set_termios: the pending input becomes one line, or plain bytes */
    memset(s->rflag, 0, sizeof s->rflag);
    s->canon = 0;
    if ((nt->lflag & ICANON) && s->rlen) {
      s->rflag[s->rlen - 1] = TF_DELIM;
      s->canon = s->rlen;
    }
    s->lnext = false;
  }
  if (!(nt->iflag & IXON)) s->stopped = false;
}
