/* A user access to a kernel-half address: SIGSEGV, SEGV_MAPERR, si_addr the
 * address (Linux: do_user_addr_fault -> bad_area_nosemaphore).  Under spin
 * with several extensions no guard holds for it: the default
 * implementation, or the dispatcher's exception, must end the same way. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf back;
static volatile int code;
static volatile uintptr_t addr;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  code = si->si_code;
  addr = (uintptr_t)si->si_addr;
  siglongjmp(back, 1);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  static const uintptr_t targets[] = {0xffff800000001000u, 0xffffc90000002000u};
  for (int i = 0; i < 2; i++) {
    if (!sigsetjmp(back, 1)) {
      volatile char c = *(volatile char *)targets[i];
      (void)c;
      printf("read %#lx: no fault\n", (unsigned long)targets[i]);
    } else {
      printf("read %#lx: SIGSEGV code %d, address %s\n", (unsigned long)targets[i], code,
             addr == targets[i] ? "right" : "wrong");
    }
  }
  return 0;
}
