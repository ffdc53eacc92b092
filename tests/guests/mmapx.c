#define _GNU_SOURCE
/* Guest: mmap patterns: anonymous, file-backed, mprotect, munmap,
 * mremap grow/move, MAP_FIXED, brk growth. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long sum(const unsigned char *p, size_t n) {
  unsigned long s = 0;
  for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
  return s;
}

int main(int argc, char **argv) {
  size_t n = 64 * 4096;
  unsigned char *a = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("anon ok %d zero %d\n", a != MAP_FAILED, a[12345] == 0);
  for (size_t i = 0; i < n; i += 97) a[i] = (unsigned char)i;
  printf("anon sum %lu\n", sum(a, n));
  printf("mprotect %d\n", mprotect(a + 40 * 4096, 4096, PROT_READ));
  printf("munmap %d\n", munmap(a + 8 * 4096, 8 * 4096));
  unsigned char *b = mremap(a, 8 * 4096, 200 * 4096, MREMAP_MAYMOVE);
  printf("mremap ok %d kept %d\n", b != MAP_FAILED, b[97] == 97);
  for (size_t i = 8 * 4096; i < 200 * 4096; i += 4096) b[i] = 1;
  printf("grown sum %lu\n", sum(b, 200 * 4096));
  void *fixed = mmap((void *)0x200000000ul, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed %d\n", fixed == (void *)0x200000000ul);
  int fd = open(argv[0], O_RDONLY);
  unsigned char *f = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
  printf("file map ok %d elf %d\n", f != MAP_FAILED, f[0] == 0x7f && f[1] == 'E');
  unsigned char *fw = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  fw[0] = 'X';
  printf("private write %c orig %c\n", fw[0], f[0] == 0x7f ? 'E' : '?');
  close(fd);
#ifdef __GLIBC__   /* musl's sbrk refuses non-zero increments */
  char *brk0 = sbrk(0);
  char *grown = sbrk(1 << 20);
  memset(grown, 7, 1 << 20);
  printf("sbrk ok %d %d\n", grown == brk0, sbrk(0) == brk0 + (1 << 20));
#endif
  void *big = malloc(10 << 20);
  memset(big, 1, 10 << 20);
  printf("malloc big ok %d\n", big != NULL);
  free(big);
  int mr = madvise(b, 4096 * 10, MADV_DONTNEED);
  printf("madvise %d zero-after %d\n", mr, b[97] == 0);
  return 0;
}
