/* Synthetic .fltr traces for the trace tests (fltr_fixture.h). */
#include "tests/unit/fltr_fixture.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static const char *const synth_argv[] = {"./sort", "a b", "it's", "", "\x1b[31mred"};
const struct fltr_meta synth_meta = {
  .mode = "native", .preset = "default", .param_hash = 0x0123456789abcdefull, .cpuid_id = 1,
  .cpuid_name = "faultline virtual x86-64 CPU", .version = "test-1", .flags = 0,
  .argc = 5, .argv = synth_argv};

static uint64_t rng(uint64_t *s) {   /* xorshift64* */
  *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

static void keep(struct synth *s, uint64_t icount, const struct fltr_rec *r) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->rec = realloc(s->rec, sizeof *s->rec * s->cap);
    s->icount = realloc(s->icount, sizeof *s->icount * s->cap);
  }
  s->rec[s->n] = *r;
  s->icount[s->n++] = icount;
}

/* a value of every magnitude, the extremes included */
static uint64_t value(uint64_t *seed, uint8_t enc) {
  uint64_t x = rng(seed);
  switch (enc) {
  case FLTR_E_U8: return x & 0xff;
  case FLTR_E_U16: return x & 0xffff;
  case FLTR_E_U32: return x & 0xffffffff;
  default:
    switch (x % 8) {
    case 0: return 0;
    case 1: return ~0ull;
    case 2: return 1ull << 63;
    default: return rng(seed) >> (x % 64);
    }
  }
}

static const uint8_t *kind_list(int *n) {
  static uint8_t k[256];
  *n = 0;
  for (int i = 0; i < 256; i++)
    if (fltr_kinds[i].name && i != FLTR_K_KF_BEGIN && i != FLTR_K_KF_END) k[(*n)++] = (uint8_t)i;
  return k;
}

void synth_write(struct synth *s, const char *path, size_t nrec, uint32_t frame_cut, size_t kf_every,
                 uint64_t seed, bool finish) {
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < sizeof s->pool; i++) s->pool[i] = (uint8_t)(i * 7 + i / 251);
  char err[512];
  struct fltr_writer_opts o = {.frame_cut = frame_cut};
  struct fltr_writer *w = fltr_create(path, &synth_meta, &o, err, sizeof err);
  cr_assert(w, "%s", err);
  int nk;
  const uint8_t *kinds = kind_list(&nk);
  uint64_t icount = 0;
  for (size_t i = 0; i < nrec; i++) {
    icount += rng(&seed) % 50;
    if (kf_every && i % kf_every == kf_every / 2 && s->nkf < 64) {
      s->kf_icount[s->nkf] = icount;
      s->kf_index[s->nkf++] = s->n;
      cr_assert_eq(fltr_keyframe_begin(w, 0, icount), 0, "%s", fltr_writer_error(w));
      keep(s, icount, &(struct fltr_rec){.kind = FLTR_K_KF_BEGIN, .v = {icount}});
      int nstate = 3 + (int)(rng(&seed) % 90);
      for (int j = 0; j < nstate; j++) {
        static const uint8_t kf[] = {FLTR_K_KF_TASK, FLTR_K_KF_MM, FLTR_K_KF_PT, FLTR_K_KF_PTE, FLTR_K_BLOCK};
        struct fltr_rec r = {.kind = kf[j % 5], .cpu = 0};
        for (int f = 0; f < fltr_kinds[r.kind].nfields; f++) r.v[f] = value(&seed, fltr_kinds[r.kind].field[f].enc);
        if (r.kind == FLTR_K_BLOCK) { r.data = s->pool; r.len = (uint32_t)(rng(&seed) % 48); r.v[6] = r.len; }
        cr_assert_eq(fltr_put(w, icount, &r), 0, "%s", fltr_writer_error(w));
        keep(s, icount, &r);
      }
      cr_assert_eq(fltr_keyframe_end(w, 0), 0, "%s", fltr_writer_error(w));
      keep(s, icount, &(struct fltr_rec){.kind = FLTR_K_KF_END, .v = {(uint64_t)nstate + 2}});
      continue;
    }
    struct fltr_rec r = {.kind = kinds[i % (size_t)nk], .cpu = (uint32_t)(rng(&seed) % 3)};
    if (i % 1000 == 999) r.cpu = UINT32_MAX;
    const struct fltr_kind_info *k = &fltr_kinds[r.kind];
    for (int f = 0; f < k->nfields; f++) {
      r.v[f] = value(&seed, k->field[f].enc);
      if (k->field[f].enc == FLTR_E_B) {
        uint64_t x = rng(&seed);
        r.len = x % 16 == 0 ? 0 : x % 97 == 0 ? FLTR_BYTES_MAX : (uint32_t)(x % 300);
        r.data = s->pool + (r.len == FLTR_BYTES_MAX ? 0 : x % 1000);
        r.v[f] = r.len;
      }
    }
    cr_assert_eq(fltr_put(w, icount, &r), 0, "%s", fltr_writer_error(w));
    keep(s, icount, &r);
  }
  s->end_icount = icount + 7;
  if (finish) cr_assert_eq(fltr_close(w, s->end_icount, err, sizeof err), 0, "%s", err);
  else fltr_abandon(w);
}

void synth_free(struct synth *s) {
  free(s->rec);
  free(s->icount);
}

char *tmp_path(const char *tag) {
  char *p = malloc(128);
  snprintf(p, 128, "/tmp/fl_fltr_%s_XXXXXX", tag);
  int fd = mkstemp(p);
  cr_assert(fd >= 0);
  close(fd);
  return p;
}

uint8_t *slurp_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*len ? *len : 1);
  cr_assert(fread(b, 1, *len, f) == *len);
  fclose(f);
  return b;
}

void spit_file(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  cr_assert(fwrite(buf, 1, len, f) == len);
  fclose(f);
}

void b_put(struct bytes *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}
void le_set(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}
uint64_t le_get(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
void b_le(struct bytes *b, uint64_t v, int n) {
  uint8_t t[8];
  le_set(t, v, n);
  b_put(b, t, (size_t)n);
}
void b_uvar(struct bytes *b, uint64_t v) {
  do {
    uint8_t c = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) c |= 0x80;
    b_put(b, &c, 1);
  } while (v);
}

void fix_header_crc(uint8_t *h) {
  uint32_t len = (uint32_t)le_get(h + 12, 4);
  le_set(h + len - 4, crc32(0, h, len - 4), 4);
}

/* FORMAT.md "Header": 32 fixed bytes, four strings, argc and argv */
size_t schema_offset(const uint8_t *h) {
  size_t at = 32;
  for (int i = 0; i < 4; i++) at += 4 + le_get(h + at, 4);
  uint64_t argc = le_get(h + at, 4);
  at += 4;
  for (uint64_t i = 0; i < argc; i++) at += 4 + le_get(h + at, 4);
  return at;
}

void raw_frame(struct bytes *out, uint8_t kind, uint64_t first_icount, uint32_t records, uint32_t usize,
               const void *payload, size_t n, bool checksum, int window_log) {
  ZSTD_CCtx *c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
  if (window_log) ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
  size_t cap = ZSTD_compressBound(n);
  uint8_t *z = malloc(cap);
  size_t cn = ZSTD_compress2(c, z, cap, payload, n);
  cr_assert(!ZSTD_isError(cn));
  ZSTD_freeCCtx(c);
  uint8_t h[32] = {'F', 'L', 'F', 'R', kind};
  le_set(h + 8, cn, 4);
  le_set(h + 12, usize, 4);
  le_set(h + 16, records, 4);
  le_set(h + 20, first_icount, 8);
  le_set(h + 28, crc32(0, h, 28), 4);
  b_put(out, h, 32);
  b_put(out, z, cn);
  free(z);
}

/* FORMAT.md "Index" and "Trailer" */
void layout_of(const uint8_t *t, size_t n, struct layout *l) {
  l->header = le_get(t + 12, 4);
  l->trailer = n - 32;
  l->index = le_get(t + l->trailer, 8);
  l->nframes = (uint32_t)le_get(t + l->index + 4, 4);
  cr_assert_leq(l->nframes, 4096);
  for (uint32_t i = 0; i < l->nframes; i++) l->frame[i] = le_get(t + l->index + 8 + 32 * i, 8);
}

int read_all(struct fltr_reader *r, size_t *nrec, char *err, size_t errlen) {
  struct fltr_rec rec;
  int k;
  *nrec = 0;
  while ((k = fltr_next(r, &rec)) > 0) (*nrec)++;
  if (k < 0) snprintf(err, errlen, "%s", fltr_error(r));
  return k < 0 ? -1 : 1;
}

const char *rec_diff(const struct fltr_rec *got, const struct fltr_rec *want) {
  static char m[256];
  if (got->kind != want->kind) { snprintf(m, sizeof m, "kind %u, want %u", got->kind, want->kind); return m; }
  if (got->cpu != want->cpu) { snprintf(m, sizeof m, "cpu %u, want %u", got->cpu, want->cpu); return m; }
  const struct fltr_kind_info *k = &fltr_kinds[want->kind];
  for (int f = 0; f < k->nfields; f++)
    if (got->v[f] != want->v[f]) {
      snprintf(m, sizeof m, "%s.%s = %llu, want %llu", k->name, k->field[f].name,
               (unsigned long long)got->v[f], (unsigned long long)want->v[f]);
      return m;
    }
  if (got->len != want->len || (want->len && memcmp(got->data, want->data, want->len))) {
    snprintf(m, sizeof m, "%s: byte string differs (%u bytes, want %u)", k->name, got->len, want->len);
    return m;
  }
  return NULL;
}
