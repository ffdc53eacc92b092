/* /proc/mounts and mountinfo (the root file system and /proc), and
 * /proc/sys: one table of the sysctls the model has, with Linux's modes
 * and a write handler each (procfs.c serves the files). */
#include "sim/procfs_priv.h"
#include "sim/mm_internal.h"
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- /proc/mounts, mountinfo: the root file system and /proc ---- */

static const char *fs_type_name(unsigned long t) {
  static const struct { unsigned long magic; const char *name; } m[] = {
    {0xEF53, "ext4"}, {0x01021994, "tmpfs"}, {0x794c7630, "overlay"}, {0x58465342, "xfs"},
    {0x9123683E, "btrfs"}, {0x01021997, "9p"}, {0x6969, "nfs"}, {0x65735546, "fuse"},
    {0x2fc12fc1, "zfs"}, {0xF2F52010, "f2fs"}, {0x858458f6, "ramfs"}, {0x73717368, "squashfs"}};
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) if (m[i].magic == t) return m[i].name;
  return "rootfs";
}

/* the guest's "/" as statfs and stat see it (the host's, or --root's) */
static void root_fs(struct kernel *k, const char **type, bool *ro, dev_t *dev) {
  struct statfs sf;
  struct stat st;
  int fd = k->rootfd >= 0 ? k->rootfd : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool ok = fd >= 0 && fstatfs(fd, &sf) == 0;
  *type = ok ? fs_type_name((unsigned long)sf.f_type) : "rootfs";
  *ro = k->read_only || (ok && (sf.f_flags & ST_RDONLY));
  *dev = fd >= 0 && fstat(fd, &st) == 0 ? st.st_dev : 0;
  if (fd >= 0 && fd != k->rootfd) close(fd);
}

void proc_gen_mounts(struct kernel *k, struct sbuf *b, bool info) {
  const char *type;
  bool ro;
  dev_t dev;
  root_fs(k, &type, &ro, &dev);
  if (info) {
    sb_printf(b, "1 0 %u:%u / / %s,relatime - %s /dev/root %s\n", major(dev), minor(dev),
              ro ? "ro" : "rw", type, ro ? "ro" : "rw");
    sb_printf(b, "2 1 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n");
  } else {
    sb_printf(b, "/dev/root / %s %s,relatime 0 0\n", type, ro ? "ro" : "rw");
    sb_printf(b, "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n");
  }
}

/* ---- /proc/sys: one table of the sysctls the model has ---- */

struct sysctl;
typedef int (*sysctl_write)(struct kernel *k, const struct sysctl *s, const char *text);
struct sysctl {
  const char *path;          /* under /proc/sys/ */
  unsigned mode;             /* Linux's */
  const char *text;          /* the content; NULL: gen */
  void (*gen)(struct kernel *k, struct sbuf *b);
  sysctl_write write;        /* NULL: writes fail with EINVAL */
};

static void gen_shmmax(struct kernel *k, struct sbuf *b) { (void)k; sb_printf(b, "%llu\n", (unsigned long long)SHM_MODEL_SHMMAX); }
static void gen_shmall(struct kernel *k, struct sbuf *b) { (void)k; sb_printf(b, "%llu\n", (unsigned long long)(SHM_MODEL_SHMMAX / PAGE)); }
static void gen_shmmni(struct kernel *k, struct sbuf *b) { (void)k; sb_printf(b, "%d\n", SHM_MODEL_SHMMNI); }

static void trim(char *s) {
  size_t l = strlen(s);
  while (l && (s[l - 1] == '\n' || s[l - 1] == ' ' || s[l - 1] == '\t')) s[--l] = 0;
}

/* The model's value is fixed: a write must set the value it has (a
 * number in any spelling strtoull accepts, else the same string). */
static int wr_same(struct kernel *k, const struct sysctl *s, const char *text) {
  struct sbuf cur = {0};
  if (s->text) sb_add(&cur, s->text, strlen(s->text));
  else s->gen(k, &cur);
  if (!cur.p) return -ENOMEM;
  trim(cur.p);
  char want[256];
  snprintf(want, sizeof want, "%s", text);
  trim(want);
  const char *w = want;
  while (*w == ' ' || *w == '\t') w++;
  char *e1, *e2;
  errno = 0;
  unsigned long long a = strtoull(cur.p, &e1, 0), bv = strtoull(w, &e2, 0);
  bool same = *w && ((!*e1 && !*e2 && !errno && a == bv) || !strcmp(cur.p, w));
  free(cur.p);
  return same ? 0 : -EINVAL;
}

/* vm.drop_caches (1..4, as proc_dointvec_minmax): bit 1 drops the clean
 * page cache the model can drop (pc_reclaim frees every cached page no
 * mapping uses, writing back what was mapped shared-writable first);
 * bit 2 (slab) has nothing to drop in the model. */
static int wr_drop_caches(struct kernel *k, const struct sysctl *s, const char *text) {
  (void)s;
  char *e;
  long v = strtol(text, &e, 10);
  while (*e == '\n' || *e == ' ' || *e == '\t') e++;
  if (e == text || *e || v < 1 || v > 4) return -EINVAL;
  if (v & 1) pc_reclaim(k, UINT64_MAX);
  return 0;
}

/* kernel.core_pattern (proc_dostring_coredump): the text up to a newline
 * or NUL, at most 127 bytes; a socket pattern Linux refuses is EINVAL */
static void gen_core_pattern(struct kernel *k, struct sbuf *b) { sb_printf(b, "%s\n", k->core_pattern); }
static int wr_core_pattern(struct kernel *k, const struct sysctl *s, const char *text) {
  (void)s;
  char p[sizeof k->core_pattern];
  size_t l = strcspn(text, "\n");
  if (l >= sizeof p) l = sizeof p - 1;
  memcpy(p, text, l);
  p[l] = 0;
  int e = coredump_pattern_check(p);
  if (!e) memcpy(k->core_pattern, p, l + 1);
  return e;
}

/* kernel.core_uses_pid (proc_dointvec): one integer, any base strtol
 * takes, whitespace after it */
static void gen_core_uses_pid(struct kernel *k, struct sbuf *b) { sb_printf(b, "%d\n", k->core_uses_pid); }
static int wr_core_uses_pid(struct kernel *k, const struct sysctl *s, const char *text) {
  (void)s;
  while (*text == ' ' || *text == '\t' || *text == '\n') text++;
  char *e;
  errno = 0;
  long v = strtol(text, &e, 0);
  if (e == text || errno || v < INT_MIN || v > INT_MAX || (*e && !strchr(" \t\n", *e))) return -EINVAL;
  k->core_uses_pid = (int)v;
  return 0;
}

static const struct sysctl sysctls[] = {
  {"fs/pipe-max-size", 0644, "1048576\n", NULL, wr_same},
  {"fs/pipe-user-pages-soft", 0644, "16384\n", NULL, wr_same},
  {"kernel/core_pattern", 0644, NULL, gen_core_pattern, wr_core_pattern},
  {"kernel/core_uses_pid", 0644, NULL, gen_core_uses_pid, wr_core_uses_pid},
  {"kernel/pid_max", 0644, "4194304\n", NULL, wr_same},   /* guest pids count up from 1000 */
  {"kernel/shmall", 0644, NULL, gen_shmall, wr_same},     /* the limits sys_shm.c enforces */
  {"kernel/shmmax", 0644, NULL, gen_shmmax, wr_same},
  {"kernel/shmmni", 0644, NULL, gen_shmmni, wr_same},
  {"kernel/tainted", 0644, "0\n", NULL, wr_same},
  {"vm/drop_caches", 0200, "", NULL, wr_drop_caches},
  {"vm/max_map_count", 0644, "65530\n", NULL, wr_same},
  {"vm/nr_hugepages", 0644, "0\n", NULL, wr_same},
  {"vm/overcommit_memory", 0644, "0\n", NULL, wr_same},
};
#define NSYSCTLS (sizeof sysctls / sizeof sysctls[0])

static const struct sysctl *sysctl_of(const char *gpath) {
  if (strncmp(gpath, "/proc/sys/", 10)) return NULL;
  for (size_t i = 0; i < NSYSCTLS; i++) if (!strcmp(gpath + 10, sysctls[i].path)) return &sysctls[i];
  return NULL;
}

unsigned fs_proc_mode(const char *gpath) {
  const struct sysctl *s = sysctl_of(gpath);
  return s ? s->mode : 0;
}

/* Linux's test_perm: root is checked against the owner bits, others
 * against the other bits (the files are root's). */
int fs_proc_may(struct kernel *k, const char *gpath, int want) {
  const struct sysctl *s = sysctl_of(gpath);
  if (!s) return want & 2 ? -EACCES : 0;
  unsigned m = k->euid == 0 ? s->mode >> 6 : s->mode;
  return (unsigned)want & ~m & 7 ? -EACCES : 0;
}

long fs_proc_write(struct kernel *k, struct gfd *g, const void *buf, size_t n) {
  const struct sysctl *s = sysctl_of(g->path);
  if (!s) return -EBADF;
  if (!n) return 0;
  char text[256];
  if (n >= sizeof text) return -EINVAL;
  memcpy(text, buf, n);
  text[n] = 0;
  int e = s->write ? s->write(k, s, text) : -EINVAL;
  return e ? e : (long)n;
}

/* /proc/sys/<rel>: a table file, a directory of the table's paths, or -ENOENT */
int proc_sysctl_walk(struct kernel *k, const char *rel, struct px *r, bool slash) {
  struct sbuf b = {0};
  size_t rl = strlen(rel);
  for (size_t i = 0; i < NSYSCTLS; i++) {
    if (strcmp(rel, sysctls[i].path)) continue;
    if (sysctls[i].text) sb_add(&b, sysctls[i].text, strlen(sysctls[i].text));
    else sysctls[i].gen(k, &b);
    return px_file(r, &b, slash);
  }
  if (rl > 200) return -ENOENT;     /* longer than any table path */
  char dir[256];
  snprintf(dir, sizeof dir, "/proc/sys%s%.200s", rl ? "/" : "", rel);
  bool any = false;
  for (size_t i = 0; i < NSYSCTLS; i++) {
    const char *p = sysctls[i].path;
    if (rl && (strncmp(p, rel, rl) || p[rl] != '/')) continue;
    const char *name = rl ? p + rl + 1 : p;
    const char *sl = strchr(name, '/');
    size_t nl = sl ? (size_t)(sl - name) : strlen(name);
    bool seen = false;        /* listed already (the table is sorted) */
    if (i > 0) {
      const char *q = sysctls[i - 1].path;
      seen = !strncmp(q, p, (size_t)(name - p) + nl) && (q[(name - p) + nl] == '/' || !q[(name - p) + nl]) && sl;
    }
    if (!any) { dir_add(&b, dir, ".", DT_DIR); dir_add(&b, dir, "..", DT_DIR); any = true; }
    if (seen) continue;
    char nm[256];
    snprintf(nm, sizeof nm, "%.*s", (int)nl, name);
    dir_add(&b, dir, nm, sl ? DT_DIR : DT_REG);
  }
  if (!any) return -ENOENT;
  return px_dir(r, &b);
}

