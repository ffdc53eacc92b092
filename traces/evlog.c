/* The event log sinks: the same step tree as text (--log-format text) or
 * as one JSON object per step (jsonl), with --log-filter.  A top-level
 * step's tree is held until it closes, so a filter can select whole trees
 * by what happened inside them; jsonl lines keep the closing order
 * (children before parents), the text view prints the tree in opening
 * order with indentation. */
#include "traces/events.h"
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void ev_err_string(uint64_t err, char *buf, size_t n) {
  /* 0x1000/0x2000: a software-refilled TLB's miss / modified exception
   * (mmu.h PFEC_TLBMISS, PFEC_TLBMOD) */
  snprintf(buf, n, "%s%s%s%s%s%s%s%s", (err & 1) ? "P" : "np", (err & 2) ? " W" : " R",
           (err & 4) ? " U" : " S", (err & 8) ? " RSVD" : "", (err & 16) ? " I" : "",
           (err & 32) ? " PK" : "", (err & 0x1000) ? " TLBMISS" : "", (err & 0x2000) ? " TLBMOD" : "");
}

static const char *hcall_name(uint64_t nr) {
  switch (nr) {   /* Xen's public ABI (xen/include/public/xen.h) */
  case 1: return "mmu_update";
  case 13: return "multicall";
  case 14: return "update_va_mapping";
  case 23: return "iret";
  case 26: return "mmuext_op";
  default: return NULL;
  }
}
static const char *call_name(uint64_t nr) {
  /* the exokernel's system calls (hv-models/exokernel.c EXO_CALL_*) */
  static const char *const n[] = {NULL, "tlb_install", "bind", "tlb_flush", "self_insert_pte", "syscall_reflect"};
  return nr < sizeof n / sizeof *n ? n[nr] : NULL;
}
static const char *class_name(uint64_t c) {
  /* Tornado's object classes (hv-models/tornado.c) */
  static const char *const n[] = {"process", "region", "fcm", "dram", "cor", "hat"};
  return c < sizeof n / sizeof *n ? n[c] : NULL;
}
static const char *why_name(uint64_t why) {
  static const char *const n[] = {"ok", "not_owned", "writable_page_table", "type_conflict", "superpage",
                                  "not_bound", "exokernel_frame", "no_write_right"};
  return why < sizeof n / sizeof *n ? n[why] : NULL;
}

/* One field as text (json: JSON-encoded) into buf. */
static void field_value(const struct ev_log *l, int kind, uint64_t v, bool json, char *buf, size_t n) {
  const char *q = json ? "\"" : "";
  const char *s = NULL;
  switch (kind) {
  case EVF_VA: case EVF_FRAME: case EVF_ENTRY: case EVF_VALUE: case EVF_CR3:
  case EVF_PFN: case EVF_MFN:
    snprintf(buf, n, "%s%#" PRIx64 "%s", q, v, q);
    return;
  case EVF_ERR: {
    char e[64];
    ev_err_string(v, e, sizeof e);
    snprintf(buf, n, json ? "\"%s\"" : "(%s)", e);
    return;
  }
  case EVF_HIT: case EVF_VALID: case EVF_ALL:
    snprintf(buf, n, "%s", v ? "true" : "false");
    return;
  case EVF_DIR: s = v ? "exit" : "enter"; break;
  case EVF_KIND: s = v < EV_K__COUNT ? ev_kind_names[v] : NULL; break;
  case EVF_EXIT: s = l->exit_name ? l->exit_name(l->exit_ctx, (uint32_t)v) : NULL; break;
  case EVF_HCALL: s = hcall_name(v); break;
  case EVF_WHY: s = why_name(v); break;
  case EVF_CALL: s = call_name(v); break;
  case EVF_CLASS: s = class_name(v); break;
  default: break;
  }
  if (s) snprintf(buf, n, "%s%s%s", q, s, q);
  else snprintf(buf, n, "%" PRIu64, v);
}

/* ---- --log-filter ---- */
static int parse_range(const char *s, size_t n, uint64_t *lo, uint64_t *hi) {
  char tmp[64];
  if (!n || n >= sizeof tmp) return -1;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  char *end;
  *lo = strtoull(tmp, &end, 0);
  if (end == tmp) return -1;
  if (*end == '-') {
    char *e2;
    *hi = strtoull(end + 1, &e2, 0);
    if (e2 == end + 1 || *e2 || *hi < *lo) return -1;
  } else if (*end) {
    return -1;
  } else {
    *hi = *lo;
  }
  return 0;
}

int ev_filter_parse(struct ev_filter *f, const char *expr, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  f->pid = -1;
  const char *p = expr;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (!eq) { snprintf(err, errlen, "--log-filter: '%.*s' is not key=value", (int)len, p); return -1; }
    size_t kl = (size_t)(eq - p), vl = len - kl - 1;
    const char *v = eq + 1;
    if (kl == 5 && !strncmp(p, "fault", 5)) {
      if (parse_range(v, vl, &f->fault_lo, &f->fault_hi) || !f->fault_lo) {
        snprintf(err, errlen, "--log-filter: fault= takes N or A-B (faults are numbered from 1)");
        return -1;
      }
      f->any = true;
    } else if (kl == 2 && !strncmp(p, "va", 2)) {
      if (parse_range(v, vl, &f->va_lo, &f->va_hi)) {
        snprintf(err, errlen, "--log-filter: va= takes an address or LO-HI (e.g. va=0x400000-0x500000)");
        return -1;
      }
      if (f->va_hi == f->va_lo) f->va_hi = f->va_lo + 1;
      f->any = true;
    } else if (kl == 3 && !strncmp(p, "pid", 3)) {
      uint64_t lo, hi;
      if (parse_range(v, vl, &lo, &hi) || lo != hi) {
        snprintf(err, errlen, "--log-filter: pid= takes one process id");
        return -1;
      }
      f->pid = (int32_t)lo;
      f->any = true;
    } else if ((kl == 5 && !strncmp(p, "layer", 5)) || (kl == 4 && !strncmp(p, "kind", 4))) {
      bool layer = kl == 5;
      const char *q = v, *vend = v + vl;
      while (q < vend) {
        const char *bar = memchr(q, '|', (size_t)(vend - q));
        size_t nl = bar ? (size_t)(bar - q) : (size_t)(vend - q);
        int i = layer ? ev_layer_by_name(q, nl) : ev_kind_by_name(q, nl);
        if (i < 0) {
          snprintf(err, errlen, "--log-filter: unknown %s '%.*s' (see `faultline events`)",
                   layer ? "layer" : "fault kind", (int)nl, q);
          return -1;
        }
        if (layer) f->layers |= 1u << i;
        else { f->kinds |= 1ull << i; f->any = true; }
        q += nl + (bar ? 1 : 0);
      }
    } else {
      snprintf(err, errlen, "--log-filter: unknown key '%.*s' (fault, pid, layer, kind, va)", (int)kl, p);
      return -1;
    }
    p += len + (end ? 1 : 0);
  }
  return 0;
}

/* Does the held tree pass the tree-selecting terms? */
static bool tree_selected(const struct ev_log *l) {
  const struct ev_filter *f = &l->filter;
  if (!f->any) return true;
  const struct ev *top = &l->tree[l->ntree - 1];
  if (f->pid >= 0 && top->pid != f->pid) return false;
  bool need_fault = f->fault_lo || f->kinds || f->va_hi;
  if (!need_fault) return true;
  for (int i = 0; i < l->ntree; i++) {
    const struct ev *e = &l->tree[i];
    if (e->step != EV_S_FAULT) continue;
    if (f->fault_lo && (e->fault < f->fault_lo || e->fault > f->fault_hi)) continue;
    if (f->kinds && !(f->kinds >> e->kind & 1)) continue;
    if (f->va_hi && (e->va < f->va_lo || e->va >= f->va_hi)) continue;
    return true;
  }
  return false;
}

static bool layer_kept(const struct ev_log *l, const struct ev *e) {
  return !l->filter.layers || (l->filter.layers >> e->layer & 1);
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') { fputc('\\', f); fputc(*p, f); }
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static void write_json(struct ev_log *l, const struct ev *e) {
  FILE *f = l->f;
  const struct ev_step_info *si = &ev_steps[e->step];
  fprintf(f, "{\"id\":%" PRIu64 ",\"parent\":", e->id);
  if (e->parent) fprintf(f, "%" PRIu64, e->parent); else fputs("null", f);
  fprintf(f, ",\"depth\":%u,\"fault\":", e->depth);
  if (e->fault) fprintf(f, "%" PRIu64, e->fault); else fputs("null", f);
  fprintf(f, ",\"pid\":%d,\"cpu\":%u,\"cycle\":%" PRIu64 ",\"self\":%" PRIu64 ",\"total\":%" PRIu64
             ",\"layer\":\"%s\",\"step\":\"%s\",\"src\":\"%s:%u\",\"fields\":{",
          e->pid, e->cpu, e->cycle, e->self, e->total, ev_layer_names[e->layer], si->name,
          e->file ? e->file : "?", e->line);
  char buf[96];
  int n = 0;
  if (si->fva) {
    field_value(l, si->fva, e->va, true, buf, sizeof buf);
    fprintf(f, "\"%s\":%s", ev_field_names[si->fva], buf);
    n++;
  }
  if (si->farg) {
    field_value(l, si->farg, e->arg, true, buf, sizeof buf);
    fprintf(f, "%s\"%s\":%s", n++ ? "," : "", ev_field_names[si->farg], buf);
  }
  if (e->step == EV_S_FAULT) {
    fprintf(f, ",\"kind\":");
    json_str(f, ev_kind_names[e->kind]);
    fprintf(f, "},\"visible\":%s}\n", e->visible ? "true" : "false");
  } else {
    fputs("}}\n", f);
  }
  l->written++;
}

/* "k=v k=v" of a step's fields for the text view */
static void text_fields(const struct ev_log *l, const struct ev *e, char *out, size_t n) {
  const struct ev_step_info *si = &ev_steps[e->step];
  size_t used = 0;
  out[0] = 0;
  char buf[96];
  if (e->step == EV_S_FAULT)
    used += (size_t)snprintf(out + used, n - used, " fault=%" PRIu64, e->fault);
  for (int slot = 0; slot < 2 && used < n; slot++) {
    int kind = slot ? si->farg : si->fva;
    if (!kind) continue;
    field_value(l, kind, slot ? e->arg : e->va, false, buf, sizeof buf);
    used += (size_t)snprintf(out + used, n - used, " %s=%s", ev_field_names[kind], buf);
  }
  if (e->step == EV_S_FAULT && used < n)
    snprintf(out + used, n - used, " kind=%s %s", ev_kind_names[e->kind], e->visible ? "visible" : "hidden");
}

static int by_id(const void *a, const void *b) {
  uint64_t x = ((const struct ev *)a)->id, y = ((const struct ev *)b)->id;
  return x < y ? -1 : x > y;
}

static void write_text(struct ev_log *l) {
  FILE *f = l->f;
  qsort(l->tree, (size_t)l->ntree, sizeof *l->tree, by_id);   /* opening order */
  char fb[256];
  const struct ev t = l->tree[0];   /* the top-level step has the smallest id */
  char cpu_tag[16] = "";             /* --cpus: the vCPU (and clock) of the tree, when not the first */
  if (t.cpu) snprintf(cpu_tag, sizeof cpu_tag, " cpu=%u", (unsigned)t.cpu);
  if (t.step == EV_S_FAULT) {
    char err[64];
    ev_err_string(t.arg, err, sizeof err);
    fprintf(f, "fault %" PRIu64 ": va=%#" PRIx64 " err=%#" PRIx64 " (%s) kind=%s %s pid=%d%s mode=%s cycle=%" PRIu64
               " total=%" PRIu64 " cycles self=%" PRIu64 "\n",
            t.fault, t.va, t.arg, err, ev_kind_names[t.kind], t.visible ? "visible" : "hidden", t.pid, cpu_tag,
            l->mode ? l->mode : "?", t.cycle, t.total, t.self);
  } else {
    text_fields(l, &t, fb, sizeof fb);
    fprintf(f, "event: %s %s%s pid=%d%s mode=%s cycle=%" PRIu64 " total=%" PRIu64 " cycles self=%" PRIu64 "\n",
            ev_layer_names[t.layer], ev_steps[t.step].name, fb, t.pid, cpu_tag, l->mode ? l->mode : "?",
            t.cycle, t.total, t.self);
  }
  for (int i = 1; i < l->ntree; i++) {
    const struct ev *s = &l->tree[i];
    if (!layer_kept(l, s)) continue;
    text_fields(l, s, fb, sizeof fb);
    char on[24] = "";                  /* a step on another vCPU (a shootdown's target), on its clock */
    if (s->cpu != t.cpu) snprintf(on, sizeof on, " @cpu%u", (unsigned)s->cpu);
    fprintf(f, "  %*s%-14s %-22s %8" PRIu64 " cycles%s%s%s\n", 2 * (s->depth - 1), "",
            ev_layer_names[s->layer], ev_steps[s->step].name, s->self, fb[0] ? " " : "", fb, on);
  }
  l->written++;
}

void ev_log_header(struct ev_log *l, const char *extra) {
  if (l->format != EV_LOG_JSONL) return;
  fprintf(l->f, "{\"schema\":\"faultline-events\",\"version\":1,\"mode\":");
  json_str(l->f, l->mode ? l->mode : "?");
  fprintf(l->f, ",\"cpu\":");
  json_str(l->f, l->cpu ? l->cpu : "?");
  if (extra && *extra) fprintf(l->f, ",%s", extra);
  /* the fault kinds and their classes: a reader needs no other table to
   * tell hidden page faults from intercepted instructions */
  static const char *const cls[] = {"guest", "hidden", "intercept"};
  fputs(",\"kinds\":{", l->f);
  for (int i = 0; i < EV_K__COUNT; i++)
    fprintf(l->f, "%s\"%s\":\"%s\"", i ? "," : "", ev_kind_names[i], cls[ev_kind_class[i]]);
  fputs("}}\n", l->f);
}

void ev_log_sink(void *lp, const struct ev *e, enum ev_phase ph) {
  struct ev_log *l = lp;
  if (ph != EV_CLOSED) return;
  if (l->ntree == l->cap) {
    int nc = l->cap ? l->cap * 2 : 256;
    struct ev *p = realloc(l->tree, (size_t)nc * sizeof *p);
    if (!p) return;
    l->tree = p;
    l->cap = nc;
  }
  l->tree[l->ntree++] = *e;
  if (e->depth > 0) return;
  if (tree_selected(l)) {
    if (l->format == EV_LOG_TEXT) {
      write_text(l);
    } else {
      for (int i = 0; i < l->ntree; i++)
        if (layer_kept(l, &l->tree[i])) write_json(l, &l->tree[i]);
    }
  }
  l->ntree = 0;
}

void ev_log_fini(struct ev_log *l) {
  free(l->tree);
  l->tree = NULL;
  l->ntree = l->cap = 0;
}

void ev_log_sample(struct ev_log *l, uint16_t cpu, uint64_t icount, uint64_t cycle, const char *const *names,
                   const uint64_t *vals, int n) {
  if (l->format != EV_LOG_JSONL || !l->f) return;
  fprintf(l->f, "{\"sample\":{\"cpu\":%u,\"icount\":%" PRIu64 ",\"cycle\":%" PRIu64, (unsigned)cpu, icount, cycle);
  for (int i = 0; i < n; i++) fprintf(l->f, ",\"%s\":%" PRIu64, names[i], vals[i]);
  fputs("}}\n", l->f);
}
