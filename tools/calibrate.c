/* faultline calibrate: measure this machine's components (rdtsc medians),
 * fit the model's parameters from them, and write a preset.  Whole faults
 * are held out: measured too, never fitted, printed next to the model's
 * prediction.  Exit round trips under KVM are not measured yet. */
#include "sim/sim.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
static uint64_t median(uint64_t *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_u64);
  return v[n / 2];
}

/* TSC ticks per core cycle: a chain of dependent ADDs retires one per cycle */
static double tsc_per_cycle(void) {
  uint64_t best = ~0ull;
  const uint64_t n = 20000000;
  for (int r = 0; r < 5; r++) {
    uint64_t x = 0, t0 = __rdtsc();
    for (uint64_t i = 0; i < n / 8; i++)
      __asm__ volatile("add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0; add $1,%0"
                       : "+r"(x));
    uint64_t t = __rdtsc() - t0;
    if (t < best) best = t;
  }
  return (double)best / (double)n;
}

static uint64_t m_syscall(int reps) {
  uint64_t *v = malloc(sizeof *v * (size_t)reps);
  for (int i = 0; i < reps; i++) { uint64_t t0 = __rdtsc(); syscall(SYS_getppid); v[i] = __rdtsc() - t0; }
  uint64_t r = median(v, reps);
  free(v);
  return r;
}

static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }
static uint64_t m_segv_roundtrip(int reps) {
  char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, &old);
  uint64_t *v = malloc(sizeof *v * (size_t)reps);
  for (volatile int i = 0; i < reps; i++) {
    volatile uint64_t t0 = __rdtsc();
    if (!sigsetjmp(jb, 1)) *(volatile char *)p = 1;
    v[i] = __rdtsc() - t0;
  }
  sigaction(SIGSEGV, &old, NULL);
  munmap(p, 4096);
  uint64_t r = median(v, reps);
  free(v);
  return r;
}

static uint64_t m_page_op(int reps, bool copy) {
  const int pages = 256;                 /* 1 MiB: out of L1/L2, in the LLC */
  char *a = aligned_alloc(4096, (size_t)pages * 4096), *b = aligned_alloc(4096, (size_t)pages * 4096);
  memset(a, 1, (size_t)pages * 4096);
  memset(b, 2, (size_t)pages * 4096);
  uint64_t *v = malloc(sizeof *v * (size_t)reps);
  for (int i = 0; i < reps; i++) {
    char *d = a + (size_t)(i % pages) * 4096;
    uint64_t t0 = __rdtsc();
    if (copy) memcpy(d, b + (size_t)((i * 7) % pages) * 4096, 4096);
    else memset(d, 0, 4096);
    __asm__ volatile("" ::: "memory");
    v[i] = __rdtsc() - t0;
  }
  uint64_t r = median(v, reps);
  free(v); free(a); free(b);
  return r;
}

/* TLB miss: a dependent chase touching a new page each step, over more
 * pages than any STLB, minus the same chase within one page */
static uint64_t m_walk(int steps) {
  const size_t pages = 32768;            /* 128 MiB */
  char *mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(mem, pages * 4096, MADV_NOHUGEPAGE);
  uint64_t *idx = malloc(sizeof *idx * pages);
  for (size_t i = 0; i < pages; i++) idx[i] = i;
  uint64_t s = 12345;
  for (size_t i = pages - 1; i > 0; i--) { s = s * 6364136223846793005ull + 1; size_t j = (s >> 33) % (i + 1); uint64_t t = idx[i]; idx[i] = idx[j]; idx[j] = t; }
  for (size_t i = 0; i < pages; i++)    /* the same line offset in every page: cache sets collide less with +64 steps */
    *(char **)(mem + idx[i] * 4096 + (i % 64) * 64) = mem + idx[(i + 1) % pages] * 4096 + ((i + 1) % 64) * 64;
  char *p = mem + idx[0] * 4096;
  for (int i = 0; i < (int)pages; i++) p = *(char **)p;       /* warm the caches with the data */
  uint64_t t0 = __rdtsc();
  for (int i = 0; i < steps; i++) p = *(char **)p;
  uint64_t far = __rdtsc() - t0;
  __asm__ volatile("" : : "r"(p));      /* keep the chase */
  char *local = mem;
  for (int i = 0; i < 64; i++) *(char **)(local + i * 64) = local + ((i + 1) % 64) * 64;
  p = local;
  t0 = __rdtsc();
  for (int i = 0; i < steps; i++) p = *(char **)p;
  uint64_t near = __rdtsc() - t0;
  __asm__ volatile("" : : "r"(p));
  munmap(mem, pages * 4096);
  free(idx);
  return far > near ? (far - near) / (uint64_t)steps : 0;
}

/* held out: whole faults */
static uint64_t m_anon_fault(int n) {
  char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);
  uint64_t *v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++) { uint64_t t0 = __rdtsc(); p[(size_t)i * 4096] = 1; v[i] = __rdtsc() - t0; }
  uint64_t r = median(v, n);
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
    for (int i = 0; i < n; i++) { uint64_t t0 = __rdtsc(); p[(size_t)i * 4096] = 2; v[i] = __rdtsc() - t0; }
    uint64_t r = median(v, n);
    if (write(fd[1], &r, sizeof r) != sizeof r) _exit(1);
    _exit(0);
  }
  uint64_t r = 0;
  if (read(fd[0], &r, sizeof r) != sizeof r) r = 0;
  waitpid(pid, NULL, 0);
  close(fd[0]); close(fd[1]);
  munmap(p, (size_t)n * 4096);
  return r;
}

static const char *calibrate_usage =
  "usage: faultline calibrate [--out FILE] [--quick]\\n"
  "\\n"
  "Measures this machine's components with rdtsc medians (null syscall,\\n"
  "exception entry/exit via a SIGSEGV round trip, 4 KiB zeroing and copy,\\n"
  "TLB-miss walk cost from a pointer chase), converts TSC ticks to core\\n"
  "cycles (a dependent-ADD chain), fits the model's parameters from these\\n"
  "components only, and writes a preset (default host.preset) loadable with\\n"
  "--preset FILE.  Whole faults (anonymous zero-fill, COW after fork) are\\n"
  "measured too but held out: the model's prediction is printed beside them.\\n"
  "On a virtualized host a TLB miss is already a 2-D walk and kernel entry\\n"
  "may be emulated: the numbers describe that machine, not bare silicon.\\n";

int cmd_calibrate(int argc, char **argv) {
  const char *out = "host.preset";
  int quick = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--quick")) quick = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { printf(calibrate_usage); return 0; }
    else { fprintf(stderr, "faultline: calibrate: unknown argument '%s' (see `faultline calibrate --help`)\n", argv[i]); return 125; }
  }
  int reps = quick ? 200 : 5000;
  double k = tsc_per_cycle();
  if (k <= 0.05 || k > 20) k = 1.0;
#define CYC(x) ((uint64_t)((double)(x) / k + 0.5))
  uint64_t sys = CYC(m_syscall(reps));
  uint64_t segv = CYC(m_segv_roundtrip(quick ? 100 : 2000));
  uint64_t zero = CYC(m_page_op(reps, false));
  uint64_t copy = CYC(m_page_op(reps, true));
  uint64_t walk = CYC(m_walk(quick ? 20000 : 400000));
  uint64_t anon = CYC(m_anon_fault(quick ? 500 : 20000));
  uint64_t cow = CYC(m_cow_fault(quick ? 500 : 5000));
  /* fit: the model's signal delivery cost comes out of the round trip, the
   * rest is exception entry + exit, split in the default proportions
   * (delivery 200 : entry 150 : exit 250); a walk of a 4-level table with
   * a cold PWC makes ~4 references */
  struct param_reg *defs = params_new();
  uint64_t sigcost = params_get(defs, "native.signal");
  uint64_t exc = segv > sigcost + 600 ? segv - sigcost : 600;
  uint64_t deliver = exc * 200 / 600, entry = exc * 150 / 600, exitc = exc - deliver - entry;
  uint64_t ref = walk / 4 ? walk / 4 : 1;
  time_t now = time(NULL);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
  FILE *f = fopen(out, "w");
  if (!f) { fprintf(stderr, "faultline: calibrate: cannot write %s\n", out); return 125; }
  fprintf(f, "# faultline calibrate, %s: this machine's components (TSC/cycle %.3f)\n", date, k);
  fprintf(f, "native.exc_deliver = %llu  # measured %s: SIGSEGV round trip %llu cycles minus the modeled signal (%llu), 200/600 of the rest\n",
          (unsigned long long)deliver, date, (unsigned long long)segv, (unsigned long long)sigcost);
  fprintf(f, "native.kernel_entry = %llu  # measured %s: 150/600 of the same\n", (unsigned long long)entry, date);
  fprintf(f, "native.kernel_exit = %llu  # measured %s: 250/600 of the same\n", (unsigned long long)exitc, date);
  fprintf(f, "native.frame_zero = %llu  # measured %s: median memset of a 4 KiB page (LLC-resident set)\n", (unsigned long long)zero, date);
  fprintf(f, "native.cow_copy = %llu  # measured %s: median memcpy of a 4 KiB page\n", (unsigned long long)copy, date);
  fprintf(f, "walk.ref_latency = %llu  # measured %s: TLB-miss pointer chase %llu cycles / 4 references\n",
          (unsigned long long)ref, date, (unsigned long long)walk);
  fprintf(f, "# not measurable from user space, defaults kept: native.vma_lookup, frame_alloc, pte_write, pagecache_lookup\n");
  fclose(f);
  uint64_t pred_anon = deliver + entry + params_get(defs, "native.vma_lookup") + params_get(defs, "native.frame_alloc") +
                       zero + params_get(defs, "native.pte_write") + exitc;
  uint64_t pred_cow = deliver + entry + params_get(defs, "native.vma_lookup") + params_get(defs, "native.frame_alloc") +
                      copy + params_get(defs, "native.pte_write") + params_get(defs, "native.tlb_invalidate") + exitc;
  params_free(defs);
  printf("component (core cycles)               measured\n");
  printf("  TSC ticks per core cycle            %8.3f\n", k);
  printf("  null syscall (getppid)              %8llu\n", (unsigned long long)sys);
  printf("  SIGSEGV round trip                  %8llu\n", (unsigned long long)segv);
  printf("  4 KiB zeroing                       %8llu\n", (unsigned long long)zero);
  printf("  4 KiB copy                          %8llu\n", (unsigned long long)copy);
  printf("  TLB miss (walk) per access          %8llu\n", (unsigned long long)walk);
  printf("held-out whole faults                 measured   model    error\n");
  printf("  anonymous zero-fill                 %8llu %8llu %+7.1f%%\n", (unsigned long long)anon,
         (unsigned long long)pred_anon, anon ? 100.0 * ((double)pred_anon - (double)anon) / (double)anon : 0.0);
  printf("  COW after fork                      %8llu %8llu %+7.1f%%\n", (unsigned long long)cow,
         (unsigned long long)pred_cow, cow ? 100.0 * ((double)pred_cow - (double)cow) / (double)cow : 0.0);
  printf("preset written to %s (use: faultline run --preset %s ...)\n", out, out);
  return 0;
}
