/* Guest: futex between processes.  A word in shared memory (anonymous
 * MAP_SHARED, a memfd mapping) is one futex for every process mapping it:
 * a waiter blocks until another process wakes it; a private futex in
 * private memory is per process (fork gives a copy); timeouts (relative,
 * absolute with WAIT_BITSET), EAGAIN on a changed word, and
 * FUTEX_CMP_REQUEUE.  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h>'s values (musl has no kernel headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static long futex(uint32_t *w, int op, uint32_t val, const struct timespec *ts, uint32_t *w2, uint32_t v3) {
  return syscall(SYS_futex, w, op, val, ts, w2, v3);
}
static const char *e(long r) { return r >= 0 ? "ok" : errno == EAGAIN ? "EAGAIN" : errno == ETIMEDOUT ? "ETIMEDOUT" : strerror(errno); }
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* wait until a child sleeps (blocked in the kernel: /proc state S) */
static void wait_sleeping(pid_t pid) {
  for (int tries = 0; tries < 5000; tries++) {
    char path[64], st[512] = {0};
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) { fread(st, 1, sizeof st - 1, f); fclose(f); }
    char *rp = strrchr(st, ')');
    if (rp && rp[2] == 'S') break;
    usleep(1000);
  }
  usleep(10000);
}

/* fork a waiter on w (value 0) and wake it from here once it waits */
static void wait_and_wake(const char *what, uint32_t *w) {
  pid_t pid = fork();
  if (pid == 0) {
    long r = futex(w, FUTEX_WAIT, 0, NULL, NULL, 0);
    _exit(r == 0 && *w == 1 ? 0 : 1);
  }
  wait_sleeping(pid);
  *w = 1;
  long n = futex(w, FUTEX_WAKE, 1, NULL, NULL, 0);
  int st;
  waitpid(pid, &st, 0);
  printf("%s: woke %ld, child %s\n", what, n, WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "failed");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  uint32_t *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  wait_and_wake("shared anonymous", sh);

  int fd = memfd_create("fx", 0);
  ftruncate(fd, 4096);
  uint32_t *mf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  mf[10] = 0;
  wait_and_wake("memfd mapping", &mf[10]);

  uint32_t x = 5;
  printf("changed word: %s\n", e(futex(&x, FUTEX_WAIT, 4, NULL, NULL, 0)));
  struct timespec t100 = {0, 100000000};
  double t0 = now_s();
  long r = futex(&x, FUTEX_WAIT_PRIVATE, 5, &t100, NULL, 0);
  double el = now_s() - t0;
  printf("relative timeout: %s, 0.1-1 s: %s\n", e(r), el >= 0.1 && el < 1 ? "yes" : "no");
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 50000000;
  if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
  t0 = now_s();
  r = futex(&x, FUTEX_WAIT_BITSET, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
  el = now_s() - t0;
  printf("absolute timeout: %s, under 1 s: %s\n", e(r), el < 1 ? "yes" : "no");
  r = futex(&x, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0);
  printf("zero bitset: %ld %s\n", r, errno == EINVAL ? "EINVAL" : "other");

  /* a private futex in private memory: the child waits on its own copy */
  static uint32_t priv;
  pid_t pid = fork();
  if (pid == 0) {
    struct timespec t200 = {0, 200000000};
    _exit(futex(&priv, FUTEX_WAIT_PRIVATE, 0, &t200, NULL, 0) < 0 && errno == ETIMEDOUT ? 0 : 1);
  }
  usleep(20000);
  long n = futex(&priv, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  int st;
  waitpid(pid, &st, 0);
  printf("private copy: woke %ld, child timed out %s\n", n, WEXITSTATUS(st) == 0 ? "yes" : "no");

  /* CMP_REQUEUE: two waiters on A; wake one, move one to B, wake B */
  uint32_t *A = sh + 16, *B = sh + 32;
  *A = 0;
  *B = 0;
  pid_t kids[2];
  for (int i = 0; i < 2; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(futex(A, FUTEX_WAIT, 0, NULL, NULL, 0) == 0 ? 0 : 1);
  }
  /* let both reach the wait */
  wait_sleeping(kids[0]);
  wait_sleeping(kids[1]);
  r = futex(A, FUTEX_CMP_REQUEUE, 1, (const struct timespec *)1, B, 0);
  printf("cmp_requeue wrong value: %s\n", futex(A, FUTEX_CMP_REQUEUE, 1, (const struct timespec *)1, B, 7) < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  n = futex(B, FUTEX_WAKE, 1, NULL, NULL, 0);
  int ok = 0;
  for (int i = 0; i < 2; i++) { waitpid(kids[i], &st, 0); ok += WIFEXITED(st) && WEXITSTATUS(st) == 0; }
  printf("cmp_requeue: %ld, then B woke %ld, children ok %d\n", r, n, ok);
  return 0;
}
