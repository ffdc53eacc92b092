/* Pid and network namespaces and the set of a task's namespaces
 * (kernel/pid_namespace.c, kernel/pid.c, kernel/nsproxy.c,
 * net/core/net_namespace.c; pid_namespaces(7), network_namespaces(7)).
 * Pids stay the initial namespace's numbers; each pid namespace keeps
 * the numbers it gives them (alloc_pid gives one per level), and the
 * system calls translate at their edge (task_pid_vnr, find_vpid).  A
 * namespace's first process is its pid 1 and the reaper of its orphans;
 * when it exits, the rest of the namespace is killed and no pid can be
 * made there again.  /proc stays the initial namespace's (the guest
 * cannot mount another), as Linux's /proc mounted before the unshare:
 * its status files list a pid in every namespace (NSpid).  A new
 * network namespace has its own /proc/sys/net values (IPv4 conf's all
 * and default inherited from the initial one, devconf_inherit_init_net
 * 0); sockets, ports and the loopback's traffic stay one machine's. */
#include "sim/kernel.h"
#include "sim/fs_priv.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLONE_NEWNS_ 0x00020000ull
#define CLONE_NEWCGROUP_ 0x02000000ull
#define CLONE_NEWUTS_ 0x04000000ull
#define CLONE_NEWIPC_ 0x08000000ull
#define CLONE_NEWUSER_ 0x10000000ull
#define CLONE_NEWPID_ 0x20000000ull
#define CLONE_NEWNET_ 0x40000000ull
#define CLONE_NEWTIME_ 0x00000080ull
#define MAX_PID_NS_LEVEL 32
#define RESERVED_PIDS 300
/* the initial namespaces' inode numbers (include/linux/proc_ns.h; the
 * initial network namespace's is the first dynamic one) */
#define INIT_USER_INO 0xEFFFFFFDull
#define INIT_PID_INO 0xEFFFFFFCull
#define INIT_NET_INO 0xF0000000ull

static bool ns_room(struct kernel *k) {
  if (!k->nss && !(k->nss = calloc(1, sizeof *k->nss))) return false;
  if (!k->nss->next_inum) k->nss->next_inum = INIT_NET_INO;
  return k->nss->count < NS_MAX;
}

/* ---- pid namespaces ---- */

int pid_nr_ns(const struct pidns *ns, int g) {
  if (!ns) return g;
  for (int i = 0; i < ns->n; i++) if (ns->map[i].g == g) return ns->map[i].l;
  return 0;
}

static int pid_global_ns(const struct pidns *ns, int nr) {
  if (!ns) return nr;
  for (int i = 0; i < ns->n; i++) if (ns->map[i].l == nr) return ns->map[i].g;
  return 0;
}

int pid_from_vnr(struct kernel *k, int nr) {
  return k->tc.ns ? pid_global_ns(k->tc.ns->pid, nr) : nr;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* the initial namespace's pids in use (a task's pid, tid, process group
 * or session), sorted; *n their count; NULL when out of memory */
static int *used_pids(struct kernel *k, int *n) {
  int cap = 16, m = 0;
  int *u = malloc((size_t)cap * sizeof *u);
  for (struct task *t = k->tasks; u && t; t = t->next) {
    const struct task_ctx *c = task_ctx_of(k, t);
    if (m + 4 > cap) {
      int *nu = realloc(u, (size_t)(cap *= 2) * sizeof *nu);
      if (!nu) { free(u); return NULL; }
      u = nu;
    }
    u[m++] = c->pid; u[m++] = c->tid; u[m++] = c->tg->pgid; u[m++] = c->tg->sid;
  }
  if (u) qsort(u, (size_t)m, sizeof *u, cmp_int);
  *n = m;
  return u;
}

static bool in_use(const int *u, int n, int g) { return bsearch(&g, u, (size_t)n, sizeof *u, cmp_int) != NULL; }

/* a number in ns for a new pid: want (set_tid) or the lowest free from
 * the cursor, wrapping to RESERVED_PIDS (idr_alloc_cyclic); numbers whose
 * pid is no longer used anywhere are free again */
static int pidns_number(struct kernel *k, struct pidns *ns, const int *u, int nu, int want) {
  int w = 0;
  for (int i = 0; i < ns->n; i++)                 /* drop the numbers of freed pids */
    if (in_use(u, nu, ns->map[i].g)) ns->map[w++] = ns->map[i];
  ns->n = w;
  if (want > 0) {
    for (int i = 0; i < ns->n; i++) if (ns->map[i].l == want) return -EEXIST;
    return want;
  }
  int max = k->sysctl.pid_max, lo = ns->next > RESERVED_PIDS ? RESERVED_PIDS : 1;
  for (int pass = 0; pass < 2; pass++) {
    int from = pass ? lo : (ns->next < 1 ? 1 : ns->next);
    if (pass && ns->next <= lo) break;
    for (int cand = from; cand < max; cand++) {
      bool taken = false;
      for (int i = 0; i < ns->n && !taken; i++) taken = ns->map[i].l == cand;
      if (!taken) { ns->next = cand + 1; return cand; }
    }
  }
  return -EAGAIN;
}

/* alloc_pid (kernel/pid.c) for a namespace below the initial one:
 * set_tid[i] is the pid asked for i levels above ns (EINVAL out of range
 * or, but for 1, while the namespace has no init yet; EPERM without
 * checkpoint_restore_ns_capable over that level's owner; EEXIST taken) */
int pidns_alloc(struct kernel *k, struct pidns *ns, const int32_t *set_tid, uint64_t set_tid_size) {
  if (set_tid_size > (uint64_t)ns->level + 1) return -EINVAL;
  int lv[MAX_PID_NS_LEVEL + 1] = {0};
  int i = 0;
  for (struct pidns *p = ns; p; p = p->parent, i++) {
    if ((uint64_t)i >= set_tid_size) break;
    int want = set_tid[i];
    if (want < 1 || want >= k->sysctl.pid_max) return -EINVAL;
    if (want != 1 && !p->reaper) return -EINVAL;
    if (!ns_capable(k, p->owner, CAP_SYS_ADMIN_) && !ns_capable(k, p->owner, 40 /* CAP_CHECKPOINT_RESTORE */))
      return -EPERM;
    lv[i] = want;
  }
  if (ns->dead) return -ENOMEM;                   /* PIDNS_ADDING cleared: its init has gone */
  /* the initial namespace's number first (pid.c alloc_pid), then each level's */
  int32_t top = (uint64_t)ns->level < set_tid_size ? set_tid[ns->level] : 0;
  if ((uint64_t)ns->level < set_tid_size && (top < 1 || top >= k->sysctl.pid_max)) return -EINVAL;
  int g = alloc_pid(k, top ? &top : NULL, top ? 1 : 0);
  if (g < 0) return g;
  int nu;
  int *u = used_pids(k, &nu);
  if (!u) return -ENOMEM;
  for (struct pidns *p = k->nss->pids; p; p = p->next_all)   /* a number of a freed pid names it no more */
    for (int j = 0; j < p->n; j++) if (p->map[j].g == g) p->map[j--] = p->map[--p->n];
  i = 0;
  int l[MAX_PID_NS_LEVEL + 1];
  for (struct pidns *p = ns; p; p = p->parent, i++) {
    l[i] = pidns_number(k, p, u, nu, lv[i]);
    if (l[i] < 0) { free(u); return l[i]; }
  }
  free(u);
  i = 0;
  for (struct pidns *p = ns; p; p = p->parent, i++) {
    if (p->n == p->cap) {
      int nc = p->cap ? p->cap * 2 : 8;
      struct pidmap *nm = realloc(p->map, (size_t)nc * sizeof *nm);
      if (!nm) return -ENOMEM;
      p->map = nm;
      p->cap = nc;
    }
    p->map[p->n++] = (struct pidmap){g, l[i]};
  }
  if (!ns->reaper) ns->reaper = g;                /* its first process is its init */
  return g;
}

static struct pidns *pidns_new(struct kernel *k, struct pidns *parent, struct userns *owner) {
  int level = parent ? parent->level + 1 : 1;
  if (level > MAX_PID_NS_LEVEL) return NULL;
  struct pidns *ns = calloc(1, sizeof *ns);
  if (!ns) return NULL;
  ns->parent = parent;
  ns->owner = owner;
  ns->level = level;
  ns->next = 1;
  ns->inum = ++k->nss->next_inum;
  ns->next_all = k->nss->pids;
  k->nss->pids = ns;
  k->nss->count++;
  return ns;
}

/* the task's process is in ns or below it */
static bool in_pidns(const struct task_ctx *c, const struct pidns *ns) {
  for (const struct pidns *p = task_pidns(c); p; p = p->parent) if (p == ns) return true;
  return !ns;
}

void pidns_exit(struct kernel *k, const struct task_ctx *c) {
  struct pidns *ns = task_pidns(c);
  if (!ns || ns->reaper != c->pid) return;
  /* zap_pid_ns_processes: no new pids, SIGKILL to every other process */
  ns->dead = true;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *o = task_ctx_of(k, t);
    if (o->tg == c->tg || t->state == TS_ZOMBIE || !in_pidns(o, ns)) continue;
    signal_send(k, t, SIGKILL, 0x80 /* SI_KERNEL */, 0);
  }
}

/* find_child_reaper: the init of the exiting process's namespace, or of
 * the nearest one above whose init lives */
int pidns_reaper_for(struct kernel *k, const struct task_ctx *c) {
  (void)k;
  const struct pidns *ns = task_pidns(c);
  while (ns && (ns->dead || ns->reaper == c->pid)) ns = ns->parent;
  return ns ? ns->reaper : INIT_PID;
}

/* sig_task_ignored's SIGNAL_UNKILLABLE: a namespace's init takes from
 * inside its namespace only the signals it has a handler for (SIGKILL
 * and SIGSTOP too are dropped); the caller checks the handler */
bool pidns_unkillable(struct kernel *k, const struct task_ctx *target) {
  const struct pidns *ns = task_pidns(target);
  return ns && ns->reaper == target->pid && in_pidns(&k->tc, ns);
}

/* ---- network namespaces ---- */

struct netns *ns_cur_net(const struct kernel *k) { return k->tc.ns ? k->tc.ns->net : NULL; }

/* setup_net with devconf_inherit_init_net 0: IPv4 conf's all and default
 * are the initial namespace's, the loopback's made from default;
 * net.core.somaxconn SOMAXCONN; the loopback down */
static struct netns *netns_new(struct kernel *k, struct userns *owner) {
  struct netns *ns = calloc(1, sizeof *ns);
  if (!ns) return NULL;
  ns->owner = owner;
  ns->inum = ++k->nss->next_inum;
  ns->somaxconn = 4096;
  memcpy(ns->ip4conf[0], k->sysctl.ip4conf[0], sizeof ns->ip4conf[0]);
  memcpy(ns->ip4conf[1], k->sysctl.ip4conf[1], sizeof ns->ip4conf[1]);
  memcpy(ns->ip4conf[2], k->sysctl.ip4conf[1], sizeof ns->ip4conf[2]);
  ns->next_all = k->nss->nets;
  k->nss->nets = ns;
  k->nss->count++;
  return ns;
}

/* ---- a task's set ---- */

static struct nsproxy *proxy_new(struct kernel *k, const struct nsproxy *from) {
  struct nsproxy *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  if (from) *p = *from;
  p->for_children = NULL;
  p->next_all = k->nss->proxies;
  k->nss->proxies = p;
  return p;
}

/* copy_creds' create_user_ns, then copy_namespaces (each new namespace
 * needs CAP_SYS_ADMIN in the user namespace that will own it; kinds the
 * model lacks are EINVAL, as their CONFIG_*_NS off makes them); *out the
 * caller's set, or a new one holding the new namespaces (a new pid
 * namespace as pid_for_children) */
static int ns_make(struct kernel *k, uint64_t flags, struct nsproxy **out) {
  struct nsproxy *cur = k->tc.ns;
  *out = cur;
  uint64_t others = CLONE_NEWNS_ | CLONE_NEWUTS_ | CLONE_NEWIPC_ | CLONE_NEWPID_ | CLONE_NEWNET_ |
                    CLONE_NEWCGROUP_ | CLONE_NEWTIME_;
  if (!(flags & (CLONE_NEWUSER_ | others))) return 0;
  if (!ns_room(k)) return -ENOSPC;
  struct userns *user = cur ? cur->user : NULL;
  if (flags & CLONE_NEWUSER_) {
    /* the new namespace's creator has every capability there, checked
     * with them (set_cred_user_ns): its caller's own are set by the caller */
    int e = userns_new(k, user, &user);
    if (e) return e;
  }
  if (flags & others) {
    bool full = flags & CLONE_NEWUSER_;            /* the creator of a new user namespace owns it */
    if (!full && !ns_capable(k, user, CAP_SYS_ADMIN_)) return -EPERM;
    if (flags & (CLONE_NEWUTS_ | CLONE_NEWIPC_ | CLONE_NEWTIME_)) return -EINVAL;
  }
  struct pidns *pidc = cur ? cur->pid_children : NULL;
  if ((flags & CLONE_NEWPID_) && pidc != (cur ? cur->pid : NULL)) return -EINVAL;   /* copy_pid_ns */
  struct nsproxy *p = proxy_new(k, cur);
  if (!p) return -ENOMEM;
  p->user = user;
  if (flags & CLONE_NEWPID_) {
    if (pidc && pidc->level >= MAX_PID_NS_LEVEL) return -ENOSPC;   /* create_pid_namespace */
    p->pid_children = pidns_new(k, pidc, user);
    if (!p->pid_children) return -ENOMEM;
  }
  if (flags & CLONE_NEWNET_) {
    p->net = netns_new(k, user);
    if (!p->net) return -ENOMEM;
  }
  *out = p;
  return 0;
}

int ns_clone(struct kernel *k, uint64_t flags, struct nsproxy **out) {
  struct nsproxy *p;
  int e = ns_make(k, flags, &p);
  if (e) return e;
  if (p != k->tc.ns) {
    p->pid = p->pid_children;          /* the child's pid is in pid_for_children */
    *out = p;
    return 0;
  }
  if (!p || p->pid == p->pid_children) {
    *out = p;
    return 0;
  }
  /* after unshare(CLONE_NEWPID): every child's set, made once */
  if (!p->for_children) {
    struct nsproxy *c = proxy_new(k, p);
    if (!c) return -ENOMEM;
    c->pid = p->pid_children;
    p->for_children = c;
  }
  *out = p->for_children;
  return 0;
}

#define CAP_FULL_ ((1ull << 41) - 1)   /* CAP_FULL_SET to CAP_LAST_CAP (40) */

/* unshare(2) (ksys_unshare): CLONE_NEWUSER implies CLONE_THREAD and
 * CLONE_FS, CLONE_NEWNS CLONE_FS; a process of more than one thread
 * cannot unshare CLONE_THREAD, CLONE_SIGHAND or CLONE_VM (EINVAL); a
 * shared descriptor table or fs_struct becomes the caller's own copy */
long sys_unshare(struct kernel *k, uint64_t flags) {
  if (flags & ~(0x00000200ull /* FS */ | 0x400 /* FILES */ | 0x40000 /* SYSVSEM */ | 0x10000 /* THREAD */ |
                0x800 /* SIGHAND */ | 0x100 /* VM */ | CLONE_NEWNS_ | CLONE_NEWUTS_ | CLONE_NEWIPC_ |
                CLONE_NEWUSER_ | CLONE_NEWPID_ | CLONE_NEWNET_ | CLONE_NEWCGROUP_ | CLONE_NEWTIME_))
    return -EINVAL;
  if (flags & CLONE_NEWUSER_) flags |= 0x10000 | 0x200;
  if (flags & 0x800) flags |= 0x10000;             /* SIGHAND implies THREAD */
  if (flags & CLONE_NEWNS_) flags |= 0x200;
  if ((flags & (0x10000 | 0x800 | 0x100)) && k->tg->live > 1) return -EINVAL;
  struct nsproxy *p;
  int e = ns_make(k, flags, &p);
  if (e) return e;
  if (flags & 0x200) {                            /* unshare_fs */
    struct fs_struct *fs = k->tg->fs;
    if (fs->refs > 1) {
      struct fs_struct *n = malloc(sizeof *n);
      if (!n) return -ENOMEM;
      *n = *fs;
      n->refs = 1;
      n->id = ++k->next_kobj_id;
      fs->refs--;
      k->tg->fs = n;
    }
  }
  if ((flags & 0x400) && k->files->refs > 1) {    /* unshare_fd */
    struct files *f = files_copy(k, k->files);
    if (!f) return -ENOMEM;
    files_put(k->files);
    k->files = f;
    k->fds = f->fds;
  }
  if (flags & 0x40000) k->semundo = 0;            /* exit_sem: the undo list is left */
  k->tc.ns = p;
  if (flags & CLONE_NEWUSER_) {                   /* set_cred_user_ns */
    k->cap_eff = k->cap_prm = k->cap_bnd = CAP_FULL_;
    k->cap_inh = 0;
  }
  return 0;
}

/* /proc/<pid>/ns: each kind's namespace and the name its link shows */
static uint64_t ns_inum(const struct task_ctx *c, const char *name, int *type) {
  const struct nsproxy *p = c->ns;
  if (!strcmp(name, "user")) { *type = (int)CLONE_NEWUSER_; return p && p->user ? p->user->inum : INIT_USER_INO; }
  if (!strcmp(name, "pid")) { *type = (int)CLONE_NEWPID_; return p && p->pid ? p->pid->inum : INIT_PID_INO; }
  if (!strcmp(name, "pid_for_children")) {
    /* pidns_for_children_get: none until the namespace has its init */
    *type = (int)CLONE_NEWPID_;
    if (p && p->pid_children && !p->pid_children->reaper) return 0;
    return p && p->pid_children ? p->pid_children->inum : INIT_PID_INO;
  }
  if (!strcmp(name, "net")) { *type = (int)CLONE_NEWNET_; return p && p->net ? p->net->inum : INIT_NET_INO; }
  return 0;
}

int ns_link_text(struct kernel *k, const struct task_ctx *c, const char *name, char *out, size_t n) {
  (void)k;
  int type;
  uint64_t ino = ns_inum(c, name, &type);
  if (!ino) return -ENOENT;
  snprintf(out, n, "%s:[%llu]", !strcmp(name, "pid_for_children") ? "pid" : name, (unsigned long long)ino);
  return 0;
}

static void *ns_by_inum(struct kernel *k, uint64_t ino, int type) {
  if (type == (int)CLONE_NEWUSER_ && ino == INIT_USER_INO) return NULL;
  for (struct userns *u = k->nss ? k->nss->users : NULL; type == (int)CLONE_NEWUSER_ && u; u = u->next_all)
    if (u->inum == ino) return u;
  for (struct pidns *u = k->nss ? k->nss->pids : NULL; type == (int)CLONE_NEWPID_ && u; u = u->next_all)
    if (u->inum == ino) return u;
  for (struct netns *u = k->nss ? k->nss->nets : NULL; type == (int)CLONE_NEWNET_ && u; u = u->next_all)
    if (u->inum == ino) return u;
  return NULL;
}

/* setns(2) with a /proc/<pid>/ns file (a pidfd is not modelled here):
 * EBADF no descriptor, EINVAL not a namespace file or not of nstype
 * (0: any); a user namespace needs CAP_SYS_ADMIN in it, a single-thread
 * process, and not the caller's own (EINVAL); a pid namespace must be the
 * caller's active one or below it (EINVAL) and becomes pid_for_children;
 * pid and net need CAP_SYS_ADMIN over their owner and in the caller's */
long sys_setns(struct kernel *k, int fd, int nstype) {
  struct gfd *g = gfd_get(k, fd);
  if (!g) return -EBADF;
  if (g->kind != FDK_PROC || g->live.what != PL_NS) return -EINVAL;
  int type = g->live.pid;
  if (nstype && nstype != type) return -EINVAL;
  uint64_t ino = g->live.mm;
  void *obj = ns_by_inum(k, ino, type);
  struct nsproxy *cur = k->tc.ns;
  if (!ns_room(k)) return -ENOSPC;
  if (type == (int)CLONE_NEWUSER_) {
    struct userns *u = obj;
    if (u == task_userns(&k->tc)) return -EINVAL;       /* userns_install: no re-entering one's own */
    if (k->tg->live > 1) return -EINVAL;
    if (k->tg->fs->refs > 1) return -EINVAL;
    if (!ns_capable(k, u, CAP_SYS_ADMIN_)) return -EPERM;
    struct nsproxy *p = proxy_new(k, cur);
    if (!p) return -ENOMEM;
    p->user = u;
    k->tc.ns = p;
    k->cap_eff = k->cap_prm = k->cap_bnd = CAP_FULL_;
    k->cap_inh = 0;
    return 0;
  }
  if (type == (int)CLONE_NEWPID_) {
    struct pidns *n = obj, *active = task_pidns(&k->tc);
    if (!ns_capable(k, n ? n->owner : NULL, CAP_SYS_ADMIN_) || !ns_capable(k, task_userns(&k->tc), CAP_SYS_ADMIN_))
      return -EPERM;
    bool below = false;                            /* pidns_install: active or a descendant */
    for (struct pidns *q = n; !below; q = q->parent) { below = q == active; if (!q) break; }
    if (!below) return -EINVAL;
    struct nsproxy *p = proxy_new(k, cur);
    if (!p) return -ENOMEM;
    p->pid = active;
    p->pid_children = n;
    k->tc.ns = p;
    return 0;
  }
  struct netns *n = obj;
  if (!ns_capable(k, n ? n->owner : NULL, CAP_SYS_ADMIN_) || !ns_capable(k, task_userns(&k->tc), CAP_SYS_ADMIN_))
    return -EPERM;
  struct nsproxy *p = proxy_new(k, cur);
  if (!p) return -ENOMEM;
  p->net = n;
  k->tc.ns = p;
  return 0;
}

/* a /proc/<pid>/ns file opened: which namespace (PL_NS: the kind in
 * pid, the inode number in mm) */
int ns_proc_open(const struct task_ctx *c, const char *name, struct proc_live *l) {
  int type;
  uint64_t ino = ns_inum(c, name, &type);
  if (!ino) return -ENOENT;
  *l = (struct proc_live){.what = PL_NS, .pid = type, .mm = ino};
  return 0;
}

void ns_free_all(struct kernel *k) {
  struct ns_state *s = k->nss;
  if (!s) return;
  for (struct userns *u = s->users, *n; u; u = n) { n = u->next_all; free(u); }
  for (struct pidns *u = s->pids, *n; u; u = n) { n = u->next_all; free(u->map); free(u); }
  for (struct netns *u = s->nets, *n; u; u = n) { n = u->next_all; free(u); }
  for (struct nsproxy *u = s->proxies, *n; u; u = n) { n = u->next_all; free(u); }
  free(s);
  k->nss = NULL;
}
