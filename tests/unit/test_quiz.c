/* `faultline quiz` (issue 17): the answers of seeds 1-200 in every topic,
 * which the model computes, against computations that do not use the
 * model: the SDM reference predicate of walk_ref.c for page walks (outcome,
 * error code, physical address, entries read), an LRU set simulation for
 * TLB hits, the closed form n + (n+1-k)m for 2-D walks with k nested-TLB
 * hits ((n+1)(m+1)-1 with none), and the exit codes of the SDM (Vol. 3C
 * App. C) and the APM (Vol. 2 App. C) for a #PF intercept and a nested
 * fault. */
#include <criterion/criterion.h>
#include <string.h>
#include "tools/quiz.h"
#include "tests/unit/walk_ref.h"
#include "mmu/mmu.h"

static void check_walk(const struct quiz *q) {
  struct ref_case c = {.va = q->va, .cr0 = q->cr0, .cr4 = q->cr4, .efer = q->efer, .maxphyaddr = q->maxphyaddr,
                       .acc = q->acc};
  memcpy(c.ent, q->ent, sizeof c.ent);
  struct ref_result r;
  ref_eval(&c, REF_M_NONE, &r);
  cr_assert_eq(q->fault, r.fault, "seed %llu: fault %d, the SDM predicate says %d", (unsigned long long)q->seed, q->fault, r.fault);
  if (r.fault) cr_assert_eq(q->pfec, r.pfec, "seed %llu: error code %#x, the predicate %#x", (unsigned long long)q->seed, q->pfec, r.pfec);
  else cr_assert_eq(q->pa, r.pa, "seed %llu: pa %#llx, the predicate %#llx", (unsigned long long)q->seed,
                    (unsigned long long)q->pa, (unsigned long long)r.pa);
  /* entries read: from the top down to where the walk stopped (a
   * not-present or reserved entry) or the leaf */
  int last = r.stop;
  if (!last)
    for (int l = r.top; l >= 1; l--)
      if (l == 1 || ((l == 2 || l == 3) && (c.ent[l] & PTE_PS))) { last = l; break; }
  cr_assert_eq(q->refs, r.top - last + 1, "seed %llu: %d entries read, the predicate's walk reads %d",
               (unsigned long long)q->seed, q->refs, r.top - last + 1);
}

static void check_tlb(const struct quiz *q) {
  unsigned sets = q->entries / q->ways;
  uint64_t tag[8][8];
  unsigned n[8] = {0};       /* each set's pages, most recent last */
  for (int i = 0; i < q->naccess; i++) {
    unsigned set = (unsigned)(q->page[i] % sets);
    int at = -1;
    for (unsigned w = 0; w < n[set]; w++)
      if (tag[set][w] == q->page[i]) at = (int)w;
    bool hit = at >= 0;
    cr_assert_eq(q->hit[i], hit, "seed %llu: access %d (page %#llx) %s, LRU says %s", (unsigned long long)q->seed, i,
                 (unsigned long long)q->page[i], q->hit[i] ? "hit" : "missed", hit ? "hit" : "miss");
    if (at < 0) {
      if (n[set] == q->ways) { memmove(&tag[set][0], &tag[set][1], (q->ways - 1) * sizeof tag[0][0]); n[set]--; }
      tag[set][n[set]++] = q->page[i];
    } else {
      memmove(&tag[set][at], &tag[set][at + 1], (n[set] - (unsigned)at - 1) * sizeof tag[0][0]);
      tag[set][n[set] - 1] = q->page[i];
    }
  }
}

static void check_nested(const struct quiz *q) {
  cr_assert_eq(q->refs, q->n + (q->n + 1 - q->k) * q->m, "seed %llu: %d-on-%d with %d nested-TLB hits: %d references",
               (unsigned long long)q->seed, q->n, q->m, q->k, q->refs);
  if (!q->k) cr_assert_eq(q->refs, (q->n + 1) * (q->m + 1) - 1);
}

static void check_fault_path(const struct quiz *q) {
  bool amd = !strcmp(q->cpu, "amd");
  /* SDM Vol. 3C App. C: basic exit reason 0 (exception or NMI, the vector
   * in the interruption information), 48 EPT violation; APM Vol. 2 App. C:
   * EXITCODE 0x4E (#PF intercept), 0x400 (nested page fault) */
  const uint32_t pf_exit = amd ? 0x4e : 0, nested_exit = amd ? 0x400 : 48;
  if (!strcmp(q->mode, "hvm-shadow")) {
    cr_assert(q->exits, "seed %llu: shadow paging intercepts the #PF", (unsigned long long)q->seed);
    cr_assert_eq(q->exit_code, pf_exit, "seed %llu: exit %#x (%s)", (unsigned long long)q->seed, q->exit_code, q->exit_name);
  } else {
    cr_assert(!q->exits, "seed %llu: nested paging does not intercept the guest's #PF", (unsigned long long)q->seed);
    cr_assert_eq(q->later_code, nested_exit, "seed %llu: the new frame's exit %#x (%s)", (unsigned long long)q->seed,
                 q->later_code, q->later_name);
  }
}

Test(quiz, seeds_1_to_200_every_topic) {
  int shadow = 0, nested = 0, faults = 0, ok = 0;
  for (uint64_t seed = 1; seed <= 200; seed++)
    for (int t = 0; t < QUIZ__TOPICS; t++) {
      struct quiz q;
      cr_assert_eq(quiz_make(&q, seed, t, NULL, NULL), 0, "seed %llu topic %d: %s", (unsigned long long)seed, t, q.answer);
      cr_assert(q.text[0] && q.answer[0]);
      switch (t) {
      case QUIZ_WALK: check_walk(&q); faults += q.fault; ok += !q.fault; break;
      case QUIZ_TLB: check_tlb(&q); break;
      case QUIZ_NESTED: check_nested(&q); break;
      case QUIZ_FAULT_PATH: check_fault_path(&q); shadow += !strcmp(q.mode, "hvm-shadow"); nested += !strcmp(q.mode, "hvm-nested"); break;
      }
    }
  /* the exercises cover both outcomes and both designs */
  cr_assert(faults > 20 && ok > 20, "walks: %d faults, %d translations", faults, ok);
  cr_assert(shadow > 20 && nested > 20, "fault-path: %d shadow, %d nested", shadow, nested);
}

Test(quiz, the_same_seed_the_same_exercise) {
  struct quiz a, b;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    cr_assert_eq(quiz_make(&a, seed, -1, NULL, NULL), 0);
    cr_assert_eq(quiz_make(&b, seed, -1, NULL, NULL), 0);
    cr_assert_str_eq(a.text, b.text);
    cr_assert_str_eq(a.answer, b.answer);
  }
}
