/* The one exit/entry path shared by VMX and SVM.  Decisions and field
 * placement are written once here; the vendor table (vmx.c / svm.c)
 * supplies codes, TYPE values and the vendor-specific predicates. */
#include <string.h>
#include "cpu-x86/virt.h"

#define IS_VMX(v) ((v)->vd->id == VIRT_VMX)

void virt_init(struct virt *v, enum virt_vendor_id vendor) {
  memset(v, 0, sizeof *v);
  v->vd = vendor == VIRT_VMX ? &vmx_vendor : &svm_vendor;
}

const char *virt_exit_name(const struct virt_vendor *vd, uint32_t code) {
  for (size_t i = 0; i < vd->ncodes; i++)
    if (vd->codes[i].code == code) return vd->codes[i].name;
  return "UNKNOWN";
}

uint32_t virt_exit_code(const struct virt *v) {
  return IS_VMX(v) ? v->vmcs.exit_reason : v->vmcb.exitcode;
}

/* SDM Vol. 3A Table 6-1: exceptions that push an error code. */
bool virt_vector_has_errcode(int vector) {
  switch (vector) {
  case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
    return true;
  default:
    return false;
  }
}

/* ---------------- exceptions ---------------- */

bool virt_exception_exits(const struct virt *v, int vector, uint32_t errcode) {
  return v->vd->exception_exits(v, vector, errcode);
}

void virt_set_intercept_exception(struct virt *v, int vector, bool on) {
  uint32_t *bm = IS_VMX(v) ? &v->vmcs.exception_bitmap
                           : &v->vmcb.intercept_exceptions;
  if (on) *bm |= 1u << vector; else *bm &= ~(1u << vector);
}

static void set_nrip(struct virt *v, uint8_t insn_len) {
  if (!IS_VMX(v) && v->vmcb.nrip_save) v->vmcb.nrip = v->guest_rip + insn_len;
}

/* VMX (SDM 27.2.1/27.2.2): reason 0; exit interruption info = vector |
 * type << 8 | EV << 11 | valid << 31; error code field; qualification =
 * faulting linear address for #PF.  SVM (APM 15.12): EXITCODE 0x40+vector,
 * EXITINFO1 = error code, EXITINFO2 = faulting address for #PF.  Neither
 * writes CR2 on a #PF exit. */
void virt_record_exception_exit(struct virt *v, int vector, bool has_err,
                                uint32_t err, uint64_t cr2_or_addr,
                                uint8_t insn_len) {
  const struct virt_vendor *vd = v->vd;
  uint32_t code = vd->exc_code_base + (vd->exc_code_adds_vector ? vector : 0);
  if (IS_VMX(v)) {
    struct vmcs *s = &v->vmcs;
    struct virt_event ev = { .valid = true, .vector = (uint8_t)vector,
                             .type = vector == 2 ? VIRT_EV_NMI : VIRT_EV_HWEXC,
                             .has_err = has_err, .err = err };
    s->exit_reason = code;
    s->exit_intr_info = (uint32_t)virt_encode_event(vd, &ev);
    s->exit_intr_errcode = has_err ? err : 0;
    s->exit_qualification = vector == VIRT_VEC_PF ? cr2_or_addr : 0;
    s->exit_insn_len = insn_len;
    s->entry_intr_info &= ~VIRT_INTINFO_VALID;  /* cleared on every exit */
  } else {
    struct vmcb *b = &v->vmcb;
    b->exitcode = code;
    b->exitinfo1 = has_err ? err : 0;
    b->exitinfo2 = vector == VIRT_VEC_PF ? cr2_or_addr : 0;
    b->eventinj &= ~(uint64_t)VIRT_INTINFO_VALID;
  }
}

/* ---------------- events ---------------- */

/* Common layout: vector 7:0, TYPE 10:8, EV 11, V 31; SVM adds the error
 * code in 63:32 (EVENTINJ / EXITINTINFO).  VMX keeps it in a separate
 * field. */
uint64_t virt_encode_event(const struct virt_vendor *vd,
                           const struct virt_event *ev) {
  if (!ev->valid) return 0;
  uint64_t e = ev->vector | ((uint64_t)vd->ev_type[ev->type] << 8) |
               VIRT_INTINFO_VALID;
  if (ev->has_err) {
    e |= VIRT_INTINFO_EV;
    if (vd->id == VIRT_SVM) e |= (uint64_t)ev->err << 32;
  }
  return e;
}

struct virt_event virt_decode_event(const struct virt_vendor *vd, uint64_t raw,
                                    uint32_t vmx_errfield) {
  struct virt_event ev = {0};
  if (!(raw & VIRT_INTINFO_VALID)) return ev;
  ev.valid = true;
  ev.vector = raw & VIRT_INTINFO_VEC_MASK;
  unsigned t = (raw & VIRT_INTINFO_TYPE_MASK) >> VIRT_INTINFO_TYPE_SHIFT;
  ev.type = VIRT_EV_HWEXC;
  for (int i = VIRT_EV__N - 1; i >= 0; i--)   /* first match wins */
    if (vd->ev_type[i] == t) ev.type = (enum virt_event_type)i;
  ev.has_err = (raw & VIRT_INTINFO_EV) != 0;
  if (ev.has_err) ev.err = vd->id == VIRT_SVM ? (uint32_t)(raw >> 32)
                                              : vmx_errfield;
  return ev;
}

/* VMX: VM-entry interruption information + exception error code + entry
 * instruction length (software interrupts/exceptions).  SVM: EVENTINJ.
 * Injecting #PF does not load CR2: call virt_load_guest_cr2(). */
void virt_inject_event(struct virt *v, const struct virt_event *ev,
                       uint8_t insn_len) {
  uint64_t e = virt_encode_event(v->vd, ev);
  if (IS_VMX(v)) {
    v->vmcs.entry_intr_info = (uint32_t)e;
    v->vmcs.entry_exc_errcode = ev->has_err ? ev->err : 0;
    v->vmcs.entry_insn_len = insn_len;
  } else {
    v->vmcb.eventinj = e;
  }
}

void virt_load_guest_cr2(struct virt *v, uint64_t cr2) {
  if (IS_VMX(v)) v->vmx_cr2 = cr2; else v->vmcb.cr2 = cr2;
}

uint64_t virt_guest_cr2(const struct virt *v) {
  return IS_VMX(v) ? v->vmx_cr2 : v->vmcb.cr2;
}

struct virt_event virt_vmentry(struct virt *v) {
  struct virt_event ev;
  if (IS_VMX(v)) {
    ev = virt_decode_event(v->vd, v->vmcs.entry_intr_info,
                           v->vmcs.entry_exc_errcode);
    v->vmcs.entry_intr_info &= ~VIRT_INTINFO_VALID;
  } else {
    ev = virt_decode_event(v->vd, v->vmcb.eventinj, 0);
    v->vmcb.eventinj &= ~(uint64_t)VIRT_INTINFO_VALID;
  }
  return ev;
}

/* SDM 27.2.4 IDT-vectoring information / APM 15.7.2 EXITINTINFO: same
 * encoding as the interruption information. */
void virt_record_vectoring(struct virt *v, const struct virt_event *ev) {
  uint64_t e = virt_encode_event(v->vd, ev);
  if (IS_VMX(v)) {
    v->vmcs.idt_vectoring_info = (uint32_t)e;
    v->vmcs.idt_vectoring_errcode = ev->valid && ev->has_err ? ev->err : 0;
  } else {
    v->vmcb.exitintinfo = e;
  }
}

struct virt_event virt_vectoring_event(const struct virt *v) {
  if (IS_VMX(v))
    return virt_decode_event(v->vd, v->vmcs.idt_vectoring_info,
                             v->vmcs.idt_vectoring_errcode);
  return virt_decode_event(v->vd, v->vmcb.exitintinfo, 0);
}

/* ---------------- control registers ---------------- */

/* VMX (SDM 25.1.3): MOV to CR0/CR4 exits iff a bit owned by the host
 * (mask = 1) would differ from the read shadow; MOV from CR0/CR4 never
 * exits; MOV to CR3 exits iff CR3-load exiting and the value is not one of
 * the first CR3-target-count target values; MOV from CR3 iff CR3-store
 * exiting; CR8 load/store exiting; CLTS iff TS owned and shadow TS = 1;
 * LMSW iff an owned bit of CR0[3:0] would change the shadow (PE can only be
 * set by LMSW).  SVM: one read and one write intercept bit per CR; CLTS
 * and LMSW are CR0 writes. */
bool virt_cr_access_exits(const struct virt *v, int cr,
                          enum virt_cr_access acc, uint64_t value) {
  if (!IS_VMX(v)) {
    const struct vmcb *b = &v->vmcb;
    bool write = acc != VIRT_CR_MOV_FROM;
    uint16_t bits = write ? b->intercept_cr_write : b->intercept_cr_read;
    return (bits >> (cr & 0xf)) & 1;
  }
  const struct vmcs *s = &v->vmcs;
  switch (acc) {
  case VIRT_CR_MOV_FROM:
    if (cr == 3) return s->cr3_store_exiting;
    if (cr == 8) return s->cr8_store_exiting;
    return false;
  case VIRT_CR_MOV_TO:
    if (cr == 0) return ((value ^ s->cr0_read_shadow) & s->cr0_guest_host_mask) != 0;
    if (cr == 4) return ((value ^ s->cr4_read_shadow) & s->cr4_guest_host_mask) != 0;
    if (cr == 8) return s->cr8_load_exiting;
    if (cr == 3) {
      if (!s->cr3_load_exiting) return false;
      uint32_t n = s->cr3_target_count > 4 ? 4 : s->cr3_target_count;
      for (uint32_t i = 0; i < n; i++)
        if (s->cr3_target_value[i] == value) return false;
      return true;
    }
    return false;
  case VIRT_CR_CLTS:
    return (s->cr0_guest_host_mask & 8) && (s->cr0_read_shadow & 8);
  case VIRT_CR_LMSW: {
    uint64_t m = s->cr0_guest_host_mask, sh = s->cr0_read_shadow;
    if ((m & 1) && (value & 1) && !(sh & 1)) return true;
    return ((value ^ sh) & m & 0xe) != 0;
  }
  }
  return false;
}

void virt_record_cr_exit(struct virt *v, int cr, enum virt_cr_access acc,
                         int gpr, uint16_t lmsw_src, uint8_t insn_len) {
  const struct virt_vendor *vd = v->vd;
  bool write = acc != VIRT_CR_MOV_FROM;
  uint32_t code = write ? vd->cr_write_code : vd->cr_read_code;
  if (vd->cr_code_adds_crn) code += cr & 0xf;
  if (IS_VMX(v)) {
    v->vmcs.exit_reason = code;
    v->vmcs.exit_qualification = vmx_cr_qualification(cr, acc, gpr, false,
                                                      lmsw_src);
    v->vmcs.exit_insn_len = insn_len;
    v->vmcs.exit_intr_info = 0;
  } else {
    v->vmcb.exitcode = code;
    v->vmcb.exitinfo1 = svm_cr_exitinfo1(v->vmcb.decode_assists, acc, gpr);
    v->vmcb.exitinfo2 = 0;
    set_nrip(v, insn_len);
  }
}

/* An exit with no event: the VMX reason, qualification and interruption
 * information, or the SVM EXITCODE and EXITINFO1/2 (NRIP when it saves it) */
static void record_exit(struct virt *v, uint32_t vmx_reason, uint64_t qual, uint32_t intr_info,
                        uint32_t svm_code, uint64_t info1, uint8_t insn_len) {
  if (IS_VMX(v)) {
    v->vmcs.exit_reason = vmx_reason;
    v->vmcs.exit_qualification = qual;
    v->vmcs.exit_insn_len = insn_len;
    v->vmcs.exit_intr_info = intr_info;
  } else {
    v->vmcb.exitcode = svm_code;
    v->vmcb.exitinfo1 = info1;
    v->vmcb.exitinfo2 = 0;
    set_nrip(v, insn_len);             /* (an interrupt's: the instruction it interrupted) */
  }
}

/* ---------------- INVLPG ---------------- */

bool virt_invlpg_exits(const struct virt *v) { return v->vd->invlpg_exits(v); }

/* VMX: reason 14, qualification = linear-address operand (SDM Table 28-1).
 * SVM: 0x79, EXITINFO1 = linear address with DecodeAssists (APM 15.33.2). */
void virt_record_invlpg_exit(struct virt *v, uint64_t addr, uint8_t insn_len) {
  record_exit(v, v->vd->invlpg_code, addr, 0, v->vd->invlpg_code, v->vmcb.decode_assists ? addr : 0, insn_len);
}

void virt_record_wrmsr_exit(struct virt *v, uint8_t insn_len) {
  record_exit(v, VMX_EXIT_WRMSR, 0, 0, SVM_EXIT_MSR, 1 /* 1: WRMSR, 0: RDMSR */, insn_len);
}

void virt_record_extint_exit(struct virt *v, uint8_t vector) {
  uint32_t info = VIRT_INTINFO_VALID | (uint32_t)v->vd->ev_type[VIRT_EV_EXTINT] << VIRT_INTINFO_TYPE_SHIFT | vector;
  record_exit(v, VMX_EXIT_EXT_INTR, 0, info, SVM_EXIT_INTR, 0, 0);
}

/* INVPCID exit (VMX reason 58 with "INVPCID exiting"/"enable INVPCID";
 * SVM EXITCODE 0xA2 with the INVPCID intercept, APM App. C).  VMX: the
 * qualification is the memory operand's displacement and the instruction
 * information field names the registers (not modeled); SVM: EXITINFO1 the
 * linear address of the descriptor, EXITINFO2 the type (APM 15.33.3). */
void virt_record_invpcid_exit(struct virt *v, uint64_t desc_addr, uint64_t type,
                              uint8_t insn_len) {
  if (IS_VMX(v)) {
    v->vmcs.exit_reason = VMX_EXIT_INVPCID;
    v->vmcs.exit_qualification = 0;
    v->vmcs.exit_insn_len = insn_len;
    v->vmcs.exit_intr_info = 0;
  } else {
    v->vmcb.exitcode = SVM_EXIT_INVPCID;
    v->vmcb.exitinfo1 = desc_addr;
    v->vmcb.exitinfo2 = type;
    set_nrip(v, insn_len);
  }
}

/* ---------------- EPT violation / misconfiguration / #NPF ------------ */

/* VMX: rsvd -> EPT misconfiguration (49, qualification undefined = 0),
 * else EPT violation (48) with the Table 28-7 qualification; both record
 * the guest-physical address, the guest-linear address when valid.
 * SVM: #NPF 0x400, EXITINFO1 error code, EXITINFO2 = guest-physical. */
void virt_record_npf_exit(struct virt *v, const struct virt_npf *f,
                          uint8_t insn_len) {
  if (IS_VMX(v)) {
    struct vmcs *s = &v->vmcs;
    s->exit_reason = f->rsvd ? v->vd->misconfig_code : v->vd->npf_code;
    s->exit_qualification = f->rsvd ? 0 : vmx_ept_violation_qual(f);
    s->guest_phys_addr = f->gpa;
    s->guest_linear_addr = f->gla_valid && !f->rsvd ? f->gla : 0;
    s->exit_intr_info = 0;
    s->exit_insn_len = insn_len;
  } else {
    v->vmcb.exitcode = f->rsvd ? v->vd->misconfig_code : v->vd->npf_code;
    v->vmcb.exitinfo1 = svm_npf_exitinfo1(f);
    v->vmcb.exitinfo2 = f->gpa;
  }
}
