/* `faultline export --perfetto`: the event tree as Chrome/Perfetto
 * trace-event JSON (the object form, {"traceEvents": [...]}), for
 * ui.perfetto.dev: a track per (vCPU, layer), a complete ("X") slice per
 * step, instant events for exits, entries, injections and upcalls,
 * counters of faults per interval, and a flow per fault linking its steps
 * across layers.  The events come from the jsonl event log (ladder.h's
 * events_load), so the export renders the one account of what happened. */
#include "tools/cli.h"
#include "tools/ladder.h"
#include "traces/events.h"
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *export_usage =
  "usage: faultline export --perfetto OUT.json [--fault N] [--window FROM-TO] [--interval C] [--samples N]\n"
  "                        [--mode M] [--cpu intel|amd] [--preset P] [--set k=v]... [--mem SIZE] [--cpus N]\n"
  "                        (TRACE | --log FILE.jsonl | -- PROGRAM [ARGS...])\n"
  "\n"
  "Writes the event tree of a run (a trace replayed, a program run, or a jsonl\n"
  "event log) as Chrome/Perfetto trace-event JSON that opens in ui.perfetto.dev\n"
  "or chrome://tracing: one process per vCPU, one thread (track) per layer;\n"
  "a slice per step (nested as the steps are); instant events for VM exits and\n"
  "entries, #PF injections, exception deliveries and upcalls; counter tracks\n"
  "of faults and fault cycles per interval and, from the log's samples, of TLB\n"
  "misses and page walks; a flow per fault joining its steps across layers.\n"
  "\n"
  "Time: the format counts microseconds; faultline writes cycles / 1000, so\n"
  "one displayed microsecond is 1,000 cycles (a 1 GHz clock).\n"
  "\n"
  "  --perfetto OUT   the JSON file to write (- for stdout)\n"
  "  --fault N        only the fault numbered N (and what nests in it)\n"
  "  --window A-B     only the top-level steps that start in cycles [A, B)\n"
  "  --interval C     cycles per fault-counter sample (default: the run's span / 200)\n"
  "  --samples N      a PROGRAM is run with --log-samples N: TLB-miss and walk\n"
  "                   counters every N retired instructions (default 20000; a\n"
  "                   log has them if it was written so; a replay has none);\n"
  "                   with --cpus each vCPU's TLB misses at its own counts, the\n"
  "                   walks machine-wide\n"
  "  --log FILE       read this jsonl event log (run --log F --log-format jsonl)\n"
  "  --mode, --cpu, --preset, --set, --mem\n"
  "                   the machine a TRACE is replayed or a PROGRAM run on\n"
  "  --cpus N         a PROGRAM's vCPUs (a TRACE has the recording's)\n"
  "  -h, --help       this text\n";

static struct json_object *jstr(const char *s) { return json_object_new_string(s); }
static struct json_object *jus(uint64_t cycles) {   /* cycles as microseconds (1 GHz) */
  return json_object_new_double((double)cycles / 1000.0);
}

static void meta(struct json_object *arr, const char *name, int pid, int tid, const char *key,
                 struct json_object *val) {
  struct json_object *o = json_object_new_object(), *args = json_object_new_object();
  json_object_object_add(o, "ph", jstr("M"));
  json_object_object_add(o, "name", jstr(name));
  json_object_object_add(o, "pid", json_object_new_int(pid));
  if (tid >= 0) json_object_object_add(o, "tid", json_object_new_int(tid));
  json_object_object_add(args, key, val);
  json_object_object_add(o, "args", args);
  json_object_array_add(arr, o);
}

static struct json_object *event(const char *ph, const char *name, const char *cat, int pid, int tid, uint64_t cycle) {
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "ph", jstr(ph));
  json_object_object_add(o, "name", jstr(name));
  if (cat) json_object_object_add(o, "cat", jstr(cat));
  json_object_object_add(o, "pid", json_object_new_int(pid));
  json_object_object_add(o, "tid", json_object_new_int(tid));
  json_object_object_add(o, "ts", jus(cycle));
  return o;
}

/* the steps an instant event marks (a transfer at a point in time) */
static bool instant_step(int s) {
  return s == EV_S_VM_EXIT || s == EV_S_VM_ENTRY || s == EV_S_HV_INJECT || s == EV_S_EXC_DELIVER ||
         s == EV_S_EXO_UPCALL || s == EV_S_XOK_UPCALL || s == EV_S_XEN_BOUNCE;
}

int cmd_export(int argc, char **argv) {
  enum { O_PERFETTO = 256, O_FAULT, O_WINDOW, O_INTERVAL, O_LOG, O_MODE, O_CPU, O_PRESET, O_SET, O_MEM, O_SAMPLES, O_CPUS };
  static const struct option opts[] = {
    {"perfetto", 1, 0, O_PERFETTO}, {"fault", 1, 0, O_FAULT}, {"window", 1, 0, O_WINDOW},
    {"interval", 1, 0, O_INTERVAL}, {"log", 1, 0, O_LOG}, {"mode", 1, 0, O_MODE}, {"cpu", 1, 0, O_CPU},
    {"preset", 1, 0, O_PRESET}, {"set", 1, 0, O_SET}, {"mem", 1, 0, O_MEM}, {"samples", 1, 0, O_SAMPLES},
    {"cpus", 1, 0, O_CPUS}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *out = NULL, *log = NULL;
  uint64_t fault = 0, from = 0, to = UINT64_MAX, interval = 0;
  char **pass = calloc((size_t)argc * 2 + 16, sizeof *pass);
  int npass = 0, ch;
  const char *samples = "20000";
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (ch) {
    case O_PERFETTO: out = optarg; break;
    case O_FAULT:
      fault = parse_u64(optarg, "bad --fault '%s' (a fault number)");
      if (!fault) die("%s", "--fault counts from 1");
      break;
    case O_WINDOW: {
      char *dash = strchr(optarg, '-');
      if (!dash) die("--window takes FROM-TO (cycles), not '%s'", optarg);
      *dash = 0;
      from = parse_u64(optarg, "bad --window start '%s' (cycles)");
      to = parse_u64(dash + 1, "bad --window end '%s' (cycles)");
      *dash = '-';
      if (to <= from) die("--window %s is empty (FROM-TO with FROM < TO)", optarg);
      break;
    }
    case O_INTERVAL:
      interval = parse_u64(optarg, "bad --interval '%s' (cycles)");
      if (!interval) die("%s", "--interval must be at least 1 cycle");
      break;
    case O_LOG: log = optarg; break;
    case O_SAMPLES:
      if (!parse_u64(optarg, "bad --samples '%s' (retired instructions)")) die("%s", "--samples must be at least 1");
      samples = optarg;
      break;
    case O_MODE: case O_CPU: case O_PRESET: case O_SET: case O_MEM: case O_CPUS:
      pass[npass++] = (char *)(ch == O_MODE ? "--mode" : ch == O_CPU ? "--cpu" : ch == O_PRESET ? "--preset"
                               : ch == O_SET ? "--set" : ch == O_CPUS ? "--cpus" : "--mem");
      pass[npass++] = optarg;
      break;
    case 'h': fputs(export_usage, stdout); free(pass); return 0;
    default: die("unknown or incomplete option '%s' (see `faultline export --help`)", argv[optind - 1]);
    }
  }
  if (!out) die("%s", "which format? --perfetto OUT.json (see `faultline export --help`)");
  if (optind > 1 && !strcmp(argv[optind - 1], "--")) {   /* a program: run it with samples */
    pass[npass++] = (char *)"--log-samples";
    pass[npass++] = (char *)samples;
  }
  struct llog l;
  events_load(&l, argc, argv, optind, log, pass, npass, "export");
  free(pass);

  /* which events: the chosen fault's tree, or the top-level trees in the window */
  bool *keep = calloc(l.n + 1, sizeof *keep);
  size_t nkeep = 0;
  for (size_t i = 0; i < l.n;) {
    const struct lstep *e = &l.e[i];
    size_t end = ladder_subtree_end(&l, i);
    if (e->depth != 0) { i++; continue; }   /* (a tree always starts at depth 0) */
    bool take;
    if (fault) take = false;
    else take = e->cycle >= from && e->cycle < to;
    if (fault)
      for (size_t j = i; j < end; j++)
        if (l.e[j].step == EV_S_FAULT && l.e[j].fault == fault) {
          size_t fe = ladder_subtree_end(&l, j);
          for (size_t k = j; k < fe; k++) keep[k] = true;
          nkeep += fe - j;
          break;
        }
    if (take) { for (size_t j = i; j < end; j++) keep[j] = true; nkeep += end - i; }
    i = end;
  }
  if (!nkeep) {
    if (fault) {
      char num[24];
      snprintf(num, sizeof num, "%llu", (unsigned long long)fault);
      die("no fault numbered %s in the run", num);
    }
    die("%s", "no event in the window (see --window)");
  }

  FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;
  if (!f) die("cannot write %s", out);
  struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
  json_object_object_add(root, "traceEvents", arr);
  json_object_object_add(root, "displayTimeUnit", jstr("ns"));
  struct json_object *md = json_object_new_object();
  json_object_object_add(md, "producer", jstr("faultline export --perfetto"));
  json_object_object_add(md, "mode", jstr(l.mode[0] ? l.mode : "?"));
  json_object_object_add(md, "time", jstr("1 us = 1000 cycles (ts and dur are cycles / 1000)"));
  json_object_object_add(root, "metadata", md);

  /* the tracks: (vCPU, layer) */
  bool track[64][EV_L__COUNT] = {{false}};
  uint64_t first = UINT64_MAX, last = 0;
  for (size_t i = 0; i < l.n; i++) {
    if (!keep[i]) continue;
    int cpu = l.e[i].cpu < 64 ? l.e[i].cpu : 63;
    track[cpu][l.e[i].layer] = true;
    if (l.e[i].cycle < first) first = l.e[i].cycle;
    if (l.e[i].cycle + l.e[i].total > last) last = l.e[i].cycle + l.e[i].total;
  }
  /* top to bottom as the ladder: the program's side first, the hardware last */
  static const int order[] = {EV_L_USER, EV_L_GUEST_KERNEL, EV_L_VKERNEL, EV_L_LIBOS, EV_L_EXTENSION,
                              EV_L_HYPERVISOR, EV_L_HOST_KERNEL, EV_L_HW};
  for (int cpu = 0; cpu < 64; cpu++) {
    bool any = false;
    for (int k = 0; k < EV_L__COUNT; k++) any |= track[cpu][k];
    if (!any) continue;
    char name[32];
    snprintf(name, sizeof name, "vCPU %d", cpu);
    meta(arr, "process_name", cpu, -1, "name", jstr(name));
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
      int layer = order[k];
      if (!track[cpu][layer]) continue;
      meta(arr, "thread_name", cpu, layer + 1, "name", jstr(ev_layer_names[layer]));
      meta(arr, "thread_sort_index", cpu, layer + 1, "sort_index", json_object_new_int((int)k));
    }
  }

  /* slices, instants, flows */
  for (size_t i = 0; i < l.n; i++) {
    if (!keep[i]) continue;
    const struct lstep *e = &l.e[i];
    int tid = e->layer + 1;
    const char *name = ev_steps[e->step].name;
    struct json_object *x = event("X", name, ev_layer_names[e->layer], e->cpu, tid, e->cycle);
    json_object_object_add(x, "dur", jus(e->total));
    struct json_object *args = json_object_new_object();
    json_object_object_add(args, "self_cycles", json_object_new_int64((int64_t)e->self));
    json_object_object_add(args, "total_cycles", json_object_new_int64((int64_t)e->total));
    json_object_object_add(args, "id", json_object_new_int64((int64_t)e->id));
    json_object_object_add(args, "parent", json_object_new_int64((int64_t)e->parent));
    json_object_object_add(args, "fault", json_object_new_int64((int64_t)e->fault));
    json_object_object_add(args, "guest_pid", json_object_new_int(e->pid));
    if (e->fields[0]) json_object_object_add(args, "fields", jstr(e->fields));
    if (e->step == EV_S_FAULT) {
      json_object_object_add(args, "kind", jstr(e->kind));
      json_object_object_add(args, "visible", json_object_new_boolean(e->visible));
    }
    json_object_object_add(x, "args", args);
    json_object_array_add(arr, x);
    if (instant_step(e->step)) {
      struct json_object *in = event("i", name, "transfer", e->cpu, tid, e->cycle);
      json_object_object_add(in, "s", jstr("t"));
      json_object_array_add(arr, in);
    }
    /* a fault's flow: its first step, every step that changes layer, its
     * last step (the arrows of the ladder) */
    if (e->step == EV_S_FAULT && (e->depth == 0 || fault == e->fault)) {
      size_t end = ladder_subtree_end(&l, i);
      int prev_layer = -1;
      size_t pts[4096];
      int np = 0;
      for (size_t j = i + 1; j < end && np < 4096; j++)
        if (l.e[j].layer != prev_layer || j + 1 == end) {
          pts[np++] = j;
          prev_layer = l.e[j].layer;
        }
      char fname[32];
      snprintf(fname, sizeof fname, "fault %llu", (unsigned long long)e->fault);
      for (int k = 0; np >= 2 && k < np; k++) {
        const struct lstep *p = &l.e[pts[k]];
        const char *ph = k == 0 ? "s" : k == np - 1 ? "f" : "t";
        struct json_object *fl = event(ph, fname, "fault", p->cpu, p->layer + 1, p->cycle);
        json_object_object_add(fl, "id", json_object_new_int64((int64_t)e->fault));
        if (k == np - 1) json_object_object_add(fl, "bp", jstr("e"));
        json_object_array_add(arr, fl);
      }
    }
  }

  /* counters: the faults (seen by the guest kernel, hidden) and the
   * cycles of the faults that start in each interval */
  if (first < last) {
    uint64_t span = last - first, step = interval ? interval : (span / 200 ? span / 200 : 1);
    size_t nb = (size_t)(span / step + 1);
    uint64_t *vis = calloc(nb, sizeof *vis), *hid = calloc(nb, sizeof *hid), *cyc = calloc(nb, sizeof *cyc);
    int cpu0 = -1;
    for (size_t i = 0; i < l.n; i++) {
      const struct lstep *e = &l.e[i];
      if (!keep[i] || e->step != EV_S_FAULT || e->depth) continue;
      size_t b = (size_t)((e->cycle - first) / step);
      if (e->visible) vis[b]++;
      else hid[b]++;
      cyc[b] += e->total;
      if (cpu0 < 0) cpu0 = e->cpu;
    }
    for (size_t b = 0; b < nb && cpu0 >= 0; b++) {
      struct json_object *c = event("C", "faults", NULL, cpu0, 0, first + b * step);
      json_object_object_del(c, "tid");
      struct json_object *a = json_object_new_object();
      json_object_object_add(a, "seen by the guest kernel", json_object_new_int64((int64_t)vis[b]));
      json_object_object_add(a, "hidden", json_object_new_int64((int64_t)hid[b]));
      json_object_object_add(c, "args", a);
      json_object_array_add(arr, c);
      struct json_object *c2 = event("C", "fault cycles", NULL, cpu0, 0, first + b * step);
      json_object_object_del(c2, "tid");
      struct json_object *a2 = json_object_new_object();
      json_object_object_add(a2, "cycles", json_object_new_int64((int64_t)cyc[b]));
      json_object_object_add(c2, "args", a2);
      json_object_array_add(arr, c2);
    }
    free(vis);
    free(hid);
    free(cyc);
  }
  /* counters from the log's samples: what happened since the one before
   * (TLB misses per level, page walks), at the earlier one's time */
  /* (a vCPU's own counters, the TLBs', by its earlier sample; the
   * machine-wide ones, walks, by the sample before of any vCPU) */
  uint64_t prev_cycle[64] = {0}, prev_v[64][8] = {{0}}, prev_g[8] = {0};
  for (size_t i = 0; i < l.ns; i++) {
    const struct lsample *sm = &l.s[i];
    int cpu = sm->cpu < 64 ? sm->cpu : 63;
    bool in = sm->cycle > from && prev_cycle[cpu] < to;
    struct json_object *tlbc = NULL, *walkc = NULL;
    if (in && !fault) {
      tlbc = event("C", "TLB misses", NULL, cpu, 0, prev_cycle[cpu]);
      walkc = event("C", "page walks", NULL, cpu, 0, prev_cycle[cpu]);
      json_object_object_del(tlbc, "tid");
      json_object_object_del(walkc, "tid");
    }
    struct json_object *ta = json_object_new_object(), *wa = json_object_new_object();
    for (int k = 0; k < sm->n; k++) {
      const char *nm = sm->name[k];
      size_t ln = strlen(nm);
      uint64_t *prev = ln > 7 && !strcmp(nm + ln - 7, "_misses") ? &prev_v[cpu][k] : &prev_g[k];
      uint64_t d = sm->v[k] - *prev;
      *prev = sm->v[k];
      if (ln > 7 && !strcmp(nm + ln - 7, "_misses")) {
        char lvl[24];
        snprintf(lvl, sizeof lvl, "%.*s", (int)(ln - 7), nm);
        json_object_object_add(ta, lvl, json_object_new_int64((int64_t)d));
      } else if (!strcmp(nm, "walks")) {
        json_object_object_add(wa, "walks", json_object_new_int64((int64_t)d));
      }
    }
    if (tlbc) {
      json_object_object_add(tlbc, "args", ta);
      json_object_object_add(walkc, "args", wa);
      json_object_array_add(arr, tlbc);
      json_object_array_add(arr, walkc);
    } else {
      json_object_put(ta);
      json_object_put(wa);
    }
    prev_cycle[cpu] = sm->cycle;
  }
  const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
  fputs(text, f);
  fputc('\n', f);
  bool werr = ferror(f) != 0;
  if (f != stdout) werr |= fclose(f) != 0;
  json_object_put(root);
  free(keep);
  llog_free(&l);
  if (werr) die("writing %s failed", out);
  return 0;
}
