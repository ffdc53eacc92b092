/* Memory and process calls real programs use (issue 13): capget/capset
 * (each process's sets, inherited by fork), every mremap form
 * (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP, shrink, grow in place,
 * blocked growth), hint-address mmap loops, VMA merging and the
 * overcommit heuristic (mmap, mprotect, fork), and an unknown syscall's
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
/* the /proc/self/maps lines that overlap [lo, hi) */
static int vmas_in(char *lo, char *hi) {
  FILE *f = fopen("/proc/self/maps", "r");
  unsigned long a, b;
  int n = 0;
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < (unsigned long)hi && b > (unsigned long)lo) n++;
  if (f) fclose(f);
  return n;
}
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
  /* adjacent anonymous mappings are one VMA, and mprotect's pieces join
   * again (vma_merge); private writable memory is charged against RAM
   * (overcommit heuristic): a 1 TB mapping fails, with MAP_NORESERVE it
   * does not, making a 1 TB read-only mapping writable fails, and fork
   * fails with ENOMEM once adjacent 512 MB mappings add up to 1 TB */
  size_t half = 512ul << 20;
  char *m0 = mmap(NULL, 2 * half, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  munmap(m0, 2 * half);
  char *m1 = mmap(m0, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  char *m2 = mmap(m0 + half, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("adjacent mappings: %d vma\n", m1 == m0 && m2 == m0 + half ? vmas_in(m0, m0 + 2 * half) : -1);
  mprotect(m0 + 4 * PG, 2 * PG, PROT_READ);
  printf("mprotect a middle part: %d vmas\n", vmas_in(m0, m0 + 2 * half));
  mprotect(m0 + 4 * PG, 2 * PG, PROT_READ | PROT_WRITE);
  printf("and back: %d vma\n", vmas_in(m0, m0 + 2 * half));
  munmap(m0, 2 * half);
  /* a fork's child keeps a new mapping apart from one it inherited with
   * pages (its anon_vma chains to the parent's: LTP vma01); the parent's
   * own still joins */
  char *hole = mmap(NULL, 12 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, 12 * PG);
  char *tv = mmap(hole, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  memset(tv, 1, PG);
  fflush(stdout);
  pid_t vp = fork();
  if (vp == 0) {
    memset(tv, 2, PG);
    mmap(tv + 3 * PG, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("child: inherited mapping and a new neighbour: %d vmas\n", vmas_in(tv, tv + 6 * PG));
    fflush(stdout);
    _exit(0);
  }
  waitpid(vp, NULL, 0);
  mmap(tv + 3 * PG, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("parent: its mapping and a new neighbour: %d vma\n", vmas_in(tv, tv + 6 * PG));
  munmap(tv, 6 * PG);
  size_t tb = 1ul << 40;
  errno = 0;
  char *big = mmap(NULL, tb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("1 TB private writable: %s\n", big == MAP_FAILED && errno == ENOMEM ? "ENOMEM" : "mapped");
  big = mmap(NULL, tb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  printf("1 TB with MAP_NORESERVE: %s\n", big == MAP_FAILED ? strerror(errno) : "mapped");
  munmap(big, tb);
  big = mmap(NULL, tb, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = 0;
  r = mprotect(big, tb, PROT_READ | PROT_WRITE);
  printf("1 TB read-only made writable: %ld %s\n", r, errno == ENOMEM ? "ENOMEM" : strerror(errno));
  munmap(big, tb);
  char *area = mmap(NULL, tb, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  munmap(area, tb);
  int mapped = 0;
  for (size_t off = 0; off < tb; off += half)
    mapped += mmap(area + off, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0) == area + off;
  errno = 0;
  pid_t fp = fork();
  if (fp == 0) _exit(0);
  if (fp > 0) waitpid(fp, NULL, 0);
  printf("%d adjacent 512 MB mappings: %d vma, fork %s\n", mapped, vmas_in(area, area + tb),
         fp < 0 && errno == ENOMEM ? "ENOMEM" : "succeeded");
  munmap(area + half, tb - half);
  fp = fork();
  if (fp == 0) _exit(0);
  if (fp > 0) waitpid(fp, NULL, 0);
  printf("one left: fork %s\n", fp > 0 ? "succeeded" : strerror(errno));
  munmap(area, half);
  errno = 0;
  r = syscall(1000);
  printf("unknown syscall %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : strerror(errno));
  return 0;
}
