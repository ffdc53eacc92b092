/* pidfds: pidfd_open, CLONE_PIDFD (clone and clone3), pidfd_send_signal,
 * pidfd_getfd, waitid(P_PIDFD), poll/select readiness, and what the
 * descriptor itself answers (flags, read/write/lseek, fstat, readlink).
 * Output names no pid, so it is the same natively and under faultline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CLONE_PIDFD_ 0x1000
#define CLONE_PARENT_SETTID_ 0x00100000
#define CLONE_DETACHED_ 0x00400000
#define P_PIDFD_ 3
#define PIDFD_THREAD_ O_EXCL

struct clone_args_ {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static long pidfd_open(int pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static long send_sig(int fd, int sig, siginfo_t *info, unsigned flags) {
  return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static long getfd(int pidfd, int fd, unsigned flags) { return syscall(SYS_pidfd_getfd, pidfd, fd, flags); }

static const char *en(int e) {
  switch (e) {
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case ESRCH: return "ESRCH";
  case EPERM: return "EPERM";
  case EFAULT: return "EFAULT";
  case ECHILD: return "ECHILD";
  case EAGAIN: return "EAGAIN";
  case ESPIPE: return "ESPIPE";
  default: return "other";
  }
}
/* the result of a call: its value when it worked, its errno's name if not */
#define SHOW(what, call)                                                       \
  do {                                                                         \
    errno = 0;                                                                 \
    long r_ = (long)(call);                                                    \
    if (r_ < 0) printf("%s: -1 %s\n", what, en(errno));                        \
    else printf("%s: %ld\n", what, r_);                                        \
  } while (0)
#define FAILS(what, call)                                                      \
  do {                                                                         \
    errno = 0;                                                                 \
    long r_ = (long)(call);                                                    \
    printf("%s: %s\n", what, r_ < 0 ? en(errno) : "succeeded");                \
  } while (0)

/* wait until pid sleeps (its /proc stat state is S) */
static void wait_sleeping(pid_t pid) {
  for (int tries = 0; tries < 5000; tries++) {
    char path[64], st[512] = {0};
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) { if (fread(st, 1, sizeof st - 1, f)) {} fclose(f); }
    char *rp = strrchr(st, ')');
    if (rp && rp[2] == 'S') break;
    usleep(1000);
  }
  usleep(10000);
}

/* a child that waits for a byte on the pipe, then exits with `code` */
static pid_t waiting_child(int *wake, int code) {
  int p[2];
  if (pipe(p)) exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    if (read(p[0], &c, 1) != 1) _exit(99);
    _exit(code);
  }
  close(p[0]);
  *wake = p[1];
  return pid;
}

static short poll_now(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void the_descriptor(void) {
  printf("-- the descriptor\n");
  int fd = (int)pidfd_open(getpid(), 0);
  printf("close-on-exec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  printf("F_GETFL: %#o\n", fcntl(fd, F_GETFL));
  int nb = (int)pidfd_open(getpid(), O_NONBLOCK);
  printf("PIDFD_NONBLOCK F_GETFL: %#o\n", fcntl(nb, F_GETFL));
  int th = (int)pidfd_open(getpid(), PIDFD_THREAD_);
  printf("PIDFD_THREAD F_GETFL: %#o\n", fcntl(th, F_GETFL));
  char b[64];
  FAILS("read", read(fd, b, sizeof b));
  FAILS("write", write(fd, b, 8));
  FAILS("pread", pread(fd, b, 8, 0));
  FAILS("lseek", lseek(fd, 0, SEEK_SET));
  struct stat s1, s2, s3;
  fstat(fd, &s1);
  fstat(nb, &s2);
  printf("fstat: mode %#o size %lld, two pidfds of one process share an inode: %d\n",
         (unsigned)s1.st_mode, (long long)s1.st_size, s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
  int wake;
  pid_t c = waiting_child(&wake, 0);
  int cfd = (int)pidfd_open(c, 0);
  fstat(cfd, &s3);
  printf("another process's pidfd has another inode: %d\n", s3.st_ino != s1.st_ino);
  char path[64], link[128] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  if (readlink(path, link, sizeof link - 1) < 0) strcpy(link, "(error)");
  printf("readlink: %s\n", link);
  int d = dup(fd);
  printf("dup F_GETFL: %#o, close-on-exec %d\n", fcntl(d, F_GETFL), (fcntl(d, F_GETFD) & FD_CLOEXEC) != 0);
  fcntl(d, F_SETFL, O_NONBLOCK);
  printf("F_SETFL O_NONBLOCK: %#o\n", fcntl(d, F_GETFL));
  if (write(wake, "x", 1) != 1) exit(1);
  waitpid(c, NULL, 0);
  close(wake);
  close(cfd);
  close(d);
  close(th);
  close(nb);
  close(fd);
}

static void open_errors(void) {
  printf("-- pidfd_open\n");
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, NULL, 0);
  FAILS("bad flags", pidfd_open(getpid(), 1));
  FAILS("pid 0", pidfd_open(0, 0));
  FAILS("negative pid", pidfd_open(-5, 0));
  FAILS("bad flags and pid", pidfd_open(0, 1));
  FAILS("reaped pid", pidfd_open(gone, 0));
  pid_t z = fork();
  if (z == 0) _exit(3);
  int zfd;
  /* a zombie still has a pid: it can be opened and is ready at once */
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, z, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == z) break;
  }
  zfd = (int)pidfd_open(z, 0);
  printf("zombie: open %d, poll %#x\n", zfd >= 0, (unsigned)poll_now(zfd, POLLIN));
  waitpid(z, NULL, 0);
  printf("after reaping: poll %#x\n", (unsigned)poll_now(zfd, POLLIN | POLLOUT));
  close(zfd);
}

static void readiness(void) {
  printf("-- poll and select\n");
  int wake;
  pid_t c = waiting_child(&wake, 4);
  int fd = (int)pidfd_open(c, 0);
  printf("running: poll %#x\n", (unsigned)poll_now(fd, POLLIN | POLLOUT | POLLPRI));
  fd_set r;
  FD_ZERO(&r);
  FD_SET(fd, &r);
  struct timeval tv = {0, 0};
  printf("running: select %d\n", select(fd + 1, &r, NULL, NULL, &tv));
  /* a helper ends the child once this process sleeps in poll */
  pid_t parent = getpid(), helper = fork();
  if (helper == 0) {
    wait_sleeping(parent);
    if (write(wake, "x", 1) != 1) _exit(1);
    _exit(0);
  }
  close(wake);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, -1);
  printf("blocking poll woke: %d %#x\n", n, (unsigned)p.revents);
  FD_ZERO(&r);
  FD_SET(fd, &r);
  n = select(fd + 1, &r, NULL, NULL, &tv);
  printf("exited: select %d readable %d\n", n, FD_ISSET(fd, &r) != 0);
  waitpid(helper, NULL, 0);
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  printf("reaped: poll %#x\n", (unsigned)poll_now(fd, POLLIN));
  close(fd);
}

static void waiting(void) {
  printf("-- waitid(P_PIDFD)\n");
  siginfo_t si;
  int file = open("/proc/self/stat", O_RDONLY);
  int self = (int)pidfd_open(getpid(), 0);
  FAILS("negative id", waitid(P_PIDFD_, -1, &si, WEXITED));
  FAILS("not a pidfd", waitid(P_PIDFD_, file, &si, WEXITED | WNOHANG));
  FAILS("closed fd", waitid(P_PIDFD_, 900, &si, WEXITED | WNOHANG));
  FAILS("no options", waitid(P_PIDFD_, self, &si, 0));
  FAILS("own process", waitid(P_PIDFD_, self, &si, WEXITED | WNOHANG));
  int wake;
  pid_t c = waiting_child(&wake, 5);
  int nb = (int)pidfd_open(c, O_NONBLOCK), fd = (int)pidfd_open(c, 0);
  memset(&si, 0x55, sizeof si);
  FAILS("nonblocking pidfd, running child", waitid(P_PIDFD_, nb, &si, WEXITED));
  printf("  siginfo: signo %d pid %d code %d\n", si.si_signo, (int)si.si_pid, si.si_code);
  memset(&si, 0x55, sizeof si);
  SHOW("WNOHANG, running child", waitid(P_PIDFD_, fd, &si, WEXITED | WNOHANG));
  printf("  siginfo: signo %d pid %d\n", si.si_signo, (int)si.si_pid);
  pid_t parent = getpid(), helper = fork();
  if (helper == 0) {
    wait_sleeping(parent);
    if (write(wake, "x", 1) != 1) _exit(1);
    _exit(0);
  }
  close(wake);
  memset(&si, 0, sizeof si);
  SHOW("blocking wait", waitid(P_PIDFD_, fd, &si, WEXITED | WNOWAIT));
  printf("  siginfo: signo %d code %d status %d is the child %d\n", si.si_signo, si.si_code, si.si_status,
         si.si_pid == c);
  SHOW("reap through the nonblocking pidfd", waitid(P_PIDFD_, nb, &si, WEXITED));
  FAILS("again", waitid(P_PIDFD_, fd, &si, WEXITED));
  waitpid(helper, NULL, 0);
  close(nb);
  close(fd);
  close(self);
  close(file);
}

static void cloning(void) {
  printf("-- CLONE_PIDFD\n");
  int pidfd = -1, ptid = 0;
  FAILS("clone with CLONE_PARENT_SETTID", syscall(SYS_clone, CLONE_PIDFD_ | CLONE_PARENT_SETTID_ | SIGCHLD, 0, &pidfd, 0, 0));
  FAILS("clone with CLONE_DETACHED", syscall(SYS_clone, CLONE_PIDFD_ | CLONE_DETACHED_ | SIGCHLD, 0, &pidfd, 0, 0));
  FAILS("clone, bad pointer", syscall(SYS_clone, CLONE_PIDFD_ | SIGCHLD, 0, (void *)8, 0, 0));
  FAILS("  no child was made", waitpid(-1, NULL, WNOHANG));
  int lowest = dup(0);
  close(lowest);
  long r = syscall(SYS_clone, CLONE_PIDFD_ | SIGCHLD, 0, &pidfd, 0, 0);
  if (r == 0) syscall(SYS_exit_group, 7);
  printf("clone: pidfd is the lowest free fd %d, close-on-exec %d\n", pidfd == lowest,
         (fcntl(pidfd, F_GETFD) & FD_CLOEXEC) != 0);
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  int n = poll(&p, 1, -1);
  printf("poll until it exits: %d %#x\n", n, (unsigned)p.revents);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PIDFD_, pidfd, &si, WEXITED);
  printf("its status %d, it was the clone's child %d\n", si.si_status, si.si_pid == r);
  close(pidfd);

  struct clone_args_ ca;
  memset(&ca, 0, sizeof ca);
  ca.flags = CLONE_PIDFD_ | CLONE_PARENT_SETTID_;
  ca.pidfd = ca.parent_tid = (uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  FAILS("clone3, pidfd and parent_tid in one place", syscall(SYS_clone3, &ca, sizeof ca));
  ca.pidfd = 8;
  FAILS("clone3, bad pidfd pointer", syscall(SYS_clone3, &ca, sizeof ca));
  ca.flags = CLONE_PIDFD_ | CLONE_DETACHED_;
  ca.pidfd = (uintptr_t)&pidfd;
  FAILS("clone3 with CLONE_DETACHED", syscall(SYS_clone3, &ca, sizeof ca));
  ca.flags = CLONE_PIDFD_ | SIGCHLD;
  FAILS("clone3 with a signal in its flags", syscall(SYS_clone3, &ca, sizeof ca));
  ca.flags = CLONE_PIDFD_ | (1ull << 40);
  FAILS("clone3 with an unknown flag", syscall(SYS_clone3, &ca, sizeof ca));
  ca.flags = CLONE_PIDFD_ | CLONE_PARENT_SETTID_;
  ca.parent_tid = (uintptr_t)&ptid;
  r = syscall(SYS_clone3, &ca, sizeof ca);
  if (r == 0) syscall(SYS_exit_group, 9);
  memset(&si, 0, sizeof si);
  waitid(P_PIDFD_, pidfd, &si, WEXITED);
  printf("clone3: parent_tid is the child %d, its status %d\n", ptid == r, si.si_status);
  close(pidfd);
}

static volatile sig_atomic_t got_sig, got_code, got_value;
static void on_sig(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
}

static void signalling(void) {
  printf("-- pidfd_send_signal\n");
  setpgid(0, 0);   /* lead a process group, natively as under faultline */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  int self = (int)pidfd_open(getpid(), 0);
  int file = open("/proc/self/stat", O_RDONLY);
  siginfo_t si;
  FAILS("bad flags", send_sig(self, 0, NULL, 8));
  FAILS("two scopes", send_sig(self, 0, NULL, 3));
  FAILS("bad fd", send_sig(900, 0, NULL, 0));
  FAILS("not a pidfd", send_sig(file, 0, NULL, 0));
  FAILS("signal 65", send_sig(self, 65, NULL, 0));
  FAILS("signal -1", send_sig(self, -1, NULL, 0));
  FAILS("bad siginfo pointer", send_sig(self, SIGUSR1, (siginfo_t *)8, 0));
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  FAILS("siginfo of another signal", send_sig(self, SIGUSR1, &si, 0));
  SHOW("signal 0 to itself", send_sig(self, 0, NULL, 0));
  SHOW("thread scope", send_sig(self, 0, NULL, 1));
  SHOW("process scope", send_sig(self, 0, NULL, 2));
  SHOW("process group scope (it leads its group)", send_sig(self, 0, NULL, 4));
  got_sig = 0;
  SHOW("SIGUSR1 to itself", send_sig(self, SIGUSR1, NULL, 0));
  printf("  handler: sig %d code %d\n", got_sig, got_code);
  got_sig = 0;
  SHOW("PIDFD_SELF_THREAD", send_sig(-10000, SIGUSR1, NULL, 0));
  printf("  handler: sig %d code %d\n", got_sig, got_code);
  FAILS("-10002", send_sig(-10002, 0, NULL, 0));
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR1;
  si.si_code = SI_QUEUE;
  si.si_value.sival_int = 777;
  got_sig = 0;
  SHOW("SI_QUEUE siginfo to itself", send_sig(self, SIGUSR1, &si, 0));
  printf("  handler: sig %d code %d value %d\n", got_sig, got_code, got_value);
  int proc = open("/proc/self", O_RDONLY | O_DIRECTORY);
  got_sig = 0;
  SHOW("through a /proc/<pid> directory", send_sig(proc, SIGUSR1, NULL, 0));
  printf("  handler: sig %d\n", got_sig);
  FAILS("a /proc/<pid>/task directory", send_sig(open("/proc/self/task", O_RDONLY | O_DIRECTORY), 0, NULL, 0));

  int wake;
  pid_t c = waiting_child(&wake, 0);
  int fd = (int)pidfd_open(c, 0);
  si.si_code = SI_USER;
  FAILS("kill's code to another process", send_sig(fd, SIGUSR1, &si, 0));
  si.si_code = SI_QUEUE;
  FAILS("a queued signal to a group it does not lead", send_sig(fd, SIGUSR1, &si, 4));
  FAILS("process group scope (it does not lead one)", send_sig(fd, 0, NULL, 4));
  SHOW("SIGTERM to the child", send_sig(fd, SIGTERM, NULL, 0));
  siginfo_t w;
  memset(&w, 0, sizeof w);
  waitid(P_PIDFD_, fd, &w, WEXITED | WNOWAIT);
  printf("  child: code %s signal %d\n", w.si_code == CLD_KILLED ? "CLD_KILLED" : "other", w.si_status);
  SHOW("SIGKILL to the zombie", send_sig(fd, SIGKILL, NULL, 0));
  waitpid(c, NULL, 0);
  FAILS("signal 0 once reaped", send_sig(fd, 0, NULL, 0));
  close(wake);

  if (getuid() == 0) {
    /* another user may not signal this process */
    pid_t u = fork();
    if (u == 0) {
      if (setuid(65534)) _exit(2);
      errno = 0;
      long r = send_sig(self, SIGUSR1, NULL, 0);
      _exit(r < 0 && errno == EPERM ? 0 : 1);
    }
    int st;
    waitpid(u, &st, 0);
    printf("another user: EPERM %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  } else {
    printf("another user: EPERM 1\n");
  }
  close(fd);
  close(proc);
  close(file);
  close(self);
}

static void getting_fds(void) {
  printf("-- pidfd_getfd\n");
  int self = (int)pidfd_open(getpid(), 0);
  int file = open("pidfdx.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (write(file, "0123456789", 10) != 10) exit(1);
  FAILS("flags", getfd(self, file, 1));
  FAILS("bad pidfd", getfd(900, file, 0));
  FAILS("not a pidfd", getfd(file, file, 0));
  FAILS("target not open", getfd(self, 900, 0));
  FAILS("target -1", getfd(self, -1, 0));
  int opath = open(".", O_PATH);
  FAILS("an O_PATH target", getfd(self, opath, 0));
  int mine = (int)getfd(self, file, 0);
  printf("own descriptor: copied %d close-on-exec %d same offset %d\n", mine >= 0,
         (fcntl(mine, F_GETFD) & FD_CLOEXEC) != 0, lseek(mine, 0, SEEK_CUR) == 10);
  close(mine);

  /* the child opens a file of its own and says which fd it got */
  int p[2], back[2];
  if (pipe(p) || pipe(back)) exit(1);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    int f = open("pidfdx.tmp", O_RDONLY);
    if (write(p[1], &f, sizeof f) != sizeof f) _exit(1);
    char ch;
    if (read(back[0], &ch, 1) != 1) _exit(1);   /* the parent moved our offset */
    char buf[4] = {0};
    if (read(f, buf, 3) != 3) _exit(1);
    _exit(buf[0] == '6' ? 0 : 1);
  }
  int cf;
  if (read(p[0], &cf, sizeof cf) != sizeof cf) exit(1);
  int fd = (int)pidfd_open(c, 0);
  int got = (int)getfd(fd, cf, 0);
  char buf[5] = {0};
  printf("child's file: copied %d close-on-exec %d\n", got >= 0, (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
  if (read(got, buf, 4) != 4) exit(1);
  lseek(got, 6, SEEK_SET);
  printf("  reads %s; the offset is shared with the child\n", buf);
  if (write(back[1], "x", 1) != 1) exit(1);
  int st;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  waitid(P_PIDFD_, fd, &si, WEXITED | WNOWAIT);
  printf("  child read from offset 6: %d\n", si.si_status == 0);
  FAILS("zombie", getfd(fd, cf, 0));
  waitpid(c, &st, 0);
  FAILS("reaped", getfd(fd, cf, 0));
  if (getuid() == 0) {
    pid_t u = fork();
    if (u == 0) {
      if (setuid(65534)) _exit(2);
      errno = 0;
      long r = getfd(self, 0, 0);
      _exit(r < 0 && errno == EPERM ? 0 : 1);
    }
    waitpid(u, &st, 0);
    printf("another user: EPERM %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  } else {
    printf("another user: EPERM 1\n");
  }
  close(got);
  close(fd);
  close(opath);
  close(file);
  close(self);
  unlink("pidfdx.tmp");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  the_descriptor();
  open_errors();
  readiness();
  waiting();
  cloning();
  signalling();
  getting_fds();
  return 0;
}
