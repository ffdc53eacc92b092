/* Sockets, the part the model offers: socketpair(AF_UNIX) and sockets of
 * AF_UNIX, AF_INET and AF_INET6 as host sockets, with send, recv,
 * shutdown, getsockopt/setsockopt, getsockname/getpeername.  read/write/
 * poll/sendfile on them are the descriptor calls' (a receive that would
 * wait parks the task, like a pipe read).  AF_UNIX sockets also bind,
 * listen, accept, connect and pass descriptors among the guest's processes
 * (sys_unix.c); AF_INET and AF_INET6 TCP and UDP sockets are host AF_UNIX
 * sockets that bind, listen, accept, connect and send to addresses on the
 * guest's own loopback, among the run's guests only (sys_inet.c): the
 * guest never reaches the host's network or its unix sockets. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint8_t sbuf[FS_BOUNCE];

static bool family_ok(int fam) { return fam == AF_UNIX || fam == AF_INET || fam == AF_INET6 || fam == AF_NETLINK; }

/* __sys_listen: a backlog above net.core.somaxconn (unsigned: a negative
 * one too) is cut to it */
int sock_backlog(const struct kernel *k, int backlog) {
  struct netns *n = ns_cur_net(k);      /* per network namespace */
  int max = n ? n->somaxconn : k->sysctl.somaxconn;
  return (unsigned)backlog > (unsigned)max ? max : backlog;
}

static long install(struct kernel *k, int h, int type) {
  int fl = O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
  return gfd_install(k, 0, FDK_HOST, h, fl, (type & SOCK_CLOEXEC) != 0, NULL);
}

static long sys_socket(struct kernel *k, int fam, int type, int proto) {
  if (!family_ok(fam)) return -EAFNOSUPPORT;
  if (fam == AF_NETLINK) return nl_socket(k, type, proto);
  if (fam != AF_UNIX) return inet_socket(k, fam, type, proto);
  int h = socket(fam, type | SOCK_CLOEXEC, proto);
  if (h < 0) return -errno;
  return install(k, h, type);
}

static long sys_socketpair(struct kernel *k, int fam, int type, int proto, uint64_t usv) {
  if (fam != AF_UNIX) return family_ok(fam) ? -EOPNOTSUPP : -EAFNOSUPPORT;
  int h[2];
  if (socketpair(fam, type | SOCK_CLOEXEC, proto, h)) return -errno;
  long a = install(k, h[0], type);
  if (a < 0) { close(h[1]); return a; }
  long b = install(k, h[1], type);
  if (b < 0) { gfd_close(k, (int)a); return b; }
  int32_t sv[2] = {(int32_t)a, (int32_t)b};
  if (copy_to_user(k, usv, sv, sizeof sv)) { gfd_close(k, (int)a); gfd_close(k, (int)b); return -EFAULT; }
  return 0;
}

struct gfd *sock_of(struct kernel *k, int fd, long *err);
struct gfd *sock_of(struct kernel *k, int fd, long *err) {
  struct gfd *g = gfd_get(k, fd);
  int t;
  socklen_t l = sizeof t;
  if (!g) { *err = -EBADF; return NULL; }
  if (g->kind == FDK_PROC || g->hostfd < 0 || getsockopt(g->hostfd, SOL_SOCKET, SO_TYPE, &t, &l)) {
    *err = -ENOTSOCK;
    return NULL;
  }
  return g;
}

/* a send or receive the host refused (errno): one that would wait parks
 * the task unless the guest asked not to wait (0: re-run when ready); a
 * send to a closed peer raises SIGPIPE unless MSG_NOSIGNAL */
long sock_failed(struct kernel *k, struct gfd *g, bool out, int flags) {
  int e = errno;
  bool wait = !(flags & MSG_DONTWAIT) && !(g->flags & O_NONBLOCK);
  if ((e == EAGAIN || e == EWOULDBLOCK) && wait && fs_park_on_fd(k, g->hostfd, out ? POLLOUT : POLLIN)) return 0;
  if (e == EPIPE && out && !(flags & MSG_NOSIGNAL)) fs_sigpipe(k);
  return -e;
}

/* send/recv without addresses; MSG_DONTWAIT or O_NONBLOCK answer at once,
 * otherwise a receive with nothing queued (or a send with no room) parks
 * the task until the socket is ready */
static long sock_xfer(struct kernel *k, bool out, int fd, uint64_t ubuf, uint64_t len, int flags) {
  long err;
  struct gfd *g = sock_of(k, fd, &err);
  if (!g) return err;
  size_t n = len > FS_BOUNCE ? FS_BOUNCE : (size_t)len;
  if (out && n && copy_from_user(k, sbuf, ubuf, n)) return -EFAULT;
  ssize_t r = out ? send(g->hostfd, sbuf, n, flags | MSG_DONTWAIT | MSG_NOSIGNAL)
                  : recv(g->hostfd, sbuf, n, flags | MSG_DONTWAIT);
  if (r < 0) return sock_failed(k, g, out, flags);
  if (!out && r && copy_to_user(k, ubuf, sbuf, (size_t)r)) return -EFAULT;
  return r;
}

static long sock_opt(struct kernel *k, bool set, const uint64_t a[6]) {
  long err;
  struct gfd *g = sock_of(k, (int)a[0], &err);
  if (!g) return err;
  if ((int)a[1] != SOL_SOCKET) return -ENOPROTOOPT;
  uint8_t v[256];
  if (set) {
    if (a[4] > sizeof v) return -EINVAL;
    if (a[4] && copy_from_user(k, v, a[3], (size_t)a[4])) return -EFAULT;
    return setsockopt(g->hostfd, SOL_SOCKET, (int)a[2], v, (socklen_t)a[4]) ? -errno : 0;
  }
  uint32_t ol;
  if (copy_from_user(k, &ol, a[4], 4)) return -EFAULT;
  socklen_t l = ol > sizeof v ? sizeof v : ol;
  if (getsockopt(g->hostfd, SOL_SOCKET, (int)a[2], v, &l)) return -errno;
  if (copy_to_user(k, a[3], v, l) || copy_to_user(k, a[4], &l, 4)) return -EFAULT;
  return 0;
}

static long sock_name(struct kernel *k, bool peer, const uint64_t a[6]) {
  long err;
  struct gfd *g = sock_of(k, (int)a[0], &err);
  if (!g) return err;
  int dom;
  socklen_t dl = sizeof dom;
  if (!getsockopt(g->hostfd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) && dom == AF_UNIX)
    return unix_sock_name(k, g, peer, a[1], a[2]);   /* the guest's names, not the host's */
  struct sockaddr_storage ss;
  socklen_t l = sizeof ss;
  uint32_t ol;
  if (copy_from_user(k, &ol, a[2], 4)) return -EFAULT;
  if ((int32_t)ol < 0) return -EINVAL;
  if (peer ? getpeername(g->hostfd, (struct sockaddr *)&ss, &l) : getsockname(g->hostfd, (struct sockaddr *)&ss, &l))
    return -errno;
  if (copy_to_user(k, a[1], &ss, l < ol ? l : ol) || copy_to_user(k, a[2], &l, 4)) return -EFAULT;
  return 0;
}

long sys_socket_family(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  if (nr != SYS_socket && nr != SYS_socketpair) {   /* AF_INET/AF_INET6: the guest's loopback */
    long r = nl_call(k, nr, a, handled);              /* AF_NETLINK: the guest's own kernel */
    if (*handled) return r;
    r = inet_call(k, nr, a, handled);
    if (*handled) return r;
  }
  *handled = true;
  switch (nr) {
  case SYS_socket: return sys_socket(k, (int)a[0], (int)a[1], (int)a[2]);
  case SYS_socketpair: return sys_socketpair(k, (int)a[0], (int)a[1], (int)a[2], a[3]);
  case SYS_sendto: case SYS_recvfrom:
    if (!a[4]) return sock_xfer(k, nr == SYS_sendto, (int)a[0], a[1], a[2], (int)a[3]);
    break;                             /* an address: sys_unix.c's */
  case SYS_shutdown: {
    long err;
    struct gfd *g = sock_of(k, (int)a[0], &err);
    if (!g) return err;
    return shutdown(g->hostfd, (int)a[1]) ? -errno : 0;
  }
  case SYS_getsockopt: return sock_opt(k, false, a);
  case SYS_setsockopt: return sock_opt(k, true, a);
  case SYS_getsockname: return sock_name(k, false, a);
  case SYS_getpeername: return sock_name(k, true, a);
  default: break;
  }
  switch (nr) {
  case SYS_sendto: case SYS_recvfrom:
  case SYS_bind: case SYS_connect: case SYS_listen: case SYS_accept: case SYS_accept4:
  case SYS_sendmsg: case SYS_recvmsg: {
    long r = unix_call(k, nr, a, handled);
    if (*handled) return r;
    *handled = true;
    break;
  }
  default: break;
  }
  *handled = false;
  return -ENOSYS;
}

/* an AF_UNIX socket (err -EAFNOSUPPORT: a socket of another family) */
struct gfd *unix_sock(struct kernel *k, int fd, long *err) {
  struct gfd *g = sock_of(k, fd, err);
  if (!g) return NULL;
  int dom;
  socklen_t dl = sizeof dom;
  if (getsockopt(g->hostfd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) || dom != AF_UNIX) {
    *err = -EAFNOSUPPORT;
    return NULL;
  }
  return g;
}
