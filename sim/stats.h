/* Stats computed from the event bus (the same events the log prints). */
#ifndef FAULTLINE_SIM_STATS_H
#define FAULTLINE_SIM_STATS_H
#include <stdint.h>
#include <stdio.h>
#include "traces/events.h"

/* Fault-latency distributions (latency.c): the values of one series */
struct lat_series {
  uint64_t *v;
  size_t n, cap;
  bool sorted;
  uint64_t log2[64];                        /* log2 buckets of the values */
  uint64_t max;
};
struct ev_latency {
  struct lat_series all, kind[EV_K__COUNT], layer[EV_L__COUNT];
  uint64_t acc[EV_L__COUNT];                /* the open fault's cycles by layer */
  bool open;
};
void latency_event(struct ev_latency *l, const struct ev *e, enum ev_phase ph);
uint64_t latency_percentile(struct lat_series *s, unsigned p);   /* nearest rank */
void latency_reset(struct ev_latency *l);  /* frees the values, zeroes */

/* What the stats JSON reports about faults and steps, all counted from
 * the closed steps on the bus (the one account of what happened). */
struct ev_stats {
  uint64_t faults;                          /* fault roots (every kind) */
  uint64_t faults_visible;                  /* ... the guest kernel handled */
  uint64_t faults_hidden;                   /* ... hidden page faults */
  uint64_t intercepts;                      /* ... VM exits that are not page faults */
  uint64_t by_kind[EV_K__COUNT];
  /* faults by the layer that handled them: where the guest kernel's
   * decision ran (vma.lookup) for a visible one, else the first layer
   * below the hardware that took it */
  uint64_t faults_by_layer[EV_L__COUNT];
  struct ev_open_fault { uint16_t depth; uint8_t layer; bool decided; } open_faults[32];
  int nopen_faults;
  uint64_t steps;
  uint64_t cycles_by_layer[EV_L__COUNT];    /* sum of self */
  uint64_t cycles_by_step[EV_S__COUNT];     /* sum of self */
  uint64_t count_by_step[EV_S__COUNT];
  uint64_t fault_cycles_total;              /* sum of top-level totals */
  struct ev_latency lat;                    /* each top-level fault's cycles */
};
void ev_stats_sink(void *ctx, const struct ev *e, enum ev_phase ph);
/* zero every count (a replay's window), freeing what the latencies hold */
void ev_stats_reset(struct ev_stats *s);

struct sim_config;
struct kernel;
struct hv;
/* the run's stats JSON */
void stats_write(FILE *f, const struct sim_config *cfg, struct kernel *k,
                 struct ev_stats *es, struct hv *hv, const uint64_t *window, const char *region);

/* Minimal JSON writer (objects, keys, integers, strings). */
/* the stats JSON's layout version (docs/stats.schema.json): raised when a
 * key changes meaning or goes away */
#define STATS_SCHEMA_VERSION 1

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
void json_arr_u64(struct json *j, const char *key, const uint64_t *v, int n);
void json_arr_str(struct json *j, const char *key, char *const *v);   /* v: NULL-terminated */
void json_raw(struct json *j, const char *key, const char *text);   /* text: a JSON value */
/* the fault_latency object (latency.c) */
void latency_json(struct json *j, struct ev_latency *l);
#endif
