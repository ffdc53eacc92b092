/* The socket options of the guest's AF_INET/AF_INET6 sockets
 * (sys_inet.c): the ones TCP, UDP, IPv4 and IPv6 keep are the model's,
 * with Linux's defaults, ranges and per-protocol levels (tcp_setsockopt,
 * do_ip_setsockopt, do_ipv6_setsockopt, udp_lib_setsockopt); the generic
 * SOL_SOCKET ones (SO_KEEPALIVE, SO_LINGER, timeouts ...) are the host
 * socket's. */
#include "sim/inet_priv.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* (the entries named [OPT_*] are where inet_priv.h's indices say; a
 * designator out of place overrides an entry: -Wextra warns) */
const struct iopt iopts[NOPT] = {
  [OPT_REUSEADDR] = {SOL_SOCKET, SO_REUSEADDR, 0, 0, 0, OT_ANY, true},
  [OPT_REUSEPORT] = {SOL_SOCKET, SO_REUSEPORT, 0, 0, 0, OT_ANY, true},
  {IPPROTO_TCP, TCP_NODELAY, 0, 0, 0, OT_TCP, true},          /* tcp_sock_set_nodelay */
  {IPPROTO_TCP, TCP_CORK, 0, 0, 0, OT_TCP, true},
  {IPPROTO_TCP, TCP_QUICKACK, 1, 0, 0, OT_TCP, true},
  {IPPROTO_TCP, TCP_KEEPIDLE, 7200, 1, 32767, OT_TCP, false},  /* tcp_keepalive_time; MAX_TCP_KEEPIDLE */
  {IPPROTO_TCP, TCP_KEEPINTVL, 75, 1, 32767, OT_TCP, false},
  {IPPROTO_TCP, TCP_KEEPCNT, 9, 1, 127, OT_TCP, false},
  {IPPROTO_TCP, TCP_SYNCNT, 6, 1, 127, OT_TCP, false},         /* tcp_syn_retries */
  {IPPROTO_TCP, TCP_USER_TIMEOUT, 0, 0, 0x7fffffff, OT_TCP, false},
  {IPPROTO_TCP, TCP_MAXSEG, 536, 88, 32767, OT_TCP, false},    /* TCP_MSS_DEFAULT; TCP_MIN_MSS..MAX_TCP_WINDOW */
  {IPPROTO_TCP, TCP_DEFER_ACCEPT, 0, 0, 0x7fffffff, OT_TCP, false},
  {IPPROTO_TCP, TCP_NOTSENT_LOWAT, 0, 0, 0x7fffffff, OT_TCP, false},
  {IPPROTO_TCP, TCP_FASTOPEN, 0, 0, 0x7fffffff, OT_TCP, false},
  [OPT_TTL] = {IPPROTO_IP, IP_TTL, 64, 1, 255, OT_ANY, false},             /* ip_default_ttl; -1 resets */
  [OPT_TOS] = {IPPROTO_IP, IP_TOS, 0, 0, 255, OT_ANY, false},
  {IPPROTO_IP, IP_RECVERR, 0, 0, 0, OT_ANY, true},
  {IPPROTO_IP, IP_PKTINFO, 0, 0, 0, OT_ANY, true},
  [OPT_RECVTOS] = {IPPROTO_IP, IP_RECVTOS, 0, 0, 0, OT_ANY, true},
  {IPPROTO_IP, IP_MULTICAST_TTL, 1, 0, 255, OT_ANY, false},
  {IPPROTO_IP, IP_MULTICAST_LOOP, 1, 0, 0, OT_ANY, true},
  [OPT_V6ONLY] = {IPPROTO_IPV6, IPV6_V6ONLY, 0, 0, 0, OT_V6, true},           /* net.ipv6.bindv6only */
  [OPT_HOPS] = {IPPROTO_IPV6, IPV6_UNICAST_HOPS, 64, 0, 255, OT_V6, false},
  {IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1, 0, 255, OT_V6, false},
  {IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1, 0, 0, OT_V6, true},
  [OPT_TCLASS] = {IPPROTO_IPV6, IPV6_TCLASS, 0, 0, 255, OT_V6, false},
  {IPPROTO_IPV6, IPV6_RECVERR, 0, 0, 0, OT_V6, true},
  {IPPROTO_IPV6, IPV6_RECVPKTINFO, 0, 0, 0, OT_V6, true},
  {IPPROTO_UDPLITE, 10 /* UDPLITE_SEND_CSCOV */, 0, 0, 65535, OT_LITE, false},
  {IPPROTO_UDPLITE, 11 /* UDPLITE_RECV_CSCOV */, 0, 0, 65535, OT_LITE, false},
  [OPT_RECVHOPLIMIT] = {IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 0, 0, 0, OT_V6, true},
  [OPT_RECVTCLASS] = {IPPROTO_IPV6, IPV6_RECVTCLASS, 0, 0, 0, OT_V6, true},
  [OPT_RECVTTL] = {IPPROTO_IP, IP_RECVTTL, 0, 0, 0, OT_ANY, true},
};

long inet_opt(struct kernel *k, struct gfd *g, struct isock *s, bool set, const uint64_t a[6], bool *handled) {
  int level = (int)a[1], name = (int)a[2];
  *handled = true;
  if (level == SOL_SOCKET) {
    int v = 0;
    switch (name) {
    case SO_DOMAIN: v = s->fam; break;
    case SO_PROTOCOL: v = s->proto; break;
    case SO_SNDBUF: case SO_RCVBUF:
      if (set) {                               /* sock_setsockopt: doubled, clamped to [wmem|rmem]_max */
        int32_t u;
        if (a[4] < 4) return -EINVAL;
        if (copy_from_user(k, &u, a[3], 4)) return -EFAULT;
        uint32_t c = (uint32_t)u > 212992u ? 212992u : (uint32_t)u;   /* SK_WMEM_MAX, SK_RMEM_MAX */
        int min = name == SO_SNDBUF ? 4608 : 2304;   /* SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF */
        int d = (int)c * 2 < min ? min : (int)c * 2;
        if (name == SO_SNDBUF) s->sndbuf = d; else s->rcvbuf = d;
        setsockopt(g->hostfd, SOL_SOCKET, name, &u, 4);
        return 0;
      }
      v = name == SO_SNDBUF ? s->sndbuf : s->rcvbuf;
      if (!v) v = s->type == SOCK_DGRAM ? 212992 : name == SO_SNDBUF ? 16384 : 131072;   /* tcp_wmem[1], tcp_rmem[1] */
      break;
    case SO_ERROR:
      if (set) return -ENOPROTOOPT;
      if (!s->soerr) { *handled = false; return 0; }
      v = s->soerr;
      s->soerr = 0;
      break;
    case SO_PEERCRED: {                        /* no peer credentials on TCP: cred_to_ucred(NULL) */
      if (set) return -ENOPROTOOPT;
      struct { int32_t pid; uint32_t uid, gid; } c = {0, 0xffffffffu, 0xffffffffu};
      uint32_t ol, l = sizeof c;
      if (copy_from_user(k, &ol, a[4], 4)) return -EFAULT;
      if ((int32_t)ol < 0) return -EINVAL;
      if (ol < l) l = ol;
      if (copy_to_user(k, a[3], &c, l) || copy_to_user(k, a[4], &l, 4)) return -EFAULT;
      return 0;
    }
    case SO_REUSEADDR: case SO_REUSEPORT: break;
    default: *handled = false; return 0;      /* the host's generic socket options */
    }
    if (set && (name == SO_DOMAIN || name == SO_PROTOCOL)) return -ENOPROTOOPT;
    if (!set && name != SO_REUSEADDR && name != SO_REUSEPORT) {
      uint32_t ol, l = 4;
      if (copy_from_user(k, &ol, a[4], 4)) return -EFAULT;
      if ((int32_t)ol < 0) return -EINVAL;
      if (ol < l) l = ol;
      if (copy_to_user(k, a[3], &v, l) || copy_to_user(k, a[4], &l, 4)) return -EFAULT;
      return 0;
    }
  }
  if (level == IPPROTO_IPV6 && s->fam == AF_INET) return -ENOPROTOOPT;   /* ip_setsockopt's level check */
  if (level == IPPROTO_TCP && s->type != SOCK_STREAM) return -ENOPROTOOPT;
  size_t i = 0;
  while (i < NOPT && (iopts[i].level != level || iopts[i].name != name)) i++;
  if (i == NOPT) return level == SOL_SOCKET ? (*handled = false, 0) : -ENOPROTOOPT;
  const struct iopt *o = &iopts[i];
  if (o->only == OT_LITE && s->proto != IPPROTO_UDPLITE) return -ENOPROTOOPT;   /* udp_lib_setsockopt */
  if (!set) {
    uint32_t ol;
    if (copy_from_user(k, &ol, a[4], 4)) return -EFAULT;
    if ((int32_t)ol < 0) return -EINVAL;
    int v = optv(s, (int)i);
    if (level == IPPROTO_IP && ol < 4 && ol > 0) {   /* do_ip_getsockopt: a byte when asked for less */
      uint8_t c = (uint8_t)v;
      ol = 1;
      if (copy_to_user(k, a[3], &c, 1) || copy_to_user(k, a[4], &ol, 4)) return -EFAULT;
      return 0;
    }
    uint32_t l = ol < 4 ? ol : 4;
    if (copy_to_user(k, a[3], &v, l) || copy_to_user(k, a[4], &l, 4)) return -EFAULT;
    return 0;
  }
  int32_t v = 0;
  if (level == IPPROTO_IP && a[4] >= 1 && a[4] < 4) {   /* ip_setsockopt takes a byte too */
    uint8_t c;
    if (copy_from_user(k, &c, a[3], 1)) return -EFAULT;
    v = c;
  } else {
    if (a[4] < 4) return -EINVAL;
    if (copy_from_user(k, &v, a[3], 4)) return -EFAULT;
  }
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->bound) return -EINVAL;   /* do_ipv6_setsockopt */
  if (v == -1 && (name == IP_TTL || name == IPV6_UNICAST_HOPS || name == IPV6_MULTICAST_HOPS)) {
    s->oset[i] = false;                        /* the default again */
    return 0;
  }
  if (o->only == OT_LITE) v = v > 65535 ? 65535 : v && v < 8 ? 8 : v;   /* coverage: 8 (the header) at least */
  if (!o->boolean && (v < o->lo || v > o->hi)) return -EINVAL;
  if (level == IPPROTO_IP && name == IP_TOS && s->type == SOCK_STREAM) v &= ~3;   /* the ECN bits are TCP's */
  s->oset[i] = true;
  s->oval[i] = o->boolean ? v != 0 : v;
  return 0;
}
