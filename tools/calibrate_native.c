/* faultline calibrate: measurements on the host kernel.  Components (what
 * the model has a step for) and whole faults (held out) are kept apart:
 * the fitting code only ever sees struct cal_components.
 *
 * Every timing is lfence-rdtsc-lfence around one operation, and the
 * median over many repetitions: the median ignores the interrupts, page
 * reclaim and hypervisor preemptions that hit a few samples. */
#include "tools/calibrate.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   /* Linux 5.14 */
#define MADV_POPULATE_WRITE 23
#endif

uint64_t cal_tick(void) {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
uint64_t cal_median(uint64_t *v, int n) {
  if (n <= 0) return 0;
  qsort(v, (size_t)n, sizeof *v, cmp_u64);
  return v[n / 2];
}

/* TSC ticks per core cycle: a chain of dependent ADDs retires one per
 * cycle on every x86 core since the P6, whatever the TSC frequency */
double cal_tsc_per_cycle(void) {
  uint64_t best = ~0ull;
  const uint64_t n = 20000000;
  for (int r = 0; r < 5; r++) {
    uint64_t x = 0, t0 = cal_tick();
    for (uint64_t i = 0; i < n / 8; i++)
      __asm__ volatile("add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0"
                       : "+r"(x));
    uint64_t t = cal_tick() - t0;
    if (t < best) best = t;
  }
  return (double)best / (double)n;
}

/* ---- kernel entry and exit, decomposed with signals ----
 * One handler for every signal below: it skips the instruction that
 * raised it (skip_len bytes) and returns through rt_sigreturn.
 *   #DE (div 0):  IDT entry, do_error_trap, queue SIGFPE, deliver, IRET
 *   #PF PROT_NONE: the same plus CR2, the VMA lookup and access check
 *   delivery:     rt_sigprocmask unblocking a pending SIGUSR1, minus the
 *                 same unblock with nothing pending: build the frame, run
 *                 the handler, rt_sigreturn
 *   queueing:     tgkill of a blocked SIGUSR1 not yet pending, minus one
 *                 already pending (which Linux drops before queueing)
 * so an exception round trip without the signal is #DE - delivery -
 * queueing, and #PF - #DE is the fault's lookup.
 * ud2 (#UD -> SIGILL) is timed too, for the report only: KVM intercepts
 * #UD in every guest (to emulate VMCALL/VMMCALL across vendors), so on a
 * KVM-hosted machine it includes a VM exit and cannot stand for an
 * exception.  #DE and #PF (with EPT/NPT) are not intercepted. */
static volatile int skip_len;
static void skip_handler(int s, siginfo_t *si, void *ucv) {
  (void)s; (void)si;
  ucontext_t *uc = ucv;
  uc->uc_mcontext.gregs[REG_RIP] += skip_len;
}

static uint64_t m_syscall(int reps) {
  uint64_t *v = malloc(sizeof *v * (size_t)reps);
  for (int i = 0; i < reps; i++) { uint64_t t0 = cal_tick(); syscall(SYS_getppid); v[i] = cal_tick() - t0; }
  uint64_t r = cal_median(v, reps);
  free(v);
  return r;
}

enum sigkind { SK_DE, SK_ILL, SK_SEGV };
static uint64_t m_signal(int reps, enum sigkind kind) {
  char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static const int sigs[] = {SIGFPE, SIGILL, SIGSEGV}, lens[] = {2, 2, 3};
  int sig = sigs[kind];
  struct sigaction sa = {0}, old;
  sa.sa_sigaction = skip_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, &old);
  skip_len = lens[kind];
  uint64_t *v = malloc(sizeof *v * (size_t)reps);
  for (int i = 0; i < reps; i++) {
    uint64_t t0 = cal_tick();
    if (kind == SK_DE) __asm__ volatile("xor %%edx,%%edx\n\t.byte 0xf7,0xf1" :: "a"(1), "c"(0) : "rdx", "memory"); /* div %ecx */
    else if (kind == SK_ILL) __asm__ volatile(".byte 0x0f,0x0b" ::: "memory");               /* ud2 */
    else __asm__ volatile(".byte 0xc6,0x07,0x01" :: "D"(p) : "memory");                      /* movb $1,(%rdi) */
    v[i] = cal_tick() - t0;
  }
  sigaction(sig, &old, NULL);
  munmap(p, 4096);
  uint64_t r = cal_median(v, reps);
  free(v);
  return r;
}

/* delivery and queueing of SIGUSR1, see above */
static void m_sig_parts(int reps, uint64_t *deliver, uint64_t *queue) {
  struct sigaction sa = {0}, old;
  sa.sa_sigaction = skip_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, &old);
  skip_len = 0;
  sigset_t usr1, prev;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, NULL, &prev);
  pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);
  uint64_t *a = malloc(sizeof *a * (size_t)reps * 4), *b = a + reps, *q = b + reps, *d = q + reps;
  for (int i = 0; i < reps; i++) {
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    uint64_t t0 = cal_tick();
    syscall(SYS_tgkill, pid, tid, SIGUSR1);                  /* queued */
    uint64_t t1 = cal_tick();
    syscall(SYS_tgkill, pid, tid, SIGUSR1);                  /* already pending: dropped */
    uint64_t t2 = cal_tick();
    q[i] = t1 - t0;
    d[i] = t2 - t1;
    t0 = cal_tick();
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);                   /* delivers */
    a[i] = cal_tick() - t0;
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    t0 = cal_tick();
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);                   /* nothing pending */
    b[i] = cal_tick() - t0;
  }
  uint64_t ma = cal_median(a, reps), mb = cal_median(b, reps), mq = cal_median(q, reps), md = cal_median(d, reps);
  *deliver = ma > mb ? ma - mb : 0;
  *queue = mq > md ? mq - md : 0;
  sigprocmask(SIG_SETMASK, &prev, NULL);
  sigaction(SIGUSR1, &old, NULL);
  free(a);
}

/* ---- 4 KiB clear and copy, the way the kernel does them ----
 * clear_page_erms is REP STOSB and copy_page is REP MOVSQ
 * (arch/x86/lib/clear_page_64.S, copy_page_64.S).  The destination cycles
 * over 1 MiB of frames (out of L1/L2, in the LLC), as a frame just taken
 * from the allocator's LIFO per-CPU lists is.  The copy is timed twice:
 * from an LLC-resident source, and from a source picked at random in
 * 128 MiB written long before (DRAM), which is what a COW fault copies:
 * a page last written before the fork. */
static uint64_t m_page_op(int reps, bool copy, bool cold) {
  const size_t pages = 256, spages = cold ? 32768 : 256;
  char *a = aligned_alloc(4096, pages * 4096), *b = aligned_alloc(4096, spages * 4096);
  memset(a, 1, pages * 4096);
  memset(b, 2, spages * 4096);
  uint64_t *v = malloc(sizeof *v * (size_t)reps);
  for (int i = 0; i < reps; i++) {
    char *d = a + (size_t)i % pages * 4096;
    const char *s = b + (size_t)i * 7919 % spages * 4096;
    size_t n = copy ? 512 : 4096;
    uint64_t t0 = cal_tick();
    if (copy) __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
    else __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
    v[i] = cal_tick() - t0;
  }
  uint64_t r = cal_median(v, reps);
  free(v); free(a); free(b);
  return r;
}

/* ---- the kernel's fault body without the exception ----
 * MADV_POPULATE_{READ,WRITE} (Linux 5.14) fault pages in through GUP:
 * for each page, handle_mm_fault() does exactly what a #PF would after
 * the VMA lookup (allocate, zero, charge, set the PTE; or find the
 * page-cache page and map it), with no exception, entry, exit or VMA
 * lookup per page.  Populating again, once the pages are mapped, times
 * GUP's own walk-and-pin per page, which is subtracted. */
static void populate(char *base, size_t chunk, int reps, int advice, uint64_t *first, uint64_t *again) {
  uint64_t *v = malloc(sizeof *v * (size_t)reps), *w = malloc(sizeof *w * (size_t)reps);
  for (int i = 0; i < reps; i++) {
    char *p = base + (size_t)i * chunk * 4096;
    uint64_t t0 = cal_tick();
    int e1 = madvise(p, chunk * 4096, advice);
    uint64_t t1 = cal_tick();
    int e2 = madvise(p, chunk * 4096, advice);
    uint64_t t2 = cal_tick();
    if (e1 || e2) { *first = *again = 0; free(v); free(w); return; }   /* kernel < 5.14 */
    v[i] = (t1 - t0) / chunk;
    w[i] = (t2 - t1) / chunk;
  }
  *first = cal_median(v, reps);
  *again = cal_median(w, reps);
  free(v); free(w);
}

/* a file of `pages` pages, written, flushed (clean pages, as a file read
 * from disk would be) and still in the page cache; unlinked at once */
int cal_cached_file(const char *dir, size_t pages) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/.faultline-calibrate-XXXXXX", dir && *dir ? dir : ".");
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(path, sizeof path, "/tmp/.faultline-calibrate-XXXXXX");
    if ((fd = mkstemp(path)) < 0) return -1;
  }
  unlink(path);
  char buf[4096];
  memset(buf, 0x5a, sizeof buf);
  for (size_t i = 0; i < pages; i++)
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { close(fd); return -1; }
  fdatasync(fd);
  return fd;
}

/* The file's first n pages, each in a VMA of its own, at consecutive
 * addresses.  Fault-around and large-folio mapping never cross a VMA, so
 * a touch maps exactly one page.  (MADV_RANDOM does not do it: Linux 6.x
 * should_fault_around() ignores VM_RAND_READ, which only turns readahead
 * off; measured here: ~16 pages mapped per fault with MADV_RANDOM.)
 * Offsets run backwards so that neighbouring VMAs cannot merge (a merge
 * needs the next VMA's file offset to follow on). */
static char *one_page_vmas(int fd, size_t n) {
  char *base = mmap(NULL, n * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return NULL;
  for (size_t i = 0; i < n; i++)
    if (mmap(base + i * 4096, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, (off_t)((n - 1 - i) * 4096)) == MAP_FAILED) {
      munmap(base, n * 4096);
      return NULL;
    }
  return base;
}

static long minflt(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

/* ---- TLB miss ----
 * A dependent chase touching a new 4 KiB page per step, over more pages
 * than any STLB covers, minus the same chase over the same addresses
 * backed by 2 MiB pages (64 of them: no STLB misses).  The data accesses
 * are identical, so the difference is the walk; where THP is unavailable
 * it falls back to a chase inside one page, which leaves the data-cache
 * misses in (reported). */
/* lay a random cyclic chase over `pages` pages of mem (a different line
 * in each page: fewer cache-set conflicts); returns its start */
static char *chase_build(char *mem, size_t pages) {
  uint64_t *idx = malloc(sizeof *idx * pages);
  for (size_t i = 0; i < pages; i++) idx[i] = i;
  uint64_t s = 12345;
  for (size_t i = pages - 1; i > 0; i--) { s = s * 6364136223846793005ull + 1; size_t j = (s >> 33) % (i + 1); uint64_t t = idx[i]; idx[i] = idx[j]; idx[j] = t; }
  for (size_t i = 0; i < pages; i++)
    *(char **)(mem + idx[i] * 4096 + (i % 64) * 64) = mem + idx[(i + 1) % pages] * 4096 + ((i + 1) % 64) * 64;
  char *start = mem + idx[0] * 4096;
  free(idx);
  return start;
}

static uint64_t chase_run(char *p, size_t warm, int steps) {
  for (size_t i = 0; i < warm; i++) p = *(char **)p;            /* warm the caches with the data */
  uint64_t t0 = cal_tick();
  for (int i = 0; i < steps; i++) p = *(char **)p;
  uint64_t t = cal_tick() - t0;
  __asm__ volatile("" : : "r"(p));
  return t / (uint64_t)steps;
}

static long anon_huge_kb(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

/* both layouts live at once and are timed in alternation, keeping the
 * fastest round of each: a neighbour VM or an interrupt can only slow a
 * round down, and alternating keeps the two under the same conditions */
static void m_walk(struct cal_components *c, int steps, int rounds) {
  const size_t pages = 32768, len = pages * 4096, align = 2u << 20;
  char *raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *big = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
  char *small = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(small, len, MADV_NOHUGEPAGE);
  long kb0 = anon_huge_kb();
  madvise(big, len, MADV_HUGEPAGE);
  char *pb = chase_build(big, pages), *ps = chase_build(small, pages);
  c->thp = anon_huge_kb() - kb0 >= (long)(len / 1024) * 3 / 4;
  if (!c->thp) {   /* no THP: a chase inside one page instead (data misses left in) */
    for (int i = 0; i < 64; i++) *(char **)(big + i * 64) = big + ((i + 1) % 64) * 64;
    pb = big;
  }
  c->chase_4k = c->chase_2m = ~0ull;
  for (int r = 0; r < rounds; r++) {
    uint64_t t4 = chase_run(ps, pages, steps), t2 = chase_run(pb, c->thp ? pages : 64, steps);
    if (t4 < c->chase_4k) c->chase_4k = t4;
    if (t2 < c->chase_2m) c->chase_2m = t2;
  }
  munmap(raw, len + align);
  munmap(small, len);
}

/* Exception entry and return with the least kernel work between: parent
 * writes its pages, forks a child that exits at once, then writes them
 * again.  Each is a write fault on a read-only PTE of an anonymous page
 * the parent alone maps again, which do_wp_page reuses: entry, VMA lookup,
 * the PTE made writable, return.  A component (no allocation, zeroing,
 * copy or page-cache work: none of the held-out faults' bodies). */
static uint64_t m_reuse_fault(int n, long *faults) {
  char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);
  for (int i = 0; i < n; i++) p[(size_t)i * 4096] = 1;
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid < 0) { munmap(p, (size_t)n * 4096); return 0; }
  waitpid(pid, NULL, 0);
  uint64_t *v = malloc(sizeof *v * (size_t)n);
  long m0 = minflt();
  for (int i = 0; i < n; i++) { uint64_t t0 = cal_tick(); p[(size_t)i * 4096] = 2; v[i] = cal_tick() - t0; }
  *faults = minflt() - m0;
  uint64_t r = cal_median(v, n);
  free(v);
  munmap(p, (size_t)n * 4096);
  return r;
}

void cal_measure_components(struct cal_components *c, int quick, int fd, size_t file_pages) {
  int reps = quick ? 300 : 5000, sreps = quick ? 200 : 3000;
  memset(c, 0, sizeof *c);
  c->syscall = m_syscall(reps);
  m_sig_parts(sreps, &c->sig_deliver, &c->sig_queue);
  c->sig_de = m_signal(sreps, SK_DE);
  c->sig_ill = m_signal(sreps / 4, SK_ILL);
  c->sig_segv = m_signal(sreps, SK_SEGV);
  c->reuse_writes = quick ? 500 : 4000;
  c->reuse_fault = m_reuse_fault((int)c->reuse_writes, &c->reuse_faults);
  c->zero = m_page_op(reps, false, false);
  c->copy = m_page_op(reps, true, false);
  c->copy_cold = m_page_op(reps, true, true);

  const size_t chunk = 32;
  int preps = quick ? 16 : 200;
  size_t len = (size_t)preps * chunk * 4096;
  char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(a, len, MADV_NOHUGEPAGE);          /* 4 KiB pages, as the held-out fault */
  populate(a, chunk, preps, MADV_POPULATE_WRITE, &c->pop_anon, &c->pop_anon_again);
  munmap(a, len);
  /* file: one page per fault (one-page VMAs), then one ordinary VMA where
   * fault-around maps the neighbours; minflt says how many pages each
   * fault mapped there */
  size_t n = (size_t)preps * chunk;
  if (fd >= 0 && n <= file_pages) {
    char *f = one_page_vmas(fd, n);
    if (f) {
      populate(f, chunk, preps, MADV_POPULATE_READ, &c->pop_file, &c->pop_file_again);
      munmap(f, n * 4096);
    }
    f = mmap(NULL, n * 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (f != MAP_FAILED) {
      long m0 = minflt();
      populate(f, chunk, preps, MADV_POPULATE_READ, &c->pop_fa, &c->pop_fa_again);
      c->fa_faults = minflt() - m0;
      c->fa_pages = (long)n;
      munmap(f, n * 4096);
    }
  }
  m_walk(c, quick ? 20000 : 100000, quick ? 3 : 8);
}

/* ---- held out: whole faults ---- */
static uint64_t m_anon_fault(int n) {
  char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);
  uint64_t *v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++) { uint64_t t0 = cal_tick(); p[(size_t)i * 4096] = 1; v[i] = cal_tick() - t0; }
  uint64_t r = cal_median(v, n);
  free(v);
  munmap(p, (size_t)n * 4096);
  return r;
}

static uint64_t m_cow_fault(int n) {
  char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);
  for (int i = 0; i < n; i++) p[(size_t)i * 4096] = 1;
  int fd[2];
  if (pipe(fd)) return 0;
  pid_t pid = fork();
  if (pid == 0) {
    uint64_t *v = malloc(sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++) { uint64_t t0 = cal_tick(); p[(size_t)i * 4096] = 2; v[i] = cal_tick() - t0; }
    uint64_t r = cal_median(v, n);
    if (write(fd[1], &r, sizeof r) != sizeof r) _exit(1);
    _exit(0);
  }
  uint64_t r = 0;
  if (pid < 0 || read(fd[0], &r, sizeof r) != sizeof r) r = 0;
  if (pid > 0) waitpid(pid, NULL, 0);
  close(fd[0]); close(fd[1]);
  munmap(p, (size_t)n * 4096);
  return r;
}

/* first read of a page-cache-resident file page: with fault-around off
 * (one-page VMAs, see one_page_vmas) and on (an ordinary VMA, touches 16
 * pages apart so each lands in its own 64 KiB fault-around window);
 * minflt over the touches says whether each touch was one fault */
static uint64_t m_file_fault(int fd, size_t n, bool around, long *touches, long *faults) {
  size_t step = around ? 16 : 1, len = n * 4096;
  volatile char *p = around ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : (volatile char *)one_page_vmas(fd, n);
  if (!p || p == MAP_FAILED) return 0;
  int k = (int)(n / step);
  uint64_t *v = malloc(sizeof *v * (size_t)k);
  long m0 = minflt();
  for (int i = 0; i < k; i++) { uint64_t t0 = cal_tick(); (void)p[(size_t)i * step * 4096]; v[i] = cal_tick() - t0; }
  *faults = minflt() - m0;
  *touches = k;
  uint64_t r = cal_median(v, k);
  free(v);
  munmap((void *)p, len);
  return r;
}

void cal_measure_whole(struct cal_whole *w, int quick, int fd, size_t file_pages) {
  memset(w, 0, sizeof *w);
  w->anon = m_anon_fault(quick ? 500 : 20000);
  w->cow = m_cow_fault(quick ? 500 : 5000);
  if (fd < 0) { snprintf(w->note, sizeof w->note, "cannot create a scratch file"); return; }
  w->file = m_file_fault(fd, file_pages, false, &w->file_touches, &w->file_faults);
  w->file_fa = m_file_fault(fd, file_pages, true, &w->fa_touches, &w->fa_faults);
  if (!w->file) snprintf(w->note, sizeof w->note, "cannot map the scratch file");
}

/* ---- held out: fork + exit + wait of a tiny static process ---- */
uint64_t cal_measure_forkwait(const char *dir, int n, char *why, size_t whylen) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/.faultline-forkwait-XXXXXX", dir && *dir ? dir : ".");
  if (cal_forkwait_write(path, (uint32_t)n)) {
    snprintf(path, sizeof path, "/tmp/.faultline-forkwait-XXXXXX");
    if (cal_forkwait_write(path, (uint32_t)n)) { snprintf(why, whylen, "cannot write the program"); return 0; }
  }
  int fd[2];
  if (pipe(fd)) { unlink(path); snprintf(why, whylen, "no pipe"); return 0; }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    char *argv[] = {path, NULL}, *envp[] = {NULL};
    execve(path, argv, envp);
    _exit(127);
  }
  close(fd[1]);
  uint64_t *v = calloc((size_t)n, sizeof *v);
  size_t got = 0, want = (size_t)n * sizeof *v;
  while (pid > 0 && v && got < want) {
    ssize_t r = read(fd[0], (char *)v + got, want - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd[0]);
  int st = 0;
  if (pid > 0) waitpid(pid, &st, 0);
  unlink(path);
  int k = (int)(got / sizeof *v), skip = k > 10 ? 5 : 0;   /* the first rounds warm the caches */
  uint64_t r = 0;
  if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || k < n)
    snprintf(why, whylen, "the program did not run here (a filesystem mounted noexec?)");
  else
    r = cal_median(v + skip, k - skip);
  free(v);
  return r;
}

void cal_cpu_model(char *buf, size_t n) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  snprintf(buf, n, "unknown CPU");
  while (f && fgets(line, sizeof line, f)) {
    char *c = strchr(line, ':');
    if (!strncmp(line, "model name", 10) && c) {
      c += 1 + (c[1] == ' ');
      c[strcspn(c, "\n")] = 0;
      snprintf(buf, n, "%s", c);
      break;
    }
  }
  if (f) fclose(f);
}
