/* Directory notification (fcntl F_NOTIFY, dnotify) with F_SETSIG and
 * F_GETOWN: a signal (a standard one: Linux merges its events while one is
 * pending, as it merges them here) for each creation, deletion and rename in a watched
 * directory (multishot), one for the first modification (one-shot, the
 * default SIGIO), none for changes elsewhere; F_NOTIFY on a file is
 * ENOTDIR; DN_MULTISHOT alone (CPython's test_fcntl_64_bit) removes the
 * watch.  Output is the same natively and under faultline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t rt, io;
static void on_rt(int s) { (void)s; rt++; }
static void on_io(int s) { (void)s; io++; }

int main(void) {
  char a[] = "/tmp/dnotifyx.XXXXXX", b[] = "/tmp/dnotifyy.XXXXXX", p[128], q[128];
  if (!mkdtemp(a) || !mkdtemp(b)) return 1;
  signal(SIGUSR1, on_rt);
  signal(SIGIO, on_io);
  int d = open(a, O_RDONLY | O_DIRECTORY);
  int r = fcntl(d, F_SETSIG, SIGUSR1);
  printf("F_SETSIG %d, F_GETSIG is it %d\n", r, fcntl(d, F_GETSIG) == SIGUSR1);
  r = fcntl(d, F_NOTIFY, DN_CREATE | DN_DELETE | DN_RENAME | DN_MULTISHOT);
  printf("F_NOTIFY multishot %d, the owner is me %d\n", r, fcntl(d, F_GETOWN) == getpid());
  snprintf(p, sizeof p, "%s/f", a);
  int f = open(p, O_CREAT | O_WRONLY, 0600);
  printf("after a creation: %d\n", (int)rt);
  if (write(f, "x", 1) != 1) return 1;
  close(f);
  printf("after a write (not asked for): %d\n", (int)rt);
  snprintf(q, sizeof q, "%s/g", a);
  rename(p, q);
  printf("after a rename in the directory: %d\n", (int)rt);
  snprintf(p, sizeof p, "%s/moved", b);
  rename(q, p);
  printf("after a rename out of it: %d\n", (int)rt);
  rename(p, q);
  printf("after a rename into it: %d\n", (int)rt);
  snprintf(p, sizeof p, "%s/sub", a);
  mkdir(p, 0700);
  rmdir(p);
  printf("after mkdir and rmdir: %d\n", (int)rt);
  unlink(q);
  printf("after an unlink: %d\n", (int)rt);
  snprintf(p, sizeof p, "%s/elsewhere", b);
  close(open(p, O_CREAT | O_WRONLY, 0600));
  unlink(p);
  printf("after changes in another directory: %d\n", (int)rt);
  /* one-shot, the default signal */
  int e = open(b, O_RDONLY | O_DIRECTORY);
  printf("F_NOTIFY modify %d\n", fcntl(e, F_NOTIFY, DN_MODIFY));
  snprintf(p, sizeof p, "%s/m", b);
  f = open(p, O_CREAT | O_WRONLY, 0600);
  printf("SIGIO after a creation (not asked for): %d\n", (int)io);
  if (write(f, "a", 1) != 1 || write(f, "b", 1) != 1) return 1;
  printf("SIGIO after two writes (one-shot): %d\n", (int)io);
  r = fcntl(f, F_NOTIFY, DN_CREATE);
  printf("F_NOTIFY on a file: %d %s\n", r, strerror(errno));
  close(f);
  unlink(p);
  /* DN_MULTISHOT alone: the watch goes, and nothing more is signalled */
  printf("F_NOTIFY DN_MULTISHOT alone %d\n", fcntl(d, F_NOTIFY, DN_MULTISHOT));
  snprintf(p, sizeof p, "%s/after", a);
  close(open(p, O_CREAT | O_WRONLY, 0600));
  unlink(p);
  printf("after the watch went: %d\n", (int)rt);
  close(d);
  close(e);
  rmdir(a);
  rmdir(b);
  return 0;
}
