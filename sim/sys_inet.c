/* AF_INET and AF_INET6 among the run's own guests, on the loopback (issue
 * 13: CPython's servers and sendfile to a TCP socket).  A guest TCP or UDP
 * socket is a host AF_UNIX socket of the same type: bound (or connected),
 * it gets an abstract name of this run ("faultline.<pid>.in.<serial>..."),
 * so guests of different runs never meet and nothing reaches the host's
 * TCP/IP stack.  The guest's view is kept here, per host socket (its
 * inode, so dups, forks and passed descriptors share it): the family, the
 * addresses (IPv6 form, IPv4 as ::ffff:a.b.c.d), the state, the options.
 *
 * The guest's machine has only `lo`: 127.0.0.0/8 and ::1 are local, a
 * bind to INADDR_ANY/in6addr_any is reachable at those; a bind to another
 * address is EADDRNOTAVAIL, a connect or send to one ENETUNREACH, a
 * connect to a port no guest listens on ECONNREFUSED.  Port sharing
 * follows inet_csk_bind_conflict / udp_lib_lport_inuse (SO_REUSEADDR,
 * SO_REUSEPORT, wildcards, IPV6_V6ONLY); connected sockets (accepted,
 * TIME_WAIT) do not hold their port here.  Ephemeral ports come in order
 * from ip_local_port_range's default, 32768-60999 (Linux hashes a start
 * per destination; the model has no /proc/sys/net).  Data, poll,
 * sendfile, shutdown and a receive's wait are the host socket's
 * (sys_socket.c, sys_unix.c); a nonblocking connect completes at once and
 * says EINPROGRESS, as a loopback connect does.  UDP (and UDP-Lite, its
 * own port table) datagrams carry a small header on the host with what
 * the IP header would (hop limit/TTL, traffic class/TOS) for the
 * receiver's control messages.  Not modelled: a connected UDP socket's
 * filter on its peer, SO_REUSEPORT's load balancing, TCP's urgent data;
 * a peer's close also says POLLHUP (a unix socket's). */
#include "sim/inet_priv.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define PORT_LO 32768            /* net.ipv4.ip_local_port_range's default */
#define PORT_HI 60999
#define PROT_SOCK 1024           /* net.ipv4.ip_unprivileged_port_start */
#define CAP_NET_BIND_SERVICE 10

struct inet_tab { struct isock *s; size_t n, cap; uint32_t serial; int next_port; };

static const uint8_t mapped_pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static bool is_v4(const uint8_t *a) { return !memcmp(a, mapped_pfx, 12); }
static bool is_any(const uint8_t *a) {
  static const uint8_t z[16];
  return !memcmp(a, z, 16) || (is_v4(a) && !memcmp(a + 12, z, 4));
}
static bool is_loop(const uint8_t *a) {
  static const uint8_t one[16] = {[15] = 1};
  return is_v4(a) ? a[12] == 127 : !memcmp(a, one, 16);
}
static void set_v4(uint8_t *a, uint32_t be) { memcpy(a, mapped_pfx, 12); memcpy(a + 12, &be, 4); }
static void set_any(uint8_t *a, bool v4) { memset(a, 0, 16); if (v4) memcpy(a, mapped_pfx, 12); }
/* the source address of a connection to the loopback destination d: the
 * route's preferred source, 127.0.0.1 for 127/8 (the local table's "src
 * 127.0.0.1"), ::1 for ::1 */
static void loop_src(uint8_t *a, const uint8_t *d) {
  if (is_v4(d)) set_v4(a, htonl(INADDR_LOOPBACK));
  else { memset(a, 0, 16); a[15] = 1; }
}

static struct inet_tab *tab(struct kernel *k) {
  if (!k->inet) k->inet = calloc(1, sizeof *k->inet);
  return k->inet;
}

static uint64_t ino_of(int hostfd) {
  struct stat st;
  return fstat(hostfd, &st) || !S_ISSOCK(st.st_mode) ? 0 : (uint64_t)st.st_ino;
}

static struct isock *find(struct kernel *k, uint64_t ino) {
  struct inet_tab *t = tab(k);
  for (size_t i = 0; ino && i < t->n; i++)
    if (t->s[i].ino == ino) return &t->s[i];
  return NULL;
}

/* the table is full: forget sockets no host descriptor of ours holds any
 * more (/proc/self/fd; a socket in flight in an SCM_RIGHTS message is not
 * there and loses its entry: then it looks like an AF_UNIX socket) */
static void sweep(struct inet_tab *t) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  uint64_t *live = NULL;
  size_t nl = 0, cl = 0;
  for (struct dirent *e; (e = readdir(d));) {
    char p[300], l[64];
    snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(p, l, sizeof l - 1);
    unsigned long long ino;
    if (n <= 0) continue;
    l[n] = 0;
    if (sscanf(l, "socket:[%llu]", &ino) != 1) continue;
    if (nl == cl) { cl = cl ? cl * 2 : 64; live = realloc(live, cl * sizeof *live); }
    live[nl++] = ino;
  }
  closedir(d);
  size_t w = 0;
  for (size_t i = 0; i < t->n; i++) {
    bool keep = false;
    for (size_t j = 0; j < nl && !keep; j++) keep = live[j] == t->s[i].ino;
    if (keep) t->s[w++] = t->s[i];
  }
  t->n = w;
  free(live);
}

static struct isock *add(struct kernel *k, uint64_t ino) {
  struct inet_tab *t = tab(k);
  struct isock *s = find(k, ino);   /* (an inode the host reused: a new socket) */
  if (!s) {
    if (t->n == t->cap) sweep(t);
    if (t->n == t->cap) {
      t->cap = t->cap ? t->cap * 2 : 16;
      t->s = realloc(t->s, t->cap * sizeof *t->s);
    }
    s = &t->s[t->n++];
  }
  memset(s, 0, sizeof *s);
  s->ino = ino;
  return s;
}

static struct isock *isock_of(struct kernel *k, struct gfd *g) { return find(k, ino_of(g->hostfd)); }

/* ---- host names ---- */
static socklen_t host_name(const struct isock *s, struct sockaddr_un *h) {
  memset(h, 0, sizeof *h);
  h->sun_family = AF_UNIX;
  char hex[33];
  for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", s->local.a[i]);
  int m = snprintf(h->sun_path + 1, sizeof h->sun_path - 1, "faultline.%d.in.%u.%c%c.%s.%u", (int)getpid(),
                   s->serial, s->type == SOCK_STREAM ? 's' : 'd', s->fam == AF_INET ? '4' : '6', hex, s->local.port);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)m);
}

/* a host name of this run back to its socket's serial, family and
 * address (false: not one of ours) */
static bool parse_name(const struct sockaddr_un *h, socklen_t hl, uint32_t *serial, int *fam, struct iaddr *x) {
  char buf[sizeof h->sun_path + 1], t, f, hex[33];
  size_t n = hl > offsetof(struct sockaddr_un, sun_path) + 1 ? hl - offsetof(struct sockaddr_un, sun_path) - 1 : 0;
  if (!n || h->sun_path[0]) return false;
  memcpy(buf, h->sun_path + 1, n);
  buf[n] = 0;
  int pid;
  unsigned ser, port;
  if (sscanf(buf, "faultline.%d.in.%u.%c%c.%32[0-9a-f].%u", &pid, &ser, &t, &f, hex, &port) != 6 ||
      pid != (int)getpid() || strlen(hex) != 32)
    return false;
  for (int i = 0; i < 16; i++) { unsigned b; sscanf(hex + 2 * i, "%2x", &b); x->a[i] = (uint8_t)b; }
  x->port = (uint16_t)port;
  *serial = ser;
  *fam = f == '4' ? AF_INET : AF_INET6;
  return true;
}

static struct isock *by_serial(struct kernel *k, uint32_t serial) {
  struct inet_tab *t = tab(k);
  for (size_t i = 0; i < t->n; i++)
    if (t->s[i].named && t->s[i].serial == serial) return &t->s[i];
  return NULL;
}

/* does the socket still hold its host name (a bind of it fails)? */
static bool alive(const struct isock *s) {
  if (!s->named) return false;
  struct sockaddr_un h;
  socklen_t hl = host_name(s, &h);
  int p = socket(AF_UNIX, s->type | SOCK_CLOEXEC, 0);   /* (abstract names are per type) */
  if (p < 0) return true;
  bool held = bind(p, (struct sockaddr *)&h, hl) && errno == EADDRINUSE;
  close(p);
  return held;
}

/* give s its host name (bound at the address and port in s->local) */
static long name_it(struct kernel *k, struct gfd *g, struct isock *s) {
  struct sockaddr_un h;
  s->serial = ++tab(k)->serial;
  socklen_t hl = host_name(s, &h);
  if (bind(g->hostfd, (struct sockaddr *)&h, hl)) return -errno;
  s->named = true;
  return 0;
}

/* ---- addresses ---- */
/* a guest sockaddr for socket s: 0 and x, or -errno.  connect: the
 * checks of inet_stream_connect/tcp_v4_connect/tcp_v6_connect, else
 * inet_bind/inet6_bind's */
static long get_addr(struct kernel *k, const struct isock *s, uint64_t ua, uint32_t len, bool connect, struct iaddr *x,
                     bool *unspec) {
  uint8_t b[128];
  *unspec = false;
  if ((int32_t)len < 0 || len > sizeof b) return -EINVAL;   /* move_addr_to_kernel */
  if (len && copy_from_user(k, b, ua, len)) return -EFAULT;
  if (len < sizeof(sa_family_t)) return -EINVAL;
  sa_family_t f;
  memcpy(&f, b, sizeof f);
  memset(x, 0, sizeof *x);
  if (s->fam == AF_INET) {
    struct sockaddr_in in;
    if (connect && f == AF_UNSPEC) { *unspec = true; return 0; }
    if (len < sizeof in) return -EINVAL;
    memcpy(&in, b, sizeof in);
    if (f != AF_INET && !(!connect && f == AF_UNSPEC && in.sin_addr.s_addr == htonl(INADDR_ANY)))
      return -EAFNOSUPPORT;
    set_v4(x->a, in.sin_addr.s_addr);
    x->port = ntohs(in.sin_port);
    return 0;
  }
  struct sockaddr_in6 in6;
  if (connect && f == AF_UNSPEC) { *unspec = true; return 0; }
  if (s->type == SOCK_DGRAM && connect && f == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in in;                   /* udpv6_sendmsg/ip6_datagram_connect: an IPv4 name */
    memcpy(&in, b, sizeof in);
    set_v4(x->a, in.sin_addr.s_addr);
    x->port = ntohs(in.sin_port);
    return 0;
  }
  if (len < 24) return -EINVAL;              /* SIN6_LEN_RFC2133 */
  memset(&in6, 0, sizeof in6);
  memcpy(&in6, b, len < sizeof in6 ? len : sizeof in6);
  if (f != AF_INET6) return connect && s->type == SOCK_DGRAM ? -EINVAL : -EAFNOSUPPORT;
  memcpy(x->a, &in6.sin6_addr, 16);
  x->port = ntohs(in6.sin6_port);
  return 0;
}

static uint32_t put_addr(int fam, const struct iaddr *x, struct sockaddr_storage *o) {
  memset(o, 0, sizeof *o);
  if (fam == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)o;
    in->sin_family = AF_INET;
    in->sin_port = htons(x->port);
    memcpy(&in->sin_addr, x->a + 12, 4);
    return sizeof *in;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)o;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(x->port);
  memcpy(&in6->sin6_addr, x->a, 16);
  return sizeof *in6;
}

/* move_addr_to_user: the guest's buffer gets what fits, *ulen the length */
static long addr_out(struct kernel *k, int fam, const struct iaddr *x, uint64_t ua, uint64_t ulen) {
  struct sockaddr_storage o;
  uint32_t l = put_addr(fam, x, &o), ol;
  if (copy_from_user(k, &ol, ulen, 4)) return -EFAULT;
  if ((int32_t)ol < 0) return -EINVAL;
  if (copy_to_user(k, ua, &o, ol < l ? ol : l) || copy_to_user(k, ulen, &l, 4)) return -EFAULT;
  return 0;
}

/* the address space an address is in, for the port's sharing: 4, 6, or
 * both for a dual-stack wildcard */
static bool in_v4(const struct isock *s) {
  if (s->fam == AF_INET || is_v4(s->local.a)) return true;
  return is_any(s->local.a) && !optv(s, OPT_V6ONLY);
}
static bool in_v6(const struct isock *s) { return s->fam == AF_INET6 && !is_v4(s->local.a); }

/* the two sockets' bound addresses overlap (inet_rcv_saddr_equal with
 * wildcards matching) */
static bool overlap(const struct isock *a, const struct isock *b) {
  bool any = is_any(a->local.a) || is_any(b->local.a), same = !memcmp(a->local.a + 12, b->local.a + 12, 4);
  if (in_v4(a) && in_v4(b) && (any || same)) return true;
  return in_v6(a) && in_v6(b) && (any || !memcmp(a->local.a, b->local.a, 16));
}

/* may s take port p at its address (at bind, and again at listen)?
 * TCP: inet_bind_conflict (relaxed, as inet_csk_get_port asks);
 * UDP: udp_lib_lport_inuse.  Sockets that closed are forgotten here. */
static bool port_free(struct kernel *k, const struct isock *s, uint16_t p) {
  struct inet_tab *t = tab(k);
  struct isock me = *s;
  me.local.port = p;
  for (size_t i = 0; i < t->n; i++) {
    struct isock *o = &t->s[i];
    if (o->ino == s->ino || !o->bound || o->accepted || o->proto != s->proto || o->local.port != p) continue;
    if (o->net != s->net) continue;            /* each network namespace has its own ports */
    if (!overlap(&me, o)) continue;
    bool reuse = optv(s, OPT_REUSEADDR) && optv(o, OPT_REUSEADDR) && (s->type == SOCK_DGRAM || o->state != IS_LISTEN);
    bool reuseport = optv(s, OPT_REUSEPORT) && optv(o, OPT_REUSEPORT);
    if (reuse || reuseport) continue;
    if (!alive(o)) { o->bound = false; o->named = false; continue; }   /* closed */
    return false;
  }
  return true;
}

/* an ephemeral port (inet_csk_find_open_port / __inet_hash_connect): the
 * next free one in the range, in order */
static int ephemeral(struct kernel *k, const struct isock *s) {
  struct inet_tab *t = tab(k);
  for (int i = 0; i <= PORT_HI - PORT_LO; i++) {
    if (t->next_port < PORT_LO || t->next_port > PORT_HI) t->next_port = PORT_LO;
    int p = t->next_port++;
    struct isock any = *s;
    set_any(any.local.a, s->fam == AF_INET);   /* a port nobody holds at any address */
    any.oset[OPT_REUSEADDR] = any.oset[OPT_REUSEPORT] = false;
    if (port_free(k, &any, (uint16_t)p)) return p;
  }
  return -EADDRINUSE;
}

/* bind s (at local address a, port p or 0: an ephemeral one) */
static long bind_at(struct kernel *k, struct gfd *g, struct isock *s, const uint8_t *a, int p) {
  struct isock prev = *s;
  memcpy(s->local.a, a, 16);
  if (!p) p = ephemeral(k, s);
  if (p < 0 || !port_free(k, s, (uint16_t)p)) { *s = prev; return -EADDRINUSE; }
  s->local.port = (uint16_t)p;
  long r = name_it(k, g, s);
  if (r) { *s = prev; return r; }
  s->bound = true;
  return 0;
}

static long do_bind(struct kernel *k, struct gfd *g, struct isock *s, uint64_t ua, uint32_t len) {
  struct iaddr x;
  bool unspec;
  long r = get_addr(k, s, ua, len, false, &x, &unspec);
  if (r) return r;
  bool v6only = optv(s, OPT_V6ONLY);
  if (s->fam == AF_INET6 && is_v4(x.a) && v6only) return -EINVAL;   /* inet6_bind */
  if (s->fam == AF_INET6 && !is_v4(x.a) && x.a[0] == 0xff && s->type == SOCK_STREAM) return -EINVAL;
  if (s->fam == AF_INET6 && !is_v4(x.a) && x.a[0] == 0xfe && (x.a[1] & 0xc0) == 0x80) return -EINVAL;
  if (!is_any(x.a) && !is_loop(x.a)) return -EADDRNOTAVAIL;        /* only lo's addresses are local */
  if (x.port && x.port < PROT_SOCK && !capable(k, CAP_NET_BIND_SERVICE)) return -EACCES;
  if (s->bound || s->state != IS_CLOSED) return -EINVAL;
  long r2 = bind_at(k, g, s, x.a, x.port);
  if (!r2) s->userbound = !is_any(x.a);
  return r2;
}

static long do_listen(struct kernel *k, struct gfd *g, struct isock *s, int backlog) {
  if (s->type != SOCK_STREAM) return -EOPNOTSUPP;
  if (s->state != IS_CLOSED && s->state != IS_LISTEN) return -EINVAL;
  if (!s->bound) {                             /* inet_csk_listen_start: autobind */
    uint8_t any[16];
    set_any(any, s->fam == AF_INET);
    long r = bind_at(k, g, s, any, 0);
    if (r) return r;
  } else if (s->state != IS_LISTEN && !port_free(k, s, s->local.port)) {
    return -EADDRINUSE;
  }
  if (listen(g->hostfd, sock_backlog(k, backlog))) return -errno;
  s->state = IS_LISTEN;
  return 0;
}

/* the destination's address, loopback checked: 0.0.0.0 and :: mean the
 * local host (ip_route_connect, tcp_v6_connect) */
static long route(const struct isock *s, struct iaddr *x) {
  if (s->fam == AF_INET6 && is_v4(x->a) && optv(s, OPT_V6ONLY)) return -ENETUNREACH;
  if (s->net && !s->net->lo_up) return -ENETUNREACH;   /* a new namespace's lo is down: no route */
  if (is_any(x->a)) {
    if (is_v4(x->a)) set_v4(x->a, htonl(INADDR_LOOPBACK));
    else x->a[15] = 1;
  }
  return is_loop(x->a) ? 0 : -ENETUNREACH;
}

/* the socket a packet to x reaches (__inet_lookup_listener, udp's
 * lookup): an exact address first, then a wildcard, IPv4 sockets before
 * dual-stack IPv6 ones */
static struct isock *lookup(struct kernel *k, const struct netns *net, int proto, const struct iaddr *x) {
  struct inet_tab *t = tab(k);
  struct isock *best = NULL;
  int bs = 0;
  for (size_t i = 0; i < t->n; i++) {
    struct isock *o = &t->s[i];
    if (!o->named || o->accepted || o->proto != proto || o->local.port != x->port || o->net != net) continue;
    if (o->type == SOCK_STREAM && o->state != IS_LISTEN) continue;
    bool v4 = is_v4(x->a);
    if (v4 ? !in_v4(o) : !in_v6(o)) continue;
    int sc;
    if (is_any(o->local.a)) sc = 1;
    else if (v4 ? !memcmp(o->local.a + 12, x->a + 12, 4) : !memcmp(o->local.a, x->a, 16)) sc = 3;
    else continue;
    if (o->fam == AF_INET) sc++;
    if (sc > bs) { bs = sc; best = o; }
  }
  return best;
}

static long do_connect(struct kernel *k, struct gfd *g, struct isock *s, uint64_t ua, uint32_t len) {
  struct iaddr x;
  bool unspec;
  long r = get_addr(k, s, ua, len, true, &x, &unspec);
  if (r) return r;
  if (s->type == SOCK_DGRAM) {                 /* ip4_datagram_connect / ip6_datagram_connect */
    if (unspec) {
      struct sockaddr sa = {.sa_family = AF_UNSPEC};
      if (s->hconn) connect(g->hostfd, &sa, sizeof sa);
      if (s->bound && !s->userbound) set_any(s->local.a, s->fam == AF_INET);   /* __udp_disconnect */
      s->hconn = false;
      s->state = IS_CLOSED;
      return 0;
    }
    if (!s->bound) {                           /* inet_dgram_connect: autobind, before the route */
      uint8_t any[16];
      set_any(any, s->fam == AF_INET);
      if ((r = bind_at(k, g, s, any, 0))) return -EAGAIN;
    }
    if ((r = route(s, &x))) return r;
    if (is_any(s->local.a)) loop_src(s->local.a, x.a);   /* ip4_datagram_connect: the route's source */
    s->peer = x;
    s->state = IS_CONN;
    struct isock *o;
    while ((o = lookup(k, s->net, s->proto, &x)) && !alive(o)) o->named = o->bound = false;
    struct sockaddr_un h;
    s->hconn = o && !connect(g->hostfd, (struct sockaddr *)&h, host_name(o, &h));
    return 0;
  }
  switch (s->state) {                          /* __inet_stream_connect */
  case IS_CONN: case IS_LISTEN: return unspec ? 0 : -EISCONN;
  case IS_CONNECTING: s->state = IS_CONN; return 0;   /* (it completed: the second call says so) */
  case IS_REFUSED:                             /* sock_error, or ECONNABORTED once SO_ERROR took it */
    s->state = IS_CLOSED;
    r = s->soerr ? -s->soerr : -ECONNABORTED;
    s->soerr = 0;
    return r;
  default: break;
  }
  if (unspec) return 0;
  if ((r = route(s, &x))) return r;
  if (s->bound && !is_any(s->local.a) && is_v4(s->local.a) != is_v4(x.a)) return -ENETUNREACH;
  bool nb = (g->flags & O_NONBLOCK) != 0;
  int fl = fcntl(g->hostfd, F_GETFL);
  fcntl(g->hostfd, F_SETFL, fl | O_NONBLOCK);
  r = -ECONNREFUSED;
  for (struct isock *o; r == -ECONNREFUSED && (o = lookup(k, s->net, IPPROTO_TCP, &x));) {
    struct sockaddr_un h;
    r = connect(g->hostfd, (struct sockaddr *)&h, host_name(o, &h)) ? -errno : 0;
    if (r == -ECONNREFUSED) o->named = o->bound = false;   /* it closed */
  }
  fcntl(g->hostfd, F_SETFL, fl);
  if (r == -EAGAIN && !nb && fs_park_on_fd(k, g->hostfd, POLLOUT)) return 0;   /* its backlog is full */
  if (r == -ECONNREFUSED && nb) {              /* the RST comes after the call returned */
    s->state = IS_REFUSED;
    s->soerr = ECONNREFUSED;
    return -EINPROGRESS;
  }
  if (r) return r;
  if (!s->bound) {                             /* inet_hash_connect: an ephemeral port */
    uint8_t src[16];
    loop_src(src, x.a);
    if (s->fam == AF_INET6 && is_v4(x.a)) set_v4(src, htonl(INADDR_LOOPBACK));
    if ((r = bind_at(k, g, s, src, 0))) return r;
  } else if (is_any(s->local.a)) {
    loop_src(s->local.a, x.a);
  }
  s->peer = x;
  s->state = nb ? IS_CONNECTING : IS_CONN;
  return nb ? -EINPROGRESS : 0;
}

static long do_accept(struct kernel *k, int lfd, struct isock *l, uint64_t ua, uint64_t ulen, int flags) {
  if (l->type != SOCK_STREAM) return -EOPNOTSUPP;
  if (l->state != IS_LISTEN) return -EINVAL;
  long fd = sock_accept_host(k, gfd_get(k, lfd), flags);
  if (fd < 0 || k->block_now) return fd;
  struct gfd *n = gfd_get(k, (int)fd);
  uint64_t lino = l->ino;
  struct isock *s = add(k, ino_of(n->hostfd));  /* (may move the table) */
  l = find(k, lino);
  *s = *l;                                     /* inet_csk_clone_lock: the listener's options */
  s->ino = ino_of(n->hostfd);
  s->state = IS_CONN;
  s->named = false;
  s->accepted = true;
  s->soerr = 0;
  struct sockaddr_un h;
  socklen_t hl = sizeof h;
  uint32_t ser;
  int cfam;
  struct iaddr cx;
  struct isock *c = NULL;
  if (!getpeername(n->hostfd, (struct sockaddr *)&h, &hl) && parse_name(&h, hl, &ser, &cfam, &cx)) c = by_serial(k, ser);
  if (c) {                                     /* the client's view, crossed */
    s->peer = c->local;
    s->local = c->peer;
  } else {
    s->peer = cx;
    if (is_any(s->local.a)) loop_src(s->local.a, cx.a);
  }
  if (ua) {
    long r = addr_out(k, s->fam, &s->peer, ua, ulen);
    if (r) { gfd_close(k, (int)fd); return r; }
  }
  return fd;
}

/* ---- data with addresses (sock_msg's names) ---- */
static long dgram_dest(struct kernel *k, struct gfd *g, uint64_t uname, uint32_t len, struct sockaddr_un *h,
                       uint32_t *hl) {
  struct isock *s = isock_of(k, g);
  struct iaddr x;
  *hl = 0;
  if (!s) return -ENOTSOCK;
  if (s->type == SOCK_STREAM) return 0;        /* tcp_sendmsg: the name is ignored */
  if (s->soerr) { long e = -s->soerr; s->soerr = 0; return e; }
  bool unspec = !uname;
  if (uname) {
    long r = get_addr(k, s, uname, len, true, &x, &unspec);
    if (r) return r;
  }
  if (unspec) {
    if (s->state != IS_CONN) return -EDESTADDRREQ;
    if (s->hconn) return 0;
    x = s->peer;
  } else {
    long r = route(s, &x);
    if (r) return r;
  }
  if (!s->bound) {                             /* udp_sendmsg: inet_autobind */
    uint8_t any[16];
    set_any(any, s->fam == AF_INET);
    long r = bind_at(k, g, s, any, 0);
    if (r) return r;
  }
  struct isock *o;
  while ((o = lookup(k, s->net, s->proto, &x)) && !alive(o)) o->named = o->bound = false;   /* it closed */
  if (!o) {                                    /* ICMP port unreachable: a connected socket hears of it */
    if (unspec) s->soerr = ECONNREFUSED;
    return 1;
  }
  *hl = host_name(o, h);
  return 0;
}

static uint32_t dgram_source(struct kernel *k, struct gfd *g, const struct sockaddr_un *h, uint32_t hl,
                             struct sockaddr_storage *out) {
  struct isock *s = isock_of(k, g), *c;
  uint32_t ser;
  int cfam;
  struct iaddr x;
  if (!s || s->type == SOCK_STREAM || !parse_name(h, hl, &ser, &cfam, &x)) return 0;   /* tcp_recvmsg names none */
  if ((c = by_serial(k, ser)) && !is_any(c->local.a)) x = c->local;
  if (is_any(x.a)) {                           /* an unbound sender: the route's source */
    bool v4 = s->fam == AF_INET || is_v4(s->local.a) || (is_any(s->local.a) && cfam == AF_INET);
    if (v4) set_v4(x.a, htonl(INADDR_LOOPBACK));
    else { memset(x.a, 0, 16); x.a[15] = 1; }
  }
  return put_addr(s->fam, &x, out);
}

/* what rides before a datagram: the IPv6 hop limit or IPv4 TTL, and the
 * traffic class or TOS, from the sender's control messages
 * (ip6_datagram_send_ctl, ip_cmsg_send) or its socket's options */
static long dgram_ctl_out(struct kernel *k, struct gfd *g, const uint8_t *ctl, size_t len, uint8_t *hdr) {
  struct isock *s = isock_of(k, g);
  if (!s) return -ENOTSOCK;
  bool v6 = s->fam == AF_INET6;
  int hops = v6 ? optv(s, OPT_HOPS) : optv(s, OPT_TTL), tc = v6 ? optv(s, OPT_TCLASS) : optv(s, OPT_TOS);
  for (size_t off = 0; off + sizeof(struct cmsghdr) <= len;) {
    struct cmsghdr c;
    memcpy(&c, ctl + off, sizeof c);
    if (c.cmsg_len < sizeof c || c.cmsg_len > len - off) return -EINVAL;   /* CMSG_OK */
    int32_t v = 0;
    bool is_int = c.cmsg_len == CMSG_LEN(sizeof v);
    if (is_int) memcpy(&v, ctl + off + CMSG_LEN(0), sizeof v);
    if (c.cmsg_level == SOL_SOCKET) return -EINVAL;   /* (__sock_cmsg_send: SO_MARK and timestamps only) */
    if (v6 && c.cmsg_level == IPPROTO_IPV6) {
      if (c.cmsg_type == IPV6_HOPLIMIT || c.cmsg_type == IPV6_TCLASS) {
        if (!is_int || v < -1 || v > 255) return -EINVAL;
        if (c.cmsg_type == IPV6_HOPLIMIT) hops = v < 0 ? optv(s, OPT_HOPS) : v;
        else tc = v < 0 ? optv(s, OPT_TCLASS) : v;
      } else if (c.cmsg_type != IPV6_PKTINFO) {
        return -EINVAL;
      }
    } else if (!v6 && c.cmsg_level == IPPROTO_IP) {
      if (c.cmsg_type == IP_TTL) {
        if (!is_int || v < 1 || v > 255) return -EINVAL;
        hops = v;
      } else if (c.cmsg_type == IP_TOS) {
        if (c.cmsg_len == CMSG_LEN(1)) v = ctl[off + CMSG_LEN(0)];
        else if (!is_int || v < 0 || v > 255) return -EINVAL;
        tc = v;
      } else if (c.cmsg_type != IP_PKTINFO) {
        return -EINVAL;
      }
    }
    off += CMSG_ALIGN(c.cmsg_len);
  }
  hdr[0] = (uint8_t)hops;
  hdr[1] = (uint8_t)tc;
  return 0;
}

/* put_cmsg: a control message into what room is left; one that does not
 * fit is cut (its cmsg_len says how much is there) and MSG_CTRUNC set */
static void put_cmsg(uint8_t *buf, size_t room, size_t *used, int32_t *flags, int level, int type, const void *d,
                     size_t len) {
  size_t left = room - *used, cmlen = CMSG_LEN(len);
  if (left < sizeof(struct cmsghdr)) { *flags |= MSG_CTRUNC; return; }
  if (left < cmlen) { *flags |= MSG_CTRUNC; cmlen = left; }
  struct cmsghdr c = {.cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type};
  memcpy(buf + *used, &c, sizeof c);
  memcpy(buf + *used + sizeof c, d, cmlen - sizeof c);
  *used += CMSG_SPACE(len) < left ? CMSG_SPACE(len) : left;
}

/* the receiver's control messages of what it asked for
 * (ip6_datagram_recv_specific_ctl: hop limit, then traffic class;
 * ip_cmsg_recv: TTL, then TOS) */
static size_t dgram_ctl_in(struct kernel *k, struct gfd *g, const uint8_t *hdr, uint8_t *gctl, size_t room,
                           int32_t *flags) {
  struct isock *s = isock_of(k, g);
  size_t used = 0;
  int32_t hops = hdr[0], tc = hdr[1];
  uint8_t tos = hdr[1];
  if (!s) return 0;
  if (s->fam == AF_INET6) {
    if (optv(s, OPT_RECVHOPLIMIT)) put_cmsg(gctl, room, &used, flags, IPPROTO_IPV6, IPV6_HOPLIMIT, &hops, sizeof hops);
    if (optv(s, OPT_RECVTCLASS)) put_cmsg(gctl, room, &used, flags, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof tc);
  } else {
    if (optv(s, OPT_RECVTTL)) put_cmsg(gctl, room, &used, flags, IPPROTO_IP, IP_TTL, &hops, sizeof hops);
    if (optv(s, OPT_RECVTOS)) put_cmsg(gctl, room, &used, flags, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  }
  return used;
}

static const struct sock_names inet_names = {dgram_dest, dgram_source, 0, false, NULL, NULL, NULL};
static const struct sock_names dgram_names = {dgram_dest, dgram_source, 4, false, NULL, dgram_ctl_out, dgram_ctl_in};
#define NAMES(s) ((s)->type == SOCK_DGRAM ? &dgram_names : &inet_names)

/* a stream socket's data calls before the host's: not connected is
 * EPIPE (with SIGPIPE) for a send, ENOTCONN for a receive */
static long stream_state(struct kernel *k, struct isock *s, bool out, int flags) {
  if (s->type != SOCK_STREAM || s->state == IS_CONN || s->state == IS_CONNECTING) return 0;
  if (s->soerr) { long e = -s->soerr; s->soerr = 0; s->state = IS_CLOSED; return e; }
  if (!out) return -ENOTCONN;
  if (!(flags & MSG_NOSIGNAL)) fs_sigpipe(k);
  return -EPIPE;
}

static long xfer(struct kernel *k, struct gfd *g, struct isock *s, bool out, const uint64_t a[6]) {
  long r = stream_state(k, s, out, (int)a[3]);
  if (r) return r;
  bool tcp_out = out && s->type == SOCK_STREAM;
  r = sock_xfer_to(k, g, out, a, (int)a[3] | (tcp_out ? MSG_NOSIGNAL : 0), NAMES(s));
  if (tcp_out && r == -EPIPE) {
    /* the peer closed: TCP (CLOSE_WAIT) takes the next send, the peer's
     * RST answers it and the sends after are EPIPE (tcp_reset); a unix
     * peer's close refuses them all at once */
    if (!s->shut_wr && !a[2]) return 0;
    if (!s->shut_wr && !s->rst) { s->rst = true; return a[2] < FS_BOUNCE ? (long)a[2] : (long)FS_BOUNCE; }
    if (!(a[3] & MSG_NOSIGNAL)) fs_sigpipe(k);
  }
  return r;
}

static long names(struct kernel *k, struct isock *s, bool peer, uint64_t ua, uint64_t ulen) {
  struct iaddr x = s->local;
  if (peer) {
    if (s->state != IS_CONN && s->state != IS_CONNECTING) return -ENOTCONN;
    x = s->peer;
  } else if (!s->bound) {
    memset(&x, 0, sizeof x);
    set_any(x.a, s->fam == AF_INET);
  }
  return addr_out(k, s->fam, &x, ua, ulen);
}


/* ---- entry points ---- */
long inet_socket(struct kernel *k, int fam, int type, int proto) {
  int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  if (t == SOCK_RAW) return capable(k, 13 /* CAP_NET_RAW */) ? -EPROTONOSUPPORT : -EPERM;
  if (t != SOCK_STREAM && t != SOCK_DGRAM) return -ESOCKTNOSUPPORT;
  int want = t == SOCK_STREAM ? IPPROTO_TCP : proto == IPPROTO_UDPLITE ? IPPROTO_UDPLITE : IPPROTO_UDP;
  if (proto && proto != want) return -EPROTONOSUPPORT;   /* inet_create: no such protocol for the type */
  int h = socket(AF_UNIX, t | SOCK_CLOEXEC | (type & SOCK_NONBLOCK), 0);
  if (h < 0) return -errno;
  struct isock *s = add(k, ino_of(h));
  s->fam = fam;
  s->type = t;
  s->proto = want;
  s->net = ns_cur_net(k);
  int fl = O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
  return gfd_install(k, 0, FDK_HOST, h, fl, (type & SOCK_CLOEXEC) != 0, NULL);
}

long inet_call(struct kernel *k, int nr, const uint64_t a[6], bool *handled) {
  struct gfd *g = gfd_get(k, (int)a[0]);
  struct isock *s = g && g->kind == FDK_HOST && g->hostfd >= 0 ? isock_of(k, g) : NULL;
  *handled = s != NULL;
  if (!s) return -ENOSYS;
  switch (nr) {
  case SYS_bind: return do_bind(k, g, s, a[1], (uint32_t)a[2]);
  case SYS_listen: return do_listen(k, g, s, (int)a[1]);
  case SYS_connect: return do_connect(k, g, s, a[1], (uint32_t)a[2]);
  case SYS_accept: return do_accept(k, (int)a[0], s, a[1], a[2], 0);
  case SYS_accept4: return do_accept(k, (int)a[0], s, a[1], a[2], (int)a[3]);
  case SYS_getsockname: return names(k, s, false, a[1], a[2]);
  case SYS_getpeername: return names(k, s, true, a[1], a[2]);
  case SYS_sendto: return xfer(k, g, s, true, a);
  case SYS_recvfrom: return xfer(k, g, s, false, a);
  case SYS_sendmsg: case SYS_recvmsg: {
    long r = stream_state(k, s, nr == SYS_sendmsg, (int)a[2]);
    return r ? r : sock_msghdr(k, g, nr == SYS_sendmsg, a[1], (int)a[2], NAMES(s));
  }
  case SYS_shutdown: {                         /* inet_shutdown */
    int how = (int)a[1] + 1;
    if ((how & ~3) || !how) return -EINVAL;
    if (s->state == IS_LISTEN) return 0;
    if (s->state == IS_CLOSED || s->state == IS_REFUSED) return -ENOTCONN;
    if (s->type == SOCK_DGRAM) return 0;
    if (how & 2) s->shut_wr = true;
    return shutdown(g->hostfd, (int)a[1]) ? -errno : 0;
  }
  case SYS_getsockopt: return inet_opt(k, g, s, false, a, handled);
  case SYS_setsockopt: return inet_opt(k, g, s, true, a, handled);
  default: *handled = false; return -ENOSYS;
  }
}
