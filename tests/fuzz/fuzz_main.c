/* The fuzz targets without libFuzzer: each argument, a file or a directory
 * of files, is one input to LLVMFuzzerTestOneInput, in name order.  The
 * suite replays the committed corpora and every crash found so far this
 * way, so it needs no clang; tools/fuzz builds the same targets with
 * libFuzzer to search for new inputs. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return -1; }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) return -1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  int inputs = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st)) { perror(argv[i]); return 1; }
    if (!S_ISDIR(st.st_mode)) {
      if (run_file(argv[i])) return 1;
      inputs++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d) { perror(argv[i]); return 1; }
    char **names = NULL;
    size_t nn = 0;
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] == '.') continue;
      names = realloc(names, (nn + 1) * sizeof *names);
      names[nn] = malloc(strlen(argv[i]) + strlen(e->d_name) + 2);
      sprintf(names[nn++], "%s/%s", argv[i], e->d_name);
    }
    closedir(d);
    if (nn) qsort(names, nn, sizeof *names, by_name);   /* (an empty directory: no array) */
    for (size_t k = 0; k < nn; k++) {
      if (run_file(names[k])) return 1;
      inputs++;
      free(names[k]);
    }
    free(names);
  }
  printf("ok: %d inputs, none crashed\n", inputs);
  return 0;
}
