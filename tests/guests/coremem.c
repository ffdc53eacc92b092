/* Core dumps, /proc/<pid>/coredump_filter, /proc/<pid>/mem and
 * /proc/<pid>/pagemap, each checked against what Linux does (the native
 * run): the filter's reads, writes, errors, fork and exec; children that
 * crash in a temporary directory and the core files they leave (ELF
 * ET_CORE, the notes gdb reads, which VMAs hold pages, a MADV_DONTDUMP'd
 * region's marker absent and a normal region's present, holes, RLIMIT_CORE,
 * PR_SET_DUMPABLE); /proc/self/mem reading and writing read-only and
 * PROT_NONE mappings, its errors and another process's memory; pagemap's
 * present/exclusive/file bits (never frame numbers) as pages are touched,
 * shared by fork, copied, and its errors.  The native run needs
 * kernel.core_pattern "core" (or "core" with core_uses_pid): a pipe
 * pattern writes no core file. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define NT_SIGINFO_ 0x53494749
#define NT_FILE_ 0x46494c45

static const char *en(int e) {
  switch (e) {
  case EIO: return "EIO";
  case EINVAL: return "EINVAL";
  case EFAULT: return "EFAULT";
  case ERANGE: return "ERANGE";
  case EACCES: return "EACCES";
  case ENOENT: return "ENOENT";
  case EBADF: return "EBADF";
  default: return strerror(e);
  }
}

static void rc(const char *what, long r) {
  if (r < 0) printf("%s: -1 %s\n", what, en(errno));
  else printf("%s: %ld\n", what, r);
}

/* a 256-byte run no program holds: marks a region in a core file */
static void pattern(uint8_t *p, size_t n, int seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 7 + (size_t)seed * 37 + (i >> 8));
}

/* ---- /proc/self/coredump_filter ---- */

static void show_filter(const char *who) {
  char b[32] = "";
  int fd = open("/proc/self/coredump_filter", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, b, sizeof b - 1) : -1;
  if (fd >= 0) close(fd);
  b[n > 0 ? n : 0] = 0;
  printf("%s coredump_filter: %s", who, n > 0 ? b : "(none)\n");
}

static long set_filter(const char *v) {
  int fd = open("/proc/self/coredump_filter", O_WRONLY);
  if (fd < 0) return -1;
  long r = write(fd, v, strlen(v));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static void filter_tests(const char *self) {
  show_filter("default");
  rc("write 0x35", set_filter("0x35\n"));
  show_filter("after 0x35");
  rc("write 0x7fffffff", set_filter("0x7fffffff"));
  show_filter("only 9 bits kept");
  rc("write 077", set_filter("077"));
  show_filter("octal");
  rc("write bogus", set_filter("bogus"));
  rc("write 0x", set_filter("0x"));
  rc("write 4294967296", set_filter("4294967296"));
  rc("write 1 1", set_filter("1 1"));
  rc("write empty", set_filter(""));
  set_filter("0x35");
  pid_t pid = fork();
  if (pid == 0) { show_filter("fork child"); fflush(stdout); _exit(0); }
  waitpid(pid, NULL, 0);
  pid = fork();
  if (pid == 0) {
    execl(self, "coremem", "filter", (char *)NULL);
    _exit(9);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("exec child exit %d\n", WEXITSTATUS(st));
  set_filter("0x33");
}

/* ---- core dumps ---- */

struct where { uintptr_t a, b, c, d, f; };   /* the crashing child's regions */

struct crash { int filter; bool undumpable; long limit; bool abrt; };

/* the child: its regions, then SIGSEGV (or abort) in dir */
static void crash_child(const char *dir, const struct crash *cr, int wfd) {
  if (chdir(dir)) _exit(20);
  struct rlimit rl = {(rlim_t)cr->limit, RLIM_INFINITY};
  if (setrlimit(RLIMIT_CORE, &rl)) _exit(21);
  if (cr->filter >= 0) {
    char v[16];
    snprintf(v, sizeof v, "%#x", cr->filter);
    if (set_filter(v) < 0) _exit(22);
  }
  struct where w;
  /* the regions between PROT_NONE pages, so that Linux merges none of
   * them with a neighbour: each is its own PT_LOAD */
  uint8_t *res = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const int rw = PROT_READ | PROT_WRITE, fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  uint8_t *a = mmap(res + PG, 4 * PG, rw, fl, -1, 0);
  uint8_t *b = mmap(res + 6 * PG, PG, rw, fl, -1, 0);
  uint8_t *c = mmap(res + 8 * PG, 2 * PG, rw, fl, -1, 0);
  uint8_t *d = mmap(res + 11 * PG, PG, rw, fl, -1, 0);
  int fd = open("data", O_RDONLY);
  uint8_t *f = fd >= 0 ? mmap(res + 13 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) : MAP_FAILED;
  if (res == MAP_FAILED || a == MAP_FAILED || b == MAP_FAILED || c == MAP_FAILED || d == MAP_FAILED ||
      f == MAP_FAILED)
    _exit(23);
  pattern(a, PG, 1);                       /* pages 0 and 2 written, 1 and 3 never */
  pattern(a + 2 * PG, PG, 1);
  pattern(b, PG, 2);
  madvise(b, PG, MADV_DONTDUMP);
  volatile uint8_t sink = d[100] + f[0];   /* d read only: the zero page; f: the file's page */
  (void)sink;
  w = (struct where){(uintptr_t)a, (uintptr_t)b, (uintptr_t)c, (uintptr_t)d, (uintptr_t)f};
  if (write(wfd, &w, sizeof w) != sizeof w) _exit(24);
  if (cr->undumpable) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (cr->abrt) abort();
  *(volatile int *)0 = 1;
  _exit(25);
}

static const Elf64_Phdr *load_at(const Elf64_Ehdr *eh, const uint8_t *img, uintptr_t va) {
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr == va) return &ph[i];
  return NULL;
}

static bool holds(const uint8_t *img, size_t n, int seed) {
  uint8_t want[256];
  pattern(want, sizeof want, seed);
  for (size_t o = 0; o + sizeof want <= n; o++)
    if (img[o] == want[0] && !memcmp(img + o, want, sizeof want)) return true;
  return false;
}

static void show_load(const char *name, const Elf64_Ehdr *eh, const uint8_t *img, size_t n, uintptr_t va,
                      int seed) {
  const Elf64_Phdr *p = load_at(eh, img, va);
  if (!p) { printf("  %s: no PT_LOAD\n", name); return; }
  printf("  %s: memsz %llu pages, filesz %llu pages, flags %c%c%c", name,
         (unsigned long long)(p->p_memsz / PG), (unsigned long long)(p->p_filesz / PG),
         p->p_flags & PF_R ? 'r' : '-', p->p_flags & PF_W ? 'w' : '-', p->p_flags & PF_X ? 'x' : '-');
  if (p->p_filesz && p->p_offset + p->p_filesz <= n) {
    uint8_t want[PG];
    pattern(want, PG, seed);
    bool first = !memcmp(img + p->p_offset, want, PG);
    printf(", first page %s", first ? "its data" : "other");
    if (p->p_filesz >= 2 * PG) {
      bool zero = true;
      for (size_t i = 0; i < PG; i++) zero &= img[p->p_offset + PG + i] == 0;
      printf(", second page zeros %d", zero);
    }
  }
  printf("\n");
}

/* the notes gdb reads: which are there, and what they say */
static void show_notes(const Elf64_Ehdr *eh, const uint8_t *img, size_t n, pid_t pid, int sig) {
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
  if (ph[0].p_type != PT_NOTE || ph[0].p_offset + ph[0].p_filesz > n) { printf("  no PT_NOTE first\n"); return; }
  char comm[32] = "";
  int cf = open("/proc/self/comm", O_RDONLY);
  ssize_t cl = cf >= 0 ? read(cf, comm, sizeof comm - 1) : 0;
  if (cf >= 0) close(cf);
  if (cl > 0 && comm[cl - 1] == '\n') comm[cl - 1] = 0;
  int seen = 0;
  for (uint64_t o = ph[0].p_offset; o + 12 <= ph[0].p_offset + ph[0].p_filesz;) {
    const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(img + o);
    const char *name = (const char *)(img + o + 12);
    const uint8_t *desc = img + o + 12 + ((nh->n_namesz + 3) & ~3u);
    if (nh->n_type == NT_PRSTATUS && !(seen & 1)) {
      seen |= 1;
      short cursig;
      int32_t ids[2];
      uint64_t regs[27];
      memcpy(&cursig, desc + 12, 2);
      memcpy(ids, desc + 32, 8);
      memcpy(regs, desc + 112, sizeof regs);
      const Elf64_Phdr *x = NULL;
      for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && regs[16] >= ph[i].p_vaddr && regs[16] < ph[i].p_vaddr + ph[i].p_memsz) x = &ph[i];
      printf("  NT_PRSTATUS %s: %u bytes, cursig %d, pid right %d, rip in an executable PT_LOAD %d, cs %#llx ss %#llx, "
             "orig_rax %s\n", name, nh->n_descsz, cursig, ids[0] == pid, x && (x->p_flags & PF_X),
             (unsigned long long)regs[17], (unsigned long long)regs[20],
             (int64_t)regs[15] == -1 ? "-1" : "a syscall");
    } else if (nh->n_type == NT_PRPSINFO && !(seen & 2)) {
      seen |= 2;
      printf("  NT_PRPSINFO %s: %u bytes, state %c, fname is comm %d, pid right %d\n", name, nh->n_descsz,
             desc[1], !strncmp((const char *)desc + 40, comm, 16), *(const int32_t *)(desc + 24) == pid);
    } else if (nh->n_type == NT_SIGINFO_ && !(seen & 4)) {
      seen |= 4;
      int32_t si[3];
      uint64_t addr;
      memcpy(si, desc, 12);
      memcpy(&addr, desc + 16, 8);
      printf("  NT_SIGINFO %s: %u bytes, signo %d code %d%s\n", name, nh->n_descsz, si[0], si[2],
             sig == SIGSEGV ? (addr == 0 ? ", addr 0" : ", addr not 0") : "");
    } else if (nh->n_type == NT_AUXV && !(seen & 8)) {
      seen |= 8;
      uint64_t last[2], pagesz = 0;
      memcpy(last, desc + nh->n_descsz - 16, 16);
      for (uint32_t i = 0; i + 16 <= nh->n_descsz; i += 16) {
        uint64_t e[2];
        memcpy(e, desc + i, 16);
        if (e[0] == AT_PAGESZ) pagesz = e[1];
      }
      printf("  NT_AUXV %s: ends with AT_NULL %d, AT_PAGESZ %llu\n", name, last[0] == 0,
             (unsigned long long)pagesz);
    } else if (nh->n_type == NT_FILE_ && !(seen & 16)) {
      seen |= 16;
      uint64_t cnt, psz;
      memcpy(&cnt, desc, 8);
      memcpy(&psz, desc + 8, 8);
      const char *names = (const char *)desc + 16 + cnt * 24;
      int data = 0;
      for (uint64_t i = 0; i < cnt && names < (const char *)desc + nh->n_descsz; i++) {
        size_t l = strlen(names);
        data |= l >= 5 && !strcmp(names + l - 5, "/data");
        names += l + 1;
      }
      printf("  NT_FILE %s: page size %llu, the data file named %d\n", name, (unsigned long long)psz, data);
    } else if (nh->n_type == NT_PRFPREG && !(seen & 32)) {
      seen |= 32;
      printf("  NT_PRFPREG %s: %u bytes\n", name, nh->n_descsz);
    } else if (nh->n_type == NT_X86_XSTATE && !(seen & 64)) {
      seen |= 64;
      printf("  NT_X86_XSTATE %s: there\n", name);
    }
    o += 12 + ((nh->n_namesz + 3) & ~3u) + ((nh->n_descsz + 3) & ~3u);
  }
  printf("  notes seen %#x\n", seen);
}

static void crash_case(const char *title, const char *dir, const struct crash *cr) {
  printf("%s\n", title);
  int p[2];
  if (pipe(p)) return;
  pid_t pid = fork();
  if (pid == 0) { close(p[0]); crash_child(dir, cr, p[1]); }
  close(p[1]);
  struct where w = {0};
  ssize_t got = read(p[0], &w, sizeof w);
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (got != sizeof w) { printf("  child failed: status %#x\n", st); return; }
  printf("  signal %d, WCOREDUMP %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0, WIFSIGNALED(st) && WCOREDUMP(st));
  /* "core", or "core.PID" under kernel.core_uses_pid */
  char path[512];
  snprintf(path, sizeof path, "%s/core", dir);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    snprintf(path, sizeof path, "%s/core.%d", dir, (int)pid);
    fd = open(path, O_RDONLY);
  }
  printf("  core file: %d\n", fd >= 0);
  if (fd < 0) return;
  struct stat sb;
  fstat(fd, &sb);
  printf("  mode %o, within the limit %d\n", (unsigned)(sb.st_mode & 07777),
         cr->limit == (long)RLIM_INFINITY || sb.st_size <= cr->limit);
  size_t n = (size_t)sb.st_size;
  uint8_t *img = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  close(fd);
  unlink(path);
  if (img == MAP_FAILED) return;
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
  bool elf = n >= sizeof *eh && !memcmp(eh->e_ident, ELFMAG, SELFMAG);
  printf("  ELF %d, type CORE %d, machine x86-64 %d, class 64 %d\n", elf, elf && eh->e_type == ET_CORE,
         elf && eh->e_machine == EM_X86_64, elf && eh->e_ident[EI_CLASS] == ELFCLASS64);
  if (elf && cr->limit == (long)RLIM_INFINITY) {
    show_notes(eh, img, n, pid, cr->abrt ? SIGABRT : SIGSEGV);
    show_load("written region", eh, img, n, w.a, 1);
    show_load("MADV_DONTDUMP region", eh, img, n, w.b, 2);
    show_load("untouched region", eh, img, n, w.c, 0);
    show_load("read-only-touched region", eh, img, n, w.d, 0);
    show_load("private file mapping", eh, img, n, w.f, 3);
    printf("  written marker in the file %d, MADV_DONTDUMP marker in the file %d\n", holds(img, n, 1),
           holds(img, n, 2));
  }
  munmap(img, n);
}

static void core_tests(void) {
  char dir[] = "coremem.XXXXXX";
  if (!mkdtemp(dir)) { printf("mkdtemp failed\n"); return; }
  char path[64];
  snprintf(path, sizeof path, "%s/data", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  uint8_t pg[PG];
  pattern(pg, PG, 3);
  if (fd < 0 || write(fd, pg, PG) != PG) { printf("data file failed\n"); return; }
  close(fd);
  struct crash all = {-1, false, (long)RLIM_INFINITY, false};
  crash_case("SIGSEGV, default filter:", dir, &all);
  struct crash mapped = {0x4, false, (long)RLIM_INFINITY, false};
  crash_case("SIGSEGV, filter 0x4 (file-backed private only):", dir, &mapped);
  struct crash abrt = {-1, false, (long)RLIM_INFINITY, true};
  crash_case("abort:", dir, &abrt);
  struct crash undump = {-1, true, (long)RLIM_INFINITY, false};
  crash_case("not dumpable:", dir, &undump);
  struct crash small = {-1, false, PG - 1, false};
  crash_case("RLIMIT_CORE 4095:", dir, &small);
  struct crash page = {-1, false, PG, false};
  crash_case("RLIMIT_CORE 4096:", dir, &page);
  unlink(path);
  rc("temporary directory removed", rmdir(dir));
}

/* ---- /proc/self/mem ---- */

static int global_value;
static void *volatile bad_buffer = (void *)8;   /* unmapped (volatile: no compiler warning) */

static void mem_tests(void) {
  int m = open("/proc/self/mem", O_RDWR);
  rc("open /proc/self/mem O_RDWR", m >= 0 ? 0 : -1);
  if (m < 0) return;
  char buf[64];
  char *ro = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(ro, "hello");
  mprotect(ro, 2 * PG, PROT_READ);
  rc("pwrite into a read-only private page", pwrite(m, "HELLO", 5, (off_t)(uintptr_t)ro));
  printf("the page now: %s\n", ro);
  printf("lseek to it returns it: %d\n", lseek(m, (off_t)(uintptr_t)ro, SEEK_SET) == (off_t)(uintptr_t)ro);
  memset(buf, 0, sizeof buf);
  rc("read 5", read(m, buf, 5));
  printf("read: %s\n", buf);
  rc("write J at the position", write(m, "J", 1));
  printf("the page now: %s\n", ro);
  rc("lseek SEEK_CUR +0 is the page + 6", lseek(m, 0, SEEK_CUR) - (off_t)(uintptr_t)ro);
  rc("lseek SEEK_END", lseek(m, 0, SEEK_END));
  rc("pread at a negative offset", pread(m, buf, 1, -4096));
  /* the second page was never touched: it reads as zeros */
  memset(buf, 1, 8);
  rc("pread an untouched page", pread(m, buf, 8, (off_t)(uintptr_t)(ro + PG)));
  printf("zeros %d\n", !buf[0] && !buf[7]);
  /* a read-only private file mapping: written by copy, the file keeps its data */
  int fd = open("coremem.memfile", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (write(fd, "file-data", 9) != 9) printf("write failed\n");
  char *fm = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
  rc("pwrite into a read-only private file mapping", pwrite(m, "FILE", 4, (off_t)(uintptr_t)fm));
  memset(buf, 0, sizeof buf);
  pread(fd, buf, 9, 0);
  printf("mapping: %.9s, file: %s\n", fm, buf);
  /* a read-only shared mapping cannot be forced */
  int rfd = open("coremem.memfile", O_RDONLY);
  char *sm = mmap(NULL, PG, PROT_READ, MAP_SHARED, rfd, 0);
  rc("pwrite into a read-only shared mapping", pwrite(m, "X", 1, (off_t)(uintptr_t)sm));
  rc("pread it", pread(m, buf, 4, (off_t)(uintptr_t)sm));
  munmap(sm, PG);
  munmap(fm, PG);
  close(rfd);
  close(fd);
  unlink("coremem.memfile");
  /* PROT_NONE: a forced access reads and writes it */
  char *pn = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(pn, "secret");
  mprotect(pn, PG, PROT_NONE);
  memset(buf, 0, sizeof buf);
  rc("pread a PROT_NONE page", pread(m, buf, 6, (off_t)(uintptr_t)pn));
  printf("read: %s\n", buf);
  rc("pwrite a PROT_NONE page", pwrite(m, "SECRET", 6, (off_t)(uintptr_t)pn));
  mprotect(pn, PG, PROT_READ);
  printf("the page now: %s\n", pn);
  /* unmapped addresses: EIO; a read that runs into one stops there */
  char *um = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(um + PG, PG);
  rc("pread an unmapped page", pread(m, buf, 4, (off_t)(uintptr_t)(um + PG)));
  rc("pwrite an unmapped page", pwrite(m, "x", 1, (off_t)(uintptr_t)(um + PG)));
  rc("pread across the end of a mapping", pread(m, buf, 8, (off_t)(uintptr_t)(um + PG - 4)));
  lseek(m, (off_t)(uintptr_t)(um + PG - 4), SEEK_SET);
  struct iovec iv[2] = {{buf, 2}, {buf + 2, 6}};
  rc("readv across the end of a mapping", readv(m, iv, 2));
  rc("position after it is the end", lseek(m, 0, SEEK_CUR) - (off_t)(uintptr_t)(um + PG));
  lseek(m, (off_t)(uintptr_t)ro, SEEK_SET);
  rc("read into a bad buffer", read(m, bad_buffer, 4));
  rc("write from a bad buffer", pwrite(m, bad_buffer, 4, (off_t)(uintptr_t)ro));
  munmap(um, PG);
  munmap(pn, PG);
  munmap(ro, 2 * PG);
  /* LTP thp04's steps in one thread: a forced write into a read-only
   * region advised for huge pages, after MADV_DONTNEED, does not reach
   * another such region's (huge) zero page */
  const size_t H = 2u << 20;
  char *hres = mmap(NULL, 6 * H, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *hw = (char *)(((uintptr_t)hres + H - 1) & ~(uintptr_t)(H - 1)), *hr = hw + 2 * H;
  mmap(hw, H, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  mmap(hr, H, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  madvise(hw, H, MADV_HUGEPAGE);
  madvise(hr, H, MADV_HUGEPAGE);
  volatile int z = *(int *)hr;            /* its zero page */
  (void)z;
  madvise(hw, H, MADV_DONTNEED);
  int dead = (int)0xdeadbeef;
  rc("pwrite into a read-only huge-page region", pwrite(m, &dead, 4, (off_t)(uintptr_t)(hw + H - 4)));
  madvise(hr, H, MADV_DONTNEED);
  printf("written there %d, the other region still zero %d\n", *(int *)(hw + H - 4) == dead,
         *(int *)(hr + H - 4) == 0);
  munmap(hres, 6 * H);
  close(m);
  int wr = open("/proc/self/mem", O_WRONLY);
  rc("read from an O_WRONLY mem", read(wr, buf, 1));
  close(wr);
  /* another process's memory: its values, written, then its exit */
  int p1[2], p2[2];
  if (pipe(p1) || pipe(p2)) return;
  pid_t pid = fork();
  if (pid == 0) {
    global_value = 4242;
    char c = 1;
    if (write(p1[1], &c, 1) != 1 || read(p2[0], &c, 1) != 1) _exit(1);
    _exit(global_value == 777 ? 0 : 2);
  }
  char c;
  if (read(p1[0], &c, 1) != 1) return;
  char name[64];
  snprintf(name, sizeof name, "/proc/%d/mem", (int)pid);
  int om = open(name, O_RDWR);
  int v = 0;
  rc("pread the child's value", pread(om, &v, sizeof v, (off_t)(uintptr_t)&global_value));
  printf("child's value %d, ours %d\n", v, global_value);
  v = 777;
  rc("pwrite the child's value", pwrite(om, &v, sizeof v, (off_t)(uintptr_t)&global_value));
  if (write(p2[1], &c, 1) != 1) return;
  siginfo_t si;
  waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
  rc("pread after the child exited", pread(om, &v, sizeof v, (off_t)(uintptr_t)&global_value));
  int st;
  waitpid(pid, &st, 0);
  printf("child saw the write: exit %d\n", WEXITSTATUS(st));
  close(om);
  /* a child that becomes another user: not dumpable, so its own mem is
   * root's (mode 0600) and closed to it, as its parent's is; dumpable
   * again, its own opens */
  pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
      printf("setresuid: not root, skipped\n");
      _exit(0);
    }
    printf("dumpable after setresuid: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    int fd = open("/proc/self/mem", O_RDONLY);
    printf("open own mem: %s\n", fd >= 0 ? "ok" : en(errno));
    char pp[64];
    snprintf(pp, sizeof pp, "/proc/%d/mem", (int)getppid());
    fd = open(pp, O_RDONLY);
    printf("open the parent's mem: %s\n", fd >= 0 ? "ok" : en(errno));
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    fd = open("/proc/self/mem", O_RDONLY);
    printf("open own mem once dumpable: %s\n", fd >= 0 ? "ok" : en(errno));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

/* ---- /proc/self/pagemap ---- */

static int pm;

static uint64_t entry(const void *a) {
  uint64_t e = 0;
  if (pread(pm, &e, 8, (off_t)((uintptr_t)a / PG * 8)) != 8) return ~0ull;
  return e;
}

static void show_pm(const char *what, const void *a) {
  uint64_t e = entry(a);
  printf("%s: present %d exclusive %d file %d\n", what, (int)(e >> 63 & 1), (int)(e >> 56 & 1),
         (int)(e >> 61 & 1));
}

static void pagemap_tests(void) {
  pm = open("/proc/self/pagemap", O_RDONLY);
  rc("open /proc/self/pagemap", pm >= 0 ? 0 : -1);
  if (pm < 0) return;
  uint8_t *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show_pm("anon untouched", a);
  a[0] = 1;
  volatile uint8_t r = a[PG];
  (void)r;
  show_pm("anon written", a);
  show_pm("anon read (the zero page)", a + PG);
  uint64_t e = entry(a);
  printf("frame number shown %d (CAP_SYS_ADMIN %d)\n", (e & ((1ull << 55) - 1)) != 0,
         prctl(PR_CAPBSET_READ, 21, 0, 0, 0) == 1 && geteuid() == 0);
  int p1[2], p2[2];
  if (pipe(p1) || pipe(p2)) return;
  pid_t pid = fork();
  if (pid == 0) {
    show_pm("child: the parent's page after fork", a);
    a[0] = 2;
    show_pm("child: after its write (a copy)", a);
    fflush(stdout);
    char c = 1;
    if (write(p1[1], &c, 1) != 1 || read(p2[0], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  char c;
  if (read(p1[0], &c, 1) != 1) return;
  show_pm("parent: its page while the child holds a copy", a);
  if (write(p2[1], &c, 1) != 1) return;
  waitpid(pid, NULL, 0);
  /* the child copied on its write: the parent's page is its own again */
  show_pm("parent: after the child's exit", a);
  mprotect(a, PG, PROT_NONE);
  show_pm("a PROT_NONE page", a);
  munmap(a, 4 * PG);
  show_pm("unmapped", a);
  uint8_t *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[0] = 1;
  show_pm("shared anonymous", s);
  munmap(s, PG);
  int fd = open("coremem.pmfile", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (ftruncate(fd, 4 * PG)) return;
  uint8_t *f = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  r = f[0];
  show_pm("private file page read", f);
  f[0] = 1;
  show_pm("private file page written (a copy)", f);
  munmap(f, 4 * PG);
  f = mmap(NULL, 4 * PG, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  int present = 0;
  for (int i = 0; i < 4; i++) present += (int)(entry(f + i * PG) >> 63);
  printf("MAP_POPULATE: %d of 4 present\n", present);
  munmap(f, 4 * PG);
  close(fd);
  unlink("coremem.pmfile");
  uint64_t buf[4];
  rc("read 4 bytes", read(pm, buf, 4));
  rc("pread at offset 4", pread(pm, buf, 8, 4));
  rc("pread 0 bytes", pread(pm, buf, 0, 8));
  rc("pread past user space", pread(pm, buf, 8, (off_t)(0x800000000000ull / PG * 8)));
  rc("pread 16 bytes at page 0", pread(pm, buf, 16, 0));
  printf("page 0 and 1 empty %d\n", !buf[0] && !buf[1]);
  rc("write", write(pm, buf, 8));
  lseek(pm, 8 * 16, SEEK_SET);
  rc("read into a bad buffer", read(pm, bad_buffer, 8));
  rc("position unchanged", lseek(pm, 0, SEEK_CUR));
  close(pm);
}

/* ---- faultline only (coremem.sh): kernel.core_pattern, --root, --read-only ---- */

/* a child that dies of SIGSEGV in dir: its pid, and its wait status in *st */
static pid_t segv_child(const char *dir, int *st) {
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    if (chdir(dir) || setrlimit(RLIMIT_CORE, &rl)) _exit(1);
    *(volatile int *)0 = 1;
    _exit(2);
  }
  waitpid(pid, st, 0);
  return pid;
}

static long set_sysctl(const char *name, const char *v) {
  char path[128];
  snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  long r = write(fd, v, strlen(v));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* the core file the pattern should have made (%p: the child's pid) */
static void expect_core(const char *title, const char *pattern, const char *name_fmt) {
  rc(title, set_sysctl("core_pattern", pattern));
  int st;
  pid_t pid = segv_child(".", &st);
  char name[512];
  snprintf(name, sizeof name, name_fmt, (int)pid, (int)pid, (int)pid);
  int ok = access(name, F_OK) == 0;
  printf("  WCOREDUMP %d, core file %s: %d\n", WCOREDUMP(st) ? 1 : 0, name, ok);
  unlink(name);
}

/* changes kernel.core_pattern and core_uses_pid (restored at the end):
 * never run it natively */
static int pattern_tests(void) {
  char old[160] = "";
  int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, old, sizeof old - 1) : -1;
  if (fd >= 0) close(fd);
  printf("core_pattern: %s", n > 0 ? old : "(none)\n");
  expect_core("pattern with %e %s %u %g %c %% %h %d %C and an unknown %Z",
              "core.%e.%p.%s.%u.%g.%c.%%.%h.%d.%C.%Z", "core.coremem.gcc.%d.11.0.0.18446744073709551615.%%.faultline.1.0.");
  expect_core("a trailing %", "core-%p%", "core-%d");
  expect_core("%f and %E: the binary, '/' as '!'", "c.%f", "c.coremem.gcc");
  expect_core("%P %i %I", "c.%P.%i.%I", "c.%d.%d.%d");
  /* %E: the binary's path, each '/' a '!' */
  char exe[256], esc[300] = "e.";
  ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[l > 0 ? l : 0] = 0;
  for (char *q = exe; *q; q++) if (*q == '/') *q = '!';
  strncat(esc, exe, sizeof esc - 3);
  rc("%E", set_sysctl("core_pattern", "e.%E"));
  int est;
  segv_child(".", &est);
  printf("  WCOREDUMP %d, core file named by the binary's path: %d\n", WCOREDUMP(est) ? 1 : 0,
         unlink(esc) == 0);
  rc("core_uses_pid 1", set_sysctl("core_uses_pid", "1\n"));
  expect_core("core with core_uses_pid", "core", "core.%d");
  expect_core("%p with core_uses_pid: no suffix", "c%p", "c%d");
  rc("core_uses_pid bogus", set_sysctl("core_uses_pid", "x"));
  rc("core_uses_pid 0", set_sysctl("core_uses_pid", "0"));
  rc("a pipe", set_sysctl("core_pattern", "|/bin/cat"));
  int st;
  segv_child(".", &st);
  printf("  WCOREDUMP %d\n", WCOREDUMP(st) ? 1 : 0);
  rc("a socket", set_sysctl("core_pattern", "@/run/core.sock"));
  segv_child(".", &st);
  printf("  WCOREDUMP %d\n", WCOREDUMP(st) ? 1 : 0);
  rc("a relative socket", set_sysctl("core_pattern", "@run/core.sock"));
  rc("a socket path with ..", set_sysctl("core_pattern", "@/run/../core.sock"));
  char longp[200];
  memset(longp, 'x', sizeof longp);
  longp[sizeof longp - 1] = 0;
  rc("a 199-byte pattern", set_sysctl("core_pattern", longp));
  char back[256] = "";
  fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
  n = read(fd, back, sizeof back - 1);
  close(fd);
  printf("  read back %zd bytes\n", n);
  rc("restored", set_sysctl("core_pattern", old));
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "filter")) {
    show_filter("exec'd");
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "pattern")) return pattern_tests();
  if (argc > 1 && !strcmp(argv[1], "crash")) {      /* a core in the cwd (--root, --read-only) */
    int st;
    segv_child(".", &st);
    printf("WCOREDUMP %d, core file %d\n", WCOREDUMP(st) ? 1 : 0, access("core", F_OK) == 0);
    return 0;
  }
  char self[4096];
  ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
  if (l <= 0) return 1;
  self[l] = 0;
  filter_tests(self);
  core_tests();
  mem_tests();
  pagemap_tests();
  return 0;
}
