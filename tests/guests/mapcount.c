/* vm.max_map_count (issue 13): a process maps until mmap says ENOMEM --
 * shared anonymous mappings (each its own shmem file, none merges), a
 * memfd mapped again and again, System V attaches -- and then has
 * exactly max_map_count + 1 mappings in /proc/self/maps ([vsyscall]
 * aside), as LTP's max_map_count checks (do_mmap refuses once map_count
 * is above the limit).  At the limit a split needs a slot: munmap or
 * mprotect of a mapping's middle is ENOMEM, of a whole mapping fine.
 * The sysctl reads Linux's default and refuses a negative value.  Shared
 * memory keeps its data through all of it.  Output must equal the native
 * run's (nothing is written to the sysctl that changes it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static long read_long(const char *path) {
  FILE *f = fopen(path, "r");
  long v = -1;
  if (f) { if (fscanf(f, "%ld", &v) != 1) v = -1; fclose(f); }
  return v;
}

/* lines of /proc/self/maps, [vsyscall] left out (LTP's filter_map) */
static long count_maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  long n = 0;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) n += strstr(line, "[vsyscall]") == NULL;
  fclose(f);
  return n;
}

static const char *ename(int e) {
  return e == ENOMEM ? "ENOMEM" : e == EINVAL ? "EINVAL" : e == EMFILE ? "EMFILE" : e == 0 ? "ok" : strerror(e);
}

/* map one page at a time with how() until mmap fails; the mappings made */
static void **maps;
static long fill(void *(*how)(long i), int *err) {
  long n = 0;
  for (;;) {
    void *p = how(n);
    if (p == MAP_FAILED) { *err = errno; return n; }
    maps[n++] = p;
  }
}
static void unmap_all(long n) {
  for (long i = 0; i < n; i++) munmap(maps[i], PG);
}

static void *shared_anon(long i) {
  (void)i;
  return mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}
static int mfd;
/* its first page each time: neighbours never merge */
static void *memfd_map(long i) {
  (void)i;
  return mmap(NULL, PG, PROT_READ, MAP_SHARED, mfd, 0);
}
static int shmid;
static void *shm_attach(long i) {
  (void)i;
  void *p = shmat(shmid, NULL, SHM_RDONLY);
  return p == (void *)-1 ? MAP_FAILED : p;
}

int main(void) {
  long max = read_long("/proc/sys/vm/max_map_count");
  printf("vm.max_map_count %ld\n", max);
  int fd = open("/proc/sys/vm/max_map_count", O_WRONLY);
  errno = 0;
  long w = fd >= 0 ? write(fd, "-1\n", 3) : -1;
  printf("write -1: %ld %s, reads %ld\n", w, ename(errno), read_long("/proc/sys/vm/max_map_count"));
  if (fd >= 0) close(fd);
  if (max <= 0 || max > 1 << 20) return 1;
  maps = calloc((size_t)max + 16, sizeof *maps);
  long base = count_maps();

  /* 1. shared anonymous memory, each page written */
  int err = 0;
  long n = fill(shared_anon, &err);
  long lines = count_maps();
  printf("shared anon: mmap stops with %s, maps - max_map_count = %ld, new mappings = lines - base %d\n",
         ename(err), lines - max, n == lines - base);
  for (long i = 0; i < n; i += 997) *(long *)maps[i] = i;
  long bad = 0;
  for (long i = 0; i < n; i += 997) bad += *(long *)maps[i] != i;
  printf("shared anon data kept: %d\n", bad == 0);

  /* 2. at the limit (it is passed by one): splits need a slot */
  munmap(maps[--n], PG);                       /* map_count == max now */
  void *big = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = 0;
  printf("one more (count at max): %s\n", big == MAP_FAILED ? ename(errno) : "mapped");
  errno = 0;
  int r = big == MAP_FAILED ? -1 : munmap((char *)big + PG, PG);
  printf("munmap the middle at the limit: %d %s\n", r, ename(errno));
  errno = 0;
  r = big == MAP_FAILED ? -1 : mprotect((char *)big + PG, PG, PROT_READ);
  printf("mprotect the middle at the limit: %d %s\n", r, ename(errno));
  errno = 0;
  r = big == MAP_FAILED ? -1 : munmap(big, 3 * PG);
  printf("munmap it whole: %d %s\n", r, ename(errno));
  /* a fork copies every mapping */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(count_maps() == lines - 1 && *(long *)maps[997] == 997 ? 0 : 1);
  int st = 0;
  waitpid(pid, &st, 0);
  printf("child has them all: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  unmap_all(n);
  printf("after munmap: maps - base = %ld\n", count_maps() - base);

  /* 3. one memfd mapped until the limit */
  mfd = (int)syscall(SYS_memfd_create, "mapcount", 0u);
  if (mfd < 0 || ftruncate(mfd, PG)) return 2;
  if (pwrite(mfd, "memfd", 6, 0) != 6) return 3;
  n = fill(memfd_map, &err);
  printf("memfd: mmap stops with %s, maps - max_map_count = %ld, data %d\n", ename(err), count_maps() - max,
         n > 1 && strcmp((char *)maps[1], "memfd") == 0);
  unmap_all(n);
  close(mfd);

  /* 4. one System V segment attached until the limit */
  shmid = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
  char *w0 = shmat(shmid, NULL, 0);
  strcpy(w0, "sysv");
  n = fill(shm_attach, &err);
  printf("shmat: stops with %s, maps - max_map_count = %ld, data %d\n", ename(err), count_maps() - max,
         n > 0 && strcmp((char *)maps[n - 1], "sysv") == 0);
  for (long i = 0; i < n; i++) shmdt(maps[i]);
  shmdt(w0);
  shmctl(shmid, IPC_RMID, NULL);
  printf("after: maps - base = %ld\n", count_maps() - base);
  return 0;
}
