/* Data-cache model (mmu/cache.c): geometry, LRU replacement, capacity and
 * associativity from access patterns with known miss counts, latency
 * composition, line-straddling accesses, write-backs, counters; and a
 * printed (not asserted) micro-benchmark of the hit path. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "mmu/cache.h"

#define L1 4
#define L2 14
#define LLC 40
#define MEM 200
#define LINE 64u

static struct cache_hier H;

static struct cache_geom geom(uint64_t l1, uint32_t w1, uint64_t l2, uint32_t w2,
                              uint64_t l3, uint32_t w3) {
  return (struct cache_geom){true, {l1, w1, L1}, {l2, w2, L2}, {l3, w3, LLC}, MEM};
}

static void setup(uint64_t l1, uint32_t w1, uint64_t l2, uint32_t w2, uint64_t l3,
                  uint32_t w3) {
  struct cache_geom g = geom(l1, w1, l2, w2, l3, w3);
  cr_assert_eq(cache_hier_init(&H, &g), 0);
}

/* Default Skylake-like geometry: 32K/8, 1M/16, 8M/16. */
static void setup_default(void) { setup(32768, 8, 1 << 20, 16, 8 << 20, 16); }
static void teardown(void) { cache_hier_fini(&H); }

/* Read lines [0, n) sequentially; returns L1 misses of the pass. */
static uint64_t sweep(uint64_t base, uint32_t n) {
  uint64_t m0 = H.l1d.misses;
  for (uint32_t i = 0; i < n; i++) cache_access(&H, base + (uint64_t)i * LINE, false);
  return H.l1d.misses - m0;
}

static uint64_t table_get(void *ctx, const char *name) {
  const struct fl_param_def *t = ctx;
  for (; t->name; t++)
    if (!strcmp(t->name, name)) return t->def;
  cr_assert_fail("no parameter %s", name);
  return 0;
}

Test(cache, params_table) {
  static const char *want[] = {"cache.enabled", "cache.l1d.size", "cache.l1d.ways",
    "cache.l1d.latency", "cache.l2.size", "cache.l2.ways", "cache.l2.latency",
    "cache.llc.size", "cache.llc.ways", "cache.llc.latency", "cache.mem.latency"};
  static const uint64_t def[] = {0, 32768, 8, 4, 1048576, 16, 14, 8388608, 16, 40, 200};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    cr_expect_eq(table_get((void *)cache_params, want[i]), def[i], "%s", want[i]);
  int n = 0;
  for (const struct fl_param_def *t = cache_params; t->name; t++, n++) {
    cr_expect(t->unit && *t->unit && t->doc && *t->doc && t->source && *t->source,
              "%s lacks unit/doc/source", t->name);
    cr_expect(!strncmp(t->name, "cache.", 6), "%s", t->name);
  }
  cr_expect_eq(n, 11);

  /* Defaults are disabled; enabled they build the Skylake-like hierarchy. */
  struct cache_geom g;
  cache_geom_from_params(&g, table_get, (void *)cache_params);
  cr_expect(!g.enabled);
  cr_assert_eq(cache_hier_init(&H, &g), 0);
  cr_expect(!H.enabled);
  cr_expect_eq(cache_access(&H, 0x1000, false), 0);
  cr_expect_eq(cache_access_range(&H, 0x103c, 8, true), 0);
  cr_expect_null(H.l1d.line);
  cache_flush_all(&H);
  cache_hier_fini(&H);
  g.enabled = true;
  cr_assert_eq(cache_hier_init(&H, &g), 0);
  cr_expect(H.enabled);
  cr_expect_eq(H.l1d.sets, 64);
  cr_expect_eq(H.l2.sets, 1024);
  cr_expect_eq(H.llc.sets, 8192);
  cr_expect_eq(H.mem_latency, 200);
  cr_expect_eq(cache_access(&H, 0x1000, false), 200);
  cr_expect_eq(cache_access(&H, 0x1000, false), 4);
  cache_hier_fini(&H);
}

Test(cache, bad_geometry) {
  struct cache_geom g = geom(3 * 8 * LINE, 8, 4096, 4, 8192, 4);   /* L1: 3 sets */
  cr_expect_eq(cache_hier_init(&H, &g), -1);
  cr_expect(!H.enabled);
  g = geom(32768, 0, 4096, 4, 8192, 4);
  cr_expect_eq(cache_hier_init(&H, &g), -1);
  g = geom(32768 + 64, 8, 4096, 4, 8192, 4);                      /* not whole sets */
  cr_expect_eq(cache_hier_init(&H, &g), -1);
  g = geom(32768, 8, 0, 4, 8192, 4);
  cr_expect_eq(cache_hier_init(&H, &g), -1);
  g = geom(32768, 8, 4096, 4, 1ull << 40, 16);                    /* absurd LLC */
  cr_expect_eq(cache_hier_init(&H, &g), -1);
  cr_expect(!H.enabled);
  cr_expect_eq(cache_access(&H, 0, false), 0);
}

Test(cache, latency_composition, .init = setup_default, .fini = teardown) {
  uint64_t a = 0x40000;
  cr_expect_eq(cache_access(&H, a, false), MEM);      /* cold: memory */
  cr_expect_eq(cache_access(&H, a + 63, false), L1);  /* same line: L1 */
  /* Evict a from L1 only: 8 more lines in its L1 set (stride 64 sets * 64 B). */
  for (int i = 1; i <= 8; i++) cache_access(&H, a + i * 4096ull, false);
  cr_expect_eq(cache_access(&H, a, false), L2);
  cr_expect_eq(cache_access(&H, a, false), L1);      /* refilled into L1 */
  /* Evict a from L1 and L2 (L2 set stride 1024 * 64 = 64 KiB, 16 ways),
   * not from the LLC (its set stride is 512 KiB). */
  for (int i = 1; i <= 16; i++) cache_access(&H, a + i * 65536ull, false);
  cr_expect_eq(cache_access(&H, a, false), LLC);
  cr_expect_eq(H.llc.hits, 1);
  cr_expect_eq(H.l2.hits, 1);
  cache_flush_all(&H);
  cr_expect_eq(cache_access(&H, a, false), MEM);
  cr_expect_eq(H.llc.misses, 1 + 8 + 16 + 1);         /* counters survive a flush */
}

Test(cache, capacity_sequential_sweep, .init = setup_default, .fini = teardown) {
  /* 512 lines = 32 KiB: fits exactly. */
  cr_expect_eq(sweep(0, 512), 512);
  cr_expect_eq(sweep(0, 512), 0);
  cr_expect_eq(sweep(0, 512), 0);
  cr_expect_eq(H.l1d.hits, 1024);
  /* 513 lines: set 0 holds 9 lines cycling through 8 ways -> all 9 miss
   * each pass; the other 63 sets keep hitting. */
  cache_flush_all(&H);
  sweep(0, 513);
  cr_expect_eq(sweep(0, 513), 9);
  cr_expect_eq(sweep(0, 513), 9);
  /* Twice the capacity: LRU on a cyclic sweep misses every time in L1,
   * but 64 KiB fits in L2, so each miss costs L2 latency. */
  cache_flush_all(&H);
  sweep(0, 1024);
  uint64_t l2h = H.l2.hits;
  cr_expect_eq(sweep(0, 1024), 1024);
  cr_expect_eq(H.l2.hits - l2h, 1024);
  /* Range access over 64 KiB: 1024 accesses at L2 latency each. */
  cr_expect_eq(cache_access_range(&H, 0, 65536, false), 1024 * L2);
}

Test(cache, associativity_conflicts, .init = setup_default, .fini = teardown) {
  const uint64_t stride = 64 * LINE;   /* same L1 set */
  /* K = 8 lines in one set: compulsory misses, then hits. */
  for (int pass = 0; pass < 4; pass++)
    for (int i = 0; i < 8; i++) cache_access(&H, i * stride, false);
  cr_expect_eq(H.l1d.misses, 8);
  cr_expect_eq(H.l1d.hits, 24);
  /* K + 1 = 9 lines cycled through one 8-way set: every access misses. */
  cache_flush_all(&H);
  cache_reset_counters(&H);
  for (int pass = 0; pass < 5; pass++)
    for (int i = 0; i < 9; i++) cache_access(&H, i * stride, false);
  cr_expect_eq(H.l1d.misses, 45);
  cr_expect_eq(H.l1d.hits, 0);
  cr_expect_eq(H.l2.hits, 45 - 9);   /* L2 (16-way) holds all nine */
}

Test(cache, lru_victim, .init = setup_default, .fini = teardown) {
  const uint64_t stride = 64 * LINE;
  for (int i = 0; i < 8; i++) cache_access(&H, i * stride, false);   /* A..H */
  cr_expect_eq(cache_access(&H, 0, false), L1);                       /* touch A */
  cr_expect_eq(cache_access(&H, 3 * stride, true), L1);               /* touch D */
  cache_access(&H, 8 * stride, false);        /* I evicts B, the LRU */
  cache_access(&H, 9 * stride, false);        /* J evicts C */
  cache_access(&H, 10 * stride, false);       /* K evicts E (D was touched) */
  cr_expect_eq(cache_access(&H, 0, false), L1);
  cr_expect_eq(cache_access(&H, 3 * stride, false), L1);
  cr_expect_eq(cache_access(&H, 5 * stride, false), L1);
  cr_expect_eq(cache_access(&H, 1 * stride, false), L2);
  cr_expect_eq(cache_access(&H, 2 * stride, false), L2);
  cr_expect_eq(cache_access(&H, 4 * stride, false), L2);
}

Test(cache, mru_reuse, .init = setup_default, .fini = teardown) {
  for (int i = 0; i < 1000; i++) cache_access(&H, 0x1234, (i & 1) != 0);
  cr_expect_eq(H.l1d.misses, 1);
  cr_expect_eq(H.l1d.hits, 999);
  cr_expect_eq(H.l2.misses, 1);
  cr_expect_eq(H.llc.misses, 1);
  cr_expect_eq(H.l2.hits + H.llc.hits, 0);
  /* Two lines of one set alternating: both stay resident (way 0 / way 1). */
  cache_reset_counters(&H);
  for (int i = 0; i < 1000; i++) cache_access(&H, (i & 1) ? 0x1234 : 0x1234 + 4096, false);
  cr_expect_eq(H.l1d.misses, 1);
  cr_expect_eq(H.l1d.hits, 999);
}

Test(cache, straddling_accesses, .init = setup_default, .fini = teardown) {
  cr_expect_eq(cache_access_range(&H, 0x1000 + 60, 8, false), 2 * MEM);
  cr_expect_eq(H.l1d.misses, 2);
  cr_expect_eq(cache_access_range(&H, 0x1000 + 60, 8, false), 2 * L1);
  cr_expect_eq(cache_access_range(&H, 0x1000, 64, false), L1);       /* one line */
  cr_expect_eq(cache_access_range(&H, 0x1000 + 56, 8, false), L1);   /* ends on it */
  cr_expect_eq(cache_access_range(&H, 0x1000 + 1, 1, false), L1);
  cr_expect_eq(cache_access_range(&H, 0x2000, 512, true), 8 * MEM);   /* FXSAVE-like */
  cr_expect_eq(H.l1d.misses, 2 + 8);
  cr_expect_eq(H.l1d.hits, 2 + 3);
  /* Straddling the top of the address space must not loop forever. */
  cr_expect_eq(cache_access_range(&H, 0xffffffffffffffc0ull, 64, false), MEM);
}

Test(cache, writebacks, .init = setup_default, .fini = teardown) {
  const uint64_t stride = 64 * LINE;
  cache_access(&H, 0, true);                               /* dirty in L1 only */
  for (int i = 1; i <= 8; i++) cache_access(&H, i * stride, false);
  cr_expect_eq(H.l1d.writebacks, 1);                       /* evicted dirty */
  for (int i = 9; i <= 16; i++) cache_access(&H, i * stride, false);
  cr_expect_eq(H.l1d.writebacks, 1);                       /* clean evictions */
  /* The dirtiness moved to the L2 copy: evict it from L2 (stride 64 KiB). */
  for (int i = 1; i <= 16; i++) cache_access(&H, i * 65536ull + 0x40, false);
  cr_expect_eq(H.l2.writebacks, 0);                        /* other set */
  for (int i = 1; i <= 16; i++) cache_access(&H, i * 65536ull, false);
  cr_expect_eq(H.l2.writebacks, 1);
  /* A write that hits in the MRU way and one that hits elsewhere. */
  cache_flush_all(&H);
  cache_reset_counters(&H);
  cache_access(&H, 0, false);
  cache_access(&H, stride, false);
  cache_access(&H, 0, true);                               /* way-1 hit, write */
  cache_access(&H, stride, false);
  cache_access(&H, stride, true);                          /* MRU hit, write */
  for (int i = 2; i <= 9; i++) cache_access(&H, i * stride, false);
  cr_expect_eq(H.l1d.writebacks, 2);
}

Test(cache, non_power_of_two_outer_levels) {
  /* L2: 3 sets x 2 ways = 6 lines; LLC: 5 sets x 3 ways = 15 lines. */
  setup(2 * LINE, 1, 6 * LINE, 2, 15 * LINE, 3);
  cr_expect_eq(H.l2.sets, 3);
  cr_expect_eq(H.llc.sets, 5);
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < 6; i++) cache_access(&H, i * LINE, false);
  cr_expect_eq(H.l2.misses, 6);             /* six lines fit six ways */
  cr_expect_eq(H.llc.misses, 6);
  cache_reset_counters(&H);
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < 15; i++) cache_access(&H, (64 + i) * LINE, false);
  cr_expect_eq(H.llc.misses, 15);           /* fifteen lines fit the LLC */
  cache_hier_fini(&H);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Not asserted: timing varies with the host. */
Test(cache, bench_hit_path, .init = setup_default, .fini = teardown) {
  enum { N = 100000000 };
  volatile uint64_t sink = 0;
  struct { const char *what; uint64_t mask, stride; } cases[] = {
    {"L1 MRU hit (16 lines, 16 sets)", 15, LINE},
    {"L1 hit, non-MRU way (2 lines/set)", 1, 64 * LINE},
    {"L2 hit (1024-line sweep)", 1023, LINE},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    uint64_t lat = 0, n = c == 0 ? N : N / 10;
    for (uint64_t i = 0; i <= cases[c].mask; i++)
      lat += cache_access(&H, 0x100000 + i * cases[c].stride, false);
    double t0 = now();
    for (uint64_t i = 0; i < n; i++)
      lat += cache_access(&H, 0x100000 + (i & cases[c].mask) * cases[c].stride, false);
    double dt = now() - t0;
    sink += lat;
    printf("cache bench: %-36s %7.1f M accesses/s (%.2f ns/access)\n", cases[c].what,
           n / dt / 1e6, dt / n * 1e9);
  }
  fflush(stdout);
  (void)sink;
}
