/* TLB-miss-heavy guest: a random cyclic pointer chase, one pointer per
 * 4 KiB page over MB megabytes (far beyond the STLB's reach), STEPS hops.
 * Usage: tlbchase MB STEPS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 64;
  long steps = argc > 2 ? atol(argv[2]) : 1000000;
  size_t pages = mb * 256;
  char *mem = malloc(pages * 4096 + 4096);
  size_t *order = malloc(pages * sizeof *order);
  if (!mem || !order) return 1;
  for (size_t i = 0; i < pages; i++) order[i] = i;
  uint64_t x = 88172645463325252ull;   /* xorshift: deterministic shuffle */
  for (size_t i = pages - 1; i > 0; i--) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    size_t j = (size_t)(x % (i + 1));
    size_t t = order[i]; order[i] = order[j]; order[j] = t;
  }
  for (size_t i = 0; i < pages; i++)
    *(char **)(mem + order[i] * 4096 + (order[i] % 63) * 64) =
        mem + order[(i + 1) % pages] * 4096 + (order[(i + 1) % pages] % 63) * 64;
  char *p = mem + order[0] * 4096 + (order[0] % 63) * 64;
  for (long s = 0; s < steps; s++) p = *(char **)p;
  printf("chased %ld hops over %zu pages: end offset %zu\n", steps, pages, (size_t)(p - mem) % 4096);
  return 0;
}
