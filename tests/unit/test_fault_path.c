/* The Linux fault path (hv-models/native.c linux_guest_pf) driven through a
 * STUB struct guest_ops: no sim/, no guest program.
 *
 * Why: the ops table (hv-models/hv.h) is the seam between the fault-path
 * modes and the guest kernel model.  A mode reaches the guest kernel only
 * through it and charges each step its cost parameter (x units) plus the
 * cycles of the ops it calls.  Here each op records its call and returns
 * fixed, distinct cycles, and each cost parameter has a distinct value, so
 * for every fault kind the handler distinguishes we check exactly:
 *   - the steps, in ID ORDER (the order they opened: it reads like the
 *     handler), with depth, self, va and arg, and the ops called, in order,
 *     with their arguments;
 *   - self = cost parameter x units + the op's cycles (+ kernel_touch's
 *     footprint on guest-kernel steps), and no op's cycles lost;
 *   - the root: self 0, total = its children's totals, kind, visible, and
 *     the vCPU's cycles advanced by exactly its total;
 *   - the return value and *si_code.
 * The last test mutates expectations to show the comparison is not vacuous. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hv-models/hv.h"

extern const struct hv_mode hv_mode_native;   /* hv-models/native.c */

/* ---- the cost parameters: distinct values, so a mix-up shows ---- */
#define COSTS(X) \
  X(C_EXC, "native.exc_deliver", 1000) X(C_ENTRY, "native.kernel_entry", 2000) \
  X(C_VMA, "native.vma_lookup", 3000) X(C_STACK, "native.stack_grow", 4000) \
  X(C_PT, "native.pt_alloc", 450) X(C_FALLOC, "native.frame_alloc", 6000) \
  X(C_FZERO, "native.frame_zero", 90) X(C_ZPMAP, "native.zero_page_map", 8000) \
  X(C_PCL, "native.pagecache_lookup", 9000) X(C_FREAD, "native.file_read", 10000) \
  X(C_COW, "native.cow_copy", 11000) X(C_PTE, "native.pte_write", 12000) \
  X(C_AROUND, "native.fault_around", 60) X(C_TLB, "native.tlb_invalidate", 14000) \
  X(C_SPUR, "native.spurious", 15000) X(C_SEGV, "native.signal_segv", 16000) \
  X(C_EXIT, "native.kernel_exit", 17000) X(C_WB, "native.file_writeback", 18000) \
  X(C_UFFD, "native.uffd_handle_userfault", 19000) X(C_UCOPY, "native.uffd_copy", 20000) \
  X(C_UZERO, "native.uffd_zeropage", 21000) X(C_UWP, "native.uffd_writeprotect", 22000) \
  X(C_UWAKE, "native.uffd_wake", 23000) X(C_SHOOT, "native.tlb_shootdown", 24000) \
  X(C_IPI, "native.ipi_send", 25000) X(C_IPIFL, "native.tlb_ipi_flush", 26000) \
  X(C_LAZY, "native.tlb_lazy_flush", 27000) X(C_WAIT, "native.ipi_wait", 28000) \
  X(C_INVLPGB, "native.tlb_invlpgb", 29000) X(C_TLBSYNC, "native.tlb_tlbsync", 30000) \
  X(C_FDUP, "native.fork_dup_task", 31000) X(C_FCOPY, "native.fork_copy_process", 32000) \
  X(C_FMM, "native.fork_mm_alloc", 33000) X(C_FVMA, "native.fork_dup_mmap", 34000) \
  X(C_FPTE, "native.fork_copy_page_range", 35000) X(C_FFLUSH, "native.fork_flush_tlb", 36000) \
  X(C_FWAKE, "native.fork_wake_new", 37000) X(C_SW, "native.sched_switch", 38000) \
  X(C_SWMM, "native.sched_switch_mm", 39000) X(C_XMM, "native.exit_mm", 40000) \
  X(C_XUNMAP, "native.exit_unmap", 41000) X(C_XPGT, "native.exit_free_pgtables", 42000) \
  X(C_XTLB, "native.exit_tlb_finish", 43000) X(C_XFILES, "native.exit_files", 44000) \
  X(C_XNOTIFY, "native.exit_notify", 45000) X(C_WSCAN, "native.wait_scan", 46000) \
  X(C_WREAP, "native.wait_reap", 47000)
#define X(id, name, v) id = v,
enum { COSTS(X) };
#undef X
#define X(id, name, v) {name, v},
static const struct { const char *name; uint64_t v; } costs[] = { COSTS(X) };
#undef X
/* other modes' steps (vm.exit, shadow.fill, ...): hv_costs_init reads
 * them too; huge, so charging one on this path could not go unnoticed */
#define OTHER_COST 1000000u
static char unknown_params[512];

static uint64_t param(void *reg, const char *name) {
  for (size_t i = 0; i < sizeof costs / sizeof costs[0]; i++)
    if (!strcmp(costs[i].name, name)) return costs[i].v;
  if (strncmp(name, "native.", 7))
    for (int s = 0; s < EV_S__COUNT; s++)
      if (ev_steps[s].cost && !strcmp(ev_steps[s].cost, name)) return OTHER_COST + (uint64_t)s;
  size_t n = strlen(unknown_params);
  snprintf(unknown_params + n, sizeof unknown_params - n, "%s ", name);
  return 0;
}

/* ---- the stub guest kernel: what the ops answer, what they were asked ---- */
#define VA 0x7f0000001234ul
#define LEAF 0x9008ul
#define FRAME 0x5000ul
#define FILE_PA 0x6000ul
#define OLD_PA 0x3000ul
#define ZERO_PA 0x1000ul
#define THP_PA 0x200000ul
#define FLAGS 0x67ul
#define W_USER 0x6u     /* #PF error code: write, user */
#define R_USER 0x4u     /* read, user */
#define W_PRESENT 0x7u  /* present, write, user */

static struct stub {
  enum fault_kind kind;
  bool stack_grow, copy, hit, kpti;
  uint64_t leaf, frame, thp_pa, touch;
  int newt, around, prefault_done;
  char ops[32][64];
  int nops;
  int touched[64], ntouch;   /* kernel_touch's steps, in call order */
  uint64_t returned;         /* every cycle the ops returned (kernel_touch apart) */
} S;

static uint64_t charge(uint64_t c) { S.returned += c; return c; }
static void logop(const char *fmt, ...) {
  cr_assert_lt(S.nops, 32, "too many ops");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(S.ops[S.nops++], sizeof S.ops[0], fmt, ap);
  va_end(ap);
}

static uint64_t st_plan(void *k, uint64_t va, uint32_t err, struct fault_plan *p) {
  logop("plan(0x%lx,0x%x)", va, err);
  *p = (struct fault_plan){.kind = S.kind, .va = va, .page = va & ~0xffful, .pte_flags = FLAGS,
                           .old_pa = OLD_PA, .stack_grow = S.stack_grow, .write = err & 2,
                           .user = err & 4, .copy = S.copy};
  return charge(5);
}
static uint64_t st_ensure_tables(void *k, uint64_t va, uint64_t *leaf, int *newt) {
  logop("ensure_tables(0x%lx)", va); *leaf = S.leaf; *newt = S.newt; return charge(17);
}
static uint64_t st_alloc_frame(void *k, uint64_t *pa) { logop("alloc_frame"); *pa = S.frame; return charge(7); }
static uint64_t st_zero_frame(void *k, uint64_t pa) { logop("zero_frame(0x%lx)", pa); return charge(11); }
static uint64_t st_file_page(void *k, const struct fault_plan *p, uint64_t *pa, bool *hit) {
  logop("file_page(0x%lx)", p->page); *pa = FILE_PA; *hit = S.hit; return charge(23);
}
static uint64_t st_fault_around(void *k, const struct fault_plan *p, int *n) {
  logop("fault_around(0x%lx)", p->page); *n = S.around; return charge(29);
}
static uint64_t st_copy_frame(void *k, uint64_t dst, uint64_t src) {
  logop("copy_frame(0x%lx,0x%lx)", dst, src); return charge(31);
}
static uint64_t st_zero_page_pa(void *k) { logop("zero_page_pa"); return ZERO_PA; }
static uint64_t st_write_pte(void *k, uint64_t leaf, uint64_t pte) {
  logop("write_pte(0x%lx,0x%lx)", leaf, pte); return charge(13);
}
static uint64_t st_invlpg(void *k, uint64_t va) { logop("invlpg(0x%lx)", va); return charge(19); }
static void st_release_frame(void *k, uint64_t pa) { logop("release_frame(0x%lx)", pa); }
static uint64_t st_thp_alloc(void *k, uint64_t *pa) { logop("thp_alloc"); *pa = S.thp_pa; return charge(37); }
static uint64_t st_thp_zero(void *k, uint64_t pa) { logop("thp_zero(0x%lx)", pa); return charge(43); }
static uint64_t st_thp_map(void *k, const struct fault_plan *p, uint64_t pa) {
  logop("thp_map(0x%lx,0x%lx)", p->page, pa); return charge(47);
}
/* the footprint: counted per step by want_self, not in S.returned */
static uint64_t st_kernel_touch(void *k, int step) {
  cr_assert_lt(S.ntouch, 64); S.touched[S.ntouch++] = step; return S.touch;
}
static uint64_t st_entry_switch(void *k) { logop("entry_switch"); return charge(S.kpti ? 41 : 0); }
static uint64_t st_exit_switch(void *k) { logop("exit_switch"); return charge(S.kpti ? 41 : 0); }
/* the Linux handler has no business with these: a call shows in the op log */
static uint64_t st_read64(void *k, uint64_t pa, uint64_t *cyc) { logop("read64!"); return 0; }
static void st_write64(void *k, uint64_t pa, uint64_t v, uint64_t *cyc) { logop("write64!"); }
static uint64_t st_kstack_pa(void *k) { logop("kstack_pa!"); return 0; }
static uint64_t st_kva(void *k, uint64_t pa) { logop("kva!"); return 0; }
static uint64_t st_prefault_anon(void *k, const struct fault_plan *p, int n, int *done) {
  logop("prefault_anon(0x%lx,%d)", p->page, n);
  *done = S.prefault_done < n ? S.prefault_done : n; return charge(53);
}

/* ---- the fixture: a vCPU, a bus with a recording sink, a native hv ---- */
#define START 1000000u
static struct {
  struct vcpu cpu;
  struct ev_bus bus;
  struct hv h;
  struct ev opened[64], closed[64];   /* closed: in closing order */
  int nopened, nclosed;
  int si;
} F;

static void sink(void *ctx, const struct ev *e, enum ev_phase ph) {
  if (ph == EV_OPENED) { cr_assert_lt(F.nopened, 64); F.opened[F.nopened++] = *e; }
  else { cr_assert_lt(F.nclosed, 64); F.closed[F.nclosed++] = *e; }
}

static void reset(void) {
  memset(&F, 0, sizeof F);
  S = (struct stub){.kind = FK_ANON_NEW, .leaf = LEAF, .newt = 2, .frame = FRAME, .thp_pa = THP_PA};
  F.cpu.cycles = START;
  ev_bus_init(&F.bus);
  ev_subscribe(&F.bus, sink, NULL);
  struct hv *h = &F.h;
  h->mode = &hv_mode_native;
  h->cpu = &F.cpu;
  h->bus = &F.bus;
  h->param = param;
  h->ops = (struct guest_ops){
    .plan = st_plan, .ensure_tables = st_ensure_tables, .alloc_frame = st_alloc_frame,
    .zero_frame = st_zero_frame, .file_page = st_file_page, .fault_around = st_fault_around,
    .copy_frame = st_copy_frame, .zero_page_pa = st_zero_page_pa, .write_pte = st_write_pte,
    .invlpg = st_invlpg, .release_frame = st_release_frame, .thp_alloc = st_thp_alloc,
    .thp_zero = st_thp_zero, .thp_map = st_thp_map, .kernel_touch = st_kernel_touch,
    .entry_switch = st_entry_switch, .exit_switch = st_exit_switch, .read64 = st_read64, .write64 = st_write64,
    .kstack_pa = st_kstack_pa, .kva = st_kva, .prefault_anon = st_prefault_anon,
  };
  unknown_params[0] = 0;
  cr_assert_eq(hv_costs_init(h), 0);
  cr_assert_str_empty(unknown_params, "unknown cost parameters read: %s", unknown_params);
}

static int run(uint64_t va, uint32_t err, bool in_kernel) {
  F.si = -1;                 /* untouched unless the handler sets it */
  return F.h.mode->page_fault(&F.h, va, err, in_kernel, &F.si);
}

/* ---- expectations ---- */
struct want {
  int depth;                 /* 1: a child of the fault root */
  const char *name;
  uint64_t cost, op;         /* cost parameter x units; the op's cycles */
  uint64_t va, arg;
};
struct list { struct want w[32]; int n; };

static void add(struct list *L, const char *name, uint64_t cost, uint64_t op, uint64_t va,
                uint64_t arg) {
  cr_assert_lt(L->n, 32);
  L->w[L->n++] = (struct want){1, name, cost, op, va, arg};
}
/* a user fault's head with KPTI off: delivery, entry, the plan */
static struct list head(enum fault_kind kind) {
  struct list L = {0};
  add(&L, "exc.deliver", C_EXC, 0, 0, 0);
  add(&L, "kernel.entry", C_ENTRY, 0, 0, 0);
  add(&L, "vma.lookup", C_VMA, 5, 0, kind);
  return L;
}
static void tail(struct list *L) { add(L, "kernel.exit", C_EXIT, 0, 0, 0); }
/* a new anonymous frame: two new tables, a zeroed frame, its PTE */
static void anon_work(struct list *L) {
  add(L, "pt.alloc", 2 * C_PT, 17, 0, 2);
  add(L, "frame.alloc", C_FALLOC, 7, FRAME, 0);
  add(L, "frame.zero", C_FZERO, 11, FRAME, 1);
  add(L, "pte.write", C_PTE, 13, FRAME | FLAGS, 1);
}
#define PLAN(err) "plan(0x7f0000001234," err ")"
#define ENSURE "ensure_tables(0x7f0000001234)"
#define ANON_OPS ENSURE, "alloc_frame", "zero_frame(0x5000)", "write_pte(0x9008,0x5067)"
#define OPS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* guest-kernel steps are also charged the kernel's footprint */
static uint64_t want_self(const struct want *w) {
  int s = ev_step_by_name(w->name);
  bool gk = s >= 0 && ev_steps[s].layer == EV_L_GUEST_KERNEL;
  return w->cost + w->op + (gk ? S.touch : 0);
}

static int by_id(const void *a, const void *b) {
  const struct ev *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}
/* the closed steps in id order; [0] is the root */
static int sorted(struct ev *out) {
  memcpy(out, F.closed, sizeof F.closed);
  qsort(out, (size_t)F.nclosed, sizeof *out, by_id);
  return F.nclosed;
}

/* The comparison helper: the root's descendants, in id order, against L.
 * false, with the first difference in why, when they differ. */
static bool steps_match(const struct list *L, char *why, size_t n) {
  struct ev e[64];
  int ne = sorted(e);
  for (int i = 0; i < L->n || i + 1 < ne; i++) {
    const struct want *w = i < L->n ? &L->w[i] : NULL;
    const struct ev *g = i + 1 < ne ? &e[i + 1] : NULL;
    if (!w || !g) {
      snprintf(why, n, "step %d: got %s, want %s", i, g ? ev_steps[g->step].name : "(none)",
               w ? w->name : "(none)");
      return false;
    }
    if (strcmp(ev_steps[g->step].name, w->name) || g->depth != w->depth ||
        g->self != want_self(w) || g->va != w->va || g->arg != w->arg) {
      snprintf(why, n, "step %d: got %s depth %d self %lu va 0x%lx arg %lu; "
               "want %s depth %d self %lu va 0x%lx arg %lu", i,
               ev_steps[g->step].name, g->depth, g->self, g->va, g->arg,
               w->name, w->depth, want_self(w), w->va, w->arg);
      return false;
    }
  }
  return true;
}

/* the same for the ops called (want: NULL-terminated) */
static bool ops_match(const char *const *want, char *why, size_t n) {
  for (int i = 0; want[i] || i < S.nops; i++) {
    const char *g = i < S.nops ? S.ops[i] : "(none)", *w = want[i] ? want[i] : "(none)";
    if (strcmp(g, w)) { snprintf(why, n, "op %d: got %s, want %s", i, g, w); return false; }
  }
  return true;
}

/* Everything one fault must satisfy. */
static void check(const struct list *L, const char *const *ops, int ret, int want_ret,
                  int want_si, int kind) {
  char why[512];
  cr_assert(ret == want_ret && F.si == want_si, "returned %d si_code %d, want %d %d", ret, F.si,
            want_ret, want_si);
  cr_assert(ops_match(ops, why, sizeof why), "%s", why);
  cr_assert(steps_match(L, why, sizeof why), "%s", why);
  cr_assert_eq(F.bus.depth, 0, "steps left open");
  cr_assert(!F.h.fault_open && !F.h.pv_bounce, "entry flags not consumed");

  struct ev e[64];
  int ne = sorted(e);
  const struct ev *r = &e[0];
  cr_assert(r->step == EV_S_FAULT && r->depth == 0 && r->cycle == START, "the root");
  cr_assert_eq(r->self, 0, "the root's own time: %lu", r->self);
  uint64_t kids = 0;
  int roots = 0;
  for (int i = 0; i < ne; i++) {
    if (e[i].parent == r->id) kids += e[i].total;
    roots += e[i].step == EV_S_FAULT;
    cr_assert_eq(e[i].fault, r->fault);
  }
  cr_assert_eq(roots, 1, "%d fault roots", roots);
  cr_assert_eq(r->total, kids, "root total %lu, children %lu", r->total, kids);
  cr_assert_eq(r->kind, kind, "root kind %s, want %s", ev_kind_names[r->kind], ev_kind_names[kind]);
  cr_assert(r->visible);
  cr_assert_eq(F.cpu.cycles - START, r->total, "cycles advanced %lu, root total %lu",
               F.cpu.cycles - START, r->total);
  /* no op's cycles were lost: they all sit in some step's self */
  uint64_t opcyc = 0;
  for (int i = 0; i < L->n; i++) opcyc += L->w[i].op;
  cr_assert_eq(opcyc, S.returned, "ops returned %lu cycles, steps charge %lu", S.returned, opcyc);
  /* kernel_touch ran once per guest-kernel step, as each closed */
  int nt = 0;
  for (int i = 0; i < F.nclosed; i++)
    if (ev_steps[F.closed[i].step].layer == EV_L_GUEST_KERNEL) {
      cr_assert_lt(nt, S.ntouch, "kernel_touch missing for %s", ev_steps[F.closed[i].step].name);
      cr_assert_eq(S.touched[nt], F.closed[i].step, "kernel_touch order");
      nt++;
    }
  cr_assert_eq(nt, S.ntouch, "kernel_touch called %d times for %d guest-kernel steps", S.ntouch, nt);
}

TestSuite(fault_path, .init = reset);

/* ---- one test per fault kind ---- */

Test(fault_path, anon_new) {
  int r = run(VA, W_USER, false);
  struct list L = head(FK_ANON_NEW);
  anon_work(&L);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), ANON_OPS, "exit_switch"), r, 0, -1, EV_K_ANON_NEW);
}

/* the vkernel's configuration: a stack VMA grown, the prefault window,
 * the kernel's own footprint, its steps reported in the vkernel layer */
Test(fault_path, anon_new_stack_grow_prefault_footprint) {
  S.stack_grow = true;
  S.touch = 3;
  S.prefault_done = 3;
  F.h.prefault_pages = 4;
  F.h.guest_layer = EV_L_VKERNEL;
  int r = run(VA, W_USER, false);
  struct list L = head(FK_ANON_NEW);
  add(&L, "stack.grow", C_STACK, 0, 0, 0);
  anon_work(&L);
  add(&L, "prefault", 3 * C_FALLOC, 53, 0, 3);   /* a frame.alloc per page + the op */
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), ANON_OPS, "prefault_anon(0x7f0000001000,4)",
                "exit_switch"), r, 0, -1, EV_K_ANON_NEW);
  for (int i = 0; i < F.nclosed; i++) {
    int want = ev_steps[F.closed[i].step].layer;
    if (want == EV_L_GUEST_KERNEL) want = EV_L_VKERNEL;
    cr_expect_eq(F.closed[i].layer, want, "%s", ev_steps[F.closed[i].step].name);
  }
}

Test(fault_path, anon_zero_page) {
  S.kind = FK_ANON_ZERO_PAGE;
  S.newt = 1;
  int r = run(VA, R_USER, false);
  struct list L = head(FK_ANON_ZERO_PAGE);
  add(&L, "pt.alloc", 1 * C_PT, 17, 0, 1);
  add(&L, "zero_page.map", C_ZPMAP, 0, ZERO_PA, 0);
  add(&L, "pte.write", C_PTE, 13, ZERO_PA | FLAGS, 1);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x4"), ENSURE, "zero_page_pa", "write_pte(0x9008,0x1067)",
                "exit_switch"), r, 0, -1, EV_K_ANON_ZERO_PAGE);
}

Test(fault_path, file_hit_with_fault_around) {
  S.kind = FK_FILE;
  S.hit = true;
  S.around = 5;
  S.newt = 0;
  int r = run(VA, R_USER, false);
  struct list L = head(FK_FILE);
  add(&L, "pt.alloc", 0, 17, 0, 0);
  add(&L, "pagecache.lookup", C_PCL, 23, FILE_PA, 1);
  add(&L, "pte.write", C_PTE, 13, FILE_PA | FLAGS, 1);
  add(&L, "fault.around", 5 * C_AROUND, 29, 0, 5);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x4"), ENSURE, "file_page(0x7f0000001000)",
                "write_pte(0x9008,0x6067)", "fault_around(0x7f0000001000)", "exit_switch"),
        r, 0, -1, EV_K_FILE);
}

/* a miss: the read nests under the lookup and carries the op's cycles;
 * a fault-around that mapped nothing but cost cycles still shows */
Test(fault_path, file_miss) {
  S.kind = FK_FILE;
  int r = run(VA, R_USER, false);
  struct list L = head(FK_FILE);
  add(&L, "pt.alloc", 2 * C_PT, 17, 0, 2);
  add(&L, "pagecache.lookup", C_PCL, 0, FILE_PA, 0);
  add(&L, "file.read", C_FREAD, 23, FILE_PA, 0);
  L.w[L.n - 1].depth = 2;
  add(&L, "pte.write", C_PTE, 13, FILE_PA | FLAGS, 1);
  add(&L, "fault.around", 0, 29, 0, 0);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x4"), ENSURE, "file_page(0x7f0000001000)",
                "write_pte(0x9008,0x6067)", "fault_around(0x7f0000001000)", "exit_switch"),
        r, 0, -1, EV_K_FILE);
}

/* a private write: the file page is copied into a new frame and its
 * reference dropped; a write fault does no fault-around */
Test(fault_path, file_private_write_copies) {
  S.kind = FK_FILE;
  S.hit = true;
  S.copy = true;
  int r = run(VA, W_USER, false);
  struct list L = head(FK_FILE);
  add(&L, "pt.alloc", 2 * C_PT, 17, 0, 2);
  add(&L, "pagecache.lookup", C_PCL, 23, FILE_PA, 1);
  add(&L, "frame.alloc", C_FALLOC, 7, FRAME, 0);
  add(&L, "cow.copy", C_COW, 31, FRAME, 0);
  add(&L, "pte.write", C_PTE, 13, FRAME | FLAGS, 1);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), ENSURE, "file_page(0x7f0000001000)", "alloc_frame",
                "copy_frame(0x5000,0x6000)", "release_frame(0x6000)", "write_pte(0x9008,0x5067)",
                "exit_switch"), r, 0, -1, EV_K_FILE);
}

static struct list cow_steps(void) {
  struct list L = head(FK_COW);
  add(&L, "pt.alloc", 0, 17, 0, 0);
  add(&L, "frame.alloc", C_FALLOC, 7, FRAME, 0);
  add(&L, "cow.copy", C_COW, 31, FRAME, 0);
  add(&L, "pte.write", C_PTE, 13, FRAME | FLAGS, 1);
  add(&L, "tlb.invalidate", C_TLB, 19, VA, 0);
  tail(&L);
  return L;
}
#define COW_OPS "entry_switch", PLAN("0x7"), ENSURE, "alloc_frame", "copy_frame(0x5000,0x3000)", \
                "write_pte(0x9008,0x5067)", "invlpg(0x7f0000001234)", "release_frame(0x3000)", \
                "exit_switch"

Test(fault_path, cow) {
  S.kind = FK_COW;
  S.newt = 0;
  int r = run(VA, W_PRESENT, false);
  struct list L = cow_steps();
  check(&L, OPS(COW_OPS), r, 0, -1, EV_K_COW);
}

/* the table walk and the PTE store are one step: pte.write carries both */
Test(fault_path, write_upgrade) {
  S.kind = FK_WRITE_UPGRADE;
  S.newt = 0;
  int r = run(VA, W_PRESENT, false);
  struct list L = head(FK_WRITE_UPGRADE);
  add(&L, "pte.write", C_PTE, 17 + 13, OLD_PA | FLAGS, 1);
  add(&L, "tlb.invalidate", C_TLB, 19, VA, 0);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x7"), ENSURE, "write_pte(0x9008,0x3067)",
                "invlpg(0x7f0000001234)", "exit_switch"), r, 0, -1, EV_K_WRITE_UPGRADE);
}

Test(fault_path, thp) {
  S.kind = FK_THP;
  int r = run(VA, W_USER, false);
  struct list L = head(FK_THP);
  add(&L, "frame.alloc", C_FALLOC, 37, THP_PA, 0);
  add(&L, "frame.zero", 512 * C_FZERO, 43, THP_PA, 512);
  add(&L, "pte.write", C_PTE, 47, THP_PA | FLAGS, 2);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), "thp_alloc", "thp_zero(0x200000)",
                "thp_map(0x7f0000001000,0x200000)", "exit_switch"), r, 0, -1, EV_K_THP);
}

/* no 2M run: the 4K path, and the fault becomes anon_new; the failed
 * attempt's cycles stay charged (a frame.alloc of 0 units) */
Test(fault_path, thp_fallback) {
  S.kind = FK_THP;
  S.thp_pa = 0;
  int r = run(VA, W_USER, false);
  struct list L = head(FK_THP);
  add(&L, "frame.alloc", 0, 37, 0, 0);
  anon_work(&L);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), "thp_alloc", ANON_OPS, "exit_switch"), r, 0, -1,
        EV_K_ANON_NEW);
}

Test(fault_path, spurious) {
  S.kind = FK_SPURIOUS;
  int r = run(VA, W_PRESENT, false);
  struct list L = head(FK_SPURIOUS);
  add(&L, "spurious", C_SPUR, 19, 0, 0);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x7"), "invlpg(0x7f0000001234)", "exit_switch"), r, 0, -1,
        EV_K_SPURIOUS);
}

/* a userfault: the message is queued and the handler returns (0: the
 * instruction is retried once the thread, parked by sim, is woken); the
 * message's flags ride in the plan's pte_flags, the step's arg */
Test(fault_path, userfault) {
  S.kind = FK_USERFAULT;
  int r = run(VA, W_USER, false);
  struct list L = head(FK_USERFAULT);
  add(&L, "uffd.handle_userfault", C_UFFD, 0, VA, FLAGS);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), "exit_switch"), r, 0, -1, EV_K_USERFAULT);
}

/* SIGSEGV: signal.segv is queued only for a user fault; a kernel access
 * (a copy to or from user memory) gets the error back, no signal step */
static void segv(enum fault_kind kind, int si, bool in_kernel) {
  reset();
  S.kind = kind;
  int r = run(VA, W_USER, in_kernel);
  struct list L = head(kind);
  if (in_kernel) {
    check(&L, OPS(PLAN("0x6")), r, SIGSEGV, si, kind);
  } else {
    add(&L, "signal.segv", C_SEGV, 0, 0, 0);
    check(&L, OPS("entry_switch", PLAN("0x6"), "exit_switch"), r, SIGSEGV, si, kind);
  }
}
Test(fault_path, segv_maperr) { segv(FK_SEGV_MAPERR, 1, false); segv(FK_SEGV_MAPERR, 1, true); }
Test(fault_path, segv_accerr) { segv(FK_SEGV_ACCERR, 2, false); segv(FK_SEGV_ACCERR, 2, true); }

Test(fault_path, sigbus) {
  S.kind = FK_SIGBUS;
  int r = run(VA, R_USER, false);
  struct list L = head(FK_SIGBUS);
  check(&L, OPS("entry_switch", PLAN("0x4"), "exit_switch"), r, SIGBUS, 2, EV_K_SIGBUS);
}

/* the three ways out of memory: SIGKILL, *si_code untouched */
Test(fault_path, oom) {
  S.kind = FK_OOM;
  int r = run(VA, W_USER, false);
  struct list L = head(FK_OOM);
  check(&L, OPS("entry_switch", PLAN("0x6"), "exit_switch"), r, SIGKILL, -1, EV_K_OOM);

  reset();                   /* no page-table page: ensure_tables leaves no leaf */
  S.leaf = 0;
  r = run(VA, W_USER, false);
  L = head(FK_ANON_NEW);
  add(&L, "pt.alloc", 2 * C_PT, 17, 0, 2);
  check(&L, OPS("entry_switch", PLAN("0x6"), ENSURE, "exit_switch"), r, SIGKILL, -1, EV_K_ANON_NEW);

  reset();                   /* no frame */
  S.frame = 0;
  r = run(VA, W_USER, false);
  L = head(FK_ANON_NEW);
  add(&L, "pt.alloc", 2 * C_PT, 17, 0, 2);
  add(&L, "frame.alloc", C_FALLOC, 7, 0, 0);
  check(&L, OPS("entry_switch", PLAN("0x6"), ENSURE, "alloc_frame", "exit_switch"), r, SIGKILL,
        -1, EV_K_ANON_NEW);
}

/* KPTI off: the CR3 switches are opened and dropped, never closed; on:
 * one on entry (dir 0) and one on the way out (dir 1), each its op's
 * cycles, a signal included; a fault in the kernel does not switch */
Test(fault_path, kpti) {
  cr_assert_eq(run(VA, W_USER, false), 0);
  cr_assert(F.nopened == F.nclosed + 2 && F.opened[3].step == EV_S_KPTI_CR3_WRITE &&
            F.opened[3].arg == 0 && F.opened[F.nopened - 2].step == EV_S_KPTI_CR3_WRITE &&
            F.opened[F.nopened - 2].arg == 1, "the two switches opened and dropped");
  for (int i = 0; i < F.nclosed; i++) cr_assert_neq(F.closed[i].step, EV_S_KPTI_CR3_WRITE);

  for (int segv = 0; segv < 2; segv++) {
    reset();
    S.kpti = true;
    S.kind = segv ? FK_SEGV_MAPERR : FK_ANON_NEW;
    int r = run(VA, W_USER, false);
    struct list L = {0};
    add(&L, "exc.deliver", C_EXC, 0, 0, 0);
    add(&L, "kernel.entry", C_ENTRY, 0, 0, 0);
    add(&L, "kpti.cr3_write", 0, 41, 0, 0);
    add(&L, "vma.lookup", C_VMA, 5, 0, S.kind);
    if (segv) {
      add(&L, "signal.segv", C_SEGV, 0, 0, 0);
      add(&L, "kpti.cr3_write", 0, 41, 0, 1);
      check(&L, OPS("entry_switch", PLAN("0x6"), "exit_switch"), r, SIGSEGV, 1, EV_K_SEGV_MAPERR);
    } else {
      anon_work(&L);
      add(&L, "kpti.cr3_write", 0, 41, 0, 1);
      tail(&L);
      check(&L, OPS("entry_switch", PLAN("0x6"), ANON_OPS, "exit_switch"), r, 0, -1, EV_K_ANON_NEW);
    }
    cr_assert_eq(F.nopened, F.nclosed, "a switch dropped");
  }

  reset();
  S.kpti = true;
  S.kind = FK_SPURIOUS;
  int r = run(VA, W_PRESENT, true);
  struct list L = head(FK_SPURIOUS);
  add(&L, "spurious", C_SPUR, 19, 0, 0);
  check(&L, OPS(PLAN("0x7"), "invlpg(0x7f0000001234)"), r, 0, -1, EV_K_SPURIOUS);
}

/* entered through a hypervisor's bounce frame (Xen PV): no IDT delivery,
 * no CR3 switches (even with KPTI on), no iretq of its own */
Test(fault_path, pv_bounce) {
  S.kpti = true;
  F.h.pv_bounce = true;
  int r = run(VA, W_USER, false);
  struct list L = {0};
  add(&L, "kernel.entry", C_ENTRY, 0, 0, 0);
  add(&L, "vma.lookup", C_VMA, 5, 0, FK_ANON_NEW);
  anon_work(&L);
  check(&L, OPS(PLAN("0x6"), ANON_OPS), r, 0, -1, EV_K_ANON_NEW);
}

/* an injected fault: the caller's root is open already; the handler adds
 * its steps under it, sets its kind, and leaves it open */
Test(fault_path, fault_open) {
  hv_begin(&F.h, EV_S_FAULT, VA, W_USER);
  F.h.fault_open = true;
  int r = run(VA, W_USER, false);
  cr_assert_eq(F.bus.depth, 1, "the handler closed the caller's root");
  cr_assert_eq(F.nclosed, 8);
  hv_end(&F.h, 0);
  struct list L = head(FK_ANON_NEW);
  anon_work(&L);
  tail(&L);
  check(&L, OPS("entry_switch", PLAN("0x6"), ANON_OPS, "exit_switch"), r, 0, -1, EV_K_ANON_NEW);
  cr_assert_eq(F.opened[0].id, 1, "the root is the caller's");
  cr_assert_eq(F.opened[0].va, VA);
}

/* ---- the comparison is not vacuous ---- */

Test(fault_path, mismatches_are_reported) {
  S.kind = FK_COW;
  S.newt = 0;
  cr_assert_eq(run(VA, W_PRESENT, false), 0);
  struct list L = cow_steps(), M;
  char why[512];
  cr_assert(steps_match(&L, why, sizeof why), "the original must match: %s", why);
  /* 0 exc.deliver 1 kernel.entry 2 vma.lookup 3 pt.alloc 4 frame.alloc
   * 5 cow.copy 6 pte.write 7 tlb.invalidate 8 kernel.exit */
  M = L;                     /* two steps swapped */
  M.w[5] = L.w[6];
  M.w[6] = L.w[5];
  cr_expect(!steps_match(&M, why, sizeof why), "a swap went unnoticed");
  cr_expect(strstr(why, "step 5:"), "%s", why);
  M = L;                     /* a step dropped from the middle */
  M.w[7] = M.w[8];
  M.n--;
  cr_expect(!steps_match(&M, why, sizeof why), "a dropped step went unnoticed");
  M = L;                     /* a unit too many */
  M.w[3].cost = C_PT;
  cr_expect(!steps_match(&M, why, sizeof why), "a wrong self went unnoticed");
  M = L;                     /* the wrong nesting */
  M.w[4].depth = 2;
  cr_expect(!steps_match(&M, why, sizeof why), "a wrong depth went unnoticed");
  M = L;                     /* the wrong field */
  M.w[7].va = VA & ~0xffful;
  cr_expect(!steps_match(&M, why, sizeof why), "a wrong va went unnoticed");

  const char *ops[] = {COW_OPS, NULL}, *mo[10];
  cr_assert(ops_match(ops, why, sizeof why), "%s", why);
  memcpy(mo, ops, sizeof ops);  /* copy_frame and write_pte swapped */
  mo[4] = ops[5];
  mo[5] = ops[4];
  cr_expect(!ops_match(mo, why, sizeof why), "swapped ops went unnoticed");
  memcpy(mo, ops, sizeof ops);  /* release_frame dropped */
  memmove(&mo[7], &mo[8], 2 * sizeof mo[0]);
  cr_expect(!ops_match(mo, why, sizeof why), "a missing release_frame went unnoticed");
}
