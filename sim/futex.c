/* futex(2) between guest processes: a waiter blocks (BLK_FUTEX) until a
 * FUTEX_WAKE on the same futex, its deadline, or a signal.
 *
 * The key follows Linux's get_futex_key: a word in a shared mapping
 * (MAP_SHARED file or anonymous memory, SysV shm) is named by the frame
 * holding it, so every process that maps the page meets at the same key;
 * a word in private memory, or any FUTEX_PRIVATE_FLAG futex, is named by
 * its address space and address.  Threads are not modelled, so a private
 * futex is met only by a vfork child sharing the address space. */
#include "sim/kernel.h"
#include <errno.h>
#include <linux/futex.h>

struct fkey { uint64_t a, b; };

static long futex_key(struct kernel *k, uint64_t uaddr, bool private, struct fkey *key) {
  if (uaddr & 3) return -EINVAL;
  struct vma *v = vma_find(k->mm, uaddr);
  if (!v) return -EFAULT;
  if (private || !(v->flags & VM_SHARED)) {
    *key = (struct fkey){(uint64_t)(uintptr_t)k->mm, uaddr};
    return 0;
  }
  uint64_t frame = mm_user_frame(k, k->mm, uaddr);
  if (!frame) return -EFAULT;
  *key = (struct fkey){0, frame | (uaddr & (PAGE - 1))};
  return 0;
}

static int wake_key(struct kernel *k, struct fkey key, uint32_t bitset, int n, struct fkey *requeue_to,
                    int nrequeue) {
  int woken = 0;
  for (struct task *t = k->tasks; t; t = t->next) {
    if (t->state != TS_BLOCKED || t->block != BLK_FUTEX || t->futex.woken) continue;
    if (t->futex.a != key.a || t->futex.b != key.b || !(t->futex.bitset & bitset)) continue;
    if (woken < n) { t->futex.woken = true; woken++; }
    else if (requeue_to && nrequeue > 0) { t->futex.a = requeue_to->a; t->futex.b = requeue_to->b; nrequeue--; woken++; }
    else break;
  }
  return woken;
}

int futex_wake_addr(struct kernel *k, uint64_t uaddr, int n) {
  struct fkey key;
  if (!k->mm || futex_key(k, uaddr, false, &key)) return 0;
  return wake_key(k, key, FUTEX_BITSET_MATCH_ANY, n, NULL, 0);
}

/* a timeout as a deadline in guest time: FUTEX_WAIT's is relative
 * (CLOCK_MONOTONIC), FUTEX_WAIT_BITSET's absolute on CLOCK_MONOTONIC or,
 * with FUTEX_CLOCK_REALTIME, CLOCK_REALTIME */
static long futex_deadline(struct kernel *k, uint64_t uts, bool absolute, bool realtime, uint64_t *out) {
  struct { int64_t s, ns; } ts;
  if (copy_from_user(k, &ts, uts, sizeof ts)) return -EFAULT;
  if (ts.s < 0 || ts.ns < 0 || ts.ns >= 1000000000) return -EINVAL;
  uint64_t t = (uint64_t)ts.s * 1000000000ull + (uint64_t)ts.ns, now = ktime_ns(k);
  if (!absolute) { *out = now + t; return 0; }
  uint64_t clock_now = realtime ? now : now - k->epoch_ns + 1000000000ull;
  *out = t > clock_now ? now + (t - clock_now) : now;
  return 0;
}

long sys_futex(struct kernel *k, const uint64_t a[6]) {
  struct task *t = k->cur;
  int op = (int)(a[1] & FUTEX_CMD_MASK);
  bool private = a[1] & FUTEX_PRIVATE_FLAG, realtime = a[1] & FUTEX_CLOCK_REALTIME;
  if (realtime && op != FUTEX_WAIT_BITSET && op != FUTEX_WAIT) return -ENOSYS;
  switch (op) {
  case FUTEX_WAIT: case FUTEX_WAIT_BITSET: {
    uint64_t deadline = task_wait_deadline(k);
    if (t->futex.waiting) {             /* the re-run after a wake */
      t->futex.waiting = false;
      if (t->futex.woken) return 0;
      if (deadline && ktime_ns(k) >= deadline) return -ETIMEDOUT;
    }
    uint32_t bitset = op == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : (uint32_t)a[5];
    if (!bitset) return -EINVAL;
    if (a[3] && !deadline) {
      long e = futex_deadline(k, a[3], op == FUTEX_WAIT_BITSET, realtime, &deadline);
      if (e) return e;
    }
    uint32_t v;
    if (copy_from_user(k, &v, a[0], 4)) return -EFAULT;
    struct fkey key;
    long e = futex_key(k, a[0], private, &key);
    if (e) return e;
    if (v != (uint32_t)a[2]) return -EAGAIN;
    if (deadline && ktime_ns(k) >= deadline) return -ETIMEDOUT;
    t->futex.a = key.a;
    t->futex.b = key.b;
    t->futex.bitset = bitset;
    t->futex.waiting = true;
    t->futex.woken = false;
    t->block = BLK_FUTEX;
    k->block_now = true;
    k->block_restart = true;
    if (deadline) task_wait_until(k, deadline);
    return 0;
  }
  case FUTEX_WAKE: case FUTEX_WAKE_BITSET: {
    uint32_t bitset = op == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : (uint32_t)a[5];
    if (!bitset) return -EINVAL;
    struct fkey key;
    long e = futex_key(k, a[0], private, &key);
    if (e) return e;
    return wake_key(k, key, bitset, (int)(a[2] > 0x7fffffff ? 0x7fffffff : a[2]), NULL, 0);
  }
  case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: {
    struct fkey key, key2;
    long e = futex_key(k, a[0], private, &key);
    if (!e) e = futex_key(k, a[4], private, &key2);
    if (e) return e;
    if ((int)a[2] < 0 || (int)a[3] < 0) return -EINVAL;
    if (op == FUTEX_CMP_REQUEUE) {
      uint32_t v;
      if (copy_from_user(k, &v, a[0], 4)) return -EFAULT;
      if (v != (uint32_t)a[5]) return -EAGAIN;
    }
    return wake_key(k, key, FUTEX_BITSET_MATCH_ANY, (int)a[2], &key2, (int)a[3]);
  }
  default:
    return -ENOSYS;
  }
}
