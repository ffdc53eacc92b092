/* `faultline import FORMAT FILE -o OUT.fltr`: other tools' memory traces as
 * .fltr traces (traces/FORMAT.md "Imported traces") that `faultline
 * replay` runs on the machine and a guest kernel that maps pages on first
 * touch.  Formats: valgrind lackey (--tool=lackey --trace-mem=yes) and
 * ChampSim's binary instruction traces. */
#include "tools/cli.h"
#include "tools/import.h"
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
  uint64_t icount = 0;
  char err[400];
  struct recorder *rec = recorder_open(out, &meta, &icount, err, sizeof err);
  if (!rec) die("%s", err);
  out_path = out;
  atexit(remove_partial);
  struct import_counts n;
  if (import_stream(rec, &icount, fmt, in, in_path, &n, err, sizeof err)) die("%s", err);   /* (no partial trace: atexit) */
  if (in != stdin) fclose(in);
  if (recorder_close(rec, err, sizeof err)) die("%s", err);
  out_done = true;
  fprintf(stderr, "faultline: imported %" PRIu64 " instructions, %" PRIu64 " references (%zu distinct instruction "
          "addresses) into %s\n", n.insns, n.refs, n.distinct_ips, out);
  return 0;
}
