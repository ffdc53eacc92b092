/* pid 1 (init) seen from a process that is not it: kill(1, 0), /proc/1
 * and its stat, status, comm and cmdline, pidfd_open(1) and
 * pidfd_send_signal through it and through an open /proc/1, waitpid(1)
 * (not a child), setpgid(1) (not a child), getpriority(1), the /proc
 * listing; then, as an unprivileged user (a child that drops to nobody
 * when the run is root's), what Linux refuses another user's process:
 * kill and pidfd_send_signal (EPERM), setpriority (EPERM),
 * get_robust_list (EPERM), readlink of exe, cwd and root, open of maps
 * and of the fd directory (EACCES).  As root nothing is sent to or
 * changed in init (natively it is the host's or container's init).
 *
 * Printed is only what is the same for any init: its pid, state S,
 * parent 0, uids 0; not its name, arguments, process group or session
 * (a container's init is whatever the runtime started, with the group
 * and session of the namespace's parent: 0 0; the model's is "init",
 * 1 1), nor anything about this process's own pid. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

/* the file's first line, or the error */
static void first_line(const char *path, char *out, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { snprintf(out, n, "open: %s", strerror(errno)); return; }
  ssize_t r = read(fd, out, n - 1);
  close(fd);
  if (r < 0) { snprintf(out, n, "read: %s", strerror(errno)); return; }
  out[r] = 0;
  out[strcspn(out, "\n")] = 0;
}

static void show_stat(void) {
  char b[1024];
  first_line("/proc/1/stat", b, sizeof b);
  /* "pid (comm) state ppid ...": comm may hold spaces, the last ')' ends it */
  char *rp = strrchr(b, ')');
  int pid = atoi(b);
  char st = 0;
  int ppid = -1;
  if (rp) sscanf(rp + 1, " %c %d", &st, &ppid);
  printf("/proc/1/stat: pid %d state %c ppid %d\n", pid, st, ppid);
}

static void show_status(void) {
  FILE *f = fopen("/proc/1/status", "r");
  if (!f) { printf("/proc/1/status: %s\n", strerror(errno)); return; }
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "State:", 6) || !strncmp(line, "Pid:", 4) || !strncmp(line, "PPid:", 5) ||
        !strncmp(line, "Tgid:", 5) || !strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4))
      printf("/proc/1/status %s", line);
  fclose(f);
}

static void readable(const char *path) {
  int fd = open(path, O_RDONLY);
  char b[256];
  ssize_t r = fd < 0 ? -1 : read(fd, b, sizeof b);
  int e = errno;
  if (fd >= 0) close(fd);
  errno = e;
  printf("%s: %s%s\n", path, err(r), r > 0 ? ", not empty" : "");
}

static bool listed_in(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return false;
  bool found = false;
  for (struct dirent *e; (e = readdir(d));) found |= !strcmp(e->d_name, "1");
  closedir(d);
  return found;
}

/* the calls every user may make on init, and what they answer */
static void common(const char *who) {
  printf("[%s] kill(1, 0): %s\n", who, err(kill(1, 0)));
  int pfd = (int)syscall(SYS_pidfd_open, 1, 0);
  printf("[%s] pidfd_open(1): %s\n", who, err(pfd));
  if (pfd >= 0) {
    printf("[%s] pidfd_send_signal(pidfd of 1, 0): %s\n", who, err(syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0)));
    close(pfd);
  }
  int dfd = open("/proc/1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  printf("[%s] open /proc/1: %s\n", who, err(dfd));
  if (dfd >= 0) {
    printf("[%s] pidfd_send_signal(/proc/1, 0): %s\n", who, err(syscall(SYS_pidfd_send_signal, dfd, 0, NULL, 0)));
    close(dfd);
  }
  printf("[%s] waitpid(1, WNOHANG): %s\n", who, err(waitpid(1, NULL, WNOHANG)));
  printf("[%s] setpgid(1, 1): %s\n", who, err(setpgid(1, 1)));
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 1);   /* its value is init's own: not printed */
  printf("[%s] getpriority(PRIO_PROCESS, 1): %s\n", who, nice == -1 && errno ? strerror(errno) : "ok");
}

/* what Linux refuses a user other than init's (ptrace_may_access,
 * kill_ok_by_cred) */
static void unprivileged(void) {
  const char *who = "nobody";
  common(who);
  char b[256];
  static const char *const links[] = {"/proc/1/exe", "/proc/1/cwd", "/proc/1/root"};
  for (int i = 0; i < 3; i++) printf("[%s] readlink %s: %s\n", who, links[i], err(readlink(links[i], b, sizeof b)));
  printf("[%s] setpriority(PRIO_PROCESS, 1, 19): %s\n", who, err(setpriority(PRIO_PROCESS, 1, 19)));
  int fd = open("/proc/1/maps", O_RDONLY);
  printf("[%s] open /proc/1/maps: %s\n", who, err(fd));
  if (fd >= 0) close(fd);
  DIR *d = opendir("/proc/1/fd");
  printf("[%s] opendir /proc/1/fd: %s\n", who, d ? "ok" : strerror(errno));
  if (d) closedir(d);
  void *head;
  size_t len;
  printf("[%s] get_robust_list(1): %s\n", who, err(syscall(SYS_get_robust_list, 1, &head, &len)));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("this process is pid 1: %s\n", getpid() == 1 ? "yes" : "no");
  printf("/proc/1 exists: %s\n", access("/proc/1", F_OK) ? strerror(errno) : "yes");
  printf("/proc lists 1: %s\n", listed_in("/proc") ? "yes" : "no");
  printf("/proc/1/task lists 1: %s\n", listed_in("/proc/1/task") ? "yes" : "no");
  struct stat sb;
  if (stat("/proc/1", &sb)) printf("stat /proc/1: %s\n", strerror(errno));
  else printf("stat /proc/1: uid %u gid %u, a directory: %s\n", (unsigned)sb.st_uid, (unsigned)sb.st_gid,
              S_ISDIR(sb.st_mode) ? "yes" : "no");
  show_stat();
  show_status();
  readable("/proc/1/comm");
  readable("/proc/1/cmdline");
  if (getuid() != 0) {
    unprivileged();
    return 0;
  }
  common("root");
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) || setuid(65534)) { perror("setuid"); _exit(1); }
    unprivileged();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
