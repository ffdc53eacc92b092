/* The modelled kernel's build configuration: one table of CONFIG_
 * options, each set (y) where the model implements the feature and "is
 * not set" where it does not, with the reason.  It renders the .config
 * text, /proc/config.gz (CONFIG_IKCONFIG_PROC; gzip by zlib) and the
 * docs table (kconfig_markdown).  Tools such as LTP's tst_kconfig read
 * it to skip what the kernel lacks, so an option is set only for a
 * feature the model really has. */
#include "sim/kernel.h"
#include <stdlib.h>
#include <string.h>
#ifdef FAULTLINE_HAVE_ZLIB
#include <zlib.h>
#endif

struct kconfig {
  const char *name;          /* without CONFIG_ */
  bool set;                  /* =y, else "# CONFIG_... is not set" */
  const char *why;           /* what the model has, or lacks */
};

static const struct kconfig kconfigs[] = {
  {"64BIT", true, "x86-64 guests only"},
  {"X86_64", true, "x86-64 guests only"},
  {"MMU", true, "4- and 5-level page tables in modelled memory"},
  {"SMP", true, "an SMP kernel (uname says so): one vCPU, or --cpus N"},
  {"PAGE_TABLE_ISOLATION", true, "KPTI, enabled by guest.kpti"},
  {"TRANSPARENT_HUGEPAGE", true, "2M THP faults (guest.thp)"},
  {"HUGETLBFS", true, "a pool of 2M pages (vm.nr_hugepages, nr_overcommit_hugepages): MAP_HUGETLB, MFD_HUGETLB, "
                     "SHM_HUGETLB, 2M leaves (no hugetlbfs mounts; 1G pages: a size with an empty pool)"},
  {"HUGETLB_PAGE", true, "as HUGETLBFS"},
  {"SWAP", false, "no swap device: reclaim drops clean page-cache pages, then the OOM kill"},
  {"KSM", false, "no page merging"},
  {"NUMA", false, "one memory node"},
  {"USERFAULTFD", true, "userfaultfd(2) and /dev/userfaultfd: missing and write-protect modes on anonymous memory (docs/threads.md)"},
  {"HAVE_ARCH_USERFAULTFD_WP", true, "UFFDIO_REGISTER_MODE_WP and UFFDIO_WRITEPROTECT on anonymous memory"},
  {"SECRETMEM", false, "no memfd_secret"},
  {"MEMFD_CREATE", true, "memfd_create with seals"},
  {"SHMEM", true, "shared anonymous memory and memfds are page-cache files"},
  {"SYSVIPC", true, "System V shared memory (message queues and semaphores are ENOSYS)"},
  {"POSIX_MQUEUE", false, "no POSIX message queues"},
  {"CROSS_MEMORY_ATTACH", true, "process_vm_readv/writev"},
  {"ADVISE_SYSCALLS", true, "madvise, fadvise64"},
  {"FUTEX", true, "futex between processes"},
  {"EVENTFD", true, "eventfd"},
  {"EPOLL", true, "epoll: the host's instance watching the guest's host-backed descriptors"},
  {"SIGNALFD", false, "no signalfd"},
  {"TIMERFD", false, "no timerfd"},
  {"AIO", false, "no io_setup"},
  {"IO_URING", false, "no io_uring"},
  {"FILE_LOCKING", true, "flock and fcntl locks (the host's)"},
  {"INOTIFY_USER", false, "no inotify"},
  {"FANOTIFY", false, "no fanotify"},
  {"FHANDLE", false, "no name_to_handle_at"},
  {"MULTIUSER", true, "per-process credentials"},
  {"BINFMT_ELF", true, "static and dynamic ELF"},
  {"BINFMT_SCRIPT", true, "#! scripts"},
  {"COREDUMP", true, "ELF core files (core_pattern, coredump_filter, MADV_DONTDUMP)"},
  {"ELF_CORE", true, "as COREDUMP"},
  {"PROC_PAGE_MONITOR", true, "/proc/<pid>/pagemap, smaps"},
  {"PROC_FS", true, "the model's /proc"},
  {"PROC_SYSCTL", true, "/proc/sys (docs/kernel-config.md)"},
  {"IKCONFIG", true, "this table"},
  {"IKCONFIG_PROC", true, "/proc/config.gz"},
  {"NAMESPACES", true, "user, pid and network namespaces (clone, clone3, unshare, setns; /proc/<pid>/ns)"},
  {"UTS_NS", false, "no UTS namespaces: CLONE_NEWUTS is EINVAL (EPERM without CAP_SYS_ADMIN)"},
  {"IPC_NS", false, "no IPC namespaces: CLONE_NEWIPC is EINVAL (EPERM without CAP_SYS_ADMIN)"},
  {"USER_NS", true, "user namespaces: uid_map, gid_map, setgroups; ids and capabilities as each namespace sees them"},
  {"PID_NS", true, "pid namespaces: pids as each namespace numbers them; the first process is its init and "
                    "reaper, and its exit kills the rest"},
  {"NET_NS", true, "network namespaces: their own /proc/sys/net values, loopback (down until brought up), TCP/UDP ports "
                    "and abstract AF_UNIX names"},
  {"CGROUPS", false, "no control groups"},
  {"MEMCG", false, "no control groups"},
  {"CHECKPOINT_RESTORE", true, "kcmp, kernel.ns_last_pid, kernel.shm_next_id and clone3's set_tid "
                               "(no PR_SET_MM or /proc/<pid>/map_files)"},
  {"SECCOMP", false, "no seccomp"},
  {"BPF_SYSCALL", false, "no bpf"},
  {"PERF_EVENTS", false, "no perf_event_open"},
  {"RSEQ", false, "rseq is ENOSYS"},
  {"NET", true, "sockets: AF_UNIX socketpair and unconnected sockets"},
  {"UNIX", true, "AF_UNIX socketpair"},
  {"INET", false, "no TCP/IP"},
  {"BLK_DEV_LOOP", false, "no block devices"},
};
#define NKCONFIGS (sizeof kconfigs / sizeof kconfigs[0])

char *kconfig_text(size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) { *len = 0; return NULL; }
  fprintf(f, "#\n# Automatically generated file; DO NOT EDIT.\n"
             "# Linux/x86 %s Kernel Configuration (the faultline model)\n#\n", KERNEL_RELEASE);
  for (size_t i = 0; i < NKCONFIGS; i++) {
    if (kconfigs[i].set) fprintf(f, "CONFIG_%s=y\n", kconfigs[i].name);
    else fprintf(f, "# CONFIG_%s is not set\n", kconfigs[i].name);
  }
  fclose(f);
  return buf;
}

/* gzip (RFC 1952) by zlib's deflate with a gzip wrapper: no file name and
 * a zero time in the header, so the bytes are the same in every run */
void *kconfig_gz(size_t *len) {
  *len = 0;
#ifdef FAULTLINE_HAVE_ZLIB
  size_t tl;
  char *text = kconfig_text(&tl);
  if (!text) return NULL;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    free(text);
    return NULL;
  }
  uLong cap = deflateBound(&z, (uLong)tl);
  unsigned char *out = malloc(cap);
  z.next_in = (Bytef *)text;
  z.avail_in = (uInt)tl;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  int r = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
  *len = r == Z_STREAM_END ? (size_t)z.total_out : 0;
  deflateEnd(&z);
  free(text);
  if (!*len) { free(out); return NULL; }
  return out;
#else
  return NULL;
#endif
}

void kconfig_markdown(FILE *f) {
  fprintf(f, "| option | value | the model |\n| --- | --- | --- |\n");
  for (size_t i = 0; i < NKCONFIGS; i++)
    fprintf(f, "| `CONFIG_%s` | %s | %s |\n", kconfigs[i].name, kconfigs[i].set ? "y" : "is not set",
            kconfigs[i].why);
}
