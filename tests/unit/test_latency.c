/* Fault-latency distributions (sim/latency.c) against hand-computed
 * cases: nearest-rank percentiles, log2 buckets, the per-layer split of a
 * fault's cycles, and only top-level faults counted. */
#include <criterion/criterion.h>
#include "sim/stats.h"

/* a fault root of `kind` whose tree has one child step in `layer` costing
 * `child` cycles and `self` cycles of its own (layer hw) */
static void fault(struct ev_stats *s, int kind, uint64_t self, int layer, uint64_t child) {
  struct ev root = {.step = EV_S_FAULT, .depth = 0, .layer = EV_L_HW, .kind = (uint8_t)kind, .visible = true};
  ev_stats_sink(s, &root, EV_OPENED);
  struct ev c = {.step = EV_S_VMA_LOOKUP, .depth = 1, .layer = (uint8_t)layer, .self = child, .total = child};
  ev_stats_sink(s, &c, EV_OPENED);
  ev_stats_sink(s, &c, EV_CLOSED);
  root.self = self;
  root.total = self + child;
  ev_stats_sink(s, &root, EV_CLOSED);
}

Test(latency, nearest_rank_percentiles) {
  struct ev_stats s = {0};
  /* totals 100, 200, ..., 1000 (ten anon_new faults) and one COW of 5000 */
  for (int i = 1; i <= 10; i++) fault(&s, EV_K_ANON_NEW, 0, EV_L_GUEST_KERNEL, 100u * (unsigned)i);
  fault(&s, EV_K_COW, 1000, EV_L_GUEST_KERNEL, 4000);
  struct lat_series *a = &s.lat.kind[EV_K_ANON_NEW], *all = &s.lat.all;
  cr_expect_eq(a->n, 10);
  /* nearest rank over 10 values: p50 the 5th (500), p90 the 9th (900), p99 the 10th */
  cr_expect_eq(latency_percentile(a, 50), 500);
  cr_expect_eq(latency_percentile(a, 90), 900);
  cr_expect_eq(latency_percentile(a, 99), 1000);
  cr_expect_eq(a->max, 1000);
  /* all 11: p50 the 6th (600), p90 the 10th (1000), p99 the 11th (5000) */
  cr_expect_eq(all->n, 11);
  cr_expect_eq(latency_percentile(all, 50), 600);
  cr_expect_eq(latency_percentile(all, 90), 1000);
  cr_expect_eq(latency_percentile(all, 99), 5000);
  /* log2 buckets: 100 in [64, 128), 200 in [128, 256), 300..500 in
   * [256, 512), 600..1000 in [512, 1024), 5000 in [4096, 8192) */
  cr_expect_eq(all->log2[6], 1);
  cr_expect_eq(all->log2[7], 1);
  cr_expect_eq(all->log2[8], 3);
  cr_expect_eq(all->log2[9], 5);
  cr_expect_eq(all->log2[12], 1);
  /* the layers: the guest kernel's child cycles for every fault, the hw
   * layer only where the root had cycles of its own (the COW's 1000) */
  cr_expect_eq(s.lat.layer[EV_L_GUEST_KERNEL].n, 11);
  cr_expect_eq(latency_percentile(&s.lat.layer[EV_L_GUEST_KERNEL], 99), 4000);
  cr_expect_eq(s.lat.layer[EV_L_HW].n, 1);
  cr_expect_eq(s.lat.layer[EV_L_HW].max, 1000);
  ev_stats_reset(&s);
  cr_expect_eq(s.lat.all.n, 0);
}

Test(latency, only_top_level_faults) {
  struct ev_stats s = {0};
  /* a step at the top (a writeback) with a hidden fault inside it: not a
   * fault of its own in the distribution (fault_cycles.total's rule) */
  struct ev top = {.step = EV_S_FILE_WRITEBACK, .depth = 0, .layer = EV_L_GUEST_KERNEL};
  ev_stats_sink(&s, &top, EV_OPENED);
  struct ev inner = {.step = EV_S_FAULT, .depth = 1, .layer = EV_L_HW, .self = 50, .total = 50};
  ev_stats_sink(&s, &inner, EV_OPENED);
  ev_stats_sink(&s, &inner, EV_CLOSED);
  top.self = top.total = 700;
  ev_stats_sink(&s, &top, EV_CLOSED);
  cr_expect_eq(s.lat.all.n, 0);
  fault(&s, EV_K_FILE, 10, EV_L_GUEST_KERNEL, 90);
  cr_expect_eq(s.lat.all.n, 1);
  cr_expect_eq(latency_percentile(&s.lat.all, 50), 100);
  ev_stats_reset(&s);
}
