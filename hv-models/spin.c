/* spin: SPIN (Bershad et al., SOSP'95; seed 003): extensible in-kernel
 * fault handling through events, guards and a dispatcher.
 *
 *  1. exc.deliver, spin.trap: the kernel's trap handler;
 *  2. spin.raise: the Translation service raises PageNotPresent (or
 *     ProtectionFault when the entry was present);
 *  3. the dispatcher: with one handler and no guard a direct call
 *     (spin.direct_call: SPIN's protected in-kernel call); else spin.dispatch
 *     evaluates every handler's guard (spin.guard, one each: the curve of
 *     spin.extensions) and calls the handlers whose guards hold;
 *  4. spin.handler (layer extension): the pager extension — kernel-resident,
 *     no protection crossing — takes the fault: the Linux decisions behind
 *     guest_ops (which VMA, zero fill, page cache, COW) in the extension,
 *     its frames from PhysAddr (spin.physaddr: a frame and its reference),
 *     its mappings through Translation (spin.translation: the caller's
 *     references to the range and the frame are checked, then the entry is
 *     written; refused: spin.refuse);
 *  5. no guard holds: the event's default implementation (spin.default_impl: the
 *     VM service's own pager, the same decisions in the kernel), or with
 *     spin.default=none the dispatcher raises an exception to the raiser
 *     (spin.exception), which the Unix server turns into SIGSEGV;
 *  6. spin.resume.
 * The handlers: spin.extensions=N registers the default pager extension
 * (its guard, imposed by VirtAddr: the address lies in the user half of
 * the faulting address space) and N-1 application pagers with guards on
 * ranges of their own (1 GiB each from 0x500000000000); N = 1: the pager
 * alone, unguarded.  Memory pressure (the page cache dropping pages)
 * raises Reclaim to the extensions that own frames.  Guest system calls
 * are the Unix server's: charged as system calls (spin.syscall).
 *
 * Modeled vs not: SPIN ran on a 133 MHz Alpha with 8 KiB pages and PALcode
 * TLB refill; here the x86 walker refills.  The extension's code is the
 * Linux model's decisions (kernel-resident, in the extension layer). */
#include "hv-models/hv.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct fl_param_def spin_params[] = {
  {"spin.extensions", 1, "count", "handlers registered on PageNotPresent: the default pager and N-1 application pagers with range guards (1: the pager alone, unguarded: a direct call)",
   "issue 18: the guard-evaluation curve"},
  {"spin.default", 0, "enum", "no guard holds: 0 pager (the event's default implementation runs), 1 none (an exception to the raiser)",
   "Bershad et al., SOSP'95 4.2 (default handlers; only the primary module installs one)"},
  {"spin.inject", 0, "enum", "fault injection: 0 none, 1 no-reference (handler call number spin.inject_nth maps a range it holds no reference to)",
   "test hook, as xen.inject_*"},
  {"spin.inject_nth", 1, "count", "which handler call spin.inject corrupts", "test hook"},
  {"spin.trap", 150, "cycles", "the kernel's trap handler: save state, decode the fault", "derived: as native.kernel_entry"},
  {"spin.raise", 20, "cycles", "the Translation service raises the event", "derived: a procedure call and its argument record"},
  {"spin.direct_call", 17, "cycles", "a direct call of the one handler: SPIN's protected in-kernel call",
   "Bershad et al., SOSP'95: a protected in-kernel call 0.13 us on a 133 MHz Alpha = 17 cycles"},
  {"spin.dispatch", 40, "cycles", "the dispatcher's work for an event with guards, besides the guards", "derived"},
  {"spin.guard", 12, "cycles", "one guard evaluated (a range compare and its call)", "derived: a short predicate"},
  {"spin.handler", 20, "cycles", "the extension handler's entry", "derived: a procedure entry"},
  {"spin.physaddr", 60, "cycles", "PhysAddr.Allocate: a frame and its typed reference (the allocator itself is frame.alloc)",
   "derived"},
  {"spin.translation", 40, "cycles", "Translation.AddMapping besides the entry's store: check the references", "derived"},
  {"spin.default_impl", 20, "cycles", "the default implementation's entry", "derived"},
  {"spin.exception", 300, "cycles", "an exception raised to the raiser and unwound to the Unix server", "derived"},
  {"spin.resume", 200, "cycles", "return from the trap", "derived: as native.kernel_exit less its saves"},
  {"spin.reclaim", 30, "cycles/page", "Reclaim raised for a dropped page (the owning extensions called)", "derived"},
  {"spin.syscall", 120, "cycles", "a guest system call: trap, the Unix server's entry and return", "derived: x86 syscall/sysret pair"},
  {NULL, 0, NULL, NULL, NULL},
};

#define CTR(h, c) ((h)->st.counter[HV_C_##c]++)
#define APP_RANGES 0x500000000000ull   /* the application pagers' ranges, 1 GiB each */

struct spin {
  struct hv *h;
  int nhandlers;
  bool default_none;
  uint64_t inject, inject_nth, calls;
  uint64_t syscall_cost;     /* spin.syscall */
  bool in_handler;           /* an extension is running: its mappings are checked */
  bool refused, foreign;     /* a mapping was refused / the handler is the injected one */
  uint64_t fault_va;
  /* --cpus: each processor's fault in progress (select_cpu swaps them) */
  struct { bool in_handler, refused, foreign; uint64_t fault_va; } saved[HV_MAX_CPUS];
};

/* a kernel service's step (PhysAddr, Translation, Reclaim): the kernel's
 * (guest-kernel), even when an extension called it */
static int service_begin(struct hv *h, int step, uint64_t va, uint64_t arg) {
  int saved = h->guest_layer;
  h->guest_layer = 0;
  hv_begin(h, step, va, arg);
  return saved;
}
static void service_end(struct hv *h, uint64_t cyc, uint64_t units, int saved) {
  hv_end_n(h, cyc, units);
  h->guest_layer = saved;
}

/* handler i's guard: the pager's (i = 0) the user half, an application
 * pager's its own range */
static bool guard_holds(int i, uint64_t va) {
  if (i == 0) return va < (1ull << 47);
  uint64_t lo = APP_RANGES + (uint64_t)(i - 1) * (1ull << 30);
  return va >= lo && va < lo + (1ull << 30);
}

/* the Linux decisions, run by the extension (or the default
 * implementation); 0, or a signal */
static int pager(struct spin *s, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct hv *h = s->h;
  s->refused = false;
  h->fault_open = true;
  h->pf_called = true;
  int sig = linux_guest_pf(h, va, err, in_kernel, si_code);
  if (!sig && s->refused) { sig = SIGSEGV; *si_code = 2; }
  return sig;
}

static int spin_page_fault(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct spin *s = h->priv;
  hv_begin(h, EV_S_FAULT, va, err);
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_step(h, EV_S_SPIN_TRAP, 0, 0, 0);
  hv_step(h, EV_S_SPIN_RAISE, va, err, 0);
  CTR(h, SPIN_EVENTS);
  int match = -1;
  if (s->nhandlers == 1) {
    hv_step(h, EV_S_SPIN_DIRECT_CALL, 0, 0, 0);
    CTR(h, SPIN_DIRECT_CALLS);
    match = 0;
  } else {
    hv_begin(h, EV_S_SPIN_DISPATCH, 0, (uint64_t)s->nhandlers);
    for (int i = 0; i < s->nhandlers; i++) {
      bool holds = guard_holds(i, va);
      hv_step(h, EV_S_SPIN_GUARD, (uint64_t)i, holds, 0);
      CTR(h, SPIN_GUARDS);
      if (holds && match < 0) match = i;
    }
    hv_end(h, 0);
  }
  int sig = 0;
  s->fault_va = va;
  if (match >= 0) {
    int saved = h->guest_layer;
    h->guest_layer = EV_L_EXTENSION;
    s->foreign = s->inject == 1 && ++s->calls == s->inject_nth;
    hv_begin(h, EV_S_SPIN_HANDLER, va, (uint64_t)match);
    CTR(h, SPIN_HANDLERS);
    s->in_handler = true;
    sig = pager(s, va, err, in_kernel, si_code);
    s->in_handler = false;
    hv_end(h, 0);
    h->guest_layer = saved;
    s->foreign = false;
  } else if (!s->default_none) {
    hv_step(h, EV_S_SPIN_DEFAULT_IMPL, va, 0, 0);
    CTR(h, SPIN_DEFAULTS);
    sig = pager(s, va, err, in_kernel, si_code);
  } else {
    /* the raiser gets the exception; the Unix server's fault path posts
     * the signal Linux would (no mapping there: SEGV_MAPERR) */
    hv_step(h, EV_S_SPIN_EXCEPTION, va, 0, 0);
    CTR(h, SPIN_EXCEPTIONS);
    hv_fault_kind(h, EV_K_SEGV_MAPERR, true);
    *si_code = 1;
    sig = SIGSEGV;
  }
  if (!sig) hv_step(h, EV_S_SPIN_RESUME, 0, 0, 0);
  hv_end(h, 0);
  return sig;
}

/* Translation: every page-table entry the kernel (the Unix server, the
 * pager) writes; an extension's mapping is checked against its references */
static void spin_pte_store(struct hv *h, uint64_t entry_pa, uint64_t val, int level) {
  struct spin *s = h->priv;
  uint64_t cyc = 0;
  (void)level;
  if (!s->in_handler || !(val & PTE_P) || (level > 1 && !(val & PTE_PS))) {
    guest_write64(h, entry_pa, val, &cyc);     /* the kernel's own: no references to check */
    h->cpu->cycles += cyc;
    CTR(h, SPIN_TRANSLATIONS);
    return;
  }
  if (s->foreign) {   /* the injected extension: no reference to the range it maps */
    int saved = service_begin(h, EV_S_SPIN_REFUSE, s->fault_va, 9);
    CTR(h, SPIN_REFUSALS);
    s->refused = true;
    service_end(h, 0, 1, saved);
    return;
  }
  int saved = service_begin(h, EV_S_SPIN_TRANSLATION, entry_pa, val);
  guest_write64(h, entry_pa, val, &cyc);
  CTR(h, SPIN_TRANSLATIONS);
  service_end(h, cyc, 1, saved);
}

/* PhysAddr: the frames the allocator hands out during a fault are the
 * extension's, with a reference each */
static void spin_frame_owner(struct hv *h, uint64_t pa, uint64_t n, bool alloc) {
  struct spin *s = h->priv;
  if (!s || !s->in_handler) return;
  int saved = service_begin(h, EV_S_SPIN_PHYSADDR, pa, alloc);
  if (alloc) h->st.counter[HV_C_SPIN_PHYSADDR] += n;
  service_end(h, 0, 1, saved);
}

static void spin_reclaim(struct hv *h, uint64_t pages) {
  struct spin *s = h->priv;
  if (!s) return;
  int saved = service_begin(h, EV_S_SPIN_RECLAIM, 0, pages);
  CTR(h, SPIN_RECLAIMS);
  service_end(h, 0, pages, saved);
}

static uint64_t spin_syscall_cross(struct hv *h, bool enter) {
  if (!enter) return 0;
  CTR(h, SPIN_SYSCALLS);
  return ((struct spin *)h->priv)->syscall_cost;
}

static int spin_init(struct hv *h) {
  struct spin *s = calloc(1, sizeof *s);
  if (!s) return -1;
  h->priv = s;
  s->h = h;
  if (hv_costs_init(h)) return -1;
  uint64_t n = hv_param(h, "spin.extensions");
  if (n < 1 || n > 64) { snprintf(h->error, sizeof h->error, "spin.extensions must be 1..64"); return -1; }
  s->nhandlers = (int)n;
  s->default_none = hv_param(h, "spin.default") == 1;
  s->inject = hv_param(h, "spin.inject");
  s->inject_nth = hv_param(h, "spin.inject_nth");
  s->syscall_cost = hv_param(h, "spin.syscall");
  return 0;
}

static void spin_fini(struct hv *h) {
  free(h->priv);
  h->priv = NULL;
}

static void spin_select_cpu(struct hv *h, int from, int to) {
  struct spin *s = h->priv;
  s->saved[from].in_handler = s->in_handler; s->saved[from].refused = s->refused;
  s->saved[from].foreign = s->foreign; s->saved[from].fault_va = s->fault_va;
  s->in_handler = s->saved[to].in_handler; s->refused = s->saved[to].refused;
  s->foreign = s->saved[to].foreign; s->fault_va = s->saved[to].fault_va;
}

const struct hv_mode hv_mode_spin = {
  .name = "spin",
  .doc = "SPIN: #PF -> Translation raises PageNotPresent -> the dispatcher's guards -> an in-kernel extension pages it (PhysAddr, Translation)",
  .init = spin_init,
  .page_fault = spin_page_fault,
  .params = spin_params,
  .fini = spin_fini,
  .pv_pte_store = spin_pte_store,
  .frame_owner = spin_frame_owner,
  .reclaim = spin_reclaim,
  .select_cpu = spin_select_cpu,
  .syscall_cross = spin_syscall_cross,
};
