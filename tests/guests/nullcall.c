/* Guest: N null system calls (getppid, as lmbench's lat_syscall null),
 * for a mode's cost per system call: run it with N and 2N and divide the
 * difference in cycles by N. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000, same = 0;
  long ppid = syscall(SYS_getppid);
  for (long i = 0; i < n; i++) same += syscall(SYS_getppid) == ppid;
  printf("%ld null calls, %ld returned the same parent\n", n, same);
  return same == n ? 0 : 1;
}
