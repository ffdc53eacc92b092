/* tornado: Tornado (Gamsa, Krieger, Appavoo, Stumm, OSDI'99; seed 003):
 * the fault walks objects.
 *
 *  exc.deliver, tornado.trap: the exception entry calls the Process object;
 *  tornado.process: the Process finds the Region covering the address (the
 *    guest kernel's VMA decision, vma.lookup, is its work);
 *  tornado.region: the Region turns the address into an offset in its FCM;
 *  tornado.fcm: the FCM (File Cache Manager) looks the page up in its hash:
 *    a hit is mapped (a page-cache page; the shared zero page for a read of
 *    anonymous memory); a miss takes a frame from the DRAM manager
 *    (tornado.dram) and fills it: the file's COR (Cached Object
 *    Representative, its I/O object: tornado.cor, file.read) for a file
 *    page, zeroes for anonymous memory (an FCM with no file), a copy of the
 *    parent's page for copy-on-write (our choice where the paper is silent:
 *    a COW FCM chained to the parent's);
 *  tornado.hat: the HAT, called twice: first it finds (or builds) the
 *    page-table slot (pt.alloc), after the FCM it installs the entry
 *    (pte.write, and tlb.invalidate when a mapping is replaced);
 *  tornado.resume.
 * Clustered objects: every object call goes through the processor's
 * translation table to its representative (charged: tornado.rep_lookup);
 * a missing representative is created by the miss handler on first use
 * (tornado.rep_miss) — with one vCPU per object once.  Existence
 * guarantees come from quiescent-state garbage collection, not locks: a
 * frame or an address space given back is freed after a quiescent state
 * (counted: tornado_deferred_frees), and no step takes a lock.
 * Guest system calls are the kernel's: charged as system calls.
 *
 * Modeled vs not: Tornado ran on the 16-processor NUMAchine and SimOS;
 * with --cpus N each vCPU has its own representatives (a miss once per
 * object and processor), and an unmap's shootdown reaches only the
 * processors that hold the mapping (tornado_shootdown_targets). */
#include "hv-models/hv.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct fl_param_def tornado_params[] = {
  {"tornado.trap", 150, "cycles", "the exception entry: save state, call the Process object", "derived: as native.kernel_entry"},
  {"tornado.process", 40, "cycles", "a Process object call besides the region lookup (vma.lookup)", "derived"},
  {"tornado.region", 30, "cycles", "a Region object call: address to offset", "derived"},
  {"tornado.fcm", 60, "cycles", "an FCM object call: its page hash", "derived"},
  {"tornado.dram", 40, "cycles", "a DRAM manager call besides the allocation (frame.alloc)", "derived"},
  {"tornado.cor", 80, "cycles", "a COR call besides the I/O (file.read)", "derived"},
  {"tornado.hat", 40, "cycles", "a HAT call besides the entry's store (pte.write)", "derived"},
  {"tornado.rep_lookup", 8, "cycles", "an object call's indirection through the translation table to the representative",
   "derived: a load and an indirect call"},
  {"tornado.rep_miss", 400, "cycles", "the miss handler creates a processor's representative", "derived"},
  {"tornado.resume", 200, "cycles", "return from the exception", "derived: as native.kernel_exit"},
  {"tornado.syscall", 120, "cycles", "a guest system call", "derived: x86 syscall/sysret pair"},
  {NULL, 0, NULL, NULL, NULL},
};

#define CTR(h, c) ((h)->st.counter[HV_C_##c]++)
enum { C_PROCESS, C_REGION, C_FCM, C_DRAM, C_COR, C_HAT };

struct tornado {
  struct hv *h;
  uint64_t rep_lookup, syscall_cost;
  struct rep { uint64_t key; int cpu; } *reps;   /* (class, object) pairs that have a representative, by processor */
  size_t nreps, capreps;
};

/* the object call's representative: found in the translation table, or
 * created by the miss handler on first use */
static void rep(struct tornado *t, int cls, uint64_t obj) {
  struct hv *h = t->h;
  /* a representative is per processor: the vCPU's own translation table */
  uint64_t key = obj * 8 + (uint64_t)cls;
  for (size_t i = 0; i < t->nreps; i++)
    if (t->reps[i].key == key && t->reps[i].cpu == h->this_cpu) return;
  if (t->nreps == t->capreps) {
    t->capreps = t->capreps ? t->capreps * 2 : 256;
    t->reps = realloc(t->reps, t->capreps * sizeof *t->reps);
  }
  t->reps[t->nreps++] = (struct rep){key, h->this_cpu};
  hv_step(h, EV_S_TORNADO_REP_MISS, 0, (uint64_t)cls, 0);
  CTR(h, TORNADO_REP_MISSES);
}

/* open an object call: its step, its representative */
static void call(struct tornado *t, int step, int cls, uint64_t obj, uint64_t va, uint64_t arg) {
  struct hv *h = t->h;
  hv_begin(h, step, va, arg);
  CTR(h, TORNADO_CALLS);
  h->st.counter[HV_C_TORNADO_CALLS_PROCESS + cls]++;
  rep(t, cls, obj);
}
static void ret(struct tornado *t, uint64_t cyc) { hv_end(t->h, cyc + t->rep_lookup); }

/* the DRAM manager's frame for the FCM (0: none left) */
static uint64_t dram_frame(struct tornado *t) {
  struct hv *h = t->h;
  uint64_t pa = 0;
  call(t, EV_S_TORNADO_DRAM, C_DRAM, 1, 0, 1);
  hv_begin(h, EV_S_FRAME_ALLOC, 0, 0);
  uint64_t cyc = h->ops.alloc_frame(h->ops.k, &pa);
  hv_set(h, pa, 0);
  hv_end(h, cyc);
  ret(t, 0);
  return pa;
}

static int tornado_page_fault(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct tornado *t = h->priv;
  struct guest_ops *o = &h->ops;
  uint64_t space = h->cpu->ctl.cr3 & PTE_ADDR, cyc;
  hv_begin(h, EV_S_FAULT, va, err);
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_step(h, EV_S_TORNADO_TRAP, 0, 0, 0);
  struct fault_plan p;
  call(t, EV_S_TORNADO_PROCESS, C_PROCESS, space, va, 0);
  hv_begin(h, EV_S_VMA_LOOKUP, 0, 0);
  cyc = o->plan(o->k, va, err, &p);
  hv_set_arg(h, p.kind);
  hv_fault_kind(h, p.kind, true);
  hv_end(h, cyc);
  if (p.stack_grow) hv_step(h, EV_S_STACK_GROW, 0, 0, 0);
  hv_set_arg(h, p.kind);
  ret(t, 0);
  int sig = 0;
  switch (p.kind) {
  case FK_SEGV_MAPERR: case FK_SEGV_ACCERR:
    *si_code = p.kind == FK_SEGV_MAPERR ? 1 : 2;
    if (!in_kernel) hv_step(h, EV_S_SIGNAL_SEGV, 0, 0, 0);
    sig = SIGSEGV;
    goto out;
  case FK_SIGBUS: *si_code = 2; sig = SIGBUS; goto out;
  case FK_OOM: sig = SIGKILL; goto out;
  case FK_USERFAULT:                      /* a Linux interface: the handler thread resolves it */
    hv_step(h, EV_S_UFFD_HANDLE_USERFAULT, va, p.pte_flags, 0);
    goto done;
  case FK_SPURIOUS:
    call(t, EV_S_TORNADO_HAT, C_HAT, space, va, 0);
    hv_begin(h, EV_S_SPURIOUS, 0, 0);
    hv_end(h, o->invlpg(o->k, va));
    ret(t, 0);
    goto done;
  default: break;
  }
  /* a Region's (and its FCM's) identity: the address space and the 2 MiB
   * block of the address (the guest kernel's VMAs are opaque to modes,
   * and a replay has none: the same key in both) */
  uint64_t region = (space << 20) ^ (p.page >> 21);
  call(t, EV_S_TORNADO_REGION, C_REGION, region, va, 0);
  ret(t, 0);
  uint64_t leaf = 0, pa = 0, pte;
  int newt = 0;
  if (p.kind == FK_WRITE_UPGRADE) {     /* the FCM already has the page: the HAT upgrades */
    call(t, EV_S_TORNADO_HAT, C_HAT, space, va, 0);
    pte = p.old_pa | p.pte_flags;
    hv_begin(h, EV_S_PTE_WRITE, pte, 1);
    cyc = o->ensure_tables(o->k, va, &leaf, &newt);
    hv_end(h, cyc + o->write_pte(o->k, leaf, pte));
    hv_begin(h, EV_S_TLB_INVALIDATE, va, 0);
    hv_end(h, o->invlpg(o->k, va));
    ret(t, 0);
    goto done;
  }
  if (p.kind == FK_THP) {                 /* the anonymous FCM asks DRAM for a 2 MiB run */
    call(t, EV_S_TORNADO_FCM, C_FCM, region * 2, 0, 0);
    call(t, EV_S_TORNADO_DRAM, C_DRAM, 1, 0, 512);
    hv_begin(h, EV_S_FRAME_ALLOC, 0, 0);
    cyc = o->thp_alloc(o->k, &pa);
    hv_set(h, pa, 0);
    hv_end_or_drop(h, cyc, pa ? 1 : 0);
    ret(t, 0);
    if (pa) {
      hv_begin(h, EV_S_FRAME_ZERO, pa, 512);
      hv_end_n(h, o->thp_zero(o->k, pa), 512);
      CTR(h, TORNADO_FCM_MISSES);
      hv_set(h, pa, 0);
      ret(t, 0);
      call(t, EV_S_TORNADO_HAT, C_HAT, space, va, 0);
      hv_begin(h, EV_S_PTE_WRITE, pa | p.pte_flags, 2);
      hv_end(h, o->thp_map(o->k, &p, pa));
      ret(t, 0);
      goto done;
    }
    ret(t, 0);
    p.kind = FK_ANON_NEW;                 /* no 2 MiB run: a 4 KiB frame */
    hv_fault_kind(h, p.kind, true);
  }
  /* the HAT finds (or builds) the page-table slot the mapping will take */
  call(t, EV_S_TORNADO_HAT, C_HAT, space, va, 0);
  hv_begin(h, EV_S_PT_ALLOC, 0, 0);
  cyc = o->ensure_tables(o->k, va, &leaf, &newt);
  hv_set_arg(h, (uint64_t)newt);
  hv_end_n(h, cyc, (uint64_t)newt);
  ret(t, 0);
  if (!leaf) { sig = SIGKILL; goto out; }
  /* the FCM: its page, or a DRAM frame it fills */
  call(t, EV_S_TORNADO_FCM, C_FCM, region * 2 + (p.kind == FK_COW), 0, 0);
  bool hit = false;
  if (p.kind == FK_ANON_ZERO_PAGE) {
    pa = o->zero_page_pa(o->k);
    hit = true;
    hv_step(h, EV_S_ZERO_PAGE_MAP, pa, 0, 0);
  } else if (p.kind == FK_FILE) {
    hv_begin(h, EV_S_PAGECACHE_LOOKUP, 0, 0);
    cyc = o->file_page(o->k, &p, &pa, &hit);
    hv_set(h, pa, hit);
    if (pa && !hit) {                     /* a miss: the COR reads the page in */
      call(t, EV_S_TORNADO_COR, C_COR, region, pa, 0);
      hv_step(h, EV_S_FILE_READ, pa, 0, cyc);
      cyc = 0;
      ret(t, 0);
    }
    hv_end(h, cyc);
    if (!pa) { sig = SIGKILL; ret(t, 0); goto out; }
    if (p.copy) {                         /* a private write: the process's own copy */
      uint64_t npa = dram_frame(t);
      if (!npa) { o->release_frame(o->k, pa); sig = SIGKILL; ret(t, 0); goto out; }
      hv_begin(h, EV_S_COW_COPY, npa, 0);
      hv_end(h, o->copy_frame(o->k, npa, pa));
      o->release_frame(o->k, pa);
      pa = npa;
    }
  } else {                                /* anonymous, or copy-on-write */
    pa = dram_frame(t);
    if (!pa) { sig = SIGKILL; ret(t, 0); goto out; }
    if (p.kind == FK_COW) {               /* the COW FCM: a copy of the parent's page */
      hv_begin(h, EV_S_COW_COPY, pa, 0);
      hv_end(h, o->copy_frame(o->k, pa, p.old_pa));
    } else {                              /* an FCM with no file: zeroes */
      hv_begin(h, EV_S_FRAME_ZERO, pa, 1);
      hv_end(h, o->zero_frame(o->k, pa));
    }
  }
  if (hit) CTR(h, TORNADO_FCM_HITS);
  else CTR(h, TORNADO_FCM_MISSES);
  hv_set(h, pa, hit);
  ret(t, 0);
  /* the HAT installs it */
  call(t, EV_S_TORNADO_HAT, C_HAT, space, va, 0);
  pte = pa | p.pte_flags;
  hv_begin(h, EV_S_PTE_WRITE, pte, 1);
  hv_end(h, o->write_pte(o->k, leaf, pte));
  if (p.kind == FK_COW) {
    hv_begin(h, EV_S_TLB_INVALIDATE, va, 0);
    hv_end(h, o->invlpg(o->k, va));
    o->release_frame(o->k, p.old_pa);
  }
  ret(t, 0);
  if (p.kind == FK_FILE && !p.write) {    /* the FCM maps its cached neighbours */
    int n = 0;
    hv_begin(h, EV_S_FAULT_AROUND, 0, 0);
    cyc = o->fault_around(o->k, &p, &n);
    hv_set_arg(h, (uint64_t)n);
    hv_end_or_drop(h, cyc, (uint64_t)n);
  }
done:
  hv_step(h, EV_S_TORNADO_RESUME, 0, 0, 0);
out:
  hv_end(h, 0);
  return sig;
}

/* frames and address spaces given back: freed after a quiescent state */
static void tornado_frame_owner(struct hv *h, uint64_t pa, uint64_t n, bool alloc) {
  (void)pa;
  if (!alloc && h->priv) h->st.counter[HV_C_TORNADO_DEFERRED_FREES] += n;
}
static void tornado_pt_free(struct hv *h, uint64_t top) {
  struct tornado *t = h->priv;
  CTR(h, TORNADO_DEFERRED_FREES);
  /* the address space's Process and HAT representatives go with it */
  for (size_t i = 0; i < t->nreps;) {
    uint64_t cls = t->reps[i].key % 8, obj = t->reps[i].key / 8;
    if ((cls == C_PROCESS || cls == C_HAT) && obj == top) t->reps[i] = t->reps[--t->nreps];
    else i++;
  }
}

static uint64_t tornado_syscall_cross(struct hv *h, bool enter) {
  return enter ? ((struct tornado *)h->priv)->syscall_cost : 0;
}

static int tornado_init(struct hv *h) {
  struct tornado *t = calloc(1, sizeof *t);
  if (!t) return -1;
  h->priv = t;
  t->h = h;
  if (hv_costs_init(h)) return -1;
  t->rep_lookup = hv_param(h, "tornado.rep_lookup");
  t->syscall_cost = hv_param(h, "tornado.syscall");
  return 0;
}

/* --cpus: an unmap reaches only the processors whose HAT representative
 * holds the mapping (Tornado's per-processor HAT, seed 003), not every
 * processor running the address space.  Extrapolation: with one page
 * table shared by the processors here, a processor holds the mapping when
 * its TLB does (Tornado's per-processor page tables would also count one
 * whose TLB has since evicted it); a full flush reaches them all. */
static int tornado_shootdown_targets(struct hv *h, int *targets, int n, uint64_t va, uint64_t pages) {
  if (!pages) return n;
  int held[HV_MAX_CPUS], not_held[HV_MAX_CPUS], nh = 0, nn = 0;
  for (int i = 0; i < n; i++) {
    if (hv_cpu_holds(h, targets[i], va, pages)) held[nh++] = targets[i];
    else not_held[nn++] = targets[i];
  }
  /* those that hold it first, the rest after (the caller's convention) */
  for (int i = 0; i < nh; i++) targets[i] = held[i];
  for (int i = 0; i < nn; i++) targets[nh + i] = not_held[i];
  return nh;
}

static void tornado_fini(struct hv *h) {
  struct tornado *t = h->priv;
  if (t) free(t->reps);
  free(t);
  h->priv = NULL;
}

const struct hv_mode hv_mode_tornado = {
  .name = "tornado",
  .doc = "Tornado: #PF -> Process -> Region -> FCM (hit: map; miss: a DRAM frame the COR fills) -> HAT, clustered objects with per-processor representatives",
  .init = tornado_init,
  .page_fault = tornado_page_fault,
  .params = tornado_params,
  .fini = tornado_fini,
  .frame_owner = tornado_frame_owner,
  .pv_pt_free = tornado_pt_free,
  .shootdown_targets = tornado_shootdown_targets,
  .syscall_cross = tornado_syscall_cross,
};
