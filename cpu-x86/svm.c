/* SVM vendor table: EXITCODEs, EVENTINJ TYPE codes, and the SVM-only
 * encoders (DecodeAssists MOV-CR EXITINFO1, #NPF EXITINFO1).
 * Numbers from AMD APM Vol. 2: Appendix C (SVM intercept exit codes),
 * Appendix B (VMCB intercept vectors), 15.20 (EVENTINJ), 15.25.6 (#NPF
 * EXITINFO1/2), 15.33 (DecodeAssists). */
#include "cpu-x86/virt.h"

#define CR(n) {0x00 + n, "READ_CR" #n}, {0x10 + n, "WRITE_CR" #n}
#define DR(n) {0x20 + n, "READ_DR" #n}, {0x30 + n, "WRITE_DR" #n}
#define EX(n) {0x40 + n, "EXCP" #n}
static const struct virt_code svm_codes[] = {
  CR(0), CR(1), CR(2), CR(3), CR(4), CR(5), CR(6), CR(7),
  CR(8), CR(9), CR(10), CR(11), CR(12), CR(13), CR(14), CR(15),
  DR(0), DR(1), DR(2), DR(3), DR(4), DR(5), DR(6), DR(7),
  DR(8), DR(9), DR(10), DR(11), DR(12), DR(13), DR(14), DR(15),
  {0x40, "EXCP_DE"}, {0x41, "EXCP_DB"}, {0x42, "EXCP_NMI"}, {0x43, "EXCP_BP"},
  {0x44, "EXCP_OF"}, {0x45, "EXCP_BR"}, {0x46, "EXCP_UD"}, {0x47, "EXCP_NM"},
  {0x48, "EXCP_DF"}, {0x49, "EXCP_9"}, {0x4a, "EXCP_TS"}, {0x4b, "EXCP_NP"},
  {0x4c, "EXCP_SS"}, {0x4d, "EXCP_GP"}, {0x4e, "EXCP_PF"}, {0x4f, "EXCP_15"},
  {0x50, "EXCP_MF"}, {0x51, "EXCP_AC"}, {0x52, "EXCP_MC"}, {0x53, "EXCP_XF"},
  EX(20), EX(21), EX(22), EX(23), EX(24), EX(25), EX(26), EX(27),
  EX(28), EX(29), EX(30), EX(31),
  {0x60, "INTR"}, {0x61, "NMI"}, {0x62, "SMI"}, {0x63, "INIT"},
  {0x64, "VINTR"}, {0x65, "CR0_SEL_WRITE"}, {0x66, "IDTR_READ"},
  {0x67, "GDTR_READ"}, {0x68, "LDTR_READ"}, {0x69, "TR_READ"},
  {0x6a, "IDTR_WRITE"}, {0x6b, "GDTR_WRITE"}, {0x6c, "LDTR_WRITE"},
  {0x6d, "TR_WRITE"}, {0x6e, "RDTSC"}, {0x6f, "RDPMC"}, {0x70, "PUSHF"},
  {0x71, "POPF"}, {0x72, "CPUID"}, {0x73, "RSM"}, {0x74, "IRET"},
  {0x75, "SWINT"}, {0x76, "INVD"}, {0x77, "PAUSE"}, {0x78, "HLT"},
  {0x79, "INVLPG"}, {0x7a, "INVLPGA"}, {0x7b, "IOIO"}, {0x7c, "MSR"},
  {0x7d, "TASK_SWITCH"}, {0x7e, "FERR_FREEZE"}, {0x7f, "SHUTDOWN"},
  {0x80, "VMRUN"}, {0x81, "VMMCALL"}, {0x82, "VMLOAD"}, {0x83, "VMSAVE"},
  {0x84, "STGI"}, {0x85, "CLGI"}, {0x86, "SKINIT"}, {0x87, "RDTSCP"},
  {0x88, "ICEBP"}, {0x89, "WBINVD"}, {0x8a, "MONITOR"}, {0x8b, "MWAIT"},
  {0x8c, "MWAIT_CONDITIONAL"}, {0x8d, "XSETBV"}, {0xa2, "INVPCID"},
  {0x400, "NPF"},
};

/* APM 15.12: exception intercepts are one bit per vector; no #PF filter. */
static bool svm_exception_exits(const struct virt *v, int vector,
                                uint32_t err) {
  (void)err;
  if (vector < 0 || vector > 31) return false;
  return (v->vmcb.intercept_exceptions >> vector) & 1;
}

static bool svm_invlpg_exits(const struct virt *v) {
  return (v->vmcb.intercept_misc1 & SVM_ICPT_INVLPG) != 0;
}

const struct virt_vendor svm_vendor = {
  .name = "svm", .id = VIRT_SVM,
  .codes = svm_codes, .ncodes = sizeof svm_codes / sizeof svm_codes[0],
  /* EVENTINJ TYPE: 0 INTR, 2 NMI, 3 exception, 4 software interrupt.
   * INT3/INTO/ICEBP are injected as exceptions (type 3). */
  .ev_type = { [VIRT_EV_EXTINT] = 0, [VIRT_EV_NMI] = 2, [VIRT_EV_HWEXC] = 3,
               [VIRT_EV_SWINT] = 4, [VIRT_EV_PRIV_SWEXC] = 3,
               [VIRT_EV_SWEXC] = 3 },
  .exc_code_base = SVM_EXIT_EXCP_BASE, .exc_code_adds_vector = true,
  .cr_read_code = SVM_EXIT_READ_CR0, .cr_write_code = SVM_EXIT_WRITE_CR0,
  .cr_code_adds_crn = true,
  .invlpg_code = SVM_EXIT_INVLPG, .npf_code = SVM_EXIT_NPF,
  .misconfig_code = SVM_EXIT_NPF,   /* reserved-bit NPT entry: #NPF, RSV=1 */
  .exception_exits = svm_exception_exits,
  .invlpg_exits = svm_invlpg_exits,
};

/* APM 15.33.1: with DecodeAssists, MOV CRx intercepts set EXITINFO1[63]=1
 * and EXITINFO1[3:0] = GPR number; CLTS/LMSW leave bit 63 clear.  Without
 * DecodeAssists EXITINFO1 is 0. */
uint64_t svm_cr_exitinfo1(bool decode_assists, enum virt_cr_access acc,
                          int gpr) {
  if (!decode_assists) return 0;
  if (acc == VIRT_CR_MOV_TO || acc == VIRT_CR_MOV_FROM)
    return SVM_CR_MOV | (uint64_t)(gpr & 0xf);
  return 0;
}

/* APM 15.25.6: EXITINFO1 = #PF-style error code (P, RW, US, RSV, ID) of the
 * nested fault, bit 32 = fault on the final guest-physical translation,
 * bit 33 = fault while walking the guest page tables. */
uint64_t svm_npf_exitinfo1(const struct virt_npf *f) {
  uint64_t e = 0;
  if (f->perms != 0 || f->rsvd) e |= VIRT_PFEC_P;
  if (f->access == VIRT_ACC_WRITE) e |= VIRT_PFEC_W;
  if (f->user) e |= VIRT_PFEC_U;
  if (f->rsvd) e |= VIRT_PFEC_RSVD;
  if (f->access == VIRT_ACC_FETCH) e |= VIRT_PFEC_I;
  e |= f->final ? SVM_NPF_FINAL : SVM_NPF_GPT;
  return e;
}
