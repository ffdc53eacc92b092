/* Pseudo-terminals: /dev/ptmx and /dev/pts/N, termios, the N_TTY line
 * discipline in canonical and raw mode (echo, CR/NL translation, erase,
 * kill, EOF), signals from the terminal, window size, poll/select, EOF and
 * EIO when one end closes.  Prints only what is the same on any Linux
 * (no pty numbers, uids or times), natively and under faultline. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void show(const char *what, const char *s, long n) {
  printf("%s: %ld \"", what, n);
  for (long i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') printf("\\n");
    else if (c == '\r') printf("\\r");
    else if (c < 32 || c >= 127) printf("\\%03o", c);
    else putchar(c);
  }
  printf("\"\n");
}

/* read exactly n bytes (a terminal read returns what is there) */
static long readn(int fd, char *b, long n) {
  long got = 0;
  while (got < n) {
    long r = read(fd, b + got, (size_t)(n - got));
    if (r <= 0) return got ? got : r;
    got += r;
  }
  return got;
}

static void rd(const char *what, int fd, long n) {
  char b[256];
  long r = readn(fd, b, n);
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else show(what, b, r);
}

static void rd1(const char *what, int fd) {   /* one read(2) */
  char b[256];
  long r = read(fd, b, sizeof b);
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else show(what, b, r);
}

static int pollin(int fd, int ms) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  int r = poll(&p, 1, ms);
  return r < 0 ? -1 : p.revents;
}

static int open_pair(int *s) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) || unlockpt(m)) return -1;
  *s = open(ptsname(m), O_RDWR | O_NOCTTY);
  return m;
}

static void identity(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY), lk = -1;
  unsigned n = 0;
  printf("posix_openpt: %s\n", m >= 0 ? "ok" : strerror(errno));
  ioctl(m, TIOCGPTLCK, &lk);
  printf("locked at first: %d\n", lk);
  char name[64];
  ioctl(m, TIOCGPTN, &n);
  snprintf(name, sizeof name, "/dev/pts/%u", n);
  printf("ptsname is /dev/pts/<TIOCGPTN>: %d\n", !strcmp(ptsname(m), name));
  int lo = open(name, O_RDWR | O_NOCTTY);
  printf("open while locked: %d %s\n", lo, lo < 0 ? strerror(errno) : "");
  printf("grantpt unlockpt: %d %d\n", grantpt(m), unlockpt(m));
  int s = open(name, O_RDWR | O_NOCTTY);
  printf("isatty master slave: %d %d\n", isatty(m), isatty(s));
  printf("ttyname(slave) == ptsname: %d\n", ttyname(s) && !strcmp(ttyname(s), name));
  char l[64], p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", m);
  long ll = readlink(p, l, sizeof l - 1);
  l[ll > 0 ? ll : 0] = 0;
  printf("master link: %s\n", l);
  struct stat ms, ss, ps;
  fstat(m, &ms);
  fstat(s, &ss);
  stat(name, &ps);
  printf("master: chr %d rdev %u:%u mode %o\n", S_ISCHR(ms.st_mode), major(ms.st_rdev), minor(ms.st_rdev), ms.st_mode & 07777);
  printf("slave: chr %d major %d minor ok %d own %d\n", S_ISCHR(ss.st_mode), major(ss.st_rdev) == 136 + n / 256,
         minor(ss.st_rdev) == n % 256, ss.st_uid == getuid());
  printf("slave stat by path == by fd: %d\n", ps.st_ino == ss.st_ino && ps.st_dev == ss.st_dev && ps.st_rdev == ss.st_rdev);
  printf("slave mode 0600 or 0620: %d\n", (ss.st_mode & 07777) == 0600 || (ss.st_mode & 07777) == 0620);
  unsigned g = 99;
  int ge = ioctl(s, TIOCGPTN, &g);
  printf("TIOCGPTN on slave: %d %s\n", ge, ge < 0 ? strerror(errno) : "");
  printf("F_GETFL master: %#x\n", fcntl(m, F_GETFL));
  DIR *d = opendir("/dev/pts");
  int seen = 0, ptmx = 0;
  struct dirent *e;
  char me[16];
  snprintf(me, sizeof me, "%u", n);
  while (d && (e = readdir(d))) {
    seen |= !strcmp(e->d_name, me);
    ptmx |= !strcmp(e->d_name, "ptmx");
  }
  if (d) closedir(d);
  printf("/dev/pts lists it: %d ptmx: %d\n", seen, ptmx);
  struct termios t, tm;
  tcgetattr(s, &t);
  tcgetattr(m, &tm);
  printf("termios %#x %#x %#x %#x speed %u; master shows the slave's: %d\n", t.c_iflag, t.c_oflag, t.c_cflag,
         t.c_lflag, (unsigned)cfgetospeed(&t),
         t.c_iflag == tm.c_iflag && t.c_oflag == tm.c_oflag && t.c_cflag == tm.c_cflag && t.c_lflag == tm.c_lflag &&
             !memcmp(t.c_cc, tm.c_cc, 17));
  printf("cc:");
  for (int i = 0; i < 17; i++) printf(" %d", t.c_cc[i]);
  printf("\n");
  int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  printf("TIOCGPTPEER: %s, same terminal: %d\n", peer >= 0 ? "ok" : strerror(errno),
         peer >= 0 && ttyname(peer) && !strcmp(ttyname(peer), name));
  close(peer);
  close(s);
  close(m);
  int se = stat(name, &ps);
  printf("after close: stat %d %s\n", se, se < 0 ? strerror(errno) : "");
}

static void canonical(void) {
  int s, m = open_pair(&s);
  printf("-- canonical\n");
  printf("poll master %#x slave %#x\n", pollin(m, 0), pollin(s, 0));
  write(m, "hello\n", 6);
  rd("slave reads", s, 6);
  rd("master echo", m, 7);
  write(m, "abc\r", 4);
  rd("ICRNL", s, 4);
  rd("echo", m, 5);
  write(m, "xy\177z\n", 5);
  rd("erase", s, 3);
  rd("erase echo", m, 8);
  write(m, "junk\025ok\n", 8);
  rd1("kill", s);
  rd("kill echo", m, 20);
  write(m, "partial", 7);
  rd("echo", m, 7);
  int n = -1;
  ioctl(s, FIONREAD, &n);
  printf("FIONREAD partial line: %d, poll slave %#x\n", n, pollin(s, 0));
  write(m, "\n", 1);
  printf("poll slave %#x\n", pollin(s, -1));
  ioctl(s, FIONREAD, &n);
  printf("FIONREAD line: %d\n", n);
  rd1("one read, one line", s);
  rd("echo", m, 2);
  write(m, "two\nlines\n", 10);
  pollin(s, -1);
  rd1("first", s);
  rd1("second", s);
  rd("echo", m, 12);
  write(m, "ab\004", 3);
  rd1("EOF ends a line", s);
  write(m, "\004", 1);
  rd1("EOF alone", s);
  rd("echo", m, 2);
  write(s, "out1\nout2\n", 10);
  rd("master reads ONLCR", m, 12);
  char drain[64];
  fcntl(s, F_SETFL, O_NONBLOCK);
  long r = read(s, drain, 1);
  printf("nonblocking empty read: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  fcntl(s, F_SETFL, 0);
  struct winsize w = {24, 80, 640, 480}, w2 = {0};
  ioctl(m, TIOCSWINSZ, &w);
  ioctl(s, TIOCGWINSZ, &w2);
  printf("winsize %d %d %d %d\n", w2.ws_row, w2.ws_col, w2.ws_xpixel, w2.ws_ypixel);
  int q = -1;
  int qr = ioctl(s, TIOCOUTQ, &q);
  printf("TIOCOUTQ %d %d\n", qr, q);
  write(s, "bye\n", 4);
  close(s);
  struct pollfd p = {m, POLLIN, 0};
  poll(&p, 1, -1);
  printf("master after slave close: %#x\n", p.revents);
  rd("rest", m, 5);
  r = read(m, drain, 1);
  printf("then: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  close(m);
}

static void raw(void) {
  int s, m = open_pair(&s);
  printf("-- raw\n");
  struct termios t;
  tcgetattr(s, &t);
  cfmakeraw(&t);
  printf("tcsetattr: %d\n", tcsetattr(s, TCSANOW, &t));
  tcgetattr(s, &t);
  printf("raw termios %#x %#x %#x %#x\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
  write(m, "a\rb\n\003\177", 6);
  rd("slave reads", s, 6);
  printf("no echo: %#x\n", pollin(m, 0));
  write(s, "x\ny\n", 4);
  rd("master reads", m, 4);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &t);
  char b[8];
  printf("VMIN 0 VTIME 0: %zd\n", read(s, b, 8));
  t.c_cc[VTIME] = 1;
  tcsetattr(s, TCSANOW, &t);
  printf("VMIN 0 VTIME 1: %zd\n", read(s, b, 8));
  t.c_cc[VMIN] = 3;
  t.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &t);
  write(m, "12", 2);
  printf("VMIN 3 poll with 2: %#x\n", pollin(s, 50) & POLLIN);
  write(m, "3", 1);
  rd1("VMIN 3", s);
  fd_set r;
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timeval tv = {0, 0};
  printf("select empty: %d\n", select(s + 1, &r, NULL, NULL, &tv));
  write(m, "zzz", 3);
  FD_ZERO(&r);
  FD_SET(s, &r);
  printf("select: %d\n", select(s + 1, &r, NULL, NULL, NULL));
  rd1("read", s);
  close(m);
  long rr = read(s, b, 1);
  printf("slave after master close: read %ld, ", rr);
  long wr = write(s, "x", 1);
  int we = errno, tty = isatty(s);
  printf("write %ld %s, isatty %d, poll %#x\n", wr, strerror(we), tty, pollin(s, 0));
  close(s);
}

static volatile sig_atomic_t got;
static void on_sig(int sig) { got = sig; }

/* a session leader opens a slave without O_NOCTTY: its controlling terminal */
static void session(void) {
  printf("-- session\n");
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    setsid();
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    int s = open(ptsname(m), O_RDWR);
    int pg = -1, sid = -1;
    printf("TIOCGPGRP is ours: %d\n", ioctl(s, TIOCGPGRP, &pg) == 0 && pg == getpgrp());
    printf("TIOCGSID is ours: %d\n", ioctl(s, TIOCGSID, &sid) == 0 && sid == getsid(0));
    printf("tcgetpgrp(master) is ours: %d\n", tcgetpgrp(m) == getpgrp());
    signal(SIGINT, on_sig);
    write(m, "abc\003", 4);
    rd("echo (the line's own echo flushed)", m, 2);
    printf("signal: %d\n", got);
    int n = -1;
    ioctl(s, FIONREAD, &n);
    printf("input flushed: %d\n", n);
    signal(SIGWINCH, on_sig);
    got = 0;
    struct winsize w = {10, 20, 0, 0};
    ioctl(m, TIOCSWINSZ, &w);
    printf("SIGWINCH: %d\n", got == SIGWINCH);
    printf("TIOCSCTTY again: %d\n", ioctl(s, TIOCSCTTY, 0));
    signal(SIGHUP, on_sig);
    got = 0;
    printf("TIOCNOTTY: %d", ioctl(s, TIOCNOTTY));
    printf(", SIGHUP %d\n", got == SIGHUP);
    int e = ioctl(s, TIOCGPGRP, &pg);
    printf("TIOCGPGRP after: %d %s\n", e, e < 0 ? strerror(errno) : "");
    /* a second terminal, the controlling one again: its master's close
     * hangs the session up */
    int m2 = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m2);
    unlockpt(m2);
    int s2 = open(ptsname(m2), O_RDWR);
    printf("the new slave is the controlling terminal: %d\n", tcgetpgrp(s2) == getpgrp());
    got = 0;
    signal(SIGCONT, SIG_DFL);
    close(m2);
    printf("SIGHUP at the master's close: %d\n", got == SIGHUP);
    e = ioctl(s2, TIOCGPGRP, &pg);
    printf("the hung-up slave's TIOCGPGRP: %d %s\n", e, e < 0 ? strerror(errno) : "");
    int s3 = open("/dev/ptmx", O_RDWR);   /* without O_NOCTTY: a master never becomes one */
    int s4 = s3 >= 0 && !grantpt(s3) && !unlockpt(s3) ? open(ptsname(s3), O_WRONLY) : -1;
    printf("a write-only slave does not become it: %d\n", tcgetpgrp(s4) < 0);
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child: %d\n", WEXITSTATUS(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  identity();
  canonical();
  raw();
  session();
  return 0;
}
