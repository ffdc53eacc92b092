/* Decoder, exceptions, #PF error codes, code-cache invalidation and TLB
 * behaviour, through the bare-machine fixture. */
#include <criterion/criterion.h>
#include "tests/unit/cpu_fixture.h"

static struct fx *f;
static struct vcpu *c;
static void setup(void) { f = fx_new(); c = fx_cpu(f); }
static void teardown(void) { fx_free(f); }
TestSuite(cpu, .init = setup, .fini = teardown);

#define EXEC(...) ({ static const uint8_t code_[] = {__VA_ARGS__}; fx_exec(f, code_, sizeof code_); })

Test(cpu, fifteen_byte_limit) {
  uint8_t ok[15], bad[16];
  memset(ok, 0x66, 14); ok[14] = 0x90;
  memset(bad, 0x66, 15); bad[15] = 0x90;
  cr_assert_eq(fx_exec(f, ok, sizeof ok), CPU_EXIT_HLT);
  cr_assert_eq(fx_exec(f, bad, sizeof bad), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.vector, EXC_GP);
  cr_assert_eq(c->exc.rip, FX_CODE);
}

Test(cpu, lock_rules) {
  c->r[RBX] = FX_DATA;
  cr_assert_eq(EXEC(0xf0, 0x01, 0x03), CPU_EXIT_HLT);              /* lock add [rbx], eax */
  cr_assert_eq(EXEC(0xf0, 0x01, 0xc0), CPU_EXIT_EXCEPTION);        /* lock add eax, eax */
  cr_assert_eq(c->exc.vector, EXC_UD);
  cr_assert_eq(EXEC(0xf0, 0x8b, 0x03), CPU_EXIT_EXCEPTION);        /* lock mov eax, [rbx] */
  cr_assert_eq(c->exc.vector, EXC_UD);
}

Test(cpu, vex_with_legacy_prefix_is_ud) {
  /* andn eax, ebx, ecx = c4 e2 60 f2 c1; with a 66 prefix it is #UD */
  c->r[RBX] = 0xf0; c->r[RCX] = 0xff;
  cr_assert_eq(EXEC(0xc4, 0xe2, 0x60, 0xf2, 0xc1), CPU_EXIT_HLT);
  cr_assert_eq(c->r[RAX], 0x0f);
  cr_assert_eq(EXEC(0x66, 0xc4, 0xe2, 0x60, 0xf2, 0xc1), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.vector, EXC_UD);
}

Test(cpu, undefined_opcode_ud) {
  cr_assert_eq(EXEC(0x0f, 0x04), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.vector, EXC_UD);
  cr_assert_eq(c->exc.rip, FX_CODE);
  cr_assert_eq(EXEC(0x90, 0x06), CPU_EXIT_EXCEPTION);              /* PUSH ES: invalid in 64-bit */
  cr_assert_eq(c->exc.rip, FX_CODE + 1);
}

Test(cpu, divide_error) {
  c->r[RAX] = 5; c->r[RDX] = 0; c->r[RCX] = 0;
  cr_assert_eq(EXEC(0x48, 0xf7, 0xf1), CPU_EXIT_EXCEPTION);        /* div rcx */
  cr_assert_eq(c->exc.vector, EXC_DE);
}

Test(cpu, self_modifying_code_in_same_block) {
  fx_map(f, FX_CODE, PTE_P | PTE_W | PTE_U);
  /* mov byte [rip+1], 0x2a ; mov al, 0  -> patches the immediate of the
   * next instruction, which must then execute with the new byte */
  c->r[RAX] = 0;
  cr_assert_eq(EXEC(0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a, 0xb0, 0x00), CPU_EXIT_HLT);
  cr_assert_eq(c->r[RAX] & 0xff, 0x2a);
  cr_assert_geq(c->code_invalidations, 1);
}

Test(cpu, decode_once_in_a_loop) {
  /* mov ecx, 100000; l: dec ecx; jnz l */
  uint64_t before = c->blocks_decoded;
  cr_assert_eq(EXEC(0xb9, 0xa0, 0x86, 0x01, 0x00, 0xff, 0xc9, 0x75, 0xfc), CPU_EXIT_HLT);
  cr_assert_eq(c->r[RCX], 0);
  cr_assert_lt(c->blocks_decoded - before, 5, "re-decoding in the steady state");
}

Test(cpu, pf_error_codes) {
  uint64_t page = FX_DATA + 0x3000;
  c->r[RBX] = page;
  fx_unmap(f, page);
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_EXCEPTION);              /* read: not present */
  cr_assert_eq(c->exc.vector, EXC_PF);
  cr_assert_eq(c->exc.err, PFEC_U);
  cr_assert_eq(c->exc.cr2, page);
  cr_assert_eq(EXEC(0x89, 0x03), CPU_EXIT_EXCEPTION);              /* write: not present */
  cr_assert_eq(c->exc.err, PFEC_U | PFEC_W);
  fx_map(f, page, PTE_P | PTE_U | PTE_NX);                          /* read-only */
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_HLT);
  cr_assert_eq(EXEC(0x89, 0x03), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.err, PFEC_P | PFEC_W | PFEC_U);
  fx_map(f, page, PTE_P | PTE_W | PTE_NX);                          /* supervisor page */
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.err, PFEC_P | PFEC_U);
  fx_map(f, page, PTE_P | PTE_W | PTE_U | PTE_NX);                  /* NX: fetch faults */
  cr_assert_eq(EXEC(0xff, 0xe3), CPU_EXIT_EXCEPTION);              /* jmp rbx */
  cr_assert_eq(c->exc.vector, EXC_PF);
  cr_assert_eq(c->exc.err, PFEC_P | PFEC_U | PFEC_I);
  cr_assert_eq(c->exc.cr2, page);
  cr_assert_eq(c->exc.rip, page, "a fetch fault reports the target as RIP");
}

Test(cpu, reserved_bit_fault) {
  uint64_t page = FX_DATA + 0x5000;
  *fx_pte(f, page) |= 1ull << 50;                                   /* above MAXPHYADDR 46 */
  cpu_invlpg(c, page);
  c->r[RBX] = page;
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.err, PFEC_P | PFEC_U | PFEC_RSVD);
}

Test(cpu, page_crossing_access_faults_on_second_page) {
  uint64_t page = FX_DATA + 0x6000;
  fx_unmap(f, page);
  c->r[RBX] = page - 4;
  cr_assert_eq(EXEC(0x48, 0x8b, 0x03), CPU_EXIT_EXCEPTION);        /* 8-byte read across */
  cr_assert_eq(c->exc.cr2, page);
  /* a crossing write faults before writing either half */
  uint8_t *d = fx_data(f);
  memset(d + 0x5ffc, 0x11, 4);
  c->r[RAX] = 0;
  cr_assert_eq(EXEC(0x48, 0x89, 0x03), CPU_EXIT_EXCEPTION);
  cr_assert_eq(d[0x5ffc], 0x11);
}

Test(cpu, noncanonical_is_gp) {
  c->r[RBX] = 0x0000800000000000ull;
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.vector, EXC_GP);
}

Test(cpu, accessed_and_dirty_bits) {
  uint64_t page = FX_DATA + 0x7000;
  *fx_pte(f, page) &= ~(PTE_A | PTE_D);
  cpu_invlpg(c, page);
  c->r[RBX] = page;
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_HLT);
  cr_assert(*fx_pte(f, page) & PTE_A);
  cr_assert(!(*fx_pte(f, page) & PTE_D));
  cr_assert_eq(EXEC(0x89, 0x03), CPU_EXIT_HLT);
  cr_assert(*fx_pte(f, page) & PTE_D, "write through a D=0 entry re-walks and sets D");
}

Test(cpu, stale_tlb_entry_until_invlpg) {
  uint64_t page = FX_DATA + 0x8000;
  c->r[RBX] = page;
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_HLT);                    /* fills the TLB */
  *fx_pte(f, page) = 0;                                             /* no INVLPG */
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_HLT, "the cached translation is still used");
  cpu_invlpg(c, page);
  cr_assert_eq(EXEC(0x8b, 0x03), CPU_EXIT_EXCEPTION);
  cr_assert_eq(c->exc.err, PFEC_U);
}

Test(cpu, rdtsc_is_virtual_time) {
  cr_assert_eq(EXEC(0x0f, 0x31, 0x48, 0x89, 0xc3, 0x0f, 0x31), CPU_EXIT_HLT);
  uint64_t t2 = c->r[RAX] | (c->r[RDX] << 32);
  uint64_t t1 = c->r[RBX];
  /* two instructions apart at 2 ticks per instruction (2 GHz, 1 ns/insn) */
  cr_assert_eq((uint32_t)t2 - (uint32_t)t1, 4);
}
