/* User namespaces (kernel/user_namespace.c, user_namespaces(7)): a new
 * namespace's creator has every capability in it; its ids are mapped
 * to the parent's by /proc/<pid>/uid_map and gid_map, each written once
 * (map_write's rules and errors), gid_map by the unprivileged only after
 * /proc/<pid>/setgroups says "deny".  Ids are kept as kernel ids (the
 * initial namespace's): make_kuid and from_kuid translate at the edge. */
#include "sim/procfs_priv.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_SETFCAP_ 31
#define MAX_USER_NS_LEVEL 32           /* create_user_ns: EUSERS past it */

/* map_id_range_down of one id: the kernel id, -1 if no extent covers it */
static int64_t map_down(const struct idmap *m, uint32_t id) {
  for (int i = 0; i < m->n; i++) {
    const struct idmap_ext *e = &m->e[i];
    if (id >= e->first && id - e->first < e->count) return (int64_t)e->lower + (id - e->first);
  }
  return -1;
}

/* map_id_up */
static int64_t map_up(const struct idmap *m, uint32_t kid) {
  for (int i = 0; i < m->n; i++) {
    const struct idmap_ext *e = &m->e[i];
    if (kid >= e->lower && kid - e->lower < e->count) return (int64_t)e->first + (kid - e->lower);
  }
  return -1;
}

int64_t ns_make_kid(const struct userns *ns, bool gid, uint32_t id) {
  if (!ns) return id == 0xffffffffu ? -1 : (int64_t)id;   /* (uid_t)-1 is never valid */
  return map_down(gid ? &ns->gid : &ns->uid, id);
}

int64_t ns_from_kid(const struct userns *ns, bool gid, uint32_t kid) {
  if (!ns) return kid;
  return map_up(gid ? &ns->gid : &ns->uid, kid);
}

uint32_t ns_from_kid_munged(const struct userns *ns, bool gid, uint32_t kid) {
  if (!ns) return kid;
  int64_t v = map_up(gid ? &ns->gid : &ns->uid, kid);
  return v < 0 ? OVERFLOW_ID : (uint32_t)v;
}

/* cap_capable (security/commoncap.c): in the task's own namespace, its
 * effective set; in a descendant namespace whose parent is the task's
 * and whose owner is the task's euid, every capability; else none */
bool ns_capable(const struct kernel *k, const struct userns *target, int cap) {
  const struct userns *mine = k->tc.ns ? k->tc.ns->user : NULL;
  int my_level = mine ? mine->level : 0;
  for (const struct userns *ns = target;; ns = ns->parent) {
    if (ns == mine) return (k->cap_eff >> cap) & 1;
    if (!ns || ns->level <= my_level) return false;
    if (ns->parent == mine && ns->owner == k->euid) return true;
  }
}

bool userns_may_setgroups(const struct userns *ns) {
  return !ns || (ns->gid.n && !ns->setgroups_deny);
}

int userns_new(struct kernel *k, struct userns *parent, struct userns **out) {
  if (parent && parent->level >= MAX_USER_NS_LEVEL) return -EUSERS;
  if (k->nss && k->nss->count >= NS_MAX) return -ENOSPC;     /* inc_user_namespaces: the ucounts limit */
  /* the creator's ids must be mapped in the parent namespace */
  if (ns_from_kid(parent, false, (uint32_t)k->euid) < 0 || ns_from_kid(parent, true, (uint32_t)k->egid) < 0)
    return -EPERM;
  if (!k->nss && !(k->nss = calloc(1, sizeof *k->nss))) return -ENOMEM;
  struct userns *ns = calloc(1, sizeof *ns);
  if (!ns) return -ENOMEM;
  ns->parent = parent;
  ns->level = parent ? parent->level + 1 : 1;
  ns->owner = k->euid;
  ns->group = k->egid;
  ns->inum = ++k->nss->next_inum;
  ns->setgroups_deny = parent && parent->setgroups_deny;   /* ns->flags = parent_ns->flags */
  ns->parent_could_setfcap = (k->cap_eff >> CAP_SETFCAP_) & 1;
  ns->next_all = k->nss->users;
  k->nss->users = ns;
  k->nss->count++;
  *out = ns;
  return 0;
}

/* uid_m_show: "first lower count", the lower ids as the opener's
 * namespace sees them (the parent's when the opener is in ns itself) */
void userns_proc_show(struct kernel *k, const struct task_ctx *c, int what, struct sbuf *b) {
  const struct userns *ns = task_userns(c), *lower_ns = task_userns(&k->tc);
  if (what == 2) {
    sb_printf(b, "%s\n", ns && ns->setgroups_deny ? "deny" : "allow");
    return;
  }
  if (!ns) {                 /* the initial namespace: the identity over every id */
    sb_printf(b, "%10u %10u %10u\n", 0u, 0u, 4294967295u);
    return;
  }
  if (lower_ns == ns) lower_ns = ns->parent;
  const struct idmap *m = what ? &ns->gid : &ns->uid;
  for (int i = 0; i < m->n; i++) {
    int64_t lo = ns_from_kid(lower_ns, what == 1, m->e[i].lower);
    sb_printf(b, "%10u %10u %10u\n", m->e[i].first, (uint32_t)lo, m->e[i].count);
  }
}

static const char *skip_spaces(const char *p) {
  while (isspace((unsigned char)*p)) p++;
  return p;
}

/* simple_strtoul, base 10 */
static uint32_t strtou32(const char *p, const char **end) {
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p++ - '0');
  *end = p;
  return (uint32_t)v;
}

static bool overlaps(const struct idmap *m, const struct idmap_ext *x) {
  for (int i = 0; i < m->n; i++) {
    const struct idmap_ext *e = &m->e[i];
    uint64_t a = e->first, ae = a + e->count, b = x->first, be = b + x->count;
    uint64_t la = e->lower, lae = la + e->count, lb = x->lower, lbe = lb + x->count;
    if ((a < be && b < ae) || (la < lbe && lb < lae)) return true;
  }
  return false;
}

/* proc_setgroups_write */
static long setgroups_write(struct userns *ns, const char *buf, size_t n, int64_t pos) {
  if (pos != 0 || n >= 8) return -EINVAL;
  char kb[8];
  memcpy(kb, buf, n);
  kb[n] = 0;
  const char *p = kb;
  bool allow;
  if (!strncmp(p, "allow", 5)) { p += 5; allow = true; }
  else if (!strncmp(p, "deny", 4)) { p += 4; allow = false; }
  else return -EINVAL;
  if (*skip_spaces(p)) return -EINVAL;
  if (!ns) return allow ? (long)n : -EPERM;     /* the initial namespace: always allowed, never denied */
  if (allow) {
    if (ns->setgroups_deny) return -EPERM;      /* no enabling after a deny */
  } else {
    if (ns->gid.n) return -EPERM;               /* no deny once gid_map is written */
    ns->setgroups_deny = true;
  }
  return (long)n;
}

/* map_write (uid_map, gid_map): one write at offset 0 of less than a
 * page, at most UID_GID_MAP_MAX_EXTENTS lines "first lower count" */
long userns_proc_write(struct kernel *k, struct task_ctx *target, int what, const char *buf, size_t n, int64_t pos) {
  struct userns *ns = task_userns(target), *mine = task_userns(&k->tc);
  if (what == 2) return setgroups_write(ns, buf, n, pos);
  /* proc_uid_map_write: not the initial namespace's; the opener is in ns or its parent */
  if (!ns) return -EPERM;
  if (ns != mine && (!ns || ns->parent != mine)) return -EPERM;
  if (pos != 0 || n >= PAGE) return -EINVAL;
  struct idmap *map = what ? &ns->gid : &ns->uid;
  bool gid = what == 1;
  int cap_setid = gid ? CAP_SETGID_ : CAP_SETUID_;
  if (map->n) return -EPERM;                     /* only one successful write */
  if (!ns_capable(k, ns, CAP_SYS_ADMIN_)) return -EPERM;   /* file_ns_capable(map_ns): the target's */
  struct idmap *nm = calloc(1, sizeof *nm);
  if (!nm) return -ENOMEM;
  char *kb = malloc(n + 1);
  if (!kb) { free(nm); return -ENOMEM; }
  memcpy(kb, buf, n);
  kb[n] = 0;
  long ret = -EINVAL;
  for (char *line = kb, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next) { *next++ = 0; if (!*next) next = NULL; }
    const char *p = skip_spaces(line);
    struct idmap_ext x;
    x.first = strtou32(p, &p);
    if (!isspace((unsigned char)*p)) goto out;
    x.lower = strtou32(skip_spaces(p), &p);
    if (!isspace((unsigned char)*p)) goto out;
    x.count = strtou32(skip_spaces(p), &p);
    if (*p && !isspace((unsigned char)*p)) goto out;
    if (*skip_spaces(p)) goto out;                          /* trailing junk */
    if (x.first == 0xffffffffu || x.lower == 0xffffffffu) goto out;
    if ((uint32_t)(x.first + x.count) <= x.first || (uint32_t)(x.lower + x.count) <= x.lower) goto out;
    if (overlaps(nm, &x)) goto out;
    if (nm->n + 1 == UID_GID_MAP_MAX_EXTENTS && next) goto out;
    nm->e[nm->n++] = x;
  }
  if (!nm->n) goto out;
  ret = -EPERM;
  /* new_idmap_permitted: verify_root_map first (a map of the parent's
   * root needs CAP_SETFCAP), then the unprivileged one-id mapping of the
   * owner's own euid (egid, with setgroups denied), else CAP_SETUID /
   * CAP_SETGID over the parent namespace */
  if (!gid) {
    for (int i = 0; i < nm->n; i++) {
      if (nm->e[i].lower != 0) continue;
      if (ns == mine ? !ns->parent_could_setfcap : !ns_capable(k, ns->parent, CAP_SETFCAP_)) goto out;
      break;
    }
  }
  bool ok = false;
  if (nm->n == 1 && nm->e[0].count == 1 && ns->owner == k->euid) {
    int64_t id = ns_make_kid(ns->parent, gid, nm->e[0].lower);
    ok = gid ? ns->setgroups_deny && id == k->egid : id == k->euid;
  }
  if (!ok && !ns_capable(k, ns->parent, cap_setid)) goto out;
  /* the lower ids as kernel ids (map_id_range_down in the parent) */
  for (int i = 0; i < nm->n; i++) {
    int64_t lo = ns_make_kid(ns->parent, gid, nm->e[i].lower);
    int64_t hi = ns_make_kid(ns->parent, gid, nm->e[i].lower + nm->e[i].count - 1);
    if (lo < 0 || hi < 0 || hi - lo != (int64_t)nm->e[i].count - 1) goto out;
    nm->e[i].lower = (uint32_t)lo;
  }
  *map = *nm;
  ret = (long)n;
out:
  free(kb);
  free(nm);
  return ret;
}
