/* xen-pv: a 64-bit paravirtualized Linux guest on Xen (seeds 002, 003, 004),
 * or with xen.pv_abi=x86_32 the 32-bit ABI of the Xen that Barham et al.
 * measured (SOSP'03): the guest kernel in ring 1, one page table, system
 * calls by a direct trap gate, faults still bounced (xen_pf below).
 *
 * The guest kernel never writes a live page table itself: each store is an
 * update Xen validates (HYPERVISOR_mmu_update, MMU_NORMAL_PT_UPDATE; batched
 * in HYPERVISOR_multicall in lazy MMU mode), or, with xen.ptwr=1, a direct
 * store to the read-only table that traps and that Xen emulates (writable
 * page tables).  Xen tracks each frame's type (L1..L4 page table, or not)
 * and refuses an update that maps a page-table page writable, links a table
 * of the wrong type, or references a frame the domain does not own.
 *
 * A fault: #PF -> Xen's handler in ring 0 -> not one Xen fixes itself ->
 * bounce frame on the guest kernel stack, CR2 into vcpu_info, the error
 * code's U bit rewritten (the ring-3 guest kernel's own faults report U=1 in
 * hardware) -> user to kernel L4 switch -> the guest's handler (the Linux
 * path of native.c, entered without IDT delivery) -> a new page-table page:
 * zero it, remap it read-only (update_va_mapping) and pin it as an L1
 * (MMUEXT_PIN_L1_TABLE) in one multicall (xen.pin_l1=1, as Linux with split
 * page-table locks does) -> mmu_update to hook it into its parent -> mmu_update
 * for the data page -> HYPERVISOR_iret, kernel to user L4 -> retry.
 *
 * Seed 002's wording differs from Xen in three places, and the model follows
 * Xen: its "machine_to_physical" is the guest's pfn -> mfn lookup (the P2M),
 * its PTE update for the data page is an mmu_update (not an mmuext_op), and
 * its get_page() is Xen's internal reference/type acquisition (here
 * xen.validate), not a guest allocator.
 *
 * What is modeled and what is not: the P2M (guest memory) and M2P (Xen's)
 * tables exist and every lookup reads them through the MMU, but the domain
 * is one machine-contiguous range, so their values are the identity.  Xen's
 * own memory accesses go through its own direct map (DIRECTMAP_VIRT_START,
 * hv_read64/hv_write64), the guest kernel's through its direct map.  The user L4 is the kernel L4's frame (its user half is the
 * same table; the kernel half is supervisor-only), so L4 switches are
 * charged CR3 writes with their TLB effect and the user L4's pin is charged;
 * the guest kernel's accesses are made at supervisor privilege (its ring-3
 * deprivileging shows in the L4 switches and the error-code rewrite).  The
 * direct map is 1 GiB pages (real PV Linux maps it with 4 KiB pages and
 * remaps each page-table page read-only: that remap is charged), so the
 * kernel half's tables are validated once, as the domain builder's. */
#include "hv-models/hvm.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's public ABI (xen/include/public/xen.h) */
enum { HC_MMU_UPDATE = 1, HC_MULTICALL = 13, HC_UPDATE_VA_MAPPING = 14, HC_IRET = 23,
       HC_MMUEXT_OP = 26 };
enum { T_NONE = 0, T_L1 = 1, T_L4 = 4, T_XEN = 8 };
enum { XR_OK = 0, XR_NOT_OWNED = 1, XR_WRITABLE_PT = 2, XR_TYPE = 3, XR_SUPERPAGE = 4 };

const struct fl_param_def xen_params[] = {
  {"xen.entry", 150, "cycles", "Xen's exception entry: save the guest frame", "derived: as native.kernel_entry"},
  {"xen.fixup", 100, "cycles", "do_page_fault: spurious / writable-page-table checks", "derived"},
  {"xen.bounce", 250, "cycles", "create_bounce_frame: frame on the guest kernel stack, CR2 into vcpu_info",
   "derived: a dozen stores plus checks"},
  {"xen.hypercall", 150, "cycles", "a hypercall's entry into Xen and return (SYSCALL/SYSRET)",
   "derived: a null syscall round trip"},
  {"xen.flush_multi", 300, "cycles", "--cpus: MMUEXT_(INVLPG|TLB_FLUSH)_MULTI: map the guest's vCPU mask to physical CPUs, flush them (the IPIs are charged apart)",
   "derived: vcpumask_to_pcpumask over a few vCPUs, then flush_tlb_mask"},
  {"xen.multicall", 100, "cycles", "HYPERVISOR_multicall: dispatch a batch (per multicall issued)", "derived"},
  {"xen.p2m", 20, "cycles", "guest pfn_to_mfn besides its P2M read", "derived"},
  {"xen.m2p", 20, "cycles", "guest mfn_to_pfn besides its M2P read", "derived"},
  {"xen.validate", 250, "cycles", "validate one update: get_page, type and ownership checks",
   "derived: Xen mod_l1_entry and friends"},
  {"xen.validate_entry", 4, "cycles/entry", "per entry when Xen validates a whole table (pin, new type)", "derived"},
  {"xen.pt_write", 50, "cycles", "Xen stores the validated entry", "derived"},
  {"xen.pin", 300, "cycles", "MMUEXT_PIN_Ln_TABLE besides its per-entry validation", "derived"},
  {"xen.unpin", 300, "cycles", "MMUEXT_UNPIN_TABLE besides devalidating the tables", "derived"},
  {"xen.update_va_mapping", 300, "cycles", "remap one page read-only in the guest's mappings, flush it", "derived"},
  {"xen.ptwr_emulate", 900, "cycles", "writable page tables: decode the trapped store, validate, write",
   "derived: x86 emulator + validation"},
  {"xen.iret", 300, "cycles", "HYPERVISOR_iret: restore the guest's user frame", "derived"},
  {"xen.pv_abi", 0, "enum", "the PV ABI of Xen and the guest kernel: 0 x86_64 (guest kernel in ring 3, "
   "user and kernel L4s switched on every entry and exit, HYPERVISOR_iret), 1 x86_32 (guest kernel in ring 1 "
   "under segment limits, one L4, system calls by a direct trap gate, faults still bounced by Xen, a direct iret back)",
   "Barham et al., SOSP'03, section 2.1 (the x86_32 Xen measured); Xen arch/x86/x86_32/traps.c init_int80_direct_trap"},
  {"xen.ptwr", 0, "bool", "leaf PTE stores outside lazy MMU mode are direct stores Xen traps and emulates",
   "Linux xen_set_pte outside lazy mode; 0: an mmu_update each"},
  {"xen.pin_l1", 1, "bool", "a new PTE page is remapped read-only and pinned as an L1 in one multicall",
   "Linux with split page-table locks (xen_alloc_ptpage, xen_pin_page)"},
  {"xen.batch", 32, "count", "updates per multicall in lazy MMU mode (fork, munmap, mprotect)",
   "Linux arch/x86/xen/multicalls.h MC_BATCH = 32"},
  {"xen.inject_writable_pt", 0, "count", "fault injection: the Nth leaf update first tries to map its own L1 table writable (0: off)",
   "test hook: Xen must refuse it"},
  {"xen.inject_foreign", 0, "count", "fault injection: the Nth leaf update first tries to map a frame of Xen's (0: off)",
   "test hook: Xen must refuse it"},
  {"xen.inject_superpage", 0, "count", "fault injection: the Nth update linking a page table into a PMD first tries a 2 MiB (PS) entry (0: off)",
   "test hook: Xen must refuse it (PV guests have no superpages)"},
  {NULL, 0, NULL, NULL, NULL},
};

struct xen_pv {
  struct hv *h;
  uint8_t *type;             /* per frame: T_NONE, T_L1..T_L4, T_XEN */
  uint8_t *exempt;           /* kernel-half tables built by the domain builder */
  uint64_t nframes;
  uint64_t p2m_pa, m2p_pa, shared_pa;
  bool ptwr, pin_l1;
  bool abi32;                /* xen.pv_abi=x86_32 */
  uint32_t batch;            /* xen.batch */
  int batch_depth;           /* lazy MMU mode nesting */
  uint32_t batch_fill;       /* updates in the open multicall */
  bool batch_open;           /* an xen.multicall event is open */
  uint64_t batch_mcalls;     /* multicalls issued inside it */
  uint64_t validate_entry;   /* xen.validate_entry */
  uint64_t leaf_updates, inj_wpt, inj_foreign, pmd_links, inj_superpage;
};

#define XEN_CTR(h, c) ((h)->st.counter[HV_C_##c]++)

/* Xen's own accesses (validation reads, the stores it performs, vcpu_info)
 * go through its address space: hv_read64/hv_write64, its direct map at
 * DIRECTMAP_VIRT_START.  The guest kernel's (the P2M and M2P lookups, its
 * stores into tables not yet typed) and the bounce frame Xen writes on the
 * guest kernel's stack go through the guest's mappings (guest_read64 &
 * guest_write64). */
#define XEN_DIRECTMAP 0xffff830000000000ull

static bool owned(const struct xen_pv *s, uint64_t f) { return f < s->nframes && s->type[f] != T_XEN; }
static uint64_t frame_of(uint64_t e) { return (e & PTE_ADDR) >> 12; }

/* Guest: pfn -> mfn through the P2M (a read of guest memory). */
static uint64_t p2m(struct xen_pv *s, uint64_t pfn) {
  uint64_t cyc = 0;
  hv_begin(s->h, EV_S_XEN_P2M, 0, pfn);
  uint64_t mfn = pfn < s->nframes ? guest_read64(s->h, s->p2m_pa + pfn * 8, &cyc) : pfn;
  hv_end(s->h, cyc);
  return mfn;
}

static void xen_pf_descend(struct hv *h, uint64_t e) {
  struct xen_pv *s = h->priv;
  uint64_t mfn = frame_of(e), cyc = 0;
  hv_begin(h, EV_S_XEN_M2P, 0, mfn);
  if (mfn < s->nframes) (void)guest_read64(h, s->m2p_pa + mfn * 8, &cyc);
  hv_end(h, cyc);
}

/* In lazy MMU mode the first update opens the multicall's event. */
static void batch_event(struct xen_pv *s) {
  if (s->batch_depth && !s->batch_open) {
    hv_begin(s->h, EV_S_XEN_MULTICALL, 0, HC_MULTICALL);
    s->batch_open = true;
    s->batch_mcalls = 0;
  }
}

/* One hypercall entry, or one slot of the open multicall. */
static void hypercall(struct xen_pv *s, int nr) {
  struct hv *h = s->h;
  if (s->batch_depth) {
    batch_event(s);
    if (s->batch_fill++ % s->batch) return;      /* rides in the current multicall */
    XEN_CTR(h, XEN_MULTICALLS);
    s->batch_mcalls++;       /* its dispatch is charged to the batch's step */
    hv_step(h, EV_S_XEN_HYPERCALL, 0, HC_MULTICALL, 0);
    XEN_CTR(h, XEN_HYPERCALLS);
    return;
  }
  XEN_CTR(h, XEN_HYPERCALLS);
  hv_step(h, EV_S_XEN_HYPERCALL, 0, (uint64_t)nr, 0);
}

static int check_entry(struct xen_pv *s, int level, uint64_t e, bool exempt);
static void audit(struct hv *h);

/* The slots Xen's loop visits when it types or untypes a table of the
 * model's `level` (alloc_lN_table, free_lN_table: every entry read,
 * present ones checked).  x86_64: 512 at each of the four levels.
 * x86_32 (xen.pv_abi=1): the Xen of SOSP'03 (1.0) ran 32-bit guests on
 * two-level non-PAE tables (PAE came with Xen 3.0), 4-byte entries, 1,024
 * to a table: the model's L4 stands for the page directory, of which Xen
 * checks the guest's 1,008 entries below HYPERVISOR_VIRT_START
 * (DOMAIN_ENTRIES_PER_L2_PAGETABLE; its own 16 are copied in, not
 * checked); its L3s and L2s have no counterpart (the directory maps the
 * whole 4 GiB) and cost nothing; each of its L1s stands for one 32-bit
 * page table of 1,024 entries (ENTRIES_PER_L1_PAGETABLE).  A 32-bit page
 * table maps 4 MiB where the model's maps 2 MiB, so a mapping spread over
 * both 2 MiB halves of one aligned 4 MiB has one table there and two
 * here (counted twice); a small process's separate regions (text and
 * heap, the stack) have one table each in both. */
static uint64_t table_slots(const struct xen_pv *s, int level) {
  if (!s->abi32) return 512;
  return level == 4 ? 1008 : level == 1 ? 1024 : 0;
}

/* Entry i of a table Xen walks: read through its direct map, charged; a
 * level with no x86_32 counterpart is the model's bookkeeping (found, not
 * charged: its entries are the directory's, read there). */
static uint64_t slot_read(struct xen_pv *s, uint64_t f, int i, int level, uint64_t *cyc) {
  uint64_t pa = (f << 12) + 8ull * (unsigned)i;
  return table_slots(s, level) ? hv_read64(s->h, pa, cyc) : mem_peek64(s->h->mmu->mem, pa);
}

/* Give frame f the type of a level-`level` table: every entry is checked
 * (Xen's alloc_page_type); children of an untyped kind are typed too. */
static int validate_table(struct xen_pv *s, uint64_t f, int level, bool exempt) {
  struct hv *h = s->h;
  if (s->type[f] == level) return XR_OK;
  if (s->type[f] != T_NONE) return XR_TYPE;
  uint64_t cyc = s->validate_entry * table_slots(s, level);
  s->type[f] = (uint8_t)level;
  s->exempt[f] = exempt;
  int why = XR_OK;
  for (int i = 0; i < 512 && !why; i++) {
    uint64_t e = slot_read(s, f, i, level, &cyc);
    if (e & PTE_P) {
      h->st.counter[HV_C_XEN_TABLE_ENTRIES_VALIDATED]++;
      why = check_entry(s, level, e, exempt || (level == 4 && i >= 256));
    }
  }
  h->cpu->cycles += cyc;
  if (why) s->type[f] = T_NONE;
  return why;
}

/* Xen's rules for one entry of a level-`level` table (mod_lN_entry). */
static int check_entry(struct xen_pv *s, int level, uint64_t e, bool exempt) {
  if (!(e & PTE_P)) return XR_OK;
  uint64_t f = frame_of(e);
  if (!owned(s, f)) return XR_NOT_OWNED;
  bool leaf = level == 1 || (e & PTE_PS);
  if (!leaf) return validate_table(s, f, level - 1, exempt);
  if (exempt) return XR_OK;                       /* the domain builder's direct map */
  if (level > 1) return XR_SUPERPAGE;             /* PV guests get no superpages */
  if ((e & PTE_W) && s->type[f] >= T_L1 && s->type[f] <= T_L4) return XR_WRITABLE_PT;
  return XR_OK;
}

/* Validate and perform one update (mmu_update or an emulated ptwr store). */
static bool xen_update(struct xen_pv *s, uint64_t entry_pa, uint64_t val) {
  struct hv *h = s->h;
  uint64_t t = entry_pa >> 12;
  int level = s->type[t];
  uint64_t cyc = 0;
  hv_begin(h, EV_S_XEN_VALIDATE, entry_pa, 0);
  /* get_page: Xen looks the frame up (its frame table; here the M2P) */
  if ((val & PTE_P) && frame_of(val) < s->nframes)
    (void)hv_read64(h, s->m2p_pa + frame_of(val) * 8, &cyc);
  bool kernel_half = level == 4 && ((entry_pa & 0xfff) / 8) >= 256;
  int why = check_entry(s, level, val, s->exempt[t] || kernel_half);
  hv_end(h, cyc);
  if (why) {
    XEN_CTR(h, XEN_REFUSALS);
    hv_step(h, EV_S_XEN_REFUSE, 0, (uint64_t)why, 0);
    return false;
  }
  XEN_CTR(h, XEN_VALIDATIONS);
  cyc = 0;
  hv_begin(h, EV_S_XEN_PT_WRITE, 0, val);
  hv_write64(h, entry_pa, val, &cyc);
  hv_end(h, cyc);
  return true;
}

/* Submit an update the guest built: by hypercall, or (ptwr) a direct
 * store to the read-only table that faults into Xen's emulator. */
static bool submit(struct xen_pv *s, uint64_t entry_pa, uint64_t val, bool leaf, bool direct) {
  struct hv *h = s->h;
  if (direct || (s->ptwr && leaf && !s->batch_depth)) {
    hv_begin(h, EV_S_FAULT, h->ops.kva(h->ops.k, entry_pa), PFEC_P | PFEC_W | PFEC_U);
    hv_fault_kind(h, EV_K_XEN_PTWR, false);
    hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
    hv_step(h, EV_S_XEN_ENTRY, 0, 0, 0);
    hv_begin(h, EV_S_XEN_PTWR_EMULATE, entry_pa, 0);
    XEN_CTR(h, XEN_PTWR);
    bool ok = xen_update(s, entry_pa, val);
    hv_end(h, 0);
    hv_end(h, 0);
    return ok;
  }
  hypercall(s, HC_MMU_UPDATE);
  XEN_CTR(h, XEN_MMU_UPDATES);
  return xen_update(s, entry_pa, val);
}

static _Noreturn void refused(uint64_t entry_pa, uint64_t val) {
  fprintf(stderr, "faultline: internal error: xen-pv refused the guest kernel's update "
          "%#llx at %#llx\n", (unsigned long long)val, (unsigned long long)entry_pa);
  exit(125);
}

static void xen_pte_store(struct hv *h, uint64_t entry_pa, uint64_t val, int level_hint) {
  struct xen_pv *s = h->priv;     /* (Xen knows a typed table's level from its type) */
  bool direct = level_hint & PV_PTE_DIRECT;
  level_hint &= 7;
  uint64_t t = entry_pa >> 12;
  if (s->type[t] == T_NONE && level_hint == 1 && !direct && (s->batch_depth || (val & PTE_P))) {
    /* a PTE of a table not pinned yet (a fork's child in lazy MMU mode,
     * a new image's argument pages before activate_mm): xen_set_pte
     * still makes it an MMU_NORMAL_PT_UPDATE, queued or by hypercall,
     * which Xen finds on an ordinary writable page and stores
     * unvalidated; the entries are validated when the table is pinned
     * (Linux __xen_set_pte, xen_batched_set_pte; Xen do_mmu_update, a
     * PGT_writable_page update).  A teardown's clears after the unpin
     * are plain stores (below). */
    uint64_t cyc = 0;
    batch_event(s);
    if (val & PTE_P) (void)p2m(s, frame_of(val));
    hypercall(s, HC_MMU_UPDATE);
    XEN_CTR(h, XEN_MMU_UPDATES);
    XEN_CTR(h, XEN_UNTYPED_UPDATES);
    hv_begin(h, EV_S_XEN_PT_WRITE, 0, val);
    hv_write64(h, entry_pa, val, &cyc);
    hv_end(h, cyc);
    return;
  }
  if (s->type[t] == T_NONE) {
    /* not a page table yet (being built before it is linked or pinned):
     * the guest's own store (xen_set_pmd/pud/p4d store directly into a
     * page not pinned); Xen validates it with the whole table */
    uint64_t cyc = 0;
    guest_write64(h, entry_pa, val, &cyc);
    h->cpu->cycles += cyc;
    if (val & PTE_P) XEN_CTR(h, XEN_PLAIN_STORES);
    else XEN_CTR(h, XEN_PLAIN_CLEARS);
    return;
  }
  bool leaf = s->type[t] == T_L1 || (val & PTE_PS);
  if (direct) {
    /* a locked bit clear on the read-only table (no pfn_pte, no queued
     * request): the writable-page-table trap, which Xen emulates */
    if (!submit(s, entry_pa, val, leaf, true)) refused(entry_pa, val);
    return;
  }
  batch_event(s);
  if (val & PTE_P) (void)p2m(s, frame_of(val));     /* pfn_pte: mfn from the P2M */
  if (leaf && (val & PTE_P)) {
    s->leaf_updates++;
    /* fault injection: a bad update first, which Xen must refuse */
    if (s->leaf_updates == s->inj_wpt && submit(s, entry_pa, (t << 12) | PTE_P | PTE_W | PTE_U | PTE_NX, leaf, false))
      refused(entry_pa, val);
    if (s->leaf_updates == s->inj_foreign && submit(s, entry_pa, s->m2p_pa | PTE_P | PTE_U | PTE_NX, leaf, false))
      refused(entry_pa, val);
  }
  if (!leaf && (val & PTE_P) && s->type[t] == 2 && ++s->pmd_links == s->inj_superpage &&
      submit(s, entry_pa, (val & ~0x1fffffull & PTE_ADDR) | PTE_P | PTE_U | PTE_PS | PTE_NX, false, false))
    refused(entry_pa, val);
  if (!submit(s, entry_pa, val, leaf, direct)) refused(entry_pa, val);
}

static void pin(struct xen_pv *s, uint64_t pa, int level) {
  struct hv *h = s->h;
  hv_begin(h, EV_S_XEN_PIN, pa, (uint64_t)level);
  int why = validate_table(s, pa >> 12, level, false);
  if (why) refused(pa, 0);
  XEN_CTR(h, XEN_PINS);
  hv_end(h, 0);
}

/* A frame is now a page table of `level` (zeroed, not linked yet). */
static void xen_pt_new(struct hv *h, uint64_t pa, int level) {
  struct xen_pv *s = h->priv;
  if (level == 4 && s->abi32) {
    /* x86_32: one table for user and kernel, one pin (queue_pgd_pin) */
    hypercall(s, HC_MMUEXT_OP);
    pin(s, pa, 4);
    return;
  }
  if (level == 4) {
    /* the whole tree pinned (exec's activate_mm, the end of a fork's
     * dup_mmap): the kernel and the user L4 (MMUEXT_PIN_L4_TABLE) */
    hv_begin(h, EV_S_XEN_MULTICALL, 0, HC_MMUEXT_OP);
    hypercall(s, HC_MMUEXT_OP);
    pin(s, pa, 4);
    XEN_CTR(h, XEN_PINS);
    hv_begin(h, EV_S_XEN_PIN, pa, 4);     /* the user L4 (the same frame here) */
    hv_end(h, s->validate_entry * 512);
    hv_end_n(h, 0, 0);       /* one mmuext_op carries both pins: no multicall dispatch */
    return;
  }
  bool pin_now = level == 1 && s->pin_l1;
  if (s->batch_depth) {
    /* a whole tree pinned at once (xen_pgd_pin): its update_va_mapping
     * and MMUEXT_PIN_L1_TABLE requests ride in the open multicall */
    hypercall(s, HC_UPDATE_VA_MAPPING);
    if (pin_now) hypercall(s, HC_MMUEXT_OP);
  } else if (pin_now) {
    /* one multicall: update_va_mapping (read-only) + MMUEXT_PIN_L1_TABLE */
    hv_begin(h, EV_S_XEN_MULTICALL, 0, HC_MULTICALL);
    XEN_CTR(h, XEN_MULTICALLS);
    XEN_CTR(h, XEN_HYPERCALLS);
    hv_step(h, EV_S_XEN_HYPERCALL, 0, HC_MULTICALL, 0);
  } else {
    hypercall(s, HC_UPDATE_VA_MAPPING);
  }
  /* the page-table page loses write access in the guest's mappings; with
   * several vCPUs, Xen flushes every other one that may still hold a
   * writable translation of it before the frame is a page table (its
   * type change, _get_page_type: flush_tlb_mask over the CPUs the
   * page's TLB-flush timestamp does not clear -- here, those whose TLB
   * holds it) */
  uint64_t kva = h->ops.kva(h->ops.k, pa);
  hv_begin(h, EV_S_XEN_UPDATE_VA_MAPPING, pa, 0);
  tlb_flush_va(&h->cpu->tlb, kva);
  int targets[HV_MAX_CPUS], n = 0;
  for (int j = 0; j < h->ncpus; j++)
    if (j != h->this_cpu && hv_cpu_holds(h, j, kva, 1)) targets[n++] = j;
  if (n) hv_ipi_flush(h, targets, n, kva, false, EV_S_HV_IPI_SEND, EV_S_HV_IPI_FLUSH, EV_S_HV_IPI_WAIT);
  hv_end(h, 0);
  if (pin_now) {
    pin(s, pa, 1);
    if (!s->batch_depth) hv_end(h, 0);
  }
}

/* Devalidate the user half of an address space (its tables lose their
 * types, Xen's free_page_type): the tables, and in *slots the entries
 * Xen's loops visit (table_slots). */
static uint64_t devalidate(struct xen_pv *s, uint64_t f, int level, uint64_t *slots) {
  uint64_t n = 1, cyc = 0;
  *slots += table_slots(s, level);
  int lim = level == 4 ? 256 : 512;
  for (int i = 0; i < lim && level > 1; i++) {
    uint64_t e = slot_read(s, f, i, level, &cyc);
    if (!(e & PTE_P) || (e & PTE_PS) || !owned(s, frame_of(e))) continue;
    if (s->type[frame_of(e)] == level - 1 && !s->exempt[frame_of(e)]) n += devalidate(s, frame_of(e), level - 1, slots);
  }
  s->type[f] = T_NONE;
  s->h->cpu->cycles += cyc;
  return n;
}

static void xen_pt_free(struct hv *h, uint64_t top) {
  struct xen_pv *s = h->priv;
  if (s->type[top >> 12] != T_L4) return;
  audit(h);
  hypercall(s, HC_MMUEXT_OP);
  hv_begin(h, EV_S_XEN_UNPIN, top, 0);
  uint64_t slots = 0, n = devalidate(s, top >> 12, 4, &slots);
  XEN_CTR(h, XEN_UNPINS);
  hv_set_arg(h, n);
  hv_end(h, s->validate_entry * slots);
}

static void xen_batch(struct hv *h, bool begin) {
  struct xen_pv *s = h->priv;
  if (begin) { if (s->batch_depth++ == 0) s->batch_fill = 0; return; }
  if (s->batch_depth && --s->batch_depth == 0 && s->batch_open) {
    s->batch_open = false;
    hv_end_n(h, 0, s->batch_mcalls);
  }
}

/* The bounce frame Xen builds on the guest kernel's stack (create_bounce_frame).
 * x86_64: SS, RSP, RFLAGS, CS, RIP, the error code and RCX/R11, eight
 * quadwords whatever the ring it came from, CR2 into vcpu_info.  x86_32:
 * EIP, CS, EFLAGS, ESP and SS when it came from ring 3, the error code and
 * CR2 on the frame itself (TBF_EXCEPTION_ERRCODE | TBF_EXCEPTION_CR2 in
 * Xen 2.0's propagate_page_fault; XenoLinux 2.4's page_fault entry "gets
 * an extra value on its stack, which is the linear faulting address"):
 * seven 32-bit words from user, five from the kernel,
 * written here as four and three quadword stores [Xen
 * arch/x86/x86_32/entry.S create_bounce_frame]. */
static uint64_t bounce_frame(struct xen_pv *s, uint64_t va, uint32_t guest_err, bool in_kernel) {
  struct hv *h = s->h;
  struct guest_ops *o = &h->ops;
  uint64_t cyc = 0, top = o->kstack_pa(o->k) + 4096;
  if (s->abi32) {
    int n = in_kernel ? 3 : 4;
    for (int i = 0; i < n; i++)
      guest_write64(h, top - 8 * (uint64_t)(n - i), i == 0 ? (va << 32 | guest_err) : 0, &cyc);
    return cyc;
  }
  for (int i = 0; i < 8; i++) guest_write64(h, top - 64 + 8 * (uint64_t)i, i == 0 ? guest_err : 0, &cyc);
  hv_write64(h, s->shared_pa + 8, va, &cyc);         /* vcpu_info.arch.cr2 */
  return cyc;
}

/* A fault: Xen's handler first (only ring 0 can read CR2, so every page
 * fault enters Xen, in both ABIs: Barham et al., SOSP'03, 2.1.2), then
 * the guest kernel's by a bounce frame.
 *   x86_64: the guest kernel runs in ring 3, so its own faults report
 * U=1 and Xen rewrites the code; user -> kernel L4 switch on entry; back
 * by HYPERVISOR_iret and a kernel -> user L4 switch.
 *   x86_32 (xen.pv_abi=x86_32): the guest kernel runs in ring 1, a
 * supervisor ring for paging (CPL < 3 reports U=0: SDM Vol. 3A 4.7), so
 * the code needs no rewrite; one page table for user and kernel, so no
 * switch; the guest kernel returns to user with its own iret, ring 1 to
 * ring 3 (XenoLinux 2.4 arch/xen/kernel/entry.S: ret_to_user, then
 * RESTORE_ALL's iret; Linux arch/x86/xen/xen-asm_32.S xen_iret runs
 * "where a normal iret would be run"): native's kernel.exit, no
 * hypercall.  Its check of pending events in shared_info, in place of
 * cli/sti, is a cached byte or two and is not charged apart, as native's
 * cli is not.  Xen's own 64 MB at the top of every
 * address space is kept from the guest by segment limits (SOSP'03
 * 2.1.1: descriptors "may not allow any access to the Xen-reserved
 * portion of the address space"); the limit check is part of every
 * access's address generation in hardware and costs nothing per
 * operation here. */
static int xen_pf(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code) {
  struct xen_pv *s = h->priv;
  struct guest_ops *o = &h->ops;
  bool ring3_kernel = !s->abi32;
  uint32_t hw_err = err | (in_kernel && ring3_kernel ? PFEC_U : 0);
  hv_begin(h, EV_S_FAULT, va, hw_err);
  hv_step(h, EV_S_EXC_DELIVER, 0, 0, 0);
  hv_step(h, EV_S_XEN_ENTRY, 0, 0, 0);
  /* the walk that raised it used the current tables: not spurious, and
   * not a page-table store (those reach Xen as updates) */
  hv_step(h, EV_S_XEN_FIXUP, 0, 0, 0);
  uint32_t guest_err = in_kernel ? err & ~PFEC_U : err;
  hv_begin(h, EV_S_XEN_BOUNCE, 0, guest_err);
  uint64_t cyc = bounce_frame(s, va, guest_err, in_kernel);
  XEN_CTR(h, XEN_BOUNCES);
  hv_end(h, cyc);
  if (!in_kernel && ring3_kernel) {
    hv_begin(h, EV_S_XEN_L4_SWITCH, 0, 0);
    hv_end(h, o->entry_switch(o->k));
  }
  h->fault_open = true;
  h->pv_bounce = true;
  int sig = linux_guest_pf(h, va, guest_err, in_kernel, si_code);
  if (ring3_kernel) {
    XEN_CTR(h, XEN_HYPERCALLS);
    hv_step(h, EV_S_XEN_HYPERCALL, 0, HC_IRET, 0);
    hv_step(h, EV_S_XEN_IRET, 0, 0, 0);
    if (!in_kernel) {
      hv_begin(h, EV_S_XEN_L4_SWITCH, 0, 1);
      hv_end(h, o->exit_switch(o->k));
    }
  } else if (!in_kernel && !sig) {
    hv_step(h, EV_S_KERNEL_EXIT, 0, 0, 0);   /* as native: a signal leaves by its own path */
  }
  hv_end(h, 0);
  return sig;
}

/* Audit: every present entry of every typed table obeys Xen's rules —
 * the invariant validation exists to keep.  Run when an address space
 * dies (before its tables lose their types) and at the end of the run. */
static void audit(struct hv *h) {
  struct xen_pv *s = h->priv;
  for (uint64_t f = 0; f < s->nframes; f++) {
    int level = s->type[f];
    if (level < T_L1 || level > T_L4) continue;
    for (int i = 0; i < 512; i++) {
      uint64_t e = mem_peek64(h->mmu->mem, (f << 12) + 8ull * (unsigned)i);   /* a check, not Xen's work */
      if (!(e & PTE_P)) continue;
      h->st.counter[HV_C_XEN_AUDITED]++;
      bool exempt = s->exempt[f] || (level == 4 && i >= 256);
      uint64_t c = frame_of(e);
      bool bad = !owned(s, c), large = level > 1 && (e & PTE_PS);
      if (!bad && level > 1 && !large) bad = s->type[c] != level - 1;
      else if (!bad && !exempt) bad = large || ((e & PTE_W) && s->type[c] >= T_L1 && s->type[c] <= T_L4);
      if (bad) h->st.counter[HV_C_XEN_AUDIT_VIOLATIONS]++;
    }
  }
}
static void xen_finish(struct hv *h) { audit(h); }

static int xen_init(struct hv *h) {
  struct xen_pv *s = calloc(1, sizeof *s);
  if (!s) return -1;
  h->priv = s;
  s->h = h;
  if (hv_costs_init(h) || hv_mem_init(h, XEN_DIRECTMAP)) return -1;
  s->validate_entry = hv_param(h, "xen.validate_entry");
  struct machine_mem *mem = h->mmu->mem;
  s->nframes = (mem->ram_bytes + mem->pool_bytes) >> 12;
  s->type = calloc(s->nframes, 1);
  s->exempt = calloc(s->nframes, 1);
  if (!s->type || !s->exempt) return -1;
  uint64_t abi = hv_param(h, "xen.pv_abi");
  if (abi > 1) { snprintf(h->error, sizeof h->error, "xen.pv_abi must be x86_64 or x86_32"); return -1; }
  s->abi32 = abi == 1;
  s->ptwr = hv_param(h, "xen.ptwr") != 0;
  s->pin_l1 = hv_param(h, "xen.pin_l1") != 0;
  s->batch = (uint32_t)hv_param(h, "xen.batch");
  if (!s->batch) s->batch = 1;
  s->inj_wpt = hv_param(h, "xen.inject_writable_pt");
  s->inj_foreign = hv_param(h, "xen.inject_foreign");
  s->inj_superpage = hv_param(h, "xen.inject_superpage");
  /* the domain builder: P2M (the guest's), M2P (Xen's, read-only to the
   * guest) and the shared-info page, each one machine-contiguous run */
  uint64_t pages = (s->nframes * 8 + 4095) / 4096;
  for (int table = 0; table < 2; table++) {
    uint64_t first = 0;
    for (uint64_t i = 0; i < pages; i++) {
      uint64_t pa = mem_pool_alloc(mem);
      if (!pa || (i && pa != first + i * 4096)) {
        snprintf(h->error, sizeof h->error, "the P2M and M2P tables need %llu MiB of pool: raise guest.pool_mib",
                 (unsigned long long)((2 * pages * 4096) >> 20) + 1);
        return -1;
      }
      if (!i) first = pa;
      if (table == 1) s->type[pa >> 12] = T_XEN;
    }
    /* the domain builder fills them before the guest runs (not charged) */
    for (uint64_t f = 0; f < s->nframes; f++) mem_poke64(mem, first + f * 8, f);   /* one contiguous domain */
    if (table == 0) s->p2m_pa = first; else s->m2p_pa = first;
  }
  s->shared_pa = mem_pool_alloc(mem);
  if (!s->shared_pa) return -1;
  return 0;
}

/* --cpus: Linux's xen_flush_tlb_multi.  The guest cannot send IPIs of its
 * own: one mmuext_op hypercall with the vCPU mask, MMUEXT_INVLPG_MULTI for
 * one page, MMUEXT_TLB_FLUSH_MULTI otherwise; Xen maps the vCPUs to the
 * physical CPUs they run on and flushes those (its own IPIs, its own
 * handler: nothing runs in the guest there). */
static void xen_flush_tlb_multi(struct hv *h, const int *targets, int n, uint64_t va, uint64_t pages) {
  struct xen_pv *s = h->priv;
  bool all = pages != 1;
  hypercall(s, HC_MMUEXT_OP);
  XEN_CTR(h, XEN_FLUSH_MULTI);
  hv_begin(h, EV_S_XEN_FLUSH_MULTI, all ? 0 : va, (uint64_t)n);
  hv_ipi_flush(h, targets, n, va, all, EV_S_HV_IPI_SEND, EV_S_HV_IPI_FLUSH, EV_S_HV_IPI_WAIT);
  hv_end(h, 0);
}

static void xen_fini(struct hv *h) {
  struct xen_pv *s = h->priv;
  if (!s) return;
  free(s->type);
  free(s->exempt);
  free(s);
  h->priv = NULL;
}

const struct hv_mode hv_mode_xen_pv = {
  .name = "xen-pv",
  .doc = "Xen PV (64-bit; xen.pv_abi=x86_32: SOSP'03's ring-1 guest): #PF -> Xen -> bounce to the guest kernel; page-table updates validated by hypercall",
  .init = xen_init,
  .page_fault = xen_pf,
  .pv_pte_store = xen_pte_store,
  .pv_pte_descend = xen_pf_descend,
  .pv_pt_new = xen_pt_new,
  .pv_pt_free = xen_pt_free,
  .pv_exit_mmap = xen_pt_free,   /* xen_exit_mmap unpins first; pv_pt_free then finds it untyped */
  .pv_batch = xen_batch,
  .flush_tlb_multi = xen_flush_tlb_multi,
  .finish = xen_finish,
  .fini = xen_fini,
  .pv_split_l4 = true,
  .pv_one_l4_param = "xen.pv_abi",      /* x86_32: one L4 */
  /* guest kernel mappings are never global: x86_32 Xen refuses _PAGE_GLOBAL
   * (xen/include/asm-x86/x86_32/page.h BASE_DISALLOW_MASK); 64-bit PV lets
   * only user mappings have it */
  .no_global = true,
  .no_pse = true,
  .params = xen_params,
};
