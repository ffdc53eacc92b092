/* `faultline reproduce [NAME|all]`: each paper's experiments (the guest
 * program tools/reproduce/experiments.c) run under the modes and presets
 * the paper compares, as child runs of faultline itself, several at once;
 * one table per paper: published value and ratio, modelled cycles and
 * ratio, the error and a verdict.  --markdown writes the tables of
 * docs/validation.md, --json the numbers the regression guard checks. */
#include "tools/cli.h"
#include "tools/jobs.h"
#include "tools/reproduce.h"
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern const char faultline_version[];   /* sim/record.c */

static const char *usage =
  "usage: faultline reproduce [NAME|all] [--list] [--markdown] [--json F|-] [-j N] [--quiet]\n"
  "\n"
  "Re-runs published experiments in shape and prints, per paper, the\n"
  "published value and ratio beside the modelled cycles and ratio, the\n"
  "error (modelled ratio / published ratio - 1) and a verdict: ok within\n"
  "25%, else miss (docs/validation.md says which mechanism each miss\n"
  "lacks or overcharges).  Each experiment is a guest program written\n"
  "here from the paper's description (tools/reproduce/experiments.c: lmbench-\n"
  "shaped lat_pagefault, lat_sig prot, lat_mmap, lat_proc fork/exec; Adams\n"
  "& Agesen's pgfault, ptemod, forkwait; a pointer chase), run under the\n"
  "paper's modes with a preset for the paper's machine; only the measured\n"
  "operation is inside the program's region of interest.\n"
  "\n"
  "  NAME          one paper (see --list), or all (the default)\n"
  "  --list        the papers and their rows\n"
  "  --markdown    the tables as markdown (docs/validation.md)\n"
  "  --json F|-    every row's numbers as JSON (-: on stdout, instead of the tables)\n"
  "  -j N          runs at once (default: the host's cores)\n"
  "  --quiet       no progress line\n"
  "\n"
  "The experiments program is found beside faultline (the build tree's\n"
  "tools/reproduce/experiments, or PREFIX/libexec/faultline/experiments\n"
  "when installed), or named by FAULTLINE_EXPERIMENTS.\n";

/* one distinct run: a configuration and an experiment */
struct run {
  const struct repro_conf *conf;
  const char *exp;
  char stats[4200], out[4200], err[4200], tmp[4200];
  double cycles_per_op, walk_cycles;
  bool ok;
  char why[300];
};

static struct run *runs;
static int nruns, capruns;

static bool same_conf(const struct repro_conf *a, const struct repro_conf *b) {
  if (strcmp(a->mode, b->mode) || strcmp(a->preset, b->preset)) return false;
  for (int i = 0; i < 6; i++) {
    if (!a->sets[i] || !b->sets[i]) return a->sets[i] == b->sets[i];
    if (strcmp(a->sets[i], b->sets[i])) return false;
  }
  return true;
}

static int run_of(const struct repro_conf *c, const char *exp, const char *dir) {
  for (int i = 0; i < nruns; i++)
    if (!strcmp(runs[i].exp, exp) && same_conf(runs[i].conf, c)) return i;
  if (nruns == capruns) {
    capruns = capruns ? 2 * capruns : 32;
    runs = realloc(runs, (size_t)capruns * sizeof *runs);
    if (!runs) die("%s", "out of memory");
  }
  struct run *r = &runs[nruns];
  memset(r, 0, sizeof *r);
  r->conf = c;
  r->exp = exp;
  snprintf(r->stats, sizeof r->stats, "%s/%d.json", dir, nruns);
  snprintf(r->out, sizeof r->out, "%s/%d.out", dir, nruns);
  snprintf(r->err, sizeof r->err, "%s/%d.err", dir, nruns);
  snprintf(r->tmp, sizeof r->tmp, "%s/%d.tmp", dir, nruns);
  return nruns++;
}

/* the experiments program: FAULTLINE_EXPERIMENTS, else beside faultline */
static void find_experiments(const char *self, char *out, size_t n) {
  const char *env = getenv("FAULTLINE_EXPERIMENTS");
  if (env && *env) {
    if (access(env, X_OK)) die("FAULTLINE_EXPERIMENTS names %s, which is not an executable", env);
    snprintf(out, n, "%s", env);
    return;
  }
  char dir[3900];
  snprintf(dir, sizeof dir, "%.3800s", self);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  const char *tries[] = {"%s/reproduce/experiments", "%s/../libexec/faultline/experiments"};
  for (int i = 0; i < 2; i++) {
    snprintf(out, n, tries[i], dir);
    if (!access(out, X_OK)) return;
  }
  die("%s", "cannot find the experiments program (build faultline with cmake, which builds it; "
            "or name it with FAULTLINE_EXPERIMENTS)");
}

static char **run_argv(const struct run *r, const char *self, const char *exps) {
  int cap = 32, n = 0;
  char **av = calloc((size_t)cap, sizeof *av);
  av[n++] = strdup(self);
  av[n++] = strdup("run");
  av[n++] = strdup("--clean-env");   /* the same guest stack wherever it is run from */
  av[n++] = strdup("--mode");
  av[n++] = strdup(r->conf->mode);
  av[n++] = strdup("--preset");
  av[n++] = strdup(r->conf->preset);
  for (int i = 0; i < 6 && r->conf->sets[i]; i++) {
    av[n++] = strdup("--set");
    av[n++] = strdup(r->conf->sets[i]);
  }
  av[n++] = strdup("--stats");
  av[n++] = strdup(r->stats);
  av[n++] = strdup("--");
  av[n++] = strdup(exps);
  char *copy = strdup(r->exp), *save = NULL;
  for (char *t = strtok_r(copy, " ", &save); t && n < cap - 1; t = strtok_r(NULL, " ", &save))
    av[n++] = strdup(!strcmp(t, "%F") ? r->tmp : !strcmp(t, "%E") ? exps : t);
  free(copy);
  av[n] = NULL;
  return av;
}

static bool num_at(struct json_object *o, const char *a, const char *b, double *v) {
  struct json_object *x;
  if (!json_object_object_get_ex(o, a, &x)) return false;
  if (b && !json_object_object_get_ex(x, b, &x)) return false;
  *v = json_object_get_double(x);
  return true;
}

/* the run's numbers from its stats' region and its own report */
static void read_run(struct run *r, int status) {
  if (!WIFEXITED(status) || WEXITSTATUS(status)) {
    FILE *f = fopen(r->err, "r");
    char line[256] = "";
    if (f) { if (!fgets(line, sizeof line, f)) line[0] = 0; fclose(f); }
    line[strcspn(line, "\n")] = 0;
    snprintf(r->why, sizeof r->why, "the run failed (%s)", line[0] ? line : "no message");
    return;
  }
  /* its report: "NAME OPS ops ..." (an exec experiment's children write
   * their own lines to the same output) */
  long ops = 0;
  FILE *f = fopen(r->out, "r");
  char line[256], exp_name[64] = "", word[64];
  sscanf(r->exp, "%63s", exp_name);
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "%63s %ld ops", word, &ops) == 2 && !strcmp(word, exp_name)) break;
    else ops = 0;
  if (f) fclose(f);
  if (ops <= 0) {
    snprintf(r->why, sizeof r->why, "the experiment reported no operation count");
    return;
  }
  struct json_object *js = json_object_from_file(r->stats), *reg;
  double cyc, walks, wcyc;
  if (!js || !json_object_object_get_ex(js, "region", &reg) || !num_at(reg, "cycles", NULL, &cyc)) {
    snprintf(r->why, sizeof r->why, "the run's stats have no region");
    if (js) json_object_put(js);
    return;
  }
  r->cycles_per_op = cyc / (double)ops;
  if (num_at(reg, "walks", "count", &walks) && num_at(reg, "walks", "cycles", &wcyc) && walks > 0)
    r->walk_cycles = wcyc / walks;
  r->ok = true;
  json_object_put(js);
}

static double metric(const struct run *r, enum repro_metric m) {
  return m == METRIC_WALK_CYCLES ? r->walk_cycles : r->cycles_per_op;
}

/* a preset's inputs: "A+B" summed */
static double preset_input(const char *preset, const char *expr) {
  struct param_reg *p = params_new();
  char err[512];
  if (params_load_preset(p, preset, err, sizeof err)) die("%s", err);
  double sum = 0;
  char *copy = strdup(expr), *save = NULL;
  for (char *t = strtok_r(copy, "+", &save); t; t = strtok_r(NULL, "+", &save)) sum += (double)params_get(p, t);
  free(copy);
  params_free(p);
  return sum;
}

/* one row's outcome */
struct outcome {
  bool ok;
  double mb, mc;             /* modelled base and cmp metric */
  double pub, model;         /* the compared quantities: published and modelled */
  double err;                /* model / pub - 1 (ranges: to the nearest end, 0 inside) */
  const char *verdict;
  char why[300];
};

static struct outcome judge(const struct repro_row *w, const int *ri) {
  struct outcome o = {0};
  if (w->kind == REPRO_RATIO) o.pub = w->pub_cmp / w->pub_base;
  if (w->kind == REPRO_INPUT) {
    o.ok = true;
    o.model = preset_input(w->cmp.preset, w->input);
    o.pub = w->pub_cmp;
    o.err = o.model / o.pub - 1;
  } else {
    const struct run *b = &runs[ri[0]], *c = &runs[ri[1]];
    if (!b->ok || !c->ok) {
      snprintf(o.why, sizeof o.why, "%s", !b->ok ? b->why : c->why);
      o.verdict = "error";
      return o;
    }
    o.ok = true;
    o.mb = metric(b, w->metric);
    o.mc = metric(c, w->metric);
    switch (w->kind) {
    case REPRO_RATIO: o.pub = w->pub_cmp / w->pub_base; o.model = o.mc / o.mb; break;
    case REPRO_DIFF: o.pub = w->pub_cmp; o.model = o.mc - o.mb; break;
    case REPRO_RANGE_RATIO: o.model = o.mc / o.mb; break;
    case REPRO_RANGE_SPEEDUP: o.model = (o.mb / o.mc - 1) * 100; break;
    case REPRO_INPUT: break;
    }
    if (w->kind == REPRO_RANGE_RATIO || w->kind == REPRO_RANGE_SPEEDUP) {
      double near = o.model < w->lo ? w->lo : o.model > w->hi ? w->hi : o.model;
      o.pub = near;
      o.err = o.model / near - 1;
    } else {
      o.err = o.model / o.pub - 1;
    }
  }
  o.verdict = w->kind == REPRO_INPUT ? (fabs(o.err) <= 0.25 ? "input" : "input, differs")
                                     : fabs(o.err) <= 0.25 ? "ok" : "miss";
  return o;
}

static void fmt_pub(char *out, size_t n, const struct repro_row *w, double v) {
  if (!strcmp(w->unit, "cycles")) snprintf(out, n, "%.0f", v);
  else snprintf(out, n, "%g %s", v, w->unit);
}

static void fmt_model(char *out, size_t n, const struct repro_row *w, const struct outcome *o) {
  if (w->kind == REPRO_RANGE_SPEEDUP) snprintf(out, n, "%+.1f%%", o->model);
  else if (w->kind == REPRO_DIFF || w->kind == REPRO_INPUT) snprintf(out, n, "%.0f", o->model);
  else snprintf(out, n, "%.2fx", o->model);
}

static void fmt_published(char *out, size_t n, const struct repro_row *w, const struct outcome *o) {
  char a[32], b[32];
  switch (w->kind) {
  case REPRO_RATIO:
    fmt_pub(a, sizeof a, w, w->pub_base);
    fmt_pub(b, sizeof b, w, w->pub_cmp);
    snprintf(out, n, "%s -> %s = %.2fx", a, b, o->pub);
    break;
  case REPRO_DIFF: case REPRO_INPUT: snprintf(out, n, "%.0f cycles", w->pub_cmp); break;
  case REPRO_RANGE_RATIO: snprintf(out, n, "%g-%gx", w->lo, w->hi); break;
  case REPRO_RANGE_SPEEDUP: snprintf(out, n, "+%g-%g%%", w->lo, w->hi); break;
  }
}

static void fmt_cycles(char *out, size_t n, const struct repro_row *w, const struct outcome *o) {
  if (w->kind == REPRO_INPUT || !o->ok) { snprintf(out, n, "%s", w->kind == REPRO_INPUT ? "(preset)" : "-"); return; }
  snprintf(out, n, "%.0f -> %.0f", o->mb, o->mc);
}

int cmd_reproduce(int argc, char **argv) {
  enum { O_LIST = 256, O_MD, O_JSON, O_QUIET, O_HELP };
  static const struct option opts[] = {
    {"list", 0, 0, O_LIST}, {"markdown", 0, 0, O_MD}, {"json", 1, 0, O_JSON},
    {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  bool list = false, md = false, quiet = false, text;
  const char *json_path = NULL;
  int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), o;
  optind = 1;
  while ((o = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
    switch (o) {
    case O_LIST: list = true; break;
    case O_MD: md = true; break;
    case O_JSON: json_path = optarg; break;
    case O_QUIET: quiet = true; break;
    case 'j': jobs = (int)parse_u64(optarg, "-j"); if (jobs < 1) die("%s", "-j takes a count of 1 or more"); break;
    case 'h': case O_HELP: fputs(usage, stdout); return 0;
    default: fputs(usage, stderr); return 125;
    }
  }
  const char *name = optind < argc ? argv[optind++] : "all";
  if (optind < argc) die("reproduce takes one NAME, not also '%s' (see `faultline reproduce --help`)", argv[optind]);
  bool any = !strcmp(name, "all");
  for (int p = 0; p < repro_npapers; p++) any |= !strcmp(name, repro_papers[p].name);
  if (!any) {
    char names[512] = "";
    for (int p = 0; p < repro_npapers; p++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", p ? ", " : "", repro_papers[p].name);
    char m[700];
    snprintf(m, sizeof m, "no paper named '%s' (reproduce knows: %s, all)", name, names);
    die("%s", m);
  }
  if (list) {
    for (int p = 0; p < repro_npapers; p++) {
      const struct repro_paper *P = &repro_papers[p];
      if (strcmp(name, "all") && strcmp(name, P->name)) continue;
      printf("%-15s %s\n", P->name, P->title);
      for (int r = 0; r < P->nrows; r++) printf("    %-20s %s\n", P->rows[r].id, P->rows[r].label);
    }
    return 0;
  }
  char self[4096], exps[4096];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) die("%s", "cannot find faultline's own executable");
  self[sl] = 0;
  find_experiments(self, exps, sizeof exps);
  char dir[] = "/tmp/faultline-reproduce-XXXXXX";
  if (!mkdtemp(dir)) die("%s", "cannot make a temporary directory");

  /* the distinct runs the chosen rows need */
  int total_rows = 0;
  for (int p = 0; p < repro_npapers; p++)
    if (!strcmp(name, "all") || !strcmp(name, repro_papers[p].name)) total_rows += repro_papers[p].nrows;
  int (*ri)[2] = calloc((size_t)total_rows + 1, sizeof *ri);
  int k = 0;
  for (int p = 0; p < repro_npapers; p++) {
    const struct repro_paper *P = &repro_papers[p];
    if (strcmp(name, "all") && strcmp(name, P->name)) continue;
    for (int r = 0; r < P->nrows; r++, k++) {
      const struct repro_row *w = &P->rows[r];
      if (w->kind == REPRO_INPUT) continue;
      ri[k][0] = run_of(&w->base, w->exp, dir);
      ri[k][1] = run_of(&w->cmp, w->exp, dir);
    }
  }
  struct child_job *jv = calloc((size_t)nruns + 1, sizeof *jv);
  for (int i = 0; i < nruns; i++) {
    jv[i].argv = run_argv(&runs[i], self, exps);
    jv[i].out = runs[i].out;
    jv[i].err = runs[i].err;
  }
  jobs_run(jv, nruns, jobs, !quiet && isatty(2), "reproduce: runs");
  for (int i = 0; i < nruns; i++) read_run(&runs[i], jv[i].status);

  /* the tables (none with --json -: the JSON is the output) */
  text = !md && !(json_path && !strcmp(json_path, "-"));
  struct json_object *jall = json_object_new_array();
  int misses = 0, errors = 0, shown = 0;
  k = 0;
  if (md) printf("Generated by `faultline reproduce all --markdown` (faultline %s).\n", faultline_version);
  for (int p = 0; p < repro_npapers; p++) {
    const struct repro_paper *P = &repro_papers[p];
    if (strcmp(name, "all") && strcmp(name, P->name)) continue;
    if (md) printf("\n### %s\n\n%s; %s.\n\n| row | published | modelled cycles/op | modelled | error | verdict |\n"
                   "|---|---|---|---|---|---|\n", P->name, P->title, P->what);
    else if (text) printf("%s%s: %s\n  %s\n  %-46s %-28s %-20s %-9s %7s  %s\n", shown++ ? "\n" : "", P->name, P->title, P->what,
                "row", "published", "modelled cycles/op", "modelled", "error", "verdict");
    for (int r = 0; r < P->nrows; r++, k++) {
      const struct repro_row *w = &P->rows[r];
      struct outcome o = judge(w, ri[k]);
      char pub[100], cyc[64], mod[32] = "-", err[16] = "-";
      fmt_published(pub, sizeof pub, w, &o);
      fmt_cycles(cyc, sizeof cyc, w, &o);
      if (o.ok) {
        fmt_model(mod, sizeof mod, w, &o);
        snprintf(err, sizeof err, "%+.0f%%", o.err * 100);
      }
      if (!o.ok) errors++;
      else if (!strcmp(o.verdict, "miss")) misses++;
      if (md) printf("| %s (`%s`) | %s | %s | %s | %s | %s |\n", w->label, w->id, pub, cyc, mod, err, o.verdict);
      else if (text) printf("  %-46s %-28s %-20s %-9s %7s  %s%s%s\n", w->label, pub, cyc, mod, err, o.verdict,
                  o.ok ? "" : ": ", o.ok ? "" : o.why);
      struct json_object *jr = json_object_new_object();
      json_object_object_add(jr, "paper", json_object_new_string(P->name));
      json_object_object_add(jr, "id", json_object_new_string(w->id));
      json_object_object_add(jr, "label", json_object_new_string(w->label));
      json_object_object_add(jr, "verdict", json_object_new_string(o.verdict));
      if (o.ok) {
        json_object_object_add(jr, "published", json_object_new_double(o.pub));
        json_object_object_add(jr, "modelled", json_object_new_double(o.model));
        json_object_object_add(jr, "error", json_object_new_double(o.err));
        if (w->kind != REPRO_INPUT) {
          json_object_object_add(jr, "cycles_base", json_object_new_double(o.mb));
          json_object_object_add(jr, "cycles_cmp", json_object_new_double(o.mc));
        }
      } else {
        json_object_object_add(jr, "error_message", json_object_new_string(o.why));
      }
      json_object_array_add(jall, jr);
    }
  }
  if (text) printf("\n%d rows: %d within 25%%, %d miss, %d failed (docs/validation.md explains each miss)\n",
                  total_rows, total_rows - misses - errors, misses, errors);
  if (json_path) {
    const char *txt = json_object_to_json_string_ext(jall, JSON_C_TO_STRING_PRETTY);
    FILE *f = strcmp(json_path, "-") ? fopen(json_path, "w") : stdout;
    if (!f) die("cannot write %s", json_path);
    fprintf(f, "%s\n", txt);
    if (f != stdout && fclose(f)) die("cannot write %s", json_path);
  }
  json_object_put(jall);
  /* the temporary directory: its files, then itself */
  for (int i = 0; i < nruns; i++) { unlink(runs[i].stats); unlink(runs[i].out); unlink(runs[i].err); unlink(runs[i].tmp); }
  rmdir(dir);
  if (errors) {
    fprintf(stderr, "faultline: %d rows could not be measured (their runs failed: see the table)\n", errors);
    return 125;
  }
  return 0;
}
