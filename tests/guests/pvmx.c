/* process_vm_readv/writev between a parent and its child (issue 13): read
 * the child's memory (touched and not yet touched), write into it, several
 * iovecs on both sides, and the errors.  Output must equal the native
 * run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char data[8192] = "child's static data";

int main(void) {
  int to_child[2], to_parent[2];
  if (pipe(to_child) || pipe(to_parent)) return 2;
  char *heap = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    strcpy(heap, "child heap");   /* page 0 touched; pages 1, 2 never */
    strcpy(data + 4096, "second page");
    char c = 1;
    write(to_parent[1], &c, 1);
    read(to_child[0], &c, 1);     /* the parent wrote into us meanwhile */
    printf("child sees: %s | %s\n", heap + 100, data + 200);
    fflush(stdout);
    _exit(0);
  }
  char c;
  read(to_parent[0], &c, 1);
  char a[32] = {0}, b[32] = {0}, z[16];
  memset(z, 'x', sizeof z);
  struct iovec local[3] = {{a, 10}, {b, 11}, {z, sizeof z}};
  struct iovec remote[3] = {{heap, 10}, {data + 4096, 11}, {heap + 4096 + 8, sizeof z}};
  ssize_t n = process_vm_readv(pid, local, 3, remote, 3, 0);
  printf("read %zd: '%s' '%s' untouched page zero %d\n", n, a, b, z[0] == 0 && z[15] == 0);
  struct iovec wl[1] = {{"written by the parent", 22}};
  struct iovec wr[2] = {{heap + 100, 11}, {data + 200, 11}};
  n = process_vm_writev(pid, wl, 1, wr, 2, 0);
  printf("wrote %zd\n", n);
  errno = 0;
  n = process_vm_readv(pid, local, 1, remote, 1, 1);
  printf("flags: %zd %s\n", n, errno == EINVAL ? "EINVAL" : strerror(errno));
  struct iovec badr[1] = {{(void *)16, 8}};
  errno = 0;
  n = process_vm_readv(pid, local, 1, badr, 1, 0);
  printf("unmapped remote: %zd %s\n", n, errno == EFAULT ? "EFAULT" : strerror(errno));
  errno = 0;
  n = process_vm_readv(999999, local, 1, remote, 1, 0);
  printf("no such pid: %zd %s\n", n, errno == ESRCH ? "ESRCH" : strerror(errno));
  fflush(stdout);
  write(to_child[1], &c, 1);
  waitpid(pid, NULL, 0);
  return 0;
}
