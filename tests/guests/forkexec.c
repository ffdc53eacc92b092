/* Fork/exec-heavy guest (the lmbench "fork+exec" shape): N times fork a
 * child that execs this program as "child", which touches a few pages of
 * heap and exits; the parent waits.  Usage: forkexec N | forkexec child */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child")) {
    char *p = malloc(16 * 4096);
    if (!p) return 1;
    for (int i = 0; i < 16; i++) p[i * 4096] = (char)i;
    return p[5 * 4096] == 5 ? 0 : 1;
  }
  int n = argc > 1 ? atoi(argv[1]) : 20;
  int ok = 0;
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      execl("/proc/self/exe", argv[0], "child", (char *)NULL);
      _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
  }
  printf("%d of %d children exited 0\n", ok, n);
  return ok == n ? 0 : 1;
}
