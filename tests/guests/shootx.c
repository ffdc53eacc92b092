/* TLB shootdowns (issue 19): a reader thread keeps a page's translation
 * in its TLB while main makes the page PROT_NONE.  On Linux (and under
 * faultline --cpus N) the shootdown reaches the reader's CPU: its next
 * read faults (SIGSEGV, caught).  With the shootdown skipped
 * (--set smp.skip_shootdown=1) the reader's stale translation still reads
 * the page: "stale".  Also: munmap while another thread runs, and
 * sched_getaffinity / the online CPUs as the guest sees them. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile char *page;
static atomic_int ready, protected_now;
static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }

static void *reader(void *arg) {
  (void)arg;
  static volatile long sum;
  signal(SIGSEGV, on_segv);
  if (sigsetjmp(jb, 1)) return (void *)1;   /* faulted: the shootdown reached this CPU */
  for (int i = 0; i < 1000; i++) sum += page[0];   /* the translation is in this CPU's TLB */
  atomic_store(&ready, 1);
  while (!atomic_load(&protected_now)) sum += page[0];
  sum += page[0];
  return (void *)2;                    /* read through a stale translation */
}

int main(int argc, char **argv) {
  (void)argv;
  setvbuf(stdout, NULL, _IONBF, 0);
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[0] = 1;
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  while (!atomic_load(&ready)) sched_yield();
  mprotect((void *)page, 4096, PROT_NONE);
  atomic_store(&protected_now, 1);
  void *rv;
  pthread_join(t, &rv);
  printf("reader after PROT_NONE: %s\n", rv == (void *)1 ? "faulted" : "stale");
  if (argc > 1) return 0;
  cpu_set_t s;
  CPU_ZERO(&s);
  sched_getaffinity(0, sizeof s, &s);
  printf("affinity has CPUs: %d, sysconf online: %d\n", CPU_COUNT(&s) >= 1, sysconf(_SC_NPROCESSORS_ONLN) >= 1);
  return 0;
}
