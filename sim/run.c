/* Machine assembly and the run loop: the CPU returns exceptions and
 * SYSCALLs here; page faults go to the selected mode (hv-models), other
 * exceptions become the signals Linux would send. */
#include "sim/kernel.h"
#include "cpu-x86/virt.h"
#include "sim/machine.h"
#include "sim/record.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static uint64_t reg_param(void *r, const char *name) { return params_get(r, name); }

/* Each TLB level and the parameters it takes, by literal name.  The 2M/1G
 * levels have no latency or replacement parameter of their own: they take
 * the STLB's (stlb_1g) or an L1's.  Note that l1i_2m's latency is
 * tlb.l1d.latency (both L1 latencies default to 1). */
static int tlb_setup(struct vcpu *c, struct param_reg *p, char *err, size_t n) {
  struct {
    struct tlb_level *t;
    const char *name, *entries, *ways, *latency, *repl;
    unsigned shift;
    bool required;
  } lv[] = {
    {&c->tlb.l1d, "l1d", "tlb.l1d.entries", "tlb.l1d.ways",
     "tlb.l1d.latency", "tlb.l1d.replacement", 12, true},
    {&c->tlb.l1i, "l1i", "tlb.l1i.entries", "tlb.l1i.ways",
     "tlb.l1i.latency", "tlb.l1i.replacement", 12, true},
    {&c->tlb.stlb, "stlb", "tlb.stlb.entries", "tlb.stlb.ways",
     "tlb.stlb.latency", "tlb.stlb.replacement", 12, false},
    {&c->tlb.l1d2m, "l1d_2m", "tlb.l1d2m.entries", "tlb.l1d2m.ways",
     "tlb.l1d.latency", "tlb.l1d.replacement", 21, false},
    {&c->tlb.l1d1g, "l1d_1g", "tlb.l1d1g.entries", "tlb.l1d1g.ways",
     "tlb.l1d.latency", "tlb.l1d.replacement", 30, false},
    {&c->tlb.l1i2m, "l1i_2m", "tlb.l1i2m.entries", "tlb.l1i2m.ways",
     "tlb.l1d.latency", "tlb.l1i.replacement", 21, false},
    {&c->tlb.stlb1g, "stlb_1g", "tlb.stlb1g.entries", "tlb.stlb1g.ways",
     "tlb.stlb.latency", "tlb.stlb.replacement", 30, false},
  };
  for (unsigned i = 0; i < sizeof lv / sizeof lv[0]; i++) {
    uint64_t e = params_get(p, lv[i].entries), w = params_get(p, lv[i].ways);
    uint32_t lat = (uint32_t)params_get(p, lv[i].latency);
    bool mixed = lv[i].t == &c->tlb.stlb && params_get(p, "tlb.stlb.mixed");
    uint64_t repl = params_get(p, lv[i].repl);
    if (repl > 2) {
      snprintf(err, n, "%s must be 0 (LRU), 1 (FIFO) or 2 (random)", lv[i].repl);
      return -1;
    }
    if ((!e && !lv[i].required) ||
        (e && w && e <= (1u << 20) && w <= e &&
         !tlb_level_init_sz(lv[i].t, lv[i].name, (uint32_t)e, (uint32_t)w, lat, lv[i].shift, mixed))) {
      lv[i].t->repl = (uint8_t)repl;
      continue;
    }
    snprintf(err, n, "bad TLB geometry %s=%llu %s=%llu: entries must be a multiple of ways "
             "with a power-of-two number of sets", lv[i].entries, (unsigned long long)e,
             lv[i].ways, (unsigned long long)w);
    return -1;
  }
  return 0;
}

/* The guest kernel's parameters, looked up once here: the fault path and
 * the kernel entry read the resolved fields, never the registry. */
static int guest_params_init(struct kernel *k, const struct hv_mode *mode, struct param_reg *P,
                             char *err, size_t n) {
  struct guest_policy *g = &k->policy;
  uint64_t thp = params_get(P, "guest.thp");
  if (thp > 2) { snprintf(err, n, "guest.thp must be 0 (never), 1 (madvise) or 2 (always)"); return -1; }
  g->thp = (uint8_t)thp;
  g->zero_page = params_get(P, "guest.zero_page") != 0;
  g->page_cache_warm = params_get(P, "guest.page_cache_warm") != 0;
  /* debugfs fault_around_bytes_set: more than one page table's worth is
   * EINVAL, anything else rounds down to a power of two pages */
  uint64_t fab = params_get(P, "guest.fault_around_bytes");
  if (fab > 512 * PAGE) { snprintf(err, n, "guest.fault_around_bytes must be at most 2097152 (one page table)"); return -1; }
  while (fab & (fab - 1)) fab &= fab - 1;
  g->fault_around_bytes = fab < PAGE ? PAGE : fab;
  g->readahead_bytes = params_get(P, "guest.readahead_bytes");
  g->io_read_latency = params_get(P, "io.read_latency");
  g->io_write_latency = params_get(P, "io.write_latency");
  uint64_t ram_pages = k->mem->ram_bytes / PAGE;
  g->dirty_limit_pages = ram_pages * params_get(P, "guest.dirty_ratio") / 100;
  g->dirty_bg_pages = ram_pages * params_get(P, "guest.dirty_background_ratio") / 100;
  if (g->dirty_bg_pages > g->dirty_limit_pages) g->dirty_bg_pages = g->dirty_limit_pages;
  g->dirty_writeback_ns = params_get(P, "guest.dirty_writeback_ms") * 1000000ull;
  g->kpti_cr3_write = params_get(P, "guest.kpti_cr3_write");
  g->syscall_entry = params_get(P, "native.syscall_entry");
  g->syscall_exit = params_get(P, "native.syscall_exit");
  g->frame_zero_cost = params_get(P, "native.frame_zero");
  /* 64-bit PV: like KPTI.  32-bit PV (one L4): no switch, and Linux turns
   * its own PTI off under Xen PV (arch/x86/mm/pti.c pti_check_boottime_disable) */
  bool one_l4 = mode->pv_split_l4 && mode->pv_one_l4_param && params_get(P, mode->pv_one_l4_param);
  k->kpti = !one_l4 && (params_get(P, "guest.kpti") || mode->pv_split_l4);
  k->kpti_pcid = params_get(P, "guest.pcid");
  uint64_t asids = params_get(P, "guest.dyn_asids");
  if (asids > 6) { snprintf(err, n, "guest.dyn_asids is 0 to 6 (Linux's TLB_NR_DYN_ASIDS)"); return -1; }
  if (asids && (!k->kpti_pcid || mode->pv_split_l4)) {
    snprintf(err, n, "guest.dyn_asids needs guest.pcid=1 and a mode whose guest owns CR3's PCID (not xen-pv or vkernel)");
    return -1;
  }
  k->dyn_asids = (int)asids;
  k->invpcid = params_get(P, "guest.invpcid") != 0;
  k->footprint = params_get(P, "guest.kernel_footprint");
  k->quantum = params_get(P, "guest.quantum");
  if (!k->quantum) k->quantum = 100000;
  k->ips = params_get(P, "guest.ips");
  if (!k->ips) k->ips = 1000000000ull;
  return 0;
}

/* Exceptions other than #PF: the signal Linux sends (arch/x86/kernel/traps.c) */
static int exc_signal(const struct exc_info *x, int *si_code) {
  switch (x->vector) {
  case EXC_DE: *si_code = x->si_code_hint == 2 ? 2 /* FPE_INTOVF */ : 1 /* FPE_INTDIV */; return SIGFPE;
  case EXC_UD: *si_code = 2; /* ILL_ILLOPN */ return SIGILL;
  case EXC_BP: *si_code = 0x80; return SIGTRAP;
  case EXC_MF: case EXC_XM: *si_code = x->si_code_hint; return SIGFPE;   /* FPE_FLT* */
  case EXC_AC: *si_code = 1; return SIGBUS;
  case EXC_NM: return SIGSEGV;
  default: *si_code = 0x80; /* SI_KERNEL */ return SIGSEGV;
  }
}

/* machine memory, the MMU, the CPU with its TLBs, caches and walk caches */
int machine_init(struct machine *m, char *err, size_t n) {
  const struct sim_config *cfg = m->cfg;
  struct param_reg *P = cfg->params;
  uint64_t pool = params_get(P, "guest.pool_mib") << 20;
  if (cfg->mem_bytes < (16ull << 20) || cfg->mem_bytes > (1ull << 40)) {
    snprintf(err, n, "--mem must be between 16M and 1T");
    return -1;
  }
  if (mem_init(&m->mem, cfg->mem_bytes, pool)) {
    snprintf(err, n, "cannot reserve %llu bytes of guest memory", (unsigned long long)cfg->mem_bytes);
    return -1;
  }
  m->mem_ok = true;
  m->mmu = (struct mmu){.mem = &m->mem,
                        .walk_ref_latency = (uint32_t)params_get(P, "walk.ref_latency"),
                        .walk_a_on_fault = (uint32_t)params_get(P, "walk.a_on_fault"),
                        .refill = (uint8_t)params_get(P, "mmu.refill")};
  uint32_t costs[9];
  static const char *cn[9] = {"cpu.cost.simple", "cpu.cost.mul", "cpu.cost.div", "cpu.cost.branch",
                              "cpu.cost.string", "cpu.cost.fp", "cpu.cost.fpdiv", "cpu.cost.sse",
                              "cpu.cost.sys"};
  for (int i = 0; i < 9; i++) costs[i] = (uint32_t)params_get(P, cn[i]);
  cpu_set_class_costs(costs);
  struct vcpu *c = m->c = aligned_alloc(64, (sizeof *c + 63) & ~(size_t)63);
  cpu_init(c, &m->mmu);
  c->tsc_hz = params_get(P, "cpu.tsc_hz");
  c->ctl.maxphyaddr = (uint8_t)params_get(P, "cpu.maxphyaddr");
  c->cpuid_no_pse = m->mode->no_pse;
  if (c->ctl.maxphyaddr < 36 || c->ctl.maxphyaddr > 52) {
    snprintf(err, n, "cpu.maxphyaddr must be 36..52");
    return -1;
  }
  if (tlb_setup(c, P, err, n)) return -1;
  struct cache_geom cg;
  cache_geom_from_params(&cg, reg_param, P);
  if (cache_hier_init(&m->dcache, &cg)) {
    snprintf(err, n, "bad cache geometry (cache.* parameters: sizes must be "
             "multiples of ways x 64 bytes, L1 sets a power of two)");
    return -1;
  }
  if (m->dcache.enabled) { cpu_set_dcache(c, &m->dcache); m->mmu.cache = &m->dcache; }
  int pwk = (int)params_get(P, "walk.pwc");
  if (pwk == 3) pwk = strcmp(cfg->cpu_vendor, "amd") ? PWC_INTEL_PSC : PWC_AMD_PTC;
  if (pwk > 3) { snprintf(err, n, "walk.pwc must be 0..3"); return -1; }
  uint32_t ent[6] = {0, 0, (uint32_t)params_get(P, "pwc.l2.entries"),
                     (uint32_t)params_get(P, "pwc.l3.entries"), (uint32_t)params_get(P, "pwc.l4.entries"),
                     (uint32_t)params_get(P, "pwc.l5.entries")};
  uint32_t pwc_lat = (uint32_t)params_get(P, "pwc.hit_latency");
  if (pwk) {
    for (int l = 2; l <= 5; l++)
      if (ent[l] > 4096) { snprintf(err, n, "pwc.l%d.entries too large", l); return -1; }
    if (pwc_init(&m->pwc, pwk, ent, pwc_lat)) return -1;
    m->mmu.pwc = &m->pwc;
  }
  /* --cpus: the other vCPUs, each with its own TLBs and walk caches, the
   * decoded code and the data caches shared */
  m->ncpus = cfg->cpus > 1 ? cfg->cpus : 1;
  m->cpus[0] = c;
  if (m->ncpus > 1) c->smp_n = (uint16_t)m->ncpus;
  m->pwcs[0] = m->mmu.pwc;
  for (int i = 1; i < m->ncpus; i++) {
    struct vcpu *o = m->cpus[i] = aligned_alloc(64, (sizeof *o + 63) & ~(size_t)63);
    if (!o) { snprintf(err, n, "out of host memory"); return -1; }
    cpu_init(o, &m->mmu);
    cpu_share_code(o, c);
    o->tsc_hz = c->tsc_hz;
    o->ctl.maxphyaddr = c->ctl.maxphyaddr;
    o->cpuid_no_pse = c->cpuid_no_pse;
    o->smp_n = (uint16_t)m->ncpus;
    o->smp_id = (uint16_t)i;
    if (tlb_setup(o, P, err, n)) return -1;
    if (m->dcache.enabled) cpu_set_dcache(o, &m->dcache);
    if (pwk) {
      m->pwcs[i] = calloc(1, sizeof *m->pwcs[i]);
      if (!m->pwcs[i] || pwc_init(m->pwcs[i], pwk, ent, pwc_lat)) return -1;
    }
  }
  return 0;
}

/* --cpus: vCPU i runs on the host now (smp_select's machine side) */
static void machine_select(void *ctx, int i) {
  struct machine *m = ctx;
  int from = m->hv.this_cpu;
  m->cpu_next_sample[from] = m->next_sample;   /* each vCPU samples (and ticks) at its own instruction counts */
  m->next_sample = m->cpu_next_sample[i];
  m->cpu_next_tick[from] = m->next_tick;
  m->next_tick = m->cpu_next_tick[i];
  m->c = m->cpus[i];
  m->k->cpu = m->c;
  m->hv.cpu = m->c;
  m->mmu.pwc = m->pwcs[i];
  m->bus.cpu = (uint16_t)i;
  m->hv.this_cpu = i;
  if (m->hv.mode->select_cpu) m->hv.mode->select_cpu(&m->hv, from, i);
  hostsig_cpu(m->c);
}

/* the guest kernel's machine side and the mode over it */
int guest_kernel_init(struct machine *m, char *err, size_t n) {
  const struct sim_config *cfg = m->cfg;
  struct kernel *k = m->k;
  struct vcpu *c = m->c;
  struct hv *hv = &m->hv;
  k->mem = &m->mem;
  if (guest_params_init(k, m->mode, cfg->params, err, n)) return -1;
  if ((k->kpti && k->kpti_pcid) || k->dyn_asids)
    for (int i = 0; i < m->ncpus; i++) m->cpus[i]->ctl.cr4 |= CR4_PCIDE;
  k->cpu = c;
  k->smp.n = m->ncpus;
  k->smp.quantum = params_get(cfg->params, "smp.quantum");
  if (!k->smp.quantum) k->smp.quantum = 1000;
  k->smp.skip_shootdown = params_get(cfg->params, "smp.skip_shootdown");
  k->smp.invlpgb = params_get(cfg->params, "smp.invlpgb") != 0;
  k->smp.steal = params_get(cfg->params, "smp.steal");
  k->smp.preempt_wait = params_get(cfg->params, "smp.preempt_wait");
  if (k->smp.steal > 90) {
    snprintf(err, n, "smp.steal is a percentage of turns, 0 to 90");
    return -1;
  }
  if (k->smp.steal && strncmp(m->mode->name, "hvm-", 4)) {
    snprintf(err, n, "smp.steal models a host that preempts a VM's vCPUs: --mode hvm-shadow or hvm-nested");
    return -1;
  }
  if (k->smp.invlpgb && strcmp(cfg->cpu_vendor, "amd")) {
    snprintf(err, n, "smp.invlpgb=1: INVLPGB and TLBSYNC are AMD's (--cpu amd)");
    return -1;
  }
  k->smp.select = machine_select;
  k->smp.select_ctx = m;
  for (int i = 0; i < m->ncpus; i++) {
    k->smp.cpu[i] = m->cpus[i];
    k->smp.pwc[i] = m->pwcs[i];
  }
  if (k->smp.invlpgb && strcmp(m->mode->name, "native")) {
    snprintf(err, n, "smp.invlpgb=1: the broadcast invalidation is modelled for the native mode only (mode %s "
             "shoots down its own way)", m->mode->name);
    return -1;
  }
  k->mmu = &m->mmu;
  k->hv = hv;
  hv->mode = m->mode;
  hv->cpu = c;
  hv->mmu = &m->mmu;
  hv->cpu_vendor = cfg->cpu_vendor;
  hv->bus = &m->bus;
  hv->param = reg_param;
  hv->param_reg = cfg->params;
  hv->ncpus = m->ncpus;
  hv->this_cpu = 0;
  hv->on_cpu = machine_select;
  hv->on_cpu_ctx = m;
  for (int i = 1; i < m->ncpus; i++) hv->cpu_idle[i] = true;   /* the first task runs on vCPU 0 */
  guest_ops_fill(k, &hv->ops);
  m->bus.pid = FIRST_PID;
  if (kernel_mem_init(k)) {
    snprintf(err, n, "guest memory too small");
    return -1;
  }
  if (m->mode->init(hv)) {
    snprintf(err, n, "mode %s: %s", m->mode->name,
             hv->error[0] ? hv->error : "bad parameters or no pool memory (see `faultline params`; guest.pool_mib)");
    return -1;
  }
  if (m->mmu.refill == MMU_REFILL_SOFTWARE && !hv->tlb_miss_handler) {
    snprintf(err, n, "mmu.refill=software needs a mode that handles TLB-miss exceptions: "
             "--mode exokernel (exokernel.mmu=aegis-stlb)");
    return -1;
  }
  /* the frame the allocator handed out before the mode was up */
  if (hv->mode->frame_owner && k->zero_page) hv->mode->frame_owner(hv, k->zero_page, 1, true);
  return 0;
}

/* attribution's hook on the bus: each top-level fault as it closes */
static void attrib_sink(void *ctx, const struct ev *e, enum ev_phase ph) {
  if (ph == EV_CLOSED && e->step == EV_S_FAULT && e->depth == 0) attrib_fault(ctx, e);
}

/* the guest OS model over the machine, the program loaded */
static int guest_init(struct machine *m, char *err, size_t n) {
  const struct sim_config *cfg = m->cfg;
  struct kernel *k = m->k;
  if (guest_kernel_init(m, err, n)) return -1;
  if (record_open(k, cfg, err, n)) return -1;
  if (cfg->top_faults || cfg->symbols || cfg->roi_symbol) {
    k->attr = calloc(1, sizeof *k->attr);
    if (!k->attr) { snprintf(err, n, "out of host memory"); return -1; }
    k->attr->top = cfg->top_faults ? cfg->top_faults : 10;
    k->attr->symbols = cfg->symbols || cfg->roi_symbol;
    k->attr->quiet_table = !cfg->top_faults && !cfg->symbols;   /* only for --roi-symbol's symbols */
    if (!k->attr->quiet_table) ev_subscribe(&m->bus, attrib_sink, k);
  }
  task_init_first(k);
  sysctl_init(k);
  if (cfg->max_procs) {              /* kernel.threads-max and the first RLIMIT_NPROC */
    k->sysctl.threads_max = cfg->max_procs;
    k->tg->rlim[RLIMIT_NPROC].cur = k->tg->rlim[RLIMIT_NPROC].max = (uint64_t)cfg->max_procs;
  }
  cred_init(k);
  k->read_only = cfg->read_only;
  k->quiet = cfg->quiet;
  /* the guest's capabilities: faultline's own (its user's) */
  struct { uint32_t version; int pid; } caph = {0x20080522, 0};
  struct { uint32_t eff, prm, inh; } capd[2] = {{0}};
  if (syscall(SYS_capget, &caph, capd) == 0) {
    k->cap_eff = capd[0].eff | (uint64_t)capd[1].eff << 32;
    k->cap_prm = capd[0].prm | (uint64_t)capd[1].prm << 32;
    k->cap_inh = capd[0].inh | (uint64_t)capd[1].inh << 32;
  }
  for (int cap = 0; cap <= 40; cap++)       /* and its bounding set */
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) k->cap_bnd |= 1ull << cap;
  k->epoch_ns = cfg->epoch * 1000000000ull;
  k->rng = 0x5eed0000fa017ull ^ cfg->aslr_seed;
  for (int i = 0; i < m->ncpus; i++) m->cpus[i]->tsc_offset = cfg->epoch * m->cpus[i]->tsc_hz;
  if (cfg->root) {
    k->rootfd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (k->rootfd < 0) {
      snprintf(err, n, "--root %s: %s", cfg->root, strerror(errno));
      return -1;
    }
    strcpy(k->tg->fs->cwd, "/");
  } else if (!getcwd(k->tg->fs->cwd, sizeof k->tg->fs->cwd)) {
    strcpy(k->tg->fs->cwd, "/");
  }
  k->mm = mm_new(k);
  if (!k->mm) { snprintf(err, n, "guest memory too small"); return -1; }
  mm_switch_user(k);
  fds_init(k);
  if (cfg->guest_output_null) {
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    for (int fd = 1; fd <= 2 && nul >= 0; fd++) {
      if (k->fds[fd].kind == FDK_HOST && k->fds[fd].hostfd > 2) close(k->fds[fd].hostfd);
      k->fds[fd].kind = FDK_HOST;
      k->fds[fd].hostfd = fcntl(nul, F_DUPFD_CLOEXEC, 10);
    }
    if (nul >= 0) close(nul);
  }
  if (load_program(k, cfg->argv[0], cfg->argv, cfg->envp, err, n)) return -1;
  m->roi_warmup = cfg->warmup_insns;
  if (cfg->roi_symbol && roi_symbol_setup(m, cfg->roi_symbol, err, n)) return -1;
  /* faults taken while building the initial stack are the exec's, not the
   * program's (Linux counts them as remote faults) */
  k->minflt = 0;   /* (the fault log and the stats keep them: the machine took them) */
  return 0;
}

/* An exception the CPU returned: a nested fault goes to the hypervisor, a
 * #PF to the mode, anything else becomes the signal Linux would send. */
static void handle_exception(struct machine *m) {
  const struct sim_config *cfg = m->cfg;
  struct kernel *k = m->k;
  struct vcpu *c = m->c;
  const struct hv_mode *mode = m->mode;
  int si = 0, sig;
  if (c->exc.vector == EXC_NESTED) {
    /* EPT violation / #NPF: the hypervisor's business, not the guest's */
    sig = mode->nested_fault ? mode->nested_fault(&m->hv, c->exc.cr2, c->exc.err) : SIGBUS;
    cpu_exception_done(c, !sig);
    if (!sig) return;
    if (!cfg->quiet)
      fprintf(stderr, "faultline: the VM died: unresolvable nested fault at gpa %#llx\n",
              (unsigned long long)(m->mmu.nested ? m->mmu.nested->fault_gpa : 0));
    k->killed_by = sig;
    k->exited = true;
    return;
  }
  if (c->exc.vector == EXC_PF) {
    uint64_t seen = m->bus.visible_faults;
    k->attr_rip = c->exc.rip;
    k->attr_user = true;
    k->fault_depth++;
    sig = mode->page_fault(&m->hv, c->exc.cr2, c->exc.err, false, &si);
    k->fault_depth--;
    if (k->uffd_wait.ctx) {
      /* a userfault: the thread sleeps until the handler resolves it */
      if (!sig) uffd_park(k);
      k->uffd_wait.ctx = NULL;
    }
    record_fault_end(k, sig);
    /* only faults that reached the guest kernel are the task's
     * (a shadow-paging fill is invisible to the guest: the interrupted
     * block goes on as if it had not happened) */
    cpu_exception_done(c, !sig && m->bus.visible_faults == seen);
    if (!sig) { if (m->bus.visible_faults != seen) k->minflt++; return; }
    if (sig == SIGKILL) {
      /* the OOM killer: nothing left to reclaim */
      if (!cfg->quiet)
        fprintf(stderr, "faultline: guest out of memory (--mem %lluM): pid %d killed\n",
                (unsigned long long)(cfg->mem_bytes >> 20), k->pid);
      k->killed_by = SIGKILL;
      k->exited = true;
      return;
    }
    signal_force_fault(k, sig, si, c->exc.cr2, 14, c->exc.err);
  } else {
    cpu_exception_done(c, false);
    sig = exc_signal(&c->exc, &si);
    uint64_t addr = c->exc.vector == EXC_GP ? 0 : c->exc.rip;
    signal_force_fault(k, sig, si, addr, c->exc.vector, c->exc.has_err ? c->exc.err : 0);
  }
  if (getenv("FAULTLINE_DEBUG")) {
    uint8_t b[16] = {0};
    copy_from_user(k, b, c->exc.rip, 16);
    fprintf(stderr, "faultline: debug: pid %d exception %d err %#x cr2 %#llx at rip %#llx:",
            k->pid, c->exc.vector, c->exc.err, (unsigned long long)c->exc.cr2,
            (unsigned long long)c->exc.rip);
    for (int q = 0; q < 16; q++) fprintf(stderr, " %02x", b[q]);
    fputc('\n', stderr);
  }
}

/* A run limit (--max-insns, --max-time) stops the run at an instruction
 * boundary: no signal, the stats say which limit ("limit"), faultline
 * exits 124 as timeout(1) does. */
static bool limit_reached(struct machine *m) {
  struct kernel *k = m->k;
  uint64_t insns = m->c->icount;    /* --cpus: every vCPU's */
  if (m->ncpus > 1) { insns = 0; for (int i = 0; i < m->ncpus; i++) insns += m->cpus[i]->icount; }
  bool time_up = hostsig_time_up();
  if (!time_up && insns < m->limit) return false;
  k->limit_hit = time_up ? "max-time" : "max-insns";
  k->all_exited = true;
  return true;
}

/* the instructions the machine has retired: every vCPU's */
static uint64_t machine_insns(const struct machine *m) {
  if (m->ncpus < 2) return m->c->icount;
  uint64_t n = 0;
  for (int i = 0; i < m->ncpus; i++) n += m->cpus[i]->icount;
  return n;
}

/* What the CPU stopped for: a syscall, the end of its budget (a time
 * slice, a limit), an exception.  true: the run stops (a limit). */
static bool dispatch_exit(struct machine *m, int r) {
  struct kernel *k = m->k;
  struct vcpu *c = m->c;
  if (r == CPU_EXIT_SYSCALL) {
    const struct hv_mode *mode = m->mode;
    if (mode->syscall_cross) c->cycles += mode->syscall_cross(&m->hv, true);
    c->cycles += syscall_enter_cost(k);
    syscall_dispatch(k);
    c->cycles += syscall_exit_cost(k);
    if (mode->syscall_cross) c->cycles += mode->syscall_cross(&m->hv, false);
    if (k->cur->state != TS_RUNNABLE) sched_switch(k);
  } else if (r == CPU_EXIT_BUDGET) {
    if (hostsig_waiting() && hostsig_poll(k) && k->all_exited) return true;   /* stop now */
    if (limit_reached(m)) return true;
    if (c->icount >= k->slice_end) sched_switch(k);   /* end of the time slice */
  } else if (r == CPU_EXIT_EXCEPTION) {
    handle_exception(m);
  } else if (r == CPU_EXIT_MAGIC) {
    roi_command(m, c->magic);
  } else if (r == CPU_EXIT_WATCH) {
    roi_watch(m);
  }
  if (m->roi_warmup && machine_insns(m) >= m->roi_warmup) {   /* run --warmup-insns: the region starts */
    m->roi_warmup = 0;
    roi_command(m, ROI_BEGIN);
  }
  return false;
}

/* --log-samples: the TLB and walk counters into the jsonl log */
static void log_sample(struct machine *m) {
  const struct tlb *t = &m->c->tlb;
  static const char *const names[] = {"l1d_misses", "l1i_misses", "stlb_misses", "walks", "walk_refs",
                                      "faults_visible", "faults_hidden"};
  const uint64_t vals[] = {t->l1d.misses, t->l1i.misses, t->stlb.misses, m->mmu.walks, m->mmu.walk_refs,
                           m->es.faults_visible, m->es.faults_hidden};
  ev_log_sample(&m->evlog, m->bus.cpu, m->c->icount, m->c->cycles, names, vals, 7);
  m->next_sample = m->c->icount + m->cfg->log_samples;
}

/* --view: the observer draws; false: it ended the run (as SIGINT would) */
static bool observer_tick(struct machine *m, bool final) {
  const struct sim_observer *o = m->cfg->observer;
  struct sim_snapshot s = {.icount = m->c->icount, .cycles = m->c->cycles, .tlb = &m->c->tlb,
                           .faults_visible = m->es.faults_visible, .faults_hidden = m->es.faults_hidden,
                           .pid = m->k->pid, .final = final, .cpu = m->hv.this_cpu, .ncpus = m->ncpus};
  m->next_tick = m->c->icount + (o->every ? o->every : 100000);
  if (final) { o->on_tick(o->ctx, &s); return false; }
  if (o->on_tick(o->ctx, &s)) return true;
  m->k->guest_killed_by = SIGINT;
  m->k->all_exited = true;
  return false;
}

/* One pass of the scheduler loop on the running vCPU: signals, timers,
 * then the CPU until something needs the kernel (a syscall, an exception,
 * the end of a time slice or of the vCPU's turn at qend).  false: the run
 * stops (a limit, the view closed). */
static bool guest_step(struct machine *m, uint64_t qend) {
  struct kernel *k = m->k;
  struct vcpu *c = m->c;
  struct task *t = k->cur;
  if (c->resume_block) {
    /* after a hidden fault the block goes on at once: nothing the
     * guest could see happens in between, as in a mode without it */
    return !dispatch_exit(m, cpu_run(c));
  }
  record_keyframe_due(k);
  if (t->restart_syscall) {
    /* woken from a blocking syscall: a stop signal stops the task with
     * the call parked; another signal interrupts it; else it is retried */
    bool signalled = signal_wakers(&k->tc);
    if (signalled && (c->r[RAX] == SYS_wait4 || c->r[RAX] == SYS_waitid) && task_wait_done(k)) signalled = false;
    if (signalled && signal_stop_parked(k)) { sched_switch(k); return true; }
    t->restart_syscall = false;
    if (signalled && c->r[RAX] != SYS_rt_sigtimedwait) signal_interrupt_syscall(k);
    else { k->redispatch = true; syscall_dispatch(k); }   /* sigtimedwait takes its own */
  }
  if (t->state == TS_RUNNABLE && !k->exited) {
    signal_deliver(k);
    if (t->sigsuspend_active) { k->sigmask = t->saved_mask; t->sigsuspend_active = false; }
  }
  if (k->exited) {
    task_exit(k);
    if (!k->all_exited) sched_switch(k);
    return true;
  }
  if (t->state != TS_RUNNABLE) { sched_switch(k); return true; }
  /* timers: fire what is due, stop the CPU when the next one is */
  uint64_t stop = k->slice_end < m->limit ? k->slice_end : m->limit;
  if (qend < stop) stop = qend;
  uint64_t due = timers_fire(k);
  /* (a signal may end the task or stop it: the loop's top handles both) */
  if (task_pending(&k->tc) & ~k->sigmask) { signal_deliver(k); if (k->exited || t->state != TS_RUNNABLE) return true; }
  uint64_t cpu_due = cpu_timers_fire(k);
  if (task_pending(&k->tc) & ~k->sigmask) { signal_deliver(k); if (k->exited || t->state != TS_RUNNABLE) return true; }
  if (cpu_due && c->icount + cpu_due < stop) stop = c->icount + cpu_due;
  if (due) {
    uint64_t now = ktime_ns(k);
    uint64_t at = c->icount + (due > now ? (uint64_t)((unsigned __int128)(due - now) * k->ips / 1000000000ull) : 0) + 1;
    if (at < stop) stop = at;
  }
  if (m->roi_warmup) {               /* (the machine's instructions: every vCPU's) */
    uint64_t done = machine_insns(m), at = c->icount + (m->roi_warmup > done ? m->roi_warmup - done : 0);
    if (at < stop) stop = at;
  }
  if (m->next_tick && m->next_tick < stop) stop = m->next_tick;
  if (m->next_sample && m->next_sample < stop) stop = m->next_sample;
  if (hostsig_waiting()) stop = 0;
  c->icount_stop = stop;
  if (m->limit != ~0ull) {           /* --max-insns: exactly, inside a block if need be */
    uint64_t done = machine_insns(m);
    c->icount_limit = c->icount + (m->limit > done ? m->limit - done : 0);
  }
  k->orig_rax = -1;                  /* user mode: no syscall in progress */
  if (dispatch_exit(m, cpu_run(c))) return false;
  if (m->next_sample && c->icount >= m->next_sample) log_sample(m);
  if (m->next_tick && c->icount >= m->next_tick && !observer_tick(m, false)) return false;
  return true;
}

/* --cpus: rounds of turns, each vCPU running its task for smp.quantum
 * instructions in order; an idle vCPU takes a runnable task at its turn.
 * When every vCPU is idle, the one-CPU scheduler decides (a timer skips
 * guest time ahead, input from outside is awaited, or the guest is
 * deadlocked). */
static void run_guest_smp(struct machine *m) {
  struct kernel *k = m->k;
  struct smp *s = &k->smp;
  while (!k->all_exited) {
    bool ran = false;
    for (int i = 0; i < s->n && !k->all_exited; i++) {
      smp_select(k, i);
      bool pre = smp_preempted(k, i);  /* smp.steal: the host runs something else on its CPU this turn */
      if (pre || k->hv->cpu_preempted[i]) {   /* each preempted turn, and the first one after */
        k->hv->cpu_preempted[i] = pre;
        rec_put(k, FLTR_K_PREEMPT, pre, 0, 0, 0);
      }
      if (pre) {
        k->hv->sd.preempted_turns++;
        ran = true;                    /* (guest time goes on: the others run) */
        continue;
      }
      if (!k->cur) {
        struct task *t = sched_pick(k);
        if (!t) continue;
        smp_start_task(k, t);
      }
      ran = true;
      struct vcpu *c = m->c;
      s->qstart[i] = c->icount;
      uint64_t qend = c->icount + s->quantum;
      while (!k->all_exited && k->cur && s->cur == i && (c->icount < qend || c->resume_block))
        if (!guest_step(m, qend)) return;
    }
    s->round_base += s->quantum;
    s->round++;
    if (ran || k->all_exited) continue;
    /* every vCPU idle: what the one-CPU scheduler does when all wait */
    smp_select(k, 0);
    sched_switch(k);
  }
}

static void run_guest(struct machine *m) {
  struct kernel *k = m->k;
  k->slice_end = m->c->icount + k->quantum;
  if (k->smp.n > 1) { run_guest_smp(m); return; }
  while (!k->all_exited && guest_step(m, ~0ull)) {}
}

/* the result, and the stats JSON when asked for */
static int finish(struct machine *m, struct sim_result *res) {
  struct kernel *k = m->k;
  res->exit_code = k->guest_exit_code;
  res->signal = k->guest_killed_by;
  res->limit = k->limit_hit;
  if (res->limit) res->exit_code = 124, res->signal = 0;   /* timeout(1)'s status */
  res->interrupted = k->host_stop || (res->signal && res->signal == k->host_signal);
  if (res->signal && k->death.sig == res->signal) {
    res->death_pid = k->death.pid;
    res->death_has_addr = k->death.has_addr;
    res->death_addr = k->death.addr;
    res->death_rip = k->death.rip;
    snprintf(res->death_where, sizeof res->death_where, "%s", k->death.where);
  }
  machine_totals(m, res);
  res->faults_guest = m->es.faults_visible;
  res->walks = m->mmu.walks;
  res->vm_exits = m->hv.st.exits_total;
  res->faults_hidden = m->es.faults_hidden;
  res->walk_refs = m->mmu.walk_refs;
  res->fault_cycles = m->es.fault_cycles_total;
  if (m->mode->finish) m->mode->finish(&m->hv);
  /* the trace ends with the guest; a write that failed on the way is said
   * here, with the guest's own outcome, which the exit status (125) no
   * longer carries */
  char terr[400];
  if (record_close(k, terr, sizeof terr)) {
    char outcome[64];
    if (res->signal) snprintf(outcome, sizeof outcome, "was killed by signal %d", res->signal);
    else snprintf(outcome, sizeof outcome, "exited with status %d", res->exit_code);
    snprintf(res->error, sizeof res->error, "trace not written whole: %s (the guest %s)", terr, outcome);
  }
  if (!res->error[0]) machine_check_log(m, res);
  if (k->attr && !k->attr->quiet_table) {
    attrib_sort(k->attr);
    if (!m->cfg->quiet) attrib_print(stderr, k->attr);
  }
  if (machine_write_stats(m, res)) return -1;
  return res->error[0] ? -1 : 0;
}

void machine_totals(struct machine *m, struct sim_result *res) {
  res->instructions = m->c->icount;
  res->cycles = m->c->cycles;
  if (m->ncpus < 2) return;
  res->instructions = res->cycles = 0;   /* --cpus: every vCPU's instructions; the slowest one's cycles */
  for (int i = 0; i < m->ncpus; i++) {
    res->instructions += m->cpus[i]->icount;
    if (m->cpus[i]->cycles > res->cycles) res->cycles = m->cpus[i]->cycles;
    struct pwc *p = m->pwcs[i];
    if (p && m->mmu.pwc && p != m->mmu.pwc)
      for (int l = 0; l < 6; l++) {
        m->mmu.pwc->lv[l].hits += p->lv[l].hits;
        m->mmu.pwc->lv[l].misses += p->lv[l].misses;
        p->lv[l].hits = p->lv[l].misses = 0;
      }
  }
}

void machine_fini(struct machine *m) {
  struct kernel *k = m->k;
  latency_reset(&m->es.lat);
  roi_free(m);
  ev_log_fini(&m->evlog);
  if (m->logf && m->logf != stdout) fclose(m->logf);
  else if (m->logf) fflush(m->logf);
  if (m->statsf && m->statsf != stdout) fclose(m->statsf);   /* a run that failed before its end */
  if (k && k->rec) {                 /* a run that failed on the way: the trace ends here */
    char e[400];
    record_close(k, e, sizeof e);
  }
  if (k) {
    task_cleanup_all(k);
    shm_cleanup(k);
    pc_free_all(k);
    hugetlb_free_all(k);
  }
  if (m->mode->fini) m->mode->fini(&m->hv);
  if (k) {
    attrib_free(k->attr);
    if (k->rootfd >= 0) close(k->rootfd);
    free(k->free_frames);
    free(k->frame_refs);
    free(k);
  }
  for (int i = 1; i < m->ncpus; i++) {
    if (m->cpus[i]) { cpu_fini(m->cpus[i]); free(m->cpus[i]); }
    if (m->pwcs[i]) { pwc_fini(m->pwcs[i]); free(m->pwcs[i]); }
  }
  if (m->ncpus > 1) m->c = m->cpus[0];
  if (m->c) { cpu_fini(m->c); free(m->c); }
  cache_hier_fini(&m->dcache);
  pwc_fini(&m->pwc);
  if (m->mem_ok) mem_fini(&m->mem);
}

int sim_run(const struct sim_config *cfg, struct sim_result *res) {
  memset(res, 0, sizeof *res);
  const struct hv_mode *mode = hv_find_mode(cfg->mode);
  if (!mode) {
    snprintf(res->error, sizeof res->error, "unknown mode '%s' (see `faultline modes`)", cfg->mode);
    return -1;
  }
  struct machine *m = calloc(1, sizeof *m);
  if (!m) { snprintf(res->error, sizeof res->error, "out of host memory"); return -1; }
  m->cfg = cfg;
  m->mode = mode;
  m->k = calloc(1, sizeof *m->k);
  int rc = -1;
  if (!m->k) { snprintf(res->error, sizeof res->error, "out of host memory"); goto out; }
  m->k->rootfd = -1;
  strcpy(m->k->core_pattern, "core");    /* Linux's default kernel.core_pattern */
  if (machine_init(m, res->error, sizeof res->error) || events_init(m, res->error, sizeof res->error) ||
      guest_init(m, res->error, sizeof res->error))
    goto out;
  m->limit = cfg->max_insns ? cfg->max_insns : ~0ull;
  if (cfg->observer && cfg->observer->on_tick)
    for (int i = 0; i < m->ncpus; i++) m->cpu_next_tick[i] = m->next_tick = cfg->observer->every ? cfg->observer->every : 100000;
  if (cfg->log_samples && cfg->log_jsonl && m->logf)
    for (int i = 0; i < m->ncpus; i++) m->cpu_next_sample[i] = m->next_sample = cfg->log_samples;
  hostsig_begin(cfg, m->c);
  run_guest(m);
  if (m->next_tick) observer_tick(m, true);   /* --view: the run's last state */
  if (m->next_sample) {                      /* --log-samples: the totals (each vCPU's) */
    int was = m->hv.this_cpu;
    for (int i = 0; i < m->ncpus; i++) {
      if (m->ncpus > 1) machine_select(m, i);
      log_sample(m);
    }
    if (m->ncpus > 1) machine_select(m, was);
  }
  cred_host_restore();   /* faultline's own files (stats) as faultline */
  rc = finish(m, res);
  hostsig_end();               /* (a signal while the stats were written: still ours) */
out:
  machine_fini(m);
  free(m);
  return rc;
}
