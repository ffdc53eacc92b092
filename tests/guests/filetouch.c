/* File-backed page faults in the shape of lmbench's lat_pagefault: map a
 * file and touch one byte per STRIDE (default 256 KiB) from the end
 * backwards, so each touch is a fresh fault that fault-around cannot serve.
 * Usage: filetouch FILE [STRIDE_KB] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/proc/self/exe";
  size_t stride = (argc > 2 ? (size_t)atol(argv[2]) : 256) * 1024;
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror(path); return 1; }
  struct stat st;
  if (fstat(fd, &st) || st.st_size < 4096) { fprintf(stderr, "%s: too small\n", path); return 1; }
  size_t len = (size_t)st.st_size & ~(size_t)4095;
  const volatile unsigned char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  unsigned sum = 0, n = 0;
  for (size_t off = len - 4096;; off -= stride) {
    sum += p[off];
    n++;
    if (off < stride) break;
  }
  printf("touched %u pages of %zu bytes (checksum %u)\n", n, len, sum);
  return 0;
}
