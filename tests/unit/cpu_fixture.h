/* A bare machine for instruction-level tests: code at FX_CODE, a 64 KiB
 * data area at FX_DATA, a stack; user mode; real 4-level page tables. */
#ifndef FAULTLINE_TESTS_CPU_FIXTURE_H
#define FAULTLINE_TESTS_CPU_FIXTURE_H
#include <stddef.h>
#include <stdint.h>
#include "cpu-x86/cpu.h"

#define FX_CODE 0x400000ull
#define FX_DATA 0x10000000ull
#define FX_DATA_SIZE 0x10000ull
#define FX_STACK_TOP 0x7fff0000ull   /* 64 KiB of stack below this */

struct fx;
struct fx *fx_new(void);
void fx_free(struct fx *f);
struct vcpu *fx_cpu(struct fx *f);
uint8_t *fx_data(struct fx *f);              /* host pointer to FX_DATA */
/* Run `code` (len bytes, at most 4000) from FX_CODE until it falls off the
 * end: returns CPU_EXIT_HLT when it reached the end, else the cpu_run code
 * (CPU_EXIT_EXCEPTION with fx_cpu(f)->exc filled, CPU_EXIT_SYSCALL ...). */
int fx_exec(struct fx *f, const uint8_t *code, size_t len);
/* the same, stopping after about `budget` retired instructions (CPU_EXIT_BUDGET) */
int fx_exec_budget(struct fx *f, const uint8_t *code, size_t len, uint64_t budget);
/* map or unmap a page (for fault tests): flags are PTE bits */
void fx_map(struct fx *f, uint64_t va, uint64_t pte_flags);
void fx_unmap(struct fx *f, uint64_t va);
/* the leaf PTE of va (NULL if no table), for A/D and stale-TLB tests */
uint64_t *fx_pte(struct fx *f, uint64_t va);
uint64_t *fx_entry(struct fx *f, uint64_t va, int level);
#endif
