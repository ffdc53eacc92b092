/* faultline event bus: the vocabulary every layer reports fault-path steps
 * in, and the tree they form (DESIGN.md "How a fault flows", step 6).
 * This is the leaf of the dependency graph.
 *
 * A step OPENS before its work and CLOSES after it, so anything raised
 * inside — a nested trap, a hypercall, a hidden fault — is its child.  At
 * close the bus computes total = (cycle at close) - (cycle at open) and
 * self = total - the children's totals: a step's time is exactly its own
 * plus its children's, and a fault's steps sum to its cost.  Sinks (stats,
 * the text and jsonl logs, later traces and views) receive each step when
 * it closes, children before their parent.  docs/events.md documents the
 * vocabulary; `faultline events` prints it from these tables. */
#ifndef FAULTLINE_TRACES_EVENTS_H
#define FAULTLINE_TRACES_EVENTS_H
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

/* Layers, in the order DESIGN.md lists them.  The OS kernel running on
 * the simulated machine is guest-kernel in every mode (the vkernel mode
 * reports its kernel's steps in the vkernel layer: see docs/events.md). */
#define EV_LAYERS(X) \
  X(HW, "hw", "the CPU: exception delivery, VM exits and entries") \
  X(HOST_KERNEL, "host-kernel", "the host OS under a hypervisor or the vkernel") \
  X(HYPERVISOR, "hypervisor", "Xen, or the VMM of the HVM modes") \
  X(GUEST_KERNEL, "guest-kernel", "the OS kernel the guest program runs on") \
  X(VKERNEL, "vkernel", "DragonFly's virtual kernel, a host user process") \
  X(LIBOS, "libos", "a user-level library OS (exokernel)") \
  X(EXTENSION, "extension", "an extension in the kernel (SPIN)") \
  X(USER, "user", "the guest program")

enum ev_layer {
#define X(id, name, doc) EV_L_##id,
  EV_LAYERS(X)
#undef X
  EV_L__COUNT
};

/* Fault kinds: what a fault turned out to be.  The first twelve are the
 * Linux handler's decisions (hv-models' enum fault_kind has the same
 * order); the rest are faults a layer below the guest resolved without
 * it (hidden) and VM exits that are not page faults (intercepts).  One
 * list for the stats' by_kind, the logs, --log-filter and the views. */
#define EV_FAULT_KINDS(X) \
  X(SEGV_MAPERR, "segv_maperr", GUEST, "no VMA covers the address: SIGSEGV (SEGV_MAPERR)") \
  X(SEGV_ACCERR, "segv_accerr", GUEST, "the VMA forbids the access: SIGSEGV (SEGV_ACCERR)") \
  X(ANON_ZERO_PAGE, "anon_zero_page", GUEST, "read of untouched anonymous memory: the shared zero page") \
  X(ANON_NEW, "anon_new", GUEST, "first write to anonymous memory: a zeroed frame") \
  X(FILE, "file", GUEST, "file-backed page (page cache, or a private copy)") \
  X(COW, "cow", GUEST, "write to a shared copy-on-write page: copy it") \
  X(SPURIOUS, "spurious", GUEST, "the translation was already valid") \
  X(OOM, "oom", GUEST, "no memory left: the OOM kill") \
  X(SIGBUS, "sigbus", GUEST, "file-backed beyond the end of the file: SIGBUS") \
  X(WRITE_UPGRADE, "write_upgrade", GUEST, "write to a read-only page owned alone: made writable") \
  X(THP, "thp", GUEST, "anonymous write fault served by a 2 MiB page") \
  X(USERFAULT, "userfault", GUEST, "the range is registered with a userfaultfd: the fault is queued to its handler and the thread waits (missing page or write-protected)") \
  X(SHADOW_FILL, "shadow_fill", HIDDEN, "hvm-shadow: the guest tables allow it; the shadow entry is filled") \
  X(SHADOW_EMULATE, "shadow_emulate", HIDDEN, "hvm-shadow: a store to a write-protected guest page table, emulated") \
  X(SHADOW_UNSYNC, "shadow_unsync", HIDDEN, "hvm-shadow: a store to a guest leaf table, which goes out of sync") \
  X(SHADOW_UNSHADOW, "shadow_unshadow", HIDDEN, "hvm-shadow: a non-PTE store to a guest table frame: unshadowed") \
  X(NESTED_FILL, "nested_fill", HIDDEN, "hvm-nested: first touch of a guest-physical page (EPT violation / #NPF)") \
  X(NESTED_FATAL, "nested_fatal", HIDDEN, "hvm-nested: a nested fault the hypervisor cannot resolve (the VM dies)") \
  X(XEN_PTWR, "xen_ptwr", HIDDEN, "xen-pv: a direct store to a read-only page table, emulated (writable page tables)") \
  X(VK_HOST, "vk_host", HIDDEN, "vkernel: the host resolved it from a valid vPTE") \
  X(VK_REFUSED, "vk_refused", HIDDEN, "vkernel: the host refused a vPTE beyond the RAM file") \
  X(VK_SIGSEGV, "vk_sigsegv", HIDDEN, "vkernel: path (II), the vkernel's own submap, via SIGSEGV") \
  X(UNRESOLVED, "unresolved", HIDDEN, "a layer below the guest could not resolve it (the guest is killed)") \
  X(CR3_EXIT, "cr3_exit", INTERCEPT, "VM exit on a guest MOV to CR3") \
  X(INVLPG_EXIT, "invlpg_exit", INTERCEPT, "VM exit on a guest INVLPG") \
  X(INVPCID_EXIT, "invpcid_exit", INTERCEPT, "VM exit on a guest INVPCID") \
  X(EXO_STLB_HIT, "exo_stlb_hit", HIDDEN, "exokernel: a TLB miss served from the exokernel's software TLB (no upcall)") \
  X(EXO_GUARANTEED, "exo_guaranteed", HIDDEN, "exokernel: a TLB miss on a guaranteed mapping (the libOS's code, stack, page table), refilled by the exokernel") \
  X(EXO_LIBOS_REFILL, "exo_libos_refill", HIDDEN, "exokernel: software-TLB miss upcalled; the libOS's page table had the translation and it installed it") \
  X(EXO_TLB_MOD, "exo_tlb_mod", HIDDEN, "exokernel: a store through a clean TLB entry (TLB modified): the dirty bit set") \
  X(EXO_REFUSED, "exo_refused", HIDDEN, "exokernel: the install's capability was refused; the libOS sends SIGSEGV") \
  X(ICR_EXIT, "icr_exit", INTERCEPT, "--cpus: VM exit on a guest x2APIC ICR write (WRMSR 0x830: an IPI) the hypervisor emulates") \
  X(EXTINT_EXIT, "extint_exit", INTERCEPT, "--cpus: VM exit on an external interrupt: a host IPI kicked the vCPU (an IPI to inject, a remote TLB flush)") \
  X(EOI_EXIT, "eoi_exit", INTERCEPT, "--cpus: VM exit on a guest x2APIC EOI write (WRMSR 0x80b) without virtual-interrupt delivery") \
  X(UNKNOWN, "unknown", HIDDEN, "not classified (a bug if it appears)")

enum ev_fault_kind {
#define X(id, name, cls, doc) EV_K_##id,
  EV_FAULT_KINDS(X)
#undef X
  EV_K__COUNT
};
enum ev_kind_class { EV_KC_GUEST, EV_KC_HIDDEN, EV_KC_INTERCEPT };

/* What a step's two value slots (va, arg) mean: named, decoded fields. */
#define EV_FIELD_KINDS(X) \
  X(NONE, NULL) X(VA, "va") X(ERR, "err") X(FRAME, "frame") X(ENTRY, "entry") \
  X(VALUE, "value") X(CR3, "cr3") X(PAGES, "pages") X(TABLES, "tables") \
  X(ENTRIES, "entries") X(LEVEL, "level") X(HIT, "hit") X(VALID, "valid") \
  X(ALL, "all") X(DIR, "dir") X(KIND, "kind") X(EXIT, "exit") X(VECTOR, "vector") \
  X(HCALL, "hypercall") X(WHY, "why") X(PFN, "pfn") X(MFN, "mfn") X(SLOT, "slot") \
  X(TYPE, "type") X(CALL, "call") X(CLASS, "class") X(FLAGS, "flags") \
  X(CPUS, "cpus") X(CPU, "cpu")
enum ev_field {
#define X(id, name) EVF_##id,
  EV_FIELD_KINDS(X)
#undef X
  EVF__COUNT
};

/* Step names: stable strings, the same in the log, stats, traces, views
 * and docs.  The enum id is the name upper-cased with '.' -> '_'
 * (kernel.entry -> EV_S_KERNEL_ENTRY); the cost parameter that prices a
 * step is named after it (see docs/events.md for the rule; a test checks
 * both).  Columns: id, name, layer, cost parameter (NULL: priced by the
 * work it does), the va slot's field, the arg slot's field, doc. */
#define EV_STEPS(X) \
  X(FAULT, "fault", HW, NULL, VA, ERR, "an exception, VM exit or TLB miss the model handles: the root of its steps") \
  X(EXC_DELIVER, "exc.deliver", HW, "native.exc_deliver", NONE, NONE, "IDT lookup, stack switch, exception frame push [SDM Vol. 3A 6.12, 6.14]") \
  X(KERNEL_ENTRY, "kernel.entry", GUEST_KERNEL, "native.kernel_entry", NONE, NONE, "kernel entry: save registers, read CR2 [Linux arch/x86/entry/entry_64.S, exc_page_fault]") \
  X(KPTI_CR3_WRITE, "kpti.cr3_write", GUEST_KERNEL, NULL, NONE, DIR, "KPTI: switch CR3 between the user and the kernel tables (guest.kpti_cr3_write)") \
  X(VMA_LOOKUP, "vma.lookup", GUEST_KERNEL, "native.vma_lookup", NONE, KIND, "find the VMA covering the address and decide what the fault needs [Linux mm/memory.c handle_mm_fault, lock_vma_under_rcu]") \
  X(STACK_GROW, "stack.grow", GUEST_KERNEL, "native.stack_grow", NONE, NONE, "extend the stack VMA downwards [Linux mm/mmap.c expand_stack]") \
  X(PT_ALLOC, "pt.alloc", GUEST_KERNEL, "native.pt_alloc", NONE, TABLES, "walk down to the leaf entry, allocating and zeroing missing page-table pages (cost per table) [Linux mm/memory.c __pte_alloc, __pmd_alloc]") \
  X(FRAME_ALLOC, "frame.alloc", GUEST_KERNEL, "native.frame_alloc", FRAME, NONE, "allocate a physical frame [Linux mm/page_alloc.c via vma_alloc_folio]") \
  X(FRAME_ZERO, "frame.zero", GUEST_KERNEL, "native.frame_zero", FRAME, PAGES, "zero-fill the new frame (cost per 4 KiB page) [Linux arch/x86/lib/clear_page_64.S]") \
  X(ZERO_PAGE_MAP, "zero_page.map", GUEST_KERNEL, "native.zero_page_map", FRAME, NONE, "map the shared zero page read-only [Linux mm/memory.c do_anonymous_page]") \
  X(PAGECACHE_LOOKUP, "pagecache.lookup", GUEST_KERNEL, "native.pagecache_lookup", FRAME, HIT, "find the file page in the page cache [Linux mm/filemap.c filemap_fault]") \
  X(FILE_READ, "file.read", GUEST_KERNEL, "native.file_read", FRAME, NONE, "page-cache miss: read the page from the file (plus io.read_latency) [Linux mm/filemap.c filemap_read_folio]") \
  X(COW_COPY, "cow.copy", GUEST_KERNEL, "native.cow_copy", FRAME, NONE, "copy the shared frame for a write [Linux mm/memory.c wp_page_copy]") \
  X(PTE_WRITE, "pte.write", GUEST_KERNEL, "native.pte_write", VALUE, LEVEL, "write the new page-table entry [Linux mm/memory.c set_pte_at, finish_fault]") \
  X(FILE_WRITEBACK, "file.writeback", GUEST_KERNEL, "native.file_writeback", NONE, PAGES, "write dirty page-cache pages back to the file synchronously (msync MS_SYNC, fsync, write() throttled above guest.dirty_ratio; plus io.write_latency per page)") \
  X(FAULT_AROUND, "fault.around", GUEST_KERNEL, "native.fault_around", NONE, PAGES, "map cached neighbour pages (cost per page mapped) [Linux mm/filemap.c filemap_map_pages]") \
  X(PREFAULT, "prefault", GUEST_KERNEL, NULL, NONE, PAGES, "populate the next anonymous pages ahead of use (frame.alloc + frame.zero per page)") \
  X(TLB_INVALIDATE, "tlb.invalidate", GUEST_KERNEL, "native.tlb_invalidate", VA, NONE, "invalidate the stale translation [SDM Vol. 3A 4.10.4.1; Linux flush_tlb_page]") \
  X(SPURIOUS, "spurious", GUEST_KERNEL, "native.spurious", NONE, NONE, "translation already valid: return [Linux mm/memory.c handle_pte_fault, spurious_fault]") \
  X(SIGNAL_SEGV, "signal.segv", GUEST_KERNEL, "native.signal_segv", NONE, NONE, "no valid mapping: queue SIGSEGV [Linux arch/x86/mm/fault.c bad_area]") \
  X(TLB_SHOOTDOWN, "tlb.shootdown", GUEST_KERNEL, "native.tlb_shootdown", VA, CPUS, "--cpus: flush_tlb_mm_range after the local flush: bump the mm's tlb_gen, IPI the CPUs running the mm (lazy ones skipped), wait for their acks; va 0 and more than 33 pages: a full flush [Linux arch/x86/mm/tlb.c flush_tlb_mm_range, native_flush_tlb_multi]") \
  X(IPI_SEND, "ipi.send", GUEST_KERNEL, "native.ipi_send", NONE, CPU, "--cpus: the initiator writes the x2APIC ICR (MSR 0x830) for one target [SDM Vol. 3A 11.12.9; Linux x2apic_send_IPI]") \
  X(TLB_IPI_FLUSH, "tlb.ipi_flush", GUEST_KERNEL, "native.tlb_ipi_flush", VA, ALL, "--cpus: the target (its cpu) takes the IPI: interrupt entry, flush_tlb_func's INVLPG or full flush, EOI, return; charged to the target's own cycles (0 on the initiator's clock) [Linux arch/x86/mm/tlb.c flush_tlb_func]") \
  X(IPI_WAIT, "ipi.wait", GUEST_KERNEL, "native.ipi_wait", NONE, CPUS, "--cpus: the initiator spins until every target has acked (they run their handlers at once: one handler's latency) [Linux kernel/smp.c smp_call_function_many_cond]") \
  X(TLB_INVLPGB, "tlb.invlpgb", GUEST_KERNEL, "native.tlb_invlpgb", VA, ALL, "--cpus with smp.invlpgb=1 (AMD): broadcast the invalidation to every CPU's TLB, no IPI [AMD APM Vol. 3 INVLPGB; Linux 6.14 arch/x86/mm/tlb.c]") \
  X(TLB_TLBSYNC, "tlb.tlbsync", GUEST_KERNEL, "native.tlb_tlbsync", NONE, NONE, "--cpus with smp.invlpgb=1: wait until every broadcast invalidation has completed [AMD APM Vol. 3 TLBSYNC]") \
  X(TLB_LAZY_FLUSH, "tlb.lazy_flush", GUEST_KERNEL, "native.tlb_lazy_flush", NONE, NONE, "--cpus: a CPU that kept the mm loaded while idle (lazy TLB) switches back to it behind its tlb_gen: a full flush [Linux arch/x86/mm/tlb.c switch_mm_irqs_off]") \
  X(HV_APIC_IPI, "hv.apic_ipi", HYPERVISOR, "hv.apic_ipi", NONE, CPU, "--cpus, hvm modes: emulate the guest's ICR write: find the destination, set its IRR, kick its vCPU (a host IPI to its physical CPU unless posted) [KVM arch/x86/kvm/lapic.c kvm_apic_send_ipi, kvm_vcpu_kick]") \
  X(HV_INJECT_IRQ, "hv.inject_irq", HYPERVISOR, "hv.inject_irq", NONE, VECTOR, "--cpus, hvm modes: set up injection of the guest's interrupt vector at the next entry [KVM vmx_inject_irq / svm_inject_irq]") \
  X(HV_EOI, "hv.eoi", HYPERVISOR, "hv.eoi", NONE, NONE, "--cpus, hvm modes: emulate the guest's EOI write: clear the ISR bit, pick the next interrupt [KVM arch/x86/kvm/lapic.c apic_set_eoi]") \
  X(HV_REMOTE_FLUSH, "hv.remote_flush", HYPERVISOR, "hv.remote_flush", NONE, CPUS, "--cpus, hvm-shadow: a shadow change every vCPU may cache (write-protecting a guest table, a resync): request a TLB flush of every other vCPU and kick the running ones [KVM kvm_flush_remote_tlbs, kvm_make_all_cpus_request]") \
  X(HV_IPI_SEND, "hv.ipi_send", HYPERVISOR, "hv.ipi_send", NONE, CPU, "--cpus: the hypervisor sends an IPI to the physical CPU of one target vCPU [Xen flush_tlb_mask, send_IPI_mask; KVM kvm_vcpu_kick]") \
  X(HV_IPI_FLUSH, "hv.ipi_flush", HYPERVISOR, "hv.ipi_flush", VA, ALL, "--cpus: the hypervisor's flush handler on the target's physical CPU (interrupt, INVLPG or full flush, EOI); the guest runs no handler; charged to the target [Xen arch/x86/smp.c invalidate_interrupt]") \
  X(HV_IPI_WAIT, "hv.ipi_wait", HYPERVISOR, "hv.ipi_wait", NONE, CPUS, "--cpus: the hypervisor waits until every target has flushed [Xen flush_area_mask]") \
  X(XEN_FLUSH_MULTI, "xen.flush_multi", HYPERVISOR, "xen.flush_multi", VA, CPUS, "--cpus, xen-pv: MMUEXT_INVLPG_MULTI / MMUEXT_TLB_FLUSH_MULTI with the guest's vCPU mask: Xen maps it to the physical CPUs those vCPUs ran on and flushes them [Xen arch/x86/mm.c do_mmuext_op; Linux arch/x86/xen/mmu_pv.c xen_flush_tlb_multi]") \
  X(HOST_IPI_SEND, "host.ipi_send", HOST_KERNEL, "vkernel.host_ipi_send", NONE, CPU, "--cpus, vkernel: the host's MADV_INVAL sends an IPI to another real CPU where the vmspace is active [DragonFly pmap_inval_smp]") \
  X(HOST_IPI_FLUSH, "host.ipi_flush", HOST_KERNEL, "vkernel.host_ipi_flush", VA, ALL, "--cpus, vkernel: that CPU's host handler invalidates the vmspace's translation; charged to it [DragonFly pmap_inval_smp]") \
  X(HOST_IPI_WAIT, "host.ipi_wait", HOST_KERNEL, "vkernel.host_ipi_wait", NONE, CPUS, "--cpus, vkernel: the host waits for every CPU's acknowledgement [DragonFly pmap_inval_smp]") \
  X(UFFD_HANDLE_USERFAULT, "uffd.handle_userfault", GUEST_KERNEL, "native.uffd_handle_userfault", VA, FLAGS, "queue the fault's message on the userfaultfd, wake its reader, put the faulting thread to sleep [Linux fs/userfaultfd.c handle_userfault]") \
  X(UFFD_COPY, "uffd.copy", GUEST_KERNEL, "native.uffd_copy", VA, PAGES, "UFFDIO_COPY: copy the handler's pages into new frames and map them (cost per page) [Linux mm/userfaultfd.c mfill_atomic_pte_copy]") \
  X(UFFD_ZEROPAGE, "uffd.zeropage", GUEST_KERNEL, "native.uffd_zeropage", VA, PAGES, "UFFDIO_ZEROPAGE: map the zero page (a zeroed frame in shared memory) (cost per page) [Linux mm/userfaultfd.c mfill_atomic_pte_zeropage]") \
  X(UFFD_WRITEPROTECT, "uffd.writeprotect", GUEST_KERNEL, "native.uffd_writeprotect", VA, PAGES, "UFFDIO_WRITEPROTECT: set or clear write protection on present pages (cost per page) [Linux mm/userfaultfd.c mwriteprotect_range]") \
  X(UFFD_WAKE, "uffd.wake", GUEST_KERNEL, "native.uffd_wake", VA, PAGES, "wake the threads waiting on faults in the range (arg: threads woken) [Linux fs/userfaultfd.c wake_userfault]") \
  X(KERNEL_EXIT, "kernel.exit", GUEST_KERNEL, "native.kernel_exit", NONE, NONE, "restore registers, iretq [Linux arch/x86/entry/entry_64.S]") \
  X(CR3_WRITE, "cr3.write", GUEST_KERNEL, "cr3.write", CR3, NONE, "guest MOV to CR3 that a hypervisor intercepts [SDM Vol. 3C 25.1.3 CR3-load exiting]") \
  X(VM_EXIT, "vm.exit", HW, "vmx.exit", NONE, EXIT, "VM exit: save guest state, load host state (vmx.exit / svm.exit) [SDM Vol. 3C ch. 28; APM Vol. 2 15.6]") \
  X(HV_DISPATCH, "hv.dispatch", HYPERVISOR, "hv.dispatch", NONE, EXIT, "hypervisor reads the exit reason/qualification and dispatches [KVM vmx_handle_exit, svm_handle_exit]") \
  X(VM_ENTRY, "vm.entry", HW, "vmx.entry", NONE, VECTOR, "VM entry (VMRESUME/VMRUN), with any injected event (vmx.entry / svm.entry) [SDM Vol. 3C ch. 27, 27.6 event injection; APM Vol. 2 15.20]") \
  X(HV_INJECT, "hv.inject", HYPERVISOR, "hv.inject", VA, ERR, "queue the guest #PF for injection at VM entry, set guest CR2 [SDM Vol. 3C 27.6; KVM kvm_inject_page_fault]") \
  X(HV_TLB_FLUSH, "hv.tlb_flush", HYPERVISOR, "hv.tlb_flush", NONE, NONE, "flush the guest's TLB entries (INVVPID / TLB_CONTROL) before entry [SDM Vol. 3C 29.4.3 INVVPID; APM Vol. 2 15.16 TLB_CONTROL]") \
  X(NESTED_PT_ALLOC, "nested.pt_alloc", HYPERVISOR, "nested.pt_alloc", FRAME, LEVEL, "allocate an EPT/NPT table page [KVM arch/x86/kvm/mmu/tdp_mmu.c]") \
  X(NESTED_FILL, "nested.fill", HYPERVISOR, "nested.fill", FRAME, LEVEL, "write the EPT/NPT entry for the touched guest-physical page [SDM Vol. 3C 29.3.3; APM Vol. 2 15.25.6; KVM kvm_tdp_page_fault]") \
  X(HOST_BACKING, "host.backing", HOST_KERNEL, "host.backing", FRAME, PAGES, "host kernel allocates and zeroes the backing page on first touch (cost per 4 KiB) [KVM hva_to_pfn, the host's handle_mm_fault]") \
  X(SHADOW_WALK, "shadow.walk", HYPERVISOR, "shadow.walk", VA, VALID, "hypervisor walks the guest page table in software [KVM mmu/paging_tmpl.h FNAME(walk_addr)]") \
  X(SHADOW_PT_ALLOC, "shadow.pt_alloc", HYPERVISOR, "shadow.pt_alloc", FRAME, LEVEL, "allocate a shadow page-table page for a guest table [KVM mmu/mmu.c kvm_mmu_get_child_sp]") \
  X(SHADOW_WRPROTECT, "shadow.wrprotect", HYPERVISOR, "shadow.wrprotect", FRAME, NONE, "write-protect a guest frame that became a page table [KVM mmu/mmu.c account_shadowed]") \
  X(SHADOW_FILL, "shadow.fill", HYPERVISOR, "shadow.fill", VA, NONE, "install the shadow entry from the guest entry [KVM mmu/paging_tmpl.h FNAME(fetch)]") \
  X(SHADOW_EMULATE, "shadow.emulate", HYPERVISOR, "shadow.emulate", ENTRY, VALUE, "emulate the guest's store to its write-protected page table [KVM mmu/mmu.c kvm_mmu_track_write, the instruction emulator]") \
  X(SHADOW_RESYNC, "shadow.resync", HYPERVISOR, "shadow.resync", FRAME, ENTRIES, "bring an out-of-sync shadow table in line with the guest table (cost per entry) [KVM mmu/mmu.c kvm_sync_page]") \
  X(SHADOW_UNSYNC, "shadow.unsync", HYPERVISOR, "shadow.unsync", FRAME, NONE, "let a shadowed leaf table go out of sync (writable) [KVM mmu/mmu.c mmu_try_to_unsync_pages]") \
  X(SHADOW_UNSHADOW, "shadow.unshadow", HYPERVISOR, "shadow.unshadow", FRAME, NONE, "the guest reuses a page-table frame as data: drop its shadow [KVM mmu/mmu.c kvm_mmu_unprotect_page]") \
  X(SHADOW_CR3, "shadow.cr3", HYPERVISOR, "shadow.cr3", CR3, NONE, "switch to the shadow root of the new guest CR3 [KVM mmu/mmu.c kvm_mmu_new_pgd]") \
  X(SHADOW_INVLPG, "shadow.invlpg", HYPERVISOR, "shadow.invlpg", VA, NONE, "guest INVLPG/INVPCID: drop the shadow entry [KVM mmu/paging_tmpl.h FNAME(invlpg)]") \
  X(XEN_ENTRY, "xen.entry", HYPERVISOR, "xen.entry", NONE, NONE, "Xen's exception entry in ring 0: save the guest frame [Xen arch/x86/x86_64/entry.S handle_exception]") \
  X(XEN_FIXUP, "xen.fixup", HYPERVISOR, "xen.fixup", NONE, NONE, "do_page_fault: is it a fault Xen fixes itself (spurious, ptwr)? [Xen arch/x86/traps.c fixup_page_fault]") \
  X(XEN_BOUNCE, "xen.bounce", HYPERVISOR, "xen.bounce", NONE, ERR, "bounce frame on the guest kernel stack, CR2 into vcpu_info, U bit rewritten [Xen arch/x86/traps.c propagate_page_fault, create_bounce_frame]") \
  X(XEN_L4_SWITCH, "xen.l4_switch", HYPERVISOR, NULL, NONE, DIR, "switch between the user and the kernel L4 (a CR3 write: guest.kpti_cr3_write) [Xen arch/x86/x86_64/traps.c toggle_guest_mode]") \
  X(XEN_HYPERCALL, "xen.hypercall", HYPERVISOR, "xen.hypercall", NONE, HCALL, "enter Xen from the guest kernel and return [Xen arch/x86/x86_64/entry.S, the hypercall table]") \
  X(XEN_MULTICALL, "xen.multicall", GUEST_KERNEL, "xen.multicall", NONE, HCALL, "a batch of hypercalls in one entry (HYPERVISOR_multicall) [Xen common/multicall.c do_multicall]") \
  X(XEN_P2M, "xen.p2m", GUEST_KERNEL, "xen.p2m", NONE, PFN, "guest: pfn -> mfn through its P2M table [Linux arch/x86/xen/mmu_pv.c pfn_to_mfn]") \
  X(XEN_M2P, "xen.m2p", GUEST_KERNEL, "xen.m2p", NONE, MFN, "guest: mfn -> pfn through the machine-to-phys table [Linux arch/x86/xen/mmu_pv.c mfn_to_pfn]") \
  X(XEN_VALIDATE, "xen.validate", HYPERVISOR, "xen.validate", ENTRY, NONE, "Xen validates an update: ownership, get_page, type counts [Xen arch/x86/mm.c mod_l1_entry, get_page_from_l1e]") \
  X(XEN_REFUSE, "xen.refuse", HYPERVISOR, NULL, NONE, WHY, "Xen refuses an update") \
  X(XEN_PT_WRITE, "xen.pt_write", HYPERVISOR, "xen.pt_write", NONE, VALUE, "Xen writes the validated entry [Xen arch/x86/mm.c update_intpte]") \
  X(XEN_PIN, "xen.pin", HYPERVISOR, "xen.pin", FRAME, LEVEL, "MMUEXT_PIN_Ln_TABLE: validate a table and pin its type [Xen arch/x86/mm.c do_mmuext_op]") \
  X(XEN_UNPIN, "xen.unpin", HYPERVISOR, "xen.unpin", FRAME, TABLES, "MMUEXT_UNPIN_TABLE: drop an address space's tables' types [Xen arch/x86/mm.c do_mmuext_op]") \
  X(XEN_UPDATE_VA_MAPPING, "xen.update_va_mapping", HYPERVISOR, "xen.update_va_mapping", FRAME, NONE, "HYPERVISOR_update_va_mapping: remap a page-table page read-only [Xen arch/x86/mm.c do_update_va_mapping]") \
  X(XEN_PTWR_EMULATE, "xen.ptwr_emulate", HYPERVISOR, "xen.ptwr_emulate", ENTRY, NONE, "writable page tables: emulate the guest's direct PTE store [Xen arch/x86/pv/ro-page-fault.c ptwr_do_page_fault]") \
  X(XEN_IRET, "xen.iret", HYPERVISOR, "xen.iret", NONE, NONE, "HYPERVISOR_iret: back to the guest's user context [Xen arch/x86/x86_64/traps.c do_iret]") \
  X(HOST_TRAP, "host.trap", HOST_KERNEL, "vkernel.host_trap", NONE, NONE, "the real kernel's trap entry [seed 001; DragonFly sys/platform/pc64/x86_64/trap.c]") \
  X(HOST_VM_FAULT, "host.vm_fault", HOST_KERNEL, "vkernel.host_vm_fault", NONE, NONE, "host vm_fault: map entry lookup (a VPAGETABLE mapping) [seed 001; DragonFly vm/vm_fault.c vm_fault]") \
  X(HOST_VPAGETABLE, "host.vpagetable", HOST_KERNEL, "vkernel.host_vpagetable", VA, VALID, "vm_fault_vpagetable: walk the vkernel's vPTEs, CAS of A/M (cost per level) [seed 001; DragonFly vm/vm_fault.c vm_fault_vpagetable]") \
  X(HOST_PMAP_ENTER, "host.pmap_enter", HOST_KERNEL, "vkernel.host_pmap_enter", VA, NONE, "host installs the real PTE in the vmspace's pmap [seed 001; DragonFly pmap_enter]") \
  X(HOST_MBIT, "host.mbit", HOST_KERNEL, "vkernel.host_mbit", VA, NONE, "first write: VPTE_M set, read-only mapping upgraded [seed 001; DragonFly vm_fault_vpagetable (VPTE_M)]") \
  X(HOST_VMSPACE_RETURN, "host.vmspace_return", HOST_KERNEL, "vkernel.host_vmspace_return", NONE, NONE, "return from vmspace_ctl to the vkernel with the trap frame [seed 001; DragonFly vmspace_ctl]") \
  X(VKERNEL_VMSPACE_CTL, "vkernel.vmspace_ctl", VKERNEL, "vkernel.vmspace_ctl", NONE, NONE, "vmspace_ctl(VMSPACE_CTL_RUN): re-enter the virtual user process [seed 001; DragonFly vmspace_ctl(VMSPACE_CTL_RUN)]") \
  X(HOST_SIGSEGV, "host.sigsegv", HOST_KERNEL, "vkernel.host_sigsegv", VA, NONE, "path (II): SIGSEGV to the vkernel for its own submap [seed 001 path (II)]") \
  X(VKERNEL_SIGHANDLER, "vkernel.sighandler", VKERNEL, "vkernel.sighandler", NONE, SLOT, "the vkernel's handler reads the ucontext and writes its vPTE [seed 001 path (II)]") \
  X(HOST_SIGRETURN, "host.sigreturn", HOST_KERNEL, "vkernel.host_sigreturn", NONE, NONE, "sigreturn: resume the vkernel's faulting context [seed 001 path (II)]") \
  X(VKERNEL_MCONTROL, "vkernel.mcontrol", VKERNEL, "vkernel.mcontrol", VA, NONE, "vmspace_mcontrol/madvise(MADV_INVAL) after a vPTE change [seed 001; DragonFly vmspace_mcontrol(MADV_INVAL)]") \
  X(HOST_PMAP_REMOVE, "host.pmap_remove", HOST_KERNEL, "vkernel.host_pmap_remove", NONE, ALL, "host removes the real mappings (per page) [seed 001; DragonFly pmap_remove]") \
  X(VKERNEL_VMSPACE_CREATE, "vkernel.vmspace_create", VKERNEL, "vkernel.vmspace_create", CR3, NONE, "vmspace_create + vmspace_mmap(MAP_VPAGETABLE) + MADV_SETMAP [seed 000; DragonFly vmspace_create]") \
  X(HOST_REFUSE, "host.refuse", HOST_KERNEL, NULL, FRAME, NONE, "vm_fault's object-size check: the vPTE points outside the RAM file") \
  X(VKERNEL_VPTE_FIX, "vkernel.vpte_fix", VKERNEL, "vkernel.vpte_fix", ENTRY, NONE, "the vkernel sees the failure and rewrites the vPTE") \
  X(EXO_TLB_MISS, "exo.tlb_miss", GUEST_KERNEL, "exo.tlb_miss", VA, ERR, "the exokernel's TLB-miss exception entry: save scratch state, read the bad address (MIPS UTLB vector) [Aegis, SOSP'95 5.2; seed 003 step 1]") \
  X(EXO_TLB_MOD, "exo.tlb_mod", GUEST_KERNEL, "exo.tlb_mod", VA, ERR, "the exokernel's TLB-modified exception entry: a store through a clean entry [Aegis, SOSP'95 5.2 (MIPS TLB Modified)]") \
  X(EXO_SWTLB_PROBE, "exo.swtlb_probe", GUEST_KERNEL, "exo.swtlb_probe", VA, HIT, "probe the exokernel's software TLB (the paper's STLB): hash, read the slot's tag and entry [Aegis, SOSP'95 5.3 (the STLB)]") \
  X(EXO_GUARANTEED, "exo.guaranteed", GUEST_KERNEL, "exo.guaranteed", VA, LEVEL, "refill a guaranteed mapping (the libOS's handler code, stack, page table) from the exokernel's own knowledge [Aegis, SOSP'95 5.3 (guaranteed mappings)]") \
  X(EXO_UPCALL, "exo.upcall", GUEST_KERNEL, "exo.upcall", VA, ERR, "find the libOS in the time-slice vector, its handler in the Processor Environment; save minimal state; jump to it at user privilege [seed 003 steps 1-2; Aegis, SOSP'95 5.1 (Processor Environment)]") \
  X(EXO_SYSCALL, "exo.syscall", GUEST_KERNEL, "exo.syscall", NONE, CALL, "a libOS system call into the exokernel (entry and return) [seed 003 step 4]") \
  X(EXO_BIND, "exo.bind", GUEST_KERNEL, "exo.bind", FRAME, VALID, "secure binding: record the frames' owner and the capability's check value (valid=false: the binding dropped) [Aegis, SOSP'95 3.2 (secure bindings)]") \
  X(EXO_CAP_CHECK, "exo.cap_check", GUEST_KERNEL, "exo.cap_check", FRAME, VALID, "validate the presented capability: owner, check value, rights, not an exokernel frame [seed 003 step 5]") \
  X(EXO_REFUSE, "exo.refuse", GUEST_KERNEL, NULL, FRAME, WHY, "the exokernel refuses the install: the capability does not grant the frame") \
  X(EXO_TLB_WRITE, "exo.tlb_write", GUEST_KERNEL, "exo.tlb_write", VA, VALUE, "write the TLB entry (as MIPS tlbwr) and its software-TLB slot; value: the frame | its rights (1 U, 2 W, 4 X, 8 D, 32 G) [seed 003 step 5]") \
  X(EXO_TLB_FLUSH, "exo.tlb_flush", GUEST_KERNEL, "exo.tlb_flush", VA, ALL, "drop translations from the TLB and the software TLB (the libOS unmapped or changed a page) [Aegis, SOSP'95 5.3]") \
  X(EXO_RESUME, "exo.resume", GUEST_KERNEL, "exo.resume", NONE, NONE, "return from the exception to the faulting instruction [Aegis, SOSP'95 5.2]") \
  X(LIBOS_TLB_MISS, "libos.tlb_miss", LIBOS, "libos.tlb_miss", VA, ERR, "the libOS's TLB-miss handler: entry, save registers on its exception stack [seed 003 step 3]") \
  X(LIBOS_TLB_MOD, "libos.tlb_mod", LIBOS, "libos.tlb_mod", VA, ERR, "the libOS's TLB-modified handler: entry [seed 003 step 3]") \
  X(LIBOS_FAULT, "libos.fault", LIBOS, "libos.fault", VA, ERR, "ExOS's page-fault handler (Xok's u_entfault): entry, read the fault frame [Xok lib/libexos/os/fault.c page_fault_handler]") \
  X(LIBOS_PT_LOOKUP, "libos.pt_lookup", LIBOS, "libos.pt_lookup", VA, VALID, "the libOS reads its own page table for the address [seed 003 step 3; Xok vpt[] (sys/xok/mmu.h)]") \
  X(LIBOS_PTE_AD, "libos.pte_ad", LIBOS, NULL, ENTRY, VALUE, "the libOS sets the accessed (and, on a store, dirty) bit in its page-table entry: no hardware sets them [MIPS R3000: no hardware A/D bits]") \
  X(LIBOS_RESUME, "libos.resume", LIBOS, "libos.resume", NONE, NONE, "the libOS restores the faulting context and jumps back to it (no kernel crossing) [Aegis, SOSP'95 5.2]") \
  X(SPIN_TRAP, "spin.trap", GUEST_KERNEL, "spin.trap", NONE, NONE, "the kernel's trap handler: save the state, decode the fault [Bershad et al., SOSP'95 4.1]") \
  X(SPIN_RAISE, "spin.raise", GUEST_KERNEL, "spin.raise", VA, ERR, "the Translation service raises PageNotPresent (or ProtectionFault, P set) [SOSP'95 5.1 (Translation)]") \
  X(SPIN_DIRECT_CALL, "spin.direct_call", GUEST_KERNEL, "spin.direct_call", NONE, NONE, "one handler and no guard: the dispatcher calls it directly, a protected in-kernel call [SOSP'95 4.2]") \
  X(SPIN_DISPATCH, "spin.dispatch", GUEST_KERNEL, "spin.dispatch", NONE, ENTRIES, "the dispatcher: evaluate every handler's guards, call those whose guards hold [SOSP'95 4.2]") \
  X(SPIN_GUARD, "spin.guard", GUEST_KERNEL, "spin.guard", SLOT, VALID, "evaluate one handler's guard (a predicate over the event's arguments) [SOSP'95 4.2]") \
  X(SPIN_HANDLER, "spin.handler", EXTENSION, "spin.handler", VA, SLOT, "an extension's PageNotPresent handler: kernel-resident, type-safe, no protection crossing [SOSP'95 5.1]") \
  X(SPIN_PHYSADDR, "spin.physaddr", GUEST_KERNEL, "spin.physaddr", FRAME, VALID, "PhysAddr.Allocate / Deallocate: a frame and its typed reference [SOSP'95 5.1 (PhysAddr)]") \
  X(SPIN_TRANSLATION, "spin.translation", GUEST_KERNEL, "spin.translation", ENTRY, VALUE, "Translation.AddMapping: check the caller's references to the range and the frame, write the entry [SOSP'95 5.1]") \
  X(SPIN_REFUSE, "spin.refuse", GUEST_KERNEL, NULL, VA, WHY, "Translation refuses: the extension holds no reference to the range") \
  X(SPIN_DEFAULT_IMPL, "spin.default_impl", GUEST_KERNEL, "spin.default_impl", VA, NONE, "no guard held: the event's default implementation, the VM service's own pager [SOSP'95 4.2]") \
  X(SPIN_EXCEPTION, "spin.exception", GUEST_KERNEL, "spin.exception", VA, NONE, "no guard held and no default: the dispatcher raises an exception to the raiser, which the Unix server turns into a signal [SOSP'95 4.2]") \
  X(SPIN_RESUME, "spin.resume", GUEST_KERNEL, "spin.resume", NONE, NONE, "return from the trap to the faulting instruction") \
  X(SPIN_RECLAIM, "spin.reclaim", GUEST_KERNEL, "spin.reclaim", NONE, PAGES, "memory pressure: PhysAddr raises Reclaim to the extensions that own frames [SOSP'95 5.1]") \
  X(TORNADO_TRAP, "tornado.trap", GUEST_KERNEL, "tornado.trap", NONE, NONE, "the kernel's exception entry: save state, call the faulting Process object [Gamsa et al., OSDI'99 4]") \
  X(TORNADO_PROCESS, "tornado.process", GUEST_KERNEL, "tornado.process", VA, KIND, "Process object: find the Region covering the address [OSDI'99 4.1]") \
  X(TORNADO_REGION, "tornado.region", GUEST_KERNEL, "tornado.region", VA, NONE, "Region object: the address as an offset in its backing FCM [OSDI'99 4.1]") \
  X(TORNADO_FCM, "tornado.fcm", GUEST_KERNEL, "tornado.fcm", FRAME, HIT, "FCM (File Cache Manager): look the page up in its hash; hit: map it [OSDI'99 4.1]") \
  X(TORNADO_DRAM, "tornado.dram", GUEST_KERNEL, "tornado.dram", FRAME, PAGES, "DRAM manager: a frame (or a 2 MiB run) for the FCM [OSDI'99 4.1]") \
  X(TORNADO_COR, "tornado.cor", GUEST_KERNEL, "tornado.cor", FRAME, NONE, "COR (Cached Object Representative, the file's I/O object) fills the frame [OSDI'99 4.1]") \
  X(TORNADO_HAT, "tornado.hat", GUEST_KERNEL, "tornado.hat", VA, NONE, "HAT (Hardware Address Translation) installs the mapping in the page table [OSDI'99 4.1]") \
  X(TORNADO_REP_MISS, "tornado.rep_miss", GUEST_KERNEL, "tornado.rep_miss", NONE, CLASS, "clustered object: no representative for this processor in the translation table: the miss handler creates it [OSDI'99 3]") \
  X(TORNADO_RESUME, "tornado.resume", GUEST_KERNEL, "tornado.resume", NONE, NONE, "return from the exception") \
  X(XOK_UPCALL, "xok.upcall", GUEST_KERNEL, "xok.upcall", VA, ERR, "Xok reflects the #PF: push va, error code, rflags, rip, rsp on the environment's exception stack; jump to its u_entfault [Xok sys/kern/pmap.c page_fault_handler]") \
  X(XOK_INSERT_PTE, "xok.insert_pte", GUEST_KERNEL, "xok.insert_pte", ENTRY, VALUE, "sys_self_insert_pte: check the capability against the page, store the PTE (U forced, must-be-zero bits cleared) [Xok sys/kern/pmap.c pmap_insert_range]") \
  X(FORK_DUP_TASK, "fork.dup_task", GUEST_KERNEL, "native.fork_dup_task", NONE, NONE, "fork/clone: a task_struct and a kernel stack for the child, the parent's copied into it [Linux kernel/fork.c dup_task_struct]") \
  X(FORK_COPY_PROCESS, "fork.copy_process", GUEST_KERNEL, "native.fork_copy_process", NONE, NONE, "copy_process's bookkeeping before the address space: credentials, scheduler state, descriptor table, fs, signal handlers and signal_struct, then the pid [Linux kernel/fork.c copy_process: copy_creds, sched_fork, copy_files, copy_fs, copy_sighand, copy_signal, alloc_pid]") \
  X(FORK_MM_ALLOC, "fork.mm_alloc", GUEST_KERNEL, "native.fork_mm_alloc", NONE, CR3, "the child's mm_struct and top-level table (the kernel half copied in) [Linux kernel/fork.c dup_mm, mm_init, pgd_alloc]") \
  X(FORK_DUP_MMAP, "fork.dup_mmap", GUEST_KERNEL, "native.fork_dup_mmap", NONE, ENTRIES, "per VMA copied (entries): vm_area_dup, anon_vma_fork's chain, the file mapping's link and the tree insert (cost per VMA) [Linux kernel/fork.c dup_mmap]") \
  X(FORK_COPY_PAGE_RANGE, "fork.copy_page_range", GUEST_KERNEL, "native.fork_copy_page_range", NONE, PAGES, "copy the present PTEs into the child's tables, write-protecting private writable ones in both, one reference more on each page (cost per PTE; its table reads and writes are charged as made) [Linux mm/memory.c copy_page_range, copy_present_pte]") \
  X(FORK_ARCH_DUP_MMAP, "fork.arch_dup_mmap", GUEST_KERNEL, NULL, CR3, TABLES, "paravirtualized paging: the child's tables, built as plain pages, are remapped read-only and pinned (xen-pv: update_va_mapping, MMUEXT_PIN_L1_TABLE per PTE page, MMUEXT_PIN_L4_TABLE) [Linux arch/x86/xen/mmu_pv.c xen_dup_mmap, xen_pgd_pin]") \
  X(FORK_FLUSH_TLB, "fork.flush_tlb", GUEST_KERNEL, "native.fork_flush_tlb", NONE, NONE, "the parent's TLB loses the write permission dup_mmap took away: flush_tlb_mm [Linux kernel/fork.c dup_mmap, arch/x86/mm/tlb.c flush_tlb_mm_range]") \
  X(FORK_WAKE_NEW, "fork.wake_new", GUEST_KERNEL, "native.fork_wake_new", NONE, NONE, "the child joins the run queue [Linux kernel/sched/core.c wake_up_new_task]") \
  X(SCHED_SWITCH, "sched.switch", GUEST_KERNEL, "native.sched_switch", NONE, NONE, "the scheduler switches tasks: pick the next, save and load registers and FPU state [Linux kernel/sched/core.c __schedule, context_switch; arch/x86 __switch_to]") \
  X(SCHED_SWITCH_MM, "sched.switch_mm", GUEST_KERNEL, "native.sched_switch_mm", CR3, NONE, "the next task has another address space: CR3 written (a flush of the non-global TLB entries unless PCIDs keep them) [Linux arch/x86/mm/tlb.c switch_mm_irqs_off]") \
  X(EXIT_MM, "exit.mm", GUEST_KERNEL, "native.exit_mm", NONE, ENTRIES, "the last user of the address space leaves: exit_mmap removes its VMAs (cost per VMA: remove_vma, unlink_anon_vmas, unlink_file_vma) around the steps below [Linux kernel/exit.c exit_mm, mm/mmap.c exit_mmap]") \
  X(EXIT_ARCH_EXIT_MMAP, "exit.arch_exit_mmap", GUEST_KERNEL, NULL, CR3, TABLES, "paravirtualized paging: the tables are unpinned first, so the teardown's stores are plain ones (xen-pv: MMUEXT_UNPIN_TABLE) [Linux arch/x86/xen/mmu_pv.c xen_exit_mmap, xen_pgd_unpin]") \
  X(EXIT_UNMAP, "exit.unmap", GUEST_KERNEL, "native.exit_unmap", NONE, PAGES, "clear every present PTE and drop its page's reference and rmap (cost per page; the table reads and stores are charged as made) [Linux mm/memory.c unmap_vmas, zap_pte_range]") \
  X(EXIT_FREE_PGTABLES, "exit.free_pgtables", GUEST_KERNEL, "native.exit_free_pgtables", NONE, TABLES, "free the user page-table pages (cost per table) [Linux mm/memory.c free_pgtables]") \
  X(EXIT_TLB_FINISH, "exit.tlb_finish", GUEST_KERNEL, "native.exit_tlb_finish", NONE, NONE, "flush the TLB of the torn-down address space and free the gathered pages [Linux mm/mmu_gather.c tlb_finish_mmu]") \
  X(EXIT_FILES, "exit.files", GUEST_KERNEL, "native.exit_files", NONE, NONE, "drop the descriptor table (closing its files when it is the last user), fs and signal handlers [Linux kernel/exit.c do_exit: exit_files, exit_fs]") \
  X(EXIT_NOTIFY, "exit.notify", GUEST_KERNEL, "native.exit_notify", NONE, NONE, "the process has ended: reparent its children, SIGCHLD to the parent, wake its wait [Linux kernel/exit.c exit_notify, kernel/signal.c do_notify_parent]") \
  X(WAIT_SCAN, "wait.scan", GUEST_KERNEL, "native.wait_scan", NONE, ENTRIES, "wait4/waitid look at the children for one to report (cost per child looked at) [Linux kernel/exit.c do_wait, wait_consider_task]") \
  X(WAIT_REAP, "wait.reap", GUEST_KERNEL, "native.wait_reap", NONE, NONE, "a zombie reported: its status and usage collected, the task released (pid, signal_struct, task_struct) [Linux kernel/exit.c wait_task_zombie, release_task]") \
  X(EXEC_ACTIVATE_MM, "exec.activate_mm", GUEST_KERNEL, NULL, CR3, TABLES, "paravirtualized paging: a new image's tables, plain memory while exec copied the arguments in, are remapped read-only and pinned when it is first loaded (xen-pv: update_va_mapping, MMUEXT_PIN_L1_TABLE per PTE page, MMUEXT_PIN_L4_TABLE) [Linux fs/exec.c exec_mmap, arch/x86/xen/mmu_pv.c xen_activate_mm, xen_pgd_pin]")

enum ev_step {
#define X(id, name, layer, cost, fva, farg, doc) EV_S_##id,
  EV_STEPS(X)
#undef X
  EV_S__COUNT
};

struct ev_step_info {
  const char *id;            /* "KERNEL_ENTRY" */
  const char *name;          /* "kernel.entry" */
  uint8_t layer;             /* enum ev_layer */
  const char *cost;          /* cost parameter, or NULL */
  uint8_t fva, farg;         /* enum ev_field of the va and arg slots */
  const char *doc;
};
extern const struct ev_step_info ev_steps[EV_S__COUNT];
extern const char *const ev_layer_names[EV_L__COUNT];
extern const char *const ev_layer_docs[EV_L__COUNT];
extern const char *const ev_kind_names[EV_K__COUNT];
extern const char *const ev_kind_docs[EV_K__COUNT];
extern const uint8_t ev_kind_class[EV_K__COUNT];
extern const char *const ev_field_names[EVF__COUNT];
int ev_layer_by_name(const char *s, size_t n);     /* -1 if none */
int ev_kind_by_name(const char *s, size_t n);
int ev_step_by_name(const char *s);

/* One step, as sinks receive it when it closes. */
struct ev {
  uint64_t id, parent;       /* ids increase in opening order; parent 0: top level */
  uint64_t fault;            /* the innermost enclosing fault's number (0: none) */
  uint64_t cycle;            /* start, on its vCPU's cycle count */
  uint64_t self, total;      /* total = self + the children's totals */
  uint64_t va, arg;          /* the step's two fields (see ev_steps[].fva/farg) */
  const char *file;          /* the emitting code (relative path) */
  uint32_t line;
  int32_t pid;
  uint16_t cpu;
  uint16_t depth;
  uint16_t step;             /* enum ev_step */
  uint8_t layer;             /* enum ev_layer */
  uint8_t kind;              /* fault roots: enum ev_fault_kind */
  bool visible;              /* fault roots: the guest kernel saw it */
  uint32_t nchildren;
};

enum ev_phase { EV_OPENED, EV_CLOSED };
typedef void (*ev_sink_fn)(void *ctx, const struct ev *e, enum ev_phase ph);

#define EV_MAX_SINKS 8
#define EV_MAX_DEPTH 64

struct ev_bus {
  uint64_t next_id, nfaults;
  uint64_t visible_faults;   /* fault roots closed with visible set */
  int32_t pid;               /* stamped on steps as they open (sim sets it) */
  uint16_t cpu;
  struct { ev_sink_fn fn; void *ctx; } sink[EV_MAX_SINKS];
  int nsinks;
  struct { struct ev e; uint64_t child_total; } open[EV_MAX_DEPTH];
  int depth;
};

void ev_bus_init(struct ev_bus *b);
int ev_subscribe(struct ev_bus *b, ev_sink_fn fn, void *ctx);
/* Open a step at `cycle`; a step named "fault" starts a new fault number. */
uint64_t ev_begin(struct ev_bus *b, int layer, int step, uint64_t cycle, uint64_t va,
                  uint64_t arg, const char *file, uint32_t line);
/* Close the innermost open step at `cycle` (>= its start). */
void ev_end(struct ev_bus *b, uint64_t cycle);
/* Drop the innermost open step: only when it has no children and
 * nothing was charged (a conditional step that turned out empty). */
void ev_drop(struct ev_bus *b);
/* The innermost open step: change its fields once they are known. */
void ev_set(struct ev_bus *b, uint64_t va, uint64_t arg);
void ev_set_arg(struct ev_bus *b, uint64_t arg);
/* The innermost open fault root: what it turned out to be. */
void ev_fault_set(struct ev_bus *b, int kind, bool visible);
/* whether the innermost open fault was seen by the guest kernel (so far) */
bool ev_fault_visible(const struct ev_bus *b);
bool ev_in_fault(const struct ev_bus *b);
static inline int ev_open_children(const struct ev_bus *b) {
  return b->depth ? (int)b->open[b->depth - 1].e.nchildren : 0;
}

/* ---- log sinks (evlog.c): text and jsonl, with --log-filter ---- */
struct ev_filter {
  bool any;                  /* some tree-selecting term is set */
  uint64_t fault_lo, fault_hi;    /* fault=A-B (0/0: off) */
  int32_t pid;               /* pid=N (-1: off) */
  uint32_t layers;           /* layer=a|b: bit mask of kept layers (0: all) */
  uint64_t kinds;            /* kind=a|b: bit mask (0: all) */
  uint64_t va_lo, va_hi;     /* va=LO-HI (hi 0: off) */
};
/* Parse "fault=100-200,pid=1,layer=hypervisor|guest-kernel,kind=cow,va=0x1000-0x2000";
 * 0, or -1 with a message in err. */
int ev_filter_parse(struct ev_filter *f, const char *expr, char *err, size_t errlen);

enum ev_log_format { EV_LOG_TEXT, EV_LOG_JSONL };
struct ev_log {
  FILE *f;
  enum ev_log_format format;
  struct ev_filter filter;
  const char *mode, *cpu;
  /* decode an exit code into the vendor's name (NULL: print the number) */
  const char *(*exit_name)(void *ctx, uint32_t code);
  void *exit_ctx;
  struct ev *tree;           /* the open top-level tree's closed steps */
  int ntree, cap;
  uint64_t written;
};
/* jsonl: write the header object first (extra: more "key": value pairs,
 * already JSON-encoded, or NULL) */
void ev_log_header(struct ev_log *l, const char *extra);
void ev_log_sink(void *log, const struct ev *e, enum ev_phase ph);
/* jsonl: a sample of counters between steps (run --log-samples): one line
 * {"sample": {"cpu": C, "icount": I, "cycle": T, name: value...}} */
void ev_log_sample(struct ev_log *l, uint16_t cpu, uint64_t icount, uint64_t cycle, const char *const *names,
                   const uint64_t *vals, int n);
void ev_log_fini(struct ev_log *l);
/* "np W U"-style decoding of a #PF error code */
void ev_err_string(uint64_t err, char *buf, size_t n);

#endif
