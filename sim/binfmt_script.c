/* "#!" scripts (fs/binfmt_script.c): a file whose first bytes are
 * "#!interpreter [argument]" runs the interpreter with argv
 * [interpreter, argument (if any), the script's path, argv[1..]].  The
 * script must be executable for the caller; the interpreter may be a
 * script itself, up to Linux's depth of 4 (then ELOOP).  Anything else
 * goes to the ELF loader (load_elf), which answers ENOEXEC for what it
 * cannot run. */
#include "sim/kernel.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BINPRM_BUF_SIZE 256
#define MAX_DEPTH 4

/* 1: a script, with interp/arg filled; 0: not one; <0: -errno */
static int read_shebang(struct kernel *k, const char *path, char *interp, char *arg) {
  int fd = path_open(k, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return 0;                  /* load_elf reports the open's error */
  char buf[BINPRM_BUF_SIZE + 1];
  ssize_t n = pread(fd, buf, BINPRM_BUF_SIZE, 0);
  struct stat st;
  bool regular = !fstat(fd, &st) && S_ISREG(st.st_mode);
  bool exec_ok = syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0 || errno == ENOSYS;
  close(fd);
  if (n < 2 || buf[0] != '#' || buf[1] != '!' || !regular) return 0;
  if (!exec_ok) return -EACCES;
  buf[n] = 0;
  char *nl = memchr(buf, '\n', (size_t)n);
  if (!nl && n == BINPRM_BUF_SIZE) {
    /* the line does not fit: fine only if the interpreter's name ends
     * inside the buffer (Linux then truncates the argument) */
    char *p = buf + 2;
    while (*p == ' ' || *p == '\t') p++;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (!*p) return -ENOEXEC;
  }
  if (nl) *nl = 0;
  char *p = buf + 2;
  while (*p == ' ' || *p == '\t') p++;
  if (!*p) return -ENOEXEC;              /* "#!" and nothing */
  char *e = p;
  while (*e && *e != ' ' && *e != '\t') e++;
  size_t il = (size_t)(e - p);
  memcpy(interp, p, il);
  interp[il] = 0;
  while (*e == ' ' || *e == '\t') e++;
  char *end = e + strlen(e);
  while (end > e && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
  memcpy(arg, e, (size_t)(end - e));
  arg[end - e] = 0;
  return 1;
}

int load_program(struct kernel *k, const char *path, char *const argv[], char *const envp[],
                 char *err, size_t errlen) {
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", path);
  /* the argv being built: ownership of the strings stays with the caller
   * (or with `owned`, for the ones made here) */
  size_t argc = 0;
  while (argv[argc]) argc++;
  char **av = calloc(argc + 2 * MAX_DEPTH + 2, sizeof *av);
  char *owned[3 * MAX_DEPTH];
  int nowned = 0, r = 0;
  if (!av) return -ENOMEM;
  for (size_t i = 0; i < argc; i++) av[i] = argv[i];
  for (int depth = 0;; depth++) {
    char interp[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];
    int s = read_shebang(k, cur, interp, arg);
    if (s < 0) { r = s; snprintf(err, errlen, "%s: %s", cur, strerror(-s)); break; }
    if (s == 0) { r = load_elf(k, cur, av, envp, err, errlen); break; }
    if (depth == MAX_DEPTH) { r = -ELOOP; snprintf(err, errlen, "%s: too many script interpreters", path); break; }
    /* argv: interp, [arg], the script's path, the old argv[1..] */
    size_t n = 0;
    while (av[n]) n++;
    size_t keep = n ? n - 1 : 0, lead = arg[0] ? 3 : 2;
    memmove(av + lead, av + 1, keep * sizeof *av);
    av[lead + keep] = NULL;
    owned[nowned++] = av[0] = strdup(interp);
    if (arg[0]) owned[nowned++] = av[1] = strdup(arg);
    owned[nowned++] = av[lead - 1] = strdup(cur);
    snprintf(cur, sizeof cur, "%s", interp);
  }
  for (int i = 0; i < nowned; i++) free(owned[i]);
  free(av);
  return r;
}
