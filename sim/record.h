/* Recording (`faultline run --trace`, traces/FORMAT.md "Recording"): the
 * guest kernel's side.  The model reports to the one recorder
 * (traces/recorder.h) where it hands work to the MMU and to the mode;
 * each hook below is one test of k->rec when no trace is recorded.
 * Internal to sim/. */
#ifndef FAULTLINE_SIM_RECORD_H
#define FAULTLINE_SIM_RECORD_H
#include "sim/kernel.h"
#include "traces/recorder.h"

/* a record of `kind` with up to four fields */
static inline void rec_put(struct kernel *k, uint8_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  if (__builtin_expect(k->rec != NULL, 0)) recorder_put(k->rec, kind, a, b, c, d);
}
/* frame events (the `frame` record's ops) */
enum { REC_FRAME_ALLOC, REC_FRAME_FREE, REC_FRAME_ZERO, REC_FRAME_COPY, REC_FRAME_RUN };
static inline void rec_frame(struct kernel *k, int op, uint64_t pa, uint64_t src) {
  rec_put(k, FLTR_K_FRAME, (uint64_t)op, pa >> 12, src >> 12, 0);
}
/* a page-table entry store; raw: a plain store of a table filled whole */
static inline void rec_pte(struct kernel *k, uint64_t entry_pa, uint64_t v, int level, bool raw) {
  if (__builtin_expect(k->rec != NULL, 0)) recorder_pte(k->rec, entry_pa, v, (unsigned)level | (raw ? 128u : 0u));
}

/* a file's number in the trace (1, 2, ... by first appearance): host
 * inode numbers would make the trace depend on the host's file system */
uint64_t record_file(struct kernel *k, uint64_t dev, uint64_t ino);

/* Open the trace (its header from cfg) before the guest is set up; NULL
 * path: nothing.  -1 with a message. */
int record_open(struct kernel *k, const struct sim_config *cfg, char *err, size_t n);
/* between blocks in the run loop: a keyframe when one is due */
void record_keyframe_due(struct kernel *k);
/* a mode's page-fault handler returned (sig: its result): the outcome of
 * the fault the guest kernel planned in it, if it did */
void record_fault_end(struct kernel *k, int sig);
/* in a replay (replay.c): the recorded outcome is read and checked */
void replay_fault_end(struct kernel *k, int sig);
/* --cpus: vCPU cpu runs now (smp_select): its records are stamped with it */
void record_cpu(struct kernel *k, int cpu);
/* Finish the trace: 0, or -1 with the message (a write that failed during
 * the run is reported here). */
int record_close(struct kernel *k, char *err, size_t n);
/* the version string traces and `faultline --version` carry */
extern const char faultline_version[];

#endif
