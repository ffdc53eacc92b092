/* The exokernel mode's two variants (exokernel.c: Aegis on a software
 * TLB; exokernel_xok.c: Xok on x86 page tables) share the environments,
 * the secure bindings and the libOS's entry into the Linux decisions. */
#ifndef FAULTLINE_HV_MODELS_EXOKERNEL_H
#define FAULTLINE_HV_MODELS_EXOKERNEL_H
#include "hv-models/hv.h"

/* The exokernel's own memory, unmapped (MIPS kseg0) under software refill:
 * a direct map of machine memory in its address space. */
#define EXO_KSEG0 0xffff800000000000ull
/* the libOS's exception entry point recorded in a Processor Environment
 * (its code is the model's kernel text: a guaranteed mapping) */
#define EXO_LIBOS_ENTRY 0xffffffff81000000ull

/* a binding-table entry: bound, write right, owner << 32, check value */
#define EXO_BOUND (1ull << 63)
#define EXO_RIGHT_W (1ull << 62)
#define EXO_GUEST_OWNER 1u       /* the guest's libOS (all its processes) */

/* the exokernel's system calls (the log's "call" field) */
enum { EXO_CALL_TLB_INSTALL = 1, EXO_CALL_BIND = 2, EXO_CALL_TLB_FLUSH = 3, EXO_CALL_SELF_INSERT_PTE = 4 };
/* why an install was refused (the log's "why" field; after Xen's) */
enum { EXO_WHY_NOT_BOUND = 5, EXO_WHY_EXOKERNEL_FRAME = 6, EXO_WHY_NO_WRITE_RIGHT = 7 };

struct exo_env {
  uint64_t root;             /* the address space's top table */
  uint32_t asid;             /* tags its software-TLB entries */
  uint64_t pe;               /* its Processor Environment (a pool frame) */
};

struct exo {
  struct hv *h;
  bool xok;                  /* exokernel.mmu=xok-pt */
  uint32_t nslots;           /* software-TLB slots (0: none) */
  uint64_t *stlb;            /* its frames (256 slots of 16 bytes each) */
  uint64_t *bind;            /* binding-table frames (512 entries each) */
  uint64_t nbind;
  uint64_t slice_vector;     /* which environment owns the time slice */
  struct exo_env *env;
  int nenv, capenv, cur;
  uint32_t next_asid, nonce;
  bool mod_in_kernel;
  uint64_t inject, inject_nth, installs;
  int saved_layer[4], call_depth;
  int upcall_depth;          /* the libOS's fault handler is running */
  /* xok */
  int batch;                 /* lazy-MMU depth: PTE stores batched into one _range call */
  bool batch_open, refused;
  /* --cpus: each processor's running environment, time-slice vector and
   * call state (the above for the running vCPU; select_cpu swaps them) */
  struct exo_cpu {
    int cur, call_depth, upcall_depth, batch, saved_layer[4];
    bool batch_open, refused;
    uint64_t slice_vector;
  } percpu[HV_MAX_CPUS];
};

uint32_t exo_pte_perm(uint64_t e);
void exo_call_begin(struct exo *s, int call);
void exo_call_end(struct exo *s, uint64_t cyc);
/* the capability check of an install (0: granted, else EXO_WHY_*) */
int exo_cap_check(struct exo *s, uint64_t frame, bool write, uint64_t *cyc);
int exo_install(struct exo *s, uint64_t va, uint64_t e, int level, bool fetch, int *si_code);

int xok_init(struct exo *s);
void xok_env_new(struct exo *s, uint64_t root, uint64_t *cyc);
int xok_page_fault(struct exo *s, uint64_t va, uint32_t err, bool in_kernel, int *si_code);

#endif
