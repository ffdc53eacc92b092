/* /proc/sys limits: reads, writes with Linux's parser and ranges
 * (proc_dointvec_minmax / proc_doulongvec_minmax), permissions, and the
 * enforcement of a changed value; /proc/config.gz.
 *
 * With no argument it runs natively too, as root on the host: there it
 * changes only what is harmless for a moment (shmmax and shmall lowered
 * to 1 GiB, drop_caches 4, shmmni raised) and restores every value it
 * changed.  "change" (faultline only, tests/guests/sysctlx.sh) lowers the
 * limits whose change would disturb the host: shmmni, max_map_count,
 * pid_max, and asks for huge pages. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *en(int e) {
  switch (e) {
  case 0: return "ok";
  case EINVAL: return "EINVAL";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case ENOSPC: return "ENOSPC";
  case ENOMEM: return "ENOMEM";
  case EAGAIN: return "EAGAIN";
  case ENOENT: return "ENOENT";
  default: return "other";
  }
}

static char cur[64];

/* the file's value as text without the newline ("" if unreadable) */
static const char *get(const char *path) {
  cur[0] = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return cur;
  ssize_t n = read(fd, cur, sizeof cur - 1);
  close(fd);
  cur[n > 0 ? n : 0] = 0;
  char *nl = strchr(cur, '\n');
  if (nl) *nl = 0;
  return cur;
}

/* one write(2) of s: its result, or -errno */
static long put(const char *path, const char *s, size_t n) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -errno;
  long r = write(fd, s, n);
  if (r < 0) r = -errno;
  close(fd);
  return r;
}
static long puts_(const char *path, const char *s) { return put(path, s, strlen(s)); }
static const char *res(long r) { return r < 0 ? en((int)-r) : "ok"; }

static int isnum(const char *s) {
  if (!*s) return 0;
  for (; *s; s++) if (*s < '0' || *s > '9') return 0;
  return 1;
}

/* writes that change nothing: the value itself in several spellings, and
 * bad or out-of-range values Linux refuses with EINVAL */
static void spellings(const char *name, const char *path, const char *const bad[]) {
  char save[64], b[96];
  snprintf(save, sizeof save, "%s", get(path));
  printf("%s: a number: %s\n", name, isnum(save) ? "yes" : "no");
  snprintf(b, sizeof b, "%s\n", save);
  printf("%s: same value with newline: %s\n", name, res(puts_(path, b)));
  snprintf(b, sizeof b, "  \t%s", save);
  printf("%s: same value after blanks: %s\n", name, res(puts_(path, b)));
  snprintf(b, sizeof b, "%s \n\n", save);
  long r = puts_(path, b);
  printf("%s: trailing blanks taken: %s\n", name, r == (long)strlen(b) ? "all" : res(r));
  snprintf(b, sizeof b, "0x%llx", strtoull(save, NULL, 10));
  printf("%s: same value in hex: %s\n", name, res(puts_(path, b)));
  snprintf(b, sizeof b, "%s 7 junk", save);
  r = puts_(path, b);
  printf("%s: value then more: took %ld bytes past the value\n", name, r < 0 ? r : r - (long)strlen(save));
  printf("%s: zero-length write: %s\n", name, res(put(path, "", 0)));
  for (int i = 0; bad[i]; i++) printf("%s: write \"%s\": %s\n", name, bad[i], res(puts_(path, bad[i])));
  printf("%s: unchanged: %s\n", name, strcmp(get(path), save) ? "no" : "yes");
  if (strcmp(cur, save)) puts_(path, save);
}

/* as user nobody in a child: open for writing, and write through a
 * descriptor root opened */
static void as_nobody(const char *path) {
  int fd = open(path, O_WRONLY);
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) || setuid(65534)) _exit(9);
    int w = open(path, O_WRONLY);
    printf("nobody: open %s for writing: %s\n", path, w < 0 ? en(errno) : "ok");
    int rd = open(path, O_RDONLY);
    printf("nobody: open %s for reading: %s\n", path, rd < 0 ? en(errno) : "ok");
    char v[64];
    snprintf(v, sizeof v, "%s", get(path));
    long r = fd >= 0 ? write(fd, v, strlen(v)) : -1;
    printf("nobody: write through root's descriptor: %s\n", r < 0 ? en(errno) : "ok");
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  if (fd >= 0) close(fd);
}

static void shm_limits(void) {
  const char *mx = "/proc/sys/kernel/shmmax", *al = "/proc/sys/kernel/shmall";
  const unsigned long long gib = 1ull << 30;
  char save[64];
  snprintf(save, sizeof save, "%s", get(mx));
  int lowered = strtoull(save, NULL, 10) > gib;
  char v[32];
  snprintf(v, sizeof v, "%llu", gib);
  if (lowered) puts_(mx, v);
  printf("shmmax now 1 GiB: %s\n", strcmp(get(mx), v) ? "no" : "yes");
  int id = shmget(IPC_PRIVATE, gib + 1, IPC_CREAT | 0600);
  printf("shmget past shmmax: %s\n", id < 0 ? en(errno) : "ok");
  id = shmget(IPC_PRIVATE, gib, IPC_CREAT | 0600);
  printf("shmget at shmmax: %s\n", id < 0 ? en(errno) : "ok");
  if (id >= 0) shmctl(id, IPC_RMID, NULL);
  struct shminfo si;
  shmctl(0, IPC_INFO, (struct shmid_ds *)(void *)&si);
  printf("IPC_INFO shmmax is 1 GiB: %s\n", si.shmmax == gib ? "yes" : "no");
  if (lowered) puts_(mx, save);
  printf("shmmax restored: %s\n", strcmp(get(mx), save) ? "no" : "yes");

  snprintf(save, sizeof save, "%s", get(al));
  lowered = strtoull(save, NULL, 10) > gib / 4096;
  snprintf(v, sizeof v, "%llu", gib / 4096);
  if (lowered) puts_(al, v);
  id = shmget(IPC_PRIVATE, 2 * gib, IPC_CREAT | 0600);
  printf("shmget past shmall: %s\n", id < 0 ? en(errno) : "ok");
  if (id >= 0) shmctl(id, IPC_RMID, NULL);
  if (lowered) puts_(al, save);
  printf("shmall restored: %s\n", strcmp(get(al), save) ? "no" : "yes");
}

/* sysctl_writes_strict: a number written past position 0 is ignored */
static void second_write(void) {
  const char *p = "/proc/sys/kernel/shmmni";
  char save[64];
  snprintf(save, sizeof save, "%s", get(p));
  int fd = open(p, O_WRONLY);
  long a = write(fd, save, strlen(save));
  long b = write(fd, "32768", 5);      /* raising shmmni would be harmless anyway */
  close(fd);
  printf("shmmni: second write on one descriptor: %s, %s, value kept: %s\n", a == (long)strlen(save) ? "ok" : "short",
         b == 5 ? "ok" : res(b < 0 ? -errno : b), strcmp(get(p), save) ? "no" : "yes");
  if (strcmp(cur, save)) puts_(p, save);
  /* raised by one (harmless): IPC_INFO reports it as shmmni and shmseg */
  char up[32];
  snprintf(up, sizeof up, "%d", atoi(save) + 1);
  puts_(p, up);
  struct shminfo si;
  shmctl(0, IPC_INFO, (struct shmid_ds *)(void *)&si);
  printf("shmmni raised by one: IPC_INFO shmmni %s, shmseg %s\n", (long)si.shmmni == atoi(save) + 1 ? "follows" : "stays",
         (long)si.shmseg == atoi(save) + 1 ? "follows" : "stays");
  puts_(p, save);
  fd = open(p, O_WRONLY);
  b = pwrite(fd, "32768", 5, 3);
  close(fd);
  printf("shmmni: pwrite at offset 3: %s, value kept: %s\n", b == 5 ? "ok" : res(-errno), strcmp(get(p), save) ? "no" : "yes");
  if (strcmp(cur, save)) puts_(p, save);
}

static void config_gz(void) {
  int fd = open("/proc/config.gz", O_RDONLY);
  unsigned char m[2] = {0, 0};
  printf("/proc/config.gz: open %s, gzip magic: %s\n", fd < 0 ? en(errno) : "ok",
         fd >= 0 && read(fd, m, 2) == 2 && m[0] == 0x1f && m[1] == 0x8b ? "yes" : "no");
  struct stat st;
  if (fd >= 0 && !fstat(fd, &st))
    printf("/proc/config.gz: regular, mode %o, size known: %s\n", (unsigned)(st.st_mode & 07777),
           S_ISREG(st.st_mode) && st.st_size > 20 ? "yes" : "no");
  if (fd >= 0) close(fd);
}

/* ---- faultline only ---- */

/* the mappings vm.max_map_count counts: the maps lines but [vsyscall]
 * (read without stdio: at the limit even malloc cannot map) */
static int count_maps(void) {
  static char buf[1 << 16];
  int fd = open("/proc/self/maps", O_RDONLY), n = 0;
  size_t len = 0;
  ssize_t r;
  while ((r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
    len += (size_t)r;
    buf[len] = 0;
    char *nl;
    while ((nl = memchr(buf, '\n', len))) {
      *nl = 0;
      if (!strstr(buf, "[vsyscall]")) n++;
      len -= (size_t)(nl + 1 - buf);
      memmove(buf, nl + 1, len);
    }
  }
  close(fd);
  return n;
}

static void map_count(void) {
  const char *p = "/proc/sys/vm/max_map_count";
  char save[64], v[32];
  snprintf(save, sizeof save, "%s", get(p));
  /* a 3-page mapping to split later, then the limit just above what we have */
  char *three = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int have = count_maps(), lim = have + 8;
  snprintf(v, sizeof v, "%d", lim);
  printf("max_map_count lowered: %s\n", res(puts_(p, v)));
  /* shared anonymous pages never merge: each is one more mapping */
  int made = 0;
  while (mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) made++;
  int e = errno;
  printf("mmap stops with %s once the count passes the limit: %s\n", en(e), count_maps() == lim + 1 ? "yes" : "no");
  printf("mprotect splitting a mapping: %s\n", mprotect(three + 4096, 4096, PROT_READ) ? en(errno) : "ok");
  printf("munmap splitting a mapping: %s\n", munmap(three + 4096, 4096) ? en(errno) : "ok");
  printf("munmap of a whole mapping: %s\n", munmap(three, 3 * 4096) ? en(errno) : "ok");
  puts_(p, save);
  printf("max_map_count restored: %s\n", strcmp(get(p), save) ? "no" : "yes");
  printf("mmap after restoring: %s\n", mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? en(errno) : "ok");
}

static void shm_count(void) {
  const char *p = "/proc/sys/kernel/shmmni";
  char save[64];
  snprintf(save, sizeof save, "%s", get(p));
  int a = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  puts_(p, "1");
  int b = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  printf("shmget past shmmni: %s\n", b < 0 ? en(errno) : "ok");
  shmctl(a, IPC_RMID, NULL);
  b = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  printf("shmget after a removal: %s\n", b < 0 ? en(errno) : "ok");
  shmctl(b, IPC_RMID, NULL);
  puts_(p, save);
  printf("shmmni restored: %s\n", strcmp(get(p), save) ? "no" : "yes");
}

/* fork a child that waits for SIGKILL; its pid or -errno */
static pid_t spawn(void) {
  pid_t c = fork();
  if (c == 0) { pause(); _exit(0); }
  return c < 0 ? -errno : c;
}

static void pids(void) {
  const char *p = "/proc/sys/kernel/pid_max";
  char save[64];
  snprintf(save, sizeof save, "%s", get(p));
  int me = getpid();
  char v[32];
  snprintf(v, sizeof v, "%d", me + 50);
  printf("pid_max lowered above my pid: %s\n", res(puts_(p, v)));
  pid_t last = 0, wrapped = 0;
  for (int i = 0; i < 100 && !wrapped; i++) {
    pid_t c = fork();
    if (c == 0) _exit(0);
    if (c < 0) break;
    waitpid(c, NULL, 0);
    if (c < last) wrapped = c;
    last = c;
  }
  printf("pids stay below pid_max, then wrap to 300: %s\n", wrapped == 300 && last == 300 ? "yes" : "no");
  pid_t held = spawn();                                     /* 301 */
  printf("held child after the wrap is 301: %s\n", held == 301 ? "yes" : "no");
  printf("pid_max 301 (RESERVED_PIDS + 1): %s\n", res(puts_(p, "301")));
  printf("pid_max 300: %s\n", res(puts_(p, "300")));
  pid_t c = spawn();                                        /* 300 is free again */
  printf("the one pid left is 300: %s\n", c == 300 ? "yes" : "no");
  pid_t d = spawn();
  printf("fork with every pid in use: %s\n", d < 0 ? en(-d) : "ok");
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  d = spawn();
  printf("fork once a pid is free again: %s\n", d == 300 ? "300" : d < 0 ? en(-d) : "other");
  if (d > 0) { kill(d, SIGKILL); waitpid(d, NULL, 0); }
  kill(held, SIGKILL);
  waitpid(held, NULL, 0);
  puts_(p, save);
  printf("pid_max restored: %s\n", strcmp(get(p), save) ? "no" : "yes");
}

static void hugetlb(void) {
  const char *p = "/proc/sys/vm/nr_hugepages";
  const char *w = res(puts_(p, "1"));     /* (written before it is read back) */
  printf("nr_hugepages: write 1: %s, reads %s\n", w, get(p));
  int id = shmget(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);
  printf("shmget SHM_HUGETLB as root: %s\n", id < 0 ? en(errno) : "ok");
  pid_t c = fork();
  if (c == 0) {
    if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) _exit(9);
    int j = shmget(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);
    printf("shmget SHM_HUGETLB as nobody: %s\n", j < 0 ? en(errno) : "ok");
    _exit(0);
  }
  waitpid(c, NULL, 0);
}

static void overcommit(void) {
  const char *p = "/proc/sys/vm/overcommit_memory";
  size_t tib = 1ull << 40;
  void *a = mmap(NULL, tib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("overcommit 0: 1 TiB private mapping: %s\n", a == MAP_FAILED ? en(errno) : "ok");
  printf("overcommit_memory 1: %s\n", res(puts_(p, "1")));
  a = mmap(NULL, tib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("overcommit 1: 1 TiB private mapping: %s\n", a == MAP_FAILED ? en(errno) : "ok");
  if (a != MAP_FAILED) munmap(a, tib);
  printf("overcommit_memory 2: %s\n", res(puts_(p, "2")));
  puts_(p, "0");
  printf("overcommit_memory restored: %s\n", strcmp(get(p), "0") ? "no" : "yes");
}

static char stack[16384];
static int child_fn(void *a) { (void)a; return 0; }

static void namespaces(void) {
  int r = clone(child_fn, stack + sizeof stack, CLONE_NEWPID | SIGCHLD, NULL);
  printf("clone CLONE_NEWPID: %s\n", r < 0 ? en(errno) : "ok");
  if (r > 0) waitpid(r, NULL, 0);
  r = clone(child_fn, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);
  printf("clone CLONE_NEWUSER: %s\n", r < 0 ? en(errno) : "ok");
  if (r > 0) waitpid(r, NULL, 0);
}

/* the host names: sethostname/setdomainname and kernel.hostname/domainname
 * are one value each, uname shows it; 64 bytes at most */
static void uts_names(void) {
  struct utsname u;
  printf("sethostname: %s\n", sethostname("guesthost", 9) ? en(errno) : "ok");
  printf("setdomainname: %s\n", setdomainname("example.org", 11) ? en(errno) : "ok");
  char long_name[65];
  memset(long_name, 'x', sizeof long_name);
  printf("sethostname of 65 bytes: %s\n", sethostname(long_name, 65) ? en(errno) : "ok");
  uname(&u);
  char buf[80] = {0};
  int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
  if (fd >= 0 && read(fd, buf, sizeof buf - 1) < 0) buf[0] = 0;
  if (fd >= 0) close(fd);
  printf("uname %s, /proc/sys/kernel/hostname %s", u.nodename, buf);
  fd = open("/proc/sys/kernel/domainname", O_WRONLY);
  if (fd >= 0 && write(fd, "viaproc\n", 8) != 8) printf("domainname write failed\n");
  if (fd >= 0) close(fd);
  uname(&u);
  printf("uname domainname after a /proc write: %s\n", u.domainname);
  int p[2];
  pipe(p);
  printf("F_SETPIPE_SZ at pipe-max-size: %s\n", fcntl(p[1], F_SETPIPE_SZ, 1048576) < 0 ? en(errno) : "ok");
  close(p[0]);
  close(p[1]);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "change")) {
    shm_count();
    map_count();
    pids();
    hugetlb();
    overcommit();
    namespaces();
    uts_names();
    return 0;
  }
  static const char *const bad_shmmni[] = {"", "\n", "  \n", "abc", "12x", "-1", "32769", "0x", "000000000000000000001", NULL};
  static const char *const bad_pid_max[] = {"300", "4194305", "0x10", "-5", "2147483648", NULL};
  static const char *const bad_mmc[] = {"-1", "2147483648", "1.5", "1,2", NULL};
  static const char *const bad_shmmax[] = {"-1", "18446744073709551616", "--1", "+5", NULL};
  spellings("shmmni", "/proc/sys/kernel/shmmni", bad_shmmni);
  spellings("pid_max", "/proc/sys/kernel/pid_max", bad_pid_max);
  spellings("max_map_count", "/proc/sys/vm/max_map_count", bad_mmc);
  spellings("shmmax", "/proc/sys/kernel/shmmax", bad_shmmax);
  spellings("shmall", "/proc/sys/kernel/shmall", bad_shmmax);
  second_write();
  shm_limits();
  int fd = open("/proc/sys/vm/drop_caches", O_RDONLY);
  printf("drop_caches: open for reading: %s\n", fd < 0 ? en(errno) : "ok");
  if (fd >= 0) close(fd);
  /* 4 only silences drop_caches' log line; 0 is below its range (the
   * top of the range moved after 6.1, so it is not probed) */
  printf("drop_caches: write 4: %s, write 0: %s\n", res(puts_("/proc/sys/vm/drop_caches", "4")),
         res(puts_("/proc/sys/vm/drop_caches", "0")));
  if (geteuid() == 0) as_nobody("/proc/sys/kernel/shmmni");
  config_gz();
  return 0;
}
