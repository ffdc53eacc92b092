/* userfaultfd (issue 19): a handler thread serves the missing pages of a
 * registered range (UFFDIO_COPY, UFFDIO_ZEROPAGE) and write-protect
 * faults (UFFDIO_WRITEPROTECT), with the API's error cases.  One thread
 * faults at a time, so the messages and the output are the same natively
 * and under every mode.  "deadlock" (faultline only: it hangs natively)
 * touches a registered page with no handler. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096
#define NPAGES 16
static int uffd;
static char *area, *wparea;
static const char *err(long r) {
  static char b[32];
  if (r >= 0) { snprintf(b, sizeof b, "%ld", r); return b; }
  return errno == EINVAL ? "EINVAL" : errno == EEXIST ? "EEXIST" : errno == ENOENT ? "ENOENT" : errno == ENOMEM ? "ENOMEM"
       : errno == EAGAIN ? "EAGAIN" : errno == EBUSY ? "EBUSY" : errno == EPERM ? "EPERM" : strerror(errno);
}

static pid_t main_tid;
static int missing_msgs, wp_msgs, tid_ok = 1, write_flags;
static volatile int stop;

static void *handler(void *arg) {
  (void)arg;
  static char page[PG];
  while (!stop) {
    struct pollfd p = {.fd = uffd, .events = POLLIN};
    int n = poll(&p, 1, 50);
    if (n <= 0) continue;
    struct uffd_msg m;
    if (read(uffd, &m, sizeof m) != sizeof m) continue;
    if (m.event != UFFD_EVENT_PAGEFAULT) continue;
    uint64_t a = m.arg.pagefault.address & ~(uint64_t)(PG - 1);
    if (m.arg.pagefault.feat.ptid != (uint32_t)main_tid) tid_ok = 0;
    if (m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
      wp_msgs++;
      write_flags += (m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0;
      struct uffdio_writeprotect w = {.range = {a, PG}, .mode = 0};   /* off, and wake */
      ioctl(uffd, UFFDIO_WRITEPROTECT, &w);
      continue;
    }
    missing_msgs++;
    long idx = (long)(a - (uint64_t)(uintptr_t)area) / PG;
    if (idx % 4 == 3) {
      struct uffdio_zeropage z = {.range = {a, PG}, .mode = 0};
      ioctl(uffd, UFFDIO_ZEROPAGE, &z);
    } else {
      memset(page, 'a' + (int)(idx % 26), PG);
      struct uffdio_copy c = {.dst = a, .src = (uintptr_t)page, .len = PG, .mode = 0};
      ioctl(uffd, UFFDIO_COPY, &c);
    }
  }
  return NULL;
}

static sigjmp_buf jb;
static void on_bus(int s) { (void)s; siglongjmp(jb, 1); }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  main_tid = (pid_t)syscall(SYS_gettid);
  uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  if (uffd < 0) { printf("userfaultfd: %s\n", err(-1)); return 0; }
  printf("userfaultfd bad flags: %s\n", err(syscall(SYS_userfaultfd, 0x100)));
  struct uffdio_register r = {.range = {0, PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  printf("register before API: %s\n", err(ioctl(uffd, UFFDIO_REGISTER, &r)));
  struct uffdio_api api = {.api = 0x55, .features = 0};
  printf("API wrong version: %s\n", err(ioctl(uffd, UFFDIO_API, &api)));
  api = (struct uffdio_api){.api = UFFD_API, .features = UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_PAGEFAULT_FLAG_WP};
  long ar = ioctl(uffd, UFFDIO_API, &api);
  printf("API: %s, WP feature %d, thread id %d, register ioctl %d\n", err(ar),
         (api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP) != 0, (api.features & UFFD_FEATURE_THREAD_ID) != 0,
         (api.ioctls & (1ull << _UFFDIO_REGISTER)) != 0);
  printf("API twice: %s\n", err(ioctl(uffd, UFFDIO_API, &api)));

  area = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = (struct uffdio_register){.range = {(uintptr_t)area + 1, PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  printf("register unaligned: %s\n", err(ioctl(uffd, UFFDIO_REGISTER, &r)));
  r = (struct uffdio_register){.range = {(uintptr_t)area, PG}, .mode = 0};
  printf("register no mode: %s\n", err(ioctl(uffd, UFFDIO_REGISTER, &r)));
  char *hole = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, PG);
  r = (struct uffdio_register){.range = {(uintptr_t)hole, PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  printf("register unmapped: %s\n", err(ioctl(uffd, UFFDIO_REGISTER, &r)));
  r = (struct uffdio_register){.range = {(uintptr_t)area, NPAGES * PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  long rr = ioctl(uffd, UFFDIO_REGISTER, &r);
  printf("register: %s, copy ioctl %d, zeropage ioctl %d\n", err(rr),
         (r.ioctls & (1ull << _UFFDIO_COPY)) != 0, (r.ioctls & (1ull << _UFFDIO_ZEROPAGE)) != 0);

  if (argc > 1 && !strcmp(argv[1], "deadlock")) return area[0];   /* no handler: waits for ever */

  pthread_t th;
  pthread_create(&th, NULL, handler, NULL);
  long sum = 0;
  for (int i = 0; i < NPAGES; i++) sum += area[i * PG] + area[i * PG + PG - 1];
  printf("served %d missing pages, sum %ld, the faulting thread named %d\n", missing_msgs, sum, tid_ok);
  area[5 * PG] = 'Z';                    /* written normally now */
  printf("page 5 now %c%c\n", area[5 * PG], area[5 * PG + 1]);

  /* UFFDIO_COPY onto a mapped page, and outside the range */
  static char src[4 * PG];
  struct uffdio_copy c = {.dst = (uintptr_t)area, .src = (uintptr_t)src, .len = PG};
  long cr = ioctl(uffd, UFFDIO_COPY, &c);
  printf("copy onto a mapped page: %s, copy field %lld\n", err(cr), (long long)c.copy);
  c = (struct uffdio_copy){.dst = (uintptr_t)area + NPAGES * PG, .src = (uintptr_t)src, .len = PG};
  cr = ioctl(uffd, UFFDIO_COPY, &c);
  printf("copy outside the range: %s\n", err(cr));
  c = (struct uffdio_copy){.dst = (uintptr_t)area, .src = (uintptr_t)src, .len = PG, .mode = 8};
  printf("copy bad mode: %s\n", err(ioctl(uffd, UFFDIO_COPY, &c)));

  /* write protection: populated by UFFDIO_COPY, protected, then written */
  wparea = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = (struct uffdio_register){.range = {(uintptr_t)wparea, 4 * PG},
                               .mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP};
  rr = ioctl(uffd, UFFDIO_REGISTER, &r);
  printf("register WP: %s, writeprotect ioctl %d\n", err(rr), (r.ioctls & (1ull << _UFFDIO_WRITEPROTECT)) != 0);
  memset(src, 'w', sizeof src);
  c = (struct uffdio_copy){.dst = (uintptr_t)wparea, .src = (uintptr_t)src, .len = 4 * PG};
  cr = ioctl(uffd, UFFDIO_COPY, &c);
  printf("copy 4 pages: %s, copied %lld\n", err(cr), (long long)c.copy);
  struct uffdio_writeprotect w = {.range = {(uintptr_t)wparea, 4 * PG}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
  printf("writeprotect: %s\n", err(ioctl(uffd, UFFDIO_WRITEPROTECT, &w)));
  w.mode = UFFDIO_WRITEPROTECT_MODE_WP | UFFDIO_WRITEPROTECT_MODE_DONTWAKE;
  printf("writeprotect wp+dontwake: %s\n", err(ioctl(uffd, UFFDIO_WRITEPROTECT, &w)));
  w = (struct uffdio_writeprotect){.range = {(uintptr_t)area, PG}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
  printf("writeprotect a MISSING-only range: %s\n", err(ioctl(uffd, UFFDIO_WRITEPROTECT, &w)));
  long rsum = 0;
  for (int i = 0; i < 4; i++) rsum += wparea[i * PG];   /* reads do not fault */
  for (int i = 0; i < 4; i++) wparea[i * PG + 7] = (char)('0' + i);
  printf("reads %ld; %d write-protect faults (%d writes), pages now %c%c %c%c\n", rsum, wp_msgs, write_flags,
         wparea[0], wparea[7], wparea[3 * PG] ? wparea[3 * PG] : '.', wparea[3 * PG + 7]);

  stop = 1;
  pthread_join(th, NULL);
  /* unregistering: later faults are the kernel's own */
  struct uffdio_range ur = {(uintptr_t)wparea, 4 * PG};
  printf("unregister: %s\n", err(ioctl(uffd, UFFDIO_UNREGISTER, &ur)));
  char *fresh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = (struct uffdio_register){.range = {(uintptr_t)fresh, 2 * PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  ioctl(uffd, UFFDIO_REGISTER, &r);
  close(uffd);                           /* closing lets go of every range */
  fresh[0] = 1;
  printf("after close: %d %d\n", fresh[0], fresh[PG]);

  /* UFFD_FEATURE_SIGBUS: no messages, SIGBUS */
  int u2 = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
  api = (struct uffdio_api){.api = UFFD_API, .features = UFFD_FEATURE_SIGBUS};
  ioctl(u2, UFFDIO_API, &api);
  char *sb = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  r = (struct uffdio_register){.range = {(uintptr_t)sb, PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
  ioctl(u2, UFFDIO_REGISTER, &r);
  signal(SIGBUS, on_bus);
  if (!sigsetjmp(jb, 1)) { volatile char x = sb[0]; (void)x; printf("no SIGBUS\n"); }
  else printf("SIGBUS on a missing page\n");
  signal(SIGBUS, SIG_DFL);
  struct uffdio_zeropage z = {.range = {(uintptr_t)sb, PG}};
  long zr = ioctl(u2, UFFDIO_ZEROPAGE, &z);
  printf("zeropage: %s, zeropage field %lld\n", err(zr), (long long)z.zeropage);
  if (zr == 0) printf("then reads %d\n", sb[100]);
  return 0;
}
