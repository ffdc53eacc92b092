/* mlock and friends (issue 13): locking populates (the faults are taken at
 * mlock, counted as the task's), VmLck counts the locked size, MLOCK_ONFAULT
 * locks without populating, munlock unlocks, and the flag errors.  Output
 * must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define PG 4096
static long minflt(void) { struct rusage ru; getrusage(RUSAGE_SELF, &ru); return ru.ru_minflt; }
static long vmlck(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f)) if (sscanf(line, "VmLck: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

int main(void) {
  /* a dynamic build resolves memset at its first call (a GOT write that
   * faults): resolve it before counting */
  static char warm[64];
  volatile size_t wn = sizeof warm;
  memset(warm, 0, wn);
  char *a = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long f0 = minflt();
  int r = mlock(a, 16 * PG);
  long f1 = minflt();
  memset(a, 1, 16 * PG);
  long f1b = minflt();
  printf("mlock: %d, faults taken %ld, VmLck %ld kB\n", r, f1 - f0, vmlck());
  printf("touching locked pages faults %ld more\n", f1b - f1);
  r = mlock2(a + 32 * PG, 8 * PG, MLOCK_ONFAULT);
  long f2 = minflt();
  a[32 * PG] = 1;
  long f2b = minflt();
  printf("mlock2 onfault: %d, VmLck %ld kB\n", r, vmlck());
  printf("onfault touch faults %ld\n", f2b - f2);
  munlock(a, 16 * PG);
  printf("after munlock: VmLck %ld kB\n", vmlck());
  munlock(a + 32 * PG, 8 * PG);
  errno = 0;
  r = mlock2(a, PG, 8);
  printf("mlock2 bad flag: %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  munmap(a + 60 * PG, 4 * PG);
  errno = 0;
  r = mlock(a + 56 * PG, 8 * PG);
  printf("mlock over a hole: %d %s\n", r, errno == ENOMEM ? "ENOMEM" : strerror(errno));
  errno = 0;
  r = mlockall(0);
  printf("mlockall(0): %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  r = munlockall();
  printf("munlockall: %d VmLck %ld kB\n", r, vmlck());
  return 0;
}
