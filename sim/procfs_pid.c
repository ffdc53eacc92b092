/* The content of the per-process /proc files the walk (procfs.c)
 * generates as text: /proc/<pid>/comm, maps, status and stat (and
 * /proc/<pid>/task/<tid>/'s, a thread's own view), with the maps line
 * smaps reuses and the name a VMA shows there. */
#include "sim/procfs_priv.h"
#include <stdio.h>
#include <string.h>

static const char *state_name(char s) {
  return s == 'Z' ? "Z (zombie)" : s == 'S' ? "S (sleeping)" : s == 'D' ? "D (disk sleep)" :
         s == 'T' ? "T (stopped)" : "R (running)";
}

static const char *exe_base(struct kernel *k, const struct task_ctx *c, char *tmp, size_t n) {
  if (c->comm[0]) { snprintf(tmp, n, "%s", c->comm); return tmp; }   /* the task's name */
  if (exe_link_text(k, c, tmp, n)) snprintf(tmp, n, "%s", c->tg->exe_path);
  const char *s = strrchr(tmp, '/');
  return s ? s + 1 : tmp;
}

void gen_comm(struct kernel *k, const struct pctx *p, struct sbuf *b) {
  char t[FS_PATH_MAX];
  sb_printf(b, "%.15s\n", exe_base(k, p->c, t, sizeof t));
}

void fs_vma_name(struct kernel *k, const struct vma *v, char *out, size_t n) {
  out[0] = 0;
  if (v->file && fs_host_fd_guest_path(k, v->file->fd, out, n) == 0 && out[0] == '/') return;
  snprintf(out, n, "%s", v->name);   /* the file's path as the guest sees it (d_path), else [heap] ... */
}

void maps_line(struct kernel *k, const struct vma *v, struct sbuf *b) {
  {
    char line[128];
    uint64_t ino = v->file ? v->file->ino : 0;   /* (a host file's st_ino, a shmem file's own) */
    int n = snprintf(line, sizeof line, "%08llx-%08llx %c%c%c%c %08llx 00:00 %llu ",
                     (unsigned long long)v->start, (unsigned long long)v->end,
                     v->flags & VM_READ ? 'r' : '-', v->flags & VM_WRITE ? 'w' : '-',
                     v->flags & VM_EXEC ? 'x' : '-', v->flags & VM_SHARED ? 's' : 'p',
                     (unsigned long long)(v->file ? v->file_off : 0), (unsigned long long)ino);
    sb_add(b, line, (size_t)n);
    char name[FS_PATH_MAX];
    fs_vma_name(k, v, name, sizeof name);
    if (name[0]) {
      for (; n < 72; n++) sb_add(b, " ", 1);   /* seq_pad to 25 + 6 * 8 - 1 */
      sb_add(b, " ", 1);
      sb_add(b, name, strlen(name));
    }
    sb_add(b, "\n", 1);
  }
}

void gen_maps(struct kernel *k, const struct pctx *p, struct sbuf *b) {
  struct mm *mm = p->c->mm;
  for (int i = 0; mm && i < mm->nvmas; i++) maps_line(k, &mm->vmas[i], b);
}

static uint64_t vm_total(const struct mm *mm, uint32_t need, uint32_t refuse, bool file) {
  uint64_t s = 0;
  for (int i = 0; mm && i < mm->nvmas; i++) {
    const struct vma *v = &mm->vmas[i];
    if ((v->flags & need) != need || (v->flags & refuse)) continue;
    if (file && !v->file) continue;
    s += v->end - v->start;
  }
  return s;
}

static uint64_t sig_bits(const struct task_ctx *c, int which) {
  uint64_t m = 0;
  for (int s = 1; s <= 64; s++) {
    uint64_t h = c->tg->sig_handlers[s];
    if ((which == 0 && h == 1) || (which == 1 && h > 1)) m |= 1ull << (s - 1);
  }
  return m;
}

/* NStgid, NSpid, NSpgid, NSsid: the pid in the proc mount's namespace
 * (the initial one) and in each below it to the task's own
 * (proc_pid_status) */
static void ns_status_lines(const struct task_ctx *c, struct sbuf *b) {
  const struct pidns *chain[40];
  int n = 0;
  for (const struct pidns *p = task_pidns(c); p && n < 40; p = p->parent) chain[n++] = p;
  static const char *const name[4] = {"NStgid", "NSpid", "NSpgid", "NSsid"};
  int v[4] = {c->pid, c->tid, c->tg->pgid, c->tg->sid};
  for (int f = 0; f < 4; f++) {
    sb_printf(b, "%s:\t%d", name[f], v[f]);
    for (int i = n - 1; i >= 0; i--) sb_printf(b, "\t%d", pid_nr_ns(chain[i], v[f]));
    sb_printf(b, "\n");
  }
}

/* task_state: the ids as the reader's user namespace maps them */
#define U(x) ((int)ns_from_kid_munged(task_userns(&k->tc), false, (uint32_t)(x)))
#define G(x) ((int)ns_from_kid_munged(task_userns(&k->tc), true, (uint32_t)(x)))
void gen_status(struct kernel *k, const struct pctx *p, struct sbuf *b) {
  char t[FS_PATH_MAX];
  const struct task_ctx *c = p->c;
  const struct mm *mm = c->mm;
  uint64_t vsz = vm_total(mm, 0, 0, false) >> 10, rss = mm ? mm->rss_pages * 4 : 0;
  uint64_t stk = vm_total(mm, VM_GROWSDOWN, 0, false) >> 10;
  uint64_t data = vm_total(mm, VM_WRITE, VM_GROWSDOWN | VM_SHARED, false) >> 10;
  uint64_t exe = vm_total(mm, VM_EXEC, VM_WRITE, true) >> 10;
  uint64_t pte = mm ? mm->pt_pages * 4 : 0;
  sb_printf(b, "Name:\t%.15s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
            "PPid:\t%d\nTracerPid:\t0\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n",
            exe_base(k, c, t, sizeof t), (unsigned)c->tg->fs->umask, state_name(p->state), c->pid, c->tid,
            c->tg->ppid, U(c->ruid), U(c->euid), U(c->suid), U(c->fsuid), G(c->rgid), G(c->egid), G(c->sgid),
            G(c->fsgid));
  /* task_state(): the groups, space-separated, and a trailing space */
  sb_printf(b, "FDSize:\t%d\nGroups:\t", fds_cap(c->files));
  for (int i = 0; i < c->ngroups; i++) sb_printf(b, "%s%u", i ? " " : "", (unsigned)G(c->groups[i]));
  sb_printf(b, " \n");
  ns_status_lines(c, b);
  if (mm) {                 /* a zombie has no Vm* lines, as on Linux */
    uint64_t lck = mm_locked_bytes(mm) >> 10;
    sb_printf(b, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t%8llu kB\nVmPin:\t       0 kB\n"
              "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\nRssAnon:\t%8llu kB\nRssFile:\t       0 kB\n"
              "RssShmem:\t       0 kB\n",
              (unsigned long long)vsz, (unsigned long long)vsz, (unsigned long long)lck, (unsigned long long)rss,
              (unsigned long long)rss, (unsigned long long)rss);
    sb_printf(b, "VmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\nVmLib:\t       0 kB\n"
              "VmPTE:\t%8llu kB\nVmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\n",
              (unsigned long long)data, (unsigned long long)stk, (unsigned long long)exe,
              (unsigned long long)pte);
  }
  sb_printf(b, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\nSigQ:\t0/63459\n"
            "SigPnd:\t%016llx\nShdPnd:\t%016llx\n", c->tg->live,
            (unsigned long long)c->sigpending, (unsigned long long)c->tg->shared_pending);
  sb_printf(b, "SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
            (unsigned long long)c->sigmask, (unsigned long long)sig_bits(c, 0),
            (unsigned long long)sig_bits(c, 1));
  sb_printf(b, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
            "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
            "Speculation_Store_Bypass:\tnot vulnerable\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n"
            "Mems_allowed:\t00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n"
            "nonvoluntary_ctxt_switches:\t0\n", (unsigned long long)c->cap_inh,
            (unsigned long long)c->cap_prm, (unsigned long long)c->cap_eff, (unsigned long long)c->cap_bnd);
}

#undef U
#undef G

void gen_stat(struct kernel *k, const struct pctx *p, struct sbuf *b) {
  char t[FS_PATH_MAX];
  const struct task_ctx *c = p->c;
  const struct mm *mm = c->mm;
  uint64_t now = ktime_ns(k);
  /* the run's CPU time (every task is charged the same: an approximation
   * for tasks other than the caller) */
  uint64_t cpu_ns = now - k->epoch_ns - k->sleep_ns;
  uint64_t utime = cpu_ns / 10000000ull;          /* USER_HZ = 100 */
  uint64_t vsz = vm_total(mm, 0, 0, false), rss = mm ? mm->rss_pages : 0;
  uint64_t sc = 0, ec = 0;
  for (int i = 0; mm && i < mm->nvmas; i++) {
    const struct vma *v = &mm->vmas[i];
    if ((v->flags & VM_EXEC) && v->file) {
      if (!sc) sc = v->start;
      ec = v->end;
    }
  }
  uint64_t brk0 = mm ? mm->brk_start : 0;
  sb_printf(b, "%d (%.15s) %c %d %d %d 0 -1 4194304 %llu 0 %llu 0 %llu 0 0 0 20 0 %d 0 0 %llu %llu "
            "18446744073709551615 %llu %llu %llu 0 0 ",
            c->tid, exe_base(k, c, t, sizeof t), p->state, c->tg->ppid, c->tg->pgid, c->tg->sid,
            (unsigned long long)c->minflt, (unsigned long long)c->majflt,
            (unsigned long long)utime, c->tg->live ? c->tg->live : 1, (unsigned long long)vsz, (unsigned long long)rss,
            (unsigned long long)sc, (unsigned long long)ec, (unsigned long long)(mm ? c->tg->auxv_addr : 0));
  sb_printf(b, "0 %llu %llu %llu 0 0 0 17 0 0 0 0 0 0 0 0 %llu 0 0 0 0 %d\n",
            (unsigned long long)c->sigmask, (unsigned long long)sig_bits(c, 0),
            (unsigned long long)sig_bits(c, 1), (unsigned long long)brk0,
            p->state == 'Z' ? (p->t ? p->t->wstatus : 0) : 0);
}
