/* Stats computed from the event bus (the same events the log prints). */
#ifndef FAULTLINE_SIM_STATS_H
#define FAULTLINE_SIM_STATS_H
#include <stdint.h>
#include <stdio.h>
#include "traces/events.h"

struct ev_stats {
  uint64_t faults;                          /* root fault events */
  uint64_t cycles_by_layer[EV_L__COUNT];
  uint64_t cycles_by_step[EV_S__COUNT];
  uint64_t count_by_step[EV_S__COUNT];
  uint64_t fault_cycles_total;
  /* per-fault check: steps of each fault add up to its total */
  uint64_t cur_fault_sum;
};
void ev_stats_sink(void *ctx, const struct ev *e);

/* Minimal JSON writer (objects, keys, integers, strings). */
struct json {
  FILE *f;
  int depth;
  int first[32];
};
void json_begin(struct json *j, FILE *f);
void json_obj(struct json *j, const char *key);     /* key NULL at top level */
void json_end(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_str(struct json *j, const char *key, const char *v);
void json_dbl(struct json *j, const char *key, double v, int decimals);
#endif
