/* The guest OS model (internal to sim/): address spaces, VMAs, frames,
 * page tables in machine memory, file descriptors, and the syscall layer.
 * Every copy between guest and kernel goes through the MMU as a supervisor
 * access (copy_from_user / copy_to_user below): a bad pointer gives
 * -EFAULT, never a host crash, and faults taken there are counted. */
#ifndef FAULTLINE_SIM_KERNEL_H
/* arch/x86/mm/tlb.c tlb_single_page_flush_ceiling: a range flush of more
 * pages flushes the whole address space instead */
#define TLB_FLUSH_CEILING 33
#define FAULTLINE_SIM_KERNEL_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "hv-models/hv.h"
#include "sim/sim.h"

#define PAGE 4096ull
#define PAGE_MASK (~(PAGE - 1))
/* Linux x86-64 layout with ASLR off */
#define TASK_SIZE 0x7ffffffff000ull
#define STACK_TOP 0x7ffffffff000ull
#define MMAP_BASE 0x7ffff7fff000ull
#define ELF_ET_DYN_BASE 0x555555554000ull
#define PHYSMAP_BASE 0xffff888000000000ull   /* kernel direct map */
#define KTEXT_BASE 0xffffffff81000000ull     /* kernel text (guest.kernel_footprint) */
#define KTEXT_PAGES 64

/* VMA flags */
#define VM_READ 1u
#define VM_WRITE 2u
#define VM_EXEC 4u
#define VM_SHARED 8u
#define VM_GROWSDOWN 16u
#define VM_HUGEPAGE 32u            /* madvise(MADV_HUGEPAGE) */
#define VM_NOHUGEPAGE 64u          /* madvise(MADV_NOHUGEPAGE) */
#define VM_DONTCOPY 128u           /* madvise(MADV_DONTFORK): not in a fork's child */
#define VM_WIPEONFORK 256u         /* madvise(MADV_WIPEONFORK): empty in a fork's child */
#define VM_LOCKED 512u             /* mlock: populated, counted in VmLck */
#define VM_LOCKONFAULT 1024u       /* mlock2(MLOCK_ONFAULT): locked as it faults in */
#define VM_NOMAYWRITE 2048u        /* shared file mapping of a read-only fd: no PROT_WRITE later (!VM_MAYWRITE) */
#define VM_ACCOUNT 4096u           /* private writable: charged against overcommit (vm_enough_memory) */
#define VM_NORESERVE 8192u         /* MAP_NORESERVE: never charged */
#define VM_DONTDUMP 16384u         /* madvise(MADV_DONTDUMP): left out of core dumps */
#define VM_ANON_VMA 32768u         /* has had private anonymous pages (Linux's vma->anon_vma): the
                                      core dump's "anonymous private" test */
#define VM_HUGETLB 131072u          /* a hugetlb file's mapping (hugetlb.c): 2M pages from the pool */
#define HPAGE (2ull << 20)         /* the huge page size */
#define VM_ANON_CLONED 65536u       /* its anon_vma chains to a parent's (a fork's child that had one):
                                      Linux's vma_merge keeps a new VMA apart from it */

struct host_file;            /* refcounted host fd behind a file mapping */
struct fkey { uint64_t a, b; };   /* a futex's identity (futex.c) */

struct vma {
  uint64_t start, end;       /* [start, end), page aligned */
  uint32_t flags;            /* VM_* */
  uint32_t prot;             /* PROT_* as requested */
  struct host_file *file;    /* NULL: anonymous */
  uint64_t file_off;         /* file offset of `start` */
  uint64_t file_end;         /* bytes past this VA read as zero (ELF bss tail) */
  char name[256];            /* [heap], [stack], path ... for /proc maps */
  struct uffd_ctx *uffd;     /* registered with this userfaultfd (userfaultfd.c), or NULL */
  uint8_t uffd_mode;         /* UFFD_MODE_MISSING | UFFD_MODE_WP */
};
#define UFFD_MODE_MISSING 1u   /* UFFDIO_REGISTER_MODE_MISSING */
#define UFFD_MODE_WP 2u        /* UFFDIO_REGISTER_MODE_WP */
/* a PTE write-protected through a userfaultfd (Linux's _PAGE_UFFD_WP,
 * software bit 10): a write to it is a userfault, not a COW */
#define PTE_UFFD_WP (1ull << 10)

struct mm {
  int refs;
  uint64_t pml4;             /* machine address of the top-level table */
  struct vma *vmas;          /* sorted by start */
  int nvmas, cap;            /* cap: slots in the allocation, which starts front slots before vmas */
  int front;
  uint64_t brk_start, brk;
  uint64_t mmap_base;
  /* mm_find_free's cache: every gap above the VMA starting at ff_addr is
   * shorter than ff_len (0: nothing known; a VMA's removal forgets it) */
  uint64_t ff_addr, ff_len;
  uint64_t stack_limit;      /* lowest address the stack may grow to */
  uint64_t pt_pages;         /* page-table pages owned */
  uint64_t rss_pages;
  uint32_t def_flags;        /* mlockall(MCL_FUTURE): VM_LOCKED for new mappings */
  uint32_t dump_filter;      /* /proc/<pid>/coredump_filter (MMF_DUMP_* bits): kept by fork and exec */
  uint64_t id;               /* never reused: names the address space a /proc/<pid>/mem opened */
  uint64_t tlb_gen;          /* --cpus: flushes of its translations so far (Linux's tlb_gen) */
  struct symtab *syms;       /* run --symbols: the executable's function symbols (attrib.c) */
  bool pv_pinned;            /* its tables announced to a paravirtualized mode (pv_new_table):
                                false while a fork builds it (Linux xen_dup_mmap pins it after) */
};
/* coredump_filter's bits (core(5)) and Linux's default, 0x33 */
#define DUMP_ANON_PRIVATE 1u
#define DUMP_ANON_SHARED 2u
#define DUMP_MAPPED_PRIVATE 4u
#define DUMP_MAPPED_SHARED 8u
#define DUMP_ELF_HEADERS 16u
#define DUMP_HUGETLB_PRIVATE 32u
#define DUMP_HUGETLB_SHARED 64u
#define DUMP_DAX_PRIVATE 128u
#define DUMP_DAX_SHARED 256u
#define DUMP_FILTER_MASK 0x1ffu
#define DUMP_FILTER_DEFAULT (DUMP_ANON_PRIVATE | DUMP_ANON_SHARED | DUMP_ELF_HEADERS | DUMP_HUGETLB_PRIVATE)

struct host_file {
  int refs;
  int fd;                    /* host descriptor; -1 for shmem */
  uint64_t dev, ino, size;   /* page-cache identity (host_file_identify) */
  char path[256];
  uint64_t ofd;              /* the guest's open file description it maps (gfd.ofd): one
                                object per struct file, as Linux's vm_file (host_file_of) */
  struct host_file *hnext;   /* in k->hf_hash by ofd */
  struct hugetlb_file *huge; /* a hugetlb file's pages and reservations (hugetlb.c), or NULL */
  bool huge_memfd;           /* huge is a MFD_HUGETLB memfd's, which outlives this object */
  bool huge_1g;              /* a hugetlb file of 1G pages (whose pool is always empty) */
  bool shmem;                /* no host file: Linux's shmem (shared anonymous memory,
                                System V segments), its pages only in the page cache,
                                freed with its last reference (shmem_file_new) */
};
/* the device the model's shmem files are on (no host st_dev is this) */
#define SHMEM_DEV (1ull << 63)

/* Guest file descriptors */
enum fd_kind { FDK_NONE, FDK_HOST, FDK_PIPE_R, FDK_PIPE_W, FDK_PROC, FDK_PIDFD, FDK_UFFD, FDK_PTY };
struct gfd {
  enum fd_kind kind;
  int hostfd;                /* host descriptor for FDK_HOST/PIPE; FDK_PIDFD: a dup
                              * of the process's exit eventfd (pidfd.c) */
  int pid;                   /* FDK_PIDFD: the process it refers to */
  struct uffd_ctx *uffd;     /* FDK_UFFD: its context (hostfd: a dup of its eventfd) */
  struct pty *pty;           /* FDK_PTY: the pair (pty.c; hostfd: a dup of the end's wake-up eventfd) */
  uint8_t pty_end;           /* FDK_PTY: 0 master, 1 slave */
  uint32_t pty_gen;          /* FDK_PTY: the end's hangup count at the open (older: hung up) */
  int flags;                 /* O_* status flags as the guest set them */
  bool cloexec;
  char *procbuf;             /* FDK_PROC: synthesized content */
  size_t proclen, procpos;
  char path[256];            /* for /proc/self/fd readlink */
  uint64_t task_serial;      /* FDK_PIDFD, or FDK_PROC under /proc/<pid>: the process (struct
                              * task's serial) it was opened on, which a reused pid does not name */
  uint64_t ofd;              /* the open file description (struct file) it refers to: shared by
                              * dup, fork and pidfd_getfd, new at each open (kcmp KCMP_FILE) */
  /* the host file behind hostfd, looked up once (gfd_file): a descriptor's
   * file never changes, and every install clears this */
  int8_t ftype;              /* 0 not yet, GFD_REG, GFD_STREAM (fifo, socket), GFD_OTHER */
  bool writeback;            /* a regular file on a file system that writes back (not tmpfs) */
  uint64_t dev, ino;
  /* FDK_PROC files whose reads or writes reach a process (procfs_mem.c):
   * which (PL_*), the process and the address space opened (mm->id);
   * pagemap: whether the opener could see frame numbers (CAP_SYS_ADMIN) */
  struct proc_live { uint8_t what; bool show_pfn; int pid; uint64_t mm; } live;
  /* F_SETOWN/F_SETSIG and a directory's F_NOTIFY watch (dnotify.c) */
  int owner, sig;
  uint32_t dn_mask;
  uint64_t dn_dev, dn_ino;
  /* an AF_UNIX socket's addresses as the guest gave them (sys_unix.c) */
  char unix_name[110], unix_peer[110];
  uint8_t unix_namelen, unix_peerlen;
};
enum { PL_NONE, PL_MEM, PL_PAGEMAP, PL_COREDUMP_FILTER, PL_UID_MAP, PL_GID_MAP, PL_SETGROUPS, PL_NS };
enum { GFD_REG = 1, GFD_STREAM, GFD_OTHER };
/* The descriptor table grows as a process needs it (from FDS_INITIAL,
 * doubling: Linux's expand_files), up to RLIMIT_NOFILE; MAX_FDS is the
 * model's fs.nr_open, the most RLIMIT_NOFILE may be raised to. */
#define MAX_FDS 65536
#define FDS_INITIAL 64

/* id: names the table for kcmp(KCMP_FILES) (kcmp.c); never reused */
struct files { int refs; int cap; struct gfd *fds; uint64_t id; };
struct kernel;
/* (fd.c) make room for descriptor `fd` in the running task's table,
 * updating every task that shares it; -EMFILE when it cannot grow */
int files_grow(struct kernel *k, int fd);
/* the running task's table size, and a task's */
static inline int fds_cap(const struct files *f) { return f ? f->cap : 0; }

/* Per-task state.  struct kernel embeds the running task's copy
 * anonymously (k->pid, k->mm, k->fds ...), so syscall code reads "the
 * current task" directly; a context switch swaps the whole block. */
/* supplementary groups a task can hold (Linux's NGROUPS_MAX is 65536;
 * setgroups with more than this is EINVAL in the model) */
#define CRED_NGROUPS 64

/* Linux's fs_struct: what CLONE_FS shares between processes (the threads
 * of a process share it through their tgroup) */
struct fs_struct {
  int refs;                  /* tgroups that point here */
  uint64_t id;               /* names it for kcmp(KCMP_FS); never reused */
  char cwd[4096];            /* guest-visible cwd */
  uint32_t umask;            /* file-creation mask */
};

/* What the threads of a process share (CLONE_THREAD, which implies
 * CLONE_SIGHAND and CLONE_VM; glibc adds CLONE_FS): Linux's signal_struct
 * and sighand_struct in one, reference-counted, with the fs_struct;
 * fork copies it.  A thread's own state (registers, signal mask and
 * private pending set, credentials, TLS, clear_child_tid) stays in
 * struct task_ctx. */
struct ksiginfo { int code, errno_, pid, uid; uint64_t addr; int status, trapno; uint32_t err; };
struct tgroup {
  int refs;                  /* tasks that point here (zombies too) */
  int live;                  /* threads not yet exited */
  int ppid, pgid, sid;
  int exit_signal;           /* sent to the parent when the process ends: clone's CSIGNAL (0: none),
                              * SIGCHLD once reparented (reparent_leader) */
  bool did_exec;             /* execve'd since fork: PF_FORKNOEXEC clear (setpgid's EACCES) */
  bool leader;               /* made its session with setsid (signal->leader: setpgid's EPERM) */
  uint64_t ctty;             /* the controlling terminal (struct pty's id, pty.c; 0: none) */
  struct fs_struct *fs;      /* cwd and umask: the process's own, or its parent's (CLONE_FS) */
  uint64_t id;               /* names its dispositions for kcmp(KCMP_SIGHAND); never reused */
  struct { uint64_t cur, max; } rlim[16];  /* getrlimit/setrlimit/prlimit (RLIM_NLIMITS) */
  char exe_path[4096];       /* guest path of the running binary */
  char *cmdline; size_t cmdline_len;
  uint64_t auxv_addr; size_t auxv_len;
  /* signal dispositions (sigaction) */
  uint64_t sig_handlers[65];
  uint64_t sig_flags[65];
  uint64_t sig_restorer[65];
  uint64_t sig_mask_[65];
  /* process-directed signals no thread has taken yet (shared_pending) */
  uint64_t shared_pending;
  struct ksiginfo shared_info[65];
  /* ITIMER_REAL / alarm: absolute virtual time of the next expiry (0 off) */
  uint64_t alarm_ns, alarm_interval_ns;
  /* ITIMER_VIRTUAL [0] and ITIMER_PROF [1]: the process CPU time of the
   * next expiry (0 off) and the reload interval */
  uint64_t cpu_timer_ns[2], cpu_timer_interval_ns[2];
  /* exit_group or a fatal signal is ending every thread (SIGNAL_GROUP_EXIT)
   * with this status */
  bool group_exit, group_dumped;
  int group_exit_code, group_killed_by;
  /* a group stop in progress (jobctl.c): threads yet to stop, and the signal */
  int stop_count, stop_sig;
  /* CPU time and faults of the threads that have exited (getrusage, times) */
  uint64_t dead_insns, dead_minflt, dead_majflt;
};

struct task_ctx {
  struct mm *mm;
  struct tgroup *tg;         /* shared by the threads of the process */
  int pid;                   /* the process id (Linux's tgid) */
  int tid;                   /* this thread's id (gettid); == pid for the leader */
  uint64_t tid_address;      /* clear_child_tid: cleared and woken when the thread exits */
  uint64_t robust_list;      /* set_robust_list's head (0: none), walked at exit */
  bool thread_exit;          /* exit(2) ends this thread only (exit_group: the process) */
  struct files *files;
  struct gfd *fds;           /* files->fds */
  uint64_t cap_eff, cap_prm, cap_inh;   /* capability sets (capget/capset) */
  uint64_t cap_bnd;          /* the bounding set (prctl PR_CAPBSET_*) */
  char comm[16];             /* the task's name (exec's file name, PR_SET_NAME) */
  bool undumpable;           /* prctl PR_SET_DUMPABLE 0, or a credential change (fs.suid_dumpable 0) */
  bool forknoexec;           /* forked, not exec'd since (PF_FORKNOEXEC, in a core's NT_PRPSINFO) */
  uint64_t semundo;          /* its System V semaphore undo list (sysvsem.undo_list): 0 none,
                              * made and shared by CLONE_SYSVSEM (kcmp KCMP_SYSVSEM) */
  int64_t orig_rax;          /* pt_regs->orig_ax: the syscall the task is in or returns from, -1 in
                                user mode (a core's NT_PRSTATUS) */
  /* credentials (sys_cred.c): real/effective/saved/filesystem ids and
   * the supplementary groups (sorted, as Linux's groups_sort keeps them);
   * inherited by fork, kept across exec (no set-user-ID binaries) */
  int ruid, euid, suid, fsuid, rgid, egid, sgid, fsgid;
  int ngroups;
  /* its namespaces (ns_priv.h): NULL, the initial ones; the ids above
   * and its pids are the initial namespaces' (kernel ids) */
  struct nsproxy *ns;
  uint32_t groups[CRED_NGROUPS];
  /* scheduling (sys_sched.c): nice -20..19, policy and RT priority */
  int nice, sched_policy, sched_prio;
  /* signals */
  uint64_t sigmask, sigpending;
  uint64_t altstack_sp, altstack_size;
  int altstack_flags;
  struct ksiginfo siginfo[65];  /* of the signals in sigpending */
  /* CPU time: instructions retired while this task ran, up to when it
   * last switched in (oncpu_icount) */
  uint64_t cpu_insns, oncpu_icount;
  /* counters */
  uint64_t minflt, majflt;
  uint64_t start_icount;     /* retired instructions when the task started */
  /* termination */
  int exit_code;
  bool exited;
  int killed_by;             /* signal that ended the task, 0 if none */
};

enum task_state { TS_RUNNABLE, TS_BLOCKED, TS_ZOMBIE };
/* why a TS_BLOCKED task does not run; BLK_STOPPED is job control's stop
 * (TASK_STOPPED: only SIGCONT or SIGKILL ends it, jobctl.c) */
enum block_kind { BLK_NONE, BLK_WAIT, BLK_FD, BLK_VFORK, BLK_SIGSUSPEND, BLK_PAUSE, BLK_SLEEP, BLK_FUTEX,
                  BLK_STOPPED, BLK_UFFD };

struct task {
  struct task_ctx tc;        /* saved while not running */
  struct cpu_regs regs;      /* saved while not running */
  enum task_state state;
  enum block_kind block;
  int block_fd, block_events;  /* BLK_FD: host fd and poll events */
  int wait_pid;              /* BLK_WAIT: pid argument */
  int wait_options;          /* BLK_WAIT: the WEXITED/WSTOPPED/WCONTINUED it waits for */
  int vfork_child;           /* BLK_VFORK: pid of the child we wait for */
  struct {                   /* BLK_FUTEX (futex.c) */
    uint64_t a, b;           /* the key waited on (futex_waitv: v[0..nv)) */
    uint64_t uaddr;          /* the word's address (the deadlock report) */
    uint64_t seq;            /* when the wait began: wakes go in this order */
    uint32_t bitset;
    bool waiting, woken;
    int woken_index;         /* futex_waitv: which futex woke it */
    long pi_result;          /* LOCK_PI: the result the hand-over gives */
    int nv;
    struct fkey v[128];
  } futex;
  uint64_t wake_ns;          /* a timed wait's deadline in guest time (0: none);
                              * the task wakes when it passes (task_wait_until) */
  uint64_t serial;           /* Linux's struct pid: names this task, never reused (pids are) */
  int wstatus;               /* ZOMBIE: wait status */
  int exit_efd;              /* host eventfd made readable when the task exits,
                              * shared by its pidfds (pidfd.c); -1: none yet */
  /* job control (jobctl.c), Linux's signal->flags and group_exit_code */
  enum block_kind stop_block;  /* BLK_STOPPED: the wait of the syscall parked under the
                                * stop (BLK_NONE: stopped in user mode) */
  int stop_report;           /* the stop signal, until wait(WUNTRACED) reports it (0: none) */
  bool stop_pending;         /* JOBCTL_STOP_PENDING: a group stop waits for this thread
                                (running on another vCPU) to stop at its next turn */
  bool cont_report;          /* continued, until wait(WCONTINUED) reports it */
  bool restart_syscall;      /* re-dispatch the syscall when switched in */
  uint64_t saved_mask;       /* rt_sigsuspend: the mask to restore */
  bool sigsuspend_active;
  bool sigwait_active;       /* rt_sigtimedwait: saved_mask is the mask to restore */
  struct {                   /* BLK_UFFD: a fault a userfaultfd's handler resolves */
    struct uffd_ctx *ctx;
    uint64_t addr, seq;      /* the faulting address; when it began to wait */
    uint32_t flags;          /* UFFD_PAGEFAULT_FLAG_* */
    bool read, woken;        /* its message was read; a wake covered it */
  } uffd;
  int on_cpu;                /* --cpus: the vCPU it runs on, -1 none (task_init_first, clone: 0 / -1) */
  bool gone;                 /* an exited thread other than the leader: nothing waits for it,
                              * it is freed once the scheduler has left it (task_reap_gone) */
  struct task *next;         /* all tasks, in creation order */
};

/* The guest kernel's policy parameters that the fault path and the
 * kernel entry read, resolved from the registry once in sim_run: a
 * registry lookup is a string search, far too slow for every fault. */
struct guest_policy {
  bool zero_page;              /* guest.zero_page: map the shared zero page on anon reads */
  bool page_cache_warm;        /* guest.page_cache_warm: files start cached */
  uint8_t thp;                 /* guest.thp: 0 never, 1 madvise, 2 always */
  uint64_t fault_around_bytes; /* guest.fault_around_bytes */
  uint64_t readahead_bytes;    /* guest.readahead_bytes (cold cache) */
  uint64_t io_read_latency;    /* io.read_latency: cycles of a page-cache miss's device read */
  uint64_t io_write_latency;   /* io.write_latency: cycles of a page's synchronous writeback */
  uint64_t dirty_limit_pages;  /* guest.dirty_ratio of RAM: write() throttles above it */
  uint64_t dirty_bg_pages;     /* guest.dirty_background_ratio of RAM */
  uint64_t dirty_writeback_ns; /* guest.dirty_writeback_ms: the flusher's period */
  uint64_t kpti_cr3_write;     /* guest.kpti_cr3_write: cycles of one KPTI CR3 write */
  uint64_t syscall_entry, syscall_exit;   /* native.syscall_entry/exit: Linux's system-call entry and return */
  uint64_t frame_zero_cost;    /* native.frame_zero: cycles of clear_page (vkernel prefault) */
};

/* fault attribution (attrib.c, run --top-faults): faults and their cycles
 * by mapping and by function */
struct attr_row { char name[64]; uint64_t faults, cycles; };
struct attr_table { struct attr_row *r; size_t n, cap; };
struct attrib { int top; bool symbols, quiet_table; struct attr_table by_mapping, by_function; };
/* a function symbol's address in the address space's symbols (0: none) */
uint64_t attrib_symbol_addr(const struct symtab *t, const char *name);
struct symtab;
struct ev;
struct json;
struct kernel;
void attrib_fault(struct kernel *k, const struct ev *e);
void attrib_load_symbols(struct kernel *k, struct mm *mm, int fd, uint64_t bias);
void attrib_put_symbols(struct symtab *t);
/* where rip is (its function and file, a file offset, or a mapping's
 * name), for the line a fatal signal prints */
void attrib_describe(struct kernel *k, uint64_t rip, char *buf, size_t n);
struct symtab *attrib_get_symbols(struct symtab *t);
void attrib_sort(struct attrib *a);
void attrib_print(FILE *f, struct attrib *a);
void attrib_json(struct json *j, struct attrib *a);
void attrib_free(struct attrib *a);

/* --cpus N (smp.c): virtual CPUs in deterministic lockstep.  The host
 * runs one at a time for smp.quantum retired instructions; k->cpu, k->cur
 * and k->tc are the running one's.  Memory is sequentially consistent
 * (one host thread; TSO store buffering is not modelled). */
#define SMP_MAX HV_MAX_CPUS
struct pwc;
struct smp {
  int n;                       /* vCPUs; 1: none of this is used */
  int cur;                     /* the vCPU the host runs now */
  struct vcpu *cpu[SMP_MAX];
  struct pwc *pwc[SMP_MAX];    /* each one's paging-structure caches (NULL: none) */
  struct task *task[SMP_MAX];  /* the task each runs (NULL: idle) */
  uint64_t slice_end[SMP_MAX]; /* its task's time slice ends at this icount */
  uint64_t qstart[SMP_MAX];    /* its icount when its turn began */
  uint64_t loaded_mm[SMP_MAX];     /* the address space (mm->id: never reused) its CR3 holds,
                                      kept while idle (lazy TLB); 0: none */
  uint64_t loaded_gen[SMP_MAX];    /* that mm's tlb_gen its TLB has caught up with */
  uint64_t run_mm[SMP_MAX];        /* the address space its thread runs in (0: idle, or the thread exited):
                                      the shootdowns' targets (smp_sched_in/out, smp_mm_loaded) */
  uint64_t quantum;            /* smp.quantum: instructions a vCPU runs in its turn */
  uint64_t round_base;         /* guest time (in instructions) when the round began */
  void (*select)(void *ctx, int i);   /* the machine makes vCPU i the running one */
  void *select_ctx;
  /* a batch (lazy MMU mode) gathers its flushes into one shootdown */
  int batch;
  uint64_t batch_lo, batch_hi, batch_pages;
  /* (stats: k->hv->sd) */
  uint64_t skip_shootdown;     /* smp.skip_shootdown: fault injection, the Nth shootdown not sent (0: off) */
  bool invlpgb;                /* smp.invlpgb: AMD's broadcast invalidation instead of IPIs */
  uint64_t steal;              /* smp.steal: percent of turns the host preempts a vCPU */
  uint64_t preempt_wait;       /* smp.preempt_wait: cycles an IPI's sender waits for a preempted target */
  uint64_t round;              /* rounds of turns so far */
  int plan_kind;               /* the fault being handled: its plan's kind (fault_ops.c) */
  int local_only;              /* > 0: a flush that is not shot down (a permission upgrade) */
};

#define IP4CONF_N 33   /* the files of each net/ipv4/conf/<dev> (procfs_sys.c) */
/* listen(2)'s backlog as __sys_listen caps it at net.core.somaxconn (sys_socket.c) */
int sock_backlog(const struct kernel *k, int backlog);
struct kernel {
  struct sim *sim;
  struct smp smp;
  struct vcpu *cpu;
  struct machine_mem *mem;
  struct mmu *mmu;
  struct hv *hv;
  uint64_t guest_cr3[SMP_MAX];   /* the last value the guest kernel wrote to each vCPU's CR3 */
  uint64_t pt_pages_allocated;   /* page-table pages ever allocated (stats) */
  uint64_t pte_writes;           /* page-table entry stores by the guest kernel (stats) */
  /* mmu_gather: a lazy-MMU batch's local flushes, done at its end (kmem.c) */
  int flush_batch, flush_n;
  bool flush_full;
  uint64_t flush_va[TLB_FLUSH_CEILING];
  union { struct task_ctx tc; struct task_ctx; };   /* the running task */
  struct task *cur;          /* the running task (its tc is stale while running) */
  struct task *tasks;        /* every task (incl. zombies) */
  struct task *init;         /* pid 1, outside the list (initproc.c) */
  struct ns_state *nss;      /* the namespaces made (ns.c): NULL until the first */
  int next_pid;
  uint64_t quantum;          /* guest.quantum: instructions per time slice */
  uint64_t slice_end;        /* icount at which the running task is preempted */
  /* guest-RAM frame allocator: free list + bump; per-frame refcounts */
  uint64_t *free_frames;
  uint64_t nfree, free_cap;
  uint64_t next_frame;       /* bump pointer (machine address) */
  uint16_t *frame_refs;
  uint64_t frames_used;
  uint64_t zero_page;        /* shared zero frame */
  uint64_t kpdpt;            /* physmap PDPT (pool) */
  uint64_t ktext_pdpt;       /* PDPT of the kernel-text mapping (PML4 entry 511) */
  uint64_t kstack;           /* kernel stack frame (pool) */
  uint64_t footprint;        /* guest.kernel_footprint: text bytes fetched per step */
  int start_uid, start_gid;  /* the guest's first identity: faultline's user (the uid map) */
  int rootfd;                /* --root directory fd, or -1 */
  /* the unix socket files guests of this run bound (sys_unix.c): connect
   * reaches these only; with every bound name as the guest gave it and as
   * the host knows it (a datagram's sender) */
  struct unix_bound { uint64_t dev, ino; char gname[110], hname[110]; uint8_t glen, hlen; } *unix_bound;
  size_t nunix_bound, capunix_bound;
  uint32_t unix_autobind;     /* the next autobound abstract name's number */
  /* the guest's AF_INET/AF_INET6 sockets (sys_inet.c) */
  struct inet_tab *inet;
  /* counters */
  uint64_t syscalls, unknown_syscalls;
  uint64_t syscall_counts[512];
  uint64_t rng;              /* getrandom / AT_RANDOM stream */
  bool read_only;
  bool quiet;
  bool gup_force;            /* the fault being planned is a forced access (FOLL_FORCE): user_page_forced */
  uint64_t next_mm_id;       /* mm->id of the next address space */
  uint64_t next_kobj_id;     /* the last id given to a files table, fs_struct, tgroup, open file or
                                semaphore undo list (kcmp.c compares them) */
  struct pty **ptys;         /* the pseudo-terminals by index (pty.c), NULL before the first */
  struct nl_tab *netlink;    /* the AF_NETLINK sockets (netlink.c), NULL before the first */
  /* recording (sim/record.h) and the guest kernel's own references (stats) */
  struct recorder *rec;      /* NULL: no trace */
  uint64_t rec_next_keyframe;   /* icount of the next keyframe */
  uint64_t rec_keyframe_insns;  /* trace.keyframe_insns */
  bool rec_fault_open;       /* a fault record awaits its outcome */
  uint64_t rec_fault_frame;  /* the frame its PTE stores mapped last */
  void *replay;              /* `faultline replay`: its state (replay.c); NULL in a live run */
  struct attrib *attr;       /* run --top-faults: NULL when off */
  uint64_t attr_rip;         /* the faulting instruction (attr_user) for attribution */
  bool attr_user;
  int fault_depth;           /* > 0: inside a mode's page-fault handler: the guest kernel's
                                accesses are charged to its steps, not to the CPU at once */
  int kacc_mute;             /* > 0: the access is not the guest kernel's own (a mode's
                                through guest_ops, or inside a recorded pte store) */
  uint64_t kernel_refs;      /* guest-kernel accesses through the MMU (kacc records) */
  uint64_t user_copies;      /* user pages the kernel reached (ucopy records) */
  struct { uint64_t dev, ino; } *rec_files;   /* files by their number in the trace */
  size_t rec_nfiles, rec_files_cap;
  uint64_t pc_seq;           /* page-cache fills so far (their order) */
  bool pc_device_read;       /* the last file_page op read the device (its kop record) */
  bool dnotify_armed;        /* some descriptor asked for F_NOTIFY (dnotify.c) */
  char core_pattern[128];    /* /proc/sys/kernel/core_pattern (CORENAME_MAX_SIZE) */
  bool all_exited;           /* the first task (the guest) has ended */
  int guest_exit_code, guest_killed_by;
  int host_signal;           /* the last signal sent to faultline that was posted to the guest */
  int host_stop;             /* the signal that stopped the run at once (a second SIGINT) */
  const char *limit_hit;     /* "max-insns" | "max-time": the run stopped at a limit */
  bool exec_fatal;           /* the image failed past exec's point of no return (loader.c) */
  struct {                   /* how the top-level guest process died of a signal */
    int pid, sig;
    bool has_addr;           /* a fault's si_addr (si_code > 0) */
    uint64_t addr, rip;
    char where[200];         /* the rip's function or mapping */
  } death;
  uint64_t epoch_ns;
  uint64_t sleep_ns;         /* virtual time skipped by sleeps */
  int64_t realtime_adj_ns;   /* clock_settime(CLOCK_REALTIME) moved the wall clock by this */
  uint64_t ips;              /* guest.ips: retired instructions per virtual second */
  struct guest_policy policy;
  /* page cache (pagecache.c) */
  struct pc_page **pc_hash;
  struct shm_seg *shm;          /* System V shared memory segments (sys_shm.c) */
  uint64_t shmem_ino;           /* the last shmem file's inode number (get_next_ino) */
  struct host_file **hf_hash;   /* mapped files by open file description (pagecache.c) */
  int nshm, capshm;
  /* the limits /proc/sys sets and the model enforces (procfs_sys.c's
   * table: defaults, ranges, parsers), per run: never the host's */
  struct {
    uint64_t shmmax, shmall;   /* kernel.shmmax (bytes), kernel.shmall (pages): shmget */
    int shmmni;                /* kernel.shmmni: segments (shmget) */
    int shm_next_id;           /* kernel.shm_next_id: the next new segment's id, -1 none (shmget) */
    int pid_max;               /* kernel.pid_max: pid allocation (task.c) */
    int threads_max;           /* kernel.threads-max: tasks at once (--max-procs), fork's EAGAIN */
    int max_map_count;         /* vm.max_map_count: mmap and VMA splits */
    int drop_caches;           /* vm.drop_caches: the last value written */
    int overcommit_memory;     /* vm.overcommit_memory: 0 heuristic, 1 always (vm_enough_memory) */
    int core_uses_pid;         /* kernel.core_uses_pid (coredump.c) */
    int pipe_max_size;         /* fs.pipe-max-size: F_SETPIPE_SZ's limit without CAP_SYS_RESOURCE */
    char hostname[65];         /* kernel.hostname, uname's nodename (sethostname) */
    char domainname[65];       /* kernel.domainname, uname's domainname (setdomainname) */
    uint64_t nr_hugepages;     /* vm.nr_hugepages: the hugetlb pool's persistent pages (hugetlb.c) */
    uint64_t nr_overcommit_hugepages;   /* vm.nr_overcommit_hugepages */
    int somaxconn;             /* net.core.somaxconn: listen's backlog cap */
    /* net.ipv4.conf.{all,default,lo}.* (procfs_sys.c's IP4CONF list;
     * all's forwarding is net.ipv4.ip_forward), and which of lo's were
     * written (devinet's cnf.state: a default no longer reaches them) */
    int ip4conf[3][IP4CONF_N];
    uint64_t ip4conf_set;
  } sysctl;
  struct pc_inode *pc_inodes;   /* files with pages in shared writable mappings */
  size_t pc_ninodes, pc_inodes_cap;
  uint64_t pc_pages, pc_hits, pc_misses, fault_around_pages;
  uint64_t dirty_pages;         /* pages write() dirtied since the flusher last ran */
  uint64_t dirty_since_ns;      /* guest time of the oldest of them */
  uint64_t dirty_last_dev, dirty_last_ino, dirty_last_pg;   /* the last write's last page */
  uint64_t thp_pages;        /* 2M pages mapped by THP faults */
  struct hugetlb_pool {      /* hugetlb.c */
    uint64_t *pa;            /* each page's first frame */
    uint8_t *state;          /* HP_FREE, HP_FILE, HP_PRIVATE */
    size_t n, cap;           /* pages in the pool (persistent and surplus) */
    uint64_t resv, surplus;  /* reserved and not yet taken; surplus pages */
    uint64_t nr_overcommit;  /* vm.nr_overcommit_hugepages */
    bool pick, pick_fresh;   /* the fault being handled takes this page (plan -> thp ops) */
    uint64_t pick_pa, pick_src;
    struct hugetlb_memfd *memfd;   /* MFD_HUGETLB memfds (hugetlb.c) */
    size_t nmemfd;
  } hp;
  /* KPTI model (guest.kpti / guest.pcid) */
  bool kpti, kpti_pcid;
  /* guest.dyn_asids (asid.c): each vCPU's PCIDs for its last address spaces */
  int dyn_asids;
  bool invpcid;                /* guest.invpcid: KPTI flushes the user PCID by INVPCID (0: at return to user) */
  struct asid_cpu {
    struct { uint64_t mm_id, gen; } slot[6];
    int cur, next;
    bool user_flush;           /* KPTI without INVPCID: the user PCID flushes at the next return */
  } asid[SMP_MAX];
  uint64_t asid_switches, asid_reuses, asid_deferred_flushes;   /* stats */
  uint64_t kpti_switches;
  /* set by a syscall that must block: the dispatcher parks the task and
   * re-executes the syscall when it is woken */
  bool block_now;
  bool block_restart;        /* re-run the syscall on wake (else its result stands) */
  bool redispatch;           /* the syscall being dispatched is such a re-run */
  uint64_t futex_seq;        /* futex and userfault waits begun (their FIFO order) */
  /* set by the plan of a userfault (uffd_fault_kind): the thread sleeps
   * once the mode's fault path returns (uffd_park) */
  struct { struct uffd_ctx *ctx; uint64_t addr; uint32_t flags; } uffd_wait;
};

/* the signals pending for a thread: its own and its process's */
static inline uint64_t task_pending(const struct task_ctx *c) { return c->sigpending | c->tg->shared_pending; }

/* a task's context wherever it lives: k->tc while it runs, else its own */
static inline struct task_ctx *task_ctx_of(struct kernel *k, struct task *t) {
  return t == k->cur ? &k->tc : &t->tc;
}

/* ---- memory (mm.c) ---- */
int kernel_mem_init(struct kernel *k);
/* a new address space (mm_alloc), its tables plain memory until
 * mm_activate (exec_mmap's activate_mm) pins them for a paravirtualized
 * mode */
struct mm *mm_new(struct kernel *k);
void mm_activate(struct kernel *k, struct mm *mm);
void mm_put(struct kernel *k, struct mm *mm);
struct vma *vma_find(struct mm *mm, uint64_t va);           /* covering va */
struct vma *vma_insert(struct kernel *k, struct mm *mm, const struct vma *v);
/* unmap [start, end): PTEs cleared and frames released, VMAs split */
void mm_unmap(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
int mm_protect(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end, uint32_t prot);
/* vm.overcommit_memory=0 (OVERCOMMIT_GUESS, mm/util.c __vm_enough_memory):
 * a single charge of more pages than RAM (and swap: none) fails */
bool vm_enough_memory(struct kernel *k, uint64_t pages);
/* Join the VMAs that overlap or touch [start, end) with their neighbours
 * where Linux's vma_merge would (after mmap and mprotect) */
void vma_merge_range(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
uint64_t mm_find_free(struct mm *mm, uint64_t len, uint64_t hint);
/* move present PTEs of [src, src+len) to dst (mremap) */
void mm_move_pages(struct kernel *k, struct mm *mm, uint64_t src, uint64_t dst, uint64_t len);
/* MADV_DONTNEED: drop pages, keep the VMAs */
void mm_drop_pages(struct kernel *k, struct mm *mm, uint64_t start, uint64_t end);
bool mm_page_present(struct kernel *k, struct mm *mm, uint64_t va);
/* the frame (as the guest's PTEs hold it) mapping va's page, 0 if none */
uint64_t mm_user_frame(struct kernel *k, struct mm *mm, uint64_t va);
/* /proc/<pid>/pagemap's entry for va in mm (show_pfn: with the frame number) */
uint64_t mm_pagemap_entry(struct kernel *k, struct mm *mm, uint64_t va, bool show_pfn);
bool memfd_write_sealed(int hostfd);   /* sys_mm.c */
void guest_ops_fill(struct kernel *k, struct guest_ops *o);
uint64_t pte_flags_for(uint32_t vmflags, bool writable_now);

/* frames (mm.c) */
uint64_t kernel_frame_alloc(struct kernel *k);   /* reclaims the page cache if needed */
void kernel_frame_put(struct kernel *k, uint64_t pa);
/* ---- page cache (pagecache.c) ---- */
void host_file_identify(struct host_file *hf);
/* pagecache.c: a shmem file of size bytes, no reference yet (a VMA or a
 * segment takes one); host_file_put drops one (a shmem file's pages go
 * with its last, a host file's descriptor is closed) */
struct host_file *shmem_file_new(struct kernel *k, uint64_t size, const char *path);
void host_file_put(struct kernel *k, struct host_file *hf);
/* the file object behind guest descriptor gfd's open file description
 * (shared by every mapping made through it, holding one host descriptor),
 * without a reference yet; NULL with *err set (-ENODEV, -ENFILE) */
struct host_file *host_file_of(struct kernel *k, int gfd, long *err);
/* hugetlb.c: the hugetlb page pool (see there) */
struct sbuf;
void hugetlb_set_pages(struct kernel *k, uint64_t want);
uint64_t hugetlb_free_pages(struct kernel *k);
void hugetlb_meminfo(struct kernel *k, struct sbuf *b);
struct px;
bool hugetlb_sys_path(const char *gpath);   /* under /sys/kernel/mm/hugepages */
int hugetlb_sys_lookup(struct kernel *k, const char *gpath, struct px *r, bool slash);
int hugetlb_make_file(struct host_file *hf);
long hugetlb_reserve(struct kernel *k, struct host_file *hf, uint64_t off, uint64_t len, bool shared,
                     bool noreserve);
void hugetlb_vma_close(struct kernel *k, const struct vma *v);
void hugetlb_file_free(struct kernel *k, struct host_file *hf);
uint64_t hugetlb_fault_page(struct kernel *k, const struct vma *v, uint64_t va, bool *fresh, uint64_t *src);
/* MFD_HUGETLB memfds by their host file: 0 not one, 21 or 30 its page size's log */
int hugetlb_memfd(struct kernel *k, uint64_t dev, uint64_t ino);
void hugetlb_memfd_add(struct kernel *k, uint64_t dev, uint64_t ino, int log);
/* a mapping object of a MFD_HUGETLB memfd made (host_file_of) or gone */
void hugetlb_memfd_attach(struct kernel *k, struct host_file *hf);
void hugetlb_memfd_detach(struct kernel *k, struct host_file *hf);
void hugetlb_free_all(struct kernel *k);
/* fault_ops.c: a 2M-aligned run of 512 frames from the never-used part
 * of RAM (each with one reference), or 0 */
uint64_t frames_alloc_2m(struct kernel *k);
/* every mapping of pages [lo, hi) of a file zapped, then the cached pages
 * dropped (hole punching, truncation) */
void pc_punch(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t lo, uint64_t hi);
uint64_t pc_lookup(struct kernel *k, const struct host_file *hf, uint64_t pgoff);
uint64_t pc_fill(struct kernel *k, const struct host_file *hf, uint64_t pgoff);
uint64_t pc_reclaim(struct kernel *k, uint64_t want);
void pc_free_all(struct kernel *k);
/* coherence of the page cache with read/write and the host file */
void pc_mark_shared(struct kernel *k, const struct host_file *hf, uint64_t pgoff);
uint64_t pc_writeback(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t lo, uint64_t hi);
/* write() dirtied pages: throttle the writer above the dirty limit */
void pc_dirtied(struct kernel *k, uint64_t pages);
uint64_t pc_writeback_all(struct kernel *k);
void pc_write_through(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t off, const void *buf, size_t n);
void pc_refresh(struct kernel *k, uint64_t dev, uint64_t ino, int fd, uint64_t lo, uint64_t hi);
void pc_drop_from(struct kernel *k, uint64_t dev, uint64_t ino, uint64_t from);
void pc_charge_writeback(struct kernel *k, uint64_t pages);
/* its file.writeback step (a replay's too) */
void pc_writeback_step(struct kernel *k, uint64_t pages);
void pc_truncate(struct kernel *k, int hostfd, uint64_t size);
/* the file's size now (its host file's) */
uint64_t host_file_size(const struct host_file *hf);
/* File times come from the guest's clock, not the host's: a guest change
 * of a file's data stamps its mtime (and atime too when `atime`: a new
 * file) with guest time ns, so `stat` is deterministic and a guest sleep
 * moves it (Linux's file_update_time).  The host sets ctime itself. */
void fs_stamp_times(int hostfd, uint64_t ns, bool atime);

/* ---- address-space switches (mm.c) ---- */
/* load the running task's user address space (context switch, exec) */
void mm_switch_user(struct kernel *k);
/* a guest-kernel step outside any fault, recorded for replay (kmem.c):
 * opened with its va, closed with its arg and charged its cost parameter
 * `units` times; `src` names the caller's line */
#define kstep_begin(k, step, va) kstep_begin_at((k), (step), (va), __FILE__, __LINE__)
void kstep_begin_at(struct kernel *k, int step, uint64_t va, const char *file, int line);
void kstep_end(struct kernel *k, uint64_t arg, uint64_t units);
/* KPTI: the CR3 switch on kernel entry / exit; returns its cycles */
uint64_t kpti_enter(struct kernel *k);
uint64_t kpti_exit(struct kernel *k);
/* a system call enters / leaves the guest kernel: Linux's entry and return
 * code (unless the mode has a path of its own: syscall_cross), then
 * KPTI's switch; the cycles */
uint64_t syscall_enter_cost(struct kernel *k);
uint64_t syscall_exit_cost(struct kernel *k);

/* ---- user copies (mm.c): through the MMU as supervisor accesses ---- */
int copy_from_user(struct kernel *k, void *dst, uint64_t uva, size_t n);
int copy_to_user(struct kernel *k, uint64_t uva, const void *src, size_t n);
/* NUL-terminated string, at most max bytes incl. NUL: length or -EFAULT /
 * -ENAMETOOLONG */
long strncpy_from_user(struct kernel *k, char *dst, uint64_t uva, size_t max);
int clear_user(struct kernel *k, uint64_t uva, size_t n);
int user_fault_in(struct kernel *k, uint64_t uva, bool write);
/* one user page a kernel copy reaches (len bytes at va): translated as a
 * supervisor access, a fault handled by the mode; 0 or -EFAULT */
int user_xlate(struct kernel *k, uint64_t va, size_t len, bool write, uint8_t **host);
/* The running task's page at va as a forced access reaches it (GUP with
 * FOLL_FORCE: /proc/<pid>/mem, core dumps): the kernel's pointer to the
 * byte through its direct map, faulted in first if needed; NULL if there
 * is none (no VMA, a write to a shared read-only mapping, SIGBUS). */
uint8_t *user_page_forced(struct kernel *k, uint64_t va, bool write);
/* FOLL_DUMP: the same, but NULL for a page that would read as zeros and is
 * not there (a hole in the core file) */
const uint8_t *user_page_dump(struct kernel *k, uint64_t va);

/* ---- loader (loader.c) ---- */
/* run PATH: a "#!" script through its interpreter, or an ELF (binfmt_script.c) */
/* fd.c: a guest process has the file open for writing (exec: ETXTBSY) */
bool fds_file_open_for_write(struct kernel *k, uint64_t dev, uint64_t ino);
/* ... open at all (for_write: for writing) by some live process's descriptor */
bool fds_file_open(struct kernel *k, uint64_t dev, uint64_t ino, bool for_write);
/* fd.c: the host fd a blocked task waits on is a pipe the guest made */
bool fds_guest_pipe(struct kernel *k, struct task *t, int hostfd);
int load_program(struct kernel *k, const char *path, char *const argv[], char *const envp[],
                 char *err, size_t errlen);
int load_elf(struct kernel *k, const char *path, char *const argv[],
             char *const envp[], char *err, size_t errlen);

/* ---- syscalls ---- */
void syscall_dispatch(struct kernel *k);
long sys_fs(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
long sys_mm(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
uint64_t mm_locked_bytes(const struct mm *mm);
long sys_shm(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* IPCMNI: the most segments (and the slot space of an id) */
#define SHM_IPCMNI 32768
/* /proc/sysvipc/shm (Linux's columns): malloc'ed text, its length in *len */
char *shm_proc_text(struct kernel *k, size_t *len);
void shm_cleanup(struct kernel *k);
long sys_misc(struct kernel *k, int nr, const uint64_t a[6], bool *handled);

/* uname's release: the kernel the model describes (its .config: kconfig.c) */
#define KERNEL_RELEASE "6.1.0-faultline"

/* ---- /proc/sys (procfs_sys.c) and the kernel's .config (kconfig.c) ---- */
void sysctl_init(struct kernel *k);              /* every limit at Linux's default */
/* (sysctl_markdown, kconfig_markdown, kconfig_text: sim.h) */
/* /proc/config.gz: the .config gzip'ed (malloc'ed; NULL without zlib) */
void *kconfig_gz(size_t *len);

/* ---- credentials (sys_cred.c) and scheduling (sys_sched.c) ---- */
/* capability numbers (capability.h) the model checks */
#define CAP_CHOWN_ 0
#define CAP_KILL_ 5
#define CAP_SETGID_ 6
#define CAP_SETUID_ 7
#define CAP_IPC_LOCK_ 14
#define CAP_IPC_OWNER_ 15
#define CAP_SYS_ADMIN_ 21
#define CAP_SYS_RESOURCE_ 24
#define CAP_SYS_NICE_ 23
bool capable(const struct kernel *k, int cap);     /* in the running task's effective set */
bool cred_in_group(const struct kernel *k, uint32_t gid);   /* fsgid or a supplementary group */
void cred_init(struct kernel *k);                  /* the first task: faultline's identity */
/* Make the host check file access as the running guest task: when
 * faultline runs as root, install the task's fsuid/fsgid/groups as the
 * host's filesystem credentials if they are not installed already. */
void cred_host_sync(struct kernel *k);
/* install the task's real ids instead (access(2) without AT_EACCESS) */
void cred_host_use_real(struct kernel *k);
/* faultline's own credentials again (end of the run) */
void cred_host_restore(void);
long sys_cred(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
long sys_sched(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
void fds_init(struct kernel *k);
/* open a guest path (relative to cwd, confined by --root); host fd or -errno */
int path_open(struct kernel *k, int dirfd, const char *path, int flags, int mode);
/* resolve a guest path to a host path string usable with *at() calls:
 * fills *dirfd_out and rel (both confined under --root); -errno on error */
int path_resolve(struct kernel *k, int dirfd, const char *path, int *dirfd_out,
                 char *rel, size_t rellen);

/* ---- directory notification (dnotify.c) ---- */
long dnotify_fcntl(struct kernel *k, struct gfd *g, int cmd, uint64_t arg);
/* the guest changed an entry of the directory parent_fd (or of the one
 * holding the open file hostfd): DN_* event */
void dnotify_parent(struct kernel *k, int parent_fd, uint32_t ev);
void dnotify_file(struct kernel *k, int hostfd, uint32_t ev);

/* ---- sockets (sys_socket.c) ---- */
long sys_socket_family(struct kernel *k, int nr, const uint64_t a[6], bool *handled);

/* ---- futex (futex.c) ---- */
long sys_futex(struct kernel *k, const uint64_t a[6]);
long sys_futex_waitv(struct kernel *k, const uint64_t a[6]);
/* ---- userfaultfd (userfaultfd.c) ---- */
struct uffd_ctx;
long uffd_create(struct kernel *k, uint64_t flags, bool dev);
void uffd_get(struct uffd_ctx *c);
void uffd_put(struct uffd_ctx *c);
long uffd_read(struct kernel *k, struct gfd *g, uint64_t buf, uint64_t n);
long uffd_ioctl(struct kernel *k, struct gfd *g, uint32_t req, uint64_t arg);
long uffd_dev_ioctl(struct kernel *k, uint32_t req, uint64_t arg);
int uffd_fault_kind(struct kernel *k, const struct vma *v, uint64_t va, bool user, bool write, bool wp,
                    uint32_t *flags);
void uffd_park(struct kernel *k);
/* wake up to n waiters on the running process's futex word at uaddr */
int futex_wake_addr(struct kernel *k, uint64_t uaddr, int n);

/* processes, vCPUs, signals, pidfds, job control, timers, core dumps */
#include "sim/task_priv.h"
/* user, pid and network namespaces */
#include "sim/ns_priv.h"

#endif
