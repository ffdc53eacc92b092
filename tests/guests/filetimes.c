/* File times follow the guest's clock (issue 13, LTP copy_file_range03):
 * a write, copy_file_range, ftruncate to a new size, fallocate and stores
 * through a shared mapping (seen after msync) move a file's mtime by the
 * time the guest slept; reads, a same-size ftruncate and a failed write do
 * not; a new file's times are the clock's.  Only relations are printed,
 * never times, so the output equals the native run's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PG 4096
static long long ns_of(struct timespec t) { return t.tv_sec * 1000000000ll + t.tv_nsec; }
static long long mtime(int fd) {
  struct stat st;
  fstat(fd, &st);
  return ns_of(st.st_mtim);
}
static void nap(void) {
  struct timespec d = {0, 60 * 1000 * 1000};
  nanosleep(&d, NULL);
}
/* moved by most of the nap (file times are the kernel's coarse clock,
 * a tick behind it: allow 20 ms) and by less than ten seconds */
static void moved(const char *what, int fd, long long *last) {
  long long m = mtime(fd), d = m - *last;
  printf("%s: mtime %s\n", what, d >= 40000000ll && d < 10000000000ll ? "moved" : d == 0 ? "kept" : "wrong");
  *last = m;
}
static void kept(const char *what, int fd, long long *last) {
  long long m = mtime(fd);
  printf("%s: mtime %s\n", what, m == *last ? "kept" : "moved");
  *last = m;
}

int main(void) {
  char path[] = "/tmp/filetimesXXXXXX", path2[] = "/tmp/filetimes2XXXXXX";
  struct timespec before, after;
  clock_gettime(CLOCK_REALTIME, &before);
  int fd = mkstemp(path);
  clock_gettime(CLOCK_REALTIME, &after);
  struct stat st;
  fstat(fd, &st);
  long long m = ns_of(st.st_mtim);
  printf("new file: mtime %s the clock, atime %s mtime\n",
         m >= ns_of(before) - 50000000ll && m <= ns_of(after) ? "follows" : "does not follow",
         ns_of(st.st_atim) == m ? "equals" : "differs from");
  nap();
  if (write(fd, "hello world\n", 12) != 12) return 2;
  moved("write", fd, &m);
  nap();
  char b[12];
  pread(fd, b, sizeof b, 0);
  kept("pread", fd, &m);
  if (ftruncate(fd, 12)) return 3;
  kept("ftruncate to the same size", fd, &m);
  nap();
  if (ftruncate(fd, 2 * PG)) return 4;
  moved("ftruncate to a new size", fd, &m);
  nap();
  if (fallocate(fd, 0, 0, 3 * PG)) return 5;
  moved("fallocate", fd, &m);
  nap();
  int ro = open(path, O_RDONLY);
  printf("write on a read-only descriptor fails: %d\n", write(ro, "x", 1) < 0);
  kept("failed write", fd, &m);
  char *sh = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  sh[100] = 'S';
  msync(sh, 3 * PG, MS_SYNC);
  moved("store through a shared mapping, msync", fd, &m);
  munmap(sh, 3 * PG);
  int fd2 = mkstemp(path2);
  long long m2 = mtime(fd2);
  nap();
  loff_t in = 0;
  printf("copy_file_range: %zd\n", copy_file_range(ro, &in, fd2, NULL, 12, 0));
  moved("copy_file_range destination", fd2, &m2);
  kept("copy_file_range source", fd, &m);
  struct timespec set[2] = {{1000000000, 5}, {1000000000, 7}};
  futimens(fd2, set);
  m2 = mtime(fd2);
  printf("futimens: mtime %s\n", m2 == 1000000000ll * 1000000000ll + 7 ? "set" : "wrong");
  nap();
  clock_gettime(CLOCK_REALTIME, &before);
  int t = open(path2, O_WRONLY | O_TRUNC);
  clock_gettime(CLOCK_REALTIME, &after);
  m2 = mtime(t);
  printf("open with O_TRUNC: mtime %s the clock\n",
         m2 >= ns_of(before) - 50000000ll && m2 <= ns_of(after) ? "follows" : "does not follow");
  close(t);
  close(ro);
  close(fd);
  close(fd2);
  unlink(path);
  unlink(path2);
  return 0;
}
