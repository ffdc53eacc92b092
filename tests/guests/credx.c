/* Credentials and scheduling attributes: setgroups/getgroups, the
 * set*uid rules (the saved-uid dance, no way back after dropping all),
 * setfsuid, permission checks after dropping root (a 0600 file, chown,
 * kill, SysV shm, setpriority), root's chown, execve's EACCES/ENOEXEC, and
 * the sched_* calls.  Prints only results and errno names: output must
 * equal the native run's (the suite runs as root; as another user it says
 * so and stops). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534
/* musl's wrappers of these are ENOSYS stubs: the raw calls */
#define sched_setscheduler(p, pol, sp) syscall(SYS_sched_setscheduler, p, pol, sp)
#define sched_getscheduler(p) syscall(SYS_sched_getscheduler, p)
#define sched_setparam(p, sp) syscall(SYS_sched_setparam, p, sp)
#define sched_getparam(p, sp) syscall(SYS_sched_getparam, p, sp)

static const char *en(int e) {
  switch (e) {
  case 0: return "ok";
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case EINVAL: return "EINVAL";
  case ESRCH: return "ESRCH";
  case ENOEXEC: return "ENOEXEC";
  case ENOENT: return "ENOENT";
  case EFAULT: return "EFAULT";
  default: return strerror(e);
  }
}
/* "ret errno" of a call that returns -1 on error */
#define R(name, call) do { errno = 0; long r_ = (long)(call); \
    printf("%s: %s\n", name, r_ == -1 ? en(errno) : r_ >= 0 ? "ok" : "?"); } while (0)
#define V(name, call) do { errno = 0; long r_ = (long)(call); \
    if (r_ == -1) printf("%s: %s\n", name, en(errno)); else printf("%s: %ld\n", name, r_); } while (0)

static char secret[64], plain[64], script[64];
static int shm600, shm604;

static void status_lines(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Groups:", 7) ||
        !strncmp(line, "CapEff:", 7) || !strncmp(line, "CapPrm:", 7))
      fputs(line, stdout);
  if (f) fclose(f);
}

static void wait_child(pid_t p) {
  int st;
  waitpid(p, &st, 0);
  printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* a child that gives up root step by step */
static void dropper(void) {
  /* the saved-uid dance: euid away and back */
  R("setresuid(-1,nobody,-1)", setresuid(-1, NOBODY, -1));
  printf("euid dropped %d\n", geteuid() == NOBODY && getuid() == 0);
  R("open 0600 as euid nobody", open(secret, O_RDONLY));
  R("setresuid(-1,0,-1)", setresuid(-1, 0, -1));
  int fd = open(secret, O_RDONLY);
  printf("open 0600 as root again: %s\n", fd >= 0 ? "ok" : en(errno));
  if (fd >= 0) close(fd);
  /* setfsuid: file access follows the fs uid */
  V("setfsuid(nobody) old", setfsuid(NOBODY));
  R("open 0600 as fsuid nobody", open(secret, O_RDONLY));
  V("setfsuid(0) old", setfsuid(0));
  fd = open(secret, O_RDONLY);
  printf("open 0600 as fsuid 0: %s\n", fd >= 0 ? "ok" : en(errno));
  if (fd >= 0) close(fd);
  /* all the way down */
  R("setgroups(0)", setgroups(0, NULL));
  R("setresgid(nobody x3)", setresgid(NOBODY, NOBODY, NOBODY));
  R("setresuid(nobody x3)", setresuid(NOBODY, NOBODY, NOBODY));
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("all nobody %d\n", r == NOBODY && e == NOBODY && s == NOBODY);
  status_lines();
  R("setresuid(0,0,0)", setresuid(0, 0, 0));
  R("setuid(0)", setuid(0));
  R("setreuid(-1,0)", setreuid(-1, 0));
  R("seteuid(nobody)", seteuid(NOBODY));
  R("setgid(0)", setgid(0));
  gid_t g = 0;
  R("setgroups as nobody", setgroups(1, &g));
  V("setfsuid(0) as nobody old", setfsuid(0));
  V("setfsuid(-1) query", setfsuid(-1));
  R("open 0600", open(secret, O_RDONLY));
  R("access 0600", access(secret, R_OK));
  R("chown", chown(plain, NOBODY, NOBODY));
  R("kill parent", kill(getppid(), 0));
  R("kill self", kill(getpid(), 0));
  key_t key = (key_t)(0x43520000 | (getppid() & 0xffff));
  R("shmget 0600 rw", shmget(key, 4096, 0600));
  V("shmget 0600 no mode", shmget(key, 4096, 0) == shm600);
  R("shmat 0600 ro", (long)shmat(shm600, NULL, SHM_RDONLY));
  void *p = shmat(shm604, NULL, SHM_RDONLY);
  printf("shmat 0604 ro: %s\n", p != (void *)-1 ? "ok" : en(errno));
  R("shmat 0604 rw", (long)shmat(shm604, NULL, 0));
  struct shmid_ds ds;
  R("shmctl IPC_STAT 0600", shmctl(shm600, IPC_STAT, &ds));
  R("shmctl IPC_RMID", shmctl(shm600, IPC_RMID, NULL));
  R("setpriority 10", setpriority(PRIO_PROCESS, 0, 10));
  V("getpriority", getpriority(PRIO_PROCESS, 0));
  R("setpriority 5 (lower)", setpriority(PRIO_PROCESS, 0, 5));
  R("setpriority parent", setpriority(PRIO_PROCESS, getppid(), 19));
  struct sched_param sp = {.sched_priority = 1};
  R("sched FIFO as nobody", sched_setscheduler(0, SCHED_FIFO, &sp));
  sp.sched_priority = 0;
  R("sched BATCH as nobody", sched_setscheduler(0, SCHED_BATCH, &sp));
  V("getscheduler", sched_getscheduler(0));
  R("sched parent", sched_setscheduler(getppid(), SCHED_BATCH, &sp));
  cpu_set_t cs;
  CPU_ZERO(&cs);
  CPU_SET(0, &cs);
  R("setaffinity parent", sched_setaffinity(getppid(), sizeof cs, &cs));
  char *av[] = {plain, NULL};
  R("execve 0644 as nobody", execve(plain, av, NULL));
  fflush(stdout);
  _exit(0);
}

/* scheduling attributes as root, in a child (the parent keeps its own) */
static void sched_child(void) {
  R("setpriority 7", setpriority(PRIO_PROCESS, 0, 7));
  V("getpriority", getpriority(PRIO_PROCESS, 0));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) { V("inherited nice", getpriority(PRIO_PROCESS, 0)); fflush(stdout); _exit(0); }
  wait_child(c);
  R("setpriority -5 as root", setpriority(PRIO_PROCESS, 0, -5));
  V("getpriority", getpriority(PRIO_PROCESS, 0));
  R("setpriority 50 (clamped)", setpriority(PRIO_PROCESS, 0, 50));
  V("getpriority", getpriority(PRIO_PROCESS, 0));
  V("raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
  struct sched_param sp = {.sched_priority = 0};
  R("sched BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
  V("getscheduler", sched_getscheduler(0));
  R("sched IDLE", sched_setscheduler(0, SCHED_IDLE, &sp));
  V("getscheduler", sched_getscheduler(0));
  R("setparam 0", sched_setparam(0, &sp));
  sp.sched_priority = 10;
  R("setparam 10 (IDLE)", sched_setparam(0, &sp));
  R("sched FIFO 10", sched_setscheduler(0, SCHED_FIFO, &sp));
  V("getscheduler", sched_getscheduler(0));
  sp.sched_priority = -1;
  V("getparam", sched_getparam(0, &sp) ? -1 : sp.sched_priority);
  struct timespec ts = {1, 1};
  R("rr_interval FIFO", sched_rr_get_interval(0, &ts));
  printf("FIFO slice zero %d\n", ts.tv_sec == 0 && ts.tv_nsec == 0);
  sp.sched_priority = 99;
  R("sched RR 99", sched_setscheduler(0, SCHED_RR, &sp));
  R("rr_interval RR", sched_rr_get_interval(0, &ts));
  printf("RR slice %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
  sp.sched_priority = 100;
  R("setparam 100", sched_setparam(0, &sp));
  sp.sched_priority = 0;
  R("sched OTHER", sched_setscheduler(0, SCHED_OTHER, &sp));
  V("getscheduler", sched_getscheduler(0));
  cpu_set_t cs;
  CPU_ZERO(&cs);
  CPU_SET(0, &cs);
  R("setaffinity {0}", sched_setaffinity(0, sizeof cs, &cs));
  fflush(stdout);
  _exit(0);
}

int main(void) {
  if (getuid() != 0) { printf("skip: not root\n"); return 0; }
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("root: %d\n", r == 0 && e == 0 && s == 0);

  /* supplementary groups */
  gid_t orig[256];
  int norig = getgroups(256, orig);
  gid_t set[3] = {30, 10, 20}, got[8];
  R("setgroups 3", setgroups(3, set));
  V("getgroups(0)", getgroups(0, NULL));
  V("getgroups(2)", getgroups(2, got));
  int n = getgroups(8, got);
  printf("groups:");
  for (int i = 0; i < n; i++) printf(" %u", (unsigned)got[i]);
  printf("\n");
  V("setgroups 70000", syscall(SYS_setgroups, 70000, set));
  V("setuid(-1)", syscall(SYS_setuid, -1));
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "Groups:", 7)) fputs(line, stdout);
  if (f) fclose(f);

  /* files: a root-only secret, a plain 0644 file, a script-less text */
  pid_t me = getpid();
  snprintf(secret, sizeof secret, "credx.%d.secret", (int)me);
  snprintf(plain, sizeof plain, "credx.%d.plain", (int)me);
  snprintf(script, sizeof script, "credx.%d.text", (int)me);
  int fd = open(secret, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd >= 0) { write(fd, "x", 1); fchmod(fd, 0600); close(fd); }
  fd = open(plain, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd >= 0) { write(fd, "hello\n", 6); fchmod(fd, 0644); close(fd); }
  fd = open(script, O_CREAT | O_WRONLY | O_TRUNC, 0755);
  if (fd >= 0) { write(fd, "echo hi\n", 8); fchmod(fd, 0755); close(fd); }

  /* SysV shm: 0600 and 0604 segments */
  key_t key = (key_t)(0x43520000 | (me & 0xffff));
  shm600 = shmget(key, 4096, IPC_CREAT | 0600);
  shm604 = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0604);
  printf("shm created %d\n", shm600 >= 0 && shm604 >= 0);

  fflush(stdout);
  pid_t c = fork();
  if (c == 0) dropper();
  wait_child(c);

  /* root: chown passes through to the host */
  R("chown nobody", chown(plain, NOBODY, NOBODY));
  struct stat st;
  stat(plain, &st);
  printf("owned by nobody %d\n", st.st_uid == NOBODY && st.st_gid == NOBODY);
  fd = open(plain, O_RDONLY);
  R("fchown root", fchown(fd, 0, 0));
  close(fd);
  stat(plain, &st);
  printf("owned by root %d\n", st.st_uid == 0 && st.st_gid == 0);
  R("lchown -1 -1", lchown(plain, -1, -1));
  R("fchownat nobody", fchownat(AT_FDCWD, plain, -1, NOBODY, 0));
  stat(plain, &st);
  printf("group nobody %d\n", st.st_gid == NOBODY);

  /* execve */
  char *av[] = {plain, NULL};
  R("execve 0644", execve(plain, av, NULL));
  R("execve dir", execve(".", av, NULL));
  R("execve text 0755", execve(script, av, NULL));
  R("execve missing", execve("credx.missing", av, NULL));

  /* scheduling */
  V("getpriority bad which", getpriority(99, 0));
  V("getpriority no pid", getpriority(PRIO_PROCESS, 999999));
  R("setpriority no pid", setpriority(PRIO_PROCESS, 999999, 0));
  V("max OTHER", sched_get_priority_max(SCHED_OTHER));
  V("min OTHER", sched_get_priority_min(SCHED_OTHER));
  V("max BATCH", sched_get_priority_max(SCHED_BATCH));
  V("max IDLE", sched_get_priority_max(SCHED_IDLE));
  V("max FIFO", sched_get_priority_max(SCHED_FIFO));
  V("min FIFO", sched_get_priority_min(SCHED_FIFO));
  V("max RR", sched_get_priority_max(SCHED_RR));
  V("min RR", sched_get_priority_min(SCHED_RR));
  V("max 42", sched_get_priority_max(42));
  V("min -1", sched_get_priority_min(-1));
  struct sched_param sp = {.sched_priority = 5};
  R("sched OTHER prio 5", sched_setscheduler(0, SCHED_OTHER, &sp));
  sp.sched_priority = 0;
  R("sched policy 42", sched_setscheduler(0, 42, &sp));
  R("sched FIFO prio 0", sched_setscheduler(0, SCHED_FIFO, &sp));
  R("sched no pid", sched_setscheduler(999999, SCHED_OTHER, &sp));
  R("sched pid -1", sched_setscheduler(-1, SCHED_OTHER, &sp));
  R("sched NULL param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
  V("getscheduler -1", sched_getscheduler(-1));
  V("getscheduler no pid", sched_getscheduler(999999));
  R("getparam no pid", sched_getparam(999999, &sp));
  R("getparam NULL", syscall(SYS_sched_getparam, 0, NULL));
  struct timespec ts;
  R("rr_interval self", sched_rr_get_interval(0, &ts));
  R("rr_interval no pid", sched_rr_get_interval(999999, &ts));
  R("rr_interval -1", sched_rr_get_interval(-1, &ts));
  unsigned long mask[16] = {0};
  long ar = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
  printf("getaffinity size ok %d cpu0 %d\n", ar > 0 && ar % 8 == 0, (int)(mask[0] & 1));
  V("getaffinity len 4", syscall(SYS_sched_getaffinity, 0, 4, mask));
  V("getaffinity len 0", syscall(SYS_sched_getaffinity, 0, 0, mask));
  V("getaffinity no pid", syscall(SYS_sched_getaffinity, 999999, sizeof mask, mask));
  memset(mask, 0, sizeof mask);
  V("setaffinity empty", syscall(SYS_sched_setaffinity, 0, sizeof mask, mask));
  mask[0] = 1;
  V("setaffinity no pid", syscall(SYS_sched_setaffinity, 999999, sizeof mask, mask));
  fflush(stdout);
  c = fork();
  if (c == 0) sched_child();
  wait_child(c);

  /* clean up */
  R("shm rmid 0600", shmctl(shm600, IPC_RMID, NULL));
  R("shm rmid 0604", shmctl(shm604, IPC_RMID, NULL));
  unlink(secret);
  unlink(plain);
  unlink(script);
  setgroups(norig > 0 ? (size_t)norig : 0, orig);
  printf("done\n");
  return 0;
}
