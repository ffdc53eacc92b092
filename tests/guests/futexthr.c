/* Futexes between threads (issue 19): WAKE_OP, the PI operations,
 * futex_waitv, CMP_REQUEUE, timeouts on both clocks, and PI/robust pthread
 * mutexes.  Every result printed is one the schedule cannot change, so the
 * output must equal the native run's.  "deadlock" (faultline only: it
 * would hang natively) leaves main waiting on a futex no one wakes. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long fx(_Atomic uint32_t *u, int op, uint32_t val, uint64_t val2, _Atomic uint32_t *u2, uint32_t val3) {
  return syscall(SYS_futex, u, op, val, val2, u2, val3);
}
static const char *err(long r) {
  static char b[32];
  if (r >= 0) { snprintf(b, sizeof b, "%ld", r); return b; }
  return errno == EAGAIN ? "EAGAIN" : errno == EDEADLK ? "EDEADLK" : errno == EPERM ? "EPERM"
       : errno == ETIMEDOUT ? "ETIMEDOUT" : errno == EINVAL ? "EINVAL" : errno == ENOSYS ? "ENOSYS"
       : errno == ESRCH ? "ESRCH" : strerror(errno);
}

static _Atomic uint32_t w1, w2, pi;
static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static void *op_waiter(void *a) {
  (void)a;
  while (atomic_load(&w2) == 0) fx(&w2, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
  return NULL;
}

static void *pi_taker(void *a) {
  long *res = a;
  res[0] = fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0) < 0 ? errno : 0;
  res[1] = fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0);   /* waits for main's unlock */
  res[2] = (atomic_load(&pi) & FUTEX_TID_MASK) == (uint32_t)tid();
  res[3] = fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0);
  return NULL;
}

struct waitv { uint64_t val, uaddr; uint32_t flags, reserved; };
static _Atomic uint32_t v0, v1;
static void *waitv_waiter(void *a) {
  (void)a;
  struct waitv w[2] = {{0, (uintptr_t)&v0, 2 | 128, 0}, {0, (uintptr_t)&v1, 2 | 128, 0}};
  for (;;) {
    long r = syscall(449, w, 2, 0, NULL, 0);
    if (r >= 0 && atomic_load(r ? &v1 : &v0)) return (void *)r;
    if (r < 0 && errno == EAGAIN) return (void *)(long)(atomic_load(&v1) ? 1 : 0);
  }
}

static pthread_mutex_t pim;
static long shared_count;
static void *pi_adder(void *a) {
  (void)a;
  for (int i = 0; i < 5000; i++) {
    pthread_mutex_lock(&pim);
    shared_count++;
    pthread_mutex_unlock(&pim);
  }
  return NULL;
}

static pthread_mutex_t robust_pi;
static void *robust_pi_owner(void *a) {
  (void)a;
  pthread_mutex_lock(&robust_pi);
  return NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "deadlock")) {
    static _Atomic uint32_t never;
    fx(&never, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
    return 1;
  }
  /* WAKE_OP with no waiters: the operation on uaddr2 and the count */
  static const struct { const char *name; uint32_t enc; } ops[] = {
    {"SET 5", FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0)},
    {"ADD 3", FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4)},
    {"OR 0x10", FUTEX_OP(FUTEX_OP_OR, 0x10, FUTEX_OP_CMP_NE, 8)},
    {"ANDN 1", FUTEX_OP(FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_LT, 100)},
    {"XOR 0xff", FUTEX_OP(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_GE, 0)},
    {"SET 1<<4", FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_LE, 0)},
    {"ADD -2", FUTEX_OP(FUTEX_OP_ADD, 0xffe, FUTEX_OP_CMP_EQ, 16)},
  };
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    long r = fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, ops[i].enc);
    printf("wake_op %-8s -> %s, word %u\n", ops[i].name, err(r), (unsigned)atomic_load(&w2));
  }
  printf("wake_op bad op: %s\n", err(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, 7u << 28)));
  /* WAKE_OP releasing a waiter */
  atomic_store(&w2, 0);
  pthread_t t;
  pthread_create(&t, NULL, op_waiter, NULL);
  fx(&w1, FUTEX_WAKE_OP_PRIVATE, 0, 1, &w2, FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0));
  pthread_join(t, NULL);
  printf("wake_op released its waiter, word %u\n", (unsigned)atomic_load(&w2));

  /* CMP_REQUEUE with a stale value */
  atomic_store(&w1, 3);
  printf("cmp_requeue stale: %s\n", err(fx(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w2, 4)));
  printf("cmp_requeue none waiting: %s\n", err(fx(&w1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w2, 3)));

  /* timeouts: relative (monotonic), absolute monotonic and realtime */
  struct timespec rel = {0, 2000000}, now;
  printf("wait relative: %s\n", err(fx(&w1, FUTEX_WAIT_PRIVATE, 3, (uintptr_t)&rel, NULL, 0)));
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 2000000;
  if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  printf("wait_bitset monotonic: %s\n",
         err(fx(&w1, FUTEX_WAIT_BITSET_PRIVATE, 3, (uintptr_t)&now, NULL, FUTEX_BITSET_MATCH_ANY)));
  clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 2000000;
  if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  printf("wait_bitset realtime: %s\n",
         err(fx(&w1, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 3, (uintptr_t)&now, NULL,
                FUTEX_BITSET_MATCH_ANY)));
  printf("wait_bitset zero mask: %s\n", err(fx(&w1, FUTEX_WAIT_BITSET_PRIVATE, 3, 0, NULL, 0)));
  printf("wake with realtime flag: %s\n", err(fx(&w1, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, NULL, 0)));

  /* PI: lock, relock, unlock by another, hand-over */
  long lr = fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0);
  printf("lock_pi free: %s, owner is me %d\n", err(lr), (atomic_load(&pi) & FUTEX_TID_MASK) == (uint32_t)tid());
  printf("lock_pi again: %s\n", err(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0)));
  printf("trylock_pi own: %s\n", err(fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0)));
  long res[4];
  pthread_create(&t, NULL, pi_taker, res);
  while (!(atomic_load(&pi) & FUTEX_WAITERS)) sched_yield();   /* the taker waits in the kernel */
  printf("unlock_pi: %s\n", err(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0)));
  pthread_join(t, NULL);
  printf("taker: trylock %s, lock %ld, owned %ld, unlock %ld, word %u\n", res[0] == EAGAIN ? "EAGAIN" : "?",
         res[1], res[2], res[3], (unsigned)atomic_load(&pi));
  printf("unlock_pi not owner: %s\n", err(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0)));
  atomic_store(&pi, 0x3fffff00u);        /* an owner that does not exist */
  printf("lock_pi dead owner: %s\n", err(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0)));
  atomic_store(&pi, 0);

  /* futex_waitv */
  struct waitv bad[1] = {{0, (uintptr_t)&v0, 2 | 128, 0}};
  printf("waitv flags: %s\n", err(syscall(449, bad, 1, 1, NULL, 0)));
  printf("waitv none: %s\n", err(syscall(449, bad, 0, 0, NULL, 0)));
  bad[0].flags = 3 | 128;
  printf("waitv u64 size: %s\n", err(syscall(449, bad, 1, 0, NULL, 0)));
  bad[0].flags = 2 | 128;
  bad[0].val = 9;
  printf("waitv stale: %s\n", err(syscall(449, bad, 1, 0, NULL, 0)));
  bad[0].val = 0;
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("waitv past deadline: %s\n", err(syscall(449, bad, 1, 0, &now, CLOCK_MONOTONIC)));
  pthread_create(&t, NULL, waitv_waiter, NULL);
  atomic_store(&v1, 1);
  syscall(SYS_futex, &v1, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  void *idx;
  pthread_join(t, &idx);
  printf("waitv woke on %ld\n", (long)idx);

  /* a PI pthread mutex under contention, and a robust PI one whose owner died */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&pim, &ma);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, pi_adder, NULL);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  printf("PI mutex count %ld\n", shared_count);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust_pi, &ma);
  pthread_create(&t, NULL, robust_pi_owner, NULL);
  pthread_join(t, NULL);
  int r = pthread_mutex_lock(&robust_pi);
  printf("robust PI lock: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
  return 0;
}
