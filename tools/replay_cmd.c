/* `faultline replay TRACE`: the recording's settings (from the command line
 * its header records) with the hardware and mode changes asked for; the
 * guest's own settings may not change (traces/FORMAT.md "What may change
 * at replay"). */
#include "tools/cli.h"
#include "hv-models/hv.h"
#include "traces/fltr.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *replay_usage =
  "usage: faultline replay TRACE [--mode M] [--cpu intel|amd] [--preset P] [--set k=v]...\n"
  "                       [--stats FILE|-] [--log FILE|-] [--log-format text|jsonl]\n"
  "                       [--log-filter E] [--from N --to M [--warmup keyframe|start]] [--quiet]\n"
  "\n"
  "Replays a trace `faultline run --trace` recorded: the page tables are rebuilt\n"
  "from the guest kernel's recorded decisions and the TLBs, page walks, caches\n"
  "and the fault path of the mode are simulated again, giving the stats JSON and\n"
  "the event log a live run gives.  Without options the recording's own settings\n"
  "are used (its mode, CPU, preset and --set values): the stats are the\n"
  "recording's.  --mode, --cpu, --preset and --set change the machine; the\n"
  "stats are then a live run's with those settings.\n"
  "\n"
  "The guest's own settings cannot change at replay, since the trace holds the\n"
  "decisions they made: the parameters `faultline params` marks \"fixed\" (the\n"
  "guest kernel's policies, fault injection, vkernel.prefault) and --mem.\n"
  "\n"
  "  --mode M         the fault-handling mode (default: the recording's)\n"
  "  --cpu intel|amd  the vendor (default: the recording's)\n"
  "  --preset P       a preset applied over the recording's settings\n"
  "  --set k=v        one parameter over them (repeatable)\n"
  "  --stats FILE|-   write the statistics as JSON (as `run --stats`)\n"
  "  --log FILE|-     write every fault and its steps (as `run --log`)\n"
  "  --log-format F   text or jsonl\n"
  "  --log-filter E   as `run --log-filter`\n"
  "  --from N, --to M count only the window of retired instructions [N, M) (at\n"
  "                   block boundaries): the stats are the window's (the guest\n"
  "                   kernel's own counters stay the whole recording's) and\n"
  "                   the log's cycle stamps start at the window\n"
  "  --warmup W       keyframe (default): start at the last keyframe at or\n"
  "                   before N and warm the machine up to N (TLBs, caches and\n"
  "                   the mode's own tables start cold at the keyframe);\n"
  "                   start: replay from the trace's start (exact, slower)\n"
  "  --quiet          no progress line\n"
  "  -h, --help       this text\n"
  "\n"
  "A bad trace is one faultline: line naming the byte offset, exit 125.\n";

int cmd_replay(int argc, char **argv) {
  enum { O_MODE = 256, O_CPU, O_PRESET, O_SET, O_STATS, O_LOG, O_LOGFMT, O_LOGFILTER, O_QUIET, O_FROM, O_TO,
         O_WARMUP };
  static const struct option opts[] = {
    {"mode", 1, 0, O_MODE}, {"cpu", 1, 0, O_CPU}, {"preset", 1, 0, O_PRESET}, {"set", 1, 0, O_SET},
    {"stats", 1, 0, O_STATS}, {"log", 1, 0, O_LOG}, {"log-format", 1, 0, O_LOGFMT},
    {"log-filter", 1, 0, O_LOGFILTER}, {"quiet", 0, 0, O_QUIET}, {"from", 1, 0, O_FROM}, {"to", 1, 0, O_TO},
    {"warmup", 1, 0, O_WARMUP}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  struct replay_window win = {.seek = true, .to = UINT64_MAX};
  bool have_from = false, have_to = false;
  const char *mode = NULL, *cpu = NULL, *preset = NULL, *stats = NULL, *log = NULL, *filter = NULL;
  int jsonl = -1;
  bool quiet = false;
  char **sets = calloc((size_t)argc + 1, sizeof *sets);
  int nsets = 0, ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case O_MODE: mode = optarg; break;
    case O_CPU:
      if (strcmp(optarg, "intel") && strcmp(optarg, "amd")) die("--cpu takes intel or amd, not '%s'", optarg);
      cpu = optarg;
      break;
    case O_PRESET: preset = optarg; break;
    case O_SET: sets[nsets++] = optarg; break;
    case O_STATS: stats = optarg; break;
    case O_LOG: log = optarg; break;
    case O_LOGFMT:
      if (strcmp(optarg, "text") && strcmp(optarg, "jsonl")) die("--log-format takes text or jsonl, not '%s'", optarg);
      jsonl = !strcmp(optarg, "jsonl");
      break;
    case O_LOGFILTER: {
      struct ev_filter f;
      char ferr[256];
      if (ev_filter_parse(&f, optarg, ferr, sizeof ferr)) die("%s", ferr);
      filter = optarg;
      break;
    }
    case O_QUIET: quiet = true; break;
    case O_FROM: win.from = parse_count(optarg, "bad --from '%s' (a count of retired instructions, e.g. 1M)"); have_from = true; break;
    case O_TO: win.to = parse_count(optarg, "bad --to '%s' (a count of retired instructions, e.g. 2M)"); have_to = true; break;
    case O_WARMUP:
      if (strcmp(optarg, "keyframe") && strcmp(optarg, "start")) die("--warmup takes keyframe or start, not '%s'", optarg);
      win.seek = !strcmp(optarg, "keyframe");
      break;
    case 'h': fputs(replay_usage, stdout); exit(0);
    default: die("unknown or incomplete option '%s' (see `faultline replay --help`)", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) die("%s", "replay takes one TRACE (see `faultline replay --help`)");
  win.on = have_from || have_to;
  if (have_to && win.to <= win.from) die("%s", "--to must be past --from");
  const char *path = argv[optind];

  /* the recording's settings: its command line, as `run` parsed it */
  char err[512];
  struct fltr_reader *rd = fltr_open(path, err, sizeof err);
  if (!rd) die("%s", err);
  const struct fltr_header *h = fltr_header(rd);
  int at = 0;
  bool imported = h->flags & FLTR_FLAG_IMPORTED;
  if (imported) at = h->argc;        /* an importer's: the default settings */
  else {
    while (at < h->argc && strcmp(h->argv[at], "run")) at++;
    if (at == h->argc) die("%s: its command line is not a `faultline run`", path);
  }
  int rargc = h->argc - at;
  if (rargc < 1) rargc = 1;
  char **rargv = calloc((size_t)rargc + 1, sizeof *rargv);
  if (imported) rargv[0] = strdup("run");
  else for (int i = 0; i < rargc; i++) rargv[i] = strdup(h->argv[at + i]);
  fltr_reader_close(rd);
  struct run_args rec;
  run_parse(rargc, rargv, &rec);
  struct param_reg *recorded = params_new(), *P = params_new();
  run_params(&rec, recorded);
  run_params(&rec, P);
  if (preset && params_load_preset(P, preset, err, sizeof err)) die("%s", err);
  for (int i = 0; i < nsets; i++)
    if (params_set(P, sets[i], err, sizeof err)) die("%s", err);
  /* what the recording decided stays */
  for (int t = 0; !imported && params_tables[t]; t++)   /* (an imported trace holds no decisions) */
    for (int i = 0; params_tables[t][i].name; i++) {
      const char *name = params_tables[t][i].name;
      if (!param_fixed_at_replay(name)) continue;
      uint64_t a = params_get(recorded, name), b = params_get(P, name);
      if (a == b) continue;
      char msg[400];
      snprintf(msg, sizeof msg, "replay cannot change %s (recorded %llu, asked %llu): the trace holds the guest "
               "decisions it made (traces/FORMAT.md, What may change at replay)", name, (unsigned long long)a,
               (unsigned long long)b);
      die("%s", msg);
    }
  struct sim_config cfg = rec.cfg;
  cfg.params = P;
  if (mode) cfg.mode = mode;
  /* the vendor: --cpu, else the replay's preset's, else the recording's */
  cfg.cpu_vendor = cpu ? cpu : preset && params_preset_vendor(P) ? params_preset_vendor(P) : run_vendor(&rec, recorded);
  cfg.command = fl_command_line;   /* the stats' config: this replay's command */
  {                                  /* ... and every --set: the recording's, then the replay's */
    int nrec = 0;
    while (rec.cfg.sets && rec.cfg.sets[nrec]) nrec++;
    char **all = calloc((size_t)(nrec + nsets + 1), sizeof *all);
    for (int i = 0; i < nrec; i++) all[i] = rec.cfg.sets[i];
    for (int i = 0; i < nsets; i++) all[nrec + i] = sets[i];
    cfg.sets = all;
  }
  if (preset) cfg.preset_path = preset;
  if (!hv_find_mode(cfg.mode)) die("unknown mode '%s' (see `faultline modes`)", cfg.mode);
  cfg.stats_path = stats;
  cfg.log_path = log;
  cfg.log_filter = filter ? filter : NULL;
  cfg.log_jsonl = jsonl == 1;
  cfg.trace_path = NULL;
  cfg.quiet = quiet;
  cfg.argv = rec.optind < rargc ? rargv + rec.optind : rargv;   /* the guest's (the log's header) */
  struct sim_result res;
  fflush(stdout);
  if (sim_replay(&cfg, path, &win, &res)) die("%s", res.error);
  fflush(stdout);
  return 0;
}
