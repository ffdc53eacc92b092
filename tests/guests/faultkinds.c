/* Guest: one of each native fault kind, for the event-log tests:
 * zero page then write, zero-fill, COW after fork, file-backed read with
 * fault-around, stack growth, and a protection fault (SIGSEGV, caught). */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static void on_segv(int s) { siglongjmp(jb, 1); }
static int grow(int n) { volatile char pad[8192]; pad[0] = (char)n; return n ? grow(n - 1) + pad[0] : 0; }

int main(int argc, char **argv) {
  char *z = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile char r = z[0];          /* zero page */
  z[0] = 1;                        /* then write: a second fault */
  char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 2;                        /* zero-fill */
  pid_t pid = fork();
  if (pid == 0) { a[0] = 3; _exit(0); }   /* COW in the child */
  waitpid(pid, NULL, 0);
  int fd = open(argv[0], O_RDONLY);
  volatile char *f = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE, fd, 0);
  r = f[8 * 4096];                 /* file-backed, with fault-around */
  grow(64);                        /* stack growth (512 KiB) */
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  signal(SIGSEGV, on_segv);
  if (!sigsetjmp(jb, 1)) ro[0] = 1;   /* protection fault -> SIGSEGV */
  printf("done %d\n", r + a[0] + z[0]);
  return 0;
}
