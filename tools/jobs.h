/* Running faultline's own runs as child processes, several at once
 * (`faultline sweep`, `faultline reproduce`). */
#ifndef FAULTLINE_TOOLS_JOBS_H
#define FAULTLINE_TOOLS_JOBS_H
#include <stdbool.h>

struct child_job {
  char **argv;               /* argv[0]: the executable's path */
  const char *out;           /* the child's stdout: this file (NULL: /dev/null) */
  const char *err;           /* its stderr: this file (NULL: /dev/null) */
  int status;                /* wait status, once done */
  bool done;                 /* (a job already done is not started: status is kept) */
  int pid;
};

/* Runs the jobs not yet done, at most `parallel` at a time, until all
 * are; a progress line on stderr when `progress` ("faultline: WHAT i/n,
 * s, ETA s").  stdin is /dev/null. */
void jobs_run(struct child_job *jobs, int n, int parallel, bool progress, const char *what);

#endif
