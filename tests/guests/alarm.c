/* Guest: alarm, pause, sleep interrupted by SIGALRM, setitimer, and the
 * default action of SIGALRM (exit status 142). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/time.h>
static volatile int n;
static void h(int s) { n++; }
int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGALRM, h);
  alarm(1);
  pause();
  printf("after pause n=%d\n", n);
  alarm(2);
  unsigned left = sleep(10);
  printf("sleep interrupted early %d n=%d\n", left >= 7 && left <= 8, n);
  struct itimerval it = {{0, 20000}, {0, 10000}};
  setitimer(ITIMER_REAL, &it, NULL);
  volatile unsigned long spin = 0;
  while (n < 6) spin++;
  printf("itimer ticks n=%d\n", n);
  it = (struct itimerval){{0,0},{0,0}};
  setitimer(ITIMER_REAL, &it, NULL);
  signal(SIGALRM, SIG_DFL);
  alarm(1);
  pause();
  return 0;
}
