/* futex(2) and futex_waitv(2): a waiter blocks (BLK_FUTEX) until a wake
 * on one of its futexes, its deadline, or a signal.
 *
 * The key follows Linux's get_futex_key: a word in a shared mapping
 * (MAP_SHARED file or anonymous memory, SysV shm) is named by the frame
 * holding it, so every process that maps the page meets at the same key;
 * a word in private memory, or any FUTEX_PRIVATE_FLAG futex, is named by
 * its address space and address (the threads of a process share it).
 * Waiters are woken in the order they began to wait (the futex hash
 * bucket's plist at one priority is FIFO).
 *
 * The PI operations keep Linux's user-space protocol (the word holds the
 * owner's tid, FUTEX_WAITERS, FUTEX_OWNER_DIED): UNLOCK_PI hands the lock
 * to the first waiter, as the rt_mutex does.  Priority inheritance itself
 * has no effect here: the model's scheduler has no priorities to boost.
 * WAIT_REQUEUE_PI / CMP_REQUEUE_PI are ENOSYS (glibc does not use them). */
#include "sim/kernel.h"
#include <errno.h>
#include <linux/futex.h>
#include <string.h>

#define TID_MASK 0x3fffffffu
#define WAITERS 0x80000000u
#define OWNER_DIED 0x40000000u
/* futex2 flags (include/uapi/linux/futex.h, newer than some build hosts' headers) */
#define FUTEX2_SIZE_U32_ 0x02u
#define FUTEX2_SIZE_MASK_ 0x03u
#define FUTEX2_PRIVATE_ 128u

static long futex_key(struct kernel *k, uint64_t uaddr, bool private, struct fkey *key) {
  if (uaddr & 3) return -EINVAL;
  struct vma *v = vma_find(k->mm, uaddr);
  if (!v) return -EFAULT;
  /* a shared futex: get_futex_key pins the page (get_user_pages_fast),
   * faulting it in; a page no access reaches (PROT_NONE, beyond a file's
   * end) is EFAULT */
  uint8_t *h;
  if (!private && user_xlate(k, uaddr, 4, false, &h)) return -EFAULT;
  if (private || !(v->flags & VM_SHARED)) {
    *key = (struct fkey){(uint64_t)(uintptr_t)k->mm, uaddr};
    return 0;
  }
  uint64_t frame = mm_user_frame(k, k->mm, uaddr);
  if (!frame) return -EFAULT;
  *key = (struct fkey){0, frame | (uaddr & (PAGE - 1))};
  return 0;
}

/* which of t's futexes (index) waits on key with a bit of bitset; -1 none */
static int waits_on(const struct task *t, struct fkey key, uint32_t bitset) {
  if (t->state != TS_BLOCKED || t->block != BLK_FUTEX || t->futex.woken) return -1;
  if (t->futex.nv) {
    for (int i = 0; i < t->futex.nv; i++)
      if (t->futex.v[i].a == key.a && t->futex.v[i].b == key.b) return i;
    return -1;
  }
  return t->futex.a == key.a && t->futex.b == key.b && (t->futex.bitset & bitset) ? 0 : -1;
}

/* the longest-waiting task on key */
static struct task *first_waiter(struct kernel *k, struct fkey key, uint32_t bitset) {
  struct task *best = NULL;
  for (struct task *t = k->tasks; t; t = t->next)
    if (waits_on(t, key, bitset) >= 0 && (!best || t->futex.seq < best->futex.seq)) best = t;
  return best;
}

static void wake(struct task *t, struct fkey key) {
  t->futex.woken_index = waits_on(t, key, FUTEX_BITSET_MATCH_ANY);   /* (before woken: it checks that) */
  t->futex.woken = true;
}

/* wake n waiters, then move up to nrequeue more to requeue_to */
static int wake_key(struct kernel *k, struct fkey key, uint32_t bitset, int n, struct fkey *requeue_to,
                    int nrequeue) {
  int done = 0;
  for (struct task *t; (t = first_waiter(k, key, bitset));) {
    if (n > 0) { wake(t, key); n--; }
    else if (requeue_to && nrequeue > 0) {
      t->futex.a = requeue_to->a;
      t->futex.b = requeue_to->b;
      t->futex.seq = ++k->futex_seq;       /* to the back of the new queue */
      nrequeue--;
    } else break;
    done++;
  }
  return done;
}

int futex_wake_addr(struct kernel *k, uint64_t uaddr, int n) {
  struct fkey key;
  /* (the kernel's put_user just reached the word: a private mapping's key
   * needs no pin; a shared one's is pinned as a shared futex's) */
  struct vma *v = k->mm ? vma_find(k->mm, uaddr) : NULL;
  if (!v || futex_key(k, uaddr, !(v->flags & VM_SHARED), &key)) return 0;
  return wake_key(k, key, FUTEX_BITSET_MATCH_ANY, n, NULL, 0);
}

/* a timeout as a deadline in guest time: relative (CLOCK_MONOTONIC), or
 * absolute on CLOCK_MONOTONIC or, with realtime, CLOCK_REALTIME */
static long futex_deadline(struct kernel *k, uint64_t uts, bool absolute, bool realtime, uint64_t *out) {
  struct { int64_t s, ns; } ts;
  if (copy_from_user(k, &ts, uts, sizeof ts)) return -EFAULT;
  if (ts.s < 0 || ts.ns < 0 || ts.ns >= 1000000000) return -EINVAL;
  uint64_t t = (uint64_t)ts.s * 1000000000ull + (uint64_t)ts.ns, now = ktime_ns(k);
  if (!absolute) { *out = now + t; return 0; }
  uint64_t clock_now = realtime ? krealtime_ns(k) : now - k->epoch_ns + 1000000000ull;
  *out = t > clock_now ? now + (t - clock_now) : now;
  return 0;
}

static void block_on(struct kernel *k, struct fkey key, uint64_t uaddr, uint32_t bitset, uint64_t deadline) {
  struct task *t = k->cur;
  t->futex.a = key.a;
  t->futex.b = key.b;
  t->futex.uaddr = uaddr;
  t->futex.bitset = bitset;
  t->futex.seq = ++k->futex_seq;
  t->futex.nv = 0;
  t->futex.waiting = true;
  t->futex.woken = false;
  t->block = BLK_FUTEX;
  k->block_now = true;
  k->block_restart = true;
  if (deadline) task_wait_until(k, deadline);
}

/* futex_atomic_op_inuser + the comparison (FUTEX_OP encoding) */
static long wake_op(struct kernel *k, const uint64_t a[6], bool private) {
  uint32_t enc = (uint32_t)a[5];
  int op = (int)(enc >> 28) & 7, cmp = (int)(enc >> 24) & 15;
  int32_t oparg = (int32_t)(enc << 8) >> 20, cmparg = (int32_t)(enc << 20) >> 20;
  if (enc & (8u << 28)) oparg = 1 << (oparg & 31);     /* FUTEX_OP_OPARG_SHIFT */
  if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE) return -ENOSYS;
  struct fkey k1, k2;
  long e = futex_key(k, a[0], private, &k1);
  if (!e) e = futex_key(k, a[4], private, &k2);
  if (e) return e;
  int32_t old;
  if (copy_from_user(k, &old, a[4], 4)) return -EFAULT;
  int32_t nv = op == FUTEX_OP_SET ? oparg : op == FUTEX_OP_ADD ? (int32_t)((uint32_t)old + (uint32_t)oparg)
             : op == FUTEX_OP_OR ? old | oparg : op == FUTEX_OP_ANDN ? old & ~oparg : old ^ oparg;
  if (copy_to_user(k, a[4], &nv, 4)) return -EFAULT;
  int n = wake_key(k, k1, FUTEX_BITSET_MATCH_ANY, (int)(a[2] & 0x7fffffff), NULL, 0);
  bool c = cmp == FUTEX_OP_CMP_EQ ? old == cmparg : cmp == FUTEX_OP_CMP_NE ? old != cmparg
         : cmp == FUTEX_OP_CMP_LT ? old < cmparg : cmp == FUTEX_OP_CMP_LE ? old <= cmparg
         : cmp == FUTEX_OP_CMP_GT ? old > cmparg : old >= cmparg;
  if (c) n += wake_key(k, k2, FUTEX_BITSET_MATCH_ANY, (int)(a[3] & 0x7fffffff), NULL, 0);
  return n;
}

/* is a thread with this id alive (the PI owner check) */
static bool tid_alive(struct kernel *k, int tid) {
  struct task *t = task_find_tid(k, pid_in(k, tid));   /* find_get_task_by_vpid */
  return t && t->state != TS_ZOMBIE;
}

/* FUTEX_LOCK_PI / LOCK_PI2 / TRYLOCK_PI (futex_lock_pi, futex_lock_pi_atomic):
 * a word with no owner tid is taken, keeping OWNER_DIED (a robust owner's
 * death left it: user space reports EOWNERDEAD from the bit); an owner
 * that does not exist is ESRCH; else the caller sets WAITERS and waits
 * until UNLOCK_PI hands the lock over. */
static long lock_pi(struct kernel *k, const uint64_t a[6], bool private, bool try, bool realtime) {
  struct task *t = k->cur;
  uint64_t deadline = task_wait_deadline(k);
  if (t->futex.waiting) {
    t->futex.waiting = false;
    if (t->futex.woken) return t->futex.pi_result;       /* handed over */
    if (deadline && ktime_ns(k) >= deadline) return -ETIMEDOUT;
  }
  struct fkey key;
  long e = futex_key(k, a[0], private, &key);
  if (e) return e;
  if (a[3] && !try && !deadline) {
    e = futex_deadline(k, a[3], true, realtime, &deadline);
    if (e) return e;
  }
  uint32_t v;
  if (copy_from_user(k, &v, a[0], 4)) return -EFAULT;
  uint32_t owner = v & TID_MASK;
  if (owner == (uint32_t)pid_vnr(k, k->tid)) return -EDEADLK;   /* task_pid_vnr */
  if (!owner) {
    /* take it; a waiter left behind keeps WAITERS set */
    bool others = first_waiter(k, key, FUTEX_BITSET_MATCH_ANY) != NULL;
    uint32_t nv = (uint32_t)pid_vnr(k, k->tid) | (others ? WAITERS : 0) | (v & OWNER_DIED);
    if (copy_to_user(k, a[0], &nv, 4)) return -EFAULT;
    return 0;
  }
  if (!tid_alive(k, (int)owner)) return -ESRCH;           /* attach_to_pi_owner: no such task */
  if (try) return -EAGAIN;
  if (deadline && ktime_ns(k) >= deadline) return -ETIMEDOUT;
  if (!(v & WAITERS)) {
    uint32_t nv = v | WAITERS;
    if (copy_to_user(k, a[0], &nv, 4)) return -EFAULT;
  }
  t->futex.pi_result = 0;
  block_on(k, key, a[0], FUTEX_BITSET_MATCH_ANY, deadline);
  return 0;
}

/* FUTEX_UNLOCK_PI: the caller must own the word; the first waiter gets
 * the lock (its tid, WAITERS if more wait), else the word becomes 0 */
static long unlock_pi(struct kernel *k, const uint64_t a[6], bool private) {
  struct fkey key;
  long e = futex_key(k, a[0], private, &key);
  if (e) return e;
  uint32_t v;
  if (copy_from_user(k, &v, a[0], 4)) return -EFAULT;
  if ((v & TID_MASK) != (uint32_t)pid_vnr(k, k->tid)) return -EPERM;
  struct task *w = first_waiter(k, key, FUTEX_BITSET_MATCH_ANY);
  uint32_t nv = 0;
  if (w) {
    wake(w, key);
    bool more = first_waiter(k, key, FUTEX_BITSET_MATCH_ANY) != NULL;
    nv = (uint32_t)pid_vnr(k, task_ctx_of(k, w)->tid) | (more ? WAITERS : 0);
    w->futex.pi_result = 0;
  }
  if (copy_to_user(k, a[0], &nv, 4)) return -EFAULT;
  return 0;
}

long sys_futex(struct kernel *k, const uint64_t a[6]) {
  struct task *t = k->cur;
  int op = (int)(a[1] & FUTEX_CMD_MASK);
  bool private = a[1] & FUTEX_PRIVATE_FLAG, realtime = a[1] & FUTEX_CLOCK_REALTIME;
  /* futex_cmd_has_timeout / FUTEX_CLOCK_REALTIME only where a clock is chosen */
  if (realtime && op != FUTEX_WAIT_BITSET && op != FUTEX_WAIT && op != FUTEX_LOCK_PI2 &&
      op != FUTEX_WAIT_REQUEUE_PI)
    return -ENOSYS;
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
    block_on(k, key, a[0], bitset, deadline);
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
  case FUTEX_WAKE_OP: return wake_op(k, a, private);
  /* LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on
   * CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME says otherwise */
  case FUTEX_LOCK_PI: return lock_pi(k, a, private, false, true);
  case FUTEX_LOCK_PI2: return lock_pi(k, a, private, false, realtime);
  case FUTEX_TRYLOCK_PI: return lock_pi(k, a, private, true, false);
  case FUTEX_UNLOCK_PI: return unlock_pi(k, a, private);
  default:
    return -ENOSYS;
  }
}

/* futex_waitv(2): wait on up to 128 32-bit futexes at once; the index of
 * the one woken.  waiters: {u64 val, u64 uaddr, u32 flags, u32 reserved}
 * with FUTEX2_SIZE_U32 (and FUTEX2_PRIVATE); the timeout is absolute on
 * clockid (CLOCK_MONOTONIC or CLOCK_REALTIME). */
#define FUTEX_WAITV_MAX 128
long sys_futex_waitv(struct kernel *k, const uint64_t a[6]) {
  struct task *t = k->cur;
  uint64_t deadline = task_wait_deadline(k);
  if (t->futex.waiting) {
    t->futex.waiting = false;
    t->futex.nv = 0;
    if (t->futex.woken) return t->futex.woken_index;
    if (deadline && ktime_ns(k) >= deadline) return -ETIMEDOUT;
  }
  if (a[2]) return -EINVAL;                                /* flags */
  if (!a[0] || !a[1] || a[1] > FUTEX_WAITV_MAX) return -EINVAL;
  if (a[3]) {
    if (a[4] != 0 /* CLOCK_REALTIME */ && a[4] != 1 /* CLOCK_MONOTONIC */) return -EINVAL;
    if (!deadline) {
      long e = futex_deadline(k, a[3], true, a[4] == 0, &deadline);
      if (e) return e;
    }
  }
  int n = (int)a[1];
  struct { uint64_t val, uaddr; uint32_t flags, reserved; } w[FUTEX_WAITV_MAX];
  if (copy_from_user(k, w, a[0], (size_t)n * sizeof w[0])) return -EFAULT;
  struct fkey keys[FUTEX_WAITV_MAX];
  for (int i = 0; i < n; i++) {
    /* futex_parse_waitv: only FUTEX2_SIZE_U32, optionally private */
    if ((w[i].flags & ~(FUTEX2_SIZE_MASK_ | FUTEX2_PRIVATE_)) || w[i].reserved ||
        (w[i].flags & FUTEX2_SIZE_MASK_) != FUTEX2_SIZE_U32_) return -EINVAL;
    long e = futex_key(k, w[i].uaddr, w[i].flags & FUTEX2_PRIVATE_, &keys[i]);
    if (e) return e;
  }
  for (int i = 0; i < n; i++) {
    uint32_t v;
    if (copy_from_user(k, &v, w[i].uaddr, 4)) return -EFAULT;
    if (v != (uint32_t)w[i].val) return -EAGAIN;
  }
  if (deadline && ktime_ns(k) >= deadline) return -ETIMEDOUT;
  block_on(k, keys[0], w[0].uaddr, FUTEX_BITSET_MATCH_ANY, deadline);
  memcpy(t->futex.v, keys, (size_t)n * sizeof keys[0]);
  t->futex.nv = n;
  return 0;
}
