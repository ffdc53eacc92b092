/* Data-cache model: L1D/L2/LLC, set-associative, LRU stamps, write-allocate,
 * write-back, non-exclusive fills.  The L1 MRU hit is inline in cache.h. */
#include "mmu/cache.h"
#include <stdlib.h>
#include <string.h>

const struct fl_param_def cache_params[] = {
  {"cache.enabled", 0, "bool",
   "model L1D/L2/LLC for page-table references and data accesses",
   "faultline default: off (DESIGN.md \"Speed\": >=75 MIPS target with it on)"},
  {"cache.l1d.size", 32768, "bytes", "L1 data cache capacity",
   "Skylake-S and -SP: 32 KB 8-way L1D (AnandTech, Skylake-X review, "
   "\"Comparison: Skylake-S and Skylake-SP Caches\")"},
  {"cache.l1d.ways", 8, "ways", "L1 data cache associativity",
   "Skylake-S and -SP: 8-way (AnandTech, Skylake-X review)"},
  {"cache.l1d.latency", 4, "cycles", "load-to-use latency of an L1D hit",
   "typical Skylake-SP/client figures: 4 cycles (AnandTech Skylake-X review table; "
   "AnandTech Skylake-SP vs EPYC review, LMBench: 4)"},
  {"cache.l2.size", 1048576, "bytes", "private L2 capacity",
   "Skylake-SP: 1 MB 16-way L2 (AnandTech, Skylake-X review); client: 256 KB 4-way"},
  {"cache.l2.ways", 16, "ways", "L2 associativity",
   "Skylake-SP: 16-way (AnandTech, Skylake-X review); client: 4-way"},
  {"cache.l2.latency", 14, "cycles", "load-to-use latency of an L2 hit",
   "typical Skylake-SP/client figures: Intel 11-13 (SP), 11 (client) in AnandTech's "
   "Skylake-X review; LMBench 14-22 on Skylake-SP (AnandTech Skylake-SP vs EPYC)"},
  {"cache.llc.size", 8388608, "bytes", "last-level cache capacity",
   "Skylake client: up to 2 MB/core, up to 16-way (AnandTech, Skylake-X review); "
   "8 MB = a 4-core part (derived)"},
  {"cache.llc.ways", 16, "ways", "LLC associativity",
   "Skylake client: up to 16-way (AnandTech, Skylake-X review); Skylake-SP: 11-way"},
  {"cache.llc.latency", 40, "cycles", "load-to-use latency of an LLC hit",
   "typical Skylake-SP/client figures: client 44 (Intel, in AnandTech's Skylake-X "
   "review), ~41-42 (uops.info Ice Lake; 'latency numbers' lists); SP 77 (Intel), "
   "54-56 LMBench (AnandTech Skylake-SP vs EPYC)"},
  {"cache.mem.latency", 200, "cycles", "load-to-use latency of a miss in every level",
   "Skylake-SP DRAM 89-91 ns, LMBench (AnandTech Skylake-SP vs EPYC); "
   "x ~2.2 GHz = ~200 cycles (derived)"},
  {NULL, 0, NULL, NULL, NULL},
};

#define MAX_LINES (1u << 26)       /* 4 GiB of cache: a typo guard */

static size_t set_of(const struct cache_level *c, uint64_t ln) {
  if (c->sets & (c->sets - 1)) return (size_t)(ln % c->sets) * c->ways;
  return (size_t)(ln & c->set_mask) * c->ways;
}

static int level_init(struct cache_level *c, const char *name,
                      const struct cache_level_geom *g, bool pow2) {
  memset(c, 0, sizeof *c);
  c->name = name;
  if (!g->ways || !g->size || g->size % ((uint64_t)g->ways * CACHE_LINE_SIZE)) return -1;
  uint64_t lines = g->size / CACHE_LINE_SIZE;
  if (lines > MAX_LINES) return -1;
  uint32_t sets = (uint32_t)(lines / g->ways);
  if (pow2 && (sets & (sets - 1))) return -1;
  c->line = malloc(sizeof *c->line * lines);
  if (!c->line) return -1;
  c->sets = sets;
  c->ways = g->ways;
  c->set_mask = (sets & (sets - 1)) ? 0 : sets - 1;
  c->latency = g->latency;
  for (uint64_t i = 0; i < lines; i++) c->line[i] = (struct cache_line){~0ull, 0};
  return 0;
}

static void level_fini(struct cache_level *c) { free(c->line); c->line = NULL; }

void cache_hier_fini(struct cache_hier *h) {
  level_fini(&h->l1d);
  level_fini(&h->l2);
  level_fini(&h->llc);
  h->enabled = false;
}

int cache_hier_init(struct cache_hier *h, const struct cache_geom *g) {
  memset(h, 0, sizeof *h);
  h->mem_latency = g->mem_latency;
  if (!g->enabled) return 0;
  if (level_init(&h->l1d, "l1d", &g->l1d, true) ||
      level_init(&h->l2, "l2", &g->l2, false) ||
      level_init(&h->llc, "llc", &g->llc, false)) {
    cache_hier_fini(h);
    return -1;
  }
  h->enabled = true;
  return 0;
}

static void level_flush(struct cache_level *c) {
  if (!c->line) return;
  for (size_t i = 0; i < (size_t)c->sets * c->ways; i++)
    c->line[i] = (struct cache_line){~0ull, 0};
}

void cache_flush_all(struct cache_hier *h) {
  level_flush(&h->l1d);
  level_flush(&h->l2);
  level_flush(&h->llc);
}

void cache_reset_counters(struct cache_hier *h) {
  struct cache_level *lv[3] = {&h->l1d, &h->l2, &h->llc};
  for (int i = 0; i < 3; i++) lv[i]->hits = lv[i]->misses = lv[i]->writebacks = 0;
}

void cache_geom_from_params(struct cache_geom *g,
                            uint64_t (*get)(void *ctx, const char *name), void *ctx) {
  g->enabled = get(ctx, "cache.enabled") != 0;
  g->l1d = (struct cache_level_geom){get(ctx, "cache.l1d.size"),
    (uint32_t)get(ctx, "cache.l1d.ways"), (uint32_t)get(ctx, "cache.l1d.latency")};
  g->l2 = (struct cache_level_geom){get(ctx, "cache.l2.size"),
    (uint32_t)get(ctx, "cache.l2.ways"), (uint32_t)get(ctx, "cache.l2.latency")};
  g->llc = (struct cache_level_geom){get(ctx, "cache.llc.size"),
    (uint32_t)get(ctx, "cache.llc.ways"), (uint32_t)get(ctx, "cache.llc.latency")};
  g->mem_latency = (uint32_t)get(ctx, "cache.mem.latency");
}

/* Keep way 0 the set's MRU line: the inline hit path checks only way 0. */
static void to_front(struct cache_line *s, uint32_t w) {
  if (w) { struct cache_line t = s[0]; s[0] = s[w]; s[w] = t; }
}

/* Look ln up; on a hit make it MRU (dirty if write) and return true. */
static bool lookup(struct cache_level *c, uint64_t ln, bool write) {
  struct cache_line *s = &c->line[set_of(c, ln)];
  for (uint32_t w = 0; w < c->ways; w++) {
    if (s[w].tag == ln) {
      s[w].stamp = (++c->clock << 1) | (s[w].stamp & 1) | (uint64_t)write;
      to_front(s, w);
      return true;
    }
  }
  return false;
}

/* A dirty line leaving c goes down: dirty the next level's copy if any. */
static void write_back(struct cache_level *next, uint64_t ln) {
  if (!next) return;
  struct cache_line *s = &next->line[set_of(next, ln)];
  for (uint32_t w = 0; w < next->ways; w++)
    if (s[w].tag == ln) { s[w].stamp |= 1; return; }
}

/* Install ln as the MRU line of its set, evicting the LRU (or an invalid) way. */
static void fill(struct cache_level *c, uint64_t ln, bool write, struct cache_level *next) {
  struct cache_line *s = &c->line[set_of(c, ln)];
  uint32_t v = 0;
  for (uint32_t w = 0; w < c->ways; w++) {
    if (s[w].tag == ~0ull) { v = w; break; }
    if (s[w].stamp < s[v].stamp) v = w;
  }
  if (s[v].tag != ~0ull && (s[v].stamp & 1)) {
    c->writebacks++;
    write_back(next, s[v].tag);
  }
  s[v] = (struct cache_line){ln, (++c->clock << 1) | (uint64_t)write};
  to_front(s, v);
}

uint32_t cache_access_slow(struct cache_hier *h, uint64_t pa, bool write) {
  if (!h->enabled) return 0;
  uint64_t ln = pa >> CACHE_LINE_SHIFT;
  if (lookup(&h->l1d, ln, write)) {
    h->l1d.hits++;
    return h->l1d.latency;
  }
  h->l1d.misses++;
  uint32_t lat;
  if (lookup(&h->l2, ln, false)) {
    h->l2.hits++;
    lat = h->l2.latency;
  } else {
    h->l2.misses++;
    if (lookup(&h->llc, ln, false)) {
      h->llc.hits++;
      lat = h->llc.latency;
    } else {
      h->llc.misses++;
      lat = h->mem_latency;
      fill(&h->llc, ln, false, NULL);
    }
    fill(&h->l2, ln, false, &h->llc);
  }
  fill(&h->l1d, ln, write, &h->l2);
  return lat;
}
