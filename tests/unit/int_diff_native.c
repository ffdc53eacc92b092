/* Differential tests: the native side.
 *
 * Cases run in forked children, a batch per child, so a case that crashes
 * cannot take the test runner down.  In the child:
 *   FX_CODE (0x400000) two RWX pages: the instruction bytes at offset
 *     cofs (0 mostly; so RIP-relative operands and branch targets are the
 *     interpreter's), the epilogue right after them, the prologue at +0x800;
 *   FX_CODE + 0x2000: the state page (16 GPRs, RFLAGS, the host RSP, the
 *     entry address);
 *   FX_DATA: the 64 KiB data area (memory operands and the test stack).
 * The prologue (machine code below) saves the callee-saved registers and
 * the host RSP, loads RFLAGS and all 16 GPRs from the state page and jumps
 * to the instruction; the epilogue stores all 16 GPRs, switches back to
 * the host stack, stores RFLAGS (PUSHFQ), resets RFLAGS to 0x202 and
 * returns.  A fault (#DE = SIGFPE, #GP ...) arrives on an alternate signal
 * stack; the handler records the vector (the kernel's trap number) and the
 * registers at the fault and longjmps back to the case loop. */
#include "tests/unit/int_diff.h"
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

char id_native_error[256];

#define CODE_PAGE FX_CODE
#define PROLOGUE (FX_CODE + 0x800)
#define STATE (FX_CODE + 0x2000)
#define ST_FLAGS (STATE + 128)
#define ST_HOSTSP (STATE + 136)
#define ST_ENTRY (STATE + 144)

struct shared {
  volatile int64_t progress;   /* case being run by the child */
  volatile int setup_failed;
  char msg[200];
};

static uint8_t epi[256];
static int epi_len;

static int put32(uint8_t *p, int n, uint32_t v) { memcpy(p + n, &v, 4); return n + 4; }

/* mov r64, [abs32] (load=1) or mov [abs32], r64 */
static int mov_abs(uint8_t *p, int n, int reg, uint32_t addr, int load) {
  p[n++] = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
  p[n++] = load ? 0x8B : 0x89;
  p[n++] = (uint8_t)(((reg & 7) << 3) | 4);
  p[n++] = 0x25;
  return put32(p, n, addr);
}

static int build_prologue(uint8_t *p) {
  int n = 0;
  static const uint8_t save[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
  memcpy(p, save, sizeof save);
  n = sizeof save;
  n = mov_abs(p, n, 4, (uint32_t)ST_HOSTSP, 0);          /* mov [hostsp], rsp */
  p[n++] = 0xFF; p[n++] = 0x34; p[n++] = 0x25;            /* push qword [flags] */
  n = put32(p, n, (uint32_t)ST_FLAGS);
  p[n++] = 0x9D;                                          /* popfq */
  for (int r = 0; r < 16; r++)
    if (r != 4) n = mov_abs(p, n, r, (uint32_t)(STATE + 8 * r), 1);
  n = mov_abs(p, n, 4, (uint32_t)(STATE + 32), 1);        /* rsp last */
  p[n++] = 0xFF; p[n++] = 0x24; p[n++] = 0x25;            /* jmp [entry] */
  n = put32(p, n, (uint32_t)ST_ENTRY);
  return n;
}

static int build_epilogue(uint8_t *p) {
  int n = 0;
  for (int r = 0; r < 16; r++) n = mov_abs(p, n, r, (uint32_t)(STATE + 8 * r), 0);
  n = mov_abs(p, n, 4, (uint32_t)ST_HOSTSP, 1);           /* mov rsp, [hostsp] */
  p[n++] = 0x9C;                                          /* pushfq */
  p[n++] = 0x8F; p[n++] = 0x04; p[n++] = 0x25;            /* pop qword [flags] */
  n = put32(p, n, (uint32_t)ST_FLAGS);
  p[n++] = 0x68; n = put32(p, n, 0x202);                  /* push 0x202 */
  p[n++] = 0x9D;                                          /* popfq */
  static const uint8_t rest[] = {0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3};
  memcpy(p + n, rest, sizeof rest);
  return n + (int)sizeof rest;
}

static sigjmp_buf g_jb;
static struct {
  int sig;
  uint64_t trapno, rip, fl;
  uint64_t r[16];
} g_fault;

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  (void)si;
  /* whatever the case left in RFLAGS (AC, DF): not in the handler */
  __asm__ volatile("sub $128, %%rsp\n\tpushq $0x202\n\tpopfq\n\tadd $128, %%rsp" ::: "cc", "memory");
  ucontext_t *uc = ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  g_fault.sig = sig;
  g_fault.trapno = (uint64_t)g[REG_TRAPNO];
  g_fault.rip = (uint64_t)g[REG_RIP];
  g_fault.fl = (uint64_t)g[REG_EFL];
  static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                              REG_RSI, REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11,
                              REG_R12, REG_R13, REG_R14, REG_R15};
  for (int k = 0; k < 16; k++) g_fault.r[k] = (uint64_t)g[map[k]];
  siglongjmp(g_jb, 1);
}

static void child_fail(struct shared *sh, const char *what) {
  snprintf(sh->msg, sizeof sh->msg, "%s: %s", what, strerror(errno));
  sh->setup_failed = 1;
  _exit(3);
}

/* One case (kept apart so nothing live crosses the sigsetjmp). */
static __attribute__((noinline)) void run_one(const struct id_case *c, struct id_result *r,
                                              uint8_t *cp, uint8_t *area) {
  uint64_t *st = (uint64_t *)STATE;
  void (*enter)(void) = (void (*)(void))PROLOGUE;
  memcpy(cp + c->cofs, c->code, c->len);
  memcpy(cp + c->cofs + c->len, epi, (size_t)epi_len);
  id_fill_case(area, c);
  memcpy(st, c->r, 128);
  st[16] = c->fl;
  st[18] = CODE_PAGE + c->cofs;
  if (sigsetjmp(g_jb, 0) == 0) {
    enter();
    memcpy(r->r, st, 128);
    r->fl = st[16];
    r->outcome = 0;
    r->rip = 0;
  } else {
    memcpy(r->r, g_fault.r, 128);
    r->fl = g_fault.fl;
    r->rip = g_fault.rip;
    /* a fault points at its instruction, a trap (INT3) after it */
    if (g_fault.rip >= CODE_PAGE + c->cofs && g_fault.rip <= CODE_PAGE + c->cofs + c->len)
      r->outcome = ID_FAULT | (uint32_t)(g_fault.trapno & 0xff);
    else
      r->outcome = ID_CRASH | (uint32_t)g_fault.sig;   /* harness fault */
  }
  id_grab(area, c, r);
}

static void child_main(struct shared *sh, const struct id_case *cs, size_t start,
                       size_t n, struct id_result *res, uint32_t area_seed,
                       uint8_t *area_out) {
  sh->progress = -1;
  alarm(30);
  void *code = mmap((void *)CODE_PAGE, 0x2000, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code != (void *)CODE_PAGE) child_fail(sh, "mmap FX_CODE");
  if (mmap((void *)STATE, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
           -1, 0) != (void *)STATE)
    child_fail(sh, "mmap state page");
  uint8_t *area = mmap((void *)FX_DATA, FX_DATA_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (area != (uint8_t *)FX_DATA) child_fail(sh, "mmap FX_DATA");
  /* guard pages: the interpreter's fixture maps nothing there either */
  if (mmap((void *)(FX_DATA - 0x1000), 0x1000, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)(FX_DATA - 0x1000) ||
      mmap((void *)(FX_DATA + FX_DATA_SIZE), 0x1000, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)(FX_DATA + FX_DATA_SIZE))
    child_fail(sh, "mmap guard pages");
  static uint8_t altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL)) child_fail(sh, "sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGFPE, SIGSEGV, SIGILL, SIGBUS, SIGTRAP};
  for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
    if (sigaction(sigs[k], &sa, NULL)) child_fail(sh, "sigaction");

  uint8_t *cp = (uint8_t *)CODE_PAGE;
  memset(cp, 0xCC, 0x2000);                       /* stray jumps: INT3 */
  build_prologue(cp + 0x800);
  id_fill_area(area, area_seed);

  for (size_t k = start; k < n; k++) {
    sh->progress = (int64_t)k;
    if (cs[k].ud_only) {   /* not executed natively; memory set up alike */
      memset(&res[k], 0, sizeof res[k]);
      id_fill_case(area, &cs[k]);
      continue;
    }
    run_one(&cs[k], &res[k], cp, area);
  }
  sh->progress = (int64_t)n;
  if (area_out) memcpy(area_out, area, FX_DATA_SIZE);
  _exit(0);
}

int id_native_batch(const struct id_case *cs, size_t n, struct id_result *res,
                    uint32_t area_seed, uint8_t *area_out) {
  if (!epi_len) epi_len = build_epilogue(epi);
  size_t bytes = sizeof(struct shared) + n * sizeof(struct id_result) + FX_DATA_SIZE;
  bytes = (bytes + 4095) & ~(size_t)4095;
  uint8_t *shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) {
    snprintf(id_native_error, sizeof id_native_error, "mmap shared: %s", strerror(errno));
    return -1;
  }
  struct shared *sh = (struct shared *)shm;
  struct id_result *sres = (struct id_result *)(shm + sizeof(struct shared));
  uint8_t *sarea = (uint8_t *)(sres + n);
  size_t start = 0;
  int ret = 0;
  fflush(NULL);
  while (start <= n) {
    sh->progress = -1;
    sh->setup_failed = 0;
    pid_t pid = fork();
    if (pid < 0) {
      snprintf(id_native_error, sizeof id_native_error, "fork: %s", strerror(errno));
      ret = -1;
      break;
    }
    if (pid == 0) child_main(sh, cs, start, n, sres, area_seed, area_out ? sarea : NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (sh->setup_failed || sh->progress < 0) {
      snprintf(id_native_error, sizeof id_native_error, "native child set-up failed: %s (status %#x)",
               sh->setup_failed ? sh->msg : "?", status);
      ret = -1;
      break;
    }
    /* the child died inside case `progress`: record it, go on after it */
    size_t k = (size_t)sh->progress;
    if (k >= n) break;
    memset(&sres[k], 0, sizeof sres[k]);
    sres[k].outcome = ID_CRASH | (WIFSIGNALED(status) ? (uint32_t)WTERMSIG(status) : 0xff);
    start = k + 1;
    if (start == n) break;
  }
  if (ret == 0) {
    memcpy(res, sres, n * sizeof *res);
    if (area_out) memcpy(area_out, sarea, FX_DATA_SIZE);
  }
  munmap(shm, bytes);
  return ret;
}
