/* Guest: qsort and bsearch over generated data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  int *v = malloc(sizeof *v * (size_t)n);
  unsigned s = 12345;
  for (int i = 0; i < n; i++) { s = s * 1103515245u + 12345u; v[i] = (int)(s >> 1); }
  qsort(v, (size_t)n, sizeof *v, cmp_int);
  long long sum = 0;
  int sorted = 1;
  for (int i = 0; i < n; i++) { sum += v[i] % 1000; if (i && v[i - 1] > v[i]) sorted = 0; }
  printf("n=%d sorted=%d sum=%lld min=%d max=%d\n", n, sorted, sum, v[0], v[n - 1]);
  int key = v[n / 3];
  int *f = bsearch(&key, v, (size_t)n, sizeof *v, cmp_int);
  printf("bsearch %d\n", f ? (int)(f - v) == n / 3 || *f == key : -1);
  char *words[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date", "grape"};
  qsort(words, 8, sizeof words[0], cmp_str);
  for (int i = 0; i < 8; i++) printf("%s ", words[i]);
  printf("\n");
  free(v);
  return 0;
}
