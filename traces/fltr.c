/* The .fltr vocabulary table and what the writer and the reader share:
 * CRC32, record encoding, the header's encoding (FORMAT.md). */
#include "traces/fltr.h"
#include "traces/fltr_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FU(n) {FLTR_E_U, #n}
#define FS(n) {FLTR_E_S, #n}
#define F8(n) {FLTR_E_U8, #n}
#define FB(n) {FLTR_E_B, #n}
#define FIELDS_(...) __VA_ARGS__
const struct fltr_kind_info fltr_kinds[256] = {
#define X(id, num, name, fields, doc) \
  [num] = {name, doc, sizeof((struct fltr_field[]){FIELDS_ fields}) / sizeof(struct fltr_field), \
           {FIELDS_ fields}},
  FLTR_RECORDS(X)
#undef X
};
#undef FU
#undef FS
#undef F8
#undef FB

const char *const fltr_enc_names[FLTR_E_B + 1] = {
  [FLTR_E_U] = "u", [FLTR_E_S] = "s", [FLTR_E_U8] = "u8", [FLTR_E_U16] = "u16",
  [FLTR_E_U32] = "u32", [FLTR_E_U64] = "u64", [FLTR_E_B] = "bytes"};

uint32_t fltr_crc32(const void *p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  const Bytef *b = p;
  while (n) {   /* zlib takes a uInt length */
    uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
    c = crc32(c, b, k);
    b += k;
    n -= k;
  }
  return (uint32_t)c;
}

static uint8_t *put_uvar(uint8_t *o, uint64_t v) {
  while (v >= 0x80) { *o++ = (uint8_t)(v | 0x80); v >>= 7; }
  *o++ = (uint8_t)v;
  return o;
}

static uint8_t *put_le(uint8_t *o, uint64_t v, int n) {
  for (int i = 0; i < n; i++) o[i] = (uint8_t)(v >> (8 * i));
  return o + n;
}

size_t fltr_rec_encode(const struct fltr_rec *r, uint8_t *out, char *err, size_t errlen) {
  const struct fltr_kind_info *k = &fltr_kinds[r->kind];
  if (!k->name) { snprintf(err, errlen, "record kind %u does not exist", r->kind); return 0; }
  uint8_t *o = out;
  *o++ = r->kind;
  o = put_uvar(o, r->cpu);
  for (int i = 0; i < k->nfields; i++) {
    uint64_t v = r->v[i];
    static const uint64_t lim[] = {[FLTR_E_U8] = 0xff, [FLTR_E_U16] = 0xffff, [FLTR_E_U32] = 0xffffffff};
    switch (k->field[i].enc) {
    case FLTR_E_U: o = put_uvar(o, v); break;
    case FLTR_E_S: o = put_uvar(o, (v << 1) ^ (uint64_t)((int64_t)v >> 63)); break;
    case FLTR_E_U8: case FLTR_E_U16: case FLTR_E_U32:
      if (v > lim[k->field[i].enc]) {
        snprintf(err, errlen, "%s.%s: %llu does not fit %s", k->name, k->field[i].name,
                 (unsigned long long)v, fltr_enc_names[k->field[i].enc]);
        return 0;
      }
      o = put_le(o, v, k->field[i].enc == FLTR_E_U8 ? 1 : k->field[i].enc == FLTR_E_U16 ? 2 : 4);
      break;
    case FLTR_E_U64: o = put_le(o, v, 8); break;
    case FLTR_E_B:
      if (r->len > FLTR_BYTES_MAX) {
        snprintf(err, errlen, "%s.%s: %u bytes exceed the cap of %u", k->name, k->field[i].name,
                 r->len, FLTR_BYTES_MAX);
        return 0;
      }
      o = put_uvar(o, r->len);
      if (r->len) memcpy(o, r->data, r->len);
      o += r->len;
      break;
    }
  }
  return (size_t)(o - out);
}

/* ---- the header ---- */
struct hbuf { uint8_t *p; size_t n, cap; bool oom; };
static void hb_put(struct hbuf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) { b->oom = true; return; }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}
static void hb_le(struct hbuf *b, uint64_t v, int n) {
  uint8_t t[8];
  put_le(t, v, n);
  hb_put(b, t, (size_t)n);
}
static void hb_str(struct hbuf *b, const char *s) {
  size_t n = s ? strlen(s) : 0;
  hb_le(b, n, 4);
  hb_put(b, s, n);
}
static void hb_name(struct hbuf *b, const char *s) {
  uint8_t n = (uint8_t)strlen(s);
  hb_put(b, &n, 1);
  hb_put(b, s, n);
}

uint8_t *fltr_header_encode(const struct fltr_meta *m, size_t *len, char *err, size_t errlen) {
  struct hbuf b = {0};
  hb_put(&b, FLTR_MAGIC, 8);
  hb_le(&b, FLTR_VERSION_MAJOR, 2);
  hb_le(&b, FLTR_VERSION_MINOR, 2);
  hb_le(&b, 0, 4);                       /* length, patched below */
  hb_le(&b, m->flags, 4);
  hb_le(&b, m->cpuid_id, 4);
  hb_le(&b, m->param_hash, 8);
  hb_str(&b, m->mode);
  hb_str(&b, m->preset);
  hb_str(&b, m->cpuid_name);
  hb_str(&b, m->version);
  hb_le(&b, (uint64_t)(m->argc > 0 ? m->argc : 0), 4);
  for (int i = 0; i < m->argc; i++) hb_str(&b, m->argv[i]);
  uint16_t nk = 0;
  for (int i = 0; i < 256; i++) nk += fltr_kinds[i].name != NULL;
  hb_le(&b, nk, 2);
  for (int i = 0; i < 256; i++) {
    const struct fltr_kind_info *k = &fltr_kinds[i];
    if (!k->name) continue;
    uint8_t id = (uint8_t)i, nf = k->nfields;
    hb_put(&b, &id, 1);
    hb_name(&b, k->name);
    hb_put(&b, &nf, 1);
    for (int f = 0; f < nf; f++) {
      hb_put(&b, &k->field[f].enc, 1);
      hb_name(&b, k->field[f].name);
    }
  }
  hb_le(&b, 0, 4);                       /* CRC, patched below */
  if (b.oom || b.n > FLTR_HEADER_MAX) {
    snprintf(err, errlen, b.oom ? "out of host memory" : "the trace header (the command line) exceeds %u bytes",
             FLTR_HEADER_MAX);
    free(b.p);
    return NULL;
  }
  put_le(b.p + 12, b.n, 4);
  put_le(b.p + b.n - 4, fltr_crc32(b.p, b.n - 4), 4);
  *len = b.n;
  return b.p;
}

void fltr_le_put(uint8_t *o, uint64_t v, int n) { put_le(o, v, n); }
uint64_t fltr_le_get(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void fltr_frame_header_encode(uint8_t out[FLTR_FRAME_HEADER], const struct fltr_frame_info *f) {
  memcpy(out, FLTR_FRAME_MAGIC, 4);
  out[4] = f->kind;
  out[5] = out[6] = out[7] = 0;
  put_le(out + 8, f->csize, 4);
  put_le(out + 12, f->usize, 4);
  put_le(out + 16, f->records, 4);
  put_le(out + 20, f->first_icount, 8);
  put_le(out + 28, fltr_crc32(out, 28), 4);
}

void fltr_index_entry_encode(uint8_t out[FLTR_INDEX_ENTRY], const struct fltr_frame_info *f) {
  put_le(out, f->offset, 8);
  put_le(out + 8, f->csize, 4);
  put_le(out + 12, f->usize, 4);
  put_le(out + 16, f->records, 4);
  out[20] = f->kind;
  out[21] = out[22] = out[23] = 0;
  put_le(out + 24, f->first_icount, 8);
}

const char *const fltr_kop_names[FLTR_KOP__COUNT] = {
#define X(id, num, name, doc) [num] = name,
  FLTR_KOPS(X)
#undef X
};
