/* Signals sent to faultline itself, and --max-time (issue 20: "interrupted
 * runs lose nothing").
 *
 * SIGINT, SIGTERM and SIGHUP are the guest's, as under qemu-user: the
 * handler only notes the signal and cuts the running vCPU's budget, so
 * the CPU stops at its next block boundary; the run loop then posts it to
 * the guest (hostsig_poll).  A terminal's signal (si_code SI_KERNEL: the
 * tty driver sent it to the foreground process group faultline is in)
 * goes to every process of the top-level guest's process group, as the
 * terminal would send it to them; a kill(1) of faultline (SI_USER) to the
 * top-level guest process alone.  The sender is outside the guest's pid
 * space: si_pid and si_uid read 0, as for a sender outside a pid
 * namespace.  A second SIGINT, or any of the three while one is still
 * waiting to be posted, stops the run at once (gem5's habit): the stats,
 * log and trace are written as at any end, and faultline dies by that
 * signal.  --max-time is a host interval timer (SIGALRM) that stops the
 * CPU the same way. */
#include "sim/kernel.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#define SI_KERNEL_ 0x80

static struct vcpu *volatile running;       /* whose budget a signal cuts */
static volatile sig_atomic_t pending_sig;    /* taken by hostsig_poll */
static volatile sig_atomic_t pending_tty;    /* it came from the terminal */
static volatile sig_atomic_t stop_sig;       /* stop now, then die by it */
static volatile sig_atomic_t ints_seen;      /* SIGINTs so far */
static volatile sig_atomic_t time_up;        /* --max-time passed */
static bool installed, timer_armed;
static struct sigaction saved[3];
static const int host_sigs[3] = {SIGINT, SIGTERM, SIGHUP};

static void cut_budget(void) {
  struct vcpu *c = running;
  if (c) c->icount_stop = 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (sig == SIGINT) ints_seen++;
  if (pending_sig || (sig == SIGINT && ints_seen > 1)) stop_sig = sig;
  else {
    pending_tty = si && si->si_code == SI_KERNEL_;
    pending_sig = sig;
  }
  cut_budget();
}

static void on_alarm(int sig) {
  (void)sig;
  time_up = 1;
  cut_budget();
}

void hostsig_begin(const struct sim_config *cfg, struct vcpu *c) {
  pending_sig = pending_tty = stop_sig = ints_seen = time_up = 0;
  running = c;
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;          /* no SA_RESTART: a host wait returns EINTR */
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++) sigaction(host_sigs[i], &sa, &saved[i]);
    installed = true;
  }
  if (cfg->max_time_s > 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    double s = cfg->max_time_s;
    struct itimerval it = {.it_value = {.tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6)}};
    if (!it.it_value.tv_sec && !it.it_value.tv_usec) it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
    timer_armed = true;
  }
}

void hostsig_end(void) {
  running = NULL;
  if (timer_armed) {
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    timer_armed = false;
  }
  if (installed) {
    for (int i = 0; i < 3; i++) sigaction(host_sigs[i], &saved[i], NULL);
    installed = false;
  }
}

void hostsig_cpu(struct vcpu *c) {
  if (running) running = c;
}

bool hostsig_time_up(void) { return time_up; }

bool hostsig_waiting(void) { return pending_sig || stop_sig || time_up; }

/* post sig to the top-level guest process, or to its whole process
 * group when the terminal sent it */
static void post(struct kernel *k, int sig, bool tty) {
  struct task *top = k->tasks;
  if (!top || top->state == TS_ZOMBIE) return;
  int pgid = task_ctx_of(k, top)->tg->pgid;
  for (struct task *t = k->tasks; t; t = t->next) {
    struct task_ctx *c = task_ctx_of(k, t);
    if (c->tid != c->pid || t->state == TS_ZOMBIE) continue;   /* processes, by their leaders */
    if (tty ? c->tg->pgid != pgid : t != top) continue;
    struct ksiginfo *si = signal_send(k, t, sig, tty ? SI_KERNEL_ : 0 /* SI_USER */, 0);
    if (si) si->pid = 0, si->uid = 0;  /* a sender outside the guest */
  }
}

bool hostsig_poll(struct kernel *k) {
  if (!pending_sig && !stop_sig) return false;
  if (stop_sig) {
    k->host_stop = stop_sig;
    k->all_exited = true;
    k->guest_killed_by = stop_sig;     /* faultline dies by it */
    k->guest_exit_code = 0;
    pending_sig = 0;
    return true;
  }
  int sig = pending_sig;
  bool tty = pending_tty;
  pending_sig = 0;
  k->host_signal = sig;
  post(k, sig, tty);
  return true;
}

/* Every guest task waits: on host descriptors (p, n) and, with signal_wait,
 * for a signal only something outside could send (pause, sigsuspend):
 * faultline waits for input or for a signal sent to it, as the guest would
 * on Linux.  The check and the wait are one step (ppoll with the host
 * signals unblocked only inside it), so a signal is never missed.
 * -1: the wait failed (nothing can wake the guest). */
int hostsig_wait(struct kernel *k, struct pollfd *p, int n) {
  sigset_t block, old;
  sigemptyset(&block);
  for (int i = 0; i < 3; i++) sigaddset(&block, host_sigs[i]);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, &old);
  int r = 0;
  if (!hostsig_waiting()) r = ppoll(p, (nfds_t)n, NULL, &old);
  int e = errno;
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (hostsig_time_up()) {
    k->limit_hit = "max-time";
    k->all_exited = true;
    return 0;
  }
  if (hostsig_waiting()) { hostsig_poll(k); return 0; }
  return r < 0 && e != EINTR ? -1 : 0;
}
