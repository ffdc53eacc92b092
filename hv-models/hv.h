/* faultline hv-models: one fault path per mode over a common API.
 * A mode reaches the machine, and the guest kernel's decisions (which VMA,
 * which frame, which protection), only through `struct guest_ops`, which
 * sim/ fills in (pv-ops style).  Each step is reported on the event bus
 * with its cycle cost (DESIGN.md "How a fault flows"). */
#ifndef FAULTLINE_HV_MODELS_HV_H
#define FAULTLINE_HV_MODELS_HV_H
#include <stdint.h>
#include <stdbool.h>
#include "traces/events.h"
#include "traces/params.h"
#include "cpu-x86/cpu.h"

/* What the guest kernel decided a fault needs (filled by ops->plan). */
enum fault_kind {
  FK_SEGV_MAPERR,            /* no VMA: SIGSEGV (SEGV_MAPERR) */
  FK_SEGV_ACCERR,            /* VMA forbids the access (SEGV_ACCERR) */
  FK_ANON_ZERO_PAGE,         /* read of untouched anonymous memory */
  FK_ANON_NEW,               /* first write to anonymous memory */
  FK_FILE,                   /* file-backed page (private or shared) */
  FK_COW,                    /* write to a present read-only COW page */
  FK_SPURIOUS,               /* the translation is already valid */
  FK_OOM,                    /* no memory left */
  FK_SIGBUS,                 /* file-backed beyond EOF */
  FK_WRITE_UPGRADE,          /* write to a present read-only page we own
                                alone: make it writable, no copy */
  FK_THP,                    /* anonymous write fault served by a 2M page */
};

struct fault_plan {
  enum fault_kind kind;
  uint64_t va;               /* faulting address */
  uint64_t page;             /* page-aligned */
  uint64_t pte_flags;        /* protection for the new PTE */
  uint64_t old_pa;           /* COW source frame */
  bool stack_grow;           /* the VMA was extended downwards */
  bool write, fetch, user;
  bool copy;                 /* FK_FILE: a private write: copy the file page */
  void *vma;                 /* opaque to modes */
};

/* The guest kernel's services, each a decision or a machine operation.
 * Machine operations go through the MMU at kernel addresses and return
 * the cycles they cost. */
struct guest_ops {
  void *k;
  /* decide what the fault needs (VMA lookup; may extend a stack VMA) */
  uint64_t (*plan)(void *k, uint64_t va, uint32_t err, struct fault_plan *p);
  /* make sure page tables down to the leaf exist; returns cycles, sets
   * *leaf_pa to the machine address of the leaf PTE; counts new tables */
  uint64_t (*ensure_tables)(void *k, uint64_t va, uint64_t *leaf_pa,
                            int *new_tables);
  uint64_t (*alloc_frame)(void *k, uint64_t *pa);    /* 0 pa: OOM */
  uint64_t (*zero_frame)(void *k, uint64_t pa);
  /* the file page for p (page cache; a private frame for a partial page):
   * returns cycles; *pa gets a reference for the new mapping, *hit says
   * whether it was already cached */
  uint64_t (*file_page)(void *k, const struct fault_plan *p, uint64_t *pa, bool *hit);
  /* map cached neighbours of a read fault (Linux do_fault_around);
   * returns cycles, *n the pages mapped */
  uint64_t (*fault_around)(void *k, const struct fault_plan *p, int *n);
  uint64_t (*copy_frame)(void *k, uint64_t dst, uint64_t src);
  uint64_t (*zero_page_pa)(void *k);                 /* the shared zero page */
  uint64_t (*write_pte)(void *k, uint64_t leaf_pa, uint64_t pte);
  uint64_t (*invlpg)(void *k, uint64_t va);
  void (*release_frame)(void *k, uint64_t pa);       /* drop a reference */
  /* transparent huge pages: a 2M-aligned run of 512 frames (0: none, the
   * mode falls back to 4K), zeroed; then the PMD leaf written */
  uint64_t (*thp_alloc)(void *k, uint64_t *pa);
  uint64_t (*thp_zero)(void *k, uint64_t pa);
  uint64_t (*thp_map)(void *k, const struct fault_plan *p, uint64_t pa);
  /* the memory a kernel step touches itself (its code, its stack): cycles */
  uint64_t (*kernel_touch)(void *k, int step);
  /* the kernel's own address-space switch on entry/exit (KPTI): cycles */
  uint64_t (*entry_switch)(void *k);
  uint64_t (*exit_switch)(void *k);
};

struct hv_stats {
  uint64_t faults_guest, faults_hidden;
  uint64_t by_kind[16];
  uint64_t fault_cycles_by_layer[EV_L__COUNT];
  uint64_t fault_cycles_by_step[EV_S__COUNT];
  uint64_t steps_by_step[EV_S__COUNT];
};

struct hv;
struct hv_mode {
  const char *name;
  const char *doc;
  int (*init)(struct hv *h);
  /* handle a #PF raised in user mode or in a kernel copy; returns
   * 0 resolved (retry), or a signal number (SIGSEGV, SIGBUS, SIGKILL) */
  int (*page_fault)(struct hv *h, uint64_t va, uint32_t err, bool in_kernel,
                    int *si_code);
  const struct fl_param_def *params;
};

struct hv {
  const struct hv_mode *mode;
  struct guest_ops ops;
  struct vcpu *cpu;
  struct ev_bus *bus;
  struct hv_stats st;
  /* parameter lookup provided by sim (the registry) */
  uint64_t (*param)(void *reg, const char *name);
  void *param_reg;
  uint64_t cost[32];         /* the mode's step costs, read once at init */
};

const struct hv_mode *hv_find_mode(const char *name);
extern const struct hv_mode *const hv_modes[];
extern const struct fl_param_def native_params[];

#endif
