/* One run's machine (internal to sim/): what sim_run and sim_replay
 * assemble alike -- machine memory, the MMU, the CPU with its TLBs and
 * caches, the event bus with its stats and log, the guest kernel's
 * machine side and the mode over it. */
#ifndef FAULTLINE_SIM_MACHINE_H
#define FAULTLINE_SIM_MACHINE_H
#include "sim/kernel.h"
#include "sim/stats.h"
#include <stdio.h>

/* Everything one run assembles. */
struct machine {
  const struct sim_config *cfg;
  const struct hv_mode *mode;
  struct machine_mem mem;
  bool mem_ok;
  struct mmu mmu;
  struct vcpu *c;             /* the running vCPU (--cpus: one of cpus[]) */
  int ncpus;
  struct vcpu *cpus[64];      /* --cpus: every vCPU (cpus[0] == the first c) */
  struct pwc *pwcs[64];       /* each one's paging-structure caches (pwcs[0] == &pwc; NULL: none) */
  struct kernel *k;
  struct hv hv;
  struct ev_bus bus;
  struct cache_hier dcache;
  struct pwc pwc;
  struct ev_stats es;
  FILE *logf;
  FILE *statsf;              /* --stats/--stats-fd, opened before the guest starts */
  struct ev_log evlog;
  uint64_t limit;            /* --max-insns as an icount */
  struct roi *roi;           /* regions of interest (roi.c) */
  uint64_t roi_sym, roi_ret, roi_rsp;   /* run --roi-symbol: its entry; while in it, where it returns */
  bool roi_in_sym;
  uint64_t roi_warmup;       /* run --warmup-insns: the region starts here (0: done or none) */
  uint64_t next_tick;        /* --view: the observer's next tick (an icount) */
  uint64_t next_sample;      /* --log-samples: the next sample (an icount) */
  uint64_t cpu_next_sample[HV_MAX_CPUS];   /* --cpus: each vCPU's, at its own icount */
  uint64_t cpu_next_tick[HV_MAX_CPUS];     /* (--view's ticks, the same way) */
  /* a replay's window (the stats JSON says so) */
  bool win;
  uint64_t win_from, win_to, win_warm;
};

/* memory, MMU, CPU, caches, walk caches (run.c) */
int machine_init(struct machine *m, char *err, size_t n);
/* the event bus: the stats sink, the log when asked for */
int events_init(struct machine *m, char *err, size_t n);
/* the guest kernel's parameters and memory, the mode over it (its
 * guest_ops from guest_ops_fill; a replay then puts its own) */
int guest_kernel_init(struct machine *m, char *err, size_t n);
/* the stats JSON when asked for; -1 with res->error */
int machine_write_stats(struct machine *m, struct sim_result *res);
/* the log reached its file whole, else res->error says how much did (outputs.c) */
void machine_check_log(struct machine *m, struct sim_result *res);
/* the run's instructions (every vCPU's) and cycles (the slowest vCPU's),
 * the walk caches' counts summed into the one the stats read */
void machine_totals(struct machine *m, struct sim_result *res);
void machine_fini(struct machine *m);

/* ---- regions of interest (roi.c): the magic instruction's commands ---- */
enum { ROI_BEGIN = 1, ROI_END, ROI_RESET, ROI_DUMP };
void roi_command(struct machine *m, int cmd);
/* run --roi-symbol: the watched address was reached (CPU_EXIT_WATCH) */
void roi_watch(struct machine *m);
char *roi_finish(struct machine *m);
/* run --roi-symbol FUNC: watch FUNC's entry in the program's symbols */
int roi_symbol_setup(struct machine *m, const char *name, char *err, size_t n);   /* the region's JSON members (malloc'ed) or NULL */
void roi_free(struct machine *m);

#endif
