/* Fuzz target: the ELF loader and the first instructions of whatever it
 * loads.  The input is the program file; faultline runs it (quietly, the
 * guest's output discarded, 64 MiB of guest memory, at most 20,000
 * instructions).  A malformed image must be refused with a message, a
 * loaded one must run or die as a guest would: never a host crash. */
#include "sim/sim.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[64];
  if (!path[0]) snprintf(path, sizeof path, "/tmp/faultline-fuzz-elf.%d", (int)getpid());
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  chmod(path, 0700);
  char *argv[] = {path, NULL};
  char *envp[] = {NULL};
  struct sim_config cfg = {.mode = "native", .cpu_vendor = "intel", .mem_bytes = 64ull << 20,
                           .epoch = 1700000000ull, .max_insns = 20000, .argv = argv, .envp = envp,
                           .quiet = true, .guest_output_null = true};
  cfg.params = params_new();
  struct sim_result res;
  int rc = sim_run(&cfg, &res);
  if (rc && !res.error[0]) abort();     /* a refusal always says why */
  params_free(cfg.params);
  unlink(path);
  return 0;
}
