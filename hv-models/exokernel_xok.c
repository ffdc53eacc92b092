/* exokernel.mmu=xok-pt: Xok (Kaashoek et al., SOSP'97; its source is
 * public as OSPreservProject/exokernel) on x86's own page tables.
 *
 * The hardware walks the environment's page table; the libOS may read it
 * but never write it: every environment sees its own tables read-only
 * through a recursive top-level entry (Xok's UVPT: "the PD inserted in
 * itself as a page table", user-readable, not writable; vpt[]/vpd[] in
 * ExOS), and stores go through the capability-checked system calls
 * (self_)insert_pte and their _range forms (sys/kern/pmap.c
 * pmap_insert_range: a PTE without P is stored unchecked — that is how
 * pages are unmapped; U is forced and bits the hardware reserves cleared;
 * `num_completed` lets a batch restart).  A #PF is reflected (Xok's
 * page_fault_handler): va, error code, rflags, rip, rsp and the previous
 * exception-stack pointer are pushed on the environment's exception stack
 * and it resumes at its u_entfault.  ExOS's handler reads vpt[] for the
 * address, then resolves it (zero fill, COW, stack growth, mmap regions —
 * the Linux decisions behind guest_ops, in the libos layer), every PTE
 * store an insert_pte call (the Linux model's lazy-MMU batches become one
 * insert_pte_range call).
 *
 * Modeled vs not: the Linux decisions read the tables at the kernel's
 * direct-map addresses (the model's kernel code), not through vpt[]; the
 * exception stack is a frame of the environment's own (Xok's u_xsp);
 * page-table pages are allocated by the libOS's code and linked by Xok
 * without a capability check of their own.  A program can read its own
 * page tables at the UVPT address, as on Xok. */
#include "hv-models/exokernel.h"
#include <signal.h>

#define CTR(h, c) ((h)->st.counter[HV_C_##c]++)
#define XOK_UVPT_SLOT 300ull     /* a top-level slot of the kernel half the model leaves free */

static uint64_t sext(uint64_t va, unsigned bits) {
  return (uint64_t)((int64_t)(va << (64 - bits)) >> (64 - bits));
}

/* The address at which the recursive slot shows va's entry of `level`
 * (1: the PTE, vpt[]; 2: the PDE, vpd[]; ...) in a `top`-level tree. */
static uint64_t uvpt_entry_va(uint64_t va, int level, int top) {
  unsigned width = 12 + 9 * (unsigned)top;
  uint64_t base = XOK_UVPT_SLOT << (width - 9);
  for (int l = 1; l < level; l++) base += XOK_UVPT_SLOT << (width - 9 - 9 * (unsigned)l);
  uint64_t off = (va & ((1ull << width) - 1)) / pt_span(level) * 8;
  return sext(base + off, width);
}

/* ExOS's lookup: vpd[] then vpt[], top level first, each a load of the
 * program's privilege through the MMU (its TLB entries, walks, caches). */
static uint64_t vpt_lookup(struct hv *h, uint64_t va, int *level, uint64_t *cyc) {
  int top = (h->cpu->ctl.cr4 & CR4_LA57) ? 5 : 4;
  uint64_t e = 0;
  for (int l = top; l >= 1; l--) {
    *level = l;
    if (mmu_load64(h->mmu, &h->cpu->tlb, &h->cpu->ctl, uvpt_entry_va(va, l, top), ACC_U, &e, cyc))
      return 0;            /* the self-map itself failed: not mapped */
    if (!(e & PTE_P) || (l > 1 && (e & PTE_PS))) return e;
  }
  return e;
}

int xok_page_fault(struct exo *s, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct hv *h = s->h;
  uint64_t cyc = 0;
  int saved = h->guest_layer;   /* a fault in the libOS: Xok's steps again */
  h->guest_layer = 0;
  hv_begin(h, EV_S_FAULT, va, err);
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_begin(h, EV_S_XOK_UPCALL, va, err);
  /* page_fault_handler: the frame on the exception stack, then u_entfault */
  uint64_t pe = s->cur >= 0 && s->cur < s->nenv ? s->env[s->cur].pe : 0;
  if (pe) {
    const uint64_t frame[6] = {va, err, cpu_get_rflags(h->cpu), h->cpu->exc.rip, h->cpu->r[RSP], 0};
    for (int i = 0; i < 6; i++) hv_write64(h, pe + 2048 + 8 * (uint64_t)i, frame[i], &cyc);
  }
  CTR(h, XOK_REFLECTED);
  CTR(h, EXO_UPCALLS);
  hv_end(h, cyc);
  h->guest_layer = EV_L_LIBOS;
  hv_begin(h, EV_S_LIBOS_FAULT, va, err);
  cyc = 0;
  int level = 1;
  hv_begin(h, EV_S_LIBOS_PT_LOOKUP, va, 0);
  uint64_t e = vpt_lookup(h, va, &level, &cyc);
  hv_set_arg(h, (e & PTE_P) != 0);
  hv_end(h, cyc);
  /* the Linux decisions, every PTE store an insert_pte call */
  s->refused = false;
  h->fault_open = true;
  h->pv_bounce = true;
  int sig = linux_guest_pf(h, va, err & 0xffff, in_kernel, si_code);
  if (!sig && s->refused) { sig = SIGSEGV; *si_code = 2; }
  hv_end(h, 0);
  if (!sig) hv_step(h, EV_S_LIBOS_RESUME, 0, 0, 0);
  h->guest_layer = saved;
  hv_end(h, 0);
  return sig;
}

/* (self_)insert_pte: the one way a page-table entry changes */
static void xok_pte_store(struct hv *h, uint64_t entry_pa, uint64_t val, int level) {
  struct exo *s = h->priv;
  uint64_t cyc = 0;
  if (level > 1 && !(val & PTE_PS)) {
    /* a page-table page linked or unlinked (Xok allocates and frees them
     * inside pmap_insert_range); an unlinked table's UVPT alias must go */
    uint64_t old = hv_read64(h, entry_pa, &cyc);
    hv_write64(h, entry_pa, val, &cyc);
    if ((old & PTE_P) && !(val & PTE_P)) cpu_flush_tlb(h->cpu);
    h->cpu->cycles += cyc;
    return;
  }
  bool single = !s->batch;
  if (single || !s->batch_open) {
    exo_call_begin(s, EXO_CALL_SELF_INSERT_PTE);
    s->batch_open = !single;
  }
  hv_begin(h, EV_S_XOK_INSERT_PTE, entry_pa, val);
  int why = 0;
  if (val & PTE_P) {
    uint64_t frame = val & PTE_ADDR & ~((level > 1 ? 1ull << (12 + 9 * (level - 1)) : 4096ull) - 1);
    why = exo_cap_check(s, frame, val & PTE_W, &cyc);
  }
  if (why) {
    hv_step(h, EV_S_EXO_REFUSE, val & PTE_ADDR, (uint64_t)why, 0);
    CTR(h, EXO_CAP_REFUSALS);
    s->refused = true;
  } else {
    uint64_t mbz = (val & PTE_P) ? (((1ull << 52) - 1) & ~((1ull << h->cpu->ctl.maxphyaddr) - 1)) : 0;
    hv_write64(h, entry_pa, ((val & PTE_P) ? val | PTE_U : val) & ~mbz, &cyc);
    CTR(h, XOK_INSERTS);
    if (!(val & PTE_P)) CTR(h, XOK_CLEARS);
  }
  hv_end(h, cyc);
  if (single) exo_call_end(s, 0);
}

/* Linux's lazy-MMU sections: one insert_pte_range call for the batch */
static void xok_batch(struct hv *h, bool begin) {
  struct exo *s = h->priv;
  if (begin) { s->batch++; return; }
  if (s->batch && !--s->batch && s->batch_open) {
    s->batch_open = false;
    exo_call_end(s, 0);
  }
}

extern const struct hv_mode hv_mode_exokernel;
static const struct hv_mode *xok_mode(void) {
  static struct hv_mode m;
  if (!m.name) {
    m = hv_mode_exokernel;
    m.pv_pte_store = xok_pte_store;
    m.pv_batch = xok_batch;
  }
  return &m;
}

int xok_init(struct exo *s) {
  /* the same mode with the PTE stores going through insert_pte */
  s->h->mode = xok_mode();
  return 0;
}

/* the UVPT slot of a new environment's top table (Xok's locore.S:
 * "Recursively insert PD in itself", user-readable, not writable) */
void xok_env_new(struct exo *s, uint64_t root, uint64_t *cyc) {
  hv_write64(s->h, root + 8 * XOK_UVPT_SLOT, root | PTE_P | PTE_U | PTE_A, cyc);
}
