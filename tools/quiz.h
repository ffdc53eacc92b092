/* `faultline quiz`: reproducible exercises in the habit of the OSTEP
 * homework simulators, each answered by the model (tools/quiz.c): the
 * one walker for page walks and 2-D walks, the TLB for hit/miss
 * sequences, a run of the built-in program for a mode's exits.  A test
 * checks the answers of seeds 1-200 against independent computations
 * (tests/unit/test_quiz.c). */
#ifndef FAULTLINE_TOOLS_QUIZ_H
#define FAULTLINE_TOOLS_QUIZ_H
#include <stdbool.h>
#include <stdint.h>

/* the program explain and quiz run: it maps three anonymous pages, writes
 * the first, reads the second, forks a child that writes the first, waits
 * and writes the first again (tools/guestimg.c).  path: a mkstemp
 * template; 0, or -1 */
int builtin_guest_write(char *path);

enum quiz_topic { QUIZ_WALK, QUIZ_TLB, QUIZ_NESTED, QUIZ_FAULT_PATH, QUIZ__TOPICS };
extern const char *const quiz_topic_names[QUIZ__TOPICS];

struct quiz {
  int topic;
  uint64_t seed;
  /* walk: the entries a 4- or 5-level walk meets (ent[L], L = 5..1),
   * the access, the control bits */
  int levels;
  uint64_t va, ent[6], cr0, cr4, efer;
  uint32_t acc;              /* ACC_* */
  unsigned maxphyaddr;
  bool fault;                /* answer: a #PF ... */
  uint32_t pfec;             /* ... with this error code */
  uint64_t pa;               /* or this physical address */
  int refs;                  /* page-table references the walk made */
  int leaf;                  /* level of the leaf (1 4K, 2 2M, 3 1G), 0 on a fault */
  /* tlb: entries, ways, LRU; the pages accessed; which hit (answer) */
  unsigned entries, ways;
  int naccess;
  uint64_t page[24];
  bool hit[24];
  /* nested: an n-level guest walk over m-level EPT, k of the guest's
   * table pages already in the nested TLB (answer: refs) */
  int n, m, k;
  /* fault-path: the mode's first exit for a first write to anonymous
   * memory, as the hypervisor reads it (answer) */
  char mode[16], cpu[8];
  bool exits;                /* a VM exit comes before the guest's handler */
  uint32_t exit_code;        /* VMX basic exit reason / SVM EXITCODE of the first exit */
  char exit_name[32];
  uint32_t later_code;       /* hvm-nested: the exit its handler's new frame takes (0: none) */
  char later_name[32];
  uint64_t cycles;           /* the fault's cycles */
  char text[2048], answer[2048];
};

/* Make the exercise of seed (topic < 0: chosen by the seed; mode NULL:
 * chosen by the seed, for fault-path) and answer it with the model.
 * 0, or -1 with a message in q->answer. */
int quiz_make(struct quiz *q, uint64_t seed, int topic, const char *mode, const char *cpu);
#endif
