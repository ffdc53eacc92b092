/* The nested (second) dimension of a two-dimensional walk: gpa -> hpa
 * through EPT (SDM 29.3) or NPT (APM 15.25) tables with the one walker,
 * and the caches a nested walk can use: a nested TLB of gpa -> hpa page
 * translations (AMD's NTLB; Intel's cached guest-physical mappings, SDM
 * 29.4.1) and a nested paging-structure cache (the same pwc model, keyed
 * by guest-physical address).  Both are flushed by INVEPT / TLB_CONTROL. */
#include "mmu/mmu.h"
#include <stdlib.h>
#include <string.h>

int nested_init(struct nested *n, uint32_t entries) {
  n->ntlb_entries = entries;
  if (!entries) return 0;
  n->ntlb_tag = malloc(sizeof(uint64_t) * entries);
  n->ntlb_hpa = calloc(entries, sizeof(uint64_t));
  n->ntlb_stamp = calloc(entries, sizeof(uint32_t));
  n->ntlb_perm = calloc(entries, sizeof(uint32_t));
  if (!n->ntlb_tag || !n->ntlb_hpa || !n->ntlb_stamp || !n->ntlb_perm) return -1;
  nested_flush(n);
  return 0;
}

void nested_fini(struct nested *n) {
  free(n->ntlb_tag); free(n->ntlb_hpa); free(n->ntlb_stamp); free(n->ntlb_perm);
  n->ntlb_tag = n->ntlb_hpa = NULL;
  n->ntlb_stamp = n->ntlb_perm = NULL;
  n->ntlb_entries = 0;
}

void nested_flush(struct nested *n) {
  for (uint32_t i = 0; i < n->ntlb_entries; i++) n->ntlb_tag[i] = ~0ull;
  if (n->pwc) pwc_flush(n->pwc);
}

/* rights an access needs in the nested tables: read (TP_U), write + dirty, execute */
static uint32_t need_of(uint32_t acc) {
  return TP_U | (acc & ACC_W ? TP_W | TP_D : 0) | (acc & ACC_F ? TP_X : 0);
}

static bool ntlb_lookup(struct nested *n, uint64_t gpa, uint32_t acc, uint64_t *hpa) {
  uint64_t tag = gpa >> 12;
  uint32_t need = need_of(acc);
  for (uint32_t i = 0; i < n->ntlb_entries; i++)
    if (n->ntlb_tag[i] == tag) {
      if ((n->ntlb_perm[i] & need) != need) return false;   /* walk again (sets D) */
      n->ntlb_stamp[i] = ++n->ntlb_clock;
      *hpa = n->ntlb_hpa[i] | (gpa & 0xfff);
      return true;
    }
  return false;
}

static void ntlb_fill(struct nested *n, uint64_t gpa, uint64_t hpa, uint32_t perm) {
  uint64_t tag = gpa >> 12;
  uint32_t victim = 0;
  for (uint32_t i = 0; i < n->ntlb_entries; i++) {
    if (n->ntlb_tag[i] == tag || n->ntlb_tag[i] == ~0ull) { victim = i; break; }
    if ((int32_t)(n->ntlb_stamp[i] - n->ntlb_stamp[victim]) < 0) victim = i;
  }
  n->ntlb_tag[victim] = tag;
  n->ntlb_hpa[victim] = hpa & ~0xfffull;
  n->ntlb_perm[victim] = perm;
  n->ntlb_stamp[victim] = ++n->ntlb_clock;
}

bool mmu_nested_xlate(struct mmu *m, uint64_t gpa, uint32_t acc, bool final,
                      uint64_t *hpa, struct walk_result *r) {
  struct nested *n = m->nested;
  if (n->ntlb_entries) {
    if (ntlb_lookup(n, gpa, acc, hpa)) {
      n->ntlb_hits++;
      if (final) r->nested_level = 1;     /* NTLB entries are 4K */
      r->cycles += m->pwc ? m->pwc->hit_latency : 1;
      return true;
    }
    n->ntlb_misses++;
  }
  struct pwc *pwc = m->pwc;
  m->nested = NULL;
  m->pwc = n->pwc;
  struct walk_result nr;
  bool ok = mmu_walk_fmt(m, &n->ctl, n->fmt, gpa, ACC_U | acc, &nr);
  m->nested = n;
  m->pwc = pwc;
  m->walks--;                       /* counted as nested walks, not guest walks */
  if (ok) m->walks_by_leaf[nr.level & 3]--;
  else m->walk_faults--;
  n->walks++;
  n->refs += nr.refs;
  r->refs = (uint8_t)(r->refs + nr.refs);
  r->pwc_hits = (uint8_t)(r->pwc_hits + nr.pwc_hits);
  r->cycles += nr.cycles;
  if (!ok) {
    n->fault = true;
    n->fault_final = final;
    n->fault_rsvd = (nr.pfec & PFEC_RSVD) != 0;
    n->fault_gpa = gpa;
    n->fault_access = acc & (ACC_W | ACC_F);
    n->fault_perm = nr.perm & (TP_U | TP_W | TP_X);
    return false;
  }
  if (n->ntlb_entries) ntlb_fill(n, gpa, nr.pa, nr.perm);
  if (final) r->nested_level = nr.level;
  *hpa = nr.pa;
  return true;
}
