/* Fuzz target: the .fltr trace reader (traces/fltr.h) over untrusted
 * bytes: open (header, trailer, index), then every record.  A damaged
 * trace must be refused with a message naming the byte offset, never
 * crash or hang.  (tests/trace/replay_fuzz.c mutates valid traces' records
 * behind valid checksums, for the replay's own checks.) */
#include "traces/fltr.h"
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[600];
  err[0] = 0;
  struct fltr_reader *r = fltr_open_mem(data, size, "fuzz.fltr", err, sizeof err);
  if (!r) {
    if (!err[0]) abort();              /* a refusal says why */
    return 0;
  }
  struct fltr_rec rec;
  int k;
  uint64_t n = 0;
  while ((k = fltr_next(r, &rec)) > 0) n++;
  (void)n;
  fltr_reader_close(r);
  return 0;
}
