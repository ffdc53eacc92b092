/* Guest: transparent huge pages: 8 MiB written with and without
 * madvise(MADV_HUGEPAGE) (4 faults vs 2048 on Linux with THP=madvise), then
 * a munmap inside a huge page (split).  The fault count goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
static long minflt(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_minflt; }
int main(int argc, char **argv) {
  size_t n = 16 << 20;
  char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *a = (char *)(((unsigned long)p + (2 << 20) - 1) & ~((2ul << 20) - 1));
  if (argc > 1) madvise(a, 8 << 20, MADV_HUGEPAGE);
  long m0 = minflt();
  for (size_t i = 0; i < (8 << 20); i += 4096) a[i] = 1;
  long m1 = minflt();
  munmap(a + (1 << 20), 4096);   /* splits one huge page */
  long s = 0; for (size_t i = 0; i < (8 << 20); i += 4096) if (i < (1 << 20) || i >= (1 << 20) + 4096) s += a[i];
  fprintf(stderr, "faults for 8 MiB: %ld\n", m1 - m0);
  printf("sum %ld\n", s);
  return 0;
}
