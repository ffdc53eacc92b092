/* `faultline sweep`: a what-if study, the cross product of --vary lists,
 * each configuration a replay of one trace (or a live run of a program),
 * run in parallel on the local cores, the chosen stats metrics printed as a
 * table, CSV or JSON.  Each configuration is one child process of this
 * faultline, writing its stats JSON; the table is read from those files. */
#include "tools/cli.h"
#include "tools/jobs.h"
#include "hv-models/hv.h"
#include "tools/plot.h"
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <sys/stat.h>

static const char *sweep_usage =
  "usage: faultline sweep TRACE --vary KEY=V1,V2,... [--vary ...] [options]\n"
  "       faultline sweep --vary KEY=V1,V2,... [options] -- PROGRAM [ARGS...]\n"
  "\n"
  "Runs one configuration per element of the cross product of the --vary\n"
  "lists (the last one varies fastest) and prints the chosen metrics of each\n"
  "as a table.  With a TRACE (`faultline run --trace`) each configuration is a\n"
  "replay of it (`faultline replay`): the program is interpreted once, not once\n"
  "per configuration; with a PROGRAM each is a live run (its output discarded).\n"
  "\n"
  "  --vary KEY=V1,...  KEY is mode, cpu, preset or a parameter of `faultline\n"
  "                     params` (at replay only those marked \"may\")\n"
  "  --set k=v          a setting every configuration shares (repeatable)\n"
  "  --metric PATH      a number of the stats JSON by its dotted path (repeatable;\n"
  "                     default: cycles, instructions, page_faults.guest,\n"
  "                     page_faults.hidden, vm_exits_total, walks.refs,\n"
  "                     fault_cycles.total).  Others: ipc, tlb.l1d.misses,\n"
  "                     tlb.stlb.hits, walks.count, walks.faults,\n"
  "                     page_faults.by_kind.cow, fault_cycles.hypervisor,\n"
  "                     fault_cycles.by_step.vm.exit, hv.shadow_fills,\n"
  "                     refs.user, cache.l1d.misses (cache.enabled=1), ... any\n"
  "                     number `--stats` writes (docs/stats.md)\n"
  "  -j N               configurations at once (default: the cores)\n"
  "  --csv F|-          one column per varied key, then one per metric\n"
  "  --json F|-         each configuration with its settings and metrics\n"
  "  --svg F, --png F   plot a metric (--plot PATH, default the first) against a\n"
  "                     numeric varied key (--x KEY, default the first), one line\n"
  "                     per combination of the other keys (cairo)\n"
  "  --mem SIZE, --max-insns N  for the live runs of a PROGRAM (as `run`)\n"
  "  --quiet            no table on stdout, no progress line\n"
  "  --emit-jobs DIR    run nothing: write DIR/jobs.txt, one shell command line per\n"
  "                     configuration (each writes DIR/N.json), and the study in\n"
  "                     DIR/sweep.json; run them with `parallel -a DIR/jobs.txt`\n"
  "  --slurm            with --emit-jobs: also DIR/slurm.sbatch, a Slurm job array\n"
  "  --merge DIR        the table, CSV and JSON of a study --emit-jobs wrote, from\n"
  "                     the stats its jobs left in DIR\n"
  "  -h, --help         this text\n"
  "\n"
  "A configuration that fails shows `error` in its row; faultline then exits\n"
  "125 after one faultline: line naming the first failure.\n";

#define MAX_VARY 8
#define MAX_METRICS 32

struct vary { char *key; char **vals; int n; };
struct conf { int idx[MAX_VARY]; pid_t pid; int status; bool done; char stats[4200], err[4200]; };

static const char *default_metrics[] = {"cycles", "instructions", "page_faults.guest", "page_faults.hidden",
                                        "vm_exits_total", "walks.refs", "fault_cycles.total"};

/* a number of the stats JSON by its dotted path; false if there is none.
 * Keys may hold dots themselves (by_step's "vm.exit"): the longest key
 * that matches is taken first. */
static bool metric_of(struct json_object *o, const char *path, double *v, bool *is_int) {
  while (*path) {
    if (!json_object_is_type(o, json_type_object)) return false;
    struct json_object *next = NULL;
    size_t best = 0;
    json_object_object_foreach(o, key, val) {
      size_t kl = strlen(key);
      if (kl > best && !strncmp(path, key, kl) && (path[kl] == 0 || path[kl] == '.')) { best = kl; next = val; }
    }
    if (!next) return false;
    o = next;
    path += best;
    if (*path == '.') path++;
  }
  if (json_object_is_type(o, json_type_int)) { *v = (double)json_object_get_uint64(o); *is_int = true; return true; }
  if (json_object_is_type(o, json_type_double)) { *v = json_object_get_double(o); *is_int = false; return true; }
  return false;
}

static void fmt_num(char *out, size_t n, double v, bool is_int) {
  if (is_int) snprintf(out, n, "%.0f", v);
  else snprintf(out, n, "%.4f", v);
}

static FILE *open_out(const char *path) {
  if (!strcmp(path, "-")) return stdout;
  FILE *f = fopen(path, "w");
  if (!f) {
    char m[400];
    snprintf(m, sizeof m, "cannot write %s: %s", path, strerror(errno));
    die("%s", m);
  }
  return f;
}

/* the command line of configuration q: a replay of trace, or a run of prog */
static const char **g_run_opts;   /* --mem, --max-insns for live runs */
static int g_nrun_opts;
static char **conf_argv(const struct conf *q, char *self, const char *trace, char **prog, const char **sets, int nsets,
                        const struct vary *vary, int nvary) {
  size_t nprog = 0;
  for (char **p = prog; p && *p; p++) nprog++;
  char **av = calloc((size_t)(16 + 2 * (nvary + nsets)) + nprog, sizeof *av);
  int n = 0;
  av[n++] = self;
  av[n++] = trace ? "replay" : "run";
  if (trace) { av[n++] = (char *)trace; av[n++] = "--quiet"; }
  av[n++] = "--stats";
  av[n++] = (char *)q->stats;
  for (int i = 0; i < nsets; i++) { av[n++] = "--set"; av[n++] = (char *)sets[i]; }
  for (int i = 0; i < nvary; i++) {
    const char *k = vary[i].key, *val = vary[i].vals[q->idx[i]];
    if (!strcmp(k, "mode") || !strcmp(k, "cpu") || !strcmp(k, "preset")) {
      char *o = malloc(strlen(k) + 3);
      sprintf(o, "--%s", k);
      av[n++] = o;
      av[n++] = (char *)val;
    } else {
      char *kv = malloc(strlen(k) + strlen(val) + 2);
      sprintf(kv, "%s=%s", k, val);
      av[n++] = "--set";
      av[n++] = kv;
    }
  }
  if (prog) {
    for (int i = 0; i < g_nrun_opts; i++) av[n++] = (char *)g_run_opts[i];
    av[n++] = "--";
    for (char **p = prog; *p; p++) av[n++] = *p;
  }
  av[n] = NULL;
  return av;
}

int cmd_sweep(int argc, char **argv) {
  enum { O_VARY = 256, O_SET, O_METRIC, O_CSV, O_JSON, O_QUIET, O_EMIT, O_SLURM, O_MERGE, O_PLOT, O_SVG, O_PNG, O_X,
         O_MEM, O_MAXI, O_CMPTAB };
  static const struct option opts[] = {
    {"vary", 1, 0, O_VARY}, {"set", 1, 0, O_SET}, {"metric", 1, 0, O_METRIC}, {"csv", 1, 0, O_CSV},
    {"json", 1, 0, O_JSON}, {"quiet", 0, 0, O_QUIET}, {"emit-jobs", 1, 0, O_EMIT}, {"slurm", 0, 0, O_SLURM},
    {"merge", 1, 0, O_MERGE}, {"plot", 1, 0, O_PLOT}, {"svg", 1, 0, O_SVG}, {"png", 1, 0, O_PNG}, {"x", 1, 0, O_X},
    {"mem", 1, 0, O_MEM}, {"max-insns", 1, 0, O_MAXI}, {"compare-table", 0, 0, O_CMPTAB},
    {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *plot_metric = NULL, *plot_path = NULL, *plot_x = NULL;
  const char *run_opts[4];
  int nrun_opts = 0;
  bool compare_table = false;
  bool plot_png = false;
  const char *emit = NULL, *merge = NULL;
  bool slurm = false;
  struct vary vary[MAX_VARY];
  int nvary = 0, nsets = 0, nmetrics = 0, jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
  const char **sets = calloc((size_t)argc + 1, sizeof *sets);
  const char *metrics[MAX_METRICS];
  const char *csv = NULL, *json = NULL;
  bool quiet = false;
  int ch;
  /* -- PROGRAM ARGS ends the options (a TRACE may come anywhere before) */
  char **prog = NULL;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--")) {
      prog = argv + i + 1;
      if (!*prog) die("%s", "no PROGRAM after -- (see `faultline sweep --help`)");
      argc = i;
      break;
    }
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
    switch (ch) {
    case O_VARY: {
      if (nvary == MAX_VARY) die("%s", "at most 8 --vary lists");
      char *eq = strchr(optarg, '=');
      if (!eq || eq == optarg || !eq[1]) die("--vary takes KEY=V1,V2,..., not '%s'", optarg);
      struct vary *v = &vary[nvary++];
      v->key = strndup(optarg, (size_t)(eq - optarg));
      v->vals = calloc(strlen(eq) + 1, sizeof *v->vals);
      v->n = 0;
      char *list = strdup(eq + 1);
      for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) v->vals[v->n++] = t;
      if (!v->n) die("--vary %s has no values", optarg);
      break;
    }
    case O_SET: sets[nsets++] = optarg; break;
    case O_METRIC:
      if (nmetrics == MAX_METRICS) die("%s", "at most 32 --metric paths");
      metrics[nmetrics++] = optarg;
      break;
    case O_CSV: csv = optarg; break;
    case O_JSON: json = optarg; break;
    case O_QUIET: quiet = true; break;
    case O_EMIT: emit = optarg; break;
    case O_SLURM: slurm = true; break;
    case O_MERGE: merge = optarg; break;
    case O_PLOT: plot_metric = optarg; break;
    case O_SVG: plot_path = optarg; plot_png = false; break;
    case O_PNG: plot_path = optarg; plot_png = true; break;
    case O_X: plot_x = optarg; break;
    case O_MEM: parse_size(optarg); run_opts[nrun_opts++] = "--mem"; run_opts[nrun_opts++] = optarg; break;
    case O_MAXI:
      parse_count(optarg, "bad --max-insns '%s' (a count of instructions, e.g. 1M or 1e6)");
      run_opts[nrun_opts++] = "--max-insns";
      run_opts[nrun_opts++] = optarg;
      break;
    case O_CMPTAB: compare_table = true; break;
    case 'j': jobs = (int)parse_u64(optarg, "bad -j '%s' (a number of configurations at once)"); break;
    case 'h': fputs(sweep_usage, stdout); exit(0);
    default: die("unknown or incomplete option '%s' (see `faultline sweep --help`)", argv[optind - 1]);
    }
  }
  if (jobs < 1) jobs = 1;
  g_run_opts = run_opts;
  g_nrun_opts = nrun_opts;
  if (slurm && !emit) die("%s", "--slurm goes with --emit-jobs DIR");
  const char *trace = NULL;
  if (merge) {
    /* the study --emit-jobs wrote: its lists, source and metrics */
    if (nvary || prog || optind < argc) die("%s", "--merge DIR takes the study from DIR/sweep.json: no --vary, TRACE or PROGRAM");
    char sp[4200];
    snprintf(sp, sizeof sp, "%s/sweep.json", merge);
    struct json_object *st = json_object_from_file(sp), *x;
    if (!st || !json_object_object_get_ex(st, "vary", &x) || !json_object_is_type(x, json_type_array)) {
      char m[4300];
      snprintf(m, sizeof m, "%s: not a study --emit-jobs wrote", sp);
      die("%s", m);
    }
    for (size_t i = 0; i < json_object_array_length(x) && nvary < MAX_VARY; i++) {
      struct json_object *e = json_object_array_get_idx(x, i), *kk, *vv;
      if (!json_object_object_get_ex(e, "key", &kk) || !json_object_object_get_ex(e, "values", &vv)) continue;
      struct vary *v = &vary[nvary++];
      v->key = strdup(json_object_get_string(kk));
      v->n = (int)json_object_array_length(vv);
      v->vals = calloc((size_t)v->n + 1, sizeof *v->vals);
      for (int j = 0; j < v->n; j++) v->vals[j] = strdup(json_object_get_string(json_object_array_get_idx(vv, (size_t)j)));
    }
    if (!nmetrics && json_object_object_get_ex(st, "metrics", &x))
      for (size_t i = 0; i < json_object_array_length(x) && nmetrics < MAX_METRICS; i++)
        metrics[nmetrics++] = strdup(json_object_get_string(json_object_array_get_idx(x, i)));
    if (json_object_object_get_ex(st, "trace", &x)) trace = strdup(json_object_get_string(x));
    static char *noprog[] = {"(program)", NULL};
    if (!trace) prog = noprog;
  }
  /* a TRACE, or -- PROGRAM ARGS */
  if (merge) {
  } else if (prog && optind < argc) die("%s", "sweep takes a TRACE or -- PROGRAM ARGS, not both");
  else if (!prog && optind == argc - 1) trace = argv[optind];
  else if (!prog && optind < argc) die("%s", "sweep takes one TRACE (see `faultline sweep --help`)");
  else if (!prog) die("%s", "sweep needs a TRACE or -- PROGRAM ARGS (see `faultline sweep --help`)");
  if (!nvary) die("%s", "sweep needs at least one --vary KEY=V1,V2,...");
  if (!nmetrics)
    for (size_t i = 0; i < sizeof default_metrics / sizeof *default_metrics; i++) metrics[nmetrics++] = default_metrics[i];
  /* the keys: mode, cpu, preset, or a parameter (checked here: one line) */
  for (int i = 0; i < nvary; i++) {
    const char *k = vary[i].key;
    if (!strcmp(k, "mode")) {
      for (int j = 0; j < vary[i].n; j++)
        if (!hv_find_mode(vary[i].vals[j])) die("unknown mode '%s' (see `faultline modes`)", vary[i].vals[j]);
    } else if (!strcmp(k, "cpu")) {
      for (int j = 0; j < vary[i].n; j++)
        if (strcmp(vary[i].vals[j], "intel") && strcmp(vary[i].vals[j], "amd"))
          die("--vary cpu takes intel or amd, not '%s'", vary[i].vals[j]);
    } else if (strcmp(k, "preset")) {
      struct param_reg *p = params_new();
      char err[512], kv[512];
      for (int j = 0; j < vary[i].n; j++) {
        snprintf(kv, sizeof kv, "%s=%s", k, vary[i].vals[j]);
        if (params_set(p, kv, err, sizeof err)) die("%s", err);
      }
      if (trace && param_fixed_at_replay(k)) {
        char m[300];
        snprintf(m, sizeof m, "a sweep over a trace cannot vary %s: the trace holds the guest decisions it made "
                 "(sweep the program instead: -- PROGRAM ARGS)", k);
        die("%s", m);
      }
      params_free(p);
    }
  }
  int total = 1;
  for (int i = 0; i < nvary; i++) {
    if (total > 100000 / vary[i].n) die("%s", "more than 100000 configurations");
    total *= vary[i].n;
  }
  struct conf *cf = calloc((size_t)total, sizeof *cf);
  char tmpdir[] = "/tmp/faultline-sweep-XXXXXX";
  char dir[4096];
  if (emit || merge) {
    const char *d = emit ? emit : merge;
    if (emit && mkdir(d, 0777) && errno != EEXIST) die("cannot make %s", d);
    if (!realpath(d, dir)) die("cannot find %s", d);
  } else {
    if (!mkdtemp(tmpdir)) die("%s", "cannot make a temporary directory");
    snprintf(dir, sizeof dir, "%s", tmpdir);
  }
  for (int c = 0; c < total; c++) {
    int rest = c;
    for (int i = nvary - 1; i >= 0; i--) { cf[c].idx[i] = rest % vary[i].n; rest /= vary[i].n; }
    snprintf(cf[c].stats, sizeof cf[c].stats, "%s/%d.json", dir, c);
    snprintf(cf[c].err, sizeof cf[c].err, "%s/%d.err", dir, c);
  }
  char self[4096];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) die("%s", "cannot find faultline's own executable");
  self[sl] = 0;
  if (emit) {
    /* one shell command line per configuration, the study for --merge */
    char jp[4200], sp[4200];
    snprintf(jp, sizeof jp, "%s/jobs.txt", dir);
    snprintf(sp, sizeof sp, "%s/sweep.json", dir);
    FILE *jf = fopen(jp, "w");
    if (!jf) die("cannot write %s", jp);
    char abs_trace[4096];
    if (trace && !realpath(trace, abs_trace)) die("cannot find %s", trace);
    for (int c = 0; c < total; c++) {
      char **av = conf_argv(&cf[c], self, trace ? abs_trace : NULL, prog, sets, nsets, vary, nvary);
      for (int i = 0; av[i]; i++) {
        fputs(i ? " '" : "'", jf);
        for (const char *p = av[i]; *p; p++) { if (*p == '\'') fputs("'\\''", jf); else fputc(*p, jf); }
        fputc('\'', jf);
      }
      fprintf(jf, " >/dev/null 2>'%s'\n", cf[c].err);
    }
    fclose(jf);
    struct json_object *st = json_object_new_object(), *jv = json_object_new_array(), *jm = json_object_new_array();
    for (int i = 0; i < nvary; i++) {
      struct json_object *e = json_object_new_object(), *vals = json_object_new_array();
      for (int j = 0; j < vary[i].n; j++) json_object_array_add(vals, json_object_new_string(vary[i].vals[j]));
      json_object_object_add(e, "key", json_object_new_string(vary[i].key));
      json_object_object_add(e, "values", vals);
      json_object_array_add(jv, e);
    }
    for (int m = 0; m < nmetrics; m++) json_object_array_add(jm, json_object_new_string(metrics[m]));
    json_object_object_add(st, "vary", jv);
    json_object_object_add(st, "metrics", jm);
    if (trace) json_object_object_add(st, "trace", json_object_new_string(abs_trace));
    json_object_object_add(st, "configurations", json_object_new_int(total));
    if (json_object_to_file_ext(sp, st, JSON_C_TO_STRING_PRETTY)) die("cannot write %s", sp);
    json_object_put(st);
    if (slurm) {
      char bp[4200];
      snprintf(bp, sizeof bp, "%s/slurm.sbatch", dir);
      FILE *b = fopen(bp, "w");
      if (!b) die("cannot write %s", bp);
      fprintf(b, "#!/bin/sh\n#SBATCH --job-name=faultline-sweep\n#SBATCH --array=1-%d\n#SBATCH --ntasks=1\n"
                 "# one configuration of the study per array task (faultline sweep --emit-jobs)\n"
                 "eval \"$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" '%s')\"\n", total, jp);
      fclose(b);
    }
    fprintf(stderr, "faultline: %d configurations in %s (run them, e.g. `parallel -a %s`%s), then `faultline sweep "
            "--merge %s`\n", total, jp, jp, slurm ? " or `sbatch slurm.sbatch`" : "", dir);
    return 0;
  }
  bool tty = isatty(2) && !quiet;
  struct child_job *jobv = calloc((size_t)total, sizeof *jobv);
  for (int c = 0; c < total; c++) {
    jobv[c].argv = conf_argv(&cf[c], self, trace, prog, sets, nsets, vary, nvary);
    jobv[c].err = cf[c].err;
    /* --merge: the jobs ran elsewhere; one that wrote no stats failed */
    if (merge) { jobv[c].done = true; jobv[c].status = access(cf[c].stats, R_OK) ? (1 << 8) : 0; }
  }
  jobs_run(jobv, total, jobs, tty, "sweep: configurations");
  for (int c = 0; c < total; c++) { cf[c].status = jobv[c].status; cf[c].done = true; }
  /* the results: rows of cells */
  int ncol = nvary + nmetrics;
  bool seen[MAX_METRICS] = {false}, any_ok = false;
  char ***cell = calloc((size_t)total, sizeof *cell);
  char **exits = calloc((size_t)total, sizeof *exits);
  char **cpu_of = calloc((size_t)total, sizeof *cpu_of);   /* the vendor each ran (a preset's own) */
  int first_bad = -1;
  struct json_object *jall = json_object_new_array();
  for (int c = 0; c < total; c++) {
    cell[c] = calloc((size_t)ncol, sizeof **cell);
    struct json_object *jc = json_object_new_object(), *jcfg = json_object_new_object(), *jm = json_object_new_object();
    for (int i = 0; i < nvary; i++) {
      cell[c][i] = vary[i].vals[cf[c].idx[i]];
      json_object_object_add(jcfg, vary[i].key, json_object_new_string(cell[c][i]));
    }
    /* a live run exits as its guest did: only faultline's own failure
     * (125, or no stats) fails the configuration */
    int st = cf[c].status;
    bool ok = trace || merge ? WIFEXITED(st) && WEXITSTATUS(st) == 0
                             : !(WIFEXITED(st) && (WEXITSTATUS(st) == 125 || WEXITSTATUS(st) == 127));
    char exitbuf[16];
    if (WIFSIGNALED(st)) snprintf(exitbuf, sizeof exitbuf, "sig%d", WTERMSIG(st));
    else snprintf(exitbuf, sizeof exitbuf, "%d", WEXITSTATUS(st));
    exits[c] = strdup(exitbuf);
    struct json_object *js = ok ? json_object_from_file(cf[c].stats) : NULL;
    if (!js) ok = false;
    struct json_object *jx, *jl;
    if (js && json_object_object_get_ex(js, "cpu", &jx)) cpu_of[c] = strdup(json_object_get_string(jx));
    if (js && json_object_object_get_ex(js, "exit", &jx) && json_object_object_get_ex(jx, "limit", &jl)) {
      free(exits[c]);
      exits[c] = strdup("limit");      /* --max-insns stopped it (124) */
    }
    if (js && merge) {
      /* --merge: each file says what it measured (its config block) */
      struct json_object *cfgo, *pr, *x;
      bool have = json_object_object_get_ex(js, "config", &cfgo) && json_object_object_get_ex(cfgo, "params", &pr);
      for (int i = 0; have && i < nvary; i++) {
        const char *k = vary[i].key, *want = vary[i].vals[cf[c].idx[i]];
        bool named = !strcmp(k, "mode") || !strcmp(k, "cpu") || !strcmp(k, "preset");
        bool same = named ? json_object_object_get_ex(cfgo, k, &x) && !strcmp(json_object_get_string(x), want)
                          : json_object_object_get_ex(pr, k, &x) && json_object_get_uint64(x) == strtoull(want, NULL, 0);
        if (!same) {
          char m[600];
          snprintf(m, sizeof m, "%s measured another %s than %s (its config block)", cf[c].stats, k, want);
          die("%s", m);
        }
      }
      if (!have) {
        char m[600];
        snprintf(m, sizeof m, "%s has no config block: not a faultline stats file of this version", cf[c].stats);
        die("%s", m);
      }
    }
    for (int m = 0; m < nmetrics; m++) {
      char buf[64];
      double v;
      bool is_int;
      if (!ok) snprintf(buf, sizeof buf, "error");
      else if (!metric_of(js, metrics[m], &v, &is_int)) {
        /* the stats leave out what did not happen (a step no fault took):
         * 0 here, unless no configuration has it at all (checked below) */
        snprintf(buf, sizeof buf, "0");
        json_object_object_add(jm, metrics[m], json_object_new_uint64(0));
      } else {
        seen[m] = true;
        fmt_num(buf, sizeof buf, v, is_int);
        json_object_object_add(jm, metrics[m], is_int ? json_object_new_uint64((uint64_t)v) : json_object_new_double(v));
      }
      cell[c][nvary + m] = strdup(buf);
    }
    if (!ok && first_bad < 0) first_bad = c;
    any_ok |= ok;
    json_object_object_add(jc, "config", jcfg);
    json_object_object_add(jc, "metrics", jm);
    json_object_object_add(jc, "ok", json_object_new_boolean(ok));
    if (!trace && !merge) json_object_object_add(jc, "exit", json_object_new_string(exits[c]));
    json_object_array_add(jall, jc);
    if (js) json_object_put(js);
  }
  for (int m = 0; m < nmetrics && any_ok; m++)
    if (!seen[m]) {
      char msg[300];
      snprintf(msg, sizeof msg, "the stats have no number at '%s' (see `faultline sweep --help`)", metrics[m]);
      die("%s", msg);
    }
  if (compare_table && !quiet) {
    /* `faultline compare`'s table: its columns from the sweep's metrics
     * (instructions, faults, hidden, vm_exits, walk_refs, fault cycles,
     * cycles: in that order, compare_main sets them) */
    int km = -1, kp = -1, kc = -1;
    for (int i = 0; i < nvary; i++) {
      if (!strcmp(vary[i].key, "mode")) km = i;
      if (!strcmp(vary[i].key, "preset")) kp = i;
      if (!strcmp(vary[i].key, "cpu")) kc = i;
    }
    printf("%-12s %-10s %-5s %5s %12s %9s %7s %8s %10s %9s %14s %7s", "mode", "preset", "cpu", "exit", "instructions",
           "faults", "hidden", "vm_exits", "walk_refs", "cyc/fault", "total_cycles", "ratio");
    for (int m = 7; m < nmetrics; m++) printf(" %14s", metrics[m]);   /* compare --metric */
    putchar('\n');
    double base = 0;
    for (int c = 0; c < total; c++) {
      char **v = cell[c] + nvary;
      double faults = strtod(v[1], NULL), fc = strtod(v[5], NULL), cyc = strtod(v[6], NULL);
      if (base == 0 && cyc > 0) base = cyc;
      char cpf[32];
      if (!strcmp(v[0], "error")) snprintf(cpf, sizeof cpf, "error");
      else snprintf(cpf, sizeof cpf, "%.0f", faults > 0 ? floor(fc / faults) : 0.0);
      printf("%-12s %-10s %-5s %5s %12s %9s %7s %8s %10s %9s %14s %7.3f", km >= 0 ? cell[c][km] : "",
             kp >= 0 ? cell[c][kp] : "default", kc >= 0 ? cell[c][kc] : cpu_of[c] ? cpu_of[c] : "?", exits[c], v[0], v[1], v[2], v[3], v[4],
             cpf, v[6], base > 0 ? cyc / base : 0.0);
      for (int m = 7; m < nmetrics; m++) printf(" %14s", v[m]);
      putchar('\n');
    }
  } else if (!quiet) {
    int w[MAX_VARY + MAX_METRICS];
    for (int i = 0; i < ncol; i++) {
      w[i] = (int)strlen(i < nvary ? vary[i].key : metrics[i - nvary]);
      for (int c = 0; c < total; c++) if ((int)strlen(cell[c][i]) > w[i]) w[i] = (int)strlen(cell[c][i]);
    }
    for (int i = 0; i < ncol; i++) printf("%s%*s", i ? "  " : "", i < nvary ? -w[i] : w[i], i < nvary ? vary[i].key : metrics[i - nvary]);
    putchar('\n');
    for (int c = 0; c < total; c++) {
      for (int i = 0; i < ncol; i++) printf("%s%*s", i ? "  " : "", i < nvary ? -w[i] : w[i], cell[c][i]);
      putchar('\n');
    }
  }
  if (csv) {
    FILE *f = open_out(csv);
    for (int i = 0; i < ncol; i++) fprintf(f, "%s%s", i ? "," : "", i < nvary ? vary[i].key : metrics[i - nvary]);
    fputc('\n', f);
    for (int c = 0; c < total; c++)
      for (int i = 0; i < ncol; i++) fprintf(f, "%s%s", cell[c][i], i == ncol - 1 ? "\n" : ",");
    if (f != stdout) fclose(f);
  }
  if (json) {
    struct json_object *top = json_object_new_object();
    json_object_object_add(top, "source", json_object_new_string(trace ? trace : prog ? prog[0] : "?"));
    json_object_object_add(top, "replayed", json_object_new_boolean(trace != NULL));
    json_object_object_add(top, "configurations", jall);
    FILE *f = open_out(json);
    fprintf(f, "%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
    if (f != stdout) fclose(f);
    json_object_put(top);
  } else {
    json_object_put(jall);
  }
  if (plot_path) {
    /* x: the chosen (or first) varied key whose values are all numbers */
    int xk = -1;
    for (int i = 0; i < nvary && xk < 0; i++) {
      if (plot_x && strcmp(plot_x, vary[i].key)) continue;
      bool num = true;
      for (int j = 0; j < vary[i].n; j++) {
        char *e;
        strtod(vary[i].vals[j], &e);
        if (*e) num = false;
      }
      if (num) xk = i;
    }
    if (xk < 0) die("%s", plot_x ? "--x names no varied key with numeric values" : "a plot needs a varied key with numeric values (--vary KEY=1,2,...)");
    int mi = 0;
    if (plot_metric) {
      mi = -1;
      for (int m = 0; m < nmetrics; m++) if (!strcmp(metrics[m], plot_metric)) mi = m;
      if (mi < 0) die("--plot %s is not one of the sweep's metrics (add --metric)", plot_metric);
    }
    int nx = vary[xk].n, nser = total / nx;
    double *x = calloc((size_t)nx, sizeof *x), **y = calloc((size_t)nser, sizeof *y);
    char **names = calloc((size_t)nser, sizeof *names);
    int *order = calloc((size_t)nx, sizeof *order);   /* x ascending */
    for (int i = 0; i < nx; i++) order[i] = i;
    for (int i = 1; i < nx; i++)
      for (int j = i; j > 0 && strtod(vary[xk].vals[order[j]], NULL) < strtod(vary[xk].vals[order[j - 1]], NULL); j--) {
        int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
      }
    for (int i = 0; i < nx; i++) x[i] = strtod(vary[xk].vals[order[i]], NULL);
    int rank[MAX_VARY];
    for (int i = 0; i < nx; i++) rank[0] = 0, (void)rank;
    for (int sidx = 0; sidx < nser; sidx++) { y[sidx] = calloc((size_t)nx, sizeof **y); for (int i = 0; i < nx; i++) y[sidx][i] = NAN; }
    for (int c = 0; c < total; c++) {
      int sidx = 0;
      char name[256] = "";
      for (int i = 0; i < nvary; i++) {
        if (i == xk) continue;
        sidx = sidx * vary[i].n + cf[c].idx[i];
        size_t l = strlen(name);
        snprintf(name + l, sizeof name - l, "%s%s", l ? " " : "", vary[i].vals[cf[c].idx[i]]);
      }
      if (!names[sidx]) names[sidx] = strdup(name[0] ? name : metrics[mi]);
      int xi = 0;
      while (order[xi] != cf[c].idx[xk]) xi++;
      if (strcmp(cell[c][nvary + mi], "error")) y[sidx][xi] = strtod(cell[c][nvary + mi], NULL);
    }
    const char *unit = "";
    for (int t = 0; params_tables[t]; t++)
      for (int i = 0; params_tables[t][i].name; i++)
        if (!strcmp(params_tables[t][i].name, vary[xk].key)) unit = params_tables[t][i].unit;
    char xl[300], yl[300], title[400];
    snprintf(xl, sizeof xl, "%s%s%s%s", vary[xk].key, unit[0] ? " (" : "", unit, unit[0] ? ")" : "");
    bool cyc = (strstr(metrics[mi], "cycles") || strstr(metrics[mi], "fault_latency")) && strcmp(metrics[mi], "cycles");
    snprintf(yl, sizeof yl, "%s%s", metrics[mi], cyc ? " (cycles)" : "");
    const char *src = trace ? trace : prog ? prog[0] : "";
    const char *base = strrchr(src, '/');
    snprintf(title, sizeof title, "%s against %s: %s%s", metrics[mi], vary[xk].key, base ? base + 1 : src,
             trace ? " (replayed)" : "");
    struct plot pl = {.path = plot_path, .png = plot_png, .title = title, .xlabel = xl, .ylabel = yl, .nx = nx,
                      .nseries = nser, .x = x, .y = y, .names = names};
    char perr[400];
    if (plot_draw(&pl, perr, sizeof perr)) die("%s", perr);
  }
  char why[300] = "";
  if (first_bad >= 0) {
    FILE *e = fopen(cf[first_bad].err, "r");
    if (!e || !fgets(why, sizeof why, e)) snprintf(why, sizeof why, "exit status %d", cf[first_bad].status);
    if (e) fclose(e);
    why[strcspn(why, "\n")] = 0;
  }
  if (!merge) {
    for (int c = 0; c < total; c++) { unlink(cf[c].stats); unlink(cf[c].err); }
    rmdir(dir);
  }
  if (first_bad >= 0) {
    char m[500];
    snprintf(m, sizeof m, "configuration %d of %d failed: %s", first_bad + 1, total, why);
    die("%s", m);
  }
  return 0;
}
