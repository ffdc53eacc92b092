/* `faultline replay` (replay.c, replay_ops.c): its state, shared by the
 * main loop and the guest kernel's decisions taken from the records.
 * Internal to sim/. */
#ifndef FAULTLINE_SIM_REPLAY_PRIV_H
#define FAULTLINE_SIM_REPLAY_PRIV_H
#include "sim/machine.h"
#include "traces/recorder.h"
#include <setjmp.h>

#define INSN_REFS_MAX 16           /* references one instruction makes (movs, push mem, ...) */

struct rblock {
  uint64_t rip;
  uint32_t cycles;                 /* base cycles with this replay's class costs */
  uint8_t n;
  uint8_t cls[64];
};

struct replay {
  struct machine *m;
  struct kernel *k;
  struct vcpu *c;
  struct hv *hv;
  struct fltr_reader *rd;
  struct fltr_decoder *dec;
  const char *path;
  struct fltr_rec rec;             /* the record being replayed */
  jmp_buf fail;
  char err[400];
  /* the block table and the running block */
  /* the block table by id, in pages of BLOCK_PAGE allocated when first
   * used: a corrupt id (up to 2^28) costs one page, not the whole range */
  struct rblock **bpages;
  size_t nbpages;
  uint32_t cur;
  bool fetched;                    /* the next bb's fetch was its block record's */
  /* the running instruction's references (a hidden fault runs it again) */
  uint32_t insn;
  int nins;
  struct { uint64_t va; uint32_t size, kind; } ins[INSN_REFS_MAX];
  bool sys_rerun;                  /* the last sys_enter was a re-run: no KPTI switch */
  bool plan_taken;                 /* the mode's handler called plan: the guest saw it */
  uint32_t raising;                /* 1 + the instruction whose access is faulting (0: none) */
  bool in_keyframe;
  bool imported;                   /* no guest-kernel records: the kernel decides (first touch) */
  /* address spaces by number */
  struct mm **mms;
  size_t nmms;
  uint64_t refs, pt_new;
  uint64_t kstat[FLTR_KSTAT__COUNT];
  bool have_kstat;
  /* a window (--from/--to): counting starts at `from` (the counters are
   * reset there), the replay stops at `to` */
  struct replay_window win;
  bool counting, stop;
  uint64_t win_icount0;            /* where the window started (a block boundary) */
  bool seeking, kf_seek;           /* positioned at a keyframe / reading the one it starts at */
  uint64_t kf_icount;              /* the keyframe the replay started at */
  uint64_t pv_kf_root;             /* keyframe: the running task's address space */
  /* --cpus: the vCPU whose records are being replayed, and what each of
   * the others had running when its records stopped */
  uint32_t cpu;
  struct replay_cpu {
    uint32_t cur, insn;
    int nins;
    bool fetched, sys_rerun;
    struct { uint64_t va; uint32_t size, kind; } ins[INSN_REFS_MAX];
    struct mm *mm;
    int32_t pid;
    uint64_t refs;                 /* the user references replayed on it */
  } cpus[HV_MAX_CPUS];
  uint64_t refs_at_switch;         /* R->refs when the current vCPU's records began */
  /* progress on a terminal */
  bool tty;
  uint64_t next_progress, end_icount;
};

static inline struct replay *the_replay(void *kp) { return ((struct kernel *)kp)->replay; }
/* one faultline: line naming the record, and the replay ends (longjmp) */
_Noreturn __attribute__((format(printf, 2, 3))) void replay_fail(struct replay *R, const char *fmt, ...);
/* the next record (the trace ending or damaged here ends the replay) */
const struct fltr_rec *replay_next(struct replay *R);

/* replay_ops.c: the guest kernel's machine work, one record (cyc: the
 * fault-path operation it belongs to, NULL: none), and its decisions as
 * struct guest_ops */
bool replay_kernel_work(uint8_t kind);
void replay_kernel_record(struct replay *R, const struct fltr_rec *r, uint64_t *cyc);
void replay_ops(struct guest_ops *o);

#endif
