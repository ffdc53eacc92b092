/* AF_UNIX naming (issue 19): a listener at a path and at an abstract name,
 * connect from a child process, accept, the names getsockname and
 * getpeername give, descriptors passed with SCM_RIGHTS (a pipe end and a
 * file), nonblocking accept, datagrams to a path and an abstract name
 * (the sender's name as the receiver hears it), autobind, and the errors Linux
 * gives (EADDRINUSE, ECONNREFUSED, ENOENT).  Its output must equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static socklen_t set_addr(struct sockaddr_un *a, const char *name, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(a->sun_path + (abstract ? 1 : 0), name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);   /* a path's NUL, an abstract name's leading 0 */
}

static void send_fd(int s, int fd) {
  char c = 'f';
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  if (sendmsg(s, &m, 0) != 1) perror("sendmsg");
}

static int recv_fd(int s) {
  char c;
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) != 1) { perror("recvmsg"); return -1; }
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  printf("  received a descriptor: cloexec %d, flags truncated %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
         (m.msg_flags & MSG_CTRUNC) != 0);
  return fd;
}

static void run(const char *name, int abstract, const char *dir) {
  struct sockaddr_un a, got;
  socklen_t al = set_addr(&a, name, abstract);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  int r = bind(l, (struct sockaddr *)&a, al);
  printf("%s listener: bind %d", abstract ? "abstract" : "path", r);
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  r = bind(again, (struct sockaddr *)&a, al);
  printf(", bind again: %d %s", r, strerror(errno));
  r = listen(l, 4);
  printf(", listen %d\n", r);
  close(again);
  socklen_t gl = sizeof got;
  getsockname(l, (struct sockaddr *)&got, &gl);
  printf("  getsockname: the same address %d\n", gl == al && !memcmp(&got, &a, al));
  if (!abstract) {
    struct stat st;
    printf("  the socket file exists in the directory: %d\n", !stat(name, &st) && S_ISSOCK(st.st_mode));
  }
  fcntl(l, F_SETFL, O_NONBLOCK);
  r = accept(l, NULL, NULL);
  printf("  nonblocking accept with no client: %d %s\n", r, strerror(errno));
  fcntl(l, F_SETFL, 0);
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, al)) { perror("connect"); _exit(1); }
    socklen_t pl = sizeof got;
    getpeername(c, (struct sockaddr *)&got, &pl);
    char same = pl == al && !memcmp(&got, &a, al) ? '1' : '0';   /* (the parent prints: one stream, in order) */
    write(c, &same, 1);
    send_fd(c, p[1]);                  /* the pipe's write end */
    char path[256];
    snprintf(path, sizeof path, "%s/passed.txt", dir);
    int f = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    send_fd(c, f);
    write(c, "hello", 5);
    _exit(0);
  }
  close(p[1]);
  struct sockaddr_un peer;
  socklen_t pl = sizeof peer;
  int s = accept(l, (struct sockaddr *)&peer, &pl);
  printf("  accepted: peer unnamed %d (len %u)\n", peer.sun_family == AF_UNIX, (unsigned)pl);
  char same = 0;
  read(s, &same, 1);
  printf("  the child's getpeername is the listener's name %c\n", same);
  gl = sizeof got;
  getsockname(s, (struct sockaddr *)&got, &gl);
  printf("  the accepted socket's name is the listener's %d\n", gl == al && !memcmp(&got, &a, al));
  int w = recv_fd(s), f = recv_fd(s);
  char buf[16] = {0};
  read(s, buf, 5);
  printf("  data after the descriptors: %s\n", buf);
  waitpid(pid, NULL, 0);
  write(w, "through the passed pipe end", 27);
  close(w);
  char pb[64] = {0};
  read(p[0], pb, sizeof pb - 1);
  printf("  %s\n", pb);
  write(f, "written through a passed file", 29);
  lseek(f, 0, SEEK_SET);
  char fb[64] = {0};
  read(f, fb, sizeof fb - 1);
  printf("  %s\n", fb);
  close(f);
  close(s);
  close(l);
  close(p[0]);
}

/* datagrams to an address (a path, an abstract name): the receiver hears
 * the sender's name and answers it; an unbound sender is unnamed */
static void dgram(const char *srv, const char *cli, int abstract) {
  struct sockaddr_un sa, ca, from;
  socklen_t sl = set_addr(&sa, srv, abstract), cl = set_addr(&ca, cli, abstract), fl = sizeof from;
  int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (bind(s, (struct sockaddr *)&sa, sl) || bind(c, (struct sockaddr *)&ca, cl)) perror("bind");
  printf("%s datagrams\n", abstract ? "abstract" : "path");
  printf("  sendto the server: %zd\n", sendto(c, "ping", 4, 0, (struct sockaddr *)&sa, sl));
  char buf[16];
  ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("  server got %zd from the client's name: %d (length %d)\n", n, fl == cl && !memcmp(&from, &ca, cl), fl == cl);
  printf("  answer: %zd\n", sendto(s, "pong", 4, 0, (struct sockaddr *)&from, fl));
  n = recv(c, buf, sizeof buf, 0);
  printf("  client got %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
  printf("  unbound sender: %zd\n", sendto(u, "anon", 4, 0, (struct sockaddr *)&sa, sl));
  fl = sizeof from;
  n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("  server got %zd, name length %u family %d\n", n, (unsigned)fl, from.sun_family);
  struct sockaddr_un no;
  socklen_t nl = set_addr(&no, abstract ? "no-such-dgram-name" : "no-such-dgram.sock", abstract);
  int r = (int)sendto(c, "x", 1, 0, (struct sockaddr *)&no, nl);
  printf("  sendto nobody: %d %s\n", r, r < 0 ? strerror(errno) : "");
  close(s);
  close(c);
  close(u);
  if (!abstract) { unlink(srv); unlink(cli); }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 2 && !strcmp(argv[1], "connect")) {   /* (tests/guests/CMakeLists.txt: a host socket) */
    struct sockaddr_un a;
    socklen_t al = set_addr(&a, argv[2], 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(c, (struct sockaddr *)&a, al);
    printf("connect %s: %d %s\n", argv[2], r, r ? strerror(errno) : "connected");
    return 0;
  }
  if (argc > 2 && !strcmp(argv[1], "bind")) {
    struct sockaddr_un a;
    socklen_t al = set_addr(&a, argv[2], 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = bind(c, (struct sockaddr *)&a, al);
    printf("bind %s: %d %s\n", argv[2], r, r ? strerror(errno) : "bound");
    return 0;
  }
  char dir[] = "/tmp/unixsockXXXXXX";
  if (!mkdtemp(dir)) return 1;
  if (chdir(dir)) return 1;
  run("listener.sock", 0, dir);
  char ab[64];
  snprintf(ab, sizeof ab, "unixsock-test-%d", (int)getpid());
  run(ab, 1, dir);
  struct sockaddr_un a;
  socklen_t al = set_addr(&a, "no-such.sock", 0);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  int r = connect(c, (struct sockaddr *)&a, al);
  printf("connect to a missing path: %d %s\n", r, strerror(errno));
  al = set_addr(&a, "passed.txt", 0);
  r = connect(c, (struct sockaddr *)&a, al);
  printf("connect to a file that is no socket: %d %s\n", r, strerror(errno));
  al = set_addr(&a, "no-such-abstract-name-here", 1);
  r = connect(c, (struct sockaddr *)&a, al);
  printf("connect to an abstract name no one bound: %d %s\n", r, strerror(errno));
  {                                    /* autobind: a bind of no name */
    struct sockaddr_un x, y;
    socklen_t xl = sizeof x, yl = sizeof y;
    int p = socket(AF_UNIX, SOCK_STREAM, 0), q = socket(AF_UNIX, SOCK_STREAM, 0);
    sa_family_t fam = AF_UNIX;
    printf("autobind: %d %d", bind(p, (struct sockaddr *)&fam, sizeof fam), bind(q, (struct sockaddr *)&fam, sizeof fam));
    getsockname(p, (struct sockaddr *)&x, &xl);
    getsockname(q, (struct sockaddr *)&y, &yl);
    printf(", lengths %u %u, abstract %d, five hex digits %d, different %d, again %d\n", (unsigned)xl, (unsigned)yl,
           x.sun_path[0] == 0, (int)strspn(x.sun_path + 1, "0123456789abcdef") == 5, memcmp(&x, &y, xl) != 0,
           bind(p, (struct sockaddr *)&fam, sizeof fam));
    close(p);
    close(q);
  }
  dgram("dgram-server.sock", "dgram-client.sock", 0);
  char ab2[64];
  snprintf(ab2, sizeof ab2, "unixsock-dgram-%d", (int)getpid());
  dgram(ab, ab2, 1);
  unlink("listener.sock");
  unlink("passed.txt");
  chdir("/");
  rmdir(dir);
  return 0;
}
