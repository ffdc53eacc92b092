/* AF_UNIX naming (issue 19: multiprocessing's listeners and forkserver):
 * bind, listen, accept, connect, and sendmsg/recvmsg with SCM_RIGHTS, over
 * host sockets.  A path is the guest's, resolved under --root like any
 * other (the socket file is created where the guest's path says); an
 * abstract name is the guest's own: the host socket gets a name of this
 * run (a hash of the guest's), so guests of different runs never meet and
 * no guest reaches a host process's abstract socket.  connect reaches only
 * sockets guests of this run bound: the host's own unix sockets stay out of
 * reach (ECONNREFUSED), as sys_socket.c's note promises.  The addresses
 * getsockname and getpeername give are the guest's.  Passed descriptors are
 * the guest's host-backed ones (files, pipes, sockets). */
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PASSED 253           /* SCM_MAX_FD */
static uint8_t ubuf[FS_BOUNCE];

struct gfd *unix_sock(struct kernel *k, int fd, long *err);

/* the guest's sockaddr_un: a path (resolved: parent dir fd + last) or an
 * abstract name (its host name of this run) */
struct uaddr {
  struct sockaddr_un g;          /* as the guest gave it */
  socklen_t glen;
  bool abstract;
  struct sockaddr_un h;          /* abstract: the host's */
  socklen_t hlen;
};

static long name_uaddr(struct kernel *k, struct uaddr *a, size_t n);

static long get_uaddr(struct kernel *k, uint64_t ua, uint64_t len, struct uaddr *a) {
  if (len < sizeof(sa_family_t) || len > sizeof(struct sockaddr_un)) return -EINVAL;
  memset(a, 0, sizeof *a);
  if (copy_from_user(k, &a->g, ua, (size_t)len)) return -EFAULT;
  if (a->g.sun_family != AF_UNIX) return -EINVAL;
  a->glen = (socklen_t)len;
  size_t n = len - offsetof(struct sockaddr_un, sun_path);
  if (!n) return -EINVAL;              /* (no name: only bind's autobind takes it) */
  return name_uaddr(k, a, n);
}

/* the host's name for the guest's address in a->g (n bytes of sun_path);
 * abstract names are per network namespace: the caller's (a socket's own
 * is its creator's: the model takes the caller's at bind and connect) */
static long name_uaddr(struct kernel *k, struct uaddr *a, size_t n) {
  a->abstract = a->g.sun_path[0] == 0;
  if (a->abstract) {                   /* FNV-1a of the guest's name, in this run's namespace */
    uint64_t hsh = 1469598103934665603ull;
    for (size_t i = 1; i < n; i++) hsh = (hsh ^ (uint8_t)a->g.sun_path[i]) * 1099511628211ull;
    a->h.sun_family = AF_UNIX;
    const struct netns *net = ns_cur_net(k);
    int m = net ? snprintf(a->h.sun_path + 1, sizeof a->h.sun_path - 1, "faultline.%d.n%llx.%016llx", (int)getpid(),
                           (unsigned long long)net->inum, (unsigned long long)hsh)
                : snprintf(a->h.sun_path + 1, sizeof a->h.sun_path - 1, "faultline.%d.%016llx", (int)getpid(),
                           (unsigned long long)hsh);
    a->hlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)m);
  } else if (!memchr(a->g.sun_path, 0, n)) {
    if (n >= sizeof a->g.sun_path) return -EINVAL;
    a->g.sun_path[n] = 0;              /* (a path need not end in its NUL) */
  }
  return 0;
}

/* a socket file a guest of this run bound */
static bool bound_by_guest(struct kernel *k, const struct stat *st) {
  for (size_t i = 0; i < k->nunix_bound; i++)
    if (k->unix_bound[i].dev == (uint64_t)st->st_dev && k->unix_bound[i].ino == (uint64_t)st->st_ino) return true;
  return false;
}

/* a name a guest bound: its file (dev, ino; 0 for an abstract name), the
 * guest's address and the host's (what a datagram's receiver hears) */
static void note_bound(struct kernel *k, const struct uaddr *a, uint64_t dev, uint64_t ino, const struct sockaddr_un *h,
                       socklen_t hl) {
  if (k->nunix_bound == k->capunix_bound) {
    k->capunix_bound = k->capunix_bound ? k->capunix_bound * 2 : 16;
    k->unix_bound = realloc(k->unix_bound, k->capunix_bound * sizeof *k->unix_bound);
  }
  struct unix_bound *b = &k->unix_bound[k->nunix_bound++];
  memset(b, 0, sizeof *b);
  b->dev = dev;
  b->ino = ino;
  memcpy(b->gname, &a->g, a->glen);
  b->glen = (uint8_t)a->glen;
  memcpy(b->hname, h, hl);
  b->hlen = (uint8_t)hl;
}

/* bind or connect a path: the host call made in its parent directory */
static int at_path(struct kernel *k, int h, const struct uaddr *a, bool bind_it, struct stat *st) {
  int pfd;
  char last[256];
  bool slash;
  int r = fs_resolve(k, AT_FDCWD, a->g.sun_path, &pfd, last, sizeof last, &slash);
  if (r) return r;
  if (slash || !strcmp(last, ".")) { close(pfd); return bind_it ? -EINVAL : -ECONNREFUSED; }
  if (strlen(last) >= sizeof(((struct sockaddr_un *)0)->sun_path)) { close(pfd); return -ENAMETOOLONG; }
  if (!bind_it) {                      /* only a socket a guest bound */
    if (fstatat(pfd, last, st, AT_SYMLINK_NOFOLLOW)) { r = -errno; close(pfd); return r; }
    if (!S_ISSOCK(st->st_mode)) { close(pfd); return -ECONNREFUSED; }
    if (!bound_by_guest(k, st)) { close(pfd); return -ECONNREFUSED; }
  }
  int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct sockaddr_un s = {.sun_family = AF_UNIX};
  memcpy(s.sun_path, last, strlen(last) + 1);
  if (cwd < 0 || fchdir(pfd)) { r = -errno; if (cwd >= 0) close(cwd); close(pfd); return r; }
  r = bind_it ? bind(h, (struct sockaddr *)&s, sizeof s) : connect(h, (struct sockaddr *)&s, sizeof s);
  int e = errno;
  if (!r && bind_it && !fstatat(pfd, last, st, AT_SYMLINK_NOFOLLOW))
    note_bound(k, a, (uint64_t)st->st_dev, (uint64_t)st->st_ino, &s,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(last) + 1));
  if (fchdir(cwd)) { /* (faultline's own cwd is a directory it holds open) */ }
  close(cwd);
  close(pfd);
  return r ? -e : 0;
}

static void remember(struct gfd *g, const struct uaddr *a, bool peer) {
  memcpy(peer ? g->unix_peer : g->unix_name, &a->g, a->glen);
  if (peer) g->unix_peerlen = (uint8_t)a->glen; else g->unix_namelen = (uint8_t)a->glen;
}

/* unix_autobind: a bind of no name takes an abstract one of five hex
 * digits (Linux's start is random; the model's counts from 0) */
static long autobind(struct kernel *k, struct gfd *g, uint64_t ua) {
  sa_family_t f;
  if (copy_from_user(k, &f, ua, sizeof f)) return -EFAULT;
  if (f != AF_UNIX) return -EINVAL;
  if (g->unix_namelen) return 0;       /* (bound already: nothing to do) */
  for (int i = 0; i < 0x100000; i++) {
    struct uaddr a;
    memset(&a, 0, sizeof a);
    a.g.sun_family = AF_UNIX;
    snprintf(a.g.sun_path + 1, 6, "%05x", k->unix_autobind++ & 0xfffffu);
    a.glen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6);
    name_uaddr(k, &a, 6);
    long r = bind(g->hostfd, (struct sockaddr *)&a.h, a.hlen) ? -errno : 0;
    if (r == -EADDRINUSE) continue;
    if (!r) { note_bound(k, &a, 0, 0, &a.h, a.hlen); remember(g, &a, false); }
    return r;
  }
  return -ENOSPC;
}

static long do_bind(struct kernel *k, struct gfd *g, uint64_t ua, uint64_t len) {
  struct uaddr a;
  if (len == sizeof(sa_family_t)) return autobind(k, g, ua);
  long r = get_uaddr(k, ua, len, &a);
  if (r) return r;
  if (a.abstract) {
    r = bind(g->hostfd, (struct sockaddr *)&a.h, a.hlen) ? -errno : 0;
    if (!r) note_bound(k, &a, 0, 0, &a.h, a.hlen);
  } else {
    if (k->read_only) return -EROFS;
    struct stat st;
    r = at_path(k, g->hostfd, &a, true, &st);
  }
  if (!r) remember(g, &a, false);
  return r;
}

static long do_connect(struct kernel *k, struct gfd *g, uint64_t ua, uint64_t len) {
  struct uaddr a;
  long r = get_uaddr(k, ua, len, &a);
  if (r) return r;
  /* a stream connect to a listener completes at once (or finds its
   * backlog full: then a blocking one waits until there is room) */
  int fl = fcntl(g->hostfd, F_GETFL);
  fcntl(g->hostfd, F_SETFL, fl | O_NONBLOCK);
  if (a.abstract) r = connect(g->hostfd, (struct sockaddr *)&a.h, a.hlen) ? -errno : 0;
  else {
    struct stat st;
    r = at_path(k, g->hostfd, &a, false, &st);
  }
  fcntl(g->hostfd, F_SETFL, fl);
  if (r == -EAGAIN && !(g->flags & O_NONBLOCK) && fs_park_on_fd(k, g->hostfd, POLLOUT)) return 0;
  if (!r) remember(g, &a, true);
  return r;
}

/* the kind a passed (or accepted) host descriptor gets in the guest */
static int install_host(struct kernel *k, int h, bool cloexec, int extra_flags) {
  struct stat st;
  int fl = fcntl(h, F_GETFL);
  enum fd_kind kind = FDK_HOST;
  if (!fstat(h, &st) && S_ISFIFO(st.st_mode)) kind = (fl & O_ACCMODE) == O_WRONLY ? FDK_PIPE_W : FDK_PIPE_R;
  return gfd_install(k, 0, kind, h, (fl & ~O_NONBLOCK) | extra_flags, cloexec, NULL);
}

/* accept a connection waiting on g's host socket: the new guest fd, or
 * -errno; none waiting parks a blocking caller (then k->block_now) */
long sock_accept_host(struct kernel *k, struct gfd *g, int flags) {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  int lfl = fcntl(g->hostfd, F_GETFL);
  fcntl(g->hostfd, F_SETFL, lfl | O_NONBLOCK);   /* (the host never waits: the task parks) */
  int h = accept4(g->hostfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  int e = errno;
  fcntl(g->hostfd, F_SETFL, lfl);
  errno = e;
  if (h < 0) {
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && !(g->flags & O_NONBLOCK) &&
        fs_park_on_fd(k, g->hostfd, POLLIN))
      return 0;
    return -errno;
  }
  int fl = fcntl(h, F_GETFL);
  if (!(flags & SOCK_NONBLOCK)) fcntl(h, F_SETFL, fl & ~O_NONBLOCK);   /* (the host's flag is F_GETFL's) */
  return install_host(k, h, flags & SOCK_CLOEXEC, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
}

static long do_accept(struct kernel *k, int lfd, uint64_t ua, uint64_t ulen, int flags) {
  long fd = sock_accept_host(k, gfd_get(k, lfd), flags);
  if (fd < 0 || k->block_now) return fd;
  struct gfd *g = gfd_get(k, lfd), *n = gfd_get(k, (int)fd);   /* (the install may move the table) */
  memcpy(n->unix_name, g->unix_name, sizeof n->unix_name);   /* its name is the listener's */
  n->unix_namelen = g->unix_namelen;
  if (ua) {                            /* the peer: unnamed (a client that did not bind) */
    uint32_t ol;
    sa_family_t fam = AF_UNIX;
    uint32_t l = sizeof fam;
    if (copy_from_user(k, &ol, ulen, 4)) return -EFAULT;
    if (copy_to_user(k, ua, &fam, ol < l ? ol : l) || copy_to_user(k, ulen, &l, 4)) return -EFAULT;
  }
  return fd;
}

/* sendmsg/recvmsg through the bounce buffer (one chunk).  nm NULL: an
 * AF_UNIX socket (connected: a name on a send is EISCONN; SCM_RIGHTS as
 * host descriptors; the sender unnamed); else the family's names
 * (sys_inet.c), no control messages.  A receive fills m's controllen,
 * flags and namelen for the caller to copy back. */
long sock_msg(struct kernel *k, struct gfd *g, bool out, struct kmsghdr *m, const struct kiov *iov, size_t niov,
              int flags, const struct sock_names *nm) {
  size_t total = 0;
  int passed[MAX_PASSED], npassed = 0;
  uint8_t hctl[CMSG_SPACE(sizeof(int) * MAX_PASSED)];
  memset(hctl, 0, sizeof hctl);
  struct sockaddr_un hname;
  socklen_t hnl = 0;
  uint8_t hdr[16] = {0};
  uint32_t prefix = nm ? nm->prefix : 0;
  if (out && m->name && !nm) return -EISCONN;   /* (an addressed datagram: not modelled) */
  if (out) {
    for (size_t i = 0; i < niov && total < FS_BOUNCE; i++) {
      size_t n = iov[i].len < FS_BOUNCE - total ? (size_t)iov[i].len : FS_BOUNCE - total;
      if (n && copy_from_user(k, ubuf + total, iov[i].base, n)) return -EFAULT;
      total += n;
    }
    if (nm && nm->ctl_out) {           /* the family's control messages */
      uint8_t gctl[CMSG_SPACE(sizeof(int) * MAX_PASSED)];
      size_t cl = m->control ? (size_t)m->controllen : 0;
      if (cl > sizeof gctl) return -ENOBUFS;   /* (beyond optmem_max) */
      if (cl && copy_from_user(k, gctl, m->control, cl)) return -EFAULT;
      long e = nm->ctl_out(k, g, gctl, cl, hdr);
      if (e) return e;
    } else if (m->control && m->controllen) {   /* SCM_RIGHTS: the guest's fds, as the host's */
      uint8_t gctl[CMSG_SPACE(sizeof(int) * MAX_PASSED)];
      if (m->controllen > sizeof gctl) return -EINVAL;
      if (copy_from_user(k, gctl, m->control, (size_t)m->controllen)) return -EFAULT;
      struct msghdr gm = {.msg_control = gctl, .msg_controllen = (size_t)m->controllen};
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&gm); c; c = CMSG_NXTHDR(&gm, c)) {
        if ((nm && !nm->rights) || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -EINVAL;
        int nf = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < nf; i++) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
          struct gfd *p = gfd_get(k, fd);
          if (!p) return -EBADF;
          if (p->hostfd < 0 || (p->kind != FDK_HOST && p->kind != FDK_PIPE_R && p->kind != FDK_PIPE_W) ||
              npassed == MAX_PASSED)
            return -EINVAL;            /* (a descriptor of the model's own: not passable) */
          passed[npassed++] = p->hostfd;
        }
      }
    }
    if (nm) {                          /* where the data goes */
      long d = nm->dest(k, g, m->name, m->namelen, &hname, &hnl);
      if (d < 0) return d;
      if (d == 1) return (long)total;  /* (nobody bound there: the datagram is lost) */
    }
  } else {
    for (size_t i = 0; i < niov; i++) total += (size_t)iov[i].len;
    if (total > FS_BOUNCE) total = FS_BOUNCE;
  }
  struct iovec hv[2] = {{.iov_base = hdr, .iov_len = prefix}, {.iov_base = ubuf, .iov_len = total}};
  struct msghdr hm = {.msg_iov = prefix ? hv : hv + 1, .msg_iovlen = prefix ? 2 : 1};
  if (nm) {
    hm.msg_name = &hname;
    hm.msg_namelen = out ? hnl : sizeof hname;
  }
  if (out && npassed) {
    hm.msg_control = hctl;
    hm.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)npassed);
    struct cmsghdr *c = CMSG_FIRSTHDR(&hm);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)npassed);
    memcpy(CMSG_DATA(c), passed, sizeof(int) * (size_t)npassed);
  } else if (!out) {
    hm.msg_control = hctl;
    hm.msg_controllen = sizeof hctl;
  }
  int hflags = (flags & (MSG_PEEK | MSG_WAITALL | MSG_TRUNC | MSG_EOR | MSG_OOB)) | MSG_DONTWAIT | (out ? MSG_NOSIGNAL : MSG_CMSG_CLOEXEC);
  ssize_t r = out ? sendmsg(g->hostfd, &hm, hflags) : recvmsg(g->hostfd, &hm, hflags);
  int e = errno;
  if (nm && nm->done) nm->done();
  errno = e;
  if (r < 0) {
    if (nm && !nm->rights && out && errno == EPERM) return (long)total;   /* (a peer connected elsewhere drops it) */
    return sock_failed(k, g, out, flags);
  }
  if (out) return r < (ssize_t)prefix ? 0 : r - (ssize_t)prefix;
  r = r < (ssize_t)prefix ? 0 : r - (ssize_t)prefix;
  /* the data to the guest's iovecs; passed descriptors become its fds */
  for (size_t i = 0, done = 0; i < niov && done < (size_t)r; i++) {
    size_t n = iov[i].len < (size_t)r - done ? (size_t)iov[i].len : (size_t)r - done;
    if (n && copy_to_user(k, iov[i].base, ubuf + done, n)) return -EFAULT;
    done += n;
  }
  uint8_t gctl[CMSG_SPACE(sizeof(int) * MAX_PASSED)];
  size_t glen = 0;
  int32_t oflags = (hm.msg_flags & (MSG_TRUNC | MSG_CTRUNC | MSG_EOR));
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&hm); c; c = CMSG_NXTHDR(&hm, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int nf = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), kept = 0;
    size_t room = m->controllen > glen + CMSG_LEN(0) ? (m->controllen - glen - CMSG_LEN(0)) / sizeof(int) : 0;
    int fds[MAX_PASSED];
    for (int i = 0; i < nf; i++) {
      int h;
      memcpy(&h, CMSG_DATA(c) + i * sizeof(int), sizeof h);
      if ((size_t)kept >= room) { close(h); oflags |= MSG_CTRUNC; continue; }   /* as scm_detach_fds */
      long fd = install_host(k, h, (flags & MSG_CMSG_CLOEXEC) != 0, 0);
      if (fd < 0) { oflags |= MSG_CTRUNC; continue; }
      gfd_adopt_ofd(k, (int)fd);         /* the sender's open file, not a new one */
      fds[kept++] = (int)fd;
    }
    if (!kept) continue;
    struct cmsghdr gc = {.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)kept), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
    memcpy(gctl + glen, &gc, sizeof gc);
    memcpy(gctl + glen + CMSG_LEN(0), fds, sizeof(int) * (size_t)kept);
    glen += CMSG_SPACE(sizeof(int) * (size_t)kept);
  }
  if (nm && nm->ctl_in) {
    size_t room = m->control ? (size_t)m->controllen : 0;
    glen = nm->ctl_in(k, g, hdr, gctl, room < sizeof gctl ? room : sizeof gctl, &oflags);
  }
  if (glen > m->controllen) glen = (size_t)m->controllen;
  if (glen && copy_to_user(k, m->control, gctl, glen)) return -EFAULT;
  m->controllen = glen;
  m->flags = oflags;
  if (nm) {                            /* the sender, as the guest names it (move_addr_to_user) */
    struct sockaddr_storage src;
    uint32_t l = nm->source(k, g, &hname, hm.msg_namelen, &src);
    if (m->name && l && copy_to_user(k, m->name, &src, m->namelen < l ? m->namelen : l)) return -EFAULT;
    m->namelen = l;
  } else if (m->name && m->namelen >= sizeof(sa_family_t)) {   /* the sender: unnamed */
    sa_family_t fam = AF_UNIX;
    if (copy_to_user(k, m->name, &fam, sizeof fam)) return -EFAULT;
    m->namelen = sizeof fam;
  } else {
    m->namelen = 0;
  }
  return r;
}

/* sendmsg/recvmsg: the guest's msghdr in and (a receive) out */
long sock_msghdr(struct kernel *k, struct gfd *g, bool out, uint64_t umsg, int flags, const struct sock_names *nm) {
  struct kmsghdr m;
  if (copy_from_user(k, &m, umsg, sizeof m)) return -EFAULT;
  if (m.iovlen > 1024) return -EMSGSIZE;
  struct kiov iov[64];
  size_t niov = m.iovlen < 64 ? (size_t)m.iovlen : 64;
  if (niov && copy_from_user(k, iov, m.iov, niov * sizeof iov[0])) return -EFAULT;
  long r = sock_msg(k, g, out, &m, iov, niov, flags, nm);
  if (r < 0 || out || k->block_now) return r;
  if (copy_to_user(k, umsg, &m, sizeof m)) return -EFAULT;
  return r;
}

/* sendto/recvfrom through sock_msg (one buffer); a receive's address
 * length goes back to the guest */
long sock_xfer_to(struct kernel *k, struct gfd *g, bool out, const uint64_t a[6], int flags,
                  const struct sock_names *nm) {
  struct kiov v = {a[1], a[2]};
  struct kmsghdr m = {.name = a[4], .namelen = out ? (uint32_t)a[5] : 0};
  if (!out && a[4]) {
    uint32_t ol;
    if (copy_from_user(k, &ol, a[5], 4)) return -EFAULT;
    if ((int32_t)ol < 0) return -EINVAL;
    m.namelen = ol;
  }
  long r = sock_msg(k, g, out, &m, &v, 1, flags, nm);
  if (r < 0 || out || k->block_now || !a[4]) return r;
  if (copy_to_user(k, a[5], &m.namelen, 4)) return -EFAULT;
  return r;
}

/* AF_UNIX datagrams to an address: an abstract name is this run's; a
 * path must be a socket a guest bound, reached through its directory
 * (/proc/self/fd/N/NAME, the directory held until the send is done) */
static int dest_dir = -1;
static void dest_done(void) {
  if (dest_dir >= 0) close(dest_dir);
  dest_dir = -1;
}

static long dgram_dest(struct kernel *k, struct gfd *g, uint64_t uname, uint32_t len, struct sockaddr_un *h,
                       uint32_t *hl) {
  struct uaddr a;
  *hl = 0;
  if (!uname) return 0;                /* the connected peer */
  long r = get_uaddr(k, uname, len, &a);
  if (r) return r;
  if (a.abstract) {
    memcpy(h, &a.h, a.hlen);
    *hl = a.hlen;
    return 0;
  }
  int pfd;
  char last[256];
  bool slash;
  struct stat st;
  if ((r = fs_resolve(k, AT_FDCWD, a.g.sun_path, &pfd, last, sizeof last, &slash))) return r;
  if (slash || !strcmp(last, ".")) r = -ECONNREFUSED;
  else if (fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW)) r = -errno;
  else if (!S_ISSOCK(st.st_mode) || !bound_by_guest(k, &st)) r = -ECONNREFUSED;   /* only the guests' */
  int n = r ? 0 : snprintf(h->sun_path, sizeof h->sun_path, "/proc/self/fd/%d/%s", pfd, last);
  if (!r && (size_t)n >= sizeof h->sun_path) r = -ENAMETOOLONG;
  if (r) { close(pfd); return r; }
  dest_done();
  dest_dir = pfd;
  h->sun_family = AF_UNIX;
  *hl = (uint32_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
  return 0;
}

/* the sender's name as its guest bound it (the latest bind of that host
 * name: two paths with one last component are not told apart), or none */
static uint32_t dgram_source(struct kernel *k, struct gfd *g, const struct sockaddr_un *h, uint32_t hl,
                             struct sockaddr_storage *out) {
  size_t base = offsetof(struct sockaddr_un, sun_path);
  for (size_t i = k->nunix_bound; hl > base && i-- > 0;) {
    const struct unix_bound *b = &k->unix_bound[i];
    const struct sockaddr_un *bh = (const struct sockaddr_un *)b->hname;
    bool same = h->sun_path[0] ? !strncmp(bh->sun_path, h->sun_path, sizeof bh->sun_path)
                               : b->hlen == hl && !memcmp(bh->sun_path, h->sun_path, hl - base);
    if (!same) continue;
    memcpy(out, b->gname, b->glen);
    return b->glen;
  }
  return 0;                            /* unix_copy_addr: an unbound sender has no name */
}

static const struct sock_names dgram_names = {dgram_dest, dgram_source, 0, true, dest_done, NULL, NULL};

static const struct sock_names *names_of(struct gfd *g) {
  int t;
  socklen_t l = sizeof t;
  return !getsockopt(g->hostfd, SOL_SOCKET, SO_TYPE, &t, &l) && t == SOCK_DGRAM ? &dgram_names : NULL;
}

/* getsockname/getpeername of a unix socket: the guest's addresses */
long unix_sock_name(struct kernel *k, struct gfd *g, bool peer, uint64_t ua, uint64_t ulen) {
  const char *a = peer ? g->unix_peer : g->unix_name;
  uint32_t l = peer ? g->unix_peerlen : g->unix_namelen, ol;
  sa_family_t fam = AF_UNIX;
  if (!l) {                            /* unnamed (or the peer's name unknown here) */
    if (peer) {
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      if (getpeername(g->hostfd, (struct sockaddr *)&ss, &sl)) return -errno;
    }
    a = (const char *)&fam;
    l = sizeof fam;
  }
  if (copy_from_user(k, &ol, ulen, 4)) return -EFAULT;
  if ((int32_t)ol < 0) return -EINVAL;
  if (copy_to_user(k, ua, a, ol < l ? ol : l) || copy_to_user(k, ulen, &l, 4)) return -EFAULT;
  return 0;
}

long unix_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  long err;
  struct gfd *g = unix_sock(k, (int)a[0], &err);
  *handled = true;
  if (!g) {
    if (err == -EAFNOSUPPORT) *handled = false;   /* another family: not modelled */
    return err;
  }
  switch (nr) {
  case SYS_bind: return do_bind(k, g, a[1], a[2]);
  case SYS_connect: return do_connect(k, g, a[1], a[2]);
  case SYS_listen: return listen(g->hostfd, sock_backlog(k, (int)a[1])) ? -errno : 0;
  case SYS_accept: return do_accept(k, (int)a[0], a[1], a[2], 0);
  case SYS_accept4: return do_accept(k, (int)a[0], a[1], a[2], (int)a[3]);
  case SYS_sendmsg: return sock_msghdr(k, g, true, a[1], (int)a[2], names_of(g));
  case SYS_sendto: return sock_xfer_to(k, g, true, a, (int)a[3], names_of(g));
  case SYS_recvmsg: return sock_msghdr(k, g, false, a[1], (int)a[2], names_of(g));
  case SYS_recvfrom: return sock_xfer_to(k, g, false, a, (int)a[3], names_of(g));
  default: *handled = false; return -ENOSYS;
  }
}
