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
  t->shift = 12;
  t->rng = 0x7f4a7c15u ^ entries;
  for (uint32_t i = 0; i < entries; i++) t->e[i].tag = ~0ull;
  t->maybe_nonglobal = t->maybe_any = false;
  t->gen = 1;
  for (int i = 0; i < 64; i++) t->hint[i] = &t->e[0];
  return 0;
}

int tlb_level_init_sz(struct tlb_level *t, const char *name, uint32_t entries,
                      uint32_t ways, uint32_t latency, unsigned shift, bool mixed) {
  if (!entries) { memset(t, 0, sizeof *t); t->name = name; t->shift = (uint8_t)shift; return 0; }
  int r = tlb_level_init(t, name, entries, ways, latency);
  t->shift = (uint8_t)shift;
  t->mixed = mixed;
  return r;
}

void tlb_level_fini(struct tlb_level *t) { free(t->e); t->e = NULL; }

#define ALL_LEVELS(t) { &(t)->l1d, &(t)->l1i, &(t)->stlb, &(t)->l1d2m, &(t)->l1d1g, &(t)->l1i2m, &(t)->stlb1g }

void tlb_fini(struct tlb *t) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) tlb_level_fini(lv[i]);
}

static void level_flush(struct tlb_level *t) {
  if (!t->e || !t->maybe_any) return;
  for (uint32_t i = 0; i < t->sets * t->ways; i++) t->e[i].tag = ~0ull;
  t->maybe_nonglobal = t->maybe_any = false;
  t->gen++;
}

void tlb_flush_all(struct tlb *t) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) level_flush(lv[i]);
  t->pieces = 0;
}

/* Everything but the host context's entries (HOST_PCID): what a flush the
 * guest's context asks for drops when the host's entries are tagged apart
 * (VPID/ASID) — INVVPID single-context, a guest's INVPCID type 2, a full
 * flush of the guest's translations. */
void tlb_flush_guest(struct tlb *t) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  uint64_t pieces = 0;
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) {
    struct tlb_level *l = lv[i];
    if (!l->e) continue;
    for (uint32_t j = 0; j < l->sets * l->ways; j++) {
      struct tlb_entry *e = &l->e[j];
      if (e->tag == ~0ull) continue;
      if ((uint32_t)(e->tag >> 52) == HOST_PCID) pieces += TP_ORIG(e->perm) != 0;
      else e->tag = ~0ull;
    }
    l->gen++;
  }
  if (!pieces) t->pieces = 0;
}

/* Entries of one size covering va, optionally only of one PCID (+global):
 * dropped, or (drop false) only counted. */
static int level_va_sz(struct tlb_level *t, uint64_t va, unsigned shift, int pcid, bool drop) {
  uint64_t key = tlb_tag_sz(va, 0, shift) & 0xfffffffffffffull;
  struct tlb_entry *s = &t->e[(size_t)((va >> shift) & t->set_mask) * t->ways];
  int n = 0;
  for (uint32_t w = 0; w < t->ways; w++)
    if (s[w].tag != ~0ull && (s[w].tag & 0xfffffffffffffull) == key &&
        (pcid < 0 || (uint32_t)(s[w].tag >> 52) == (uint32_t)pcid || (s[w].perm & TP_G))) {
      n++;
      if (drop) { s[w].tag = ~0ull; t->gen++; }
    }
  return n;
}

/* 4K pieces of a large page sit in other sets: find them by scanning (only
 * while pieces exist). */
static int level_pieces(struct tlb_level *t, uint64_t va, int pcid, bool drop) {
  int n = 0;
  for (uint32_t i = 0; i < t->sets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    unsigned o = TP_ORIG(e->perm);
    if (e->tag == ~0ull || !o) continue;
    uint64_t piece_va = (e->tag & 0xfffffffffffffull) << 12;
    if ((piece_va >> o) == (va >> o) &&
        (pcid < 0 || (uint32_t)(e->tag >> 52) == (uint32_t)pcid || (e->perm & TP_G))) {
      n++;
      if (drop) { e->tag = ~0ull; t->gen++; }
    }
  }
  return n;
}

static int va_all(struct tlb *t, uint64_t va, int pcid, bool drop) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  int n = 0;
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) {
    if (!lv[i]->e) continue;
    n += level_va_sz(lv[i], va, lv[i]->shift, pcid, drop);
    if (lv[i]->mixed) n += level_va_sz(lv[i], va, 21, pcid, drop);
    if (t->pieces && lv[i]->shift == 12) n += level_pieces(lv[i], va, pcid, drop);
  }
  return n;
}
static void flush_va_all(struct tlb *t, uint64_t va, int pcid) { va_all(t, va, pcid, true); }

bool tlb_holds_va(struct tlb *t, uint64_t va) { return va_all(t, va, -1, false) > 0; }

void tlb_flush_va(struct tlb *t, uint64_t va) { flush_va_all(t, va, -1); }

/* Entries mapping the frame at pa (a huge entry covers many frames: it
 * only regains NC when none of its frames holds code, which the fill
 * checks; here a huge entry just loses NC). */
static void level_set_nc(struct tlb_level *t, uint64_t pa, bool nc) {
  if (!t->e) return;
  for (uint32_t i = 0; i < t->sets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    if (e->tag == ~0ull) continue;
    unsigned sh = TP_SHIFT(e->perm);
    if (pa < e->pa || pa >= e->pa + (1ull << sh)) continue;
    if (!nc) e->perm &= ~TP_NC;
    else if (sh == 12) e->perm |= TP_NC;
  }
  t->gen++;
}

void tlb_set_frame_nc(struct tlb *t, uint64_t pa, bool nc) {
  pa &= ~0xfffull;
  level_set_nc(&t->l1d, pa, nc);
  level_set_nc(&t->stlb, pa, nc);
  level_set_nc(&t->l1d2m, pa, nc);
  level_set_nc(&t->l1d1g, pa, nc);
  level_set_nc(&t->stlb1g, pa, nc);
}

#define VPN_BITS 0xfffffffffffffull

/* Drop entries matching a predicate on (tag, perm). */
static void level_flush_if(struct tlb_level *t, int mode, uint32_t pcid) {
  if (!t->e || !(mode == 2 ? t->maybe_any : t->maybe_nonglobal)) return;
  for (uint32_t i = 0; i < t->sets * t->ways; i++) {
    struct tlb_entry *e = &t->e[i];
    if (e->tag == ~0ull) continue;
    bool global = e->perm & TP_G;
    bool drop = mode == 0 ? !global                                    /* all non-global */
              : mode == 1 ? (!global && (uint32_t)(e->tag >> 52) == pcid)  /* one PCID */
              : mode == 3 ? (!global && (uint32_t)(e->tag >> 52) != HOST_PCID)   /* the guest's non-global */
              : true;                                                  /* everything */
    if (drop) e->tag = ~0ull;
  }
  t->gen++;
  if (mode == 0 || mode == 2) t->maybe_nonglobal = false;
  if (mode == 2) t->maybe_any = false;
}

void tlb_flush_nonglobal(struct tlb *t) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) level_flush_if(lv[i], 0, 0);
}

/* every PCID's non-global entries but a host context's (HOST_PCID): a
 * guest's address-space flush (Linux flush_tlb_mm: a CR3 reload and the
 * mm's other PCIDs), which keeps the kernel's global entries */
void tlb_flush_guest_nonglobal(struct tlb *t) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) level_flush_if(lv[i], 3, 0);
}

void tlb_flush_pcid(struct tlb *t, uint32_t pcid) {
  struct tlb_level *lv[] = ALL_LEVELS(t);
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) level_flush_if(lv[i], 1, pcid);
}

/* INVLPG / INVPCID type 0 / a #PF: the entries for va with this PCID, and
 * global entries for va (SDM 4.10.4.1), at every page size */
void tlb_flush_va_pcid(struct tlb *t, uint64_t va, uint32_t pcid) { flush_va_all(t, va, (int)pcid); }
