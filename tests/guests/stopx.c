/* Guest: stop signals and job control (signal(7), wait4(2), waitid(2)).
 * SIGSTOP stops a child until SIGCONT (/proc state T); wait reports each
 * stop (WUNTRACED) and each continue (WCONTINUED) once, waitid's WNOWAIT
 * leaves them reportable; the parent's SIGCHLD says CLD_STOPPED and
 * CLD_CONTINUED unless SA_NOCLDSTOP; SIGTSTP stops by default, runs its
 * handler when there is one and is dropped in an orphaned process group;
 * SIGKILL ends a stopped child, other signals wait for SIGCONT; a stop
 * signal discards a pending SIGCONT and SIGCONT discards pending stop
 * signals, continuing the process even when blocked or ignored; calls
 * interrupted by a stop go on after SIGCONT (read, nanosleep, pause, a
 * futex wait that re-reads its word) except sigwaitinfo (EINTR); a group
 * orphaned by an exit with a stopped member gets SIGHUP and SIGCONT; a
 * timer can wake a guest whose processes are all stopped or waiting; a
 * parent waiting for its vfork child stops only once the child is gone.
 * Children report through pipes; the parent alone prints, and waits for
 * states through /proc, never by sleeping.  Output must equal the native
 * run's.  "stopx deadlock wait|pipe" is not run natively: every process
 * ends up stopped or waiting (for the stopped child's exit, or on a pipe
 * only it could write), which faultline reports (guest.stopx.deadlock.*). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
  return e == 0 ? "ok" : e == EINTR ? "EINTR" : e == EAGAIN ? "EAGAIN" : e == ECHILD ? "ECHILD" :
         e == EINVAL ? "EINVAL" : strerror(e);
}
static const char *sig_name(int s) {
  return s == SIGSTOP ? "SIGSTOP" : s == SIGTSTP ? "SIGTSTP" : s == SIGCONT ? "SIGCONT" :
         s == SIGKILL ? "SIGKILL" : s == SIGTERM ? "SIGTERM" : s == SIGCHLD ? "SIGCHLD" : "?";
}
static const char *cld_name(int c) {
  return c == CLD_EXITED ? "CLD_EXITED" : c == CLD_KILLED ? "CLD_KILLED" : c == CLD_STOPPED ? "CLD_STOPPED" :
         c == CLD_CONTINUED ? "CLD_CONTINUED" : c == 0 ? "0" : "?";
}

/* waitpid(pid, opts), the result in words */
static void print_wait(const char *what, pid_t pid, int opts) {
  int st = 0;
  pid_t r = waitpid(pid, &st, opts);
  if (r < 0) { printf("%s: %s\n", what, en(errno)); return; }
  if (r == 0) { printf("%s: nothing to report\n", what); return; }
  if (r != pid) { printf("%s: wrong pid\n", what); return; }
  if (WIFSTOPPED(st)) printf("%s: stopped by %s (status %#x)\n", what, sig_name(WSTOPSIG(st)), st);
  else if (WIFCONTINUED(st)) printf("%s: continued (status %#x)\n", what, st);
  else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", what, sig_name(WTERMSIG(st)));
  else printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

/* the state letter of /proc/PID/stat (0 if it cannot be read) */
static char proc_state(pid_t pid) {
  char path[64], st[512] = {0};
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = 0;
  char *rp = strrchr(st, ')');
  return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* the State: line of /proc/PID/status */
static void print_status_state(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) { printf("status: cannot open\n"); return; }
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "State:", 6)) { printf("status %s", line); break; }
  fclose(f);
}

/* wait until the child is in state `want` (S: asleep in a blocking call) */
static void wait_state(pid_t pid, char want) {
  for (int tries = 0; tries < 5000; tries++) {
    if (proc_state(pid) == want) return;
    usleep(1000);
  }
  printf("child never reached state %c\n", want);
}

/* ---- a child serving commands from a pipe ---- */
static int cmd[2], rep[2];

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  char b[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (write(rep[1], b, (size_t)n) < 0) _exit(99);
}

/* the parent prints one reply line from the child */
static void print_reply(void) {
  char b[256];
  size_t n = 0;
  while (n < sizeof b - 1 && read(rep[0], &b[n], 1) == 1 && b[n] != '\n') n++;
  b[n] = 0;
  printf("  child: %s\n", b);
}

static volatile int cont_handled;
static void on_cont(int s) { (void)s; cont_handled++; }

/* q: exit 0; p: report the pending stop/continue signals; u: unblock
 * SIGCONT; anything else: echo it.  A read that fails is reported. */
static void serve(void) {
  for (;;) {
    char c;
    ssize_t n = read(cmd[0], &c, 1);
    if (n != 1) { reply("read %zd %s\n", n, en(n < 0 ? errno : 0)); continue; }
    if (c == 'q') _exit(0);
    if (c == 'p') {
      sigset_t p;
      sigpending(&p);
      reply("pending SIGCONT %d SIGTSTP %d, SIGCONT handled %d\n", sigismember(&p, SIGCONT),
            sigismember(&p, SIGTSTP), cont_handled);
    } else if (c == 'u') {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGCONT);
      sigprocmask(SIG_UNBLOCK, &s, NULL);
      reply("unblocked SIGCONT: handled %d\n", cont_handled);
    } else reply("read '%c'\n", c);
  }
}

static pid_t fork_server(void (*setup)(void)) {
  if (pipe(cmd) || pipe(rep)) { perror("pipe"); exit(1); }
  pid_t pid = fork();
  if (pid == 0) {
    close(cmd[1]);
    close(rep[0]);
    if (setup) setup();
    serve();
  }
  close(cmd[0]);
  close(rep[1]);
  return pid;
}

static void send_cmd(char c) {
  if (write(cmd[1], &c, 1) != 1) printf("command write failed\n");
}

static void end_server(pid_t pid) {
  send_cmd('q');
  print_wait("  end", pid, 0);
  close(cmd[1]);
  close(rep[0]);
}

/* ---- 1. SIGSTOP, WUNTRACED, /proc state T, SIGCONT, WCONTINUED ---- */
static void stop_and_wait(void) {
  printf("1. stop and continue a child blocked in read\n");
  pid_t pid = fork_server(NULL);
  for (int round = 1; round <= 2; round++) {
    wait_state(pid, 'S');
    kill(pid, SIGSTOP);
    print_wait("  waitpid(WUNTRACED)", pid, WUNTRACED);
    printf("  stat state %c\n  ", proc_state(pid));
    print_status_state(pid);
    print_wait("  again WUNTRACED|WNOHANG", pid, WUNTRACED | WNOHANG);
    print_wait("  WNOHANG without WUNTRACED", pid, WNOHANG);
    send_cmd('x');                 /* it stays stopped with input to read */
    printf("  stat state with input %c\n", proc_state(pid));
    kill(pid, SIGCONT);
    print_wait("  waitpid(WCONTINUED)", pid, WCONTINUED);
    print_wait("  again WCONTINUED|WNOHANG", pid, WCONTINUED | WNOHANG);
    print_reply();                 /* the read went on after SIGCONT: no EINTR */
  }
  end_server(pid);
}

/* ---- 2. SIGCHLD's si_code for stops and continues; SA_NOCLDSTOP ---- */
static volatile int chld_count, chld_code, chld_status, chld_pid;
static void on_chld(int s, siginfo_t *si, void *uc) {
  (void)s; (void)uc;
  chld_code = si->si_code;
  chld_status = si->si_status;
  chld_pid = si->si_pid;
  chld_count++;
}

static void set_chld(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(SIGCHLD, &sa, NULL);
}

/* SIGCHLD is blocked: wait for the next one with it unblocked */
static void await_chld(pid_t pid) {
  int before = chld_count;
  sigset_t m;
  sigprocmask(SIG_SETMASK, NULL, &m);
  sigdelset(&m, SIGCHLD);
  while (chld_count == before) sigsuspend(&m);
  printf("  SIGCHLD %s, si_status %s, si_pid %s\n", cld_name(chld_code),
         chld_code == CLD_EXITED ? (chld_status == 0 ? "0" : "?") : sig_name(chld_status),
         chld_pid == pid ? "the child" : "wrong");
}

static int chld_pending(void) {
  sigset_t p;
  sigpending(&p);
  return sigismember(&p, SIGCHLD);
}

static void sigchld_codes(void) {
  printf("2. SIGCHLD with SA_SIGINFO\n");
  sigset_t b, old;
  sigemptyset(&b);
  sigaddset(&b, SIGCHLD);
  sigprocmask(SIG_BLOCK, &b, &old);
  set_chld(0);
  pid_t pid = fork_server(NULL);
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  await_chld(pid);
  print_wait("  waitpid(WUNTRACED)", pid, WUNTRACED);
  kill(pid, SIGCONT);
  await_chld(pid);
  print_wait("  waitpid(WCONTINUED)", pid, WCONTINUED);
  send_cmd('q');
  await_chld(pid);
  print_wait("  end", pid, 0);
  close(cmd[1]);
  close(rep[0]);

  printf("3. SA_NOCLDSTOP: no SIGCHLD for stops and continues\n");
  set_chld(SA_NOCLDSTOP);
  pid = fork_server(NULL);
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  print_wait("  waitpid(WUNTRACED)", pid, WUNTRACED);
  printf("  SIGCHLD pending after the stop: %d\n", chld_pending());
  kill(pid, SIGCONT);
  print_wait("  waitpid(WCONTINUED)", pid, WCONTINUED);
  send_cmd('e');
  print_reply();                   /* it has run since SIGCONT */
  printf("  SIGCHLD pending after the continue: %d\n", chld_pending());
  end_server(pid);
  printf("  SIGCHLD pending after the exit: %d\n", chld_pending());
  await_chld(pid);
  signal(SIGCHLD, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- 4. SIGTSTP: stops by default, a handler runs instead, orphaned groups ---- */
static volatile int tstp_handled;
static void on_tstp(int s) { (void)s; tstp_handled++; }

static void tstp(void) {
  printf("4. SIGTSTP\n");
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);                 /* its own group, linked to ours: not orphaned */
    raise(SIGTSTP);
    _exit(1);
  }
  print_wait("  default action", pid, WUNTRACED);
  printf("  stat state %c\n", proc_state(pid));
  kill(pid, SIGCONT);
  print_wait("  after SIGCONT", pid, 0);

  pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGTSTP, on_tstp);
    raise(SIGTSTP);
    _exit(tstp_handled == 1 ? 2 : 3);
  }
  print_wait("  with a handler (exit 2: it ran)", pid, WUNTRACED);

  pid = fork();
  if (pid == 0) {
    setsid();                      /* a new session: its group is orphaned */
    raise(SIGTSTP);
    kill(getpid(), SIGTTIN);
    kill(getpid(), SIGTTOU);
    raise(SIGSTOP);                /* SIGSTOP stops even there */
    _exit(4);
  }
  print_wait("  orphaned group", pid, WUNTRACED);
  kill(pid, SIGCONT);
  print_wait("  orphaned group, continued (exit 4)", pid, 0);
}

/* ---- 5. SIGKILL ends a stopped child; SIGTERM waits for SIGCONT ---- */
static void kill_stopped(void) {
  printf("5. signals to a stopped child\n");
  pid_t pid = fork_server(NULL);
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  print_wait("  stopped", pid, WUNTRACED);
  kill(pid, SIGKILL);
  print_wait("  SIGKILL", pid, 0);
  close(cmd[1]);
  close(rep[0]);

  pid = fork_server(NULL);
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  print_wait("  stopped", pid, WUNTRACED);
  kill(pid, SIGTERM);
  printf("  after SIGTERM: stat state %c\n", proc_state(pid));
  print_wait("  waitpid(WNOHANG)", pid, WNOHANG);
  kill(pid, SIGCONT);
  print_wait("  SIGCONT", pid, 0);
  close(cmd[1]);
  close(rep[0]);
}

/* ---- 6. waitid: WSTOPPED, WCONTINUED, WNOWAIT, WEXITED ---- */
static void print_waitid(const char *what, pid_t pid, int opts) {
  siginfo_t si;
  memset(&si, 0x55, sizeof si);
  int r = waitid(P_PID, (id_t)pid, &si, opts);
  if (r < 0) { printf("%s: %s\n", what, en(errno)); return; }
  if (si.si_pid == 0) { printf("%s: nothing to report (si_signo %d si_code %d)\n", what, si.si_signo, si.si_code); return; }
  printf("%s: %s %s, si_status %s, si_pid %s, si_uid %s\n", what, sig_name(si.si_signo), cld_name(si.si_code),
         si.si_code == CLD_EXITED ? (si.si_status == 0 ? "0" : "?") : sig_name(si.si_status),
         si.si_pid == pid ? "the child" : "wrong", si.si_uid == getuid() ? "ours" : "wrong");
}

static void waitid_reports(void) {
  printf("6. waitid\n");
  pid_t pid = fork_server(NULL);
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  print_waitid("  WSTOPPED|WNOWAIT", pid, WSTOPPED | WNOWAIT);
  print_waitid("  WSTOPPED|WNOHANG (still there)", pid, WSTOPPED | WNOHANG);
  print_waitid("  WSTOPPED|WNOHANG (reported)", pid, WSTOPPED | WNOHANG);
  print_waitid("  WEXITED|WNOHANG", pid, WEXITED | WNOHANG);
  kill(pid, SIGCONT);
  print_waitid("  WCONTINUED|WNOWAIT", pid, WCONTINUED | WNOWAIT);
  print_waitid("  WCONTINUED", pid, WCONTINUED);
  print_waitid("  WCONTINUED|WNOHANG", pid, WCONTINUED | WNOHANG);
  send_cmd('q');
  print_waitid("  WEXITED|WNOWAIT", pid, WEXITED | WNOWAIT);
  print_waitid("  WSTOPPED|WCONTINUED|WNOHANG (a zombie is not theirs)", pid, WSTOPPED | WCONTINUED | WNOHANG);
  print_waitid("  WEXITED", pid, WEXITED);
  print_waitid("  WEXITED again", pid, WEXITED);
  siginfo_t si;
  printf("  waitid(P_PGID, -1): %s\n", waitid(P_PGID, (id_t)-1, &si, WEXITED) < 0 ? en(errno) : "ok");
  close(cmd[1]);
  close(rep[0]);
}

/* ---- 7. pending SIGCONT and stop signals discard each other ---- */
static void block_cont_tstp(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGCONT);
  sigaddset(&s, SIGTSTP);
  sigprocmask(SIG_BLOCK, &s, NULL);
  signal(SIGCONT, on_cont);
  signal(SIGTTOU, SIG_IGN);
}

static void cont_discard(void) {
  printf("7. SIGCONT and stop signals discard each other when sent\n");
  pid_t pid = fork_server(block_cont_tstp);
  wait_state(pid, 'S');            /* set up and reading */
  kill(pid, SIGCONT);
  send_cmd('p');
  print_reply();
  kill(pid, SIGTSTP);              /* discards the pending SIGCONT */
  send_cmd('p');
  print_reply();
  kill(pid, SIGCONT);              /* discards the pending SIGTSTP */
  send_cmd('p');
  print_reply();
  kill(pid, SIGTTOU);              /* ignored, and still discards SIGCONT */
  send_cmd('p');
  print_reply();
  printf("  blocked SIGCONT still continues; its handler runs when unblocked\n");
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  print_wait("  waitpid(WUNTRACED)", pid, WUNTRACED);
  kill(pid, SIGCONT);
  print_wait("  waitpid(WCONTINUED)", pid, WCONTINUED);
  send_cmd('p');
  print_reply();
  send_cmd('u');
  print_reply();
  end_server(pid);
}

static void ignore_cont(void) { signal(SIGCONT, SIG_IGN); }

static void cont_ignored(void) {
  printf("8. ignored SIGCONT still continues\n");
  pid_t pid = fork_server(ignore_cont);
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  print_wait("  waitpid(WUNTRACED)", pid, WUNTRACED);
  kill(pid, SIGCONT);
  print_wait("  waitpid(WCONTINUED)", pid, WCONTINUED);
  send_cmd('e');
  print_reply();
  end_server(pid);
}

/* ---- 9. blocking calls across a stop ---- */
static volatile int usr1_handled;
static void on_usr1(int s) { (void)s; usr1_handled++; }

static void stop_cont(pid_t pid) {
  int st;
  wait_state(pid, 'S');
  kill(pid, SIGSTOP);
  if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) printf("  not stopped\n");
}

static void blocking_calls(void) {
  printf("9. blocking calls go on after SIGCONT\n");
  int st;
  if (pipe(rep)) return;
  pid_t pid = fork();
  if (pid == 0) {
    struct timespec ts = {0, 300000000};
    int r = nanosleep(&ts, NULL);
    reply("nanosleep %d %s\n", r, en(r ? errno : 0));
    _exit(0);
  }
  stop_cont(pid);
  kill(pid, SIGCONT);
  print_reply();
  waitpid(pid, &st, 0);

  pid = fork();
  if (pid == 0) {
    signal(SIGUSR1, on_usr1);
    int r = pause();
    reply("pause %d %s, handler ran %d\n", r, en(r ? errno : 0), usr1_handled);
    _exit(0);
  }
  stop_cont(pid);
  kill(pid, SIGCONT);
  waitpid(pid, &st, WCONTINUED);
  wait_state(pid, 'S');            /* pausing again */
  printf("  pause goes on after SIGCONT\n");
  kill(pid, SIGUSR1);
  print_reply();
  waitpid(pid, &st, 0);

  uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *w = 0;
  pid = fork();
  if (pid == 0) {
    long r = syscall(SYS_futex, w, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
    reply("futex wait %ld %s\n", r, en(r ? errno : 0));
    _exit(0);
  }
  stop_cont(pid);
  *w = 1;
  printf("  futex wake while the waiter is stopped: woke %ld\n", syscall(SYS_futex, w, 1 /* FUTEX_WAKE */, 1, NULL, NULL, 0));
  kill(pid, SIGCONT);
  print_reply();                   /* the restarted wait re-reads the word */
  waitpid(pid, &st, 0);
  munmap(w, 4096);

  pid = fork();
  if (pid == 0) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    /* the call itself: musl's sigwaitinfo retries on EINTR */
    long r = syscall(SYS_rt_sigtimedwait, &s, NULL, NULL, 8);
    reply("rt_sigtimedwait %ld %s\n", r, en(r < 0 ? errno : 0));
    _exit(0);
  }
  stop_cont(pid);
  kill(pid, SIGCONT);
  print_reply();                   /* EINTR after a stop (signal(7)) */
  waitpid(pid, &st, 0);
  close(rep[0]);
  close(rep[1]);
}

/* ---- 10. an exit orphans a group with a stopped member: SIGHUP, SIGCONT ---- */
static char got[8];
static volatile int ngot;
static void on_hup_cont(int s) { if (ngot < 7) got[ngot++] = s == SIGHUP ? 'H' : 'C'; }

static void orphaned_by_exit(void) {
  printf("10. a group orphaned by an exit gets SIGHUP and SIGCONT\n");
  int p[2], st;
  if (pipe(p)) return;
  pid_t a = fork();
  if (a == 0) {
    close(p[0]);
    setpgid(0, 0);                 /* group {a, b}, linked to ours through a */
    pid_t b = fork();
    if (b == 0) {
      signal(SIGHUP, on_hup_cont);
      signal(SIGCONT, on_hup_cont);
      raise(SIGSTOP);
      if (write(p[1], got, (size_t)ngot + 1) < 0) _exit(1);
      _exit(0);
    }
    if (write(p[1], &b, sizeof b) != sizeof b) _exit(1);
    waitpid(b, &st, WUNTRACED);    /* exit once b is stopped */
    _exit(WIFSTOPPED(st) ? 0 : 1);
  }
  close(p[1]);
  pid_t b = 0;
  if (read(p[0], &b, sizeof b) != sizeof b) printf("  no pid\n");
  print_wait("  the group's link exits", a, 0);
  int tries = 0;
  while (proc_state(b) == 'T' && tries++ < 5000) usleep(1000);
  if (proc_state(b) == 'T') { printf("  still stopped\n"); kill(b, SIGKILL); }
  char log[8] = {0};
  ssize_t n = read(p[0], log, sizeof log - 1);
  printf("  the stopped member's handlers ran: %s (%zd bytes)\n", n > 0 ? log : "-", n);
  close(p[0]);
}

/* ---- 11. everyone stopped or waiting, and a timer wakes the guest ---- */
static pid_t timer_child;
static void on_alarm(int s) { (void)s; kill(timer_child, SIGCONT); }

static void timer_wakes(void) {
  printf("11. a timer continues a stopped child while the parent waits\n");
  timer_child = fork();
  if (timer_child == 0) {
    raise(SIGSTOP);
    _exit(7);
  }
  print_wait("  stopped", timer_child, WUNTRACED);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  print_wait("  waitpid(0) across the timer", timer_child, 0);
  signal(SIGALRM, SIG_DFL);
}

/* ---- 12. a vfork parent stops only once its child has exited ---- */
static void vfork_parent(void) {
  printf("12. a stop sent to a vfork parent waits for the child\n");
  int go[2], sent[2];
  if (pipe(go) || pipe(sent)) return;
  pid_t p = fork();
  if (p == 0) {
    close(go[1]);
    close(sent[0]);
    pid_t c = vfork();
    if (c == 0) {
      char b;
      pid_t me = getpid();
      kill(getppid(), SIGSTOP);
      if (write(sent[1], &me, sizeof me) != sizeof me || read(go[0], &b, 1) != 1) _exit(1);
      _exit(0);
    }
    _exit(5);
  }
  close(go[0]);
  close(sent[1]);
  char b = 0;
  pid_t c = 0;
  if (read(sent[0], &c, sizeof c) != sizeof c) printf("  no word from the vfork child\n");
  wait_state(c, 'S');              /* the child waits... */
  usleep(10000);                   /* ...and the parent has time to run: it must not */
  printf("  stop sent, child still running: parent state %c\n", proc_state(p));
  print_wait("  waitpid(WUNTRACED|WNOHANG)", p, WUNTRACED | WNOHANG);
  if (write(go[1], &b, 1) != 1) printf("  write failed\n");
  print_wait("  child exited: waitpid(WUNTRACED)", p, WUNTRACED);
  kill(p, SIGCONT);
  print_wait("  continued (exit 5)", p, 0);
  close(go[1]);
  close(sent[0]);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 2 && !strcmp(argv[1], "deadlock")) {
    /* the child stops; the parent waits for its exit, or reads a pipe only
     * the child could write: no one will continue it */
    int p[2];
    if (pipe(p)) return 1;
    pid_t pid = fork();
    if (pid == 0) { close(p[0]); raise(SIGSTOP); _exit(0); }
    close(p[1]);
    char c;
    if (!strcmp(argv[2], "pipe")) return (int)read(p[0], &c, 1);
    int st;
    waitpid(pid, &st, 0);
    return 0;
  }
  stop_and_wait();
  sigchld_codes();
  tstp();
  kill_stopped();
  waitid_reports();
  cont_discard();
  cont_ignored();
  blocking_calls();
  orphaned_by_exit();
  timer_wakes();
  vfork_parent();
  return 0;
}
