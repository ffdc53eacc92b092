/* Guest: a sleeping process lets the others run.  A parent that polls for
 * its child with waitpid(WNOHANG) and short sleeps must see the child
 * finish in about the child's own running time; a sleep ends early when
 * another process signals the sleeper; poll/select timeouts expire while
 * another process is blocked; nanosleep is never restarted after a
 * handler (signal(7)).  Output is the same natively and under faultline:
 * only bounds are printed, never raw times. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;
static void work(unsigned long n) {      /* a few ms of computing */
  for (unsigned long i = 0; i < n; i++) sink += i * i;
}

static volatile int got;
static void on_sig(int s) { (void)s; got++; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);

  /* 1. poll for a child with WNOHANG and 1 ms sleeps */
  double t0 = now_s();
  pid_t pid = fork();
  if (pid == 0) { work(2000000); _exit(7); }
  int st = 0, polls = 0;
  while (waitpid(pid, &st, WNOHANG) == 0) { usleep(1000); polls++; }
  double waited = now_s() - t0;
  /* (how often it polled depends on the host's scheduling natively) */
  (void)polls;
  printf("child exit %d, waited under 1 s: %s\n", WEXITSTATUS(st), waited < 1.0 ? "yes" : "no");

  /* 2. a long sleep ends when the child signals us */
  struct sigaction sa = {.sa_handler = on_sig};
  sigaction(SIGUSR1, &sa, NULL);
  pid = fork();
  if (pid == 0) {
    /* signal the parent once it sleeps (/proc state S), not before */
    char path[64], st[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)getppid());
    for (int tries = 0; tries < 5000; tries++) {
      memset(st, 0, sizeof st);
      FILE *f = fopen(path, "r");
      if (f) { fread(st, 1, sizeof st - 1, f); fclose(f); }
      char *rp = strrchr(st, ')');
      if (rp && rp[2] == 'S') break;
      usleep(1000);
    }
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  unsigned left = sleep(10);
  printf("sleep(10) interrupted by the child: %s (handler ran %d)\n", left >= 9 ? "yes" : "no", got);
  waitpid(pid, NULL, 0);

  /* 3. nanosleep is not restarted after a handler, even with SA_RESTART */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  struct timespec req = {5, 0}, rem = {0, 0};
  int r = nanosleep(&req, &rem);
  printf("nanosleep: %d %s, time left 3-4 s: %s\n", r, r ? (errno == EINTR ? "EINTR" : "other") : "-",
         rem.tv_sec >= 3 && rem.tv_sec <= 4 ? "yes" : "no");

  /* 4. poll wakes when the child writes, long before its timeout */
  int pa[2], pb[2];
  if (pipe(pa) || pipe(pb)) return 1;
  t0 = now_s();
  pid = fork();
  if (pid == 0) {
    work(500000);
    if (write(pa[1], "x", 1) != 1) _exit(1);
    char c;
    close(pb[1]);
    ssize_t n = read(pb[0], &c, 1);   /* blocks until the parent closes pb */
    _exit(n == 0 ? 0 : 2);
  }
  struct pollfd p = {.fd = pa[0], .events = POLLIN};
  r = poll(&p, 1, 5000);
  printf("poll: %d, before its timeout: %s\n", r, now_s() - t0 < 1.0 ? "yes" : "no");
  char c;
  if (read(pa[0], &c, 1) != 1) return 1;

  /* 5. poll and select time out while the child is blocked */
  t0 = now_s();
  r = poll(&p, 1, 200);
  double el = now_s() - t0;
  printf("poll timeout: %d, 0.2-1 s: %s\n", r, el >= 0.2 && el < 1.0 ? "yes" : "no");
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(pa[0], &rs);
  struct timeval tv = {0, 300000};
  t0 = now_s();
  r = select(pa[0] + 1, &rs, NULL, NULL, &tv);
  el = now_s() - t0;
  printf("select timeout: %d, 0.3-1 s: %s\n", r, el >= 0.3 && el < 1.0 ? "yes" : "no");
  t0 = now_s();
  r = poll(NULL, 0, 100);
  el = now_s() - t0;
  printf("poll(NULL, 0, 100): %d, 0.1-1 s: %s\n", r, el >= 0.1 && el < 1.0 ? "yes" : "no");
  close(pb[1]);
  waitpid(pid, &st, 0);
  printf("second child exit %d\n", WEXITSTATUS(st));
  return 0;
}
