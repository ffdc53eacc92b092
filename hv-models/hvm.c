/* The one exit path of the hardware-virtualization modes (VMX and SVM),
 * their shared parameters, and the exit statistics. */
#include "hv-models/hvm.h"
#include <string.h>

/* Costs.  CALIBRATION.md: a VMX exit round trip (KVM, CPUID exit,
 * Skylake-era) is ~1,000-1,100 cycles; an SVM VMRUN->#VMEXIT round trip
 * 1,344-1,376 (LKML SVM patch discussion, Dec 2020).  The split between
 * exit and entry is ours ("derived"). */
const struct fl_param_def hvm_params[] = {
  {"vmx.exit", 550, "cycles", "VMX VM exit: save guest state to the VMCS, load host state",
   "derived: half of the ~1,000-1,100-cycle KVM exit round trip, Skylake-era (CALIBRATION.md)"},
  {"vmx.entry", 500, "cycles", "VMRESUME: VM entry checks, load guest state, inject event",
   "derived: rest of the ~1,050-cycle round trip (CALIBRATION.md)"},
  {"svm.exit", 700, "cycles", "#VMEXIT: save guest state to the VMCB, load host state",
   "derived: half of the 1,344-1,376-cycle VMRUN->#VMEXIT round trip (CALIBRATION.md, LKML Dec 2020)"},
  {"svm.entry", 660, "cycles", "VMRUN: load guest state from the VMCB, inject event",
   "derived: rest of the ~1,360-cycle round trip (CALIBRATION.md)"},
  {"hv.dispatch", 150, "cycles", "hypervisor exit handler: read exit reason and qualification, dispatch",
   "derived: a few VMREADs (~tens of cycles each) and a table jump"},
  {"hv.inject", 100, "cycles", "set up event injection of a guest #PF and the guest's CR2",
   "derived: VMWRITEs of entry interruption info, error code; CR2 load"},
  {"hvm.tagged_tlb", 1, "bool", "VPID (VMX) / ASID (SVM) tags: TLB entries survive exits; 0 flushes at every VM entry",
   "SDM 28.1 (VPID), APM 15.16 (ASID)"},
  {"nested.fill", 400, "cycles", "hypervisor fills the EPT/NPT entry for a first-touched guest-physical page",
   "derived: memslot lookup, gfn->pfn, SPTE write (KVM tdp_page_fault)"},
  {"nested.pt_alloc", 450, "cycles", "allocate and zero an EPT/NPT table page", "derived: as native.pt_alloc"},
  {"nested.host_backing", 1, "bool", "first touch makes the host allocate and zero backing memory (Linux host, anonymous guest RAM); 0: preallocated",
   "KVM on Linux: guest RAM is host anonymous memory faulted in on first EPT violation"},
  {"host.backing", 1600, "cycles/page", "host kernel: allocate and zero a 4 KiB backing page",
   "derived: native.frame_alloc + native.frame_zero"},
  {"nested.levels", 4, "levels", "EPT/NPT depth: 4, or 5 (5-level EPT / NPT with LA57)", "SDM 29.3.2; APM 15.25"},
  {"nested.fill_2m", 0, "bool", "back and map guest-physical memory in 2 MiB nested pages", "KVM with THP-backed guest RAM"},
  {"nested.ept_ad", 1, "bool", "EPTP enables EPT accessed/dirty flags (guest table references become nested writes)",
   "SDM 29.3.5; KVM enables it where supported"},
  {"nested.tlb.entries", 0, "entries", "nested TLB entries (gpa -> hpa pages; 0: none)",
   "AMD's NTLB / Intel's cached guest-physical mappings: sizes unpublished; Bhargava et al., ASPLOS'08 study them"},
  {"nested.pwc", 1, "bool", "paging-structure cache for nested tables (same kind and sizes as walk.pwc)",
   "SDM 29.4.1 (EPT paging-structure caches); Bhargava et al., ASPLOS'08"},
  {"shadow.walk", 150, "cycles", "hypervisor walks the guest page table in software (plus its references)",
   "derived: KVM FNAME(walk_addr) per level: read, check, set A/D"},
  {"shadow.pt_alloc", 500, "cycles", "create a shadow page for a guest table (hash insert, alloc, zero)",
   "derived: KVM kvm_mmu_get_page"},
  {"shadow.wrprotect", 300, "cycles", "write-protect a guest frame's mappings (rmap walk) and flush",
   "derived: KVM rmap_write_protect + TLB flush"},
  {"shadow.fill", 250, "cycles", "install a shadow entry from the guest entry (+ rmap add)", "derived: KVM mmu_set_spte"},
  {"shadow.emulate", 1200, "cycles", "emulate the guest's trapped page-table write (fetch, decode, execute) and resync",
   "derived: KVM x86 emulator + kvm_mmu_pte_write"},
  {"shadow.resync", 30, "cycles/entry", "shadow.resync: recompute one entry of an out-of-sync shadow table", "derived"},
  {"shadow.unsync", 300, "cycles", "mark a leaf shadow table unsync and make its frame writable", "derived: KVM mmu_unsync_walk"},
  {"shadow.unshadow", 500, "cycles", "zap the shadow of a frame the guest now uses as data", "derived: KVM kvm_mmu_unprotect_page"},
  {"shadow.cr3", 400, "cycles", "find (or build) the shadow root for a guest CR3 and load it", "derived: KVM kvm_mmu_new_pgd"},
  {"shadow.invlpg", 300, "cycles", "drop the shadow entry of an INVLPG'd address", "derived: KVM FNAME(invlpg)"},
  {"cr3.write", 0, "cycles", "cr3.write: extra guest-side cost of an intercepted MOV to CR3 (the exit is charged separately)", "0: counted in the instruction cost"},
  {"hv.tlb_flush", 100, "cycles", "flush the guest's TLB entries: INVVPID single-context (VMX) / TLB_CONTROL=FLUSH_ASID at VMRUN (SVM)",
   "derived: a flush instruction plus the VMCB/VMCS write"},
  {"shadow.cache", 1, "bool", "keep shadow tables across CR3 switches (0: discard the whole shadow on every switch)",
   "KVM keeps shadow pages in a hash (since 2.6.x); early VMMs discarded"},
  {"shadow.oos", 0, "bool", "out-of-sync shadows: a written leaf table goes unsync and is resynced on CR3 write/INVLPG",
   "KVM unsync shadow pages (2008)"},
  {"shadow.cr3_targets", 0, "count", "VMX CR3-target values the hypervisor fills (0-4; a hit does not exit; none on SVM)",
   "SDM 25.1.3, 24.6.7; KVM uses 0"},
  {"hv.apic_ipi", 400, "cycles", "--cpus: emulate a guest ICR write: destination lookup, IRR, kick the target vCPU (the exit is charged apart)",
   "estimate: KVM's early ICR-write fastpath saves 200+ cycles of this handling (Wanpeng Li, KVM 'FIXED+PHYSICAL mode single target IPI fastpath', Skylake server)"},
  {"hv.inject_irq", 100, "cycles", "--cpus: set up injection of an interrupt vector at the next entry", "derived: as hv.inject"},
  {"hv.ipi_send", 300, "cycles", "--cpus: the hypervisor's IPI to a target vCPU's physical CPU (Xen's flush, KVM's kick)",
   "estimate: as native.ipi_send, a WRMSR to the ICR"},
  {"hv.ipi_flush", 1000, "cycles", "--cpus: the hypervisor's flush handler on the target's physical CPU (its own cycles)",
   "estimate: as native.tlb_ipi_flush, an interrupt round trip plus the flush"},
  {"hv.ipi_wait", 1500, "cycles", "--cpus: the hypervisor waits for its targets' acknowledgements",
   "estimate: as native.ipi_wait (Amit, USENIX ATC'17)"},
  {"hv.eoi", 150, "cycles", "--cpus: emulate a guest EOI write (ISR, next interrupt)", "derived: a few APIC-page updates"},
  {"hv.remote_flush", 200, "cycles", "--cpus: kvm_flush_remote_tlbs bookkeeping (a request per vCPU; the kicks and their exits are charged apart)",
   "derived: kvm_make_all_cpus_request over a few vCPUs"},
  {"hvm.pv_tlb_flush", 0, "bool", "--cpus: KVM's paravirtual TLB flush: the guest sends no IPI to a preempted vCPU "
   "(KVM_VCPU_PREEMPTED in its steal-time area) but asks KVM to flush it at its next entry (KVM_VCPU_FLUSH_TLB)",
   "Linux arch/x86/kernel/kvm.c kvm_flush_tlb_multi (4.16+); KVM record_steal_time"},
  {"hvm.ipi_virt", 0, "bool", "--cpus: the sender's ICR write does not exit (Intel IPI virtualization, Sapphire Rapids+ / AMD AVIC)",
   "SDM Vol. 3C 30.1.6 (IPI virtualization); APM Vol. 2 15.29 (AVIC)"},
  {"hvm.posted_intr", 0, "bool", "--cpus: the receiver takes an IPI without an exit and its EOI is virtualized (Intel posted interrupts + virtual-interrupt delivery / AMD AVIC)",
   "SDM Vol. 3C 30.6 (posted-interrupt processing), 30.1.3 (EOI virtualization); APM Vol. 2 15.29"},
  {NULL, 0, NULL, NULL, NULL},
};

const char *const hv_counter_names[HV_C__COUNT] = {
#define X(id, name, doc) name,
  HV_COUNTERS(X)
#undef X
};

bool hvm_is_amd(const struct hv *h) { return h->cpu_vendor && !strcmp(h->cpu_vendor, "amd"); }

int hvm_init(struct hv *h, struct hvm *x) {
  bool amd = hvm_is_amd(h);
  if (hv_costs_init(h)) return -1;
  virt_init(&x->virt, amd ? VIRT_SVM : VIRT_VMX);
  x->tagged_tlb = hv_param(h, "hvm.tagged_tlb") != 0;
  x->ipi_virt = hv_param(h, "hvm.ipi_virt") != 0;
  h->pv_tlb_flush = hv_param(h, "hvm.pv_tlb_flush") != 0;
  x->posted_intr = hv_param(h, "hvm.posted_intr") != 0;
  if (amd) x->virt.vmcb.asid = 1;
  else { x->virt.vmcs.enable_vpid = x->tagged_tlb; x->virt.vmcs.vpid = 1; }
  return 0;
}

void hv_count_exit(struct hv *h, uint32_t code) {
  h->st.exits_total++;
  for (int i = 0; i < h->st.nexit_kinds; i++)
    if (h->st.exits[i].code == code) { h->st.exits[i].n++; return; }
  if (h->st.nexit_kinds < HV_MAX_EXIT_KINDS) {
    h->st.exits[h->st.nexit_kinds].code = code;
    h->st.exits[h->st.nexit_kinds++].n = 1;
  }
}

void hvm_exit(struct hv *h, struct hvm *x) {
  uint32_t code = virt_exit_code(&x->virt);
  hv_count_exit(h, code);
  hv_step(h, EV_S_VM_EXIT, 0, code, 0);
  hv_step(h, EV_S_HV_DISPATCH, 0, code, 0);
  x->depth++;
}

void hvm_flush_guest_tlb(struct hv *h, struct hvm *x) {
  (void)h;
  x->flush_pending = true;
  if (x->virt.vd->id == VIRT_SVM) x->virt.vmcb.tlb_control = SVM_TLB_FLUSH_ASID;
}

/* the flush a pending request makes at entry: INVVPID / FLUSH_ASID */
static void flush_guest_now(struct hv *h, struct hvm *x) {
  bool svm = x->virt.vd->id == VIRT_SVM;
  h->st.counter[svm ? HV_C_TLB_CONTROL_FLUSHES : HV_C_INVVPID]++;
  hv_step(h, EV_S_HV_TLB_FLUSH, 0, 0, 0);
  tlb_flush_guest(&h->cpu->tlb);       /* the guest's VPID/ASID only */
  if (h->mmu->pwc) pwc_flush(h->mmu->pwc);
  x->flush_pending = false;
  x->virt.vmcb.tlb_control = SVM_TLB_NOTHING;
}

void hvm_flush_on_entry(struct hv *h) {
  struct hvm *x = h->priv;
  if (!x->tagged_tlb) {                /* every entry flushes anyway */
    tlb_flush_all(&h->cpu->tlb);
    return;
  }
  flush_guest_now(h, x);
}

void hvm_entry(struct hv *h, struct hvm *x) {
  if (x->flush_pending && !x->tagged_tlb) x->flush_pending = false;   /* the entry flushes anyway */
  if (x->flush_pending) flush_guest_now(h, x);
  struct virt_event ev = virt_vmentry(&x->virt);
  x->virt.vmcb.tlb_control = SVM_TLB_NOTHING;     /* VMRUN consumed it */
  hv_step(h, EV_S_VM_ENTRY, 0, ev.valid ? ev.vector : 0, 0);
  /* SDM 28.3.3.3 / APM 15.16: without VPID/ASID, entries and exits flush
   * the guest's linear and combined mappings */
  if (!x->tagged_tlb) tlb_flush_all(&h->cpu->tlb);
  x->depth--;
}

/* ---- several vCPUs ---- */
void hvm_cpus_init(struct hv *h, struct hvm_cpus *c, const struct hvm *x) {
  for (int i = 0; i < h->ncpus; i++) {
    c->saved[i] = *x;
    c->saved[i].virt.vmcb.asid = (uint32_t)i + 1;      /* KVM: one VPID / ASID per vCPU */
    c->saved[i].virt.vmcs.vpid = (uint16_t)(i + 1);
  }
}

void hvm_select_cpu(struct hvm_cpus *c, struct hvm *x, int from, int to) {
  c->saved[from] = *x;
  *x = c->saved[to];
}

#define CALL_FUNCTION_VECTOR 0xfb   /* Linux's IPI vector for flush_tlb_func (arch/x86/include/asm/irq_vectors.h) */

/* The sender writes the ICR (x2APIC MSR 0x830, one WRMSR).  Without IPI
 * virtualization it exits and KVM emulates it: the destination's IRR, a
 * kick of its vCPU (kvm_x2apic_icr_write -> kvm_apic_send_ipi). */
void hvm_ipi_send(struct hv *h, struct hvm *x, int target) {
  if (x->ipi_virt) return;             /* the CPU posts it to the target itself */
  hv_begin(h, EV_S_FAULT, 0, 0);
  hv_fault_kind(h, EV_K_ICR_EXIT, false);
  virt_record_wrmsr_exit(&x->virt, 2);
  hvm_exit(h, x);
  hv_step(h, EV_S_HV_APIC_IPI, 0, (uint64_t)target, 0);
  hvm_entry(h, x);
  hv_end(h, 0);
}

/* The target vCPU, running in guest mode, is kicked by a host IPI: an
 * external-interrupt exit, then entry injecting the guest's vector; its
 * handler's EOI (MSR 0x80b) exits too.  Posted interrupts (and AVIC)
 * deliver the vector and virtualize the EOI without an exit. */
void hvm_ipi_receive(struct hv *h, struct hvm *x, bool eoi) {
  if (x->posted_intr) return;
  hv_begin(h, EV_S_FAULT, 0, 0);
  hv_fault_kind(h, eoi ? EV_K_EOI_EXIT : EV_K_EXTINT_EXIT, false);
  if (eoi) virt_record_wrmsr_exit(&x->virt, 2);
  else virt_record_extint_exit(&x->virt, CALL_FUNCTION_VECTOR);
  hvm_exit(h, x);
  if (eoi) hv_step(h, EV_S_HV_EOI, 0, 0, 0);
  else {
    struct virt_event ev = {.valid = true, .type = VIRT_EV_EXTINT, .vector = CALL_FUNCTION_VECTOR};
    hv_step(h, EV_S_HV_INJECT_IRQ, 0, CALL_FUNCTION_VECTOR, 0);
    virt_inject_event(&x->virt, &ev, 0);
  }
  hvm_entry(h, x);
  hv_end(h, 0);
}

void hvm_remote_flush(struct hv *h) {
  if (h->ncpus < 2) return;
  int me = h->this_cpu, nk = 0;
  hv_begin(h, EV_S_HV_REMOTE_FLUSH, 0, (uint64_t)(h->ncpus - 1));
  for (int j = 0; j < h->ncpus; j++)
    if (j != me && !h->cpu_idle[j] && !h->cpu_preempted[j]) {
      nk++;
      hv_step(h, EV_S_HV_IPI_SEND, 0, (uint64_t)j, 0);
      h->sd.ipis_sent++;
    }
  for (int j = 0; j < h->ncpus; j++) {
    if (j == me) continue;
    hv_on_cpu(h, j);
    struct hvm *x = h->priv;           /* j's, after select_cpu */
    if (h->cpu_idle[j] || h->cpu_preempted[j]) hvm_flush_on_entry(h);   /* out of guest mode: at its entry */
    else {                             /* in guest mode: kicked, it exits, and flushes at entry */
      hvm_flush_guest_tlb(h, x);       /* KVM_REQ_TLB_FLUSH */
      hv_begin(h, EV_S_FAULT, 0, 0);
      hv_fault_kind(h, EV_K_EXTINT_EXIT, false);
      virt_record_extint_exit(&x->virt, 0xfd);   /* the host's RESCHEDULE_VECTOR (kvm_vcpu_kick) */
      hvm_exit(h, x);
      hvm_entry(h, x);
      hv_end(h, 0);
      h->sd.ipis_received[j]++;
      h->sd.remote_flushes++;
    }
    hv_on_cpu(h, me);
  }
  if (nk) hv_step(h, EV_S_HV_IPI_WAIT, 0, (uint64_t)nk, 0);
  hv_end(h, 0);
}
