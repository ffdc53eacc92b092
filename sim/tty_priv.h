/* Private to the pseudo-terminal model: pty.c (the devices, their
 * descriptors, ioctls and /dev/pts) and tty_ldisc.c (the N_TTY line
 * discipline both ends run).  What the rest of the file-system side calls
 * is declared in sim/fs_priv.h. */
#ifndef FAULTLINE_SIM_TTY_PRIV_H
#define FAULTLINE_SIM_TTY_PRIV_H
#include "sim/fs_priv.h"

#define NTTY_BUF 4096        /* N_TTY_BUF_SIZE: one end's read buffer */
#define TTY_FLIP_MAX 65536   /* TTYB_DEFAULT_MEM_LIMIT: bytes a write may leave unprocessed */
#define PTY_NCC 19           /* NCCS of the kernel's struct termios */

/* struct ktermios as TCGETS2 shows it (the first 36 bytes: TCGETS's) */
struct kterm {
  uint32_t iflag, oflag, cflag, lflag;
  uint8_t line, cc[PTY_NCC];
  uint32_t ispeed, ospeed;
};

/* One end of a pair: its tty's termios and N_TTY state */
struct tside {
  struct kterm t;
  uint8_t rbuf[NTTY_BUF];    /* processed input the reader takes */
  uint8_t rflag[NTTY_BUF];   /* TF_* per byte */
  int rlen;                  /* bytes in rbuf */
  int canon;                 /* canonical mode: bytes up to the last line end */
  int column;                /* output column (ONLCR, tabs, erase) */
  bool lnext;                /* the last byte was VLNEXT */
  bool stopped;              /* output stopped by VSTOP/TCOOFF */
  uint8_t *flip;             /* bytes received but not yet through receive (the tty buffer) */
  int flen;
  int refs;                  /* descriptors on this end */
  int efd_in, efd_out;       /* host eventfds, readable while the end is readable / writable */
  bool in_set, out_set;
  uint32_t gen;              /* vhangups so far: the files opened before are hung up */
};
enum { TF_DELIM = 1, TF_EOF = 2 };
enum { PTY_MASTER = 0, PTY_SLAVE = 1 };

struct pty {
  uint64_t id;               /* never reused: names it for a controlling terminal */
  int index;                 /* /dev/pts/<index> */
  struct pty **slot;         /* its entry in the kernel's table */
  struct tside s[2];
  bool locked;               /* TIOCSPTLCK: the slave cannot be opened */
  bool slave_opened;         /* the slave was opened once */
  bool excl;                 /* TIOCEXCL */
  uint8_t winsz[8];          /* struct winsize, shared by both ends */
  int sid, pgrp;             /* the session it controls and its foreground group (0: none) */
  uint32_t uid, gid;         /* the slave's owner, group (devpts: the opener's) */
  uint64_t ctime;            /* guest time of the ptmx open */
  struct kernel *k;          /* the run's (a descriptor's release has none at hand) */
};

/* TTY_OTHER_CLOSED on the master: its slave was opened and is closed
 * again; a slave is hung up once its master is closed */
static inline bool other_closed(const struct pty *p) { return p->slave_opened && p->s[PTY_SLAVE].refs == 0; }
static inline bool hung_up(const struct pty *p) { return p->s[PTY_MASTER].refs == 0; }
/* a descriptor with hung_up_tty_fops: a slave's after its master's close,
 * or one opened before a TIOCVHANGUP of its end */
static inline bool fd_hung(const struct gfd *g) {
  return (g->pty_end == PTY_SLAVE && hung_up(g->pty)) || g->pty_gen != g->pty->s[g->pty_end].gen;
}

/* tty_ldisc.c */
void tty_default_termios(struct kterm *t, bool master);
/* bytes written on end `from` (its output processing), into the other end's tty buffer;
 * how many of buf were taken */
size_t tty_write(struct kernel *k, struct pty *p, int from, const uint8_t *buf, size_t n);
/* move the tty buffer of end e through its line discipline while there is room */
void tty_pump(struct kernel *k, struct pty *p, int e);
/* input the reader of end e may take now (a whole line in canonical mode) */
bool tty_readable(const struct pty *p, int e, bool for_poll);
/* copy out what a read of n bytes takes (one line at most in canonical
 * mode, an end-of-file mark ends it and is dropped) */
size_t tty_take(struct pty *p, int e, uint8_t *out, size_t n);
/* the termios of end e changes (n_tty_set_termios) */
void tty_set_termios(struct pty *p, int e, const struct kterm *nt);
void tty_flush_input(struct pty *p, int e);
/* bytes another write could leave in e's peer (pty_write_room) */
size_t tty_write_room(const struct pty *p, int e);
/* pty.c: the readiness eventfds of both ends follow the state */
void pty_sync(struct pty *p);
/* pty.c: a signal to the foreground group of the slave's session (isig) */
void pty_signal_fg(struct kernel *k, struct pty *p, int sig);

#endif
