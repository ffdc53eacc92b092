/* hvm-shadow: HVM with shadow paging (seeds 003 and 004: "#VMEXIT 0x4E ->
 * svm_do_pagefault -> shadow_fault -> inject with svm_inject_exception ->
 * VMRUN"), on VMX (--cpu intel) or SVM (amd) through the one exit path.
 *
 * The guest kernel owns its page tables in guest-physical memory; the CPU
 * walks shadow tables the hypervisor builds from them (CR3 holds a shadow
 * root).  Every #PF exits (exception bitmap bit 14 / intercept 0x4E):
 *   - the hypervisor walks the guest table with the same walker
 *     (mmu_walk on the guest's CR3; it sets the guest's A/D bits);
 *   - the guest allows the access: a hidden fault — fill the shadow entry
 *     (write access only once the guest's D bit is set: D emulation);
 *   - it does not: inject the #PF with the guest walk's error code and CR2
 *     and run the guest's handler (native.c's Linux path);
 *   - the guest's store to its page table traps because every frame that
 *     is a guest page table is write-protected in the shadow: the
 *     hypervisor emulates the store and updates the shadow entry, or, with
 *     shadow.oos, lets a leaf table go out of sync until the next CR3 write
 *     or INVLPG, or, for a non-PTE store (the frame is data again),
 *     unshadows the frame.
 * CR3 writes exit (CR-access 28 / WRITE_CR3 0x13) unless they hit a VMX
 * CR3-target value; INVLPG (14 / 0x79) and INVPCID (58 / 0xA2) exit.
 *
 * Shadow pages are keyed by (guest table frame, level) as KVM keys them,
 * plus "direct" pages that split a guest 2M/1G page into 4K shadow
 * entries (a large guest page may contain guest page tables, which must be
 * write-protected one frame at a time).  Guest-physical page X is backed
 * by machine page X; shadow pages come from the hypervisor's pool. */
#define _GNU_SOURCE 1   /* tdestroy */
#include "hv-models/hvm.h"
#include <stddef.h>
#include <search.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SPTE_TABLE (PTE_P | PTE_W | PTE_U | PTE_A)

struct sp {                  /* one shadow page-table page */
  uint64_t key;              /* gfn << 8 | level << 4 | direct << 3 | access */
  uint64_t spa;              /* its machine address (pool) */
  uint64_t gfn;
  uint8_t level;
  bool direct;               /* splits a guest large page (no guest table) */
  bool active;               /* shadows its guest table now (write-protects it) */
  bool unsync;               /* shadow.oos: the guest table may differ */
};

struct rmap { uint32_t n, cap; uint64_t *spte; };   /* sptes mapping a frame */

struct hvm_shadow {
  struct hvm x;
  void *tree;                /* tsearch tree of struct sp *, by key */
  struct sp **all;
  size_t nall, capall;
  uint16_t *wp;              /* per frame: active, in-sync shadow pages of it */
  struct rmap *rmap;         /* per frame */
  uint64_t nframes;
  uint64_t guest_cr3;        /* the guest's CR3 (VMCS GUEST_CR3 / VMCB CR3) */
  uint64_t root;             /* shadow root loaded in the hardware CR3 */
  bool cache, oos;
  uint32_t ntargets, next_target, max_targets;
  uint64_t target_root[4];
  struct hv *h;
  /* --cpus: the shadow pages are the VM's; each vCPU has its own VMCS,
   * guest CR3, loaded root and CR3 targets (swapped in by select_cpu) */
  struct hvm_cpus cpus;
  struct { uint64_t guest_cr3, root, target_root[4]; uint32_t ntargets, next_target; } saved[HV_MAX_CPUS];
};
_Static_assert(offsetof(struct hvm_shadow, x) == 0, "hvm_remote_flush finds struct hvm at priv");

static int key_cmp(const void *a, const void *b) {
  uint64_t x = ((const struct sp *)a)->key, y = ((const struct sp *)b)->key;
  return x < y ? -1 : x > y;
}

static uint64_t sp_key(uint64_t gfn, int level, bool direct, unsigned access) {
  return gfn << 8 | (uint64_t)level << 4 | (uint64_t)direct << 3 | (access & 7);
}

static struct sp *sp_find(struct hvm_shadow *s, uint64_t key) {
  struct sp probe = {.key = key};
  void *r = tfind(&probe, &s->tree, key_cmp);
  return r ? *(struct sp **)r : NULL;
}


static void rmap_add(struct hvm_shadow *s, uint64_t gfn, uint64_t spte_pa) {
  if (gfn >= s->nframes) return;
  struct rmap *r = &s->rmap[gfn];
  for (uint32_t i = 0; i < r->n; i++)
    if (r->spte[i] == spte_pa) return;
  if (r->n == r->cap) {
    uint32_t nc = r->cap ? r->cap * 2 : 4;
    uint64_t *p = realloc(r->spte, nc * sizeof *p);
    if (!p) return;
    r->spte = p;
    r->cap = nc;
  }
  r->spte[r->n++] = spte_pa;
}

/* Remove write access from every shadow leaf that maps gfn (KVM
 * rmap_write_protect); stale rmap entries are dropped on the way. */
static uint64_t write_protect(struct hvm_shadow *s, uint64_t gfn) {
  struct hv *h = s->h;
  struct rmap *r = &s->rmap[gfn];
  uint32_t keep = 0;
  bool changed = false;
  uint64_t cyc = 0;
  for (uint32_t i = 0; i < r->n; i++) {
    uint64_t e = hv_read64(h, r->spte[i], &cyc);
    if (!(e & PTE_P) || ((e & PTE_ADDR) >> 12) != gfn) continue;   /* stale */
    if (e & PTE_W) { hv_write64(h, r->spte[i], e & ~(PTE_W | PTE_D), &cyc); changed = true; }
    r->spte[keep++] = r->spte[i];
  }
  r->n = keep;
  h->st.counter[HV_C_SHADOW_WRPROTECTS]++;
  /* the TLB may hold writable translations of the frame: flush (KVM
   * kvm_flush_remote_tlbs) */
  if (changed) {
    hvm_flush_guest_tlb(h, &s->x);
    hvm_remote_flush(h);               /* the other vCPUs use the same shadow */
  }
  return cyc;
}

static void sp_activate(struct hvm_shadow *s, struct sp *p) {
  if (p->active || p->direct) return;
  p->active = true;
  p->unsync = false;
  if (p->gfn < s->nframes && s->wp[p->gfn]++ == 0) {
    hv_begin(s->h, EV_S_SHADOW_WRPROTECT, p->gfn << 12, 0);
    hv_end(s->h, write_protect(s, p->gfn));
  }
}

/* The shadow page for a guest table (or a direct split); created empty. */
static struct sp *sp_get(struct hvm_shadow *s, uint64_t gfn, int level, bool direct, unsigned access) {
  uint64_t key = sp_key(gfn, level, direct, access);
  struct sp *p = sp_find(s, key);
  if (!p) {
    uint64_t spa = mem_pool_alloc(s->h->mmu->mem);
    if (!spa) return NULL;
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    *p = (struct sp){.key = key, .spa = spa, .gfn = gfn, .level = (uint8_t)level, .direct = direct};
    if (!tsearch(p, &s->tree, key_cmp)) { free(p); return NULL; }
    if (s->nall == s->capall) {
      s->capall = s->capall ? s->capall * 2 : 256;
      s->all = realloc(s->all, s->capall * sizeof *s->all);
    }
    s->all[s->nall++] = p;
    s->h->st.counter[HV_C_SHADOW_PAGES]++;
    uint64_t cyc = 0;
    hv_begin(s->h, EV_S_SHADOW_PT_ALLOC, gfn << 12, (uint64_t)level);
    hv_clear_page(s->h, spa, &cyc);
    hv_end(s->h, cyc);
  }
  sp_activate(s, p);
  return p;
}

/* Frame gfn is data again: its shadow pages are emptied and it is no
 * longer write-protected (KVM kvm_mmu_unprotect_page). */
static void unshadow(struct hvm_shadow *s, uint64_t gfn) {
  uint64_t cyc = 0;
  hv_begin(s->h, EV_S_SHADOW_UNSHADOW, gfn << 12, 0);
  for (int level = 1; level <= 5; level++) {
    struct sp *p = sp_find(s, sp_key(gfn, level, false, 0));
    if (!p || !p->active) continue;
    hv_clear_page(s->h, p->spa, &cyc);
    p->active = false;
    if (!p->unsync && s->wp[gfn]) s->wp[gfn]--;
    p->unsync = false;
  }
  s->h->st.counter[HV_C_SHADOW_UNSHADOWS]++;
  hvm_flush_guest_tlb(s->h, &s->x);   /* translations through the emptied tables */
  hvm_remote_flush(s->h);
  hv_end(s->h, cyc);
}

/* The shadow leaf for a guest leaf entry ge mapping frame gfn: write
 * access only if the guest allows it, its D bit is set (D emulation) and
 * the frame is not a write-protected guest page table. */
static uint64_t leaf_spte(struct hvm_shadow *s, uint64_t ge, uint64_t gfn) {
  uint64_t e = (gfn << 12) | PTE_P | PTE_A | (ge & (PTE_U | PTE_G | PTE_NX));
  if ((ge & PTE_W) && (ge & PTE_D) && !(gfn < s->nframes && s->wp[gfn])) e |= PTE_W | PTE_D;
  return e;
}

static int levels_of(const struct hv *h) { return (h->cpu->ctl.cr4 & CR4_LA57) ? 5 : 4; }

/* Fill the shadow for va from a successful guest walk r (the guest's
 * entries are re-read along r->path). */
static int shadow_fill(struct hvm_shadow *s, uint64_t va, const struct walk_result *r) {
  struct hv *h = s->h;
  int levels = levels_of(h);
  uint64_t table_spa = s->root, cyc = 0;
  hv_begin(h, EV_S_SHADOW_FILL, va, 0);
  for (int i = 0, level = levels; i < r->path_n; i++, level--) {
    uint64_t ge = hv_read64(h, r->path[i], &cyc);
    uint64_t se_pa = pt_entry_pa(table_spa, va, level);
    bool leaf = i == r->path_n - 1;
    if (leaf && level == 1) {
      uint64_t gfn = (ge & PTE_ADDR & ((1ull << h->cpu->ctl.maxphyaddr) - 1)) >> 12;
      hv_write64(h, se_pa, leaf_spte(s, ge, gfn), &cyc);
      rmap_add(s, gfn, se_pa);
      break;
    }
    if (leaf) {
      /* a guest 2M/1G page: direct shadow pages down to 4K entries */
      uint64_t size = pt_span(level);
      uint64_t base = ge & PTE_ADDR & ~(size - 1) & ((1ull << h->cpu->ctl.maxphyaddr) - 1);
      unsigned access = (ge & PTE_W ? 1 : 0) | (ge & PTE_U ? 2 : 0) | (ge & PTE_NX ? 4 : 0);
      uint64_t cur_se_pa = se_pa;
      for (int l = level - 1; l >= 1; l--) {
        uint64_t sub = pt_span(l + 1);                  /* size covered by the table at level l */
        uint64_t region = base + ((va & (size - 1)) & ~(sub - 1));
        struct sp *d = sp_get(s, region >> 12, l, true, access);
        if (!d) { hv_end(h, cyc); return -1; }
        hv_write64(h, cur_se_pa, d->spa | SPTE_TABLE, &cyc);
        cur_se_pa = pt_entry_pa(d->spa, va, l);
      }
      uint64_t gfn = (base + (va & (size - 1))) >> 12;
      /* the leaf keeps the large entry's rights; D from the large entry */
      hv_write64(h, cur_se_pa, leaf_spte(s, ge, gfn), &cyc);
      rmap_add(s, gfn, cur_se_pa);
      break;
    }
    uint64_t child_gfn = (ge & PTE_ADDR & ((1ull << h->cpu->ctl.maxphyaddr) - 1)) >> 12;
    struct sp *c = sp_get(s, child_gfn, level - 1, false, 0);
    if (!c) { hv_end(h, cyc); return -1; }
    hv_write64(h, se_pa, c->spa | PTE_P | PTE_A | (ge & (PTE_W | PTE_U | PTE_NX)), &cyc);
    table_spa = c->spa;
  }
  h->st.counter[HV_C_SHADOW_FILLS]++;
  hv_end(h, cyc);
  return 0;
}

/* The hypervisor's software walk of the guest tables (guest CR3, the
 * guest's paging controls): the same walker, without the hardware's
 * paging-structure caches; its references are charged to the step. */
static bool guest_walk(struct hvm_shadow *s, uint64_t va, uint32_t acc, struct walk_result *r) {
  struct hv *h = s->h;
  struct mmu_ctl g = h->cpu->ctl;
  g.cr3 = s->guest_cr3 & ~CR3_NOFLUSH;
  hv_begin(h, EV_S_SHADOW_WALK, va, 0);
  bool ok = mmu_walk_software(h->mmu, &g, va, acc, r);
  hv_set_arg(h, ok);
  hv_end(h, r->cycles);
  return ok;
}

static uint32_t acc_of(uint32_t err, bool in_kernel) {
  uint32_t acc = err & (ACC_W | ACC_U | ACC_F);
  if (in_kernel && !(acc & ACC_U)) acc |= ACC_AC;   /* copy_*_user runs with EFLAGS.AC (STAC) */
  return acc;
}

static void pf_exit(struct hvm_shadow *s, uint64_t va, uint32_t err) {
  /* exception bitmap bit 14 (VMX, PFEC mask = match = 0) / intercept 0x4E */
  virt_record_exception_exit(&s->x.virt, VIRT_VEC_PF, true, err, va, 0);
  hvm_exit(s->h, &s->x);
}

/* Guest #PF (user mode, or a kernel copy of user memory). */
static int shadow_pf(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct hvm_shadow *s = h->priv;
  hv_begin(h, EV_S_FAULT, va, err);
  pf_exit(s, va, err);
  struct walk_result r;
  if (guest_walk(s, va, acc_of(err, in_kernel), &r)) {
    /* a write the guest allows to a frame still write-protected as a
     * (former) guest page table: the frame is data now (a table freed and
     * reused, filled by a device read): unprotect it, as KVM does
     * (kvm_mmu_unprotect_page), or the write would fault for ever */
    uint64_t gfn = r.pa >> 12;
    bool data = (err & PFEC_W) && gfn < s->nframes && s->wp[gfn];
    if (data) unshadow(s, gfn);
    int bad = shadow_fill(s, va, &r);
    hv_fault_kind(h, bad ? EV_K_UNRESOLVED : data ? EV_K_SHADOW_UNSHADOW : EV_K_SHADOW_FILL, false);
    tlb_flush_va(&h->cpu->tlb, va);
    hvm_entry(h, &s->x);
    hv_end(h, 0);
    return bad ? SIGKILL : 0;
  }
  /* the guest's own fault: inject it (SDM 26.6 / APM 15.20); CR2 is the
   * hypervisor's to load (VMX: physical CR2 before entry; SVM: VMCB.CR2) */
  struct virt_event ev = {.valid = true, .type = VIRT_EV_HWEXC, .vector = VIRT_VEC_PF,
                          .has_err = true, .err = r.pfec};
  virt_inject_event(&s->x.virt, &ev, 0);
  virt_load_guest_cr2(&s->x.virt, va);
  h->st.counter[HV_C_INJECTED_PF]++;
  hv_step(h, EV_S_HV_INJECT, va, r.pfec, 0);
  hvm_entry(h, &s->x);
  h->fault_open = true;      /* the guest's steps continue this fault */
  int sig = linux_guest_pf(h, va, r.pfec & 0xffff, in_kernel, si_code);
  hv_end(h, 0);
  return sig;
}

/* Write a guest entry and bring each shadow of that table in line (KVM
 * kvm_mmu_pte_write): a level-1 entry is refilled at once when the guest
 * made it present and accessed, any other is zapped and refills on use. */
static uint64_t emulate_store(struct hvm_shadow *s, uint64_t gpa, uint64_t val) {
  struct hv *h = s->h;
  uint64_t cyc = 0;
  hv_write64(h, gpa, val, &cyc);
  uint64_t gfn = gpa >> 12;
  unsigned idx = (unsigned)(gpa & 0xfff) / 8;
  bool remote = false;
  for (int level = 1; level <= 5; level++) {
    struct sp *p = sp_find(s, sp_key(gfn, level, false, 0));
    if (!p || !p->active) continue;
    uint64_t se_pa = p->spa + idx * 8ull, old = h->ncpus > 1 ? hv_read64(h, se_pa, &cyc) : 0, se = 0;
    if (level == 1 && (val & PTE_P) && (val & PTE_A)) {
      uint64_t g2 = (val & PTE_ADDR & ((1ull << h->cpu->ctl.maxphyaddr) - 1)) >> 12;
      se = leaf_spte(s, val, g2);
      hv_write64(h, se_pa, se, &cyc);
      rmap_add(s, g2, se_pa);
    } else {
      hv_write64(h, se_pa, 0, &cyc);
    }
    /* KVM need_remote_flush: a present entry lost its frame or a right
     * that other vCPUs' TLBs may still hold */
    remote |= (old & PTE_P) && (!(se & PTE_P) || (se & PTE_ADDR) != (old & PTE_ADDR) ||
                                ((old & PTE_W) && !(se & PTE_W)) || (!(old & PTE_NX) && (se & PTE_NX)) ||
                                ((old & PTE_U) && !(se & PTE_U)));
  }
  if (remote) hvm_remote_flush(h);
  return cyc;
}

/* shadow.oos: only a leaf table may go out of sync */
static bool only_leaf_shadow(struct hvm_shadow *s, uint64_t gfn) {
  for (int level = 2; level <= 5; level++) {
    struct sp *p = sp_find(s, sp_key(gfn, level, false, 0));
    if (p && p->active) return false;
  }
  struct sp *p = sp_find(s, sp_key(gfn, 1, false, 0));
  return p && p->active && !p->unsync;
}

/* A guest-kernel access the guest's tables allow faulted in the shadow. */
static int shadow_kernel_fault(struct hv *h, uint64_t va, uint32_t acc, uint32_t pf,
                               const uint64_t *val) {
  struct hvm_shadow *s = h->priv;
  hv_begin(h, EV_S_FAULT, va, pf & 0xffff);
  hv_fault_kind(h, EV_K_SHADOW_FILL, false);
  pf_exit(s, va, pf & 0xffff);
  int ret = HV_RETRY;
  struct walk_result r;
  if (!guest_walk(s, va, acc & ~ACC_U, &r)) { ret = SIGKILL; hv_fault_kind(h, EV_K_UNRESOLVED, false); goto out; }
  uint64_t gfn = r.pa >> 12;
  if ((acc & ACC_W) && gfn < s->nframes && s->wp[gfn]) {
    if (val && s->oos && only_leaf_shadow(s, gfn)) {
      struct sp *p = sp_find(s, sp_key(gfn, 1, false, 0));
      hv_fault_kind(h, EV_K_SHADOW_UNSYNC, false);
      hv_begin(h, EV_S_SHADOW_UNSYNC, gfn << 12, 0);
      p->unsync = true;
      s->wp[gfn]--;
      h->st.counter[HV_C_SHADOW_UNSYNCS]++;
      hv_end(h, 0);
    } else if (val && !(r.pa & 7)) {
      hv_fault_kind(h, EV_K_SHADOW_EMULATE, false);
      hv_begin(h, EV_S_SHADOW_EMULATE, r.pa, *val);
      uint64_t cyc = emulate_store(s, r.pa, *val);
      h->st.counter[HV_C_SHADOW_EMULATIONS]++;
      hv_end(h, cyc);
      ret = HV_EMULATED;
      goto out;
    } else {
      hv_fault_kind(h, EV_K_SHADOW_UNSHADOW, false);
      unshadow(s, gfn);
    }
  }
  if (shadow_fill(s, va, &r)) { ret = SIGKILL; hv_fault_kind(h, EV_K_UNRESOLVED, false); }
  tlb_flush_va(&h->cpu->tlb, va);
out:
  hvm_entry(h, &s->x);
  hv_end(h, 0);
  return ret;
}

/* Out-of-sync leaf tables back in sync: every entry recomputed from the
 * guest table, then write-protected again. */
static void resync_all(struct hvm_shadow *s) {
  struct hv *h = s->h;
  for (size_t i = 0; i < s->nall; i++) {
    struct sp *p = s->all[i];
    if (!p->active || !p->unsync) continue;
    hv_begin(h, EV_S_SHADOW_RESYNC, p->gfn << 12, 512);
    uint64_t cyc = 0;
    for (int e = 0; e < 512; e++) {
      uint64_t ge = hv_read64(h, (p->gfn << 12) + e * 8ull, &cyc);
      if ((ge & PTE_P) && (ge & PTE_A)) {
        uint64_t g2 = (ge & PTE_ADDR & ((1ull << h->cpu->ctl.maxphyaddr) - 1)) >> 12;
        hv_write64(h, p->spa + e * 8ull, leaf_spte(s, ge, g2), &cyc);
        rmap_add(s, g2, p->spa + e * 8ull);
      } else {
        hv_write64(h, p->spa + e * 8ull, 0, &cyc);
      }
    }
    p->unsync = false;
    h->st.counter[HV_C_SHADOW_RESYNCS]++;
    if (s->wp[p->gfn]++ == 0) {
      hv_begin(h, EV_S_SHADOW_WRPROTECT, p->gfn << 12, 0);
      hv_end(h, write_protect(s, p->gfn));
    }
    hv_end_n(h, cyc, 512);
  }
}

/* shadow.cache=0: the whole shadow goes on every CR3 switch */
static void zap_all(struct hvm_shadow *s) {
  struct hv *h = s->h;
  for (size_t i = 0; i < s->nall; i++) mem_pool_free(h->mmu->mem, s->all[i]->spa);
  s->nall = 0;
  tdestroy(s->tree, free);
  s->tree = NULL;
  memset(s->wp, 0, s->nframes * sizeof *s->wp);
  for (uint64_t f = 0; f < s->nframes; f++) s->rmap[f].n = 0;
  s->ntargets = 0;
  s->x.virt.vmcs.cr3_target_count = 0;
  hvm_flush_guest_tlb(h, &s->x);
  h->st.counter[HV_C_SHADOW_ZAP_ALL]++;
}

/* Switch the hardware to the shadow of guest CR3 value v. */
static void load_shadow_root(struct hvm_shadow *s, uint64_t v) {
  struct hv *h = s->h;
  s->guest_cr3 = v;
  if (!s->cache) zap_all(s);
  else if (s->oos) resync_all(s);
  struct sp *root = sp_get(s, (v & PTE_ADDR) >> 12, levels_of(h), false, 0);
  if (!root) return;
  s->root = root->spa;
  /* the PCID and no-flush bits pass through to the hardware CR3 */
  cpu_write_cr3(h->cpu, root->spa | (v & (0xfffull | CR3_NOFLUSH)));
}

static void shadow_write_cr3(struct hv *h, uint64_t v) {
  struct hvm_shadow *s = h->priv;
  if (!virt_cr_access_exits(&s->x.virt, 3, VIRT_CR_MOV_TO, v)) {
    /* a CR3-target value: the CPU loads it without an exit (SDM 25.1.3);
     * the hypervisor placed that value's shadow root there */
    for (uint32_t i = 0; i < s->ntargets; i++)
      if (s->x.virt.vmcs.cr3_target_value[i] == v) {
        s->guest_cr3 = v;
        s->root = s->target_root[i];
        cpu_write_cr3(h->cpu, s->target_root[i] | (v & (0xfffull | CR3_NOFLUSH)));
      }
    h->st.counter[HV_C_CR3_TARGET_HITS]++;
    return;
  }
  hv_begin(h, EV_S_CR3_WRITE, v, 0);
  hv_begin(h, EV_S_FAULT, 0, 0);
  hv_fault_kind(h, EV_K_CR3_EXIT, false);
  virt_record_cr_exit(&s->x.virt, 3, VIRT_CR_MOV_TO, 0 /* RAX */, 0, 3);
  hvm_exit(h, &s->x);
  hv_begin(h, EV_S_SHADOW_CR3, v, 0);
  load_shadow_root(s, v);
  hv_end(h, 0);
  uint32_t max = s->x.virt.vd->id == VIRT_VMX ? s->max_targets : 0;
  if (max) {
    /* remember this value as a CR3 target (round robin) */
    bool known = false;
    for (uint32_t i = 0; i < s->ntargets; i++) known |= s->x.virt.vmcs.cr3_target_value[i] == v;
    if (!known) {
      uint32_t i = s->ntargets < max ? s->ntargets++ : (s->next_target++ % max);
      s->x.virt.vmcs.cr3_target_value[i] = v;
      s->target_root[i] = s->root;
      s->x.virt.vmcs.cr3_target_count = s->ntargets;
    }
  }
  hvm_entry(h, &s->x);
  hv_end(h, 0);              /* the exit */
  hv_end(h, 0);              /* cr3.write */
}

/* Drop va's shadow leaf (the one descent, over the current shadow). */
static void shadow_invalidate(struct hvm_shadow *s, uint64_t va) {
  struct hv *h = s->h;
  uint64_t cyc = 0;
  hv_begin(h, EV_S_SHADOW_INVLPG, va, 0);
  if (s->oos) resync_all(s);
  struct hv_pt x = {.h = h, .cyc = &cyc, .alloc_step = -1};
  struct pt_ops o;
  hv_pt_ops(&x, &o, PTE_P, false);
  int level;
  uint64_t e = pt_descend(&o, s->root, levels_of(h), va, 1, &level, NULL);
  bool zapped = false;
  if (e && level == 1) {
    zapped = h->ncpus > 1 && (hv_read64(h, e, &cyc) & PTE_P);
    hv_write64(h, e, 0, &cyc);
  }
  /* a zapped entry other vCPUs may cache (KVM FNAME(invlpg):
   * kvm_flush_remote_tlbs_sptep) */
  if (zapped) hvm_remote_flush(h);
  hv_end(h, cyc);
}

static void shadow_invlpg(struct hv *h, uint64_t va) {
  struct hvm_shadow *s = h->priv;
  if (!virt_invlpg_exits(&s->x.virt)) { cpu_invlpg(h->cpu, va); return; }
  hv_begin(h, EV_S_FAULT, va, 0);
  hv_fault_kind(h, EV_K_INVLPG_EXIT, false);
  virt_record_invlpg_exit(&s->x.virt, va, 3);
  hvm_exit(h, &s->x);
  shadow_invalidate(s, va);
  cpu_invlpg(h->cpu, va);
  hvm_entry(h, &s->x);
  hv_end(h, 0);
}

static void shadow_invpcid(struct hv *h, int type, uint64_t pcid, uint64_t va) {
  struct hvm_shadow *s = h->priv;
  hv_begin(h, EV_S_FAULT, va, 0);
  hv_fault_kind(h, EV_K_INVPCID_EXIT, false);
  virt_record_invpcid_exit(&s->x.virt, 0, (uint64_t)type, 5);
  hvm_exit(h, &s->x);
  if (type == 0) shadow_invalidate(s, va);
  cpu_invpcid(h->cpu, type, (uint32_t)pcid, va);
  hvm_entry(h, &s->x);
  hv_end(h, 0);
}

static void shadow_select_cpu(struct hv *h, int from, int to) {
  struct hvm_shadow *s = h->priv;
  hvm_select_cpu(&s->cpus, &s->x, from, to);
  s->saved[from].guest_cr3 = s->guest_cr3;
  s->saved[from].root = s->root;
  memcpy(s->saved[from].target_root, s->target_root, sizeof s->target_root);
  s->saved[from].ntargets = s->ntargets;
  s->saved[from].next_target = s->next_target;
  s->guest_cr3 = s->saved[to].guest_cr3;
  s->root = s->saved[to].root;
  memcpy(s->target_root, s->saved[to].target_root, sizeof s->target_root);
  s->ntargets = s->saved[to].ntargets;
  s->next_target = s->saved[to].next_target;
}

static void shadow_ipi_send(struct hv *h, int target) { hvm_ipi_send(h, h->priv, target); }
static void shadow_ipi_receive(struct hv *h, bool eoi) { hvm_ipi_receive(h, h->priv, eoi); }

static int shadow_init(struct hv *h) {
  struct hvm_shadow *s = calloc(1, sizeof *s);
  if (!s) return -1;
  h->priv = s;
  s->h = h;
  if (hvm_init(h, &s->x) || hv_mem_init(h, HV_DIRECT_MAP)) return -1;
  const struct machine_mem *mem = h->mmu->mem;
  s->nframes = (mem->ram_bytes + mem->pool_bytes) >> 12;
  s->wp = calloc(s->nframes, sizeof *s->wp);
  s->rmap = calloc(s->nframes, sizeof *s->rmap);
  if (!s->wp || !s->rmap) return -1;
  s->cache = hv_param(h, "shadow.cache") != 0;
  s->oos = hv_param(h, "shadow.oos") != 0;
  s->max_targets = (uint32_t)hv_param(h, "shadow.cr3_targets");
  if (s->max_targets > 4) {
    snprintf(h->error, sizeof h->error, "shadow.cr3_targets must be 0..4 (VMX has 4 CR3-target values)");
    return -1;
  }
  struct virt *v = &s->x.virt;
  /* intercept #PF, CR3 writes, INVLPG (and INVPCID) */
  virt_set_intercept_exception(v, VIRT_VEC_PF, true);
  if (v->vd->id == VIRT_VMX) {
    v->vmcs.pfec_mask = v->vmcs.pfec_match = 0;
    v->vmcs.cr3_load_exiting = true;
    v->vmcs.invlpg_exiting = true;
  } else {
    v->vmcb.intercept_cr_write |= 1u << 3;
    v->vmcb.intercept_misc1 |= SVM_ICPT_INVLPG;
  }
  if (h->ncpus > 1 && !s->cache) {
    snprintf(h->error, sizeof h->error, "shadow.cache=0 discards the shadow every vCPU runs on at each CR3 switch: "
             "use it with --cpus 1");
    return -1;
  }
  hvm_cpus_init(h, &s->cpus, &s->x);
  return 0;
}

static void shadow_fini(struct hv *h) {
  struct hvm_shadow *s = h->priv;
  if (!s) return;
  tdestroy(s->tree, free);
  free(s->all);
  for (uint64_t f = 0; f < s->nframes; f++) free(s->rmap[f].spte);
  free(s->rmap);
  free(s->wp);
  free(s);
  h->priv = NULL;
}

const struct hv_mode hv_mode_hvm_shadow = {
  .name = "hvm-shadow",
  .doc = "HVM with shadow paging: #PF exits, hypervisor walks the guest table, hidden fill or inject; guest PT writes trap",
  .init = shadow_init,
  .page_fault = shadow_pf,
  .kernel_access_fault = shadow_kernel_fault,
  .write_cr3 = shadow_write_cr3,
  .invlpg = shadow_invlpg,
  .invpcid = shadow_invpcid,
  .select_cpu = shadow_select_cpu,
  .ipi_send = shadow_ipi_send,
  .ipi_receive = shadow_ipi_receive,
  .flush_on_entry = hvm_flush_on_entry,
  .fini = shadow_fini,
  .params = hvm_params,
};
