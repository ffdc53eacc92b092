/* Stats computed from the event bus (the same events the log prints). */
#ifndef FAULTLINE_SIM_STATS_H
#define FAULTLINE_SIM_STATS_H
#include <stdint.h>
#include <stdio.h>
#include "traces/events.h"

/* What the stats JSON reports about faults and steps, all counted from
 * the closed steps on the bus (the one account of what happened). */
struct ev_stats {
  uint64_t faults;                          /* fault roots (every kind) */
  uint64_t faults_visible;                  /* ... the guest kernel handled */
  uint64_t faults_hidden;                   /* ... hidden page faults */
  uint64_t intercepts;                      /* ... VM exits that are not page faults */
  uint64_t by_kind[EV_K__COUNT];
  uint64_t steps;
  uint64_t cycles_by_layer[EV_L__COUNT];    /* sum of self */
  uint64_t cycles_by_step[EV_S__COUNT];     /* sum of self */
  uint64_t count_by_step[EV_S__COUNT];
  uint64_t fault_cycles_total;              /* sum of top-level totals */
};
void ev_stats_sink(void *ctx, const struct ev *e, enum ev_phase ph);

struct sim_config;
struct kernel;
struct hv;
/* the run's stats JSON */
void stats_write(FILE *f, const struct sim_config *cfg, struct kernel *k,
                 const struct ev_stats *es, struct hv *hv, const uint64_t *window);

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
