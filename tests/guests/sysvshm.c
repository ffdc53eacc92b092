/* System V shared memory (issue 13): IPC_PRIVATE and keyed segments,
 * sharing across fork and across separate attaches, shmat at a given
 * address (and SHM_RND), SHM_RDONLY, IPC_STAT's size and attach count,
 * IPC_RMID while attached (the segment lives until the last detach, its key
 * is free at once), and the errors.  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }
static const char *err(void) {
  return errno == EINVAL ? "EINVAL" : errno == ENOENT ? "ENOENT" : errno == EEXIST ? "EEXIST" : strerror(errno);
}

int main(void) {
  int id = shmget(IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600);
  char *p = shmat(id, NULL, 0);
  printf("private: attached %d zero %d\n", p != (void *)-1, p[0] == 0 && p[3 * PG - 1] == 0);
  strcpy(p + PG, "from parent");
  struct shmid_ds ds;
  shmctl(id, IPC_STAT, &ds);
  printf("stat: size %zu nattch %lu\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    shmctl(id, IPC_STAT, &ds);
    printf("child sees: %s nattch %lu\n", p + PG, (unsigned long)ds.shm_nattch);
    strcpy(p + 2 * PG, "from child");
    char *q = shmat(id, NULL, 0);          /* a second attach in the child */
    printf("second attach same data %d\n", strcmp(q + PG, "from parent") == 0);
    shmdt(q);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  printf("parent sees: %s\n", p + 2 * PG);

  /* a keyed segment: found again by its key, attached at a given address */
  key_t key = 0x46410000 | (getpid() & 0xffff);   /* unique among parallel native runs */
  int k1 = shmget(key, PG, IPC_CREAT | 0600);
  errno = 0;
  int k2 = shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600);
  printf("exclusive again: %d %s\n", k2, err());
  errno = 0;
  int k3 = shmget(key, 2 * PG, 0600);
  printf("larger than it is: %d %s\n", k3, err());
  int k4 = shmget(key, PG, 0600);
  printf("found by key: %d\n", k4 == k1);
  char *want = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(want, 4 * PG);
  char *at = shmat(k1, want + PG, 0);
  printf("at the address asked for: %d\n", at == want + PG);
  strcpy(at, "keyed");
  errno = 0;
  void *bad = shmat(k1, want + 5, 0);
  printf("unaligned: %d %s\n", bad == (void *)-1, err());
  char *rnd = shmat(k1, want + 2 * PG + 5, SHM_RND | SHM_REMAP);
  printf("SHM_RND: %d data %s\n", rnd == want + 2 * PG, rnd);
  char *ro = shmat(k1, NULL, SHM_RDONLY);
  signal(SIGSEGV, on_segv);
  int segv = 0;
  if (sigsetjmp(jb, 1) == 0) ro[0] = 'x'; else segv = 1;
  printf("read-only attach: reads %s, write faults %d\n", ro, segv);

  /* IPC_RMID while attached: lives until the last detach, key free */
  shmctl(k1, IPC_RMID, NULL);
  shmctl(k1, IPC_STAT, &ds);
  printf("removed: key %s nattch %lu data %s\n", ds.shm_perm.__key == IPC_PRIVATE ? "private" : "kept",
         (unsigned long)ds.shm_nattch, at);
  errno = 0;
  int k5 = shmget(key, PG, 0600);
  printf("key after rmid: %d %s\n", k5, err());
  shmdt(at);
  shmdt(rnd);
  shmdt(ro);
  errno = 0;
  int r = shmctl(k1, IPC_STAT, &ds);
  printf("after the last detach: %d %s\n", r, err());
  errno = 0;
  r = shmdt(want + 3 * PG);
  printf("shmdt of no attach: %d %s\n", r, err());
  shmdt(p);
  shmctl(id, IPC_RMID, NULL);
  return 0;
}
