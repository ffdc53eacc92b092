/* Optional data-cache model: L1D, L2 and LLC, set-associative, LRU by
 * per-line stamps, write-allocate, write-back (dirty lines are counted when
 * evicted; the write-back itself is not charged: it is off the load's
 * critical path).  Single core, so no coherence.  Page-table references of
 * the walker and guest data accesses both go through cache_access().
 *
 * Latencies are load-to-use totals, the way they are measured: an access
 * that hits in L2 costs l2.latency (not l1 + l2); one that misses every
 * level costs mem_latency.  A miss fills every level on the way (a simple
 * non-exclusive hierarchy; a line evicted from L2 may stay in L1).
 *
 * The hot path (DESIGN.md "Speed") is inline: way 0 of each L1 set always
 * holds that set's most recently used line, so an L1 hit on it is one tag
 * compare, one counter bump and (for a write) one OR, with no stamp update
 * (its stamp already orders it first in the set).  Everything else is
 * cache_access_slow(). */
#ifndef FAULTLINE_MMU_CACHE_H
#define FAULTLINE_MMU_CACHE_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "traces/params.h"

#define CACHE_LINE_SHIFT 6
#define CACHE_LINE_SIZE (1u << CACHE_LINE_SHIFT)

struct cache_line {
  uint64_t tag;              /* physical line number (pa >> 6); ~0 when invalid */
  uint64_t stamp;            /* LRU clock << 1 | dirty */
};

struct cache_level {
  struct cache_line *line;   /* sets * ways; way 0 of a set is its MRU line */
  uint32_t sets, ways;
  uint32_t set_mask;         /* sets - 1 when sets is a power of two, else 0
                              * and the index is line % sets (L1 must be a
                              * power of two: it is on the hot path) */
  uint32_t latency;          /* load-to-use cycles of a hit at this level */
  uint64_t clock;            /* LRU stamp source (64-bit: never wraps) */
  uint64_t hits, misses, writebacks;
  const char *name;
};

struct cache_hier {
  struct cache_level l1d, l2, llc;
  uint32_t mem_latency;      /* load-to-use cycles of a miss in every level */
  bool enabled;              /* false: cache_access() returns 0, no state */
};

struct cache_level_geom {
  uint64_t size;             /* bytes: a multiple of ways * 64 */
  uint32_t ways;
  uint32_t latency;
};

struct cache_geom {
  bool enabled;
  struct cache_level_geom l1d, l2, llc;
  uint32_t mem_latency;
};

/* Build the hierarchy.  With g->enabled false nothing is allocated and
 * cache_access() costs 0.  Returns -1 on a bad geometry (zero size or
 * ways, size not a multiple of ways * 64, L1 sets not a power of two,
 * more than 2^26 lines) or out of memory; h is then left disabled. */
int cache_hier_init(struct cache_hier *h, const struct cache_geom *g);
void cache_hier_fini(struct cache_hier *h);
/* Invalidate every line (no write-backs counted); counters are kept. */
void cache_flush_all(struct cache_hier *h);
void cache_reset_counters(struct cache_hier *h);
/* Fill g from the cache.* parameters through a lookup such as params_get. */
void cache_geom_from_params(struct cache_geom *g,
                            uint64_t (*get)(void *ctx, const char *name), void *ctx);

/* Everything but an L1 hit on the set's MRU way. */
uint32_t cache_access_slow(struct cache_hier *h, uint64_t pa, bool write);

/* One access within one 64-byte line; returns its latency in cycles. */
static inline uint32_t cache_access(struct cache_hier *h, uint64_t pa, bool write) {
  if (!h->enabled) return 0;
  uint64_t ln = pa >> CACHE_LINE_SHIFT;
  struct cache_line *m = &h->l1d.line[(size_t)(ln & h->l1d.set_mask) * h->l1d.ways];
  if (__builtin_expect(m->tag == ln, 1)) {
    h->l1d.hits++;
    m->stamp |= (uint64_t)write;
    return h->l1d.latency;
  }
  return cache_access_slow(h, pa, write);
}

/* An access of size bytes at pa: one access per line it touches (a
 * line-straddling load is two accesses; size 0 counts as 1); returns the
 * summed latency. */
static inline uint32_t cache_access_range(struct cache_hier *h, uint64_t pa,
                                          uint32_t size, bool write) {
  if (!h->enabled) return 0;
  uint64_t first = pa >> CACHE_LINE_SHIFT;
  uint64_t last = (pa + (size ? size - 1 : 0)) >> CACHE_LINE_SHIFT;
  uint32_t lat = cache_access(h, pa, write);
  for (uint64_t l = first + 1; l <= last; l++)
    lat += cache_access(h, l << CACHE_LINE_SHIFT, write);
  return lat;
}

extern const struct fl_param_def cache_params[];
#endif
