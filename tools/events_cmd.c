/* `faultline events`: the event vocabulary (layers, fault kinds, steps
 * with their cost parameters and fields), printed from the tables in
 * traces/events.h — the same tables the logs, stats and views use.
 * docs/events.md embeds the --markdown form (a test keeps it current). */
#include "traces/events.h"
#include <stdio.h>
#include <string.h>

static const char *const class_names[] = {"guest", "hidden", "intercept"};

static void fields_of(const struct ev_step_info *s, char *buf, size_t n) {
  snprintf(buf, n, "%s%s%s", s->fva ? ev_field_names[s->fva] : "",
           s->fva && s->farg ? ", " : "", s->farg ? ev_field_names[s->farg] : "");
  if (!s->fva && !s->farg) snprintf(buf, n, "-");
}

static void print_markdown(FILE *o) {
  fputs("### Layers\n\n| layer | what runs there |\n|---|---|\n", o);
  for (int i = 0; i < EV_L__COUNT; i++) fprintf(o, "| `%s` | %s |\n", ev_layer_names[i], ev_layer_docs[i]);
  fputs("\n### Fault kinds\n\n| kind | class | meaning |\n|---|---|---|\n", o);
  for (int i = 0; i < EV_K__COUNT; i++)
    fprintf(o, "| `%s` | %s | %s |\n", ev_kind_names[i], class_names[ev_kind_class[i]], ev_kind_docs[i]);
  fputs("\n### Steps\n\n| step | layer | cost parameter | fields | what it is |\n|---|---|---|---|---|\n", o);
  for (int i = 0; i < EV_S__COUNT; i++) {
    const struct ev_step_info *s = &ev_steps[i];
    char f[64], cost[64];
    fields_of(s, f, sizeof f);
    if (s->cost) snprintf(cost, sizeof cost, "`%s`", s->cost);
    else snprintf(cost, sizeof cost, "-");
    fprintf(o, "| `%s` | %s | %s | %s | %s |\n", s->name, ev_layer_names[s->layer], cost, f, s->doc);
  }
}

static void print_text(FILE *o) {
  fputs("layers:\n", o);
  for (int i = 0; i < EV_L__COUNT; i++) fprintf(o, "  %-14s %s\n", ev_layer_names[i], ev_layer_docs[i]);
  fputs("\nfault kinds:\n", o);
  for (int i = 0; i < EV_K__COUNT; i++)
    fprintf(o, "  %-16s %-9s %s\n", ev_kind_names[i], class_names[ev_kind_class[i]], ev_kind_docs[i]);
  fputs("\nsteps (layer, cost parameter, fields):\n", o);
  for (int i = 0; i < EV_S__COUNT; i++) {
    const struct ev_step_info *s = &ev_steps[i];
    char f[64];
    fields_of(s, f, sizeof f);
    fprintf(o, "  %-23s %-13s %-28s %s\n  %23s %s\n", s->name, ev_layer_names[s->layer],
            s->cost ? s->cost : "-", f, "", s->doc);
  }
}

int cmd_events(int argc, char **argv) {
  bool md = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--markdown")) md = true;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      puts("usage: faultline events [--markdown]\n\n"
           "Lists the event vocabulary: the layers, the fault kinds (the stats'\n"
           "page_faults.by_kind and --log-filter kind=), and every step of every\n"
           "mode with its layer, the cost parameter that prices it and its fields.\n"
           "docs/events.md explains the jsonl log these name.");
      return 0;
    } else {
      fprintf(stderr, "faultline: events: unknown option '%s' (see `faultline events --help`)\n", argv[i]);
      return 125;
    }
  }
  if (md) print_markdown(stdout);
  else print_text(stdout);
  return 0;
}
