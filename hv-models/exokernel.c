/* exokernel: Aegis (Engler, Kaashoek, O'Toole, SOSP'95; seed 003) on a
 * software-refilled TLB, and the Xok variant (exokernel_xok.c).
 *
 * aegis-stlb (mmu.refill=software, set by this mode): a miss in every TLB
 * level is an exception to the exokernel (the MIPS UTLB refill vector):
 *  1. exc.deliver (x86's exception delivery: the what-if's hardware part),
 *     exo.tlb_miss (Aegis' dispatch, ~18 instructions in the paper);
 *  2. an address of the libOS's own handler (its code, stack and page
 *     table: here the kernel half, which the Linux model's handler code
 *     uses) is a *guaranteed mapping*: the exokernel refills it from its
 *     own knowledge (exo.guaranteed) and resumes — the handler can never
 *     miss into itself;
 *  3. otherwise exo.swtlb_probe: the software TLB (STLB), a direct-mapped
 *     table in memory the exokernel reaches unmapped (kseg0: mmu.kseg_*),
 *     tagged with the address space's ASID; a hit whose rights allow the
 *     access (stores aside: the TLB-modified exception decides those, as on
 *     MIPS) is written into the TLB (exo.tlb_write) and resumed (exo.resume);
 *  4. an STLB miss: exo.upcall — the time-slice vector names the
 *     environment, its Processor Environment's exception context the
 *     handler and its save area; minimal state is saved there and the
 *     libOS's handler runs at user privilege (layer libos):
 *     libos.tlb_miss, libos.pt_lookup (its own page table: the Linux
 *     model's x86 tables, read through its guaranteed mappings); a valid
 *     entry is installed (A, and D on a store, set in its table first); an
 *     invalid one is a fault the libOS serves with the Linux decisions
 *     behind guest_ops (linux_guest_pf, now in the libos layer: zero fill,
 *     COW, file pages), then installs the new entry;
 *  5. the install is a system call (exo.syscall tlb_install):
 *     exo.cap_check reads the frame's secure binding (owner, rights) from
 *     the exokernel's binding table; refused (exo.refuse) -> the libOS
 *     sends the program SIGSEGV; accepted -> exo.tlb_write (the TLB entry
 *     and the STLB slot); libos.resume jumps back to the faulting
 *     instruction without a kernel crossing.
 * A store through a clean entry is the TLB-modified exception: exo.tlb_mod,
 * then the libOS (libos.tlb_mod: it sets D in its table and installs the
 * entry dirty), or with exokernel.mod_in_kernel=1 the exokernel alone
 * (the libOS granted write rights up front, its table marked dirty at
 * install).  Every frame the guest gets is bound (exo.bind) when the
 * guest's allocator hands it out; the guest's processes share one owner
 * (ExOS processes pass capabilities for shared frames).  A guest system
 * call traps into the exokernel and is reflected to the libOS (charged:
 * exo.tlb_miss + exo.upcall in, libos.resume out).
 *
 * Modeled vs not: x86 has no software-refilled TLB; the TLB arrays and
 * their sizes are x86's (tlb.*).  The libOS's accesses to its page table
 * and frames are made at the kernel's addresses (supervisor in the model,
 * so the program, which on Aegis shares the libOS's privilege, still
 * faults on them as on Linux). */
#include "hv-models/exokernel.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct fl_param_def exokernel_params[] = {
  /* options */
  {"exokernel.mmu", 0, "enum", "exokernel variant: 0 aegis-stlb (software-refilled TLB, software TLB, upcall to the libOS), 1 xok-pt (x86 page tables the libOS updates through capability-checked calls)",
   "Engler et al., SOSP'95 (Aegis); Kaashoek et al., SOSP'97 (Xok)"},
  {"exokernel.swtlb.entries", 4096, "entries", "software TLB (the paper's STLB) slots, direct-mapped, 16 bytes each on x86-64 (a power of two; 0: no STLB)",
   "unconfirmed: the design card's 4,096 (the paper's STLB section could not be read; its MIPS entries are two 32-bit words)"},
  {"exokernel.mod_in_kernel", 0, "bool", "the libOS grants write rights up front: TLB-modified exceptions are handled in the exokernel (no upcall)",
   "issue 16: a parameter; the libOS marks its table dirty when it installs a writable page"},
  {"exokernel.prefault", 0, "pages", "anonymous pages the libOS maps ahead of a write fault, writable and clean (its own policy; their first store is a TLB-modified exception)",
   "a libOS decides its own paging policy; 0: as Linux"},
  {"exokernel.inject", 0, "enum", "fault injection: 0 none, 1 foreign-frame (install number exokernel.inject_nth presents a capability for an exokernel frame)",
   "test hook, as xen.inject_*"},
  {"exokernel.inject_nth", 1, "count", "which install exokernel.inject corrupts", "test hook"},
  /* costs, one per step (the step's own name) */
  {"exo.tlb_miss", 38, "cycles", "the exokernel's TLB-miss exception dispatch (also its system-call trap: a guest syscall is reflected to the libOS)",
   "Engler et al., SOSP'95: exceptions dispatched in 18 instructions, 1.5 us on a DECstation 5000/125; x 25 MHz (its R3000's clock) = 37.5 cycles"},
  {"exo.tlb_mod", 38, "cycles", "the exokernel's TLB-modified exception dispatch", "as exo.tlb_miss"},
  {"exo.swtlb_probe", 10, "cycles", "software-TLB probe besides its two memory reads: hash the address and ASID, compare the tag",
   "derived: ~10 instructions (no published figure found)"},
  {"exo.guaranteed", 30, "cycles", "refill a guaranteed mapping from the exokernel's own tables (its reads charged apart)", "derived"},
  {"exo.upcall", 150, "cycles", "upcall to the libOS at user privilege: the return to ring 3 (the slice vector and Processor Environment reads and the state saved are charged apart)",
   "derived: an x86 sysretq/iretq (MIPS needs only rfe)"},
  {"exo.syscall", 120, "cycles", "a libOS system call into the exokernel: syscall + sysretq with minimal state",
   "derived: x86 syscall/sysret pair without PTI"},
  {"exo.bind", 40, "cycles", "secure binding: record owner and check value (the binding table's stores charged apart)", "derived"},
  {"exo.cap_check", 15, "cycles", "validate a capability against its binding (the binding's read charged apart)",
   "derived: a compare of owner, check value and rights"},
  {"exo.tlb_write", 10, "cycles", "write one TLB entry (the MIPS tlbwr analogue; the software-TLB slot's stores charged apart)",
   "derived: tlbwr is one instruction plus EntryHi/EntryLo moves"},
  {"exo.tlb_flush", 250, "cycles", "drop a translation: INVLPG (its software-TLB slot's read and store charged apart)",
   "Linux arch/x86/mm/tlb.c: 'about 100 ns' per single-page flush (as native.tlb_invalidate)"},
  {"exo.resume", 100, "cycles", "return from the exception to the faulting instruction", "derived: x86 iretq"},
  {"libos.tlb_miss", 30, "cycles", "the libOS's TLB-miss handler entry: save registers on its exception stack", "derived"},
  {"libos.tlb_mod", 30, "cycles", "the libOS's TLB-modified handler entry", "derived: as libos.tlb_miss"},
  {"libos.fault", 30, "cycles", "ExOS's page-fault handler entry (xok-pt): read the fault frame", "derived: as libos.tlb_miss"},
  {"libos.pt_lookup", 20, "cycles", "the libOS's page-table lookup besides its reads (charged apart)", "derived"},
  {"libos.resume", 20, "cycles", "the libOS restores the faulting context and jumps to it", "derived: user-level register restore and jump"},
  {"xok.upcall", 150, "cycles", "Xok reflects a #PF: the return to ring 3 at u_entfault (the fault frame's stores charged apart)",
   "derived: as exo.upcall"},
  {"xok.insert_pte", 60, "cycles", "sys_self_insert_pte besides its memory accesses: capability and page checks, U forced, must-be-zero bits cleared",
   "derived"},
  {NULL, 0, NULL, NULL, NULL},
};

#define CTR(h, c) ((h)->st.counter[HV_C_##c]++)

/* ---- the exokernel's own memory: unmapped (kseg0), reached with
 * hv_read64/hv_write64 ---- */
static uint64_t stlb_slot(const struct exo *s, uint64_t va, uint32_t asid) {
  uint64_t i = ((va >> 12) ^ ((uint64_t)asid * 0x9e3779b1u)) & (s->nslots - 1);
  return s->stlb[i >> 8] + (i & 255) * 16;
}
static uint64_t stlb_tag(uint64_t va, uint32_t asid) {
  return (1ull << 63) | ((uint64_t)asid << 45) | ((va >> 12) & ((1ull << 45) - 1));
}
static uint64_t bind_entry(const struct exo *s, uint64_t frame) {
  return s->bind[frame / 512] + frame % 512 * 8;    /* 512 8-byte entries a frame */
}

/* the rights a TLB entry for the x86 entry e carries */
uint32_t exo_pte_perm(uint64_t e) {
  return ((e & PTE_U) ? TP_U : 0) | ((e & PTE_W) ? TP_W : 0) | ((e & PTE_NX) ? 0 : TP_X) |
         ((e & PTE_D) ? TP_D : 0) | ((e & PTE_G) ? TP_G : 0);
}

/* ---- environments: one per address space (its top table), each with an
 * ASID tagging its STLB entries and a Processor Environment ---- */
static struct exo_env *env_of(struct exo *s, uint64_t root) {
  for (int i = 0; i < s->nenv; i++)
    if (s->env[i].root == root) return &s->env[i];
  return NULL;
}

static void stlb_flush_all(struct exo *s) {
  uint64_t cyc = 0;
  for (uint32_t f = 0; f < (s->nslots * 16 + 4095) / 4096; f++) hv_clear_page(s->h, s->stlb[f], &cyc);
  s->h->cpu->cycles += cyc;    /* the ASIDs wrapped: rare */
}

static uint32_t new_asid(struct exo *s) {
  if (s->next_asid >= (1u << 18)) {   /* ASIDs wrapped: no stale entry may match */
    stlb_flush_all(s);
    s->next_asid = 1;
  }
  return s->next_asid++;
}

static struct exo_env *env_enter(struct exo *s, uint64_t root, uint64_t *cyc) {
  struct exo_env *e = env_of(s, root);
  if (!e) {
    if (s->nenv == s->capenv) {
      s->capenv = s->capenv ? s->capenv * 2 : 16;
      s->env = realloc(s->env, (size_t)s->capenv * sizeof *s->env);
    }
    e = &s->env[s->nenv++];
    e->root = root;
    e->asid = new_asid(s);
    e->pe = mem_pool_alloc(s->h->mmu->mem);
    if (s->xok) xok_env_new(s, root, cyc);
    if (e->pe) {
      /* the Processor Environment: exception context (handler entry, save
       * area), interrupt context, protected entry context, addressing
       * context (ASID, guaranteed-mapping root) */
      hv_write64(s->h, e->pe + 0, EXO_LIBOS_ENTRY, cyc);
      hv_write64(s->h, e->pe + 8, e->pe + 2048, cyc);
      hv_write64(s->h, e->pe + 32, e->asid, cyc);
      hv_write64(s->h, e->pe + 40, root, cyc);
    }
  }
  s->cur = (int)(e - s->env);
  hv_write64(s->h, s->slice_vector, e->pe, cyc);   /* this time slice's environment */
  return e;
}

/* the running environment: the one whose tables CR3 holds */
static struct exo_env *cur_env(struct exo *s) {
  uint64_t root = s->h->cpu->ctl.cr3 & PTE_ADDR;
  if (s->cur >= 0 && s->cur < s->nenv && s->env[s->cur].root == root) return &s->env[s->cur];
  uint64_t cyc = 0;
  struct exo_env *e = env_enter(s, root, &cyc);
  s->h->cpu->cycles += cyc;
  return e;
}
static uint32_t cur_asid(struct exo *s) { return cur_env(s)->asid; }

/* ---- the libOS's calls into the exokernel: their steps are the
 * exokernel's (guest-kernel), wherever they are made from ---- */
void exo_call_begin(struct exo *s, int call) {
  s->saved_layer[s->call_depth++ & 3] = s->h->guest_layer;
  s->h->guest_layer = 0;
  hv_begin(s->h, EV_S_EXO_SYSCALL, 0, (uint64_t)call);
}
void exo_call_end(struct exo *s, uint64_t cyc) {
  hv_end(s->h, cyc);
  s->h->guest_layer = s->saved_layer[--s->call_depth & 3];
}

/* the secure binding of frames the guest's allocator handed out / took back */
static void exo_frame_owner(struct hv *h, uint64_t pa, uint64_t n, bool alloc) {
  struct exo *s = h->priv;
  if (!s || pa + n * 4096 > h->mmu->mem->ram_bytes) return;
  uint64_t cyc = 0;
  exo_call_begin(s, EXO_CALL_BIND);
  hv_begin(h, EV_S_EXO_BIND, pa, alloc);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t v = alloc ? EXO_BOUND | EXO_RIGHT_W | (uint64_t)EXO_GUEST_OWNER << 32 | ++s->nonce : 0;
    hv_write64(h, bind_entry(s, (pa >> 12) + i), v, &cyc);
  }
  if (alloc) h->st.counter[HV_C_EXO_BINDS] += n;
  hv_end(h, cyc);
  exo_call_end(s, 0);
}

/* A replay from a keyframe: which frames the guest held is not in it, so
 * every guest frame is bound (set-up, uncharged; the trace's guest never
 * presents another's frame, and injection is fixed at replay) */
static void exo_keyframe(struct hv *h) {
  struct exo *s = h->priv;
  for (uint64_t f = 1; f < h->mmu->mem->ram_bytes >> 12; f++)
    mem_poke64(h->mmu->mem, bind_entry(s, f), EXO_BOUND | EXO_RIGHT_W | (uint64_t)EXO_GUEST_OWNER << 32 | ++s->nonce);
}

/* The capability for a frame against its binding: the frame is the
 * guest's (not the exokernel's), bound to it, with the rights asked for. */
int exo_cap_check(struct exo *s, uint64_t frame, bool write, uint64_t *cyc) {
  struct hv *h = s->h;
  CTR(h, EXO_CAP_CHECKS);
  if (frame >= h->mmu->mem->ram_bytes) return EXO_WHY_EXOKERNEL_FRAME;
  uint64_t b = hv_read64(h, bind_entry(s, frame >> 12), cyc);
  if (!(b & EXO_BOUND) || (b >> 32 & 0xffff) != EXO_GUEST_OWNER) return EXO_WHY_NOT_BOUND;
  if (write && !(b & EXO_RIGHT_W)) return EXO_WHY_NO_WRITE_RIGHT;
  return 0;
}

/* The install system call: the capability for the entry's frame is
 * checked against its binding; then the TLB entry and the STLB slot are
 * written.  0, or SIGSEGV (refused: the libOS gives up on the fault). */
int exo_install(struct exo *s, uint64_t va, uint64_t e, int level, bool fetch, int *si_code) {
  struct hv *h = s->h;
  unsigned shift = 12 + 9 * (unsigned)(level - 1);
  uint64_t frame = e & PTE_ADDR & ~((1ull << shift) - 1), presented = frame, cyc = 0;
  if (s->inject == 1 && ++s->installs == s->inject_nth) presented = s->stlb[0];   /* foreign */
  exo_call_begin(s, EXO_CALL_TLB_INSTALL);
  hv_begin(h, EV_S_EXO_CAP_CHECK, presented, 0);
  int why = exo_cap_check(s, presented, e & PTE_W, &cyc);
  hv_set_arg(h, why == 0);
  hv_end(h, cyc);
  if (why) {
    hv_step(h, EV_S_EXO_REFUSE, presented, (uint64_t)why, 0);
    CTR(h, EXO_CAP_REFUSALS);
    if (!ev_fault_visible(h->bus)) hv_fault_kind(h, EV_K_EXO_REFUSED, false);
    exo_call_end(s, 0);
    *si_code = 2;   /* SEGV_ACCERR: what ExOS's handler sends */
    return SIGSEGV;
  }
  uint32_t perm = exo_pte_perm(e);
  cyc = 0;
  hv_begin(h, EV_S_EXO_TLB_WRITE, va, frame | perm);
  uint32_t hw = perm;
  if (s->mod_in_kernel) hw &= ~TP_D;   /* clean: the exokernel takes the first store */
  mmu_tlb_install(h->mmu, &h->cpu->tlb, &h->cpu->ctl, va, frame, hw, shift, fetch);
  if (s->nslots) {
    uint64_t slot = stlb_slot(s, va, cur_asid(s));
    hv_write64(h, slot, stlb_tag(va, cur_asid(s)), &cyc);
    hv_write64(h, slot + 8, (frame + (va & ((1ull << shift) - 1) & ~0xfffull)) | perm, &cyc);
  }
  hv_end(h, cyc);
  CTR(h, EXO_INSTALLS);
  exo_call_end(s, 0);
  return 0;
}

/* ---- the libOS ---- */
struct lread { struct hv *h; uint64_t cyc; };
static uint64_t libos_read(void *ctx, uint64_t epa) {
  struct lread *x = ctx;
  return guest_read64(x->h, epa, &x->cyc);
}

/* The libOS's lookup of va in its page table: the leaf entry (0: none),
 * its address and level.  Its reads go through its guaranteed mappings. */
uint64_t libos_pt_lookup(struct hv *h, uint64_t va, uint64_t *leaf, int *level, uint64_t *cyc) {
  struct lread x = {h, 0};
  struct pt_ops o = {.ctx = &x, .present = PTE_P, .read = libos_read};
  int top = (h->cpu->ctl.cr4 & CR4_LA57) ? 5 : 4;
  *leaf = pt_descend(&o, h->cpu->ctl.cr3 & PTE_ADDR, top, va, 1, level, NULL);
  uint64_t e = *leaf ? guest_read64(h, *leaf, &x.cyc) : 0;
  *cyc += x.cyc;
  return e;
}

/* does the entry allow the access (stores: W; the D bit is the libOS's to set) */
static bool entry_allows(struct hv *h, uint64_t va, uint64_t e, int level, uint32_t acc) {
  if (!(e & PTE_P) || (level > 1 && !(e & PTE_PS))) return false;
  return !mmu_check_rights(&h->cpu->ctl, va, exo_pte_perm(e) | TP_D, acc);
}

/* the libOS's install, and what it does when the exokernel refuses it:
 * the program gets SIGSEGV (ExOS's answer to a fault it cannot resolve) */
static int libos_install(struct exo *s, uint64_t va, uint64_t e, int level, bool fetch, bool in_kernel,
                         int *si_code) {
  int sig = exo_install(s, va, e, level, fetch, si_code);
  if (sig && !in_kernel) hv_step(s->h, EV_S_SIGNAL_SEGV, 0, 0, 0);
  return sig;
}

/* the libOS's store of the A/D bits into its entry (through its
 * guaranteed mapping; the bits a hardware walker would have set) */
static void set_ad(struct hv *h, uint64_t leaf, uint64_t e) {
  uint64_t cyc = 0;
  hv_begin(h, EV_S_LIBOS_PTE_AD, leaf, e);
  guest_write64(h, leaf, e, &cyc);
  hv_end(h, cyc);
}

/* The libOS's handler for a TLB miss the STLB did not serve, or a TLB
 * modified exception: its page table has the translation (install it), or
 * it is a fault of the program (the Linux decisions, then install). */
static int libos_handle(struct exo *s, uint64_t va, uint32_t err, uint32_t acc, bool in_kernel,
                        bool mod, int *si_code) {
  struct hv *h = s->h;
  uint64_t leaf, cyc = 0;
  int level = 1;
  hv_begin(h, EV_S_LIBOS_PT_LOOKUP, va, 0);
  uint64_t e = libos_pt_lookup(h, va, &leaf, &level, &cyc);
  bool ok = entry_allows(h, va, e, level, acc);
  hv_set_arg(h, ok);
  hv_end(h, cyc);
  if (ok) {
    /* the referenced and dirty bits are the libOS's: no hardware sets them */
    uint64_t ne = e | PTE_A | ((acc & ACC_W) || (s->mod_in_kernel && (e & PTE_W)) ? PTE_D : 0);
    if (ne != e) set_ad(h, leaf, ne);
    hv_fault_kind(h, mod ? EV_K_EXO_TLB_MOD : EV_K_EXO_LIBOS_REFILL, false);
    return libos_install(s, va, ne, level, acc & ACC_F, in_kernel, si_code);
  }
  /* a fault of the program: the Linux handler's decisions, in the libOS */
  uint32_t arch = ((e & PTE_P) ? PFEC_P : 0) | (err & (PFEC_W | PFEC_U | PFEC_I));
  h->fault_open = true;
  h->pv_bounce = true;     /* entered by the upcall, left by libos.resume */
  int sig = linux_guest_pf(h, va, arch, in_kernel, si_code);
  if (sig) {
    if (!in_kernel) h->cpu->exc.err = arch;   /* what the program's signal frame shows */
    return sig;
  }
  cyc = 0;
  hv_begin(h, EV_S_LIBOS_PT_LOOKUP, va, 0);
  e = libos_pt_lookup(h, va, &leaf, &level, &cyc);
  ok = entry_allows(h, va, e, level, acc);
  hv_set_arg(h, ok);
  hv_end(h, cyc);
  if (!ok) return 0;       /* nothing to install (the retry decides) */
  if ((acc & ACC_W) && !(e & PTE_D)) set_ad(h, leaf, e |= PTE_A | PTE_D);
  return libos_install(s, va, e, level, acc & ACC_F, in_kernel, si_code);
}

/* exo.upcall, then the libOS's handler at user privilege */
static int upcall(struct exo *s, uint64_t va, uint32_t err, uint32_t acc, bool in_kernel, bool mod,
                  int *si_code) {
  struct hv *h = s->h;
  uint64_t cyc = 0;
  hv_begin(h, EV_S_EXO_UPCALL, va, err);
  uint64_t pe = hv_read64(h, s->slice_vector, &cyc);       /* whose time slice */
  uint64_t save = pe ? hv_read64(h, pe + 8, &cyc) : 0;     /* its exception context */
  if (pe) {
    (void)hv_read64(h, pe + 0, &cyc);                       /* the handler's entry */
    hv_write64(h, save + 0, va, &cyc);                      /* minimal state: bad address, */
    hv_write64(h, save + 8, err, &cyc);                     /* cause, */
    hv_write64(h, save + 16, h->cpu->exc.rip, &cyc);        /* the faulting pc */
  }
  CTR(h, EXO_UPCALLS);
  /* the handler's own accesses (its code, stack, page table, the frames it
   * fills) are guaranteed mappings: an upcall taken while it runs is a bug */
  if (s->upcall_depth) CTR(h, EXO_HANDLER_UPCALLS);
  hv_end(h, cyc);
  int saved = h->guest_layer;
  h->guest_layer = EV_L_LIBOS;
  hv_begin(h, mod ? EV_S_LIBOS_TLB_MOD : EV_S_LIBOS_TLB_MISS, va, err);
  s->upcall_depth++;
  int sig = libos_handle(s, va, err, acc, in_kernel, mod, si_code);
  s->upcall_depth--;
  hv_end(h, 0);
  if (!sig) hv_step(h, EV_S_LIBOS_RESUME, 0, 0, 0);
  h->guest_layer = saved;
  return sig;
}

static int stlb_refill(struct exo *s, uint64_t va, uint32_t acc) {
  struct hv *h = s->h;
  if (!s->nslots) return -1;
  uint64_t cyc = 0, slot = stlb_slot(s, va, cur_asid(s));
  hv_begin(h, EV_S_EXO_SWTLB_PROBE, va, 0);
  uint64_t tag = hv_read64(h, slot, &cyc), data = tag == stlb_tag(va, cur_asid(s)) ? hv_read64(h, slot + 8, &cyc) : 0;
  uint32_t perm = (uint32_t)(data & 0xfff);
  /* rights as the refill vector sees them: stores are the TLB-modified
   * exception's business; a user or fetch refusal goes to the libOS */
  bool hit = data && !mmu_check_rights(&h->cpu->ctl, va, perm | TP_W | TP_D, acc);
  hv_set_arg(h, hit);
  hv_end(h, cyc);
  if (!hit) { CTR(h, EXO_SWTLB_MISSES); return -1; }
  CTR(h, EXO_SWTLB_HITS);
  hv_fault_kind(h, EV_K_EXO_STLB_HIT, false);
  hv_begin(h, EV_S_EXO_TLB_WRITE, va, (data & PTE_ADDR) | perm);
  uint32_t hw = s->mod_in_kernel ? perm & ~TP_D : perm;
  mmu_tlb_install(h->mmu, &h->cpu->tlb, &h->cpu->ctl, va, data & PTE_ADDR, hw, 12, acc & ACC_F);
  hv_end(h, 0);
  hv_step(h, EV_S_EXO_RESUME, 0, 0, 0);
  return 0;
}

/* TLB modified with write rights granted up front: the exokernel sets D */
static int mod_in_kernel(struct exo *s, uint64_t va, uint32_t acc) {
  struct hv *h = s->h;
  uint64_t cyc = 0, slot = stlb_slot(s, va, cur_asid(s));
  hv_begin(h, EV_S_EXO_SWTLB_PROBE, va, 0);
  uint64_t tag = s->nslots ? hv_read64(h, slot, &cyc) : 0;
  uint64_t data = s->nslots && tag == stlb_tag(va, cur_asid(s)) ? hv_read64(h, slot + 8, &cyc) : 0;
  bool ok = data && !mmu_check_rights(&h->cpu->ctl, va, (uint32_t)(data & 0xfff) | TP_D, acc);
  hv_set_arg(h, ok);
  hv_end(h, cyc);
  if (!ok) return -1;
  cyc = 0;
  hv_fault_kind(h, EV_K_EXO_TLB_MOD, false);
  hv_begin(h, EV_S_EXO_TLB_WRITE, va, data | TP_D);
  hv_write64(h, slot + 8, data | TP_D, &cyc);
  mmu_tlb_install(h->mmu, &h->cpu->tlb, &h->cpu->ctl, va, data & PTE_ADDR,
                  (uint32_t)(data & 0xfff) | TP_D, 12, false);
  hv_end(h, cyc);
  CTR(h, EXO_MOD_IN_KERNEL);
  hv_step(h, EV_S_EXO_RESUME, 0, 0, 0);
  return 0;
}

static int exo_page_fault(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct exo *s = h->priv;
  if (s->xok) return xok_page_fault(s, va, err, in_kernel, si_code);
  if (!(err & PFEC_SOFT)) return linux_guest_pf(h, va, err, in_kernel, si_code);  /* not with software refill */
  bool mod = err & PFEC_TLBMOD;
  uint32_t acc = (err & (PFEC_W | PFEC_U | PFEC_I)) | (in_kernel ? ACC_AC : 0);
  int layer = h->guest_layer;   /* an exception in the libOS: the exokernel's again */
  h->guest_layer = 0;
  hv_begin(h, EV_S_FAULT, va, err);
  hv_fault_kind(h, mod ? EV_K_EXO_TLB_MOD : EV_K_EXO_LIBOS_REFILL, false);
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_step(h, mod ? EV_S_EXO_TLB_MOD : EV_S_EXO_TLB_MISS, va, err, 0);
  if (mod) CTR(h, EXO_TLB_MOD_EXC);
  else {
    CTR(h, EXO_TLB_MISS_EXC);
    if (err & PFEC_P) CTR(h, EXO_RIGHTS_EXC);
  }
  int sig;
  if (mod ? s->mod_in_kernel && !mod_in_kernel(s, va, acc) : !stlb_refill(s, va, acc)) sig = 0;
  else sig = upcall(s, va, err, acc, in_kernel, mod, si_code);
  hv_end(h, 0);
  h->guest_layer = layer;
  return sig;
}

/* A miss of the libOS's (the Linux model's) own access at a kernel
 * address: a guaranteed mapping, refilled by the exokernel itself. */
static int exo_kernel_fault(struct hv *h, uint64_t va, uint32_t acc, uint32_t pf, const uint64_t *val) {
  struct exo *s = h->priv;
  (void)val;
  if (s->xok || !(pf & PFEC_SOFT)) return SIGKILL;
  int layer = h->guest_layer;   /* the exokernel's steps, wherever it was taken */
  h->guest_layer = 0;
  hv_begin(h, EV_S_FAULT, va, pf & 0xffff);
  hv_fault_kind(h, EV_K_EXO_GUARANTEED, false);
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_step(h, (pf & PFEC_TLBMOD) ? EV_S_EXO_TLB_MOD : EV_S_EXO_TLB_MISS, va, pf & 0xffff, 0);
  CTR(h, EXO_TLB_MISS_EXC);
  if (pf & PFEC_P) CTR(h, EXO_RIGHTS_EXC);
  struct walk_result r;
  hv_begin(h, EV_S_EXO_GUARANTEED, va, 0);
  bool ok = mmu_walk_software(h->mmu, &h->cpu->ctl, va, acc & ~ACC_U, &r);
  if (ok) {
    hv_set_arg(h, r.level);
    mmu_tlb_install(h->mmu, &h->cpu->tlb, &h->cpu->ctl, va, r.pa, r.perm | TP_D,
                    12 + 9 * (unsigned)(r.level - 1), acc & ACC_F);
    CTR(h, EXO_GUARANTEED_REFILLS);
  }
  hv_end(h, r.cycles);
  if (ok) hv_step(h, EV_S_EXO_RESUME, 0, 0, 0);
  hv_end(h, 0);
  h->guest_layer = layer;
  return ok ? HV_RETRY : SIGKILL;
}

/* ---- the libOS tells the exokernel its translations changed ---- */
static void exo_flush(struct hv *h, uint64_t va, bool all) {
  struct exo *s = h->priv;
  uint64_t cyc = 0;
  if (s->xok) {            /* Xok flushes inside insert_pte: the store did it */
    if (!all) cpu_invlpg(h->cpu, va);
    return;
  }
  exo_call_begin(s, EXO_CALL_TLB_FLUSH);
  hv_begin(h, EV_S_EXO_TLB_FLUSH, va, all);
  CTR(h, EXO_FLUSHES);
  if (all) {
    /* the address space gets a new ASID: its STLB entries can never match */
    cur_env(s)->asid = new_asid(s);
  } else {
    cpu_invlpg(h->cpu, va);
    /* the page's software-TLB slot in every address space: the Linux code
     * names no address space when it drops a page (a truncated file's
     * pages go from every process that maps them), and the STLB keeps
     * each space's entries across switches */
    for (int i = 0; s->nslots && i < s->nenv; i++) {
      uint64_t slot = stlb_slot(s, va, s->env[i].asid);
      if (hv_read64(h, slot, &cyc) == stlb_tag(va, s->env[i].asid)) hv_write64(h, slot, 0, &cyc);
    }
  }
  hv_end(h, cyc);
  exo_call_end(s, 0);
}
static void exo_invlpg(struct hv *h, uint64_t va) { exo_flush(h, va, false); }
static void exo_invpcid(struct hv *h, int type, uint64_t pcid, uint64_t va) {
  if (type == 0) {
    exo_flush(h, va, false);
    cpu_invpcid(h->cpu, type, (uint32_t)pcid, va);
  } else {
    exo_flush(h, 0, true);
    cpu_invpcid(h->cpu, type, (uint32_t)pcid, va);
  }
}
static void exo_flush_all(struct hv *h) { exo_flush(h, 0, true); }

static void exo_write_cr3(struct hv *h, uint64_t v) {
  struct exo *s = h->priv;
  uint64_t cyc = 0;
  env_enter(s, v & PTE_ADDR, &cyc);
  h->cpu->cycles += cyc;
  cpu_write_cr3(h->cpu, v);
}

static void exo_pt_free(struct hv *h, uint64_t top) {
  struct exo *s = h->priv;
  struct exo_env *e = env_of(s, top);
  if (!e) return;
  int idx = (int)(e - s->env), last = s->nenv - 1;
  if (e->pe) mem_pool_free(h->mmu->mem, e->pe);
  s->env[idx] = s->env[last];
  s->nenv--;
  if (s->cur == idx) s->cur = -1;          /* found again from CR3 when needed */
  else if (s->cur == last) s->cur = idx;
  for (int j = 0; j < h->ncpus; j++) {     /* the other processors' */
    if (j == h->this_cpu) continue;
    if (s->percpu[j].cur == idx) s->percpu[j].cur = -1;
    else if (s->percpu[j].cur == last) s->percpu[j].cur = idx;
  }
}

static void exo_select_cpu(struct hv *h, int from, int to) {
  struct exo *s = h->priv;
  struct exo_cpu *f = &s->percpu[from], *t = &s->percpu[to];
  f->cur = s->cur; f->call_depth = s->call_depth; f->upcall_depth = s->upcall_depth; f->batch = s->batch;
  memcpy(f->saved_layer, s->saved_layer, sizeof f->saved_layer);
  f->batch_open = s->batch_open; f->refused = s->refused; f->slice_vector = s->slice_vector;
  s->cur = t->cur; s->call_depth = t->call_depth; s->upcall_depth = t->upcall_depth; s->batch = t->batch;
  memcpy(s->saved_layer, t->saved_layer, sizeof s->saved_layer);
  s->batch_open = t->batch_open; s->refused = t->refused; s->slice_vector = t->slice_vector;
}

/* a guest system call: trapped by the exokernel, reflected to the libOS;
 * the libOS returns to the program itself */
static uint64_t exo_syscall_cross(struct hv *h, bool enter) {
  if (!enter) return h->step_cost[EV_S_LIBOS_RESUME];
  CTR(h, EXO_SYSCALL_REFLECTIONS);
  return h->step_cost[EV_S_EXO_TLB_MISS] + h->step_cost[EV_S_EXO_UPCALL];
}

static int exo_init(struct hv *h) {
  struct exo *s = calloc(1, sizeof *s);
  if (!s) return -1;
  h->priv = s;
  s->h = h;
  if (hv_costs_init(h) || hv_mem_init(h, EXO_KSEG0)) return -1;
  uint64_t variant = hv_param(h, "exokernel.mmu");
  if (variant > 1) { snprintf(h->error, sizeof h->error, "exokernel.mmu must be aegis-stlb or xok-pt"); return -1; }
  s->xok = variant == 1;
  s->nslots = s->xok ? 0 : (uint32_t)hv_param(h, "exokernel.swtlb.entries");
  if (s->nslots & (s->nslots - 1) || s->nslots > (1u << 22)) {
    snprintf(h->error, sizeof h->error, "exokernel.swtlb.entries must be 0 or a power of two up to 4194304");
    return -1;
  }
  s->mod_in_kernel = hv_param(h, "exokernel.mod_in_kernel") != 0;
  uint64_t pf = hv_param(h, "exokernel.prefault");
  if (pf > 511) { snprintf(h->error, sizeof h->error, "exokernel.prefault must be 0..511"); return -1; }
  h->prefault_pages = (int)pf;
  s->inject = hv_param(h, "exokernel.inject");
  s->inject_nth = hv_param(h, "exokernel.inject_nth");
  struct machine_mem *m = h->mmu->mem;
  s->slice_vector = mem_pool_alloc(m);
  uint32_t nf = (s->nslots * 16 + 4095) / 4096;
  s->stlb = calloc(nf + 1, sizeof *s->stlb);
  for (uint32_t i = 0; i < nf; i++)
    if (!(s->stlb[i] = mem_pool_alloc(m))) return -1;
  if (!nf) s->stlb[0] = s->slice_vector;   /* an exokernel frame all the same (the injection's) */
  uint64_t frames = m->ram_bytes >> 12;
  s->nbind = (frames + 511) / 512;
  s->bind = calloc(s->nbind, sizeof *s->bind);
  for (uint64_t i = 0; i < s->nbind; i++)
    if (!(s->bind[i] = mem_pool_alloc(m))) return -1;
  if (!s->slice_vector || !s->stlb || !s->bind) return -1;
  s->next_asid = 1;
  s->cur = -1;
  for (int j = 1; j < h->ncpus; j++) {     /* each processor's own slice vector */
    s->percpu[j].cur = -1;
    if (!(s->percpu[j].slice_vector = mem_pool_alloc(m))) return -1;
  }
  /* the libOS decides to drop a translation (tlb.invalidate); the INVLPG
   * is the exokernel's, inside its exo.tlb_flush call (priced there) */
  h->step_cost[EV_S_TLB_INVALIDATE] = 0;
  if (s->xok) return xok_init(s);
  /* the software-refilled TLB, and the exokernel's memory unmapped */
  h->mmu->refill = MMU_REFILL_SOFTWARE;
  h->tlb_miss_handler = true;
  h->mmu->kseg_base = EXO_KSEG0;
  h->mmu->kseg_size = m->ram_bytes + m->pool_bytes;
  return 0;
}

static void exo_fini(struct hv *h) {
  struct exo *s = h->priv;
  if (!s) return;
  free(s->env);
  free(s->stlb);
  free(s->bind);
  free(s);
  h->priv = NULL;
}

const struct hv_mode hv_mode_exokernel = {
  .name = "exokernel",
  .doc = "Aegis on a software-refilled TLB (an x86 what-if after the MIPS R3000): TLB miss -> STLB -> upcall to the libOS -> capability-checked install; exokernel.mmu=xok-pt: Xok's x86 page tables",
  .init = exo_init,
  .page_fault = exo_page_fault,
  .params = exokernel_params,
  .kernel_access_fault = exo_kernel_fault,
  .write_cr3 = exo_write_cr3,
  .invlpg = exo_invlpg,
  .invpcid = exo_invpcid,
  .flush_all = exo_flush_all,
  .fini = exo_fini,
  .pv_pt_free = exo_pt_free,
  .select_cpu = exo_select_cpu,
  .frame_owner = exo_frame_owner,
  .keyframe = exo_keyframe,
  .syscall_cross = exo_syscall_cross,
};
