/* The event vocabulary's rules (docs/events.md), checked on the tables
 * themselves: one hop from a log name to its code and its price. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>
#include "traces/events.h"
#include "sim/sim.h"

/* kernel.entry -> KERNEL_ENTRY: the enum id is the name, mechanically */
Test(events, step_ids_are_their_names) {
  for (int i = 0; i < EV_S__COUNT; i++) {
    char want[64];
    size_t n = strlen(ev_steps[i].name);
    cr_assert_lt(n, sizeof want);
    for (size_t j = 0; j <= n; j++) {
      char c = ev_steps[i].name[j];
      want[j] = c == '.' ? '_' : (char)toupper((unsigned char)c);
    }
    cr_expect_str_eq(ev_steps[i].id, want, "step %s has id %s", ev_steps[i].name, ev_steps[i].id);
  }
}

Test(events, names_are_unique) {
  for (int i = 0; i < EV_S__COUNT; i++)
    for (int j = i + 1; j < EV_S__COUNT; j++)
      cr_expect_str_neq(ev_steps[i].name, ev_steps[j].name);
  for (int i = 0; i < EV_K__COUNT; i++)
    for (int j = i + 1; j < EV_K__COUNT; j++)
      cr_expect_str_neq(ev_kind_names[i], ev_kind_names[j]);
}

/* The cost parameter is named after the step it prices: the step's own
 * name (shadow.fill), or a parameter family and the name with '.' -> '_'
 * (native.kernel_entry for kernel.entry, vkernel.host_trap for
 * host.trap); vm.exit/vm.entry take the vendor's prefix (vmx.exit). */
Test(events, cost_parameters_are_named_after_their_steps) {
  for (int i = 0; i < EV_S__COUNT; i++) {
    const char *name = ev_steps[i].name, *cost = ev_steps[i].cost;
    if (!cost) continue;
    if (!strcmp(cost, name)) continue;
    const char *dot = strchr(cost, '.');
    cr_assert(dot, "%s: cost parameter %s has no family", name, cost);
    char flat[64];
    size_t n = strlen(name);
    for (size_t j = 0; j <= n; j++) flat[j] = name[j] == '.' ? '_' : name[j];
    if (!strncmp(name, "vm.", 3)) {
      cr_expect(!strncmp(cost, "vmx.", 4) && !strcmp(dot + 1, name + 3), "%s priced by %s", name, cost);
      continue;
    }
    cr_expect_str_eq(dot + 1, flat, "%s priced by %s", name, cost);
  }
}

/* every cost parameter exists in the registry (and its svm twin) */
Test(events, cost_parameters_are_registered) {
  struct param_reg *r = params_new();
  for (int i = 0; i < EV_S__COUNT; i++) {
    const char *cost = ev_steps[i].cost;
    if (!cost) continue;
    char kv[96], err[256];
    snprintf(kv, sizeof kv, "%s=1", cost);
    cr_expect_eq(params_set(r, kv, err, sizeof err), 0, "%s: %s", ev_steps[i].name, err);
    if (!strncmp(cost, "vmx.", 4)) {
      snprintf(kv, sizeof kv, "svm.%s=1", cost + 4);
      cr_expect_eq(params_set(r, kv, err, sizeof err), 0, "%s: %s", ev_steps[i].name, err);
    }
  }
  params_free(r);
}

/* fault kinds: the Linux handler's decisions first, in enum fault_kind's
 * order (hv-models asserts the same at compile time) */
Test(events, guest_kinds_come_first) {
  int last_guest = -1;
  for (int i = 0; i < EV_K__COUNT; i++)
    if (ev_kind_class[i] == EV_KC_GUEST) {
      cr_expect_eq(last_guest, i - 1, "guest kind %s after a hidden one", ev_kind_names[i]);
      last_guest = i;
    }
}

/* the tree arithmetic of the bus: self = total - children */
static struct ev got[8];
static int ngot;
static void sink(void *ctx, const struct ev *e, enum ev_phase ph) {
  (void)ctx;
  if (ph == EV_CLOSED && ngot < 8) got[ngot++] = *e;
}
Test(events, bus_nests_and_sums) {
  struct ev_bus b;
  ev_bus_init(&b);
  ev_subscribe(&b, sink, NULL);
  ngot = 0;
  ev_begin(&b, EV_L_HW, EV_S_FAULT, 100, 0x1000, 6, "x.c", 1);        /* fault 1 */
  ev_begin(&b, EV_L_GUEST_KERNEL, EV_S_PTE_WRITE, 110, 0, 0, "x.c", 2);
  ev_begin(&b, EV_L_HW, EV_S_FAULT, 120, 0x2000, 3, "x.c", 3);        /* nested fault 2 */
  ev_fault_set(&b, EV_K_SHADOW_EMULATE, false);
  ev_end(&b, 150);
  ev_end(&b, 170);
  ev_begin(&b, EV_L_GUEST_KERNEL, EV_S_KPTI_CR3_WRITE, 170, 0, 0, "x.c", 4);
  ev_drop(&b);                                                          /* nothing happened */
  ev_fault_set(&b, EV_K_ANON_NEW, true);
  ev_end(&b, 200);
  cr_assert_eq(ngot, 3);
  cr_expect_eq(got[0].total, 30);
  cr_expect_eq(got[0].fault, 2);
  cr_expect_eq(got[0].depth, 2);
  cr_expect_eq(got[1].total, 60);
  cr_expect_eq(got[1].self, 30);
  cr_expect_eq(got[1].fault, 1);
  cr_expect_eq(got[2].total, 100);
  cr_expect_eq(got[2].self, 40);
  cr_expect_eq(got[2].nchildren, 1);
  cr_expect_eq(got[2].kind, EV_K_ANON_NEW);
  cr_expect(got[2].visible);
  cr_expect_eq(got[0].kind, EV_K_SHADOW_EMULATE);
  cr_expect_eq(b.visible_faults, 1);
  cr_expect(got[1].parent == got[2].id && got[0].parent == got[1].id);
}

Test(events, filter_parses_and_rejects) {
  struct ev_filter f;
  char err[256];
  cr_expect_eq(ev_filter_parse(&f, "fault=100-200,pid=1000,layer=hypervisor|guest-kernel,kind=cow|file,va=0x1000-0x2000",
                               err, sizeof err), 0, "%s", err);
  cr_expect_eq(f.fault_lo, 100);
  cr_expect_eq(f.fault_hi, 200);
  cr_expect_eq(f.pid, 1000);
  cr_expect_eq(f.layers, (1u << EV_L_HYPERVISOR) | (1u << EV_L_GUEST_KERNEL));
  cr_expect_eq(f.kinds, (1ull << EV_K_COW) | (1ull << EV_K_FILE));
  cr_expect_eq(f.va_lo, 0x1000);
  cr_expect_eq(f.va_hi, 0x2000);
  const char *bad[] = {"fault=0", "fault=5-2", "layer=kernel", "kind=bogus", "pid=x", "nokey", "color=red"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_expect_neq(ev_filter_parse(&f, bad[i], err, sizeof err), 0, "%s accepted", bad[i]);
}
