/* faultline calibrate: what the measuring files hand to the fitting code.
 * Every figure is a median in TSC ticks (converted to core cycles by the
 * caller), 0 when it could not be measured. */
#ifndef FAULTLINE_TOOLS_CALIBRATE_H
#define FAULTLINE_TOOLS_CALIBRATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* components: things the model has a step (or a sum of steps) for */
struct cal_components {
  uint64_t syscall;        /* getppid round trip */
  uint64_t sig_deliver;    /* deliver a pending signal: frame, handler, rt_sigreturn */
  uint64_t sig_queue;      /* queue a signal (tgkill not pending minus already pending) */
  uint64_t sig_de;         /* div by 0 -> SIGFPE round trip, same handler (skips the div) */
  uint64_t sig_ill;        /* ud2 -> SIGILL, reported only (KVM intercepts #UD) */
  uint64_t sig_segv;       /* store to PROT_NONE -> SIGSEGV round trip, same handler */
  uint64_t reuse_fault;    /* the least work a page fault can do: a write to a page
                              whose only owner regained it after fork (do_wp_page
                              reuses it: no allocation, zeroing or copy) */
  long reuse_faults, reuse_writes;  /* minflt over those writes: one fault each? */
  uint64_t zero, copy;     /* rep stosb / rep movsq of 4 KiB, as clear_page / copy_page */
  uint64_t copy_cold;      /* the copy from a source out of the caches */
  uint64_t pop_anon;       /* MADV_POPULATE_WRITE per page, fresh anonymous memory */
  uint64_t pop_anon_again; /* the same on pages already mapped (GUP's own cost) */
  uint64_t pop_file;       /* MADV_POPULATE_READ per page, cached file, one-page VMAs */
  uint64_t pop_file_again;
  uint64_t pop_fa, pop_fa_again; /* the same in one VMA: fault-around maps neighbours */
  long fa_faults, fa_pages;  /* faults (minflt) over the pages populated there */
  uint64_t chase_4k, chase_2m; /* per step of a pointer chase over 128 MiB */
  bool thp;                /* chase_2m really ran on huge pages */
};

/* held out: whole faults, never used for fitting */
struct cal_whole {
  uint64_t anon, cow, file;
  uint64_t file_fa;        /* the same with fault-around (Linux default 64 KiB) */
  long file_touches, file_faults; /* minflt over the file touches: one each? */
  long fa_touches, fa_faults;
  char note[160];                 /* why a measurement is missing */
};

struct cal_kvm {
  enum { KVM_ABSENT, KVM_UNUSABLE, KVM_MEASURED } state;
  char backend[32];        /* kvm_intel | kvm_amd | kvm_pvm | kvm (unknown) */
  bool hardware;           /* vmx/svm flag and kvm_intel/kvm_amd loaded */
  uint64_t io_exit;        /* KVM_RUN round trip ending in an OUT exit to user space */
  uint64_t cpuid_exit;     /* one CPUID exit handled inside KVM (no return to user space) */
  uint64_t first_touch;    /* guest first touch of a page the host has mapped */
  uint64_t loop_insn;      /* one guest instruction of the loop (emulated on a software backend?) */
  char why[160];
};

/* held out too: a whole operation, fork + child exit + wait4 of a tiny
 * static process (guestimg.c writes it: n timed rounds, each inside a
 * region of interest, each round's TSC ticks written to stdout) */
int cal_forkwait_write(char *path, uint32_t n);
/* run it natively from a file in dir: the median ticks of a round (the
 * first few dropped), 0 with why set when it could not run */
uint64_t cal_measure_forkwait(const char *dir, int n, char *why, size_t whylen);
/* the host's CPU model (/proc/cpuinfo "model name") */
void cal_cpu_model(char *buf, size_t n);

uint64_t cal_tick(void);
uint64_t cal_median(uint64_t *v, int n);
double cal_tsc_per_cycle(void);
int cal_cached_file(const char *dir, size_t pages);
void cal_measure_components(struct cal_components *c, int quick, int fd, size_t file_pages);
void cal_measure_whole(struct cal_whole *w, int quick, int fd, size_t file_pages);
void cal_measure_kvm(struct cal_kvm *k, int quick);

#endif
