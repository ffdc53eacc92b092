/* The recorder: the one sink of `faultline run --trace` (traces/FORMAT.md,
 * "Recording").  The interpreter and the guest kernel model call it at the
 * points where a live run hands work to the MMU and to the mode; it
 * encodes what the guest and its kernel did as .fltr records and hands
 * them to the writer (fltr.h).
 *
 * Records are staged before they reach the writer so that the references
 * of an instruction a hidden fault interrupts (a shadow fill, an EPT
 * violation: the guest does not see them, and they do not happen in
 * native mode) can be taken back: the instruction runs again and records
 * them again.  Everything before the current instruction is final. */
#ifndef FAULTLINE_TRACES_RECORDER_H
#define FAULTLINE_TRACES_RECORDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "traces/fltr.h"

/* the data-reference kinds of `ref` */
enum { REF_LOAD = 0, REF_STORE = 1, REF_RMW = 2 };

/* reference prediction (FORMAT.md): a table of 2^16 slots by block id and
 * the reference's ordinal in the block's execution */
#define REC_PRED_BITS 16
static inline uint32_t rec_pred_slot(uint32_t id, uint32_t ordinal) {
  return ((id * 0x9e3779b1u) ^ (ordinal * 0x85ebca77u)) >> (32 - REC_PRED_BITS);
}
/* page-table entry values and PTE flags: rotated left by one, so NX (bit
 * 63) costs one varint bit, not three bytes */
static inline uint64_t rec_rot(uint64_t v) { return v << 1 | v >> 63; }
static inline uint64_t rec_unrot(uint64_t v) { return v >> 1 | v << 63; }

/* The guest kernel's records (kinds 16-95) predict some of their fields
 * too (FORMAT.md "Prediction"): such a field holds the difference from
 * `last + stride` of a slot chosen by the context (the last anchor: a
 * bb, a fault, a system call) and the record's ordinal since it. */
#define REC_KCTX_USER 0x10000000u       /* after a bb */
#define REC_KCTX_FAULT_VA 0x20000000u   /* every fault's address: one slot */
/* which fields (bit i: field i) a kind predicts */
static inline unsigned rec_kpredicted(uint8_t kind) {
  switch (kind) {
  case FLTR_K_KACC: return 1u;            /* va */
  case FLTR_K_UCOPY: return 2u;           /* va */
  case FLTR_K_PTE: return 3u;             /* entry, val */
  case FLTR_K_FRAME: return 6u;           /* frame, src */
  case FLTR_K_FAULT: return 1u;           /* va (in the REC_KCTX_FAULT_VA slot) */
  case FLTR_K_FAULT_END: return 2u;       /* frame */
  case FLTR_K_KOP: return 2u;             /* a */
  default: return 0;
  }
}
/* the slot of field f of a kernel record: by its context, its kind and
 * its ordinal in the context, which stops counting at REC_KORD_MAX so
 * that a long run of records (an address space torn down) shares a slot
 * per kind and strides predict it */
#define REC_KORD_MAX 31u
static inline uint32_t rec_kslot(uint8_t kind, uint32_t ctx, uint32_t ordinal, unsigned f) {
  if (kind == FLTR_K_FAULT) { ctx = REC_KCTX_FAULT_VA; ordinal = 0; }
  if (ordinal > REC_KORD_MAX) ordinal = REC_KORD_MAX;
  return rec_pred_slot(ctx ^ (uint32_t)kind << 12 ^ (uint32_t)f << 20, ordinal);
}
/* the kinds whose records count in the kernel context (the guest
 * kernel's, 16-95, but for xfault, which a raise records tentatively) */
static inline bool rec_kcontext(uint8_t kind) { return kind >= 16 && kind < 96 && kind != FLTR_K_XFAULT; }
/* an anchor record: the context it starts (its fields as recorded) */
static inline bool rec_kanchor(uint8_t kind, const uint64_t *v, uint32_t *ctx) {
  if (kind == FLTR_K_FAULT) { *ctx = 0x30000000u | (uint32_t)(v[2] & 0xff); return true; }
  if (kind == FLTR_K_SYS_ENTER) { *ctx = 0x40000000u | (uint32_t)(v[0] & 0xfffff); return true; }
  return false;
}

struct recorder;
/* Create the trace.  icount: the retired-instruction counter records are
 * stamped with (read at each record).  NULL with a message in err. */
struct recorder *recorder_open(const char *path, const struct fltr_meta *m, const uint64_t *icount,
                               char *err, size_t errlen);
/* --cpus: the records from here on are vCPU cpu's, stamped with its
 * counter (the stamps stay non-decreasing: a vCPU behind the others is
 * stamped with the latest) */
void recorder_set_cpu(struct recorder *r, uint32_t cpu, const uint64_t *icount);
/* Write what is staged, the index and the trailer; frees r.  0, or -1 with
 * the message (the first failure of the run) in err. */
int recorder_close(struct recorder *r, char *err, size_t errlen);
/* A write failed: later records are dropped; recorder_close reports it. */
bool recorder_failed(const struct recorder *r);

/* ---- the instruction stream (cpu-x86) ---- */
/* a newly decoded block: returns its id */
uint32_t recorder_block(struct recorder *r, uint64_t rip, uint64_t pa, uint64_t pa2, uint32_t bytes,
                        uint32_t cycles, const uint8_t *classes, uint32_t n);
/* the same entry again under its id (keyframes) */
void recorder_block_again(struct recorder *r, uint32_t id, uint64_t rip, uint64_t pa, uint64_t pa2,
                          uint32_t bytes, uint32_t cycles, const uint8_t *classes, uint32_t n);
void recorder_bb(struct recorder *r, uint32_t id);
/* a data reference made by instruction `insn` (an opaque identity) */
void recorder_ref(struct recorder *r, const void *insn, uint32_t index, uint64_t va, unsigned size, unsigned access);
/* a REP string instruction: its references are the rep record's */
void recorder_rep_begin(struct recorder *r, const void *insn);
void recorder_rep(struct recorder *r, unsigned op, unsigned size, uint64_t count, uint64_t src,
                  uint64_t dst, unsigned partial, uint32_t index, uint64_t rest);
/* A fetch faulted (no instruction was running): tentatively an xfault
 * record, settled by recorder_rollback or recorder_commit like a raise.
 * how 0: the fetch of a block at va; 1: the second page of a block that
 * starts at va. */
void recorder_fetch_fault(struct recorder *r, unsigned how, uint64_t va, uint32_t err);
/* The current instruction raised an exception.  Tentatively: the REP's
 * progress (rep_op < 0: none) and the block's cut (retired < 0: none),
 * after the instruction's references.  Then either recorder_rollback (a
 * hidden fault: the instruction runs again) or recorder_commit. */
void recorder_raise(struct recorder *r, const void *insn, int64_t retired, int rep_op, unsigned rep_size,
                    uint64_t rep_count, uint64_t rep_src, uint64_t rep_dst, unsigned rep_partial,
                    uint32_t rep_index, uint64_t rep_rest);
void recorder_rollback(struct recorder *r);
void recorder_commit(struct recorder *r);
/* a cut that is final at once (the block's code was overwritten) */
void recorder_cut(struct recorder *r, uint32_t retired);

/* ---- the guest kernel (sim) ---- */
/* a record of any kind with up to four fields (the rest 0) */
void recorder_put(struct recorder *r, uint8_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* a kind whose last field is a byte string: a, then the bytes */
void recorder_put_bytes(struct recorder *r, uint8_t kind, uint64_t a, const void *p, uint32_t len);
/* the delta-coded kinds */
void recorder_kacc(struct recorder *r, uint64_t va, unsigned acc);
void recorder_pte(struct recorder *r, uint64_t entry, uint64_t val, unsigned level);

/* ---- keyframes ---- */
/* begin: everything staged goes out, the predictors start afresh */
void recorder_keyframe_begin(struct recorder *r);
void recorder_keyframe_end(struct recorder *r);

/* ---- decoding (decode.c): the records as the recorder saw them ----
 * The reader's records with the predictions taken out: ref's va, rep's
 * src and dst, the kernel records' predicted fields are the values
 * themselves; pte and kf_pte values and fault flags unrotated.  One
 * record of lookahead (fltr_decoder_peek).  Errors are the reader's. */
struct fltr_decoder;
struct fltr_decoder *fltr_decoder_new(struct fltr_reader *r);
void fltr_decoder_free(struct fltr_decoder *d);
/* 1, 0 at the end, -1 on a bad trace (fltr_error of the reader) */
int fltr_decode(struct fltr_decoder *d, struct fltr_rec *rec);
/* the record fltr_decode returns next, without taking it (NULL at the
 * end or on a bad trace; the next fltr_decode says which) */
const struct fltr_rec *fltr_decoder_peek(struct fltr_decoder *d);
/* The hot path: a run of bb and ref records decoded straight from the
 * frame into out (at most max), the reader moved past them.  It stops
 * before any other record and at a frame's end (the next fltr_decode goes
 * on from there).  Such a run never holds records a handler of its ones
 * would read: a fault the guest sees is followed by its own records.
 * Returns the records decoded. */
struct fltr_hot_rec {
  uint8_t kind;                      /* FLTR_K_BB or FLTR_K_REF */
  uint32_t insn;                     /* ref: the instruction's index */
  uint64_t a;                        /* bb: the block id; ref: the address */
  uint64_t sa;                       /* ref: size * 4 + access */
};
unsigned fltr_decode_hot(struct fltr_decoder *d, struct fltr_hot_rec *out, unsigned max);
/* the vCPU whose bb and ref records the hot path takes (0 at first): it
 * stops before another vCPU's, which the general path returns */
void fltr_decoder_set_cpu(struct fltr_decoder *d, uint32_t cpu);
/* records returned so far */
uint64_t fltr_decoder_count(const struct fltr_decoder *d);
/* after the reader was positioned at a keyframe (fltr_seek) */
void fltr_decoder_reset(struct fltr_decoder *d);

#endif
