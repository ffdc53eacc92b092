/* Regions of interest: tools/faultline_roi.h's magic instruction (a NOP
 * natively) around a known amount of work, and a function for
 * --roi-symbol.  Outside the regions: 5 anonymous pages written; inside:
 * 7 pages in the first region, 4 in the second (a reset between them
 * drops the first), 6 in region_work (called twice, its region summed:
 * 12); the output is the same natively and under faultline.
 * Usage: roix magic | roix symbol */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "../../tools/faultline_roi.h"

#define PG 4096

static char *pages(int n) {
  return mmap(NULL, (size_t)n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
__attribute__((noinline)) static void touch(char *p, int n) {
  for (int i = 0; i < n; i++) ((volatile char *)p)[(long)i * PG] = 1;
}
__attribute__((noinline)) void region_work(int n) { touch(pages(n), n); }

int main(int argc, char **argv) {
  touch(pages(5), 5);
  if (argc > 1 && !strcmp(argv[1], "symbol")) {
    region_work(6);
    touch(pages(3), 3);
    region_work(6);
  } else {
    char *a = pages(7), *b = pages(4), *c = pages(9);
    FAULTLINE_ROI_BEGIN();
    touch(a, 7);
    FAULTLINE_ROI_END();
    touch(c, 9);                     /* outside */
    FAULTLINE_ROI_RESET();           /* the region so far is dropped */
    FAULTLINE_ROI_BEGIN();
    touch(b, 4);
    FAULTLINE_ROI_END();
    FAULTLINE_ROI_DUMP();            /* the stats so far: STATS.dump1 */
  }
  printf("done\n");
  return 0;
}
