/* The hugetlb pool (issue 13).  With no argument: what a kernel whose
 * pool is empty (vm.nr_hugepages 0, the host's and the model's default)
 * answers -- compared with the native run: MAP_HUGETLB reserves (ENOMEM),
 * MAP_NORESERVE maps and a touch is SIGBUS, a 1G size is ENOMEM, another
 * size EINVAL; MFD_HUGETLB files take no write(), ftruncate and mmap by
 * whole huge pages only; SHM_HUGETLB is ENOMEM; a hugetlb mapping is not
 * split off a huge page boundary, nor grown by mremap (EINVAL); smaps
 * shows 2M page sizes and the "ht" flag.
 * With "pool" (under faultline only: it writes vm.nr_hugepages): the
 * rules of Documentation/admin-guide/mm/hugetlbpage.rst -- the count reads
 * back, HugePages_Free/Rsvd follow mmap (reserve), touch (take) and munmap
 * (give back), shared pages are one set, the pool runs out with ENOMEM,
 * surplus pages come and go with nr_overcommit_hugepages.  Exit 0 when
 * every check holds. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HP (2ul << 20)
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
static sigjmp_buf jb;
static void on_bus(int s) { (void)s; siglongjmp(jb, 1); }
static const char *en(int e) {
  return e == ENOMEM ? "ENOMEM" : e == EINVAL ? "EINVAL" : e == EPERM ? "EPERM" : e == 0 ? "ok" : strerror(e);
}
static long meminfo(const char *key) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, n)) v = strtol(line + n, NULL, 10);
  if (f) fclose(f);
  return v;
}
static void set(const char *path, long v) {
  FILE *f = fopen(path, "w");
  if (f) { fprintf(f, "%ld\n", v); fclose(f); }
}
static long get(const char *path) {
  FILE *f = fopen(path, "r");
  long v = -1;
  if (f) { if (fscanf(f, "%ld", &v) != 1) v = -1; fclose(f); }
  return v;
}
static void *hmap(size_t len, int flags) {
  return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | flags, -1, 0);
}
static int touch(volatile char *p) {
  signal(SIGBUS, on_bus);
  if (sigsetjmp(jb, 1)) return -1;
  p[0] = 1;
  return 0;
}

/* the mapping's name, page sizes and hugetlb flag as /proc/self/smaps shows them */
static void smaps_of(void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512], want[32];
  int in = 0;
  snprintf(want, sizeof want, "%lx-", (unsigned long)p);
  while (f && fgets(line, sizeof line, f)) {
    if (strchr(line, '-') && strchr(line, ':') && line[0] != ' ' && strncmp(line, "VmFlags", 7) &&
        strstr(line, " kB") == NULL)
      in = !strncmp(line, want, strlen(want));
    if (!in) continue;
    if (!strncmp(line, want, strlen(want))) printf("smaps: %s", strchr(line, '/') ? strchr(line, '/') : "(none)\n");
    if (!strncmp(line, "KernelPageSize:", 15) || !strncmp(line, "MMUPageSize:", 12)) printf("smaps: %s", line);
    if (!strncmp(line, "VmFlags:", 8)) printf("smaps: ht %d ac %d\n", strstr(line, " ht") != NULL, strstr(line, " ac") != NULL);
  }
  if (f) fclose(f);
}

static int fails;
#define CHECK(c, ...) do { if (!(c)) { fails++; printf("FAIL: "); printf(__VA_ARGS__); printf("\n"); } } while (0)

static void empty_pool(void) {
  printf("HugePages_Total %ld Hugepagesize %ld kB\n", meminfo("HugePages_Total:"), meminfo("Hugepagesize:"));
  errno = 0;
  void *p = hmap(HP, 0);
  printf("MAP_HUGETLB 2M: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
  errno = 0;
  p = hmap(1, MAP_NORESERVE);
  printf("MAP_HUGETLB|MAP_NORESERVE 1 byte: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
  if (p != MAP_FAILED) {
    printf("touch: %s\n", touch(p) ? "SIGBUS" : "ok");
    errno = 0;
    printf("munmap 1M of it: %s\n", munmap(p, HP / 2) ? en(errno) : "ok");
    errno = 0;
    printf("mprotect 4K of it: %s\n", mprotect(p, 4096, PROT_READ) ? en(errno) : "ok");
    smaps_of(p);
    errno = 0;
    printf("mremap to 4M: %s\n", mremap(p, HP, 2 * HP, MREMAP_MAYMOVE) == MAP_FAILED ? en(errno) : "moved");
    errno = 0;
    printf("munmap 2M: %s\n", munmap(p, HP) ? en(errno) : "ok");
  }
  errno = 0;
  p = hmap(1ul << 30, 30 << MAP_HUGE_SHIFT);
  printf("MAP_HUGE_1GB: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
  errno = 0;
  p = hmap(HP, 22 << MAP_HUGE_SHIFT);
  printf("MAP_HUGE 4M: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
  errno = 0;
  p = mmap((void *)(0x40000000ul + 4096), HP, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE | MAP_FIXED, -1, 0);
  printf("MAP_FIXED off a 2M boundary: %s\n", p == MAP_FAILED ? en(errno) : "mapped");

  int fd = (int)syscall(SYS_memfd_create, "huge", 4u /* MFD_HUGETLB */);
  printf("memfd_create(MFD_HUGETLB): %s\n", fd < 0 ? en(errno) : "ok");
  errno = 0;
  printf("memfd_create(MFD_HUGETLB|4M): %s\n", syscall(SYS_memfd_create, "h", 4u | (22u << 26)) < 0 ? en(errno) : "ok");
  if (fd >= 0) {
    errno = 0;
    printf("write: %s\n", write(fd, "x", 1) < 0 ? en(errno) : "written");
    errno = 0;
    printf("ftruncate 1M: %s\n", ftruncate(fd, HP / 2) ? en(errno) : "ok");
    errno = 0;
    printf("ftruncate 2M: %s\n", ftruncate(fd, HP) ? en(errno) : "ok");
    errno = 0;
    p = mmap(NULL, HP / 2, PROT_READ, MAP_SHARED, fd, 0);
    printf("mmap 1M (rounded up, reserved): %s\n", p == MAP_FAILED ? en(errno) : "mapped");
    errno = 0;
    p = mmap(NULL, HP, PROT_READ, MAP_SHARED, fd, 4096);
    printf("mmap at 4K: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
    errno = 0;
    p = mmap(NULL, HP, PROT_READ, MAP_SHARED, fd, 0);
    printf("mmap 2M: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
    close(fd);
  }
  int plain = (int)syscall(SYS_memfd_create, "plain", 0u);
  errno = 0;
  p = plain < 0 || ftruncate(plain, HP) ? MAP_FAILED : mmap(NULL, HP, PROT_READ, MAP_SHARED | MAP_HUGETLB, plain, 0);
  printf("MAP_HUGETLB of an ordinary memfd: %s\n", p == MAP_FAILED ? en(errno) : "mapped");
  if (plain >= 0) close(plain);
  errno = 0;
  int id = shmget(IPC_PRIVATE, HP, IPC_CREAT | SHM_HUGETLB | 0600);
  printf("shmget(SHM_HUGETLB): %s\n", id < 0 ? en(errno) : "ok");
  if (id >= 0) shmctl(id, IPC_RMID, NULL);
}

static void pool(void) {
  const char *nr = "/proc/sys/vm/nr_hugepages", *ov = "/proc/sys/vm/nr_overcommit_hugepages";
  set(nr, 4);
  CHECK(get(nr) == 4, "nr_hugepages reads %ld after writing 4", get(nr));
  CHECK(meminfo("HugePages_Total:") == 4 && meminfo("HugePages_Free:") == 4, "Total/Free 4");
  CHECK(get("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") == 4, "sysfs free_hugepages");
  /* a private mapping reserves its pages; a touch takes one */
  char *p = hmap(3 * HP - 4096, 0);
  CHECK(p != MAP_FAILED && ((unsigned long)p & (HP - 1)) == 0, "3 pages mapped, 2M aligned");
  CHECK(meminfo("HugePages_Rsvd:") == 3 && meminfo("HugePages_Free:") == 4, "Rsvd 3 after mmap");
  p[0] = 7;
  p[HP + 5] = 8;
  CHECK(meminfo("HugePages_Rsvd:") == 1 && meminfo("HugePages_Free:") == 2, "Rsvd 1 Free 2 after two touches");
  errno = 0;
  CHECK(hmap(2 * HP, 0) == MAP_FAILED && errno == ENOMEM, "2 more pages: ENOMEM (1 unreserved)");
  char *q = hmap(HP, 0);                 /* the last unreserved page */
  (void)q;
  CHECK(p[0] == 7 && p[HP + 5] == 8 && p[2 * HP] == 0, "data kept, a new page reads zero");
  CHECK(munmap(p, 3 * HP) == 0, "munmap");
  /* (the fourth page: q, private, reserved) */
  CHECK(meminfo("HugePages_Free:") == 4 && meminfo("HugePages_Rsvd:") == 1, "all free, q's reservation left");
  munmap(q, HP);
  CHECK(meminfo("HugePages_Rsvd:") == 0, "Rsvd 0");
  /* shared: one set of pages for every mapping and a fork's child */
  char *s = mmap(NULL, HP, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  CHECK(s != MAP_FAILED, "shared mapped");
  pid_t pid = fork();
  if (pid == 0) { s[100] = 42; _exit(0); }
  waitpid(pid, NULL, 0);
  CHECK(s[100] == 42 && meminfo("HugePages_Free:") == 3, "shared page: the child's store, one page");
  munmap(s, HP);
  /* a memfd: its pages outlive the mapping while the file is open */
  int fd = (int)syscall(SYS_memfd_create, "pool", 4u);
  char *m = mmap(NULL, 2 * HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED, "memfd mapped");
  m[HP] = 9;
  munmap(m, 2 * HP);
  m = mmap(NULL, 2 * HP, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED && m[HP] == 9 && meminfo("HugePages_Free:") == 3, "memfd page kept while open");
  munmap(m, 2 * HP);
  close(fd);
  CHECK(meminfo("HugePages_Free:") == 4 && meminfo("HugePages_Rsvd:") == 0, "memfd closed: pages back");
  /* SysV */
  int id = shmget(IPC_PRIVATE, HP + 1, IPC_CREAT | SHM_HUGETLB | 0600);
  CHECK(id >= 0 && meminfo("HugePages_Rsvd:") == 2, "SHM_HUGETLB reserves 2");
  char *a = shmat(id, NULL, 0);
  CHECK(a != (void *)-1 && ((unsigned long)a & (HP - 1)) == 0, "shmat 2M aligned");
  a[HP] = 1;
  shmdt(a);
  shmctl(id, IPC_RMID, NULL);
  CHECK(meminfo("HugePages_Free:") == 4 && meminfo("HugePages_Rsvd:") == 0, "segment gone: pages back (Free %ld Rsvd %ld)",
        meminfo("HugePages_Free:"), meminfo("HugePages_Rsvd:"));
  /* shrinking, then surplus pages */
  set(nr, 1);
  CHECK(get(nr) == 1 && meminfo("HugePages_Total:") == 1, "shrunk to 1");
  errno = 0;
  CHECK(hmap(2 * HP, 0) == MAP_FAILED && errno == ENOMEM, "2 pages without overcommit: ENOMEM");
  set(ov, 2);
  p = hmap(3 * HP, 0);
  CHECK(p != MAP_FAILED && meminfo("HugePages_Surp:") == 2 && meminfo("HugePages_Total:") == 3, "2 surplus pages");
  munmap(p, 3 * HP);
  CHECK(meminfo("HugePages_Surp:") == 0 && meminfo("HugePages_Total:") == 1, "surplus gone");
  set(nr, 0);
  CHECK(meminfo("HugePages_Total:") == 0, "emptied");
  printf("pool: %s\n", fails ? "FAIL" : "ok");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && !strcmp(argv[1], "pool")) pool();
  else empty_pool();
  return fails != 0;
}
