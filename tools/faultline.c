/* The faultline command line (DESIGN.md "CLI contract"). */
#include "sim/sim.h"
#include "hv-models/hv.h"
#include "tools/cli.h"
#ifdef FAULTLINE_HAVE_SDL
#include "tools/view.h"
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;
extern const char faultline_version[];   /* sim/record.c */
#ifdef FAULTLINE_SANITIZE
/* The sanitizer build's own defaults, so that they hold whatever the
 * environment (a test that runs faultline with a clean one, for the
 * guest's sake): no leak report at exit (faultline exits with what it
 * holds), stop at the first UBSan finding. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }
#endif

char **fl_command_line;                  /* main's argv: a trace's header and the stats record it */
#define command_line fl_command_line

_Noreturn void die(const char *fmt, const char *a) {
  fprintf(stderr, "faultline: ");
  fprintf(stderr, fmt, a);
  fputc('\n', stderr);
  exit(125);
}

static const char *top_usage =
  "usage: faultline COMMAND [OPTIONS] ...\n"
  "\n"
  "Cycle-level simulator of the hardware and software that handle page faults.\n"
  "\n"
  "commands:\n"
  "  run       run an x86-64 Linux program under a fault-handling mode\n"
  "  compare   run a program under several modes/presets, print a table\n"
  "  params    list every parameter with its default, unit, doc and source\n"
  "  presets   list the built-in presets\n"
  "  modes     list the fault-handling modes\n"
  "  events    list the event vocabulary: layers, fault kinds, steps\n"
  "  trace     inspect a .fltr trace file (trace info)\n"
  "  replay    replay a .fltr trace under any mode and hardware parameters\n"
  "  import    convert a valgrind lackey or ChampSim trace into a .fltr trace\n"
  "  sweep     a what-if study: the cross product of --vary lists over a trace\n"
  "            (replayed) or a program, as a table, CSV or JSON\n"
  "  show      one fault as a ladder diagram: its steps across the layers, with\n"
  "            their cycles (from a trace, a jsonl event log, or a program)\n"
  "  explain   one fault of a built-in program told step by step, with sources\n"
  "  quiz      a reproducible exercise (page walks, TLBs, 2-D walks, exits), -c its answer\n"
  "  export    the event tree as Perfetto/Chrome trace-event JSON (ui.perfetto.dev)\n"
  "  kernel    the modelled kernel's .config, or its /proc/sys and CONFIG_ tables\n"
  "  calibrate measure this machine's components, write a preset\n"
  "  reproduce the papers' published tables re-run in shape: model against paper\n"
  "\n"
  "`faultline COMMAND --help` describes each command; `faultline --version`\n"
  "prints the version.\n";

static const char *run_usage =
  "usage: faultline run [OPTIONS] [--] PROGRAM [ARGS...]\n"
  "\n"
  "Runs PROGRAM (an x86-64 Linux ELF: static, static-PIE, or dynamic with its\n"
  "interpreter from the host or --root) on the simulated machine.\n"
  "The exit status is the guest's.  A guest killed by a signal kills faultline\n"
  "with the same signal (after one line naming it, its address and where the\n"
  "guest was, for a core-dumping one); a run stopped by --max-insns or\n"
  "--max-time exits 124; simulator errors exit 125.  SIGINT, SIGTERM and SIGHUP\n"
  "sent to faultline are the guest's (a terminal's Ctrl-C reaches the guest's\n"
  "process group); a second SIGINT stops the run at once.  Either way the\n"
  "stats, log and trace are written whole, with \"interrupted\" in the stats.\n"
  "\n"
  "  --mode M         fault-handling mode (default native; see `faultline modes`)\n"
  "  --cpu intel|amd  vendor of the modeled MMU/virtualization (default: the\n"
  "                   preset's, e.g. zen2 is amd; else intel)\n"
  "  --preset P       built-in preset name or preset file (`key = value  # source`)\n"
  "  --set k=v        override one parameter (repeatable; see `faultline params`)\n"
  "  --stats FILE|-   write run statistics as JSON (docs/stats.md; opened before\n"
  "                   the guest starts).  `-` shares stdout with the guest\n"
  "  --stats-fd N     write them to descriptor N instead (valgrind's habit:\n"
  "                   `3>stats.json`, or a pipe apart from the guest's output)\n"
  "  --log-samples N  jsonl log: a line of TLB, walk and fault counters every N\n"
  "                   retired instructions and at the end (for export's counters)\n"
  "  --view           the SDL2 live view: TLB occupancy, a timeline of faults,\n"
  "                   the last fault's ladder, counters (space pause, n next\n"
  "                   fault, s step, q quit); needs a display\n"
  "  --view-record DIR write the view's frames as PNG files into DIR (with or\n"
  "                   without a display; the run's last state always)\n"
  "  --view-every N   a frame every N retired instructions (default 200000)\n"
  "  --view-record-every K  record every K-th frame (default 1)\n"
  "  --trace FILE     record the run as a .fltr trace (traces/FORMAT.md): what the\n"
  "                   guest and its kernel did, for `faultline trace info` and replay\n"
  "  --top-faults N   after the run, the N mappings ([heap], [stack], a file,\n"
  "                   [anon]) whose faults cost most (on stderr; all of them in\n"
  "                   the stats' attribution)\n"
  "  --symbols        with --top-faults: by the program's function too (ELF symbols)\n"
  "  --warmup-insns N a region of interest from the N-th retired instruction on:\n"
  "                   the stats JSON's \"region\" has its counts, apart from the\n"
  "                   whole run's\n"
  "  --roi-symbol F   a region while the program's function F runs (its\n"
  "                   outermost calls; ELF symbols).  Programs mark regions\n"
  "                   themselves with tools/faultline_roi.h (a NOP natively)\n"
  "  --log FILE|-     write every fault and its steps with cycle costs\n"
  "  --log-format F   text (default: one block per fault, indented steps) or\n"
  "                   jsonl (one JSON object per step; docs/events.md)\n"
  "  --log-filter E   keep part of the log: fault=A-B, pid=N, kind=cow|file,\n"
  "                   va=LO-HI (whole trees), layer=hypervisor|guest-kernel\n"
  "                   (steps), comma-separated (all must hold)\n"
  "  --root DIR       make DIR the guest's / (chroot-like confinement)\n"
  "  --mem SIZE       guest RAM, e.g. 512M, 2G (default 1G)\n"
  "  --cpus N         virtual CPUs (default 1, at most 64), in lockstep quanta of\n"
  "                   smp.quantum retired instructions; threads run on them at once\n"
  "                   and each mode's TLB shootdowns keep their TLBs coherent\n"
  "                   (docs/threads.md)\n"
  "  --max-insns N    stop the run after N retired instructions (1000000, 1M,\n"
  "                   1e6): stats with \"limit\": \"max-insns\", exit 124\n"
  "  --max-time S     stop the run after S seconds of host time (0.5 allowed):\n"
  "                   \"limit\": \"max-time\", exit 124.  Where it stops depends\n"
  "                   on the host's speed: use --max-insns for repeatable runs\n"
  "  --max-procs N    guest tasks at once (default 4096; kernel.threads-max and\n"
  "                   RLIMIT_NPROC): a fork bomb's fork fails with EAGAIN there\n"
  "  --read-only      refuse every write to the file system\n"
  "  --aslr SEED      randomness seed for getrandom/AT_RANDOM (layout stays fixed)\n"
  "  --epoch S        guest wall-clock start, seconds since 1970 (default 1700000000,\n"
  "                   2023-11-14): the guest's clock runs on its own retired\n"
  "                   instructions, never the host's, so runs repeat (docs/design.md)\n"
  "  -E k=v           set a guest environment variable\n"
  "  -U k             unset a guest environment variable\n"
  "  --clean-env      start the guest with an empty environment\n"
  "  -h, --help       this text\n";

uint64_t parse_size(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) die("bad size '%s' (use e.g. 512M or 2G)", s);
  switch (*end) {
  case 'k': case 'K': v <<= 10; end++; break;
  case 'm': case 'M': v <<= 20; end++; break;
  case 'g': case 'G': v <<= 30; end++; break;
  case 't': case 'T': v <<= 40; end++; break;
  default: break;
  }
  if (*end == 'B' || *end == 'b') end++;
  if (*end) die("bad size '%s' (use e.g. 512M or 2G)", s);
  return v;
}

uint64_t parse_u64(const char *s, const char *what) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end || *s == '-') die(what, s);
  return v;
}

/* A count (instructions, samples): decimal, with a decimal suffix (k 10^3,
 * M 10^6, G 10^9, T 10^12) or an exponent (1e6, 2.5e6) — gem5's and
 * perf's habit; the result must be a whole number.  Sizes (--mem) stay
 * binary (parse_size). */
uint64_t parse_count(const char *s, const char *what) {
  char *end;
  errno = 0;
  if (!*s || *s == '-' || *s == '+' || *s == ' ') die(what, s);
  unsigned long long v = strtoull(s, &end, 10);
  if (!errno && end != s && !*end) return v;          /* plain digits: exact up to 2^64-1 */
  errno = 0;
  double d = strtod(s, &end);                         /* 1e6, 2.5M */
  if (errno || end == s || strpbrk(s, "xXpP")) die(what, s);   /* no hex floats */
  static const struct { char c; double m; } sfx[] = {{'k', 1e3}, {'K', 1e3}, {'M', 1e6}, {'G', 1e9}, {'T', 1e12}};
  for (size_t i = 0; *end && i < sizeof sfx / sizeof *sfx; i++)
    if (*end == sfx[i].c) { d *= sfx[i].m; end++; break; }
  if (*end || !(d >= 0) || d > 9.2e18 || d != (double)(unsigned long long)d) die(what, s);
  return (unsigned long long)d;
}

/* host seconds, fractions allowed (--max-time 0.5) */
double parse_seconds(const char *s, const char *what) {
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (errno || end == s || *end || !(d > 0) || d > 1e9) die(what, s);
  return d;
}

struct envlist { char **v; int n, cap; };
static void env_set(struct envlist *e, const char *kv) {
  const char *eq = strchr(kv, '=');
  size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
  for (int i = 0; i < e->n; i++)
    if (!strncmp(e->v[i], kv, kl) && e->v[i][kl] == '=') {
      if (eq) e->v[i] = strdup(kv);
      else { e->v[i] = e->v[--e->n]; }
      return;
    }
  if (!eq) return;
  if (e->n + 1 >= e->cap) { e->cap = e->cap ? e->cap * 2 : 64; e->v = realloc(e->v, sizeof *e->v * e->cap); }
  e->v[e->n++] = strdup(kv);
}

/* A program named without a slash is searched in PATH, as a shell would. */
static char *find_program(const char *name, char **envp) {
  if (strchr(name, '/')) return strdup(name);
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  for (char **e = envp; e && *e; e++)
    if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
  char *dup = strdup(path);
  for (char *dir = strtok(dup, ":"); dir; dir = strtok(NULL, ":")) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", *dir ? dir : ".", name);
    if (access(full, X_OK) == 0) { free(dup); return strdup(full); }
  }
  free(dup);
  return strdup(name);
}

/* The model holds a host descriptor for each shared anonymous mapping
 * and each SysV segment, so a guest at vm.max_map_count (65530 mappings
 * per process) needs more than the usual soft limit: take as many as the
 * host allows this process (fs.nr_open when faultline may raise its hard
 * limit, as root can; else the hard limit).  The guest's own limits are
 * modelled apart (RLIMIT_NOFILE: 1024). */
static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) return;
  FILE *f = fopen("/proc/sys/fs/nr_open", "r");
  unsigned long long nr = 0;
  if (f) {
    if (fscanf(f, "%llu", &nr) != 1) nr = 0;
    fclose(f);
  }
  struct rlimit up = {(rlim_t)nr, (rlim_t)nr};
  if (nr > rl.rlim_max && !setrlimit(RLIMIT_NOFILE, &up)) return;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

/* `run`'s options into a (also a recorded command line's, for replay) */
void run_parse(int argc, char **argv, struct run_args *a) {
  a->cfg = (struct sim_config){.mode = "native", .cpu_vendor = "intel", .mem_bytes = 1ull << 30,
                               .epoch = 1700000000ull};
  struct sim_config *cfgp = &a->cfg;
#define cfg (*cfgp)
  a->preset = NULL;
  a->view = false;
  a->view_record = NULL;
  a->view_every = 200000;
  a->view_record_every = 1;
  a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
  a->nsets = 0;
  a->edits = calloc((size_t)argc + 1, sizeof *a->edits);
  a->nedits = 0;
  a->clean = false;
  a->cpu_given = false;
  char **sets = a->sets, **edits = a->edits;
  int nsets = 0, nedits = 0;
  const char *preset = NULL;
  bool clean = false;
  enum { O_MODE = 256, O_CPU, O_PRESET, O_SET, O_STATS, O_LOG, O_ROOT, O_MEM, O_MAXI,
         O_RO, O_ASLR, O_EPOCH, O_CLEAN, O_MAXT, O_LOGFMT, O_LOGFILTER, O_TRACE, O_TOPF, O_SYMS, O_WARM, O_ROISYM,
         O_VIEW, O_VIEWREC, O_VIEWEVERY, O_VIEWRECEVERY, O_SAMPLES, O_CPUS, O_STATSFD, O_MAXPROCS };
  static const struct option opts[] = {
    {"mode", 1, 0, O_MODE}, {"cpu", 1, 0, O_CPU}, {"preset", 1, 0, O_PRESET},
    {"set", 1, 0, O_SET}, {"stats", 1, 0, O_STATS}, {"log", 1, 0, O_LOG},
    {"root", 1, 0, O_ROOT}, {"mem", 1, 0, O_MEM}, {"max-insns", 1, 0, O_MAXI},
    {"read-only", 0, 0, O_RO}, {"aslr", 1, 0, O_ASLR}, {"epoch", 1, 0, O_EPOCH},
    {"clean-env", 0, 0, O_CLEAN}, {"max-time", 1, 0, O_MAXT}, {"log-format", 1, 0, O_LOGFMT},
    {"log-filter", 1, 0, O_LOGFILTER}, {"trace", 1, 0, O_TRACE}, {"top-faults", 1, 0, O_TOPF},
    {"symbols", 0, 0, O_SYMS}, {"warmup-insns", 1, 0, O_WARM}, {"roi-symbol", 1, 0, O_ROISYM},
    {"view", 0, 0, O_VIEW}, {"view-record", 1, 0, O_VIEWREC}, {"view-every", 1, 0, O_VIEWEVERY},
    {"view-record-every", 1, 0, O_VIEWRECEVERY}, {"log-samples", 1, 0, O_SAMPLES}, {"cpus", 1, 0, O_CPUS},
    {"stats-fd", 1, 0, O_STATSFD}, {"max-procs", 1, 0, O_MAXPROCS}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+hE:U:", opts, NULL)) != -1) {
    switch (ch) {
    case O_MODE: cfg.mode = optarg; break;
    case O_CPU:
      if (strcmp(optarg, "intel") && strcmp(optarg, "amd")) die("--cpu takes intel or amd, not '%s'", optarg);
      cfg.cpu_vendor = optarg;
      a->cpu_given = true;
      break;
    case O_PRESET: preset = optarg; break;
    case O_SET: sets[nsets++] = optarg; break;
    case O_STATS: cfg.stats_path = optarg; break;
    case O_STATSFD:
      cfg.stats_fd = (int)parse_u64(optarg, "bad --stats-fd '%s' (an open descriptor number, 3 or more)");
      if (cfg.stats_fd < 3 || cfg.stats_fd > 1 << 20) die("--stats-fd takes a descriptor of 3 or more, not %s (0-2 are the guest's)", optarg);
      break;
    case O_LOG: cfg.log_path = optarg; break;
    case O_TRACE: cfg.trace_path = optarg; break;
    case O_TOPF: cfg.top_faults = (int)parse_u64(optarg, "bad --top-faults '%s' (a number of rows)"); break;
    case O_SYMS: cfg.symbols = true; break;
    case O_WARM: cfg.warmup_insns = parse_count(optarg, "bad --warmup-insns '%s' (a count of instructions, e.g. 1000000, 1M or 1e6)"); break;
    case O_ROISYM: cfg.roi_symbol = optarg; break;
    case O_VIEW: a->view = true; break;
    case O_SAMPLES:
      cfg.log_samples = parse_count(optarg, "bad --log-samples '%s' (retired instructions, e.g. 100000 or 1e5)");
      if (!cfg.log_samples) die("%s", "--log-samples must be at least 1");
      break;
    case O_VIEWREC: a->view_record = optarg; break;
    case O_VIEWEVERY:
      a->view_every = parse_count(optarg, "bad --view-every '%s' (retired instructions, e.g. 200000 or 200k)");
      if (!a->view_every) die("%s", "--view-every must be at least 1");
      break;
    case O_VIEWRECEVERY:
      a->view_record_every = (unsigned)parse_u64(optarg, "bad --view-record-every '%s' (frames)");
      if (!a->view_record_every) die("%s", "--view-record-every must be at least 1");
      break;
    case O_LOGFMT:
      if (strcmp(optarg, "text") && strcmp(optarg, "jsonl")) die("--log-format takes text or jsonl, not '%s'", optarg);
      cfg.log_jsonl = !strcmp(optarg, "jsonl");
      break;
    case O_LOGFILTER: {
      struct ev_filter f;
      char ferr[256];
      if (ev_filter_parse(&f, optarg, ferr, sizeof ferr)) die("%s", ferr);
      cfg.log_filter = optarg;
      break;
    }
    case O_ROOT: cfg.root = optarg; break;
    case O_MEM: cfg.mem_bytes = parse_size(optarg); break;
    case O_CPUS:
      cfg.cpus = (int)parse_u64(optarg, "bad --cpus '%s' (a number of virtual CPUs, 1 to 64)");
      if (cfg.cpus < 1 || cfg.cpus > 64) die("--cpus must be 1 to 64, not %s", optarg);
      break;
    case O_MAXI:
      cfg.max_insns = parse_count(optarg, "bad --max-insns '%s' (a count of instructions, e.g. 1000000, 1M or 1e6)");
      if (!cfg.max_insns) die("%s", "--max-insns must be at least 1");
      break;
    case O_RO: cfg.read_only = true; break;
    case O_MAXPROCS:
      cfg.max_procs = (int)parse_count(optarg, "bad --max-procs '%s' (a number of guest tasks, 20 or more)");
      if (cfg.max_procs < 20 || cfg.max_procs > 1 << 22) die("--max-procs must be 20 to 4194304, not %s", optarg);
      break;
    case O_MAXT: cfg.max_time_s = parse_seconds(optarg, "bad --max-time '%s' (host seconds, e.g. 60 or 0.5)"); break;
    case O_ASLR: cfg.aslr_seed = parse_u64(optarg, "bad --aslr seed '%s'"); break;
    case O_EPOCH: cfg.epoch = parse_u64(optarg, "bad --epoch '%s' (seconds since 1970)"); break;
    case O_CLEAN: clean = true; break;
    case 'E': case 'U': edits[nedits++] = ch == 'U' ? optarg : optarg;
      if (ch == 'E' && !strchr(optarg, '=')) die("-E expects k=v, got '%s'", optarg);
      if (ch == 'U') { char *u = malloc(strlen(optarg) + 2); strcpy(u, optarg); edits[nedits - 1] = u; }
      break;
    case 'h': fputs(run_usage, stdout); exit(0);
    default:
      die("unknown or incomplete option '%s' (see `faultline run --help`)", argv[optind - 1]);
    }
  }
#undef cfg
  if (cfgp->stats_fd && cfgp->stats_path) die("%s", "--stats and --stats-fd: give one");
  sets[nsets] = NULL;
  cfgp->sets = sets;
  cfgp->preset_path = preset;
  a->nsets = nsets;
  a->nedits = nedits;
  a->preset = preset;
  a->clean = clean;
  a->optind = optind;
}

const char *run_vendor(const struct run_args *a, const struct param_reg *p) {
  if (a->cpu_given || !params_preset_vendor(p)) return a->cfg.cpu_vendor;
  return params_preset_vendor(p);
}

/* the run's preset, then its --set values, into p */
void run_params(const struct run_args *a, struct param_reg *p) {
  char err[512];
  if (a->preset && params_load_preset(p, a->preset, err, sizeof err)) die("%s", err);
  for (int i = 0; i < a->nsets; i++)
    if (params_set(p, a->sets[i], err, sizeof err)) die("%s", err);
}

/* A core-dumping signal killed the guest: say so, as qemu-user and
 * valgrind do, before faultline dies by it (the shell then says no more
 * than "Segmentation fault").  Quiet deaths (SIGPIPE, SIGTERM, SIGINT,
 * SIGKILL...) print nothing, as a shell would not. */
static void report_death(const struct sim_result *r) {
  if (!signal_dumps_core(r->signal) || !r->death_pid) return;
  const char *ab = sigabbrev_np(r->signal);
  char addr[40] = "";
  if (r->death_has_addr) snprintf(addr, sizeof addr, "addr %#llx, ", (unsigned long long)r->death_addr);
  fprintf(stderr, "faultline: guest pid %d killed by SIG%s (%srip %#llx, %s)\n", r->death_pid, ab ? ab : "?", addr,
          (unsigned long long)r->death_rip, r->death_where);
}

static int cmd_run(int argc, char **argv) {
  struct run_args ra;
  run_parse(argc, argv, &ra);
  struct sim_config cfg = ra.cfg;
  char **edits = ra.edits;
  int nedits = ra.nedits;
  struct envlist env = {0};
  bool clean = ra.clean;
  optind = ra.optind;
  if (optind >= argc) die("%s", "no PROGRAM given (usage: faultline run [OPTIONS] -- PROGRAM [ARGS...])");
  if (cfg.log_samples && !(cfg.log_path && cfg.log_jsonl)) die("%s", "--log-samples writes into a jsonl log: --log FILE --log-format jsonl");
  cfg.params = params_new();
  run_params(&ra, cfg.params);
  cfg.cpu_vendor = run_vendor(&ra, cfg.params);
  if (!hv_find_mode(cfg.mode)) die("unknown mode '%s' (see `faultline modes`)", cfg.mode);
  if (!clean) for (char **e = environ; *e; e++) env_set(&env, *e);
  for (int i = 0; i < nedits; i++) env_set(&env, edits[i]);
  if (env.n + 1 >= env.cap) { env.cap = env.n + 2; env.v = realloc(env.v, sizeof *env.v * env.cap); }
  env.v[env.n] = NULL;
  if (!env.v) { env.v = calloc(1, sizeof *env.v); }
  cfg.argv = argv + optind;
  cfg.envp = env.v;
  cfg.command = command_line;
  if (!cfg.root) cfg.argv[0] = find_program(cfg.argv[0], cfg.envp);
  raise_fd_limit();
  struct sim_result res;
  struct sim_observer obs;
#ifdef FAULTLINE_HAVE_SDL
  struct view *view = NULL;
  if (ra.view || ra.view_record) {
    bool display = getenv("DISPLAY") || getenv("WAYLAND_DISPLAY");
    if (ra.view && !display && !ra.view_record)
      die("%s", "--view needs a display (DISPLAY): --view-record DIR records the frames without one");
    char verr[512];
    view = view_open(cfg.mode, ra.view_record, ra.view_record_every, ra.view && display, verr, sizeof verr);
    if (!view) die("%s", verr);
    view_observer(view, &obs, ra.view_every);
    cfg.observer = &obs;
  }
#else
  (void)obs;
  if (ra.view || ra.view_record)
    die("%s", "this faultline was built without SDL2 (libsdl2-dev, libsdl2-ttf-dev): no --view");
#endif
  fflush(stdout);
  int srun = sim_run(&cfg, &res);
#ifdef FAULTLINE_HAVE_SDL
  if (view) {
    if (ra.view_record && !cfg.quiet) fprintf(stderr, "faultline: --view-record: %u frames in %s\n", view_frames(view), ra.view_record);
    view_close(view);
  }
#endif
  if (srun) die("%s", res.error);
  fflush(stdout);
  if (res.limit) {
    if (!strcmp(res.limit, "max-time"))
      fprintf(stderr, "faultline: time limit (--max-time %g s of host time) reached after %llu instructions%s\n",
              cfg.max_time_s, (unsigned long long)res.instructions, cfg.stats_path || cfg.stats_fd ? "; stats written" : "");
    else
      fprintf(stderr, "faultline: instruction limit (--max-insns %llu) reached%s\n", (unsigned long long)cfg.max_insns,
              cfg.stats_path || cfg.stats_fd ? "; stats written" : "");
    return 124;                      /* timeout(1)'s status */
  }
  if (res.signal) report_death(&res);
  fflush(stderr);
  if (res.signal) {
    /* die the way the guest died, without a core file */
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    signal(res.signal, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, res.signal);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(res.signal);
    _exit(128 + res.signal);
  }
  return res.exit_code;
}

static const char *compare_usage =
  "usage: faultline compare [--modes all|m1,m2] [--presets p1,p2] [--cpu intel|amd]\n"
  "                         [--set k=v]... [--mem SIZE] [--max-insns N] [--metric PATH]...\n"
  "                         [--csv F] [--json F]\n"
  "                         -- PROGRAM [ARGS...]\n"
  "\n"
  "Runs PROGRAM once per mode and preset (the guest's output is discarded) and\n"
  "prints a side-by-side table: faults (guest-visible / hidden), VM exits,\n"
  "page-walk references, fault-path cycles (guest handler, hidden faults and\n"
  "VM exits) per guest-visible fault, total cycles, and the ratio of\n"
  "total cycles to the first row.  It is `faultline sweep` over the modes\n"
  "and presets (one engine: the same numbers; --csv/--json are the sweep's;\n"
  "--metric adds a column of any stats path, e.g. fault_latency.all.p99).\n"
  "The cpu column is the vendor each row ran: --cpu, else the preset's (zen2\n"
  "is AMD: SVM and AMD's walk caches), else intel.  The guest behaves identically in every\n"
  "mode (its time comes from retired instructions), so rows differ only in\n"
  "what the hardware and software of each design cost.\n";


/* compare is a sweep over modes and presets (tools/sweep_cmd.c): one
 * engine, so the numbers agree with `sweep`'s and `run --stats`' */
static int cmd_compare(int argc, char **argv) {
  char *modes_arg = NULL, *presets_arg = NULL;
  const char *cpu = NULL, *mem = NULL, *maxi = NULL, *csv = NULL, *json = NULL;
  char **sets = calloc((size_t)argc + 1, sizeof *sets);
  int nsets = 0;
  enum { O_MODES = 256, O_PRESETS, O_CPU, O_SET, O_MEM, O_MAXI, O_CSV, O_JSON, O_METRIC };
  char **extra = calloc((size_t)argc + 1, sizeof *extra);
  int nextra = 0;
  static const struct option opts[] = {
    {"modes", 1, 0, O_MODES}, {"presets", 1, 0, O_PRESETS}, {"cpu", 1, 0, O_CPU},
    {"set", 1, 0, O_SET}, {"mem", 1, 0, O_MEM}, {"max-insns", 1, 0, O_MAXI},
    {"csv", 1, 0, O_CSV}, {"json", 1, 0, O_JSON}, {"metric", 1, 0, O_METRIC}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (ch) {
    case O_MODES: modes_arg = optarg; break;
    case O_PRESETS: presets_arg = optarg; break;
    case O_CPU:
      if (strcmp(optarg, "intel") && strcmp(optarg, "amd")) die("--cpu takes intel or amd, not '%s'", optarg);
      cpu = optarg;
      break;
    case O_SET: sets[nsets++] = optarg; break;
    case O_MEM: parse_size(optarg); mem = optarg; break;
    case O_MAXI: parse_count(optarg, "bad --max-insns '%s' (a count of instructions, e.g. 1M or 1e6)"); maxi = optarg; break;
    case O_CSV: csv = optarg; break;
    case O_JSON: json = optarg; break;
    case O_METRIC: extra[nextra++] = optarg; break;
    case 'h': fputs(compare_usage, stdout); exit(0);
    default: die("unknown or incomplete option '%s' (see `faultline compare --help`)", argv[optind - 1]);
    }
  }
  if (optind >= argc) die("%s", "no PROGRAM given (usage: faultline compare [OPTIONS] -- PROGRAM [ARGS...])");
  char modes[1024] = "mode=";
  if (!modes_arg || !strcmp(modes_arg, "all")) {
    for (int i = 0; hv_modes[i]; i++)
      snprintf(modes + strlen(modes), sizeof modes - strlen(modes), "%s%s", i ? "," : "", hv_modes[i]->name);
  } else {
    snprintf(modes + 5, sizeof modes - 5, "%s", modes_arg);
  }
  char presets[1024], cpus[64];
  snprintf(presets, sizeof presets, "preset=%s", presets_arg ? presets_arg : "default");
  snprintf(cpus, sizeof cpus, "cpu=%s", cpu ? cpu : "");
  static const char *metrics[] = {"instructions", "page_faults.guest", "page_faults.hidden", "vm_exits_total",
                                  "walks.refs", "fault_cycles.total", "cycles"};
  char **av = calloc((size_t)(argc + 2 * nsets + 2 * nextra + 40), sizeof *av);
  int n = 0;
  av[n++] = "sweep";
  av[n++] = "--compare-table";
  av[n++] = "-j";
  av[n++] = "1";                     /* one configuration at a time, as compare always ran */
  av[n++] = "--vary"; av[n++] = presets;
  av[n++] = "--vary"; av[n++] = modes;
  if (cpu) { av[n++] = "--vary"; av[n++] = cpus; }   /* else each preset's vendor (zen2: amd) */
  for (int i = 0; i < nsets; i++) { av[n++] = "--set"; av[n++] = sets[i]; }
  for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++) { av[n++] = "--metric"; av[n++] = (char *)metrics[i]; }
  for (int i = 0; i < nextra; i++) { av[n++] = "--metric"; av[n++] = extra[i]; }   /* more columns */
  if (mem) { av[n++] = "--mem"; av[n++] = (char *)mem; }
  if (maxi) { av[n++] = "--max-insns"; av[n++] = (char *)maxi; }
  if (csv) { av[n++] = "--csv"; av[n++] = (char *)csv; }
  if (json) { av[n++] = "--json"; av[n++] = (char *)json; }
  av[n++] = "--";
  for (int i = optind; i < argc; i++) av[n++] = i == optind ? find_program(argv[i], environ) : argv[i];
  av[n] = NULL;
  return cmd_sweep(n, av);
}

int cmd_calibrate(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_trace(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc < 2) { fputs(top_usage, stderr); return 125; }
  const char *cmd = argv[1];
  command_line = argv;
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    fputs(top_usage, stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version")) {
    printf("faultline %s\n", faultline_version);
    return 0;
  }
  if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "compare")) return cmd_compare(argc - 1, argv + 1);
  if (!strcmp(cmd, "calibrate")) return cmd_calibrate(argc - 1, argv + 1);
  if (!strcmp(cmd, "reproduce")) return cmd_reproduce(argc - 1, argv + 1);
  if (!strcmp(cmd, "events")) return cmd_events(argc - 1, argv + 1);
  if (!strcmp(cmd, "trace")) return cmd_trace(argc - 1, argv + 1);
  if (!strcmp(cmd, "replay")) return cmd_replay(argc - 1, argv + 1);
  if (!strcmp(cmd, "import")) return cmd_import(argc - 1, argv + 1, command_line);
  if (!strcmp(cmd, "sweep")) return cmd_sweep(argc - 1, argv + 1);
  if (!strcmp(cmd, "show")) return cmd_show(argc - 1, argv + 1);
  if (!strcmp(cmd, "export")) return cmd_export(argc - 1, argv + 1);
  if (!strcmp(cmd, "explain")) return cmd_explain(argc - 1, argv + 1);
  if (!strcmp(cmd, "quiz")) return cmd_quiz(argc - 1, argv + 1);
  if (!strcmp(cmd, "kernel")) {
    bool md = argc == 3 && !strcmp(argv[2], "--markdown");
    if (argc > 2 && !md) {
      if (strcmp(argv[2], "--help") && strcmp(argv[2], "-h")) {
        fprintf(stderr, "faultline: kernel: unknown option '%s' (see `faultline kernel --help`)\n", argv[2]);
        return 125;
      }
      printf("usage: faultline kernel [--markdown]\n\n"
             "Prints the modelled kernel's .config (what the guest reads from\n"
             "/proc/config.gz); --markdown prints its /proc/sys and CONFIG_ tables\n"
             "as docs/kernel-config.md embeds them.\n");
      return 0;
    }
    if (md) {
      puts("### /proc/sys\n");
      sysctl_markdown(stdout);
      puts("\n### CONFIG_ options (/proc/config.gz)\n");
      kconfig_markdown(stdout);
      return 0;
    }
    size_t len;
    char *t = kconfig_text(&len);
    if (t) fwrite(t, 1, len, stdout);
    free(t);
    return t ? 0 : 125;
  }
  if (!strcmp(cmd, "params")) {
    const char *prefix = NULL;
    bool json = false;
    for (int i = 2; i < argc; i++) {
      if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
        printf("usage: faultline params [PREFIX] [--json]\n\n"
               "Lists every parameter (or those whose name starts with PREFIX, e.g.\n"
               "`faultline params tlb.`): name, default, unit, whether a replay may change\n"
               "it, what it is and its source.  --json: a JSON list of objects with name,\n"
               "default, unit, doc, source and replay.  Set one with `--set name=value`;\n"
               "enums take their names or numbers, booleans 0, 1, true or false.\n");
        return 0;
      }
      if (!strcmp(argv[i], "--json")) json = true;
      else if (argv[i][0] == '-') die("params: unknown option '%s' (see `faultline params --help`)", argv[i]);
      else if (prefix) die("params takes one PREFIX, not also '%s'", argv[i]);
      else prefix = argv[i];
    }
    if (!params_list(stdout, prefix, json) && prefix) die("no parameter starts with '%s' (see `faultline params`)", prefix);
    return 0;
  }
  if (!strcmp(cmd, "presets") || !strcmp(cmd, "modes")) {
    if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
      printf("usage: faultline %s\n\n%s\n", cmd,
             !strcmp(cmd, "presets") ? "Lists the built-in presets: what distinguishes each, its vendor (a `cpu =`\n"
                                       "line) and the values it sets with their sources.  A preset file is the\n"
                                       "same `key = value  # source` lines."
             : "Lists the fault-handling modes.");
      return 0;
    }
    if (argc > 2) die("'%s' takes no arguments", cmd);
    if (!strcmp(cmd, "presets")) presets_list(stdout);
    else for (int i = 0; hv_modes[i]; i++) printf("%-12s %s\n", hv_modes[i]->name, hv_modes[i]->doc);
    return 0;
  }
  die("unknown command '%s' (see `faultline --help`)", cmd);
}
