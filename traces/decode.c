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
};

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
