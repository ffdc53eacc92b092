/* /proc/mounts and mountinfo (the root file system and /proc), and
 * /proc/sys: one table of the sysctls the model has, with Linux's modes,
 * parsers and ranges (procfs.c serves the files). */
#include "sim/procfs_priv.h"
#include "sim/mm_internal.h"
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stddef.h>
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

/* ---- /proc/sys: one table of the sysctls the model has ----
 * Each entry is Linux's file (path, mode) with its handler's semantics:
 * SC_INT is proc_dointvec_minmax on an int, SC_ULONG proc_doulongvec_minmax
 * on an unsigned long, both on a variable of k->sysctl that the model
 * enforces; SC_FIXED is a value the model cannot change (a write must
 * restate it).  The table serves reads, writes and the docs
 * (sysctl_markdown). */

enum sysctl_kind { SC_INT, SC_ULONG, SC_FIXED, SC_STRING };
struct sysctl {
  const char *path;          /* under /proc/sys/ */
  unsigned mode;             /* Linux's */
  enum sysctl_kind kind;
  size_t off;                /* SC_INT/SC_ULONG: the variable in struct kernel */
  uint64_t def;              /* its value at boot */
  int64_t min;               /* SC_INT: the range (extra1, extra2) */
  uint64_t max;              /* SC_INT/SC_ULONG: INT_MAX / ULONG_MAX when unbounded */
  const char *text;          /* SC_FIXED: the content */
  /* SC_STRING: the content, and a write of it (0 or -errno) */
  void (*read_text)(struct kernel *k, struct sbuf *b);
  int (*write_text)(struct kernel *k, const char *text);
  /* after a write stored a value: what the write does beyond that */
  void (*apply)(struct kernel *k, uint64_t v);
  /* SC_INT whose value is not a variable of k->sysctl: how it reads and
   * is stored, and its upper bound when that is another sysctl's value */
  int64_t (*get)(const struct kernel *k);
  void (*set)(struct kernel *k, int64_t v);
  int (*max_of)(const struct kernel *k);
  /* the write needs checkpoint_restore_ns_capable: CKPT_HANDLER the
   * handler refuses others (EPERM); CKPT_MODE the file is 0666 for such
   * a caller and its mode for others (ipc_permissions, ipc/ipc_sysctl.c) */
  enum { CKPT_NONE, CKPT_HANDLER, CKPT_MODE } ckpt;
  const char *doc;           /* what the model does with it (docs) */
  /* net.ipv4.conf.<dev>.<name>: dev 1 all, 2 default, 3 lo (0: another
   * file), conf its index in IP4CONF; writes follow devinet_conf_proc */
  signed char dev, conf;
  const char *group;         /* docs: one row for the files of this name */
};

/* checkpoint_restore_ns_capable (include/linux/capability.h):
 * CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE */
static bool ckpt_capable(const struct kernel *k) { return capable(k, CAP_SYS_ADMIN_) || capable(k, 40); }

/* kernel.ns_last_pid (pid_ns_ctl_handler, kernel/pid_namespace.c): the
 * pid allocator's cursor less one, so a write of N makes N+1 the first
 * pid alloc_pid tries (pid.c); 0..pid_max */
static int64_t get_ns_last_pid(const struct kernel *k) { return k->next_pid - 1; }
static void set_ns_last_pid(struct kernel *k, int64_t v) { k->next_pid = (int)v + 1; }
static int pid_max_of(const struct kernel *k) { return k->sysctl.pid_max; }

/* ---- net: the loopback's IPv4 settings (net/ipv4/devinet.c) ----
 * Every net/ipv4/conf/<dev> file of Linux 6.1, with its defaults:
 * X(name, mode, all's, default's, lo's).  ipv4_devconf and
 * ipv4_devconf_dflt set the redirect and media ones and the IGMP report
 * intervals; default's accept_source_route is 1; lo is made from default
 * with disable_policy and disable_xfrm set (inetdev_init). */
#define IP4CONF(X)                                                            \
  X(accept_local, 0644, 0, 0, 0) X(accept_redirects, 0644, 1, 1, 1)           \
  X(accept_source_route, 0644, 0, 1, 1) X(arp_accept, 0644, 0, 0, 0)          \
  X(arp_announce, 0644, 0, 0, 0) X(arp_evict_nocarrier, 0644, 1, 1, 1)        \
  X(arp_filter, 0644, 0, 0, 0) X(arp_ignore, 0644, 0, 0, 0)                   \
  X(arp_notify, 0644, 0, 0, 0) X(bc_forwarding, 0644, 0, 0, 0)                \
  X(bootp_relay, 0644, 0, 0, 0) X(disable_policy, 0644, 0, 0, 1)              \
  X(disable_xfrm, 0644, 0, 0, 1) X(drop_gratuitous_arp, 0644, 0, 0, 0)        \
  X(drop_unicast_in_l2_multicast, 0644, 0, 0, 0)                              \
  X(force_igmp_version, 0644, 0, 0, 0) X(forwarding, 0644, 0, 0, 0)           \
  X(igmpv2_unsolicited_report_interval, 0644, 10000, 10000, 10000)            \
  X(igmpv3_unsolicited_report_interval, 0644, 1000, 1000, 1000)               \
  X(ignore_routes_with_linkdown, 0644, 0, 0, 0) X(log_martians, 0644, 0, 0, 0) \
  X(mc_forwarding, 0444, 0, 0, 0) X(medium_id, 0644, 0, 0, 0)                 \
  X(promote_secondaries, 0644, 0, 0, 0) X(proxy_arp, 0644, 0, 0, 0)           \
  X(proxy_arp_pvlan, 0644, 0, 0, 0) X(route_localnet, 0644, 0, 0, 0)          \
  X(rp_filter, 0644, 0, 0, 0) X(secure_redirects, 0644, 1, 1, 1)              \
  X(send_redirects, 0644, 1, 1, 1) X(shared_media, 0644, 1, 1, 1)             \
  X(src_valid_mark, 0644, 0, 0, 0) X(tag, 0644, 0, 0, 0)
#define IP4_IDX(n, m, a, d, l) IP4_##n,
enum { IP4CONF(IP4_IDX) IP4_COUNT };
_Static_assert(IP4_COUNT == IP4CONF_N, "kernel.h's IP4CONF_N counts IP4CONF");

#define IP4_DOC "stored; the loopback does not use it. A write to default's reaches lo's unless lo's was " \
                "written (devinet_copy_dflt_conf); all's forwarding is ip_forward, whose write sets every " \
                "forwarding and all's accept_redirects to its negation (inet_forward_change)"
#define IP4_ALL(n, m, a, d, l) {"net/ipv4/conf/all/" #n, m, SC_INT, KV(ip4conf[0][IP4_##n]), a, INT32_MIN, \
   INT32_MAX, .doc = IP4_DOC, .dev = 1, .conf = IP4_##n, .group = "net/ipv4/conf/{all,default,lo}/*"},
#define IP4_DFLT(n, m, a, d, l) {"net/ipv4/conf/default/" #n, m, SC_INT, KV(ip4conf[1][IP4_##n]), d, INT32_MIN, \
   INT32_MAX, .doc = IP4_DOC, .dev = 2, .conf = IP4_##n, .group = "net/ipv4/conf/{all,default,lo}/*"},
#define IP4_LO(n, m, a, d, l) {"net/ipv4/conf/lo/" #n, m, SC_INT, KV(ip4conf[2][IP4_##n]), l, INT32_MIN, \
   INT32_MAX, .doc = IP4_DOC, .dev = 3, .conf = IP4_##n, .group = "net/ipv4/conf/{all,default,lo}/*"},
#define IP6_DOC "IPv6 on the loopback is always on, forwards nothing, and uses Linux's hop limit and MTU"

/* a write to net.ipv4.conf.<dev>.<name> or ip_forward (stored already) */
static void ip4conf_written(struct kernel *k, int dev, int i, int v) {
  struct netns *n = k->tc.ns ? k->tc.ns->net : NULL;      /* the caller's network namespace's */
  int (*c)[IP4CONF_N] = n ? n->ip4conf : k->sysctl.ip4conf;
  uint64_t *set = n ? &n->ip4conf_set : &k->sysctl.ip4conf_set;
  if (i == IP4_forwarding && dev == 1) {        /* devinet_sysctl_forward: inet_forward_change */
    c[0][IP4_accept_redirects] = !v;
    c[1][IP4_forwarding] = v;
    c[2][IP4_forwarding] = v;
    *set |= 1ull << i;         /* ipv4_devconf_set on each device */
  } else if (dev == 3) {
    *set |= 1ull << i;         /* devinet_conf_proc: set_bit(i, cnf->state) */
  } else if (dev == 2 && i != IP4_forwarding && !(*set >> i & 1)) {
    c[2][i] = v;                                /* devinet_copy_dflt_conf */
  }
}

#define KV(f) offsetof(struct kernel, sysctl.f)
#define ULONG_MAX_ UINT64_MAX
#define SHM_DEFAULT (UINT64_MAX - (1ull << 24))   /* include/uapi/linux/shm.h SHMMAX, SHMALL */

/* vm.drop_caches: bit 1 drops the clean page cache the model can drop
 * (pc_reclaim frees every cached page no mapping uses, writing back what
 * was mapped shared-writable first); bit 2 (slab) has nothing to drop in
 * the model */
static void apply_drop_caches(struct kernel *k, uint64_t v) {
  if (v & 1) pc_reclaim(k, UINT64_MAX);
}

/* vm.nr_hugepages: the hugetlb pool's persistent pages; a write
 * allocates or frees pages and reads back what it could have
 * (set_max_huge_pages, hugetlb.c) */
static void apply_nr_hugepages(struct kernel *k, uint64_t v) { hugetlb_set_pages(k, v); }
/* vm.nr_overcommit_hugepages: surplus pages a reservation may add */
static void apply_nr_overcommit(struct kernel *k, uint64_t v) { k->hp.nr_overcommit = v; }

/* kernel.core_pattern (proc_dostring_coredump): the text up to a newline
 * or NUL, at most 127 bytes; a socket pattern Linux refuses is EINVAL */
static void gen_core_pattern(struct kernel *k, struct sbuf *b) { sb_printf(b, "%s\n", k->core_pattern); }
static int wr_core_pattern(struct kernel *k, const char *text) {
  char p[sizeof k->core_pattern];
  size_t l = strcspn(text, "\n");
  if (l >= sizeof p) l = sizeof p - 1;
  memcpy(p, text, l);
  p[l] = 0;
  int e = coredump_pattern_check(p);
  if (!e) memcpy(k->core_pattern, p, l + 1);
  return e;
}

/* fs.pipe-max-size (proc_dopipe_max_size): the value is stored rounded
 * up to a power of two pages (round_pipe_size) */
static void apply_pipe_max_size(struct kernel *k, uint64_t v) {
  uint64_t r = PAGE;
  while (r < v) r <<= 1;
  k->sysctl.pipe_max_size = r > INT32_MAX ? INT32_MAX : (int)r;
}

/* kernel.hostname and kernel.domainname (proc_do_uts_string): the text up
 * to a newline, cut at 64 bytes */
static void uts_set(char dst[65], const char *text) {
  size_t l = strcspn(text, "\n");
  if (l > 64) l = 64;
  memcpy(dst, text, l);
  dst[l] = 0;
}
static void gen_hostname(struct kernel *k, struct sbuf *b) { sb_printf(b, "%s\n", k->sysctl.hostname); }
static int wr_hostname(struct kernel *k, const char *text) { uts_set(k->sysctl.hostname, text); return 0; }
static void gen_domainname(struct kernel *k, struct sbuf *b) { sb_printf(b, "%s\n", k->sysctl.domainname); }
static int wr_domainname(struct kernel *k, const char *text) { uts_set(k->sysctl.domainname, text); return 0; }

static const struct sysctl sysctls[] = {
  {"fs/pipe-max-size", 0644, SC_INT, KV(pipe_max_size), 1048576, PAGE, INT32_MAX, .apply = apply_pipe_max_size,
   .doc = "F_SETPIPE_SZ above it needs CAP_SYS_RESOURCE (EPERM); written values round up to a power of two pages"},
  {"fs/pipe-user-pages-soft", 0644, SC_FIXED, .text = "16384\n", .doc = "not enforced by the model"},
  {"kernel/core_pattern", 0644, SC_STRING, .read_text = gen_core_pattern, .write_text = wr_core_pattern,
   .doc = "the core file's name and its %-specifiers (a pipe or socket pattern: no core file)"},
  {"kernel/domainname", 0644, SC_STRING, .read_text = gen_domainname, .write_text = wr_domainname,
   .doc = "uname's domainname (setdomainname): at most 64 bytes"},
  {"kernel/hostname", 0644, SC_STRING, .read_text = gen_hostname, .write_text = wr_hostname,
   .doc = "uname's nodename (sethostname): at most 64 bytes"},
  {"kernel/core_uses_pid", 0644, SC_INT, KV(core_uses_pid), 0, INT32_MIN, INT32_MAX,
   .doc = "non-zero: .PID is appended to a pattern without %p"},
  {"kernel/pid_max", 0644, SC_INT, KV(pid_max), 32768, 301, 4194304,
   .doc = "pids above it are not allocated: allocation wraps to 300, EAGAIN when all are in use"},
  {"kernel/ns_last_pid", 0666, SC_INT, 0, 0, 0, INT32_MAX, .get = get_ns_last_pid, .set = set_ns_last_pid,
   .max_of = pid_max_of, .ckpt = CKPT_HANDLER,
   .doc = "the last pid allocated; a privileged write of N makes the next fork try N+1 first (max: kernel.pid_max)"},
  {"kernel/shmall", 0644, SC_ULONG, KV(shmall), SHM_DEFAULT, 0, ULONG_MAX_,
   .doc = "shmget: ENOSPC when the segments' pages would pass it"},
  {"kernel/shm_next_id", 0444, SC_INT, KV(shm_next_id), (uint64_t)-1, 0, INT32_MAX, .ckpt = CKPT_MODE,
   .doc = "writable with CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: the next new segment gets this id "
          "(the next free slot from its slot up), then it reads -1 again"},
  {"kernel/shmmax", 0644, SC_ULONG, KV(shmmax), SHM_DEFAULT, 0, ULONG_MAX_,
   .doc = "shmget: EINVAL for a larger new segment"},
  {"kernel/shmmni", 0644, SC_INT, KV(shmmni), 4096, 0, SHM_IPCMNI,
   .doc = "shmget: ENOSPC when that many segments exist"},
  {"kernel/tainted", 0644, SC_FIXED, .text = "0\n", .doc = "the model's kernel is never tainted"},
  {"kernel/threads-max", 0644, SC_INT, KV(threads_max), 4096, 20, 0x3fffffff,
   .doc = "tasks (processes and threads) at once: fork and clone fail with EAGAIN at it; its default is --max-procs"},
  {"net/core/somaxconn", 0644, SC_INT, KV(somaxconn), 4096, 0, INT32_MAX,
   .doc = "listen: a larger backlog is cut to it"},
  IP4CONF(IP4_ALL) IP4CONF(IP4_DFLT) IP4CONF(IP4_LO)
  {"net/ipv4/ip_forward", 0644, SC_INT, KV(ip4conf[0][IP4_forwarding]), 0, INT32_MIN, INT32_MAX,
   .doc = "conf/all/forwarding's variable: nothing is routed (one loopback)", .dev = 1, .conf = IP4_forwarding},
#define IP6(dev, n, v) {"net/ipv6/conf/" dev "/" n, 0644, SC_FIXED, .text = v "\n", .doc = IP6_DOC, \
                        .group = "net/ipv6/conf/{all,default,lo}/{disable_ipv6,forwarding,hop_limit,mtu}"},
  IP6("all", "disable_ipv6", "0") IP6("all", "forwarding", "0") IP6("all", "hop_limit", "64") IP6("all", "mtu", "1280")
  IP6("default", "disable_ipv6", "0") IP6("default", "forwarding", "0") IP6("default", "hop_limit", "64")
  IP6("default", "mtu", "1280")
  IP6("lo", "disable_ipv6", "0") IP6("lo", "forwarding", "0") IP6("lo", "hop_limit", "64") IP6("lo", "mtu", "65536")
#undef IP6
  {"vm/drop_caches", 0200, SC_INT, KV(drop_caches), 0, 1, 4, .apply = apply_drop_caches,
   .doc = "1 and 3 drop the clean page cache"},
  {"vm/max_map_count", 0644, SC_INT, KV(max_map_count), 65530, 0, INT32_MAX,
   .doc = "mmap and shmat: ENOMEM once the mappings are above it (do_mmap); splits by munmap and mprotect: "
          "ENOMEM at it; no host descriptor per mapping, so any value is reachable"},
  {"vm/nr_hugepages", 0644, SC_ULONG, KV(nr_hugepages), 0, 0, ULONG_MAX_, .apply = apply_nr_hugepages,
   .doc = "the hugetlb pool's 2M pages (from guest RAM); reads back the pages a write could allocate"},
  {"vm/nr_overcommit_hugepages", 0644, SC_ULONG, KV(nr_overcommit_hugepages), 0, 0, ULONG_MAX_,
   .apply = apply_nr_overcommit,
   .doc = "surplus hugetlb pages a reservation may allocate beyond nr_hugepages (freed when unused)"},
  {"vm/overcommit_memory", 0644, SC_INT, KV(overcommit_memory), 0, 0, 1,
   .doc = "0: one charge of more than RAM fails (ENOMEM), 1: none does; 2 (strict accounting, "
          "Linux's top) is EINVAL: the model keeps no commit total"},
};
#define NSYSCTLS (sizeof sysctls / sizeof sysctls[0])

/* a net sysctl in a network namespace of its own (ns.c): its copy */
static char *net_var(const struct kernel *k, const struct sysctl *s) {
  struct netns *n = k->tc.ns ? k->tc.ns->net : NULL;
  if (!n || strncmp(s->path, "net/", 4) || s->kind != SC_INT) return NULL;
  if (s->off == KV(somaxconn)) return (char *)&n->somaxconn;
  if (s->off >= KV(ip4conf) && s->off < KV(ip4conf) + sizeof n->ip4conf) return (char *)n->ip4conf + (s->off - KV(ip4conf));
  return NULL;
}

static uint64_t sc_get(const struct kernel *k, const struct sysctl *s) {
  if (s->get) return (uint64_t)s->get(k);
  const char *p = (const char *)k + s->off;
  if (k->tc.ns && net_var(k, s)) p = net_var(k, s);
  if (s->kind == SC_ULONG) { uint64_t v; memcpy(&v, p, sizeof v); return v; }
  int v;
  memcpy(&v, p, sizeof v);
  return (uint64_t)(int64_t)v;
}

static void sc_set(struct kernel *k, const struct sysctl *s, uint64_t v) {
  if (s->set) { s->set(k, (int64_t)v); return; }
  char *p = (char *)k + s->off;
  if (k->tc.ns && net_var(k, s)) p = net_var(k, s);
  if (s->kind == SC_ULONG) memcpy(p, &v, sizeof v);
  else { int i = (int)(int64_t)v; memcpy(p, &i, sizeof i); }
}

void sysctl_init(struct kernel *k) {
  strcpy(k->sysctl.hostname, GUEST_NODENAME);
  strcpy(k->sysctl.domainname, "(none)");
  for (size_t i = 0; i < NSYSCTLS; i++)
    if ((sysctls[i].kind == SC_INT || sysctls[i].kind == SC_ULONG) && !sysctls[i].set)
      sc_set(k, &sysctls[i], sysctls[i].def);
}

static void sc_read(struct kernel *k, const struct sysctl *s, struct sbuf *b) {
  if (s->kind == SC_FIXED) sb_add(b, s->text, strlen(s->text));
  else if (s->kind == SC_STRING) s->read_text(k, b);
  else if (s->mode & 0444) {
    if (s->kind == SC_ULONG) sb_printf(b, "%llu\n", (unsigned long long)sc_get(k, s));
    else sb_printf(b, "%lld\n", (long long)(int64_t)sc_get(k, s));
  }
}

static bool sc_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }   /* isspace */

/* proc_get_long (kernel/sysctl.c): an optional '-', then a number in
 * strtoul's base-0 spellings (0x hex, 0 octal) that must not overflow,
 * fit in 21 characters, and be followed by a blank, a tab, a newline or
 * the end.  Advances *p; 0 or -EINVAL. */
static int get_long(const char **p, size_t *left, uint64_t *val, bool *neg) {
  char tmp[22];
  size_t len = *left < sizeof tmp - 1 ? *left : sizeof tmp - 1;
  memcpy(tmp, *p, len);
  tmp[len] = 0;
  const char *q = tmp;
  *neg = *q == '-' && *left > 1;
  if (*neg) q++;
  if (*q < '0' || *q > '9') return -EINVAL;
  unsigned base = 10;
  if (q[0] == '0') {
    base = 8;
    if ((q[1] == 'x' || q[1] == 'X') && isxdigit((unsigned char)q[2])) { base = 16; q += 2; }
  }
  uint64_t v = 0;
  for (;; q++) {
    unsigned d = *q >= '0' && *q <= '9' ? (unsigned)(*q - '0')
               : *q >= 'a' && *q <= 'f' ? (unsigned)(*q - 'a' + 10)
               : *q >= 'A' && *q <= 'F' ? (unsigned)(*q - 'A' + 10) : 99;
    if (d >= base) break;
    if (v > (UINT64_MAX - d) / base) return -EINVAL;    /* strtoul_lenient: -ERANGE */
    v = v * base + d;
  }
  size_t used = (size_t)(q - tmp);
  if (used == sizeof tmp - 1) return -EINVAL;           /* too long to tell where it ends */
  if (used < *left && !memchr(" \t\n", *q, 3)) return -EINVAL;
  *val = v;
  *p += used;
  *left -= used;
  return 0;
}

/* One value as __do_proc_dointvec / __do_proc_doulongvec_minmax take it:
 * at most a page less one byte is read; blanks before and after; a value
 * out of the entry's range (a negative one for SC_ULONG) is EINVAL.
 * Returns the bytes the write takes (the rest of the buffer after the
 * value and its blanks is not taken) or -EINVAL. */
static long parse_value(const struct kernel *k, const struct sysctl *s, const char *buf, size_t n,
                        uint64_t *out) {
  size_t left = n < PAGE - 1 ? n : PAGE - 1;
  const char *p = buf;
  while (left && sc_space(*p)) { p++; left--; }
  if (!left) return -EINVAL;                 /* no value at all */
  uint64_t v;
  bool neg;
  if (get_long(&p, &left, &v, &neg)) return -EINVAL;
  if (s->kind == SC_ULONG) {
    if (neg || v > s->max) return -EINVAL;
    *out = v;
  } else {
    /* do_proc_dointvec_conv, then the minmax check */
    if (neg ? v > (uint64_t)INT32_MAX + 1 : v > INT32_MAX) return -EINVAL;
    int64_t iv = neg ? -(int64_t)v : (int64_t)v;
    int64_t max = s->max_of ? s->max_of(k) : (int64_t)s->max;
    if (iv < s->min || iv > max) return -EINVAL;
    *out = (uint64_t)iv;
  }
  while (left && sc_space(*p)) { p++; left--; }
  return (long)(n - left);
}

static void trim(char *s) {
  size_t l = strlen(s);
  while (l && sc_space(s[l - 1])) s[--l] = 0;
}

/* SC_FIXED: the model cannot change the value, so a write must restate
 * it: a number parsed as Linux would (any spelling), else the same string */
static long wr_fixed(const struct sysctl *s, const char *buf, size_t n) {
  char cur[64], want[256];
  snprintf(cur, sizeof cur, "%s", s->text);
  trim(cur);
  size_t l = n < sizeof want - 1 ? n : sizeof want - 1;
  memcpy(want, buf, l);
  want[l] = 0;
  trim(want);
  const char *w = want;
  while (sc_space(*w)) w++;
  bool num = cur[0] >= '0' && cur[0] <= '9';
  if (num) {
    struct sysctl as = {.kind = SC_ULONG, .max = UINT64_MAX};
    uint64_t v;
    long r = parse_value(NULL, &as, buf, n, &v);
    if (r < 0) return r;
    return v == strtoull(cur, NULL, 10) ? r : -EINVAL;
  }
  return *w && !strcmp(cur, w) ? (long)n : -EINVAL;
}

static const struct sysctl *sysctl_of(const char *gpath) {
  if (strncmp(gpath, "/proc/sys/", 10)) return NULL;
  for (size_t i = 0; i < NSYSCTLS; i++) if (!strcmp(gpath + 10, sysctls[i].path)) return &sysctls[i];
  return NULL;
}

unsigned fs_proc_mode(const char *gpath) {
  const struct sysctl *s = sysctl_of(gpath);
  return s ? s->mode : 0;
}

/* Linux's test_perm (fs/proc/proc_sysctl.c): an euid of 0 is checked
 * against the owner bits, a member of group 0 against the group bits,
 * others against the other bits (the files are root's); capabilities do
 * not enter. */
int fs_proc_may(struct kernel *k, const char *gpath, int want) {
  const struct sysctl *s = sysctl_of(gpath);
  if (!s) return want & 2 ? -EACCES : 0;
  if (s->ckpt == CKPT_MODE && ckpt_capable(k)) return 0;
  unsigned m = k->euid == 0 ? s->mode >> 6 : cred_in_group(k, 0) || k->egid == 0 ? s->mode >> 3 : s->mode;
  return (unsigned)want & ~m & 7 ? -EACCES : 0;
}

/* write(2) on an open /proc/sys file at pos (-1: the file position):
 * the permission again (proc_sys_call_handler: EPERM now), then the
 * handler.  With
 * sysctl_writes_strict (the default) a number written past position 0
 * is ignored, and the position advances by what the write took. */
long fs_proc_write(struct kernel *k, struct gfd *g, const void *buf, size_t n, int64_t pos) {
  const struct sysctl *s = sysctl_of(g->path);
  if (!s) return -EBADF;
  if (fs_proc_may(k, g->path, 2)) return -EPERM;
  if (s->ckpt == CKPT_HANDLER && !ckpt_capable(k)) return -EPERM;
  size_t at = pos < 0 ? g->procpos : (size_t)pos;
  long r;
  if (!n) r = 0;
  else if (s->kind == SC_FIXED) r = at ? (long)n : wr_fixed(s, buf, n);
  else if (s->kind == SC_STRING) {
    /* proc_dostring: the text up to the page's end, NUL-terminated here */
    char t[PAGE];
    size_t l = n < sizeof t - 1 ? n : sizeof t - 1;
    memcpy(t, buf, l);
    t[l] = 0;
    r = at ? (long)n : s->write_text(k, t);
    if (!r) r = (long)n;
  }
  else if (at) r = (long)n;                  /* proc_first_pos_non_zero_ignore */
  else {
    uint64_t v;
    r = parse_value(k, s, buf, n, &v);
    if (r >= 0) {
      sc_set(k, s, v);
      if (s->apply) s->apply(k, v);
      if (s->dev) ip4conf_written(k, s->dev, s->conf, (int)(int64_t)v);
    }
  }
  if (r > 0 && pos < 0) g->procpos += (size_t)r;
  return r;
}

/* the table as docs/kernel-config.md shows it */
void sysctl_markdown(FILE *f) {
  fprintf(f, "| file | mode | default | range | the model |\n| --- | --- | --- | --- | --- |\n");
  for (size_t i = 0; i < NSYSCTLS; i++) {
    const struct sysctl *s = &sysctls[i];
    char def[32], range[64];
    if (s->group) {                       /* one row for the group, at its first file */
      if (i > 0 && sysctls[i - 1].group && !strcmp(sysctls[i - 1].group, s->group)) continue;
      fprintf(f, "| `/proc/sys/%s` | %s | %s | %s | %s |\n", s->group, s->kind == SC_FIXED ? "0644" : "0644 (mc_forwarding 0444)",
              s->kind == SC_FIXED ? "Linux 6.1's" : "Linux 6.1's", s->kind == SC_FIXED ? "fixed" : "any int", s->doc);
      continue;
    }
    if (s->kind == SC_FIXED) {
      snprintf(def, sizeof def, "%s", s->text);
      trim(def);
      snprintf(range, sizeof range, "fixed");
    } else if (s->kind == SC_STRING) {
      snprintf(def, sizeof def, "(text)");
      snprintf(range, sizeof range, "a string");
    } else {
      if (s->get) snprintf(def, sizeof def, "(live)");
      else if (s->kind == SC_INT) snprintf(def, sizeof def, "%lld", (long long)(int64_t)s->def);
      else snprintf(def, sizeof def, "%llu", (unsigned long long)s->def);
      if (s->kind == SC_ULONG) snprintf(range, sizeof range, "0..ULONG_MAX");
      else if (s->max == INT32_MAX && s->min == INT32_MIN) snprintf(range, sizeof range, "any int");
      else if (s->max_of) snprintf(range, sizeof range, "%lld..pid_max", (long long)s->min);
      else if (s->max == INT32_MAX) snprintf(range, sizeof range, "%lld..INT_MAX", (long long)s->min);
      else snprintf(range, sizeof range, "%lld..%llu", (long long)s->min, (unsigned long long)s->max);
    }
    fprintf(f, "| `/proc/sys/%s` | %04o | %s | %s | %s |\n", s->path, s->mode,
            s->mode & 0444 ? def : "(write-only)", range, s->doc);
  }
}

/* /proc/sys/<rel>: a table file, a directory of the table's paths, or -ENOENT */
int proc_sysctl_walk(struct kernel *k, const char *rel, struct px *r, bool slash) {
  struct sbuf b = {0};
  size_t rl = strlen(rel);
  for (size_t i = 0; i < NSYSCTLS; i++) {
    if (strcmp(rel, sysctls[i].path)) continue;
    sc_read(k, &sysctls[i], &b);
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
    if (!any) { dir_add(k, &b, dir, ".", DT_DIR); dir_add(k, &b, dir, "..", DT_DIR); any = true; }
    if (seen) continue;
    char nm[256];
    snprintf(nm, sizeof nm, "%.*s", (int)nl, name);
    dir_add(k, &b, dir, nm, sl ? DT_DIR : DT_REG);
  }
  if (!any) return -ENOENT;
  return px_dir(r, &b);
}

