/* faultline x86-64 CPU: decoder, interpreter, flags, x87/SSE, CPUID,
 * exceptions.  Layer order: sim -> hv-models -> cpu-x86 -> mmu -> traces.
 * The CPU never calls a mode: cpu_run() returns an exception (or a
 * SYSCALL) to the run loop in sim/, which hands it on. */
#ifndef FAULTLINE_CPU_X86_CPU_H
#define FAULTLINE_CPU_X86_CPU_H
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include "mmu/mmu.h"
#include "mmu/cache.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15, R_ZERO /* always 0: "no base/index" */ };

/* RFLAGS bits */
#define F_CF (1u << 0)
#define F_PF (1u << 2)
#define F_AF (1u << 4)
#define F_ZF (1u << 6)
#define F_SF (1u << 7)
#define F_TF (1u << 8)
#define F_IF (1u << 9)
#define F_DF (1u << 10)
#define F_OF (1u << 11)
#define F_AC (1u << 18)
#define F_ID (1u << 21)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* Exception vectors (SDM Vol. 3A Table 6-1) */
enum { EXC_DE = 0, EXC_DB = 1, EXC_BP = 3, EXC_UD = 6, EXC_NM = 7,
       EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_XM = 19,
       /* not an IDT vector: the access failed in the nested tables (EPT
        * violation/misconfiguration, #NPF); a VM exit, never delivered to
        * the guest.  exc.cr2 holds the guest-linear address. */
       EXC_NESTED = 32 };

/* x87 80-bit register: 64-bit significand (explicit integer bit) and
 * sign+15-bit exponent, the memory format of FSTP m80. */
typedef struct { uint64_t signif; uint16_t signexp; } f80_t;

typedef union {
  uint8_t b[16]; uint16_t w[8]; uint32_t d[4]; uint64_t q[2];
  int8_t sb[16]; int16_t sw[8]; int32_t sd[4]; int64_t sq[2];
  float f[4]; double g[2];
} __attribute__((aligned(16))) xmm_t;

struct x87 {
  f80_t st[8];               /* physical registers R0..R7 */
  uint16_t fcw, fsw;         /* fsw holds C0-C3 and exception bits; TOP apart */
  uint8_t top;
  uint16_t ftw;              /* full tag word: 2 bits per physical register */
  uint16_t fop;
  uint64_t fip, fdp;
};

/* vcpu.watch_rip when no address is watched (a guest may still jump there) */
#define CPU_WATCH_NONE (~0ull)

enum cpu_exit {
  CPU_EXIT_NONE = 0,
  CPU_EXIT_EXCEPTION,        /* c->exc holds vector, error code, cr2 */
  CPU_EXIT_SYSCALL,          /* SYSCALL executed; rip is after it */
  CPU_EXIT_BUDGET,           /* instruction budget reached */
  CPU_EXIT_HLT,
  CPU_EXIT_MAGIC,            /* the magic instruction retired: c->magic holds its command */
  CPU_EXIT_WATCH,            /* the next block starts at c->watch_rip (not run yet) */
};

struct exc_info {
  uint8_t vector;
  bool has_err;
  uint32_t err;
  uint64_t cr2;
  uint64_t rip;              /* faulting instruction */
  uint8_t si_code_hint;      /* e.g. FPE_INTDIV vs FPE_INTOVF */
};

struct insn;
struct block;
struct code_cache;
struct recorder;

/* Per-vCPU state.  Everything an XSAVE area can hold lives here, so a
 * signal frame and a context switch copy one structure. */
struct vcpu {
  uint64_t r[17];            /* GPRs + R_ZERO */
  uint64_t rip;
  /* lazy flags (see flags.c): the result and operands of the last
   * arithmetic op; rflags keeps every other bit */
  uint64_t lf_res, lf_dst, lf_src;
  uint32_t lf_op;            /* LF_* | size index << 8 */
  uint64_t rflags;
  uint64_t segbase[8];       /* by segment prefix: ES CS SS DS FS GS; 0 = none */
  uint64_t fs_base, gs_base;

  /* FPU / SSE (XSAVE components 0 and 1) */
  struct x87 fpu;
  xmm_t xmm[16];
  xmm_t ymmh[16];            /* component 2, reserved for AVX */
  uint32_t mxcsr;
  uint64_t xcr0;

  /* paging */
  struct mmu_ctl ctl;
  struct tlb tlb;
  struct mmu *mmu;
  uint32_t pcid;             /* current PCID (0 unless CR4.PCIDE) */
  struct cache_hier *dcache; /* data-cache model, NULL when off */
  uint8_t *host_base;        /* machine address 0 in host memory */
  uint8_t cpl;

  /* accounting */
  uint64_t icount;           /* retired instructions */
  uint64_t icount_stop;
  uint64_t icount_limit;     /* a hard stop inside a block (--max-insns); ~0: none */
  uint64_t cycles;
  uint64_t tsc_hz;           /* virtual TSC frequency */
  uint16_t smp_n, smp_id;    /* --cpus: how many vCPUs (0: one, CPUID as before) and this one's
                                APIC id (CPUID leaves 1 and 0xB) */
  bool cpuid_no_pse;         /* CPUID.1:EDX.PSE clear: a Xen PV guest sees no
                                large pages (Xen masks PSE for PV guests) */
  uint64_t tsc_offset;       /* epoch in TSC ticks */

  /* interpreter */
  const struct insn *cur;
  struct block *cur_block;
  struct code_cache *cc;
  jmp_buf jb;
  struct exc_info exc;
  int exit_reason;
  /* a cross-page write in progress (see mem.c) */
  uint8_t bounce[64] __attribute__((aligned(16)));
  uint8_t *bounce_dst[2];
  uint32_t bounce_len[2];
  uint64_t code_invalidations;
  uint64_t blocks_decoded;
  uint64_t rng_state;        /* RDRAND is not advertised; kept for later */

  /* The guest's data references, counted without a counter on the
   * TLB-hit path (cpu_data_refs): the inline path's hits are the L1
   * levels' fast_hits, the rest enter the slow path; a REP instruction's
   * chunked lookups and an instruction run again after a hidden fault are
   * corrected in ref_adjust. */
  uint64_t slow_refs;
  int64_t ref_adjust;
  /* what a hit does besides the hit (HIT_*): the full probe's one test */
  uint8_t hit_extra;

  struct recorder *rec;      /* `run --trace`: NULL when not recording */
  /* a REP string instruction in progress (string.c) */
  const struct insn *rep_insn;
  uint64_t rep_rcx0, rep_s0, rep_t0, rep_lookups0;
  bool rep_resume;           /* it goes on after a hidden fault */
  /* the exception being handled: where it stopped the block (resume) */
  struct block *raise_block;
  uint32_t raise_idx;
  bool raise_in_rep;
  /* after a hidden fault: the block goes on at this instruction */
  struct block *resume_block;
  uint32_t resume_idx;
  /* the instruction run again after a hidden fault: its references up to
   * the one that faulted (at redo_va) were counted already */
  bool redo_pending, redo_active, redo_write;
  uint64_t redo_va;
  uint64_t fetch2_rip;       /* build() fetches the second page of a block at this rip */
  /* the L1 ITLB entry that translated the running block's page, while the
   * level's gen is fetch_gen (0: none): a block chained in the same page
   * is fetched through it (run.c) */
  struct tlb_entry *fetch_m;
  uint64_t fetch_gen;
  uint8_t magic;             /* CPU_EXIT_MAGIC: the command */
  uint64_t watch_rip;        /* CPU_EXIT_WATCH before a block at this rip (CPU_WATCH_NONE: none) */
  bool watch_skip;           /* the watch just fired: the block runs now */
};
enum { HIT_DCACHE = 1, HIT_HOOK = 2 };

/* Architectural user state of a task: what a context switch or a signal
 * frame saves (GPRs, RIP, RFLAGS, FS/GS base, x87/MMX, SSE, MXCSR). */
struct cpu_regs {
  uint64_t r[16], rip, rflags, fs_base, gs_base;
  struct x87 fpu;
  xmm_t xmm[16];
  uint32_t mxcsr;
};
void cpu_save_regs(struct vcpu *c, struct cpu_regs *out);
void cpu_load_regs(struct vcpu *c, const struct cpu_regs *in);

int cpu_init(struct vcpu *c, struct mmu *m);
void cpu_fini(struct vcpu *c);
/* Run until an exit.  Returns enum cpu_exit. */
int cpu_run(struct vcpu *c);
uint64_t cpu_get_rflags(struct vcpu *c);
void cpu_set_rflags(struct vcpu *c, uint64_t f);
/* Whole-TLB and code-cache maintenance hooks for the guest kernel model. */
void cpu_flush_tlb(struct vcpu *c);
/* the guest's non-global entries (every PCID but a host context's): an
 * address-space flush keeps global kernel entries */
void cpu_flush_tlb_nonglobal(struct vcpu *c);
void cpu_invlpg(struct vcpu *c, uint64_t va);
void cpu_write_cr3(struct vcpu *c, uint64_t cr3);   /* bit 63: no-flush (PCIDE) */
void cpu_invpcid(struct vcpu *c, int type, uint32_t pcid, uint64_t va);
/* A frame is being reused or unmapped: drop decoded code from it. */
void cpu_invalidate_frame(struct vcpu *c, uint64_t pa);
/* --cpus: c runs from owner's decoded code (the code cache and its
 * invalidations shared, each vCPU's TLB kept in step) */
#define CPU_MAX_VCPUS 64
void cpu_share_code(struct vcpu *c, struct vcpu *owner);
/* CPUID personality (one, whatever --cpu says: DESIGN.md determinism). */
void cpu_cpuid(const struct vcpu *c, uint32_t leaf, uint32_t sub,
               uint32_t out[4]);
/* FXSAVE-format image of x87+SSE state (512 bytes), used by XSAVE and by
 * signal frames. */
void cpu_fxsave(struct vcpu *c, uint8_t out[512]);
void cpu_fxrstor(struct vcpu *c, const uint8_t in[512]);
/* Virtual time: TSC from retired instructions. */
uint64_t cpu_tsc(const struct vcpu *c);
void cpu_fpu_reset(struct vcpu *c);
/* The one CPUID personality (DESIGN.md "Determinism"): traces name it. */
#define CPU_CPUID_PERSONALITY 1u
#define CPU_CPUID_PERSONALITY_NAME "faultline-v1 (GenuineIntel, faultline virtual x86-64 CPU)"
/* The data-cache model (NULL: off) and the recorder (NULL: not recording). */
void cpu_set_dcache(struct vcpu *c, struct cache_hier *dc);
void cpu_set_recorder(struct vcpu *c, struct recorder *r);
/* data references the guest program made: one per load, store or
 * read-modify-write operand (a page-crossing one counts once), one per
 * REP iteration and operand; the references of an instruction a hidden
 * fault interrupted are counted once, as in a mode without hidden faults */
uint64_t cpu_data_refs(const struct vcpu *c);
/* The run loop handled the exception cpu_run returned: hidden (the guest
 * did not see it: a shadow fill, a nested fault) makes the interrupted
 * block go on at the faulting instruction, which runs again; otherwise the
 * block stays cut there. */
void cpu_exception_done(struct vcpu *c, bool hidden);
/* keyframes: the block-table entry of every block that may still run */
void cpu_record_code_cache(struct vcpu *c);
/* Base costs by class, in the order of cpu_params' cpu.cost.* rows
 * (simple mul div branch string fp fpdiv sse sys); set before decoding. */
void cpu_set_class_costs(const uint32_t costs[9]);
extern const struct fl_param_def cpu_params[];
/* the running instruction's index in its block; a frame now holds decoded
 * code (stores to it go through the slow path and invalidate it) */
uint32_t cpu_insn_index(const struct vcpu *c);
void cpu_mark_code(struct vcpu *c, uint64_t pa);

/* ---- replay (replay.c): the interpreter's accesses without the guest's
 * code, for `faultline replay`.  Each returns 0, or the page-fault error
 * code (PFEC_NESTED set: the nested tables), or CPU_REPLAY_GP (a
 * non-canonical address: #GP, no translation). ---- */
#define CPU_REPLAY_GP 0x80000000u
uint32_t cpu_class_cost_of(unsigned cls);          /* 255: an instruction without a base cost */
/* a data reference (kind 0 load, 1 store, 2 read-modify-write), as
 * mem_r_ptr/mem_w_ptr and their slow paths make it; *fva: where it faulted */
uint32_t cpu_replay_ref(struct vcpu *c, uint64_t va, unsigned size, unsigned kind, uint64_t *fva);
/* an instruction fetch at va (the first byte of a block) */
uint32_t cpu_replay_fetch(struct vcpu *c, uint64_t va);
/* a REP string instruction's iterations (string.c): op and size as the
 * rep record's; left the iterations still to make, src/dst the next
 * one's addresses.  A fault leaves the state at the iteration it stopped
 * (made again after a hidden fault, as the live loop does). */
struct cpu_replay_rep {
  unsigned op, size;
  uint64_t left, src, dst;
  uint64_t beyond;           /* iterations the count register held past the recorded ones
                                (movs/stos chunk by the whole count, string.c) */
};
uint32_t cpu_replay_rep(struct vcpu *c, struct cpu_replay_rep *r, uint64_t *fva);
/* The common case of cpu_replay_ref and cpu_replay_fetch, inline: an L1
 * TLB hit of the 4K level (the inline path's first probe, with its
 * latency), data cache off.  false: call the function (which probes
 * again from the start: a miss here changes nothing). */
static inline bool cpu_replay_ref_hit(struct vcpu *c, uint64_t va, unsigned size, unsigned kind) {
  if (c->dcache || ((va & 0xfff) + size) > 0x1000) return false;
  if (!tlb_hit(&c->tlb.l1d, va, c->pcid, kind ? NEED_UW : NEED_UR)) return false;
  c->cycles += c->tlb.l1d.latency;
  return true;
}
static inline bool cpu_replay_fetch_hit(struct vcpu *c, uint64_t va) {
  if (!tlb_hit(&c->tlb.l1i, va, c->pcid, NEED_UF)) return false;
  c->cycles += c->tlb.l1i.latency;
  return true;
}
/* the data references the replay made (cpu_data_refs afterwards) */
void cpu_set_data_refs(struct vcpu *c, uint64_t n);

#endif
