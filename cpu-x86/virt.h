/* faultline hardware-virtualization model: the VMX (Intel) and SVM (AMD)
 * exit/entry *decision and encoding* logic as data and pure functions.
 *
 * One exit path (virt.c) is parameterized by a vendor table (vmx.c, svm.c):
 * the shared code decides *what* happened (exception intercepted? CR access
 * exits? event interrupted?) and builds the generic facts; the vendor table
 * supplies the numbers (exit reasons / EXITCODEs, event TYPE codes) and
 * places them in the vendor's control block (VMCS / VMCB).
 *
 * Sources: Intel SDM Vol. 3C ch. 24-28 (VMCS fields, 25.2 "Other Causes of
 * VM Exits", 27.2 exit information, Table 28-7 EPT-violation qualification,
 * Appendix C basic exit reasons); AMD APM Vol. 2 ch. 15 (VMCB layout,
 * 15.20 event injection, 15.25 nested paging #NPF, 15.33 decode assists,
 * Appendix C SVM intercept exit codes).  No hypervisor mode lives here. */
#ifndef FAULTLINE_CPU_X86_VIRT_H
#define FAULTLINE_CPU_X86_VIRT_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* #PF error-code bits (SDM Vol. 3A 4.7) used by PFEC mask/match and NPF. */
#define VIRT_PFEC_P    (1u << 0)
#define VIRT_PFEC_W    (1u << 1)
#define VIRT_PFEC_U    (1u << 2)
#define VIRT_PFEC_RSVD (1u << 3)
#define VIRT_PFEC_I    (1u << 4)
#define VIRT_VEC_PF    14

/* Interruption-information / EVENTINJ / EXITINTINFO common layout:
 * bits 7:0 vector, 10:8 type, 11 error-code valid, 31 valid.
 * (VMX: SDM 24.8.3/24.9.2/24.9.3; SVM: APM 15.20, EVENTINJ has the error
 * code in bits 63:32.) */
#define VIRT_INTINFO_VEC_MASK 0xffu
#define VIRT_INTINFO_TYPE_SHIFT 8
#define VIRT_INTINFO_TYPE_MASK (7u << 8)
#define VIRT_INTINFO_EV       (1u << 11)
#define VIRT_INTINFO_VALID    (1u << 31)

enum virt_vendor_id { VIRT_VMX, VIRT_SVM };

/* Generic event kinds; the vendor table maps them to TYPE codes. */
enum virt_event_type {
  VIRT_EV_EXTINT,     /* VMX 0, SVM 0 (INTR) */
  VIRT_EV_NMI,        /* VMX 2, SVM 2 */
  VIRT_EV_HWEXC,      /* VMX 3, SVM 3 (exception) */
  VIRT_EV_SWINT,      /* VMX 4, SVM 4 (INTn) */
  VIRT_EV_PRIV_SWEXC, /* VMX 5 (INT1/ICEBP); SVM 3 */
  VIRT_EV_SWEXC,      /* VMX 6 (INT3/INTO); SVM 3 */
  VIRT_EV__N
};

struct virt_event {
  bool valid;
  enum virt_event_type type;
  uint8_t vector;
  bool has_err;
  uint32_t err;
};

/* VMX basic exit reasons used by the fault paths (SDM Vol. 3C App. C). */
enum {
  VMX_EXIT_EXCEPTION_NMI = 0, VMX_EXIT_EXT_INTR = 1, VMX_EXIT_TRIPLE_FAULT = 2,
  VMX_EXIT_TASK_SWITCH = 9, VMX_EXIT_CPUID = 10, VMX_EXIT_HLT = 12,
  VMX_EXIT_INVLPG = 14, VMX_EXIT_VMCALL = 18, VMX_EXIT_CR_ACCESS = 28,
  VMX_EXIT_WRMSR = 32,
  VMX_EXIT_EPT_VIOLATION = 48, VMX_EXIT_EPT_MISCONFIG = 49,
  VMX_EXIT_INVEPT = 50, VMX_EXIT_INVVPID = 53, VMX_EXIT_INVPCID = 58,
};
/* SVM EXITCODEs (APM Vol. 2 App. C). */
enum {
  SVM_EXIT_READ_CR0 = 0x00,   /* 0x00-0x0F: READ_CR0..READ_CR15 */
  SVM_EXIT_WRITE_CR0 = 0x10,  /* 0x10-0x1F: WRITE_CR0..WRITE_CR15 */
  SVM_EXIT_EXCP_BASE = 0x40,  /* 0x40-0x5F: EXCP0..EXCP31 */
  SVM_EXIT_PF = 0x4e,
  SVM_EXIT_INTR = 0x60, SVM_EXIT_NMI = 0x61, SVM_EXIT_CPUID = 0x72,
  SVM_EXIT_HLT = 0x78, SVM_EXIT_INVLPG = 0x79, SVM_EXIT_INVLPGA = 0x7a,
  SVM_EXIT_SHUTDOWN = 0x7f, SVM_EXIT_VMRUN = 0x80, SVM_EXIT_VMMCALL = 0x81,
  SVM_EXIT_MSR = 0x7c, SVM_EXIT_INVPCID = 0xa2, SVM_EXIT_NPF = 0x400,
};

/* ---- VMCS model (only the fields the fault paths touch) ---- */
struct vmcs {
  /* VM-exit information (SDM 24.9) */
  uint32_t exit_reason;
  uint64_t exit_qualification;
  uint64_t guest_linear_addr;
  uint64_t guest_phys_addr;
  uint32_t exit_intr_info, exit_intr_errcode;
  uint32_t exit_insn_len;
  uint32_t idt_vectoring_info, idt_vectoring_errcode;
  /* VM-entry event injection (SDM 24.8.3) */
  uint32_t entry_intr_info, entry_exc_errcode, entry_insn_len;
  /* VM-execution controls (SDM 24.6) */
  uint32_t exception_bitmap, pfec_mask, pfec_match;
  uint64_t cr0_guest_host_mask, cr4_guest_host_mask;
  uint64_t cr0_read_shadow, cr4_read_shadow;
  bool cr3_load_exiting, cr3_store_exiting;
  bool cr8_load_exiting, cr8_store_exiting;
  uint64_t cr3_target_value[4];
  uint32_t cr3_target_count;
  bool invlpg_exiting;
  bool enable_vpid;  uint16_t vpid;
  bool enable_ept;   uint64_t eptp;
};

/* SVM intercept vector 3 (VMCB 0x00C) and 4 (0x010) bits (APM App. B). */
#define SVM_ICPT_INTR    (1u << 0)
#define SVM_ICPT_NMI     (1u << 1)
#define SVM_ICPT_CPUID   (1u << 18)
#define SVM_ICPT_HLT     (1u << 24)
#define SVM_ICPT_INVLPG  (1u << 25)
#define SVM_ICPT_SHUTDOWN (1u << 31)
#define SVM_ICPT2_VMRUN  (1u << 0)
#define SVM_ICPT2_VMMCALL (1u << 1)
/* TLB_CONTROL (VMCB 0x05C) */
enum { SVM_TLB_NOTHING = 0, SVM_TLB_FLUSH_ALL = 1, SVM_TLB_FLUSH_ASID = 3,
       SVM_TLB_FLUSH_ASID_NONGLOBAL = 7 };
/* EXITINFO1 of #NPF: bits 32/33 (APM 15.25.6) */
#define SVM_NPF_FINAL (1ull << 32)
#define SVM_NPF_GPT   (1ull << 33)
/* DecodeAssists MOV-CR EXITINFO1 bit 63 (APM 15.33.1) */
#define SVM_CR_MOV    (1ull << 63)

/* ---- VMCB model ---- */
struct vmcb {
  /* control area */
  uint16_t intercept_cr_read, intercept_cr_write;  /* bit n = CRn */
  uint32_t intercept_exceptions;                   /* bit n = vector n */
  uint32_t intercept_misc1, intercept_misc2;       /* vectors 3 and 4 */
  uint32_t asid;
  uint8_t tlb_control;
  bool np_enable;  uint64_t ncr3;
  uint32_t exitcode;  /* architecturally 64-bit; -1 never produced here */
  uint64_t exitinfo1, exitinfo2;
  uint64_t exitintinfo;
  uint64_t eventinj;
  uint64_t nrip;
  bool nrip_save;       /* CPUID Fn8000_000A EDX[3]: NRIP written on exit */
  bool decode_assists;  /* CPUID Fn8000_000A EDX[7] */
  /* state save area */
  uint64_t cr2;
};

/* Exit-code name table: one per vendor, used by code and for printing. */
struct virt_code { uint32_t code; const char *name; };

struct virt;
struct virt_vendor {
  const char *name;
  enum virt_vendor_id id;
  const struct virt_code *codes;
  size_t ncodes;
  uint8_t ev_type[VIRT_EV__N];     /* generic type -> vendor TYPE field */
  uint32_t exc_code_base;          /* exception exit: base (+vector on SVM) */
  bool exc_code_adds_vector;
  uint32_t cr_read_code, cr_write_code; /* SVM: + CR number; VMX: both 28 */
  bool cr_code_adds_crn;
  uint32_t invlpg_code, npf_code, misconfig_code;
  /* decisions */
  bool (*exception_exits)(const struct virt *v, int vector, uint32_t err);
  bool (*invlpg_exits)(const struct virt *v);
};
extern const struct virt_vendor vmx_vendor, svm_vendor;

struct virt {
  const struct virt_vendor *vd;
  struct vmcs vmcs;      /* used when vd->id == VIRT_VMX */
  struct vmcb vmcb;      /* used when vd->id == VIRT_SVM */
  uint64_t guest_rip;    /* RIP of the exiting instruction */
  /* VMX only: CR2 is not a VMCS field; the VMM loads the physical CR2
   * before VM entry and it survives entry into the guest. */
  uint64_t vmx_cr2;
};

void virt_init(struct virt *v, enum virt_vendor_id vendor);
const char *virt_exit_name(const struct virt_vendor *vd, uint32_t code);

/* ---- exceptions ---- */
bool virt_exception_exits(const struct virt *v, int vector, uint32_t errcode);
bool virt_vector_has_errcode(int vector);
void virt_record_exception_exit(struct virt *v, int vector, bool has_err,
                                uint32_t err, uint64_t cr2_or_addr,
                                uint8_t insn_len);
void virt_set_intercept_exception(struct virt *v, int vector, bool on);

/* ---- events ---- */
uint64_t virt_encode_event(const struct virt_vendor *vd,
                           const struct virt_event *ev);
struct virt_event virt_decode_event(const struct virt_vendor *vd, uint64_t raw,
                                    uint32_t vmx_errfield);
void virt_inject_event(struct virt *v, const struct virt_event *ev,
                       uint8_t insn_len);
/* Where the VMM must put CR2 before entry when injecting #PF
 * (VMX: physical CR2 = v->vmx_cr2; SVM: VMCB.CR2). */
void virt_load_guest_cr2(struct virt *v, uint64_t cr2);
uint64_t virt_guest_cr2(const struct virt *v);
/* VM entry: consume the pending injection; the event the guest receives is
 * returned (valid=false if none).  CR2 is never touched by entry. */
struct virt_event virt_vmentry(struct virt *v);
/* Exit interrupted delivery of ev: IDT-vectoring info / EXITINTINFO. */
void virt_record_vectoring(struct virt *v, const struct virt_event *ev);
struct virt_event virt_vectoring_event(const struct virt *v);

/* ---- control registers ---- */
enum virt_cr_access { VIRT_CR_MOV_TO = 0, VIRT_CR_MOV_FROM = 1,
                      VIRT_CR_CLTS = 2, VIRT_CR_LMSW = 3 };
bool virt_cr_access_exits(const struct virt *v, int cr,
                          enum virt_cr_access acc, uint64_t value);
void virt_record_cr_exit(struct virt *v, int cr, enum virt_cr_access acc,
                         int gpr, uint16_t lmsw_src, uint8_t insn_len);
uint64_t vmx_cr_qualification(int cr, enum virt_cr_access acc, int gpr,
                              bool lmsw_mem, uint16_t lmsw_src);
uint64_t svm_cr_exitinfo1(bool decode_assists, enum virt_cr_access acc,
                          int gpr);

/* ---- INVLPG ---- */
bool virt_invlpg_exits(const struct virt *v);
void virt_record_invlpg_exit(struct virt *v, uint64_t addr, uint8_t insn_len);
/* WRMSR exit of an intercepted MSR write (VMX reason 32: qualification 0,
 * the MSR and value in ECX and EDX:EAX; SVM EXITCODE 0x7C with EXITINFO1 = 1
 * for a write, APM 15.11) */
void virt_record_wrmsr_exit(struct virt *v, uint8_t insn_len);
/* external-interrupt exit (VMX reason 1; with "acknowledge interrupt on
 * exit" the vector is in the exit interruption information, SDM 27.2.2;
 * SVM EXITCODE 0x60 INTR, no information) */
void virt_record_extint_exit(struct virt *v, uint8_t vector);

void virt_record_invpcid_exit(struct virt *v, uint64_t desc_addr, uint64_t type,
                              uint8_t insn_len);

/* ---- second-level translation faults (EPT violation / #NPF) ---- */
enum virt_access { VIRT_ACC_READ, VIRT_ACC_WRITE, VIRT_ACC_FETCH };
#define VIRT_PERM_R 1u
#define VIRT_PERM_W 2u
#define VIRT_PERM_X 4u
struct virt_npf {
  enum virt_access access;
  uint8_t perms;      /* R/W/X of the 2nd-level translation; 0 = not present */
  bool user;          /* SVM: U bit of EXITINFO1 */
  bool rsvd;          /* reserved-bit / misconfigured entry */
  bool gla_valid;     /* access had a guest-linear address */
  bool final;         /* to the final translation (vs. a guest PT entry) */
  uint64_t gpa, gla;
};
uint64_t vmx_ept_violation_qual(const struct virt_npf *f);
uint64_t svm_npf_exitinfo1(const struct virt_npf *f);
void virt_record_npf_exit(struct virt *v, const struct virt_npf *f,
                          uint8_t insn_len);

/* ---- generic view of the last exit (code + info), for logging ---- */
uint32_t virt_exit_code(const struct virt *v);

#endif
