/* TLB-shootdown benchmark guest (issue 19; tools/smpbench runs it): T
 * threads of one process, each mapping, touching and unmapping a page, then
 * mprotecting one to read-only and back, N times.  Every munmap and every
 * write-protect must reach the other CPUs that run the process. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static int iters;
static void *worker(void *arg) {
  (void)arg;
  char *keep = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  keep[0] = 1;
  for (int i = 0; i < iters; i++) {
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = (char)i;
    munmap(p, 4096);
    mprotect(keep, 4096, PROT_READ);
    mprotect(keep, 4096, PROT_READ | PROT_WRITE);
    keep[0] = (char)i;
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  iters = argc > 2 ? atoi(argv[2]) : 200;
  pthread_t t[64];
  for (int i = 0; i < threads && i < 64; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < threads && i < 64; i++) pthread_join(t[i], NULL);
  printf("%d threads x %d iterations: %d munmaps, %d write-protects\n", threads, iters, threads * iters, threads * iters);
  return 0;
}
