/* faultline hv-models: one fault path per mode over a common API.
 * A mode reaches the machine, and the guest kernel's decisions (which VMA,
 * which frame, which protection), only through `struct guest_ops`, which
 * sim/ fills in (pv-ops style).  Each step is reported on the event bus
 * with its cycle cost (DESIGN.md "How a fault flows"). */
#ifndef FAULTLINE_HV_MODELS_HV_H
#define FAULTLINE_HV_MODELS_HV_H
#include <stdint.h>
#include <stdbool.h>
#include "traces/events.h"
#include "traces/params.h"
#include "cpu-x86/cpu.h"
#include "mmu/mmu.h"

#define HV_MAX_CPUS 64             /* --cpus N: at most */

/* What the guest kernel decided a fault needs (filled by ops->plan); the
 * same order as the first kinds of traces/events.h EV_FAULT_KINDS. */
enum fault_kind {
  FK_SEGV_MAPERR,            /* no VMA: SIGSEGV (SEGV_MAPERR) */
  FK_SEGV_ACCERR,            /* VMA forbids the access (SEGV_ACCERR) */
  FK_ANON_ZERO_PAGE,         /* read of untouched anonymous memory */
  FK_ANON_NEW,               /* first write to anonymous memory */
  FK_FILE,                   /* file-backed page (private or shared) */
  FK_COW,                    /* write to a present read-only COW page */
  FK_SPURIOUS,               /* the translation is already valid */
  FK_OOM,                    /* no memory left */
  FK_SIGBUS,                 /* file-backed beyond EOF */
  FK_WRITE_UPGRADE,          /* write to a present read-only page we own
                                alone: make it writable, no copy */
  FK_THP,                    /* anonymous write fault served by a 2M page */
  FK_USERFAULT,              /* a userfaultfd-registered range: the handler resolves it */
};
_Static_assert(FK_USERFAULT == (int)EV_K_USERFAULT && FK_THP == (int)EV_K_THP && FK_SEGV_MAPERR == (int)EV_K_SEGV_MAPERR,
               "fault_kind follows EV_FAULT_KINDS");

struct fault_plan {
  enum fault_kind kind;
  uint64_t va;               /* faulting address */
  uint64_t page;             /* page-aligned */
  uint64_t pte_flags;        /* protection for the new PTE (FK_USERFAULT: the
                                message's UFFD_PAGEFAULT_FLAG_* bits) */
  uint64_t old_pa;           /* COW source frame */
  bool stack_grow;           /* the VMA was extended downwards */
  bool write, fetch, user;
  bool copy;                 /* FK_FILE: a private write: copy the file page */
  void *vma;                 /* opaque to modes */
};

/* The guest kernel's services, each a decision or a machine operation.
 * Machine operations go through the MMU at kernel addresses and return
 * the cycles they cost. */
struct guest_ops {
  void *k;
  /* where the guest kernel keeps its direct map of physical memory and its
   * text (the kernel half a host shares into every address space) */
  uint64_t direct_map_base, kernel_text_base;
  /* decide what the fault needs (VMA lookup; may extend a stack VMA) */
  uint64_t (*plan)(void *k, uint64_t va, uint32_t err, struct fault_plan *p);
  /* make sure page tables down to the leaf exist; returns cycles, sets
   * *leaf_pa to the machine address of the leaf PTE; counts new tables */
  uint64_t (*ensure_tables)(void *k, uint64_t va, uint64_t *leaf_pa,
                            int *new_tables);
  uint64_t (*alloc_frame)(void *k, uint64_t *pa);    /* 0 pa: OOM */
  uint64_t (*zero_frame)(void *k, uint64_t pa);
  /* the file page for p (page cache; a private frame for a partial page):
   * returns cycles; *pa gets a reference for the new mapping, *hit says
   * whether it was already cached */
  uint64_t (*file_page)(void *k, const struct fault_plan *p, uint64_t *pa, bool *hit);
  /* map cached neighbours of a read fault (Linux do_fault_around);
   * returns cycles, *n the pages mapped */
  uint64_t (*fault_around)(void *k, const struct fault_plan *p, int *n);
  uint64_t (*copy_frame)(void *k, uint64_t dst, uint64_t src);
  uint64_t (*zero_page_pa)(void *k);                 /* the shared zero page */
  uint64_t (*write_pte)(void *k, uint64_t leaf_pa, uint64_t pte);
  uint64_t (*invlpg)(void *k, uint64_t va);
  void (*release_frame)(void *k, uint64_t pa);       /* drop a reference */
  /* transparent huge pages: a 2M-aligned run of 512 frames (0: none, the
   * mode falls back to 4K), zeroed; then the PMD leaf written */
  uint64_t (*thp_alloc)(void *k, uint64_t *pa);
  uint64_t (*thp_zero)(void *k, uint64_t pa);
  uint64_t (*thp_map)(void *k, const struct fault_plan *p, uint64_t pa);
  /* the memory a kernel step touches itself (its code, its stack): cycles */
  uint64_t (*kernel_touch)(void *k, int step);
  /* the kernel's own address-space switch on entry/exit (KPTI): cycles */
  uint64_t (*entry_switch)(void *k);
  uint64_t (*exit_switch)(void *k);
  /* an 8-byte load/store the guest kernel makes at its direct-map address
   * of pa, through the MMU (a trap it raises goes to the mode, nested);
   * cycles into *cyc */
  uint64_t (*read64)(void *k, uint64_t pa, uint64_t *cyc);
  void (*write64)(void *k, uint64_t pa, uint64_t v, uint64_t *cyc);
  uint64_t (*kstack_pa)(void *k);                    /* the guest kernel stack */
  uint64_t (*kva)(void *k, uint64_t pa);             /* direct-map address of pa */
  /* populate up to n untouched anonymous pages after p's page in its VMA
   * ahead of use (a prefault heuristic): allocate, zero, map writable
   * without the dirty bit; returns cycles, *done the pages mapped */
  uint64_t (*prefault_anon)(void *k, const struct fault_plan *p, int n, int *done);
};

/* Counters a virtualization mode keeps (stats JSON "hv": name -> count). */
#define HV_COUNTERS(X) \
  X(NESTED_FILLS, "nested_fills", "EPT/NPT entries the hypervisor filled on first touch") \
  X(NESTED_TABLES, "nested_tables", "EPT/NPT table pages allocated") \
  X(SHADOW_FILLS, "shadow_fills", "shadow leaf entries filled from the guest tables") \
  X(SHADOW_PAGES, "shadow_pages", "shadow page-table pages created") \
  X(SHADOW_EMULATIONS, "shadow_emulations", "guest page-table writes trapped and emulated") \
  X(SHADOW_RESYNCS, "shadow_resyncs", "out-of-sync shadow tables resynced") \
  X(SHADOW_UNSYNCS, "shadow_unsyncs", "shadowed leaf tables let go out of sync") \
  X(SHADOW_UNSHADOWS, "shadow_unshadows", "guest frames no longer used as page tables (unshadowed)") \
  X(SHADOW_WRPROTECTS, "shadow_wrprotects", "guest frames write-protected on becoming page tables") \
  X(SHADOW_ZAP_ALL, "shadow_zap_all", "whole shadow discarded (shadow.cache=0 CR3 switch)") \
  X(INJECTED_PF, "injected_pf", "#PF injected into the guest") \
  X(GUEST_CR3_WRITES, "guest_cr3_writes", "guest MOV-to-CR3 executions") \
  X(CR3_TARGET_HITS, "cr3_target_hits", "CR3 writes that matched a CR3-target value (no exit)") \
  X(GUEST_INVLPG, "guest_invlpg", "guest INVLPG/INVPCID executions") \
  X(INVVPID, "invvpid", "VMX: INVVPID single-context flushes of the guest's TLB entries") \
  X(TLB_CONTROL_FLUSHES, "tlb_control_flushes", "SVM: VMRUNs with TLB_CONTROL = FLUSH_ASID") \
  X(XEN_HYPERCALLS, "xen_hypercalls", "hypercall entries into Xen (a multicall counts once)") \
  X(XEN_MULTICALLS, "xen_multicalls", "HYPERVISOR_multicall batches") \
  X(XEN_MMU_UPDATES, "xen_mmu_updates", "MMU_NORMAL_PT_UPDATE requests") \
  X(XEN_VALIDATIONS, "xen_validations", "page-table updates Xen validated and performed") \
  X(XEN_REFUSALS, "xen_refusals", "page-table updates Xen refused") \
  X(XEN_PLAIN_STORES, "xen_plain_stores", "guest stores into tables not yet typed (validated when pinned or linked)") \
  X(XEN_PLAIN_CLEARS, "xen_plain_clears", "guest stores of a non-present entry into a table not typed (a teardown after the unpin): nothing to validate") \
  X(XEN_UNTYPED_UPDATES, "xen_untyped_updates", "MMU_NORMAL_PT_UPDATE requests to a table not yet typed (a fork's child, lazy MMU mode): stored unvalidated, validated when pinned") \
  X(XEN_TABLE_ENTRIES_VALIDATED, "xen_table_entries_validated", "present entries checked when Xen typed a whole table (pin, link)") \
  X(XEN_PINS, "xen_pins", "MMUEXT_PIN_Ln_TABLE operations") \
  X(XEN_UNPINS, "xen_unpins", "MMUEXT_UNPIN_TABLE operations") \
  X(XEN_BOUNCES, "xen_bounces", "faults bounced to the guest kernel") \
  X(XEN_PTWR, "xen_ptwr", "direct PTE stores trapped and emulated (xen.ptwr)") \
  X(XEN_FLUSH_MULTI, "xen_flush_multi", "--cpus: MMUEXT_INVLPG_MULTI / MMUEXT_TLB_FLUSH_MULTI hypercalls (the guest's shootdowns)") \
  X(XEN_AUDITED, "xen_audited_entries", "entries of typed tables checked by the end-of-run audit") \
  X(XEN_AUDIT_VIOLATIONS, "xen_audit_violations", "audited entries breaking Xen's rules (must be 0)") \
  X(VK_HOST_RESOLVED, "vk_host_resolved", "faults the host resolved from a valid vPTE (path I valid)") \
  X(VK_MBIT, "vk_mbit", "host M-bit upgrades of read-only mappings") \
  X(VK_VMSPACE_RETURNS, "vk_vmspace_returns", "returns from vmspace_ctl to the vkernel on an invalid vPTE") \
  X(VK_VKERNEL_RESOLVED, "vk_vkernel_resolved", "faults the vkernel resolved (vPTE written)") \
  X(VK_REFAULTS, "vk_refaults", "host refaults of a page the vkernel just resolved") \
  X(VK_MISSED_REFAULTS, "vk_missed_refaults", "resolved faults never refaulted (must be 0)") \
  X(VK_SIGSEGVS, "vk_sigsegvs", "path (II): SIGSEGVs to the vkernel for its own submap") \
  X(VK_VMSPACES, "vk_vmspaces", "vmspaces created (vmspace_create + MAP_VPAGETABLE + MADV_SETMAP)") \
  X(VK_INVALS, "vk_invals", "vmspace_mcontrol(MADV_INVAL) calls") \
  X(VK_HOST_IPIS, "vk_host_ipis", "--cpus: IPIs the host's MADV_INVAL sent to the other real CPUs running the vmspace") \
  X(VK_HOST_REFUSALS, "vk_host_refusals", "vPTEs the host refused (beyond the RAM file)") \
  X(EXO_TLB_MISS_EXC, "exo_tlb_miss_exceptions", "exokernel: TLB-miss exceptions (no entry in any TLB level)") \
  X(EXO_TLB_MOD_EXC, "exo_tlb_mod_exceptions", "exokernel: TLB-modified exceptions (a store through a clean entry)") \
  X(EXO_SWTLB_HITS, "exo_swtlb_hits", "exokernel: TLB misses served from the software TLB") \
  X(EXO_SWTLB_MISSES, "exo_swtlb_misses", "exokernel: software-TLB probes that missed (an upcall follows)") \
  X(EXO_GUARANTEED_REFILLS, "exo_guaranteed_refills", "exokernel: refills of guaranteed mappings (the libOS's code, stack, page table)") \
  X(EXO_UPCALLS, "exo_upcalls", "exokernel: upcalls to the libOS's fault handlers") \
  X(EXO_HANDLER_UPCALLS, "exo_handler_upcalls", "exokernel: upcalls taken while the libOS's fault handler ran (its accesses are guaranteed mappings: must be 0)") \
  X(EXO_INSTALLS, "exo_installs", "exokernel: translations installed by a libOS system call") \
  X(EXO_CAP_CHECKS, "exo_cap_checks", "exokernel: capabilities validated") \
  X(EXO_CAP_REFUSALS, "exo_cap_refusals", "exokernel: capabilities refused (the install fails)") \
  X(EXO_BINDS, "exo_binds", "exokernel: frames bound to the libOS (secure bindings made)") \
  X(EXO_FLUSHES, "exo_flushes", "exokernel: libOS requests to drop translations") \
  X(EXO_SYSCALL_REFLECTIONS, "exo_syscall_reflections", "exokernel: guest system calls reflected to the libOS") \
  X(EXO_RIGHTS_EXC, "exo_tlb_rights_exceptions", "exokernel: TLB-miss exceptions for an entry whose rights refused the access (the entry dropped)") \
  X(EXO_MOD_IN_KERNEL, "exo_mod_in_kernel", "exokernel: TLB-modified exceptions the exokernel handled itself (exokernel.mod_in_kernel)") \
  X(SPIN_EVENTS, "spin_events", "spin: PageNotPresent/ProtectionFault events raised") \
  X(SPIN_GUARDS, "spin_guards", "spin: guards evaluated") \
  X(SPIN_HANDLERS, "spin_handlers", "spin: extension handlers called") \
  X(SPIN_DIRECT_CALLS, "spin_direct_calls", "spin: events dispatched by a direct call (one handler, no guard)") \
  X(SPIN_DEFAULTS, "spin_defaults", "spin: default implementations run (no guard held)") \
  X(SPIN_EXCEPTIONS, "spin_exceptions", "spin: exceptions raised to the raiser (no guard held, no default)") \
  X(SPIN_PHYSADDR, "spin_physaddr_allocs", "spin: frames PhysAddr allocated (references created)") \
  X(SPIN_TRANSLATIONS, "spin_translations", "spin: entries the Translation service wrote") \
  X(SPIN_REFUSALS, "spin_refusals", "spin: mappings refused (no reference to the range)") \
  X(SPIN_RECLAIMS, "spin_reclaims", "spin: Reclaim events raised under memory pressure") \
  X(SPIN_SYSCALLS, "spin_syscalls", "spin: system calls served by the Unix server") \
  X(TORNADO_CALLS, "tornado_object_calls", "tornado: object calls (through the translation table to a representative)") \
  X(TORNADO_CALLS_PROCESS, "tornado_calls_process", "tornado: Process object calls") \
  X(TORNADO_CALLS_REGION, "tornado_calls_region", "tornado: Region object calls") \
  X(TORNADO_CALLS_FCM, "tornado_calls_fcm", "tornado: FCM object calls") \
  X(TORNADO_CALLS_DRAM, "tornado_calls_dram", "tornado: DRAM manager object calls") \
  X(TORNADO_CALLS_COR, "tornado_calls_cor", "tornado: COR object calls") \
  X(TORNADO_CALLS_HAT, "tornado_calls_hat", "tornado: HAT object calls") \
  X(TORNADO_REP_MISSES, "tornado_rep_misses", "tornado: representatives created on first use (translation-table misses)") \
  X(TORNADO_FCM_HITS, "tornado_fcm_hits", "tornado: FCM lookups that found the page") \
  X(TORNADO_FCM_MISSES, "tornado_fcm_misses", "tornado: FCM lookups that did not (a DRAM frame, filled)") \
  X(TORNADO_DEFERRED_FREES, "tornado_deferred_frees", "tornado: frames and address spaces freed after a quiescent state (no locks)") \
  X(XOK_REFLECTED, "xok_reflected_faults", "xok: #PFs reflected to the environment's u_entfault") \
  X(XOK_INSERTS, "xok_pte_inserts", "xok: PTEs stored by (self_)insert_pte (present ones after the capability check)") \
  X(XOK_CLEARS, "xok_pte_clears", "xok: PTEs without P stored unchecked (unmapping)")

enum hv_counter {
#define X(id, name, doc) HV_C_##id,
  HV_COUNTERS(X)
#undef X
  HV_C__COUNT
};
extern const char *const hv_counter_names[HV_C__COUNT];

#define HV_MAX_EXIT_KINDS 16
struct hv_stats {
  uint64_t counter[HV_C__COUNT];
  /* VM exits by vendor exit code (VMX basic reason / SVM EXITCODE) */
  struct { uint32_t code; uint64_t n; } exits[HV_MAX_EXIT_KINDS];
  int nexit_kinds;
  uint64_t exits_total;
};

struct hv;
struct hv_mode {
  const char *name;
  const char *doc;
  int (*init)(struct hv *h);
  /* handle a #PF raised in user mode or in a kernel copy; returns
   * 0 resolved (retry), or a signal number (SIGSEGV, SIGBUS, SIGKILL) */
  int (*page_fault)(struct hv *h, uint64_t va, uint32_t err, bool in_kernel,
                    int *si_code);
  const struct fl_param_def *params;
  /* Virtualization hooks (NULL in modes without them). */
  /* an access failed in the nested tables (EPT violation/misconfiguration,
   * #NPF) at guest-linear gla; details in h->mmu->nested.  0: retry */
  int (*nested_fault)(struct hv *h, uint64_t gla, uint32_t acc);
  /* a guest-kernel access at va faulted (error code pf) although the
   * guest's own tables allow it: a shadow miss or a write to a
   * write-protected guest page table.  HV_RETRY when resolved; for an
   * 8-byte store of *val the mode may emulate it (store it itself) and
   * return HV_EMULATED; a signal number if the guest tables forbid it */
  int (*kernel_access_fault)(struct hv *h, uint64_t va, uint32_t acc, uint32_t pf,
                             const uint64_t *val);
  /* guest privileged TLB/paging operations the hypervisor may intercept */
  void (*write_cr3)(struct hv *h, uint64_t cr3);
  void (*invlpg)(struct hv *h, uint64_t va);
  void (*invpcid)(struct hv *h, int type, uint64_t pcid, uint64_t va);
  void (*flush_all)(struct hv *h);     /* the guest flushes every user translation */
  void (*fini)(struct hv *h);
  /* Paravirtualized page tables (Xen PV).  The guest kernel's page-table
   * stores go to the mode, which validates and performs them (the store
   * must not be done by the caller); a frame becoming a page table (after
   * zeroing, before it is linked; a fork's child's tables only once the
   * whole tree is built, top table last, as Linux's xen_dup_mmap pins it --
   * stores into them before that reach pv_pte_store on untyped frames) and
   * an address space's top table going away are announced; updates
   * between batch(true) and batch(false) are batched (Linux's lazy MMU
   * mode). */
  void (*pv_pte_store)(struct hv *h, uint64_t entry_pa, uint64_t val, int level);   /* level | PV_PTE_DIRECT */
  void (*pv_pte_descend)(struct hv *h, uint64_t entry);   /* the guest follows an entry (M2P) */
  void (*pv_pt_new)(struct hv *h, uint64_t pa, int level);
  void (*pv_pt_free)(struct hv *h, uint64_t top_pa);
  void (*pv_batch)(struct hv *h, bool begin);
  /* the last user of an address space tears it down (exit_mmap's
   * arch_exit_mmap, before its PTEs are cleared): Xen PV unpins it there
   * (xen_exit_mmap), so the teardown's stores are plain ones.  NULL:
   * nothing before pv_pt_free */
  void (*pv_exit_mmap)(struct hv *h, uint64_t top_pa);
  void (*finish)(struct hv *h);                     /* before stats are written */
  /* the guest kernel's frame allocator handed out n frames from pa (alloc)
   * or took them back: an exokernel records the secure binding */
  void (*frame_owner)(struct hv *h, uint64_t pa, uint64_t n, bool alloc);
  /* the guest kernel dropped n clean page-cache pages (memory pressure,
   * drop_caches) */
  void (*reclaim)(struct hv *h, uint64_t pages);
  /* a replay rebuilt the machine at a keyframe (address spaces, page
   * tables): set up the mode's own state a keyframe does not carry,
   * uncharged (an exokernel's secure bindings) */
  void (*keyframe)(struct hv *h);
  /* a guest system call enters / leaves the guest kernel: the cycles a
   * mode adds (an exokernel reflects it to the libOS); NULL: none */
  uint64_t (*syscall_cross)(struct hv *h, bool enter);
  /* --cpus N (sim/smp.c).  select_cpu: the machine now runs vCPU `to`
   * (h->cpu, the MMU's caches and the bus's cpu are switched already): the
   * mode saves its per-vCPU state (a VMCS, the loaded shadow root, the
   * running vmspace) for `from` and loads `to`'s. */
  void (*select_cpu)(struct hv *h, int from, int to);
  /* Linux's flush_tlb_multi pv-op: the guest kernel on this vCPU shoots
   * down `pages` pages from va (0: every user translation) on the vCPUs targets[0..n) that
   * run the mm, after its local flush.  NULL: the native IPIs of
   * sim/smp.c, through ipi_send / ipi_receive below. */
  void (*flush_tlb_multi)(struct hv *h, const int *targets, int n, uint64_t va, uint64_t pages);
  /* the guest kernel wrote the x2APIC ICR for an IPI to `target` (after
   * its ipi.send), and the target vCPU takes the interrupt (eoi false,
   * before its handler) and writes EOI (eoi true, after): a hypervisor
   * that virtualizes the APIC intercepts them */
  void (*ipi_send)(struct hv *h, int target);
  void (*ipi_receive)(struct hv *h, bool eoi);
  /* this vCPU, out of guest mode (preempted by the host, or halted), has
   * its TLB flushed by the hypervisor at its next VM entry, before it runs
   * anything: done now, charged to it (KVM_VCPU_FLUSH_TLB, KVM_REQ_TLB_FLUSH) */
  void (*flush_on_entry)(struct hv *h);
  /* which of targets[0..n) may hold a translation of the pages (0: any of the mm's);
   * compacts targets, returns the new n.  NULL: every CPU running the mm
   * (Linux's mm_cpumask).  Tornado: only the processors whose HAT
   * representative mapped the page. */
  int (*shootdown_targets)(struct hv *h, int *targets, int n, uint64_t va, uint64_t pages);
  bool host_shootdown;       /* --cpus: the host's invalidation (vkernel: MADV_INVAL)
                                reaches every CPU running the address space; the
                                guest kernel sends no IPIs of its own */
  bool pv_split_l4;          /* user and kernel run on separate L4s: every kernel
                                entry and exit switches CR3 (64-bit PV) */
  const char *pv_one_l4_param; /* a parameter that, when not 0, runs this mode's
                                guest on one L4 shared by user and kernel
                                instead (xen.pv_abi=x86_32: no switches), with
                                Linux's own KPTI off as under Xen PV */
  bool no_global;            /* the guest's page-table entries may not be global
                                (32-bit Xen PV refuses _PAGE_GLOBAL in them) */
  bool no_pse;               /* the guest sees no PSE: no large pages, no THP
                                (Xen hides PSE from PV guests and refuses PS
                                entries in their tables) */
};
enum { HV_RETRY = 0, HV_EMULATED = -1 };
/* pv_pte_store's level: the guest kernel stores the entry itself, with no
 * paravirtual hook even in lazy MMU mode (x86 ptep_set_wrprotect's
 * clear_bit): under Xen PV a trap into the writable-page-table emulator */
#define PV_PTE_DIRECT 0x40

struct hv {
  const struct hv_mode *mode;
  struct guest_ops ops;
  struct vcpu *cpu;
  struct ev_bus *bus;
  struct hv_stats st;
  /* parameter lookup provided by sim (the registry): at init only */
  uint64_t (*param)(void *reg, const char *name);
  void *param_reg;
  /* each step's cost parameter (ev_steps[].cost), read once at init
   * (hv_costs_init); charged by hv_end per unit */
  uint64_t step_cost[EV_S__COUNT];
  struct mmu *mmu;
  struct host_as hvas;       /* the hypervisor's / host kernel's own address
                                space (hv_mem_init), for hv_read64 & co. */
  const char *cpu_vendor;    /* "intel" (VMX, EPT) or "amd" (SVM, NPT) */
  void *priv;                /* the mode's own state */
  char error[160];           /* why init failed (set by the mode) */
  bool fault_open;           /* linux_guest_pf: the fault event is open already */
  int guest_layer;           /* the layer the Linux handler runs in (guest-kernel;
                                the vkernel in vkernel mode) */
  int prefault_pages;        /* linux_guest_pf: anonymous prefault window (vkernel) */
  bool tlb_miss_handler;     /* the mode takes the TLB-miss exceptions of a
                                software-refilled TLB (mmu.refill=software) */
  bool pf_called;            /* linux_guest_pf: called by the mode's dispatcher after its
                                own trap entry (SPIN): no delivery, entry, switches or
                                exit of its own, as pv_bounce, and no kernel.entry */
  /* --cpus N: the vCPUs (sim fills these; ncpus 1 without --cpus) and
   * how the machine switches to one (h->cpu, the MMU's caches, the bus's
   * cpu, the mode's select_cpu); hv_on_cpu below */
  int ncpus, this_cpu;
  bool cpu_idle[HV_MAX_CPUS];  /* the vCPU runs no task (halted: out of guest mode) */
  bool cpu_preempted[HV_MAX_CPUS];   /* smp.steal: the host has descheduled it this turn */
  bool pv_tlb_flush;           /* hvm.pv_tlb_flush: the guest flushes preempted vCPUs through KVM */
  /* stats "smp.tlb_shootdowns" and per-vCPU IPIs, whoever sends them (the
   * guest kernel, the hypervisor, the host) */
  struct {
    uint64_t initiated, ipis_sent, remote_flushes, full_flushes, lazy_skipped, lazy_catchups, broadcasts;
    uint64_t pv_flushes, preempt_waits, preempted_turns;
    uint64_t ipis_received[HV_MAX_CPUS];
  } sd;
  void (*on_cpu)(void *ctx, int j);
  void *on_cpu_ctx;
  bool pv_bounce;            /* linux_guest_pf: entered by a hypervisor's bounce
                                frame, left by its iret: no IDT delivery, no
                                CR3 switches or iretq of its own */
};

/* ---- steps (step.c): the one helper every layer reports through ----
 * A step opens before its work and closes after it; what happens in
 * between (a nested trap, a hypercall, a hidden fault) is its child.  At
 * close the step is charged its cost parameter (times `units`), the
 * cycles its work returned, and for guest-kernel steps the kernel's own
 * footprint (guest.kernel_footprint); its layer is the table's, with
 * guest-kernel mapped to the mode's kernel layer. */
#define hv_begin(h, step, va, arg) hv_begin_at((h), (step), (va), (arg), __FILE__, __LINE__)
void hv_begin_at(struct hv *h, int step, uint64_t va, uint64_t arg, const char *file, int line);
void hv_end_n(struct hv *h, uint64_t cycles, uint64_t units);
static inline void hv_end(struct hv *h, uint64_t cycles) { hv_end_n(h, cycles, 1); }
/* close, or drop the step when nothing happened in it (no children, no
 * cycles, no cost): for steps that exist only under some settings */
void hv_end_or_drop(struct hv *h, uint64_t cycles, uint64_t units);
/* a step without children */
#define hv_step(h, step, va, arg, cycles) \
  do { hv_begin((h), (step), (va), (arg)); hv_end((h), (cycles)); } while (0)
/* the fault being handled turned out to be of this kind (EV_K_*), seen
 * by the guest kernel or not */
static inline void hv_fault_kind(struct hv *h, int kind, bool visible) {
  ev_fault_set(h->bus, kind, visible);
}
/* set the open step's fields once known */
static inline void hv_set(struct hv *h, uint64_t va, uint64_t arg) { ev_set(h->bus, va, arg); }
static inline void hv_set_arg(struct hv *h, uint64_t arg) { ev_set_arg(h->bus, arg); }
/* read every step's cost parameter (vmx.* become svm.* on amd) */
int hv_costs_init(struct hv *h);
/* a mode's own parameter, read at init */
static inline uint64_t hv_param(struct hv *h, const char *name) { return h->param(h->param_reg, name); }

/* ---- the mode's own memory accesses (step.c) ----
 * A hypervisor or host kernel touches machine memory (its tables, the
 * guest's tables it reads or emulates stores to, its shared pages) only
 * through these: at supervisor privilege in its own address space (a
 * direct map of machine memory at `base`, TLB entries tagged apart from
 * the guest's), charged into *cyc.  The guest kernel's accesses go through
 * h->ops.read64/write64. */
int hv_mem_init(struct hv *h, uint64_t base);
uint64_t hv_read64(struct hv *h, uint64_t pa, uint64_t *cyc);
void hv_write64(struct hv *h, uint64_t pa, uint64_t v, uint64_t *cyc);
void hv_clear_page(struct hv *h, uint64_t pa, uint64_t *cyc);
static inline uint64_t guest_read64(struct hv *h, uint64_t pa, uint64_t *cyc) {
  return h->ops.read64(h->ops.k, pa, cyc);
}
static inline void guest_write64(struct hv *h, uint64_t pa, uint64_t v, uint64_t *cyc) {
  h->ops.write64(h->ops.k, pa, v, cyc);
}
/* pt_descend accessors over the mode's own tables (hv_read64/hv_write64):
 * new tables from the hypervisor pool, cleared and reported as `alloc_step`
 * (a step of the mode, or -1), linked with `table_bits` */
struct hv_pt { struct hv *h; uint64_t *cyc; uint64_t table_bits; int alloc_step; uint64_t created[5]; };
void hv_pt_ops(struct hv_pt *x, struct pt_ops *o, uint64_t present, bool create);

/* ---- several vCPUs (ipi.c) ---- */
/* the machine runs vCPU j now (its registers stay; only the machine side
 * and the mode's per-vCPU state switch): returns the one it ran before */
int hv_on_cpu(struct hv *h, int j);
/* the hypervisor's (or host kernel's) own cross-CPU flush: `send`/`flush`/
 * `wait` steps, an IPI to each of targets[0..n) whose handler flushes va
 * (all: every guest translation) in that vCPU's TLB and walk caches, on
 * its own clock */
void hv_ipi_flush(struct hv *h, const int *targets, int n, uint64_t va, bool all,
                  int send, int flush, int wait);
/* does vCPU j's TLB hold a translation of one of the pages from va */
bool hv_cpu_holds(struct hv *h, int j, uint64_t va, uint64_t pages);
/* the vCPU's own TLB and walk caches lose va / every guest translation */
void hv_local_flush(struct hv *h, uint64_t va, bool all);

/* The Linux guest kernel's #PF handler (native.c): the native mode's whole
 * path, and the guest part of every other mode. */
int linux_guest_pf(struct hv *h, uint64_t va, uint32_t err, bool in_kernel, int *si_code);
void hv_count_exit(struct hv *h, uint32_t code);

const struct hv_mode *hv_find_mode(const char *name);
extern const struct hv_mode *const hv_modes[];
extern const struct fl_param_def native_params[], hvm_params[], xen_params[], vkernel_params[],
    exokernel_params[], spin_params[], tornado_params[];

#endif
