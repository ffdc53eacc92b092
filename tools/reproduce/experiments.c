/* The experiments of `faultline reproduce`: guest programs shaped after
 * the published benchmarks (lmbench's lat_pagefault, lat_sig prot,
 * lat_mmap, lat_proc fork/exec as the Xen paper ran them; Adams & Agesen's
 * pgfault, ptemod and forkwait; a page-walk-bound pointer chase for the
 * 2-D walk ratio), written here from the papers' and manual pages'
 * descriptions.  One static program, one subcommand per experiment:
 *
 *   experiments pagefault N PAGES FILE   fault in each page of a cached,
 *                                        mapped file, N times
 *   experiments prot N                   a write to a read-only page, caught
 *                                        by a SIGSEGV handler, N times
 *   experiments mmap N BYTES FILE        map the file's first BYTES, touch
 *                                        one byte every 160 KiB, unmap
 *   experiments fork N                   fork, the child exits, wait
 *   experiments exec N SELF              fork, the child execs SELF hello, wait
 *   experiments pgfault N                a read fault on an untouched
 *                                        anonymous page (the zero page)
 *   experiments ptemod N                 mprotect one resident page RO and back
 *   experiments chase N PAGES            a dependent load per page of a
 *                                        PAGES-page ring, N loads
 *   experiments null N                   a null system call (getppid), N times
 *   experiments hello                    exec proc's child: one write
 *
 * Only the measured operation is inside the region of interest
 * (faultline_roi.h: one NOP natively), so `faultline reproduce` divides the
 * region's modelled cycles by the operation count.  Natively the program
 * times the same region with clock_gettime and prints nanoseconds per
 * operation, so it doubles as a host measurement. */
#define _GNU_SOURCE
#include "tools/faultline_roi.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096l

static struct timespec t_begin;
static double t_total_ns;

static void begin(void) {
  clock_gettime(CLOCK_MONOTONIC, &t_begin);
  FAULTLINE_ROI_BEGIN();
}
static void end(void) {
  FAULTLINE_ROI_END();
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t_total_ns += (double)(t.tv_sec - t_begin.tv_sec) * 1e9 + (double)(t.tv_nsec - t_begin.tv_nsec);
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static long arg(char **av, int i, int ac) {
  if (i >= ac) {
    fprintf(stderr, "experiments: %s needs more arguments\n", av[1]);
    exit(2);
  }
  return strtol(av[i], NULL, 0);
}

/* a file of `bytes` bytes, written (so its pages are in the page cache) */
static int cached_file(const char *path, long bytes) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die(path);
  static char buf[64 * 1024];
  memset(buf, 'x', sizeof buf);
  for (long done = 0; done < bytes;) {
    long n = bytes - done < (long)sizeof buf ? bytes - done : (long)sizeof buf;
    if (write(fd, buf, (size_t)n) != n) die("write");
    done += n;
  }
  unlink(path);                     /* the descriptor keeps it */
  return fd;
}

/* a fixed pseudo-random order of n items (the same in every run) */
static long *permutation(long n) {
  long *p = malloc((size_t)n * sizeof *p);
  if (!p) die("malloc");
  for (long i = 0; i < n; i++) p[i] = i;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (long i = n - 1; i > 0; i--) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    long j = (long)(x % (uint64_t)(i + 1)), t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/* lat_pagefault's shape: each page of a mapped, cached file faulted in
 * once (in a scattered order, so no readahead pattern), mapping and
 * unmapping outside the region */
static long exp_pagefault(long n, long pages, const char *path) {
  int fd = cached_file(path, pages * PAGE);
  long *order = permutation(pages);
  volatile char sink = 0;
  for (long it = 0; it < n; it++) {
    char *p = mmap(NULL, (size_t)(pages * PAGE), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    begin();
    for (long i = 0; i < pages; i++) sink += p[order[i] * PAGE];
    end();
    munmap(p, (size_t)(pages * PAGE));
  }
  (void)sink;
  return n * pages;
}

/* lat_sig prot's shape: a store to a read-only page; the handler steps
 * over the store (a 3-byte `movb $1, (%rdi)`) and returns */
static void prot_handler(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)si;
  ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] += 3;
}
static long exp_prot(long n) {
  char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  p[0] = 1;
  if (mprotect(p, PAGE, PROT_READ)) die("mprotect");
  struct sigaction sa = {0};
  sa.sa_sigaction = prot_handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  begin();
  for (long i = 0; i < n; i++) __asm__ volatile(".byte 0xc6, 0x07, 0x01" ::"D"(p) : "memory");
  end();
  return n;
}

/* lat_mmap's shape: map the file's first bytes, touch one byte every
 * 160 KiB (10 x 16 KiB), unmap */
static long exp_mmap(long n, long bytes, const char *path) {
  int fd = cached_file(path, bytes);
  volatile char sink = 0;
  begin();
  for (long it = 0; it < n; it++) {
    char *p = mmap(NULL, (size_t)bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    for (long off = 0; off < bytes; off += 160 * 1024) sink += p[off];
    munmap(p, (size_t)bytes);
  }
  end();
  (void)sink;
  return n;
}

/* lat_proc fork / Adams & Agesen's forkwait: fork, the child exits at
 * once, the parent waits */
static long exp_fork(long n) {
  begin();
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) _exit(0);
    int st;
    if (waitpid(pid, &st, 0) != pid) die("waitpid");
  }
  end();
  return n;
}

/* lat_proc exec: fork, the child execs a small program, the parent waits */
static long exp_exec(long n, const char *self) {
  char *const av[] = {(char *)self, "hello", NULL};
  char *const ev[] = {NULL};
  begin();
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      execve(self, av, ev);
      _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) die("exec child");
  }
  end();
  return n;
}

/* Adams & Agesen's pgfault: a page fault the kernel resolves without
 * allocating (a read of an untouched anonymous page maps the zero page) */
static long exp_pgfault(long n) {
  char *p = mmap(NULL, (size_t)(n * PAGE), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  madvise(p, (size_t)(n * PAGE), MADV_NOHUGEPAGE);
  volatile char sink = 0;
  begin();
  for (long i = 0; i < n; i++) sink += p[i * PAGE];
  end();
  (void)sink;
  return n;
}

/* Adams & Agesen's ptemod: the guest kernel modifies a live PTE.  A user
 * program's way to make it do that: mprotect one resident page read-only
 * and back (two PTE stores, each with its TLB flush) */
static long exp_ptemod(long n) {
  char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  p[0] = 1;
  begin();
  for (long i = 0; i < n; i++) {
    mprotect(p, PAGE, PROT_READ);
    mprotect(p, PAGE, PROT_READ | PROT_WRITE);
  }
  end();
  return 2 * n;
}

/* lat_syscall null's shape: the cheapest system call */
static long exp_null(long n) {
  begin();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  end();
  return n;
}

/* a pointer chase with one pointer per page in a ring of `pages` pages
 * (scattered order): every load misses the L1 DTLB once the ring is larger
 * than its reach, so the loop is bound by page walks */
static long exp_chase(long n, long pages) {
  char *p = mmap(NULL, (size_t)(pages * PAGE), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  madvise(p, (size_t)(pages * PAGE), MADV_NOHUGEPAGE);
  long *order = permutation(pages);
  for (long i = 0; i < pages; i++)
    *(char **)(p + order[i] * PAGE) = p + order[(i + 1) % pages] * PAGE;
  char *q = p + order[0] * PAGE;
  for (long i = 0; i < pages; i++) q = *(char **)q;   /* every page touched before the region */
  begin();
  for (long i = 0; i < n; i++) q = *(char *volatile *)q;
  end();
  if (!q) puts("");
  return n;
}

int main(int ac, char **av) {
  if (ac < 2) {
    fputs("usage: experiments pagefault|prot|mmap|fork|exec|pgfault|ptemod|chase|null|hello ARGS\n", stderr);
    return 2;
  }
  const char *e = av[1];
  long ops;
  if (!strcmp(e, "hello")) {
    static const char msg[] = "Hello world\n";
    return write(1, msg, sizeof msg - 1) == (ssize_t)sizeof msg - 1 ? 0 : 1;
  } else if (!strcmp(e, "pagefault")) ops = exp_pagefault(arg(av, 2, ac), arg(av, 3, ac), ac > 4 ? av[4] : "experiments.tmp");
  else if (!strcmp(e, "prot")) ops = exp_prot(arg(av, 2, ac));
  else if (!strcmp(e, "mmap")) ops = exp_mmap(arg(av, 2, ac), arg(av, 3, ac), ac > 4 ? av[4] : "experiments.tmp");
  else if (!strcmp(e, "fork")) ops = exp_fork(arg(av, 2, ac));
  else if (!strcmp(e, "exec")) ops = exp_exec(arg(av, 2, ac), ac > 3 ? av[3] : "/proc/self/exe");
  else if (!strcmp(e, "pgfault")) ops = exp_pgfault(arg(av, 2, ac));
  else if (!strcmp(e, "ptemod")) ops = exp_ptemod(arg(av, 2, ac));
  else if (!strcmp(e, "null")) ops = exp_null(arg(av, 2, ac));
  else if (!strcmp(e, "chase")) ops = exp_chase(arg(av, 2, ac), arg(av, 3, ac));
  else {
    fprintf(stderr, "experiments: no experiment '%s'\n", e);
    return 2;
  }
  printf("%s %ld ops %.1f ns/op\n", e, ops, t_total_ns / (double)ops);
  return 0;
}
