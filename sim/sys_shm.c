/* System V shared memory (ipc/shm.c): shmget, shmat, shmdt, shmctl.
 * A segment is a shmem file of the page cache (no host file: its bytes
 * are its cached pages, as Linux's shmem), attached as a MAP_SHARED mapping of it,
 * so its pages are shared by every attach in every process, survive
 * detaching, and go with IPC_RMID once the last attach is gone.  Ids are
 * Linux's: slot + 32768 x sequence. */
#include "sim/kernel.h"
#include "sim/mm_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEQ_MULT SHM_IPCMNI   /* an id's slot part (ipcmni_seq_shift) */

struct shm_seg {
  bool used, removed, locked;       /* removed: IPC_RMID'd, waits for its last detach */
  int32_t key;
  uint64_t size;
  struct host_file *file;    /* its shmem file (the segment holds a reference) */
  uint64_t dev, ino;
  uint32_t mode, seq;
  int uid, gid, cuid, cgid, cpid, lpid;
  int64_t atime, dtime, ctime;
};

static struct shm_seg *seg_of(struct kernel *k, int id) {
  if (id < 0) return NULL;
  int slot = id % SEQ_MULT;
  if (slot >= k->nshm) return NULL;
  struct shm_seg *s = &k->shm[slot];
  return s->used && (uint32_t)(id / SEQ_MULT) == s->seq ? s : NULL;
}
static int id_of(struct kernel *k, const struct shm_seg *s) { return (int)(s - k->shm) + SEQ_MULT * (int)s->seq; }

/* attaches: the mappings of the segment's file in every live process */
static uint64_t nattch(struct kernel *k, const struct shm_seg *s) {
  uint64_t n = 0;
  struct mm *mms[256];
  int nmm = live_mms(k, mms, 256);
  for (int m = 0; m < nmm; m++) {
    struct mm *mm = mms[m];
    for (int i = 0; i < mm->nvmas; i++) {
      const struct vma *v = &mm->vmas[i];
      /* one attach may have been split into several VMAs: count starts */
      if (v->file && v->file->dev == s->dev && v->file->ino == s->ino && v->file_off == 0) n++;
    }
  }
  return n;
}

/* segments removed while attached go when no attach is left */
static void reap(struct kernel *k) {
  for (int i = 0; i < k->nshm; i++) {
    struct shm_seg *s = &k->shm[i];
    if (s->used && s->removed && !nattch(k, s)) {
      host_file_put(k, s->file);
      s->file = NULL;
      s->used = false;
    }
  }
}

/* ipcperms (ipc/util.c): the owner or creator bits for the caller's
 * euid, else the group bits for its groups, else the other bits; every
 * requested bit (rwx in 0007 form after the shift) must be granted unless
 * the caller has CAP_IPC_OWNER.  0 or -EACCES. */
static int ipcperms(struct kernel *k, const struct shm_seg *s, int flag) {
  int requested = flag & 0777, granted = (int)s->mode;
  if (k->euid == s->cuid || k->euid == s->uid) granted >>= 6;
  else if (cred_in_group(k, (uint32_t)s->cgid) || cred_in_group(k, (uint32_t)s->gid)) granted >>= 3;
  /* the requested bits appear in every class (S_IRUGO...), or as 0600 */
  requested = (requested | requested >> 3 | requested >> 6) & 7;
  if ((requested & ~granted & 7) && !capable(k, CAP_IPC_OWNER_)) return -EACCES;
  return 0;
}

/* ipcctl_obtain_check: IPC_SET and IPC_RMID by the owner or creator or
 * with CAP_SYS_ADMIN */
static bool ipc_owner(struct kernel *k, const struct shm_seg *s) {
  return k->euid == s->cuid || k->euid == s->uid || capable(k, CAP_SYS_ADMIN_);
}

static int64_t now_s(struct kernel *k) { return (int64_t)(ktime_ns(k) / 1000000000ull); }

static long sys_shmget(struct kernel *k, int32_t key, uint64_t size, int flg) {
  reap(k);
  if (key != IPC_PRIVATE) {
    for (int i = 0; i < k->nshm; i++) {
      struct shm_seg *s = &k->shm[i];
      if (!s->used || s->removed || s->key != key) continue;
      if ((flg & IPC_CREAT) && (flg & IPC_EXCL)) return -EEXIST;
      if (size > s->size) return -EINVAL;
      if (ipcperms(k, s, flg)) return -EACCES;     /* ipc_check_perms */
      return id_of(k, s);
    }
    if (!(flg & IPC_CREAT)) return -ENOENT;
  }
  /* newseg: the size against shmmax, then the pages against shmall
   * (every segment's pages count, removed ones still attached too),
   * then the file (a hugetlb one for SHM_HUGETLB), then ipc_addid: the
   * segments against shmmni */
  if (size < 1 || size > k->sysctl.shmmax) return -EINVAL;
  uint64_t numpages = (size + PAGE - 1) / PAGE, tot = 0;
  if (numpages * PAGE < size) return -ENOSPC;
  int in_use = 0;
  for (int i = 0; i < k->nshm; i++)
    if (k->shm[i].used) { tot += (k->shm[i].size + PAGE - 1) / PAGE; in_use++; }
  if (tot + numpages < tot || tot + numpages > k->sysctl.shmall) return -ENOSPC;
  int hlog = 0;
  if (flg & SHM_HUGETLB) {
    /* hugetlb_file_setup: a huge page size the kernel has (2M, 1G), then
     * can_do_hugetlb_shm (CAP_IPC_LOCK or vm.hugetlb_shm_group, 0); the
     * reservation of the whole segment below (ENOMEM) */
    hlog = (flg >> 26) & 0x3f;                /* SHM_HUGE_SHIFT, SHM_HUGE_MASK */
    if (hlog && hlog != 21 && hlog != 30) return -EINVAL;
    if (!hlog) hlog = 21;
    if (!capable(k, CAP_IPC_LOCK_) && !cred_in_group(k, 0)) return -EPERM;
  }
  if (size > INT64_MAX) return -EINVAL;     /* shmem_kernel_file_setup: past MAX_LFS_FILESIZE */
  if (in_use >= k->sysctl.shmmni) return -ENOSPC;
  /* ipc_idr_alloc (ipc/util.c): kernel.shm_next_id, when set, is taken
   * (it reads -1 again whatever follows): the new id has its sequence
   * part, and the first free slot from its slot part up (idr_alloc) */
  int next_id = k->sysctl.shm_next_id;
  k->sysctl.shm_next_id = -1;
  int from = next_id >= 0 ? next_id % SEQ_MULT : 0;
  int slot = -1;
  for (int i = from; i < k->nshm && slot < 0; i++) if (!k->shm[i].used) slot = i;
  if (slot < 0) {
    int want = from > k->nshm ? from : k->nshm;
    if (want >= SHM_IPCMNI) return -ENOSPC;
    if (want >= k->capshm) {
      int nc = k->capshm ? k->capshm : 16;
      while (nc <= want) nc *= 2;
      struct shm_seg *ns = realloc(k->shm, (size_t)nc * sizeof *ns);
      if (!ns) return -ENOMEM;
      k->shm = ns;
      k->capshm = nc;
    }
    /* slots skipped over are free and never used: their first use
     * makes sequence 0, as an appended slot's */
    for (int i = k->nshm; i <= want; i++) k->shm[i] = (struct shm_seg){.seq = UINT32_MAX};
    k->nshm = want + 1;
    slot = want;
  }
  char name[32];
  snprintf(name, sizeof name, "/SYSV%08x", (unsigned)key);
  uint64_t fsize = hlog ? (size + (1ull << hlog) - 1) & ~((1ull << hlog) - 1) : (size + PAGE - 1) & PAGE_MASK;
  struct host_file *hf = shmem_file_new(k, fsize, name);
  if (!hf) return -ENOMEM;
  hf->refs = 1;                    /* the segment's */
  if (hlog) {                      /* a hugetlb file, all its pages reserved (shared) */
    hf->huge_1g = hlog == 30;
    long r = hugetlb_reserve(k, hf, 0, fsize, true, (flg & SHM_NORESERVE) != 0);
    if (r) { host_file_put(k, hf); return r; }
  }
  struct shm_seg *s = &k->shm[slot];
  /* a reused slot: a new id; shm_next_id: its own */
  uint32_t seq = next_id >= 0 ? (uint32_t)(next_id / SEQ_MULT) : s->seq + 1;
  *s = (struct shm_seg){.used = true, .key = key, .size = size, .file = hf, .dev = hf->dev,
                        .ino = hf->ino, .mode = (uint32_t)flg & 0777, .seq = seq,
                        .uid = k->euid, .gid = k->egid, .cuid = k->euid, .cgid = k->egid, .cpid = k->pid,
                        .ctime = now_s(k)};
  return id_of(k, s);
}

static long sys_shmat(struct kernel *k, int id, uint64_t addr, int flg) {
  struct shm_seg *s = seg_of(k, id);
  if (!s) return -EINVAL;
  /* do_shmat: read, and write unless SHM_RDONLY, and exec for SHM_EXEC */
  int acc = 0444 | ((flg & SHM_RDONLY) ? 0 : 0222) | ((flg & SHM_EXEC) ? 0111 : 0);
  if (ipcperms(k, s, acc)) return -EACCES;
  struct mm *mm = k->mm;
  uint64_t len = s->file->huge ? s->file->size : (s->size + PAGE - 1) & PAGE_MASK;
  if (s->file->huge && addr && (addr & (HPAGE - 1)) && !(flg & SHM_RND)) return -EINVAL;   /* huge alignment */
  if (addr) {
    if (addr & (PAGE - 1)) {
      if (!(flg & SHM_RND)) return -EINVAL;
      addr &= PAGE_MASK;                        /* SHMLBA is a page on x86-64 */
      if (!addr && (flg & SHM_REMAP)) return -EINVAL;   /* do_shmat: no remap at 0 */
    }
    if (addr + len > TASK_SIZE || addr + len < addr) return -EINVAL;
    bool busy = false;
    for (int i = 0; i < mm->nvmas; i++) busy |= mm->vmas[i].start < addr + len && mm->vmas[i].end > addr;
    if (busy && !(flg & SHM_REMAP)) return -EINVAL;
    mm_unmap(k, mm, addr, addr + len);
  } else {
    if (flg & SHM_REMAP) return -EINVAL;
    addr = mm_find_free(mm, len + (s->file->huge ? HPAGE - PAGE : 0), 0);
    if (addr && s->file->huge) addr = (addr + HPAGE - PAGE) & ~(HPAGE - 1);
    if (!addr) return -ENOMEM;
  }
  if (mm->nvmas > k->sysctl.max_map_count) return -ENOMEM;   /* do_mmap's "too many mappings" */
  struct host_file *hf = s->file;
  uint32_t prot = PROT_READ | ((flg & SHM_RDONLY) ? 0 : PROT_WRITE) | ((flg & SHM_EXEC) ? PROT_EXEC : 0);
  struct vma v = {.start = addr, .end = addr + len, .prot = prot, .file = hf,
                  .flags = (hf->huge ? VM_HUGETLB : 0) | VM_SHARED | VM_READ | ((prot & PROT_WRITE) ? VM_WRITE : 0) | ((prot & PROT_EXEC) ? VM_EXEC : 0)};
  snprintf(v.name, sizeof v.name, "/SYSV%08x (deleted)", (unsigned)s->key);
  vma_insert(k, mm, &v);           /* it takes a reference to the segment's file */
  s->atime = now_s(k);
  s->lpid = k->pid;
  return (long)addr;
}

static long sys_shmdt(struct kernel *k, uint64_t addr) {
  if (addr & (PAGE - 1)) return -EINVAL;
  struct mm *mm = k->mm;
  struct vma *v = vma_find(mm, addr);
  if (!v || v->start != addr || !v->file || v->file_off) return -EINVAL;
  for (int i = 0; i < k->nshm; i++) {
    struct shm_seg *s = &k->shm[i];
    if (!s->used || v->file->dev != s->dev || v->file->ino != s->ino) continue;
    /* the whole attach: its VMAs from addr on that map this segment */
    uint64_t end = addr + (s->file->huge ? s->file->size : (s->size + PAGE - 1) & PAGE_MASK);
    mm_unmap(k, mm, addr, end);
    s->dtime = now_s(k);
    s->lpid = k->pid;
    reap(k);
    return 0;
  }
  return -EINVAL;
}

#define SHM_STAT_ANY_ 15

/* a segment's pages in the page cache (its resident set) */
static uint64_t resident_pages(struct kernel *k, const struct shm_seg *s) {
  struct host_file hf = {.dev = s->dev, .ino = s->ino};
  uint64_t n = 0, np = (s->size + PAGE - 1) / PAGE;
  for (uint64_t p = 0; p < np; p++) n += pc_lookup(k, &hf, p) ? 1 : 0;
  return n;
}

static long sys_shmctl(struct kernel *k, int id, int cmd, uint64_t ubuf) {
  cmd &= ~0x100;                   /* IPC_64: x86-64 has one layout */
  if (cmd == IPC_INFO || cmd == SHM_INFO) {
    /* shmctl_ipc_info: shmseg is shmmni too */
    struct shminfo si = {.shmmax = k->sysctl.shmmax, .shmmin = 1, .shmmni = (unsigned long)k->sysctl.shmmni,
                         .shmseg = (unsigned long)k->sysctl.shmmni, .shmall = k->sysctl.shmall};
    if (cmd == IPC_INFO && ubuf && copy_to_user(k, ubuf, &si, sizeof si)) return -EFAULT;
    if (cmd == SHM_INFO) {
      /* struct shm_info: segments in use, their pages, resident pages */
      struct { int32_t used_ids, pad; uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes; }
          in = {0, 0, 0, 0, 0, 0, 0};
      for (int i = 0; i < k->nshm; i++) {
        struct shm_seg *s = &k->shm[i];
        if (!s->used) continue;
        in.used_ids++;
        in.shm_tot += (s->size + PAGE - 1) / PAGE;
        in.shm_rss += resident_pages(k, s);
      }
      if (ubuf && copy_to_user(k, ubuf, &in, sizeof in)) return -EFAULT;
    }
    int top = 0;
    for (int i = 0; i < k->nshm; i++) if (k->shm[i].used) top = i;
    return top;
  }
  bool by_index = cmd == SHM_STAT || cmd == SHM_STAT_ANY_;
  struct shm_seg *s = by_index ? (id >= 0 && id < k->nshm && k->shm[id].used ? &k->shm[id] : NULL)
                               : seg_of(k, id);
  if (!s) return -EINVAL;
  switch (cmd) {
  case IPC_STAT: case SHM_STAT: case SHM_STAT_ANY_: {
    /* SHM_STAT_ANY: the same without the read permission check */
    if (cmd != SHM_STAT_ANY_ && ipcperms(k, s, 0444)) return -EACCES;
    struct shmid_ds d;
    memset(&d, 0, sizeof d);
    d.shm_perm.__key = s->removed ? IPC_PRIVATE : s->key;
    d.shm_perm.uid = (uid_t)s->uid; d.shm_perm.gid = (gid_t)s->gid;
    d.shm_perm.cuid = (uid_t)s->cuid; d.shm_perm.cgid = (gid_t)s->cgid;
    d.shm_perm.mode = s->mode | (s->removed ? 01000 /* SHM_DEST */ : 0) | (s->locked ? 02000 /* SHM_LOCKED */ : 0);
    d.shm_perm.__seq = (unsigned short)s->seq;
    d.shm_segsz = s->size;
    d.shm_atime = s->atime; d.shm_dtime = s->dtime; d.shm_ctime = s->ctime;
    d.shm_cpid = s->cpid; d.shm_lpid = s->lpid;
    d.shm_nattch = nattch(k, s);
    if (copy_to_user(k, ubuf, &d, sizeof d)) return -EFAULT;
    return by_index ? id_of(k, s) : 0;
  }
  case IPC_SET: {
    struct shmid_ds d;
    if (copy_from_user(k, &d, ubuf, sizeof d)) return -EFAULT;
    if (!ipc_owner(k, s)) return -EPERM;
    s->uid = (int)d.shm_perm.uid;
    s->gid = (int)d.shm_perm.gid;
    s->mode = d.shm_perm.mode & 0777;
    s->ctime = now_s(k);
    return 0;
  }
  case IPC_RMID:
    if (!ipc_owner(k, s)) return -EPERM;
    s->removed = true;             /* its key is free now; it goes with its last attach */
    s->ctime = now_s(k);
    reap(k);
    return 0;
  case SHM_LOCK: case SHM_UNLOCK:
    /* the pages stay resident either way (the model has no swap); the
     * flag is what IPC_STAT shows */
    if (!ipc_owner(k, s)) return -EPERM;
    s->locked = cmd == SHM_LOCK;
    return 0;
  default:
    return -EINVAL;
  }
}

long sys_shm(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_shmget: return sys_shmget(k, (int32_t)a[0], a[1], (int)a[2]);
  case SYS_shmat: return sys_shmat(k, (int)a[0], a[1], (int)a[2]);
  case SYS_shmdt: return sys_shmdt(k, a[0]);
  case SYS_shmctl: return sys_shmctl(k, (int)a[0], (int)a[1], a[2]);
  default:
    *handled = false;
    return -ENOSYS;
  }
}

/* /proc/sysvipc/shm as ipc/shm.c's sysvipc_shm_proc_show prints it; rss
 * is the segment's pages in the page cache (its shmem pages). */
char *shm_proc_text(struct kernel *k, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) { *len = 0; return NULL; }
  fprintf(f, "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid"
             "      atime      dtime      ctime                   rss                  swap\n");
  for (int i = 0; i < k->nshm; i++) {
    const struct shm_seg *s = &k->shm[i];
    if (!s->used) continue;
    uint64_t rss = resident_pages(k, s) * PAGE;
    fprintf(f, "%10d %10d  %4o %21llu %5u %5u  %5llu %5u %5u %5u %5u %10lld %10lld %10lld %21llu %21llu\n",
            s->removed ? 0 : s->key, id_of(k, s), s->mode | (s->removed ? 01000u : 0u),
            (unsigned long long)s->size, (unsigned)s->cpid, (unsigned)s->lpid,
            (unsigned long long)nattch(k, s), (unsigned)s->uid, (unsigned)s->gid, (unsigned)s->cuid,
            (unsigned)s->cgid, (long long)s->atime, (long long)s->dtime, (long long)s->ctime,
            (unsigned long long)rss, 0ull);
  }
  fclose(f);
  return buf;
}

void shm_cleanup(struct kernel *k) {
  for (int i = 0; i < k->nshm; i++) if (k->shm[i].used) host_file_put(k, k->shm[i].file);
  free(k->shm);
  k->shm = NULL;
  k->nshm = k->capshm = 0;
}
