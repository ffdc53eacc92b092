/* Regions of interest (tools/faultline_roi.h, run --warmup-insns N,
 * run --roi-symbol FUNC): the stats of the instructions inside the
 * regions, summed, reported apart from the whole run's ("region" in the
 * stats JSON).  A region's counts are the difference of two snapshots of
 * the stats JSON (the one account of what happened, taken as it would be
 * written), so every additive count is there; the latency percentiles are
 * not additive and are left out, ipc is recomputed.  Each command is
 * recorded (a roi record), so a replay reports the same regions. */
#include "sim/machine.h"
#include "sim/record.h"
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct roi {
  bool open;
  struct json_object *begin;         /* the snapshot where the open region began */
  struct json_object *acc;           /* the regions' counts so far (NULL: none yet) */
  int regions, dumps;
};

static struct json_object *snapshot(struct machine *m) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  stats_write(f, m->cfg, m->k, &m->es, &m->hv, NULL, NULL);
  fclose(f);
  struct json_object *o = json_tokener_parse(buf);
  free(buf);
  return o;
}

/* what is not a count of the region: left out of it (the latency
 * percentiles, the guest kernel's own counters -- a replay has them only
 * for the whole recording --, memory levels) */
static bool skip_key(const char *k) {
  static const char *const skip[] = {"fault_latency", "window", "ipc", "region", "memory", "minflt",
                                     "fault_around_pages", "thp_pages", "syscalls", "attribution", "config", NULL};
  for (int i = 0; skip[i]; i++)
    if (!strcmp(k, skip[i])) return true;
  return false;
}

/* acc += end - begin, member by member (numbers and arrays of numbers;
 * strings from end) */
static void add_delta(struct json_object *acc, struct json_object *end, struct json_object *begin) {
  json_object_object_foreach(end, key, ev) {
    if (skip_key(key)) continue;
    struct json_object *bv = NULL, *av = NULL;
    if (begin) json_object_object_get_ex(begin, key, &bv);
    json_object_object_get_ex(acc, key, &av);
    switch (json_object_get_type(ev)) {
    case json_type_int: {
      int64_t d = json_object_get_int64(ev) - (bv ? json_object_get_int64(bv) : 0);
      json_object_object_add(acc, key, json_object_new_int64((av ? json_object_get_int64(av) : 0) + d));
      break;
    }
    case json_type_object:
      if (!av) { av = json_object_new_object(); json_object_object_add(acc, key, av); }
      add_delta(av, ev, bv && json_object_is_type(bv, json_type_object) ? bv : NULL);
      break;
    case json_type_array: {
      size_t n = json_object_array_length(ev);
      struct json_object *na = json_object_new_array();
      for (size_t i = 0; i < n; i++) {
        int64_t e = json_object_get_int64(json_object_array_get_idx(ev, i));
        int64_t b = bv && i < json_object_array_length(bv) ? json_object_get_int64(json_object_array_get_idx(bv, i)) : 0;
        int64_t a = av && i < json_object_array_length(av) ? json_object_get_int64(json_object_array_get_idx(av, i)) : 0;
        json_object_array_add(na, json_object_new_int64(a + e - b));
      }
      json_object_object_add(acc, key, na);
      break;
    }
    case json_type_string:
      if (!av) json_object_object_add(acc, key, json_object_get(ev));
      break;
    default: break;
    }
  }
}

static void begin(struct machine *m, struct roi *r) {
  if (r->open) return;
  r->begin = snapshot(m);
  r->open = r->begin != NULL;
}

static void end(struct machine *m, struct roi *r) {
  if (!r->open) return;
  struct json_object *e = snapshot(m);
  if (e) {
    if (!r->acc) r->acc = json_object_new_object();
    add_delta(r->acc, e, r->begin);
    r->regions++;
    json_object_put(e);
  }
  json_object_put(r->begin);
  r->begin = NULL;
  r->open = false;
}

void roi_command(struct machine *m, int cmd) {
  struct kernel *k = m->k;
  if (!m->roi) m->roi = calloc(1, sizeof *m->roi);
  struct roi *r = m->roi;
  if (!r || cmd < ROI_BEGIN || cmd > ROI_DUMP) return;   /* other commands: a NOP, as natively */
  rec_put(k, FLTR_K_ROI, (uint64_t)cmd, 0, 0, 0);
  switch (cmd) {
  case ROI_BEGIN: begin(m, r); break;
  case ROI_END: end(m, r); break;
  case ROI_RESET:
    if (r->acc) { json_object_put(r->acc); r->acc = NULL; }
    r->regions = 0;
    if (r->open) { json_object_put(r->begin); r->open = false; begin(m, r); }
    break;
  case ROI_DUMP:
    if (m->cfg->stats_path && strcmp(m->cfg->stats_path, "-")) {
      char p[4200];
      snprintf(p, sizeof p, "%s.dump%d", m->cfg->stats_path, ++r->dumps);
      FILE *f = fopen(p, "w");
      if (f) {
        stats_write(f, m->cfg, k, &m->es, &m->hv, NULL, NULL);
        fclose(f);
      }
    }
    break;
  }
}

/* the run ends: an open region ends with it; the region's members as
 * text for the stats JSON (malloc'ed; NULL when there was none) */
char *roi_finish(struct machine *m) {
  struct roi *r = m->roi;
  if (!r) return NULL;
  end(m, r);
  if (!r->acc) return NULL;
  struct json_object *ins, *cyc;
  if (json_object_object_get_ex(r->acc, "instructions", &ins) && json_object_object_get_ex(r->acc, "cycles", &cyc)) {
    int64_t c = json_object_get_int64(cyc);
    json_object_object_add(r->acc, "ipc", json_object_new_double(c ? (double)json_object_get_int64(ins) / (double)c : 0));
  }
  json_object_object_add(r->acc, "regions", json_object_new_int(r->regions));
  return strdup(json_object_to_json_string_ext(r->acc, JSON_C_TO_STRING_PLAIN));
}

void roi_free(struct machine *m) {
  struct roi *r = m->roi;
  if (!r) return;
  if (r->begin) json_object_put(r->begin);
  if (r->acc) json_object_put(r->acc);
  free(r);
  m->roi = NULL;
}

/* ---- run --roi-symbol FUNC: a region while FUNC runs (the outermost
 * call of the program's main thread) ---- */

/* the 8 bytes at user va in the running address space, read as the
 * model's inspection (no charge, no fault): the return address */
static bool peek64(struct kernel *k, uint64_t va, uint64_t *v) {
  uint64_t table = k->mm ? k->mm->pml4 : 0;
  if (!table || (va & 7)) return false;
  for (int l = 4; l >= 1; l--) {
    uint64_t e;
    memcpy(&e, mem_host(k->mem, pt_entry_pa(table, va, l)), 8);
    if (!(e & PTE_P)) return false;
    uint64_t pa;
    if (l == 1 || (e & PTE_PS)) {
      uint64_t size = 1ull << (12 + 9 * (l - 1));
      pa = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
      if (pa + 8 > k->mem->ram_bytes) return false;
      memcpy(v, mem_host(k->mem, pa), 8);
      return true;
    }
    table = e & PTE_ADDR;
    if (table >= k->mem->ram_bytes + k->mem->pool_bytes) return false;
  }
  return false;
}

/* every vCPU watches rip (--cpus: the main thread may run on any) */
static void watch_all(struct machine *m, uint64_t rip) {
  for (int i = 0; i < m->ncpus; i++) {
    m->cpus[i]->watch_rip = rip;
    m->cpus[i]->watch_skip = false;   /* (the block here is not the one watched now) */
  }
}

int roi_symbol_setup(struct machine *m, const char *name, char *err, size_t n) {
  uint64_t a = attrib_symbol_addr(m->k->mm ? m->k->mm->syms : NULL, name);
  if (!a) {
    snprintf(err, n, "--roi-symbol %s: no such function in the program's symbol table (nm shows them)", name);
    return -1;
  }
  m->roi_sym = a;
  watch_all(m, a);
  return 0;
}

void roi_watch(struct machine *m) {
  struct vcpu *c = m->c;
  if (!m->roi_in_sym) {
    /* FUNC's first instruction: the return address is at the stack top */
    uint64_t ret;
    if (m->k->pid != FIRST_PID || !peek64(m->k, c->r[RSP], &ret)) return;
    roi_command(m, ROI_BEGIN);
    m->roi_ret = ret;
    m->roi_rsp = c->r[RSP] + 8;
    m->roi_in_sym = true;
    watch_all(m, ret);
  } else if (c->r[RSP] == m->roi_rsp && m->k->pid == FIRST_PID) {
    /* back at the return address with the call's stack: FUNC returned */
    roi_command(m, ROI_END);
    m->roi_in_sym = false;
    watch_all(m, m->roi_sym);
  }
}
