#include "traces/events.h"
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

const char *const ev_layer_names[EV_L__COUNT] = {
#define X(id, name) name,
  EV_LAYERS(X)
#undef X
};
const char *const ev_step_names[EV_S__COUNT] = {
#define X(id, name, doc) name,
  EV_STEPS(X)
#undef X
};
const char *const ev_step_docs[EV_S__COUNT] = {
#define X(id, name, doc) doc,
  EV_STEPS(X)
#undef X
};

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

static void deliver(struct ev_bus *b, const struct ev *e) {
  for (int i = 0; i < b->nsinks; i++) b->sink[i].fn(b->sink[i].ctx, e);
}

uint64_t ev_open(struct ev_bus *b, int layer, int step, uint64_t cycle,
                 uint64_t va, uint64_t arg) {
  struct ev e = {
    .id = b->next_id++, .cycle = cycle, .layer = (uint8_t)layer,
    .step = (uint16_t)step, .va = va, .arg = arg,
    .depth = (uint16_t)b->depth,
    .parent_id = b->depth ? b->open[b->depth - 1].id : 0,
  };
  if (b->depth < EV_MAX_DEPTH) b->open[b->depth] = e;
  b->depth++;
  return e.id;
}

void ev_close(struct ev_bus *b, uint64_t self_cycles) {
  if (b->depth <= 0) return;
  b->depth--;
  if (b->depth < EV_MAX_DEPTH) {
    struct ev e = b->open[b->depth];
    e.cycles = self_cycles;
    deliver(b, &e);
  }
}

void ev_leaf(struct ev_bus *b, int layer, int step, uint64_t cycle,
             uint64_t cycles, uint64_t va, uint64_t arg) {
  struct ev e = {
    .id = b->next_id++, .cycle = cycle, .cycles = cycles,
    .layer = (uint8_t)layer, .step = (uint16_t)step, .va = va, .arg = arg,
    .depth = (uint16_t)b->depth,
    .parent_id = b->depth ? b->open[b->depth - 1].id : 0,
  };
  deliver(b, &e);
}

void ev_log_sink(void *lp, const struct ev *e) {
  struct ev_log *l = lp;
  /* Children arrive before their root closes: hold them, print the block
   * when the root (depth 0) arrives. */
  if (e->depth > 0) {
    if (l->npend == l->cap) {
      int nc = l->cap ? l->cap * 2 : 256;
      struct ev *p = realloc(l->pend, (size_t)nc * sizeof *p);
      if (!p) return;
      l->pend = p;
      l->cap = nc;
    }
    l->pend[l->npend++] = *e;
    return;
  }
  /* an open step arrives after its children: ids follow opening order */
  for (int i = 1; i < l->npend; i++)
    for (int j = i; j > 0 && l->pend[j - 1].id > l->pend[j].id; j--) {
      struct ev t = l->pend[j]; l->pend[j] = l->pend[j - 1]; l->pend[j - 1] = t;
    }
  uint64_t total = e->cycles;
  for (int i = 0; i < l->npend; i++) total += l->pend[i].cycles;
  if (e->step != EV_S_FAULT) {
    /* not a fault: an exit the guest's own instruction caused (MOV CR3,
     * INVLPG under shadow paging) */
    fprintf(l->f, "event: %s %s va=%#" PRIx64 " mode=%s cycle=%" PRIu64 " total=%" PRIu64 " cycles\n",
            ev_layer_names[e->layer], ev_step_names[e->step], e->va, l->mode ? l->mode : "?",
            e->cycle, total);
    fprintf(l->f, "  %-14s %-16s %8" PRIu64 " cycles\n", ev_layer_names[e->layer],
            ev_step_names[e->step], e->cycles);
  } else {
  l->nfaults++;
  fprintf(l->f, "fault %" PRIu64 ": va=%#" PRIx64 " err=%#" PRIx64 " (%s%s%s%s%s) mode=%s cycle=%" PRIu64
                " total=%" PRIu64 " cycles\n",
          l->nfaults, e->va, e->arg, (e->arg & 1) ? "P" : "np", (e->arg & 2) ? " W" : " R",
          (e->arg & 4) ? " U" : " S", (e->arg & 8) ? " RSVD" : "", (e->arg & 16) ? " I" : "",
          l->mode ? l->mode : "?", e->cycle, total);
  }
  for (int i = 0; i < l->npend; i++) {
    const struct ev *s = &l->pend[i];
    fprintf(l->f, "  %*s%-14s %-16s %8" PRIu64 " cycles", 2 * (s->depth - 1), "",
            ev_layer_names[s->layer], ev_step_names[s->step], s->cycles);
    if (s->arg) fprintf(l->f, "  [%#" PRIx64 "]", s->arg);
    fputc('\n', l->f);
  }
  l->npend = 0;
}

void ev_log_fini(struct ev_log *l) {
  free(l->pend);
  l->pend = NULL;
  l->npend = l->cap = 0;
}
