/* Fault-latency distributions (the stats JSON's fault_latency): every
 * top-level fault's total cycles, per fault kind and for all, and the
 * cycles each layer spent in it, computed from the closed steps on the
 * event bus like every other stat.  Percentiles are exact (nearest rank
 * over every value), the histogram has log2 buckets. */
#include "sim/stats.h"
#include <stdlib.h>
#include <string.h>

static void push(struct lat_series *s, uint64_t v) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *p = realloc(s->v, cap * sizeof *p);
    if (!p) return;                  /* (out of host memory: the value is left out) */
    s->v = p;
    s->cap = cap;
  }
  s->v[s->n++] = v;
  s->log2[v ? 63 - __builtin_clzll(v) : 0]++;
  if (v > s->max) s->max = v;
}

void latency_event(struct ev_latency *l, const struct ev *e, enum ev_phase ph) {
  bool root = e->step == EV_S_FAULT && e->depth == 0;
  if (ph == EV_OPENED) {
    if (root) { memset(l->acc, 0, sizeof l->acc); l->open = true; }
    return;
  }
  if (l->open) l->acc[e->layer] += e->self;
  if (!root) return;
  l->open = false;
  push(&l->all, e->total);
  if (e->kind < EV_K__COUNT) push(&l->kind[e->kind], e->total);
  for (int i = 0; i < EV_L__COUNT; i++)
    if (l->acc[i]) push(&l->layer[i], l->acc[i]);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* nearest rank: the smallest value with at least p% of them at or below */
uint64_t latency_percentile(struct lat_series *s, unsigned p) {
  if (!s->n) return 0;
  if (!s->sorted) { qsort(s->v, s->n, sizeof *s->v, cmp_u64); s->sorted = true; }
  size_t rank = (s->n * p + 99) / 100;
  return s->v[rank ? rank - 1 : 0];
}

static void series_json(struct json *j, const char *key, struct lat_series *s) {
  json_obj(j, key);
  json_u64(j, "count", s->n);
  json_u64(j, "p50", latency_percentile(s, 50));
  json_u64(j, "p90", latency_percentile(s, 90));
  json_u64(j, "p99", latency_percentile(s, 99));
  json_u64(j, "max", s->max);
  /* log2 buckets: entry i counts the values v with 2^i <= v < 2^(i+1) (0 and 1 in entry 0) */
  int top = 0;
  for (int i = 0; i < 64; i++) if (s->log2[i]) top = i;
  json_arr_u64(j, "log2", s->log2, top + 1);
  json_end(j);
}

void latency_json(struct json *j, struct ev_latency *l) {
  json_obj(j, "fault_latency");
  series_json(j, "all", &l->all);
  for (int k = 0; k < EV_K__COUNT; k++)
    if (l->kind[k].n) series_json(j, ev_kind_names[k], &l->kind[k]);
  json_obj(j, "layers");
  for (int i = 0; i < EV_L__COUNT; i++)
    if (l->layer[i].n) series_json(j, ev_layer_names[i], &l->layer[i]);
  json_end(j);
  json_end(j);
}

void latency_reset(struct ev_latency *l) {
  struct lat_series *all[2 + EV_K__COUNT + EV_L__COUNT];
  int n = 0;
  all[n++] = &l->all;
  for (int k = 0; k < EV_K__COUNT; k++) all[n++] = &l->kind[k];
  for (int i = 0; i < EV_L__COUNT; i++) all[n++] = &l->layer[i];
  for (int i = 0; i < n; i++) free(all[i]->v);
  memset(l, 0, sizeof *l);
}
