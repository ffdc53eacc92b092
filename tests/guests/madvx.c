/* madvise keeps or changes page contents exactly as Linux does (issue 13):
 * DONTNEED on private anonymous memory zeroes, on a private file mapping
 * reverts to the file, on shared memory keeps; REMOVE frees a shared
 * mapping's backing; WIPEONFORK and DONTFORK decide what a fork's child
 * gets; COLD/PAGEOUT change nothing; unknown advice and unmapped ranges
 * fail.  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }

int main(void) {
  char *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 'a', 2 * PG);
  madvise(a, PG, MADV_DONTNEED);
  printf("private anon dontneed: %d %c\n", a[0], a[PG]);

  char path[] = "/tmp/madvxXXXXXX";
  int fd = mkstemp(path);
  char buf[2 * PG];
  memset(buf, 'f', sizeof buf);
  if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return 2;
  char *pf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  pf[0] = 'X';
  madvise(pf, PG, MADV_DONTNEED);
  printf("private file dontneed: %c\n", pf[0]);

  char *sa = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(sa, 's', 2 * PG);
  madvise(sa, 2 * PG, MADV_DONTNEED);
  printf("shared anon dontneed: %c\n", sa[10]);
  madvise(sa, PG, MADV_REMOVE);
  printf("shared anon remove: %d %c\n", sa[10], sa[PG + 10]);

  char *sf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  sf[5] = 'S';
  madvise(sf, PG, MADV_DONTNEED);
  printf("shared file dontneed: %c\n", sf[5]);
  madvise(sf + PG, PG, MADV_REMOVE);
  char rb[2] = {0};
  pread(fd, rb, 1, PG + 7);
  printf("shared file remove: %d pread %d\n", sf[PG + 7], rb[0]);

  char *w = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(w, 'w', 2 * PG);
  errno = 0;
  int r = madvise(sa, PG, MADV_WIPEONFORK);
  printf("wipeonfork on shared: %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  madvise(w, PG, MADV_WIPEONFORK);
  char *d = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  d[0] = 'd';
  madvise(d, PG, MADV_DONTFORK);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, on_segv);
    int gone = 0;
    if (sigsetjmp(jb, 1) == 0) { volatile char x = d[0]; (void)x; } else gone = 1;
    printf("child: wiped %d kept %c, dontfork gone %d\n", w[0], w[PG], gone);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  printf("parent: %c %c %c\n", w[0], w[PG], d[0]);

  madvise(w, 2 * PG, MADV_COLD);
  madvise(w, 2 * PG, MADV_PAGEOUT);
  printf("cold/pageout keep: %c\n", w[PG]);
  errno = 0;
  r = madvise(w, PG, 12345);
  printf("unknown advice: %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  munmap(w + PG, PG);
  errno = 0;
  r = madvise(w, 2 * PG, MADV_NORMAL);
  printf("partly unmapped: %d %s\n", r, errno == ENOMEM ? "ENOMEM" : strerror(errno));
  close(fd);
  unlink(path);
  return 0;
}
