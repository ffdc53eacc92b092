/* Guest: sigtimedwait/sigwaitinfo take a pending signal without running
 * its handler (with the sender's siginfo; SIGCHLD's exit status), time
 * out with EAGAIN, and end with EINTR when a handled signal outside the
 * set arrives; eventfd counts, blocks a reader until another process
 * writes, and keeps EFD_SEMAPHORE and EFD_NONBLOCK rules.  Output must
 * equal the native run's (only bounds are printed, never raw times). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int handled;
static void on_sig(int s) { (void)s; handled++; }
static volatile unsigned long sink;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *err(int r) { return r >= 0 ? "ok" : errno == EAGAIN ? "EAGAIN" : errno == EINTR ? "EINTR" : errno == EINVAL ? "EINVAL" : strerror(errno); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGUSR1, on_sig);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);

  /* 1. a pending blocked signal is taken, its handler does not run */
  kill(getpid(), SIGUSR1);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = sigwaitinfo(&set, &si);
  printf("sigwaitinfo: %d, from me %d, SI_USER %d, handler ran %d\n", r, si.si_pid == getpid(),
         si.si_code == SI_USER, handled);

  /* 1b. sigqueue: the value and SI_QUEUE arrive with the signal, also
   * from another process */
  sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 42});
  memset(&si, 0, sizeof si);
  r = sigwaitinfo(&set, &si);
  printf("sigqueue: %d, SI_QUEUE %d, value %d, from me %d\n", r, si.si_code == SI_QUEUE,
         si.si_value.sival_int, si.si_pid == getpid());
  pid_t me = getpid();
  if (fork() == 0) { sigqueue(me, SIGUSR1, (union sigval){.sival_int = 7}); _exit(0); }
  memset(&si, 0, sizeof si);
  r = sigwaitinfo(&set, &si);
  printf("sigqueue from a child: %d, value %d, from the child %d\n", r, si.si_value.sival_int,
         si.si_pid != getpid() && si.si_pid > 0);
  wait(NULL);

  /* 2. nothing pending: a zero timeout and a 100 ms timeout give EAGAIN */
  struct timespec zero = {0, 0}, t100 = {0, 100000000};
  r = sigtimedwait(&set, NULL, &zero);
  printf("zero timeout: %d %s\n", r, err(r));
  double t0 = now_s();
  r = sigtimedwait(&set, NULL, &t100);
  double el = now_s() - t0;
  printf("100 ms timeout: %d %s, 0.1-1 s: %s\n", r, err(r), el >= 0.1 && el < 1.0 ? "yes" : "no");

  /* 3. SIGCHLD (default: ignored) is queued while blocked and taken */
  sigset_t cs;
  sigemptyset(&cs);
  sigaddset(&cs, SIGCHLD);
  sigprocmask(SIG_BLOCK, &cs, NULL);
  pid_t pid = fork();
  if (pid == 0) { for (unsigned long i = 0; i < 300000; i++) sink += i; _exit(3); }
  memset(&si, 0, sizeof si);
  r = sigwaitinfo(&cs, &si);
  printf("SIGCHLD: %d, child %d, CLD_EXITED %d, status %d\n", r == SIGCHLD, si.si_pid == pid,
         si.si_code == CLD_EXITED, si.si_status);
  waitpid(pid, NULL, 0);

  /* 4. a handled signal outside the set ends the wait with EINTR */
  signal(SIGALRM, on_sig);
  handled = 0;
  alarm(1);
  struct timespec t5 = {5, 0};
  r = sigtimedwait(&set, NULL, &t5);
  printf("interrupted: %d %s, handler ran %d\n", r, err(r), handled);

  /* 5. eventfd: a reader blocks until another process writes */
  int efd = eventfd(0, 0);
  pid = fork();
  if (pid == 0) {
    for (unsigned long i = 0; i < 300000; i++) sink += i;
    uint64_t v = 5;
    _exit(write(efd, &v, 8) == 8 ? 0 : 1);
  }
  uint64_t v = 0;
  r = (int)read(efd, &v, 8);
  printf("eventfd read: %d value %llu\n", r, (unsigned long long)v);
  waitpid(pid, NULL, 0);
  uint32_t small;
  r = (int)read(efd, &small, 4);
  printf("eventfd short read: %d %s\n", r, err(r));
  close(efd);

  /* 6. EFD_SEMAPHORE | EFD_NONBLOCK: one per read, then EAGAIN */
  efd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  struct pollfd p = {.fd = efd, .events = POLLIN};
  printf("eventfd poll: %d\n", poll(&p, 1, 0));
  for (int i = 0; i < 3; i++) {
    v = 0;
    r = (int)read(efd, &v, 8);
    printf("semaphore read %d: %d %s value %llu\n", i, r, err(r), (unsigned long long)v);
  }
  v = UINT64_MAX;
  r = (int)write(efd, &v, 8);
  printf("eventfd write max: %d %s\n", r, err(r));

  /* 7. CPU-time timers: ITIMER_VIRTUAL and ITIMER_PROF tick with the
   * process's CPU time, not while it sleeps; a fork's child has none */
  static const int which[2] = {ITIMER_VIRTUAL, ITIMER_PROF};
  static const int sigs[2] = {SIGVTALRM, SIGPROF};
  for (int i = 0; i < 2; i++) {
    signal(sigs[i], on_sig);
    handled = 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    struct itimerval it = {{0, 10000}, {0, 10000}};
    setitimer(which[i], &it, NULL);
    while (handled < 3) sink++;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
    struct itimerval cur;
    getitimer(which[i], &cur);
    pid = fork();
    if (pid == 0) {
      struct itimerval ch;
      getitimer(which[i], &ch);
      _exit(ch.it_value.tv_sec == 0 && ch.it_value.tv_usec == 0 && ch.it_interval.tv_usec == 0 ? 0 : 1);
    }
    int cst;
    waitpid(pid, &cst, 0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    usleep(100000);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double slept_cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
    it = (struct itimerval){{0, 0}, {0, 0}};
    setitimer(which[i], &it, NULL);
    printf("%s: 3 ticks after 10-1000 ms of CPU: %s, interval kept %s, child has none %s, "
           "a sleep uses under 50 ms of CPU %s\n", i ? "ITIMER_PROF" : "ITIMER_VIRTUAL",
           cpu >= 0.01 && cpu < 1 ? "yes" : "no", cur.it_interval.tv_usec == 10000 ? "yes" : "no",
           WEXITSTATUS(cst) == 0 ? "yes" : "no", slept_cpu < 0.05 ? "yes" : "no");
  }
  return 0;
}
