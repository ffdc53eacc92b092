/* The modelled /proc (and the few /sys and /dev files the model
 * serves): /proc/self, /proc/thread-self and /proc/<pid> of every guest
 * process (zombies too, state Z) with exe, cwd, root, fd/, cmdline, maps,
 * smaps, smaps_rollup, mounts, mountinfo, auxv, stat, status, comm, and
 * mem, pagemap, coredump_filter (procfs_mem.c);
 * /proc/cpuinfo (from the CPUID personality), /proc/meminfo (guest RAM),
 * /proc/mounts (a link to self/mounts), /proc/sys (one table: the
 * sysctls the model has, with Linux's modes; writes go to the table's
 * handler), /proc/sysvipc/shm (sys_shm.c's segments), and
 * /sys/devices/system/cpu/{online,possible,present}.  This file holds
 * the tree: inode numbers, the process a path names, the exe, cwd, root
 * and fd links, directory listings and the walk itself (fs_proc_walk,
 * which path.c's lookup calls before any host lookup).  Content is
 * generated when a file is opened: comm, maps, status and stat in
 * procfs_pid.c, cpuinfo and meminfo in procfs_info.c, smaps in
 * procfs_smaps.c, mounts and the /proc/sys table in procfs_sys.c. */
#include "sim/procfs_priv.h"
#include "sim/mm_internal.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A pseudo file's inode number: a hash of its path; under /proc/<pid>
 * the process's serial enters it too (proc_pid_make_inode gives every
 * process's inodes new numbers), so a pid used again names other inodes.
 * serial 0: the live process with that pid (an open /proc/<pid> file
 * passes the one it was opened on). */
uint64_t fs_px_ino(struct kernel *k, const char *gpath, uint64_t serial) {
  uint64_t h = 0xcbf29ce484222325ull;          /* FNV-1a */
  for (const char *p = gpath; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
  if (!serial) serial = proc_path_serial(k, gpath);
  h ^= serial * 0x9e3779b97f4a7c15ull;
  return (h & 0xffffffffull) | 0x100000000ull;  /* never 0 */
}

/* the serial (struct task's) of the live process a /proc/<pid> path
 * names, 0 for any other path */
uint64_t proc_path_serial(struct kernel *k, const char *gpath) {
  if (strncmp(gpath, "/proc/", 6)) return 0;
  const char *p = gpath + 6;
  long pid = 0;
  for (; *p >= '0' && *p <= '9' && pid < 100000000; p++) pid = pid * 10 + (*p - '0');
  if (p == gpath + 6 || (*p && *p != '/')) return 0;
  struct task *t = task_find(k, (int)pid);
  return t ? t->serial : 0;
}

void px_free(struct px *r) {
  free(r->buf);
  r->buf = NULL;
  r->len = 0;
}

/* ---- the guest binary and guest fds seen through /proc ---- */


static void pctx_self(struct kernel *k, struct pctx *p) {
  *p = (struct pctx){.c = &k->tc, .t = k->cur, .state = 'R', .self = true};
}

/* a task's view, whichever it is */
static void pctx_task(struct kernel *k, struct task *t, struct pctx *p) {
  if (t == k->cur) { pctx_self(k, p); return; }
  *p = (struct pctx){.c = &t->tc, .t = t, .state = 'R'};
  if (t->state == TS_ZOMBIE) p->state = 'Z';
  else if (t->state == TS_BLOCKED) p->state = t->block == BLK_VFORK ? 'D' : t->block == BLK_STOPPED ? 'T' : 'S';
}

/* The process `pid` (live or zombie): false if there is none. */
static bool pctx_of(struct kernel *k, long pid, struct pctx *p) {
  if (pid == k->tid) { pctx_self(k, p); return true; }
  /* a thread's id names it too (proc_pid_lookup finds any task; the
   * listing shows only processes) */
  struct task *t = k->cur ? task_find_tid(k, (int)pid) : NULL;
  if (!t) return false;
  pctx_task(k, t, p);
  return true;
}

/* ptrace_may_access(PTRACE_MODE_READ_FSCREDS) on the process a /proc
 * file shows, which its memory's files (maps, smaps, auxv: mm_access),
 * its links (proc_fd_access_allowed) and its fd directory (owned by the
 * task's euid, mode 0500) ask of another process's viewer: EACCES when
 * refused */
static bool pctx_may(struct kernel *k, const struct pctx *p) {
  return p->self || !p->t || ptrace_may_access(k, p->t, true);
}

static struct host_file *exe_file_of(const struct task_ctx *c) {
  if (!c->mm) return NULL;
  struct host_file *any = NULL;
  for (int i = 0; i < c->mm->nvmas; i++) {
    struct vma *v = &c->mm->vmas[i];
    if (!v->file) continue;
    if (!strcmp(v->file->path, c->tg->exe_path)) return v->file;
    if (!any) any = v->file;
  }
  return any && !c->tg->exe_path[0] ? any : NULL;
}
static struct host_file *exe_file(struct kernel *k) { return exe_file_of(&k->tc); }

int fs_open_exe(struct kernel *k, int flags) {
  if ((flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH)) return -ETXTBSY;
  flags &= O_PATH | O_DIRECTORY | O_NONBLOCK | O_NOATIME | O_LARGEFILE;
  struct host_file *hf = exe_file(k);
  if (hf) {
    char b[40];
    int fd = open(fs_fdpath(hf->fd, b), flags | O_RDONLY | O_CLOEXEC);
    if (fd >= 0) return fd;
  }
  if (!k->tg->exe_path[0] || !strncmp(k->tg->exe_path, "/proc", 5)) return -ENOENT;
  return fs_host_open(k, AT_FDCWD, k->tg->exe_path, flags | O_RDONLY, 0);
}

int exe_link_text(struct kernel *k, const struct task_ctx *c, char *out, size_t n) {
  struct host_file *hf = exe_file_of(c);
  if (hf && fs_host_fd_guest_path(k, hf->fd, out, n) == 0 && out[0] == '/') return 0;
  if (!c->tg->exe_path[0]) return -ENOENT;
  return fs_norm_path(c->tg->fs->cwd[0] ? c->tg->fs->cwd : "/", c->tg->exe_path, out, n);
}

int fs_exe_link_text(struct kernel *k, char *out, size_t n) { return exe_link_text(k, &k->tc, out, n); }

/* a descriptor of a process's table (NULL unless open) */
static struct gfd *pgfd(const struct task_ctx *c, long fd) {
  if (fd < 0 || fd >= fds_cap(c->files) || !c->fds || c->fds[fd].kind == FDK_NONE) return NULL;
  return &c->fds[fd];
}

static int fd_link_text(struct kernel *k, const struct task_ctx *c, int fd, char *out, size_t n) {
  struct gfd *g = pgfd(c, fd);
  if (!g) return -ENOENT;
  if (g->kind != FDK_PROC && g->kind != FDK_PIDFD && g->kind != FDK_PTY && g->hostfd >= 0) {
    int r = fs_host_fd_guest_path(k, g->hostfd, out, n);
    if (r == 0) return 0;
    if (r == -EXDEV) {   /* outside --root (inherited stdio): the host path, as Linux shows it */
      char b[40];
      ssize_t l = readlink(fs_fdpath(g->hostfd, b), out, n - 1);
      if (l > 0) { out[l] = 0; return 0; }
    }
  }
  if (!g->path[0]) return -ENOENT;
  snprintf(out, n, "%s", g->path);
  return 0;
}

int fs_fd_link_text(struct kernel *k, int fd, char *out, size_t n) { return fd_link_text(k, &k->tc, fd, out, n); }

int fs_reopen_fd(struct kernel *k, int fd, int flags) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -ENOENT;
  if (g->kind == FDK_PROC || g->hostfd < 0) return -EACCES;
  flags &= FS_OPEN_FLAGS_OK & ~(O_CREAT | O_EXCL | __O_TMPFILE | O_NOFOLLOW);
  if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY;
  char b[40];
  int h = open(fs_fdpath(g->hostfd, b), flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY));
  if (h < 0) return -errno;
  if (fs_is_host_proc(h)) { close(h); return -EACCES; }
  return h;
}

/* ---- synthesized content ---- */

void sb_add(struct sbuf *b, const void *d, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 1024;
    while (nc < b->len + n + 1) nc *= 2;
    char *q = realloc(b->p, nc);
    if (!q) return;
    b->p = q;
    b->cap = nc;
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
  b->p[b->len] = 0;
}

void sb_printf(struct sbuf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
  sb_add(b, tmp, (size_t)n);
}

void dir_add(struct kernel *k, struct sbuf *b, const char *dirpath, const char *name, unsigned type) {
  char child[FS_PATH_MAX];
  if (!strcmp(name, ".")) snprintf(child, sizeof child, "%s", dirpath);
  else if (!strcmp(name, "..")) fs_norm_path(dirpath, "..", child, sizeof child);
  else snprintf(child, sizeof child, "%s/%s", dirpath, name);
  size_t nl = strlen(name), reclen = (19 + nl + 1 + 7) & ~(size_t)7;
  uint8_t rec[19 + 256 + 8];
  memset(rec, 0, sizeof rec);
  uint64_t ino = fs_px_ino(k, child, 0), off = b->len + reclen;
  uint16_t rl = (uint16_t)reclen;
  memcpy(rec, &ino, 8);
  memcpy(rec + 8, &off, 8);
  memcpy(rec + 16, &rl, 2);
  rec[18] = (uint8_t)type;
  memcpy(rec + 19, name, nl);
  sb_add(b, rec, reclen);
}

/* ---- the /proc walk ---- */

static bool numeric(const char *s, long *v) {
  if (!*s || strlen(s) > 9) return false;
  long x = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    x = x * 10 + (*p - '0');
  }
  *v = x;
  return true;
}

int px_file(struct px *r, struct sbuf *b, bool slash) {
  if (slash) { free(b->p); return -ENOTDIR; }
  r->kind = PX_FILE;
  r->buf = b->p;
  r->len = b->len;
  if (!r->buf) { r->buf = malloc(1); r->len = 0; }
  return r->buf ? 0 : -ENOMEM;
}

int px_dir(struct px *r, struct sbuf *b) {
  r->kind = PX_DIR;
  r->buf = b->p;
  r->len = b->len;
  return r->buf ? 0 : -ENOMEM;
}

static int px_link(struct px *r, const char *text, const char *rest, bool follow, bool slash) {
  if (*rest || follow || slash) {
    r->kind = PX_REDIRECT;
    int w = snprintf(r->target, sizeof r->target, "%s%s%s%s", text, *rest ? "/" : "", rest,
                     slash && !*rest ? "/" : "");
    return w < 0 || (size_t)w >= sizeof r->target ? -ENAMETOOLONG : 0;
  }
  r->kind = PX_LINK;
  snprintf(r->target, sizeof r->target, "%s", text);
  return 0;
}

/* Can splice read the pseudo file?  Linux gives /proc files a splice_read
 * op only where their file operations have one: the per-process files
 * (stat, maps, cmdline, comm, ...) and /proc/sysvipc have none (splice:
 * EINVAL), the mount tables, cpuinfo, meminfo, /proc/sys and the /sys
 * files do. */
bool fs_proc_splice_read(const char *gpath) {
  if (!strncmp(gpath, "/proc/sysvipc/", 14)) return false;
  if (strncmp(gpath, "/proc/", 6) || gpath[6] < '0' || gpath[6] > '9') return true;
  const char *base = strrchr(gpath, '/') + 1;
  return !strcmp(base, "mounts") || !strcmp(base, "mountinfo");
}

/* g: normalized guest-absolute path; rest of a component list joined. */
int fs_proc_walk(struct kernel *k, const char *g, bool slash, bool follow, struct px *r) {
  r->kind = PX_NONE;
  snprintf(r->gpath, sizeof r->gpath, "%s", g);
  if (k->rootfd < 0) {
    /* the host's /dev/std* and /dev/fd are links into the host's /proc */
    static const char *const stdn[3] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
    for (int i = 0; i < 3; i++)
      if (!strcmp(g, stdn[i]) && (follow || slash)) {
        snprintf(r->target, sizeof r->target, "/proc/self/fd/%d%s", i, slash ? "/" : "");
        r->kind = PX_REDIRECT;
        return 0;
      }
    if (!strncmp(g, "/dev/fd/", 8) || (!strcmp(g, "/dev/fd") && (follow || slash))) {
      if (strlen(g) + 16 > sizeof r->target) return -ENAMETOOLONG;
      snprintf(r->target, sizeof r->target, "/proc/self/fd%.4000s%s", g + 7, slash ? "/" : "");
      r->kind = PX_REDIRECT;
      return 0;
    }
  }
  int pe = pty_walk(k, g, slash, r);
  if (pe) return pe < 0 ? pe : 0;
  if (!strcmp(g, "/sys/devices/system/cpu/online") || !strcmp(g, "/sys/devices/system/cpu/possible") ||
      !strcmp(g, "/sys/devices/system/cpu/present")) {
    struct sbuf b = {0};
    if (k->smp.n > 1) sb_printf(&b, "0-%d\n", k->smp.n - 1);   /* --cpus */
    else sb_add(&b, "0\n", 2);
    return px_file(r, &b, slash);
  }
  if (hugetlb_sys_path(g)) return hugetlb_sys_lookup(k, g, r, slash);   /* /sys/kernel/mm/hugepages */
  if (!fs_is_proc_path(g)) return 0;
  char work[FS_PATH_MAX];
  snprintf(work, sizeof work, "%s", g + 5);   /* after "/proc" */
  const char *comp[FS_PATH_MAX / 2];
  int n = 0;
  for (char *t = strtok(work, "/"); t; t = strtok(NULL, "/")) comp[n++] = t;
  char pidstr[16], text[FS_PATH_MAX];
  struct sbuf b = {0};
  if (n == 0) {
    dir_add(k, &b, "/proc", ".", DT_DIR);
    dir_add(k, &b, "/proc", "..", DT_DIR);
    if (!k->cur) {
      snprintf(pidstr, sizeof pidstr, "%d", k->pid);
      dir_add(k, &b, "/proc", pidstr, DT_DIR);
    }
    if (k->init) dir_add(k, &b, "/proc", "1", DT_DIR);   /* init (initproc.c), the lowest pid */
    for (struct task *t = k->tasks; t && k->cur; t = t->next) {   /* every process, zombies too */
      snprintf(pidstr, sizeof pidstr, "%d", t == k->cur ? k->pid : t->tc.pid);
      dir_add(k, &b, "/proc", pidstr, DT_DIR);
    }
    dir_add(k, &b, "/proc", "self", DT_LNK);
    dir_add(k, &b, "/proc", "thread-self", DT_LNK);
    dir_add(k, &b, "/proc", "cpuinfo", DT_REG);
    size_t gzl;
    void *gz = kconfig_gz(&gzl);
    if (gz) dir_add(k, &b, "/proc", "config.gz", DT_REG);
    free(gz);
    dir_add(k, &b, "/proc", "meminfo", DT_REG);
    dir_add(k, &b, "/proc", "mounts", DT_LNK);
    dir_add(k, &b, "/proc", "sys", DT_DIR);
    dir_add(k, &b, "/proc", "sysvipc", DT_DIR);
    return px_dir(r, &b);
  }
  /* the rest of the path after component i, joined */
  char rest[FS_PATH_MAX];
#define REST_FROM(i)                                                           \
  do {                                                                         \
    rest[0] = 0;                                                               \
    for (int j_ = (i); j_ < n; j_++) {                                         \
      if (j_ > (i)) strncat(rest, "/", sizeof rest - strlen(rest) - 1);        \
      strncat(rest, comp[j_], sizeof rest - strlen(rest) - 1);                 \
    }                                                                          \
  } while (0)
  int i;
  long v;
  struct pctx pc;
  if (!strcmp(comp[0], "self") || !strcmp(comp[0], "thread-self")) {
    bool ts = comp[0][0] == 't';
    if (n == 1 && !follow && !slash) {
      r->kind = PX_LINK;
      if (ts) snprintf(r->target, sizeof r->target, "%d/task/%d", k->pid, k->tid);
      else snprintf(r->target, sizeof r->target, "%d", k->pid);
      return 0;
    }
    pctx_self(k, &pc);
    i = 1;
  } else if (numeric(comp[0], &v)) {
    if (pctx_of(k, v, &pc)) i = 1;
    else if (v == (long)getpid()) return -EACCES;   /* the simulator itself */
    else return -ENOENT;
  } else if (!strcmp(comp[0], "cpuinfo") || !strcmp(comp[0], "meminfo")) {
    if (n > 1) return -ENOTDIR;
    if (comp[0][0] == 'c') gen_cpuinfo(k, &b);
    else gen_meminfo(k, &b);
    return px_file(r, &b, slash);
  } else if (!strcmp(comp[0], "config.gz")) {   /* the modelled kernel's .config (kconfig.c) */
    if (n > 1) return -ENOTDIR;
    size_t gzl;
    void *gz = kconfig_gz(&gzl);
    if (!gz) return -ENOENT;                     /* built without zlib */
    sb_add(&b, gz, gzl);
    free(gz);
    return px_file(r, &b, slash);
  } else if (!strcmp(comp[0], "kcore")) {
    if (n > 1) return -ENOTDIR;
    r->deny_open = true;              /* visible, never readable */
    return px_file(r, &b, slash);
  } else if (!strcmp(comp[0], "mounts")) {   /* a link to self/mounts, as on Linux */
    if (n > 1) return -ENOTDIR;
    if (!follow && !slash) {
      r->kind = PX_LINK;
      snprintf(r->target, sizeof r->target, "self/mounts");
      return 0;
    }
    r->kind = PX_REDIRECT;
    snprintf(r->target, sizeof r->target, "/proc/self/mounts%s", slash ? "/" : "");
    return 0;
  } else if (!strcmp(comp[0], "sys")) {
    REST_FROM(1);
    return proc_sysctl_walk(k, rest, r, slash);
  } else if (!strcmp(comp[0], "sysvipc")) {
    if (n == 1) {
      dir_add(k, &b, "/proc/sysvipc", ".", DT_DIR);
      dir_add(k, &b, "/proc/sysvipc", "..", DT_DIR);
      dir_add(k, &b, "/proc/sysvipc", "shm", DT_REG);
      return px_dir(r, &b);
    }
    if (strcmp(comp[1], "shm")) return -ENOENT;
    if (n > 2) return -ENOTDIR;
    size_t len = 0;
    b.p = shm_proc_text(k, &len);
    b.len = len;
    return px_file(r, &b, slash);
  } else {
    return -ENOENT;
  }
  const struct task_ctx *c = pc.c;
  bool zombie = pc.state == 'Z';
  snprintf(pidstr, sizeof pidstr, "%d", c->pid);
  char pdir[64];
  bool in_task = false;
  snprintf(pdir, sizeof pdir, "/proc/%d", c->pid);
  for (;;) {
    snprintf(r->gpath, sizeof r->gpath, "%s", pdir);
    for (int j = i; j < n; j++) {
      strncat(r->gpath, "/", sizeof r->gpath - strlen(r->gpath) - 1);
      strncat(r->gpath, comp[j], sizeof r->gpath - strlen(r->gpath) - 1);
    }
    if (i == n) {
      static const struct { const char *name; unsigned type; } ents[] = {
        {".", DT_DIR}, {"..", DT_DIR}, {"auxv", DT_REG}, {"cmdline", DT_REG}, {"comm", DT_REG},
        {"coredump_filter", DT_REG}, {"cwd", DT_LNK}, {"exe", DT_LNK}, {"fd", DT_DIR}, {"maps", DT_REG}, {"mem", DT_REG},
        {"gid_map", DT_REG}, {"mountinfo", DT_REG}, {"mounts", DT_REG}, {"ns", DT_DIR}, {"pagemap", DT_REG},
        {"root", DT_LNK}, {"setgroups", DT_REG}, {"smaps", DT_REG}, {"smaps_rollup", DT_REG}, {"stat", DT_REG},
        {"status", DT_REG}, {"uid_map", DT_REG}, {"task", DT_DIR}};
      size_t ne = sizeof ents / sizeof ents[0] - (in_task ? 1 : 0);   /* no task/ in a task */
      for (size_t e = 0; e < ne; e++)
        if (!in_task || strcmp(ents[e].name, "coredump_filter"))   /* the process's, not a thread's */
          dir_add(k, &b, pdir, ents[e].name, ents[e].type);
      return px_dir(r, &b);
    }
    if (strcmp(comp[i], "task") || in_task) break;
    if (i + 1 == n) {
      /* the process's threads, in creation order */
      char td[80], tids[16];
      snprintf(td, sizeof td, "%s/task", pdir);
      dir_add(k, &b, td, ".", DT_DIR);
      dir_add(k, &b, td, "..", DT_DIR);
      /* init (outside the task list) first: it is its only thread */
      for (struct task *u = k->init ? k->init : k->tasks; u; u = u == k->init ? k->tasks : u->next) {
        const struct task_ctx *uc = task_ctx_of(k, u);
        if (uc->tg != c->tg || u->gone || (u->state == TS_ZOMBIE && c->tg->live)) continue;
        snprintf(tids, sizeof tids, "%d", uc->tid);
        dir_add(k, &b, td, tids, DT_DIR);
      }
      return px_dir(r, &b);
    }
    long tidv;
    struct task *th = numeric(comp[i + 1], &tidv) ? task_find_tid(k, (int)tidv) : NULL;
    if (!th || th->gone || task_ctx_of(k, th)->tg != c->tg) return -ENOENT;
    pctx_task(k, th, &pc);                 /* the thread's own view */
    c = pc.c;
    zombie = pc.state == 'Z';
    snprintf(pdir + strlen(pdir), sizeof pdir - strlen(pdir), "/task/%ld", tidv);
    in_task = true;
    i += 2;
  }
  const char *cn = comp[i];
  bool more = i + 1 < n;
  if (!strcmp(cn, "mem") || !strcmp(cn, "pagemap") || (!strcmp(cn, "coredump_filter") && !in_task)) {
    if (more) return -ENOTDIR;
    /* read and written at the process (procfs_mem.c) */
    r->live = cn[0] == 'm' ? PL_MEM : cn[0] == 'p' ? PL_PAGEMAP : PL_COREDUMP_FILTER;
    r->live_pid = c->pid;
    if (r->live == PL_COREDUMP_FILTER) proc_gen_coredump_filter(c, &b);
    return px_file(r, &b, slash);
  }
  if (!strcmp(cn, "uid_map") || !strcmp(cn, "gid_map") || !strcmp(cn, "setgroups")) {
    if (more) return -ENOTDIR;
    /* user namespaces (ns_user.c): shown now, written at the process */
    int what = cn[0] == 'u' ? 0 : cn[0] == 'g' ? 1 : 2;
    r->live = (uint8_t)(PL_UID_MAP + what);
    r->live_pid = c->pid;
    userns_proc_show(k, c, what, &b);
    return px_file(r, &b, slash);
  }
  if (!strcmp(cn, "ns")) {
    static const char *const kinds[] = {"net", "pid", "pid_for_children", "user"};
    char nsd[96];
    snprintf(nsd, sizeof nsd, "%s/ns", pdir);
    if (!more) {
      if (slash || follow || true) {
        dir_add(k, &b, nsd, ".", DT_DIR);
        dir_add(k, &b, nsd, "..", DT_DIR);
        for (size_t e = 0; e < sizeof kinds / sizeof kinds[0]; e++) dir_add(k, &b, nsd, kinds[e], DT_LNK);
      }
      return px_dir(r, &b);
    }
    if (i + 2 < n) return -ENOTDIR;
    if (!pctx_may(k, &pc)) return -EACCES;    /* proc_ns_get_link: ptrace access */
    int e = ns_link_text(k, c, comp[i + 1], text, sizeof text);
    if (e) return e;
    if (follow || slash) {                    /* the namespace file itself (nsfs) */
      if (slash) return -ENOTDIR;
      r->live = PL_NS;
      r->live_pid = c->pid;
      snprintf(r->target, sizeof r->target, "%s", comp[i + 1]);
      return px_file(r, &b, false);
    }
    r->kind = PX_LINK;
    snprintf(r->target, sizeof r->target, "%s", text);
    return 0;
  }
  bool may = pctx_may(k, &pc);
  if (!may && (!strcmp(cn, "fd") || ((!strcmp(cn, "exe") || !strcmp(cn, "cwd") || !strcmp(cn, "root")) &&
                                     (more || follow || slash))))
    return -EACCES;
  if (!strcmp(cn, "exe")) {
    if (more) return -ENOTDIR;
    if (zombie) return -ENOENT;
    if ((follow || slash) && pc.self) {
      if (slash) return -ENOTDIR;
      r->kind = PX_EXE;
      return 0;
    }
    int e = exe_link_text(k, c, text, sizeof text);
    if (e) return e;
    if (follow || slash) {     /* another process's binary: by its path */
      if (slash) return -ENOTDIR;
      r->kind = PX_REDIRECT;
      snprintf(r->target, sizeof r->target, "%s", text);
      return 0;
    }
    r->kind = PX_LINK;
    snprintf(r->target, sizeof r->target, "%s", text);
    r->deny_open = !may;                /* lstat answers, readlink is EACCES */
    return 0;
  }
  if (!strcmp(cn, "cwd") || !strcmp(cn, "root")) {
    if (zombie) return -ENOENT;
    REST_FROM(i + 1);
    r->deny_open = !may;
    return px_link(r, cn[0] == 'c' ? (c->tg->fs->cwd[0] ? c->tg->fs->cwd : "/") : "/", rest, follow, slash);
  }
  if (!strcmp(cn, "fd")) {
    char fdd[96];
    snprintf(fdd, sizeof fdd, "%s/fd", pdir);
    if (!more) {
      dir_add(k, &b, fdd, ".", DT_DIR);
      dir_add(k, &b, fdd, "..", DT_DIR);
      for (int f = 0; c->fds && f < fds_cap(c->files); f++)
        if (c->fds[f].kind != FDK_NONE) {
          char nm[16];
          snprintf(nm, sizeof nm, "%d", f);
          dir_add(k, &b, fdd, nm, DT_LNK);
        }
      return px_dir(r, &b);
    }
    if (!numeric(comp[i + 1], &v) || v >= MAX_FDS || !pgfd(c, v)) return -ENOENT;
    if (!pc.self) {
      /* another process's descriptor: by the path it names (no sharing
       * of the open file itself) */
      int e = fd_link_text(k, c, (int)v, text, sizeof text);
      if (e) return e;
      if (i + 2 < n || follow || slash) {
        if (text[0] != '/') return -EACCES;
        REST_FROM(i + 2);
        return px_link(r, text, rest, true, slash);
      }
      r->kind = PX_LINK;
      snprintf(r->target, sizeof r->target, "%s", text);
      return 0;
    }
    if (i + 2 < n) {
      int e = fs_base_dir(k, (int)v, text, sizeof text);
      if (e) return e;
      REST_FROM(i + 2);
      return px_link(r, text, rest, true, slash);
    }
    if (follow || slash) {
      if (slash) {
        int e = fs_base_dir(k, (int)v, text, sizeof text);
        if (e) return e;
        return px_link(r, text, "", true, true);
      }
      r->kind = PX_FD;
      r->fd = (int)v;
      return 0;
    }
    int e = fs_fd_link_text(k, (int)v, text, sizeof text);
    if (e) return e;
    r->kind = PX_LINK;
    snprintf(r->target, sizeof r->target, "%s", text);
    return 0;
  }
  if (more) {
    static const char *const files[] = {"auxv", "cmdline", "comm", "maps", "mountinfo", "mounts",
                                        "smaps", "smaps_rollup", "stat", "status"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
      if (!strcmp(cn, files[f])) return -ENOTDIR;
    return -ENOENT;
  }
  /* mm_access checks only a process that has memory (a zombie's files
   * open; init's memory is not modelled but it has some) */
  if (!may && (c->mm || pc.t == k->init) &&
      (!strcmp(cn, "maps") || !strcmp(cn, "smaps") || !strcmp(cn, "smaps_rollup") || !strcmp(cn, "auxv")))
    r->deny_open = true;               /* stat answers, open is EACCES */
  if (!strcmp(cn, "cmdline")) {
    /* a zombie's is empty; init's memory is not modelled, its arguments are */
    if (c->tg->cmdline && (c->mm || pc.t == k->init)) sb_add(&b, c->tg->cmdline, c->tg->cmdline_len);
  } else if (!strcmp(cn, "maps")) {
    gen_maps(k, &pc, &b);
  } else if (!strcmp(cn, "smaps") || !strcmp(cn, "smaps_rollup")) {
    proc_gen_smaps(k, &pc, &b, cn[5] == '_');
  } else if (!strcmp(cn, "mounts") || !strcmp(cn, "mountinfo")) {
    if (zombie) return -EINVAL;      /* Linux: no namespace to show */
    proc_gen_mounts(k, &b, cn[5] == 'i');
  } else if (!strcmp(cn, "auxv")) {
    /* read from the caller's address space: another process's auxv is
     * shown only if it shares it (vfork) */
    if (c->mm && c->mm == k->mm && c->tg->auxv_len && c->tg->auxv_len <= 4096) {
      uint8_t av[4096];
      if (copy_from_user(k, av, c->tg->auxv_addr, c->tg->auxv_len) == 0) sb_add(&b, av, c->tg->auxv_len);
    }
  } else if (!strcmp(cn, "stat")) {
    gen_stat(k, &pc, &b);
  } else if (!strcmp(cn, "status")) {
    gen_status(k, &pc, &b);
  } else if (!strcmp(cn, "comm")) {
    gen_comm(k, &pc, &b);
  } else {
    return -ENOENT;
  }
  return px_file(r, &b, slash);
#undef REST_FROM
}

/* If the normalized guest path `g` names a pseudo symlink that a lookup
 * must cross (it is not the last component), put its guest-absolute
 * target in out and return 1; 0 if it is no link; -errno. */
int fs_proc_link_node(struct kernel *k, const char *g, char *out, size_t n) {
  if (k->rootfd < 0) {
    if (!strcmp(g, "/dev/fd")) { snprintf(out, n, "/proc/self/fd"); return 1; }
    if (!strcmp(g, "/dev/stdin") || !strcmp(g, "/dev/stdout") || !strcmp(g, "/dev/stderr")) {
      snprintf(out, n, "/proc/self/fd/%d", g[5] == 'i' ? 0 : g[8] == 'o' ? 1 : 2);
      return 1;
    }
  }
  if (strncmp(g, "/proc/", 6)) return 0;
  const char *last = strrchr(g, '/') + 1;
  size_t plen = (size_t)(last - g);      /* incl. the slash */
  bool fdnode = plen > 4 && !strncmp(last - 4, "/fd/", 4);
  if (strcmp(last, "self") && strcmp(last, "thread-self") && strcmp(last, "cwd") &&
      strcmp(last, "root") && strcmp(last, "exe") && !fdnode)
    return 0;
  struct px t;
  memset(&t, 0, sizeof t);
  int e = fs_proc_walk(k, g, false, false, &t);
  enum px_kind kind = t.kind;
  bool deny = t.deny_open;
  px_free(&t);
  if (e) return e;
  if (kind == PX_LINK && deny) return -EACCES;   /* another's cwd, root, exe without ptrace access */
  if (kind != PX_LINK) return 0;
  if (fdnode) {
    long v, pid;
    char first[16];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(g + 6, "/"), g + 6);
    if (numeric(first, &pid) && pid != k->pid) {   /* another process's fd: its path */
      if (t.target[0] != '/') return -EACCES;
      snprintf(out, n, "%s", t.target);
      return 1;
    }
    if (!numeric(last, &v) || v >= MAX_FDS) return -ENOENT;
    return (e = fs_base_dir(k, (int)v, out, n)) ? e : 1;   /* ENOTDIR unless a directory */
  }
  if (t.target[0] == '/') snprintf(out, n, "%s", t.target);
  else snprintf(out, n, "/proc/%.64s", t.target);       /* self, thread-self */
  return 1;
}
