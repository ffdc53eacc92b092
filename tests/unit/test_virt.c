/* VMX / SVM exit and entry encodings against the values the Intel SDM
 * Vol. 3C and AMD APM Vol. 2 define:
 *  - SDM 25.2 exception bitmap + PFEC mask/match (exhaustive truth table
 *    against a predicate written from the SDM sentence);
 *  - SDM 24.8.3 / 24.9.2 / 27.2.4 interruption-information layout and types,
 *    APM 15.20 EVENTINJ / 15.7.2 EXITINTINFO;
 *  - SDM Table 28-3 CR-access qualification, 25.1.3 CR0/CR4 masks and
 *    CR3-target values; APM 15.33 DecodeAssists, NRIP;
 *  - SDM Table 28-7 EPT-violation qualification, APM 15.25.6 #NPF;
 *  - SDM App. C exit reasons, APM App. C exit codes. */
#include <criterion/criterion.h>
#include "cpu-x86/virt.h"

static struct virt vmx, svm;
static void setup(void) {
  virt_init(&vmx, VIRT_VMX);
  virt_init(&svm, VIRT_SVM);
}
TestSuite(virt, .init = setup);

/* ---------------- exit-code tables ---------------- */

Test(virt, vendor_tables) {
  const struct { uint32_t c; const char *n; } vx[] = {
    {0, "EXCEPTION_NMI"}, {10, "CPUID"}, {12, "HLT"}, {14, "INVLPG"},
    {18, "VMCALL"}, {28, "CR_ACCESS"}, {48, "EPT_VIOLATION"},
    {49, "EPT_MISCONFIG"}, {53, "INVVPID"},
  };
  for (size_t i = 0; i < sizeof vx / sizeof vx[0]; i++)
    cr_expect_str_eq(virt_exit_name(&vmx_vendor, vx[i].c), vx[i].n);
  const struct { uint32_t c; const char *n; } sx[] = {
    {0x00, "READ_CR0"}, {0x03, "READ_CR3"}, {0x13, "WRITE_CR3"},
    {0x14, "WRITE_CR4"}, {0x1f, "WRITE_CR15"}, {0x4e, "EXCP_PF"},
    {0x4d, "EXCP_GP"}, {0x5f, "EXCP31"}, {0x60, "INTR"}, {0x72, "CPUID"},
    {0x78, "HLT"}, {0x79, "INVLPG"}, {0x7f, "SHUTDOWN"}, {0x80, "VMRUN"},
    {0x81, "VMMCALL"}, {0xa2, "INVPCID"}, {0x400, "NPF"},
  };
  for (size_t i = 0; i < sizeof sx / sizeof sx[0]; i++)
    cr_expect_str_eq(virt_exit_name(&svm_vendor, sx[i].c), sx[i].n);
  cr_expect_str_eq(virt_exit_name(&vmx_vendor, 35), "UNKNOWN");
  /* codes unique, tables sorted ascending */
  for (size_t i = 1; i < vmx_vendor.ncodes; i++)
    cr_expect_lt(vmx_vendor.codes[i - 1].code, vmx_vendor.codes[i].code);
  cr_expect_eq(svm_vendor.ncodes, 32 + 32 + 32 + 46 + 1 + 1);   /* ... + INVPCID + NPF */
}

/* ---------------- exception bitmap / PFEC ---------------- */

/* SDM 25.2: "If bit 14 of the exception bitmap is 1, a page fault causes a
 * VM exit if and only if PFEC & PFEC_MASK = PFEC_MATCH.  If bit 14 of the
 * exception bitmap is 0, a page fault causes a VM exit if and only if
 * PFEC & PFEC_MASK != PFEC_MATCH." */
static bool sdm_pf_exits(bool bit14, uint32_t mask, uint32_t match,
                         uint32_t pfec) {
  if (bit14) return (pfec & mask) == match;
  return (pfec & mask) != match;
}

Test(virt, pfec_mask_match_truth_table) {
  unsigned exits = 0, n = 0;
  for (int b = 0; b < 2; b++)
    for (uint32_t mask = 0; mask < 32; mask++)
      for (uint32_t match = 0; match < 32; match++) {
        vmx.vmcs.exception_bitmap = b ? 1u << 14 : 0;
        vmx.vmcs.pfec_mask = mask;
        vmx.vmcs.pfec_match = match;
        for (uint32_t pfec = 0; pfec < 32; pfec++, n++) {
          bool want = sdm_pf_exits(b, mask, match, pfec);
          bool got = virt_exception_exits(&vmx, 14, pfec);
          exits += got;
          if (got != want)
            cr_assert_fail("bit14=%d mask=%#x match=%#x pfec=%#x: got %d",
                           b, mask, match, pfec, got);
        }
      }
  cr_expect_eq(n, 65536);
  /* For each (bit14, mask, pfec), exactly one match value equals
   * pfec&mask; so bit14=1 exits 2^5*2^5*1 times, bit14=0 the rest (31/32). */
  cr_expect_eq(exits, 32 * 32 + 32 * 32 * 31);
}

Test(virt, pfec_documented_corners) {
  /* SDM: mask = match = 0 -> bit 14 alone decides (all or none). */
  vmx.vmcs.exception_bitmap = 1u << 14;
  cr_expect(virt_exception_exits(&vmx, 14, VIRT_PFEC_P | VIRT_PFEC_W));
  vmx.vmcs.exception_bitmap = 0;
  cr_expect_not(virt_exception_exits(&vmx, 14, VIRT_PFEC_P | VIRT_PFEC_W));
  /* bit14=0, mask=0, match=0xffffffff -> every #PF exits. */
  vmx.vmcs.pfec_match = 0xffffffffu;
  cr_expect(virt_exception_exits(&vmx, 14, 0));
  /* Exit only on not-present faults: bit14=1, mask=P, match=0. */
  vmx.vmcs.exception_bitmap = 1u << 14;
  vmx.vmcs.pfec_mask = VIRT_PFEC_P; vmx.vmcs.pfec_match = 0;
  cr_expect(virt_exception_exits(&vmx, 14, VIRT_PFEC_W | VIRT_PFEC_U));
  cr_expect_not(virt_exception_exits(&vmx, 14, VIRT_PFEC_P | VIRT_PFEC_W));
}

Test(virt, exception_bitmap_other_vectors_ignore_pfec) {
  vmx.vmcs.pfec_mask = 0x1f; vmx.vmcs.pfec_match = 0x1f;
  for (int vec = 0; vec < 32; vec++) {
    if (vec == 14) continue;
    vmx.vmcs.exception_bitmap = 0;
    cr_expect_not(virt_exception_exits(&vmx, vec, 0));
    virt_set_intercept_exception(&vmx, vec, true);
    cr_expect_eq(vmx.vmcs.exception_bitmap, 1u << vec);
    cr_expect(virt_exception_exits(&vmx, vec, 0), "vector %d", vec);
    cr_expect(virt_exception_exits(&vmx, vec, 0x1234), "vector %d", vec);
  }
}

Test(virt, svm_exception_intercepts) {
  for (int vec = 0; vec < 32; vec++) {
    svm.vmcb.intercept_exceptions = ~(1u << vec);
    for (uint32_t pfec = 0; pfec < 32; pfec++)
      cr_expect_not(virt_exception_exits(&svm, vec, pfec));
    svm.vmcb.intercept_exceptions = 0;
    virt_set_intercept_exception(&svm, vec, true);
    cr_expect_eq(svm.vmcb.intercept_exceptions, 1u << vec);
    for (uint32_t pfec = 0; pfec < 32; pfec++)
      cr_expect(virt_exception_exits(&svm, vec, pfec), "vector %d", vec);
  }
  cr_expect_not(virt_exception_exits(&svm, 32, 0));
}

/* ---------------- exception exits ---------------- */

Test(virt, vmx_pf_exit_fields) {
  vmx.vmx_cr2 = 0x1111;
  virt_record_exception_exit(&vmx, 14, true, VIRT_PFEC_W | VIRT_PFEC_U,
                             0x7fff1234, 3);
  cr_expect_eq(vmx.vmcs.exit_reason, 0);
  /* vector 14 | type 3 << 8 | EV | valid */
  cr_expect_eq(vmx.vmcs.exit_intr_info, 0x80000b0eu);
  cr_expect_eq(vmx.vmcs.exit_intr_errcode, 6);
  cr_expect_eq(vmx.vmcs.exit_qualification, 0x7fff1234);
  cr_expect_eq(virt_guest_cr2(&vmx), 0x1111, "CR2 must not be written");
  virt_record_exception_exit(&vmx, 13, true, 0x18, 0, 2);
  cr_expect_eq(vmx.vmcs.exit_intr_info, 0x80000b0du);
  cr_expect_eq(vmx.vmcs.exit_qualification, 0);
  virt_record_exception_exit(&vmx, 6, false, 0, 0, 2);
  cr_expect_eq(vmx.vmcs.exit_intr_info, 0x80000306u);
  virt_record_exception_exit(&vmx, 2, false, 0, 0, 0);
  cr_expect_eq(vmx.vmcs.exit_intr_info, 0x80000202u, "NMI type 2");
}

Test(virt, svm_pf_exit_fields) {
  svm.vmcb.cr2 = 0x2222;
  virt_record_exception_exit(&svm, 14, true, VIRT_PFEC_P | VIRT_PFEC_W,
                             0xdeadb000, 3);
  cr_expect_eq(svm.vmcb.exitcode, 0x4e);
  cr_expect_eq(svm.vmcb.exitinfo1, 3);
  cr_expect_eq(svm.vmcb.exitinfo2, 0xdeadb000);
  cr_expect_eq(svm.vmcb.cr2, 0x2222);
  for (int vec = 0; vec < 32; vec++) {
    virt_record_exception_exit(&svm, vec, virt_vector_has_errcode(vec), 0x10,
                               0, 0);
    cr_expect_eq(svm.vmcb.exitcode, 0x40u + vec);
    cr_expect_eq(virt_exit_code(&svm), 0x40u + vec);
  }
}

Test(virt, errcode_vectors) {
  uint32_t want = (1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) |
                  (1u << 13) | (1u << 14) | (1u << 17) | (1u << 21);
  uint32_t got = 0;
  for (int v = 0; v < 32; v++) got |= (uint32_t)virt_vector_has_errcode(v) << v;
  cr_expect_eq(got, want);
}

/* ---------------- event injection ---------------- */

struct inj_case {
  struct virt_event ev;
  uint64_t vmx_enc;  /* VM-entry interruption information */
  uint64_t svm_enc;  /* EVENTINJ */
  enum virt_event_type svm_back;  /* type decoded back on SVM */
};
static const struct inj_case inj_cases[] = {
  {{true, VIRT_EV_EXTINT, 0x20, false, 0}, 0x80000020u, 0x80000020u, VIRT_EV_EXTINT},
  {{true, VIRT_EV_NMI, 2, false, 0}, 0x80000202u, 0x80000202u, VIRT_EV_NMI},
  {{true, VIRT_EV_HWEXC, 14, true, 0x6}, 0x80000b0eu, 0x0000000680000b0eull, VIRT_EV_HWEXC},
  {{true, VIRT_EV_HWEXC, 13, true, 0xfffc}, 0x80000b0du, 0x0000fffc80000b0dull, VIRT_EV_HWEXC},
  {{true, VIRT_EV_HWEXC, 6, false, 0}, 0x80000306u, 0x80000306u, VIRT_EV_HWEXC},
  {{true, VIRT_EV_SWINT, 0x80, false, 0}, 0x80000480u, 0x80000480u, VIRT_EV_SWINT},
  {{true, VIRT_EV_PRIV_SWEXC, 1, false, 0}, 0x80000501u, 0x80000301u, VIRT_EV_HWEXC},
  {{true, VIRT_EV_SWEXC, 3, false, 0}, 0x80000603u, 0x80000303u, VIRT_EV_HWEXC},
};

Test(virt, inject_roundtrip_vmx) {
  for (size_t i = 0; i < sizeof inj_cases / sizeof inj_cases[0]; i++) {
    const struct inj_case *c = &inj_cases[i];
    virt_inject_event(&vmx, &c->ev, 2);
    cr_expect_eq(vmx.vmcs.entry_intr_info, c->vmx_enc, "case %zu: %#x", i,
                 vmx.vmcs.entry_intr_info);
    cr_expect_eq(vmx.vmcs.entry_exc_errcode, c->ev.err);
    cr_expect_eq(vmx.vmcs.entry_insn_len, 2);
    struct virt_event d = virt_vmentry(&vmx);
    cr_expect(d.valid);
    cr_expect_eq(d.type, c->ev.type, "case %zu", i);
    cr_expect_eq(d.vector, c->ev.vector);
    cr_expect_eq(d.has_err, c->ev.has_err);
    cr_expect_eq(d.err, c->ev.err);
    cr_expect_eq(vmx.vmcs.entry_intr_info & VIRT_INTINFO_VALID, 0);
    cr_expect_not(virt_vmentry(&vmx).valid, "consumed");
  }
}

Test(virt, inject_roundtrip_svm) {
  for (size_t i = 0; i < sizeof inj_cases / sizeof inj_cases[0]; i++) {
    const struct inj_case *c = &inj_cases[i];
    virt_inject_event(&svm, &c->ev, 2);
    cr_expect_eq(svm.vmcb.eventinj, c->svm_enc, "case %zu: %#llx", i,
                 (unsigned long long)svm.vmcb.eventinj);
    struct virt_event d = virt_vmentry(&svm);
    cr_expect(d.valid);
    cr_expect_eq(d.type, c->svm_back, "case %zu", i);
    cr_expect_eq(d.vector, c->ev.vector);
    cr_expect_eq(d.has_err, c->ev.has_err);
    cr_expect_eq(d.err, c->ev.err);
    cr_expect_not(virt_vmentry(&svm).valid, "consumed");
  }
}

Test(virt, inject_pf_does_not_load_cr2) {
  struct virt *vs[] = {&vmx, &svm};
  for (int i = 0; i < 2; i++) {
    struct virt *v = vs[i];
    virt_load_guest_cr2(v, 0xaaaa);
    struct virt_event pf = {true, VIRT_EV_HWEXC, 14, true, VIRT_PFEC_U};
    virt_inject_event(v, &pf, 0);
    struct virt_event d = virt_vmentry(v);
    cr_expect_eq(d.vector, 14);
    cr_expect_eq(virt_guest_cr2(v), 0xaaaa, "entry must not load CR2");
    /* the VMM's job: VMX physical CR2, SVM VMCB.CR2 */
    virt_load_guest_cr2(v, 0x400123);
    if (i == 0) cr_expect_eq(vmx.vmx_cr2, 0x400123);
    else cr_expect_eq(svm.vmcb.cr2, 0x400123);
  }
}

/* ---------------- IDT-vectoring / EXITINTINFO ---------------- */

Test(virt, exit_during_delivery) {
  /* External interrupt 0x30 delivery touches an unshadowed IDT/stack page:
   * #PF exit with the interrupted event in IDT-vectoring info. */
  struct virt_event irq = {true, VIRT_EV_EXTINT, 0x30, false, 0};
  virt_record_exception_exit(&vmx, 14, true, VIRT_PFEC_W, 0xffff8000, 0);
  virt_record_vectoring(&vmx, &irq);
  cr_expect_eq(vmx.vmcs.idt_vectoring_info, 0x80000030u);
  cr_expect_eq(vmx.vmcs.exit_intr_info, 0x80000b0eu);
  virt_record_exception_exit(&svm, 14, true, VIRT_PFEC_W, 0xffff8000, 0);
  virt_record_vectoring(&svm, &irq);
  cr_expect_eq(svm.vmcb.exitintinfo, 0x80000030u);

  /* #GP(0x18) delivery faulting: error code kept (VMX separate field,
   * SVM bits 63:32), and the VMM re-injects it unchanged. */
  struct virt_event gp = {true, VIRT_EV_HWEXC, 13, true, 0x18};
  virt_record_vectoring(&vmx, &gp);
  cr_expect_eq(vmx.vmcs.idt_vectoring_info, 0x80000b0du);
  cr_expect_eq(vmx.vmcs.idt_vectoring_errcode, 0x18);
  virt_record_vectoring(&svm, &gp);
  cr_expect_eq(svm.vmcb.exitintinfo, 0x0000001880000b0dull);
  struct virt *vs[] = {&vmx, &svm};
  for (int i = 0; i < 2; i++) {
    struct virt_event back = virt_vectoring_event(vs[i]);
    virt_inject_event(vs[i], &back, 0);
    struct virt_event d = virt_vmentry(vs[i]);
    cr_expect(d.valid && d.type == VIRT_EV_HWEXC && d.vector == 13 &&
              d.has_err && d.err == 0x18, "vendor %d", i);
  }
  /* No event being delivered: valid bit clear. */
  struct virt_event none = {0};
  virt_record_vectoring(&vmx, &none);
  virt_record_vectoring(&svm, &none);
  cr_expect_eq(vmx.vmcs.idt_vectoring_info, 0);
  cr_expect_eq(svm.vmcb.exitintinfo, 0);
  cr_expect_not(virt_vectoring_event(&vmx).valid);
}

/* ---------------- control registers ---------------- */

Test(virt, vmx_cr_qualification_encodings) {
  /* Table 28-3 spot values: MOV CR3,RAX = 0x003; MOV RAX,CR3 = 0x013;
   * MOV CR0,RBX = 0x300; MOV CR4,R15 = 0xf04; MOV R8,CR8 = 0x818;
   * CLTS = 0x020; LMSW 0x000b (register) = 0x000b0030. */
  cr_expect_eq(vmx_cr_qualification(3, VIRT_CR_MOV_TO, 0, false, 0), 0x003);
  cr_expect_eq(vmx_cr_qualification(3, VIRT_CR_MOV_FROM, 0, false, 0), 0x013);
  cr_expect_eq(vmx_cr_qualification(0, VIRT_CR_MOV_TO, 3, false, 0), 0x300);
  cr_expect_eq(vmx_cr_qualification(4, VIRT_CR_MOV_TO, 15, false, 0), 0xf04);
  cr_expect_eq(vmx_cr_qualification(8, VIRT_CR_MOV_FROM, 8, false, 0), 0x818);
  cr_expect_eq(vmx_cr_qualification(0, VIRT_CR_CLTS, 0, false, 0), 0x020);
  cr_expect_eq(vmx_cr_qualification(0, VIRT_CR_LMSW, 0, false, 0xb), 0xb0030);
  cr_expect_eq(vmx_cr_qualification(0, VIRT_CR_LMSW, 0, true, 0xb), 0xb0070);
  const int crs[] = {0, 3, 4, 8};
  for (int i = 0; i < 4; i++)
    for (int gpr = 0; gpr < 16; gpr++)
      for (int dir = 0; dir < 2; dir++) {
        virt_record_cr_exit(&vmx, crs[i], (enum virt_cr_access)dir, gpr, 0, 3);
        cr_expect_eq(vmx.vmcs.exit_reason, 28);
        uint64_t q = vmx.vmcs.exit_qualification;
        cr_expect_eq(q & 0xf, (uint64_t)crs[i]);
        cr_expect_eq((q >> 4) & 3, (uint64_t)dir);
        cr_expect_eq((q >> 8) & 0xf, (uint64_t)gpr);
        cr_expect_eq(q & ~0xf3full, 0, "no other bits: %#llx",
                     (unsigned long long)q);
        cr_expect_eq(vmx.vmcs.exit_insn_len, 3);
      }
}

Test(virt, svm_cr_exits_decode_assists) {
  svm.guest_rip = 0x1000;
  svm.vmcb.nrip_save = true;
  svm.vmcb.decode_assists = true;
  for (int cr = 0; cr < 16; cr++)
    for (int gpr = 0; gpr < 16; gpr++)
      for (int dir = 0; dir < 2; dir++) {
        virt_record_cr_exit(&svm, cr, (enum virt_cr_access)dir, gpr, 0, 3);
        cr_expect_eq(svm.vmcb.exitcode, (dir ? 0x00u : 0x10u) + cr);
        cr_expect_eq(svm.vmcb.exitinfo1, (1ull << 63) | (uint64_t)gpr);
        cr_expect_eq(svm.vmcb.nrip, 0x1003);
      }
  /* CLTS / LMSW: CR0 write exit, bit 63 clear. */
  virt_record_cr_exit(&svm, 0, VIRT_CR_CLTS, 0, 0, 2);
  cr_expect_eq(svm.vmcb.exitcode, 0x10);
  cr_expect_eq(svm.vmcb.exitinfo1, 0);
  virt_record_cr_exit(&svm, 0, VIRT_CR_LMSW, 0, 1, 3);
  cr_expect_eq(svm.vmcb.exitinfo1, 0);
  /* Without DecodeAssists / NRIP_SAVE: EXITINFO1 0, NRIP untouched. */
  svm.vmcb.decode_assists = false;
  svm.vmcb.nrip_save = false;
  svm.vmcb.nrip = 0;
  virt_record_cr_exit(&svm, 3, VIRT_CR_MOV_TO, 5, 0, 3);
  cr_expect_eq(svm.vmcb.exitcode, 0x13);
  cr_expect_eq(svm.vmcb.exitinfo1, 0);
  cr_expect_eq(svm.vmcb.nrip, 0);
}

Test(virt, svm_cr_intercept_bits) {
  svm.vmcb.intercept_cr_read = 1u << 3;
  svm.vmcb.intercept_cr_write = (1u << 0) | (1u << 3) | (1u << 4);
  cr_expect(virt_cr_access_exits(&svm, 3, VIRT_CR_MOV_FROM, 0));
  cr_expect_not(virt_cr_access_exits(&svm, 0, VIRT_CR_MOV_FROM, 0));
  cr_expect(virt_cr_access_exits(&svm, 3, VIRT_CR_MOV_TO, 0x5000));
  cr_expect(virt_cr_access_exits(&svm, 4, VIRT_CR_MOV_TO, 0));
  cr_expect_not(virt_cr_access_exits(&svm, 8, VIRT_CR_MOV_TO, 0));
  cr_expect(virt_cr_access_exits(&svm, 0, VIRT_CR_CLTS, 0));
  cr_expect(virt_cr_access_exits(&svm, 0, VIRT_CR_LMSW, 1));
}

Test(virt, vmx_cr0_cr4_mask_shadow) {
  struct vmcs *s = &vmx.vmcs;
  s->cr0_guest_host_mask = 0x80000001ull;   /* host owns PG, PE */
  s->cr0_read_shadow = 0x80000011ull;
  cr_expect_not(virt_cr_access_exits(&vmx, 0, VIRT_CR_MOV_TO, 0x80000011ull));
  cr_expect_not(virt_cr_access_exits(&vmx, 0, VIRT_CR_MOV_TO, 0x80050033ull),
                "guest-owned bits change freely");
  cr_expect(virt_cr_access_exits(&vmx, 0, VIRT_CR_MOV_TO, 0x00000011ull));
  cr_expect_not(virt_cr_access_exits(&vmx, 0, VIRT_CR_MOV_FROM, 0),
                "MOV from CR0 never exits");
  s->cr4_guest_host_mask = 1u << 5;  /* PAE */
  s->cr4_read_shadow = 1u << 5;
  cr_expect(virt_cr_access_exits(&vmx, 4, VIRT_CR_MOV_TO, 0));
  cr_expect_not(virt_cr_access_exits(&vmx, 4, VIRT_CR_MOV_TO, (1u << 5) | (1u << 7)));
  /* CLTS: exits iff TS owned and shadow TS = 1 */
  cr_expect_not(virt_cr_access_exits(&vmx, 0, VIRT_CR_CLTS, 0));
  s->cr0_guest_host_mask |= 8;
  cr_expect_not(virt_cr_access_exits(&vmx, 0, VIRT_CR_CLTS, 0));
  s->cr0_read_shadow |= 8;
  cr_expect(virt_cr_access_exits(&vmx, 0, VIRT_CR_CLTS, 0));
  /* LMSW: PE owned; setting PE when shadow PE=0 exits; clearing can't. */
  s->cr0_guest_host_mask = 1;
  s->cr0_read_shadow = 0;
  cr_expect(virt_cr_access_exits(&vmx, 0, VIRT_CR_LMSW, 1));
  s->cr0_read_shadow = 1;
  cr_expect_not(virt_cr_access_exits(&vmx, 0, VIRT_CR_LMSW, 0));
  s->cr0_guest_host_mask = 2;  /* MP owned */
  cr_expect(virt_cr_access_exits(&vmx, 0, VIRT_CR_LMSW, 3));
}

Test(virt, vmx_cr3_target_values) {
  struct vmcs *s = &vmx.vmcs;
  cr_expect_not(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x1000),
                "CR3-load exiting off");
  s->cr3_load_exiting = true;
  cr_expect(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x1000), "count 0");
  s->cr3_target_value[0] = 0x1000;
  s->cr3_target_value[1] = 0x2000;
  s->cr3_target_value[2] = 0x3000;
  cr_expect(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x1000),
            "targets ignored while count = 0");
  s->cr3_target_count = 2;
  cr_expect_not(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x1000));
  cr_expect_not(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x2000));
  cr_expect(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x3000),
            "only the first count values");
  cr_expect(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x1001));
  s->cr3_target_count = 3;
  cr_expect_not(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_TO, 0x3000));
  cr_expect_not(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_FROM, 0));
  s->cr3_store_exiting = true;
  cr_expect(virt_cr_access_exits(&vmx, 3, VIRT_CR_MOV_FROM, 0));
}

/* ---------------- INVLPG ---------------- */

Test(virt, invlpg_exits) {
  cr_expect_not(virt_invlpg_exits(&vmx));
  vmx.vmcs.invlpg_exiting = true;
  cr_expect(virt_invlpg_exits(&vmx));
  virt_record_invlpg_exit(&vmx, 0x7f0000401000ull, 3);
  cr_expect_eq(vmx.vmcs.exit_reason, 14);
  cr_expect_eq(vmx.vmcs.exit_qualification, 0x7f0000401000ull);
  cr_expect_eq(vmx.vmcs.exit_insn_len, 3);

  cr_expect_not(virt_invlpg_exits(&svm));
  svm.vmcb.intercept_misc1 = SVM_ICPT_INVLPG;
  cr_expect_eq(SVM_ICPT_INVLPG, 1u << 25);
  cr_expect(virt_invlpg_exits(&svm));
  svm.guest_rip = 0x400000;
  svm.vmcb.nrip_save = true;
  svm.vmcb.decode_assists = true;
  virt_record_invlpg_exit(&svm, 0x7f0000401000ull, 3);
  cr_expect_eq(svm.vmcb.exitcode, 0x79);
  cr_expect_eq(svm.vmcb.exitinfo1, 0x7f0000401000ull);
  cr_expect_eq(svm.vmcb.nrip, 0x400003);
  svm.vmcb.decode_assists = false;
  virt_record_invlpg_exit(&svm, 0x5000, 3);
  cr_expect_eq(svm.vmcb.exitinfo1, 0);
}

/* ---------------- EPT violation / #NPF ---------------- */

Test(virt, ept_violation_spot_values) {
  /* read of a not-present GPA, final translation: bits 0,7,8 */
  struct virt_npf f = {VIRT_ACC_READ, 0, true, false, true, true, 0x5000, 0x401000};
  cr_expect_eq(vmx_ept_violation_qual(&f), 0x181);
  /* write to a read-only (R+X) page, final: bits 1,3,5,7,8 */
  f.access = VIRT_ACC_WRITE; f.perms = VIRT_PERM_R | VIRT_PERM_X;
  cr_expect_eq(vmx_ept_violation_qual(&f), 0x1aa);
  /* fetch from RW page: bits 2,3,4,7,8 */
  f.access = VIRT_ACC_FETCH; f.perms = VIRT_PERM_R | VIRT_PERM_W;
  cr_expect_eq(vmx_ept_violation_qual(&f), 0x19c);
  /* guest page-table walk read of a not-present GPA: bits 0,7 */
  f.access = VIRT_ACC_READ; f.perms = 0; f.final = false;
  cr_expect_eq(vmx_ept_violation_qual(&f), 0x081);
  /* no guest-linear address (e.g. PDPTE load): bit 8 not reported */
  f.gla_valid = false; f.final = true;
  cr_expect_eq(vmx_ept_violation_qual(&f), 0x001);
}

Test(virt, npf_spot_values) {
  struct virt_npf f = {VIRT_ACC_READ, 0, true, false, true, true, 0x5000, 0x401000};
  cr_expect_eq(svm_npf_exitinfo1(&f), 0x100000004ull);       /* U, final */
  f.access = VIRT_ACC_WRITE; f.perms = VIRT_PERM_R | VIRT_PERM_X;
  cr_expect_eq(svm_npf_exitinfo1(&f), 0x100000007ull);       /* P W U */
  f.access = VIRT_ACC_FETCH; f.perms = VIRT_PERM_R | VIRT_PERM_W;
  cr_expect_eq(svm_npf_exitinfo1(&f), 0x100000015ull);       /* P U I */
  f.access = VIRT_ACC_READ; f.perms = 0; f.final = false;
  cr_expect_eq(svm_npf_exitinfo1(&f), 0x200000004ull);       /* GPT walk */
  f.rsvd = true; f.final = true;
  cr_expect_eq(svm_npf_exitinfo1(&f), 0x10000000dull);       /* P U RSV */
}

Test(virt, ept_npf_exhaustive) {
  for (int acc = 0; acc < 3; acc++)
    for (unsigned perms = 0; perms < 8; perms++)
      for (int fin = 0; fin < 2; fin++) {
        struct virt_npf f = {(enum virt_access)acc, (uint8_t)perms, true,
                             false, true, fin, 0x12345000, 0x7fff0000};
        uint64_t want_q = (1ull << acc) | ((uint64_t)perms << 3) | (1ull << 7) |
                          ((uint64_t)fin << 8);
        virt_record_npf_exit(&vmx, &f, 0);
        cr_expect_eq(vmx.vmcs.exit_reason, 48);
        cr_expect_eq(vmx.vmcs.exit_qualification, want_q,
                     "acc %d perms %u final %d", acc, perms, fin);
        cr_expect_eq(vmx.vmcs.guest_phys_addr, 0x12345000);
        cr_expect_eq(vmx.vmcs.guest_linear_addr, 0x7fff0000);

        uint64_t want_e = (perms ? 1u : 0u) | (acc == 1 ? 2u : 0u) | 4u |
                          (acc == 2 ? 0x10u : 0u) |
                          (fin ? 1ull << 32 : 1ull << 33);
        virt_record_npf_exit(&svm, &f, 0);
        cr_expect_eq(svm.vmcb.exitcode, 0x400);
        cr_expect_eq(svm.vmcb.exitinfo1, want_e,
                     "acc %d perms %u final %d", acc, perms, fin);
        cr_expect_eq(svm.vmcb.exitinfo2, 0x12345000);
      }
}

Test(virt, ept_misconfig) {
  struct virt_npf f = {VIRT_ACC_READ, 0, true, true, true, true, 0x9000, 0x1000};
  virt_record_npf_exit(&vmx, &f, 0);
  cr_expect_eq(vmx.vmcs.exit_reason, 49);
  cr_expect_eq(vmx.vmcs.guest_phys_addr, 0x9000);
  cr_expect_str_eq(virt_exit_name(vmx.vd, virt_exit_code(&vmx)), "EPT_MISCONFIG");
  virt_record_npf_exit(&svm, &f, 0);
  cr_expect_eq(svm.vmcb.exitcode, 0x400);
  cr_expect_eq(svm.vmcb.exitinfo1 & VIRT_PFEC_RSVD, VIRT_PFEC_RSVD);
}

/* --cpus: the x2APIC exits of an IPI.  SDM Vol. 3C App. C: WRMSR is basic
 * reason 32, an external interrupt 1 (with "acknowledge interrupt on exit"
 * the vector in the exit interruption information, type 0, valid, 27.2.2);
 * APM Vol. 2 App. C: MSR is EXITCODE 0x7C with EXITINFO1 = 1 for a write
 * (15.11), INTR 0x60 */
Test(virt, ipi_exits) {
  virt_record_wrmsr_exit(&vmx, 2);
  cr_expect_eq(vmx.vmcs.exit_reason, 32u);
  cr_expect_eq(vmx.vmcs.exit_insn_len, 2u);
  cr_expect_str_eq(virt_exit_name(&vmx_vendor, virt_exit_code(&vmx)), "WRMSR");
  virt_record_extint_exit(&vmx, 0xfb);
  cr_expect_eq(vmx.vmcs.exit_reason, 1u);
  cr_expect_eq(vmx.vmcs.exit_intr_info, 0x800000fbu);
  cr_expect_str_eq(virt_exit_name(&vmx_vendor, virt_exit_code(&vmx)), "EXTERNAL_INTERRUPT");
  svm.vmcb.nrip_save = true;
  svm.guest_rip = 0x1000;
  virt_record_wrmsr_exit(&svm, 2);
  cr_expect_eq(svm.vmcb.exitcode, 0x7cu);
  cr_expect_eq(svm.vmcb.exitinfo1, 1u);
  cr_expect_eq(svm.vmcb.nrip, 0x1002u);
  cr_expect_str_eq(virt_exit_name(&svm_vendor, virt_exit_code(&svm)), "MSR");
  virt_record_extint_exit(&svm, 0xfb);
  cr_expect_eq(svm.vmcb.exitcode, 0x60u);
  cr_expect_eq(svm.vmcb.exitinfo1, 0u);
  cr_expect_eq(svm.vmcb.nrip, 0x1000u);   /* the interrupted instruction's */
  cr_expect_str_eq(virt_exit_name(&svm_vendor, virt_exit_code(&svm)), "INTR");
}
