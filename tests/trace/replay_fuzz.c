/* A fuzz run of the replay: a valid trace's records mutated (a field set
 * to another value, a record dropped, doubled or moved), written back as
 * valid containers (so the reader's checks pass and the replay's own must
 * hold), and replayed in a child under each mode in turn.  A mutant must
 * replay (exit 0) or be refused (125, one message); a crash, a signal or
 * a hang (20 s) fails.
 *   replay_fuzz TRACE MUTANTS SEED */
#include "sim/sim.h"
#include "traces/fltr.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct rec { struct fltr_rec r; uint8_t *data; };

static uint64_t rng;
static uint64_t rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: replay_fuzz TRACE MUTANTS SEED\n"); return 2; }
  char err[600];
  struct fltr_reader *rd = fltr_open(argv[1], err, sizeof err);
  if (!rd) { fprintf(stderr, "replay_fuzz: %s\n", err); return 1; }
  size_t n = 0, cap = 1024;
  struct rec *recs = malloc(cap * sizeof *recs);
  struct fltr_rec r;
  int k;
  while ((k = fltr_next(rd, &r)) > 0) {
    if (n == cap) recs = realloc(recs, (cap *= 2) * sizeof *recs);
    recs[n].r = r;
    recs[n].data = r.len ? malloc(r.len) : NULL;
    if (r.len) memcpy(recs[n].data, r.data, r.len);
    n++;
  }
  if (k < 0 || n < 10) { fprintf(stderr, "replay_fuzz: cannot read %s\n", argv[1]); return 1; }
  const struct fltr_header *h = fltr_header(rd);
  struct fltr_meta meta = {.mode = h->mode, .preset = h->preset, .param_hash = h->param_hash, .cpuid_id = h->cpuid_id,
                           .cpuid_name = h->cpuid_name, .version = h->version, .flags = h->flags, .argc = h->argc,
                           .argv = (const char *const *)h->argv};
  int mutants = atoi(argv[2]);
  rng = strtoull(argv[3], NULL, 0) | 1;
  static const char *modes[] = {"native", "hvm-shadow", "xen-pv", "hvm-nested", "vkernel"};
  char path[] = "/tmp/replay_fuzz_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);
  int ok = 0, refused = 0, failed = 0;
  for (int m = 0; m < mutants; m++) {
    /* the mutation: which record, what */
    size_t at = (size_t)(rnd() % n);
    int what = (int)(rnd() % 5);
    struct fltr_writer *w = fltr_create(path, &meta, &(struct fltr_writer_opts){.frame_cut = 4096}, err, sizeof err);
    if (!w) { fprintf(stderr, "replay_fuzz: %s\n", err); return 1; }
    uint64_t ic = 0;
    for (size_t i = 0; i < n; i++) {
      struct fltr_rec x = recs[i].r;
      x.data = recs[i].data;
      if (i == at) {
        const struct fltr_kind_info *ki = &fltr_kinds[x.kind];
        if (what == 0) continue;                                   /* dropped */
        if (what <= 2 && ki->nfields) {                              /* a field changed */
          int f = (int)(rnd() % ki->nfields);
          if (ki->field[f].enc == FLTR_E_B) { if (x.len) ((uint8_t *)x.data)[rnd() % x.len] ^= (uint8_t)rnd(); }
          else if (what == 1) x.v[f] ^= 1ull << (rnd() % 64);
          else x.v[f] += (uint64_t)((int64_t)(rnd() % 9) - 4);
          if (ki->field[f].enc == FLTR_E_U8) x.v[f] &= 0xff;
        }
        if (what == 3) fltr_put(w, ic, &x);                         /* doubled */
        if (what == 4 && i + 1 < n) {                                /* moved past the next */
          struct fltr_rec y = recs[i + 1].r;
          y.data = recs[i + 1].data;
          fltr_put(w, ic, &y);
          fltr_put(w, ic, &x);
          i++;
          continue;
        }
      }
      if (fltr_put(w, ic, &x)) { fprintf(stderr, "replay_fuzz: %s\n", fltr_writer_error(w)); return 1; }
    }
    if (fltr_close(w, ic, err, sizeof err)) { fprintf(stderr, "replay_fuzz: %s\n", err); return 1; }
    /* FUZZ_ONLY=N: replay mutant N in this process (a debugger sees the failure) */
    const char *only = getenv("FUZZ_ONLY");
    if (only && atoi(only) != m) continue;
    pid_t pid = only && !getenv("FUZZ_FORK") ? 0 : fork();
    if (pid == 0) {
      if (!only || getenv("FUZZ_FORK")) {
        freopen("/dev/null", "w", stderr);
        alarm(20);
      }
      struct sim_config cfg = {.mode = modes[m % 5], .cpu_vendor = "intel", .params = params_new(),
                               .mem_bytes = 1ull << 30, .quiet = true};
      struct sim_result res;
      _exit(sim_replay(&cfg, path, NULL, &res) ? 125 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 125) refused++;
    else {
      failed++;
      printf("FAIL: mutant %d (record %zu of kind %u, mutation %d, mode %s): %s %d\n", m, at, recs[at].r.kind, what,
             modes[m % 5], WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    }
  }
  unlink(path);
  printf("replay fuzz: %d mutants of %zu records: %d replayed, %d refused (125), %d failed\n", mutants, n, ok, refused,
         failed);
  return failed ? 1 : 0;
}
