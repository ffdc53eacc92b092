/* Guest: extended attributes through every form (path, l*, f*): set with
 * XATTR_CREATE/XATTR_REPLACE, get (size probe, value, ERANGE for a short
 * buffer), list, remove, ENODATA, a symlink's own (none, EPERM to set),
 * name and size limits.  Answered by the host file system for the guest's
 * file; output must equal the native run's (both see the same file
 * system, whatever it supports). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *en(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
  case ENODATA: return "ENODATA";
  case EEXIST: return "EEXIST";
  case ERANGE: return "ERANGE";
  case EPERM: return "EPERM";
  case E2BIG: return "E2BIG";
  case ENOTSUP: return "ENOTSUP";
  case EBADF: return "EBADF";
  case ENOENT: return "ENOENT";
  default: return strerror(errno);
  }
}
#define SHOW(what, expr) do { errno = 0; long r_ = (long)(expr); printf("%s: %ld %s\n", what, r_, en(r_)); } while (0)

int main(void) {
  char f[] = "xattr.XXXXXX";
  int fd = mkstemp(f);
  if (fd < 0) return 2;
  char ln[64];
  snprintf(ln, sizeof ln, "%s.lnk", f);
  symlink(f, ln);
  char v[64] = {0}, list[256] = {0};
  SHOW("set user.a", setxattr(f, "user.a", "one", 3, 0));
  SHOW("set user.a XATTR_CREATE", setxattr(f, "user.a", "two", 3, XATTR_CREATE));
  SHOW("set user.b XATTR_REPLACE", setxattr(f, "user.b", "two", 3, XATTR_REPLACE));
  SHOW("fset user.b", fsetxattr(fd, "user.b", "second", 6, 0));
  SHOW("get size", getxattr(f, "user.a", NULL, 0));
  SHOW("get short buffer", getxattr(f, "user.b", v, 2));
  SHOW("get", getxattr(f, "user.a", v, sizeof v));
  printf("value: %.3s\n", v);
  SHOW("get through the link", getxattr(ln, "user.b", v, sizeof v));
  printf("value: %.6s\n", v);
  SHOW("fget", fgetxattr(fd, "user.a", v, sizeof v));
  long n = listxattr(f, list, sizeof list);
  int a = 0, b = 0;
  for (long i = 0; i < n; i += (long)strlen(list + i) + 1) { a |= !strcmp(list + i, "user.a"); b |= !strcmp(list + i, "user.b"); }
  printf("list: has user.a %d user.b %d\n", a, b);
  SHOW("flist size", flistxattr(fd, NULL, 0) >= 14 ? 0 : -1);
  SHOW("lget on the link", lgetxattr(ln, "user.a", v, sizeof v));
  SHOW("llist on the link", llistxattr(ln, list, sizeof list));
  SHOW("lset user on the link", lsetxattr(ln, "user.c", "x", 1, 0));
  SHOW("lset trusted on the link", lsetxattr(ln, "trusted.t", "tt", 2, 0));
  SHOW("lget trusted on the link", lgetxattr(ln, "trusted.t", v, sizeof v));
  SHOW("lremove trusted on the link", lremovexattr(ln, "trusted.t"));
  SHOW("remove user.a", removexattr(f, "user.a"));
  SHOW("get removed", getxattr(f, "user.a", v, sizeof v));
  SHOW("fremove user.b", fremovexattr(fd, "user.b"));
  SHOW("remove missing", removexattr(f, "user.zz"));
  char longname[300];
  memset(longname, 'n', sizeof longname);
  memcpy(longname, "user.", 5);
  longname[299] = 0;
  SHOW("name too long", setxattr(f, longname, "x", 1, 0));
  static char big[70000];
  SHOW("value too big", setxattr(f, "user.big", big, sizeof big, 0));
  SHOW("missing file", getxattr("no-such-file", "user.a", v, sizeof v));
  SHOW("bad fd", fgetxattr(99, "user.a", v, sizeof v));
  unlink(ln);
  unlink(f);
  return 0;
}
