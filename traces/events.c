/* The event bus: the vocabulary tables and the step tree (events.h). */
#include "traces/events.h"
#include <stdlib.h>
#include <string.h>

const struct ev_step_info ev_steps[EV_S__COUNT] = {
#define X(id, name, layer, cost, fva, farg, doc) {#id, name, EV_L_##layer, cost, EVF_##fva, EVF_##farg, doc},
  EV_STEPS(X)
#undef X
};
const char *const ev_layer_names[EV_L__COUNT] = {
#define X(id, name, doc) name,
  EV_LAYERS(X)
#undef X
};
const char *const ev_layer_docs[EV_L__COUNT] = {
#define X(id, name, doc) doc,
  EV_LAYERS(X)
#undef X
};
const char *const ev_kind_names[EV_K__COUNT] = {
#define X(id, name, cls, doc) name,
  EV_FAULT_KINDS(X)
#undef X
};
const char *const ev_kind_docs[EV_K__COUNT] = {
#define X(id, name, cls, doc) doc,
  EV_FAULT_KINDS(X)
#undef X
};
const uint8_t ev_kind_class[EV_K__COUNT] = {
#define X(id, name, cls, doc) EV_KC_##cls,
  EV_FAULT_KINDS(X)
#undef X
};
const char *const ev_field_names[EVF__COUNT] = {
#define X(id, name) name,
  EV_FIELD_KINDS(X)
#undef X
};

int ev_layer_by_name(const char *s, size_t n) {
  for (int i = 0; i < EV_L__COUNT; i++)
    if (strlen(ev_layer_names[i]) == n && !strncmp(ev_layer_names[i], s, n)) return i;
  return -1;
}
int ev_kind_by_name(const char *s, size_t n) {
  for (int i = 0; i < EV_K__COUNT; i++)
    if (strlen(ev_kind_names[i]) == n && !strncmp(ev_kind_names[i], s, n)) return i;
  return -1;
}
int ev_step_by_name(const char *s) {
  for (int i = 0; i < EV_S__COUNT; i++)
    if (!strcmp(ev_steps[i].name, s)) return i;
  return -1;
}

void ev_bus_init(struct ev_bus *b) {
  memset(b, 0, sizeof *b);
  b->next_id = 1;
}

int ev_subscribe(struct ev_bus *b, ev_sink_fn fn, void *ctx) {
  if (b->nsinks >= EV_MAX_SINKS) return -1;
  b->sink[b->nsinks].fn = fn;
  b->sink[b->nsinks].ctx = ctx;
  b->nsinks++;
  return 0;
}

static void deliver(struct ev_bus *b, const struct ev *e, enum ev_phase ph) {
  for (int i = 0; i < b->nsinks; i++) b->sink[i].fn(b->sink[i].ctx, e, ph);
}

static _Noreturn void bus_bug(const char *what) {
  fprintf(stderr, "faultline: internal error: event bus: %s\n", what);
  exit(125);
}

uint64_t ev_begin(struct ev_bus *b, int layer, int step, uint64_t cycle, uint64_t va,
                  uint64_t arg, const char *file, uint32_t line) {
  if (b->depth >= EV_MAX_DEPTH) bus_bug("steps nested too deep");
  struct ev *parent = b->depth ? &b->open[b->depth - 1].e : NULL;
  struct ev e = {
    .id = b->next_id++, .parent = parent ? parent->id : 0, .cycle = cycle,
    .va = va, .arg = arg, .file = file, .line = line, .pid = b->pid, .cpu = b->cpu,
    .depth = (uint16_t)b->depth, .step = (uint16_t)step, .layer = (uint8_t)layer,
    .kind = EV_K_UNKNOWN,
    .fault = step == EV_S_FAULT ? ++b->nfaults : parent ? parent->fault : 0,
  };
  if (parent) parent->nchildren++;
  b->open[b->depth].e = e;
  b->open[b->depth].child_total = 0;
  b->depth++;
  deliver(b, &e, EV_OPENED);
  return e.id;
}

void ev_end(struct ev_bus *b, uint64_t cycle) {
  if (b->depth <= 0) bus_bug("a step closed that was never opened");
  b->depth--;
  struct ev e = b->open[b->depth].e;
  if (cycle < e.cycle || cycle - e.cycle < b->open[b->depth].child_total)
    bus_bug("a step closed before its children's time");
  e.total = cycle - e.cycle;
  e.self = e.total - b->open[b->depth].child_total;
  /* a step on another vCPU (a shootdown's handler on its target) runs on
   * that vCPU's clock: it is the parent's child in the tree, not in its time */
  if (b->depth && b->open[b->depth - 1].e.cpu == e.cpu) b->open[b->depth - 1].child_total += e.total;
  if (e.step == EV_S_FAULT && e.visible) b->visible_faults++;
  deliver(b, &e, EV_CLOSED);
}

void ev_drop(struct ev_bus *b) {
  if (b->depth <= 0 || b->open[b->depth - 1].e.nchildren) bus_bug("dropping a step with children");
  b->depth--;
  if (b->depth) b->open[b->depth - 1].e.nchildren--;
}

void ev_set(struct ev_bus *b, uint64_t va, uint64_t arg) {
  if (!b->depth) return;
  b->open[b->depth - 1].e.va = va;
  b->open[b->depth - 1].e.arg = arg;
}
void ev_set_arg(struct ev_bus *b, uint64_t arg) {
  if (b->depth) b->open[b->depth - 1].e.arg = arg;
}

void ev_fault_set(struct ev_bus *b, int kind, bool visible) {
  for (int i = b->depth - 1; i >= 0; i--)
    if (b->open[i].e.step == EV_S_FAULT) {
      b->open[i].e.kind = (uint8_t)kind;
      b->open[i].e.visible = visible;
      return;
    }
}

bool ev_fault_visible(const struct ev_bus *b) {
  for (int i = b->depth - 1; i >= 0; i--)
    if (b->open[i].e.step == EV_S_FAULT) return b->open[i].e.visible;
  return false;
}

bool ev_in_fault(const struct ev_bus *b) {
  return b->depth && b->open[b->depth - 1].e.fault;
}
