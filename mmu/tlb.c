/* Set-associative TLB levels with LRU replacement (stamps). */
#include "mmu/mmu.h"
#include <stdlib.h>
#include <string.h>

int tlb_level_init(struct tlb_level *t, const char *name, uint32_t entries,
                   uint32_t ways, uint32_t latency) {
  memset(t, 0, sizeof *t);
  if (!ways || entries % ways) return -1;
  uint32_t sets = entries / ways;
  if (sets & (sets - 1)) return -1;          /* power of two sets */
  t->e = malloc(sizeof *t->e * entries);
  if (!t->e) return -1;
  t->sets = sets;
  t->ways = ways;
  t->set_mask = sets - 1;
  t->latency = latency;
  t->name = name;
  for (uint32_t i = 0; i < entries; i++) t->e[i].tag = ~0ull;
  for (int i = 0; i < 64; i++) t->hint[i] = &t->e[0];
  return 0;
}

void tlb_level_fini(struct tlb_level *t) { free(t->e); t->e = NULL; }

static void level_flush(struct tlb_level *t) {
  for (uint32_t i = 0; i < t->sets * t->ways; i++) t->e[i].tag = ~0ull;
}

void tlb_flush_all(struct tlb *t) {
  level_flush(&t->l1d);
  level_flush(&t->l1i);
  level_flush(&t->stlb);
}

static void level_flush_va(struct tlb_level *t, uint64_t va) {
  uint64_t vpn = (va >> 12) & 0xfffffffffffffull;
  struct tlb_entry *s = &t->e[(size_t)(vpn & t->set_mask) * t->ways];
  for (uint32_t w = 0; w < t->ways; w++)
    if ((s[w].tag & 0xfffffffffffffull) == vpn) s[w].tag = ~0ull;
}

void tlb_flush_va(struct tlb *t, uint64_t va) {
  level_flush_va(&t->l1d, va);
  level_flush_va(&t->l1i, va);
  level_flush_va(&t->stlb, va);
}

static void level_set_nc(struct tlb_level *t, uint64_t pa, bool nc) {
  for (uint32_t i = 0; i < t->sets * t->ways; i++)
    if (t->e[i].tag != ~0ull && t->e[i].pa == pa) {
      if (nc) t->e[i].perm |= TP_NC;
      else t->e[i].perm &= ~TP_NC;
    }
}

void tlb_set_frame_nc(struct tlb *t, uint64_t pa, bool nc) {
  pa &= ~0xfffull;
  level_set_nc(&t->l1d, pa, nc);
  level_set_nc(&t->stlb, pa, nc);
}

#define VPN_BITS 0xfffffffffffffull

/* Drop entries matching a predicate on (tag, perm). */
static void level_flush_if(struct tlb_level *t, int mode, uint32_t pcid) {
  for (uint32_t i = 0; i < t->sets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    if (e->tag == ~0ull) continue;
    bool global = e->perm & TP_G;
    bool drop = mode == 0 ? !global                                    /* all non-global */
              : mode == 1 ? (!global && (uint32_t)(e->tag >> 52) == pcid)  /* one PCID */
              : true;                                                  /* everything */
    if (drop) e->tag = ~0ull;
  }
}

void tlb_flush_nonglobal(struct tlb *t) {
  level_flush_if(&t->l1d, 0, 0);
  level_flush_if(&t->l1i, 0, 0);
  level_flush_if(&t->stlb, 0, 0);
}

void tlb_flush_pcid(struct tlb *t, uint32_t pcid) {
  level_flush_if(&t->l1d, 1, pcid);
  level_flush_if(&t->l1i, 1, pcid);
  level_flush_if(&t->stlb, 1, pcid);
}

/* INVLPG / INVPCID type 0 / a #PF: the entries for va with this PCID, and
 * global entries for va (SDM 4.10.4.1) */
static void level_flush_va_pcid(struct tlb_level *t, uint64_t va, uint32_t pcid) {
  uint64_t vpn = (va >> 12) & VPN_BITS;
  struct tlb_entry *s = &t->e[(size_t)(vpn & t->set_mask) * t->ways];
  for (uint32_t w = 0; w < t->ways; w++)
    if (s[w].tag != ~0ull && (s[w].tag & VPN_BITS) == vpn &&
        ((uint32_t)(s[w].tag >> 52) == pcid || (s[w].perm & TP_G)))
      s[w].tag = ~0ull;
}

void tlb_flush_va_pcid(struct tlb *t, uint64_t va, uint32_t pcid) {
  level_flush_va_pcid(&t->l1d, va, pcid);
  level_flush_va_pcid(&t->l1i, va, pcid);
  level_flush_va_pcid(&t->stlb, va, pcid);
}
