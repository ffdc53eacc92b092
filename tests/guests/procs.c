/* Guest: processes and signals — fork+pipe+wait, execve chains,
 * posix_spawn, popen of itself, signal handlers that inspect siginfo and
 * ucontext and return, sigaltstack, SA_RESETHAND, kill/raise, COW. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include <fcntl.h>

extern char **environ;
static sigjmp_buf jb;
static volatile int got_sig, got_code;
static volatile void *got_addr;
static volatile long got_err, got_trapno;

static void segv_handler(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  got_sig = sig;
  got_code = si->si_code;
  got_addr = si->si_addr;
  got_err = uc->uc_mcontext.gregs[REG_ERR];
  got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  siglongjmp(jb, 1);
}

static volatile int usr1_count;
static void usr1(int sig) { usr1_count++; }

static void on_alt(int sig, siginfo_t *si, void *uc) {
  char probe;
  stack_t ss;
  sigaltstack(NULL, &ss);
  got_sig = sig;
  got_code = (ss.ss_flags & SS_ONSTACK) != 0 && (char *)&probe >= (char *)ss.ss_sp;
  siglongjmp(jb, 1);
}

static int depth(int n) { volatile char buf[4096]; buf[0] = (char)n; return n > 0 ? depth(n + 1) + buf[0] : 0; }

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "child")) {
    int n = atoi(argv[2]);
    printf("exec child level %d\n", n);
    fflush(stdout);
    if (n < 3) {
      char lvl[16];
      snprintf(lvl, sizeof lvl, "%d", n + 1);
      execl("/proc/self/exe", argv[0], "child", lvl, (char *)NULL);
      perror("execl");
      return 99;
    }
    return 40 + n;
  }
  if (argc > 1 && !strcmp(argv[1], "abort")) { abort(); }
  if (argc > 1 && !strcmp(argv[1], "segv")) { *(volatile int *)16 = 1; return 0; }
  if (argc > 1 && !strcmp(argv[1], "echo")) { printf("echo from %s\n", argv[2]); return 7; }

  /* fork + pipe + wait */
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    const char msg[] = "hello through a pipe";
    write(p[1], msg, sizeof msg);
    _exit(5);
  }
  close(p[1]);
  char buf[64] = {0};
  ssize_t n = read(p[0], buf, sizeof buf);
  int st;
  pid_t w = waitpid(pid, &st, 0);
  printf("pipe read %zd '%s' waited %d exited %d status %d\n", n, buf, w == pid, WIFEXITED(st), WEXITSTATUS(st));

  /* copy-on-write: the child's writes don't reach the parent */
  static int shared_var = 1;
  char *heap = malloc(100000);
  memset(heap, 'p', 100000);
  fflush(stdout); pid = fork();
  if (pid == 0) { shared_var = 2; memset(heap, 'c', 100000); _exit(shared_var + heap[99999]); }
  waitpid(pid, &st, 0);
  printf("cow parent sees %d %c child status %d\n", shared_var, heap[99999], WEXITSTATUS(st));

  /* a pipeline of three children */
  int a[2], b[2];
  pipe(a); pipe(b);
  fflush(stdout);
  if (fork() == 0) { dup2(a[1], 1); close(a[0]); close(a[1]); close(b[0]); close(b[1]); for (int i = 0; i < 1000; i++) printf("line %d\n", i); fflush(stdout); _exit(0); }
  if (fork() == 0) {
    dup2(a[0], 0); dup2(b[1], 1); close(a[0]); close(a[1]); close(b[0]); close(b[1]);
    char l[64]; long sum = 0; while (fgets(l, sizeof l, stdin)) sum += atoi(l + 5);
    printf("%ld\n", sum); fflush(stdout); _exit(0);
  }
  close(a[0]); close(a[1]); close(b[1]);
  n = read(b[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  while (wait(&st) > 0) {}
  printf("pipeline sum %s", buf);

  /* execve chain */
  fflush(stdout); pid = fork();
  if (pid == 0) { execl("/proc/self/exe", argv[0], "child", "1", (char *)NULL); _exit(98); }
  waitpid(pid, &st, 0);
  printf("exec chain exit %d\n", WEXITSTATUS(st));

  /* posix_spawn (clone(CLONE_VM|CLONE_VFORK) in glibc) */
  char *sargv[] = {argv[0], "echo", "spawned", NULL};
  fflush(stdout);
  int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, sargv, environ);
  waitpid(pid, &st, 0);
  printf("posix_spawn rc %d exit %d\n", rc, WEXITSTATUS(st));

  /* SIGSEGV handler: siginfo and ucontext */
  struct sigaction sa = {0};
  sa.sa_sigaction = segv_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  if (!sigsetjmp(jb, 1)) *(volatile int *)0x1000 = 1;
  printf("segv sig %d code %d addr %p err %ld trapno %ld\n", got_sig, got_code, (void *)got_addr, got_err, got_trapno);
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!sigsetjmp(jb, 1)) ro[10] = 1;
  printf("accerr code %d offset %ld err %ld\n", got_code, (long)((char *)got_addr - ro), got_err);

  /* SIGUSR1 via kill and raise, SA_RESETHAND */
  signal(SIGUSR1, usr1);
  kill(getpid(), SIGUSR1);
  raise(SIGUSR1);
  printf("usr1 count %d\n", usr1_count);
  struct sigaction once = {0};
  once.sa_handler = usr1;
  once.sa_flags = SA_RESETHAND;
  sigaction(SIGUSR1, &once, NULL);
  raise(SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  printf("resethand count %d default-now %d\n", usr1_count, now.sa_handler == SIG_DFL);

  /* blocked signal delivered on unblock */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  signal(SIGUSR2, usr1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR2);
  int before = usr1_count;
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  printf("blocked then delivered %d -> %d\n", before, usr1_count);

  /* stack overflow handled on the alternate stack */
  stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
  sigaltstack(&ss, NULL);
  struct sigaction alt = {0};
  alt.sa_sigaction = on_alt;
  alt.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &alt, NULL);
  got_sig = 0;
  if (!sigsetjmp(jb, 1)) depth(1);
  printf("overflow caught %d on altstack %d\n", got_sig, got_code);

  /* a child killed by a signal */
  fflush(stdout); pid = fork();
  if (pid == 0) { signal(SIGSEGV, SIG_DFL); *(volatile int *)8 = 0; _exit(0); }
  waitpid(pid, &st, 0);
  printf("child signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
  fflush(stdout); pid = fork();
  if (pid == 0) { pause(); _exit(0); }
  kill(pid, SIGTERM);
  waitpid(pid, &st, 0);
  printf("killed child sig %d\n", WTERMSIG(st));
  printf("wait no children %d errno-echild %d\n", (int)wait(&st), errno == ECHILD);

  /* system() and popen() go through /bin/sh (dynamically linked on Debian) */
  fflush(stdout);
  rc = system("echo from system; exit 4");
  printf("system status %d\n", WEXITSTATUS(rc));
  FILE *pp = popen("echo popen line; echo second", "r");
  char line[64];
  while (fgets(line, sizeof line, pp)) printf("popen got: %s", line);
  printf("pclose %d\n", WEXITSTATUS(pclose(pp)));

  /* rt_sigsuspend: wait for a signal with a temporary mask */
  sigset_t block, old, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  signal(SIGUSR1, usr1);
  sigprocmask(SIG_BLOCK, &block, &old);
  fflush(stdout);
  pid = fork();
  if (pid == 0) { kill(getppid(), SIGUSR1); _exit(0); }
  sigemptyset(&waitmask);
  before = usr1_count;
  sigsuspend(&waitmask);
  sigset_t now_mask;
  sigprocmask(SIG_SETMASK, NULL, &now_mask);
  printf("sigsuspend woke %d mask restored %d\n", usr1_count - before, sigismember(&now_mask, SIGUSR1));
  waitpid(pid, &st, 0);

  /* /proc/self as the guest sees it */
  char exe[4096];
  ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[el > 0 ? el : 0] = 0;
  const char *base = strrchr(exe, '/');
  printf("proc exe basename %s\n", base ? base + 1 : exe);
  FILE *maps = fopen("/proc/self/maps", "r");
  int stack_line = 0, exe_line = 0;
  while (maps && fgets(line, sizeof line, maps)) {
    if (strstr(line, "[stack]")) stack_line = 1;
    if (base && strstr(line, base + 1)) exe_line = 1;
  }
  if (maps) fclose(maps);
  printf("maps has stack %d exe %d\n", stack_line, exe_line);
  /* Linux lets a process open its own /proc/self/mem, and so does
   * faultline (the guest's memory, never the simulator's): stderr,
   * checked by guest.procmem (guest coremem uses the file) */
  fprintf(stderr, "proc mem open fails %d\n", open("/proc/self/mem", O_RDWR) < 0);
  return 0;
}
