/* Credentials (kernel/sys.c, kernel/groups.c, security/commoncap.c):
 * each task's real/effective/saved/filesystem uid and gid and its
 * supplementary groups (at most CRED_NGROUPS), inherited by fork and kept
 * across exec (no set-user-ID or set-group-ID binaries are modelled: exec
 * never changes them).  The set*id calls follow their man pages: a task
 * with CAP_SETUID (CAP_SETGID for the gid calls and setgroups) in its
 * effective set may set any id; another only to one of its current
 * real/effective/saved ids, else EPERM; -1 leaves an id as it is; the
 * filesystem id follows the effective one.  The capability sets change
 * with the uids as cap_emulate_setxuid and cap_task_fix_setuid change them
 * (capabilities(7), "Effect of user ID changes on capabilities").
 *
 * Enforcement: file access is decided by the host.  When faultline runs as
 * host root, cred_host_sync installs the running task's fsuid/fsgid and
 * groups (mapped to host ids) as the host's filesystem credentials with
 * setfsuid/setfsgid/setgroups before a syscall runs, so the host checks
 * the guest's permissions (and a guest fsuid 0 keeps root's
 * CAP_DAC_OVERRIDE/CAP_CHOWN...: setfsuid drops and regains them as it
 * does for the guest).  faultline is single-threaded, so the raw calls
 * change only its own thread.  When faultline is not root it cannot switch
 * and the host checks faultline's own user, as before. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capable(): in the initial user namespace (a task in another has no
 * capability there: ns_capable, ns_user.c) */
bool capable(const struct kernel *k, int cap) {
  return (k->cap_eff >> cap) & 1 && (!k->tc.ns || !k->tc.ns->user);
}

bool cred_in_group(const struct kernel *k, uint32_t gid) {
  if (gid == (uint32_t)k->fsgid) return true;
  for (int i = 0; i < k->ngroups; i++) if (k->groups[i] == gid) return true;
  return false;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* ---- the host's filesystem credentials ---- */

/* What is installed on the host (host ids); faultline's own at start. */
static struct hcred { int fsuid, fsgid, ngroups; gid_t groups[CRED_NGROUPS]; } host_own, host_now;
static bool host_root = false, host_switched = false;

static void host_install(const struct hcred *c) {
  if (c->ngroups == host_now.ngroups && c->fsuid == host_now.fsuid && c->fsgid == host_now.fsgid &&
      !memcmp(c->groups, host_now.groups, (size_t)c->ngroups * sizeof c->groups[0]))
    return;
  /* groups and fsgid first: setgroups needs CAP_SETGID, which setfsuid
   * leaves alone (it drops only the filesystem capabilities) */
  syscall(SYS_setgroups, (size_t)c->ngroups, c->groups);
  syscall(SYS_setfsgid, c->fsgid);
  syscall(SYS_setfsuid, c->fsuid);
  host_now = *c;
  host_switched = memcmp(&host_now, &host_own, sizeof host_now) != 0;
}

static void host_want(struct kernel *k, int uid, int gid) {
  struct hcred c = {.fsuid = (int)fs_host_uid(k, (uint32_t)uid), .fsgid = (int)fs_host_gid(k, (uint32_t)gid),
                    .ngroups = k->ngroups};
  for (int i = 0; i < k->ngroups; i++) c.groups[i] = fs_host_gid(k, k->groups[i]);
  host_install(&c);
}

void cred_host_sync(struct kernel *k) {
  if (!host_root) return;
  /* the common case first: nothing changed since the last call */
  if ((int)fs_host_uid(k, (uint32_t)k->fsuid) == host_now.fsuid &&
      (int)fs_host_gid(k, (uint32_t)k->fsgid) == host_now.fsgid && k->ngroups == host_now.ngroups) {
    bool same = true;
    for (int i = 0; i < k->ngroups && same; i++) same = fs_host_gid(k, k->groups[i]) == host_now.groups[i];
    if (same) return;
  }
  host_want(k, k->fsuid, k->fsgid);
}

void cred_host_use_real(struct kernel *k) {
  if (host_root) host_want(k, k->ruid, k->rgid);
}

void cred_host_restore(void) {
  if (host_root && host_switched) host_install(&host_own);
}

/* The first task takes faultline's identity (getresuid/getresgid and the
 * supplementary groups, at most CRED_NGROUPS of them). */
void cred_init(struct kernel *k) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  k->start_uid = (int)r;
  k->start_gid = (int)gr;
  k->ruid = (int)r; k->euid = (int)e; k->suid = (int)s; k->fsuid = (int)e;
  k->rgid = (int)gr; k->egid = (int)ge; k->sgid = (int)gs; k->fsgid = (int)ge;
  gid_t g[CRED_NGROUPS];
  int n = getgroups(CRED_NGROUPS, g);
  k->ngroups = n > 0 ? n : 0;
  for (int i = 0; i < k->ngroups; i++) k->groups[i] = (uint32_t)g[i];
  qsort(k->groups, (size_t)k->ngroups, sizeof k->groups[0], cmp_u32);
  host_root = geteuid() == 0;
  host_own.fsuid = (int)e;
  host_own.fsgid = (int)ge;
  host_own.ngroups = k->ngroups;
  for (int i = 0; i < k->ngroups; i++) host_own.groups[i] = (gid_t)k->groups[i];
  host_now = host_own;
  host_switched = false;
}

/* ---- capabilities follow the uids (security/commoncap.c) ---- */

/* CAP_FS_MASK: chown, dac_override, dac_read_search, fowner, fsetid,
 * linux_immutable, mknod, mac_override */
#define CAP_FS_MASK ((1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 9) | \
                     (1ull << 27) | (1ull << 32))

/* cap_emulate_setxuid: after setuid/setreuid/setresuid; root is the
 * task's user namespace's uid 0 (make_kuid(user_ns, 0)) */
static void fix_setxuid(struct kernel *k, int or, int oe, int os) {
  int root = k->tc.ns ? (int)ns_make_kid(task_userns(&k->tc), false, 0) : 0;
  if ((or == root || oe == root || os == root) && k->ruid != root && k->euid != root && k->suid != root) {
    k->cap_prm = 0;              /* no SECBIT_KEEP_CAPS model */
    k->cap_eff = 0;
  }
  if (oe == root && k->euid != root) k->cap_eff = 0;
  if (oe != root && k->euid == root) k->cap_eff = k->cap_prm;
}

/* cap_task_fix_setuid(LSM_SETID_FS): after setfsuid */
static void fix_setfsuid(struct kernel *k, int ofs) {
  if (ofs == 0 && k->fsuid != 0) k->cap_eff &= ~CAP_FS_MASK;
  if (ofs != 0 && k->fsuid == 0) k->cap_eff |= k->cap_prm & CAP_FS_MASK;
}

/* ---- the calls ---- */

#define UNCH 0xffffffffu   /* (uid_t)-1: leave as it is */

/* CAP_SETUID/CAP_SETGID in the caller's own user namespace (ns_capable_setid) */
static bool setid_capable(const struct kernel *k, int cap) { return ns_capable(k, task_userns(&k->tc), cap); }

/* make_kuid/make_kgid on a set*id argument: -1 stays -1; an id the
 * caller's user namespace does not map is EINVAL */
static int to_kid(const struct kernel *k, bool gid, uint32_t *v) {
  if (*v == 0xffffffffu || !k->tc.ns) return 0;
  int64_t x = ns_make_kid(task_userns(&k->tc), gid, *v);
  if (x < 0) return -EINVAL;
  *v = (uint32_t)x;
  return 0;
}

/* from_kuid_munged: an id as the caller's user namespace shows it */
static uint32_t id_view(const struct kernel *k, bool gid, int kid) {
  return k->tc.ns ? ns_from_kid_munged(task_userns(&k->tc), gid, (uint32_t)kid) : (uint32_t)kid;
}

/* one of the caller's real/effective/saved ids (unprivileged set*id) */
static bool one_of(uint32_t v, int r, int e, int s) {
  return v == (uint32_t)r || v == (uint32_t)e || v == (uint32_t)s;
}

/* setresuid/setresgid (kernel/sys.c __sys_setresuid): ids[0..2] real,
 * effective, saved, -1 unchanged */
static long set_res(struct kernel *k, bool gid, uint32_t r, uint32_t e, uint32_t s) {
  int *R = gid ? &k->rgid : &k->ruid, *E = gid ? &k->egid : &k->euid, *S = gid ? &k->sgid : &k->suid;
  int *FS = gid ? &k->fsgid : &k->fsuid;
  if (to_kid(k, gid, &r) || to_kid(k, gid, &e) || to_kid(k, gid, &s)) return -EINVAL;
  if (!setid_capable(k, gid ? CAP_SETGID_ : CAP_SETUID_)) {
    if ((r != UNCH && !one_of(r, *R, *E, *S)) || (e != UNCH && !one_of(e, *R, *E, *S)) ||
        (s != UNCH && !one_of(s, *R, *E, *S)))
      return -EPERM;
  }
  int or = *R, oe = *E, os = *S;
  if (r != UNCH) *R = (int)r;
  if (e != UNCH) *E = (int)e;
  if (s != UNCH) *S = (int)s;
  *FS = *E;
  if (!gid) fix_setxuid(k, or, oe, os);
  return 0;
}

/* setreuid/setregid (__sys_setreuid): the real id may become the real or
 * effective one, the effective id any of the three; the saved id takes
 * the new effective one when the real id is set or the effective one
 * becomes other than the old real id */
static long set_re(struct kernel *k, bool gid, uint32_t r, uint32_t e) {
  int *R = gid ? &k->rgid : &k->ruid, *E = gid ? &k->egid : &k->euid, *S = gid ? &k->sgid : &k->suid;
  int *FS = gid ? &k->fsgid : &k->fsuid;
  if (to_kid(k, gid, &r) || to_kid(k, gid, &e)) return -EINVAL;
  bool priv = setid_capable(k, gid ? CAP_SETGID_ : CAP_SETUID_);
  if (r != UNCH && !priv && r != (uint32_t)*R && r != (uint32_t)*E) return -EPERM;
  if (e != UNCH && !priv && !one_of(e, *R, *E, *S)) return -EPERM;
  int or = *R, oe = *E, os = *S;
  if (r != UNCH) *R = (int)r;
  if (e != UNCH) *E = (int)e;
  if (r != UNCH || (e != UNCH && e != (uint32_t)or)) *S = *E;
  *FS = *E;
  if (!gid) fix_setxuid(k, or, oe, os);
  return 0;
}

/* setuid/setgid (__sys_setuid): privileged sets all four; otherwise only
 * the effective (and fs) id, to the real or saved one */
static long set_one(struct kernel *k, bool gid, uint32_t v) {
  if (v == UNCH || to_kid(k, gid, &v)) return -EINVAL;   /* not a valid id (make_kuid) */
  int *R = gid ? &k->rgid : &k->ruid, *E = gid ? &k->egid : &k->euid, *S = gid ? &k->sgid : &k->suid;
  int *FS = gid ? &k->fsgid : &k->fsuid;
  int or = *R, oe = *E, os = *S;
  if (setid_capable(k, gid ? CAP_SETGID_ : CAP_SETUID_)) *R = *S = (int)v;
  else if (v != (uint32_t)*R && v != (uint32_t)*S) return -EPERM;
  *E = *FS = (int)v;
  if (!gid) fix_setxuid(k, or, oe, os);
  return 0;
}

/* setfsuid/setfsgid: always return the old fsuid; change it to one of
 * the real/effective/saved/fs ids, or anything with CAP_SETUID/SETGID */
static long set_fs(struct kernel *k, bool gid, uint32_t v) {
  int *FS = gid ? &k->fsgid : &k->fsuid;
  int old = *FS;
  long oldv = id_view(k, gid, old);
  if (v == UNCH || to_kid(k, gid, &v)) return oldv;
  bool ok = gid ? one_of(v, k->rgid, k->egid, k->sgid) || v == (uint32_t)k->fsgid || setid_capable(k, CAP_SETGID_)
                : one_of(v, k->ruid, k->euid, k->suid) || v == (uint32_t)k->fsuid || setid_capable(k, CAP_SETUID_);
  if (ok && v != (uint32_t)old) {
    *FS = (int)v;
    if (!gid) fix_setfsuid(k, old);
  }
  return oldv;
}

static long get_res(struct kernel *k, bool gid, const uint64_t a[3]) {
  uint32_t v[3] = {id_view(k, gid, gid ? k->rgid : k->ruid), id_view(k, gid, gid ? k->egid : k->euid),
                   id_view(k, gid, gid ? k->sgid : k->suid)};
  for (int i = 0; i < 3; i++) if (copy_to_user(k, a[i], &v[i], 4)) return -EFAULT;
  return 0;
}

/* getgroups(2): size 0 asks for the count; a smaller list is EINVAL */
static long get_groups(struct kernel *k, int64_t size, uint64_t ulist) {
  if ((int)size < 0) return -EINVAL;
  if (!size) return k->ngroups;
  if ((int)size < k->ngroups) return -EINVAL;
  uint32_t v[CRED_NGROUPS];
  for (int i = 0; i < k->ngroups; i++) v[i] = id_view(k, true, (int)k->groups[i]);
  if (k->ngroups && copy_to_user(k, ulist, v, (size_t)k->ngroups * 4)) return -EFAULT;
  return k->ngroups;
}

/* setgroups(2): CAP_SETGID in the caller's user namespace, whose
 * gid_map is written and whose setgroups file does not say "deny"
 * (may_setgroups); an id it does not map is EINVAL; more than CRED_NGROUPS is EINVAL (Linux's
 * limit is NGROUPS_MAX, 65536); kept sorted (groups_sort) */
static long set_groups(struct kernel *k, int64_t size, uint64_t ulist) {
  if ((int)size < 0 || (int)size > 65536) return -EINVAL;
  if (!setid_capable(k, CAP_SETGID_) || !userns_may_setgroups(task_userns(&k->tc))) return -EPERM;
  if ((int)size > CRED_NGROUPS) return -EINVAL;
  uint32_t g[CRED_NGROUPS];
  if (size && copy_from_user(k, g, ulist, (size_t)size * 4)) return -EFAULT;
  for (int i = 0; i < (int)size; i++) if (to_kid(k, true, &g[i]) || g[i] == 0xffffffffu) return -EINVAL;
  qsort(g, (size_t)size, sizeof g[0], cmp_u32);
  memcpy(k->groups, g, (size_t)size * 4);
  k->ngroups = (int)size;
  return 0;
}

static long cred_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled);

/* commit_creds: new effective or filesystem ids, or permitted
 * capabilities the task did not have, make it not dumpable
 * (set_dumpable(suid_dumpable), fs.suid_dumpable 0) */
long sys_cred(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  int ids[4] = {k->euid, k->egid, k->fsuid, k->fsgid};
  uint64_t prm = k->cap_prm;
  long r = cred_call(k, nr, a, handled);
  if (ids[0] != k->euid || ids[1] != k->egid || ids[2] != k->fsuid || ids[3] != k->fsgid || (k->cap_prm & ~prm))
    k->undumpable = true;
  return r;
}

static long cred_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  *handled = true;
  switch (nr) {
  case SYS_getuid: return id_view(k, false, k->ruid);
  case SYS_geteuid: return id_view(k, false, k->euid);
  case SYS_getgid: return id_view(k, true, k->rgid);
  case SYS_getegid: return id_view(k, true, k->egid);
  case SYS_getresuid: return get_res(k, false, a);
  case SYS_getresgid: return get_res(k, true, a);
  case SYS_setuid: return set_one(k, false, (uint32_t)a[0]);
  case SYS_setgid: return set_one(k, true, (uint32_t)a[0]);
  case SYS_setreuid: return set_re(k, false, (uint32_t)a[0], (uint32_t)a[1]);
  case SYS_setregid: return set_re(k, true, (uint32_t)a[0], (uint32_t)a[1]);
  case SYS_setresuid: return set_res(k, false, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case SYS_setresgid: return set_res(k, true, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case SYS_setfsuid: return set_fs(k, false, (uint32_t)a[0]);
  case SYS_setfsgid: return set_fs(k, true, (uint32_t)a[0]);
  case SYS_getgroups: return get_groups(k, (int64_t)a[0], a[1]);
  case SYS_setgroups: return set_groups(k, (int64_t)a[0], a[1]);
  default:
    *handled = false;
    return -ENOSYS;
  }
}
