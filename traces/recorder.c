/* The recorder (recorder.h): encodes the guest-level stream into .fltr
 * records, staged so that a hidden fault's interrupted instruction can be
 * taken back, and hands whole records to the writer. */
#include "traces/recorder.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE_CAP (1u << 20)
#define STAGE_FLUSH (256u << 10)    /* hand the final part to the writer past this */
#define UNDO_MAX 64                 /* predictor slots one instruction may change */

struct pred { uint64_t last; int64_t stride; };

struct recorder {
  struct fltr_writer *w;
  const uint64_t *icount;
  uint32_t cpu;                     /* the vCPU records are stamped with */
  /* the stage: records not yet handed to the writer; those before `mark`
   * are final */
  uint8_t *buf;
  size_t used, mark;
  uint32_t nrec, mark_nrec;
  uint64_t first_icount, last_icount, mark_last_icount, after_mark_icount;
  /* the instruction whose references are being staged after mark */
  const void *insn;
  bool in_rep, raise_in_rep;
  /* reference prediction: the running block, the reference's ordinal */
  struct pred *pred;
  uint32_t block, ordinal, mark_ordinal;
  struct { uint32_t slot; struct pred old; } undo[UNDO_MAX];
  int nundo;                        /* > UNDO_MAX: an instruction changed more slots than the log keeps */
  /* delta bases */
  uint64_t rep_src, rep_dst, mark_rep_src, mark_rep_dst;
  /* the guest kernel's records: their context and ordinal in it */
  uint32_t kctx, kord;
  uint32_t next_block;
  bool failed;
  char err[320];
};

static void fail(struct recorder *r, const char *msg) {
  if (r->failed) return;
  r->failed = true;
  snprintf(r->err, sizeof r->err, "%s", msg);
}

struct recorder *recorder_open(const char *path, const struct fltr_meta *m, const uint64_t *icount,
                               char *err, size_t errlen) {
  struct recorder *r = calloc(1, sizeof *r);
  if (r) {
    r->buf = malloc(STAGE_CAP + FLTR_REC_MAX);
    r->pred = calloc((size_t)1 << REC_PRED_BITS, sizeof *r->pred);
  }
  if (!r || !r->buf || !r->pred) {
    if (r) { free(r->buf); free(r->pred); free(r); }
    snprintf(err, errlen, "out of host memory");
    return NULL;
  }
  r->w = fltr_create(path, m, NULL, err, errlen);
  if (!r->w) { free(r->buf); free(r->pred); free(r); return NULL; }
  r->icount = icount;
  r->next_block = 1;
  return r;
}

bool recorder_failed(const struct recorder *r) { return r->failed; }

void recorder_set_cpu(struct recorder *r, uint32_t cpu, const uint64_t *icount) {
  r->cpu = cpu;
  r->icount = icount;
}

/* ---- the stage ---- */
static inline void set_mark(struct recorder *r) {
  r->mark = r->used;
  r->mark_nrec = r->nrec;
  r->mark_last_icount = r->last_icount;
  r->mark_ordinal = r->ordinal;
  r->nundo = 0;
}

/* hand the final records (before mark) to the writer */
static void flush(struct recorder *r) {
  if (!r->mark) return;
  if (!r->failed && fltr_put_encoded(r->w, r->first_icount, r->mark_last_icount, r->buf, r->mark, r->mark_nrec))
    fail(r, fltr_writer_error(r->w));
  memmove(r->buf, r->buf + r->mark, r->used - r->mark);
  r->used -= r->mark;
  r->nrec -= r->mark_nrec;
  r->first_icount = r->after_mark_icount;
  r->mark = 0;
  r->mark_nrec = 0;
}

/* the stage is full enough to hand its final part on (or, which cannot
 * happen, full) */
static __attribute__((noinline)) void stage_full(struct recorder *r) {
  if (r->mark) flush(r);
  if (r->used >= STAGE_CAP) {      /* one instruction stages a few records */
    fail(r, "internal error: the trace stage overflowed");
    r->used = r->mark;
  }
}

/* room for one record (its kind and vCPU written): where its fields go */
static inline __attribute__((always_inline)) uint8_t *begin(struct recorder *r, uint8_t kind) {
  if (__builtin_expect(r->used >= STAGE_FLUSH, 0)) stage_full(r);
  uint64_t ic = *r->icount;
  if (ic < r->last_icount) ic = r->last_icount;
  if (r->used == r->mark) {
    if (!r->used) r->first_icount = ic;
    r->after_mark_icount = ic;
  }
  r->last_icount = ic;
  uint8_t *o = r->buf + r->used;
  *o++ = kind;
  if (__builtin_expect(r->cpu < 0x80, 1)) *o++ = (uint8_t)r->cpu;
  else { uint32_t v = r->cpu; while (v >= 0x80) { *o++ = (uint8_t)(v | 0x80); v >>= 7; } *o++ = (uint8_t)v; }
  return o;
}
static inline uint8_t *put_u(uint8_t *o, uint64_t v) {
  while (v >= 0x80) { *o++ = (uint8_t)(v | 0x80); v >>= 7; }
  *o++ = (uint8_t)v;
  return o;
}
static inline uint8_t *put_s(uint8_t *o, int64_t v) { return put_u(o, (uint64_t)v << 1 ^ (uint64_t)(v >> 63)); }
static inline void end(struct recorder *r, uint8_t *o) {
  r->used = (size_t)(o - r->buf);
  r->nrec++;
}
/* a record that is final at once */
static inline void end_final(struct recorder *r, uint8_t *o) {
  end(r, o);
  r->insn = NULL;
  set_mark(r);
}

/* ---- the instruction stream ---- */
static void block_entry(struct recorder *r, uint32_t id, uint64_t rip, uint64_t pa, uint64_t pa2, uint32_t bytes,
                        uint32_t cycles, const uint8_t *classes, uint32_t n) {
  uint8_t *o = begin(r, FLTR_K_BLOCK);
  o = put_u(o, id);
  o = put_u(o, rip);
  o = put_u(o, pa);
  o = put_u(o, pa2);
  o = put_u(o, bytes);
  o = put_u(o, cycles);
  o = put_u(o, n);
  memcpy(o, classes, n);
  end_final(r, o + n);
}

uint32_t recorder_block(struct recorder *r, uint64_t rip, uint64_t pa, uint64_t pa2, uint32_t bytes,
                        uint32_t cycles, const uint8_t *classes, uint32_t n) {
  uint32_t id = r->next_block++;
  block_entry(r, id, rip, pa, pa2, bytes, cycles, classes, n);
  return id;
}

void recorder_block_again(struct recorder *r, uint32_t id, uint64_t rip, uint64_t pa, uint64_t pa2,
                          uint32_t bytes, uint32_t cycles, const uint8_t *classes, uint32_t n) {
  block_entry(r, id, rip, pa, pa2, bytes, cycles, classes, n);
}

void recorder_bb(struct recorder *r, uint32_t id) {
  uint8_t *o = begin(r, FLTR_K_BB);
  end_final(r, put_u(o, id));
  r->block = id;
  r->ordinal = 0;
  r->mark_ordinal = 0;
  r->kctx = REC_KCTX_USER;
  r->kord = 0;
}

void recorder_ref(struct recorder *r, const void *insn, uint32_t index, uint64_t va, unsigned size, unsigned access) {
  if (r->in_rep) return;             /* the rep record holds them */
  if (insn != r->insn) { set_mark(r); r->insn = insn; }
  uint32_t slot = rec_pred_slot(r->block, r->ordinal++);
  struct pred *p = &r->pred[slot];
  if (r->nundo < UNDO_MAX) { r->undo[r->nundo].slot = slot; r->undo[r->nundo].old = *p; }
  r->nundo++;
  int64_t delta = (int64_t)(va - (p->last + (uint64_t)p->stride));
  p->stride = (int64_t)(va - p->last);
  p->last = va;
  uint8_t *o = begin(r, FLTR_K_REF);
  o = put_s(o, delta);
  o = put_u(o, (uint64_t)size << 2 | access);
  end(r, put_u(o, index));
}

void recorder_rep_begin(struct recorder *r, const void *insn) {
  if (insn != r->insn) { set_mark(r); r->insn = insn; }
  r->in_rep = true;
}

static uint8_t *rep_fields(struct recorder *r, uint8_t *o, unsigned op, unsigned size, uint64_t count,
                           uint64_t src, uint64_t dst, unsigned partial, uint32_t index, uint64_t rest) {
  *o++ = (uint8_t)op;
  *o++ = (uint8_t)size;
  o = put_u(o, count);
  o = put_s(o, (int64_t)(src - r->rep_src));
  o = put_s(o, (int64_t)(dst - r->rep_dst));
  *o++ = (uint8_t)partial;
  o = put_u(o, index);
  o = put_u(o, rest);
  r->rep_src = src;
  r->rep_dst = dst;
  return o;
}

void recorder_rep(struct recorder *r, unsigned op, unsigned size, uint64_t count, uint64_t src,
                  uint64_t dst, unsigned partial, uint32_t index, uint64_t rest) {
  r->in_rep = false;
  uint8_t *o = begin(r, FLTR_K_REP);
  end_final(r, rep_fields(r, o, op, size, count, src, dst, partial, index, rest));
}
void recorder_fetch_fault(struct recorder *r, unsigned how, uint64_t va, uint32_t err) {
  set_mark(r);
  r->insn = NULL;
  r->mark_rep_src = r->rep_src;
  r->mark_rep_dst = r->rep_dst;
  struct fltr_rec rec = {.kind = FLTR_K_XFAULT, .cpu = r->cpu, .v = {how, va, err}};
  char e[160];
  begin(r, FLTR_K_XFAULT);
  size_t n = fltr_rec_encode(&rec, r->buf + r->used, e, sizeof e);
  if (!n) { fail(r, e); return; }
  end(r, r->buf + r->used + n);      /* tentative: a hidden fault takes it back */
  r->raise_in_rep = r->in_rep;
}

void recorder_raise(struct recorder *r, const void *insn, int64_t retired, int rep_op, unsigned rep_size,
                    uint64_t rep_count, uint64_t rep_src, uint64_t rep_dst, unsigned rep_partial,
                    uint32_t rep_index, uint64_t rep_rest) {
  if (insn != r->insn) { set_mark(r); r->insn = insn; }
  r->mark_rep_src = r->rep_src;      /* a tentative rep record moves them */
  r->mark_rep_dst = r->rep_dst;
  if (rep_op >= 0) {
    uint8_t *o = begin(r, FLTR_K_REP);
    end(r, rep_fields(r, o, (unsigned)rep_op, rep_size, rep_count, rep_src, rep_dst, rep_partial, rep_index, rep_rest));
  }
  if (retired >= 0) {
    uint8_t *o = begin(r, FLTR_K_CUT);
    end(r, put_u(o, (uint64_t)retired));
  }
  r->raise_in_rep = r->in_rep;
  r->in_rep = false;
}

void recorder_rollback(struct recorder *r) {
  if (r->nundo > UNDO_MAX) { recorder_commit(r); return; }   /* cannot take it back: keep it (never seen) */
  for (int i = r->nundo - 1; i >= 0; i--) r->pred[r->undo[i].slot] = r->undo[i].old;
  r->used = r->mark;
  r->nrec = r->mark_nrec;
  r->last_icount = r->mark_last_icount;
  r->ordinal = r->mark_ordinal;
  r->rep_src = r->mark_rep_src;
  r->rep_dst = r->mark_rep_dst;
  r->nundo = 0;
  r->insn = NULL;
  r->in_rep = r->raise_in_rep;       /* a REP goes on where it stopped */
}

void recorder_commit(struct recorder *r) {
  r->insn = NULL;
  r->in_rep = false;
  set_mark(r);
}

void recorder_cut(struct recorder *r, uint32_t retired) {
  uint8_t *o = begin(r, FLTR_K_CUT);
  end_final(r, put_u(o, retired));
}

/* ---- the guest kernel ---- */
/* predicted fields become differences from their slots' predictions;
 * then the record is an anchor, or the next in its context */
static void kpredict(struct recorder *r, uint8_t kind, uint64_t *v) {
  if (!rec_kcontext(kind)) return;
  uint32_t ctx;
  bool anchor = rec_kanchor(kind, v, &ctx);
  unsigned m = rec_kpredicted(kind);
  for (unsigned f = 0; m >> f; f++) {
    if (!(m >> f & 1)) continue;
    struct pred *p = &r->pred[rec_kslot(kind, r->kctx, r->kord, f)];
    uint64_t x = v[f];
    v[f] = x - (p->last + (uint64_t)p->stride);
    p->stride = (int64_t)(x - p->last);
    p->last = x;
  }
  if (anchor) { r->kctx = ctx; r->kord = 0; }
  else r->kord++;
}

static void put_rec(struct recorder *r, struct fltr_rec *rec) {
  char e[160];
  kpredict(r, rec->kind, rec->v);
  begin(r, rec->kind);
  size_t n = fltr_rec_encode(rec, r->buf + r->used, e, sizeof e);
  if (!n) { fail(r, e); return; }
  end_final(r, r->buf + r->used + n);
}

void recorder_put(struct recorder *r, uint8_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  struct fltr_rec rec = {.kind = kind, .cpu = r->cpu, .v = {a, b, c, d}};
  put_rec(r, &rec);
}

void recorder_put_bytes(struct recorder *r, uint8_t kind, uint64_t a, const void *p, uint32_t len) {
  if (len > FLTR_BYTES_MAX) len = FLTR_BYTES_MAX;
  struct fltr_rec rec = {.kind = kind, .cpu = r->cpu, .v = {a, len}, .data = p, .len = len};
  put_rec(r, &rec);
}

void recorder_kacc(struct recorder *r, uint64_t va, unsigned acc) { recorder_put(r, FLTR_K_KACC, va, acc, 0, 0); }

void recorder_pte(struct recorder *r, uint64_t entry, uint64_t val, unsigned level) {
  recorder_put(r, FLTR_K_PTE, entry, rec_rot(val), level, 0);
}

/* ---- keyframes ---- */
void recorder_keyframe_begin(struct recorder *r) {
  set_mark(r);
  flush(r);
  if (!r->failed && fltr_keyframe_begin(r->w, r->cpu, r->last_icount > *r->icount ? r->last_icount : *r->icount))
    fail(r, fltr_writer_error(r->w));
  /* a reader starting here knows nothing before: every predictor and
   * delta base starts afresh */
  memset(r->pred, 0, sizeof *r->pred << REC_PRED_BITS);
  r->rep_src = r->rep_dst = 0;
  r->block = r->ordinal = 0;
  r->kctx = r->kord = 0;
  set_mark(r);
}

void recorder_keyframe_end(struct recorder *r) {
  set_mark(r);
  flush(r);
  if (!r->failed && fltr_keyframe_end(r->w, r->cpu)) fail(r, fltr_writer_error(r->w));
}

int recorder_close(struct recorder *r, char *err, size_t errlen) {
  set_mark(r);
  flush(r);
  char e[320] = "";
  int rc = fltr_close(r->w, r->last_icount > *r->icount ? r->last_icount : *r->icount, e, sizeof e);
  if (r->failed) { snprintf(err, errlen, "%s", r->err); rc = -1; }
  else if (rc) snprintf(err, errlen, "%s", e);
  free(r->buf);
  free(r->pred);
  free(r);
  return rc;
}
