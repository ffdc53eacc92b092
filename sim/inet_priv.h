/* Private to sim/sys_inet.c and sim/sys_inet_opt.c: the guest's view of
 * an AF_INET/AF_INET6 socket (kept per host socket) and its options. */
#ifndef FAULTLINE_SIM_INET_PRIV_H
#define FAULTLINE_SIM_INET_PRIV_H
#include "sim/fs_priv.h"

struct iaddr { uint8_t a[16]; uint16_t port; };   /* IPv6 form; port in host order */
enum { IS_CLOSED, IS_LISTEN, IS_CONN, IS_CONNECTING, IS_REFUSED };

/* the options the model keeps (others at SOL_SOCKET are the host's):
 * level, name, default, range, which sockets take it, boolean */
enum { OT_ANY, OT_TCP, OT_V6, OT_LITE };
struct iopt { int level, name, def, lo, hi; uint8_t only; bool boolean; };
#define NOPT 33
extern const struct iopt iopts[NOPT];
enum { OPT_REUSEADDR, OPT_REUSEPORT, OPT_TTL = 14, OPT_TOS = 15, OPT_RECVTOS = 18, OPT_V6ONLY = 21, OPT_HOPS = 22,
       OPT_TCLASS = 25, OPT_RECVHOPLIMIT = 30, OPT_RECVTCLASS = 31, OPT_RECVTTL = 32 };   /* indices in iopts */

struct isock {
  uint64_t ino;                  /* the host socket's */
  uint32_t serial;               /* its host name's (named) */
  int fam, type, proto, state, soerr;
  bool bound, named, accepted, hconn;   /* hconn: a UDP socket connected on the host too */
  bool userbound;                /* its address is the guest's bind's (SOCK_BINDADDR_LOCK) */
  bool shut_wr, rst;             /* it shut down its sending; its peer reset the connection */
  struct iaddr local, peer;
  const struct netns *net;       /* its network namespace (sock_net; NULL the initial one) */
  int sndbuf, rcvbuf;            /* 0: the protocol's default */
  bool oset[NOPT];               /* the guest set option i (else its default) */
  int oval[NOPT];
};
static inline int optv(const struct isock *s, int i) { return s->oset[i] ? s->oval[i] : iopts[i].def; }

/* getsockopt/setsockopt of an AF_INET/AF_INET6 socket (*handled false:
 * a SOL_SOCKET option left to the host socket) */
long inet_opt(struct kernel *k, struct gfd *g, struct isock *s, bool set, const uint64_t a[6], bool *handled);

#endif
