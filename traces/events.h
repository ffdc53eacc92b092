/* faultline event bus: the vocabulary every layer reports fault-path steps in.
 * This is the leaf of the dependency graph (DESIGN.md "How a fault flows",
 * step 6).  Sinks (stats, text log, trace writer) subscribe; when nobody
 * listens beyond the stats sink, emitting is a few stores. */
#ifndef FAULTLINE_TRACES_EVENTS_H
#define FAULTLINE_TRACES_EVENTS_H
#include <stdint.h>
#include <stdio.h>

/* Layers, in the order DESIGN.md lists them. */
#define EV_LAYERS(X) \
  X(HW, "hw") X(HOST_KERNEL, "host-kernel") X(HYPERVISOR, "hypervisor") \
  X(GUEST_KERNEL, "guest-kernel") X(VKERNEL, "vkernel") X(LIBOS, "libos") \
  X(EXTENSION, "extension") X(USER, "user")

enum ev_layer {
#define X(id, name) EV_L_##id,
  EV_LAYERS(X)
#undef X
  EV_L__COUNT
};

/* Step names: stable strings, the same in the log, stats, traces and docs.
 * Adding a step is one line. */
#define EV_STEPS(X) \
  X(FAULT,          "fault",            "a page fault, root of its steps") \
  X(PF_WALK,        "pf.walk",          "hardware page walk that failed") \
  X(EXC_DELIVER,    "exc.deliver",      "IDT lookup, stack switch, push frame") \
  X(KENTRY,         "kernel.entry",     "kernel entry: save registers, read CR2") \
  X(VMA_LOOKUP,     "vma.lookup",       "find the VMA covering the address") \
  X(PT_ALLOC,       "pt.alloc",         "allocate and zero a page-table page") \
  X(FRAME_ALLOC,    "frame.alloc",      "allocate a physical frame") \
  X(FRAME_ZERO,     "frame.zero",       "zero-fill the new frame") \
  X(ZERO_PAGE_MAP,  "zeropage.map",     "map the shared zero page read-only") \
  X(FILE_READ,      "file.read",        "page-cache miss: read the page from the file") \
  X(PAGECACHE,      "pagecache.lookup", "find the file page in the page cache") \
  X(FAULT_AROUND,   "fault.around",     "map cached neighbour pages (fault-around)") \
  X(PREFAULT,       "prefault",         "populate the next anonymous pages ahead of use (arg: pages)") \
  X(COW_COPY,       "cow.copy",         "copy the shared frame for a write") \
  X(STACK_GROW,     "stack.grow",       "extend the stack VMA downwards") \
  X(PTE_WRITE,      "pte.write",        "write the new page-table entry") \
  X(TLB_INVAL,      "tlb.invalidate",   "invalidate the stale translation") \
  X(SIGSEGV,        "signal.segv",      "no valid mapping: deliver SIGSEGV") \
  X(SPURIOUS,       "spurious",         "translation already valid: return") \
  X(KEXIT,          "kernel.exit",      "restore registers, iretq") \
  X(KPTI_SWITCH,    "kpti.cr3",         "KPTI: switch CR3 between user and kernel tables") \
  X(RETRY_WALK,     "retry.walk",       "the retried access walks again") \
  X(VM_EXIT,        "vm.exit",          "VM exit: save guest state, load host state (arg: exit code)") \
  X(HV_DISPATCH,    "hv.dispatch",      "hypervisor reads the exit reason/qualification and dispatches") \
  X(VM_ENTRY,       "vm.entry",         "VM entry (VMRESUME/VMRUN), with any injected event") \
  X(NESTED_PT_ALLOC,"nested.pt_alloc",  "allocate an EPT/NPT table page") \
  X(NESTED_FILL,    "nested.fill",      "write the EPT/NPT entry for the touched guest-physical page") \
  X(HOST_BACKING,   "host.backing",     "host kernel allocates and zeroes the backing page (first touch)") \
  X(SHADOW_WALK,    "shadow.walk",      "hypervisor walks the guest page table in software") \
  X(SHADOW_PT_ALLOC,"shadow.pt_alloc",  "allocate a shadow page-table page for a guest table") \
  X(SHADOW_WRPROT,  "shadow.wrprotect", "write-protect a guest frame that became a page table") \
  X(SHADOW_FILL,    "shadow.fill",      "install the shadow entry from the guest entry") \
  X(EVENT_INJECT,   "event.inject",     "queue the guest #PF for injection at VM entry, set guest CR2") \
  X(PTE_EMULATE,    "pte.emulate",      "emulate the guest's write to its write-protected page table") \
  X(SHADOW_RESYNC,  "shadow.resync",    "bring shadow entries in line with the guest table") \
  X(SHADOW_UNSYNC,  "shadow.unsync",    "let a shadowed leaf table go out of sync (writable)") \
  X(UNSHADOW,       "shadow.unshadow",  "the guest reuses a page-table frame as data: drop its shadow") \
  X(CR3_WRITE,      "cr3.write",        "guest MOV to CR3") \
  X(SHADOW_CR3,     "shadow.cr3",       "switch to the shadow root of the new guest CR3") \
  X(SHADOW_INVLPG,  "shadow.invlpg",    "guest INVLPG/INVPCID: drop the shadow entry") \
  X(HV_TLB_FLUSH,   "hv.tlb_flush",     "flush the guest's TLB entries (INVVPID / TLB_CONTROL) before entry") \
  X(XEN_ENTRY,      "xen.entry",        "Xen's exception entry in ring 0: save the guest frame") \
  X(XEN_FIXUP,      "xen.fixup",        "do_page_fault: is it a fault Xen fixes itself (spurious, ptwr)?") \
  X(XEN_BOUNCE,     "xen.bounce",       "bounce frame on the guest kernel stack, CR2 into vcpu_info, U bit rewritten") \
  X(XEN_L4_SWITCH,  "xen.l4_switch",    "switch between the user and the kernel L4 (CR3 write)") \
  X(XEN_HYPERCALL,  "xen.hypercall",    "enter Xen from the guest kernel and return (arg: hypercall number)") \
  X(XEN_MULTICALL,  "xen.multicall",    "a batch of hypercalls in one entry (HYPERVISOR_multicall)") \
  X(XEN_P2M,        "xen.p2m",          "guest: pfn -> mfn through its P2M table") \
  X(XEN_M2P,        "xen.m2p",          "guest: mfn -> pfn through the machine-to-phys table") \
  X(XEN_VALIDATE,   "xen.validate",     "Xen validates an update: ownership, get_page, type counts") \
  X(XEN_REFUSE,     "xen.refuse",       "Xen refuses an update (arg: 1 not owned, 2 writable page table, 3 type conflict)") \
  X(XEN_PT_WRITE,   "xen.pt_write",     "Xen writes the validated entry") \
  X(XEN_PIN,        "xen.pin",          "MMUEXT_PIN_Ln_TABLE: validate a table and pin its type (arg: level)") \
  X(XEN_UNPIN,      "xen.unpin",        "MMUEXT_UNPIN_TABLE: drop an address space's tables' types") \
  X(XEN_UPDATE_VA,  "xen.update_va",    "HYPERVISOR_update_va_mapping: remap a page-table page read-only") \
  X(XEN_PTWR,       "xen.ptwr",         "writable page tables: emulate the guest's direct PTE store") \
  X(XEN_IRET,       "xen.iret",         "HYPERVISOR_iret: back to the guest's user context") \
  X(VK_HOST_TRAP,   "host.trap",        "the real kernel's trap entry") \
  X(VK_VM_FAULT,    "host.vm_fault",    "host vm_fault: map entry lookup (a VPAGETABLE mapping)") \
  X(VK_VPAGETABLE,  "host.vpagetable",  "vm_fault_vpagetable: walk the vkernel's vPTEs, CAS of A/M (arg: valid)") \
  X(VK_PMAP_ENTER,  "host.pmap_enter",  "host installs the real PTE in the vmspace's pmap") \
  X(VK_MBIT,        "host.mbit",        "first write: VPTE_M set, read-only mapping upgraded") \
  X(VK_VMSPACE_RETURN, "host.vmspace_return", "return from vmspace_ctl to the vkernel with the trap frame") \
  X(VK_VMSPACE_RUN, "vkernel.vmspace_ctl", "vmspace_ctl(VMSPACE_CTL_RUN): re-enter the virtual user process") \
  X(VK_SIGSEGV,     "host.sigsegv",     "path (II): SIGSEGV to the vkernel for its own submap") \
  X(VK_SIGHANDLER,  "vkernel.sighandler", "the vkernel's handler reads the ucontext and writes its vPTE") \
  X(VK_SIGRETURN,   "host.sigreturn",   "sigreturn: resume the vkernel's faulting context") \
  X(VK_MCONTROL,    "vkernel.mcontrol", "vmspace_mcontrol/madvise(MADV_INVAL) after a vPTE change") \
  X(VK_PMAP_REMOVE, "host.pmap_remove", "host removes the real mappings (arg: 1 = the whole vmspace)") \
  X(VK_VMSPACE_CREATE, "vkernel.vmspace_create", "vmspace_create + vmspace_mmap(MAP_VPAGETABLE) + MADV_SETMAP") \
  X(VK_REFUSE,      "host.refuse",      "vm_fault's object-size check: the vPTE points outside the RAM file") \
  X(VK_VPTE_FIX,    "vkernel.vpte_fix", "the vkernel sees the failure and rewrites the vPTE")

enum ev_step {
#define X(id, name, doc) EV_S_##id,
  EV_STEPS(X)
#undef X
  EV_S__COUNT
};

extern const char *const ev_layer_names[EV_L__COUNT];
extern const char *const ev_step_names[EV_S__COUNT];
extern const char *const ev_step_docs[EV_S__COUNT];

struct ev {
  uint64_t id, parent_id;
  uint64_t cycle;      /* start cycle */
  uint64_t cycles;     /* self time: nested children are their own steps */
  uint16_t depth;
  uint8_t layer;       /* enum ev_layer */
  uint16_t step;       /* enum ev_step */
  uint64_t va;         /* fields: faulting address (root) or step argument */
  uint64_t arg;        /* error code (root) or step-specific value */
};

typedef void (*ev_sink_fn)(void *ctx, const struct ev *e);

#define EV_MAX_SINKS 8
#define EV_MAX_DEPTH 16

struct ev_bus {
  uint64_t next_id;
  struct { ev_sink_fn fn; void *ctx; } sink[EV_MAX_SINKS];
  int nsinks;
  struct ev open[EV_MAX_DEPTH];   /* stack of open (parent) steps */
  int depth;
};

void ev_bus_init(struct ev_bus *b);
int ev_subscribe(struct ev_bus *b, ev_sink_fn fn, void *ctx);
/* Open a step that will have children; close it with its self cycles. */
uint64_t ev_open(struct ev_bus *b, int layer, int step, uint64_t cycle,
                 uint64_t va, uint64_t arg);
void ev_close(struct ev_bus *b, uint64_t self_cycles);
/* A leaf step: emitted at once as a child of the innermost open step. */
void ev_leaf(struct ev_bus *b, int layer, int step, uint64_t cycle,
             uint64_t cycles, uint64_t va, uint64_t arg);

/* A ready-made sink: the human-readable log (--log).  One block per fault:
 * a header (va, error code, mode, total cycles), then a line per step. */
struct ev_log {
  FILE *f;
  const char *mode;
  struct ev *pend;           /* the open block's steps (grows; free with ev_log_fini) */
  int npend, cap;
  uint64_t nfaults;
};
void ev_log_sink(void *log, const struct ev *e);
void ev_log_fini(struct ev_log *l);

#endif
