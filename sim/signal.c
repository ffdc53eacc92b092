/* Signals with Linux's user-visible x86-64 layout: rt_sigaction,
 * rt_sigprocmask, rt_sigreturn, rt_sigsuspend, sigaltstack, kill/tgkill,
 * and delivery through an rt_sigframe (ucontext + siginfo + XSAVE-format
 * fpstate) built on the guest stack through the MMU. */
#include "sim/kernel.h"
#include "sim/record.h"
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/syscall.h>

#define SA_RESTORER_ 0x04000000ull
#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
#undef FP_XSTATE_MAGIC1
#undef FP_XSTATE_MAGIC2
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define XSTATE_SIZE 576u
#define FRAME_SIZE 440u        /* sizeof(struct rt_sigframe) on x86-64 */
#define UC_OFF 8u              /* ucontext inside the frame */
#define MC_OFF (UC_OFF + 40u)  /* sigcontext inside the frame */
#define MASK_OFF (UC_OFF + 296u)
#define INFO_OFF (UC_OFF + 304u)
#define SIGRTMIN_ 32           /* the kernel's first real-time signal */

static inline uint64_t bit(int sig) { return 1ull << (sig - 1); }
static const uint64_t UNBLOCKABLE = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

/* signal(7)'s "Ign" actions (SIGCONT's "Cont" happens when it is sent,
 * jobctl_generate; then it is ignored like these) */
static bool default_ignores(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* the signal Linux dequeues first of a set: synchronous faults, then the
 * lowest number */
static int first_signal(uint64_t set) {
  static const int sync[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE};
  for (unsigned i = 0; i < sizeof sync / sizeof sync[0]; i++)
    if (set & bit(sync[i])) return sync[i];
  return set ? __builtin_ctzll(set) + 1 : 0;
}


static bool ignored(const struct task_ctx *c, int sig) {
  uint64_t h = c->tg->sig_handlers[sig];
  return h == (uint64_t)(uintptr_t)SIG_IGN || (!h && default_ignores(sig));
}

uint64_t signal_wakers(const struct task_ctx *c) {
  uint64_t w = task_pending(c) & ~c->sigmask, out = 0;
  while (w) {
    int sig = __builtin_ctzll(w) + 1;
    w &= w - 1;
    if (sig == SIGKILL || !ignored(c, sig)) out |= bit(sig);
  }
  return out;
}

/* the siginfo_t of a pending signal, as a handler or sigtimedwait sees it */
void signal_siginfo(struct kernel *k, int sig, uint8_t info[128]) {
  memset(info, 0, 128);
  int32_t hdr[3] = {sig, 0, k->siginfo[sig].code};
  memcpy(info, hdr, 12);
  if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) {
    memcpy(info + 16, &k->siginfo[sig].addr, 8);
  } else if (sig == SIGCHLD) {
    int32_t ch[3] = {k->siginfo[sig].pid, k->siginfo[sig].uid, k->siginfo[sig].status};
    memcpy(info + 16, ch, 12);
  } else {
    int32_t kp[2] = {k->siginfo[sig].pid, k->siginfo[sig].uid};
    memcpy(info + 16, kp, 8);
    if (k->siginfo[sig].code < 0)        /* sigqueue: si_value after the ids */
      memcpy(info + 24, &k->siginfo[sig].addr, 8);
  }
}

/* kill_ok_by_cred (kill(2)): the sender's real or effective uid is the
 * target's real or saved uid, or it has CAP_KILL; SIGCONT within the
 * session is always allowed.  Checked for signal 0 too. */
bool signal_may_kill(const struct kernel *k, const struct task_ctx *c, int sig) {
  return k->euid == c->suid || k->euid == c->ruid || k->ruid == c->suid || k->ruid == c->ruid ||
         capable(k, CAP_KILL_) || (sig == SIGCONT && c->tg->sid == k->tg->sid);
}

void signal_queue_info(struct kernel *k, struct task *t, int sig, const uint8_t info[128], bool thread) {
  int32_t code, ids[2];
  uint64_t value;
  memcpy(&code, info + 8, 4);
  memcpy(ids, info + 16, 8);
  memcpy(&value, info + 24, 8);
  struct ksiginfo *si = thread ? signal_send_thread(k, t, sig, code, value) : signal_send(k, t, sig, code, value);
  if (!si) return;
  si->pid = ids[0];
  si->uid = ids[1];
}

/* __sigqueue_alloc's limit: a signal queued with a code below 0 (tgkill's
 * SI_TKILL, sigqueue's SI_QUEUE) counts against the target's
 * RLIMIT_SIGPENDING, over every signal pending for its real user; a
 * real-time one over it is refused with EAGAIN (kill's SI_USER and the
 * kernel's own are not limited) */
static bool queue_room(struct kernel *k, struct task *t) {
  const struct task_ctx *tc = task_ctx_of(k, t);
  uint64_t limit = tc->tg->rlim[RLIMIT_SIGPENDING].cur, n = 0;
  const struct tgroup *seen = NULL;
  for (struct task *u = k->tasks; u && n < limit; u = u->next) {
    const struct task_ctx *uc = task_ctx_of(k, u);
    if (u->state == TS_ZOMBIE || uc->ruid != tc->ruid) continue;
    n += (uint64_t)__builtin_popcountll(uc->sigpending);
    if (uc->tg != seen) { n += (uint64_t)__builtin_popcountll(uc->tg->shared_pending); seen = uc->tg; }
  }
  return n < limit;
}

/* rt_sigqueueinfo/rt_tgsigqueueinfo (sigqueue): the caller's siginfo,
 * with a code it may use (negative, or its own process), to a process
 * kill(2) could signal */
static long sys_sigqueueinfo(struct kernel *k, int pid, int tid, int sig, uint64_t uinfo) {
  uint8_t info[128];
  if (copy_from_user(k, info, uinfo, sizeof info)) return -EFAULT;
  int32_t code;
  memcpy(&code, info + 8, 4);
  if (sig < 0 || sig > 64) return -EINVAL;
  /* do_rt_sigqueueinfo: a code of the kernel's or kill's only to oneself
   * (task_pid_vnr(current): the caller's thread id) */
  if (k->tc.ns) {                      /* find_vpid: the caller's namespace's numbers */
    int gt = tid ? pid_from_vnr(k, tid) : 0;
    pid = pid_from_vnr(k, pid);
    if (!pid || (tid && !gt)) return -ESRCH;
    tid = gt;
  }
  if (pid != k->tid && pid != k->pid && (code >= 0 || code == -6 /* SI_TKILL */)) return -EPERM;
  struct task *t = tid ? task_find_tid(k, tid) : pid == k->pid ? k->cur : task_find(k, pid);
  if (!t && !tid && (t = task_find_tid(k, pid))) t = task_find(k, task_ctx_of(k, t)->pid);   /* a thread's id: its process */
  if (!t || (tid && task_ctx_of(k, t)->pid != pid)) return -ESRCH;
  if (!signal_may_kill(k, task_ctx_of(k, t), sig)) return -EPERM;
  if (!sig) return 0;
  if (sig >= SIGRTMIN_ && code < 0 && !queue_room(k, t)) return -EAGAIN;
  signal_queue_info(k, t, sig, info, tid != 0);
  return 0;
}

/* __send_signal: a thread-directed signal (tkill, tgkill) is queued on
 * the thread; a process-directed one on the thread group's shared queue,
 * which the first thread that does not block it takes (claim_shared) --
 * or on the one thread's own queue while the process has only one.
 * Returns the queued siginfo (the caller may add to it), NULL when the
 * signal is dropped. */
static struct ksiginfo *send_signal(struct kernel *k, struct task *t, int sig, int code, uint64_t addr, bool thread) {
  if (sig < 1 || sig > 64) return NULL;
  struct task_ctx *c = task_ctx_of(k, t);
  if (t->state == TS_ZOMBIE && (thread || !c->tg->live)) return NULL;
  /* init (initproc.c) has no handler: SIGNAL_UNKILLABLE's
   * sig_task_ignored drops each signal, SIGKILL and SIGSTOP too */
  if (t == k->init) return NULL;
  /* a pid namespace's init, from inside it: only what it handles */
  if (c->ns && c->tg->sig_handlers[sig] == 0 && pidns_unkillable(k, c)) return NULL;
  jobctl_generate(k, t, sig);        /* prepare_signal's stop/continue effects come first */
  /* sig_ignored(): a blocked signal is queued even when ignored (the
   * disposition may change, or sigtimedwait may take it) */
  uint64_t blocked = t->state == TS_ZOMBIE ? 0 : c->sigmask | (t->sigwait_active ? t->saved_mask : 0);   /* + real_blocked */
  if (!(blocked & bit(sig)) && sig != SIGKILL && ignored(c, sig)) return NULL;
  bool shared = !thread && (c->tg->live > 1 || t->state == TS_ZOMBIE);
  uint64_t *pending = shared ? &c->tg->shared_pending : &c->sigpending;
  struct ksiginfo *si = shared ? &c->tg->shared_info[sig] : &c->siginfo[sig];
  /* legacy_queue: a standard signal already pending is not queued twice
   * (its first siginfo stays); real-time signals are one deep here */
  if (sig < SIGRTMIN_ && (*pending & bit(sig))) return NULL;
  *pending |= bit(sig);
  /* SI_USER: the sender, as the target's pid and user namespaces see it */
  *si = (struct ksiginfo){.code = code, .addr = addr, .pid = k->pid, .uid = k->ruid};
  if (c->ns || k->tc.ns) {
    si->pid = pid_nr_ns(task_pidns(c), k->pid);
    si->uid = (int)ns_from_kid_munged(task_userns(c), false, (uint32_t)k->ruid);
  }
  return si;
}

struct ksiginfo *signal_send(struct kernel *k, struct task *t, int sig, int code, uint64_t addr) {
  return send_signal(k, t, sig, code, addr, false);
}

struct ksiginfo *signal_send_thread(struct kernel *k, struct task *t, int sig, int code, uint64_t addr) {
  return send_signal(k, t, sig, code, addr, true);
}

/* the process-directed signals of want move to the running thread's own
 * queue: it takes them (dequeue_signal looks at both queues) */
static void claim_shared(struct kernel *k, uint64_t want) {
  uint64_t s = k->tg->shared_pending & want;
  while (s) {
    int sig = __builtin_ctzll(s) + 1;
    s &= s - 1;
    if (!(k->sigpending & bit(sig))) {
      k->sigpending |= bit(sig);
      k->siginfo[sig] = k->tg->shared_info[sig];
    }
    k->tg->shared_pending &= ~bit(sig);
  }
}

void signal_force_fault(struct kernel *k, int sig, int code, uint64_t addr, int trapno,
                        uint32_t err) {
  /* force_sig_fault: a blocked or ignored synchronous signal kills */
  if ((k->sigmask & bit(sig)) || k->tg->sig_handlers[sig] == (uint64_t)(uintptr_t)SIG_IGN) {
    k->tg->sig_handlers[sig] = 0;
    k->sigmask &= ~bit(sig);
  }
  k->sigpending |= bit(sig);
  k->siginfo[sig].code = code;
  k->siginfo[sig].addr = addr;
  k->siginfo[sig].trapno = trapno;
  k->siginfo[sig].err = err;
  k->siginfo[sig].pid = 0;
}

bool signal_dumps_core(int sig) {
  /* signal(7): the signals whose default action is "Core" */
  static const uint64_t core = 1ull << (SIGQUIT - 1) | 1ull << (SIGILL - 1) | 1ull << (SIGTRAP - 1) |
                               1ull << (SIGABRT - 1) | 1ull << (SIGBUS - 1) | 1ull << (SIGFPE - 1) |
                               1ull << (SIGSEGV - 1) | 1ull << (SIGXCPU - 1) | 1ull << (SIGXFSZ - 1) |
                               1ull << (SIGSYS - 1);
  return sig >= 1 && sig <= 64 && (core >> (sig - 1) & 1);
}

static void die(struct kernel *k, int sig) {
  k->killed_by = sig;
  k->exited = true;
}

/* Build the rt_sigframe and enter the handler (arch/x86/kernel/signal.c). */
static int setup_frame(struct kernel *k, int sig) {
  struct vcpu *c = k->cpu;
  struct cpu_regs r;
  cpu_save_regs(c, &r);
  uint64_t sp = r.r[RSP];
  bool on_alt = k->altstack_size && sp > k->altstack_sp && sp <= k->altstack_sp + k->altstack_size;
  if ((k->tg->sig_flags[sig] & SA_ONSTACK) && k->altstack_size && !on_alt &&
      !(k->altstack_flags & SS_DISABLE))
    sp = k->altstack_sp + k->altstack_size;
  else
    sp -= 128;                                   /* the red zone */
  /* fpstate: XSAVE image + FP_XSTATE_MAGIC2, 64-byte aligned */
  sp -= XSTATE_SIZE + 4;
  sp &= ~63ull;
  uint64_t fp = sp;
  uint64_t frame = ((sp - FRAME_SIZE) & ~15ull) - 8;
  uint8_t fx[XSTATE_SIZE + 4];
  memset(fx, 0, sizeof fx);
  cpu_fxsave(c, fx);
  uint32_t sw[5] = {FP_XSTATE_MAGIC1, XSTATE_SIZE + 4, 3, 0, XSTATE_SIZE};
  memcpy(fx + 464, sw, 16);                       /* _fpx_sw_bytes: magic1, extended_size, xfeatures */
  memcpy(fx + 464 + 16, &sw[4], 4);              /* xstate_size */
  uint64_t xstate_bv = 3;
  memcpy(fx + 512, &xstate_bv, 8);
  uint32_t m2 = FP_XSTATE_MAGIC2;
  memcpy(fx + XSTATE_SIZE, &m2, 4);
  uint8_t f[FRAME_SIZE];
  memset(f, 0, sizeof f);
  uint64_t restorer = k->tg->sig_restorer[sig];
  memcpy(f, &restorer, 8);
  uint64_t ucf = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
  memcpy(f + UC_OFF, &ucf, 8);
  uint64_t st[3] = {k->altstack_sp, (uint64_t)(k->altstack_size ? (on_alt ? SS_ONSTACK : 0) : SS_DISABLE),
                    k->altstack_size};
  memcpy(f + UC_OFF + 16, st, 24);
  /* sigcontext: r8..r15 rdi rsi rbp rbx rdx rax rcx rsp rip eflags csgsfs err trapno oldmask cr2 fpstate */
  uint64_t mc[24] = {r.r[R8], r.r[R9], r.r[R10], r.r[R11], r.r[R12], r.r[R13], r.r[R14], r.r[R15],
                     r.r[RDI], r.r[RSI], r.r[RBP], r.r[RBX], r.r[RDX], r.r[RAX], r.r[RCX], r.r[RSP],
                     r.rip, r.rflags,
                     0x33ull | (0x2bull << 48) /* cs=0x33 ss=0x2b */,
                     k->siginfo[sig].err, (uint64_t)k->siginfo[sig].trapno, k->sigmask,
                     k->siginfo[sig].trapno == 14 ? k->siginfo[sig].addr : 0, fp};
  memcpy(f + MC_OFF, mc, sizeof mc);
  uint64_t frame_mask = k->sigmask;
  if (k->cur->sigsuspend_active) {   /* sigreturn restores the pre-sigsuspend mask */
    frame_mask = k->cur->saved_mask;
    k->cur->sigsuspend_active = false;
  }
  memcpy(f + MASK_OFF, &frame_mask, 8);
  mc[21] = frame_mask;
  memcpy(f + MC_OFF, mc, sizeof mc);
  signal_siginfo(k, sig, f + INFO_OFF);
  if (copy_to_user(k, fp, fx, sizeof fx) || copy_to_user(k, frame, f, sizeof f)) return -1;
  c->r[RSP] = frame;
  c->rip = k->tg->sig_handlers[sig];
  c->r[RDI] = (uint64_t)sig;
  c->r[RSI] = frame + INFO_OFF;
  c->r[RDX] = frame + UC_OFF;
  c->r[RAX] = 0;
  /* DF cleared for the handler, as the ABI wants */
  cpu_set_rflags(c, cpu_get_rflags(c) & ~(uint64_t)0x40500 /* DF TF AC */);
  k->sigmask |= k->tg->sig_mask_[sig];
  if (!(k->tg->sig_flags[sig] & SA_NODEFER)) k->sigmask |= bit(sig);
  k->sigmask &= ~UNBLOCKABLE;
  if (k->tg->sig_flags[sig] & SA_RESETHAND) k->tg->sig_handlers[sig] = 0;   /* SA_ONESHOT: the handler only */
  return 0;
}

/* A stop signal's default action (get_signal): the task stops, except
 * that SIGTSTP/SIGTTIN/SIGTTOU are dropped when its process group is
 * orphaned.  False if sig is not a stop signal left at SIG_DFL. */
static bool take_stop(struct kernel *k, int sig) {
  if (!(bit(sig) & SIG_STOP_MASK) || k->tg->sig_handlers[sig]) return false;
  k->sigpending &= ~bit(sig);
  if (sig == SIGSTOP || !jobctl_pgrp_orphaned(k, k->tg->pgid, NULL)) jobctl_stop(k, sig);
  return true;
}

/* the trace's account of a signal taken: action 0 a handler frame, 1
 * ignored (or a stop dropped in an orphaned group), 2 the default action
 * ends the process, 3 it stops it */
static void record_signal(struct kernel *k, int sig, int action) {
  if (k->rec)
    recorder_put(k->rec, FLTR_K_SIGNAL, (uint64_t)sig, (uint64_t)(int64_t)k->siginfo[sig].code, k->siginfo[sig].addr,
                 (uint64_t)action);
}

void signal_deliver(struct kernel *k) {
  /* Linux's exit to user mode: get_signal drops ignored signals, stops
   * the task or ends it; each signal with a handler gets its frame, and
   * the next deliverable one (under the mask the handler set) its frame
   * above it, so the last one's handler runs first.  A group stop another
   * thread began comes first (JOBCTL_STOP_PENDING), unless SIGKILL waits */
  if (k->cur->stop_pending && !(k->sigpending & bit(SIGKILL))) {
    jobctl_stop_pending(k);
    return;
  }
  for (;;) {
    claim_shared(k, ~k->sigmask);
    uint64_t ready = k->sigpending & ~k->sigmask;
    if (!ready) return;
    int sig = first_signal(ready);
    if (sig == SIGKILL) { k->sigpending &= ~bit(sig); record_signal(k, sig, 2); die(k, sig); return; }
    if (take_stop(k, sig)) {
      bool stopped = k->cur->state != TS_RUNNABLE;
      record_signal(k, sig, stopped ? 3 : 1);
      if (stopped) return;
      continue;
    }
    k->sigpending &= ~bit(sig);
    uint64_t h = k->tg->sig_handlers[sig];
    record_signal(k, sig, (h == 0 && !default_ignores(sig)) ? 2 : h == (uint64_t)(uintptr_t)SIG_IGN || h == 0 ? 1 : 0);
    if (h == (uint64_t)(uintptr_t)SIG_IGN) continue;
    if (h == 0) {
      if (default_ignores(sig)) continue;
      die(k, sig);
      return;
    }
    if (setup_frame(k, sig)) {
      /* the frame could not be written: SIGSEGV (force_sigsegv) */
      k->tg->sig_handlers[SIGSEGV] = 0;
      die(k, SIGSEGV);
      return;
    }
  }
}

bool signal_stop_parked(struct kernel *k) {
  struct task *t = k->cur;
  /* sigtimedwait takes a signal of its set, else fails with EINTR even
   * for a stop (signal(7)): its re-run decides */
  if ((int)k->cpu->r[RAX] == SYS_rt_sigtimedwait) return false;
  for (;;) {
    uint64_t w = signal_wakers(&k->tc);
    if (!w) { t->state = TS_BLOCKED; return true; }   /* only dropped stops: wait on */
    if (!take_stop(k, first_signal(w))) return false;
    if (t->state != TS_RUNNABLE) return true;         /* stopped, the call parked */
  }
}

static long rt_sigreturn(struct kernel *k) {
  struct vcpu *c = k->cpu;
  uint64_t frame = c->r[RSP] - 8;
  uint8_t f[FRAME_SIZE];
  if (copy_from_user(k, f, frame, sizeof f)) { die(k, SIGSEGV); return 0; }
  uint64_t mc[24];
  memcpy(mc, f + MC_OFF, sizeof mc);
  struct cpu_regs r;
  cpu_save_regs(c, &r);
  static const int order[16] = {R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP};
  for (int i = 0; i < 16; i++) r.r[order[i]] = mc[i];
  r.rip = mc[16];
  /* user-changeable flags only (FIX_EFLAGS) */
  uint64_t fixm = 0x254dd5ull;
  r.rflags = (r.rflags & ~fixm) | (mc[17] & fixm);
  cpu_load_regs(c, &r);
  uint64_t fp = mc[23];
  if (fp) {
    uint8_t fx[512];
    if (copy_from_user(k, fx, fp, sizeof fx)) { die(k, SIGSEGV); return 0; }
    uint32_t mx;
    memcpy(&mx, fx + 24, 4);
    if (mx & ~0xffffu) { die(k, SIGSEGV); return 0; }
    cpu_fxrstor(c, fx);
  }
  uint64_t mask;
  memcpy(&mask, f + MASK_OFF, 8);
  k->sigmask = mask & ~UNBLOCKABLE;
  return (long)c->r[RAX];
}

/* rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait): take a pending
 * signal of the set without running its handler.  While it waits, the set
 * is unblocked (Linux's real_blocked) so that its signals wake the task;
 * the re-run after the wake restores the mask and takes the signal, or
 * answers EAGAIN at the deadline or EINTR for a signal outside the set. */
static long sys_rt_sigtimedwait(struct kernel *k, const uint64_t a[6]) {
  struct task *t = k->cur;
  uint64_t deadline = task_wait_deadline(k);
  bool rerun = t->sigwait_active;
  if (rerun) { k->sigmask = t->saved_mask; t->sigwait_active = false; }
  if (a[3] != 8) return -EINVAL;
  uint64_t set;
  if (copy_from_user(k, &set, a[0], 8)) return -EFAULT;
  set &= ~UNBLOCKABLE;
  claim_shared(k, set);
  uint64_t ready = k->sigpending & set;
  if (ready) {
    int sig = __builtin_ctzll(ready) + 1;
    uint8_t info[128];
    signal_siginfo(k, sig, info);
    k->sigpending &= ~bit(sig);
    if (a[1] && copy_to_user(k, a[1], info, sizeof info)) return -EFAULT;
    return sig;
  }
  if (rerun && signal_wakers(&k->tc)) return -EINTR;   /* its handler runs */
  uint64_t now = ktime_ns(k);
  if (a[2]) {
    struct { int64_t s, ns; } ts;
    if (copy_from_user(k, &ts, a[2], sizeof ts)) return -EFAULT;
    if (ts.s < 0 || ts.ns < 0 || ts.ns >= 1000000000) return -EINVAL;
    uint64_t want = (uint64_t)ts.s * 1000000000ull + (uint64_t)ts.ns;
    if (!want || (deadline && now >= deadline)) return -EAGAIN;
    if (!deadline) deadline = now + want;
  }
  t->saved_mask = k->sigmask;
  t->sigwait_active = true;
  k->sigmask &= ~set;
  t->block = BLK_PAUSE;
  k->block_now = true;
  k->block_restart = true;
  if (deadline) task_wait_until(k, deadline);
  return 0;
}

long sys_signal(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_rt_sigaction: {
    int sig = (int)a[0];
    if (sig < 1 || sig > 64 || a[3] != 8) return -EINVAL;
    struct { uint64_t handler, flags, restorer, mask; } s;
    if (a[2]) {
      s.handler = k->tg->sig_handlers[sig]; s.flags = k->tg->sig_flags[sig];
      s.restorer = k->tg->sig_restorer[sig]; s.mask = k->tg->sig_mask_[sig];
      if (copy_to_user(k, a[2], &s, sizeof s)) return -EFAULT;
    }
    if (a[1]) {
      if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
      if (copy_from_user(k, &s, a[1], sizeof s)) return -EFAULT;
      k->tg->sig_handlers[sig] = s.handler; k->tg->sig_flags[sig] = s.flags;
      k->tg->sig_restorer[sig] = s.restorer; k->tg->sig_mask_[sig] = s.mask & ~UNBLOCKABLE;
      if (s.handler == (uint64_t)(uintptr_t)SIG_IGN || (!s.handler && default_ignores(sig))) {
        /* flush_sigqueue_mask: from every thread's queue and the shared one */
        k->tg->shared_pending &= ~bit(sig);
        for (struct task *u = k->tasks; u; u = u->next) {
          struct task_ctx *uc = task_ctx_of(k, u);
          if (uc->tg == k->tg) uc->sigpending &= ~bit(sig);
        }
      }
    }
    return 0;
  }
  case SYS_rt_sigprocmask: {
    if (a[3] != 8) return -EINVAL;
    uint64_t old = k->sigmask;
    if (a[1]) {
      uint64_t s;
      if (copy_from_user(k, &s, a[1], 8)) return -EFAULT;
      s &= ~UNBLOCKABLE;
      if (a[0] == SIG_BLOCK) k->sigmask |= s;
      else if (a[0] == SIG_UNBLOCK) k->sigmask &= ~s;
      else if (a[0] == SIG_SETMASK) k->sigmask = s;
      else return -EINVAL;
    }
    if (a[2] && copy_to_user(k, a[2], &old, 8)) return -EFAULT;
    return 0;
  }
  case SYS_rt_sigpending: {
    uint64_t p = task_pending(&k->tc) & k->sigmask;
    return copy_to_user(k, a[0], &p, 8);
  }
  case SYS_rt_sigreturn: return rt_sigreturn(k);
  case SYS_rt_sigsuspend: {
    uint64_t m;
    if (a[1] != 8) return -EINVAL;
    if (copy_from_user(k, &m, a[0], 8)) return -EFAULT;
    /* sleep with the temporary mask; the run loop interrupts the sleep
     * with -EINTR when a signal arrives and the frame records the old mask */
    k->cur->saved_mask = k->sigmask;
    k->cur->sigsuspend_active = true;
    k->sigmask = m & ~UNBLOCKABLE;
    k->cur->block = BLK_SIGSUSPEND;
    k->block_now = true;
    k->block_restart = true;
    return 0;
  }
  case SYS_rt_sigtimedwait: return sys_rt_sigtimedwait(k, a);
  case SYS_rt_sigqueueinfo: return sys_sigqueueinfo(k, (int)a[0], 0, (int)a[1], a[2]);
  case SYS_rt_tgsigqueueinfo:
    if ((int)a[0] <= 0 || (int)a[1] <= 0) return -EINVAL;
    return sys_sigqueueinfo(k, (int)a[0], (int)a[1], (int)a[2], a[3]);
  case SYS_pause:
    /* parked as a restartable call: a stop leaves it waiting (Linux's
     * -ERESTARTNOHAND); a signal ends it with EINTR (signal_interrupt_syscall) */
    if (!(task_pending(&k->tc) & ~k->sigmask)) {
      k->cur->block = BLK_PAUSE;
      k->block_now = true;
      k->block_restart = true;
    }
    return -EINTR;
  case SYS_sigaltstack: {
    uint64_t old[3] = {k->altstack_sp, (uint64_t)(k->altstack_size ? 0 : SS_DISABLE), k->altstack_size};
    uint64_t sp = k->cpu->r[RSP];
    bool on = k->altstack_size && sp > k->altstack_sp && sp <= k->altstack_sp + k->altstack_size;
    if (on) old[1] = SS_ONSTACK;
    if (a[0]) {
      uint64_t n[3];
      if (copy_from_user(k, n, a[0], 24)) return -EFAULT;
      if (on) return -EPERM;
      int fl = (int)n[1];
      if (fl & ~(SS_DISABLE | (1 << 31) /* SS_AUTODISARM */)) return -EINVAL;
      if (fl & SS_DISABLE) { k->altstack_sp = 0; k->altstack_size = 0; k->altstack_flags = SS_DISABLE; }
      else {
        if (n[2] < 2048) return -ENOMEM;
        k->altstack_sp = n[0]; k->altstack_size = n[2]; k->altstack_flags = 0;
      }
    }
    if (a[1] && copy_to_user(k, a[1], old, 24)) return -EFAULT;
    return 0;
  }
  case SYS_tkill: case SYS_tgkill: {
    /* do_tkill: one thread, by its id (and its process's, for tgkill) */
    int tgid = nr == SYS_tgkill ? (int)a[0] : 0, tid = (int)(nr == SYS_tgkill ? a[1] : a[0]);
    int sig = (int)(nr == SYS_tgkill ? a[2] : a[1]);
    if (tid <= 0 || (nr == SYS_tgkill && tgid <= 0)) return -EINVAL;
    if (sig < 0 || sig > 64) return -EINVAL;
    if (k->tc.ns) {                  /* find_task_by_vpid */
      tid = pid_from_vnr(k, tid);
      if (tgid) tgid = pid_from_vnr(k, tgid);
      if (!tid || (nr == SYS_tgkill && !tgid)) return -ESRCH;
    }
    struct task *t = task_find_tid(k, tid);
    if (!t || t->state == TS_ZOMBIE || (tgid && task_ctx_of(k, t)->pid != tgid)) return -ESRCH;
    if (!signal_may_kill(k, task_ctx_of(k, t), sig)) return -EPERM;
    if (sig >= SIGRTMIN_ && !queue_room(k, t)) return -EAGAIN;
    if (sig) signal_send_thread(k, t, sig, -6 /* SI_TKILL */, 0);
    return 0;
  }
  case SYS_kill: {
    int pid = (int)a[0];
    int sig = (int)a[1];
    if (sig < 0 || sig > 64) return -EINVAL;
    int n = 0, sent = 0;
    const struct pidns *mine = task_pidns(&k->tc);
    if (mine && pid != 0 && pid != -1) {   /* find_vpid: the caller's namespace's numbers */
      int g = pid_from_vnr(k, pid > 0 ? pid : -pid);
      if (!g) return -ESRCH;
      pid = pid > 0 ? g : -g;
    }
    /* kill_proc_info: a thread's id names its process too */
    if (pid > 0) {
      struct task *th = task_find_tid(k, pid);
      if (th) pid = task_ctx_of(k, th)->pid;
    }
    for (struct task *t = k->tasks; t; t = t->next) {
      struct task_ctx *c = task_ctx_of(k, t);
      if (c->tid != c->pid) continue;   /* processes, by their leaders */
      /* a zombie not yet reaped still exists: kill succeeds, nothing is
       * delivered (signal_send drops it) */
      bool m = pid > 0 ? c->pid == pid : pid == 0 ? c->tg->pgid == k->tg->pgid
             : pid == -1 ? c->pid > 1 && c->tg != k->tg &&   /* all but init and the caller */
                           (!mine || (pid_nr_ns(mine, c->pid) > 1))   /* (its namespace's, and in it) */
             : c->tg->pgid == -pid;
      if (!m) continue;
      n++;
      if (!signal_may_kill(k, c, sig)) continue;
      sent++;
      if (sig) signal_send(k, t, sig, 0 /* SI_USER */, 0);
    }
    /* init (outside the task list) by its pid: kill's permission check,
     * then the signal is dropped (send_signal); kill(-1) skips it */
    if (pid == INIT_PID && k->init) {
      n++;
      sent += signal_may_kill(k, task_ctx_of(k, k->init), sig);
    }
    /* a group or broadcast kill succeeds if one target was signalled;
     * kill(-1) is 0 even when every target refused (kill_something_info) */
    return !n ? -ESRCH : sent || (nr == SYS_kill && pid == -1) ? 0 : -EPERM;
  }
  }
  *handled = false;
  return -ENOSYS;
}

/* A blocked syscall is interrupted by a deliverable signal: -EINTR, or
 * restarted after the handler when it has SA_RESTART (Linux's
 * -ERESTARTSYS handling).  sigsuspend and pause never restart. */
void signal_interrupt_syscall(struct kernel *k) {
  struct vcpu *c = k->cpu;
  int sig = first_signal(signal_wakers(&k->tc));
  int nr = (int)c->r[RAX];
  /* signal(7): these are never restarted after a handler, SA_RESTART or not */
  bool never = nr == SYS_rt_sigsuspend || nr == SYS_pause || nr == SYS_nanosleep ||
               nr == SYS_clock_nanosleep || nr == SYS_poll || nr == SYS_ppoll ||
               nr == SYS_select || nr == SYS_pselect6 || nr == SYS_epoll_wait ||
               nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2 || nr == SYS_rt_sigtimedwait;
  long efault = sleep_interrupted(k);
  k->cur->futex.waiting = false;
  k->cur->futex.nv = 0;
  bool restart = sig && k->tg->sig_handlers[sig] > 1 && (k->tg->sig_flags[sig] & SA_RESTART) && !never;
  if (restart) c->rip -= 2;               /* re-execute SYSCALL, RAX still holds nr */
  else c->r[RAX] = (uint64_t)(efault ? efault : -EINTR);
}
