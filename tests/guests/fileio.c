#define _GNU_SOURCE
/* Guest: file I/O through the modelled Linux file system calls.
 * Works in a scratch directory it creates under the current directory
 * (argv[1], default "fileio_tmp"), prints only deterministic facts (no
 * addresses, times, inode numbers or absolute paths), cleans up, and
 * exits 0 when every check passed.  Built with glibc and musl. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;

static const char *ename(int e) {
  switch (e) {
  case 0: return "0";
  case ENOENT: return "ENOENT";
  case EEXIST: return "EEXIST";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EBADF: return "EBADF";
  case EINVAL: return "EINVAL";
  case ENOTEMPTY: return "ENOTEMPTY";
  case EACCES: return "EACCES";
  case ESPIPE: return "ESPIPE";
  case EAGAIN: return "EAGAIN";
  case ELOOP: return "ELOOP";
  case EROFS: return "EROFS";
  case EFAULT: return "EFAULT";
  default: return "E?";
  }
}

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (cond) {                                            \
      printf("ok   ");                                     \
    } else {                                               \
      printf("FAIL ");                                     \
      failures++;                                          \
    }                                                      \
    printf(__VA_ARGS__);                                   \
    putchar('\n');                                         \
  } while (0)

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* struct statx without depending on libc support (musl 1.2.3 has none) */
struct my_statx {
  uint32_t mask, blksize;
  uint64_t attributes;
  uint32_t nlink, uid, gid;
  uint16_t mode, pad1;
  uint64_t ino, size, blocks, attributes_mask;
  uint8_t rest[256 - 64];
};

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "fileio_tmp";
  setvbuf(stdout, NULL, _IOLBF, 0);
  umask(022);
  char buf[4096];

  /* scratch directory */
  CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);
  CHECK(mkdir(dir, 0755) == -1 && errno == EEXIST, "mkdir again: %s", ename(errno));
  CHECK(chdir(dir) == 0, "chdir %s", dir);
  char cwd[4096];
  CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
  const char *base = strrchr(cwd, '/');
  CHECK(base && !strcmp(base + 1, dir), "getcwd ends in /%s", dir);
  CHECK(getcwd(cwd, 2) == NULL && errno == ERANGE, "getcwd small buffer: ERANGE");

  /* open, write, read, lseek */
  int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0666);
  CHECK(fd >= 3, "open a.txt O_CREAT");
  const char *text = "hello, faultline\nsecond line\n";
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %zu bytes", strlen(text));
  CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)strlen(text), "lseek SEEK_CUR = %ld", (long)lseek(fd, 0, SEEK_CUR));
  CHECK(lseek(fd, 7, SEEK_SET) == 7, "lseek SEEK_SET 7");
  ssize_t n = read(fd, buf, 9);
  buf[n > 0 ? n : 0] = 0;
  CHECK(n == 9 && !strcmp(buf, "faultline"), "read 9: '%s'", buf);
  CHECK(lseek(fd, -5, SEEK_END) == (off_t)strlen(text) - 5, "lseek SEEK_END -5");
  n = read(fd, buf, sizeof buf);
  CHECK(n == 5, "read at end-5 gives %zd", n);
  CHECK(read(fd, buf, sizeof buf) == 0, "read at EOF gives 0");

  /* pread / pwrite do not move the offset */
  off_t before = lseek(fd, 0, SEEK_CUR);
  CHECK(pwrite(fd, "HELLO", 5, 0) == 5, "pwrite 5 at 0");
  n = pread(fd, buf, 5, 0);
  buf[n > 0 ? n : 0] = 0;
  CHECK(n == 5 && !strcmp(buf, "HELLO"), "pread back '%s'", buf);
  CHECK(lseek(fd, 0, SEEK_CUR) == before, "offset unchanged by pread/pwrite");
  CHECK(pread(fd, buf, 5, -1) == -1 && errno == EINVAL, "pread negative offset: %s", ename(errno));

  /* writev / readv */
  struct iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
  CHECK(lseek(fd, 0, SEEK_END) > 0, "seek to end");
  CHECK(writev(fd, wv, 3) == 8, "writev 3 iovecs = 8 bytes");
  char r1[4] = {0}, r2[6] = {0};
  struct iovec rv[2] = {{r1, 3}, {r2, 5}};
  CHECK(lseek(fd, -8, SEEK_END) >= 0, "seek to end-8");
  CHECK(readv(fd, rv, 2) == 8 && !strcmp(r1, "abc") && !strcmp(r2, "defgh"), "readv '%s' '%s'", r1, r2);
  CHECK(preadv(fd, rv, 2, 0) == 8 && !memcmp(r1, "HEL", 3) && !memcmp(r2, "LO, f", 5), "preadv at 0");

  /* fstat / stat / lstat */
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), "fstat regular");
  CHECK(st.st_size == (off_t)strlen(text) + 8, "fstat size %ld", (long)st.st_size);
  CHECK((st.st_mode & 0777) == 0644, "mode %o (umask 022)", (unsigned)(st.st_mode & 0777));
  CHECK(st.st_nlink == 1, "nlink 1");
  CHECK(stat("a.txt", &st) == 0 && st.st_size == (off_t)strlen(text) + 8, "stat size");
  CHECK(stat("missing", &st) == -1 && errno == ENOENT, "stat missing: %s", ename(errno));
  CHECK(stat("a.txt/", &st) == -1 && errno == ENOTDIR, "stat a.txt/: %s", ename(errno));

  /* ftruncate, sparse write */
  CHECK(ftruncate(fd, 5) == 0, "ftruncate 5");
  CHECK(fstat(fd, &st) == 0 && st.st_size == 5, "size after truncate %ld", (long)st.st_size);
  CHECK(pwrite(fd, "Z", 1, 99) == 1, "pwrite at 99");
  CHECK(fstat(fd, &st) == 0 && st.st_size == 100, "size after sparse write %ld", (long)st.st_size);
  n = pread(fd, buf, 100, 0);
  int zeros = 0;
  for (int i = 5; i < 99; i++) zeros += buf[i] == 0;
  CHECK(n == 100 && zeros == 94 && buf[99] == 'Z', "hole reads as zeros");
  CHECK(truncate("a.txt", 3) == 0 && stat("a.txt", &st) == 0 && st.st_size == 3, "truncate path to 3");

  /* statx */
  struct my_statx sx;
  memset(&sx, 0, sizeof sx);
  long sr = syscall(SYS_statx, AT_FDCWD, "a.txt", 0, 0x7ffu, &sx);
  CHECK(sr == 0 && sx.size == 3 && (sx.mode & 0170000) == 0100000 && (sx.mode & 0777) == 0644,
        "statx size %llu mode %o", (unsigned long long)sx.size, (unsigned)(sx.mode & 0777));
  sr = syscall(SYS_statx, fd, "", AT_EMPTY_PATH, 0x7ffu, &sx);
  CHECK(sr == 0 && sx.size == 3, "statx AT_EMPTY_PATH on fd");

  /* dup, dup2, fcntl flags: a dup shares the offset */
  int d = dup(fd);
  CHECK(d > fd, "dup gives a higher fd");
  CHECK(lseek(fd, 1, SEEK_SET) == 1 && lseek(d, 0, SEEK_CUR) == 1, "dup shares offset");
  CHECK(dup2(fd, 20) == 20, "dup2 to 20");
  CHECK(fcntl(20, F_GETFD) == 0, "dup2 clears FD_CLOEXEC");
  CHECK(fcntl(20, F_SETFD, FD_CLOEXEC) == 0 && fcntl(20, F_GETFD) == FD_CLOEXEC, "F_SETFD FD_CLOEXEC");
  int d3 = fcntl(fd, F_DUPFD_CLOEXEC, 30);
  CHECK(d3 == 30 && fcntl(d3, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC from 30 gives %d", d3);
  CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL O_RDWR");
  CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND), "F_SETFL O_APPEND");
  CHECK(write(fd, "!", 1) == 1 && fstat(fd, &st) == 0 && st.st_size == 4, "append writes at end");
  CHECK(close(20) == 0 && close(d3) == 0 && close(d) == 0, "close dups");
  CHECK(close(d) == -1 && errno == EBADF, "close closed fd: %s", ename(errno));
  CHECK(read(77, buf, 1) == -1 && errno == EBADF, "read bad fd: %s", ename(errno));

  /* record locks: POSIX locks never conflict within a process; OFD
   * locks conflict between open file descriptions */
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  CHECK(fcntl(fd, F_SETLK, &fl) == 0, "F_SETLK write lock");
  fl.l_type = F_WRLCK;
  CHECK(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK, "F_GETLK same process: F_UNLCK");
  fl.l_type = F_UNLCK;
  CHECK(fcntl(fd, F_SETLK, &fl) == 0, "unlock");
  int fd2 = open("a.txt", O_RDWR);
  struct flock of = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10, .l_pid = 0};
  CHECK(fcntl(fd, F_OFD_SETLK, &of) == 0, "F_OFD_SETLK on fd");
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1, .l_pid = 0};
  CHECK(fcntl(fd2, F_OFD_GETLK, &q) == 0 && q.l_type == F_WRLCK && q.l_start == 0 && q.l_len == 10 &&
            q.l_pid == -1, "F_OFD_GETLK from another open sees the lock");
  q.l_type = F_WRLCK;
  q.l_start = 5;
  q.l_len = 1;
  q.l_pid = 0;
  CHECK(fcntl(fd2, F_OFD_SETLK, &q) == -1 && (errno == EAGAIN || errno == EACCES), "F_OFD_SETLK conflicts");
  close(fd2);
  close(fd);

  /* O_EXCL, O_DIRECTORY, reading a directory */
  CHECK(open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600) == -1 && errno == EEXIST, "O_EXCL on existing: %s", ename(errno));
  CHECK(open("a.txt", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR, "O_DIRECTORY on file: %s", ename(errno));
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(dfd >= 0 && read(dfd, buf, 1) == -1 && errno == EISDIR, "read a directory: %s", ename(errno));
  CHECK(open("nope/x", O_RDONLY) == -1 && errno == ENOENT, "open in missing dir: %s", ename(errno));

  /* openat relative to a directory fd */
  CHECK(mkdir("sub", 0700) == 0, "mkdir sub");
  int sfd = open("sub", O_RDONLY | O_DIRECTORY);
  int f3 = openat(sfd, "inner.txt", O_CREAT | O_WRONLY, 0640);
  CHECK(f3 >= 0 && write(f3, "in", 2) == 2, "openat(subfd, inner.txt)");
  close(f3);
  CHECK(stat("sub/inner.txt", &st) == 0 && st.st_size == 2 && (st.st_mode & 0777) == 0640, "sub/inner.txt size 2 mode 640");
  CHECK(fstatat(sfd, "../a.txt", &st, 0) == 0 && st.st_size == 4, "fstatat(subfd, ../a.txt)");

  /* symlinks and readlink */
  CHECK(symlink("a.txt", "link") == 0, "symlink link -> a.txt");
  n = readlink("link", buf, sizeof buf);
  CHECK(n == 5 && !memcmp(buf, "a.txt", 5), "readlink link");
  CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode), "lstat sees a link");
  CHECK(stat("link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4, "stat follows it");
  CHECK(readlink("a.txt", buf, sizeof buf) == -1 && errno == EINVAL, "readlink regular: %s", ename(errno));
  CHECK(open("link", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP, "O_NOFOLLOW on link: %s", ename(errno));
  CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0, "symlink loop");
  CHECK(open("loop1", O_RDONLY) == -1 && errno == ELOOP, "open loop: %s", ename(errno));
  CHECK(link("a.txt", "hard") == 0 && stat("a.txt", &st) == 0 && st.st_nlink == 2, "link: nlink 2");

  /* access */
  CHECK(access("a.txt", R_OK | W_OK) == 0, "access a.txt rw");
  CHECK(access("missing", F_OK) == -1 && errno == ENOENT, "access missing: %s", ename(errno));
  CHECK(faccessat(sfd, "inner.txt", R_OK, 0) == 0, "faccessat(subfd, inner.txt)");
  CHECK(chmod("a.txt", 0600) == 0 && stat("a.txt", &st) == 0 && (st.st_mode & 0777) == 0600, "chmod 600");

  /* rename, unlink */
  CHECK(rename("hard", "hard2") == 0 && stat("hard", &st) == -1 && stat("hard2", &st) == 0, "rename hard -> hard2");
  CHECK(rename("hard2", "a.txt") == 0 && stat("hard2", &st) == 0, "rename onto a hard link of itself: no-op");
  CHECK(unlink("hard2") == 0 && stat("a.txt", &st) == 0 && st.st_nlink == 1, "unlink hard2: nlink 1");
  CHECK(rename("missing", "x") == -1 && errno == ENOENT, "rename missing: %s", ename(errno));
  int keep = open("sub/inner.txt", O_RDONLY);
  CHECK(unlink("sub/inner.txt") == 0, "unlink sub/inner.txt");
  n = read(keep, buf, 10);
  CHECK(n == 2 && !memcmp(buf, "in", 2), "unlinked file stays readable");
  close(keep);
  CHECK(unlink("sub") == -1 && errno == EISDIR, "unlink a directory: %s", ename(errno));

  /* directory listing: sort, since order is the file system's */
  CHECK(mkdir("sub/deeper", 0755) == 0, "mkdir sub/deeper");
  CHECK(rmdir("sub") == -1 && errno == ENOTEMPTY, "rmdir non-empty: %s", ename(errno));
  DIR *dp = opendir(".");
  char *names[64];
  int nn = 0;
  struct dirent *de;
  while (dp && (de = readdir(dp)) && nn < 64) {
    char t = de->d_type == DT_DIR ? 'd' : de->d_type == DT_LNK ? 'l' : de->d_type == DT_REG ? 'f' : '?';
    char *s = malloc(strlen(de->d_name) + 3);
    sprintf(s, "%s:%c", de->d_name, t);
    names[nn++] = s;
  }
  if (dp) closedir(dp);
  qsort(names, nn, sizeof names[0], cmpstr);
  printf("dir:");
  for (int i = 0; i < nn; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
  CHECK(nn == 7, "7 entries");

  /* pipes */
  int p[2];
  CHECK(pipe(p) == 0, "pipe");
  CHECK(write(p[1], "through the pipe", 16) == 16, "write pipe");
  n = read(p[0], buf, sizeof buf);
  buf[n > 0 ? n : 0] = 0;
  CHECK(n == 16 && !strcmp(buf, "through the pipe"), "read pipe '%s'", buf);
  CHECK(lseek(p[0], 0, SEEK_CUR) == -1 && errno == ESPIPE, "lseek pipe: %s", ename(errno));
  CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && read(p[0], buf, 1) == -1 && errno == EAGAIN, "nonblocking empty pipe: %s", ename(errno));
  close(p[1]);
  CHECK(read(p[0], buf, 1) == 0, "EOF after writer closed");
  close(p[0]);
  CHECK(pipe2(p, O_CLOEXEC) == 0 && fcntl(p[0], F_GETFD) == FD_CLOEXEC, "pipe2 O_CLOEXEC");
  int saved = dup(1);
  int dup_ok = saved >= 0 && dup2(p[1], 1) == 1;
  printf("into the pipe\n");
  fflush(stdout);
  n = read(p[0], buf, sizeof buf);
  buf[n > 0 ? n : 0] = 0;
  if (dup2(saved, 1) != 1) failures++;
  close(saved);
  close(p[0]);
  close(p[1]);
  CHECK(dup_ok && !strcmp(buf, "into the pipe\n"), "stdout redirected into a pipe");

  /* /proc/self */
  n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  const char *eb = strrchr(buf, '/');
  CHECK(n > 0 && buf[0] == '/', "readlink /proc/self/exe is absolute");
  printf("exe basename: %s\n", eb ? eb + 1 : buf);
  fd = open("/proc/self/cmdline", O_RDONLY);
  n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
  {
    size_t want = 0;
    for (int i = 0; i < argc; i++) want += strlen(argv[i]) + 1;
    CHECK(n == (ssize_t)want && !strcmp(buf, argv[0]) && (argc < 2 || !strcmp(buf + strlen(buf) + 1, argv[1])),
          "/proc/self/cmdline is argv (%d strings)", argc);
  }
  if (fd >= 0) close(fd);

  /* clean up */
  CHECK(rmdir("sub/deeper") == 0 && rmdir("sub") == 0, "rmdir sub/deeper sub");
  CHECK(unlink("a.txt") == 0 && unlink("link") == 0 && unlink("loop1") == 0 && unlink("loop2") == 0, "unlink files");
  close(sfd);
  close(dfd);
  CHECK(chdir("..") == 0, "chdir ..");
  CHECK(rmdir(dir) == 0, "rmdir %s", dir);
  CHECK(access(dir, F_OK) == -1 && errno == ENOENT, "scratch dir gone");
  printf("%s: %d failures\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
