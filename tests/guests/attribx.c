/* Fault attribution (run --top-faults --symbols): 16 pages of a file
 * mapping read in touch_file, 8 pages of an anonymous mapping written in
 * touch_anon, each page once; the output is the same natively and under
 * faultline, the attribution test (tests/trace/attrib.sh) reads the stats.
 * Usage: attribx DIR (where its data file goes) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

__attribute__((noinline)) static long touch_file(const volatile char *p, int pages) {
  long s = 0;
  for (int i = 0; i < pages; i++) s += p[(long)i * PG + 7];
  return s;
}
__attribute__((noinline)) static void touch_anon(volatile char *p, int pages) {
  for (int i = 0; i < pages; i++) p[(long)i * PG] = (char)i;
}

int main(int argc, char **argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/attribx.data", argc > 1 ? argv[1] : ".");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 1;
  char page[PG];
  for (int i = 0; i < 16; i++) {
    memset(page, 'a' + i, sizeof page);
    if (write(fd, page, sizeof page) != (ssize_t)sizeof page) return 1;
  }
  char *f = mmap(NULL, 16 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  char *a = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (f == MAP_FAILED || a == MAP_FAILED) return 1;
  long s = touch_file(f, 16);
  touch_anon(a, 8);
  printf("file sum %ld, anon %d\n", s, a[7 * PG]);
  munmap(f, 16 * PG);
  munmap(a, 8 * PG);
  close(fd);
  unlink(path);
  return 0;
}
