/* The one step helper every mode and layer reports through (hv.h): a
 * step opens on the bus at the current cycle, its work runs (anything it
 * raises nests under it), and it closes charged its cost parameter. */
#include "hv-models/hv.h"
#include <stdio.h>
#include <string.h>

static int step_layer(const struct hv *h, int step) {
  int layer = ev_steps[step].layer;
  if (layer == EV_L_GUEST_KERNEL && h->guest_layer) return h->guest_layer;
  return layer;
}

void hv_begin_at(struct hv *h, int step, uint64_t va, uint64_t arg, const char *file, int line) {
  ev_begin(h->bus, step_layer(h, step), step, h->cpu->cycles, va, arg, file, (uint32_t)line);
}

static int open_step(const struct hv *h) {
  return h->bus->depth ? h->bus->open[h->bus->depth - 1].e.step : EV_S_FAULT;
}

void hv_end_n(struct hv *h, uint64_t cycles, uint64_t units) {
  int s = open_step(h);
  uint64_t c = h->step_cost[s] * units + cycles;
  /* the kernel's own code and stack for this step (its accesses may trap
   * into the mode: those nest under the step too) */
  if (ev_steps[s].layer == EV_L_GUEST_KERNEL && h->ops.kernel_touch)
    c += h->ops.kernel_touch(h->ops.k, s);
  h->cpu->cycles += c;
  ev_end(h->bus, h->cpu->cycles);
}

void hv_end_or_drop(struct hv *h, uint64_t cycles, uint64_t units) {
  if (!cycles && !ev_open_children(h->bus) && !(units && h->step_cost[open_step(h)])) ev_drop(h->bus);
  else hv_end_n(h, cycles, units);
}

int hv_costs_init(struct hv *h) {
  bool amd = h->cpu_vendor && !strcmp(h->cpu_vendor, "amd");
  for (int s = 0; s < EV_S__COUNT; s++) {
    const char *name = ev_steps[s].cost;
    if (!name) continue;
    char vend[64];
    if (amd && !strncmp(name, "vmx.", 4)) {   /* the vendor's exit/entry cost */
      snprintf(vend, sizeof vend, "svm.%s", name + 4);
      name = vend;
    }
    h->step_cost[s] = hv_param(h, name);
  }
  return 0;
}
