/* What a recorded trace (faultline run --trace) must capture, in one
 * program: REP string instructions that run into a page fault part-way
 * (resolved, and one that ends in SIGSEGV), page-crossing loads and stores,
 * a read-modify-write, code the program writes and runs and then rewrites
 * (decoded blocks dropped), fork/exec/wait, a private file mapping written
 * (copy-on-write of a page-cache page), mprotect, munmap, MADV_DONTNEED
 * and a signal handler.  Output is the same natively and under faultline.
 * Usage: rec | rec child */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static sigjmp_buf jb;
static volatile int segvs;
static void on_segv(int sig) {
  (void)sig;
  segvs++;
  siglongjmp(jb, 1);
}

static void rep_movsb(void *d, const void *s, size_t n) {
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}
static void rep_stosq(void *d, uint64_t v, size_t n) {
  __asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(v) : "memory");
}
/* repe cmpsb: the count of bytes left when it stopped */
static size_t repe_cmpsb(const void *a, const void *b, size_t n) {
  __asm__ volatile("repe cmpsb" : "+D"(b), "+S"(a), "+c"(n) : : "memory", "cc");
  return n;
}

/* REP instructions whose pages fault in as they go (fresh anonymous
 * memory), one that stops at a PROT_NONE page, cmps and stos */
static void strings(void) {
  char *src = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *dst = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 6 * PG; i++) src[i] = (char)(i * 7);
  rep_movsb(dst + 100, src + 3, 5 * PG);            /* dst pages fault in mid-REP */
  long sum = 0;
  for (int i = 0; i < 5 * PG; i += 97) sum += dst[100 + i];
  printf("movsb sum %ld, cmps left %zu\n", sum, repe_cmpsb(dst + 100, src + 3, 5 * PG));
  dst[100 + 3000] ^= 1;
  printf("cmps stops with %zu left\n", repe_cmpsb(dst + 100, src + 3, 5 * PG));
  rep_stosq(dst + 6 * PG, 0x0101010101010101ull, 2 * PG / 8);   /* faults in two more */
  printf("stosq %d\n", dst[7 * PG + 5]);
  /* pages the kernel maps ahead (MAP_POPULATE): under shadow paging the
   * REP meets hidden faults (no shadow entries yet) the guest never sees */
  char *pop = mmap(NULL, 6 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  rep_movsb(pop + 1, src, 5 * PG);
  printf("populated %d\n", pop[1 + 4 * PG + 9] == src[4 * PG + 9]);
  munmap(pop, 6 * PG);
  mprotect(dst + 4 * PG, PG, PROT_NONE);
  if (!sigsetjmp(jb, 1)) rep_movsb(dst + 3 * PG, src, 2 * PG);  /* runs into PROT_NONE */
  printf("movsb into PROT_NONE: %d SIGSEGV, first page copied %d\n", segvs, dst[3 * PG + 10] == src[10]);
  munmap(src, 8 * PG);
  munmap(dst, 8 * PG);
}

/* loads and stores across a page boundary, a read-modify-write, and a
 * region dropped with MADV_DONTNEED (it reads as zeros again) */
static void crossing(void) {
  char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile uint64_t *x = (volatile uint64_t *)(p + PG - 3);
  *x = 0x1122334455667788ull;
  *x += 0x0101010101010101ull;
  __atomic_fetch_add((uint64_t *)(p + 2 * PG - 4), 5, __ATOMIC_SEQ_CST);
  printf("crossing %llx %d\n", (unsigned long long)*x, p[2 * PG - 4]);
  madvise(p, 3 * PG, MADV_DONTNEED);
  printf("after MADV_DONTNEED %d\n", p[PG] + p[2 * PG - 4]);
  munmap(p, 3 * PG);
}

/* code the program writes, runs, overwrites and runs again */
static void selfmod(void) {
  unsigned char *code = mmap(NULL, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { printf("no RWX mapping\n"); return; }
  static const unsigned char ret42[] = {0xb8, 42, 0, 0, 0, 0xc3};   /* mov eax, 42; ret */
  memcpy(code, ret42, sizeof ret42);
  int (*f)(void) = (int (*)(void))code;
  int a = f();
  code[1] = 7;                                          /* mov eax, 7 */
  int b = f();
  printf("selfmod %d %d\n", a, b);
  munmap(code, PG);
}

/* a private file mapping: read (page cache), then written (a private copy) */
static void filemap(const char *self) {
  FILE *f = fopen(self, "rb");
  if (!f) { printf("no self\n"); return; }
  char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fileno(f), 0);
  fclose(f);
  if (m == MAP_FAILED) { printf("no file mapping\n"); return; }
  int elf = m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
  m[PG] = 'x';
  mprotect(m, 2 * PG, PROT_READ);
  printf("filemap elf %d copy %c\n", elf, m[PG]);
  munmap(m, 2 * PG);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child")) {
    char *p = malloc(8 * PG);
    for (int i = 0; i < 8; i++) p[i * PG] = (char)i;
    return p[3 * PG] == 3 ? 7 : 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  strings();
  crossing();
  selfmod();
  filemap(argv[0]);
  char *buf = malloc(6 * PG);
  memset(buf, 3, 6 * PG);
  pid_t pid = fork();
  if (pid == 0) {
    /* the parent's pages: copy-on-write faults, and (shadow paging) the
     * child's first touches of them */
    rep_movsb(buf + PG, buf, 4 * PG);
    execl("/proc/self/exe", argv[0], "child", (char *)NULL);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
