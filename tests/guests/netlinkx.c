/* AF_NETLINK (NETLINK_ROUTE) and the interface calls built on it:
 * if_nameindex, if_nametoindex, if_indextoname, getifaddrs, and raw
 * RTM_GETLINK / RTM_GETADDR requests.  A machine has other interfaces
 * besides lo (natively this one has several, the model only lo), so this
 * prints only what is defined the same everywhere: lo is index 1, its
 * flags, MTU and type, its 127.0.0.1/8 and ::1/128 (when present), the
 * message layout of its entries, dumps ending in NLMSG_DONE, acks and
 * errors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int nl_open(void) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct sockaddr_nl a = {.nl_family = AF_NETLINK};
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a)) return -1;
  return s;
}

static void request(int s, int type, int flags, int seq, const void *pl, size_t pll) {
  struct { struct nlmsghdr h; uint8_t p[64]; } r;
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(pll);
  r.h.nlmsg_type = (uint16_t)type;
  r.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  r.h.nlmsg_seq = (uint32_t)seq;
  memcpy(r.p, pl, pll);
  struct sockaddr_nl k = {.nl_family = AF_NETLINK};
  if (sendto(s, &r, r.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0) printf("sendto: %s\n", strerror(errno));
}

/* receive until NLMSG_DONE or an error message; lo's entries printed */
static void dump(int s, int seq) {
  static uint8_t buf[65536];
  int done = 0, datagrams = 0, bad = 0;
  while (!done) {
    struct sockaddr_nl from;
    struct iovec v = {buf, sizeof buf};
    struct msghdr m = {&from, sizeof from, &v, 1, NULL, 0, 0};
    long n = recvmsg(s, &m, 0);
    if (n <= 0) { printf("recvmsg: %ld %s\n", n, strerror(errno)); return; }
    datagrams++;
    if (m.msg_namelen != sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) bad++;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned long)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != (uint32_t)seq) bad++;
      if (h->nlmsg_type == NLMSG_DONE) {
        printf("  NLMSG_DONE flags %#x error %d\n", h->nlmsg_flags, *(int *)NLMSG_DATA(h));
        done = 1;
      } else if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        printf("  NLMSG_ERROR %d (%s) flags %#x for type %d\n", e->error, strerror(-e->error), h->nlmsg_flags,
               e->msg.nlmsg_type);
        done = 1;
      } else if (h->nlmsg_type == RTM_NEWLINK) {
        struct ifinfomsg *ifi = NLMSG_DATA(h);
        if (ifi->ifi_index != 1) continue;
        printf("  RTM_NEWLINK flags %#x: index %d type %d flags %#x", h->nlmsg_flags & NLM_F_MULTI, ifi->ifi_index,
               ifi->ifi_type, ifi->ifi_flags);
        int len = (int)IFLA_PAYLOAD(h);
        for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
          if (a->rta_type == IFLA_IFNAME) printf(" name %s", (char *)RTA_DATA(a));
          if (a->rta_type == IFLA_MTU) printf(" mtu %u", *(unsigned *)RTA_DATA(a));
          if (a->rta_type == IFLA_ADDRESS) printf(" address of %d bytes", (int)RTA_PAYLOAD(a));
        }
        printf("\n");
      } else if (h->nlmsg_type == RTM_NEWADDR) {
        struct ifaddrmsg *ifa = NLMSG_DATA(h);
        if (ifa->ifa_index != 1) continue;
        char t[64] = "";
        int len = (int)IFA_PAYLOAD(h);
        printf("  RTM_NEWADDR family %d prefix %d scope %d flags %#x:", ifa->ifa_family, ifa->ifa_prefixlen,
               ifa->ifa_scope, ifa->ifa_flags);
        for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
          if (a->rta_type == IFA_ADDRESS || a->rta_type == IFA_LOCAL)
            printf(" %s %s", a->rta_type == IFA_LOCAL ? "local" : "address",
                   inet_ntop(ifa->ifa_family, RTA_DATA(a), t, sizeof t));
          if (a->rta_type == IFA_LABEL) printf(" label %s", (char *)RTA_DATA(a));
        }
        printf("\n");
      }
    }
  }
  printf("  every reply from the kernel, with the request's sequence: %d (%s)\n", bad == 0,
         datagrams >= 2 ? "several datagrams" : "one datagram");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct if_nameindex *ni = if_nameindex(), *p;
  for (p = ni; p && p->if_index; p++)
    if (p->if_index == 1) printf("if_nameindex: 1 %s\n", p->if_name);
  if_freenameindex(ni);
  char nm[IF_NAMESIZE];
  printf("if_nametoindex(lo) %u, if_indextoname(1) %s\n", if_nametoindex("lo"), if_indextoname(1, nm));
  printf("if_nametoindex(nosuch0) %u\n", if_nametoindex("nosuch0"));
  struct ifaddrs *ifs;
  if (getifaddrs(&ifs)) { printf("getifaddrs: %s\n", strerror(errno)); return 1; }
  for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
    if (strcmp(i->ifa_name, "lo")) continue;
    char a[64] = "-", m[64] = "-";
    int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;
    if (fam == AF_INET) {
      inet_ntop(fam, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof a);
      inet_ntop(fam, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, m, sizeof m);
    } else if (fam == AF_INET6) {
      inet_ntop(fam, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a, sizeof a);
      inet_ntop(fam, &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, m, sizeof m);
    }
    printf("getifaddrs: lo family %d flags %#x addr %s mask %s\n", fam, i->ifa_flags, a, m);
  }
  freeifaddrs(ifs);

  int s = nl_open();
  struct sockaddr_nl me;
  socklen_t ml = sizeof me;
  getsockname(s, (struct sockaddr *)&me, &ml);
  printf("bound: len %d family %d pid is getpid() %d\n", (int)ml, me.nl_family, me.nl_pid == (uint32_t)getpid());
  int s2 = nl_open();
  getsockname(s2, (struct sockaddr *)&me, &ml);
  printf("second socket's pid differs from getpid(): %d\n", me.nl_pid != (uint32_t)getpid());
  struct sockaddr_nl same = {.nl_family = AF_NETLINK, .nl_pid = (uint32_t)getpid()};
  int s3 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
  int be = bind(s3, (struct sockaddr *)&same, sizeof same);
  printf("bind to a pid in use: %d %s\n", be, be < 0 ? strerror(errno) : "");
  close(s3);
  close(s2);
  struct rtgenmsg g = {AF_UNSPEC};
  printf("RTM_GETLINK dump:\n");
  request(s, RTM_GETLINK, NLM_F_DUMP, 7, &g, sizeof g);
  dump(s, 7);
  printf("RTM_GETADDR dump:\n");
  request(s, RTM_GETADDR, NLM_F_DUMP, 8, &g, sizeof g);
  dump(s, 8);
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 1};
  printf("RTM_GETLINK index 1:\n");
  request(s, RTM_GETLINK, NLM_F_ACK, 9, &ifi, sizeof ifi);
  dump(s, 9);
  ifi.ifi_index = 0x7fff0000;
  printf("RTM_GETLINK of no such index:\n");
  request(s, RTM_GETLINK, 0, 10, &ifi, sizeof ifi);
  dump(s, 10);
  printf("NLMSG_NOOP with an ack:\n");
  request(s, NLMSG_NOOP, NLM_F_ACK, 11, &g, sizeof g);
  dump(s, 11);
  int e;
  errno = 0;
  e = socket(AF_NETLINK, SOCK_RAW, 31);
  printf("protocol 31: %d %s\n", e, strerror(errno));
  errno = 0;
  e = socket(AF_NETLINK, SOCK_RAW, 32);
  printf("protocol 32: %d %s\n", e, strerror(errno));
  errno = 0;
  e = socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE);
  printf("SOCK_STREAM: %d %s\n", e, strerror(errno));
  int type = 0;
  socklen_t tl = sizeof type;
  getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tl);
  int dom = 0;
  getsockopt(s, SOL_SOCKET, SO_DOMAIN, &dom, &tl);
  printf("SO_TYPE %d SO_DOMAIN %d\n", type, dom);
  close(s);
  return 0;
}
