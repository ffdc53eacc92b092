/* The ladder diagram of one fault (ladder.h). */
#include "tools/ladder.h"
#include "traces/events.h"
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* ---- the jsonl log ---- */
static int by_id(const void *a, const void *b) {
  const struct lstep *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static uint64_t u64_of(struct json_object *o, const char *k) {
  struct json_object *v;
  return json_object_object_get_ex(o, k, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

int llog_read(struct llog *l, const char *path, char *err, size_t errlen) {
  memset(l, 0, sizeof *l);
  FILE *f = fopen(path, "r");
  if (!f) { snprintf(err, errlen, "cannot read %s", path); return -1; }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int lineno = 0;
  while ((len = getline(&line, &cap, f)) > 0) {
    lineno++;
    struct json_object *o = json_tokener_parse(line);
    if (!o || !json_object_is_type(o, json_type_object)) {
      snprintf(err, errlen, "%s:%d: not a JSON object (a jsonl event log: run --log F --log-format jsonl)", path, lineno);
      if (o) json_object_put(o);
      free(line);
      fclose(f);
      return -1;
    }
    struct json_object *v;
    if (json_object_object_get_ex(o, "schema", &v)) {      /* the header line */
      if (json_object_object_get_ex(o, "mode", &v)) snprintf(l->mode, sizeof l->mode, "%s", json_object_get_string(v));
      if (json_object_object_get_ex(o, "cpu", &v)) snprintf(l->cpu, sizeof l->cpu, "%s", json_object_get_string(v));
      json_object_put(o);
      continue;
    }
    if (json_object_object_get_ex(o, "sample", &v) && json_object_is_type(v, json_type_object)) {
      if (l->ns == l->caps) {
        l->caps = l->caps ? l->caps * 2 : 64;
        l->s = realloc(l->s, l->caps * sizeof *l->s);
      }
      struct lsample *sm = &l->s[l->ns++];
      memset(sm, 0, sizeof *sm);
      json_object_object_foreach(v, key, val) {
        uint64_t x = (uint64_t)json_object_get_int64(val);
        if (!strcmp(key, "icount")) sm->icount = x;
        else if (!strcmp(key, "cycle")) sm->cycle = x;
        else if (!strcmp(key, "cpu")) sm->cpu = (int)x;
        else if (sm->n < 8) { snprintf(sm->name[sm->n], sizeof sm->name[0], "%s", key); sm->v[sm->n++] = x; }
      }
      json_object_put(o);
      continue;
    }
    struct json_object *js, *jl;
    if (!json_object_object_get_ex(o, "step", &js) || !json_object_object_get_ex(o, "layer", &jl)) {
      json_object_put(o);                                  /* a summary line */
      continue;
    }
    int step = ev_step_by_name(json_object_get_string(js));
    const char *ln = json_object_get_string(jl);
    int layer = ev_layer_by_name(ln, strlen(ln));
    if (step < 0 || layer < 0) {
      snprintf(err, errlen, "%s:%d: unknown step or layer", path, lineno);
      json_object_put(o);
      free(line);
      fclose(f);
      return -1;
    }
    if (l->n == l->cap) {
      l->cap = l->cap ? l->cap * 2 : 1024;
      l->e = realloc(l->e, l->cap * sizeof *l->e);
    }
    struct lstep *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->id = u64_of(o, "id");
    e->parent = u64_of(o, "parent");
    e->fault = u64_of(o, "fault");
    e->cycle = u64_of(o, "cycle");
    e->self = u64_of(o, "self");
    e->total = u64_of(o, "total");
    e->depth = (int)u64_of(o, "depth");
    e->pid = (int)u64_of(o, "pid");
    e->cpu = (int)u64_of(o, "cpu");
    e->layer = layer;
    e->step = step;
    if (json_object_object_get_ex(o, "visible", &v)) e->visible = json_object_get_boolean(v);
    struct json_object *fl;
    if (json_object_object_get_ex(o, "fields", &fl)) {
      size_t at = 0;
      json_object_object_foreach(fl, key, val) {
        const char *s = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
                                                                  : json_object_to_json_string(val);
        if (!strcmp(key, "kind")) snprintf(e->kind, sizeof e->kind, "%s", s);
        if (!strcmp(key, "err")) at += (size_t)snprintf(e->fields + at, at < sizeof e->fields ? sizeof e->fields - at : 0,
                                                       "%serr=(%s)", at ? " " : "", s);
        else at += (size_t)snprintf(e->fields + at, at < sizeof e->fields ? sizeof e->fields - at : 0,
                                    "%s%s=%s", at ? " " : "", key, s);
      }
    }
    json_object_put(o);
  }
  free(line);
  fclose(f);
  qsort(l->e, l->n, sizeof *l->e, by_id);
  return 0;
}

void llog_free(struct llog *l) { free(l->e); free(l->s); memset(l, 0, sizeof *l); }

/* a user-mode access's fault (U in its error code).  Under 64-bit Xen
 * PV the guest kernel runs in ring 3, so its own faults (exec copying the
 * arguments in, a copy to user memory) report U too: the error code Xen
 * bounces to the guest kernel (its xen.bounce step's, U rewritten) tells
 * the two apart. */
static bool user_fault(const struct llog *l, size_t i) {
  const char *err = strstr(l->e[i].fields, "err=(");
  if (!err || !strstr(err, " U")) return false;
  for (size_t j = i + 1; j < l->n && l->e[j].depth > l->e[i].depth; j++)
    if (l->e[j].step == EV_S_XEN_BOUNCE && l->e[j].depth == l->e[i].depth + 1) {
      const char *g = strstr(l->e[j].fields, "err=(");
      return !g || strstr(g, " U");
    }
  return true;
}

long ladder_pick(const struct llog *l, uint64_t fault, const char *kind) {
  long first = -1, first_user = -1;
  for (size_t i = 0; i < l->n; i++) {
    const struct lstep *e = &l->e[i];
    if (e->step != EV_S_FAULT) continue;
    if (fault) { if (e->fault == fault) return (long)i; continue; }
    if (e->depth) continue;
    if (kind ? strcmp(e->kind, kind) != 0 : !e->visible) continue;
    if (first < 0) first = (long)i;
    if (user_fault(l, i)) { first_user = (long)i; break; }
  }
  return first_user >= 0 ? first_user : first;
}

size_t ladder_subtree_end(const struct llog *l, size_t root) {
  size_t j = root + 1;
  while (j < l->n && l->e[j].depth > l->e[root].depth) j++;
  return j;
}

/* ---- drawing ---- */
/* columns, left to right: the program, the kernels above the hardware,
 * the layers under them, the hardware */
static const int column_order[] = {EV_L_USER, EV_L_GUEST_KERNEL, EV_L_VKERNEL, EV_L_LIBOS, EV_L_EXTENSION,
                                   EV_L_HYPERVISOR, EV_L_HOST_KERNEL, EV_L_HW};
#define NCOLS_MAX 8
static const char *const layer_color[EV_L__COUNT] = {
  [EV_L_HW] = "\033[90m", [EV_L_HOST_KERNEL] = "\033[35m", [EV_L_HYPERVISOR] = "\033[31m",
  [EV_L_GUEST_KERNEL] = "\033[34m", [EV_L_VKERNEL] = "\033[36m", [EV_L_LIBOS] = "\033[32m",
  [EV_L_EXTENSION] = "\033[33m", [EV_L_USER] = "\033[1m"};
#define RESET "\033[0m"

/* what moves control into step s from the previous row's layer (prev:
 * the previous row's step; shallower: s is less deeply nested than it) */
static const char *transfer(int s, int prev, bool shallower) {
  switch (s) {
  case EV_S_EXC_DELIVER: return "exception";
  case EV_S_VM_EXIT: return "VM exit";
  case EV_S_VM_ENTRY: return "VM entry";
  case EV_S_HOST_TRAP: return "trap";
  case EV_S_HOST_SIGSEGV: return "signal";
  case EV_S_XEN_HYPERCALL: case EV_S_XEN_MULTICALL: return "hypercall";
  case EV_S_EXO_SYSCALL: return "syscall";
  case EV_S_VKERNEL_VMSPACE_CTL: return "vmspace_ctl";
  case EV_S_HOST_VMSPACE_RETURN: return "return";
  case EV_S_FAULT: return "fault";
  case EV_S_SPIN_HANDLER: return "call";   /* the dispatcher calls the extension */
  default: break;
  }
  switch (prev) {
  case EV_S_EXC_DELIVER: return "exception";
  case EV_S_VM_EXIT: return "VM exit";
  case EV_S_VM_ENTRY: return "VM entry";
  case EV_S_EXO_UPCALL: case EV_S_XOK_UPCALL: return "upcall";
  case EV_S_XEN_BOUNCE: return "bounce";
  case EV_S_HOST_SIGSEGV: return "signal";
  case EV_S_EXO_RESUME: case EV_S_XEN_IRET: case EV_S_KERNEL_EXIT: case EV_S_LIBOS_RESUME:
  case EV_S_HOST_SIGRETURN: return "return";
  default: break;
  }
  return shallower ? "return" : "call";
}

struct canvas {
  const struct ladder_style *st;
  int cols[NCOLS_MAX], ncols, colw;
  int col_of[EV_L__COUNT];
};

/* One row of lanes: each lane colw cells wide with its line in cell 1;
 * the step's mark on its lane (at; -1: none) and, from lane `from` (-1:
 * none), an arrow into it. */
static void put_lanes(FILE *f, const struct canvas *c, int at, int from, const char *mark) {
  const struct ladder_style *st = c->st;
  const char *bar = st->unicode ? "│" : "|", *dash = st->unicode ? "─" : "-";
  const char *rarr = st->unicode ? "▶" : ">", *larr = st->unicode ? "◀" : "<";
  int w = c->ncols * c->colw;
  const char *cell[NCOLS_MAX * 16];
  int tint[NCOLS_MAX * 16];            /* the layer whose colour a cell takes */
  for (int x = 0; x < w; x++) {
    bool line = x % c->colw == 1;
    cell[x] = line ? bar : " ";
    tint[x] = line ? c->cols[x / c->colw] : -1;
  }
  if (at >= 0) {
    int b = at * c->colw + 1;
    if (from >= 0 && from != at) {
      int a = from * c->colw + 1, lo = a < b ? a : b, hi = a < b ? b : a;
      for (int x = lo + 1; x < hi; x++) { cell[x] = dash; tint[x] = c->cols[at]; }
      if (a < b) cell[b - 1] = rarr;
      else cell[b + 1] = larr;
    }
    cell[b] = mark;
    tint[b] = c->cols[at];
  }
  for (int x = 0; x < w; x++) {
    bool colored = st->color && tint[x] >= 0;
    fprintf(f, "%s%s%s", colored ? layer_color[tint[x]] : "", cell[x], colored ? RESET : "");
  }
}

static void commas(char *b, size_t n, uint64_t v) {
  char t[32];
  int len = snprintf(t, sizeof t, "%llu", (unsigned long long)v), o = 0;
  for (int i = 0; i < len && o + 2 < (int)n; i++) {
    if (i && (len - i) % 3 == 0) b[o++] = ',';
    b[o++] = t[i];
  }
  b[o] = 0;
}

void ladder_print(FILE *f, const struct llog *l, size_t root, const struct ladder_style *st) {
  const struct lstep *r = &l->e[root];
  size_t end = ladder_subtree_end(l, root);
  struct canvas c = {.st = st};
  /* where the fault came from: the program, or (a supervisor access: a
   * copy, a page-table store) the kernel it runs on */
  int origin = EV_L_USER;
  if (!user_fault(l, root) && strstr(r->fields, "err=("))
    origin = !strcmp(l->mode, "vkernel") ? EV_L_VKERNEL : !strcmp(l->mode, "exokernel") ? EV_L_LIBOS : EV_L_GUEST_KERNEL;
  bool present[EV_L__COUNT] = {[0] = false};
  present[origin] = true;
  for (size_t i = root + 1; i < end; i++) present[l->e[i].layer] = true;
  for (int k = 0; k < EV_L__COUNT; k++) c.col_of[k] = -1;
  for (size_t k = 0; k < sizeof column_order / sizeof *column_order; k++)
    if (present[column_order[k]]) { c.col_of[column_order[k]] = c.ncols; c.cols[c.ncols++] = column_order[k]; }
  int width = st->width > 60 ? st->width : 100;
  /* the text after the lanes: step (24), cycles and total (9 each), the
   * transfer's label (up to 16) */
  c.colw = (width - 60) / c.ncols;
  if (c.colw > 13) c.colw = 13;
  if (c.colw < 5) c.colw = 5;
  char tot[32];
  commas(tot, sizeof tot, r->total);
  fprintf(f, "fault %llu: pid %d, mode %s, %s cycles, %s\n  %s\n", (unsigned long long)r->fault, r->pid,
          l->mode[0] ? l->mode : "?", tot, r->visible ? "seen by the guest kernel" : "hidden from the guest kernel",
          r->fields);
  /* the column heads */
  for (int i = 0; i < c.ncols; i++) {
    const char *name = ev_layer_names[c.cols[i]];
    char head[32];
    snprintf(head, sizeof head, "%.*s", c.colw - 1, name);
    fprintf(f, "%s%-*s%s", st->color ? layer_color[c.cols[i]] : "", c.colw, head, st->color ? RESET : "");
  }
  fprintf(f, "%-24s %9s %9s\n", "step", "cycles", "total");
  const char *dot = st->unicode ? "●" : "*";
  int prev_col = c.col_of[origin], prev_step = -1, prev_depth = r->depth + 1;
  uint64_t running = 0, by_layer[EV_L__COUNT] = {0};
  for (size_t i = root + 1; i < end; i++) {
    const struct lstep *e = &l->e[i];
    int col = c.col_of[e->layer];
    put_lanes(f, &c, col, col != prev_col ? prev_col : -1, dot);
    running += e->self;
    by_layer[e->layer] += e->self;
    int indent = 2 * (e->depth - r->depth - 1);
    char name[64], cyc[32], run[32];
    int room = 24 - (int)strlen(ev_steps[e->step].name);   /* the name whole, the indent what fits */
    snprintf(name, sizeof name, "%*s%s", indent < room ? indent : room > 0 ? room : 0, "", ev_steps[e->step].name);
    commas(cyc, sizeof cyc, e->self);
    commas(run, sizeof run, running);
    fprintf(f, "%-24.24s %9s %9s", name, cyc, run);
    /* the transfer and a nested fault's kind, in what is left of the width */
    char tail[80] = "";
    int tn = 0;
    if (col != prev_col) tn = snprintf(tail, sizeof tail, " [%s]", transfer(e->step, prev_step, e->depth < prev_depth));
    if (e->step == EV_S_FAULT && e->kind[0] && tn >= 0 && tn < (int)sizeof tail)
      snprintf(tail + tn, sizeof tail - (size_t)tn, " %s", e->kind);
    int avail = width - c.ncols * c.colw - 44;
    fprintf(f, "%.*s\n", avail > 0 ? avail : 0, tail);
    prev_col = col;
    prev_step = e->step;
    prev_depth = e->depth;
  }
  /* back to where it came from */
  int ucol = c.col_of[origin];
  if (prev_col != ucol) {
    put_lanes(f, &c, ucol, prev_col, dot);
    fprintf(f, "%-24s %9s %9s [return]\n", origin == EV_L_USER ? "(the program resumes)" : "(the kernel resumes)", "", "");
  }
  /* cycles per layer */
  fputc('\n', f);
  uint64_t max = 0;
  for (int k = 0; k < EV_L__COUNT; k++) if (by_layer[k] > max) max = by_layer[k];
  int barw = width - 32;
  for (size_t k = 0; k < sizeof column_order / sizeof *column_order; k++) {
    int layer = column_order[k];
    if (!by_layer[layer]) continue;
    int n = max ? (int)((by_layer[layer] * (uint64_t)barw + max - 1) / max) : 0;
    char cyc[32];
    commas(cyc, sizeof cyc, by_layer[layer]);
    fprintf(f, "%-13s %9s %5.1f%%  ", ev_layer_names[layer], cyc,
            r->total ? 100.0 * (double)by_layer[layer] / (double)r->total : 0.0);
    if (st->color) fputs(layer_color[layer], f);
    for (int x = 0; x < n; x++) fputs(st->unicode ? "█" : "#", f);
    if (st->color) fputs(RESET, f);
    fputc('\n', f);
  }
}
