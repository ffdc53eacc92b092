/* Guest: writes one byte per page over N pages of fresh anonymous memory
 * and prints its own ru_minflt delta (stderr: the count may differ from
 * native by a few faults; the test compares it within a bound). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  struct rusage r0, r1;
  char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);   /* 4K faults even where THP is "always" */
  getrusage(RUSAGE_SELF, &r0);
  for (long i = 0; i < n; i++) p[i * 4096] = (char)i;
  getrusage(RUSAGE_SELF, &r1);
  long sum = 0;
  for (long i = 0; i < n; i++) sum += p[i * 4096];
  printf("touched %ld pages sum %ld\n", n, sum);
  fprintf(stderr, "minflt_delta %ld\n", r1.ru_minflt - r0.ru_minflt);
  return 0;
}
