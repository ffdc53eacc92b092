/* Shared by the hardware-virtualization modes (hvm_nested.c, hvm_shadow.c):
 * the one exit path for VMX and SVM.  The vendor (--cpu) picks the VMCS or
 * VMCB model of cpu-x86/virt.h, and with it the exit codes, the encodings
 * and the exit/entry costs; the modes only say which exit happened. */
#ifndef FAULTLINE_HV_MODELS_HVM_H
#define FAULTLINE_HV_MODELS_HVM_H
#include "hv-models/hv.h"
#include "cpu-x86/virt.h"

/* The hypervisor's direct map of machine memory in its own address space.
 * Xen's DIRECTMAP_VIRT_START; KVM's host uses page_offset_base, which is
 * where the guest kernel keeps its own direct map in this model, so the
 * HVM modes use Xen's address to keep the two apart in the TLB. */
#define HV_DIRECT_MAP 0xffff830000000000ull

struct hvm {
  struct virt virt;          /* VMCS or VMCB, per --cpu */
  bool tagged_tlb;           /* VPID (VMX) / ASID (SVM): entries survive exits */
  int depth;                 /* exits in progress (an exit inside an exit is a bug) */
  bool flush_pending;        /* the guest's TLB must be flushed before entry */
  bool ipi_virt, posted_intr; /* hvm.ipi_virt, hvm.posted_intr */
};

/* --cpus: each vCPU's own VMCS/VMCB and exit state; the running one is the
 * mode's struct hvm, the others wait in saved[] (hvm_select_cpu) */
struct hvm_cpus { struct hvm saved[HV_MAX_CPUS]; };
void hvm_cpus_init(struct hv *h, struct hvm_cpus *c, const struct hvm *x);
void hvm_select_cpu(struct hvm_cpus *c, struct hvm *x, int from, int to);
/* the x2APIC virtualization: the guest's ICR write (an exit unless IPI
 * virtualization), and the target's interrupt and EOI (exits unless posted
 * interrupts) */
void hvm_ipi_send(struct hv *h, struct hvm *x, int target);
void hvm_ipi_receive(struct hv *h, struct hvm *x, bool eoi);
/* KVM's kvm_flush_remote_tlbs: every other vCPU flushes its guest TLB
 * before its next entry; the running ones are kicked out of guest mode
 * (a host IPI, an external-interrupt exit) and the sender waits.  The
 * mode's priv must begin with its struct hvm. */
void hvm_remote_flush(struct hv *h);
/* the hv_mode hook: the running vCPU's guest TLB flushed as its next entry would */
void hvm_flush_on_entry(struct hv *h);

/* read costs, set up the vendor's control block */
int hvm_init(struct hv *h, struct hvm *x);
/* the exit recorded in x->virt has happened: vm.exit + hv.dispatch */
void hvm_exit(struct hv *h, struct hvm *x);
/* VM entry, consuming any injected event */
void hvm_entry(struct hv *h, struct hvm *x);
bool hvm_is_amd(const struct hv *h);
/* The hypervisor changed translations the guest's TLB may hold: flush the
 * guest's (VPID's / ASID's) entries before the next entry — INVVPID
 * single-context on VMX, TLB_CONTROL = FLUSH_ASID on SVM. */
void hvm_flush_guest_tlb(struct hv *h, struct hvm *x);

#endif
