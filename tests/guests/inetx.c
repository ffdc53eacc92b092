/* AF_INET and AF_INET6 on the loopback (issue 13): TCP bind, listen,
 * accept(4), connect from a child process, the names getsockname,
 * getpeername and accept give, options (SO_REUSEADDR, TCP_NODELAY,
 * SO_KEEPALIVE, SO_SNDBUF/SO_RCVBUF, IPV6_V6ONLY, SO_DOMAIN/PROTOCOL/TYPE,
 * SO_ACCEPTCONN, SO_ERROR), sendfile to a socket, nonblocking connect and
 * accept, poll and select readiness, a receive that waits, shutdown,
 * dual-stack and v6-only listeners, UDP with addresses, and the errors
 * Linux gives (EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED, ENOTCONN, EPIPE,
 * EISCONN, EINVAL, EAFNOSUPPORT).  No port numbers are printed (natively
 * they are the host's): only whether they are ephemeral ones and whether
 * the two ends agree.  Its output must equal the native run's.
 *   inetx                   the whole test
 *   inetx connect ADDR PORT a connect (guest.inetx.confined)  */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, r);
}

static int port_of(int s) {
  struct sockaddr_storage a;
  socklen_t l = sizeof a;
  if (getsockname(s, (struct sockaddr *)&a, &l)) return -1;
  return ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port : ((struct sockaddr_in6 *)&a)->sin6_port);
}

/* an address as text, the port as "ephemeral", "0" or "=listener" */
static void show(const char *what, const struct sockaddr_storage *a, socklen_t l, int lport) {
  char t[64] = "?";
  int port = 0;
  if (a->ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)a)->sin_addr, t, sizeof t);
    port = ntohs(((struct sockaddr_in *)a)->sin_port);
  } else if (a->ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a)->sin6_addr, t, sizeof t);
    port = ntohs(((struct sockaddr_in6 *)a)->sin6_port);
  }
  const char *p = port == 0 ? "0" : port == lport ? "=listener" : port >= 32768 && port <= 60999 ? "ephemeral" : "other";
  printf("%s: family %d len %u %s port %s\n", what, a->ss_family, (unsigned)l, t, p);
}

static void name(const char *what, int s, int peer, int lport) {
  struct sockaddr_storage a;
  socklen_t l = sizeof a;
  memset(&a, 0, sizeof a);
  if ((peer ? getpeername(s, (struct sockaddr *)&a, &l) : getsockname(s, (struct sockaddr *)&a, &l)) < 0) {
    say(what, -1);
    return;
  }
  show(what, &a, l, lport);
}

static int iopt(int s, int level, int opt) {
  int v = -99;
  socklen_t l = sizeof v;
  if (getsockopt(s, level, opt, &v, &l)) return -errno * 1000;
  return v;
}

static struct sockaddr_in v4(const char *a, int port) {
  struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}
static struct sockaddr_in6 v6(const char *a, int port) {
  struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
  inet_pton(AF_INET6, a, &s.sin6_addr);
  return s;
}
#define SA(x) (struct sockaddr *)&(x), sizeof(x)

static int listener(int fam, const char *addr, int v6only) {
  int l = socket(fam, SOCK_STREAM, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fam == AF_INET6) setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  struct sockaddr_in a4 = v4(addr, 0);
  struct sockaddr_in6 a6 = v6(addr, 0);
  if ((fam == AF_INET ? bind(l, SA(a4)) : bind(l, SA(a6))) || listen(l, 8)) perror("listener");
  return l;
}

static void options(void) {
  printf("-- options\n");
  int s = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET6, SOCK_DGRAM, 0), one = 1, v = 8192;
  printf("tcp: domain %d type %d protocol %d acceptconn %d error %d\n", iopt(s, SOL_SOCKET, SO_DOMAIN),
         iopt(s, SOL_SOCKET, SO_TYPE), iopt(s, SOL_SOCKET, SO_PROTOCOL), iopt(s, SOL_SOCKET, SO_ACCEPTCONN),
         iopt(s, SOL_SOCKET, SO_ERROR));
  printf("udp6: domain %d type %d protocol %d\n", iopt(u, SOL_SOCKET, SO_DOMAIN), iopt(u, SOL_SOCKET, SO_TYPE),
         iopt(u, SOL_SOCKET, SO_PROTOCOL));
  printf("defaults: reuseaddr %d reuseport %d keepalive %d nodelay %d keepidle %d keepintvl %d keepcnt %d ttl %d v6only %d\n",
         iopt(s, SOL_SOCKET, SO_REUSEADDR), iopt(s, SOL_SOCKET, SO_REUSEPORT), iopt(s, SOL_SOCKET, SO_KEEPALIVE),
         iopt(s, IPPROTO_TCP, TCP_NODELAY), iopt(s, IPPROTO_TCP, TCP_KEEPIDLE), iopt(s, IPPROTO_TCP, TCP_KEEPINTVL),
         iopt(s, IPPROTO_TCP, TCP_KEEPCNT), iopt(s, IPPROTO_IP, IP_TTL), iopt(u, IPPROTO_IPV6, IPV6_V6ONLY));
  int two = 2;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &two, sizeof two);
  setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &two, sizeof two);
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  int idle = 60;
  setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  printf("set: reuseaddr %d reuseport %d keepalive %d nodelay %d sndbuf %d rcvbuf %d keepidle %d v6only %d\n",
         iopt(s, SOL_SOCKET, SO_REUSEADDR), iopt(s, SOL_SOCKET, SO_REUSEPORT), iopt(s, SOL_SOCKET, SO_KEEPALIVE),
         iopt(s, IPPROTO_TCP, TCP_NODELAY), iopt(s, SOL_SOCKET, SO_SNDBUF), iopt(s, SOL_SOCKET, SO_RCVBUF),
         iopt(s, IPPROTO_TCP, TCP_KEEPIDLE), iopt(u, IPPROTO_IPV6, IPV6_V6ONLY));
  say("IPV6_V6ONLY on an AF_INET socket", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  say("TCP_NODELAY on a UDP socket", setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
  say("TCP_KEEPIDLE 0", setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &(int){0}, sizeof(int)));
  say("TCP_NODELAY short", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, 2));
  struct sockaddr_in6 any6 = v6("::", 0);
  bind(u, SA(any6));
  say("IPV6_V6ONLY after bind", setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  close(s);
  close(u);
}

static void errors(void) {
  printf("-- errors\n");
  int l = listener(AF_INET, "127.0.0.1", 0), port = port_of(l);
  printf("listener port ephemeral %d acceptconn %d\n", port >= 32768 && port <= 60999, iopt(l, SOL_SOCKET, SO_ACCEPTCONN));
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = v4("127.0.0.1", port), any = v4("0.0.0.0", port), far = v4("203.0.113.7", 0);
  struct sockaddr_in other = v4("127.0.0.2", port);
  struct sockaddr_in6 a6 = v6("::1", 0);
  say("bind a non-local address", bind(s, SA(far)));
  say("bind the listener's port", bind(s, SA(a)));
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  say("... with SO_REUSEADDR (it listens)", bind(s, SA(a)));
  say("bind 0.0.0.0 at that port", bind(s, SA(any)));
  say("bind 127.0.0.2 at that port", bind(s, SA(other)));
  say("bind again", bind(s, SA(a)));
  close(s);
  s = socket(AF_INET, SOCK_STREAM, 0);
  say("bind a short address", bind(s, (struct sockaddr *)&a, 8));
  say("bind an AF_INET6 address", bind(s, SA(a6)));
  say("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &(socklen_t){sizeof a}));
  say("recv unconnected", recv(s, &one, 1, MSG_DONTWAIT));
  say("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
  say("shutdown unconnected", shutdown(s, SHUT_RDWR));
  say("accept not listening", accept(s, NULL, NULL));
  name("unbound name", s, 0, port);
  /* a port bound but not listening refuses */
  int b = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in b0 = v4("127.0.0.1", 0);
  bind(b, SA(b0));
  struct sockaddr_in bp = v4("127.0.0.1", port_of(b));
  say("connect a bound, not listening port", connect(s, SA(bp)));
  say("... again", connect(s, SA(bp)));
  close(s);
  s = socket(AF_INET, SOCK_STREAM, 0);
  say("connect the listener", connect(s, SA(a)));
  say("connect again", connect(s, SA(a)));
  say("listen connected", listen(s, 1));
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  say("listen UDP", listen(u, 1));
  say("accept UDP", accept(u, NULL, NULL));
  say("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  say("socketpair(AF_INET)", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0}));
  int c = accept(l, NULL, NULL);
  close(c);
  close(u);
  close(s);
  close(b);
  close(l);
  /* the port is free again once its sockets closed */
  s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   /* (TIME_WAIT: the server closed first) */
  say("bind the closed listener's port", bind(s, SA(a)));
  close(s);
}

/* a child connects, exchanges data, then reads what sendfile sends */
static void tcp(int fam, const char *laddr, int v6only, int cfam, const char *caddr) {
  printf("-- tcp %s listener%s, %s client to %s\n", fam == AF_INET ? "IPv4" : "IPv6", v6only ? " (v6only)" : "",
         cfam == AF_INET ? "IPv4" : "IPv6", caddr);
  int l = listener(fam, laddr, v6only), port = port_of(l);
  name("listener", l, 0, port);
  fflush(stdout);
  int sync[2];
  if (pipe(sync)) return;
  pid_t p = fork();
  if (!p) {
    close(l);
    int s = socket(cfam, SOCK_STREAM, 0);
    struct sockaddr_in a = v4(caddr, port);
    struct sockaddr_in6 a6 = v6(caddr, port);
    int r = cfam == AF_INET ? connect(s, SA(a)) : connect(s, SA(a6));
    if (r) { say("connect", r); fflush(stdout); _exit(1); }
    name("client name", s, 0, port);
    name("client peer", s, 1, port);
    int myport = port_of(s);
    if (write(sync[1], &myport, sizeof myport) < 0) _exit(2);
    char buf[8192];
    ssize_t n = recv(s, buf, sizeof buf, 0);   /* the parent waits before it sends: this blocks */
    printf("client got %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
    send(s, "pong", 4, 0);
    long total = 0, sum = 0;
    while ((n = read(s, buf, sizeof buf)) > 0) {
      total += n;
      for (ssize_t i = 0; i < n; i++) sum += (unsigned char)buf[i];
    }
    printf("client read %ld bytes (sum %ld) then EOF %zd\n", total, sum, n);
    fflush(stdout);
    _exit(0);
  }
  close(sync[1]);
  struct sockaddr_storage peer;
  socklen_t pl = sizeof peer;
  int c = accept4(l, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
  int cport = 0;
  if (c < 0) { say("accept4", c); waitpid(p, NULL, 0); return; }
  if (read(sync[0], &cport, sizeof cport) != sizeof cport) cport = -1;
  show("accepted peer", &peer, pl, port);
  struct sockaddr_storage pn;
  socklen_t pnl = sizeof pn;
  getpeername(c, (struct sockaddr *)&pn, &pnl);
  printf("accepted peer port is the client's: %d, cloexec %d\n",
         ntohs(pn.ss_family == AF_INET ? ((struct sockaddr_in *)&pn)->sin_port : ((struct sockaddr_in6 *)&pn)->sin6_port) == cport,
         (fcntl(c, F_GETFD) & FD_CLOEXEC) != 0);
  name("accepted name", c, 0, port);
  printf("accepted: domain %d nodelay %d reuseaddr %d acceptconn %d\n", iopt(c, SOL_SOCKET, SO_DOMAIN),
         iopt(c, IPPROTO_TCP, TCP_NODELAY), iopt(c, SOL_SOCKET, SO_REUSEADDR), iopt(c, SOL_SOCKET, SO_ACCEPTCONN));
  usleep(20000);
  send(c, "ping", 4, 0);
  char buf[16];
  ssize_t n = recv(c, buf, sizeof buf, 0);
  printf("server got %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  /* sendfile from a file */
  char path[] = "/tmp/inetx.XXXXXX";
  int f = mkstemp(path);
  unlink(path);
  static char data[100000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7 + 3);
  if (write(f, data, sizeof data) != (ssize_t)sizeof data) perror("write");
  off_t off = 1000;
  long sent = 0;
  while (sent < (long)sizeof data - 1000) {
    ssize_t r = sendfile(c, f, &off, sizeof data - 1000 - (size_t)sent);
    if (r <= 0) { say("sendfile", r); break; }
    sent += r;
  }
  long sum = 0;
  for (size_t i = 1000; i < sizeof data; i++) sum += (unsigned char)data[i];
  close(f);
  int shut = shutdown(c, SHUT_WR), st;
  waitpid(p, &st, 0);   /* (the parent prints only while the child waits) */
  printf("sendfile sent %ld bytes (sum %ld), offset now %ld\n", sent, sum, (long)off);
  say("shutdown SHUT_WR", shut);
  printf("child status %d\n", WEXITSTATUS(st));
  n = recv(c, buf, sizeof buf, 0);
  printf("server recv after the client closed: %zd\n", n);
  say("send after SHUT_WR", send(c, "", 0, MSG_NOSIGNAL));
  close(c);
  close(l);
  close(sync[0]);
}

/* the peer closed: TCP takes one more send, the peer's RST answers it */
static void closed_peer(void) {
  printf("-- sends to a peer that closed\n");
  int l = listener(AF_INET, "127.0.0.1", 0), port = port_of(l);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4("127.0.0.1", port);
  connect(s, SA(a));
  int c = accept(l, NULL, NULL);
  close(s);
  char b;
  say("recv", recv(c, &b, 1, 0));
  say("send nothing", send(c, "", 0, MSG_NOSIGNAL));
  say("send", send(c, "x", 1, MSG_NOSIGNAL));
  say("send again (the peer reset it)", send(c, "x", 1, MSG_NOSIGNAL));
  close(c);
  close(l);
}

static void refused(void) {
  printf("-- a v6-only listener refuses IPv4\n");
  int l = listener(AF_INET6, "::", 1), port = port_of(l);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4("127.0.0.1", port);
  say("connect 127.0.0.1", connect(s, SA(a)));
  close(s);
  s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 m = v6("::ffff:127.0.0.1", port);
  say("connect ::ffff:127.0.0.1", connect(s, SA(m)));
  close(s);
  s = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 one = v6("::1", port);
  say("connect ::1", connect(s, SA(one)));
  close(s);
  int c = accept(l, NULL, NULL);
  say("accepted", c >= 0 ? 0 : -1);
  close(c);
  close(l);
}

static void nonblocking(void) {
  printf("-- nonblocking connect and accept, poll and select\n");
  int l = listener(AF_INET, "0.0.0.0", 0), port = port_of(l);
  fcntl(l, F_SETFL, O_NONBLOCK);
  say("accept with none waiting", accept(l, NULL, NULL));
  struct pollfd pl = {.fd = l, .events = POLLIN};
  say("poll the listener", poll(&pl, 1, 0));
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = v4("127.0.0.1", port);
  say("connect", connect(s, SA(a)));
  struct pollfd pw = {.fd = s, .events = POLLOUT};
  say("poll POLLOUT", poll(&pw, 1, 1000));
  printf("revents has POLLOUT %d, SO_ERROR %d\n", (pw.revents & POLLOUT) != 0, iopt(s, SOL_SOCKET, SO_ERROR));
  say("connect again", connect(s, SA(a)));
  say("and again", connect(s, SA(a)));
  name("peer", s, 1, port);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(l, &rd);
  struct timeval tv = {1, 0};
  say("select the listener", select(l + 1, &rd, NULL, NULL, &tv));
  int c = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  printf("accepted nonblocking %d\n", (fcntl(c, F_GETFL) & O_NONBLOCK) != 0);
  char b;
  say("recv with nothing queued", recv(c, &b, 1, 0));
  say("recv MSG_DONTWAIT", recv(s, &b, 1, MSG_DONTWAIT));
  send(s, "z", 1, 0);
  struct pollfd pr = {.fd = c, .events = POLLIN};
  say("poll POLLIN", poll(&pr, 1, 1000));
  say("recv", recv(c, &b, 1, 0));
  close(c);
  close(s);
  /* a refused nonblocking connect: EINPROGRESS, then SO_ERROR says why */
  s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  close(l);
  say("connect a closed port", connect(s, SA(a)));
  pw.fd = s;
  poll(&pw, 1, 1000);
  printf("revents has POLLOUT %d, SO_ERROR %d (ECONNREFUSED %d)\n", (pw.revents & POLLOUT) != 0,
         iopt(s, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
  say("connect again", connect(s, SA(a)));
  close(s);
  s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  say("connect a closed port", connect(s, SA(a)));
  poll(&pw, 1, 1000);
  say("connect again before SO_ERROR", connect(s, SA(a)));
  close(s);
}

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

/* a timer interrupts a receive's wait (CPython's socket timeouts poll) */
static void interrupted(void) {
  printf("-- an alarm interrupts a wait on a socket\n");
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = v4("127.0.0.1", 0);
  bind(u, SA(a));
  struct sigaction sa = {.sa_handler = on_alarm};
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct pollfd p = {.fd = u, .events = POLLIN};
  say("poll 5 s", poll(&p, 1, 5000));
  setitimer(ITIMER_REAL, &it, NULL);
  char b;
  say("recv", recv(u, &b, 1, 0));
  printf("alarms %d\n", alarms);
  close(u);
}

static void udp(int fam, const char *addr) {
  printf("-- udp %s %s\n", fam == AF_INET ? "IPv4" : "IPv6", addr);
  int r = socket(fam, SOCK_DGRAM, 0), s = socket(fam, SOCK_DGRAM, 0);
  struct sockaddr_in a = v4(addr, 0);
  struct sockaddr_in6 a6 = v6(addr, 0);
  fam == AF_INET ? bind(r, SA(a)) : bind(r, SA(a6));
  int port = port_of(r);
  a.sin_port = a6.sin6_port = htons((uint16_t)port);
  name("receiver", r, 0, port);
  name("sender before", s, 0, port);
  say("sendto", fam == AF_INET ? sendto(s, "dgram", 5, 0, SA(a)) : sendto(s, "dgram", 5, 0, SA(a6)));
  name("sender after (autobound)", s, 0, port);
  char buf[16];
  struct sockaddr_storage from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("recvfrom %zd: %.*s, from the sender's port %d\n", n, (int)(n > 0 ? n : 0), buf,
         ntohs(((struct sockaddr_in *)&from)->sin_port) == port_of(s));
  show("from", &from, fl, port);
  say("getpeername unconnected", getpeername(s, (struct sockaddr *)&from, &fl));
  say("send unconnected", send(s, "x", 1, 0));
  say("connect", fam == AF_INET ? connect(s, SA(a)) : connect(s, SA(a6)));
  name("sender peer", s, 1, port);
  say("send connected", send(s, "again", 5, 0));
  say("write connected", write(s, "third", 5));
  n = recv(r, buf, sizeof buf, 0);
  printf("recv %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  n = read(r, buf, sizeof buf);
  printf("read %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  say("recv nothing queued", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  int q = socket(fam, SOCK_DGRAM, 0);
  a.sin_port = a6.sin6_port = 0;
  fam == AF_INET ? bind(q, SA(a)) : bind(q, SA(a6));
  port = port_of(q);
  close(q);
  a.sin_port = a6.sin6_port = htons((uint16_t)port);
  say("sendto a port nobody bound", fam == AF_INET ? sendto(r, "lost", 4, 0, SA(a)) : sendto(r, "lost", 4, 0, SA(a6)));
  close(r);
  close(s);
}

/* UDP-Lite: datagrams among UDP-Lite sockets (their own port table) */
static void udplite(void) {
  printf("-- udplite\n");
  int r = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE), s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE);
  int u = socket(AF_INET, SOCK_DGRAM, 0), five = 5;
  printf("protocol %d %d\n", iopt(r, SOL_SOCKET, SO_PROTOCOL), iopt(s, SOL_SOCKET, SO_PROTOCOL));
  say("UDPLITE_SEND_CSCOV 5", setsockopt(s, IPPROTO_UDPLITE, 10, &five, sizeof five));
  printf("send coverage %d recv coverage %d\n", iopt(s, IPPROTO_UDPLITE, 10), iopt(s, IPPROTO_UDPLITE, 11));
  say("UDPLITE_SEND_CSCOV on UDP", setsockopt(u, IPPROTO_UDPLITE, 10, &five, sizeof five));
  struct sockaddr_in a = v4("127.0.0.1", 0);
  bind(r, SA(a));
  a.sin_port = htons((uint16_t)port_of(r));
  struct sockaddr_in6 m = v6("::ffff:127.0.0.1", port_of(r));
  say("UDP sendto its port", sendto(u, "udp", 3, 0, SA(a)));
  say("UDP-Lite sendto", sendto(s, "lite", 4, 0, SA(m)));
  char buf[8];
  struct sockaddr_storage from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("recvfrom %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  show("from", &from, fl, 0);
  say("recv nothing queued", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  close(r);
  close(s);
  close(u);
}

/* what IP's header carried, as control messages (RFC 3542) */
static void ancillary(void) {
  printf("-- hop limit and traffic class as control messages\n");
  int r = socket(AF_INET6, SOCK_DGRAM, 0), s = socket(AF_INET6, SOCK_DGRAM, 0), one = 1, hops = 7, tc = 40;
  struct sockaddr_in6 a = v6("::1", 0);
  bind(r, SA(a));
  a.sin6_port = htons((uint16_t)port_of(r));
  setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
  setsockopt(r, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
  for (int round = 0; round < 4; round++) {
    char ctl[CMSG_SPACE(sizeof(int)) * 2];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {"anc", 3};
    struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1};
    if (round == 1) {                  /* per-packet values */
      m.msg_control = ctl;
      m.msg_controllen = sizeof ctl;
      struct cmsghdr *c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = IPPROTO_IPV6; c->cmsg_type = IPV6_HOPLIMIT; c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &hops, sizeof hops);
      c = CMSG_NXTHDR(&m, c);
      c->cmsg_level = IPPROTO_IPV6; c->cmsg_type = IPV6_TCLASS; c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &tc, sizeof tc);
    }
    if (round == 2) setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof tc);
    say("sendmsg", sendmsg(s, &m, 0));
    char buf[8], rctl[64];
    struct iovec riov = {buf, sizeof buf};
    size_t room[4] = {sizeof rctl, sizeof rctl, CMSG_SPACE(sizeof(int)), CMSG_LEN(2)};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl, .msg_controllen = room[round]};
    memset(rctl, 0, sizeof rctl);
    ssize_t n = recvmsg(r, &rm, 0);
    printf("recvmsg %zd controllen %zu ctrunc %d:", n, (size_t)rm.msg_controllen, (rm.msg_flags & MSG_CTRUNC) != 0);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&rm); c; c = CMSG_NXTHDR(&rm, c)) {
      int v = -1;
      if (c->cmsg_len >= CMSG_LEN(sizeof v)) memcpy(&v, CMSG_DATA(c), sizeof v);
      printf(" (%d %d len %zu: %d)", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len, v);
    }
    printf("\n");
  }
  struct iovec iov = {"x", 1};
  char ctl[CMSG_SPACE(sizeof(int))] = {0};
  struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = IPPROTO_IPV6; c->cmsg_type = IPV6_HOPLIMIT; c->cmsg_len = CMSG_LEN(sizeof(int));
  int bad = 300;
  memcpy(CMSG_DATA(c), &bad, sizeof bad);
  say("sendmsg hop limit 300", sendmsg(s, &m, 0));
  close(r);
  close(s);
}

/* epoll over sockets: a listener, a connection's data, EPOLLOUT,
 * modify and delete, the event data kept, the errors */
static void epolls(void) {
  printf("-- epoll\n");
  int l = listener(AF_INET, "127.0.0.1", 0), port = port_of(l), ep = epoll_create1(EPOLL_CLOEXEC);
  printf("epoll cloexec %d\n", (fcntl(ep, F_GETFD) & FD_CLOEXEC) != 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull}, out[4];
  say("add the listener", epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
  say("add it again", epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
  say("wait, nothing ready", epoll_wait(ep, out, 4, 0));
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4("127.0.0.1", port);
  connect(s, SA(a));
  int n = epoll_wait(ep, out, 4, 1000);
  printf("wait: %d events %#x data %#llx\n", n, n > 0 ? out[0].events : 0, n > 0 ? (unsigned long long)out[0].data.u64 : 0);
  int c = accept(l, NULL, NULL);
  ev.events = EPOLLIN;
  ev.data.u64 = 7;
  epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
  say("wait, the listener drained", epoll_wait(ep, out, 4, 0));
  send(s, "hi", 2, 0);
  n = epoll_wait(ep, out, 4, 1000);
  printf("wait: %d events %#x data %llu\n", n, n > 0 ? out[0].events : 0, n > 0 ? (unsigned long long)out[0].data.u64 : 0);
  ev.events = EPOLLOUT;
  say("modify to EPOLLOUT", epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev));
  say("delete the listener", epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL));
  say("delete it again", epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL));
  n = epoll_pwait(ep, out, 4, 1000, NULL);
  printf("pwait: %d events %#x data %llu\n", n, n > 0 ? out[0].events : 0, n > 0 ? (unsigned long long)out[0].data.u64 : 0);
  close(s);
  ev.events = EPOLLIN | EPOLLRDHUP;
  epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev);
  n = epoll_wait(ep, out, 4, 1000);
  /* (EPOLLHUP left out: the model's peer close also says EPOLLHUP, as a
   * unix socket's does; TCP says it only once both directions shut) */
  printf("after the peer closed: %d events %#x\n", n, n > 0 ? out[0].events & ~EPOLLHUP : 0);
  char path[] = "/tmp/inetx.XXXXXX";
  int f = mkstemp(path);
  unlink(path);
  say("add a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
  say("add itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
  say("ctl on a socket", epoll_ctl(c, EPOLL_CTL_ADD, f, &ev));
  say("wait maxevents 0", epoll_wait(ep, out, 0, 0));
  say("wait on a socket", epoll_wait(c, out, 4, 0));
  say("epoll_create1 bad flags", epoll_create1(1));
  int e0 = epoll_create(0);   /* (glibc: EINVAL; musl's makes one) */
  say("epoll_create 0", e0 < 0 ? -1 : 0);
  if (e0 >= 0) close(e0);
  close(f);
  close(c);
  close(l);
  close(ep);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && !strcmp(argv[1], "connect")) {
    int fam = strchr(argv[2], ':') ? AF_INET6 : AF_INET;
    int s = socket(fam, SOCK_STREAM, 0);
    struct sockaddr_in a = v4(argv[2], atoi(argv[3]));
    struct sockaddr_in6 a6 = v6(argv[2], atoi(argv[3]));
    int r = fam == AF_INET ? connect(s, SA(a)) : connect(s, SA(a6));
    printf("connect %s %s: ", argv[2], argv[3]);
    say("", r);
    return 0;
  }
  options();
  errors();
  tcp(AF_INET, "127.0.0.1", 0, AF_INET, "127.0.0.1");
  tcp(AF_INET, "0.0.0.0", 0, AF_INET, "127.0.0.1");
  tcp(AF_INET6, "::1", 0, AF_INET6, "::1");
  tcp(AF_INET6, "::", 0, AF_INET, "127.0.0.1");
  tcp(AF_INET6, "::", 0, AF_INET6, "::ffff:127.0.0.1");
  closed_peer();
  refused();
  nonblocking();
  interrupted();
  udp(AF_INET, "127.0.0.1");
  udp(AF_INET6, "::1");
  udp(AF_INET6, "::");
  udplite();
  ancillary();
  epolls();
  return 0;
}
