/* Threads (issue 19): race-free pthread programs whose output does not
 * depend on the schedule, so it must equal the native run's byte for
 * byte.  Modes (argv[1]): none runs the whole suite; "segv" ends with a
 * fatal SIGSEGV in a second thread (the process dies, exit 139; "segvcore"
 * the same with a core file);
 * "exitgrp" calls exit(7) from a second thread while main waits;
 * "mainexit" has main pthread_exit while a thread finishes with exit 0;
 * "exec" execs /bin/true-like self from a second thread; "groupstop"
 * stops a child process whose second thread spins while its main thread
 * waits in pthread_join: every thread stops (the spinner's counter stands
 * still until SIGCONT), the parent hears one stop and one continue. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#define N 4
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread int tls_value = 5;
static pthread_barrier_t bar;

static void *adder(void *arg) {
  long id = (long)arg;
  tls_value += (int)id;                  /* each thread's own copy */
  for (int i = 0; i < 10000; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
  }
  return (void *)(id * 100 + tls_value);
}

/* condition variable: the threads take turns in order 0..N-1 */
static char order[N + 1];
static void *taker(void *arg) {
  int id = (int)(long)arg;
  pthread_mutex_lock(&mu);
  while (turn != id) pthread_cond_wait(&cv, &mu);
  order[id] = (char)('a' + id);
  turn++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static atomic_int phase_sum[3];
static void *barrier_worker(void *arg) {
  int id = (int)(long)arg;
  for (int p = 0; p < 3; p++) {
    atomic_fetch_add(&phase_sum[p], id + 1);
    pthread_barrier_wait(&bar);
    /* after the barrier every thread sees the whole phase's sum */
    if (atomic_load(&phase_sum[p]) != N * (N + 1) / 2) return (void *)1;
    pthread_barrier_wait(&bar);
  }
  return NULL;
}

/* munmap while other threads run: they touch their own pages only */
static char *region;
static void *toucher(void *arg) {
  int id = (int)(long)arg;
  long sum = 0;
  for (int r = 0; r < 50; r++)
    for (int i = 0; i < 4096; i += 64) { region[id * 4096 + i] = (char)r; sum += region[id * 4096 + i]; }
  return (void *)sum;
}

static volatile pid_t handler_tid;
static void on_usr1(int sig) { (void)sig; handler_tid = (pid_t)syscall(SYS_gettid); }

static pid_t target_tid;
static atomic_int target_ready, target_go;
static void *signal_target(void *arg) {
  (void)arg;
  target_tid = (pid_t)syscall(SYS_gettid);
  atomic_store(&target_ready, 1);
  while (!atomic_load(&target_go) && handler_tid == 0) sched_yield();
  return NULL;
}

/* a thread that waits for SIGUSR2 with sigwait while every thread blocks it */
static void *sigwaiter(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  int sig = 0;
  sigwait(&s, &sig);
  return (void *)(long)sig;
}

static pthread_mutex_t robust;
static void *robust_owner(void *arg) {
  (void)arg;
  pthread_mutex_lock(&robust);
  return NULL;                           /* exits holding it */
}

static void *crasher(void *arg) {
  (void)arg;
  *(volatile int *)8 = 1;
  return NULL;
}

static void *group_exiter(void *arg) {
  (void)arg;
  exit(7);
}

static void *late_finisher(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) sched_yield();
  printf("late thread done\n");
  fflush(stdout);
  return NULL;
}

static pthread_barrier_t hold;
static void *holder(void *arg) {
  (void)arg;
  pthread_barrier_wait(&hold);           /* listed while here */
  pthread_barrier_wait(&hold);
  return NULL;
}

/* /proc/self/task: one entry per thread, each with its own stat
 * (natively a joined thread lingers until the kernel has reaped it: the
 * listing is retried until it shows the threads that run) */
static int list_once(int *ok);
static void list_tasks(int want) {
  int n = 0, ok = 0;
  for (int i = 0; i < 100000 && (n = list_once(&ok)) != want; i++) sched_yield();
  char line[128];
  int threads = -1;
  FILE *f = fopen("/proc/self/status", "r");
  while (fgets(line, sizeof line, f)) if (!strncmp(line, "Threads:", 8)) threads = atoi(line + 8);
  fclose(f);
  printf("/proc/self/task: %d threads, %d stats name their tid, status Threads %d\n", n, ok, threads);
}
static int list_once(int *okp) {
  DIR *d = opendir("/proc/self/task");
  int n = 0, ok = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    n++;
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (f && fgets(buf, sizeof buf, f) && atoi(buf) == atoi(e->d_name)) ok++;
    if (f) fclose(f);
  }
  closedir(d);
  *okp = ok;
  return n;
}

static void *execer(void *arg) {
  char *self = arg;
  char *av[] = {self, "child", NULL};
  execv(self, av);
  return NULL;
}

static _Atomic long *spins;
static void *spinner(void *arg) {
  (void)arg;
  for (;;) atomic_fetch_add(spins, 1);
  return NULL;
}

static int group_stop(void) {
  spins = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t c = fork();
  if (c == 0) {
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    pthread_join(t, NULL);             /* the main thread waits in a futex */
    _exit(0);
  }
  while (atomic_load(spins) < 1000) sched_yield();
  int st;
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  printf("stopped: %d, signal %d\n", WIFSTOPPED(st), WSTOPSIG(st));
  long a = atomic_load(spins);
  usleep(20000);
  long b = atomic_load(spins);
  printf("every thread stopped: %s\n", a == b ? "yes" : "no");
  kill(c, SIGCONT);
  waitpid(c, &st, WCONTINUED);
  printf("continued: %d\n", WIFCONTINUED(st));
  while (atomic_load(spins) == b) sched_yield();
  printf("running again\n");
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("killed: %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "child")) {
    printf("exec from a thread: pid==tid %d\n", getpid() == (pid_t)syscall(SYS_gettid));
    return 3;
  }
  pthread_t th[N];
  if (argc > 1 && !strcmp(argv[1], "groupstop")) return group_stop();
  if (argc > 1 && !strcmp(argv[1], "segvcore")) {   /* (tests/core_threads.sh, under faultline) */
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &rl);
    argv[1] = "segv";
  }
  if (argc > 1 && !strcmp(argv[1], "segv")) {
    printf("crashing in a thread\n");
    pthread_create(&th[0], NULL, crasher, NULL);
    for (;;) pause();
  }
  if (argc > 1 && !strcmp(argv[1], "exitgrp")) {
    pthread_create(&th[0], NULL, group_exiter, NULL);
    for (;;) pause();
  }
  if (argc > 1 && !strcmp(argv[1], "mainexit")) {
    pthread_create(&th[0], NULL, late_finisher, NULL);
    pthread_exit(NULL);
  }
  if (argc > 1 && !strcmp(argv[1], "exec")) {
    pthread_create(&th[0], NULL, execer, argv[0]);
    for (;;) pause();
  }

  /* 1: mutex, TLS and join values */
  for (long i = 0; i < N; i++) pthread_create(&th[i], NULL, adder, (void *)i);
  for (int i = 0; i < N; i++) {
    void *rv;
    pthread_join(th[i], &rv);
    printf("join %d -> %ld\n", i, (long)rv);
  }
  printf("counter %ld, main tls %d\n", counter, tls_value);

  /* 2: condition variable in a fixed order */
  for (long i = N - 1; i >= 0; i--) pthread_create(&th[i], NULL, taker, (void *)i);
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  printf("condvar order %s\n", order);

  /* 3: barrier */
  pthread_barrier_init(&bar, NULL, N);
  int bad = 0;
  for (long i = 0; i < N; i++) pthread_create(&th[i], NULL, barrier_worker, (void *)i);
  for (int i = 0; i < N; i++) { void *rv; pthread_join(th[i], &rv); bad += rv != NULL; }
  printf("barrier phases ok: %d\n", bad == 0);

  /* 4: munmap of a region no thread uses while the others run */
  region = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *spare = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(spare, 1, 16 * 4096);
  for (long i = 0; i < N; i++) pthread_create(&th[i], NULL, toucher, (void *)i);
  munmap(spare, 16 * 4096);
  long total = 0;
  for (int i = 0; i < N; i++) { void *rv; pthread_join(th[i], &rv); total += (long)rv; }
  printf("touch sum %ld\n", total);

  /* 5: ids: getpid is shared, gettid differs, tgkill reaches that thread */
  signal(SIGUSR1, on_usr1);
  pthread_create(&th[0], NULL, signal_target, NULL);
  while (!atomic_load(&target_ready)) sched_yield();
  printf("tid differs from pid: %d\n", target_tid != getpid());
  syscall(SYS_tgkill, getpid(), target_tid, SIGUSR1);
  while (handler_tid == 0) sched_yield();
  atomic_store(&target_go, 1);
  pthread_join(th[0], NULL);
  printf("handler ran in the target thread: %d\n", handler_tid == target_tid);
  /* (natively the joined thread's id lingers until the kernel has reaped it) */
  int gone = 0;
  for (int i = 0; i < 100000 && !gone; i++) {
    gone = syscall(SYS_tgkill, getpid(), target_tid, 0) < 0 && errno == ESRCH;
    if (!gone) sched_yield();
  }
  printf("tgkill to a finished thread: %s\n", gone ? "ESRCH" : "?");

  /* 6: process-directed signal taken by the one thread that waits for it */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  pthread_create(&th[0], NULL, sigwaiter, NULL);
  kill(getpid(), SIGUSR2);
  void *rv;
  pthread_join(th[0], &rv);
  printf("sigwait got %ld\n", (long)rv);

  /* 7: a robust mutex whose owner died */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &ma);
  pthread_create(&th[0], NULL, robust_owner, NULL);
  pthread_join(th[0], NULL);
  int r = pthread_mutex_lock(&robust);
  printf("robust lock: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
  if (r == EOWNERDEAD) pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);

  /* 8: fork from a threaded process: the child has one thread */
  pthread_create(&th[0], NULL, late_finisher, NULL);
  pid_t c = fork();
  if (c == 0) _exit(counter == N * 10000 ? 0 : 1);
  int ws;
  waitpid(c, &ws, 0);
  pthread_join(th[0], NULL);
  printf("fork child status %d\n", WEXITSTATUS(ws));

  /* 9: the threads in /proc */
  pthread_barrier_init(&hold, NULL, 3);
  pthread_create(&th[0], NULL, holder, NULL);
  pthread_create(&th[1], NULL, holder, NULL);
  pthread_barrier_wait(&hold);
  list_tasks(3);
  pthread_barrier_wait(&hold);
  pthread_join(th[0], NULL);
  pthread_join(th[1], NULL);
  list_tasks(1);
  return 0;
}
