/* Private to the file-system side of the guest kernel model (fd.c, path.c,
 * sys_fs.c, sys_fsmeta.c).  The public entry points (fds_init, path_open,
 * path_resolve, sys_fs) are declared in sim/kernel.h. */
#ifndef FAULTLINE_SIM_FS_PRIV_H
#define FAULTLINE_SIM_FS_PRIV_H
#include "sim/kernel.h"
#include <fcntl.h>
#include <sys/stat.h>

#define FS_PATH_MAX 4096          /* Linux PATH_MAX, incl. the NUL */
#define FS_MAX_LINKS 40           /* symlinks followed in one lookup */
/* open(2) flags the guest may pass on (others are ignored, as open(2)
 * ignores unknown bits; openat2 would refuse them). */
#define FS_OPEN_FLAGS_OK (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
                          O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_LARGEFILE |       \
                          O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH |    \
                          O_TMPFILE | O_ASYNC)
#define FS_BOUNCE (64u * 1024u)   /* chunk of every guest <-> host copy */
#define MAX_RW_COUNT 0x7ffff000ull   /* INT_MAX & PAGE_MASK, as Linux clamps */

/* ---- fd.c: the guest descriptor table ---- */
struct gfd *gfd_get(struct kernel *k, int fd);      /* NULL unless open */
struct gfd *gfd_file(struct gfd *g);   /* g, its host file's type and identity looked up */
int gfd_lowest_free(struct kernel *k, int minfd);   /* or -EMFILE */
/* Install a new guest fd (lowest free >= minfd) for a host descriptor.
 * On failure the host descriptor is closed. Returns the guest fd or -errno. */
int gfd_install(struct kernel *k, int minfd, enum fd_kind kind, int hostfd,
                int flags, bool cloexec, const char *path);
/* Install at exactly `fd` (closing what was there). */
int gfd_install_at(struct kernel *k, int fd, enum fd_kind kind, int hostfd,
                   int flags, bool cloexec, const char *path);
void gfd_release(struct gfd *g);                    /* close + mark free */
/* Close all guest fds and free their buffers (for the end of a run;
 * not yet in kernel.h: sim/run.c closes only the host fds). */
void fds_fini(struct kernel *k);
int gfd_close(struct kernel *k, int fd);            /* 0 or -EBADF */
/* Duplicate oldfd to the lowest free fd >= minfd (exact = false) or to
 * exactly newfd (exact = true, as dup2). */
int gfd_dup(struct kernel *k, int oldfd, int newfd, bool exact, bool cloexec);
/* Install at exactly `nfd` (closing what was there) a copy of a
 * descriptor that may be another process's (pidfd_getfd): the same open
 * file on the host, a private copy of pseudo-file content. */
int gfd_copy_to(struct kernel *k, const struct gfd *o, int nfd, bool cloexec);
/* a descriptor received with SCM_RIGHTS: the open file (gfd.ofd) of the
 * guest descriptor that holds the same host open file, if any */
void gfd_adopt_ofd(struct kernel *k, int fd);

/* ---- path.c: guest paths, --root confinement, the modelled /proc ---- */
/* Result of looking a guest path up in the modelled pseudo files. */
enum px_kind {
  PX_NONE,      /* an ordinary path: resolve on the host */
  PX_FILE,      /* synthesized regular file; buf/len hold its content */
  PX_DIR,       /* synthesized directory; buf/len hold linux_dirent64s */
  PX_LINK,      /* a pseudo symlink (not followed); target holds the text */
  PX_EXE,       /* /proc/self/exe followed: the guest binary */
  PX_FD,        /* /proc/self/fd/N followed: guest descriptor `fd` */
  PX_REDIRECT,  /* internal to the lookup: continue at `target` */
  PX_DEV,       /* a pseudo-terminal node: fd = its index, -1 /dev/ptmx, -2 /dev/pts/ptmx */
};
struct px {
  enum px_kind kind;
  char *buf;                /* malloc'ed content (PX_FILE, PX_DIR) */
  size_t len;
  int fd;                   /* PX_FD */
  bool deny_open;           /* PX_FILE that may be stat'ed but never opened
                               (/proc/kcore, another's maps without ptrace
                               access); PX_LINK that readlink and lookups
                               may not cross (EACCES) */
  uint8_t live;             /* PX_FILE reaching process live_pid (PL_*:
                               /proc/<pid>/mem, pagemap, coredump_filter) */
  int live_pid;
  bool use_gpath;           /* PX_NONE: a /proc link was crossed: resolve
                               `gpath` (guest-absolute) instead of the
                               caller's (dirfd, path) */
  char gpath[FS_PATH_MAX];  /* normalized guest-absolute path */
  char target[FS_PATH_MAX]; /* PX_LINK */
};
void px_free(struct px *r);
/* Look up (dirfd, path) in the model's pseudo files (/proc, a few /sys
 * files, /dev/std* without --root).  follow: follow a pseudo symlink in
 * the last component.  0 with r->kind set, or -errno (-EACCES for
 * /proc/<pid>/mem, pagemap, kcore and the simulator's own process). */
int fs_lookup(struct kernel *k, int dirfd, const char *path, bool follow, struct px *r);
/* Host open of a guest path (no pseudo files): confined under --root,
 * never a procfs descriptor.  dirfd is a guest fd or AT_FDCWD. */
int fs_host_open(struct kernel *k, int dirfd, const char *path, int flags, int mode);
/* Parent directory (host O_PATH fd, caller closes) and last component of
 * a guest path, for *at() calls with AT_SYMLINK_NOFOLLOW semantics.
 * *slash: the path ended in '/'.  "/", "." and ".." as last component
 * give the directory itself and last = ".". */
int fs_resolve(struct kernel *k, int dirfd, const char *path, int *pfd,
               char *last, size_t lastlen, bool *slash);
/* Guest-visible path of a guest fd (directory or file), or -errno. */
int fs_fd_guest_path(struct kernel *k, int fd, char *out, size_t n);
/* Host readlink of /proc/self/fd/<hostfd> turned into a guest path (the
 * --root prefix removed).  -ENOENT when unavailable, -EXDEV if outside. */
int fs_host_fd_guest_path(struct kernel *k, int hostfd, char *out, size_t n);
/* The name /proc/<pid>/maps shows for a VMA: its file's path as the
 * guest sees it, else the VMA's own ([heap], [stack], ...; "" if none). */
void fs_vma_name(struct kernel *k, const struct vma *v, char *out, size_t n);
/* Lexical normalization of base + "/" + path (no ".", "..", "//"). */
int fs_norm_path(const char *base, const char *path, char *out, size_t n);
/* Guest-absolute directory a relative path starts from (cwd or dirfd). */
int fs_base_dir(struct kernel *k, int dirfd, char *out, size_t n);
bool fs_is_proc_path(const char *g);
/* procfs.c: one normalized guest path in the pseudo tree (0 + r->kind,
 * PX_NONE when not a pseudo path, PX_REDIRECT to continue at r->target). */
int fs_proc_walk(struct kernel *k, const char *g, bool slash, bool follow, struct px *r);
/* A pseudo link crossed in the middle of a path: 1 + guest target, 0, -errno. */
int fs_proc_link_node(struct kernel *k, const char *g, char *out, size_t n);
/* /proc/sys files: the table's mode (0: not one), the guest's access
 * (want: 4 read, 2 write; 0 or -EACCES), and a write through an open
 * FDK_PROC descriptor at pos (-1: its position; bytes taken or -errno). */
unsigned fs_proc_mode(const char *gpath);
int fs_proc_may(struct kernel *k, const char *gpath, int want);
long fs_proc_write(struct kernel *k, struct gfd *g, const void *buf, size_t n, int64_t pos);
/* procfs.c: the pseudo file has a splice_read op */
bool fs_proc_splice_read(const char *gpath);
/* procfs_mem.c: /proc/<pid>/mem, pagemap, coredump_filter.  The file's
 * permission for the running task (want: 4 read, 2 write; 0 or -errno);
 * an open's checks, filling the descriptor's live state.  Then mem's read or write
 * at *pos (advanced), pagemap's read over buffers {base, len}, and a
 * write of coredump_filter: bytes or -errno. */
int proc_live_access(struct kernel *k, const struct px *r, int want);
int proc_live_open(struct kernel *k, const struct px *r, int want, struct proc_live *l);
/* procfs_mem.c: a write to /proc/<pid>/uid_map, gid_map, setgroups */
long proc_idmap_write(struct kernel *k, struct gfd *g, const void *buf, size_t n, int64_t off);
long proc_mem_rw(struct kernel *k, struct gfd *g, uint64_t ubuf, uint64_t n, uint64_t *pos, bool wr);
struct kiov { uint64_t base, len; };   /* a guest buffer (struct iovec) */
long proc_pagemap_read(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt, uint64_t *pos);
long proc_coredump_filter_write(struct kernel *k, struct gfd *g, const void *buf, size_t n);
/* Open the guest binary (for /proc/self/exe). */
int fs_open_exe(struct kernel *k, int flags);
/* readlink text of /proc/self/fd/N and /proc/self/exe. */
int fs_fd_link_text(struct kernel *k, int fd, char *out, size_t n);
int fs_exe_link_text(struct kernel *k, char *out, size_t n);
/* Reopen a guest fd as /proc/self/fd/N would (host fd, or -errno). */
int fs_reopen_fd(struct kernel *k, int fd, int flags);
/* Deterministic inode number for a pseudo file. */
uint64_t fs_px_ino(struct kernel *k, const char *gpath, uint64_t serial);
uint64_t proc_path_serial(struct kernel *k, const char *gpath);
/* A host descriptor on procfs (refused to the guest). */
bool fs_is_host_proc(int hostfd);
/* Magic-link path for one of *our* host fds ("/proc/self/fd/N"). */
const char *fs_fdpath(int hostfd, char buf[40]);

/* ---- shared by the syscall files ---- */
/* A guest path string (at most FS_PATH_MAX with its NUL): 0 or -errno. */
static inline long get_path(struct kernel *k, uint64_t u, char *buf) {
  long l = strncpy_from_user(k, buf, u, FS_PATH_MAX);
  return l < 0 ? l : 0;
}

/* Where a path that is not a pseudo file resolves: the caller's
 * (dirfd, path), or a guest-absolute path after a /proc link. */
struct where { int dirfd; const char *path; };
static inline struct where where_of(const struct px *r, int dirfd, const char *path) {
  struct where w = {dirfd, path};
  if (r->use_gpath) { w.dirfd = AT_FDCWD; w.path = r->gpath; }
  return w;
}

/* ---- sys_fsmeta.c: open, namespace changes, cwd ---- */
long sys_fsmeta(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* sys_fsattr.c: stat, statx, readlink, access, chmod, chown, utimes,
 * truncate, statfs (sys_fsmeta hands on what it does not handle). */
long sys_fsattr(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* sys_xattr.c: the extended-attribute calls (then: not handled) */
long sys_xattr(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* An O_PATH host fd for a guest path (follow or not; pseudo files give
 * pseudo_err) or, with path NULL, for guest fd dirfd (sys_fsattr.c) */
int fs_target_fd(struct kernel *k, int dirfd, const char *path, bool follow, int pseudo_err,
                 int *pfd, char *last);
/* faccessat2 on the host (AT_EMPTY_PATH works on O_PATH fds): 0/-errno */
int fs_host_access(int dfd, const char *p, int mode, int flags);
long fs_open_guest(struct kernel *k, int dirfd, uint64_t upath, int flags, int mode);
/* Guest umask (inherited from the host process at fds_init). */
mode_t fs_umask(struct kernel *k);
void fs_umask_init(struct kernel *k);
/* Host uid/gid to guest view. */
uint32_t fs_guest_uid(struct kernel *k, uint32_t host_uid);
uint32_t fs_guest_gid(struct kernel *k, uint32_t host_gid);
/* Guest uid/gid to the host's (-1 stays -1). */
uint32_t fs_host_uid(struct kernel *k, uint32_t guest_uid);
uint32_t fs_host_gid(struct kernel *k, uint32_t guest_gid);
/* Linux x86-64 struct stat (144 bytes). */
struct kstat64 {
  uint64_t st_dev, st_ino, st_nlink;
  uint32_t st_mode, st_uid, st_gid, pad0;
  uint64_t st_rdev;
  int64_t st_size, st_blksize, st_blocks;
  uint64_t st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
  int64_t unused[3];
};
_Static_assert(sizeof(struct kstat64) == 144, "x86-64 struct stat is 144 bytes");
void fs_kstat_from_host(struct kernel *k, struct kstat64 *o, const struct stat *s);
/* Stat of a guest fd (host fstat or synthesized for pseudo files). */
int fs_fstat_gfd(struct kernel *k, int fd, struct stat *st);
/* Synthesized stat of a pseudo file object (serial: fs_px_ino's). */
void fs_px_stat(struct kernel *k, enum px_kind kind, const char *gpath, size_t linklen, uint64_t serial,
                struct stat *st);

/* ---- sys_fs.c ---- */
void fs_io_init(void);     /* from fds_init */
/* Internal result: the host descriptor would block (never seen by the guest). */
#define FS_WOULD_BLOCK (-100000L)
/* Park the running task until hostfd is ready for `events` (BLK_FD; the
 * syscall re-runs then).  False when there is no process model. */
bool fs_park_on_fd(struct kernel *k, int hostfd, short events);
/* sys_unix.c: bind, connect, listen, accept(4), sendmsg, recvmsg on an
 * AF_UNIX socket (*handled false for another family), and its names */
long unix_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
long unix_sock_name(struct kernel *k, struct gfd *g, bool peer, uint64_t ua, uint64_t ulen);
struct gfd *unix_sock(struct kernel *k, int fd, long *err);
/* accept a connection on g's host socket: the new guest fd or -errno (a
 * blocking caller with none waiting parks: k->block_now) */
long sock_accept_host(struct kernel *k, struct gfd *g, int flags);
/* a guest struct msghdr (x86-64) */
struct kmsghdr { uint64_t name; uint32_t namelen, pad; uint64_t iov, iovlen, control, controllen; int32_t flags, pad2; };
struct sockaddr_un;
struct sockaddr_storage;
/* a family's names for sock_msg (sys_inet.c): where a send goes (the
 * guest's name or none; 0 with the host address in h/hl (hl 0: the
 * connected peer), 1: nowhere, the datagram is lost, or -errno), and the
 * guest's name for a received message's sender (its length; 0: none) */
struct sock_names {
  long (*dest)(struct kernel *k, struct gfd *g, uint64_t uname, uint32_t len, struct sockaddr_un *h, uint32_t *hl);
  uint32_t (*source)(struct kernel *k, struct gfd *g, const struct sockaddr_un *h, uint32_t hl,
                     struct sockaddr_storage *out);
  /* datagrams: a header of `prefix` bytes rides before the data on the
   * host (what IP's header says: hop limit, traffic class); ctl_out
   * fills it from the socket and the guest's control messages (0 or
   * -errno), ctl_in makes the receiver's control messages of it (their
   * length in gctl, at most room; MSG_CTRUNC in *flags) */
  uint32_t prefix;
  bool rights;                   /* SCM_RIGHTS pass (AF_UNIX) */
  void (*done)(void);            /* after the host's send */
  long (*ctl_out)(struct kernel *k, struct gfd *g, const uint8_t *ctl, size_t len, uint8_t *hdr);
  size_t (*ctl_in)(struct kernel *k, struct gfd *g, const uint8_t *hdr, uint8_t *gctl, size_t room, int32_t *flags);
};
/* sendmsg/recvmsg through the bounce buffer, the guest's msghdr already
 * read (sock_msg: a receive updates m for the caller to copy back) or at
 * umsg (sock_msghdr).  nm NULL: AF_UNIX (SCM_RIGHTS; sends unaddressed) */
long sock_msg(struct kernel *k, struct gfd *g, bool out, struct kmsghdr *m, const struct kiov *iov, size_t niov,
              int flags, const struct sock_names *nm);
long sock_msghdr(struct kernel *k, struct gfd *g, bool out, uint64_t umsg, int flags, const struct sock_names *nm);
/* sendto/recvfrom (a[] as the syscall's) through sock_msg; *namelen out
 * for a receive's address */
long sock_xfer_to(struct kernel *k, struct gfd *g, bool out, const uint64_t a[6], int flags,
                  const struct sock_names *nm);
/* sys_inet.c: AF_INET/AF_INET6 among the run's guests (host AF_UNIX
 * sockets underneath).  inet_socket: socket(2) for those families;
 * inet_call: the socket calls on such a socket (*handled false: not one,
 * or a call left to sys_socket.c's host path) */
long inet_socket(struct kernel *k, int fam, int type, int proto);
long inet_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* netlink.c: AF_NETLINK (NETLINK_ROUTE) sockets: socket(2); the socket
 * calls on one (*handled false: not one, or a call left to the host
 * socket); what a write on one sent; the interface ioctls of any socket
 * (*handled false: not one of them) */
long nl_socket(struct kernel *k, int type, int proto);
long nl_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
void nl_kick(struct kernel *k, struct gfd *g);
long net_dev_ioctl(struct kernel *k, uint32_t req, uint64_t arg, bool *handled);
/* sys_socket.c: a host send/receive that failed (errno): parked (0) or -errno */
long sock_failed(struct kernel *k, struct gfd *g, bool out, int flags);
/* sys_fspoll.c: poll, ppoll, select, pselect6, the epoll calls */
long fs_sys_poll(struct kernel *k, int nr, const uint64_t a[6]);
/* Read/write through a guest fd with a host buffer (no guest memory):
 * off < 0 means the current position. */
long fs_read_host(struct kernel *k, int fd, void *buf, size_t n, int64_t off);
long fs_write_host(struct kernel *k, int fd, const void *buf, size_t n, int64_t off);
/* EPIPE: SIGPIPE for the writer (send_sig(SIGPIPE, current, 0)) */
void fs_sigpipe(struct kernel *k);
/* Would an operation on this host fd wait?  ready: poll says so now;
 * an O_NONBLOCK file never waits (the host call fails with EAGAIN) */
bool fs_host_would_wait(int hostfd, short events);
/* Partial user copies: the longest prefix that does not fault. */
size_t fs_copy_in_prefix(struct kernel *k, void *dst, uint64_t uva, size_t n);
size_t fs_copy_out_prefix(struct kernel *k, uint64_t uva, const void *src, size_t n);
/* An iovec array from the guest (import_iovec): at most UIO_MAXIOV
 * entries, no negative length; 0 or -errno */
long fs_import_iovec(struct kernel *k, uint64_t uiov, uint64_t cnt, struct kiov *v);
/* more input is ready without blocking (a pseudo file always) */
bool fs_more_ready(struct gfd *g);
/* the path of an eventfd's descriptor (as /proc/self/fd shows it) */
#define EVENTFD_PATH "anon_inode:[eventfd]"
/* sys_fsxfer.c: sendfile, copy_file_range, eventfd, eventfd2 */
long fs_sys_xfer(struct kernel *k, int nr, const uint64_t a[6]);
/* sys_splice.c: splice, tee, vmsplice */
long fs_sys_splice(struct kernel *k, int nr, const uint64_t a[6]);
/* the path of a pidfd's descriptor (as /proc/self/fd shows it) */
#define PIDFD_PATH "anon_inode:[pidfd]"
/* pidfd.c: fstat of a pidfd; another pidfd for the same process (an open
 * of /proc/self/fd/N) */
void pidfd_stat(struct kernel *k, const struct gfd *g, struct stat *st);
int pidfd_reopen(struct kernel *k, const struct gfd *o, int flags, bool cloexec);

/* pty.c, pty_ioctl.c: the pseudo-terminals.  pty_walk: /dev/ptmx, /dev/pts
 * and /dev/pts/<n> in a lookup (1 with r filled, 0 not one, -errno);
 * pty_open: open the node (index as PX_DEV's fd; keep: the file's flags);
 * pty_get/pty_put: a descriptor of an end is copied / released;
 * pty_host_fd: hostfd is one of their wake-up eventfds */
int pty_walk(struct kernel *k, const char *g, bool slash, struct px *r);
long pty_open(struct kernel *k, int index, int flags, int keep, bool cloexec);
void pty_get(struct gfd *g);
int pty_node(const struct gfd *g);   /* what open reaches it again: -1 /dev/ptmx, the slave's index */
void pty_put(struct gfd *g);
bool pty_host_fd(struct kernel *k, int hostfd);
void pty_stat(struct kernel *k, const struct gfd *g, struct stat *st);
void pty_path_stat(struct kernel *k, int index, struct stat *st);
long pty_read(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt);
long pty_write(struct kernel *k, struct gfd *g, const struct kiov *iov, int cnt);
long pty_ioctl(struct kernel *k, struct gfd *g, uint32_t req, uint64_t arg);
/* the poll mask now, and the host fds a parked poll waits on (-1: none) */
short pty_poll(struct gfd *g, short events, int *in_fd, int *out_fd);

#endif
