/* Shared by the faultline commands (tools/): option parsing and errors. */
#ifndef FAULTLINE_TOOLS_CLI_H
#define FAULTLINE_TOOLS_CLI_H
#include "sim/sim.h"
#include <stdbool.h>
#include <stdint.h>

/* one faultline: line on stderr, exit 125 */
_Noreturn void die(const char *fmt, const char *a);
uint64_t parse_size(const char *s);
uint64_t parse_u64(const char *s, const char *what);
/* a count: 1000000, 1M, 1e6 (decimal suffixes k M G T); what: the error's format */
uint64_t parse_count(const char *s, const char *what);
/* host seconds, fractions allowed */
double parse_seconds(const char *s, const char *what);

/* `faultline run`'s options (run_parse; cfg.params is not set) */
struct run_args {
  struct sim_config cfg;
  const char *preset;
  char **sets, **edits;
  int nsets, nedits;
  bool clean;
  bool cpu_given;            /* --cpu (else the preset's vendor, else intel) */
  bool view;                 /* --view */
  const char *view_record;   /* --view-record DIR */
  uint64_t view_every;       /* --view-every N */
  unsigned view_record_every;
  int optind;                /* argv[optind]: the program */
};
void run_parse(int argc, char **argv, struct run_args *a);
/* its preset, then its --set values, into p (an error: die) */
void run_params(const struct run_args *a, struct param_reg *p);
/* the vendor: --cpu, else the preset's (`cpu = amd`), else intel */
const char *run_vendor(const struct run_args *a, const struct param_reg *p);
/* faultline's own command line (main's argv), for the stats' config */
extern char **fl_command_line;

int cmd_replay(int argc, char **argv);
int cmd_import(int argc, char **argv, char **command);
int cmd_sweep(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_quiz(int argc, char **argv);
#endif
