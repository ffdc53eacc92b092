/* Recording (`faultline run --trace`): the trace's header from the run's
 * configuration, keyframes of the mapping state, fault outcomes, and the
 * end of the trace.  The hooks themselves sit where the model hands work
 * to the MMU and to the mode (sim/record.h, traces/recorder.h). */
#include "sim/record.h"
#include "sim/mm_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAULTLINE_VERSION
#define FAULTLINE_VERSION "unknown"
#endif
const char faultline_version[] = FAULTLINE_VERSION;


int record_open(struct kernel *k, const struct sim_config *cfg, char *err, size_t n) {
  if (!cfg->trace_path) return 0;
  char **argv = cfg->command ? cfg->command : cfg->argv;
  int argc = 0;
  while (argv[argc]) argc++;
  struct fltr_meta m = {
    .mode = cfg->mode, .preset = params_preset_name(cfg->params), .param_hash = params_hash(cfg->params),
    .cpuid_id = CPU_CPUID_PERSONALITY, .cpuid_name = CPU_CPUID_PERSONALITY_NAME, .version = faultline_version,
    .argc = argc, .argv = (const char *const *)argv};
  k->rec = recorder_open(cfg->trace_path, &m, &k->cpu->icount, err, n);
  if (!k->rec) return -1;
  cpu_set_recorder(k->cpu, k->rec);
  k->rec_keyframe_insns = params_get(cfg->params, "trace.keyframe_insns");
  if (!k->rec_keyframe_insns) k->rec_keyframe_insns = ~0ull;   /* 0: none */
  k->rec_next_keyframe = k->rec_keyframe_insns;
  return 0;
}

uint64_t record_file(struct kernel *k, uint64_t dev, uint64_t ino) {
  if (!k->rec) return 0;
  for (size_t i = 0; i < k->rec_nfiles; i++)
    if (k->rec_files[i].dev == dev && k->rec_files[i].ino == ino) return i + 1;
  if (k->rec_nfiles == k->rec_files_cap) {
    size_t cap = k->rec_files_cap ? k->rec_files_cap * 2 : 16;
    void *p = realloc(k->rec_files, cap * sizeof *k->rec_files);
    if (!p) return 0;
    k->rec_files = p;
    k->rec_files_cap = cap;
  }
  k->rec_files[k->rec_nfiles].dev = dev;
  k->rec_files[k->rec_nfiles].ino = ino;
  return ++k->rec_nfiles;
}

void record_fault_end(struct kernel *k, int sig) {
  if (k->replay) { replay_fault_end(k, sig); return; }
  if (!k->rec_fault_open) return;
  k->rec_fault_open = false;
  rec_put(k, FLTR_K_FAULT_END, (uint64_t)sig, k->rec_fault_frame >> 12, 0, 0);
}

/* ---- keyframes (FORMAT.md "Keyframes") ---- */
/* a page-table page of mm's user half and its entries, then the tables
 * below them: read as the model's inspection, not as modeled accesses */
static void keyframe_table(struct kernel *k, struct mm *mm, uint64_t table, int level) {
  struct recorder *r = k->rec;
  const uint64_t *t = (const uint64_t *)mem_host(k->mem, table);
  int lim = level == 4 ? 256 : 512;
  recorder_put(r, FLTR_K_KF_PT, table >> 12, (uint64_t)level, mm->id, 0);
  for (int i = 0; i < lim; i++)
    if (level == 1 ? pte_mapped(t[i]) : (t[i] & PTE_P) != 0)
      recorder_put(r, FLTR_K_KF_PTE, table + 8ull * (unsigned)i, rec_rot(t[i]), 0, 0);
  if (level == 1) return;
  for (int i = 0; i < lim; i++)
    if ((t[i] & PTE_P) && !(t[i] & PTE_PS)) keyframe_table(k, mm, t[i] & PTE_ADDR, level - 1);
}

static void keyframe(struct kernel *k) {
  struct recorder *r = k->rec;
  recorder_keyframe_begin(r);
  for (struct task *t = k->tasks; t; t = t->next) {
    const struct task_ctx *tc = t == k->cur ? &k->tc : &t->tc;
    int state = t == k->cur ? 0 : t->state == TS_RUNNABLE ? 1 : t->state == TS_BLOCKED ? 2 : 3;
    recorder_put(r, FLTR_K_KF_TASK, (uint64_t)tc->pid, (uint64_t)tc->pid, tc->mm ? tc->mm->id : 0, (uint64_t)state);
  }
  struct mm *mms[256];
  int n = live_mms(k, mms, 256);
  for (int i = 0; i < n; i++) {
    recorder_put(r, FLTR_K_KF_MM, mms[i]->id, mms[i]->pml4 >> 12, 0, 0);
    keyframe_table(k, mms[i], mms[i]->pml4, 4);
  }
  cpu_record_code_cache(k->cpu);
  recorder_keyframe_end(r);
}

void record_keyframe_due(struct kernel *k) {
  /* (--cpus: none; a keyframe holds one vCPU's state, so a trace of
   * several is replayed from its start) */
  if (!k->rec || k->cpu->icount < k->rec_next_keyframe || k->smp.n > 1) return;
  keyframe(k);
  k->rec_next_keyframe = (k->cpu->icount / k->rec_keyframe_insns + 1) * k->rec_keyframe_insns;
}

/* the guest kernel's counters that no record implies (FORMAT.md "Kernel
 * counters"), at the end */
static void record_kstats(struct kernel *k) {
  const uint64_t v[FLTR_KSTAT__COUNT] = {
    [FLTR_KSTAT_MINFLT] = k->minflt, [FLTR_KSTAT_FAULT_AROUND_PAGES] = k->fault_around_pages,
    [FLTR_KSTAT_THP_PAGES] = k->thp_pages, [FLTR_KSTAT_SYSCALLS] = k->syscalls,
    [FLTR_KSTAT_UNKNOWN_SYSCALLS] = k->unknown_syscalls, [FLTR_KSTAT_FRAMES_USED] = k->frames_used,
    [FLTR_KSTAT_PT_PAGES] = k->mm ? k->mm->pt_pages : 0, [FLTR_KSTAT_PC_PAGES] = k->pc_pages,
    [FLTR_KSTAT_PC_HITS] = k->pc_hits, [FLTR_KSTAT_PC_MISSES] = k->pc_misses};
  for (int i = 0; i < FLTR_KSTAT__COUNT; i++) recorder_put(k->rec, FLTR_K_KSTAT, (uint64_t)i, v[i], 0, 0);
}

int record_close(struct kernel *k, char *err, size_t n) {
  if (!k->rec) return 0;
  record_kstats(k);
  struct recorder *r = k->rec;
  k->rec = NULL;
  cpu_set_recorder(k->cpu, NULL);
  for (int i = 0; i < k->smp.n; i++)
    if (k->smp.cpu[i]) cpu_set_recorder(k->smp.cpu[i], NULL);
  free(k->rec_files);
  k->rec_files = NULL;
  k->rec_nfiles = k->rec_files_cap = 0;
  return recorder_close(r, err, n);
}

void record_cpu(struct kernel *k, int cpu) {
  if (!k->rec) return;
  cpu_set_recorder(k->cpu, k->rec);
  recorder_set_cpu(k->rec, (uint32_t)cpu, &k->cpu->icount);
}
