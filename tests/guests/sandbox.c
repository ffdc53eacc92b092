#define _GNU_SOURCE
/* Guest for tests/guests/sandbox_test.sh: run under `faultline run --root
 * DIR` it tries to see files outside DIR (".." escapes, absolute and
 * relative symlinks, directory fds, /proc magic) and prints one line per
 * attempt: "<what>: ok <first line>" or "<what>: <ERRNO>".  DIR holds
 * etc/passwd = "inside", so every successful open must print "inside".
 * With argument "ro" (run with --read-only) it tries to write instead. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static const char *ename(int e) {
  static char b[16];
  switch (e) {
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case ELOOP: return "ELOOP";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EXDEV: return "EXDEV";
  case EROFS: return "EROFS";
  case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case EFAULT: return "EFAULT";
  default: snprintf(b, sizeof b, "errno%d", e); return b;
  }
}

/* print the first line of an open fd */
static void show_fd(const char *what, int fd) {
  if (fd < 0) { printf("%s: %s\n", what, ename(errno)); return; }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) { printf("%s: read %s\n", what, ename(errno)); close(fd); return; }
  buf[n] = 0;
  char *nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  printf("%s: ok %s\n", what, buf);
  close(fd);
}

static void try_open(const char *path) {
  char what[512];
  snprintf(what, sizeof what, "open %s", path);
  show_fd(what, open(path, O_RDONLY));
}

static void show_rc(const char *what, int rc) {
  if (rc < 0) printf("%s: %s\n", what, ename(errno));
  else printf("%s: ok\n", what);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("list %s: %s\n", path, ename(errno)); return; }
  char *names[128];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 128) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmpstr);
  printf("list %s:", path);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

static void read_only_tests(void) {
  struct stat st;
  show_rc("open O_CREAT new", open("/newfile", O_CREAT | O_WRONLY, 0644));
  show_rc("open O_WRONLY existing", open("/etc/passwd", O_WRONLY));
  show_rc("open O_RDWR existing", open("/etc/passwd", O_RDWR));
  show_rc("open O_TRUNC existing", open("/etc/passwd", O_RDONLY | O_TRUNC));
  int fd = open("/etc/passwd", O_RDONLY | O_CREAT, 0644);
  show_fd("open O_RDONLY|O_CREAT existing", fd);
  show_fd("open O_RDONLY", open("/etc/passwd", O_RDONLY));
  show_rc("unlink", unlink("/etc/passwd"));
  show_rc("unlink missing", unlink("/nothing"));
  show_rc("rename", rename("/etc/passwd", "/etc/passwd2"));
  show_rc("mkdir new", mkdir("/newdir", 0755));
  show_rc("mkdir existing", mkdir("/etc", 0755));
  show_rc("rmdir", rmdir("/emptydir"));
  show_rc("symlink", symlink("/etc/passwd", "/newlink"));
  show_rc("link", link("/etc/passwd", "/newhard"));
  show_rc("chmod", chmod("/etc/passwd", 0600));
  show_rc("truncate", truncate("/etc/passwd", 0));
  show_rc("utimes", utimes("/etc/passwd", NULL));
  show_rc("access W_OK", access("/etc/passwd", W_OK));
  show_rc("access R_OK", access("/etc/passwd", R_OK));
  show_rc("stat still works", stat("/etc/passwd", &st));
  printf("size %ld\n", (long)st.st_size);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "ro")) {
    read_only_tests();
    return 0;
  }
  char buf[4096];
  struct stat st;
  /* plain and ".." escapes */
  try_open("/etc/passwd");
  try_open("../../etc/passwd");
  try_open("/../../../../../../etc/passwd");
  try_open("etc/../../etc/passwd");
  for (int i = 0; i < 30; i++) chdir("..");
  printf("cwd after 30 x chdir(..): %s\n", getcwd(buf, sizeof buf) ? buf : ename(errno));
  try_open("etc/passwd");
  /* symlinks planted by the test script inside DIR */
  try_open("/abs_link");                 /* -> /etc/passwd (absolute) */
  try_open("/rel_link");                 /* -> ../../../../../../../etc/passwd */
  try_open("/up_link/etc/passwd");       /* -> ../../../.. (a directory) */
  try_open("/abs_dir_link/passwd");      /* -> /etc */
  try_open("/loop_link");                /* -> loop_link */
  ssize_t n = readlink("/abs_link", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("readlink /abs_link: %s\n", n >= 0 ? buf : ename(errno));
  /* symlinks made by the guest */
  show_rc("symlink /mylink -> /etc/passwd", symlink("/etc/passwd", "/mylink"));
  try_open("/mylink");
  show_rc("symlink /myroot -> /", symlink("/", "/myroot"));
  try_open("/myroot/../../etc/passwd");
  /* directory fds */
  int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
  show_fd("openat(/etc fd, ../../../etc/passwd)", openat(dfd, "../../../etc/passwd", O_RDONLY));
  show_fd("openat(/etc fd, /etc/passwd)", openat(dfd, "/etc/passwd", O_RDONLY));
  show_rc("fchdir(/etc fd)", fchdir(dfd));
  printf("cwd: %s\n", getcwd(buf, sizeof buf) ? buf : ename(errno));
  try_open("../../passwd");
  try_open("../etc/passwd");
  chdir("/");
  /* metadata through escapes */
  show_rc("stat /../../etc/passwd", stat("/../../etc/passwd", &st));
  printf("size %ld\n", (long)st.st_size);
  show_rc("lstat /abs_link", lstat("/abs_link", &st));
  printf("is link %d\n", S_ISLNK(st.st_mode));
  show_rc("stat /abs_link", stat("/abs_link", &st));
  printf("size %ld\n", (long)st.st_size);
  show_rc("access /rel_link", access("/rel_link", R_OK));
  show_rc("mkdir ../../escape_probe", mkdir("../../escape_probe", 0755));
  show_rc("stat /escape_probe", stat("/escape_probe", &st));
  show_rc("rmdir /escape_probe", rmdir("/escape_probe"));
  show_rc("link /../etc/passwd -> /hard", link("/../etc/passwd", "/hard"));
  try_open("/hard");
  unlink("/hard");
  unlink("/mylink");
  unlink("/myroot");
  list_dir("/..");
  list_dir("/../etc");
  /* /proc: the guest's own, served by the model */
  try_open("/proc/self/mem");
  try_open("/proc/self/pagemap");
  try_open("/proc/kcore");
  try_open("/proc/1/root/etc/passwd");
  try_open("/proc/999/status");
  n = readlink("/proc/self/root", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("readlink /proc/self/root: %s\n", n >= 0 ? buf : ename(errno));
  try_open("/proc/self/root/etc/passwd");
  try_open("/proc/self/root/../../etc/passwd");
  try_open("/proc/self/cwd/etc/passwd");
  n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("readlink /proc/self/exe: %s\n", n >= 0 ? buf : ename(errno));
  int fd = open("/etc/passwd", O_RDONLY);
  char lp[64];
  snprintf(lp, sizeof lp, "/proc/self/fd/%d", fd);
  n = readlink(lp, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("readlink /proc/self/fd/N: %s\n", n >= 0 ? buf : ename(errno));
  close(fd);
  snprintf(lp, sizeof lp, "/proc/self/fd/%d/../../etc/passwd", dfd);
  show_fd("open /proc/self/fd/<etc dir>/../../etc/passwd", open(lp, O_RDONLY));
  try_open("/dev/fd/0");
  try_open("/proc/self/fd/0/../../etc/passwd");
  close(dfd);
  return 0;
}
