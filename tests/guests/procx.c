/* /proc as LTP reads it: /proc/sys values, another process's
 * /proc/<pid>/stat state (S while it blocks, Z before it is waited for,
 * gone after), readdir of /proc, smaps' Locked after mlock, /proc/mounts,
 * /proc/sysvipc/shm.  Only properties that hold on any Linux are printed
 * (the values themselves differ natively): output must equal the native
 * run's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static const char *yesno(int b) { return b ? "yes" : "no"; }

/* the whole file (NUL-terminated) or NULL with errno set */
static char *slurp(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *b = malloc(cap);
  for (;;) {
    if (len + 4096 + 1 > cap) b = realloc(b, cap *= 2);
    ssize_t r = read(fd, b + len, 4096);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  b[len] = 0;
  return b;
}

/* the state letter of /proc/<pid>/stat (third field), or 0 + errno */
static char proc_state(int pid) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/stat", pid);
  char *s = slurp(p);
  if (!s) return 0;
  char *rp = strrchr(s, ')');      /* comm may hold spaces */
  char c = rp && rp[1] == ' ' ? rp[2] : '?';
  free(s);
  return c;
}

static char wait_state(int pid, const char *want) {
  char c = 0;
  for (int i = 0; i < 5000; i++) {
    c = proc_state(pid);
    if (c && strchr(want, c)) break;
    usleep(1000);
  }
  return c;
}

static const char *errname(int e) {
  return e == ENOENT ? "ENOENT" : e == EACCES ? "EACCES" : e == EINVAL ? "EINVAL" : "other";
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  /* /proc/sys */
  char *s = slurp("/proc/sys/kernel/pid_max");
  long pm = s ? strtol(s, NULL, 10) : -1;
  printf("pid_max readable, >= 32768 and above my pid: %s\n", yesno(pm >= 32768 && pm > getpid()));
  free(s);
  s = slurp("/proc/sys/kernel/tainted");
  printf("tainted is a number: %s\n", yesno(s && s[0] >= '0' && s[0] <= '9'));
  free(s);
  struct shminfo si;
  int top = shmctl(0, IPC_INFO, (struct shmid_ds *)(void *)&si);
  char *mx = slurp("/proc/sys/kernel/shmmax"), *mn = slurp("/proc/sys/kernel/shmmni"),
       *ma = slurp("/proc/sys/kernel/shmall");
  printf("shmmax, shmmni, shmall as IPC_INFO reports them: %s\n",
         yesno(top >= 0 && mx && mn && ma && strtoull(mx, NULL, 10) == si.shmmax &&
            strtoull(mn, NULL, 10) == si.shmmni && strtoull(ma, NULL, 10) == si.shmall));
  free(mx); free(mn); free(ma);
  static const char *const nums[] = {"/proc/sys/vm/overcommit_memory", "/proc/sys/vm/max_map_count",
    "/proc/sys/vm/nr_hugepages", "/proc/sys/fs/pipe-user-pages-soft", "/proc/sys/fs/pipe-max-size"};
  int allnum = 1;
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    s = slurp(nums[i]);
    char *e;
    if (!s || strtol(s, &e, 10) < 0 || e == s || *e != '\n') allnum = 0;
    free(s);
  }
  printf("vm and fs sysctls hold one number each: %s\n", yesno(allnum));
  s = slurp("/proc/sys/kernel/core_pattern");
  printf("core_pattern is one line: %s\n", yesno(s && s[0] && strchr(s, '\n') == s + strlen(s) - 1));
  free(s);
  int fd = open("/proc/sys/vm/drop_caches", O_RDONLY);
  printf("open drop_caches for reading: %s\n", fd >= 0 ? "ok" : errname(errno));
  if (fd >= 0) close(fd);

  /* my own state */
  printf("my /proc/self/stat state: %c\n", proc_state(getpid()));

  /* a child: blocked, then a zombie, then gone */
  int p[2];
  if (pipe(p)) return 1;
  pid_t c = fork();
  if (c == 0) {
    char x;
    close(p[1]);
    ssize_t r = read(p[0], &x, 1);
    _exit(r == 1 ? 7 : 1);
  }
  close(p[0]);
  printf("child's state while it blocks in read(): %c\n", wait_state(c, "S"));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cmdline", c);
  char *mine = slurp("/proc/self/cmdline"), *his = slurp(path);
  printf("child's cmdline is mine: %s\n", yesno(mine && his && !strcmp(mine, his) && mine[0]));
  free(mine); free(his);
  snprintf(path, sizeof path, "/proc/%d/status", c);
  s = slurp(path);
  char want[64];
  snprintf(want, sizeof want, "\nPPid:\t%d\n", getpid());
  printf("child's status names me as parent: %s\n", yesno(s && strstr(s, want)));
  free(s);
  DIR *d = opendir("/proc");
  int listed = 0;
  struct dirent *de;
  while (d && (de = readdir(d))) listed |= atoi(de->d_name) == c;
  if (d) closedir(d);
  printf("readdir of /proc lists the child: %s\n", yesno(listed));
  if (write(p[1], "x", 1) != 1) return 1;
  printf("after it exits, before wait: %c\n", wait_state(c, "Z"));
  s = slurp(path);
  printf("its status says zombie: %s\n", yesno(s && strstr(s, "\nState:\tZ (zombie)\n")));
  free(s);
  int st;
  waitpid(c, &st, 0);
  printf("exit status %d; after wait its stat: %s\n", WEXITSTATUS(st),
         proc_state(c) ? "still there" : errname(errno));
  printf("/proc/<no such pid>/stat: %s\n", proc_state(4000000) ? "there" : errname(errno));

  /* smaps: Locked of an mlocked range */
  char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 1, 4 * PG);
  int lr = mlock(a, 4 * PG);
  s = slurp("/proc/self/smaps");
  long locked = -1, rss = -1;
  for (char *l = s; l && *l;) {
    unsigned long lo, hi;
    if (sscanf(l, "%lx-%lx ", &lo, &hi) == 2 && lo <= (unsigned long)a && (unsigned long)a < hi) {
      char *q = l;
      while ((q = strchr(q, '\n')) && q[1] && !(q[1] >= '0' && q[1] <= '9') && !(q[1] >= 'a' && q[1] <= 'f')) {
        q++;
        sscanf(q, "Locked: %ld kB", &locked);
        sscanf(q, "Rss: %ld kB", &rss);
      }
      break;
    }
    l = strchr(l, '\n');
    if (l) l++;
  }
  free(s);
  printf("mlock: %d; smaps Rss and Locked of the range >= 16 kB: %s %s\n", lr, yesno(rss >= 16),
         yesno(locked >= 16));
  s = slurp("/proc/self/smaps_rollup");
  printf("smaps_rollup has Rss and Locked: %s\n", yesno(s && strstr(s, "\nRss:") && strstr(s, "\nLocked:")));
  free(s);

  /* mounts */
  s = slurp("/proc/mounts");
  int root = 0;
  for (char *l = s; l && *l;) {
    char dev[256], mp[256];
    if (sscanf(l, "%255s %255s", dev, mp) == 2 && !strcmp(mp, "/")) root = 1;
    l = strchr(l, '\n');
    if (l) l++;
  }
  free(s);
  printf("/proc/mounts has a line for /: %s\n", yesno(root));
  s = slurp("/proc/self/mountinfo");
  root = 0;
  for (char *l = s; l && *l;) {
    char mp[256];
    if (sscanf(l, "%*d %*d %*s %*s %255s", mp) == 1 && !strcmp(mp, "/")) root = 1;
    l = strchr(l, '\n');
    if (l) l++;
  }
  free(s);
  printf("/proc/self/mountinfo has a line for /: %s\n", yesno(root));

  /* /proc/sysvipc/shm */
  int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  s = slurp("/proc/sysvipc/shm");
  int found = 0, hdr = s && !strncmp(s, "       key      shmid perms", 27);
  for (char *l = s ? strchr(s, '\n') : NULL; l && *++l;) {
    int key, sid, cpid;
    unsigned perms;
    unsigned long size;
    if (sscanf(l, "%d %d %o %lu %d", &key, &sid, &perms, &size, &cpid) == 5 && sid == id)
      found = size == 8192 && cpid == getpid() && (perms & 0777) == 0600;
    l = strchr(l, '\n');
  }
  free(s);
  printf("/proc/sysvipc/shm: header %s, lists my segment (8192 bytes, 600, my pid): %s\n", yesno(hdr),
         yesno(found));
  shmctl(id, IPC_RMID, NULL);
  return 0;
}
