/* Shared by the hardware-virtualization modes (hvm_nested.c, hvm_shadow.c):
 * the one exit path for VMX and SVM.  The vendor (--cpu) picks the VMCS or
 * VMCB model of cpu-x86/virt.h, and with it the exit codes, the encodings
 * and the exit/entry costs; the modes only say which exit happened. */
#ifndef FAULTLINE_HV_MODELS_HVM_H
#define FAULTLINE_HV_MODELS_HVM_H
#include "hv-models/hv.h"
#include "cpu-x86/virt.h"

/* cost slots after the Linux guest handler's (h->cost[LINUX_COSTS + i]) */
enum {
  HC_EXIT, HC_ENTRY, HC_DISPATCH, HC_INJECT,
  HC_NESTED_FILL, HC_NESTED_PT_ALLOC, HC_HOST_BACKING,
  HC_SHADOW_WALK, HC_SHADOW_PT_ALLOC, HC_SHADOW_WRPROT, HC_SHADOW_FILL,
  HC_PTE_EMULATE, HC_SHADOW_RESYNC_ENTRY, HC_SHADOW_UNSYNC, HC_UNSHADOW,
  HC_SHADOW_CR3, HC_SHADOW_INVLPG, HC_CR3_WRITE, HC_TLB_FLUSH,
  HC__COUNT
};
#define HC(h, name) ((h)->cost[LINUX_COSTS + HC_##name])

struct hvm {
  struct virt virt;          /* VMCS or VMCB, per --cpu */
  bool tagged_tlb;           /* VPID (VMX) / ASID (SVM): entries survive exits */
  int depth;                 /* exits in progress (an exit inside an exit is a bug) */
  bool flush_pending;        /* the guest's TLB must be flushed before entry */
};

/* read costs, set up the vendor's control block */
int hvm_init(struct hv *h, struct hvm *x);
/* charge one step of the mode (hypervisor steps also touch the hypervisor's
 * footprint through the caches when modeled) */
void hvm_step(struct hv *h, int layer, int step, uint64_t cycles, uint64_t arg);
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
