/* The guest OS model's processes (internal to sim/, included by
 * kernel.h): tasks, virtual CPUs, core dumps, signals sent to faultline,
 * signals, pidfds, job control and virtual timers. */
#ifndef FAULTLINE_SIM_TASK_PRIV_H
#define FAULTLINE_SIM_TASK_PRIV_H
#include "sim/kernel.h"

/* ---- processes (task.c, task_exit.c) ---- */
int task_init_first(struct kernel *k);
#define OUTSIDE_PID 999   /* the first task's parent, outside the model */
#define FIRST_PID 1000    /* the first task's */
#define INIT_PID 1        /* init's (initproc.c) */
/* initproc.c: the modelled init (k->init), made with the first task */
int init_task_new(struct kernel *k);
void init_task_free(struct kernel *k);
struct task_ctx *task_outside(struct kernel *k);
void rlimits_init(struct task_ctx *c);   /* syscall.c: the first task's limits */
struct task *task_find(struct kernel *k, int pid);       /* a process (its leader) */
struct task *task_find_tid(struct kernel *k, int tid);   /* a thread */
void task_reap_gone(struct kernel *k);
/* shared by task.c and exec.c: descriptor tables, thread groups, a
 * thread's last touches of its address space (robust list, clear_child_tid) */
struct files *files_new(struct kernel *k, int cap);   /* an empty table of cap slots */
struct files *files_copy(struct kernel *k, const struct files *src);
/* pid.c: a new task's pid (clone3's set_tid: that one, set_tid_size 0 or 1) or -errno */
int alloc_pid(struct kernel *k, const int32_t *set_tid, uint64_t set_tid_size);
/* copy_process's limits: kernel.threads-max (--max-procs) for every user,
 * RLIMIT_NPROC for the unprivileged; true: the fork fails with EAGAIN */
bool clone_over_limits(struct kernel *k, bool thread);
void files_put(struct files *f);
void tgroup_put(struct tgroup *g);
void thread_release_user(struct kernel *k, struct task_ctx *tc);
/* ---- virtual CPUs (smp.c) ---- */
void smp_select(struct kernel *k, int i);               /* vCPU i runs on the host now */
void smp_start_task(struct kernel *k, struct task *t);  /* the running (idle) vCPU takes t */
void smp_idle(struct kernel *k);                        /* the running vCPU's task leaves it */
bool smp_others_busy(const struct kernel *k);           /* another vCPU runs a task */
void smp_mm_loaded(struct kernel *k);                   /* CR3 now holds k->mm */
void smp_sched_in(struct kernel *k);                    /* a thread starts on the idle vCPU */
void smp_sched_out(struct kernel *k);                   /* the vCPU goes idle */
void smp_task_gone(struct kernel *k);                   /* the running thread exited */
bool smp_preempted(const struct kernel *k, int i);      /* smp.steal: the host preempts vCPU i this round */
void smp_catch_up(struct kernel *k);                    /* switch-in: a lazy TLB flushed if behind */
void smp_shootdown(struct kernel *k, uint64_t va, bool all);
void smp_batch(struct kernel *k, bool begin);
uint64_t smp_time_insns(const struct kernel *k);        /* guest time, in instructions */
struct json;
void smp_stats(struct json *j, const struct kernel *k);
void task_switch_to(struct kernel *k, struct task *t);
int live_mms(struct kernel *k, struct mm **out, int max);
struct task *sched_pick(struct kernel *k);
void sched_switch(struct kernel *k);
/* Timed waits (nanosleep, poll/select timeouts): park the running task
 * until guest time reaches `deadline` (BLK_SLEEP unless a block kind is
 * already set) and re-run its syscall then.  The re-run calls
 * task_wait_deadline, which returns the deadline (0 if none) and clears
 * it; a signal that interrupts the wait clears it too. */
void task_wait_until(struct kernel *k, uint64_t deadline);
uint64_t task_wait_deadline(struct kernel *k);
/* the earliest deadline of a blocked task (0 if none) */
uint64_t task_next_deadline(struct kernel *k);
void task_exit(struct kernel *k);
void task_cleanup_all(struct kernel *k);
long sys_clone_family(struct kernel *k, int nr, const uint64_t a[6]);
long sys_wait_family(struct kernel *k, int nr, const uint64_t a[6]);
/* the running task's parked wait4/waitid has something to return now */
bool task_wait_done(struct kernel *k);
/* task_exit.c, for the scheduler's wakeups: the first child the wait
 * (pid argument want, options) may report now, with what (*event, a
 * CLD_* code); whether any child is left for it to wait for */
struct task *wait_find(struct kernel *k, struct task *parent, int want, int options, int *event);
bool any_child(struct kernel *k, struct task *parent, int want, int options);
long sys_pgrp(struct kernel *k, int nr, const uint64_t a[6]);
long sys_execve(struct kernel *k, uint64_t upath, uint64_t uargv, uint64_t uenvp);
long sys_execveat(struct kernel *k, int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp, int flags);
/* mm_fork.c: dup_mmap (fork's copy, steps fork.*) and exit_mmap (the
 * last user's teardown, steps exit.*: then mm_put frees what is left) */
struct mm *mm_fork(struct kernel *k, struct mm *parent);
void mm_exit_mmap(struct kernel *k, struct mm *mm);

/* ---- core dumps (coredump.c) ---- */
/* The running task dies of sig, a signal whose default action dumps core
 * (signal(7)): write its core file as Linux does; true if a core was
 * dumped (the wait status's WCOREDUMP bit). */
bool coredump(struct kernel *k, int sig);
/* /proc/sys/kernel/core_pattern: a pattern Linux refuses (EINVAL), else 0 */
int coredump_pattern_check(const char *pattern);

/* ptrace_may_access (kernel/ptrace.c): may the running task reach t's
 * memory (PTRACE_MODE_ATTACH; fscreds: the filesystem ids, as /proc
 * checks, else the real ones)?  Its own process always. */
bool ptrace_may_access(struct kernel *k, struct task *t, bool fscreds);

/* an option of a modelled call the model does not offer: ret, and one
 * faultline: line the first time each (call, value) is asked for */
long sys_unsupported_option(struct kernel *k, const char *call, const char *what, uint64_t value, long ret);

/* ---- signals sent to faultline, and --max-time (hostsig.c) ---- */
void hostsig_begin(const struct sim_config *cfg, struct vcpu *c);
void hostsig_end(void);
/* the vCPU now running (a signal cuts its budget) */
void hostsig_cpu(struct vcpu *c);
bool hostsig_time_up(void);
/* something waits to be taken (a host wait should end: EINTR) */
bool hostsig_waiting(void);
/* take a signal sent to faultline: post it to the guest, or stop the run
 * (k->host_stop); true if one was taken */
bool hostsig_poll(struct kernel *k);
/* every guest task waits on host descriptors p[0..n) or for a signal from
 * outside: wait for either (a signal is taken); -1 if the wait failed */
struct pollfd;
int hostsig_wait(struct kernel *k, struct pollfd *p, int n);

/* ---- signals (signal.c) ---- */
/* queue a signal for a task (the running one: k->tc); true if it is now
 * pending with this siginfo (false: dropped as ignored, or a standard
 * signal already pending, whose first siginfo stays) */
/* queue a process-directed signal (the thread group's shared queue) or a
 * thread-directed one; the queued siginfo, NULL when it was dropped */
struct ksiginfo *signal_send(struct kernel *k, struct task *t, int sig, int code, uint64_t addr);
struct ksiginfo *signal_send_thread(struct kernel *k, struct task *t, int sig, int code, uint64_t addr);
/* a synchronous fault: forced (unblocked, default if ignored) */
void signal_force_fault(struct kernel *k, int sig, int code, uint64_t addr, int trapno,
                        uint32_t err);
/* before returning to user mode: deliver one pending signal (build the
 * frame) or apply its default action (may end the task) */
void signal_deliver(struct kernel *k);
/* the siginfo_t (128 bytes) of the running task's signal sig, as a handler sees it */
void signal_siginfo(struct kernel *k, int sig, uint8_t info[128]);
long sys_signal(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
void signal_interrupt_syscall(struct kernel *k);
/* The running task was woken in a parked syscall by a signal: stop
 * signals next in line take their default action here while the call
 * stays parked, as Linux restarts a call that no handler interrupted.
 * True if the task is off the CPU again (stopped, or back to its wait
 * when an orphaned group's stop signal was dropped); false if a signal
 * must interrupt the call (signal_interrupt_syscall). */
bool signal_stop_parked(struct kernel *k);
/* pending, unblocked signals that are not ignored: they end a wait */
uint64_t signal_wakers(const struct task_ctx *c);
/* syscall.c: a signal ends a timed wait; -EFAULT when the time left
 * cannot be stored, else 0 */
long sleep_interrupted(struct kernel *k);

/* kill(2)'s permission check (kill_ok_by_cred) for a signal to c */
bool signal_may_kill(const struct kernel *k, const struct task_ctx *c, int sig);
/* queue sig on t with a caller-supplied siginfo (rt_sigqueueinfo and
 * pidfd_send_signal): its code, value and sender ids */
void signal_queue_info(struct kernel *k, struct task *t, int sig, const uint8_t info[128], bool thread);

/* ---- pidfds (pidfd.c) ---- */
#define CLONE_PIDFD_ 0x1000
/* a pidfd for t, at exactly guest fd `at` (>= 0) or the lowest free one
 * (at < 0); flags: O_NONBLOCK and PIDFD_THREAD (O_EXCL) */
int pidfd_install(struct kernel *k, struct task *t, int flags, int at);
/* the pid a pidfd refers to (and its file flags), or -EBADF */
int pidfd_pid_of(struct kernel *k, int fd, int *f_flags);
/* t became a zombie / was reaped / the run ends */
void pidfd_task_exited(struct task *t);
void pidfd_task_gone(struct task *t);
/* poll mask of a pidfd (pidfd_poll): POLLIN once the process exited,
 * POLLHUP too once it is reaped */
short pidfd_poll_mask(struct kernel *k, const struct gfd *g);
long sys_pidfd(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* kcmp(2) (kcmp.c): 0 if the two tasks share the object, else 1 or 2 */
long sys_kcmp(struct kernel *k, int pid1, int pid2, int type, uint64_t idx1, uint64_t idx2);
/* ---- job control (jobctl.c): stop signals, SIGCONT, orphaned groups ---- */
#define SIG_STOP_MASK ((1ull << (SIGSTOP - 1)) | (1ull << (SIGTSTP - 1)) | \
                       (1ull << (SIGTTIN - 1)) | (1ull << (SIGTTOU - 1)))
/* a signal is being generated for t (Linux's prepare_signal): a stop
 * signal discards a pending SIGCONT; SIGCONT discards pending stop signals
 * and continues t if it is stopped, blocked or ignored as SIGCONT may be */
void jobctl_generate(struct kernel *k, struct task *t, int sig);
/* the running task takes a stop signal's default action (do_signal_stop):
 * it stops, and its parent hears CLD_STOPPED.  A syscall it was parked in
 * stays parked under the stop and goes on after SIGCONT. */
void jobctl_stop(struct kernel *k, int sig);
/* the running thread has a group stop pending: it stops (signal_deliver) */
void jobctl_stop_pending(struct kernel *k);
/* a thread leaves the group (exit) while a group stop waits for it */
void jobctl_thread_gone(struct kernel *k, struct task *t);
/* is the process group pgid orphaned, not counting `ignore`
 * (will_become_orphaned_pgrp)? */
bool jobctl_pgrp_orphaned(struct kernel *k, int pgid, const struct task *ignore);
/* the running task exits (kill_orphaned_pgrp): a process group it
 * leaves orphaned with a stopped member gets SIGHUP and SIGCONT; first
 * for each child as it is reparented to init, then for its own group */
void jobctl_reparented(struct kernel *k, struct task *child);
void jobctl_exit(struct kernel *k);
/* SIGCHLD to t's parent for a child event (CLD_*), with the child's pid,
 * real uid and status; stop/continue events respect SA_NOCLDSTOP */
void jobctl_notify_parent(struct kernel *k, struct task *t, int code, int status);

/* ---- virtual timers (timer.c) ---- */
long sys_timer(struct kernel *k, int nr, const uint64_t a[6], bool *handled);
/* fire expired timers of every task; returns the earliest pending expiry
 * (absolute ns) or 0 */
uint64_t timers_fire(struct kernel *k);
/* nothing can run: skip virtual time to the earliest timer and fire it */
bool timers_skip_idle(struct kernel *k);
/* the running task's CPU time in ns; fire its CPU-time timers that are due
 * and return the instructions until the next one (0: none armed) */
uint64_t task_cpu_ns(struct kernel *k);     /* the running process's CPU time */
uint64_t task_cpu_ns_of(struct kernel *k, struct task *t, bool process);
uint64_t cpu_timers_fire(struct kernel *k);

/* virtual time in ns since the Unix epoch */
uint64_t ktime_ns(struct kernel *k);
/* the wall clock (CLOCK_REALTIME): guest time moved by clock_settime */
uint64_t krealtime_ns(struct kernel *k);
#define GUEST_NODENAME "faultline"   /* uname's nodename */
uint64_t krand64(struct kernel *k);

#endif
