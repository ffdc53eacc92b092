/* SSE differential tests: the two executions of a case.
 *   - natively: a trampoline (fl_host_exec) loads the whole state, calls
 *     a code buffer (the instruction + RET), and stores the whole state
 *     back; #XM (SIGFPE), #GP (SIGSEGV) and #UD (SIGILL) are caught and
 *     the state is taken from the signal frame;
 *   - in the interpreter through tests/unit/cpu_fixture.h, with RSI/RDI
 *     translated between the host buffer and FX_DATA. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "tests/unit/sse_diff.h"

void fl_host_exec(struct st *s, void *code);
__asm__(
    ".text\n.globl fl_host_exec\n.type fl_host_exec,@function\n"
    "fl_host_exec:\n"
    "push %rbp\npush %rbx\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "sub $8,%rsp\npush %rdi\npush %rsi\n"
    "stmxcsr 460(%rdi)\n"
    "movdqu 0(%rdi),%xmm0\nmovdqu 16(%rdi),%xmm1\nmovdqu 32(%rdi),%xmm2\n"
    "movdqu 48(%rdi),%xmm3\nmovdqu 64(%rdi),%xmm4\nmovdqu 80(%rdi),%xmm5\n"
    "movdqu 96(%rdi),%xmm6\nmovdqu 112(%rdi),%xmm7\nmovdqu 128(%rdi),%xmm8\n"
    "movdqu 144(%rdi),%xmm9\nmovdqu 160(%rdi),%xmm10\nmovdqu 176(%rdi),%xmm11\n"
    "movdqu 192(%rdi),%xmm12\nmovdqu 208(%rdi),%xmm13\nmovdqu 224(%rdi),%xmm14\n"
    "movdqu 240(%rdi),%xmm15\n"
    "movq 256(%rdi),%mm0\nmovq 264(%rdi),%mm1\nmovq 272(%rdi),%mm2\nmovq 280(%rdi),%mm3\n"
    "movq 288(%rdi),%mm4\nmovq 296(%rdi),%mm5\nmovq 304(%rdi),%mm6\nmovq 312(%rdi),%mm7\n"
    "ldmxcsr 456(%rdi)\n"
    "pushq 448(%rdi)\npopfq\n"
    "mov 320(%rdi),%rax\nmov 328(%rdi),%rcx\nmov 336(%rdi),%rdx\nmov 344(%rdi),%rbx\n"
    "mov 360(%rdi),%rbp\nmov 368(%rdi),%rsi\nmov 384(%rdi),%r8\nmov 392(%rdi),%r9\n"
    "mov 400(%rdi),%r10\nmov 408(%rdi),%r11\nmov 416(%rdi),%r12\nmov 424(%rdi),%r13\n"
    "mov 432(%rdi),%r14\nmov 440(%rdi),%r15\nmov 376(%rdi),%rdi\n"
    "call *(%rsp)\n"
    "pushfq\npush %rdi\nmov 24(%rsp),%rdi\n"
    "mov %rax,320(%rdi)\nmov %rcx,328(%rdi)\nmov %rdx,336(%rdi)\nmov %rbx,344(%rdi)\n"
    "mov %rbp,360(%rdi)\nmov %rsi,368(%rdi)\nmov %r8,384(%rdi)\nmov %r9,392(%rdi)\n"
    "mov %r10,400(%rdi)\nmov %r11,408(%rdi)\nmov %r12,416(%rdi)\nmov %r13,424(%rdi)\n"
    "mov %r14,432(%rdi)\nmov %r15,440(%rdi)\n"
    "pop %rax\nmov %rax,376(%rdi)\npop %rax\nmov %rax,448(%rdi)\n"
    "movdqu %xmm0,0(%rdi)\nmovdqu %xmm1,16(%rdi)\nmovdqu %xmm2,32(%rdi)\n"
    "movdqu %xmm3,48(%rdi)\nmovdqu %xmm4,64(%rdi)\nmovdqu %xmm5,80(%rdi)\n"
    "movdqu %xmm6,96(%rdi)\nmovdqu %xmm7,112(%rdi)\nmovdqu %xmm8,128(%rdi)\n"
    "movdqu %xmm9,144(%rdi)\nmovdqu %xmm10,160(%rdi)\nmovdqu %xmm11,176(%rdi)\n"
    "movdqu %xmm12,192(%rdi)\nmovdqu %xmm13,208(%rdi)\nmovdqu %xmm14,224(%rdi)\n"
    "movdqu %xmm15,240(%rdi)\n"
    "movq %mm0,256(%rdi)\nmovq %mm1,264(%rdi)\nmovq %mm2,272(%rdi)\nmovq %mm3,280(%rdi)\n"
    "movq %mm4,288(%rdi)\nmovq %mm5,296(%rdi)\nmovq %mm6,304(%rdi)\nmovq %mm7,312(%rdi)\n"
    "stmxcsr 456(%rdi)\nldmxcsr 460(%rdi)\nemms\n"
    "add $24,%rsp\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbx\npop %rbp\nret\n"
    ".size fl_host_exec, .-fl_host_exec\n");

/* ---- the two executions -------------------------------------------------------- */
uint8_t hbuf[BUF] __attribute__((aligned(4096)));
unsigned win;      /* offset of the window: 0, or just below a page end */
unsigned wlen = WIN; /* its length (shorter when the next page is absent) */
static uint8_t *hcode;

static sigjmp_buf hjb;
static volatile int hfault, in_host;
static struct st hfs;
static void on_sig(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  if (!in_host) {          /* a genuine crash of the test: no recovery */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  in_host = 0;
  hfault = sig == SIGFPE ? XM
         : sig == SIGSEGV ? (si->si_code == SEGV_MAPERR || si->si_code == SEGV_ACCERR ? PFLT : GPF)
         : sig == SIGBUS ? GPF : sig == SIGILL ? UDF : OTHER;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  memcpy(hfs.x, fp->_xmm, 256);
  for (int k = 0; k < 8; k++) memcpy(&hfs.mm[k], fp->_st[k].significand, 8);
  hfs.mxcsr = fp->mxcsr;
  static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                              REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
  for (int k = 0; k < 16; k++) hfs.r[k] = (uint64_t)uc->uc_mcontext.gregs[map[k]];
  hfs.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  siglongjmp(hjb, 1);
}
void host_init(void) {
  if (hcode) return;
  hcode = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert(hcode != MAP_FAILED);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
}
void host_run(const uint8_t *code, int len, const struct st *in, const uint8_t *mem,
              struct out *o) {
  static struct st s;
  s = *in;
  memcpy(hcode, code, (size_t)len);
  hcode[len] = 0xC3;
  memcpy(hbuf + win, mem + win, wlen);
  hfault = OK;
  if (sigsetjmp(hjb, 1) == 0) {
    in_host = 1;
    fl_host_exec(&s, hcode);
    in_host = 0;
    o->fault = OK;
    o->s = s;
  } else {
    __builtin_ia32_ldmxcsr(0x1f80);
    __asm__ volatile("emms");
    o->fault = hfault;
    o->s = hfs;
    o->s.rflags = hfs.rflags;
  }
  o->s.r[RSP] = 0;
  memcpy(o->mem, hbuf + win, wlen);
}

struct fx *FX;
static uint64_t tr_in(uint64_t v) {   /* host pointer -> guest pointer */
  uint64_t b = (uint64_t)(uintptr_t)hbuf;
  return v >= b && v < b + BUF ? v - b + FX_DATA : v;
}
static uint64_t tr_out(uint64_t v) {
  uint64_t b = (uint64_t)(uintptr_t)hbuf;
  return v >= FX_DATA && v < FX_DATA + BUF ? v - FX_DATA + b : v;
}
void interp_run(const uint8_t *code, int len, const struct st *in, const uint8_t *mem,
                struct out *o) {
  struct vcpu *c = fx_cpu(FX);
  for (int k = 0; k < 16; k++) if (k != RSP) c->r[k] = k == RSI || k == RDI ? tr_in(in->r[k]) : in->r[k];
  memcpy(c->xmm, in->x, sizeof in->x);
  for (int k = 0; k < 8; k++) { c->fpu.st[k].signif = in->mm[k]; c->fpu.st[k].signexp = 0xFFFF; }
  c->fpu.top = 0;
  c->fpu.ftw = 0;
  c->mxcsr = in->mxcsr;
  cpu_set_rflags(c, in->rflags);
  memcpy(fx_data(FX) + win, mem + win, wlen);
  int r = fx_exec(FX, code, (size_t)len);
  o->fault = r == CPU_EXIT_HLT ? OK
           : r != CPU_EXIT_EXCEPTION ? OTHER
           : c->exc.vector == EXC_XM ? XM
           : c->exc.vector == EXC_GP ? GPF
           : c->exc.vector == EXC_UD ? UDF
           : c->exc.vector == EXC_PF ? PFLT : OTHER;
  for (int k = 0; k < 16; k++) o->s.r[k] = k == RSI || k == RDI ? tr_out(c->r[k]) : c->r[k];
  o->s.r[RSP] = 0;
  memcpy(o->s.x, c->xmm, sizeof o->s.x);
  for (int k = 0; k < 8; k++) o->s.mm[k] = c->fpu.st[k].signif;
  o->s.mxcsr = c->mxcsr;
  o->s.rflags = cpu_get_rflags(c);
  memcpy(o->mem, fx_data(FX) + win, wlen);
}
