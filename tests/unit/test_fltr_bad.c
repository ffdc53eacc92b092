/* Damaged and hostile .fltr traces (DESIGN.md "Sandbox and bad input"):
 * each case gives one error naming the byte offset, from the library
 * and from `faultline trace info` (exit 125, one `faultline:` line);
 * then a mutation fuzz loop over a small trace (FL_SWEEP_SAMPLE=N runs
 * one Nth of it, for the sanitizer builds). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "tests/unit/fltr_fixture.h"

extern char **environ;

/* Runs faultline with args; returns the wait status, stdout and stderr. */
static int run_fl(char *const args[], char *out, size_t outlen, char *err, size_t errlen) {
  char op[] = "/tmp/fl_fltr_outXXXXXX", ep[] = "/tmp/fl_fltr_errXXXXXX";
  int ofd = mkstemp(op), efd = mkstemp(ep);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, ofd, 1);
  posix_spawn_file_actions_adddup2(&fa, efd, 2);
  pid_t pid;
  cr_assert(posix_spawn(&pid, args[0], &fa, NULL, args, environ) == 0);
  int st = 0;
  bool done = false;
  for (int i = 0; i < 2000 && !done; i++) {   /* a hang would be a bug: 20 s */
    if (waitpid(pid, &st, WNOHANG) == pid) done = true;
    else usleep(10000);
  }
  if (!done) { kill(pid, SIGKILL); waitpid(pid, &st, 0); }
  cr_assert(done, "faultline hung on %s", args[3]);
  ssize_t n = pread(ofd, out, outlen - 1, 0);
  out[n > 0 ? n : 0] = 0;
  n = pread(efd, err, errlen - 1, 0);
  err[n > 0 ? n : 0] = 0;
  close(ofd); close(efd);
  unlink(op); unlink(ep);
  posix_spawn_file_actions_destroy(&fa);
  return st;
}

static char *cli_out;   /* big buffers, once */
static char cli_err[8192];

/* the library, then the CLI, on the bytes t[0..n): an error containing
 * "byte AT: " and want; *nrec: the records read before it */
static void expect_bad_n(const uint8_t *t, size_t n, uint64_t at, const char *want, size_t *nrec) {
  char err[600], byte[48];
  snprintf(byte, sizeof byte, ": byte %llu: ", (unsigned long long)at);
  size_t got = 0;
  struct fltr_reader *r = fltr_open_mem(t, n, "bad", err, sizeof err);
  if (r) {
    cr_assert_eq(read_all(r, &got, err, sizeof err), -1, "read cleanly; wanted: %s", want);
    fltr_reader_close(r);
  }
  cr_expect(!strncmp(err, "bad: byte ", 10) && strstr(err, byte) && strstr(err, want),
            "got: %s\nwanted byte %llu and: %s", err, (unsigned long long)at, want);
  if (nrec) *nrec = got;
  char *path = tmp_path("cli");
  spit_file(path, t, n);
  const char *fl = getenv("FL_BIN");
  cr_assert(fl, "FL_BIN must be set");
  if (!cli_out) cli_out = malloc(1 << 16);
  char *args[] = {(char *)fl, "trace", "info", path, NULL};
  int st = run_fl(args, cli_out, 1 << 16, cli_err, sizeof cli_err);
  cr_assert(WIFEXITED(st), "trace info died by signal %d", WTERMSIG(st));
  cr_expect_eq(WEXITSTATUS(st), 125, "exit %d; stderr: %s", WEXITSTATUS(st), cli_err);
  char *nl = strchr(cli_err, '\n');
  cr_expect(!strncmp(cli_err, "faultline: ", 11) && nl && !nl[1] && strstr(cli_err, byte) && strstr(cli_err, want),
            "stderr: %s", cli_err);
  cr_expect_str_eq(cli_out, "", "output before the error");
  unlink(path);
  free(path);
}
static void expect_bad(const uint8_t *t, size_t n, uint64_t at, const char *want) {
  expect_bad_n(t, n, at, want, NULL);
}

static uint64_t rnd(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }

static uint8_t *base;          /* a finished trace with an index */
static size_t blen;
static struct layout L;
static struct synth S;

static void setup(void) {
  char *p = tmp_path("base");
  synth_write(&S, p, 500, 1024, 200, 1234, true);
  base = slurp_file(p, &blen);
  layout_of(base, blen, &L);
  cr_assert_geq(L.nframes, 6);
  unlink(p);
  free(p);
}
static void teardown(void) { free(base); synth_free(&S); }

static uint8_t *copy(void) {
  uint8_t *t = malloc(blen);
  memcpy(t, base, blen);
  return t;
}

Test(fltr_bad, header, .init = setup, .fini = teardown) {
  uint8_t *t = copy();
  uint64_t hl = L.header;
  expect_bad(t, 0, 0, "truncated inside the header (0 bytes)");
  expect_bad(t, 5, 5, "truncated inside the header");
  expect_bad(t, 20, 20, "truncated inside the header");
  expect_bad(t, hl - 1, hl - 1, "truncated inside the header");
  t[0] ^= 1;
  expect_bad(t, blen, 0, "not a faultline trace");
  t[0] ^= 1;
  le_set(t + 8, FLTR_VERSION_MAJOR + 1, 2);
  fix_header_crc(t);
  char newer[96];
  snprintf(newer, sizeof newer, "trace format 2.%d is newer than this faultline reads (1.x)", FLTR_VERSION_MINOR);
  expect_bad(t, blen, 8, newer);
  le_set(t + 8, FLTR_VERSION_MAJOR, 2);
  fix_header_crc(t);
  t[40] ^= 0x10;   /* inside the mode string */
  expect_bad(t, blen, hl - 4, "header CRC mismatch");
  t[40] ^= 0x10;
  le_set(t + 12, 0xffffff00u, 4);
  expect_bad(t, blen, 12, "header length");
  le_set(t + 12, hl, 4);
  le_set(t + 16, 1u << 16, 4);
  fix_header_crc(t);
  expect_bad(t, blen, 16, "needs features this faultline lacks");
  le_set(t + 16, 0, 4);
  /* a known kind's number describing another kind */
  size_t so = schema_offset(t) + 2;
  cr_assert_eq(t[so], 1);   /* kind 1 "block" first */
  t[so + 2 + 4] = 'x';
  fix_header_crc(t);
  expect_bad(t, blen, so, "record kind 1 is 'blocx'");
  free(t);
}

Test(fltr_bad, truncated_frames, .init = setup, .fini = teardown) {
  size_t before = 0, got;
  for (int i = 0; i < 3; i++) before += le_get(base + L.index + 8 + 32 * i + 16, 4);
  expect_bad_n(base, L.frame[3] + 40, L.frame[3] + 40, "truncated: the frame at byte", &got);
  cr_expect_eq(got, before, "records of the whole frames first");
  expect_bad(base, L.frame[3] + 10, L.frame[3] + 10, "truncated: the frame header at byte");
  /* the index and the trailer are cut: a trace without an index whose
   * frames are whole reads cleanly (test_fltr.c no_trailer); an index
   * without its trailer is a damaged end */
  expect_bad(base, L.trailer, L.index, "an index without a valid trailer");
  expect_bad(base, blen - 1, L.index, "an index without a valid trailer");
}

Test(fltr_bad, flipped_bits, .init = setup, .fini = teardown) {
  uint8_t *t = copy();
  uint64_t f = L.frame[2];
  t[f + 16] ^= 4;
  expect_bad(t, blen, f + 28, "frame header CRC mismatch");
  t[f + 16] ^= 4;
  uint64_t f1 = L.frame[1], c1 = le_get(t + f1 + 8, 4);
  t[f1 + 32 + c1 - 1] ^= 0x80;   /* the zstd content checksum */
  expect_bad(t, blen, f1 + 32, "zstd: Restored data doesn't match checksum");
  t[f1 + 32 + c1 - 1] ^= 0x80;
  t[f1 + 32 + c1 / 2] ^= 0x20;   /* the compressed data */
  expect_bad(t, blen, f1 + 32, "the frame");
  t[f1 + 32 + c1 / 2] ^= 0x20;
  t[L.index + 13] ^= 1;
  expect_bad(t, blen, L.trailer - 4, "index CRC mismatch");
  t[L.index + 13] ^= 1;
  t[L.trailer + 9] ^= 1;
  expect_bad(t, blen, L.trailer, "trailer CRC mismatch");
  t[L.trailer + 9] ^= 1;
  t[blen - 1] ^= 1;   /* the trailer's magic: read as a trace without one */
  expect_bad(t, blen, L.index, "an index without a valid trailer");
  t[blen - 1] ^= 1;
  /* an index entry that disagrees with its frame (index CRC fixed) */
  le_set(t + L.index + 8 + 32 * 2 + 12, le_get(t + L.index + 8 + 32 * 2 + 12, 4) + 1, 4);   /* its U */
  le_set(t + L.trailer - 4, crc32(0, t + L.index, L.trailer - 4 - L.index), 4);
  expect_bad(t, blen, L.frame[2], "the frame differs from index entry 2");
  /* a decompression bomb announced by the index */
  memcpy(t, base, blen);
  le_set(t + L.index + 8 + 12, FLTR_FRAME_MAX + 1, 4);
  le_set(t + L.trailer - 4, crc32(0, t + L.index, L.trailer - 4 - L.index), 4);
  expect_bad(t, blen, L.index + 8, "index entry 0 is inconsistent");
  free(t);
}

/* a trace of the writer's header and hand-made frames (FORMAT.md) */
static void frames_after_header(struct bytes *b) {
  b->n = 0;
  b_put(b, base, L.header);
}

Test(fltr_bad, hand_made_frames, .init = setup, .fini = teardown) {
  struct bytes b = {0};
  uint64_t F = L.header, Z = F + 32;
  /* a frame that decompresses to a partial record */
  uint8_t partial[] = {FLTR_K_BB, 0, 5, FLTR_K_PTE, 0, 1};
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 2, sizeof partial, partial, sizeof partial, true, 0);
  expect_bad(b.p, b.n, F, "frame 0, uncompressed byte 3 of 6: the frame ends inside a record of kind 'pte'");
  /* fewer records than declared */
  uint8_t two[] = {FLTR_K_BB, 0, 5, FLTR_K_BB, 0, 6};
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 3, sizeof two, two, sizeof two, true, 0);
  expect_bad(b.p, b.n, F, "the frame holds 2 records, its header says 3");
  /* a record kind the schema lacks; a varint over 64 bits */
  uint8_t unk[] = {250, 0, 1, 2};
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 1, sizeof unk, unk, sizeof unk, true, 0);
  expect_bad(b.p, b.n, F, "record kind 250 is not in the trace's schema");
  uint8_t ovf[] = {FLTR_K_BB, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 1, sizeof ovf, ovf, sizeof ovf, true, 0);
  expect_bad(b.p, b.n, F, "ends inside a record of kind 'bb' (or a field overflows)");
  /* declared sizes beyond the caps */
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 2, FLTR_FRAME_MAX + 1, two, sizeof two, true, 0);
  expect_bad(b.p, b.n, F + 12, "more than the cap (2097152)");
  /* a bomb: 1 MiB of zeros in a few bytes, declared as 6 */
  uint8_t *zeros = calloc(1, 1 << 20);
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 2, sizeof two, zeros, 1 << 20, true, 0);
  expect_bad(b.p, b.n, Z, "content size differs");
  /* a window beyond the cap (window descriptor patched: RFC 8878 3.1.1.1.2) */
  uint8_t *noise = malloc(8192);
  uint64_t x = 99;
  for (int i = 0; i < 8192; i += 2) { x = x * 6364136223846793005ull + 1; noise[i] = (uint8_t)(x >> 56); noise[i + 1] = 0; }
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 1, 8192, noise, 8192, true, 10);
  cr_assert(!(b.p[Z + 4] & 0x20), "zstd made a single-segment frame: no window descriptor to patch");
  b.p[Z + 5] = 20 << 3;
  expect_bad(b.p, b.n, Z + 5, "wants a window of 2^30 bytes, more than the cap (2^21)");
  /* no content checksum */
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 0, 2, sizeof two, two, sizeof two, false, 0);
  expect_bad(b.p, b.n, Z + 4, "no content checksum");
  /* a keyframe continuation out of nowhere; frames going back in time */
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_KEYFRAME_MORE, 0, 2, sizeof two, two, sizeof two, true, 0);
  expect_bad(b.p, b.n, F + 4, "a keyframe continues here without having started");
  frames_after_header(&b);
  raw_frame(&b, FLTR_FRAME_DATA, 100, 2, sizeof two, two, sizeof two, true, 0);
  uint64_t F2 = b.n;
  raw_frame(&b, FLTR_FRAME_DATA, 99, 2, sizeof two, two, sizeof two, true, 0);
  expect_bad(b.p, b.n, F2 + 20, "before the previous frame");
  /* garbage where a frame should start */
  frames_after_header(&b);
  b_put(&b, "this is not a frame header at all", 33);
  expect_bad(b.p, b.n, F, "bad frame magic");
  free(noise); free(zeros); free(b.p);
}

/* a good trace through the CLI, and its --help texts */
Test(fltr_bad, cli_info, .init = setup, .fini = teardown) {
  char *p = tmp_path("info");
  spit_file(p, base, blen);
  const char *fl = getenv("FL_BIN");
  cr_assert(fl);
  if (!cli_out) cli_out = malloc(1 << 16);
  char *args[] = {(char *)fl, "trace", "info", p, NULL};
  int st = run_fl(args, cli_out, 1 << 16, cli_err, sizeof cli_err);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, cli_err);
  cr_expect_str_eq(cli_err, "");
  char fmt[48];
  snprintf(fmt, sizeof fmt, "format         fltr 1.%d", FLTR_VERSION_MINOR);
  const char *want[] = {fmt, "mode           native", "preset         default",
                        "param_hash     0123456789abcdef", "cpuid          1 faultline virtual x86-64 CPU",
                        "recorded_by    faultline test-1",
                        "command        ./sort 'a b' 'it'\\''s' '' '\\x1b[31mred'\n",
                        "index          present: ", "records by kind:", "  kf_begin ", "data_refs      "};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    cr_expect(strstr(cli_out, want[i]), "no '%s' in:\n%s", want[i], cli_out);
  char line[64];
  snprintf(line, sizeof line, "records        %zu (", S.n);
  cr_expect(strstr(cli_out, line), "no '%s' in:\n%s", line, cli_out);
  char *help[][5] = {{(char *)fl, "trace", "--help", NULL}, {(char *)fl, "trace", "info", "--help", NULL}};
  for (int i = 0; i < 2; i++) {
    st = run_fl(help[i], cli_out, 1 << 16, cli_err, sizeof cli_err);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strncmp(cli_out, "usage: faultline trace", 22), "%s", cli_out);
  }
  char *bad[] = {(char *)fl, "trace", "info", "--bogus", NULL};
  st = run_fl(bad, cli_out, 1 << 16, cli_err, sizeof cli_err);
  cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 125 && strstr(cli_err, "unknown option"), "%s", cli_err);
  /* not a file: a directory, and a FIFO nobody writes (no waiting) */
  unlink(p);
  char *notfile[] = {(char *)fl, "trace", "info", p, NULL};
  for (int i = 0; i < 2; i++) {
    cr_assert(i ? mkfifo(p, 0600) == 0 : mkdir(p, 0700) == 0);
    st = run_fl(notfile, cli_out, 1 << 16, cli_err, sizeof cli_err);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 125 && strstr(cli_err, "not a regular file"), "%s", cli_err);
    if (i) unlink(p); else rmdir(p);
  }
  unlink(p);
  free(p);
}

enum { M_FLIP, M_TRUNC, M_INSERT, M_OVERWRITE, M__N };
static const char *const mut_names[M__N] = {"bit flips", "truncations", "insertions", "overwrites"};

/* records from r equal S's from `from` on (a clean read is a correct one) */
static int read_same(struct fltr_reader *r, size_t from, char *err, size_t errlen) {
  struct fltr_rec rec;
  int k;
  for (size_t i = from; (k = fltr_next(r, &rec)) > 0; i++) {
    cr_assert_lt(i, S.n, "a damaged trace read cleanly with more records than written");
    const char *d = rec_diff(&rec, &S.rec[i]);
    cr_assert(!d, "a damaged trace read cleanly with a wrong record %zu: %s", i, d);
  }
  if (k < 0) snprintf(err, errlen, "%s", fltr_error(r));
  return k < 0 ? -1 : 1;
}

/* read all of a mutated trace, then again from a keyframe: 1 clean and
 * correct, -1 a clean error in err */
static int fuzz_read(const uint8_t *t, size_t n, uint64_t *seed, char *err, size_t errlen) {
  struct fltr_reader *r = fltr_open_mem(t, n, "fuzz", err, errlen);
  if (!r) return -1;
  int res = read_same(r, 0, err, errlen);
  uint32_t nf;
  uint64_t end, at;
  if (res > 0 && fltr_index(r, &nf, &end) && fltr_seek(r, rnd(seed) % (end + 1), &at) == 0) {
    size_t from = 0;
    for (int j = 0; j < S.nkf; j++)
      if (at && S.kf_icount[j] == at) from = S.kf_index[j];
    res = read_same(r, from, err, errlen);
  }
  if (res > 0) cr_assert(fltr_index(r, &nf, &end) || *fltr_note(r), "a clean read without index or note");
  fltr_reader_close(r);
  return res;
}

Test(fltr_bad, fuzz, .init = setup, .fini = teardown, .timeout = 300) {
  const char *env = getenv("FL_SWEEP_SAMPLE");
  long sample = env && atoi(env) > 1 ? atoi(env) : 1;
  long iters = 50000 / sample;
  /* two bases: the finished trace, and the same frames without index */
  const uint8_t *bases[2] = {base, base};
  size_t lens[2] = {blen, L.index};
  uint8_t *t = malloc(blen + 64);
  uint64_t seed = 0x5eedf1a7ull;
  long clean[M__N] = {0}, errors[M__N] = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long it = 0; it < iters; it++) {
    int b = (int)(it & 1), m = (int)((it >> 1) % M__N);
    size_t n = lens[b];
    memcpy(t, bases[b], n);
    switch (m) {
    case M_FLIP:
      for (int k = 1 + (int)(rnd(&seed) % 4); k > 0; k--) t[rnd(&seed) % n] ^= (uint8_t)(1u << (rnd(&seed) % 8));
      if (!memcmp(t, bases[b], n)) continue;   /* flips that cancelled */
      break;
    case M_TRUNC: n = rnd(&seed) % n; break;
    case M_INSERT: {
      size_t at = rnd(&seed) % (n + 1), k = 1 + rnd(&seed) % 16;
      memmove(t + at + k, t + at, n - at);
      for (size_t i = 0; i < k; i++) t[at + i] = (uint8_t)rnd(&seed);
      n += k;
      break;
    }
    case M_OVERWRITE: {
      size_t at = rnd(&seed) % n, k = 1 + rnd(&seed) % 32;
      for (size_t i = 0; i < k && at + i < n; i++) t[at + i] = (uint8_t)rnd(&seed);
      if (!memcmp(t, bases[b], n)) continue;
      break;
    }
    }
    char err[600];
    int res = fuzz_read(t, n, &seed, err, sizeof err);
    if (res > 0) { clean[m]++; continue; }
    errors[m]++;
    cr_assert(!strncmp(err, "fuzz: byte ", 11) || !strncmp(err, "out of host memory", 18),
              "iteration %ld: not a clean error: %s", it, err);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  long total = 0;
  for (int m = 0; m < M__N; m++) total += clean[m] + errors[m];
  fprintf(stderr, "fltr fuzz: %ld mutated traces in %.2f s (%s):", total, secs,
          sample > 1 ? "FL_SWEEP_SAMPLE" : "full");
  for (int m = 0; m < M__N; m++) fprintf(stderr, " %s %ld (%ld read cleanly)%s", mut_names[m], clean[m] + errors[m], clean[m], m + 1 < M__N ? "," : "\n");
  /* every clean read was checked to be the written records (read_same):
   * a change that zstd decodes to the same content (its format has bits
   * that do not matter) is harmless; anything else was refused */
  if (sample == 1) cr_expect_lt(secs, 30.0, "the fuzz loop took %.1f s", secs);
  free(t);
}
