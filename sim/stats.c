#include "sim/stats.h"
#include "sim/kernel.h"
#include "cpu-x86/virt.h"
#include <inttypes.h>
#include <string.h>

extern const char faultline_version[];   /* sim/record.c */

void ev_stats_sink(void *ctx, const struct ev *e, enum ev_phase ph) {
  struct ev_stats *s = ctx;
  latency_event(&s->lat, e, ph);
  if (ph == EV_OPENED) {
    if (e->step == EV_S_FAULT && s->nopen_faults < 32) {
      s->open_faults[s->nopen_faults].depth = e->depth;
      s->open_faults[s->nopen_faults].layer = EV_L__COUNT;
      s->open_faults[s->nopen_faults++].decided = false;
    }
    return;
  }
  if (s->nopen_faults && e->step != EV_S_FAULT) {
    struct ev_open_fault *f = &s->open_faults[s->nopen_faults - 1];
    if (e->step == EV_S_VMA_LOOKUP) { f->layer = e->layer; f->decided = true; }
    else if (!f->decided && f->layer == EV_L__COUNT && e->depth == f->depth + 1 && e->layer != EV_L_HW)
      f->layer = e->layer;
  }
  s->steps++;
  s->cycles_by_layer[e->layer] += e->self;
  s->cycles_by_step[e->step] += e->self;
  s->count_by_step[e->step]++;
  if (e->depth == 0) s->fault_cycles_total += e->total;
  if (e->step != EV_S_FAULT) return;
  s->faults++;
  s->by_kind[e->kind]++;
  int layer = e->visible ? EV_L_GUEST_KERNEL : EV_L_HYPERVISOR;
  if (s->nopen_faults && s->open_faults[s->nopen_faults - 1].depth == e->depth) {
    if (s->open_faults[s->nopen_faults - 1].layer != EV_L__COUNT) layer = s->open_faults[s->nopen_faults - 1].layer;
    s->nopen_faults--;
  }
  if (e->visible || ev_kind_class[e->kind] != EV_KC_INTERCEPT) s->faults_by_layer[layer]++;
  if (e->visible) s->faults_visible++;
  else if (ev_kind_class[e->kind] == EV_KC_INTERCEPT) s->intercepts++;
  else s->faults_hidden++;
}

void ev_stats_reset(struct ev_stats *s) {
  latency_reset(&s->lat);
  memset(s, 0, sizeof *s);
}

static void sep(struct json *j) {
  if (!j->first[j->depth]) fputc(',', j->f);
  j->first[j->depth] = 0;
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}
static void key(struct json *j, const char *k) {
  sep(j);
  if (k) {
    fputc('"', j->f);
    for (const char *p = k; *p; p++) {
      if (*p == '"' || *p == '\\') fputc('\\', j->f);
      fputc(*p, j->f);
    }
    fputs("\": ", j->f);
  }
}
void json_begin(struct json *j, FILE *f) {
  j->f = f;
  j->depth = 0;
  j->first[0] = 1;
}
void json_obj(struct json *j, const char *k) {
  if (j->depth == 0 && !k) fputc('{', j->f);
  else { key(j, k); fputc('{', j->f); }
  j->depth++;
  j->first[j->depth] = 1;
}
void json_end(struct json *j) {
  j->depth--;
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
  fputc('}', j->f);
  if (j->depth == 0) fputc('\n', j->f);
}
void json_u64(struct json *j, const char *k, uint64_t v) {
  key(j, k);
  fprintf(j->f, "%" PRIu64, v);
}
static void str_body(FILE *f, const char *v);
void json_str(struct json *j, const char *k, const char *v) {
  key(j, k);
  str_body(j->f, v);
}
void json_arr_u64(struct json *j, const char *k, const uint64_t *v, int n) {
  key(j, k);
  fputc('[', j->f);
  for (int i = 0; i < n; i++) fprintf(j->f, "%s%" PRIu64, i ? ", " : "", v[i]);
  fputc(']', j->f);
}
static void str_body(FILE *f, const char *v) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
    if (*p == '"' || *p == '\\') { fputc('\\', f); fputc(*p, f); }
    else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}
void json_arr_str(struct json *j, const char *k, char *const *v) {
  key(j, k);
  fputc('[', j->f);
  for (int i = 0; v && v[i]; i++) {
    if (i) fputs(", ", j->f);
    str_body(j->f, v[i]);
  }
  fputc(']', j->f);
}
void json_raw(struct json *j, const char *k, const char *text) {
  key(j, k);
  fputs(text, j->f);
}
void json_dbl(struct json *j, const char *k, double v, int decimals) {
  key(j, k);
  fprintf(j->f, "%.*f", decimals, v);
}

/* A counter or fault kind of one design carries its prefix: a run shows
 * its own mode's, and another design's only if it counted something (a
 * native run has no xen_* or vk_* zeros).  Names without such a prefix
 * are every mode's. */
static bool shown(const char *mode, const char *name, uint64_t v) {
  static const struct { const char *prefix, *modes; } own[] = {
    {"shadow_", " hvm-shadow "}, {"cr3_target", " hvm-shadow "}, {"nested_", " hvm-nested "},
    {"injected_pf", " hvm-shadow hvm-nested "}, {"guest_cr3", " hvm-shadow hvm-nested "},
    {"guest_invlpg", " hvm-shadow hvm-nested "}, {"invvpid", " hvm-shadow hvm-nested "},
    {"tlb_control", " hvm-shadow hvm-nested "}, {"cr3_exit", " hvm-shadow hvm-nested "},
    {"invlpg_exit", " hvm-shadow hvm-nested "}, {"invpcid_exit", " hvm-shadow hvm-nested "},
    {"icr_exit", " hvm-shadow hvm-nested "}, {"extint_exit", " hvm-shadow hvm-nested "},
    {"eoi_exit", " hvm-shadow hvm-nested "}, {"xen_", " xen-pv "}, {"vk_", " vkernel "},
    {"exo_", " exokernel "}, {"xok_", " exokernel "}, {"spin_", " spin "}, {"tornado_", " tornado "},
  };
  if (v) return true;
  for (size_t i = 0; i < sizeof own / sizeof *own; i++)
    if (!strncmp(name, own[i].prefix, strlen(own[i].prefix))) {
      char word[40];
      snprintf(word, sizeof word, " %s ", mode);
      return strstr(own[i].modes, word) != NULL;
    }
  return true;
}

/* The stats JSON (DESIGN.md "CLI contract"): fault counts and cycles come
 * from the event bus (es); the hardware counters from the machine. */
void stats_write(FILE *f, const struct sim_config *cfg, struct kernel *k,
                 struct ev_stats *es, struct hv *hv, const uint64_t *window, const char *region) {
  const struct cache_hier *dc = k->cpu->dcache;
  struct vcpu *c = k->cpu;
  struct json j;
  json_begin(&j, f);
  json_obj(&j, NULL);
  json_u64(&j, "schema_version", STATS_SCHEMA_VERSION);   /* docs/stats.schema.json */
  json_str(&j, "mode", cfg->mode);
  json_str(&j, "preset", params_preset_name(cfg->params));
  json_str(&j, "cpu", cfg->cpu_vendor);
  /* --cpus: every vCPU's instructions, the slowest one's cycles (the
   * elapsed time); each one's in "smp" */
  uint64_t insns = c->icount, cycles = c->cycles, urefs = cpu_data_refs(c);
  const struct smp *sm = &k->smp;
  if (sm->n > 1) {
    insns = cycles = urefs = 0;
    for (int i = 0; i < sm->n; i++) {
      insns += sm->cpu[i]->icount;
      urefs += cpu_data_refs(sm->cpu[i]);
      if (sm->cpu[i]->cycles > cycles) cycles = sm->cpu[i]->cycles;
    }
  }
  json_u64(&j, "instructions", insns);
  json_u64(&j, "cycles", cycles);
  json_dbl(&j, "ipc", cycles ? (double)insns / (double)cycles : 0.0, 4);
  json_obj(&j, "page_faults");
  json_u64(&j, "guest", es->faults_visible);
  json_u64(&j, "hidden", es->faults_hidden);
  json_obj(&j, "by_layer");
  for (int l = 0; l < EV_L__COUNT; l++)   /* guest-kernel and hypervisor always (the keys of old) */
    if (es->faults_by_layer[l] || l == EV_L_GUEST_KERNEL || l == EV_L_HYPERVISOR)
      json_u64(&j, ev_layer_names[l], es->faults_by_layer[l]);
  json_end(&j);
  json_obj(&j, "by_kind");
  for (int i = 0; i < EV_K__COUNT; i++)
    if (shown(cfg->mode, ev_kind_names[i], es->by_kind[i])) json_u64(&j, ev_kind_names[i], es->by_kind[i]);
  json_end(&j);
  json_u64(&j, "minflt", k->minflt);
  json_u64(&j, "fault_around_pages", k->fault_around_pages);
  json_u64(&j, "thp_pages", k->thp_pages);
  json_end(&j);
  json_obj(&j, "vm_exits");
  {
    const struct virt_vendor *vd = strcmp(cfg->cpu_vendor, "amd") ? &vmx_vendor : &svm_vendor;
    for (int i = 0; i < hv->st.nexit_kinds; i++) {
      json_obj(&j, virt_exit_name(vd, hv->st.exits[i].code));
      json_u64(&j, "code", hv->st.exits[i].code);
      json_u64(&j, "count", hv->st.exits[i].n);
      json_end(&j);
    }
  }
  json_end(&j);
  json_u64(&j, "vm_exits_total", hv->st.exits_total);
  json_obj(&j, "events");
  json_u64(&j, "faults", es->faults);
  json_u64(&j, "intercepts", es->intercepts);
  json_u64(&j, "steps", es->steps);
  json_end(&j);
  json_obj(&j, "hv");
  for (int i = 0; i < HV_C__COUNT; i++)
    if (shown(cfg->mode, hv_counter_names[i], hv->st.counter[i])) json_u64(&j, hv_counter_names[i], hv->st.counter[i]);
  json_end(&j);
  json_obj(&j, "tlb");
  struct tlb_level *lv[7] = {&c->tlb.l1d, &c->tlb.l1i, &c->tlb.stlb, &c->tlb.l1d2m,
                             &c->tlb.l1d1g, &c->tlb.l1i2m, &c->tlb.stlb1g};
  for (int i = 0; i < 7; i++) {
    if (!lv[i]->e) continue;
    uint64_t hits = 0, misses = 0;   /* --cpus: summed over the vCPUs */
    for (int v = 0; v < (sm->n > 1 ? sm->n : 1); v++) {
      struct vcpu *vc = sm->n > 1 ? sm->cpu[v] : c;
      const struct tlb_level *l = (const struct tlb_level *)((const char *)&vc->tlb + ((const char *)lv[i] - (const char *)&c->tlb));
      hits += tlb_level_hits(l);
      misses += l->misses;
    }
    json_obj(&j, lv[i]->name);
    json_u64(&j, "hits", hits);
    json_u64(&j, "misses", misses);
    json_end(&j);
  }
  if (c->mmu->refill == MMU_REFILL_SOFTWARE)   /* entries the mode wrote (mmu_tlb_install) */
    json_u64(&j, "software_installs", c->mmu->tlb_installs);
  json_end(&j);
  if (dc) {
    json_obj(&j, "cache");
    const struct cache_level *cl[3] = {&dc->l1d, &dc->l2, &dc->llc};
    for (int i = 0; i < 3; i++) {
      json_obj(&j, cl[i]->name);
      json_u64(&j, "hits", cl[i]->hits);
      json_u64(&j, "misses", cl[i]->misses);
      json_end(&j);
    }
    json_end(&j);
  }
  /* the guest's references as a trace records them (ref and rep, kacc,
   * ucopy records): the program's data references, the guest kernel's own
   * accesses through the MMU, and the user pages its copies reach */
  json_obj(&j, "refs");
  json_u64(&j, "user", urefs);
  json_u64(&j, "kernel", k->kernel_refs);
  json_u64(&j, "user_copies", k->user_copies);
  json_end(&j);
  json_obj(&j, "walks");
  json_u64(&j, "count", k->mmu->walks);
  json_u64(&j, "refs", k->mmu->walk_refs);
  json_u64(&j, "faults", k->mmu->walk_faults);
  json_u64(&j, "cycles", k->mmu->walk_cycles);
  json_obj(&j, "by_leaf");
  json_u64(&j, "4k", k->mmu->walks_by_leaf[1]);
  json_u64(&j, "2m", k->mmu->walks_by_leaf[2]);
  json_u64(&j, "1g", k->mmu->walks_by_leaf[3]);
  json_end(&j);
  if (k->mmu->pwc) {
    static const char *lvn[6] = {"", "", "pde", "pdpte", "pml4e", "pml5e"};
    json_obj(&j, "pwc_hits");
    for (int l = 2; l <= 5; l++)
      if (k->mmu->pwc->lv[l].entries) json_u64(&j, lvn[l], k->mmu->pwc->lv[l].hits);
    json_end(&j);
  }
  if (k->mmu->nested) {
    /* the nested dimension of 2-D walks: each guest-physical reference
     * that needed the nested tables is one nested walk */
    const struct nested *n = k->mmu->nested;
    json_obj(&j, "nested");
    json_u64(&j, "walks", n->walks);
    json_u64(&j, "refs", n->refs);
    json_u64(&j, "ntlb_hits", n->ntlb_hits);
    json_u64(&j, "ntlb_misses", n->ntlb_misses);
    json_end(&j);
  }
  json_end(&j);
  json_obj(&j, "fault_cycles");
  for (int l = 0; l < EV_L__COUNT; l++)
    if (es->cycles_by_layer[l]) json_u64(&j, ev_layer_names[l], es->cycles_by_layer[l]);
  json_obj(&j, "by_step");
  for (int s = 0; s < EV_S__COUNT; s++)
    if (es->count_by_step[s]) json_u64(&j, ev_steps[s].name, es->cycles_by_step[s]);
  json_end(&j);
  json_obj(&j, "count_by_step");   /* how many times each step ran (by_step / this: its mean) */
  for (int s = 0; s < EV_S__COUNT; s++)
    if (es->count_by_step[s]) json_u64(&j, ev_steps[s].name, es->count_by_step[s]);
  json_end(&j);
  json_u64(&j, "total", es->fault_cycles_total);
  json_end(&j);
  latency_json(&j, &es->lat);
  json_obj(&j, "syscalls");
  json_u64(&j, "total", k->syscalls);
  json_u64(&j, "unknown", k->unknown_syscalls);
  json_u64(&j, "kpti_cr3_switches", k->kpti_switches);
  json_end(&j);
  json_obj(&j, "memory");
  json_u64(&j, "guest_frames_used", k->frames_used);
  json_u64(&j, "pool_pages_used", k->mem->pool_used_pages);
  json_u64(&j, "page_table_pages", k->mm ? k->mm->pt_pages : 0);
  json_u64(&j, "page_table_pages_allocated", k->pt_pages_allocated);
  json_u64(&j, "pte_writes", k->pte_writes);
  json_u64(&j, "page_cache_pages", k->pc_pages);
  json_u64(&j, "page_cache_hits", k->pc_hits);
  json_u64(&j, "page_cache_misses", k->pc_misses);
  json_end(&j);
  uint64_t decoded = c->blocks_decoded, invals = c->code_invalidations;
  for (int i = 0; sm->n > 1 && i < sm->n; i++)
    if (sm->cpu[i] != c) { decoded += sm->cpu[i]->blocks_decoded; invals += sm->cpu[i]->code_invalidations; }
  json_obj(&j, "code_cache");
  json_u64(&j, "blocks_decoded", decoded);
  json_u64(&j, "invalidations", invals);
  json_end(&j);
  if (sm->n > 1) smp_stats(&j, k);     /* --cpus: each vCPU, the shootdowns */
  if (k->dyn_asids) {                  /* guest.dyn_asids: Linux's PCIDs per address space */
    json_obj(&j, "asids");
    json_u64(&j, "per_cpu", (uint64_t)k->dyn_asids);
    json_u64(&j, "switches", k->asid_switches);
    json_u64(&j, "reused", k->asid_reuses);
    json_u64(&j, "deferred_user_flushes", k->asid_deferred_flushes);
    json_end(&j);
  }
  if (k->attr && !k->attr->quiet_table) attrib_json(&j, k->attr);
  /* the configuration that made these numbers (mode, cpu and preset are
   * above): every parameter's value, so a file says what it measured
   * (`faultline sweep --merge` reads it) */
  json_obj(&j, "config");
  json_str(&j, "faultline_version", faultline_version);
  if (cfg->command) json_arr_str(&j, "command", cfg->command);   /* faultline's own argv */
  if (cfg->argv) json_arr_str(&j, "program", cfg->argv);         /* the guest's */
  json_str(&j, "mode", cfg->mode);
  json_str(&j, "cpu", cfg->cpu_vendor);
  json_str(&j, "preset", params_preset_name(cfg->params));
  if (*params_preset_sha256(cfg->params)) json_str(&j, "preset_sha256", params_preset_sha256(cfg->params));
  json_arr_str(&j, "sets", cfg->sets);
  json_u64(&j, "cpus", cfg->cpus > 1 ? (uint64_t)cfg->cpus : 1);
  json_u64(&j, "max_procs", cfg->max_procs ? (uint64_t)cfg->max_procs : 4096);
  json_u64(&j, "mem_bytes", cfg->mem_bytes);
  json_u64(&j, "epoch", cfg->epoch);
  json_u64(&j, "aslr_seed", cfg->aslr_seed);
  json_u64(&j, "max_insns", cfg->max_insns);
  json_dbl(&j, "max_time_s", cfg->max_time_s, 3);
  json_u64(&j, "read_only", cfg->read_only);
  if (cfg->root) json_str(&j, "root", cfg->root);
  json_obj(&j, "params");
  for (int t = 0; params_tables[t]; t++)
    for (int i = 0; params_tables[t][i].name; i++)
      json_u64(&j, params_tables[t][i].name, params_get(cfg->params, params_tables[t][i].name));
  json_end(&j);
  json_end(&j);
  if (k->all_exited && !window) {
    /* how the run ended: the top-level guest's status or signal, a limit,
     * or a signal sent to faultline */
    json_obj(&j, "exit");
    int sig = k->limit_hit ? 0 : k->guest_killed_by;
    if (sig) {
      char name[16];
      const char *ab = sigabbrev_np(sig);
      snprintf(name, sizeof name, "SIG%s", ab ? ab : "?");
      json_str(&j, "signal", name);
      json_u64(&j, "signal_number", (uint64_t)sig);
    } else {
      json_u64(&j, "status", k->limit_hit ? 124 : (uint64_t)k->guest_exit_code);
    }
    if (k->limit_hit) json_str(&j, "limit", k->limit_hit);
    json_raw(&j, "interrupted", k->host_stop || (sig && sig == k->host_signal) ? "true" : "false");
    json_end(&j);
  }
  /* regions of interest (roi.c): their counts, summed */
  if (region) json_raw(&j, "region", region);
  if (window) {
    /* a replay's --from/--to: every count above is the window's, but the
     * guest kernel's own counters (kstat records: minflt, fault-around and
     * THP pages, syscalls, frames, page tables, the page cache) are the
     * whole recording's */
    json_obj(&j, "window");
    json_u64(&j, "from", window[0]);
    json_u64(&j, "to", window[1]);
    json_u64(&j, "warmup_from", window[2]);
    json_str(&j, "kernel_counters", "whole recording");
    json_end(&j);
  }
  json_end(&j);
}

