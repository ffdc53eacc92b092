/* The /proc/<pid> files whose reads and writes reach a process:
 * mem (fs/proc/base.c mem_rw: the process's memory at the file position,
 * through access_remote_vm's forced access), pagemap (fs/proc/task_mmu.c
 * pagemap_read: one 64-bit entry per virtual page) and coredump_filter
 * (its core dump's filter bits).  Opening mem or pagemap checks the file's
 * mode, then ptrace_may_access with the opener's filesystem ids
 * (proc_mem_open); the open file stays bound to the address space it
 * opened: after the process execs or exits it reads as empty. */
#include "sim/procfs_priv.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_DAC_OVERRIDE_ 1
#define CAP_DAC_READ_SEARCH_ 2

/* The process a live file names: its task and context (NULL if gone). */
static struct task_ctx *target(struct kernel *k, int pid, struct task **tp) {
  struct task *t = pid == k->pid ? k->cur : task_find(k, pid);
  *tp = t;
  return !t ? NULL : task_ctx_of(k, t);
}

/* generic_permission on a /proc/<pid> file: its owner is the task's
 * effective ids while it is dumpable and has memory, else root
 * (task_dump_owner); want: 4 read, 2 write */
static int pid_file_may(struct kernel *k, const struct task_ctx *c, unsigned mode, int want) {
  bool own = c->mm && !c->undumpable;
  int uid = own ? c->euid : 0, gid = own ? c->egid : 0;
  unsigned bits = k->fsuid == uid ? mode >> 6 : cred_in_group(k, (uint32_t)gid) ? mode >> 3 : mode;
  if (!((unsigned)want & ~bits & 7)) return 0;
  if (capable(k, CAP_DAC_OVERRIDE_) || (want == 4 && capable(k, CAP_DAC_READ_SEARCH_))) return 0;
  return -EACCES;
}

static unsigned live_mode(int live) { return live == PL_MEM ? 0600 : live == PL_PAGEMAP ? 0400 : 0644; }

int proc_live_access(struct kernel *k, const struct px *r, int want) {
  struct task *t;
  struct task_ctx *c = target(k, r->live_pid, &t);
  return c ? pid_file_may(k, c, live_mode(r->live), want) : -ENOENT;
}

int proc_live_open(struct kernel *k, const struct px *r, int want, struct proc_live *l) {
  struct task *t;
  struct task_ctx *c = target(k, r->live_pid, &t);
  if (!c) return -ENOENT;
  if (r->live == PL_NS) return ns_proc_open(c, r->target, l);   /* a namespace file (ns.c) */
  int e = pid_file_may(k, c, live_mode(r->live), want);
  if (e) return e;
  /* proc_setgroups_open: writing needs CAP_SYS_ADMIN in the task's user namespace */
  if (r->live == PL_SETGROUPS && (want & 2) && !ns_capable(k, task_userns(c), CAP_SYS_ADMIN_)) return -EACCES;
  /* mm_access: another address space needs ptrace access (a zombie has
   * none: the file opens and reads as empty) */
  if ((r->live == PL_MEM || r->live == PL_PAGEMAP) && c->mm && !ptrace_may_access(k, t, true)) return -EACCES;
  *l = (struct proc_live){.what = r->live, .pid = r->live_pid, .mm = c->mm ? c->mm->id : 0,
                          .show_pfn = capable(k, CAP_SYS_ADMIN_)};   /* file_ns_capable: the opener's */
  return 0;
}

/* a write to /proc/<pid>/uid_map, gid_map or setgroups (ns_user.c),
 * always at the file's start position (map_write does not move it) */
long proc_idmap_write(struct kernel *k, struct gfd *g, const void *buf, size_t n, int64_t off) {
  struct task *t;
  struct task_ctx *c = target(k, g->live.pid, &t);
  if (!c) return -ESRCH;
  return userns_proc_write(k, c, g->live.what - PL_UID_MAP, buf, n, off < 0 ? (int64_t)g->procpos : off);
}

/* The task whose address space the file opened, if it still has it. */
static struct task *live_task(struct kernel *k, const struct gfd *g) {
  struct task *t;
  struct task_ctx *c = target(k, g->live.pid, &t);
  return c && c->mm && g->live.mm && c->mm->id == g->live.mm ? t : NULL;
}

/* mem_rw: page-sized pieces; each is moved by access_remote_vm (the
 * target's pages reached as forced accesses, in its address space) and
 * copied to or from the caller.  A piece nothing of which can be reached
 * ends the call: EIO if nothing moved; a bad buffer is EFAULT even after
 * earlier pieces (mem_rw's copied = -EFAULT); the position advances by
 * what moved. */
long proc_mem_rw(struct kernel *k, struct gfd *g, uint64_t ubuf, uint64_t n, uint64_t *pos, bool wr) {
  struct task *self = k->cur, *t = live_task(k, g);
  if (!t) return 0;
  uint8_t page[PAGE];
  uint64_t addr = *pos;
  long copied = 0;
  while (n) {
    size_t len = n < PAGE ? (size_t)n : PAGE;
    if (wr && copy_from_user(k, page, ubuf, len)) { copied = -EFAULT; break; }
    if (t != self) task_switch_to(k, t);
    size_t done = 0;
    while (done < len) {                 /* access_remote_vm: page by page */
      uint64_t va = addr + done;
      size_t piece = PAGE - (va & (PAGE - 1));
      if (piece > len - done) piece = len - done;
      uint8_t *h = user_page_forced(k, va, wr);
      if (!h) break;
      if (wr) memcpy(h, page + done, piece);
      else memcpy(page + done, h, piece);
      done += piece;
    }
    if (t != self) task_switch_to(k, self);
    if (!done) { if (!copied) copied = -EIO; break; }
    if (!wr && copy_to_user(k, ubuf, page, done)) { copied = -EFAULT; break; }
    ubuf += done;
    addr += done;
    copied += (long)done;
    n -= done;
    if (done < len) break;               /* the next piece would start unreachable */
  }
  *pos = addr;
  return copied;
}

/* pagemap_read: the position and the length whole entries (EINVAL); the
 * entries from the position's page up to the end of user space, written
 * a page table's worth (512) at a time over the buffers; a bad buffer is
 * EFAULT and moves nothing */
long proc_pagemap_read(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt, uint64_t *pos) {
  struct task *t = live_task(k, g);
  uint64_t count = 0;                    /* what read/readv pass on: at most MAX_RW_COUNT */
  for (int i = 0; i < cnt; i++) count += iov[i].len < MAX_RW_COUNT - count ? iov[i].len : MAX_RW_COUNT - count;
  if (!t) return 0;
  if (*pos % 8 || count % 8) return -EINVAL;
  if (!count) return 0;
  struct mm *mm = t == k->cur ? k->mm : t->tc.mm;
  uint64_t vpn = *pos / 8, va = TASK_SIZE, end_va = TASK_SIZE;
  if (vpn <= (~0ull >> 12)) {            /* (no wrapping around) */
    va = vpn << 12;
    uint64_t end = va + (count / 8 << 12);
    if (end >= va && end < TASK_SIZE) end_va = end;
  }
  if (va > TASK_SIZE) va = end_va;
  uint64_t entries[512], copied = 0;
  int vi = 0;
  uint64_t vo = 0;
  while (count && va < end_va) {
    size_t ne = 0;
    uint64_t stop = (va + (512ull << 12)) & ~((512ull << 12) - 1);
    if (stop < va || stop > end_va) stop = end_va;
    for (; va < stop; va += PAGE) entries[ne++] = mm_pagemap_entry(k, mm, va, g->live.show_pfn);
    uint64_t len = ne * 8 < count ? ne * 8 : count;
    for (uint64_t o = 0; o < len;) {     /* over the buffers, in order */
      while (vi < cnt && vo == iov[vi].len) { vi++; vo = 0; }
      uint64_t c = len - o < iov[vi].len - vo ? len - o : iov[vi].len - vo;
      if (copy_to_user(k, iov[vi].base + vo, (uint8_t *)entries + o, c)) return -EFAULT;
      o += c;
      vo += c;
    }
    copied += len;
    count -= len;
  }
  *pos += copied;
  return (long)copied;
}

/* /proc/<pid>/coredump_filter's content: the filter in hex (none for a
 * process without memory) */
void proc_gen_coredump_filter(const struct task_ctx *c, struct sbuf *b) {
  if (c->mm) sb_printf(b, "%08x\n", c->mm->dump_filter);
}

/* proc_coredump_filter_write: one unsigned int as kstrtouint reads it
 * (a '+', base 0, one newline after it; ERANGE past UINT_MAX), at most 34
 * bytes of the write; its low 9 bits are the new filter */
long proc_coredump_filter_write(struct kernel *k, struct gfd *g, const void *buf, size_t n) {
  char s[35];
  size_t l = n < sizeof s - 1 ? n : sizeof s - 1;
  memcpy(s, buf, l);
  s[l] = 0;
  const char *p = s + (s[0] == '+');
  int base = 10;
  if (p[0] == '0') {
    base = (p[1] | 0x20) == 'x' && isxdigit((unsigned char)p[2]) ? 16 : 8;
    if (base == 16) p += 2;
  }
  unsigned long long v = 0;
  bool over = false;
  const char *d0 = p;
  for (;; p++) {
    int d = *p >= '0' && *p <= '9' ? *p - '0' : isxdigit((unsigned char)*p) ? (*p | 0x20) - 'a' + 10 : 99;
    if (d >= base) break;
    if (v > (~0ull - (unsigned)d) / (unsigned)base) over = true;
    v = v * (unsigned)base + (unsigned)d;
  }
  if (over) return -ERANGE;
  if (p == d0) return -EINVAL;
  if (*p == '\n') p++;
  if (*p) return -EINVAL;
  if (v > 0xffffffffull) return -ERANGE;
  struct task *t;
  struct task_ctx *c = target(k, g->live.pid, &t);
  if (!c || !c->mm) return -ESRCH;
  c->mm->dump_filter = (uint32_t)v & DUMP_FILTER_MASK;
  return (long)n;
}
