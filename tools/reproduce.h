/* `faultline reproduce`: the published tables, re-run in shape under the
 * modes the papers compare (tools/reproduce_rows.c holds the papers'
 * figures, tools/reproduce_cmd.c runs and compares them). */
#ifndef FAULTLINE_TOOLS_REPRODUCE_H
#define FAULTLINE_TOOLS_REPRODUCE_H

/* one configuration a row runs its experiment under */
struct repro_conf {
  const char *mode, *preset;
  const char *sets[6];       /* --set k=v (NULL-terminated) */
};

enum repro_kind {
  REPRO_RATIO,               /* published base and cmp values: their ratio against the modelled one */
  REPRO_DIFF,                /* published: cmp's cost over base per operation, in cycles */
  REPRO_RANGE_RATIO,         /* published: a range [lo, hi] of cmp/base ratios */
  REPRO_RANGE_SPEEDUP,       /* published: a range [lo, hi] of base/cmp - 1 speedups, in % */
  REPRO_INPUT,               /* a preset's value against the paper's: an input, not a prediction */
};

enum repro_metric {
  METRIC_CYCLES_PER_OP,      /* the region's cycles over the operations the experiment reports */
  METRIC_WALK_CYCLES,        /* the region's page-walk cycles per walk */
};

struct repro_row {
  const char *id;            /* stable: the regression guard matches on it */
  const char *label;
  enum repro_kind kind;
  enum repro_metric metric;
  const char *exp;           /* the experiment's arguments (tools/reproduce/experiments.c);
                                %F: a temporary file of the run's own */
  struct repro_conf base, cmp;
  const char *unit;          /* of the published values: "us", "s", "cycles", "x", "%" */
  double pub_base, pub_cmp;  /* REPRO_RATIO; REPRO_DIFF and REPRO_INPUT: pub_cmp */
  double lo, hi;             /* the ranges */
  const char *input;         /* REPRO_INPUT: "PARAM+PARAM" summed from cmp.preset */
  const char *why;           /* why the row misses by more than 25%, if it does (docs/validation.md) */
};

struct repro_paper {
  const char *name;          /* `faultline reproduce NAME` */
  const char *title;
  const char *what;          /* the machine and what is compared */
  const char *base_label, *cmp_label;   /* the columns' names */
  const struct repro_row *rows;
  int nrows;
};

extern const struct repro_paper repro_papers[];
extern const int repro_npapers;

#endif
