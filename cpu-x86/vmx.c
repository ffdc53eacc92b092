/* VMX vendor table: basic exit reasons, event TYPE codes, and the VMX-only
 * encoders (CR-access qualification, EPT-violation qualification).
 * Numbers from Intel SDM Vol. 3C: Appendix C (basic exit reasons), 24.8.3
 * and 24.9.2 (interruption-information types), 25.2 (exception bitmap and
 * PFEC mask/match), Table 28-3 (CR-access qualification), Table 28-7
 * (EPT-violation qualification). */
#include "cpu-x86/virt.h"

static const struct virt_code vmx_codes[] = {
  {0, "EXCEPTION_NMI"}, {1, "EXTERNAL_INTERRUPT"}, {2, "TRIPLE_FAULT"},
  {3, "INIT"}, {4, "SIPI"}, {5, "IO_SMI"}, {6, "OTHER_SMI"},
  {7, "INTERRUPT_WINDOW"}, {8, "NMI_WINDOW"}, {9, "TASK_SWITCH"},
  {10, "CPUID"}, {11, "GETSEC"}, {12, "HLT"}, {13, "INVD"}, {14, "INVLPG"},
  {15, "RDPMC"}, {16, "RDTSC"}, {17, "RSM"}, {18, "VMCALL"},
  {19, "VMCLEAR"}, {20, "VMLAUNCH"}, {21, "VMPTRLD"}, {22, "VMPTRST"},
  {23, "VMREAD"}, {24, "VMRESUME"}, {25, "VMWRITE"}, {26, "VMXOFF"},
  {27, "VMXON"}, {28, "CR_ACCESS"}, {29, "DR_ACCESS"},
  {30, "IO_INSTRUCTION"}, {31, "RDMSR"}, {32, "WRMSR"},
  {33, "ENTRY_FAIL_GUEST_STATE"}, {34, "ENTRY_FAIL_MSR_LOAD"},
  {36, "MWAIT"}, {37, "MONITOR_TRAP_FLAG"}, {39, "MONITOR"}, {40, "PAUSE"},
  {41, "ENTRY_FAIL_MACHINE_CHECK"}, {43, "TPR_BELOW_THRESHOLD"},
  {44, "APIC_ACCESS"}, {45, "VIRTUALIZED_EOI"}, {46, "GDTR_IDTR"},
  {47, "LDTR_TR"}, {48, "EPT_VIOLATION"}, {49, "EPT_MISCONFIG"},
  {50, "INVEPT"}, {51, "RDTSCP"}, {52, "PREEMPTION_TIMER"},
  {53, "INVVPID"}, {54, "WBINVD"}, {55, "XSETBV"}, {56, "APIC_WRITE"},
  {57, "RDRAND"}, {58, "INVPCID"}, {59, "VMFUNC"}, {60, "ENCLS"},
  {61, "RDSEED"}, {62, "PML_FULL"}, {63, "XSAVES"}, {64, "XRSTORS"},
};

/* SDM 25.2: vector != 14 exits iff its exception-bitmap bit is 1.
 * #PF: bit 14 = 1 -> exits iff (PFEC & MASK) == MATCH;
 *      bit 14 = 0 -> exits iff (PFEC & MASK) != MATCH. */
static bool vmx_exception_exits(const struct virt *v, int vector,
                                uint32_t err) {
  const struct vmcs *s = &v->vmcs;
  if (vector < 0 || vector > 31) return false;
  bool bit = (s->exception_bitmap >> vector) & 1;
  if (vector != VIRT_VEC_PF) return bit;
  bool match = (err & s->pfec_mask) == s->pfec_match;
  return bit ? match : !match;
}

static bool vmx_invlpg_exits(const struct virt *v) {
  return v->vmcs.invlpg_exiting;
}

const struct virt_vendor vmx_vendor = {
  .name = "vmx", .id = VIRT_VMX,
  .codes = vmx_codes, .ncodes = sizeof vmx_codes / sizeof vmx_codes[0],
  .ev_type = { [VIRT_EV_EXTINT] = 0, [VIRT_EV_NMI] = 2, [VIRT_EV_HWEXC] = 3,
               [VIRT_EV_SWINT] = 4, [VIRT_EV_PRIV_SWEXC] = 5,
               [VIRT_EV_SWEXC] = 6 },
  .exc_code_base = VMX_EXIT_EXCEPTION_NMI, .exc_code_adds_vector = false,
  .cr_read_code = VMX_EXIT_CR_ACCESS, .cr_write_code = VMX_EXIT_CR_ACCESS,
  .cr_code_adds_crn = false,
  .invlpg_code = VMX_EXIT_INVLPG, .npf_code = VMX_EXIT_EPT_VIOLATION,
  .misconfig_code = VMX_EXIT_EPT_MISCONFIG,
  .exception_exits = vmx_exception_exits,
  .invlpg_exits = vmx_invlpg_exits,
};

/* SDM Table 28-3: bits 3:0 CR number, 5:4 access type (0 MOV to CR,
 * 1 MOV from CR, 2 CLTS, 3 LMSW), 6 LMSW operand type (1 = memory),
 * 11:8 GPR for MOV CR, 31:16 LMSW source data. */
uint64_t vmx_cr_qualification(int cr, enum virt_cr_access acc, int gpr,
                              bool lmsw_mem, uint16_t lmsw_src) {
  uint64_t q = (uint64_t)(cr & 0xf) | ((uint64_t)(acc & 3) << 4);
  if (acc == VIRT_CR_MOV_TO || acc == VIRT_CR_MOV_FROM)
    q |= (uint64_t)(gpr & 0xf) << 8;
  if (acc == VIRT_CR_LMSW) {
    if (lmsw_mem) q |= 1u << 6;
    q |= (uint64_t)lmsw_src << 16;
  }
  return q;
}

/* SDM Table 28-7: bit 0 read, 1 write, 2 fetch; bits 3-5 the R/W/X of the
 * guest-physical translation (AND over the EPT walk); bit 7 guest-linear
 * address valid; bit 8 (only if bit 7) 1 = access to the final
 * translation, 0 = access to a guest paging-structure entry. */
uint64_t vmx_ept_violation_qual(const struct virt_npf *f) {
  uint64_t q = 0;
  switch (f->access) {
  case VIRT_ACC_READ:  q |= 1u << 0; break;
  case VIRT_ACC_WRITE: q |= 1u << 1; break;
  case VIRT_ACC_FETCH: q |= 1u << 2; break;
  }
  if (f->perms & VIRT_PERM_R) q |= 1u << 3;
  if (f->perms & VIRT_PERM_W) q |= 1u << 4;
  if (f->perms & VIRT_PERM_X) q |= 1u << 5;
  if (f->gla_valid) {
    q |= 1u << 7;
    if (f->final) q |= 1u << 8;
  }
  return q;
}
