/* Other tools' memory traces into .fltr records (traces/FORMAT.md
 * "Imported traces"): valgrind lackey's text and ChampSim's binary
 * records.  The input is untrusted: a malformed one is refused with a
 * message (tests/fuzz/fuzz_import.c searches for one that is not). */
#include "tools/import.h"
#include "cpu-x86/cpu.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct importer_state {
  struct recorder *rec;
  uint64_t *icount;                  /* instructions so far: the records' stamps (the recorder reads it) */
  /* block ids by instruction address (open addressing) */
  uint64_t *addr;
  uint32_t *id;
  size_t cap, used;
  uint32_t next_id;
  uint64_t insns, refs;
};

static uint32_t block_for(struct importer_state *im, uint64_t ip, unsigned len) {
  if (im->used * 2 >= im->cap) {
    size_t ncap = im->cap ? im->cap * 2 : 1u << 16;
    uint64_t *na = calloc(ncap, sizeof *na);
    uint32_t *ni = calloc(ncap, sizeof *ni);
    if (!na || !ni) abort();         /* (out of host memory) */
    for (size_t i = 0; i < im->cap; i++)
      if (im->id[i]) {
        size_t h = (size_t)((im->addr[i] * 0x9E3779B97F4A7C15ull) >> 20) & (ncap - 1);
        while (ni[h]) h = (h + 1) & (ncap - 1);
        na[h] = im->addr[i];
        ni[h] = im->id[i];
      }
    free(im->addr);
    free(im->id);
    im->addr = na;
    im->id = ni;
    im->cap = ncap;
  }
  size_t h = (size_t)((ip * 0x9E3779B97F4A7C15ull) >> 20) & (im->cap - 1);
  while (im->id[h] && im->addr[h] != ip) h = (h + 1) & (im->cap - 1);
  if (im->id[h]) return im->id[h];
  uint8_t cls = 0;                   /* simple: the input has no classes */
  uint32_t id = recorder_block(im->rec, ip, 0, 0, len ? len : 1, cpu_class_cost_of(0), &cls, 1);
  im->addr[h] = ip;
  im->id[h] = id;
  im->used++;
  return id;
}

static void insn(struct importer_state *im, uint64_t ip, unsigned len) {
  recorder_bb(im->rec, block_for(im, ip, len));
  (*im->icount)++;
  im->insns++;
}
static void ref(struct importer_state *im, uint64_t va, unsigned size, unsigned kind) {
  if (!size) size = 1;
  if (size > 4096) size = 4096;
  recorder_ref(im->rec, (const void *)(uintptr_t)*im->icount, 0, va, size, kind);
  im->refs++;
}

static int import_lackey(struct importer_state *im, FILE *in, const char *name, char *err, size_t errlen) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  uint64_t lineno = 0;
  bool have_insn = false;
  while ((n = getline(&line, &cap, in)) > 0) {
    lineno++;
    char kind;
    unsigned long long a;
    unsigned sz;
    if (line[0] == '=' || line[0] == '-' || line[0] == '\n') continue;   /* valgrind's own lines */
    if (sscanf(line, " %c %llx,%u", &kind, &a, &sz) != 3) {
      snprintf(err, errlen, "%s: line %llu is not a lackey line (`I  addr,size`, ` L addr,size`, ...)", name,
               (unsigned long long)lineno);
      free(line);
      return -1;
    }
    switch (kind) {
    case 'I': insn(im, a, sz); have_insn = true; break;
    case 'L': case 'S': case 'M':
      if (!have_insn) insn(im, 0, 1);   /* accesses before the first instruction: one of their own */
      ref(im, a, sz, kind == 'L' ? 0 : kind == 'S' ? 1 : 2);
      break;
    default:
      snprintf(err, errlen, "%s: line %llu: unknown access kind '%c'", name, (unsigned long long)lineno, kind);
      free(line);
      return -1;
    }
  }
  free(line);
  return 0;
}

/* ChampSim's trace_instr_format.h input_instr: 64 bytes, little-endian */
static int import_champsim(struct importer_state *im, FILE *in, const char *name, char *err, size_t errlen) {
  uint8_t b[64];
  size_t got;
  uint64_t n = 0;
  while ((got = fread(b, 1, sizeof b, in)) == sizeof b) {
    uint64_t v[6];
    memcpy(v, b + 16, sizeof v);     /* destination_memory[2] at 16, source_memory[4] at 32 */
    uint64_t ip;
    memcpy(&ip, b, 8);
    insn(im, ip, 4);
    for (int i = 2; i < 6; i++)
      if (v[i]) ref(im, v[i], 8, 0);
    for (int i = 0; i < 2; i++)
      if (v[i]) ref(im, v[i], 8, 1);
    n++;
  }
  if (got) {
    snprintf(err, errlen, "%s: ends inside a record (%zu of 64 bytes after %llu records): not a ChampSim trace, "
             "or compressed (xz -dc it first)", name, got, (unsigned long long)n);
    return -1;
  }
  return 0;
}

int import_stream(struct recorder *rec, uint64_t *icount, const char *fmt, FILE *in, const char *name,
                  struct import_counts *counts, char *err, size_t errlen) {
  struct importer_state im = {.rec = rec, .icount = icount};
  int rc;
  if (!strcmp(fmt, "lackey")) rc = import_lackey(&im, in, name, err, errlen);
  else if (!strcmp(fmt, "champsim")) rc = import_champsim(&im, in, name, err, errlen);
  else {
    snprintf(err, errlen, "unknown format '%s' (lackey or champsim)", fmt);
    rc = -1;
  }
  if (counts) *counts = (struct import_counts){im.insns, im.refs, im.used};
  free(im.addr);
  free(im.id);
  return rc;
}
