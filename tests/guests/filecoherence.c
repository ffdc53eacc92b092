/* One page cache, the single truth for file contents (issue 13): write()
 * and pwrite() are seen through existing mappings, stores through
 * MAP_SHARED mappings are seen by pread() and by new mappings, a read
 * fault followed by a write on a shared mapping writes the file's page
 * (not a copy), shared anonymous memory read before fork is still shared,
 * memfd + ftruncate + mmap + pread, msync's errors, SIGBUS beyond a
 * truncated end, and data written before exit is in the file (checked
 * natively by reading it back).  Output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static sigjmp_buf jb;
static void on_bus(int s) { (void)s; siglongjmp(jb, 1); }

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char path[512];
  /* a unique name: runs in parallel (and guests, whose pid is always the
   * same) must not share the file */
  snprintf(path, sizeof path, "%s/fcoh.XXXXXX", dir);
  int fd = mkstemp(path);
  char buf[3 * PG];
  memset(buf, 'a', sizeof buf);
  if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return 2;

  char *priv = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  char *sh = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("mapped: %c %c\n", priv[0], sh[PG]);
  /* 1: pwrite is seen through both existing mappings */
  pwrite(fd, "XYZ", 3, PG + 10);
  printf("pwrite seen: private %.3s shared %.3s\n", priv + PG + 10, sh + PG + 10);
  /* 2: stores through MAP_SHARED are seen by pread and by a new mapping */
  memcpy(sh + 2 * PG + 5, "store", 5);
  char rb[8] = {0};
  pread(fd, rb, 5, 2 * PG + 5);
  char *sh2 = mmap(NULL, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
  printf("shared store: pread %.5s new mapping %.5s private %.5s\n", rb, sh2 + 2 * PG + 5, priv + 2 * PG + 5);
  /* 3: a read fault, then a write, on a shared mapping */
  volatile char c = sh[100];
  (void)c;
  sh[100] = 'W';
  pread(fd, rb, 1, 100);
  printf("read then write: pread %c\n", rb[0]);
  /* 4: write() extends the file; a mapping of the new part reads it */
  lseek(fd, 0, SEEK_END);
  char more[PG];
  memset(more, 'b', sizeof more);
  write(fd, more, sizeof more);
  char *ext = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
  printf("extended: %c %c\n", ext[3 * PG], ext[3 * PG + PG - 1]);
  /* 5: msync errors and a synchronous msync */
  errno = 0;
  int r = msync(sh, PG, MS_SYNC | MS_ASYNC);
  printf("msync both flags: %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  errno = 0;
  r = msync(sh + 1, PG, MS_SYNC);
  printf("msync unaligned: %d %s\n", r, errno == EINVAL ? "EINVAL" : strerror(errno));
  r = msync(sh, 3 * PG, MS_SYNC);
  printf("msync sync: %d\n", r);
  /* 6: truncation: beyond the new end is SIGBUS, the EOF page's tail 0 */
  ftruncate(fd, PG + 100);
  signal(SIGBUS, on_bus);
  int bus = 0;
  if (sigsetjmp(jb, 1) == 0) { volatile char x = sh[2 * PG]; (void)x; } else bus = 1;
  printf("after truncate: sigbus %d, eof page tail %d, kept %c\n", bus, sh[PG + 200], sh[PG + 10]);
  ftruncate(fd, 3 * PG);
  printf("regrown: zero %d\n", sh[2 * PG + 5] == 0);
  /* 7: shared anonymous memory read before fork stays shared */
  char *sa = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  volatile char rd = sa[0];
  (void)rd;
  fflush(stdout);
  if (fork() == 0) { sa[0] = 'C'; _exit(0); }
  wait(NULL);
  printf("shared anon after child wrote: %c\n", sa[0]);
  /* 8: memfd + ftruncate + shared mapping + pread */
  int mfd = (int)syscall(SYS_memfd_create, "t", 0);
  ftruncate(mfd, 2 * PG);
  char *mm = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  strcpy(mm + PG, "memfd data");
  char mb[16] = {0};
  pread(mfd, mb, 10, PG);
  printf("memfd pread: %s\n", mb);
  /* 8b: copy_file_range and sendfile read the shared mapping's stores;
   * a mapping of the destination sees what copy_file_range wrote */
  int cfd = (int)syscall(SYS_memfd_create, "c", 0);
  ftruncate(cfd, PG);
  char *cm = mmap(NULL, PG, PROT_READ, MAP_SHARED, cfd, 0);
  char first = cm[100];                      /* cached before the copy */
  loff_t oin = PG, oout = 100;
  ssize_t n = copy_file_range(mfd, &oin, cfd, &oout, 10, 0);
  printf("copy_file_range: %zd, offsets %lld %lld, mapping %d->%.10s\n", n, (long long)oin,
         (long long)oout, first, cm + 100);
  errno = 0;
  printf("copy_file_range flags: %zd %s\n", copy_file_range(mfd, NULL, cfd, NULL, 1, 1),
         errno == EINVAL ? "EINVAL" : strerror(errno));
  oin = 0; oout = 5;
  printf("copy_file_range overlap: %zd %s\n", copy_file_range(cfd, &oin, cfd, &oout, 10, 0),
         errno == EINVAL ? "EINVAL" : strerror(errno));
  int pp[2];
  pipe(pp);
  off_t so = PG + 6;
  n = sendfile(pp[1], mfd, &so, 4);
  char sb[8] = {0};
  read(pp[0], sb, sizeof sb - 1);
  printf("sendfile at an offset: %zd %s, offset now %lld, position %lld\n", n, sb, (long long)so,
         (long long)lseek(mfd, 0, SEEK_CUR));
  /* 9: the last stores before exit are the file's (checked after exit) */
  memcpy(sh + 50, "LAST", 4);
  munmap(sh, 3 * PG);
  close(fd);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {        /* a fresh reader in another process */
    int f2 = open(path, O_RDONLY);
    char b2[8] = {0};
    pread(f2, b2, 4, 50);
    printf("after munmap, another process reads: %.4s\n", b2);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  /* the caller checks the file on the host after the run, then removes it */
  if (argc <= 2) unlink(path);
  return 0;
}
