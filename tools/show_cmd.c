/* `faultline show`: the ladder diagram of one fault (tools/ladder.c), from
 * a jsonl event log, a trace (replayed) or a program (run).  A trace or a
 * program is run by faultline itself (`replay` / `run` with a jsonl log
 * into a temporary file): the ladder draws what that log says. */
#include "tools/cli.h"
#include "tools/ladder.h"
#include "traces/events.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

static const char *show_usage =
  "usage: faultline show [OPTIONS] (TRACE | --log FILE.jsonl | -- PROGRAM [ARGS...])\n"
  "\n"
  "Draws one fault as a ladder (sequence) diagram: a column per layer that\n"
  "takes part (user, guest-kernel, vkernel, libos, hypervisor, host-kernel,\n"
  "hw), a row per step with its cycles and a running total, an arrow where\n"
  "control moves between layers (exception, VM exit, VM entry, upcall,\n"
  "hypercall, bounce, signal, return), nested steps indented; then the\n"
  "fault's cycles per layer.  The events are the jsonl event log's (`run\n"
  "--log F --log-format jsonl`); a TRACE is replayed and a PROGRAM run to get\n"
  "them.\n"
  "\n"
  "  --fault N        the fault numbered N (as the log numbers them)\n"
  "  --kind KIND      a fault of this kind (`faultline events`: anon_new, cow,\n"
  "                   file, shadow_fill, ...); default: one the guest kernel\n"
  "                   saw.  The first the program took itself (a user-mode\n"
  "                   access), else the first\n"
  "  --all            every top-level fault\n"
  "  --log FILE       read this jsonl event log\n"
  "  --mode M, --cpu intel|amd, --preset P, --set k=v, --mem SIZE\n"
  "                   the machine a TRACE is replayed or a PROGRAM run on\n"
  "  --ascii          ASCII only (the default when stdout is not a terminal)\n"
  "  --unicode        box-drawing characters even when stdout is not a terminal\n"
  "  --no-color       no colours (they are used on a terminal, unless NO_COLOR is set)\n"
  "  -h, --help       this text\n";

/* run `faultline ARGS` (this executable) with its output to /dev/null;
 * its stderr kept in errbuf; returns its exit status (-1: not run) */
static int self_run(char **args, char *errbuf, size_t errlen) {
  char errpath[] = "/tmp/faultline-show-err.XXXXXX";
  int efd = mkstemp(errpath);
  if (efd < 0) return -1;
  unlink(errpath);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) { close(efd); return -1; }
  if (pid == 0) {
    int nul = open("/dev/null", O_RDWR);
    dup2(nul, 0);
    dup2(nul, 1);
    dup2(efd, 2);
    execv("/proc/self/exe", args);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ssize_t n = pread(efd, errbuf, errlen - 1, 0);
  errbuf[n > 0 ? n : 0] = 0;
  close(efd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The events of a log (log), a trace (argv[optind]) or a program (after
 * "--"), the machine options pass[] applied to a replay or a run; an
 * error: die.  what: the command, for messages. */
void events_load(struct llog *l, int argc, char **argv, int optind, const char *log, char **pass, int npass,
                 const char *what) {
  char usage[160];
  snprintf(usage, sizeof usage, "nothing to %s (usage: faultline %s [OPTIONS] (TRACE | --log FILE.jsonl | -- PROGRAM))",
           what, what);
  bool program = optind > 1 && !strcmp(argv[optind - 1], "--");
  int rest = argc - optind;
  if (log && (rest || npass)) die("%s", "--log FILE reads a log: no TRACE, PROGRAM or machine options with it");
  if (!log && !rest) die("%s", usage);
  if (!log && !program && rest != 1) die("%s", "one TRACE, or -- PROGRAM [ARGS...] (see --help)");
  char tmp[] = "/tmp/faultline-events.XXXXXX";
  bool made = false;
  if (!log) {
    int fd = mkstemp(tmp);
    if (fd < 0) die("%s", "cannot create a temporary file for the event log");
    close(fd);
    made = true;
    char **args = calloc((size_t)(npass + rest + 16), sizeof *args);
    int n = 0;
    args[n++] = (char *)"faultline";
    args[n++] = (char *)(program ? "run" : "replay");
    if (!program) { args[n++] = argv[optind]; args[n++] = (char *)"--quiet"; }
    for (int i = 0; i < npass; i++) args[n++] = pass[i];
    args[n++] = (char *)"--log";
    args[n++] = tmp;
    args[n++] = (char *)"--log-format";
    args[n++] = (char *)"jsonl";
    if (program) {
      args[n++] = (char *)"--";
      for (int i = optind; i < argc; i++) args[n++] = argv[i];
    }
    char err[2048];
    int st = self_run(args, err, sizeof err);
    free(args);
    /* faultline's own failure is 125 (a program may exit with anything) */
    if (st == 125 || st < 0) {
      unlink(tmp);
      char *nl = strchr(err, '\n');
      if (nl) *nl = 0;
      if (!strncmp(err, "faultline: ", 11)) memmove(err, err + 11, strlen(err + 11) + 1);
      die("%s", err[0] ? err : "the run failed");
    }
    log = tmp;
  }
  char err[512];
  int rc = llog_read(l, log, err, sizeof err);
  if (made) unlink(tmp);
  if (rc) die("%s", err);
}

int cmd_show(int argc, char **argv) {
  enum { O_FAULT = 256, O_KIND, O_ALL, O_LOG, O_MODE, O_CPU, O_PRESET, O_SET, O_MEM, O_ASCII, O_UNICODE, O_NOCOLOR };
  static const struct option opts[] = {
    {"fault", 1, 0, O_FAULT}, {"kind", 1, 0, O_KIND}, {"all", 0, 0, O_ALL}, {"log", 1, 0, O_LOG},
    {"mode", 1, 0, O_MODE}, {"cpu", 1, 0, O_CPU}, {"preset", 1, 0, O_PRESET}, {"set", 1, 0, O_SET},
    {"mem", 1, 0, O_MEM}, {"ascii", 0, 0, O_ASCII}, {"unicode", 0, 0, O_UNICODE},
    {"no-color", 0, 0, O_NOCOLOR}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  uint64_t fault = 0;
  const char *kind = NULL, *log = NULL;
  bool all = false, ascii = false, unicode = false, nocolor = false;
  /* the machine options, passed on to run / replay */
  char **pass = calloc((size_t)argc * 2 + 16, sizeof *pass);
  int npass = 0;
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
    switch (ch) {
    case O_FAULT: fault = parse_u64(optarg, "bad --fault '%s' (a fault number)"); if (!fault) die("%s", "--fault counts from 1"); break;
    case O_KIND:
      if (ev_kind_by_name(optarg, strlen(optarg)) < 0) die("unknown fault kind '%s' (see `faultline events`)", optarg);
      kind = optarg;
      break;
    case O_ALL: all = true; break;
    case O_LOG: log = optarg; break;
    case O_MODE: case O_CPU: case O_PRESET: case O_SET: case O_MEM:
      pass[npass++] = (char *)(ch == O_MODE ? "--mode" : ch == O_CPU ? "--cpu" : ch == O_PRESET ? "--preset"
                               : ch == O_SET ? "--set" : "--mem");
      pass[npass++] = optarg;
      break;
    case O_ASCII: ascii = true; break;
    case O_UNICODE: unicode = true; break;
    case O_NOCOLOR: nocolor = true; break;
    case 'h': fputs(show_usage, stdout); return 0;
    default: die("unknown or incomplete option '%s' (see `faultline show --help`)", argv[optind - 1]);
    }
  }
  struct llog l;
  events_load(&l, argc, argv, optind, log, pass, npass, "show");
  bool tty = isatty(1);
  struct ladder_style st = {.unicode = unicode || (tty && !ascii), .color = tty && !ascii && !nocolor && !getenv("NO_COLOR"),
                            .width = 100};
  if (ascii) st.unicode = false;
  int shown = 0;
  if (all) {
    for (size_t i = 0; i < l.n; i++)
      if (l.e[i].step == EV_S_FAULT && l.e[i].depth == 0 && (!kind || !strcmp(l.e[i].kind, kind))) {
        if (shown++) fputc('\n', stdout);
        ladder_print(stdout, &l, i, &st);
      }
  } else {
    long r = ladder_pick(&l, fault, kind);
    if (r >= 0) { ladder_print(stdout, &l, (size_t)r, &st); shown = 1; }
  }
  llog_free(&l);
  free(pass);
  if (!shown) {
    if (fault) {
      char num[24];
      snprintf(num, sizeof num, "%llu", (unsigned long long)fault);
      die("no fault numbered %s in the log", num);
    }
    die("no %s fault in the log", kind ? kind : "top-level");
  }
  return 0;
}
