/* `faultline import FORMAT FILE -o OUT.fltr`: other tools' memory traces as
 * .fltr traces (traces/FORMAT.md "Imported traces") that `faultline
 * replay` runs on the machine and a guest kernel that maps pages on first
 * touch.  Formats: valgrind lackey (--tool=lackey --trace-mem=yes) and
 * ChampSim's binary instruction traces. */
#include "tools/cli.h"
#include "traces/recorder.h"
#include "cpu-x86/cpu.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *import_usage =
  "usage: faultline import lackey|champsim FILE|- -o OUT.fltr\n"
  "\n"
  "Converts another tool's memory trace into a .fltr trace for `faultline\n"
  "replay`, so programs faultline cannot run can still be studied:\n"
  "\n"
  "  lackey    valgrind --tool=lackey --trace-mem=yes output: `I  addr,size`\n"
  "            an instruction, ` L`/` S` a load/store, ` M` a modify (a\n"
  "            read-modify-write); other lines (valgrind's ==PID== ones) skipped\n"
  "  champsim  ChampSim's binary traces (64-byte input_instr records: ip,\n"
  "            branch flags, registers, 2 destination and 4 source memory\n"
  "            addresses); uncompress them first (xz -dc t.xz | ... -)\n"
  "\n"
  "Each instruction becomes a one-instruction block (a simple-class\n"
  "instruction: the input has no classes) and each access a reference of\n"
  "its size (ChampSim gives none: 8 bytes).  The input has no guest-kernel\n"
  "decisions: at replay the guest kernel maps every page on first touch\n"
  "(one anonymous read-write-execute mapping over the user address space).\n"
  "Caveats (traces/FORMAT.md, Imported traces): valgrind's address layout\n"
  "is not a native run's; no system calls, no kernel work, no fork or exec;\n"
  "one instruction fetch per instruction where a live run fetches once per\n"
  "block.\n";

/* a failed import leaves no partial trace behind */
static const char *out_path;
static bool out_done;
static void remove_partial(void) {
  if (out_path && !out_done) remove(out_path);
}

struct importer {
  struct recorder *rec;
  uint64_t icount;                   /* instructions so far: the records' stamps */
  /* block ids by instruction address (open addressing) */
  uint64_t *addr;
  uint32_t *id;
  size_t cap, used;
  uint32_t next_id;
  uint64_t insns, refs;
};

static uint32_t block_for(struct importer *im, uint64_t ip, unsigned len) {
  if (im->used * 2 >= im->cap) {
    size_t ncap = im->cap ? im->cap * 2 : 1u << 16;
    uint64_t *na = calloc(ncap, sizeof *na);
    uint32_t *ni = calloc(ncap, sizeof *ni);
    if (!na || !ni) die("%s", "out of host memory");
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

static void insn(struct importer *im, uint64_t ip, unsigned len) {
  recorder_bb(im->rec, block_for(im, ip, len));
  im->icount++;
  im->insns++;
}
static void ref(struct importer *im, uint64_t va, unsigned size, unsigned kind) {
  if (!size) size = 1;
  if (size > 4096) size = 4096;
  recorder_ref(im->rec, (const void *)(uintptr_t)im->icount, 0, va, size, kind);
  im->refs++;
}

static void import_lackey(struct importer *im, FILE *in, const char *name) {
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
      char m[300];
      snprintf(m, sizeof m, "%s: line %llu is not a lackey line (`I  addr,size`, ` L addr,size`, ...)", name,
               (unsigned long long)lineno);
      die("%s", m);
    }
    switch (kind) {
    case 'I': insn(im, a, sz); have_insn = true; break;
    case 'L': case 'S': case 'M':
      if (!have_insn) insn(im, 0, 1);   /* accesses before the first instruction: one of their own */
      ref(im, a, sz, kind == 'L' ? 0 : kind == 'S' ? 1 : 2);
      break;
    default: {
      char m[300];
      snprintf(m, sizeof m, "%s: line %llu: unknown access kind '%c'", name, (unsigned long long)lineno, kind);
      die("%s", m);
    }
    }
  }
  free(line);
}

/* ChampSim's trace_instr_format.h input_instr: 64 bytes, little-endian */
static void import_champsim(struct importer *im, FILE *in, const char *name) {
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
    char m[300];
    snprintf(m, sizeof m, "%s: ends inside a record (%zu of 64 bytes after %llu records): not a ChampSim trace, "
             "or compressed (xz -dc it first)", name, got, (unsigned long long)n);
    die("%s", m);
  }
}

int cmd_import(int argc, char **argv, char **command) {
  if (argc < 2) die("%s", "import needs FORMAT FILE -o OUT.fltr (see `faultline import --help`)");
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(import_usage, stdout);
    return 0;
  }
  const char *fmt = argv[1], *in_path = NULL, *out = NULL;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!in_path) in_path = argv[i];
    else die("unexpected argument '%s' (see `faultline import --help`)", argv[i]);
  }
  if (strcmp(fmt, "lackey") && strcmp(fmt, "champsim")) die("unknown format '%s' (lackey or champsim)", fmt);
  if (!in_path || !out) die("%s", "import needs FILE and -o OUT.fltr (see `faultline import --help`)");
  FILE *in = strcmp(in_path, "-") ? fopen(in_path, "rb") : stdin;
  if (!in) {
    char m[400];
    snprintf(m, sizeof m, "cannot read %s: %s", in_path, strerror(errno));
    die("%s", m);
  }
  int argc2 = 0;
  while (command[argc2]) argc2++;
  extern const char faultline_version[];
  struct fltr_meta meta = {.mode = "native", .preset = "default", .cpuid_id = CPU_CPUID_PERSONALITY,
                           .cpuid_name = CPU_CPUID_PERSONALITY_NAME, .version = faultline_version,
                           .flags = FLTR_FLAG_IMPORTED, .argc = argc2, .argv = (const char *const *)command};
  struct importer im = {0};
  char err[400];
  im.rec = recorder_open(out, &meta, &im.icount, err, sizeof err);
  if (!im.rec) die("%s", err);
  out_path = out;
  atexit(remove_partial);
  if (!strcmp(fmt, "lackey")) import_lackey(&im, in, in_path);
  else import_champsim(&im, in, in_path);
  if (in != stdin) fclose(in);
  if (recorder_close(im.rec, err, sizeof err)) die("%s", err);
  out_done = true;
  fprintf(stderr, "faultline: imported %" PRIu64 " instructions, %" PRIu64 " references (%zu distinct instruction "
          "addresses) into %s\n", im.insns, im.refs, im.used, out);
  free(im.addr);
  free(im.id);
  return 0;
}
