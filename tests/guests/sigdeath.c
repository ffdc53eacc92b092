/* How a run ends (issue 20): a guest that dies of a signal, spins, waits
 * for input, or takes the signals a terminal or kill(1) sends it.
 *   sigdeath              raise(SIGINT) into a handler (the default test)
 *   sigdeath segv|abort|pipe|fpe
 *                         die of SIGSEGV (a store to 0x1234), SIGABRT,
 *                         SIGPIPE, SIGFPE (a division by zero)
 *   sigdeath loop         spin forever; ignint: the same, SIGINT ignored
 *   sigdeath read         read standard input, say how much came
 *   sigdeath pgrp         a parent and a child in one process group wait
 *                         for SIGINT; each says what it got (si_code: 128
 *                         from a terminal, 0 from kill); the parent then
 *                         ends the child with SIGTERM if it still waits */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, code;
static void on_int(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got = sig;
  code = si->si_code;
}

static void catch_int(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_int;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGINT, &sa, NULL);
}

static volatile int *target = (int *)0x1234;
static volatile int zero;

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "segv")) *target = 1;
  if (!strcmp(m, "abort")) abort();
  if (!strcmp(m, "fpe")) { volatile int seven = 7; return seven / zero; }
  if (!strcmp(m, "pipe")) {
    int f[2];
    if (pipe(f)) return 1;
    close(f[0]);
    return write(f[1], "x", 1) < 0 ? 2 : 3;
  }
  if (!strcmp(m, "ignint")) signal(SIGINT, SIG_IGN);
  if (!strcmp(m, "loop") || !strcmp(m, "ignint"))
    for (volatile unsigned long i = 0;; i++) {}
  if (!strcmp(m, "read")) {
    char b[64];
    ssize_t n = read(0, b, sizeof b);
    printf("read %zd\n", n);
    return 0;
  }
  if (!strcmp(m, "pgrp")) {
    catch_int();
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &all, NULL);   /* no signal between the test and the wait */
    pid_t c = fork();
    if (c == 0) {
      while (!got) sigsuspend(&none);
      printf("child: SIGINT si_code %d\n", (int)code);
      return 0;
    }
    printf("ready\n");
    fflush(stdout);
    while (!got) sigsuspend(&none);
    usleep(200000);                       /* the child's turn, if it got one too */
    int st;
    if (waitpid(c, &st, WNOHANG) == 0) {
      kill(c, SIGTERM);
      sigprocmask(SIG_UNBLOCK, &all, NULL);
      waitpid(c, &st, 0);
    }
    printf("parent: SIGINT si_code %d; child %s %d\n", (int)code, WIFSIGNALED(st) ? "killed by" : "exited",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
  }
  catch_int();
  raise(SIGINT);
  printf("handler: signal %d si_code %d\n", (int)got, (int)code);
  return 0;
}
