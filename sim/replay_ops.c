/* `faultline replay`'s guest kernel (traces/FORMAT.md "What a replay
 * drives"): the machine work of its records -- through the live run's
 * accessors, so a mode traps and charges them as it would -- and its
 * decisions as struct guest_ops, each from its record (the fault's plan,
 * every other operation's kop), with the records before it as its work. */
#include "sim/replay_priv.h"
#include "sim/mm_internal.h"
#include "mmu/cache.h"
#include <string.h>

/* ---- the guest kernel's machine work, one record ---- */
bool replay_kernel_work(uint8_t kind) {
  switch (kind) {
  case FLTR_K_KACC: case FLTR_K_PTE: case FLTR_K_PT_NEW: case FLTR_K_PV_BATCH: case FLTR_K_INVLPG:
  case FLTR_K_TLB_FLUSH: case FLTR_K_FRAME: case FLTR_K_PC_FILL: case FLTR_K_RECLAIM:
    return true;
  default: return false;
  }
}

/* cyc: the fault-path operation the record is part of (NULL: none; then
 * the accessors charge the CPU themselves, as in a live run) */
void replay_kernel_record(struct replay *R, const struct fltr_rec *r, uint64_t *cyc) {
  struct kernel *k = R->k;
  const uint64_t *v = r->v;
  switch (r->kind) {
  case FLTR_K_KACC: {
    uint32_t acc = (uint32_t)(v[1] & (ACC_W | ACC_F)) | (v[1] & 64 ? ACC_PT_READ : 0);
    uint8_t *h = kaccess(k, v[0], acc, cyc);
    if ((v[1] & 64) && k->hv->mode->pv_pte_descend) {
      /* a page-table read is of one aligned entry in memory (a corrupt
       * address can be in the direct map's last 1 GiB page past memory's
       * end, which the guest kernel never reads) */
      const uint8_t *mem = mem_host(k->mem, 0);
      if ((v[0] & 7) || h < mem || h + 8 > mem + k->mem->ram_bytes + k->mem->pool_bytes)
        replay_fail(R, "page-table read at %#llx: not an entry in memory", (unsigned long long)v[0]);
      /* pt_descend follows every entry it reads above the level it wants
       * that is present and not a large leaf (Xen PV: the M2P lookup) */
      uint64_t e;
      memcpy(&e, h, 8);
      if ((e & PTE_P) && !(e & PTE_PS)) k->hv->mode->pv_pte_descend(k->hv, e);
    }
    break;
  }
  case FLTR_K_PTE:
    if (v[0] + 8 > k->mem->ram_bytes + k->mem->pool_bytes || (v[0] & 7)) replay_fail(R, "entry %#llx outside memory", (unsigned long long)v[0]);
    if (v[1] & PTE_P) {
      /* what it maps (a table, a 4K, 2M or 1G page) must be memory: the
       * guest kernel never writes another (a corrupt trace would have the
       * walker read outside it) */
      int lv = (int)(v[2] & 7);
      uint64_t span = !(v[1] & PTE_PS) || lv <= 1 ? PAGE : lv == 2 ? 1ull << 21 : 1ull << 30;
      uint64_t base = (v[1] & PTE_ADDR) & ~(span - 1);
      if (base + span > k->mem->ram_bytes + k->mem->pool_bytes)
        replay_fail(R, "entry %#llx maps %#llx, outside memory", (unsigned long long)v[0], (unsigned long long)base);
    }
    if ((v[1] & PTE_P) && (v[1] & PTE_PS) && (v[2] & 7) < 4 && k->hv->mode->no_pse)
      replay_fail(R, "the recording maps large pages, which a guest of mode %s cannot (no PSE): record under %s, or "
              "with --set guest.thp=0 and no hugetlb pages", k->hv->mode->name, k->hv->mode->name);
    if (v[2] & 128) memcpy(mem_host(k->mem, v[0]), &v[1], 8);
    else kwrite_pte(k, v[0], v[1], (int)(v[2] & (7 | PV_PTE_DIRECT)), cyc);
    break;
  case FLTR_K_PT_NEW:
    /* how (minor version 2; 0 in older traces): 0 a table announced as
     * allocated, 1 one of an address space not pinned yet (counted only),
     * 2 announced at that address space's pin (not a new table) */
    if ((v[0] << 12) >= k->mem->ram_bytes) replay_fail(R, "frame outside memory");
    if (v[1] < 1 || v[1] > 4 || v[2] > 2) replay_fail(R, "bad page-table record");
    if (v[2] != 2) R->pt_new++;
    if (v[2] == 0) pv_new_table(k, v[0] << 12, (int)v[1]);
    else if (v[2] == 2) pv_pin_table(k, v[0] << 12, (int)v[1]);
    break;
  case FLTR_K_PV_BATCH: pv_batch(k, v[0] != 0); break;
  case FLTR_K_INVLPG: flush_user_va(k, v[0]); break;
  case FLTR_K_TLB_FLUSH:
    if (v[0] == 2) smp_catch_up(k);   /* --cpus: a lazy vCPU's catch-up, decided again */
    else guest_flush_tlb(k);
    break;
  case FLTR_K_FRAME: {
    uint64_t pa = v[1] << 12;
    if (pa >= k->mem->ram_bytes || (v[0] == 3 && (v[2] << 12) >= k->mem->ram_bytes)) replay_fail(R, "frame outside memory");
    uint64_t dc = 0;
    switch (v[0]) {
    case 0:
      /* the kernel zeroes a frame that becomes a page table (through the
       * direct map: the kacc record that follows); the replay keeps only
       * page tables in memory, so every new frame starts zeroed */
      memset(mem_host(k->mem, pa), 0, PAGE);
      cpu_invalidate_frame(R->c, pa);
      if (k->hv->mode->frame_owner) k->hv->mode->frame_owner(k->hv, pa, 1, true);
      break;
    case 1:
      cpu_invalidate_frame(R->c, pa);
      if (k->hv->mode->frame_owner) k->hv->mode->frame_owner(k->hv, pa, 1, false);
      break;
    case 2: if (R->c->dcache) dc = cache_access_range(R->c->dcache, pa, PAGE, true); break;
    case 3:
      if (R->c->dcache)
        dc = cache_access_range(R->c->dcache, v[2] << 12, PAGE, false) + cache_access_range(R->c->dcache, pa, PAGE, true);
      break;
    case 4:
      if (pa + 0x200000 > k->mem->ram_bytes) replay_fail(R, "frame outside memory");
      for (uint64_t f = 0; f < 0x200000; f += PAGE) cpu_invalidate_frame(R->c, pa + f);
      if (k->hv->mode->frame_owner) k->hv->mode->frame_owner(k->hv, pa, 512, true);
      break;
    default: replay_fail(R, "unknown frame op %llu", (unsigned long long)v[0]);
    }
    if (cyc) *cyc += dc;
    else R->c->cycles += dc;
    break;
  }
  case FLTR_K_PC_FILL: break;   /* no machine work of its own */
  case FLTR_K_RECLAIM: if (k->hv->mode->reclaim) k->hv->mode->reclaim(k->hv, 1); break;
  default: replay_fail(R, "not the guest kernel's machine work");
  }
}

/* ---- the guest kernel's fault-path decisions, from the records ---- */

/* the leaf entry mapping va in the running address space, read as the
 * model's inspection (no charge): a COW's source frame */
static uint64_t host_leaf(struct kernel *k, uint64_t va) {
  uint64_t table = k->mm ? k->mm->pml4 : 0;
  for (int l = 4; l >= 1 && table; l--) {
    uint64_t e;
    memcpy(&e, mem_host(k->mem, pt_entry_pa(table, va, l)), 8);
    if (!(e & PTE_P) && !(l == 1 && pte_mapped(e))) return 0;
    if (l == 1 || (e & PTE_PS)) return pte_frame(e, va);
    table = e & PTE_ADDR;
    if (table >= k->mem->ram_bytes + k->mem->pool_bytes) return 0;
  }
  return 0;
}

static uint64_t rop_plan(void *kp, uint64_t va, uint32_t err, struct fault_plan *p) {
  struct replay *R = the_replay(kp);
  uint64_t cyc = 0;
  const struct fltr_rec *r;
  /* a fault the guest sees stops its instruction: the raise recorded the
   * cut (the rest of the block was taken off when it faulted) */
  const struct fltr_rec *p0 = fltr_decoder_peek(R->dec);
  if (R->raising && p0 && p0->kind == FLTR_K_CUT) {
    replay_next(R);
    if (R->rec.v[0] != R->raising - 1)
      replay_fail(R, "the cut is at instruction %llu, the fault at %u", (unsigned long long)R->rec.v[0], R->raising - 1);
  }
  while ((r = replay_next(R))->kind != FLTR_K_FAULT) {
    if (!replay_kernel_work(r->kind)) replay_fail(R, "the guest kernel's fault at %#llx should be recorded here", (unsigned long long)va);
    replay_kernel_record(R, r, &cyc);
  }
  if (r->v[0] != va || r->v[1] != err)
    replay_fail(R, "the fault is at %#llx (error %#x) here, at %#llx (error %#llx) in the recording", (unsigned long long)va,
         err, (unsigned long long)r->v[0], (unsigned long long)r->v[1]);
  memset(p, 0, sizeof *p);
  unsigned kind = (unsigned)(r->v[2] & 63);
  if (kind > FK_USERFAULT) replay_fail(R, "unknown fault kind %u", kind);
  p->kind = (enum fault_kind)kind;
  R->k->smp.plan_kind = (int)kind;
  p->copy = r->v[2] & 64;
  p->stack_grow = r->v[2] & 128;
  p->pte_flags = r->v[3];
  p->va = va;
  p->page = kind == FK_THP ? va & ~0x1fffffull : va & PAGE_MASK;
  p->write = err & PFEC_W;
  p->fetch = err & PFEC_I;
  p->user = err & PFEC_U;
  if (kind == FK_COW || kind == FK_WRITE_UPGRADE) p->old_pa = host_leaf(R->k, va);
  R->plan_taken = true;
  return cyc;
}

/* the records of one operation, up to its kop; returns the kop */
static const struct fltr_rec *op_records(struct replay *R, int op, uint64_t *cyc) {
  const struct fltr_rec *r;
  while ((r = replay_next(R))->kind != FLTR_K_KOP) {
    if (!replay_kernel_work(r->kind)) replay_fail(R, "the guest kernel's %s should end here", fltr_kop_names[op]);
    replay_kernel_record(R, r, cyc);
  }
  if (r->v[0] != (uint64_t)op)
    replay_fail(R, "the mode asks the guest kernel for %s here, the recording for %s (a decision this replay cannot take: "
         "see traces/FORMAT.md, What may change at replay)", fltr_kop_names[op],
         r->v[0] < FLTR_KOP__COUNT ? fltr_kop_names[r->v[0]] : "?");
  return r;
}

/* an operation whose only result is its cycles */
static uint64_t op_cycles(void *kp, int op) {
  uint64_t cyc = 0;
  op_records(the_replay(kp), op, &cyc);
  return cyc;
}

static uint64_t rop_ensure_tables(void *kp, uint64_t va, uint64_t *leaf_pa, int *newt) {
  (void)va;
  uint64_t cyc = 0;
  const struct fltr_rec *r = op_records(the_replay(kp), FLTR_KOP_ENSURE_TABLES, &cyc);
  *leaf_pa = r->v[1];
  *newt = (int)r->v[2];
  return cyc;
}
static uint64_t rop_alloc_frame(void *kp, uint64_t *pa) {
  uint64_t cyc = 0;
  *pa = op_records(the_replay(kp), FLTR_KOP_ALLOC_FRAME, &cyc)->v[1];
  return cyc;
}
static uint64_t rop_zero_frame(void *kp, uint64_t pa) {
  (void)pa;
  return op_cycles(kp, FLTR_KOP_ZERO_FRAME);
}
static uint64_t rop_file_page(void *kp, const struct fault_plan *p, uint64_t *pa, bool *hit) {
  (void)p;
  struct kernel *k = kp;
  uint64_t cyc = 0;
  const struct fltr_rec *r = op_records(the_replay(kp), FLTR_KOP_FILE_PAGE, &cyc);
  *pa = r->v[1];
  *hit = r->v[2] & 1;
  if (r->v[2] & 2) cyc += k->policy.io_read_latency;   /* the device read: this replay's latency */
  return cyc;
}
static uint64_t rop_fault_around(void *kp, const struct fault_plan *p, int *n) {
  (void)p;
  uint64_t cyc = 0;
  *n = (int)op_records(the_replay(kp), FLTR_KOP_FAULT_AROUND, &cyc)->v[2];
  return cyc;
}
static uint64_t rop_copy_frame(void *kp, uint64_t dst, uint64_t src) {
  (void)dst, (void)src;
  return op_cycles(kp, FLTR_KOP_COPY_FRAME);
}
static uint64_t rop_zero_page_pa(void *kp) {
  uint64_t cyc = 0;
  return op_records(the_replay(kp), FLTR_KOP_ZERO_PAGE, &cyc)->v[1];
}
static uint64_t rop_write_pte(void *kp, uint64_t leaf_pa, uint64_t pte) {
  (void)leaf_pa, (void)pte;
  return op_cycles(kp, FLTR_KOP_WRITE_PTE);
}
static uint64_t rop_invlpg(void *kp, uint64_t va) {
  (void)va;
  fault_flush_local(kp, 1);            /* (as op_invlpg: its recorded invlpg's shootdown) */
  uint64_t cyc = op_cycles(kp, FLTR_KOP_INVLPG);
  fault_flush_local(kp, -1);
  return cyc;
}
static void rop_release(void *kp, uint64_t pa) {
  (void)pa;
  ((struct kernel *)kp)->cpu->cycles += op_cycles(kp, FLTR_KOP_RELEASE_FRAME);
}
static uint64_t rop_thp_alloc(void *kp, uint64_t *pa) {
  uint64_t cyc = 0;
  *pa = op_records(the_replay(kp), FLTR_KOP_THP_ALLOC, &cyc)->v[1];
  return cyc;
}
static uint64_t rop_thp_zero(void *kp, uint64_t pa) {
  (void)pa;
  return op_cycles(kp, FLTR_KOP_THP_ZERO);
}
static uint64_t rop_thp_map(void *kp, const struct fault_plan *p, uint64_t pa) {
  (void)p, (void)pa;
  return op_cycles(kp, FLTR_KOP_THP_MAP);
}
static uint64_t rop_prefault_anon(void *kp, const struct fault_plan *p, int n, int *done) {
  (void)p, (void)n;
  struct kernel *k = kp;
  uint64_t cyc = 0;
  *done = (int)op_records(the_replay(kp), FLTR_KOP_PREFAULT_ANON, &cyc)->v[2];
  return cyc + k->policy.frame_zero_cost * (uint64_t)*done;
}

void replay_ops(struct guest_ops *o) {
  o->plan = rop_plan;
  o->ensure_tables = rop_ensure_tables;
  o->alloc_frame = rop_alloc_frame;
  o->zero_frame = rop_zero_frame;
  o->file_page = rop_file_page;
  o->fault_around = rop_fault_around;
  o->copy_frame = rop_copy_frame;
  o->zero_page_pa = rop_zero_page_pa;
  o->write_pte = rop_write_pte;
  o->invlpg = rop_invlpg;
  o->release_frame = rop_release;
  o->thp_alloc = rop_thp_alloc;
  o->thp_zero = rop_thp_zero;
  o->thp_map = rop_thp_map;
  o->prefault_anon = rop_prefault_anon;
}

