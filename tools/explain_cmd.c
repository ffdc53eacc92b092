/* `faultline explain`: one fault of a tiny built-in program, narrated step
 * by step — what each layer does, the source its cost comes from, what it
 * cost — then its ladder (tools/ladder.c); --compare puts two modes' same
 * fault side by side, layer by layer.  The narration is the step table's
 * (traces/events.h: each step's doc and cost parameter) and the parameter
 * table's (each parameter's source), rendered over the run's event log. */
#include "tools/cli.h"
#include "tools/ladder.h"
#include "tools/quiz.h"
#include "traces/events.h"
#include "hv-models/hv.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *explain_usage =
  "usage: faultline explain --mode M [--cpu intel|amd] [--kind KIND] [--compare M2]\n"
  "                         [--preset P] [--set k=v]...\n"
  "\n"
  "Runs a tiny built-in program (it maps three anonymous pages, writes the\n"
  "first, reads the second, forks a child that writes the first, waits for\n"
  "it and writes the first again), picks one fault of the asked kind that\n"
  "the program took itself, and tells it step by step: the layer, what the\n"
  "step does, the parameter its cost comes from and that parameter's source,\n"
  "its cycles; then draws its ladder.  --compare M2 tells the same fault\n"
  "under a second mode and sets the two side by side, layer by layer.\n"
  "\n"
  "  --mode M         the fault-handling mode (`faultline modes`)\n"
  "  --cpu intel|amd  the vendor (VMX/EPT or SVM/NPT under the HVM modes)\n"
  "  --kind KIND      anon_new (default: a first write to anonymous memory),\n"
  "                   anon_zero_page, cow, write_upgrade, or file (the\n"
  "                   program's first instruction fetch)\n"
  "  --compare M2     the same fault under mode M2 too\n"
  "  --preset P, --set k=v   the machine's parameters (both modes)\n"
  "  --ascii, --unicode, --no-color   as `faultline show`\n"
  "  -h, --help       this text\n";

static const struct fl_param_def *param_def(const char *name) {
  for (int t = 0; params_tables[t]; t++)
    for (int i = 0; params_tables[t][i].name; i++)
      if (!strcmp(params_tables[t][i].name, name)) return &params_tables[t][i];
  return NULL;
}

static const char *kind_sentence(const char *kind) {
  if (!strcmp(kind, "anon_new")) return "a first write to anonymous memory: the kernel gives the page a zeroed frame";
  if (!strcmp(kind, "anon_zero_page")) return "a first read of anonymous memory: the kernel maps the shared zero page read-only";
  if (!strcmp(kind, "cow")) return "a write to a page shared copy-on-write after fork: the kernel copies it";
  if (!strcmp(kind, "write_upgrade")) return "a write to a read-only page the process now owns alone: the kernel makes it writable, no copy";
  if (!strcmp(kind, "file")) return "the program's first instruction fetch: the kernel maps its code from the page cache";
  return kind;
}

/* one run of the built-in program: its events */
static void run_guest(struct llog *l, const char *guest, const char *mode, const char *cpu, char **sets, int nsets) {
  char *argv[64];
  int n = 0;
  argv[n++] = (char *)"explain";
  argv[n++] = (char *)"--";
  argv[n++] = (char *)guest;
  char *pass[80];
  int np = 0;
  pass[np++] = (char *)"--clean-env";   /* the same stack (and fault numbers) everywhere */
  pass[np++] = (char *)"--mode";
  pass[np++] = (char *)mode;
  pass[np++] = (char *)"--cpu";
  pass[np++] = (char *)cpu;
  for (int i = 0; i < nsets && np < 78; i++) pass[np++] = sets[i];
  events_load(l, n, argv, 2, NULL, pass, np, "explain");
}

/* text at an indent, wrapped at 100 columns */
static void wrap(FILE *f, int indent, const char *text) {
  int col = 0;
  const char *p = text;
  while (*p) {
    const char *w = p;
    while (*w && *w != ' ') w++;
    int len = (int)(w - p);
    if (col && col + 1 + len > 100) { fputc('\n', f); col = 0; }
    if (!col) { fprintf(f, "%*s", indent, ""); col = indent; }
    else { fputc(' ', f); col++; }
    fwrite(p, 1, (size_t)len, f);
    col += len;
    p = *w ? w + 1 : w;
  }
  if (col) fputc('\n', f);
}

static void narrate(FILE *f, const struct llog *l, size_t root, bool amd) {
  size_t end = ladder_subtree_end(l, root);
  int k = 0;
  for (size_t i = root + 1; i < end; i++) {
    const struct lstep *e = &l->e[i];
    const struct ev_step_info *s = &ev_steps[e->step];
    char cost[64] = "";
    if (s->cost) {
      snprintf(cost, sizeof cost, "%s", s->cost);
      if (amd && !strncmp(cost, "vmx.", 4)) memcpy(cost, "svm", 3);
    }
    char head[400];
    snprintf(head, sizeof head, "%3d. %*s%s [%s] %llu cycles%s%s", ++k, 2 * (e->depth - l->e[root].depth - 1), "",
             s->name, ev_layer_names[e->layer], (unsigned long long)e->self, e->fields[0] ? "  " : "", e->fields);
    fprintf(f, "%.100s\n", head);
    int ind = 5 + 2 * (e->depth - l->e[root].depth - 1);
    char text[512];
    snprintf(text, sizeof text, "%s.", s->doc);
    wrap(f, ind, text);
    const struct fl_param_def *d = cost[0] ? param_def(cost) : NULL;
    if (d)
      snprintf(text, sizeof text, "cost: %s (default %llu %s); source: %s", d->name, (unsigned long long)d->def,
               d->unit, d->source);
    else if (e->step == EV_S_FAULT)
      snprintf(text, sizeof text, "a fault taken inside this one: %s, %s", e->kind,
               e->visible ? "seen by the guest kernel" : "hidden from the guest kernel");
    else
      snprintf(text, sizeof text, "cost: its memory accesses only (no cost parameter)");
    wrap(f, ind, text);
  }
}

static void per_layer(const struct llog *l, size_t root, uint64_t out[EV_L__COUNT]) {
  memset(out, 0, EV_L__COUNT * sizeof *out);
  size_t end = ladder_subtree_end(l, root);
  for (size_t i = root + 1; i < end; i++) out[l->e[i].layer] += l->e[i].self;
}

int cmd_explain(int argc, char **argv) {
  enum { O_MODE = 256, O_CPU, O_KIND, O_COMPARE, O_PRESET, O_SET, O_ASCII, O_UNICODE, O_NOCOLOR };
  static const struct option opts[] = {
    {"mode", 1, 0, O_MODE}, {"cpu", 1, 0, O_CPU}, {"kind", 1, 0, O_KIND}, {"compare", 1, 0, O_COMPARE},
    {"preset", 1, 0, O_PRESET}, {"set", 1, 0, O_SET}, {"ascii", 0, 0, O_ASCII}, {"unicode", 0, 0, O_UNICODE},
    {"no-color", 0, 0, O_NOCOLOR}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *mode = NULL, *cpu = "intel", *kind = "anon_new", *cmp = NULL;
  char **sets = calloc((size_t)argc * 2 + 2, sizeof *sets);
  int nsets = 0, ch;
  bool ascii = false, unicode = false, nocolor = false;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (ch) {
    case O_MODE: mode = optarg; break;
    case O_CPU:
      if (strcmp(optarg, "intel") && strcmp(optarg, "amd")) die("--cpu takes intel or amd, not '%s'", optarg);
      cpu = optarg;
      break;
    case O_KIND:
      if (strcmp(optarg, "anon_new") && strcmp(optarg, "anon_zero_page") && strcmp(optarg, "cow") &&
          strcmp(optarg, "write_upgrade") && strcmp(optarg, "file"))
        die("explain's program takes anon_new, anon_zero_page, cow, write_upgrade and file faults, not '%s'", optarg);
      kind = optarg;
      break;
    case O_COMPARE: cmp = optarg; break;
    case O_PRESET: sets[nsets++] = (char *)"--preset"; sets[nsets++] = optarg; break;
    case O_SET: sets[nsets++] = (char *)"--set"; sets[nsets++] = optarg; break;
    case O_ASCII: ascii = true; break;
    case O_UNICODE: unicode = true; break;
    case O_NOCOLOR: nocolor = true; break;
    case 'h': fputs(explain_usage, stdout); free(sets); return 0;
    default: die("unknown or incomplete option '%s' (see `faultline explain --help`)", argv[optind - 1]);
    }
  }
  if (optind < argc) die("explain runs its own program: unexpected '%s'", argv[optind]);
  if (!mode) die("%s", "which mode? --mode M (see `faultline modes`)");
  if (!hv_find_mode(mode)) die("unknown mode '%s' (see `faultline modes`)", mode);
  if (cmp && !hv_find_mode(cmp)) die("unknown mode '%s' (see `faultline modes`)", cmp);
  char guest[] = "/tmp/faultline-explain.XXXXXX";
  if (builtin_guest_write(guest)) die("%s", "cannot write the built-in program");
  struct llog a, b;
  run_guest(&a, guest, mode, cpu, sets, nsets);
  if (cmp) run_guest(&b, guest, cmp, cpu, sets, nsets);
  unlink(guest);
  free(sets);
  /* the first of the kind the program took itself (ladder_pick prefers a
   * user-mode access's) */
  long ra = ladder_pick(&a, 0, kind), rb = cmp ? ladder_pick(&b, 0, kind) : -1;
  if (ra < 0) die("the program took no %s fault of its own under this mode", kind);
  if (cmp && rb < 0) die("the program took no %s fault of its own under the compared mode", kind);
  bool tty = isatty(1);
  struct ladder_style st = {.unicode = !ascii && (unicode || tty), .color = tty && !ascii && !nocolor && !getenv("NO_COLOR"),
                            .width = 100};
  bool amd = !strcmp(cpu, "amd");
  const struct lstep *r = &a.e[ra];
  char intro[400];
  snprintf(intro, sizeof intro, "%s; under %s (--cpu %s), fault %llu of the built-in program, %llu cycles in all.",
           kind_sentence(kind), mode, cpu, (unsigned long long)r->fault, (unsigned long long)r->total);
  intro[0] = (char)(intro[0] - 'a' + 'A');
  wrap(stdout, 0, intro);
  printf("\n");
  narrate(stdout, &a, (size_t)ra, amd);
  printf("\n");
  ladder_print(stdout, &a, (size_t)ra, &st);
  if (cmp) {
    const struct lstep *q = &b.e[rb];
    printf("\nthe same fault under %s (fault %llu, %llu cycles):\n\n", cmp, (unsigned long long)q->fault,
           (unsigned long long)q->total);
    narrate(stdout, &b, (size_t)rb, amd);
    printf("\n");
    ladder_print(stdout, &b, (size_t)rb, &st);
    uint64_t la[EV_L__COUNT], lb[EV_L__COUNT];
    per_layer(&a, (size_t)ra, la);
    per_layer(&b, (size_t)rb, lb);
    char diffh[64];
    snprintf(diffh, sizeof diffh, "%s - %s", cmp, mode);
    printf("\n%-14s %12s %12s %20s\n", "layer", mode, cmp, diffh);
    for (int k = 0; k < EV_L__COUNT; k++) {
      if (!la[k] && !lb[k]) continue;
      printf("%-14s %12llu %12llu %+20lld\n", ev_layer_names[k], (unsigned long long)la[k], (unsigned long long)lb[k],
             (long long)lb[k] - (long long)la[k]);
    }
    printf("%-14s %12llu %12llu %+20lld  (%.2fx)\n", "total", (unsigned long long)r->total, (unsigned long long)q->total,
           (long long)q->total - (long long)r->total, r->total ? (double)q->total / (double)r->total : 0.0);
    llog_free(&b);
  }
  llog_free(&a);
  return 0;
}
