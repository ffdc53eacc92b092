/* Shared vocabulary for named cost/geometry parameters.  Each layer
 * declares its own table of these; sim/ gathers them into one registry for
 * presets, --set and `faultline params` (DESIGN.md "Cycle model"). */
#ifndef FAULTLINE_TRACES_PARAMS_H
#define FAULTLINE_TRACES_PARAMS_H
#include <stdint.h>

struct fl_param_def {
  const char *name;          /* e.g. "tlb.l1d.entries" */
  uint64_t def;              /* default value */
  const char *unit;          /* "cycles", "entries", "bool", "bytes", ... */
  const char *doc;           /* one line */
  const char *source;        /* where the default comes from */
};

#endif
