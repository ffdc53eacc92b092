/* Namespaces (ns.c, ns_user.c): user, pid and network namespaces as
 * Linux 6.1 has them (user_namespaces(7), pid_namespaces(7),
 * network_namespaces(7)).  A task's namespaces are one nsproxy
 * (task_ctx.ns); NULL is the initial one of every kind, and so is a NULL
 * member: the common case (no namespace) costs one test of a pointer.
 * Credentials stay kernel ids (Linux's kuid_t/kgid_t): what a task sees
 * is mapped through its user namespace at the system call's edge; pids
 * stay the initial namespace's numbers, mapped the same way.  The model
 * frees no namespace before the run ends (at most NS_MAX of them). */
#ifndef FAULTLINE_SIM_NS_PRIV_H
#define FAULTLINE_SIM_NS_PRIV_H
#include "sim/kernel.h"
struct sbuf;

#define NS_MAX 4096               /* namespaces made in one run (ENOSPC past it) */
#define UID_GID_MAP_MAX_EXTENTS 340
#define OVERFLOW_ID 65534         /* /proc/sys/kernel/overflowuid, overflowgid */

struct idmap_ext { uint32_t first, lower, count; };   /* lower: kernel ids */
struct idmap { int n; struct idmap_ext e[UID_GID_MAP_MAX_EXTENTS]; };

struct userns {
  struct userns *parent;          /* NULL: the initial namespace */
  int level;
  int owner, group;               /* the creator's effective ids (kernel ids) */
  uint64_t inum;
  struct idmap uid, gid;
  bool setgroups_deny;            /* /proc/<pid>/setgroups "deny" (inherited by children) */
  bool parent_could_setfcap;      /* its creator had CAP_SETFCAP (verify_root_map) */
  struct userns *next_all;
};

struct pidmap { int g, l; };      /* a pid of the initial namespace, its number here */
struct pidns {
  struct pidns *parent;
  struct userns *owner;
  int level;
  uint64_t inum;
  int next;                       /* the allocation cursor (last pid + 1) */
  int reaper;                     /* its init (pid 1), as an initial-namespace pid; 0: none yet */
  bool dead;                      /* its init has exited: no new pids (alloc_pid's ENOMEM) */
  int n, cap;
  struct pidmap *map;
  struct pidns *next_all;
};

/* the per-namespace part of /proc/sys/net (the initial namespace's stays in k->sysctl) */
struct netns {
  struct userns *owner;
  uint64_t inum;
  int somaxconn;
  int ip4conf[3][IP4CONF_N];
  uint64_t ip4conf_set;
  bool lo_up;                     /* its loopback was brought up (RTM_NEWLINK IFF_UP) */
  struct netns *next_all;
};

struct nsproxy {
  struct userns *user;            /* the credentials' namespace */
  struct pidns *pid;              /* task_active_pid_ns: its pid's */
  struct pidns *pid_children;     /* pid_for_children (unshare(CLONE_NEWPID), setns) */
  struct netns *net;
  struct nsproxy *for_children;   /* the set its children get while pid != pid_children */
  struct nsproxy *next_all;
};

/* the kernel's namespaces (struct kernel's ns) */
struct ns_state {   /* k->nss, made with the first namespace */
  struct userns *users;
  struct pidns *pids;
  struct netns *nets;
  struct nsproxy *proxies;
  uint64_t next_inum;
  int count;
};

static inline struct userns *task_userns(const struct task_ctx *c) { return c->ns ? c->ns->user : NULL; }
static inline struct pidns *task_pidns(const struct task_ctx *c) { return c->ns ? c->ns->pid : NULL; }
static inline struct netns *task_netns(const struct task_ctx *c) { return c->ns ? c->ns->net : NULL; }

/* ---- user namespaces (ns_user.c) ---- */
/* make_kuid / make_kgid: an id of ns as a kernel id, -1 if unmapped */
int64_t ns_make_kid(const struct userns *ns, bool gid, uint32_t id);
/* from_kuid: a kernel id as ns sees it, -1 if unmapped; _munged: 65534 then */
int64_t ns_from_kid(const struct userns *ns, bool gid, uint32_t kid);
uint32_t ns_from_kid_munged(const struct userns *ns, bool gid, uint32_t kid);
/* ns_capable: the running task has cap in ns (its own or a descendant
 * it or its ancestors own); NULL: the initial namespace (capable()) */
bool ns_capable(const struct kernel *k, const struct userns *ns, int cap);
/* a new user namespace owned by the running task (create_user_ns) or -errno */
int userns_new(struct kernel *k, struct userns *parent, struct userns **out);
/* /proc/<pid>/{uid_map,gid_map,setgroups}: content and write (what 0 uid,
 * 1 gid, 2 setgroups) */
void userns_proc_show(struct kernel *k, const struct task_ctx *c, int what, struct sbuf *b);
long userns_proc_write(struct kernel *k, struct task_ctx *target, int what, const char *buf, size_t n, int64_t pos);
/* userns_may_setgroups: a gid map written and setgroups not denied */
bool userns_may_setgroups(const struct userns *ns);

/* ---- pid namespaces (ns.c) ---- */
/* the pid g (an initial-namespace pid) as ns numbers it, 0 if it is not there */
int pid_nr_ns(const struct pidns *ns, int g);
/* the running task's view of g (task_pid_vnr), and back (find_vpid): 0 if none */
static inline int pid_vnr(struct kernel *k, int g) { return k->tc.ns ? pid_nr_ns(k->tc.ns->pid, g) : g; }
int pid_from_vnr(struct kernel *k, int nr);
/* a pid a guest gave (its namespace's) as the initial namespace's, for a
 * lookup: -1 (no task) when its namespace has none; 0 and below as given */
static inline int pid_in(struct kernel *k, int nr) {
  if (!k->tc.ns || nr <= 0) return nr;
  int g = pid_from_vnr(k, nr);
  return g ? g : -1;
}
/* a new task's pid in ns and in each ancestor (alloc_pid); -errno */
int pidns_alloc(struct kernel *k, struct pidns *ns, const int32_t *set_tid, uint64_t set_tid_size);
/* the process that exits (global pid) is its namespace's init: zap the
 * rest (zap_pid_ns_processes); and whom its children go to */
void pidns_exit(struct kernel *k, const struct task_ctx *c);
int pidns_reaper_for(struct kernel *k, const struct task_ctx *c);
/* is the task an init its namespace protects from the sender
 * (SIGNAL_UNKILLABLE seen from inside)? */
bool pidns_unkillable(struct kernel *k, const struct task_ctx *target);

/* ---- namespace sets (ns.c) ---- */
/* copy_namespaces + copy_creds for clone: *out the child's set (the
 * caller's when nothing is new); -errno */
int ns_clone(struct kernel *k, uint64_t flags, struct nsproxy **out);
long sys_unshare(struct kernel *k, uint64_t flags);
long sys_setns(struct kernel *k, int fd, int nstype);
/* /proc/<pid>/ns/<name>: the link text ("pid:[4026531836]"), -ENOENT */
int ns_link_text(struct kernel *k, const struct task_ctx *c, const char *name, char *out, size_t n);
/* the current network namespace's net sysctls: NULL for the initial one */
struct netns *ns_cur_net(const struct kernel *k);
/* a /proc/<pid>/ns/<name> file opened (PL_NS), -ENOENT */
int ns_proc_open(const struct task_ctx *c, const char *name, struct proc_live *l);
void ns_free_all(struct kernel *k);
#endif
