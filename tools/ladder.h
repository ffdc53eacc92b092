/* The event tree as a ladder (sequence) diagram: one column per layer
 * that takes part, a row per step, arrows where control moves between
 * layers (tools/ladder.c).  The events come from the jsonl event log (the
 * file form of the event bus: traces/evlog.c), so the ladder renders the
 * one account of what happened. */
#ifndef FAULTLINE_TOOLS_LADDER_H
#define FAULTLINE_TOOLS_LADDER_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct lstep {
  uint64_t id, parent, fault, cycle, self, total;
  int depth, pid, cpu;
  int layer;                 /* enum ev_layer */
  int step;                  /* enum ev_step */
  char fields[160];          /* "va=0x.. err=(..)": the log's fields, as text */
  char kind[32];             /* fault roots: the kind */
  bool visible;
};
/* a {"sample": ...} line (run --log-samples): counters at an instant */
struct lsample {
  uint64_t icount, cycle;
  int cpu, n;
  char name[8][24];
  uint64_t v[8];
};
struct llog {
  struct lstep *e;           /* in opening order (by id) */
  size_t n, cap;
  struct lsample *s;         /* in log order */
  size_t ns, caps;
  char mode[32], cpu[16];
};
/* the events of a jsonl log (log), a trace (argv[optind], replayed) or a
 * program (argv[optind..] after "--", run), with the machine options
 * pass[] (--mode M ...); an error: one faultline: line, exit 125
 * (tools/show_cmd.c) */
void events_load(struct llog *l, int argc, char **argv, int optind, const char *log, char **pass, int npass,
                 const char *what);
/* read a jsonl event log; 0, or -1 with a message in err */
int llog_read(struct llog *l, const char *path, char *err, size_t errlen);
void llog_free(struct llog *l);

struct ladder_style {
  bool unicode;              /* box-drawing characters (else ASCII) */
  bool color;                /* ANSI colours per layer */
  int width;                 /* columns the diagram may use (100) */
};
/* index of the top-level fault event to draw: number `fault` (> 0), else
 * the first of `kind` (non-NULL), else the first the guest saw; -1 none */
long ladder_pick(const struct llog *l, uint64_t fault, const char *kind);
/* the ladder of the fault at index root, then its cycles per layer */
void ladder_print(FILE *f, const struct llog *l, size_t root, const struct ladder_style *st);
/* the events of the fault at root (its subtree): [root, *end) */
size_t ladder_subtree_end(const struct llog *l, size_t root);
#endif
