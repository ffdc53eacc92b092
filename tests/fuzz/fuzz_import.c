/* Fuzz target: the importers of other tools' traces (tools/import.c) over
 * untrusted bytes.  The first byte chooses the format (even: valgrind
 * lackey's text, odd: ChampSim's 64-byte records); the rest is the input,
 * imported into a trace written to a scratch file.  A malformed input must
 * be refused with a message naming its line or record, never crash. */
#include "tools/import.h"
#include "cpu-x86/cpu.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  static char path[64];
  if (!path[0]) snprintf(path, sizeof path, "/tmp/faultline-fuzz-import.%d.fltr", (int)getpid());
  const char *fmt = data[0] & 1 ? "champsim" : "lackey";
  FILE *in = fmemopen((void *)(data + 1), size - 1, "rb");
  if (!in && size > 1) abort();
  if (!in) in = fopen("/dev/null", "rb");
  const char *argv[] = {"faultline", "import", fmt, "fuzz", NULL};
  struct fltr_meta meta = {.mode = "native", .preset = "default", .cpuid_id = CPU_CPUID_PERSONALITY,
                           .cpuid_name = CPU_CPUID_PERSONALITY_NAME, .version = "fuzz",
                           .flags = FLTR_FLAG_IMPORTED, .argc = 4, .argv = argv};
  uint64_t icount = 0;
  char err[400];
  struct recorder *rec = recorder_open(path, &meta, &icount, err, sizeof err);
  if (!rec) abort();
  err[0] = 0;
  if (import_stream(rec, &icount, fmt, in, "fuzz", NULL, err, sizeof err) && !err[0]) abort();   /* a refusal says why */
  fclose(in);
  recorder_close(rec, err, sizeof err);
  unlink(path);
  return 0;
}
