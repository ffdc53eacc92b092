/* Guest: copy-on-write fault counts after fork.  The child and then the
 * parent write one byte per page of N pages they share; each prints its
 * own ru_minflt delta on stderr (compared with Linux by cowcount.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long minflt(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);   /* 4K faults even where THP is "always" */
  for (long i = 0; i < n; i++) p[i * 4096] = 1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    long m0 = minflt();
    for (long i = 0; i < n; i++) p[i * 4096] = 2;
    long m1 = minflt();
    fprintf(stderr, "child cow delta %ld\n", m1 - m0);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  long m0 = minflt();
  for (long i = 0; i < n; i++) p[i * 4096] = 3;
  long m1 = minflt();
  fprintf(stderr, "parent after-child delta %ld\n", m1 - m0);
  printf("cow done %d\n", p[0]);
  return 0;
}
