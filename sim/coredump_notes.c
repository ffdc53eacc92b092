/* A core file's notes (fs/binfmt_elf.c fill_note_info, write_note_info),
 * in Linux's order: the dumping thread's NT_PRSTATUS, then the
 * process-wide NT_PRPSINFO, NT_SIGINFO, NT_AUXV and NT_FILE, then that
 * thread's other register sets, NT_FPREGSET and NT_X86_XSTATE; then each
 * other thread's NT_PRSTATUS and register sets.  The
 * layouts are the ABI's, from <sys/procfs.h>, <sys/user.h> and <elf.h>.
 * (No NT_X86_XSAVE_LAYOUT: it lists the extended XSAVE features, and the
 * guest's CPU has none beyond x87 and SSE.) */
#include "sim/coredump_priv.h"
#include "cpu-x86/cpu.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/user.h>

_Static_assert(sizeof(struct elf_prstatus) == 336, "x86-64 NT_PRSTATUS is 336 bytes");
_Static_assert(sizeof(struct elf_prpsinfo) == 136, "x86-64 NT_PRPSINFO is 136 bytes");

static void put(struct notes *n, const void *p, size_t len) {
  if (!n->buf) return;
  size_t pad = (len + 3) & ~(size_t)3;     /* every part 4-byte aligned */
  if (n->len + pad > n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 8192;
    while (cap < n->len + pad) cap *= 2;
    uint8_t *b = realloc(n->buf, cap);
    if (!b) { free(n->buf); n->buf = NULL; return; }
    n->buf = b;
    n->cap = cap;
  }
  memcpy(n->buf + n->len, p, len);
  memset(n->buf + n->len + len, 0, pad - len);
  n->len += pad;
}

/* writenote: the header, the name with its NUL, the description */
static void note(struct notes *n, const char *name, uint32_t type, const void *desc, size_t len) {
  Elf64_Nhdr h = {.n_namesz = (Elf64_Word)strlen(name) + 1, .n_descsz = (Elf64_Word)len, .n_type = type};
  if (n->n == n->cap_at) {                /* 7 for the process and its first thread, 3 per other thread */
    int cap = n->cap_at ? n->cap_at * 2 : 16;
    size_t *at = realloc(n->at, (size_t)cap * sizeof *at);
    if (!at) { free(n->buf); n->buf = NULL; return; }
    n->at = at;
    n->cap_at = cap;
  }
  n->at[n->n++] = n->len;
  put(n, &h, sizeof h);
  put(n, name, h.n_namesz);
  put(n, desc, len);
}

static struct timeval tv_of(uint64_t ns) {
  return (struct timeval){.tv_sec = (time_t)(ns / 1000000000ull), .tv_usec = (suseconds_t)(ns % 1000000000ull / 1000)};
}

/* a thread's registers and FXSAVE image: the running one's from its vCPU,
 * one running on another vCPU (--cpus) from that one, any other's from
 * what it saved when it left the CPU */
static void thread_state(struct kernel *k, struct task *t, struct cpu_regs *r, uint8_t fx[512]) {
  struct vcpu *c = t == k->cur ? k->cpu : t->on_cpu >= 0 && k->smp.n > 1 ? k->smp.cpu[t->on_cpu] : NULL;
  if (c) {
    cpu_save_regs(c, r);
    cpu_fxsave(c, fx);
    return;
  }
  *r = t->regs;
  struct cpu_regs mine;                  /* (the FXSAVE image is the CPU's to make) */
  cpu_save_regs(k->cpu, &mine);
  cpu_load_regs(k->cpu, &t->regs);
  cpu_fxsave(k->cpu, fx);
  cpu_load_regs(k->cpu, &mine);
}

/* fill_prstatus and the general registers (struct user_regs_struct) of
 * thread t: every thread's carries the signal; the leader's times are the
 * process's, another thread's its own */
static void prstatus(struct kernel *k, struct task *t, int sig, const struct cpu_regs *r, struct elf_prstatus *ps) {
  const struct task_ctx *c = t == k->cur ? &k->tc : &t->tc;
  memset(ps, 0, sizeof *ps);
  ps->pr_info.si_signo = ps->pr_cursig = (short)sig;
  ps->pr_sigpend = c->sigpending;
  ps->pr_sighold = t == k->cur ? k->sigmask : c->sigmask;
  ps->pr_pid = c->tid;
  ps->pr_ppid = c->tg->ppid;
  ps->pr_pgrp = c->tg->pgid;
  ps->pr_sid = c->tg->sid;
  /* the model charges every instruction to user time and keeps no
   * children's times (getrusage agrees) */
  ps->pr_utime = tv_of(task_cpu_ns_of(k, t, c->tid == c->pid));
  /* a thread parked in a system call: orig_rax is its number */
  long long orig = t == k->cur ? (long long)k->orig_rax : t->restart_syscall ? (long long)r->r[RAX] : -1;
  struct user_regs_struct u = {
    .r15 = r->r[R15], .r14 = r->r[R14], .r13 = r->r[R13], .r12 = r->r[R12], .rbp = r->r[RBP],
    .rbx = r->r[RBX], .r11 = r->r[R11], .r10 = r->r[R10], .r9 = r->r[R9], .r8 = r->r[R8],
    .rax = r->r[RAX], .rcx = r->r[RCX], .rdx = r->r[RDX], .rsi = r->r[RSI], .rdi = r->r[RDI],
    .orig_rax = (unsigned long long)orig, .rip = r->rip, .cs = 0x33, .eflags = r->rflags,
    .rsp = r->r[RSP], .ss = 0x2b, .fs_base = r->fs_base, .gs_base = r->gs_base};
  _Static_assert(sizeof u == sizeof ps->pr_reg, "elf_gregset_t is struct user_regs_struct");
  memcpy(&ps->pr_reg, &u, sizeof u);
  ps->pr_fpvalid = 1;                     /* NT_FPREGSET follows */
}

/* a thread's other register sets: NT_FPREGSET, the FXSAVE image, and
 * NT_X86_XSTATE, the XSAVE image in standard form, XCR0 in the first
 * software-reserved word (update_regset_xstate_info), x87 and SSE state
 * in its header */
static void regsets(struct kernel *k, struct notes *n, const uint8_t fx[512]) {
  uint8_t xs[576];
  memset(xs, 0, sizeof xs);
  memcpy(xs, fx, 512);
  note(n, "CORE", NT_PRFPREG, xs, 512);
  uint64_t xcr0 = k->cpu->xcr0, bv = k->cpu->xcr0 & 3;
  memcpy(xs + 464, &xcr0, 8);
  memcpy(xs + 512, &bv, 8);
  note(n, "LINUX", NT_X86_XSTATE, xs, sizeof xs);
}

/* fill_psinfo: the arguments (their NULs as spaces, at most 79 bytes),
 * state R (the dumper runs), the task's flags: PF_DUMPCORE|PF_SIGNALED,
 * and PF_FORKNOEXEC for a child that has not exec'd */
static void prpsinfo(struct kernel *k, struct elf_prpsinfo *pi) {
  memset(pi, 0, sizeof *pi);
  size_t len = k->tg->cmdline ? k->tg->cmdline_len : 0;
  if (len >= ELF_PRARGSZ) len = ELF_PRARGSZ - 1;
  if (len) memcpy(pi->pr_psargs, k->tg->cmdline, len);
  for (size_t i = 0; i < len; i++) if (!pi->pr_psargs[i]) pi->pr_psargs[i] = ' ';
  pi->pr_sname = 'R';
  pi->pr_nice = (char)k->nice;
  pi->pr_flag = 0x200 /* PF_DUMPCORE */ | 0x400 /* PF_SIGNALED */ | (k->forknoexec ? 0x40 /* PF_FORKNOEXEC */ : 0);
  pi->pr_uid = (unsigned)k->ruid;
  pi->pr_gid = (unsigned)k->rgid;
  pi->pr_pid = k->pid;
  pi->pr_ppid = k->tg->ppid;
  pi->pr_pgrp = k->tg->pgid;
  pi->pr_sid = k->tg->sid;
  memcpy(pi->pr_fname, k->comm, sizeof pi->pr_fname);
}

/* fill_files_note: count, page size, {start, end, file page offset} per
 * file mapping, then their paths (as /proc/<pid>/maps names them) */
static void files_note(struct kernel *k, struct notes *n) {
  const struct mm *mm = k->mm;
  uint64_t count = 0;
  for (int i = 0; i < mm->nvmas; i++) count += mm->vmas[i].file != NULL;
  size_t cap = (2 + 3 * count) * 8 + 64, len = (2 + 3 * count) * 8;
  uint8_t *d = malloc(cap);
  if (!d) { free(n->buf); n->buf = NULL; return; }
  uint64_t hdr[2] = {count, PAGE};
  memcpy(d, hdr, sizeof hdr);
  size_t ent = 16;
  char name[FS_PATH_MAX];
  for (int i = 0; i < mm->nvmas; i++) {
    const struct vma *v = &mm->vmas[i];
    if (!v->file) continue;
    uint64_t e[3] = {v->start, v->end, v->file_off / PAGE};
    memcpy(d + ent, e, sizeof e);
    ent += sizeof e;
    fs_vma_name(k, v, name, sizeof name);
    size_t l = strlen(name) + 1;
    if (len + l > cap) {
      cap = (len + l) * 2;
      uint8_t *nd = realloc(d, cap);
      if (!nd) { free(d); free(n->buf); n->buf = NULL; return; }
      d = nd;
    }
    memcpy(d + len, name, l);
    len += l;
  }
  note(n, "CORE", NT_FILE, d, len);
  free(d);
}

int core_notes(struct kernel *k, int sig, struct notes *n) {
  n->len = n->cap = 0;
  n->n = n->cap_at = 0;
  n->at = NULL;
  n->buf = malloc(1);
  struct cpu_regs r;
  uint8_t fx[512];
  struct elf_prstatus ps;
  thread_state(k, k->cur, &r, fx);
  prstatus(k, k->cur, sig, &r, &ps);
  note(n, "CORE", NT_PRSTATUS, &ps, sizeof ps);
  struct elf_prpsinfo pi;
  prpsinfo(k, &pi);
  note(n, "CORE", NT_PRPSINFO, &pi, sizeof pi);
  uint8_t si[128];
  signal_siginfo(k, sig, si);
  note(n, "CORE", NT_SIGINFO, si, sizeof si);
  /* the auxiliary vector exec gave the process, through its AT_NULL */
  uint8_t av[4096];
  size_t al = k->tg->auxv_len <= sizeof av ? k->tg->auxv_len : 0;
  if (al && copy_from_user(k, av, k->tg->auxv_addr, al)) al = 0;
  for (size_t o = 0; o + 16 <= al; o += 16) {
    uint64_t type;
    memcpy(&type, av + o, 8);
    if (type == 0 /* AT_NULL */) { al = o + 16; break; }
  }
  note(n, "CORE", NT_AUXV, av, al);
  files_note(k, n);
  regsets(k, n, fx);
  /* then every other live thread of the process (fill_note_info: the
   * dumping thread first, each other one's NT_PRSTATUS and register sets) */
  for (struct task *t = k->tasks; t; t = t->next) {
    if (t == k->cur || t->tc.tg != k->tg || t->state == TS_ZOMBIE || t->gone) continue;
    thread_state(k, t, &r, fx);
    prstatus(k, t, sig, &r, &ps);
    note(n, "CORE", NT_PRSTATUS, &ps, sizeof ps);
    regsets(k, n, fx);
  }
  return n->buf ? 0 : -ENOMEM;
}
