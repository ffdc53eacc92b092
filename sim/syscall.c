/* Syscall dispatch and the process/identity/time/signal-bookkeeping calls.
 * File calls are in sys_fs.c, memory calls in sys_mm.c, identity calls in
 * sys_cred.c, scheduling attributes in sys_sched.c.  Unknown numbers
 * return -ENOSYS and are counted (stats: syscalls.unknown). */
#include "sim/kernel.h"
#include "sim/record.h"
#include "syscall_names.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/futex.h>

uint64_t ktime_ns(struct kernel *k) {
  /* epoch + retired instructions / guest.ips + time skipped by sleeps */
  uint64_t ins = k->smp.n > 1 ? smp_time_insns(k) : k->cpu->icount;   /* --cpus: the lockstep clock */
  uint64_t ns = k->ips == 1000000000ull ? ins : (uint64_t)((unsigned __int128)ins * 1000000000ull / k->ips);
  return k->epoch_ns + ns + k->sleep_ns;
}

uint64_t krand64(struct kernel *k) {
  /* splitmix64: seeded, deterministic */
  uint64_t z = (k->rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static long put_timespec(struct kernel *k, uint64_t uva, uint64_t ns) {
  struct { int64_t s, ns; } ts = {(int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull)};
  return copy_to_user(k, uva, &ts, sizeof ts);
}

uint64_t krealtime_ns(struct kernel *k) { return ktime_ns(k) + (uint64_t)k->realtime_adj_ns; }

/* clock_settime: CLOCK_REALTIME only, with CAP_SYS_TIME; the monotonic
 * clocks and guest time do not move */
static long sys_clock_settime(struct kernel *k, uint64_t clk, uint64_t uts) {
  struct { int64_t s, ns; } ts;
  if (copy_from_user(k, &ts, uts, sizeof ts)) return -EFAULT;
  if (clk != CLOCK_REALTIME) return -EINVAL;
  if (ts.s < 0 || ts.ns < 0 || ts.ns >= 1000000000) return -EINVAL;
  if (!capable(k, 25 /* CAP_SYS_TIME */)) return -EPERM;
  uint64_t want = (uint64_t)ts.s * 1000000000ull + (uint64_t)ts.ns;
  k->realtime_adj_ns = (int64_t)(want - ktime_ns(k));
  return 0;
}

static long sys_clock_gettime(struct kernel *k, uint64_t clk, uint64_t uts) {
  uint64_t now = ktime_ns(k);
  switch (clk) {
  case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case 11 /* TAI */: now = krealtime_ns(k); break;
  case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE:
  case CLOCK_BOOTTIME:
    now -= k->epoch_ns; now += 1000000000ull; break;   /* "up" since boot + 1 s */
  case CLOCK_PROCESS_CPUTIME_ID: now = task_cpu_ns(k); break;
  case CLOCK_THREAD_CPUTIME_ID: now = task_cpu_ns_of(k, k->cur, false); break;
  default: {
    /* a CPU clock of a process or thread (clock_getcpuclockid,
     * pthread_getcpuclockid): ~pid << 3 | CPUCLOCK_PERTHREAD (4) | type,
     * pid 0 the caller */
    int32_t id = (int32_t)clk;          /* clockid_t is an int */
    if (id >= 0) return -EINVAL;
    int pid = ~(id >> 3);
    bool thread = id & 4;
    if ((id & 3) == 3) return -EINVAL;
    pid = pid_in(k, pid);
    struct task *t = !pid ? k->cur : thread ? task_find_tid(k, pid) : task_find(k, pid);
    if (!t || (thread && task_ctx_of(k, t)->tg != k->tg)) return -EINVAL;   /* a thread of ours */
    if (t->state == TS_ZOMBIE && (thread || !task_ctx_of(k, t)->tg->live)) return -EINVAL;
    now = task_cpu_ns_of(k, t, !thread);
  }
  }
  if (!uts) return 0;
  return put_timespec(k, uts, now);
}

/* nanosleep/clock_nanosleep: the task blocks until its wake time while
 * the others run; guest time skips ahead only when every task waits
 * (timers_skip_idle).  A signal ends the sleep early with -EINTR and the
 * time left (sleep_interrupted); it is never restarted (signal(7)). */
static long sys_nanosleep_common(struct kernel *k, uint64_t ureq, bool abs, uint64_t clk) {
  if (task_wait_deadline(k)) return 0;    /* re-run after the wake time */
  struct { int64_t s, ns; } ts;
  if (copy_from_user(k, &ts, ureq, sizeof ts)) return -EFAULT;
  if (ts.s < 0 || ts.ns < 0 || ts.ns >= 1000000000) return -EINVAL;
  uint64_t want = (uint64_t)ts.s * 1000000000ull + (uint64_t)ts.ns;
  uint64_t now = ktime_ns(k);
  if (abs) {
    uint64_t clock_now = clk != CLOCK_REALTIME ? now - k->epoch_ns + 1000000000ull : krealtime_ns(k);
    want = want > clock_now ? want - clock_now : 0;
  }
  if (!want) return 0;
  task_wait_until(k, now + want);
  return 0;
}

/* A signal interrupted a timed wait: a relative nanosleep reports the
 * time it had left (nanosleep_copyout: a bad pointer makes it -EFAULT). */
long sleep_interrupted(struct kernel *k) {
  struct vcpu *c = k->cpu;
  uint64_t deadline = task_wait_deadline(k), now = ktime_ns(k);
  int nr = (int)c->r[RAX];
  uint64_t urem = nr == SYS_nanosleep ? c->r[RSI]
                : nr == SYS_clock_nanosleep && !(c->r[RSI] & 1) ? c->r[R10] : 0;
  if (!deadline || !urem) return 0;
  uint64_t rem = deadline > now ? deadline - now : 0;
  return put_timespec(k, urem, rem) ? -EFAULT : 0;
}

static long sys_uname(struct kernel *k, uint64_t u) {
  struct utsname n;
  memset(&n, 0, sizeof n);
  strcpy(n.sysname, "Linux");
  strcpy(n.nodename, k->sysctl.hostname);
  strcpy(n.release, KERNEL_RELEASE);
  strcpy(n.version, "#1 SMP PREEMPT_DYNAMIC faultline");
  strcpy(n.machine, "x86_64");
  strcpy(n.domainname, k->sysctl.domainname);
  return copy_to_user(k, u, &n, sizeof n);
}

/* sethostname/setdomainname (kernel/sys.c): CAP_SYS_ADMIN, at most 64
 * bytes, copied as given (no terminator needed) */
static long sys_set_uts(struct kernel *k, char dst[65], uint64_t uname, int64_t len) {
  if (!capable(k, CAP_SYS_ADMIN_)) return -EPERM;
  if (len < 0 || len > 64) return -EINVAL;
  char t[65] = {0};
  if (len && copy_from_user(k, t, uname, (size_t)len)) return -EFAULT;
  memcpy(dst, t, 65);
  return 0;
}

static long sys_getrusage(struct kernel *k, int who, uint64_t u) {
  struct rusage r;
  memset(&r, 0, sizeof r);
  uint64_t cpu_ns = task_cpu_ns(k);
  if (who == RUSAGE_SELF || who == RUSAGE_THREAD) {
    r.ru_utime.tv_sec = (time_t)(cpu_ns / 1000000000ull);
    r.ru_utime.tv_usec = (suseconds_t)(cpu_ns % 1000000000ull / 1000);
    r.ru_minflt = (long)k->minflt;
    r.ru_majflt = (long)k->majflt;
    r.ru_maxrss = (long)(k->mm->rss_pages * 4);
  } else if (who != RUSAGE_CHILDREN) return -EINVAL;
  return copy_to_user(k, u, &r, sizeof r);
}

static long sys_sysinfo(struct kernel *k, uint64_t u) {
  struct {
    int64_t uptime; uint64_t loads[3]; uint64_t totalram, freeram, sharedram, bufferram,
      totalswap, freeswap; uint16_t procs, pad; uint32_t pad2; uint64_t totalhigh, freehigh;
    uint32_t mem_unit; char pad3[4];
  } si;
  memset(&si, 0, sizeof si);
  si.uptime = (int64_t)((ktime_ns(k) - k->epoch_ns) / 1000000000ull) + 1;
  si.totalram = k->mem->ram_bytes;
  si.freeram = k->mem->ram_bytes - k->frames_used * PAGE;
  si.procs = 1;
  si.mem_unit = 1;
  return copy_to_user(k, u, &si, sizeof si);
}

/* Resource limits per process (getrlimit/setrlimit/prlimit64), inherited
 * by fork.  The model enforces RLIMIT_CORE (the core file's size limit:
 * coredump.c) and keeps the others as values the guest reads back. */
void rlimits_init(struct task_ctx *c) {
  for (int r = 0; r < 16; r++) c->tg->rlim[r].cur = c->tg->rlim[r].max = ~0ull;   /* RLIM_INFINITY */
  c->tg->rlim[RLIMIT_STACK].cur = 8ull << 20;
  c->tg->rlim[RLIMIT_NOFILE].cur = 1024;              /* Linux's INR_OPEN_CUR and INR_OPEN_MAX */
  c->tg->rlim[RLIMIT_NOFILE].max = 4096;
  c->tg->rlim[RLIMIT_CORE].cur = 0;
  c->tg->rlim[RLIMIT_MEMLOCK].cur = c->tg->rlim[RLIMIT_MEMLOCK].max = 8ull << 20;
  c->tg->rlim[RLIMIT_NPROC].cur = c->tg->rlim[RLIMIT_NPROC].max = 4096;
  c->tg->rlim[RLIMIT_NICE].cur = c->tg->rlim[RLIMIT_NICE].max = 0;      /* Linux's defaults (sys_sched.c) */
  c->tg->rlim[RLIMIT_RTPRIO].cur = c->tg->rlim[RLIMIT_RTPRIO].max = 0;
  c->tg->rlim[RLIMIT_SIGPENDING].cur = c->tg->rlim[RLIMIT_SIGPENDING].max = 63459;
  c->tg->rlim[RLIMIT_MSGQUEUE].cur = c->tg->rlim[RLIMIT_MSGQUEUE].max = 819200;
}

static long sys_prlimit(struct kernel *k, int pid, int res, uint64_t newp, uint64_t oldp) {
  if (res < 0 || res >= 16) return -EINVAL;
  pid = pid_in(k, pid);
  struct task *t = !pid || pid == k->pid ? k->cur : task_find(k, pid);
  if (!t || t->state == TS_ZOMBIE) return -ESRCH;
  struct task_ctx *c = task_ctx_of(k, t);
  struct { uint64_t cur, max; } nl, old = {c->tg->rlim[res].cur, c->tg->rlim[res].max};
  if (newp) {
    if (copy_from_user(k, &nl, newp, sizeof nl)) return -EFAULT;
    if (nl.cur > nl.max) return -EINVAL;
    if (res == RLIMIT_NOFILE && nl.max > MAX_FDS) return -EPERM;    /* > nr_open */
    if (nl.max > old.max && !capable(k, 24 /* CAP_SYS_RESOURCE */)) return -EPERM;
    if (t != k->cur && c->ruid != k->euid && !capable(k, 24)) return -EPERM;
  }
  if (oldp && copy_to_user(k, oldp, &old, sizeof old)) return -EFAULT;
  if (newp) { c->tg->rlim[res].cur = nl.cur; c->tg->rlim[res].max = nl.max; }
  return 0;
}

/* capget/capset (kernel/capability.c): each task's capability sets,
 * inherited from faultline's own at start (the guest runs as the user who
 * runs faultline) and copied by fork.  Versions 1 (32-bit sets) and 2/3
 * (64-bit, as two 32-bit halves); an unknown version is answered with the
 * preferred one and EINVAL.  capset changes the caller only, and only
 * within what it holds (no CAP_SETPCAP model: a capability outside the
 * permitted set cannot be gained). */
static long sys_caps(struct kernel *k, bool set, uint64_t uhdr, uint64_t udata) {
  uint32_t hdr[2];
  if (copy_from_user(k, hdr, uhdr, sizeof hdr)) return -EFAULT;
  int n = hdr[0] == 0x19980330 ? 1 : (hdr[0] == 0x20071026 || hdr[0] == 0x20080522) ? 2 : 0;
  if (!n) {
    uint32_t pref = 0x20080522;
    if (copy_to_user(k, uhdr, &pref, 4)) return -EFAULT;
    return udata ? -EINVAL : 0;
  }
  int pid = (int)hdr[1];
  if (pid < 0) return -EINVAL;
  pid = pid_in(k, pid);
  uint32_t d[6] = {0};          /* {effective, permitted, inheritable} x n */
  if (!set) {
    const struct task_ctx *t = &k->tc;
    if (pid && pid != k->pid) {
      struct task *o = task_find(k, pid);
      if (!o) return -ESRCH;
      t = &o->tc;
    }
    for (int i = 0; i < n; i++) {
      d[3 * i] = (uint32_t)(t->cap_eff >> (32 * i));
      d[3 * i + 1] = (uint32_t)(t->cap_prm >> (32 * i));
      d[3 * i + 2] = (uint32_t)(t->cap_inh >> (32 * i));
    }
    return udata && copy_to_user(k, udata, d, (size_t)n * 12) ? -EFAULT : 0;
  }
  if (pid && pid != k->pid) return -EPERM;
  if (copy_from_user(k, d, udata, (size_t)n * 12)) return -EFAULT;
  uint64_t eff = 0, prm = 0, inh = 0;
  for (int i = 0; i < n; i++) {
    eff |= (uint64_t)d[3 * i] << (32 * i);
    prm |= (uint64_t)d[3 * i + 1] << (32 * i);
    inh |= (uint64_t)d[3 * i + 2] << (32 * i);
  }
  if (n == 1) {   /* a v1 caller leaves the upper halves as they are */
    eff |= k->cap_eff & ~0xffffffffull; prm |= k->cap_prm & ~0xffffffffull; inh |= k->cap_inh & ~0xffffffffull;
  }
  if ((prm & ~k->cap_prm) || (eff & ~prm) || (inh & ~(k->cap_inh | k->cap_prm))) return -EPERM;
  if (inh & ~(k->cap_inh | k->cap_bnd)) return -EPERM;   /* cap_capset: within the bounding set */
  k->cap_eff = eff;
  k->cap_prm = prm;
  k->cap_inh = inh;
  return 0;
}

bool ptrace_may_access(struct kernel *k, struct task *t, bool fscreds) {
  const struct task_ctx *c = task_ctx_of(k, t);
  if (t == k->cur || (c->mm && c->mm == k->mm)) return true;
  /* the caller's ids (filesystem or real) are all of the target's real,
   * effective and saved ones, or CAP_SYS_PTRACE; a target that is not
   * dumpable needs CAP_SYS_PTRACE too */
  int uid = fscreds ? k->fsuid : k->ruid, gid = fscreds ? k->fsgid : k->rgid;
  bool same = uid == c->ruid && uid == c->euid && uid == c->suid &&
              gid == c->rgid && gid == c->egid && gid == c->sgid;
  bool cap = capable(k, 19 /* CAP_SYS_PTRACE */);
  return (same || cap) && (!c->mm || !c->undumpable || cap);
}

/* process_vm_readv/writev (mm/process_vm_access.c) between processes of
 * the guest.  Linux pins the remote pages with GUP; the model switches to
 * the remote process's context (its address space, so its faults are its
 * own and charged) for each piece, copying through a bounce buffer.
 * Returns the bytes moved; a fault ends the transfer (EFAULT if nothing
 * moved). */
struct rvec { uint64_t base, len; };
static long sys_process_vm(struct kernel *k, bool wr, int pid, uint64_t ulv, uint64_t lcnt, uint64_t urv,
                           uint64_t rcnt, uint64_t flags) {
  if (flags) return -EINVAL;
  if (lcnt > 1024 || rcnt > 1024) return -EINVAL;
  static struct rvec lv[1024], rv[1024];
  if ((lcnt && copy_from_user(k, lv, ulv, lcnt * sizeof lv[0])) ||
      (rcnt && copy_from_user(k, rv, urv, rcnt * sizeof rv[0])))
    return -EFAULT;
  /* import_iovec/rw_copy_check_uvector: a length must fit ssize_t */
  for (uint64_t i = 0; i < lcnt; i++) if ((int64_t)lv[i].len < 0) return -EINVAL;
  for (uint64_t i = 0; i < rcnt; i++) if ((int64_t)rv[i].len < 0) return -EINVAL;
  pid = pid_in(k, pid);
  struct task *self = k->cur, *t = pid == k->pid ? self : task_find(k, pid);
  if (!t || t->state == TS_ZOMBIE || (t != self && !t->tc.mm)) return -ESRCH;
  if (!ptrace_may_access(k, t, false)) return -EPERM;   /* mm_access, ..._ATTACH_REALCREDS */
  static uint8_t bounce[65536];
  uint64_t done = 0, li = 0, lo = 0;
  long err = 0;
  for (uint64_t ri = 0; ri < rcnt && !err; ri++) {
    for (uint64_t ro = 0; ro < rv[ri].len && !err;) {
      while (li < lcnt && lo == lv[li].len) { li++; lo = 0; }
      if (li >= lcnt) goto out;
      uint64_t n = rv[ri].len - ro;
      if (n > lv[li].len - lo) n = lv[li].len - lo;
      if (n > sizeof bounce) n = sizeof bounce;
      int bad;
      if (wr) {
        if (copy_from_user(k, bounce, lv[li].base + lo, n)) { err = -EFAULT; break; }
        if (t != self) task_switch_to(k, t);
        bad = copy_to_user(k, rv[ri].base + ro, bounce, n);
        if (t != self) task_switch_to(k, self);
      } else {
        if (t != self) task_switch_to(k, t);
        bad = copy_from_user(k, bounce, rv[ri].base + ro, n);
        if (t != self) task_switch_to(k, self);
        if (!bad && copy_to_user(k, lv[li].base + lo, bounce, n)) { err = -EFAULT; break; }
      }
      if (bad) { err = -EFAULT; break; }
      done += n;
      ro += n;
      lo += n;
    }
  }
out:
  return done ? (long)done : err;
}

/* An option of a modelled call that the model does not offer (an ioctl
 * request, a prctl option): Linux's answer, and one line the first time
 * each is asked for, as for an unsupported call, so a program that fails
 * says why. */
long sys_unsupported_option(struct kernel *k, const char *call, const char *what, uint64_t value, long ret) {
  static struct { const char *call; uint64_t value; } said[256];
  static unsigned nsaid;
  for (unsigned i = 0; i < nsaid; i++)
    if (said[i].call == call && said[i].value == value) return ret;
  if (nsaid < 256) said[nsaid++] = (typeof(said[0])){call, value};
  if (!k->quiet)
    fprintf(stderr, "faultline: unsupported %s %s %#llx: returns %s\n", call, what, (unsigned long long)value,
            ret == -EINVAL ? "-EINVAL" : ret == -ENOTTY ? "-ENOTTY" : ret == -EOPNOTSUPP ? "-EOPNOTSUPP" : "an error");
  return ret;
}

/* prctl: the options programs and LTP use (kernel/sys.c); others EINVAL */
static long sys_prctl(struct kernel *k, const uint64_t a[6]) {
  switch (a[0]) {
  case 15: {                          /* PR_SET_NAME: 15 bytes and a NUL */
    char n[16] = {0};
    for (int i = 0; i < 15; i++) {
      if (copy_from_user(k, &n[i], a[1] + (uint64_t)i, 1)) return -EFAULT;
      if (!n[i]) break;
    }
    memcpy(k->comm, n, sizeof n);
    return 0;
  }
  case 16: return copy_to_user(k, a[1], k->comm, sizeof k->comm) ? -EFAULT : 0;   /* PR_GET_NAME */
  case 3: return k->undumpable ? 0 : 1;                         /* PR_GET_DUMPABLE */
  case 4:                                                       /* PR_SET_DUMPABLE */
    if (a[1] > 1) return -EINVAL;
    k->undumpable = a[1] == 0;
    return 0;
  case 23:                                                      /* PR_CAPBSET_READ */
    if (a[1] > 40 /* CAP_LAST_CAP */) return -EINVAL;
    return (k->cap_bnd >> a[1]) & 1;
  case 24:                                                      /* PR_CAPBSET_DROP */
    if (a[1] > 40) return -EINVAL;
    if (!capable(k, 8 /* CAP_SETPCAP */)) return -EPERM;
    k->cap_bnd &= ~(1ull << a[1]);
    return 0;
  default: return sys_unsupported_option(k, "prctl", "option", a[0], -EINVAL);
  }
}

long sys_misc(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  struct vcpu *c = k->cpu;
  switch (nr) {
  case SYS_exit:
  case SYS_exit_group:
    k->exit_code = (int)(a[0] & 0xff);
    k->thread_exit = nr == SYS_exit;
    k->exited = true;
    return 0;
  case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3:
    return sys_clone_family(k, nr, a);
  case SYS_wait4: case SYS_waitid:
    return sys_wait_family(k, nr, a);
  case SYS_getpgrp: case SYS_getpgid: case SYS_getsid: case SYS_setpgid: case SYS_setsid:
    return sys_pgrp(k, nr, a);
  case SYS_execve:
    return sys_execve(k, a[0], a[1], a[2]);
  case SYS_execveat:
    return sys_execveat(k, (int)a[0], a[1], a[2], a[3], (int)a[4]);
  /* in a pid namespace, as it numbers them (the parent outside it: 0) */
  case SYS_getpid: return k->tc.ns ? pid_vnr(k, k->pid) : k->pid;
  case SYS_gettid: return k->tc.ns ? pid_vnr(k, k->tid) : k->tid;
  case SYS_getppid: return k->tc.ns ? pid_vnr(k, k->tg->ppid) : k->tg->ppid;
  case SYS_unshare: return sys_unshare(k, a[0]);
  case SYS_setns: return sys_setns(k, (int)a[0], (int)a[1]);
  case SYS_capget: case SYS_capset: return sys_caps(k, nr == SYS_capset, a[0], a[1]);
  case SYS_process_vm_readv: case SYS_process_vm_writev:
    return sys_process_vm(k, nr == SYS_process_vm_writev, (int)a[0], a[1], a[2], a[3], a[4], a[5]);
  case SYS_uname: return sys_uname(k, a[0]);
  case SYS_arch_prctl:
    switch (a[0]) {
    case 0x1002: /* ARCH_SET_FS */
      if (a[1] >= TASK_SIZE) return -EPERM;
      c->fs_base = a[1]; c->segbase[4] = a[1]; return 0;
    case 0x1001: /* ARCH_SET_GS */
      if (a[1] >= TASK_SIZE) return -EPERM;
      c->gs_base = a[1]; c->segbase[5] = a[1]; return 0;
    case 0x1003: return copy_to_user(k, a[1], &c->fs_base, 8);
    case 0x1004: return copy_to_user(k, a[1], &c->gs_base, 8);
    default: return -EINVAL;
    }
  case SYS_set_tid_address: k->tid_address = a[0]; return k->tc.ns ? pid_vnr(k, k->tid) : k->tid;
  case SYS_set_robust_list:
    if (a[1] != 24) return -EINVAL;       /* sizeof(struct robust_list_head) */
    k->robust_list = a[0];
    return 0;
  case SYS_get_robust_list: {
    /* another thread's needs ptrace access (PTRACE_MODE_READ_REALCREDS): ours only here */
    struct task *t = a[0] ? task_find_tid(k, pid_in(k, (int)a[0])) : k->cur;
    if (!t) return -ESRCH;
    const struct task_ctx *tc = task_ctx_of(k, t);
    if (tc->tg != k->tg && !capable(k, 19 /* CAP_SYS_PTRACE */) && tc->euid != k->euid) return -EPERM;
    uint64_t head = tc->robust_list, len = 24;
    if (copy_to_user(k, a[2], &len, 8) || copy_to_user(k, a[1], &head, 8)) return -EFAULT;
    return 0;
  }
  case SYS_rseq: return -ENOSYS;
  case SYS_prlimit64: return sys_prlimit(k, (int)a[0], (int)a[1], a[2], a[3]);
  case SYS_getrlimit: return sys_prlimit(k, 0, (int)a[0], 0, a[1]);
  case SYS_setrlimit: return sys_prlimit(k, 0, (int)a[0], a[1], 0);
  case SYS_getrandom: {
    uint64_t n = a[1] > (1u << 25) ? (1u << 25) : a[1];
    uint8_t buf[256];
    for (uint64_t off = 0; off < n; off += sizeof buf) {
      size_t chunk = n - off < sizeof buf ? (size_t)(n - off) : sizeof buf;
      for (size_t i = 0; i < chunk; i += 8) { uint64_t r = krand64(k); memcpy(buf + i, &r, chunk - i < 8 ? chunk - i : 8); }
      if (copy_to_user(k, a[0] + off, buf, chunk)) return off ? (long)off : -EFAULT;
    }
    return (long)n;
  }
  case SYS_clock_gettime: return sys_clock_gettime(k, a[0], a[1]);
  case SYS_clock_settime: return sys_clock_settime(k, a[0], a[1]);
  case SYS_clock_getres: {
    if (a[1]) { struct { int64_t s, ns; } r = {0, 1}; return copy_to_user(k, a[1], &r, sizeof r); }
    return 0;
  }
  case SYS_gettimeofday: {
    if (a[0]) {
      uint64_t ns = krealtime_ns(k);
      struct { int64_t s, us; } tv = {(int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000)};
      if (copy_to_user(k, a[0], &tv, sizeof tv)) return -EFAULT;
    }
    if (a[1]) { int32_t tz[2] = {0, 0}; if (copy_to_user(k, a[1], tz, 8)) return -EFAULT; }
    return 0;
  }
  case SYS_time: {
    int64_t t = (int64_t)(krealtime_ns(k) / 1000000000ull);
    if (a[0] && copy_to_user(k, a[0], &t, 8)) return -EFAULT;
    return t;
  }
  case SYS_nanosleep: return sys_nanosleep_common(k, a[0], false, 0);
  case SYS_sethostname: return sys_set_uts(k, k->sysctl.hostname, a[0], (int64_t)a[1]);
  case SYS_setdomainname: return sys_set_uts(k, k->sysctl.domainname, a[0], (int64_t)a[1]);
  case SYS_clock_nanosleep:
    /* clocks without an nsleep (the thread CPU clock, MONOTONIC_RAW and
     * the coarse ones) are EOPNOTSUPP, unknown ones EINVAL */
    if (a[0] == CLOCK_THREAD_CPUTIME_ID || a[0] == CLOCK_MONOTONIC_RAW || a[0] == CLOCK_REALTIME_COARSE ||
        a[0] == CLOCK_MONOTONIC_COARSE)
      return -EOPNOTSUPP;
    if (a[0] != CLOCK_REALTIME && a[0] != CLOCK_MONOTONIC && a[0] != CLOCK_BOOTTIME) return -EINVAL;
    return sys_nanosleep_common(k, a[2], (a[1] & 1) != 0, a[0]);
  case SYS_sched_yield: return 0;
  case SYS_getcpu: {
    uint32_t z = 0;
    if (a[0] && copy_to_user(k, a[0], &z, 4)) return -EFAULT;
    if (a[1] && copy_to_user(k, a[1], &z, 4)) return -EFAULT;
    return 0;
  }
  case SYS_sysinfo: return sys_sysinfo(k, a[0]);
  case SYS_getrusage: return sys_getrusage(k, (int)a[0], a[1]);
  case SYS_times: {
    uint64_t t = (ktime_ns(k) - k->epoch_ns - k->sleep_ns) / 10000000ull;
    uint64_t tms[4] = {t, 0, 0, 0};
    if (a[0] && copy_to_user(k, a[0], tms, sizeof tms)) return -EFAULT;
    return (long)((ktime_ns(k) - k->epoch_ns) / 10000000ull);
  }
  case SYS_futex: return sys_futex(k, a);
  case SYS_futex_waitv: return sys_futex_waitv(k, a);
  case SYS_userfaultfd: return uffd_create(k, a[0], false);
  case SYS_membarrier: return 0;
  case SYS_personality: return a[0] == 0xffffffff ? 0 : 0;
  case SYS_prctl: return sys_prctl(k, a);
  case SYS_kcmp: return sys_kcmp(k, (int)a[0], (int)a[1], (int)a[2], a[3], a[4]);
  case SYS_pidfd_open: case SYS_pidfd_send_signal: case SYS_pidfd_getfd:
    return sys_pidfd(k, nr, a, handled);
  default:
    *handled = false;
    return -ENOSYS;
  }
}

void syscall_dispatch(struct kernel *k) {
  struct vcpu *c = k->cpu;
  int nr = (int)c->r[RAX];
  uint64_t a[6] = {c->r[RDI], c->r[RSI], c->r[RDX], c->r[R10], c->r[R8], c->r[R9]};
  if (!k->redispatch) {     /* a woken call's re-run is the same call */
    k->syscalls++;
    if (nr >= 0 && nr < 512) k->syscall_counts[nr]++;
  }
  rec_put(k, FLTR_K_SYS_ENTER, (uint64_t)(uint32_t)nr, k->redispatch, 0, 0);
  k->redispatch = false;
  k->orig_rax = nr;
  bool handled = false;
  /* the host checks file access as this task (sys_cred.c); cheap when
   * nothing changed */
  cred_host_sync(k);
  long r = sys_misc(k, nr, a, &handled);
  if (!handled) r = sys_cred(k, nr, a, &handled);
  if (!handled) r = sys_sched(k, nr, a, &handled);
  if (!handled) r = sys_signal(k, nr, a, &handled);
  if (!handled) r = sys_timer(k, nr, a, &handled);
  if (!handled) r = sys_mm(k, nr, a, &handled);
  if (!handled) r = sys_shm(k, nr, a, &handled);
  if (!handled) r = sys_fs(k, nr, a, &handled);
  if (!handled) r = sys_socket_family(k, nr, a, &handled);
  if (!handled) {
    /* like valgrind's "unhandled syscall": say it once, so a program that
     * fails says why; the guest sees Linux's answer for an unknown call */
    r = -ENOSYS;
    k->unknown_syscalls++;
    static uint8_t said[513];
    unsigned slot = nr >= 0 && nr < 512 ? (unsigned)nr : 512;
    if (!k->quiet && !said[slot]++)
      fprintf(stderr, "faultline: unsupported syscall %s (%d): returns -ENOSYS\n",
              slot < 512 && syscall_names[slot] ? syscall_names[slot] : "(no such number)", nr);
  }
  static int trace = -1;
  if (trace < 0) trace = getenv("FAULTLINE_STRACE") != NULL;
  if (trace)
    fprintf(stderr, "[%d] %d(%#lx, %#lx, %#lx, %#lx) = %ld%s\n", k->pid, nr, (long)a[0], (long)a[1],
            (long)a[2], (long)a[3], r, k->block_now ? " (blocks)" : "");
  if (k->block_now) {
    /* the task sleeps; a restartable call runs again when it wakes */
    rec_put(k, FLTR_K_SYS_EXIT, (uint64_t)r, k->block_restart ? 1 : 2, 0, 0);
    k->block_now = false;
    k->cur->state = TS_BLOCKED;
    k->cur->restart_syscall = k->block_restart;
    if (!k->block_restart) c->r[RAX] = (uint64_t)r;
    return;
  }
  if (nr == SYS_rt_sigreturn || ((nr == SYS_execve || nr == SYS_execveat) && r == 0)) {
    rec_put(k, FLTR_K_SYS_EXIT, (uint64_t)r, 3, 0, 0);
    return;  /* registers already set */
  }
  rec_put(k, FLTR_K_SYS_EXIT, (uint64_t)r, 0, 0, 0);
  c->r[RAX] = (uint64_t)r;
}
