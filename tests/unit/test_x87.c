/* Tests of the x87 instruction handlers (cpu-x86/x87.c) through the
 * interpreter fixture, with the HOST x87 as the oracle.
 *
 * Random sequences of x87 instructions (every D8-DF form except FBLD on
 * random bytes and the transcendentals, covered by test_f80.c) run
 * natively and in the interpreter from the same FXRSTOR image,
 * registers, RFLAGS and memory; compared: the x87 part of FXSAVE (FCW FSW
 * FTW ST0-7; FOP, FIP and FDP excepted), memory, AX (FNSTSW AX) and ZF PF
 * CF OF SF AF (FCOMI).  With unmasked exceptions the host takes SIGFPE
 * where the interpreter must raise #MF: same instruction, same state.
 * Operands and the 1-ulp comparison: f80_common.c.
 *
 * Cases per run (the count each test prints):
 *   sequences: N_SEQ masked + N_SEQ unmasked                  60000
 *   transcendental_sequences: ending with a transcendental    30000
 * -DSEED_OFFSET=k, -DN_SEQ, -DX87_MAXI: other streams / sizes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "tests/unit/cpu_fixture.h"
#include "tests/unit/f80_common.h"

#ifndef X87_MAXI
#define X87_MAXI 24
#endif
#ifndef N_SEQ
#define N_SEQ 30000
#endif
enum { SLOT_ENV = 0x80 /* disp8 -128 */, SLOT_CW = 0x7E, MAXI = X87_MAXI };
static uint8_t *xbuf;                  /* host code page */
static sigjmp_buf fpe_jb;
static volatile uint64_t fpe_rip, fpe_rax, fpe_fl;
static uint8_t fpe_fx[512];

static void on_fpe(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  (void)sig; (void)si;
  fpe_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  fpe_rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
  fpe_fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  memcpy(fpe_fx, uc->uc_mcontext.fpregs, 512);
  siglongjmp(fpe_jb, 1);
}

static int trans_mode;   /* 1: transcendentals too (compared within 1 ulp) */

/* one random instruction: 2 bytes (register form) or 3 ([rbx+disp8]) */
static int gen_insn(uint8_t *p) {
  static const uint8_t tr[] = {0xF0, 0xF1, 0xF2, 0xF3, 0xF9, 0xFB, 0xFE, 0xFF};
  /* F2XM1 and FYL2XP1 are undefined outside their domains: bring ST(0)
   * to [0.09, 0.18) first (FXTRACT; FSTP ST(1); FLDLG2; FMULP; twice) */
  static const uint8_t dom[] = {0xD9, 0xF4, 0xDD, 0xD9, 0xD9, 0xEC, 0xDE, 0xC9,
                                0xD9, 0xEC, 0xDE, 0xC9};
  if (trans_mode == 2) {                /* the sequence's last instruction */
    uint8_t op = tr[rn(sizeof tr)];
    int n = 0;
    if (op == 0xF0 || op == 0xF9) { memcpy(p, dom, sizeof dom); n = sizeof dom; }
    p[n] = 0xD9;
    p[n + 1] = op;
    return n + 2;
  }
  if (rn(40) == 0) {       /* environment stores and loads, in pairs */
    int save = (int)rn(2);
    p[0] = save ? 0xDD : 0xD9;
    p[1] = (uint8_t)(0x43 | 6 << 3);
    p[2] = SLOT_ENV;
    p[3] = p[0];
    p[4] = (uint8_t)(0x43 | 4 << 3);
    p[5] = SLOT_ENV;
    return 6;
  }
  static const uint8_t d9r[] = {0xD0, 0xE0, 0xE1, 0xE4, 0xE5, 0xE8, 0xE9, 0xEA, 0xEB,
                                0xEC, 0xED, 0xEE, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xFA,
                                0xFC, 0xFD};
  unsigned opc = 0xD8 + rn(8), reg = rn(8), k = rn(8);
  if (rn(5) < 2) {                                    /* memory form */
    int ok;
    switch (opc) {
    case 0xD9: ok = reg != 1 && reg != 4 && reg != 6; break;
    case 0xDB: ok = reg != 4 && reg != 6; break;
    case 0xDD: ok = reg != 4 && reg != 5 && reg != 6; break;
    case 0xDF: ok = 1; break;
    default: ok = 1; break;
    }
    if (!ok) return gen_insn(p);
    p[0] = (uint8_t)opc;
    p[1] = (uint8_t)(0x43 | reg << 3);
    p[2] = (uint8_t)(rn(8) * 16);
    if (opc == 0xD9 && reg == 5) p[2] = SLOT_CW;       /* FLDCW */
    return 3;
  }
  p[0] = (uint8_t)opc;
  switch (opc) {
  case 0xD9: p[1] = rn(3) ? (uint8_t)(0xC0 + rn(32)) : d9r[rn(sizeof d9r)];
    if (p[1] >= 0xD1 && p[1] <= 0xD7) p[1] = 0xD0;
    break;
  case 0xDA: p[1] = rn(8) ? (uint8_t)(0xC0 + rn(32)) : 0xE9; break;
  case 0xDB: p[1] = rn(8) ? (uint8_t)(rn(2) ? 0xC0 + rn(32) : 0xE8 + rn(16)) : rn(2) ? 0xE2 : 0xE3; break;
  case 0xDD: p[1] = (uint8_t)(0xC0 + rn(48)); break;
  case 0xDE: p[1] = (uint8_t)(0xC0 + reg * 8 + k); if (reg == 3) p[1] = 0xD9; break;
  case 0xDF: p[1] = rn(8) ? (uint8_t)(rn(2) ? 0xC0 + rn(32) : 0xE8 + rn(16)) : 0xE0; break;
  default: p[1] = (uint8_t)(0xC0 + reg * 8 + k); break;
  }
  return 2;
}

static void fill_slot(uint8_t *s) {
  memset(s, 0, 16);
  switch (rn(7)) {
  case 6:                                   /* packed BCD, mostly valid */
    for (int k = 0; k < 9; k++) s[k] = (uint8_t)(rn(10) << 4 | rn(10));
    s[9] = rn(2) ? 0x80 : 0;
    if (rn(4) == 0) s[rn(9)] |= 0xA0;
    break;
  case 0: { uint32_t v = (uint32_t)r64(); if (rn(3) == 0) v &= 0x807fffff; memcpy(s, &v, 4); break; }
  case 1: { uint64_t v = r64(); if (rn(3) == 0) v &= 0x800fffffffffffffull; memcpy(s, &v, 8); break; }
  case 2: { int64_t v = (int64_t)r64() >> rn(64); memcpy(s, &v, 8); break; }
  default: { f80_t v = gen(0); memcpy(s, &v.signif, 8); memcpy(s + 8, &v.signexp, 2); break; }
  }
}

struct xstate { uint8_t fx[512] __attribute__((aligned(16))); uint64_t rax, fl; uint8_t mem[256]; };

/* returns the index of the instruction that took #MF, or -1 */
static int host_run(const uint8_t *code, int len, const int *offs, int n,
                    const uint8_t *init_fx, uint64_t rax, uint64_t fl,
                    uint8_t *mem, struct xstate *o) {
  static const uint8_t pro[] = {0x53, 0x48, 0x89, 0xfb, 0x0f, 0xae, 0x0e, 0x49, 0x89,
                                0xc8, 0x49, 0x89, 0xd1, 0x48, 0xb8};
  static const uint8_t epi[] = {0x9c, 0x41, 0x8f, 0x01, 0x49, 0x89, 0x41, 0x08, 0x41,
                                0x0f, 0xae, 0x00, 0xdb, 0xe3, 0x5b, 0xc3};
  uint8_t *p = xbuf;
  memcpy(p, pro, sizeof pro); p += sizeof pro;
  memcpy(p, &rax, 8); p += 8;
  *p++ = 0x68; uint32_t f32 = (uint32_t)fl; memcpy(p, &f32, 4); p += 4; *p++ = 0x9d;
  uint8_t *start = p;
  memcpy(p, code, (size_t)len); p += len;
  memcpy(p, epi, sizeof epi);
  uint64_t regs[2];
  static uint8_t fxi[512] __attribute__((aligned(16)));
  memcpy(fxi, init_fx, 512);
  struct sigaction sa = {0}, old;
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, &old);
  int r = -1;
  if (sigsetjmp(fpe_jb, 1) == 0) {
    ((void (*)(uint8_t *, uint8_t *, uint64_t *, uint8_t *))xbuf)(mem + 128, fxi, regs, o->fx);
    o->rax = regs[1];
    o->fl = regs[0];
  } else {
    for (int k = 0; k < n; k++)
      if (start + offs[k] == (uint8_t *)fpe_rip) r = k;
    memcpy(o->fx, fpe_fx, 512);
    o->rax = fpe_rax;
    o->fl = fpe_fl;
    __asm__ volatile("fninit");
  }
  sigaction(SIGFPE, &old, NULL);
  memcpy(o->mem, mem, 256);
  return r;
}

static int fx_differs(const uint8_t *a, const uint8_t *b) {
  for (int k = 0; k < 160; k++) {
    if ((k >= 6 && k < 24) || (k >= 28 && k < 32)) continue;   /* FOP FIP FDP, MXCSR_MASK */
    if (k >= 32 && (k - 32) % 16 >= 10) continue;    /* reserved */
    if (trans_mode && k == 3) {                      /* C1: rounding direction */
      if ((a[k] ^ b[k]) & ~2) return 1;
      continue;
    }
    if (trans_mode && k == 2) {     /* UE: tininess of an approximation */
      if ((a[k] ^ b[k]) & ~0x10) return 1;
      continue;
    }
    if (trans_mode && k >= 32) {                     /* registers within 1 ulp */
      f80_t x, y;
      int slot = (k - 32) / 16;
      memcpy(&x.signif, a + 32 + 16 * slot, 8); memcpy(&x.signexp, a + 40 + 16 * slot, 2);
      memcpy(&y.signif, b + 32 + 16 * slot, 8); memcpy(&y.signexp, b + 40 + 16 * slot, 2);
      if (!close_enough(x, y)) return 1;
      k = 32 + 16 * slot + 15;
      continue;
    }
    if (a[k] != b[k]) return 1;
  }
  return 0;
}

/* the memory image; in the FNSTENV/FNSAVE area FIP, FCS, FDP, FDS differ */
/* the stored environment's FIP, FCS, FOP, FDP and FDS (bytes 12-25 of an
 * FNSTENV/FNSAVE image) are the host's business: which it keeps, and
 * whether a context switch's XSAVE/XRSTOR keeps them, is implementation
 * defined (SDM 8.1.8-8.1.10; AMD saves FOP only with an exception pending) */
static int mem_skip(int k) {
  return (k >= 12 && k < 26) ||
         (trans_mode && k < 128);                    /* saved registers: ulps */
}
static int mem_differs(const uint8_t *a, const uint8_t *b) {
  for (int k = 0; k < 256; k++)
    if (!mem_skip(k) && a[k] != b[k]) return 1;
  return 0;
}

static int run_seq(struct fx *f, int unmasked) {
  struct vcpu *c = fx_cpu(f);
  uint8_t code[MAXI * 14], fx0[512] __attribute__((aligned(16))) = {0};
  int offs[MAXI * 7], n = 1 + (int)rn(MAXI), len = 0, nins = 0;
  for (int k = 0; k < n; k++) {
    /* with transcendentals: only as the last instruction, so that a 1-ulp
     * difference is not amplified by what follows */
    if (trans_mode) trans_mode = k == n - 1 ? 2 : 1;
    int l = gen_insn(code + len);
    if (l == 6) {                                   /* FNSTENV/FLDENV pair */
      offs[nins++] = len;
      offs[nins++] = len + 3;
    } else if (l == 3) {
      offs[nins++] = len;
    } else {
      for (int q = 0; q < l; q += 2) offs[nins++] = len + q;
    }
    len += l;
  }
  n = nins;
  /* initial state: random RC/PC, TOP, tags and registers */
  uint16_t cw = (uint16_t)(0x7f | RCS[rn(4)] | PCS[rn(3)]);
  if (unmasked) cw &= (uint16_t)~(1u << rn(6) | 1u << rn(6));
  uint16_t sw = (uint16_t)(rn(8) << 11 | (rn(2) ? F80_C0 | F80_C2 : 0));
  memcpy(fx0, &cw, 2);
  memcpy(fx0 + 2, &sw, 2);
  fx0[4] = (uint8_t)r64();
  uint32_t mx = 0x1f80;
  memcpy(fx0 + 24, &mx, 4);
  for (int k = 0; k < 8; k++) { f80_t v = gen(0); memcpy(fx0 + 32 + 16 * k, &v.signif, 8); memcpy(fx0 + 40 + 16 * k, &v.signexp, 2); }
  uint8_t mem[256];
  for (int k = 0; k < 256; k += 16) fill_slot(mem + k);
  uint16_t safe_cw = (uint16_t)(0x7f | RCS[rn(4)] | PCS[rn(3)]);
  if (unmasked) safe_cw = cw;
  memcpy(mem + 128 + SLOT_CW, &safe_cw, 2);
  uint64_t rax = r64(), fl = 0x202 | (r64() & F_ARITH);
  /* interpreter */
  memcpy(fx_data(f), mem, 256);
  c->r[RBX] = FX_DATA + 128;
  c->r[RAX] = rax;
  cpu_set_rflags(c, fl);
  cpu_fxrstor(c, fx0);
  int gr = fx_exec(f, code, (size_t)len), gk = -1;
  if (gr == CPU_EXIT_EXCEPTION && c->exc.vector == EXC_MF)
    for (int k = 0; k < n; k++) if (c->exc.rip == FX_CODE + (uint64_t)offs[k]) gk = k;
  struct xstate g, h;
  cpu_fxsave(c, g.fx);
  g.rax = c->r[RAX];
  g.fl = cpu_get_rflags(c);
  memcpy(g.mem, fx_data(f), 256);
  /* host */
  int hk = host_run(code, len, offs, n, fx0, rax, fl, mem, &h);
  ncases++;
  int bad = (gr != CPU_EXIT_HLT && gk < 0) || gk != hk || fx_differs(g.fx, h.fx) ||
            ((uint16_t)g.rax ^ (uint16_t)h.rax) & (trans_mode ? ~0x200 : 0xffff) ||
            ((g.fl ^ h.fl) & F_ARITH) || mem_differs(g.mem, h.mem);
  if (bad && shown++ < 12) {
    fprintf(stderr, "x87 seq (cw %04x, #MF guest %d host %d, exit %d):", cw, gk, hk, gr);
    for (int k = 0; k < len; k++) fprintf(stderr, " %02x", code[k]);
    fprintf(stderr, "\n  guest fcw %04x fsw %04x ftw %02x ax %04x fl %03llx\n  host  fcw %04x fsw %04x ftw %02x ax %04x fl %03llx\n",
            *(uint16_t *)g.fx, *(uint16_t *)(g.fx + 2), g.fx[4], (unsigned)(uint16_t)g.rax,
            (unsigned long long)(g.fl & F_ARITH), *(uint16_t *)h.fx, *(uint16_t *)(h.fx + 2),
            h.fx[4], (unsigned)(uint16_t)h.rax, (unsigned long long)(h.fl & F_ARITH));
    for (int k = 0; k < 8; k++)
      if (memcmp(g.fx + 32 + 16 * k, h.fx + 32 + 16 * k, 10))
        fprintf(stderr, "  st%d guest %04x:%016llx host %04x:%016llx\n", k,
                *(uint16_t *)(g.fx + 40 + 16 * k), *(unsigned long long *)(g.fx + 32 + 16 * k),
                *(uint16_t *)(h.fx + 40 + 16 * k), *(unsigned long long *)(h.fx + 32 + 16 * k));
    for (int k = 0; k < 256; k++)
      if (g.mem[k] != h.mem[k] && !mem_skip(k)) {
        fprintf(stderr, "  mem differs at %d: %02x %02x\n", k - 128, g.mem[k], h.mem[k]);
        break;
      }
  }
  return bad;
}

Test(x87, sequences) {
  seed(30);
  xbuf = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(xbuf, MAP_FAILED);
  struct fx *f = fx_new();
  int bad = 0;
  for (int k = 0; k < N_SEQ; k++) bad += run_seq(f, 0);
  for (int k = 0; k < N_SEQ; k++) bad += run_seq(f, 1);
  fx_free(f);
  DONE(bad);
}

/* ending with FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1: stack
 * effects, tags and flags exact, values within 1 ulp, C1 free */
Test(x87, transcendental_sequences) {
  seed(31);
  trans_mode = 1;
  xbuf = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(xbuf, MAP_FAILED);
  struct fx *f = fx_new();
  int bad = 0;
  for (int k = 0; k < N_SEQ / 2; k++) bad += run_seq(f, 0);
  for (int k = 0; k < N_SEQ / 2; k++) bad += run_seq(f, 1);
  fx_free(f);
  DONE(bad);
}
