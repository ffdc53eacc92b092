/* Child runs several at a time (tools/jobs.h). */
#include "tools/jobs.h"
#include "tools/cli.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void redirect(const char *path, int fd, int flags) {
  int f = open(path ? path : "/dev/null", flags, 0600);
  if (f >= 0 && f != fd) { dup2(f, fd); close(f); }
}

void jobs_run(struct child_job *jobs, int n, int parallel, bool progress, const char *what) {
  time_t t0 = time(NULL);
  int started = 0, finished = 0, running = 0;
  for (int i = 0; i < n; i++) if (jobs[i].done) finished++;
  if (parallel < 1) parallel = 1;
  while (finished < n) {
    while (running < parallel && started < n) {
      struct child_job *q = &jobs[started++];
      if (q->done) continue;
      pid_t pid = fork();
      if (pid < 0) die("%s", "cannot fork");
      if (pid == 0) {
        redirect(NULL, 0, O_RDONLY);
        redirect(q->out, 1, O_WRONLY | O_CREAT | O_TRUNC);
        redirect(q->err, 2, O_WRONLY | O_CREAT | O_TRUNC);
        execv(q->argv[0], q->argv);
        _exit(127);
      }
      q->pid = pid;
      running++;
    }
    int st;
    pid_t pid = wait(&st);
    if (pid < 0) break;
    for (int c = 0; c < n; c++)
      if (jobs[c].pid == pid && !jobs[c].done) { jobs[c].done = true; jobs[c].status = st; finished++; running--; break; }
    if (progress) {
      long el = (long)(time(NULL) - t0);
      long eta = finished ? el * (n - finished) / finished : 0;
      fprintf(stderr, "\rfaultline: %s %d/%d, %ld s, ETA %ld s   ", what, finished, n, el, eta);
    }
  }
  if (progress) fputs("\r\033[K", stderr);
}
