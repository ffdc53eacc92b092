/* Protections change permissions only (issue 13): PROT_NONE and back keeps
 * a page's contents — private and shared anonymous memory, a private file
 * mapping, across fork, through mremap — and the guard-page pattern (a
 * SIGSEGV handler re-enables the page and returns) loses nothing.  Also
 * mincore's errors.  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static long sum(const unsigned char *p, size_t n) {
  long s = 0;
  for (size_t i = 0; i < n; i++) s += p[i] * (long)(i % 251 + 1);
  return s;
}
static void fill(unsigned char *p, size_t n, int seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7);
}

static unsigned char *guard;
static volatile int caught;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  caught++;
  if ((unsigned char *)si->si_addr >= guard && (unsigned char *)si->si_addr < guard + 4 * PG)
    mprotect(guard, 4 * PG, PROT_READ | PROT_WRITE);
  else
    _exit(99);
}

int main(void) {
  /* 1: private anonymous, PROT_NONE -> RW and PROT_NONE -> R */
  unsigned char *a = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(a, 8 * PG, 1);
  long s1 = sum(a, 8 * PG);
  mprotect(a, 8 * PG, PROT_NONE);
  mprotect(a, 8 * PG, PROT_READ | PROT_WRITE);
  printf("private anon none->rw kept %d\n", sum(a, 8 * PG) == s1);
  a[5] = 42;
  mprotect(a + PG, 2 * PG, PROT_NONE);
  mprotect(a + PG, 2 * PG, PROT_READ);
  printf("private anon none->r kept %d first byte %d\n", sum(a + PG, 2 * PG) == sum(a + PG, 2 * PG) &&
         a[PG] == (unsigned char)(1 + PG * 7), a[5]);
  mprotect(a, 8 * PG, PROT_READ | PROT_WRITE);
  a[3 * PG] = 7;
  printf("write after none->r->rw %d\n", a[3 * PG]);

  /* 2: the guard-page pattern: a handler re-enables and returns */
  guard = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(guard, 4 * PG, 3);
  long s2 = sum(guard, 4 * PG);
  struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
  sigaction(SIGSEGV, &sa, NULL);
  mprotect(guard, 4 * PG, PROT_NONE);
  long s2b = sum(guard, 4 * PG);       /* faults once; the handler re-enables */
  printf("guard page: caught %d, contents kept %d\n", caught, s2b == s2);

  /* 3: fork while PROT_NONE: the child restores and reads, writes (COW) */
  unsigned char *f = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(f, 4 * PG, 5);
  long s3 = sum(f, 4 * PG);
  mprotect(f, 4 * PG, PROT_NONE);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    mprotect(f, 4 * PG, PROT_READ | PROT_WRITE);
    int kept = sum(f, 4 * PG) == s3;
    memset(f, 0xee, PG);
    printf("child: kept %d\n", kept);
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  mprotect(f, 4 * PG, PROT_READ | PROT_WRITE);
  printf("parent after child wrote: kept %d\n", sum(f, 4 * PG) == s3);

  /* 4: shared anonymous */
  unsigned char *sh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  fill(sh, 2 * PG, 9);
  long s4 = sum(sh, 2 * PG);
  mprotect(sh, 2 * PG, PROT_NONE);
  mprotect(sh, 2 * PG, PROT_READ | PROT_WRITE);
  printf("shared anon none->rw kept %d\n", sum(sh, 2 * PG) == s4);

  /* 5: a private file mapping, written (COW copies), PROT_NONE and back */
  char path[] = "/tmp/protnoneXXXXXX";
  int fd = mkstemp(path);
  unsigned char buf[2 * PG];
  fill(buf, sizeof buf, 11);
  if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return 2;
  unsigned char *fm = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  fm[10] = 1;                          /* page 0 is now a private copy */
  long s5 = sum(fm, 2 * PG);
  mprotect(fm, 2 * PG, PROT_NONE);
  mprotect(fm, 2 * PG, PROT_READ | PROT_WRITE);
  printf("private file none->rw kept %d (byte %d)\n", sum(fm, 2 * PG) == s5, fm[10]);
  munmap(fm, 2 * PG);
  close(fd);
  unlink(path);

  /* 6: mremap moves a PROT_NONE range with its contents */
  unsigned char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(m, 4 * PG, 13);
  long s6 = sum(m, 4 * PG);
  mprotect(m, 4 * PG, PROT_NONE);
  unsigned char *m2 = mremap(m, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
  mprotect(m2, 4 * PG, PROT_READ | PROT_WRITE);
  printf("mremap of PROT_NONE kept %d\n", m2 != MAP_FAILED && sum(m2, 4 * PG) == s6);

  /* 7: MADV_DONTNEED zaps PROT_NONE private pages too: zero after */
  mprotect(a, PG, PROT_NONE);
  madvise(a, PG, MADV_DONTNEED);
  mprotect(a, PG, PROT_READ | PROT_WRITE);
  printf("dontneed while none: byte %d\n", a[1]);

  /* 8: munmap of a PROT_NONE range, then a new mapping there is zero */
  unsigned char *u = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(u, 2 * PG, 17);
  mprotect(u, 2 * PG, PROT_NONE);
  munmap(u, 2 * PG);
  unsigned char *u2 = mmap(u, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("after munmap: zero %d\n", u2[0] == 0 && u2[PG + 5] == 0);

  /* 9: mincore: resident pages, a PROT_NONE page, unmapped and unaligned */
  unsigned char vec[4] = {9, 9, 9, 9};
  mprotect(a + 2 * PG, PG, PROT_NONE);
  int r = mincore(a, 4 * PG, vec);
  printf("mincore mapped %d: %d %d %d %d\n", r, vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  munmap(u2, 2 * PG);
  errno = 0;
  r = mincore(u2, 2 * PG, vec);
  printf("mincore unmapped %d errno %s\n", r, errno == ENOMEM ? "ENOMEM" : strerror(errno));
  errno = 0;
  r = mincore(a + 1, PG, vec);
  printf("mincore unaligned %d errno %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  return 0;
}
