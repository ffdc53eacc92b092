/* The one step helper every mode and layer reports through (hv.h): a
 * step opens on the bus at the current cycle, its work runs (anything it
 * raises nests under it), and it closes charged its cost parameter. */
#include "hv-models/hv.h"
#include <stdio.h>
#include <stdlib.h>
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
  if ((ev_steps[s].layer == EV_L_GUEST_KERNEL || ev_steps[s].layer == EV_L_LIBOS) && h->ops.kernel_touch)
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

/* ---- the mode's own memory accesses ---- */
int hv_mem_init(struct hv *h, uint64_t base) {
  return host_as_init(&h->hvas, h->mmu->mem, base, h->cpu->ctl.maxphyaddr);
}

static _Noreturn void hv_mem_bug(struct hv *h, uint64_t pa, uint32_t pf) {
  fprintf(stderr, "faultline: internal error: %s: the hypervisor's access to %#llx failed (%#x)\n",
          h->mode->name, (unsigned long long)pa, pf);
  exit(125);
}

uint64_t hv_read64(struct hv *h, uint64_t pa, uint64_t *cyc) {
  uint64_t v = 0;
  uint32_t pf = mmu_load64(h->mmu, &h->cpu->tlb, &h->hvas.ctl, h->hvas.base + pa, 0, &v, cyc);
  if (pf) hv_mem_bug(h, pa, pf);
  return v;
}
void hv_write64(struct hv *h, uint64_t pa, uint64_t v, uint64_t *cyc) {
  uint32_t pf = mmu_store64(h->mmu, &h->cpu->tlb, &h->hvas.ctl, h->hvas.base + pa, ACC_W, v, cyc);
  if (pf) hv_mem_bug(h, pa, pf);
}
void hv_clear_page(struct hv *h, uint64_t pa, uint64_t *cyc) {
  uint32_t pf = mmu_clear_page(h->mmu, &h->cpu->tlb, &h->hvas.ctl, h->hvas.base + pa, ACC_W, cyc);
  if (pf) hv_mem_bug(h, pa, pf);
}

static uint64_t hvpt_read(void *c, uint64_t epa) {
  struct hv_pt *x = c;
  return hv_read64(x->h, epa, x->cyc);
}
static uint64_t hvpt_new_table(void *c, int level) {
  struct hv_pt *x = c;
  uint64_t t = mem_pool_alloc(x->h->mmu->mem);
  if (!t) return 0;
  uint64_t cyc = 0;
  if (x->alloc_step >= 0) hv_begin(x->h, x->alloc_step, t, (uint64_t)level);
  hv_clear_page(x->h, t, &cyc);
  if (x->alloc_step >= 0) hv_end(x->h, cyc);
  else *x->cyc += cyc;
  if (level >= 1 && level <= 5) x->created[level - 1]++;
  return t;
}
static void hvpt_link(void *c, uint64_t epa, uint64_t table, int level) {
  struct hv_pt *x = c;
  (void)level;
  hv_write64(x->h, epa, table | x->table_bits, x->cyc);
}
void hv_pt_ops(struct hv_pt *x, struct pt_ops *o, uint64_t present, bool create) {
  *o = (struct pt_ops){.ctx = x, .present = present, .read = hvpt_read,
                       .new_table = create ? hvpt_new_table : NULL, .link = hvpt_link};
}
