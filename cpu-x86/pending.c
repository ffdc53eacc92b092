/* Weak placeholders while x87.c / sse.c land (removed once they do). */
#include "cpu-x86/interp.h"
__attribute__((weak)) void x87_register(void) {}
__attribute__((weak)) insn_fn x87_select(const insn_t *i) { return NULL; }
__attribute__((weak)) void sse_register(void) {}
__attribute__((weak)) void cpu_fpu_reset(struct vcpu *c) {
  c->fpu.fcw = 0x37f; c->fpu.fsw = 0; c->fpu.ftw = 0xffff; c->fpu.top = 0;
}
__attribute__((weak)) void cpu_fxsave(struct vcpu *c, uint8_t out[512]) { memset(out, 0, 512); }
__attribute__((weak)) void cpu_fxrstor(struct vcpu *c, const uint8_t in[512]) {}
