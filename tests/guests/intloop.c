/* Benchmark guest (tools/bench): an integer loop of exactly 15
 * instructions per iteration, two of them memory references (a load and a
 * store into a 8 KiB array), the rest register arithmetic and the loop
 * branch.  Usage: intloop [ITERATIONS] (default 1000); prints a checksum,
 * the same natively and under faultline. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t buf[1024];

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  if (n < 1) n = 1;
  for (int k = 0; k < 1024; k++) buf[k] = (uint64_t)k * 0x9e3779b97f4a7c15ull;
  uint64_t idx = 0, a = 1, b = 2, d = 3;
  __asm__ volatile(
      "1:\n\t"
      "mov (%[buf],%[idx],8), %[a]\n\t"     /*  1: load */
      "add %[a], %[b]\n\t"                  /*  2 */
      "xor %[d], %[b]\n\t"                  /*  3 */
      "lea 1(%[b],%[b],2), %[d]\n\t"        /*  4 */
      "ror $7, %[d]\n\t"                    /*  5 */
      "add %[d], %[a]\n\t"                  /*  6 */
      "sub %[b], %[a]\n\t"                  /*  7 */
      "mov %[a], (%[buf],%[idx],8)\n\t"     /*  8: store */
      "add $5, %[idx]\n\t"                  /*  9 */
      "and $1023, %[idx]\n\t"               /* 10 */
      "xor %[a], %[d]\n\t"                  /* 11 */
      "shl $1, %[b]\n\t"                    /* 12 */
      "or %[d], %[b]\n\t"                   /* 13 */
      "dec %[n]\n\t"                        /* 14 */
      "jnz 1b\n\t"                          /* 15 */
      : [idx] "+r"(idx), [a] "+r"(a), [b] "+r"(b), [d] "+r"(d), [n] "+r"(n)
      : [buf] "r"(buf)
      : "memory", "cc");
  uint64_t sum = a ^ b ^ d;
  for (int k = 0; k < 1024; k++) sum += buf[k];
  printf("intloop: checksum %016llx\n", (unsigned long long)sum);
  return 0;
}
