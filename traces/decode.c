/* Decoding (recorder.h): the reader's records with the recorder's
 * predictions (FORMAT.md "Prediction") taken back out, for the replay and
 * the tests' trace checker. */
#include "traces/recorder.h"
#include <stdlib.h>
#include <string.h>

struct pred { uint64_t last; int64_t stride; };
struct fltr_decoder {
  struct fltr_reader *r;
  struct pred *pred;
  uint64_t rep_src, rep_dst;
  uint32_t block, ordinal, kctx, kord;
  struct fltr_rec peek;
  int peek_rc;                       /* 2: nothing held */
  uint64_t count;
  uint32_t cpu;                      /* the hot path's records are this vCPU's */
};

void fltr_decoder_set_cpu(struct fltr_decoder *d, uint32_t cpu) { d->cpu = cpu; }

struct fltr_decoder *fltr_decoder_new(struct fltr_reader *r) {
  struct fltr_decoder *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->pred = calloc((size_t)1 << REC_PRED_BITS, sizeof *d->pred);
  if (!d->pred) { free(d); return NULL; }
  d->r = r;
  d->peek_rc = 2;
  return d;
}
void fltr_decoder_free(struct fltr_decoder *d) {
  if (!d) return;
  free(d->pred);
  free(d);
}
void fltr_decoder_reset(struct fltr_decoder *d) {
  memset(d->pred, 0, sizeof *d->pred << REC_PRED_BITS);
  d->rep_src = d->rep_dst = 0;
  d->block = d->ordinal = d->kctx = d->kord = 0;
  d->peek_rc = 2;
}
uint64_t fltr_decoder_count(const struct fltr_decoder *d) { return d->count; }

static inline uint64_t predict(struct pred *p, uint64_t delta) {
  uint64_t v = p->last + (uint64_t)p->stride + delta;
  p->stride = (int64_t)(v - p->last);
  p->last = v;
  return v;
}

static void decode_one(struct fltr_decoder *d, struct fltr_rec *rec) {
  uint64_t *v = rec->v;
  uint8_t kind = rec->kind;
  if (rec_kcontext(kind)) {
    unsigned m = rec_kpredicted(kind);
    for (unsigned f = 0; m >> f; f++)
      if (m >> f & 1) v[f] = predict(&d->pred[rec_kslot(kind, d->kctx, d->kord, f)], v[f]);
    uint32_t ctx;
    if (rec_kanchor(kind, v, &ctx)) { d->kctx = ctx; d->kord = 0; }
    else d->kord++;
  }
  switch (kind) {
  case FLTR_K_KF_BEGIN: fltr_decoder_reset(d); break;
  case FLTR_K_BB:
    d->block = (uint32_t)v[0];
    d->ordinal = 0;
    d->kctx = REC_KCTX_USER;
    d->kord = 0;
    break;
  case FLTR_K_REF: v[0] = predict(&d->pred[rec_pred_slot(d->block, d->ordinal++)], v[0]); break;
  case FLTR_K_REP:
    d->rep_src += v[3];
    d->rep_dst += v[4];
    v[3] = d->rep_src;
    v[4] = d->rep_dst;
    break;
  case FLTR_K_PTE: case FLTR_K_KF_PTE: v[1] = rec_unrot(v[1]); break;
  case FLTR_K_FAULT: v[3] = rec_unrot(v[3]); break;
  default: break;
  }
}

int fltr_decode(struct fltr_decoder *d, struct fltr_rec *rec) {
  int rc;
  if (d->peek_rc != 2) {
    rc = d->peek_rc;
    *rec = d->peek;
    d->peek_rc = 2;
  } else {
    rc = fltr_next(d->r, rec);
    if (rc > 0) decode_one(d, rec);
  }
  if (rc > 0) d->count++;
  return rc;
}

const struct fltr_rec *fltr_decoder_peek(struct fltr_decoder *d) {
  if (d->peek_rc == 2) {
    d->peek_rc = fltr_next(d->r, &d->peek);
    if (d->peek_rc > 0) decode_one(d, &d->peek);
  }
  return d->peek_rc > 0 ? &d->peek : NULL;
}

/* a varint with room after it (fltr_decode_hot checks the room) */
static inline bool uvar_ok(const uint8_t *p, size_t *at, uint64_t *v) {
  uint64_t x = 0;
  for (int s = 0; s < 70; s += 7) {
    uint8_t b = p[(*at)++];
    if (s == 63 && b > 1) return false;
    x |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) { *v = x; return true; }
  }
  return false;
}

/* a varint of three bytes or more (UVAR1's slow path); at moves past it */
static __attribute__((noinline)) bool uvar_more(const uint8_t *p, size_t *at, uint64_t *v) {
  return uvar_ok(p, at, v);
}
/* one varint: one or two bytes inline */
#define UVAR1(p, at, v, bad)                                                        \
  do {                                                                               \
    uint8_t b_ = (p)[at];                                                            \
    if (__builtin_expect(b_ < 0x80, 1)) { (v) = b_; (at)++; }                        \
    else if ((p)[(at) + 1] < 0x80) { (v) = (b_ & 0x7fu) | (uint64_t)(p)[(at) + 1] << 7; (at) += 2; } \
    else if (!uvar_more((p), &(at), &(v))) goto bad;                                 \
  } while (0)

unsigned fltr_decode_hot(struct fltr_decoder *d, struct fltr_hot_rec *out, unsigned max) {
  if (d->peek_rc != 2) return 0;
  const struct fltr_header *hd = fltr_header(d->r);
  const struct fltr_kind_info *kb = &hd->kinds[FLTR_K_BB], *kr = &hd->kinds[FLTR_K_REF];
  /* only when the trace's schema has them as this faultline writes them */
  if (kb->nfields != 1 || kb->field[0].enc != FLTR_E_U || kr->nfields != 3 || kr->field[0].enc != FLTR_E_S ||
      kr->field[1].enc != FLTR_E_U || kr->field[2].enc != FLTR_E_U)
    return 0;
  struct fltr_cursor c;
  if (!fltr_cursor(d->r, &c)) return 0;
  const uint8_t *buf = c.buf;
  size_t pos = *c.upos, end = c.end;
  uint32_t urec = *c.urec, records = c.records;
  /* the predictor's state in locals: out[] cannot alias them */
  struct pred *pred = d->pred;
  uint32_t block = d->block, ordinal = d->ordinal;
  bool bb_seen = false;
  unsigned n = 0;
  if (max > records - urec) max = records - urec;
  while (n < max && end - pos >= 48) {
    const uint8_t *p = buf + pos;
    size_t at = 2;
    uint64_t a, b, z;
    if (p[1] != d->cpu) break;                /* another vCPU's (or one beyond 127): the general path */
    if (p[0] == FLTR_K_REF) {
      UVAR1(p, at, z, stop);
      UVAR1(p, at, a, stop);
      UVAR1(p, at, b, stop);
      if (b > UINT32_MAX) break;
      struct pred *q = &pred[rec_pred_slot(block, ordinal++)];
      uint64_t va = q->last + (uint64_t)q->stride + ((z >> 1) ^ (0 - (z & 1)));
      q->stride = (int64_t)(va - q->last);
      q->last = va;
      out[n].kind = FLTR_K_REF;
      out[n].a = va;
      out[n].sa = a;
      out[n].insn = (uint32_t)b;
    } else if (p[0] == FLTR_K_BB) {
      UVAR1(p, at, a, stop);
      block = (uint32_t)a;
      ordinal = 0;
      bb_seen = true;
      out[n].kind = FLTR_K_BB;
      out[n].a = a;
    } else {
      break;
    }
    pos += at;
    n++;
  }
stop:
  d->block = block;
  d->ordinal = ordinal;
  if (n) {
    /* a bb sets the kernel records' context (FORMAT.md "Prediction") */
    if (bb_seen) { d->kctx = REC_KCTX_USER; d->kord = 0; }
    *c.upos = pos;
    *c.urec = urec + n;
    d->count += n;
  }
  return n;
}
