/* Guest: the sockets the model offers.  socketpair(AF_UNIX) streams and
 * datagrams between processes (a receiver blocks until the other process
 * sends), send/recv flags (MSG_DONTWAIT, MSG_PEEK), shutdown, socket
 * options and names, EPIPE/SIGPIPE after the peer closed, and the errors
 * of calls on a socket that is not one (ENOTSOCK) or a socket where a
 * file is wanted (ftruncate, lseek, fsync: EINVAL/ESPIPE).  Output must
 * equal the native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
  case EAGAIN: return "EAGAIN";
  case EPIPE: return "EPIPE";
  case ENOTSOCK: return "ENOTSOCK";
  case EINVAL: return "EINVAL";
  case ESPIPE: return "ESPIPE";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EBADF: return "EBADF";
  default: return strerror(errno);
  }
}
#define SHOW(what, expr) do { errno = 0; long r_ = (long)(expr); printf("%s: %ld %s\n", what, r_, en(r_)); } while (0)
static volatile int piped;
static void on_pipe(int s) { (void)s; piped++; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int sv[2];
  SHOW("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    for (volatile long i = 0; i < 200000; i++) {}
    send(sv[1], "hello", 5, 0);
    char b[8];
    ssize_t n = recv(sv[1], b, sizeof b, 0);
    _exit(n == 3 && !memcmp(b, "ack", 3) ? 0 : 1);
  }
  char b[16] = {0};
  SHOW("recv blocks until the child sends", recv(sv[0], b, sizeof b, 0));
  printf("got: %s\n", b);
  SHOW("send", send(sv[0], "ack", 3, 0));
  int st;
  waitpid(pid, &st, 0);
  printf("child: %d\n", WEXITSTATUS(st));
  SHOW("recv MSG_DONTWAIT, nothing queued", recv(sv[0], b, sizeof b, MSG_DONTWAIT));
  write(sv[1], "peek", 4);
  SHOW("recv MSG_PEEK", recv(sv[0], b, 2, MSG_PEEK));
  SHOW("read after peek", read(sv[0], b, sizeof b));
  int type = 0;
  socklen_t l = sizeof type;
  SHOW("getsockopt SO_TYPE", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &l));
  printf("stream: %d\n", type == SOCK_STREAM);
  int sz = 65536;
  SHOW("setsockopt SO_SNDBUF", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz));
  struct sockaddr_un un;
  l = sizeof un;
  SHOW("getsockname", getsockname(sv[0], (struct sockaddr *)&un, &l));
  printf("family unix: %d\n", un.sun_family == AF_UNIX);
  SHOW("shutdown write", shutdown(sv[1], SHUT_WR));
  SHOW("read at EOF", read(sv[0], b, sizeof b));
  close(sv[1]);
  signal(SIGPIPE, on_pipe);
  SHOW("send to a closed peer", send(sv[0], "x", 1, 0));
  printf("SIGPIPE: %d\n", piped);
  SHOW("send MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL));
  printf("SIGPIPE: %d\n", piped);
  close(sv[0]);

  SHOW("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  send(sv[0], "one", 3, 0);
  send(sv[0], "two!", 4, 0);
  SHOW("dgram 1", recv(sv[1], b, sizeof b, 0));
  SHOW("dgram 2", recv(sv[1], b, sizeof b, 0));
  int s = socket(AF_INET, SOCK_STREAM, 0);
  SHOW("socket AF_INET", s >= 0 ? 0 : -1);
  SHOW("ftruncate a socket", ftruncate(s, 0));
  SHOW("lseek a socket", lseek(s, 0, SEEK_SET));
  SHOW("fsync a socket", fsync(s));
  SHOW("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv));
  SHOW("socket AF_PACKET-like family 99", socket(99, SOCK_STREAM, 0));
  int pfd[2];
  pipe(pfd);
  SHOW("recv on a pipe", recv(pfd[0], b, 1, MSG_DONTWAIT));
  SHOW("close a socket", close(s));
  return 0;
}
