/* userfaultfd(2): page faults handled by a thread of the program
 * (fs/userfaultfd.c, mm/userfaultfd.c).  A fault on a registered range --
 * a missing page, or a write to a page write-protected through the uffd --
 * is queued as a message; the faulting thread sleeps (BLK_UFFD) until the
 * handler resolves the range (UFFDIO_COPY, ZEROPAGE, WRITEPROTECT off) or
 * wakes it (UFFDIO_WAKE); then the instruction runs again.  Every mode
 * reaches this through the Linux handler's plan (fault kind userfault,
 * step uffd.handle_userfault); the handler's ioctls are steps of their own
 * (uffd.copy, uffd.zeropage, uffd.writeprotect, uffd.wake) outside any
 * fault, with the page-table stores they make (and whatever those raise
 * in the mode: a Xen validation, a shadow emulation) as their children.
 *
 * Modelled: anonymous memory, private and shared; the MISSING and WP
 * modes; features PAGEFAULT_FLAG_WP, MISSING_SHMEM, SIGBUS, THREAD_ID,
 * EXACT_ADDRESS.  Not modelled: MINOR mode and UFFDIO_CONTINUE, the
 * fork/remap/remove/unmap events, hugetlbfs, UFFDIO_MOVE and POISON.  A
 * system call whose copy touches a missing page of a registered range
 * fails with EFAULT (Linux would wait for the handler unless the uffd was
 * made with UFFD_USER_MODE_ONLY). */
#include "sim/kernel.h"
#include "sim/mm_internal.h"
#include "sim/fs_priv.h"
#include "sim/record.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define UFFD_API_ 0xaaull
#define UFFD_USER_MODE_ONLY_ 1
#define UFFDIO_API_ 0xc018aa3fu
#define UFFDIO_REGISTER_ 0xc020aa00u
#define UFFDIO_UNREGISTER_ 0x8010aa01u
#define UFFDIO_WAKE_ 0x8010aa02u
#define UFFDIO_COPY_ 0xc028aa03u
#define UFFDIO_ZEROPAGE_ 0xc020aa04u
#define UFFDIO_WRITEPROTECT_ 0xc018aa06u
#define USERFAULTFD_IOC_NEW_ 0xaa00u
/* the ioctl numbers' _UFFDIO_* bits, as REGISTER and API report them */
#define IOCBIT(nr) (1ull << (nr))
#define UFFD_API_IOCTLS_ (IOCBIT(0x00) | IOCBIT(0x01) | IOCBIT(0x3f))
#define UFFD_RANGE_IOCTLS_ (IOCBIT(0x02) | IOCBIT(0x03) | IOCBIT(0x04) | IOCBIT(0x06))
/* features */
#define F_PAGEFAULT_FLAG_WP 0x1ull
#define F_MISSING_SHMEM 0x20ull
#define F_SIGBUS 0x80ull
#define F_THREAD_ID 0x100ull
#define F_EXACT_ADDRESS 0x800ull
#define UFFD_FEATURES_ (F_PAGEFAULT_FLAG_WP | F_MISSING_SHMEM | F_SIGBUS | F_THREAD_ID | F_EXACT_ADDRESS)
#define UFFD_EVENT_PAGEFAULT 0x12
#define FLAG_WRITE 1u
#define FLAG_WP 2u

struct uffd_ctx {
  int refs;                  /* descriptors that refer to it */
  struct kernel *k;
  struct mm *mm;             /* the address space it was made in ... */
  uint64_t mm_id;            /* ... while that one lives */
  bool api;                  /* UFFDIO_API done */
  uint64_t features;
  int efd;                   /* host eventfd: readable while a message waits (poll, blocking read) */
  bool efd_set;
};

/* a step of the kernel's own, outside any fault: recorded, so that a
 * replay opens and closes it around the same work */

static bool mm_alive(struct kernel *k, const struct uffd_ctx *c) {
  struct mm *mms[64];
  int n = live_mms(k, mms, 64);
  for (int i = 0; i < n; i++)
    if (mms[i] == c->mm && mms[i]->id == c->mm_id) return true;
  return false;
}

static struct mm *ctx_mm(struct kernel *k, const struct uffd_ctx *c) {
  return mm_alive(k, c) ? c->mm : NULL;
}

/* a thread waiting on c with its message not yet read */
static bool unread(const struct task *t, const struct uffd_ctx *c) {
  return t->state == TS_BLOCKED && t->block == BLK_UFFD && t->uffd.ctx == c && !t->uffd.woken && !t->uffd.read;
}

/* the eventfd says whether a message waits */
static void sync_efd(struct kernel *k, struct uffd_ctx *c) {
  bool any = false;
  for (struct task *t = k->tasks; t && !any; t = t->next) any = unread(t, c);
  uint64_t v = 1;
  if (any && !c->efd_set && write(c->efd, &v, 8) == 8) c->efd_set = true;
  if (!any && c->efd_set && read(c->efd, &v, 8) == 8) c->efd_set = false;
}

/* wake_userfault: the threads waiting on a page of [start, start+len) */
static int wake_range(struct kernel *k, struct uffd_ctx *c, uint64_t start, uint64_t len) {
  int n = 0;
  for (struct task *t = k->tasks; t; t = t->next)
    if (t->state == TS_BLOCKED && t->block == BLK_UFFD && t->uffd.ctx == c && !t->uffd.woken &&
        t->uffd.addr >= start && t->uffd.addr - start < len) {
      t->uffd.woken = true;
      n++;
    }
  sync_efd(k, c);
  return n;
}

static void wake_step(struct kernel *k, struct uffd_ctx *c, uint64_t start, uint64_t len) {
  kstep_begin(k, EV_S_UFFD_WAKE, start);
  kstep_end(k, (uint64_t)wake_range(k, c, start, len), 1);
}

/* every VMA of c's address space registered with it lets go; every
 * waiter is woken (userfaultfd_release, UFFDIO_UNREGISTER) */
static void unregister_range(struct kernel *k, struct uffd_ctx *c, struct mm *mm, uint64_t start, uint64_t end) {
  for (int i = 0; mm && i < mm->nvmas; i++) {
    struct vma *v = &mm->vmas[i];
    if (v->uffd != c || v->end <= start || v->start >= end) continue;
    if (v->uffd_mode & UFFD_MODE_WP) {
      /* the pages keep their contents; write protection through the uffd ends */
      for (uint64_t va = v->start > start ? v->start : start; va < v->end && va < end; va += PAGE) {
        uint64_t leaf = 0, cyc = 0, e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
        if (!(e & PTE_UFFD_WP)) continue;
        uint64_t n = e & ~PTE_UFFD_WP;
        if ((v->flags & VM_WRITE) && page_anon_exclusive(k, v, va, e)) n |= PTE_W;
        kwrite_pte(k, leaf, n, 1, &cyc);
        if (mm == k->mm) flush_user_va(k, va);
      }
    }
    v->uffd = NULL;
    v->uffd_mode = 0;
  }
  if (mm) vma_merge_range(k, mm, start, end);
  wake_range(k, c, start, end - start);
}

void uffd_put(struct uffd_ctx *c) {
  if (!c || --c->refs) return;
  struct kernel *k = c->k;
  unregister_range(k, c, ctx_mm(k, c), 0, TASK_SIZE);
  close(c->efd);
  free(c);
}

void uffd_get(struct uffd_ctx *c) {
  if (c) c->refs++;
}

/* userfaultfd(2), and /dev/userfaultfd's USERFAULTFD_IOC_NEW (dev: the
 * device's permissions were the check) */
long uffd_create(struct kernel *k, uint64_t flags, bool dev) {
  if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY_)) return -EINVAL;
  /* vm.unprivileged_userfaultfd is 0: kernel-mode faults need CAP_SYS_PTRACE */
  if (!dev && !(flags & UFFD_USER_MODE_ONLY_) && !capable(k, 19 /* CAP_SYS_PTRACE */)) return -EPERM;
  struct uffd_ctx *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->efd < 0) { free(c); return -ENOMEM; }
  c->refs = 1;
  c->k = k;
  c->mm = k->mm;
  c->mm_id = k->mm->id;
  int h = fcntl(c->efd, F_DUPFD_CLOEXEC, 3);
  if (h < 0) { close(c->efd); free(c); return -EMFILE; }
  int fd = gfd_install(k, 0, FDK_UFFD, h, O_RDWR | (int)(flags & O_NONBLOCK), flags & O_CLOEXEC,
                       "anon_inode:[userfaultfd]");
  if (fd < 0) { close(c->efd); free(c); return fd; }
  k->fds[fd].uffd = c;
  return fd;
}

/* a fault the Linux handler's plan sees on a registered range (fault_ops.c):
 * FK_USERFAULT with the message flags, FK_SIGBUS (UFFD_FEATURE_SIGBUS, or
 * a kernel-mode access: see the top), or 0 when the range is not the
 * uffd's business for this access */
int uffd_fault_kind(struct kernel *k, const struct vma *v, uint64_t va, bool user, bool write, bool wp,
                    uint32_t *flags) {
  struct uffd_ctx *c = v->uffd;
  if (!c || !(v->uffd_mode & (wp ? UFFD_MODE_WP : UFFD_MODE_MISSING))) return 0;
  if (!user || (c->features & F_SIGBUS)) return FK_SIGBUS;
  *flags = (write ? FLAG_WRITE : 0) | (wp ? FLAG_WP : 0);
  k->uffd_wait.ctx = c;
  k->uffd_wait.addr = va;
  k->uffd_wait.flags = *flags;
  return FK_USERFAULT;
}

/* after the mode's fault path: the faulting thread sleeps until woken */
void uffd_park(struct kernel *k) {
  struct task *t = k->cur;
  t->uffd.ctx = k->uffd_wait.ctx;
  t->uffd.addr = k->uffd_wait.addr;
  t->uffd.flags = k->uffd_wait.flags;
  t->uffd.read = t->uffd.woken = false;
  t->uffd.seq = ++k->futex_seq;
  k->uffd_wait.ctx = NULL;
  t->state = TS_BLOCKED;
  t->block = BLK_UFFD;
  t->restart_syscall = false;
  sync_efd(k, t->uffd.ctx);
}

/* read(2): one uffd_msg per waiting fault not yet read, oldest first */
long uffd_read(struct kernel *k, struct gfd *g, uint64_t buf, uint64_t n) {
  struct uffd_ctx *c = g->uffd;
  if (!c->api) return -EINVAL;
  if (n < 32) return -EINVAL;
  long done = 0;
  while ((uint64_t)done + 32 <= n) {
    struct task *best = NULL;
    for (struct task *t = k->tasks; t; t = t->next)
      if (unread(t, c) && (!best || t->uffd.seq < best->uffd.seq)) best = t;
    if (!best) break;
    uint8_t msg[32] = {0};
    msg[0] = UFFD_EVENT_PAGEFAULT;
    uint64_t flags = best->uffd.flags;
    uint64_t addr = (c->features & F_EXACT_ADDRESS) ? best->uffd.addr : best->uffd.addr & PAGE_MASK;
    uint32_t ptid = (c->features & F_THREAD_ID) ? (uint32_t)task_ctx_of(k, best)->tid : 0;
    memcpy(msg + 8, &flags, 8);
    memcpy(msg + 16, &addr, 8);
    memcpy(msg + 24, &ptid, 4);
    if (copy_to_user(k, buf + (uint64_t)done, msg, 32)) return done ? done : -EFAULT;
    best->uffd.read = true;
    done += 32;
  }
  sync_efd(k, c);
  if (done) return done;
  if (g->flags & O_NONBLOCK) return -EAGAIN;
  /* wait for a message: the eventfd becomes readable */
  k->cur->block = BLK_FD;
  k->cur->block_fd = g->hostfd;
  k->cur->block_events = POLLIN;
  k->block_now = true;
  k->block_restart = true;
  return 0;
}

/* validate_range: page-aligned, non-empty, below TASK_SIZE */
static long check_range(uint64_t start, uint64_t len) {
  if ((start | len) & (PAGE - 1) || !len || start >= TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
  return 0;
}

/* the VMA holding va registered with c (find_dst_vma), or NULL */
static struct vma *dst_vma(struct mm *mm, struct uffd_ctx *c, uint64_t va, uint64_t len) {
  struct vma *v = mm ? vma_find(mm, va) : NULL;
  if (!v || v->uffd != c || va + len > v->end) return NULL;
  return v;
}

static long do_register(struct kernel *k, struct uffd_ctx *c, uint64_t arg) {
  uint64_t r[4];                            /* start, len, mode, ioctls */
  if (copy_from_user(k, r, arg, 24)) return -EFAULT;
  uint64_t mode = r[2];
  if (!mode || (mode & ~(uint64_t)(UFFD_MODE_MISSING | UFFD_MODE_WP | 4 /* MINOR */))) return -EINVAL;
  if (mode & 4) return -EINVAL;                 /* MINOR: shmem/hugetlbfs only, not modelled */
  long e = check_range(r[0], r[1]);
  if (e) return e;
  struct mm *mm = ctx_mm(k, c);
  if (!mm || mm != k->mm) return -ESRCH;
  uint64_t start = r[0], end = r[0] + r[1];
  /* every page of the range in a VMA that can take it: anonymous memory
   * (shared anonymous with MISSING_SHMEM), no other uffd's */
  for (uint64_t va = start; va < end;) {
    struct vma *v = vma_find(mm, va);
    if (!v) return -EINVAL;                 /* a hole in the range */
    if (v->file) return -EINVAL;            /* vma_can_userfault: anonymous memory (file-backed shmem: not modelled) */
    if (v->uffd && v->uffd != c) return -EBUSY;
    va = v->end;
  }
  if (vma_isolate(k, mm, start, end)) return -ENOMEM;
  for (int i = 0; i < mm->nvmas; i++) {
    struct vma *v = &mm->vmas[i];
    if (v->start < start || v->end > end) continue;
    v->uffd = c;
    v->uffd_mode = (uint8_t)mode;
  }
  vma_merge_range(k, mm, start, end);
  r[3] = UFFD_RANGE_IOCTLS_;
  return copy_to_user(k, arg + 24, &r[3], 8) ? -EFAULT : 0;
}

/* the new page's PTE for a VMA (write protected through the uffd: no W) */
static uint64_t new_pte(const struct vma *v, bool wp) {
  uint64_t f = pte_flags_for(v->flags, v->flags & VM_WRITE);
  if (wp) f = (f & ~(PTE_W | PTE_D)) | PTE_UFFD_WP;
  return f;
}

/* UFFDIO_COPY (zero: UFFDIO_ZEROPAGE): fill the missing pages of
 * [dst, dst+len) one by one; the bytes filled, or the first page's error */
static long fill_range(struct kernel *k, struct uffd_ctx *c, uint64_t dst, uint64_t src, uint64_t len, bool zero,
                       bool wp) {
  struct mm *mm = k->mm;
  /* (outside a fault the kernel's accesses charge the CPU themselves: cyc is not added again) */
  uint64_t done = 0, cyc = 0;
  long err = 0;
  static uint8_t buf[PAGE];
  pv_batch(k, true);
  for (; done < len; done += PAGE) {
    uint64_t va = dst + done;
    struct vma *v = dst_vma(mm, c, va, PAGE);
    if (!v) { err = -ENOENT; break; }
    uint64_t leaf = 0, e = pte_lookup_4k(k, mm, va, &leaf, &cyc);
    if (pte_mapped(e)) { err = -EEXIST; break; }
    if (!zero && copy_from_user(k, buf, src + done, PAGE)) { err = -EFAULT; break; }
    int newt = 0;
    cyc += op_ensure_tables(k, va, &leaf, &newt);
    if (!leaf) { err = -ENOMEM; break; }
    uint64_t pa;
    if (zero && !(v->flags & VM_SHARED)) {
      pa = k->zero_page;                    /* mfill_atomic_pte_zeropage: the zero pfn, read-only */
      kwrite_pte(k, leaf, pa | ((new_pte(v, wp) & ~(PTE_W | PTE_D))), 1, &cyc);
      continue;
    }
    pa = frame_alloc(k);
    if (!pa) { err = -ENOMEM; break; }
    mm->rss_pages++;
    uint8_t *h = kaccess(k, kva(pa), ACC_W, &cyc);
    if (zero) memset(h, 0, PAGE);
    else memcpy(h, buf, PAGE);
    if (k->cpu->dcache) cyc += cache_access_range(k->cpu->dcache, pa, PAGE, true);
    if (!(v->flags & VM_SHARED)) v->flags |= VM_ANON_VMA;
    kwrite_pte(k, leaf, pa | new_pte(v, wp) | ((v->flags & VM_WRITE) && !wp ? PTE_D : 0), 1, &cyc);
  }
  pv_batch(k, false);
  return done ? (long)done : err;
}

static long do_fill(struct kernel *k, struct uffd_ctx *c, uint64_t arg, bool zero) {
  /* uffdio_copy {dst, src, len, mode, copy}; uffdio_zeropage {start, len, mode, zeropage} */
  uint64_t f[4];
  size_t in = zero ? 24 : 32;
  uint64_t out_at = arg + in;
  if (copy_from_user(k, f, arg, in)) return -EFAULT;
  uint64_t dst = f[0], src = zero ? 0 : f[1], len = zero ? f[1] : f[2], mode = zero ? f[2] : f[3];
  long e = check_range(dst, len);
  if (e) return e;
  if (!zero && (src >= TASK_SIZE || len > TASK_SIZE - src)) return -EINVAL;
  uint64_t allowed = zero ? 1 /* DONTWAKE */ : 1 | 2 /* DONTWAKE, WP */;
  if (mode & ~allowed) return -EINVAL;
  if (k->mm != ctx_mm(k, c)) return -ESRCH;
  kstep_begin(k, zero ? EV_S_UFFD_ZEROPAGE : EV_S_UFFD_COPY, dst);
  long r = fill_range(k, c, dst, src, len, zero, !zero && (mode & 2));
  uint64_t pages = r > 0 ? (uint64_t)r / PAGE : 0;
  kstep_end(k, pages, pages);
  int64_t rv = r;
  if (copy_to_user(k, out_at, &rv, 8)) return -EFAULT;
  if (r < 0) return r;
  if (!(mode & 1)) wake_step(k, c, dst, (uint64_t)r);
  return (uint64_t)r == len ? 0 : -EAGAIN;
}

static long do_writeprotect(struct kernel *k, struct uffd_ctx *c, uint64_t arg) {
  uint64_t f[3];                            /* start, len, mode */
  if (copy_from_user(k, f, arg, 24)) return -EFAULT;
  long e = check_range(f[0], f[1]);
  if (e) return e;
  uint64_t mode = f[2];
  if (mode & ~3ull) return -EINVAL;
  bool wp = mode & 1, dontwake = mode & 2;
  if (wp && dontwake) return -EINVAL;
  struct mm *mm = k->mm;
  if (mm != ctx_mm(k, c)) return -ESRCH;
  for (uint64_t va = f[0]; va < f[0] + f[1];) {
    struct vma *v = dst_vma(mm, c, va, 0);
    if (!v || !(v->uffd_mode & UFFD_MODE_WP)) return -ENOENT;
    va = v->end;
  }
  kstep_begin(k, EV_S_UFFD_WRITEPROTECT, f[0]);
  uint64_t pages = 0, cyc = 0;
  pv_batch(k, true);
  for (uint64_t va = f[0]; va < f[0] + f[1]; va += PAGE) {
    struct vma *v = vma_find(mm, va);
    uint64_t leaf = 0, p = pte_lookup_4k(k, mm, va, &leaf, &cyc);
    if (!(p & PTE_P)) continue;
    uint64_t n = wp ? (p & ~PTE_W) | PTE_UFFD_WP : p & ~PTE_UFFD_WP;
    /* write access comes back only to a page this mapping alone holds
     * (a shared one faults and copies, as after fork) */
    if (!wp && (p & PTE_UFFD_WP) && (v->flags & VM_WRITE) && page_anon_exclusive(k, v, va, p)) n |= PTE_W;
    if (n == p) continue;
    kwrite_pte(k, leaf, n, 1, &cyc);
    flush_user_va(k, va);
    pages++;
  }
  pv_batch(k, false);
  kstep_end(k, pages, pages);
  if (!wp && !dontwake) wake_step(k, c, f[0], f[1]);
  return 0;
}

long uffd_ioctl(struct kernel *k, struct gfd *g, uint32_t req, uint64_t arg) {
  struct uffd_ctx *c = g->uffd;
  if (req == UFFDIO_API_) {
    uint64_t a[3];                          /* api, features, ioctls */
    if (copy_from_user(k, a, arg, 24)) return -EFAULT;
    /* a second UFFDIO_API is EINVAL (the features are fixed once) */
    if (c->api || a[0] != UFFD_API_ || (a[1] & ~UFFD_FEATURES_)) {
      uint64_t z = 0;
      if (copy_to_user(k, arg + 8, &z, 8)) return -EFAULT;
      return -EINVAL;
    }
    c->features = a[1];
    c->api = true;
    a[1] = UFFD_FEATURES_;
    a[2] = UFFD_API_IOCTLS_;
    return copy_to_user(k, arg, a, 24) ? -EFAULT : 0;
  }
  if (!c->api) return -EINVAL;
  switch (req) {
  case UFFDIO_REGISTER_: return do_register(k, c, arg);
  case UFFDIO_UNREGISTER_: {
    uint64_t r[2];
    if (copy_from_user(k, r, arg, 16)) return -EFAULT;
    long e = check_range(r[0], r[1]);
    if (e) return e;
    struct mm *mm = ctx_mm(k, c);
    if (!mm || mm != k->mm) return -ESRCH;
    if (vma_isolate(k, mm, r[0], r[0] + r[1])) return -ENOMEM;
    unregister_range(k, c, mm, r[0], r[0] + r[1]);
    return 0;
  }
  case UFFDIO_WAKE_: {
    uint64_t r[2];
    if (copy_from_user(k, r, arg, 16)) return -EFAULT;
    long e = check_range(r[0], r[1]);
    if (e) return e;
    wake_step(k, c, r[0], r[1]);
    return 0;
  }
  case UFFDIO_COPY_: return do_fill(k, c, arg, false);
  case UFFDIO_ZEROPAGE_: return do_fill(k, c, arg, true);
  case UFFDIO_WRITEPROTECT_: return do_writeprotect(k, c, arg);
  default: return -EINVAL;                  /* userfaultfd_ioctl: -EINVAL for the rest */
  }
}

/* /dev/userfaultfd (since 6.1): its one ioctl makes a uffd, for whoever
 * may open the device (no CAP_SYS_PTRACE needed) */
long uffd_dev_ioctl(struct kernel *k, uint32_t req, uint64_t arg) {
  if (req != USERFAULTFD_IOC_NEW_) return -ENOTTY;
  return uffd_create(k, arg, true);
}
