/* Fuzz target: the parameter parsers — a preset file (`key = value  #
 * source` lines, `cpu = amd`) and `--set key=value` strings.  An input's
 * first byte chooses: even, the rest is a preset file; odd, each line of
 * the rest is one --set.  Bad text must be refused with a message, never
 * crash. */
#include "sim/sim.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  struct param_reg *p = params_new();
  char err[512];
  if (!(data[0] & 1)) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/faultline-fuzz-preset.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) abort();
    fclose(f);
    err[0] = 0;
    if (params_load_preset(p, path, err, sizeof err) && !err[0]) abort();   /* a refusal says why */
    unlink(path);
  } else {
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
      err[0] = 0;
      if (params_set(p, line, err, sizeof err) && !err[0]) abort();
    }
    free(text);
  }
  params_free(p);
  return 0;
}
