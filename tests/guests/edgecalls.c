/* Guest: Linux's answers at the edges of the memory and process calls
 * (what LTP's mmap, mremap, madvise, msync, shm*, memfd_create,
 * process_vm_readv, pipe, sigaction, kill and waitpid tests check):
 * /dev/zero mappings, mmap's error order, MAP_SHARED_VALIDATE, MAP_LOCKED
 * and MAP_POPULATE, madvise/msync on locked memory, MREMAP_FIXED overlap,
 * shmat's SHM_RND/SHM_REMAP, SHM_LOCK, memfd write seals, iovec lengths,
 * a pipe's write end read, SA_RESETHAND keeping flags, the core-dump bit,
 * and wait's option checks.  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096
static const char *en(int e) {
  switch (e) {
  case 0: return "ok";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case EBUSY: return "EBUSY";
  case ENOMEM: return "ENOMEM";
  case ESRCH: return "ESRCH";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case E2BIG: return "E2BIG";
  default: return strerror(e);
  }
}
#define TRY(what, expr) do { errno = 0; long r_ = (long)(expr); \
  printf("%s: %s\n", what, r_ == -1 ? en(errno) : "ok"); } while (0)
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 3
#endif
#ifndef F_SEAL_WRITE
#define F_ADD_SEALS 1033
#define F_SEAL_WRITE 8
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2
#endif

static void h(int s) { (void)s; }
static char cb_stack[4096];

extern char **environ;

static void on_alarm(int s) { (void)s; }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) { printf("execveat ran me: %s\n", argv[1]); return 0; }
  /* /dev/zero: private is anonymous memory, shared is shared across fork */
  int z = open("/dev/zero", O_RDWR);
  char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  printf("/dev/zero private: %s %d\n", p == MAP_FAILED ? en(errno) : "mapped", p != MAP_FAILED ? p[5] : -1);
  char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  if (s != MAP_FAILED) {
    if (fork() == 0) { s[0] = 'c'; _exit(0); }
    wait(NULL);
  }
  printf("/dev/zero shared: %c\n", s != MAP_FAILED ? s[0] : '?');

  /* the error order: offset, fd, length */
  TRY("mmap bad fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0));
  TRY("mmap bad fd, zero length", mmap(NULL, 0, PROT_READ, MAP_PRIVATE, 99, 0));
  TRY("mmap bad fd, unaligned offset", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 5));
  char tmpl[] = "/tmp/edgeXXXXXX";
  int fd = mkstemp(tmpl);
  unlink(tmpl);
  ftruncate(fd, 4 * PG);
  TRY("MAP_SHARED_VALIDATE, unknown flag", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x200000, fd, 0));
  TRY("MAP_SHARED_VALIDATE", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE, fd, 0));

  /* MAP_LOCKED and MAP_POPULATE fault pages in at once */
  char *l = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  unsigned char vec[4];
  mincore(l, 4 * PG, vec);
  printf("MAP_LOCKED resident: %d%d%d%d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  char *pp = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  mincore(pp, 4 * PG, vec);
  printf("MAP_POPULATE resident: %d%d%d%d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  TRY("madvise DONTNEED locked", madvise(l, PG, MADV_DONTNEED));
  char *ls = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  mlock(ls, PG);
  TRY("msync MS_INVALIDATE locked", msync(ls, PG, MS_INVALIDATE));
  munlock(ls, PG);
  TRY("msync MS_INVALIDATE unlocked", msync(ls, PG, MS_INVALIDATE));

  /* MREMAP_FIXED onto an overlapping range: EINVAL, the source intact */
  char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  m[0] = 'm';
  TRY("mremap fixed overlap", mremap(m, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, m + PG));
  printf("source kept: %c\n", m[0]);

  /* shmat: SHM_RND below SHMLBA with SHM_REMAP, NULL with SHM_REMAP */
  int id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
  TRY("shmat SHM_RND|SHM_REMAP at 1", shmat(id, (void *)1, SHM_RND | SHM_REMAP));
  TRY("shmat NULL SHM_REMAP", shmat(id, NULL, SHM_REMAP));
  TRY("SHM_LOCK", shmctl(id, SHM_LOCK, NULL));
  struct shmid_ds ds;
  shmctl(id, IPC_STAT, &ds);
  printf("SHM_LOCKED in mode: %d\n", (ds.shm_perm.mode & 02000) != 0);
  shmctl(id, SHM_UNLOCK, NULL);
  shmctl(id, IPC_STAT, &ds);
  printf("after SHM_UNLOCK: %d\n", (ds.shm_perm.mode & 02000) != 0);
  shmctl(id, IPC_RMID, NULL);

  /* memfd write seals: no new shared writable mapping, none may exist */
  int mf = (int)syscall(SYS_memfd_create, "seal", MFD_ALLOW_SEALING);
  ftruncate(mf, PG);
  char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0);
  TRY("F_SEAL_WRITE with a writable mapping", fcntl(mf, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(w, PG);
  TRY("F_SEAL_WRITE", fcntl(mf, F_ADD_SEALS, F_SEAL_WRITE));
  TRY("mmap shared writable sealed", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0));
  char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, mf, 0);
  printf("mmap shared read-only sealed: %s\n", r == MAP_FAILED ? en(errno) : "ok");
  TRY("mprotect it writable", mprotect(r, PG, PROT_READ | PROT_WRITE));
  TRY("write sealed", write(mf, "x", 1));

  /* process_vm_readv: an iovec length that does not fit ssize_t */
  char buf[16] = "hello", dst[16];
  struct iovec lv = {dst, (size_t)-1}, rv = {buf, 5};
  TRY("process_vm_readv huge iov_len", syscall(SYS_process_vm_readv, getpid(), &lv, 1, &rv, 1, 0));

  /* a pipe's write end cannot be read */
  int pfd[2];
  pipe(pfd);
  char c;
  TRY("read the write end", read(pfd[1], &c, 1));
  TRY("write the read end", write(pfd[0], "x", 1));

  /* SA_RESETHAND resets the handler, not the other flags */
  struct sigaction sa = {.sa_handler = h, .sa_flags = SA_RESETHAND | SA_SIGINFO | SA_RESTART};
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  printf("after SA_RESETHAND: default %d, SA_RESTART kept %d\n", now.sa_handler == SIG_DFL,
         (now.sa_flags & SA_RESTART) != 0);

  /* the core bit: only with RLIMIT_CORE > 0 */
  for (int lim = 0; lim < 2; lim++) {
    pid_t pid = fork();
    if (pid == 0) {
      struct rlimit rl = {lim ? RLIM_INFINITY : 0, RLIM_INFINITY};
      setrlimit(RLIMIT_CORE, &rl);
      abort();
    }
    int st;
    waitpid(pid, &st, 0);
    printf("abort with RLIMIT_CORE %s: signal %d, core %d\n", lim ? "inf" : "0", WTERMSIG(st),
           WCOREDUMP(st) ? 1 : 0);
  }
  struct rlimit rl;
  getrlimit(RLIMIT_CORE, &rl);
  printf("parent RLIMIT_CORE unchanged: %d\n", rl.rlim_cur == 0 || rl.rlim_cur == RLIM_INFINITY);
  rl.rlim_cur = 10;
  rl.rlim_max = 5;
  TRY("setrlimit cur > max", setrlimit(RLIMIT_CORE, &rl));

  /* execveat (fexecve): the file of an fd with AT_EMPTY_PATH */
  int self = open("/proc/self/exe", O_RDONLY);
  if (fork() == 0) {
    char *av[] = {"edgecalls", "empty path", NULL};
    syscall(SYS_execveat, self, "", av, environ, 0x1000 /* AT_EMPTY_PATH */);
    printf("execveat failed: %s\n", en(errno));
    _exit(1);
  }
  wait(NULL);
  TRY("execveat bad flags", syscall(SYS_execveat, self, "x", argv, environ, 0x4));

  /* a shared mapping of a read-only fd never becomes writable; O_PATH
   * descriptors map nothing */
  int ro = open("/proc/self/exe", O_RDONLY);
  char *rom = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
  TRY("mprotect shared read-only fd writable", mprotect(rom, PG, PROT_READ | PROT_WRITE));
  int zro = open("/dev/zero", O_RDONLY);
  char *zm = mmap(NULL, PG, PROT_READ, MAP_SHARED, zro, 0);
  TRY("mprotect shared read-only /dev/zero writable", mprotect(zm, PG, PROT_READ | PROT_WRITE));
  int op = open("/proc/self/exe", O_PATH);
  TRY("mmap an O_PATH fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, op, 0));

  /* mincore of a file mapping: pages another process brought into the
   * page cache count, though this process never touched them */
  char *fm = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
  pid_t rd = fork();
  if (rd == 0) {
    char *cm = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
    volatile char x = cm[2 * PG];
    (void)x;
    _exit(0);
  }
  waitpid(rd, NULL, 0);
  mincore(fm, 4 * PG, vec);
  printf("mincore after another process read page 2: page 2 resident %d\n", vec[2] & 1);

  /* kill of an exited child not yet reaped: it still exists */
  pid_t zk = fork();
  if (zk == 0) _exit(0);
  usleep(100000);
  TRY("kill a zombie", kill(zk, SIGTERM));
  waitpid(zk, NULL, 0);
  TRY("kill it after the wait", kill(zk, SIGTERM));

  /* SHM_INFO counts the segments in use */
  int sid = shmget(IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600);
  struct shm_info sinfo;
  int top = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
  printf("SHM_INFO: top %d, used_ids >= 1 %d, pages >= 3 %d\n", top >= 0, sinfo.used_ids >= 1, sinfo.shm_tot >= 3);
  shmctl(sid, IPC_RMID, NULL);

  /* process_vm_readv needs the target's ids (or CAP_SYS_PTRACE) */
  if (getuid() == 0) {
    pid_t parent = getpid();
    pid_t pv = fork();
    if (pv == 0) {
      if (setuid(65534)) _exit(2);
      char d2[8];
      struct iovec l2 = {d2, 5}, r2 = {buf, 5};
      long r = syscall(SYS_process_vm_readv, parent, &l2, 1, &r2, 1, 0);
      _exit(r == -1 && errno == EPERM ? 0 : 1);
    }
    int pst;
    waitpid(pv, &pst, 0);
    printf("process_vm_readv of root's process as nobody: %s\n", WEXITSTATUS(pst) == 0 ? "EPERM" : "other");
  } else printf("process_vm_readv of root's process as nobody: EPERM\n");

  /* prctl: the task's name, dumpable, the bounding set */
  char nm[16] = {0};
  prctl(PR_SET_NAME, "renamed-task-longer-than-15");
  prctl(PR_GET_NAME, nm);
  printf("PR_GET_NAME: %s\n", nm);
  FILE *cf = fopen("/proc/self/comm", "r");
  char cm[32] = {0};
  if (cf) { fgets(cm, sizeof cm, cf); fclose(cf); }
  printf("/proc/self/comm: %s", cm);
  printf("PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE));
  TRY("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2));
  printf("PR_CAPBSET_READ CAP_CHOWN: %d\n", prctl(PR_CAPBSET_READ, 0));
  TRY("PR_CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99));

  /* clocks: the monotonic clock cannot be set; a process CPU clock id */
  struct timespec ts = {1, 0};
  TRY("clock_settime CLOCK_MONOTONIC", clock_settime(CLOCK_MONOTONIC, &ts));
  clockid_t cid;
  clock_getcpuclockid(0, &cid);
  TRY("clock_gettime of my CPU clock id", clock_gettime(cid, &ts));
  TRY("clock_gettime of a bad clock id", clock_gettime((clockid_t)-5, &ts));

  /* "#!" scripts: the interpreter runs with [interp, arg, script, args] */
  {
    const char *scripts[][2] = {
      {"sc_plain", "#!/bin/sh\nexit 47\n"},
      {"sc_arg", "#! /bin/sh -e  \nfalse\nexit 3\n"},
      {"sc_nested", "#!./sc_plain\n"},
      {"sc_empty", "#!\n"},
      {"sc_noexec", "#!/bin/sh\nexit 0\n"},
    };
    for (unsigned i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
      int sf = open(scripts[i][0], O_WRONLY | O_CREAT | O_TRUNC, i == 4 ? 0644 : 0755);
      write(sf, scripts[i][1], strlen(scripts[i][1]));
      close(sf);
      pid_t sp = fork();
      if (sp == 0) {
        char path[64];
        snprintf(path, sizeof path, "./%s", scripts[i][0]);
        char *av[] = {path, NULL};
        execv(path, av);
        _exit(100 + errno);
      }
      int sst;
      waitpid(sp, &sst, 0);
      int code = WEXITSTATUS(sst);
      printf("exec %s: %s %d\n", scripts[i][0], code >= 100 ? "errno" : "exit",
             code >= 100 ? code - 100 : code);
    }
    for (unsigned i = 0; i < sizeof scripts / sizeof scripts[0]; i++) unlink(scripts[i][0]);
  }

  /* exec of a file open for writing: ETXTBSY */
  {
    int src = open("/proc/self/exe", O_RDONLY);
    int dst = open("etxtbsy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char cb[65536];
    ssize_t n;
    while ((n = read(src, cb, sizeof cb)) > 0) write(dst, cb, (size_t)n);
    close(src);
    pid_t ep = fork();
    if (ep == 0) {
      char *av[] = {"etxtbsy", "from a busy file", NULL};
      execv("./etxtbsy", av);
      _exit(100 + errno);
    }
    int est;
    waitpid(ep, &est, 0);
    printf("exec while open for writing: %s\n", WEXITSTATUS(est) == 100 + ETXTBSY ? "ETXTBSY" : "other");
    close(dst);
    unlink("etxtbsy");
  }

  /* clone3's argument checks */
  {
    uint64_t ca[12] = {0};
    ca[4] = SIGCHLD;
    TRY("clone3 size 63", syscall(SYS_clone3, ca, 63));
    ca[11] = 1;
    TRY("clone3 larger struct, nonzero tail", syscall(SYS_clone3, ca, 96));
    ca[11] = 0;
    ca[4] = 0x100;
    TRY("clone3 exit_signal 256", syscall(SYS_clone3, ca, 88));
    ca[4] = SIGCHLD;
    ca[5] = (uint64_t)(uintptr_t)cb_stack;
    TRY("clone3 stack without size", syscall(SYS_clone3, ca, 88));
    ca[5] = 0;
    ca[6] = 4096;
    TRY("clone3 size without stack", syscall(SYS_clone3, ca, 88));
    ca[6] = 0;
    ca[0] = 0x200 | 0x20000;
    TRY("clone3 CLONE_FS|CLONE_NEWNS", syscall(SYS_clone3, ca, 88));
  }

  /* wait's checks */
  TRY("waitpid bad options", waitpid(-1, NULL, 0x1000));
  TRY("waitpid INT_MIN", waitpid(INT_MIN, NULL, 0));
  siginfo_t si;
  TRY("waitid without WEXITED", waitid(P_ALL, 0, &si, WNOHANG));
  /* clock_nanosleep on a clock without nsleep: EOPNOTSUPP; an interrupted
   * nanosleep whose time-left pointer is bad: EFAULT (nanosleep_copyout) */
  struct timespec tiny = {0, 1000}, ten = {10, 0};
  TRY("clock_nanosleep THREAD_CPUTIME", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &tiny, NULL));
  TRY("clock_nanosleep MONOTONIC_COARSE", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &tiny, NULL));
  TRY("clock_nanosleep clock 99", syscall(SYS_clock_nanosleep, 99, 0, &tiny, NULL));
  struct sigaction al = {0};
  al.sa_handler = on_alarm;
  sigaction(SIGALRM, &al, NULL);
  struct itimerval it = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  TRY("nanosleep interrupted, bad rem", syscall(SYS_nanosleep, &ten, (void *)8));
  return 0;
}
