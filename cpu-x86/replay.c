/* What the interpreter does with the machine, without the guest's code:
 * the accesses `faultline replay` makes for the records of a trace
 * (traces/FORMAT.md, "What a replay drives").  Each function here is the
 * live path's probe-then-slow-path sequence (mem_r_ptr/mem_w_ptr and
 * mem_slow in mem.c, fetch_xlate and the REP loops of string.c) with the
 * same TLB lookups, cycles, code invalidation and data-cache charges, but
 * a fault is returned instead of raised: the replay decides what follows
 * from the records. */
#include "cpu-x86/interp.h"

uint32_t cpu_class_cost_of(unsigned cls) { return cls < CC__COUNT ? cpu_class_cost[cls] : 0; }

void cpu_set_data_refs(struct vcpu *c, uint64_t n) {
  c->ref_adjust = (int64_t)(n - (cpu_data_refs(c) - (uint64_t)c->ref_adjust));
}

static inline int canonical(uint64_t va, const struct vcpu *c) {
  int bits = (c->ctl.cr4 & CR4_LA57) ? 57 : 48;
  int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
  return (uint64_t)s == va;
}

/* mem_slow without the raise */
static uint32_t slow(struct vcpu *c, uint64_t va, unsigned size, uint32_t acc, uint64_t *fva) {
  if (!canonical(va, c) || !canonical(va + size - 1, c)) return CPU_REPLAY_GP;
  if (c->cpl == 3) acc |= ACC_U;
  struct xlate x;
  uint32_t pf = mmu_translate(c->mmu, &c->tlb, &c->ctl, va, acc, &x);
  c->cycles += x.cycles;
  if (pf) { *fva = va; return pf; }
  if ((acc & ACC_W) && (c->mmu->mem->frame_flags[x.pa >> 12] & FRAME_CODE)) code_invalidate_pa(c, x.pa);
  if (c->dcache && !(acc & ACC_F)) c->cycles += cache_access_range(c->dcache, x.pa, size, (acc & ACC_W) != 0);
  return 0;
}

/* the inline probe of mem_r_ptr / mem_w_ptr_k: true on a hit */
static inline __attribute__((always_inline)) bool probe(struct vcpu *c, uint64_t va, unsigned size, bool write) {
  if (crosses(va, size)) return false;
  uint32_t need = write ? NEED_UW : NEED_UR;
  uint8_t *p = tlb_hit(&c->tlb.l1d, va, cur_pcid(c), need);
  if (!p) p = tlb_hit_sz(&c->tlb.l1d2m, va, cur_pcid(c), need);
  if (!p) return false;
  c->cycles += c->tlb.l1d.latency;
  if (c->dcache) c->cycles += cache_access_range(c->dcache, (uint64_t)(p - c->host_base), size, write);
  return true;
}

uint32_t cpu_replay_ref(struct vcpu *c, uint64_t va, unsigned size, unsigned kind, uint64_t *fva) {
  bool write = kind != REF_LOAD;
  if (probe(c, va, size, write)) return 0;
  c->slow_refs++;
  uint32_t acc = write ? ACC_W : 0;
  if (!crosses(va, size)) return slow(c, va, size, acc, fva);
  /* both pages are translated before either is touched (mem.c) */
  unsigned first = 0x1000 - (va & 0xfff);
  uint32_t r = slow(c, va, first, acc, fva);
  return r ? r : slow(c, va + first, size - first, acc, fva);
}

uint32_t cpu_replay_fetch(struct vcpu *c, uint64_t va) {
  uint8_t *h = tlb_hit(&c->tlb.l1i, va, cur_pcid(c), NEED_UF);
  if (!h) h = tlb_hit_sz(&c->tlb.l1i2m, va, cur_pcid(c), NEED_UF);
  if (h) { c->cycles += c->tlb.l1i.latency; return 0; }
  uint64_t fva;
  return slow(c, va, 1, ACC_F | ACC_U, &fva);
}

/* ---- REP string instructions: string.c's loops over the iterations ---- */
static inline uint64_t rep_adv(const struct cpu_replay_rep *r, uint64_t a, int64_t d) {
  a += (uint64_t)d;
  return (r->op & 16) ? (uint32_t)a : a;
}

uint32_t cpu_replay_rep(struct vcpu *c, struct cpu_replay_rep *r, uint64_t *fva) {
  unsigned sz = r->size, op = r->op & 7;
  bool chunky = !(r->op & 8) && !(r->op & 16);     /* forward, 64-bit addresses */
  int64_t d = (r->op & 8) ? -(int64_t)sz : (int64_t)sz;
  uint32_t pf;
  while (r->left) {
    uint64_t s = r->src, t = r->dst;
    if (chunky && (op == 0 || op == 1)) {
      /* the fast chunk: both pages' probes hit (string.c) */
      uint64_t n = r->left + r->beyond;
      uint64_t room_t = (0x1000 - (t & 0xfff)) / sz, k = n < room_t ? n : room_t;
      if (op == 0) {
        uint64_t room_s = (0x1000 - (s & 0xfff)) / sz;
        if (room_s < k) k = room_s;
      }
      if (k > 1) {
        bool ok = op == 0 ? probe(c, s, (unsigned)(k * sz), false) && probe(c, t, (unsigned)(k * sz), true)
                          : probe(c, t, (unsigned)(k * sz), true);
        if (ok) {
          if (k > r->left) k = r->left;    /* (a chunk never passes a recorded fault) */
          if (op == 0) r->src += k * sz;
          r->dst += k * sz;
          r->left -= k;
          continue;
        }
      }
    }
    /* one iteration: movs loads then stores, cmps loads both, stos
     * stores, lods and scas load */
    switch (op) {
    case 0:
      if ((pf = cpu_replay_ref(c, s, sz, REF_LOAD, fva))) return pf;
      if ((pf = cpu_replay_ref(c, t, sz, REF_STORE, fva))) return pf;
      break;
    case 1: if ((pf = cpu_replay_ref(c, t, sz, REF_STORE, fva))) return pf; break;
    case 2: if ((pf = cpu_replay_ref(c, s, sz, REF_LOAD, fva))) return pf; break;
    case 3:
      if ((pf = cpu_replay_ref(c, s, sz, REF_LOAD, fva))) return pf;
      if ((pf = cpu_replay_ref(c, t, sz, REF_LOAD, fva))) return pf;
      break;
    default: if ((pf = cpu_replay_ref(c, t, sz, REF_LOAD, fva))) return pf; break;
    }
    if (op == 0 || op == 2 || op == 3) r->src = rep_adv(r, s, d);
    if (op != 2) r->dst = rep_adv(r, t, d);
    r->left--;
  }
  return 0;
}
