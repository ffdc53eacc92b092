/* Memory and process calls real programs use (issue 13): capget/capset
 * (each process's sets, inherited by fork), every mremap form
 * (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP, shrink, grow in place,
 * blocked growth), hint-address mmap loops, and an unknown syscall's
 * -ENOSYS.  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
/* <linux/capability.h>'s ABI, spelled out (musl's include path has no
 * kernel headers) */
struct __user_cap_header_struct { unsigned version; int pid; };
struct __user_cap_data_struct { unsigned effective, permitted, inheritable; };
#define _LINUX_CAPABILITY_VERSION_3 0x20080522
#define CAP_CHOWN 0
#define CAP_NET_RAW 13
static void caps(const char *what, int pid) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, pid};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  long r = syscall(SYS_capget, &h, d);
  printf("%s: capget %ld eff %08x%08x prm %08x%08x inh %08x%08x\n", what, r, d[1].effective, d[0].effective,
         d[1].permitted, d[0].permitted, d[1].inheritable, d[0].inheritable);
}

int main(void) {
  caps("self", 0);
  caps("self by pid", getpid());
  struct __user_cap_header_struct h = {0x12345678, 0};
  struct __user_cap_data_struct d[2];
  errno = 0;
  long r = syscall(SYS_capget, &h, d);
  printf("bad version: %ld %s preferred %#x\n", r, errno == EINVAL ? "EINVAL" : strerror(errno), h.version);
  h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, 999999};
  errno = 0;
  r = syscall(SYS_capget, &h, d);
  printf("no such pid: %ld %s\n", r, errno == ESRCH ? "ESRCH" : strerror(errno));
  /* drop one effective capability (if any), then try to gain one we lack */
  h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, 0};
  syscall(SYS_capget, &h, d);
  d[0].effective &= ~(1u << CAP_NET_RAW);
  r = syscall(SYS_capset, &h, d);
  caps("after drop", 0);
  d[0].permitted = d[0].effective = 0;
  d[1].permitted = d[1].effective = 0;
  d[0].inheritable = d[1].inheritable = 0;
  r = syscall(SYS_capset, &h, d);
  printf("drop all: %ld\n", r);
  d[0].permitted = d[0].effective = 1u << CAP_CHOWN;
  errno = 0;
  r = syscall(SYS_capset, &h, d);
  printf("regain: %ld %s\n", r, errno == EPERM ? "EPERM" : strerror(errno));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    caps("child", 0);
    caps("parent from child", getppid());
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);

  char *a = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 1, 8 * PG);
  char *b = mremap(a, 8 * PG, 4 * PG, 0);
  printf("shrink %d\n", b == a);
  char *c = mremap(a, 4 * PG, 6 * PG, 0);
  printf("grow in place %d\n", c == a);
  mmap(a + 6 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  errno = 0;
  char *dd = mremap(a, 6 * PG, 10 * PG, 0);
  printf("grow blocked %d %s\n", dd == MAP_FAILED, errno == ENOMEM ? "ENOMEM" : strerror(errno));
  char *e = mremap(a, 6 * PG, 10 * PG, MREMAP_MAYMOVE);
  printf("grow moves %d data %d\n", e != a && e != MAP_FAILED, e[5]);
  char *t = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *f = mremap(e, 10 * PG, 10 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t + 2 * PG);
  printf("fixed %d data %d\n", f == t + 2 * PG, f[5]);
  char *g = mremap(f, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
  printf("dontunmap %d data %d old now %d\n", g != MAP_FAILED, g != MAP_FAILED ? g[5] : -1, f[5]);
  errno = 0;
  char *x = mremap(g, 2 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
  printf("dontunmap resize %d %s\n", x == MAP_FAILED, errno == EINVAL ? "EINVAL" : strerror(errno));
  int ok = 1;
  for (int i = 0; i < 200; i++) {
    char *hnt = mmap((void *)(0x10000000ul + (unsigned long)i * PG * 3), PG, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (hnt == MAP_FAILED) ok = 0;
  }
  printf("hint loop %d\n", ok);
  /* remap_file_pages: page 0 of a shared file mapping shows page 3 */
  char path[] = "/tmp/memcallsXXXXXX";
  int fd = mkstemp(path);
  for (int i = 0; i < 4; i++) {
    char pg[PG];
    memset(pg, 'A' + i, PG);
    if (write(fd, pg, PG) != PG) return 2;
  }
  char *fm = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  r = remap_file_pages(fm, PG, 0, 3, 0);
  printf("remap_file_pages %ld: %c %c\n", r, fm[0], fm[PG]);
  errno = 0;
  r = remap_file_pages(fm, PG, PROT_READ, 1, 0);
  printf("remap_file_pages prot: %ld %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  munmap(fm, 4 * PG);
  /* a shared file mapping moved by mremap keeps its file: after the file
   * grows, the pages past the old end are the file's (LTP mremap01) */
  char *sm = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *blk = mmap(sm + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (ftruncate(fd, 8 * PG) != 0) return 3;
  char *mv = mremap(sm, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
  printf("shared file mremap moved %d\n", mv != sm && mv != MAP_FAILED && blk != MAP_FAILED);
  close(fd);
  memset(mv + 6 * PG, 'z', PG);
  printf("past old end %c %c\n", mv[PG], mv[6 * PG]);
  munmap(mv, 8 * PG);
  fd = open(path, O_RDONLY);
  char z = 0;
  r = pread(fd, &z, 1, 6 * PG + 5);
  printf("file holds it %ld %c\n", r, z);
  close(fd);
  unlink(path);
  errno = 0;
  r = syscall(1000);
  printf("unknown syscall %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : strerror(errno));
  return 0;
}
