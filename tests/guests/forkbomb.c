/* A fork bomb meets the process limits (issue 20), as on Linux:
 *   forkbomb nproc N   as uid 54321 with RLIMIT_NPROC N, fork until it
 *                      fails: EAGAIN once the user has N tasks (the
 *                      parent and N-1 children); run natively as root too
 *   forkbomb all       fork until it fails, as whoever runs it: under
 *                      faultline, at --max-procs (kernel.threads-max)
 *   forkbomb           five children, killed and reaped (the plain test)
 * Each child waits to be killed; the parent then kills and reaps them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "nproc")) {
    struct rlimit rl = {(rlim_t)atoi(argv[2]), (rlim_t)atoi(argv[2])};
    if (setgid(54321) || setuid(54321)) { perror("setuid (run as root)"); return 2; }
    if (setrlimit(RLIMIT_NPROC, &rl)) { perror("setrlimit"); return 2; }
  } else if (argc > 1 && strcmp(argv[1], "all")) {
    fprintf(stderr, "usage: forkbomb [nproc N | all]\n");
    return 2;
  }
  static pid_t kids[1 << 16];
  int n = 0, err = 0, most = argc > 1 ? (int)(sizeof kids / sizeof *kids) : 5;   /* no argument: 5 children */
  for (;;) {
    if (n == most) break;
    pid_t p = fork();
    if (p < 0) { err = errno; break; }
    if (p == 0) { for (;;) pause(); }
    kids[n++] = p;
  }
  printf("fork failed after %d children: %s\n", n, err ? strerror(err) : "(no failure)");
  for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
  int reaped = 0;
  while (wait(NULL) > 0) reaped++;
  printf("reaped %d\n", reaped);
  return 0;
}
