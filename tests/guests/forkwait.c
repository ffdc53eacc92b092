/* A whole operation, not a fault: N times fork a child that exits at once
 * (_exit) and wait for it -- Adams & Agesen's forkwait (ASPLOS'06) and
 * lmbench's fork proc shape.  The loop is a region of interest
 * (tools/faultline_roi.h, a NOP natively), after one fork outside it, so
 * `faultline run --stats` reports its cycles as "region".
 * Usage: forkwait [N] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../tools/faultline_roi.h"

static int forkwait(void) {
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) _exit(7);
  int st;
  return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10, ok = forkwait();
  FAULTLINE_ROI_BEGIN();
  for (int i = 0; i < n; i++) ok += forkwait();
  FAULTLINE_ROI_END();
  printf("%d of %d children reaped with status 7\n", ok, n + 1);
  return ok == n + 1 ? 0 : 1;
}
