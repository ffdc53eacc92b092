/* User, pid and network namespaces (user_namespaces(7),
 * pid_namespaces(7), network_namespaces(7)): what a process sees in a
 * namespace it made, printed so that a native run (as root) and a run
 * under faultline give the same lines: no pid or inode number is
 * printed, only how they relate.  Each part runs in a child of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
/* clone3's struct clone_args (include/uapi/linux/sched.h, version 2) */
struct cl_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static const char *en(int e) {
  switch (e) {
  case 0: return "ok";
  case EPERM: return "EPERM";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case ESRCH: return "ESRCH";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case ECHILD: return "ECHILD";
  case EUSERS: return "EUSERS";
  case ENOSPC: return "ENOSPC";
  case ENOENT: return "ENOENT";
  case ESPIPE: return "ESPIPE";
  case ENETUNREACH: return "ENETUNREACH";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EADDRINUSE: return "EADDRINUSE";
  default: {
    static char b[32];
    snprintf(b, sizeof b, "errno %d", e);
    return b;
  }
  }
}
#define R(x) ((x) < 0 ? en(errno) : "ok")

static void flush(void) { fflush(stdout); }

/* a file's first line, or an errno name */
static const char *readf(const char *p, char *buf, size_t n) {
  int fd = open(p, O_RDONLY);
  if (fd < 0) return en(errno);
  ssize_t r = read(fd, buf, n - 1);
  close(fd);
  if (r < 0) return en(errno);
  buf[r] = 0;
  char *nl = strchr(buf, '\n');
  if (nl && nl[1] == 0) *nl = 0;
  return buf;
}

static const char *writef(const char *p, const char *s) {
  int fd = open(p, O_WRONLY);
  if (fd < 0) return en(errno);
  ssize_t r = write(fd, s, strlen(s));
  int e = errno;
  close(fd);
  return r < 0 ? en(e) : r == (ssize_t)strlen(s) ? "ok" : "short";
}

static int link_of(const char *p, char *buf, size_t n) {
  ssize_t r = readlink(p, buf, n - 1);
  buf[r < 0 ? 0 : r] = 0;
  return r < 0 ? errno : 0;
}

/* "name:[digits]" */
static int ns_link_ok(const char *s, const char *name) {
  size_t l = strlen(name);
  if (strncmp(s, name, l) || s[l] != ':' || s[l + 1] != '[') return 0;
  const char *p = s + l + 2;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') p++;
  return p[0] == ']' && p[1] == 0;
}

/* NSpid of /proc/self/status: how many numbers, and the last (the
 * task's own namespace's) */
static void nspid(const char *who) {
  char b[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t r = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
  if (fd >= 0) close(fd);
  b[r < 0 ? 0 : r] = 0;
  char *l = strstr(b, "\nNSpid:");
  int n = 0;
  long last = -1;
  if (l) {
    char *p = l + 7, *e;
    for (;;) {
      long v = strtol(p, &e, 10);
      if (e == p) break;
      n++;
      last = v;
      p = e;
      if (*p == '\n') break;
    }
  }
  printf("%s: NSpid has %d numbers, the last %ld\n", who, n, last);
}

static int wait_ok(pid_t p) {
  int st;
  return waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void run(const char *name, void (*fn)(void)) {
  flush();
  pid_t p = fork();
  if (p == 0) {
    fn();
    flush();
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("%s: child ended with status %#x\n", name, st);
}

/* ---- user namespaces ---- */

static void user_own(void) {
  char before[64], after[64], b[256];
  link_of("/proc/self/ns/user", before, sizeof before);
  printf("user link looks like user:[N]: %s\n", ns_link_ok(before, "user") ? "yes" : "no");
  printf("initial uid_map: %s\n", readf("/proc/self/uid_map", b, sizeof b));
  printf("unshare(CLONE_NEWUSER): %s\n", R(unshare(CLONE_NEWUSER)));
  link_of("/proc/self/ns/user", after, sizeof after);
  printf("user link changed: %s\n", strcmp(before, after) ? "yes" : "no");
  printf("unmapped: uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
  struct stat st;
  stat("/proc/self/status", &st);
  printf("unmapped: a root file's owner %d:%d\n", (int)st.st_uid, (int)st.st_gid);
  {
    char s2[4096];
    int f2 = open("/proc/self/status", O_RDONLY);
    ssize_t r2 = read(f2, s2, sizeof s2 - 1);
    close(f2);
    s2[r2 < 0 ? 0 : r2] = 0;
    char *u = strstr(s2, "\nUid:");
    printf("unmapped: status %.*s\n", u ? (int)strcspn(u + 1, "\n") : 0, u ? u + 1 : "");
  }
  printf("uid_map empty: %s\n", *readf("/proc/self/uid_map", b, sizeof b) ? "no" : "yes");
  {
    char s[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t r = read(fd, s, sizeof s - 1);
    close(fd);
    s[r < 0 ? 0 : r] = 0;
    char *c = strstr(s, "CapEff:\t");
    printf("CapEff in the new namespace: %.16s\n", c ? c + 8 : "?");
  }
  printf("setgroups: %s\n", readf("/proc/self/setgroups", b, sizeof b));
  /* bad maps (each refused, so the one write is still to come) */
  printf("uid_map \"0 0\": %s\n", writef("/proc/self/uid_map", "0 0\n"));
  printf("uid_map \"abc\": %s\n", writef("/proc/self/uid_map", "abc\n"));
  printf("uid_map count 0: %s\n", writef("/proc/self/uid_map", "0 0 0\n"));
  printf("uid_map trailing junk: %s\n", writef("/proc/self/uid_map", "0 0 1 x\n"));
  printf("uid_map overlapping lines: %s\n", writef("/proc/self/uid_map", "0 0 1\n0 1 1\n"));
  printf("uid_map of another uid: %s\n", writef("/proc/self/uid_map", "0 5 1\n"));
  printf("uid_map of -1: %s\n", writef("/proc/self/uid_map", "4294967295 0 1\n"));
  {
    static char big[8192];
    memset(big, ' ', 4096);
    big[4096] = 0;
    printf("uid_map of a page: %s\n", writef("/proc/self/uid_map", big));
    size_t l = 0;
    for (int i = 0; i < 341; i++) l += (size_t)snprintf(big + l, sizeof big - l, "%d %d 1\n", i, i);
    printf("uid_map of 341 lines (%zu bytes): %s\n", l, l < 4096 ? writef("/proc/self/uid_map", big) : "too long");
    l = 0;
    for (int i = 0; i < 340; i++) l += (size_t)snprintf(big + l, sizeof big - l, "%d %d 1\n", i, i);
    printf("uid_map of 340 lines of ids it may not map: %s\n", writef("/proc/self/uid_map", big));
  }
  int fd = open("/proc/self/uid_map", O_WRONLY);
  printf("uid_map at offset 1: %s\n", R(pwrite(fd, "0 0 1\n", 6, 1)));
  close(fd);
  printf("gid_map before setgroups deny: %s\n", writef("/proc/self/gid_map", "0 0 1\n"));
  printf("setgroups junk: %s\n", writef("/proc/self/setgroups", "maybe"));
  printf("setgroups deny: %s\n", writef("/proc/self/setgroups", "deny"));
  printf("setgroups allow after deny: %s\n", writef("/proc/self/setgroups", "allow"));
  printf("gid_map after deny: %s\n", writef("/proc/self/gid_map", "0 0 1\n"));
  printf("gid_map again: %s\n", writef("/proc/self/gid_map", "0 0 1\n"));
  printf("setgroups deny after gid_map: %s\n", writef("/proc/self/setgroups", "deny"));
  printf("uid_map own uid: %s\n", writef("/proc/self/uid_map", "0 0 1\n"));
  printf("uid_map again: %s\n", writef("/proc/self/uid_map", "0 0 1\n"));
  printf("uid_map now: [%s]\n", readf("/proc/self/uid_map", b, sizeof b));
  printf("gid_map now: [%s]\n", readf("/proc/self/gid_map", b, sizeof b));
  printf("mapped: uid %d euid %d gid %d\n", (int)getuid(), (int)geteuid(), (int)getgid());
  stat("/proc/self/status", &st);
  printf("mapped: a root file's owner %d:%d\n", (int)st.st_uid, (int)st.st_gid);
  printf("setgroups(0) with setgroups denied: %s\n", R(setgroups(0, NULL)));
  printf("setuid(5), unmapped: %s\n", R(setuid(5)));
  printf("setuid(0): %s\n", R(setuid(0)));
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("getresuid %d %d %d\n", (int)r, (int)e, (int)s);
  /* no capability in the initial namespace: what needs it there fails */
  printf("sethostname in the initial UTS namespace: %s\n", R(sethostname("x", 1)));
  printf("nested unshare(CLONE_NEWUSER): %s\n", R(unshare(CLONE_NEWUSER)));
  printf("nested: uid %d (its parent maps 0 only: unmapped here)\n", (int)getuid());
  int sfd = open("/proc/self/ns/user", O_RDONLY);
  printf("setns into its own user namespace: %s\n", R(setns(sfd, CLONE_NEWUSER)));
  close(sfd);
}

/* the parent (root in the initial namespace) writes a child's maps */
static void user_parent_maps(void) {
  int go[2], done[2];
  if (pipe(go) || pipe(done)) return;
  flush();
  pid_t p = fork();
  if (p == 0) {
    char c, b[256];
    close(go[1]);
    close(done[0]);
    if (unshare(CLONE_NEWUSER)) _exit(1);
    if (write(done[1], "u", 1) != 1) _exit(1);
    if (read(go[0], &c, 1) != 1) _exit(1);
    printf("child: uid %d gid %d\n", (int)getuid(), (int)getgid());
    printf("child: its uid_map [%s]\n", readf("/proc/self/uid_map", b, sizeof b));
    printf("child: setgroups(0): %s\n", R(setgroups(0, NULL)));
    printf("child: setresuid(3, 3, 3): %s\n", R(setresuid(3, 3, 3)));
    printf("child: uid %d euid %d\n", (int)getuid(), (int)geteuid());
    printf("child: setuid(0) back: %s\n", R(setuid(0)));
    flush();
    _exit(0);
  }
  close(go[0]);
  close(done[1]);
  char c, path[64], b[256];
  if (read(done[0], &c, 1) != 1) return;
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)p);
  printf("parent: child's uid_map 0 1000 10: %s\n", writef(path, "0 1000 10\n"));
  printf("parent: again: %s\n", writef(path, "0 1000 10\n"));
  printf("parent: reads [%s]\n", readf(path, b, sizeof b));
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)p);
  printf("parent: child's gid_map 0 2000 5 (setgroups allowed): %s\n", writef(path, "0 2000 5\n"));
  snprintf(path, sizeof path, "/proc/%d/setgroups", (int)p);
  printf("parent: child's setgroups deny after its gid_map: %s\n", writef(path, "deny"));
  flush();
  if (write(go[1], "g", 1) != 1) return;
  printf("child exited 0: %s\n", wait_ok(p) ? "yes" : "no");
}

/* ---- pid namespaces ---- */

static char stack[65536];
static int pipefd[2];

static int ns_init(void *arg) {
  (void)arg;
  printf("init: getpid %d getppid %d\n", (int)getpid(), (int)getppid());
  nspid("init");
  printf("init: kill(1, SIGKILL) from inside: %s\n", R(kill(1, SIGKILL)));
  printf("init: survived it: yes\n");
  printf("init: setpriority(PRIO_PROCESS, 1, 3): %s", R(setpriority(PRIO_PROCESS, 1, 3)));
  printf(", its own nice now %d\n", getpriority(PRIO_PROCESS, 0));
  struct rlimit rl = {64, 64}, got;
  printf("init: prlimit(1, RLIMIT_NOFILE 64): %s", R(prlimit(1, RLIMIT_NOFILE, &rl, NULL)));
  getrlimit(RLIMIT_NOFILE, &got);
  printf(", its own limit now %ld\n", (long)got.rlim_cur);
  flush();
  flush();
  pid_t c = fork();
  if (c == 0) {
    printf("child: getpid %d getppid %d\n", (int)getpid(), (int)getppid());
    nspid("child");
    flush();
    _exit(7);
  }
  int st;
  pid_t w = waitpid(-1, &st, 0);
  printf("init: fork gave %d, wait %d, status %d\n", (int)c, (int)w, WEXITSTATUS(st));
  /* an orphan goes to this init */
  int o[2];
  if (pipe(o)) return 1;
  flush();
  pid_t a = fork();
  if (a == 0) {
    pid_t b = fork();
    if (b == 0) {
      char x;
      close(o[1]);
      if (read(o[0], &x, 1) != 0) _exit(1);       /* until its parent is gone */
      usleep(1000);
      printf("orphan: getppid %d\n", (int)getppid());
      flush();
      _exit(0);
    }
    _exit(0);
  }
  close(o[0]);
  close(o[1]);
  waitpid(a, NULL, 0);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_ALL, 0, &si, WEXITED);
  printf("init: reaped the orphan: %s, its pid %d\n", R(r), (int)si.si_pid);
  /* a process left when init exits is killed: it holds the pipe */
  flush();
  pid_t z = fork();
  if (z == 0) {
    close(pipefd[0]);
    for (;;) pause();
  }
  close(pipefd[1]);
  printf("init: kill of a pid not in the namespace (999999): %s\n",
         R(kill(999999, 0)));
  flush();
  return 3;
}

static void pid_clone(void) {
  if (pipe(pipefd)) return;
  flush();
  pid_t p = clone(ns_init, stack + sizeof stack, CLONE_NEWPID | SIGCHLD, NULL);
  printf("clone(CLONE_NEWPID): %s\n", R(p));
  if (p < 0) return;
  close(pipefd[1]);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_PID, p, &si, WEXITED);
  printf("parent: waitid %s, si_pid is the clone's return: %s, status %d\n", R(r),
         si.si_pid == p ? "yes" : "no", si.si_status);
  char x;
  printf("parent: the namespace's last process was killed (pipe EOF): %s\n",
         read(pipefd[0], &x, 1) == 0 ? "yes" : "no");
}

static void pid_unshare(void) {
  char a[64], b[64];
  pid_t me = getpid();
  printf("unshare(CLONE_NEWPID): %s\n", R(unshare(CLONE_NEWPID)));
  printf("getpid unchanged: %s\n", getpid() == me ? "yes" : "no");
  link_of("/proc/self/ns/pid", a, sizeof a);
  link_of("/proc/self/ns/pid_for_children", b, sizeof b);
  printf("pid link looks like pid:[N]: %s\n", ns_link_ok(a, "pid") ? "yes" : "no");
  printf("pid_for_children before its init exists: %s\n", en(link_of("/proc/self/ns/pid_for_children", b, sizeof b)));
  printf("unshare(CLONE_NEWPID) again: %s\n", R(unshare(CLONE_NEWPID)));
  int hold[2];
  if (pipe(hold)) return;
  flush();
  pid_t c = fork();
  if (c == 0) {
    char x;
    close(hold[1]);
    printf("first child: getpid %d getppid %d\n", (int)getpid(), (int)getppid());
    nspid("first child");
    flush();
    if (read(hold[0], &x, 1) < 0) _exit(1);     /* until the parent has looked */
    pid_t g = fork();
    if (g == 0) _exit(0);
    printf("first child: its child is %d\n", (int)g);
    waitpid(g, NULL, 0);
    flush();
    _exit(0);
  }
  close(hold[0]);
  char a2[64], cp[64];
  snprintf(cp, sizeof cp, "/proc/%d/ns/pid", (int)c);
  link_of(cp, a2, sizeof a2);
  link_of("/proc/self/ns/pid_for_children", b, sizeof b);
  printf("parent: pid_for_children now is the child's pid namespace and not ours: %s\n",
         !strcmp(a2, b) && strcmp(a, b) ? "yes" : "no");
  close(hold[1]);
  printf("parent: fork returned the child's outer pid (not 1): %s\n", c > 1 ? "yes" : "no");
  printf("parent: child ok: %s\n", wait_ok(c) ? "yes" : "no");
  flush();
  c = fork();
  printf("fork after the namespace's init exited: %s\n", c < 0 ? en(errno) : "ok");
  if (c == 0) _exit(0);
  if (c > 0) waitpid(c, NULL, 0);
}

/* CLONE_NEWPID with CLONE_THREAD; clone3's set_tid in a new namespace */
static int nop(void *a) { (void)a; return 0; }
static void pid_flags(void) {
  int r = clone(nop, stack + sizeof stack, CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, NULL);
  printf("clone(CLONE_NEWPID|CLONE_THREAD): %s\n", R(r));
  r = clone(nop, stack + sizeof stack, CLONE_NEWUSER | CLONE_FS | SIGCHLD, NULL);
  printf("clone(CLONE_NEWUSER|CLONE_FS): %s\n", R(r));
  struct cl_args ca;
  memset(&ca, 0, sizeof ca);
  pid_t tid[2] = {1, 0};
  ca.flags = CLONE_NEWPID;
  ca.exit_signal = SIGCHLD;
  ca.set_tid = (uintptr_t)tid;
  ca.set_tid_size = 2;
  flush();
  long p = syscall(SYS_clone3, &ca, sizeof ca);
  printf("clone3 CLONE_NEWPID set_tid {1, 0}: %s\n", p < 0 ? en(errno) : "ok");
  if (p == 0) _exit(0);
  ca.set_tid_size = 3;
  flush();
  p = syscall(SYS_clone3, &ca, sizeof ca);
  printf("clone3 CLONE_NEWPID set_tid of 3 levels: %s\n", p < 0 ? en(errno) : "ok");
  if (p == 0) _exit(0);
  ca.set_tid_size = 1;
  tid[0] = 1;
  flush();
  p = syscall(SYS_clone3, &ca, sizeof ca);
  if (p == 0) { printf("set_tid child: getpid %d\n", (int)getpid()); flush(); _exit(0); }
  printf("clone3 CLONE_NEWPID set_tid {1}: %s\n", p < 0 ? en(errno) : "ok");
  if (p > 0) waitpid((pid_t)p, NULL, 0);
  tid[0] = 2;
  flush();
  p = syscall(SYS_clone3, &ca, sizeof ca);
  printf("clone3 CLONE_NEWPID set_tid {2} (no init yet): %s\n", p < 0 ? en(errno) : "ok");
  if (p == 0) _exit(0);
}

/* ---- network namespaces ---- */

/* a TCP socket bound at 127.0.0.1:port (0: any), listening; its port */
static int tcp_listener(int port, int *fd) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *fd = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(*fd, (struct sockaddr *)&a, sizeof a) || listen(*fd, 4)) return -errno;
  socklen_t l = sizeof a;
  getsockname(*fd, (struct sockaddr *)&a, &l);
  return ntohs(a.sin_port);
}

/* an abstract name of this run's (parallel native runs share the host's) */
static char abs_name[32];
static int abstract_bind(void) {
  struct sockaddr_un u = {.sun_family = AF_UNIX};
  if (!abs_name[0]) snprintf(abs_name, sizeof abs_name, "faultline-nsx-%d", (int)getpid());
  size_t l = strlen(abs_name);
  memcpy(u.sun_path + 1, abs_name, l);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  return bind(fd, (struct sockaddr *)&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + l)) ? -errno : fd;
}

static int held_port, held_fd, abs_fd;

static void net_ns(void) {
  char b[64], a[64], c[64];
  const char *tag = "/proc/sys/net/ipv4/conf/lo/tag";
  snprintf(a, sizeof a, "%s", readf(tag, b, sizeof b));
  link_of("/proc/self/ns/net", b, sizeof b);
  printf("net link looks like net:[N]: %s\n", ns_link_ok(b, "net") ? "yes" : "no");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  ioctl(fd, SIOCGIFFLAGS, &ifr);
  printf("initial lo up: %s\n", ifr.ifr_flags & IFF_UP ? "yes" : "no");
  close(fd);
  held_port = tcp_listener(0, &held_fd);
  abs_fd = abstract_bind();
  printf("listener and abstract name in our namespace: %s\n", held_port > 0 && abs_fd >= 0 ? "ok" : "failed");
  flush();
  pid_t p = fork();
  if (p == 0) {
    printf("unshare(CLONE_NEWNET): %s\n", R(unshare(CLONE_NEWNET)));
    link_of("/proc/self/ns/net", c, sizeof c);
    printf("net link changed: %s\n", strcmp(b, c) ? "yes" : "no");
    char d[64], e[64];
    printf("lo/tag is default/tag: %s\n",
           strcmp(readf(tag, d, sizeof d), readf("/proc/sys/net/ipv4/conf/default/tag", e, sizeof e)) ? "no" : "yes");
    printf("somaxconn: %s\n", readf("/proc/sys/net/core/somaxconn", d, sizeof d));
    printf("write lo/tag 7: %s\n", writef(tag, "7"));
    printf("lo/tag: %s\n", readf(tag, d, sizeof d));
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_port = htons(9)};
    lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s0 = socket(AF_INET, SOCK_DGRAM, 0);
    lo.sin_port = 0;
    printf("bind 127.0.0.1 with lo down: %s\n", R(bind(s0, (struct sockaddr *)&lo, sizeof lo)));
    close(s0);
    lo.sin_port = htons(9);
    printf("UDP connect to 127.0.0.1 with lo down: %s\n", R(connect(s, (struct sockaddr *)&lo, sizeof lo)));
    lo.sin_port = 0;
    printf("bind after that connect (it bound the socket): %s\n", R(bind(s, (struct sockaddr *)&lo, sizeof lo)));
    int t0 = socket(AF_INET, SOCK_STREAM, 0);
    lo.sin_port = htons((uint16_t)held_port);
    printf("TCP connect to 127.0.0.1 with lo down: %s\n", R(connect(t0, (struct sockaddr *)&lo, sizeof lo)));
    close(t0);
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    printf("new lo up: %s, loopback: %s\n", ifr.ifr_flags & IFF_UP ? "yes" : "no",
           ifr.ifr_flags & IFF_LOOPBACK ? "yes" : "no");
    ifr.ifr_flags |= IFF_UP;
    printf("SIOCSIFFLAGS up: %s\n", R(ioctl(s, SIOCSIFFLAGS, &ifr)));
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    printf("new lo up now: %s\n", ifr.ifr_flags & IFF_UP ? "yes" : "no");
    close(s);
    int lfd, p2 = tcp_listener(held_port, &lfd);
    printf("TCP listen at the port the parent's namespace holds: %s\n", p2 < 0 ? en(-p2) : "ok");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)held_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    printf("connect to our own listener: %s\n", R(connect(c2, (struct sockaddr *)&a, sizeof a)));
    close(c2);
    close(lfd);
    c2 = socket(AF_INET, SOCK_STREAM, 0);
    printf("connect to the parent's namespace's listener (now closed here): %s\n",
           R(connect(c2, (struct sockaddr *)&a, sizeof a)));
    int ab = abstract_bind();
    printf("abstract AF_UNIX name the parent's namespace holds: %s\n", ab < 0 ? en(-ab) : "ok");
    flush();
    _exit(0);
  }
  printf("child ok: %s\n", wait_ok(p) ? "yes" : "no");
  printf("our abstract name is still ours (a second bind): %s\n", en(-abstract_bind()));
  printf("our lo/tag unchanged: %s\n", strcmp(a, readf(tag, c, sizeof c)) ? "no" : "yes");
}

/* ---- setns's refusals ---- */

static void setns_bad(void) {
  printf("setns(-1): %s\n", R(setns(-1, 0)));
  int fd = open("/", O_RDONLY);
  printf("setns(a directory): %s\n", R(setns(fd, 0)));
  close(fd);
  fd = open("/proc/self/ns/net", O_RDONLY);
  printf("setns(net file, CLONE_NEWPID): %s\n", R(setns(fd, CLONE_NEWPID)));
  printf("setns(net file, its own): %s\n", R(setns(fd, CLONE_NEWNET)));
  close(fd);
  fd = open("/proc/self/ns/user", O_RDONLY);
  printf("setns(own user namespace): %s\n", R(setns(fd, CLONE_NEWUSER)));
  close(fd);
  printf("unshare(CLONE_NEWUTS|...) bad flag 0x1: %s\n", R(unshare(0x1)));
}

int main(void) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  run("user_own", user_own);
  run("user_parent_maps", user_parent_maps);
  run("pid_clone", pid_clone);
  run("pid_unshare", pid_unshare);
  run("pid_flags", pid_flags);
  run("net_ns", net_ns);
  run("setns_bad", setns_bad);
  return 0;
}
