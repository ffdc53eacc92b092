/* The .fltr container (traces/fltr.h, traces/FORMAT.md): round trips of
 * synthetic traces with every record kind, the index and keyframe seek,
 * traces without a trailer, the versioning rule, the writer's checks and
 * FORMAT.md against the code's table.  test_fltr_bad.c has the damaged
 * traces and the fuzz loop. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/fltr_fixture.h"

static struct fltr_reader *open_ok(const char *path) {
  char err[600];
  struct fltr_reader *r = fltr_open(path, err, sizeof err);
  cr_assert(r, "%s", err);
  return r;
}

/* read records from r and compare them with s->rec[from..] */
static size_t expect_records(struct fltr_reader *r, const struct synth *s, size_t from) {
  struct fltr_rec rec;
  size_t i = from;
  int k;
  while ((k = fltr_next(r, &rec)) > 0) {
    cr_assert_lt(i, s->n, "more records than written");
    const char *d = rec_diff(&rec, &s->rec[i]);
    cr_assert(!d, "record %zu: %s", i, d);
    uint32_t no;
    const struct fltr_frame_info *f = fltr_cur_frame(r, &no);
    cr_assert_leq(f->first_icount, s->icount[i], "record %zu is before its frame's first instruction", i);
    i++;
  }
  cr_assert_eq(k, 0, "%s", fltr_error(r));
  return i - from;
}

Test(fltr, round_trip_every_kind) {
  char *p = tmp_path("rt");
  struct synth s;
  synth_write(&s, p, 6000, 2048, 1500, 42, true);
  struct fltr_reader *r = open_ok(p);
  const struct fltr_header *h = fltr_header(r);
  cr_expect_eq(h->major, FLTR_VERSION_MAJOR);
  cr_expect_eq(h->minor, FLTR_VERSION_MINOR);
  cr_expect_str_eq(h->mode, "native");
  cr_expect_str_eq(h->preset, "default");
  cr_expect_eq(h->param_hash, 0x0123456789abcdefull);
  cr_expect_eq(h->cpuid_id, 1);
  cr_expect_str_eq(h->cpuid_name, "faultline virtual x86-64 CPU");
  cr_expect_str_eq(h->version, "test-1");
  cr_assert_eq(h->argc, synth_meta.argc);
  for (int i = 0; i < h->argc; i++) cr_expect_str_eq(h->argv[i], synth_meta.argv[i]);
  for (int i = 0; i < 256; i++) {   /* the header's schema is the code's table */
    cr_expect_eq(!h->kinds[i].name, !fltr_kinds[i].name, "kind %d", i);
    if (fltr_kinds[i].name) cr_expect_str_eq(h->kinds[i].name, fltr_kinds[i].name);
  }
  uint32_t nf;
  uint64_t end;
  const struct fltr_frame_info *idx = fltr_index(r, &nf, &end);
  cr_assert(idx, "no index");
  cr_expect_eq(end, s.end_icount);
  cr_expect_gt(nf, 20);
  cr_expect_str_eq(fltr_note(r), "");
  cr_expect_eq(expect_records(r, &s, 0), s.n);
  fltr_reader_close(r);
  /* every kind is in it */
  int seen[256] = {0};
  for (size_t i = 0; i < s.n; i++) seen[s.rec[i].kind]++;
  for (int i = 0; i < 256; i++)
    if (fltr_kinds[i].name) cr_expect_gt(seen[i], 0, "kind %s never written", fltr_kinds[i].name);
  /* the same from memory */
  size_t len;
  uint8_t *t = slurp_file(p, &len);
  char err[600];
  r = fltr_open_mem(t, len, "mem", err, sizeof err);
  cr_assert(r, "%s", err);
  cr_expect_eq(expect_records(r, &s, 0), s.n);
  fltr_reader_close(r);
  free(t);
  synth_free(&s);
  unlink(p);
  free(p);
}

/* frames of the default size: cut once they reach 1 MiB, never past the cap */
Test(fltr, default_frames) {
  char *p = tmp_path("big");
  struct synth s;
  synth_write(&s, p, 60000, 0, 0, 7, true);
  struct fltr_reader *r = open_ok(p);
  uint32_t nf;
  uint64_t end;
  const struct fltr_frame_info *idx = fltr_index(r, &nf, &end);
  cr_assert(idx && nf >= 2, "%u frames", nf);
  for (uint32_t i = 0; i < nf; i++) {
    cr_expect_leq(idx[i].usize, FLTR_FRAME_CUT + FLTR_REC_MAX);
    if (i + 1 < nf) cr_expect_geq(idx[i].usize, FLTR_FRAME_CUT, "frame %u cut early", i);
    cr_expect_eq(idx[i].kind, FLTR_FRAME_DATA);
  }
  cr_expect_eq(expect_records(r, &s, 0), s.n);
  fltr_reader_close(r);
  synth_free(&s);
  unlink(p);
  free(p);
}

/* same records, same bytes (DESIGN.md "Determinism") */
Test(fltr, deterministic) {
  char *a = tmp_path("da"), *b = tmp_path("db");
  struct synth s1, s2;
  synth_write(&s1, a, 3000, 4096, 700, 9, true);
  synth_write(&s2, b, 3000, 4096, 700, 9, true);
  size_t la, lb;
  uint8_t *ta = slurp_file(a, &la), *tb = slurp_file(b, &lb);
  cr_assert_eq(la, lb);
  cr_assert(!memcmp(ta, tb, la), "two writes of the same records differ");
  free(ta); free(tb);
  synth_free(&s1); synth_free(&s2);
  unlink(a); unlink(b);
  free(a); free(b);
}

/* --from N: the last keyframe at or before N, and the records from it on */
Test(fltr, seek_to_keyframe) {
  char *p = tmp_path("seek");
  struct synth s;
  synth_write(&s, p, 8000, 1024, 1000, 5, true);
  cr_assert_geq(s.nkf, 7);
  struct fltr_reader *r = open_ok(p);
  uint32_t nf;
  uint64_t end;
  const struct fltr_frame_info *idx = fltr_index(r, &nf, &end);
  int more = 0;
  for (uint32_t i = 0; i < nf; i++) more += idx[i].kind == FLTR_FRAME_KEYFRAME_MORE;
  cr_expect_gt(more, 0, "no keyframe spans two frames: the test misses that case");
  for (int j = -1; j < s.nkf; j++) {
    uint64_t targets[3];
    int nt = 0;
    if (j < 0) { targets[nt++] = 0; if (s.kf_icount[0]) targets[nt++] = s.kf_icount[0] - 1; }
    else {
      targets[nt++] = s.kf_icount[j];
      targets[nt++] = s.kf_icount[j] + 1;
      targets[nt++] = j + 1 < s.nkf ? s.kf_icount[j + 1] - 1 : ~0ull;
    }
    for (int t = 0; t < nt; t++) {
      /* keyframes at the same instruction count: the last one wins */
      int want = j;
      while (want + 1 < s.nkf && s.kf_icount[want + 1] <= targets[t]) want++;
      uint64_t at;
      cr_assert_eq(fltr_seek(r, targets[t], &at), 0, "%s", fltr_error(r));
      cr_expect_eq(at, want < 0 ? 0 : s.kf_icount[want], "seek %llu", (unsigned long long)targets[t]);
      size_t from = want < 0 ? 0 : s.kf_index[want];
      cr_expect_eq(expect_records(r, &s, from), s.n - from);
    }
  }
  fltr_reader_close(r);
  synth_free(&s);
  unlink(p);
  free(p);
}

/* a recording that stopped without its index is read sequentially, and
 * the reader says so */
Test(fltr, no_trailer) {
  char *p = tmp_path("crash");
  struct synth s;
  synth_write(&s, p, 4000, 2048, 900, 11, false);
  struct fltr_reader *r = open_ok(p);
  uint32_t nf;
  uint64_t end;
  cr_expect_null(fltr_index(r, &nf, &end));
  cr_expect(strstr(fltr_note(r), "no index"), "note: %s", fltr_note(r));
  size_t got = expect_records(r, &s, 0);
  cr_expect_gt(got, s.n - 200, "%zu of %zu records", got, s.n);   /* all but the last frame's */
  uint64_t at;
  cr_expect_eq(fltr_seek(r, 10, &at), -1);
  cr_expect(strstr(fltr_error(r), "needs the index"), "%s", fltr_error(r));
  fltr_reader_close(r);
  /* a finished trace cut at a frame boundary reads whole, without index */
  synth_free(&s);
  synth_write(&s, p, 4000, 2048, 900, 11, true);
  size_t len;
  uint8_t *t = slurp_file(p, &len);
  struct layout l;
  layout_of(t, len, &l);
  char err[600];
  r = fltr_open_mem(t, l.index, "cut", err, sizeof err);
  cr_assert(r, "%s", err);
  cr_expect_null(fltr_index(r, &nf, &end));
  cr_expect_eq(expect_records(r, &s, 0), s.n);
  fltr_reader_close(r);
  free(t);
  synth_free(&s);
  unlink(p);
  free(p);
}

/* a newer minor is read: its added header bytes are skipped, its new
 * record kinds (described by the schema) are returned unknown-to-us */
Test(fltr, newer_minor) {
  char *p = tmp_path("minor");
  struct synth s;
  synth_write(&s, p, 300, 1 << 20, 0, 3, true);
  size_t len;
  uint8_t *t = slurp_file(p, &len);
  struct layout l;
  layout_of(t, len, &l);
  len = l.index;   /* its frames, without the index */
  uint32_t hl = (uint32_t)le_get(t + 12, 4);
  /* header: minor + 1, a kind 200 "future" (u, bytes), 5 more bytes */
  struct bytes b = {0};
  b_put(&b, t, hl - 4);
  le_set(b.p + 10, FLTR_VERSION_MINOR + 1, 2);
  size_t so = schema_offset(b.p);
  le_set(b.p + so, le_get(b.p + so, 2) + 1, 2);
  b_put(&b, (uint8_t[]){200, 6, 'f', 'u', 't', 'u', 'r', 'e', 2, FLTR_E_U, 1, 'x', FLTR_E_B, 1, 'y'}, 15);
  b_put(&b, "extra", 5);
  b_le(&b, 0, 4);
  le_set(b.p + 12, b.n, 4);
  fix_header_crc(b.p);
  b_put(&b, t + hl, len - hl);   /* the writer's frames, unchanged */
  /* and a frame of kind 200 records between two known ones */
  struct bytes pl = {0};
  b_put(&pl, (uint8_t[]){FLTR_K_BB, 0, 5}, 3);
  b_put(&pl, (uint8_t[]){200, 1, 0x80, 0x01, 3, 'a', 'b', 'c'}, 8);
  b_put(&pl, (uint8_t[]){FLTR_K_BB, 2, 6}, 3);
  raw_frame(&b, FLTR_FRAME_DATA, s.end_icount, 3, (uint32_t)pl.n, pl.p, pl.n, true, 0);
  char err[600];
  struct fltr_reader *r = fltr_open_mem(b.p, b.n, "minor", err, sizeof err);
  cr_assert(r, "%s", err);
  cr_expect_str_eq(fltr_header(r)->kinds[200].name, "future");
  struct fltr_rec rec;
  for (size_t i = 0; i < s.n; i++) {
    cr_assert_eq(fltr_next(r, &rec), 1, "%s", fltr_error(r));
    const char *d = rec_diff(&rec, &s.rec[i]);
    cr_assert(!d, "record %zu: %s", i, d);
  }
  cr_assert_eq(fltr_next(r, &rec), 1);
  cr_expect_eq(rec.kind, FLTR_K_BB);
  cr_expect_eq(rec.v[0], 5);
  cr_assert_eq(fltr_next(r, &rec), 1);
  cr_expect_eq(rec.kind, 200);
  cr_expect_eq(rec.cpu, 1);
  cr_expect_eq(rec.v[0], 128);
  cr_expect_eq(rec.len, 3);
  cr_expect(rec.data && !memcmp(rec.data, "abc", 3));
  cr_assert_eq(fltr_next(r, &rec), 1);
  cr_expect_eq(rec.kind, FLTR_K_BB);
  cr_expect_eq(rec.cpu, 2);
  cr_expect_eq(fltr_next(r, &rec), 0, "%s", fltr_error(r));
  fltr_reader_close(r);
  free(b.p); free(pl.p); free(t);
  synth_free(&s);
  unlink(p);
  free(p);
}

/* the writer refuses records that do not fit their kind */
Test(fltr, writer_checks) {
  char *p = tmp_path("wchk");
  char err[600];
  struct fltr_writer *w = fltr_create(p, &synth_meta, NULL, err, sizeof err);
  cr_assert(w, "%s", err);
  struct fltr_rec bad8 = {.kind = FLTR_K_REP, .v = {256}};
  cr_expect_eq(fltr_put(w, 0, &bad8), -1);
  cr_expect(strstr(fltr_writer_error(w), "rep.op: 256 does not fit u8"), "%s", fltr_writer_error(w));
  fltr_abandon(w);
  w = fltr_create(p, &synth_meta, NULL, err, sizeof err);
  static uint8_t big[FLTR_BYTES_MAX + 1];
  struct fltr_rec badb = {.kind = FLTR_K_EXEC, .data = big, .len = sizeof big};
  cr_expect_eq(fltr_put(w, 0, &badb), -1);
  cr_expect(strstr(fltr_writer_error(w), "exceed the cap"), "%s", fltr_writer_error(w));
  fltr_abandon(w);
  w = fltr_create(p, &synth_meta, NULL, err, sizeof err);
  cr_expect_eq(fltr_put(w, 0, &(struct fltr_rec){.kind = 250}), -1);
  cr_expect(strstr(fltr_writer_error(w), "kind 250 does not exist"), "%s", fltr_writer_error(w));
  fltr_abandon(w);
  w = fltr_create(p, &synth_meta, NULL, err, sizeof err);
  cr_expect_eq(fltr_put(w, 100, &(struct fltr_rec){.kind = FLTR_K_BB}), 0);
  cr_expect_eq(fltr_put(w, 99, &(struct fltr_rec){.kind = FLTR_K_BB}), -1);
  cr_expect_eq(fltr_close(w, 100, err, sizeof err), -1);
  cr_expect(strstr(err, "after one at 100"), "%s", err);
  cr_expect_null(fltr_create("/nonexistent/dir/x.fltr", &synth_meta, NULL, err, sizeof err));
  cr_expect(strstr(err, "cannot create trace"), "%s", err);
  unlink(p);
  free(p);
}

/* FORMAT.md's record table is the code's: one row per kind, the same
 * number, name, fields and text (rows printed here on a mismatch) */
Test(fltr, format_md_matches_table) {
  const char *md = getenv("FL_FORMAT_MD");
  cr_assert(md, "FL_FORMAT_MD must be set");
  size_t len;
  char *doc = (char *)slurp_file(md, &len);
  doc = realloc(doc, len + 1);
  doc[len] = 0;
  int rows = 0, kinds = 0;
  for (const char *q = doc; (q = strstr(q, "\n| ")); q++) {   /* rows "| N | `name` |" */
    const char *d = q + 3;
    while (*d >= '0' && *d <= '9') d++;
    rows += d > q + 3 && !strncmp(d, " | `", 4);
  }
  for (int i = 0; i < 256; i++) {
    const struct fltr_kind_info *k = &fltr_kinds[i];
    if (!k->name) continue;
    kinds++;
    char row[1024];
    int n = snprintf(row, sizeof row, "| %d | `%s` | ", i, k->name);
    for (int f = 0; f < k->nfields; f++)
      n += snprintf(row + n, sizeof row - (size_t)n, "%s%s:%s", f ? ", " : "", k->field[f].name,
                    fltr_enc_names[k->field[f].enc]);
    snprintf(row + n, sizeof row - (size_t)n, " | %s |", k->doc);
    cr_expect(strstr(doc, row), "traces/FORMAT.md lacks the row\n%s", row);
  }
  cr_expect_eq(rows, kinds, "FORMAT.md has %d record rows, the code %d kinds", rows, kinds);
  free(doc);
}
