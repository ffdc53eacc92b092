/* AF_NETLINK, NETLINK_ROUTE only, enough for if_nameindex, getifaddrs and
 * iproute2-style dumps of the guest's own network: the one interface
 * `lo` (index 1, 127.0.0.1/8 and ::1/128: what sim/sys_inet.c models),
 * answered as Linux 6.1's rtnetlink would (rtnl_fill_ifinfo,
 * inet_fill_ifaddr, inet6_fill_ifaddr; netlink_rcv_skb, netlink_ack,
 * netlink_dump).  Plus the interface ioctls any socket answers
 * (SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFHWADDR:
 * dev_ioctl), which glibc's if_nametoindex/if_indextoname use.
 *
 * A guest netlink socket is one end of a host SOCK_SEQPACKET socketpair
 * (its reads, receives, poll and blocking are that socket's); faultline
 * keeps the other end, the kernel's, and answers a request as it is sent
 * by putting the reply messages there, one datagram per skb Linux would
 * send: a dump's messages, then (a second call of the dump) NLMSG_DONE.
 * Other protocols are EPROTONOSUPPORT (not built), as are messages to
 * other netlink sockets (ECONNREFUSED: no user socket is reachable) and
 * multicast notifications (a subscription is accepted, nothing comes).
 * Interface statistics are not counted: zeros. */
#include "sim/fs_priv.h"
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif

struct nlsock {
  uint64_t ino;          /* the guest end's host inode */
  int kfd;               /* the kernel's end */
  int type;              /* SOCK_RAW or SOCK_DGRAM, as the guest asked */
  uint32_t portid;       /* bound: its nl_pid (0: not yet) */
  uint32_t groups;
};
struct nl_tab { struct nlsock *s; size_t n, cap; };

static struct nl_tab *tab(struct kernel *k) {
  if (!k->netlink) k->netlink = calloc(1, sizeof(struct nl_tab));
  return k->netlink;
}

static uint64_t ino_of(int hostfd) {
  struct stat st;
  return hostfd < 0 || fstat(hostfd, &st) || !S_ISSOCK(st.st_mode) ? 0 : (uint64_t)st.st_ino;
}

static struct nlsock *nl_of(struct kernel *k, struct gfd *g) {
  if (!k->netlink || !g || g->kind != FDK_HOST) return NULL;
  struct nl_tab *t = k->netlink;
  uint64_t ino = ino_of(g->hostfd);
  for (size_t i = 0; ino && i < t->n; i++)
    if (t->s[i].ino == ino) return &t->s[i];
  return NULL;
}

/* the sockets whose guest end is closed everywhere (the kernel end hears
 * the hangup) are released */
static bool closed(const struct nlsock *s) {
  struct pollfd p = {s->kfd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

/* (keep: one that stays where it is, the caller's) */
static void sweep(struct nl_tab *t, const struct nlsock *keep) {
  for (size_t i = 0; i < t->n; i++)
    if (&t->s[i] != keep && closed(&t->s[i])) {
      close(t->s[i].kfd);
      t->s[i].ino = 0;
      t->s[i].portid = 0;
      t->s[i].kfd = -1;
    }
  if (keep) return;
  size_t w = 0;
  for (size_t i = 0; i < t->n; i++)
    if (t->s[i].kfd >= 0) t->s[w++] = t->s[i];
  t->n = w;
}

/* netlink_create */
long nl_socket(struct kernel *k, int type, int proto) {
  int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (t != SOCK_RAW && t != SOCK_DGRAM) return -ESOCKTNOSUPPORT;
  if (proto != NETLINK_ROUTE) return -EPROTONOSUPPORT;   /* the model builds no other */
  int h[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, h)) return -errno;
  struct nl_tab *tb = tab(k);
  if (!tb) { close(h[0]); close(h[1]); return -ENOMEM; }
  if (tb->n == tb->cap) sweep(tb, NULL);
  if (tb->n == tb->cap) {
    size_t c = tb->cap ? tb->cap * 2 : 8;
    struct nlsock *n = realloc(tb->s, c * sizeof *n);
    if (!n) { close(h[0]); close(h[1]); return -ENOMEM; }
    tb->s = n;
    tb->cap = c;
  }
  int fl = O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
  uint64_t ino = ino_of(h[0]);
  for (size_t i = 0; i < tb->n; i++)   /* an inode the host reused: that socket is gone */
    if (tb->s[i].ino == ino) tb->s[i].ino = 0;
  long fd = gfd_install(k, 0, FDK_HOST, h[0], fl, (type & SOCK_CLOEXEC) != 0, NULL);
  if (fd < 0) { close(h[1]); return fd; }
  tb->s[tb->n++] = (struct nlsock){.ino = ino, .kfd = h[1], .type = t};
  return fd;
}

/* ---- the replies ---- */

struct msgbuf { uint8_t b[8192]; size_t len; };

static void *put(struct msgbuf *m, const void *d, size_t n) {
  void *at = m->b + m->len;
  if (m->len + NLMSG_ALIGN(n) > sizeof m->b) return NULL;
  memset(at, 0, NLMSG_ALIGN(n));
  if (d) memcpy(at, d, n);
  m->len += NLMSG_ALIGN(n);
  return at;
}

static void attr(struct msgbuf *m, uint16_t type, const void *d, size_t n) {
  struct nlattr a = {(uint16_t)(NLA_HDRLEN + n), type};
  put(m, &a, sizeof a);
  put(m, d, n);
}
static void attr32(struct msgbuf *m, uint16_t type, uint32_t v) { attr(m, type, &v, 4); }
static void attr8(struct msgbuf *m, uint16_t type, uint8_t v) { attr(m, type, &v, 1); }

static struct nlmsghdr *begin(struct msgbuf *m, uint16_t type, uint16_t flags, const struct nlmsghdr *req,
                              uint32_t portid) {
  struct nlmsghdr h = {0, type, flags, req->nlmsg_seq, portid};
  return put(m, &h, sizeof h);
}
static void end(struct msgbuf *m, struct nlmsghdr *h) { h->nlmsg_len = (uint32_t)(m->b + m->len - (uint8_t *)h); }

static void send_dgram(struct nlsock *s, struct msgbuf *m) {
  if (m->len && send(s->kfd, m->b, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) { /* the receive queue is full: dropped, as netlink_overrun */ }
  m->len = 0;
}

#define LO_FLAGS (IFF_UP | IFF_LOOPBACK | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */)
#define LO_MTU 65536

/* the caller's network namespace's loopback is up: the initial one's
 * always, a new one's once brought up (it starts down, without addresses) */
static bool lo_up(const struct kernel *k) {
  const struct netns *n = ns_cur_net(k);
  return !n || n->lo_up;
}
static unsigned lo_flags(const struct kernel *k) { return lo_up(k) ? LO_FLAGS : IFF_LOOPBACK; }

/* rtnl_fill_ifinfo for lo (a device not running: operstate DOWN, no carrier) */
static void fill_link(struct kernel *k, struct msgbuf *m, const struct nlmsghdr *req, uint32_t portid, uint16_t flags) {
  struct nlmsghdr *h = begin(m, RTM_NEWLINK, flags, req, portid);
  bool up = lo_up(k);
  struct ifinfomsg ifi = {AF_UNSPEC, 0, ARPHRD_LOOPBACK, 1, lo_flags(k), 0};
  put(m, &ifi, sizeof ifi);
  attr(m, IFLA_IFNAME, "lo", 3);
  attr32(m, IFLA_TXQLEN, 1000);
  attr8(m, IFLA_OPERSTATE, up ? 0 /* IF_OPER_UNKNOWN */ : 2 /* IF_OPER_DOWN */);
  attr8(m, IFLA_LINKMODE, 0);
  attr32(m, IFLA_MTU, LO_MTU);
  attr32(m, IFLA_MIN_MTU, 0);
  attr32(m, IFLA_MAX_MTU, 0);
  attr32(m, IFLA_GROUP, 0);
  attr32(m, IFLA_PROMISCUITY, 0);
  attr32(m, IFLA_NUM_TX_QUEUES, 1);
  attr32(m, IFLA_GSO_MAX_SEGS, 65535);
  attr32(m, IFLA_GSO_MAX_SIZE, 65536);
  attr32(m, IFLA_NUM_RX_QUEUES, 1);
  attr8(m, IFLA_CARRIER, up);
  attr(m, IFLA_QDISC, "noqueue", 8);
  attr32(m, IFLA_CARRIER_CHANGES, 0);
  attr8(m, IFLA_PROTO_DOWN, 0);
  static const uint8_t zero[200];
  attr(m, IFLA_ADDRESS, zero, 6);
  attr(m, IFLA_BROADCAST, zero, 6);
  attr(m, IFLA_STATS64, zero, 200);   /* struct rtnl_link_stats64 (25 counters) */
  attr(m, IFLA_STATS, zero, 100);     /* struct rtnl_link_stats */
  end(m, h);
}

/* inet_fill_ifaddr / inet6_fill_ifaddr for lo's addresses */
static void fill_addr(struct msgbuf *m, const struct nlmsghdr *req, uint32_t portid, bool v6) {
  struct nlmsghdr *h = begin(m, RTM_NEWADDR, NLM_F_MULTI, req, portid);
  struct ifaddrmsg ifa = {v6 ? AF_INET6 : AF_INET, v6 ? 128 : 8, IFA_F_PERMANENT, RT_SCOPE_HOST, 1};
  put(m, &ifa, sizeof ifa);
  struct ifa_cacheinfo ci = {0xffffffffu, 0xffffffffu, 0, 0};
  if (v6) {
    struct in6_addr a = IN6ADDR_LOOPBACK_INIT;
    attr(m, IFA_ADDRESS, &a, 16);
    attr(m, IFA_CACHEINFO, &ci, sizeof ci);
    attr32(m, IFA_FLAGS, IFA_F_PERMANENT);
  } else {
    uint32_t a = htonl(INADDR_LOOPBACK);
    attr(m, IFA_ADDRESS, &a, 4);
    attr(m, IFA_LOCAL, &a, 4);
    attr(m, IFA_LABEL, "lo", 3);
    attr32(m, IFA_FLAGS, IFA_F_PERMANENT);
    attr(m, IFA_CACHEINFO, &ci, sizeof ci);
  }
  end(m, h);
}

static void done_msg(struct nlsock *s, struct msgbuf *m, const struct nlmsghdr *req) {
  struct nlmsghdr *h = begin(m, NLMSG_DONE, NLM_F_MULTI, req, s->portid);
  int32_t zero = 0;
  put(m, &zero, 4);
  end(m, h);
  send_dgram(s, m);
}

/* netlink_ack: the error (0: an ack) and the request's header, its
 * payload too with an error (no NETLINK_CAP_ACK) */
static void ack(struct nlsock *s, const struct nlmsghdr *req, int err) {
  struct msgbuf m = {.len = 0};
  struct nlmsghdr *h = begin(&m, NLMSG_ERROR, err ? 0 : NLM_F_CAPPED, req, s->portid);
  int32_t e = err;
  put(&m, &e, 4);
  size_t n = err ? req->nlmsg_len : sizeof *req;
  if (n > sizeof m.b - m.len) n = sizeof *req;
  put(&m, req, n);
  end(&m, h);
  send_dgram(s, &m);
}

/* rtnetlink_rcv_msg for one request: 0 handled (a dump: no ack), or -errno */
static int rtnl(struct kernel *k, struct nlsock *s, const struct nlmsghdr *n, bool *dumped) {
  size_t plen = n->nlmsg_len - NLMSG_HDRLEN;
  const uint8_t *pl = (const uint8_t *)NLMSG_DATA(n);
  if (n->nlmsg_type > RTM_MAX) return -EOPNOTSUPP;
  if (plen < 1) return 0;   /* every message has at least its family */
  int kind = (n->nlmsg_type - RTM_BASE) & 3;   /* 0 new, 1 del, 2 get, 3 set */
  const struct netns *net = ns_cur_net(k);
  /* netlink_ns_capable: CAP_NET_ADMIN over the namespace's owner */
  if (kind != 2 && !ns_capable(k, net ? net->owner : NULL, 12 /* CAP_NET_ADMIN */)) return -EPERM;
  int fam = pl[0];
  bool dump = (n->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  struct msgbuf m = {.len = 0};
  switch (n->nlmsg_type) {
  case RTM_GETLINK:
    if (dump) {
      fill_link(k, &m, n, s->portid, NLM_F_MULTI);
      send_dgram(s, &m);
      done_msg(s, &m, n);
      *dumped = true;
      return 0;
    }
    if (plen < sizeof(struct ifinfomsg)) return -EINVAL;
    {
      struct ifinfomsg ifi;
      memcpy(&ifi, pl, sizeof ifi);
      bool lo = ifi.ifi_index == 1;
      if (ifi.ifi_index <= 0) {   /* by IFLA_IFNAME */
        const uint8_t *a = pl + NLMSG_ALIGN(sizeof ifi), *e = pl + plen;
        bool named = false;
        while (a + NLA_HDRLEN <= e) {
          struct nlattr at;
          memcpy(&at, a, sizeof at);
          if (at.nla_len < NLA_HDRLEN || a + at.nla_len > e) break;
          if ((at.nla_type & NLA_TYPE_MASK) == IFLA_IFNAME) {
            named = true;
            lo = at.nla_len - NLA_HDRLEN >= 2 && !memcmp(a + NLA_HDRLEN, "lo", 2) &&
                 (at.nla_len - NLA_HDRLEN == 2 || a[NLA_HDRLEN + 2] == 0);
          }
          a += NLA_ALIGN(at.nla_len);
        }
        if (!named) return -EINVAL;
      }
      if (!lo) return -ENODEV;
      fill_link(k, &m, n, s->portid, 0);
      send_dgram(s, &m);
      return 0;
    }
  case RTM_NEWLINK: case RTM_SETLINK: {
    /* rtnl_setlink / rtnl_newlink on an existing lo of a namespace of
     * the guest's own: its IFF_UP (rtnl_dev_combine_flags); the initial
     * namespace's lo is not the guest's to change */
    if (!net) return -EOPNOTSUPP;
    if (plen < sizeof(struct ifinfomsg)) return -EINVAL;
    struct ifinfomsg ifi;
    memcpy(&ifi, pl, sizeof ifi);
    if (ifi.ifi_index != 1) return ifi.ifi_index > 0 ? -ENODEV : -EOPNOTSUPP;
    unsigned fl = ifi.ifi_flags;
    if (ifi.ifi_change) fl = (fl & ifi.ifi_change) | (lo_flags(k) & ~ifi.ifi_change);
    if (ifi.ifi_flags || ifi.ifi_change) ((struct netns *)net)->lo_up = fl & IFF_UP;
    return 0;
  }
  case RTM_GETADDR:
    if (!dump) return -EOPNOTSUPP;   /* (IPv4 has no doit) */
    /* rtnl_dump_all: one skb per family, then the dump's end */
    /* (a loopback that is down has no address: 127.0.0.1 and ::1 come
     * with NETDEV_UP) */
    if (lo_up(k) && (fam == AF_UNSPEC || fam == AF_INET)) { fill_addr(&m, n, s->portid, false); send_dgram(s, &m); }
    if (lo_up(k) && (fam == AF_UNSPEC || fam == AF_INET6)) { fill_addr(&m, n, s->portid, true); send_dgram(s, &m); }
    done_msg(s, &m, n);
    *dumped = true;
    return 0;
  default:
    return -EOPNOTSUPP;
  }
}

/* netlink_rcv_skb over one datagram the guest sent to the kernel */
static void process(struct kernel *k, struct nlsock *s, const uint8_t *d, size_t len) {
  while (len >= NLMSG_HDRLEN) {
    struct nlmsghdr n;
    memcpy(&n, d, sizeof n);
    if (n.nlmsg_len < NLMSG_HDRLEN || len < n.nlmsg_len) return;
    static uint8_t msg[65536];
    memcpy(msg, d, n.nlmsg_len);
    const struct nlmsghdr *h = (const struct nlmsghdr *)msg;
    int err = 0;
    bool dumped = false;
    if ((n.nlmsg_flags & NLM_F_REQUEST) && n.nlmsg_type >= NLMSG_MIN_TYPE) err = rtnl(k, s, h, &dumped);
    if (!dumped && (err || (n.nlmsg_flags & NLM_F_ACK))) ack(s, h, err);
    size_t step = NLMSG_ALIGN(n.nlmsg_len);
    if (step > len) step = len;
    d += step;
    len -= step;
  }
}

/* netlink_autobind: the process's id, else a negative one not in use */
static void autobind(struct kernel *k, struct nlsock *s) {
  if (s->portid) return;
  struct nl_tab *t = k->netlink;
  sweep(t, s);
  int32_t want = k->pid, rover = -4096;
  for (;;) {
    bool used = false;
    for (size_t i = 0; i < t->n && !used; i++) used = t->s[i].portid == (uint32_t)want;
    if (!used) break;
    want = rover--;
  }
  s->portid = (uint32_t)want;
}

/* what the guest wrote to its end (write, writev, a send the host took) */
void nl_kick(struct kernel *k, struct gfd *g) {
  struct nlsock *s = nl_of(k, g);
  if (!s) return;
  static uint8_t d[65536];
  autobind(k, s);
  ssize_t r;
  while ((r = recv(s->kfd, d, sizeof d, MSG_DONTWAIT)) >= 0) process(k, s, d, (size_t)r);
}

static uint32_t nl_source(struct kernel *k, struct gfd *g, const struct sockaddr_un *h, uint32_t hl,
                          struct sockaddr_storage *out) {
  (void)k; (void)g; (void)h; (void)hl;
  struct sockaddr_nl a = {.nl_family = AF_NETLINK};   /* from the kernel: port 0, no group */
  memcpy(out, &a, sizeof a);
  return sizeof a;
}
static long nl_dest(struct kernel *k, struct gfd *g, uint64_t uname, uint32_t len, struct sockaddr_un *h, uint32_t *hl) {
  (void)k; (void)g; (void)uname; (void)len; (void)h;
  *hl = 0;
  return 0;
}
static const struct sock_names nl_names = {nl_dest, nl_source, 0, false, NULL, NULL, NULL};

static long get_nladdr(struct kernel *k, uint64_t ua, uint32_t len, struct sockaddr_nl *a) {
  if (len < sizeof *a) return -EINVAL;
  if (copy_from_user(k, a, ua, sizeof *a)) return -EFAULT;
  return a->nl_family == AF_NETLINK ? 0 : -EINVAL;
}

/* netlink_sendmsg: to the kernel only; the data as the datagram's */
static long send_req(struct kernel *k, struct gfd *g, struct nlsock *s, uint64_t uname, uint32_t namelen,
                     const struct kiov *iov, size_t niov) {
  if (uname) {
    struct sockaddr_nl a;
    long e = get_nladdr(k, uname, namelen, &a);
    if (e) return e;
    if (a.nl_pid || a.nl_groups) return capable(k, 12 /* CAP_NET_ADMIN */) ? -ECONNREFUSED : -EPERM;
  }
  static uint8_t d[65536];
  size_t n = 0;
  for (size_t i = 0; i < niov; i++) {
    if (iov[i].len > sizeof d - n) return -EMSGSIZE;
    if (iov[i].len && copy_from_user(k, d + n, iov[i].base, (size_t)iov[i].len)) return -EFAULT;
    n += (size_t)iov[i].len;
  }
  (void)g;
  autobind(k, s);
  process(k, s, d, n);
  return (long)n;
}

long nl_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  struct gfd *g = gfd_get(k, (int)a[0]);
  struct nlsock *s = nl_of(k, g);
  *handled = s != NULL;
  if (!s) return -ENOSYS;
  switch (nr) {
  case SYS_bind: {   /* netlink_bind */
    struct sockaddr_nl na;
    long e = get_nladdr(k, a[1], (uint32_t)a[2], &na);
    if (e) return e;
    if (s->portid && na.nl_pid && na.nl_pid != s->portid) return -EINVAL;
    if (!s->portid && na.nl_pid) {
      struct nl_tab *t = k->netlink;
      sweep(t, s);
      for (size_t i = 0; i < t->n; i++)
        if (t->s[i].portid == na.nl_pid) return -EADDRINUSE;
      s->portid = na.nl_pid;
    }
    autobind(k, s);
    s->groups = na.nl_groups;
    return 0;
  }
  case SYS_connect: {
    struct sockaddr_nl na;
    long e = get_nladdr(k, a[1], (uint32_t)a[2], &na);
    if (e) return e;
    if (na.nl_pid || na.nl_groups) return capable(k, 12) ? 0 : -EPERM;
    autobind(k, s);
    return 0;
  }
  case SYS_listen: case SYS_accept: case SYS_accept4: case SYS_shutdown: return -EOPNOTSUPP;
  case SYS_getsockname: case SYS_getpeername: {
    struct sockaddr_nl na = {.nl_family = AF_NETLINK};
    if (nr == SYS_getsockname) { na.nl_pid = s->portid; na.nl_groups = s->groups; }
    uint32_t ol;
    if (copy_from_user(k, &ol, a[2], 4)) return -EFAULT;
    if ((int32_t)ol < 0) return -EINVAL;
    uint32_t l = sizeof na;
    if (copy_to_user(k, a[1], &na, ol < l ? ol : l) || copy_to_user(k, a[2], &l, 4)) return -EFAULT;
    return 0;
  }
  case SYS_sendto: {
    struct kiov v = {a[1], a[2]};
    return send_req(k, g, s, a[4], (uint32_t)a[5], &v, 1);
  }
  case SYS_sendmsg: {
    struct kmsghdr m;
    if (copy_from_user(k, &m, a[1], sizeof m)) return -EFAULT;
    static struct kiov iov[UIO_MAXIOV];
    if (m.iovlen > UIO_MAXIOV) return -EMSGSIZE;
    long e = fs_import_iovec(k, m.iov, m.iovlen, iov);
    if (e) return e;
    return send_req(k, g, s, m.name, m.namelen, iov, (size_t)m.iovlen);
  }
  case SYS_recvfrom: return sock_xfer_to(k, g, false, a, (int)a[3], &nl_names);
  case SYS_recvmsg: return sock_msghdr(k, g, false, a[1], (int)a[2], &nl_names);
  case SYS_getsockopt: {
    int opt = (int)a[2], v;
    if ((int)a[1] != SOL_SOCKET || (opt != SO_TYPE && opt != SO_DOMAIN && opt != SO_PROTOCOL)) break;
    v = opt == SO_TYPE ? s->type : opt == SO_DOMAIN ? AF_NETLINK : NETLINK_ROUTE;
    uint32_t ol;
    if (copy_from_user(k, &ol, a[4], 4)) return -EFAULT;
    if ((int32_t)ol < 0) return -EINVAL;
    uint32_t l = ol < 4 ? ol : 4;
    if (copy_to_user(k, a[3], &v, l) || copy_to_user(k, a[4], &l, 4)) return -EFAULT;
    return 0;
  }
  default: break;
  }
  *handled = false;
  return -ENOSYS;
}

/* dev_ioctl's interface requests, for lo (struct ifreq: a 16-byte name,
 * then the value) */
long net_dev_ioctl(struct kernel *k, uint32_t req, uint64_t arg, bool *handled) {
  *handled = req == SIOCGIFINDEX || req == SIOCGIFNAME || req == SIOCGIFFLAGS || req == SIOCGIFMTU ||
             req == SIOCGIFHWADDR || (req == SIOCSIFFLAGS && ns_cur_net(k));
  if (!*handled) return -ENOTTY;
  uint8_t ifr[40];
  if (copy_from_user(k, ifr, arg, sizeof ifr)) return -EFAULT;
  if (req == SIOCGIFNAME) {
    int32_t idx;
    memcpy(&idx, ifr + 16, 4);
    if (idx != 1) return -ENODEV;
    memset(ifr, 0, 16);
    memcpy(ifr, "lo", 3);
    return copy_to_user(k, arg, ifr, sizeof ifr) ? -EFAULT : 0;
  }
  ifr[15] = 0;
  if (strcmp((char *)ifr, "lo")) return -ENODEV;
  if (req == SIOCSIFFLAGS) {             /* dev_ifsioc: a new namespace's lo up or down */
    struct netns *net = ns_cur_net(k);
    if (!ns_capable(k, net->owner, 12 /* CAP_NET_ADMIN */)) return -EPERM;
    int16_t f;
    memcpy(&f, ifr + 16, 2);
    net->lo_up = f & IFF_UP;
    return 0;
  }
  memset(ifr + 16, 0, 24);
  int32_t v = req == SIOCGIFINDEX ? 1 : req == SIOCGIFMTU ? LO_MTU : 0;
  if (req == SIOCGIFFLAGS) {
    int16_t f = (int16_t)(lo_flags(k) & 0xffff);
    memcpy(ifr + 16, &f, 2);
  } else if (req == SIOCGIFHWADDR) {
    uint16_t fam = ARPHRD_LOOPBACK;
    memcpy(ifr + 16, &fam, 2);
  } else {
    memcpy(ifr + 16, &v, 4);
  }
  return copy_to_user(k, arg, ifr, sizeof ifr) ? -EFAULT : 0;
}
