/* CONFIG_CHECKPOINT_RESTORE's calls: kcmp(2) on every kind of object
 * between the caller, its threads, fork and clone children (CLONE_VM,
 * CLONE_FS, CLONE_FILES, CLONE_SYSVSEM, CLONE_IO) and a zombie, with its
 * errors (ESRCH, EINVAL, EBADF, EPERM); /proc/sys/kernel/ns_last_pid
 * (a pid given again, and what a pidfd or a /proc/<pid> directory of the
 * old process says then); /proc/sys/kernel/shm_next_id; and who may
 * write them; clone3's set_tid and its errors.  Runs as root (natively too).  kcmp's ordering (1 or 2) is
 * Linux's obfuscated pointers natively, so the output says "same" or
 * "differ" and checks only that the order is consistent; it names no pid
 * or id, so it is the same natively and under faultline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD, KCMP_TYPES };
static const char *const names[] = {"FILE", "VM", "FILES", "FS", "SIGHAND", "IO", "SYSVSEM"};

/* errno's name (musl has no strerrorname_np) */
static const char *ename(int e) {
  static const struct { int e; const char *n; } t[] = {
    {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EBADF, "EBADF"}, {ECHILD, "ECHILD"},
    {EACCES, "EACCES"}, {EEXIST, "EEXIST"}, {EINVAL, "EINVAL"}, {ENOSPC, "ENOSPC"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EFAULT, "EFAULT"}};
  static char buf[16];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) if (t[i].e == e) return t[i].n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
  return syscall(SYS_kcmp, a, b, type, i1, i2);
}

/* "same", "differ" (after checking that the reverse order says the
 * opposite), or the error */
static const char *cmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2) {
  static char buf[64];
  long r = kcmp(a, b, type, i1, i2);
  if (r < 0) { snprintf(buf, sizeof buf, "error %s", ename(errno)); return buf; }
  if (r == 0) return "same";
  long back = kcmp(b, a, type, i2, i1);
  if ((r == 1 && back == 2) || (r == 2 && back == 1)) return "differ";
  snprintf(buf, sizeof buf, "inconsistent %ld/%ld", r, back);
  return buf;
}

static void all(const char *what, pid_t a, pid_t b) {
  printf("%s:", what);
  for (int t = KCMP_VM; t <= KCMP_SYSVSEM; t++) printf(" %s=%s", names[t], cmp(a, b, t, 0, 0));
  printf("\n");
}

static const char *err(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "ok %ld", r);
  else snprintf(buf, sizeof buf, "%s", ename(errno));
  return buf;
}

/* a child that waits on a pipe until told to go */
static int go[2];
static void wait_go(void) {
  char c;
  while (read(go[0], &c, 1) < 0 && errno == EINTR) {}
}
static void release(void) {
  if (write(go[1], "x", 1) != 1) perror("write");
}

static char stack[65536] __attribute__((aligned(16)));
static volatile int clone_fd = -1;
static int clone_child(void *arg) {
  (void)arg;
  clone_fd = open("/dev/null", O_RDONLY);   /* in the shared table */
  if (chdir("/tmp")) _exit(1);              /* in the shared fs_struct */
  char c;
  while (syscall(SYS_read, go[0], &c, 1) < 0) {}
  return 0;
}

static void test_self_and_files(void) {
  pid_t me = getpid();
  all("self", me, me);
  int a = open("/dev/null", O_RDONLY), b = dup(a), c = open("/dev/null", O_RDONLY);
  printf("file dup: %s\n", cmp(me, me, KCMP_FILE, a, b));
  printf("file reopened: %s\n", cmp(me, me, KCMP_FILE, a, c));
  int d = fcntl(a, F_DUPFD_CLOEXEC, 50);
  printf("file F_DUPFD_CLOEXEC: %s\n", cmp(me, me, KCMP_FILE, d, b));
  close(b);
  printf("file closed: %s\n", cmp(me, me, KCMP_FILE, a, b));
  printf("file huge index: %s\n", cmp(me, me, KCMP_FILE, a, (unsigned long)-1));
  close(a);
  close(c);
  close(d);
}

/* SCM_RIGHTS passes the open file itself */
static void send_fd(int sock, int fd) {
  char c = 'f';
  struct iovec iov = {&c, 1};
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  if (sendmsg(sock, &m, 0) != 1) perror("sendmsg");
}
static int recv_fd(int sock) {
  char c;
  struct iovec iov = {&c, 1};
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
  if (recvmsg(sock, &m, 0) != 1) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  int fd = -1;
  if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

static void test_scm_rights(void) {
  pid_t me = getpid();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) { perror("socketpair"); return; }
  int a = open("/dev/null", O_RDONLY);
  send_fd(sv[0], a);
  int b = recv_fd(sv[1]);
  printf("SCM_RIGHTS to itself: %s\n", cmp(me, me, KCMP_FILE, a, b));
  close(b);
  if (pipe(go)) perror("pipe");
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    int mine = open("/dev/null", O_RDONLY);
    send_fd(sv[0], mine);
    if (write(sv[0], &mine, sizeof mine) != sizeof mine) _exit(1);
    wait_go();
    _exit(0);
  }
  int got = recv_fd(sv[1]), theirs = -1;
  if (read(sv[1], &theirs, sizeof theirs) != sizeof theirs) printf("no fd number\n");
  printf("SCM_RIGHTS from a child: %s; not the caller's own: %s\n", cmp(me, p, KCMP_FILE, got, theirs),
         kcmp(me, me, KCMP_FILE, got, a) != 0 ? "yes" : "no");
  release();
  waitpid(p, NULL, 0);
  close(got);
  close(a);
  close(sv[0]);
  close(sv[1]);
  close(go[0]);
  close(go[1]);
}

static void test_errors(void) {
  pid_t me = getpid();
  FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
  int pid_max = 0;
  if (!f || fscanf(f, "%d", &pid_max) != 1) printf("pid_max unreadable\n");
  if (f) fclose(f);
  printf("no such pid: %s\n", err(kcmp(me, pid_max, KCMP_VM, 0, 0)));
  printf("no such pid first: %s\n", err(kcmp(pid_max, me, KCMP_VM, 0, 0)));
  printf("type KCMP_TYPES: %s\n", err(kcmp(me, me, KCMP_TYPES, 0, 0)));
  printf("type -1: %s\n", err(kcmp(me, me, -1, 0, 0)));
  printf("bad pid before bad type: %s\n", err(kcmp(me, pid_max, 99, 0, 0)));
  /* an unprivileged caller may not inspect root's process */
  pid_t p = fork();
  if (p == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(9);
    printf("unprivileged, parent: %s\n", err(kcmp(getppid(), getpid(), KCMP_VM, 0, 0)));
    printf("unprivileged, parent second: %s\n", err(kcmp(getpid(), getppid(), KCMP_VM, 0, 0)));
    printf("unprivileged, itself: %s\n", err(kcmp(getpid(), getpid(), KCMP_VM, 0, 0)));
    printf("unprivileged, bad type on parent: %s\n", err(kcmp(getppid(), getpid(), 99, 0, 0)));
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
}

static void test_fork(void) {
  pid_t me = getpid();
  int keep = open("/dev/null", O_RDONLY);
  if (pipe(go)) perror("pipe");
  int ready[2];
  if (pipe(ready)) perror("pipe");
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    int mine = open("/dev/null", O_RDONLY);
    if (write(ready[1], &mine, sizeof mine) != sizeof mine) _exit(1);
    wait_go();
    _exit(0);
  }
  int mine;
  if (read(ready[0], &mine, sizeof mine) != sizeof mine) printf("no child fd\n");
  all("fork", me, p);
  printf("fork, inherited fd: %s\n", cmp(me, p, KCMP_FILE, keep, keep));
  printf("fork, child's own fd: %s\n", cmp(me, p, KCMP_FILE, keep, mine));
  printf("fork, fd the parent lacks: %s\n", err(kcmp(me, p, KCMP_FILE, mine, mine)));
  release();
  /* a zombie: its address space, table, fs_struct and files are gone */
  siginfo_t si;
  waitid(P_PID, p, &si, WEXITED | WNOWAIT);
  printf("zombie: VM=%s FILES=%s FS=%s SIGHAND=%s FILE=%s\n", cmp(me, p, KCMP_VM, 0, 0),
         cmp(me, p, KCMP_FILES, 0, 0), cmp(me, p, KCMP_FS, 0, 0), cmp(me, p, KCMP_SIGHAND, 0, 0),
         cmp(me, p, KCMP_FILE, keep, keep));
  all("zombie with itself", p, p);
  waitpid(p, NULL, 0);
  printf("reaped: %s\n", err(kcmp(me, p, KCMP_VM, 0, 0)));
  close(keep);
  close(go[0]);
  close(go[1]);
  close(ready[0]);
  close(ready[1]);
}

static void test_clone(void) {
  pid_t me = getpid();
  char before[256], after[256];
  if (!getcwd(before, sizeof before)) strcpy(before, "?");
  if (pipe(go)) perror("pipe");
  fflush(stdout);
  pid_t p = clone(clone_child, stack + sizeof stack,
                  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_IO | SIGCHLD, NULL);
  if (p < 0) { perror("clone"); return; }
  while (clone_fd < 0) sched_yield();
  for (int i = 0; i < 1000; i++) {            /* the child's chdir, seen through the shared fs_struct */
    if (getcwd(after, sizeof after) && strcmp(after, before)) break;
    sched_yield();
  }
  all("clone VM|FS|FILES|SYSVSEM|IO", me, p);
  printf("clone: the child's fd is in the caller's table: %s\n", cmp(me, p, KCMP_FILE, clone_fd, clone_fd));
  printf("clone: the child's chdir moved the caller: %s\n",
         getcwd(after, sizeof after) && !strcmp(after, "/tmp") ? "yes" : "no");
  release();
  waitpid(p, NULL, 0);
  if (chdir(before)) perror("chdir");
  close(clone_fd);
  /* the caller has an undo list now (CLONE_SYSVSEM made it): a fork's
   * child has none */
  p = fork();
  if (p == 0) { wait_go(); _exit(0); }
  printf("fork after CLONE_SYSVSEM: SYSVSEM=%s\n", cmp(me, p, KCMP_SYSVSEM, 0, 0));
  release();
  waitpid(p, NULL, 0);
  close(go[0]);
  close(go[1]);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pid_t thread_tid;
static int thread_done;
static void *thread_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  thread_tid = (pid_t)syscall(SYS_gettid);
  pthread_cond_broadcast(&cv);
  while (!thread_done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void test_thread(void) {
  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_mutex_lock(&mu);
  while (!thread_tid) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  all("thread", getpid(), thread_tid);
  pthread_mutex_lock(&mu);
  thread_done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(th, NULL);
}

/* ---- /proc/sys ---- */
static long read_num(const char *path) {
  char buf[64] = "";
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1000 - errno;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? strtol(buf, NULL, 10) : -2000;
}

static const char *write_str(const char *path, const char *s) {
  static char buf[64];
  int fd = open(path, O_WRONLY);
  if (fd < 0) { snprintf(buf, sizeof buf, "open %s", ename(errno)); return buf; }
  ssize_t n = write(fd, s, strlen(s));
  if (n < 0) snprintf(buf, sizeof buf, "write %s", ename(errno));
  else snprintf(buf, sizeof buf, "wrote %zd", n);
  close(fd);
  return buf;
}

static const char *write_num(const char *path, long v) {
  char s[32];
  snprintf(s, sizeof s, "%ld", v);
  return write_str(path, s);
}

#define LAST_PID "/proc/sys/kernel/ns_last_pid"
#define SHM_NEXT "/proc/sys/kernel/shm_next_id"

static void test_ns_last_pid(void) {
  struct stat st;
  if (stat(LAST_PID, &st)) { printf("no %s\n", LAST_PID); return; }
  printf("ns_last_pid mode %o\n", (unsigned)(st.st_mode & 07777));
  bool last = false;                 /* (natively the host's forks may come between: try again) */
  for (int attempt = 0; attempt < 20 && !last; attempt++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    last = read_num(LAST_PID) == p;
  }
  printf("ns_last_pid after a fork is its pid: %s\n", last ? "yes" : "no");
  long pid_max = read_num("/proc/sys/kernel/pid_max");
  printf("write -1: %s\n", write_num(LAST_PID, -1));
  printf("write pid_max: %s\n", write_num(LAST_PID, pid_max));
  printf("write pid_max+1: %s\n", write_num(LAST_PID, pid_max + 1));
  printf("write junk: %s\n", write_str(LAST_PID, "12x"));
  /* a pid given again: the old process's pidfd and /proc/<pid>
   * directory do not reach the new one (other processes of the host
   * may take the pid first natively: try again) */
  bool reused = false;
  for (int attempt = 0; attempt < 20 && !reused; attempt++) {
    if (pipe(go)) perror("pipe");
    fflush(stdout);
    pid_t old = fork();
    if (old == 0) { wait_go(); _exit(0); }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", old);
    int dirfd = open(path, O_DIRECTORY | O_RDONLY);
    int pidfd = (int)syscall(SYS_pidfd_open, old, 0);
    struct stat old_st;
    fstat(dirfd, &old_st);
    release();
    waitpid(old, NULL, 0);
    const char *w = write_num(LAST_PID, old - 1);
    pid_t again = fork();
    if (again == 0) { wait_go(); _exit(0); }
    if (again == old) {
      reused = true;
      printf("write of pid-1: %s; the next fork got that pid\n", w);
      struct stat new_st, fd_st;
      stat(path, &new_st);
      fstat(dirfd, &fd_st);
      printf("/proc/<pid> is a new inode: %s; the old fd keeps its own: %s\n",
             new_st.st_ino != old_st.st_ino ? "yes" : "no", fd_st.st_ino == old_st.st_ino ? "yes" : "no");
      printf("signal through the old /proc/<pid> fd: %s\n",
             err(syscall(SYS_pidfd_send_signal, dirfd, 0, NULL, 0)));
      printf("signal through the old pidfd: %s\n", err(syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0)));
      siginfo_t si;
      printf("waitid on the old pidfd: %s\n", err(waitid((idtype_t)3 /* P_PIDFD */, (id_t)pidfd, &si,
                                                        WEXITED | WNOHANG)));
      int newfd = (int)syscall(SYS_pidfd_open, again, 0);
      printf("signal 0 through a new pidfd: %s\n", err(syscall(SYS_pidfd_send_signal, newfd, 0, NULL, 0)));
      close(newfd);
    }
    release();
    waitpid(again, NULL, 0);
    close(dirfd);
    close(pidfd);
    close(go[0]);
    close(go[1]);
  }
  if (!reused) printf("the pid was never given again\n");
}

static void test_shm_next_id(void) {
  struct stat st;
  if (stat(SHM_NEXT, &st)) { printf("no %s\n", SHM_NEXT); return; }
  /* (natively its value at the start is the host's: not printed) */
  printf("shm_next_id mode %o\n", (unsigned)(st.st_mode & 07777));
  int want = 5 * 32768 + 12345;
  printf("write: %s", write_num(SHM_NEXT, want));
  printf(", reads back the id: %s\n", read_num(SHM_NEXT) == want ? "yes" : "no");
  int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  printf("shmget got that id: %s", id == want ? "yes" : "no");
  printf("; shm_next_id reads %ld\n", read_num(SHM_NEXT));
  write_num(SHM_NEXT, want);
  int id2 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  printf("the same id again: shmget got id+%d\n", id2 - want);
  /* a lookup of an existing key creates nothing: the id stays set */
  int key = 0x5eed0c4e;
  int k1 = shmget(key, 4096, IPC_CREAT | 0600);
  write_num(SHM_NEXT, want + 7);
  int k2 = shmget(key, 4096, IPC_CREAT | 0600);
  printf("existing key: same segment %s", k1 == k2 ? "yes" : "no");
  printf(", shm_next_id still set: %s\n", read_num(SHM_NEXT) == want + 7 ? "yes" : "no");
  /* a refused shmget (EINVAL size) does not take it either */
  int bad = shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600);
  printf("refused shmget: %s", bad < 0 ? ename(errno) : "created");
  printf(", shm_next_id still set: %s\n", read_num(SHM_NEXT) == want + 7 ? "yes" : "no");
  int id3 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  printf("then a new one gets it: %s\n", id3 == want + 7 ? "yes" : "no");
  printf("write -1: %s\n", write_num(SHM_NEXT, -1));
  printf("write INT_MAX: %s", write_num(SHM_NEXT, 2147483647));
  printf(", reads %ld\n", read_num(SHM_NEXT));
  printf("write INT_MAX+1: %s\n", write_num(SHM_NEXT, 2147483648L));
  shmctl(id, IPC_RMID, NULL);
  shmctl(id2, IPC_RMID, NULL);
  shmctl(k1, IPC_RMID, NULL);
  shmctl(id3, IPC_RMID, NULL);
  write_num(SHM_NEXT, 0);                    /* (leave nothing set: take it) */
  int z = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  shmctl(z, IPC_RMID, NULL);
}

/* without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE (still uid 0), then
 * as another user */
static void test_unprivileged(void) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    struct { uint32_t version; int pid; } h = {0x20080522, 0};
    struct { uint32_t eff, prm, inh; } d[2];
    if (syscall(SYS_capget, &h, d)) _exit(8);
    d[0].eff &= ~(1u << 21);                 /* CAP_SYS_ADMIN */
    d[1].eff &= ~(1u << (40 - 32));          /* CAP_CHECKPOINT_RESTORE */
    if (syscall(SYS_capset, &h, d)) _exit(9);
    printf("root without the caps: ns_last_pid %s", write_num(LAST_PID, 500));
    printf(", shm_next_id %s\n", write_num(SHM_NEXT, 1));
    printf("and reads them: %s", read_num(LAST_PID) > 0 ? "yes" : "no");
    printf(" %s\n", read_num(SHM_NEXT) == -1 ? "yes" : "no");
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(10);
    printf("nobody: ns_last_pid %s", write_num(LAST_PID, 500));
    printf(", shm_next_id %s\n", write_num(SHM_NEXT, 1));
    fflush(stdout);
    _exit(0);
  }
  int s;
  waitpid(p, &s, 0);
  printf("unprivileged child exit %d\n", WIFEXITED(s) ? WEXITSTATUS(s) : -1);
}

/* clone3's set_tid (struct clone_args of CLONE_ARGS_SIZE_VER1) */
struct clone_args1 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size;
};
static long clone3_tid(const int32_t *tids, uint64_t n) {
  struct clone_args1 ca = {.exit_signal = SIGCHLD, .set_tid = (uint64_t)(uintptr_t)tids, .set_tid_size = n};
  fflush(stdout);
  long r = syscall(SYS_clone3, &ca, sizeof ca);
  if (r == 0) _exit(0);
  if (r > 0) waitpid((pid_t)r, NULL, 0);
  return r;
}

static void test_set_tid(void) {
  bool got = false;
  for (int attempt = 0; attempt < 20 && !got; attempt++) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    int32_t t = p;
    long r = clone3_tid(&t, 1);
    got = r == p;
    if (r < 0 && errno != EEXIST) { printf("set_tid of a free pid: %s\n", ename(errno)); break; }
  }
  printf("set_tid of a free pid: %s\n", got ? "the child has it" : "never free");
  int32_t me = getpid();
  printf("set_tid of the caller's pid: %s\n", err(clone3_tid(&me, 1)));
  int32_t zero = 0, neg = -5, two[2] = {me, me};
  printf("set_tid 0: %s\n", err(clone3_tid(&zero, 1)));
  printf("set_tid -5: %s\n", err(clone3_tid(&neg, 1)));
  long pid_max = read_num("/proc/sys/kernel/pid_max");
  int32_t big = (int32_t)pid_max;
  printf("set_tid pid_max: %s\n", err(clone3_tid(&big, 1)));
  printf("set_tid of two levels: %s\n", err(clone3_tid(two, 2)));
  printf("set_tid_size 33: %s\n", err(clone3_tid(two, 33)));
  printf("set_tid NULL, size 1: %s\n", err(clone3_tid(NULL, 1)));
  printf("set_tid, size 0: %s\n", err(clone3_tid(two, 0) > 0 ? 0 : -1));
  printf("set_tid unreadable: %s\n", err(clone3_tid((const int32_t *)8, 1)));
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    struct { uint32_t version; int pid; } h = {0x20080522, 0};
    struct { uint32_t eff, prm, inh; } d[2];
    if (syscall(SYS_capget, &h, d)) _exit(8);
    d[0].eff &= ~(1u << 21);
    d[1].eff &= ~(1u << (40 - 32));
    if (syscall(SYS_capset, &h, d)) _exit(9);
    int32_t self = getpid();
    printf("set_tid without the caps: %s\n", err(clone3_tid(&self, 1)));
    fflush(stdout);
    _exit(0);
  }
  waitpid(p, NULL, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* natively the sysctls are the host's: one run at a time changes them */
  int lock = open("/tmp/faultline-ckptx.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (lock < 0 || flock(lock, LOCK_EX)) perror("lock");
  test_self_and_files();
  test_scm_rights();
  test_errors();
  test_fork();
  test_clone();
  test_ns_last_pid();
  test_shm_next_id();
  test_unprivileged();
  test_set_tid();
  test_thread();
  return 0;
}
