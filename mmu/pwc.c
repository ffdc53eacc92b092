/* Paging-structure caches (DESIGN.md: "paging-structure caches by vendor").
 *  intel-psc: Intel's PML5E/PML4E/PDPTE/PDE caches (SDM 4.10.3), tagged by
 *    the linear-address bits that select the entry (and the PCID): a walk
 *    starts below the deepest cached level, skipping those references.
 *  amd-ptc:   AMD's page-table-entry cache ("page walk cache", APM 5.5.1),
 *    tagged by the physical address of the entry: each upper-level
 *    reference that hits costs no memory reference.
 * Modeled: which references are charged and counted.  Not modeled: the
 * staleness a cached entry can show after an unflushed PTE change (the
 * walker always uses the current memory value). */
#include "mmu/mmu.h"
#include <stdlib.h>
#include <string.h>

int pwc_init(struct pwc *p, int kind, const uint32_t entries[6], uint32_t hit_latency) {
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->hit_latency = hit_latency;
  for (int l = 2; l <= 5; l++) {
    uint32_t n = entries[l];
    if (!n) continue;
    p->lv[l].tag = malloc(sizeof(uint64_t) * n);
    p->lv[l].stamp = calloc(n, sizeof(uint32_t));
    if (!p->lv[l].tag || !p->lv[l].stamp) return -1;
    p->lv[l].entries = n;
    for (uint32_t i = 0; i < n; i++) p->lv[l].tag[i] = ~0ull;
  }
  return 0;
}

void pwc_fini(struct pwc *p) {
  for (int l = 0; l < 6; l++) { free(p->lv[l].tag); free(p->lv[l].stamp); }
  memset(p, 0, sizeof *p);
}

void pwc_flush(struct pwc *p) {
  for (int l = 2; l <= 5; l++)
    for (uint32_t i = 0; i < p->lv[l].entries; i++) p->lv[l].tag[i] = ~0ull;
}

static uint64_t key_of(const struct pwc *p, int level, uint64_t va, uint64_t epa, uint32_t pcid) {
  if (p->kind == PWC_AMD_PTC) return epa;
  /* the VA bits above this level's index, plus the index: va >> shift */
  return (va >> (12 + 9 * (level - 1))) | ((uint64_t)pcid << 52);
}

bool pwc_lookup(struct pwc *p, int level, uint64_t va, uint64_t epa, uint32_t pcid) {
  struct pwc_level *lv = &p->lv[level];
  if (!lv->entries) return false;
  uint64_t key = key_of(p, level, va, epa, pcid);
  for (uint32_t i = 0; i < lv->entries; i++)
    if (lv->tag[i] == key) { lv->stamp[i] = ++lv->clock; lv->hits++; return true; }
  lv->misses++;
  return false;
}

void pwc_fill(struct pwc *p, int level, uint64_t va, uint64_t epa, uint32_t pcid) {
  struct pwc_level *lv = &p->lv[level];
  if (!lv->entries) return;
  uint64_t key = key_of(p, level, va, epa, pcid);
  uint32_t victim = 0;
  for (uint32_t i = 0; i < lv->entries; i++) {
    if (lv->tag[i] == key) { lv->stamp[i] = ++lv->clock; return; }
    if (lv->tag[i] == ~0ull) { victim = i; break; }
    if ((int32_t)(lv->stamp[i] - lv->stamp[victim]) < 0) victim = i;
  }
  lv->tag[victim] = key;
  lv->stamp[victim] = ++lv->clock;
}

/* INVLPG / a #PF: Intel drops the entries for the address at every level;
 * AMD's PTC (tagged by entry address) is flushed whole. */
void pwc_flush_va(struct pwc *p, uint64_t va) {
  if (p->kind == PWC_AMD_PTC) { pwc_flush(p); return; }
  for (int l = 2; l <= 5; l++) {
    struct pwc_level *lv = &p->lv[l];
    uint64_t k = va >> (12 + 9 * (l - 1));
    uint64_t mask = (1ull << 52) - 1;
    for (uint32_t i = 0; i < lv->entries; i++)
      if (lv->tag[i] != ~0ull && (lv->tag[i] & mask) == (k & mask)) lv->tag[i] = ~0ull;
  }
}
