/* faultline sim: machine assembly, run loop, parameter registry, presets,
 * the guest OS model (ELF loader, address spaces, Linux syscalls). */
#ifndef FAULTLINE_SIM_SIM_H
#define FAULTLINE_SIM_SIM_H
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "traces/params.h"
#include "traces/events.h"

/* ---- parameter registry ---- */
struct param_reg;
struct param_reg *params_new(void);
void params_free(struct param_reg *r);
/* set from "key=value"; on error writes a message naming the closest key */
int params_set(struct param_reg *r, const char *kv, char *err, size_t errlen);
int params_load_preset(struct param_reg *r, const char *name_or_file, char *err,
                       size_t errlen);
/* The value of a registered parameter, looked up by name: for start-up
 * code only (a string search).  An unknown name is an internal error:
 * message on stderr, exit 125. */
uint64_t params_get(void *r, const char *name);
/* The layers' tables the registry gathers (NULL-terminated); the first
 * name defined twice across tabs (params_new stops on one), or NULL. */
extern const struct fl_param_def *const params_tables[];
const char *params_find_duplicate(const struct fl_param_def *const *tabs);
/* listed with a column: "fixed" when a replay must keep the recording's
 * value (the guest kernel's decisions depend on it), "may" otherwise */
/* the parameters whose names start with prefix (NULL: all), as a table or
 * a JSON list; how many */
int params_list(FILE *out, const char *prefix, bool json);
bool param_fixed_at_replay(const char *name);
/* the modelled kernel (`faultline kernel`): its /proc/sys table and its
 * CONFIG_ options as markdown (docs/kernel-config.md), and its .config
 * text (malloc'ed) */
void sysctl_markdown(FILE *f);
void kconfig_markdown(FILE *f);
char *kconfig_text(size_t *len);
void presets_list(FILE *out);
/* the built-in presets (sim/presets.c), ending with a NULL name */
struct preset { const char *name, *doc, *text; };
extern const struct preset builtin_presets[];
const char *params_preset_name(const struct param_reg *r);
/* a preset file's SHA-256 in hex ("" for a built-in preset or none) */
const char *params_preset_sha256(const struct param_reg *r);
/* the vendor the loaded preset names (`cpu = amd`), or NULL */
const char *params_preset_vendor(const struct param_reg *r);
uint64_t params_hash(const struct param_reg *r);

/* A view of a run as it goes (`faultline run --view`): every step on the
 * bus, and every `every` retired instructions (between blocks) the state
 * to draw; on_tick returns false to end the run (the guest is stopped as
 * by SIGINT). */
struct tlb;
struct sim_snapshot {
  uint64_t icount, cycles;
  const struct tlb *tlb;     /* the vCPU's TLB levels */
  uint64_t faults_visible, faults_hidden;
  int pid;
  bool final;                /* the run is over: the last tick */
  int cpu, ncpus;            /* --cpus: the vCPU this tick is (its TLB, counts), of how many */
};
struct sim_observer {
  void *ctx;
  ev_sink_fn on_event;
  bool (*on_tick)(void *ctx, const struct sim_snapshot *s);
  uint64_t every;
};

struct sim_config {
  const char *mode;          /* hv mode name */
  const char *cpu_vendor;    /* intel | amd */
  struct param_reg *params;
  const char *stats_path;    /* NULL, "-" or file */
  int stats_fd;              /* --stats-fd N: stats to this descriptor (stats_path "&fd") */
  char **sets;               /* the --set values as given (NULL-terminated; the stats' config) */
  const char *preset_path;   /* --preset as given (the stats' config: its hash when a file) */
  const char *log_path;
  bool log_jsonl;            /* --log-format jsonl (else text) */
  const char *log_filter;    /* --log-filter EXPR */
  const char *root;          /* --root DIR */
  uint64_t mem_bytes;        /* --mem */
  int cpus;                  /* --cpus: virtual CPUs (0 or 1: one) */
  int max_procs;             /* --max-procs: guest tasks at once (0: 4096) */
  uint64_t max_insns;        /* --max-insns (0 = unlimited) */
  double max_time_s;         /* --max-time: host seconds, fractions allowed (0 = unlimited) */
  bool read_only;
  uint64_t aslr_seed;        /* 0: off */
  uint64_t epoch;            /* seconds */
  char **argv;               /* guest argv (argv[0] = program path) */
  char **envp;               /* guest environment */
  const char *trace_path;    /* --trace FILE: record the run (NULL: no) */
  char **command;            /* faultline's own command line (NULL-terminated) for the
                                trace header; NULL: argv */
  bool quiet;
  bool guest_output_null;    /* compare: the guest's stdout/stderr go to /dev/null */
  int top_faults;            /* --top-faults N: attribution, its table's rows (0: off) */
  bool symbols;              /* --symbols: attribution by function too */
  uint64_t warmup_insns;     /* --warmup-insns N: a region of interest from N on */
  const char *roi_symbol;    /* --roi-symbol FUNC: regions while FUNC runs */
  const struct sim_observer *observer;   /* --view (NULL: none) */
  uint64_t log_samples;      /* --log-samples N: counters into the jsonl log every N instructions */
};

struct sim_result {
  int exit_code;             /* guest exit status */
  int signal;                /* guest killed by signal (0 if not) */
  uint64_t instructions, cycles;
  uint64_t faults_guest, faults_hidden;
  uint64_t walks, walk_refs;
  uint64_t fault_cycles, vm_exits;
  char error[512];           /* simulator error (exit 125) */
  const char *limit;         /* "max-insns" | "max-time": the run stopped at a limit (exit 124) */
  bool interrupted;          /* a signal sent to faultline ended the run (signal: which) */
  int death_pid;             /* signal: the top-level guest process that died of it */
  bool death_has_addr;
  uint64_t death_addr, death_rip;
  char death_where[200];     /* the rip's function or mapping */
};

/* signal(7): sig's default action dumps core ("Core") */
bool signal_dumps_core(int sig);

/* Run one guest to completion.  Returns 0, or -1 with res->error set. */
int sim_run(const struct sim_config *cfg, struct sim_result *res);
/* Replay a .fltr trace (replay.c) on the machine cfg describes (its mode,
 * CPU, parameters, stats and log; the guest's own settings must be the
 * recording's).  Returns 0, or -1 with res->error set. */
struct replay_window {
  bool on;                   /* count only [from, to) in retired instructions */
  uint64_t from, to;
  bool seek;                 /* warm up from the last keyframe at or before `from`
                                (else from the trace's start) */
};
int sim_replay(const struct sim_config *cfg, const char *trace, const struct replay_window *win,
               struct sim_result *res);

#endif
