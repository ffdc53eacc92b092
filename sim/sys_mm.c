/* Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync,
 * mincore, mlock family.  All VMAs; pages appear lazily by faults. */
#include "sim/kernel.h"
#include "sim/mm_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & PAGE_MASK; }
static void populate(struct kernel *k, uint64_t start, uint64_t end);

static uint32_t prot_to_vm(uint64_t prot) {
  return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
         ((prot & PROT_EXEC) ? VM_EXEC : 0);
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end) {
  for (int i = 0; i < mm->nvmas; i++)
    if (mm->vmas[i].start < end && mm->vmas[i].end > start) return false;
  return true;
}

static long sys_brk(struct kernel *k, uint64_t want) {
  struct mm *mm = k->mm;
  if (want < mm->brk_start) return (long)mm->brk;
  uint64_t old_end = page_up(mm->brk), new_end = page_up(want);
  if (new_end > old_end) {
    if (!range_free(mm, old_end, new_end) || new_end > mm->mmap_base - (128ull << 20) ||
        !vm_enough_memory(k, (new_end - old_end) / PAGE))
      return (long)mm->brk;
    struct vma *v = mm->brk > mm->brk_start ? vma_find(mm, old_end - 1) : NULL;
    if (v && !strcmp(v->name, "[heap]") && v->end == old_end) v->end = new_end;
    else {
      struct vma nv = {.start = old_end, .end = new_end, .flags = VM_READ | VM_WRITE | VM_ACCOUNT,
                       .prot = PROT_READ | PROT_WRITE};
      snprintf(nv.name, sizeof nv.name, "[heap]");
      vma_insert(k, mm, &nv);
    }
  } else if (new_end < old_end) {
    mm_unmap(k, mm, new_end, old_end);
  }
  mm->brk = want;
  return (long)want;
}

/* a memfd sealed against writes (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE): no
 * shared writable mapping (mm/memfd.c memfd_check_seals_mmap) */
bool memfd_write_sealed(int hostfd) {
  int seals = fcntl(hostfd, F_GET_SEALS);
  return seals > 0 && (seals & (F_SEAL_WRITE | 0x0010 /* F_SEAL_FUTURE_WRITE */));
}

/* Would [start, end) split a hugetlb mapping off a huge page boundary?
 * (hugetlb_vm_op_split: EINVAL) */
static bool huge_split(struct mm *mm, uint64_t start, uint64_t end) {
  const struct vma *v = vma_find(mm, start);
  if (v && (v->flags & VM_HUGETLB) && v->start < start && ((start - v->start) & (HPAGE - 1))) return true;
  v = vma_find(mm, end - 1);
  return v && (v->flags & VM_HUGETLB) && v->end > end && ((end - v->start) & (HPAGE - 1));
}

/* flags mmap accepts without complaint under MAP_SHARED_VALIDATE
 * (include/linux/mman.h LEGACY_MAP_MASK); others give EOPNOTSUPP */
#define LEGACY_MAP_MASK (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | \
                         MAP_EXECUTABLE | 0x4000000 /* MAP_UNINITIALIZED */ | MAP_GROWSDOWN | MAP_LOCKED |    \
                         MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | \
                         MAP_32BIT | MAP_FIXED_NOREPLACE | (0x3fu << 26) /* MAP_HUGE_MASK */)

/* /dev/zero maps as anonymous memory (drivers/char/mem.c mmap_zero) */
static bool is_dev_zero(struct kernel *k, int64_t fd) {
  struct stat st;
  return fd >= 0 && fd < fds_cap(k->files) && k->fds[fd].kind == FDK_HOST && !fstat(k->fds[fd].hostfd, &st) &&
         S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5);
}

static long sys_mmap(struct kernel *k, uint64_t addr, uint64_t len, uint64_t prot,
                     uint64_t flags, int64_t fd, uint64_t off) {
  struct mm *mm = k->mm;
  uint64_t type = flags & 0xf;
  /* Linux's order: the offset (arch sys_mmap), the fd (ksys_mmap_pgoff),
   * then do_mmap's checks */
  if (off & (PAGE - 1)) return -EINVAL;
  bool anon = flags & MAP_ANONYMOUS;
  if (!anon && (fd < 0 || fd >= fds_cap(k->files) || k->fds[fd].kind == FDK_NONE || (k->fds[fd].flags & O_PATH)))
    return -EBADF;
  if (!len) return -EINVAL;
  if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE) return -EINVAL;
  if (type == MAP_SHARED_VALIDATE && (flags & ~(uint64_t)LEGACY_MAP_MASK)) return -EOPNOTSUPP;
  /* hugetlb (ksys_mmap_pgoff): the length of a hugetlb file's or a
   * MAP_HUGETLB mapping is rounded up to the huge page; MAP_HUGETLB of
   * another file, or of a size other than 2M or 1G, is EINVAL; a hugetlb
   * file's offset must be huge-page aligned (hugetlbfs_file_mmap), and so
   * must a MAP_FIXED address (prepare_hugepage_range) */
  int hlog = 0;
  if (anon && (flags & MAP_HUGETLB)) {
    hlog = (int)((flags >> 26) & 0x3f);
    if (!hlog) hlog = 21;
    if (hlog != 21 && hlog != 30) return -EINVAL;
  } else if (!anon && k->fds[fd].kind == FDK_HOST) {
    struct stat st;
    if (k->hp.nmemfd && !fstat(k->fds[fd].hostfd, &st)) hlog = hugetlb_memfd(k, st.st_dev, st.st_ino);
  }
  if (!anon && !hlog && (flags & MAP_HUGETLB)) return -EINVAL;
  uint64_t hsz = hlog ? 1ull << hlog : PAGE;
  if (hlog) len = (len + hsz - 1) & ~(hsz - 1);
  if (hlog && !anon && (off & (hsz - 1))) return -EINVAL;
  if (hlog && (flags & MAP_FIXED) && (addr & (hsz - 1))) return -EINVAL;
  uint64_t plen = page_up(len);
  if (plen < len || plen > TASK_SIZE) return -ENOMEM;
  if (mm->nvmas > k->sysctl.max_map_count) return -ENOMEM;   /* do_mmap: "too many mappings" */
  const char *zero_name = NULL;
  if (!anon && !hlog && is_dev_zero(k, fd)) {
    int acc = k->fds[fd].flags & O_ACCMODE;
    if (acc == O_WRONLY || (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)) return -EACCES;
    anon = true;
    zero_name = "/dev/zero";
  }
  struct host_file *hf = NULL;
  long err = 0;
  if (!anon) {
    int acc = k->fds[fd].flags & O_ACCMODE;
    if (acc == O_WRONLY) return -EACCES;
    if (type != MAP_PRIVATE && (prot & PROT_WRITE)) {
      if (k->read_only) return -EROFS;
      if (acc != O_RDWR) return -EACCES;
      if (memfd_write_sealed(k->fds[fd].hostfd)) return -EPERM;
    }
    hf = host_file_of(k, (int)fd, &err);
    if (!hf) return err;
  } else if (hlog) {
    /* an anonymous hugetlb mapping is a file of its own (hugetlb_file_setup) */
    hf = shmem_file_new(k, plen, "/anon_hugepage (deleted)");
    if (!hf) return -ENOMEM;
    off = 0;
  } else if (type != MAP_PRIVATE) {
    /* shared anonymous memory is a shmem file (mm/shmem.c shmem_zero_setup):
     * a file of the page cache with no host file behind it, so every
     * sharer and every fault sees one set of pages, MADV_DONTNEED keeps
     * them, MADV_REMOVE frees them, and no host descriptor is held */
    hf = shmem_file_new(k, plen, "/dev/zero (deleted)");
    if (!hf) return -ENOMEM;
    off = 0;
  }
  if (hf) hf->refs++;                /* ours until the VMA holds it (error paths put it) */
  if (hlog) {
    hf->huge_1g = hlog == 30;
    /* hugetlbfs_file_mmap: the file grows to cover the mapping */
    if (!anon && host_file_size(hf) < off + plen && ftruncate(hf->fd, (off_t)(off + plen))) {
      host_file_put(k, hf);
      return -ENOMEM;
    }
  }
  /* accountable_mapping: private writable memory is charged (mmap_region) */
  bool account = type == MAP_PRIVATE && (prot & PROT_WRITE) && !(flags & MAP_NORESERVE) && !hlog;
  if (account && !vm_enough_memory(k, plen / PAGE)) { host_file_put(k, hf); return -ENOMEM; }
  uint64_t start;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr & (PAGE - 1)) { host_file_put(k, hf); return -EINVAL; }
    if (addr + plen > TASK_SIZE || addr + plen < addr) { host_file_put(k, hf); return -ENOMEM; }
    if ((flags & MAP_FIXED_NOREPLACE) && !range_free(mm, addr, addr + plen)) {
      host_file_put(k, hf);
      return -EEXIST;
    }
    mm_unmap(k, mm, addr, addr + plen);
    start = addr;
  } else if (hlog) {
    /* hugetlb_get_unmapped_area: the highest huge-page-aligned place */
    uint64_t s0 = mm_find_free(mm, plen + hsz - PAGE, addr & ~(hsz - 1));
    start = s0 ? (s0 + hsz - PAGE) & ~(hsz - 1) : 0;
    if (start && addr && !(addr & (hsz - 1)) && start != addr && range_free(mm, addr, addr + plen)) start = addr;
    if (!start) { host_file_put(k, hf); return -ENOMEM; }
  } else {
    start = mm_find_free(mm, plen, addr);
    if (!start) { host_file_put(k, hf); return -ENOMEM; }
  }
  if (hlog) {
    /* hugetlbfs_file_mmap's reservation, after MAP_FIXED's unmap (mmap_region) */
    long r = hugetlb_reserve(k, hf, off, plen, type != MAP_PRIVATE, flags & MAP_NORESERVE);
    if (r) { host_file_put(k, hf); return r; }
  }
  struct vma v = {.start = start, .end = start + plen, .flags = prot_to_vm(prot),
                  .prot = (uint32_t)prot, .file = hf, .file_off = off};
  if (type != MAP_PRIVATE) v.flags |= VM_SHARED;
  if (hlog) v.flags |= VM_HUGETLB;
  if (type != MAP_PRIVATE && !(flags & MAP_ANONYMOUS) && (k->fds[fd].flags & O_ACCMODE) != O_RDWR)
    v.flags |= VM_NOMAYWRITE;         /* a file's (or /dev/zero's) descriptor not open for writing */
  if (flags & MAP_GROWSDOWN) v.flags |= VM_GROWSDOWN;
  if (hf) snprintf(v.name, sizeof v.name, "%s", hf->path);
  else if (zero_name) snprintf(v.name, sizeof v.name, "%s", zero_name);
  v.flags |= mm->def_flags;         /* mlockall(MCL_FUTURE) */
  if (flags & MAP_LOCKED) v.flags = (v.flags | VM_LOCKED) & ~VM_LOCKONFAULT;
  if (account) v.flags |= VM_ACCOUNT;
  if (flags & MAP_NORESERVE) v.flags |= VM_NORESERVE;
  vma_insert(k, mm, &v);
  vma_merge_range(k, mm, start, start + plen);
  host_file_put(k, hf);
  /* MAP_POPULATE and locked mappings fault their pages in now (mm_populate) */
  if ((v.flags & VM_LOCKED) ? !(v.flags & VM_LOCKONFAULT)
                            : (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE)
    populate(k, start, start + plen);
  return (long)start;
}

static long sys_mremap(struct kernel *k, uint64_t old, uint64_t osz, uint64_t nsz,
                       uint64_t flags, uint64_t naddr) {
  struct mm *mm = k->mm;
  if (old & (PAGE - 1)) return -EINVAL;
  if (flags & ~7ull) return -EINVAL;
  osz = page_up(osz);
  nsz = page_up(nsz);
  if (!nsz) return -EINVAL;
  if (flags & 2) {   /* mremap_to's checks come before the old range is looked at */
    if (naddr & (PAGE - 1)) return -EINVAL;
    if (nsz > TASK_SIZE || naddr > TASK_SIZE - nsz) return -EINVAL;
    if (old < naddr + nsz && naddr < old + osz) return -EINVAL;   /* overlapping */
  }
  struct vma *v = vma_find(mm, old);
  if (v && (v->flags & VM_HUGETLB)) {
    /* do_mremap: huge-page lengths and addresses, and no growing (the
     * reservation cannot follow) */
    osz = (osz + HPAGE - 1) & ~(HPAGE - 1);
    nsz = (nsz + HPAGE - 1) & ~(HPAGE - 1);
    if ((old & (HPAGE - 1)) || ((flags & 2) && (naddr & (HPAGE - 1))) || nsz > osz) return -EINVAL;
  }
  if (!v || old + osz > v->end) return -EFAULT;
  if ((flags & 2) && !(flags & 1)) return -EINVAL;
  /* MREMAP_DONTUNMAP (4): move the pages, keep the old range mapped and
   * empty; only with MAYMOVE, same size, private anonymous (mm/mremap.c) */
  bool dontunmap = flags & 4;
  if (dontunmap && (!(flags & 1) || osz != nsz || v->file || (v->flags & VM_SHARED))) return -EINVAL;
  if ((v->flags & VM_ACCOUNT) && nsz > osz && !vm_enough_memory(k, (nsz - osz) / PAGE)) return -ENOMEM;
  if (!(flags & 2) && !dontunmap) {
    if (nsz <= osz) {
      if (nsz < osz) mm_unmap(k, mm, old + nsz, old + osz);
      return (long)old;
    }
    if (v->end == old + osz && range_free(mm, old + osz, old + nsz) && old + nsz <= TASK_SIZE) {
      v->end = old + nsz;
      return (long)old;
    }
    if (!(flags & 1)) return -ENOMEM;
  }
  /* map slots for the move (vm.max_map_count): mremap_to's, then
   * move_vma's (mm/mremap.c) */
  int maxc = k->sysctl.max_map_count;
  if ((flags & 2) && mm->nvmas + 2 >= maxc - 3) return -ENOMEM;
  uint64_t dst;
  if (flags & 2) {
    mm_unmap(k, mm, naddr, naddr + nsz);
    dst = naddr;
  } else {
    dst = mm_find_free(mm, nsz, 0);
    if (!dst) return -ENOMEM;
  }
  /* re-find: mm_unmap may have shifted the array */
  v = vma_find(mm, old);
  if (!v) return -EFAULT;
  if (mm->nvmas >= maxc - 3) return -ENOMEM;
  struct vma nv = *v;
  if (nv.file) nv.file_off += old - v->start;
  nv.start = dst;
  nv.end = dst + nsz;
  uint64_t mv = osz < nsz ? osz : nsz;
  vma_insert(k, mm, &nv);
  mm_move_pages(k, mm, old, dst, mv);
  if (!dontunmap) mm_unmap(k, mm, old, old + osz);
  return (long)dst;
}

/* madvise (mm/madvise.c): the advice changes what Linux changes, page
 * contents included: DONTNEED/FREE zap (a private anonymous page reads
 * zero after, a private file page the file's data, a shared one keeps its
 * data in the page cache), REMOVE frees a shared mapping's backing (reads
 * zero), DONTFORK/WIPEONFORK decide what a fork's child gets,
 * DONTDUMP/DODUMP what a core dump holds (coredump.c); the rest
 * change nothing the model keeps.  ENOMEM when part of the range is not
 * mapped (after advising the mapped part), EINVAL for unknown advice. */
static long sys_madvise(struct kernel *k, uint64_t start, uint64_t len, int adv) {
  struct mm *mm = k->mm;
  uint64_t end = start + len;
  if (end < start) return -EINVAL;
  switch (adv) {
  case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
  case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK: case MADV_DOFORK:
  case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
  case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
  case MADV_COLD: case MADV_PAGEOUT: case 22 /* POPULATE_READ */: case 23 /* POPULATE_WRITE */:
  case 25 /* COLLAPSE */:
    break;
  default:
    return -EINVAL;
  }
  if (!len) return 0;
  bool flagged = adv == MADV_DONTFORK || adv == MADV_DOFORK || adv == MADV_WIPEONFORK ||
                 adv == MADV_KEEPONFORK || adv == MADV_HUGEPAGE || adv == MADV_NOHUGEPAGE ||
                 adv == MADV_DONTDUMP || adv == MADV_DODUMP;
  if (flagged) { vma_split_at(k, mm, start); vma_split_at(k, mm, end); }
  long ret = 0;
  for (uint64_t va = start; va < end;) {
    struct vma *v = vma_find(mm, va);
    if (!v) {
      ret = -ENOMEM;
      struct vma *n = vma_next(mm, va);
      if (!n || n->start >= end) break;
      va = n->start;
      continue;
    }
    uint64_t e = v->end < end ? v->end : end;
    if ((adv == MADV_DONTNEED || adv == MADV_FREE || adv == MADV_REMOVE) && (v->flags & VM_LOCKED))
      return -EINVAL;                 /* madvise_dontneed_free_valid_vma, madvise_remove */
    switch (adv) {
    case MADV_DONTNEED: case MADV_FREE:
      mm_drop_pages(k, mm, va, e);
      break;
    case MADV_REMOVE:
      if (!(v->flags & VM_SHARED) || !v->file) return -EINVAL;
      if (!(v->flags & VM_WRITE)) return -EACCES;
      {
        uint64_t off = v->file_off + (va - v->start);
        mm_drop_pages(k, mm, va, e);
        if (v->file->shmem) {         /* shmem_fallocate's hole punch: the pages go */
          pc_punch(k, v->file->dev, v->file->ino, off / PAGE, (off + (e - va)) / PAGE);
          break;
        }
        if (fallocate(v->file->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)(e - va)))
          return -errno;
        pc_refresh(k, v->file->dev, v->file->ino, v->file->fd, off / PAGE, (off + (e - va)) / PAGE);
      }
      break;
    case MADV_WIPEONFORK:
      if ((v->flags & VM_SHARED) || v->file) return -EINVAL;   /* private anonymous only */
      v->flags |= VM_WIPEONFORK;
      break;
    case MADV_KEEPONFORK: v->flags &= ~VM_WIPEONFORK; break;
    case MADV_DONTFORK: v->flags |= VM_DONTCOPY; break;
    case MADV_DOFORK: v->flags &= ~VM_DONTCOPY; break;
    case MADV_HUGEPAGE: v->flags = (v->flags | VM_HUGEPAGE) & ~VM_NOHUGEPAGE; break;
    case MADV_NOHUGEPAGE: v->flags = (v->flags | VM_NOHUGEPAGE) & ~VM_HUGEPAGE; break;
    case MADV_DONTDUMP: v->flags |= VM_DONTDUMP; break;      /* out of core dumps */
    case MADV_DODUMP: v->flags &= ~VM_DONTDUMP; break;
    default: break;
    }
    va = e;
  }
  return ret;
}

/* mlock and friends (mm/mlock.c): locked VMAs are populated at once
 * (write faults for private writable memory, so COW is broken as Linux's
 * populate does; reads otherwise; nothing for PROT_NONE) and their sizes
 * are VmLck.  MLOCK_ONFAULT / MCL_ONFAULT lock without populating.  (No
 * RLIMIT_MEMLOCK: the model has no memory pressure to refuse.) */
static void populate(struct kernel *k, uint64_t start, uint64_t end) {
  for (uint64_t va = start; va < end;) {
    struct vma *v = vma_find(k->mm, va);
    if (!v) break;
    uint64_t e = v->end < end ? v->end : end;
    bool w = (v->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
    if (v->flags & (VM_READ | VM_WRITE | VM_EXEC))
      for (uint64_t p = va; p < e; p += PAGE)
        if (user_fault_in(k, p, w)) break;
    va = e;
  }
}

static long mlock_range(struct kernel *k, uint64_t start, uint64_t end, uint32_t set, uint32_t clr, bool fill) {
  struct mm *mm = k->mm;
  if (vma_isolate(k, mm, start, end)) return -ENOMEM;
  for (int i = 0; i < mm->nvmas; i++) {
    struct vma *v = &mm->vmas[i];
    if (v->start >= start && v->end <= end) v->flags = (v->flags | set) & ~clr;
  }
  if (fill) populate(k, start, end);
  return 0;
}

static long sys_mlock(struct kernel *k, int nr, const uint64_t a[6]) {
  struct mm *mm = k->mm;
  uint64_t start = a[0] & PAGE_MASK, end = page_up(a[0] + a[1]);
  switch (nr) {
  case SYS_mlock: return end < start ? -ENOMEM : mlock_range(k, start, end, VM_LOCKED, 0, true);
  case SYS_mlock2:
    if (a[2] & ~1ull) return -EINVAL;
    if (end < start) return -ENOMEM;
    return a[2] ? mlock_range(k, start, end, VM_LOCKED | VM_LOCKONFAULT, 0, false)
                : mlock_range(k, start, end, VM_LOCKED, VM_LOCKONFAULT, true);
  case SYS_munlock: return end < start ? -ENOMEM : mlock_range(k, start, end, 0, VM_LOCKED | VM_LOCKONFAULT, false);
  case SYS_mlockall: {
    uint64_t f = a[0];
    if (!f || (f & ~7ull) || f == 4) return -EINVAL;   /* MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4 */
    uint32_t lk = VM_LOCKED | ((f & 4) ? VM_LOCKONFAULT : 0);
    mm->def_flags = (f & 2) ? lk : 0;
    if (f & 1)
      for (int i = 0; i < mm->nvmas; i++) {
        mm->vmas[i].flags |= lk;
        if (!(f & 4)) populate(k, mm->vmas[i].start, mm->vmas[i].end);
      }
    return 0;
  }
  default: /* munlockall */
    mm->def_flags = 0;
    for (int i = 0; i < mm->nvmas; i++) mm->vmas[i].flags &= ~(VM_LOCKED | VM_LOCKONFAULT);
    return 0;
  }
}

/* VmLck: the size of the locked mappings */
uint64_t mm_locked_bytes(const struct mm *mm) {
  uint64_t n = 0;
  for (int i = 0; i < mm->nvmas; i++)
    if (mm->vmas[i].flags & VM_LOCKED) n += mm->vmas[i].end - mm->vmas[i].start;
  return n;
}

/* remap_file_pages (mm/mmap.c): deprecated, and emulated by Linux as a
 * new MAP_FIXED shared mapping of the same file at the new offset; prot
 * must be 0, the range inside one shared file mapping. */
static long sys_remap_file_pages(struct kernel *k, uint64_t start, uint64_t size, uint64_t prot,
                                 uint64_t pgoff, uint64_t flags) {
  struct mm *mm = k->mm;
  start &= PAGE_MASK;
  size &= PAGE_MASK;
  if (prot || (flags & ~(uint64_t)MAP_NONBLOCK) || !size || start + size < start) return -EINVAL;
  struct vma *v = vma_find(mm, start);
  if (!v || !v->file || !(v->flags & VM_SHARED) || start + size > v->end) return -EINVAL;
  struct host_file *hf = v->file;     /* the same file object: held across the unmap */
  hf->refs++;
  struct vma nv = *v;
  nv.start = start;
  nv.end = start + size;
  nv.file = hf;
  nv.file_off = pgoff * PAGE;
  nv.file_end = 0;
  mm_unmap(k, mm, start, start + size);
  vma_insert(k, mm, &nv);
  host_file_put(k, hf);
  return 0;
}

long sys_mm(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  struct mm *mm = k->mm;
  switch (nr) {
  case SYS_brk: return sys_brk(k, a[0]);
  case SYS_mmap: return sys_mmap(k, a[0], a[1], a[2], a[3], (int64_t)(int32_t)a[4], a[5]);
  case SYS_munmap: {
    if ((a[0] & (PAGE - 1)) || !a[1] || a[0] + a[1] > TASK_SIZE) return -EINVAL;
    if (huge_split(mm, a[0], a[0] + page_up(a[1]))) return -EINVAL;
    /* splitting one mapping in two needs a map slot (do_vmi_align_munmap) */
    struct vma *v = vma_find(mm, a[0]);
    uint64_t e = a[0] + page_up(a[1]);
    if (v && v->start < a[0] && v->end > e && mm->nvmas >= k->sysctl.max_map_count) return -ENOMEM;
  }
    mm_unmap(k, mm, a[0], a[0] + page_up(a[1]));
    return 0;
  case SYS_mprotect:
    if (a[0] & (PAGE - 1)) return -EINVAL;
    if (!a[1]) return 0;
    if (huge_split(mm, a[0], a[0] + page_up(a[1]))) return -EINVAL;
    if (a[2] & PROT_WRITE)            /* a write-sealed memfd has no VM_MAYWRITE */
      for (uint64_t va = a[0]; va < a[0] + page_up(a[1]);) {
        struct vma *v = vma_find(mm, va);
        if (!v) break;
        if ((v->flags & VM_SHARED) && v->file && memfd_write_sealed(v->file->fd)) return -EACCES;
        if (v->flags & VM_NOMAYWRITE) return -EACCES;    /* mprotect_fixup: !VM_MAYWRITE */
        va = v->end;
      }
    return mm_protect(k, mm, a[0], a[0] + page_up(a[1]), (uint32_t)a[2]);
  case SYS_mremap: return sys_mremap(k, a[0], a[1], a[2], a[3], a[4]);
  case SYS_remap_file_pages: return sys_remap_file_pages(k, a[0], a[1], a[2], a[3], a[4]);
  case SYS_madvise:
    if (a[0] & (PAGE - 1)) return -EINVAL;
    return sys_madvise(k, a[0], page_up(a[1]), (int)a[2]);
  case SYS_msync: {
    /* mm/msync.c: flags and range checked; MS_SYNC writes the shared
     * file pages of the range back and waits (a charged step); MS_ASYNC
     * starts nothing Linux would wait for; MS_INVALIDATE is a no-op for a
     * coherent page cache */
    uint64_t fl = a[2], len = page_up(a[1]);
    if ((a[0] & (PAGE - 1)) || (fl & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((fl & MS_ASYNC) && (fl & MS_SYNC)))
      return -EINVAL;
    if (a[0] + len < a[0]) return -ENOMEM;
    long err = 0;
    uint64_t pages = 0;
    for (uint64_t va = a[0]; va < a[0] + len;) {
      struct vma *v = vma_find(mm, va);
      if (!v) { err = -ENOMEM; struct vma *n = vma_next(mm, va); if (!n) break; va = n->start; continue; }
      uint64_t end = v->end < a[0] + len ? v->end : a[0] + len;
      if ((fl & MS_INVALIDATE) && (v->flags & VM_LOCKED)) return -EBUSY;
      if ((fl & MS_SYNC) && v->file && (v->flags & VM_SHARED)) {
        uint64_t lo = (v->file_off + (va - v->start)) / PAGE, hi = (v->file_off + (end - v->start)) / PAGE;
        pages += pc_writeback(k, v->file->dev, v->file->ino, lo, hi);
      }
      va = end;
    }
    pc_charge_writeback(k, pages);
    return err;
  }
  case SYS_mincore: {
    /* Linux: EINVAL for an unaligned start, ENOMEM when part of the range
     * is not mapped (mm/mincore.c) */
    if (a[0] & (PAGE - 1)) return -EINVAL;
    if (a[0] + page_up(a[1]) < a[0] || a[0] + page_up(a[1]) > TASK_SIZE) return -ENOMEM;
    for (uint64_t va = a[0]; va < a[0] + page_up(a[1]);) {
      struct vma *v = vma_find(mm, va);
      if (!v) return -ENOMEM;
      va = v->end;
    }
    uint64_t n = page_up(a[1]) / PAGE;
    for (uint64_t i = 0; i < n; i++) {
      /* mincore_page: a file mapping's page counts when it is in the page
       * cache, whoever mapped it; anonymous memory when it is present */
      uint64_t va = a[0] + i * PAGE;
      struct vma *v = vma_find(mm, va);
      bool in = mm_page_present(k, mm, va);
      if (!in && v && v->file && !v->file_end) in = pc_lookup(k, v->file, (v->file_off + (va - v->start)) / PAGE) != 0;
      uint8_t one = in ? 1 : 0;
      if (copy_to_user(k, a[2] + i, &one, 1)) return -EFAULT;
    }
    return 0;
  }
  case SYS_mlock: case SYS_munlock: case SYS_mlockall: case SYS_munlockall:
  case SYS_mlock2:
    return sys_mlock(k, nr, a);
  default:
    *handled = false;
    return -ENOSYS;
  }
}
