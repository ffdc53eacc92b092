/* splice, tee and vmsplice: file <-> pipe (through the page cache, seen by
 * shared mappings), pipe <-> pipe, pipe <-> socket and devices, user
 * memory <-> pipe; offsets, end of data, the errors in Linux's order,
 * nonblocking calls and calls that sleep until another process makes
 * them ready.  Output is the same natively and under faultline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif

static const char *en(int e) {
  switch (e) {
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case ESPIPE: return "ESPIPE";
  case EFAULT: return "EFAULT";
  case EAGAIN: return "EAGAIN";
  case EPIPE: return "EPIPE";
  default: return "other";
  }
}
#define SHOW(what, call)                                                       \
  do {                                                                         \
    errno = 0;                                                                 \
    long r_ = (long)(call);                                                    \
    if (r_ < 0) printf("%s: -1 %s\n", what, en(errno));                        \
    else printf("%s: %ld\n", what, r_);                                        \
  } while (0)

static void wait_sleeping(pid_t pid) {
  for (int tries = 0; tries < 5000; tries++) {
    char path[64], st[512] = {0};
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) { if (fread(st, 1, sizeof st - 1, f)) {} fclose(f); }
    char *rp = strrchr(st, ')');
    if (rp && rp[2] == 'S') break;
    usleep(1000);
  }
  usleep(10000);
}

static int make_file(const char *name, const char *text) {
  int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) exit(1);
  return fd;
}

static void drain(int fd, const char *what) {
  char buf[256] = {0};
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  fcntl(fd, F_SETFL, fl);
  printf("  %s holds \"%s\"\n", what, n > 0 ? buf : "");
}

static void file_and_pipe(void) {
  printf("-- file and pipe\n");
  int f = make_file("splicex.a", "hello, splice world");
  int p[2];
  if (pipe(p)) exit(1);
  loff_t off = 7;
  SHOW("file -> pipe at offset 7, 6 bytes", splice(f, &off, p[1], NULL, 6, 0));
  printf("  offset now %lld, file position %lld\n", (long long)off, (long long)lseek(f, 0, SEEK_CUR));
  lseek(f, 0, SEEK_SET);
  SHOW("file -> pipe at the position, 5 bytes", splice(f, NULL, p[1], NULL, 5, 0));
  printf("  file position %lld\n", (long long)lseek(f, 0, SEEK_CUR));
  lseek(f, 0, SEEK_END);
  SHOW("file -> pipe at end of file", splice(f, NULL, p[1], NULL, 5, 0));
  int g = make_file("splicex.b", "..........");
  off = 2;
  SHOW("pipe -> file at offset 2, asks 100", splice(p[0], NULL, g, &off, 100, 0));
  printf("  offset now %lld, file position %lld\n", (long long)off, (long long)lseek(g, 0, SEEK_CUR));
  char buf[64] = {0};
  pread(g, buf, sizeof buf - 1, 0);
  printf("  file: %s\n", buf);
  if (write(p[1], "tail", 4) != 4) exit(1);
  SHOW("pipe -> file at the position", splice(p[0], NULL, g, NULL, 4, SPLICE_F_MOVE | SPLICE_F_MORE));
  memset(buf, 0, sizeof buf);
  pread(g, buf, sizeof buf - 1, 0);
  printf("  file: %s\n", buf);
  close(p[1]);
  SHOW("pipe -> file, empty pipe without writers", splice(p[0], NULL, g, NULL, 4, 0));
  close(p[0]);

  /* the page cache is the file's one truth: a store through a shared
   * mapping is what splice reads, and what splice writes the mapping sees */
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g, 0);
  memcpy(m, "MAPPED", 6);
  if (pipe(p)) exit(1);
  off = 0;
  SHOW("file -> pipe after a store through a mapping", splice(g, &off, p[1], NULL, 6, 0));
  drain(p[0], "the pipe");
  if (write(p[1], "SPLICED", 7) != 7) exit(1);
  off = 0;
  SHOW("pipe -> file under a mapping", splice(p[0], NULL, g, &off, 7, 0));
  printf("  the mapping sees \"%.7s\"\n", m);
  munmap(m, 4096);
  close(p[0]);
  close(p[1]);

  /* more than one bounce buffer: 200000 bytes into a 1 MiB pipe */
  int big = open("splicex.big", O_RDWR | O_CREAT | O_TRUNC, 0600);
  static char data[200000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7);
  if (write(big, data, sizeof data) != (ssize_t)sizeof data) exit(1);
  if (pipe(p)) exit(1);
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  off = 0;
  SHOW("200000 bytes file -> pipe", splice(big, &off, p[1], NULL, sizeof data, 0));
  int out = open("splicex.copy", O_RDWR | O_CREAT | O_TRUNC, 0600);
  SHOW("and pipe -> file", splice(p[0], NULL, out, NULL, sizeof data, 0));
  static char back[200000];
  printf("  copy intact: %d\n", pread(out, back, sizeof back, 0) == (ssize_t)sizeof back &&
                                   !memcmp(back, data, sizeof data));
  close(p[0]);
  close(p[1]);
  /* a default pipe takes 64 KiB */
  if (pipe(p)) exit(1);
  off = 0;
  SHOW("200000 bytes into a 64 KiB pipe", splice(big, &off, p[1], NULL, sizeof data, 0));
  close(p[0]);
  close(p[1]);
  close(out);
  close(big);

  /* pseudo files: /proc/<pid> files have no splice_read, cpuinfo has */
  if (pipe(p)) exit(1);
  int comm = open("/proc/self/comm", O_RDONLY), cpu = open("/proc/cpuinfo", O_RDONLY);
  SHOW("/proc/self/comm -> pipe", splice(comm, NULL, p[1], NULL, 64, 0));
  long n = splice(cpu, NULL, p[1], NULL, 64, 0);
  printf("/proc/cpuinfo -> pipe: took 64 bytes %d\n", n == 64);
  close(comm);
  close(cpu);
  close(p[0]);
  close(p[1]);
  close(f);
  close(g);
}

static void pipes_sockets_devices(void) {
  printf("-- pipes, sockets, devices\n");
  int a[2], b[2], s[2];
  if (pipe(a) || pipe(b) || socketpair(AF_UNIX, SOCK_STREAM, 0, s)) exit(1);
  if (write(a[1], "pipe to pipe", 12) != 12) exit(1);
  SHOW("pipe -> pipe, 4 bytes", splice(a[0], NULL, b[1], NULL, 4, 0));
  drain(b[0], "the second pipe");
  drain(a[0], "the first pipe");
  if (write(a[1], "via a socket", 12) != 12) exit(1);
  SHOW("pipe -> socket", splice(a[0], NULL, s[0], NULL, 100, 0));
  SHOW("socket -> pipe", splice(s[1], NULL, b[1], NULL, 100, 0));
  drain(b[0], "the pipe");
  int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
  SHOW("/dev/zero -> pipe", splice(zero, NULL, b[1], NULL, 3000, 0));
  SHOW("pipe -> /dev/null", splice(b[0], NULL, null, NULL, 5000, 0));
  close(zero);
  close(null);
  close(s[0]);
  close(s[1]);
  for (int i = 0; i < 2; i++) { close(a[i]); close(b[i]); }
}

static void errors(void) {
  printf("-- splice errors\n");
  int f = make_file("splicex.c1", "0123456789");
  int ro = open("splicex.c1", O_RDONLY), wo = open("splicex.c1", O_WRONLY);
  int app = open("splicex.c1", O_WRONLY | O_APPEND), opath = open("splicex.c1", O_PATH);
  int dir = open(".", O_RDONLY | O_DIRECTORY), ev = eventfd(0, 0);
  int p[2], q[2];
  if (pipe(p) || pipe(q)) exit(1);
  if (write(p[1], "abcdef", 6) != 6) exit(1);
  loff_t off = 0, neg = -1, huge = 0x7fffffffffffffffll;
  SHOW("length 0, bad fds", splice(900, NULL, 901, NULL, 0, 0));
  SHOW("bad flags", splice(f, NULL, p[1], NULL, 1, 0x10));
  SHOW("bad fd in", splice(900, NULL, p[1], NULL, 1, 0));
  SHOW("bad fd out", splice(p[0], NULL, 900, NULL, 1, 0));
  SHOW("O_PATH in", splice(opath, NULL, p[1], NULL, 1, 0));
  SHOW("offset on the input pipe", splice(p[0], &off, f, NULL, 1, 0));
  SHOW("offset on the output pipe", splice(f, NULL, p[1], &off, 1, 0));
  SHOW("offset on a pipe's wrong end (ESPIPE first)", splice(p[1], &off, f, NULL, 1, 0));
  SHOW("bad offset pointer", splice(f, (loff_t *)8, p[1], NULL, 1, 0));
  SHOW("input not readable", splice(wo, NULL, p[1], NULL, 1, 0));
  SHOW("output not writable", splice(p[0], NULL, ro, NULL, 1, 0));
  SHOW("pipe's write end as input", splice(p[1], NULL, q[1], NULL, 1, 0));
  SHOW("no pipe", splice(ro, NULL, f, NULL, 1, 0));
  SHOW("one pipe both ends", splice(p[0], NULL, p[1], NULL, 1, 0));
  SHOW("O_APPEND output", splice(p[0], NULL, app, NULL, 1, 0));
  SHOW("negative input offset", splice(f, &neg, p[1], NULL, 1, 0));
  SHOW("negative output offset", splice(p[0], NULL, f, &neg, 1, 0));
  SHOW("offset + length past the largest", splice(f, &huge, p[1], NULL, 2, 0));
  off = 0;
  SHOW("length SIZE_MAX", splice(f, &off, p[1], NULL, (size_t)-1, 0));
  SHOW("directory -> pipe", splice(dir, NULL, p[1], NULL, 1, 0));
  SHOW("eventfd -> pipe", splice(ev, NULL, p[1], NULL, 1, 0));
  SHOW("pipe -> eventfd", splice(p[0], NULL, ev, NULL, 1, 0));
  drain(p[0], "the pipe");
  close(f); close(ro); close(wo); close(app); close(opath); close(dir); close(ev);
  for (int i = 0; i < 2; i++) { close(p[i]); close(q[i]); }
}

static void nonblocking(void) {
  printf("-- nonblocking\n");
  int f = make_file("splicex.d", "data");
  int nb[2], bl[2];
  if (pipe2(nb, O_NONBLOCK) || pipe(bl)) exit(1);
  SHOW("empty O_NONBLOCK pipe -> file", splice(nb[0], NULL, f, NULL, 4, 0));
  SHOW("empty pipe -> file, SPLICE_F_NONBLOCK", splice(bl[0], NULL, f, NULL, 4, SPLICE_F_NONBLOCK));
  SHOW("empty pipe -> O_NONBLOCK pipe", splice(bl[0], NULL, nb[1], NULL, 4, 0));
  SHOW("empty O_NONBLOCK pipe -> pipe", splice(nb[0], NULL, bl[1], NULL, 4, 0));
  static char fill[65536];
  while (write(nb[1], fill, sizeof fill) > 0) {}
  loff_t off = 0;
  SHOW("file -> full O_NONBLOCK pipe", splice(f, &off, nb[1], NULL, 4, 0));
  if (write(bl[1], "x", 1) != 1) exit(1);
  SHOW("pipe -> full O_NONBLOCK pipe", splice(bl[0], NULL, nb[1], NULL, 1, 0));
  SHOW("tee -> full O_NONBLOCK pipe", tee(bl[0], nb[1], 1, 0));
  struct iovec v = {fill, 10};
  SHOW("vmsplice -> full pipe, SPLICE_F_NONBLOCK", vmsplice(nb[1], &v, 1, SPLICE_F_NONBLOCK));
  char c;
  if (read(bl[0], &c, 1) != 1) exit(1);
  SHOW("vmsplice <- empty pipe, SPLICE_F_NONBLOCK", vmsplice(bl[0], &v, 1, SPLICE_F_NONBLOCK));
  close(f);
  for (int i = 0; i < 2; i++) { close(nb[i]); close(bl[i]); }
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int s) { (void)s; sigpipes++; }

static void epipe(void) {
  printf("-- no reader\n");
  signal(SIGPIPE, on_sigpipe);
  int f = make_file("splicex.e", "data");
  int p[2], q[2];
  if (pipe(p) || pipe(q)) exit(1);
  close(p[0]);
  loff_t off = 0;
  SHOW("file -> pipe without a reader", splice(f, &off, p[1], NULL, 4, 0));
  if (write(q[1], "ab", 2) != 2) exit(1);
  SHOW("pipe -> pipe without a reader", splice(q[0], NULL, p[1], NULL, 2, 0));
  struct iovec v = {"xy", 2};
  SHOW("vmsplice -> pipe without a reader", vmsplice(p[1], &v, 1, 0));
  printf("  SIGPIPE %d times\n", (int)sigpipes);
  signal(SIGPIPE, SIG_DFL);
  close(f);
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

static void tee_calls(void) {
  printf("-- tee\n");
  int a[2], b[2];
  int f = make_file("splicex.t", "file");
  if (pipe(a) || pipe(b)) exit(1);
  if (write(a[1], "teed data", 9) != 9) exit(1);
  SHOW("tee 4 bytes", tee(a[0], b[1], 4, 0));
  drain(b[0], "the copy");
  drain(a[0], "the source, not consumed,");
  SHOW("bad flags, length 0", tee(a[0], b[1], 0, 0x10));
  SHOW("length 0", tee(900, 901, 0, 0));
  SHOW("bad fd", tee(900, b[1], 1, 0));
  SHOW("one pipe", tee(a[0], a[1], 1, 0));
  SHOW("ends swapped", tee(a[1], b[0], 1, 0));
  SHOW("a file", tee(f, b[1], 1, 0));
  close(a[1]);
  SHOW("empty pipe without writers", tee(a[0], b[1], 1, 0));
  close(f);
  close(a[0]);
  close(b[0]);
  close(b[1]);
}

static void vmsplice_calls(void) {
  printf("-- vmsplice\n");
  int p[2];
  int f = make_file("splicex.v", "file");
  if (pipe(p)) exit(1);
  char one[] = "first ", two[] = "second";
  struct iovec v[2] = {{one, 6}, {two, 6}};
  SHOW("two pieces -> pipe", vmsplice(p[1], v, 2, 0));
  char r1[5] = {0}, r2[8] = {0};
  struct iovec rv[2] = {{r1, 4}, {r2, 7}};
  SHOW("pipe -> two pieces", vmsplice(p[0], rv, 2, 0));
  printf("  \"%s\" \"%s\"\n", r1, r2);
  drain(p[0], "the pipe");
  SHOW("no pieces", vmsplice(p[1], v, 0, 0));
  SHOW("bad flags", vmsplice(p[1], v, 1, 0x10));
  SHOW("bad fd", vmsplice(900, v, 1, 0));
  SHOW("a file", vmsplice(f, v, 1, 0));
  SHOW("1025 pieces", vmsplice(p[1], v, 1025, 0));
  SHOW("bad iovec pointer", vmsplice(p[1], (struct iovec *)8, 1, 0));
  struct iovec neg = {one, (size_t)-1};
  SHOW("negative length", vmsplice(p[1], &neg, 1, 0));
  struct iovec bad[2] = {{one, 6}, {(void *)8, 6}};
  SHOW("second piece unreadable", vmsplice(p[1], bad, 2, 0));
  SHOW("first piece unreadable", vmsplice(p[1], bad + 1, 1, 0));
  drain(p[0], "the pipe");
  /* into memory whose second page cannot be written: what fits is
   * copied, the rest stays in the pipe */
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(m + 4096, 4096, PROT_NONE);
  static char src[100];
  memset(src, 'z', sizeof src);
  if (write(p[1], src, sizeof src) != (ssize_t)sizeof src) exit(1);
  struct iovec edge = {m + 4096 - 40, 100};
  SHOW("pipe -> memory that ends after 40 bytes", vmsplice(p[0], &edge, 1, 0));
  struct iovec none = {m + 4096, 10};
  SHOW("pipe -> unwritable memory", vmsplice(p[0], &none, 1, 0));
  int left = 0;
  char rest[200];
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  left = (int)read(p[0], rest, sizeof rest);
  printf("  %d bytes stayed in the pipe\n", left);
  munmap(m, 8192);
  close(f);
  close(p[0]);
  close(p[1]);
}

/* calls that sleep until a helper process, started once the caller
 * sleeps, makes them ready */
static pid_t helper(int fd, const char *text, int drain_fd) {
  pid_t parent = getpid(), h = fork();
  if (h == 0) {
    wait_sleeping(parent);
    if (drain_fd >= 0) {
      static char sink[65536];
      if (read(drain_fd, sink, sizeof sink) <= 0) _exit(1);
    } else if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
      _exit(1);
    }
    _exit(0);
  }
  return h;
}

static void sleeping(void) {
  printf("-- calls that sleep\n");
  int f = make_file("splicex.s", "0123456789");
  int p[2], q[2];
  if (pipe(p) || pipe(q)) exit(1);
  pid_t h = helper(p[1], "woken", -1);
  SHOW("empty pipe -> file sleeps until data", splice(p[0], NULL, f, NULL, 100, 0));
  waitpid(h, NULL, 0);
  h = helper(p[1], "piped", -1);
  SHOW("empty pipe -> pipe sleeps until data", splice(p[0], NULL, q[1], NULL, 100, 0));
  waitpid(h, NULL, 0);
  drain(q[0], "the output pipe");
  h = helper(p[1], "teed", -1);
  SHOW("tee from an empty pipe sleeps until data", tee(p[0], q[1], 100, 0));
  waitpid(h, NULL, 0);
  drain(p[0], "the input pipe");
  drain(q[0], "the output pipe");
  char buf[16] = {0};
  struct iovec v = {buf, sizeof buf - 1};
  h = helper(p[1], "to memory", -1);
  SHOW("vmsplice from an empty pipe sleeps until data", vmsplice(p[0], &v, 1, 0));
  printf("  \"%s\"\n", buf);
  waitpid(h, NULL, 0);
  static char fill[65536];
  while (fcntl(p[1], F_SETFL, O_NONBLOCK), write(p[1], fill, sizeof fill) > 0) {}
  fcntl(p[1], F_SETFL, 0);
  h = helper(-1, NULL, p[0]);
  loff_t off = 0;
  SHOW("file -> full pipe sleeps until room", splice(f, &off, p[1], NULL, 10, 0));
  waitpid(h, NULL, 0);
  while (fcntl(p[1], F_SETFL, O_NONBLOCK), write(p[1], fill, sizeof fill) > 0) {}
  fcntl(p[1], F_SETFL, 0);
  struct iovec w = {fill, 100};
  h = helper(-1, NULL, p[0]);
  SHOW("vmsplice -> full pipe sleeps until room", vmsplice(p[1], &w, 1, 0));
  waitpid(h, NULL, 0);
  char pos[16] = {0};
  pread(f, pos, 10, 0);
  printf("  file now \"%s\"\n", pos);
  close(f);
  for (int i = 0; i < 2; i++) { close(p[i]); close(q[i]); }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  file_and_pipe();
  pipes_sockets_devices();
  errors();
  nonblocking();
  epipe();
  tee_calls();
  vmsplice_calls();
  sleeping();
  const char *files[] = {"splicex.a", "splicex.b", "splicex.big", "splicex.copy", "splicex.c1",
                         "splicex.d", "splicex.e", "splicex.t", "splicex.v", "splicex.s"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(files[i]);
  return 0;
}
